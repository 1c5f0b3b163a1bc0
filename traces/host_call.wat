;; host_call: a loop calling an imported host function, env.mix(i32) -> i32 (the test
;; defines it: x ^= x >> 15, x *= 0x2c1b3c6d, x ^= x >> 12). A host function cannot be
;; inlined: the trace stores the argument to the value stack (SlotStore), calls the HostCall
;; helper, guards its status (an error exits after the call, which is not made again) and
;; reads the result back (SlotLoad). Only run through tests/golden_traces.rs: the CLI
;; provides WASI imports only.
(module
  (import "env" "mix" (func $mix (param i32) (result i32)))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32)
    (local $acc i64)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (i64.add (local.get $acc) (i64.extend_i32_u (call $mix (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc)))

;; loop_call: a loop that calls a small function every iteration. The recorder follows
;; the call into the callee, so the trace holds the callee's body inlined (its bytecode
;; appears indented in the dump, under the callee's function index) and no call is left
;; in the IR. The callee reads memory: the bounds guard inside it has a depth-1 snapshot,
;; so an exit there would rebuild the callee's frame on top of the caller's. Its address,
;; (i & 15) * 4, is at most 60, so the guard checks a constant (Bound #0 +64) and is
;; hoisted: it runs once, before the LOOP marker, and the loop body has no bounds check.
(module
  (memory 1)
  ;; 16 weights, read by mix
  (data (i32.const 0) "\03\00\00\00\05\00\00\00\07\00\00\00\0b\00\00\00\0d\00\00\00\11\00\00\00\13\00\00\00\17\00\00\00"
                      "\1d\00\00\00\1f\00\00\00\25\00\00\00\29\00\00\00\2b\00\00\00\2f\00\00\00\35\00\00\00\3b\00\00\00")
  ;; mix(x, i) = x * 31 + weight[i & 15] * i
  (func $mix (param $x i64) (param $i i32) (result i64)
    (i64.add
      (i64.mul (local.get $x) (i64.const 31))
      (i64.extend_i32_u
        (i32.mul
          (i32.load (i32.shl (i32.and (local.get $i) (i32.const 15)) (i32.const 2)))
          (local.get $i)))))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32)
    (local $acc i64)
    (block $done
      (loop $top
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc (call $mix (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc)))

;; recursion: doubly recursive Fibonacci, with no loop. Its entry counts calls
;; (`hotcall`, 112 by default), and trace 1 is recorded from the entry (`start ...
;; entry`) when the call that reaches the threshold is a base case (`n < 2`): it returns
;; `n`. Returning from the function is a `Native` guard (entered from the interpreter,
;; the trace exits there and the interpreter returns), the result's `SlotStore` to the
;; frame's first slot and `Ret` (back to the trace that called it natively). The guard
;; on `n < 2` grows side trace 2, the other case: each recursive call is a native call
;; of trace 1 (`CallTrace 1`), after a `CallCheck` guard (room on the native, frame and
;; value stacks) and with the argument written to the callee's first slot; the result
;; comes back from that slot (`SlotLoad`). Each `CallTrace` has a snapshot after the
;; call, taken if the callee exits: it writes the caller's slots back while the exit
;; unwinds the native calls.
(module
  (func $fib (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else (i64.add
        (call $fib (i32.sub (local.get $n) (i32.const 1)))
        (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "run") (param $n i32) (result i64)
    (call $fib (local.get $n))))

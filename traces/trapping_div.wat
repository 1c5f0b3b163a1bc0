;; trapping_div: a loop dividing (i + 1000000) by (n - i) with i32.div_s. The divisor
;; reaches zero at iteration n, long after the trace was compiled. The trace guards the
;; divisor (not zero) and the operands (not INT_MIN / -1) before the division; the first
;; guard fails at that iteration, the trace exits to the interpreter at the division, and
;; the interpreter raises the "integer divide by zero" trap with the same backtrace as
;; without the JIT. The loop bound is 2n, so the loop never ends normally.
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32)
    (local $acc i32)
    (local $lim i32)
    (local.set $lim (i32.shl (local.get $n) (i32.const 1)))
    (block $done
      (loop $top
        (br_if $done (i32.ge_s (local.get $i) (local.get $lim)))
        (local.set $acc
          (i32.add (local.get $acc)
            (i32.div_s (i32.add (local.get $i) (i32.const 1000000))
              (i32.sub (local.get $n) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc)))

;; br_table: a loop dispatching on a br_table whose index ($mode, 1 in the test) does not
;; change while the loop runs. The trace follows the one case taken while recording and
;; guards that the index still selects it; any other index leaves the trace. The index is
;; loop-invariant, so the guard is only checked once, before the LOOP marker.
(module
  (func (export "run") (param $n i32) (param $mode i32) (result i64)
    (local $i i32)
    (local $acc i64)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $next
          (block $c2
            (block $c1
              (block $c0
                (br_table $c0 $c1 $c2 (local.get $mode)))
              ;; case 0: acc += i
              (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
              (br $next))
            ;; case 1: acc = acc * 3 + i
            (local.set $acc
              (i64.add (i64.mul (local.get $acc) (i64.const 3)) (i64.extend_i32_u (local.get $i))))
            (br $next))
          ;; case 2 and anything larger (the default): acc ^= i << 7
          (local.set $acc
            (i64.xor (local.get $acc) (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 7)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc)))

;; loop_nest: an outer loop around an inner loop whose trip count depends on the outer
;; counter (1 to 8). The inner loop is traced first (trace 1). Its exit at the end of
;; the inner loop gets hot and grows a side trace that runs the rest of the outer body,
;; goes round the outer loop's header and links back into the inner loop's trace at its
;; header (`stop -> 1`): the whole nest runs in the trace tree.
(module
  (func (export "run") (param $n i32) (result i64)
    (local $i i32)
    (local $j i32)
    (local $acc i64)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $acc
          (i64.add (local.get $acc) (i64.extend_i32_u (i32.mul (local.get $i) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.le_u (local.get $j) (i32.and (local.get $i) (i32.const 7)))))
      (local.set $acc (i64.xor (local.get $acc) (i64.const 0x9e37)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))

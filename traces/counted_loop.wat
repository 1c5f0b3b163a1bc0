;; counted_loop: the simplest hot loop. Writes a[i] = i * 3 to an i32 array in linear
;; memory and sums the elements back into an i64, for i < n.
;; Shows: the loop exit guard (Guard lt_u), the memory bounds guard (Bound) before the
;; store, loop-carried values joined by PHIs after the LOOP marker, and the snapshots that
;; tell an exit which slots to write back before the interpreter resumes.
(module
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i64)
    (local $i i32)
    (local $sum i64)
    (local $p i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.shl (local.get $i) (i32.const 2)))
        (i32.store (local.get $p) (i32.mul (local.get $i) (i32.const 3)))
        (local.set $sum
          (i64.add (local.get $sum) (i64.extend_i32_s (i32.load (local.get $p)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $sum)))

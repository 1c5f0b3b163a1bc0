;; side_trace: a loop whose branch alternates every iteration. The root trace guards the
;; direction it recorded; the other direction's exit gets hot (hotexit taken exits) and
;; grows a side trace (`start 1/N`), which starts from the root's values where the root
;; keeps them (`Parent` instructions: registers and spill slots), runs the other arm and
;; links back to the root's loop header (`stop -> 1`).
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32)
    (local $s i32)
    (loop $l
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $s (i32.add (local.get $s) (i32.const 3))))
        (else (local.set $s (i32.xor (local.get $s) (i32.const 5)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s)))

;; body_link: run with `bodylink=1`. A loop over an array whose branch alternates. The
;; root checks the array's bounds once, before its loop, for the whole range `$n` allows
;; (the guards just before `Loop`). The other arm's side trace replays those checks on
;; the values it ends with, hands the loop's values over where the body keeps them
;; (`LinkArg`) and jumps into the loop body, past the root's first iteration
;; (`stop -> 1 body`).
(module
  (memory 1)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32)
    (local $s i32)
    (local $v i32)
    (loop $l
      (local.set $v (i32.load (i32.shl (local.get $i) (i32.const 2))))
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $s (i32.add (local.get $s) (local.get $v))))
        (else (local.set $s (i32.xor (local.get $s) (i32.const 5)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s)))

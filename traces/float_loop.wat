;; float_loop: f64 arithmetic in a loop: a polynomial step, a square root and a conversion
;; from the i32 counter. Shows float values in XMM registers (x0.. in the register column)
;; and the i32 -> f64 conversion. The f64 constants live in frame slots (s4..s7), so the
;; trace loads them once before the loop (Sload) and keeps them in registers.
(module
  (func (export "run") (param $n i32) (result f64)
    (local $i i32)
    (local $x f64)
    (local $sum f64)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f64.mul (f64.convert_i32_u (local.get $i)) (f64.const 0.001)))
        ;; sum += sqrt(x) * (0.5 + x * (0.25 - x * 0.125))
        (local.set $sum
          (f64.add (local.get $sum)
            (f64.mul (f64.sqrt (local.get $x))
              (f64.add (f64.const 0.5)
                (f64.mul (local.get $x)
                  (f64.sub (f64.const 0.25) (f64.mul (local.get $x) (f64.const 0.125))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $sum)))

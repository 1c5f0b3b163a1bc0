;; switch: a loop dispatching on a br_table whose index changes every iteration (i mod 3).
;; The root trace records one case and dispatches through a table of exits (`Switch`):
;; one indexed jump, with every other case an exit of its own. Those exits get hot and
;; grow side traces (`start 1/N`, one per case) that link back to the root; each is then
;; entered through its entry in the table, not through a chain of guards.
(module
  (func (export "run") (param $n i32) (result i64)
    (local $i i32)
    (local $acc i64)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $next
          (block $c2
            (block $c1
              (block $c0
                (br_table $c0 $c1 $c2 (i32.rem_u (local.get $i) (i32.const 3))))
              ;; case 0: acc += i
              (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
              (br $next))
            ;; case 1: acc = acc * 3 + i
            (local.set $acc
              (i64.add (i64.mul (local.get $acc) (i64.const 3)) (i64.extend_i32_u (local.get $i))))
            (br $next))
          ;; case 2: acc ^= i << 7
          (local.set $acc
            (i64.xor (local.get $acc) (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 7)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc)))

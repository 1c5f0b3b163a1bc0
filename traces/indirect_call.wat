;; indirect_call: a loop calling through a table with call_indirect. The recorder sees
;; which function the table entry held and specializes the trace for it: each iteration
;; reads the entry (the TableGet helper) and a guard checks that it is still that function
;; (speculative devirtualization; another target, a null or an out-of-bounds index leaves
;; the trace), then the target's body follows inlined. The index (the parameter $k, 1 =
;; $sub in the test) is the same on every iteration.
(module
  (type $op (func (param i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $add $sub $mul $xor)
  (func $add (type $op) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $op) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $op) (i32.mul (local.get 0) (local.get 1)))
  (func $xor (type $op) (i32.xor (local.get 0) (local.get 1)))
  (func (export "run") (param $n i32) (param $k i32) (result i32)
    (local $i i32)
    (local $acc i32)
    (local.set $acc (i32.const 1))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (call_indirect (type $op)
            (local.get $acc) (i32.add (local.get $i) (i32.const 7)) (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc)))

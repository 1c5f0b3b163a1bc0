;; poll_oneoff: clock subscriptions and stdio readiness. Each export returns
;; nevents * 10000 + (first event's type) * 100 + (first event's error), and sets the first
;; event's userdata to match the subscription it answers (checked: a mismatch returns -1).
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; subscriptions at 0 (48 bytes each), events at 1024 (32 bytes each), nevents at 2048

  (func $clock (param $at i32) (param $userdata i64) (param $timeout i64)
    (i64.store (local.get $at) (local.get $userdata))
    (i32.store8 offset=8 (local.get $at) (i32.const 0))      ;; eventtype clock
    (i32.store offset=16 (local.get $at) (i32.const 1))      ;; monotonic
    (i64.store offset=24 (local.get $at) (local.get $timeout))
    (i64.store offset=32 (local.get $at) (i64.const 0))
    (i32.store16 offset=40 (local.get $at) (i32.const 0)))   ;; relative
  (func $fd (param $at i32) (param $userdata i64) (param $type i32) (param $fd i32)
    (i64.store (local.get $at) (local.get $userdata))
    (i32.store8 offset=8 (local.get $at) (local.get $type))
    (i32.store offset=16 (local.get $at) (local.get $fd)))
  (func $result (param $errno i32) (param $want_userdata i64) (result i32)
    (if (local.get $errno) (then (return (i32.sub (i32.const 0) (local.get $errno)))))
    (if (i64.ne (i64.load (i32.const 1024)) (local.get $want_userdata)) (then (return (i32.const -1))))
    (i32.add
      (i32.add
        (i32.mul (i32.load (i32.const 2048)) (i32.const 10000))
        (i32.mul (i32.load8_u (i32.const 1034)) (i32.const 100)))
      (i32.load16_u (i32.const 1032))))

  ;; A 20 ms sleep: one clock event.
  (func (export "sleep") (result i32)
    (call $clock (i32.const 0) (i64.const 7) (i64.const 20000000))
    (call $result (call $poll (i32.const 0) (i32.const 1024) (i32.const 1) (i32.const 2048)) (i64.const 7)))
  ;; Two clocks: the earlier one (10 ms) fires, not the later one (10 s).
  (func (export "earliest_clock") (result i32)
    (call $clock (i32.const 0) (i64.const 1) (i64.const 10000000000))
    (call $clock (i32.const 48) (i64.const 2) (i64.const 10000000))
    (call $result (call $poll (i32.const 0) (i32.const 1024) (i32.const 2) (i32.const 2048)) (i64.const 2)))
  ;; stdout is writable at once; the 10 s clock does not fire.
  (func (export "stdout_writable") (result i32)
    (call $clock (i32.const 0) (i64.const 1) (i64.const 10000000000))
    (call $fd (i32.const 48) (i64.const 9) (i32.const 2) (i32.const 1))
    (call $result (call $poll (i32.const 0) (i32.const 1024) (i32.const 2) (i32.const 2048)) (i64.const 9)))
  ;; stdin (a pipe with data) is readable before the 10 s clock.
  (func (export "stdin_readable") (result i32)
    (call $clock (i32.const 0) (i64.const 1) (i64.const 10000000000))
    (call $fd (i32.const 48) (i64.const 5) (i32.const 1) (i32.const 0))
    (call $result (call $poll (i32.const 0) (i32.const 1024) (i32.const 2) (i32.const 2048)) (i64.const 5)))
  ;; A descriptor that is not open: an event carrying EBADF (8).
  (func (export "bad_descriptor") (result i32)
    (call $fd (i32.const 0) (i64.const 3) (i32.const 1) (i32.const 99))
    (call $result (call $poll (i32.const 0) (i32.const 1024) (i32.const 1) (i32.const 2048)) (i64.const 3)))
  ;; No subscriptions: EINVAL (28) from the call itself.
  (func (export "no_subscriptions") (result i32)
    (call $poll (i32.const 0) (i32.const 1024) (i32.const 0) (i32.const 2048)))
)

;; A WASI command that exits with status 7 through proc_exit (the `unreachable` after it
;; must never run).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $proc_exit (i32.const 7)) unreachable)
)

//! # spur
//!
//! A WebAssembly engine built the way LuaJIT is built: a fast interpreter runs everything
//! first, hot loops are found by counting backedges, and a hot loop is recorded as a
//! linear trace, optimized as SSA IR and compiled to native x86-64 or AArch64 code, with side exits
//! that restore the interpreter's exact state.
//!
//! The embedding API mirrors Wasmtime's (and wasmi's) names, so switching engines is an
//! import change:
//!
//! ```
//! use spur::{Caller, Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "env" "double" (func $double (param i32) (result i32)))
//!       (func (export "run") (param i32) (result i64)
//!         (i64.extend_i32_u (call $double (local.get 0)))))
//! "#)?;
//! let mut store = Store::new(&engine, 0u32);
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("env", "double", |mut caller: Caller<'_, u32>, x: i32| {
//!     *caller.data_mut() += 1;
//!     x * 2
//! })?;
//! let instance = linker.instantiate(&mut store, &module)?;
//! let run = instance.get_typed_func::<i32, i64>(&mut store, "run")?;
//! assert_eq!(run.call(&mut store, 21)?, 42);
//! assert_eq!(*store.data(), 1);
//! # Ok::<(), spur::Error>(())
//! ```
//!
//! ## Architecture (the pipeline, and the modules that show it)
//!
//! - `module/`: decode and validate with `wasmparser` into immutable, shareable module
//!   data, which the public [`Module`] (`runtime::module`) wraps with the interpreter's
//!   translations. WebAssembly 2.0 without SIMD. Function bodies are validated at load,
//!   or at their first call with [`CompilationMode::Lazy`] (`Config::compilation_mode`).
//! - `interp/`: each function is translated at its first call into a register-style *slot
//!   bytecode* (operands are offsets from the frame base into one value stack of 64-bit
//!   slots; branch targets resolved; compare-and-branch fused; immediates inline, large
//!   constants pooled in the frame, address arithmetic folded into memory offsets,
//!   accumulator registers, integer and float, for the previous result (a call's too, and
//!   passed on by branches that write nothing); pairs that compiled code runs back to back
//!   fused into one instruction: a counted loop's step and test, a step and a copy of its
//!   result, a step and the `global.set` of it (a stack pointer's, and in a prologue the
//!   `global.get` before them too), a constant and the `br_if` after it, an array element's
//!   shift and load, a bit field's shift and mask, two copies, a copy and the `br` after
//!   it; and a compiler's guarded float-to-int conversion, six instructions, fused into
//!   one). The instruction table names
//!   each instruction's handler, grouped by family (numeric, memory, control, call, data),
//!   and generates both ways of running them: threaded dispatch, one function per
//!   instruction that jumps to the next one's (optimized builds on x86-64 and AArch64, so
//!   its speed needs no build settings), and a dispatch loop's `match` (other builds, and
//!   the JIT's recording). Calls push frames on an explicit frame stack, never on the host
//!   stack. Loop headers, and the entries of recursive functions, carry hot counters for
//!   the JIT.
//! - `runtime/`: `Engine`/`Config`, `Store<T>` (all entities, the value and frame stacks),
//!   `Instance` and instantiation, `Linker`, `Func`/`TypedFunc` and the driver that runs
//!   calls and host calls, `Memory`, `Table`, `Global`, `Val`, traps, and profiles
//!   ([`Profile`], `Store::profile` with `Config::collect_profile`: calls, loop iterations,
//!   traces and sampled time per function, with its share in traces, and the targets of
//!   each `call_indirect` site). `Config::profiler` with [`ProfilingStrategy::PerfMap`]
//!   names every trace for Linux `perf`. `Config::epoch_interruption` with
//!   `Engine::increment_epoch` stops runaway code (`TrapCode::Interrupt`), and
//!   `Config::consume_fuel` with `Store::set_fuel` bounds its work deterministically
//!   (`TrapCode::OutOfFuel`);
//!   `Store::limiter` with a [`ResourceLimiter`] (or [`StoreLimits`]) caps growth, and
//!   `Config::memory_reservation` the address space each memory reserves to grow in
//!   place.
//! - `jit/`: the trace JIT. Traces start at hot loop headers and at the entries of hot
//!   recursive functions, whose traces other traces call natively (the only calls on the
//!   host stack, bounded). `record` turns what the interpreter executes into SSA IR
//!   (`ir`, with FOLD, CSE and store-to-load forwarding as it is emitted; FOLD also divides
//!   by constants with a multiply, branches on comparisons directly and drops the
//!   float-to-int checks a range guard implies); `opt/` holds
//!   those passes and runs LOOP and DCE; `asm/`
//!   allocates registers and emits x86-64 or AArch64 code with dynasm into `mcode` (W^X); `trace`
//!   enters traces, `exit` rebuilds the interpreter's state at exits, and `tree` grows
//!   hot exits into side traces, links traces into trees (loop nests, `br_table`
//!   dispatch, polymorphic calls; `reentry`: links into a loop body, past its first
//!   iteration) and evicts whole trees under pressure; recursive
//!   functions, and loop-free functions the host calls often, get function traces
//!   (recursive ones call each other natively), and megamorphic
//!   `call_indirect` sites call their targets' function traces through `entries`. Tunables are
//!   [`JitParams`] (`Config::jit_param`) with presets [`JitPreset`]
//!   (`Config::jit_preset`), statistics [`JitStats`]
//!   (`Store::jit_stats`); `Store::set_trace_dump` writes every trace (bytecode, IR
//!   with snapshots, machine code) and every abort, blacklisting and eviction as text,
//!   and `Store::set_trace_log` writes the same events as JSON Lines (`jit::dump`). The
//!   design is in the `jit` module's header.
//! - [`wasi`]: WASI preview 1 for the `spur` command line and for embedders.
//! - `error`: one [`Error`] type distinguishing compile errors, link errors, traps, host
//!   errors and exit requests.
//!
//! The layers import one way: `module` (with `ops`, the operators' semantics) below
//! `interp`, below `jit`. The interpreter reaches the JIT and the profiler only through
//! `interp::Hooks`, function pointers the JIT defines; `runtime` owns the stores,
//! which hold the JIT's state and install its hooks, and runs calls through the
//! interpreter.
//!
//! Traps have one implementation: the interpreter raises them at the trapping instruction
//! (a trace exits to that instruction, and the interpreter re-executes it).

#![warn(missing_docs)]

#[doc(hidden)]
pub mod cli;
mod error;
mod interp;
mod jit;
mod module;
mod ops;
mod runtime;
#[cfg(unix)]
pub mod wasi;

pub use error::{Error, ErrorKind};
pub use jit::JitStats;
pub use jit::params::{JitParams, JitPreset};
pub use jit::perfmap::ProfilingStrategy;
pub use jit::profile::{CallSiteProfile, CallTarget, FunctionProfile, Profile};
pub use jit::record::Abort as JitAbort;
pub use module::{ExportType, ExternKind, ExternType, ImportType};
pub use runtime::engine::{CompilationMode, Config, Engine};
pub use runtime::extern_::{Export, Extern};
pub use runtime::func::{Caller, Func, IntoFunc};
pub use runtime::global::Global;
pub use runtime::instance::Instance;
pub use runtime::limits::{
    DEFAULT_INSTANCE_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_TABLE_LIMIT, ResourceLimiter,
    StoreLimits, StoreLimitsBuilder,
};
pub use runtime::linker::Linker;
pub use runtime::memory::{Memory, MemoryAccessError};
pub use runtime::module::Module;
pub use runtime::store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut};
pub use runtime::table::Table;
pub use runtime::trap::{FrameInfo, Trap, TrapCode};
pub use runtime::typed::{TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy};
pub use runtime::types::{FuncType, GlobalType, MemoryType, Mutability, TableType, ValType};
pub use runtime::values::{ExternRef, Val};

/// The result type of spur's API.
pub type Result<T, E = Error> = std::result::Result<T, E>;

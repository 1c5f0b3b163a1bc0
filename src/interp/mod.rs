//! The interpreter: slot bytecode (`bytecode`), its lazy translation from WebAssembly
//! (`translate`, which reads each body's operators through `decode`, copies shared
//! tails and loop tests in `tails` and moves code with `layout`), fuel costs (`fuel`),
//! slot liveness for the JIT's snapshots (`liveness`), the bulk memory and table
//! operations it shares with traces' helpers (`bulk`), and the dispatch loop (`exec`),
//! which computes every operator with the crate's one definition of its semantics
//! (`crate::ops`).
//!
//! Everything runs here first. Loop headers (`Instr::Loop`, emitted when the JIT is
//! enabled) count down their hot counter; reaching zero is where the trace JIT starts
//! recording. The interpreter reaches the JIT (and the profiler) only through the
//! function pointers of `hooks`, which the JIT defines: it imports nothing above it.

pub(crate) mod bulk;
mod bytecode;
mod decode;
mod exec;
mod fuel;
mod hooks;
mod layout;
mod liveness;
mod tails;
mod translate;

pub(crate) use bytecode::{Conv, Instr, Slot, disassemble, variants};
pub(crate) use exec::{
    Handoff, Outcome, case_target, init_frame, memory0, run, running_table0, table_entry,
};
pub(crate) use hooks::{ENTRY, Hooks, ILOOP, LoopAction};
pub(crate) use translate::{Code, CompiledFunc};

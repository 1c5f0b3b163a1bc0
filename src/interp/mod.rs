//! The interpreter: slot bytecode (`bytecode`), its lazy translation from WebAssembly
//! (`translate`), fuel costs (`fuel`), slot liveness for the JIT's snapshots (`liveness`),
//! and the dispatch loop (`exec`), which computes every operator with the crate's one
//! definition of its semantics (`crate::ops`).
//!
//! Everything runs here first. Loop headers (`Instr::Loop`, emitted when the JIT is
//! enabled) count down their hot counter; reaching zero is where the trace JIT starts
//! recording.

mod bytecode;
mod exec;
mod fuel;
mod liveness;
mod translate;

pub(crate) use bytecode::{Instr, Slot, disassemble};
pub(crate) use exec::{Outcome, init_frame, memory0, run, table_entry};
pub(crate) use translate::{CompiledFunc, compiled};

/// The runtime operations traces reach through helpers (the interpreter's own code).
pub(crate) mod exec_rt {
    pub(crate) use super::exec::{
        data_drop, elem_drop, memory_copy, memory_fill, memory_grow, memory_init, table_copy,
        table_fill, table_grow, table_init, table_of,
    };
}

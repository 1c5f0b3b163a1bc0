//! The interpreter's calls into the layers above it: the trace JIT (hot counters,
//! recording) and the profiler.
//!
//! The interpreter names no module above it. It calls them through [`Hooks`], a table
//! of function pointers that the JIT defines and the runtime installs in each store
//! (`StoreInner::hooks`). None of them is on the dispatch loop's common path: a hook
//! runs when a hot counter expires, before each instruction while recording, when a
//! run ends with a recording or a profile open, and for the profiling instructions
//! that only a profiled store's code contains.

use super::bytecode::Instr;
use super::exec::Outcome;
use crate::error::Error;
use crate::runtime::store::StoreInner;

/// A hot counter's value meaning "blacklisted: never counted again".
pub(crate) const ILOOP: u32 = u32::MAX;

/// The loop id that stands for a function's entry: a function trace starts there, and
/// is keyed, counted and blacklisted like a loop's.
pub(crate) const ENTRY: u32 = u32::MAX;

/// What the interpreter does after a hot loop header or function entry.
pub(crate) enum LoopAction {
    /// Keep interpreting.
    Continue,
    /// Switch to the recording loop (resume after the header).
    Record,
    /// A trace ran; resume from the frame stack with this accumulator.
    Resumed(u64),
    /// A trace ran and its exit starts a side trace's recording: resume from the frame
    /// stack, with this accumulator, in the recording loop.
    ResumedRecording(u64),
    /// A host function called from a trace failed.
    Error(Error),
}

/// The calls out of the interpreter.
pub(crate) struct Hooks {
    /// Whether a recording is running in the run that ends at `stop` frames.
    pub(crate) recording: fn(&StoreInner, stop: usize) -> bool,
    /// The counter of loop header `pc` (loop `id`, or [`ENTRY`] with `pc` the entry)
    /// expired: enter a trace, start recording, or keep interpreting.
    pub(crate) hot: fn(&mut StoreInner, pc: *const Instr, id: u32, stop: usize) -> LoopAction,
    /// Before each instruction while recording; true ends the recording loop.
    pub(crate) record_step: fn(&mut StoreInner, pc: *const Instr) -> bool,
    /// A run ended with `outcome`, with a recording open (`recording`) or a profile
    /// collected.
    pub(crate) run_ended: fn(&mut StoreInner, outcome: &Outcome, recording: bool),
    /// The host called the WebAssembly function whose frame was just pushed above
    /// `stop`: its entry is counted, and a hot one enters its trace. Returns the
    /// accumulator to resume with.
    pub(crate) called_from_host: fn(&mut StoreInner, stop: usize) -> Result<u64, Error>,
    /// The frames above some point were unwound after an error: a recording running in
    /// them is dropped.
    pub(crate) unwound: fn(&mut StoreInner),
    /// Profiling instructions: function `func` entered, one loop iteration in it, a
    /// call returned into it, and the table entry an indirect call site reached.
    pub(crate) prof_enter: fn(&mut StoreInner, func: u32),
    pub(crate) prof_loop: fn(&mut StoreInner, func: u32),
    pub(crate) prof_resume: fn(&mut StoreInner, func: u32),
    pub(crate) prof_indirect: fn(&mut StoreInner, site: u32, entry: u64),
}

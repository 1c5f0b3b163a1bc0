//! The trace JIT: hot loops recorded as linear traces, optimized as SSA IR and compiled to
//! native code, with side exits back to the interpreter.
//!
//! Status: being built. Present: the tunables ([`params`]). The rest of this header is the
//! design the remaining pieces implement; it extends `shared/DESIGN.md` with decisions
//! specific to spur's interpreter.
//!
//! ## Hot counting and trace state
//!
//! A loop header is `Instr::Loop { id }`, emitted only when the engine has the JIT on. Its
//! state is an `AtomicU32` per loop in the function's `CompiledFunc` (shared by every
//! instance and store of the module): a count-down from `hotloop` while counting, or a
//! flag word for "has traces" and "blacklisted" (`ILOOP`: never counted again). Traces
//! themselves belong to a store, because they specialize on its entities (table entries
//! seen by `call_indirect`, memory and globals); a loop whose state says "has traces" looks
//! up the store's trace for `(function, loop id)` once per entry, then runs natively for
//! many iterations.
//!
//! ## Recording
//!
//! The interpreter's dispatch loop is instantiated a second time with a recording hook
//! before each instruction (a const generic, so the normal loop pays nothing). The
//! recorder reads the live slots and memory, emits IR for what executes, follows calls
//! (inlining callees with their frames kept for exits), guards branch directions,
//! `br_table` indices, `call_indirect` targets and signatures, and memory bounds, and stops
//! when execution is back at the loop header at the same call depth. Anything else aborts
//! with a reason from one table; aborts raise the loop's penalty (`penaltymin` doubling to
//! `penaltymax`, plus `penaltyrnd` random bits), past which the loop is blacklisted.
//!
//! ## IR, optimization, backend, exits
//!
//! A linear SSA buffer per trace (bump-allocated), one opcode table, interned constants,
//! snapshots at guards; FOLD and CSE as instructions are emitted, DCE and LOOP (copy
//! substitution, PHIs at the loop end) after recording. Register allocation and x86-64
//! code via dynasm behind one architecture trait; machine code lives in one reserved
//! region that is never writable and executable at once. A side exit restores slots,
//! inlined frames and the pc exactly, and the interpreter resumes there; exits count
//! toward side traces (`hotexit`), and traces that mostly exit are flushed.

pub(crate) mod mcode;
pub(crate) mod params;

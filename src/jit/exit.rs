//! Exits: from a trace's exit back to the interpreter's exact state.
//!
//! Sits after the backend (`asm`) in the pipeline: a guard that fails (or a trace's end
//! that returns to the interpreter) branches to its exit stub, which stores the exit
//! number, the trace's number and every register in the [`TraceCtx`] and returns to
//! [`super::trace::enter`]'s caller. [`restore`] then walks the exit's snapshot: the
//! modified slots are written back from registers, spill slots or constants, the frames
//! the trace had inlined are pushed, and the innermost frame resumes at the snapshot's
//! pc (the guarded instruction, which the interpreter re-executes). Each exit counts how
//! often it is taken; the trace tree (`tree`) grows a side trace from an exit that gets
//! hot. An exit taken in a trace that another trace called natively is handled at once
//! ([`nested`]), and its frames wait for the outermost trace's exit, which pushes them
//! above its own.

use super::asm::{Loc, Sites};
use super::ctx::{TraceCtx, word};
use super::fuel::FUEL_SLOT;
use super::ir::{SnapFrames, Ty};
use super::params::JitParams;
use crate::interp::Instr;
use crate::runtime::store::{Frame, Stack, StoreInner};

/// Where an exit finds a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Const(u64),
    Gpr(u8),
    Fpr(u8),
    Spill(u16),
}

impl Source {
    /// The source of a value at allocated location `loc` (constants have none).
    pub(crate) fn at(loc: Loc) -> Source {
        match loc {
            Loc::Gpr(g) => Source::Gpr(g),
            Loc::Fpr(x) => Source::Fpr(x),
            Loc::Spill(i) => Source::Spill(i),
            Loc::None => Source::Const(0),
        }
    }

    /// The location a side trace inherits the value from (none for constants).
    pub(crate) fn loc(self) -> Option<Loc> {
        match self {
            Source::Const(_) => None,
            Source::Gpr(g) => Some(Loc::Gpr(g)),
            Source::Fpr(x) => Some(Loc::Fpr(x)),
            Source::Spill(i) => Some(Loc::Spill(i)),
        }
    }

    /// Where the value is in the context's words at an exit (`Ok`), or the constant
    /// itself (`Err`).
    fn word(self) -> Result<u16, u64> {
        let w = match self {
            Source::Const(k) => return Err(k),
            Source::Gpr(g) => word::GPR + g as usize,
            Source::Fpr(x) => word::FPR + x as usize,
            Source::Spill(i) => word::SPILL + i as usize,
        };
        Ok(w as u16)
    }

    /// The value in the context saved at an exit.
    fn read(self, ctx: &TraceCtx, ty: Ty) -> u64 {
        ty.canon(self.word().map_or_else(|k| k, |w| ctx.words[w as usize]))
    }
}

/// An exit's slot writes in the form the exit handler runs fast: values from the
/// context's words (slot, word, 32 bits wide), and constants (slot, bits).
#[derive(Default)]
pub(crate) struct Writes {
    from_words: Vec<(u32, u16, bool)>,
    consts: Vec<(u32, u64)>,
}

impl Writes {
    pub(crate) fn new(entries: &[(u32, Source, Ty)]) -> Writes {
        let mut w = Writes::default();
        for &(slot, src, ty) in entries.iter().filter(|e| e.0 != FUEL_SLOT) {
            match src.word() {
                Err(k) => w.consts.push((slot, ty.canon(k))),
                Ok(word) => w
                    .from_words
                    .push((slot, word, matches!(ty, Ty::I32 | Ty::F32))),
            }
        }
        w
    }
}

/// One exit of a trace: its snapshot, resolved to value locations, and its place in the
/// trace tree.
pub(crate) struct Exit {
    pub(crate) pc: *const Instr,
    pub(crate) frames: SnapFrames,
    pub(crate) entries: Vec<(u32, Source, Ty)>,
    /// Slots the exit leaves unmodified whose value the trace still holds (it loaded
    /// them): a side trace from here takes them where they are instead of loading them
    /// from the frame again. The exit handler writes none of them.
    pub(crate) loaded: Vec<(u32, Source, Ty)>,
    /// The same, as the exit handler writes them.
    pub(crate) writes: Writes,
    pub(crate) acc: Option<(Source, Ty)>,
    /// Fuel to give back (see [`super::ir::Snapshot::fuel`]).
    pub(crate) fuel: i64,
    /// The trace's end returning to the interpreter (a link, not a failing guard): it
    /// never grows a side trace.
    pub(crate) link: bool,
    /// A conditional branch's guard (see [`super::ir::Snapshot::branch`]).
    pub(crate) branch: bool,
    pub(crate) taken: u64,
    /// Offsets of the branches to this exit's stub, in the trace's code.
    pub(crate) sites: Sites,
    /// The `Switch` table entry that reaches this exit, and the table's offset.
    pub(crate) slot: Option<(u32, u32)>,
    /// Offset of the stub.
    pub(crate) stub: u32,
    /// The side trace attached here.
    pub(crate) side: Option<u32>,
    /// Side-trace recordings from here that failed.
    pub(crate) attempts: u32,
}

impl Exit {
    /// Counts the exit taken; true when it is hot enough to grow a side trace now.
    pub(crate) fn taken(&mut self, params: &JitParams) -> bool {
        self.taken += 1;
        !self.link
            && self.side.is_none()
            && self.attempts <= params.tryside
            && self.taken >= u64::from(params.hotexit) * u64::from(self.attempts + 1)
    }

    /// The store's fuel left at this exit, if the trace kept it (see `fuel`); what was
    /// charged ahead (`fuel`) is still to be given back.
    pub(crate) fn fuel_left(&self, ctx: &TraceCtx) -> Option<i64> {
        let &(_, src, ty) = self.entries.iter().find(|e| e.0 == FUEL_SLOT)?;
        Some(src.read(ctx, ty) as i64)
    }
}

/// Writes the interpreter state of exit `e` back (the trace ran from the frame whose
/// base is `ctx.root_base()`) and returns the accumulator the resumed instruction reads.
pub(crate) fn restore(stack: &mut Stack, e: &Exit, ctx: &TraceCtx) -> u64 {
    let root_base = ctx.root_base();
    let acc = write_slots(stack, e, ctx);
    for f in &e.frames {
        // SAFETY: `call_pc` is a call instruction inside its caller's code, which
        // continues after it; the caller resumes there when the callee returns.
        stack.frames.last_mut().expect("frame").ip = unsafe { f.call_pc.add(1) };
        stack.frames.push(Frame {
            func: f.func,
            ip: std::ptr::null(),
            base: root_base + f.base as usize,
            instance: f.instance,
        });
    }
    stack.frames.last_mut().expect("frame").ip = e.pc;
    acc
}

/// Writes exit `e`'s slots back (the trace's root frame is at `ctx.root_base()`) and
/// returns the accumulator the resumed instruction reads.
fn write_slots(stack: &mut Stack, e: &Exit, ctx: &TraceCtx) -> u64 {
    // Every value is read from the context, which the writes do not touch.
    let values = &mut stack.values[ctx.root_base()..];
    for &(slot, w, narrow) in &e.writes.from_words {
        let v = ctx.words[w as usize];
        values[slot as usize] = if narrow { v as u32 as u64 } else { v };
    }
    for &(slot, v) in &e.writes.consts {
        values[slot as usize] = v;
    }
    e.acc.map_or(0, |(src, ty)| src.read(ctx, ty))
}

/// The innermost exit taken inside native calls between traces.
pub(crate) struct Unwound {
    /// The accumulator the interpreter resumes with.
    pub(crate) acc: u64,
    /// The exit (trace, exit number), when it is hot enough to grow a side trace.
    pub(crate) side: Option<(u32, usize)>,
}

/// The exit just taken by a trace that another trace called natively (`CallTrace`),
/// handled before the caller goes on: the callee's slots are written back, and the
/// frames the interpreter needs (the callee's own, then those it had inlined) are kept
/// in the JIT state until the outermost trace has exited and pushed its own. The caller
/// then takes its call's exit, which unwinds it the same way.
pub(crate) fn nested(s: &mut StoreInner, ctx: &TraceCtx) {
    let Some(jit) = s.jit.as_mut() else { return };
    let (tn, k) = (ctx.trace, ctx.exit as usize);
    let Some(t) = jit.forest.get_mut(tn) else {
        return;
    };
    let func = t.func;
    let e = &mut t.exits[k];
    let side = e.taken(&jit.params);
    jit.stats.exits += 1;
    jit.stats.nested_exits += 1;
    let e = &jit.forest.get(tn).expect("live").exits[k];
    let acc = write_slots(&mut s.stack, e, ctx);
    if jit.unwound.is_none() {
        jit.unwound = Some(Unwound {
            acc,
            side: side.then_some((tn, k)),
        });
    }
    // Each frame resumes after the call into the next, the innermost at the exit.
    let resume = |j: usize| e.frames.get(j).map_or(e.pc, |f| f.call_pc.wrapping_add(1));
    for j in (0..=e.frames.len()).rev() {
        let (func, base, instance) = match j {
            0 => (func, ctx.root_base(), s.stack.instance),
            _ => {
                let f = &e.frames[j - 1];
                (f.func, ctx.root_base() + f.base as usize, f.instance)
            }
        };
        jit.unwind.push(Frame {
            func,
            ip: resume(j),
            base,
            instance,
        });
    }
}

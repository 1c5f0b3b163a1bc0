//! The recorder: turns the bytecode the interpreter executes into trace IR.
//!
//! Runs alongside the interpreter's recording loop (`interp::exec` with its recording
//! hook): before each instruction the hook calls [`Recorder::step`], which first
//! completes the previous instruction, now that its outcome is known (the branch
//! direction is where execution went, a call shows up as a new frame), and then notes
//! the current one. So the recorder never re-implements an operator: values come from
//! the IR, directions from the interpreter.
//!
//! The slot map holds, for each slot of the root frame and of inlined frames (indexed
//! from the root frame's base), the IR value it has now; a slot read before any write
//! becomes an `Sload` (its value at trace entry), except the root frame's pooled
//! constants, which no instruction writes: those are constants in the IR (unless the code
//! would have to blind an integer one and rebuild it at every use, and then still as a
//! divisor). Guards snapshot the modified slots. A side trace starts with its parent's
//! values at the exit: the modified slots, and the unmodified ones the parent loaded and
//! still holds (`Exit::loaded`), which stay unmodified in its slot map.
//! Recording ends when execution is back at the loop header, at the same call depth,
//! through a backward branch; anything else ends in an abort from [`Abort`].

use super::asm::Loc;
use super::exit::Source;
use super::fuel::{FUEL_SLOT, FuelRun};
use super::ir::{BODY, Cond, Ins, Ir, IrFull, Mem, Op, Ref, SnapFrame, Snapshot, Ty};
use super::trace::Trace;
use super::tree::Link;
use crate::interp::{CompiledFunc, Instr, variants};
use crate::jit::helpers::Helper;
use crate::jit::profile;
use crate::runtime::engine::TypeId;
use crate::runtime::store::{FuncEntity, StoreInner};
use crate::runtime::types::ValType;
use bumpalo::Bump;
use std::sync::atomic::AtomicU64;

/// The most targets a `br_table` dispatches through a table of exits (more are guarded
/// on the recorded index, like a branch).
const MAX_SWITCH: u32 = 256;

/// Defines [`Abort`] once: each reason and its message.
macro_rules! aborts {
    ($( $name:ident: $msg:literal, )*) => {
        /// Why a recording was abandoned.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum Abort {
            $( #[doc = $msg] $name, )*
        }

        impl Abort {
            /// Every reason, in table order.
            pub const ALL: &'static [Abort] = &[$(Abort::$name),*];

            /// A short description.
            pub fn message(self) -> &'static str {
                match self { $( Abort::$name => $msg, )* }
            }
        }
    };
}

aborts! {
    Nyi: "instruction not implemented in traces",
    TooLong: "trace too long",
    TooManyConsts: "too many constants",
    TooManySnapshots: "too many snapshots",
    InlineDepth: "inlining too deep",
    Recursion: "recursive call",
    InnerLoop: "inner loop runs too long to unroll",
    LeftLoop: "left the loop",
    ReturnFromRoot: "returned from the loop's function",
    CrossInstance: "call into another instance",
    Trapped: "trapped while recording",
    HostError: "host call failed while recording",
    Reentered: "host call re-entered WebAssembly",
    CodeSpace: "out of machine-code space",
    TooManySpills: "too many spill slots",
    LinkGone: "the trace to link to was flushed",
    Limited: "memory or table growth under a resource limiter",
    NoBackend: "no JIT backend for this architecture",
}

impl From<IrFull> for Abort {
    fn from(e: IrFull) -> Abort {
        match e {
            IrFull::Instructions => Abort::TooLong,
            IrFull::Constants => Abort::TooManyConsts,
        }
    }
}

/// A frame inlined into the trace.
#[derive(Clone, Copy)]
struct RecFrame {
    func: *const CompiledFunc,
    /// Base in slots from the root frame's base.
    base: u32,
    call_pc: *const Instr,
}

/// An operand as the bytecode names it.
#[derive(Clone, Copy)]
enum Src {
    S(crate::interp::Slot),
    Imm(i32),
    /// The accumulator: the previous instruction's result.
    Acc,
}
use Src::{Acc, Imm, S};

/// The instruction being completed: where it was (`p`), where the interpreter went
/// next (`fallthrough` when it did not branch), whether that was a taken branch, and
/// the frame depth it got to.
#[derive(Clone, Copy)]
struct Site<'p> {
    p: &'p Pending,
    next: *const Instr,
    fallthrough: *const Instr,
    taken: bool,
    depth: usize,
}

/// The instruction the recorder saw last, completed at the next step.
struct Pending {
    pc: *const Instr,
    /// Frame-stack depth when it started.
    depth: usize,
    /// `call_indirect`: the table entry it read, its index and the table's length. A
    /// guarded conversion (`*Guarded`): its operand's bits in `entry`.
    entry: u64,
    index: u32,
    table_len: u32,
}

/// A call the trace makes into a function trace, being stepped over.
struct Skip {
    /// Frame-stack depth of the calling frame (the call returns to it).
    depth: usize,
    /// The callee's base slot (root-relative), where its results appear.
    base: u32,
    results: Vec<Ty>,
    /// Steps of the callee so far (bounded: see [`SKIP_LIMIT`]).
    steps: u32,
}

/// Steps of a callee that a recording waits for before it gives up (the callee runs in
/// the slower recording loop meanwhile).
const SKIP_LIMIT: u32 = 1 << 20;

/// The `CallTrace` target meaning "the function trace being recorded" (up-recursion).
pub(crate) const SELF: u32 = u32::MAX;

/// What the interpreter should do after a step.
pub(crate) enum Step {
    Continue,
    /// The trace is complete (it loops, links to another trace, or returns to the
    /// interpreter: [`Recorder::link`]).
    Close,
    Abort(Abort),
}

/// Where a recording started, for penalties and events once the recorder is gone.
pub(crate) struct Origin {
    pub(crate) root: *const CompiledFunc,
    pub(crate) loop_id: u32,
    pub(crate) parent: Option<(u32, u32)>,
    /// Function index and bytecode offset of the instruction completed last.
    pub(crate) at: (u32, usize),
}

/// One line of the recorded bytecode, for the dump.
pub(crate) struct Recorded {
    pub(crate) depth: usize,
    pub(crate) func_index: u32,
    pub(crate) at: usize,
    pub(crate) text: String,
    /// The first IR instruction emitted for it (the IR's length when it was recorded):
    /// its IR runs to the next recorded instruction's.
    pub(crate) ir: u32,
}

/// The recording of one trace.
pub(crate) struct Recorder {
    // Field order matters: `ir` borrows from `arena` and must be dropped first.
    pub(crate) ir: Ir<'static>,
    _arena: Box<Bump>,
    pub(crate) start_pc: *const Instr,
    pub(crate) root: *const CompiledFunc,
    pub(crate) loop_id: u32,
    /// The parent trace and exit of a side trace.
    pub(crate) parent: Option<(u32, u32)>,
    /// How the trace ends, once it is complete.
    pub(crate) link: Link,
    /// Frame-stack length of the root frame.
    pub(crate) root_depth: usize,
    /// The `stop` of the `run` that records (re-entered runs do not record).
    pub(crate) stop: usize,
    pub(crate) instance: u32,
    frames: Vec<RecFrame>,
    pub(crate) slots: Vec<Ref>,
    pub(crate) sloads: Vec<Ref>,
    acc: Ref,
    pending: Option<Pending>,
    pub(crate) max_depth: usize,
    max_snap: usize,
    max_inline: usize,
    /// Backedges taken so far of each inner loop header, and the limit.
    unrolled: Vec<(*const Instr, u32)>,
    max_unroll: u32,
    /// Whether to keep the recorded bytecode as text (for the dump).
    logging: bool,
    /// The function and instruction completed last (where an abort happened).
    last: (*const CompiledFunc, *const Instr),
    pub(crate) log: Vec<Recorded>,
    /// The root's epoch check is in the IR (see `I::Epoch`).
    epoch_checked: bool,
    /// The straight-line run whose fuel the trace charges (see `fuel`).
    fuel: FuelRun,
    /// The store's fuel left (pseudo-slot `FUEL_SLOT`), once the trace has read it.
    fuel_left: Ref,
    /// Set when a side trace's start did not fit the IR: the first step aborts.
    broken: bool,
    /// A side trace of a `Switch`'s target.
    from_switch: bool,
    /// A side trace whose parent exits at a branch's failed guard: that branch, at
    /// `start_pc`, goes the other way, which needs no guard. Cleared once the first
    /// instruction is recorded.
    implied: bool,
    /// A call made as a call into a function trace (`CallTrace`), whose execution the
    /// recording steps over until it returns.
    skip: Option<Skip>,
    /// The `call_indirect` targets the trace guards on: (site, table entry).
    pub(crate) icall_targets: Vec<(*const Instr, u64)>,
    /// Slots written so far (each once), so snapshots need not scan the whole map.
    written: Vec<u32>,
    is_written: Vec<bool>,
    pub(crate) started: std::time::Instant,
    /// Constant blinding is on: constants the code would blind are loaded instead.
    blind: bool,
    /// Links may enter a loop body (the `bodylink` tunable).
    body_link: bool,
}

impl Recorder {
    /// Starts recording a root trace at loop header `pc` (loop `loop_id` of the
    /// innermost frame's function), or at its entry for [`super::ENTRY`].
    pub(crate) fn new(
        s: &StoreInner,
        pc: *const Instr,
        loop_id: u32,
        stop: usize,
        params: &crate::JitParams,
        logging: bool,
    ) -> Box<Recorder> {
        let mut rec = Recorder::blank(s, pc, loop_id, stop, params, logging);
        if loop_id == super::ENTRY {
            // A function trace starts at the function's first instruction, with nothing
            // pending, and with the locals and constants the entry sets (a call from
            // another trace enters it without the interpreter's frame setup).
            rec.pending = None;
            // SAFETY: translations are owned by modules the store keeps alive.
            if rec.seed_frame(unsafe { &*rec.root }, 0).is_err() {
                rec.broken = true;
            }
        }
        rec
    }

    /// A recording at `pc` in the innermost frame, with an empty slot map.
    fn blank(
        s: &StoreInner,
        pc: *const Instr,
        loop_id: u32,
        stop: usize,
        params: &crate::JitParams,
        logging: bool,
    ) -> Box<Recorder> {
        let arena = Box::new(Bump::new());
        // SAFETY: the arena is boxed (its address is stable) and owned by the recorder,
        // which drops `ir` (declared first) before it; nothing else keeps the `'static`
        // borrow.
        let arena_ref: &'static Bump = unsafe { &*(&*arena as *const Bump) };
        let frame = s.stack.frames.last().expect("recording needs a frame");
        let mut ir = Ir::new(arena_ref, params.maxrecord, params.maxirconst);
        let module = &s.instances[frame.instance as usize].module.inner;
        ir.mem_floor = module.memories.first().map_or(0, |m| {
            u64::from(m.minimum()) * crate::runtime::store::PAGE_SIZE as u64
        });
        Box::new(Recorder {
            ir,
            _arena: arena,
            start_pc: pc,
            root: frame.func,
            loop_id,
            parent: None,
            link: Link::Loop,
            root_depth: s.stack.frames.len(),
            stop,
            instance: frame.instance,
            frames: Vec::new(),
            slots: Vec::new(),
            sloads: Vec::new(),
            acc: Ref::NONE,
            pending: Some(Pending {
                pc,
                depth: s.stack.frames.len(),
                entry: 0,
                index: 0,
                table_len: 0,
            }),
            max_depth: 0,
            max_snap: params.maxsnap as usize,
            max_inline: params.maxinline as usize,
            unrolled: Vec::new(),
            max_unroll: params.loopunroll,
            logging,
            last: (frame.func, pc),
            log: Vec::new(),
            broken: false,
            epoch_checked: false,
            fuel: FuelRun::new(0),
            fuel_left: Ref::NONE,
            from_switch: false,
            implied: false,
            skip: None,
            icall_targets: Vec::new(),
            written: Vec::new(),
            is_written: Vec::new(),
            started: std::time::Instant::now(),
            blind: params.blind != 0,
            body_link: params.bodylink != 0,
        })
    }

    /// Puts the zeroed locals and the constants of `f`'s frame at `base` in the map.
    fn seed_frame(&mut self, f: &CompiledFunc, base: u32) -> Result<(), Abort> {
        let zero = self.ir.k(Ty::I64, 0)?;
        let locals = f.num_params..f.num_params + f.num_locals;
        for i in locals.clone() {
            self.set_abs((base + i) as usize, zero);
        }
        for (i, &c) in f.consts.iter().enumerate() {
            let k = self.ir.k(Ty::I64, c)?;
            self.set_abs((base + locals.end) as usize + i, k);
        }
        Ok(())
    }

    /// Starts recording a side trace from exit `k` of `parent`, whose state the
    /// interpreter has been given: the exit's slots and accumulator are inherited where
    /// the parent keeps them, its inlined frames are the recording's frames.
    pub(crate) fn new_side(
        s: &StoreInner,
        parent: &Trace,
        k: usize,
        stop: usize,
        params: &crate::JitParams,
        logging: bool,
    ) -> Box<Recorder> {
        let e = &parent.exits[k];
        let root_depth = s.stack.frames.len() - e.frames.len();
        let root_frame = &s.stack.frames[root_depth - 1];
        let mut rec = Recorder::blank(s, e.pc, parent.loop_id, stop, params, logging);
        rec.root = parent.func;
        rec.root_depth = root_depth;
        rec.instance = root_frame.instance;
        rec.parent = Some((parent.number, k as u32));
        rec.link = Link::Interp;
        rec.pending = None;
        rec.last = (root_frame.func, e.pc);
        rec.frames = e
            .frames
            .iter()
            .map(|f| RecFrame {
                func: f.func,
                base: f.base,
                call_pc: f.call_pc,
            })
            .collect();
        rec.max_depth = rec.frames.len();
        rec.from_switch = e.slot.is_some();
        rec.implied = e.branch;
        rec.fuel = FuelRun::new(e.fuel);
        // A parent exit that charged fuel ahead opens a run at once, to settle it.
        let settled = rec
            .inherit(&e.entries, &e.loaded, e.acc)
            .and_then(|()| match e.fuel {
                0 => Ok(()),
                _ => rec.open_fuel(e.pc),
            });
        if settled.is_err() {
            // Too many values for the IR's limits: the first step aborts.
            rec.pending = None;
            rec.broken = true;
        }
        rec
    }

    /// Seeds the slot map with the parent's values at the exit: the slots it modified,
    /// and those it loaded (which stay unmodified: their value is the frame's).
    fn inherit(
        &mut self,
        entries: &[(u32, Source, Ty)],
        loaded: &[(u32, Source, Ty)],
        acc: Option<(Source, Ty)>,
    ) -> Result<(), Abort> {
        let mut seen: Vec<(Source, Ref)> = Vec::new();
        let mut value = |ir: &mut Ir<'static>, src: Source, ty: Ty| -> Result<Ref, Abort> {
            if let Source::Const(k) = src {
                return Ok(ir.k(ty, k)?);
            }
            if let Some(&(_, r)) = seen.iter().find(|(s, r)| *s == src && ir.ty(*r) == ty) {
                return Ok(r);
            }
            let loc = src.loc().unwrap_or(Loc::None);
            let r = ir.push(Ins::new(Op::Parent, ty, Ref::NONE, Ref::NONE, loc.bits()))?;
            seen.push((src, r));
            Ok(r)
        };
        for &(slot, src, ty) in entries {
            let r = value(&mut self.ir, src, ty)?;
            if slot == FUEL_SLOT {
                self.fuel_left = r;
            } else {
                self.set_abs(slot as usize, r);
            }
        }
        for &(slot, src, ty) in loaded {
            let r = value(&mut self.ir, src, ty)?;
            let abs = slot as usize;
            self.ensure(abs);
            self.slots[abs] = r;
            self.sloads[abs] = r;
        }
        if let Some((src, ty)) = acc {
            self.acc = value(&mut self.ir, src, ty)?;
        }
        Ok(())
    }

    /// Where the recording started, and where it is.
    pub(crate) fn origin(&self) -> Origin {
        Origin {
            root: self.root,
            loop_id: self.loop_id,
            parent: self.parent,
            at: self.location(),
        }
    }

    /// The function whose frame is innermost in the trace.
    fn func(&self) -> &CompiledFunc {
        let f = self.frames.last().map_or(self.root, |f| f.func);
        // SAFETY: translations are owned by modules the store keeps alive.
        unsafe { &*f }
    }

    fn base(&self) -> u32 {
        self.frames.last().map_or(0, |f| f.base)
    }

    /// Completes the pending instruction now that execution is at `pc`, then notes `pc`.
    pub(crate) fn step(&mut self, s: &StoreInner, pc: *const Instr) -> Step {
        match self.step_inner(s, pc) {
            Ok(step) => step,
            Err(a) => Step::Abort(a),
        }
    }

    /// The interpreter returned from the root frame to its driver: the pending return
    /// ends a trace that may return (see `stop_return`); anything else aborts.
    pub(crate) fn step_return(&mut self, s: &StoreInner) -> Result<(), Abort> {
        let returns = self.parent.is_some() || self.loop_id == super::ENTRY;
        match self.pending.take() {
            Some(p) if returns && self.skip.is_none() && s.stack.frames.len() < self.root_depth => {
                self.stop_return(p.pc).map(|_| ())
            }
            _ => Err(Abort::ReturnFromRoot),
        }
    }

    fn step_inner(&mut self, s: &StoreInner, pc: *const Instr) -> Result<Step, Abort> {
        if self.broken {
            return Err(Abort::TooLong);
        }
        let depth = s.stack.frames.len();
        if let Some(skip) = &mut self.skip {
            if depth > skip.depth {
                skip.steps += 1;
                if skip.steps > SKIP_LIMIT {
                    return Err(Abort::TooLong);
                }
                return Ok(Step::Continue);
            }
            let skip = self.skip.take().expect("checked");
            self.returned(skip)?;
        }
        if let Some(p) = self.pending.take() {
            if depth < self.root_depth && (self.parent.is_some() || self.loop_id == super::ENTRY) {
                // The trace returned from its tree's root frame: it ends with the return.
                return self.stop_return(p.pc);
            }
            self.complete(s, &p, pc, depth)?;
            self.implied = false;
            if self.skip.is_some() {
                // A call into a function trace: `pc` is the callee's, stepped over.
                return Ok(Step::Continue);
            }
            // SAFETY: `pc` points at an instruction of the innermost frame's code.
            let at_loop = matches!(unsafe { *pc }, Instr::Loop { .. });
            let backedge = at_loop && depth == p.depth && pc <= p.pc && p.pc != pc;
            // A root loop trace back at its own header (a function trace never is).
            let at_header = self.parent.is_none()
                && self.loop_id != super::ENTRY
                && pc == self.start_pc
                && depth == self.root_depth;
            if backedge && at_header {
                self.fuel.close(&mut self.ir);
                return Ok(Step::Close);
            }
            if let Some(step) = self.link_at(s, pc, depth)? {
                return Ok(step);
            }
            if backedge {
                // An inner loop's backedge: unroll a short inner loop into this trace.
                let n = match self.unrolled.iter_mut().find(|(p, _)| *p == pc) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        self.unrolled.push((pc, 1));
                        1
                    }
                };
                if n > self.max_unroll {
                    return Err(Abort::InnerLoop);
                }
            }
            if at_header {
                return Err(Abort::LeftLoop);
            }
        }
        if depth < self.root_depth {
            return Err(Abort::ReturnFromRoot);
        }
        let (mut entry, mut index_val, mut table_len) = (0, 0, 0);
        // SAFETY: as above.
        let instr = unsafe { *pc };
        if let Instr::CallIndirect { index, table, .. }
        | Instr::CallIndirectEpoch { index, table, .. } = instr
        {
            (entry, index_val, table_len) = self.table_entry(s, index, table);
        }
        if let Some((_, src, _)) = instr.guarded_trunc() {
            entry = Self::live_slot(s, src);
        }
        if self.ir.len() >= 1 << 30 {
            return Err(Abort::TooLong);
        }
        self.pending = Some(Pending {
            pc,
            depth,
            entry,
            index: index_val,
            table_len,
        });
        Ok(Step::Continue)
    }

    /// The `br_table` at `pc` on `index` plus `bias`, which took entry `i` of its `len + 1`:
    /// a switch over its entries, or a guard on the one taken.
    fn br_table(
        &mut self,
        pc: *const Instr,
        index: Src,
        bias: i32,
        len: u32,
        i: u32,
    ) -> Result<(), Abort> {
        let mut x = self.get(index, Ty::I32)?;
        if bias != 0 {
            let k = self.get(Imm(bias), Ty::I32)?;
            x = self.emit(Op::Add, Ty::I32, x, k, 0)?;
        }
        if self.ir.konst(x).is_none()
            && len < MAX_SWITCH
            && self.ir.snaps.len() + (len as usize) < self.max_snap
        {
            // SAFETY: a `br_table` is followed by its `len + 1` entries.
            self.switch(x, len, i, |c| unsafe { pc.add(1 + c) })?;
        } else if i < len {
            let k = self.ir.k(Ty::I32, u64::from(i))?;
            self.guard_cond(Cond::Eq, x, k, pc)?;
        } else {
            let k = self.ir.k(Ty::I32, u64::from(len))?;
            self.guard_cond(Cond::GeU, x, k, pc)?;
        }
        Ok(())
    }

    /// At a loop header that has a trace: a trace in the tree's root frame links to it;
    /// a side trace deeper in inlined calls returns to the interpreter there, which
    /// enters that trace with the frames pushed. Roots unroll such loops instead.
    fn link_at(
        &mut self,
        s: &StoreInner,
        pc: *const Instr,
        depth: usize,
    ) -> Result<Option<Step>, Abort> {
        // SAFETY: `pc` points at an instruction of the innermost frame's code.
        let Instr::Loop { id, .. } = (unsafe { *pc }) else {
            return Ok(None);
        };
        let func = s.stack.frames[depth - 1].func;
        let Some(target) = super::loop_trace(s, func, id) else {
            return Ok(None);
        };
        if depth == self.root_depth {
            let mut aux = u64::from(target);
            if let Some(entry) = self.body_entry(s, target, pc) {
                self.fuel.close(&mut self.ir);
                self.replay(&entry, pc)?;
                aux |= BODY;
            }
            return self.stop(Op::Link, aux, pc).map(Some);
        }
        if self.parent.is_some() {
            return self.stop(Op::Exit, 0, pc).map(Some);
        }
        Ok(None)
    }

    /// How this trace, at the header `pc` of root `target`, may enter that root's loop
    /// body (see `reentry`): when it can, not straight from the header it started at (an
    /// exit of the entry's own checks), and without fuel, when the checks pass on the
    /// values the slots hold now (an entry that would fail goes to the top instead).
    fn body_entry(
        &self,
        s: &StoreInner,
        target: u32,
        pc: *const Instr,
    ) -> Option<super::reentry::BodyEntry> {
        if !self.body_link || pc == self.start_pc || !self.fuel_left.is_none() {
            return None;
        }
        let jit = s.jit.as_ref()?;
        let entry = jit.forest.get(target)?.body_entry.as_ref()?;
        let slot = |abs: u64| Self::live_slot(s, crate::interp::Slot(abs as u32));
        entry.passes(slot).then(|| entry.clone())
    }

    /// Emits body entry `entry` at the header `pc`: its guards exit there, and its
    /// values go to the body as `LinkArg`s.
    fn replay(&mut self, entry: &super::reentry::BodyEntry, pc: *const Instr) -> Result<(), Abort> {
        let mut map: Vec<Ref> = Vec::with_capacity(entry.ins.len());
        for ins in &entry.ins {
            let copy = ins.remapped(&map);
            let r = match ins.op {
                Op::K => self.ir.k(ins.ty, ins.aux)?,
                Op::Sload => {
                    let v = self.get_abs(ins.aux as usize, ins.ty)?;
                    self.convert(v, ins.ty)?
                }
                op if op.has(super::ir::flag::GUARD) => {
                    self.guard(copy, pc)?;
                    Ref::NONE
                }
                _ => self.ir.emit(copy)?,
            };
            map.push(r);
        }
        for (k, &(i, _)) in entry.args.iter().enumerate() {
            let v = map[i as usize];
            self.ir
                .push(Ins::new(Op::LinkArg, Ty::Void, v, Ref::NONE, k as u64))?;
        }
        Ok(())
    }

    /// Ends the trace with `op` (`Link` to trace `aux`, or `Exit` to the interpreter),
    /// whose snapshot resumes at `pc`.
    fn stop(&mut self, op: Op, aux: u64, pc: *const Instr) -> Result<Step, Abort> {
        self.fuel.close(&mut self.ir);
        let r = self
            .ir
            .push(Ins::new(op, Ty::Void, Ref::NONE, Ref::NONE, aux))?;
        let snap = self.snapshot(pc, r);
        self.ir.snaps.push(snap);
        self.link = match op {
            Op::Link if aux & BODY != 0 => Link::Body(aux as u32),
            Op::Link => Link::Trace(aux as u32),
            _ => Link::Interp,
        };
        Ok(Step::Close)
    }

    /// Ends the trace at the return (at `pc`) from its tree's root frame. Entered from
    /// the interpreter, the trace exits there and the interpreter returns; called from
    /// another trace (`CallTrace`), it writes the results to its frame's first slots and
    /// returns to that trace.
    fn stop_return(&mut self, pc: *const Instr) -> Result<Step, Abort> {
        self.fuel.close(&mut self.ir);
        self.guard(Ins::new(Op::Native, Ty::Void, Ref::NONE, Ref::NONE, 0), pc)?;
        // SAFETY: `pc` is the return instruction just completed, in the root frame.
        let results: Vec<Ref> = match unsafe { *pc } {
            Instr::ReturnSlot { src } | Instr::ReturnSlotA { src } => vec![self.get_any(src)?],
            Instr::ReturnImm { bits } => vec![self.ir.k(Ty::I64, bits)?],
            Instr::ReturnMany { src, n } => (0..n)
                .map(|i| self.get_any(crate::interp::Slot(src.0 + i)))
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        for (i, r) in results.into_iter().enumerate() {
            self.ir
                .push(Ins::new(Op::SlotStore, Ty::Void, r, Ref::NONE, i as u64))?;
        }
        self.ir
            .push(Ins::new(Op::Ret, Ty::Void, Ref::NONE, Ref::NONE, 0))?;
        self.link = Link::Return;
        Ok(Step::Close)
    }

    /// The current value of slot `slot` of the innermost interpreter frame.
    fn live_slot(s: &StoreInner, slot: crate::interp::Slot) -> u64 {
        let f = s.stack.frames.last().expect("frame");
        s.stack.values[f.base + slot.0 as usize]
    }

    /// The entry a `call_indirect` reads now, its index, and the table's length.
    fn table_entry(
        &self,
        s: &StoreInner,
        index: crate::interp::Slot,
        table: u16,
    ) -> (u64, u32, u32) {
        let i = Self::live_slot(s, index) as u32;
        let inst = &s.instances[s.stack.instance as usize];
        let elems = &s.tables[inst.tables[table as usize] as usize].elems;
        let e = elems.get(i as usize).copied().unwrap_or(u64::MAX);
        (e, i, u32::try_from(elems.len()).unwrap_or(u32::MAX))
    }

    // ---- the slot map ----

    fn abs(&self, slot: crate::interp::Slot) -> usize {
        (self.base() + slot.0) as usize
    }

    fn ensure(&mut self, abs: usize) {
        if abs >= self.slots.len() {
            self.slots.resize(abs + 1, Ref::NONE);
            self.sloads.resize(abs + 1, Ref::NONE);
            self.is_written.resize(abs + 1, false);
        }
    }

    /// The value of slot `abs` (root-relative), whatever its type.
    fn get_abs(&mut self, abs: usize, ty: Ty) -> Result<Ref, Abort> {
        self.ensure(abs);
        if self.slots[abs].is_none() {
            let r = match self.root_const(abs, ty) {
                Some(bits) => self.ir.k(Ty::I64, bits)?,
                None => self
                    .ir
                    .push(Ins::new(Op::Sload, ty, Ref::NONE, Ref::NONE, abs as u64))?,
            };
            self.slots[abs] = r;
            self.sloads[abs] = r;
        }
        Ok(self.slots[abs])
    }

    /// The pooled constant that root-frame slot `abs` holds, if it is one. The
    /// interpreter copies the pool into the frame at entry and no instruction writes it,
    /// so the slot always holds that constant.
    fn pooled(&self, abs: usize) -> Option<u64> {
        // SAFETY: translations are owned by modules the store keeps alive.
        let f = unsafe { &*self.root };
        let i = abs.checked_sub((f.num_params + f.num_locals) as usize)?;
        f.consts.get(i).copied()
    }

    /// The pooled constant a trace reads root-frame slot `abs` as type `ty`, instead of
    /// loading it (and never restores it). A constant the code must blind is read from
    /// the store's pool at its use (see `kpool`), which costs no more than the load of a
    /// register's spill slot; but not an integer where the backend rebuilds blinded
    /// integers at every use instead (see `asm::pooled_type`): loaded once, it stays in a
    /// register or spill slot.
    fn root_const(&self, abs: usize, ty: Ty) -> Option<u64> {
        let pooled = super::asm::pooled_type(ty);
        self.pooled(abs)
            .filter(|&k| pooled || !(self.blind && super::asm::needs_blinding(k)))
    }

    /// The value of operand `src` as type `ty`.
    fn get(&mut self, src: Src, ty: Ty) -> Result<Ref, Abort> {
        let r = match src {
            S(slot) => self.get_abs(self.abs(slot), ty)?,
            Imm(i) => {
                let bits = match ty {
                    Ty::I64 => i as i64 as u64,
                    _ => u64::from(i as u32),
                };
                return Ok(self.ir.k(ty, bits)?);
            }
            Acc => {
                if self.acc.is_none() {
                    return Err(Abort::Nyi);
                }
                self.acc
            }
        };
        self.convert(r, ty)
    }

    /// The value of a slot in its current type (untyped moves).
    fn get_any(&mut self, slot: crate::interp::Slot) -> Result<Ref, Abort> {
        self.get_abs(self.abs(slot), Ty::I64)
    }

    /// `r` reinterpreted as `ty` (slots hold bits; untyped moves can change the view).
    fn convert(&mut self, r: Ref, ty: Ty) -> Result<Ref, Abort> {
        self.ir.convert(r, ty).map_err(|e| match e {
            Some(full) => full.into(),
            None => Abort::Nyi,
        })
    }

    fn put(&mut self, slot: crate::interp::Slot, r: Ref) {
        let abs = self.abs(slot);
        self.set_abs(abs, r);
        self.acc = r;
    }

    /// Writes slot `abs` (root-relative), remembering it among the written slots.
    fn set_abs(&mut self, abs: usize, r: Ref) {
        self.ensure(abs);
        if !self.is_written[abs] {
            self.is_written[abs] = true;
            self.written.push(abs as u32);
        }
        self.slots[abs] = r;
    }

    fn emit(&mut self, op: Op, ty: Ty, a: Ref, b: Ref, aux: u64) -> Result<Ref, Abort> {
        Ok(self.ir.emit(Ins::new(op, ty, a, b, aux))?)
    }

    // ---- snapshots and guards ----

    /// The interpreter state to resume at `pc`.
    fn snapshot(&self, pc: *const Instr, at: Ref) -> Snapshot {
        let entries = self.modified();
        // SAFETY: `pc` points into the innermost frame's code.
        let acc = if unsafe { acc_read_from(pc) } {
            self.acc
        } else {
            Ref::NONE
        };
        Snapshot {
            pc,
            frames: self
                .frames
                .iter()
                .map(|f| SnapFrame {
                    func: f.func,
                    base: f.base,
                    call_pc: f.call_pc,
                    instance: self.instance,
                })
                .collect(),
            entries,
            acc,
            at,
            fuel: self.fuel.ahead(),
            branch: false,
            known: false,
        }
    }

    /// Emits a guard that exits to `pc` (re-executing it) when it fails.
    fn guard(&mut self, ins: Ins, pc: *const Instr) -> Result<(), Abort> {
        let r = self.ir.emit_new(ins)?;
        if let Some(r) = r.filter(|&r| self.ir.get(r).op.has(super::ir::flag::GUARD)) {
            if self.ir.snaps.len() >= self.max_snap {
                return Err(Abort::TooManySnapshots);
            }
            let mut snap = self.snapshot(pc, r);
            // `Guard ne x k` exits only when `x == k`: a comparison's result (often the
            // accumulator its branch reads) need not be kept for the exit.
            if ins.op == Op::Guard
                && ins.cond() == Cond::Ne
                && self.ir.get(ins.a).op == Op::Cmp
                && self.ir.konst(ins.b).is_some()
            {
                snap.restore_as(ins.a, ins.b);
            }
            self.ir.snaps.push(snap);
        }
        Ok(())
    }

    /// The store's fuel left, read at its first use.
    fn fuel_left(&mut self) -> Result<Ref, Abort> {
        if self.fuel_left.is_none() {
            let slot = u64::from(FUEL_SLOT);
            self.fuel_left =
                self.ir
                    .push(Ins::new(Op::Sload, Ty::I64, Ref::NONE, Ref::NONE, slot))?;
        }
        Ok(self.fuel_left)
    }

    /// Records an `Instr::Fuel` of `cost` at `pc` (see `fuel`).
    fn charge_fuel(&mut self, cost: u32, pc: *const Instr) -> Result<(), Abort> {
        if !self.fuel.is_open() {
            self.open_fuel(pc)?;
        }
        self.fuel.add(&mut self.ir, cost);
        Ok(())
    }

    /// Opens a fuel run at the `Instr::Fuel` at `pc` (see `fuel`): its guard resumes
    /// there.
    fn open_fuel(&mut self, pc: *const Instr) -> Result<(), Abort> {
        let left = self.fuel_left()?;
        let r = self
            .ir
            .push(Ins::new(Op::FuelSub, Ty::I64, left, Ref::NONE, 0))?;
        self.fuel_left = r;
        self.fuel.open(r, self.ir.snaps.len());
        let zero = self.ir.k(Ty::I64, 0)?;
        self.guard_cond(Cond::GeS, r, zero, pc)
    }

    fn guard_cond(&mut self, c: Cond, a: Ref, b: Ref, pc: *const Instr) -> Result<(), Abort> {
        self.guard(Ins::new(Op::Guard, Ty::Void, a, b, c as u64), pc)
    }

    // ---- profiling ----

    /// Counts in the trace what the interpreter counted at the instruction just recorded.
    fn count(&mut self, counter: Option<&AtomicU64>) -> Result<(), Abort> {
        if let Some(c) = counter {
            let at = c.as_ptr() as u64;
            self.ir
                .push(Ins::new(Op::Count, Ty::Void, Ref::NONE, Ref::NONE, at))?;
        }
        Ok(())
    }

    /// A call through a profiled `call_indirect` site at `pc` passed the trace's guard on
    /// target `entry` (a store function + 1): counts the target and the hit.
    fn count_icall(&mut self, s: &StoreInner, pc: *const Instr, entry: u64) -> Result<(), Abort> {
        let Some(c) = self.icall_site(s, pc) else {
            return Ok(());
        };
        if let Ok(sf) = u32::try_from(entry.wrapping_sub(1)) {
            self.count(Some(c.cell(sf)))?;
        }
        self.count(Some(&c.hits))
    }

    /// A call through a profiled `call_indirect` site at `pc` to the table entry `e`
    /// the trace reads (a megamorphic site): counted by a helper.
    fn count_icall_to(&mut self, s: &StoreInner, pc: *const Instr, e: Ref) -> Result<(), Abort> {
        let Some(c) = self.icall_site(s, pc) else {
            return Ok(());
        };
        let counters = self.ir.k(Ty::I64, std::ptr::from_ref(c).addr() as u64)?;
        self.call_helper(Helper::CountIcall, Ty::Void, [e, counters], 0)?;
        Ok(())
    }

    /// The profile counters of the `call_indirect` at `pc`, when it is profiled.
    fn icall_site<'s>(
        &self,
        s: &'s StoreInner,
        pc: *const Instr,
    ) -> Option<&'s profile::SiteCounters> {
        let f = self.func();
        let prev = f.index_of(pc).checked_sub(1).and_then(|i| f.code.get(i));
        let (prev, func) = (prev.copied(), f.func_index);
        let Some(Instr::ProfIndirect { site, .. }) = prev else {
            return None;
        };
        profile::site_of(s, self.instance, func, site)
    }

    // ---- completing instructions ----

    fn complete(
        &mut self,
        s: &StoreInner,
        p: &Pending,
        next: *const Instr,
        depth: usize,
    ) -> Result<(), Abort> {
        let pc = p.pc;
        self.last = (self.frames.last().map_or(self.root, |f| f.func), pc);
        // SAFETY: `pc` points into the code of the frame that was innermost at the time.
        let instr = unsafe { *pc };
        if self.logging {
            let f = self.func();
            // SAFETY: `pc` is inside `f.code`.
            let at = unsafe { pc.offset_from(f.code.as_ptr()) } as usize;
            self.log.push(Recorded {
                depth: self.frames.len(),
                func_index: f.func_index,
                at,
                text: format!("{instr:?}"),
                ir: self.ir.len() as u32,
            });
        }
        // SAFETY: `pc + 1` is inside the same code (every function ends in a return).
        let fallthrough = unsafe { pc.add(1) };
        let taken = next != fallthrough && depth == p.depth;
        let at = Site {
            p,
            next,
            fallthrough,
            taken,
            depth,
        };
        // One family after another, in the order of the instruction table.
        let Some(instr) = self.control(s, at, instr)? else {
            return Ok(());
        };
        let Some(instr) = self.int_branch(s, at, instr)? else {
            return Ok(());
        };
        let Some(instr) = self.float_branch(s, at, instr)? else {
            return Ok(());
        };
        let Some(instr) = self.moves(s, instr)? else {
            return Ok(());
        };
        let Some(instr) = self.memory(s, at, instr)? else {
            return Ok(());
        };
        let Some(instr) = self.table(s, at, instr)? else {
            return Ok(());
        };
        let Some(instr) = self.int32(s, at, instr)? else {
            return Ok(());
        };
        let Some(instr) = self.int64(s, at, instr)? else {
            return Ok(());
        };
        let Some(instr) = self.float(s, at, instr)? else {
            return Ok(());
        };
        match self.acc_forms(instr)? {
            None => Ok(()),
            // Each instruction belongs to one family; one that did not is not recorded.
            Some(_) => Err(Abort::Nyi),
        }
    }

    /// Control flow that is not a branch: loop headers, epoch and fuel checks, profiling,
    /// traps, returns and calls; `Some(instr)` when `instr` is of another family.
    fn control(
        &mut self,
        s: &StoreInner,
        at: Site<'_>,
        instr: Instr,
    ) -> Result<Option<Instr>, Abort> {
        let Site { p, next, depth, .. } = at;
        let pc = p.pc;
        use Instr as I;
        use Ty::{I32, I64};
        match instr {
            // ---- control ----
            I::Loop { .. }
            | I::EntryHot
            | I::Br { .. }
            | I::Case { .. }
            | I::ProfResume { .. }
            | I::ProfIndirect { .. } => {}
            // One epoch check per iteration of a root trace, at its loop header (the
            // first `Epoch` it records): an iteration is bounded, and every side trace
            // ends by linking to a trace that checks or by returning to the interpreter,
            // which checks. Inlined callees' and unrolled inner loops' checks are dropped.
            I::Epoch if self.parent.is_none() && !self.epoch_checked => {
                self.epoch_checked = true;
                let at = s.engine.epoch().as_ptr() as u64;
                self.guard(Ins::new(Op::Epoch, Ty::Void, Ref::NONE, Ref::NONE, at), pc)?
            }
            I::Epoch => {}
            I::Fuel { cost } => self.charge_fuel(cost, pc)?,
            I::ProfEnter { func } => {
                let c = profile::counters_of(s, self.instance, func);
                self.count(c.map(|c| &c.calls))?
            }
            I::ProfLoop { func } => {
                let c = profile::counters_of(s, self.instance, func);
                self.count(c.map(|c| &c.loops))?
            }
            I::Unreachable => return Err(Abort::Trapped),
            _ if instr.returns() => self.ret(instr)?,
            I::Call { args, .. } | I::CallEpoch { args, .. } => self.call(s, pc, args, depth)?,
            I::CallImport { func, args } => {
                if depth > p.depth {
                    self.call(s, pc, args, depth)?;
                } else {
                    let sf = s.instances[self.instance as usize].funcs[func as usize];
                    self.host_call(s, sf, args, next)?;
                }
            }
            I::CallIndirect {
                index,
                args,
                table,
                ty,
            }
            | I::CallIndirectEpoch {
                index,
                args,
                table,
                ty,
            } => {
                let x = self.get(S(index), I32)?;
                if self.megamorphic(s, pc) {
                    let e = self.call_helper(Helper::TableGet, I64, [x], u64::from(table))?;
                    self.count_icall_to(s, pc, e)?;
                    self.call_any(s, pc, e, args, ty, (p.depth, depth))?;
                } else {
                    self.call_indirect(s, (pc, next), x, args, table, p, depth)?;
                }
            }

            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Conditional branches on integers, and `br_table`; `Some(instr)` when `instr` is of
    /// another family.
    fn int_branch(
        &mut self,
        _s: &StoreInner,
        at: Site<'_>,
        instr: Instr,
    ) -> Result<Option<Instr>, Abort> {
        let Site {
            p,
            next,
            fallthrough,
            taken,
            ..
        } = at;
        let pc = p.pc;
        use Instr as I;
        use Ty::{I32, I64};
        match instr {
            I::BrIfNez { c, off } => self.branch(pc, off, taken, Cond::Ne, I32, S(c), Imm(0))?,
            I::BrIfEqz { c, off } => self.branch(pc, off, taken, Cond::Eq, I32, S(c), Imm(0))?,
            I::BrI64Eqz { c, off } => self.branch(pc, off, taken, Cond::Eq, I64, S(c), Imm(0))?,
            I::Const32BrIfNez { dst, c, val, off } => {
                self.const_branch(at, dst, c.into(), val, off, Cond::Ne)?
            }
            I::Const32BrIfEqz { dst, c, val, off } => {
                self.const_branch(at, dst, c.into(), val, off, Cond::Eq)?
            }
            I::BrIfNezA { off } => self.branch(pc, off, taken, Cond::Ne, I32, Acc, Imm(0))?,
            I::BrIfEqzA { off } => self.branch(pc, off, taken, Cond::Eq, I32, Acc, Imm(0))?,
            I::BrTable { index, len, bias } => {
                // SAFETY: both point into the same code.
                let i = unsafe { next.offset_from(fallthrough) } as u32;
                self.br_table(pc, S(index), bias, len, i)?;
            }
            I::BrTableA { len, bias } => {
                // SAFETY: both point into the same code.
                let i = unsafe { next.offset_from(fallthrough) } as u32;
                self.br_table(pc, Acc, bias, len, i)?;
            }
            I::BrI32Eq { a, b, off } => self.branch(pc, off, taken, Cond::Eq, I32, S(a), S(b))?,
            I::BrI32Ne { a, b, off } => self.branch(pc, off, taken, Cond::Ne, I32, S(a), S(b))?,
            I::BrI32LtS { a, b, off } => self.branch(pc, off, taken, Cond::LtS, I32, S(a), S(b))?,
            I::BrI32LtU { a, b, off } => self.branch(pc, off, taken, Cond::LtU, I32, S(a), S(b))?,
            I::BrI32LeS { a, b, off } => self.branch(pc, off, taken, Cond::LeS, I32, S(a), S(b))?,
            I::BrI32LeU { a, b, off } => self.branch(pc, off, taken, Cond::LeU, I32, S(a), S(b))?,
            I::BrI32GtS { a, b, off } => self.branch(pc, off, taken, Cond::GtS, I32, S(a), S(b))?,
            I::BrI32GtU { a, b, off } => self.branch(pc, off, taken, Cond::GtU, I32, S(a), S(b))?,
            I::BrI32GeS { a, b, off } => self.branch(pc, off, taken, Cond::GeS, I32, S(a), S(b))?,
            I::BrI32GeU { a, b, off } => self.branch(pc, off, taken, Cond::GeU, I32, S(a), S(b))?,
            I::BrI32EqImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::Eq, I32, S(a), Imm(imm))?
            }
            I::BrI32NeImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::Ne, I32, S(a), Imm(imm))?
            }
            I::BrI32LtSImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::LtS, I32, S(a), Imm(imm))?
            }
            I::BrI32LtUImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::LtU, I32, S(a), Imm(imm))?
            }
            I::BrI32LeSImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::LeS, I32, S(a), Imm(imm))?
            }
            I::BrI32LeUImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::LeU, I32, S(a), Imm(imm))?
            }
            I::BrI32GtSImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::GtS, I32, S(a), Imm(imm))?
            }
            I::BrI32GtUImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::GtU, I32, S(a), Imm(imm))?
            }
            I::BrI32GeSImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::GeS, I32, S(a), Imm(imm))?
            }
            I::BrI32GeUImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::GeU, I32, S(a), Imm(imm))?
            }
            I::BrI64Eq { a, b, off } => self.branch(pc, off, taken, Cond::Eq, I64, S(a), S(b))?,
            I::BrI64Ne { a, b, off } => self.branch(pc, off, taken, Cond::Ne, I64, S(a), S(b))?,
            I::BrI64LtS { a, b, off } => self.branch(pc, off, taken, Cond::LtS, I64, S(a), S(b))?,
            I::BrI64LtU { a, b, off } => self.branch(pc, off, taken, Cond::LtU, I64, S(a), S(b))?,
            I::BrI64LeS { a, b, off } => self.branch(pc, off, taken, Cond::LeS, I64, S(a), S(b))?,
            I::BrI64LeU { a, b, off } => self.branch(pc, off, taken, Cond::LeU, I64, S(a), S(b))?,
            I::BrI64GtS { a, b, off } => self.branch(pc, off, taken, Cond::GtS, I64, S(a), S(b))?,
            I::BrI64GtU { a, b, off } => self.branch(pc, off, taken, Cond::GtU, I64, S(a), S(b))?,
            I::BrI64GeS { a, b, off } => self.branch(pc, off, taken, Cond::GeS, I64, S(a), S(b))?,
            I::BrI64GeU { a, b, off } => self.branch(pc, off, taken, Cond::GeU, I64, S(a), S(b))?,
            I::BrI64EqImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::Eq, I64, S(a), Imm(imm))?
            }
            I::BrI64NeImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::Ne, I64, S(a), Imm(imm))?
            }
            I::BrI64LtSImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::LtS, I64, S(a), Imm(imm))?
            }
            I::BrI64LtUImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::LtU, I64, S(a), Imm(imm))?
            }
            I::BrI64LeSImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::LeS, I64, S(a), Imm(imm))?
            }
            I::BrI64LeUImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::LeU, I64, S(a), Imm(imm))?
            }
            I::BrI64GtSImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::GtS, I64, S(a), Imm(imm))?
            }
            I::BrI64GtUImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::GtU, I64, S(a), Imm(imm))?
            }
            I::BrI64GeSImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::GeS, I64, S(a), Imm(imm))?
            }
            I::BrI64GeUImm { a, imm, off } => {
                self.branch(pc, off, taken, Cond::GeU, I64, S(a), Imm(imm))?
            }
            I::BrI32AndNez { a, b, off } => {
                self.bit_branch(pc, off, taken, Cond::Ne, S(a), S(b))?
            }
            I::BrI32AndEqz { a, b, off } => {
                self.bit_branch(pc, off, taken, Cond::Eq, S(a), S(b))?
            }
            I::BrI32AndImmNez { a, imm, off } => {
                self.bit_branch(pc, off, taken, Cond::Ne, S(a), Imm(imm))?
            }
            I::BrI32AndImmEqz { a, imm, off } => {
                self.bit_branch(pc, off, taken, Cond::Eq, S(a), Imm(imm))?
            }
            I::I32AddImmBrEq { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::Eq)?
            }
            I::I32AddImmBrNe { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::Ne)?
            }
            I::I32AddImmBrLtS { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::LtS)?
            }
            I::I32AddImmBrLtU { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::LtU)?
            }
            I::I32AddImmBrLeS { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::LeS)?
            }
            I::I32AddImmBrLeU { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::LeU)?
            }
            I::I32AddImmBrGtS { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::GtS)?
            }
            I::I32AddImmBrGtU { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::GtU)?
            }
            I::I32AddImmBrGeS { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::GeS)?
            }
            I::I32AddImmBrGeU { ctr, b, off, imm } => {
                self.step_branch(at, ctr, imm, S(b), off, Cond::GeU)?
            }
            I::I32AddImmBrEqImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::Eq)?
            }
            I::I32AddImmBrNeImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::Ne)?
            }
            I::I32AddImmBrLtSImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::LtS)?
            }
            I::I32AddImmBrLtUImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::LtU)?
            }
            I::I32AddImmBrLeSImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::LeS)?
            }
            I::I32AddImmBrLeUImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::LeU)?
            }
            I::I32AddImmBrGtSImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::GtS)?
            }
            I::I32AddImmBrGtUImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::GtU)?
            }
            I::I32AddImmBrGeSImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::GeS)?
            }
            // The branch is unconditional: the trace goes on at its target.
            I::I32AddImmBr { ctr, imm, .. } => {
                self.bin(Op::Add, I32, ctr, S(ctr), Imm(i32::from(imm)))?
            }
            I::I32AddImmBrGeUImm { ctr, k, off, imm } => {
                self.step_branch(at, ctr, imm, Imm(k), off, Cond::GeU)?
            }
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Conditional branches on floats, and on the accumulator against an immediate;
    /// `Some(instr)` when `instr` is of another family.
    fn float_branch(
        &mut self,
        _s: &StoreInner,
        at: Site<'_>,
        instr: Instr,
    ) -> Result<Option<Instr>, Abort> {
        let Site { p, taken, .. } = at;
        let pc = p.pc;
        use Instr as I;
        use Ty::{F32, F64, I32};
        match instr {
            I::BrF32Eq { a, b, off } => self.branch(pc, off, taken, Cond::FEq, F32, S(a), S(b))?,
            I::BrF32Ne { a, b, off } => self.branch(pc, off, taken, Cond::FNe, F32, S(a), S(b))?,
            I::BrF32Lt { a, b, off } => self.branch(pc, off, taken, Cond::FLt, F32, S(a), S(b))?,
            I::BrF32Gt { a, b, off } => self.branch(pc, off, taken, Cond::FGt, F32, S(a), S(b))?,
            I::BrF32Le { a, b, off } => self.branch(pc, off, taken, Cond::FLe, F32, S(a), S(b))?,
            I::BrF32Ge { a, b, off } => self.branch(pc, off, taken, Cond::FGe, F32, S(a), S(b))?,
            I::BrF32NotLt { a, b, off } => {
                self.branch(pc, off, taken, Cond::FNotLt, F32, S(a), S(b))?
            }
            I::BrF32NotGt { a, b, off } => {
                self.branch(pc, off, taken, Cond::FNotGt, F32, S(a), S(b))?
            }
            I::BrF32NotLe { a, b, off } => {
                self.branch(pc, off, taken, Cond::FNotLe, F32, S(a), S(b))?
            }
            I::BrF32NotGe { a, b, off } => {
                self.branch(pc, off, taken, Cond::FNotGe, F32, S(a), S(b))?
            }
            I::BrF64Eq { a, b, off } => self.branch(pc, off, taken, Cond::FEq, F64, S(a), S(b))?,
            I::BrF64Ne { a, b, off } => self.branch(pc, off, taken, Cond::FNe, F64, S(a), S(b))?,
            I::BrF64Lt { a, b, off } => self.branch(pc, off, taken, Cond::FLt, F64, S(a), S(b))?,
            I::BrF64Gt { a, b, off } => self.branch(pc, off, taken, Cond::FGt, F64, S(a), S(b))?,
            I::BrF64Le { a, b, off } => self.branch(pc, off, taken, Cond::FLe, F64, S(a), S(b))?,
            I::BrF64Ge { a, b, off } => self.branch(pc, off, taken, Cond::FGe, F64, S(a), S(b))?,
            I::BrF64NotLt { a, b, off } => {
                self.branch(pc, off, taken, Cond::FNotLt, F64, S(a), S(b))?
            }
            I::BrF64NotGt { a, b, off } => {
                self.branch(pc, off, taken, Cond::FNotGt, F64, S(a), S(b))?
            }
            I::BrF64NotLe { a, b, off } => {
                self.branch(pc, off, taken, Cond::FNotLe, F64, S(a), S(b))?
            }
            I::BrF64NotGe { a, b, off } => {
                self.branch(pc, off, taken, Cond::FNotGe, F64, S(a), S(b))?
            }
            I::BrI32EqImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::Eq, I32, Acc, Imm(imm))?
            }
            I::BrI32NeImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::Ne, I32, Acc, Imm(imm))?
            }
            I::BrI32LtSImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::LtS, I32, Acc, Imm(imm))?
            }
            I::BrI32LtUImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::LtU, I32, Acc, Imm(imm))?
            }
            I::BrI32GtSImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::GtS, I32, Acc, Imm(imm))?
            }
            I::BrI32GtUImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::GtU, I32, Acc, Imm(imm))?
            }
            I::BrI32LeSImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::LeS, I32, Acc, Imm(imm))?
            }
            I::BrI32LeUImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::LeU, I32, Acc, Imm(imm))?
            }
            I::BrI32GeSImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::GeS, I32, Acc, Imm(imm))?
            }
            I::BrI32GeUImmA { imm, off } => {
                self.branch(pc, off, taken, Cond::GeU, I32, Acc, Imm(imm))?
            }
            I::BrI32EqA { b, off } => self.branch(pc, off, taken, Cond::Eq, I32, Acc, S(b))?,
            I::BrI32NeA { b, off } => self.branch(pc, off, taken, Cond::Ne, I32, Acc, S(b))?,
            I::BrI32LtSA { b, off } => self.branch(pc, off, taken, Cond::LtS, I32, Acc, S(b))?,
            I::BrI32LtUA { b, off } => self.branch(pc, off, taken, Cond::LtU, I32, Acc, S(b))?,
            I::BrI32GtSA { b, off } => self.branch(pc, off, taken, Cond::GtS, I32, Acc, S(b))?,
            I::BrI32GtUA { b, off } => self.branch(pc, off, taken, Cond::GtU, I32, Acc, S(b))?,
            I::BrI32LeSA { b, off } => self.branch(pc, off, taken, Cond::LeS, I32, Acc, S(b))?,
            I::BrI32LeUA { b, off } => self.branch(pc, off, taken, Cond::LeU, I32, Acc, S(b))?,
            I::BrI32GeSA { b, off } => self.branch(pc, off, taken, Cond::GeS, I32, Acc, S(b))?,
            I::BrI32GeUA { b, off } => self.branch(pc, off, taken, Cond::GeU, I32, Acc, S(b))?,
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Copies, constants, `select` and globals; `Some(instr)` when `instr` is of another
    /// family.
    fn moves(&mut self, s: &StoreInner, instr: Instr) -> Result<Option<Instr>, Abort> {
        use Instr as I;
        use Ty::{I32, I64};
        match instr {
            // ---- moves ----
            // The branch is unconditional: the trace goes on at its target.
            I::Copy { dst, src } | I::CopyBr { dst, src, .. } => {
                let r = self.get_any(src)?;
                self.put(dst, r)
            }
            I::Copy2 {
                dst,
                src,
                dst2,
                src2,
            } => {
                let r = self.get_any(src)?;
                self.put(dst, r);
                let r = self.get_any(src2.into())?;
                self.put(dst2.into(), r)
            }
            I::Const32 { dst, val } => {
                let k = self.ir.k(I32, u64::from(val))?;
                self.put(dst, k)
            }
            I::Const64 { dst, val } => {
                let k = self.ir.k(I64, val)?;
                self.put(dst, k)
            }
            I::Select { dst, b, c } => self.select(dst, dst, b, c)?,
            I::Select3 { dst, a, b, c } => self.select(dst, a.into(), b.into(), c.into())?,
            I::GlobalGet { dst, global } => {
                let r = self.global_get(s, global)?;
                self.put(dst, r)
            }
            // The operand-stack slot that the `global.get` read into is not written.
            I::GlobalAddImm { dst, global, imm } => {
                let x = self.global_get(s, u32::from(global))?;
                let k = self.ir.k(I32, u64::from(i32::from(imm) as u32))?;
                let r = self.emit(Op::Add, I32, x, k, 0)?;
                self.put(dst, r);
                self.global_set(s, dst, u32::from(global))?
            }
            I::GlobalSet { src, global } => self.global_set(s, src, global)?,

            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Loads, stores and the memory operators; `Some(instr)` when `instr` is of another
    /// family.
    fn memory(
        &mut self,
        s: &StoreInner,
        at: Site<'_>,
        instr: Instr,
    ) -> Result<Option<Instr>, Abort> {
        let Site { p, .. } = at;
        let pc = p.pc;
        use Instr as I;
        use Ty::{F32, F64, I32, I64};
        match instr {
            // ---- memory ----
            I::I32Load {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::U32, I32)?,
            I::I64Load {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::W64, I64)?,
            I::F32Load {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::U32, F32)?,
            I::F64Load {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::W64, F64)?,
            I::I32Load8S {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::S8, I32)?,
            I::I32Load8U {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::U8, I32)?,
            I::I32Load16S {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::S16, I32)?,
            I::I32Load16U {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::U16, I32)?,
            I::I64Load8S {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::S8, I64)?,
            I::I64Load8U {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::U8, I64)?,
            I::I64Load16S {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::S16, I64)?,
            I::I64Load16U {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::U16, I64)?,
            I::I64Load32S {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::S32, I64)?,
            I::I64Load32U {
                dst, addr, offset, ..
            } => self.load(pc, dst, S(addr), offset, Mem::U32, I64)?,
            I::I32LoadIdx {
                dst,
                idx,
                offset,
                shift,
                ..
            } => self.load_idx(pc, dst, S(idx), offset, shift, Mem::U32, I32)?,
            I::I32LoadIdxA {
                dst, offset, shift, ..
            } => self.load_idx(pc, dst, Acc, offset, shift, Mem::U32, I32)?,
            I::I64LoadIdx {
                dst,
                idx,
                offset,
                shift,
                ..
            } => self.load_idx(pc, dst, S(idx), offset, shift, Mem::W64, I64)?,
            I::I64LoadIdxA {
                dst, offset, shift, ..
            } => self.load_idx(pc, dst, Acc, offset, shift, Mem::W64, I64)?,
            I::F32LoadIdx {
                dst,
                idx,
                offset,
                shift,
                ..
            } => self.load_idx(pc, dst, S(idx), offset, shift, Mem::U32, F32)?,
            I::F32LoadIdxA {
                dst, offset, shift, ..
            } => self.load_idx(pc, dst, Acc, offset, shift, Mem::U32, F32)?,
            I::F64LoadIdx {
                dst,
                idx,
                offset,
                shift,
                ..
            } => self.load_idx(pc, dst, S(idx), offset, shift, Mem::W64, F64)?,
            I::F64LoadIdxA {
                dst, offset, shift, ..
            } => self.load_idx(pc, dst, Acc, offset, shift, Mem::W64, F64)?,
            variants!(
                { addr, into, dst2, offset, offset2, .. }
                in LoadStore8 | LoadStore16 | LoadStore32 | LoadStore64
            ) => {
                let (m, ty) = match instr {
                    I::LoadStore8 { .. } => (Mem::U8, I32),
                    I::LoadStore16 { .. } => (Mem::U16, I32),
                    I::LoadStore32 { .. } => (Mem::U32, I32),
                    _ => (Mem::W64, I64),
                };
                let slots = [addr.into(), into.into(), dst2.into()];
                self.load_store(at, slots, [offset, offset2], m, ty)?
            }
            variants!(
                { dst, addr, dst2, offset, offset2, .. } in I32LoadPtr | I32Load8UPtr | I64LoadPtr
            ) => {
                let addr = S(addr.into());
                self.load_ptr(at, [dst, dst2.into()], addr, [offset, offset2], instr)?
            }
            variants!(
                { dst, dst2, offset, offset2, .. } in I32LoadPtrA | I32Load8UPtrA | I64LoadPtrA
            ) => self.load_ptr(at, [dst, dst2.into()], Acc, [offset, offset2], instr)?,
            I::I32LoadSum {
                dst,
                a,
                b,
                dst2,
                offset,
                ..
            } => {
                let ab = [S(a.into()), S(b.into())];
                self.load_sum(pc, dst, ab, dst2.into(), offset, Mem::U32, I32)?
            }
            I::I32LoadSumA {
                dst,
                b,
                dst2,
                offset,
                ..
            } => {
                let ab = [Acc, S(b.into())];
                self.load_sum(pc, dst, ab, dst2.into(), offset, Mem::U32, I32)?
            }
            I::I32Load8USum {
                dst,
                a,
                b,
                dst2,
                offset,
                ..
            } => {
                let ab = [S(a.into()), S(b.into())];
                self.load_sum(pc, dst, ab, dst2.into(), offset, Mem::U8, I32)?
            }
            I::I32Load8USumA {
                dst,
                b,
                dst2,
                offset,
                ..
            } => {
                let ab = [Acc, S(b.into())];
                self.load_sum(pc, dst, ab, dst2.into(), offset, Mem::U8, I32)?
            }
            I::I64LoadSum {
                dst,
                a,
                b,
                dst2,
                offset,
                ..
            } => {
                let ab = [S(a.into()), S(b.into())];
                self.load_sum(pc, dst, ab, dst2.into(), offset, Mem::W64, I64)?
            }
            I::I64LoadSumA {
                dst,
                b,
                dst2,
                offset,
                ..
            } => {
                let ab = [Acc, S(b.into())];
                self.load_sum(pc, dst, ab, dst2.into(), offset, Mem::W64, I64)?
            }
            I::F64LoadSum {
                dst,
                a,
                b,
                dst2,
                offset,
                ..
            } => {
                let ab = [S(a.into()), S(b.into())];
                self.load_sum(pc, dst, ab, dst2.into(), offset, Mem::W64, F64)?
            }
            I::F64LoadSumA {
                dst,
                b,
                dst2,
                offset,
                ..
            } => {
                let ab = [Acc, S(b.into())];
                self.load_sum(pc, dst, ab, dst2.into(), offset, Mem::W64, F64)?
            }
            I::I32LoadA { dst, offset, .. } => self.load(pc, dst, Acc, offset, Mem::U32, I32)?,
            I::I64LoadA { dst, offset, .. } => self.load(pc, dst, Acc, offset, Mem::W64, I64)?,
            I::F32LoadA { dst, offset, .. } => self.load(pc, dst, Acc, offset, Mem::U32, F32)?,
            I::F64LoadA { dst, offset, .. } => self.load(pc, dst, Acc, offset, Mem::W64, F64)?,
            I::I32Load8SA { dst, offset, .. } => self.load(pc, dst, Acc, offset, Mem::S8, I32)?,
            I::I32Load8UA { dst, offset, .. } => self.load(pc, dst, Acc, offset, Mem::U8, I32)?,
            I::I32Load16SA { dst, offset, .. } => self.load(pc, dst, Acc, offset, Mem::S16, I32)?,
            I::I32Load16UA { dst, offset, .. } => self.load(pc, dst, Acc, offset, Mem::U16, I32)?,
            I::I32Store {
                addr, val, offset, ..
            } => self.store(pc, S(addr), S(val), offset, Mem::U32, I32)?,
            I::I64Store {
                addr, val, offset, ..
            } => self.store(pc, S(addr), S(val), offset, Mem::W64, I64)?,
            I::F32Store {
                addr, val, offset, ..
            } => self.store(pc, S(addr), S(val), offset, Mem::U32, F32)?,
            I::F64Store {
                addr, val, offset, ..
            } => self.store(pc, S(addr), S(val), offset, Mem::W64, F64)?,
            I::I32Store8 {
                addr, val, offset, ..
            } => self.store(pc, S(addr), S(val), offset, Mem::U8, I32)?,
            I::I32Store16 {
                addr, val, offset, ..
            } => self.store(pc, S(addr), S(val), offset, Mem::U16, I32)?,
            I::I64Store8 {
                addr, val, offset, ..
            } => self.store(pc, S(addr), S(val), offset, Mem::U8, I64)?,
            I::I64Store16 {
                addr, val, offset, ..
            } => self.store(pc, S(addr), S(val), offset, Mem::U16, I64)?,
            I::I64Store32 {
                addr, val, offset, ..
            } => self.store(pc, S(addr), S(val), offset, Mem::U32, I64)?,
            I::I32StoreImm {
                addr, offset, imm, ..
            } => self.store(pc, S(addr), Imm(imm), offset, Mem::U32, I32)?,
            I::I64StoreImm {
                addr, offset, imm, ..
            } => self.store(pc, S(addr), Imm(imm), offset, Mem::W64, I64)?,
            I::I32Store8Imm {
                addr, offset, imm, ..
            } => self.store(pc, S(addr), Imm(imm), offset, Mem::U8, I32)?,
            I::I32Store16Imm {
                addr, offset, imm, ..
            } => self.store(pc, S(addr), Imm(imm), offset, Mem::U16, I32)?,
            I::I32StoreA { addr, offset, .. } => {
                self.store(pc, S(addr), Acc, offset, Mem::U32, I32)?
            }
            I::I64StoreA { addr, offset, .. } => {
                self.store(pc, S(addr), Acc, offset, Mem::W64, I64)?
            }
            I::F32StoreA { addr, offset, .. } => {
                self.store(pc, S(addr), Acc, offset, Mem::U32, F32)?
            }
            I::F64StoreA { addr, offset, .. } => {
                self.store(pc, S(addr), Acc, offset, Mem::W64, F64)?
            }
            I::I32Store8A { addr, offset, .. } => {
                self.store(pc, S(addr), Acc, offset, Mem::U8, I32)?
            }
            I::I32Store16A { addr, offset, .. } => {
                self.store(pc, S(addr), Acc, offset, Mem::U16, I32)?
            }
            I::MemorySize { dst } => {
                let r = self.emit(Op::MemSize, I32, Ref::NONE, Ref::NONE, 0)?;
                self.put(dst, r)
            }
            I::MemoryGrow { .. } | I::TableGrow { .. } if s.limited => {
                return Err(Abort::Limited);
            }
            I::MemoryGrow { dst, delta } => {
                let d = self.get(S(delta), I32)?;
                let r = self.call_helper(Helper::MemoryGrow, I32, [d], 0)?;
                self.put(dst, r)
            }
            I::MemoryFill { args } => self.bulk(pc, Helper::MemoryFill, args, [I32; 3], 0)?,
            I::MemoryCopy { args } => self.bulk(pc, Helper::MemoryCopy, args, [I32; 3], 0)?,
            I::MemoryInit { seg, args } => {
                self.bulk(pc, Helper::MemoryInit, args, [I32; 3], u64::from(seg))?
            }
            I::DataDrop { seg } => {
                self.call_helper(Helper::DataDrop, I32, [], u64::from(seg))?;
            }

            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Table and reference operators; `Some(instr)` when `instr` is of another family.
    fn table(
        &mut self,
        s: &StoreInner,
        at: Site<'_>,
        instr: Instr,
    ) -> Result<Option<Instr>, Abort> {
        let Site { p, .. } = at;
        let pc = p.pc;
        use Instr as I;
        use Ty::{I32, I64};
        match instr {
            // ---- tables and references ----
            I::TableGet { dst, table, index } => {
                let x = self.get(S(index), I32)?;
                let r = self.call_helper(Helper::TableGet, I64, [x], u64::from(table))?;
                let bad = self.ir.k(I64, u64::MAX)?;
                self.guard_cond(Cond::Ne, r, bad, pc)?;
                self.put(dst, r)
            }
            I::TableSet { table, index, val } => {
                let x = self.get(S(index), I32)?;
                let v = self.get(S(val), I64)?;
                let r = self.call_helper(Helper::TableSet, I32, [x, v], u64::from(table))?;
                self.ok_guard(r, pc)?;
            }
            I::TableSize { dst, table } => {
                let r = self.call_helper(Helper::TableSize, I32, [], u64::from(table))?;
                self.put(dst, r)
            }
            I::TableGrow { table, args } => {
                let init = self.get(S(args), I64)?;
                let n = self.get(S(crate::interp::Slot(args.0 + 1)), I32)?;
                let r = self.call_helper(Helper::TableGrow, I32, [init, n], u64::from(table))?;
                self.put(args, r)
            }
            I::TableFill { table, args } => self.bulk(
                pc,
                Helper::TableFill,
                args,
                [I32, I64, I32],
                u64::from(table),
            )?,
            I::TableCopy {
                dst_table,
                src_table,
                args,
            } => {
                if dst_table > 0xffff || src_table > 0xffff {
                    return Err(Abort::Nyi);
                }
                let imm = u64::from(dst_table) | u64::from(src_table) << 16;
                self.bulk(pc, Helper::TableCopy, args, [I32; 3], imm)?
            }
            I::TableInit { table, seg, args } => {
                if table > 0xffff || seg > 0xffff {
                    return Err(Abort::Nyi);
                }
                let imm = u64::from(table) | u64::from(seg) << 16;
                self.bulk(pc, Helper::TableInit, args, [I32; 3], imm)?
            }
            I::ElemDrop { seg } => {
                self.call_helper(Helper::ElemDrop, I32, [], u64::from(seg))?;
            }
            I::RefFunc { dst, func } => {
                let f = s.instances[self.instance as usize].funcs[func as usize];
                let k = self.ir.k(I64, u64::from(f) + 1)?;
                self.put(dst, k)
            }
            I::RefIsNull { dst, src } => self.cmp(dst, Cond::Eq, I64, S(src), Imm(0))?,

            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// The i32 operators; `Some(instr)` when `instr` is of another family.
    fn int32(
        &mut self,
        s: &StoreInner,
        at: Site<'_>,
        instr: Instr,
    ) -> Result<Option<Instr>, Abort> {
        let Site { p, .. } = at;
        let pc = p.pc;
        use Instr as I;
        use Ty::I32;
        match instr {
            // ---- i32 ----
            I::I32Add { dst, a, b } => self.bin(Op::Add, I32, dst, S(a), S(b))?,
            I::I32Sub { dst, a, b } => self.bin(Op::Sub, I32, dst, S(a), S(b))?,
            I::I32Mul { dst, a, b } => self.bin(Op::Mul, I32, dst, S(a), S(b))?,
            I::I32DivS { dst, a, b } => self.div(pc, Op::DivS, I32, dst, a, b)?,
            I::I32DivU { dst, a, b } => self.div(pc, Op::DivU, I32, dst, a, b)?,
            I::I32RemS { dst, a, b } => self.div(pc, Op::RemS, I32, dst, a, b)?,
            I::I32RemU { dst, a, b } => self.div(pc, Op::RemU, I32, dst, a, b)?,
            I::I32And { dst, a, b } => self.bin(Op::And, I32, dst, S(a), S(b))?,
            I::I32Or { dst, a, b } => self.bin(Op::Or, I32, dst, S(a), S(b))?,
            I::I32Xor { dst, a, b } => self.bin(Op::Xor, I32, dst, S(a), S(b))?,
            I::I32Shl { dst, a, b } => self.bin(Op::Shl, I32, dst, S(a), S(b))?,
            I::I32ShrS { dst, a, b } => self.bin(Op::ShrS, I32, dst, S(a), S(b))?,
            I::I32ShrU { dst, a, b } => self.bin(Op::ShrU, I32, dst, S(a), S(b))?,
            I::I32Rotl { dst, a, b } => self.bin(Op::Rotl, I32, dst, S(a), S(b))?,
            I::I32Rotr { dst, a, b } => self.bin(Op::Rotr, I32, dst, S(a), S(b))?,
            I::I32Eq { dst, a, b } => self.cmp(dst, Cond::Eq, I32, S(a), S(b))?,
            I::I32Ne { dst, a, b } => self.cmp(dst, Cond::Ne, I32, S(a), S(b))?,
            I::I32LtS { dst, a, b } => self.cmp(dst, Cond::LtS, I32, S(a), S(b))?,
            I::I32LtU { dst, a, b } => self.cmp(dst, Cond::LtU, I32, S(a), S(b))?,
            I::I32GtS { dst, a, b } => self.cmp(dst, Cond::GtS, I32, S(a), S(b))?,
            I::I32GtU { dst, a, b } => self.cmp(dst, Cond::GtU, I32, S(a), S(b))?,
            I::I32LeS { dst, a, b } => self.cmp(dst, Cond::LeS, I32, S(a), S(b))?,
            I::I32LeU { dst, a, b } => self.cmp(dst, Cond::LeU, I32, S(a), S(b))?,
            I::I32GeS { dst, a, b } => self.cmp(dst, Cond::GeS, I32, S(a), S(b))?,
            I::I32GeU { dst, a, b } => self.cmp(dst, Cond::GeU, I32, S(a), S(b))?,
            I::I32AddImm { dst, a, imm } => self.bin(Op::Add, I32, dst, S(a), Imm(imm))?,
            I::I32MulImm { dst, a, imm } => self.bin(Op::Mul, I32, dst, S(a), Imm(imm))?,
            I::I32AndImm { dst, a, imm } => self.bin(Op::And, I32, dst, S(a), Imm(imm))?,
            I::I32OrImm { dst, a, imm } => self.bin(Op::Or, I32, dst, S(a), Imm(imm))?,
            I::I32XorImm { dst, a, imm } => self.bin(Op::Xor, I32, dst, S(a), Imm(imm))?,
            I::I32ShlImm { dst, a, imm } => self.bin(Op::Shl, I32, dst, S(a), Imm(imm))?,
            I::I32ShrSImm { dst, a, imm } => self.bin(Op::ShrS, I32, dst, S(a), Imm(imm))?,
            I::I32ShrUImm { dst, a, imm } => self.bin(Op::ShrU, I32, dst, S(a), Imm(imm))?,
            I::I32ShrUAndImm {
                dst,
                a,
                mask,
                shift,
                ..
            } => self.shr_u_and(dst, S(a), mask, shift)?,
            I::I32ShlAdd { dst, a, b, shift } => self.shl_add(dst, S(a), S(b), shift)?,
            I::I32ShlAddImm { dst, a, imm, shift } => self.shl_add(dst, S(a), Imm(imm), shift)?,
            I::I32AddImm2 {
                dst,
                a,
                imm,
                dst2,
                a2,
                imm2,
            } => self.two_steps(dst, S(a.into()), imm, [dst2.into(), a2.into()], imm2)?,
            I::I32AddImm2A {
                dst,
                imm,
                dst2,
                a2,
                imm2,
            } => self.two_steps(dst, Acc, imm, [dst2.into(), a2.into()], imm2)?,
            I::I32AddImmCopy { dst, a, imm, dst2 } => {
                self.bin(Op::Add, I32, dst, S(a), Imm(i32::from(imm)))?;
                let r = self.get_any(dst)?;
                self.put(dst2.into(), r)
            }
            I::I32AddImmGlobalSet {
                dst,
                a,
                imm,
                global,
            } => {
                self.bin(Op::Add, I32, dst, S(a), Imm(i32::from(imm)))?;
                self.global_set(s, dst, u32::from(global))?
            }
            I::I32RotlImm { dst, a, imm } => self.bin(Op::Rotl, I32, dst, S(a), Imm(imm))?,
            I::I32EqImm { dst, a, imm } => self.cmp(dst, Cond::Eq, I32, S(a), Imm(imm))?,
            I::I32NeImm { dst, a, imm } => self.cmp(dst, Cond::Ne, I32, S(a), Imm(imm))?,
            I::I32LtSImm { dst, a, imm } => self.cmp(dst, Cond::LtS, I32, S(a), Imm(imm))?,
            I::I32LtUImm { dst, a, imm } => self.cmp(dst, Cond::LtU, I32, S(a), Imm(imm))?,
            I::I32GtSImm { dst, a, imm } => self.cmp(dst, Cond::GtS, I32, S(a), Imm(imm))?,
            I::I32GtUImm { dst, a, imm } => self.cmp(dst, Cond::GtU, I32, S(a), Imm(imm))?,
            I::I32LeSImm { dst, a, imm } => self.cmp(dst, Cond::LeS, I32, S(a), Imm(imm))?,
            I::I32LeUImm { dst, a, imm } => self.cmp(dst, Cond::LeU, I32, S(a), Imm(imm))?,
            I::I32GeSImm { dst, a, imm } => self.cmp(dst, Cond::GeS, I32, S(a), Imm(imm))?,
            I::I32GeUImm { dst, a, imm } => self.cmp(dst, Cond::GeU, I32, S(a), Imm(imm))?,
            I::I32SubImmRev { dst, a, imm } => self.bin(Op::Sub, I32, dst, Imm(imm), S(a))?,
            I::I32Clz { dst, src } => self.un(Op::Clz, I32, I32, dst, S(src), 0)?,
            I::I32Ctz { dst, src } => self.un(Op::Ctz, I32, I32, dst, S(src), 0)?,
            I::I32Popcnt { dst, src } => self.un(Op::Popcnt, I32, I32, dst, S(src), 0)?,
            I::I32Eqz { dst, src } => self.cmp(dst, Cond::Eq, I32, S(src), Imm(0))?,
            I::I32Extend8S { dst, src } => self.un(Op::Ext8, I32, I32, dst, S(src), 0)?,
            I::I32Extend16S { dst, src } => self.un(Op::Ext16, I32, I32, dst, S(src), 0)?,

            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// The i64 operators; `Some(instr)` when `instr` is of another family.
    fn int64(
        &mut self,
        _s: &StoreInner,
        at: Site<'_>,
        instr: Instr,
    ) -> Result<Option<Instr>, Abort> {
        let Site { p, .. } = at;
        let pc = p.pc;
        use Instr as I;
        use Ty::I64;
        match instr {
            // ---- i64 ----
            I::I64Add { dst, a, b } => self.bin(Op::Add, I64, dst, S(a), S(b))?,
            I::I64Sub { dst, a, b } => self.bin(Op::Sub, I64, dst, S(a), S(b))?,
            I::I64Mul { dst, a, b } => self.bin(Op::Mul, I64, dst, S(a), S(b))?,
            I::I64DivS { dst, a, b } => self.div(pc, Op::DivS, I64, dst, a, b)?,
            I::I64DivU { dst, a, b } => self.div(pc, Op::DivU, I64, dst, a, b)?,
            I::I64RemS { dst, a, b } => self.div(pc, Op::RemS, I64, dst, a, b)?,
            I::I64RemU { dst, a, b } => self.div(pc, Op::RemU, I64, dst, a, b)?,
            I::I64And { dst, a, b } => self.bin(Op::And, I64, dst, S(a), S(b))?,
            I::I64Or { dst, a, b } => self.bin(Op::Or, I64, dst, S(a), S(b))?,
            I::I64Xor { dst, a, b } => self.bin(Op::Xor, I64, dst, S(a), S(b))?,
            I::I64Shl { dst, a, b } => self.bin(Op::Shl, I64, dst, S(a), S(b))?,
            I::I64ShrS { dst, a, b } => self.bin(Op::ShrS, I64, dst, S(a), S(b))?,
            I::I64ShrU { dst, a, b } => self.bin(Op::ShrU, I64, dst, S(a), S(b))?,
            I::I64Rotl { dst, a, b } => self.bin(Op::Rotl, I64, dst, S(a), S(b))?,
            I::I64Rotr { dst, a, b } => self.bin(Op::Rotr, I64, dst, S(a), S(b))?,
            I::I64Eq { dst, a, b } => self.cmp(dst, Cond::Eq, I64, S(a), S(b))?,
            I::I64Ne { dst, a, b } => self.cmp(dst, Cond::Ne, I64, S(a), S(b))?,
            I::I64LtS { dst, a, b } => self.cmp(dst, Cond::LtS, I64, S(a), S(b))?,
            I::I64LtU { dst, a, b } => self.cmp(dst, Cond::LtU, I64, S(a), S(b))?,
            I::I64GtS { dst, a, b } => self.cmp(dst, Cond::GtS, I64, S(a), S(b))?,
            I::I64GtU { dst, a, b } => self.cmp(dst, Cond::GtU, I64, S(a), S(b))?,
            I::I64LeS { dst, a, b } => self.cmp(dst, Cond::LeS, I64, S(a), S(b))?,
            I::I64LeU { dst, a, b } => self.cmp(dst, Cond::LeU, I64, S(a), S(b))?,
            I::I64GeS { dst, a, b } => self.cmp(dst, Cond::GeS, I64, S(a), S(b))?,
            I::I64GeU { dst, a, b } => self.cmp(dst, Cond::GeU, I64, S(a), S(b))?,
            I::I64AddImm { dst, a, imm } => self.bin(Op::Add, I64, dst, S(a), Imm(imm))?,
            I::I64MulImm { dst, a, imm } => self.bin(Op::Mul, I64, dst, S(a), Imm(imm))?,
            I::I64AndImm { dst, a, imm } => self.bin(Op::And, I64, dst, S(a), Imm(imm))?,
            I::I64OrImm { dst, a, imm } => self.bin(Op::Or, I64, dst, S(a), Imm(imm))?,
            I::I64XorImm { dst, a, imm } => self.bin(Op::Xor, I64, dst, S(a), Imm(imm))?,
            I::I64ShlImm { dst, a, imm } => self.bin(Op::Shl, I64, dst, S(a), Imm(imm))?,
            I::I64ShrSImm { dst, a, imm } => self.bin(Op::ShrS, I64, dst, S(a), Imm(imm))?,
            I::I64ShrUImm { dst, a, imm } => self.bin(Op::ShrU, I64, dst, S(a), Imm(imm))?,
            I::I64RotlImm { dst, a, imm } => self.bin(Op::Rotl, I64, dst, S(a), Imm(imm))?,
            I::I64EqImm { dst, a, imm } => self.cmp(dst, Cond::Eq, I64, S(a), Imm(imm))?,
            I::I64NeImm { dst, a, imm } => self.cmp(dst, Cond::Ne, I64, S(a), Imm(imm))?,
            I::I64LtSImm { dst, a, imm } => self.cmp(dst, Cond::LtS, I64, S(a), Imm(imm))?,
            I::I64LtUImm { dst, a, imm } => self.cmp(dst, Cond::LtU, I64, S(a), Imm(imm))?,
            I::I64GtSImm { dst, a, imm } => self.cmp(dst, Cond::GtS, I64, S(a), Imm(imm))?,
            I::I64GtUImm { dst, a, imm } => self.cmp(dst, Cond::GtU, I64, S(a), Imm(imm))?,
            I::I64LeSImm { dst, a, imm } => self.cmp(dst, Cond::LeS, I64, S(a), Imm(imm))?,
            I::I64LeUImm { dst, a, imm } => self.cmp(dst, Cond::LeU, I64, S(a), Imm(imm))?,
            I::I64GeSImm { dst, a, imm } => self.cmp(dst, Cond::GeS, I64, S(a), Imm(imm))?,
            I::I64GeUImm { dst, a, imm } => self.cmp(dst, Cond::GeU, I64, S(a), Imm(imm))?,
            I::I64SubImmRev { dst, a, imm } => self.bin(Op::Sub, I64, dst, Imm(imm), S(a))?,
            I::I64Clz { dst, src } => self.un(Op::Clz, I64, I64, dst, S(src), 0)?,
            I::I64Ctz { dst, src } => self.un(Op::Ctz, I64, I64, dst, S(src), 0)?,
            I::I64Popcnt { dst, src } => self.un(Op::Popcnt, I64, I64, dst, S(src), 0)?,
            I::I64Eqz { dst, src } => self.cmp(dst, Cond::Eq, I64, S(src), Imm(0))?,
            I::I64Extend8S { dst, src } => self.un(Op::Ext8, I64, I64, dst, S(src), 0)?,
            I::I64Extend16S { dst, src } => self.un(Op::Ext16, I64, I64, dst, S(src), 0)?,
            I::I64Extend32S { dst, src } => self.un(Op::Ext32, I64, I64, dst, S(src), 0)?,

            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// The float operators and the conversions; `Some(instr)` when `instr` is of another
    /// family.
    fn float(
        &mut self,
        _s: &StoreInner,
        at: Site<'_>,
        instr: Instr,
    ) -> Result<Option<Instr>, Abort> {
        let Site { p, .. } = at;
        let pc = p.pc;
        use Instr as I;
        use Ty::{F32, F64, I32, I64};
        if let Some((dst, src, kind)) = instr.guarded_trunc() {
            self.guarded(p, kind, dst, src)?;
            return Ok(None);
        }
        match instr {
            // ---- f32 / f64 ----
            I::F32Add { dst, a, b } => self.bin(Op::Add, F32, dst, S(a), S(b))?,
            I::F32Sub { dst, a, b } => self.bin(Op::Sub, F32, dst, S(a), S(b))?,
            I::F32Mul { dst, a, b } => self.bin(Op::Mul, F32, dst, S(a), S(b))?,
            I::F32Div { dst, a, b } => self.bin(Op::FDiv, F32, dst, S(a), S(b))?,
            I::F32Min { dst, a, b } => self.bin(Op::FMin, F32, dst, S(a), S(b))?,
            I::F32Max { dst, a, b } => self.bin(Op::FMax, F32, dst, S(a), S(b))?,
            I::F32Copysign { dst, a, b } => self.bin(Op::FCopysign, F32, dst, S(a), S(b))?,
            I::F32Eq { dst, a, b } => self.cmp(dst, Cond::FEq, F32, S(a), S(b))?,
            I::F32Ne { dst, a, b } => self.cmp(dst, Cond::FNe, F32, S(a), S(b))?,
            I::F32Lt { dst, a, b } => self.cmp(dst, Cond::FLt, F32, S(a), S(b))?,
            I::F32Gt { dst, a, b } => self.cmp(dst, Cond::FGt, F32, S(a), S(b))?,
            I::F32Le { dst, a, b } => self.cmp(dst, Cond::FLe, F32, S(a), S(b))?,
            I::F32Ge { dst, a, b } => self.cmp(dst, Cond::FGe, F32, S(a), S(b))?,
            I::F32Abs { dst, src } => self.un(Op::FAbs, F32, F32, dst, S(src), 0)?,
            I::F32Neg { dst, src } => self.un(Op::FNeg, F32, F32, dst, S(src), 0)?,
            I::F32Ceil { dst, src } => self.un(Op::FCeil, F32, F32, dst, S(src), 0)?,
            I::F32Floor { dst, src } => self.un(Op::FFloor, F32, F32, dst, S(src), 0)?,
            I::F32Trunc { dst, src } => self.un(Op::FTrunc, F32, F32, dst, S(src), 0)?,
            I::F32Nearest { dst, src } => self.un(Op::FNearest, F32, F32, dst, S(src), 0)?,
            I::F32Sqrt { dst, src } => self.un(Op::FSqrt, F32, F32, dst, S(src), 0)?,
            I::F64Add { dst, a, b } => self.bin(Op::Add, F64, dst, S(a), S(b))?,
            I::F64Sub { dst, a, b } => self.bin(Op::Sub, F64, dst, S(a), S(b))?,
            I::F64Mul { dst, a, b } => self.bin(Op::Mul, F64, dst, S(a), S(b))?,
            I::F64Div { dst, a, b } => self.bin(Op::FDiv, F64, dst, S(a), S(b))?,
            I::F64Min { dst, a, b } => self.bin(Op::FMin, F64, dst, S(a), S(b))?,
            I::F64Max { dst, a, b } => self.bin(Op::FMax, F64, dst, S(a), S(b))?,
            I::F64Copysign { dst, a, b } => self.bin(Op::FCopysign, F64, dst, S(a), S(b))?,
            I::F64Eq { dst, a, b } => self.cmp(dst, Cond::FEq, F64, S(a), S(b))?,
            I::F64Ne { dst, a, b } => self.cmp(dst, Cond::FNe, F64, S(a), S(b))?,
            I::F64Lt { dst, a, b } => self.cmp(dst, Cond::FLt, F64, S(a), S(b))?,
            I::F64Gt { dst, a, b } => self.cmp(dst, Cond::FGt, F64, S(a), S(b))?,
            I::F64Le { dst, a, b } => self.cmp(dst, Cond::FLe, F64, S(a), S(b))?,
            I::F64Ge { dst, a, b } => self.cmp(dst, Cond::FGe, F64, S(a), S(b))?,
            I::F64Abs { dst, src } => self.un(Op::FAbs, F64, F64, dst, S(src), 0)?,
            I::F64Neg { dst, src } => self.un(Op::FNeg, F64, F64, dst, S(src), 0)?,
            I::F64Ceil { dst, src } => self.un(Op::FCeil, F64, F64, dst, S(src), 0)?,
            I::F64Floor { dst, src } => self.un(Op::FFloor, F64, F64, dst, S(src), 0)?,
            I::F64Trunc { dst, src } => self.un(Op::FTrunc, F64, F64, dst, S(src), 0)?,
            I::F64Nearest { dst, src } => self.un(Op::FNearest, F64, F64, dst, S(src), 0)?,
            I::F64Sqrt { dst, src } => self.un(Op::FSqrt, F64, F64, dst, S(src), 0)?,

            // ---- conversions ----
            I::I32WrapI64 { dst, src } => self.un(Op::Wrap, I64, I32, dst, S(src), 0)?,
            I::I64ExtendI32S { dst, src } => self.un(Op::ExtS, I32, I64, dst, S(src), 0)?,
            I::I64ExtendI32U { dst, src } => self.un(Op::ExtU, I32, I64, dst, S(src), 0)?,
            I::I32TruncF32S { dst, src } => self.trunc(pc, F32, I32, false, dst, src)?,
            I::I32TruncF32U { dst, src } => self.trunc(pc, F32, I32, true, dst, src)?,
            I::I32TruncF64S { dst, src } => self.trunc(pc, F64, I32, false, dst, src)?,
            I::I32TruncF64U { dst, src } => self.trunc(pc, F64, I32, true, dst, src)?,
            I::I64TruncF32S { dst, src } => self.trunc(pc, F32, I64, false, dst, src)?,
            I::I64TruncF32U { dst, src } => self.trunc(pc, F32, I64, true, dst, src)?,
            I::I64TruncF64S { dst, src } => self.trunc(pc, F64, I64, false, dst, src)?,
            I::I64TruncF64U { dst, src } => self.trunc(pc, F64, I64, true, dst, src)?,
            I::I32TruncSatF32S { dst, src } => self.un(Op::TruncSat, F32, I32, dst, S(src), 0)?,
            I::I32TruncSatF32U { dst, src } => self.un(Op::TruncSat, F32, I32, dst, S(src), 1)?,
            I::I32TruncSatF64S { dst, src } => self.un(Op::TruncSat, F64, I32, dst, S(src), 0)?,
            I::I32TruncSatF64U { dst, src } => self.un(Op::TruncSat, F64, I32, dst, S(src), 1)?,
            I::I64TruncSatF32S { dst, src } => self.un(Op::TruncSat, F32, I64, dst, S(src), 0)?,
            I::I64TruncSatF32U { dst, src } => self.un(Op::TruncSat, F32, I64, dst, S(src), 1)?,
            I::I64TruncSatF64S { dst, src } => self.un(Op::TruncSat, F64, I64, dst, S(src), 0)?,
            I::I64TruncSatF64U { dst, src } => self.un(Op::TruncSat, F64, I64, dst, S(src), 1)?,
            I::F32ConvertI32S { dst, src } => self.un(Op::Convert, I32, F32, dst, S(src), 0)?,
            I::F32ConvertI32U { dst, src } => self.un(Op::Convert, I32, F32, dst, S(src), 1)?,
            I::F32ConvertI64S { dst, src } => self.un(Op::Convert, I64, F32, dst, S(src), 0)?,
            I::F32ConvertI64U { dst, src } => self.un(Op::Convert, I64, F32, dst, S(src), 1)?,
            I::F64ConvertI32S { dst, src } => self.un(Op::Convert, I32, F64, dst, S(src), 0)?,
            I::F64ConvertI32U { dst, src } => self.un(Op::Convert, I32, F64, dst, S(src), 1)?,
            I::F64ConvertI64S { dst, src } => self.un(Op::Convert, I64, F64, dst, S(src), 0)?,
            I::F64ConvertI64U { dst, src } => self.un(Op::Convert, I64, F64, dst, S(src), 1)?,
            I::F32DemoteF64 { dst, src } => self.un(Op::Demote, F64, F32, dst, S(src), 0)?,
            I::F64PromoteF32 { dst, src } => self.un(Op::Promote, F32, F64, dst, S(src), 0)?,

            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// The accumulator forms of the arithmetic operators; `Some(instr)` when `instr` is
    /// of another family.
    fn acc_forms(&mut self, instr: Instr) -> Result<Option<Instr>, Abort> {
        use Instr as I;
        use Ty::{F32, F64, I32, I64};
        match instr {
            // ---- accumulator forms ----
            I::I32AddA { dst, b } => self.bin(Op::Add, I32, dst, Acc, S(b))?,
            I::I32SubA { dst, b } => self.bin(Op::Sub, I32, dst, Acc, S(b))?,
            I::I32MulA { dst, b } => self.bin(Op::Mul, I32, dst, Acc, S(b))?,
            I::I32AndA { dst, b } => self.bin(Op::And, I32, dst, Acc, S(b))?,
            I::I32OrA { dst, b } => self.bin(Op::Or, I32, dst, Acc, S(b))?,
            I::I32XorA { dst, b } => self.bin(Op::Xor, I32, dst, Acc, S(b))?,
            I::I32ShlA { dst, b } => self.bin(Op::Shl, I32, dst, Acc, S(b))?,
            I::I32ShrSA { dst, b } => self.bin(Op::ShrS, I32, dst, Acc, S(b))?,
            I::I32ShrUA { dst, b } => self.bin(Op::ShrU, I32, dst, Acc, S(b))?,
            I::I64AddA { dst, b } => self.bin(Op::Add, I64, dst, Acc, S(b))?,
            I::I64SubA { dst, b } => self.bin(Op::Sub, I64, dst, Acc, S(b))?,
            I::I64MulA { dst, b } => self.bin(Op::Mul, I64, dst, Acc, S(b))?,
            I::I64AndA { dst, b } => self.bin(Op::And, I64, dst, Acc, S(b))?,
            I::I64OrA { dst, b } => self.bin(Op::Or, I64, dst, Acc, S(b))?,
            I::I64XorA { dst, b } => self.bin(Op::Xor, I64, dst, Acc, S(b))?,
            I::I64ShlA { dst, b } => self.bin(Op::Shl, I64, dst, Acc, S(b))?,
            I::I64ShrSA { dst, b } => self.bin(Op::ShrS, I64, dst, Acc, S(b))?,
            I::I64ShrUA { dst, b } => self.bin(Op::ShrU, I64, dst, Acc, S(b))?,
            I::F32AddA { dst, b } => self.bin(Op::Add, F32, dst, Acc, S(b))?,
            I::F32SubA { dst, b } => self.bin(Op::Sub, F32, dst, Acc, S(b))?,
            I::F32MulA { dst, b } => self.bin(Op::Mul, F32, dst, Acc, S(b))?,
            I::F32DivA { dst, b } => self.bin(Op::FDiv, F32, dst, Acc, S(b))?,
            I::F64AddA { dst, b } => self.bin(Op::Add, F64, dst, Acc, S(b))?,
            I::F64SubA { dst, b } => self.bin(Op::Sub, F64, dst, Acc, S(b))?,
            I::F64MulA { dst, b } => self.bin(Op::Mul, F64, dst, Acc, S(b))?,
            I::F64DivA { dst, b } => self.bin(Op::FDiv, F64, dst, Acc, S(b))?,
            I::F64SubRevA { dst, b } => self.bin(Op::Sub, F64, dst, S(b), Acc)?,
            I::F64DivRevA { dst, b } => self.bin(Op::FDiv, F64, dst, S(b), Acc)?,
            I::I32AddImmA { dst, imm } => self.bin(Op::Add, I32, dst, Acc, Imm(imm))?,
            I::I32MulImmA { dst, imm } => self.bin(Op::Mul, I32, dst, Acc, Imm(imm))?,
            I::I32AndImmA { dst, imm } => self.bin(Op::And, I32, dst, Acc, Imm(imm))?,
            I::I32ShrUAndImmA { dst, mask, shift } => self.shr_u_and(dst, Acc, mask, shift)?,
            I::I32ShlAddA { dst, b, shift } => self.shl_add(dst, Acc, S(b), shift)?,
            I::I32ShlAddRevA { dst, a, shift } => self.shl_add(dst, S(a), Acc, shift)?,
            I::I32ShlAddImmA { dst, imm, shift } => self.shl_add(dst, Acc, Imm(imm), shift)?,
            I::I32OrImmA { dst, imm } => self.bin(Op::Or, I32, dst, Acc, Imm(imm))?,
            I::I32XorImmA { dst, imm } => self.bin(Op::Xor, I32, dst, Acc, Imm(imm))?,
            I::I32ShlImmA { dst, imm } => self.bin(Op::Shl, I32, dst, Acc, Imm(imm))?,
            I::I32ShrSImmA { dst, imm } => self.bin(Op::ShrS, I32, dst, Acc, Imm(imm))?,
            I::I32ShrUImmA { dst, imm } => self.bin(Op::ShrU, I32, dst, Acc, Imm(imm))?,
            I::I32RotlImmA { dst, imm } => self.bin(Op::Rotl, I32, dst, Acc, Imm(imm))?,
            I::I32EqA { dst, b } => self.cmp(dst, Cond::Eq, I32, Acc, S(b))?,
            I::I32NeA { dst, b } => self.cmp(dst, Cond::Ne, I32, Acc, S(b))?,
            I::I32LtSA { dst, b } => self.cmp(dst, Cond::LtS, I32, Acc, S(b))?,
            I::I32LtUA { dst, b } => self.cmp(dst, Cond::LtU, I32, Acc, S(b))?,
            I::I32GtSA { dst, b } => self.cmp(dst, Cond::GtS, I32, Acc, S(b))?,
            I::I32GtUA { dst, b } => self.cmp(dst, Cond::GtU, I32, Acc, S(b))?,
            I::I32LeSA { dst, b } => self.cmp(dst, Cond::LeS, I32, Acc, S(b))?,
            I::I32LeUA { dst, b } => self.cmp(dst, Cond::LeU, I32, Acc, S(b))?,
            I::I32GeSA { dst, b } => self.cmp(dst, Cond::GeS, I32, Acc, S(b))?,
            I::I32GeUA { dst, b } => self.cmp(dst, Cond::GeU, I32, Acc, S(b))?,
            I::I32EqImmA { dst, imm } => self.cmp(dst, Cond::Eq, I32, Acc, Imm(imm))?,
            I::I32NeImmA { dst, imm } => self.cmp(dst, Cond::Ne, I32, Acc, Imm(imm))?,
            I::I32LtSImmA { dst, imm } => self.cmp(dst, Cond::LtS, I32, Acc, Imm(imm))?,
            I::I32LtUImmA { dst, imm } => self.cmp(dst, Cond::LtU, I32, Acc, Imm(imm))?,
            I::I32GtSImmA { dst, imm } => self.cmp(dst, Cond::GtS, I32, Acc, Imm(imm))?,
            I::I32GtUImmA { dst, imm } => self.cmp(dst, Cond::GtU, I32, Acc, Imm(imm))?,
            I::I32LeSImmA { dst, imm } => self.cmp(dst, Cond::LeS, I32, Acc, Imm(imm))?,
            I::I32LeUImmA { dst, imm } => self.cmp(dst, Cond::LeU, I32, Acc, Imm(imm))?,
            I::I32GeSImmA { dst, imm } => self.cmp(dst, Cond::GeS, I32, Acc, Imm(imm))?,
            I::I32GeUImmA { dst, imm } => self.cmp(dst, Cond::GeU, I32, Acc, Imm(imm))?,
            I::I64AddImmA { dst, imm } => self.bin(Op::Add, I64, dst, Acc, Imm(imm))?,
            I::I64MulImmA { dst, imm } => self.bin(Op::Mul, I64, dst, Acc, Imm(imm))?,
            I::I64AndImmA { dst, imm } => self.bin(Op::And, I64, dst, Acc, Imm(imm))?,
            I::I64OrImmA { dst, imm } => self.bin(Op::Or, I64, dst, Acc, Imm(imm))?,
            I::I64XorImmA { dst, imm } => self.bin(Op::Xor, I64, dst, Acc, Imm(imm))?,
            I::I64ShlImmA { dst, imm } => self.bin(Op::Shl, I64, dst, Acc, Imm(imm))?,
            I::I64ShrSImmA { dst, imm } => self.bin(Op::ShrS, I64, dst, Acc, Imm(imm))?,
            I::I64ShrUImmA { dst, imm } => self.bin(Op::ShrU, I64, dst, Acc, Imm(imm))?,
            I::I64RotlImmA { dst, imm } => self.bin(Op::Rotl, I64, dst, Acc, Imm(imm))?,
            I::I32EqzA { dst } => self.cmp(dst, Cond::Eq, I32, Acc, Imm(0))?,
            I::I64EqzA { dst } => self.cmp(dst, Cond::Eq, I64, Acc, Imm(0))?,
            I::I32WrapI64A { dst } => self.un(Op::Wrap, I64, I32, dst, Acc, 0)?,
            I::I64ExtendI32SA { dst } => self.un(Op::ExtS, I32, I64, dst, Acc, 0)?,
            I::I64ExtendI32UA { dst } => self.un(Op::ExtU, I32, I64, dst, Acc, 0)?,
            I::F64ConvertI32SA { dst } => self.un(Op::Convert, I32, F64, dst, Acc, 0)?,
            I::F64ConvertI32UA { dst } => self.un(Op::Convert, I32, F64, dst, Acc, 1)?,
            I::F64PromoteF32A { dst } => self.un(Op::Promote, F32, F64, dst, Acc, 0)?,
            I::F32DemoteF64A { dst } => self.un(Op::Demote, F64, F32, dst, Acc, 0)?,
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    fn bin(
        &mut self,
        op: Op,
        ty: Ty,
        dst: crate::interp::Slot,
        a: Src,
        b: Src,
    ) -> Result<(), Abort> {
        let x = self.get(a, ty)?;
        let y = self.get(b, ty)?;
        let r = self.emit(op, ty, x, y, 0)?;
        self.put(dst, r);
        Ok(())
    }

    fn un(
        &mut self,
        op: Op,
        from: Ty,
        to: Ty,
        dst: crate::interp::Slot,
        a: Src,
        aux: u64,
    ) -> Result<(), Abort> {
        let x = self.get(a, from)?;
        let r = self.emit(op, to, x, Ref::NONE, aux)?;
        self.put(dst, r);
        Ok(())
    }

    fn cmp(
        &mut self,
        dst: crate::interp::Slot,
        c: Cond,
        ty: Ty,
        a: Src,
        b: Src,
    ) -> Result<(), Abort> {
        let x = self.get(a, ty)?;
        let y = self.get(b, ty)?;
        let r = self.emit(Op::Cmp, Ty::I32, x, y, c as u64)?;
        self.put(dst, r);
        Ok(())
    }

    /// A `call_indirect` at `pc` through index `x` that the trace guards on: the entry
    /// `p` saw (a side trace from the site's guard first dispatches on the index, so
    /// each target gets its own side trace), then the call, inlined.
    #[expect(
        clippy::too_many_arguments,
        reason = "the call's operands and its pending state"
    )]
    fn call_indirect(
        &mut self,
        s: &StoreInner,
        (pc, next): (*const Instr, *const Instr),
        x: Ref,
        args: crate::interp::Slot,
        table: u16,
        p: &Pending,
        depth: usize,
    ) -> Result<(), Abort> {
        if self.polymorphic(pc)
            && self.ir.konst(x).is_none()
            && p.table_len < MAX_SWITCH
            && self.ir.snaps.len() + (p.table_len as usize) < self.max_snap
        {
            // A call site that has seen another target: dispatch on the index through a
            // table of exits (each resuming at the call), so every target gets its own
            // side trace, entered with one indexed jump.
            let taken = p.index.min(p.table_len);
            self.switch(x, p.table_len, taken, |_| pc)?;
        }
        let e = self.call_helper(Helper::TableGet, Ty::I64, [x], u64::from(table))?;
        let k = self.ir.k(Ty::I64, p.entry)?;
        self.guard_cond(Cond::Eq, e, k, pc)?;
        self.icall_targets.push((pc, p.entry));
        self.count_icall(s, pc, p.entry)?;
        if depth > p.depth {
            self.call(s, pc, args, depth)
        } else {
            self.host_call(s, (p.entry - 1) as u32, args, next)
        }
    }

    /// Whether the `call_indirect` at `pc` is known to call more than one target: a
    /// side trace starts at it (its parent's guard on the entry failed), and not from a
    /// dispatch that already fixed the index.
    fn polymorphic(&self, pc: *const Instr) -> bool {
        self.parent.is_some() && pc == self.start_pc && !self.from_switch
    }

    /// A dispatch on `x` with `len` targets besides the default, recorded going to target
    /// `taken`: a `Switch` with one snapshot per target, resuming at `resume(target)`.
    fn switch(
        &mut self,
        x: Ref,
        len: u32,
        taken: u32,
        resume: impl Fn(usize) -> *const Instr,
    ) -> Result<(), Abort> {
        let aux = u64::from(len) | u64::from(taken) << 32;
        let n = self.ir.len();
        let r = self
            .ir
            .emit(Ins::new(Op::Switch, Ty::Void, x, Ref::NONE, aux))?;
        if r.idx() < n {
            return Ok(()); // The same dispatch, already checked.
        }
        for c in 0..=len as usize {
            let snap = self.snapshot(resume(c), r);
            self.ir.snaps.push(snap);
        }
        Ok(())
    }

    /// A conditional branch that branches when `a <c> b`: guards the direction taken.
    #[expect(clippy::too_many_arguments, reason = "one call per branch form")]
    fn branch(
        &mut self,
        pc: *const Instr,
        off: i32,
        taken: bool,
        c: Cond,
        ty: Ty,
        a: Src,
        b: Src,
    ) -> Result<(), Abort> {
        if off == 1 {
            return Ok(());
        }
        let x = self.get(a, ty)?;
        let y = self.get(b, ty)?;
        let c = if taken { c } else { c.negate() };
        self.guard_branch(c, x, y, pc)
    }

    /// `dst = if c != 0 { a } else { b }` (`Select`, where `a` is `dst`, and `Select3`).
    /// Untyped in the bytecode: when the operands' views differ (say a small `i64`
    /// constant materialized as `i32`), it selects on the slots' 64-bit bits.
    fn select(
        &mut self,
        dst: crate::interp::Slot,
        a: crate::interp::Slot,
        b: crate::interp::Slot,
        c: crate::interp::Slot,
    ) -> Result<(), Abort> {
        let x = self.get_any(a)?;
        let y = self.get_any(b)?;
        let ty = if self.ir.ty(x) == self.ir.ty(y) {
            self.ir.ty(x)
        } else {
            Ty::I64
        };
        let x = self.convert(x, ty)?;
        let y = self.convert(y, ty)?;
        let c = self.get(S(c), Ty::I32)?;
        let r = self.ir.emit(Ins {
            c,
            ..Ins::new(Op::Select, ty, x, y, 0)
        })?;
        self.put(dst, r);
        Ok(())
    }

    /// A counted loop's step and test (`I32AddImmBr*`): the add, then the branch that
    /// follows it, recorded as that instruction, where the trace's exits resume (after
    /// the add).
    fn step_branch(
        &mut self,
        at: Site<'_>,
        ctr: crate::interp::Slot,
        imm: i16,
        b: Src,
        off: i32,
        c: Cond,
    ) -> Result<(), Abort> {
        self.bin(Op::Add, Ty::I32, ctr, S(ctr), Imm(i32::from(imm)))?;
        self.fused_branch(at, off, c, S(ctr), b)
    }

    /// A constant and the branch on another slot after it (`Const32BrIf*`): the constant,
    /// then the branch, recorded as that instruction, where the trace's exits resume
    /// (after the constant).
    fn const_branch(
        &mut self,
        at: Site<'_>,
        dst: crate::interp::Slot,
        c: crate::interp::Slot,
        val: u32,
        off: i32,
        cond: Cond,
    ) -> Result<(), Abort> {
        let k = self.ir.k(Ty::I32, u64::from(val))?;
        self.put(dst, k);
        self.fused_branch(at, off, cond, S(c), Imm(0))
    }

    /// The `i32` branch a fused instruction at `at` was made from, the one after it:
    /// recorded as that instruction, with `off` counted from the fused one.
    fn fused_branch(
        &mut self,
        at: Site<'_>,
        off: i32,
        c: Cond,
        a: Src,
        b: Src,
    ) -> Result<(), Abort> {
        // SAFETY: the fused branch and an instruction after it follow `pc` in its code.
        let (br, after) = unsafe { (at.p.pc.add(1), at.p.pc.add(2)) };
        let taken = at.next != after && at.depth == at.p.depth;
        self.branch(br, off - 1, taken, c, Ty::I32, a, b)
    }

    /// A bit-test branch: branches when `(a & b) <c> 0`.
    fn bit_branch(
        &mut self,
        pc: *const Instr,
        off: i32,
        taken: bool,
        c: Cond,
        a: Src,
        b: Src,
    ) -> Result<(), Abort> {
        if off == 1 {
            return Ok(());
        }
        let x = self.get(a, Ty::I32)?;
        let y = self.get(b, Ty::I32)?;
        let and = self.emit(Op::And, Ty::I32, x, y, 0)?;
        let zero = self.ir.k(Ty::I32, 0)?;
        let c = if taken { c } else { c.negate() };
        self.guard_branch(c, and, zero, pc)
    }

    /// Guards the direction a conditional branch at `pc` took, unless the parent's
    /// failed guard on it already says so (see `implied`).
    fn guard_branch(&mut self, c: Cond, a: Ref, b: Ref, pc: *const Instr) -> Result<(), Abort> {
        if self.implied && pc == self.start_pc {
            return Ok(());
        }
        let n = self.ir.snaps.len();
        self.guard_cond(c, a, b, pc)?;
        if let Some(s) = self.ir.snaps.get_mut(n) {
            s.branch = true;
        }
        Ok(())
    }

    fn div(
        &mut self,
        pc: *const Instr,
        op: Op,
        ty: Ty,
        dst: crate::interp::Slot,
        a: crate::interp::Slot,
        b: crate::interp::Slot,
    ) -> Result<(), Abort> {
        let x = self.get(S(a), ty)?;
        // A pooled divisor is a constant even where blinding keeps other uses loading it:
        // FOLD divides by a constant with a multiply.
        let y = match self.pooled(self.abs(b)) {
            Some(k) => {
                let k = self.ir.k(Ty::I64, k)?;
                self.convert(k, ty)?
            }
            None => self.get(S(b), ty)?,
        };
        let zero = self.ir.k(ty, 0)?;
        self.guard_cond(Cond::Ne, y, zero, pc)?;
        if op == Op::DivS {
            let min = self
                .ir
                .k(ty, if ty == Ty::I32 { 1 << 31 } else { 1 << 63 })?;
            let m1 = self.ir.k(ty, u64::MAX)?;
            let is_min = self.emit(Op::Cmp, Ty::I32, x, min, Cond::Eq as u64)?;
            let is_m1 = self.emit(Op::Cmp, Ty::I32, y, m1, Cond::Eq as u64)?;
            let both = self.emit(Op::And, Ty::I32, is_min, is_m1, 0)?;
            let z32 = self.ir.k(Ty::I32, 0)?;
            self.guard_cond(Cond::Eq, both, z32, pc)?;
        }
        let r = self.emit(op, ty, x, y, 0)?;
        self.put(dst, r);
        Ok(())
    }

    fn trunc(
        &mut self,
        pc: *const Instr,
        from: Ty,
        to: Ty,
        unsigned: bool,
        dst: crate::interp::Slot,
        src: crate::interp::Slot,
    ) -> Result<(), Abort> {
        let x = self.get(S(src), from)?;
        let aux = u64::from(unsigned) | u64::from(to == Ty::I64) << 1;
        self.guard(Ins::new(Op::TruncOk, Ty::Void, x, Ref::NONE, aux), pc)?;
        let r = self.emit(Op::Trunc, to, x, Ref::NONE, u64::from(unsigned))?;
        self.put(dst, r);
        Ok(())
    }

    /// A compiler's guarded conversion (`*Guarded`) at `p`, whose operand was `p.entry`
    /// when it ran: a guard on its range test going the same way, then the truncation or
    /// the fallback constant (see `ops::guarded_in_range`). The guard's exit runs the
    /// instruction again.
    fn guarded(
        &mut self,
        p: &Pending,
        kind: crate::interp::Conv,
        dst: crate::interp::Slot,
        src: crate::interp::Slot,
    ) -> Result<(), Abort> {
        let (to64, unsigned) = (kind.to64, kind.unsigned);
        let from = if kind.from_f32 { Ty::F32 } else { Ty::F64 };
        let to = if to64 { Ty::I64 } else { Ty::I32 };
        let x_was = match from {
            Ty::F32 => f64::from(f32::from_bits(p.entry as u32)),
            _ => f64::from_bits(p.entry),
        };
        let bound = crate::ops::guarded_bound_bits(kind.from_f32, to64, unsigned);
        let x = self.get(S(src), from)?;
        let hi = self.ir.k(from, bound)?;
        let passes = if unsigned {
            let zero = self.ir.k(from, 0)?;
            let below = self.emit(Op::Cmp, Ty::I32, x, hi, Cond::FLt as u64)?;
            let above = self.emit(Op::Cmp, Ty::I32, x, zero, Cond::FGe as u64)?;
            self.emit(Op::And, Ty::I32, below, above, 0)?
        } else {
            let a = self.emit(Op::FAbs, from, x, Ref::NONE, 0)?;
            self.emit(Op::Cmp, Ty::I32, a, hi, Cond::FLt as u64)?
        };
        let in_range = crate::ops::guarded_in_range(x_was, to64, unsigned);
        let zero = self.ir.k(Ty::I32, 0)?;
        let c = if in_range { Cond::Ne } else { Cond::Eq };
        self.guard_branch(c, passes, zero, p.pc)?;
        let r = if in_range {
            self.emit(Op::Trunc, to, x, Ref::NONE, u64::from(unsigned))?
        } else {
            self.ir
                .k(to, crate::ops::guarded_fallback_bits(to64, unsigned))?
        };
        self.put(dst, r);
        Ok(())
    }

    fn load(
        &mut self,
        pc: *const Instr,
        dst: crate::interp::Slot,
        addr: Src,
        offset: u32,
        m: Mem,
        ty: Ty,
    ) -> Result<(), Abort> {
        let a = self.get(addr, Ty::I32)?;
        self.load_from(pc, dst, a, offset, m, ty)
    }

    /// The value of the running instance's global `global`: a constant when the global
    /// is immutable.
    fn global_get(&mut self, s: &StoreInner, global: u32) -> Result<Ref, Abort> {
        let g = s.instances[self.instance as usize].globals[global as usize];
        let ge = &s.globals[g as usize];
        let ty = val_ty(ge.ty.content());
        if ge.ty.mutability() == crate::runtime::types::Mutability::Const {
            Ok(self.ir.k(ty, ge.value)?)
        } else {
            self.emit(Op::GLoad, ty, Ref::NONE, Ref::NONE, u64::from(g))
        }
    }

    /// `global.set` of slot `src` to the running instance's global `global`.
    fn global_set(
        &mut self,
        s: &StoreInner,
        src: crate::interp::Slot,
        global: u32,
    ) -> Result<(), Abort> {
        let g = s.instances[self.instance as usize].globals[global as usize];
        let ty = val_ty(s.globals[g as usize].ty.content());
        let v = self.get(S(src), ty)?;
        self.ir
            .push(Ins::new(Op::GStore, Ty::Void, v, Ref::NONE, u64::from(g)))?;
        Ok(())
    }

    /// A bit field (`I32ShrUAndImm`): the shift, then the mask.
    fn shr_u_and(
        &mut self,
        dst: crate::interp::Slot,
        a: Src,
        mask: u32,
        shift: u8,
    ) -> Result<(), Abort> {
        let x = self.get(a, Ty::I32)?;
        let k = self.ir.k(Ty::I32, u64::from(shift))?;
        let v = self.emit(Op::ShrU, Ty::I32, x, k, 0)?;
        let m = self.ir.k(Ty::I32, u64::from(mask))?;
        let r = self.emit(Op::And, Ty::I32, v, m, 0)?;
        self.put(dst, r);
        Ok(())
    }

    /// A scaled sum (`I32ShlAdd*`): the shift of `a`, then the add of `b`.
    fn shl_add(
        &mut self,
        dst: crate::interp::Slot,
        a: Src,
        b: Src,
        shift: u8,
    ) -> Result<(), Abort> {
        let (x, y) = (self.get(a, Ty::I32)?, self.get(b, Ty::I32)?);
        let k = self.ir.k(Ty::I32, u64::from(shift))?;
        let v = self.emit(Op::Shl, Ty::I32, x, k, 0)?;
        let r = self.emit(Op::Add, Ty::I32, v, y, 0)?;
        self.put(dst, r);
        Ok(())
    }

    /// A load fused with its index's shift (`*LoadIdx`): the shift, then the load. The
    /// bounds check's exit resumes at the fused instruction, which does both again.
    #[expect(clippy::too_many_arguments, reason = "one call per load form")]
    fn load_idx(
        &mut self,
        pc: *const Instr,
        dst: crate::interp::Slot,
        idx: Src,
        offset: u32,
        shift: u8,
        m: Mem,
        ty: Ty,
    ) -> Result<(), Abort> {
        let x = self.get(idx, Ty::I32)?;
        let k = self.ir.k(Ty::I32, u64::from(shift))?;
        let a = self.emit(Op::Shl, Ty::I32, x, k, 0)?;
        self.load_from(pc, dst, a, offset, m, ty)
    }

    /// A load fused with the `i32.add` of its address (`*LoadSum`): the add, then the
    /// load, then the writes of the sum (to `t`) and the value, in the handler's order.
    /// The bounds check's exit resumes at the fused instruction, which does both again.
    #[expect(clippy::too_many_arguments, reason = "one call per load form")]
    fn load_sum(
        &mut self,
        pc: *const Instr,
        dst: crate::interp::Slot,
        [a, b]: [Src; 2],
        t: crate::interp::Slot,
        offset: u16,
        m: Mem,
        ty: Ty,
    ) -> Result<(), Abort> {
        let x = self.get(a, Ty::I32)?;
        let y = self.get(b, Ty::I32)?;
        let sum = self.emit(Op::Add, Ty::I32, x, y, 0)?;
        let r = self.load_value(pc, sum, offset.into(), m, ty)?;
        self.put(t, sum);
        self.put(dst, r);
        Ok(())
    }

    /// A copy in memory (`LoadStore*`, of `m`'s width, moved as a `ty`): the load and
    /// then the store, each with its own address computation (the store's is its own
    /// instruction's, after the copy's), and then the loaded value's slot. Both bounds
    /// checks exit to the copy, which runs again from the start. Where the interpreter
    /// ran the load alone (an access past the end: it then went on to the store's own
    /// instruction, recorded next), only the load is recorded.
    fn load_store(
        &mut self,
        at: Site<'_>,
        [addr, into, dst2]: [crate::interp::Slot; 3],
        [offset, offset2]: [u16; 2],
        m: Mem,
        ty: Ty,
    ) -> Result<(), Abort> {
        let pc = at.p.pc;
        let a = self.get(S(addr), Ty::I32)?;
        let v = self.load_value(pc, a, offset.into(), m, ty)?;
        if at.next != at.fallthrough {
            let b = self.get(S(into), Ty::I32)?;
            let (b, offset2) = self.address(at.fallthrough, b, offset2.into())?;
            self.bound(pc, b, offset2, m)?;
            self.ir
                .emit(Ins::new(Op::Store, Ty::Void, b, v, m.aux(offset2)))?;
        }
        self.put(dst2, v);
        Ok(())
    }

    /// Two steps (`I32AddImm2`): `dst = a + imm`, then `dst2 = a2 + imm2`, which reads
    /// `a2` after the first has written `dst`.
    fn two_steps(
        &mut self,
        dst: crate::interp::Slot,
        a: Src,
        imm: i16,
        [dst2, a2]: [crate::interp::Slot; 2],
        imm2: i16,
    ) -> Result<(), Abort> {
        self.bin(Op::Add, Ty::I32, dst, a, Imm(i32::from(imm)))?;
        self.bin(Op::Add, Ty::I32, dst2, S(a2), Imm(i32::from(imm2)))
    }

    /// A load from a pointer just loaded (`*LoadPtr`, `load` saying the second load's
    /// width and type): the pointer's load from `a`, then the second load, whose address
    /// is computed from its own instruction's fields (after the fused one's), then the
    /// writes of the pointer (to `dst2`) and the value, in the handler's order. Both
    /// bounds checks exit to the fused instruction, which runs again from the start.
    /// Where the interpreter ran the pointer's load alone (an access past the end: it then
    /// went on to the second load's own instruction, recorded next), only that load is
    /// recorded.
    fn load_ptr(
        &mut self,
        at: Site<'_>,
        [dst, dst2]: [crate::interp::Slot; 2],
        a: Src,
        [offset, offset2]: [u16; 2],
        load: Instr,
    ) -> Result<(), Abort> {
        let (m, ty) = match load {
            variants!({ .. } in I32LoadPtr | I32LoadPtrA) => (Mem::U32, Ty::I32),
            variants!({ .. } in I32Load8UPtr | I32Load8UPtrA) => (Mem::U8, Ty::I32),
            _ => (Mem::W64, Ty::I64),
        };
        let pc = at.p.pc;
        let a = self.get(a, Ty::I32)?;
        let p = self.load_value(pc, a, offset.into(), Mem::U32, Ty::I32)?;
        if at.next == at.fallthrough {
            self.put(dst2, p);
            return Ok(());
        }
        let (b, offset2) = self.address(at.fallthrough, p, offset2.into())?;
        self.bound(pc, b, offset2, m)?;
        let v = self.emit(Op::Load, ty, b, Ref::NONE, m.aux(offset2))?;
        self.put(dst2, p);
        self.put(dst, v);
        Ok(())
    }

    /// A load from address operand `a` (an i32) of the access at `pc`.
    fn load_from(
        &mut self,
        pc: *const Instr,
        dst: crate::interp::Slot,
        a: Ref,
        offset: u32,
        m: Mem,
        ty: Ty,
    ) -> Result<(), Abort> {
        let r = self.load_value(pc, a, offset, m, ty)?;
        self.put(dst, r);
        Ok(())
    }

    /// The value that the access at `pc` loads from address operand `a`, after its bounds
    /// check.
    fn load_value(
        &mut self,
        pc: *const Instr,
        a: Ref,
        offset: u32,
        m: Mem,
        ty: Ty,
    ) -> Result<Ref, Abort> {
        let (a, offset) = self.address(pc, a, offset)?;
        self.bound(pc, a, offset, m)?;
        self.emit(Op::Load, ty, a, Ref::NONE, m.aux(offset))
    }

    fn store(
        &mut self,
        pc: *const Instr,
        addr: Src,
        val: Src,
        offset: u32,
        m: Mem,
        ty: Ty,
    ) -> Result<(), Abort> {
        let a = self.get(addr, Ty::I32)?;
        let (a, offset) = self.address(pc, a, offset)?;
        let v = self.get(val, ty)?;
        self.bound(pc, a, offset, m)?;
        self.ir
            .emit(Ins::new(Op::Store, Ty::Void, a, v, m.aux(offset)))?;
        Ok(())
    }

    /// The address operand and static offset of the access at `pc` with WebAssembly's
    /// semantics: where the translator folded an `i32.add x, C` into the offset, the
    /// wrapping add is done here (an address like `-4096 + 4096`, common in compiled loops
    /// over negative indices, is then in bounds, as in the interpreter's slow path).
    fn address(&mut self, pc: *const Instr, a: Ref, offset: u32) -> Result<(Ref, u32), Abort> {
        let f = self.func();
        match f.folded_add(f.index_of(pc)) {
            Some(c) => {
                let k = self.ir.k(Ty::I32, u64::from(c))?;
                let a = self.emit(Op::Add, Ty::I32, a, k, 0)?;
                Ok((a, offset - c))
            }
            None => Ok((a, offset)),
        }
    }

    fn bound(&mut self, pc: *const Instr, a: Ref, offset: u32, m: Mem) -> Result<(), Abort> {
        let end = u64::from(offset) + u64::from(m.bytes());
        self.guard(Ins::new(Op::Bound, Ty::Void, a, Ref::NONE, end), pc)
    }

    fn call_helper<const N: usize>(
        &mut self,
        h: Helper,
        ty: Ty,
        args: [Ref; N],
        imm: u64,
    ) -> Result<Ref, Abort> {
        let mut ins = Ins::new(Op::Call, ty, Ref::NONE, Ref::NONE, h as u64 | imm << 32);
        let mut it = args.into_iter();
        ins.a = it.next().unwrap_or(Ref::NONE);
        ins.b = it.next().unwrap_or(Ref::NONE);
        ins.c = it.next().unwrap_or(Ref::NONE);
        Ok(self.ir.push(ins)?)
    }

    /// Exits (re-executing `pc`, which traps) unless helper result `r` is 0.
    fn ok_guard(&mut self, r: Ref, pc: *const Instr) -> Result<(), Abort> {
        let zero = self.ir.k(Ty::I32, 0)?;
        self.guard_cond(Cond::Eq, r, zero, pc)
    }

    /// A bulk operation on three operands at `args`, through a helper that reports a trap.
    fn bulk(
        &mut self,
        pc: *const Instr,
        h: Helper,
        args: crate::interp::Slot,
        tys: [Ty; 3],
        imm: u64,
    ) -> Result<(), Abort> {
        let mut v = [Ref::NONE; 3];
        for (i, ty) in tys.into_iter().enumerate() {
            v[i] = self.get(S(crate::interp::Slot(args.0 + i as u32)), ty)?;
        }
        let r = self.call_helper(h, Ty::I32, v, imm)?;
        self.ok_guard(r, pc)
    }

    fn call(
        &mut self,
        s: &StoreInner,
        pc: *const Instr,
        args: crate::interp::Slot,
        depth: usize,
    ) -> Result<(), Abort> {
        let frame = &s.stack.frames[depth - 1];
        if frame.instance != self.instance {
            return Err(Abort::CrossInstance);
        }
        // Recursion is not unrolled (each level would be a different trace path), nor
        // is inlining unbounded: such a call becomes a call into the callee's function
        // trace, when it has one.
        let recursive = frame.func == self.root || self.frames.iter().any(|f| f.func == frame.func);
        if recursive || self.frames.len() >= self.max_inline {
            if let Some(target) = self.call_target(s, frame.func) {
                return self.call_trace(s, pc, args, target, depth);
            }
            if !recursive {
                return Err(Abort::InlineDepth);
            }
            arm_entry(s, frame.func);
            return Err(Abort::Recursion);
        }
        let base = self.abs(args) as u32;
        self.frames.push(RecFrame {
            func: frame.func,
            base,
            call_pc: pc,
        });
        self.max_depth = self.max_depth.max(self.frames.len());
        // SAFETY: the frame's function is alive (owned by its module).
        let f = unsafe { &*frame.func };
        self.seed_frame(f, base)?;
        // Slots above the frame are dead: forget what earlier callees left there.
        let top = (base + f.frame_size) as usize;
        self.ensure(top);
        let seeded = base + f.num_params + f.num_locals + f.consts.len() as u32;
        for r in &mut self.slots[seeded as usize..] {
            *r = Ref::NONE;
        }
        self.acc = Ref::NONE;
        // The call charged the entry run's `Fuel` (see `CompiledFunc::entry_fuel`); an
        // exit for it resumes at that `Fuel`, in the new frame.
        if f.entry_fuel != 0 {
            self.charge_fuel(f.entry_fuel, f.code.as_ptr())?;
        }
        Ok(())
    }

    /// The function trace a call of `callee` can run natively: the one being recorded
    /// (up-recursion), or the callee's. None with fuel metering, whose exact accounting
    /// across a native call is not implemented.
    fn call_target(&self, s: &StoreInner, callee: *const CompiledFunc) -> Option<u32> {
        if s.engine.config().consume_fuel {
            return None;
        }
        if self.parent.is_none() && self.loop_id == super::ENTRY && callee == self.root {
            return Some(SELF);
        }
        super::loop_trace(s, callee, super::ENTRY)
    }

    /// A call into function trace `target`, for the call at `pc` whose frame the
    /// interpreter has pushed (`depth`): see [`Recorder::native_call`].
    fn call_trace(
        &mut self,
        s: &StoreInner,
        pc: *const Instr,
        args: crate::interp::Slot,
        target: u32,
        depth: usize,
    ) -> Result<(), Abort> {
        let base = self.abs(args) as u32;
        let callee = s.stack.frames[depth - 1].func;
        // SAFETY: the frame's function is alive (owned by its module).
        let f = unsafe { &*callee };
        let module = &s.instances[self.instance as usize].module.inner;
        let ty = &module.types[module.funcs[f.func_index as usize] as usize];
        let aux = u64::from(target) | u64::from(base) << 32;
        let call = Ins::new(Op::CallTrace, Ty::Void, Ref::NONE, Ref::NONE, aux);
        self.native_call(s, pc, base, ty, call, (depth - 1, depth))
    }

    /// A megamorphic `call_indirect` at `pc` of type `ty` (a `TypeId`'s number) through table
    /// entry `e`: `CallAny` (see [`Recorder::native_call`]), whatever the entry. The
    /// recording steps over a WebAssembly callee (`depth`: the frame-stack depth before
    /// and after the call); a host callee has returned already.
    fn call_any(
        &mut self,
        s: &StoreInner,
        pc: *const Instr,
        e: Ref,
        args: crate::interp::Slot,
        ty: u32,
        depths: (usize, usize),
    ) -> Result<(), Abort> {
        let base = self.abs(args) as u32;
        let fty = s.engine.func_type(TypeId(ty));
        let key = super::entries::key(ty, self.instance);
        let key = self.ir.k(Ty::I64, key)?;
        let call = Ins::new(Op::CallAny, Ty::Void, e, key, u64::from(base) << 32);
        self.native_call(s, pc, base, &fty, call, depths)
    }

    /// A native call (`call`: `CallTrace` or `CallAny`) of a callee of type `ty` whose
    /// frame starts at slot `base`, for the call at `pc`: modified arguments go to the
    /// value stack, a `CallCheck` guard exits to the call when the callee might not fit
    /// (the interpreter makes it), and the call runs the callee. If the callee exits,
    /// its exit is handled where it happens and the call's own snapshot writes this
    /// trace's frames back (as they are after the call, minus the callee's frame). The
    /// recording then steps over a callee that has pushed its frame (`before` and
    /// `after`: the frame-stack depths around the call) until it returns; a host callee
    /// has returned already, and its results are read at once.
    fn native_call(
        &mut self,
        s: &StoreInner,
        pc: *const Instr,
        base: u32,
        ty: &crate::runtime::types::FuncType,
        call: Ins,
        (before, after): (usize, usize),
    ) -> Result<(), Abort> {
        if s.engine.config().epoch_interruption {
            let at = s.engine.epoch().as_ptr() as u64;
            self.guard(Ins::new(Op::Epoch, Ty::Void, Ref::NONE, Ref::NONE, at), pc)?;
        }
        for i in 0..ty.params().len() as u32 {
            let abs = (base + i) as usize;
            self.ensure(abs);
            let r = self.slots[abs];
            if !r.is_none() && r != self.sloads[abs] {
                self.ir
                    .push(Ins::new(Op::SlotStore, Ty::Void, r, Ref::NONE, abs as u64))?;
            }
        }
        self.guard(
            Ins::new(
                Op::CallCheck,
                Ty::Void,
                Ref::NONE,
                Ref::NONE,
                u64::from(base),
            ),
            pc,
        )?;
        if self.ir.snaps.len() >= self.max_snap {
            return Err(Abort::TooManySnapshots);
        }
        let r = self.ir.push(call)?;
        // SAFETY: `pc + 1` is inside the caller's code (a call is never last).
        let mut snap = self.snapshot(unsafe { pc.add(1) }, r);
        snap.leave_frame(base);
        snap.acc = Ref::NONE;
        self.ir.snaps.push(snap);
        let skip = Skip {
            depth: before,
            base,
            results: ty.results().iter().map(|&t| val_ty(t)).collect(),
            steps: 0,
        };
        if after > before {
            self.skip = Some(skip);
            Ok(())
        } else {
            self.returned(skip)
        }
    }

    /// Whether the `call_indirect` at `pc` is megamorphic: traces have guarded on more
    /// than `maxpoly` targets there (see `jit::poly_sites`), so they call through it
    /// natively instead. Not with fuel metering (see `call_target`).
    fn megamorphic(&self, s: &StoreInner, pc: *const Instr) -> bool {
        !s.engine.config().consume_fuel
            && s.jit
                .as_ref()
                .is_some_and(|j| j.poly_targets(pc) > j.params.maxpoly as usize)
    }

    /// Back from a `CallTrace`'s callee: its results are in the value stack, the
    /// callee's frame is gone.
    fn returned(&mut self, skip: Skip) -> Result<(), Abort> {
        let mut last = Ref::NONE;
        for (i, &ty) in skip.results.iter().enumerate() {
            let abs = skip.base as usize + i;
            last = self.emit(Op::SlotLoad, ty, Ref::NONE, Ref::NONE, abs as u64)?;
            self.set_abs(abs, last);
        }
        let above = skip.base as usize + skip.results.len();
        self.ensure(above);
        for r in &mut self.slots[above..] {
            *r = Ref::NONE;
        }
        self.acc = last;
        Ok(())
    }

    fn ret(&mut self, instr: Instr) -> Result<(), Abort> {
        let Some(frame) = self.frames.last().copied() else {
            return Err(Abort::ReturnFromRoot);
        };
        let mut results = Vec::new();
        match instr {
            Instr::ReturnSlot { src } | Instr::ReturnSlotA { src } => {
                results.push(self.get_any(src)?)
            }
            Instr::ReturnImm { bits } => results.push(self.ir.k(Ty::I64, bits)?),
            Instr::ReturnMany { src, n } => {
                for i in 0..n {
                    results.push(self.get_any(crate::interp::Slot(src.0 + i))?);
                }
            }
            _ => {}
        }
        self.frames.pop();
        let base = frame.base as usize;
        self.ensure(base + results.len());
        for (i, &r) in results.iter().enumerate() {
            self.set_abs(base + i, r);
        }
        for r in &mut self.slots[base + results.len()..] {
            *r = Ref::NONE;
        }
        self.acc = results.last().copied().unwrap_or(Ref::NONE);
        Ok(())
    }

    /// A call to host function `sf` (store index): arguments go to the value stack, the
    /// helper runs the function, results come back from the value stack.
    fn host_call(
        &mut self,
        s: &StoreInner,
        sf: u32,
        args: crate::interp::Slot,
        next: *const Instr,
    ) -> Result<(), Abort> {
        let FuncEntity::Host { ty, .. } = s.funcs[sf as usize] else {
            return Err(Abort::CrossInstance);
        };
        let fty = s.engine.func_type(ty);
        // The host function may read and set the fuel: it is exact in the store.
        self.fuel.close(&mut self.ir);
        let metered = s.engine.config().consume_fuel;
        if metered {
            let left = self.fuel_left()?;
            self.ir
                .push(Ins::new(Op::FuelStore, Ty::Void, left, Ref::NONE, 0))?;
        }
        let at = self.abs(args) as u32;
        for (i, &p) in fty.params().iter().enumerate() {
            let v = self.get(S(crate::interp::Slot(args.0 + i as u32)), val_ty(p))?;
            self.ir.push(Ins::new(
                Op::SlotStore,
                Ty::Void,
                v,
                Ref::NONE,
                u64::from(at) + i as u64,
            ))?;
        }
        let operand = super::helpers::host_operand(at, fty.params().len(), fty.results().len())
            .ok_or(Abort::Nyi)?;
        let at_k = self.ir.k(Ty::I64, operand)?;
        let r = self.call_helper(Helper::HostCall, Ty::I32, [at_k], u64::from(sf))?;
        if metered {
            self.fuel_left =
                self.ir
                    .push(Ins::new(Op::FuelLoad, Ty::I64, Ref::NONE, Ref::NONE, 0))?;
        }
        // The call happened: an error exits after it, and the exit handler reports it.
        self.ok_guard(r, next)?;
        for (i, &t) in fty.results().iter().enumerate() {
            let v = self.emit(
                Op::SlotLoad,
                val_ty(t),
                Ref::NONE,
                Ref::NONE,
                u64::from(at) + i as u64,
            )?;
            self.put(crate::interp::Slot(args.0 + i as u32), v);
        }
        Ok(())
    }

    /// The function traces the recording calls natively (not itself).
    pub(crate) fn call_targets(&self) -> Vec<u32> {
        let mut out: Vec<u32> = (0..self.ir.len())
            .map(|i| self.ir.get(Ref(i as u32)))
            .filter(|ins| ins.op == Op::CallTrace && ins.aux as u32 != SELF)
            .map(|ins| ins.aux as u32)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Where recording is: the function index and bytecode offset of the instruction
    /// completed last.
    pub(crate) fn location(&self) -> (u32, usize) {
        // SAFETY: `last` names a live translation and an instruction inside its code.
        unsafe {
            let f = &*self.last.0;
            (
                f.func_index,
                self.last.1.offset_from(f.code.as_ptr()) as usize,
            )
        }
    }

    /// The modified slots a loop trace carries around its backedge: those live at its
    /// header.
    pub(crate) fn carried(&self) -> Vec<(u32, Ref)> {
        let mut out = self.modified();
        out.retain(|&(slot, _)| live_at(self.root, self.start_pc, &[], slot));
        out
    }

    /// Drops from every snapshot the slots that are dead where it resumes: an exit need
    /// not write them, and nothing needs to keep their values.
    pub(crate) fn prune_snapshots(&mut self) {
        let root = self.root;
        for s in &mut self.ir.snaps {
            let (pc, frames) = (s.pc, &s.frames);
            s.entries
                .retain(|&(slot, _)| live_at(root, pc, frames, slot));
        }
    }

    /// The slot map at the end of the recorded iteration: modified slots only.
    pub(crate) fn modified(&self) -> Vec<(u32, Ref)> {
        let mut out: Vec<(u32, Ref)> = self
            .written
            .iter()
            .map(|&i| (i, self.slots[i as usize]))
            .filter(|&(i, r)| !r.is_none() && r != self.sloads[i as usize])
            .collect();
        out.sort_unstable_by_key(|e| e.0);
        // The fuel, once read: even unchanged, since a loop's body must not fall back on
        // the store's (stale) fuel where its first iteration did.
        if !self.fuel_left.is_none() {
            out.push((FUEL_SLOT, self.fuel_left));
        }
        out
    }
}

/// Whether the code from `pc` on may read the accumulator before anything writes it: `pc`
/// reads it, or passes it on (`Instr::keeps_acc`: after it, and at its target) to code
/// that does. The walk is bounded, and past the bound the answer is yes (an exit that
/// keeps the accumulator needlessly only restores it).
///
/// # Safety
/// `pc` points into a function's code (whose last instruction is not a conditional
/// branch: it never falls through past the end).
unsafe fn acc_read_from(pc: *const Instr) -> bool {
    let mut todo: smallvec::SmallVec<[*const Instr; 4]> = smallvec::smallvec![pc];
    let mut budget = 32;
    while let Some(p) = todo.pop() {
        if budget == 0 {
            return true;
        }
        budget -= 1;
        // SAFETY: `p` is `pc`, or the instruction after a conditional branch (never the
        // last) or a branch's target: inside the code.
        let mut instr = unsafe { *p };
        if instr.reads_acc() {
            return true;
        }
        if instr.keeps_acc() {
            // SAFETY: as above.
            unsafe {
                if !matches!(instr, Instr::Br { .. }) {
                    todo.push(p.add(1));
                }
                if let Some(&mut off) = instr.branch_offset_mut() {
                    todo.push(p.offset(off as isize));
                }
            }
        }
    }
    false
}

/// Whether root-relative slot `abs` is live where a snapshot's state resumes: at `pc` in
/// the innermost of `frames` (inlined above `root`), after the call in every outer frame.
fn live_at(root: *const CompiledFunc, pc: *const Instr, frames: &[SnapFrame], abs: u32) -> bool {
    if abs == FUEL_SLOT {
        return true;
    }
    let k = frames.iter().rposition(|f| f.base <= abs);
    let (func, base) = k.map_or((root, 0), |k| (frames[k].func, frames[k].base));
    let next = k.map_or(0, |k| k + 1);
    let resume = frames.get(next).map_or(pc, |f| f.call_pc.wrapping_add(1));
    // SAFETY: translations are owned by modules the store keeps alive.
    let f = unsafe { &*func };
    let rel = abs - base;
    rel < f.frame_size
        && f.liveness()
            .is_none_or(|l| l.is_live(f.index_of(resume), rel))
}

/// The IR type of a value type (references are 64-bit slots).
pub(crate) fn val_ty(t: ValType) -> Ty {
    match t {
        ValType::I32 => Ty::I32,
        ValType::F32 => Ty::F32,
        ValType::F64 => Ty::F64,
        _ => Ty::I64,
    }
}

/// Arms the entry counter of `func`, which a recording found recursive (through other
/// functions), so that it gets a function trace, unless this store blacklisted it.
pub(super) fn arm_entry(s: &StoreInner, func: *const CompiledFunc) {
    // SAFETY: translations are owned by modules the store keeps alive.
    let ctr = unsafe { &(*func).entry_counter };
    if ctr.load(std::sync::atomic::Ordering::Relaxed) != super::ILOOP {
        return; // Armed already (the usual case: every counted call comes here).
    }
    let blacklisted = s.jit.as_ref().is_some_and(|j| {
        matches!(
            j.loops.get(&(func as usize, super::ENTRY)),
            Some(super::LoopState::Blacklisted)
        )
    });
    if !blacklisted {
        ctr.store(
            s.engine.config().jit_params.hotcall,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

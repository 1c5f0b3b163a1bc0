//! The backend: register allocation over the finished IR (architecture-neutral, here)
//! and machine code (one module per architecture behind [`Arch`]: `x64`, `aarch64`,
//! and `none` elsewhere; what they share about a trace's shape is in `moves`).
//!
//! Allocation is linear scan without interval splitting: every value has one location
//! for its whole life (a register of its class, a spill slot in the trace context, or
//! nothing for constants), so an exit finds every snapshot value in a fixed place.
//! When registers run out, the value spilled is the one read least often in the loop
//! body (a spilled value is loaded at every read), then the one that lives longest.
//! A side trace's inherited values (`Parent`) start where its parent kept them: they
//! take the parent's register when it is free, or keep reading the parent's spill slot,
//! and the side trace's own spill slots start above the parent's, so entering it from
//! the parent's exit branch moves nothing in the common case.
//! A looping root's slot loads (`Sload`) are allocated first, as if made at its entry,
//! and emitted there: a link into the root (see `moves::link_moves`) fills those
//! registers itself and jumps past the loads, so values cross links in registers. A
//! value a trace ends a slot with takes, when it is free, the register the trace it
//! links to expects that slot in (a link hint), so the link moves nothing.
//! Liveness includes snapshot uses at guards, and the LOOP pass's structure: a value
//! defined before the loop and used inside it, and both sides of every PHI, live until
//! the backward jump, where the PHIs' right sides move into their left sides' locations.
//! A value whose only use an architecture can fold into the user's instruction (x86-64:
//! `a + (i << 2)` as one `lea`; AArch64: an add's shifted operand; both: `x & y` tested
//! against 0 as one `test` or `tst`; x86-64: a float load read by a float operation
//! as its memory operand, when no store or call comes between) gets no location and is
//! computed there ([`Arch::fuses`]).

#[cfg(target_arch = "aarch64")]
mod aarch64;
pub(crate) mod moves;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod none;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x64;

/// The backend of the machine spur runs on.
#[cfg(target_arch = "x86_64")]
pub(crate) type Native = x64::X64;
#[cfg(target_arch = "aarch64")]
pub(crate) type Native = aarch64::Aarch64;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) type Native = none::NoBackend;

/// Whether [`Native`] generates code: the JIT is available (see
/// `Config::jit_available`).
pub(crate) const AVAILABLE: bool = cfg!(all(
    any(target_arch = "x86_64", target_arch = "aarch64"),
    unix
));

use super::fuel::FUEL_SLOT;
use super::helpers::HelperFn;
use super::ir::{Cond, Ins, Ir, Op, Ref, Snapshot, Ty};

/// Chooses the native backend's optional instructions now (see [`Arch::probe_host`]).
pub(crate) fn probe_host() {
    Native::probe_host();
}

/// Offsets of the branches to one exit's stub (usually one or two).
pub(crate) type Sites = smallvec::SmallVec<[u32; 2]>;

/// Where a value lives while the trace runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Loc {
    /// Not allocated: a constant, a value without uses, or no value at all.
    None,
    Gpr(u8),
    Fpr(u8),
    Spill(u16),
}

/// An architecture's register file, code generator and branch encodings.
pub(crate) trait Arch {
    /// Allocatable general-purpose registers, in order of preference.
    const GPRS: &'static [u8];
    /// Allocatable float registers, in order of preference.
    const FPRS: &'static [u8];
    /// Spill slots the context provides.
    const MAX_SPILLS: usize;
    /// General registers in the context's register words (what an exit saves, by
    /// register number; see `ctx::word`).
    const GPR_WORDS: usize;
    /// Float registers in the context's register words, after the general ones.
    const FPR_WORDS: usize;
    /// Whether blinded integer constants are read from the store's pool (see `kpool`),
    /// as blinded float constants always are, rather than unmasked in code.
    const POOLED_INTS: bool;

    /// Looks up, once per process, which optional instructions this CPU has. The engine
    /// calls it when it is created with the JIT on, so that the first trace's compile
    /// does not pay for it (on x86-64, `cpuid`, which a hypervisor traps: tens of
    /// microseconds). Compiles read the answer; none is needed where there is nothing
    /// to choose.
    fn probe_host() {}

    /// Emits the trace: entry (a root's prologue, or a side trace's moves of inherited
    /// values), body, loop or link, exit stubs. The code is position independent except
    /// for its links, which [`Arch::link_jump`] fills in once addresses are known.
    fn assemble(ir: &Ir<'_>, alloc: &Alloc, unit: &Unit)
    -> Result<Assembled, super::record::Abort>;

    /// Points the branch at offset `at` of `code` (which runs at address `base`) to `to`:
    /// a link's jump, or a guard's branch to its exit. False if the bytes there are not
    /// such a branch or `to` is out of its range.
    fn retarget(code: &mut [u8], at: u32, base: usize, to: usize) -> bool;

    /// An unconditional jump placed at `from` to `to` (patched over an exit stub).
    fn jump(from: usize, to: usize) -> Option<Vec<u8>>;

    /// Machine code as text, one instruction per line (offsets from its start); the data
    /// from `text` on (constants and tables) as 64-bit words.
    fn disasm(code: &[u8], text: usize) -> String;

    /// Whether `def`, when `user` is its only use, is computed as part of `user`'s
    /// instruction instead of on its own (an address mode's scaled index, say).
    fn fuses(ir: &Ir<'_>, user: &Ins, def: Ref) -> bool;
}

/// Whether `user` is a guard on whether `r`, an `x & y`, is 0: both backends fuse the
/// two into a test of `x` and `y` (x86-64 `test`, AArch64 `tst`), and the `and`'s value
/// is never needed.
pub(crate) fn tests_and(ir: &Ir<'_>, user: &Ins, r: Ref) -> bool {
    let def = ir.get(r);
    user.op == Op::Guard
        && user.a == r
        && def.op == Op::And
        && def.ty.is_int()
        && matches!(user.cond(), Cond::Eq | Cond::Ne)
        && ir.konst(user.b) == Some(0)
}

/// Whether constant `v` must be blinded before it can appear in code (when blinding is
/// on): every value that needs more than 16 bits. A 16-bit value leaves at least two zero
/// (or 0xff) bytes in its 32-bit immediate, too few controlled bytes to spell out an
/// instruction sequence, and blinding those (array offsets, masks, small counts) would
/// cost most of blinding's time.
pub(crate) fn needs_blinding(v: u64) -> bool {
    let small = |x: i64| (-0x8000..=0xFFFF).contains(&x);
    !small(v as i64) && !small(i64::from(v as u32 as i32))
}

/// What the backend is told about the trace it assembles.
pub(crate) struct Unit {
    /// The trace's number in its store (exits report it).
    pub(crate) id: u32,
    /// A side trace: entered by a jump from its parent, with no prologue.
    pub(crate) side: bool,
    /// The key constants from the module are XORed with in the code (constant
    /// blinding), or `None` for raw immediates.
    pub(crate) blind: Option<u64>,
    /// Blinded constants in the store's pool, from which the backend reads them.
    pub(crate) pooled: Pooled,
    /// Only the architecture's baseline instructions, none of the extensions the CPU
    /// reports (the `cpuext` tunable at 0).
    #[cfg_attr(
        not(target_arch = "x86_64"),
        allow(dead_code, reason = "the AArch64 backend uses no extensions")
    )]
    pub(crate) baseline: bool,
    /// What `Helper::HostCall` calls: the running driver's typed host call (see
    /// `HostTrampoline::trace_call`), or `None` for the untyped helper.
    pub(crate) host_call: Option<HelperFn>,
    /// Where the trace this one links to expects its values.
    pub(crate) link: LinkTarget,
}

/// Whether a blinded constant of type `ty` is read from the store's pool (see `kpool`):
/// floats always, integers where [`Arch::POOLED_INTS`].
pub(crate) fn pooled_type(ty: Ty) -> bool {
    ty.is_float() || Native::POOLED_INTS
}

/// Where a listing's code (which shows at address 0) finds the store's pool: far past
/// any trace, so its disassembler can name the pool's words (`kpool+18h`) in the range
/// up to twice this address.
pub(crate) const LISTING_KPOOL: u64 = 0x4000_0000;

/// A trace's blinded constants that are read from the store's pool, and their indices
/// there (see `kpool`); only constants that need blinding, and only when blinding is on.
#[derive(Clone, Default)]
pub(crate) struct Pooled(pub(crate) Vec<(u64, u32)>);

impl Pooled {
    /// The byte offset of constant `k` in the pool, if the trace reads it from there.
    pub(crate) fn offset(&self, k: u64) -> Option<u32> {
        self.0.iter().find(|p| p.0 == k).map(|p| 8 * p.1)
    }
}

/// Where the trace a link enters expects values: at its top, the slots of its
/// [`EntryReg`]s; at its loop body (see `jit::reentry`), the `LinkArg`s, by index.
#[derive(Clone, Default, Debug)]
pub(crate) struct LinkTarget {
    pub(crate) regs: Vec<EntryReg>,
    pub(crate) args: Vec<Loc>,
}

/// A slot that a looping root trace loads into a register at its entry, before its link
/// entry: a link into that trace puts the slot's value in the register itself, so a
/// value goes from one trace to the next without a store and reload through the frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct EntryReg {
    pub(crate) slot: u32,
    pub(crate) loc: Loc,
    pub(crate) ty: Ty,
}

/// Assembled code and the offsets the trace tree patches.
pub(crate) struct Assembled {
    pub(crate) code: Vec<u8>,
    /// Where the instructions end: the constant pool and `Switch` tables follow.
    pub(crate) text: u32,
    /// Where native calls enter (a root's code after its prologue).
    pub(crate) entry: u32,
    /// Where links from other traces enter: after the entry loads of a looping root
    /// (see [`Alloc::entry_loads`]), which a link does itself; `entry` for other traces.
    pub(crate) link_entry: u32,
    /// A looping root's loop body label.
    pub(crate) body: Option<u32>,
    /// For each exit, its conditional branches (patched to jump to a side trace).
    pub(crate) exit_sites: Vec<Sites>,
    /// For each exit reached through a `Switch` table: its entry and the table's start
    /// (entries are 32-bit offsets from the table's start).
    pub(crate) exit_slots: Vec<Option<(u32, u32)>>,
    /// For each exit, its stub.
    pub(crate) stubs: Vec<u32>,
    /// Link jumps: (offset, target trace).
    pub(crate) links: Vec<(u32, u32)>,
    /// Native calls into function traces: (offset, target trace or `record::SELF`).
    pub(crate) calls: Vec<(u32, u32)>,
    /// Reads of the store's constant pool (x86-64 only): (offset where the instruction
    /// ends, which is where its 32-bit PC-relative displacement ends; the constant's
    /// byte offset in the pool).
    pub(crate) data_refs: Vec<(u32, u32)>,
}

impl Assembled {
    /// Nothing assembled yet, for a trace with `exits` exits.
    pub(crate) fn empty(exits: usize) -> Assembled {
        Assembled {
            code: Vec::new(),
            text: 0,
            entry: 0,
            link_entry: 0,
            body: None,
            exit_sites: vec![Sites::new(); exits],
            exit_slots: vec![None; exits],
            stubs: vec![0; exits],
            links: Vec::new(),
            calls: Vec::new(),
            data_refs: Vec::new(),
        }
    }
}

/// The result of register allocation.
pub(crate) struct Alloc {
    pub(crate) loc: Vec<Loc>,
    /// Last read of every value: by an operand, a snapshot or a back edge's PHI move (a
    /// PHI's left side keeps its register to the loop's end without being read there).
    pub(crate) end: Vec<u32>,
    /// Position of the `Loop` marker, if the trace loops with PHIs.
    pub(crate) loop_at: Option<usize>,
    /// `(left, right)` of every PHI.
    pub(crate) phis: Vec<(Ref, Ref)>,
    /// One past the highest spill slot used (the parent's included, for a side trace).
    pub(crate) spill_top: u16,
    /// Values computed inside their only user's instruction (see [`Arch::fuses`]): they
    /// have no location, and their operands live until that user.
    pub(crate) fused: Vec<bool>,
    /// A looping root's `Sload`s that hold a register from the trace's entry (allocated
    /// first, as if defined there): the code loads them before anything else, and links
    /// into the trace enter after those loads with the values already in place.
    pub(crate) entry_loads: Vec<Ref>,
}

impl Loc {
    /// The location as the `aux` bits of a `Parent` instruction.
    pub(crate) fn bits(self) -> u64 {
        match self {
            Loc::None => 0,
            Loc::Gpr(g) => 1 << 32 | u64::from(g),
            Loc::Fpr(x) => 2 << 32 | u64::from(x),
            Loc::Spill(i) => 3 << 32 | u64::from(i),
        }
    }

    /// The location a `Parent` instruction's `aux` names.
    pub(crate) fn from_bits(bits: u64) -> Loc {
        match bits >> 32 {
            1 => Loc::Gpr(bits as u8),
            2 => Loc::Fpr(bits as u8),
            3 => Loc::Spill(bits as u16),
            _ => Loc::None,
        }
    }
}

impl Alloc {
    /// Instructions the body does not emit where they stand: those computed inside their
    /// user, and the entry loads.
    pub(crate) fn skipped(&self) -> Vec<bool> {
        let mut skip = self.fused.clone();
        for r in &self.entry_loads {
            skip[r.idx()] = true;
        }
        skip
    }

    /// The values defined before position `at`: those before it, and the entry loads
    /// wherever they stand.
    fn defined_before(&self, at: usize) -> impl Iterator<Item = usize> + '_ {
        let later = self
            .entry_loads
            .iter()
            .map(|r| r.idx())
            .filter(move |&i| i >= at);
        (0..at).chain(later)
    }

    /// The slots the trace expects in registers where links enter it.
    pub(crate) fn entry_regs(&self, ir: &Ir<'_>) -> Vec<EntryReg> {
        self.entry_loads
            .iter()
            .map(|&r| EntryReg {
                slot: ir.get(r).aux as u32,
                loc: self.loc[r.idx()],
                ty: ir.ty(r),
            })
            .collect()
    }

    /// Where the values live at position `at` are (defined before it, used after it or
    /// by its snapshot `snap`, not those only the instruction there takes): what a
    /// native call into another trace, which may use every register and spill slot,
    /// must preserve for the code after it and for its exit.
    pub(crate) fn live_at<'a>(
        &'a self,
        at: usize,
        snap: &'a Snapshot,
    ) -> impl Iterator<Item = Loc> + 'a {
        let in_snap = move |i: usize| snap.entries.iter().any(|e| e.1.idx() == i);
        self.defined_before(at).filter_map(move |i| {
            let (l, end) = (self.loc[i], self.end[i] as usize);
            (l != Loc::None && (end > at || end == at && in_snap(i))).then_some(l)
        })
    }

    /// Values in registers that are live across position `at` (defined before it, used
    /// after it): what a call there must preserve.
    pub(crate) fn live_across(&self, at: usize) -> impl Iterator<Item = (Ref, Loc)> + '_ {
        self.defined_before(at).filter_map(move |i| {
            let l = self.loc[i];
            (matches!(l, Loc::Gpr(_) | Loc::Fpr(_)) && self.end[i] as usize > at)
                .then_some((Ref(i as u32), l))
        })
    }
}

/// Which values [`Arch::fuses`] into their only user: a user on the same side of the
/// `Loop` marker whose operand is the value's sole use, with no snapshot or PHI holding it.
fn fusions<A: Arch>(ir: &Ir<'_>, loop_at: Option<usize>) -> Vec<bool> {
    let n = ir.len();
    let mut uses = vec![0u32; n];
    let mut count = |r: Ref| {
        if !r.is_none() {
            uses[r.idx()] += 1;
        }
    };
    for ins in ir.ins.iter().filter(|i| i.op != Op::Nop) {
        ins.operands().for_each(&mut count);
    }
    for snap in &ir.snaps {
        snap.entries.iter().for_each(|&(_, r)| count(r));
        count(snap.acc);
    }
    let side = |i: usize| loop_at.is_some_and(|l| i > l);
    let mut fused = vec![false; n];
    for (i, user) in ir.ins.iter().enumerate() {
        if user.op == Op::Nop || user.op == Op::Phi {
            continue;
        }
        // At most one operand per user: the user's instruction has room for one.
        let one = user.operands().find(|r| {
            let j = r.idx();
            uses[j] == 1 && side(j) == side(i) && A::fuses(ir, user, *r)
        });
        if let Some(r) = one {
            fused[r.idx()] = true;
        }
    }
    fused
}

/// The register each value had best be in for the trace's link: the one the trace it
/// links to expects the slot in that the value ends in (see [`EntryReg`]), or the
/// `LinkArg` it is. A value defined there needs no move at the link.
fn link_hints(ir: &Ir<'_>, to: &LinkTarget) -> Vec<Option<Loc>> {
    let mut hint = vec![None; ir.len()];
    for ins in ir.ins.iter().filter(|i| i.op == Op::LinkArg) {
        if let (None, Some(&loc)) = (ir.konst(ins.a), to.args.get(ins.aux as usize)) {
            hint[ins.a.idx()].get_or_insert(loc);
        }
    }
    let link = ir.snaps.iter().find(|s| ir.get(s.at).op == Op::Link);
    for &(slot, v) in link.map_or(&[][..], |s| &s.entries[..]) {
        let want = to.regs.iter().find(|e| e.slot == slot && e.ty == ir.ty(v));
        if let (Some(e), None) = (want, ir.konst(v)) {
            hint[v.idx()].get_or_insert(e.loc);
        }
    }
    hint
}

/// The spill slot of a value being spilled: its dead PHI left side's, when `left` is
/// spilled (no move at the loop's end then), or a fresh one.
fn spill_slot(loc: &[Loc], left: Ref, spills: &mut usize) -> Loc {
    match (!left.is_none()).then(|| loc[left.idx()]) {
        Some(l @ Loc::Spill(_)) => l,
        _ => {
            *spills += 1;
            Loc::Spill(*spills as u16 - 1)
        }
    }
}

fn has_value(ins: &Ins) -> bool {
    ins.ty != Ty::Void && !matches!(ins.op, Op::K | Op::Nop | Op::Loop)
}

/// Which PHI right sides take over their left side's register (no move at the loop's
/// end): `coalesce[right] = left`, when the left side is dead, apart from the PHI, by
/// the time the right side is defined.
fn coalescing(ir: &Ir<'_>, phis: &[(Ref, Ref)], end: &[u32]) -> Vec<Ref> {
    let n = ir.len();
    let mut coalesce = vec![Ref::NONE; n];
    let mut taken = vec![false; n];
    // A left side that another PHI moves from must keep its value to the loop's end.
    for &(_, right) in phis {
        if ir.konst(right).is_none() {
            taken[right.idx()] = true;
        }
    }
    for &(left, right) in phis {
        let float = ir.ty(left).is_float();
        if ir.konst(right).is_none()
            && ir.konst(left).is_none()
            && right.idx() > left.idx()
            && end[left.idx()] as usize <= right.idx()
            && ir.ty(right).is_float() == float
            && !taken[left.idx()]
            && coalesce[right.idx()].is_none()
        {
            coalesce[right.idx()] = left;
            taken[left.idx()] = true;
        }
    }
    coalesce
}

/// Allocates registers for `ir` with `A`'s register file; spill slots below
/// `spill_base` belong to the parent trace (0 for a root trace).
pub(crate) fn allocate<A: Arch>(
    ir: &Ir<'_>,
    spill_base: u16,
    link: &LinkTarget,
) -> Result<Alloc, super::record::Abort> {
    let n = ir.len();
    let end_pos = n as u32;
    let loop_at = ir.ins.iter().position(|i| i.op == Op::Loop);
    let mut end = vec![0u32; n];
    let mut used = vec![false; n];
    // PHI left sides are carried around the loop by their PHI, not by living to its end.
    let mut phi_left = vec![false; n];
    for ins in ir.ins.iter().filter(|i| i.op == Op::Phi) {
        phi_left[ins.a.idx()] = true;
    }
    let mut mark = |r: Ref, at: u32, end: &mut Vec<u32>| {
        if r.is_none() {
            return;
        }
        let i = r.idx();
        used[i] = true;
        let at = match loop_at {
            Some(l) if i < l && at as usize > l && !phi_left[i] => end_pos,
            _ => at,
        };
        end[i] = end[i].max(at);
    };
    let fused = fusions::<A>(ir, loop_at);
    let mut phis = Vec::new();
    // Reads and writes inside the loop body, which run every iteration: what spilling
    // a value costs.
    let mut loop_reads = vec![0u32; n];
    for (i, ins) in ir.ins.iter().enumerate() {
        if ins.op == Op::Nop || fused[i] {
            continue;
        }
        if ins.op == Op::Phi {
            phis.push((ins.a, ins.b));
            continue;
        }
        let in_loop = loop_at.is_some_and(|l| i > l);
        let mut read = |r: Ref, end: &mut Vec<u32>| {
            mark(r, i as u32, end);
            if in_loop && !r.is_none() {
                loop_reads[r.idx()] += 1;
            }
        };
        for r in ins.operands() {
            if fused[r.idx()] {
                // Computed here: its own operands are read here.
                for q in ir.ins[r.idx()].operands() {
                    read(q, &mut end);
                }
            } else {
                read(r, &mut end);
            }
        }
    }
    for snap in &ir.snaps {
        let at = snap.at.0;
        for &(_, r) in &snap.entries {
            mark(r, at, &mut end);
        }
        mark(snap.acc, at, &mut end);
    }
    // A spilled value defined in the loop body is also stored every iteration, and a
    // PHI's right side is read once more, by the back edge's move.
    if let Some(l) = loop_at {
        for c in &mut loop_reads[l + 1..] {
            *c += 1;
        }
        for &(_, right) in &phis {
            loop_reads[right.idx()] += 1;
        }
    }
    let coalesce = coalescing(ir, &phis, &end);
    for &(_, right) in &phis {
        mark(right, end_pos, &mut end);
    }
    // What a native call keeps: the back edge moves a PHI's right side into its left
    // side's place, so the left side is not read there (its register stays reserved).
    let last_use = end.clone();
    for &(left, _) in &phis {
        mark(left, end_pos, &mut end);
    }
    let hint = link_hints(ir, link);
    let mut loc = vec![Loc::None; n];
    let mut free_g: Vec<u8> = A::GPRS.iter().rev().copied().collect();
    let mut free_f: Vec<u8> = A::FPRS.iter().rev().copied().collect();
    // Active intervals: (end, ref).
    let mut active: Vec<(u32, usize)> = Vec::new();
    let mut spills = usize::from(spill_base);
    // A looping root's slot loads come first, as if all made at its entry (what they
    // read is the slot's value at entry wherever they are): links into the trace then
    // hand those values over in registers.
    let at_entry: Vec<bool> = (0..n)
        .map(|i| {
            let ins = &ir.ins[i];
            loop_at.is_some_and(|l| i < l)
                && ins.op == Op::Sload
                && ins.aux != u64::from(FUEL_SLOT)
                && used[i]
                && !fused[i]
        })
        .collect();
    let hoisted: Vec<usize> = (0..n).filter(|&i| at_entry[i]).collect();
    let order = hoisted
        .iter()
        .copied()
        .chain((0..n).filter(|&i| !at_entry[i]));
    for (k, i) in order.enumerate() {
        let ins = &ir.ins[i];
        if !has_value(ins) || !used[i] || ins.op == Op::Phi {
            continue;
        }
        if ins.op == Op::Parent {
            // Inherited values come first: the parent's register is still free.
            let want = Loc::from_bits(ins.aux);
            let free = match want {
                Loc::Gpr(g) => free_g
                    .iter()
                    .position(|&r| r == g)
                    .map(|k| free_g.remove(k)),
                Loc::Fpr(x) => free_f
                    .iter()
                    .position(|&r| r == x)
                    .map(|k| free_f.remove(k)),
                _ => None,
            };
            if free.is_some() {
                loc[i] = want;
                active.push((end[i], i));
                continue;
            }
            if let Loc::Spill(_) = want {
                loc[i] = want;
                continue;
            }
        }
        // Expire intervals that ended before this definition (none before the entry
        // loads, which are all defined at the entry).
        let def_at = if k < hoisted.len() { 0 } else { i };
        active.retain(|&(e, r)| {
            if e as usize <= def_at {
                match loc[r] {
                    Loc::Gpr(g) => free_g.push(g),
                    Loc::Fpr(f) => free_f.push(f),
                    _ => {}
                }
                false
            } else {
                true
            }
        });
        let float = ins.ty.is_float();
        // Take over a dead PHI left side's register.
        let left = coalesce[i];
        if !left.is_none() && matches!(loc[left.idx()], Loc::Gpr(_) | Loc::Fpr(_)) {
            active.retain(|&(_, r)| r != left.idx());
            loc[i] = loc[left.idx()];
            active.push((end[i], i));
            continue;
        }
        let free = if float { &mut free_f } else { &mut free_g };
        let as_loc = |g: u8| if float { Loc::Fpr(g) } else { Loc::Gpr(g) };
        let hinted = hint[i].and_then(|h| free.iter().position(|&g| as_loc(g) == h));
        if let Some(reg) = hinted.map(|k| free.remove(k)).or_else(|| free.pop()) {
            loc[i] = if float { Loc::Fpr(reg) } else { Loc::Gpr(reg) };
            active.push((end[i], i));
            continue;
        }
        // Spill whichever of this one and this class's live intervals that end no
        // earlier is read least often in the loop body, then ends last (this one on a
        // tie): every read of a spilled value is a load.
        let cost = |r: usize, e: u32| (loop_reads[r], std::cmp::Reverse(e));
        let victim = active
            .iter()
            .enumerate()
            .filter(|&(_, &(e, r))| ir.ins[r].ty.is_float() == float && e >= end[i])
            .min_by_key(|&(_, &(e, r))| cost(r, e))
            .map(|(k, &(e, r))| (k, e, r));
        if spills >= A::MAX_SPILLS {
            return Err(super::record::Abort::TooManySpills);
        }
        match victim {
            Some((k, e, r)) if cost(r, e) < cost(i, end[i]) => {
                loc[i] = loc[r];
                loc[r] = spill_slot(&loc, coalesce[r], &mut spills);
                active.swap_remove(k);
                active.push((end[i], i));
            }
            _ => loc[i] = spill_slot(&loc, left, &mut spills),
        }
    }
    // One that lost its register to a spill lives in its spill slot and loads in place.
    let entry_loads = hoisted
        .into_iter()
        .filter(|&i| matches!(loc[i], Loc::Gpr(_) | Loc::Fpr(_)))
        .map(|i| Ref(i as u32))
        .collect();
    Ok(Alloc {
        loc,
        end: last_use,
        loop_at,
        phis,
        spill_top: spills as u16,
        fused,
        entry_loads,
    })
}

#[cfg(all(test, any(target_arch = "x86_64", target_arch = "aarch64")))]
mod tests {
    use super::*;
    use crate::jit::ir::{Ins, Snapshot};
    use bumpalo::Bump;

    /// A native call in a loop keeps what is read after it, a PHI's right side
    /// defined before it included, but not a PHI's left side whose last read comes
    /// before it: the back edge overwrites that one.
    #[test]
    fn a_call_keeps_what_is_read_after_it() {
        let arena = Bump::new();
        let mut ir = Ir::new(&arena, 64, 16);
        let one = ir.k(Ty::I32, 1).unwrap();
        let ins = |op, ty, a, b, aux| Ins::new(op, ty, a, b, aux);
        let acc = ir
            .push(ins(Op::Sload, Ty::I32, Ref::NONE, Ref::NONE, 0))
            .unwrap();
        let i = ir
            .push(ins(Op::Sload, Ty::I32, Ref::NONE, Ref::NONE, 1))
            .unwrap();
        ir.push(ins(Op::Loop, Ty::Void, Ref::NONE, Ref::NONE, 0))
            .unwrap();
        let next_i = ir.push(ins(Op::Add, Ty::I32, i, one, 0)).unwrap();
        ir.push(ins(Op::SlotStore, Ty::Void, acc, Ref::NONE, 2))
            .unwrap();
        let call = ir
            .push(ins(Op::CallTrace, Ty::Void, Ref::NONE, Ref::NONE, 2 << 32))
            .unwrap();
        ir.snaps.push(Snapshot::empty(call));
        let next_acc = ir
            .push(ins(Op::SlotLoad, Ty::I32, Ref::NONE, Ref::NONE, 2))
            .unwrap();
        ir.push(ins(Op::Phi, Ty::I32, acc, next_acc, 0)).unwrap();
        ir.push(ins(Op::Phi, Ty::I32, i, next_i, 0)).unwrap();
        let alloc = allocate::<Native>(&ir, 0, &LinkTarget::default()).unwrap();
        let kept: Vec<Loc> = alloc.live_at(call.idx(), &ir.snaps[0]).collect();
        assert_eq!(kept, vec![alloc.loc[next_i.idx()]], "{:?}", alloc.loc);
        assert_ne!(alloc.loc[acc.idx()], Loc::None);
    }

    /// A looping root's slot loads hold their registers from its entry, where links
    /// hand those values over: no value computed before a load's place in the IR
    /// shares its register, and a call there keeps it.
    #[test]
    fn slot_loads_hold_their_registers_from_the_entry() {
        let arena = Bump::new();
        let mut ir = Ir::new(&arena, 64, 16);
        let one = ir.k(Ty::I32, 1).unwrap();
        let ins = |op, ty, a, b, aux| Ins::new(op, ty, a, b, aux);
        let a = ir
            .push(ins(Op::Sload, Ty::I32, Ref::NONE, Ref::NONE, 3))
            .unwrap();
        let t = ir.push(ins(Op::Mul, Ty::I32, a, a, 0)).unwrap();
        let u = ir.push(ins(Op::Add, Ty::I32, t, one, 0)).unwrap();
        let b = ir
            .push(ins(Op::Sload, Ty::F64, Ref::NONE, Ref::NONE, 5))
            .unwrap();
        let c = ir
            .push(ins(Op::Sload, Ty::I64, Ref::NONE, Ref::NONE, 7))
            .unwrap();
        ir.push(ins(Op::Loop, Ty::Void, Ref::NONE, Ref::NONE, 0))
            .unwrap();
        let x = ir.push(ins(Op::Add, Ty::I32, u, a, 0)).unwrap();
        let y = ir.push(ins(Op::Add, Ty::F64, b, b, 0)).unwrap();
        ir.push(ins(Op::Phi, Ty::I32, u, x, 0)).unwrap();
        ir.push(ins(Op::Phi, Ty::F64, b, y, 0)).unwrap();
        ir.push(ins(Op::Phi, Ty::I64, c, c, 0)).unwrap();
        let alloc = allocate::<Native>(&ir, 0, &LinkTarget::default()).unwrap();
        assert_eq!(alloc.entry_loads, vec![a, b, c]);
        for v in [t, u] {
            assert_ne!(alloc.loc[v.idx()], alloc.loc[c.idx()], "{:?}", alloc.loc);
        }
        let regs = alloc.entry_regs(&ir);
        let slots: Vec<(u32, Ty)> = regs.iter().map(|e| (e.slot, e.ty)).collect();
        assert_eq!(slots, vec![(3, Ty::I32), (5, Ty::F64), (7, Ty::I64)]);
        assert!(
            regs.iter()
                .all(|e| matches!(e.loc, Loc::Gpr(_) | Loc::Fpr(_)))
        );
        let across: Vec<Ref> = alloc.live_across(t.idx()).map(|(r, _)| r).collect();
        assert!(across.contains(&c), "{across:?}");
    }

    /// With more loop-invariant values than registers, the ones the loop body reads
    /// least often are spilled, and the one it reads at every step keeps a register.
    #[test]
    fn the_value_the_loop_reads_most_keeps_its_register() {
        let arena = Bump::new();
        let mut ir = Ir::new(&arena, 256, 16);
        let ins = |op, ty, a, b, aux| Ins::new(op, ty, a, b, aux);
        let n = <Native as Arch>::GPRS.len() + 2;
        let invariants: Vec<Ref> = (0..n as u64)
            .map(|k| {
                ir.push(ins(Op::Sload, Ty::I64, Ref::NONE, Ref::NONE, k))
                    .unwrap()
            })
            .collect();
        let i = ir
            .push(ins(Op::Sload, Ty::I64, Ref::NONE, Ref::NONE, n as u64))
            .unwrap();
        ir.push(ins(Op::Loop, Ty::Void, Ref::NONE, Ref::NONE, 0))
            .unwrap();
        // The last invariant defined (by when the registers have run out) is added at
        // every step; the others once, at the end.
        let hot = invariants[n - 1];
        let mut x = i;
        for _ in 0..4 {
            x = ir.push(ins(Op::Add, Ty::I64, x, hot, 0)).unwrap();
        }
        for &v in &invariants[..n - 1] {
            x = ir.push(ins(Op::Xor, Ty::I64, x, v, 0)).unwrap();
        }
        ir.push(ins(Op::Phi, Ty::I64, i, x, 0)).unwrap();
        let alloc = allocate::<Native>(&ir, 0, &LinkTarget::default()).unwrap();
        let spilled = |r: Ref| matches!(alloc.loc[r.idx()], Loc::Spill(_));
        assert!(!spilled(hot), "{:?}", alloc.loc);
        assert!(invariants.iter().any(|&v| spilled(v)), "{:?}", alloc.loc);
    }
}

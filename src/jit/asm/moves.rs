//! What the code generators share about the shape of a trace, apart from instructions:
//! which snapshot each guard has, the moves at a side trace's entry, at the loop's back
//! edge and at a link (scheduled here as a parallel move, cycles broken through the
//! context's parking area), the guard that can close the loop, and the out-of-line paths
//! of native calls. Each backend turns these steps into its own instructions.

use super::{Alloc, Assembled, EntryReg, LinkTarget, Loc};
use crate::jit::ctx::word;
use crate::jit::fuel::FUEL_SLOT;
use crate::jit::ir::{Ins, Ir, Op, Ref};
use crate::jit::record::Abort;
use dynasmrt::DynamicLabel;

/// A parallel move's source.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Src {
    Val(Ref),
    /// Whatever is at a location now (a side trace's inherited value).
    At(Loc),
    /// A value parked in the context's parking area (by word, from its start).
    Parked(usize),
}

/// One step of a parallel move, in order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Step {
    /// Destination, source.
    Move(Loc, Src),
    /// Copies the location's value to the parking area's word.
    Park(Loc, usize),
}

/// For every instruction, the index of its snapshot (`usize::MAX` for none). A `Switch`
/// has one snapshot per target, in order: it maps to the first.
pub(crate) fn snapshots(ir: &Ir<'_>) -> Vec<usize> {
    let mut snap_of = vec![usize::MAX; ir.len()];
    for (k, s) in ir.snaps.iter().enumerate() {
        if snap_of[s.at.idx()] == usize::MAX {
            snap_of[s.at.idx()] = k;
        }
    }
    snap_of
}

/// A side trace's entry: every inherited value the allocation placed elsewhere than the
/// parent did moves there.
pub(crate) fn entry_moves(ir: &Ir<'_>, alloc: &Alloc) -> Vec<(Loc, Src)> {
    let mut moves = Vec::new();
    for (i, ins) in ir.ins.iter().enumerate() {
        if ins.op != Op::Parent {
            continue;
        }
        let (d, from) = (alloc.loc[i], Loc::from_bits(ins.aux));
        if d != Loc::None && d != from {
            moves.push((d, Src::At(from)));
        }
    }
    moves
}

/// The moves the PHIs need before the backward jump: every right side into its left
/// side's location (none when every right side took over its left side's register).
pub(crate) fn phi_moves(ir: &Ir<'_>, alloc: &Alloc) -> Vec<(Loc, Src)> {
    let mut moves = Vec::new();
    for &(left, right) in &alloc.phis {
        let d = alloc.loc[left.idx()];
        if d == Loc::None || (ir.konst(right).is_none() && alloc.loc[right.idx()] == d) {
            continue;
        }
        moves.push((d, Src::Val(right)));
    }
    moves
}

/// The guard that closes the loop, if the body ends in a guard with a snapshot: its
/// branch then goes back to the loop header when the condition holds, and a jump takes
/// the exit, so an iteration costs one branch instead of two. The PHIs' moves go
/// between the compare and the branch, which they leave the flags for; so they may load
/// no constant (x86-64 makes 0 with a `xor`), nor write where the exit finds a value:
/// its snapshot's, or one a side trace from it takes (live at the guard).
pub(crate) fn closing_guard(ir: &Ir<'_>, alloc: &Alloc, snap_of: &[usize]) -> Option<usize> {
    alloc.loop_at?;
    let last = (0..ir.len()).rev().find(|&i| {
        let op = ir.ins[i].op;
        !matches!(op, Op::Phi | Op::Nop | Op::K) && !alloc.fused[i]
    })?;
    if ir.ins[last].op != Op::Guard || snap_of[last] == usize::MAX {
        return None;
    }
    let snap = &ir.snaps[snap_of[last]];
    let in_snap = |r: Ref| r == snap.acc || snap.entries.iter().any(|e| e.1 == r);
    let read_at_exit = |d: Loc| {
        (0..last).map(|i| Ref(i as u32)).any(|r| {
            let kept = alloc.end[r.idx()] as usize >= last && !alloc.phis.iter().any(|p| p.0 == r);
            alloc.loc[r.idx()] == d && ir.konst(r).is_none() && (kept || in_snap(r))
        })
    };
    let safe = phi_moves(ir, alloc)
        .into_iter()
        .all(|(d, src)| !matches!(src, Src::Val(r) if ir.konst(r).is_some()) && !read_at_exit(d));
    safe.then_some(last)
}

/// The location a move source reads, if it is a register or spill slot.
fn src_loc(ir: &Ir<'_>, alloc: &Alloc, src: Src) -> Option<Loc> {
    match src {
        Src::Val(r) if ir.konst(r).is_none() => Some(alloc.loc[r.idx()]),
        Src::At(l) => Some(l),
        _ => None,
    }
}

/// `moves` (destination, source) as steps that perform them as if all at once: a move
/// goes as soon as no other move still reads its destination; a cycle parks the first
/// destination's value, and the moves that read it read the parked copy.
pub(crate) fn schedule(ir: &Ir<'_>, alloc: &Alloc, mut moves: Vec<(Loc, Src)>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut parked = 0;
    while !moves.is_empty() {
        let reads = |moves: &[(Loc, Src)], d: Loc, except: usize| {
            moves
                .iter()
                .enumerate()
                .any(|(k, &(_, src))| k != except && src_loc(ir, alloc, src) == Some(d))
        };
        if let Some(m) = (0..moves.len()).find(|&m| !reads(&moves, moves[m].0, m)) {
            let (d, src) = moves.swap_remove(m);
            steps.push(Step::Move(d, src));
            continue;
        }
        let d = moves[0].0;
        debug_assert!(parked < word::PARK_WORDS, "more cycles than parking words");
        steps.push(Step::Park(d, parked));
        for mv in &mut moves {
            if src_loc(ir, alloc, mv.1) == Some(d) {
                mv.1 = Src::Parked(parked);
            }
        }
        parked += 1;
    }
    steps
}

/// A link's snapshot `k` as what it writes back: the fuel left (to the store, where the
/// other trace reads it), and the slots.
pub(crate) fn link_writes(ir: &Ir<'_>, k: usize) -> (Option<Ref>, Vec<(u32, Ref)>) {
    let mut entries = ir.snaps[k].entries.clone();
    let fuel = entries
        .iter()
        .position(|e| e.0 == FUEL_SLOT)
        .map(|at| entries.remove(at).1);
    (fuel, entries)
}

/// What a link's snapshot `k` hands the trace it enters in registers (`to`: that
/// trace's [`EntryReg`]s, or its body's arguments): the moves of this trace's values for
/// those slots and of its `LinkArg`s, and the slots it has no value of that type for,
/// which the link loads from the frame (after the moves and the slot writes, so from the
/// values just written).
pub(crate) fn link_moves(
    ir: &Ir<'_>,
    k: usize,
    to: &LinkTarget,
) -> (Vec<(Loc, Src)>, Vec<EntryReg>) {
    let entries = &ir.snaps[k].entries;
    // (A link into a body is compiled only while that body's trace, and so its entry,
    // exists: every `LinkArg` has its place.)
    let mut moves: Vec<(Loc, Src)> = (ir.ins.iter())
        .filter(|i| i.op == Op::LinkArg)
        .map(|i| (to.args[i.aux as usize], Src::Val(i.a)))
        .collect();
    let mut loads = Vec::new();
    for &e in &to.regs {
        match entries.iter().find(|x| x.0 == e.slot) {
            Some(&(_, v)) if ir.ty(v) == e.ty => moves.push((e.loc, Src::Val(v))),
            _ => loads.push(e),
        }
    }
    (moves, loads)
}

/// A `br_table` dispatch: its table of 32-bit offsets (from the table's start), the
/// code of the target the trace recorded, the exit of its first target, the number of
/// targets past the first, and which one the trace recorded.
#[derive(Clone, Copy)]
pub(crate) struct SwitchTable {
    pub(crate) table: DynamicLabel,
    pub(crate) cont: DynamicLabel,
    pub(crate) first: usize,
    pub(crate) len: u32,
    pub(crate) taken: u32,
}

impl SwitchTable {
    /// The table of `Switch` instruction `ins` (`aux`: the number of targets past the
    /// first, and the recorded one above bit 32), whose first target exits at `first`.
    pub(crate) fn new(ins: &Ins, first: usize, table: DynamicLabel, cont: DynamicLabel) -> Self {
        SwitchTable {
            table,
            cont,
            first,
            len: ins.aux as u32,
            taken: (ins.aux >> 32) as u32,
        }
    }
}

/// The entries that fill the `Switch` tables (position, value), once every label is
/// placed (`at` says where); records each exit's table entry in `out`.
pub(crate) fn switch_fills(
    switches: &[SwitchTable],
    exits: &[DynamicLabel],
    out: &mut Assembled,
    at: impl Fn(DynamicLabel) -> Option<u32>,
) -> Result<Vec<(u32, i32)>, Abort> {
    let at = |l| at(l).ok_or(Abort::CodeSpace);
    let mut fills = Vec::new();
    for sw in switches {
        let base = at(sw.table)?;
        for c in 0..=sw.len {
            let k = sw.first + c as usize;
            let to = if c == sw.taken {
                at(sw.cont)?
            } else {
                out.exit_slots[k] = Some((base + 4 * c, base));
                at(exits[k])?
            };
            fills.push((base + 4 * c, to as i32 - base as i32));
        }
    }
    Ok(fills)
}

/// What a native call calls.
#[derive(Clone, Copy)]
pub(crate) enum Callee {
    /// A function trace, by number (or `SELF`).
    Trace(u32),
    /// The function at a table entry, of an expected type id.
    Any { entry: Ref, key: u64 },
}

/// A rarely taken path of the body, emitted after it: the hot path falls through
/// instead of jumping over it.
pub(crate) enum Cold<L> {
    /// A megamorphic call whose entry has no native code of the expected type: the
    /// `CallAny` helper runs it, then the code goes on at `back`.
    CallAny { at: L, back: L, key: u64 },
    /// A megamorphic call through table 0 that missed the slot cache (see `entries`):
    /// the `FillSlot` helper fills the slot and the call checks the cache at `check`
    /// again; a slot out of bounds, or (at `other`) an element without code of type
    /// `key`, goes to the `CallAny` helper, then on at `back`.
    SlotMiss {
        check: L,
        miss: L,
        other: L,
        back: L,
        key: u64,
    },
    /// A native call (instruction `r`, callee frame at slot `base`) that returned an
    /// exit or failed: the live values `saved` come back, then this trace exits.
    Unwind {
        at: L,
        r: Ref,
        base: u64,
        saved: Vec<Loc>,
        any: bool,
    },
}

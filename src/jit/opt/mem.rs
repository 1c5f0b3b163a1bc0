//! MEM: memory and global forwarding, applied by FOLD as each load is emitted, and
//! dead-store elimination, once the trace is complete.
//!
//! A load of linear memory or of a global is replaced by the value the last store that
//! can reach it wrote, when that store wrote exactly those bytes (store-to-load), or by
//! an earlier identical load with no possibly overlapping store since (load-to-load).
//! Alias analysis is by address value and offset range, constant addresses by their sum
//! with the offset: a store through the same address value to a disjoint range, or to a
//! constant address that does not overlap a constant load, is stepped over; any other
//! store, any call (helpers and host calls may write memory) and the LOOP marker end
//! the search (a value from before LOOP would be one iteration old). Together with
//! LOOP's copy, a store and a reload of the same address in one iteration cost one
//! store. A store that a later store overwrites before anything could read it (a load
//! that may overlap, a call, an exit, the loop's back edge) is removed.
//!
//! Invariant: a forwarded load reads, on every execution of the trace, the bytes the
//! forwarding store wrote or the earlier load read; a removed store's bytes are
//! overwritten before any load, call or exit could observe them. Bounds checks are
//! separate guards and stay, so traps are unchanged.

use crate::jit::ir::{Ins, Ir, Mem, Op, Ref, Ty, flag};
use std::ops::Range;

/// The value `global` was last stored with, if nothing else could have written it since.
pub(crate) fn forwarded_global(ir: &Ir<'_>, global: u64) -> Option<Ref> {
    for ins in ir.ins.iter().rev() {
        match ins.op {
            Op::GStore if ins.aux == global => return Some(ins.a),
            Op::GStore | Op::Store | Op::SlotStore => continue,
            Op::Call | Op::CallTrace | Op::CallAny | Op::Loop => return None,
            _ => continue,
        }
    }
    None
}

/// The byte range `off..off + n` of an access through address `a`, comparable with the
/// ranges of other accesses: relative to the address value `base` (when `a` is it), or
/// absolute when both `a` and `base` are constants. `None` when the two addresses are
/// unrelated values: the accesses may overlap.
fn range(ir: &Ir<'_>, base: Ref, a: Ref, off: u32, n: u32) -> Option<Range<u64>> {
    let start = match ir.konst(base) {
        Some(_) => ir.konst(a)?,
        None if a == base => 0,
        None => return None,
    };
    let start = start.checked_add(u64::from(off))?;
    Some(start..start.checked_add(u64::from(n))?)
}

/// Whether the access at `b` is provably outside the byte range `mine` (relative to
/// `base`, see [`range`]).
fn disjoint(ir: &Ir<'_>, base: Ref, mine: &Range<u64>, b: &Ins) -> bool {
    let (m, off) = Mem::of_aux(b.aux);
    range(ir, base, b.a, off, m.bytes()).is_some_and(|r| mine.end <= r.start || r.end <= mine.start)
}

/// Whether accesses `a` and `b` cover the same bytes the same way: the same width and
/// extension, through the same address value at the same offset, or through constant
/// addresses whose sums are equal (`#0 +1040` and `#1040 +0` name one place).
fn same_bytes(ir: &Ir<'_>, a: &Ins, b: &Ins) -> bool {
    let ((ma, oa), (mb, ob)) = (Mem::of_aux(a.aux), Mem::of_aux(b.aux));
    let at = |r: Ref, off: u32| ir.konst(r).and_then(|k| k.checked_add(u64::from(off)));
    ma == mb && (a.a == b.a && oa == ob || at(a.a, oa).is_some_and(|x| Some(x) == at(b.a, ob)))
}

/// Whether `op` may write linear memory or let it be observed from outside the trace
/// besides plain stores and loads: calls, exits and the loop's back edge.
fn barrier(op: Op) -> bool {
    op == Op::Loop
        || op.has(flag::GUARD)
        || (op.has(flag::EFFECT) && !matches!(op, Op::Store | Op::GStore | Op::SlotStore))
}

/// The value load `ins` reads, if it is already known:
/// - store-to-load: the last store that can reach it wrote exactly that value (same
///   address, offset and width, the load full-width);
/// - load-to-load: an earlier load of the same address, offset, width and type, with
///   no store that may overlap since.
///
/// The scan back stops at anything that might write the bytes (a store that may
/// overlap, a call) and at the LOOP marker (a value from before it would be one
/// iteration old). Stores provably elsewhere (same address value with a disjoint
/// offset range, or two constant addresses that do not overlap) are stepped over.
pub(crate) fn forwarded_load(ir: &Ir<'_>, ins: &Ins) -> Option<Ref> {
    let (m, off) = Mem::of_aux(ins.aux);
    let full = match ins.ty {
        Ty::I32 | Ty::F32 => 4,
        Ty::I64 | Ty::F64 => 8,
        _ => 0,
    };
    let mine = range(ir, ins.a, ins.a, off, m.bytes())?;
    for (i, other) in ir.ins.iter().enumerate().rev() {
        match other.op {
            Op::Load if same_bytes(ir, other, ins) && other.ty == ins.ty => {
                return Some(Ref(i as u32));
            }
            Op::Store => {
                if same_bytes(ir, other, ins) && m.bytes() == full && ir.ty(other.b) == ins.ty {
                    return Some(other.b);
                }
                if !disjoint(ir, ins.a, &mine, other) {
                    return None;
                }
            }
            Op::Loop => return None,
            // Anything else that may write memory (a call, an effect added later).
            op if op.has(flag::EFFECT) && !matches!(op, Op::GStore | Op::SlotStore) => {
                return None;
            }
            _ => {}
        }
    }
    None
}

/// Dead-store elimination, once the trace is complete (after LOOP, before DCE): a
/// store whose bytes a later store through the same address value overwrites, with
/// nothing in between that could observe them, becomes `Nop`. Observers are loads that
/// may overlap, calls, guards (an exit hands memory to the interpreter) and the LOOP
/// marker; stores in between only write.
pub(crate) fn dead_stores(ir: &mut Ir<'_>) {
    for i in 0..ir.ins.len() {
        let st = ir.ins[i];
        if st.op != Op::Store {
            continue;
        }
        let (m, off) = Mem::of_aux(st.aux);
        let Some(mine) = range(ir, st.a, st.a, off, m.bytes()) else {
            continue;
        };
        for later in &ir.ins[i + 1..] {
            if later.op == Op::Store {
                let (lm, loff) = Mem::of_aux(later.aux);
                let covers = range(ir, st.a, later.a, loff, lm.bytes())
                    .is_some_and(|r| r.start <= mine.start && mine.end <= r.end);
                if covers {
                    let dead = &mut ir.ins[i];
                    (dead.op, dead.a, dead.b, dead.c) = (Op::Nop, Ref::NONE, Ref::NONE, Ref::NONE);
                    break;
                }
            } else if barrier(later.op)
                || (later.op == Op::Load && !disjoint(ir, st.a, &mine, later))
            {
                break;
            }
        }
    }
}

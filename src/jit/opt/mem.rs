//! MEM: memory and global forwarding, applied by FOLD as each load is emitted.
//!
//! A load of linear memory or of a global is replaced by the value the last store that
//! can reach it wrote, when that store wrote exactly those bytes. Alias analysis is by
//! address value and offset range: a store through the same address value to a disjoint
//! range, or to a constant address that does not overlap a constant load, is stepped
//! over; any other store, any call (helpers and host calls may write memory) and the
//! LOOP marker end the search (a value from before LOOP would be one iteration old).
//! Together with LOOP's copy, a store and a reload of the same address in one iteration
//! cost one store.
//!
//! Invariant: a forwarded load reads, on every execution of the trace, the bytes the
//! forwarding store wrote; the load's bounds check stays, so traps are unchanged.

use crate::jit::ir::{Ins, Ir, Mem, Op, Ref, Ty, flag};

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

/// The value a full-width load `ins` reads, if the last store that can reach it
/// wrote exactly that value (same address, offset and width): store-to-load
/// forwarding. The scan back stops at anything that might write the bytes (a store
/// that may overlap, a call) and at the LOOP marker. Stores provably elsewhere (same
/// address value with a disjoint offset range, or two constant addresses that do
/// not overlap) are stepped over.
pub(crate) fn forwarded_store(ir: &Ir<'_>, ins: &Ins) -> Option<Ref> {
    let (m, off) = Mem::of_aux(ins.aux);
    let width = m.bytes();
    let full = match ins.ty {
        Ty::I32 | Ty::F32 => 4,
        Ty::I64 | Ty::F64 => 8,
        _ => 0,
    };
    if width != full {
        return None;
    }
    // Byte ranges relative to the load's address value, or absolute when the load's
    // address is a constant: comparable with a store's only through the same address
    // value, or when both addresses are constants.
    let konst = ir.konst(ins.a);
    let range = |a: Ref, off: u32, n: u32| {
        let base = match konst {
            Some(_) => ir.konst(a)?,
            None if a == ins.a => 0,
            None => return None,
        };
        let start = base.checked_add(u64::from(off))?;
        Some(start..start.checked_add(u64::from(n))?)
    };
    let mine = range(ins.a, off, width)?;
    for st in ir.ins.iter().rev() {
        match st.op {
            Op::Store => {
                let (sm, soff) = Mem::of_aux(st.aux);
                if st.a == ins.a && soff == off && sm == m && ir.ty(st.b) == ins.ty {
                    return Some(st.b);
                }
                match range(st.a, soff, sm.bytes()) {
                    Some(b) if mine.end <= b.start || b.end <= mine.start => {}
                    _ => return None,
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

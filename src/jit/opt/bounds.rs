//! BOUNDS: bounds-check elimination, applied by FOLD to every `Bound` as it is emitted.
//!
//! A check goes when its address has a known maximum below the module's declared
//! memory minimum (memory never shrinks). A computed address with a known maximum is
//! checked as that constant instead, which LOOP then hoists. Otherwise the check folds
//! into a recent check of the same base, widened to cover this access: one check of
//! the largest offset then stands for several accesses off one base.
//!
//! Invariant: a check is only ever made stricter, never dropped while it could fail.
//! When a widened check fails, its exit resumes the interpreter at the earlier access,
//! which then traps (or not) exactly where it should.

use super::fold::Folded;
use crate::jit::ir::{Ins, Ir, IrFull, Mem, Op, Ref, Ty};

/// What becomes of bounds check `ins` (an address `ins.a` accessed up to `ins.aux`
/// bytes past it): `None` to keep it as it is.
pub(crate) fn fold(ir: &mut Ir<'_>, ins: Ins) -> Result<Option<Folded>, IrFull> {
    let konst = ir.konst(ins.a).is_some();
    let max = max_value(ir, ins.a, 8);
    if max.is_some_and(|m| m.saturating_add(ins.aux) <= ir.mem_floor) {
        return Ok(Some(Folded::Ref(Ref::NONE)));
    }
    if let Some(max) = max.filter(|_| !konst) {
        let zero = ir.k(Ty::I32, 0)?;
        return Ok(Some(Folded::Ins(Ins {
            a: zero,
            aux: ins.aux + max,
            ..ins
        })));
    }
    if !konst && (widen(ir, ins.a, ins.aux) || widen_base(ir, &ins)) {
        return Ok(Some(Folded::Ref(Ref::NONE)));
    }
    Ok(None)
}

/// Widens the latest earlier bounds check on `a` to cover `a + end`, if there is one
/// that still holds here.
fn widen(ir: &mut Ir<'_>, a: Ref, end: u64) -> bool {
    match recent(ir, a) {
        Some(i) => {
            let aux = &mut ir.ins[i].aux;
            *aux = (*aux).max(end);
            true
        }
        None => false,
    }
}

/// The latest bounds check on `a` among the last 64 instructions that still holds
/// where the next instruction goes (not a pre-loop check on a loop-carried value).
fn recent(ir: &Ir<'_>, a: Ref) -> Option<usize> {
    let n = ir.len();
    (n.saturating_sub(64)..n).rev().find(|&i| {
        let ins = &ir.ins[i];
        ins.op == Op::Bound && ins.a == a && !ir.cse.is_stale(Ref(i as u32))
    })
}

/// Checks address `base + x` (an i32 sum, `x` at most `m`) through a recent bounds
/// check on `base`, widened by `m`: a node's fields off one pointer (`p + (key < k) * 4`)
/// need no check of their own. The sum cannot wrap once `base + m + end` is inside
/// memory, which is at most 4 GiB.
fn widen_base(ir: &mut Ir<'_>, ins: &Ins) -> bool {
    let sum = *ir.get(ins.a);
    if sum.op != Op::Add || sum.ty != Ty::I32 || ir.cse.is_stale(sum.a) || ir.cse.is_stale(sum.b) {
        return false;
    }
    [(sum.a, sum.b), (sum.b, sum.a)]
        .into_iter()
        .any(|(base, x)| max_value(ir, x, 8).is_some_and(|m| widen(ir, base, ins.aux + m)))
}

/// An upper bound of the i32 value `r` (unsigned), if its computation shows one.
fn max_value(ir: &Ir<'_>, r: Ref, depth: u32) -> Option<u64> {
    let ins = ir.get(r);
    if ins.ty != Ty::I32 || depth == 0 {
        return None;
    }
    let sub = |x: Ref| max_value(ir, x, depth - 1);
    match ins.op {
        Op::K => Some(ins.aux),
        Op::And => match (sub(ins.a), sub(ins.b)) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        },
        Op::Shl => {
            let k = ir.konst(ins.b)? & 31;
            let m = sub(ins.a)? << k;
            (m <= u64::from(u32::MAX)).then_some(m)
        }
        Op::ShrU => Some(sub(ins.a)? >> (ir.konst(ins.b)? & 31)),
        // Sums and products with a constant, when they cannot wrap.
        Op::Add | Op::Mul => {
            let (x, k) = (sub(ins.a)?, ir.konst(ins.b)?);
            let m = if ins.op == Op::Add {
                x.checked_add(k)?
            } else {
                x.checked_mul(k)?
            };
            (m <= u64::from(u32::MAX)).then_some(m)
        }
        Op::RemU => Some(ir.konst(ins.b)?.checked_sub(1)?),
        Op::Cmp => Some(1),
        Op::Load => match Mem::of_aux(ins.aux).0 {
            Mem::U8 => Some(0xff),
            Mem::U16 => Some(0xffff),
            _ => None,
        },
        _ => None,
    }
}

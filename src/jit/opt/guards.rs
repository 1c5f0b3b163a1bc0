//! GUARDS: FOLD's rules for guards on comparisons, applied as each guard or truncation
//! check is emitted.
//!
//! - A guard that a comparison's 0/1 result is (or is not) 0 becomes a guard on the
//!   comparison itself, so the backends branch on the flags; the 0/1 value is computed
//!   only if a snapshot still holds it.
//! - A truncation check (`TruncOk`) is dropped when a guard just before it already
//!   confines the value to the truncation's range. Compilers emit exactly that guard
//!   around a float-to-int conversion (`if (fabs(x) < 0x1p31) (int)x`), so each
//!   conversion is checked once instead of twice.
//! - A guard on which 4 GiB window a 32-bit value plus an offset falls in
//!   (`(x + k) >> 32`, computed in 64 bits, as BOUNDS checks that a counter's addresses
//!   stay in one window) becomes a guard on whether the 32-bit sum wraps: one add and
//!   one compare, with no 64-bit constant.
//!
//! Invariant: a rewritten guard exits exactly when the original would, and a check is
//! dropped only when a guard that dominates it (every earlier instruction of a linear
//! trace does) implies it, NaN included.

use crate::jit::ir::{Cond, Ins, Ir, IrFull, Op, Ref, Ty};
use crate::ops::trunc_bounds;

/// How many instructions before a truncation check are searched for a guard implying it.
const WINDOW: usize = 8;

/// `Guard ne (Cmp c a b) 0` as `Guard c a b` (and `eq` as the negated condition).
pub(super) fn on_compare(ir: &Ir<'_>, ins: &Ins) -> Option<Ins> {
    if ins.op != Op::Guard || ir.konst(ins.b) != Some(0) {
        return None;
    }
    let c = ins.cond();
    if !matches!(c, Cond::Ne | Cond::Eq) {
        return None;
    }
    // Not through a value from before the loop that the loop changes or carries.
    let cmp = *ir.get(ins.a);
    if cmp.op != Op::Cmp || ir.cse.is_opaque(ins.a) {
        return None;
    }
    let c = if c == Cond::Ne {
        cmp.cond()
    } else {
        cmp.cond().negate()
    };
    Some(Ins::new(Op::Guard, Ty::Void, cmp.a, cmp.b, c as u64))
}

/// `Guard eq (ShrU (Add (ExtU x) #k) #32) #c`, for an i32 `x` and `0 < k < 2^32`, as a
/// guard on the 32-bit sum `s = x + k`: the 64-bit sum is below 2^33, in the second
/// window (`c = 1`) exactly when the 32-bit addition wraps, that is when `s < x`
/// unsigned, and in the first (`c = 0`) when `s >= x`. `ne` guards the other window.
/// Emits the sum; `None` when the guard has another shape.
pub(super) fn window(ir: &mut Ir<'_>, ins: &Ins) -> Result<Option<Ins>, IrFull> {
    if ins.op != Op::Guard || !matches!(ins.cond(), Cond::Eq | Cond::Ne) {
        return Ok(None);
    }
    // Not through a value from before the loop that the loop changes or carries.
    let fresh = |ir: &Ir<'_>, r: Ref, op: Op| ir.get(r).op == op && !ir.cse.is_opaque(r);
    let Some(window) = ir.konst(ins.b).filter(|&w| w <= 1) else {
        return Ok(None);
    };
    if !fresh(ir, ins.a, Op::ShrU) {
        return Ok(None);
    }
    let shr = *ir.get(ins.a);
    if ir.konst(shr.b) != Some(32) || !fresh(ir, shr.a, Op::Add) {
        return Ok(None);
    }
    let add = *ir.get(shr.a);
    let Some(k) = ir.konst(add.b).filter(|k| (1..1 << 32).contains(k)) else {
        return Ok(None);
    };
    if !fresh(ir, add.a, Op::ExtU) || ir.ty(ir.get(add.a).a) != Ty::I32 {
        return Ok(None);
    }
    let x = ir.get(add.a).a;
    let k = ir.k(Ty::I32, k)?;
    let sum = ir.emit(Ins::new(Op::Add, Ty::I32, x, k, 0))?;
    let wraps = (window == 1) == (ins.cond() == Cond::Eq);
    let cond = if wraps { Cond::LtU } else { Cond::GeU };
    Ok(Some(Ins::new(Op::Guard, Ty::Void, sum, x, cond as u64)))
}

/// Whether a guard among the last [`WINDOW`] instructions shows that truncation check
/// `ins` (`TruncOk x`) passes: `|x| < k`, or `x < k` together with `x >= k'`, within
/// the conversion's exclusive bounds.
pub(super) fn trunc_implied(ir: &Ir<'_>, ins: &Ins) -> bool {
    let x = ins.a;
    let ty = ir.ty(x);
    let (unsigned, to64) = (ins.aux & 1 != 0, ins.aux & 2 != 0);
    let (lo, hi) = trunc_bounds(ty == Ty::F32, to64, unsigned);
    let (mut below, mut above) = (false, false);
    let start = ir.len().saturating_sub(WINDOW);
    for r in (start..ir.len()).map(|i| Ref(i as u32)) {
        let g = ir.get(r);
        if g.op != Op::Guard {
            continue;
        }
        for (c, a, b) in holds(ir, g) {
            let Some(k) = ir.konst(b).map(|k| float(ty, k)) else {
                continue;
            };
            let abs = a != x && ir.get(a).op == Op::FAbs && ir.get(a).a == x;
            if a != x && !abs {
                continue;
            }
            // An ordered comparison that holds also rules out NaN.
            let (ok_hi, ok_lo) = match c {
                Cond::FLt => (k <= hi, abs && -k >= lo),
                Cond::FLe => (k < hi, abs && -k > lo),
                Cond::FGt if !abs => (false, k >= lo),
                Cond::FGe if !abs => (false, k > lo),
                _ => (false, false),
            };
            below |= ok_hi;
            above |= ok_lo;
        }
    }
    below && above
}

/// The comparisons guard `g` shows to hold: its own, or both sides of
/// `Guard ne (And p q) 0` where `p` and `q` are comparisons.
fn holds(ir: &Ir<'_>, g: &Ins) -> smallvec::SmallVec<[(Cond, Ref, Ref); 3]> {
    let mut out = smallvec::smallvec![(g.cond(), g.a, g.b)];
    let and = ir.get(g.a);
    if g.cond() == Cond::Ne && ir.konst(g.b) == Some(0) && and.op == Op::And {
        for side in [and.a, and.b] {
            let cmp = ir.get(side);
            if cmp.op == Op::Cmp {
                out.push((cmp.cond(), cmp.a, cmp.b));
            }
        }
    }
    out
}

/// Constant bits `k` of float type `ty` as an f64 (exact for f32).
fn float(ty: Ty, k: u64) -> f64 {
    match ty {
        Ty::F32 => f64::from(f32::from_bits(k as u32)),
        _ => f64::from_bits(k),
    }
}

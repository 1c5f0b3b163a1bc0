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
//!
//! LOOP asks [`hoist`] for the checks of a loop whose address is an induction variable
//! (a slot the loop modifies, its value at the iteration's start), scaled by a constant,
//! plus a constant or an invariant base: when a guard bounds the variable by an invariant limit
//! (`iv < n` in the same iteration before the access, or on the value the slot ends the
//! iteration with, which the next iteration starts from), one check before the loop of
//! the address at the limit covers every iteration, and the loop body has none. That
//! check resumes the interpreter at the start of the next iteration when it fails: the
//! interpreter runs the loop and traps at the exact access.

use super::fold::Folded;
use crate::jit::ir::{Cond, Ins, Ir, IrFull, Mem, Op, Ref, Snapshot, Ty, flag};

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

/// An access address `base + iv * scale` (i32, `base` a constant, an invariant value
/// or nothing; `scale` a constant).
struct Scaled {
    iv: Ref,
    scale: u64,
    base: Option<Ref>,
}

/// A guard's bound on an induction variable: `x < n` (or `x <= n`, `inclusive`).
struct Limit {
    x: Ref,
    n: Ref,
    inclusive: bool,
    at: usize,
}

/// Emits, before the loop, the checks that stand for the loop body's copies of the
/// recorded iteration's bounds checks on induction variables (see the module's header);
/// returns which of the recorded iteration's checks the body leaves out. `modified` is
/// the slot map at the end of the iteration, `variant` what changes per iteration (both
/// as LOOP has them).
pub(crate) fn hoist(
    ir: &mut Ir<'_>,
    modified: &[(u32, Ref)],
    variant: &[bool],
) -> Result<Vec<bool>, IrFull> {
    let n1 = ir.len();
    let mut skip = vec![false; n1];
    let Some(resume) = loop_start(ir, modified).or_else(|| loop_end(ir, modified)) else {
        return Ok(skip);
    };
    let invariant = |r: Ref| {
        !r.is_none()
            && r.idx() < n1
            && !variant[r.idx()]
            && !modified.iter().any(|&(_, end)| end == r)
    };
    // Induction variables: (entry value, end value).
    let ivs: Vec<(Ref, Ref)> = modified
        .iter()
        .filter_map(|&(slot, end)| {
            let entry = (0..n1).find(|&i| {
                let ins = &ir.ins[i];
                ins.op == Op::Sload && ins.aux == u64::from(slot) && ins.ty == Ty::I32
            })?;
            Some((Ref(entry as u32), end))
        })
        .collect();
    let limits: Vec<Limit> = (0..n1).filter_map(|i| limit(ir, i, &invariant)).collect();
    for (b, hoisted) in skip.iter_mut().enumerate() {
        let ins = ir.ins[b];
        if ins.op != Op::Bound {
            continue;
        }
        let Some(addr) = scaled(ir, ins.a, &invariant) else {
            continue;
        };
        let Some(&(_, end)) = ivs.iter().find(|iv| iv.0 == addr.iv) else {
            continue;
        };
        // In every iteration of the body, the variable is below the limit where the
        // access reads it: checked earlier in the iteration, or by the iteration before
        // (and the recorded one, for the body's first).
        let Some(lim) = limits
            .iter()
            .find(|l| (l.x == addr.iv && l.at < b) || l.x == end)
        else {
            continue;
        };
        if let Some(r) = check_at_limit(ir, &addr, lim, ins.aux)? {
            let mut snap = resume.clone();
            snap.at = r;
            ir.snaps.push(snap);
        }
        *hoisted = true;
    }
    Ok(skip)
}

/// Where the next iteration can resume, as a snapshot: the recorded iteration's first,
/// when nothing before it has an effect or writes a slot (the interpreter state at the
/// iteration's start is then the loop-entry slot map at its instruction).
fn loop_start(ir: &Ir<'_>, modified: &[(u32, Ref)]) -> Option<Snapshot> {
    let first = ir.snaps.first()?;
    let pure = ir.ins[..first.at.idx()].iter().all(pure);
    (pure
        && resumes_at_itself(ir, first)
        && first.frames.is_empty()
        && first.entries.is_empty()
        && first.acc.is_none())
    .then(|| Snapshot {
        entries: modified.to_vec(),
        ..first.clone()
    })
}

/// Whether the snapshot's exit resumes at its own instruction, done again there (a
/// `Switch`'s resume at its targets instead).
fn resumes_at_itself(ir: &Ir<'_>, snap: &Snapshot) -> bool {
    matches!(ir.get(snap.at).op, Op::Guard | Op::Bound)
}

/// Whether an instruction before the loop's resume point may be done again.
fn pure(ins: &Ins) -> bool {
    !ins.op.has(flag::EFFECT) && !ins.op.has(flag::KEEP) && !ins.op.has(flag::GUARD)
}

/// Or its last, when it already holds every slot's end-of-iteration value and nothing
/// after it has an effect (a loop that tests its condition at the end): the state there
/// is the iteration's end, and resuming, the interpreter takes the backward branch.
fn loop_end(ir: &Ir<'_>, modified: &[(u32, Ref)]) -> Option<Snapshot> {
    let last = ir.snaps.last()?;
    let pure = ir.ins[last.at.idx() + 1..].iter().all(pure);
    let ends = modified.iter().all(|m| last.entries.contains(m));
    (pure && ends && resumes_at_itself(ir, last) && last.frames.is_empty() && last.acc.is_none())
        .then(|| last.clone())
}

/// Instruction `i` as a guard bounding a value by an invariant limit, unsigned.
fn limit(ir: &Ir<'_>, i: usize, invariant: &dyn Fn(Ref) -> bool) -> Option<Limit> {
    let g = &ir.ins[i];
    if g.op != Op::Guard || ir.ty(g.a) != Ty::I32 {
        return None;
    }
    let (x, n, inclusive) = match g.cond() {
        Cond::LtU => (g.a, g.b, false),
        Cond::LeU => (g.a, g.b, true),
        Cond::GtU => (g.b, g.a, false),
        Cond::GeU => (g.b, g.a, true),
        _ => return None,
    };
    invariant(n).then_some(Limit {
        x,
        n,
        inclusive,
        at: i,
    })
}

/// `a` as `base + iv * scale`, if it has that shape.
fn scaled(ir: &Ir<'_>, a: Ref, invariant: &dyn Fn(Ref) -> bool) -> Option<Scaled> {
    let shifted = |r: Ref| {
        let ins = ir.get(r);
        match ins.op {
            Op::Shl if ins.ty == Ty::I32 => Some((ins.a, 1 << (ir.konst(ins.b)? & 31))),
            // An i32 constant is below 2^32: the check's 64-bit sums cannot wrap.
            Op::Mul if ins.ty == Ty::I32 => Some((ins.a, ir.konst(ins.b)? & 0xFFFF_FFFF)),
            Op::Sload if ins.ty == Ty::I32 => Some((r, 1)),
            _ => None,
        }
    };
    if let Some((iv, scale)) = shifted(a) {
        return Some(Scaled {
            iv,
            scale,
            base: None,
        });
    }
    let sum = ir.get(a);
    if sum.op != Op::Add || sum.ty != Ty::I32 {
        return None;
    }
    [(sum.a, sum.b), (sum.b, sum.a)]
        .into_iter()
        .find_map(|(x, base)| {
            let (iv, scale) = shifted(x)?;
            let fixed = ir.konst(base).is_some() || invariant(base);
            fixed.then_some(Scaled {
                iv,
                scale,
                base: Some(base),
            })
        })
}

/// Emits the check of `addr` with the variable at its limit, computed in 64 bits (it
/// cannot wrap then: passing, it is inside memory, at most 4 GiB); returns the check,
/// unless FOLD found it always holds.
fn check_at_limit(
    ir: &mut Ir<'_>,
    addr: &Scaled,
    lim: &Limit,
    end: u64,
) -> Result<Option<Ref>, IrFull> {
    let emit = |ir: &mut Ir<'_>, op, ty, a, b| ir.emit(Ins::new(op, ty, a, b, 0));
    // The recorded iteration passed the guard, so `n >= 1` when it is exclusive.
    let top = if lim.inclusive {
        lim.n
    } else {
        let one = ir.k(Ty::I32, 1)?;
        emit(ir, Op::Sub, Ty::I32, lim.n, one)?
    };
    let mut wide = emit(ir, Op::ExtU, Ty::I64, top, Ref::NONE)?;
    if addr.scale.is_power_of_two() && addr.scale > 1 {
        let k = ir.k(Ty::I64, u64::from(addr.scale.trailing_zeros()))?;
        wide = emit(ir, Op::Shl, Ty::I64, wide, k)?;
    } else if addr.scale != 1 {
        let k = ir.k(Ty::I64, addr.scale)?;
        wide = emit(ir, Op::Mul, Ty::I64, wide, k)?;
    }
    if let Some(base) = addr.base {
        let base = emit(ir, Op::ExtU, Ty::I64, base, Ref::NONE)?;
        wide = emit(ir, Op::Add, Ty::I64, wide, base)?;
    }
    let before = ir.len();
    let r = ir.emit(Ins::new(Op::Bound, Ty::Void, wide, Ref::NONE, end))?;
    Ok((!r.is_none() && r.idx() >= before).then_some(r))
}

//! FOLD: constant folding and algebraic simplification, applied to every instruction as
//! it is emitted (before CSE).
//!
//! Invariant: a folded result computes exactly what the original instruction would, for
//! every input; constants are evaluated with the interpreter's own operator semantics
//! (`ops`), so a folded trace and the interpreter cannot disagree. Operations
//! that would trap are never folded: their guard stays and the operation is emitted.

use crate::jit::ir::{Cond, Ins, Ir, IrFull, Op, Ref, Ty};
use crate::ops::{self, FloatBin, FloatCmp, FloatUn, IntBin, IntCmp, IntUn};

/// What an emission became.
pub(crate) enum Folded {
    /// An existing instruction (or constant) already computes it.
    Ref(Ref),
    /// This (possibly rewritten) instruction must be appended.
    Ins(Ins),
}

/// Folds `ins` against what `ir` knows about its operands.
pub(crate) fn fold(ir: &mut Ir<'_>, ins: Ins) -> Result<Folded, IrFull> {
    use Folded::{Ins as Keep, Ref as Same};
    let ka = (!ins.a.is_none()).then(|| ir.konst(ins.a)).flatten();
    let kb = (!ins.b.is_none()).then(|| ir.konst(ins.b)).flatten();
    let kc = (!ins.c.is_none()).then(|| ir.konst(ins.c)).flatten();
    let all_const = ins.operands().all(|r| ir.konst(r).is_some());
    let has_operands = ins.operands().next().is_some();

    // Constant folding.
    if has_operands && all_const && !matches!(ins.op, Op::Guard | Op::Call | Op::Store) {
        let a_ty = if ins.a.is_none() {
            Ty::Void
        } else {
            ir.ty(ins.a)
        };
        let v = eval(
            ins.op,
            ins.ty,
            a_ty,
            ins.aux,
            [ka, kb, kc].map(|k| k.unwrap_or(0)),
        );
        if let Some(v) = v {
            return Ok(Same(ir.k(ins.ty, v)?));
        }
    }
    // A truncation check on a constant that converts is dropped.
    if ins.op == Op::TruncOk
        && let Some(x) = ka
        && trunc_ok(ir.ty(ins.a), ins.aux, x)
    {
        return Ok(Same(Ref::NONE));
    }
    // A truncation check that a guard just before it implies (see `guards`).
    if ins.op == Op::TruncOk && super::guards::trunc_implied(ir, &ins) {
        return Ok(Same(Ref::NONE));
    }
    // A guard on a comparison's result guards the comparison.
    if let Some(g) = super::guards::on_compare(ir, &ins) {
        return fold(ir, g);
    }
    // A guard on an address sum's 4 GiB window guards whether the 32-bit sum wraps.
    if let Some(g) = super::guards::window(ir, &ins)? {
        return fold(ir, g);
    }
    // A guard on constants holds (the recorder saw it pass), so it is dropped.
    if ins.op == Op::Guard
        && let (Some(x), Some(y)) = (ka, kb)
    {
        let ty = ir.ty(ins.a);
        if cond(ins.cond(), ty, x, y) {
            return Ok(Same(Ref::NONE));
        }
    }
    // A guard of equality with a constant on the left has it on the right, where the
    // backends take an immediate.
    if ins.op == Op::Guard
        && matches!(ins.cond(), Cond::Eq | Cond::Ne)
        && ka.is_some()
        && kb.is_none()
    {
        return fold(
            ir,
            Ins {
                a: ins.b,
                b: ins.a,
                ..ins
            },
        );
    }
    // `x | k` with `k` not 0 is never 0 (a divisor made odd), so a guard that it is not
    // 0 holds. Not through a value before the loop that the loop changes or carries.
    if ins.op == Op::Guard
        && ins.cond() == Cond::Ne
        && kb == Some(0)
        && !ir.cse.is_opaque(ins.a)
        && let src = *ir.get(ins.a)
        && src.op == Op::Or
        && ir.konst(src.b).is_some_and(|k| k != 0)
    {
        return Ok(Same(Ref::NONE));
    }
    let int = matches!(ins.ty, Ty::I32 | Ty::I64);
    // Algebraic rules with one constant operand (constants are on the right after CSE's
    // canonical ordering for commutative ops; check both sides).
    if int {
        let (x, k) = match (ka, kb) {
            (None, Some(k)) => (ins.a, Some(k)),
            (Some(k), None) if ins.op.has(crate::jit::ir::flag::COMM) => (ins.b, Some(k)),
            _ => (Ref::NONE, None),
        };
        if let Some(k) = k {
            let ones = ins.ty.canon(u64::MAX);
            match (ins.op, k) {
                (Op::Add | Op::Or | Op::Xor | Op::Sub, 0) => return Ok(Same(x)),
                (Op::Shl | Op::ShrS | Op::ShrU | Op::Rotl | Op::Rotr, _)
                    if k & u64::from(bits(ins.ty) - 1) == 0 && kb.is_some() =>
                {
                    return Ok(Same(x));
                }
                (Op::Mul, 1) => return Ok(Same(x)),
                (Op::Mul | Op::And, 0) => return Ok(Same(ir.k(ins.ty, 0)?)),
                (Op::And, k) if k == ones => return Ok(Same(x)),
                (Op::DivS | Op::DivU, 1) if kb.is_some() => return Ok(Same(x)),
                (Op::DivS | Op::DivU | Op::RemS | Op::RemU, _) if kb.is_some() => {
                    if let Some(r) = super::divk::reduce(ir, ins.op, ins.ty, x, k)? {
                        return Ok(Same(r));
                    }
                }
                _ => {}
            }
        }
        if ins.a == ins.b {
            match ins.op {
                Op::Sub | Op::Xor => return Ok(Same(ir.k(ins.ty, 0)?)),
                Op::And | Op::Or => return Ok(Same(ins.a)),
                _ => {}
            }
        }
    }
    match ins.op {
        Op::Select => {
            if let Some(c) = kc {
                return Ok(Same(if c as u32 != 0 { ins.a } else { ins.b }));
            }
            if ins.a == ins.b {
                return Ok(Same(ins.a));
            }
        }
        // Re-wrapping or re-extending a value that is already in range.
        // Not through a value from before the loop that the loop changes or carries (the
        // PHIs would not update what the rule reaches).
        Op::Wrap => {
            let src = *ir.get(ins.a);
            if matches!(src.op, Op::ExtS | Op::ExtU) && !ir.cse.is_opaque(ins.a) {
                return Ok(Same(src.a));
            }
        }
        Op::Bitcast => {
            let src = *ir.get(ins.a);
            if src.op == Op::Bitcast && ir.ty(src.a) == ins.ty && !ir.cse.is_opaque(ins.a) {
                return Ok(Same(src.a));
            }
        }
        Op::GLoad => {
            if let Some(v) = super::mem::forwarded_global(ir, ins.aux) {
                return Ok(Same(v));
            }
        }
        Op::Load => {
            if let Some(moved) = super::bounds::rebase(ir, &ins) {
                return fold(ir, moved);
            }
            if let Some(v) = super::mem::forwarded_load(ir, &ins) {
                return Ok(Same(v));
            }
        }
        Op::Store => {
            if let Some(moved) = super::bounds::rebase(ir, &ins) {
                return Ok(Keep(moved));
            }
        }
        Op::Bound => {
            if let Some(f) = super::bounds::fold(ir, ins)? {
                return Ok(f);
            }
        }
        _ => {}
    }
    Ok(Keep(ins))
}

/// The width of `ty` in bits.
pub(super) fn bits(ty: Ty) -> u32 {
    match ty {
        Ty::I32 | Ty::F32 => 32,
        _ => 64,
    }
}

/// Evaluates `cond` on operands of type `ty`.
pub(crate) fn cond(c: Cond, ty: Ty, x: u64, y: u64) -> bool {
    let (x, y) = (ty.canon(x), ty.canon(y));
    if let Some(k) = int_cmp(c) {
        return match ty {
            Ty::I32 => ops::i32_cmp(k, x as u32, y as u32),
            _ => ops::i64_cmp(k, x, y),
        };
    }
    // The negated conditions are true when unordered: the negation of the plain ones.
    let (k, negated) = match c {
        Cond::FEq => (FloatCmp::Eq, false),
        Cond::FNe => (FloatCmp::Ne, false),
        Cond::FLt => (FloatCmp::Lt, false),
        Cond::FLe => (FloatCmp::Le, false),
        Cond::FGt => (FloatCmp::Gt, false),
        Cond::FGe => (FloatCmp::Ge, false),
        Cond::FNotLt => (FloatCmp::Lt, true),
        Cond::FNotLe => (FloatCmp::Le, true),
        Cond::FNotGt => (FloatCmp::Gt, true),
        _ => (FloatCmp::Ge, true),
    };
    let holds = match ty {
        Ty::F32 => ops::f32_cmp(k, f32::from_bits(x as u32), f32::from_bits(y as u32)),
        _ => ops::f64_cmp(k, f64::from_bits(x), f64::from_bits(y)),
    };
    holds != negated
}

/// The integer operator `op` is, if it is one that cannot trap.
fn int_bin(op: Op) -> Option<IntBin> {
    Some(match op {
        Op::Add => IntBin::Add,
        Op::Sub => IntBin::Sub,
        Op::Mul => IntBin::Mul,
        Op::And => IntBin::And,
        Op::Or => IntBin::Or,
        Op::Xor => IntBin::Xor,
        Op::Shl => IntBin::Shl,
        Op::ShrS => IntBin::ShrS,
        Op::ShrU => IntBin::ShrU,
        Op::Rotl => IntBin::Rotl,
        Op::Rotr => IntBin::Rotr,
        _ => return None,
    })
}

/// The float binary operator `op` is, if it is one.
fn float_bin(op: Op) -> Option<FloatBin> {
    Some(match op {
        Op::Add => FloatBin::Add,
        Op::Sub => FloatBin::Sub,
        Op::Mul => FloatBin::Mul,
        Op::FDiv => FloatBin::Div,
        Op::FMin => FloatBin::Min,
        Op::FMax => FloatBin::Max,
        _ => return None,
    })
}

/// The float unary operator on values `op` is, if it is one.
fn float_un(op: Op) -> Option<FloatUn> {
    Some(match op {
        Op::FCeil => FloatUn::Ceil,
        Op::FFloor => FloatUn::Floor,
        Op::FTrunc => FloatUn::Trunc,
        Op::FNearest => FloatUn::Nearest,
        Op::FSqrt => FloatUn::Sqrt,
        _ => return None,
    })
}

/// The integer unary operator `op` is, if it is one.
fn int_un(op: Op) -> Option<IntUn> {
    Some(match op {
        Op::Clz => IntUn::Clz,
        Op::Ctz => IntUn::Ctz,
        Op::Popcnt => IntUn::Popcnt,
        Op::Ext8 => IntUn::Ext8,
        Op::Ext16 => IntUn::Ext16,
        // `i64.extend_i32_s` reads the low 32 bits and sign-extends them, as
        // `i64.extend32_s` does.
        Op::Ext32 | Op::ExtS => IntUn::Ext32,
        _ => return None,
    })
}

/// The integer comparison `c` is, if it is one.
fn int_cmp(c: Cond) -> Option<IntCmp> {
    Some(match c {
        Cond::Eq => IntCmp::Eq,
        Cond::Ne => IntCmp::Ne,
        Cond::LtS => IntCmp::LtS,
        Cond::LtU => IntCmp::LtU,
        Cond::LeS => IntCmp::LeS,
        Cond::LeU => IntCmp::LeU,
        Cond::GtS => IntCmp::GtS,
        Cond::GtU => IntCmp::GtU,
        Cond::GeS => IntCmp::GeS,
        Cond::GeU => IntCmp::GeU,
        _ => return None,
    })
}

/// The value of pure instruction `op` (result type `ty`, first operand of type `a_ty`) on
/// constant operands, or `None` if it is not foldable or would trap.
pub(crate) fn eval(op: Op, ty: Ty, a_ty: Ty, aux: u64, [x, y, z]: [u64; 3]) -> Option<u64> {
    // Slots hold bits, so selection is the same for every type.
    if op == Op::Select && ty != Ty::Void {
        return Some(ty.canon(if z as u32 != 0 { x } else { y }));
    }
    let v = match ty {
        Ty::I32 => {
            let (a, b) = (x as u32, y as u32);
            if let Some(k) = int_bin(op) {
                return Some(u64::from(ops::i32_bin(k, a, b)));
            }
            if let Some(k) = int_un(op) {
                return Some(u64::from(ops::i32_un(k, a)));
            }
            u64::from(match op {
                Op::DivS => ops::i32_div_s(a as i32, b as i32).ok()? as u32,
                Op::DivU => ops::i32_div_u(a, b).ok()?,
                Op::RemS => ops::i32_rem_s(a as i32, b as i32).ok()? as u32,
                Op::RemU => ops::i32_rem_u(a, b).ok()?,
                Op::MulHiU => ((u64::from(a) * u64::from(b)) >> 32) as u32,
                Op::MulHiS => ((i64::from(a as i32) * i64::from(b as i32)) >> 32) as u32,
                Op::Cmp => u32::from(cond(Cond::from_aux(aux), a_ty, x, y)),
                Op::Wrap => x as u32,
                Op::TruncSat | Op::Trunc => trunc_sat(a_ty, aux == 1, false, x) as u32,
                Op::Bitcast => x as u32,
                _ => return None,
            })
        }
        Ty::I64 => {
            let (a, b) = (x, y);
            if let Some(k) = int_bin(op) {
                return Some(ops::i64_bin(k, a, b));
            }
            if let Some(k) = int_un(op) {
                return Some(ops::i64_un(k, a));
            }
            match op {
                Op::DivS => ops::i64_div_s(a as i64, b as i64).ok()? as u64,
                Op::DivU => ops::i64_div_u(a, b).ok()?,
                Op::RemS => ops::i64_rem_s(a as i64, b as i64).ok()? as u64,
                Op::RemU => ops::i64_rem_u(a, b).ok()?,
                Op::MulHiU => ((u128::from(a) * u128::from(b)) >> 64) as u64,
                Op::MulHiS => ((i128::from(a as i64) * i128::from(b as i64)) >> 64) as u64,
                Op::ExtU => u64::from(a as u32),
                Op::TruncSat | Op::Trunc => trunc_sat(a_ty, aux == 1, true, x),
                Op::Bitcast => x,
                _ => return None,
            }
        }
        Ty::F32 => {
            let (a, b) = (f32::from_bits(x as u32), f32::from_bits(y as u32));
            if let Some(k) = float_bin(op) {
                return Some(u64::from(ops::f32_bin(k, a, b).to_bits()));
            }
            if let Some(k) = float_un(op) {
                return Some(u64::from(ops::f32_un(k, a).to_bits()));
            }
            u64::from(match op {
                Op::FCopysign => ops::f32_copysign(x as u32, y as u32),
                Op::FAbs => ops::f32_abs(x as u32),
                Op::FNeg => ops::f32_neg(x as u32),
                Op::Convert => convert_f32(a_ty, aux == 1, x).to_bits(),
                Op::Demote => ops::f32_demote_f64(f64::from_bits(x)).to_bits(),
                Op::Bitcast => x as u32,
                _ => return None,
            })
        }
        Ty::F64 => {
            let (a, b) = (f64::from_bits(x), f64::from_bits(y));
            if let Some(k) = float_bin(op) {
                return Some(ops::f64_bin(k, a, b).to_bits());
            }
            if let Some(k) = float_un(op) {
                return Some(ops::f64_un(k, a).to_bits());
            }
            match op {
                Op::FCopysign => ops::f64_copysign(x, y),
                Op::FAbs => ops::f64_abs(x),
                Op::FNeg => ops::f64_neg(x),
                Op::Convert => convert_f64(a_ty, aux == 1, x).to_bits(),
                Op::Promote => ops::f64_promote_f32(f32::from_bits(x as u32)).to_bits(),
                Op::Bitcast => x,
                _ => return None,
            }
        }
        Ty::Void => return None,
    };
    Some(v)
}

/// Saturating float-to-integer conversion of `x` (of float type `from`).
pub(crate) fn trunc_sat(from: Ty, unsigned: bool, to64: bool, x: u64) -> u64 {
    let (f, d) = (f32::from_bits(x as u32), f64::from_bits(x));
    match (from == Ty::F32, to64, unsigned) {
        (true, false, false) => u64::from(ops::i32_trunc_sat_f32_s(f) as u32),
        (true, false, true) => u64::from(ops::i32_trunc_sat_f32_u(f)),
        (true, true, false) => ops::i64_trunc_sat_f32_s(f) as u64,
        (true, true, true) => ops::i64_trunc_sat_f32_u(f),
        (false, false, false) => u64::from(ops::i32_trunc_sat_f64_s(d) as u32),
        (false, false, true) => u64::from(ops::i32_trunc_sat_f64_u(d)),
        (false, true, false) => ops::i64_trunc_sat_f64_s(d) as u64,
        (false, true, true) => ops::i64_trunc_sat_f64_u(d),
    }
}

/// Whether the trapping truncation of `x` (float type `from`) succeeds; `aux` bit 0 is
/// "unsigned", bit 1 "to i64".
pub(crate) fn trunc_ok(from: Ty, aux: u64, x: u64) -> bool {
    let (unsigned, to64) = (aux & 1 != 0, aux & 2 != 0);
    match from {
        Ty::F32 => {
            let f = f32::from_bits(x as u32);
            match (to64, unsigned) {
                (false, false) => ops::i32_trunc_f32_s(f).is_ok(),
                (false, true) => ops::i32_trunc_f32_u(f).is_ok(),
                (true, false) => ops::i64_trunc_f32_s(f).is_ok(),
                (true, true) => ops::i64_trunc_f32_u(f).is_ok(),
            }
        }
        _ => {
            let f = f64::from_bits(x);
            match (to64, unsigned) {
                (false, false) => ops::i32_trunc_f64_s(f).is_ok(),
                (false, true) => ops::i32_trunc_f64_u(f).is_ok(),
                (true, false) => ops::i64_trunc_f64_s(f).is_ok(),
                (true, true) => ops::i64_trunc_f64_u(f).is_ok(),
            }
        }
    }
}

/// `x` (of integer type `from`) converted to f32.
pub(crate) fn convert_f32(from: Ty, unsigned: bool, x: u64) -> f32 {
    match (from, unsigned) {
        (Ty::I32, false) => ops::f32_convert_i32_s(x as i32),
        (Ty::I32, true) => ops::f32_convert_i32_u(x as u32),
        (_, false) => ops::f32_convert_i64_s(x as i64),
        (_, true) => ops::f32_convert_i64_u(x),
    }
}

/// `x` (of integer type `from`) converted to f64.
pub(crate) fn convert_f64(from: Ty, unsigned: bool, x: u64) -> f64 {
    match (from, unsigned) {
        (Ty::I32, false) => ops::f64_convert_i32_s(x as i32),
        (Ty::I32, true) => ops::f64_convert_i32_u(x as u32),
        (_, false) => ops::f64_convert_i64_s(x as i64),
        (_, true) => ops::f64_convert_i64_u(x),
    }
}

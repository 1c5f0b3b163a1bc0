//! FOLD's strength reduction of integer division and remainder by a constant: a multiply
//! by a fixed-point reciprocal (a "magic number") and shifts instead of a divide
//! instruction, whose 10 to 40 cycles of latency otherwise sit on the critical path of
//! loops such as `acc = acc * x % P`. The method is Granlund and Montgomery's, in the
//! form Hacker's Delight (chapter 10) gives it: for a divisor `d` with `2^l < |d|`, the
//! reciprocal `m ≈ 2^(N+l) / d` is exact enough that `mulhi(x, m) >> l` is `x / d` for
//! every N-bit `x`; where `m` needs N+1 bits, the top bit is folded back in with an add.
//!
//! Called from FOLD (`fold`) when a `DivU`, `DivS`, `RemU` or `RemS` has a constant
//! divisor. Its invariant is FOLD's: the replacement computes exactly the original
//! quotient or remainder for every dividend (the tests check the arithmetic against the
//! interpreter's operators). Divisors 0, 1 and -1 are left alone: FOLD or the trap
//! guards handle them.

use super::fold::bits;
use crate::jit::ir::{Ins, Ir, IrFull, Op, Ref, Ty};

/// `x / d` or `x % d` (`op`) for constant divisor `d` and type `ty`, emitted as
/// multiplies and shifts; `None` where the division is kept.
pub(super) fn reduce(
    ir: &mut Ir<'_>,
    op: Op,
    ty: Ty,
    x: Ref,
    d: u64,
) -> Result<Option<Ref>, IrFull> {
    if !ty.is_int() {
        return Ok(None);
    }
    let bits = bits(ty);
    let d = ty.canon(d);
    let signed = matches!(op, Op::DivS | Op::RemS);
    let q = match (signed, Magic::new(d, bits, signed)) {
        (_, None) => return Ok(None),
        (false, Some(m)) => m.unsigned(ir, ty, x)?,
        (true, Some(m)) => m.signed(ir, ty, x, d)?,
    };
    Ok(Some(match op {
        Op::DivU | Op::DivS => q,
        _ => {
            let dk = ir.k(ty, d)?;
            let qd = emit(ir, Op::Mul, ty, q, dk)?;
            emit(ir, Op::Sub, ty, x, qd)?
        }
    }))
}

/// How to divide by one constant.
#[derive(Debug, PartialEq)]
enum Magic {
    /// `|d|` is `2^shift`.
    Pow2 { shift: u32 },
    /// `q = mulhi(x, mul)`, with `add` corrected by `x`, then shifted right by `shift`.
    Mul { mul: u64, add: bool, shift: u32 },
}

impl Magic {
    /// The plan for divisor `d` (canonical `bits`-bit), or `None` for 0, 1 and -1.
    fn new(d: u64, bits: u32, signed: bool) -> Option<Magic> {
        let sign_bit = 1u64 << (bits - 1);
        let abs = if signed && d & sign_bit != 0 {
            d.wrapping_neg() & mask(bits)
        } else {
            d
        };
        // `abs` is 2^(bits-1) for the most negative divisor, still a power of two.
        if abs <= 1 || (signed && d == mask(bits)) {
            return None;
        }
        let l = 63 - abs.leading_zeros();
        if abs.is_power_of_two() {
            return Some(Magic::Pow2 { shift: l });
        }
        // The reciprocal at the precision that the unsigned (N + l) or signed (N + l - 1)
        // result needs, and whether one bit more (with the add) is required.
        let p = if signed { bits + l - 1 } else { bits + l };
        let num = 1u128 << p;
        let (m, rem) = (num / u128::from(abs), num % u128::from(abs));
        let e = u128::from(abs) - rem;
        let (m, add, shift) = if e < 1u128 << l {
            (m, false, if signed { l - 1 } else { l })
        } else {
            (2 * m + u128::from(2 * rem >= u128::from(abs)), true, l)
        };
        let mut mul = ((m + 1) as u64) & mask(bits);
        if signed && d & sign_bit != 0 {
            mul = mul.wrapping_neg() & mask(bits);
        }
        Some(Magic::Mul { mul, add, shift })
    }

    /// Emits `x / d` for unsigned `x`.
    fn unsigned(&self, ir: &mut Ir<'_>, ty: Ty, x: Ref) -> Result<Ref, IrFull> {
        match *self {
            Magic::Pow2 { shift } => shr(ir, Op::ShrU, ty, x, shift),
            Magic::Mul { mul, add, shift } => {
                let mk = ir.k(ty, mul)?;
                let hi = emit(ir, Op::MulHiU, ty, x, mk)?;
                let t = if add {
                    // (x + hi) / 2 without overflow: the reciprocal's implicit top bit.
                    let t = emit(ir, Op::Sub, ty, x, hi)?;
                    let t = shr(ir, Op::ShrU, ty, t, 1)?;
                    emit(ir, Op::Add, ty, t, hi)?
                } else {
                    hi
                };
                shr(ir, Op::ShrU, ty, t, shift)
            }
        }
    }

    /// Emits `x / d` for signed `x`, rounding toward zero as Wasm does.
    fn signed(&self, ir: &mut Ir<'_>, ty: Ty, x: Ref, d: u64) -> Result<Ref, IrFull> {
        let top = bits(ty) - 1;
        let negative = d >> top & 1 != 0;
        match *self {
            Magic::Pow2 { shift } => {
                // Adds `2^shift - 1` to a negative dividend so the shift rounds to zero.
                let sign = shr(ir, Op::ShrS, ty, x, top)?;
                let bias = shr(ir, Op::ShrU, ty, sign, top + 1 - shift)?;
                let t = emit(ir, Op::Add, ty, x, bias)?;
                let q = shr(ir, Op::ShrS, ty, t, shift)?;
                if !negative {
                    return Ok(q);
                }
                let zero = ir.k(ty, 0)?;
                emit(ir, Op::Sub, ty, zero, q)
            }
            Magic::Mul { mul, add, shift } => {
                let mk = ir.k(ty, mul)?;
                let mut q = emit(ir, Op::MulHiS, ty, x, mk)?;
                if add {
                    let op = if negative { Op::Sub } else { Op::Add };
                    q = emit(ir, op, ty, q, x)?;
                }
                let q = shr(ir, Op::ShrS, ty, q, shift)?;
                // Rounds a negative quotient up, toward zero.
                let up = shr(ir, Op::ShrU, ty, q, top)?;
                emit(ir, Op::Add, ty, q, up)
            }
        }
    }
}

fn mask(bits: u32) -> u64 {
    u64::MAX >> (64 - bits)
}

fn emit(ir: &mut Ir<'_>, op: Op, ty: Ty, a: Ref, b: Ref) -> Result<Ref, IrFull> {
    ir.emit(Ins::new(op, ty, a, b, 0))
}

/// `x` shifted by constant `n` (FOLD drops a shift by 0).
fn shr(ir: &mut Ir<'_>, op: Op, ty: Ty, x: Ref, n: u32) -> Result<Ref, IrFull> {
    let k = ir.k(ty, u64::from(n))?;
    emit(ir, op, ty, x, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops;
    use bumpalo::Bump;

    /// Divisors around the interesting boundaries: small ones, powers of two and their
    /// neighbours, the largest and (signed) most negative values, and some primes.
    fn divisors(bits: u32) -> Vec<u64> {
        let mut v: Vec<u64> = (2..=300).collect();
        for k in 2..bits {
            let p = 1u64 << k;
            v.extend([p - 1, p, p + 1, p.wrapping_neg()]);
        }
        v.extend([
            7,
            10,
            641,
            4_294_967_291,
            0x2545_F491_4F6C_DD1D,
            u64::MAX - 1,
        ]);
        v.extend([
            mask(bits),
            mask(bits) - 1,
            mask(bits) >> 1,
            (mask(bits) >> 1) + 1,
        ]);
        for d in v.clone() {
            v.push(d.wrapping_neg());
        }
        v.into_iter().map(|d| d & mask(bits)).collect()
    }

    /// Dividends: the extremes and their neighbours, then a pseudo-random spread.
    fn dividends(bits: u32) -> Vec<u64> {
        let m = mask(bits);
        let mut v = vec![0, 1, 2, 3, m, m - 1, m >> 1, (m >> 1) + 1, (m >> 1) + 2];
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v.extend([s & m, (s >> (s & 31)) & m]);
        }
        v
    }

    fn reference(op: Op, ty: Ty, x: u64, d: u64) -> u64 {
        let r = match (op, ty) {
            (Op::DivU, Ty::I32) => ops::i32_div_u(x as u32, d as u32).map(u64::from),
            (Op::RemU, Ty::I32) => ops::i32_rem_u(x as u32, d as u32).map(u64::from),
            (Op::DivS, Ty::I32) => ops::i32_div_s(x as i32, d as i32).map(|q| u64::from(q as u32)),
            (Op::RemS, Ty::I32) => ops::i32_rem_s(x as i32, d as i32).map(|q| u64::from(q as u32)),
            (Op::DivU, _) => ops::i64_div_u(x, d),
            (Op::RemU, _) => ops::i64_rem_u(x, d),
            (Op::DivS, _) => ops::i64_div_s(x as i64, d as i64).map(|q| q as u64),
            _ => ops::i64_rem_s(x as i64, d as i64).map(|q| q as u64),
        };
        r.expect("the divisors tested do not trap")
    }

    /// The reduced form, evaluated by FOLD on a constant dividend (so through the
    /// constant folder's `MulHiU`/`MulHiS`), equals the interpreter's operator.
    #[test]
    fn reduced_division_computes_the_quotient_and_remainder() {
        let arena = Bump::new();
        let mut checked = 0;
        for ty in [Ty::I32, Ty::I64] {
            let bits = bits(ty);
            for op in [Op::DivU, Op::RemU, Op::DivS, Op::RemS] {
                for d in divisors(bits) {
                    if matches!(op, Op::DivS | Op::RemS) && d == mask(bits) || d <= 1 {
                        continue;
                    }
                    let mut ir = Ir::new(&arena, 4096, 4096);
                    for x in dividends(bits) {
                        let xk = ir.k(ty, x).unwrap();
                        let r = reduce(&mut ir, op, ty, xk, d).unwrap().expect("reduced");
                        let got = ir.konst(r).expect("folds to a constant");
                        assert_eq!(got, reference(op, ty, x, d), "{op:?} {ty:?} {x} / {d}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 500_000, "{checked}");
    }

    /// The reciprocals of a few divisors, worked out by hand from the definition.
    #[test]
    fn magic_numbers_match_the_definition() {
        // 2^33 / 3 rounded up is 0xAAAA_AAAB: no add; shift 1.
        assert_eq!(
            Magic::new(3, 32, false),
            Some(Magic::Mul {
                mul: 0xAAAA_AAAB,
                add: false,
                shift: 1
            })
        );
        // 7 needs 33 bits: 2^34 / 7 = 0x9249_2492.2..., doubled and rounded up
        // 0x1_2492_4925, with the top bit implicit in the add.
        assert_eq!(
            Magic::new(7, 32, false),
            Some(Magic::Mul {
                mul: 0x2492_4925,
                add: true,
                shift: 2
            })
        );
        // Signed 3: 2^32 / 3 = 0x5555_5555 remainder 1 is not close enough, so one bit
        // more: 0xAAAA_AAAB with the add, shift 1. Signed -3 negates it.
        assert_eq!(
            Magic::new(3, 32, true),
            Some(Magic::Mul {
                mul: 0xAAAA_AAAB,
                add: true,
                shift: 1
            })
        );
        assert_eq!(
            Magic::new(3u32.wrapping_neg().into(), 32, true),
            Some(Magic::Mul {
                mul: 0x5555_5555,
                add: true,
                shift: 1
            })
        );
        assert_eq!(Magic::new(8, 64, true), Some(Magic::Pow2 { shift: 3 }));
        assert_eq!(Magic::new(1, 64, false), None);
        assert_eq!(Magic::new(u64::MAX, 64, true), None);
    }
}

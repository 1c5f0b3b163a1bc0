//! The semantics of the WebAssembly numeric operators, defined once: the integer
//! operators (by kind, for either width), trapping division, float min/max/nearest and
//! rounding, and float-to-int conversions.
//!
//! Pure functions on raw bits, below both tiers: the interpreter's dispatch loop (`exec`)
//! computes with them, and the JIT's constant folding (FOLD) and its run-time helpers call
//! the same ones, so a folded constant is what the interpreter would have computed. The
//! dispatch loop passes each operator kind as a constant, which inlining turns into the one
//! machine instruction. Traps are returned as [`TrapCode`]s; callers raise them.
//!
//! One exception to plain Rust: on x86-64 the int-to-float conversions are written as
//! their instructions with a zeroing in front (`from_i64!`), because LLVM leaves them
//! waiting on a register that the previous handler wrote.

use crate::runtime::trap::TrapCode;

/// An integer binary operator that cannot trap.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IntBin {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
    Shl,
    ShrS,
    ShrU,
    Rotl,
    Rotr,
}

/// An integer comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IntCmp {
    Eq,
    Ne,
    LtS,
    LtU,
    LeS,
    LeU,
    GtS,
    GtU,
    GeS,
    GeU,
}

/// An integer unary operator: bit counts and sign extensions from a narrower width
/// (`Ext32` exists only for 64 bits; on 32 bits it is the identity).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IntUn {
    Clz,
    Ctz,
    Popcnt,
    Ext8,
    Ext16,
    Ext32,
}

/// Whether the CPU has x86-64's `popcnt` instruction, as [`probe_host`] found.
#[cfg(all(target_arch = "x86_64", not(target_feature = "popcnt")))]
static HAS_POPCNT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes the instructions of the host CPU that the operators use beyond the build's
/// target features (called when an engine is made; until then [`popcnt`] counts in
/// software).
pub(crate) fn probe_host() {
    #[cfg(all(target_arch = "x86_64", not(target_feature = "popcnt")))]
    HAS_POPCNT.store(
        std::arch::is_x86_feature_detected!("popcnt"),
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// The number of bits set in `x`. A build for baseline x86-64 (without the `popcnt`
/// target feature, as an embedder's default build is) counts them with shifts, masks
/// and a multiply; here it runs the `popcnt` instruction when the CPU has it, a test of
/// one flag away.
#[inline(always)]
pub(crate) fn popcnt(x: u64) -> u64 {
    #[cfg(all(target_arch = "x86_64", not(target_feature = "popcnt")))]
    if HAS_POPCNT.load(std::sync::atomic::Ordering::Relaxed) {
        let n: u64;
        // SAFETY: the CPU has `popcnt` (`probe_host` found it), which only reads and
        // writes the one register (source and destination alike, so no false dependency
        // on an old value) and the flags.
        unsafe {
            std::arch::asm!("popcnt {0}, {0}", inout(reg) x => n, options(pure, nomem, nostack));
        }
        return n;
    }
    u64::from(x.count_ones())
}

macro_rules! int_ops {
    ($bin:ident, $cmp:ident, $un:ident, $u:ty, $s:ty) => {
        /// `x op y` on this width's bits. Shift and rotate counts are taken modulo the
        /// width, as WebAssembly's are.
        #[inline(always)]
        pub(crate) fn $bin(op: IntBin, x: $u, y: $u) -> $u {
            match op {
                IntBin::Add => x.wrapping_add(y),
                IntBin::Sub => x.wrapping_sub(y),
                IntBin::Mul => x.wrapping_mul(y),
                IntBin::And => x & y,
                IntBin::Or => x | y,
                IntBin::Xor => x ^ y,
                IntBin::Shl => x.wrapping_shl(y as u32),
                IntBin::ShrS => (x as $s).wrapping_shr(y as u32) as $u,
                IntBin::ShrU => x.wrapping_shr(y as u32),
                IntBin::Rotl => x.rotate_left(y as u32),
                IntBin::Rotr => x.rotate_right(y as u32),
            }
        }

        /// `op x` on this width's bits: a bit count, or `x`'s low bits sign-extended.
        #[inline(always)]
        pub(crate) fn $un(op: IntUn, x: $u) -> $u {
            match op {
                IntUn::Clz => x.leading_zeros() as $u,
                IntUn::Ctz => x.trailing_zeros() as $u,
                IntUn::Popcnt => popcnt(x as u64) as $u,
                IntUn::Ext8 => x as i8 as $s as $u,
                IntUn::Ext16 => x as i16 as $s as $u,
                IntUn::Ext32 => x as i32 as $s as $u,
            }
        }

        /// `x op y` on this width's bits, signed or unsigned as `op` says.
        #[inline(always)]
        pub(crate) fn $cmp(op: IntCmp, x: $u, y: $u) -> bool {
            let (sx, sy) = (x as $s, y as $s);
            match op {
                IntCmp::Eq => x == y,
                IntCmp::Ne => x != y,
                IntCmp::LtS => sx < sy,
                IntCmp::LtU => x < y,
                IntCmp::LeS => sx <= sy,
                IntCmp::LeU => x <= y,
                IntCmp::GtS => sx > sy,
                IntCmp::GtU => x > y,
                IntCmp::GeS => sx >= sy,
                IntCmp::GeU => x >= y,
            }
        }
    };
}

int_ops!(i32_bin, i32_cmp, i32_un, u32, i32);
int_ops!(i64_bin, i64_cmp, i64_un, u64, i64);

macro_rules! int_div {
    ($div_s:ident, $div_u:ident, $rem_s:ident, $rem_u:ident, $s:ty, $u:ty) => {
        #[inline(always)]
        pub(crate) fn $div_s(a: $s, b: $s) -> Result<$s, TrapCode> {
            if b == 0 {
                return Err(TrapCode::IntegerDivideByZero);
            }
            a.checked_div(b).ok_or(TrapCode::IntegerOverflow)
        }

        #[inline(always)]
        pub(crate) fn $div_u(a: $u, b: $u) -> Result<$u, TrapCode> {
            a.checked_div(b).ok_or(TrapCode::IntegerDivideByZero)
        }

        #[inline(always)]
        pub(crate) fn $rem_s(a: $s, b: $s) -> Result<$s, TrapCode> {
            if b == 0 {
                return Err(TrapCode::IntegerDivideByZero);
            }
            // `MIN % -1` is 0 in WebAssembly; wrapping_rem gives exactly that.
            Ok(a.wrapping_rem(b))
        }

        #[inline(always)]
        pub(crate) fn $rem_u(a: $u, b: $u) -> Result<$u, TrapCode> {
            a.checked_rem(b).ok_or(TrapCode::IntegerDivideByZero)
        }
    };
}

int_div!(i32_div_s, i32_div_u, i32_rem_s, i32_rem_u, i32, u32);
int_div!(i64_div_s, i64_div_u, i64_rem_s, i64_rem_u, i64, u64);

macro_rules! float_ops {
    ($min:ident, $max:ident, $nearest:ident, $copysign:ident, $f:ty, $bits:ty) => {
        /// WebAssembly `min`: NaN if either operand is NaN; -0 is less than +0.
        #[inline(always)]
        pub(crate) fn $min(a: $f, b: $f) -> $f {
            if a.is_nan() || b.is_nan() {
                return a + b;
            }
            if a == b {
                // Equal, possibly zeros of different signs: prefer the negative one.
                return <$f>::from_bits(a.to_bits() | b.to_bits());
            }
            if a < b { a } else { b }
        }

        /// WebAssembly `max`: NaN if either operand is NaN; +0 is greater than -0.
        #[inline(always)]
        pub(crate) fn $max(a: $f, b: $f) -> $f {
            if a.is_nan() || b.is_nan() {
                return a + b;
            }
            if a == b {
                return <$f>::from_bits(a.to_bits() & b.to_bits());
            }
            if a > b { a } else { b }
        }

        /// Round to nearest, ties to even (see `rounding!` for why no library call).
        #[inline(always)]
        #[expect(clippy::neg_cmp_op_on_partial_ord, reason = "also true for NaN")]
        pub(crate) fn $nearest(a: $f) -> $f {
            if !(a.abs() < <$f>::INTEGRAL) {
                return quiet(a);
            }
            // Adding and subtracting 2^mantissa rounds in the current (nearest-even) mode.
            ((a.abs() + <$f>::INTEGRAL) - <$f>::INTEGRAL).copysign(a)
        }

        /// Magnitude of `a`, sign of `b`, on the bits (NaN payloads are kept).
        #[inline(always)]
        pub(crate) fn $copysign(a: $bits, b: $bits) -> $bits {
            const SIGN: $bits = 1 << (<$bits>::BITS - 1);
            (a & !SIGN) | (b & SIGN)
        }
    };
}

float_ops!(f32_min, f32_max, f32_nearest, f32_copysign, f32, u32);
float_ops!(f64_min, f64_max, f64_nearest, f64_copysign, f64, u64);

/// A NaN with its quiet bit set (the spec's rounding operators return an arithmetic NaN
/// for a signaling NaN input; the host's rounding instructions may pass it through).
trait Quiet {
    fn quieted(self) -> Self;
}
impl Quiet for f32 {
    fn quieted(self) -> f32 {
        if self.is_nan() {
            f32::from_bits(self.to_bits() | 0x0040_0000)
        } else {
            self
        }
    }
}
impl Quiet for f64 {
    fn quieted(self) -> f64 {
        if self.is_nan() {
            f64::from_bits(self.to_bits() | 0x0008_0000_0000_0000)
        } else {
            self
        }
    }
}
#[inline(always)]
fn quiet<F: Quiet>(x: F) -> F {
    x.quieted()
}

/// The smallest magnitude from which every float is an integer (2^mantissa bits).
trait Integral {
    const INTEGRAL: Self;
}
impl Integral for f32 {
    const INTEGRAL: f32 = 8_388_608.0;
}
impl Integral for f64 {
    const INTEGRAL: f64 = 4_503_599_627_370_496.0;
}

/// `trunc`, `floor` and `ceil` by integer conversion: the baseline x86-64 target has no
/// rounding instruction, and a library call inside the interpreter's dispatch loop would
/// push its hot state out of registers. NaN inputs come back quieted, as the spec asks.
macro_rules! rounding {
    ($trunc:ident, $floor:ident, $ceil:ident, $f:ty, $int:ty) => {
        #[inline(always)]
        #[expect(clippy::neg_cmp_op_on_partial_ord, reason = "also true for NaN")]
        pub(crate) fn $trunc(a: $f) -> $f {
            if !(a.abs() < <$f>::INTEGRAL) {
                return quiet(a);
            }
            // SAFETY: `a` is finite and below 2^mantissa in magnitude, so its truncation
            // fits `$int` (wider than the mantissa). (An `as` cast would clamp again.)
            let t = unsafe { a.to_int_unchecked::<$int>() };
            (t as $f).copysign(a)
        }

        #[inline(always)]
        pub(crate) fn $floor(a: $f) -> $f {
            let t = $trunc(a);
            if t > a { t - 1.0 } else { t }
        }

        #[inline(always)]
        pub(crate) fn $ceil(a: $f) -> $f {
            let t = $trunc(a);
            if t < a { t + 1.0 } else { t }
        }
    };
}

rounding!(f32_trunc, f32_floor, f32_ceil, f32, i32);
rounding!(f64_trunc, f64_floor, f64_ceil, f64, i64);

/// A float binary operator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FloatBin {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
}

/// A float unary operator on the value (`abs` and `neg` work on the bits).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FloatUn {
    Ceil,
    Floor,
    Trunc,
    Nearest,
    Sqrt,
}

/// A float comparison: false when unordered, except `Ne`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FloatCmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

macro_rules! float_kinds {
    ($bin:ident, $un:ident, $cmp:ident, $abs:ident, $neg:ident, $f:ty, $bits:ty,
     [$min:ident, $max:ident, $ceil:ident, $floor:ident, $trunc:ident, $nearest:ident]) => {
        /// `x op y`.
        #[inline(always)]
        pub(crate) fn $bin(op: FloatBin, x: $f, y: $f) -> $f {
            match op {
                FloatBin::Add => x + y,
                FloatBin::Sub => x - y,
                FloatBin::Mul => x * y,
                FloatBin::Div => x / y,
                FloatBin::Min => $min(x, y),
                FloatBin::Max => $max(x, y),
            }
        }

        /// `op x`.
        #[inline(always)]
        pub(crate) fn $un(op: FloatUn, x: $f) -> $f {
            match op {
                FloatUn::Ceil => $ceil(x),
                FloatUn::Floor => $floor(x),
                FloatUn::Trunc => $trunc(x),
                FloatUn::Nearest => $nearest(x),
                FloatUn::Sqrt => x.sqrt(),
            }
        }

        /// `x op y`.
        #[inline(always)]
        pub(crate) fn $cmp(op: FloatCmp, x: $f, y: $f) -> bool {
            match op {
                FloatCmp::Eq => x == y,
                FloatCmp::Ne => x != y,
                FloatCmp::Lt => x < y,
                FloatCmp::Le => x <= y,
                FloatCmp::Gt => x > y,
                FloatCmp::Ge => x >= y,
            }
        }

        /// `abs` on the bits: the sign cleared, NaN payloads kept.
        #[inline(always)]
        pub(crate) fn $abs(x: $bits) -> $bits {
            x & !(1 << (<$bits>::BITS - 1))
        }

        /// `neg` on the bits: the sign flipped, NaN payloads kept.
        #[inline(always)]
        pub(crate) fn $neg(x: $bits) -> $bits {
            x ^ (1 << (<$bits>::BITS - 1))
        }
    };
}

float_kinds!(
    f32_bin,
    f32_un,
    f32_cmp,
    f32_abs,
    f32_neg,
    f32,
    u32,
    [
        f32_min,
        f32_max,
        f32_ceil,
        f32_floor,
        f32_trunc,
        f32_nearest
    ]
);
float_kinds!(
    f64_bin,
    f64_un,
    f64_cmp,
    f64_abs,
    f64_neg,
    f64,
    u64,
    [
        f64_min,
        f64_max,
        f64_ceil,
        f64_floor,
        f64_trunc,
        f64_nearest
    ]
);

/// Conversions that are one `as` cast: saturating truncation (`as` saturates and maps
/// NaN to 0, as `trunc_sat` does), int-to-float conversion (rounding to nearest even),
/// promotion and demotion.
macro_rules! casts {
    ($($name:ident: $from:ty => $to:ty;)*) => {
        $(
            #[inline(always)]
            pub(crate) fn $name(x: $from) -> $to {
                x as $to
            }
        )*
    };
}

casts! {
    i32_trunc_sat_f32_s: f32 => i32;
    i32_trunc_sat_f32_u: f32 => u32;
    i32_trunc_sat_f64_s: f64 => i32;
    i32_trunc_sat_f64_u: f64 => u32;
    i64_trunc_sat_f32_s: f32 => i64;
    i64_trunc_sat_f32_u: f32 => u64;
    i64_trunc_sat_f64_s: f64 => i64;
    i64_trunc_sat_f64_u: f64 => u64;
    f64_convert_i64_u: u64 => f64;
    f32_demote_f64: f64 => f32;
    f64_promote_f32: f32 => f64;
}

/// Int-to-float conversions of a signed 64-bit value (rounding to nearest even), each
/// writing a whole register.
///
/// x86-64's conversion instructions (`cvtsi2sd`, `cvtsi2ss`) write only the low lane of
/// their destination and so wait for whatever last wrote it, and LLVM breaks that false
/// dependency (with a zeroing `xorps`) only when it sees the register written nearby in
/// the same function. In the interpreter's handlers the last writer is in the previous
/// handler (the float accumulator's operation, often a long one): a chain of conversions
/// and float operations then ran one after another. The zeroing here is explicit.
macro_rules! from_i64 {
    ($($name:ident: $to:ty, $ins:literal => [$($conv:ident: $from:ty),*];)*) => {
        $(
            #[inline(always)]
            fn $name(x: i64) -> $to {
                #[cfg(target_arch = "x86_64")]
                {
                    let r: $to;
                    // SAFETY: register arithmetic only: no memory, stack or flags touched.
                    unsafe {
                        std::arch::asm!(
                            "xorps {r}, {r}",
                            concat!($ins, " {r}, {x}"),
                            r = out(xmm_reg) r,
                            x = in(reg) x,
                            options(pure, nomem, nostack, preserves_flags),
                        );
                    }
                    r
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    x as $to
                }
            }

            $(
                /// The operator of that name: the value converted as the `i64` it widens
                /// to, which is exact.
                #[inline(always)]
                #[allow(clippy::useless_conversion, reason = "the identity for an `i64`")]
                pub(crate) fn $conv(x: $from) -> $to {
                    $name(i64::from(x))
                }
            )*
        )*
    };
}

from_i64! {
    f64_from_i64: f64, "cvtsi2sd" =>
        [f64_convert_i32_s: i32, f64_convert_i32_u: u32, f64_convert_i64_s: i64];
    f32_from_i64: f32, "cvtsi2ss" =>
        [f32_convert_i32_s: i32, f32_convert_i32_u: u32, f32_convert_i64_s: i64];
}

/// `f32.convert_i64_u`: below 2^63 as signed; above, half the value with its low bit
/// kept sticky, doubled (exact, so rounding happens once).
#[inline(always)]
pub(crate) fn f32_convert_i64_u(x: u64) -> f32 {
    match i64::try_from(x) {
        Ok(x) => f32_from_i64(x),
        Err(_) => 2.0 * f32_from_i64(((x >> 1) | (x & 1)) as i64),
    }
}

/// The exclusive bounds of the float values (of type f32 if `from_f32`, else f64) whose
/// truncation fits the integer target (`to64`, `unsigned`). Every bound is exact in both
/// float types. Shared with the JIT's inline range checks.
pub(crate) const fn trunc_bounds(from_f32: bool, to64: bool, unsigned: bool) -> (f64, f64) {
    match (to64, unsigned) {
        (false, false) if from_f32 => (-2147483904.0, 2147483648.0),
        (false, false) => (-2147483649.0, 2147483648.0),
        (false, true) => (-1.0, 4294967296.0),
        (true, false) if from_f32 => (-9223373136366403584.0, 9223372036854775808.0),
        (true, false) => (-9223372036854777856.0, 9223372036854775808.0),
        (true, true) => (-1.0, 18446744073709551616.0),
    }
}

/// Trapping float-to-int truncation, within [`trunc_bounds`].
macro_rules! trunc {
    ($name:ident, $f:ty, $int:ty, $to64:expr, $unsigned:expr) => {
        #[inline(always)]
        pub(crate) fn $name(x: $f) -> Result<$int, TrapCode> {
            const BOUNDS: (f64, f64) = trunc_bounds(
                <$f>::MANTISSA_DIGITS == f32::MANTISSA_DIGITS,
                $to64,
                $unsigned,
            );
            if x.is_nan() {
                return Err(TrapCode::BadConversionToInteger);
            }
            if x > BOUNDS.0 as $f && x < BOUNDS.1 as $f {
                // SAFETY: `x` is not NaN and lies strictly between the bounds, which are
                // exact (see `trunc_bounds`): it is finite and its truncation fits `$int`.
                // (An `as` cast would clamp again, five instructions on x86-64.)
                Ok(unsafe { x.to_int_unchecked::<$int>() })
            } else {
                Err(TrapCode::IntegerOverflow)
            }
        }
    };
}

trunc!(i32_trunc_f32_s, f32, i32, false, false);
trunc!(i32_trunc_f32_u, f32, u32, false, true);
trunc!(i32_trunc_f64_s, f64, i32, false, false);
trunc!(i32_trunc_f64_u, f64, u32, false, true);
trunc!(i64_trunc_f32_s, f32, i64, true, false);
trunc!(i64_trunc_f32_u, f32, u64, true, true);
trunc!(i64_trunc_f64_s, f64, i64, true, false);
trunc!(i64_trunc_f64_u, f64, u64, true, true);

/// The range test of a compiler's guarded float-to-int conversion (LLVM's lowering of a
/// cast from a float without the non-trapping conversions): signed, `|x| < 2^(n-1)`;
/// unsigned, `0 <= x < 2^n`, for an `n`-bit target. An `f32` operand is tested as the
/// `f64` it widens to exactly, against the same bounds (powers of two, exact in both).
#[inline]
pub(crate) fn guarded_in_range(x: f64, to64: bool, unsigned: bool) -> bool {
    let hi = trunc_bounds(false, to64, unsigned).1;
    if unsigned {
        x >= 0.0 && x < hi
    } else {
        x.abs() < hi
    }
}

/// The bits of [`guarded_in_range`]'s bound in the operand's type (`f32` if `from_f32`).
pub(crate) fn guarded_bound_bits(from_f32: bool, to64: bool, unsigned: bool) -> u64 {
    let hi = trunc_bounds(from_f32, to64, unsigned).1;
    if from_f32 {
        u64::from((hi as f32).to_bits())
    } else {
        hi.to_bits()
    }
}

/// The bits of a guarded conversion's fallback (see [`guarded_trunc`]'s functions): the
/// target's minimum.
pub(crate) fn guarded_fallback_bits(to64: bool, unsigned: bool) -> u64 {
    match (to64, unsigned) {
        (_, true) => 0,
        (false, false) => u64::from(i32::MIN as u32),
        (true, false) => i64::MIN as u64,
    }
}

/// A compiler's guarded conversion: the truncation when [`guarded_in_range`] passes,
/// else the compiler's fallback, the target's minimum (`i32::MIN`, `i64::MIN`, 0).
macro_rules! guarded_trunc {
    ($($name:ident: $f:ty => $int:ty, $to64:expr, $unsigned:expr;)*) => {$(
        #[inline(always)]
        pub(crate) fn $name(x: $f) -> $int {
            if guarded_in_range(f64::from(x), $to64, $unsigned) {
                // SAFETY: the range test passed: `x` is not NaN and lies strictly inside
                // `trunc_bounds` (`|x| < 2^(n-1)` or `0 <= x < 2^n`), so it is finite and
                // its truncation fits `$int`. (The trapping truncation's own checks would
                // test the same range again.)
                unsafe { x.to_int_unchecked::<$int>() }
            } else {
                <$int>::MIN
            }
        }
    )*};
}

guarded_trunc! {
    i32_trunc_guarded_f32_s: f32 => i32, false, false;
    i32_trunc_guarded_f32_u: f32 => u32, false, true;
    i32_trunc_guarded_f64_s: f64 => i32, false, false;
    i32_trunc_guarded_f64_u: f64 => u32, false, true;
    i64_trunc_guarded_f32_s: f32 => i64, true, false;
    i64_trunc_guarded_f32_u: f32 => u64, true, true;
    i64_trunc_guarded_f64_s: f64 => i64, true, false;
    i64_trunc_guarded_f64_u: f64 => u64, true, true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_traps() {
        assert_eq!(i32_div_s(7, 0), Err(TrapCode::IntegerDivideByZero));
        assert_eq!(i32_div_s(i32::MIN, -1), Err(TrapCode::IntegerOverflow));
        assert_eq!(i32_rem_s(i32::MIN, -1), Ok(0));
        assert_eq!(i64_div_u(7, 2), Ok(3));
        assert_eq!(i64_rem_u(7, 0), Err(TrapCode::IntegerDivideByZero));
    }

    #[test]
    fn min_max_signed_zero_and_nan() {
        assert!(f32_min(-0.0, 0.0).is_sign_negative());
        assert!(f64_max(-0.0, 0.0).is_sign_positive());
        assert!(f64_min(f64::NAN, 1.0).is_nan());
        assert_eq!(f32_max(1.0, 2.0), 2.0);
    }

    #[test]
    fn truncation_bounds() {
        assert_eq!(i32_trunc_f32_s(-2147483648.0), Ok(i32::MIN));
        assert_eq!(
            i32_trunc_f32_s(2147483648.0),
            Err(TrapCode::IntegerOverflow)
        );
        assert_eq!(i32_trunc_f64_s(-2147483648.9), Ok(i32::MIN));
        assert_eq!(i32_trunc_f64_u(-0.9), Ok(0));
        assert_eq!(
            i64_trunc_f64_u(f64::NAN),
            Err(TrapCode::BadConversionToInteger)
        );
        assert_eq!(i64_trunc_f32_s(-9223372036854775808.0), Ok(i64::MIN));
        assert_eq!(f64_nearest(2.5), 2.0);
        assert_eq!(f32_nearest(-3.5), -4.0);
    }

    #[test]
    fn rounding_matches_the_library() {
        let cases = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            -7.999,
            1e15 + 0.5,
            4503599627370495.5,
            -4503599627370495.5,
            1e300,
            -1e-300,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in cases {
            assert_eq!(f64_trunc(x).to_bits(), x.trunc().to_bits(), "trunc {x}");
            assert_eq!(f64_floor(x).to_bits(), x.floor().to_bits(), "floor {x}");
            assert_eq!(f64_ceil(x).to_bits(), x.ceil().to_bits(), "ceil {x}");
            assert_eq!(
                f64_nearest(x).to_bits(),
                x.round_ties_even().to_bits(),
                "nearest {x}"
            );
            let y = x as f32;
            assert_eq!(f32_trunc(y).to_bits(), y.trunc().to_bits(), "trunc {y}");
            assert_eq!(f32_floor(y).to_bits(), y.floor().to_bits(), "floor {y}");
            assert_eq!(f32_ceil(y).to_bits(), y.ceil().to_bits(), "ceil {y}");
            assert_eq!(
                f32_nearest(y).to_bits(),
                y.round_ties_even().to_bits(),
                "nearest {y}"
            );
        }
        assert!(f64_floor(f64::NAN).is_nan() && f32_ceil(f32::NAN).is_nan());
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn shift_and_rotate_counts_wrap_at_the_width() {
        assert_eq!(i32_bin(IntBin::Shl, 1, 33), 2);
        assert_eq!(i32_bin(IntBin::ShrS, (-8i32) as u32, 1), (-4i32) as u32);
        assert_eq!(i32_bin(IntBin::ShrU, 0x8000_0000, 31), 1);
        assert_eq!(i32_bin(IntBin::Rotl, 0x8000_0001, 1), 3);
        assert_eq!(i32_bin(IntBin::Rotr, 3, 33), 0x8000_0001);
        assert_eq!(i64_bin(IntBin::Shl, 1, 65), 2);
        assert_eq!(i64_bin(IntBin::ShrS, (-8i64) as u64, 65), (-4i64) as u64);
        assert_eq!(i64_bin(IntBin::Rotr, 1, 65), 1 << 63);
        assert_eq!(i64_bin(IntBin::Rotl, 1 << 63, (1 << 32) + 1), 1);
    }

    #[test]
    fn unary_kinds_count_bits_and_sign_extend_from_the_low_bits() {
        assert_eq!(i32_un(IntUn::Clz, 0), 32);
        assert_eq!(i32_un(IntUn::Clz, 0x0001_0000), 15);
        assert_eq!(i32_un(IntUn::Ctz, 0), 32);
        assert_eq!(i32_un(IntUn::Ctz, 0x0001_0000), 16);
        assert_eq!(i32_un(IntUn::Popcnt, 0xF0F0_0001), 9);
        assert_eq!(i32_un(IntUn::Ext8, 0x1234_5680), 0xFFFF_FF80);
        assert_eq!(i32_un(IntUn::Ext16, 0x1234_7FFF), 0x7FFF);
        assert_eq!(i64_un(IntUn::Clz, 0), 64);
        assert_eq!(i64_un(IntUn::Ctz, 1 << 40), 40);
        assert_eq!(i64_un(IntUn::Popcnt, u64::MAX), 64);
        for probed in [false, true] {
            if probed {
                probe_host();
            }
            for x in [
                0,
                1,
                0x8000_0000_0000_0000,
                0xF0F0_0001_0000_FFFF,
                u64::MAX - 1,
            ] {
                assert_eq!(popcnt(x), u64::from(x.count_ones()), "{x:#x}");
            }
        }
        assert_eq!(i64_un(IntUn::Ext8, 0xFF), u64::MAX);
        assert_eq!(i64_un(IntUn::Ext16, 0x1_8000), 0xFFFF_FFFF_FFFF_8000);
        assert_eq!(i64_un(IntUn::Ext32, 0x1_8000_0000), 0xFFFF_FFFF_8000_0000);
        assert_eq!(i64_un(IntUn::Ext32, 0x7FFF_FFFF), 0x7FFF_FFFF);
    }

    #[test]
    fn arithmetic_wraps_and_comparisons_take_their_signedness() {
        assert_eq!(i32_bin(IntBin::Add, u32::MAX, 2), 1);
        assert_eq!(i32_bin(IntBin::Sub, 0, 1), u32::MAX);
        assert_eq!(i64_bin(IntBin::Mul, 1 << 63, 2), 0);
        assert!(i32_cmp(IntCmp::LtS, (-1i32) as u32, 0));
        assert!(!i32_cmp(IntCmp::LtU, (-1i32) as u32, 0));
        assert!(i64_cmp(IntCmp::GeU, u64::MAX, 0));
        assert!(!i64_cmp(IntCmp::GeS, u64::MAX, 0));
        assert!(i32_cmp(IntCmp::LeS, 5, 5) && i32_cmp(IntCmp::Ne, 5, 6));
    }

    #[test]
    fn float_kinds_compare_unordered_as_false_and_keep_nan_payloads() {
        let nan = f32::from_bits(0x7fc0_0001);
        assert!(!f32_cmp(FloatCmp::Eq, nan, nan) && f32_cmp(FloatCmp::Ne, nan, nan));
        assert!(!f64_cmp(FloatCmp::Lt, f64::NAN, 1.0) && !f64_cmp(FloatCmp::Ge, f64::NAN, 1.0));
        assert_eq!(f32_abs(0xffc0_0001), 0x7fc0_0001);
        assert_eq!(f64_neg(0), 1 << 63);
        assert_eq!(
            f64_bin(FloatBin::Min, -0.0, 0.0).to_bits(),
            (-0.0f64).to_bits()
        );
        assert_eq!(f32_bin(FloatBin::Div, 1.0, 0.0), f32::INFINITY);
        assert_eq!(f64_un(FloatUn::Nearest, 2.5), 2.0);
        assert_eq!(i32_trunc_sat_f32_s(f32::NAN), 0);
        assert_eq!(i64_trunc_sat_f64_u(-5.0), 0);
        assert_eq!(i32_trunc_sat_f64_s(1e10), i32::MAX);
        assert_eq!(f32_convert_i64_u(u64::MAX), 18446744073709551616.0);
    }

    /// The int-to-float conversions written out (`from_i64!`, the unsigned 64-bit split)
    /// round exactly as Rust's `as` casts do, which round to nearest even.
    #[test]
    fn int_to_float_conversions_round_as_casts_do() {
        let mut values = vec![0u64, 1, u64::MAX, 1 << 63, (1 << 63) - 1, (1 << 63) + 1];
        // Halfway and sticky cases around f32's and f64's 24 and 53 bits, at both ends.
        for shift in [0, 8, 11, 29, 30, 39, 40] {
            for low in [0x7f_ffffu64, 0x80_0000, 0x80_0001, 0xff_ffff, 0x1_ffff_ffff] {
                values.extend([low << shift, !(low << shift), (low << shift) | 1]);
            }
        }
        // Exactly halfway below a top bit, with and without a sticky low bit, for the
        // 24 and 53 bits of f32 and f64.
        for top in [31u32, 32, 62, 63] {
            for bits in [24u32, 53] {
                let Some(half) = top.checked_sub(bits) else {
                    continue;
                };
                for odd in [0u64, 1 << (half + 1)] {
                    let v = (1u64 << top) | odd | (1 << half);
                    values.extend([v, v | 1, v - 1]);
                }
            }
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.extend([x, x >> (x % 64)]);
        }
        for v in values {
            let (s32, u32_, s64) = (v as i32, v as u32, v as i64);
            assert_eq!(
                f32_convert_i32_s(s32).to_bits(),
                (s32 as f32).to_bits(),
                "{v:#x}"
            );
            assert_eq!(
                f32_convert_i32_u(u32_).to_bits(),
                (u32_ as f32).to_bits(),
                "{v:#x}"
            );
            assert_eq!(
                f32_convert_i64_s(s64).to_bits(),
                (s64 as f32).to_bits(),
                "{v:#x}"
            );
            assert_eq!(
                f32_convert_i64_u(v).to_bits(),
                (v as f32).to_bits(),
                "{v:#x}"
            );
            assert_eq!(
                f64_convert_i32_s(s32).to_bits(),
                (s32 as f64).to_bits(),
                "{v:#x}"
            );
            assert_eq!(
                f64_convert_i32_u(u32_).to_bits(),
                (u32_ as f64).to_bits(),
                "{v:#x}"
            );
            assert_eq!(
                f64_convert_i64_s(s64).to_bits(),
                (s64 as f64).to_bits(),
                "{v:#x}"
            );
        }
    }
}

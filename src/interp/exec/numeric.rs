//! The dispatch loop's numeric handlers: integer and float arithmetic, comparisons,
//! unary operators and conversions, in their slot, immediate and accumulator forms.
//!
//! Each handler reads its operands, computes with the crate's one definition of the
//! operator (`crate::ops`, passed in by the instruction table's row as an operator or a
//! closure) and writes the result to its slot and an accumulator: the float accumulator
//! for an `f64`, the integer one for anything else. Integer results are zero-extended
//! into the slot; floats are stored as their bits.

use super::{Exec, Flow, FromBits, Written};
use crate::interp::bytecode::{Slot, Slot16};
use crate::ops::{self, FloatBin, FloatCmp, FloatUn, IntBin, IntCmp};
use crate::runtime::trap::TrapCode;

// SAFETY (for every handler in this file): its slots are the running instruction's
// operands (the contract of `Exec`'s handlers), which `r` and `w` require.
impl<const REC: bool, const HOT: bool> Exec<'_, REC, HOT> {
    // ---- any type: operands and result as slot bits ----

    #[inline(always)]
    pub(super) unsafe fn bin(
        &mut self,
        dst: Slot,
        a: Slot,
        b: Slot,
        f: impl FnOnce(u64, u64) -> u64,
    ) -> Flow {
        // SAFETY: see the top of the file.
        unsafe {
            let v = f(self.r(a), self.r(b));
            self.w(dst, v);
        }
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn un<T: FromBits, V: Written>(
        &mut self,
        dst: Slot,
        src: Slot,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        // SAFETY: see the top of the file.
        unsafe {
            let v = f(T::from_bits(self.r(src)));
            self.w(dst, v);
        }
        Ok(())
    }

    /// A unary operator that may trap (the trapping float-to-integer truncations).
    #[inline(always)]
    pub(super) unsafe fn un_try<T: FromBits>(
        &mut self,
        dst: Slot,
        src: Slot,
        f: impl FnOnce(T) -> Result<u64, TrapCode>,
    ) -> Flow {
        // SAFETY: see the top of the file.
        unsafe {
            let r = f(T::from_bits(self.r(src)));
            let v = self.tri(r)?;
            self.w(dst, v);
        }
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn un_acc<T: FromBits, V: Written>(
        &mut self,
        dst: Slot,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        let v = f(T::from_bits(self.acc));
        // SAFETY: see the top of the file.
        unsafe { self.w(dst, v) };
        Ok(())
    }

    // ---- i32 ----

    #[inline(always)]
    pub(super) unsafe fn i32_bin(&mut self, dst: Slot, a: Slot, b: Slot, op: IntBin) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe { (self.r(a) as u32, self.r(b) as u32) };
        self.i32_result(dst, ops::i32_bin(op, x, y))
    }

    #[inline(always)]
    pub(super) unsafe fn i32_bin_imm(&mut self, dst: Slot, a: Slot, imm: i32, op: IntBin) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) as u32 };
        self.i32_result(dst, ops::i32_bin(op, x, imm as u32))
    }

    /// `imm op a`: the immediate is the left operand.
    #[inline(always)]
    pub(super) unsafe fn i32_bin_imm_rev(
        &mut self,
        dst: Slot,
        a: Slot,
        imm: i32,
        op: IntBin,
    ) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) as u32 };
        self.i32_result(dst, ops::i32_bin(op, imm as u32, x))
    }

    #[inline(always)]
    pub(super) unsafe fn i32_bin_acc(&mut self, dst: Slot, b: Slot, op: IntBin) -> Flow {
        // SAFETY: see the top of the file.
        let y = unsafe { self.r(b) as u32 };
        self.i32_result(dst, ops::i32_bin(op, self.acc as u32, y))
    }

    #[inline(always)]
    pub(super) unsafe fn i32_bin_imm_acc(&mut self, dst: Slot, imm: i32, op: IntBin) -> Flow {
        self.i32_result(dst, ops::i32_bin(op, self.acc as u32, imm as u32))
    }

    #[inline(always)]
    pub(super) unsafe fn i32_shr_u_and(
        &mut self,
        dst: Slot,
        a: Slot,
        mask: u32,
        shift: u8,
    ) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) as u32 };
        self.shr_u_and(dst, x, mask, shift)
    }

    #[inline(always)]
    pub(super) unsafe fn i32_shr_u_and_acc(&mut self, dst: Slot, mask: u32, shift: u8) -> Flow {
        self.shr_u_and(dst, self.acc as u32, mask, shift)
    }

    #[inline(always)]
    pub(super) unsafe fn i32_shl_add(&mut self, dst: Slot, a: Slot, b: Slot, shift: u8) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe { (self.r(a) as u32, self.r(b) as u32) };
        self.shl_add(dst, x, y, shift)
    }

    #[inline(always)]
    pub(super) unsafe fn i32_shl_add_imm(
        &mut self,
        dst: Slot,
        a: Slot,
        imm: i32,
        shift: u8,
    ) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) as u32 };
        self.shl_add(dst, x, imm as u32, shift)
    }

    #[inline(always)]
    pub(super) unsafe fn i32_shl_add_acc(&mut self, dst: Slot, b: Slot, shift: u8) -> Flow {
        // SAFETY: see the top of the file.
        let y = unsafe { self.r(b) as u32 };
        self.shl_add(dst, self.acc as u32, y, shift)
    }

    #[inline(always)]
    pub(super) unsafe fn i32_shl_add_rev_acc(&mut self, dst: Slot, a: Slot, shift: u8) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) as u32 };
        self.shl_add(dst, x, self.acc as u32, shift)
    }

    #[inline(always)]
    pub(super) unsafe fn i32_shl_add_imm_acc(&mut self, dst: Slot, imm: i32, shift: u8) -> Flow {
        self.shl_add(dst, self.acc as u32, imm as u32, shift)
    }

    /// `(x << shift) + y` for a fused scaled sum (`Instr::I32ShlAdd`), which skips the
    /// `add` it was fused with.
    #[inline(always)]
    fn shl_add(&mut self, dst: Slot, x: u32, y: u32, shift: u8) -> Flow {
        self.skip_fused();
        let v = ops::i32_bin(IntBin::Shl, x, u32::from(shift));
        self.i32_result(dst, ops::i32_bin(IntBin::Add, v, y))
    }

    /// `dst = a + imm`, then `dst2 = dst` (`Instr::I32AddImmCopy`), skipping the `Copy` it
    /// was fused with.
    #[inline(always)]
    pub(super) unsafe fn i32_add_imm_copy(
        &mut self,
        dst: Slot,
        a: Slot,
        imm: i16,
        dst2: Slot16,
    ) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) as u32 };
        let v = ops::i32_bin(IntBin::Add, x, i32::from(imm) as u32);
        self.skip_fused();
        // SAFETY: as above.
        unsafe { self.w(dst2.into(), u64::from(v)) };
        self.i32_result(dst, v)
    }

    /// `dst = a + imm`, then `dst2 = a2 + imm2` (`Instr::I32AddImm2`), skipping the add it
    /// was fused with.
    #[inline(always)]
    pub(super) unsafe fn i32_add_imm2(
        &mut self,
        dst: Slot,
        a: Slot16,
        imm: i16,
        dst2: Slot16,
        a2: Slot16,
        imm2: i16,
    ) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a.into()) as u32 };
        self.add_imm2(dst, x, imm, [dst2, a2], imm2)
    }

    /// `dst = acc + imm`, then `dst2 = a2 + imm2`.
    #[inline(always)]
    pub(super) unsafe fn i32_add_imm2_acc(
        &mut self,
        dst: Slot,
        imm: i16,
        dst2: Slot16,
        a2: Slot16,
        imm2: i16,
    ) -> Flow {
        self.add_imm2(dst, self.acc as u32, imm, [dst2, a2], imm2)
    }

    /// The two steps of `I32AddImm2`, the first from `x`: the second reads its operand
    /// after the first has written `dst`, as the unfused pair does.
    #[inline(always)]
    fn add_imm2(
        &mut self,
        dst: Slot,
        x: u32,
        imm: i16,
        [dst2, a2]: [Slot16; 2],
        imm2: i16,
    ) -> Flow {
        let add = |x: u32, imm: i16| u64::from(ops::i32_bin(IntBin::Add, x, i32::from(imm) as u32));
        self.skip_fused();
        // SAFETY: the slots are the running instruction's (the handlers' contract).
        unsafe {
            self.w(dst, add(x, imm));
            let y = self.r(a2.into()) as u32;
            self.w(dst2.into(), add(y, imm2));
        }
        Ok(())
    }

    /// `dst = a + imm`, then global `global = dst` (`Instr::I32AddImmGlobalSet`: a stack
    /// pointer's step), skipping the `GlobalSet` it was fused with.
    #[inline(always)]
    pub(super) unsafe fn i32_add_imm_global_set(
        &mut self,
        dst: Slot,
        a: Slot,
        imm: i16,
        global: u16,
    ) -> Flow {
        // SAFETY: see the top of the file; the `GlobalSet` fused in sets `global`, an
        // `i32` global (it was validated with the sum's type).
        let v = unsafe {
            let v = ops::i32_bin(IntBin::Add, self.r(a) as u32, i32::from(imm) as u32);
            self.set_global(u32::from(global), u64::from(v));
            v
        };
        self.skip_fused();
        self.i32_result(dst, v)
    }

    /// `(x >> shift) & mask` for a fused bit field (`Instr::I32ShrUAndImm`), which skips
    /// the `and` it was fused with.
    #[inline(always)]
    fn shr_u_and(&mut self, dst: Slot, x: u32, mask: u32, shift: u8) -> Flow {
        self.skip_fused();
        let v = ops::i32_bin(IntBin::ShrU, x, u32::from(shift));
        self.i32_result(dst, ops::i32_bin(IntBin::And, v, mask))
    }

    #[inline(always)]
    pub(super) unsafe fn i32_cmp(&mut self, dst: Slot, a: Slot, b: Slot, op: IntCmp) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe { (self.r(a) as u32, self.r(b) as u32) };
        self.i32_result(dst, u32::from(ops::i32_cmp(op, x, y)))
    }

    #[inline(always)]
    pub(super) unsafe fn i32_cmp_imm(&mut self, dst: Slot, a: Slot, imm: i32, op: IntCmp) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) as u32 };
        self.i32_result(dst, u32::from(ops::i32_cmp(op, x, imm as u32)))
    }

    #[inline(always)]
    pub(super) unsafe fn i32_cmp_acc(&mut self, dst: Slot, b: Slot, op: IntCmp) -> Flow {
        // SAFETY: see the top of the file.
        let y = unsafe { self.r(b) as u32 };
        self.i32_result(dst, u32::from(ops::i32_cmp(op, self.acc as u32, y)))
    }

    #[inline(always)]
    pub(super) unsafe fn i32_cmp_imm_acc(&mut self, dst: Slot, imm: i32, op: IntCmp) -> Flow {
        let x = self.acc as u32;
        self.i32_result(dst, u32::from(ops::i32_cmp(op, x, imm as u32)))
    }

    /// Division and remainder, which trap on a zero divisor (and signed overflow).
    #[inline(always)]
    pub(super) unsafe fn i32_try(
        &mut self,
        dst: Slot,
        a: Slot,
        b: Slot,
        f: impl FnOnce(u32, u32) -> Result<u32, TrapCode>,
    ) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe { (self.r(a) as u32, self.r(b) as u32) };
        let v = self.tri(f(x, y))?;
        self.i32_result(dst, v)
    }

    #[inline(always)]
    fn i32_result(&mut self, dst: Slot, v: u32) -> Flow {
        self.result(dst, u64::from(v))
    }

    // ---- i64 ----

    #[inline(always)]
    pub(super) unsafe fn i64_bin(&mut self, dst: Slot, a: Slot, b: Slot, op: IntBin) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe { (self.r(a), self.r(b)) };
        self.result(dst, ops::i64_bin(op, x, y))
    }

    #[inline(always)]
    pub(super) unsafe fn i64_bin_imm(&mut self, dst: Slot, a: Slot, imm: i32, op: IntBin) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) };
        self.result(dst, ops::i64_bin(op, x, imm as i64 as u64))
    }

    /// `imm op a`: the immediate is the left operand.
    #[inline(always)]
    pub(super) unsafe fn i64_bin_imm_rev(
        &mut self,
        dst: Slot,
        a: Slot,
        imm: i32,
        op: IntBin,
    ) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) };
        self.result(dst, ops::i64_bin(op, imm as i64 as u64, x))
    }

    #[inline(always)]
    pub(super) unsafe fn i64_bin_acc(&mut self, dst: Slot, b: Slot, op: IntBin) -> Flow {
        // SAFETY: see the top of the file.
        let y = unsafe { self.r(b) };
        self.result(dst, ops::i64_bin(op, self.acc, y))
    }

    #[inline(always)]
    pub(super) unsafe fn i64_bin_imm_acc(&mut self, dst: Slot, imm: i32, op: IntBin) -> Flow {
        self.result(dst, ops::i64_bin(op, self.acc, imm as i64 as u64))
    }

    #[inline(always)]
    pub(super) unsafe fn i64_cmp(&mut self, dst: Slot, a: Slot, b: Slot, op: IntCmp) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe { (self.r(a), self.r(b)) };
        self.result(dst, u64::from(ops::i64_cmp(op, x, y)))
    }

    #[inline(always)]
    pub(super) unsafe fn i64_cmp_imm(&mut self, dst: Slot, a: Slot, imm: i32, op: IntCmp) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { self.r(a) };
        self.result(dst, u64::from(ops::i64_cmp(op, x, imm as i64 as u64)))
    }

    /// Division and remainder, which trap on a zero divisor (and signed overflow).
    #[inline(always)]
    pub(super) unsafe fn i64_try(
        &mut self,
        dst: Slot,
        a: Slot,
        b: Slot,
        f: impl FnOnce(u64, u64) -> Result<u64, TrapCode>,
    ) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe { (self.r(a), self.r(b)) };
        let v = self.tri(f(x, y))?;
        self.result(dst, v)
    }

    /// Writes a result to its slot and to the accumulator its type goes to ([`Written`]).
    #[inline(always)]
    fn result<V: Written>(&mut self, dst: Slot, v: V) -> Flow {
        // SAFETY: `dst` is the running instruction's (every caller's contract).
        unsafe { self.w(dst, v) };
        Ok(())
    }

    // ---- f32 / f64 ----

    #[inline(always)]
    pub(super) unsafe fn f32_bin(&mut self, dst: Slot, a: Slot, b: Slot, op: FloatBin) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe {
            (
                f32::from_bits(self.r(a) as u32),
                f32::from_bits(self.r(b) as u32),
            )
        };
        self.f32_result(dst, ops::f32_bin(op, x, y))
    }

    #[inline(always)]
    pub(super) unsafe fn f32_bin_acc(&mut self, dst: Slot, b: Slot, op: FloatBin) -> Flow {
        // SAFETY: see the top of the file.
        let y = unsafe { f32::from_bits(self.r(b) as u32) };
        self.f32_result(dst, ops::f32_bin(op, f32::from_bits(self.acc as u32), y))
    }

    #[inline(always)]
    pub(super) unsafe fn f32_cmp(&mut self, dst: Slot, a: Slot, b: Slot, op: FloatCmp) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe {
            (
                f32::from_bits(self.r(a) as u32),
                f32::from_bits(self.r(b) as u32),
            )
        };
        self.i32_result(dst, u32::from(ops::f32_cmp(op, x, y)))
    }

    #[inline(always)]
    pub(super) unsafe fn f32_un(&mut self, dst: Slot, src: Slot, op: FloatUn) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { f32::from_bits(self.r(src) as u32) };
        self.f32_result(dst, ops::f32_un(op, x))
    }

    #[inline(always)]
    fn f32_result(&mut self, dst: Slot, v: f32) -> Flow {
        self.i32_result(dst, v.to_bits())
    }

    #[inline(always)]
    pub(super) unsafe fn f64_bin(&mut self, dst: Slot, a: Slot, b: Slot, op: FloatBin) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe { (f64::from_bits(self.r(a)), f64::from_bits(self.r(b))) };
        self.result(dst, ops::f64_bin(op, x, y))
    }

    #[inline(always)]
    pub(super) unsafe fn f64_bin_acc(&mut self, dst: Slot, b: Slot, op: FloatBin) -> Flow {
        // SAFETY: see the top of the file.
        let y = unsafe { f64::from_bits(self.r(b)) };
        self.result(dst, ops::f64_bin(op, self.facc, y))
    }

    /// `b op acc`: the accumulator is the right operand.
    #[inline(always)]
    pub(super) unsafe fn f64_bin_rev_acc(&mut self, dst: Slot, b: Slot, op: FloatBin) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { f64::from_bits(self.r(b)) };
        self.result(dst, ops::f64_bin(op, x, self.facc))
    }

    #[inline(always)]
    pub(super) unsafe fn f64_cmp(&mut self, dst: Slot, a: Slot, b: Slot, op: FloatCmp) -> Flow {
        // SAFETY: see the top of the file.
        let (x, y) = unsafe { (f64::from_bits(self.r(a)), f64::from_bits(self.r(b))) };
        self.result(dst, u64::from(ops::f64_cmp(op, x, y)))
    }

    #[inline(always)]
    pub(super) unsafe fn f64_un(&mut self, dst: Slot, src: Slot, op: FloatUn) -> Flow {
        // SAFETY: see the top of the file.
        let x = unsafe { f64::from_bits(self.r(src)) };
        self.result(dst, ops::f64_un(op, x))
    }
}

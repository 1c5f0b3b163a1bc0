//! The dispatch loop's memory handlers: loads and stores with their bounds checks (slot
//! and accumulator forms), and `memory.size`, `memory.grow` and the bulk operations,
//! which run out of line in `interp::bulk`.

use super::{Exec, Flow, FromAcc, Written};
use crate::interp::bulk;
use crate::interp::bytecode::{Instr, Slot, Slot16};
use crate::ops::{self, IntBin};
use crate::runtime::store::PAGE_SIZE;
use crate::runtime::store::StoreInner;
use crate::runtime::trap::TrapCode;
use std::ptr;

/// Where an access reads or writes: `x + offset`, or with `wrap` (a folded `i32.add` over
/// an access without an offset of its own, see `translate`) `(x + offset) mod 2^32`.
#[derive(Clone, Copy)]
struct At {
    offset: u32,
    wrap: bool,
}

impl<const REC: bool, const HOT: bool> Exec<'_, REC, HOT> {
    /// The effective address of an access of `n` bytes at `x` and `at`, or the
    /// `MemoryOutOfBounds` trap.
    #[inline(always)]
    fn ea(&mut self, x: u32, at: At, n: usize) -> Result<usize, super::Run> {
        let ea = if self.wrapped {
            x.wrapping_add(at.offset) as usize
        } else {
            x as usize + at.offset as usize
        };
        // (`ea + n > mem_len`, against a bound computed when memory 0 last changed.)
        if ea as isize > self.s.handoff.last_fit[n.trailing_zeros() as usize] {
            std::hint::cold_path();
            return self.ea_past_end(x, at, n);
        }
        Ok(ea)
    }

    /// [`Self::ea`] when the address is past the end of memory.
    #[inline(always)]
    fn ea_past_end(&mut self, x: u32, at: At, n: usize) -> Result<usize, super::Run> {
        // A wrapping access: loops over negative indices wrap on every access, so the hot
        // form hands them to its wrapping form, as quick as itself.
        if HOT && at.wrap && !self.wrapped {
            return Err(super::Run::Wrap);
        }
        self.out_of_line()?;
        let wrapped = x.wrapping_add(at.offset) as usize;
        if at.wrap && wrapped + n <= self.mem_len {
            return Ok(wrapped);
        }
        // Past 4 GiB: maybe a folded `i32.add` whose sum wrapped before an offset of the
        // access's own; the original address computation may still be in bounds.
        let ea = x as usize + at.offset as usize;
        if ea >> 32 != 0
            && let Some(ea) = unfolded_ea(self.s, self.pc, x, at.offset, n, self.mem_len)
        {
            return Ok(ea);
        }
        Err(self.trap(TrapCode::MemoryOutOfBounds))
    }

    /// Reads a `T` at `x` and `at`; `f` widens it to the slot's bits.
    #[inline(always)]
    fn read<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        x: u32,
        at: At,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        let ea = self.ea(x, at, size_of::<T>())?;
        // SAFETY: `ea + size_of::<T>()` is within the memory's `mem_len` bytes at `mem`;
        // `dst` is the running instruction's (every caller's contract).
        unsafe {
            let v = ptr::read_unaligned(self.mem.add(ea) as *const T);
            self.w(dst, f(v));
        }
        Ok(())
    }

    /// Writes `v` at `x` and `at`.
    #[inline(always)]
    fn write<T: Copy>(&mut self, x: u32, at: At, v: T) -> Flow {
        let ea = self.ea(x, at, size_of::<T>())?;
        // SAFETY: `ea + size_of::<T>()` is within the memory's `mem_len` bytes at `mem`.
        unsafe { ptr::write_unaligned(self.mem.add(ea) as *mut T, v) };
        Ok(())
    }

    // SAFETY (for the handlers below): their slots are the running instruction's operands
    // (the contract of `Exec`'s handlers), which `r` and `w` require.

    #[inline(always)]
    pub(super) unsafe fn load<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        addr: Slot,
        offset: u32,
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        // SAFETY: see above.
        let x = unsafe { self.r(addr) as u32 };
        self.read(dst, x, At { offset, wrap }, f)
    }

    /// A load from `(idx << shift) + offset`: an array element (`Instr::I32LoadIdx`).
    #[inline(always)]
    pub(super) unsafe fn load_idx<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        idx: Slot,
        offset: u32,
        shift: u8,
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        // SAFETY: see above.
        let x = unsafe { self.r(idx) as u32 };
        self.read_idx(dst, x, At { offset, wrap }, shift, f)
    }

    /// A load from `(acc << shift) + offset`.
    #[inline(always)]
    pub(super) unsafe fn load_idx_acc<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        offset: u32,
        shift: u8,
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        self.read_idx(dst, self.acc as u32, At { offset, wrap }, shift, f)
    }

    /// A load from `a + b` (as `i32.add`), which `dst2` keeps, and `offset`: an address
    /// summed just before (`Instr::I32LoadSum`).
    #[inline(always)]
    #[expect(clippy::too_many_arguments, reason = "the instruction's fields")]
    pub(super) unsafe fn load_sum<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        a: Slot16,
        b: Slot16,
        dst2: Slot16,
        offset: u16,
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        // SAFETY: see above.
        let (x, y) = unsafe { (self.r(a.into()) as u32, self.r(b.into()) as u32) };
        self.read_sum(dst, x, y, dst2, offset, wrap, f)
    }

    /// A load from `acc + b`, which `dst2` keeps, and `offset`.
    #[inline(always)]
    pub(super) unsafe fn load_sum_acc<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        b: Slot16,
        dst2: Slot16,
        offset: u16,
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        // SAFETY: see above.
        let y = unsafe { self.r(b.into()) as u32 };
        self.read_sum(dst, self.acc as u32, y, dst2, offset, wrap, f)
    }

    /// Reads a `T` at `x + y` and `offset` for a fused load, which skips the load it was
    /// fused with. The sum goes to `dst2` once the access is known to be in bounds: until
    /// then nothing is written, so that running the instruction again (in its full or
    /// wrapping form, or from a trace's exit) reads the same operands, even where `dst2`
    /// is one of them.
    #[inline(always)]
    #[expect(clippy::too_many_arguments, reason = "the instruction's fields")]
    fn read_sum<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        x: u32,
        y: u32,
        dst2: Slot16,
        offset: u16,
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        self.skip_fused();
        let sum = ops::i32_bin(IntBin::Add, x, y);
        let at = At {
            offset: offset.into(),
            wrap,
        };
        let ea = self.ea(sum, at, size_of::<T>())?;
        // SAFETY: `ea + size_of::<T>()` is within the memory's `mem_len` bytes at `mem`;
        // the slots are the instruction's (every caller's contract). The load's `dst` is
        // written last, as the unfused pair would.
        unsafe {
            let v = ptr::read_unaligned(self.mem.add(ea) as *const T);
            self.w(dst2.into(), u64::from(sum));
            self.w(dst, f(v));
        }
        Ok(())
    }

    /// A copy of a `T` in memory (`Instr::LoadStore8` and the rest): a load from `addr`
    /// and `offset`, then the store of the loaded value to `into` and `offset2`, which it
    /// skips. When either access is past the end, the full form runs the load alone, with
    /// every path of its own (writing `dst2`, which the store reads), and the store then
    /// runs from its own instruction, with its own: each traps, or wraps, as it would
    /// unfused. The loaded value, widened by `f`, also goes to the accumulator, which
    /// nothing reads after a store: the hot form then has its register to work in.
    #[inline(always)]
    #[expect(clippy::too_many_arguments, reason = "the instruction's fields")]
    pub(super) unsafe fn load_store<T: Copy>(
        &mut self,
        addr: Slot16,
        into: Slot16,
        dst2: Slot16,
        offset: u16,
        offset2: u16,
        wrap: bool,
        f: impl FnOnce(T) -> u64,
    ) -> Flow {
        // SAFETY: see above.
        let (x, y) = unsafe { (self.r(addr.into()) as u32, self.r(into.into()) as u32) };
        let (from, to) = (x as usize + offset as usize, y as usize + offset2 as usize);
        let fit = self.s.handoff.last_fit[size_of::<T>().trailing_zeros() as usize];
        if from as isize > fit || to as isize > fit {
            std::hint::cold_path();
            self.out_of_line()?;
            let offset = offset.into();
            return self.read(dst2.into(), x, At { offset, wrap }, f);
        }
        self.skip_fused();
        // SAFETY: `from + size_of::<T>()` and `to + size_of::<T>()` are within the
        // memory's `mem_len` bytes at `mem` (both fit, as checked).
        unsafe {
            let v = ptr::read_unaligned(self.mem.add(from) as *const T);
            ptr::write_unaligned(self.mem.add(to) as *mut T, v);
            self.acc = f(v);
        }
        Ok(())
    }

    /// A load from a pointer just loaded (`Instr::I32LoadPtr` and the rest): the `u32`
    /// at `addr` and `offset`, which `dst2` keeps, then a `T` at that pointer and
    /// `offset2` into `dst`. The second load's own instruction stays behind this one,
    /// which skips it (see `read_ptr` for when it runs).
    #[inline(always)]
    #[expect(clippy::too_many_arguments, reason = "the instruction's fields")]
    pub(super) unsafe fn load_ptr<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        addr: Slot16,
        dst2: Slot16,
        offset: u16,
        offset2: u16,
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        // SAFETY: see above.
        let x = unsafe { self.r(addr.into()) as u32 };
        self.read_ptr(dst, x, dst2, [offset, offset2], wrap, f)
    }

    /// A load from a pointer loaded from the accumulator's address.
    #[inline(always)]
    pub(super) unsafe fn load_ptr_acc<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        dst2: Slot16,
        offset: u16,
        offset2: u16,
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        self.read_ptr(dst, self.acc as u32, dst2, [offset, offset2], wrap, f)
    }

    /// Reads the pointer at `x` and `offset`, and the `T` it points to at `offset2`.
    /// When either access is past the end, the full form runs the first load alone, with
    /// every path of its own, and goes on to the second's own instruction, with its own:
    /// each traps, or wraps, as it would unfused (as a copy in memory does, see
    /// `load_store`). Nothing is written until both accesses are known to be in bounds.
    #[inline(always)]
    fn read_ptr<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        x: u32,
        dst2: Slot16,
        [offset, offset2]: [u16; 2],
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        let fits = |s: &StoreInner, ea: usize, n: usize| {
            ea as isize <= s.handoff.last_fit[n.trailing_zeros() as usize]
        };
        let from = x as usize + usize::from(offset);
        if fits(self.s, from, 4) {
            // SAFETY: `from + 4` is within the memory's `mem_len` bytes at `mem`.
            let p = unsafe { ptr::read_unaligned(self.mem.add(from) as *const u32) };
            let to = p as usize + usize::from(offset2);
            if fits(self.s, to, size_of::<T>()) {
                self.skip_fused();
                // SAFETY: `to + size_of::<T>()` is within the memory too; the slots are
                // the instruction's (every caller's contract). The pointer is written
                // first, as the unfused pair would.
                unsafe {
                    let v = ptr::read_unaligned(self.mem.add(to) as *const T);
                    self.w(dst2.into(), u64::from(p));
                    self.w(dst, f(v));
                }
                return Ok(());
            }
        }
        std::hint::cold_path();
        self.out_of_line()?;
        let offset = offset.into();
        self.read(dst2.into(), x, At { offset, wrap }, |v: u32| u64::from(v))
    }

    /// Reads a `T` at `x << shift` and `at` for a fused load, which skips the load it was
    /// fused with.
    #[inline(always)]
    fn read_idx<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        x: u32,
        at: At,
        shift: u8,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        self.skip_fused();
        let x = ops::i32_bin(IntBin::Shl, x, u32::from(shift));
        self.read(dst, x, at, f)
    }

    /// A load from the accumulator's address.
    #[inline(always)]
    pub(super) unsafe fn load_acc<T: Copy, V: Written>(
        &mut self,
        dst: Slot,
        offset: u32,
        wrap: bool,
        f: impl FnOnce(T) -> V,
    ) -> Flow {
        self.read(dst, self.acc as u32, At { offset, wrap }, f)
    }

    /// Stores `val`'s slot, narrowed by `f`.
    #[inline(always)]
    pub(super) unsafe fn store<T: Copy>(
        &mut self,
        addr: Slot,
        val: Slot,
        offset: u32,
        wrap: bool,
        f: impl FnOnce(u64) -> T,
    ) -> Flow {
        // SAFETY: see above.
        let (x, v) = unsafe { (self.r(addr) as u32, self.r(val)) };
        self.write(x, At { offset, wrap }, f(v))
    }

    /// Stores the instruction's constant, narrowed (or widened) by `f`.
    #[inline(always)]
    pub(super) unsafe fn store_imm<T: Copy>(
        &mut self,
        addr: Slot,
        offset: u32,
        imm: i32,
        wrap: bool,
        f: impl FnOnce(i32) -> T,
    ) -> Flow {
        // SAFETY: see above.
        let x = unsafe { self.r(addr) as u32 };
        self.write(x, At { offset, wrap }, f(imm))
    }

    /// Stores an accumulator, narrowed by `f`: the float one if `f` takes an `f64`.
    #[inline(always)]
    pub(super) unsafe fn store_acc<A: FromAcc, T: Copy>(
        &mut self,
        addr: Slot,
        offset: u32,
        wrap: bool,
        f: impl FnOnce(A) -> T,
    ) -> Flow {
        // SAFETY: see above.
        let x = unsafe { self.r(addr) as u32 };
        self.write(x, At { offset, wrap }, f(A::take(self.acc, self.facc)))
    }

    #[inline(always)]
    pub(super) unsafe fn memory_size(&mut self, dst: Slot) -> Flow {
        // SAFETY: see above.
        unsafe { self.w(dst, (self.mem_len / PAGE_SIZE) as u64) };
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn memory_grow(&mut self, dst: Slot, delta: Slot) -> Flow {
        // SAFETY: see above.
        let delta = unsafe { self.r(delta) as u32 };
        let r = bulk::memory_grow(self.s, delta);
        let old = self.tri_err(r)?;
        self.reload_memory();
        // SAFETY: see above.
        unsafe { self.w(dst, old) };
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn memory_fill(&mut self, args: Slot) -> Flow {
        // SAFETY: see above.
        let [d, val, n] = unsafe { self.args3(args) };
        let r = bulk::memory_fill(self.mem, self.mem_len, d, val, n);
        self.tri(r)
    }

    #[inline(always)]
    pub(super) unsafe fn memory_copy(&mut self, args: Slot) -> Flow {
        // SAFETY: see above.
        let [d, src, n] = unsafe { self.args3(args) };
        let r = bulk::memory_copy(self.mem, self.mem_len, d, src, n);
        self.tri(r)
    }

    #[inline(always)]
    pub(super) unsafe fn memory_init(&mut self, seg: u32, args: Slot) -> Flow {
        // SAFETY: see above.
        let [d, src, n] = unsafe { self.args3(args) };
        let r = bulk::memory_init(self.s, self.mem, self.mem_len, seg, d, src, n);
        self.tri(r)
    }

    #[inline(always)]
    pub(super) unsafe fn data_drop(&mut self, seg: u32) -> Flow {
        bulk::data_drop(self.s, seg);
        Ok(())
    }
}

/// The address of a load or store whose `i32.add x, C` was folded into its offset (see
/// `translate`) and wrapped: the original, wrapping address computation, if in bounds.
/// Only loads and arithmetic, so that it keeps a hot form free of calls (see `threaded`).
#[inline(always)]
fn unfolded_ea(
    s: &StoreInner,
    pc: *const Instr,
    x: u32,
    offset: u32,
    n: usize,
    mem_len: usize,
) -> Option<usize> {
    // SAFETY: the innermost frame's function is the one executing `pc`.
    let func = unsafe { &*s.stack.frames.last()?.func };
    let c = func.folded_add(func.index_of(pc))?;
    let ea = x.wrapping_add(c) as usize + offset.wrapping_sub(c) as usize;
    (ea + n <= mem_len).then_some(ea)
}

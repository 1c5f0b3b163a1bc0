//! The dispatch loop's control handlers: branches (plain, on a slot, compare-and-branch,
//! tables), loop headers and hot function entries with the JIT's decisions, fuel,
//! epochs, traps and the profiler's instructions.

use super::{Acc, ENTRY_HOT, Exec, Flow, FromBits, Run, table_entry};
use crate::interp::bytecode::{CounterRef, Instr, NextFn, NextOp, Off, Slot, Slot16};
use crate::interp::hooks::{ENTRY, ILOOP, LoopAction};
use crate::ops::{self, FloatCmp, IntBin, IntCmp};
use crate::runtime::trap::TrapCode;
use std::sync::atomic::Ordering;

impl<const REC: bool, const HOT: bool> Exec<'_, REC, HOT> {
    // ---- branches ----

    /// Continues at `pc + off` if `taken`: with a real branch, which the processor
    /// predicts, rather than a `cmov` of the next instruction pointer, which would make
    /// every dispatch after it wait for the condition (LLVM chooses the `cmov` for some
    /// conditions unless the taken path holds something it cannot execute speculatively,
    /// the empty `asm!` block here).
    #[inline(always)]
    fn branch(&mut self, taken: bool, off: Off) -> Flow {
        if taken {
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            // SAFETY: an empty block: no instructions, operands or effects.
            unsafe {
                std::arch::asm!("", options(nomem, nostack, preserves_flags));
            }
            // SAFETY: translation resolved `off` to an instruction of this function.
            self.ip = unsafe { self.pc.offset(off as isize) };
        }
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn br(&mut self, off: Off) -> Flow {
        self.branch(true, off)
    }

    /// Branches on slot `c` (as a `T`).
    #[inline(always)]
    pub(super) unsafe fn br_if<T: FromBits>(
        &mut self,
        c: Slot,
        off: Off,
        f: impl FnOnce(T) -> bool,
    ) -> Flow {
        // SAFETY: `c` is the running instruction's (the handlers' contract).
        let c = unsafe { T::from_bits(self.r(c)) };
        self.branch(f(c), off)
    }

    /// `dst = val`, then branches on slot `c` (`Instr::Const32BrIfNez`, `Const32BrIfEqz`),
    /// skipping the branch it was fused with when it falls through.
    #[inline(always)]
    pub(super) unsafe fn const_br_if(
        &mut self,
        dst: Slot,
        c: Slot16,
        val: u32,
        off: Off,
        f: impl FnOnce(u32) -> bool,
    ) -> Flow {
        // SAFETY: `dst` and `c` are the running instruction's (the handlers' contract);
        // translation fuses only a branch on a slot other than `dst`.
        unsafe {
            self.w(dst, u64::from(val));
            self.skip_fused();
            self.br_if(c.into(), off, f)
        }
    }

    /// Branches on the accumulator (as a `T`).
    #[inline(always)]
    pub(super) unsafe fn br_acc<T: FromBits>(
        &mut self,
        off: Off,
        f: impl FnOnce(T) -> bool,
    ) -> Flow {
        self.branch(f(T::from_bits(self.acc)), off)
    }

    /// Branches on a bit test: `a & b` nonzero (`nez`) or zero.
    #[inline(always)]
    pub(super) unsafe fn br_i32_test(&mut self, a: Slot, b: Slot, off: Off, nez: bool) -> Flow {
        // SAFETY: `a` and `b` are the running instruction's (the handlers' contract).
        let (x, y) = unsafe { (self.r(a) as u32, self.r(b) as u32) };
        self.branch((x & y != 0) == nez, off)
    }

    /// Branches on a bit test: `a & imm` nonzero (`nez`) or zero.
    #[inline(always)]
    pub(super) unsafe fn br_i32_test_imm(
        &mut self,
        a: Slot,
        imm: i32,
        off: Off,
        nez: bool,
    ) -> Flow {
        // SAFETY: `a` is the running instruction's (the handlers' contract).
        let x = unsafe { self.r(a) as u32 };
        self.branch((x & imm as u32 != 0) == nez, off)
    }

    // The WebAssembly comparisons, fused with a branch.

    #[inline(always)]
    pub(super) unsafe fn br_i32(&mut self, a: Slot, b: Slot, off: Off, op: IntCmp) -> Flow {
        // SAFETY: `a` and `b` are the running instruction's (the handlers' contract).
        let (x, y) = unsafe { (self.r(a) as u32, self.r(b) as u32) };
        self.branch(ops::i32_cmp(op, x, y), off)
    }

    #[inline(always)]
    pub(super) unsafe fn br_i32_imm(&mut self, a: Slot, imm: i32, off: Off, op: IntCmp) -> Flow {
        // SAFETY: `a` is the running instruction's (the handlers' contract).
        let x = unsafe { self.r(a) as u32 };
        self.branch(ops::i32_cmp(op, x, imm as u32), off)
    }

    /// A counted loop's step and test (`I32AddImmBr*`): `ctr += imm`, then branches on
    /// `ctr <op> y`, or falls through past the branch instruction that follows.
    #[inline(always)]
    fn step_branch(&mut self, ctr: Slot, imm: i16, y: u32, off: Off, op: IntCmp) -> Flow {
        let x = self.step(ctr, imm);
        self.skip_fused();
        self.branch(ops::i32_cmp(op, x, y), off)
    }

    /// A fused step: `ctr += imm`; the new value.
    #[inline(always)]
    fn step(&mut self, ctr: Slot, imm: i16) -> u32 {
        // SAFETY: `ctr` is the running instruction's (the handlers' contract).
        let x = unsafe { self.r(ctr) as u32 };
        let x = ops::i32_bin(IntBin::Add, x, i32::from(imm) as u32);
        // SAFETY: as above.
        unsafe { self.w(ctr, u64::from(x)) };
        x
    }

    #[inline(always)]
    pub(super) unsafe fn i32_add_imm_br(
        &mut self,
        ctr: Slot,
        b: Slot,
        off: Off,
        imm: i16,
        op: IntCmp,
    ) -> Flow {
        // SAFETY: `b` is the running instruction's; translation fuses only a branch whose
        // other operand is not `ctr`, so reading it first reads what the branch read.
        let y = unsafe { self.r(b) as u32 };
        self.step_branch(ctr, imm, y, off, op)
    }

    #[inline(always)]
    pub(super) unsafe fn i32_add_imm_br_imm(
        &mut self,
        ctr: Slot,
        k: i32,
        off: Off,
        imm: i16,
        op: IntCmp,
    ) -> Flow {
        self.step_branch(ctr, imm, k as u32, off, op)
    }

    /// A step and the unconditional branch after it.
    #[inline(always)]
    pub(super) unsafe fn i32_add_imm_jump(&mut self, ctr: Slot, off: Off, imm: i16) -> Flow {
        self.step(ctr, imm);
        self.branch(true, off)
    }

    /// A guarded conversion (`f` of `src`, see `ops::guarded_in_range`) and the jump past
    /// its fallback.
    #[inline(always)]
    pub(super) unsafe fn trunc_guarded<T: FromBits>(
        &mut self,
        dst: Slot,
        src: Slot,
        off: Off,
        f: impl FnOnce(T) -> u64,
    ) -> Flow {
        // SAFETY: the slots are the running instruction's (the handlers' contract).
        unsafe { self.w(dst, f(T::from_bits(self.r(src)))) };
        self.branch(true, off)
    }

    /// A copy and the unconditional branch after it.
    #[inline(always)]
    pub(super) unsafe fn copy_jump(&mut self, dst: Slot, src: Slot, off: Off) -> Flow {
        // SAFETY: the slots are the running instruction's (the handlers' contract).
        unsafe { self.w(dst, self.r(src)) };
        self.branch(true, off)
    }

    #[inline(always)]
    pub(super) unsafe fn br_i32_imm_acc(&mut self, imm: i32, off: Off, op: IntCmp) -> Flow {
        self.branch(ops::i32_cmp(op, self.acc as u32, imm as u32), off)
    }

    #[inline(always)]
    pub(super) unsafe fn br_i32_acc(&mut self, b: Slot, off: Off, op: IntCmp) -> Flow {
        // SAFETY: `b` is the running instruction's (the handlers' contract).
        let y = unsafe { self.r(b) as u32 };
        self.branch(ops::i32_cmp(op, self.acc as u32, y), off)
    }

    #[inline(always)]
    pub(super) unsafe fn br_i64(&mut self, a: Slot, b: Slot, off: Off, op: IntCmp) -> Flow {
        // SAFETY: `a` and `b` are the running instruction's (the handlers' contract).
        let (x, y) = unsafe { (self.r(a), self.r(b)) };
        self.branch(ops::i64_cmp(op, x, y), off)
    }

    #[inline(always)]
    pub(super) unsafe fn br_i64_imm(&mut self, a: Slot, imm: i32, off: Off, op: IntCmp) -> Flow {
        // SAFETY: `a` is the running instruction's (the handlers' contract).
        let x = unsafe { self.r(a) };
        self.branch(ops::i64_cmp(op, x, imm as i64 as u64), off)
    }

    #[inline(always)]
    pub(super) unsafe fn br_f32(&mut self, a: Slot, b: Slot, off: Off, op: FloatCmp) -> Flow {
        // SAFETY: `a` and `b` are the running instruction's (the handlers' contract).
        let (x, y) = unsafe {
            (
                f32::from_bits(self.r(a) as u32),
                f32::from_bits(self.r(b) as u32),
            )
        };
        self.branch(ops::f32_cmp(op, x, y), off)
    }

    /// Branches when the comparison is false (NaN operands included).
    #[inline(always)]
    pub(super) unsafe fn br_f32_not(&mut self, a: Slot, b: Slot, off: Off, op: FloatCmp) -> Flow {
        // SAFETY: `a` and `b` are the running instruction's (the handlers' contract).
        let (x, y) = unsafe {
            (
                f32::from_bits(self.r(a) as u32),
                f32::from_bits(self.r(b) as u32),
            )
        };
        self.branch(!ops::f32_cmp(op, x, y), off)
    }

    #[inline(always)]
    pub(super) unsafe fn br_f64(&mut self, a: Slot, b: Slot, off: Off, op: FloatCmp) -> Flow {
        // SAFETY: `a` and `b` are the running instruction's (the handlers' contract).
        let (x, y) = unsafe { (f64::from_bits(self.r(a)), f64::from_bits(self.r(b))) };
        self.branch(ops::f64_cmp(op, x, y), off)
    }

    /// Branches when the comparison is false (NaN operands included).
    #[inline(always)]
    pub(super) unsafe fn br_f64_not(&mut self, a: Slot, b: Slot, off: Off, op: FloatCmp) -> Flow {
        // SAFETY: `a` and `b` are the running instruction's (the handlers' contract).
        let (x, y) = unsafe { (f64::from_bits(self.r(a)), f64::from_bits(self.r(b))) };
        self.branch(!ops::f64_cmp(op, x, y), off)
    }

    /// Branches as the `min(index, len)`-th of the `Case` instructions that follow does.
    ///
    /// Outside recording, the entry's branch is taken here, so that a `br_table` costs one
    /// dispatch and its jump to the target is its own indirect jump, which the processor
    /// predicts apart from every other branch's (an interpreter compiled to WebAssembly
    /// dispatches its opcodes by a `br_table`). The recorder sees the entry run, as the
    /// trace's exits resume there.
    #[inline(always)]
    pub(super) unsafe fn br_table(&mut self, index: Slot, len: u32, bias: i32) -> Flow {
        // SAFETY: `index` is the running instruction's (the handlers' contract).
        let i = unsafe { self.r(index) } as u32;
        // SAFETY: the running instruction is a `br_table` of `len + 1` entries.
        unsafe { self.take_case(i.wrapping_add(bias as u32), len) }
    }

    /// `br_table` on the accumulator.
    #[inline(always)]
    pub(super) unsafe fn br_table_acc(&mut self, len: u32, bias: i32) -> Flow {
        let i = (self.acc as u32).wrapping_add(bias as u32);
        // SAFETY: the running instruction is a `br_table` of `len + 1` entries.
        unsafe { self.take_case(i, len) }
    }

    /// Branches through entry `min(i, len)` of the running `br_table`. Outside recording
    /// the accumulator then holds the address of the threaded function of the instruction
    /// branched to (no branch target reads the accumulator), which threaded dispatch jumps
    /// by.
    ///
    /// # Safety
    /// The running instruction is a `br_table` followed by its `len + 1` `Case`s.
    #[inline(always)]
    unsafe fn take_case(&mut self, i: u32, len: u32) -> Flow {
        // SAFETY: the entries follow the instruction (the caller's contract), and each
        // entry's offset lands inside the code (translation's invariants).
        unsafe {
            // A branch to the default rather than a select: the index then reaches the
            // entry's load, and the often mispredicted jump by it, one step sooner.
            let i = if i < len { i } else { default_case(len) };
            let entry = self.pc.add(1 + i as usize);
            if REC {
                // The recorder steps on the entry, which branches (see `case`).
                self.ip = entry;
                return Ok(());
            }
            // (Every entry is a `Case`: no test of its kind on the way.)
            let Instr::Case { off, to, .. } = *entry else {
                std::hint::unreachable_unchecked()
            };
            self.ip = entry.offset(off as isize);
            self.acc = to.0 as u64;
        }
        Ok(())
    }

    /// A `br_table` entry stepped on (when recording): a branch.
    #[inline(always)]
    pub(super) unsafe fn case(&mut self, off: Off, _: NextOp, _: NextFn) -> Flow {
        self.branch(true, off)
    }

    // ---- traps, fuel and epochs ----

    #[inline(always)]
    pub(super) unsafe fn unreachable(&mut self) -> Flow {
        Err(self.trap(TrapCode::Unreachable))
    }

    /// Charges `cost` units of fuel (a run's `Fuel`, or a call's entry run), or traps at
    /// the running instruction consuming none.
    #[inline(always)]
    pub(super) fn charge(&mut self, cost: u32) -> Flow {
        let left = self.s.fuel - i64::from(cost);
        if left < 0 {
            return Err(self.trap(TrapCode::OutOfFuel));
        }
        self.s.fuel = left;
        Ok(())
    }

    /// Traps once the engine's epoch has reached the store's deadline.
    #[inline(always)]
    pub(super) unsafe fn epoch(&mut self) -> Flow {
        if self.s.engine.epoch().load(Ordering::Relaxed) >= self.s.epoch_deadline {
            return Err(self.trap(TrapCode::Interrupt));
        }
        Ok(())
    }

    // ---- the JIT's hot counters ----

    /// A loop header: counts down its hot counter; once it expires, asks the JIT.
    #[inline(always)]
    pub(super) unsafe fn loop_header(&mut self, id: u32, counter: CounterRef) -> Flow {
        // SAFETY: the counter lives in the running function's `loop_counters`.
        let counter = unsafe { &*counter.0 };
        let left = counter.load(Ordering::Relaxed);
        if left > 1 {
            if left != ILOOP {
                counter.store(left - 1, Ordering::Relaxed);
            }
        } else if !REC {
            self.out_of_line()?;
            let action = (self.s.hooks.hot)(self.s, self.pc, id, self.stop);
            self.jit_action(action)?;
        }
        Ok(())
    }

    /// Where a call whose callee's entry counter expired continues: the callee's start
    /// is in its frame.
    #[inline(always)]
    pub(super) unsafe fn entry_hot(&mut self) -> Flow {
        self.ip = self.top().ip;
        let action = (self.s.hooks.hot)(self.s, self.ip, ENTRY, self.stop);
        self.jit_action(action)
    }

    /// Counts a call of a recursive function at its entry (see `call`); once the
    /// counter expires, the call continues at `EntryHot`, the callee's start in its
    /// frame.
    #[inline(always)]
    pub(super) fn count_entry(&mut self, counter: &std::sync::atomic::AtomicU32) {
        let left = counter.load(Ordering::Relaxed);
        if left != ILOOP {
            if left > 1 {
                counter.store(left - 1, Ordering::Relaxed);
            } else if !REC {
                self.top().ip = self.ip;
                self.ip = ENTRY_HOT.0.as_ptr();
            }
        }
    }

    /// Acts on what the JIT decided at a hot loop header or function entry: keep going,
    /// record from `ip`, or resume where a trace left the frame stack.
    #[inline(always)]
    fn jit_action(&mut self, action: LoopAction) -> Flow {
        match action {
            LoopAction::Continue => Ok(()),
            LoopAction::Record => {
                self.top().ip = self.ip;
                Err(Run::Switch(self.accs()))
            }
            LoopAction::Resumed(a) => {
                self.reload_frame();
                let a = Acc::from_bits(a);
                (self.acc, self.facc) = (a.int, a.float);
                Ok(())
            }
            LoopAction::ResumedRecording(a) => Err(Run::Switch(Acc::from_bits(a))),
            LoopAction::Error(e) => Err(Run::Out(super::Outcome::Error(e))),
        }
    }

    // ---- profiling ----

    #[inline(always)]
    pub(super) unsafe fn prof_enter(&mut self, func: u32) -> Flow {
        (self.s.hooks.prof_enter)(self.s, func);
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn prof_loop(&mut self, func: u32) -> Flow {
        (self.s.hooks.prof_loop)(self.s, func);
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn prof_resume(&mut self, func: u32) -> Flow {
        (self.s.hooks.prof_resume)(self.s, func);
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn prof_indirect(&mut self, index: Slot, table: u16, site: u32) -> Flow {
        // SAFETY: `index` is the running instruction's (the handlers' contract).
        let entry = table_entry(self.s, table, unsafe { self.r(index) });
        (self.s.hooks.prof_indirect)(self.s, site, entry);
        Ok(())
    }
}

/// The index of a `br_table`'s default entry (`len`), out of line so that choosing it
/// stays a branch (see `take_case`).
#[cold]
#[inline(never)]
fn default_case(len: u32) -> u32 {
    len
}

//! The dispatch loop's call handlers: direct, imported and indirect calls, which push a
//! frame and continue in the same loop (host functions run from the handler, through the
//! typed driver's trampoline), and returns, which pop one.

use super::cold::{
    call_host_cold, grow_frames, grow_values, init_frame, move_results, translate_cold,
    translation_cold,
};
use super::{Exec, Flow, Outcome, Run};
use crate::interp::bytecode::Slot;
use crate::interp::translate::{Code, LARGE_FRAME};
use crate::runtime::engine::TypeId;
use crate::runtime::store::{CompiledRef, Frame, FuncEntity};
use crate::runtime::trap::TrapCode;
use std::ptr;

impl<const REC: bool, const HOT: bool> Exec<'_, REC, HOT> {
    /// Calls defined function `func` of the running instance (translating it first).
    #[inline(always)]
    pub(super) unsafe fn call(&mut self, func: u32, args: Slot) -> Flow {
        // SAFETY: `func` is a defined function of the running instance's module, whose
        // translations the handoff holds.
        let callee = match unsafe { Code::at(self.s.handoff.code.0, func as usize) } {
            Some(made) => made,
            None => {
                self.out_of_line()?;
                let module = &self.inst().module;
                let r = translate_cold(module, func + module.inner.num_imported_funcs);
                self.tri_err(r)?
            }
        };
        // SAFETY: `args` is the running instruction's; the callee is a translation of the
        // running instance.
        unsafe { self.enter(callee, args, None) }
    }

    #[inline(always)]
    pub(super) unsafe fn call_epoch(&mut self, func: u32, args: Slot) -> Flow {
        // SAFETY: the handlers' contract, passed on.
        unsafe {
            self.epoch()?;
            self.call(func, args)
        }
    }

    /// Calls imported function `func` (module index space).
    #[inline(always)]
    pub(super) unsafe fn call_import(&mut self, func: u32, args: Slot) -> Flow {
        // SAFETY: `func` is an import of the running instance's module, whose functions
        // the handoff holds.
        let f = unsafe { *self.s.handoff.funcs.0.as_ptr().add(func as usize) };
        // SAFETY: `f` is a store function; `args` is the running instruction's.
        unsafe { self.call_store_func(f, args, true) }
    }

    /// Calls through table `table` the function at slot `index`'s value, of type `ty`.
    #[inline(always)]
    pub(super) unsafe fn call_indirect(
        &mut self,
        index: Slot,
        args: Slot,
        ty: u32,
        table: u16,
    ) -> Flow {
        // SAFETY: `index` is the running instruction's; `table` was validated.
        let entry = unsafe {
            let at = self.r(index) as u32 as usize;
            if table == 0 {
                let h = &self.s.handoff;
                // (The handoff holds the running instance's table 0, `table0_len` entries.)
                (at < h.table0_len).then(|| *h.table0.0.as_ptr().add(at))
            } else {
                let i = self.inst();
                let t = self
                    .s
                    .tables
                    .get_unchecked(*i.tables.get_unchecked(table as usize) as usize);
                t.elems.get(at).copied()
            }
        };
        let Some(entry) = entry else {
            return Err(self.trap(TrapCode::UndefinedElement));
        };
        if entry == 0 {
            return Err(self.trap(TrapCode::UninitializedElement));
        }
        let f = (entry - 1) as u32;
        // SAFETY: a table's non-null entries are store functions + 1.
        if unsafe { self.s.funcs.get_unchecked(f as usize) }.ty() != TypeId(ty) {
            return Err(self.trap(TrapCode::IndirectCallTypeMismatch));
        }
        // SAFETY: as above; `args` is the running instruction's.
        unsafe { self.call_store_func(f, args, false) }
    }

    #[inline(always)]
    pub(super) unsafe fn call_indirect_epoch(
        &mut self,
        index: Slot,
        args: Slot,
        ty: u32,
        table: u16,
    ) -> Flow {
        // SAFETY: the handlers' contract, passed on.
        unsafe {
            self.epoch()?;
            self.call_indirect(index, args, ty, table)
        }
    }

    /// Calls store function `f`: a WebAssembly function is entered, a host function is
    /// run (or handed to the driver). `host_is_hot` says whether a hot form runs host
    /// functions itself: true for imports, which are mostly host functions; false for
    /// indirect calls, which mostly reach WebAssembly.
    ///
    /// # Safety
    /// `f` is a store function; `args` is the running instruction's.
    #[inline(always)]
    unsafe fn call_store_func(&mut self, f: u32, args: Slot, host_is_hot: bool) -> Flow {
        // SAFETY: as the function's contract.
        match *unsafe { self.s.funcs.get_unchecked(f as usize) } {
            FuncEntity::Wasm {
                instance, compiled, ..
            } if !compiled.func.is_null() => {
                // SAFETY: `compiled` is the function's translation.
                unsafe { self.enter(compiled, args, Some(instance)) }
            }
            FuncEntity::Wasm { instance, .. } => {
                self.out_of_line()?;
                let r = translation_cold(self.s, f);
                let callee = self.tri_err(r)?;
                // SAFETY: `callee` is the function's translation.
                unsafe { self.enter(callee, args, Some(instance)) }
            }
            FuncEntity::Host { .. } => {
                // A hot form with a call in it saves registers on every path, the
                // WebAssembly callee's too: where that callee is the common one, the host
                // call is the full form's.
                if !host_is_hot {
                    self.out_of_line()?;
                }
                let ip = self.ip;
                let top = self.top();
                top.ip = ip;
                let (base, args) = (top.base, top.base + args.0 as usize);
                // Under a typed driver, outside recordings and profiles (which account for
                // a run's end at a host call), the function runs from here; otherwise the
                // run ends and the driver runs it.
                if REC || self.s.host_trampoline.is_none() || self.s.profile.is_some() {
                    return Err(Run::Out(Outcome::HostCall { func: f, args }));
                }
                // SAFETY: the store is the running one, and the handler holds nothing
                // borrowed from it across the call.
                let r = unsafe { call_host_cold(self.s, f, args) };
                let moved = self.tri_err(r)?;
                // SAFETY: the frame's slots are inside the value stack, which the host may
                // have moved by calling back into WebAssembly.
                self.sp = unsafe { self.s.stack.values.as_mut_ptr().add(base) };
                // A single result goes to the accumulator too, as from a callee's return.
                // SAFETY: slot `args` is the frame's.
                self.acc = unsafe { *self.s.stack.values.as_ptr().add(args) };
                if moved {
                    return self.reload_memory_last();
                }
                Ok(())
            }
        }
    }

    /// Pushes a frame for `callee`, of instance `inst` (`None`: the running one), with its
    /// arguments at slot `args` of the running frame, and continues at its first
    /// instruction.
    ///
    /// # Safety
    /// `callee` points to a live translation of `inst` and its first instruction; `args`
    /// is the running instruction's.
    #[inline(always)]
    unsafe fn enter(&mut self, callee: CompiledRef, args: Slot, inst: Option<u32>) -> Flow {
        // Nothing reads the accumulators across a call (a function's first instruction is
        // never an accumulator form, and the one after a call reads only the result that
        // the return puts there): clearing them frees their registers for the call's own
        // work, which then saves fewer registers.
        self.acc = 0;
        self.facc = 0.0;
        // SAFETY: as the function's contract.
        let c = unsafe { &*callee.func };
        // The frame count and the frame stack's base are read once, before anything is
        // stored through frame pointers, which the compiler could otherwise take to change
        // them.
        let len = self.s.stack.frames.len();
        if len >= self.s.stack.frame_limit {
            self.out_of_line()?;
            if !grow_frames(&mut self.s.stack) {
                return Err(self.trap(TrapCode::StackOverflow));
            }
        }
        let head_len = c.head_len;
        if head_len == LARGE_FRAME {
            self.out_of_line()?;
        }
        let frames = self.s.stack.frames.as_mut_ptr();
        // SAFETY: a run has at least `stop + 1` frames until it ends (see `top`): the
        // running one is at `len - 1`.
        let top = unsafe { frames.add(len - 1) };
        // SAFETY: as above.
        let new_base = unsafe { (*top).base } + args.0 as usize;
        let need = new_base + c.frame_size as usize;
        if need > self.s.stack.values.len() {
            self.out_of_line()?;
            if !grow_values(self.s, need) {
                return Err(self.trap(TrapCode::StackOverflow));
            }
        }
        // SAFETY: as above: growing the value stack left the frame stack alone.
        // (Stored once nothing goes out of line, which would need the running
        // instruction's `ip` besides this one.)
        unsafe { (*top).ip = self.ip };
        let frame = Frame {
            func: callee.func,
            ip: ptr::null(),
            base: new_base,
            instance: inst.unwrap_or(self.s.stack.instance),
        };
        // SAFETY: `len` is below `frame_limit`, so within the frame stack's capacity (just
        // ensured), which growing the value stack left alone: a push without Vec's growth
        // path. The value stack holds `need` slots, the new frame's.
        unsafe {
            ptr::write(frames.add(len), frame);
            self.s.stack.frames.set_len(len + 1);
            self.sp = self.s.stack.values.as_mut_ptr().add(new_base);
            init_frame(self.sp, c, head_len);
        }
        self.ip = callee.entry;
        // (Memory 0 is read again last, once the entry's work is done: a trap there does
        // not need it.)
        let switched = inst.is_some_and(|i| i != self.s.stack.instance);
        if let Some(i) = inst {
            self.s.stack.instance = i;
        }
        // One test when neither fuel nor the JIT has work at the entry.
        if c.entry_work {
            if c.entry_fuel != 0 {
                // The entry run's `Fuel`, charged here rather than dispatched (a trap is
                // at the callee's first instruction).
                self.pc = self.ip;
                self.charge(c.entry_fuel)?;
                // SAFETY: the code goes on after its `Fuel`.
                self.ip = unsafe { self.ip.add(1) };
            }
            // A recursive function's entry counts calls like a loop header (`ENTRY`);
            // the rest are never counted.
            self.count_entry(&c.entry_counter);
        }
        if switched {
            return self.reload_memory_last();
        }
        Ok(())
    }

    // ---- returns ----

    /// Pops the running frame and continues in its caller, or ends the run.
    #[inline(always)]
    pub(super) unsafe fn ret(&mut self) -> Flow {
        let frames = &mut self.s.stack.frames;
        // SAFETY: a run has at least `stop + 1` frames until it ends (see `top`), and a
        // `Frame` owns nothing to drop: a pop without `pop`'s test for an empty stack.
        unsafe { frames.set_len(frames.len() - 1) };
        if frames.len() == self.stop {
            return Err(Run::Out(Outcome::Done));
        }
        let (ip, base, instance) = {
            let f = self.top();
            (f.ip, f.base, f.instance)
        };
        self.ip = ip;
        // SAFETY: the caller's frame is inside the value stack.
        self.sp = unsafe { self.s.stack.values.as_mut_ptr().add(base) };
        if instance != self.s.stack.instance {
            self.s.stack.instance = instance;
            return self.reload_memory_last();
        }
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn return_slot(&mut self, src: Slot) -> Flow {
        // SAFETY: `src` is the running instruction's; slot 0 is the frame's.
        unsafe {
            let v = self.r(src);
            *self.sp = v;
            self.acc = v;
            self.ret()
        }
    }

    #[inline(always)]
    pub(super) unsafe fn return_acc(&mut self, _src: Slot) -> Flow {
        // SAFETY: slot 0 is the frame's.
        unsafe {
            *self.sp = self.acc;
            self.ret()
        }
    }

    #[inline(always)]
    pub(super) unsafe fn return_imm(&mut self, bits: u64) -> Flow {
        // SAFETY: slot 0 is the frame's.
        unsafe {
            *self.sp = bits;
            self.acc = bits;
            self.ret()
        }
    }

    /// Returns the `n` values from slot `src` on (moved to the frame's base).
    #[inline(always)]
    pub(super) unsafe fn return_many(&mut self, src: Slot, n: u32) -> Flow {
        // SAFETY: both ranges are inside the frame (translation checked `src + n`).
        unsafe {
            move_results(self.sp, src.0 as usize, n as usize);
            self.ret()
        }
    }
}

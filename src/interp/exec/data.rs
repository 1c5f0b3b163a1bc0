//! The dispatch loop's data handlers: moves and constants, `select`, globals, tables and
//! references (the bulk table operations run out of line in `interp::bulk`).

use super::{Exec, Flow};
use crate::interp::bulk;
use crate::interp::bytecode::{Slot, Slot16};
use crate::ops::{self, IntBin};
use crate::runtime::trap::TrapCode;

// SAFETY (for every handler in this file): its slots are the running instruction's
// operands and its indices were validated (the contract of `Exec`'s handlers).
impl<const REC: bool, const HOT: bool> Exec<'_, REC, HOT> {
    // ---- moves ----

    #[inline(always)]
    pub(super) unsafe fn copy(&mut self, dst: Slot, src: Slot) -> Flow {
        // SAFETY: see the top of the file.
        unsafe { self.w(dst, self.r(src)) };
        Ok(())
    }

    /// Two copies in order (`Instr::Copy2`), skipping the second `Copy` they were fused
    /// from.
    #[inline(always)]
    pub(super) unsafe fn copy2(
        &mut self,
        dst: Slot,
        src: Slot,
        dst2: Slot16,
        src2: Slot16,
    ) -> Flow {
        // SAFETY: see the top of the file.
        unsafe {
            self.w(dst, self.r(src));
            self.w(dst2.into(), self.r(src2.into()));
        }
        self.skip_fused();
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn const32(&mut self, dst: Slot, val: u32) -> Flow {
        // SAFETY: see the top of the file.
        unsafe { self.w(dst, u64::from(val)) };
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn const64(&mut self, dst: Slot, val: u64) -> Flow {
        // SAFETY: see the top of the file.
        unsafe { self.w(dst, val) };
        Ok(())
    }

    /// `dst = if c != 0 { dst } else { b }`.
    #[inline(always)]
    pub(super) unsafe fn select(&mut self, dst: Slot, b: Slot, c: Slot) -> Flow {
        // SAFETY: see the top of the file.
        unsafe {
            if self.r(c) as u32 == 0 {
                self.w(dst, self.r(b));
            }
        }
        Ok(())
    }

    /// `dst = if c != 0 { a } else { b }`.
    #[inline(always)]
    pub(super) unsafe fn select3(&mut self, dst: Slot, a: Slot16, b: Slot16, c: Slot16) -> Flow {
        // SAFETY: see the top of the file.
        unsafe {
            let v = if self.r(c.into()) as u32 != 0 {
                self.r(a.into())
            } else {
                self.r(b.into())
            };
            self.w(dst, v);
        }
        Ok(())
    }

    // ---- globals ----

    #[inline(always)]
    pub(super) unsafe fn global_get(&mut self, dst: Slot, global: u32) -> Flow {
        // SAFETY: see the top of the file.
        unsafe { self.w(dst, self.get_global(global)) };
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn global_set(&mut self, src: Slot, global: u32) -> Flow {
        // SAFETY: see the top of the file.
        unsafe { self.set_global(global, self.r(src)) };
        Ok(())
    }

    /// `global += imm`, then `dst = global` (`Instr::GlobalAddImm`), skipping the two
    /// instructions it was fused with.
    #[inline(always)]
    pub(super) unsafe fn global_add_imm(&mut self, dst: Slot, global: u16, imm: i16) -> Flow {
        let global = u32::from(global);
        // SAFETY: see the top of the file; the fused `global.set` sets `global`, an `i32`
        // global (it was validated with the sum's type).
        unsafe {
            let x = self.get_global(global) as u32;
            let v = u64::from(ops::i32_bin(IntBin::Add, x, i32::from(imm) as u32));
            self.set_global(global, v);
            self.skip_fused_two();
            self.w(dst, v);
        }
        Ok(())
    }

    /// The value of the running instance's global `global`.
    ///
    /// # Safety
    /// `global` is a global of the running instance's module (validated).
    #[inline(always)]
    unsafe fn get_global(&self, global: u32) -> u64 {
        // SAFETY: as the function's contract.
        unsafe { self.s.globals.get_unchecked(self.global(global)).value }
    }

    /// Sets the running instance's global `global` to `bits`.
    ///
    /// # Safety
    /// `global` is a mutable global of the running instance's module (validated), of a
    /// type whose values `bits` holds.
    #[inline(always)]
    pub(super) unsafe fn set_global(&mut self, global: u32, bits: u64) {
        // SAFETY: as the function's contract.
        unsafe {
            let g = self.global(global);
            self.s.globals.get_unchecked_mut(g).value = bits;
        }
    }

    /// The store index of the running instance's global `global`, from the handoff.
    ///
    /// # Safety
    /// `global` is a global of the running instance's module (validated).
    #[inline(always)]
    unsafe fn global(&self, global: u32) -> usize {
        // SAFETY: the handoff's table is the running instance's globals (see
        // `running_memory0`), which hold `global`.
        unsafe { *self.s.handoff.globals.0.as_ptr().add(global as usize) as usize }
    }

    // ---- tables ----

    /// The store index of the running instance's table `table`.
    #[inline(always)]
    fn table(&self, table: u32) -> usize {
        // SAFETY: see the top of the file.
        unsafe { *self.inst().tables.get_unchecked(table as usize) as usize }
    }

    #[inline(always)]
    pub(super) unsafe fn table_get(&mut self, dst: Slot, table: u32, index: Slot) -> Flow {
        let t = self.table(table);
        // SAFETY: see the top of the file.
        let i = unsafe { self.r(index) as u32 as usize };
        let Some(&v) = self.s.tables[t].elems.get(i) else {
            return Err(self.trap(TrapCode::TableOutOfBounds));
        };
        // SAFETY: see the top of the file.
        unsafe { self.w(dst, v) };
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn table_set(&mut self, table: u32, index: Slot, val: Slot) -> Flow {
        let t = self.table(table);
        // SAFETY: see the top of the file.
        let (i, v) = unsafe { (self.r(index) as u32 as usize, self.r(val)) };
        let Some(e) = self.s.tables[t].elems.get_mut(i) else {
            return Err(self.trap(TrapCode::TableOutOfBounds));
        };
        *e = v;
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn table_size(&mut self, dst: Slot, table: u32) -> Flow {
        let n = self.s.tables[self.table(table)].elems.len() as u64;
        // SAFETY: see the top of the file.
        unsafe { self.w(dst, n) };
        Ok(())
    }

    /// Operands `[init, delta]` from `args` on; the result replaces `init`.
    #[inline(always)]
    pub(super) unsafe fn table_grow(&mut self, table: u32, args: Slot) -> Flow {
        // SAFETY: see the top of the file.
        let (init, delta) = unsafe { (self.r(args), self.r(Slot(args.0 + 1))) };
        let r = bulk::table_grow(self.s, table, init, delta);
        let old = self.tri_err(r)?;
        // SAFETY: see the top of the file.
        unsafe { self.w(args, old) };
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn table_fill(&mut self, table: u32, args: Slot) -> Flow {
        // SAFETY: see the top of the file.
        let [i, v, n] = unsafe { self.args3(args) };
        let r = bulk::table_fill(self.s, table, i, v, n);
        self.tri(r)
    }

    #[inline(always)]
    pub(super) unsafe fn table_copy(&mut self, dst_table: u32, src_table: u32, args: Slot) -> Flow {
        // SAFETY: see the top of the file.
        let [d, src, n] = unsafe { self.args3(args) };
        let r = bulk::table_copy(self.s, dst_table, src_table, d, src, n);
        self.tri(r)
    }

    #[inline(always)]
    pub(super) unsafe fn table_init(&mut self, table: u32, seg: u32, args: Slot) -> Flow {
        // SAFETY: see the top of the file.
        let [d, src, n] = unsafe { self.args3(args) };
        let r = bulk::table_init(self.s, table, seg, d, src, n);
        self.tri(r)
    }

    #[inline(always)]
    pub(super) unsafe fn elem_drop(&mut self, seg: u32) -> Flow {
        bulk::elem_drop(self.s, seg);
        Ok(())
    }

    // ---- references ----

    #[inline(always)]
    pub(super) unsafe fn ref_func(&mut self, dst: Slot, func: u32) -> Flow {
        let f = self.inst().funcs[func as usize];
        // SAFETY: see the top of the file.
        unsafe { self.w(dst, u64::from(f) + 1) };
        Ok(())
    }

    #[inline(always)]
    pub(super) unsafe fn ref_is_null(&mut self, dst: Slot, src: Slot) -> Flow {
        // SAFETY: see the top of the file.
        unsafe { self.w(dst, u64::from(self.r(src) == 0)) };
        Ok(())
    }
}

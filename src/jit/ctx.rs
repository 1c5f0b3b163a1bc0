//! The native context of a running trace: what generated code reads and writes besides
//! its registers, with the layout both the code generators and the Rust side of the
//! JIT (entering, exits, helpers) rely on.
//!
//! Sits below the backends (`asm`) and the trace machinery (`trace`, `exit`,
//! `helpers`): they all read its field offsets and word indices, and it imports none
//! of them, but for the native backend's register counts, which size the register
//! words.

use crate::runtime::store::{GlobalEntity, StoreInner};

/// Spill slots a trace may use.
pub(crate) const MAX_SPILLS: usize = 256;

/// What a trace called from another (`CallTrace`) returns when it returned normally
/// (any other value is the number of the exit it took).
pub(crate) const RETURNED: u32 = u32::MAX;

/// What the `CallAny` helper returns when the call it made did not return (it trapped,
/// or a host function failed): the caller unwinds with the error pending.
pub(crate) const FAILED: u32 = u32::MAX - 1;

/// Where things are in [`TraceCtx::words`]: general registers, float registers (as many
/// of each as the backend's register file has, see `asm::Arch`), the save area
/// (registers preserved across helper calls), the parking area (values parked by PHI
/// moves), the spill slots.
pub(crate) mod word {
    use crate::jit::asm::{Arch, Native};

    pub(crate) const GPR: usize = 0;
    pub(crate) const FPR: usize = GPR + Native::GPR_WORDS;
    pub(crate) const SAVE: usize = FPR + Native::FPR_WORDS;
    pub(crate) const PARK: usize = SAVE + Native::GPR_WORDS + Native::FPR_WORDS;
    /// Values a parallel move can park at once.
    pub(crate) const PARK_WORDS: usize = 32;
    pub(crate) const SPILL: usize = PARK + PARK_WORDS;
}

/// Words in [`TraceCtx::words`].
pub(crate) const WORDS: usize = word::SPILL + MAX_SPILLS;

/// What a running trace reads and writes besides its registers. Field offsets are used
/// by the generated code.
#[repr(C)]
pub(crate) struct TraceCtx {
    pub(crate) mem: *mut u8,
    pub(crate) mem_len: u64,
    /// The root frame's first slot.
    pub(crate) sp: *mut u64,
    pub(crate) globals: *mut GlobalEntity,
    /// The elements of the instance's table 0 (`call_indirect`'s usual table), and
    /// their number.
    pub(crate) table0: *const u64,
    pub(crate) table0_len: u64,
    pub(crate) store: *mut StoreInner,
    /// The value stack's first slot when `sp` was last set: `sp` minus this is the
    /// running frame's base (see [`TraceCtx::root_base`]).
    values: *mut u64,
    /// The store's epoch deadline (epoch interruption).
    pub(crate) epoch_deadline: u64,
    /// Native calls between traces (`CallTrace`) in progress: 0 in a trace entered
    /// from the interpreter, which returns to the interpreter at its exits.
    pub(crate) depth: u32,
    /// Further native calls the frame stack has room for, should they all unwind.
    pub(crate) calls_left: u32,
    /// The lowest native stack pointer a native call may start from.
    pub(crate) stack_limit: usize,
    /// The highest slot pointer a callee's frame may start at: the tree's extent above
    /// it is inside the value stack.
    pub(crate) sp_limit: *mut u64,
    /// The largest extent of any trace (what a callee's frame needs above its base).
    pub(crate) extent: usize,
    /// The store's native entries of function traces by table entry: code, keys, and
    /// their number (see `entries`): what megamorphic call sites call.
    pub(crate) entry_code: *const usize,
    pub(crate) entry_keys: *const u64,
    pub(crate) entries_len: u64,
    /// Table 0's slot cache (see `entries`): elements, code, keys, and their number,
    /// never more than table 0's (tables do not shrink).
    pub(crate) slot_elems: *const u64,
    pub(crate) slot_code: *const usize,
    pub(crate) slot_keys: *const u64,
    pub(crate) slots_len: u64,
    /// The store's pool of constants for blinded traces (see `kpool`): the code area's
    /// data words.
    pub(crate) kpool: *const u64,
    /// The store's `layout` when memory 0, table 0 and the entries were last read.
    layout: u64,
    pub(crate) exit: u32,
    /// The number of the trace whose exit was taken (links cross traces).
    pub(crate) trace: u32,
    /// The registers saved at an exit (general, then float), the save area for helper
    /// calls and PHI moves, and the spill slots: one array, so an exit reads any value
    /// by its index (see [`word`]).
    pub(crate) words: [u64; WORDS],
}

impl TraceCtx {
    pub(crate) fn new_boxed() -> Box<TraceCtx> {
        Box::new(TraceCtx {
            mem: std::ptr::null_mut(),
            mem_len: 0,
            sp: std::ptr::null_mut(),
            globals: std::ptr::null_mut(),
            table0: std::ptr::null(),
            table0_len: 0,
            store: std::ptr::null_mut(),
            values: std::ptr::null_mut(),
            epoch_deadline: 0,
            depth: 0,
            calls_left: 0,
            stack_limit: usize::MAX,
            sp_limit: std::ptr::null_mut(),
            extent: 0,
            entry_code: std::ptr::null(),
            entry_keys: std::ptr::null(),
            entries_len: 0,
            slot_elems: std::ptr::null(),
            slot_code: std::ptr::null(),
            slot_keys: std::ptr::null(),
            slots_len: 0,
            kpool: std::ptr::null(),
            layout: u64::MAX,
            exit: 0,
            trace: 0,
            words: [0; WORDS],
        })
    }

    /// The base in the value stack of the frame the context is at: the running trace's
    /// root frame, or a native callee's (native calls move `sp` with the frame, so the
    /// base needs no update of its own).
    pub(crate) fn root_base(&self) -> usize {
        (self.sp.addr() - self.values.addr()) / 8
    }

    /// Puts the context at the frame whose base is `base`, in the value stack of `s`.
    pub(crate) fn set_root_base(&mut self, s: &mut StoreInner, base: usize) {
        self.values = s.stack.values.as_mut_ptr();
        // SAFETY: `base` is a frame's base, inside the value stack.
        self.sp = unsafe { self.values.add(base) };
    }

    /// Re-reads what helpers may have moved or changed: the value stack, the globals,
    /// the epoch deadline, and, when the store's `layout` says they may have changed,
    /// memory 0, table 0 and the native entries (a trace installed meanwhile may have
    /// grown them).
    #[inline]
    pub(crate) fn refresh(&mut self, s: &mut StoreInner) {
        let values = s.stack.values.as_mut_ptr();
        if values != self.values {
            let base = self.root_base();
            self.values = values;
            // SAFETY: the frame at `base` is on the value stack, which moved.
            self.sp = unsafe { values.add(base) };
        }
        // SAFETY: the limit is at most the value stack's length.
        self.sp_limit = unsafe { values.add(s.stack.values.len().saturating_sub(self.extent)) };
        self.globals = s.globals.as_mut_ptr();
        self.epoch_deadline = s.epoch_deadline;
        if self.layout != s.layout {
            self.refresh_layout(s);
        }
    }

    /// Reads everything again (a trace is entered: the context may have served another
    /// instance).
    pub(crate) fn refresh_all(&mut self, s: &mut StoreInner) {
        self.layout = u64::MAX;
        self.refresh(s);
    }

    #[inline(never)]
    fn refresh_layout(&mut self, s: &mut StoreInner) {
        self.layout = s.layout;
        let (mem, len) = crate::interp::memory0(s, s.stack.instance);
        self.mem = mem;
        self.mem_len = len as u64;
        let table0 = s.instances[s.stack.instance as usize].tables.first();
        (self.table0, self.table0_len) = match table0 {
            Some(&t) => {
                let elems = &s.tables[t as usize].elems;
                (elems.as_ptr(), elems.len() as u64)
            }
            None => (std::ptr::null(), 0),
        };
        (self.entry_code, self.entry_keys, self.entries_len) = match &s.jit {
            Some(j) => j.entries.raw(),
            None => (std::ptr::null(), std::ptr::null(), 0),
        };
        let slots = match (&s.jit, table0) {
            (Some(j), Some(&t)) => j.entries.raw_slots(t as usize),
            _ => (std::ptr::null(), std::ptr::null(), std::ptr::null(), 0),
        };
        (
            self.slot_elems,
            self.slot_code,
            self.slot_keys,
            self.slots_len,
        ) = slots;
    }
}

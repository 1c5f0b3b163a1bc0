//! The dispatch loop: runs slot bytecode on a store's value and frame stacks.
//!
//! [`run`] resumes the innermost frame and executes until the frame stack falls back to
//! `stop` frames (the call returned) or a trap. A host function runs from its call's
//! handler, through the trampoline of the generic driver (`runtime::func`) that owns the
//! typed `Store<T>`; while a recording or a profile runs, the call instead ends the run
//! and the driver runs the function and calls `run` again to resume. WebAssembly calls
//! never recurse on the host stack: they push a [`Frame`] and continue in the same loop.
//!
//! Hot state lives in [`Exec`], whose fields stay in registers: the instruction pointer,
//! the frame's slot pointer, the base and length of memory 0 of the current instance, and
//! the two accumulators, one for integers and one for `f64`s (threaded dispatch keeps
//! the length in the store instead, see `threaded`; bounds checks compare with per-width
//! bounds kept there beside it). They are
//! reloaded after anything that can move them: calls and returns that switch instance,
//! `memory.grow`, and value stack growth.
//!
//! The loop's `match` is generated from the instruction table (`bytecode::instr_table`):
//! each row names its handler, an `unsafe` method of [`Exec`] inlined into the loop. In
//! optimized builds the normal runs use `threaded` dispatch instead, generated from the same
//! table and calling the same handlers, one function per instruction; the loop stays for
//! other builds and for recording, where the recorder's hook runs before every
//! instruction. The handlers are grouped by family: `numeric` (arithmetic, comparisons, conversions),
//! `memory` (loads, stores, `memory.*`), `control` (branches, hot counters, fuel,
//! epochs, profiling), `call` (calls and returns) and `data` (moves, globals, tables,
//! references); `cold` holds the paths they take out of line.

mod call;
mod cold;
mod control;
mod data;
mod memory;
mod numeric;
#[cfg(spur_threaded)]
mod threaded;

use super::bytecode::{Instr, Slot, instr_table};
use crate::error::Error;
use crate::interp::translate::CodeSlot;
// (The operators and `ops` are named by the instruction table's rows.)
use crate::ops::{self, FloatBin as FB, FloatCmp as FC, FloatUn as FU, IntBin as B, IntCmp as C};
use crate::runtime::store::{Frame, InstanceEntity, StoreInner};
use crate::runtime::trap::TrapCode;
pub(crate) use cold::init_frame;

/// The address threaded dispatch jumps by to run an instruction of opcode `op` after a
/// `br_table` (0 without threaded dispatch).
pub(crate) fn case_target(op: u16) -> usize {
    #[cfg(spur_threaded)]
    return threaded::handler_addr(op);
    #[cfg(not(spur_threaded))]
    {
        let _ = op;
        0
    }
}
use cold::memory0_cold;
use std::convert::Infallible;
use std::ptr::{self, NonNull};

#[cfg(not(all(target_endian = "little", target_pointer_width = "64")))]
compile_error!("spur's interpreter assumes a 64-bit little-endian host");

/// Why [`run`] returned.
pub(crate) enum Outcome {
    /// The frame stack is back to `stop` frames; results are at the returning frame's base.
    Done,
    /// The innermost frame calls host function `func` (store index) with arguments at
    /// value-stack index `args`; its results go to the same place.
    HostCall { func: u32, args: usize },
    /// Execution trapped; the innermost frame's `ip` is the trapping instruction.
    Trap(TrapCode),
    /// A function could not be translated.
    Error(Error),
}

/// The one `EntryHot` instruction (see `Instr::EntryHot`).
struct EntryHot([Instr; 1]);

// SAFETY: `Instr::EntryHot` holds no pointer; the static is only ever read.
unsafe impl Sync for EntryHot {}

static ENTRY_HOT: EntryHot = EntryHot([Instr::EntryHot]);

/// Base and length of memory 0 of instance `inst` (null and 0 if it has none).
pub(crate) fn memory0(s: &mut StoreInner, inst: u32) -> (*mut u8, usize) {
    match s.instances[inst as usize].memories.first() {
        Some(&m) => {
            let data = &mut s.memories[m as usize].data;
            (data.as_mut_ptr(), data.len())
        }
        None => (ptr::null_mut(), 0),
    }
}

/// What a threaded run (see `threaded`) hands back to its caller, kept in the store: the
/// frame count at which the run is done, and how it ended.
#[derive(Default)]
#[cfg_attr(not(spur_threaded), allow(dead_code))]
pub(crate) struct Handoff {
    stop: usize,
    out: Option<Run>,
    /// For each access width `1 << k`, the last address at which an access fits in
    /// memory 0 of the running instance (its length less the width, negative when none
    /// does): a bounds check is then one compare of the address with this. Threaded
    /// handlers also read memory 0's length from here rather than take it in a register
    /// (see `threaded`).
    last_fit: [isize; 4],
    /// The running instance's translations (see [`Code::table`]): a call finds its callee
    /// here rather than through the instance and its module.
    code: Running<CodeSlot>,
    /// The running instance's globals, as store indices (`InstanceEntity::globals`):
    /// `global.get` and `global.set` find a global's index here rather than through the
    /// instance.
    globals: Running<u32>,
    /// The running instance's functions, as store indices (`InstanceEntity::funcs`): a
    /// call of an import finds its function here rather than through the instance.
    funcs: Running<u32>,
    /// The entries of table 0 of the running instance, and how many (0 when it has no
    /// table): `call_indirect` on table 0 finds its entry here, four loads from the
    /// callee's first instruction rather than seven through the instance and its tables.
    /// Set with the fields above, and again when a table grows (see
    /// [`StoreInner::grow_table`]).
    table0: Running<u64>,
    table0_len: usize,
    /// How many times `running_memory0` has set the fields above: a host function that
    /// changed it ran WebAssembly, after which its caller sets them again.
    sets: u64,
}

/// A pointer to an array that belongs to the running instance: its module's translations,
/// its functions' or globals' store indices, or its table 0's entries (`running_memory0`
/// sets them all).
#[derive(Clone, Copy)]
struct Running<T>(NonNull<T>);

impl<T> Default for Running<T> {
    /// Nothing yet: every run sets it before its first instruction.
    fn default() -> Self {
        Running(NonNull::dangling())
    }
}

// SAFETY: the array is read only by the thread running the store that holds it, and
// lies in a heap block of an instance or module that store keeps alive, which never
// moves or changes length (see `running_memory0`).
unsafe impl<T> Send for Running<T> {}
// SAFETY: as for `Send`.
unsafe impl<T> Sync for Running<T> {}

impl Handoff {
    /// Memory 0 of the running instance is now `len` bytes long.
    #[inline(always)]
    fn set_mem_len(&mut self, len: usize) {
        self.last_fit = [1, 2, 4, 8].map(|n| len as isize - n);
    }

    /// The length of memory 0 of the running instance.
    #[inline(always)]
    fn mem_len(&self) -> usize {
        (self.last_fit[0] + 1) as usize
    }
}

/// Memory 0 of the running instance (`s.stack.instance`): its base and length, which it
/// also records in the store's `Handoff` for bounds checks, with the instance's
/// translations. (Every switch of instance and growth of memory comes here.)
#[inline(always)]
fn running_memory0(s: &mut StoreInner) -> (*mut u8, usize) {
    let (mem, len) = memory0(s, s.stack.instance);
    s.handoff.set_mem_len(len);
    // The store keeps the instance, and so its module's translations, alive; the
    // instance's globals and functions are boxed slices, which never move.
    let inst = &s.instances[s.stack.instance as usize];
    s.handoff.code = Running(inst.module.code.table());
    s.handoff.globals = Running(NonNull::from(&inst.globals[..]).cast());
    s.handoff.funcs = Running(NonNull::from(&inst.funcs[..]).cast());
    running_table0(s);
    s.handoff.sets = s.handoff.sets.wrapping_add(1);
    (mem, len)
}

/// Records table 0 of the running instance in the store's `Handoff` (nothing when the
/// running instance is not one of the store's yet, as before its first call).
pub(crate) fn running_table0(s: &mut StoreInner) {
    let elems = s
        .instances
        .get(s.stack.instance as usize)
        .and_then(|i| i.tables.first())
        .map(|&t| &s.tables[t as usize].elems);
    let (elems, len) = elems.map_or((NonNull::dangling(), 0), |e| {
        (NonNull::from(&e[..]).cast(), e.len())
    });
    s.handoff.table0 = Running(elems);
    s.handoff.table0_len = len;
}

#[cfg(spur_threaded)]
impl Handoff {
    /// Hands `run` back. `out` is always empty here (the run that fills it takes it), so
    /// the write skips dropping an old value, which would put a library call on every
    /// handler's way out.
    #[inline(always)]
    fn end(&mut self, run: Run) {
        debug_assert!(self.out.is_none());
        // SAFETY: `out` is a valid place; the `None` it held owns nothing.
        unsafe { std::ptr::write(&mut self.out, Some(run)) }
    }
}

/// How one stretch of the dispatch loop ended.
enum Run {
    Out(Outcome),
    /// Recording started or ended: continue in the other loop, with these accumulators.
    Switch(Acc),
    /// Only from a threaded handler's hot form (see `threaded`): the running instruction
    /// needs a path kept out of line; it runs again in its full form. Nothing was changed
    /// that running it again does not redo.
    OutOfLine,
    /// Only from a threaded handler's hot form: the instruction is done, but it switched
    /// instance, so memory 0 must be read again before the next one.
    Reload,
    /// Only from a threaded handler's hot form: a `wrap` access's sum is past the end of
    /// memory; it runs again in its wrapping form (see `threaded`), which takes the sum
    /// mod 2^32.
    Wrap,
}

/// Resumes the innermost frame of `s` and runs until the frame stack has `stop` frames.
///
/// The innermost frame must have been set up by a caller (its locals zeroed, `ip` at the
/// instruction to execute) and the value stack must hold its whole frame.
/// `acc` is the accumulator to start with: 0, what a trace's exit left for the
/// instruction it resumes at, or after a host call that the driver ran, the call's first
/// result slot (the instruction after a call with one result may read it from there).
#[inline]
pub(crate) fn run(s: &mut StoreInner, stop: usize, acc: u64) -> Outcome {
    let mut acc = Acc::from_bits(acc);
    loop {
        // (The JIT's state exists once a counter expired: until then, no hook call.)
        let recording = s.jit.is_some() && (s.hooks.recording)(s, stop);
        let r = if recording {
            run_recording(s, stop, acc)
        } else {
            run_normal(s, stop, acc)
        };
        match r {
            Run::Switch(a) => acc = a,
            Run::OutOfLine | Run::Reload | Run::Wrap => {
                unreachable!("only a threaded handler's hot form returns these, to itself")
            }
            Run::Out(o) => {
                // Rebuilt field by field: a copy of the whole value would read it with
                // one wide load just after the loop stored its fields one by one, and
                // stall on every host call.
                let o = match o {
                    Outcome::HostCall { func, args } => Outcome::HostCall { func, args },
                    o => o,
                };
                if recording || s.profile.is_some() {
                    (s.hooks.run_ended)(s, &o, recording);
                }
                return o;
            }
        }
    }
}

/// The entry of the running instance's table `table` at `index`: a store function + 1,
/// or 0 for null or out of bounds.
pub(crate) fn table_entry(s: &StoreInner, table: u16, index: u64) -> u64 {
    let i = &s.instances[s.stack.instance as usize];
    let t = &s.tables[i.tables[table as usize] as usize];
    t.elems.get(index as u32 as usize).copied().unwrap_or(0)
}

/// The dispatch loop as it normally runs.
///
/// Where the loop's dispatch sequence (load the opcode, index the jump table, jump) falls
/// against 64-byte lines decides much of its speed: when it straddles two, every
/// instruction it dispatches pays for a second fetch. A function starts only 16-byte
/// aligned, so at an address set by all the code linked before it, which an embedder's
/// build chooses; the same interpreter was measured up to 1.8 times slower from its start
/// address alone. On ELF targets this function therefore sits alone in a section that
/// the `global_asm!` below aligns to 64 bytes, and the loop's layout depends on its own code.
/// (Of the four 16-byte offsets a line's start allows, offset 0 measured best over the
/// kernels, and offset 48, where the dispatch straddles two lines, 1.3 times slower.)
// SAFETY (`link_section`): the section is ordinary executable code, flagged as `.text` is;
// only its name and alignment differ, and nothing else is placed in it.
#[inline(never)]
#[cfg_attr(
    all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ),
    unsafe(link_section = ".text.spur_dispatch")
)]
fn run_normal(s: &mut StoreInner, stop: usize, acc: Acc) -> Run {
    #[cfg(spur_threaded)]
    return threaded::run_threaded(s, stop, acc);
    #[cfg(not(spur_threaded))]
    run_loop::<false>(s, stop, acc)
}

// Raises the alignment of `run_normal`'s section to 64 bytes. It adds no bytes, so the
// function stays at the section's start. (The directive is in this module so that it is
// assembled in the same object as the function.)
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
std::arch::global_asm!(
    ".pushsection .text.spur_dispatch,\"ax\",%progbits",
    ".p2align 6",
    ".popsection",
);

/// The dispatch loop with the recorder's hook before every instruction.
#[inline(never)]
fn run_recording(s: &mut StoreInner, stop: usize, acc: Acc) -> Run {
    run_loop::<true>(s, stop, acc)
}

/// What a handler tells the dispatch loop: go on (`Ok`), or end this stretch of the loop
/// with a [`Run`].
type Flow = Result<(), Run>;

/// The dispatch loop's state. Only the hottest state is carried here (`ip`, `sp`, memory
/// base and length, the accumulator), so that it stays in registers: the value lives in
/// one function (every handler is inlined into [`run_loop`], and no reference to it
/// escapes), and paths out of line take the fields they need, never the whole. The
/// frame's base, function and instance are read from the frame stack on the rarer paths
/// that need them.
///
/// Handlers are `unsafe` methods grouped by family (`numeric`, `memory`, `control`,
/// `call`, `data`), one per row kind of the instruction table (`bytecode::instr_table`).
/// Their shared contract: their operands are the running instruction's, so slots lie
/// below the running function's `frame_size` and indices were validated (translation
/// guarantees both), and `sp` points at the frame's slot 0 in the value stack, which holds
/// the whole frame.
struct Exec<'s, const REC: bool, const HOT: bool> {
    s: &'s mut StoreInner,
    /// The frame count at which the run is done.
    stop: usize,
    /// The instruction being executed (traps and `Fuel` report it).
    pc: *const Instr,
    /// The next instruction.
    ip: *const Instr,
    /// The running frame's slot 0.
    sp: *mut u64,
    /// Memory 0 of the running instance: base and length in bytes.
    mem: *mut u8,
    mem_len: usize,
    /// The accumulator: the result of the last instruction that wrote a slot, unless that
    /// result was an `f64`. `A` forms read it instead of that slot, skipping a
    /// store-to-load round trip through memory.
    acc: u64,
    /// The float accumulator: the result of the last instruction that wrote an `f64`
    /// (see [`Written`]). It lives in a float register, so an `f64` passed from one
    /// instruction to the next never moves between register files, a move that adds a
    /// few cycles of latency (on x86-64, `movq` each way) to a chain of float operations.
    facc: f64,
    /// The instruction runs in its wrapping form: a `wrap` access's address is its sum
    /// mod 2^32 (set only by threaded dispatch, a constant in each form).
    wrapped: bool,
}

/// The two accumulators (see [`Exec`]), as a run starts with them.
#[derive(Clone, Copy)]
struct Acc {
    int: u64,
    float: f64,
}

impl Acc {
    /// Both accumulators holding `bits`, the value the instruction a run starts at reads
    /// if it is an `A` form (a trace's exit knows the value, not which accumulator the
    /// instruction reads).
    fn from_bits(bits: u64) -> Self {
        Acc {
            int: bits,
            float: f64::from_bits(bits),
        }
    }
}

/// A result as a handler writes it: its slot's bits, and the accumulator it goes to.
/// An `f64` goes to the float accumulator, everything else to the integer one; the
/// translator's accumulator pass follows the same rule (`Instr::writes_float_acc`).
trait Written: Copy {
    fn bits(self) -> u64;
    fn accumulate(self, acc: &mut u64, facc: &mut f64);
}

impl Written for u64 {
    #[inline(always)]
    fn bits(self) -> u64 {
        self
    }
    #[inline(always)]
    fn accumulate(self, acc: &mut u64, _: &mut f64) {
        *acc = self;
    }
}

impl Written for f64 {
    #[inline(always)]
    fn bits(self) -> u64 {
        self.to_bits()
    }
    #[inline(always)]
    fn accumulate(self, _: &mut u64, facc: &mut f64) {
        *facc = self;
    }
}

/// An `A` form's operand as it takes it from the accumulators: an `f64` from the float
/// one, anything else from the integer one (as [`Written`] put it there).
trait FromAcc {
    fn take(acc: u64, facc: f64) -> Self;
}

impl FromAcc for u64 {
    #[inline(always)]
    fn take(acc: u64, _: f64) -> u64 {
        acc
    }
}

impl FromAcc for f64 {
    #[inline(always)]
    fn take(_: u64, facc: f64) -> f64 {
        facc
    }
}

/// A slot's bits as an operand type: integers as their low bits, floats by their bits.
trait FromBits: Copy {
    fn from_bits(bits: u64) -> Self;
}

macro_rules! from_bits {
    ($($t:ty: |$b:ident| $e:expr;)*) => {$(
        impl FromBits for $t {
            #[inline(always)]
            fn from_bits($b: u64) -> $t {
                $e
            }
        }
    )*};
}

from_bits! {
    u32: |b| b as u32;
    i32: |b| b as i32;
    u64: |b| b;
    i64: |b| b as i64;
    f32: |b| f32::from_bits(b as u32);
    f64: |b| f64::from_bits(b);
}

impl<'s, const REC: bool, const HOT: bool> Exec<'s, REC, HOT> {
    /// The state for resuming the innermost frame of `s`.
    fn new(s: &'s mut StoreInner, stop: usize, acc: Acc) -> Self {
        let top = s.stack.frames.last().expect("run needs a frame");
        let (ip, base, instance) = (top.ip, top.base, top.instance);
        s.stack.instance = instance;
        let sp = s.stack.values[base..].as_mut_ptr();
        let (mem, mem_len) = running_memory0(s);
        Exec {
            s,
            stop,
            pc: ip,
            ip,
            sp,
            mem,
            mem_len,
            acc: acc.int,
            facc: acc.float,
            wrapped: false,
        }
    }

    /// The state for running the instruction at `pc` of the innermost frame of `s`, with
    /// the frame's registers: slot 0, memory 0's base, the accumulator (see `threaded`;
    /// memory 0's length is the store's copy), in the wrapping form or not.
    ///
    /// # Safety
    /// `s` is valid and not otherwise borrowed for `'s`; `pc` is an instruction of the
    /// running function.
    #[cfg(spur_threaded)]
    #[inline(always)]
    unsafe fn at(
        s: *mut StoreInner,
        pc: *const Instr,
        sp: *mut u64,
        mem: *mut u8,
        acc: u64,
        facc: f64,
        wrapped: bool,
    ) -> Self {
        // SAFETY: as the function's contract; the code goes on after `pc` (it ends in a
        // return).
        unsafe {
            Exec {
                stop: (*s).handoff.stop,
                s: &mut *s,
                pc,
                ip: pc.add(1),
                sp,
                mem,
                mem_len: (*s).handoff.mem_len(),
                acc,
                facc,
                wrapped,
            }
        }
    }

    /// Slot `slot` of the running frame.
    ///
    /// # Safety
    /// `slot` is an operand of the running instruction (see [`Exec`]).
    #[inline(always)]
    unsafe fn r(&self, slot: Slot) -> u64 {
        // SAFETY: the slot is inside the frame, which is inside the value stack.
        unsafe { *self.sp.add(slot.0 as usize) }
    }

    /// Writes a result to slot `slot` and to its accumulator (see [`Written`]).
    ///
    /// # Safety
    /// As [`Exec::r`].
    #[inline(always)]
    unsafe fn w<V: Written>(&mut self, slot: Slot, v: V) {
        v.accumulate(&mut self.acc, &mut self.facc);
        // SAFETY: the slot is inside the frame, which is inside the value stack.
        unsafe { *self.sp.add(slot.0 as usize) = v.bits() }
    }

    /// Both accumulators, to hand to the other dispatch loop.
    #[inline(always)]
    fn accs(&self) -> Acc {
        Acc {
            int: self.acc,
            float: self.facc,
        }
    }

    /// The three operands of a bulk operation, from slot `args` on.
    ///
    /// # Safety
    /// `args` and the two slots after it are the running instruction's operands.
    #[inline(always)]
    unsafe fn args3(&self, args: Slot) -> [u64; 3] {
        // SAFETY: as the function's contract.
        unsafe { [0, 1, 2].map(|k| self.r(Slot(args.0 + k))) }
    }

    /// The innermost frame.
    #[inline(always)]
    fn top(&mut self) -> &mut Frame {
        // SAFETY: a run has at least `stop + 1` frames until it ends.
        unsafe { self.s.stack.frames.last_mut().unwrap_unchecked() }
    }

    /// The running instance.
    #[inline(always)]
    fn inst(&self) -> &InstanceEntity {
        // SAFETY: the stack's instance is one of the store's (set from a frame).
        unsafe {
            self.s
                .instances
                .get_unchecked(self.s.stack.instance as usize)
        }
    }

    /// Ends the run with `out`, the innermost frame at the running instruction.
    #[inline(always)]
    fn stop_here(&mut self, out: Outcome) -> Run {
        let pc = self.pc;
        self.top().ip = pc;
        Run::Out(out)
    }

    /// Ends the run with trap `code` at the running instruction.
    #[inline(always)]
    fn trap(&mut self, code: TrapCode) -> Run {
        self.stop_here(Outcome::Trap(code))
    }

    /// A runtime result's value, or the run's end with its trap.
    #[inline(always)]
    fn tri<V>(&mut self, r: Result<V, TrapCode>) -> Result<V, Run> {
        r.map_err(|code| self.trap(code))
    }

    /// A result's value, or the run's end with its error.
    #[inline(always)]
    fn tri_err<V>(&mut self, r: Result<V, Error>) -> Result<V, Run> {
        r.map_err(|e| self.stop_here(Outcome::Error(e)))
    }

    /// Memory 0 again, after a switch of instance or a `memory.grow`.
    #[inline(always)]
    fn reload_memory(&mut self) {
        (self.mem, self.mem_len) = memory0_cold(self.s);
    }

    /// Memory 0 again, as the last step of an instruction that switched instance: a
    /// threaded handler's hot form leaves it to the function it jumps to (see `threaded`),
    /// so that it makes no call itself.
    #[inline(always)]
    fn reload_memory_last(&mut self) -> Flow {
        if HOT {
            return Err(Run::Reload);
        }
        self.reload_memory();
        Ok(())
    }

    /// Goes on after the instruction that the running one was fused with (see
    /// `translate::fuse_pairs`), which stays behind it for branches and exits to land on.
    #[inline(always)]
    fn skip_fused(&mut self) {
        // SAFETY: translation fuses only a pair whose second instruction has another after
        // it (every function ends in a return).
        self.ip = unsafe { self.pc.add(2) };
    }

    /// Goes on after the two instructions that the running one was fused with (a triple,
    /// see `translate::fuse_pairs`).
    #[inline(always)]
    fn skip_fused_two(&mut self) {
        // SAFETY: translation fuses only a triple whose last instruction has another after
        // it (every function ends in a return).
        self.ip = unsafe { self.pc.add(3) };
    }

    /// Marks the start of a rare path that calls out of line. A threaded handler's hot
    /// form takes none: here it hands the instruction to its full form, so that its common
    /// path saves no registers for a call (see `threaded`). The caller must not have
    /// changed anything that running the instruction again would not redo.
    #[inline(always)]
    fn out_of_line(&self) -> Flow {
        if HOT {
            return Err(Run::OutOfLine);
        }
        Ok(())
    }

    /// The running frame again, after a trace or the JIT moved the frame stack.
    #[inline(always)]
    fn reload_frame(&mut self) {
        let (ip, base, instance) = {
            let f = self.top();
            (f.ip, f.base, f.instance)
        };
        self.ip = ip;
        // SAFETY: the frame's slots are inside the value stack (checked when it was pushed).
        self.sp = unsafe { self.s.stack.values.as_mut_ptr().add(base) };
        self.s.stack.instance = instance;
        self.reload_memory();
    }
}

/// The dispatch loop; `REC` instantiates it with the recorder's hook before every
/// instruction (the normal loop pays nothing for it).
#[inline(always)]
fn run_loop<const REC: bool>(s: &mut StoreInner, stop: usize, acc: Acc) -> Run {
    let mut e = Exec::<REC, false>::new(s, stop, acc);
    match dispatch(&mut e) {
        Ok(never) => match never {},
        Err(run) => run,
    }
}

/// Runs instructions until a handler ends the run: the `match` is generated from the
/// instruction table, each row calling its handler with the instruction's fields.
#[inline(always)]
fn dispatch<const REC: bool>(e: &mut Exec<'_, REC, false>) -> Result<Infallible, Run> {
    macro_rules! dispatch {
        (
            $( $(#[$meta:meta])* $name:ident $({ $($field:ident : $ty:ty),* $(,)? })?
                => $h:ident ($($arg:tt)*) ,)*
            ;
            $( $(#[$ameta:meta])* $aname:ident $({ $($afield:ident : $aty:ty),* $(,)? })?
                => $ah:ident ($($aarg:tt)*) ,)*
        ) => {{
            // Aligns what follows to a 64-byte line (the padding runs once, on entry), so
            // that the loop's header, with the dispatch sequence, sits a few instructions
            // of set-up after a line's start whatever the code before it (see
            // `run_normal`). Without it, the plain build's header landed at offset 48 of
            // a line, straddling two, and ran the kernels 1.09 times slower; with it,
            // at offset 32.
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            // SAFETY: an alignment directive: padding with no-ops, no operands or effects.
            unsafe {
                std::arch::asm!(".p2align 6", options(nomem, nostack, preserves_flags));
            }
            loop {
                e.pc = e.ip;
                if REC && (e.s.hooks.record_step)(e.s, e.pc) {
                    e.top().ip = e.pc;
                    return Err(Run::Switch(e.accs()));
                }
                // SAFETY: (for every handler) translation guarantees that the code ends in
                // a return and that branch offsets land inside it, so `ip` stays in
                // bounds; the handlers' operands are the running instruction's (see
                // `Exec`).
                unsafe {
                    e.ip = e.ip.add(1);
                    match *e.pc {
                        $( Instr::$name $({ $($field),* })?
                            => e.$h($($($field,)*)? $($arg)*)?, )*
                        $( Instr::$aname $({ $($afield),* })?
                            => e.$ah($($($afield,)*)? $($aarg)*)?, )*
                    }
                }
            }
        }};
    }
    instr_table!(dispatch)
}

#[cfg(all(
    test,
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod tests {
    use super::*;

    #[test]
    fn the_dispatch_loop_starts_a_64_byte_line() {
        let f: fn(&mut StoreInner, usize, Acc) -> Run = run_normal;
        assert_eq!(f as usize % 64, 0, "run_normal at {:#x}", f as usize);
    }
}

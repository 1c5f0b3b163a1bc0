//! Threaded dispatch: the dispatch loop's normal runs as one function per instruction, each
//! ending in a tail call to the next instruction's function.
//!
//! The `match` of `dispatch` is fast only when LLVM copies its dispatch sequence (load the
//! opcode, index the jump table, jump) into the end of every arm, and LLVM does that only
//! under the `-tail-dup-*` limits that an embedder's build does not set. Here every
//! instruction has its own function, generated from the same instruction table and calling
//! the same handler, and its own indirect jump to the next: each dispatch point is
//! predicted on its own whatever the build settings, and the hot state (`ip`, `sp`, the
//! accumulators, memory 0's base, the store) lives in argument registers of the C
//! calling convention, never in memory. (`C-unwind`: a host function's panic, which a
//! trace called from a loop header re-raises, unwinds through them to the embedder.)
//! Memory 0's length, which only bounds checks and the rarer memory instructions read,
//! lives in the store's `Handoff` instead, with the per-width bounds that the checks
//! compare addresses with (one instruction, with a memory operand).
//!
//! The float accumulator takes the first float argument register (`xmm0`, `d0`), so that
//! an `f64` result passes to the next instruction without leaving the float registers.
//! LLVM folds the load of the next handler's address into the tail jump
//! (`jmp *(table, op, 8)`) only when the call passes at most six registers, so the
//! integer accumulator takes the fourth, which on x86-64 is `rcx`: the only register a
//! shift or rotate by a variable count takes its count in. Such a handler moves the
//! accumulator out of `rcx` and back, two moves that register renaming eliminates. The
//! two other ways measured worse: a seventh register unfolds every dispatch's jump (one
//! instruction more per instruction run: 2% to 10% more instructions on the kernels),
//! and memory 0's base kept in the store costs every memory access a load (phases ran
//! 1.11 to 1.13 times as long). With the float accumulator and this order, instructions
//! executed (cachegrind, JIT off) fell 7.4% on nbody and 5.2% on matmul, and rose by up
//! to 5.4% (nest) where shifts by a constant abound.
//!
//! Stable Rust does not promise tail calls; LLVM makes these calls jumps (sibling calls)
//! from `opt-level = 2` on, when caller and callee have the same signature and no argument
//! lives on the stack. The build script therefore enables this module (`spur_threaded`)
//! only at opt-level 2 or 3 on x86-64 and AArch64 outside Windows; other builds run
//! `dispatch`'s loop. The recording loop always runs `dispatch`'s loop.
//!
//! Each instruction has two forms, and loads and stores a third. The hot form, in the
//! table the jumps index, takes no path that calls out of line (a load whose address
//! needs the unfolded computation, growing the stacks, translating a callee, the JIT's
//! hook at an expired counter): at the start of such a path it jumps to the full form,
//! which runs the instruction again from the start with every path
//! (`Exec::out_of_line`). A call anywhere in a function
//! makes it save registers on every path; so the hot forms of loads, stores, branches
//! and returns of at most one value save none (calls still do: setting up a frame may
//! call). A return or call that switches instance jumps to `reload`, which
//! reads memory 0 again. A load or store marked `wrap` (see `translate`) whose plain sum
//! is past the end jumps to its third form, as lean as the hot one, which takes the sum
//! mod 2^32: loops over negative indices do that on every access, and the hot form's
//! straight path stays as it was.
//!
//! After a `br_table`, the jump goes by the address of the target's function, which the
//! taken `Case` carries (left in the accumulator), not by the target's opcode and then
//! the table: a jump that an interpreter's opcode dispatch (Lua's, QuickJS's) often
//! mispredicts waits for two loads less. (The interp kernel, a `switch` on bytecode, ran
//! in 0.944 of the time it took when the jump went by the opcode; 7 interleaved runs.)
//!
//! A handler that ends the run writes its [`Run`] to the store and returns; every
//! function on the chain then returns at once, since each was entered by a jump.
//!
//! On Linux each instruction's functions sit in a section of their own, which a
//! `global_asm!` block aligns to 64 bytes: a hot form then starts a cache line, and a
//! short one fits in it, wherever the code linked before it ends. (Functions are only
//! 16-byte aligned otherwise, and a kernel's speed moved by up to 7% when unrelated
//! handlers were added before its own.)

use super::cold::memory0_cold;
use super::{Acc, Exec, Outcome, Run};
use crate::interp::bytecode::{Instr, instr_table};
use crate::runtime::store::StoreInner;
// (The operators and `ops` are named by the instruction table's rows.)
#[allow(
    unused_imports,
    reason = "the rows name some of these only in closures"
)]
use crate::ops::{self, FloatBin as FB, FloatCmp as FC, FloatUn as FU, IntBin as B, IntCmp as C};

/// An instruction's function: the store, the instruction, the frame's slot 0, the
/// accumulator, memory 0's base, the float accumulator (the first float argument
/// register).
type Handler =
    unsafe extern "C-unwind" fn(*mut StoreInner, *const Instr, *mut u64, u64, *mut u8, f64);

/// Runs the innermost frame of `s` (as `dispatch`'s loop does) until a handler ends the run.
#[inline(never)]
pub(super) fn run_threaded(s: &mut StoreInner, stop: usize, acc: Acc) -> Run {
    // A trace may run the interpreter again from inside a handler: the outer run's `stop`
    // is restored when the inner one returns.
    let outer = std::mem::replace(&mut s.handoff.stop, stop);
    let e = Exec::<false, false>::new(s, stop, acc);
    let (ip, sp, mem, acc, facc) = (e.ip, e.sp, e.mem, e.acc, e.facc);
    let s: *mut StoreInner = e.s;
    // SAFETY: `Exec::new` set up the state for the innermost frame, which the handlers'
    // contract asks for (see `Exec`); `s` is the only reference to the store for the run.
    let s = unsafe {
        jump(s, ip, sp, acc, mem, facc);
        &mut *s
    };
    s.handoff.stop = outer;
    // A host call's outcome is read field by field: the handler stored it so, and one wide
    // load of the whole would wait for those stores on every host call.
    if let Some(Run::Out(Outcome::HostCall { func, args })) = s.handoff.out {
        s.handoff.out = None;
        return Run::Out(Outcome::HostCall { func, args });
    }
    s.handoff
        .out
        .take()
        .expect("a threaded run ends with a handler's outcome")
}

/// Runs the instruction at `ip` and the rest of the run from it.
///
/// # Safety
/// The state is the running frame's, as `Exec`'s handlers require; `s` is valid and not
/// otherwise borrowed.
#[inline(always)]
unsafe fn jump(
    s: *mut StoreInner,
    ip: *const Instr,
    sp: *mut u64,
    acc: u64,
    mem: *mut u8,
    facc: f64,
) {
    // SAFETY: `ip` points at an instruction (the caller's contract), whose opcode is a
    // variant's index, and `HANDLERS` has one function per variant, in order.
    unsafe {
        let h = *HANDLERS.get_unchecked(usize::from((*ip).op()));
        call(h, s, ip, sp, acc, mem, facc)
    }
}

/// Runs the instruction at `ip` with its function `h`.
///
/// # Safety
/// As [`jump`]; `h` is the function of `ip`'s opcode.
#[inline(always)]
unsafe fn call(
    h: Handler,
    s: *mut StoreInner,
    ip: *const Instr,
    sp: *mut u64,
    acc: u64,
    mem: *mut u8,
    facc: f64,
) {
    // SAFETY: the caller's contract.
    unsafe { h(s, ip, sp, acc, mem, facc) }
}

/// The function whose address `addr` is (a `Case`'s `to`, see `handler_addr`).
///
/// # Safety
/// `addr` is `handler_addr(op)` for some opcode `op`.
#[inline(always)]
unsafe fn handler_at(addr: u64) -> Handler {
    // SAFETY: `addr` is a `Handler`'s address (the caller's contract).
    unsafe { std::mem::transmute::<usize, Handler>(addr as usize) }
}

/// The address of the function that runs instructions of opcode `op` (a `Case`'s `to`).
pub(crate) fn handler_addr(op: u16) -> usize {
    HANDLERS[usize::from(op)] as usize
}

/// Goes on to the next instruction after handler `$name` ran: by its opcode, or after a
/// `br_table` by the function its `Case` gave, whose address `take_case` left in the
/// accumulator (the table's jump then waits for two loads less).
macro_rules! next {
    (BrTable, $e:ident) => { next!(@case $e) };
    (BrTableA, $e:ident) => { next!(@case $e) };
    (@case $e:ident) => {
        call(handler_at($e.acc), $e.s, $e.ip, $e.sp, $e.acc, $e.mem, $e.facc)
    };
    ($name:ident, $e:ident) => { jump($e.s, $e.ip, $e.sp, $e.acc, $e.mem, $e.facc) };
}

/// The function for instruction `$name`: `HOT` is its hot form, in `HANDLERS`, which
/// hands rare paths to its full form (see `Exec::out_of_line`), and a `wrap` access past
/// the end to its wrapping form (`HOT` and `WRAP`).
macro_rules! handler {
    ($name:ident $({ $($field:ident),* })? => $h:ident ($($arg:tt)*)) => {{
        #[allow(non_snake_case)]
        #[inline(never)]
        // SAFETY (`link_section`): the section is ordinary executable code, flagged as
        // `.text` is; only its name and alignment (raised in `threaded!`) differ.
        #[cfg_attr(
            target_os = "linux",
            unsafe(link_section = concat!(".text.spur_op.", stringify!($name)))
        )]
        unsafe extern "C-unwind" fn $name<const HOT: bool, const WRAP: bool>(
            s: *mut StoreInner, ip: *const Instr, sp: *mut u64, acc: u64, mem: *mut u8,
            facc: f64,
        ) {
            // SAFETY: `ip` is this variant's instruction (its index chose this function);
            // the rest is `jump`'s contract, passed on.
            unsafe {
                let Instr::$name $({ $($field),* })? = *ip else {
                    std::hint::unreachable_unchecked()
                };
                let mut e = Exec::<false, HOT>::at(s, ip, sp, mem, acc, facc, WRAP);
                // The outcome is taken apart before the jumps: with nothing left to drop
                // after them, they are the function's last act, and can be jumps. It is
                // matched in place, never dropped: the three ways on own nothing, and a
                // drop of the whole is a call of its drop glue wherever LLVM does not
                // inline that (as in a build without LTO), which made every hot form
                // with such a path save five registers on entry.
                let next = match e.$h($($($field,)*)? $($arg)*) {
                    Ok(()) => Next::Jump,
                    Err(run) => {
                        let run = std::mem::ManuallyDrop::new(run);
                        match *run {
                            Run::OutOfLine => Next::OutOfLine,
                            Run::Reload => Next::Reload,
                            Run::Wrap => Next::Wrap,
                            _ => return e.s.handoff.end(std::mem::ManuallyDrop::into_inner(run)),
                        }
                    }
                };
                match next {
                    Next::Jump => next!($name, e),
                    Next::OutOfLine => $name::<false, false>(s, ip, sp, acc, mem, facc),
                    Next::Wrap => $name::<true, true>(s, ip, sp, acc, mem, facc),
                    Next::Reload => reload(e.s, e.ip, e.sp, e.acc, e.mem, e.facc),
                }
            }
        }
        $name::<true, false> as Handler
    }};
}

/// Where a handler goes on: the next instruction, its own full form, its own wrapping
/// form, or `reload`.
enum Next {
    Jump,
    OutOfLine,
    Wrap,
    Reload,
}

/// Reads memory 0 again (the running instance changed) and runs the instruction at `ip`.
///
/// # Safety
/// As [`jump`], but for memory 0, which may be stale.
#[inline(never)]
unsafe extern "C-unwind" fn reload(
    s: *mut StoreInner,
    ip: *const Instr,
    sp: *mut u64,
    acc: u64,
    _: *mut u8,
    facc: f64,
) {
    // SAFETY: as the function's contract; `s` is valid and not otherwise borrowed.
    unsafe {
        let (mem, _) = memory0_cold(&mut *s);
        jump(s, ip, sp, acc, mem, facc)
    }
}

macro_rules! threaded {
    (
        $( $(#[$meta:meta])* $name:ident $({ $($field:ident : $ty:ty),* $(,)? })?
            => $h:ident ($($arg:tt)*) ,)*
        ;
        $( $(#[$ameta:meta])* $aname:ident $({ $($afield:ident : $aty:ty),* $(,)? })?
            => $ah:ident ($($aarg:tt)*) ,)*
    ) => {
        // Raises the alignment of each instruction's section (see `handler!`) to 64
        // bytes; it adds no bytes, so its first function stays at the section's start.
        // (Assembled in this module's object, as the functions are.)
        #[cfg(target_os = "linux")]
        std::arch::global_asm!(
            $(
                concat!(".pushsection .text.spur_op.", stringify!($name), ",\"ax\",%progbits"),
                ".p2align 6",
                ".popsection",
            )*
            $(
                concat!(".pushsection .text.spur_op.", stringify!($aname), ",\"ax\",%progbits"),
                ".p2align 6",
                ".popsection",
            )*
        );

        /// The hot form of each instruction's function, in the instruction table's order.
        static HANDLERS: &[Handler] = &[
            $( handler!($name $({ $($field),* })? => $h($($arg)*)), )*
            $( handler!($aname $({ $($afield),* })? => $ah($($aarg)*)), )*
        ];
    };
}

instr_table!(threaded);

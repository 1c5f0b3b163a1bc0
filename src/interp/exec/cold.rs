//! The dispatch loop's out-of-line paths: everything its handlers call that is not
//! inlined into it, marked cold and never inlined. A call inside the loop would force the
//! hot state out of registers on every path, while a call to a cold function lets the
//! register allocator spill only around that call. (`init_frame`, on every call, is the
//! exception: it is inlined, and only its rare cases are out of line.)

use super::running_memory0;
use crate::error::Error;
use crate::interp::translate::{CompiledFunc, HEAD, LARGE_FRAME};
use crate::runtime::module::Module;
use crate::runtime::store::{CompiledRef, Stack, StoreInner};
use std::ptr;

/// Memory 0 of the current instance, after a switch of instance or a `memory.grow`
/// (its length recorded for bounds checks, see `running_memory0`).
#[cold]
#[inline(never)]
pub(super) fn memory0_cold(s: &mut StoreInner) -> (*mut u8, usize) {
    running_memory0(s)
}

#[cold]
#[inline(never)]
pub(super) fn translate_cold(module: &Module, func: u32) -> Result<CompiledRef, Error> {
    module
        .code
        .compiled(&module.inner, func)
        .map(|c| CompiledRef::of(c))
}

/// The translation of store function `f` (see `StoreInner::translation`), out of line.
#[cold]
#[inline(never)]
pub(super) fn translation_cold(s: &mut StoreInner, f: u32) -> Result<CompiledRef, Error> {
    s.translation(f)
}

/// Runs host function `f` (store index) on the value-stack slots at `at` through the
/// typed driver's trampoline (see `HostTrampoline`), for the innermost frame, whose `ip`
/// is saved (after the call). The host may call back into WebAssembly: the running
/// instance is restored afterwards, and the result says whether memory 0 must be read
/// again (WebAssembly ran, which set the handoff for its own instance, or a memory or
/// table grew). The caller reads the value stack afresh.
///
/// `s` is a raw pointer, not a reference: the host function changes the store through
/// the driver's own pointer to it, so nothing may assume the store unchanged across the
/// call, as a reference held across it would let the compiler do.
///
/// # Safety
/// `s` is the running store, valid and not otherwise in use.
#[cold]
#[inline(never)]
pub(super) unsafe fn call_host_cold(s: *mut StoreInner, f: u32, at: usize) -> Result<bool, Error> {
    // SAFETY: the function's contract; the reference ends before the host function runs.
    let (instance, layout, sets, t) = unsafe {
        let s = &*s;
        let t = s.host_trampoline;
        (s.stack.instance, s.layout, s.handoff.sets, t)
    };
    let t = t.expect("a host function runs from a handler only under a typed driver");
    // SAFETY: the trampoline was installed by the driver that is running this store and
    // points to the typed store that owns `s`; no reference to the store is held while
    // the host function runs.
    unsafe { (t.call)(t.store, f, at, Some(instance)) }?;
    // SAFETY: as above; the host function is done with the store, read afresh here.
    let s = unsafe { &mut *s };
    let moved = s.handoff.sets != sets || s.layout != layout;
    s.stack.instance = instance;
    Ok(moved)
}

#[cold]
#[inline(never)]
pub(super) fn grow_values(s: &mut StoreInner, need: usize) -> bool {
    s.stack.reserve(need)
}

/// Makes room for one more frame; `false` at the call depth limit. Sets the limit of the
/// calls' fast path again (see `Stack::frame_limit`).
#[cold]
#[inline(never)]
pub(super) fn grow_frames(stack: &mut Stack) -> bool {
    let frames = &mut stack.frames;
    if frames.len() >= stack.max_frames {
        return false;
    }
    if frames.len() == frames.capacity() {
        frames.reserve(frames.len().max(64));
    }
    stack.frame_limit = stack.max_frames.min(frames.capacity());
    true
}

/// Sets up a new frame at `sp`: zeroes the declared locals and copies in the constant pool.
/// `head_len` is `c.head_len` as the caller read it: a caller that has tested it already
/// (a call's hot form hands large frames to its full form) lets the compiler drop this
/// test and the call out of line, and with it the registers the call would need saved.
///
/// # Safety
/// `sp .. sp + c.frame_size` must be inside the value stack; `head_len` is `c.head_len`.
#[inline(always)]
pub(crate) unsafe fn init_frame(sp: *mut u64, c: &CompiledFunc, head_len: u8) {
    // SAFETY: as the function's contract.
    unsafe {
        if head_len == LARGE_FRAME {
            init_large_frame(sp, c);
        } else {
            init_small_frame(sp, c);
        }
    }
}

/// [`init_frame`] for a frame with a head (`CompiledFunc::head_len`): a copy of a fixed
/// size, without a loop.
///
/// # Safety
/// As [`init_frame`]; `c`'s frame is not a `LARGE_FRAME`.
#[inline(always)]
unsafe fn init_small_frame(sp: *mut u64, c: &CompiledFunc) {
    // SAFETY: a frame has `head_len` slots after its parameters (see
    // `CompiledFunc::frame_size`), inside the frame the caller guarantees; the image is
    // not in the stack.
    unsafe {
        let to = sp.add(c.num_params as usize);
        // (The field, read again, not the caller's `head_len`: a call's hot path then
        // keeps one register fewer live, and saves none.)
        match c.head_len {
            0 => {}
            4 => ptr::copy_nonoverlapping(c.head.as_ptr(), to, 4),
            8 => ptr::copy_nonoverlapping(c.head.as_ptr(), to, 8),
            _ => ptr::copy_nonoverlapping(c.head.as_ptr(), to, HEAD),
        }
    }
}

/// [`init_frame`] for any frame, out of line.
///
/// # Safety
/// As [`init_frame`].
#[cold]
#[inline(never)]
unsafe fn init_large_frame(sp: *mut u64, c: &CompiledFunc) {
    // SAFETY: locals and constants lie inside the frame, which the caller guarantees; the
    // pool is not in the stack.
    unsafe {
        let locals = sp.add(c.num_params as usize);
        let n = c.num_locals as usize;
        ptr::write_bytes(locals, 0, n);
        ptr::copy_nonoverlapping(c.consts.as_ptr(), locals.add(n), c.consts.len());
    }
}

/// Moves `n` results from slot `src` down to slot 0 of the frame at `sp`.
///
/// # Safety
/// Both ranges must be inside the frame.
#[cold]
#[inline(never)]
pub(super) unsafe fn move_results(sp: *mut u64, src: usize, n: usize) {
    // SAFETY: the caller guarantees both ranges are in the frame; `ptr::copy` allows overlap.
    unsafe { ptr::copy(sp.add(src), sp, n) }
}

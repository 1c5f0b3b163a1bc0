//! Runtime helpers that compiled traces call: bulk memory and table operations, host
//! calls, `memory.grow`, and the operators the backend does not emit inline.
//!
//! Every helper has one native signature, `(ctx, a, b, c, imm) -> u64` with the System V
//! ABI, so the backend emits every call the same way. Helpers that can trap report it in
//! their result (0 for success, or a sentinel) and the trace guards on it; the exit
//! re-executes the instruction in the interpreter, which raises the trap (traps have one
//! implementation). Helpers that may move memory, the value stack, the globals or a
//! table refresh the trace context before returning.

use super::ctx::{FAILED, RETURNED, TraceCtx};
use super::ir::{Op, Ty};
use super::opt::fold;
use crate::error::Error;
use crate::interp::bulk as rt;
use crate::runtime::store::{FuncEntity, HostTrampoline, StoreInner};
use crate::runtime::trap::TrapCode;

/// The native signature of every helper.
pub(crate) type HelperFn = extern "C" fn(*mut TraceCtx, u64, u64, u64, u64) -> u64;

macro_rules! helpers {
    ($( $name:ident => $f:ident, )*) => {
        /// Runtime helpers, by number (`aux & 0xffff` of an IR `Call`).
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u16)]
        pub(crate) enum Helper { $( $name, )* }

        const TABLE: &[(&str, HelperFn)] = &[ $( (stringify!($name), $f), )* ];
    };
}

helpers! {
    Eval => eval,
    MemoryGrow => memory_grow,
    MemoryFill => memory_fill,
    MemoryCopy => memory_copy,
    MemoryInit => memory_init,
    DataDrop => data_drop,
    TableGet => table_get,
    TableSet => table_set,
    TableSize => table_size,
    TableGrow => table_grow,
    TableFill => table_fill,
    TableCopy => table_copy,
    TableInit => table_init,
    ElemDrop => elem_drop,
    HostCall => host_call,
    CallAny => call_any,
    FillSlot => fill_slot,
    CountIcall => count_icall,
    NestedExit => nested_exit,
}

/// The helper's name (for dumps), from an IR `Call`'s `aux`.
pub(crate) fn name(aux: u64) -> &'static str {
    TABLE.get((aux & 0xffff) as usize).map_or("?", |h| h.0)
}

/// The helper's address, from an IR `Call`'s `aux`.
pub(crate) fn address(aux: u64) -> HelperFn {
    TABLE[(aux & 0xffff) as usize].1
}

/// The immediate that makes [`Helper::Eval`] compute `op` (result `ty`, first operand of
/// type `a_ty`, instruction `aux`).
pub(crate) fn eval_imm(op: Op, ty: Ty, a_ty: Ty, aux: u64) -> u64 {
    debug_assert!(aux < 256);
    op as u64 | (ty as u64) << 8 | (a_ty as u64) << 16 | aux << 24
}

/// Evaluates a pure operator the backend has no inline code for.
extern "C" fn eval(_ctx: *mut TraceCtx, a: u64, b: u64, c: u64, imm: u64) -> u64 {
    let op = Op::from_u8(imm as u8);
    let ty = Ty::from_u8((imm >> 8) as u8);
    let a_ty = Ty::from_u8((imm >> 16) as u8);
    // Guards precede every operation that could trap, so evaluation succeeds here.
    fold::eval(op, ty, a_ty, imm >> 24, [a, b, c]).unwrap_or(0)
}

/// The store and context behind `ctx`.
///
/// # Safety
/// `ctx` must be the live context of the trace that is calling, whose `store` points to
/// the store running it; nothing else uses the store during the helper.
unsafe fn parts<'a>(ctx: *mut TraceCtx) -> (&'a mut TraceCtx, &'a mut StoreInner) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        let c = &mut *ctx;
        let s = &mut *c.store;
        (c, s)
    }
}

fn status(r: Result<(), crate::runtime::trap::TrapCode>) -> u64 {
    u64::from(r.is_err())
}

extern "C" fn memory_grow(ctx: *mut TraceCtx, delta: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: called only from trace code with its own context.
    let (c, s) = unsafe { parts(ctx) };
    // Traces grow memory only without a resource limiter (recording stops at growth
    // otherwise), which is what could fail here: -1 then, as a refused growth.
    let old = rt::memory_grow(s, delta as u32).unwrap_or(u64::from(u32::MAX));
    c.refresh(s);
    old
}

extern "C" fn memory_fill(ctx: *mut TraceCtx, d: u64, v: u64, n: u64, _: u64) -> u64 {
    // SAFETY: as above.
    let (c, _) = unsafe { parts(ctx) };
    status(rt::memory_fill(c.mem, c.mem_len as usize, d, v, n))
}

extern "C" fn memory_copy(ctx: *mut TraceCtx, d: u64, from: u64, n: u64, _: u64) -> u64 {
    // SAFETY: as above.
    let (c, _) = unsafe { parts(ctx) };
    status(rt::memory_copy(c.mem, c.mem_len as usize, d, from, n))
}

extern "C" fn memory_init(ctx: *mut TraceCtx, d: u64, from: u64, n: u64, seg: u64) -> u64 {
    // SAFETY: as above.
    let (c, s) = unsafe { parts(ctx) };
    status(rt::memory_init(
        s,
        c.mem,
        c.mem_len as usize,
        seg as u32,
        d,
        from,
        n,
    ))
}

extern "C" fn data_drop(ctx: *mut TraceCtx, _: u64, _: u64, _: u64, seg: u64) -> u64 {
    // SAFETY: as above.
    let (_, s) = unsafe { parts(ctx) };
    rt::data_drop(s, seg as u32);
    0
}

extern "C" fn table_get(ctx: *mut TraceCtx, i: u64, _: u64, _: u64, table: u64) -> u64 {
    // SAFETY: as above.
    let (_, s) = unsafe { parts(ctx) };
    let t = rt::table_of(s, table as u32);
    s.tables[t]
        .elems
        .get(i as u32 as usize)
        .copied()
        .unwrap_or(u64::MAX)
}

extern "C" fn table_set(ctx: *mut TraceCtx, i: u64, v: u64, _: u64, table: u64) -> u64 {
    // SAFETY: as above.
    let (_, s) = unsafe { parts(ctx) };
    let t = rt::table_of(s, table as u32);
    match s.tables[t].elems.get_mut(i as u32 as usize) {
        Some(e) => {
            *e = v;
            0
        }
        None => 1,
    }
}

extern "C" fn table_size(ctx: *mut TraceCtx, _: u64, _: u64, _: u64, table: u64) -> u64 {
    // SAFETY: as above.
    let (_, s) = unsafe { parts(ctx) };
    let t = rt::table_of(s, table as u32);
    s.tables[t].elems.len() as u64
}

extern "C" fn table_grow(ctx: *mut TraceCtx, init: u64, n: u64, _: u64, table: u64) -> u64 {
    // SAFETY: as above.
    let (c, s) = unsafe { parts(ctx) };
    // As for `memory_grow`: no limiter when traces grow tables.
    let r = rt::table_grow(s, table as u32, init, n).unwrap_or(u64::from(u32::MAX));
    // Growing may move the elements, which traces read inline (table 0).
    c.refresh(s);
    r
}

extern "C" fn table_fill(ctx: *mut TraceCtx, i: u64, v: u64, n: u64, table: u64) -> u64 {
    // SAFETY: as above.
    let (_, s) = unsafe { parts(ctx) };
    status(rt::table_fill(s, table as u32, i, v, n))
}

extern "C" fn table_copy(ctx: *mut TraceCtx, d: u64, from: u64, n: u64, imm: u64) -> u64 {
    // SAFETY: as above.
    let (_, s) = unsafe { parts(ctx) };
    let (dst, src) = ((imm & 0xffff) as u32, (imm >> 16) as u32);
    status(rt::table_copy(s, dst, src, d, from, n))
}

extern "C" fn table_init(ctx: *mut TraceCtx, d: u64, from: u64, n: u64, imm: u64) -> u64 {
    // SAFETY: as above.
    let (_, s) = unsafe { parts(ctx) };
    let (table, seg) = ((imm & 0xffff) as u32, (imm >> 16) as u32);
    status(rt::table_init(s, table, seg, d, from, n))
}

extern "C" fn elem_drop(ctx: *mut TraceCtx, _: u64, _: u64, _: u64, seg: u64) -> u64 {
    // SAFETY: as above.
    let (_, s) = unsafe { parts(ctx) };
    rt::elem_drop(s, seg as u32);
    0
}

/// Calls host function `f` (store index) on the arguments the trace stored at slot `at`
/// (from the root frame's base); results replace them. Returns 1 on error, which is
/// kept for the exit to report. This is the untyped path, through the driver's
/// trampoline: traces compiled while a driver runs call its typed `trace_call` instead.
extern "C" fn host_call(ctx: *mut TraceCtx, at: u64, _: u64, _: u64, f: u64) -> u64 {
    host_call_with(ctx, at, |tramp, at, instance| {
        // SAFETY: the trampoline was installed by the driver that is running this store
        // and points to the typed store that owns the context's store, which the trace
        // does not touch until the call returns.
        unsafe { (tramp.call)(tramp.store, f as u32, at, Some(instance)) }
    })
}

/// The operand of a host call from a trace: the arguments' slot from the root frame
/// (low 32 bits), then the function's parameter and result counts (16 bits each).
pub(crate) fn host_operand(at: u32, params: usize, results: usize) -> Option<u64> {
    let (p, r) = (u16::try_from(params).ok()?, u16::try_from(results).ok()?);
    Some(u64::from(at) | u64::from(p) << 32 | u64::from(r) << 48)
}

/// The parameter and result counts in a [`host_operand`].
pub(crate) fn host_counts(a: u64) -> (usize, usize) {
    (usize::from((a >> 32) as u16), usize::from((a >> 48) as u16))
}

/// The work around a host call from a trace, whichever path makes it: `call` gets the
/// running driver's trampoline, the arguments' absolute slot (`at` is the low 32 bits
/// of the helper's operand, from the root frame's base) and the caller's instance. The
/// value stack above the running traces' slots is free for the callee (a host function
/// may call back into WebAssembly), and the context is refreshed afterwards. Returns 1
/// on error, which is kept for the exit to report. A panic in the host function cannot
/// unwind through the trace's machine code: it is caught here, kept the same way, and
/// resumed once the trace has exited.
fn host_call_with(
    ctx: *mut TraceCtx,
    at: u64,
    call: impl FnOnce(HostTrampoline, usize, u32) -> Result<(), Error>,
) -> u64 {
    // SAFETY: called only from trace code with its own context.
    let (c, s) = unsafe { parts(ctx) };
    let Some(tramp) = s.host_trampoline else {
        return 1;
    };
    let instance = s.stack.instance;
    let base = c.root_base();
    let at = base + at as u32 as usize;
    // A call back into WebAssembly starts above every slot the running traces use.
    let in_use = s.stack.in_use;
    s.stack.in_use = in_use.max(base + c.extent);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(tramp, at, instance)));
    // SAFETY: as above; the store may have moved its stacks and memory.
    let (c, s) = unsafe { parts(ctx) };
    s.stack.in_use = in_use;
    c.refresh(s);
    let Some(j) = s.jit.as_mut() else {
        return u64::from(!matches!(r, Ok(Ok(()))));
    };
    match r {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            j.pending_error = Some(e);
            1
        }
        Err(payload) => {
            j.pending_panic = Some(payload);
            1
        }
    }
}

/// A host call from trace code (`Helper::HostCall`; see `HostTrampoline::trace_call`):
/// `call_host` on host function `f` (store index), typed for `Store<T>`, so the trace
/// reaches the function with no type-erased hop. `a` is the operand the recorder made
/// (see [`host_operand`]): the arguments' slot from the root frame, and the function's
/// parameter and result counts. Returns 0, or 1 with the error kept for the trace's
/// exit.
pub(crate) extern "C" fn trace_host_call<T>(
    ctx: *mut TraceCtx,
    a: u64,
    _: u64,
    _: u64,
    f: u64,
) -> u64 {
    let counts = host_counts(a);
    host_call_with(ctx, a, |tramp, at, instance| {
        // SAFETY: the trampoline is the running driver's, whose `store` is the live
        // `Store<T>` owning the trace's store; the trace does not touch it until the
        // call returns.
        let store = unsafe { &mut *(tramp.store as *mut crate::Store<T>) };
        crate::runtime::func::call_host(store, f as u32, at, Some(instance), Some(counts))
    })
}

/// A megamorphic call's slow path (`CallAny`), with the context already at the callee's
/// frame and the arguments there: the function at table entry `e` runs in the
/// interpreter (a host function through the driver), after the checks `call_indirect`
/// makes (null and out-of-bounds entries, type id `ty`). Returns `RETURNED`, or `FAILED`
/// with the error kept for the exit to report: a trap's frames then end at the call,
/// and the exit's frames complete them.
extern "C" fn call_any(ctx: *mut TraceCtx, e: u64, ty: u64, _: u64, _: u64) -> u64 {
    // SAFETY: as above.
    let (c, s) = unsafe { parts(ctx) };
    if let Some(j) = s.jit.as_mut() {
        j.stats.slow_calls += 1;
    }
    let f = match e {
        u64::MAX => return failed(s, TrapCode::UndefinedElement.into(), true),
        0 => return failed(s, TrapCode::UninitializedElement.into(), true),
        e => (e - 1) as u32,
    };
    if u64::from(s.funcs[f as usize].ty().0) != ty {
        return failed(s, TrapCode::IndirectCallTypeMismatch.into(), true);
    }
    let Some(tramp) = s.host_trampoline else {
        let e = Error::msg("a trace made a call without a driver to run it");
        return failed(s, e, false);
    };
    let wasm = matches!(s.funcs[f as usize], FuncEntity::Wasm { .. });
    let (at, instance, in_use) = (c.root_base(), s.stack.instance, s.stack.in_use);
    // A call back into WebAssembly starts above every slot the running traces use.
    s.stack.in_use = in_use.max(at + c.extent);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if wasm {
            run_wasm(s, tramp, f, at)
        } else {
            // SAFETY: as for `host_call`.
            unsafe { (tramp.call)(tramp.store, f, at, Some(instance)) }
        }
    }));
    // SAFETY: as above; the store may have moved its stacks and memory.
    let (c, s) = unsafe { parts(ctx) };
    s.stack.in_use = in_use;
    s.stack.instance = instance;
    c.refresh(s);
    match r {
        Ok(Ok(())) => u64::from(RETURNED),
        Ok(Err(e)) => {
            let trapped = wasm && e.as_trap().is_some();
            failed(s, e, trapped)
        }
        Err(payload) => {
            if let Some(j) = s.jit.as_mut() {
                j.pending_panic = Some(payload);
            }
            u64::from(FAILED)
        }
    }
}

/// A megamorphic call through table 0 missed the slot cache (see `entries`): caches
/// slot `i`. Returns 1 (the call tries the cache again, and hits), or 0 when `i` is out
/// of the table's bounds (the call takes the slow path, which traps).
extern "C" fn fill_slot(ctx: *mut TraceCtx, i: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: as above.
    let (c, s) = unsafe { parts(ctx) };
    let Some(&t) = s.instances[s.stack.instance as usize].tables.first() else {
        return 0;
    };
    let elems = &s.tables[t as usize].elems;
    let (len, k) = (elems.len(), i as u32 as usize);
    let (Some(&e), Some(j)) = (elems.get(k), s.jit.as_mut()) else {
        return 0;
    };
    if j.entries.fill_slot(t as usize, len, k, e) {
        // The cache's arrays moved: the context reads them again.
        s.layout += 1;
        c.refresh(s);
    }
    1
}

/// Runs WebAssembly function `f` (store index) with its frame at slot `at` in the
/// interpreter, through the driver (which runs the host calls it makes). The call counts
/// towards the function's trace (`jit::entry_from_trace`).
fn run_wasm(s: &mut StoreInner, tramp: HostTrampoline, f: u32, at: usize) -> Result<(), Error> {
    let stop = s.stack.frames.len();
    crate::runtime::func::push_wasm_frame(s, f, at)?;
    super::entry_from_trace(s, stop);
    // SAFETY: the trampoline was installed by the driver running this store and points
    // to the typed store that owns `s`, which is not used again until the call returns.
    unsafe { (tramp.run)(tramp.store, stop) }
}

/// Keeps `e` for the exit to report (`frames_at_call`: a trap whose frames end at the
/// call) and returns `FAILED`.
fn failed(s: &mut StoreInner, e: Error, frames_at_call: bool) -> u64 {
    if let Some(j) = s.jit.as_mut() {
        j.pending_error = Some(e);
        j.pending_at_call = frames_at_call;
    }
    u64::from(FAILED)
}

/// Profiling: counts a call through a megamorphic `call_indirect` site (whose counters
/// are at `counters`) to table entry `e` (as `TableGet` reads it: `u64::MAX` out of
/// bounds, which calls nothing, like null).
extern "C" fn count_icall(_: *mut TraceCtx, e: u64, counters: u64, _: u64, _: u64) -> u64 {
    // SAFETY: the recorder took the address from a site's counters, which never move
    // and live as long as the store's profile, which outlives its traces.
    let c = unsafe { &*(counters as usize as *const super::profile::SiteCounters) };
    if e != u64::MAX {
        c.count(e);
    }
    0
}

/// The exit a trace called natively has just taken (see `exit::nested`).
extern "C" fn nested_exit(ctx: *mut TraceCtx, _: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: as above.
    let (c, s) = unsafe { parts(ctx) };
    super::exit::nested(s, c);
    0
}

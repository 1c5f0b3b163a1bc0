//! Functions: the `Func` handle, host functions (`Func::wrap`, `Func::new`, `Caller`), and
//! the generic driver that runs a call to completion.
//!
//! The driver ([`call_raw`]) puts the arguments on the store's value stack, pushes a frame
//! and runs the interpreter. The interpreter and traces call host functions through the
//! driver's trampoline, which runs them with a [`Caller`] over the typed store; a host call
//! that the interpreter hands back (while recording or profiling) the driver runs itself
//! before it resumes. On a trap it collects the WebAssembly backtrace and unwinds the
//! frames it pushed.

use crate::error::Error;
use crate::interp::{self, Outcome};
use crate::runtime::extern_::Extern;
use crate::runtime::limits::Growth;
use crate::runtime::store::{
    AsContext, AsContextMut, Frame, FuncEntity, HostTrampoline, Store, StoreContext,
    StoreContextMut, StoreInner,
};
use crate::runtime::trap::{FrameInfo, Trap, TrapCode};
use crate::runtime::typed::{TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy};
use crate::runtime::types::FuncType;
use crate::runtime::values::Val;
use std::sync::Arc;

/// The raw form of every host function: parameters in, results out, in one slot buffer
/// at least as long as either.
#[doc(hidden)]
/// The store and the calling instance (if called from WebAssembly) are passed separately so
/// the wrapper can lend the store to a [`Caller`] and use it again afterwards.
pub type RawHostFn<T> =
    dyn Fn(&mut Store<T>, Option<u32>, &mut [u64]) -> Result<(), Error> + Send + Sync + 'static;

/// A host function before it is placed in a store (an implementation detail of
/// [`IntoFunc`]).
#[doc(hidden)]
pub struct HostFunc<T> {
    pub(crate) ty: FuncType,
    pub(crate) func: Box<RawHostFn<T>>,
}

/// A WebAssembly or host function in a store.
///
/// Untyped calls take and return [`Val`]s:
///
/// ```
/// use spur::{Engine, Instance, Module, Store, Val};
///
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"
///     (module (func (export "divmod") (param i64 i64) (result i64 i64)
///       (i64.div_s (local.get 0) (local.get 1))
///       (i64.rem_s (local.get 0) (local.get 1))))
/// "#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let divmod = instance.get_func(&mut store, "divmod").unwrap();
/// let mut results = [Val::I64(0), Val::I64(0)];
/// divmod.call(&mut store, &[Val::I64(17), Val::I64(5)], &mut results)?;
/// assert_eq!((results[0].unwrap_i64(), results[1].unwrap_i64()), (3, 2));
/// // The same function, typed: tuples for several parameters and results.
/// let typed = divmod.typed::<(i64, i64), (i64, i64)>(&store)?;
/// assert_eq!(typed.call(&mut store, (-17, 5))?, (-3, -2));
/// # Ok::<(), spur::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Func {
    pub(crate) store_id: u64,
    pub(crate) idx: u32,
}

impl Func {
    /// Creates a host function from a closure with typed arguments and results, optionally
    /// taking a leading [`Caller`].
    pub fn wrap<T, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let store = store.as_context_mut().store;
        let idx = store.add_host_func(Arc::new(func.into_host_func()));
        Func {
            store_id: store.inner.id,
            idx,
        }
    }

    /// Creates a host function of type `ty` from a closure over [`Val`]s.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Func {
        let store = store.as_context_mut().store;
        let idx = store.add_host_func(Arc::new(host_func_from_vals(ty, func)));
        Func {
            store_id: store.inner.id,
            idx,
        }
    }

    /// The function's type.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let ctx = store.as_context();
        let inner = &ctx.store.inner;
        inner.check(self.store_id);
        inner.engine.func_type(inner.funcs[self.idx as usize].ty())
    }

    /// Calls the function with `params`, writing its results into `results`.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<(), Error> {
        let store = store.as_context_mut().store;
        store.inner.check(self.store_id);
        let ty = self.ty(&*store);
        if params.len() != ty.params().len() || results.len() != ty.results().len() {
            return Err(Error::usage(format!(
                "function of type {ty} called with {} arguments and {} result slots",
                params.len(),
                results.len()
            )));
        }
        let mut args = Vec::with_capacity(params.len());
        for (i, (v, &want)) in params.iter().zip(ty.params()).enumerate() {
            if v.ty() != want {
                return Err(Error::usage(format!(
                    "argument {i} has type {}, expected {want}",
                    v.ty()
                )));
            }
            args.push(v.to_slot(&store.inner)?);
        }
        let mut out = vec![0u64; ty.results().len()];
        call_raw(store, self.idx, &args, &mut out)?;
        let id = store.inner.id;
        for ((r, &bits), &t) in results.iter_mut().zip(&out).zip(ty.results()) {
            *r = Val::from_slot(bits, t, id);
        }
        Ok(())
    }

    /// A typed view of the function; fails if the types do not match.
    pub fn typed<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<Params, Results>, Error> {
        let ty = self.ty(store);
        if ty.params() != Params::types().as_slice() || ty.results() != Results::types().as_slice()
        {
            return Err(Error::usage(format!(
                "type mismatch: function has type {ty}, requested {}",
                FuncType::new(Params::types(), Results::types())
            )));
        }
        Ok(TypedFunc::new(*self))
    }
}

/// Access to the store from inside a host function.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    /// The instance of the calling WebAssembly function, if called from WebAssembly.
    pub(crate) instance: Option<u32>,
}

impl<T> Caller<'_, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        self.store.data()
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }

    /// The engine of the store.
    pub fn engine(&self) -> &crate::Engine {
        self.store.engine()
    }

    /// The store's fuel left (see [`Store::get_fuel`]).
    pub fn get_fuel(&self) -> Result<u64, Error> {
        self.store.get_fuel()
    }

    /// Sets the store's fuel (see [`Store::set_fuel`]).
    pub fn set_fuel(&mut self, fuel: u64) -> Result<(), Error> {
        self.store.set_fuel(fuel)
    }

    /// An export of the calling instance (e.g. its `memory`), if called from WebAssembly.
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        let idx = self.instance?;
        crate::runtime::instance::Instance {
            store_id: self.store.inner.id,
            idx,
        }
        .get_export(&mut *self.store, name)
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext { store: self.store }
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut { store: self.store }
    }
}

impl<'a, T> From<&'a Store<T>> for StoreContext<'a, T> {
    fn from(store: &'a Store<T>) -> Self {
        StoreContext { store }
    }
}
impl<'a, T> From<&'a mut Store<T>> for StoreContext<'a, T> {
    fn from(store: &'a mut Store<T>) -> Self {
        StoreContext { store }
    }
}
impl<'a, T> From<&'a Caller<'_, T>> for StoreContext<'a, T> {
    fn from(caller: &'a Caller<'_, T>) -> Self {
        StoreContext {
            store: caller.store,
        }
    }
}
impl<'a, T> From<&'a mut Caller<'_, T>> for StoreContext<'a, T> {
    fn from(caller: &'a mut Caller<'_, T>) -> Self {
        StoreContext {
            store: caller.store,
        }
    }
}
impl<'a, T> From<&'a StoreContextMut<'_, T>> for StoreContext<'a, T> {
    fn from(ctx: &'a StoreContextMut<'_, T>) -> Self {
        StoreContext { store: ctx.store }
    }
}
impl<'a, T> From<&'a mut Store<T>> for StoreContextMut<'a, T> {
    fn from(store: &'a mut Store<T>) -> Self {
        StoreContextMut { store }
    }
}
impl<'a, T> From<&'a mut Caller<'_, T>> for StoreContextMut<'a, T> {
    fn from(caller: &'a mut Caller<'_, T>) -> Self {
        StoreContextMut {
            store: caller.store,
        }
    }
}
impl<'a, T> From<&'a mut StoreContextMut<'_, T>> for StoreContextMut<'a, T> {
    fn from(ctx: &'a mut StoreContextMut<'_, T>) -> Self {
        StoreContextMut { store: ctx.store }
    }
}

pub(crate) fn host_func_from_vals<T: 'static>(
    ty: FuncType,
    func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
) -> HostFunc<T> {
    let sig = ty.clone();
    HostFunc {
        ty,
        func: Box::new(
            move |store: &mut Store<T>, instance: Option<u32>, slots: &mut [u64]| {
                let id = store.inner.id;
                let params: Vec<Val> = sig
                    .params()
                    .iter()
                    .zip(slots.iter())
                    .map(|(&t, &bits)| Val::from_slot(bits, t, id))
                    .collect();
                let mut results: Vec<Val> = sig
                    .results()
                    .iter()
                    .map(|&t| Val::default_for_ty(t))
                    .collect();
                func(
                    Caller {
                        store: &mut *store,
                        instance,
                    },
                    &params,
                    &mut results,
                )?;
                let inner = &store.inner;
                for (i, (v, &t)) in results.iter().zip(sig.results()).enumerate() {
                    if v.ty() != t {
                        return Err(Error::usage(format!(
                            "host function returned {} for result {i}, expected {t}",
                            v.ty()
                        )));
                    }
                    slots[i] = v.to_slot(inner)?;
                }
                Ok(())
            },
        ),
    }
}

/// Closures that can become host functions: `Fn(A1, .., An) -> R` and
/// `Fn(Caller<'_, T>, A1, .., An) -> R`, where the arguments are [`WasmTy`] and `R` is
/// [`WasmRet`] (a value, a tuple, `()`, or a `Result` of those).
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_host_func(self) -> HostFunc<T>;
}

macro_rules! impl_into_func {
    ($($arg:ident)*) => {
        #[allow(non_snake_case, reason = "type parameters double as bindings")]
        impl<T, F, R, $($arg,)*> IntoFunc<T, ($($arg,)*), R> for F
        where
            F: Fn($($arg),*) -> R + Send + Sync + 'static,
            R: WasmRet,
            $($arg: WasmTy,)*
        {
            fn into_host_func(self) -> HostFunc<T> {
                HostFunc {
                    ty: FuncType::new([$($arg::valtype()),*], R::types()),
                    func: Box::new(move |_store: &mut Store<T>, _instance: Option<u32>, slots: &mut [u64]| {
                        let mut _i = 0;
                        $( let $arg = $arg::from_slot(slots[_i], _store.inner.id); _i += 1; )*
                        self($($arg),*).write(slots)
                    }),
                }
            }
        }

        #[allow(non_snake_case, reason = "type parameters double as bindings")]
        impl<T, F, R, $($arg,)*> IntoFunc<T, (Caller<'_, T>, $($arg,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($arg),*) -> R + Send + Sync + 'static,
            R: WasmRet,
            $($arg: WasmTy,)*
        {
            fn into_host_func(self) -> HostFunc<T> {
                HostFunc {
                    ty: FuncType::new([$($arg::valtype()),*], R::types()),
                    func: Box::new(move |store: &mut Store<T>, instance: Option<u32>, slots: &mut [u64]| {
                        let mut _i = 0;
                        $( let $arg = $arg::from_slot(slots[_i], store.inner.id); _i += 1; )*
                        self(Caller { store, instance }, $($arg),*).write(slots)
                    }),
                }
            }
        }
    };
}

impl_into_func!();
impl_into_func!(A1);
impl_into_func!(A1 A2);
impl_into_func!(A1 A2 A3);
impl_into_func!(A1 A2 A3 A4);
impl_into_func!(A1 A2 A3 A4 A5);
impl_into_func!(A1 A2 A3 A4 A5 A6);
impl_into_func!(A1 A2 A3 A4 A5 A6 A7);
impl_into_func!(A1 A2 A3 A4 A5 A6 A7 A8);
impl_into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9);
impl_into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10);
impl_into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11);
impl_into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12);

/// Calls store function `f`: `args` in, `results` out (lengths match its type).
pub(crate) fn call_raw<T>(
    store: &mut Store<T>,
    f: u32,
    args: &[u64],
    results: &mut [u64],
) -> Result<(), Error> {
    let s = &mut store.inner;
    let base = s.stack.top();
    if !s.stack.reserve(base + args.len().max(results.len())) {
        return Err(TrapCode::StackOverflow.into());
    }
    copy_slots(&mut s.stack.values[base..base + args.len()], args);
    match s.funcs[f as usize] {
        FuncEntity::Host { .. } => call_host(store, f, base, None, None)?,
        FuncEntity::Wasm { .. } => {
            let stop = s.stack.frames.len();
            push_wasm_frame(s, f, base)?;
            // The interpreter and traces call host functions through this (restored when
            // the call ends, for host functions that call back into WebAssembly).
            let tramp = HostTrampoline::new(store as *mut Store<T>);
            let outer = store.inner.host_trampoline.replace(tramp);
            // A loop-free function the host calls often gets a function trace.
            let result = (store.inner.hooks.called_from_host)(&mut store.inner, stop)
                .map_err(|e| abandon(&mut store.inner, stop, e))
                .and_then(|acc| drive(store, stop, acc));
            store.inner.host_trampoline = outer;
            result?;
        }
    }
    copy_slots(
        results,
        &store.inner.stack.values[base..base + results.len()],
    );
    Ok(())
}

/// Pushes the frame of WebAssembly function `f` (store index) at value-stack slot `base`,
/// where its arguments are: its locals zeroed, its `ip` at its start.
pub(crate) fn push_wasm_frame(s: &mut StoreInner, f: u32, base: usize) -> Result<(), Error> {
    let FuncEntity::Wasm { instance, .. } = s.funcs[f as usize] else {
        unreachable!("push_wasm_frame on a host function");
    };
    let callee = s.translation(f)?;
    // SAFETY: the translation is owned by the module, which the instance keeps alive
    // in this store for as long as the store exists.
    let callee = unsafe { &*callee.func };
    if s.stack.frames.len() >= s.stack.max_frames
        || !s.stack.reserve(base + callee.frame_size as usize)
    {
        return Err(TrapCode::StackOverflow.into());
    }
    // SAFETY: the value stack was just reserved to hold the whole frame at `base`.
    unsafe {
        interp::init_frame(
            s.stack.values.as_mut_ptr().add(base),
            callee,
            callee.head_len,
        )
    };
    s.stack.frames.push(Frame {
        func: callee,
        ip: callee.code.as_ptr(),
        base,
        instance,
    });
    Ok(())
}

/// Runs the interpreter on the frame just pushed above `stop` until it returns, running
/// the host calls it hands back; `acc` is the accumulator it starts with (see
/// `interp::run`).
fn drive<T>(store: &mut Store<T>, stop: usize, mut acc: u64) -> Result<(), Error> {
    if store.inner.stack.frames.len() == stop {
        return Ok(()); // A trace entered at the call returned from the function.
    }
    loop {
        match interp::run(&mut store.inner, stop, acc) {
            Outcome::Done => break,
            Outcome::HostCall { func, args } => {
                let instance = store.inner.stack.frames.last().map(|f| f.instance);
                if let Err(e) = call_host(store, func, args, instance, None) {
                    return Err(abandon(&mut store.inner, stop, e));
                }
                // The run goes on after the call, which may read a single result from
                // the accumulator (see `interp::run`).
                acc = store.inner.stack.values[args];
            }
            Outcome::Trap(code) => {
                let frames = backtrace(&store.inner, stop, false);
                return Err(abandon(
                    &mut store.inner,
                    stop,
                    Trap::new(code, frames).into(),
                ));
            }
            Outcome::Error(e) => return Err(abandon(&mut store.inner, stop, e)),
        }
    }
    Ok(())
}

/// Unwinds the frames above `stop` after error `e` (dropping a recording that ran in
/// them), and returns `e`.
fn abandon(s: &mut StoreInner, stop: usize, e: Error) -> Error {
    s.stack.frames.truncate(stop);
    (s.hooks.unwound)(s);
    e
}

/// [`call_host`] behind a type-erased store pointer (see `HostTrampoline`).
///
/// # Safety
/// `store` must point to a live `Store<T>` that nothing else is using for the duration.
pub(crate) unsafe fn host_trampoline<T>(
    store: *mut (),
    f: u32,
    at: usize,
    instance: Option<u32>,
) -> Result<(), Error> {
    // SAFETY: guaranteed by the caller.
    let store = unsafe { &mut *(store as *mut Store<T>) };
    call_host(store, f, at, instance, None)
}

/// [`drive`] behind a type-erased store pointer (see `HostTrampoline`).
///
/// # Safety
/// As for [`host_trampoline`].
pub(crate) unsafe fn run_trampoline<T>(store: *mut (), stop: usize) -> Result<(), Error> {
    // SAFETY: guaranteed by the caller.
    let store = unsafe { &mut *(store as *mut Store<T>) };
    drive(store, stop, 0)
}

/// Asks the typed store's resource limiter about `growth` (see `HostTrampoline`).
///
/// # Safety
/// As for [`host_trampoline`]: `store` is the running `Store<T>`, not otherwise in use.
pub(crate) unsafe fn limit_trampoline<T>(store: *mut (), growth: Growth) -> Result<bool, Error> {
    // SAFETY: guaranteed by the caller.
    let store = unsafe { &mut *(store as *mut Store<T>) };
    store.ask_limiter(growth)
}

/// Runs host function `f` (store index) on the arguments at value-stack index `at`, and
/// writes its results there. `counts`: its parameter and result counts when the caller
/// already knows them (a trace, from its recording), which spares reading its type.
pub(crate) fn call_host<T>(
    store: &mut Store<T>,
    f: u32,
    at: usize,
    instance: Option<u32>,
    counts: Option<(usize, usize)>,
) -> Result<(), Error> {
    let FuncEntity::Host { host, .. } = store.inner.funcs[f as usize] else {
        unreachable!("call_host on a WebAssembly function");
    };
    let hf: *const HostFunc<T> = Arc::as_ptr(&store.host_funcs[host as usize]);
    // SAFETY: `host_funcs` is only ever appended to, never shrunk or overwritten, and an
    // `Arc`'s contents never move: the function lives, unchanged, as long as the store,
    // which outlives this call, and nothing takes it mutably (it is only read here).
    // Borrowing it through the pointer spares an `Arc` clone (two atomic operations) on
    // every host call.
    let hf = unsafe { &*hf };
    let (np, nr) = counts.unwrap_or_else(|| (hf.ty.params().len(), hf.ty.results().len()));
    debug_assert_eq!((np, nr), (hf.ty.params().len(), hf.ty.results().len()));
    with_slots(np.max(nr), |buf| {
        copy_slots(&mut buf[..np], &store.inner.stack.values[at..at + np]);
        (hf.func)(store, instance, buf)?;
        copy_slots(&mut store.inner.stack.values[at..at + nr], &buf[..nr]);
        Ok(())
    })
}

/// Copies a host call's arguments or results: most often one or two slots, which a
/// `memmove` call, or a loop that the compiler vectorizes for long runs, would take
/// several times as long to copy.
#[inline(always)]
fn copy_slots(dst: &mut [u64], src: &[u64]) {
    match (dst, src) {
        ([], []) => {}
        ([d], [s]) => *d = *s,
        ([d0, d1], [s0, s1]) => (*d0, *d1) = (*s0, *s1),
        (dst, src) => dst.copy_from_slice(src),
    }
}

/// Runs `f` on a zeroed buffer of `n` slots, on the host stack when it is small (the usual
/// case: no allocation per call). `f` is called from one place, so that the compiler
/// inlines it.
#[inline(always)]
pub(crate) fn with_slots<R>(n: usize, f: impl FnOnce(&mut [u64]) -> R) -> R {
    let mut small = [0u64; 16];
    let mut large = Vec::new();
    let buf = if n <= small.len() {
        &mut small[..n]
    } else {
        large.resize(n, 0);
        &mut large[..]
    };
    f(buf)
}

/// The WebAssembly frames above `stop`, innermost first (`top_is_caller`: the innermost
/// frame is at the instruction after a call, as callers' frames are).
pub(crate) fn backtrace(s: &StoreInner, stop: usize, top_is_caller: bool) -> Vec<FrameInfo> {
    let n = s.stack.frames.len();
    s.stack.frames[stop..]
        .iter()
        .enumerate()
        .rev()
        .map(|(i, frame)| {
            // SAFETY: frame function pointers are valid while the frame exists.
            let func = unsafe { &*frame.func };
            let innermost = stop + i + 1 == n && !top_is_caller;
            let start = func.code.as_ptr();
            // SAFETY: `ip` points into (or one past an instruction of) the same code array.
            let mut at = unsafe { frame.ip.offset_from(start) }.max(0) as usize;
            if !innermost {
                // A caller's `ip` is the instruction after its call.
                at = at.saturating_sub(1);
            }
            let module = &s.instances[frame.instance as usize].module.inner;
            FrameInfo {
                func_index: func.func_index,
                func_name: module.func_names.get(&func.func_index).cloned(),
                module_offset: func.offsets.get(at).copied().unwrap_or(0) as usize,
            }
        })
        .collect()
}

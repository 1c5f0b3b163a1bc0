//! `Store<T>`: owner of all run-time state (functions, instances, memories, tables,
//! globals, references) and of the one value stack and frame stack that WebAssembly runs on.
//!
//! Entities live in vectors inside [`StoreInner`] and are named by index; the public
//! handles (`Func`, `Memory`, ...) are `(store id, index)` pairs. `StoreInner` is not
//! generic, so the interpreter is compiled once; only host calls need the typed
//! `Store<T>`, and the interpreter hands those back to the generic driver (`func.rs`).

use crate::interp::{CompiledFunc, Instr};
use crate::runtime::engine::{Engine, TypeId};
use crate::runtime::func::HostFunc;
use crate::runtime::limits::{Growth, ResourceLimiter};
use crate::runtime::linear_memory::LinearMemory;
use crate::runtime::module::Module;
use crate::runtime::types::{GlobalType, MemoryType, TableType};
use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes per WebAssembly page.
pub(crate) const PAGE_SIZE: usize = 65536;
/// Pages in the largest 32-bit memory (4 GiB).
pub(crate) const MAX_PAGES: u32 = 65536;

/// A function of the store: an instance's WebAssembly function or a host function.
///
/// `ty` comes first in both variants, which `repr(u8)` lays out as C structs after the
/// tag: at the same offset in both, a call through a table checks it with one load.
#[repr(u8)]
pub(crate) enum FuncEntity {
    Wasm {
        ty: TypeId,
        instance: u32,
        func: u32,
        /// The function's translation once the interpreter has needed it (null before):
        /// spares calls through tables and imports the walk to the module's body.
        compiled: CompiledRef,
    },
    Host {
        ty: TypeId,
        host: u32,
    },
}

/// A pointer to a function's translation and one to its first instruction, cached in the
/// store: a call through a table reads the callee's `ip` with one load less.
///
/// # Invariant
/// Both null, or `func` pointing into an `Arc<CompiledFunc>` owned by the module of an
/// instance in the same store (and so alive as long as the store) and `entry` to its
/// code's first instruction.
#[derive(Clone, Copy)]
pub(crate) struct CompiledRef {
    pub(crate) func: *const CompiledFunc,
    pub(crate) entry: *const Instr,
}

impl CompiledRef {
    /// No translation yet.
    pub(crate) const NONE: CompiledRef = CompiledRef {
        func: std::ptr::null(),
        entry: std::ptr::null(),
    };

    /// Translation `c` and its first instruction.
    pub(crate) fn of(c: &CompiledFunc) -> CompiledRef {
        CompiledRef {
            func: c,
            entry: c.code.as_ptr(),
        }
    }
}

// SAFETY: `CompiledFunc` is immutable apart from atomics (`Sync`), and the pointee is owned
// by a module the store keeps alive (invariant), so the pointer may move with the store.
unsafe impl Send for CompiledRef {}
// SAFETY: as above; the pointer is only dereferenced by the interpreter.
unsafe impl Sync for CompiledRef {}

impl FuncEntity {
    pub(crate) fn ty(&self) -> TypeId {
        match self {
            FuncEntity::Wasm { ty, .. } | FuncEntity::Host { ty, .. } => *ty,
        }
    }
}

pub(crate) struct MemoryEntity {
    pub(crate) data: LinearMemory,
    pub(crate) ty: MemoryType,
}

impl MemoryEntity {
    /// A memory of type `ty` reserving at most `reservation` bytes of address space up
    /// front (see [`Config::memory_reservation`](crate::Config::memory_reservation)).
    pub(crate) fn new(ty: MemoryType, reservation: u64) -> Result<MemoryEntity, crate::Error> {
        let len = ty.minimum() as usize * PAGE_SIZE;
        let max = Self::max_pages(ty) as usize * PAGE_SIZE;
        let reserve = usize::try_from(reservation).map_or(max, |r| r.min(max));
        let data = LinearMemory::new(len, reserve).map_err(|e| {
            crate::Error::link(format!("cannot allocate {len} bytes of linear memory: {e}"))
        })?;
        Ok(MemoryEntity { data, ty })
    }

    pub(crate) fn max_pages(ty: MemoryType) -> u32 {
        ty.maximum().unwrap_or(MAX_PAGES).min(MAX_PAGES)
    }

    pub(crate) fn pages(&self) -> u32 {
        (self.data.len() / PAGE_SIZE) as u32
    }

    /// The size in pages after growing by `delta`, `None` past the maximum.
    fn grown(&self, delta: u32) -> Option<u32> {
        let new = self.pages().checked_add(delta)?;
        (new <= Self::max_pages(self.ty)).then_some(new)
    }

    /// What growing by `delta` pages asks a resource limiter, `None` when the type
    /// forbids it anyway.
    pub(crate) fn growth(&self, delta: u32) -> Option<Growth> {
        let new = self.grown(delta)?;
        Some(Growth::memory(self.pages().into(), new.into(), self.ty))
    }

    /// Grows by `delta` pages; returns the old size in pages, or `None` (the `-1` result)
    /// past the maximum or when the host cannot provide the memory.
    pub(crate) fn grow(&mut self, delta: u32) -> Option<u32> {
        let (old, new) = (self.pages(), self.grown(delta)?);
        self.data.grow_to(new as usize * PAGE_SIZE).then_some(old)
    }
}

pub(crate) struct TableEntity {
    /// References encoded as slots: 0 is null, otherwise `index + 1`.
    pub(crate) elems: Vec<u64>,
    pub(crate) ty: TableType,
}

impl TableEntity {
    /// The size after growing by `delta`, `None` past the maximum.
    fn grown(&self, delta: u32) -> Option<u32> {
        let new = (self.elems.len() as u32).checked_add(delta)?;
        (new <= self.ty.maximum().unwrap_or(u32::MAX)).then_some(new)
    }

    /// What growing by `delta` entries asks a resource limiter, `None` when the type
    /// forbids it anyway.
    pub(crate) fn growth(&self, delta: u32) -> Option<Growth> {
        let new = self.grown(delta)?;
        Some(Growth::table(self.elems.len(), new as usize, self.ty))
    }

    /// Grows by `delta` entries filled with `init`; returns the old size or `None`.
    pub(crate) fn grow(&mut self, delta: u32, init: u64) -> Option<u32> {
        let (old, new) = (self.elems.len() as u32, self.grown(delta)?);
        self.elems.try_reserve_exact(delta as usize).ok()?;
        self.elems.resize(new as usize, init);
        Some(old)
    }
}

pub(crate) struct GlobalEntity {
    pub(crate) value: u64,
    pub(crate) ty: GlobalType,
}

pub(crate) struct InstanceEntity {
    pub(crate) module: Module,
    /// Store indices of the instance's functions, tables, memories and globals, in the
    /// module's index spaces.
    pub(crate) funcs: Box<[u32]>,
    pub(crate) tables: Box<[u32]>,
    pub(crate) memories: Box<[u32]>,
    pub(crate) globals: Box<[u32]>,
    /// Element segments as reference slots; emptied by `elem.drop`.
    pub(crate) elems: Vec<Box<[u64]>>,
    /// Whether each data segment was dropped.
    pub(crate) data_dropped: Vec<bool>,
}

/// One activation on the frame stack.
pub(crate) struct Frame {
    /// The running function. Points into an `Arc<CompiledFunc>` owned by a module that an
    /// instance of this store keeps alive.
    pub(crate) func: *const CompiledFunc,
    /// Where to resume this frame when it is not the innermost (after its call), or the
    /// trapping instruction of the innermost frame after a trap.
    pub(crate) ip: *const Instr,
    /// Index of the frame's slot 0 in the value stack.
    pub(crate) base: usize,
    pub(crate) instance: u32,
}

impl Frame {
    /// The running function's translation.
    pub(crate) fn compiled(&self) -> &CompiledFunc {
        // SAFETY: `func` points into an `Arc<CompiledFunc>` kept alive by an instance of
        // the store that holds this frame (see the field), so it outlives the frame.
        unsafe { &*self.func }
    }
}

/// The value stack and frame stack one store's executions share.
pub(crate) struct Stack {
    pub(crate) values: Vec<u64>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) max_values: usize,
    pub(crate) max_frames: usize,
    /// How many frames the interpreter's calls push before they take their slow path:
    /// at most `max_frames`, and at most the frame stack's capacity at some earlier time
    /// (the stack only grows, so a push below this one never reallocates). One compare
    /// then stands for both tests.
    pub(crate) frame_limit: usize,
    /// The instance of the innermost running frame (kept by the interpreter).
    pub(crate) instance: u32,
    /// Slots below this index are in use by running traces beyond the frames pushed
    /// (the frames of inlined and natively called functions): a host function called
    /// from a trace that calls back into WebAssembly starts above it.
    pub(crate) in_use: usize,
}

// SAFETY: the raw pointers in `Frame` point into `CompiledFunc`s kept alive by the
// modules of the store's instances; they are only dereferenced by the interpreter while it
// holds `&mut StoreInner`, so moving the store to another thread moves them with it.
unsafe impl Send for Stack {}
// SAFETY: `&Stack` exposes no way to dereference the frame pointers.
unsafe impl Sync for Stack {}

impl Stack {
    /// Makes the value stack at least `len` slots long; `false` past the limit.
    pub(crate) fn reserve(&mut self, len: usize) -> bool {
        if len <= self.values.len() {
            return true;
        }
        if len > self.max_values {
            return false;
        }
        let new_len = len
            .max(self.values.len() * 2)
            .max(1024)
            .min(self.max_values);
        self.values.resize(new_len, 0);
        true
    }

    /// Where a new outermost call places its arguments: above everything in use.
    pub(crate) fn top(&self) -> usize {
        let frames = match self.frames.last() {
            // SAFETY: frame function pointers are valid while the frame exists (see `Frame`).
            Some(f) => f.base + unsafe { (*f.func).frame_size } as usize,
            None => 0,
        };
        frames.max(self.in_use)
    }
}

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// The part of a store that does not depend on the host data type.
pub(crate) struct StoreInner {
    pub(crate) id: u64,
    pub(crate) engine: Engine,
    pub(crate) funcs: Vec<FuncEntity>,
    pub(crate) instances: Vec<InstanceEntity>,
    pub(crate) memories: Vec<MemoryEntity>,
    pub(crate) tables: Vec<TableEntity>,
    pub(crate) globals: Vec<GlobalEntity>,
    pub(crate) externs: Vec<Arc<dyn Any + Send + Sync>>,
    pub(crate) stack: Stack,
    /// The trace JIT's state (created at the first hot loop).
    pub(crate) jit: Option<Box<crate::jit::JitState>>,
    /// The interpreter's calls into the JIT and the profiler.
    pub(crate) hooks: &'static crate::interp::Hooks,
    /// How the interpreter and traces call host functions: set by the driver running this
    /// store.
    pub(crate) host_trampoline: Option<HostTrampoline>,
    /// Profile counters and sampler (with `Config::collect_profile`).
    pub(crate) profile: Option<Box<crate::jit::profile::Profiler>>,
    /// The epoch at which code traps with `Interrupt` (`Config::epoch_interruption`).
    pub(crate) epoch_deadline: u64,
    /// Fuel left (`Config::consume_fuel`), never negative between instructions; traces
    /// charge it through the store's address.
    pub(crate) fuel: i64,
    /// A resource limiter is installed (`Store::limiter`): growth asks it through the
    /// trampoline, and traces do not grow anything.
    pub(crate) limited: bool,
    /// Counts changes that move or resize what running traces point into besides the
    /// value stack and the globals (memories and tables growing, native entries of
    /// function traces added): a trace's context reads those again when it changed.
    pub(crate) layout: u64,
    /// The interpreter's threaded dispatch: where a run's end is handed back (unused by
    /// the dispatch loop, which builds without threaded dispatch run).
    #[cfg_attr(not(spur_threaded), allow(dead_code))]
    pub(crate) handoff: crate::interp::Handoff,
}

/// A type-erased way back to the typed store, for host calls made from the interpreter's
/// handlers and from traces.
#[derive(Clone, Copy)]
pub(crate) struct HostTrampoline {
    pub(crate) store: *mut (),
    /// Calls host function `f` (store index) on the value-stack slots at `at`.
    pub(crate) call: unsafe fn(*mut (), u32, usize, Option<u32>) -> Result<(), crate::Error>,
    /// The same for trace code, typed for this store and called from it directly: the
    /// helper a trace compiled under this driver calls for `Helper::HostCall` (the store
    /// is the context's, its typed form this trampoline's `store`).
    pub(crate) trace_call: crate::jit::helpers::HelperFn,
    /// Runs the interpreter on the frame pushed above the given frame count until it
    /// returns (WebAssembly functions that traces call through the interpreter).
    pub(crate) run: unsafe fn(*mut (), usize) -> Result<(), crate::Error>,
    /// Asks the store's resource limiter about a growth.
    pub(crate) limit: unsafe fn(*mut (), Growth) -> Result<bool, crate::Error>,
}

impl HostTrampoline {
    /// The trampoline of the driver running `store`.
    pub(crate) fn new<T>(store: *mut Store<T>) -> HostTrampoline {
        use crate::runtime::func;
        HostTrampoline {
            store: store as *mut (),
            call: func::host_trampoline::<T>,
            trace_call: crate::jit::helpers::trace_host_call::<T>,
            run: func::run_trampoline::<T>,
            limit: func::limit_trampoline::<T>,
        }
    }
}

/// The most fuel a store holds: traces add and subtract up to 2^31 at a time without
/// overflowing.
const MAX_FUEL: u64 = 1 << 62;

impl StoreInner {
    /// The translation of WebAssembly function `f` (store index): the one the store
    /// remembers (`FuncEntity::Wasm::compiled`), or else its module's, translated now if
    /// need be, which the store then remembers.
    pub(crate) fn translation(&mut self, f: u32) -> Result<CompiledRef, crate::Error> {
        let FuncEntity::Wasm {
            instance,
            func,
            compiled,
            ..
        } = &mut self.funcs[f as usize]
        else {
            unreachable!("translation of a host function");
        };
        if compiled.func.is_null() {
            let module = &self.instances[*instance as usize].module;
            *compiled = CompiledRef::of(module.code.compiled(&module.inner, *func)?);
        }
        Ok(*compiled)
    }

    /// Grows memory `m` (store index) by `delta` pages: see [`MemoryEntity::grow`].
    pub(crate) fn grow_memory(&mut self, m: usize, delta: u32) -> Option<u32> {
        self.layout += 1;
        self.memories[m].grow(delta)
    }

    /// Grows table `t` (store index) by `delta` entries of `init`: see
    /// [`TableEntity::grow`]. Its entries may move: the interpreter's record of the
    /// running instance's table 0 is set again.
    pub(crate) fn grow_table(&mut self, t: usize, delta: u32, init: u64) -> Option<u32> {
        self.layout += 1;
        let old = self.tables[t].grow(delta, init);
        crate::interp::running_table0(self);
        old
    }

    /// An error unless the engine consumes fuel.
    pub(crate) fn check_fuel(&self) -> Result<(), crate::Error> {
        if self.engine.config().consume_fuel {
            Ok(())
        } else {
            Err(crate::Error::msg(
                "fuel is not configured in this store (Config::consume_fuel)",
            ))
        }
    }

    /// Panics with a clear message when a handle from another store is used, as Wasmtime does.
    #[track_caller]
    pub(crate) fn check(&self, store_id: u64) {
        assert_eq!(store_id, self.id, "object used with the wrong store");
    }
}

/// All run-time state of WebAssembly execution, plus host data of type `T`.
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) host_funcs: Vec<Arc<HostFunc<T>>>,
    data: T,
    /// Finds the resource limiter in the data (`Store::limiter`).
    limiter: Option<Limiter<T>>,
}

/// What `Store::limiter` installs.
type Limiter<T> = Box<dyn FnMut(&mut T) -> &mut (dyn ResourceLimiter) + Send + Sync>;

impl<T> Store<T> {
    /// Creates a store for `engine` holding `data`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let config = engine.config();
        Store {
            inner: StoreInner {
                id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
                engine: engine.clone(),
                funcs: Vec::new(),
                instances: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                externs: Vec::new(),
                stack: Stack {
                    values: Vec::new(),
                    frames: Vec::new(),
                    max_values: config.max_stack_slots,
                    max_frames: config.max_call_depth,
                    frame_limit: 0,
                    instance: 0,
                    in_use: 0,
                },
                jit: None,
                hooks: &crate::jit::HOOKS,
                host_trampoline: None,
                profile: config
                    .profile
                    .then(|| Box::new(crate::jit::profile::Profiler::new())),
                epoch_deadline: 0,
                fuel: 0,
                handoff: Default::default(),
                limited: false,
                layout: 0,
            },
            limiter: None,
            host_funcs: Vec::new(),
            data,
        }
    }

    /// The engine this store belongs to.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// What the trace JIT has done in this store so far.
    pub fn jit_stats(&self) -> crate::JitStats {
        self.inner
            .jit
            .as_ref()
            .map_or_else(crate::JitStats::default, |j| j.stats())
    }

    /// Installs a resource limiter, found in the store's data by `limiter`, which every
    /// growth of a memory or table and every instantiation consults from now on (see
    /// [`ResourceLimiter`]; [`StoreLimits`](crate::StoreLimits) is a ready-made one).
    /// Traces compiled before are dropped: with a limiter, growth always runs in the
    /// interpreter.
    ///
    /// ```
    /// use spur::{Engine, Instance, Module, Store, StoreLimits, StoreLimitsBuilder};
    /// struct Data { limits: StoreLimits }
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module (memory 1)
    ///     (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#)?;
    /// let limits = StoreLimitsBuilder::new().memory_size(4 << 16).build();
    /// let mut store = Store::new(&engine, Data { limits });
    /// store.limiter(|data| &mut data.limits);
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    /// assert_eq!(grow.call(&mut store, 3)?, 1); // to 4 pages: allowed
    /// assert_eq!(grow.call(&mut store, 1)?, -1); // to 5 pages: refused
    /// # Ok::<(), spur::Error>(())
    /// ```
    pub fn limiter(
        &mut self,
        limiter: impl FnMut(&mut T) -> &mut (dyn ResourceLimiter) + Send + Sync + 'static,
    ) {
        self.limiter = Some(Box::new(limiter));
        self.inner.limited = true;
        if let Some(jit) = self.inner.jit.as_deref_mut() {
            jit.flush();
        }
    }

    /// Asks the limiter, if any, about `growth`.
    pub(crate) fn ask_limiter(&mut self, growth: Growth) -> Result<bool, crate::Error> {
        match &mut self.limiter {
            Some(find) => growth.ask(find(&mut self.data)),
            None => Ok(true),
        }
    }

    /// The limiter's count limits (instances, memories, tables), if one is installed.
    pub(crate) fn count_limits(&mut self) -> Option<[usize; 3]> {
        let find = self.limiter.as_mut()?;
        let l = find(&mut self.data);
        Some([l.instances(), l.memories(), l.tables()])
    }

    /// Sets the deadline for epoch interruption to `ticks` epochs after the engine's
    /// current one (see [`Config::epoch_interruption`](crate::Config::epoch_interruption)).
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        let now = self.inner.engine.epoch().load(Ordering::Acquire);
        self.inner.epoch_deadline = now.saturating_add(ticks);
    }

    /// Sets the fuel left to `fuel` (see [`Config::consume_fuel`](crate::Config::consume_fuel));
    /// amounts above 2^62 count as 2^62. An error if the engine does not consume fuel.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<(), crate::Error> {
        self.inner.check_fuel()?;
        self.inner.fuel = fuel.min(MAX_FUEL) as i64;
        Ok(())
    }

    /// The fuel left (see [`Config::consume_fuel`](crate::Config::consume_fuel)). An error
    /// if the engine does not consume fuel.
    pub fn get_fuel(&self) -> Result<u64, crate::Error> {
        self.inner.check_fuel()?;
        Ok(self.inner.fuel as u64)
    }

    /// What this store has run so far, per function and per `call_indirect` site, and how
    /// much of its time ran in traces; `None` unless the engine was configured with
    /// [`Config::collect_profile`](crate::Config::collect_profile).
    ///
    /// ```
    /// use spur::{Config, Engine, Instance, Module, Store};
    /// let mut config = Config::new();
    /// config.collect_profile(true);
    /// let engine = Engine::new(&config);
    /// let module = Module::new(&engine, r#"
    ///     (module
    ///       (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    ///       (func (export "count") (param $n i32) (result i32) (local $i i32)
    ///         (loop $l
    ///           (local.set $i (call $inc (local.get $i)))
    ///           (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    ///         (local.get $i)))
    /// "#)?;
    /// let mut store = Store::new(&engine, ());
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let count = instance.get_typed_func::<i32, i32>(&mut store, "count")?;
    /// assert_eq!(count.call(&mut store, 1000)?, 1000);
    /// let profile = store.profile().expect("profiling is on");
    /// let inc = profile.functions.iter().find(|f| f.name.as_deref() == Some("inc")).unwrap();
    /// assert_eq!(inc.calls, 1000);
    /// # Ok::<(), spur::Error>(())
    /// ```
    pub fn profile(&self) -> Option<crate::Profile> {
        crate::jit::profile::snapshot(&self.inner)
    }

    /// Writes every trace compiled from now on to `out`, in the dump format (recorded
    /// bytecode, IR with snapshots, machine code), with a line for each abort,
    /// blacklisting, eviction and flush, as `spur run --dump` does. Replaces an earlier
    /// dump's destination.
    pub fn set_trace_dump(&mut self, out: impl std::io::Write + Send + 'static) {
        self.add_trace_sink(crate::jit::dump::Sink::new(
            out,
            crate::jit::dump::Format::Text,
        ));
    }

    /// Writes what the JIT does from now on to `out` as JSON Lines, one event per line:
    /// traces compiled (with their bytecode, IR and machine code), recordings aborted,
    /// loops blacklisted, trees evicted, and, when the store is dropped, how often each
    /// live trace was entered and each exit taken and how much of the time ran in
    /// traces; as `spur run --trace-log` does. The
    /// fields are documented with the format (the JIT's `dump` module). Replaces an
    /// earlier log's destination.
    ///
    /// ```
    /// use spur::{Engine, Linker, Module, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[derive(Clone, Default)]
    /// struct Shared(Arc<Mutex<Vec<u8>>>);
    /// impl std::io::Write for Shared {
    ///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
    ///         self.0.lock().unwrap().write(b)
    ///     }
    ///     fn flush(&mut self) -> std::io::Result<()> {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module (func (export "sum") (param i32) (result i32)
    ///     (local i32)
    ///     (loop $l
    ///       (local.set 1 (i32.add (local.get 1) (local.get 0)))
    ///       (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    ///     (local.get 1)))"#)?;
    /// let log = Shared::default();
    /// let mut store = Store::new(&engine, ());
    /// store.set_trace_log(log.clone());
    /// let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
    /// let sum = instance.get_typed_func::<i32, i32>(&mut store, "sum")?;
    /// assert_eq!(sum.call(&mut store, 1000)?, 500500);
    /// drop(store);
    /// let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    /// assert!(text.lines().any(|l| l.starts_with(r#"{"event":"trace","trace":1,"#)));
    /// assert!(text.lines().any(|l| l.starts_with(r#"{"event":"counts","trace":1,"#)));
    /// assert!(text.lines().last().unwrap().starts_with(r#"{"event":"run","#));
    /// # Ok::<(), spur::Error>(())
    /// ```
    pub fn set_trace_log(&mut self, out: impl std::io::Write + Send + 'static) {
        self.add_trace_sink(crate::jit::dump::Sink::new(
            out,
            crate::jit::dump::Format::Json,
        ));
    }

    fn add_trace_sink(&mut self, sink: crate::jit::dump::Sink) {
        let config = self.inner.engine.config();
        let jit = self
            .inner
            .jit
            .get_or_insert_with(|| Box::new(crate::jit::JitState::new(config)));
        jit.log.retain(|s| s.format() != sink.format());
        jit.log.push(sink);
    }

    /// The host data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Consumes the store and returns its host data.
    pub fn into_data(self) -> T {
        self.data
    }

    pub(crate) fn add_host_func(&mut self, func: Arc<HostFunc<T>>) -> u32 {
        let ty = self.inner.engine.intern(&func.ty);
        let host = self.host_funcs.len() as u32;
        self.host_funcs.push(func);
        self.inner.funcs.push(FuncEntity::Host { ty, host });
        (self.inner.funcs.len() - 1) as u32
    }
}

impl<T> std::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.inner.id)
            .finish_non_exhaustive()
    }
}

/// A shared borrow of a store, as taken by read-only API calls.
pub struct StoreContext<'a, T> {
    pub(crate) store: &'a Store<T>,
}

/// An exclusive borrow of a store, as taken by API calls that run code or change state.
pub struct StoreContextMut<'a, T> {
    pub(crate) store: &'a mut Store<T>,
}

impl<T> StoreContext<'_, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        self.store.data()
    }
}

impl<T> StoreContextMut<'_, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        self.store.data()
    }
    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }
}

/// Types that give shared access to a store: `&Store<T>`, `&mut Store<T>`, `Caller`, ...
pub trait AsContext {
    /// The host data type of the store.
    type Data;
    /// Borrows the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Types that give exclusive access to a store.
pub trait AsContextMut: AsContext {
    /// Borrows the store mutably.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext { store: self }
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut { store: self }
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext { store: self.store }
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext { store: self.store }
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut { store: self.store }
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}

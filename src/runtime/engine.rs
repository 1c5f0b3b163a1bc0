//! `Config` and `Engine`: settings shared by every module and store built from one engine,
//! and the engine-wide registry that interns function types.
//!
//! Interning gives each distinct [`FuncType`] one small integer, so `call_indirect`
//! checks a signature with a single comparison, across modules and instances.

use crate::jit::params::{JitParams, JitPreset};
use crate::jit::perfmap::ProfilingStrategy;
use crate::runtime::types::FuncType;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Engine settings. Mirrors `wasmtime::Config` for the settings spur has.
///
/// ```
/// use spur::{Config, Engine, Instance, Module, Store, TrapCode};
///
/// let mut config = Config::new();
/// config.jit(false).max_call_depth(1000);
/// let engine = Engine::new(&config);
/// let module = Module::new(&engine, r#"
///     (module (func $f (export "forever") (call $f)))
/// "#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let forever = instance.get_typed_func::<(), ()>(&mut store, "forever")?;
/// let err = forever.call(&mut store, ()).unwrap_err();
/// assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow));
/// # Ok::<(), spur::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) jit: bool,
    pub(crate) max_call_depth: usize,
    pub(crate) max_stack_slots: usize,
    pub(crate) jit_params: JitParams,
    pub(crate) profile: bool,
    pub(crate) profiler: ProfilingStrategy,
    pub(crate) epoch_interruption: bool,
    pub(crate) consume_fuel: bool,
    pub(crate) compilation_mode: CompilationMode,
    pub(crate) memory_reservation: u64,
}

/// When a module's function bodies are validated and translated (wasmi's option of the
/// same name, see [`Config::compilation_mode`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum CompilationMode {
    /// Every body is validated and translated while the module loads.
    Eager,
    /// Every body is validated while the module loads and translated at its first call
    /// (the default).
    #[default]
    LazyTranslation,
    /// Only the module's structure is validated while it loads; each body is validated
    /// and translated at its first call, and an invalid body's error comes back from that
    /// call. Loading is fastest; a module may load that eager validation rejects.
    Lazy,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            jit: true,
            max_call_depth: 100_000,
            max_stack_slots: 4 << 20,
            jit_params: JitParams::default(),
            profile: false,
            profiler: ProfilingStrategy::None,
            epoch_interruption: false,
            consume_fuel: false,
            compilation_mode: CompilationMode::default(),
            memory_reservation: 1 << 32,
        }
    }
}

impl Config {
    /// The default configuration.
    pub fn new() -> Config {
        Config::default()
    }

    /// Turns the trace JIT on or off (default on). With the JIT off, everything runs in the
    /// interpreter and loop headers carry no hot counters.
    ///
    /// On an architecture without a JIT backend (see [`Config::jit_available`]) the JIT
    /// stays off whatever this says: [`Config::jit_enabled`] is false, and turning it on
    /// logs a warning (target `spur::jit`).
    pub fn jit(&mut self, enable: bool) -> &mut Config {
        if enable && !Config::jit_available() {
            tracing::warn!(target: "spur::jit", arch = std::env::consts::ARCH, "the JIT is unavailable on this architecture: code runs in the interpreter");
        }
        self.jit = enable;
        self
    }

    /// Whether spur has a JIT backend for this machine: x86-64 or AArch64 (on Unix-like
    /// systems).
    /// Elsewhere spur runs everything in its interpreter.
    pub fn jit_available() -> bool {
        crate::jit::asm::AVAILABLE
    }

    /// The deepest WebAssembly call nesting allowed before the
    /// `call stack exhausted` trap (default 100,000 frames).
    pub fn max_call_depth(&mut self, depth: usize) -> &mut Config {
        self.max_call_depth = depth.max(1);
        self
    }

    /// The largest value stack, in 64-bit slots, before the `call stack exhausted` trap
    /// (default 4 Mi slots, 32 MiB). The stack grows on demand up to this size.
    pub fn max_stack_slots(&mut self, slots: usize) -> &mut Config {
        self.max_stack_slots = slots.max(16);
        self
    }

    /// Sets one of the JIT's tunables by name (see [`JitParams::TABLE`] for the list, e.g.
    /// `hotloop`, `maxrecord`, `maxmcode`); an unknown name or an unusable value is an error.
    pub fn jit_param(&mut self, name: &str, value: u32) -> Result<&mut Config, crate::Error> {
        self.jit_params.set(name, value)?;
        Ok(self)
    }

    /// Constant blinding in trace machine code (default on): a 32- or 64-bit constant
    /// taken from the module never appears in executable memory, so a module cannot
    /// plant chosen bytes there. The code reads it from a pool in memory that is never
    /// executable (on x86-64 any such constant, on AArch64 floats), or it holds the
    /// constant XORed with a random key chosen per trace and unmasks it in a register.
    /// The same as the `blind` tunable.
    pub fn jit_constant_blinding(&mut self, enable: bool) -> &mut Config {
        self.jit_params.blind = u32::from(enable);
        self
    }

    /// Applies a preset: turns the JIT on or off and sets every tunable to the preset's
    /// row (see [`JitPreset`]). Tunables set afterwards with [`Config::jit_param`]
    /// override it.
    ///
    /// ```
    /// use spur::{Config, JitPreset};
    /// let mut config = Config::new();
    /// config.jit_preset(JitPreset::Batch).jit_param("hotloop", 100)?;
    /// assert_eq!(config.jit_params().hotloop, 100);
    /// assert_eq!(config.jit_params().maxrecord, JitPreset::Batch.params().maxrecord);
    /// assert!(!Config::new().jit_preset(JitPreset::None).jit_enabled());
    /// # Ok::<(), spur::Error>(())
    /// ```
    pub fn jit_preset(&mut self, preset: JitPreset) -> &mut Config {
        self.jit = preset.jit_enabled();
        self.jit_params = preset.params();
        self
    }

    /// Collects a profile (default off): calls and loop iterations per function, the
    /// targets of each `call_indirect` site, and sampled time, in the interpreter and in
    /// traces, read with [`Store::profile`](crate::Store::profile). Counting costs the
    /// interpreter two extra instructions per call (at the entry and the return) and one
    /// per loop iteration, and traces one memory increment per call and iteration; each
    /// store also runs a sampler thread that wakes every
    /// [`Profile::SAMPLE_PERIOD`](crate::Profile::SAMPLE_PERIOD).
    pub fn collect_profile(&mut self, enable: bool) -> &mut Config {
        self.profile = enable;
        self
    }

    /// Describes JIT code for an external profiler (default none), as Wasmtime's option
    /// of the same name: with [`ProfilingStrategy::PerfMap`] every trace is named in
    /// `/tmp/perf-<pid>.map` for `perf report` (trace number, root or side, root function),
    /// and trace code addresses are never reused, so each names one trace.
    pub fn profiler(&mut self, strategy: ProfilingStrategy) -> &mut Config {
        self.profiler = strategy;
        self
    }

    /// Epoch interruption (default off), as in Wasmtime: code checks the engine's epoch
    /// at every loop iteration and call, in the interpreter and in traces (code with
    /// neither always finishes),
    /// and traps with [`TrapCode::Interrupt`](crate::TrapCode::Interrupt) once it has
    /// reached the store's deadline ([`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline),
    /// 0 by default: set one before running). Another thread ends a run by calling
    /// [`Engine::increment_epoch`]. The store stays usable after the trap.
    ///
    /// ```
    /// use spur::{Config, Engine, Instance, Module, Store, TrapCode};
    /// let mut config = Config::new();
    /// config.epoch_interruption(true);
    /// let engine = Engine::new(&config);
    /// let module = Module::new(&engine, r#"(module (func (export "spin") (loop (br 0))))"#)?;
    /// let mut store = Store::new(&engine, ());
    /// store.set_epoch_deadline(1);
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
    /// let ticker = engine.clone();
    /// std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_millis(20));
    ///     ticker.increment_epoch();
    /// });
    /// let err = spin.call(&mut store, ()).unwrap_err();
    /// assert_eq!(err.trap_code(), Some(TrapCode::Interrupt));
    /// # Ok::<(), spur::Error>(())
    /// ```
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Config {
        self.epoch_interruption = enable;
        self
    }

    /// Fuel metering (default off), as in Wasmtime: every WebAssembly operator costs 1
    /// fuel, except `nop`, `drop`, `unreachable`, `block`, `loop`, `else` and `end`, which
    /// are free. Fuel is charged for each straight-line run of code before it starts,
    /// and code traps with [`TrapCode::OutOfFuel`](crate::TrapCode::OutOfFuel) at the run
    /// the store's fuel does not cover. Consumption is deterministic: the same with the
    /// JIT on or off. A store starts with no fuel: give it some with
    /// [`Store::set_fuel`](crate::Store::set_fuel). The store stays usable after the trap.
    ///
    /// ```
    /// use spur::{Config, Engine, Instance, Module, Store, TrapCode};
    /// let mut config = Config::new();
    /// config.consume_fuel(true);
    /// let engine = Engine::new(&config);
    /// let module = Module::new(&engine, r#"(module (func (export "spin") (loop (br 0))))"#)?;
    /// let mut store = Store::new(&engine, ());
    /// store.set_fuel(10_000)?;
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
    /// let err = spin.call(&mut store, ()).unwrap_err();
    /// assert_eq!(err.trap_code(), Some(TrapCode::OutOfFuel));
    /// assert_eq!(store.get_fuel()?, 0);
    /// # Ok::<(), spur::Error>(())
    /// ```
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Config {
        self.consume_fuel = enable;
        self
    }

    /// When function bodies are validated and translated (default
    /// [`CompilationMode::LazyTranslation`]: validated at load, translated at first call).
    /// [`CompilationMode::Lazy`] leaves validation to the first call too, for the fastest
    /// start on large modules; [`Module::validate`](crate::Module::validate) still checks
    /// everything.
    ///
    /// ```
    /// use spur::{CompilationMode, Config, Engine, Instance, Module, Store};
    /// let mut config = Config::new();
    /// config.compilation_mode(CompilationMode::Lazy);
    /// let engine = Engine::new(&config);
    /// // `bad` is invalid (it returns nothing where it promises an i32), but never called.
    /// let wat = r#"(module (func (export "ok") (result i32) (i32.const 1))
    ///                      (func (export "bad") (result i32)))"#;
    /// let module = Module::new(&engine, wat)?;
    /// let mut store = Store::new(&engine, ());
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let ok = instance.get_typed_func::<(), i32>(&mut store, "ok")?;
    /// assert_eq!(ok.call(&mut store, ())?, 1);
    /// let bad = instance.get_typed_func::<(), i32>(&mut store, "bad")?;
    /// assert!(bad.call(&mut store, ()).unwrap_err().is_compile());
    /// # Ok::<(), spur::Error>(())
    /// ```
    pub fn compilation_mode(&mut self, mode: CompilationMode) -> &mut Config {
        self.compilation_mode = mode;
        self
    }

    /// How much address space a linear memory reserves when it is created, in bytes
    /// (default 4 GiB, every size a 32-bit memory can have), as Wasmtime's setting of the
    /// same name. A memory reserves its declared maximum or this, whichever is smaller
    /// (and at least its initial size), without committing it: it grows in place up to
    /// the reservation, and growing past it moves the memory to a larger one. Lower it to
    /// create very many memories, each then costing only what it uses; growth past the
    /// reservation then costs a move.
    ///
    /// ```
    /// use spur::{Config, Engine, Instance, Module, Store};
    /// let mut config = Config::new();
    /// config.memory_reservation(1 << 20);
    /// let engine = Engine::new(&config);
    /// let module = Module::new(&engine, r#"(module (memory (export "mem") 1)
    ///     (func (export "grow") (result i32)
    ///       (i32.store (i32.const 65532) (i32.const 42))
    ///       (drop (memory.grow (i32.const 100))) ;; past the 1 MiB reservation: moves
    ///       (i32.store (i32.const 6619132) (i32.const 7))
    ///       (i32.load (i32.const 65532))))"#)?;
    /// let mut store = Store::new(&engine, ());
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let grow = instance.get_typed_func::<(), i32>(&mut store, "grow")?;
    /// assert_eq!(grow.call(&mut store, ())?, 42);
    /// let mem = instance.get_memory(&mut store, "mem").unwrap();
    /// assert_eq!(mem.size(&store), 101);
    /// assert_eq!(mem.data(&store)[6619132], 7);
    /// # Ok::<(), spur::Error>(())
    /// ```
    pub fn memory_reservation(&mut self, bytes: u64) -> &mut Config {
        self.memory_reservation = bytes;
        self
    }

    /// The JIT's tunables.
    pub fn jit_params(&self) -> &JitParams {
        &self.jit_params
    }

    /// Whether the JIT is enabled: asked for, and available on this machine.
    pub fn jit_enabled(&self) -> bool {
        self.jit && Config::jit_available()
    }
}

/// An engine-wide interned function type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct TypeId(pub(crate) u32);

#[derive(Default)]
struct TypeRegistry {
    ids: HashMap<FuncType, TypeId>,
    types: Vec<FuncType>,
}

struct EngineInner {
    config: Config,
    types: Mutex<TypeRegistry>,
    /// The epoch (`Config::epoch_interruption`), advanced by `Engine::increment_epoch`.
    epoch: AtomicU64,
}

/// A compilation and execution environment; cheap to clone (reference counted).
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(&Config::default())
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Engine {
    /// Creates an engine with the given configuration. This is also where spur looks up
    /// which optional instructions the CPU has: the interpreter's `popcnt`, and with the
    /// JIT on, the JIT's choices (once per process).
    pub fn new(config: &Config) -> Engine {
        crate::ops::probe_host();
        if config.jit_enabled() {
            // The JIT's choice of instructions is made once, here, not in the first
            // trace's compile.
            crate::jit::asm::probe_host();
        }
        Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                types: Mutex::new(TypeRegistry::default()),
                epoch: AtomicU64::new(0),
            }),
        }
    }

    /// Advances the epoch by one; safe to call from any thread (a timer's, typically).
    /// Code running in stores of this engine whose deadline the epoch reaches traps with
    /// `TrapCode::Interrupt` at its next check (see `Config::epoch_interruption`).
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Release);
    }

    /// The current epoch, which traces read through this address.
    pub(crate) fn epoch(&self) -> &AtomicU64 {
        &self.inner.epoch
    }

    /// The engine's configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether two handles refer to the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    pub(crate) fn intern(&self, ty: &FuncType) -> TypeId {
        let mut reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = reg.ids.get(ty) {
            return id;
        }
        let id = TypeId(reg.types.len() as u32);
        reg.types.push(ty.clone());
        reg.ids.insert(ty.clone(), id);
        id
    }

    pub(crate) fn func_type(&self, id: TypeId) -> FuncType {
        let reg = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        reg.types[id.0 as usize].clone()
    }
}

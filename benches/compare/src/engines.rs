//! The five engines under comparison and how each one loads a module and calls `run(n)`.
//!
//! Every engine gets the same treatment: the engine (and, where the API has one, the linker
//! with `env.host_mix`) is created untimed; the load timer covers bytes -> `Module` ->
//! instantiated; the run timer covers one `run(n)` call.

use std::fmt::Display;
use std::time::{Duration, Instant};

/// An engine configuration in the comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EngineKind {
    /// spur with the JIT off: the interpreter only.
    SpurInterp,
    /// spur with the JIT on (its default configuration).
    SpurJit,
    /// wasmi 2.x with its default configuration (lazy translation).
    Wasmi,
    /// wasmtime with its default compiler, Cranelift.
    Wasmtime,
    /// wasmtime with its baseline compiler, Winch.
    Winch,
}

impl EngineKind {
    /// All engines, in table order.
    pub const ALL: [EngineKind; 5] = [
        EngineKind::SpurInterp,
        EngineKind::SpurJit,
        EngineKind::Wasmi,
        EngineKind::Wasmtime,
        EngineKind::Winch,
    ];

    /// The engine's name in tables and on the child command line.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::SpurInterp => "spur-interp",
            EngineKind::SpurJit => "spur-jit",
            EngineKind::Wasmi => "wasmi",
            EngineKind::Wasmtime => "wasmtime",
            EngineKind::Winch => "winch",
        }
    }

    /// The engine with the given name.
    pub fn from_name(name: &str) -> Option<EngineKind> {
        EngineKind::ALL.into_iter().find(|e| e.name() == name)
    }

    /// Loads `bytes`, instantiates it and calls `run(n)` once, timing both phases.
    pub fn measure(self, bytes: &[u8], n: i32) -> Result<Timing, String> {
        match self {
            EngineKind::SpurInterp => spur_measure(false, bytes, n),
            EngineKind::SpurJit => spur_measure(true, bytes, n),
            EngineKind::Wasmi => wasmi_measure(bytes, n),
            EngineKind::Wasmtime => wasmtime_measure(wasmtime::Strategy::Cranelift, bytes, n),
            EngineKind::Winch => wasmtime_measure(wasmtime::Strategy::Winch, bytes, n),
        }
    }
}

/// The result of one measurement inside one process.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Bytes -> compiled module -> instantiated.
    pub load: Duration,
    /// One call of `run(n)`.
    pub run: Duration,
    /// What `run(n)` returned.
    pub checksum: i64,
}

/// The host function `env.host_mix` that `host_call.wasm` imports (see benches/kernels/README.md).
pub fn host_mix(x: i32) -> i32 {
    let mut x = x as u32;
    x ^= x >> 15;
    x = x.wrapping_mul(0x2c1b_3c6d);
    x ^= x >> 12;
    x as i32
}

/// Formats an engine error, with its cause chain where the error type has one.
pub fn fail(what: &str, e: impl Display) -> String {
    format!("{what}: {e:#}")
}

/// The one measurement, for engines whose APIs spell it alike (spur mirrors Wasmtime, and
/// wasmi differs only in how it instantiates): load = compile + store + instantiate, then
/// one timed `run(n)`.
macro_rules! measure {
    ($krate:ident, $engine:expr, $instantiate:ident, $bytes:expr, $n:expr) => {{
        let engine = $engine;
        let mut linker = $krate::Linker::<()>::new(&engine);
        linker
            .func_wrap("env", "host_mix", host_mix)
            .map_err(|e| fail("define host_mix", e))?;

        let start = Instant::now();
        let module = $krate::Module::new(&engine, $bytes).map_err(|e| fail("compile", e))?;
        let mut store = $krate::Store::new(&engine, ());
        let instance = linker
            .$instantiate(&mut store, &module)
            .map_err(|e| fail("instantiate", e))?;
        let load = start.elapsed();

        let run = instance
            .get_typed_func::<i32, i64>(&mut store, "run")
            .map_err(|e| fail("export run", e))?;
        let start = Instant::now();
        let checksum = run.call(&mut store, $n).map_err(|e| fail("run", e))?;
        Ok(Timing {
            load,
            run: start.elapsed(),
            checksum,
        })
    }};
}

fn spur_measure(jit: bool, bytes: &[u8], n: i32) -> Result<Timing, String> {
    let mut config = spur::Config::new();
    config.jit(jit);
    measure!(spur, spur::Engine::new(&config), instantiate, bytes, n)
}

fn wasmi_measure(bytes: &[u8], n: i32) -> Result<Timing, String> {
    measure!(
        wasmi,
        wasmi::Engine::default(),
        instantiate_and_start,
        bytes,
        n
    )
}

fn wasmtime_measure(strategy: wasmtime::Strategy, bytes: &[u8], n: i32) -> Result<Timing, String> {
    let mut config = wasmtime::Config::new();
    config.strategy(strategy);
    let engine = wasmtime::Engine::new(&config).map_err(|e| fail("engine", e))?;
    measure!(wasmtime, engine, instantiate, bytes, n)
}

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
    /// spur's interpreter with fuel metering (more fuel than any run needs).
    SpurInterpFuel,
    /// spur's interpreter with epoch interruption (a deadline that never comes).
    SpurInterpEpochs,
    /// spur with the JIT and fuel metering.
    SpurJitFuel,
    /// spur with the JIT and epoch interruption.
    SpurJitEpochs,
    /// spur's interpreter in the plain build (a plain dependency, default release profile;
    /// see `plain`).
    SpurInterpPlain,
    /// spur with the JIT in the plain build.
    SpurJitPlain,
    /// wasmi in the plain build.
    WasmiPlain,
}

/// An embedder control that costs checks in the code (`--controls` measures the cost).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Control {
    None,
    /// `Config::consume_fuel`, with more fuel than any run needs.
    Fuel,
    /// `Config::epoch_interruption`, with a deadline that never comes.
    Epochs,
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

    /// spur with and without each control, for `--controls`: each base configuration,
    /// then it with fuel, then with epochs.
    pub const CONTROLS: [EngineKind; 6] = [
        EngineKind::SpurInterp,
        EngineKind::SpurInterpFuel,
        EngineKind::SpurInterpEpochs,
        EngineKind::SpurJit,
        EngineKind::SpurJitFuel,
        EngineKind::SpurJitEpochs,
    ];

    /// Every engine, then spur and wasmi in the plain build, for `--plain`.
    pub const PLAIN: [EngineKind; 8] = [
        EngineKind::SpurInterp,
        EngineKind::SpurJit,
        EngineKind::Wasmi,
        EngineKind::Wasmtime,
        EngineKind::Winch,
        EngineKind::SpurInterpPlain,
        EngineKind::SpurJitPlain,
        EngineKind::WasmiPlain,
    ];

    /// The same engine in the tuned build, if this is one of the plain build's.
    pub fn tuned(self) -> Option<EngineKind> {
        match self {
            EngineKind::SpurInterpPlain => Some(EngineKind::SpurInterp),
            EngineKind::SpurJitPlain => Some(EngineKind::SpurJit),
            EngineKind::WasmiPlain => Some(EngineKind::Wasmi),
            _ => None,
        }
    }

    /// The configuration without its control, and the control.
    pub fn split(self) -> (EngineKind, Control) {
        match self {
            EngineKind::SpurInterpFuel => (EngineKind::SpurInterp, Control::Fuel),
            EngineKind::SpurInterpEpochs => (EngineKind::SpurInterp, Control::Epochs),
            EngineKind::SpurJitFuel => (EngineKind::SpurJit, Control::Fuel),
            EngineKind::SpurJitEpochs => (EngineKind::SpurJit, Control::Epochs),
            e => (e, Control::None),
        }
    }

    /// The engine's name in tables and on the child command line.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::SpurInterpFuel => "spur-interp+fuel",
            EngineKind::SpurInterpEpochs => "spur-interp+epochs",
            EngineKind::SpurJitFuel => "spur-jit+fuel",
            EngineKind::SpurJitEpochs => "spur-jit+epochs",
            EngineKind::SpurInterpPlain => "spur-interp-plain",
            EngineKind::SpurJitPlain => "spur-jit-plain",
            EngineKind::WasmiPlain => "wasmi-plain",
            EngineKind::SpurInterp => "spur-interp",
            EngineKind::SpurJit => "spur-jit",
            EngineKind::Wasmi => "wasmi",
            EngineKind::Wasmtime => "wasmtime",
            EngineKind::Winch => "winch",
        }
    }

    /// The engine with the given name.
    pub fn from_name(name: &str) -> Option<EngineKind> {
        EngineKind::ALL
            .into_iter()
            .chain(EngineKind::CONTROLS)
            .find(|e| e.name() == name)
    }

    /// Loads `bytes`, instantiates it and calls `run(n)` once, timing both phases.
    pub fn measure(self, bytes: &[u8], n: i32) -> Result<Timing, String> {
        let (base, control) = self.split();
        match base {
            EngineKind::SpurInterp => spur_measure(false, control, bytes, n),
            EngineKind::SpurJit => spur_measure(true, control, bytes, n),
            EngineKind::Wasmi => wasmi_measure(bytes, n),
            EngineKind::Wasmtime => wasmtime_measure(wasmtime::Strategy::Cranelift, bytes, n),
            _ => wasmtime_measure(wasmtime::Strategy::Winch, bytes, n),
        }
    }
}

include!("../plain/measure.rs");

fn spur_measure(jit: bool, control: Control, bytes: &[u8], n: i32) -> Result<Timing, String> {
    let mut config = spur::Config::new();
    config
        .jit(jit)
        .consume_fuel(control == Control::Fuel)
        .epoch_interruption(control == Control::Epochs);
    let engine = spur::Engine::new(&config);
    match control {
        Control::None => measure!(spur, engine, instantiate, bytes, n),
        Control::Fuel => measure!(spur, engine, instantiate, bytes, n, |store| store
            .set_fuel(u64::MAX)
            .map_err(|e| fail("set_fuel", e))),
        Control::Epochs => measure!(spur, engine, instantiate, bytes, n, |store| {
            store.set_epoch_deadline(u64::MAX);
            Ok(())
        }),
    }
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

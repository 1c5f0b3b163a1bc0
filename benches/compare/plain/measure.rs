// The one measurement, shared by spur-compare (`src/engines.rs`) and the plain build's
// child (`plain/main.rs`), which both `include!` this file: what a measurement returns, the
// host function the kernels import, and the `measure!` macro that times load and `run(n)`.

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
/// one timed `run(n)`; `$prepare` sets the store up (spur's controls) before instantiation.
macro_rules! measure {
    ($krate:ident, $engine:expr, $instantiate:ident, $bytes:expr, $n:expr) => {
        measure!($krate, $engine, $instantiate, $bytes, $n, |_| Ok(()))
    };
    ($krate:ident, $engine:expr, $instantiate:ident, $bytes:expr, $n:expr, $prepare:expr) => {{
        let engine = $engine;
        let mut linker = $krate::Linker::<()>::new(&engine);
        linker
            .func_wrap("env", "host_mix", host_mix)
            .map_err(|e| fail("define host_mix", e))?;

        let start = Instant::now();
        let module = $krate::Module::new(&engine, $bytes).map_err(|e| fail("compile", e))?;
        let mut store = $krate::Store::new(&engine, ());
        let prepare: fn(&mut $krate::Store<()>) -> Result<(), String> = $prepare;
        prepare(&mut store)?;
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

//! Running a WASI preview 1 command (a real program of `benches/programs`) on each engine,
//! with each engine's own WASI implementation: `spur::wasi`, `wasmi_wasi` (wasi-common) and
//! `wasmtime-wasi` (its preview 1 layer, synchronous).
//!
//! The treatment mirrors the kernels' (see `engines`): the engine, the linker with the WASI
//! functions and the WASI context (arguments, stdin bytes, in-memory stdout and stderr) are
//! made untimed; the load timer covers bytes -> `Module` -> instantiated; the run timer covers
//! the call of `_start`. The program gets no environment variables and no directories.

use crate::engines::{EngineKind, fail};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The most a program may write to stdout or stderr (wasmtime-wasi's pipes need a bound).
const OUTPUT_CAP: usize = 64 << 20;

/// The result of running one program once.
pub struct WasiRun {
    /// Bytes -> compiled module -> instantiated.
    pub load: Duration,
    /// The call of `_start`.
    pub run: Duration,
    /// The exit status: 0 when `_start` returned, else the status passed to `proc_exit`.
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl EngineKind {
    /// Loads `bytes` as a WASI command, and runs it once with `argv` and `stdin`.
    pub fn run_wasi(self, bytes: &[u8], argv: &[String], stdin: &[u8]) -> Result<WasiRun, String> {
        // Programs run without controls (`--controls` measures kernels).
        match self.split().0 {
            EngineKind::SpurInterp => spur_run(false, bytes, argv, stdin),
            EngineKind::SpurJit => spur_run(true, bytes, argv, stdin),
            EngineKind::Wasmi => wasmi_run(bytes, argv, stdin),
            EngineKind::Wasmtime => wasmtime_run(wasmtime::Strategy::Cranelift, bytes, argv, stdin),
            _ => wasmtime_run(wasmtime::Strategy::Winch, bytes, argv, stdin),
        }
    }
}

/// Load, then the timed call of `_start`, for engines whose APIs spell it alike; `$exit`
/// maps the call's error to `Some(exit status)` when it is a `proc_exit`.
macro_rules! load_and_start {
    ($krate:ident, $engine:expr, $linker:expr, $ctx:expr, $instantiate:ident, $bytes:expr, $exit:expr) => {{
        let engine = &$engine;
        let linker = &$linker;
        let start = Instant::now();
        let module = $krate::Module::new(engine, $bytes).map_err(|e| fail("compile", e))?;
        let mut store = $krate::Store::new(engine, $ctx);
        let instance = linker
            .$instantiate(&mut store, &module)
            .map_err(|e| fail("instantiate", e))?;
        let load = start.elapsed();

        let entry = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(|e| fail("export _start", e))?;
        let start = Instant::now();
        let result = entry.call(&mut store, ());
        let run = start.elapsed();
        let status = match result {
            Ok(()) => 0,
            Err(e) => match $exit(&e) {
                Some(status) => status,
                None => return Err(fail("run", e)),
            },
        };
        (load, run, status)
    }};
}

fn spur_run(jit: bool, bytes: &[u8], argv: &[String], stdin: &[u8]) -> Result<WasiRun, String> {
    use spur::wasi::{MemoryInputPipe, MemoryOutputPipe, WasiCtx, WasiCtxBuilder};
    let mut config = spur::Config::new();
    config.jit(jit);
    let engine = spur::Engine::new(&config);
    let mut linker = spur::Linker::<WasiCtx>::new(&engine);
    spur::wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx)
        .map_err(|e| fail("define WASI", e))?;
    let (stdout, stderr) = (MemoryOutputPipe::new(), MemoryOutputPipe::new());
    let ctx = WasiCtxBuilder::new()
        .args(argv)
        .stdin(MemoryInputPipe::new(stdin))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build();
    let (load, run, status) = load_and_start!(
        spur,
        engine,
        linker,
        ctx,
        instantiate,
        bytes,
        spur::Error::i32_exit_status
    );
    Ok(WasiRun {
        load,
        run,
        status,
        stdout: stdout.contents(),
        stderr: stderr.contents(),
    })
}

/// An in-memory stdout or stderr for wasi-common: clones share the buffer.
fn wasmi_pipe() -> (Arc<RwLock<Vec<u8>>>, Box<dyn wasmi_wasi::WasiFile>) {
    let buf = Arc::new(RwLock::new(Vec::new()));
    let pipe = wasmi_wasi::wasi_common::pipe::WritePipe::from_shared(Arc::clone(&buf));
    (buf, Box::new(pipe))
}

/// The bytes written to a [`wasmi_pipe`].
fn wasmi_contents(buf: &RwLock<Vec<u8>>) -> Vec<u8> {
    buf.read()
        .map_or_else(|e| e.into_inner().clone(), |b| b.clone())
}

fn wasmi_run(bytes: &[u8], argv: &[String], stdin: &[u8]) -> Result<WasiRun, String> {
    use wasmi_wasi::wasi_common::pipe::ReadPipe;
    let engine = wasmi::Engine::default();
    let mut linker = wasmi::Linker::<wasmi_wasi::WasiCtx>::new(&engine);
    wasmi_wasi::add_to_linker(&mut linker, |cx| cx).map_err(|e| fail("define WASI", e))?;
    let (stdout, stdout_file) = wasmi_pipe();
    let (stderr, stderr_file) = wasmi_pipe();
    let ctx = wasmi_wasi::WasiCtxBuilder::new()
        .args(argv)
        .map_err(|e| fail("WASI arguments", e))?
        .stdin(Box::new(ReadPipe::from(stdin)))
        .stdout(stdout_file)
        .stderr(stderr_file)
        .build();
    let (load, run, status) = load_and_start!(
        wasmi,
        engine,
        linker,
        ctx,
        instantiate_and_start,
        bytes,
        wasmi::Error::i32_exit_status
    );
    Ok(WasiRun {
        load,
        run,
        status,
        stdout: wasmi_contents(&stdout),
        stderr: wasmi_contents(&stderr),
    })
}

fn wasmtime_run(
    strategy: wasmtime::Strategy,
    bytes: &[u8],
    argv: &[String],
    stdin: &[u8],
) -> Result<WasiRun, String> {
    use wasmtime_wasi::p1::WasiP1Ctx;
    use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
    let mut config = wasmtime::Config::new();
    config.strategy(strategy);
    let engine = wasmtime::Engine::new(&config).map_err(|e| fail("engine", e))?;
    let mut linker = wasmtime::Linker::<WasiP1Ctx>::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx)
        .map_err(|e| fail("define WASI", e))?;
    let (stdout, stderr) = (
        MemoryOutputPipe::new(OUTPUT_CAP),
        MemoryOutputPipe::new(OUTPUT_CAP),
    );
    let ctx = wasmtime_wasi::WasiCtxBuilder::new()
        .args(argv)
        .stdin(MemoryInputPipe::new(stdin.to_vec()))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build_p1();
    let exit = |e: &wasmtime::Error| e.downcast_ref::<wasmtime_wasi::I32Exit>().map(|x| x.0);
    let (load, run, status) =
        load_and_start!(wasmtime, engine, linker, ctx, instantiate, bytes, exit);
    Ok(WasiRun {
        load,
        run,
        status,
        stdout: stdout.contents().to_vec(),
        stderr: stderr.contents().to_vec(),
    })
}

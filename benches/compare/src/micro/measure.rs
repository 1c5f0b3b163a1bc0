//! The child side of `--micro`: one bench on one engine, in this process.
//!
//! The three APIs (spur, wasmi, wasmtime) share their names (`Engine`, `Module`, `Store`,
//! `Linker`, `TypedFunc`), so the benches common to all engines are written once, in the
//! `api_benches!` macro, and instantiated per crate; only translation differs per engine.

use super::{Bench, Metric};
use crate::engines::{EngineKind, fail, host_mix};
use crate::manifest;
use std::fmt::Display;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Timed instantiations per child (after [`WARMUP`] untimed ones); the child reports the median.
pub(super) const INSTANTIATIONS: usize = 1000;
/// Untimed instantiations or calls before the timed ones.
const WARMUP: usize = 100;
/// Timed host-to-wasm calls per child.
pub(super) const CALLS: i32 = 1_000_000;
/// Iterations of the wasm-to-host call loop and of the empty loop.
pub(super) const LOOP_ITERATIONS: i32 = 10_000_000;

/// The module of the call benches: `nop` and `id` for host-to-wasm calls, `host_loop` (calls
/// the host's `env.id` once per iteration) and `empty_loop` for wasm-to-host calls.
const CALLS_WAT: &str = r#"
(module
  (import "env" "id" (func $id (param i32) (result i32)))
  (func (export "nop"))
  (func (export "id") (param i32) (result i32) (local.get 0))
  (func (export "host_loop") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $id (i32.add (local.get $acc) (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "empty_loop") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
"#;

/// What a bench returns: metrics and their values (nanoseconds or bytes).
type Metrics = Vec<(Metric, f64)>;

/// The `.wasm` bytes of the benchmark called `name` (a kernel, or `startup`).
fn read_wasm(name: &str) -> Result<Vec<u8>, String> {
    let path = manifest::wasm_path(name);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a LEB128 `u32` at `*pos`, advancing `*pos`.
fn read_u32(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u32::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The size in bytes of the code section's contents (section id 10) of a binary module.
pub fn code_section_len(bytes: &[u8]) -> Option<usize> {
    let mut pos = 8; // magic and version
    while pos < bytes.len() {
        let id = bytes[pos];
        pos += 1;
        let len = read_u32(bytes, &mut pos)? as usize;
        if id == 10 {
            return Some(len);
        }
        pos = pos.checked_add(len)?;
    }
    None
}

/// The size of startup.wasm's code section, the bytes the translation rates are counted in.
pub fn startup_code_len() -> Result<usize, String> {
    code_section_len(&read_wasm(manifest::STARTUP)?)
        .ok_or_else(|| "startup.wasm: no code section".to_string())
}

fn nanos(d: Duration) -> f64 {
    d.as_nanos() as f64
}

/// Calls `call` [`WARMUP`] times, then times [`CALLS`] calls; returns nanoseconds per call.
fn per_call<E: Display>(mut call: impl FnMut(i32) -> Result<i32, E>) -> Result<f64, String> {
    let mut acc = 0i32;
    for i in 0..WARMUP as i32 {
        acc = acc.wrapping_add(call(i).map_err(|e| fail("call", e))?);
    }
    let start = Instant::now();
    for i in 0..CALLS {
        acc = acc.wrapping_add(call(black_box(i)).map_err(|e| fail("call", e))?);
    }
    let elapsed = start.elapsed();
    black_box(acc);
    Ok(nanos(elapsed) / f64::from(CALLS))
}

/// Runs the loop `run(n)` once with a small n, then times it with [`LOOP_ITERATIONS`];
/// returns nanoseconds per iteration.
fn per_iteration<E: Display>(mut run: impl FnMut(i32) -> Result<i32, E>) -> Result<f64, String> {
    black_box(run(WARMUP as i32).map_err(|e| fail("warm-up", e))?);
    let start = Instant::now();
    let acc = run(black_box(LOOP_ITERATIONS)).map_err(|e| fail("loop", e))?;
    let elapsed = start.elapsed();
    black_box(acc);
    Ok(nanos(elapsed) / f64::from(LOOP_ITERATIONS))
}

/// Generates module `$m` with the benches common to all engines over the API of crate `$k`,
/// whose linker instantiates (and starts) with method `$instantiate`.
macro_rules! api_benches {
    ($m:ident, $k:ident, $instantiate:ident) => {
        #[doc = concat!("The engine-independent micro benches over `", stringify!($k), "`.")]
        mod $m {
            use super::*;

            /// Times `Module::new` of `bytes`.
            pub fn module_new(
                engine: &$k::Engine,
                bytes: &[u8],
            ) -> Result<($k::Module, Duration), String> {
                let start = Instant::now();
                let module = $k::Module::new(engine, bytes).map_err(|e| fail("compile", e))?;
                Ok((module, start.elapsed()))
            }

            /// A linker with `env.host_mix` (the kernels' import) and `env.id`.
            fn linker(engine: &$k::Engine) -> Result<$k::Linker<()>, String> {
                let mut linker = $k::Linker::<()>::new(engine);
                linker
                    .func_wrap("env", "host_mix", host_mix)
                    .map_err(|e| fail("define host_mix", e))?;
                linker
                    .func_wrap("env", "id", |x: i32| x)
                    .map_err(|e| fail("define id", e))?;
                Ok(linker)
            }

            /// The median time of one `Store::new` + instantiation of `bytes`, compiled
            /// once beforehand. Dropping the store is not timed.
            fn instantiate(engine: &$k::Engine, bytes: &[u8]) -> Result<f64, String> {
                let (module, _) = module_new(engine, bytes)?;
                let linker = linker(engine)?;
                let mut times = Vec::with_capacity(INSTANTIATIONS);
                for i in 0..WARMUP + INSTANTIATIONS {
                    let start = Instant::now();
                    let mut store = $k::Store::new(engine, ());
                    let instance = linker
                        .$instantiate(&mut store, &module)
                        .map_err(|e| fail("instantiate", e))?;
                    let elapsed = start.elapsed();
                    black_box(instance);
                    drop(store);
                    if i >= WARMUP {
                        times.push(nanos(elapsed));
                    }
                }
                Ok(super::super::median(&times).unwrap_or(f64::NAN))
            }

            /// An instance of [`CALLS_WAT`] in a fresh store.
            fn calls_instance(
                engine: &$k::Engine,
            ) -> Result<($k::Store<()>, $k::Instance), String> {
                let bytes = wat::parse_str(CALLS_WAT).map_err(|e| fail("wat", e))?;
                let (module, _) = module_new(engine, &bytes)?;
                let mut store = $k::Store::new(engine, ());
                let instance = linker(engine)?
                    .$instantiate(&mut store, &module)
                    .map_err(|e| fail("instantiate", e))?;
                Ok((store, instance))
            }

            /// Host-to-wasm calls of `nop` and `id`.
            fn calls(engine: &$k::Engine) -> Result<Metrics, String> {
                let (mut store, instance) = calls_instance(engine)?;
                let nop = instance
                    .get_typed_func::<(), ()>(&mut store, "nop")
                    .map_err(|e| fail("export nop", e))?;
                let id = instance
                    .get_typed_func::<i32, i32>(&mut store, "id")
                    .map_err(|e| fail("export id", e))?;
                let nop_ns = per_call(|_| nop.call(&mut store, ()).map(|()| 0))?;
                let id_ns = per_call(|x| id.call(&mut store, x))?;
                Ok(vec![(Metric::CallNop, nop_ns), (Metric::CallId, id_ns)])
            }

            /// The wasm loop with a host call per iteration, and the empty loop.
            fn host_calls(engine: &$k::Engine) -> Result<Metrics, String> {
                let (mut store, instance) = calls_instance(engine)?;
                let host_loop = instance
                    .get_typed_func::<i32, i32>(&mut store, "host_loop")
                    .map_err(|e| fail("export host_loop", e))?;
                let empty_loop = instance
                    .get_typed_func::<i32, i32>(&mut store, "empty_loop")
                    .map_err(|e| fail("export empty_loop", e))?;
                let host_ns = per_iteration(|n| host_loop.call(&mut store, n))?;
                let empty_ns = per_iteration(|n| empty_loop.call(&mut store, n))?;
                Ok(vec![
                    (Metric::HostLoop, host_ns),
                    (Metric::EmptyLoop, empty_ns),
                ])
            }

            /// The benches every engine runs the same way; `Translate` times `Module::new`
            /// of startup.wasm only.
            pub fn common(engine: &$k::Engine, bench: Bench) -> Result<Metrics, String> {
                match bench {
                    Bench::Translate => {
                        let (_, t) = module_new(engine, &read_wasm(manifest::STARTUP)?)?;
                        Ok(vec![(Metric::ModuleNew, nanos(t))])
                    }
                    Bench::InstantiateFib => Ok(vec![(
                        Metric::InstantiateFib,
                        instantiate(engine, &read_wasm("fib")?)?,
                    )]),
                    Bench::InstantiateQuicksort => Ok(vec![(
                        Metric::InstantiateQuicksort,
                        instantiate(engine, &read_wasm("quicksort")?)?,
                    )]),
                    Bench::Call => calls(engine),
                    Bench::HostCall => host_calls(engine),
                    Bench::TranslateEager | Bench::JitTraces => {
                        Err(format!("bench {} does not apply", bench.name()))
                    }
                }
            }
        }
    };
}

api_benches!(spur_api, spur, instantiate);
api_benches!(wasmi_api, wasmi, instantiate_and_start);
api_benches!(wasmtime_api, wasmtime, instantiate);

/// Runs `bench` on `engine` and returns what it measured.
pub fn measure(engine: EngineKind, bench: Bench) -> Result<Metrics, String> {
    if !bench.applies(engine) {
        return Err(format!(
            "bench {} does not apply to {}",
            bench.name(),
            engine.name()
        ));
    }
    // Micro benches measure the engines without controls.
    match engine.split().0 {
        EngineKind::SpurInterp => spur(false, bench),
        EngineKind::SpurJit => spur(true, bench),
        EngineKind::Wasmi => wasmi(bench),
        EngineKind::Wasmtime => wasmtime(wasmtime::Strategy::Cranelift, bench),
        _ => wasmtime(wasmtime::Strategy::Winch, bench),
    }
}

/// spur: `Translate` times `Module::new` (validation and parsing; functions are translated
/// lazily) and then, separately, `Module::translate_all` (every function to slot bytecode).
fn spur(jit: bool, bench: Bench) -> Result<Metrics, String> {
    let mut config = spur::Config::new();
    config.jit(jit);
    let engine = spur::Engine::new(&config);
    match bench {
        Bench::Translate => {
            let (module, new) = spur_api::module_new(&engine, &read_wasm(manifest::STARTUP)?)?;
            let start = Instant::now();
            module
                .translate_all()
                .map_err(|e| fail("translate_all", e))?;
            let all = start.elapsed();
            Ok(vec![
                (Metric::ModuleNew, nanos(new)),
                (Metric::TranslateAll, nanos(all)),
                (Metric::AllTranslated, nanos(new + all)),
            ])
        }
        Bench::JitTraces => jit_trace_metrics(&engine),
        _ => spur_api::common(&engine, bench),
    }
}

/// Per-trace compile time and machine-code size of spur-jit: the loop kernels run at their
/// quick size on `engine` (JIT on), and the JIT's statistics are divided by the number of
/// traces it compiled.
fn jit_trace_metrics(engine: &spur::Engine) -> Result<Metrics, String> {
    const KERNELS: [&str; 6] = ["sieve", "matmul", "nbody", "crc32", "fconv", "i64ops"];
    let kernels = manifest::all()?;
    let (mut traces, mut compile, mut bytes) = (0u64, Duration::ZERO, 0usize);
    for name in KERNELS {
        let kernel = kernels
            .iter()
            .find(|k| k.name == name)
            .ok_or_else(|| format!("kernel `{name}` is not in the manifest"))?;
        let module = spur::Module::new(engine, read_wasm(name)?).map_err(|e| fail(name, e))?;
        let mut store = spur::Store::new(engine, ());
        let instance = spur::Instance::new(&mut store, &module, &[]).map_err(|e| fail(name, e))?;
        let run = instance
            .get_typed_func::<i32, i64>(&mut store, "run")
            .map_err(|e| fail(name, e))?;
        run.call(&mut store, kernel.quick_n)
            .map_err(|e| fail(name, e))?;
        let stats = store.jit_stats();
        traces += stats.traces;
        compile += stats.compile_time;
        bytes += stats.mcode_bytes;
    }
    if traces == 0 {
        return Err("the JIT compiled no traces".to_string());
    }
    Ok(vec![
        (
            Metric::JitCompilePerTrace,
            compile.as_nanos() as f64 / traces as f64,
        ),
        (Metric::JitCodePerTrace, bytes as f64 / traces as f64),
    ])
}

/// wasmi: the default engine translates lazily (`Module::new` validates; each function is
/// translated at its first call); `TranslateEager` uses `CompilationMode::Eager`.
fn wasmi(bench: Bench) -> Result<Metrics, String> {
    if bench != Bench::TranslateEager {
        return wasmi_api::common(&wasmi::Engine::default(), bench);
    }
    let mut config = wasmi::Config::default();
    config.compilation_mode(wasmi::CompilationMode::Eager);
    let engine = wasmi::Engine::new(&config);
    let (_, t) = wasmi_api::module_new(&engine, &read_wasm(manifest::STARTUP)?)?;
    Ok(vec![(Metric::AllTranslated, nanos(t))])
}

/// wasmtime and Winch: `Module::new` compiles every function, so it is also the time to a
/// fully translated module.
fn wasmtime(strategy: wasmtime::Strategy, bench: Bench) -> Result<Metrics, String> {
    let mut config = wasmtime::Config::new();
    config.strategy(strategy);
    let engine = wasmtime::Engine::new(&config).map_err(|e| fail("engine", e))?;
    let mut metrics = wasmtime_api::common(&engine, bench)?;
    if let [(Metric::ModuleNew, t)] = metrics[..] {
        metrics.push((Metric::AllTranslated, t));
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_code_section() {
        // Header, type section (4 bytes), function section (2 bytes), code section (4 bytes).
        let module = [
            0, b'a', b's', b'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0b,
        ];
        assert_eq!(code_section_len(&module), Some(4));
        assert_eq!(code_section_len(&module[..14]), None);
        let mut pos = 0;
        assert_eq!(read_u32(&[0xe5, 0x8e, 0x26], &mut pos), Some(624_485));
    }

    #[test]
    fn calls_module_loops_agree() {
        let bytes = wat::parse_str(CALLS_WAT).unwrap();
        let engine = spur::Engine::default();
        let module = spur::Module::new(&engine, &bytes).unwrap();
        let mut store = spur::Store::new(&engine, ());
        let mut linker = spur::Linker::new(&engine);
        linker.func_wrap("env", "id", |x: i32| x).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        for name in ["host_loop", "empty_loop"] {
            let f = instance
                .get_typed_func::<i32, i32>(&mut store, name)
                .unwrap();
            assert_eq!(f.call(&mut store, 10).unwrap(), 55, "{name}");
        }
    }
}

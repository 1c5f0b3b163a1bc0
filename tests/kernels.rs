//! The benchmark kernels (real C programs compiled to wasm32: loops, recursion, indirect
//! calls, memory-heavy code, floats, i64) run through a small program written only against
//! the public API, and must return the checksums a native build computed
//! (`benches/kernels/MANIFEST`), in the interpreter and with the JIT on (where they must
//! also have run in traces).

use spur::{Caller, Config, Engine, Linker, Module, Store};
use std::path::Path;

/// `env.host_mix`, exactly as `benches/kernels/README.md` defines it.
fn host_mix(x: u32) -> u32 {
    let mut x = x;
    x ^= x >> 15;
    x = x.wrapping_mul(0x2c1b_3c6d);
    x ^= x >> 12;
    x
}

/// What one run of a kernel gave: its result, the host calls it made, and the JIT's
/// statistics for its store.
struct Ran {
    result: i64,
    host_calls: u64,
    stats: spur::JitStats,
}

/// Loads a module exporting `run(i32) -> i64` that may import `env.host_mix(i32) -> i32`,
/// and calls `run(n)`. Counts host calls in the store's data.
fn run_module(engine: &Engine, bytes: &[u8], n: i32) -> Result<Ran, spur::Error> {
    let module = Module::new(engine, bytes)?;
    let mut store = Store::new(engine, 0u64);
    let mut linker = Linker::new(engine);
    linker.func_wrap(
        "env",
        "host_mix",
        |mut caller: Caller<'_, u64>, x: i32| -> i32 {
            *caller.data_mut() += 1;
            host_mix(x as u32) as i32
        },
    )?;
    let instance = linker.instantiate(&mut store, &module)?;
    let run = instance.get_typed_func::<i32, i64>(&mut store, "run")?;
    let result = run.call(&mut store, n)?;
    Ok(Ran {
        result,
        host_calls: *store.data(),
        stats: store.jit_stats(),
    })
}

fn manifest() -> Vec<(String, i32, i64)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/kernels");
    let text = std::fs::read_to_string(dir.join("MANIFEST")).expect("MANIFEST");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[2].parse().unwrap(),
                f[4].parse().unwrap(),
            )
        })
        .collect()
}

/// Kernels with no loop: all their time is in recursive calls, which the JIT does not
/// trace yet, so with the JIT on they still run in the interpreter.
const NO_LOOP: &[&str] = &["fib"];

/// Runs every kernel at its quick size and checks the native checksum, in the
/// interpreter (`jit` false) or with the JIT on at its default settings, where every
/// kernel with a loop must also have compiled and entered traces.
fn check_kernels(jit: bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/kernels");
    let mut config = Config::new();
    config.jit(jit);
    let engine = Engine::new(&config);
    let kernels = manifest();
    assert!(kernels.len() >= 15, "expected the full kernel set");
    // Debug builds interpret ~30x slower: scale the sizes down there, except where the
    // checksum needs the manifest's exact n.
    let release = !cfg!(debug_assertions);
    let mut failures = Vec::new();
    for (name, quick_n, expected) in kernels {
        if !release && name != "fib" {
            continue;
        }
        let bytes = std::fs::read(dir.join(format!("{name}.wasm"))).unwrap();
        match run_module(&engine, &bytes, quick_n) {
            Ok(ran) => {
                if ran.result != expected {
                    failures.push(format!("{name}: got {}, expected {expected}", ran.result));
                }
                if name == "host_call" && ran.host_calls < quick_n as u64 {
                    failures.push(format!("{name}: only {} host calls", ran.host_calls));
                }
                let traced = ran.stats.traces >= 1 && ran.stats.entries >= 1;
                if jit && release && !NO_LOOP.contains(&name.as_str()) && !traced {
                    failures.push(format!("{name}: the JIT did not run it:\n{}", ran.stats));
                }
                // Every instruction the kernels run has a recording; one without (a new
                // or fused form the recorder misses) would leave its loops interpreted.
                let unknown = ran
                    .stats
                    .aborts
                    .iter()
                    .any(|(why, _)| why.contains("not implemented"));
                if jit && unknown {
                    failures.push(format!(
                        "{name}: a recording met an unknown instruction:\n{}",
                        ran.stats
                    ));
                }
                if !jit && ran.stats.traces > 0 {
                    failures.push(format!("{name}: traces with the JIT off"));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "kernel failures:\n{}",
        failures.join("\n")
    );
}

/// Also a guard on the interpreter's threaded dispatch, where each instruction's function
/// jumps to the next one's: if the compiler made one of those jumps a call, the native
/// stack would grow with every instruction run. The kernels run millions of instructions
/// of most kinds, here on a thread with a small stack (512 KiB, a quarter of a test
/// thread's), which a single call per instruction would overflow many times over.
#[test]
fn kernels_match_native_checksums_in_the_interpreter() {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(|| check_kernels(false))
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn kernels_match_native_checksums_with_the_jit() {
    check_kernels(true);
}

#[test]
fn kernel_instances_are_independent_and_rerunnable() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/kernels");
    let engine = Engine::default();
    let bytes = std::fs::read(dir.join("fib.wasm")).unwrap();
    let module = Module::new(&engine, &bytes).unwrap();
    let mut store = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let a = linker.instantiate(&mut store, &module).unwrap();
    let b = linker.instantiate(&mut store, &module).unwrap();
    let fa = a.get_typed_func::<i32, i64>(&mut store, "run").unwrap();
    let fb = b.get_typed_func::<i32, i64>(&mut store, "run").unwrap();
    // fib(20) = 6765, computed independently of the engine.
    assert_eq!(fa.call(&mut store, 20).unwrap(), 6765);
    assert_eq!(fb.call(&mut store, 20).unwrap(), 6765);
    assert_eq!(fa.call(&mut store, 20).unwrap(), 6765);
}

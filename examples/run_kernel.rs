//! Runs one benchmark kernel: `cargo run --release --example run_kernel -- benches/kernels/fib.wasm 30`
//! (add `--no-jit` to interpret only, `--stats` for the JIT's statistics, `--dump` for
//! the traces, `--jit-param=NAME=VALUE` to set a JIT tunable, `--epochs` for epoch
//! interruption with a deadline that never comes, `--fuel` for fuel metering with more
//! fuel than any run needs: to measure what the checks cost), `--lazy` to validate function
//! bodies at their first call, `--perf-map` to name every trace for `perf`.
use spur::{Config, Engine, Linker, Module, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: run_kernel FILE.wasm N")?;
    let n: i32 = args
        .get(2)
        .ok_or("usage: run_kernel FILE.wasm N")?
        .parse()?;
    let mut config = Config::new();
    config.jit(!args.iter().any(|a| a == "--no-jit"));
    let epochs = args.iter().any(|a| a == "--epochs");
    config.epoch_interruption(epochs);
    if args.iter().any(|a| a == "--lazy") {
        config.compilation_mode(spur::CompilationMode::Lazy);
    }
    if args.iter().any(|a| a == "--perf-map") {
        config.profiler(spur::ProfilingStrategy::PerfMap);
    }
    let fuel = args.iter().any(|a| a == "--fuel");
    config.consume_fuel(fuel);
    for p in args.iter().filter_map(|a| a.strip_prefix("--jit-param=")) {
        let (name, value) = p.split_once('=').ok_or("--jit-param=NAME=VALUE")?;
        config.jit_param(name, value.parse()?)?;
    }
    let engine = Engine::new(&config);
    let t0 = std::time::Instant::now();
    let module = Module::new(&engine, std::fs::read(path)?)?;
    let mut store = Store::new(&engine, ());
    if epochs {
        store.set_epoch_deadline(u64::MAX);
    }
    if fuel {
        store.set_fuel(u64::MAX)?;
    }
    if args.iter().any(|a| a == "--dump") {
        store.set_trace_dump(std::io::stderr());
    }
    let mut linker = Linker::new(&engine);
    linker.func_wrap("env", "host_mix", |x: u32| -> u32 {
        let mut x = x;
        x ^= x >> 15;
        x = x.wrapping_mul(0x2c1b_3c6d);
        x ^= x >> 12;
        x
    })?;
    let instance = linker.instantiate(&mut store, &module)?;
    let run = instance.get_typed_func::<i32, i64>(&mut store, "run")?;
    let t1 = std::time::Instant::now();
    let r = run.call(&mut store, n)?;
    let t2 = std::time::Instant::now();
    println!("{r} load={:?} run={:?}", t1 - t0, t2 - t1);
    if args.iter().any(|a| a == "--stats") {
        println!("{}", store.jit_stats());
    }
    Ok(())
}

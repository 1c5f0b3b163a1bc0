use spur::{Caller, Config, Engine, Linker, Module, Store, Val};
fn main() {
    let wat = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let jit = std::env::args().nth(2).is_some();
    let mut config = Config::new();
    let fuel = std::env::var("FUEL").is_ok();
    config.consume_fuel(fuel);
    config.collect_profile(std::env::var("PROFILE").is_ok());
    config.epoch_interruption(std::env::var("EPOCH").is_ok());
    config.jit(jit);
    if jit {
        for (k, v) in [
            ("hotloop", 1),
            ("hotcall", 1),
            ("hostsize", 1),
            ("hotexit", 1),
            ("maxtrace", 4000),
            ("maxpoly", 1),
            ("cpuext", 1),
            ("blind", 1),
            ("bodylink", 0),
            ("budget", 100),
        ] {
            let v = std::env::var(k).map(|s| s.parse().unwrap()).unwrap_or(v);
            config.jit_param(k, v).unwrap();
        }
    }
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wat.as_bytes()).unwrap();
    let mut store = Store::new(&engine, ());
    if fuel {
        store.set_fuel(100000).unwrap();
    }
    store.set_epoch_deadline(u64::MAX);
    if jit {
        store.set_trace_log(std::fs::File::create("/tmp/fb.log").unwrap());
    }
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "mix", |_c: Caller<'_, ()>, a: i32, b: i64| -> i64 {
            b ^ a as i64
        })
        .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let f = inst.get_func(&mut store, "run").unwrap();
    for call in 0..2 {
        let before = store.get_fuel().unwrap_or(0);
        let mut out = vec![Val::I32(0); 8];
        let r = f.call(&mut store, &[Val::I32(0)], &mut out);
        println!(
            "call {call}: {:?} consumed {} {:?}",
            r.is_ok(),
            before.saturating_sub(store.get_fuel().unwrap_or(0)),
            &out[..2]
        );
    }
}

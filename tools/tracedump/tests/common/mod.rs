//! What the tests of `tracedump` share: logs of spur's `traces/` programs written by
//! spur itself, and running the `tracedump` binary.

#[path = "../../../../tests/support/mod.rs"]
pub mod support;

use spur::{Config, Engine, Linker, Module, Store, Val};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{Shared, host_mix};

pub fn spur_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The trace log of one run of program `name`.
pub fn log_of(name: &str, args: &[Val]) -> String {
    log_with(name, args, &[])
}

/// [`log_of`] with JIT tunables set besides those (name, value), as spur's golden-trace
/// test sets them for some programs.
pub fn log_with(name: &str, args: &[Val], params: &[(&str, u32)]) -> String {
    let mut config = Config::new();
    config.jit(true);
    config.jit_param("hotloop", 2).unwrap();
    config.jit_param("budget", 100).unwrap();
    for &(param, value) in params {
        config.jit_param(param, value).unwrap();
    }
    let engine = Engine::new(&config);
    let path = spur_dir().join(format!("traces/{name}.wat"));
    let module = Module::from_file(&engine, path).unwrap();
    let mut store = Store::new(&engine, ());
    let log = Shared::default();
    store.set_trace_log(log.clone());
    let mut linker = Linker::new(&engine);
    // `env.mix`, which `host_call.wat` imports.
    linker.func_wrap("env", "mix", host_mix).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_func(&mut store, "run").unwrap();
    let ty = run.ty(&store);
    let mut results: Vec<Val> = ty
        .results()
        .iter()
        .map(|&t| Val::default_for_ty(t))
        .collect();
    // `trapping_div` traps; its log is complete all the same.
    let _ = run.call(&mut store, args, &mut results);
    drop(store);
    log.text()
}

/// Runs `tracedump` with `args`: (stdout, stderr, exit status).
pub fn tracedump(args: &[&str]) -> (String, String, i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_tracedump"))
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        text(o.stdout),
        text(o.stderr),
        o.status.code().unwrap_or(-1),
    )
}

//! `ProfilingStrategy::PerfMap`: every trace is named in `/tmp/perf-<pid>.map`, no address
//! ever names two traces (evictions and dropped stores included), and `perf report` shows
//! the names when this machine lets `perf record` run.
//!
//! One test per concern, each in this one process: the map is per process, so the tests
//! run one after the other (`MAP_LOCK`) and each reads only the lines it added.

use spur::{Config, Engine, Instance, Module, ProfilingStrategy, Store};
use std::process::Command;
use std::sync::Mutex;

static MAP_LOCK: Mutex<()> = Mutex::new(());

/// `run(n)`: eight loops one after the other, each `n` iterations of different
/// arithmetic, so that eight root traces compete for `maxtrace` places.
fn program() -> String {
    let loops: String = (1..=8)
        .map(|k| {
            format!(
                "(local.set $i (i32.const 0))
                 (loop $l{k}
                   (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const {m}))
                                            (i32.xor (local.get $i) (i32.const {k}))))
                   (local.set $i (i32.add (local.get $i) (i32.const 1)))
                   (br_if $l{k} (i32.lt_u (local.get $i) (local.get $n))))",
                m = 2 * k + 1
            )
        })
        .collect();
    format!(
        "(module (func $run (export \"run\") (param $n i32) (result i32)
           (local $i i32) (local $acc i32) {loops} (local.get $acc)))"
    )
}

/// The lines of the map from byte `from` on: `(start, size, name)`.
fn map_lines(from: usize) -> Vec<(u64, u64, String)> {
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text[from.min(text.len())..]
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let mut hex = || u64::from_str_radix(parts.next().unwrap(), 16).unwrap();
            let (start, size) = (hex(), hex());
            (start, size, parts.next().unwrap().to_string())
        })
        .collect()
}

fn map_len() -> usize {
    std::fs::metadata(format!("/tmp/perf-{}.map", std::process::id()))
        .map_or(0, |m| m.len() as usize)
}

/// Runs `run(n)` `times` times in a fresh store with `maxtrace` 2; the JIT's statistics.
fn run_store(engine: &Engine, times: usize) -> spur::JitStats {
    let module = Module::new(engine, program()).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let want = run.call(&mut store, 3000).unwrap();
    for _ in 1..times {
        assert_eq!(run.call(&mut store, 3000).unwrap(), want);
    }
    store.jit_stats()
}

#[test]
fn every_trace_is_named_and_no_address_names_two() {
    let _lock = MAP_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let from = map_len();
    let mut config = Config::new();
    config
        .profiler(ProfilingStrategy::PerfMap)
        .jit_param("maxtrace", 2)
        .unwrap()
        .jit_param("budget", 100)
        .unwrap();
    let engine = Engine::new(&config);
    // Two stores, the first dropped before the second starts: its addresses stay taken.
    let first = run_store(&engine, 4);
    let second = run_store(&engine, 4);
    assert!(first.evicted > 0 && second.evicted > 0, "{first}\n{second}");

    let lines = map_lines(from);
    assert_eq!(
        lines.len() as u64,
        first.traces + second.traces,
        "{lines:#?}"
    );
    for (k, (_, size, name)) in lines.iter().enumerate() {
        assert!(*size > 0, "{name}");
        // Each store numbers its traces from 1, in the order they were compiled.
        let n = if k < first.traces as usize {
            k + 1
        } else {
            k + 1 - first.traces as usize
        };
        assert!(
            name.starts_with(&format!("spur trace {n} root run loop ")),
            "line {k}: {name}"
        );
    }
    let mut ranges: Vec<(u64, u64)> = lines.iter().map(|&(s, n, _)| (s, s + n)).collect();
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlapping trace code: {w:x?}");
    }
}

#[test]
fn without_the_strategy_nothing_is_written() {
    let _lock = MAP_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let from = map_len();
    let mut config = Config::new();
    config.jit_param("budget", 100).unwrap();
    let stats = run_store(&Engine::new(&config), 2);
    assert!(stats.traces > 0);
    assert_eq!(map_len(), from);
}

/// `perf record` on `spur invoke --profile=perfmap`, then `perf report`: the samples in
/// trace code carry the traces' names. Skipped, saying why, where `perf` is missing or
/// the kernel does not let it record.
#[test]
fn perf_report_names_the_traces() {
    if std::env::var_os("SPUR_TEST_RUNNER").is_some() {
        // The binary is for another machine (run under an emulator): perf would try to
        // execute it natively, and a shell then reads it as a script.
        eprintln!("skipped: perf cannot record a binary run through SPUR_TEST_RUNNER");
        return;
    }
    let dir = std::env::temp_dir().join(format!("spur-perfmap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wat = dir.join("loops.wat");
    std::fs::write(&wat, program()).unwrap();
    let data = dir.join("perf.data");
    let record = Command::new("perf")
        .args(["record", "-q", "-o"])
        .arg(&data)
        .args([
            "--",
            env!("CARGO_BIN_EXE_spur"),
            "invoke",
            "--profile=perfmap",
        ])
        .arg(&wat)
        .args(["run", "3000000"])
        .output();
    let record = match record {
        Err(e) => {
            eprintln!("skipped: cannot run perf ({e}); `.ci/run` installs Debian's linux-perf");
            return;
        }
        Ok(o) if !o.status.success() => {
            eprintln!(
                "skipped: perf record failed here (the kernel may not allow it, see \
                 /proc/sys/kernel/perf_event_paranoid): {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Ok(o) => o,
    };
    assert!(
        String::from_utf8_lossy(&record.stdout)
            .trim()
            .parse::<i32>()
            .is_ok()
    );
    let report = Command::new("perf")
        .args(["report", "--stdio", "--sort", "sym", "-i"])
        .arg(&data)
        .output()
        .expect("perf ran once already");
    let text = String::from_utf8_lossy(&report.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        text.lines()
            .any(|l| l.contains("spur trace ") && l.contains(" root run loop ")),
        "perf report names no trace:\n{text}\n{}",
        String::from_utf8_lossy(&report.stderr)
    );
}

//! The trace log (`Store::set_trace_log`, JSON Lines) against what else the store
//! reports: the text dump written from the same events (`Store::set_trace_dump`) and the
//! JIT's statistics. A loop-nest kernel grows side traces and aborts recordings; tight
//! limits add blacklisting and eviction.

mod support;

use serde_json::Value;
use spur::{Config, Engine, Linker, Module, Store};
use support::Shared;

/// What one run left: the parsed log, the text dump, the statistics.
struct Run {
    events: Vec<Value>,
    dump: String,
    stats: spur::JitStats,
}

/// Runs `kernel`'s `run(n)` with the given tunables, logging both ways.
fn run(kernel: &str, n: i32, params: &[(&str, u32)]) -> Run {
    let mut config = Config::new();
    config.jit(true).jit_param("budget", 100).unwrap();
    for &(name, value) in params {
        config.jit_param(name, value).unwrap();
    }
    let engine = Engine::new(&config);
    let path = format!(
        "{}/benches/kernels/{kernel}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    let module = Module::from_file(&engine, path).unwrap();
    let (log, dump) = (Shared::default(), Shared::default());
    let mut store = Store::new(&engine, ());
    store.set_trace_log(log.clone());
    store.set_trace_dump(dump.clone());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "host_mix", |x: u32| x.rotate_left(7) ^ 0x9e37_79b9)
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f = instance
        .get_typed_func::<i32, i64>(&mut store, "run")
        .unwrap();
    f.call(&mut store, n).unwrap();
    let stats = store.jit_stats();
    drop(store);
    let events = log
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    Run {
        events,
        dump: dump.text(),
        stats,
    }
}

fn of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn the_log_agrees_with_the_dump_and_the_statistics() {
    let r = run("nest", 200, &[]);
    let kinds = [
        "trace",
        "abort",
        "blacklist",
        "evict",
        "flush",
        "counts",
        "run",
    ];
    for e in &r.events {
        assert!(kinds.contains(&e["event"].as_str().unwrap_or("")), "{e}");
    }
    let traces = of(&r.events, "trace");
    assert_eq!(traces.len() as u64, r.stats.traces);
    assert!(r.stats.side_traces > 0, "the kernel grows side traces");
    let mut seen = std::collections::HashMap::new();
    for t in &traces {
        let n = num(&t["trace"]);
        // Numbered in order; a side trace's parent came first and has that exit.
        assert_eq!(n, seen.len() as u64 + 1, "{t}");
        if !t["parent"].is_null() {
            let exits = seen[&num(&t["parent"])];
            assert!(num(&t["exit"]) < exits, "{t}");
        }
        let ir: Vec<&str> = t["ir"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let snaps = ir
            .iter()
            .filter(|l| l.trim_start().starts_with("snap #"))
            .count();
        seen.insert(n, snaps as u64);
        // The text dump has the same sections, rendered from the same event.
        let bytes = num(&t["mcode"]["bytes"]);
        let header = format!("---- TRACE {n} mcode {bytes} bytes\n");
        assert!(r.dump.contains(&header), "{header}");
        let section = format!("---- TRACE {n} IR\n{}\n---- TRACE {n} mcode", ir.join("\n"));
        assert!(r.dump.contains(&section), "trace {n}'s IR differs");
        let stop = format!("---- TRACE {n} stop {}\n", t["link"].as_str().unwrap());
        assert!(r.dump.contains(&stop), "{stop}");
        assert_eq!(
            t["bytecode"].as_array().unwrap().len(),
            section_lines(&r.dump, &format!("---- TRACE {n} bytecode\n")),
        );
    }
    // Every abort is in both, and the statistics count them.
    let aborts = of(&r.events, "abort");
    let counted: u64 = r.stats.aborts.iter().map(|a| a.1).sum();
    assert_eq!(aborts.len() as u64, counted);
    assert!(!aborts.is_empty(), "the kernel's outer loops abort first");
    assert_eq!(r.dump.matches("---- TRACE abort ").count(), aborts.len());
    for a in &aborts {
        assert!(r.stats.aborts.iter().any(|s| s.0 == a["reason"]), "{a}");
    }
    // The counts close the log, one per trace (none was evicted), with one exit count
    // per snapshot, adding up to the statistics' totals; a `run` event is last.
    let counts = of(&r.events, "counts");
    assert_eq!(counts.len(), traces.len());
    let first = r
        .events
        .iter()
        .position(|e| e["event"] == "counts")
        .unwrap();
    let (last, counted) = r.events[first..].split_last().unwrap();
    assert!(counted.iter().all(|e| e["event"] == "counts"));
    // Then where the time went: traces ran, and within the run's time.
    assert_eq!(last["event"], "run");
    let secs = |k: &str| last[k].as_f64().unwrap();
    assert!(
        secs("in_traces") > 0.0 && secs("in_traces") <= secs("seconds"),
        "{last}"
    );
    assert!(
        secs("recording") + secs("compiling") <= secs("seconds"),
        "{last}"
    );
    for c in &counts {
        assert_eq!(
            c["exits"].as_array().unwrap().len() as u64,
            seen[&num(&c["trace"])]
        );
    }
    let entries: u64 = counts.iter().map(|c| num(&c["entries"])).sum();
    assert_eq!(entries, r.stats.entries);
    let exits: u64 = counts
        .iter()
        .flat_map(|c| c["exits"].as_array().unwrap().iter().map(num))
        .sum();
    assert_eq!(exits, r.stats.exits);
}

/// Lines of the dump section that starts with `header`.
fn section_lines(dump: &str, header: &str) -> usize {
    let at = dump.find(header).unwrap() + header.len();
    dump[at..]
        .lines()
        .take_while(|l| !l.starts_with("---- "))
        .count()
}

#[test]
fn blacklisting_and_eviction_are_logged() {
    // Every recording is too long, and a second abort of one loop blacklists it (the
    // doubled penalty is past the limit).
    let tight = [
        ("maxrecord", 8),
        ("penaltymin", 1),
        ("penaltymax", 1),
        ("penaltyrnd", 0),
    ];
    let r = run("nest", 200, &tight);
    let blacklisted = of(&r.events, "blacklist");
    assert_eq!(blacklisted.len() as u64, r.stats.blacklisted);
    assert!(r.stats.blacklisted > 0);
    assert_eq!(
        r.dump.matches("---- blacklist func[").count(),
        blacklisted.len()
    );
    // Two traces at most: trees are evicted, and only live traces get counts.
    let r = run("nest", 200, &[("maxtrace", 2)]);
    let evicted = of(&r.events, "evict");
    assert_eq!(evicted.len() as u64, r.stats.evicted);
    assert!(r.stats.evicted > 0);
    assert_eq!(r.dump.matches("---- evict tree ").count(), evicted.len());
    let counts = of(&r.events, "counts");
    assert!(counts.len() <= 2);
    let gone: Vec<u64> = evicted.iter().map(|e| num(&e["trace"])).collect();
    assert!(counts.iter().all(|c| !gone.contains(&num(&c["trace"]))));
}

//! Profiles (`Config::collect_profile`, `Store::profile`): the counts are exact and the
//! same with the JIT on and off, and sampled time lands in traces when a loop runs in one.
//!
//! Expected counts come from a model of the program written here in Rust.

use spur::{Config, Engine, Instance, Module, Profile, Store};

/// `run(n)`: `n` outer iterations; iteration `i` runs an inner loop of `i % 7 + 1` calls to
/// `$inc`, then calls through the table: `$double` when `i % 16 == 0`, `$neg` when
/// `i % 8 == 3`, `$inc` otherwise.
const PROGRAM: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) $double $inc $neg)
  (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
  (func $double (type $t) (i32.shl (local.get 0) (i32.const 1)))
  (func $neg (type $t) (i32.sub (i32.const 0) (local.get 0)))
  (func $run (export "run") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    (loop $outer
      (local.set $j (i32.add (i32.rem_u (local.get $i) (i32.const 7)) (i32.const 1)))
      (loop $inner
        (local.set $acc (call $inc (local.get $acc)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br_if $inner (local.get $j)))
      (local.set $acc
        (call_indirect (type $t)
          (local.get $acc)
          (select
            (i32.const 0)
            (select (i32.const 2) (i32.const 1)
              (i32.eq (i32.and (local.get $i) (i32.const 7)) (i32.const 3)))
            (i32.eqz (i32.and (local.get $i) (i32.const 15))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
"#;

/// What the model expects: calls of `$inc` (of them, those from the `call_indirect`),
/// `$double` and `$neg`, loop iterations of `$run`, and the result.
#[derive(Default)]
struct Expected {
    inc: u64,
    inc_indirect: u64,
    double: u64,
    neg: u64,
    iterations: u64,
    result: i32,
}

fn model(n: u32) -> Expected {
    let mut e = Expected::default();
    let mut acc: i32 = 0;
    for i in 0..n.max(1) {
        let inner = u64::from(i % 7 + 1);
        e.iterations += 1 + inner;
        e.inc += inner;
        acc = acc.wrapping_add(inner as i32);
        if i % 16 == 0 {
            e.double += 1;
            acc = acc.wrapping_shl(1);
        } else if i % 8 == 3 {
            e.neg += 1;
            acc = acc.wrapping_neg();
        } else {
            e.inc += 1;
            e.inc_indirect += 1;
            acc = acc.wrapping_add(1);
        }
    }
    e.result = acc;
    e
}

fn engine(jit: bool) -> Engine {
    let mut config = Config::new();
    // No time budget: what gets compiled must not depend on the machine's speed.
    config
        .jit(jit)
        .collect_profile(true)
        .jit_param("budget", 100)
        .unwrap();
    Engine::new(&config)
}

/// Calls `run(n)` `times` times in one store; returns the results and the profile.
fn profile(engine: &Engine, n: i32, times: usize) -> (Vec<i32>, Profile, spur::JitStats) {
    let module = Module::new(engine, PROGRAM).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let results = (0..times)
        .map(|_| run.call(&mut store, n).unwrap())
        .collect();
    (results, store.profile().unwrap(), store.jit_stats())
}

fn function<'a>(p: &'a Profile, name: &str) -> &'a spur::FunctionProfile {
    p.functions
        .iter()
        .find(|f| f.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{name} is not in the profile: {p:#?}"))
}

#[test]
fn counts_are_exact_with_the_jit_on_and_off() {
    let n = 5000;
    let e = model(n as u32);
    for jit in [false, true] {
        let (results, p, stats) = profile(&engine(jit), n, 1);
        assert_eq!(results, [e.result], "jit {jit}");
        let calls = |name| function(&p, name).calls;
        assert_eq!(calls("inc"), e.inc, "jit {jit}");
        assert_eq!(calls("double"), e.double, "jit {jit}");
        assert_eq!(calls("neg"), e.neg, "jit {jit}");
        assert_eq!(calls("run"), 1, "jit {jit}");
        let run = function(&p, "run");
        assert_eq!(run.loop_iterations, e.iterations, "jit {jit}");

        assert_eq!(p.call_sites.len(), 1, "jit {jit}: {:#?}", p.call_sites);
        let site = &p.call_sites[0];
        assert_eq!(site.function_name.as_deref(), Some("run"));
        let targets: Vec<(Option<&str>, u64)> = site
            .targets
            .iter()
            .map(|t| (t.name.as_deref(), t.calls))
            .collect();
        assert_eq!(
            targets,
            [
                (Some("inc"), e.inc_indirect),
                (Some("neg"), e.neg),
                (Some("double"), e.double)
            ],
            "jit {jit}"
        );
        assert_eq!(site.other_calls, 0);
        if jit {
            // Traces ran the loops (and counted in them): the site's calls went mostly
            // through trace guards, and the misses are the exits taken there.
            assert!(stats.traces > 0 && run.traces > 0, "{stats}");
            assert!(site.trace_hits > 0, "{site:#?}");
            assert!(site.trace_hits + site.trace_misses <= u64::from(n as u32));
        } else {
            assert_eq!((site.trace_hits, site.trace_misses, run.traces), (0, 0, 0));
        }
    }
}

#[test]
fn sampled_time_lands_in_traces_when_the_loop_runs_in_one() {
    for jit in [true, false] {
        let engine = engine(jit);
        // Enough work for a thousand samples, on a loaded machine too, so that the time
        // spent recording and compiling (large under an emulator, where new code is
        // translated first) is a small share: repeat until the sampler has seen 1000 or
        // 40 calls have run.
        let module = Module::new(&engine, PROGRAM).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        for _ in 0..40 {
            run.call(&mut store, 200_000).unwrap();
            if store.profile().unwrap().samples >= 1000 {
                break;
            }
        }
        let p = store.profile().unwrap();
        assert!(p.samples > 0, "jit {jit}: no samples");
        let r = function(&p, "run");
        let coverage = p.hot_coverage().unwrap();
        if jit {
            assert!(coverage > 0.5, "{coverage}: {p:#?}");
            assert!(r.trace_share().unwrap() > 0.5, "{r:#?}");
        } else {
            assert_eq!(p.trace_samples, 0);
            assert_eq!(coverage, 0.0);
        }
        // Samples are only taken while WebAssembly runs: none after the calls return.
        std::thread::sleep(Profile::SAMPLE_PERIOD * 20);
        assert_eq!(store.profile().unwrap().samples, p.samples);
    }
}

#[test]
fn without_collect_profile_there_is_no_profile() {
    let engine = Engine::new(Config::new().jit(true));
    let store = Store::new(&engine, ());
    assert!(store.profile().is_none());
}

//! The trace JIT's life cycle through the public API: traces compile and are entered,
//! code memory is never writable and executable while traces exist (checked from inside a
//! running trace), loops that keep aborting are blacklisted, traces that keep leaving
//! early are flushed, and `Config::jit(false)` compiles nothing.

use spur::{Config, Engine, Instance, Linker, Module, Store};

mod support;

fn engine(hotloop: u32) -> Engine {
    Engine::new(&config(hotloop))
}

fn config(hotloop: u32) -> Config {
    let mut config = Config::new();
    // No time budget: the counts these tests check must not depend on the machine's speed.
    config
        .jit_param("hotloop", hotloop)
        .unwrap()
        .jit_param("budget", 100)
        .unwrap();
    config
}

/// An engine whose recursive functions never get function traces (`hotcall` never
/// reached), so recursion stays a reason to abort.
fn engine_without_function_traces(hotloop: u32) -> Engine {
    let mut config = config(hotloop);
    config.jit_param("hotcall", u32::MAX - 1).unwrap();
    Engine::new(&config)
}

/// Instantiates `wat` (no imports) on `engine`, calls its `run(n)`, and returns the result
/// with the store's JIT statistics.
fn run_once(engine: &Engine, wat: &str, n: i32) -> (i32, spur::JitStats) {
    let (result, stats) = try_run_once(engine, wat, n);
    (result.unwrap(), stats)
}

/// [`run_once`], with the call's error (a trap) in the result.
fn try_run_once(engine: &Engine, wat: &str, n: i32) -> (Result<i32, spur::Error>, spur::JitStats) {
    let module = Module::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let result = run.call(&mut store, n);
    (result, store.jit_stats())
}

/// `/proc/self/maps` lines that are both writable and executable.
fn wx_mappings() -> Vec<String> {
    std::fs::read_to_string("/proc/self/maps")
        .expect("/proc/self/maps")
        .lines()
        .filter(|l| {
            let perms = l.split_whitespace().nth(1).unwrap_or("");
            perms.contains('w') && perms.contains('x')
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn code_is_never_writable_and_executable_while_traces_run() {
    let engine = engine(2);
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "probe" (func $probe (param i32) (result i32)))
             (func (export "run") (param $n i32) (result i32)
               (local $i i32) (local $s i32)
               (loop $l
                 (local.set $s (i32.add (local.get $s) (call $probe (local.get $i))))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
               (local.get $s)))"#,
    )
    .unwrap();
    // The probe runs inside the trace (host calls are made from trace code): it checks
    // the mappings while the trace's code is live and executing.
    let mut store = Store::new(&engine, (0u32, 0u32));
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "probe",
            |mut caller: spur::Caller<'_, (u32, u32)>, i: i32| -> i32 {
                let wx = wx_mappings();
                assert!(wx.is_empty(), "writable and executable: {wx:?}");
                caller.data_mut().0 += 1;
                i & 7
            },
        )
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let expected: i32 = (0..500).map(|i| i & 7).sum();
    assert_eq!(run.call(&mut store, 500).unwrap(), expected);
    let stats = store.jit_stats();
    assert!(stats.traces >= 1, "no trace compiled: {stats}");
    assert!(stats.entries >= 1, "no trace entered: {stats}");
    assert!(stats.mcode_bytes > 0);
    assert_eq!(store.data().0, 500);
    assert!(wx_mappings().is_empty());
}

#[test]
fn a_loop_that_keeps_aborting_is_blacklisted() {
    // The loop calls a recursive function, which traces do not inline, and which has no
    // function trace to call: every recording aborts, the penalty doubles from
    // `penaltymin` past `penaltymax`, and the loop is blacklisted; the results stay those
    // of the interpreter.
    let engine = engine_without_function_traces(1);
    let wat = r#"(module
             (func $down (param i32) (result i32)
               (if (result i32) (i32.eqz (local.get 0))
                 (then (i32.const 0))
                 (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
             (func (export "run") (param $n i32) (result i32)
               (local $i i32) (local $s i32)
               (loop $l
                 (local.set $s (i32.add (local.get $s) (call $down (i32.const 3))))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
               (local.get $s)))"#;
    let (result, stats) = run_once(&engine, wat, 300_000);
    assert_eq!(result, 900_000);
    assert_eq!(stats.traces, 0, "{stats}");
    assert_eq!(stats.blacklisted, 1, "{stats}");
    let recursion = stats
        .aborts
        .iter()
        .find(|(reason, _)| *reason == spur::JitAbort::Recursion.message())
        .map_or(0, |a| a.1);
    // Penalties 72, ~144, ... up to 60000: about ten attempts, then never again.
    assert!((5..=16).contains(&recursion), "{stats}");
    // With function traces, the recursive function gets one, which the loop's trace
    // calls natively: nothing is blacklisted.
    let (result, stats) = run_once(&self::engine(1), wat, 300_000);
    assert_eq!(result, 900_000);
    assert_eq!(stats.blacklisted, 0, "{stats}");
    assert!(
        stats.function_traces >= 1 && stats.links_loop >= 1,
        "{stats}"
    );
}

/// fib(n) as clang compiles it: one of the two recursive calls becomes a loop whose
/// body starts with the other; with `cond` the call is behind a branch instead.
fn fib_wat(cond: bool) -> String {
    let call = "(local.set $acc (i32.add (local.get $acc)
                 (call $fib (i32.sub (local.get $n) (i32.const 1)))))";
    let body = if cond {
        format!(
            "(if (i32.ne (local.get $n) (i32.const 7)) (then {call}))
                 (if (i32.eq (local.get $n) (i32.const 7)) (then {call}))"
        )
    } else {
        call.to_string()
    };
    format!(
        r#"(module
          (func $fib (param $n i32) (result i32) (local $acc i32)
            (if (i32.lt_u (local.get $n) (i32.const 2)) (then (return (local.get $n))))
            (loop $l
              {body}
              (local.set $n (i32.sub (local.get $n) (i32.const 2)))
              (br_if $l (i32.gt_u (local.get $n) (i32.const 1))))
            (i32.add (local.get $acc) (local.get $n)))
          (func (export "run") (param i32) (result i32) (call $fib (local.get 0))))"#
    )
}

#[test]
fn a_loop_whose_every_iteration_recurses_has_no_hot_counter() {
    // The recursive call is the first thing in each iteration: any recording would abort
    // there, so the loop header has no counter (the loop runs as with the JIT off, with
    // nothing recorded). Behind a branch, the same call leaves the loop its counter: a
    // recording may take the other way; here it cannot either, and is blacklisted.
    let fib = |n: u32| -> i32 {
        let (mut a, mut b) = (0i32, 1i32);
        for _ in 0..n {
            (a, b) = (b, a.wrapping_add(b));
        }
        a
    };
    let engine = engine_without_function_traces(1);
    let (result, stats) = run_once(&engine, &fib_wat(false), 25);
    assert_eq!(result, fib(25));
    assert_eq!((stats.traces, stats.blacklisted), (0, 0), "{stats}");
    assert!(stats.aborts.is_empty(), "{stats}");
    let (result, stats) = run_once(&engine, &fib_wat(true), 25);
    assert_eq!(result, fib(25));
    assert_eq!(stats.blacklisted, 1, "{stats}");
    assert!(!stats.aborts.is_empty(), "{stats}");
    // With function traces, fib gets one from its entry, and its recursive calls run
    // natively from trace to trace, in both shapes.
    for cond in [false, true] {
        let (result, stats) = run_once(&self::engine(1), &fib_wat(cond), 25);
        assert_eq!(result, fib(25));
        assert_eq!(stats.blacklisted, 0, "{stats}");
        assert!(
            stats.function_traces >= 1 && stats.links_return >= 1,
            "{stats}"
        );
    }
}

#[test]
fn an_alternating_branch_grows_a_side_trace_that_links_back() {
    // The branch alternates every iteration, so the root trace (which guards the
    // direction it recorded) leaves at that guard every other iteration until the exit is
    // hot; then a side trace takes the other direction and links back to the root, and
    // the whole loop runs in the trace tree.
    let engine = engine(1);
    let wat = r#"(module
             (func (export "run") (param $n i32) (result i32)
               (local $i i32) (local $s i32)
               (loop $l
                 (if (i32.and (local.get $i) (i32.const 1))
                   (then (local.set $s (i32.add (local.get $s) (i32.const 3))))
                   (else (local.set $s (i32.xor (local.get $s) (i32.const 5)))))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
               (local.get $s)))"#;
    let mut s = 0i32;
    for i in 0..200_000 {
        s = if i & 1 != 0 { s.wrapping_add(3) } else { s ^ 5 };
    }
    let (result, stats) = run_once(&engine, wat, 200_000);
    assert_eq!(result, s);
    assert!(stats.side_traces >= 1, "{stats}");
    assert!(stats.links_trace >= 1, "{stats}");
    assert_eq!(stats.flushes, 0, "{stats}");
    // hotexit (10) exits before the side trace exists, a few while it is recorded, and
    // the last one, when the loop ends.
    assert!(stats.exits <= 30, "{stats}");
}

/// An inner loop over a window of memory that the outer loop moves and resizes, with a
/// branch on `$k`, which the inner loop does not change: its trace checks the window and
/// `$k` once, before the loop. The outer loop's side trace links into the inner loop's
/// body and must check both again; at `$o == 5000` the window sits at the end of memory
/// and a store traps part-way.
const MOVING_WINDOW: &str = r#"(module
    (memory (export "mem") 1 1)
    (func (export "run") (param $n i32) (result i32)
      (local $o i32) (local $j i32) (local $len i32) (local $base i32) (local $s i32) (local $k i32)
      (loop $outer
        (local.set $len (i32.add (i32.const 4) (i32.rem_u (local.get $o) (i32.const 7))))
        (local.set $base (i32.mul (i32.rem_u (local.get $o) (i32.const 13)) (i32.const 4096)))
        (if (i32.eq (local.get $o) (i32.const 5000)) (then (local.set $base (i32.const 65528))))
        (local.set $k (i32.eqz (i32.rem_u (local.get $o) (i32.const 3))))
        (local.set $j (i32.const 0))
        (loop $inner
          (if (local.get $k)
            (then (i32.store (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))
                             (i32.add (local.get $s) (local.get $j))))
            (else (local.set $s (i32.add (local.get $s)
                    (i32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2))))))))
          (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31)) (local.get $j)))
          (br_if $inner (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $len))))
        (br_if $outer (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 1))) (local.get $n))))
      (local.get $s)))"#;

/// `run(n)` of [`MOVING_WINDOW`] on `config`: the result or the trap's message, a hash of
/// memory afterwards, and the JIT's statistics.
fn moving_window(config: &Config, n: i32) -> (Result<i32, String>, u64, spur::JitStats) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, MOVING_WINDOW).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let result = run.call(&mut store, n).map_err(|e| e.to_string());
    let mem = instance.get_memory(&mut store, "mem").unwrap();
    let hash = (mem.data(&store).iter()).fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (result, hash, store.jit_stats())
}

#[test]
fn a_link_into_a_loop_body_checks_again_what_the_body_assumes() {
    let mut off = Config::new();
    off.jit(false);
    // Which traces link into a body depends on what `$k` was when they were recorded.
    let mut body_links = 0;
    for n in [4000, 6000] {
        let (want, want_mem, _) = moving_window(&off, n);
        assert_eq!(want.is_err(), n > 5000, "{want:?}");
        for hotloop in [1, 2, 7, 56] {
            for bodylink in [0, 1] {
                let mut config = config(hotloop);
                config.jit_param("bodylink", bodylink).unwrap();
                let (got, mem, stats) = moving_window(&config, n);
                let what = format!("n {n}, hotloop {hotloop}, bodylink {bodylink}: {stats}");
                assert_eq!((&got, mem), (&want, want_mem), "{what}");
                assert!(bodylink == 1 || stats.links_body == 0, "{what}");
                body_links += stats.links_body;
            }
        }
    }
    assert!(body_links >= 4, "{body_links} links into loop bodies");
}

#[test]
fn a_link_into_a_loop_body_checks_how_the_loop_values_relate() {
    // In the inner loop `$y` ends each iteration with `$j`, and `$j` with `$j + 1`: the
    // body takes `$y + 1` to be `$j` (CSE of the first iteration's `$j + 1`). The outer
    // loop restarts `$j` at 0 with `$y` at 26, where that does not hold, so a link into
    // the inner loop's body must check it and go to the top instead.
    let wat = r#"(module
        (func (export "run") (param $n i32) (result i32)
          (local $i i32) (local $j i32) (local $x i32) (local $y i32)
          (loop $outer
            (local.set $j (i32.const 0))
            (loop $inner
              (local.set $x (i32.xor (i32.rotl (local.get $x) (i32.const 5))
                                     (i32.add (local.get $y) (i32.const 1))))
              (local.set $y (i32.wrap_i64 (i64.extend_i32_s (local.get $j))))
              (local.set $x (i32.xor (i32.rotl (local.get $x) (i32.const 5))
                                     (i32.add (local.get $y) (i32.const 1))))
              (br_if $inner (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                                      (i32.const 27))))
            (br_if $outer (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                    (local.get $n))))
          (i32.add (local.get $x) (local.get $y))))"#;
    // (The result repeats with a short period in `$n`: 50 gives what 2 does.)
    let n = 10;
    let (mut x, mut y) = (0u32, 0u32);
    for _ in 0..n {
        for j in 0..27u32 {
            x = x.rotate_left(5) ^ y.wrapping_add(1);
            y = j;
            x = x.rotate_left(5) ^ y.wrapping_add(1);
        }
    }
    let want = x.wrapping_add(y) as i32;
    for hotloop in [1, 2, 7] {
        for bodylink in [0, 1] {
            let mut config = config(hotloop);
            config.jit_param("hotexit", 1).unwrap();
            config.jit_param("bodylink", bodylink).unwrap();
            let (got, stats) = run_once(&Engine::new(&config), wat, n);
            assert_eq!(got, want, "hotloop {hotloop}, bodylink {bodylink}: {stats}");
        }
    }
}

#[test]
fn with_the_jit_off_nothing_is_compiled() {
    let mut config = Config::new();
    config.jit(false);
    let engine = Engine::new(&config);
    let wat = r#"(module (func (export "run") (param $n i32) (result i32)
             (local $i i32)
             (loop $l
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
             (local.get $i)))"#;
    let (result, stats) = run_once(&engine, wat, 100_000);
    assert_eq!(result, 100_000);
    assert_eq!(
        (stats.traces, stats.entries, stats.total_aborts()),
        (0, 0, 0)
    );
}

/// Reads two fields off each pointer `p` up to the end of memory, the second at
/// `p + (acc >> 9 & 1) * 8`: the trace checks that address through its check of `p`, widened
/// by 8, which fails a little before the end. The exit hands those last reads to the
/// interpreter, so the result, or the trap and its frames, is the interpreter's.
#[test]
fn a_field_read_checked_through_its_base_pointer_traps_where_the_interpreter_does() {
    let wat = r#"(module (memory 1)
          (func (export "run") (param $p i32) (result i32)
            (local $i i32) (local $acc i32)
            (loop $fill
              (i32.store (local.get $i) (i32.mul (local.get $i) (i32.const -1640531535)))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br_if $fill (i32.lt_u (local.get $i) (i32.const 65536))))
            (loop $walk
              (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $p))))
              (local.set $acc (i32.xor (local.get $acc)
                (i32.load (i32.add (local.get $p)
                  (i32.shl (i32.and (i32.shr_u (local.get $acc) (i32.const 9)) (i32.const 1))
                    (i32.const 3))))))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (br_if $walk (i32.lt_u (local.get $p) (i32.const 65536))))
            (local.get $acc)))"#;
    let outcome = |engine: &Engine, start: i32| {
        let (result, stats) = try_run_once(engine, wat, start);
        (result.map_err(|e| format!("{e:?}")), stats.traces)
    };
    let mut off = Config::new();
    off.jit(false);
    let (jit, interp) = (engine(2), Engine::new(&off));
    let mut trapped = 0;
    let starts = [0, 4, 8, 60_000, 65_000, 65_400, 65_404, 65_408];
    for start in starts {
        let (expected, _) = outcome(&interp, start);
        let (actual, traces) = outcome(&jit, start);
        assert_eq!(actual, expected, "start {start}");
        assert!(traces > 0, "start {start}: the walk compiled");
        trapped += usize::from(expected.is_err());
    }
    // The interpreter's outcomes: some walks end in a trap past the end, some do not.
    assert!(
        trapped > 0 && trapped < starts.len(),
        "{trapped} walks trapped"
    );
}

#[test]
fn the_least_recently_entered_tree_is_evicted_when_traces_run_out() {
    // Three functions with one hot loop each, and room for two traces: when the third
    // loop's trace is compiled, the tree entered least recently (the second function's,
    // since the first ran again after it) is evicted, not everything.
    let mut config = Config::new();
    config
        .jit_param("hotloop", 1)
        .unwrap()
        .jit_param("maxtrace", 2)
        .unwrap()
        .jit_param("budget", 100)
        .unwrap();
    let engine = Engine::new(&config);
    let body = |k: i32| {
        format!(
            "(func (export \"f{k}\") (param $n i32) (result i32)
               (local $i i32) (local $s i32)
               (loop $l
                 (local.set $s (i32.add (i32.mul (local.get $s) (i32.const {k})) (local.get $i)))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
               (local.get $s))"
        )
    };
    let wat = format!("(module {} {} {})", body(3), body(5), body(7));
    let module = Module::new(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let expected = |k: i32, n: i32| (0..n).fold(0i32, |s, i| s.wrapping_mul(k).wrapping_add(i));
    for (f, k) in [("f3", 3), ("f5", 5), ("f3", 3), ("f7", 7), ("f3", 3)] {
        let run = instance.get_typed_func::<i32, i32>(&mut store, f).unwrap();
        assert_eq!(
            run.call(&mut store, 1000).unwrap(),
            expected(k, 1000),
            "{f}"
        );
    }
    let stats = store.jit_stats();
    assert_eq!(
        (stats.traces, stats.evicted, stats.flushes),
        (3, 1, 0),
        "{stats}"
    );
    let live: Vec<u32> = stats.per_trace.iter().map(|t| t.number).collect();
    assert_eq!(live, [1, 3], "f5's trace (2) is the one evicted: {stats}");
    // f5 runs again: its loop counts again and gets a new trace, evicting another tree.
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "f5")
        .unwrap();
    assert_eq!(run.call(&mut store, 1000).unwrap(), expected(5, 1000));
    let stats = store.jit_stats();
    assert_eq!(
        (stats.traces, stats.evicted, stats.flushes),
        (4, 2, 0),
        "{stats}"
    );
    assert!(wx_mappings().is_empty());
}

#[test]
fn a_spent_budget_defers_new_traces() {
    // With no time allowed for the JIT, the first recording is the only one: a later hot
    // loop waits until it is several times as hot as its threshold, which the second
    // loop (7 iterations) never is; the program still computes the same.
    let mut config = Config::new();
    for (name, value) in [
        ("hotloop", 1),
        ("hotexit", 1),
        ("budget", 0),
        ("budgetms", 0),
    ] {
        config.jit_param(name, value).unwrap();
    }
    let wat = r#"(module
             (func (export "run") (param $n i32) (result i32)
               (local $i i32) (local $s i32)
               (loop $a
                 (local.set $s (i32.add (local.get $s) (local.get $i)))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $a (i32.lt_u (local.get $i) (local.get $n))))
               (local.set $i (i32.const 0))
               (loop $b
                 (if (i32.and (local.get $i) (i32.const 1))
                   (then (local.set $s (i32.xor (local.get $s) (local.get $i)))))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $b (i32.lt_u (local.get $i) (i32.const 7))))
               (local.get $s)))"#;
    let mut s = 0i32;
    for i in 0..1000 {
        s = s.wrapping_add(i);
    }
    for i in 0..7 {
        if i & 1 != 0 {
            s ^= i;
        }
    }
    let (result, stats) = run_once(&Engine::new(&config), wat, 1000);
    assert_eq!(result, s);
    assert_eq!(stats.traces, 1, "{stats}");
    assert!(stats.deferred >= 1, "{stats}");
}

/// Every occurrence of `needle` in the process's anonymous executable mappings (where
/// trace code lives; the test binary's own code is file-backed and not searched), read
/// through `/proc/self/mem`.
fn in_anonymous_code(needle: &[u8]) -> usize {
    use std::io::{Read, Seek, SeekFrom};
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    let mut mem = std::fs::File::open("/proc/self/mem").expect("/proc/self/mem");
    let mut found = 0;
    for line in maps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (range, perms) = (fields[0], fields[1]);
        if !perms.contains('x') || fields.len() > 5 {
            continue; // not executable, or backed by a file or a named region
        }
        let (lo, hi) = range.split_once('-').unwrap();
        let lo = u64::from_str_radix(lo, 16).unwrap();
        let hi = u64::from_str_radix(hi, 16).unwrap();
        let mut bytes = vec![0u8; (hi - lo) as usize];
        if mem.seek(SeekFrom::Start(lo)).is_err() || mem.read_exact(&mut bytes).is_err() {
            continue;
        }
        found += raw_constants(&bytes, needle);
    }
    found
}

/// How often `needle` (a constant's little-endian bytes) appears as it would in x86-64
/// code: anywhere, as an immediate or displacement.
#[cfg(not(target_arch = "aarch64"))]
fn raw_constants(code: &[u8], needle: &[u8]) -> usize {
    code.windows(needle.len()).filter(|w| *w == needle).count()
}

/// How often `needle` (a constant's little-endian bytes) appears as it would in AArch64
/// code, where no instruction holds more than 16 bits of an immediate: built by a `movz`
/// and the `movk`s right after it, or as a whole word of data.
#[cfg(target_arch = "aarch64")]
fn raw_constants(code: &[u8], needle: &[u8]) -> usize {
    let mut want = [0u8; 8];
    want[..needle.len()].copy_from_slice(needle);
    let want = u64::from_le_bytes(want);
    let words: Vec<u32> = code
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    // movz/movk (32- or 64-bit): opc at bits 29-30, the 16-bit piece at 5, its
    // position at 21.
    let piece = |w: u32, opc: u32| {
        (w & 0x7F80_0000 == 0x1280_0000 | opc << 29)
            .then(|| u64::from((w >> 5) & 0xFFFF) << (16 * ((w >> 21) & 3)))
    };
    let mut found = 0;
    for (i, &w) in words.iter().enumerate() {
        let Some(mut v) = piece(w, 0b10) else {
            continue;
        };
        let (dst, mut j) = (w & 31, i + 1);
        while let Some(p) = words
            .get(j)
            .filter(|&&k| k & 31 == dst)
            .and_then(|&k| piece(k, 0b11))
        {
            v |= p;
            j += 1;
        }
        found += usize::from(v == want);
    }
    found
        + code
            .windows(needle.len())
            .filter(|w| *w == needle && needle.len() == 8)
            .count()
}

#[test]
fn constants_from_the_module_never_appear_raw_in_trace_code() {
    // Distinctive 32-bit, 64-bit and float constants in a hot loop, in immediate
    // positions (an operand of xor, of a 64-bit multiply, of a float add, a memory
    // offset). The probe, called from inside the running trace, counts their raw bytes
    // in executable memory: none with blinding on; with it off the same scan finds the
    // immediates, which shows the scan can see trace code at all.
    const K32: u32 = 0x5A17_C0DE;
    const K64: u64 = 0x1BAD_F00D_DEAD_BEEF;
    const KF: f64 = 1234.5678;
    const OFF: u32 = 0x1_4F37;
    let wat = format!(
        r#"(module
             (import "env" "probe" (func $probe (param i32) (result i32)))
             (memory 2)
             (func (export "run") (param $n i32) (result i32)
               (local $i i32) (local $s i32) (local $w i64) (local $f f64)
               (loop $l
                 (local.set $s (i32.xor (local.get $s) (i32.const {K32})))
                 (local.set $w (i64.mul (i64.add (local.get $w) (i64.extend_i32_u (local.get $i)))
                                        (i64.const {K64})))
                 (local.set $f (f64.add (local.get $f) (f64.const {KF})))
                 (i32.store offset={OFF} (i32.const 0) (local.get $s))
                 (local.set $s (i32.add (local.get $s) (call $probe (local.get $i))))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
               (i32.add (local.get $s)
                 (i32.add (i32.wrap_i64 (local.get $w)) (i32.trunc_f64_s (local.get $f))))))"#
    );
    let needles: [(&str, Vec<u8>); 4] = [
        ("i32", K32.to_le_bytes().to_vec()),
        ("i64", K64.to_le_bytes().to_vec()),
        ("f64", KF.to_bits().to_le_bytes().to_vec()),
        ("offset", OFF.to_le_bytes().to_vec()),
    ];
    for blind in [true, false] {
        let mut config = Config::new();
        config
            .jit_param("hotloop", 2)
            .unwrap()
            .jit_param("budget", 100)
            .unwrap()
            .jit_constant_blinding(blind);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, &wat).unwrap();
        let mut store = Store::new(&engine, Vec::<[usize; 4]>::new());
        let mut linker = Linker::new(&engine);
        let probe_needles = needles.clone();
        linker
            .func_wrap(
                "env",
                "probe",
                move |mut caller: spur::Caller<'_, Vec<[usize; 4]>>, i: i32| -> i32 {
                    if i == 200 {
                        let seen = probe_needles.each_ref().map(|n| in_anonymous_code(&n.1));
                        caller.data_mut().push(seen);
                    }
                    0
                },
            )
            .unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        // The model: the same loop in Rust.
        let (mut s, mut w, mut f) = (0u32, 0u64, 0f64);
        for i in 0..300u32 {
            s ^= K32;
            w = w.wrapping_add(u64::from(i)).wrapping_mul(K64);
            f += KF;
        }
        let expected = s.wrapping_add((w as u32).wrapping_add(f as i32 as u32)) as i32;
        assert_eq!(run.call(&mut store, 300).unwrap(), expected);
        let stats = store.jit_stats();
        assert!(stats.entries >= 1, "{stats}");
        let seen = store.data()[0];
        for (k, (what, _)) in needles.iter().enumerate() {
            if blind {
                assert_eq!(seen[k], 0, "raw {what} constant in trace code (blinded)");
            } else if *what == "i32" || *what == "offset" {
                // These two are immediates in unblinded code. (The translator keeps wide
                // i64 and float constants in the frame's constant slots, which traces
                // load: they may not be in the code at all.)
                assert!(
                    seen[k] > 0,
                    "unblinded {what} constant not found: the scan is blind"
                );
            }
        }
    }
}

/// On x86-64 a blinded constant is the memory operand of the instruction that uses it,
/// read RIP-relative from the store's pool (which the listing names `kpool`), not a
/// masked immediate rebuilt in a register at every use: so for an integer `xor` and a
/// float multiply and add. The results match the interpreter's.
#[cfg(target_arch = "x86_64")]
#[test]
fn blinded_constants_are_operands_read_from_the_pool() {
    let wat = r#"(module
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $s i32) (local $f f64)
        (loop $l
          (local.set $s (i32.xor (local.get $s) (i32.const 0x5A17C0DE)))
          (local.set $f (f64.add (f64.mul (local.get $f) (f64.const 0.7))
                                 (f64.const 1234.5678)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (i32.add (local.get $s) (i32.trunc_f64_s (local.get $f)))))"#;
    let run = |jit: bool| {
        let mut config = Config::new();
        config
            .jit(jit)
            .jit_param("hotloop", 2)
            .unwrap()
            .jit_param("budget", 100)
            .unwrap();
        let engine = Engine::new(&config);
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let dump = support::Shared::default();
        store.set_trace_dump(dump.clone());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .unwrap();
        let result = run.call(&mut store, 500).unwrap();
        (result, store.jit_stats().traces, dump.text())
    };
    let (interp, _, _) = run(false);
    let (jit, traces, dump) = run(true);
    assert_eq!(jit, interp);
    assert!(traces >= 1, "no trace compiled");
    let reads = |mnemonic: &str| {
        dump.lines()
            .any(|l| l.contains(mnemonic) && l.contains("[kpool"))
    };
    assert!(
        reads("xor "),
        "the xor's constant is not read from the pool:\n{dump}"
    );
    assert!(
        reads("mulsd "),
        "the multiply's constant is not read from the pool:\n{dump}"
    );
    assert!(
        reads("addsd "),
        "the add's constant is not read from the pool:\n{dump}"
    );
}

/// A loop whose slot `$a` ends each iteration with a value loaded from memory, and which
/// computes `$a + 1` both at the top (this iteration's entry value) and, from the loaded
/// value, further down (the next iteration's). The LOOP pass once let the loop body reuse
/// the second computation for the first: right in the second iteration, stale from the
/// third on (QuickJS's reference counts went wrong that way).
#[test]
fn work_done_early_for_the_next_iteration_is_not_reused_in_later_ones() {
    let wat = r#"(module
      (memory 1)
      (func (export "run") (param $n i32) (result i32)
        (local $a i32) (local $p i32) (local $i i32)
        (loop $l
          ;; mem[8] += a + 1
          (i32.store (i32.const 8)
            (i32.add (i32.load (i32.const 8)) (i32.add (local.get $a) (i32.const 1))))
          ;; p = mem[0]; mem[4] += p + 1; mem[0] = p * 3 + 7
          (local.set $p (i32.load (i32.const 0)))
          (i32.store (i32.const 4)
            (i32.add (i32.load (i32.const 4)) (i32.add (local.get $p) (i32.const 1))))
          (i32.store (i32.const 0)
            (i32.add (i32.mul (local.get $p) (i32.const 3)) (i32.const 7)))
          (local.set $a (local.get $p))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (i32.add (i32.load (i32.const 8)) (i32.mul (i32.load (i32.const 4)) (i32.const 31)))))"#;
    // The same computation in Rust (wrapping i32 arithmetic).
    let expected = |n: i32| {
        let (mut m0, mut m4, mut m8, mut a) = (0i32, 0i32, 0i32, 0i32);
        for _ in 0..n.max(1) {
            m8 = m8.wrapping_add(a.wrapping_add(1));
            let p = m0;
            m4 = m4.wrapping_add(p.wrapping_add(1));
            m0 = p.wrapping_mul(3).wrapping_add(7);
            a = p;
        }
        m8.wrapping_add(m4.wrapping_mul(31))
    };
    let (result, stats) = run_once(&engine(2), wat, 1000);
    if Config::jit_available() {
        assert!(stats.traces >= 1, "{stats:?}");
    }
    assert_eq!(result, expected(1000));
}

/// A hot loop over locals thousands of slots into the frame (past the reach of a load's
/// immediate offset from the slot pointer on AArch64, 16 KiB for 32-bit and 32 KiB for
/// 64-bit accesses), of every type: the trace reads and writes them through a computed
/// address, and the result matches the same loop in Rust.
#[test]
fn locals_far_into_a_large_frame_are_read_and_written() {
    // Past 16 KiB, then past 32 KiB.
    for pad in [2500, 5000] {
        far_locals(pad);
    }
}

fn far_locals(pad: usize) {
    let pad = "i64 ".repeat(pad);
    let wat = format!(
        r#"(module
          (func (export "run") (param $n i32) (result i32)
            (local {pad}) (local $i i32) (local $x i32) (local $f f32) (local $w i64) (local $d f64)
            (loop $l
              (local.set $x (i32.add (local.get $x) (i32.mul (local.get $i) (i32.const 3))))
              (local.set $f (f32.add (local.get $f) (f32.const 1.5)))
              (local.set $w (i64.xor (i64.shl (local.get $w) (i64.const 1))
                                     (i64.extend_i32_u (local.get $i))))
              (local.set $d (f64.add (local.get $d) (f64.const 0.25)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
            (i32.xor (i32.xor (local.get $x) (i32.trunc_f32_s (local.get $f)))
                     (i32.xor (i32.wrap_i64 (local.get $w)) (i32.trunc_f64_s (local.get $d))))))"#
    );
    let model = |n: u32| {
        let (mut x, mut f, mut w, mut d) = (0u32, 0f32, 0u64, 0f64);
        for i in 0..n {
            x = x.wrapping_add(i.wrapping_mul(3));
            f += 1.5;
            w = (w << 1) ^ u64::from(i);
            d += 0.25;
        }
        (x ^ (f as i32 as u32) ^ (w as u32) ^ (d as i32 as u32)) as i32
    };
    let engine = engine(2);
    for n in [1, 7, 1000] {
        let (result, stats) = run_once(&engine, &wat, n);
        assert_eq!(result, model(n as u32), "n = {n}");
        if n == 1000 {
            assert!(stats.traces >= 1 && stats.entries >= 1, "{stats}");
        }
    }
}

/// Counted loops over an array, whose bounds checks the trace makes once before the loop
/// (for the counter at its limit): in memory they run as in the interpreter, and where
/// the array runs past the end of memory they trap at the same access, having written
/// the same bytes. Both loop shapes: the exit test at the top and at the bottom.
#[test]
fn a_counted_loop_checked_once_before_it_traps_at_the_exact_access() {
    let wat = r#"(module
      (memory (export "mem") 1)
      (func (export "top") (param $n i32) (param $base i32) (result i32)
        (local $i i32) (local $s i32)
        (block $exit (loop $l
          (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
          (i32.store (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))
                     (i32.mul (local.get $i) (i32.const 3)))
          (local.set $s (i32.add (local.get $s)
            (i32.load16_u offset=2 (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (local.get $s))
      (func (export "bottom") (param $n i32) (param $base i32) (result i32)
        (local $i i32) (local $s i32)
        (loop $l
          (i64.store (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $base))
                     (i64.extend_i32_u (local.get $i)))
          (local.set $s (i32.xor (local.get $s) (i32.load8_u (i32.shl (local.get $i) (i32.const 3)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $s))
      (func (export "ne") (param $n i32) (param $start i32) (result i32)
        (local $p i32) (local $s i32)
        (local.set $p (local.get $start))
        (loop $l
          (i32.store (i32.add (i32.add (local.get $start) (local.get $p)) (i32.const 16))
                     (local.get $p))
          (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br_if $l (i32.ne (local.get $p) (local.get $n))))
        (local.get $s)))"#;
    let run = |jit: bool, func: &str, n: i32, base: i32| {
        let mut config = config(2);
        config.jit(jit);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let f = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, func)
            .unwrap();
        let result = f.call(&mut store, (n, base)).map_err(|e| e.trap_code());
        let memory = instance.get_memory(&mut store, "mem").unwrap();
        let bytes = memory.data(&store).to_vec();
        (result, bytes, store.jit_stats())
    };
    let page = 65536;
    // In bounds; past the end at iteration 700, 1, 0; a base that is itself out.
    let counted = [
        (1000, 0),
        (1000, page - 4 * 700),
        (3000, page - 12),
        (50, page),
        (2000, 1 << 30),
    ];
    // A pointer stepping by 4 up to an end: in bounds (from 0 and from 8); an end it
    // never meets (it runs to the end of memory), one past memory's end, one below the
    // start, and a start that is not a multiple of the step from the end.
    let stepping = [
        (1000, 0),
        (4000, 8),
        (4002, 0),
        (page + 64, 0),
        (400, 8000),
        (4000, 2),
    ];
    for (func, args) in [
        ("top", &counted[..]),
        ("bottom", &counted),
        ("ne", &stepping),
    ] {
        for &(n, base) in args {
            let (want, want_mem, _) = run(false, func, n, base);
            let (got, got_mem, stats) = run(true, func, n, base);
            assert_eq!(got, want, "{func}({n}, {base})");
            assert!(got_mem == want_mem, "{func}({n}, {base}): memory differs");
            if n == 1000 && base == 0 {
                assert!(want.is_ok() && stats.entries >= 1, "{func}: {stats}");
            }
        }
    }
}

#[test]
fn a_conversion_behind_a_range_check_traps_where_the_check_admits_values_out_of_range() {
    // (float type, conversion, scale of the counter, the check on `$x`, whether the
    // interpreter traps). The counter times 2^25 reaches 2^31 at 64 and 2^32 at 128.
    let cases = [
        (
            "f64",
            "i32.trunc_f64_s",
            "33554432",
            "(f64.lt (f64.abs (local.get $x)) (f64.const 2147483648))",
            false,
        ),
        (
            "f64",
            "i32.trunc_f64_s",
            "33554432",
            "(f64.lt (f64.abs (local.get $x)) (f64.const 2147485696))",
            true,
        ),
        (
            "f64",
            "i32.trunc_f64_u",
            "33554432",
            "(i32.and (f64.lt (local.get $x) (f64.const 4294967296)) (f64.ge (local.get $x) (f64.const 0)))",
            false,
        ),
        (
            "f64",
            "i32.trunc_f64_u",
            "33554432",
            "(i32.and (f64.lt (local.get $x) (f64.const 4294971392)) (f64.ge (local.get $x) (f64.const 0)))",
            true,
        ),
        (
            "f64",
            "i32.trunc_f64_u",
            "-0.25",
            "(i32.and (f64.lt (local.get $x) (f64.const 4294967296)) (f64.gt (local.get $x) (f64.const -2)))",
            true,
        ),
        (
            "f32",
            "i64.trunc_f32_s",
            "144115188075855872",
            "(f32.lt (f32.abs (local.get $x)) (f32.const 9223372036854775808))",
            false,
        ),
        (
            "f32",
            "i64.trunc_f32_s",
            "144115188075855872",
            "(f32.lt (f32.abs (local.get $x)) (f32.const 9223374235878031360))",
            true,
        ),
    ];
    let mut off = Config::new();
    off.jit(false);
    let (jit, interp) = (engine(2), Engine::new(&off));
    for (t, conv, scale, check, traps) in cases {
        let converted = format!("({conv} (local.get $x))");
        let converted = if conv.starts_with("i64") {
            format!("(i32.wrap_i64 {converted})")
        } else {
            converted
        };
        let wat = format!(
            r#"(module (func (export "run") (param $n i32) (result i32)
              (local $i i32) (local $acc i32) (local $x {t})
              (loop $l
                (local.set $x ({t}.mul ({t}.convert_i32_u (local.get $i)) ({t}.const {scale})))
                (if {check} (then
                  (local.set $acc (i32.add (local.get $acc) {converted}))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
              (local.get $acc)))"#
        );
        let (expected, _) = try_run_once(&interp, &wat, 200);
        let (actual, stats) = try_run_once(&jit, &wat, 200);
        let (expected, actual) = (format!("{expected:?}"), format!("{actual:?}"));
        assert_eq!(
            expected.starts_with("Err"),
            traps,
            "{conv} {check}: {expected}"
        );
        assert_eq!(actual, expected, "{conv} {check}");
        assert!(stats.traces > 0, "{conv} {check}: the loop compiled");
    }
}

//! Function traces and native calls between traces (`hotcall`, `CallTrace`): recursive
//! functions get a trace from their entry, recursive calls run natively from trace to
//! trace, and everything computes what the interpreter computes, including where the
//! native calls run out of room, trap deep inside, call the host (which calls back into
//! WebAssembly), grow memory, recurse mutually, or are interrupted. A megamorphic
//! `call_indirect` (`CallAny`) calls its targets' function traces natively, and the rest
//! through the interpreter, with the same traps.

use spur::{
    Caller, Config, Engine, Instance, Linker, Module, Store, TrapCode, WasmParams, WasmResults,
};
use std::time::Duration;

const PROGRAM: &str = r#"
(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (import "env" "mix" (func $mix (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; Doubly recursive Fibonacci, with both calls in the function body.
  (func $fib (export "fib") (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else (i64.add
        (call $fib (i32.sub (local.get $n) (i32.const 1)))
        (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  ;; sum(n) = n + sum(n - 1): recursion n deep, with a float live across the call.
  (func $sum (export "sum") (param $n i32) (result f64) (local $x f64)
    (local.set $x (f64.convert_i32_u (local.get $n)))
    (if (result f64) (i32.eqz (local.get $n))
      (then (f64.const 0))
      (else (f64.add (local.get $x) (call $sum (i32.sub (local.get $n) (i32.const 1)))))))
  ;; Inlined into $h's traces, with a branch that changes direction as `x` grows: its
  ;; exits grow side traces that start in this frame, above $h's.
  (func $g (param $x i32) (result i32) (local $y i32) (local $z i32)
    (local.set $y (i32.mul (local.get $x) (i32.const 3)))
    (local.set $z (i32.xor (local.get $y) (i32.const 9)))
    (if (result i32) (i32.and (local.get $x) (i32.const 8))
      (then (i32.add (local.get $y) (i32.const 5)))
      (else (local.get $z))))
  ;; `$k` is read only after the call of $g: from the value stack, in a side trace.
  (func $h (export "h") (param $n i32) (param $acc i32) (param $k i32) (result i32)
    (local $t i32)
    (local.set $t (i32.add (local.get $acc) (i32.const 7)))
    (if (result i32) (i32.eqz (local.get $n))
      (then (local.get $t))
      (else (call $h (i32.sub (local.get $n) (i32.const 1))
        (i32.add (call $g (local.get $n)) (i32.add (local.get $t) (local.get $k)))
        (local.get $k)))))
  ;; Recurses `n` deep and traps (divides by zero) at the bottom when `n` is `bad`.
  (func $dive (export "dive") (param $n i32) (param $bad i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.div_u (i32.const 1) (i32.sub (local.get $bad) (i32.const 1))))
      (else (i32.add (i32.const 1)
        (call $dive (i32.sub (local.get $n) (i32.const 1)) (local.get $bad))))))
  ;; A tree walk that stores into memory and calls the host at every 16th node.
  (func $walk (export "walk") (param $d i32) (param $k i32) (result i32) (local $r i32)
    (i32.store (i32.and (i32.mul (local.get $k) (i32.const 4)) (i32.const 0xfffc))
      (local.get $d))
    (if (i32.eqz (i32.and (local.get $k) (i32.const 15)))
      (then (local.set $r (call $twice (local.get $k)))))
    (if (result i32) (i32.eqz (local.get $d))
      (then (i32.add (local.get $r) (local.get $k)))
      (else (i32.add (local.get $r) (i32.add
        (call $walk (i32.sub (local.get $d) (i32.const 1)) (i32.mul (local.get $k) (i32.const 2)))
        (call $walk (i32.sub (local.get $d) (i32.const 1))
          (i32.add (i32.mul (local.get $k) (i32.const 2)) (i32.const 1))))))))
  ;; What the host calls back: a little recursion of its own.
  (func (export "inner") (param $k i32) (result i32)
    (i32.wrap_i64 (call $fib (i32.and (local.get $k) (i32.const 7)))))
  ;; Grows memory by a page at the bottom of the recursion, every 64th call.
  (func $grow (export "grow") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.add (memory.size) (i32.const 0)))
      (else
        (if (i32.eqz (i32.and (local.get $n) (i32.const 63)))
          (then (drop (memory.grow (i32.const 1)))))
        (call $grow (i32.sub (local.get $n) (i32.const 1))))))
  ;; Mutual recursion: even(n) calls odd(n - 1) and the other way round.
  (func $even (export "even") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 1))
      (else (call $odd (i32.sub (local.get $n) (i32.const 1))))))
  (func $odd (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
      (else (call $even (i32.sub (local.get $n) (i32.const 1))))))
  ;; No parameters, locals or operands: each callee's frame starts where its caller's
  ;; does. Counts the global down to 0, one call each.
  (global $left (mut i32) (i32.const 0))
  (global $calls (mut i32) (i32.const 0))
  (func $down
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (global.set $left (i32.sub (global.get $left) (i32.const 1)))
    (if (global.get $left) (then (call $down))))
  (func (export "countdown") (param $n i32) (result i32)
    (global.set $left (local.get $n))
    (global.set $calls (i32.const 0))
    (call $down)
    (global.get $calls))
  ;; A loop that calls $fib: its trace inlines the first level and calls $fib's
  ;; function trace natively from there, across trees.
  (func (export "fibs") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc (i64.add (local.get $acc)
        (call $fib (i32.and (local.get $i) (i32.const 15)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  ;; The targets of `dispatch`'s one call_indirect site: pure arithmetic, memory, a
  ;; global, a loop, recursion, the host; one that divides by `$divisor` (index 8), one
  ;; of another type (10), a null element (11); 12 is out of bounds.
  (type $bin (func (param i32 i32) (result i32)))
  (table $tab (export "tab") 12 funcref)
  (elem (table $tab) (i32.const 0) func $m0 $m1 $m2 $m3 $m4 $m5 $m6 $mix $mdiv $mfib $un)
  (global $hits (mut i32) (i32.const 0))
  (global $divisor (mut i32) (i32.const 1))
  (func (export "set_divisor") (param i32) (global.set $divisor (local.get 0)))
  (func $m0 (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $m1 (type $bin) (i32.xor (i32.mul (local.get 0) (i32.const 3)) (local.get 1)))
  (func $m2 (type $bin) (i32.rotl (local.get 0) (i32.and (local.get 1) (i32.const 31))))
  (func $m3 (type $bin) (i32.sub (local.get 1) (local.get 0)))
  (func $m4 (type $bin)
    (i32.store offset=4096 (i32.and (i32.shl (local.get 1) (i32.const 2)) (i32.const 0xffc))
      (local.get 0))
    (i32.add (i32.load offset=4096 (i32.const 8)) (local.get 0)))
  (func $m5 (type $bin)
    (global.set $hits (i32.add (global.get $hits) (i32.const 1)))
    (i32.add (global.get $hits) (local.get 0)))
  (func $m6 (type $bin) (local $j i32)
    (local.set $j (i32.and (local.get 1) (i32.const 7)))
    (loop $l
      (local.set 0 (i32.add (i32.mul (local.get 0) (i32.const 5)) (local.get $j)))
      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $j) (i32.const 0))))
    (local.get 0))
  (func $mdiv (type $bin) (i32.add (local.get 1) (i32.div_u (local.get 0) (global.get $divisor))))
  (func $mfib (type $bin)
    (i32.add (local.get 0) (i32.wrap_i64 (call $fib (i32.and (local.get 1) (i32.const 7))))))
  (func $un (param i32) (result i32) (local.get 0))
  ;; `n` calls through the table at indices from an LCG below `k`; the last one at
  ;; index `last` instead, unless it is -1 (chosen without a branch: traces reach the
  ;; call with it).
  (func (export "dispatch") (param $n i32) (param $k i32) (param $last i32) (result i32)
    (local $i i32) (local $acc i32) (local $s i32) (local $x i32)
    (local.set $s (i32.const 12345))
    (loop $l
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 1103515245))
        (i32.const 12345)))
      (local.set $x (i32.rem_u (i32.shr_u (local.get $s) (i32.const 16)) (local.get $k)))
      (local.set $x (select (local.get $last) (local.get $x)
        (i32.and (i32.eq (local.get $i) (i32.sub (local.get $n) (i32.const 1)))
          (i32.ne (local.get $last) (i32.const -1)))))
      (local.set $acc (call_indirect $tab (type $bin)
        (local.get $acc) (local.get $i) (local.get $x)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  ;; Replaces target `at` with $m3 or $m0.
  (func (export "retarget") (param $at i32) (param $which i32)
    (table.set $tab (local.get $at)
      (select (result funcref) (ref.func $m3) (ref.func $m0) (local.get $which))))
  ;; Grows the table by `n` elements of $m2; the old size.
  (func (export "grow_tab") (param $n i32) (result i32)
    (table.grow $tab (ref.func $m2) (local.get $n)))
  ;; 2^d calls, d deep: endless in practice for d = 60.
  (func $spin (export "spin") (param $d i32)
    (if (local.get $d) (then
      (call $spin (i32.sub (local.get $d) (i32.const 1)))
      (call $spin (i32.sub (local.get $d) (i32.const 1)))))))
"#;

fn setup(config: &mut Config) -> (Engine, Store<()>, Instance) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, PROGRAM).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "twice", |mut c: Caller<'_, ()>, k: i32| -> i32 {
            // Calls back into WebAssembly: its frames must not overwrite the slots of
            // the traces that are running.
            let inner = c.get_export("inner").unwrap().into_func().unwrap();
            let inner = inner.typed::<i32, i32>(&c).unwrap();
            inner.call(&mut c, k).unwrap() * 2
        })
        .unwrap();
    linker
        .func_wrap("env", "mix", |a: i32, b: i32| a.wrapping_mul(7) ^ b)
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (engine, store, instance)
}

/// The program in the interpreter alone and with the JIT (low thresholds, or `config`).
struct Pair {
    is: Store<()>,
    ii: Instance,
    js: Store<()>,
    ji: Instance,
}

impl Pair {
    fn new() -> Pair {
        let mut config = Config::new();
        config.jit_param("hotcall", 4).unwrap();
        config.jit_param("hotexit", 2).unwrap();
        Pair::with(config)
    }

    fn with(mut jit: Config) -> Pair {
        let (_, is, ii) = setup(Config::new().jit(false));
        let (_, js, ji) = setup(&mut jit);
        Pair { is, ii, js, ji }
    }

    /// Calls export `name` with `args` in both, checks that the results (or traps)
    /// agree, and returns the interpreter's.
    fn agree<P, R>(&mut self, name: &str, args: P) -> Result<R, spur::Error>
    where
        P: WasmParams + Copy + std::fmt::Debug,
        R: WasmResults + PartialEq + std::fmt::Debug,
    {
        let fi = self.ii.get_typed_func::<P, R>(&mut self.is, name).unwrap();
        let fj = self.ji.get_typed_func::<P, R>(&mut self.js, name).unwrap();
        let (want, got) = (fi.call(&mut self.is, args), fj.call(&mut self.js, args));
        match (&want, &got) {
            (Ok(w), Ok(g)) => assert_eq!(g, w, "{name}{args:?}"),
            (Err(w), Err(g)) => {
                assert_eq!(g.trap_code(), w.trap_code(), "{name}{args:?}");
                let frames = |e: &spur::Error| e.as_trap().map(|t| t.frames().to_vec());
                assert_eq!(frames(g), frames(w), "{name}{args:?}: the trap's frames");
            }
            _ => panic!("{name}{args:?}: {want:?} but {got:?} with the JIT"),
        }
        want
    }

    fn stats(&self) -> spur::JitStats {
        self.js.jit_stats()
    }
}

#[test]
fn recursive_functions_get_function_traces_and_compute_the_same() {
    let mut p = Pair::new();
    for n in 0..24 {
        p.agree::<i32, i64>("fib", n).unwrap();
    }
    for n in 0..60 {
        p.agree::<(i32, i32, i32), i32>("h", (n, n, 1000 + n))
            .unwrap();
    }
    for n in [0, 1, 5, 100, 1000] {
        // Compared by value: no NaN here.
        p.agree::<i32, f64>("sum", n).unwrap();
    }
    for n in [1, 2, 10, 100, 3000] {
        assert_eq!(p.agree::<i32, i32>("countdown", n).unwrap(), n);
    }
    let stats = p.stats();
    assert!(stats.function_traces >= 3, "{stats}");
    assert!(stats.links_return >= 2, "{stats}");
    // The recursion ran natively: exits happened inside calls between traces.
    assert!(stats.nested_exits > 0, "{stats}");
    assert!(
        !stats.aborts.iter().any(|a| a.0 == "recursive call"),
        "{stats}"
    );
}

#[test]
fn a_trap_deep_in_native_calls_has_the_interpreters_frames() {
    let mut p = Pair::new();
    // Warm up the function trace and its side traces.
    for n in 0..50 {
        p.agree::<(i32, i32), i32>("dive", (n, 0)).unwrap();
    }
    for depth in [3, 40, 300] {
        let e = p.agree::<(i32, i32), i32>("dive", (depth, 1)).unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::IntegerDivideByZero));
        assert_eq!(e.as_trap().unwrap().frames().len(), depth as usize + 1);
    }
    // The store stays usable.
    assert_eq!(p.agree::<(i32, i32), i32>("dive", (10, 0)).unwrap(), 10);
}

#[test]
fn recursion_deeper_than_the_native_stack_allows_falls_back_to_the_interpreter() {
    let mut p = Pair::new();
    for n in [10, 20_000, 50_000] {
        p.agree::<i32, f64>("sum", n).unwrap();
    }
    // Past the call depth limit, both overflow.
    let e = p.agree::<i32, f64>("sum", 10_000_000).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::StackOverflow));
    assert_eq!(p.agree::<i32, f64>("sum", 100).unwrap(), 5050.0);
}

#[test]
fn host_calls_memory_growth_and_mutual_recursion_inside_native_calls() {
    let mut p = Pair::new();
    for d in 0..11 {
        p.agree::<(i32, i32), i32>("walk", (d, 1)).unwrap();
    }
    let (mi, mj) = (
        p.ii.get_memory(&mut p.is, "memory").unwrap(),
        p.ji.get_memory(&mut p.js, "memory").unwrap(),
    );
    assert!(mi.data(&p.is)[..65536] == mj.data(&p.js)[..65536]);
    for n in [1, 64, 200, 640] {
        p.agree::<i32, i32>("grow", n).unwrap();
    }
    for n in 0..300 {
        p.agree::<i32, i32>("even", n).unwrap();
    }
    let stats = p.stats();
    assert!(stats.function_traces >= 3, "{stats}");
}

#[test]
fn trees_evicted_under_pressure_take_the_trees_that_call_them_along() {
    let mut config = Config::new();
    config.jit_param("hotcall", 4).unwrap();
    config.jit_param("hotexit", 2).unwrap();
    // Three live traces at most: trees are evicted all the time, while other trees'
    // traces call into them natively.
    config.jit_param("maxtrace", 3).unwrap();
    let mut p = Pair::with(config);
    for round in 0..3 {
        for n in 0..22 {
            p.agree::<i32, i64>("fib", n).unwrap();
            p.agree::<(i32, i32, i32), i32>("h", (n, round, n * 7))
                .unwrap();
            p.agree::<i32, i32>("even", n * 9).unwrap();
            p.agree::<i32, i64>("fibs", 40 + n * 3).unwrap();
        }
    }
    let stats = p.stats();
    assert!(stats.evicted > 0 && stats.nested_exits > 0, "{stats}");
}

#[test]
fn endless_recursion_is_interrupted_by_the_epoch() {
    let mut config = Config::new();
    config
        .epoch_interruption(true)
        .jit_param("hotcall", 4)
        .unwrap();
    let (engine, mut store, instance) = setup(&mut config);
    let spin = instance
        .get_typed_func::<i32, ()>(&mut store, "spin")
        .unwrap();
    store.set_epoch_deadline(1);
    // Long enough for the tree (a function trace and its side trace) to be built first,
    // under an emulator too: interrupted before that, no native call may be running.
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        engine.increment_epoch();
    });
    let err = spin.call(&mut store, 60).unwrap_err();
    timer.join().unwrap();
    assert_eq!(err.trap_code(), Some(TrapCode::Interrupt), "{err}");
    let stats = store.jit_stats();
    assert!(
        stats.function_traces >= 1 && stats.nested_exits > 0,
        "{stats}"
    );
}

#[test]
fn a_megamorphic_call_site_calls_its_targets_natively_with_the_interpreters_traps() {
    let mut p = Pair::new();
    // Eight targets, a host function among them: past `maxpoly`, the loop is recorded
    // again with one native call at the site.
    for n in [1, 50, 400, 3000, 3000] {
        p.agree::<(i32, i32, i32), i32>("dispatch", (n, 8, -1))
            .unwrap();
    }
    let stats = p.stats();
    assert!(stats.megamorphic >= 1, "{stats}");
    assert!(stats.function_traces >= 5, "{stats}");
    assert!(stats.slow_calls > 0, "{stats}");
    // Traps at the site (another type, null, out of bounds) and inside callees (one
    // run natively, one through the interpreter), with the interpreter's frames.
    for n in [100, 3000] {
        p.agree::<(i32, i32, i32), i32>("dispatch", (n, 10, -1))
            .unwrap();
    }
    p.agree::<i32, ()>("set_divisor", 0).unwrap();
    let nested = p.stats().nested_exits;
    for (k, last, code) in [
        (8, 10, TrapCode::IndirectCallTypeMismatch),
        (8, 11, TrapCode::UninitializedElement),
        (8, 12, TrapCode::UndefinedElement),
        (8, 8, TrapCode::IntegerDivideByZero),
        (10, -1, TrapCode::IntegerDivideByZero),
    ] {
        let e = p
            .agree::<(i32, i32, i32), i32>("dispatch", (2049, k, last))
            .unwrap_err();
        assert_eq!(e.trap_code(), Some(code), "{e}");
    }
    // $mdiv's function trace trapped (exited) inside the native call.
    let stats = p.stats();
    assert!(stats.nested_exits > nested, "{stats}");
    p.agree::<i32, ()>("set_divisor", 1).unwrap();
    // The table changes under the traces: calls follow it.
    for (at, which) in [(1, 0), (4, 1), (7, 0)] {
        p.agree::<(i32, i32), ()>("retarget", (at, which)).unwrap();
        p.agree::<(i32, i32, i32), i32>("dispatch", (3000, 8, -1))
            .unwrap();
    }
    // Slots the traces have not called yet: a mistyped and a null element replaced,
    // then the table grown under the traces (calls look its slots up by index).
    for (at, which) in [(10, 0), (11, 1)] {
        p.agree::<(i32, i32), ()>("retarget", (at, which)).unwrap();
    }
    let slow = p.stats().slow_calls;
    assert_eq!(p.agree::<i32, i32>("grow_tab", 4).unwrap(), 12);
    for n in [3000, 3000] {
        p.agree::<(i32, i32, i32), i32>("dispatch", (n, 16, -1))
            .unwrap();
    }
    // Past the first calls, the new slots' targets ran natively: $m2's trace, as
    // before the growth.
    let stats = p.stats();
    assert!(stats.slow_calls - slow < 1500, "{stats}");
    let (mi, mj) = (
        p.ii.get_memory(&mut p.is, "memory").unwrap(),
        p.ji.get_memory(&mut p.js, "memory").unwrap(),
    );
    assert!(mi.data(&p.is)[..8192] == mj.data(&p.js)[..8192]);
}

/// A loop-free function the host calls often gets a function trace at its entry, which
/// the later calls run. Two instances of one module share the trace's code but not their
/// memories: each call reads its own instance's memory, in whatever order they come.
#[test]
fn a_loop_free_function_the_host_calls_often_runs_its_function_trace() {
    let wat = r#"(module
          (memory 1)
          (func (export "init") (param $seed i32)
            (i32.store (i32.const 64) (local.get $seed)))
          (func (export "step") (param $x i32) (result i32)
            (local $y i32)
            (local.set $y (i32.xor (i32.mul (local.get $x) (i32.const 0x2c1b3c6d))
                                   (i32.load (i32.const 64))))
            (if (result i32) (i32.and (local.get $y) (i32.const 1))
              (then (i32.rotl (local.get $y) (i32.const 7)))
              (else (i32.shr_u (local.get $y) (i32.const 3))))))"#;
    let model = |seed: u32, x: u32| {
        let y = x.wrapping_mul(0x2c1b_3c6d) ^ seed;
        if y & 1 == 1 { y.rotate_left(7) } else { y >> 3 }
    };
    let mut config = Config::new();
    config.jit_param("hotcall", 10).unwrap();
    // `step` is small: the default `hostsize` would leave it to the interpreter.
    config.jit_param("hostsize", 1).unwrap();
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let seeds = [0x1234_5678u32, 0x9abc_def0];
    let mut steps = Vec::new();
    for seed in seeds {
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let init = instance
            .get_typed_func::<u32, ()>(&mut store, "init")
            .unwrap();
        init.call(&mut store, seed).unwrap();
        steps.push(
            instance
                .get_typed_func::<u32, u32>(&mut store, "step")
                .unwrap(),
        );
    }
    for x in 0..2000u32 {
        // Mostly the first instance, the second in bursts.
        let k = usize::from(x % 7 >= 5);
        let got = steps[k].call(&mut store, x).unwrap();
        assert_eq!(got, model(seeds[k], x), "call {x} on instance {k}");
    }
    let stats = store.jit_stats();
    assert!(stats.function_traces >= 1, "{stats}");
    assert!(stats.entries >= 1500, "most calls ran the trace: {stats}");
}

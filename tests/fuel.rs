//! Fuel metering (`Config::consume_fuel`, `Store::set_fuel`, `Store::get_fuel`): programs
//! consume exactly the fuel the cost table says (1 per operator, 0 for `nop`, `drop`,
//! `unreachable` and the structure operators; worked out by hand below), the same with
//! the JIT on and off, and run out at the same instruction: inside a trace, inside a
//! call the trace inlined, at and inside host calls, and inside side traces.

use spur::{Caller, Config, Engine, Error, Instance, Linker, Module, Store, TrapCode, Val};

const PROGRAM: &str = r#"
(module
  (import "env" "observe" (func $observe (param i32)))
  (import "env" "reenter" (func $reenter (param i32) (result i32)))
  (import "env" "reenter_step" (func $reenter_step (param i32) (result i32)))
  ;; 8 per iteration (local.get, i32.const, i32.add, local.set; local.get, local.get,
  ;; i32.lt_u, br_if), then 1 for the final local.get: 8n + 1.
  (func $count (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  ;; 5 per call.
  (func $step (export "step") (param i32) (result i32)
    (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const 1)))
  ;; 11 in the loop's own run (3 around the call, then 8), 5 in $step: 16n + 1.
  (func (export "calls") (param $n i32) (result i32) (local $i i32) (local $x i32)
    (loop $l
      (local.set $x (call $step (local.get $x)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $x))
  ;; 10 per iteration, charged before the host call: 10n.
  (func (export "observed") (param $n i32) (local $i i32)
    (loop $l
      (call $observe (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
  ;; 4 for the test, 4 for either arm, 8 after the join: 16n + 1.
  (func (export "branchy") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $s (i32.add (local.get $s) (local.get $i))))
        (else (local.set $s (i32.xor (local.get $s) (i32.const 7)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  ;; 2 and whatever the host's call of `count` costs.
  (func (export "outer") (param $n i32) (result i32)
    (call $reenter (local.get $n)))
  ;; 14 per iteration, 5 in the host's call of `step` and 5 in the loop's: 24n + 1.
  (func (export "reentering") (param $n i32) (result i32) (local $i i32) (local $x i32)
    (loop $l
      (local.set $x (call $reenter_step (local.get $x)))
      (local.set $x (call $step (local.get $x)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $x)))
"#;

/// Fuel seen by `observe`, in call order, and what it sets the fuel to on which call.
#[derive(Default)]
struct Host {
    seen: Vec<u64>,
    cut: Option<(usize, u64)>,
}

fn setup(jit: bool) -> (Store<Host>, Instance) {
    let mut config = Config::new();
    config.jit(jit).consume_fuel(true);
    if jit {
        // Traces from the second iteration, side traces from an exit's first time, and
        // function traces for what the host calls from its first call.
        config.jit_param("hotloop", 2).unwrap();
        config.jit_param("hotexit", 1).unwrap();
        config.jit_param("hotcall", 1).unwrap();
        config.jit_param("hostsize", 1).unwrap();
    }
    let engine = Engine::new(&config);
    let module = Module::new(&engine, PROGRAM).unwrap();
    let mut store = Store::new(&engine, Host::default());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "observe", |mut c: Caller<'_, Host>, _: i32| {
            let fuel = c.get_fuel().unwrap();
            let host = c.data_mut();
            host.seen.push(fuel);
            if let Some((at, to)) = host.cut
                && host.seen.len() == at
            {
                c.set_fuel(to).unwrap();
            }
        })
        .unwrap();
    // Host functions that call an export back with their argument.
    for (import, export) in [("reenter", "count"), ("reenter_step", "step")] {
        linker
            .func_wrap(
                "env",
                import,
                move |mut c: Caller<'_, Host>, x: i32| -> Result<i32, Error> {
                    let f = c.get_export(export).unwrap().into_func().unwrap();
                    let mut out = [Val::I32(0)];
                    f.call(&mut c, &[Val::I32(x)], &mut out)?;
                    Ok(out[0].i32().unwrap())
                },
            )
            .unwrap();
    }
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

/// Calls export `name` with `n` on `fuel`: its result or trap, where it trapped
/// (function indices, innermost first), and the fuel left.
fn run(
    store: &mut Store<Host>,
    instance: &Instance,
    name: &str,
    n: i32,
    fuel: u64,
) -> (Result<Option<i32>, TrapCode>, Vec<u32>, u64) {
    store.set_fuel(fuel).unwrap();
    let f = instance.get_func(&mut *store, name).unwrap();
    let mut out = vec![Val::I32(0); f.ty(&*store).results().len()];
    let (result, frames) = match f.call(&mut *store, &[Val::I32(n)], &mut out) {
        Ok(()) => (Ok(out.first().map(|v| v.i32().unwrap())), Vec::new()),
        Err(e) => {
            let trap = e.as_trap().unwrap_or_else(|| panic!("not a trap: {e}"));
            let frames = trap.frames().iter().map(|f| f.func_index).collect();
            (Err(trap.code()), frames)
        }
    };
    (result, frames, store.get_fuel().unwrap())
}

#[test]
fn a_loop_consumes_what_the_cost_table_says_and_runs_out_inside_its_trace() {
    for jit in [false, true] {
        let (mut store, instance) = setup(jit);
        let (result, _, left) = run(&mut store, &instance, "count", 1000, 100_000);
        assert_eq!(
            (result, left),
            (Ok(Some(1000)), 100_000 - 8_001),
            "jit {jit}"
        );
        // 1000 iterations fit, the 1001st does not: it traps at its start with 5 left.
        let (result, frames, left) = run(&mut store, &instance, "count", 1_000_000, 8_005);
        assert_eq!(result, Err(TrapCode::OutOfFuel), "jit {jit}");
        assert_eq!((frames, left), (vec![3], 5), "jit {jit}");
        // The store stays usable.
        let (result, _, left) = run(&mut store, &instance, "count", 3, 100);
        assert_eq!((result, left), (Ok(Some(3)), 100 - 25), "jit {jit}");
        let stats = store.jit_stats();
        assert_eq!(stats.traces > 0, jit, "{stats}");
    }
}

#[test]
fn fuel_runs_out_inside_an_inlined_call() {
    for jit in [false, true] {
        let (mut store, instance) = setup(jit);
        let (result, _, left) = run(&mut store, &instance, "calls", 500, 10_000);
        assert_eq!(left, 10_000 - 8_001, "jit {jit}");
        let mut x = 0i32;
        for _ in 0..500 {
            x = x.wrapping_mul(3).wrapping_add(1);
        }
        assert_eq!(result, Ok(Some(x)));
        // After 100 iterations, 13 is left: the loop's run (11) fits, `$step`'s does not.
        let (result, frames, left) = run(&mut store, &instance, "calls", 1000, 1_613);
        assert_eq!(result, Err(TrapCode::OutOfFuel), "jit {jit}");
        assert_eq!((frames, left), (vec![4, 5], 2), "jit {jit}");
        if jit {
            assert!(store.jit_stats().traces > 0);
        }
    }
}

#[test]
fn host_calls_see_the_exact_fuel_left_and_may_cut_it() {
    for jit in [false, true] {
        let (mut store, instance) = setup(jit);
        let (result, _, left) = run(&mut store, &instance, "observed", 200, 5_000);
        assert_eq!((result, left), (Ok(None), 3_000), "jit {jit}");
        let expected: Vec<u64> = (1..=200).map(|k| 5_000 - 10 * k).collect();
        assert_eq!(store.data().seen, expected, "jit {jit}");
        // The 150th call leaves 3: the next iteration's run does not fit.
        store.data_mut().seen.clear();
        store.data_mut().cut = Some((150, 3));
        let (result, frames, left) = run(&mut store, &instance, "observed", 200, 5_000);
        assert_eq!(result, Err(TrapCode::OutOfFuel), "jit {jit}");
        assert_eq!((frames, left, store.data().seen.len()), (vec![6], 3, 150));
        if jit {
            assert!(store.jit_stats().traces > 0);
        }
    }
}

#[test]
fn fuel_runs_out_inside_wasm_a_host_call_reentered() {
    for jit in [false, true] {
        let (mut store, instance) = setup(jit);
        let (result, _, left) = run(&mut store, &instance, "outer", 100, 10_000);
        assert_eq!(
            (result, left),
            (Ok(Some(100)), 10_000 - 2 - 801),
            "jit {jit}"
        );
        let (result, _, left) = run(&mut store, &instance, "outer", 1_000_000, 10_000);
        assert_eq!(result, Err(TrapCode::OutOfFuel), "jit {jit}");
        // 10,000 - 2 = 9,998 = 8 * 1249 + 6 for `count`.
        assert_eq!(left, 6, "jit {jit}");
    }
}

/// Runs export `name` with `n`, whose whole run costs `cost`, on every budget up to a bit
/// more than that, with the JIT and without: the fuel runs out at every point of the run,
/// at the same instruction with the same fuel left in both. Returns the JIT's store.
fn every_budget_agrees(name: &str, n: i32, cost: u64) -> Store<Host> {
    let (mut interp, interp_instance) = setup(false);
    let (mut jit, jit_instance) = setup(true);
    let (result, _, left) = run(&mut interp, &interp_instance, name, n, 1_000);
    assert_eq!(left, 1_000 - cost);
    for fuel in 0..=cost + 50 {
        let expected = run(&mut interp, &interp_instance, name, n, fuel);
        let got = run(&mut jit, &jit_instance, name, n, fuel);
        assert_eq!(got, expected, "fuel {fuel}");
        if fuel >= cost {
            assert_eq!(got.0, result);
        } else {
            assert_eq!(got.0, Err(TrapCode::OutOfFuel));
        }
    }
    jit
}

#[test]
fn every_budget_runs_out_at_the_same_place_with_side_traces_as_without() {
    // The whole loop, 16n + 1, runs out in the root trace and in the side trace of its
    // other arm.
    let stats = every_budget_agrees("branchy", 40, 641).jit_stats();
    assert!(stats.side_traces > 0 && stats.exits > 0, "{stats}");
}

#[test]
fn every_budget_runs_out_at_the_same_place_when_a_trace_calls_a_host_that_reenters() {
    // `step` is called from the host and from the loop (24n + 1 in all): whichever
    // records its function trace, both calls run it and charge its entry once.
    let stats = every_budget_agrees("reentering", 30, 721).jit_stats();
    assert!(stats.function_traces > 0 && stats.entries > 0, "{stats}");
}

#[test]
fn fuel_is_an_error_unless_configured() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    assert!(store.set_fuel(10).is_err());
    let err = store.get_fuel().unwrap_err();
    assert!(err.to_string().contains("consume_fuel"), "{err}");
    // Without fuel, a loop runs with no charge at all.
    let module = Module::new(
        &engine,
        PROGRAM
            .replace(
                "(import \"env\" \"observe\" (func $observe (param i32)))",
                "(func $observe (param i32))",
            )
            .replace(
                "(import \"env\" \"reenter\" (func $reenter (param i32) (result i32)))",
                "(func $reenter (param i32) (result i32) (local.get 0))",
            )
            .replace(
                "(import \"env\" \"reenter_step\" (func $reenter_step (param i32) (result i32)))",
                "(func $reenter_step (param i32) (result i32) (local.get 0))",
            ),
    )
    .unwrap();
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let count = instance
        .get_typed_func::<i32, i32>(&mut store, "count")
        .unwrap();
    assert_eq!(count.call(&mut store, 100_000).unwrap(), 100_000);
}

#[test]
fn a_store_holds_at_most_2_to_the_62_fuel() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let mut store = Store::new(&Engine::new(&config), ());
    store.set_fuel(u64::MAX).unwrap();
    assert_eq!(store.get_fuel().unwrap(), 1 << 62);
    store.set_fuel(12).unwrap();
    assert_eq!(store.get_fuel().unwrap(), 12);
}

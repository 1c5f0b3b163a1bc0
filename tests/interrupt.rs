//! Epoch interruption (`Config::epoch_interruption`, `Engine::increment_epoch`,
//! `Store::set_epoch_deadline`): endless loops stop, in the interpreter and in traces,
//! soon after the epoch passes the deadline; calls check too; the store stays
//! usable; without the option nothing changes.

use spur::{Config, Engine, Instance, Module, Store, TrapCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PROGRAM: &str = r#"
(module
  (func $spin (export "spin") (loop (br 0)))
  ;; sum of 0..n through a loop that calls $add: loop headers and entries both check
  (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (call $add (local.get $s) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func $leaf (export "leaf") (result i32) (i32.const 7))
  (func (export "chain") (result i32) (i32.add (call $leaf) (i32.const 1))))
"#;

fn setup(jit: bool, epochs: bool) -> (Engine, Store<()>, Instance) {
    let mut config = Config::new();
    config.jit(jit).epoch_interruption(epochs);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, PROGRAM).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (engine, store, instance)
}

/// Calls `spin` with a timer that advances the epoch after `after`; how long after that
/// the trap came back.
fn spin_until_interrupted(engine: &Engine, store: &mut Store<()>, instance: &Instance) -> Duration {
    let spin = instance
        .get_typed_func::<(), ()>(&mut *store, "spin")
        .unwrap();
    store.set_epoch_deadline(1);
    let ticked = Arc::new(Mutex::new(None));
    let (engine, t) = (engine.clone(), ticked.clone());
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        *t.lock().unwrap() = Some(Instant::now());
        engine.increment_epoch();
    });
    let err = spin.call(&mut *store, ()).unwrap_err();
    let stopped = Instant::now();
    timer.join().unwrap();
    assert_eq!(err.trap_code(), Some(TrapCode::Interrupt), "{err}");
    let ticked = ticked.lock().unwrap().expect("the timer ran");
    stopped.saturating_duration_since(ticked)
}

#[test]
fn an_endless_loop_stops_soon_after_the_deadline_with_the_jit_on_and_off() {
    for jit in [false, true] {
        let (engine, mut store, instance) = setup(jit, true);
        let late = spin_until_interrupted(&engine, &mut store, &instance);
        assert!(late < Duration::from_millis(50), "jit {jit}: {late:?}");
        let stats = store.jit_stats();
        if jit && Config::jit_available() {
            // The loop ran as a trace, whose epoch guard took the exit.
            assert!(stats.traces > 0 && stats.exits > 0, "{stats}");
        } else {
            assert_eq!(stats.traces, 0);
        }
        // The store stays usable: a new deadline, and both a short call and another
        // interrupted spin work.
        store.set_epoch_deadline(1);
        let sum = instance
            .get_typed_func::<i32, i32>(&mut store, "sum")
            .unwrap();
        assert_eq!(sum.call(&mut store, 10_000).unwrap(), 49_995_000);
        let late = spin_until_interrupted(&engine, &mut store, &instance);
        assert!(
            late < Duration::from_millis(50),
            "jit {jit}, again: {late:?}"
        );
    }
}

#[test]
fn a_passed_deadline_traps_at_the_first_call_or_loop_header() {
    for jit in [false, true] {
        let (_engine, mut store, instance) = setup(jit, true);
        // The default deadline is the current epoch (as in Wasmtime): code traps at its
        // first check. Code without loops or calls has none: it always finishes.
        let leaf = instance
            .get_typed_func::<(), i32>(&mut store, "leaf")
            .unwrap();
        assert_eq!(leaf.call(&mut store, ()).unwrap(), 7);
        let sum = instance
            .get_typed_func::<i32, i32>(&mut store, "sum")
            .unwrap();
        let err = sum.call(&mut store, 10).unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::Interrupt));
        // A loop-free chain of calls checks at each call.
        let chain = instance
            .get_typed_func::<(), i32>(&mut store, "chain")
            .unwrap();
        let err = chain.call(&mut store, ()).unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::Interrupt));
        store.set_epoch_deadline(1);
        assert_eq!(sum.call(&mut store, 10).unwrap(), 45);
        assert_eq!(chain.call(&mut store, ()).unwrap(), 8);
    }
}

#[test]
fn without_epoch_interruption_the_epoch_changes_nothing() {
    for jit in [false, true] {
        let (engine, mut store, instance) = setup(jit, false);
        engine.increment_epoch();
        let sum = instance
            .get_typed_func::<i32, i32>(&mut store, "sum")
            .unwrap();
        assert_eq!(sum.call(&mut store, 10_000).unwrap(), 49_995_000);
    }
}

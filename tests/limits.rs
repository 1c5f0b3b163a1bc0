//! Stack limits: deep WebAssembly recursion runs on spur's own frame stack, never the host
//! stack, and exhausting the configured limits is the `call stack exhausted` trap.

use spur::{Config, Engine, Instance, Module, Store, TrapCode};

const RECURSE: &str = r#"
    (module
      (func $down (export "down") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
          (then (i64.const 0))
          (else (i64.add (i64.const 1)
                         (call $down (i64.sub (local.get 0) (i64.const 1))))))))"#;

fn down(config: &Config, depth: i64) -> Result<i64, spur::Error> {
    let engine = Engine::new(config);
    let module = Module::new(&engine, RECURSE)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let f = instance.get_typed_func::<i64, i64>(&mut store, "down")?;
    f.call(&mut store, depth)
}

#[test]
fn million_deep_recursion_traps_by_default() {
    let err = down(&Config::new(), 1_000_000).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow), "{err}");
    assert!(err.to_string().contains("call stack exhausted"));
}

#[test]
fn recursion_within_limits_completes() {
    assert_eq!(down(&Config::new(), 50_000).unwrap(), 50_000);
}

#[test]
fn limits_are_configurable() {
    let mut small = Config::new();
    small.max_call_depth(100);
    assert_eq!(down(&small, 99).unwrap(), 99);
    assert_eq!(
        down(&small, 100).unwrap_err().trap_code(),
        Some(TrapCode::StackOverflow)
    );

    let mut big = Config::new();
    big.max_call_depth(2_000_000).max_stack_slots(64 << 20);
    assert_eq!(down(&big, 1_000_000).unwrap(), 1_000_000);

    let mut few_slots = Config::new();
    few_slots.max_stack_slots(1000);
    assert_eq!(
        down(&few_slots, 10_000).unwrap_err().trap_code(),
        Some(TrapCode::StackOverflow)
    );
}

#[test]
fn store_is_usable_after_exhaustion() {
    let engine = Engine::default();
    let module = Module::new(&engine, RECURSE).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance
        .get_typed_func::<i64, i64>(&mut store, "down")
        .unwrap();
    assert!(f.call(&mut store, 10_000_000).is_err());
    assert_eq!(f.call(&mut store, 10).unwrap(), 10);
}

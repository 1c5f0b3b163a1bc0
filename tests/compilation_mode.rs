//! `Config::compilation_mode` (wasmi's names): eager validation rejects a module with an
//! invalid function body at load; lazy validation loads it, runs its valid functions (in
//! the interpreter and in traces) and reports the invalid body's error from its first
//! call, every time, without a panic; `Module::validate` checks every body whatever the
//! mode; eager compilation translates every body at load.

use spur::{CompilationMode, Config, Engine, Instance, Module, Store};

/// `sum` is valid and loops (so the JIT traces it); `bad` returns nothing where it
/// promises an i32; `calls_bad` is valid but calls `bad`.
const PROGRAM: &str = r#"
(module
  (func $sum (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func $bad (export "bad") (result i32))
  (func (export "calls_bad") (result i32) (i32.add (call $bad) (i32.const 1))))
"#;

fn engine(mode: CompilationMode, jit: bool) -> Engine {
    let mut config = Config::new();
    config.compilation_mode(mode).jit(jit);
    Engine::new(&config)
}

#[test]
fn eager_validation_rejects_an_invalid_body_at_load() {
    for mode in [CompilationMode::LazyTranslation, CompilationMode::Eager] {
        let err = Module::new(&engine(mode, true), PROGRAM).unwrap_err();
        assert!(err.is_compile(), "{mode:?}: {err}");
        assert!(err.to_string().contains("type mismatch"), "{mode:?}: {err}");
    }
}

#[test]
fn lazy_validation_reports_an_invalid_body_at_its_first_call() {
    for jit in [false, true] {
        let engine = engine(CompilationMode::Lazy, jit);
        let module = Module::new(&engine, PROGRAM).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let sum = instance
            .get_typed_func::<i32, i32>(&mut store, "sum")
            .unwrap();
        assert_eq!(sum.call(&mut store, 10_000).unwrap(), 49_995_000);
        // Traces, where spur has a JIT backend (elsewhere the JIT stays off).
        assert_eq!(store.jit_stats().traces > 0, jit && Config::jit_available());
        for name in ["bad", "calls_bad", "bad"] {
            let f = instance
                .get_typed_func::<(), i32>(&mut store, name)
                .unwrap();
            let err = f.call(&mut store, ()).unwrap_err();
            assert!(err.is_compile(), "jit {jit}, {name}: {err}");
            assert!(err.to_string().contains("type mismatch"), "{err}");
        }
        // The store is still usable.
        assert_eq!(sum.call(&mut store, 3).unwrap(), 3);
        // Translating everything meets the invalid body too.
        assert!(module.translate_all().unwrap_err().is_compile());
        // `Module::validate` checks every body, lazy or not.
        let bytes = wat::parse_str(PROGRAM).unwrap();
        let err = Module::validate(&engine, &bytes).unwrap_err();
        assert!(err.to_string().contains("function 1"), "{err}");
    }
}

#[test]
fn every_mode_runs_a_valid_module_alike() {
    let valid = PROGRAM.replace(
        "(func $bad (export \"bad\") (result i32))",
        "(func $bad (export \"bad\") (result i32) (i32.const 41))",
    );
    for mode in [
        CompilationMode::Eager,
        CompilationMode::LazyTranslation,
        CompilationMode::Lazy,
    ] {
        let engine = engine(mode, true);
        let module = Module::new(&engine, &valid).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let f = instance
            .get_typed_func::<(), i32>(&mut store, "calls_bad")
            .unwrap();
        assert_eq!(f.call(&mut store, ()).unwrap(), 42, "{mode:?}");
        assert!(Module::validate(&engine, &wat::parse_str(&valid).unwrap()).is_ok());
    }
}

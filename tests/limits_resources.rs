//! Resource limits (`Store::limiter`, `ResourceLimiter`, `StoreLimits`): refused growth
//! makes `memory.grow` and `table.grow` return -1, in the interpreter and with the JIT
//! (whose traces then never grow anything); the host API and instantiation respect the
//! limits; a limiter's error traps; count limits hold.

use spur::{
    Config, Engine, Error, Instance, Memory, MemoryType, Module, ResourceLimiter, Store,
    StoreLimits, StoreLimitsBuilder,
};

const PROGRAM: &str = r#"
(module
  (memory (export "memory") 1)
  (table 1 funcref)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_table") (param i32) (result i32)
    (table.grow (ref.null func) (local.get 0)))
  ;; grows one page per iteration, n times, and returns how many growths succeeded
  (func (export "grow_loop") (param $n i32) (result i32) (local $ok i32)
    (loop $l
      (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1))
        (then (local.set $ok (i32.add (local.get $ok) (i32.const 1)))))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l))
    (local.get $ok)))
"#;

struct Data {
    limits: StoreLimits,
}

fn setup(jit: bool, limits: StoreLimits) -> (Store<Data>, Instance) {
    let mut config = Config::new();
    config.jit(jit).jit_param("hotloop", 2).unwrap();
    let engine = Engine::new(&config);
    let module = Module::new(&engine, PROGRAM).unwrap();
    let mut store = Store::new(&engine, Data { limits });
    store.limiter(|d| &mut d.limits);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

#[test]
fn refused_growth_returns_minus_one_in_both_tiers() {
    for jit in [false, true] {
        let limits = StoreLimitsBuilder::new()
            .memory_size(10 << 16)
            .table_elements(5)
            .build();
        let (mut store, instance) = setup(jit, limits);
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        assert_eq!(grow.call(&mut store, 4).unwrap(), 1);
        assert_eq!(grow.call(&mut store, 6).unwrap(), -1, "to 11 pages");
        // A loop of growths: pages 6..=10 are allowed, the other 45 refused.
        let grow_loop = instance
            .get_typed_func::<i32, i32>(&mut store, "grow_loop")
            .unwrap();
        assert_eq!(grow_loop.call(&mut store, 50).unwrap(), 5, "jit {jit}");
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        assert_eq!(memory.size(&store), 10);
        let grow_table = instance
            .get_typed_func::<i32, i32>(&mut store, "grow_table")
            .unwrap();
        assert_eq!(grow_table.call(&mut store, 4).unwrap(), 1);
        assert_eq!(grow_table.call(&mut store, 1).unwrap(), -1);
        // The host API is limited too.
        assert!(memory.grow(&mut store, 1).is_err());
        if jit && Config::jit_available() {
            let stats = store.jit_stats();
            let limited = stats
                .aborts
                .iter()
                .any(|(reason, _)| *reason == spur::JitAbort::Limited.message());
            assert!(
                limited,
                "recording stops at growth under a limiter: {stats}"
            );
        }
    }
}

#[test]
fn trap_on_grow_failure_makes_a_refusal_an_error() {
    let limits = StoreLimitsBuilder::new()
        .memory_size(2 << 16)
        .trap_on_grow_failure(true)
        .build();
    let (mut store, instance) = setup(false, limits);
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    let err = grow.call(&mut store, 5).unwrap_err();
    assert!(
        err.to_string().contains("exceeds the store's limit"),
        "{err}"
    );
    // The store is still usable.
    assert_eq!(grow.call(&mut store, 1).unwrap(), 1);
}

#[test]
fn instantiation_respects_counts_and_initial_sizes() {
    let engine = Engine::default();
    let module = Module::new(&engine, PROGRAM).unwrap();
    // Two instances allowed, the third refused.
    let mut store = Store::new(
        &engine,
        Data {
            limits: StoreLimitsBuilder::new().instances(2).build(),
        },
    );
    store.limiter(|d| &mut d.limits);
    Instance::new(&mut store, &module, &[]).unwrap();
    Instance::new(&mut store, &module, &[]).unwrap();
    let err = Instance::new(&mut store, &module, &[]).unwrap_err();
    assert!(err.to_string().contains("instances"), "{err}");
    // A memory whose minimum is over the size limit is refused, at instantiation and
    // from the host API.
    let mut store = Store::new(
        &engine,
        Data {
            limits: StoreLimitsBuilder::new().memory_size(1 << 15).build(),
        },
    );
    store.limiter(|d| &mut d.limits);
    assert!(Instance::new(&mut store, &module, &[]).is_err());
    assert!(Memory::new(&mut store, MemoryType::new(1, None)).is_err());
    Memory::new(&mut store, MemoryType::new(0, None)).unwrap();
}

/// A limiter that counts what it was asked and fails on request.
struct Counting {
    asked: Vec<(usize, usize)>,
    fail: bool,
}

impl ResourceLimiter for Counting {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _: Option<usize>,
    ) -> Result<bool, Error> {
        self.asked.push((current, desired));
        if self.fail {
            return Err(Error::msg("no more memory today"));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> Result<bool, Error> {
        Ok(true)
    }
}

#[test]
fn the_limiter_sees_each_growth_and_its_error_ends_the_call() {
    let engine = Engine::default();
    let module = Module::new(&engine, PROGRAM).unwrap();
    let mut store = Store::new(
        &engine,
        Counting {
            asked: Vec::new(),
            fail: false,
        },
    );
    store.limiter(|c| c);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(store.data().asked, [(0, 1 << 16), (1 << 16, 3 << 16)]);
    store.data_mut().fail = true;
    let err = grow.call(&mut store, 1).unwrap_err();
    assert!(err.to_string().contains("no more memory today"), "{err}");
    assert_eq!(
        instance
            .get_memory(&mut store, "memory")
            .unwrap()
            .size(&store),
        3
    );
}

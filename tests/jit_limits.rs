//! The JIT at its limits, with correct results throughout: memory grown and a table changed
//! by host calls in the middle of a running trace, host functions that fail or panic there,
//! trees evicted on every recording, `maxside` bounding a tree, inlining past `maxinline`,
//! deep recursion inside traced loops, thousands of loops and a loop body too long to
//! record.
//!
//! Every expected value comes from a model of the program written here in Rust, and every
//! program also runs in the interpreter, which must agree. Each test checks from the JIT's
//! statistics that the situation it names really arose inside traces.

use spur::{Caller, Config, Engine, Extern, Linker, Module, Store};

/// An engine with the JIT on (or off), no time budget (counts must not depend on the
/// machine's speed) and the given tunables.
fn engine(jit: bool, params: &[(&str, u32)]) -> Engine {
    let mut config = Config::new();
    config.jit(jit).jit_param("budget", 100).unwrap();
    for &(name, value) in params {
        config.jit_param(name, value).unwrap();
    }
    Engine::new(&config)
}

/// Instantiates `wat` with the host functions `define` adds, calls `run(n)`, and returns
/// its result (or error), the store's JIT statistics, and the exported memory's bytes.
fn run(
    engine: &Engine,
    wat: &str,
    define: impl Fn(&mut Linker<()>),
    n: i32,
) -> (Result<i32, spur::Error>, spur::JitStats, Vec<u8>) {
    let module = Module::new(engine, wat).unwrap();
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new(engine);
    define(&mut linker);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let result = f.call(&mut store, n);
    let memory = match instance.get_export(&mut store, "memory") {
        Some(Extern::Memory(m)) => m.data(&store).to_vec(),
        _ => Vec::new(),
    };
    (result, store.jit_stats(), memory)
}

/// Runs with the JIT (with `params`) and in the interpreter; both must give `expected`
/// and the same memory. Returns the JIT run's statistics.
fn agree(
    wat: &str,
    define: impl Fn(&mut Linker<()>) + Copy,
    n: i32,
    params: &[(&str, u32)],
    expected: i32,
) -> spur::JitStats {
    let (jit, stats, jit_mem) = run(&engine(true, params), wat, define, n);
    let (interp, _, interp_mem) = run(&engine(false, &[]), wat, define, n);
    assert_eq!(jit.unwrap(), expected, "JIT\n{stats}");
    assert_eq!(interp.unwrap(), expected, "interpreter");
    assert!(jit_mem == interp_mem, "memories differ");
    assert!(
        stats.traces >= 1 && stats.entries >= 1,
        "no trace ran:\n{stats}"
    );
    stats
}

fn no_imports(_: &mut Linker<()>) {}

const GROW_N: i32 = 40_000;

/// Every iteration calls the host, which grows memory by a page when `i` is `n/2`; the
/// loop then reaches addresses in the new page (`i*4` modulo the current size).
const GROW_WAT: &str = r#"(module
  (import "env" "maybe_grow" (func $maybe_grow (param i32)))
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $a i32)
    (loop $l
      (call $maybe_grow (local.get $i))
      (local.set $a (i32.rem_u (i32.mul (local.get $i) (i32.const 4))
                               (i32.mul (memory.size) (i32.const 65536))))
      (i32.store (local.get $a) (i32.add (local.get $i) (i32.load (local.get $a))))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $a))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s)))"#;

fn define_grow(linker: &mut Linker<()>) {
    linker
        .func_wrap("env", "maybe_grow", |mut caller: Caller<'_, ()>, i: i32| {
            if i == GROW_N / 2
                && let Some(Extern::Memory(m)) = caller.get_export("memory")
            {
                m.grow(&mut caller, 1).unwrap();
            }
        })
        .unwrap();
}

#[test]
fn memory_grown_by_a_host_call_inside_a_trace() {
    let mut mem = vec![0u32; 65536 / 4];
    let mut s = 0u32;
    for i in 0..GROW_N as u32 {
        if i == GROW_N as u32 / 2 {
            mem.resize(2 * 65536 / 4, 0);
        }
        let a = (i.wrapping_mul(4) % (mem.len() as u32 * 4)) as usize / 4;
        mem[a] = mem[a].wrapping_add(i);
        s = s.wrapping_add(mem[a]);
    }
    let stats = agree(GROW_WAT, define_grow, GROW_N, &[], s as i32);
    // The loop ran in traces (the host call, and the growth, happen inside them).
    assert!(stats.entries >= 1, "{stats}");
}

const TABLE_N: i32 = 10_000;

/// Every iteration calls the host, which at `i = n/2` stores table entry 1 into entry 0, so
/// the same `call_indirect` reaches another function from then on.
const TABLE_WAT: &str = r#"(module
  (import "env" "poke" (func $poke (param i32)))
  (type $t (func (param i32) (result i32)))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $inc $triple)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (call $poke (local.get $i))
      (local.set $s (call_indirect (type $t) (local.get $s) (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s)))"#;

fn define_poke(linker: &mut Linker<()>) {
    linker
        .func_wrap("env", "poke", |mut caller: Caller<'_, ()>, i: i32| {
            if i == TABLE_N / 2
                && let Some(Extern::Table(t)) = caller.get_export("table")
            {
                let f = t.get(&caller, 1).unwrap();
                t.set(&mut caller, 0, f).unwrap();
            }
        })
        .unwrap();
}

#[test]
fn table_changed_by_a_host_call_inside_a_trace() {
    let mut s = 0u32;
    for i in 0..TABLE_N {
        s = if i < TABLE_N / 2 {
            s.wrapping_add(1)
        } else {
            s.wrapping_mul(3)
        };
    }
    agree(TABLE_WAT, define_poke, TABLE_N, &[], s as i32);
}

/// Stores `i` at `4*i`, after asking the host whether to go on.
const CHECK_WAT: &str = r#"(module
  (import "env" "check" (func $check (param i32)))
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (call $check (local.get $i))
      (i32.store (i32.mul (local.get $i) (i32.const 4)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))"#;

const FAIL_AT: i32 = 5_000;

#[test]
fn a_host_error_inside_a_trace_stops_the_call_exactly_there() {
    let define = |linker: &mut Linker<()>| {
        linker
            .func_wrap("env", "check", |i: i32| -> Result<(), spur::Error> {
                if i == FAIL_AT {
                    Err(spur::Error::msg(format!("refused at {i}")))
                } else {
                    Ok(())
                }
            })
            .unwrap();
    };
    let mut memories = Vec::new();
    for jit in [true, false] {
        let (result, stats, memory) = run(&engine(jit, &[]), CHECK_WAT, define, 10_000);
        let err = result.unwrap_err();
        assert!(err.to_string().contains("refused at 5000"), "{err}");
        if jit {
            assert!(
                stats.entries >= 1,
                "the failing call was not in a trace:\n{stats}"
            );
        }
        // Every store before the refusal happened, none after.
        let word = |i: usize| u32::from_le_bytes(memory[4 * i..4 * i + 4].try_into().unwrap());
        assert!((0..FAIL_AT as usize).all(|i| word(i) == i as u32));
        assert_eq!(word(FAIL_AT as usize), 0);
        memories.push(memory);
    }
    assert!(memories[0] == memories[1]);
}

#[test]
fn a_host_panic_inside_a_trace_reaches_the_embedder() {
    let engine = engine(true, &[]);
    let module = Module::new(&engine, CHECK_WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "check", |i: i32| {
            if i == FAIL_AT {
                panic!("host gave up at {i}");
            }
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.call(&mut store, 10_000)));
    let payload = caught.expect_err("the host's panic comes back to the caller");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert_eq!(message, "host gave up at 5000");
    assert!(store.jit_stats().entries >= 1, "{}", store.jit_stats());
}

/// `count` functions, each summing `k * i` over its own loop of `n` iterations, all called
/// from `run`.
fn many_loops_wat(count: usize) -> String {
    let mut wat = String::from("(module\n");
    for k in 0..count {
        wat += &format!(
            "(func $f{k} (param $n i32) (result i32) (local $i i32) (local $s i32)
               (loop $l
                 (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (i32.const {k}))))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
               (local.get $s))\n"
        );
    }
    wat += "(func (export \"run\") (param $n i32) (result i32) (local $s i32)\n";
    for k in 0..count {
        wat += &format!("(local.set $s (i32.add (local.get $s) (call $f{k} (local.get $n))))\n");
    }
    wat += "(local.get $s)))";
    wat
}

fn many_loops_result(count: usize, n: i32) -> i32 {
    let per: u32 = (0..n as u32).fold(0, |s, i| s.wrapping_add(i));
    (0..count as u32).fold(0u32, |s, k| s.wrapping_add(per.wrapping_mul(k))) as i32
}

#[test]
fn tiny_trace_and_code_limits_evict_all_the_time() {
    let wat = many_loops_wat(40);
    let stats = agree(
        &wat,
        no_imports,
        300,
        &[("maxtrace", 2), ("maxmcode", 1)],
        many_loops_result(40, 300),
    );
    assert!(stats.traces >= 40, "{stats}");
    assert!(stats.evicted >= 30, "{stats}");
}

#[test]
fn thousands_of_loops() {
    let wat = many_loops_wat(2000);
    let stats = agree(&wat, no_imports, 100, &[], many_loops_result(2000, 100));
    assert!(stats.traces >= 2000, "{stats}");
}

/// A loop with eight paths, chosen by `i & 7` through nested `if`s.
const EIGHT_PATHS_WAT: &str = r#"(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $k i32)
    (loop $l
      (local.set $k (i32.and (local.get $i) (i32.const 7)))
      (if (i32.lt_u (local.get $k) (i32.const 4))
        (then (if (i32.lt_u (local.get $k) (i32.const 2))
          (then (if (i32.eqz (local.get $k))
            (then (local.set $s (i32.add (local.get $s) (local.get $i))))
            (else (local.set $s (i32.xor (local.get $s) (local.get $i))))))
          (else (if (i32.eq (local.get $k) (i32.const 2))
            (then (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (i32.const 3)))))
            (else (local.set $s (i32.sub (local.get $s) (local.get $i))))))))
        (else (if (i32.lt_u (local.get $k) (i32.const 6))
          (then (if (i32.eq (local.get $k) (i32.const 4))
            (then (local.set $s (i32.mul (local.get $s) (i32.const 5))))
            (else (local.set $s (i32.add (local.get $s) (i32.const 7))))))
          (else (if (i32.eq (local.get $k) (i32.const 6))
            (then (local.set $s (i32.rotl (local.get $s) (i32.const 1))))
            (else (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $i))))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s)))"#;

fn eight_paths_result(n: i32) -> i32 {
    (0..n).fold(0i32, |s, i| match i & 7 {
        0 => s.wrapping_add(i),
        1 => s ^ i,
        2 => s.wrapping_add(i.wrapping_mul(3)),
        3 => s.wrapping_sub(i),
        4 => s.wrapping_mul(5),
        5 => s.wrapping_add(7),
        6 => s.rotate_left(1),
        _ => s.wrapping_add(i.wrapping_mul(i)),
    })
}

#[test]
fn maxside_bounds_a_trees_side_traces() {
    let n = 20_000;
    let hot = [("hotexit", 1)];
    let free = agree(EIGHT_PATHS_WAT, no_imports, n, &hot, eight_paths_result(n));
    assert!(
        free.side_traces >= 7,
        "every path grows a side trace:\n{free}"
    );
    let bounded = agree(
        EIGHT_PATHS_WAT,
        no_imports,
        n,
        &[("hotexit", 1), ("maxside", 3)],
        eight_paths_result(n),
    );
    assert_eq!(bounded.side_traces, 3, "{bounded}");
}

/// The eight paths of [`EIGHT_PATHS_WAT`], chosen by one `br_table` on `i & 7`.
const EIGHT_TARGETS_WAT: &str = r#"(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (block $done (block $b7 (block $b6 (block $b5 (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
        (br_table $b0 $b1 $b2 $b3 $b4 $b5 $b6 $b7 (i32.and (local.get $i) (i32.const 7))))
        (local.set $s (i32.add (local.get $s) (local.get $i))) (br $done))
        (local.set $s (i32.xor (local.get $s) (local.get $i))) (br $done))
        (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (i32.const 3)))) (br $done))
        (local.set $s (i32.sub (local.get $s) (local.get $i))) (br $done))
        (local.set $s (i32.mul (local.get $s) (i32.const 5))) (br $done))
        (local.set $s (i32.add (local.get $s) (i32.const 7))) (br $done))
        (local.set $s (i32.rotl (local.get $s) (i32.const 1))) (br $done))
        (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s)))"#;

#[test]
fn each_br_table_target_grows_its_side_trace_past_maxside() {
    let n = 20_000;
    let stats = agree(
        EIGHT_TARGETS_WAT,
        no_imports,
        n,
        &[("hotexit", 1), ("maxside", 3)],
        eight_paths_result(n),
    );
    // The root takes one target; the seven others each head a count of their own.
    assert!(stats.side_traces >= 7, "{stats}");
    assert_eq!(
        stats.exits, stats.entries,
        "only the loop's end exits:\n{stats}"
    );
}

/// A loop calling a chain of `depth` functions, the last adding its argument to 1.
fn call_chain_wat(depth: usize) -> String {
    let mut wat = String::from("(module\n");
    for d in 0..depth {
        let body = if d + 1 == depth {
            "(i32.add (local.get 0) (i32.const 1))".to_string()
        } else {
            format!("(i32.xor (call $c{} (local.get 0)) (i32.const {d}))", d + 1)
        };
        wat += &format!("(func $c{d} (param i32) (result i32) {body})\n");
    }
    wat += r#"(func (export "run") (param $n i32) (result i32) (local $i i32) (local $s i32)
      (loop $l
        (local.set $s (i32.add (local.get $s) (call $c0 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
      (local.get $s)))"#;
    wat
}

fn call_chain_result(depth: usize, n: i32) -> i32 {
    let mut s = 0u32;
    for i in 0..n as u32 {
        let mut v = i.wrapping_add(1);
        for d in (0..depth - 1).rev() {
            v ^= d as u32;
        }
        s = s.wrapping_add(v);
    }
    s as i32
}

#[test]
fn calls_deeper_than_maxinline() {
    // 12 frames deep with maxinline 4: the recording gives up on inlining; results hold,
    // and the innermost functions' own loops (none here) are not needed for that.
    let wat = call_chain_wat(12);
    let (jit, stats, _) = run(&engine(true, &[("maxinline", 4)]), &wat, no_imports, 5000);
    let (interp, _, _) = run(&engine(false, &[]), &wat, no_imports, 5000);
    let expected = call_chain_result(12, 5000);
    assert_eq!(jit.unwrap(), expected);
    assert_eq!(interp.unwrap(), expected);
    assert!(
        stats.aborts.iter().any(|&(_, n)| n > 0),
        "inlining past maxinline must abort:\n{stats}"
    );
    // Within maxinline the same loop is traced, calls inlined.
    agree(&wat, no_imports, 5000, &[("maxinline", 16)], expected);
}

/// A loop calling a recursive function `depth` deep each iteration.
const RECURSE_WAT: &str = r#"(module
  (func $down (param $d i32) (result i32)
    (if (result i32) (i32.eqz (local.get $d))
      (then (i32.const 7))
      (else (i32.add (call $down (i32.sub (local.get $d) (i32.const 1))) (local.get $d)))))
  (func (export "run") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (call $down (i32.add (i32.const 300) (i32.and (local.get $i) (i32.const 7))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "deep") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (drop (call $down (i32.mul (local.get $i) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))
    (i32.const 0)))"#;

#[test]
fn deep_recursion_inside_traced_loops() {
    let down = |d: u32| 7u32.wrapping_add(d * (d + 1) / 2);
    let expected = (0..2000u32).fold(0u32, |s, i| s.wrapping_add(down(300 + (i & 7))));
    let (jit, stats, _) = run(&engine(true, &[]), RECURSE_WAT, no_imports, 2000);
    let (interp, _, _) = run(&engine(false, &[]), RECURSE_WAT, no_imports, 2000);
    assert_eq!(jit.unwrap(), expected as i32, "{stats}");
    assert_eq!(interp.unwrap(), expected as i32);

    // A loop whose recursion keeps deepening until the call stack is exhausted: a clean
    // trap, and the store still works afterwards.
    let engine = engine(true, &[("hotloop", 1)]);
    let module = Module::new(&engine, RECURSE_WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let deep = instance
        .get_typed_func::<i32, i32>(&mut store, "deep")
        .unwrap();
    let err = deep.call(&mut store, 5000).unwrap_err();
    assert_eq!(
        err.trap_code(),
        Some(spur::TrapCode::StackOverflow),
        "{err}"
    );
    let again = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    assert_eq!(again.call(&mut store, 2000).unwrap(), expected as i32);
}

#[test]
fn a_loop_body_too_long_to_record() {
    // 3000 dependent operations per iteration: more IR than `maxrecord` 2000 allows.
    let mut body = String::new();
    for k in 0..3000u32 {
        let op = ["i32.add", "i32.xor", "i32.mul"][k as usize % 3];
        body += &format!(
            "(local.set $s ({op} (local.get $s) (i32.const {})))\n",
            k | 1
        );
    }
    let wat = format!(
        r#"(module (func (export "run") (param $n i32) (result i32) (local $i i32) (local $s i32)
             (loop $l
               {body}
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
             (local.get $s)))"#
    );
    let mut s = 0u32;
    for _ in 0..200 {
        for k in 0..3000u32 {
            s = match k % 3 {
                0 => s.wrapping_add(k | 1),
                1 => s ^ (k | 1),
                _ => s.wrapping_mul(k | 1),
            };
        }
    }
    let (jit, stats, _) = run(&engine(true, &[("maxrecord", 2000)]), &wat, no_imports, 200);
    assert_eq!(jit.unwrap(), s as i32);
    assert_eq!(stats.traces, 0, "{stats}");
    assert!(stats.aborts.iter().any(|&(_, n)| n > 0), "{stats}");
    assert_eq!(
        run(&engine(false, &[]), &wat, no_imports, 200).0.unwrap(),
        s as i32
    );
}

/// Stores and loads that overlap, partly overlap or only look alike, in one traced loop:
/// store-to-load forwarding must forward exactly the loads that read what a store wrote.
const ALIAS_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $a i32) (local $b i32)
    (loop $l
      (local.set $a (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 0xfff8)))
      ;; the same address as $a, computed another way
      (local.set $b (i32.add (i32.and (local.get $a) (i32.const 0xfff0)) (i32.and (local.get $a) (i32.const 8))))
      (i32.store (local.get $a) (i32.add (local.get $i) (i32.const 0x01010101)))
      ;; a byte store into the word just stored
      (i32.store8 offset=1 (local.get $a) (local.get $i))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $a))))
      ;; a store through another address value that is the same address
      (i32.store (local.get $b) (i32.mul (local.get $i) (i32.const 3)))
      (local.set $s (i32.xor (local.get $s) (i32.load (local.get $a))))
      ;; a 64-bit load over two 32-bit stores, one of them disjoint from the first
      (i32.store offset=4 (local.get $a) (local.get $s))
      (local.set $s (i32.add (local.get $s) (i32.wrap_i64 (i64.shr_u (i64.load (local.get $a)) (i64.const 16)))))
      ;; a disjoint store between a store and its reload: forwarding may step over it
      (i32.store offset=16 (local.get $a) (local.get $i))
      (i32.store offset=20 (local.get $a) (i32.const 7))
      (local.set $s (i32.add (local.get $s) (i32.load offset=16 (local.get $a))))
      ;; constant addresses: one overlapping, one not
      (i32.store (i32.const 100) (local.get $i))
      (i32.store16 (i32.const 102) (local.get $s))
      (local.set $s (i32.add (local.get $s) (i32.load (i32.const 100))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s)))"#;

#[test]
fn store_to_load_forwarding_respects_aliasing() {
    let mut mem = vec![0u8; 65536];
    let rd32 = |m: &[u8], a: usize| u32::from_le_bytes(m[a..a + 4].try_into().unwrap());
    let wr32 = |m: &mut [u8], a: usize, v: u32| m[a..a + 4].copy_from_slice(&v.to_le_bytes());
    let mut s = 0u32;
    for i in 0..5000u32 {
        let a = (i.wrapping_mul(8) & 0xfff8) as usize;
        let b = (a & 0xfff0) + (a & 8);
        wr32(&mut mem, a, i.wrapping_add(0x0101_0101));
        mem[a + 1] = i as u8;
        s = s.wrapping_add(rd32(&mem, a));
        wr32(&mut mem, b, i.wrapping_mul(3));
        s ^= rd32(&mem, a);
        wr32(&mut mem, a + 4, s);
        let w = u64::from_le_bytes(mem[a..a + 8].try_into().unwrap());
        s = s.wrapping_add((w >> 16) as u32);
        wr32(&mut mem, a + 16, i);
        wr32(&mut mem, a + 20, 7);
        s = s.wrapping_add(rd32(&mem, a + 16));
        wr32(&mut mem, 100, i);
        mem[102..104].copy_from_slice(&(s as u16).to_le_bytes());
        s = s.wrapping_add(rd32(&mem, 100));
    }
    let stats = agree(ALIAS_WAT, no_imports, 5000, &[], s as i32);
    assert!(stats.entries >= 1, "{stats}");
}

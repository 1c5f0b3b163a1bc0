//! Interpreter edge cases that the translator's rewrites must preserve: folded address
//! arithmetic that wraps around 2^32, constants pooled in the frame, fused compares with
//! NaN, results of blocks with parameters, and counted loops' fused step and test.

use spur::{Engine, Instance, Module, Store, TrapCode};

fn instance(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

/// Instances of `lib` and of `app` in one store, `app` importing `lib`'s exports named
/// in `imports`, in order.
fn linked(lib: &str, app: &str, imports: &[&str]) -> (Store<()>, Instance, Instance) {
    let (mut store, lib) = instance(lib);
    let externs: Vec<_> = imports
        .iter()
        .map(|name| lib.get_export(&mut store, name).unwrap())
        .collect();
    let app = Module::new(store.engine(), app).unwrap();
    let app = Instance::new(&mut store, &app, &externs).unwrap();
    (store, lib, app)
}

/// An engine with the JIT off, or on and recording every loop and exit at once, whatever
/// the time spent recording (without a budget: under an emulator, recording takes long
/// enough for the budget to defer every trace).
fn engine_in(jit: bool) -> Engine {
    let mut config = spur::Config::new();
    config.jit(jit);
    if jit {
        config.jit_param("hotloop", 1).unwrap();
        config.jit_param("hotexit", 1).unwrap();
        config.jit_param("budget", 100).unwrap();
    }
    Engine::new(&config)
}

/// `wat` instantiated on `engine_in(jit)`.
fn instance_in(wat: &str, jit: bool) -> (Store<()>, Instance) {
    let engine = engine_in(jit);
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (store, instance)
}

/// Runs `check` on an instance of `wat` in the interpreter, then with the JIT compiling
/// eagerly (see `instance_in`), after which traces must have been compiled (see
/// `assert_traced`).
fn in_both_tiers(wat: &str, mut check: impl FnMut(&mut Store<()>, &Instance, bool)) {
    for jit in [false, true] {
        let (mut store, inst) = instance_in(wat, jit);
        check(&mut store, &inst, jit);
        if jit {
            assert_traced(&store);
        }
    }
}

/// With the JIT on: traces were compiled, and no recording stopped at an instruction the
/// recorder does not know (a fused form it missed would only ever run in the interpreter).
fn assert_traced(store: &Store<()>) {
    let st = store.jit_stats();
    assert!(st.traces >= 1, "no trace compiled: {st}");
    assert!(
        st.aborts
            .iter()
            .all(|(why, _)| !why.contains("not implemented")),
        "{st}"
    );
}

/// Stores of constants take the value from the instruction itself (`*StoreImm`): each
/// writes exactly its width's bytes of the constant, float constants by their bits, and a
/// 64-bit constant that does not sign-extend from 32 bits keeps the ordinary store.
#[test]
fn constant_stores_write_their_bytes() {
    let wat = r#"(module (memory 1)
         (func (export "stores") (param $a i32)
           (i32.store (local.get $a) (i32.const 0x89abcdef))
           (i32.store8 offset=8 (local.get $a) (i32.const 0x1ff))
           (i32.store16 offset=16 (local.get $a) (i32.const 0x12345))
           (i64.store offset=24 (local.get $a) (i64.const -2))
           (i64.store offset=32 (local.get $a) (i64.const 0x80000000))
           (i64.store8 offset=40 (local.get $a) (i64.const 0x1122334455667788))
           (i64.store16 offset=48 (local.get $a) (i64.const 0x1122334455667788))
           (i64.store32 offset=56 (local.get $a) (i64.const 0x1122334455667788))
           (f32.store offset=64 (local.get $a) (f32.const nan:0x400001))
           (f64.store offset=72 (local.get $a) (f64.const -0.0))
           (f64.store offset=80 (local.get $a) (f64.const 0.0))
           (i32.store8 (i32.add (local.get $a) (i32.const 88)) (i32.const 7)))
         (func (export "word") (param i32) (result i64) (i64.load (local.get 0)))
         (func (export "fill") (param i32) (memory.fill (local.get 0) (i32.const 0xaa) (i32.const 96))))"#;
    let (mut store, inst) = instance(wat);
    let code = inst.module(&store).disassemble(0).unwrap();
    for form in [
        "I32StoreImm",
        "I32Store8Imm",
        "I32Store16Imm",
        "I64StoreImm",
    ] {
        assert!(code.contains(form), "{form} not used:\n{code}");
    }
    // Two of the 64-bit constants (0x80000000 and -0.0) do not fit: ordinary stores.
    assert_eq!(
        code.matches("I64Store {").count() + code.matches("F64Store {").count(),
        2
    );
    let stores = inst
        .get_typed_func::<i32, ()>(&mut store, "stores")
        .unwrap();
    let word = inst.get_typed_func::<i32, i64>(&mut store, "word").unwrap();
    let fill = inst.get_typed_func::<i32, ()>(&mut store, "fill").unwrap();
    let aa = 0xaaaa_aaaa_aaaa_aaaa_u64;
    let expected: [u64; 12] = [
        (aa << 32) | 0x89ab_cdef,
        (aa << 8) | 0xff,
        (aa << 16) | 0x2345,
        0xffff_ffff_ffff_fffe,
        0x8000_0000,
        (aa << 8) | 0x88,
        (aa << 16) | 0x7788,
        (aa << 32) | 0x5566_7788,
        (aa << 32) | 0x7fc0_0001,
        0x8000_0000_0000_0000,
        0,
        (aa << 8) | 7,
    ];
    for base in [0, 1000, 65536 - 96] {
        fill.call(&mut store, base).unwrap();
        stores.call(&mut store, base).unwrap();
        for (k, &want) in expected.iter().enumerate() {
            let got = word.call(&mut store, base + 8 * k as i32).unwrap() as u64;
            assert_eq!(got, want, "word {k} at base {base}");
        }
    }
    // Out of bounds: the first store traps, and writes nothing.
    fill.call(&mut store, 65536 - 96).unwrap();
    assert_eq!(
        stores.call(&mut store, 65536 - 2).unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(word.call(&mut store, 65536 - 8).unwrap() as u64, aa);
}

#[test]
fn folded_address_add_wraps_like_wasm() {
    let (mut store, inst) = instance(
        r#"(module (memory 1)
             (func (export "load") (param i32) (result i32)
               (i32.load8_u (i32.add (local.get 0) (i32.const 16))))
             (func (export "load_off") (param i32) (result i32)
               (i32.load8_u offset=4 (i32.add (local.get 0) (i32.const 16))))
             (func (export "store") (param i32 i32)
               (i32.store8 (i32.add (local.get 0) (i32.const 16)) (local.get 1)))
             (data (i32.const 8) "\01\02\03\04\05\06\07\08"))"#,
    );
    let load = inst.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    let load_off = inst
        .get_typed_func::<i32, i32>(&mut store, "load_off")
        .unwrap();
    let store_fn = inst
        .get_typed_func::<(i32, i32), ()>(&mut store, "store")
        .unwrap();
    // -8 + 16 wraps to address 8.
    assert_eq!(load.call(&mut store, -8).unwrap(), 1);
    assert_eq!(load.call(&mut store, -6).unwrap(), 3);
    // (-8 + 16) mod 2^32 + 4 = 12.
    assert_eq!(load_off.call(&mut store, -8).unwrap(), 5);
    // -18 + 16 does not wrap; its offset of 4 then leaves the 4 GiB address space (it
    // must not wrap to address 2).
    assert_eq!(
        load_off.call(&mut store, -18).unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
    // No wrap: 65536 - 16 + 16 is out of bounds.
    assert_eq!(
        load.call(&mut store, 65520).unwrap_err().trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
    store_fn.call(&mut store, (-16, 99)).unwrap();
    assert_eq!(load.call(&mut store, -16).unwrap(), 99);
    assert_eq!(
        store_fn
            .call(&mut store, (65530, 1))
            .unwrap_err()
            .trap_code(),
        Some(TrapCode::MemoryOutOfBounds)
    );
}

/// An `i32.add x, -C` goes into an access with no offset of its own, as a `wrap` access
/// of offset `2^32 - C`: its address is `(x - C) mod 2^32`, in bounds or a trap. With an
/// offset of its own the add stays, since the wrapped sum plus that offset may leave the
/// 4 GiB address space; in the interpreter and with the JIT compiling the loop around them.
#[test]
fn negative_address_adds_fold_only_without_an_offset() {
    let wat = r#"(module (memory 1)
         (func (export "load") (param $x i32) (result i32) (local $i i32) (local $acc i32)
           (loop $l
             (local.set $acc (i32.add (local.get $acc)
               (i32.load8_u (i32.add (local.get $x) (i32.const -4)))))
             (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                 (i32.const 4))))
           (local.get $acc))
         (func (export "load_off") (param $x i32) (result i32)
           (i32.load8_u offset=4 (i32.add (local.get $x) (i32.const -4))))
         (func (export "store") (param $x i32) (param $v i32)
           (i32.store8 (i32.add (local.get $x) (i32.const -16)) (local.get $v)))
         (data (i32.const 0) "\01\02\03\04\05\06\07\08"))"#;
    in_both_tiers(wat, |store, inst, jit| {
        let code = |f: u32| inst.module(&*store).disassemble(f).unwrap();
        assert!(
            code(0).contains("offset: 4294967292, wrap: true"),
            "{}",
            code(0)
        );
        assert!(code(1).contains("I32AddImm"), "{}", code(1));
        assert!(code(2).contains("wrap: true"), "{}", code(2));
        let load = inst
            .get_typed_func::<i32, i32>(&mut *store, "load")
            .unwrap();
        let load_off = inst
            .get_typed_func::<i32, i32>(&mut *store, "load_off")
            .unwrap();
        let store_fn = inst
            .get_typed_func::<(i32, i32), ()>(&mut *store, "store")
            .unwrap();
        for _ in 0..3 {
            // 4 - 4 = 0 and 9 - 4 = 5, four times each.
            assert_eq!(load.call(&mut *store, 4).unwrap(), 4, "jit {jit}");
            assert_eq!(load.call(&mut *store, 9).unwrap(), 24, "jit {jit}");
            // 0 - 4 wraps to 2^32 - 4: out of bounds.
            assert_eq!(
                load.call(&mut *store, 0).unwrap_err().trap_code(),
                Some(TrapCode::MemoryOutOfBounds)
            );
            // 65540 - 4 is the first byte past the end.
            assert_eq!(
                load.call(&mut *store, 65540).unwrap_err().trap_code(),
                Some(TrapCode::MemoryOutOfBounds)
            );
        }
        // (6 - 4) + 4 = 6; (2 - 4) mod 2^32 + 4 is past 4 GiB, not address 2.
        assert_eq!(load_off.call(&mut *store, 6).unwrap(), 7);
        assert_eq!(
            load_off.call(&mut *store, 2).unwrap_err().trap_code(),
            Some(TrapCode::MemoryOutOfBounds)
        );
        store_fn.call(&mut *store, (17, 99)).unwrap();
        assert_eq!(load.call(&mut *store, 5).unwrap(), 4 * 99);
        assert_eq!(
            store_fn.call(&mut *store, (15, 1)).unwrap_err().trap_code(),
            Some(TrapCode::MemoryOutOfBounds)
        );
    });
}

#[test]
fn pooled_constants_and_float_branches() {
    let (mut store, inst) = instance(
        r#"(module
             (func (export "poly") (param f64) (result f64)
               (f64.add (f64.mul (local.get 0) (f64.const 2.5)) (f64.const -0.125)))
             (func (export "big") (param i64) (result i64)
               (i64.xor (i64.mul (local.get 0) (i64.const 0x9E3779B97F4A7C15))
                        (i64.const 0x7FFFFFFFFFFFFFFF)))
             (func (export "lt") (param f64 f64) (result i32)
               (if (result i32) (f64.lt (local.get 0) (local.get 1))
                 (then (i32.const 1)) (else (i32.const 0))))
             (func (export "rec") (param i32) (result f64)
               (if (result f64) (i32.eqz (local.get 0))
                 (then (f64.const 1.5))
                 (else (f64.add (f64.const 1.5)
                                (call 3 (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    let poly = inst.get_typed_func::<f64, f64>(&mut store, "poly").unwrap();
    assert_eq!(poly.call(&mut store, 4.0).unwrap(), 9.875);
    let big = inst.get_typed_func::<i64, i64>(&mut store, "big").unwrap();
    let expected = 3i64.wrapping_mul(0x9E3779B97F4A7C15u64 as i64) ^ i64::MAX;
    assert_eq!(big.call(&mut store, 3).unwrap(), expected);
    let lt = inst
        .get_typed_func::<(f64, f64), i32>(&mut store, "lt")
        .unwrap();
    assert_eq!(lt.call(&mut store, (1.0, 2.0)).unwrap(), 1);
    assert_eq!(lt.call(&mut store, (2.0, 1.0)).unwrap(), 0);
    assert_eq!(lt.call(&mut store, (f64::NAN, 1.0)).unwrap(), 0);
    // Every frame of a recursion gets its own copy of the pool.
    let rec = inst.get_typed_func::<i32, f64>(&mut store, "rec").unwrap();
    assert_eq!(rec.call(&mut store, 9).unwrap(), 15.0);
}

#[test]
fn block_params_reach_both_arms() {
    let (mut store, inst) = instance(
        r#"(module
             (func (export "f") (param i32) (result i32)
               (i32.const 10)
               (if (param i32) (result i32) (local.get 0)
                 (then (i32.const 1) (i32.add))
                 (else (i32.const 1) (i32.sub)))))"#,
    );
    let f = inst.get_typed_func::<i32, i32>(&mut store, "f").unwrap();
    assert_eq!(f.call(&mut store, 1).unwrap(), 11);
    assert_eq!(f.call(&mut store, 0).unwrap(), 9);
}

#[test]
fn bit_test_branches_in_every_form() {
    let (mut store, inst) = instance(
        r#"(module
             (func (export "eqz_br") (param i32 i32) (result i32)
               (block (br_if 0 (i32.eqz (i32.and (local.get 0) (local.get 1))))
                      (return (i32.const 1)))
               (i32.const 0))
             (func (export "nez_br") (param i32 i32) (result i32)
               (block (br_if 0 (i32.and (local.get 0) (local.get 1)))
                      (return (i32.const 0)))
               (i32.const 1))
             (func (export "if_imm") (param i32) (result i32)
               (if (result i32) (i32.and (local.get 0) (i32.const 0x100))
                 (then (i32.const 1)) (else (i32.const 0))))
             (func (export "if_eqz_imm") (param i32) (result i32)
               (if (result i32) (i32.eqz (i32.and (local.get 0) (i32.const 0x100)))
                 (then (i32.const 0)) (else (i32.const 1)))))"#,
    );
    let eqz_br = inst
        .get_typed_func::<(i32, i32), i32>(&mut store, "eqz_br")
        .unwrap();
    let nez_br = inst
        .get_typed_func::<(i32, i32), i32>(&mut store, "nez_br")
        .unwrap();
    let if_imm = inst
        .get_typed_func::<i32, i32>(&mut store, "if_imm")
        .unwrap();
    let if_eqz_imm = inst
        .get_typed_func::<i32, i32>(&mut store, "if_eqz_imm")
        .unwrap();
    for (x, m) in [
        (0x101, 0x100),
        (0x101, 0x010),
        (-1, -1),
        (0, -1),
        (6, 3),
        (4, 3),
    ] {
        let bit = i32::from(x & m != 0);
        assert_eq!(
            eqz_br.call(&mut store, (x, m)).unwrap(),
            bit,
            "eqz_br {x:#x} {m:#x}"
        );
        assert_eq!(
            nez_br.call(&mut store, (x, m)).unwrap(),
            bit,
            "nez_br {x:#x} {m:#x}"
        );
        let bit = i32::from(x & 0x100 != 0);
        assert_eq!(if_imm.call(&mut store, x).unwrap(), bit, "if_imm {x:#x}");
        assert_eq!(
            if_eqz_imm.call(&mut store, x).unwrap(),
            bit,
            "if_eqz_imm {x:#x}"
        );
    }
}

/// A counted loop's step and test (`i += imm` then a compare-and-branch on `i`), which the
/// translator fuses into one instruction, for every integer comparison, with the counter
/// on either side, against a slot and a constant, with steps that wrap across the signed
/// and unsigned boundaries; in the interpreter and with the JIT compiling every loop.
#[test]
fn counted_loop_steps_fused_in_every_compare_form() {
    type Cmp = fn(i32, i32) -> bool;
    let cmps: [(&str, Cmp); 10] = [
        ("eq", |a, b| a == b),
        ("ne", |a, b| a != b),
        ("lt_s", |a, b| a < b),
        ("lt_u", |a, b| (a as u32) < (b as u32)),
        ("le_s", |a, b| a <= b),
        ("le_u", |a, b| (a as u32) <= (b as u32)),
        ("gt_s", |a, b| a > b),
        ("gt_u", |a, b| (a as u32) > (b as u32)),
        ("ge_s", |a, b| a >= b),
        ("ge_u", |a, b| (a as u32) >= (b as u32)),
    ];
    const K: i32 = 40;
    let steps = [3, -3, 1, -1, 32767, -32768];
    // Each function: `c` counts iterations, `i` steps by `imm` and is compared with `n`
    // (or `K`), counter on the left or on the right; the result is `i * 1000 + c`.
    let mut wat = String::from("(module\n");
    for (name, _) in &cmps {
        for imm in steps {
            for (side, test) in [
                (
                    "l",
                    format!(
                        "({name} (local.tee 0 (i32.add (local.get 0) (i32.const {imm}))) (local.get 1))"
                    ),
                ),
                (
                    "r",
                    format!(
                        "({name} (local.get 1) (local.tee 0 (i32.add (local.get 0) (i32.const {imm}))))"
                    ),
                ),
                (
                    "k",
                    format!(
                        "({name} (local.tee 0 (i32.add (local.get 0) (i32.const {imm}))) (i32.const {K}))"
                    ),
                ),
            ] {
                let test = test.replacen(name, &format!("i32.{name}"), 1);
                wat.push_str(&format!(
                    "(func (export \"{name}_{side}_{imm}\") (param i32 i32) (result i32) (local i32)
                       (loop $l
                         (local.set 2 (i32.add (local.get 2) (i32.const 1)))
                         (br_if $l {test}))
                       (i32.add (i32.mul (local.get 0) (i32.const 1000)) (local.get 2)))\n"
                ));
            }
        }
    }
    wat.push(')');
    let starts = [0, 37, 39, 41, -5, i32::MAX - 4, i32::MIN + 2, -2];
    let limits = [40, 0, -3, i32::MIN + 1, i32::MAX - 1];
    let mut checked = 0;
    in_both_tiers(&wat, |store, inst, jit| {
        for (name, cmp) in cmps {
            for imm in steps {
                for side in ["l", "r", "k"] {
                    let f = inst
                        .get_typed_func::<(i32, i32), i32>(
                            &mut *store,
                            &format!("{name}_{side}_{imm}"),
                        )
                        .unwrap();
                    for start in starts {
                        for n in limits {
                            // The loop as written, on the host: skip the pairs that loop
                            // more than 200 times (most run a few).
                            let (mut i, mut c) = (start, 0);
                            let done = loop {
                                c += 1;
                                i = i.wrapping_add(imm);
                                let again = match side {
                                    "l" => cmp(i, n),
                                    "r" => cmp(n, i),
                                    _ => cmp(i, K),
                                };
                                if !again {
                                    break true;
                                }
                                if c > 200 {
                                    break false;
                                }
                            };
                            if !done {
                                continue;
                            }
                            let want = i.wrapping_mul(1000).wrapping_add(c);
                            let got = f.call(&mut *store, (start, n)).unwrap();
                            assert_eq!(got, want, "{name}_{side}_{imm}({start}, {n}), jit {jit}");
                            checked += 1;
                        }
                    }
                }
            }
        }
    });
    // Most pairs end within 200 iterations; a count far below this would mean the test
    // stopped exercising the loops.
    assert!(checked > 3000, "only {checked} calls checked");
}

/// A direct call finds its callee among the running instance's functions, also after
/// calls into another instance and back: two instances whose function 1 differs call
/// each other, and each then calls its own function 1.
#[test]
fn direct_calls_follow_the_running_instance() {
    let lib = r#"(module
         (func $id (export "id") (param i32) (result i32) (local.get 0))
         (func $own (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
         (func (export "twice_own") (param i32) (result i32)
           (call $own (call $own (local.get 0)))))"#;
    let app = r#"(module
         (import "lib" "twice_own" (func $lib (param i32) (result i32)))
         (func $own (param i32) (result i32) (i32.add (local.get 0) (i32.const 1000)))
         (func (export "run") (param i32) (result i32)
           (call $own (call $lib (call $own (local.get 0))))))"#;
    let (mut store, lib, app) = linked(lib, app, &["twice_own"]);
    let run = app.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    // (5 + 1000) * 9 + 1000
    assert_eq!(run.call(&mut store, 5).unwrap(), 10045);
    let twice = lib
        .get_typed_func::<i32, i32>(&mut store, "twice_own")
        .unwrap();
    assert_eq!(twice.call(&mut store, 2).unwrap(), 18);
}

/// `global.get` and `global.set` read and write the running instance's globals, across
/// calls into another instance and back: the two instances number their globals
/// differently (the library's global 1 is the application's global 0, imported).
#[test]
fn globals_follow_the_running_instance() {
    let lib = r#"(module
         (global $pad (mut i32) (i32.const 1))
         (global $g (export "g") (mut i32) (i32.const 100))
         (func (export "bump") (param i32) (result i32)
           (global.set $g (i32.add (global.get $g) (local.get 0)))
           (global.set $pad (i32.const 50))
           (global.get $g)))"#;
    let app = r#"(module
         (import "lib" "bump" (func $bump (param i32) (result i32)))
         (import "lib" "g" (global $lg (mut i32)))
         (global $own (mut i32) (i32.const 7))
         (func (export "run") (param i32) (result i32)
           (global.set $own (i32.add (global.get $own) (local.get 0)))
           (i32.add
             (i32.mul (call $bump (global.get $own)) (i32.const 1000))
             (i32.add (global.get $own) (global.get $lg)))))"#;
    let (mut store, lib, app) = linked(lib, app, &["bump", "g"]);
    let g = lib.get_global(&mut store, "g").unwrap();
    let run = app.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    // own = 7 + 5 = 12; bump: g = 100 + 12 = 112; then 112 * 1000 + (12 + 112).
    assert_eq!(run.call(&mut store, 5).unwrap(), 112_124);
    // own = 12 + 1 = 13; g = 112 + 13 = 125; 125 * 1000 + (13 + 125).
    assert_eq!(run.call(&mut store, 1).unwrap(), 125_138);
    assert_eq!(g.get(&mut store).i32(), Some(125));
}

/// A call sets up its frame's locals (zero) and constant pool whatever an earlier call
/// left in those slots: for frames with no locals, up to 4, up to 8 and up to 16 locals
/// and pooled constants (copied from an image), and more (set up out of line).
#[test]
fn frames_start_with_zero_locals_and_their_pool() {
    // `$dirty` leaves all ones in the slots the next callee's frame takes; each callee
    // returns the OR of its locals (0) plus its pooled constants' sum.
    let wat = r#"(module
         (func $dirty (param $x i64) (result i64)
           (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
           (local.set 1 (i64.const -1)) (local.set 2 (i64.const -1))
           (local.set 3 (i64.const -1)) (local.set 4 (i64.const -1))
           (local.set 5 (i64.const -1)) (local.set 6 (i64.const -1))
           (local.set 7 (i64.const -1)) (local.set 8 (i64.const -1))
           (local.set 9 (i64.const -1)) (local.set 10 (i64.const -1))
           (local.set 11 (i64.const -1)) (local.set 12 (i64.const -1))
           (local.set 13 (i64.const -1)) (local.set 14 (i64.const -1))
           (local.set 15 (i64.const -1)) (local.set 16 (i64.const -1))
           (local.set 17 (i64.const -1)) (local.set 18 (i64.const -1))
           (local.set 19 (i64.const -1)) (local.set 20 (i64.const -1))
           (local.get $x))
         (func $none (param $x i64) (result i64) (local.get $x))
         (func $four (param $x i64) (result i64) (local i64 i64 f64)
           (i64.add (i64.or (local.get 1) (i64.or (local.get 2)
                      (i64.reinterpret_f64 (local.get 3))))
             (i64.add (local.get $x) (i64.trunc_f64_s (f64.const 2.5)))))
         (func $eight (param $x i64) (result i64) (local i64 i64 i64 i64 i64 f32)
           (i64.add (i64.or (i64.or (local.get 1) (local.get 2))
                      (i64.or (i64.or (local.get 3) (local.get 4))
                        (i64.or (local.get 5) (i64.extend_i32_u (i32.reinterpret_f32 (local.get 6))))))
             (i64.add (i64.add (local.get $x) (i64.const 0x100000000))
               (i64.trunc_f32_s (f32.const 7.0)))))
         (func $sixteen (param $x i64) (result i64)
           (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 f64)
           (i64.add (local.get $x)
             (i64.add (i64.trunc_f64_s (f64.add (local.get 12) (f64.const 3.5)))
               (i64.or (i64.or (i64.or (local.get 1) (local.get 2)) (i64.or (local.get 3) (local.get 4)))
                 (i64.or (i64.or (i64.or (local.get 5) (local.get 6)) (i64.or (local.get 7) (local.get 8)))
                   (i64.or (local.get 9) (i64.or (local.get 10) (local.get 11))))))))
         (func $large (param $x i64) (result i64)
           (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
           (i64.add (local.get $x)
             (i64.or (i64.or (i64.or (local.get 1) (local.get 2)) (i64.or (local.get 3) (local.get 4)))
               (i64.or (i64.or (i64.or (local.get 5) (local.get 6)) (i64.or (local.get 7) (local.get 8)))
                 (i64.or (i64.or (i64.or (local.get 9) (local.get 10)) (i64.or (local.get 11) (local.get 12)))
                   (i64.or (i64.or (i64.or (local.get 13) (local.get 14)) (i64.or (local.get 15) (local.get 16)))
                     (i64.or (local.get 17) (local.get 18))))))))
         (func (export "run") (param $x i64) (result i64)
           (drop (call $dirty (local.get $x)))
           (drop (call $none (local.get $x)))
           (drop (call $dirty (local.get $x)))
           (i64.mul (call $four (local.get $x)) (i64.const 1000000))
           (drop (call $dirty (local.get $x)))
           (i64.add (i64.mul (call $eight (local.get $x)) (i64.const 1000)))
           (drop (call $dirty (local.get $x)))
           (i64.add (i64.mul (call $sixteen (local.get $x)) (i64.const 10)))
           (drop (call $dirty (local.get $x)))
           (i64.add (call $large (local.get $x)))))"#;
    let (mut store, inst) = instance(wat);
    let run = inst.get_typed_func::<i64, i64>(&mut store, "run").unwrap();
    for x in [0i64, 5, 1 << 40] {
        let four = x + 2;
        let eight = x + (1 << 32) + 7;
        let sixteen = x + 3;
        let want = (four * 1_000_000)
            .wrapping_add(eight * 1000)
            .wrapping_add(sixteen * 10)
            .wrapping_add(x);
        assert_eq!(run.call(&mut store, x).unwrap(), want, "x = {x}");
    }
}

/// Static data addressed as `i32.const 0` plus an offset reads a pooled zero instead of
/// materializing the address: a loop that sums words at fixed offsets and bumps a
/// counter in place, a float zero sharing the pooled slot, a zero operand of arithmetic,
/// and accesses at the end of memory, the last in bounds and the first trapping.
#[test]
fn static_data_addressed_through_a_pooled_zero() {
    let wat = r#"(module (memory 1)
         (func (export "sum") (param $n i32) (result i32) (local $acc i32)
           (loop $l
             (local.set $acc (i32.add (local.get $acc)
               (i32.add (i32.load offset=16 (i32.const 0)) (i32.load offset=20 (i32.const 0)))))
             (i32.store offset=24 (i32.const 0)
               (i32.add (i32.load offset=24 (i32.const 0)) (i32.const 1)))
             (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
           (i32.add (local.get $acc) (i32.load offset=24 (i32.const 0))))
         (func (export "mixed") (param $x i32) (result f64)
           (f64.store offset=32 (i32.const 0) (f64.const 0))
           (f64.add (f64.load offset=32 (i32.const 0))
             (f64.convert_i32_s (i32.sub (i32.const 0) (local.get $x)))))
         (func (export "end") (param $off i32) (result i32)
           (if (result i32) (local.get $off)
             (then (i32.load offset=65533 (i32.const 0)))
             (else (i32.load offset=65532 (i32.const 0)))))
         (data (i32.const 16) "\01\00\00\00\02\00\00\00")
         (data (i32.const 32) "\ff\ff\ff\ff\ff\ff\ff\ff")
         (data (i32.const 65532) "\0a\0b\0c\0d"))"#;
    in_both_tiers(wat, |store, inst, jit| {
        let code = |f: u32| inst.module(&*store).disassemble(f).unwrap();
        for f in 0..3 {
            assert!(!code(f).contains("Const32"), "{}", code(f));
        }
        let sum = inst.get_typed_func::<i32, i32>(&mut *store, "sum").unwrap();
        let mixed = inst
            .get_typed_func::<i32, f64>(&mut *store, "mixed")
            .unwrap();
        let end = inst.get_typed_func::<i32, i32>(&mut *store, "end").unwrap();
        // 300 iterations of 1 + 2, and the counter at 24 ends at 300, then 600.
        assert_eq!(sum.call(&mut *store, 300).unwrap(), 900 + 300, "jit {jit}");
        assert_eq!(sum.call(&mut *store, 300).unwrap(), 900 + 600, "jit {jit}");
        assert_eq!(mixed.call(&mut *store, 5).unwrap(), -5.0);
        assert_eq!(end.call(&mut *store, 0).unwrap(), 0x0d0c_0b0a);
        assert_eq!(
            end.call(&mut *store, 1).unwrap_err().trap_code(),
            Some(TrapCode::MemoryOutOfBounds)
        );
    });
}

/// An array element's load, which the translator fuses with its index's shift, for each
/// full-width load: the value, an address that wraps around 2^32 through a folded
/// constant (the wasm semantics), and an out-of-bounds access trapping at the load's own
/// code offset.
#[test]
fn indexed_loads_fused_with_their_shift() {
    let wat = r#"(module (memory 1)
         (func (export "i32") (param i32) (result i32)
           (i32.load offset=8 (i32.shl (local.get 0) (i32.const 2))))
         (func (export "i64") (param i32) (result i64)
           (i64.load (i32.add (i32.shl (local.get 0) (i32.const 3)) (i32.const 16))))
         (func (export "f32") (param i32) (result f32)
           (f32.load (i32.shl (local.get 0) (i32.const 2))))
         (func (export "f64") (param i32) (result f64)
           (f64.load (i32.add (i32.shl (local.get 0) (i32.const 3)) (i32.const 8))))
         (func (export "i32_acc") (param i32) (result i32)
           (i32.load (i32.shl (i32.xor (local.get 0) (i32.const 1)) (i32.const 2))))
         (data (i32.const 0) "\00\00\80\3f\00\00\00\40\00\00\00\00\00\00\08\40"
                             "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10"))"#;
    let bytes = wat::parse_str(wat).unwrap();
    // The code offsets of the loads: each follows its `i32.shl` (0x74), or the `i32.add`
    // (0x6a) of its folded constant.
    let loads: Vec<usize> = bytes
        .windows(2)
        .enumerate()
        .filter(|(_, w)| matches!(w, [0x74 | 0x6a, 0x28..=0x2b]))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(loads.len(), 5, "one load per function");
    let (mut store, inst) = instance(wat);
    let i32f = inst.get_typed_func::<i32, i32>(&mut store, "i32").unwrap();
    let i64f = inst.get_typed_func::<i32, i64>(&mut store, "i64").unwrap();
    let f32f = inst.get_typed_func::<i32, f32>(&mut store, "f32").unwrap();
    let f64f = inst.get_typed_func::<i32, f64>(&mut store, "f64").unwrap();
    // (The index is the previous instruction's result: the load's accumulator form.)
    let i32acc = inst
        .get_typed_func::<i32, i32>(&mut store, "i32_acc")
        .unwrap();
    // Bytes 8.. as little-endian words; 1.0f32, 2.0f32 at 0 and 4; 3.0f64 at 8.
    assert_eq!(i32f.call(&mut store, 0).unwrap(), 0);
    assert_eq!(i32f.call(&mut store, 2).unwrap(), 0x0403_0201);
    assert_eq!(i64f.call(&mut store, 0).unwrap(), 0x0807_0605_0403_0201);
    assert_eq!(f32f.call(&mut store, 1).unwrap(), 2.0);
    assert_eq!(f64f.call(&mut store, 0).unwrap(), 3.0);
    assert_eq!(i32acc.call(&mut store, 5).unwrap(), 0x0403_0201);
    // (0x1fff_fffe << 3) + 16 wraps to 0; (0x1fff_ffff << 3) + 8 wraps to 0.
    assert_eq!(
        i64f.call(&mut store, 0x1fff_fffe).unwrap(),
        0x4000_0000_3f80_0000
    );
    assert_eq!(
        f64f.call(&mut store, 0x1fff_ffff).unwrap(),
        f64::from_bits(0x4000_0000_3f80_0000)
    );
    // Out of bounds, trapping at the load.
    let traps = [
        i32f.call(&mut store, 16384).map(drop),
        i64f.call(&mut store, 8191).map(drop),
        f32f.call(&mut store, 16384).map(drop),
        f64f.call(&mut store, 8192).map(drop),
        i32acc.call(&mut store, 16385).map(drop),
    ];
    for (r, at) in traps.into_iter().zip(loads) {
        let e = r.unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds));
        let frames = e.as_trap().unwrap().frames();
        assert_eq!(frames[0].module_offset, at, "{frames:?}");
    }
}

/// A bit field (`(x >> shift) & mask`), which the translator fuses, with shifts past 31
/// (taken mod 32) and masks of any shape, its operand in a slot or the accumulator; in
/// the interpreter and with the JIT compiling the loops around them.
#[test]
fn bit_fields_fused_from_shift_and_mask() {
    let shifts = [0, 7, 16, 31, 33];
    let masks = [0xff, 0x1_ffff, -16, 0, -1];
    let mut wat = String::from("(module\n");
    for sh in shifts {
        for m in masks {
            wat.push_str(&format!(
                "(func (export \"s{sh}_{m}\") (param i32) (result i32) (local i32 i32)
                   (loop $l
                     (local.set 2 (i32.add (local.get 2)
                       (i32.and (i32.shr_u (local.get 0) (i32.const {sh})) (i32.const {m}))))
                     (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1)))
                                         (i32.const 10))))
                   (local.get 2))
                 (func (export \"a{sh}_{m}\") (param i32) (result i32) (local i32 i32)
                   (loop $l
                     (local.set 2 (i32.add (local.get 2)
                       (i32.and (i32.shr_u (i32.xor (local.get 0) (i32.const 0x5a5a5a5a))
                                           (i32.const {sh}))
                                (i32.const {m}))))
                     (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1)))
                                         (i32.const 10))))
                   (local.get 2))\n"
            ));
        }
    }
    wat.push(')');
    in_both_tiers(&wat, |store, inst, _| {
        for sh in shifts {
            for m in masks {
                let s = inst
                    .get_typed_func::<i32, i32>(&mut *store, &format!("s{sh}_{m}"))
                    .unwrap();
                let a = inst
                    .get_typed_func::<i32, i32>(&mut *store, &format!("a{sh}_{m}"))
                    .unwrap();
                for x in [0, 1, -1, 0x1234_5678, i32::MIN, 0x7f80_0000, 12345] {
                    // Each function adds the field up 10 times.
                    let field = |x: i32| (((x as u32) >> (sh % 32)) as i32 & m).wrapping_mul(10);
                    for _ in 0..3 {
                        assert_eq!(s.call(&mut *store, x).unwrap(), field(x), "s{sh}_{m}({x})");
                        let y = x ^ 0x5a5a_5a5a;
                        assert_eq!(a.call(&mut *store, x).unwrap(), field(y), "a{sh}_{m}({x})");
                    }
                }
            }
        }
    });
}

/// A compare-and-branch of two `i32` slots, one of them the value the instruction before
/// it computed, reads that one from the accumulator (`BrI32*A`; as the second operand,
/// with the comparison mirrored): every comparison, with either operand just computed,
/// at the signed and unsigned boundaries; in the interpreter and with the JIT compiling
/// the loops around them.
#[test]
fn branches_compare_a_just_computed_value() {
    let ops = [
        "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
    ];
    let mut wat = String::from("(module\n");
    for op in ops {
        for (name, lhs, rhs) in [
            (
                "a",
                "(i32.xor (local.get $x) (local.get $i))",
                "(local.get $y)",
            ),
            (
                "b",
                "(local.get $y)",
                "(i32.xor (local.get $x) (local.get $i))",
            ),
        ] {
            wat.push_str(&format!(
                "(func (export \"{name}_{op}\") (param $x i32) (param $y i32) (result i32)
                   (local $i i32) (local $n i32)
                   (loop $l
                     (block $skip
                       (br_if $skip (i32.{op} {lhs} {rhs}))
                       (local.set $n (i32.add (local.get $n) (i32.const 1))))
                     (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                         (i32.const 20))))
                   (local.get $n))\n"
            ));
        }
    }
    wat.push(')');
    let cmp = |op: &str, p: i32, q: i32| match op {
        "eq" => p == q,
        "ne" => p != q,
        "lt_s" => p < q,
        "lt_u" => (p as u32) < (q as u32),
        "gt_s" => p > q,
        "gt_u" => (p as u32) > (q as u32),
        "le_s" => p <= q,
        "le_u" => (p as u32) <= (q as u32),
        "ge_s" => p >= q,
        _ => (p as u32) >= (q as u32),
    };
    let values = [0, 1, 5, 17, -1, -20, i32::MIN, i32::MAX, 0x1234_5678];
    in_both_tiers(&wat, |store, inst, _| {
        for op in ops {
            for name in ["a", "b"] {
                let f = inst
                    .get_typed_func::<(i32, i32), i32>(&mut *store, &format!("{name}_{op}"))
                    .unwrap();
                for x in values {
                    for y in values {
                        // How many of the 20 iterations do not branch.
                        let kept = (0..20)
                            .filter(|&i| {
                                let v = x ^ i;
                                !if name == "a" {
                                    cmp(op, v, y)
                                } else {
                                    cmp(op, y, v)
                                }
                            })
                            .count() as i32;
                        for _ in 0..2 {
                            let got = f.call(&mut *store, (x, y)).unwrap();
                            assert_eq!(got, kept, "{name}_{op}({x}, {y})");
                        }
                    }
                }
            }
        }
    });
}

/// A `br_table` whose index is `x + C` takes C as its bias: the sum wraps as `i32.add`
/// does, and an index past the last entry (or below C) takes the default; in the
/// interpreter and with the JIT compiling the loop around it.
#[test]
fn br_table_adds_its_folded_constant() {
    let wat = r#"(module
         (func (export "sw") (param $x i32) (param $n i32) (result i32) (local $i i32) (local $acc i32)
           (loop $l
             (block $d (block $c2 (block $c1 (block $c0
               (br_table $c0 $c1 $c2 $d
                 (i32.add (i32.add (local.get $x) (local.get $i)) (i32.const -3))))
               (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
               (br $d))
               (local.set $acc (i32.add (local.get $acc) (i32.const 10)))
               (br $d))
               (local.set $acc (i32.add (local.get $acc) (i32.const 100))))
             (local.set $acc (i32.add (local.get $acc) (i32.const 1000)))
             (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                 (local.get $n))))
           (local.get $acc)))"#;
    let want = |x: i32, n: i32| -> i32 {
        (0..n)
            .map(|i| match x.wrapping_add(i).wrapping_add(-3) as u32 {
                0 => 1001,
                1 => 1010,
                2 => 1100,
                _ => 1000,
            })
            .sum()
    };
    in_both_tiers(wat, |store, inst, jit| {
        let code = inst.module(&*store).disassemble(0).unwrap();
        assert!(code.contains("bias: -3"), "the add was not folded:\n{code}");
        let f = inst
            .get_typed_func::<(i32, i32), i32>(&mut *store, "sw")
            .unwrap();
        for x in [0, 1, 2, 3, 4, 5, -1, i32::MIN, i32::MAX, i32::MIN + 2] {
            for _ in 0..3 {
                assert_eq!(
                    f.call(&mut *store, (x, 12)).unwrap(),
                    want(x, 12),
                    "sw({x}), jit {jit}"
                );
            }
        }
    });
}

/// A step followed by an unconditional branch back to the loop's head, fused into one
/// instruction (`I32AddImmBr`); in the interpreter and with the JIT compiling the loop.
#[test]
fn step_and_jump_fused() {
    let wat = r#"(module
         (func (export "sum") (param $n i32) (param $step i32) (result i32)
           (local $i i32) (local $acc i32)
           (block $done
             (loop $top
               (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
               (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $step))))
               (local.set $i (i32.add (local.get $i) (i32.const 3)))
               (br $top)))
           (local.get $acc)))"#;
    in_both_tiers(wat, |store, inst, _| {
        let code = inst.module(&*store).disassemble(0).unwrap();
        assert!(code.contains("I32AddImmBr {"), "not fused:\n{code}");
        let f = inst
            .get_typed_func::<(i32, i32), i32>(&mut *store, "sum")
            .unwrap();
        for (n, step) in [(0, 1), (1, 1), (10, 2), (100, -1), (31, 7)] {
            let want: i32 = (0..n).step_by(3).map(|i| i * step).sum();
            for _ in 0..3 {
                assert_eq!(
                    f.call(&mut *store, (n, step)).unwrap(),
                    want,
                    "sum({n}, {step})"
                );
            }
        }
    });
}

/// A step whose result one local keeps and another takes (`local.tee`, then
/// `local.set`), fused into one instruction (`I32AddImmCopy`) when the constant fits 16
/// bits; the next instruction reads the kept local from the accumulator the copy left. At
/// the constant's bounds and past them (no fusion), in the interpreter and with the JIT
/// compiling the loop.
#[test]
fn steps_copied_on_fused() {
    let ks = [1, -1, 32767, -32768, 32768, -100_000];
    let mut wat = String::from("(module\n");
    for (f, k) in ks.iter().enumerate() {
        wat.push_str(&format!(
            "(func (export \"f{f}\") (param $x i32) (param $n i32) (result i32)
               (local $i i32) (local $j i32) (local $s i32) (local $c i32)
               (local.set $i (local.get $x))
               (loop $l
                 (local.set $i (local.tee $j (i32.add (local.get $i) (i32.const {k}))))
                 (local.set $s (i32.xor (i32.mul (local.get $j) (i32.const 3))
                                        (i32.mul (local.get $s) (i32.const 31))))
                 (br_if $l (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1)))
                                     (local.get $n))))
               (i32.add (local.get $s) (i32.mul (local.get $i) (i32.const 7))))\n"
        ));
    }
    wat.push(')');
    in_both_tiers(&wat, |store, inst, jit| {
        for (f, &k) in ks.iter().enumerate() {
            let code = inst.module(&*store).disassemble(f as u32).unwrap();
            let fused = i16::try_from(k).is_ok();
            assert_eq!(code.contains("I32AddImmCopy {"), fused, "k {k}:\n{code}");
            assert!(code.contains("I32MulImmA {"), "k {k}:\n{code}");
            let run = inst
                .get_typed_func::<(i32, i32), i32>(&mut *store, &format!("f{f}"))
                .unwrap();
            for (x, n) in [(0, 1), (5, 10), (i32::MAX - 3, 40), (i32::MIN + 2, 25)] {
                let (mut i, mut s) = (x, 0i32);
                for _ in 0..n {
                    i = i.wrapping_add(k);
                    s = i.wrapping_mul(3) ^ s.wrapping_mul(31);
                }
                let want = s.wrapping_add(i.wrapping_mul(7));
                for _ in 0..3 {
                    let got = run.call(&mut *store, (x, n)).unwrap();
                    assert_eq!(got, want, "k {k}, x {x}, n {n}, jit {jit}");
                }
            }
        }
    });
}

/// A stack pointer's steps: a compiled function's prologue moves a global down by a
/// constant and keeps the new value in a local (`global.set` of a `local.tee` of an
/// `i32.add`), its epilogue moves it back. Each step is fused into one instruction
/// (`I32AddImmGlobalSet`) when its constant fits 16 bits, and the prologue's with the
/// `global.get` before it too (`GlobalAddImm`). Recursive calls, run from a
/// loop, check every frame's value of the global against a model, in the interpreter and
/// with the JIT compiling the loop.
#[test]
fn stack_pointer_steps_fused() {
    let ks = [-16, 16, 32767, -32768, 40000, -100_000];
    let mut wat = String::from("(module (global $sp (mut i32) (i32.const 1000))\n");
    wat.push_str("(func (export \"sp\") (result i32) (global.get $sp))\n");
    for (f, k) in ks.iter().enumerate() {
        wat.push_str(&format!(
            "(func $f{f} (param $n i32) (result i32) (local $p i32) (local $r i32)
               (global.set $sp (local.tee $p (i32.add (global.get $sp) (i32.const {k}))))
               (if (i32.gt_s (local.get $n) (i32.const 0))
                 (then (local.set $r (call $f{f} (i32.sub (local.get $n) (i32.const 1))))))
               (local.set $r (i32.add (i32.mul (local.get $r) (i32.const 31))
                                      (global.get $sp)))
               (global.set $sp (i32.add (local.get $p) (i32.const {neg})))
               (i32.xor (local.get $r) (local.get $p)))
             (func (export \"run{f}\") (param $n i32) (param $times i32) (result i32)
               (local $acc i32) (local $i i32)
               (loop $l
                 (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 7))
                                          (call $f{f} (local.get $n))))
                 (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                     (local.get $times))))
               (local.get $acc))\n",
            neg = -k,
        ));
    }
    wat.push(')');
    fn model(n: i32, sp: &mut i32, k: i32) -> i32 {
        let p = sp.wrapping_add(k);
        *sp = p;
        let r = if n > 0 { model(n - 1, sp, k) } else { 0 };
        let r = r.wrapping_mul(31).wrapping_add(*sp);
        *sp = p.wrapping_add(k.wrapping_neg());
        r ^ p
    }
    in_both_tiers(&wat, |store, inst, jit| {
        let sp = inst.get_typed_func::<(), i32>(&mut *store, "sp").unwrap();
        for (f, &k) in ks.iter().enumerate() {
            let code = inst.module(&*store).disassemble(2 * f as u32 + 1).unwrap();
            let fused = [k, -k]
                .iter()
                .filter(|k| i16::try_from(**k).is_ok())
                .count();
            let found = code.matches("I32AddImmGlobalSet {").count();
            assert_eq!(found, fused, "k {k}:\n{code}");
            let prologue = i16::try_from(k).is_ok();
            assert_eq!(code.contains("GlobalAddImm {"), prologue, "k {k}:\n{code}");
            let run = inst
                .get_typed_func::<(i32, i32), i32>(&mut *store, &format!("run{f}"))
                .unwrap();
            for (n, times) in [(0, 1), (3, 5), (20, 40), (60, 30)] {
                let mut want = 0i32;
                for _ in 0..times {
                    let mut g = 1000;
                    want = want.wrapping_mul(7).wrapping_add(model(n, &mut g, k));
                    assert_eq!(g, 1000);
                }
                let got = run.call(&mut *store, (n, times)).unwrap();
                assert_eq!(got, want, "k {k}, n {n}, jit {jit}");
                assert_eq!(sp.call(&mut *store, ()).unwrap(), 1000, "k {k}, n {n}");
            }
        }
    });
}

/// A constant written just before a `br_if` on another slot, fused into one instruction
/// (`Const32BrIfNez`, `Const32BrIfEqz`), taken and not; a `br_if` on the slot just written
/// keeps its own instruction. In the interpreter and with the JIT compiling the loop.
#[test]
fn constants_before_a_branch_fused() {
    let wat = r#"(module
         (func (export "f") (param $c i32) (param $d i32) (param $n i32) (result i32)
           (local $x i32) (local $s i32) (local $i i32)
           (loop $l
             (block $b
               (local.set $x (i32.const 5))
               (br_if $b (local.get $c))
               (local.set $x (i32.const -3))
               (br_if $b (i32.eqz (local.get $d)))
               (local.set $x (i32.const 100)))
             (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 3)) (local.get $x)))
             (local.set $c (i32.xor (local.get $c) (i32.and (local.get $i) (i32.const 1))))
             (local.set $d (i32.xor (local.get $d) (i32.and (local.get $i) (i32.const 2))))
             (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                 (local.get $n))))
           (local.get $s))
         (func (export "g") (param $n i32) (result i32) (local $x i32)
           (block $b
             (local.set $x (local.get $n))
             (local.set $x (i32.const 0))
             (br_if $b (local.get $x))
             (local.set $x (i32.const 8)))
           (local.get $x)))"#;
    in_both_tiers(wat, |store, inst, jit| {
        let code = inst.module(&*store).disassemble(0).unwrap();
        assert!(code.contains("Const32BrIfNez {"), "not fused:\n{code}");
        assert!(code.contains("Const32BrIfEqz {"), "not fused:\n{code}");
        let g = inst.module(&*store).disassemble(1).unwrap();
        assert!(
            !g.contains("Const32BrIf"),
            "fused on the slot it writes:\n{g}"
        );
        let f = inst
            .get_typed_func::<(i32, i32, i32), i32>(&mut *store, "f")
            .unwrap();
        for (c0, d0, n) in [(0, 0, 1), (1, 0, 7), (0, 2, 30), (3, 1, 45), (0, 0, 64)] {
            let (mut c, mut d, mut s) = (c0, d0, 0i32);
            for i in 0..n {
                let x = match (c, d) {
                    (0, 0) => -3,
                    (0, _) => 100,
                    _ => 5,
                };
                s = s.wrapping_mul(3).wrapping_add(x);
                c ^= i & 1;
                d ^= i & 2;
            }
            for _ in 0..3 {
                let got = f.call(&mut *store, (c0, d0, n)).unwrap();
                assert_eq!(got, s, "f({c0}, {d0}, {n}), jit {jit}");
            }
        }
        let g = inst.get_typed_func::<i32, i32>(&mut *store, "g").unwrap();
        assert_eq!(g.call(&mut *store, 9).unwrap(), 8);
    });
}

/// Copies that run back to back, which the translator fuses in pairs, each reading what
/// the one before it wrote; in the interpreter and with the JIT compiling their loop.
#[test]
fn chained_copies_run_in_order() {
    let wat = r#"(module
         (func (export "chain") (param i32 i32 i32 i32) (result i32) (local i32)
           (loop $l
             (local.set 1 (local.get 0))
             (local.set 2 (local.get 1))
             (local.set 3 (local.get 2))
             (local.set 0 (local.get 3))
             (br_if $l (i32.lt_u (local.tee 4 (i32.add (local.get 4) (i32.const 1)))
                                 (i32.const 10))))
           (i32.add (i32.add (i32.mul (local.get 0) (i32.const 1000))
                             (i32.mul (local.get 1) (i32.const 100)))
                    (i32.add (i32.mul (local.get 2) (i32.const 10)) (local.get 3)))))"#;
    in_both_tiers(wat, |store, inst, jit| {
        let f = inst
            .get_typed_func::<(i32, i32, i32, i32), i32>(&mut *store, "chain")
            .unwrap();
        for _ in 0..3 {
            assert_eq!(
                f.call(&mut *store, (1, 2, 3, 4)).unwrap(),
                1111,
                "jit {jit}"
            );
            assert_eq!(
                f.call(&mut *store, (7, 0, 0, 9)).unwrap(),
                7777,
                "jit {jit}"
            );
        }
    });
}

/// Bounds checks follow memory 0's length as it changes, within a call as well as across
/// calls: none fits in an empty memory, and after growth by a host function or by
/// `memory.grow` the last access that fits ends exactly at the new end, for every width,
/// loads and stores alike.
#[test]
fn bounds_follow_memory_growth_at_every_width() {
    let wat = r#"(module
         (import "env" "grow" (func $grow))
         (memory (export "memory") 0 3)
         ;; Grows memory first (`$g`: 1 by the host, 2 by `memory.grow`), then stores 1 at
         ;; `$a` with width `$w` (0: 1 byte, 1: 2, 2: 4, 3: 8) and loads it back.
         (func (export "access") (param $g i32) (param $w i32) (param $a i32) (result i64)
           (if (i32.eq (local.get $g) (i32.const 1)) (then (call $grow)))
           (if (i32.eq (local.get $g) (i32.const 2))
             (then (drop (memory.grow (i32.const 1)))))
           (block $b8 (block $b4 (block $b2 (block $b1
             (br_table $b1 $b2 $b4 $b8 (local.get $w)))
             (i32.store8 (local.get $a) (i32.const 1))
             (return (i64.extend_i32_u (i32.load8_u (local.get $a)))))
             (i32.store16 (local.get $a) (i32.const 1))
             (return (i64.extend_i32_u (i32.load16_u (local.get $a)))))
             (i32.store (local.get $a) (i32.const 1))
             (return (i64.extend_i32_u (i32.load (local.get $a)))))
           (i64.store (local.get $a) (i64.const 1))
           (i64.load (local.get $a))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = spur::Linker::new(&engine);
    linker
        .func_wrap("env", "grow", |mut caller: spur::Caller<'_, ()>| {
            if let Some(spur::Extern::Memory(m)) = caller.get_export("memory") {
                m.grow(&mut caller, 1).unwrap();
            }
        })
        .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let access = inst
        .get_typed_func::<(i32, i32, i32), i64>(&mut store, "access")
        .unwrap();
    let widths = [(0, 1), (1, 2), (2, 4), (3, 8)];
    let mut len = 0i32;
    for g in [0, 1, 2] {
        for (k, &(w, n)) in widths.iter().enumerate() {
            // The first access of a stage grows memory and reaches its new last bytes.
            let grows = g > 0 && k == 0;
            if grows {
                len += 65536;
            }
            let first = [len - n];
            let probes = [len - n - 1, len - n, len - n + 1, len, 0];
            for (i, &a) in first.iter().chain(&probes).enumerate() {
                let g = if grows && i == 0 { g } else { 0 };
                let r = access.call(&mut store, (g, w, a));
                if a >= 0 && a + n <= len {
                    assert_eq!(r.unwrap(), 1, "{n} bytes at {a} of {len}");
                } else {
                    let code = r.expect_err("out of bounds").trap_code();
                    assert_eq!(
                        code,
                        Some(TrapCode::MemoryOutOfBounds),
                        "{n} at {a} of {len}"
                    );
                }
            }
        }
    }
}

/// A `br` over a loop's `else` arm to the loop's closing test runs a copy of the test in
/// its place, then a `br` to where the test falls through: for a counted loop's fused
/// step and test (copied with the branch it was made from, which it skips) and for a
/// plain compare-and-branch; in both tiers, with each arm taken in turn.
#[test]
fn branches_to_a_loop_test_run_a_copy_of_it() {
    let wat = r#"(module
      (func (export "counted") (param $n i32) (result i32)
        (local $i i32) (local $s i32)
        (loop $top
          (block $next
            (block $else
              (br_if $else (i32.and (local.get $i) (i32.const 1)))
              (local.set $s (i32.add (local.get $s) (local.get $i)))
              (br $next))
            (local.set $s (i32.xor (local.get $s) (i32.mul (local.get $i) (i32.const 7)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $top (i32.ne (local.get $i) (local.get $n))))
        (i32.add (local.get $s) (i32.mul (local.get $i) (i32.const 1000))))
      (func (export "compared") (param $n i32) (result i32)
        (local $i i32) (local $s i32)
        (loop $top
          (block $next
            (block $else
              (br_if $else (i32.and (local.get $i) (i32.const 1)))
              (local.set $s (i32.add (local.get $i) (local.get $s)))
              (br $next))
            (local.set $s (i32.add (local.get $s) (i32.const 1))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $top (i32.lt_u (local.get $s) (local.get $n))))
        (i32.add (local.get $s) (i32.mul (local.get $i) (i32.const 1000)))))"#;
    let counted = |n: u32| {
        let (mut i, mut s) = (0u32, 0u32);
        loop {
            s = if i & 1 == 0 {
                s.wrapping_add(i)
            } else {
                s ^ i.wrapping_mul(7)
            };
            i = i.wrapping_add(1);
            if i == n {
                return s.wrapping_add(i.wrapping_mul(1000)) as i32;
            }
        }
    };
    let compared = |n: u32| {
        let (mut i, mut s) = (0u32, 0u32);
        loop {
            s = if i & 1 == 0 {
                s.wrapping_add(i)
            } else {
                s.wrapping_add(1)
            };
            i = i.wrapping_add(1);
            if s >= n {
                return s.wrapping_add(i.wrapping_mul(1000)) as i32;
            }
        }
    };
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    // Each test appears twice, the copy followed by a `Br`.
    for (f, test) in [(0, "I32AddImmBrNe {"), (1, "BrI32LtU {")] {
        let code = module.disassemble(f).unwrap();
        assert_eq!(code.matches(test).count(), 2, "{code}");
    }
    in_both_tiers(wat, |store, inst, jit| {
        for (name, want) in [
            ("counted", &counted as &dyn Fn(u32) -> i32),
            ("compared", &compared),
        ] {
            let run = inst.get_typed_func::<i32, i32>(&mut *store, name).unwrap();
            for n in [1, 2, 3, 4, 5, 100, 1001, 100_000] {
                let got = run.call(&mut *store, n as i32).unwrap();
                assert_eq!(got, want(n), "{name}({n}) jit {jit}");
            }
        }
    });
}

/// A `br` to a short run of code that ends in `br` (an interpreter's shared tail) runs a
/// copy of that run in its place: the copied load keeps its folded address add, so its
/// wrapped address and its trap are those of the original; in both tiers.
#[test]
fn branches_to_a_shared_tail_run_a_copy_of_it() {
    let wat = r#"(module (memory 1)
      (data (i32.const 8) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
      (func (export "run") (param $p i32) (param $n i32) (result i32)
        (local $i i32) (local $s i32)
        (block $done
          (loop $top
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (block $tail
              (block $odd
                (br_if $odd (i32.and (local.get $i) (i32.const 1)))
                (local.set $s (i32.mul (local.get $s) (i32.const 3)))
                (br $tail))
              (local.set $s (i32.mul (local.get $s) (i32.const 5))))
            (local.set $s (i32.add (local.get $s) (i32.load8_u offset=4
              (i32.add (i32.add (local.get $p) (local.get $i)) (i32.const 16)))))
            (local.set $s (i32.xor (local.get $s) (local.get $i)))
            (br $top)))
        (local.get $s)))"#;
    let expected = |p: i32, n: u32| -> Option<i32> {
        let byte = |a: u64| match a {
            8..24 => Some(a as u32 - 7),
            _ if a < 65536 => Some(0),
            _ => None,
        };
        let (mut i, mut s) = (0u32, 0u32);
        while i < n {
            i += 1;
            s = s.wrapping_mul(if i & 1 == 0 { 3 } else { 5 });
            let a = u64::from((p as u32).wrapping_add(i).wrapping_add(16)) + 4;
            s = s.wrapping_add(byte(a)?) ^ i;
        }
        Some(s as i32)
    };
    let (engine, module) = {
        let engine = Engine::default();
        let module = Module::new(&engine, wat).unwrap();
        (engine, module)
    };
    drop(engine);
    // The tail's load appears twice: in place and copied where `br $tail` was. (Where it
    // is fused with the add of its address, `*LoadSum`, the load stays after the fused
    // instruction: the fused one is not counted.)
    let code = module.disassemble(0).unwrap();
    let loads = code
        .lines()
        .filter(|l| l.contains("offset: 20") && !l.contains("Sum"))
        .count();
    assert_eq!(loads, 2, "{code}");
    in_both_tiers(wat, |store, inst, jit| {
        let run = inst
            .get_typed_func::<(i32, i32), i32>(&mut *store, "run")
            .unwrap();
        // In bounds; `p + i` negative, so the folded add wraps; past the end of memory.
        for (p, n) in [(0, 40), (-12, 40), (65500, 40)] {
            let got = run.call(&mut *store, (p, n as i32));
            assert_in_bounds_or_trap(got, expected(p, n), &format!("p {p} jit {jit}"));
        }
    });
}

/// A call's outcome against a model's: the same value, or, where the model's access
/// left memory (`None`), a `MemoryOutOfBounds` trap.
fn assert_in_bounds_or_trap<T: PartialEq + std::fmt::Debug>(
    got: Result<T, spur::Error>,
    want: Option<T>,
    what: &str,
) {
    match (got, want) {
        (Ok(got), Some(want)) => assert_eq!(got, want, "{what}"),
        (Err(e), None) => {
            assert_eq!(
                e.trap_code(),
                Some(TrapCode::MemoryOutOfBounds),
                "{what}: {e}"
            )
        }
        (got, want) => panic!("{what}: {got:?}, expected {want:?}"),
    }
}

/// A load whose address an `i32.add` of two slots computed runs fused with the add
/// (`*LoadSum`), which also writes the sum where the add did: here a local that is also
/// one of the add's operands (`p = p + q`), whose load wraps (a folded `+ 2`, taken again
/// by the wrapping form) or traps, and a local that the load then overwrites (`p =
/// load(p + q)`), for each fused width; in the interpreter and with the JIT compiling
/// the loops.
#[test]
fn loads_fused_with_their_address_sum() {
    let wat = r#"(module (memory 1)
      (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
      (func (export "walk") (param $p i32) (param $q i32) (param $n i32) (result i32)
        (local $s i32) (local $i i32)
        (loop $l
          (local.set $s (i32.add (local.get $s) (i32.load8_u
            (i32.add (local.tee $p (i32.add (local.get $p) (local.get $q))) (i32.const 2)))))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n))))
        (i32.add (local.get $s) (i32.mul (local.get $p) (i32.const 1000))))
      (func (export "chase") (param $p i32) (param $q i32) (param $n i32) (result i64)
        (local $i i32) (local $w i64) (local $f f64)
        (loop $l
          (local.set $p (i32.load8_u (local.tee $p (i32.add (local.get $p) (local.get $q)))))
          (local.set $w (i64.add (local.get $w)
            (i64.load (local.tee $i (i32.add (local.get $i) (local.get $q))))))
          (local.set $f (f64.add (local.get $f)
            (f64.load (i32.add (local.get $p) (local.get $q)))))
          (local.set $w (i64.add (local.get $w) (i64.extend_i32_u
            (i32.load (i32.add (local.get $p) (local.get $i))))))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (i64.add (i64.add (local.get $w) (i64.reinterpret_f64 (local.get $f)))
                 (i64.extend_i32_u (local.get $p)))))"#;
    let mem: Vec<u8> = (1..=16).chain(std::iter::repeat_n(0, 65536 - 16)).collect();
    let at = |a: u64, n: u64| (a + n <= 65536).then(|| &mem[a as usize..(a + n) as usize]);
    let walk = |mut p: u32, q: u32, n: u32| -> Option<i32> {
        let (mut s, mut i) = (0u32, 0u32);
        loop {
            p = p.wrapping_add(q);
            s = s.wrapping_add(u32::from(at(u64::from(p.wrapping_add(2)), 1)?[0]));
            i += 1;
            if i >= n {
                return Some(s.wrapping_add(p.wrapping_mul(1000)) as i32);
            }
        }
    };
    let chase = |mut p: u32, q: u32, n: u32| -> Option<i64> {
        let (mut i, mut w, mut f) = (0u32, 0u64, 0f64);
        let word = |a: u32, n: u64| -> Option<u64> {
            let b = at(u64::from(a), n)?;
            Some(b.iter().rev().fold(0, |w, &x| w << 8 | u64::from(x)))
        };
        loop {
            p = word(p.wrapping_add(q), 1)? as u32;
            i = i.wrapping_add(q);
            w = w.wrapping_add(word(i, 8)?);
            f += f64::from_bits(word(p.wrapping_add(q), 8)?);
            w = w.wrapping_add(word(p.wrapping_add(i), 4)?);
            if i >= n {
                let r = w.wrapping_add(f.to_bits()).wrapping_add(u64::from(p));
                return Some(r as i64);
            }
        }
    };
    in_both_tiers(wat, |store, inst, jit| {
        let run = inst
            .get_typed_func::<(i32, i32, i32), i32>(&mut *store, "walk")
            .unwrap();
        // In bounds; `p + 2` past 2^32 at first (the folded add wraps); past the end of
        // memory, wrapped and not.
        for (p, q, n) in [
            (0, 1, 2000),
            (-3, 1, 2000),
            (-3, 1, 6),
            (-10, 1, 9),
            (65000, 7, 2000),
        ] {
            let got = run.call(&mut *store, (p, q, n as i32));
            let what = format!("walk {p} {q} {n}, jit {jit}");
            assert_in_bounds_or_trap(got, walk(p as u32, q as u32, n), &what);
        }
        let run = inst
            .get_typed_func::<(i32, i32, i32), i64>(&mut *store, "chase")
            .unwrap();
        for (p, q, n) in [(0, 1, 3000), (3, 2, 3000), (0, 1, 65530), (0, 4, 65536)] {
            let got = run.call(&mut *store, (p, q, n as i32));
            let what = format!("chase {p} {q} {n}, jit {jit}");
            assert_in_bounds_or_trap(got, chase(p as u32, q as u32, n), &what);
        }
    });
    // The fusions this test is about took place: each load named above is fused.
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let code = [0, 1].map(|f| module.disassemble(f).unwrap()).join("\n");
    for fused in ["I32Load8USum", "I64LoadSum", "F64LoadSum", "I32LoadSum"] {
        assert!(code.contains(fused), "no {fused}:\n{code}");
    }
}

/// A load and a store of the loaded value run as one instruction (`LoadStore*`): each
/// width (one to eight bytes), a load's address summed from a constant (folded into the
/// load), a load whose address sits in the slot it loads into, loads and stores that trap
/// part-way through the loop (the stores before the trap stay done), and a load whose
/// folded sum wraps past 2^32 on every access; checked against a Rust
/// model of memory, in the interpreter and with the JIT compiling the loops.
#[test]
fn copies_in_memory_fused() {
    let wat = r#"(module (memory (export "mem") 1)
      (func (export "copy") (param $p i32) (param $q i32) (param $n i32) (param $step i32)
        (local $i i32)
        (loop $l
          (i64.store (local.get $q) (i64.load (local.get $p)))
          (i32.store8 offset=8 (local.get $q) (i32.load8_u offset=8 (local.get $p)))
          (i32.store16 offset=10 (local.get $q) (i32.load16_s offset=10 (local.get $p)))
          (f32.store offset=12 (local.get $q) (f32.load offset=12 (local.get $p)))
          (f64.store (i32.add (local.get $q) (i32.const 16))
                     (f64.load (i32.add (local.get $p) (i32.const 16))))
          (i32.store offset=24 (local.get $q) (i32.load (i32.and (local.get $p) (i32.const 0xfffc))))
          (local.set $p (i32.add (local.get $p) (local.get $step)))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n)))))
      (func (export "wrapping") (param $p i32) (param $q i32) (param $n i32)
        (local $i i32)
        (loop $l
          (i32.store (i32.add (local.get $q) (i32.const 4096))
                     (i32.load (i32.add (local.get $p) (i32.const 4096))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $q (i32.add (local.get $q) (i32.const 4)))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n))))))"#;
    const SIZE: u64 = 65536;
    let fill = |mem: &mut [u8]| {
        for (k, b) in mem.iter_mut().enumerate() {
            *b = (k * 7 + 3) as u8;
        }
    };
    // One access of `n` bytes: from `a` to `b`, each an address with its offset (`None`:
    // the load or the store is out of bounds, and the run traps there).
    let copy = |mem: &mut [u8], a: u64, b: u64, n: u64| -> Option<()> {
        if a + n > SIZE {
            return None;
        }
        let v = mem[a as usize..(a + n) as usize].to_vec();
        if b + n > SIZE {
            return None;
        }
        mem[b as usize..(b + n) as usize].copy_from_slice(&v);
        Some(())
    };
    let model = |mem: &mut [u8], mut p: u32, mut q: u32, n: u32, step: u32| -> Option<()> {
        let mut i = 0u32;
        loop {
            let (pp, qq) = (u64::from(p), u64::from(q));
            copy(mem, pp, qq, 8)?;
            copy(mem, pp + 8, qq + 8, 1)?;
            copy(mem, pp + 10, qq + 10, 2)?;
            copy(mem, pp + 12, qq + 12, 4)?;
            let (a, b) = (p.wrapping_add(16), q.wrapping_add(16));
            copy(mem, a.into(), b.into(), 8)?;
            copy(mem, u64::from(p & 0xfffc), qq + 24, 4)?;
            (p, q) = (p.wrapping_add(step), q.wrapping_add(32));
            i += 1;
            if i >= n {
                return Some(());
            }
        }
    };
    let wrapping = |mem: &mut [u8], mut p: u32, mut q: u32, n: u32| -> Option<()> {
        let mut i = 0u32;
        loop {
            let (a, b) = (p.wrapping_add(4096), q.wrapping_add(4096));
            copy(mem, a.into(), b.into(), 4)?;
            (p, q) = (p.wrapping_add(4), q.wrapping_add(4));
            i += 1;
            if i >= n {
                return Some(());
            }
        }
    };
    in_both_tiers(wat, |store, inst, jit| {
        let mem = inst.get_memory(&mut *store, "mem").unwrap();
        let mut want = vec![0u8; SIZE as usize];
        fill(&mut want);
        fill(mem.data_mut(&mut *store));
        let run = inst
            .get_typed_func::<(i32, i32, i32, i32), ()>(&mut *store, "copy")
            .unwrap();
        // In bounds; the loads leaving memory; the stores leaving it; `p` going below 0.
        for (p, q, n, step) in [
            (16, 4000, 300, 8),
            (65000, 1000, 100, 1),
            (100, 64500, 100, 1),
            (40, 9000, 10, -4),
        ] {
            let got = run.call(&mut *store, (p, q, n, step));
            let what = format!("copy {p} {q} {n} {step}, jit {jit}");
            let expect = model(&mut want, p as u32, q as u32, n as u32, step as u32);
            assert_in_bounds_or_trap(got, expect, &what);
            assert!(
                mem.data(&*store) == want.as_slice(),
                "{what}: memory differs"
            );
        }
        let run = inst
            .get_typed_func::<(i32, i32, i32), ()>(&mut *store, "wrapping")
            .unwrap();
        // Both addresses wrap past 2^32 to the start of memory; then past its end.
        for (p, q, n) in [(-4096, -2048, 500), (-4096, 60000, 100)] {
            let got = run.call(&mut *store, (p, q, n));
            let what = format!("wrapping {p} {q} {n}, jit {jit}");
            let expect = wrapping(&mut want, p as u32, q as u32, n as u32);
            assert_in_bounds_or_trap(got, expect, &what);
            assert!(
                mem.data(&*store) == want.as_slice(),
                "{what}: memory differs"
            );
        }
    });
    // The fusions this test is about took place, each width of them.
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let code = [0, 1].map(|f| module.disassemble(f).unwrap()).join("\n");
    for (fused, count) in [
        ("LoadStore64 {", 2),
        ("LoadStore8 {", 1),
        ("LoadStore16 {", 1),
        ("LoadStore32 {", 3),
    ] {
        let found = code.matches(fused).count();
        assert_eq!(found, count, "{fused}:\n{code}");
    }
}

/// A load of a pointer and a load from it run as one instruction (`*LoadPtr`): an `i32`,
/// a byte and an `i64` through a pointer, the pointer kept in a local, the accumulator
/// form (the pointer's address just computed) at the head of a chain of three loads, and
/// a folded `+ 8` on the second load that wraps past 2^32 to the start of memory; the
/// first load past the end, and the second; in the interpreter and with the JIT
/// compiling the loop.
#[test]
fn pointer_loads_fused() {
    let wat = r#"(module (memory (export "mem") 1)
      (func (export "walk") (param $p i32) (param $n i32) (param $step i32) (result i64)
        (local $i i32) (local $s i64) (local $q i32)
        (loop $l
          (local.set $s (i64.add (local.get $s) (i64.extend_i32_u
            (i32.load offset=4 (i32.load offset=8 (local.get $p))))))
          (local.set $s (i64.add (local.get $s) (i64.extend_i32_u
            (i32.load8_u offset=3 (local.tee $q (i32.load (local.get $p)))))))
          (local.set $s (i64.add (local.get $s)
            (i64.load offset=16 (i32.load offset=12 (local.get $p)))))
          (local.set $s (i64.add (local.get $s) (i64.extend_i32_u
            (i32.load (i32.load (i32.load (i32.and (local.get $p) (i32.const 0xfffc))))))))
          (local.set $s (i64.add (local.get $s) (i64.extend_i32_u
            (i32.load (i32.add (i32.load offset=24 (local.get $p)) (i32.const 8))))))
          (local.set $s (i64.xor (local.get $s) (i64.extend_i32_u (local.get $q))))
          (local.set $p (i32.add (local.get $p) (local.get $step)))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n))))
        (local.get $s)))"#;
    const SIZE: u64 = 65536;
    // Every word a pointer in bounds (a multiple of 4 below 65000, so that each offset
    // here stays in, and the chain reads whole words), but for the words the runs below
    // set.
    let fill = |mem: &mut [u8]| {
        for (k, w) in mem.chunks_exact_mut(4).enumerate() {
            let v = (k as u32).wrapping_mul(40503).wrapping_add(12345) % 16250 * 4;
            w.copy_from_slice(&v.to_le_bytes());
        }
    };
    let set = |mem: &mut [u8], at: usize, v: u32| mem[at..at + 4].copy_from_slice(&v.to_le_bytes());
    // The `n` bytes at `ea` as a little-endian number (`None`: past the end).
    let ld = |mem: &[u8], ea: u64, n: u64| -> Option<u64> {
        (ea + n <= SIZE).then(|| {
            let b = &mem[ea as usize..(ea + n) as usize];
            b.iter().rev().fold(0, |v, &x| v << 8 | u64::from(x))
        })
    };
    let model = |mem: &[u8], mut p: u32, n: u32, step: u32| -> Option<i64> {
        let (mut i, mut s) = (0u32, 0u64);
        loop {
            let pp = u64::from(p);
            let ptr = ld(mem, pp + 8, 4)?;
            s = s.wrapping_add(ld(mem, ptr + 4, 4)?);
            let q = ld(mem, pp, 4)? as u32;
            s = s.wrapping_add(ld(mem, u64::from(q) + 3, 1)?);
            let ptr = ld(mem, pp + 12, 4)?;
            s = s.wrapping_add(ld(mem, ptr + 16, 8)?);
            let ptr = ld(mem, ld(mem, u64::from(p & 0xfffc), 4)?, 4)?;
            s = s.wrapping_add(ld(mem, ptr, 4)?);
            let ptr = ld(mem, pp + 24, 4)? as u32;
            s = s.wrapping_add(ld(mem, ptr.wrapping_add(8).into(), 4)?);
            s ^= u64::from(q);
            p = p.wrapping_add(step);
            i += 1;
            if i >= n {
                return Some(s as i64);
            }
        }
    };
    in_both_tiers(wat, |store, inst, jit| {
        let mem = inst.get_memory(&mut *store, "mem").unwrap();
        let run = inst
            .get_typed_func::<(i32, i32, i32), i64>(&mut *store, "walk")
            .unwrap();
        let mut want = vec![0u8; SIZE as usize];
        fill(&mut want);
        // At the 10th step of the second run, a pointer whose `+ 8` wraps to 4; at the
        // 40th step of the third, one whose word lies past the end.
        set(&mut want, 20000 + 10 * 32 + 24, 0xffff_fffc);
        set(&mut want, 30000 + 40 * 32 + 8, 65534);
        mem.data_mut(&mut *store).copy_from_slice(&want);
        // In bounds; past a wrapping pointer; into a pointer past the end; the first
        // load leaving memory as `p` does.
        for (p, n, step) in [
            (16, 2000, 4),
            (20000, 100, 32),
            (30000, 100, 32),
            (64000, 200, 12),
        ] {
            let got = run.call(&mut *store, (p, n, step));
            let want = model(&want, p as u32, n as u32, step as u32);
            assert_in_bounds_or_trap(got, want, &format!("walk {p} {n} {step}, jit {jit}"));
        }
    });
    // The fusions this test is about took place, each form of them.
    assert_forms(
        wat,
        &[
            ("I32LoadPtr {", 2),
            ("I32Load8UPtr {", 1),
            ("I64LoadPtr {", 1),
            ("I32LoadPtrA {", 1),
        ],
    );
}

/// Asserts that function 0 of `wat`, translated, shows each instruction form (a piece of
/// its disassembly) as many times as given.
fn assert_forms(wat: &str, forms: &[(&str, usize)]) {
    let module = Module::new(&Engine::default(), wat).unwrap();
    let code = module.disassemble(0).unwrap();
    for &(form, count) in forms {
        assert_eq!(code.matches(form).count(), count, "{form}:\n{code}");
    }
}

/// Two adds of 16-bit constants in a row run as one instruction (`I32AddImm2`): a pointer
/// and a counter that move together, the accumulator form (the first add's operand just
/// computed) with a second add that reads the first's result, constants at both ends of
/// the 16-bit range, and an add of a wider constant and the loop's own step, which stay
/// apart; in the interpreter and with the JIT compiling the loop.
#[test]
fn two_steps_fused() {
    let wat = r#"(module (memory (export "mem") 1)
      (func (export "walk") (param $p i32) (param $n i32) (result i32)
        (local $i i32) (local $s i32) (local $q i32) (local $r i32)
        (loop $l
          (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $q (i32.add (local.get $q) (i32.const -32768)))
          (local.set $r (i32.add (i32.mul (local.get $s) (i32.const 3)) (i32.const 32767)))
          (local.set $s (i32.add (local.get $r) (i32.const 7)))
          (local.set $q (i32.add (local.get $q) (i32.const 40000)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n))))
        (i32.xor (local.get $s) (i32.xor (local.get $q) (local.get $r)))))"#;
    const SIZE: u32 = 65536;
    let word = |k: u32| k.wrapping_mul(2654435761).rotate_left(7);
    let model = |mut p: u32, n: u32| -> Option<i32> {
        let (mut i, mut s, mut q) = (0u32, 0u32, 0u32);
        loop {
            if u64::from(p) + 4 > u64::from(SIZE) {
                return None;
            }
            s = s.wrapping_add(word(p / 4));
            p = p.wrapping_add(4);
            q = q.wrapping_sub(32768);
            let r = s.wrapping_mul(3).wrapping_add(32767);
            s = r.wrapping_add(7);
            q = q.wrapping_add(40000);
            let r = r.wrapping_add(1);
            i += 1;
            if i >= n {
                return Some((s ^ q ^ r) as i32);
            }
        }
    };
    in_both_tiers(wat, |store, inst, jit| {
        let mem = inst.get_memory(&mut *store, "mem").unwrap();
        for (k, w) in mem.data_mut(&mut *store).chunks_exact_mut(4).enumerate() {
            w.copy_from_slice(&word(k as u32).to_le_bytes());
        }
        let run = inst
            .get_typed_func::<(i32, i32), i32>(&mut *store, "walk")
            .unwrap();
        // In bounds; the pointer leaving memory part-way.
        for (p, n) in [(0, 3000), (64000, 1000)] {
            let got = run.call(&mut *store, (p, n));
            let what = format!("walk {p} {n}, jit {jit}");
            assert_in_bounds_or_trap(got, model(p as u32, n as u32), &what);
        }
    });
    // The fusions this test is about took place, and not the ones it leaves apart.
    assert_forms(
        wat,
        &[
            ("I32AddImm2 {", 1),
            ("I32AddImm2A {", 1),
            ("I32AddImm { dst: s4, a: s4, imm: 40000 }", 1),
            ("I32AddImmBrLtU {", 1),
        ],
    );
}

/// A shift by a constant and an add of its result run as one instruction (`I32ShlAdd*`):
/// an add of a slot (the shifted value on either side) or of a constant (wrapping past
/// 2^32), a shift count of 32 or more (taken mod 32), and each accumulator form, with the
/// shifted value or the addend just computed; in the interpreter and with the JIT
/// compiling the loop.
#[test]
fn scaled_sums_fused() {
    let wat = r#"(module
      (func (export "mix") (param $a i32) (param $b i32) (param $n i32) (result i32)
        (local $i i32) (local $s i32) (local $t i32)
        (loop $l
          (local.set $s (i32.add (i32.shl (local.get $s) (i32.const 3)) (local.get $a)))
          (local.set $t (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 35))))
          (local.set $s (i32.xor (i32.xor (local.get $s) (local.get $t))
            (i32.add (i32.shl (local.get $i) (i32.const 2)) (i32.const 0x7fff0000))))
          (local.set $s (i32.add (i32.shl (i32.mul (local.get $s) (i32.const 3)) (i32.const 5))
            (local.get $i)))
          (local.set $t (i32.add (i32.mul (local.get $t) (local.get $b))
            (i32.shl (local.get $s) (i32.const 4))))
          (local.set $s (i32.add (local.get $s)
            (i32.add (i32.shl (i32.xor (local.get $s) (local.get $t)) (i32.const 7))
                     (i32.const -5))))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n))))
        (i32.add (local.get $s) (local.get $t))))"#;
    let mix = |a: u32, b: u32, n: u32| -> i32 {
        let (mut i, mut s) = (0u32, 0u32);
        loop {
            s = (s << 3).wrapping_add(a);
            let mut t = b.wrapping_add(i << 3);
            s = (s ^ t) ^ (i << 2).wrapping_add(0x7fff_0000);
            s = (s.wrapping_mul(3) << 5).wrapping_add(i);
            t = t.wrapping_mul(b).wrapping_add(s << 4);
            s = s.wrapping_add(((s ^ t) << 7).wrapping_sub(5));
            i += 1;
            if i >= n {
                return s.wrapping_add(t) as i32;
            }
        }
    };
    in_both_tiers(wat, |store, inst, jit| {
        let run = inst
            .get_typed_func::<(i32, i32, i32), i32>(&mut *store, "mix")
            .unwrap();
        for (a, b, n) in [(1, 2, 1), (0x1234_5678, 0x09ab_cdef, 1000), (-1, -7, 5000)] {
            let got = run.call(&mut *store, (a, b, n)).unwrap();
            assert_eq!(
                got,
                mix(a as u32, b as u32, n as u32),
                "mix {a} {b} {n}, jit {jit}"
            );
        }
    });
    // The fusions this test is about took place, each form of them.
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let code = module.disassemble(0).unwrap();
    for fused in [
        "I32ShlAdd {",
        "I32ShlAddImm {",
        "I32ShlAddA {",
        "I32ShlAddRevA {",
        "I32ShlAddImmA {",
    ] {
        assert!(code.contains(fused), "no {fused}:\n{code}");
    }
}

/// An `f64` passes from the instruction that computed it to the next in the float
/// accumulator, and everything else in the integer one: every kind of instruction that
/// yields an `f64` (arithmetic, rounding, conversions, loads, bit operations, moves,
/// constants, selects, calls), followed by every kind of `A` form that could take it
/// (either operand of the four arithmetic operators, a store) and by consumers that must
/// not (an integer reinterpretation, a comparison); in the interpreter and with the JIT
/// compiling the loop around them.
#[test]
fn f64_results_pass_in_the_right_accumulator() {
    type Producer = fn(f64, f64, i32, i64) -> f64;
    let producers: [(&str, Producer); 27] = [
        ("(f64.add (local.get $x) (local.get $y))", |x, y, _, _| x + y),
        ("(f64.sub (local.get $x) (local.get $y))", |x, y, _, _| x - y),
        ("(f64.mul (local.get $x) (local.get $y))", |x, y, _, _| x * y),
        ("(f64.div (local.get $x) (local.get $y))", |x, y, _, _| x / y),
        ("(f64.min (local.get $x) (local.get $y))", |x, y, _, _| x.min(y)),
        ("(f64.max (local.get $x) (local.get $y))", |x, y, _, _| x.max(y)),
        ("(f64.sqrt (local.get $x))", |x, _, _, _| x.sqrt()),
        ("(f64.ceil (local.get $x))", |x, _, _, _| x.ceil()),
        ("(f64.floor (local.get $x))", |x, _, _, _| x.floor()),
        ("(f64.trunc (local.get $x))", |x, _, _, _| x.trunc()),
        ("(f64.nearest (local.get $x))", |x, _, _, _| x.round_ties_even()),
        ("(f64.abs (local.get $x))", |x, _, _, _| x.abs()),
        ("(f64.neg (local.get $x))", |x, _, _, _| -x),
        ("(f64.copysign (local.get $x) (local.get $y))", |x, y, _, _| x.copysign(y)),
        ("(f64.convert_i32_s (local.get $k))", |_, _, k, _| f64::from(k)),
        ("(f64.convert_i32_u (local.get $k))", |_, _, k, _| f64::from(k as u32)),
        ("(f64.convert_i64_s (local.get $m))", |_, _, _, m| m as f64),
        ("(f64.convert_i64_u (local.get $m))", |_, _, _, m| m as u64 as f64),
        ("(f64.promote_f32 (f32.demote_f64 (local.get $x)))", |x, _, _, _| f64::from(x as f32)),
        (
            "(f64.reinterpret_i64 (i64.add (local.get $m) (i64.const 0x3ff0000000000000)))",
            |_, _, _, m| f64::from_bits(m.wrapping_add(0x3ff0_0000_0000_0000) as u64),
        ),
        (
            "(block (result f64) (f64.store (i32.const 16) (local.get $x)) (f64.load (i32.const 16)))",
            |x, _, _, _| x,
        ),
        (
            "(block (result f64) (f64.store (i32.const 32) (local.get $x))
               (f64.load offset=32 (i32.shl (i32.and (local.get $k) (i32.const 0)) (i32.const 3))))",
            |x, _, _, _| x,
        ),
        (
            "(block (result f64) (f64.store (i32.const 48) (local.get $x))
               (f64.load offset=48 (i32.and (local.get $k) (i32.const 0))))",
            |x, _, _, _| x,
        ),
        (
            "(select (local.get $x) (local.get $y) (i32.and (local.get $k) (i32.const 1)))",
            |x, y, k, _| if k & 1 != 0 { x } else { y },
        ),
        ("(local.get $x)", |x, _, _, _| x),
        ("(f64.const 2.75)", |_, _, _, _| 2.75),
        ("(call $id (local.get $x))", |x, _, _, _| x),
    ];
    type Consumer = fn(f64, f64) -> f64;
    let consumers: [(&str, Consumer); 11] = [
        ("(f64.add {p} (local.get $y))", |p, y| p + y),
        ("(f64.add (local.get $y) {p})", |p, y| y + p),
        ("(f64.sub {p} (local.get $y))", |p, y| p - y),
        ("(f64.sub (local.get $y) {p})", |p, y| y - p),
        ("(f64.mul {p} (local.get $y))", |p, y| p * y),
        ("(f64.mul (local.get $y) {p})", |p, y| y * p),
        ("(f64.div {p} (local.get $y))", |p, y| p / y),
        ("(f64.div (local.get $y) {p})", |p, y| y / p),
        (
            "(block (result f64) (f64.store (i32.const 8) {p}) (f64.load (i32.const 8)))",
            |p, _| p,
        ),
        (
            "(f64.reinterpret_i64 (i64.add (i64.reinterpret_f64 {p}) (i64.const 1)))",
            |p, _| f64::from_bits(p.to_bits().wrapping_add(1)),
        ),
        ("(f64.convert_i32_u (f64.lt {p} (local.get $y)))", |p, y| {
            f64::from(u8::from(p < y))
        }),
    ];
    let mut wat = String::from(
        "(module (memory 1)
           (func $id (param f64) (result f64) (local.get 0))\n",
    );
    for (pi, (p, _)) in producers.iter().enumerate() {
        for (ci, (c, _)) in consumers.iter().enumerate() {
            let c = c.replace("{p}", p);
            wat.push_str(&format!(
                "(func (export \"f{pi}_{ci}\")
                   (param $x0 f64) (param $y f64) (param $k0 i32) (param $m0 i64) (result f64)
                   (local $i i32) (local $x f64) (local $k i32) (local $m i64) (local $s f64)
                   (loop $l
                     (local.set $x (f64.add (local.get $x0) (f64.convert_i32_s (local.get $i))))
                     (local.set $k (i32.add (local.get $k0) (local.get $i)))
                     (local.set $m (i64.add (local.get $m0) (i64.extend_i32_u (local.get $i))))
                     (local.set $s (f64.add (local.get $s) {c}))
                     (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                         (i32.const 20))))
                   (local.get $s))\n"
            ));
        }
    }
    wat.push(')');
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    in_both_tiers(&wat, |store, inst, jit| {
        for (pi, (_, produce)) in producers.iter().enumerate() {
            for (ci, (_, consume)) in consumers.iter().enumerate() {
                let f = inst
                    .get_typed_func::<(f64, f64, i32, i64), f64>(
                        &mut *store,
                        &format!("f{pi}_{ci}"),
                    )
                    .unwrap();
                for x0 in [2.5, -3.0, 1e300] {
                    for y in [0.5, -7.25] {
                        for (k0, m0) in [(-5, -9), (7, 1 << 40)] {
                            let mut s = 0.0;
                            for i in 0..20 {
                                let (x, k) = (x0 + f64::from(i), k0 + i);
                                let p = produce(x, y, k, m0 + i64::from(i));
                                s += consume(p, y);
                            }
                            let got = f.call(&mut *store, (x0, y, k0, m0)).unwrap();
                            assert!(
                                same(got, s),
                                "f{pi}_{ci}({x0}, {y}, {k0}, {m0}) = {got}, not {s} (jit: {jit})"
                            );
                        }
                    }
                }
            }
        }
    });
}

/// A host function runs from the calling instruction's handler, and may call back into
/// WebAssembly: here it recurses deep enough in the caller's instance to move the value
/// stack, runs another instance with its own globals, memory and functions, and on odd
/// arguments grows the caller's memory. After it returns, the caller's locals, globals,
/// memory and direct calls are its own again. A host error ends the call, and a host
/// panic unwinds to the embedder; either way the store runs on. In both tiers (the JIT
/// compiling eagerly).
#[test]
fn host_calls_return_to_their_caller_as_it_was() {
    // Called directly (an import's call) and through a table.
    for call in [
        "(call $host (local.get $n))",
        "(call_indirect (type $to_i32) (local.get $n) (i32.const 0))",
    ] {
        host_call_returns_to_its_caller(call);
    }
}

fn host_call_returns_to_its_caller(call: &str) {
    let app = format!(
        r#"(module
         (type $to_i32 (func (param i32) (result i32)))
         (import "env" "host" (func $host (type $to_i32)))
         (table 1 funcref)
         (elem (i32.const 0) $host)
         (global $g (mut i32) (i32.const 7))
         (memory (export "memory") 1)
         (func $deep (export "deep") (param $n i32) (result i32)
           (if (result i32) (i32.eqz (local.get $n))
             (then (i32.const 0))
             (else (i32.add (call $deep (i32.sub (local.get $n) (i32.const 1)))
                            (i32.const 1)))))
         (func $id (param i32) (result i32) (local.get 0))
         (func (export "run") (param $n i32) (result i32)
           (local $a i32) (local $b i32)
           (local.set $a (i32.mul (local.get $n) (i32.const 3)))
           (i32.store (i32.const 16) (local.get $n))
           (local.set $b {call})
           (i32.add
             (i32.add (local.get $a) (local.get $b))
             (i32.add
               (global.get $g)
               (i32.add (call $id (i32.load (i32.const 16)))
                        (i32.shl (memory.size) (i32.const 20)))))))"#
    );
    let other = r#"(module
         (global $g (mut i32) (i32.const 1000))
         (memory 2)
         (func $k (result i32) (i32.const 5))
         (func (export "work") (result i32)
           (i32.store (i32.const 16) (i32.const 99))
           (i32.add (global.get $g) (i32.add (call $k) (i32.load (i32.const 16))))))"#;
    for jit in [false, true] {
        let engine = engine_in(jit);
        let mut store = Store::new(&engine, ());
        let other = Module::new(&engine, other).unwrap();
        let other = Instance::new(&mut store, &other, &[]).unwrap();
        let work = other.get_typed_func::<(), i32>(&mut store, "work").unwrap();
        let mut linker = spur::Linker::new(&engine);
        linker
            .func_wrap(
                "env",
                "host",
                move |mut caller: spur::Caller<'_, ()>, n: i32| -> spur::Result<i32> {
                    if n == -2 {
                        panic!("the host gave up");
                    }
                    if n < 0 {
                        return Err(spur::Error::msg("negative"));
                    }
                    let Some(spur::Extern::Func(deep)) = caller.get_export("deep") else {
                        panic!("no export deep");
                    };
                    let depth = deep.typed::<i32, i32>(&caller)?.call(&mut caller, n)?;
                    let w = work.call(&mut caller, ())?;
                    if n % 2 == 1 {
                        let Some(spur::Extern::Memory(m)) = caller.get_export("memory") else {
                            panic!("no export memory");
                        };
                        m.grow(&mut caller, 1)?;
                    }
                    Ok(depth + w)
                },
            )
            .unwrap();
        let app = Module::new(&engine, &app).unwrap();
        let app = linker.instantiate(&mut store, &app).unwrap();
        let run = app.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        let mut pages = 1;
        for n in [0, 1, 2, 3000, 3001, 20000, -1, 5, -2, 7] {
            if n == -2 {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run.call(&mut store, n)
                }));
                let payload = r.expect_err("the host's panic reaches the embedder");
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"the host gave up"));
                continue;
            }
            let r = run.call(&mut store, n);
            if n < 0 {
                let e = r.expect_err("the host's error");
                assert!(e.to_string().contains("negative"), "{call}, jit {jit}: {e}");
                continue;
            }
            pages += n % 2;
            // 3n from before the call, n + 1104 from the host, then the caller's global,
            // its memory's word, and its memory's size in pages, shifted.
            let want = 3 * n + (n + 1104) + 7 + n + (pages << 20);
            assert_eq!(r.unwrap(), want, "{call}: run({n}), jit {jit}");
        }
    }
}

/// `call_indirect` on table 0 reads the running instance's table 0 from a record the
/// interpreter keeps. Here the table grows one entry at a time by `table.grow` (so that
/// its entries move many times), and by three entries through the host's `Table::grow`
/// in a host call every 16th round; each round calls the newest entry and entry 0, and
/// after the host's growth its newest entry. An index one past the end still traps.
/// In both tiers.
#[test]
fn call_indirect_follows_table_0_as_it_grows() {
    let wat = r#"(module
      (type $t (func (result i32)))
      (import "env" "grow" (func $grow (param i32)))
      (table (export "table") 1 funcref)
      (elem declare func $b)
      (elem (i32.const 0) $a)
      (func $a (result i32) (i32.const 1))
      (func $b (result i32) (i32.const 10))
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $s i32)
        (loop $l
          (drop (table.grow (ref.func $b) (i32.const 1)))
          (local.set $s (i32.add (local.get $s)
            (i32.add (call_indirect (type $t) (i32.sub (table.size) (i32.const 1)))
                     (call_indirect (type $t) (i32.const 0)))))
          (if (i32.eqz (i32.and (local.get $i) (i32.const 15)))
            (then
              (call $grow (i32.const 3))
              (local.set $s (i32.add (local.get $s)
                (call_indirect (type $t) (i32.sub (table.size) (i32.const 1)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $s))
      (func (export "past") (result i32)
        (call_indirect (type $t) (table.size))))"#;
    for jit in [false, true] {
        let engine = engine_in(jit);
        let mut store = Store::new(&engine, ());
        let mut linker = spur::Linker::new(&engine);
        linker
            .func_wrap(
                "env",
                "grow",
                |mut caller: spur::Caller<'_, ()>, delta: i32| -> spur::Result<()> {
                    let Some(spur::Extern::Table(t)) = caller.get_export("table") else {
                        panic!("no export table");
                    };
                    // Entry 0, `$a`, fills the new entries.
                    let a = t.get(&caller, 0).expect("entry 0");
                    t.grow(&mut caller, delta as u32, a)?;
                    Ok(())
                },
            )
            .unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let run = inst.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        let past = inst.get_typed_func::<(), i32>(&mut store, "past").unwrap();
        let n = 1000;
        // Each round: `$b` (10) and `$a` (1); rounds 0, 16, ..., 992 also `$a` again.
        let host_rounds = (n + 15) / 16;
        assert_eq!(
            run.call(&mut store, n).unwrap(),
            11 * n + host_rounds,
            "jit: {jit}"
        );
        let Some(spur::Extern::Table(t)) = inst.get_export(&mut store, "table") else {
            panic!("no export table");
        };
        assert_eq!(
            t.size(&store),
            (1 + n + 3 * host_rounds) as u32,
            "jit: {jit}"
        );
        assert_eq!(
            past.call(&mut store, ()).unwrap_err().trap_code(),
            Some(TrapCode::UndefinedElement),
            "jit: {jit}"
        );
    }
}

/// The instruction after a call with one result reads it from the accumulator
/// (`I32AddA` after a host function's call, `I32XorA` after a WebAssembly function's),
/// whichever way the call returns: the callee's return, a host call run from the
/// interpreter's handler, one that the driver runs (while the JIT records the loop), and
/// in compiled traces. (With a profile, the `ProfResume` after each call comes between:
/// that run checks the plain forms.)
#[test]
fn a_calls_result_reaches_the_next_instruction_in_the_accumulator() {
    let wat = r#"(module
      (import "env" "f" (func $f (param i32) (result i32)))
      (func $g (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $s i32)
        (loop $l
          (local.set $s (i32.add (call $f (local.get $i)) (local.get $s)))
          (local.set $s (i32.xor (call $g (local.get $i)) (local.get $s)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $s)))"#;
    let code = Module::new(&Engine::default(), wat)
        .unwrap()
        .disassemble(2)
        .unwrap();
    let after = |call: &str| {
        let mut lines = code.lines().skip_while(|l| !l.contains(call));
        lines.nth(1).unwrap_or_default().to_string()
    };
    assert!(after("CallImport {").contains("I32AddA {"), "{code}");
    assert!(after("Call { func: 0").contains("I32XorA {"), "{code}");
    let n = 2000;
    let host = |x: i32| x.wrapping_mul(7).wrapping_add(1);
    let mut expected = 0i32;
    for i in 0..n {
        expected = host(i).wrapping_add(expected);
        expected ^= i.wrapping_mul(3);
    }
    for (jit, profile) in [(false, false), (false, true), (true, false), (true, true)] {
        let mut config = spur::Config::new();
        config.jit(jit).collect_profile(profile);
        if jit {
            config.jit_param("hotloop", 1).unwrap();
            config.jit_param("budget", 100).unwrap();
        }
        let engine = Engine::new(&config);
        let mut store = Store::new(&engine, ());
        let mut linker = spur::Linker::new(&engine);
        linker.func_wrap("env", "f", host).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let run = inst.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
        assert_eq!(
            run.call(&mut store, n).unwrap(),
            expected,
            "jit {jit}, profile {profile}"
        );
        if jit {
            assert_traced(&store);
        }
    }
}

/// A conditional branch that writes nothing passes the accumulator on: the compares
/// after it, falling through (`I32LeUA`) and at its target (`I32GtUA`, reached only by
/// the branch), read the product computed before it from the accumulator; both ways
/// run, in the interpreter and with the JIT's exits at the branch.
#[test]
fn branches_pass_the_accumulator_on() {
    let wat = r#"(module
      (func (export "run") (param $n i32) (param $k i32) (result i32)
        (local $i i32) (local $v i32) (local $s i32)
        (loop $l
          (local.set $v (i32.mul (local.get $i) (i32.const 0x9e3779b1)))
          (if (i32.and (local.get $i) (i32.const 1))
            (then (local.set $s (i32.add (local.get $s) (i32.le_u (local.get $v) (local.get $k)))))
            (else (local.set $s (i32.xor (i32.gt_u (local.get $v) (local.get $k))
                                         (i32.shl (local.get $s) (i32.const 1))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $s)))"#;
    assert_forms(wat, &[("I32LeUA {", 1), ("I32GtUA {", 1)]);
    let (n, k) = (3000u32, 0x6000_0000u32);
    let mut expected = 0u32;
    for i in 0..n {
        let v = i.wrapping_mul(0x9e37_79b1);
        expected = if i & 1 != 0 {
            expected.wrapping_add(u32::from(v <= k))
        } else {
            (expected << 1) ^ u32::from(v > k)
        };
    }
    in_both_tiers(wat, |store, inst, jit| {
        let run = inst
            .get_typed_func::<(i32, i32), i32>(&mut *store, "run")
            .unwrap();
        let got = run.call(&mut *store, (n as i32, k as i32)).unwrap();
        assert_eq!(got as u32, expected, "jit: {jit}");
    });
}

/// Each case of a bytecode loop sets the program counter and branches back to the
/// dispatch (`local.set` of one local from another, then `br`): the copy and the branch
/// run as one instruction (`CopyBr`), in the interpreter and with the JIT tracing the
/// dispatch loop.
#[test]
fn a_copy_and_its_branch_back_run_as_one() {
    let wat = r#"(module (memory (export "mem") 1)
      (func (export "run") (param $x i32) (result i32)
        (local $pc i32) (local $next i32)
        (block $halt
          (loop $dispatch
            (local.set $next (i32.add (local.get $pc) (i32.const 1)))
            (block $op2 (block $op1 (block $op0
              (br_table $op0 $op1 $op2 $halt (i32.load8_u (local.get $pc))))
              (local.set $x (i32.add (local.get $x) (i32.const 7)))
              (local.set $pc (local.get $next))
              (br $dispatch))
            (local.set $x (i32.mul (local.get $x) (i32.const 3)))
            (local.set $pc (local.get $next))
            (br $dispatch))
          (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 5))))
          (local.set $pc (local.get $next))
          (br $dispatch)))
        (local.get $x)))"#;
    assert_forms(wat, &[("CopyBr {", 3)]);
    let program: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(0x9e37_79b1) >> 29) as u8 % 3)
        .chain([3])
        .collect();
    let mut expected = 11u32;
    for &op in &program[..program.len() - 1] {
        expected = match op {
            0 => expected.wrapping_add(7),
            1 => expected.wrapping_mul(3),
            _ => expected ^ (expected >> 5),
        };
    }
    in_both_tiers(wat, |store, inst, jit| {
        let mem = inst.get_memory(&mut *store, "mem").unwrap();
        mem.write(&mut *store, 0, &program).unwrap();
        let run = inst.get_typed_func::<i32, i32>(&mut *store, "run").unwrap();
        assert_eq!(
            run.call(&mut *store, 11).unwrap() as u32,
            expected,
            "jit: {jit}"
        );
    });
}

/// `select` reads its three operands where they are, whatever they are (a local, an
/// operand-stack value, a pooled or an immediate constant), and its result goes straight
/// to the local set from it (`Select3`), even when that local is its own first operand.
/// Where operands lie past slot 2^16 (50,000 locals and 16,000 values on the operand
/// stack) it keeps the two-operand form. Both compute the same selections, in the
/// interpreter and with the JIT.
#[test]
fn select_reads_its_operands_in_place() {
    let body = r#"
        (loop $l
          (local.set $a (select (local.get $a) (local.get $b) (i32.and (local.get $i) (i32.const 1))))
          (local.set $b (select (i32.add (local.get $b) (i32.const 3)) (i32.const 5)
                                (i32.and (local.get $i) (i32.const 2))))
          (local.set $w (i64.add (local.get $w)
            (select (i64.const 0x123456789) (i64.extend_i32_u (local.get $a)) (local.get $b))))
          (local.set $a (i32.add (local.get $a) (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.set $w (i64.add (local.get $w) (i64.extend_i32_u (i32.xor (local.get $a) (local.get $b)))))"#;
    let func = |locals: usize, values: usize| {
        format!(
            r#"(module (func (export "run") (param $n i32) (result i64)
              (local {}) (local $a i32) (local $b i32) (local $i i32) (local $w i64)
              {} {body} {} (local.get $w)))"#,
            "i32 ".repeat(locals),
            "i32.const 0 ".repeat(values),
            "drop ".repeat(values),
        )
    };
    let (n, mut a, mut b, mut w) = (2000u32, 0u32, 0u32, 0u64);
    for i in 0..n {
        a = if i & 1 != 0 { a } else { b };
        b = if i & 2 != 0 { b.wrapping_add(3) } else { 5 };
        w = w.wrapping_add(if b != 0 { 0x1_2345_6789 } else { u64::from(a) });
        a = a.wrapping_add(i);
    }
    let expected = w.wrapping_add(u64::from(a ^ b));
    let narrow = [("Select3 {", 3), ("Select {", 0)];
    let wide = [("Select3 {", 0), ("Select {", 3)];
    for (locals, values, forms) in [(0, 0, narrow), (49_990, 16_000, wide)] {
        let wat = func(locals, values);
        assert_forms(&wat, &forms);
        in_both_tiers(&wat, |store, inst, jit| {
            let run = inst.get_typed_func::<i32, i64>(&mut *store, "run").unwrap();
            let got = run.call(&mut *store, n as i32).unwrap() as u64;
            assert_eq!(got, expected, "jit: {jit}, locals: {locals}");
        });
    }
}

/// A function's first lines that set a local to zero, which it already holds, emit
/// nothing; setting it to zero after another value, setting a parameter to zero, and
/// setting a local to zero where a loop may come back emit the constant, in the
/// interpreter and with the JIT.
#[test]
fn locals_start_at_zero_without_a_constant() {
    let wat = r#"(module
      (func (export "run") (param $n i32) (param $m i32) (result i64)
        (local $acc i64) (local $k i32) (local $j i32)
        (local.set $acc (i64.const 0))
        (local.set $k (i32.const 5))
        (local.set $k (i32.const 0))
        (local.set $j (i32.const 0))
        (local.set $m (i32.const 0))
        (loop $l
          (local.set $j (i32.const 0))
          (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 3))
            (i64.extend_i32_u (i32.add (local.get $j) (local.get $k)))))
          (local.set $j (i32.const 3))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $k) (local.get $n))))
        (i64.add (local.get $acc) (i64.extend_i32_u (i32.add (local.get $j) (local.get $m))))))"#;
    // Of the seven constants set, the first and the fourth go.
    assert_forms(wat, &[("Const32 {", 5), ("Const64 {", 0)]);
    let (n, mut acc) = (500u32, 0u64);
    for k in 0..n {
        acc = acc.wrapping_mul(3).wrapping_add(u64::from(k));
    }
    let expected = acc + 3;
    in_both_tiers(wat, |store, inst, jit| {
        let run = inst
            .get_typed_func::<(i32, i32), i64>(&mut *store, "run")
            .unwrap();
        assert_eq!(
            run.call(&mut *store, (n as i32, 99)).unwrap() as u64,
            expected,
            "jit: {jit}"
        );
    });
}

/// A compiler's guarded float-to-int conversion (LLVM's lowering of a C cast without the
/// non-trapping conversions: the truncation if the value passes a range test, else a
/// constant) runs as one instruction (`*Guarded`), for each of the eight conversions,
/// with the signed test's compare apart from its branch or fused with it. Each
/// computes what the six instructions do, on values inside, at and past both bounds,
/// infinities, NaN and negative zero, in the interpreter and with the JIT recording at
/// once (its loop sees values in and out of range in turn).
#[test]
fn guarded_conversions_run_as_one() {
    // (float type, int type, unsigned, bound, fallback)
    let kinds = [
        ("f32", "i32", false, "2147483648", "-2147483648"),
        ("f32", "i32", true, "4294967296", "0"),
        ("f64", "i32", false, "2147483648", "-2147483648"),
        ("f64", "i32", true, "4294967296", "0"),
        (
            "f32",
            "i64",
            false,
            "9223372036854775808",
            "-9223372036854775808",
        ),
        ("f32", "i64", true, "18446744073709551616", "0"),
        (
            "f64",
            "i64",
            false,
            "9223372036854775808",
            "-9223372036854775808",
        ),
        ("f64", "i64", true, "18446744073709551616", "0"),
    ];
    let values: [f64; 16] = [
        0.0,
        -0.0,
        1.75,
        -1.75,
        2147483520.0,
        2147483648.0,
        -2147483648.0,
        4294967040.0,
        4294967296.0,
        -0.5,
        9223371487098961920.0,
        9223372036854775808.0,
        -9223372036854775808.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    for (float, int, unsigned, bound, fallback) in kinds {
        let sign = if unsigned { "u" } else { "s" };
        let x = "(local.get $x)";
        let k = format!("({float}.const {bound})");
        let test = if unsigned {
            format!("(i32.and ({float}.lt {x} {k}) ({float}.ge {x} ({float}.const 0)))")
        } else {
            format!("({float}.lt ({float}.abs {x}) {k})")
        };
        let trunc = format!("({int}.trunc_{float}_{sign} {x})");
        let fall = format!("({int}.const {fallback})");
        // The block form LLVM emits, and (for a signed target) an `if`, whose branch
        // fuses with the compare.
        let mut shapes = vec![format!(
            "(block $done (block $else (br_if $else (i32.eqz {test}))
               (local.set $r {trunc}) (br $done)) (local.set $r {fall}))"
        )];
        if !unsigned {
            shapes.push(format!(
                "(local.set $r (if (result {int}) {test} (then {trunc}) (else {fall})))"
            ));
        }
        let widen = if int == "i32" {
            "(i64.extend_i32_u (local.get $r))"
        } else {
            "(local.get $r)"
        };
        let size = if float == "f32" { 4 } else { 8 };
        for shape in shapes {
            let wat = format!(
                r#"(module (memory (export "mem") 1)
                  (func (export "run") (param $n i32) (result i64)
                    (local $i i32) (local $x {float}) (local $r {int}) (local $acc i64)
                    (loop $l
                      (local.set $x ({float}.load (i32.mul (i32.rem_u (local.get $i) (i32.const 16)) (i32.const {size}))))
                      {shape}
                      (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) {widen}))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
                    (local.get $acc)))"#
            );
            assert_forms(&wat, &[("Guarded {", 1)]);
            let bytes: Vec<u8> = values
                .iter()
                .flat_map(|&v| match float {
                    "f32" => (v as f32).to_le_bytes().to_vec(),
                    _ => v.to_le_bytes().to_vec(),
                })
                .collect();
            // The six instructions' meaning, on the value as loaded.
            let convert = |v: f64| -> u64 {
                let v = if float == "f32" {
                    f64::from(v as f32)
                } else {
                    v
                };
                let bound: f64 = bound.parse().unwrap();
                let passes = if unsigned {
                    v < bound && v >= 0.0
                } else {
                    v.abs() < bound
                };
                match (passes, int, unsigned) {
                    (false, _, true) => 0,
                    (false, "i32", false) => u64::from(i32::MIN as u32),
                    (false, _, false) => i64::MIN as u64,
                    (true, "i32", false) => u64::from(v as i32 as u32),
                    (true, "i32", true) => u64::from(v as u32),
                    (true, _, false) => v as i64 as u64,
                    (true, _, true) => v as u64,
                }
            };
            let n = 16 * 40;
            let expected = (0..n).fold(0u64, |acc, i| {
                acc.wrapping_mul(31).wrapping_add(convert(values[i % 16]))
            });
            in_both_tiers(&wat, |store, inst, jit| {
                let mem = inst.get_memory(&mut *store, "mem").unwrap();
                mem.write(&mut *store, 0, &bytes).unwrap();
                let run = inst.get_typed_func::<i32, i64>(&mut *store, "run").unwrap();
                let got = run.call(&mut *store, n as i32).unwrap() as u64;
                assert_eq!(got, expected, "jit: {jit}\n{shape}");
            });
        }
    }
}

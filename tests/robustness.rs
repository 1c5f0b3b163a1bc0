//! Bad input never panics: truncated, mutated and random module bytes give an `Err` (or a
//! valid module), and every module that validates also translates, instantiates and runs
//! without panicking. Random valid modules come from `wasm-smith`, instrumented to
//! terminate.

use spur::{
    CompilationMode, Config, Engine, Extern, ExternType, Func, Global, Linker, Memory, Module,
    Store, Table, Val,
};
use std::path::Path;

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/kernels");
    let mut out = Vec::new();
    for name in ["fib", "crc32", "interp", "icall_poly", "host_call"] {
        out.push(std::fs::read(dir.join(format!("{name}.wasm"))).unwrap());
    }
    out.push(
        wat::parse_str(
            r#"(module
                (type $t (func (param i32) (result i32)))
                (table 4 funcref) (memory 1 2) (global $g (mut i64) (i64.const 7))
                (elem (i32.const 0) $f $f)
                (data (i32.const 8) "hello")
                (func $f (type $t) (local.get 0))
                (func (export "go") (param i32) (result i32)
                  (block (result i32)
                    (loop (result i32)
                      (br_if 1 (i32.eqz (local.get 0)) (i32.const 1))
                      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                      (drop (call_indirect (type $t) (local.get 0) (i32.const 1)))
                      (br 0)))))"#,
        )
        .unwrap(),
    );
    out
}

fn engine() -> Engine {
    let mut config = Config::new();
    // Memories reserve only their size, and growing moves them: these tests make
    // thousands of memories, and under an emulator (CI's AArch64 run under qemu-user)
    // every 4 GiB reservation would leave about 40 MB of its bookkeeping behind.
    config.jit(false).max_call_depth(1000).memory_reservation(0);
    Engine::new(&config)
}

/// Compiles; if valid, translates every function and instantiates with dummy imports.
fn exercise(engine: &Engine, bytes: &[u8]) {
    let Ok(module) = Module::new(engine, bytes) else {
        return;
    };
    module.translate_all().expect("a valid module translates");
    let mut store = Store::new(engine, ());
    let mut imports = Vec::new();
    for import in module.imports() {
        let ext: Extern = match import.ty() {
            ExternType::Func(ty) => Func::new(&mut store, ty.clone(), |_, _, results| {
                for r in results.iter_mut() {
                    *r = Val::I32(0);
                }
                Err(spur::Error::msg("dummy import called"))
            })
            .into(),
            ExternType::Global(ty) => {
                Global::new(&mut store, *ty, Val::default_for_ty(ty.content()))
                    .unwrap()
                    .into()
            }
            ExternType::Memory(ty) => match Memory::new(&mut store, *ty) {
                Ok(m) => m.into(),
                Err(_) => return,
            },
            ExternType::Table(ty) => Table::new(&mut store, *ty, Val::default_for_ty(ty.element()))
                .unwrap()
                .into(),
        };
        imports.push(ext);
    }
    let _ = spur::Instance::new(&mut store, &module, &imports);
}

#[test]
fn truncated_modules_never_panic() {
    let engine = engine();
    for bytes in corpus() {
        let step = (bytes.len() / 400).max(1);
        for len in (0..bytes.len()).step_by(step) {
            exercise(&engine, &bytes[..len]);
        }
    }
}

#[test]
fn mutated_modules_never_panic() {
    let engine = engine();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let corpus = corpus();
    for case in 0..3000 {
        let mut bytes = corpus[case % corpus.len()].clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] = rng.next() as u8,
                1 => bytes[at] ^= 1 << rng.below(8),
                _ => {
                    bytes.insert(at, rng.next() as u8);
                }
            }
        }
        exercise(&engine, &bytes);
    }
}

#[test]
fn random_bytes_never_panic() {
    let engine = engine();
    let mut rng = Rng(0x0dd_ba11);
    for case in 0..3000 {
        let len = rng.below(200);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if case % 2 == 0 && bytes.len() >= 8 {
            // A valid header, so the section parser is reached.
            bytes[..8].copy_from_slice(b"\0asm\x01\0\0\0");
        }
        exercise(&engine, &bytes);
    }
}

#[test]
fn unsupported_features_are_named() {
    let engine = engine();
    let simd = wat::parse_str("(module (func (result v128) (v128.const i64x2 0 0)))").unwrap();
    let err = Module::new(&engine, &simd).unwrap_err().to_string();
    assert!(err.contains("SIMD"), "{err}");
    let threads = wat::parse_str("(module (memory 1 1 shared))").unwrap();
    let err = Module::new(&engine, &threads).unwrap_err().to_string();
    assert!(err.contains("threads"), "{err}");
    let mem64 = wat::parse_str("(module (memory i64 1))").unwrap();
    let err = Module::new(&engine, &mem64).unwrap_err().to_string();
    assert!(err.contains("memory64"), "{err}");
}

/// Random valid modules (Wasm 2.0 minus SIMD), instrumented to terminate, translate,
/// instantiate and run every exported function without panicking.
#[test]
fn random_valid_modules_run() {
    use arbitrary::Unstructured;
    let engine = engine();
    let mut rng = Rng(0xfeed_beef);
    let mut valid = 0;
    for _ in 0..300 {
        let data: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
        let mut u = Unstructured::new(&data);
        let cfg = wasm_smith::Config {
            simd_enabled: false,
            relaxed_simd_enabled: false,
            threads_enabled: false,
            exceptions_enabled: false,
            gc_enabled: false,
            memory64_enabled: false,
            tail_call_enabled: false,
            wide_arithmetic_enabled: false,
            extended_const_enabled: false,
            custom_page_sizes_enabled: false,
            compact_imports_enabled: false,
            max_memories: 1,
            max_memory32_bytes: 1 << 20,
            max_table_elements: 1000,
            ..Default::default()
        };
        let Ok(mut m) = wasm_smith::Module::new(cfg, &mut u) else {
            continue;
        };
        let Ok(_) = m.ensure_termination(1000) else {
            continue;
        };
        let bytes = m.to_bytes();
        let module = Module::new(&engine, &bytes).expect("wasm-smith modules are valid");
        valid += 1;
        module.translate_all().unwrap();
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        if linker.define_unknown_imports_as_traps(&module).is_err() {
            continue;
        }
        let Ok(instance) = linker.instantiate(&mut store, &module) else {
            continue;
        };
        for export in instance.exports(&mut store) {
            let Some(func) = export.ext().into_func() else {
                continue;
            };
            let ty = func.ty(&store);
            let params: Vec<Val> = ty
                .params()
                .iter()
                .map(|&t| Val::default_for_ty(t))
                .collect();
            let mut results: Vec<Val> = ty
                .results()
                .iter()
                .map(|&t| Val::default_for_ty(t))
                .collect();
            let _ = func.call(&mut store, &params, &mut results);
        }
    }
    assert!(valid > 100, "only {valid} modules generated");
}

/// Loads a module file by reading it or by mapping it.
type Load = fn(&Engine, &Path) -> spur::Result<Module>;

fn map_file(engine: &Engine, path: &Path) -> spur::Result<Module> {
    // SAFETY: the test's files are not written while their modules live.
    unsafe { Module::map_file(engine, path) }
}

#[test]
fn module_files_load_or_say_why_not() {
    let loads: [(&str, Load); 2] = [
        ("from_file", |e, p| Module::from_file(e, p)),
        ("map_file", map_file),
    ];
    for (name, load) in loads {
        for mode in [CompilationMode::Eager, CompilationMode::Lazy] {
            check_module_file(name, load, mode);
        }
    }
}

fn check_module_file(name: &str, load: Load, mode: CompilationMode) {
    let mut config = Config::default();
    config.compilation_mode(mode);
    let engine = Engine::new(&config);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = std::env::temp_dir().join(format!("spur-{name}-{mode:?}-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();

    // A binary file and a text file load as `Module::new` loads their bytes, and run.
    let wasm = dir.join("benches/kernels/fib.wasm");
    let from_file = load(&engine, &wasm).unwrap();
    let from_bytes = Module::new(&engine, std::fs::read(&wasm).unwrap()).unwrap();
    let names = |m: &Module| {
        m.exports()
            .map(|e| e.name().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&from_file), names(&from_bytes));
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &from_file)
        .unwrap();
    let run = instance
        .get_typed_func::<i32, i64>(&mut store, "run")
        .unwrap();
    // fib(20), the kernel's checksum at n = 20 (the 20th Fibonacci number).
    assert_eq!(run.call(&mut store, 20).unwrap(), 6765, "{name}");
    let wat = scratch.join("add.wat");
    std::fs::write(
        &wat,
        r#"(module (func (export "add") (param i32 i32) (result i32)
        (i32.add (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let module = load(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (40, 2)).unwrap(), 42);

    // A missing file and a folder are read errors naming the path; garbage is a compile
    // error.
    for unreadable in [scratch.join("missing.wasm"), scratch.clone()] {
        let err = load(&engine, &unreadable).unwrap_err();
        assert!(
            matches!(err.kind(), spur::ErrorKind::Io { .. }),
            "{name}: {err}"
        );
        assert!(
            err.to_string().contains(&*unreadable.to_string_lossy()),
            "{err}"
        );
        assert!(std::error::Error::source(&err).is_some());
    }
    let garbage = scratch.join("garbage.wasm");
    std::fs::write(&garbage, b"\0asm\x01\0\0\0\x7f\x7f").unwrap();
    assert!(load(&engine, &garbage).unwrap_err().is_compile(), "{name}");
    std::fs::remove_dir_all(&scratch).unwrap();
}

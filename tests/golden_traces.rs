//! Golden trace dumps: the small programs in `traces/` run with the JIT on (`hotloop=2`), and
//! the dump of every trace they compile (recorded bytecode, IR with snapshots and register
//! allocation) must match `traces/<name>.expected` exactly.
//!
//! The machine-code listing holds absolute addresses of helper functions, so it is reduced to
//! its header line without the byte count (`---- TRACE 1 mcode`); everything else is kept.
//!
//! On other architectures than x86-64, the IR's register allocation is left out of the
//! comparison (see `comparable`).
//!
//! Each program must also give the same result (or the same trap) as the interpreter alone,
//! must compile at least one trace (so that a program that stopped being traced fails here
//! rather than comparing an empty dump), and must produce the same dump when run twice.
//!
//! `SPUR_BLESS=1 cargo test --release --test golden_traces` rewrites the expected files from
//! the current output instead of comparing; review the diff before committing it.

mod support;

use spur::{Caller, Config, Engine, Error, Linker, Module, Store, TrapCode, Val};
use std::path::{Path, PathBuf};
use support::{Shared, host_mix, without_mcode};

/// How a program is run and what it must do.
struct Program {
    name: &'static str,
    args: &'static [Val],
    /// `None`: it returns normally; `Some(code)`: it traps with `code` (in both tiers).
    trap: Option<TrapCode>,
    /// JIT tunables it runs with besides [`HOTLOOP`] (name, value).
    params: &'static [(&'static str, u32)],
}

/// Every program in `traces/` (`every_program_in_traces_is_checked` keeps this complete).
const PROGRAMS: &[Program] = &[
    Program {
        name: "side_trace",
        args: &[Val::I32(1000)],
        trap: None,
        params: &[],
    },
    Program {
        name: "loop_nest",
        args: &[Val::I32(300)],
        trap: None,
        params: &[],
    },
    Program {
        name: "switch",
        args: &[Val::I32(1000)],
        trap: None,
        params: &[],
    },
    Program {
        name: "counted_loop",
        args: &[Val::I32(1000)],
        trap: None,
        params: &[],
    },
    Program {
        name: "loop_call",
        args: &[Val::I32(1000)],
        trap: None,
        params: &[],
    },
    Program {
        name: "indirect_call",
        args: &[Val::I32(1000), Val::I32(1)],
        trap: None,
        params: &[],
    },
    Program {
        name: "br_table",
        args: &[Val::I32(1000), Val::I32(1)],
        trap: None,
        params: &[],
    },
    Program {
        name: "trapping_div",
        args: &[Val::I32(1000)],
        trap: Some(TrapCode::IntegerDivideByZero),
        params: &[],
    },
    Program {
        name: "float_loop",
        args: &[Val::I32(1000)],
        trap: None,
        params: &[],
    },
    Program {
        name: "host_call",
        args: &[Val::I32(1000)],
        trap: None,
        params: &[],
    },
    Program {
        name: "body_link",
        args: &[Val::I32(1000)],
        trap: None,
        params: &[("bodylink", 1)],
    },
    Program {
        name: "recursion",
        args: &[Val::I32(18)],
        trap: None,
        params: &[],
    },
];

/// Loop iterations before a loop is recorded: low, so that the traces start early.
const HOTLOOP: u32 = 2;

fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces")
}

/// The store's data: what the host function saw and does.
#[derive(Default)]
struct Host {
    /// Calls of `env.mix` so far.
    calls: u64,
    /// `env.mix` fails (returns an error) when called with this argument.
    fail_at: Option<i32>,
}

/// What one run produced.
struct Run {
    /// The results (as `Debug` text, so floats compare by their bits), or the error.
    result: Result<Vec<String>, Error>,
    traces: u64,
    /// Calls of the host function `env.mix`.
    host_calls: u64,
    /// The normalized dump (empty with the JIT off).
    dump: String,
}

fn run(p: &Program, jit: bool, fail_at: Option<i32>) -> Run {
    let path = traces_dir().join(format!("{}.wat", p.name));
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut config = Config::new();
    config.jit(jit);
    config.jit_param("hotloop", HOTLOOP).expect("hotloop");
    // No time budget: which traces are compiled must not depend on how fast this machine is.
    config.jit_param("budget", 100).expect("budget");
    for &(name, value) in p.params {
        config.jit_param(name, value).expect(name);
    }
    let engine = Engine::new(&config);
    let module = Module::new(&engine, &source).unwrap_or_else(|e| panic!("{}: {e}", p.name));
    let mut store = Store::new(&engine, Host { calls: 0, fail_at });
    let dump = Shared::default();
    if jit {
        store.set_trace_dump(dump.clone());
    }
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "mix",
            |mut caller: Caller<'_, Host>, x: i32| -> Result<i32, Error> {
                let host = caller.data_mut();
                host.calls += 1;
                if host.fail_at == Some(x) {
                    return Err(Error::msg(format!("env.mix refuses {x}")));
                }
                Ok(host_mix(x))
            },
        )
        .expect("define env.mix");
    let instance = linker
        .instantiate(&mut store, &module)
        .unwrap_or_else(|e| panic!("{}: instantiate: {e}", p.name));
    let func = instance
        .get_func(&mut store, "run")
        .unwrap_or_else(|| panic!("{}: no `run` export", p.name));
    let mut results: Vec<Val> = func
        .ty(&store)
        .results()
        .iter()
        .map(|&t| Val::default_for_ty(t))
        .collect();
    let result = func
        .call(&mut store, p.args, &mut results)
        .map(|()| results.iter().map(|v| format!("{v:?}")).collect());
    let traces = store.jit_stats().traces;
    let host_calls = store.data().calls;
    drop(store);
    Run {
        result,
        traces,
        host_calls,
        dump: without_mcode(&dump.text()),
    }
}

fn bless() -> bool {
    std::env::var("SPUR_BLESS").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The first line where `expected` and `actual` differ, for the failure message.
/// What of a dump is compared: everything, on x86-64 (the machine the expected files come
/// from). On another architecture, registers are named and allocated differently, so the
/// IR's locations (its first column, and a `Parent`'s operand) are blanked: the recorded
/// bytecode, the IR and the snapshots must still be identical.
fn comparable(dump: &str) -> String {
    if cfg!(target_arch = "x86_64") {
        return dump.to_string();
    }
    let is_loc = |t: &str| {
        let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
        t.strip_prefix('r').is_some_and(digits)
            || t.strip_prefix('x').is_some_and(digits)
            || t.strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .is_some_and(digits)
    };
    let mut out = String::new();
    let mut in_ir = false;
    for line in dump.lines() {
        if line.starts_with("---- ") {
            in_ir = line.ends_with(" IR");
        } else if in_ir && (line.starts_with('>') || line.starts_with("  ")) {
            let (guard, rest) = line.split_at(1);
            let words: Vec<&str> = rest.split_whitespace().filter(|w| !is_loc(w)).collect();
            out.push_str(&format!("{guard} {}\n", words.join(" ")));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn first_difference(expected: &str, actual: &str) -> String {
    let (mut e, mut a) = (expected.lines(), actual.lines());
    for n in 1.. {
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => {}
            (None, None) => break,
            (x, y) => {
                return format!(
                    "line {n}:\n  expected: {}\n  actual:   {}",
                    x.unwrap_or("(end of file)"),
                    y.unwrap_or("(end of output)")
                );
            }
        }
    }
    "(no difference)".to_string()
}

fn check(name: &str) {
    let p = PROGRAMS
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} is not in PROGRAMS"));
    let jit = run(p, true, None);
    let interp = run(p, false, None);

    // The same outcome in both tiers.
    match (&jit.result, &interp.result, p.trap) {
        (Ok(j), Ok(i), None) => assert_eq!(j, i, "{name}: JIT and interpreter results differ"),
        (Err(j), Err(i), Some(code)) => {
            assert_eq!(
                i.trap_code(),
                Some(code),
                "{name}: the interpreter should trap with {code}, got: {i}"
            );
            assert_eq!(
                j.trap_code(),
                Some(code),
                "{name}: with the JIT it should trap with {code}, got: {j}"
            );
            // The message and the backtrace, frame by frame.
            assert_eq!(
                j.to_string(),
                i.to_string(),
                "{name}: the traps differ between JIT and interpreter"
            );
        }
        (j, i, _) => panic!(
            "{name}: expected {}, got with JIT: {j:?}, interpreter only: {i:?}",
            match p.trap {
                Some(code) => format!("a trap ({code})"),
                None => "a normal return".to_string(),
            }
        ),
    }

    assert_eq!(
        jit.host_calls, interp.host_calls,
        "{name}: the host function was called a different number of times"
    );

    // The test is about traces: there must be some, in the dump too.
    assert!(
        jit.traces >= 1,
        "{name}: no trace was compiled (jit_stats().traces == 0); the program no longer \
         exercises the JIT"
    );
    assert_eq!(interp.traces, 0, "{name}: traces with the JIT off");
    assert!(
        jit.dump.starts_with("---- TRACE 1 start "),
        "{name}: the dump does not start with trace 1:\n{}",
        jit.dump
    );

    // Deterministic: a second run dumps the same text.
    let again = run(p, true, None);
    assert!(
        again.dump == jit.dump,
        "{name}: the dump differs between two runs, at {}",
        first_difference(&jit.dump, &again.dump)
    );

    let expected_path = traces_dir().join(format!("{name}.expected"));
    if bless() {
        std::fs::write(&expected_path, &jit.dump)
            .unwrap_or_else(|e| panic!("write {}: {e}", expected_path.display()));
        return;
    }
    let expected = match std::fs::read_to_string(&expected_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "{name}: {} does not exist; run `SPUR_BLESS=1 cargo test --release --test \
             golden_traces` to create it from the current output, and read it through",
            expected_path.display()
        ),
        Err(e) => panic!("read {}: {e}", expected_path.display()),
    };
    let (expected, actual) = (comparable(&expected), comparable(&jit.dump));
    assert!(
        expected == actual,
        "{name}: the trace dump differs from {} at {}\n\nIf the change is intended, rerun with \
         SPUR_BLESS=1 to update the file and review the diff. The whole dump:\n{}",
        expected_path.display(),
        first_difference(&expected, &actual),
        jit.dump
    );
}

#[test]
fn recursion() {
    check("recursion");
}

#[test]
fn counted_loop() {
    check("counted_loop");
}

#[test]
fn side_trace() {
    check("side_trace");
}

#[test]
fn body_link() {
    check("body_link");
}

#[test]
fn loop_nest() {
    check("loop_nest");
}

#[test]
fn switch() {
    check("switch");
}

#[test]
fn loop_call() {
    check("loop_call");
}

#[test]
fn indirect_call() {
    check("indirect_call");
}

#[test]
fn br_table() {
    check("br_table");
}

#[test]
fn trapping_div() {
    check("trapping_div");
}

#[test]
fn float_loop() {
    check("float_loop");
}

#[test]
fn host_call() {
    check("host_call");
}

/// A host function that fails while the trace runs: the trace has already made the call, so
/// it exits after it and the error is reported as is; the call is not made a second time by
/// the interpreter.
#[test]
fn host_error_inside_a_trace() {
    let p = PROGRAMS.iter().find(|p| p.name == "host_call").unwrap();
    let jit = run(p, true, Some(700));
    let interp = run(p, false, Some(700));
    assert!(jit.traces >= 1, "host_call compiled no trace");
    let (Err(j), Err(i)) = (&jit.result, &interp.result) else {
        panic!(
            "env.mix(700) should fail the call; with JIT: {:?}, interpreter only: {:?}",
            jit.result, interp.result
        );
    };
    assert!(i.to_string().contains("env.mix refuses 700"), "{i}");
    assert_eq!(j.to_string(), i.to_string());
    assert_eq!((jit.host_calls, interp.host_calls), (701, 701));
}

/// A `.wat` added to `traces/` without an entry in PROGRAMS (and a test) fails here, and so
/// does an expected file left behind by a removed program.
#[test]
fn every_program_in_traces_is_checked() {
    let mut unknown = Vec::new();
    for entry in std::fs::read_dir(traces_dir()).expect("read traces/") {
        let path = entry.expect("entry").path();
        let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else {
            continue;
        };
        let stem = stem.to_string_lossy();
        if (ext == "wat" || ext == "expected") && !PROGRAMS.iter().any(|p| p.name == stem) {
            unknown.push(path.display().to_string());
        }
    }
    assert!(
        unknown.is_empty(),
        "files in traces/ with no program in tests/golden_traces.rs: {unknown:?}"
    );
    for p in PROGRAMS {
        assert!(
            traces_dir().join(format!("{}.wat", p.name)).exists(),
            "traces/{}.wat is missing",
            p.name
        );
    }
}

#[test]
fn normalize_keeps_everything_but_the_machine_code() {
    let dump = "---- TRACE 3 start func[0] loop 0\n---- TRACE 3 bytecode\nfunc[0] 0000  Loop { id: 0 }\n\
                ---- TRACE 3 IR\n        0001     Loop\n---- TRACE 3 mcode 12 bytes\n00000  push rbx\n\
                00001  mov rax,7F00DEADBEEFh\n---- TRACE 3 stop\n";
    assert_eq!(
        without_mcode(dump),
        "---- TRACE 3 start func[0] loop 0\n---- TRACE 3 bytecode\nfunc[0] 0000  Loop { id: 0 }\n\
         ---- TRACE 3 IR\n        0001     Loop\n---- TRACE 3 mcode\n---- TRACE 3 stop\n"
    );
}

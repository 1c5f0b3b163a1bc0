//! `tracedump show` on logs of the programs in spur's `traces/` folder, written by spur
//! itself with the settings of spur's golden traces (`hotloop=2`, no time budget).
//!
//! The trace sections of the report must equal spur's own golden dumps
//! (`traces/<name>.expected`), an oracle this tool does not write; the whole report
//! (machine code and its sizes left out) must equal `tests/golden/<name>.txt`, which
//! `SPUR_BLESS=1 cargo test -p tracedump` rewrites (review the diff before committing).
//! Bad logs give an error naming the problem and exit status 1.

mod common;

use common::support::without_mcode;
use common::{log_of, log_with, spur_dir, tracedump};
use spur::{Config, Engine, Linker, Module, Store, Val};
use std::path::Path;

/// A program of `traces/`: its name, arguments and the JIT tunables it runs with.
type Program = (&'static str, &'static [Val], &'static [(&'static str, u32)]);

/// Every program of `traces/` (as in spur's golden-trace test; a new program there fails
/// `every_program_in_traces_is_reported` until it is added here).
const PROGRAMS: &[Program] = &[
    ("side_trace", &[Val::I32(1000)], &[]),
    ("loop_nest", &[Val::I32(300)], &[]),
    ("switch", &[Val::I32(1000)], &[]),
    ("counted_loop", &[Val::I32(1000)], &[]),
    ("loop_call", &[Val::I32(1000)], &[]),
    ("indirect_call", &[Val::I32(1000), Val::I32(1)], &[]),
    ("br_table", &[Val::I32(1000), Val::I32(1)], &[]),
    ("trapping_div", &[Val::I32(1000)], &[]),
    ("float_loop", &[Val::I32(1000)], &[]),
    ("host_call", &[Val::I32(1000)], &[]),
    ("body_link", &[Val::I32(1000)], &[("bodylink", 1)]),
    ("recursion", &[Val::I32(18)], &[]),
];

/// The report without machine code: each listing reduced to its header without the byte
/// count, and the summary's byte total left out (both depend on where helpers are); the
/// run's times left out.
fn normalize(report: &str) -> String {
    let mut out = String::new();
    for line in without_mcode(report).lines() {
        // Times differ from run to run.
        if line.starts_with("time: ") {
            out.push_str("time: ...\n");
            continue;
        }
        match line.split_once("), machine code: ") {
            Some((head, _)) => out.push_str(&format!("{head})\n")),
            None => out.push_str(&format!("{line}\n")),
        }
    }
    out
}

fn bless() -> bool {
    std::env::var("SPUR_BLESS").is_ok_and(|v| !v.is_empty() && v != "0")
}

#[test]
fn reports_match_spurs_dumps_and_the_golden_files() {
    let tmp = std::env::temp_dir().join(format!("tracedump-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut failed = Vec::new();
    for &(name, args, params) in PROGRAMS {
        let path = tmp.join(format!("{name}.jsonl"));
        std::fs::write(&path, log_with(name, args, params)).unwrap();
        let (out, err, code) = tracedump(&["show", path.to_str().unwrap()]);
        assert_eq!((err.as_str(), code), ("", 0), "{name}");
        let report = normalize(&out);

        // The sections are spur's golden dump, line for line.
        let sections: String = report
            .split("\n---- summary")
            .next()
            .unwrap()
            .lines()
            .skip_while(|l| !l.starts_with("---- TRACE"))
            .filter(|l| !l.is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        let expected =
            std::fs::read_to_string(spur_dir().join(format!("traces/{name}.expected"))).unwrap();
        let expected: String = expected
            .lines()
            .filter(|l| !l.starts_with("---- TRACE abort"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            sections, expected,
            "{name}: sections differ from spur's dump"
        );

        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.txt"));
        if bless() {
            std::fs::write(&golden, &report).unwrap();
        } else if std::fs::read_to_string(&golden).ok().as_deref() != Some(report.as_str()) {
            failed.push(format!(
                "{name}: the report differs from {}:\n{report}",
                golden.display()
            ));
        }
    }
    std::fs::remove_dir_all(&tmp).unwrap();
    assert!(
        failed.is_empty(),
        "{}\n(SPUR_BLESS=1 rewrites the files)",
        failed.join("\n")
    );
}

#[test]
fn every_program_in_traces_is_reported() {
    let mut missing: Vec<String> = std::fs::read_dir(spur_dir().join("traces"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".wat").map(str::to_string)
        })
        .filter(|n| !PROGRAMS.iter().any(|p| p.0 == n))
        .collect();
    missing.sort();
    assert!(missing.is_empty(), "not in PROGRAMS: {missing:?}");
}

#[test]
fn filters_keep_one_function_or_one_trace() {
    let tmp = std::env::temp_dir().join(format!("tracedump-filter-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let path = tmp.join("side_trace.jsonl");
    std::fs::write(&path, log_of("side_trace", &[Val::I32(1000)])).unwrap();
    let path = path.to_str().unwrap();
    let (all, _, _) = tracedump(&["show", path]);
    assert!(all.contains("---- TRACE 1 start") && all.contains("---- TRACE 2 start"));
    let (one, _, code) = tracedump(&["show", "--trace", "2", path]);
    assert_eq!(code, 0);
    assert!(one.contains("---- TRACE 2 start") && !one.contains("---- TRACE 1 start"));
    assert!(
        one.contains("traces: 1 (roots: 0, side traces: 1)"),
        "{one}"
    );
    let (none, _, code) = tracedump(&["show", "--func", "7", path]);
    assert_eq!(code, 0);
    assert!(
        !none.contains("---- TRACE ") && none.contains("traces: 0 (roots: 0, side traces: 0)"),
        "{none}"
    );
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn bad_logs_are_errors_that_say_why() {
    let tmp = std::env::temp_dir().join(format!("tracedump-bad-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let cases = [
        ("garbage.jsonl", "not json\n", "line 1: not JSON"),
        (
            "unknown.jsonl",
            "{\"event\":\"flush\"}\n{\"event\":\"party\"}\n",
            "line 2: unknown event `party`",
        ),
        (
            "short.jsonl",
            "{\"event\":\"counts\",\"trace\":1}\n",
            "line 1: no `entries`",
        ),
    ];
    for (file, text, want) in cases {
        let path = tmp.join(file);
        std::fs::write(&path, text).unwrap();
        let (out, err, code) = tracedump(&["show", path.to_str().unwrap()]);
        assert_eq!((out.as_str(), code), ("", 1), "{file}");
        assert!(
            err.contains("is not a trace log") && err.contains(want),
            "{file}: {err}"
        );
    }
    let (_, err, code) = tracedump(&["show", tmp.join("missing.jsonl").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: cannot read `"), "{err}");
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn run_and_invoke_report_after_the_programs_own_output() {
    // The result line comes first, as `spur invoke` prints it (checked against the
    // interpreter alone), then the report.
    let wat = spur_dir().join("traces/side_trace.wat");
    let engine = Engine::new(Config::new().jit(false));
    let module = Module::from_file(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let want = run.call(&mut store, 1000).unwrap();
    let (out, err, code) = tracedump(&["invoke", wat.to_str().unwrap(), "run", "1000"]);
    assert_eq!((err.as_str(), code), ("", 0));
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(want.to_string().as_str()));
    assert_eq!(lines.next(), Some("[TRACE   1 func[0] loop 0 -> loop]"));
    assert!(
        out.contains("\n---- summary\ntraces: 2 (roots: 1, side traces: 1)"),
        "{out}"
    );

    // spur's options apply (the interpreter only: no traces), and `--trace-log` keeps the
    // log where it says.
    let tmp = std::env::temp_dir().join(format!("tracedump-run-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let kept = tmp.join("kept.jsonl");
    let args = ["invoke", "--no-jit", "--trace-log", kept.to_str().unwrap()];
    let (out, _, code) = tracedump(&[&args[..], &[wat.to_str().unwrap(), "run", "1000"]].concat());
    assert_eq!(code, 0);
    assert!(
        out.contains("traces: 0 (roots: 0, side traces: 0)"),
        "{out}"
    );
    assert!(kept.exists());
    std::fs::remove_dir_all(&tmp).unwrap();

    // A program that cannot be loaded fails as `spur` would, with no report.
    let (out, err, code) = tracedump(&["run", "no/such/program.wasm"]);
    assert_eq!((out.as_str(), code), ("", 1));
    assert!(
        err.starts_with("error: cannot read `no/such/program.wasm`"),
        "{err}"
    );
}

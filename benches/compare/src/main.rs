//! spur-compare: times spur (interpreter and JIT configurations) against wasmi, wasmtime
//! (Cranelift) and Winch on the benchmark kernels of `benches/kernels` and the large
//! startup module of `benches/startup`, and prints a markdown report.
//!
//! Usage: `cargo run --release -p spur-compare -- [--quick] [--runs N] [KERNEL...]`, or
//! `-- --micro [--runs N] [BENCH...]` for micro-benchmarks of the engines' own costs
//! (translation, instantiation, calls; see `micro`).
//! Every measurement runs in a child process (see `child`); the engines alternate within
//! each run, in an order rotated from run to run; the report shows medians. A wrong or
//! inconsistent checksum, or a failed run, is reported loudly and makes the exit status 1.
//! See README.md for the method.

mod child;
mod engines;
mod machine;
mod manifest;
mod micro;
mod report;

use engines::EngineKind;
use manifest::Kernel;
use report::Row;
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: spur-compare [--quick] [--runs N] [KERNEL...]
       spur-compare --micro [--runs N] [BENCH...]
  --quick    use each kernel's quick_n (default: default_n) and 3 runs (default: 5)
  --runs N   number of runs per kernel (or micro bench) and engine
  KERNEL     kernels to run (default: all of benches/kernels/MANIFEST, then `startup`)
  --micro    micro-benchmarks of the engines' own costs instead of the kernels
  BENCH      micro benches to run (default: all): translate, translate-eager,
             instantiate-fib, instantiate-quicksort, call, host-call, jit-traces";

/// Command-line options of the parent process.
struct Options {
    quick: bool,
    micro: bool,
    runs: usize,
    /// Kernels, or micro benches with `--micro`.
    kernels: Vec<String>,
}

/// Parses the arguments; `Ok(None)` means `--help`.
fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut quick = false;
    let mut micro = false;
    let mut runs = None;
    let mut kernels = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--micro" => micro = true,
            "--runs" => {
                let n = it.next().ok_or("--runs needs a value")?;
                runs = Some(
                    n.parse()
                        .ok()
                        .filter(|&n: &usize| n > 0)
                        .ok_or("--runs needs a positive integer")?,
                );
            }
            "-h" | "--help" => return Ok(None),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            name => kernels.push(name.to_string()),
        }
    }
    let runs = runs.unwrap_or(if quick { 3 } else { 5 });
    Ok(Some(Options {
        quick,
        micro,
        runs,
        kernels,
    }))
}

/// The benchmarks named on the command line (all of them if none are).
fn select(all: Vec<Kernel>, names: &[String]) -> Result<Vec<Kernel>, String> {
    if names.is_empty() {
        return Ok(all);
    }
    names
        .iter()
        .map(|name| {
            all.iter()
                .find(|k| &k.name == name)
                .cloned()
                .ok_or_else(|| format!("unknown kernel {name}"))
        })
        .collect()
}

/// Records an error and prints it loudly at once.
fn error(errors: &mut Vec<String>, msg: String) {
    eprintln!("\n*** ERROR: {msg}\n");
    errors.push(msg);
}

/// Runs every engine `opts.runs` times on `kernel`, alternating engines within a run.
fn bench_kernel(kernel: Kernel, opts: &Options, errors: &mut Vec<String>) -> Row {
    let n = kernel.n(opts.quick);
    let mut row = Row::new(kernel);
    let engines = EngineKind::ALL.len();
    for run in 0..opts.runs {
        for k in 0..engines {
            let e = (k + run) % engines;
            if row.failed[e] {
                continue;
            }
            let engine = EngineKind::ALL[e];
            match child::spawn(engine, &row.kernel.name, n) {
                Ok(sample) => row.samples[e].push(sample),
                Err(msg) => {
                    row.failed[e] = true;
                    error(
                        errors,
                        format!("{} failed on {}: {msg}", engine.name(), row.kernel.name),
                    );
                }
            }
        }
    }
    check_checksums(&mut row, opts.quick, errors);
    row
}

/// Checks every checksum against the expected one and the engines against each other;
/// an engine that returned a wrong checksum is marked failed.
fn check_checksums(row: &mut Row, quick: bool, errors: &mut Vec<String>) {
    let expected = row.kernel.checksum(quick);
    let name = row.kernel.name.clone();
    let mut seen = Vec::new();
    for (e, engine) in EngineKind::ALL.into_iter().enumerate() {
        let values: BTreeSet<i64> = row.samples[e].iter().map(|s| s.checksum).collect();
        if values.iter().any(|&v| v != expected) {
            row.failed[e] = true;
            error(
                errors,
                format!(
                    "CHECKSUM MISMATCH: {} on {name} returned {values:?}, expected {expected}",
                    engine.name()
                ),
            );
        }
        seen.extend(values.into_iter().map(|v| (engine.name(), v)));
    }
    let distinct: BTreeSet<i64> = seen.iter().map(|&(_, v)| v).collect();
    if distinct.len() > 1 {
        error(errors, format!("ENGINES DISAGREE on {name}: {seen:?}"));
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(child::FLAG) {
        return child::child_main(&args[1..]);
    }
    if args.first().map(String::as_str) == Some(micro::CHILD_FLAG) {
        return micro::child_main(&args[1..]);
    }
    let opts = match parse_args(&args) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if opts.micro {
        return micro::run(opts.runs, &opts.kernels);
    }
    let kernels = match manifest::all().and_then(|all| select(all, &opts.kernels)) {
        Ok(kernels) => kernels,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    run(&opts, kernels)
}

/// Benchmarks `kernels`, prints the report, and returns the exit status.
fn run(opts: &Options, kernels: Vec<Kernel>) -> ExitCode {
    let mode = if opts.quick {
        "quick (quick_n)"
    } else {
        "default (default_n)"
    };
    println!(
        "# spur-compare\n\n{}\nmode: {mode}; {} runs; times are medians\n",
        machine::header(),
        opts.runs
    );
    let start = Instant::now();
    let count = kernels.len();
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (i, kernel) in kernels.into_iter().enumerate() {
        let t = Instant::now();
        let name = kernel.name.clone();
        rows.push(bench_kernel(kernel, opts, &mut errors));
        eprintln!(
            "[{}/{count}] {name}: {:.1} s",
            i + 1,
            t.elapsed().as_secs_f64()
        );
    }
    print!("{}", report::render(&rows));
    println!("wall time: {:.1} s", start.elapsed().as_secs_f64());
    if errors.is_empty() {
        return ExitCode::SUCCESS;
    }
    println!("\n## ERRORS ({})\n", errors.len());
    for e in &errors {
        println!("- {e}");
        eprintln!("*** ERROR: {e}");
    }
    ExitCode::FAILURE
}

//! spur-compare: times spur (interpreter and JIT configurations) against wasmi, wasmtime
//! (Cranelift) and Winch on the benchmark kernels of `benches/kernels`, the large
//! startup module of `benches/startup` and the real programs of `benches/programs` (WASI
//! commands: the Lua interpreter running benchmark scripts, bzip2, QuickJS), and prints a
//! markdown report.
//!
//! Usage: `cargo run --release -p spur-compare -- [--quick] [--runs N] [NAME...]`, or
//! `-- --micro [--runs N] [BENCH...]` for micro-benchmarks of the engines' own costs
//! (translation, instantiation, calls; see `micro`), or `-- --controls [KERNEL...]` for
//! what spur's fuel metering and epoch interruption cost on the kernels.
//! Every measurement runs in a child process (see `child`); the engines alternate within
//! each run, in an order rotated from run to run; the report shows medians. A wrong or
//! inconsistent checksum, a program output that differs from the expected one, or a failed
//! run, is reported loudly and makes the exit status 1.
//! See README.md for the method.

mod child;
mod engines;
mod machine;
mod manifest;
mod micro;
mod plain;
mod programs;
mod report;
mod wasi;

use child::Sample;
use engines::EngineKind;
use manifest::Kernel;
use programs::Program;
use report::{Kind, Row};
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: spur-compare [--quick] [--runs N] [--plain] [NAME...]
       spur-compare --controls [--quick] [--runs N] [KERNEL...]
       spur-compare --micro [--runs N] [BENCH...]
  --quick    use each kernel's quick_n (default: default_n) and 3 runs (default: 5);
             the programs keep their one input
  --runs N   number of runs per benchmark (or micro bench) and engine
  NAME       what to run (default: everything): a kernel of benches/kernels/MANIFEST,
             `startup`, a program of benches/programs/MANIFEST (lua-loops, lua-tables,
             lua-strings, lua-closures, lua-methods, bzip2, quickjs), `kernels` (all
             kernels and startup) or `programs` (all programs)
  --plain    also measure spur and wasmi as an embedder builds them (plain dependencies
             of a crate outside this workspace, default release profile), on the kernels
  --controls what fuel metering and epoch interruption cost spur on the kernels (run
             time with each over run time without, interpreter and JIT)
  --micro    micro-benchmarks of the engines' own costs instead of the kernels
  BENCH      micro benches to run (default: all): translate, translate-eager,
             instantiate-fib, instantiate-quicksort, call, host-call, jit-traces";

/// Command-line options of the parent process.
struct Options {
    quick: bool,
    micro: bool,
    /// Measure what spur's controls (fuel, epochs) cost instead of comparing engines.
    controls: bool,
    /// Add spur and wasmi in the plain build (see `plain`).
    plain: bool,
    runs: usize,
    /// Benchmark names, or micro benches with `--micro`.
    kernels: Vec<String>,
}

/// Parses the arguments; `Ok(None)` means `--help`.
fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut quick = false;
    let mut micro = false;
    let mut controls = false;
    let mut plain = false;
    let mut runs = None;
    let mut kernels = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--micro" => micro = true,
            "--controls" => controls = true,
            "--plain" => plain = true,
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
        controls,
        plain,
        runs,
        kernels,
    }))
}

impl Options {
    /// The engine configurations each benchmark runs on.
    fn engines(&self) -> &'static [EngineKind] {
        if self.controls {
            &EngineKind::CONTROLS
        } else if self.plain {
            &EngineKind::PLAIN
        } else {
            &EngineKind::ALL
        }
    }
}

/// The word that selects every kernel and the startup module on the command line.
const ALL_KERNELS: &str = "kernels";

/// One benchmark: a kernel (or the startup module), or a real program.
enum Bench {
    Kernel(Kernel),
    Program(Program),
}

impl Bench {
    fn name(&self) -> &str {
        match self {
            Bench::Kernel(k) => &k.name,
            Bench::Program(p) => &p.name,
        }
    }
}

/// The benchmarks named on the command line (everything if none are): kernels and startup
/// from `kernels`, programs from `programs`.
fn select(
    kernels: Vec<Kernel>,
    programs: Vec<Program>,
    names: &[String],
) -> Result<Vec<Bench>, String> {
    if names.is_empty() {
        let kernels = kernels.into_iter().map(Bench::Kernel);
        return Ok(kernels
            .chain(programs.into_iter().map(Bench::Program))
            .collect());
    }
    let mut selected = Vec::new();
    for name in names {
        if name == ALL_KERNELS {
            selected.extend(kernels.iter().cloned().map(Bench::Kernel));
        } else if name == programs::ALL {
            selected.extend(programs.iter().cloned().map(Bench::Program));
        } else if let Some(k) = kernels.iter().find(|k| &k.name == name) {
            selected.push(Bench::Kernel(k.clone()));
        } else if let Some(p) = programs.iter().find(|p| &p.name == name) {
            selected.push(Bench::Program(p.clone()));
        } else {
            return Err(format!("unknown kernel or program {name}"));
        }
    }
    Ok(selected)
}

/// Records an error and prints it loudly at once.
fn error(errors: &mut Vec<String>, msg: String) {
    eprintln!("\n*** ERROR: {msg}\n");
    errors.push(msg);
}

/// Runs every engine `runs` times on `row`'s benchmark with `measure`, alternating engines
/// within a run. An engine whose measurement fails is marked failed and not run again.
fn bench_row(
    row: &mut Row,
    runs: usize,
    errors: &mut Vec<String>,
    mut measure: impl FnMut(EngineKind) -> Result<Sample, String>,
) {
    let engines = row.engines.len();
    for run in 0..runs {
        for k in 0..engines {
            let e = (k + run) % engines;
            if row.failed[e] {
                continue;
            }
            let engine = row.engines[e];
            match measure(engine) {
                Ok(sample) => row.samples[e].push(sample),
                Err(msg) => {
                    row.failed[e] = true;
                    error(
                        errors,
                        format!("{} failed on {}: {msg}", engine.name(), row.name),
                    );
                }
            }
        }
    }
}

/// Runs every engine `opts.runs` times on `kernel` and checks the checksums.
fn bench_kernel(kernel: Kernel, opts: &Options, errors: &mut Vec<String>) -> Row {
    let n = kernel.n(opts.quick);
    let kind = if kernel.is_startup() {
        Kind::Startup
    } else {
        Kind::Kernel
    };
    let mut row = Row::new(kernel.name.clone(), kind, opts.engines());
    bench_row(&mut row, opts.runs, errors, |engine| {
        child::spawn(engine, &kernel.name, n)
    });
    check_checksums(&mut row, kernel.checksum(opts.quick), errors);
    row
}

/// Runs every engine `opts.runs` times on `program`; every run's stdout must equal the
/// expected output (a mismatch fails the engine at once, with the first differing line).
fn bench_program(program: Program, opts: &Options, errors: &mut Vec<String>) -> Row {
    let mut row = Row::new(program.name.clone(), Kind::Program, &EngineKind::ALL);
    let expected = match program.expected() {
        Ok(expected) => expected,
        Err(e) => {
            error(errors, format!("{}: no expected output: {e}", program.name));
            row.failed.fill(true);
            return row;
        }
    };
    bench_row(&mut row, opts.runs, errors, |engine| {
        let (sample, output) = child::spawn_program(engine, &program.name)?;
        if output != expected {
            return Err(format!(
                "OUTPUT MISMATCH: {}",
                programs::first_difference(&output, &expected)
            ));
        }
        Ok(sample)
    });
    // Equal outputs hash alike, so this also checks that the engines agree.
    check_checksums(&mut row, child::output_hash(&expected), errors);
    row
}

/// Checks every checksum against the expected one and the engines against each other;
/// an engine that returned a wrong checksum is marked failed.
fn check_checksums(row: &mut Row, expected: i64, errors: &mut Vec<String>) {
    let name = row.name.clone();
    let mut seen = Vec::new();
    for (e, &engine) in row.engines.iter().enumerate() {
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
    if args.first().map(String::as_str) == Some(child::PROGRAM_FLAG) {
        return child::program_child_main(&args[1..]);
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
    let benches = manifest::all()
        .and_then(|kernels| Ok((kernels, programs::all()?)))
        .and_then(|(kernels, programs)| select(kernels, programs, &opts.kernels))
        .map(|benches| {
            // The controls are measured on the kernels proper.
            let kernel = |b: &Bench| matches!(b, Bench::Kernel(k) if !k.is_startup());
            benches
                .into_iter()
                .filter(|b| !opts.controls || kernel(b))
                .collect::<Vec<_>>()
        });
    let benches = match benches {
        Ok(benches) => benches,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    run(&opts, benches)
}

/// Benchmarks `benches`, prints the report, and returns the exit status.
fn run(opts: &Options, benches: Vec<Bench>) -> ExitCode {
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
    let count = benches.len();
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (i, bench) in benches.into_iter().enumerate() {
        let t = Instant::now();
        let name = bench.name().to_string();
        rows.push(match bench {
            Bench::Kernel(kernel) => bench_kernel(kernel, opts, &mut errors),
            Bench::Program(program) => bench_program(program, opts, &mut errors),
        });
        eprintln!(
            "[{}/{count}] {name}: {:.1} s",
            i + 1,
            t.elapsed().as_secs_f64()
        );
    }
    if opts.controls {
        print!("{}", report::render_controls(&rows));
    } else {
        print!("{}", report::render(&rows));
    }
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

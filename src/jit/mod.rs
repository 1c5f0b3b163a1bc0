//! The trace JIT: hot loops recorded as linear traces, optimized as SSA IR and compiled to
//! native code, with side exits back to the interpreter.
//!
//! This header extends `shared/DESIGN.md` with the decisions specific to spur's
//! interpreter. Pipeline: `record` (bytecode to IR while the interpreter runs) → `ir`
//! (with FOLD and CSE on emission, `opt::fold`) → `opt::loop_` (LOOP) → `opt::dce` →
//! `asm` (register allocation, `asm::x64` code) → `mcode` (executable memory) →
//! `trace` (entering, and exits back to the interpreter); `helpers` are what traces call.
//! This module holds the per-store state: which loops have traces, penalties, statistics.
//!
//! ## Hot counting and trace state
//!
//! A loop header is `Instr::Loop { id }`, emitted only when the engine has the JIT on. Its
//! state is an `AtomicU32` per loop in the function's `CompiledFunc` (shared by every
//! instance and store of the module), so the bytecode itself is never patched: a count
//! down from `hotloop` (`LOOP`); 1 once the loop has a trace (`JLOOP`: every visit takes
//! the cold path [`hot_loop`], which finds the store's trace for `(function, loop id)` and
//! enters it); `ILOOP` (`u32::MAX`) once blacklisted, never counted again. Traces belong
//! to a store, because they specialize on its entities (table entries seen by
//! `call_indirect`, globals); another store reaching a `JLOOP` header records its own.
//!
//! ## Recording
//!
//! The interpreter's dispatch loop is instantiated a second time with a recording hook
//! before each instruction (a const generic, so the normal loop pays nothing). The
//! recorder completes each instruction once its outcome is known (branch direction, new
//! frame), emits IR, follows calls (inlining callees with their frames kept for exits;
//! recursion is not inlined), guards branch directions, `br_table` indices,
//! `call_indirect` table entries (which fixes the signature too), and memory bounds, and
//! stops when a backward branch reaches the loop header at the same call depth. A
//! shorter inner loop is unrolled into the trace (`loopunroll` backedges), as LuaJIT does.
//! Host functions are called from the trace through the driver's trampoline. Anything
//! else aborts with a reason from one table (`record::Abort`); aborts raise the loop's
//! penalty (`penaltymin` doubling, plus `penaltyrnd` random bits), past `penaltymax`
//! the loop is blacklisted.
//!
//! ## IR, optimization, backend, exits
//!
//! A linear SSA buffer per trace (bump-allocated), one opcode table, interned constants,
//! snapshots at guards; FOLD and CSE as instructions are emitted, LOOP (copy
//! substitution, PHIs at the loop end) and DCE after recording. Linear-scan register
//! allocation and x86-64 code via dynasm behind one architecture trait; machine code
//! lives in one reserved region that is never writable and executable at once. Bounds
//! checks are explicit guards; FOLD turns a check on an address with a known maximum into
//! a constant check, which LOOP hoists. A guard's exit resumes the interpreter *at the
//! guarded instruction*, which re-executes it: a trap is raised by the interpreter, a
//! branch goes its other way. Exits write back the modified slots, push the inlined
//! frames and restore the accumulator.
//!
//! Each run of a trace counts its completed iterations (in a register no value uses).
//! A trace whose runs mostly end before `minloops` iterations, or average fewer, is
//! flushed after `minruns` runs and its loop penalized: without side traces (the next
//! step; `hotexit`, `tryside` and `maxside` are reserved for them) a loop whose path
//! changes every few iterations is better left to the interpreter. Unlike an aborting
//! loop, a flushed one is never blacklisted: it is retried at most every `penaltymax`
//! iterations, so a loop whose behavior changes in phases gets a new trace.

pub(crate) mod asm;
pub(crate) mod helpers;
pub(crate) mod ir;
pub(crate) mod mcode;
pub(crate) mod opt;
pub(crate) mod params;
pub(crate) mod record;
pub(crate) mod trace;

use crate::error::Error;
use crate::interp::{CompiledFunc, Instr};
use crate::runtime::store::StoreInner;
use params::JitParams;
use record::{Abort, Recorder, Step};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use trace::Trace;

/// A loop header's counter value meaning "blacklisted: never counted again" (`ILOOP`).
pub(crate) const ILOOP: u32 = u32::MAX;

/// What the JIT knows about one loop of one function, in one store.
#[derive(Clone, Copy, Debug)]
enum LoopState {
    /// Compiled: trace number (index into `traces`).
    Trace(usize),
    Blacklisted,
}

/// JIT statistics of a store (see [`crate::Store::jit_stats`]).
#[derive(Clone, Debug, Default)]
pub struct JitStats {
    /// Traces compiled.
    pub traces: u64,
    /// Recordings abandoned, by reason (message, count), in table order; reasons that
    /// never happened are left out.
    pub aborts: Vec<(&'static str, u64)>,
    /// Loops left to the interpreter for good.
    pub blacklisted: u64,
    /// Traces discarded because most of their runs left early.
    pub flushed: u64,
    /// Times a trace was entered.
    pub entries: u64,
    /// Side exits taken.
    pub exits: u64,
    /// Bytes of machine code of live traces.
    pub mcode_bytes: usize,
    /// Time spent recording (wall clock, including the interpreter's work meanwhile).
    pub record_time: Duration,
    /// Time spent optimizing and compiling.
    pub compile_time: Duration,
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
        writeln!(f, "trace entries       {}", self.entries)?;
        writeln!(f, "side exits taken    {}", self.exits)?;
        writeln!(f, "aborted recordings  {}", self.total_aborts())?;
        for (reason, n) in &self.aborts {
            writeln!(f, "  {n:>8}  {reason}")?;
        }
        writeln!(f, "blacklisted loops   {}", self.blacklisted)?;
        writeln!(f, "flushed traces      {}", self.flushed)?;
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
        )
    }
}

/// Where `--dump` output goes.
pub(crate) type DumpSink = std::sync::Arc<std::sync::Mutex<dyn std::io::Write + Send>>;

/// The JIT state of one store.
pub(crate) struct JitState {
    params: JitParams,
    traces: Vec<Option<Box<Trace>>>,
    loops: ir::FxMap<(usize, u32), LoopState>,
    /// The current penalty of loops whose recordings aborted or whose traces were
    /// flushed (kept across attempts, so repeated failures escalate).
    penalties: ir::FxMap<(usize, u32), u32>,
    /// Contexts for entering traces, reused (one per nesting level).
    #[expect(
        clippy::vec_box,
        reason = "a context (3 KiB) is taken out while its trace runs; boxed, that is a pointer move"
    )]
    ctxs: Vec<Box<trace::TraceCtx>>,
    pub(crate) recorder: Option<Box<Recorder>>,
    mcode: Option<mcode::McodeArea>,
    aborts: HashMap<Abort, u64>,
    stats: JitStats,
    rng: u32,
    pub(crate) pending_error: Option<Error>,
    pub(crate) dump: Option<DumpSink>,
}

impl JitState {
    pub(crate) fn new(params: JitParams) -> JitState {
        JitState {
            params,
            traces: Vec::new(),
            loops: ir::FxMap::default(),
            penalties: ir::FxMap::default(),
            ctxs: Vec::new(),
            recorder: None,
            mcode: None,
            aborts: HashMap::new(),
            stats: JitStats::default(),
            rng: 0x2545_f491,
            pending_error: None,
            dump: None,
        }
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
    /// past `penaltymax` the loop is blacklisted if `blacklist`, else the penalty stays at
    /// the maximum. Returns the counter's new value.
    fn penalize(&mut self, key: (usize, u32), blacklist: bool) -> u32 {
        let old = self.penalties.get(&key).copied().unwrap_or(0);
        let rnd = self.random() & ((1u32 << self.params.penaltyrnd) - 1);
        let next = if old == 0 {
            self.params.penaltymin
        } else {
            old.saturating_mul(2)
        }
        .saturating_add(rnd);
        if next > self.params.penaltymax && !blacklist {
            self.penalties.insert(key, self.params.penaltymax);
            self.params.penaltymax.max(2)
        } else if next > self.params.penaltymax {
            self.loops.insert(key, LoopState::Blacklisted);
            self.stats.blacklisted += 1;
            tracing::debug!(target: "spur::jit", func = func_index(key.0), loop_id = key.1, "blacklist");
            ILOOP
        } else {
            self.penalties.insert(key, next);
            next.max(2)
        }
    }
}

/// What the interpreter does after a hot loop header.
pub(crate) enum LoopAction {
    /// Keep interpreting.
    Continue,
    /// Switch to the recording loop (resume after the header).
    Record,
    /// A trace ran; resume from the frame stack with this accumulator.
    Resumed(u64),
    /// A host function called from a trace failed.
    Error(Error),
}

/// The module index of the function whose translation is at `func` (for events).
fn func_index(func: usize) -> u32 {
    // SAFETY: keys name translations of live modules (see `counter`).
    unsafe { (*(func as *const CompiledFunc)).func_index }
}

fn counter(func: *const CompiledFunc, id: u32) -> &'static std::sync::atomic::AtomicU32 {
    // SAFETY: translations live as long as their module, which outlives every frame
    // running it; the counter is only used while such a frame is live.
    unsafe { &(*func).loop_counters[id as usize] }
}

/// The interpreter reached loop header `pc` (loop `id` of the innermost frame) with its
/// counter expired: enter its trace, start recording it, or keep interpreting.
#[cold]
#[inline(never)]
pub(crate) fn hot_loop(s: &mut StoreInner, pc: *const Instr, id: u32, stop: usize) -> LoopAction {
    let params = s.engine.config().jit_params;
    let jit = s.jit.get_or_insert_with(|| Box::new(JitState::new(params)));
    if jit.recorder.is_some() {
        return LoopAction::Continue;
    }
    let func = s.stack.frames.last().expect("loop in a frame").func;
    let key = (func as usize, id);
    let ctr = counter(func, id);
    match jit.loops.get(&key).copied() {
        Some(LoopState::Trace(t)) => return run_trace(s, t, key),
        Some(LoopState::Blacklisted) => {
            ctr.store(ILOOP, Ordering::Relaxed);
            return LoopAction::Continue;
        }
        _ => {}
    }
    tracing::debug!(target: "spur::jit", func = func_index(key.0), loop_id = id, "trace start");
    let logging = s.jit.as_ref().is_some_and(|j| j.dump.is_some());
    let rec = Recorder::new(s, pc, id, stop, &params, logging);
    s.jit.as_mut().expect("jit state").recorder = Some(rec);
    ctr.store(1, Ordering::Relaxed);
    LoopAction::Record
}

fn run_trace(s: &mut StoreInner, t: usize, key: (usize, u32)) -> LoopAction {
    let jit = s.jit.as_mut().expect("jit state");
    let Some(trace) = jit.traces[t].take() else {
        // Running already (a host call re-entered this loop): interpret.
        return LoopAction::Continue;
    };
    let base = s.stack.frames.last().expect("frame").base;
    let fits = s.stack.frames.len() + trace.depth as usize <= s.stack.max_frames
        && s.stack.reserve(base + trace.extent as usize);
    if !fits {
        s.jit.as_mut().expect("jit state").traces[t] = Some(trace);
        return LoopAction::Continue;
    }
    let mut trace = trace;
    let mut ctx = s
        .jit
        .as_mut()
        .and_then(|j| j.ctxs.pop())
        .unwrap_or_else(trace::TraceCtx::new_boxed);
    let resume = trace::enter(s, &trace, &mut ctx);
    let jit = s.jit.as_mut().expect("jit state");
    jit.ctxs.push(ctx);
    jit.stats.entries += 1;
    jit.stats.exits += 1;
    trace.runs += 1;
    let exit = &mut trace.exits[resume.exit];
    exit.taken += 1;
    // Iterations completed: counted, or at least one if the exit is in the loop body.
    let iterations = resume
        .iterations
        .map_or(u64::from(exit.in_loop), |n| n + u64::from(exit.in_loop));
    let minloops = u64::from(jit.params.minloops.max(1));
    if iterations < minloops {
        trace.early += 1;
    }
    trace.iterations += iterations;
    // Flushed when most runs leave early, or when runs are short on average: entering
    // and leaving then costs more than the trace saves.
    let flush = trace.runs >= u64::from(jit.params.minruns)
        && (trace.early * 100 >= trace.runs * u64::from(jit.params.exitpercent)
            || trace.iterations < trace.runs * minloops);
    if flush {
        tracing::debug!(target: "spur::jit", trace = trace.number, func = func_index(key.0), loop_id = key.1, runs = trace.runs, early = trace.early, "flush");
        jit.stats.flushed += 1;
        jit.loops.remove(&key);
        // A flushed trace's loop is retried at most every `penaltymax` iterations but not
        // blacklisted: its paths may settle again (a loop whose behavior changes in
        // phases), and a retry costs a recording and `minruns` short runs.
        let c = jit.penalize(key, false);
        counter(key.0 as *const CompiledFunc, key.1).store(c, Ordering::Relaxed);
    } else {
        jit.traces[t] = Some(trace);
    }
    if let Some(e) = jit.pending_error.take() {
        return LoopAction::Error(e);
    }
    LoopAction::Resumed(resume.acc)
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

/// Abandons the current recording for `reason` and penalizes its loop.
pub(crate) fn abort_recording(s: &mut StoreInner, reason: Abort) {
    let Some(jit) = s.jit.as_mut() else { return };
    let Some(rec) = jit.recorder.take() else {
        return;
    };
    jit.stats.record_time += rec.started.elapsed();
    *jit.aborts.entry(reason).or_default() += 1;
    let key = (rec.root as usize, rec.loop_id);
    let (at_func, at) = rec.location();
    tracing::debug!(target: "spur::jit", func = func_index(key.0), loop_id = key.1, reason = reason.message(), at_func, at, "trace abort");
    let c = jit.penalize(key, true);
    counter(rec.root, rec.loop_id).store(c, Ordering::Relaxed);
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
    let jit = s.jit.as_mut().expect("jit state");
    let rec = jit.recorder.take().expect("recorder");
    jit.stats.record_time += rec.started.elapsed();
    if jit.traces.len() >= jit.params.maxtrace as usize {
        flush_all(jit);
    }
    let key = (rec.root as usize, rec.loop_id);
    let (root, loop_id) = (rec.root, rec.loop_id);
    let capacity = (jit.params.maxmcode as usize)
        .saturating_mul(1024)
        .clamp(1 << 16, mcode::MAX_CAPACITY);
    if jit.mcode.is_none() {
        match mcode::McodeArea::new(capacity) {
            Ok(m) => jit.mcode = Some(m),
            Err(_) => {
                jit.recorder = Some(rec);
                abort_recording(s, Abort::CodeSpace);
                return;
            }
        }
    }
    let number = jit.traces.len() as u32 + 1;
    let started = Instant::now();
    let want_dump = jit.dump.is_some();
    let area = jit.mcode.as_mut().expect("mcode area");
    let mut result = trace::compile(rec, area, number, want_dump);
    if matches!(result, Err(Abort::CodeSpace)) {
        // Out of machine-code space: start over with an empty area, as LuaJIT does.
        flush_all(jit);
        result = Err(Abort::CodeSpace);
    }
    jit.stats.compile_time += started.elapsed();
    match result {
        Ok((trace, dump)) => {
            tracing::debug!(target: "spur::jit", trace = number, func = func_index(key.0), loop_id = key.1, exits = trace.exits.len(), mcode = trace.code.len(), "trace stop");
            if let (Some(sink), Some(d)) = (&jit.dump, dump) {
                write_dump(sink, &trace, &d);
            }
            jit.stats.traces += 1;
            jit.traces.push(Some(Box::new(trace)));
            jit.loops
                .insert(key, LoopState::Trace(jit.traces.len() - 1));
            counter(root, loop_id).store(1, Ordering::Relaxed);
        }
        Err(a) => {
            *jit.aborts.entry(a).or_default() += 1;
            tracing::debug!(target: "spur::jit", func = func_index(key.0), loop_id = key.1, reason = a.message(), "trace abort");
            let c = jit.penalize(key, true);
            counter(root, loop_id).store(c, Ordering::Relaxed);
        }
    }
}

/// Drops every trace and its code; their loops start counting again.
fn flush_all(jit: &mut JitState) {
    for t in jit.traces.drain(..).flatten() {
        counter(t.func, t.loop_id).store(jit.params.hotloop, Ordering::Relaxed);
    }
    jit.loops.retain(|_, st| !matches!(st, LoopState::Trace(_)));
    if let Some(m) = jit.mcode.as_mut() {
        let _ = m.flush();
    }
}

fn write_dump(sink: &DumpSink, trace: &Trace, d: &trace::Dump) {
    let mut out = sink.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: the trace's function is alive while the trace is.
    let func_index = unsafe { (*trace.func).func_index };
    let _ = writeln!(
        out,
        "---- TRACE {} start func[{func_index}] loop {}",
        trace.number, trace.loop_id
    );
    let _ = writeln!(out, "---- TRACE {} bytecode", trace.number);
    let _ = out.write_all(d.bytecode.as_bytes());
    let _ = writeln!(out, "---- TRACE {} IR", trace.number);
    let _ = out.write_all(d.ir.as_bytes());
    let _ = writeln!(
        out,
        "---- TRACE {} mcode {} bytes",
        trace.number,
        d.code.len()
    );
    let _ = out.write_all(disasm(&d.code).as_bytes());
    let _ = writeln!(out, "---- TRACE {} stop", trace.number);
}

/// Machine code as text, one instruction per line (offsets from the trace's start).
fn disasm(code: &[u8]) -> String {
    use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut fmt = IntelFormatter::new();
    let mut out = String::new();
    let mut text = String::new();
    for ins in &mut decoder {
        text.clear();
        fmt.format(&ins, &mut text);
        out.push_str(&format!("{:05x}  {text}\n", ins.ip()));
    }
    out
}

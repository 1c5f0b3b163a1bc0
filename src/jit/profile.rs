//! Profiles: where a program spends its calls, loop iterations and time, and how much of
//! that time runs in traces. Part of the JIT's per-store state, beside its statistics.
//!
//! Off unless [`Config::collect_profile`](crate::Config::collect_profile) is on; then the
//! translator adds four counting instructions to the bytecode (`ProfEnter` at each
//! function's entry, `ProfLoop` at each loop header, `ProfResume` after each call,
//! `ProfIndirect` before each `call_indirect`), and a store pays nothing for profiling
//! when it is off. The interpreter executes them through the functions below; the trace
//! recorder turns the same instructions into IR `Count`s (an increment of a counter at a
//! fixed address), so a loop runs the same counts in a trace as in the interpreter and a
//! profile is the same with the JIT on or off.
//!
//! Time is sampled, not measured per call: the executor keeps a "where" word up to date
//! (the running function, and whether a trace is running), and a sampler thread owned by
//! the store reads it every [`Profile::SAMPLE_PERIOD`]. A trace's time counts for the function of
//! its root loop, inlined callees included.

use crate::interp::Instr;
use crate::runtime::store::{FuncEntity, StoreInner};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Distinct targets counted per `call_indirect` site; further ones count as others.
const SITE_TARGETS: usize = 8;

/// The "where" word's flag for time in a trace.
const IN_TRACE: u64 = 1 << 63;

/// A profile of everything a store has run since it was created: plain data, from
/// [`Store::profile`](crate::Store::profile).
#[derive(Clone, Debug, Default)]
pub struct Profile {
    /// The functions that ran, the most sampled first (then the most called).
    pub functions: Vec<FunctionProfile>,
    /// The `call_indirect` sites that ran, the most called first.
    pub call_sites: Vec<CallSiteProfile>,
    /// Time samples taken while WebAssembly ran, one per [`Profile::SAMPLE_PERIOD`].
    pub samples: u64,
    /// Of those, the samples taken while a trace ran.
    pub trace_samples: u64,
}

impl Profile {
    /// How often the sampler thread looks at what the store is running.
    pub const SAMPLE_PERIOD: Duration = Duration::from_micros(100);

    /// The hot coverage: the share of sampled time spent in traces (0 to 1), `None` before
    /// the first sample.
    pub fn hot_coverage(&self) -> Option<f64> {
        share(self.trace_samples, self.samples)
    }
}

/// One function's counts.
#[derive(Clone, Debug, Default)]
pub struct FunctionProfile {
    /// The function's index in its module.
    pub index: u32,
    /// Its name from the module's name section.
    pub name: Option<String>,
    /// Calls, from the interpreter and from traces.
    pub calls: u64,
    /// Iterations of its loops, in the interpreter and in traces.
    pub loop_iterations: u64,
    /// Root traces compiled at its loops.
    pub traces: u64,
    /// Time samples taken while it ran, in the interpreter or in a trace rooted in it.
    pub samples: u64,
    /// Of those, the samples taken in its traces.
    pub trace_samples: u64,
}

impl FunctionProfile {
    /// The share of its sampled time spent in traces (0 to 1), `None` without samples.
    pub fn trace_share(&self) -> Option<f64> {
        share(self.trace_samples, self.samples)
    }
}

/// One `call_indirect` site's targets.
#[derive(Clone, Debug, Default)]
pub struct CallSiteProfile {
    /// The calling function's index in its module.
    pub function: u32,
    /// The calling function's name.
    pub function_name: Option<String>,
    /// The `call_indirect`'s byte offset in the module.
    pub offset: u32,
    /// The targets called, the most called first.
    pub targets: Vec<CallTarget>,
    /// Calls to targets past the first eight distinct ones.
    pub other_calls: u64,
    /// Calls made by traces through their guard on the target (inline-cache hits).
    pub trace_hits: u64,
    /// Traces that left at this site because the target was not the one they expected
    /// (inline-cache misses that fall back to the interpreter).
    pub trace_misses: u64,
}

impl CallSiteProfile {
    /// The share of the site's calls in traces that hit the trace's guard (0 to 1).
    pub fn hit_rate(&self) -> Option<f64> {
        share(self.trace_hits, self.trace_hits + self.trace_misses)
    }
}

/// A function called from a `call_indirect` site.
#[derive(Clone, Debug, Default)]
pub struct CallTarget {
    /// Its index in its module (`None` for a host function).
    pub function: Option<u32>,
    /// Its name.
    pub name: Option<String>,
    /// Calls from the site to it.
    pub calls: u64,
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// One function's counters. Traces increment them through their addresses, so they
/// never move once allocated.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) calls: AtomicU64,
    pub(crate) loops: AtomicU64,
    pub(crate) traces: AtomicU64,
    /// The function's `call_indirect` sites, by the `site` number the translator gave.
    sites: OnceLock<Box<[SiteCounters]>>,
}

/// A `call_indirect` site's counters.
#[derive(Default)]
pub(crate) struct SiteCounters {
    /// Target store function + 1 (0: free), and its calls.
    targets: [(AtomicU32, AtomicU64); SITE_TARGETS],
    others: AtomicU64,
    pub(crate) hits: AtomicU64,
    misses: AtomicU64,
}

impl SiteCounters {
    /// Counts a call to table entry `entry` (a store function + 1; 0 calls nothing).
    pub(crate) fn count(&self, entry: u64) {
        if entry != 0 {
            bump(self.cell((entry - 1) as u32));
        }
    }

    /// The call counter of target `sf` (a store function), claiming a free one.
    pub(crate) fn cell(&self, sf: u32) -> &AtomicU64 {
        for (t, n) in &self.targets {
            match t.load(Relaxed) {
                0 => {
                    t.store(sf + 1, Relaxed);
                    return n;
                }
                x if x == sf + 1 => return n,
                _ => {}
            }
        }
        &self.others
    }
}

/// Adds one to a counter only this store's thread writes.
fn bump(c: &AtomicU64) {
    c.store(c.load(Relaxed) + 1, Relaxed);
}

/// A store's profile counters and its sampler.
pub(crate) struct Profiler {
    /// Per store instance, per function of its module.
    instances: Vec<Option<Box<[Counters]>>>,
    /// What runs now: 0 when nothing does; else `IN_TRACE` if a trace runs, the store
    /// instance + 1 in bits 32..63 and the function index in the low 32.
    now: Arc<AtomicU64>,
    /// Samples per "where" word, written by the sampler thread.
    samples: Arc<Mutex<HashMap<u64, u64>>>,
    stop: Arc<AtomicBool>,
    sampler: Option<std::thread::JoinHandle<()>>,
}

impl Profiler {
    pub(crate) fn new() -> Profiler {
        let now = Arc::new(AtomicU64::new(0));
        let samples = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (n, m, st) = (now.clone(), samples.clone(), stop.clone());
        // Without a thread (the system refused one) the profile has counts but no time.
        let sampler = std::thread::Builder::new()
            .name("spur-profiler".into())
            .spawn(move || {
                while !st.load(Relaxed) {
                    std::thread::park_timeout(Profile::SAMPLE_PERIOD);
                    let w = n.load(Relaxed);
                    if w != 0 {
                        let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
                        *m.entry(w).or_insert(0) += 1;
                    }
                }
            })
            .ok();
        Profiler {
            instances: Vec::new(),
            now,
            samples,
            stop,
            sampler,
        }
    }

    /// The counters of function `func` of store instance `inst`.
    pub(crate) fn counters(
        &mut self,
        s: &[crate::runtime::store::InstanceEntity],
        inst: u32,
        func: u32,
    ) -> &Counters {
        let i = inst as usize;
        if self.instances.len() <= i {
            self.instances.resize_with(i + 1, || None);
        }
        let funcs = self.instances[i].get_or_insert_with(|| {
            let n = s.get(i).map_or(0, |e| e.module.inner.funcs.len());
            (0..n).map(|_| Counters::default()).collect()
        });
        &funcs[func as usize]
    }

    /// The counters of function `func` of store instance `inst`, if it has run.
    fn existing(&self, inst: u32, func: u32) -> Option<&Counters> {
        self.instances
            .get(inst as usize)?
            .as_ref()?
            .get(func as usize)
    }

    /// Notes that function `func` of instance `inst` runs (in a trace if `trace`).
    pub(crate) fn set_now(&self, inst: u32, func: u32, trace: bool) {
        let w = (u64::from(inst) + 1) << 32 | u64::from(func);
        self.now
            .store(if trace { w | IN_TRACE } else { w }, Relaxed);
    }

    /// Notes that no WebAssembly runs.
    pub(crate) fn set_idle(&self) {
        self.now.store(0, Relaxed);
    }
}

impl Drop for Profiler {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(t) = self.sampler.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// A root trace was compiled at a loop of function `func` of store instance `inst`.
pub(crate) fn root_trace(s: &mut StoreInner, inst: u32, func: u32) {
    if let Some(p) = s.profile.as_deref_mut() {
        bump(&p.counters(&s.instances, inst, func).traces);
    }
}

/// A trace starts running in the innermost frame.
pub(crate) fn trace_entered(s: &StoreInner) {
    if let (Some(p), Some(f)) = (s.profile.as_deref(), s.stack.frames.last()) {
        p.set_now(f.instance, f.compiled().func_index, true);
    }
}

/// A trace has exited into the innermost frame, about to resume at its `ip`: counts an
/// inline-cache miss when that is a profiled `call_indirect`.
pub(crate) fn trace_left(s: &mut StoreInner) {
    let (Some(p), Some(f)) = (s.profile.as_deref(), s.stack.frames.last()) else {
        return;
    };
    let c = f.compiled();
    p.set_now(f.instance, c.func_index, false);
    let at = c.index_of(f.ip);
    let (Some(&Instr::CallIndirect { index, table, .. })
    | Some(&Instr::CallIndirectEpoch { index, table, .. })) = c.code.get(at)
    else {
        return;
    };
    let Some(&Instr::ProfIndirect { site, .. }) = at.checked_sub(1).and_then(|i| c.code.get(i))
    else {
        return;
    };
    let index = s.stack.values[f.base + index.0 as usize];
    let entry = crate::interp::table_entry(s, table, index);
    indirect_miss(s, site, entry);
}

/// `ProfEnter`: function `func` of the running instance was called.
#[inline(never)]
pub(crate) fn enter(s: &mut StoreInner, func: u32) {
    let inst = s.stack.instance;
    if let Some(p) = s.profile.as_deref_mut() {
        bump(&p.counters(&s.instances, inst, func).calls);
        p.set_now(inst, func, false);
    }
}

/// `ProfResume`: a call returned to function `func` of the running instance.
#[inline(never)]
pub(crate) fn resume(s: &StoreInner, func: u32) {
    if let Some(p) = s.profile.as_deref() {
        p.set_now(s.stack.instance, func, false);
    }
}

/// `ProfLoop`: a loop of function `func` of the running instance starts an iteration.
#[inline(never)]
pub(crate) fn iteration(s: &mut StoreInner, func: u32) {
    let inst = s.stack.instance;
    if let Some(p) = s.profile.as_deref_mut() {
        bump(&p.counters(&s.instances, inst, func).loops);
    }
}

/// `ProfIndirect`: site `site` of the running function calls table entry `entry` (a
/// store function + 1, or 0 when the call is about to trap).
#[inline(never)]
pub(crate) fn indirect(s: &mut StoreInner, site: u32, entry: u64) {
    if let Some(c) = site_counters(s, site) {
        c.count(entry);
    }
}

/// A trace left at site `site` of the running function (its target guard failed)
/// before the interpreter makes the call to `entry`.
fn indirect_miss(s: &mut StoreInner, site: u32, entry: u64) {
    if let Some(c) = site_counters(s, site) {
        bump(&c.misses);
        c.count(entry);
    }
}

/// The counters of site `site` of the running function (the innermost frame's).
fn site_counters(s: &mut StoreInner, site: u32) -> Option<&SiteCounters> {
    let f = s.stack.frames.last()?;
    let (inst, code) = (f.instance, f.compiled());
    let (func, n) = (code.func_index, code.icall_sites.len());
    let p = s.profile.as_deref_mut()?;
    let c = p.counters(&s.instances, inst, func);
    let sites = c
        .sites
        .get_or_init(|| (0..n).map(|_| SiteCounters::default()).collect());
    sites.get(site as usize)
}

/// The counters of function `func` of store instance `inst`, once the interpreter has
/// counted for it (what a trace recorded after it increments too).
pub(crate) fn counters_of(s: &StoreInner, inst: u32, func: u32) -> Option<&Counters> {
    s.profile.as_deref()?.existing(inst, func)
}

/// The counters of site `site` of function `func` of store instance `inst`, once the
/// interpreter has counted a call there.
pub(crate) fn site_of(s: &StoreInner, inst: u32, func: u32, site: u32) -> Option<&SiteCounters> {
    counters_of(s, inst, func)?.sites.get()?.get(site as usize)
}

/// The profile of store `s` (`None` when it is not profiling).
pub(crate) fn snapshot(s: &StoreInner) -> Option<Profile> {
    let p = s.profile.as_deref()?;
    let samples = p.samples.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut out = Profile::default();
    let mut funcs: HashMap<(u32, u32), FunctionProfile> = HashMap::new();
    for (&w, &n) in &samples {
        let inst = ((w & !IN_TRACE) >> 32) as u32 - 1;
        let f = function(&mut funcs, s, inst, w as u32);
        f.samples += n;
        out.samples += n;
        if w & IN_TRACE != 0 {
            f.trace_samples += n;
            out.trace_samples += n;
        }
    }
    for (inst, counters) in p.instances.iter().enumerate() {
        let Some(counters) = counters else { continue };
        let inst = inst as u32;
        for (func, c) in counters.iter().enumerate() {
            let func = func as u32;
            let [calls, loops, traces] = [&c.calls, &c.loops, &c.traces].map(|n| n.load(Relaxed));
            if calls + loops + traces > 0 {
                let f = function(&mut funcs, s, inst, func);
                f.calls = calls;
                f.loop_iterations = loops;
                f.traces = traces;
            }
            for site in c.sites.get().into_iter().flatten().enumerate() {
                out.call_sites.extend(call_site(s, inst, func, site));
            }
        }
    }
    out.functions = funcs.into_values().collect();
    out.functions.sort_by(|a, b| {
        (b.samples, b.calls, b.loop_iterations).cmp(&(a.samples, a.calls, a.loop_iterations))
    });
    out.call_sites.sort_by_key(|c| {
        std::cmp::Reverse(c.targets.iter().map(|t| t.calls).sum::<u64>() + c.other_calls)
    });
    Some(out)
}

/// The profile of function `func` of instance `inst` in `funcs`, added if missing.
fn function<'a>(
    funcs: &'a mut HashMap<(u32, u32), FunctionProfile>,
    s: &StoreInner,
    inst: u32,
    func: u32,
) -> &'a mut FunctionProfile {
    funcs
        .entry((inst, func))
        .or_insert_with(|| FunctionProfile {
            index: func,
            name: func_name(s, inst, func),
            ..FunctionProfile::default()
        })
}

/// Function `func`'s name in the name section of instance `inst`'s module.
fn func_name(s: &StoreInner, inst: u32, func: u32) -> Option<String> {
    let module = &s.instances.get(inst as usize)?.module.inner;
    module.func_names.get(&func).cloned()
}

/// The report of one site, `None` if it never ran.
fn call_site(
    s: &StoreInner,
    inst: u32,
    func: u32,
    (site, c): (usize, &SiteCounters),
) -> Option<CallSiteProfile> {
    let mut targets: Vec<CallTarget> = c
        .targets
        .iter()
        .filter(|(t, _)| t.load(Relaxed) != 0)
        .map(|(t, n)| {
            let sf = t.load(Relaxed) - 1;
            let (function, name) = match s.funcs.get(sf as usize) {
                Some(&FuncEntity::Wasm { instance, func, .. }) => {
                    (Some(func), func_name(s, instance, func))
                }
                _ => (None, None),
            };
            CallTarget {
                function,
                name,
                calls: n.load(Relaxed),
            }
        })
        .collect();
    targets.sort_by_key(|t| std::cmp::Reverse(t.calls));
    let other_calls = c.others.load(Relaxed);
    if targets.is_empty() && other_calls == 0 {
        return None;
    }
    let module = &s.instances[inst as usize].module;
    let defined = func.checked_sub(module.inner.num_imported_funcs)?;
    let offset = *module.code.get(defined as usize)?.icall_sites.get(site)?;
    Some(CallSiteProfile {
        function: func,
        function_name: func_name(s, inst, func),
        offset,
        targets,
        other_calls,
        trace_hits: c.hits.load(Relaxed),
        trace_misses: c.misses.load(Relaxed),
    })
}

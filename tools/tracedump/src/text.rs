//! The text report, in the style of LuaJIT's `-jv` and `-jdump`: a line per event, the
//! sections of every trace (recorded bytecode, IR with snapshots, machine code), then a
//! summary: the trees, the hottest exits, the aborts, the code size, and how much of the
//! time ran in traces.

use crate::log::{Abort, Event, Recorded, Trace};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Which traces and functions to show (empty: all).
#[derive(Default)]
pub struct Filter {
    pub funcs: Vec<u64>,
    pub traces: Vec<u64>,
}

impl Filter {
    fn func(&self, f: u64) -> bool {
        self.funcs.is_empty() || self.funcs.contains(&f)
    }

    pub fn trace(&self, t: &Trace) -> bool {
        self.func(t.func) && (self.traces.is_empty() || self.traces.contains(&t.number))
    }
}

/// The whole report.
pub fn render(events: &[Event], filter: &Filter) -> String {
    let mut out = String::new();
    for e in events {
        line(&mut out, e, filter);
    }
    for e in events {
        if let Event::Trace(t) = e
            && filter.trace(t)
        {
            section(&mut out, t);
        }
    }
    summary(&mut out, events, filter);
    out
}

/// A recorded instruction as the dump prints it: indented by inlining depth.
pub fn bytecode_line(b: &Recorded) -> String {
    let indent = "  ".repeat(b.depth as usize);
    format!("{indent}func[{}] {:04}  {}", b.func, b.at, b.text)
}

/// `func[N]`, with the function's name when the module gives one.
pub fn function(t: &Trace) -> String {
    match &t.name {
        Some(name) => format!("func[{}] {name}", t.func),
        None => format!("func[{}]", t.func),
    }
}

fn side(parent: Option<(u64, u64)>) -> String {
    parent.map_or(String::new(), |(p, k)| format!(" ({p}/{k})"))
}

/// One `-jv`-like line for `e`, if the filter keeps it.
pub fn line(o: &mut String, e: &Event, filter: &Filter) {
    let _ = match e {
        Event::Trace(t) if filter.trace(t) => writeln!(
            o,
            "[TRACE {:3}{} {} {} {}]",
            t.number,
            side(t.parent),
            function(t),
            t.start,
            t.link
        ),
        Event::Abort(a) if filter.func(a.func) && filter.traces.is_empty() => writeln!(
            o,
            "[TRACE ---{} func[{}] {} at func[{}] {:04}: {}]",
            side(a.parent),
            a.func,
            a.start,
            a.at.0,
            a.at.1,
            a.reason
        ),
        Event::Blacklist { func, start } if filter.func(*func) => {
            writeln!(o, "[BLACKLIST func[{func}] {start}]")
        }
        Event::Evict { trace, func, start } if filter.func(*func) => {
            writeln!(o, "[EVICT tree {trace} func[{func}] {start}]")
        }
        Event::Flush => writeln!(o, "[FLUSH]"),
        _ => Ok(()),
    };
}

/// The `-jdump`-like sections of one trace.
fn section(o: &mut String, t: &Trace) {
    let n = t.number;
    let _ = match t.parent {
        Some((p, k)) => writeln!(
            o,
            "\n---- TRACE {n} start {p}/{k} func[{}] {}",
            t.func, t.start
        ),
        None => writeln!(o, "\n---- TRACE {n} start func[{}] {}", t.func, t.start),
    };
    let _ = writeln!(o, "---- TRACE {n} bytecode");
    for b in &t.bytecode {
        let _ = writeln!(o, "{}", bytecode_line(b));
    }
    let _ = writeln!(o, "---- TRACE {n} IR");
    for l in &t.ir {
        let _ = writeln!(o, "{l}");
    }
    let _ = writeln!(o, "---- TRACE {n} mcode {} bytes", t.mcode_bytes);
    for l in &t.asm {
        let _ = writeln!(o, "{l}");
    }
    let _ = writeln!(o, "---- TRACE {n} stop {}", t.link);
}

/// The closing summary.
pub fn summary(o: &mut String, events: &[Event], filter: &Filter) {
    let traces: BTreeMap<u64, &Trace> = events
        .iter()
        .filter_map(|e| match e {
            Event::Trace(t) if filter.trace(t) => Some((t.number, t)),
            _ => None,
        })
        .collect();
    let all: BTreeMap<u64, &Trace> = events
        .iter()
        .filter_map(|e| match e {
            Event::Trace(t) => Some((t.number, t)),
            _ => None,
        })
        .collect();
    let root_of = |mut n: u64| {
        while let Some((p, _)) = all.get(&n).and_then(|t| t.parent) {
            n = p;
        }
        n
    };
    let _ = writeln!(o, "\n---- summary");
    let roots = traces.values().filter(|t| t.parent.is_none()).count();
    let bytes: u64 = traces.values().map(|t| t.mcode_bytes).sum();
    let _ = writeln!(
        o,
        "traces: {} (roots: {roots}, side traces: {}), machine code: {bytes} bytes",
        traces.len(),
        traces.len() - roots
    );
    let mut trees: BTreeMap<u64, usize> = BTreeMap::new();
    for t in traces.values() {
        *trees.entry(root_of(t.number)).or_default() += 1;
    }
    for (root, size) in &trees {
        if let Some(t) = all.get(root) {
            let _ = writeln!(
                o,
                "  tree {root}: {} {}, {size} trace(s)",
                function(t),
                t.start
            );
        }
    }
    hot_exits(o, events, &traces, &all);
    aborts(o, events, filter);
    for e in events {
        if let Event::Run {
            seconds,
            in_traces,
            recording,
            compiling,
        } = e
        {
            let share = if *seconds > 0.0 {
                100.0 * in_traces / seconds
            } else {
                0.0
            };
            let _ = writeln!(
                o,
                "time: {seconds:.3} s, {share:.1}% in traces ({in_traces:.3} s), the rest in the \
                 interpreter; recording {:.1} ms, compiling {:.1} ms",
                recording * 1e3,
                compiling * 1e3
            );
        }
    }
}

/// The exits taken most often back to the interpreter, with what grew from them.
fn hot_exits(
    o: &mut String,
    events: &[Event],
    traces: &BTreeMap<u64, &Trace>,
    all: &BTreeMap<u64, &Trace>,
) {
    let mut hot: Vec<(u64, u64, u64)> = Vec::new();
    let mut entries = 0;
    for e in events {
        if let Event::Counts(c) = e
            && traces.contains_key(&c.trace)
        {
            entries += c.entries;
            for (k, &n) in c.exits.iter().enumerate() {
                if n > 0 {
                    hot.push((n, c.trace, k as u64));
                }
            }
        }
    }
    hot.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let taken: u64 = hot.iter().map(|h| h.0).sum();
    let _ = writeln!(
        o,
        "entries from the interpreter: {entries}; exits back to it: {taken}"
    );
    if hot.is_empty() {
        return;
    }
    let _ = writeln!(o, "hottest exits:");
    for &(n, t, k) in hot.iter().take(10) {
        let grown = all
            .values()
            .find(|s| s.parent == Some((t, k)))
            .map_or(String::new(), |s| format!(", side trace {}", s.number));
        let _ = writeln!(o, "  trace {t} exit {k}: {n}{grown}");
    }
}

/// Aborts by reason, then by where the recording was.
fn aborts(o: &mut String, events: &[Event], filter: &Filter) {
    let list: Vec<&Abort> = events
        .iter()
        .filter_map(|e| match e {
            Event::Abort(a) if filter.func(a.func) => Some(a),
            _ => None,
        })
        .collect();
    let blacklisted = events
        .iter()
        .filter(|e| matches!(e, Event::Blacklist { func, .. } if filter.func(*func)))
        .count();
    let _ = writeln!(o, "aborts: {}; blacklisted: {blacklisted}", list.len());
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_place: BTreeMap<(u64, u64), (usize, &str)> = BTreeMap::new();
    for a in &list {
        *by_reason.entry(&a.reason).or_default() += 1;
        by_place.entry(a.at).or_insert((0, &a.reason)).0 += 1;
    }
    for (reason, n) in by_reason {
        let _ = writeln!(o, "  {n} x {reason}");
    }
    for ((f, at), (n, reason)) in by_place {
        let _ = writeln!(o, "  func[{f}] {at:04}: {n} ({reason})");
    }
}

//! The trace log: what the JIT did, as one stream of events, and the one definition of
//! how it is written. `Store::set_trace_dump` (`spur run --dump`) renders the events as
//! text; `Store::set_trace_log` (`spur run --trace-log`) writes them as JSON Lines, one
//! object per line, for tools such as `tracedump`.
//!
//! Fed by the JIT's decisions (`jit`): a trace installed, a recording abandoned, a loop
//! blacklisted, a tree evicted, everything flushed; and, when the store goes, the entry
//! and exit counts of every trace still alive and where the time went.
//!
//! # JSON Lines
//!
//! Every object has `"event"`, one of:
//! - `"trace"`: a trace was compiled and installed. `trace` (its number), `parent` and
//!   `exit` (the trace and exit a side trace grew from; `null` for a root), `func` (the
//!   WebAssembly function index its tree starts in), `name` (that function's name in the
//!   module's name section, or `null`), `start` (`"loop N"` or `"entry"`),
//!   `bytecode` (the recorded instructions: objects with `depth`, the inlining depth,
//!   `func`, `at`, the bytecode offset, `text`, and `ir`, the number of the first IR
//!   instruction recorded for it: its IR runs up to the next one's; the body after the
//!   IR's `Loop` marker is LOOP's optimized copy of it), `ir` (the IR with register
//!   assignments and snapshots, one string per line, as the text dump prints it),
//!   `mcode` (`bytes`, the size, and `asm`, the disassembly, one string per line) and
//!   `link` (how the trace ends: `"-> loop"`, `"-> N"`, `"-> interpreter"` or
//!   `"-> return"`).
//! - `"abort"`: a recording or compilation was abandoned. `func` and `start` (the tree
//!   it belonged to), `parent` and `exit` (for a side trace's), `reason` (the abort
//!   message), `at_func` and `at` (where the recording was: function index and bytecode
//!   offset).
//! - `"blacklist"`: a loop or function entry (`func`, `start`) aborted so often that it is
//!   left to the interpreter.
//! - `"evict"`: the tree of root trace `trace` (`func`, `start`) was dropped to make room.
//! - `"flush"`: every trace was dropped.
//! - `"counts"`: written for every trace alive when the store is dropped: `trace`,
//!   `entries` (times a root was entered from the interpreter) and `exits` (times each
//!   exit, by number, was taken back to the interpreter; once an exit has a side trace,
//!   it jumps there without being counted).
//! - `"run"`: the last line: `seconds` since the JIT started (the store's first trace
//!   log, dump or hot loop), of which `in_traces` inside traces entered from the
//!   interpreter, and the `recording` and `compiling` times, all in seconds.

use super::asm::{Arch, Native};
use super::record::{Abort, Recorded};
use super::trace::Trace;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where a tree starts, as dumps and the perf map name it: `loop N` or `entry`.
pub(crate) fn start_name(loop_id: u32) -> String {
    match loop_id {
        super::ENTRY => "entry".to_string(),
        id => format!("loop {id}"),
    }
}

/// What the code generator leaves for the log of one trace.
pub(crate) struct Listing {
    pub(crate) bytecode: Vec<Recorded>,
    /// The IR with register assignments and snapshots, one line per row.
    pub(crate) ir: String,
    pub(crate) code: Vec<u8>,
    /// Where the instructions end in `code` (constants follow).
    pub(crate) text: usize,
}

/// The tree a recording belonged to, and where it was.
pub(crate) struct Place {
    pub(crate) func: u32,
    pub(crate) loop_id: u32,
    pub(crate) parent: Option<(u32, u32)>,
}

/// One thing the JIT did.
pub(crate) enum Event<'a> {
    Trace {
        trace: &'a Trace,
        func: u32,
        /// The function's name in the module's name section, if it has one.
        name: Option<&'a str>,
        listing: &'a Listing,
    },
    Abort {
        place: Place,
        reason: Abort,
        at: (u32, usize),
    },
    Blacklist {
        func: u32,
        loop_id: u32,
    },
    Evict {
        root: u32,
        func: u32,
        loop_id: u32,
    },
    Flush,
    Counts {
        trace: &'a Trace,
    },
    /// The end of the log: where the time went since the JIT started.
    Run {
        time: Duration,
        in_traces: Duration,
        recording: Duration,
        compiling: Duration,
    },
}

/// How a sink wants events written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// The `--dump` text: sections per trace, a line per other event.
    Text,
    /// JSON Lines, as documented above.
    Json,
}

/// One destination of the log.
#[derive(Clone)]
pub(crate) struct Sink {
    out: Arc<Mutex<dyn Write + Send>>,
    format: Format,
}

impl Sink {
    pub(crate) fn new(out: impl Write + Send + 'static, format: Format) -> Sink {
        Sink {
            out: Arc::new(Mutex::new(out)),
            format,
        }
    }

    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// Writes `e`. A failing writer loses the event, never the run.
    pub(crate) fn write(&self, e: &Event<'_>) {
        let text = match self.format {
            Format::Text => text(e),
            Format::Json => {
                let mut line = json(e).to_string();
                line.push('\n');
                line
            }
        };
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

/// Writes `e` to every sink of `sinks`.
pub(crate) fn log(sinks: &[Sink], e: &Event<'_>) {
    for s in sinks {
        s.write(e);
    }
}

fn bytecode_line(l: &Recorded) -> String {
    format!(
        "{}func[{}] {:04}  {}",
        "  ".repeat(l.depth),
        l.func_index,
        l.at,
        l.text
    )
}

/// The text form, in LuaJIT's `-jdump` style.
fn text(e: &Event<'_>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let o = &mut out;
    match e {
        Event::Trace {
            trace,
            func,
            listing,
            ..
        } => {
            let n = trace.number;
            let at = start_name(trace.loop_id);
            let _ = match trace.parent {
                Some((p, k)) => writeln!(o, "---- TRACE {n} start {p}/{k} func[{func}] {at}"),
                None => writeln!(o, "---- TRACE {n} start func[{func}] {at}"),
            };
            let _ = writeln!(o, "---- TRACE {n} bytecode");
            for l in &listing.bytecode {
                let _ = writeln!(o, "{}", bytecode_line(l));
            }
            let _ = writeln!(o, "---- TRACE {n} IR");
            o.push_str(&listing.ir);
            let _ = writeln!(o, "---- TRACE {n} mcode {} bytes", listing.code.len());
            o.push_str(&Native::disasm(&listing.code, listing.text));
            let _ = writeln!(o, "---- TRACE {n} stop {}", trace.link.describe());
        }
        Event::Abort { place, reason, at } => {
            let side = match place.parent {
                Some((p, k)) => format!(" side {p}/{k}"),
                None => String::new(),
            };
            let _ = writeln!(
                o,
                "---- TRACE abort func[{}] {}{side} at func[{}] {:04}: {}",
                place.func,
                start_name(place.loop_id),
                at.0,
                at.1,
                reason.message()
            );
        }
        Event::Blacklist { func, loop_id } => {
            let _ = writeln!(o, "---- blacklist func[{func}] {}", start_name(*loop_id));
        }
        Event::Evict {
            root,
            func,
            loop_id,
        } => {
            let _ = writeln!(
                o,
                "---- evict tree {root} func[{func}] {}",
                start_name(*loop_id)
            );
        }
        Event::Flush => o.push_str("---- flush\n"),
        // Counts and times are for tools; the text dump is about what was compiled.
        Event::Counts { .. } | Event::Run { .. } => {}
    }
    out
}

fn parent_exit(p: Option<(u32, u32)>) -> (serde_json::Value, serde_json::Value) {
    match p {
        Some((t, k)) => (json!(t), json!(k)),
        None => (serde_json::Value::Null, serde_json::Value::Null),
    }
}

/// The JSON form, as documented in the module header.
fn json(e: &Event<'_>) -> serde_json::Value {
    match e {
        Event::Trace {
            trace,
            func,
            name,
            listing,
        } => {
            let (parent, exit) = parent_exit(trace.parent);
            let bytecode: Vec<_> = listing
                .bytecode
                .iter()
                .map(
                    |l| json!({"depth": l.depth, "func": l.func_index, "at": l.at, "text": l.text, "ir": l.ir}),
                )
                .collect();
            let asm = Native::disasm(&listing.code, listing.text);
            json!({
                "event": "trace",
                "trace": trace.number,
                "parent": parent,
                "exit": exit,
                "func": func,
                "name": name,
                "start": start_name(trace.loop_id),
                "bytecode": bytecode,
                "ir": listing.ir.lines().collect::<Vec<_>>(),
                "mcode": {"bytes": listing.code.len(), "asm": asm.lines().collect::<Vec<_>>()},
                "link": trace.link.describe(),
            })
        }
        Event::Abort { place, reason, at } => {
            let (parent, exit) = parent_exit(place.parent);
            json!({
                "event": "abort",
                "func": place.func,
                "start": start_name(place.loop_id),
                "parent": parent,
                "exit": exit,
                "reason": reason.message(),
                "at_func": at.0,
                "at": at.1,
            })
        }
        Event::Blacklist { func, loop_id } => {
            json!({"event": "blacklist", "func": func, "start": start_name(*loop_id)})
        }
        Event::Evict {
            root,
            func,
            loop_id,
        } => json!({"event": "evict", "trace": root, "func": func, "start": start_name(*loop_id)}),
        Event::Flush => json!({"event": "flush"}),
        Event::Run {
            time,
            in_traces,
            recording,
            compiling,
        } => json!({
            "event": "run",
            "seconds": time.as_secs_f64(),
            "in_traces": in_traces.as_secs_f64(),
            "recording": recording.as_secs_f64(),
            "compiling": compiling.as_secs_f64(),
        }),
        Event::Counts { trace } => json!({
            "event": "counts",
            "trace": trace.number,
            "entries": trace.entries,
            "exits": trace.exits.iter().map(|x| x.taken).collect::<Vec<_>>(),
        }),
    }
}

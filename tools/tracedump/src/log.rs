//! The trace log as `spur run --trace-log` writes it (JSON Lines; the fields are
//! documented in spur's `src/jit/dump.rs`), read into typed events.
//!
//! Reading is strict about what rendering needs and says which line is wrong: a log cut
//! short or written by something else is an error, never a panic.

use serde_json::Value;

/// A compiled trace.
pub struct Trace {
    pub number: u64,
    /// The parent trace and its exit, for a side trace.
    pub parent: Option<(u64, u64)>,
    pub func: u64,
    /// The function's name, if the module names it (absent in older logs).
    pub name: Option<String>,
    /// `loop N` or `entry`.
    pub start: String,
    pub bytecode: Vec<Recorded>,
    pub ir: Vec<String>,
    pub mcode_bytes: u64,
    pub asm: Vec<String>,
    /// How it ends: `-> loop`, `-> N`, `-> interpreter`, `-> return`.
    pub link: String,
}

/// One recorded bytecode instruction.
pub struct Recorded {
    /// How deep in inlined calls.
    pub depth: u64,
    pub func: u64,
    /// The bytecode offset.
    pub at: u64,
    pub text: String,
    /// The first IR instruction recorded for it (absent in older logs).
    pub ir: Option<u64>,
}

/// A recording or compilation that was abandoned.
pub struct Abort {
    pub func: u64,
    pub start: String,
    pub parent: Option<(u64, u64)>,
    pub reason: String,
    /// Where the recording was: function and bytecode offset.
    pub at: (u64, u64),
}

/// How often a trace ran, written when the store was dropped.
pub struct Counts {
    pub trace: u64,
    pub entries: u64,
    /// Times each exit was taken back to the interpreter.
    pub exits: Vec<u64>,
}

/// One line of the log.
pub enum Event {
    Trace(Trace),
    Abort(Abort),
    Blacklist {
        func: u64,
        start: String,
    },
    Evict {
        trace: u64,
        func: u64,
        start: String,
    },
    Flush,
    Counts(Counts),
    /// Where the time went (seconds): the whole run, inside traces, recording, compiling.
    Run {
        seconds: f64,
        in_traces: f64,
        recording: f64,
        compiling: f64,
    },
}

/// Reads every line of `text`; an error names the line.
pub fn read(text: &str) -> Result<Vec<Event>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| event(l).map_err(|e| format!("line {}: {e}", n + 1)))
        .collect()
}

fn event(line: &str) -> Result<Event, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let kind = string(&v, "event")?;
    Ok(match kind.as_str() {
        "trace" => Event::Trace(Trace {
            number: uint(&v, "trace")?,
            parent: parent(&v)?,
            func: uint(&v, "func")?,
            name: v.get("name").and_then(Value::as_str).map(str::to_string),
            start: string(&v, "start")?,
            bytecode: array(&v, "bytecode")?
                .iter()
                .map(|b| {
                    Ok(Recorded {
                        depth: uint(b, "depth")?,
                        func: uint(b, "func")?,
                        at: uint(b, "at")?,
                        text: string(b, "text")?,
                        ir: b.get("ir").and_then(Value::as_u64),
                    })
                })
                .collect::<Result<_, String>>()?,
            ir: strings(&v, "ir")?,
            mcode_bytes: uint(field(&v, "mcode")?, "bytes")?,
            asm: strings(field(&v, "mcode")?, "asm")?,
            link: string(&v, "link")?,
        }),
        "abort" => Event::Abort(Abort {
            func: uint(&v, "func")?,
            start: string(&v, "start")?,
            parent: parent(&v)?,
            reason: string(&v, "reason")?,
            at: (uint(&v, "at_func")?, uint(&v, "at")?),
        }),
        "blacklist" => Event::Blacklist {
            func: uint(&v, "func")?,
            start: string(&v, "start")?,
        },
        "evict" => Event::Evict {
            trace: uint(&v, "trace")?,
            func: uint(&v, "func")?,
            start: string(&v, "start")?,
        },
        "flush" => Event::Flush,
        "counts" => Event::Counts(Counts {
            trace: uint(&v, "trace")?,
            entries: uint(&v, "entries")?,
            exits: array(&v, "exits")?
                .iter()
                .map(|x| x.as_u64().ok_or("`exits` holds a non-number".to_string()))
                .collect::<Result<_, _>>()?,
        }),
        "run" => Event::Run {
            seconds: float(&v, "seconds")?,
            in_traces: float(&v, "in_traces")?,
            recording: float(&v, "recording")?,
            compiling: float(&v, "compiling")?,
        },
        other => return Err(format!("unknown event `{other}`")),
    })
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("no `{name}`"))
}

fn uint(v: &Value, name: &str) -> Result<u64, String> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| format!("`{name}` is not a number"))
}

fn float(v: &Value, name: &str) -> Result<f64, String> {
    field(v, name)?
        .as_f64()
        .ok_or_else(|| format!("`{name}` is not a number"))
}

fn string(v: &Value, name: &str) -> Result<String, String> {
    field(v, name)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("`{name}` is not a string"))
}

fn array<'a>(v: &'a Value, name: &str) -> Result<&'a Vec<Value>, String> {
    field(v, name)?
        .as_array()
        .ok_or_else(|| format!("`{name}` is not a list"))
}

fn strings(v: &Value, name: &str) -> Result<Vec<String>, String> {
    array(v, name)?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("`{name}` holds a non-string"))
        })
        .collect()
}

fn parent(v: &Value) -> Result<Option<(u64, u64)>, String> {
    match field(v, "parent")? {
        Value::Null => Ok(None),
        _ => Ok(Some((uint(v, "parent")?, uint(v, "exit")?))),
    }
}

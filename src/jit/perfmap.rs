//! Names traces for Linux `perf`: with [`ProfilingStrategy::PerfMap`], every trace is
//! written, when it is installed, to `/tmp/perf-<pid>.map` as `START SIZE NAME` (hex
//! address and size), the format `perf report` reads to name JIT code.
//!
//! A name says what the trace is: `spur trace 12 root func_name loop 3` or `spur trace 14
//! side 12/5 func_name` (the tree's root function, by its name-section name). An address
//! must name one trace for the whole run, so a store whose traces are named never hands
//! out the addresses of evicted or flushed code again, and its code area stays reserved
//! (without memory) until the process exits (see `mcode`).

use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

/// Which external profiler JIT code is described for (Wasmtime's name and variants, of
/// which spur supports these).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProfilingStrategy {
    /// None (the default).
    #[default]
    None,
    /// `/tmp/perf-<pid>.map`, read by Linux `perf report`.
    PerfMap,
}

/// The process's map file, opened at the first trace (`None` inside: it could not be).
static MAP: Mutex<Option<Option<File>>> = Mutex::new(None);

/// The map's path for this process.
pub(crate) fn path() -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()))
}

/// Appends the line naming `len` bytes of code at `start`. Failures are reported once
/// through `tracing` and otherwise ignored: profiling must not break the program.
pub(crate) fn name(start: *const u8, len: usize, name: &str) {
    let mut map = MAP.lock().unwrap_or_else(|e| e.into_inner());
    let file = map.get_or_insert_with(|| {
        let opened = File::options().create(true).append(true).open(path());
        opened
            .map_err(|e| tracing::warn!(target: "spur::jit", "cannot open the perf map: {e}"))
            .ok()
    });
    if let Some(f) = file {
        // One write per line, so a line is never split between writers.
        let line = format!("{:x} {len:x} {name}\n", start as usize);
        if let Err(e) = f.write_all(line.as_bytes()) {
            tracing::warn!(target: "spur::jit", "cannot write the perf map: {e}");
            *file = None;
        }
    }
}

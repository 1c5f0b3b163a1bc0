//! spur and wasmi as an embedder builds them: this program is built by `spur-compare --plain`
//! as a crate of its own, outside the spur workspace (the default release profile, not the
//! workspace's), once with each engine as a plain dependency (the cargo features `spur` and
//! `wasmi`), so that neither engine's code moves the other's.
//!
//! `spur-plain ENGINE KERNEL.wasm N` (ENGINE: spur-interp or spur-jit with `spur`, wasmi with
//! `wasmi`) loads the kernel, calls `run(N)` once and prints spur-compare's child line:
//! `LOAD_NS RUN_NS CHECKSUM PEAK_KIB BASE_KIB`.

use std::fmt::Display;
use std::process::ExitCode;
use std::time::{Duration, Instant};

include!("measure.rs");

/// The peak resident set size so far, in KiB (`VmHWM` of /proc/self/status; 0 elsewhere).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn measure(engine: &str, bytes: &[u8], n: i32) -> Result<Timing, String> {
    match engine {
        #[cfg(feature = "spur")]
        "spur-interp" | "spur-jit" => {
            let mut config = spur::Config::new();
            config.jit(engine == "spur-jit");
            measure!(spur, spur::Engine::new(&config), instantiate, bytes, n)
        }
        #[cfg(feature = "wasmi")]
        "wasmi" => measure!(
            wasmi,
            wasmi::Engine::default(),
            instantiate_and_start,
            bytes,
            n
        ),
        _ => Err(format!("this build has no engine {engine}")),
    }
}

fn main() -> ExitCode {
    let base_kib = peak_kib();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [engine, path, n] = &args[..] else {
        eprintln!("usage: spur-plain ENGINE KERNEL.wasm N");
        return ExitCode::from(2);
    };
    let result = n
        .parse::<i32>()
        .map_err(|_| format!("bad n {n:?}"))
        .and_then(|n| {
            let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
            measure(engine, &bytes, n)
        });
    match result {
        Ok(t) => {
            println!(
                "{} {} {} {} {base_kib}",
                t.load.as_nanos(),
                t.run.as_nanos(),
                t.checksum,
                peak_kib()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

//! Child-process measurements. The harness re-executes itself as
//! `spur-compare --child ENGINE KERNEL N` for every single measurement, which isolates the
//! engines from each other (allocator state, caches, code memory) and gives each one its own
//! peak RSS. The child prints one line:
//! `LOAD_NS RUN_NS CHECKSUM PEAK_KIB BASE_KIB`, where PEAK_KIB is `getrusage(RUSAGE_SELF)`'s
//! `ru_maxrss` at the end and BASE_KIB is the same before the module was read.
//!
//! A real program (`benches/programs`) is measured by `spur-compare --child-program ENGINE
//! PROGRAM`, which prints the same line, with a hash of the program's stdout as CHECKSUM,
//! followed by the program's stdout itself, so that the parent can compare it with the
//! expected output.

use crate::engines::EngineKind;
use crate::manifest;
use crate::programs;
use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// The hidden command-line flag that selects child mode.
pub const FLAG: &str = "--child";

/// The hidden command-line flag that selects child mode for a real program.
pub const PROGRAM_FLAG: &str = "--child-program";

/// One measurement, as reported by a child process.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub load: Duration,
    pub run: Duration,
    pub checksum: i64,
    /// Peak resident set size of the child, in KiB.
    pub peak_kib: u64,
    /// Resident set size of the child before it read the module, in KiB.
    pub base_kib: u64,
}

/// This process's peak resident set size so far, in KiB (`ru_maxrss` on Linux).
fn max_rss_kib() -> u64 {
    // SAFETY: `rusage` is plain old data, so all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage` for the duration of the call.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc == 0 {
        u64::try_from(usage.ru_maxrss).unwrap_or(0)
    } else {
        0
    }
}

/// Child mode: `args` are `ENGINE KERNEL N`. Prints the result line, or an error on stderr
/// with a non-zero exit status.
pub fn child_main(args: &[String]) -> ExitCode {
    match measure(args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn measure(args: &[String]) -> Result<String, String> {
    let base_kib = max_rss_kib();
    let [engine, kernel, n] = args else {
        return Err(format!("usage: spur-compare {FLAG} ENGINE KERNEL N"));
    };
    let engine = EngineKind::from_name(engine).ok_or_else(|| format!("unknown engine {engine}"))?;
    let n: i32 = n.parse().map_err(|_| format!("bad n {n:?}"))?;
    let path = manifest::wasm_path(kernel);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let t = engine.measure(&bytes, n)?;
    let peak_kib = max_rss_kib();
    Ok(format!(
        "{} {} {} {peak_kib} {base_kib}",
        t.load.as_nanos(),
        t.run.as_nanos(),
        t.checksum
    ))
}

/// Child mode for a real program: `args` are `ENGINE PROGRAM`. Prints the result line and the
/// program's stdout, or an error on stderr with a non-zero exit status.
pub fn program_child_main(args: &[String]) -> ExitCode {
    match measure_program(args) {
        Ok((line, output)) => {
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{line}")
                .and_then(|()| out.write_all(&output))
                .and_then(|()| out.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("write stdout: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// FNV-1a, 64 bits: the CHECKSUM of a program's output.
pub fn output_hash(bytes: &[u8]) -> i64 {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    h as i64
}

/// The last `n` lines of `text`, joined with ` | `.
fn tail(text: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().rev().take(n).collect();
    let lines: Vec<&str> = lines.into_iter().rev().collect();
    lines.join(" | ")
}

fn measure_program(args: &[String]) -> Result<(String, Vec<u8>), String> {
    let base_kib = max_rss_kib();
    let [engine, name] = args else {
        return Err(format!("usage: spur-compare {PROGRAM_FLAG} ENGINE PROGRAM"));
    };
    let engine = EngineKind::from_name(engine).ok_or_else(|| format!("unknown engine {engine}"))?;
    let program = programs::find(name)?;
    let bytes = program.wasm()?;
    let stdin = program.stdin_bytes()?;
    let r = engine.run_wasi(&bytes, &program.argv(), &stdin)?;
    let peak_kib = max_rss_kib();
    if r.status != 0 {
        return Err(format!(
            "{name} exited with status {}; its stderr ends: {}",
            r.status,
            tail(&r.stderr, 8)
        ));
    }
    let line = format!(
        "{} {} {} {peak_kib} {base_kib}",
        r.load.as_nanos(),
        r.run.as_nanos(),
        output_hash(&r.stdout)
    );
    Ok((line, r.stdout))
}

/// Runs this executable with `args` in a child process and returns its stdout, or an error
/// with its exit status and the end of its stderr.
pub fn run_self(args: &[&str]) -> Result<String, String> {
    run_self_bytes(args).map(|out| String::from_utf8_lossy(&out).into_owned())
}

/// Like [`run_self`], with the child's stdout as bytes.
fn run_self_bytes(args: &[&str]) -> Result<Vec<u8>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let out = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("spawn child: {e}"))?;
    if !out.status.success() {
        return Err(format!("child {}: {}", out.status, tail(&out.stderr, 6)));
    }
    Ok(out.stdout)
}

/// Runs one measurement in a child process and parses its line: this executable, or the
/// plain build's for its engines.
pub fn spawn(engine: EngineKind, kernel: &str, n: i32) -> Result<Sample, String> {
    let n = n.to_string();
    let out = match engine.tuned() {
        Some(tuned) => {
            let path = manifest::wasm_path(kernel);
            let out = Command::new(crate::plain::binary(tuned.name())?)
                .args([tuned.name(), &path.display().to_string(), &n])
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("spawn the plain build: {e}"))?;
            if !out.status.success() {
                return Err(format!("child {}: {}", out.status, tail(&out.stderr, 6)));
            }
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
        None => run_self(&[FLAG, engine.name(), kernel, &n])?,
    };
    parse_line(out.trim())
}

/// Runs one real program in a child process: its sample and the program's stdout.
pub fn spawn_program(engine: EngineKind, program: &str) -> Result<(Sample, Vec<u8>), String> {
    let out = run_self_bytes(&[PROGRAM_FLAG, engine.name(), program])?;
    let (line, output) = match out.iter().position(|&b| b == b'\n') {
        Some(i) => (&out[..i], out[i + 1..].to_vec()),
        None => (&out[..], Vec::new()),
    };
    let sample = parse_line(String::from_utf8_lossy(line).trim())?;
    Ok((sample, output))
}

fn parse_line(line: &str) -> Result<Sample, String> {
    let bad = || format!("bad child output {line:?}");
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [load, run, checksum, peak, base] = fields[..] else {
        return Err(bad());
    };
    let nanos = |s: &str| {
        s.parse::<u64>()
            .map(Duration::from_nanos)
            .map_err(|_| bad())
    };
    Ok(Sample {
        load: nanos(load)?,
        run: nanos(run)?,
        checksum: checksum.parse().map_err(|_| bad())?,
        peak_kib: peak.parse().map_err(|_| bad())?,
        base_kib: base.parse().map_err(|_| bad())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_child_line() {
        let s = parse_line("1500 2000000 -42 10240 2048").unwrap();
        assert_eq!(s.run, Duration::from_millis(2));
        assert_eq!((s.checksum, s.peak_kib, s.base_kib), (-42, 10240, 2048));
        assert!(parse_line("1 2 3").is_err());
    }

    #[test]
    fn output_hash_is_fnv1a() {
        assert_eq!(output_hash(b""), 0xcbf2_9ce4_8422_2325_u64 as i64);
        assert_eq!(output_hash(b"a"), 0xaf63_dc4c_8601_ec8c_u64 as i64);
        assert_eq!(tail(b"a\nb\nc\n", 2), "b | c");
    }
}

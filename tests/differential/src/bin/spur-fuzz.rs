//! `spur-fuzz`: mutation fuzzing of module loading and of the JIT differential, on stable
//! Rust, from the corpus in `tests/differential/corpus` (see the `fuzz` module for what an
//! input is).
//!
//! ```text
//! cargo run --release -p spur-differential --bin spur-fuzz -- [--seconds N] [--runs N] [--seed S] [--save]
//! ```
//!
//! Each round picks a corpus input, mutates it (bit flips, byte overwrites, insertions,
//! deletions, splices with another input) and runs the target. An input that fails (a
//! panic, or a disagreement of one of spur's configurations) is written to
//! `corpus/crash-<hash>`, where the corpus test replays it from then on. Without coverage
//! feedback, an input is kept for further mutation when its module made the JIT do
//! something the run had not seen (a new count of traces, side traces or exits); `--save`
//! also writes those, and inputs where wasmi alone disagrees (for triage, with
//! `wasmtime::confirm_input`), to the corpus.
//! Stops after `--seconds` (default 60) or `--runs`
//! inputs, whichever comes first, and prints what it did. With `--seed` and `--runs` a
//! run is reproducible on any machine (CI runs it so).

use spur_differential::fuzz::{Verdict, corpus, corpus_dir, target};
use std::time::{Duration, Instant};

fn main() {
    let mut seconds = 60u64;
    let mut max_runs = u64::MAX;
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let mut rng = clock | 1;
    let mut save = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut number = |what: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| fail(&format!("{what} needs a number")))
        };
        match a.as_str() {
            "--seconds" => seconds = number("--seconds"),
            "--runs" => max_runs = number("--runs"),
            "--seed" => rng = number("--seed").max(1),
            "--save" => save = true,
            other => fail(&format!(
                "unknown argument `{other}` (expected --seconds N, --runs N, --seed S, --save)"
            )),
        }
    }
    let mut pool: Vec<Vec<u8>> = corpus().into_iter().map(|(_, b)| b).collect();
    if pool.is_empty() {
        fail(&format!("no corpus in {}", corpus_dir().display()));
    }
    let seeds = pool.len();
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut seen = std::collections::HashSet::new();
    let (mut runs, mut loaded, mut agreed, mut wasmi, mut crashes) = (0u64, 0, 0, 0, 0);
    let started = Instant::now();
    while Instant::now() < stop && runs < max_runs {
        let mut input = pool[next(&mut rng) as usize % pool.len()].clone();
        let other = pool[next(&mut rng) as usize % pool.len()].clone();
        mutate(&mut input, &other, &mut rng);
        runs += 1;
        let verdict = spur_differential::on_big_stack(|| target(&input));
        match verdict {
            Ok(Verdict::Loaded) => loaded += 1,
            Ok(Verdict::Agreed(j)) => {
                agreed += 1;
                if seen.insert((j.traces, j.side_traces, j.exits.min(64))) {
                    if save {
                        write(&format!("new-{:016x}", fnv(&input)), &input);
                    }
                    pool.push(input);
                }
            }
            Ok(Verdict::WasmiDiffers(e)) => {
                // Both of spur's configurations agree and wasmi does not: most likely a
                // wasmi bug, but one spur's interpreter shares with its JIT would look the
                // same, so these are kept (with --save) for triage.
                wasmi += 1;
                eprintln!("wasmi alone disagrees: {e}");
                if save {
                    write(&format!("wasmi-{:016x}", fnv(&input)), &input);
                }
            }
            Ok(Verdict::Rejected) => {}
            Err(e) => {
                crashes += 1;
                let name = format!("crash-{:016x}", fnv(&input));
                write(&name, &input);
                eprintln!("FAILURE, saved as corpus/{name}: {e}");
            }
        }
    }
    println!(
        "spur-fuzz: {runs} inputs in {:.0} s from {seeds} seeds: {loaded} binaries loaded, \
         {agreed} generated modules agreed, {} kept for mutation, {wasmi} wasmi-only \
         disagreements, {crashes} failures",
        started.elapsed().as_secs_f64(),
        pool.len() - seeds
    );
    if crashes > 0 {
        std::process::exit(1);
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("spur-fuzz: {msg}");
    std::process::exit(2)
}

fn write(name: &str, bytes: &[u8]) {
    let path = corpus_dir().join(name);
    if let Err(e) = std::fs::write(&path, bytes) {
        eprintln!("spur-fuzz: cannot write {}: {e}", path.display());
    }
}

/// xorshift64.
fn next(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

/// One to four random edits of `input`; `other` is spliced in by one of them. The first
/// byte (what the input is) is flipped only rarely.
fn mutate(input: &mut Vec<u8>, other: &[u8], rng: &mut u64) {
    for _ in 0..=next(rng) % 4 {
        if input.len() < 2 {
            input.extend_from_slice(&next(rng).to_le_bytes());
        }
        let len = input.len();
        let at = 1 + next(rng) as usize % (len - 1);
        match next(rng) % 6 {
            0 => input[at] ^= 1 << (next(rng) % 8),
            1 => input[at] = next(rng) as u8,
            2 => {
                let n = 1 + next(rng) as usize % 8;
                let bytes = next(rng).to_le_bytes();
                input.splice(at..at, bytes[..n.min(8)].iter().copied());
            }
            3 => {
                let end = (at + 1 + next(rng) as usize % 16).min(len);
                input.drain(at..end);
            }
            4 if other.len() > 1 => {
                let from = 1 + next(rng) as usize % (other.len() - 1);
                let n = (1 + next(rng) as usize % 64).min(other.len() - from);
                let end = (at + n).min(len);
                input.splice(at..end, other[from..from + n].iter().copied());
            }
            _ => {
                if next(rng).is_multiple_of(64) {
                    input[0] ^= 1;
                }
            }
        }
    }
}

/// FNV-1a, to name saved inputs.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

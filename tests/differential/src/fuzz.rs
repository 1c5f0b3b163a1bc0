//! The fuzz target: module loading, and the JIT differential on generated modules, driven
//! by arbitrary bytes.
//!
//! The first byte of an input chooses what the rest is:
//!
//! - even: a WebAssembly binary, given to `Module::new` as it is. Any bytes at all must
//!   load or be rejected with an error, never panic. (Nothing is instantiated: a mutated
//!   binary's start function may loop for ever.)
//! - odd: eight bytes of seed, then the bytes that drive `wasm-smith` ([`module_from`]);
//!   the module is instrumented like the differential suite's and run in its three
//!   configurations ([`compare`]), which must agree.
//!
//! `spur-fuzz` (`src/bin/spur-fuzz.rs`) mutates a corpus of such inputs on stable Rust
//! (no coverage feedback: it keeps the inputs whose modules made the JIT do something new)
//! and saves any input that fails; the test [`replay_corpus`] runs every input of
//! `corpus/`, seeds and saved failures alike, in every `cargo test` of this crate.

use crate::{compare, module_from};

/// What one input did.
#[derive(Debug)]
pub enum Verdict {
    /// The bytes are not a module (or the generator gave up on them).
    Rejected,
    /// A binary that loaded.
    Loaded,
    /// A generated module that all three configurations ran alike; the JIT's statistics
    /// (traces, side traces, exits) tell the fuzzer how much it exercised.
    Agreed(spur::JitStats),
    /// wasmi alone disagreed: a bug outside spur, reported but not a failure.
    WasmiDiffers(String),
}

/// Runs one input; `Err` is a failure of spur (a panic, or a disagreement of one of its
/// configurations), to be kept as a reproducer.
pub fn target(input: &[u8]) -> Result<Verdict, String> {
    let Some((&kind, rest)) = input.split_first() else {
        return Ok(Verdict::Rejected);
    };
    if kind % 2 == 0 {
        return caught(|| {
            let engine = spur::Engine::default();
            match spur::Module::new(&engine, rest) {
                Ok(_) => Verdict::Loaded,
                Err(_) => Verdict::Rejected,
            }
        });
    }
    let Some(bytes) = caught(|| generated(rest))? else {
        return Ok(Verdict::Rejected);
    };
    match compare(&bytes) {
        Ok(report) => Ok(Verdict::Agreed(report.jit)),
        Err(e) if e.who == Some(2) => Ok(Verdict::WasmiDiffers(e.to_string())),
        Err(e) => Err(e.to_string()),
    }
}

/// The module an input generates (an odd first byte: the seed's 8 bytes, then the
/// generator's data), if it generates one; `None` for an input that is a binary to load.
pub fn module_of(input: &[u8]) -> Option<Vec<u8>> {
    let (&kind, rest) = input.split_first()?;
    if kind % 2 == 0 { None } else { generated(rest) }
}

fn generated(rest: &[u8]) -> Option<Vec<u8>> {
    let (seed, data) = rest.split_at(rest.len().min(8));
    let mut s = [0u8; 8];
    s[..seed.len()].copy_from_slice(seed);
    module_from(data, u64::from_le_bytes(s))
}

/// `f()`, with a panic turned into an `Err` naming it.
fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| e.downcast_ref::<&str>().copied())
            .unwrap_or("?");
        format!("panicked: {msg}")
    })
}

/// The corpus directory of this crate.
pub fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Every file of the corpus, sorted by name.
pub fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir())
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .filter_map(|e| {
                    let bytes = std::fs::read(e.path()).ok()?;
                    Some((e.file_name().to_string_lossy().into_owned(), bytes))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every input kept in `corpus/` (the seeds and any reproducer the fuzzer saved) runs
    /// without a failure; the seeds include generated modules on which the JIT records
    /// side traces.
    #[test]
    fn replay_corpus() {
        let files = corpus();
        assert!(
            files.len() >= 10,
            "the corpus is missing: {:?}",
            corpus_dir()
        );
        let (mut loaded, mut agreed, mut side) = (0, 0, 0);
        let failures: Vec<String> = crate::on_big_stack(|| {
            let mut failures = Vec::new();
            for (name, bytes) in &files {
                match target(bytes) {
                    Ok(Verdict::Loaded) => loaded += 1,
                    Ok(Verdict::Agreed(j)) => {
                        agreed += 1;
                        side += u64::from(j.side_traces > 0);
                    }
                    Ok(_) => {}
                    Err(e) => failures.push(format!("{name}: {e}")),
                }
            }
            failures
        });
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(
            loaded >= 3 && agreed >= 5 && side >= 1,
            "{loaded} {agreed} {side}"
        );
    }
}

//! `--plain`: spur and wasmi measured the way an embedder builds them, beside the tuned
//! build of this workspace. The program in `plain/` is copied into a crate of its own in
//! the system's temporary directory, outside the workspace (so its release profile, with
//! fat LTO and one codegen unit, does not apply), with spur
//! (by path) and wasmi (the version this crate uses, pinned by the workspace's lock file) as
//! plain, optional dependencies, and built once per run with `cargo build --release`: once
//! with each engine, as an embedder's program has one. (With both in one binary, a change
//! to spur moved wasmi's code, and wasmi's plain times with it: by 0.79 to 1.27 from one
//! build to the next on the same kernels.) Each binary then measures one kernel per
//! process, as `child` does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The engines of the plain build, each the cargo feature of a binary of its own.
const FEATURES: [&str; 2] = ["spur", "wasmi"];

/// The plain build's binaries, in the order of `FEATURES`, once built (or why they could
/// not be).
static BINARIES: OnceLock<Result<Vec<PathBuf>, String>> = OnceLock::new();

/// The plain build's binary that has `engine` (a tuned engine's name: spur-interp, spur-jit
/// or wasmi), building them all on first use.
pub fn binary(engine: &str) -> Result<&'static Path, String> {
    let binaries = BINARIES.get_or_init(build).as_ref().map_err(Clone::clone)?;
    let k = FEATURES
        .iter()
        .position(|f| engine.starts_with(f))
        .ok_or_else(|| format!("no plain build of {engine}"))?;
    Ok(&binaries[k])
}

/// Where the plain crate is written and built.
fn crate_dir() -> PathBuf {
    std::env::temp_dir().join("spur-compare-plain")
}

fn build() -> Result<Vec<PathBuf>, String> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("../..");
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let dir = crate_dir();
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    let manifest = format!(
        "[package]\nname = \"spur-plain\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
         publish = false\n\n[dependencies]\nspur = {{ path = {:?}, optional = true }}\n\
         wasmi = {{ version = \"=2.0.0\", optional = true }}\n\n\
         # A workspace of its own: nothing of spur's workspace applies.\n[workspace]\n",
        root.display().to_string()
    );
    let write = |to: PathBuf, text: &[u8]| {
        std::fs::write(&to, text).map_err(|e| format!("{}: {e}", to.display()))
    };
    write(dir.join("Cargo.toml"), manifest.as_bytes())?;
    write(src.join("main.rs"), include_bytes!("../plain/main.rs"))?;
    write(
        src.join("measure.rs"),
        include_bytes!("../plain/measure.rs"),
    )?;
    let lock = std::fs::read(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    write(dir.join("Cargo.lock"), &lock)?;
    eprintln!("building the plain build in {} ...", dir.display());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut binaries = Vec::new();
    for feature in FEATURES {
        let status = Command::new(&cargo)
            .args(["build", "--release", "--quiet", "--features", feature])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS")
            .env_remove("CARGO_PROFILE_RELEASE_LTO")
            .env_remove("CARGO_PROFILE_RELEASE_CODEGEN_UNITS")
            .status()
            .map_err(|e| format!("run cargo: {e}"))?;
        if !status.success() {
            return Err(format!(
                "building the plain crate with {feature} failed: {status}"
            ));
        }
        // (The next build writes the same path.)
        let binary = dir.join(format!("target/release/spur-plain-{feature}"));
        std::fs::copy(dir.join("target/release/spur-plain"), &binary)
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        binaries.push(binary);
    }
    Ok(binaries)
}

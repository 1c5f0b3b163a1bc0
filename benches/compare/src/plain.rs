//! `--plain`: spur and wasmi measured the way an embedder builds them, beside the tuned
//! build of this workspace. The program in `plain/` is copied into a crate of its own in
//! the system's temporary directory, outside the workspace (so its release profile, with
//! fat LTO and one codegen unit, does not apply), with spur
//! (by path) and wasmi (the version this crate uses, pinned by the workspace's lock file) as
//! plain dependencies, and built once per run with `cargo build --release`. Its binary then
//! measures one kernel per process, as `child` does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The plain build's binary, once built (or why it could not be).
static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The plain build's binary, building it on first use.
pub fn binary() -> Result<&'static Path, String> {
    BINARY
        .get_or_init(build)
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(Clone::clone)
}

/// Where the plain crate is written and built.
fn crate_dir() -> PathBuf {
    std::env::temp_dir().join("spur-compare-plain")
}

fn build() -> Result<PathBuf, String> {
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
         publish = false\n\n[dependencies]\nspur = {{ path = {:?} }}\nwasmi = \"=2.0.0\"\n\n\
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
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet"])
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
        return Err(format!("building the plain crate failed: {status}"));
    }
    Ok(dir.join("target/release/spur-plain"))
}

//! The benchmark list: `benches/kernels/MANIFEST` plus the startup module's
//! `benches/startup/CHECKSUM`, both in the format `name default_n quick_n checksum_default
//! checksum_quick` (whitespace-separated, `#` comments).

use std::path::PathBuf;

/// One benchmark: a module exporting `run: (i32) -> i64`, its sizes and expected results.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub name: String,
    pub default_n: i32,
    pub quick_n: i32,
    pub checksum_default: i64,
    pub checksum_quick: i64,
}

/// The name of the startup row, whose module lives in `benches/startup/`.
pub const STARTUP: &str = "startup";

/// The `benches/` directory of the source tree.
fn benches_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Kernel {
    /// The n to run with.
    pub fn n(&self, quick: bool) -> i32 {
        if quick { self.quick_n } else { self.default_n }
    }

    /// The expected checksum of `run(self.n(quick))`.
    pub fn checksum(&self, quick: bool) -> i64 {
        if quick {
            self.checksum_quick
        } else {
            self.checksum_default
        }
    }

    /// Whether this is the startup row rather than a kernel.
    pub fn is_startup(&self) -> bool {
        self.name == STARTUP
    }
}

/// The `.wasm` file of the benchmark called `name`.
pub fn wasm_path(name: &str) -> PathBuf {
    if name == STARTUP {
        benches_dir().join("startup/startup.wasm")
    } else {
        benches_dir().join("kernels").join(format!("{name}.wasm"))
    }
}

/// Parses MANIFEST-format text; `origin` names the file in error messages.
fn parse(text: &str, origin: &str) -> Result<Vec<Kernel>, String> {
    let mut kernels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("{origin}:{}: {what}: {line:?}", i + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, default_n, quick_n, checksum_default, checksum_quick] = fields[..] else {
            return Err(bad("expected 5 fields"));
        };
        kernels.push(Kernel {
            name: name.to_string(),
            default_n: default_n.parse().map_err(|_| bad("bad default_n"))?,
            quick_n: quick_n.parse().map_err(|_| bad("bad quick_n"))?,
            checksum_default: checksum_default.parse().map_err(|_| bad("bad checksum"))?,
            checksum_quick: checksum_quick.parse().map_err(|_| bad("bad checksum"))?,
        });
    }
    Ok(kernels)
}

/// Reads and parses one MANIFEST-format file.
fn load(path: PathBuf) -> Result<Vec<Kernel>, String> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{origin}: {e}"))?;
    parse(&text, &origin)
}

/// All benchmarks: the kernels of MANIFEST, then the startup module.
pub fn all() -> Result<Vec<Kernel>, String> {
    let mut kernels = load(benches_dir().join("kernels/MANIFEST"))?;
    kernels.extend(load(benches_dir().join("startup/CHECKSUM"))?);
    Ok(kernels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_manifest_lines() {
        let text = "# comment\n\nfib 36 33 14930352 -3524578\n";
        let k = parse(text, "t").unwrap();
        assert_eq!(k.len(), 1);
        assert_eq!((k[0].n(true), k[0].checksum(true)), (33, -3524578));
        assert!(parse("fib 36 33", "t").is_err());
    }
}

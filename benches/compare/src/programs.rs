//! The real programs: `benches/programs/MANIFEST`, one WASI preview 1 command per line, in
//! the format `name module stdin args...` (whitespace-separated, `#` comments). `module` and
//! `stdin` are paths relative to `benches/programs/`, `stdin` is `none` for an empty stdin,
//! and the expected stdout is `benches/programs/expected/NAME.out`.

use std::path::{Path, PathBuf};

/// The word that selects every program on the command line.
pub const ALL: &str = "programs";

/// One program: a WASI command, what it reads on stdin, its arguments.
#[derive(Clone, Debug)]
pub struct Program {
    pub name: String,
    /// The `.wasm` file.
    pub module: PathBuf,
    /// The file fed to its stdin, if any.
    pub stdin: Option<PathBuf>,
    /// Its arguments after `argv[0]`.
    pub args: Vec<String>,
}

/// `benches/programs/` in the source tree.
fn programs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../programs")
}

/// Reads a file, with its path in the error.
fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

impl Program {
    /// The program's argv: the module's file name without `.wasm`, then the arguments.
    pub fn argv(&self) -> Vec<String> {
        let name = self
            .module
            .file_stem()
            .map_or_else(|| self.name.clone(), |s| s.to_string_lossy().into_owned());
        std::iter::once(name)
            .chain(self.args.iter().cloned())
            .collect()
    }

    /// The module's bytes.
    pub fn wasm(&self) -> Result<Vec<u8>, String> {
        read(&self.module)
    }

    /// What the program reads on stdin (empty when it has no stdin file).
    pub fn stdin_bytes(&self) -> Result<Vec<u8>, String> {
        self.stdin.as_deref().map_or(Ok(Vec::new()), read)
    }

    /// The expected stdout, recorded from a native build of the same sources.
    pub fn expected(&self) -> Result<Vec<u8>, String> {
        read(
            &programs_dir()
                .join("expected")
                .join(format!("{}.out", self.name)),
        )
    }
}

/// Parses MANIFEST-format text; paths are relative to `dir`; `origin` names the file in errors.
fn parse(text: &str, dir: &Path, origin: &str) -> Result<Vec<Program>, String> {
    let mut programs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, module, stdin, args @ ..] = &fields[..] else {
            return Err(format!(
                "{origin}:{}: expected `name module stdin args...`: {line:?}",
                i + 1
            ));
        };
        programs.push(Program {
            name: name.to_string(),
            module: dir.join(module),
            stdin: (*stdin != "none").then(|| dir.join(stdin)),
            args: args.iter().map(|a| a.to_string()).collect(),
        });
    }
    Ok(programs)
}

/// All programs of `benches/programs/MANIFEST`.
pub fn all() -> Result<Vec<Program>, String> {
    let dir = programs_dir();
    let path = dir.join("MANIFEST");
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{origin}: {e}"))?;
    parse(&text, &dir, &origin)
}

/// The program called `name`.
pub fn find(name: &str) -> Result<Program, String> {
    all()?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| format!("unknown program {name}"))
}

/// The first line where `got` differs from `expected`, for error messages.
pub fn first_difference(got: &[u8], expected: &[u8]) -> String {
    let got = String::from_utf8_lossy(got);
    let expected = String::from_utf8_lossy(expected);
    let mut g = got.lines();
    let mut e = expected.lines();
    let mut line = 1;
    loop {
        match (g.next(), e.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (None, None) => {
                return "the lines agree; line endings or a final newline differ".to_string();
            }
            (a, b) => {
                let show =
                    |l: Option<&str>| l.map_or("end of output".to_string(), |l| format!("{l:?}"));
                return format!("line {line}: got {}, expected {}", show(a), show(b));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_manifest_lines() {
        let text = "# c\n\nlua-x ../lua.wasm lua/x.lua -\nbz bz/bzip2.wasm none 1024 9\n";
        let p = parse(text, Path::new("/p"), "t").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].argv(), ["lua", "-"]);
        assert_eq!(p[0].stdin.as_deref(), Some(Path::new("/p/lua/x.lua")));
        assert_eq!(p[1].argv(), ["bzip2", "1024", "9"]);
        assert!(p[1].stdin.is_none());
        assert!(parse("x y.wasm", Path::new("/p"), "t").is_err());
    }

    #[test]
    fn finds_first_difference() {
        assert_eq!(
            first_difference(b"a\nb\n", b"a\nc\n"),
            "line 2: got \"b\", expected \"c\""
        );
        assert_eq!(
            first_difference(b"a\n", b"a\nc\n"),
            "line 2: got end of output, expected \"c\""
        );
    }
}

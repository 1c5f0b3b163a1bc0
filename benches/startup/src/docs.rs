//! Generated inputs for the startup module: a markdown document, a package list and a TOML
//! snippet. Everything is a pure function of `n`, with no randomness or clocks.

use crate::Package;
use std::collections::BTreeMap;
use std::fmt::Write;

const WORDS: [&str; 24] = [
    "wasm",
    "engine",
    "Trace",
    "interpreter",
    "Über",
    "naïve",
    "Zürich",
    "register",
    "Bytecode",
    "loop",
    "Cranelift",
    "stack",
    "déjà",
    "vu",
    "Ελληνικά",
    "Москва",
    "memory",
    "table",
    "global",
    "Function",
    "module",
    "import",
    "export",
    "São",
];

/// A small deterministic xorshift generator.
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.next() as usize % WORDS.len()]
    }
}

/// A markdown document with `n` sections using headings, emphasis, links, lists, tables,
/// code blocks, footnotes, task lists and strikethrough.
pub fn markdown_source(n: u32) -> String {
    let mut rng = Rng(0x9e37_79b9 ^ n);
    let mut s = String::from("# Release notes\n\nSee <https://example.org/spur> for details.\n\n");
    for i in 0..n * 4 {
        let _ = writeln!(s, "## Section {i}: {} {}\n", rng.word(), rng.word());
        let _ = writeln!(
            s,
            "On 2024-{:02}-{:02} *{}* met **{}** at `{}`; mail dev{}@example.com or visit \
             [the docs](https://docs.example.org/v{}/{}) ~~today~~.[^n{i}]\n",
            rng.next() % 12 + 1,
            rng.next() % 28 + 1,
            rng.word(),
            rng.word(),
            rng.word(),
            rng.next() % 100,
            i,
            rng.word(),
        );
        for j in 0..4 {
            let done = if rng.next().is_multiple_of(2) { 'x' } else { ' ' };
            let _ = writeln!(
                s,
                "- [{done}] item {j}: {} {} {}",
                rng.word(),
                rng.word(),
                rng.word()
            );
        }
        s.push_str("\n| name | value | note |\n| :--- | ---: | :---: |\n");
        for j in 0..3 {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                rng.word(),
                rng.next() % 1000 + j,
                rng.word()
            );
        }
        let _ = writeln!(
            s,
            "\n```rust\nfn f{i}(x: u32) -> u32 {{ x.wrapping_mul({}) }}\n```\n",
            rng.next()
        );
        let _ = writeln!(
            s,
            "> {} {} said \"{}\"\n",
            rng.word(),
            rng.word(),
            rng.word()
        );
        let _ = writeln!(s, "[^n{i}]: Footnote {i} about {}.\n", rng.word());
    }
    s
}

/// `4 * n` packages with dependencies, keywords and authors.
pub fn packages(n: u32) -> Vec<Package> {
    let mut rng = Rng(0x85eb_ca6b ^ n.wrapping_mul(0x27d4_eb2f));
    (0..n * 4)
        .map(|i| {
            let dependencies: BTreeMap<String, String> = (0..rng.next() % 5)
                .map(|d| {
                    (
                        format!("{}-{d}", rng.word().to_lowercase()),
                        format!("^{}.{}", rng.next() % 3, rng.next() % 20),
                    )
                })
                .collect();
            Package {
                name: format!("{}-{i}", rng.word().to_lowercase()),
                version: format!("{}.{}.{}", rng.next() % 4, rng.next() % 30, rng.next() % 10),
                authors: (0..2)
                    .map(|_| format!("{} <{}@example.com>", rng.word(), i))
                    .collect(),
                keywords: (0..3).map(|_| rng.word().to_string()).collect(),
                downloads: u64::from(rng.next()) * 1013,
                score: f64::from(rng.next() % 4096) / 64.0,
                yanked: rng.next().is_multiple_of(7),
                dependencies,
            }
        })
        .collect()
}

/// A hand-written TOML document with most of TOML's syntax.
pub const TOML_EXTRA: &str = r#"
# spur configuration
title = "TOML \u00e9xample"
literal = 'C:\Users\spur'
multi = """
Roses are red
Violets are blue"""
int = 1_000_000
hex = 0xDEADBEEF
oct = 0o755
bin = 0b1101
float = 6.626e-34
inf = inf
date = 1979-05-27T07:32:00-08:00
local = 1979-05-27
array = [1, 2, 3, [4, 5], { a = 1 }]

[server.alpha]
ip = "10.0.0.1"
role = "frontend"

[server.beta]
ip = "10.0.0.2"
role = "backend"
ports = [8000, 8001, 8002]

[[fruit]]
name = "apple"
physical = { color = "red", shape = "round" }

[[fruit]]
name = "banana"
"#;

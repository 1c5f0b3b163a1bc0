//! spur-startup: a large real-world WebAssembly module for spur-compare's `startup` row.
//!
//! It links regex (with its Unicode tables), serde_json, pulldown-cmark and toml, and exports
//! a single import-free function `run(n: i32) -> i64` that does real work with all of them on
//! a small generated input (n scales the input) and returns an FNV-1a checksum of every
//! result. Every step is deterministic, so all engines must return the same checksum.

mod docs;

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// FNV-1a 64-bit hash accumulator.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// One package of the generated registry (the JSON and TOML workloads).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Package {
    name: String,
    version: String,
    authors: Vec<String>,
    keywords: Vec<String>,
    downloads: u64,
    score: f64,
    yanked: bool,
    dependencies: BTreeMap<String, String>,
}

/// A TOML manifest with a list of packages.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Manifest {
    title: String,
    revision: u32,
    package: Vec<Package>,
}

/// Renders the generated markdown document to HTML with every pulldown-cmark extension on.
fn markdown(n: u32, h: &mut Fnv) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let src = docs::markdown_source(n);
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(&src, Options::all()));
    h.bytes(out.as_bytes());
    out
}

/// Compiles a handful of regexes (ASCII and Unicode) and runs them over `text`.
fn regexes(text: &str, h: &mut Fnv) {
    let patterns = [
        r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b",
        r"https?://[^\s<>\x22]+",
        r"\b(\d{4})-(\d{2})-(\d{2})\b",
        r"\p{Lu}\p{Ll}+",
        r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>",
        r"\b\w+(?:'\w+)?\b",
    ];
    for (i, pattern) in patterns.iter().enumerate() {
        let re = Regex::new(pattern).expect("valid regex");
        let mut count = 0u64;
        for caps in re.captures_iter(text) {
            count += 1;
            for group in caps.iter().flatten() {
                h.u64(group.start() as u64);
                h.bytes(group.as_str().as_bytes());
            }
        }
        h.u64(count ^ (i as u64) << 32);
    }
    let date = Regex::new(r"(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})").expect("valid regex");
    h.bytes(date.replace_all(text, "$d/$m/$y").as_bytes());
}

/// Serializes the packages to JSON, parses the text back both as an untyped `Value` and
/// as typed structs, and walks the value.
fn json(packages: &[Package], h: &mut Fnv) {
    let compact = serde_json::to_string(packages).expect("serializable");
    let pretty = serde_json::to_string_pretty(packages).expect("serializable");
    h.bytes(compact.as_bytes());
    h.bytes(pretty.as_bytes());
    let value: serde_json::Value = serde_json::from_str(&pretty).expect("valid JSON");
    h.u64(walk_json(&value));
    let back: Vec<Package> = serde_json::from_str(&compact).expect("valid JSON");
    h.u64(u64::from(back.as_slice() == packages));
}

/// A structural hash of a JSON value.
fn walk_json(v: &serde_json::Value) -> u64 {
    use serde_json::Value;
    match v {
        Value::Null => 1,
        Value::Bool(b) => 2 + u64::from(*b),
        Value::Number(n) => n.as_f64().map_or(3, f64::to_bits),
        Value::String(s) => s.len() as u64 * 31,
        Value::Array(a) => a.iter().fold(5, |acc, x| acc.rotate_left(5) ^ walk_json(x)),
        Value::Object(o) => o.iter().fold(7, |acc, (k, x)| {
            acc.rotate_left(7) ^ (k.len() as u64) ^ walk_json(x)
        }),
    }
}

/// Serializes a manifest to TOML, parses it back typed and untyped.
fn toml_roundtrip(packages: Vec<Package>, n: u32, h: &mut Fnv) {
    let manifest = Manifest {
        title: "spur startup registry".to_string(),
        revision: n,
        package: packages,
    };
    let text = toml::to_string(&manifest).expect("serializable");
    h.bytes(text.as_bytes());
    let back: Manifest = toml::from_str(&text).expect("valid TOML");
    h.u64(u64::from(back == manifest));
    let table: toml::Table = docs::TOML_EXTRA.parse().expect("valid TOML");
    h.bytes(table.to_string().as_bytes());
}

/// Does all the work for size `n` and returns the checksum.
fn work(n: u32) -> u64 {
    let mut h = Fnv::new();
    let html = markdown(n, &mut h);
    regexes(&html, &mut h);
    regexes(&docs::markdown_source(n), &mut h);
    let packages = docs::packages(n);
    json(&packages, &mut h);
    toml_roundtrip(packages, n, &mut h);
    h.0
}

/// The exported entry point: `run(n) -> checksum` (n is clamped to 1..=64).
#[unsafe(no_mangle)]
pub extern "C" fn run(n: i32) -> i64 {
    work(n.clamp(1, 64) as u32) as i64
}

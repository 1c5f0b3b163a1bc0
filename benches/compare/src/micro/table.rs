//! The markdown report of `--micro`: one row per quantity, one column per engine.

use super::measure::{CALLS, INSTANTIATIONS, LOOP_ITERATIONS};
use super::{Bench, Metric, Results, median};
use crate::engines::EngineKind;
use std::fmt::Write;

/// How a row's values (nanoseconds or bytes) are shown.
#[derive(Clone, Copy)]
enum Unit {
    /// A time spent on startup.wasm's code section: MB/s, and the time in ms.
    Rate,
    /// Microseconds.
    Micros,
    /// Nanoseconds.
    Nanos,
    /// Bytes.
    Bytes,
}

/// What a row shows: the median of a metric, or the difference of two metrics' medians.
#[derive(Clone, Copy)]
enum Value {
    Median(Metric),
    Difference(Metric, Metric),
}

impl Value {
    /// The metric that decides where the row applies.
    fn metric(self) -> Metric {
        match self {
            Value::Median(m) | Value::Difference(m, _) => m,
        }
    }
}

/// One row of the table.
struct Row {
    label: &'static str,
    value: Value,
    unit: Unit,
}

const fn row(label: &'static str, value: Value, unit: Unit) -> Row {
    Row { label, value, unit }
}

/// The rows, in order.
const ROWS: [Row; 12] = [
    row(
        "translate: `Module::new`, default mode (MB/s, ms)",
        Value::Median(Metric::ModuleNew),
        Unit::Rate,
    ),
    row(
        "translate: spur `translate_all` alone (MB/s, ms)",
        Value::Median(Metric::TranslateAll),
        Unit::Rate,
    ),
    row(
        "translate: bytes to every function translated (MB/s, ms)",
        Value::Median(Metric::AllTranslated),
        Unit::Rate,
    ),
    row(
        "instantiate fib.wasm, 17 pages (µs)",
        Value::Median(Metric::InstantiateFib),
        Unit::Micros,
    ),
    row(
        "instantiate quicksort.wasm, 273 pages (µs)",
        Value::Median(Metric::InstantiateQuicksort),
        Unit::Micros,
    ),
    row(
        "host→wasm call `nop` (ns)",
        Value::Median(Metric::CallNop),
        Unit::Nanos,
    ),
    row(
        "host→wasm call `(i32)->i32` identity (ns)",
        Value::Median(Metric::CallId),
        Unit::Nanos,
    ),
    row(
        "wasm loop calling host `(i32)->i32` (ns/iteration)",
        Value::Median(Metric::HostLoop),
        Unit::Nanos,
    ),
    row(
        "the same loop without the call (ns/iteration)",
        Value::Median(Metric::EmptyLoop),
        Unit::Nanos,
    ),
    row(
        "wasm→host call, net of the loop (ns)",
        Value::Difference(Metric::HostLoop, Metric::EmptyLoop),
        Unit::Nanos,
    ),
    row(
        "JIT: compile time per trace (µs)",
        Value::Median(Metric::JitCompilePerTrace),
        Unit::Micros,
    ),
    row(
        "JIT: machine code per trace (bytes)",
        Value::Median(Metric::JitCodePerTrace),
        Unit::Bytes,
    ),
];

/// About three significant digits.
fn sig3(v: f64) -> String {
    match v.abs() {
        a if a >= 100.0 => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}

/// `n` with thousands separators.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats `value` (nanoseconds, or bytes for [`Unit::Bytes`]).
fn format_value(value: f64, unit: Unit, code_bytes: usize) -> String {
    match unit {
        Unit::Rate => {
            let mb_per_s = code_bytes as f64 * 1e3 / value;
            format!("{} MB/s ({} ms)", sig3(mb_per_s), sig3(value / 1e6))
        }
        Unit::Micros => sig3(value / 1e3),
        Unit::Nanos => sig3(value),
        Unit::Bytes => format!("{value:.0}"),
    }
}

/// The cell of `row` for engine index `e`.
fn cell(results: &Results, row: &Row, e: usize, code_bytes: usize) -> String {
    let Some(bench) = row.value.metric().source(EngineKind::ALL[e]) else {
        return "—".to_string();
    };
    if results.failed.contains(&(bench, e)) {
        return "ERR".to_string();
    }
    let med = |m| results.values.get(&(m, e)).and_then(|v| median(v));
    let value = match row.value {
        Value::Median(m) => med(m),
        Value::Difference(a, b) => med(a).zip(med(b)).map(|(a, b)| a - b),
    };
    match value {
        Some(v) => format_value(v, row.unit, code_bytes),
        None => "—".to_string(),
    }
}

/// Whether any engine measures `row` with one of `benches`.
fn selected(row: &Row, benches: &[Bench]) -> bool {
    EngineKind::ALL
        .into_iter()
        .filter_map(|e| row.value.metric().source(e))
        .any(|b| benches.contains(&b))
}

/// The notes under the table.
fn notes(code_bytes: usize) -> String {
    let (code_bytes, instantiations) = (grouped(code_bytes), grouped(INSTANTIATIONS));
    let (calls, iterations) = (grouped(CALLS as usize), grouped(LOOP_ITERATIONS as usize));
    format!(
        "\nTranslation: startup.wasm, whose code section is {code_bytes} bytes (MB = 10^6 bytes), \
         one `Module::new` per child process. Default mode: spur and wasmi validate everything and \
         translate each function at its first call, wasmtime and winch compile everything. \
         Every function translated: spur `Module::new` + `translate_all`, wasmi \
         `CompilationMode::Eager`, wasmtime and winch `Module::new`.\n\
         Instantiation: median of {instantiations} `Store::new` + instantiate of a module \
         compiled beforehand (dropping the store is not timed).\n\
         Calls: {calls} `TypedFunc::call`s host→wasm; a {iterations}-iteration wasm loop \
         for wasm→host; net = loop with the call − loop without.\n\
         —: does not apply to the engine.\n"
    )
}

/// The markdown report: the table and its notes.
pub fn render(results: &Results, benches: &[Bench], code_bytes: usize) -> String {
    let mut out = String::from("| micro-benchmark |");
    for e in EngineKind::ALL {
        let _ = write!(out, " {} |", e.name());
    }
    out.push_str("\n| --- |");
    out.push_str(&" ---: |".repeat(EngineKind::ALL.len()));
    out.push('\n');
    for row in ROWS.iter().filter(|r| selected(r, benches)) {
        let _ = write!(out, "| {} |", row.label);
        for e in 0..EngineKind::ALL.len() {
            let _ = write!(out, " {} |", cell(results, row, e, code_bytes));
        }
        out.push('\n');
    }
    out.push_str(&notes(code_bytes));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_values() {
        assert_eq!(sig3(1234.4), "1234");
        assert_eq!(sig3(12.345), "12.3");
        assert_eq!(sig3(1.2345), "1.23");
        // 2 MB in 4 ms is 500 MB/s.
        assert_eq!(
            format_value(4e6, Unit::Rate, 2_000_000),
            "500 MB/s (4.00 ms)"
        );
        assert_eq!(format_value(2500.0, Unit::Micros, 0), "2.50");
        assert_eq!(grouped(1_311_657), "1,311,657");
        assert_eq!(grouped(100), "100");
    }

    #[test]
    fn cells_say_what_is_missing() {
        let mut results = Results::default();
        let jit = 1; // spur-jit
        let jit_row = &ROWS[10];
        assert_eq!(cell(&results, jit_row, jit, 1), "—");
        assert_eq!(cell(&results, jit_row, 0, 1), "—");
        results.values.insert((Metric::HostLoop, 2), vec![30.0]);
        results.values.insert((Metric::EmptyLoop, 2), vec![5.0]);
        assert_eq!(cell(&results, &ROWS[9], 2, 1), "25.0");
        results.failed.insert((Bench::Call, 3));
        assert_eq!(cell(&results, &ROWS[5], 3, 1), "ERR");
    }
}

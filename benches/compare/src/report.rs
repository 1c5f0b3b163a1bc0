//! Aggregation (medians, peaks, geometric means) and the markdown report.

use crate::child::Sample;
use crate::engines::EngineKind;
use crate::manifest::Kernel;
use std::fmt::Write;
use std::time::Duration;

/// All samples of one kernel: `samples[e]` holds engine `EngineKind::ALL[e]`'s successful runs.
pub struct Row {
    pub kernel: Kernel,
    pub samples: [Vec<Sample>; 5],
    /// Whether any run of engine `e` failed.
    pub failed: [bool; 5],
}

/// The engines whose run time is divided by wasmtime's in the ratio columns.
const RATIO_ENGINES: [EngineKind; 4] = [
    EngineKind::SpurInterp,
    EngineKind::SpurJit,
    EngineKind::Wasmi,
    EngineKind::Winch,
];

fn index(engine: EngineKind) -> usize {
    EngineKind::ALL
        .iter()
        .position(|&e| e == engine)
        .expect("engine in ALL")
}

/// The median of some durations, in milliseconds (the mean of the middle two for even counts).
fn median_ms(mut values: Vec<Duration>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let mid = values.len() / 2;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Some(if values.len() % 2 == 1 {
        ms(values[mid])
    } else {
        (ms(values[mid - 1]) + ms(values[mid])) / 2.0
    })
}

/// The geometric mean of positive values.
pub fn geomean(values: &[f64]) -> Option<f64> {
    (!values.is_empty())
        .then(|| (values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

/// One engine's summary for one kernel.
#[derive(Clone, Copy)]
struct Summary {
    load_ms: f64,
    run_ms: f64,
    peak_mib: f64,
}

impl Row {
    /// A new row with no samples.
    pub fn new(kernel: Kernel) -> Row {
        Row {
            kernel,
            samples: Default::default(),
            failed: [false; 5],
        }
    }

    /// Engine `engine`'s medians and peak, or `None` if it failed or has no samples.
    fn summary(&self, engine: EngineKind) -> Option<Summary> {
        let e = index(engine);
        if self.failed[e] {
            return None;
        }
        let samples = &self.samples[e];
        Some(Summary {
            load_ms: median_ms(samples.iter().map(|s| s.load).collect())?,
            run_ms: median_ms(samples.iter().map(|s| s.run).collect())?,
            peak_mib: samples.iter().map(|s| s.peak_kib).max()? as f64 / 1024.0,
        })
    }

    /// `engine`'s time over wasmtime's: run time for kernels, load + run for startup.
    fn ratio(&self, engine: EngineKind) -> Option<f64> {
        let time = |s: Summary| {
            if self.kernel.is_startup() {
                s.load_ms + s.run_ms
            } else {
                s.run_ms
            }
        };
        let base = time(self.summary(EngineKind::Wasmtime)?);
        Some(time(self.summary(engine)?) / base).filter(|r| r.is_finite() && *r > 0.0)
    }
}

/// Formats milliseconds with about three significant digits.
fn fmt_ms(ms: f64) -> String {
    match ms {
        ms if ms < 1.0 => format!("{ms:.3}"),
        ms if ms < 100.0 => format!("{ms:.2}"),
        ms => format!("{ms:.1}"),
    }
}

fn fmt_opt(value: Option<f64>, f: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| "ERR".to_string(), f)
}

/// The geometric mean of `engine`'s ratio over the kernel rows (startup excluded).
fn ratio_geomean(rows: &[Row], engine: EngineKind) -> Option<f64> {
    let ratios: Vec<f64> = rows
        .iter()
        .filter(|r| !r.kernel.is_startup())
        .filter_map(|r| r.ratio(engine))
        .collect();
    geomean(&ratios)
}

/// The geometric mean over the kernel rows of `a`'s run time over `b`'s.
fn pair_geomean(rows: &[Row], a: EngineKind, b: EngineKind) -> Option<f64> {
    pair_geomean_by(rows, a, b, |s| s.run_ms)
}

/// Like [`pair_geomean`], on load plus run time.
fn pair_geomean_total(rows: &[Row], a: EngineKind, b: EngineKind) -> Option<f64> {
    pair_geomean_by(rows, a, b, |s| s.load_ms + s.run_ms)
}

fn pair_geomean_by(
    rows: &[Row],
    a: EngineKind,
    b: EngineKind,
    time: impl Fn(&Summary) -> f64,
) -> Option<f64> {
    let ratios: Vec<f64> = rows
        .iter()
        .filter(|r| !r.kernel.is_startup())
        .filter_map(|r| Some(time(&r.summary(a)?) / time(&r.summary(b)?)))
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    geomean(&ratios)
}

fn table_header() -> String {
    let mut head = String::from("| kernel |");
    let mut rule = String::from("| --- |");
    for e in EngineKind::ALL {
        let name = e.name();
        let _ = write!(head, " {name} load ms | {name} run ms | {name} peak MiB |");
        rule.push_str(" ---: | ---: | ---: |");
    }
    for e in RATIO_ENGINES {
        let _ = write!(head, " {} run/wasmtime |", e.name());
        rule.push_str(" ---: |");
    }
    format!("{head}\n{rule}\n")
}

fn table_row(row: &Row) -> String {
    let startup = row.kernel.is_startup();
    let mut line = format!("| {}{} |", row.kernel.name, if startup { " †" } else { "" });
    for e in EngineKind::ALL {
        let s = row.summary(e);
        let _ = write!(
            line,
            " {} | {} | {} |",
            fmt_opt(s.map(|s| s.load_ms), fmt_ms),
            fmt_opt(s.map(|s| s.run_ms), fmt_ms),
            fmt_opt(s.map(|s| s.peak_mib), |m| format!("{m:.1}")),
        );
    }
    for e in RATIO_ENGINES {
        let _ = write!(line, " {} |", fmt_opt(row.ratio(e), |r| format!("{r:.2}")));
    }
    line.push('\n');
    line
}

fn geomean_row(rows: &[Row]) -> String {
    let mut line = String::from("| **geomean** |");
    line.push_str(&" |".repeat(3 * EngineKind::ALL.len()));
    for e in RATIO_ENGINES {
        let _ = write!(
            line,
            " **{}** |",
            fmt_opt(ratio_geomean(rows, e), |r| format!("{r:.2}"))
        );
    }
    line.push('\n');
    line
}

/// The lines after the table: explicit geomeans, startup totals, the child baseline RSS.
fn footer(rows: &[Row]) -> String {
    let kernels = rows.iter().filter(|r| !r.kernel.is_startup()).count();
    let g = |a, b| fmt_opt(pair_geomean(rows, a, b), |r| format!("{r:.3}"));
    let mut out = format!(
        "\n† startup: ratios are (load + first call) / wasmtime's; excluded from the geomeans.\n\n\
         spur-interp / wasmi geomean (run time, {kernels} kernels): {}\n\
         spur-interp / wasmtime geomean (run time, {kernels} kernels): {}\n\
         spur-jit / wasmi geomean (run time, {kernels} kernels): {}\n\
         spur-jit / wasmtime geomean (run time, {kernels} kernels): {}\n\
         spur-jit / wasmtime geomean (load + run, {kernels} kernels): {}\n",
        g(EngineKind::SpurInterp, EngineKind::Wasmi),
        g(EngineKind::SpurInterp, EngineKind::Wasmtime),
        g(EngineKind::SpurJit, EngineKind::Wasmi),
        g(EngineKind::SpurJit, EngineKind::Wasmtime),
        fmt_opt(
            pair_geomean_total(rows, EngineKind::SpurJit, EngineKind::Wasmtime),
            |r| format!("{r:.3}")
        ),
    );
    out.push_str("spur-interp / spur-jit (JIT speedup, run time):");
    for r in rows.iter().filter(|r| !r.kernel.is_startup()) {
        if let (Some(i), Some(j)) = (
            r.summary(EngineKind::SpurInterp),
            r.summary(EngineKind::SpurJit),
        ) {
            let _ = write!(out, " {} {:.2};", r.kernel.name, i.run_ms / j.run_ms);
        }
    }
    out.push('\n');
    if let Some(row) = rows.iter().find(|r| r.kernel.is_startup()) {
        out.push_str("startup, load + first call (ms):");
        for e in EngineKind::ALL {
            let total = row.summary(e).map(|s| s.load_ms + s.run_ms);
            let _ = write!(out, " {} {};", e.name(), fmt_opt(total, fmt_ms));
        }
        out.pop();
        out.push('\n');
    }
    let base = rows
        .iter()
        .flat_map(|r| r.samples.iter().flatten())
        .map(|s| s.base_kib)
        .min();
    if let Some(base) = base {
        let _ = writeln!(
            out,
            "peak MiB is the child process's ru_maxrss (max over runs); an idle child is {:.1} MiB.",
            base as f64 / 1024.0
        );
    }
    out
}

/// The markdown report: table, geomean row and footer.
pub fn render(rows: &[Row]) -> String {
    let mut out = table_header();
    for row in rows {
        out.push_str(&table_row(row));
    }
    out.push_str(&geomean_row(rows));
    out.push_str(&footer(rows));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_geomeans() {
        let ms = Duration::from_millis;
        assert_eq!(median_ms(vec![ms(3), ms(1), ms(2)]), Some(2.0));
        assert_eq!(median_ms(vec![ms(4), ms(1), ms(2), ms(3)]), Some(2.5));
        assert_eq!(median_ms(vec![]), None);
        assert!((geomean(&[2.0, 8.0]).unwrap() - 4.0).abs() < 1e-12);
    }
}

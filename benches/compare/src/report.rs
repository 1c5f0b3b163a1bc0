//! Aggregation (medians, peaks, geometric means) and the markdown report.

use crate::child::Sample;
use crate::engines::EngineKind;
use std::fmt::Write;
use std::time::Duration;

/// What a row measures.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A kernel of `benches/kernels`: one call of `run(n)`.
    Kernel,
    /// The startup module of `benches/startup`: load + first call is what counts.
    Startup,
    /// A real program of `benches/programs`: a WASI command's `_start`.
    Program,
}

/// All samples of one benchmark: `samples[e]` holds engine `engines[e]`'s successful runs.
pub struct Row {
    pub name: String,
    pub kind: Kind,
    /// The engines measured: `EngineKind::ALL`, or `EngineKind::CONTROLS`.
    pub engines: &'static [EngineKind],
    pub samples: Vec<Vec<Sample>>,
    /// Whether any run of engine `e` failed.
    pub failed: Vec<bool>,
}

/// The engines whose run time is divided by wasmtime's in the ratio columns.
const RATIO_ENGINES: [EngineKind; 4] = [
    EngineKind::SpurInterp,
    EngineKind::SpurJit,
    EngineKind::Wasmi,
    EngineKind::Winch,
];

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
    /// A new row with no samples of `engines`.
    pub fn new(name: String, kind: Kind, engines: &'static [EngineKind]) -> Row {
        Row {
            name,
            kind,
            engines,
            samples: vec![Vec::new(); engines.len()],
            failed: vec![false; engines.len()],
        }
    }

    /// Engine `engine`'s medians and peak, or `None` if it failed, has no samples or was
    /// not measured.
    fn summary(&self, engine: EngineKind) -> Option<Summary> {
        let e = self.engines.iter().position(|&x| x == engine)?;
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

    /// `engine`'s time over wasmtime's: run time for kernels and programs, load + run for
    /// startup.
    fn ratio(&self, engine: EngineKind) -> Option<f64> {
        let time = |s: Summary| {
            if self.kind == Kind::Startup {
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

/// Whether a row takes part in the geomeans (startup does not).
fn in_geomean(row: &Row) -> bool {
    row.kind != Kind::Startup
}

/// The geometric mean of `engine`'s ratio over the rows (startup excluded).
fn ratio_geomean(rows: &[&Row], engine: EngineKind) -> Option<f64> {
    let ratios: Vec<f64> = rows
        .iter()
        .filter(|r| in_geomean(r))
        .filter_map(|r| r.ratio(engine))
        .collect();
    geomean(&ratios)
}

/// The geometric mean over the rows (startup excluded) of `a`'s run time over `b`'s.
fn pair_geomean(rows: &[&Row], a: EngineKind, b: EngineKind) -> Option<f64> {
    pair_geomean_by(rows, a, b, |s| s.run_ms)
}

/// Like [`pair_geomean`], on load plus run time.
fn pair_geomean_total(rows: &[&Row], a: EngineKind, b: EngineKind) -> Option<f64> {
    pair_geomean_by(rows, a, b, |s| s.load_ms + s.run_ms)
}

fn pair_geomean_by(
    rows: &[&Row],
    a: EngineKind,
    b: EngineKind,
    time: impl Fn(&Summary) -> f64,
) -> Option<f64> {
    let ratios: Vec<f64> = rows
        .iter()
        .filter(|r| in_geomean(r))
        .filter_map(|r| Some(time(&r.summary(a)?) / time(&r.summary(b)?)))
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    geomean(&ratios)
}

/// The JIT's speedup on one row: spur-interp's run time over spur-jit's.
fn jit_speedup(row: &Row) -> Option<f64> {
    let interp = row.summary(EngineKind::SpurInterp)?;
    let jit = row.summary(EngineKind::SpurJit)?;
    Some(interp.run_ms / jit.run_ms).filter(|r| r.is_finite() && *r > 0.0)
}

/// The table's header; `label` heads the first column, and `speedup` adds the JIT speedup
/// column at the end.
fn table_header(label: &str, speedup: bool) -> String {
    let mut head = format!("| {label} |");
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
    if speedup {
        head.push_str(" JIT speedup (spur-interp/spur-jit run) |");
        rule.push_str(" ---: |");
    }
    format!("{head}\n{rule}\n")
}

fn table_row(row: &Row, speedup: bool) -> String {
    let startup = row.kind == Kind::Startup;
    let mut line = format!("| {}{} |", row.name, if startup { " †" } else { "" });
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
    if speedup {
        let _ = write!(
            line,
            " {} |",
            fmt_opt(jit_speedup(row), |r| format!("{r:.2}"))
        );
    }
    line.push('\n');
    line
}

fn geomean_row(rows: &[&Row], speedup: bool) -> String {
    let mut line = String::from("| **geomean** |");
    line.push_str(&" |".repeat(3 * EngineKind::ALL.len()));
    for e in RATIO_ENGINES {
        let _ = write!(
            line,
            " **{}** |",
            fmt_opt(ratio_geomean(rows, e), |r| format!("{r:.2}"))
        );
    }
    if speedup {
        let g = pair_geomean(rows, EngineKind::SpurInterp, EngineKind::SpurJit);
        let _ = write!(line, " **{}** |", fmt_opt(g, |r| format!("{r:.2}")));
    }
    line.push('\n');
    line
}

/// The lines after the kernel table: explicit geomeans, startup totals.
fn footer(rows: &[&Row]) -> String {
    let kernels = rows.iter().filter(|r| in_geomean(r)).count();
    let g = |a, b| fmt_opt(pair_geomean(rows, a, b), |r| format!("{r:.3}"));
    let total = |a, b| fmt_opt(pair_geomean_total(rows, a, b), |r| format!("{r:.3}"));
    let mut out = format!(
        "\n† startup: ratios are (load + first call) / wasmtime's; excluded from the geomeans.\n\n\
         spur-interp / wasmi geomean (run time, {kernels} kernels): {}\n\
         spur-interp / wasmi geomean (load + run, {kernels} kernels): {}\n\
         spur-interp / wasmtime geomean (run time, {kernels} kernels): {}\n\
         spur-jit / wasmi geomean (run time, {kernels} kernels): {}\n\
         spur-jit / wasmtime geomean (run time, {kernels} kernels): {}\n\
         spur-jit / wasmtime geomean (load + run, {kernels} kernels): {}\n",
        g(EngineKind::SpurInterp, EngineKind::Wasmi),
        total(EngineKind::SpurInterp, EngineKind::Wasmi),
        g(EngineKind::SpurInterp, EngineKind::Wasmtime),
        g(EngineKind::SpurJit, EngineKind::Wasmi),
        g(EngineKind::SpurJit, EngineKind::Wasmtime),
        total(EngineKind::SpurJit, EngineKind::Wasmtime),
    );
    out.push_str("spur-interp / spur-jit (JIT speedup, run time):");
    for r in rows.iter().filter(|r| in_geomean(r)) {
        if let Some(s) = jit_speedup(r) {
            let _ = write!(out, " {} {s:.2};", r.name);
        }
    }
    out.push('\n');
    if let Some(row) = rows.iter().find(|r| r.kind == Kind::Startup) {
        out.push_str("startup, load + first call (ms):");
        for e in EngineKind::ALL {
            let total = row.summary(e).map(|s| s.load_ms + s.run_ms);
            let _ = write!(out, " {} {};", e.name(), fmt_opt(total, fmt_ms));
        }
        out.pop();
        out.push('\n');
    }
    out
}

/// The lines after the program table: geomeans over the programs.
fn program_footer(rows: &[&Row]) -> String {
    let n = rows.len();
    let g = |a, b| fmt_opt(pair_geomean(rows, a, b), |r| format!("{r:.3}"));
    format!(
        "\nPrograms: load = compile + instantiate; run = `_start` (the whole program, WASI calls \
         included). Geomeans over {n} programs, run time: \
         spur-interp / spur-jit (JIT speedup) {}; spur-interp / wasmi {}; spur-jit / wasmi {}; \
         spur-interp / wasmtime {}; spur-jit / wasmtime {}; \
         spur-jit / wasmtime on load + run {}.\n",
        g(EngineKind::SpurInterp, EngineKind::SpurJit),
        g(EngineKind::SpurInterp, EngineKind::Wasmi),
        g(EngineKind::SpurJit, EngineKind::Wasmi),
        g(EngineKind::SpurInterp, EngineKind::Wasmtime),
        g(EngineKind::SpurJit, EngineKind::Wasmtime),
        fmt_opt(
            pair_geomean_total(rows, EngineKind::SpurJit, EngineKind::Wasmtime),
            |r| format!("{r:.3}")
        ),
    )
}

/// `a`'s run time over `b`'s on one row.
fn run_ratio(row: &Row, a: EngineKind, b: EngineKind) -> Option<f64> {
    Some(row.summary(a)?.run_ms / row.summary(b)?.run_ms).filter(|r| r.is_finite() && *r > 0.0)
}

/// A table with the run times of `times` and the run-time ratio of each `(a, b)` of
/// `pairs`, per row (startup excluded), then the ratios' geomean and largest value.
fn ratio_table(rows: &[&Row], times: &[EngineKind], pairs: &[(EngineKind, EngineKind)]) -> String {
    let rows: Vec<&Row> = rows.iter().copied().filter(|r| in_geomean(r)).collect();
    let mut out = String::from("| kernel |");
    let mut rule = String::from("| --- |");
    for e in times {
        let _ = write!(out, " {} run ms |", e.name());
        rule.push_str(" ---: |");
    }
    for (a, b) in pairs {
        let _ = write!(out, " {} / {} |", a.name(), b.name());
        rule.push_str(" ---: |");
    }
    let _ = write!(out, "\n{rule}\n");
    let mut all: Vec<Vec<f64>> = vec![Vec::new(); pairs.len()];
    for row in &rows {
        let _ = write!(out, "| {} |", row.name);
        for &e in times {
            let run = row.summary(e).map(|s| s.run_ms);
            let _ = write!(out, " {} |", fmt_opt(run, fmt_ms));
        }
        for (k, &(a, b)) in pairs.iter().enumerate() {
            let r = run_ratio(row, a, b);
            all[k].extend(r);
            let _ = write!(out, " {} |", fmt_opt(r, |r| format!("{r:.3}")));
        }
        out.push('\n');
    }
    for (label, pick) in [
        ("geomean", geomean as fn(&[f64]) -> Option<f64>),
        ("max", |v: &[f64]| v.iter().copied().reduce(f64::max)),
    ] {
        let _ = write!(out, "| **{label}** |{}", " |".repeat(times.len()));
        for values in &all {
            let _ = write!(
                out,
                " **{}** |",
                fmt_opt(pick(values), |r| format!("{r:.3}"))
            );
        }
        out.push('\n');
    }
    out
}

/// The `--controls` report: what fuel metering and epoch interruption cost, as run time
/// with the control over run time without, for the interpreter and the JIT.
pub fn render_controls(rows: &[Row]) -> String {
    use EngineKind::*;
    let rows: Vec<&Row> = rows.iter().collect();
    ratio_table(
        &rows,
        &[SpurInterp, SpurJit],
        &[
            (SpurInterpFuel, SpurInterp),
            (SpurInterpEpochs, SpurInterp),
            (SpurJitFuel, SpurJit),
            (SpurJitEpochs, SpurJit),
        ],
    )
}

/// The `--plain` section: spur and wasmi as an embedder builds them against each other,
/// beside the tuned build's figures, and each engine's plain time over its tuned time.
fn render_plain(rows: &[&Row]) -> String {
    use EngineKind::*;
    let mut out = String::from(
        "\n## Plain build\n\nspur and wasmi as plain dependencies of a crate outside this \
         workspace (default release profile, no flags), beside the tuned build above.\n\n",
    );
    out.push_str(&ratio_table(
        rows,
        &[SpurInterpPlain, SpurJitPlain, WasmiPlain],
        &[
            (SpurInterpPlain, WasmiPlain),
            (SpurInterp, Wasmi),
            (SpurJitPlain, SpurJit),
            (SpurInterpPlain, SpurInterp),
            (WasmiPlain, Wasmi),
        ],
    ));
    let total = fmt_opt(pair_geomean_total(rows, SpurInterpPlain, WasmiPlain), |r| {
        format!("{r:.3}")
    });
    let kernels = rows.iter().filter(|r| in_geomean(r)).count();
    let _ = writeln!(
        out,
        "\nspur-interp-plain / wasmi-plain geomean (load + run, {kernels} kernels): {total}\n\n\
         wasmi touches every page of a memory when it instantiates the module (its peak RSS \
         covers the whole memory), so it pays a large memory's page faults in its load time; \
         spur's pages are made at their first touch, in the run."
    );
    out
}

/// The markdown report: the kernel table (kernels and startup) with its geomean row and
/// footer, then the program table with its own, then the child baseline RSS. A table with
/// no rows is left out.
pub fn render(rows: &[Row]) -> String {
    let (programs, kernels): (Vec<&Row>, Vec<&Row>) =
        rows.iter().partition(|r| r.kind == Kind::Program);
    let mut out = String::new();
    if !kernels.is_empty() {
        out.push_str(&table_header("kernel", false));
        for row in &kernels {
            out.push_str(&table_row(row, false));
        }
        out.push_str(&geomean_row(&kernels, false));
        out.push_str(&footer(&kernels));
        if kernels
            .iter()
            .any(|r| r.engines.contains(&EngineKind::SpurInterpPlain))
        {
            out.push_str(&render_plain(&kernels));
        }
    }
    if !programs.is_empty() {
        if !kernels.is_empty() {
            out.push('\n');
        }
        out.push_str("## Programs\n\n");
        out.push_str(&table_header("program", true));
        for row in &programs {
            out.push_str(&table_row(row, true));
        }
        out.push_str(&geomean_row(&programs, true));
        out.push_str(&program_footer(&programs));
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

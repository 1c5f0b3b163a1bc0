//! `tracedump`: shows what spur's trace JIT recorded, compiled and threw away.
//!
//! - `tracedump run [OPTIONS] FILE [ARGS]...` runs a WASI program under spur, with
//!   `spur run`'s options, and reports on it;
//! - `tracedump invoke [OPTIONS] FILE FUNC [ARGS]...` calls one export, as `spur invoke`
//!   does, and reports on it;
//! - `tracedump show LOG` reports on a trace log written by `spur run --trace-log LOG` (or
//!   `Store::set_trace_log`).
//!
//! The report: a line per event (traces, aborts, blacklisting, evictions), each trace's
//! recorded bytecode, IR and machine code, and a summary of the trees, the hottest exits
//! and the aborts. It follows the program's own output on stdout; `--html FILE` writes it
//! as a page instead, with the trees drawn.

mod html;
mod log;
mod text;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "tracedump",
    version,
    about = "Shows what spur's trace JIT recorded, compiled and threw away"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WASI command under spur (with `spur run`'s options), then report on its traces
    #[command(arg_required_else_help = true)]
    Run {
        #[command(flatten)]
        opts: spur::cli::RunOptions,
        #[command(flatten)]
        report: Report,
        /// The module to run (.wasm binary or .wat text)
        file: PathBuf,
        /// Arguments passed to the program
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Call one export (as `spur invoke` does), then report on the traces
    #[command(arg_required_else_help = true)]
    Invoke {
        #[command(flatten)]
        opts: spur::cli::RunOptions,
        #[command(flatten)]
        report: Report,
        /// The module (.wasm binary or .wat text)
        file: PathBuf,
        /// The name of the exported function
        func: String,
        /// The arguments, parsed by the function's parameter types
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Report on a trace log written by `spur run --trace-log LOG`
    #[command(arg_required_else_help = true)]
    Show {
        #[command(flatten)]
        report: Report,
        /// The log (JSON Lines)
        log: PathBuf,
    },
}

/// What the report shows, and where it goes.
#[derive(Args)]
struct Report {
    /// Write the report as one self-contained HTML page to FILE (the trees drawn, each
    /// trace's listing a click away) instead of printing it as text
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Print the text report too when `--html` is given (text is the default)
    #[arg(long)]
    text: bool,
    /// Show only the traces, aborts and blacklisting of this function (its index in the
    /// module). Repeatable.
    #[arg(long = "func", value_name = "N")]
    funcs: Vec<u64>,
    /// Show only this trace (by number). Repeatable.
    #[arg(long = "trace", value_name = "N")]
    traces: Vec<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            opts,
            report,
            file,
            args,
        } => traced(opts, &report, |o| spur::cli::run(o, &file, &args)),
        Command::Invoke {
            opts,
            report,
            file,
            func,
            args,
        } => traced(opts, &report, |o| spur::cli::invoke(o, &file, &func, &args)),
        Command::Show { report, log } => match show(&log, &report) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        },
    }
}

/// Runs `go` with a trace log (the one `--trace-log` names, else a temporary file), then
/// reports on the log, whatever became of the run; exits as the run did.
fn traced(
    mut opts: spur::cli::RunOptions,
    report: &Report,
    go: impl FnOnce(&spur::cli::RunOptions) -> Result<u8, spur::cli::Failure>,
) -> ExitCode {
    let temporary = opts.trace_log().is_none();
    if temporary {
        let name = format!("tracedump-{}.jsonl", std::process::id());
        opts.set_trace_log(std::env::temp_dir().join(name));
    }
    let log = opts.trace_log().expect("a trace log").to_path_buf();
    let outcome = go(&opts);
    // A run that failed before it started (no such file, bad options) left no log.
    if outcome.is_ok() || log.exists() {
        let shown = show(&log, report);
        if temporary {
            let _ = std::fs::remove_file(&log);
        }
        if let Err(e) = shown {
            return fail(&e);
        }
    }
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", f.message());
            ExitCode::from(f.code())
        }
    }
}

/// Prints the report on log file `log`.
fn show(log: &std::path::Path, report: &Report) -> Result<(), String> {
    let text = std::fs::read_to_string(log)
        .map_err(|e| format!("cannot read `{}`: {e}", log.display()))?;
    let events =
        log::read(&text).map_err(|e| format!("`{}` is not a trace log: {e}", log.display()))?;
    let filter = text::Filter {
        funcs: report.funcs.clone(),
        traces: report.traces.clone(),
    };
    if let Some(out) = &report.html {
        std::fs::write(out, html::render(&events, &filter))
            .map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
    }
    if report.html.is_none() || report.text {
        print!("{}", text::render(&events, &filter));
    }
    Ok(())
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

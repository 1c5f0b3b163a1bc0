//! `tracedump`: shows what spur's trace JIT recorded, compiled and threw away.
//!
//! `tracedump show LOG` reads a trace log written by `spur run --trace-log LOG` (or
//! `Store::set_trace_log`) and prints a report: a line per event (traces, aborts,
//! blacklisting, evictions), each trace's recorded bytecode, IR and machine code, and a
//! summary of the trees, the hottest exits and the aborts.

mod log;
mod text;

use clap::{Parser, Subcommand};
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
    /// Report on a trace log written by `spur run --trace-log LOG`
    #[command(arg_required_else_help = true)]
    Show {
        /// The log (JSON Lines)
        log: PathBuf,
        /// Show only the traces, aborts and blacklisting of this function (its index in
        /// the module). Repeatable.
        #[arg(long = "func", value_name = "N")]
        funcs: Vec<u64>,
        /// Show only this trace (by number). Repeatable.
        #[arg(long = "trace", value_name = "N")]
        traces: Vec<u64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Show { log, funcs, traces } => {
            let text = match std::fs::read_to_string(&log) {
                Ok(t) => t,
                Err(e) => return fail(&format!("cannot read `{}`: {e}", log.display())),
            };
            let events = match log::read(&text) {
                Ok(e) => e,
                Err(e) => return fail(&format!("`{}` is not a trace log: {e}", log.display())),
            };
            let filter = text::Filter { funcs, traces };
            print!("{}", text::render(&events, &filter));
            ExitCode::SUCCESS
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

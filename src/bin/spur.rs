//! `spur`: the command line (`spur::cli`, shared with `tracedump`).

fn main() -> std::process::ExitCode {
    spur::cli::main()
}

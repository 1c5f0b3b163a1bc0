//! The `spur` command line on real WASI programs (tests/wasi/bin, built by tests/wasi/build.sh
//! and tests/wasi/lua/build.sh from the sources beside them), and its error handling.
//!
//! Expected outputs and exit codes were recorded by running the same programs, with the same
//! arguments, environment, stdin and preopens, under node 20's WASI (`node --no-warnings
//! tests/wasi/node-run.js ...`) and read through by hand. Where node differs from Wasmtime's
//! behaviour (sandbox escapes: node's uvwasi says ENOTCAPABLE, Wasmtime and spur say EPERM,
//! both from cap-std), the expectation follows Wasmtime and the comment says what node printed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

const SPUR: &str = env!("CARGO_BIN_EXE_spur");

fn program(name: &str) -> String {
    format!("{}/tests/wasi/bin/{name}.wasm", env!("CARGO_MANIFEST_DIR"))
}

struct Output {
    stdout: String,
    stderr: String,
    code: i32,
}

/// The command that runs `spur`: the binary itself, or, when `SPUR_TEST_RUNNER` is set (a
/// command and its arguments, split at spaces), that command with the binary as its first
/// argument, as CI runs the AArch64 build under `qemu-aarch64`.
fn spur_command() -> Command {
    let runner = std::env::var("SPUR_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(SPUR);
            c
        }
        None => Command::new(SPUR),
    }
}

/// Held for each run of `spur` under an emulator (`SPUR_TEST_RUNNER`): there, one run at a
/// time. qemu-user can leave a child that it forks while other emulated threads run stuck
/// before its exec (CI once saw one wait on a futex for good).
static EMULATED: Mutex<()> = Mutex::new(());

/// Runs `spur ARGS` with `stdin` as its standard input.
fn spur(args: &[&str], stdin: &str) -> Output {
    let _alone = std::env::var_os("SPUR_TEST_RUNNER").map(|_| {
        EMULATED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    });
    let mut child = spur_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spur");
    // A program that exits without reading its input closes the pipe: that is not an error.
    match child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
        _ => {}
    }
    let out = child.wait_with_output().expect("wait for spur");
    let o = Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().expect("exit status (not a signal)"),
    };
    // A panic of spur itself exits with 101 (a guest panic is a trap: 134).
    assert_ne!(o.code, 101, "spur panicked:\n{}", o.stderr);
    o
}

/// A fresh, empty scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("spur-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn preopen(&self, sub: &str) -> String {
        format!("{}::.", self.0.join(sub).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---- C programs (wasi-libc) ----

#[test]
fn c_printf_arguments_environment_and_exit_code() {
    let hello = program("hello");
    let o = spur(
        &["run", "--env", "GREETING=hi", &hello, "5", "two words"],
        "",
    );
    assert_eq!(o.stdout, HELLO_STDOUT);
    assert_eq!(o.stderr, "this line goes to stderr\n");
    assert_eq!(o.code, 5);
    // The program sees only the variables given, and exits 0 by returning 0.
    let o = spur(&["run", &hello], "");
    assert!(
        o.stdout.contains("GREETING=(unset)\n") && o.stdout.contains("environ has 0 entries\n"),
        "{}",
        o.stdout
    );
    assert_eq!(o.code, 0);
}

#[test]
fn c_scanf_and_fgets_from_stdin() {
    let o = spur(
        &["run", &program("scanf")],
        "3\n1.5 2.25\n-0.75\nhello rest\nsecond line\n\nlast no newline",
    );
    assert_eq!(o.stdout, SCANF_STDOUT);
    assert_eq!(o.code, 0);
}

#[test]
fn c_file_io_directory_listing_rename_unlink() {
    let tmp = TempDir::new("c-files");
    std::fs::create_dir(tmp.path().join("box")).unwrap();
    let o = spur(
        &["run", "--dir", &tmp.preopen("box"), &program("files")],
        "",
    );
    assert_eq!(o.stdout, FILES_STDOUT);
    assert_eq!(o.stderr, "");
    assert_eq!(o.code, 0);
    // The program cleans up after itself.
    assert!(listing(&tmp.path().join("box")).is_empty());
}

#[test]
fn c_clocks_sleep_and_random() {
    let o = spur(&["run", &program("clocks")], "");
    assert_eq!(o.stdout, CLOCKS_STDOUT);
    assert_eq!(o.code, 0);
}

/// Every way out of the preopen is refused, and the host files stay untouched.
#[test]
fn c_sandbox_escapes_are_refused() {
    let tmp = TempDir::new("c-sandbox");
    let root = tmp.path();
    std::fs::create_dir_all(root.join("box/sub")).unwrap();
    std::fs::write(root.join("outside.txt"), "secret\n").unwrap();
    std::fs::write(root.join("box/inside.txt"), "inside\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("box/escape")).unwrap();
    let o = spur(
        &["run", "--dir", &tmp.preopen("box"), &program("sandbox")],
        "",
    );
    // Node printed "Capabilities insufficient" (ENOTCAPABLE) where this says "Operation not
    // permitted" (EPERM, Wasmtime's answer), ENOENT for the absolute symlink `escape`, and
    // refused to *create* the symlink `rel` (spur and Wasmtime create it, since a symlink is
    // inert until followed, and refuse to follow it). `/etc/passwd` and `/` are looked up in
    // the preopen by wasi-libc itself (the preopen is the guest's `/`), identically in both.
    assert_eq!(
        o.stdout,
        "\
fopen ../outside.txt               Operation not permitted
fopen sub/../../outside.txt        Operation not permitted
fopen /etc/passwd                  No such file or directory
fopen ../new.txt (create)          Operation not permitted
stat ../outside.txt                Operation not permitted
opendir ..                         Operation not permitted
opendir / (is the preopen itself)  ALLOWED
mkdir ../newdir                    Operation not permitted
rename inside.txt ../stolen.txt    Operation not permitted
rename ../outside.txt mine.txt     Operation not permitted
unlink ../outside.txt              Operation not permitted
link ../outside.txt hard           Operation not permitted
fopen escape (symlink out)         Operation not permitted
symlink /etc/passwd abs            Operation not permitted
fopen rel (new symlink out)        Operation not permitted
inside.txt still readable: inside
"
    );
    assert_eq!(o.code, 0);
    assert_eq!(listing(root), ["box", "outside.txt"]);
    assert_eq!(
        std::fs::read_to_string(root.join("outside.txt")).unwrap(),
        "secret\n"
    );
    assert_eq!(
        listing(&root.join("box")),
        ["escape", "inside.txt", "rel", "sub"]
    );
}

#[test]
fn c_trap_prints_message_and_named_backtrace() {
    let o = spur(&["run", &program("trap")], "");
    assert_eq!(o.stdout, "before the trap\n");
    assert_eq!(o.code, 134, "a trap exits like Wasmtime's (128 + SIGABRT)");
    let lines: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(lines[0], "error: wasm trap: unreachable");
    assert_eq!(lines[1], "wasm backtrace:");
    // Innermost first: the three crash_here frames, then main, each with a byte offset.
    for (line, name) in lines[2..]
        .iter()
        .zip(["crash_here", "crash_here", "crash_here", "main"])
    {
        assert!(
            line.contains(" 0x") && line.ends_with(&format!(" - {name}")),
            "{line:?} should be a frame of {name}"
        );
    }
    assert!(lines.last().unwrap().contains("_start"), "{}", o.stderr);

    let o = spur(&["run", &program("trap"), "d"], "");
    assert_eq!(o.code, 134);
    assert!(
        o.stderr
            .starts_with("error: wasm trap: integer divide by zero\nwasm backtrace:\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.lines().nth(2).unwrap().ends_with(" - divide"),
        "{}",
        o.stderr
    );
}

// ---- Rust programs (std on wasm32-wasip1) ----

#[test]
fn rust_arguments() {
    let o = spur(&["run", &program("rust"), "args", "x y", "-z"], "");
    assert_eq!((o.stdout.as_str(), o.code), (RUST_ARGS_STDOUT, 0));
}

#[test]
fn rust_environment() {
    let o = spur(
        &[
            "run",
            "--env",
            "B=2",
            "--env",
            "A=1",
            &program("rust"),
            "env",
        ],
        "",
    );
    assert_eq!((o.stdout.as_str(), o.code), (RUST_ENV_STDOUT, 0));
}

#[test]
fn rust_filesystem() {
    let tmp = TempDir::new("rust-fs");
    std::fs::create_dir(tmp.path().join("box")).unwrap();
    let o = spur(
        &["run", "--dir", &tmp.preopen("box"), &program("rust"), "fs"],
        "",
    );
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (RUST_FS_STDOUT, "", 0)
    );
}

#[test]
fn rust_stdin() {
    let o = spur(
        &["run", &program("rust"), "stdin"],
        "one two\nthree four five\n\nsix",
    );
    assert_eq!((o.stdout.as_str(), o.code), (RUST_STDIN_STDOUT, 0));
}

#[test]
fn rust_time_sleep_and_random() {
    let o = spur(&["run", &program("rust"), "time"], "");
    assert_eq!((o.stdout.as_str(), o.code), (RUST_TIME_STDOUT, 0));
}

#[test]
fn rust_exit_codes() {
    let o = spur(&["run", &program("rust"), "exit", "42"], "");
    assert_eq!((o.stdout.as_str(), o.code), (RUST_EXIT_STDOUT, 42));
    let o = spur(&["run", &program("rust")], "");
    assert_eq!(
        o.stderr,
        "usage: wasi-rust.wasm args|env|fs|stdin|time|exit N|panic|ls [DIR]|sandbox\n"
    );
    assert_eq!(o.code, 2);
}

#[test]
fn rust_panic_is_a_trap() {
    let o = spur(&["run", &program("rust"), "panic"], "");
    // Node printed the same panic message, then `RuntimeError: unreachable`.
    assert!(
        o.stderr
            .starts_with("about to panic\n\nthread 'main' (1) panicked at src/main.rs:"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("index out of bounds: the len is 0 but the index is 12\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("error: wasm trap: unreachable\nwasm backtrace:\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("wasi_rust4main"),
        "the backtrace names the program's main: {}",
        o.stderr
    );
    assert_eq!(o.code, 134);
}

#[test]
fn rust_sandbox_escapes_are_refused() {
    let tmp = TempDir::new("rust-sandbox");
    std::fs::create_dir_all(tmp.path().join("box/sub")).unwrap();
    std::fs::write(tmp.path().join("outside.txt"), "secret\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", tmp.path().join("box/escape")).unwrap();
    let o = spur(
        &[
            "run",
            "--dir",
            &tmp.preopen("box"),
            &program("rust"),
            "sandbox",
        ],
        "",
    );
    // Node said `Uncategorized` (ENOTCAPABLE) where this says PermissionDenied (EPERM, as
    // Wasmtime), and NotFound for the symlink to /etc/passwd.
    assert_eq!(
        o.stdout,
        "\
read ../outside.txt: PermissionDenied
read /etc/passwd: NotFound
read sub/../../outside.txt: PermissionDenied
read escape: PermissionDenied
read_dir ..: PermissionDenied
write ../created.txt: PermissionDenied
"
    );
    assert_eq!(o.code, 0);
    assert_eq!(listing(tmp.path()), ["box", "outside.txt"]);
}

// ---- A real program: the Lua 5.4 interpreter (Debian's source, wasi-libc) ----

#[test]
fn lua_interpreter_runs_a_script() {
    let tmp = TempDir::new("lua");
    std::fs::create_dir(tmp.path().join("box")).unwrap();
    std::fs::write(tmp.path().join("outside.txt"), "secret\n").unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wasi/lua/test.lua");
    std::fs::copy(script, tmp.path().join("box/test.lua")).unwrap();
    let dir = tmp.preopen("box");
    let o = spur(
        &[
            "run",
            "--dir",
            &dir,
            "--env",
            "GREETING=hi",
            &program("lua"),
            "test.lua",
            "x",
            "y",
        ],
        "",
    );
    assert_eq!(o.stdout, LUA_STDOUT);
    assert_eq!(o.stderr, "");
    assert_eq!(o.code, 3, "the script ends with os.exit(3)");
    assert_eq!(listing(&tmp.path().join("box")), ["test.lua"]);
}

#[test]
fn lua_error_message_and_traceback() {
    let tmp = TempDir::new("lua-error");
    std::fs::write(
        tmp.path().join("err.lua"),
        "local function f(x) error('bad ' .. x) end\nprint('start')\nf(42)\n",
    )
    .unwrap();
    let dir = format!("{}::.", tmp.path().display());
    let o = spur(&["run", "--dir", &dir, &program("lua"), "err.lua"], "");
    // Exactly what node printed (and what a native lua5.4 prints).
    assert_eq!(o.stdout, "start\n");
    assert_eq!(
        o.stderr,
        "lua: err.lua:1: bad 42\nstack traceback:\n\t[C]: in function 'error'\n\terr.lua:1: in local 'f'\n\terr.lua:3: in main chunk\n\t[C]: in ?\n"
    );
    assert_eq!(o.code, 1);
}

#[test]
fn lua_reads_a_script_from_stdin() {
    let o = spur(
        &["run", &program("lua"), "-"],
        "local t = {} for i = 1, 5 do t[#t + 1] = i * i end print(table.concat(t, ' '))\n",
    );
    assert_eq!((o.stdout.as_str(), o.code), ("1 4 9 16 25\n", 0));
}

// ---- guest pointers, exit codes, invoke ----

fn wat(name: &str) -> String {
    format!("{}/tests/wasi/wat/{name}.wat", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn guest_pointers_outside_memory_are_efault() {
    let file = wat("guest_pointers");
    let o = spur(&["invoke", &file, "write_ok"], "");
    assert_eq!((o.stdout.as_str(), o.code), ("hi\n3\n", 0));
    for name in [
        "iovecs_out_of_bounds",
        "iovec_count_overflows",
        "buffer_out_of_bounds",
        "result_out_of_bounds",
        "read_into_out_of_bounds",
        "args_out_of_bounds",
        "environ_sizes_out_of_bounds",
        "random_out_of_bounds",
        "clock_out_of_bounds",
        "path_out_of_bounds",
        "poll_out_of_bounds",
    ] {
        let o = spur(&["invoke", &file, name], "x");
        assert_eq!(
            (o.stdout.as_str(), o.stderr.as_str(), o.code),
            ("21\n", "", 0),
            "{name}"
        );
    }
    let tmp = TempDir::new("pointers");
    let dir = format!("{}::/some/guest/name", tmp.path().display());
    let o = spur(
        &["invoke", "--dir", &dir, &file, "prestat_name_out_of_bounds"],
        "",
    );
    assert_eq!(o.stdout, "21\n");
    let o = spur(&["invoke", &file, "bad_descriptor"], "");
    assert_eq!(o.stdout, "8\n");
}

#[test]
fn proc_exit_sets_the_exit_code() {
    let o = spur(&["run", &wat("exit")], "");
    assert_eq!((o.stdout.as_str(), o.stderr.as_str(), o.code), ("", "", 7));
    let o = spur(&["invoke", &wat("invoke"), "exit", "3"], "");
    assert_eq!((o.stdout.as_str(), o.code), ("", 3));
    // Statuses from 126 up are refused, as Wasmtime refuses them.
    let o = spur(&["invoke", &wat("invoke"), "exit", "200"], "");
    assert_eq!(
        o.stderr,
        "error: exit with invalid exit status 200 outside of [0..126)\n"
    );
    assert_eq!(o.code, 1);
}

#[test]
fn invoke_parses_arguments_by_type_and_prints_results() {
    let file = wat("invoke");
    let o = spur(&["invoke", &file, "add", "40", "2"], "");
    assert_eq!((o.stdout.as_str(), o.code), ("42\n", 0));
    let o = spur(&["invoke", &file, "add", "-5", "0xffffffff"], "");
    assert_eq!(o.stdout, "-6\n");
    let o = spur(
        &["invoke", &file, "mixed", "-1", "10000000000", "1.5", "0.25"],
        "",
    );
    assert_eq!(o.stdout, "9999999999\n1.75\n");
    let o = spur(&["invoke", &file, "none"], "");
    assert_eq!((o.stdout.as_str(), o.code), ("", 0));
    // The reactor's _initialize ran first.
    let o = spur(&["invoke", &file, "initialized"], "");
    assert_eq!(o.stdout, "100\n");
    let o = spur(&["invoke", &file, "div", "1", "0"], "");
    assert_eq!(o.code, 134);
    assert!(
        o.stderr
            .starts_with("error: wasm trap: integer divide by zero\nwasm backtrace:\n"),
        "{}",
        o.stderr
    );
    // A plain module with no imports.
    let tmp = TempDir::new("invoke-plain");
    let plain = tmp.path().join("plain.wat");
    std::fs::write(&plain, r#"(module (func (export "sq") (param f64) (result f64) (f64.mul (local.get 0) (local.get 0))))"#).unwrap();
    let o = spur(&["invoke", plain.to_str().unwrap(), "sq", "1.5"], "");
    assert_eq!((o.stdout.as_str(), o.code), ("2.25\n", 0));
}

// ---- errors: one line, non-zero exit, never a panic ----

/// Runs spur expecting a one-line error.
fn spur_error(args: &[&str]) -> String {
    let o = spur(args, "");
    assert_eq!(o.code, 1, "{args:?}: {}", o.stderr);
    assert_eq!(o.stdout, "");
    assert_eq!(
        o.stderr.lines().count(),
        1,
        "{args:?} should fail with one line: {:?}",
        o.stderr
    );
    assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
    o.stderr.trim_end().to_string()
}

#[test]
fn errors_are_one_clear_line() {
    let tmp = TempDir::new("errors");
    let p = |name: &str| tmp.path().join(name).display().to_string();
    let missing = p("missing.wasm");
    assert_eq!(
        spur_error(&["run", &missing]),
        format!("error: cannot read `{missing}`: No such file or directory (os error 2)")
    );

    std::fs::write(p("garbage.wasm"), "not wasm at all").unwrap();
    let e = spur_error(&["run", &p("garbage.wasm")]);
    assert!(
        e.contains("is not a valid module") && e.contains("magic"),
        "{e}"
    );

    std::fs::write(p("truncated.wasm"), b"\0asm\x01\0\0\0\x01").unwrap();
    let e = spur_error(&["run", &p("truncated.wasm")]);
    assert!(
        e.contains("is not a valid module") && e.contains("end-of-file"),
        "{e}"
    );

    std::fs::write(
        p("bad.wat"),
        "(module\n  (func (export \"f\") (result i32)\n    i32.const 1\n    i32.add))\n",
    )
    .unwrap();
    let e = spur_error(&["invoke", &p("bad.wat"), "f"]);
    assert!(
        e.contains("is not a valid module") && e.contains("type mismatch"),
        "{e}"
    );

    std::fs::write(p("syntax.wat"), "(module\n  (func (export \"f\")\n").unwrap();
    let e = spur_error(&["invoke", &p("syntax.wat"), "f"]);
    assert!(e.contains(&format!("(at {}:3:1)", p("syntax.wat"))), "{e}");

    let file = wat("invoke");
    assert_eq!(
        spur_error(&["invoke", &file, "nope"]),
        format!(
            "error: `{file}` has no export named `nope` (exported functions: _initialize, initialized, add, mixed, none, div, exit)"
        )
    );
    assert_eq!(
        spur_error(&["invoke", &file, "add", "1"]),
        "error: `add` takes 2 arguments (i32, i32), got 1"
    );
    assert_eq!(
        spur_error(&["invoke", &file, "add", "1", "2", "3"]),
        "error: `add` takes 2 arguments (i32, i32), got 3"
    );
    assert_eq!(
        spur_error(&["invoke", &file, "add", "1", "x"]),
        "error: argument 2 of `add`: `x` is not a valid i32"
    );
    assert_eq!(
        spur_error(&["invoke", &file, "add", "1", "4294967296"]),
        "error: argument 2 of `add`: `4294967296` is not a valid i32"
    );
    assert_eq!(
        spur_error(&["invoke", &file, "memory"]),
        format!("error: export `memory` of `{file}` is not a function")
    );
    let e = spur_error(&["run", &file]);
    assert!(e.contains("has no `_start` export"), "{e}");

    std::fs::write(
        p("imports.wat"),
        r#"(module (import "env" "f" (func)) (func (export "_start")))"#,
    )
    .unwrap();
    assert_eq!(
        spur_error(&["run", &p("imports.wat")]),
        format!(
            "error: cannot instantiate `{}`: link error: unknown import: `env::f` has not been defined",
            p("imports.wat")
        )
    );
    let e = spur_error(&["run", "--dir", &p("no-such-dir"), &program("hello")]);
    assert!(
        e.contains("cannot open directory") && e.contains("no-such-dir"),
        "{e}"
    );
    assert_eq!(
        spur_error(&["run", "--env", "=x", &program("hello")]),
        "error: invalid --env `=x`: expected KEY=VALUE or KEY"
    );
}

#[test]
fn help_explains_every_flag() {
    let o = spur(&["run", "--help"], "");
    assert_eq!(o.code, 0);
    for flag in [
        "--dir <HOST[::GUEST]>",
        "--env <KEY[=VALUE]>",
        "--no-jit",
        "--stats",
        "<FILE>",
        "[ARGS]...",
    ] {
        assert!(
            o.stdout.contains(flag),
            "run --help lacks {flag}:\n{}",
            o.stdout
        );
    }
    let o = spur(&["invoke", "--help"], "");
    for flag in [
        "--dir",
        "--env",
        "--no-jit",
        "--stats",
        "<FILE>",
        "<FUNC>",
        "[ARGS]...",
    ] {
        assert!(
            o.stdout.contains(flag),
            "invoke --help lacks {flag}:\n{}",
            o.stdout
        );
    }
    let o = spur(&["--help"], "");
    assert!(
        o.stdout.contains("run") && o.stdout.contains("invoke"),
        "{}",
        o.stdout
    );
    // No subcommand: usage on stderr, exit 2 (clap's convention for usage errors).
    let o = spur(&[], "");
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("Usage: spur <COMMAND>"), "{}", o.stderr);
}

#[test]
fn no_jit_and_stats() {
    let o = spur(&["run", "--no-jit", "--stats", &program("hello")], "");
    assert_eq!(o.code, 0);
    assert!(o.stdout.starts_with("hello from wasi-libc\n"));
    for label in [
        "spur stats:",
        "module load",
        "instantiate",
        "run:",
        "linear memory at exit:",
        "peak resident memory",
        "interpreter (JIT off)",
    ] {
        assert!(
            o.stderr.contains(label),
            "--stats lacks {label:?}:\n{}",
            o.stderr
        );
    }
    // Program arguments that look like flags go to the program.
    let o = spur(
        &["run", &program("rust"), "args", "--stats", "--no-jit"],
        "",
    );
    assert_eq!(
        o.stdout,
        "arg 1: \"args\"\narg 2: \"--stats\"\narg 3: \"--no-jit\"\n"
    );
}
/// Recorded under node (see the header).
const HELLO_STDOUT: &str = r#"hello from wasi-libc
argc=3
argv[1]="5"
argv[2]="two words"
ints: -42 42 ff 10 00007 7    | -9007199254740993 9223372036854775807
floats: 3.142 1.234568e+04 0.0001 1e+301 0x1p+0
strings: [abc] [     right] [left      ] [tru] Z%
snprintf-7-2.50 (15)
strtod: 2.718282 strtol: -31
GREETING=hi
UNSET=(unset)
environ has 1 entries
"#;

/// Recorded under node (see the header).
const SCANF_STDOUT: &str = r#"sum of 3 numbers: 3.0000
word: hello
line 1: [second line] (11 chars)
line 2: [] (0 chars)
line 3: [last no newline] (15 chars)
eof after 3 lines
"#;

/// Recorded under node (see the header).
const FILES_STDOUT: &str = r#"read 5 lines
at offset 7: line 2
ftell after SEEK_END-7: 28
size after append: 44, regular: 1
pread(6 @ 14): [line 3]
size after ftruncate: 20
content now: [LINE 1|line 2|l]
mkdir existing: File exists
.: data.txt sub/
sub: deeper/ inner.txt
old name after rename: No such file or directory
readlink: moved.txt
through link: LINE 1
sub: deeper/ inner.txt link@ moved.txt
rmdir non-empty: Directory not empty
unlink missing: No such file or directory
open missing: No such file or directory
.:
done
"#;

/// Recorded under node (see the header).
const CLOCKS_STDOUT: &str = r#"realtime after 2024: yes
monotonic resolution <= 1ms: yes
nanosleep 50ms took >= 50ms: yes
usleep 20ms took >= 20ms: yes
sleep 1s moved realtime >= 0.9s: yes
random buffers differ: yes, nonzero: yes
arc4random_uniform(100) < 100: yes
"#;

/// Recorded under node (see the header).
const RUST_ARGS_STDOUT: &str = r#"arg 1: "args"
arg 2: "x y"
arg 3: "-z"
"#;

/// Recorded under node (see the header).
const RUST_ENV_STDOUT: &str = r#"A=1
B=2
SPUR_MISSING is None
"#;

/// Recorded under node (see the header).
const RUST_FS_STDOUT: &str = r#"hello from rust
second line
len 28 file true dir false
modified is set: true
after overwrite: "hello FROM rust"
after set_len: "hello"
listing: file0.txt(1) file1.txt(2) file2.txt(3)
renamed exists: true
old exists: false
copy: "0"
remove non-empty dir: Uncategorized
missing: NotFound
work exists after remove_dir_all: false
"#;

/// Recorded under node (see the header).
const RUST_STDIN_STDOUT: &str = r#"4 lines, 6 words, longest: "three four five"
"#;

/// Recorded under node (see the header).
const RUST_TIME_STDOUT: &str = r#"after 2024: true
slept >= 30ms: true
random state ok
"#;

/// Recorded under node (see the header).
const RUST_EXIT_STDOUT: &str = r#"exiting with 42
"#;

/// Recorded under node (see the header).
const LUA_STDOUT: &str = r#"Lua 5.4	on	test.lua	with	2	args:	x y
fib(24) =	46368
2^53+1 =	9007199254740993	maxinteger =	9223372036854775807	wrap:	true
pi=3.1415926536 e=2.718282e+00 sqrt2=1.41421
bits:	255	240	1099511627776	15	3	-4	-2	3.0
primes below 200000:	17984	largest:	199999
sorted:	brown jumps quick lazy over and cat dog fox the the the
freq:	and=1,brown=1,cat=1,dog=1,fox=1,jumps=1,lazy=1,over=1,quick=1,the=3
closures:	3	1
vector:	(3, 4)	5.0	true
gsub:	Hello, World! <246> + <912> = <1158>
find:	8	123	456
upper/rev:	HELLO	desserts	ab-ab-ab
bytes:	72	Lua
format %q:	"a \"quoted\"\
line"
pack:	12	-2	0.5	13
utf8:	Hä€😀	5	8364
load:	43
file:	5	lines,	50	bytes; at 6:	*	size:	50
rename:	true	true
remove:	true	true
missing:	no/such/file.txt: No such file or directory	44
escape:	true
env:	hi	nil
date:	1971-01-01 00:00:00	true
clock:	number	true
done
"#;

#[test]
fn poll_oneoff_clocks_and_stdio_readiness() {
    let file = wat("poll");
    let started = std::time::Instant::now();
    // nevents * 10000 + type * 100 + error (see poll.wat).
    for (name, stdin, want) in [
        ("sleep", "", "10000\n"),
        ("earliest_clock", "", "10000\n"),
        ("stdout_writable", "", "10200\n"),
        ("stdin_readable", "data\n", "10100\n"),
        ("bad_descriptor", "", "10108\n"),
        ("no_subscriptions", "", "28\n"),
    ] {
        let o = spur(&["invoke", &file, name], stdin);
        assert_eq!(
            (o.stdout.as_str(), o.stderr.as_str(), o.code),
            (want, "", 0),
            "{name}"
        );
    }
    // None of them waited for a 10 s clock.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn jit_params_are_listed_set_and_validated() {
    let list = spur(&["jit-params"], "");
    assert_eq!(list.code, 0);
    assert!(
        list.stdout
            .lines()
            .any(|l| l.starts_with("hotloop") && l.contains("56")),
        "{}",
        list.stdout
    );

    let hello = program("hello");
    let ok = spur(
        &[
            "run",
            "--jit-param",
            "hotloop=1",
            "--jit-param",
            "maxrecord=100",
            &hello,
        ],
        "",
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.starts_with("hello from wasi-libc\n"));

    for (bad, why) in [
        ("hotloop=0", "at least 1"),
        ("nosuch=3", "unknown JIT parameter"),
        ("hotloop", "expected NAME=VALUE"),
        ("hotloop=x", "not a number"),
    ] {
        let out = spur(&["run", "--jit-param", bad, &hello], "");
        assert_eq!(out.code, 1, "{bad}");
        assert_eq!(out.stderr.lines().count(), 1, "{bad}: {}", out.stderr);
        assert!(out.stderr.contains(why), "{bad}: {}", out.stderr);
    }
}

#[test]
fn jit_presets_are_listed_applied_and_overridden() {
    // The listing has a column per preset, with each preset's values (hotloop: 56 by
    // default, 16 interactive, 200 batch, 56 embedded), then the presets themselves.
    let list = spur(&["jit-params"], "");
    assert_eq!(list.code, 0);
    let header = list.stdout.lines().next().unwrap_or_default();
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns[..5],
        ["tunable", "default", "interactive", "batch", "embedded"],
        "{header}"
    );
    let hotloop: Vec<&str> = list
        .stdout
        .lines()
        .find(|l| l.starts_with("hotloop "))
        .unwrap_or_default()
        .split_whitespace()
        .take(5)
        .collect();
    assert_eq!(hotloop, ["hotloop", "56", "16", "200", "56"]);
    for name in ["interactive", "batch", "embedded", "none"] {
        assert!(
            list.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(name)),
            "{name}: {}",
            list.stdout
        );
    }

    let tmp = TempDir::new("preset");
    let file = tmp.path().join("hot.wat");
    std::fs::write(&file, HOT_LOOP_WAT).unwrap();
    let file = file.to_str().unwrap();
    let expected = format!("{}\n", hot_loop_result(3000));
    let traces = |args: &[&str]| {
        let mut all = vec!["invoke", "--stats"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[file, "run", "3000"]);
        let o = spur(&all, "");
        assert_eq!(
            (o.stdout.as_str(), o.code),
            (expected.as_str(), 0),
            "{}",
            o.stderr
        );
        o.stderr
    };
    // `none` is the interpreter: no JIT statistics at all.
    let none = traces(&["--jit-preset", "none"]);
    assert!(
        none.contains("interpreter (JIT off)") && !none.contains("jit:"),
        "{none}"
    );
    // `batch` waits 200 iterations per loop: 3000 iterations still get a trace.
    let batch = traces(&["--jit-preset", "batch"]);
    assert!(jit_stat(&batch, "traces compiled") >= 1.0, "{batch}");
    // An explicit --jit-param overrides the preset: no loop reaches 100,000 iterations.
    let waiting = traces(&["--jit-preset", "batch", "--jit-param", "hotloop=100000"]);
    assert_eq!(jit_stat(&waiting, "traces compiled"), 0.0, "{waiting}");

    let bad = spur(&["run", "--jit-preset", "fast", file], "");
    assert_eq!(bad.code, 1);
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("unknown JIT preset `fast`"),
        "{}",
        bad.stderr
    );
}

// ---- the trace JIT through the command line: --stats, --dump, --jit-param ----

/// A module with one hot loop: `run(n)` sums i for i < n, except that every fourth
/// iteration multiplies the sum by 3 instead (a branch the trace guards, so some runs exit).
const HOT_LOOP_WAT: &str = r#"(module
  (func (export "run") (param $n i32) (result i64)
    (local $i i32)
    (local $acc i64)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.and (local.get $i) (i32.const 3))
          (then (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i)))))
          (else (local.set $acc (i64.mul (local.get $acc) (i64.const 3)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $acc))
  (func (export "div") (param $n i32) (result i32)
    (local $i i32)
    (local $acc i32)
    (loop $top
      (local.set $acc (i32.add (local.get $acc)
        (i32.div_s (i32.const 1000) (i32.sub (local.get $n) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $top))
    (local.get $acc)))
"#;

/// `run(n)` of HOT_LOOP_WAT, computed here.
fn hot_loop_result(n: u32) -> i64 {
    let mut acc: i64 = 0;
    for i in 0..n {
        if i & 3 != 0 {
            acc = acc.wrapping_add(i64::from(i));
        } else {
            acc = acc.wrapping_mul(3);
        }
    }
    acc
}

/// The `  jit: NAME  VALUE` line of `--stats` output, as the number it starts with.
fn jit_stat(stderr: &str, name: &str) -> f64 {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("  jit: ")?.strip_prefix(name))
        .unwrap_or_else(|| panic!("no `jit: {name}` line in:\n{stderr}"));
    line.split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("`jit: {name}` is not followed by a number: {line:?}"))
}

#[test]
fn run_stats_prints_jit_statistics() {
    // The Lua interpreter (a real C program) running a hot Lua loop.
    let script = "local s = 0 for i = 1, 200000 do s = s + i % 7 end print(s)\n";
    let o = spur(&["run", "--stats", &program("lua"), "-"], script);
    assert_eq!((o.stdout.as_str(), o.code), ("599997\n", 0), "{}", o.stderr);
    assert!(
        o.stderr.contains("execution tier:") && o.stderr.contains("interpreter + trace JIT"),
        "{}",
        o.stderr
    );
    for name in [
        "traces compiled",
        "side traces",
        "trace entries",
        "exits taken",
        "aborted recordings",
        "blacklisted loops",
        "flushes",
        "machine code",
        "recording time",
        "compile time",
    ] {
        jit_stat(&o.stderr, name);
    }
    // 200,000 iterations of the Lua VM's dispatch loop: something gets compiled and run.
    assert!(
        jit_stat(&o.stderr, "traces compiled") >= 1.0,
        "{}",
        o.stderr
    );
    assert!(jit_stat(&o.stderr, "trace entries") >= 1.0, "{}", o.stderr);
    // The VM's dispatch takes many paths: the hot ones grow side traces.
    assert!(jit_stat(&o.stderr, "side traces") >= 1.0, "{}", o.stderr);
    // The statistics go to stderr only.
    assert!(!o.stdout.contains("jit:"));

    // The same run in the interpreter: the same output, and no JIT statistics.
    let o = spur(
        &["run", "--stats", "--no-jit", &program("lua"), "-"],
        script,
    );
    assert_eq!((o.stdout.as_str(), o.code), ("599997\n", 0), "{}", o.stderr);
    assert!(o.stderr.contains("interpreter (JIT off)"), "{}", o.stderr);
    assert!(!o.stderr.contains("trace JIT"), "{}", o.stderr);
    assert!(!o.stderr.contains("jit:"), "{}", o.stderr);

    // A WASI program with no hot loop to speak of still reports them (maybe all zero).
    let o = spur(&["run", "--stats", &program("hello")], "");
    assert_eq!(o.code, 0);
    jit_stat(&o.stderr, "traces compiled");
}

/// Checks that `dump` holds trace 1, whole, with its sections in order.
fn assert_dump_has_trace_1(dump: &str) {
    let mut at = 0;
    for section in [
        "---- TRACE 1 start func[",
        "---- TRACE 1 bytecode\n",
        "---- TRACE 1 IR\n",
        "---- TRACE 1 mcode ",
        "---- TRACE 1 stop -> ",
    ] {
        match dump[at..].find(section) {
            Some(i) => at += i + section.len(),
            None => panic!("the dump lacks {section:?} (after byte {at}):\n{dump}"),
        }
    }
    // The sections have content: the recorded loop, guards with snapshots, and machine code
    // (a byte count, then one instruction per line from offset 0).
    assert!(dump.contains("Loop { id: 0,"), "{dump}");
    assert!(dump.contains("Guard") && dump.contains("snap #0"), "{dump}");
    let mut lines = dump
        .lines()
        .skip_while(|l| !l.starts_with("---- TRACE 1 mcode "));
    let header = lines.next().unwrap_or_default();
    let bytes = header
        .strip_prefix("---- TRACE 1 mcode ")
        .and_then(|r| r.strip_suffix(" bytes"))
        .and_then(|n| n.parse::<usize>().ok());
    assert!(bytes.is_some_and(|n| n > 0), "{header:?}");
    let first = lines.next().unwrap_or_default();
    assert!(first.starts_with("00000  "), "{first:?}");
}

#[test]
fn invoke_trace_log_writes_json_lines() {
    let tmp = TempDir::new("trace-log");
    let file = tmp.path().join("hot.wat");
    std::fs::write(&file, HOT_LOOP_WAT).unwrap();
    let file = file.to_str().unwrap();
    let expected = format!("{}\n", hot_loop_result(1000));

    // One JSON object per line: trace 1 first, its counts when the store goes.
    let log = tmp.path().join("log.jsonl");
    let o = spur(
        &[
            "invoke",
            "--trace-log",
            log.to_str().unwrap(),
            file,
            "run",
            "1000",
        ],
        "",
    );
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (expected.as_str(), "", 0)
    );
    let text = std::fs::read_to_string(&log).expect("the log file was written");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(r#"{"event":"trace","trace":1,"parent":null,"#),
        "{text}"
    );
    assert!(lines[0].contains(r#""link":"-> loop""#), "{text}");
    let counts = r#"{"event":"counts","trace":1,"entries":"#;
    assert!(lines.iter().any(|l| l.starts_with(counts)), "{text}");
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with(r#"{"event":"run","seconds":"#),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with(r#"{"event":""#) && l.ends_with('}'))
    );

    // A log that cannot be created is an error before anything runs.
    let bad = tmp.path().join("no/such/dir/log.jsonl");
    let o = spur(
        &[
            "invoke",
            "--trace-log",
            bad.to_str().unwrap(),
            file,
            "run",
            "1000",
        ],
        "",
    );
    assert_eq!(o.stdout, "");
    assert_ne!(o.code, 0);
    assert!(
        o.stderr.contains("cannot create trace log file"),
        "{}",
        o.stderr
    );
}

#[test]
fn invoke_dump_writes_traces_to_a_file_or_stderr() {
    let tmp = TempDir::new("dump");
    let file = tmp.path().join("hot.wat");
    std::fs::write(&file, HOT_LOOP_WAT).unwrap();
    let file = file.to_str().unwrap();
    let expected = format!("{}\n", hot_loop_result(1000));

    // --dump=FILE: the dump goes to the file, nothing extra to stdout or stderr.
    let dump = tmp.path().join("traces.txt");
    let arg = format!("--dump={}", dump.display());
    let o = spur(&["invoke", &arg, file, "run", "1000"], "");
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.code),
        (expected.as_str(), "", 0)
    );
    let text = std::fs::read_to_string(&dump).expect("the dump file was written");
    assert_dump_has_trace_1(&text);

    // --dump alone: to stderr, the results still alone on stdout. (`--dump FILE`, with a
    // space, is `--dump` then the module: the value needs `=`.)
    let o = spur(&["invoke", "--dump", file, "run", "1000"], "");
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (expected.as_str(), 0),
        "{}",
        o.stderr
    );
    assert_dump_has_trace_1(&o.stderr);
    assert!(!o.stdout.contains("TRACE"));

    // A run that traps still leaves a complete dump behind, and exits as a trap.
    let dump = tmp.path().join("trap.txt");
    let arg = format!("--dump={}", dump.display());
    let o = spur(&["invoke", &arg, file, "div", "100"], "");
    assert_eq!(o.code, 134, "{}", o.stderr);
    assert!(
        o.stderr
            .starts_with("error: wasm trap: integer divide by zero\n"),
        "{}",
        o.stderr
    );
    assert_dump_has_trace_1(&std::fs::read_to_string(&dump).expect("the dump file"));

    // No dump asked for: none written anywhere.
    let o = spur(&["invoke", file, "run", "1000"], "");
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str()),
        (expected.as_str(), "")
    );

    // A dump file that cannot be created: one line, exit 1, and the program does not run.
    let bad = tmp.path().join("no-such-dir").join("traces.txt");
    let arg = format!("--dump={}", bad.display());
    let e = spur_error(&["invoke", &arg, file, "run", "1000"]);
    assert!(
        e.starts_with(&format!(
            "error: cannot create dump file `{}`: ",
            bad.display()
        )) && e.contains("No such file or directory"),
        "{e}"
    );
    let e = spur_error(&["run", &arg, &program("hello")]);
    assert!(e.starts_with("error: cannot create dump file"), "{e}");
}

#[test]
fn dump_shows_a_switch_table_as_data_not_instructions() {
    let file = format!("{}/traces/switch.wat", env!("CARGO_MANIFEST_DIR"));
    let o = spur(&["invoke", "--dump", &file, "run", "1000"], "");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_dump_has_trace_1(&o.stderr);
    // The root dispatches through a table of 32-bit offsets after its code: shown as
    // 64-bit data words (the last may hold one offset), none decoded as an instruction.
    let words: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.contains("  .data "))
        .collect();
    assert!(words.len() >= 2, "{}", o.stderr);
    assert!(
        words.iter().all(|l| {
            l.split(".data ").nth(1).is_some_and(|w| {
                matches!(w.len(), 8 | 16) && w.chars().all(|c| c.is_ascii_hexdigit())
            })
        }),
        "{words:?}"
    );
    assert!(!o.stderr.contains("(bad)"), "{}", o.stderr);
}

#[test]
fn hotloop_1_gives_the_interpreter_s_results() {
    let tmp = TempDir::new("hotloop1");
    let hot = tmp.path().join("hot.wat");
    std::fs::write(&hot, HOT_LOOP_WAT).unwrap();
    let hot = hot.to_str().unwrap().to_string();
    let traces = |name: &str| format!("{}/traces/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    // (module, function, arguments)
    let mut cases: Vec<(String, &str, Vec<&str>)> = Vec::new();
    // Loops that end at once, after one iteration, after a few, and after many.
    for n in ["0", "1", "2", "3", "5", "17", "1000"] {
        cases.push((hot.clone(), "run", vec![n]));
        for name in ["counted_loop", "loop_call", "float_loop", "trapping_div"] {
            cases.push((traces(name), "run", vec![n]));
        }
        // Table index 4 is out of bounds, br_table index 4 is the default.
        for k in ["0", "1", "3", "4"] {
            cases.push((traces("indirect_call"), "run", vec![n, k]));
            cases.push((traces("br_table"), "run", vec![n, k]));
        }
    }
    // Division by zero after 1, 7 and 100 iterations: the same trap and backtrace.
    for n in ["1", "7", "100"] {
        cases.push((hot.clone(), "div", vec![n]));
    }
    for (file, func, args) in &cases {
        let mut jit = vec!["invoke", "--jit-param", "hotloop=1", file, func];
        let mut interp = vec!["invoke", "--no-jit", file, func];
        jit.extend(args);
        interp.extend(args);
        let (j, i) = (spur(&jit, ""), spur(&interp, ""));
        assert_eq!(
            (j.stdout.as_str(), j.stderr.as_str(), j.code),
            (i.stdout.as_str(), i.stderr.as_str(), i.code),
            "{file} {func} {args:?}: JIT (hotloop=1) and interpreter differ"
        );
    }
    // The loop program's results are right, not only equal.
    let o = spur(
        &["invoke", "--jit-param", "hotloop=1", &hot, "run", "1000"],
        "",
    );
    assert_eq!(o.stdout, format!("{}\n", hot_loop_result(1000)));
}

#[test]
fn profile_lists_functions_with_their_counts_and_trace_share() {
    let tmp = TempDir::new("profile");
    let file = tmp.path().join("count.wat");
    // `run(n)` calls `$inc` n times from a loop of n iterations.
    std::fs::write(
        &file,
        r#"(module
          (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func $run (export "run") (param $n i32) (result i32) (local $i i32)
            (loop $l
              (local.set $i (call $inc (local.get $i)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
            (local.get $i)))"#,
    )
    .unwrap();
    let file = file.display().to_string();
    for jit in [&[][..], &["--no-jit"][..]] {
        let mut args = vec!["invoke", "--profile"];
        args.extend_from_slice(jit);
        args.extend_from_slice(&[&file, "run", "100000"]);
        let o = spur(&args, "");
        assert_eq!((o.code, o.stdout.as_str()), (0, "100000\n"), "{}", o.stderr);
        assert!(o.stderr.starts_with("spur profile: "), "{}", o.stderr);
        // time%, traces%, calls, loop iterations, traces, then the name.
        let row = |name: &str| -> Vec<String> {
            let line = o.stderr.lines().find(|l| l.ends_with(name));
            let line = line.unwrap_or_else(|| panic!("no {name} in:\n{}", o.stderr));
            line.split_whitespace().map(str::to_string).collect()
        };
        assert_eq!(
            row("inc (func 0)")[2..5],
            ["100000", "0", "0"],
            "{}",
            o.stderr
        );
        let run = row("run (func 1)");
        assert_eq!(run[2..4], ["1", "100000"], "{}", o.stderr);
        let traces = if jit.is_empty() { "1" } else { "0" };
        assert_eq!(run[4], traces, "{}", o.stderr);
    }
    let bad = spur(&["invoke", "--profile=everything", &file, "run", "1"], "");
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("summary"), "{}", bad.stderr);
}

#[test]
fn profile_of_the_lua_interpreter_shows_its_dispatch_function_in_traces() {
    let script = "local s = 0 for i = 1, 3000000 do s = s + i % 7 end print(s)";
    let o = spur(&["run", "--profile", &program("lua"), "-e", script], "");
    // The sum of i % 7 for i = 1..3,000,000: 428,571 cycles of 1 + 2 + ... + 6 + 0 (21 each),
    // then 1, 2, 3 (3,000,000 = 7 * 428,571 + 3).
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "8999997\n"),
        "{}",
        o.stderr
    );
    let samples: u64 = o
        .stderr
        .strip_prefix("spur profile: ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no profile header:\n{}", o.stderr));
    let line = o
        .stderr
        .lines()
        .find(|l| l.contains(" luaV_execute (func "));
    let cols: Vec<&str> = line
        .unwrap_or_else(|| panic!("luaV_execute is not listed:\n{}", o.stderr))
        .split_whitespace()
        .collect();
    // One call runs the whole chunk; its loop has a root trace.
    assert_eq!(cols[2], "1", "{}", o.stderr);
    assert!(cols[3].parse::<u64>().unwrap() >= 3_000_000, "{}", o.stderr);
    assert_ne!(cols[4], "0", "{}", o.stderr);
    if samples > 0 {
        let in_traces: f64 = cols[1].parse().expect("a share in traces");
        assert!(in_traces > 50.0, "{}", o.stderr);
    }
}

#[test]
fn runaway_recursion_prints_a_short_backtrace() {
    let tmp = TempDir::new("runaway");
    let file = tmp.path().join("rec.wat");
    std::fs::write(&file, r#"(module (func $f (export "f") (call $f)))"#).unwrap();
    let o = spur(&["invoke", &file.display().to_string(), "f"], "");
    assert_eq!(o.code, 134, "{}", o.stderr);
    let lines: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(
        lines[..2],
        ["error: wasm trap: call stack exhausted", "wasm backtrace:"]
    );
    // 100,000 frames (the default call depth): the innermost 20, a count of the 99,970
    // in between, the outermost 10.
    assert_eq!(lines.len(), 2 + 20 + 1 + 10, "{}", o.stderr);
    assert_eq!(lines[2].trim(), "0:     0x1e - f");
    assert_eq!(lines[22].trim(), "... 99970 more frames ...");
    assert_eq!(lines[32].trim(), "99999:     0x1e - f");
}

#[test]
fn timeout_stops_an_endless_loop_with_its_own_exit_status() {
    let tmp = TempDir::new("timeout");
    let file = tmp.path().join("spin.wat");
    std::fs::write(&file, r#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
    let file = file.display().to_string();
    for jit in [&[][..], &["--no-jit"][..]] {
        let mut args = vec!["invoke", "--timeout", "200ms"];
        args.extend_from_slice(jit);
        args.extend_from_slice(&[&file, "spin"]);
        let started = std::time::Instant::now();
        let o = spur(&args, "");
        let took = started.elapsed();
        assert_eq!(o.code, 124, "{}", o.stderr);
        assert_eq!(
            o.stderr,
            "error: timed out after 200ms (wasm trap: interrupt)\n"
        );
        // The deadline, plus process start-up and a loaded machine's slack.
        assert!(took >= std::time::Duration::from_millis(200), "{took:?}");
        assert!(took < std::time::Duration::from_millis(1000), "{took:?}");
    }
    let bad = spur(&["invoke", "--timeout", "soon", &file, "spin"], "");
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("not a duration"), "{}", bad.stderr);
}

#[test]
fn fuel_stops_a_program_with_its_own_exit_status() {
    let tmp = TempDir::new("fuel");
    let file = tmp.path().join("count.wat");
    // 8 fuel per iteration, 1 to return the count: 8n + 1.
    std::fs::write(
        &file,
        r#"(module (func (export "count") (param $n i32) (result i32) (local $i i32)
             (loop $l
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
             (local.get $i)))"#,
    )
    .unwrap();
    let file = file.display().to_string();
    for jit in [&[][..], &["--no-jit"][..]] {
        let run = |fuel: &str| {
            let mut args = vec!["invoke", "--fuel", fuel];
            args.extend_from_slice(jit);
            args.extend_from_slice(&[&file, "count", "10000"]);
            spur(&args, "")
        };
        let enough = run("80001");
        assert_eq!(
            (enough.code, enough.stdout.as_str()),
            (0, "10000\n"),
            "{}",
            enough.stderr
        );
        let short = run("80000");
        assert_eq!(short.code, 125, "{}", short.stderr);
        assert_eq!(
            short.stderr,
            "error: ran out of fuel after 80000 (wasm trap: all fuel consumed by WebAssembly)\n"
        );
    }
    let bad = spur(&["invoke", "--fuel", "-1", &file, "count", "1"], "");
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn max_memory_limits_growth() {
    let tmp = TempDir::new("max-memory");
    let file = tmp.path().join("grow.wat");
    // Grows one page at a time until refused; returns how many growths succeeded.
    std::fs::write(
        &file,
        r#"(module (memory 1 100)
          (func (export "grow_all") (result i32) (local $n i32)
            (block $done
              (loop $l
                (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (br $l)))
            (local.get $n)))"#,
    )
    .unwrap();
    let file = file.display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["invoke"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[&file, "grow_all"]);
        spur(&args, "")
    };
    // 1 MiB is 16 pages: 15 growths from 1; without a limit, the type's 100 pages.
    for (extra, grown) in [(&["--max-memory", "1MiB"][..], "15\n"), (&[][..], "99\n")] {
        let o = run(extra);
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (0, grown),
            "{extra:?}: {}",
            o.stderr
        );
    }
    let o = run(&["--max-memory", "1MiB", "--no-jit"]);
    assert_eq!(o.stdout, "15\n");
    let bad = run(&["--max-memory", "lots"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("not a size"), "{}", bad.stderr);
}

/// A loop whose adds take a shifted index (`a + (i << k)`), as array addressing does:
/// 32-bit sums that wrap past 2^32, a 64-bit sum, and a store and load through one.
const SCALED_INDEX_WAT: &str = r#"(module
  (memory 1)
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $base i32) (local $s i32) (local $t i64) (local $acc i32)
    (local.set $base (i32.or (i32.mul (local.get $n) (i32.const 0x01000193))
                             (i32.const 0xfffff000)))
    (loop $l
      (local.set $s (i32.xor (i32.rotl (local.get $s) (i32.const 5))
                             (i32.add (local.get $base)
                                      (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $t (i64.add (local.get $t)
                             (i64.add (i64.extend_i32_u (local.get $base))
                                      (i64.shl (i64.extend_i32_u (local.get $i))
                                               (i64.const 3)))))
      (i32.store (i32.add (i32.const 4096)
                          (i32.shl (i32.and (local.get $i) (i32.const 255)) (i32.const 2)))
                 (local.get $i))
      (local.set $acc (i32.add (local.get $acc)
                               (i32.load (i32.add (i32.const 4096)
                                                  (i32.shl (i32.and (i32.sub (local.get $i)
                                                                             (i32.const 1))
                                                                    (i32.const 255))
                                                           (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.xor (i64.xor (i64.extend_i32_u (local.get $s)) (local.get $t))
             (i64.shl (i64.extend_i32_u (local.get $acc)) (i64.const 32)))))"#;

/// What `SCALED_INDEX_WAT`'s `run(n)` returns, computed here.
fn scaled_index_result(n: u32) -> i64 {
    let base = n.wrapping_mul(0x0100_0193) | 0xffff_f000;
    let (mut s, mut t, mut acc, mut words) = (0u32, 0u64, 0u32, [0u32; 256]);
    let mut i = 0u32;
    loop {
        s = s.rotate_left(5) ^ base.wrapping_add(i << 2);
        t = t.wrapping_add(u64::from(base) + (u64::from(i) << 3));
        words[(i & 255) as usize] = i;
        acc = acc.wrapping_add(words[(i.wrapping_sub(1) & 255) as usize]);
        i += 1;
        if i >= n {
            break;
        }
    }
    (u64::from(s) ^ t ^ (u64::from(acc) << 32)) as i64
}

#[test]
fn adds_of_a_shifted_index_compile_to_one_instruction_and_wrap_as_wasm_does() {
    let tmp = TempDir::new("scaled");
    let file = tmp.path().join("scaled.wat");
    std::fs::write(&file, SCALED_INDEX_WAT).unwrap();
    let file = file.to_str().unwrap();
    for n in ["1", "2", "1000"] {
        let expected = format!("{}\n", scaled_index_result(n.parse().unwrap()));
        let interp = spur(&["invoke", "--no-jit", file, "run", n], "");
        assert_eq!(interp.stdout, expected, "interpreter, n = {n}");
        let jit = spur(&["invoke", "--jit-param", "hotloop=1", file, "run", n], "");
        assert_eq!(
            (jit.stdout.as_str(), jit.code),
            (expected.as_str(), 0),
            "JIT, n = {n}"
        );
    }
    let o = spur(&["invoke", "--dump", file, "run", "1000"], "");
    assert_dump_has_trace_1(&o.stderr);
    // The 32-bit adds scale by 4, the 64-bit one by 8; no shift is left for them.
    let count = |what: &str, scale: &str| {
        o.stderr
            .lines()
            .filter(|l| l.contains(what) && l.contains(scale))
            .count()
    };
    if cfg!(target_arch = "aarch64") {
        // An add with a shifted operand; a shift on its own would be `lsl` (`ubfm`).
        let (by4, by8) = (count(" add ", ", lsl #2"), count(" add ", ", lsl #3"));
        assert!(by4 >= 2 && by8 >= 1, "{}", o.stderr);
        let mnemonic = |l: &str| l.split_whitespace().nth(1).unwrap_or_default().to_string();
        let shifts = o.stderr.lines().map(mnemonic);
        assert!(
            !shifts
                .into_iter()
                .any(|m| m == "lsl" || m.starts_with("ubf")),
            "{}",
            o.stderr
        );
    } else {
        assert!(
            count(" lea ", "*4]") >= 2 && count(" lea ", "*8]") >= 1,
            "{}",
            o.stderr
        );
        assert!(!o.stderr.contains(" shl "), "{}", o.stderr);
    }
}

//! `spur::wasi` through the embedding API (no command line): a `WasiCtx` built with in-memory
//! stdio and preopens, inside a store's own data type, running the programs in
//! tests/wasi/bin. The expected outputs are the node-recorded ones of tests/cli.rs.

use spur::wasi::{self, Errno, MemoryInputPipe, MemoryOutputPipe, WasiCtx, WasiCtxBuilder};
use spur::{Engine, Linker, Module, Store};
use std::path::PathBuf;

/// A store's data with WASI inside it, as an embedder would have it.
struct Host {
    wasi: WasiCtx,
    calls: u32,
}

fn program(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/wasi/bin/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("test program")
}

/// Runs `_start` of `wasm` with `ctx`; returns the exit status.
fn run(wasm: &[u8], ctx: WasiCtx) -> i32 {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).expect("compile");
    let mut linker: Linker<Host> = Linker::new(&engine);
    wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).expect("add WASI");
    let mut store = Store::new(
        &engine,
        Host {
            wasi: ctx,
            calls: 0,
        },
    );
    store.data_mut().calls += 1;
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiate");
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .expect("_start");
    match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => e
            .i32_exit_status()
            .unwrap_or_else(|| panic!("not an exit: {e}")),
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("spur-wasi-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn captured_stdio_arguments_and_environment() {
    let (stdout, stderr) = (MemoryOutputPipe::new(), MemoryOutputPipe::new());
    let ctx = WasiCtxBuilder::new()
        .args(&["hello.wasm", "5", "two words"])
        .env("GREETING", "hi")
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build();
    assert_eq!(run(&program("hello"), ctx), 5);
    let out = String::from_utf8(stdout.contents()).unwrap();
    assert!(
        out.starts_with("hello from wasi-libc\nargc=3\nargv[1]=\"5\"\nargv[2]=\"two words\"\n"),
        "{out}"
    );
    assert!(
        out.ends_with("GREETING=hi\nUNSET=(unset)\nenviron has 1 entries\n"),
        "{out}"
    );
    assert_eq!(stderr.contents(), b"this line goes to stderr\n");
}

#[test]
fn stdin_from_memory() {
    let stdout = MemoryOutputPipe::new();
    let ctx = WasiCtx::builder()
        .arg("rust.wasm")
        .arg("stdin")
        .stdin(MemoryInputPipe::new("one two\nthree four five\n\nsix"))
        .stdout(stdout.clone())
        .build();
    assert_eq!(run(&program("rust"), ctx), 0);
    assert_eq!(
        stdout.contents(),
        b"4 lines, 6 words, longest: \"three four five\"\n"
    );
}

#[test]
fn default_context_grants_nothing() {
    // No arguments, no environment, empty stdin, discarded output, no directories.
    let ctx = WasiCtxBuilder::new().build();
    assert_eq!(run(&program("hello"), ctx), 0);
    let stdout = MemoryOutputPipe::new();
    let ctx = WasiCtxBuilder::new()
        .args(&["rust.wasm", "ls"])
        .stdout(stdout.clone())
        .build();
    // read_dir(".") with no preopen fails, so the program panics (a trap, not an exit).
    let engine = Engine::default();
    let module = Module::new(&engine, program("rust")).unwrap();
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
    let mut store = Store::new(&engine, ctx);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let err = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap()
        .call(&mut store, ())
        .unwrap_err();
    assert!(err.is_trap(), "{err}");
    assert!(stdout.contents().is_empty());
}

/// A listing much larger than wasi-libc's readdir buffer needs several `fd_readdir` calls,
/// each continuing from the cookie of the last.
#[test]
fn large_directory_listing_continues_by_cookie() {
    let tmp = TempDir::new("readdir");
    for i in 1..=400 {
        std::fs::write(
            tmp.0.join(format!(
                "file-with-a-rather-long-name-to-fill-the-readdir-buffer-{i}.txt"
            )),
            "",
        )
        .unwrap();
    }
    let stdout = MemoryOutputPipe::new();
    let ctx = WasiCtxBuilder::new()
        .args(&["rust.wasm", "ls"])
        .stdout(stdout.clone())
        .preopened_dir(&tmp.0, ".")
        .unwrap()
        .build();
    assert_eq!(run(&program("rust"), ctx), 0);
    // Recorded under node with the same 400 files.
    assert_eq!(
        String::from_utf8(stdout.contents()).unwrap(),
        "400 entries, 25092 name bytes\n\
         first Some(\"file-with-a-rather-long-name-to-fill-the-readdir-buffer-1.txt\"), \
         last Some(\"file-with-a-rather-long-name-to-fill-the-readdir-buffer-99.txt\")\n"
    );
}

#[test]
fn preopened_directory_under_a_guest_name() {
    let tmp = TempDir::new("guest-name");
    std::fs::write(tmp.0.join("note.txt"), "note\n").unwrap();
    let stdout = MemoryOutputPipe::new();
    let ctx = WasiCtxBuilder::new()
        .args(&["rust.wasm", "ls", "/data"])
        .stdout(stdout.clone())
        .preopened_dir(&tmp.0, "/data")
        .unwrap()
        .build();
    assert_eq!(run(&program("rust"), ctx), 0);
    assert_eq!(
        stdout.contents(),
        b"1 entries, 8 name bytes\nfirst Some(\"note.txt\"), last Some(\"note.txt\")\n"
    );
}

#[test]
fn preopen_of_a_missing_directory_is_an_error() {
    let err = WasiCtxBuilder::new()
        .preopened_dir("/no/such/dir/for/spur", "x")
        .map(drop)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot open directory `/no/such/dir/for/spur`: "),
        "{err}"
    );
}

#[test]
fn errno_values_are_wasi_preview1() {
    assert_eq!(Errno::BADF.0, 8);
    assert_eq!(Errno::FAULT.0, 21);
    assert_eq!(Errno::NOENT.0, 44);
    assert_eq!(Errno::PERM.0, 63);
    assert_eq!(Errno::NOTCAPABLE.0, 76);
    assert_eq!(Errno::NOENT.to_string(), "no such file or directory");
    assert_eq!(wasi::MODULE, "wasi_snapshot_preview1");
}

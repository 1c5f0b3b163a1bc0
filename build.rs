//! Chooses the interpreter's dispatch (see `src/interp/exec/threaded.rs`): threaded
//! dispatch, where each instruction's function jumps to the next, needs LLVM to turn those
//! calls into jumps, which it does from opt-level 2 on; without that, the native stack
//! would grow with every instruction run. Other builds use the dispatch loop.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(spur_threaded)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=SPUR_DISPATCH");
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let optimized = matches!(env("OPT_LEVEL").as_str(), "2" | "3");
    let arch = matches!(env("CARGO_CFG_TARGET_ARCH").as_str(), "x86_64" | "aarch64");
    let windows = env("CARGO_CFG_TARGET_OS") == "windows";
    // `SPUR_DISPATCH=loop` keeps the loop in any build (to compare the two).
    let forced_loop = env("SPUR_DISPATCH") == "loop";
    if optimized && arch && !windows && !forced_loop {
        println!("cargo::rustc-cfg=spur_threaded");
    }
}

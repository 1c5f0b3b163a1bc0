//! WASI preview 1 (`wasi_snapshot_preview1`): what programs built with wasi-libc or Rust's
//! `wasm32-wasip1` target import, implemented for spur's [`Linker`](crate::Linker).
//!
//! The API follows Wasmtime's: a [`WasiCtx`] made by a [`WasiCtxBuilder`] lives in the
//! store's data, and [`add_to_linker`] defines the WASI functions over it.
//!
//! Files are reached only through preopened directories, with cap-std resolving every path
//! beneath its directory handle: `..` past a preopen, absolute paths and symlinks that lead
//! outside are refused (`EPERM`, as in Wasmtime). Sockets are not supported.
//!
//! Layout: `types` (the ABI: errno, flags, structures), `guest` (checked access to guest
//! memory), `ctx` (the context and its builder), `fd` (the descriptor table and `fd_*`),
//! `path` (`path_*`), `clock` (clocks, `poll_oneoff`, randomness), `pipe` (in-memory stdio),
//! `preview1` (the imported functions: argument decoding and the linker glue).

mod clock;
mod ctx;
mod fd;
mod guest;
mod path;
mod pipe;
mod preview1;
mod types;

pub use ctx::{WasiCtx, WasiCtxBuilder};
pub use pipe::{MemoryInputPipe, MemoryOutputPipe};
pub use preview1::{MODULE, add_to_linker};
pub use types::Errno;

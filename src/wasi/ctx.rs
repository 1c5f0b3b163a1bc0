//! [`WasiCtx`], the WASI host state a store carries (arguments, environment, descriptor
//! table), and [`WasiCtxBuilder`], which makes one.

use super::fd::{Descriptor, FdTable, Input, OpenDir, Output};
use crate::Error;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;

/// The state of one WASI program: its arguments, environment and open descriptors.
///
/// Put it in (or inside) a [`Store`](crate::Store)'s data and register the WASI functions
/// with [`add_to_linker`](super::add_to_linker).
pub struct WasiCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<String>,
    pub(crate) fds: FdTable,
}

impl WasiCtx {
    /// A builder for a context.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }
}

impl std::fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiCtx")
            .field("args", &self.args)
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

/// Builds a [`WasiCtx`], in the style of Wasmtime's `WasiCtxBuilder`.
///
/// By default the program has no arguments, no environment, no directories, an empty stdin,
/// and stdout/stderr that discard what is written.
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
    preopens: Vec<(cap_std::fs::Dir, String)>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

impl WasiCtxBuilder {
    /// A builder with nothing granted.
    pub fn new() -> WasiCtxBuilder {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Input {
                stream: Box::new(std::io::empty()),
                host: false,
                tty: false,
            },
            stdout: Output {
                stream: Box::new(std::io::sink()),
                tty: false,
            },
            stderr: Output {
                stream: Box::new(std::io::sink()),
                tty: false,
            },
            preopens: Vec::new(),
        }
    }

    /// Appends one argument (the first one is the program name, `argv[0]`).
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<S: AsRef<str>>(&mut self, args: &[S]) -> &mut Self {
        self.args
            .extend(args.iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// Passes the host process's arguments.
    pub fn inherit_args(&mut self) -> &mut Self {
        self.args.extend(std::env::args());
        self
    }

    /// Sets one environment variable.
    pub fn env(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sets environment variables.
    pub fn envs<K: AsRef<str>, V: AsRef<str>>(&mut self, vars: &[(K, V)]) -> &mut Self {
        self.env.extend(
            vars.iter()
                .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string())),
        );
        self
    }

    /// Passes the host process's environment.
    pub fn inherit_env(&mut self) -> &mut Self {
        self.env.extend(std::env::vars());
        self
    }

    /// Reads the program's stdin from `r`.
    pub fn stdin(&mut self, r: impl Read + Send + 'static) -> &mut Self {
        self.stdin = Input {
            stream: Box::new(r),
            host: false,
            tty: false,
        };
        self
    }

    /// Sends the program's stdout to `w`.
    pub fn stdout(&mut self, w: impl Write + Send + 'static) -> &mut Self {
        self.stdout = Output {
            stream: Box::new(w),
            tty: false,
        };
        self
    }

    /// Sends the program's stderr to `w`.
    pub fn stderr(&mut self, w: impl Write + Send + 'static) -> &mut Self {
        self.stderr = Output {
            stream: Box::new(w),
            tty: false,
        };
        self
    }

    /// Gives the program the host process's stdin.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        let tty = std::io::stdin().is_terminal();
        self.stdin = Input {
            stream: Box::new(std::io::stdin()),
            host: true,
            tty,
        };
        self
    }

    /// Gives the program the host process's stdout.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        let tty = std::io::stdout().is_terminal();
        self.stdout = Output {
            stream: Box::new(std::io::stdout()),
            tty,
        };
        self
    }

    /// Gives the program the host process's stderr.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        let tty = std::io::stderr().is_terminal();
        self.stderr = Output {
            stream: Box::new(std::io::stderr()),
            tty,
        };
        self
    }

    /// Gives the program the host process's stdin, stdout and stderr.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// Grants access to the host directory `host`, which the program sees as `guest`.
    /// Nothing outside it is reachable through it. Fails if `host` cannot be opened as a
    /// directory.
    pub fn preopened_dir(
        &mut self,
        host: impl AsRef<Path>,
        guest: impl Into<String>,
    ) -> Result<&mut Self, Error> {
        let host = host.as_ref();
        let dir = cap_std::fs::Dir::open_ambient_dir(host, cap_std::ambient_authority())
            .map_err(|e| Error::msg(format!("cannot open directory `{}`: {e}", host.display())))?;
        self.preopens.push((dir, guest.into()));
        Ok(self)
    }

    /// Makes the context. The builder is left empty (as [`WasiCtxBuilder::new`]).
    pub fn build(&mut self) -> WasiCtx {
        let b = std::mem::take(self);
        let mut fds = FdTable::default();
        for d in [
            Descriptor::Input(b.stdin),
            Descriptor::Output(b.stdout),
            Descriptor::Output(b.stderr),
        ] {
            fds.insert(d).expect("three descriptors fit");
        }
        for (dir, name) in b.preopens {
            fds.insert(Descriptor::Dir(OpenDir {
                dir,
                preopen: Some(name),
                listing: None,
            }))
            .expect("preopens fit in the descriptor table");
        }
        WasiCtx {
            args: b.args,
            env: b.env.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
            fds,
        }
    }
}

//! The one error type of the embedding API.
//!
//! An [`Error`] is a compile error (malformed, invalid or unsupported module), a link error
//! (unknown or mismatched import), a trap, a host error passed through from a host function,
//! a WASI-style process exit, a misuse of the API, or a module file that could not be read. [`Error::kind`] tells them apart.

use crate::runtime::trap::{Trap, TrapCode};
use std::fmt;

/// What kind of failure an [`Error`] is.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The module bytes are malformed, invalid, or use an unsupported feature.
    Compile(String),
    /// Instantiation could not satisfy an import, or a definition does not fit.
    Link(String),
    /// Execution trapped.
    Trap(Trap),
    /// A host function returned this error; it is passed through unchanged.
    Host(Box<dyn std::error::Error + Send + Sync>),
    /// The program asked to exit with this status (WASI `proc_exit`).
    Exit(i32),
    /// A misuse of the API, such as a type mismatch in `Func::call` arguments.
    Usage(String),
    /// A module file could not be read (`Module::from_file`).
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why it could not be read.
        error: std::io::Error,
    },
}

/// The error type of every fallible operation in spur.
///
/// ```
/// use spur::{Engine, ErrorKind, Instance, Module, Store, TrapCode};
///
/// let engine = Engine::default();
/// assert!(Module::new(&engine, b"\0asm\x02\0\0\0").unwrap_err().is_compile());
///
/// let module = Module::new(&engine, r#"
///     (module (func (export "div") (param i32 i32) (result i32)
///       (i32.div_u (local.get 0) (local.get 1))))
/// "#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let div = instance.get_typed_func::<(i32, i32), i32>(&mut store, "div")?;
/// let err = div.call(&mut store, (1, 0)).unwrap_err();
/// assert_eq!(err.trap_code(), Some(TrapCode::IntegerDivideByZero));
/// assert!(matches!(err.kind(), ErrorKind::Trap(_)));
/// assert!(err.to_string().contains("integer divide by zero"));
/// # Ok::<(), spur::Error>(())
/// ```
pub struct Error {
    kind: Box<ErrorKind>,
}

impl Error {
    pub(crate) fn from_kind(kind: ErrorKind) -> Error {
        Error {
            kind: Box::new(kind),
        }
    }

    /// A host error carrying a message. Host functions return it to abort execution.
    pub fn msg(message: impl fmt::Display) -> Error {
        Error::host(StrError(message.to_string()))
    }

    /// A host error wrapping any error value.
    pub fn host(error: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::from_kind(ErrorKind::Host(Box::new(error)))
    }

    /// An exit request with the given status, as WASI's `proc_exit` raises.
    pub fn i32_exit(status: i32) -> Error {
        Error::from_kind(ErrorKind::Exit(status))
    }

    pub(crate) fn compile(message: impl fmt::Display) -> Error {
        Error::from_kind(ErrorKind::Compile(message.to_string()))
    }

    pub(crate) fn link(message: impl fmt::Display) -> Error {
        Error::from_kind(ErrorKind::Link(message.to_string()))
    }

    pub(crate) fn usage(message: impl fmt::Display) -> Error {
        Error::from_kind(ErrorKind::Usage(message.to_string()))
    }

    /// What kind of error this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The trap, if this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match &*self.kind {
            ErrorKind::Trap(trap) => Some(trap),
            _ => None,
        }
    }

    /// The trap code, if this error is a trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        self.as_trap().map(Trap::code)
    }

    /// Whether this error is a trap.
    pub fn is_trap(&self) -> bool {
        self.as_trap().is_some()
    }

    /// Whether this error is a link error.
    pub fn is_link(&self) -> bool {
        matches!(&*self.kind, ErrorKind::Link(_))
    }

    /// Whether this error is a compile error.
    pub fn is_compile(&self) -> bool {
        matches!(&*self.kind, ErrorKind::Compile(_))
    }

    /// The exit status, if this error is an exit request.
    pub fn i32_exit_status(&self) -> Option<i32> {
        match &*self.kind {
            ErrorKind::Exit(status) => Some(*status),
            _ => None,
        }
    }

    /// The host error, if this error came from a host function.
    pub fn as_host(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match &*self.kind {
            ErrorKind::Host(e) => Some(&**e),
            _ => None,
        }
    }

    /// Downcasts a host error to its concrete type.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.as_host().and_then(|e| e.downcast_ref::<E>())
    }
}

impl From<Trap> for Error {
    fn from(trap: Trap) -> Error {
        Error::from_kind(ErrorKind::Trap(trap))
    }
}

impl From<TrapCode> for Error {
    fn from(code: TrapCode) -> Error {
        Error::from(Trap::from(code))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            ErrorKind::Compile(m) => write!(f, "compile error: {m}"),
            ErrorKind::Link(m) => write!(f, "link error: {m}"),
            ErrorKind::Trap(t) => write!(f, "{t}"),
            ErrorKind::Host(e) => write!(f, "{e}"),
            ErrorKind::Exit(s) => write!(f, "exit with status {s}"),
            ErrorKind::Usage(m) => write!(f, "{m}"),
            ErrorKind::Io { path, error } => write!(f, "cannot read `{}`: {error}", path.display()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.kind {
            ErrorKind::Trap(t) => Some(t),
            ErrorKind::Host(e) => Some(&**e),
            ErrorKind::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// A plain message used by [`Error::msg`].
#[derive(Debug)]
struct StrError(String);

impl fmt::Display for StrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StrError {}

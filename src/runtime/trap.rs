//! Traps: the spec's run-time errors, as a code plus a WebAssembly backtrace.
//!
//! A trap has one implementation: the interpreter raises it at the trapping instruction. The
//! JIT never raises traps itself; its guards exit to the interpreter, which re-executes the
//! instruction and traps here. The messages are exactly the spec testsuite's.

use std::fmt;

macro_rules! trap_codes {
    ($( $(#[$doc:meta])* $name:ident => $msg:literal, )*) => {
        /// Why a WebAssembly execution trapped.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[non_exhaustive]
        pub enum TrapCode {
            $( $(#[$doc])* $name, )*
        }

        impl TrapCode {
            /// All trap codes, in declaration order.
            pub const ALL: &'static [TrapCode] = &[$(TrapCode::$name),*];

            /// The spec's message for this trap.
            pub fn message(self) -> &'static str {
                match self {
                    $( TrapCode::$name => $msg, )*
                }
            }
        }
    };
}

trap_codes! {
    /// An `unreachable` instruction was executed.
    Unreachable => "unreachable",
    /// Integer division or remainder by zero.
    IntegerDivideByZero => "integer divide by zero",
    /// Signed division overflow (`INT_MIN / -1`) or an out-of-range float-to-int conversion.
    IntegerOverflow => "integer overflow",
    /// Float-to-int conversion of a NaN.
    BadConversionToInteger => "invalid conversion to integer",
    /// A memory access outside the linear memory.
    MemoryOutOfBounds => "out of bounds memory access",
    /// A table access outside the table.
    TableOutOfBounds => "out of bounds table access",
    /// `call_indirect` with an index outside the table.
    UndefinedElement => "undefined element",
    /// `call_indirect` through a null table entry.
    UninitializedElement => "uninitialized element",
    /// `call_indirect` to a function of another signature.
    IndirectCallTypeMismatch => "indirect call type mismatch",
    /// The call depth or value stack limit was exceeded.
    StackOverflow => "call stack exhausted",
    /// The store's epoch deadline passed (`Config::epoch_interruption`).
    Interrupt => "interrupt",
    /// The store's fuel ran out (`Config::consume_fuel`).
    OutOfFuel => "all fuel consumed by WebAssembly",
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// One frame of a WebAssembly backtrace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// Index of the function in its module's function index space.
    pub func_index: u32,
    /// The function's name from the name section, if any.
    pub func_name: Option<String>,
    /// Byte offset of the instruction in the module binary.
    pub module_offset: usize,
}

/// A trap: its code and the WebAssembly frames active when it happened, innermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    code: TrapCode,
    frames: Vec<FrameInfo>,
}

impl Trap {
    pub(crate) fn new(code: TrapCode, frames: Vec<FrameInfo>) -> Trap {
        Trap { code, frames }
    }

    /// Why execution trapped.
    pub fn code(&self) -> TrapCode {
        self.code
    }

    /// The WebAssembly frames at the trap, innermost first.
    pub fn frames(&self) -> &[FrameInfo] {
        &self.frames
    }
}

impl From<TrapCode> for Trap {
    fn from(code: TrapCode) -> Trap {
        Trap {
            code,
            frames: Vec::new(),
        }
    }
}

/// A backtrace deeper than `BACKTRACE_HEAD + BACKTRACE_TAIL` frames (runaway recursion) is
/// shown as its innermost `BACKTRACE_HEAD` frames, a line counting those left out, and its
/// outermost `BACKTRACE_TAIL`; `Trap::frames` keeps them all.
const BACKTRACE_HEAD: usize = 20;
const BACKTRACE_TAIL: usize = 10;

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code)?;
        if self.frames.is_empty() {
            return Ok(());
        }
        f.write_str("\nwasm backtrace:")?;
        let n = self.frames.len();
        let shown = |i: usize| {
            n <= BACKTRACE_HEAD + BACKTRACE_TAIL || i < BACKTRACE_HEAD || i >= n - BACKTRACE_TAIL
        };
        for (i, frame) in self.frames.iter().enumerate() {
            if !shown(i) {
                if i == BACKTRACE_HEAD {
                    let left_out = n - BACKTRACE_HEAD - BACKTRACE_TAIL;
                    write!(f, "\n       ... {left_out} more frames ...")?;
                }
                continue;
            }
            let name = match &frame.func_name {
                Some(name) => name.clone(),
                None => format!("<func {}>", frame.func_index),
            };
            write!(f, "\n  {i:>3}: {:#8x} - {name}", frame.module_offset)?;
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}

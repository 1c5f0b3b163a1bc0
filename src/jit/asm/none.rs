//! The backend of an architecture spur has no code generator for: it generates
//! nothing, and says why.
//!
//! It exists so that the architecture-neutral JIT (recording, IR, passes, trace trees)
//! builds on every target. It is never reached: there, `Config::jit_enabled` is false,
//! so the interpreter counts no loops and records nothing.

use super::{Alloc, Arch, Assembled, Unit};
use crate::jit::ir::{Ins, Ir};
use crate::jit::record::Abort;

/// No code generator.
pub(crate) struct NoBackend;

impl Arch for NoBackend {
    const GPRS: &'static [u8] = &[];
    const FPRS: &'static [u8] = &[];
    const MAX_SPILLS: usize = 0;
    const GPR_WORDS: usize = 0;
    const FPR_WORDS: usize = 0;
    const POOLED_INTS: bool = false;

    fn assemble(_: &Ir<'_>, _: &Alloc, _: &Unit) -> Result<Assembled, Abort> {
        Err(Abort::NoBackend)
    }

    fn retarget(_: &mut [u8], _: u32, _: usize, _: usize) -> bool {
        false
    }

    fn jump(_: usize, _: usize) -> Option<Vec<u8>> {
        None
    }

    fn disasm(_: &[u8], _: usize) -> String {
        String::new()
    }

    fn fuses(_: &Ir<'_>, _: &Ins, _: &Ins) -> bool {
        false
    }
}

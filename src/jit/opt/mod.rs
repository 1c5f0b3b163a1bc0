//! Optimization passes over the trace IR, one per file. FOLD and CSE run as each
//! instruction is emitted (`fold`, and `Ir::emit`), FOLD forwarding stored values to
//! loads (`mem`); LOOP and DCE run once the recording is complete, in that order.

pub(crate) mod dce;
pub(crate) mod fold;
pub(crate) mod loop_;
pub(crate) mod mem;

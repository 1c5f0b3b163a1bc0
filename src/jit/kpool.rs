//! The float constants that blinded traces read from memory: one pool per store, in
//! ordinary (never executable) memory, which the code reaches through the trace context
//! (`TraceCtx::kpool`).
//!
//! With constant blinding on, a constant from the module must not appear in machine
//! code, where its bytes could spell out instructions. An integer constant is rebuilt
//! from `value ^ key` in a register; a float one would need that, and a move to a float
//! register, at every use. From here it is two loads at its use (the pool's address
//! from the context, then the constant), off the computation's critical path as an
//! unblinded constant's load from the trace's own pool is, so a trace keeps no register
//! for it and passes none across links. Sits beside the backends: `trace::compile` gives
//! each float constant of a trace a place here before the backend assembles it.

use std::cell::Cell;
use std::collections::HashMap;

/// Constants the pool holds: past it, blinded float constants are rebuilt in code.
pub(crate) const WORDS: usize = 1024;

/// A store's pool of float constants (see the module header).
pub(crate) struct KPool {
    /// The constants' bits. Allocated once and never moved: every context points here,
    /// and traces compiled later read their constants through any of them.
    words: Box<[Cell<u64>]>,
    /// Where each constant is.
    at: HashMap<u64, u32>,
}

impl KPool {
    pub(crate) fn new() -> KPool {
        KPool {
            words: (0..WORDS).map(|_| Cell::new(0)).collect(),
            at: HashMap::new(),
        }
    }

    /// The pool's first word, which the trace context holds.
    pub(crate) fn base(&self) -> *const u64 {
        // `Cell<u64>` has `u64`'s layout.
        self.words.as_ptr().cast()
    }

    /// The index of constant `bits` in the pool, added if it is not there yet; `None`
    /// when the pool is full.
    pub(crate) fn intern(&mut self, bits: u64) -> Option<u32> {
        if let Some(&i) = self.at.get(&bits) {
            return Some(i);
        }
        let i = self.at.len();
        let word = self.words.get(i)?;
        word.set(bits);
        self.at.insert(bits, i as u32);
        Some(i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_keep_their_place_until_the_pool_is_full() {
        let mut pool = KPool::new();
        let base = pool.base();
        assert_eq!(pool.intern(0x4000_0000_0000_0000), Some(0));
        assert_eq!(pool.intern(7), Some(1));
        assert_eq!(pool.intern(0x4000_0000_0000_0000), Some(0));
        for k in 2..WORDS as u64 {
            assert_eq!(pool.intern(k << 32), Some(k as u32));
        }
        assert_eq!(pool.intern(1), None);
        assert_eq!(pool.base(), base);
        // SAFETY: index 1 is inside the pool, which `pool` keeps alive.
        assert_eq!(unsafe { *base.add(1) }, 7);
    }
}

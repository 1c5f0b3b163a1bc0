//! The constants that blinded traces read from memory: one pool per store, in the data
//! words at the start of the store's code area (`McodeArea::data`), which are never
//! executable.
//!
//! With constant blinding on, a constant from the module must not appear in machine
//! code, where its bytes could spell out instructions. Rebuilt in a register from
//! `value ^ key`, a constant costs two instructions at every use, and a float one a move
//! to a float register besides. From the pool it is one load, or none at all where the
//! instruction can take it as a memory operand: the x86-64 backend reads it
//! RIP-relative (the area keeps its data within reach of all its code), the AArch64
//! backend through the pool's address in the trace context (`TraceCtx::kpool`). Either
//! way a trace keeps no register for it and passes none across links. Sits beside the
//! backends: `trace::compile` gives each such constant of a trace a place here before
//! the backend assembles it.

use std::collections::HashMap;

/// A store's pool of constants (see the module header): where each one is in the
/// area's data.
#[derive(Default)]
pub(crate) struct KPool {
    at: HashMap<u64, u32>,
}

impl KPool {
    /// The index of constant `bits` in `data` (the code area's data words, which this
    /// pool alone fills), written there if it is not there yet; `None` when `data` is
    /// full.
    pub(crate) fn intern(&mut self, data: &mut [u64], bits: u64) -> Option<u32> {
        if let Some(&i) = self.at.get(&bits) {
            return Some(i);
        }
        let i = self.at.len();
        *data.get_mut(i)? = bits;
        self.at.insert(bits, i as u32);
        Some(i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_keep_their_place_until_the_pool_is_full() {
        let mut data = vec![0; 64];
        let mut pool = KPool::default();
        assert_eq!(pool.intern(&mut data, 0x4000_0000_0000_0000), Some(0));
        assert_eq!(pool.intern(&mut data, 7), Some(1));
        assert_eq!(pool.intern(&mut data, 0x4000_0000_0000_0000), Some(0));
        for k in 2..64 {
            assert_eq!(pool.intern(&mut data, k << 32), Some(k as u32));
        }
        assert_eq!(pool.intern(&mut data, 1), None);
        assert_eq!(data[1], 7);
        assert_eq!(data[63], 63 << 32);
    }
}

//! Slot liveness of a translated function: which slots some later instruction may still
//! read before writing them.
//!
//! The interpreter never needs this; the JIT does. A snapshot (an exit's interpreter
//! state) only has to restore the slots that are live where the interpreter resumes, and a
//! loop trace only carries live slots around its backedge. Dead temporaries — an operand
//! the next instruction took from the accumulator, a comparison already branched on — then
//! cost no register, no spill slot and no store on exit.
//!
//! A backward dataflow over the bytecode, computed once per function when a recording
//! first asks ([`CompiledFunc::liveness`]) and kept with the translation. Operands come
//! from [`Instr::for_each_operand`]; the few instructions that read a range of slots
//! (calls, bulk memory and table operations, `ReturnMany`) are taken to read every slot
//! from the range's start to the end of the frame, which is never wrong, only less
//! precise. Only `dst` kills a slot.

use super::bytecode::{Instr, Slot};
use super::translate::CompiledFunc;

/// Functions whose bitsets would take more words than this are not analyzed: every slot
/// counts as live (a snapshot as large as without the analysis, never a wrong one).
const MAX_WORDS: usize = 1 << 22;

/// The live-in slots of every instruction of one function.
pub(crate) struct Liveness {
    /// Words per instruction.
    words: usize,
    /// `words` words per instruction: bit `s` is set when slot `s` is live on entry.
    bits: Box<[u64]>,
}

impl Liveness {
    /// Analyzes `f`, or `None` when it is too large to be worth it.
    pub(crate) fn compute(f: &CompiledFunc) -> Option<Liveness> {
        let code = &f.code;
        let words = (f.frame_size as usize).div_ceil(64).max(1);
        if code.len().checked_mul(words)? > MAX_WORDS {
            return None;
        }
        let frame = f.frame_size;
        let mut bits = vec![0u64; code.len() * words].into_boxed_slice();
        let mut row = vec![0u64; words];
        let mut changed = true;
        while changed {
            changed = false;
            for i in (0..code.len()).rev() {
                row.fill(0);
                for s in successors(code, i) {
                    for (w, &b) in row.iter_mut().zip(&bits[s * words..(s + 1) * words]) {
                        *w |= b;
                    }
                }
                transfer(&code[i], frame, &mut row);
                let live = &mut bits[i * words..(i + 1) * words];
                if *live != *row {
                    live.copy_from_slice(&row);
                    changed = true;
                }
            }
        }
        Some(Liveness { words, bits })
    }

    /// Whether `slot` is live on entry to instruction `at` (true when out of range: an
    /// unknown answer must keep the slot).
    pub(crate) fn is_live(&self, at: usize, slot: u32) -> bool {
        let w = slot as usize / 64;
        w >= self.words
            || self
                .bits
                .get(at * self.words + w)
                .is_none_or(|b| b >> (slot % 64) & 1 != 0)
    }
}

/// Live-out to live-in across one instruction: kill the result, add the operands.
fn transfer(instr: &Instr, frame: u32, row: &mut [u64]) {
    let bit = |s: u32| (s as usize / 64, 1u64 << (s % 64));
    let mut kill = None;
    let mut from = frame;
    match *instr {
        Instr::Call { args, .. }
        | Instr::CallEpoch { args, .. }
        | Instr::CallImport { args, .. }
        | Instr::CallIndirect { args, .. }
        | Instr::CallIndirectEpoch { args, .. }
        | Instr::MemoryFill { args }
        | Instr::MemoryCopy { args }
        | Instr::MemoryInit { args, .. }
        | Instr::TableGrow { args, .. }
        | Instr::TableFill { args, .. }
        | Instr::TableCopy { args, .. }
        | Instr::TableInit { args, .. } => from = args.0,
        Instr::ReturnMany { src, .. } => from = src.0,
        // `Select` keeps its first operand in `dst`: a read, not a kill.
        Instr::Select { .. } => {}
        _ => {
            let mut copy = *instr;
            kill = copy.dst_mut().map(|d| d.0);
        }
    }
    if let Some(d) = kill.filter(|&d| d < frame) {
        let (w, b) = bit(d);
        row[w] &= !b;
    }
    let mut reads = |s: Slot| {
        if s.0 < frame {
            let (w, b) = bit(s.0);
            row[w] |= b;
        }
    };
    if let Instr::Select { dst, .. } = *instr {
        reads(dst);
    }
    instr.for_each_operand(&mut reads);
    for s in from..frame {
        reads(Slot(s));
    }
}

/// The instructions that may run right after instruction `i`.
fn successors(code: &[Instr], i: usize) -> impl Iterator<Item = usize> + '_ {
    let instr = code[i];
    let (first, last, target) = match instr {
        Instr::Unreachable
        | Instr::Return
        | Instr::ReturnSlot { .. }
        | Instr::ReturnImm { .. }
        | Instr::ReturnMany { .. } => (1, 0, None),
        Instr::Br { off } => (1, 0, Some(off)),
        Instr::BrTable { len, .. } => (i + 1, i + 1 + len as usize, None),
        _ => {
            let mut copy = instr;
            (i + 1, i + 1, copy.branch_offset_mut().map(|o| *o))
        }
    };
    let target = target.map(|off| (i as i64 + i64::from(off)) as usize);
    (first..=last)
        .chain(target)
        .filter(move |&s| s < code.len())
}

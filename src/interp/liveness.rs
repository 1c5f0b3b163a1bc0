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
//! from [`Instr::for_each_operand`], plus the ranges a few instructions read: a call its
//! parameters (`CompiledFunc::call_params`), a bulk memory or table operation its two
//! or three operands, `ReturnMany` every slot from its first result on. `dst` and `dst2`
//! kill a slot (`Copy2`'s two destinations each, in order), and a call every slot from its
//! arguments on: the callee's frame starts there,
//! and the translation never reads a slot above the operand stack before writing it.

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
                transfer(f, i, &mut row);
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

/// Live-out to live-in across instruction `i` of `f`: kill what it writes, add what it
/// reads.
fn transfer(f: &CompiledFunc, i: usize, row: &mut [u64]) {
    let (instr, frame) = (f.code[i], f.frame_size);
    // Marks slot `s` live or dead before the instruction (slots past the frame are
    // never live).
    let mut set = |s: u32, live: bool| {
        if s < frame {
            let (w, b) = (s as usize / 64, 1u64 << (s % 64));
            row[w] = if live { row[w] | b } else { row[w] & !b };
        }
    };
    // Two copies in order, the second first (backwards): `dst2 = src2`, then `dst = src`.
    if let Instr::Copy2 {
        dst,
        src,
        dst2,
        src2,
    } = instr
    {
        for (d, s) in [(Slot::from(dst2), Slot::from(src2)), (dst, src)] {
            set(d.0, false);
            set(s.0, true);
        }
        return;
    }
    // The slots written, and a range read besides the operands.
    let (mut kill, mut range) = (0..0, 0..0);
    let from = |args: Slot, count: u32| args.0..args.0.saturating_add(count).min(frame);
    match instr {
        // The callee's frame starts at `args`: the call reads the parameters there, and
        // afterwards every slot from `args` on holds the results or the callee's leftovers
        // (above the operand stack, which the translation never reads before writing).
        _ if let Some(args) = instr.call_args() => {
            let params = f.call_params(i).unwrap_or(frame);
            (kill, range) = (args.0..frame, from(args, params));
        }
        Instr::MemoryFill { args }
        | Instr::MemoryCopy { args }
        | Instr::MemoryInit { args, .. }
        | Instr::TableFill { args, .. }
        | Instr::TableCopy { args, .. }
        | Instr::TableInit { args, .. } => range = from(args, 3),
        Instr::TableGrow { args, .. } => range = from(args, 2),
        Instr::ReturnMany { src, .. } => range = src.0..frame,
        // `Select` keeps its first operand in `dst`: a read, not a kill.
        Instr::Select { .. } => {}
        _ => {
            let mut copy = instr;
            if let Some(d) = copy.dst_mut() {
                kill = d.0..d.0 + 1;
            }
        }
    }
    kill.for_each(|d| set(d, false));
    // A fused pair's second result (a step's copy, a summed load's sum), or the slot a
    // copy in memory loads into and its store pops.
    if let Some(d) = instr.dst2() {
        set(d.0, false);
    }
    if let Instr::Select { dst, .. } = instr {
        set(dst.0, true);
    }
    instr.for_each_operand(|s| set(s.0, true));
    range.for_each(|s| set(s, true));
}

/// The instructions that may run right after instruction `i`.
fn successors(code: &[Instr], i: usize) -> impl Iterator<Item = usize> + '_ {
    let instr = code[i];
    let (first, last, target) = match instr {
        _ if matches!(instr, Instr::Unreachable) || instr.returns() => (1, 0, None),
        Instr::Br { off } | Instr::Case { off, .. } => (1, 0, Some(off)),
        Instr::BrTable { len, .. } | Instr::BrTableA { len, .. } => {
            (i + 1, i + 1 + len as usize, None)
        }
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

#[cfg(test)]
mod tests {
    use crate::interp::bytecode::Instr;
    use crate::{Engine, Module};

    /// Function 1 of `wat`, translated, and the index and `args` of its first
    /// instruction that `args_of` picks.
    fn at_first(wat: &str, args_of: fn(&Instr) -> Option<u32>) -> (bool, Vec<bool>) {
        let module = Module::new(&Engine::default(), wat).unwrap();
        let f = module.code.compiled(&module.inner, 1).unwrap();
        let (i, args) = f
            .code
            .iter()
            .enumerate()
            .find_map(|(i, instr)| args_of(instr).map(|a| (i, a)))
            .expect("the instruction");
        let live = f.liveness().expect("analyzed");
        let above = (args..f.frame_size).map(|s| live.is_live(i, s)).collect();
        (args < f.frame_size, above)
    }

    /// Function 1 of `wat`, translated: the operands of its first instruction that `is`
    /// picks, and which slots below `slots` are live `rows` instructions after it.
    fn operands_and_live(
        wat: &str,
        is: fn(&Instr) -> bool,
        slots: u32,
        rows: &[usize],
    ) -> (Vec<u32>, Vec<Vec<bool>>) {
        let module = Module::new(&Engine::default(), wat).unwrap();
        let f = module.code.compiled(&module.inner, 1).unwrap();
        let i = f.code.iter().position(is).expect("the instruction");
        let mut read = Vec::new();
        f.code[i].for_each_operand(|s| read.push(s.0));
        let live = f.liveness().expect("analyzed");
        let row = |r: usize| (0..slots).map(|s| live.is_live(i + r, s)).collect();
        (read, rows.iter().map(|&r| row(r)).collect())
    }

    #[test]
    fn a_call_reads_its_parameters_and_nothing_above_them() {
        let wat = r#"(module
            (func $f (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
            (func (param $a i32) (result i32)
              (i32.add
                (i32.mul (local.get $a) (i32.const 5))
                (call $f (i32.mul (local.get $a) (i32.const 3))
                         (i32.add (local.get $a) (i32.const 1))))))"#;
        let (inside, above) = at_first(wat, |i| match *i {
            Instr::Call { args, .. } => Some(args.0),
            _ => None,
        });
        assert!(inside);
        assert_eq!(&above[..2], &[true, true], "the two parameters");
        assert!(
            above[2..].iter().all(|&l| !l),
            "slots above them: {above:?}"
        );
    }

    #[test]
    fn a_double_copy_writes_both_destinations() {
        // Two local copies in a row become one `Copy2`: `$x` and `$y` are written
        // there, not read, so neither is live before it.
        let wat = r#"(module
            (func $f)
            (func (param $a i32) (param $b i32) (result i32) (local $x i32) (local $y i32)
              (local.set $x (local.get $a))
              (local.set $y (local.get $b))
              (i32.add (local.get $x) (local.get $y))))"#;
        let (read, live) = operands_and_live(wat, |i| matches!(i, Instr::Copy2 { .. }), 4, &[0]);
        assert_eq!(read, [0, 1], "the operands: $a and $b, not $y");
        assert_eq!(live[0], [true, true, false, false], "$a $b $x $y");
    }

    #[test]
    fn a_step_copied_on_writes_both_destinations() {
        // `$i = $j = $a + 5` becomes one `I32AddImmCopy`, which reads `$a` and writes `$j`,
        // then `$i` (as the `Copy` left behind it does): only `$a` is live before it, though
        // `$i` is read after it.
        let wat = r#"(module
            (func $f)
            (func (param $a i32) (result i32) (local $i i32) (local $j i32)
              (local.set $i (local.tee $j (i32.add (local.get $a) (i32.const 5))))
              (i32.sub (local.get $j) (local.get $i))))"#;
        let fused = |i: &Instr| matches!(i, Instr::I32AddImmCopy { .. });
        let (read, live) = operands_and_live(wat, fused, 3, &[0, 2]);
        assert_eq!(read, [0], "the operand: $a");
        assert_eq!(live[0], [true, false, false], "$a $i $j");
        assert!(live[1][1], "$i after the pair");
    }

    #[test]
    fn a_memory_fill_reads_its_three_operands() {
        let wat = r#"(module (memory 1)
            (func $f)
            (func (param $a i32) (result i32)
              (memory.fill (local.get $a) (i32.const 7) (i32.add (local.get $a) (i32.const 2)))
              (i32.mul (local.get $a) (i32.const 3))))"#;
        let (inside, above) = at_first(wat, |i| match *i {
            Instr::MemoryFill { args } => Some(args.0),
            _ => None,
        });
        assert!(inside);
        assert_eq!(&above[..3], &[true, true, true], "the three operands");
        assert!(
            above[3..].iter().all(|&l| !l),
            "slots above them: {above:?}"
        );
    }
}

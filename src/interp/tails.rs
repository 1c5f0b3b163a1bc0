//! Tail duplication, the translation's last pass over the code before `br_table` cases
//! are resolved: a `Br` to a short straight run of code that itself ends in a `Br` is
//! replaced by a copy of that run, so the interpreter dispatches one instruction fewer
//! there.
//!
//! Bytecode interpreters compiled to WebAssembly end every opcode's case with a branch to
//! a shared tail (fetch the next opcode, decode its operands) that branches on to the
//! dispatch: with the tail copied into each case, only the branch to the dispatch is left.
//!
//! A run qualifies when it has at most [`MAX_RUN`] instructions, every one but its final
//! `Br` writes a slot (`dst`) and branches nowhere (operators, loads, `global.get` and the
//! like; never a call, a store, a check that only traps, a fuel or epoch check or a loop
//! header with its counter), and the `Br` being replaced is not inside it. The copy is
//! exact: its first instruction is a branch target, so never an accumulator form; a fused
//! pair is copied whole; each copied instruction keeps its code offset and folded
//! constant; and the copied `Br` jumps where the original does. A `Br` that is the
//! second half of a fused `I32AddImmBr` is left alone: the pair runs as one instruction
//! and resumes there only from a trace's exit.

use super::bytecode::Instr;
use super::layout::{Layout, relayout};

/// The most instructions a copied run has, its final `Br` included.
const MAX_RUN: usize = 6;

/// Replaces each qualifying `Br` with a copy of the run it jumps to (see the module
/// header).
pub(super) fn duplicate(c: Layout<'_>) {
    let runs: Vec<_> = (0..c.code.len()).map(|s| run_at(c.code, s)).collect();
    if runs.iter().all(Option::is_none) {
        return;
    }
    let runs: Vec<_> = (runs.into_iter().enumerate())
        .map(|(s, run)| Some(run.map_or(s..=s, |(t, e)| t..=e)))
        .collect();
    relayout(c, &runs);
}

/// The run that the `Br` at `s` jumps to, as its first and last positions, if it
/// qualifies (see the module header).
fn run_at(code: &[Instr], s: usize) -> Option<(usize, usize)> {
    let Instr::Br { off } = code[s] else {
        return None;
    };
    if s > 0 && matches!(code[s - 1], Instr::I32AddImmBr { .. }) {
        return None;
    }
    let t = usize::try_from(s as i64 + i64::from(off)).ok()?;
    let run = code.get(t..(t + MAX_RUN).min(code.len()))?;
    let end = run.iter().position(|i| matches!(i, Instr::Br { .. }))?;
    let e = t + end;
    let plain = |mut i: Instr| i.branch_offset_mut().is_none() && i.dst_mut().is_some();
    (!(t..=e).contains(&s) && run[..end].iter().all(|&i| plain(i))).then_some((t, e))
}

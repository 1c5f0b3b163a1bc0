//! Tail duplication, the translation's last pass over the code before `br_table` cases
//! are resolved: a `Br` to a short straight run of code that ends in a branch is replaced
//! by a copy of that run, so the interpreter dispatches one instruction fewer there.
//!
//! Bytecode interpreters compiled to WebAssembly end every opcode's case with a branch to
//! a shared tail (fetch the next opcode, decode its operands) that branches on to the
//! dispatch: with the tail copied into each case, only the branch to the dispatch is left.
//! And a loop whose body branches over its `else` part to the loop's closing test (a
//! counted loop's step and test, or any conditional branch back) gets the test copied
//! into that arm, followed by a `Br` to where the test falls through to: the `Br` runs
//! once, when the loop ends, instead of once per iteration.
//!
//! A run qualifies when it has at most [`MAX_RUN`] instructions, every one but its final
//! branch writes a slot (`dst`) and branches nowhere (operators, loads, `global.get` and
//! the like; never a call, a store, a check that only traps, a fuel or epoch check or a
//! loop header with its counter), and the `Br` being replaced is not inside it. The final
//! branch is a `Br`, a conditional branch, a fused step or copy and branch
//! (`I32AddImmBr*`, `CopyBr`, copied with the branch it was made from, which it skips) or
//! a guarded conversion (`*Guarded`, which always jumps). The copy is exact: its first
//! instruction, a branch target, is an accumulator form only where every way in, the
//! replaced `Br` among them, passes the same accumulator on (see
//! `translate::use_accumulator`); a fused pair is copied whole; each copied instruction
//! keeps its code offset and folded constant; and each copied branch jumps where the
//! original does. A `Br` that is the second half of a fused `I32AddImmBr` or `CopyBr` is
//! left alone: the pair runs as one instruction and resumes there only from a trace's
//! exit.

use super::bytecode::Instr;
use super::layout::{Layout, Piece, relayout};

/// The most instructions a copied run has, its final branch (and the second half of a
/// fused one) included.
const MAX_RUN: usize = 6;

/// Replaces each qualifying `Br` with a copy of the run it jumps to (see the module
/// header).
pub(super) fn duplicate(c: Layout<'_>) {
    let pieces: Vec<_> = (0..c.code.len()).map(|s| run_at(c.code, s)).collect();
    if pieces.iter().all(Option::is_none) {
        return;
    }
    let pieces: Vec<_> = (pieces.into_iter().enumerate())
        .map(|(s, piece)| piece.unwrap_or(Piece::kept(s)))
        .collect();
    relayout(c, &pieces);
}

/// Whether the `Br` at `s` is replaced by a copy of the run it jumps to: then fusing it
/// with the instruction before it would save no dispatch.
pub(super) fn copies_target(code: &[Instr], s: usize) -> bool {
    run_at(code, s).is_some()
}

/// What the `Br` at `s` becomes, if the run it jumps to qualifies (see the module
/// header): a copy of the run, then, when the run ends in a conditional branch, a `Br`
/// to where the original goes on when it falls through.
fn run_at(code: &[Instr], s: usize) -> Option<Piece> {
    let Instr::Br { off } = code[s] else {
        return None;
    };
    if s > 0
        && matches!(
            code[s - 1],
            Instr::I32AddImmBr { .. } | Instr::CopyBr { .. }
        )
    {
        return None;
    }
    let t = usize::try_from(s as i64 + i64::from(off)).ok()?;
    let run = code.get(t..(t + MAX_RUN).min(code.len()))?;
    let branches = |mut i: Instr| i.branch_offset_mut().is_some();
    let plain = |mut i: Instr| !branches(i) && i.dst_mut().is_some();
    let e = t + run.iter().position(|&i| !plain(i))?;
    let (last, then) = match code[e] {
        Instr::Br { .. } => (e, None),
        // A fused step or copy and branch, which never falls through past its `Br`.
        Instr::I32AddImmBr { .. } | Instr::CopyBr { .. } => (e + 1, None),
        Instr::Case { .. } => return None,
        // A guarded conversion, which always jumps.
        guarded if guarded.guarded_trunc().is_some() => (e, None),
        branch if branches(branch) => {
            // A fused test skips the branch it was made from.
            let last = if skips_branch(branch) { e + 1 } else { e };
            (last, Some(last + 1))
        }
        _ => return None,
    };
    let fits = last < (t + MAX_RUN).min(code.len()) && then.is_none_or(|f| f < code.len());
    (fits && !(t..=last).contains(&s)).then_some(Piece {
        run: Some(t..=last),
        then,
    })
}

/// Whether `i` is a conditional branch fused behind another instruction (`I32AddImmBr*`
/// but the unconditional `I32AddImmBr`, `Const32BrIf*`), which falls through past the
/// branch it was made from.
fn skips_branch(mut i: Instr) -> bool {
    let step = i.step_counter_mut().is_some() && !matches!(i, Instr::I32AddImmBr { .. });
    step || matches!(
        i,
        Instr::Const32BrIfNez { .. } | Instr::Const32BrIfEqz { .. }
    )
}

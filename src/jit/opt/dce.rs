//! DCE: dead-code elimination after the LOOP pass.
//!
//! Invariant: an instruction survives if it has an effect (stores, calls), is a guard,
//! marks the loop, or its value is used by a surviving instruction, a PHI, or the
//! snapshot of a surviving guard. Everything else becomes `Nop` (the buffer keeps its
//! positions, so references stay valid).

use crate::jit::ir::{Ir, Op, flag};

/// Replaces every dead instruction of `ir` by `Nop`.
pub(crate) fn run(ir: &mut Ir<'_>) {
    let n = ir.len();
    let mut live = vec![false; n];
    for (i, ins) in ir.ins.iter().enumerate() {
        if ins.op.has(flag::EFFECT | flag::GUARD | flag::KEEP)
            || matches!(ins.op, Op::Loop | Op::Phi)
        {
            live[i] = true;
        }
    }
    for snap in &ir.snaps {
        for &(_, r) in &snap.entries {
            live[r.idx()] = true;
        }
        if !snap.acc.is_none() {
            live[snap.acc.idx()] = true;
        }
    }
    // Operands precede their users, so one backward sweep reaches every transitive use.
    for i in (0..n).rev() {
        if !live[i] {
            continue;
        }
        let ins = ir.ins[i];
        for r in ins.operands() {
            live[r.idx()] = true;
        }
    }
    for (i, ins) in ir.ins.iter_mut().enumerate() {
        if !live[i] && ins.op != Op::K {
            ins.op = Op::Nop;
            ins.a = crate::jit::ir::Ref::NONE;
            ins.b = crate::jit::ir::Ref::NONE;
            ins.c = crate::jit::ir::Ref::NONE;
        }
    }
}

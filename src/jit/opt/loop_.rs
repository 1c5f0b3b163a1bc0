//! LOOP: copy-substitution of the recorded iteration, so the loop body is optimized
//! against what the first iteration already computed (after LuaJIT's `lj_opt_loop`).
//!
//! The recorded iteration becomes the loop's pre-roll; after a `Loop` marker, every
//! instruction is emitted again with its operands substituted: a slot's entry value
//! becomes the value that slot has at the end of the first iteration. FOLD and CSE then
//! turn loop-invariant work (and invariant loads and bounds checks, when nothing in the
//! loop writes memory) into references to the pre-roll: it runs once. Values that change
//! per iteration get a PHI (left: the value entering the loop, right: the value at the
//! end of an iteration), resolved by moves before the backward jump.
//!
//! Invariant: CSE may only reuse a pre-roll instruction that does not depend on a slot
//! the loop modifies, nor on a value such a slot ends the iteration with (a PHI left
//! side), since a reused instruction is not recomputed. Nor may FOLD look into the
//! instruction of such a value (`Cse::is_opaque`): in the body, a PHI left side stands
//! for the previous iteration's value, which that instruction computed only for the
//! first.
//! Guards copied into the body get snapshots that merge the loop-entry slot map with
//! the substituted entries of the original snapshot; a native call's, like the
//! recorded one, leaves the callee's frame to memory.

use crate::jit::ir::{Ins, Ir, IrFull, Op, Ref, Snapshot, flag};

/// Emits the loop body and its PHIs after the recorded iteration in `ir`; `modified` is
/// the slot map at the end of the iteration (modified slots only).
pub(crate) fn unroll(ir: &mut Ir<'_>, modified: &[(u32, Ref)]) -> Result<(), IrFull> {
    let n1 = ir.len();
    let is_modified = |slot: u64| modified.iter().any(|&(s, _)| u64::from(s) == slot);
    // The values slots have at the end of the iteration are what the body starts from:
    // they become PHI left sides, updated every iteration, so the body may use them. What
    // the iteration computed from them after them (the next iteration's work done early,
    // as when the same value is used again) holds the first iteration's result in every
    // iteration: it is variant, unless the left side cannot change (a constant, or a slot
    // the loop does not modify).
    let mut left = vec![false; n1];
    for &(_, r) in modified {
        let ins = ir.ins[r.idx()];
        let fixed = ir.konst(r).is_some() || (ins.op == Op::Sload && !is_modified(ins.aux));
        left[r.idx()] = !fixed;
    }
    let mut variant = vec![false; n1];
    let mut effects = false;
    for i in 0..n1 {
        let ins = ir.ins[i];
        effects |= ins.op.has(flag::EFFECT);
        variant[i] = (ins.op == Op::Sload && is_modified(ins.aux))
            || ins.operands().any(|r| variant[r.idx()] || left[r.idx()]);
    }
    for &(_, r) in modified {
        variant[r.idx()] = false;
    }
    // Checks before the loop that stand for the body's (what they compute is invariant,
    // and the body does not copy them).
    let n0 = n1;
    let hoisted = super::bounds::hoist(ir, modified, &variant)?;
    let n1 = ir.len();
    // What they compute from a slot's end-of-iteration value is variant, as above.
    for i in n0..n1 {
        let ins = ir.ins[i];
        let v = ins.operands().any(|r| {
            r.idx() < n0 && (variant[r.idx()] || left[r.idx()]) || r.idx() >= n0 && variant[r.idx()]
        });
        variant.push(v);
    }
    // A guard's cap on a value the loop changes held for the value the pre-roll gave it:
    // in the body, only the body's own copy of the guard caps it again. (A check hoisted
    // before the loop has no copy in the body.)
    ir.caps
        .retain(|r, _| !variant[r.idx()] && !left.get(r.idx()).is_some_and(|&l| l));
    ir.cse.set_loop(n1, variant, left, effects);
    ir.push(Ins::new(
        Op::Loop,
        crate::jit::ir::Ty::Void,
        Ref::NONE,
        Ref::NONE,
        0,
    ))?;

    let mut subst: Vec<Ref> = (0..n1 as u32).map(Ref).collect();
    for &(slot, r) in modified {
        if let Some(i) =
            (0..n1).find(|&i| ir.ins[i].op == Op::Sload && ir.ins[i].aux == u64::from(slot))
        {
            subst[i] = r;
        }
    }
    // A slot read in one view and written in another (untyped moves) enters the body
    // converted, once per iteration.
    for (i, s) in subst.iter_mut().enumerate() {
        let ins = ir.ins[i];
        if ins.op == Op::Sload && *s != Ref(i as u32) && ir.ty(*s) != ins.ty {
            *s = ir
                .convert(*s, ins.ty)
                .map_err(|e| e.unwrap_or(IrFull::Instructions))?;
        }
    }
    let sub = |subst: &[Ref], r: Ref| if r.is_none() { r } else { subst[r.idx()] };
    let snaps: Vec<Snapshot> = ir.snaps.clone();
    for i in 0..n1 {
        let ins = ir.ins[i];
        let hoisted = i >= n0 || hoisted[i];
        if hoisted || matches!(ins.op, Op::K | Op::Sload | Op::Nop | Op::Loop) {
            continue;
        }
        let copy = ins.remapped(&subst);
        let before = ir.len();
        let r = ir.emit(copy)?;
        subst[i] = r;
        if !ins.op.has(flag::GUARD) || r.is_none() || r.idx() < before {
            continue;
        }
        // A `Switch` has one snapshot per target; every other guard has one.
        for s in snaps.iter().filter(|s| s.at.idx() == i) {
            let mut entries: Vec<(u32, Ref)> = modified.to_vec();
            for &(slot, v) in &s.entries {
                let v = sub(&subst, v);
                match entries.iter_mut().find(|e| e.0 == slot) {
                    Some(e) => e.1 = v,
                    None => entries.push((slot, v)),
                }
            }
            let mut snap = Snapshot {
                pc: s.pc,
                frames: s.frames.clone(),
                entries,
                acc: sub(&subst, s.acc),
                at: r,
                fuel: s.fuel,
                branch: s.branch,
                known: s.known,
            };
            // A native call's snapshot leaves the callee's frame to memory, the loop's
            // values of those slots included: the call's results are there.
            if let Some(base) = ins.callee_frame() {
                snap.leave_frame(base);
            }
            ir.snaps.push(snap);
        }
    }
    let mut seen = Vec::new();
    for &(_, left) in modified {
        let right = sub(&subst, left);
        if right != left && !seen.contains(&left) {
            seen.push(left);
            ir.push(Ins::new(Op::Phi, crate::jit::ir::Ty::Void, left, right, 0))?;
        }
    }
    Ok(())
}

//! CSE: common-subexpression elimination, applied to every instruction as it is
//! emitted (after FOLD, `Ir::emit`).
//!
//! A pure instruction with the same operation, type, operands and aux as an earlier one
//! is that earlier one. Loads are shared only within one memory epoch: every effect
//! (store, call, guard-free write) starts a new epoch. Inside the LOOP pass's copy, an
//! instruction from before the copy whose value the loop changes is never reused: it
//! is reached only through the PHIs.
//!
//! Invariant: a reused instruction computes, wherever the new one would run, exactly
//! the value the new one would.

use crate::jit::ir::flag::{COMM, EFFECT, LOAD, NOFOLD};
use crate::jit::ir::{FxMap, Ins, Ir, IrFull, Op, Ref, Ty};

/// (operation, type, operands, aux mixed with the load epoch).
type Key = (Op, Ty, Ref, Ref, Ref, u64);

/// What CSE knows of the trace emitted so far.
#[derive(Default)]
pub(crate) struct Cse {
    seen: FxMap<Key, Ref>,
    /// Bumped by every effect: loads are only shared within one epoch.
    epoch: u64,
    /// Where the LOOP pass's copy starts, and which instructions before it depend on
    /// values the loop changes.
    loop_start: usize,
    variant: Vec<bool>,
    /// Which of them a slot ends the first iteration with (PHI left sides).
    carried: Vec<bool>,
}

impl Cse {
    /// An instruction with effects was appended: later loads may read other values.
    pub(crate) fn effect(&mut self) {
        self.epoch += 1;
    }

    /// Starts the LOOP pass's copy at `start`: `variant` marks the instructions before it
    /// that depend on loop-carried values, `carried` the values slots end the first
    /// iteration with. If the loop has effects, loads before it are not reused after it.
    pub(crate) fn set_loop(
        &mut self,
        start: usize,
        variant: Vec<bool>,
        carried: Vec<bool>,
        effects: bool,
    ) {
        self.loop_start = start;
        self.variant = variant;
        self.carried = carried;
        if effects {
            self.effect();
        }
    }

    /// Whether `r` is an instruction from before the LOOP pass's copy whose value the loop
    /// changes: inside the loop body it must be reached only through PHIs.
    pub(crate) fn is_stale(&self, r: Ref) -> bool {
        r.idx() < self.loop_start && self.variant.get(r.idx()).copied().unwrap_or(false)
    }

    /// Whether `r`'s instruction may not be looked into for what `r` is: a stale value,
    /// or one a PHI carries (inside the loop body `r` is then the previous iteration's
    /// value, which the instruction computed only for the first). FOLD's rules that
    /// rewrite through an operand's instruction check this of that operand.
    pub(crate) fn is_opaque(&self, r: Ref) -> bool {
        self.is_stale(r)
            || r.idx() < self.loop_start && self.carried.get(r.idx()).copied().unwrap_or(false)
    }
}

/// The earlier instruction that computes `ins`, or `ins` appended.
pub(crate) fn cse_or_push(ir: &mut Ir<'_>, mut ins: Ins) -> Result<Ref, IrFull> {
    // Commutative operands in a canonical order: constants on the right (where the
    // backend uses immediates), otherwise the older operand first.
    if ins.op.has(COMM) {
        let (ka, kb) = (ir.konst(ins.a).is_some(), ir.konst(ins.b).is_some());
        if (ka && !kb) || (ka == kb && ins.b < ins.a) {
            std::mem::swap(&mut ins.a, &mut ins.b);
        }
    }
    if ins.op.has(NOFOLD) || ins.op.has(EFFECT) {
        return ir.push(ins);
    }
    let epoch = if ins.op.has(LOAD) { ir.cse.epoch } else { 0 };
    let key = (
        ins.op,
        ins.ty,
        ins.a,
        ins.b,
        ins.c,
        ins.aux ^ epoch.rotate_left(40),
    );
    if let Some(&r) = ir.cse.seen.get(&key)
        && !ir.cse.is_stale(r)
    {
        return Ok(r);
    }
    let r = ir.push(ins)?;
    ir.cse.seen.insert(key, r);
    Ok(r)
}

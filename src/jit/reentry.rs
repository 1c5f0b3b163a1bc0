//! Links into a loop body: what a looping root's body assumes at its label, derived
//! once the root is compiled (after LOOP, DCE and register allocation), and replayed by
//! the recorder of a trace that ends at that root's loop header.
//!
//! A link normally enters a root at its top, so the pre-roll (the recorded first
//! iteration) runs again before the loop body. A side trace that leaves the loop
//! body every other iteration (a branch that alternates) then pays for the pre-roll's
//! checks and entry loads at every return. The body's label needs less: every value the
//! body reads from before the loop in its place (a PHI's current value, an invariant),
//! and the facts the pre-roll's guards established about those values (checks hoisted
//! out of the loop, guards on invariants that the body does not repeat).
//!
//! [`BodyEntry`] is that contract, written over the slots' values at the header: a
//! pre-roll value is expressible when it is a constant, a slot's value at the header
//! (a PHI's left side, or a slot the loop does not modify), or a pure operation of
//! expressible values. The entry replays, in the pre-roll's order, every guard that
//! is expressible and every value the body needs, checks that each slot the body takes
//! to hold a value holds it (a slot the loop sets to the same value every iteration, or
//! two slots that share a PHI) and that PHI values the pre-roll computed from one
//! another still relate that way (CSE lets the body use one for the other's formula),
//! then hands the values over where the root's allocation
//! keeps them (`LinkArg`) and jumps to the label. A replayed guard that fails exits to
//! the interpreter at the header, which is exact there. The recorder replays the entry
//! only when its checks pass on the slots' values as it records (`BodyEntry::passes`).
//!
//! Invariant: a root has a body entry only when every guard of its pre-roll that the
//! body may rely on is replayed. The body relies only on facts about values that do not
//! change per iteration (the LOOP pass's CSE and caps never carry a fact about a
//! variant value into the body), so a guard may be left out only when it depends on a
//! slot's value before the first iteration. A guard on a load or a call that the body
//! relies on, a value the body reads that is not expressible, or fuel metering (which
//! the trace's run charges) leaves the root without one.

use super::asm::{Alloc, Loc};
use super::fuel::FUEL_SLOT;
use super::ir::{Cond, Ins, Ir, Op, Ref, Ty, flag};
use super::opt::fold;

/// How to enter a looping root's body from a link (see the module header).
#[derive(Clone, Debug)]
pub(crate) struct BodyEntry {
    /// The body's label, as an offset in the root's code.
    pub(crate) at: u32,
    /// What a link replays, in order: `Sload`s stand for the slots' values at the
    /// header, and operands index this list (`Ref(k)` is `ins[k]`).
    pub(crate) ins: Vec<Ins>,
    /// The values the body expects in place: index in `ins`, and where.
    pub(crate) args: Vec<(u32, Loc)>,
}

impl BodyEntry {
    /// Whether the entry's guards pass (as far as they can be evaluated here: those on
    /// comparisons) when slot `abs` holds `slot(abs)`: a recording that would enter
    /// the body only to exit at once links to the root's top instead.
    pub(crate) fn passes(&self, slot: impl Fn(u64) -> u64) -> bool {
        let mut vals: Vec<Option<u64>> = Vec::with_capacity(self.ins.len());
        for ins in &self.ins {
            let get = |r: Ref| if r.is_none() { Some(0) } else { vals[r.idx()] };
            let ty = |r: Ref| {
                if r.is_none() {
                    Ty::Void
                } else {
                    self.ins[r.idx()].ty
                }
            };
            let v = match ins.op {
                Op::K => Some(ins.aux),
                Op::Sload => Some(ins.ty.canon(slot(ins.aux))),
                Op::Guard => {
                    let held = get(ins.a)
                        .zip(get(ins.b))
                        .map(|(x, y)| fold::cond(ins.cond(), ty(ins.a), x, y));
                    if held == Some(false) {
                        return false;
                    }
                    None
                }
                op if op.has(flag::GUARD) => None,
                op => match (get(ins.a), get(ins.b), get(ins.c)) {
                    (Some(x), Some(y), Some(z)) => {
                        fold::eval(op, ins.ty, ty(ins.a), ins.aux, [x, y, z])
                    }
                    _ => None,
                },
            };
            vals.push(v);
        }
        true
    }
}

/// Ops a link replays as guards: their operands (if any) are the only inputs.
fn replayable_guard(op: Op) -> bool {
    matches!(
        op,
        Op::Guard | Op::Bound | Op::TruncOk | Op::CallCheck | Op::Epoch
    )
}

/// Ops a link recomputes: pure functions of their operands.
fn pure(op: Op) -> bool {
    !op.has(flag::GUARD | flag::LOAD | flag::EFFECT | flag::KEEP | flag::NOFOLD)
}

/// The body entry of looping root `ir`, allocated as `alloc`, whose loop carries
/// `carried` (slot, value at the end of the pre-roll) and whose body label is at
/// code offset `at`; `None` when the body relies on something a link cannot replay.
pub(crate) fn body_entry(
    ir: &Ir<'_>,
    alloc: &Alloc,
    carried: &[(u32, Ref)],
    at: u32,
) -> Option<BodyEntry> {
    let l = alloc.loop_at?;
    let pre = PreRoll::new(ir, carried, l)?;
    let guards = pre.guards()?;
    // The values the body reads from before the loop, where the allocation keeps them.
    let args: Vec<usize> = (0..l)
        .filter(|&i| {
            alloc.end[i] as usize > l
                && alloc.loc[i] != Loc::None
                && ir.konst(Ref(i as u32)).is_none()
        })
        .collect();
    if args.iter().any(|&i| !pre.ok[i]) {
        return None;
    }
    // Slots the body takes to hold a value that is not their PHI's (a constant, an
    // invariant, or another slot's PHI): the link checks they hold it.
    let mut same = Vec::new();
    for &(s, r) in carried {
        if pre.leaf.get(r.idx()).copied().flatten() != Some(s) {
            if pre.ok.get(r.idx()) != Some(&true) {
                return None;
            }
            same.push((s, r));
        }
    }
    let related = pre.related()?;
    let (ins, map) = pre.copy(&guards, &args, &same, &related);
    Some(BodyEntry {
        at,
        args: args.iter().map(|&i| (map[i].0, alloc.loc[i])).collect(),
        ins,
    })
}

/// The pre-roll (the instructions before `Loop`, `l` of them) as a link sees it.
struct PreRoll<'r, 'a> {
    ir: &'r Ir<'a>,
    l: usize,
    /// The slot whose header value each PHI's left side is (the first slot that ends
    /// the pre-roll with it). A slot the loop sets to the same value every iteration has
    /// no PHI: the body takes the slot to hold that value, which the link checks.
    leaf: Vec<Option<u32>>,
    /// Expressible over the slots' values at the header.
    ok: Vec<bool>,
    /// Depends on a slot's value before the first iteration, or on a PHI's left side:
    /// what the LOOP pass never lets the body reuse.
    variant: Vec<bool>,
}

impl<'r, 'a> PreRoll<'r, 'a> {
    /// `None` for a loop that meters fuel, which the trace's own run charges (see
    /// `fuel`) and a link cannot replay.
    fn new(ir: &'r Ir<'a>, carried: &[(u32, Ref)], l: usize) -> Option<Self> {
        let fuel = |i: &Ins| {
            matches!(i.op, Op::FuelSub | Op::FuelLoad | Op::FuelStore)
                || (i.op == Op::Sload && i.aux == u64::from(FUEL_SLOT))
        };
        if carried.iter().any(|&(s, _)| s == FUEL_SLOT) || ir.ins[..l].iter().any(fuel) {
            return None;
        }
        let mut leaf: Vec<Option<u32>> = vec![None; l];
        for phi in ir.ins.iter().filter(|i| i.op == Op::Phi) {
            *leaf.get_mut(phi.a.idx())? = Some(carried.iter().find(|c| c.1 == phi.a)?.0);
        }
        let (mut ok, mut variant) = (vec![false; l], vec![false; l]);
        for (i, ins) in ir.ins[..l].iter().enumerate() {
            let entry_value = ins.op == Op::Sload
                && (carried.iter()).any(|&(s, r)| u64::from(s) == ins.aux && r.idx() != i);
            variant[i] =
                entry_value || leaf[i].is_some() || ins.operands().any(|r| variant[r.idx()]);
            ok[i] = match ins.op {
                _ if leaf[i].is_some() => true,
                Op::K => true,
                Op::Sload => !entry_value,
                op => pure(op) && ins.operands().all(|r| ok[r.idx()]),
            };
        }
        Some(PreRoll {
            ir,
            l,
            leaf,
            ok,
            variant,
        })
    }

    fn expressible(&self, ins: &Ins) -> bool {
        ins.operands().all(|r| self.ok[r.idx()])
    }

    /// The guards the link replays: every expressible one. A guard that is not may be
    /// left out only when it is variant (the body does not rely on it).
    fn guards(&self) -> Option<Vec<usize>> {
        let mut guards = Vec::new();
        for (i, ins) in self.ir.ins[..self.l].iter().enumerate() {
            if !ins.op.has(flag::GUARD) {
                continue;
            }
            match (
                replayable_guard(ins.op) && self.expressible(ins),
                self.variant[i],
            ) {
                (true, _) => guards.push(i),
                (false, true) => {}
                (false, false) => return None,
            }
        }
        Some(guards)
    }

    /// PHI left sides computed from others' (`j + 1` when `y` ends an iteration with
    /// `j`): CSE gives the body that value wherever it computes the same from their
    /// current values (`y + 1` is `j` there), so the link checks that the relation holds.
    /// It cannot when an operand is one the body never sees (a slot's value before the
    /// first iteration); an operand the body may see but the link cannot compute (a load
    /// the loop does not change) leaves the root without a body entry.
    fn related(&self) -> Option<Vec<usize>> {
        let mut related = Vec::new();
        for (i, ins) in self.ir.ins[..self.l].iter().enumerate() {
            if self.leaf[i].is_none() || matches!(ins.op, Op::Sload | Op::K) {
                continue;
            }
            if self.expressible(ins) {
                related.push(i);
            } else if ins
                .operands()
                .any(|r| !self.ok[r.idx()] && !self.variant[r.idx()])
            {
                return None;
            }
        }
        Some(related)
    }

    /// The entry's instructions: `guards` and `args` and what they are computed from,
    /// down to constants and slots, then the checks of `same` and `related`; and the
    /// entry's index of each pre-roll value copied.
    fn copy(
        &self,
        guards: &[usize],
        args: &[usize],
        same: &[(u32, Ref)],
        related: &[usize],
    ) -> (Vec<Ins>, Vec<Ref>) {
        let ir = self.ir;
        let mut needed = vec![false; self.l];
        let roots = guards.iter().chain(args).chain(related);
        for i in roots.copied().chain(same.iter().map(|p| p.1.idx())) {
            needed[i] = true;
        }
        for &i in related {
            ir.ins[i].operands().for_each(|r| needed[r.idx()] = true);
        }
        for i in (0..self.l).rev() {
            if needed[i] && self.leaf[i].is_none() {
                ir.ins[i].operands().for_each(|r| needed[r.idx()] = true);
            }
        }
        // In the pre-roll's order, so that a guard comes before what it protects (a
        // division after its divisor's check).
        let mut map = vec![Ref::NONE; self.l];
        let mut out: Vec<Ins> = Vec::new();
        let push = |out: &mut Vec<Ins>, ins: Ins| {
            out.push(ins);
            Ref(out.len() as u32 - 1)
        };
        let sload = |ty: Ty, s: u32| Ins::new(Op::Sload, ty, Ref::NONE, Ref::NONE, s.into());
        let eq = |a: Ref, b: Ref| Ins::new(Op::Guard, Ty::Void, a, b, Cond::Eq as u64);
        for i in (0..self.l).filter(|&i| needed[i]) {
            let ins = ir.ins[i];
            let copy = match self.leaf[i] {
                Some(s) => sload(ins.ty, s),
                None => ins.remapped(&map),
            };
            map[i] = push(&mut out, copy);
        }
        for &(s, r) in same {
            let slot = push(&mut out, sload(ir.ty(r), s));
            push(&mut out, eq(slot, map[r.idx()]));
        }
        for &i in related {
            let formula = push(&mut out, ir.ins[i].remapped(&map));
            push(&mut out, eq(map[i], formula));
        }
        (out, map)
    }
}

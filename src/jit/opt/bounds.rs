//! BOUNDS: bounds-check elimination, applied by FOLD to every `Bound` as it is emitted.
//!
//! A check goes when its address has a known maximum below the module's declared
//! memory minimum (memory never shrinks). A computed address with a known maximum is
//! checked as that constant instead, which LOOP then hoists. Otherwise the check folds
//! into a recent check of the same base, widened to cover this access: one check of
//! the largest offset then stands for several accesses off one base. The base may be
//! the address itself, or a value the address adds a constant to: a check of `p + 8`
//! widens an earlier one of `p + 0` or `p + 4` (never of `p + 16`), so a struct's fields
//! off one pointer share one check. A check of the same address folds into an earlier
//! one however far back: the loop body's copy of a check on an invariant address goes.
//! Known maxima come from an address's computation (masks, shifts, sums and products
//! with constants) and from guards: after `i <= 3`, `i * 56 + 1072` is at most 1240
//! (LOOP keeps only the caps of values the loop does not change for its body, where the
//! body's own guards cap the rest again).
//!
//! [`rebase`] then addresses a load or store at `p + k` off the value a covering check
//! is on (`q = p + j`, with `k - j` in its offset), or off `p` when `p + k` cannot wrap:
//! a struct's fields need no address sums of their own.
//!
//! Invariant: a check is only ever made stricter, never dropped while it could fail.
//! When a widened check fails, its exit resumes the interpreter at the earlier access,
//! which then traps (or not) exactly where it should.
//!
//! LOOP asks [`hoist`] for the checks of a loop whose address is an induction variable
//! (a slot the loop modifies, its value at the iteration's start) times a constant, plus
//! constants and invariant values. When a guard bounds the variable by an invariant
//! limit, one check before the loop, of the address at the variable's largest value,
//! covers every iteration, and the loop body has none. The limit is `iv < n` (or `<=`)
//! in the same iteration before the access, or on the value the slot ends the iteration
//! with (which the next iteration starts from); or, for a variable stepping up by a
//! power of two, `iv + s != n` at the end of the iteration, once guards before the loop
//! show the variable starts at most at `n - s` (unsigned, wrapping) by a multiple of `s`
//! (it meets `n`, never passes it); its lowest and highest addresses must then lie in
//! one 4 GiB window of the 64-bit sums, which lets a counter rising to 0 from below
//! qualify. A variable stepping up by a constant while another counts down by 1 to 0
//! (a pointer over an array of structs beside a trip count) is checked at its value in
//! the body's last iteration, which the count gives. Those checks resume the
//! interpreter at the start of the next iteration when they fail: the interpreter runs
//! the loop and traps at the exact access.

use super::fold::Folded;
use crate::jit::ir::{Cond, Ins, Ir, IrFull, Mem, Op, Ref, Snapshot, Ty, flag};

/// What becomes of bounds check `ins` (an address `ins.a` accessed up to `ins.aux`
/// bytes past it): `None` to keep it as it is.
pub(crate) fn fold(ir: &mut Ir<'_>, ins: Ins) -> Result<Option<Folded>, IrFull> {
    // A constant address may be a 64-bit one (a check `hoist` computes before a loop).
    let k = ir.konst(ins.a);
    let konst = k.is_some();
    let max = k.or_else(|| max_value(ir, ins.a, 8));
    if max.is_some_and(|m| m.saturating_add(ins.aux) <= ir.mem_floor) {
        return Ok(Some(Folded::Ref(Ref::NONE)));
    }
    if let Some(max) = max.filter(|_| !konst) {
        let zero = ir.k(Ty::I32, 0)?;
        return Ok(Some(Folded::Ins(Ins {
            a: zero,
            aux: ins.aux + max,
            ..ins
        })));
    }
    if !konst
        && (widen_at(ir, ins.a, ins.aux, Reach::Exact)
            || widen_base(ir, &ins)
            || widen_at(ir, ins.a, ins.aux, Reach::Below))
    {
        return Ok(Some(Folded::Ref(Ref::NONE)));
    }
    if let Some(at) = offset(ir, ins.a) {
        // Appended next, unless CSE finds it (then `widen` sees the entry is not it).
        let next = ir.len() as u32;
        ir.checks.insert(at, next);
    }
    Ok(None)
}

/// Load or store `ins`, at `p + k` (an i32 sum with a constant) plus its offset, through
/// an address that needs no sum of its own, if it has one: `p` itself, with `k` added to
/// the offset, when `p + k` cannot wrap; or `q = p + j` (`j <= k`), with `k - j` added,
/// when a check that still holds shows `q` plus that much is inside memory (and so no
/// wrap either). A struct's fields off one pointer are then addressed off the one value
/// their check is on, and the sums go.
pub(crate) fn rebase(ir: &Ir<'_>, ins: &Ins) -> Option<Ins> {
    let (m, off) = Mem::of_aux(ins.aux);
    let sum = ir.get(ins.a);
    if sum.op != Op::Add || sum.ty != Ty::I32 || ir.cse.is_opaque(ins.a) {
        return None;
    }
    let (p, k) = (sum.a, ir.konst(sum.b)?);
    let end = u64::from(off) + u64::from(m.bytes());
    // An offset the backends would have to blind costs a register anyway.
    let small = |d: u64| !crate::jit::asm::needs_blinding(u64::from(off) + d);
    let moved = |a: Ref, d: u64| Ins {
        a,
        aux: m.aux(off + d as u32),
        ..*ins
    };
    // A shifted index stays in its sum: x86-64 makes the two one `lea`.
    let shifted = ir.get(p).op == Op::Shl;
    if small(k) && !shifted && max_value(ir, p, 8).is_some_and(|x| x + k + end <= 1 << 32) {
        return Some(moved(p, k));
    }
    recent_checks(ir).find_map(|(i, base, j)| {
        let check = &ir.ins[i];
        let d = u64::from((k as u32).wrapping_sub(j as u32));
        let covers = base == p && check.a != ins.a && d + end <= check.aux;
        (covers && small(d)).then(|| moved(check.a, d))
    })
}

/// How far back [`widen`] and [`rebase`] look for a check off the same base.
const WINDOW: usize = 64;

/// The bounds checks among the last [`WINDOW`] instructions that still hold where the
/// next instruction goes (not a pre-loop check on a loop-carried value), latest first:
/// each one's position and its address as `base + j` (see [`offset`]).
fn recent_checks<'i>(ir: &'i Ir<'_>) -> impl Iterator<Item = (usize, Ref, u64)> + 'i {
    let n = ir.len();
    (n.saturating_sub(WINDOW)..n)
        .rev()
        .filter(|&i| holds(ir, i))
        .filter_map(|i| offset(ir, ir.ins[i].a).map(|(base, j)| (i, base, j)))
}

/// Whether instruction `i` is a bounds check that still holds where the next
/// instruction goes.
fn holds(ir: &Ir<'_>, i: usize) -> bool {
    ir.ins[i].op == Op::Bound && !ir.cse.is_stale(Ref(i as u32))
}

/// Which earlier checks [`widen`] may widen.
#[derive(Clone, Copy, PartialEq)]
enum Reach {
    /// Only a check of the same address.
    Exact,
    /// Also a check of the same base plus a smaller constant.
    Below,
}

/// Widens the latest earlier check of address `a` (or, with [`Reach::Below`], of an
/// address below it off the same base) to cover `a` up to `end` bytes past it, if there
/// is one (see [`widen`]).
fn widen_at(ir: &mut Ir<'_>, a: Ref, end: u64, reach: Reach) -> bool {
    offset(ir, a).is_some_and(|(base, k)| widen(ir, base, k, end, reach))
}

/// Widens the latest of the [`recent_checks`] of `base + j` (`j <= k`, a constant) to
/// cover `base + k` up to `end` bytes past it: a
/// struct's fields off one pointer, each address its own sum, need one check. When
/// `base + j` wraps, so does `base + k`, by the same 2^32; when it does not, the widened
/// check shows `base + k` does not either. No check is widened by 2 GiB or more: that is
/// a step back as i32 (`p - 4` after `p`), and the widened check would fail every time.
/// A check of `base + k` itself counts however far back it is: the loop body's copy of
/// a check on an invariant address finds the pre-roll's.
fn widen(ir: &mut Ir<'_>, base: Ref, k: u64, end: u64, reach: Reach) -> bool {
    let n = ir.len();
    let recent = recent_checks(ir).find_map(|(i, b, j)| {
        let covers = match reach {
            Reach::Exact => j == k,
            Reach::Below => j <= k,
        };
        (b == base && covers && k - j + end < 1 << 31).then_some((i, k - j))
    });
    let same = || {
        let i = *ir.checks.get(&(base, k))? as usize;
        let found = i < n && holds(ir, i) && offset(ir, ir.ins[i].a) == Some((base, k));
        (found && end < 1 << 31).then_some((i, 0))
    };
    match recent.or_else(same) {
        Some((i, d)) => {
            let aux = &mut ir.ins[i].aux;
            *aux = (*aux).max(d + end);
            true
        }
        None => false,
    }
}

/// Checks address `base + x` (an i32 sum, `x` at most `m`) through a recent bounds
/// check on `base`, widened by `m`: a node's fields off one pointer (`p + (key < k) * 4`)
/// need no check of their own. The sum cannot wrap once `base + m + end` is inside
/// memory, which is at most 4 GiB.
fn widen_base(ir: &mut Ir<'_>, ins: &Ins) -> bool {
    let sum = *ir.get(ins.a);
    if sum.op != Op::Add || sum.ty != Ty::I32 || ir.cse.is_opaque(ins.a) {
        return false;
    }
    [(sum.a, sum.b), (sum.b, sum.a)]
        .into_iter()
        .any(|(base, x)| {
            max_value(ir, x, 8).is_some_and(|m| widen_at(ir, base, ins.aux + m, Reach::Exact))
        })
}

/// An i32 address as a value plus a constant: `(base, k)` for `base + k`, `(r, 0)` for
/// anything else; `None` for a pre-loop value the loop changes.
fn offset(ir: &Ir<'_>, r: Ref) -> Option<(Ref, u64)> {
    if ir.cse.is_stale(r) {
        return None;
    }
    let ins = ir.get(r);
    if ins.op == Op::Add
        && ins.ty == Ty::I32
        && !ir.cse.is_opaque(r)
        && let Some(k) = ir.konst(ins.b)
    {
        return Some((ins.a, k));
    }
    Some((r, 0))
}

/// Notes what guard `g`, just emitted, shows of an i32 value's largest (unsigned) value:
/// `x <= y`, `x < y`, `y >= x`, `y > x` or `x == y`, where `y` has a known maximum. An
/// outer loop's guard `i <= 3` then bounds `i * 56 + 1072`, a field of `bodies[i]`.
pub(crate) fn note_guard(ir: &mut Ir<'_>, g: Ref) {
    let ins = *ir.get(g);
    if ins.op != Op::Guard || ir.ty(ins.a) != Ty::I32 {
        return;
    }
    let (a, b) = (ins.a, ins.b);
    let sides: &[(Ref, Ref, bool)] = match ins.cond() {
        Cond::LeU => &[(a, b, false)],
        Cond::LtU => &[(a, b, true)],
        Cond::GeU => &[(b, a, false)],
        Cond::GtU => &[(b, a, true)],
        Cond::Eq => &[(a, b, false), (b, a, false)],
        _ => return,
    };
    for &(x, y, strict) in sides {
        let m = max_value(ir, y, 8).and_then(|m| m.checked_sub(u64::from(strict)));
        if ir.konst(x).is_none()
            && let Some(m) = m.filter(|&m| max_value(ir, x, 8).is_none_or(|old| m < old))
        {
            ir.caps.insert(x, m);
        }
    }
}

/// An upper bound of the i32 value `r` (unsigned), if its computation or a guard on it
/// shows one.
fn max_value(ir: &Ir<'_>, r: Ref, depth: u32) -> Option<u64> {
    let ins = ir.get(r);
    if ins.ty != Ty::I32 || depth == 0 {
        return None;
    }
    let computed = computed(ir, ins, |x| max_value(ir, x, depth - 1));
    match (computed, ir.caps.get(&r)) {
        (Some(x), Some(&y)) => Some(x.min(y)),
        (x, y) => x.or(y.copied()),
    }
}

/// An upper bound of the i32 value `ins` computes (unsigned), from those of its operands
/// (`sub`).
fn computed(ir: &Ir<'_>, ins: &Ins, sub: impl Fn(Ref) -> Option<u64>) -> Option<u64> {
    match ins.op {
        Op::K => Some(ins.aux),
        Op::And => match (sub(ins.a), sub(ins.b)) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        },
        Op::Shl => {
            let k = ir.konst(ins.b)? & 31;
            let m = sub(ins.a)? << k;
            (m <= u64::from(u32::MAX)).then_some(m)
        }
        Op::ShrU => Some(sub(ins.a)? >> (ir.konst(ins.b)? & 31)),
        // Sums and products with a constant, when they cannot wrap.
        Op::Add | Op::Mul => {
            let (x, k) = (sub(ins.a)?, ir.konst(ins.b)?);
            let m = if ins.op == Op::Add {
                x.checked_add(k)?
            } else {
                x.checked_mul(k)?
            };
            (m <= u64::from(u32::MAX)).then_some(m)
        }
        Op::RemU => Some(ir.konst(ins.b)?.checked_sub(1)?),
        Op::Cmp => Some(1),
        Op::Load => match Mem::of_aux(ins.aux).0 {
            Mem::U8 => Some(0xff),
            Mem::U16 => Some(0xffff),
            _ => None,
        },
        _ => None,
    }
}

/// An access address `iv * scale + terms` (i32 sums; `scale` a constant, the terms
/// constants or invariant values).
struct Scaled {
    iv: Ref,
    scale: u64,
    terms: Vec<Ref>,
}

/// A guard's bound on an induction variable `x` by an invariant `n`.
struct Limit {
    x: Ref,
    n: Ref,
    kind: Kind,
    at: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `x < n`, or `x <= n` (`inclusive`).
    Below { inclusive: bool },
    /// `x != n`, for a variable that steps up to `n` (checked before the loop).
    Reaches,
}

/// Emits, before the loop, the checks that stand for the loop body's copies of the
/// recorded iteration's bounds checks on induction variables (see the module's header);
/// returns which of the recorded iteration's checks the body leaves out. `modified` is
/// the slot map at the end of the iteration, `variant` what changes per iteration (both
/// as LOOP has them).
pub(crate) fn hoist(
    ir: &mut Ir<'_>,
    modified: &[(u32, Ref)],
    variant: &[bool],
) -> Result<Vec<bool>, IrFull> {
    let n1 = ir.len();
    let mut skip = vec![false; n1];
    let Some(resume) = loop_start(ir, modified).or_else(|| loop_end(ir, modified)) else {
        return Ok(skip);
    };
    let invariant = |r: Ref| {
        !r.is_none()
            && r.idx() < n1
            && !variant[r.idx()]
            && !modified.iter().any(|&(_, end)| end == r)
    };
    // Induction variables: (entry value, end value).
    let ivs: Vec<(Ref, Ref)> = modified
        .iter()
        .filter_map(|&(slot, end)| {
            let entry = (0..n1).find(|&i| {
                let ins = &ir.ins[i];
                ins.op == Op::Sload && ins.aux == u64::from(slot) && ins.ty == Ty::I32
            })?;
            Some((Ref(entry as u32), end))
        })
        .collect();
    let limits: Vec<Limit> = (0..n1).filter_map(|i| limit(ir, i, &invariant)).collect();
    // The variable's largest value in the body, per limit, once computed.
    let mut tops: Vec<Option<Option<Ref>>> = vec![None; limits.len()];
    for (b, hoisted) in skip.iter_mut().enumerate() {
        let ins = ir.ins[b];
        if ins.op != Op::Bound {
            continue;
        }
        let Some(addr) = scaled(ir, ins.a, &invariant) else {
            continue;
        };
        let Some(&(_, end)) = ivs.iter().find(|iv| iv.0 == addr.iv) else {
            continue;
        };
        // In every iteration of the body, the variable is below the limit where the
        // access reads it: checked earlier in the iteration, or by the iteration before
        // (and the recorded one, for the body's first).
        // A variable that reaches its limit steps by a constant: it ends the iteration
        // as `iv + s`.
        let steps = {
            let e = ir.get(end);
            e.op == Op::Add && e.a == addr.iv && ir.konst(e.b).is_some()
        };
        let found = limits.iter().position(|l| match l.kind {
            Kind::Below { .. } => (l.x == addr.iv && l.at < b) || l.x == end,
            Kind::Reaches => l.x == end && steps,
        });
        let Some(k) = found else {
            // Or a pointer stepping up while another variable counts down to 0.
            let stride = ir.get(end);
            let stride = (stride.op == Op::Add && stride.a == addr.iv)
                .then(|| ir.konst(stride.b))
                .flatten()
                .filter(|s| (1..1 << 16).contains(s));
            let count = limits.iter().find_map(|l| countdown(ir, l, &ivs));
            if let (Some(s), Some(x)) = (stride, count) {
                if let Some(r) = check_counted(ir, &addr, end, s, x, ins.aux)? {
                    guarded(ir, r, &resume);
                }
                *hoisted = true;
            }
            continue;
        };
        let top = match tops[k] {
            Some(top) => top,
            None => *tops[k].insert(top_value(ir, &limits[k], &resume)?),
        };
        let Some(top) = top else {
            continue;
        };
        let checks = match limits[k].kind {
            Kind::Reaches => check_window(ir, &addr, limits[k].x, top, ins.aux)?,
            Kind::Below { .. } => check_at(ir, &addr, top, ins.aux)?.into_iter().collect(),
        };
        for r in checks {
            guarded(ir, r, &resume);
        }
        *hoisted = true;
    }
    Ok(skip)
}

/// Where the next iteration can resume, as a snapshot: the recorded iteration's first,
/// when nothing before it has an effect or writes a slot (the interpreter state at the
/// iteration's start is then the loop-entry slot map at its instruction).
fn loop_start(ir: &Ir<'_>, modified: &[(u32, Ref)]) -> Option<Snapshot> {
    let first = ir.snaps.first()?;
    let pure = ir.ins[..first.at.idx()].iter().all(pure);
    (pure
        && resumes_at_itself(ir, first)
        && first.frames.is_empty()
        && first.entries.is_empty()
        && first.acc.is_none())
    .then(|| Snapshot {
        entries: modified.to_vec(),
        ..first.clone()
    })
}

/// Whether the snapshot's exit resumes at its own instruction, done again there (a
/// `Switch`'s resume at its targets instead).
fn resumes_at_itself(ir: &Ir<'_>, snap: &Snapshot) -> bool {
    matches!(ir.get(snap.at).op, Op::Guard | Op::Bound)
}

/// Whether an instruction before the loop's resume point may be done again.
fn pure(ins: &Ins) -> bool {
    !ins.op.has(flag::EFFECT) && !ins.op.has(flag::KEEP) && !ins.op.has(flag::GUARD)
}

/// Or its last, when it is a conditional branch's (a loop that tests its condition at
/// the end), already holds every slot's end-of-iteration value, and nothing after it has
/// an effect: the state there (accumulator included) is the iteration's end, and
/// resuming, the interpreter takes the backward branch. A guard on what a call returned
/// would not do: it resumes at the call, which the trace has made already.
fn loop_end(ir: &Ir<'_>, modified: &[(u32, Ref)]) -> Option<Snapshot> {
    let last = ir.snaps.last()?;
    let pure = ir.ins[last.at.idx() + 1..].iter().all(pure);
    let ends = modified.iter().all(|m| last.entries.contains(m));
    let general = last.branch && !last.known && last.frames.is_empty();
    (general && pure && ends && resumes_at_itself(ir, last)).then(|| last.clone())
}

/// Instruction `i` as a guard bounding a value by an invariant limit, unsigned.
fn limit(ir: &Ir<'_>, i: usize, invariant: &dyn Fn(Ref) -> bool) -> Option<Limit> {
    let g = &ir.ins[i];
    if g.op != Op::Guard || ir.ty(g.a) != Ty::I32 {
        return None;
    }
    let below = |inclusive| Kind::Below { inclusive };
    let (x, n, kind) = match g.cond() {
        Cond::LtU => (g.a, g.b, below(false)),
        Cond::LeU => (g.a, g.b, below(true)),
        Cond::GtU => (g.b, g.a, below(false)),
        Cond::GeU => (g.b, g.a, below(true)),
        Cond::Ne if invariant(g.a) => (g.b, g.a, Kind::Reaches),
        Cond::Ne => (g.a, g.b, Kind::Reaches),
        _ => return None,
    };
    invariant(n).then_some(Limit { x, n, kind, at: i })
}

/// Attaches the loop's resume snapshot to check `r`, emitted before the loop. The
/// snapshot it copies may be a conditional branch's, but the check's failing says
/// nothing of where that branch goes: a side trace from it must guard the branch.
fn guarded(ir: &mut Ir<'_>, r: Ref, resume: &Snapshot) {
    let mut snap = resume.clone();
    snap.at = r;
    snap.branch = false;
    ir.snaps.push(snap);
}

/// The largest value the variable `lim` bounds has where the body reads it, as an i32
/// value computed before the loop; `None` when it cannot be bounded.
///
/// Below `n`: `n - 1` (the recorded iteration passed the guard, so `n >= 1`), or `n`
/// when inclusive. Stepping by a power of two `s` until it equals `n` (the guard is on
/// the value the next iteration starts from, `x = iv + s`): `n - s` (wrapping), once
/// checks before the loop show the value the body starts from (the recorded
/// iteration's `x`, not `n` since it passed the guard) is at most `n - s`, unsigned, and
/// below `n` by a multiple of `s`: the variable then rises to `n - s` without wrapping
/// (a counter rising to 0 from below included), where it could otherwise pass `n`.
fn top_value(ir: &mut Ir<'_>, lim: &Limit, resume: &Snapshot) -> Result<Option<Ref>, IrFull> {
    let emit = |ir: &mut Ir<'_>, op, a, b, aux| ir.emit(Ins::new(op, Ty::I32, a, b, aux));
    let one = ir.k(Ty::I32, 1)?;
    match lim.kind {
        Kind::Below { inclusive: true } => Ok(Some(lim.n)),
        Kind::Below { inclusive: false } => emit(ir, Op::Sub, lim.n, one, 0).map(Some),
        Kind::Reaches => {
            let x = *ir.get(lim.x);
            let step = match ir.konst(x.b) {
                Some(s) if x.op == Op::Add && s.is_power_of_two() && s < 1 << 16 => s,
                _ => return Ok(None),
            };
            let guard = |ir: &mut Ir<'_>, c: Cond, a, b| -> Result<(), IrFull> {
                if let Some(r) = ir.emit_new(Ins::new(Op::Guard, Ty::Void, a, b, c as u64))? {
                    guarded(ir, r, resume);
                }
                Ok(())
            };
            let k = ir.k(Ty::I32, step)?;
            let top = emit(ir, Op::Sub, lim.n, k, 0)?;
            // With `n < s`, `x` at most `n - s` follows from the check below: the
            // largest value below 2^32 that is `n` modulo `s` is `n - s`, and `x` is
            // not `n` (the recorded iteration passed the guard).
            if ir.konst(lim.n).is_none_or(|n| n >= step) {
                guard(ir, Cond::LeU, lim.x, top)?;
            }
            if step > 1 {
                // `n - x` a multiple of the step: with a constant `n`, `x`'s low bits are
                // `n`'s (a counter rising to 0: `x & (s - 1) == 0`, one `test`).
                let mask = ir.k(Ty::I32, step - 1)?;
                let (rest, want) = match ir.konst(lim.n) {
                    Some(n) => (
                        emit(ir, Op::And, lim.x, mask, 0)?,
                        ir.k(Ty::I32, n & (step - 1))?,
                    ),
                    None => {
                        let gap = emit(ir, Op::Sub, lim.n, lim.x, 0)?;
                        (emit(ir, Op::And, gap, mask, 0)?, ir.k(Ty::I32, 0)?)
                    }
                };
                guard(ir, Cond::Eq, rest, want)?;
            }
            Ok(Some(top))
        }
    }
}

/// `a` as `iv * scale + terms`, if it has that shape (sums at most 4 deep).
fn scaled(ir: &Ir<'_>, a: Ref, invariant: &dyn Fn(Ref) -> bool) -> Option<Scaled> {
    let mut out = Scaled {
        iv: Ref::NONE,
        scale: 0,
        terms: Vec::new(),
    };
    split(ir, a, invariant, &mut out, 4).then_some(out)
}

/// Adds the i32 value `r` to `out`: the variable's term (only one), or an invariant.
fn split(
    ir: &Ir<'_>,
    r: Ref,
    invariant: &dyn Fn(Ref) -> bool,
    out: &mut Scaled,
    depth: u32,
) -> bool {
    let ins = ir.get(r);
    if ins.ty != Ty::I32 || depth == 0 {
        return false;
    }
    // A constant of 2^31 or more is a negative step as i32 (`i - 1`): in the check's
    // 64-bit sum it would go past 4 GiB, and the check would fail on every entry.
    let negative = |k: u64| (k & 0xFFFF_FFFF) >= 1 << 31;
    if let Some(k) = ir.konst(r) {
        out.terms.push(r);
        return !negative(k);
    }
    if invariant(r) {
        out.terms.push(r);
        return true;
    }
    let term = match ins.op {
        Op::Shl => ir.konst(ins.b).map(|k| (ins.a, 1 << (k & 31))),
        // An i32 constant is below 2^32: the check's 64-bit sums cannot wrap.
        Op::Mul => ir
            .konst(ins.b)
            .filter(|&k| !negative(k))
            .map(|k| (ins.a, k & 0xFFFF_FFFF)),
        Op::Sload => Some((r, 1)),
        _ => None,
    };
    if let Some((iv, scale)) = term.filter(|_| out.iv.is_none()) {
        if ir.get(iv).op != Op::Sload {
            return false;
        }
        (out.iv, out.scale) = (iv, scale);
        return true;
    }
    ins.op == Op::Add
        && split(ir, ins.a, invariant, out, depth - 1)
        && split(ir, ins.b, invariant, out, depth - 1)
}

/// Emits the check of `addr` with the variable at `top`, computed in 64 bits (it cannot
/// wrap then: passing, it is inside memory, at most 4 GiB); returns the check, unless
/// FOLD found it always holds.
fn check_at(ir: &mut Ir<'_>, addr: &Scaled, top: Ref, end: u64) -> Result<Option<Ref>, IrFull> {
    let wide = wide_at(ir, addr, top)?;
    bound(ir, wide, end)
}

/// The checks of `addr` for a variable rising from `low` to `top` without wrapping
/// (`Kind::Reaches`). Its 64-bit addresses rise from `addr(low)` to `addr(top)`; when
/// both lie in the same 4 GiB window, the i32 addresses the body computes are those
/// minus the window's start, so they rise too, and checking the highest suffices. A
/// counter rising to 0 (`j + 4 != 0`, addresses `base + j`) has them all in the second
/// window, where one 64-bit check of `addr(top)` would fail on every entry.
fn check_window(
    ir: &mut Ir<'_>,
    addr: &Scaled,
    low: Ref,
    top: Ref,
    end: u64,
) -> Result<Vec<Ref>, IrFull> {
    let emit = |ir: &mut Ir<'_>, op, a, b| ir.emit(Ins::new(op, Ty::I64, a, b, 0));
    let (hi, lo) = (wide_at(ir, addr, top)?, wide_at(ir, addr, low)?);
    let k32 = ir.k(Ty::I64, 32)?;
    let (w_hi, w_lo) = (emit(ir, Op::ShrU, hi, k32)?, emit(ir, Op::ShrU, lo, k32)?);
    let same = ir.emit_new(Ins::new(Op::Guard, Ty::Void, w_hi, w_lo, Cond::Eq as u64))?;
    let mask = ir.k(Ty::I64, u64::from(u32::MAX))?;
    let inside = emit(ir, Op::And, hi, mask)?;
    let check = bound(ir, inside, end)?;
    Ok(same.into_iter().chain(check).collect())
}

/// `Bound` of 64-bit address `wide` up to `end` bytes past it, unless FOLD found it
/// always holds.
fn bound(ir: &mut Ir<'_>, wide: Ref, end: u64) -> Result<Option<Ref>, IrFull> {
    ir.emit_new(Ins::new(Op::Bound, Ty::Void, wide, Ref::NONE, end))
}

/// How many times the loop body runs, when a variable counts down by 1 to 0: `x`, the
/// value it ends the recorded iteration with (limit `l`, `x != 0` for `x = c - 1`). The
/// body's `k`-th iteration ends with `x - k`, and the guard on it fails at `k = x`.
fn countdown(ir: &Ir<'_>, l: &Limit, ivs: &[(Ref, Ref)]) -> Option<Ref> {
    let x = ir.get(l.x);
    let down = x.op == Op::Add && ir.konst(x.b) == Some(u64::from(u32::MAX));
    let counts = ivs.iter().any(|&(c, end)| c == x.a && end == l.x);
    (l.kind == Kind::Reaches && ir.konst(l.n) == Some(0) && down && counts).then_some(l.x)
}

/// The check of `addr` for a variable stepping up by `s` (from `from`, its value after
/// the recorded iteration) for `x` iterations of the body (see [`countdown`]): at most
/// `from + s * (x - 1)`, computed in 64 bits. Passing, every address of every iteration
/// is inside memory, below 4 GiB, so the body's 32-bit sums do not wrap either.
fn check_counted(
    ir: &mut Ir<'_>,
    addr: &Scaled,
    from: Ref,
    s: u64,
    x: Ref,
    end: u64,
) -> Result<Option<Ref>, IrFull> {
    let emit = |ir: &mut Ir<'_>, op, a, b| ir.emit(Ins::new(op, Ty::I64, a, b, 0));
    let (one, step) = (ir.k(Ty::I64, 1)?, ir.k(Ty::I64, s)?);
    let wx = emit(ir, Op::ExtU, x, Ref::NONE)?;
    let steps = emit(ir, Op::Sub, wx, one)?;
    let span = emit(ir, Op::Mul, steps, step)?;
    let start = emit(ir, Op::ExtU, from, Ref::NONE)?;
    let top = emit(ir, Op::Add, start, span)?;
    let wide = wide_from(ir, addr, top)?;
    bound(ir, wide, end)
}

/// `addr` with the variable at `iv`, in 64 bits.
fn wide_at(ir: &mut Ir<'_>, addr: &Scaled, iv: Ref) -> Result<Ref, IrFull> {
    let wide = ir.emit(Ins::new(Op::ExtU, Ty::I64, iv, Ref::NONE, 0))?;
    wide_from(ir, addr, wide)
}

/// `addr` with the variable at the 64-bit value `wide`, in 64 bits.
fn wide_from(ir: &mut Ir<'_>, addr: &Scaled, mut wide: Ref) -> Result<Ref, IrFull> {
    let emit = |ir: &mut Ir<'_>, op, ty, a, b| ir.emit(Ins::new(op, ty, a, b, 0));
    if addr.scale.is_power_of_two() && addr.scale > 1 {
        let k = ir.k(Ty::I64, u64::from(addr.scale.trailing_zeros()))?;
        wide = emit(ir, Op::Shl, Ty::I64, wide, k)?;
    } else if addr.scale != 1 {
        let k = ir.k(Ty::I64, addr.scale)?;
        wide = emit(ir, Op::Mul, Ty::I64, wide, k)?;
    }
    for &t in &addr.terms {
        let t = emit(ir, Op::ExtU, Ty::I64, t, Ref::NONE)?;
        wide = emit(ir, Op::Add, Ty::I64, wide, t)?;
    }
    Ok(wide)
}

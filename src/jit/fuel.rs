//! Fuel in traces (`Config::consume_fuel`): the recorder charges a whole straight-line
//! run of a trace at once, where the interpreter charges each of its own runs
//! (`Instr::Fuel`) as it reaches it.
//!
//! In a trace the store's fuel left is a value like a slot's, kept in a register and
//! carried around the loop: the pseudo-slot [`FUEL_SLOT`] (an `Sload` of it reads the
//! store's fuel at entry, snapshots list it, exits and links write it back, side traces
//! inherit it). A trace's run opens at the first `Instr::Fuel` it records, with an IR
//! `FuelSub` of the sum of every `Instr::Fuel` recorded until the run closes (the amount
//! is filled in then) and a guard that exits, resuming at that first `Instr::Fuel`, if
//! the fuel drops below zero: the interpreter then runs on and traps at the exact run the
//! fuel does not cover. A run closes where something may look at the fuel (a host call,
//! around which the value goes through the store), where the trace ends (its loop-back,
//! a link, a return to the interpreter), and once it has charged [`RUN_CAP`].
//!
//! Inside a run the trace has charged ahead of the interpreter by the costs of the runs
//! not reached yet, so every snapshot records that amount ([`Snapshot::fuel`](super::ir::Snapshot::fuel)), and its
//! exit gives it back: the interpreter resumes with exactly the fuel it would have had.
//! A side trace starts with its parent exit's amount still charged, and its first run
//! (opened at once) accounts for it.

use super::ir::{Ir, Ref};

/// The pseudo-slot of the store's fuel in the slot map's snapshots.
pub(crate) const FUEL_SLOT: u32 = u32::MAX;

/// The most a run charges before it closes (the next `Instr::Fuel` opens another), so
/// amounts stay small immediates.
pub(crate) const RUN_CAP: i64 = 0x4000;

/// The recorder's fuel run.
#[derive(Default)]
pub(crate) struct FuelRun {
    /// The open run: its `FuelSub` and its first snapshot.
    open: Option<(Ref, usize)>,
    /// What the trace had charged ahead when the run opened.
    base: i64,
    /// The costs of the `Instr::Fuel` recorded in the run.
    sum: i64,
    /// Charged ahead while no run is open: a side trace's parent's amount, until its first
    /// run opens (at once).
    ahead: i64,
}

impl FuelRun {
    /// A run starting `ahead` of the interpreter: 0 for a root trace, the parent exit's
    /// amount for a side trace, which then opens a run at once to settle it.
    pub(crate) fn new(ahead: i64) -> FuelRun {
        FuelRun {
            ahead,
            ..FuelRun::default()
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Opens a run charged by the `FuelSub` `r`, whose guard's snapshot (taken next) is
    /// the `first` one.
    pub(crate) fn open(&mut self, r: Ref, first: usize) {
        self.open = Some((r, first));
        self.base = self.ahead;
        self.sum = 0;
    }

    /// The [`Snapshot::fuel`](super::ir::Snapshot::fuel) of a snapshot taken now (an open run's is completed when
    /// it closes).
    pub(crate) fn ahead(&self) -> i64 {
        match self.open {
            Some(_) => -self.sum,
            None => self.ahead,
        }
    }

    /// An `Instr::Fuel` charging `cost` was recorded in the open run; closes the run once
    /// it reaches [`RUN_CAP`].
    pub(crate) fn add(&mut self, ir: &mut Ir<'_>, cost: u32) {
        self.sum += i64::from(cost);
        if self.sum >= RUN_CAP {
            self.close(ir);
        }
    }

    /// Closes the open run, if any: its `FuelSub` charges the run's sum less what was
    /// already charged, and its snapshots learn how far ahead they were. Afterwards the
    /// trace and the interpreter agree.
    pub(crate) fn close(&mut self, ir: &mut Ir<'_>) {
        if let Some((r, first)) = self.open.take() {
            ir.ins[r.idx()].aux = (self.sum - self.base) as u64;
            for s in &mut ir.snaps[first..] {
                s.fuel += self.sum;
            }
        }
        self.ahead = 0;
    }
}

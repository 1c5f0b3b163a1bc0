//! Trace trees: the store's traces, how they end, and the patching that joins them.
//!
//! Sits after compilation (`trace::compile`) and beside the exit handler (`exit`). A
//! root trace starts at a loop header or a function's entry; its exits that get hot
//! (`hotexit` taken exits) grow side traces, recorded from the exit's state with the
//! parent's values inherited in place. Once a side trace is compiled, every branch to the parent's exit stub, and
//! the stub itself, is patched to jump straight into it, so the parent → side
//! transition costs one taken branch. Every trace ends in one of four ways ([`Link`]):
//! it loops to its own header (a root), it links to another trace's header (writing its
//! modified slots back first, then putting the slots that trace loads at its entry in
//! that trace's registers and jumping past those loads), it returns to
//! the interpreter through an exit that is always taken, or it returns from its tree's
//! function (to the trace that called it natively, or through an exit). Trees whose
//! traces call into another tree's function trace are evicted with it. `tryside` failed recordings
//! leave an exit to the interpreter for good; `maxside` bounds a tree's side traces, except
//! that each target of a `br_table` dispatch (`Switch`) heads a count of its own.
//! Under pressure (`maxtrace` live traces, or a full code area) whole trees are evicted,
//! least recently entered first: links into an evicted tree fall back to their exits,
//! its code pages are released and reused, and its loop counts again.

use super::asm::{Arch, Native};
use super::mcode::{McodeArea, McodeError};
use super::trace::Trace;

/// How a trace ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Link {
    /// Back to its own loop header (a root; the LOOP pass made its body).
    Loop,
    /// Into trace `n`, at its loop header.
    Trace(u32),
    /// Into trace `n`'s loop body, past its pre-roll (see `jit::reentry`).
    Body(u32),
    /// Back to the interpreter, through an exit that is always taken.
    Interp,
    /// Returns from the tree's root frame: to the calling trace, or through an exit to
    /// the interpreter when entered from it.
    Return,
}

impl Link {
    /// The trace it enters, for a link to another trace.
    pub(crate) fn target(self) -> Option<u32> {
        match self {
            Link::Trace(n) | Link::Body(n) => Some(n),
            _ => None,
        }
    }

    /// As `--dump` prints it after `stop`.
    pub(crate) fn describe(self) -> String {
        match self {
            Link::Loop => "-> loop".to_string(),
            Link::Trace(n) => format!("-> {n}"),
            Link::Body(n) => format!("-> {n} body"),
            Link::Interp => "-> interpreter".to_string(),
            Link::Return => "-> return".to_string(),
        }
    }
}

/// Where a jump enters a trace.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Enter {
    /// A native call: after a root's prologue.
    Call,
    /// A link: after a looping root's entry loads.
    Link,
    /// A link into a looping root's body (see `jit::reentry`).
    Body,
}

/// Every trace of a store: trace `n` is at index `n - 1` (numbers are never reused, so
/// an evicted trace's number stays unknown).
#[derive(Default)]
pub(crate) struct Forest {
    traces: Vec<Option<Trace>>,
    /// Side traces counted against trace `n`'s `maxside` budget (see
    /// `trace::Placement::budget`), at index `n - 1`; kept here, not counted, because
    /// every exit that wants a side trace asks. A count is only read through a live
    /// trace of the same tree, and numbers are never reused, so evicted traces' counts
    /// need no reset.
    sides: Vec<u32>,
    /// Live traces.
    live: usize,
    /// The largest extent and inlining depth of any trace: what entering a tree
    /// reserves, since a link may reach any trace.
    pub(crate) max_extent: u32,
    pub(crate) max_depth: u32,
}

impl Forest {
    /// Live traces.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The number the next trace gets.
    pub(crate) fn next_number(&self) -> u32 {
        self.traces.len() as u32 + 1
    }

    pub(crate) fn get(&self, n: u32) -> Option<&Trace> {
        self.traces
            .get((n as usize).wrapping_sub(1))
            .and_then(Option::as_ref)
    }

    pub(crate) fn get_mut(&mut self, n: u32) -> Option<&mut Trace> {
        self.traces
            .get_mut((n as usize).wrapping_sub(1))
            .and_then(Option::as_mut)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Trace> {
        self.traces.iter().flatten()
    }

    /// Where `enter` enters trace `n`.
    pub(crate) fn entry(&self, n: u32, enter: Enter) -> Option<*const u8> {
        let t = self.get(n)?;
        let at = match enter {
            Enter::Call => t.entry,
            Enter::Link => t.link_entry,
            Enter::Body => t.body_entry.as_ref()?.at,
        };
        Some(t.code.ptr().wrapping_add(at as usize))
    }

    /// Side traces counted against trace `budget`'s `maxside`.
    pub(crate) fn sides_of(&self, budget: u32) -> usize {
        self.sides
            .get((budget as usize).wrapping_sub(1))
            .map_or(0, |&n| n as usize)
    }

    /// Adds a compiled trace (numbered [`Forest::next_number`]).
    pub(crate) fn push(&mut self, t: Trace) {
        debug_assert_eq!(t.number, self.next_number());
        self.max_extent = self.max_extent.max(t.extent);
        self.max_depth = self.max_depth.max(t.depth);
        if t.parent.is_some()
            && t.budget != t.number
            && let Some(n) = self.sides.get_mut((t.budget as usize).wrapping_sub(1))
        {
            *n += 1;
        }
        self.traces.push(Some(t));
        self.sides.push(0);
        self.live += 1;
    }

    /// Drops every trace; returns them so their loops can be reset.
    pub(crate) fn clear(&mut self) -> Vec<Trace> {
        self.max_extent = 0;
        self.max_depth = 0;
        self.live = 0;
        self.traces.iter_mut().filter_map(Option::take).collect()
    }

    /// The root of the tree entered least recently, other than those in `keep`.
    pub(crate) fn least_recent(&self, keep: &[u32]) -> Option<u32> {
        self.iter()
            .filter(|t| t.parent.is_none() && !keep.contains(&t.number))
            .min_by_key(|t| t.last_entered)
            .map(|t| t.number)
    }

    /// The roots of the trees whose traces call into the tree of `root` natively
    /// (`CallTrace`): they cannot outlive it.
    pub(crate) fn callers_of(&self, root: u32) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .iter()
            .filter(|t| t.root != root)
            .filter(|t| {
                t.calls
                    .iter()
                    .any(|&n| self.get(n).is_some_and(|c| c.root == root))
            })
            .map(|t| t.root)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Evicts the tree whose root is `root`: links from other trees into it fall back to
    /// their exits (the interpreter enters the loop again), and its traces' code is
    /// released. Returns the root, so its loop can count again.
    pub(crate) fn evict(
        &mut self,
        area: &mut McodeArea,
        root: u32,
    ) -> Result<Option<Trace>, McodeError> {
        let members: Vec<u32> = self
            .iter()
            .filter(|t| t.root == root)
            .map(|t| t.number)
            .collect();
        for t in self.traces.iter_mut().flatten() {
            let into = t.link.target().is_some_and(|n| members.contains(&n));
            if let (true, false, Some((at, k))) = (into, members.contains(&t.number), t.link_jump) {
                let base = t.code.ptr();
                let stub = base.wrapping_add(t.exits[k].stub as usize);
                area.retarget_branch(base.wrapping_add(at as usize), stub)?;
                t.link = Link::Interp;
                t.link_jump = None;
            }
        }
        let mut gone = None;
        for n in members {
            if let Some(t) = self.traces[n as usize - 1].take() {
                self.live -= 1;
                area.release(t.code)?;
                if n == root {
                    gone = Some(t);
                }
            }
        }
        Ok(gone)
    }

    /// Points exit `k` of trace `parent` at side trace `side`: every branch to the exit's
    /// stub, and the stub itself (so any path that reaches it enters the side trace).
    pub(crate) fn attach(
        &mut self,
        area: &mut McodeArea,
        parent: u32,
        k: usize,
        side: u32,
    ) -> Result<(), McodeError> {
        let to = self.get(side).map_or(std::ptr::null(), |t| t.code.ptr());
        let Some(p) = self.get_mut(parent) else {
            return Ok(());
        };
        let (code, base) = (p.code, p.code.ptr().addr());
        let e = &mut p.exits[k];
        // One write transaction for all of the exit's branches, its table entry and stub.
        let done = area.patch_with(code.ptr(), code.len(), |bytes| {
            let mut ok = e
                .sites
                .iter()
                .all(|&at| Native::retarget(bytes, at, base, to.addr()));
            if let Some((at, table)) = e.slot {
                // Switch tables hold 32-bit offsets from the table's start.
                let rel = to.addr().wrapping_sub(base + table as usize) as isize;
                match (
                    i32::try_from(rel),
                    bytes.get_mut(at as usize..at as usize + 4),
                ) {
                    (Ok(rel), Some(entry)) => entry.copy_from_slice(&rel.to_le_bytes()),
                    _ => ok = false,
                }
            }
            let stub = e.stub as usize;
            let jump = Native::jump(base + stub, to.addr());
            match jump
                .as_ref()
                .and_then(|j| Some((j, bytes.get_mut(stub..stub + j.len())?)))
            {
                Some((jmp, b)) => b.copy_from_slice(jmp),
                None => ok = false,
            }
            ok
        })?;
        if !done {
            return Err(McodeError::BranchRange {
                from: base,
                to: to.addr(),
            });
        }
        e.side = Some(side);
        Ok(())
    }
}

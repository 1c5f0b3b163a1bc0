//! Rearranging a function's translated code: the translation's passes that remove
//! instructions (`Loop` headers without a use) or copy them (`tails`) rebuild the code
//! here, each old instruction replaced by a run of old instructions, with every branch
//! and every per-position table still pointing at the same instructions.

use super::bytecode::{Instr, Off};
use std::ops::RangeInclusive;

/// The code of one function with the tables indexed by its positions.
pub(super) struct Layout<'a> {
    pub(super) code: &'a mut Vec<Instr>,
    /// Each instruction's code offset.
    pub(super) offsets: &'a mut Vec<u32>,
    /// `(position, value)` pairs, in order of position.
    pub(super) tables: [&'a mut Vec<(u32, u32)>; 2],
}

/// Rebuilds `c` with old instruction `i` replaced by copies of the old instructions
/// `runs[i]` (`None`: removed). A branch to `i` lands on the first instruction of its
/// replacement (after a removed one, on the next one's), and a copy keeps its original's
/// code offset and table entries.
pub(super) fn relayout(c: Layout<'_>, runs: &[Option<RangeInclusive<usize>>]) {
    // Where each old position starts in the new code (one past the end included).
    let mut at = Vec::with_capacity(runs.len() + 1);
    let mut len = 0;
    for run in runs {
        at.push(len);
        len += run.as_ref().map_or(0, |r| r.clone().count());
    }
    at.push(len);
    // For every new position, the old instruction it copies.
    let from: Vec<usize> = runs.iter().flatten().flat_map(Clone::clone).collect();
    let mut code: Vec<Instr> = from.iter().map(|&j| c.code[j]).collect();
    for (p, instr) in code.iter_mut().enumerate() {
        if let Some(off) = instr.branch_offset_mut() {
            let target = (from[p] as i64 + i64::from(*off)) as usize;
            *off = (at[target] as i64 - p as i64) as Off;
        }
    }
    for table in c.tables.into_iter().filter(|t| !t.is_empty()) {
        let mut by_old: Vec<Option<u32>> = vec![None; c.code.len()];
        for &(p, v) in table.iter() {
            by_old[p as usize] = Some(v);
        }
        *table = (from.iter().enumerate())
            .filter_map(|(p, &j)| Some((p as u32, by_old[j]?)))
            .collect();
    }
    *c.offsets = from.iter().map(|&j| c.offsets[j]).collect();
    *c.code = code;
}

//! Rearranging a function's translated code: the translation's passes that remove
//! instructions (`Loop` headers without a use) or copy them (`tails`) rebuild the code
//! here, each old instruction replaced by a run of old instructions (and, after a copied
//! run, a branch back to where the original run went on), with every branch and every
//! per-position table still pointing at the same instructions.

use super::bytecode::{Instr, Off};
use std::ops::RangeInclusive;

/// The code of one function with the tables indexed by its positions.
pub(super) struct Layout<'a> {
    pub(super) code: &'a mut Vec<Instr>,
    /// Each instruction's code offset.
    pub(super) offsets: &'a mut Vec<u32>,
    /// `(position, value)` pairs, in order of position.
    pub(super) tables: [&'a mut Vec<(u32, u32)>; 3],
}

/// What one old instruction becomes: copies of the old instructions `run` (`None`:
/// nothing), then, with `then`, a `Br` to old position `then`.
#[derive(Clone)]
pub(super) struct Piece {
    pub(super) run: Option<RangeInclusive<usize>>,
    pub(super) then: Option<usize>,
}

impl Piece {
    /// The old instruction `i` itself.
    pub(super) fn kept(i: usize) -> Self {
        Piece {
            run: Some(i..=i),
            then: None,
        }
    }
}

/// Where a new instruction comes from: a copy of an old one, or a `Br` to old position
/// `to` in the piece that replaces old instruction `within` (whose code offset it takes).
#[derive(Clone, Copy)]
enum Source {
    Old(usize),
    Br { to: usize, within: usize },
}

/// Rebuilds `c` with old instruction `i` replaced by `pieces[i]`. A branch to `i` lands
/// on the first instruction of its replacement (after a removed one, on the next one's),
/// and a copy keeps its original's code offset and table entries.
pub(super) fn relayout(c: Layout<'_>, pieces: &[Piece]) {
    // Where each old position starts in the new code (one past the end included).
    let mut at = Vec::with_capacity(pieces.len() + 1);
    // For every new position, where it comes from.
    let mut from = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        at.push(from.len());
        from.extend(piece.run.clone().into_iter().flatten().map(Source::Old));
        from.extend(piece.then.map(|to| Source::Br { to, within: i }));
    }
    at.push(from.len());
    let old = |f: Source| match f {
        Source::Old(j) | Source::Br { within: j, .. } => j,
    };
    let mut code: Vec<Instr> = (from.iter())
        .map(|&f| match f {
            Source::Old(j) => c.code[j],
            Source::Br { .. } => Instr::Br { off: 0 },
        })
        .collect();
    for (p, instr) in code.iter_mut().enumerate() {
        if let Some(off) = instr.branch_offset_mut() {
            let target = match from[p] {
                Source::Old(j) => (j as i64 + i64::from(*off)) as usize,
                Source::Br { to, .. } => to,
            };
            *off = (at[target] as i64 - p as i64) as Off;
        }
    }
    for table in c.tables.into_iter().filter(|t| !t.is_empty()) {
        let mut by_old: Vec<Option<u32>> = vec![None; c.code.len()];
        for &(p, v) in table.iter() {
            by_old[p as usize] = Some(v);
        }
        *table = (from.iter().enumerate())
            .filter_map(|(p, &f)| match f {
                Source::Old(j) => Some((p as u32, by_old[j]?)),
                Source::Br { .. } => None,
            })
            .collect();
    }
    *c.offsets = from.iter().map(|&f| c.offsets[old(f)]).collect();
    *c.code = code;
}

//! Optimization passes over the trace IR, one per file. FOLD and CSE run as each
//! instruction is emitted (`fold`, then `cse`, from `Ir::emit`); FOLD hands loads to
//! MEM, which forwards stored and loaded values to them (`mem`), bounds checks to
//! BOUNDS (`bounds`), divisions by constants to their strength reduction (`divk`), and
//! guards on comparisons and truncation checks to GUARDS (`guards`).
//! LOOP, MEM's dead-store elimination and DCE run once the recording is complete, in
//! that order.

pub(crate) mod bounds;
pub(crate) mod cse;
pub(crate) mod dce;
mod divk;
pub(crate) mod fold;
mod guards;
pub(crate) mod loop_;
pub(crate) mod mem;

#[cfg(test)]
mod filetests;

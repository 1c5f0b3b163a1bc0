//! Fuel costs (`Config::consume_fuel`): the one table of what each WebAssembly operator
//! costs, read by the translator when it sums a straight-line run of code into the
//! `Fuel` instruction that charges it.
//!
//! The costs are Wasmtime's defaults, so a program's fuel budget means the same in both
//! engines: every operator costs 1, except those that do no work of their own.

use wasmparser::Operator;

/// The fuel operator `op` costs.
pub(crate) fn cost(op: &Operator<'_>) -> u32 {
    use Operator as O;
    match op {
        O::Nop | O::Drop | O::Unreachable | O::Block { .. } | O::Loop { .. } | O::Else | O::End => {
            0
        }
        _ => 1,
    }
}

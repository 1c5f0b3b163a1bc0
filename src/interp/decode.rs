//! Translation's operator decoder: walks one function body's operators for `translate`
//! and hands each, with its offset, to a [`Sink`].
//!
//! It goes through wasmparser's visitor rather than reading `Result<Operator>` values: a
//! visit method builds its operator in place and passes it on, where moving a decoded
//! operator out of its `Result` copies it with wide loads that straddle the decoder's
//! narrower stores, and each such load stalls until those stores reach the cache. The
//! collecting pre-pass (a [`Sink`] whose `op` inlines) then also never builds an operator
//! it does not look at.

use crate::Error;
use wasmparser::{Operator, OperatorsReader, VisitOperator};

/// What consumes the operators of one function body, in order.
pub(crate) trait Sink<'a> {
    /// Takes the operator that starts at byte `offset` of the module.
    fn op(&mut self, op: Operator<'a>, offset: u32) -> Result<(), Error>;

    /// Whether to go on decoding (a pre-pass may have seen enough).
    fn more(&self) -> bool {
        true
    }
}

/// Feeds every operator of `ops` to `sink` while it wants more, stopping at the first
/// error either makes.
pub(crate) fn feed<'a, S: Sink<'a>>(
    mut ops: OperatorsReader<'a>,
    sink: &mut S,
) -> Result<(), Error> {
    while !ops.eof() && sink.more() {
        let offset = ops.original_position() as u32;
        ops.visit_operator(&mut Visit { sink, offset })
            .map_err(Error::compile)??;
    }
    Ok(())
}

/// The visitor for one operator: builds it and passes it to the sink.
struct Visit<'s, S> {
    sink: &'s mut S,
    offset: u32,
}

macro_rules! define_visit {
    ($(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Result<(), Error> {
                self.sink.op(Operator::$op $({ $($arg),* })?, self.offset)
            }
        )*
    };
}

impl<'a, S: Sink<'a>> VisitOperator<'a> for Visit<'_, S> {
    type Output = Result<(), Error>;

    wasmparser::for_each_visit_operator!(define_visit);
}

//! Constant expressions (global initializers, segment offsets, element items).
//!
//! Wasm 2.0 allows exactly one constant instruction before `end`; validation guarantees it.

use crate::error::Error;

/// A decoded constant expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ConstExpr {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    RefNull,
    RefFunc(u32),
    GlobalGet(u32),
}

impl ConstExpr {
    pub(crate) fn decode(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr, Error> {
        use wasmparser::Operator as Op;
        let mut reader = expr.get_operators_reader();
        let op = reader.read().map_err(Error::compile)?;
        let value = match op {
            Op::I32Const { value } => ConstExpr::I32(value),
            Op::I64Const { value } => ConstExpr::I64(value),
            Op::F32Const { value } => ConstExpr::F32(value.bits()),
            Op::F64Const { value } => ConstExpr::F64(value.bits()),
            Op::RefNull { .. } => ConstExpr::RefNull,
            Op::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
            Op::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
            other => {
                return Err(Error::compile(format!(
                    "unsupported constant expression operator {other:?}"
                )));
            }
        };
        match reader.read().map_err(Error::compile)? {
            Op::End => Ok(value),
            _ => Err(Error::compile(
                "constant expression longer than one instruction",
            )),
        }
    }
}

//! `Val`, the dynamically typed value of the embedding API, and `ExternRef`, a reference
//! to host data, with their encoding in 64-bit slots (see `interp::bytecode`).

use crate::runtime::func::Func;
use crate::runtime::store::{AsContextMut, StoreInner};
use crate::runtime::types::ValType;
use std::any::Any;
use std::sync::Arc;

/// A WebAssembly value.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    /// A 32-bit integer.
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A 32-bit float, as its bits (so NaN payloads survive).
    F32(u32),
    /// A 64-bit float, as its bits.
    F64(u64),
    /// A nullable function reference.
    FuncRef(Option<Func>),
    /// A nullable host reference.
    ExternRef(Option<ExternRef>),
}

impl Val {
    /// The zero value (or null reference) of a type.
    pub fn default_for_ty(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The `i32`, if this is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    /// The `i64`, if this is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    /// The `f32`, if this is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }
    /// The `f64`, if this is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }
    /// The `i32`; panics if the value has another type.
    pub fn unwrap_i32(&self) -> i32 {
        self.i32().expect("expected an i32")
    }
    /// The `i64`; panics if the value has another type.
    pub fn unwrap_i64(&self) -> i64 {
        self.i64().expect("expected an i64")
    }
    /// The `f32`; panics if the value has another type.
    pub fn unwrap_f32(&self) -> f32 {
        self.f32().expect("expected an f32")
    }
    /// The `f64`; panics if the value has another type.
    pub fn unwrap_f64(&self) -> f64 {
        self.f64().expect("expected an f64")
    }
    /// The function reference, if this is one.
    pub fn funcref(&self) -> Option<Option<&Func>> {
        if let Val::FuncRef(f) = self {
            Some(f.as_ref())
        } else {
            None
        }
    }
    /// The extern reference, if this is one.
    pub fn externref(&self) -> Option<Option<&ExternRef>> {
        if let Val::ExternRef(e) = self {
            Some(e.as_ref())
        } else {
            None
        }
    }

    /// Encodes the value in a slot, checking that references belong to `store`.
    pub(crate) fn to_slot(self, store: &StoreInner) -> Result<u64, crate::Error> {
        Ok(match self {
            Val::I32(v) => u64::from(v as u32),
            Val::I64(v) => v as u64,
            Val::F32(v) => u64::from(v),
            Val::F64(v) => v,
            Val::FuncRef(None) | Val::ExternRef(None) => 0,
            Val::FuncRef(Some(f)) => {
                if f.store_id != store.id {
                    return Err(crate::Error::usage("function reference from another store"));
                }
                u64::from(f.idx) + 1
            }
            Val::ExternRef(Some(e)) => {
                if e.store_id != store.id {
                    return Err(crate::Error::usage("extern reference from another store"));
                }
                u64::from(e.idx) + 1
            }
        })
    }

    /// Decodes a slot holding a value of type `ty`.
    pub(crate) fn from_slot(bits: u64, ty: ValType, store_id: u64) -> Val {
        match ty {
            ValType::I32 => Val::I32(bits as u32 as i32),
            ValType::I64 => Val::I64(bits as i64),
            ValType::F32 => Val::F32(bits as u32),
            ValType::F64 => Val::F64(bits),
            ValType::FuncRef => Val::FuncRef((bits != 0).then(|| Func {
                store_id,
                idx: (bits - 1) as u32,
            })),
            ValType::ExternRef => Val::ExternRef((bits != 0).then(|| ExternRef {
                store_id,
                idx: (bits - 1) as u32,
            })),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}
impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}
impl From<Func> for Val {
    fn from(f: Func) -> Val {
        Val::FuncRef(Some(f))
    }
}

/// A reference to host data, as WebAssembly's `externref` holds it. The data lives as long
/// as the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternRef {
    pub(crate) store_id: u64,
    pub(crate) idx: u32,
}

impl ExternRef {
    /// Stores `data` in the store and returns a reference to it.
    pub fn new<D: Any + Send + Sync>(mut store: impl AsContextMut, data: D) -> ExternRef {
        let inner = &mut store.as_context_mut().store.inner;
        inner.externs.push(Arc::new(data));
        ExternRef {
            store_id: inner.id,
            idx: (inner.externs.len() - 1) as u32,
        }
    }

    /// The host data this reference points to.
    pub fn data<'a, T: 'a>(
        &self,
        store: impl Into<crate::StoreContext<'a, T>>,
    ) -> &'a (dyn Any + Send + Sync) {
        let store = store.into().store;
        store.inner.check(self.store_id);
        &*store.inner.externs[self.idx as usize]
    }
}

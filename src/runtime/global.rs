//! `Global`: a global variable handle.

use crate::error::Error;
use crate::runtime::store::{AsContext, AsContextMut, GlobalEntity};
use crate::runtime::types::{GlobalType, Mutability};
use crate::runtime::values::Val;

/// A global variable in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Global {
    pub(crate) store_id: u64,
    pub(crate) idx: u32,
}

impl Global {
    /// Creates a global of type `ty` holding `val`.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, val: Val) -> Result<Global, Error> {
        let inner = &mut store.as_context_mut().store.inner;
        if val.ty() != ty.content() {
            return Err(Error::usage(format!(
                "global of type {} initialized with a {}",
                ty.content(),
                val.ty()
            )));
        }
        let value = val.to_slot(inner)?;
        inner.globals.push(GlobalEntity { value, ty });
        Ok(Global {
            store_id: inner.id,
            idx: (inner.globals.len() - 1) as u32,
        })
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        let ctx = store.as_context();
        ctx.store.inner.check(self.store_id);
        ctx.store.inner.globals[self.idx as usize].ty
    }

    /// The global's value.
    pub fn get(&self, store: impl AsContext) -> Val {
        let ctx = store.as_context();
        let inner = &ctx.store.inner;
        inner.check(self.store_id);
        let g = &inner.globals[self.idx as usize];
        Val::from_slot(g.value, g.ty.content(), inner.id)
    }

    /// Sets the value of a mutable global.
    pub fn set(&self, mut store: impl AsContextMut, val: Val) -> Result<(), Error> {
        let inner = &mut store.as_context_mut().store.inner;
        inner.check(self.store_id);
        let ty = inner.globals[self.idx as usize].ty;
        if ty.mutability() != Mutability::Var {
            return Err(Error::usage("cannot set an immutable global"));
        }
        if val.ty() != ty.content() {
            return Err(Error::usage(format!(
                "global of type {} set to a {}",
                ty.content(),
                val.ty()
            )));
        }
        let bits = val.to_slot(inner)?;
        inner.globals[self.idx as usize].value = bits;
        Ok(())
    }
}

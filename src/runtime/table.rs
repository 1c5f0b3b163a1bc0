//! `Table`: a table of references handle.

use crate::error::Error;
use crate::runtime::limits::Growth;
use crate::runtime::store::{AsContext, AsContextMut, TableEntity};
use crate::runtime::types::TableType;
use crate::runtime::values::Val;

/// A table of function or extern references in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    pub(crate) store_id: u64,
    pub(crate) idx: u32,
}

impl Table {
    /// Creates a table of type `ty` with every element set to `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table, Error> {
        let store = store.as_context_mut().store;
        let growth = Growth::table(0, ty.minimum() as usize, ty);
        if !store.ask_limiter(growth)? {
            return Err(Error::usage(
                "table refused by the store's resource limiter",
            ));
        }
        let inner = &mut store.inner;
        if !ty.element().is_ref() || init.ty() != ty.element() {
            return Err(Error::usage(
                "table element type and initial value do not match",
            ));
        }
        if ty.maximum().is_some_and(|m| m < ty.minimum()) {
            return Err(Error::usage("invalid table limits"));
        }
        let init = init.to_slot(inner)?;
        let mut elems = Vec::new();
        elems
            .try_reserve_exact(ty.minimum() as usize)
            .map_err(|_| Error::usage("table too large"))?;
        elems.resize(ty.minimum() as usize, init);
        inner.tables.push(TableEntity { elems, ty });
        Ok(Table {
            store_id: inner.id,
            idx: (inner.tables.len() - 1) as u32,
        })
    }

    /// The table's type, with its current size as the minimum.
    pub fn ty(&self, store: impl AsContext) -> TableType {
        let ctx = store.as_context();
        ctx.store.inner.check(self.store_id);
        let t = &ctx.store.inner.tables[self.idx as usize];
        TableType::new(t.ty.element(), t.elems.len() as u32, t.ty.maximum())
    }

    /// The number of elements.
    pub fn size(&self, store: impl AsContext) -> u32 {
        let ctx = store.as_context();
        ctx.store.inner.check(self.store_id);
        ctx.store.inner.tables[self.idx as usize].elems.len() as u32
    }

    /// The element at `index`, or `None` out of bounds.
    pub fn get(&self, store: impl AsContext, index: u32) -> Option<Val> {
        let ctx = store.as_context();
        let inner = &ctx.store.inner;
        inner.check(self.store_id);
        let t = &inner.tables[self.idx as usize];
        let bits = *t.elems.get(index as usize)?;
        Some(Val::from_slot(bits, t.ty.element(), inner.id))
    }

    /// Sets the element at `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u32, val: Val) -> Result<(), Error> {
        let inner = &mut store.as_context_mut().store.inner;
        inner.check(self.store_id);
        let elem = inner.tables[self.idx as usize].ty.element();
        if val.ty() != elem {
            return Err(Error::usage("table element type mismatch"));
        }
        let bits = val.to_slot(inner)?;
        let slot = inner.tables[self.idx as usize]
            .elems
            .get_mut(index as usize)
            .ok_or_else(|| Error::usage("table index out of bounds"))?;
        *slot = bits;
        Ok(())
    }

    /// Grows by `delta` elements set to `init`; returns the old size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u32, init: Val) -> Result<u32, Error> {
        let store = store.as_context_mut().store;
        store.inner.check(self.store_id);
        if let Some(growth) = store.inner.tables[self.idx as usize].growth(delta)
            && !store.ask_limiter(growth)?
        {
            return Err(Error::usage(
                "table growth refused by the store's resource limiter",
            ));
        }
        let inner = &mut store.inner;
        let elem = inner.tables[self.idx as usize].ty.element();
        if init.ty() != elem {
            return Err(Error::usage("table element type mismatch"));
        }
        let bits = init.to_slot(inner)?;
        inner
            .grow_table(self.idx as usize, delta, bits)
            .ok_or_else(|| Error::usage("failed to grow table"))
    }
}

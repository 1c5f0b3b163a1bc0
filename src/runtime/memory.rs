//! `Memory`: a linear memory handle, with host access to its bytes.

use crate::error::Error;
use crate::runtime::limits::Growth;
use crate::runtime::store::{
    AsContext, AsContextMut, MemoryEntity, PAGE_SIZE, StoreContext, StoreContextMut,
};
use crate::runtime::types::MemoryType;
use std::fmt;

/// A linear memory in a store.
///
/// ```
/// use spur::{Engine, Memory, MemoryType, Store};
///
/// let engine = Engine::default();
/// let mut store = Store::new(&engine, ());
/// let memory = Memory::new(&mut store, MemoryType::new(1, Some(2)))?;
/// memory.write(&mut store, 100, b"spur").unwrap();
/// let mut buf = [0u8; 4];
/// memory.read(&store, 100, &mut buf).unwrap();
/// assert_eq!(&buf, b"spur");
/// assert_eq!(memory.grow(&mut store, 1)?, 1); // the old size, in pages
/// assert!(memory.grow(&mut store, 1).is_err()); // past the maximum
/// assert!(memory.read(&store, 2 * 65536, &mut buf).is_err());
/// # Ok::<(), spur::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Memory {
    pub(crate) store_id: u64,
    pub(crate) idx: u32,
}

/// A host access outside a memory's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryAccessError;

impl fmt::Display for MemoryAccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of bounds memory access")
    }
}

impl std::error::Error for MemoryAccessError {}

impl Memory {
    /// Creates a memory of type `ty`, filled with zeros.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory, Error> {
        if ty.minimum() > crate::runtime::store::MAX_PAGES
            || ty
                .maximum()
                .is_some_and(|m| m < ty.minimum() || m > crate::runtime::store::MAX_PAGES)
        {
            return Err(Error::usage("invalid memory limits"));
        }
        let store = store.as_context_mut().store;
        let growth = Growth::memory(0, ty.minimum().into(), ty);
        if !store.ask_limiter(growth)? {
            return Err(Error::usage(
                "memory refused by the store's resource limiter",
            ));
        }
        let inner = &mut store.inner;
        let reservation = inner.engine.config().memory_reservation;
        inner.memories.push(MemoryEntity::new(ty, reservation)?);
        Ok(Memory {
            store_id: inner.id,
            idx: (inner.memories.len() - 1) as u32,
        })
    }

    fn entity<'a>(&self, store: &'a crate::runtime::store::StoreInner) -> &'a MemoryEntity {
        store.check(self.store_id);
        &store.memories[self.idx as usize]
    }

    /// The memory's type, with its current size as the minimum.
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        let ctx = store.as_context();
        let m = self.entity(&ctx.store.inner);
        MemoryType::new(m.pages(), m.ty.maximum())
    }

    /// The size in pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        u64::from(self.entity(&store.as_context().store.inner).pages())
    }

    /// The size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        self.entity(&store.as_context().store.inner).data.len()
    }

    /// Grows by `delta` pages and returns the old size in pages.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64, Error> {
        let store = store.as_context_mut().store;
        store.inner.check(self.store_id);
        let delta =
            u32::try_from(delta).map_err(|_| Error::usage("memory grow delta too large"))?;
        if let Some(growth) = store.inner.memories[self.idx as usize].growth(delta)
            && !store.ask_limiter(growth)?
        {
            return Err(Error::usage(
                "memory growth refused by the store's resource limiter",
            ));
        }
        let inner = &mut store.inner;
        inner
            .grow_memory(self.idx as usize, delta)
            .map(u64::from)
            .ok_or_else(|| Error::usage("failed to grow memory"))
    }

    /// The memory's bytes.
    pub fn data<'a, T: 'a>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        let store = store.into().store;
        &self.entity(&store.inner).data
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'a, T: 'a>(&self, store: impl Into<StoreContextMut<'a, T>>) -> &'a mut [u8] {
        let store = store.into().store;
        store.inner.check(self.store_id);
        &mut store.inner.memories[self.idx as usize].data[..]
    }

    /// Copies bytes at `offset` into `buf`.
    pub fn read(
        &self,
        store: impl AsContext,
        offset: usize,
        buf: &mut [u8],
    ) -> Result<(), MemoryAccessError> {
        let ctx = store.as_context();
        let data = &self.entity(&ctx.store.inner).data;
        let end = offset.checked_add(buf.len()).ok_or(MemoryAccessError)?;
        buf.copy_from_slice(data.get(offset..end).ok_or(MemoryAccessError)?);
        Ok(())
    }

    /// Copies `buf` into the memory at `offset`.
    pub fn write(
        &self,
        mut store: impl AsContextMut,
        offset: usize,
        buf: &[u8],
    ) -> Result<(), MemoryAccessError> {
        let inner = &mut store.as_context_mut().store.inner;
        inner.check(self.store_id);
        let data = &mut inner.memories[self.idx as usize].data;
        let end = offset.checked_add(buf.len()).ok_or(MemoryAccessError)?;
        data.get_mut(offset..end)
            .ok_or(MemoryAccessError)?
            .copy_from_slice(buf);
        Ok(())
    }
}

const _: () = assert!(PAGE_SIZE == 65536);

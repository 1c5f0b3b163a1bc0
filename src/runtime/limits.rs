//! Resource limits: what a store may grow to, decided by the embedder.
//!
//! The API is Wasmtime's (and wasmi's): [`Store::limiter`](crate::Store::limiter) installs
//! a closure that finds a [`ResourceLimiter`] in the store's data, and [`StoreLimits`]
//! is a ready-made one. Every growth of a memory or table, from `memory.grow` and
//! `table.grow` or from the host API, and every memory or table an instantiation
//! creates, asks the limiter first; instantiation also checks the instance, memory and
//! table counts. A refused `memory.grow` or `table.grow` returns -1, as the specification
//! allows; an error from the limiter traps (in WebAssembly) or is returned (host API).
//!
//! WebAssembly code reaches the limiter through the store's trampoline (the typed store
//! behind the untyped interpreter); traces never grow memory or tables while a limiter is
//! installed (recording stops there, and installing one drops the traces compiled
//! before), so every growth goes through the interpreter, which reports the limiter's
//! errors.

use crate::Error;
use crate::runtime::store::{PAGE_SIZE, StoreInner};
use crate::runtime::types::{MemoryType, TableType};

/// Decides whether memories and tables may grow, and how many instances, memories and
/// tables a store may hold.
pub trait ResourceLimiter {
    /// A memory wants to grow from `current` to `desired` bytes (`maximum` from its type,
    /// if any); also asked with `current` 0 when an instantiation creates a memory.
    /// `Ok(false)` refuses: `memory.grow` returns -1 (the host API and instantiation
    /// fail).
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, Error>;

    /// A table wants to grow from `current` to `desired` elements.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, Error>;

    /// The most instances the store may hold.
    fn instances(&self) -> usize {
        DEFAULT_INSTANCE_LIMIT
    }

    /// The most tables the store may hold.
    fn tables(&self) -> usize {
        DEFAULT_TABLE_LIMIT
    }

    /// The most memories the store may hold.
    fn memories(&self) -> usize {
        DEFAULT_MEMORY_LIMIT
    }
}

/// The default count limits (Wasmtime's).
pub const DEFAULT_INSTANCE_LIMIT: usize = 10_000;
/// See [`DEFAULT_INSTANCE_LIMIT`].
pub const DEFAULT_TABLE_LIMIT: usize = 10_000;
/// See [`DEFAULT_INSTANCE_LIMIT`].
pub const DEFAULT_MEMORY_LIMIT: usize = 10_000;

/// A [`ResourceLimiter`] with fixed limits, built by [`StoreLimitsBuilder`].
#[derive(Clone, Debug)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    instances: usize,
    tables: usize,
    memories: usize,
    trap_on_grow_failure: bool,
}

impl Default for StoreLimits {
    fn default() -> StoreLimits {
        StoreLimits {
            memory_size: None,
            table_elements: None,
            instances: DEFAULT_INSTANCE_LIMIT,
            tables: DEFAULT_TABLE_LIMIT,
            memories: DEFAULT_MEMORY_LIMIT,
            trap_on_grow_failure: false,
        }
    }
}

impl StoreLimits {
    fn grow(&self, desired: usize, limit: Option<usize>, what: &str) -> Result<bool, Error> {
        match limit {
            Some(l) if desired > l => {
                if self.trap_on_grow_failure {
                    Err(Error::msg(format!(
                        "{what} of {desired} exceeds the store's limit of {l}"
                    )))
                } else {
                    Ok(false)
                }
            }
            _ => Ok(true),
        }
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        _: usize,
        desired: usize,
        _: Option<usize>,
    ) -> Result<bool, Error> {
        self.grow(desired, self.memory_size, "memory size")
    }

    fn table_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> Result<bool, Error> {
        self.grow(desired, self.table_elements, "table size")
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// Builds [`StoreLimits`]; every limit not set stays at its default (no size limits).
#[derive(Clone, Debug, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// No limits beyond the default counts.
    pub fn new() -> StoreLimitsBuilder {
        StoreLimitsBuilder::default()
    }

    /// The largest size in bytes of any one memory.
    pub fn memory_size(mut self, bytes: usize) -> StoreLimitsBuilder {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The most elements of any one table.
    pub fn table_elements(mut self, n: usize) -> StoreLimitsBuilder {
        self.0.table_elements = Some(n);
        self
    }

    /// The most instances.
    pub fn instances(mut self, n: usize) -> StoreLimitsBuilder {
        self.0.instances = n;
        self
    }

    /// The most tables.
    pub fn tables(mut self, n: usize) -> StoreLimitsBuilder {
        self.0.tables = n;
        self
    }

    /// The most memories.
    pub fn memories(mut self, n: usize) -> StoreLimitsBuilder {
        self.0.memories = n;
        self
    }

    /// Whether a refused growth traps (an error) instead of failing with -1.
    pub fn trap_on_grow_failure(mut self, trap: bool) -> StoreLimitsBuilder {
        self.0.trap_on_grow_failure = trap;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}

/// What grows and how, for the store's trampoline to the typed limiter: sizes in bytes
/// for a memory, in elements for a table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Growth {
    table: bool,
    current: usize,
    desired: usize,
    maximum: Option<usize>,
}

impl Growth {
    /// A memory of type `ty` growing from `current` to `desired` pages.
    pub(crate) fn memory(current: u64, desired: u64, ty: MemoryType) -> Growth {
        let bytes = |pages: u64| (pages as usize).saturating_mul(PAGE_SIZE);
        Growth {
            table: false,
            current: bytes(current),
            desired: bytes(desired),
            maximum: ty.maximum().map(|m| bytes(u64::from(m))),
        }
    }

    /// A table of type `ty` growing from `current` to `desired` elements.
    pub(crate) fn table(current: usize, desired: usize, ty: TableType) -> Growth {
        Growth {
            table: true,
            current,
            desired,
            maximum: ty.maximum().map(|m| m as usize),
        }
    }

    /// Asks `limiter`.
    pub(crate) fn ask(self, limiter: &mut dyn ResourceLimiter) -> Result<bool, Error> {
        let Growth {
            table,
            current,
            desired,
            maximum,
        } = self;
        if table {
            limiter.table_growing(current, desired, maximum)
        } else {
            limiter.memory_growing(current, desired, maximum)
        }
    }
}

/// Whether the store's limiter (if any) allows `growth`: WebAssembly code's way to the
/// typed store's limiter.
pub(crate) fn allowed(s: &mut StoreInner, growth: Growth) -> Result<bool, Error> {
    if !s.limited {
        return Ok(true);
    }
    let Some(t) = s.host_trampoline else {
        return Ok(true);
    };
    // SAFETY: the trampoline was installed by the driver that is running this store and
    // points to the typed store that owns `s`; `s` is not used while the limiter runs,
    // and the callers read the store afresh afterwards.
    unsafe { (t.limit)(t.store, growth) }
}

//! The bulk memory and table operations (`memory.grow`, `memory.fill`, `memory.copy`,
//! `memory.init`, `data.drop` and their table counterparts), with their bounds checks
//! and traps: called by the dispatch loop (`exec`) and, through helpers, by traces.
//!
//! They act on the running instance's entities in the store (`StoreInner::stack`
//! names the instance); growth asks the store's resource limiter first.

use crate::error::Error;
use crate::runtime::limits;
use crate::runtime::store::StoreInner;
use crate::runtime::trap::TrapCode;
use std::ptr;

#[cold]
#[inline(never)]
pub(crate) fn memory_grow(s: &mut StoreInner, delta: u32) -> Result<u64, Error> {
    let m = s.instances[s.stack.instance as usize].memories[0] as usize;
    if let Some(growth) = s.memories[m].growth(delta)
        && !limits::allowed(s, growth)?
    {
        return Ok(u64::from(u32::MAX));
    }
    Ok(u64::from(s.grow_memory(m, delta).unwrap_or(u32::MAX)))
}

/// The byte range `at..at + n` (32-bit operands) if it fits in `len`.
fn range(at: u64, n: u64, len: usize) -> Result<std::ops::Range<usize>, TrapCode> {
    let (at, n) = (at as u32 as usize, n as u32 as usize);
    if at + n > len {
        return Err(TrapCode::MemoryOutOfBounds);
    }
    Ok(at..at + n)
}

#[cold]
#[inline(never)]
pub(crate) fn memory_fill(
    mem: *mut u8,
    len: usize,
    d: u64,
    val: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let r = range(d, n, len)?;
    // SAFETY: `r` is inside the memory of `len` bytes at `mem`.
    unsafe { ptr::write_bytes(mem.add(r.start), val as u8, r.len()) };
    Ok(())
}

#[cold]
#[inline(never)]
pub(crate) fn memory_copy(
    mem: *mut u8,
    len: usize,
    d: u64,
    src: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let (to, from) = (range(d, n, len)?, range(src, n, len)?);
    // SAFETY: both ranges are inside the memory of `len` bytes at `mem`; `copy` allows overlap.
    unsafe { ptr::copy(mem.add(from.start), mem.add(to.start), to.len()) };
    Ok(())
}

#[cold]
#[inline(never)]
pub(crate) fn memory_init(
    s: &StoreInner,
    mem: *mut u8,
    len: usize,
    seg: u32,
    d: u64,
    src: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let inst = &s.instances[s.stack.instance as usize];
    let bytes: &[u8] = if inst.data_dropped[seg as usize] {
        &[]
    } else {
        &inst.module.inner.bytes[inst.module.inner.datas[seg as usize].range.clone()]
    };
    let to = range(d, n, len)?;
    let from = range(src, n, bytes.len())?;
    // SAFETY: `to` is inside the memory; the segment bytes are not part of it.
    unsafe {
        ptr::copy_nonoverlapping(bytes.as_ptr().add(from.start), mem.add(to.start), to.len())
    };
    Ok(())
}

#[cold]
#[inline(never)]
pub(crate) fn data_drop(s: &mut StoreInner, seg: u32) {
    s.instances[s.stack.instance as usize].data_dropped[seg as usize] = true;
}

/// The store index of the running instance's table `table`.
#[inline]
pub(crate) fn table_of(s: &StoreInner, table: u32) -> usize {
    s.instances[s.stack.instance as usize].tables[table as usize] as usize
}

/// The element range `at..at + n` if it fits in `len`.
fn elems(at: u64, n: u64, len: usize) -> Result<std::ops::Range<usize>, TrapCode> {
    range(at, n, len).map_err(|_| TrapCode::TableOutOfBounds)
}

#[cold]
#[inline(never)]
pub(crate) fn table_grow(
    s: &mut StoreInner,
    table: u32,
    init: u64,
    delta: u64,
) -> Result<u64, Error> {
    let t = table_of(s, table);
    if let Some(growth) = s.tables[t].growth(delta as u32)
        && !limits::allowed(s, growth)?
    {
        return Ok(u64::from(u32::MAX));
    }
    Ok(u64::from(
        s.grow_table(t, delta as u32, init).unwrap_or(u32::MAX),
    ))
}

#[cold]
#[inline(never)]
pub(crate) fn table_fill(
    s: &mut StoreInner,
    table: u32,
    i: u64,
    v: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let t = table_of(s, table);
    let r = elems(i, n, s.tables[t].elems.len())?;
    s.tables[t].elems[r].fill(v);
    Ok(())
}

#[cold]
#[inline(never)]
pub(crate) fn table_copy(
    s: &mut StoreInner,
    dst: u32,
    src: u32,
    d: u64,
    from: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let (dt, st) = (table_of(s, dst), table_of(s, src));
    let to = elems(d, n, s.tables[dt].elems.len())?;
    let from = elems(from, n, s.tables[st].elems.len())?;
    if dt == st {
        s.tables[dt].elems.copy_within(from, to.start);
    } else {
        let items = s.tables[st].elems[from].to_vec();
        s.tables[dt].elems[to].copy_from_slice(&items);
    }
    Ok(())
}

#[cold]
#[inline(never)]
pub(crate) fn table_init(
    s: &mut StoreInner,
    table: u32,
    seg: u32,
    d: u64,
    src: u64,
    n: u64,
) -> Result<(), TrapCode> {
    let t = table_of(s, table);
    let segment = &s.instances[s.stack.instance as usize].elems[seg as usize];
    let from = elems(src, n, segment.len())?;
    let items = segment[from].to_vec();
    let to = elems(d, n, s.tables[t].elems.len())?;
    s.tables[t].elems[to].copy_from_slice(&items);
    Ok(())
}

#[cold]
#[inline(never)]
pub(crate) fn elem_drop(s: &mut StoreInner, seg: u32) {
    s.instances[s.stack.instance as usize].elems[seg as usize] = Box::new([]);
}

//! The bytes of a linear memory: one virtual reservation, made accessible as it grows.
//!
//! A memory reserves address space for its maximum size up front (the declared maximum, or
//! 4 GiB, capped by the engine's `Config::memory_reservation`), inaccessible and without
//! committing anything (`PROT_NONE`, `MAP_NORESERVE`). The accessible prefix is read-write,
//! and the kernel supplies zeroed pages on first touch, so creating or growing a memory
//! neither copies nor zeroes, and the base address stays put within the reservation.
//! Growth past it moves the memory (`mremap`); so does all growth where the address space
//! cannot be reserved up front (a tight `ulimit -v`, or very many memories): the
//! reservation then covers the current size only. The interpreter and the JIT keep the
//! base in a register and reload it after anything that may grow memory.

use std::io;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// The accessible bytes of one linear memory.
///
/// # Invariant
/// `base` is the start of a private anonymous mapping of `reserved` bytes owned by this
/// value; its first `len` bytes are readable and writable, `len <= reserved`.
pub(crate) struct LinearMemory {
    base: NonNull<u8>,
    len: usize,
    reserved: usize,
}

// SAFETY: the mapping is owned exclusively by this value and only reached through `&self`
// (shared reads) or `&mut self` (exclusive access), like a `Vec<u8>`.
unsafe impl Send for LinearMemory {}
// SAFETY: as above; `&LinearMemory` only gives shared reads.
unsafe impl Sync for LinearMemory {}

fn page_size() -> usize {
    // SAFETY: `sysconf` has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as usize } else { 4096 }
}

/// Maps `size` bytes of fresh, zeroed address space with protection `prot`.
fn map(size: usize, prot: libc::c_int) -> io::Result<NonNull<u8>> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
    // SAFETY: an anonymous mapping at an address of the kernel's choosing touches no
    // existing memory.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), size, prot, flags, -1, 0) };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    NonNull::new(p.cast()).ok_or_else(|| io::Error::other("mmap returned null"))
}

impl LinearMemory {
    /// A memory of `len` accessible bytes, reserving `reserve` bytes (at least `len`) to
    /// grow in place.
    pub(crate) fn new(len: usize, reserve: usize) -> io::Result<LinearMemory> {
        let page = page_size();
        let want = reserve.max(len).max(page).next_multiple_of(page);
        match map(want, libc::PROT_NONE) {
            Ok(base) => {
                let mut memory = LinearMemory {
                    base,
                    len: 0,
                    reserved: want,
                };
                memory.make_accessible(len)?;
                Ok(memory)
            }
            // No room for the whole reservation: reserve what is needed now.
            Err(_) => {
                let reserved = len.max(page).next_multiple_of(page);
                let base = map(reserved, libc::PROT_READ | libc::PROT_WRITE)?;
                Ok(LinearMemory {
                    base,
                    len,
                    reserved,
                })
            }
        }
    }

    /// Makes the first `new_len` bytes accessible (they must fit the reservation).
    fn make_accessible(&mut self, new_len: usize) -> io::Result<()> {
        debug_assert!(new_len <= self.reserved && new_len >= self.len);
        if new_len > self.len {
            // SAFETY: `[len, new_len)` lies inside our reservation (invariant plus the check
            // above); `len` and `new_len` are multiples of the wasm page size, so of the OS
            // page size.
            let rc = unsafe {
                libc::mprotect(
                    self.base.as_ptr().add(self.len).cast(),
                    new_len - self.len,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            if rc != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        self.len = new_len;
        Ok(())
    }

    /// Grows to `new_len` bytes, zero-filled; `false` if the system cannot provide them.
    /// The base address changes only when the reservation was too small.
    pub(crate) fn grow_to(&mut self, new_len: usize) -> bool {
        if new_len <= self.reserved {
            return self.make_accessible(new_len).is_ok();
        }
        self.move_to_larger(new_len).is_ok()
    }

    #[cfg(target_os = "linux")]
    fn move_to_larger(&mut self, new_len: usize) -> io::Result<()> {
        let reserved = new_len.next_multiple_of(page_size());
        // The whole current reservation becomes accessible first, so the moved mapping is
        // uniformly read-write (mremap extends with the last part's protection).
        self.make_accessible(self.reserved)?;
        // SAFETY: `base` is the start of our mapping of `reserved` bytes; on success the old
        // range is gone and the new one, at least as large, starts with its contents.
        let p = unsafe {
            libc::mremap(
                self.base.as_ptr().cast(),
                self.reserved,
                reserved,
                libc::MREMAP_MAYMOVE,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        self.base =
            NonNull::new(p.cast()).ok_or_else(|| io::Error::other("mremap returned null"))?;
        self.reserved = reserved;
        self.len = new_len;
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn move_to_larger(&mut self, new_len: usize) -> io::Result<()> {
        let mut larger = LinearMemory::new(new_len, new_len)?;
        larger[..self.len].copy_from_slice(self);
        *self = larger;
        Ok(())
    }
}

impl Deref for LinearMemory {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the first `len` bytes are mapped and readable (invariant).
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.len) }
    }
}

impl DerefMut for LinearMemory {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: the first `len` bytes are mapped, writable and exclusively ours (invariant).
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr(), self.len) }
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        // SAFETY: we own the mapping; nothing refers to it after drop. A failure here
        // would only leak address space, so the result is not checked.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.reserved) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 65536;

    #[test]
    fn grows_in_place_with_zeroes() {
        let mut m = LinearMemory::new(PAGE, 4 * PAGE).unwrap();
        assert_eq!(m.len(), PAGE);
        m[PAGE - 1] = 7;
        let base = m.as_ptr();
        assert!(m.grow_to(3 * PAGE));
        assert_eq!(
            m.as_ptr(),
            base,
            "growth within the reservation keeps the base"
        );
        assert_eq!(m[PAGE - 1], 7);
        assert!(m[PAGE..].iter().all(|&b| b == 0));
        m[3 * PAGE - 1] = 9;
        assert_eq!(m.len(), 3 * PAGE);
    }

    #[test]
    fn grows_past_the_reservation_by_moving() {
        let mut m = LinearMemory::new(PAGE, PAGE).unwrap();
        m[10] = 42;
        assert!(m.grow_to(5 * PAGE));
        assert_eq!(m[10], 42);
        assert!(m[PAGE..].iter().all(|&b| b == 0));
        m[5 * PAGE - 1] = 1;
    }

    #[test]
    fn empty_and_huge_reservations() {
        let m = LinearMemory::new(0, 0).unwrap();
        assert!(m.is_empty());
        // 4 GiB of address space, nothing committed.
        let mut big = LinearMemory::new(0, 1 << 32).unwrap();
        assert!(big.grow_to(PAGE));
        big[0] = 1;
    }
}

//! Executable memory for traces: one reserved region, never writable and executable at once.
//!
//! ## Where this sits
//!
//! The backend (`jit/asm`) asks [`McodeArea::begin`] for room, writes a trace's machine code
//! and its exit stubs through the returned [`McodeWriter`] (at the address where it will run,
//! so relative branches to other traces and stubs can be encoded directly), and
//! [`McodeWriter::commit`]s it, which returns a [`CodeRef`] (entry address, length, flush
//! generation) for the trace cache. A trace that fails to assemble drops its writer, which
//! releases the space. Linking a side trace to its parent's exit, and unlinking it again,
//! rewrites branches in committed code through [`McodeArea::retarget_branch`] (or the raw
//! [`McodeArea::patch`] / [`McodeArea::patch_with`]). Flushing all traces (the `maxmcode`
//! limit, `maxtrace`, or an explicit flush) calls [`McodeArea::flush`].
//!
//! ## Layout: one region reserved up front (unlike LuaJIT's chained areas)
//!
//! LuaJIT allocates `sizemcode` areas one by one and must place each within jump range of
//! its VM, retrying random addresses; that fails in big processes and on macOS/arm64.
//! Here [`McodeArea::new`] reserves the whole
//! `maxmcode` budget at once as one `PROT_NONE` mapping (`MAP_NORESERVE` on Linux), so:
//!
//! - reserving costs address space, not memory: a page gets memory when first written, and
//!   [`McodeArea::flush`] gives it back (`madvise(MADV_DONTNEED)` on Linux);
//! - the region never moves or grows, so a [`CodeRef`] stays valid until the next flush;
//! - the capacity is capped at [`MAX_CAPACITY`] (2 GiB on x86-64, 128 MiB on AArch64), so every
//!   address in the area reaches every other with a direct branch (`jmp/jcc rel32`, `b`):
//!   trace-to-trace links never need a veneer. Exit handlers and runtime helpers outside the
//!   area are reached indirectly (`call [rip+table]`, `ldr`+`blr`), not by placement;
//! - allocation is over whole pages: first fit among the ranges that evicted traces gave
//!   back ([`McodeArea::release`]), else a bump pointer. Each trace owns its pages, so
//!   committing, patching or releasing one trace never changes the protection of another's
//!   code, and a writer's pages never hold live code. The cost is at least one page per
//!   trace: 16384 traces of 4 KiB
//!   pages in the default 64 MiB (four times the default `maxtrace`), but only 1024 with
//!   64 KiB pages. The page size comes from `sysconf(_SC_PAGESIZE)`;
//! - a trace does not start at its first page's first byte but at a cache line chosen in
//!   turn from those its pages leave free (its *color*; the bytes before it trap). With
//!   every trace at a page start, the entries of a tree's hot traces would all fall in the
//!   same few instruction-cache sets. Coloring cut the JIT's run time on the kernels with
//!   the biggest trees (run_kernel, medians of 5-7): interp by 31%, icall_mega by 23%,
//!   hashtab by 18%, bytecode by 11-24%.
//!
//! - the reservation starts with [`DATA_BYTES`] of data (whole pages), `rw-` for the area's
//!   life and never executable: words the code reads PC-relative ([`McodeArea::data`]; the
//!   store's pool of blinded constants). The data and the code together fit in
//!   [`MAX_CAPACITY`], so every byte of code reaches every word of data with a 32-bit
//!   displacement.
//!
//! When the area is full, [`McodeArea::begin`] returns [`McodeError::Full`] (evict or flush,
//! and retry);
//! a trace bigger than the whole area gets [`McodeError::TooLarge`] (abort it). Nothing here
//! panics on a full area or a failing OS call.
//!
//! ## W^X
//!
//! Every page of the region's code is in exactly one of three states (the data before it
//! is always `rw-`):
//!
//! - below [`McodeArea::used`] (committed code): `r-x`, except the pages being patched, which
//!   are `rw-` for the duration of one [`McodeArea::patch_with`] call;
//! - the open writer's pages: `rw-` (there is at most one writer: it borrows the area mutably);
//! - everything else: `---`.
//!
//! All protection changes take a [`Prot`], which has no
//! writable-and-executable variant, so no `mprotect` here can ask for `PROT_WRITE|PROT_EXEC`.
//! The tests read `/proc/self/maps` in every state to check that no mapping of the process is
//! both writable and executable.
//!
//! ## Threads
//!
//! Code on a page must not run while that page is `rw-`. Fresh writer pages have never held
//! live code (after a flush, nothing may execute the old code anyway), and patching, flushing
//! and beginning a trace all take `&mut self`. The engine is single-threaded per store: the
//! area belongs to one store, whose traces run only on the thread that holds `&mut Store`, and
//! that thread is in the JIT (not in a trace of this area) when it calls into this module.
//! The types are `Send`/`Sync` so a store can move between threads.
//!
//! ## Instruction cache
//!
//! Every write (commit and patch) ends with `dynasmrt::cache_control::synchronize_icache` over
//! the written bytes (`dc cvau`/`ic ivau`/`dsb` on AArch64, nothing on x86-64) and
//! `prepare_for_execution` (`isb`) on the calling thread, which is the thread that will run
//! the code. A thread that migrates between cores is context-synchronized by the kernel.
//! qemu-user cannot catch a missing flush (it has no icache model), so these two calls are the
//! only places to review.

use std::fmt;
use std::io;
use std::ptr::NonNull;

use dynasmrt::cache_control;

/// The largest area: every byte of it is within direct-branch range of every other.
///
/// AArch64 `b` reaches ±128 MiB.
#[cfg(target_arch = "aarch64")]
pub(crate) const MAX_CAPACITY: usize = 128 << 20;

/// The largest area: every byte of it is within direct-branch range of every other.
///
/// x86-64 `jmp`/`jcc`/`call rel32` reach ±2 GiB.
#[cfg(not(target_arch = "aarch64"))]
pub(crate) const MAX_CAPACITY: usize = 1 << 31;

/// What fills the rest of a trace's pages, so a stray jump there traps.
#[cfg(target_arch = "x86_64")]
const FILL: u8 = 0xCC; // int3

/// What fills the rest of a trace's pages, so a stray jump there traps.
#[cfg(not(target_arch = "x86_64"))]
const FILL: u8 = 0x00; // AArch64: 0x00000000 is `udf #0`

/// The granule of a trace's start within its first page: a cache line.
const COLOR: usize = 64;

/// Bytes of data the region holds before its code (rounded up to whole pages): words the
/// code reads PC-relative, never executable (see [`McodeArea::data`]).
pub(crate) const DATA_BYTES: usize = 8192;

/// Why the code area could not do what was asked.
#[derive(Debug)]
pub(crate) enum McodeError {
    /// A zero length, or an area capacity above [`MAX_CAPACITY`].
    InvalidSize {
        /// The size asked for.
        size: usize,
    },
    /// The request is bigger than the whole area: flushing cannot help, abort the trace.
    TooLarge {
        /// Bytes asked for, rounded up to pages.
        requested: usize,
        /// The area's capacity.
        capacity: usize,
    },
    /// The area is full: flush all traces and retry (the `maxmcode` limit).
    Full {
        /// Bytes asked for, rounded up to pages.
        requested: usize,
        /// Bytes still free.
        available: usize,
    },
    /// An OS call (`mmap`, `mprotect`, `sysconf`) failed.
    Os {
        /// The call that failed.
        call: &'static str,
        /// What the OS said.
        source: io::Error,
    },
    /// A commit claimed more bytes than its writer reserved.
    Overrun {
        /// Bytes claimed.
        used: usize,
        /// Bytes reserved.
        reserved: usize,
    },
    /// A patch or retarget aimed outside committed code.
    OutOfArea {
        /// The address.
        addr: usize,
        /// The number of bytes.
        len: usize,
    },
    /// The instruction to retarget is not a branch form this module can rewrite.
    NotABranch {
        /// The instruction's address.
        addr: usize,
    },
    /// The new target is beyond the branch's reach (or, on AArch64, not 4-byte aligned).
    BranchRange {
        /// The branch instruction's address.
        from: usize,
        /// The target asked for.
        to: usize,
    },
}

impl McodeError {
    /// The last OS error, for the call named.
    fn os(call: &'static str) -> McodeError {
        McodeError::Os {
            call,
            source: io::Error::last_os_error(),
        }
    }
}

impl fmt::Display for McodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            McodeError::InvalidSize { size } => write!(f, "invalid machine-code size {size}"),
            McodeError::TooLarge {
                requested,
                capacity,
            } => write!(
                f,
                "{requested} bytes of machine code exceed the whole area ({capacity} bytes)"
            ),
            McodeError::Full {
                requested,
                available,
            } => write!(
                f,
                "machine-code area full: {requested} bytes requested, {available} available"
            ),
            McodeError::Os { call, source } => write!(f, "{call} failed: {source}"),
            McodeError::Overrun { used, reserved } => {
                write!(
                    f,
                    "committed {used} bytes of machine code but reserved {reserved}"
                )
            }
            McodeError::OutOfArea { addr, len } => {
                write!(f, "{len} bytes at {addr:#x} are not committed machine code")
            }
            McodeError::NotABranch { addr } => {
                write!(f, "no patchable branch instruction at {addr:#x}")
            }
            McodeError::BranchRange { from, to } => {
                write!(f, "branch at {from:#x} cannot reach {to:#x}")
            }
        }
    }
}

impl std::error::Error for McodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            McodeError::Os { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A page protection. There is deliberately no writable-and-executable variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prot {
    /// `---`: reserved, not in use.
    None,
    /// `rw-`: being written.
    ReadWrite,
    /// `r-x`: committed code.
    ReadExec,
}

impl Prot {
    fn flags(self) -> libc::c_int {
        match self {
            Prot::None => libc::PROT_NONE,
            Prot::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
            Prot::ReadExec => libc::PROT_READ | libc::PROT_EXEC,
        }
    }
}

/// The system page size.
fn page_size() -> Result<usize, McodeError> {
    // SAFETY: sysconf has no preconditions; it only reads a configuration value.
    let r = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if r == -1 {
        return Err(McodeError::os("sysconf(_SC_PAGESIZE)"));
    }
    match usize::try_from(r) {
        Ok(page) if page.is_power_of_two() => Ok(page),
        _ => Err(McodeError::Os {
            call: "sysconf(_SC_PAGESIZE)",
            source: io::Error::other(format!("page size {r} is not a power of two")),
        }),
    }
}

/// `n` rounded up to a multiple of `page` (a power of two), or `None` on overflow.
fn round_up(n: usize, page: usize) -> Option<usize> {
    Some(n.checked_add(page - 1)? & !(page - 1))
}

/// The executable-memory area of one store's traces: a region of `capacity` bytes reserved at
/// creation, bump-allocated in whole pages, with the W^X states described in the module docs.
#[derive(Debug)]
pub(crate) struct McodeArea {
    /// Start of the code (page-aligned), `data_len` bytes into the reservation.
    base: NonNull<u8>,
    /// Bytes of code space: a multiple of `page`; with the data before it, at most
    /// [`MAX_CAPACITY`].
    capacity: usize,
    /// Bytes of data just below `base` ([`DATA_BYTES`] rounded up to pages): `rw-` for the
    /// area's whole life, never executable.
    data_len: usize,
    /// The system page size.
    page: usize,
    /// Bytes committed: `[0, top)` is `r-x` code, a multiple of `page`.
    top: usize,
    /// Bytes of code committed (the sum of the commits' lengths, before page rounding).
    code_bytes: usize,
    /// Number of commits since the last flush.
    traces: usize,
    /// Writers opened so far: picks each trace's cache-line color (see `begin`).
    opened: usize,
    /// Incremented by every flush; a [`CodeRef`] from an older generation is dead.
    generation: u64,
    /// Page ranges below `top` whose code was released: `(offset, length)`, sorted,
    /// never adjacent (neighbours are merged), handed out again first-fit.
    free: Vec<(usize, usize)>,
    /// Whether released code's addresses are handed out again. Off while an external
    /// profiler has been told which trace each address holds (a perf map): released pages
    /// then stay reserved and inaccessible, and the reservation outlives the area.
    reuse: bool,
}

// SAFETY: the area exclusively owns its mapping, which has no thread affinity; the raw pointer
// is only an address into it. Moving the area to another thread moves that ownership.
unsafe impl Send for McodeArea {}

// SAFETY: every method that changes memory contents or protections takes `&mut self`; the
// `&self` methods only read plain fields or read committed (`r-x`) code, which nothing can
// modify while a shared borrow exists.
unsafe impl Sync for McodeArea {}

impl McodeArea {
    /// Reserves `capacity` bytes (rounded up to pages) of address space for machine code,
    /// inaccessible until [`McodeArea::begin`] hands pages out.
    ///
    /// `capacity` is the `maxmcode` limit in bytes (the tunable is in KiB); it must be
    /// nonzero and at most [`MAX_CAPACITY`] (clamp it first).
    pub(crate) fn new(capacity: usize) -> Result<McodeArea, McodeError> {
        let page = page_size()?;
        if capacity == 0 || capacity > MAX_CAPACITY {
            return Err(McodeError::InvalidSize { size: capacity });
        }
        // MAX_CAPACITY is a power of two at least as large as any page, so rounding up cannot
        // exceed it.
        let data_len =
            round_up(DATA_BYTES, page).ok_or(McodeError::InvalidSize { size: capacity })?;
        let capacity = round_up(capacity, page)
            .ok_or(McodeError::InvalidSize { size: capacity })?
            .min(MAX_CAPACITY - data_len);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let noreserve = libc::MAP_NORESERVE;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let noreserve = 0;
        // SAFETY: a fresh private anonymous mapping at an address the kernel chooses (no
        // MAP_FIXED), so no existing memory is affected. PROT_NONE: nothing can touch it yet.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                data_len + capacity,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | noreserve,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(McodeError::os("mmap"));
        }
        // SAFETY: the data pages are the first `data_len` bytes of the mapping just made,
        // which nothing else refers to; they become `rw-` and stay so (never executable).
        let data_rw = unsafe { libc::mprotect(ptr, data_len, Prot::ReadWrite.flags()) };
        // The code starts past the data, inside the mapping.
        let base = NonNull::new(ptr.cast::<u8>().wrapping_add(data_len));
        let (Some(base), 0) = (base, data_rw) else {
            let e = match data_rw {
                0 => McodeError::Os {
                    call: "mmap",
                    source: io::Error::other("mapped at address 0"),
                },
                _ => McodeError::os("mprotect"),
            };
            // SAFETY: the mapping was just created by us and nothing refers to it.
            unsafe { libc::munmap(ptr, data_len + capacity) };
            return Err(e);
        };
        Ok(McodeArea {
            base,
            capacity,
            data_len,
            page,
            top: 0,
            code_bytes: 0,
            traces: 0,
            opened: 0,
            generation: 0,
            free: Vec::new(),
            reuse: true,
        })
    }

    /// Never hands out an address twice (see the `reuse` field): every address keeps
    /// naming the one trace that was written there.
    pub(crate) fn keep_addresses(&mut self) {
        self.reuse = false;
    }

    /// The data below the code: [`DATA_BYTES`] (or more, to the page) of words, zero at
    /// first, which every byte of code reaches with a 32-bit PC-relative displacement and
    /// which are never executable. The store's constant pool lives here (see `kpool`).
    pub(crate) fn data(&mut self) -> &mut [u64] {
        // SAFETY: the `data_len` bytes below `base` are the start of our mapping, `rw-`
        // from creation to drop, and reached only through this `&mut self` borrow (code
        // reads them, but only while the JIT runs a trace and holds no borrow of the
        // area). Page alignment satisfies `u64`'s.
        unsafe { std::slice::from_raw_parts_mut(self.data_addr().cast_mut(), self.data_len / 8) }
    }

    /// The address of [`McodeArea::data`]'s first word.
    pub(crate) fn data_addr(&self) -> *const u64 {
        self.base.as_ptr().wrapping_sub(self.data_len).cast()
    }

    /// Whether releasing code makes room for more.
    pub(crate) fn reuses_addresses(&self) -> bool {
        self.reuse
    }

    /// The size of the reservation in bytes (the `maxmcode` limit, rounded up to pages).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes committed to traces, counted in whole pages (this is what the limit counts).
    pub(crate) fn used(&self) -> usize {
        self.top - self.free.iter().map(|f| f.1).sum::<usize>()
    }

    /// Bytes still free for traces (released ranges may be too small for a big trace).
    pub(crate) fn available(&self) -> usize {
        self.capacity - self.used()
    }

    /// Gives the pages of `code` back (a trace that is evicted): they become `---`, their
    /// memory returns to the OS, and [`McodeArea::begin`] hands them out again. Nothing may
    /// execute or branch to that code afterwards. Code of an older generation (flushed
    /// already) is ignored.
    pub(crate) fn release(&mut self, code: CodeRef) -> Result<(), McodeError> {
        if code.generation != self.generation {
            return Ok(());
        }
        let at = self.committed_offset(code.ptr(), code.len())?;
        // The code's pages: from the start of its first (see `color`).
        let off = at & !(self.page - 1);
        let len = round_up(at - off + code.len(), self.page).unwrap_or(code.len());
        self.protect(off, len, Prot::None)?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // SAFETY: `[off, off + len)` is inside our private anonymous mapping and now
            // inaccessible; discarding it only makes it read as zeros when handed out again
            // (`begin` promises nothing about the contents). The result is ignored: on
            // failure the pages only keep their old bytes.
            let _ = unsafe { libc::madvise(self.at(off).cast(), len, libc::MADV_DONTNEED) };
        }
        self.code_bytes -= code.len();
        self.traces -= 1;
        if self.reuse {
            self.give_back(off, len);
        }
        Ok(())
    }

    /// Puts the pages `[off, off + len)` (below `top`) on the free list, merging them with
    /// their neighbours; a range that reaches `top` lowers it instead.
    fn give_back(&mut self, off: usize, len: usize) {
        let at = self.free.partition_point(|f| f.0 < off);
        self.free.insert(at, (off, len));
        if at + 1 < self.free.len() && self.free[at].0 + self.free[at].1 == self.free[at + 1].0 {
            self.free[at].1 += self.free[at + 1].1;
            self.free.remove(at + 1);
        }
        if at > 0 && self.free[at - 1].0 + self.free[at - 1].1 == self.free[at].0 {
            self.free[at - 1].1 += self.free[at].1;
            self.free.remove(at);
        }
        if let Some(&(o, l)) = self.free.last()
            && o + l == self.top
        {
            self.top = o;
            self.free.pop();
        }
    }

    /// Bytes of machine code committed, before rounding each trace up to pages (for stats).
    pub(crate) fn code_bytes(&self) -> usize {
        self.code_bytes
    }

    /// Number of commits since the last flush.
    #[cfg(test)]
    pub(crate) fn traces(&self) -> usize {
        self.traces
    }

    /// The page size the area allocates in.
    #[cfg(test)]
    pub(crate) fn page_size(&self) -> usize {
        self.page
    }

    /// Whether `code` was committed in this area and not flushed since.
    #[cfg(test)]
    pub(crate) fn is_live(&self, code: CodeRef) -> bool {
        code.generation == self.generation
            && code.ptr.as_ptr().addr() >= self.base.as_ptr().addr()
            && code.ptr.as_ptr().addr() + code.len <= self.base.as_ptr().addr() + self.top
    }

    /// The address `off` bytes into the region (with the mapping's provenance).
    fn at(&self, off: usize) -> *mut u8 {
        debug_assert!(off <= self.capacity);
        self.base.as_ptr().wrapping_add(off)
    }

    /// Sets the protection of the pages `[off, off + len)` of the code. The only `mprotect`
    /// in this module besides the data's, once, in [`McodeArea::new`]; [`Prot`] cannot
    /// express writable-and-executable.
    fn protect(&self, off: usize, len: usize, prot: Prot) -> Result<(), McodeError> {
        debug_assert!(off.is_multiple_of(self.page) && len.is_multiple_of(self.page));
        debug_assert!(off.checked_add(len).is_some_and(|end| end <= self.capacity));
        if len == 0 {
            return Ok(());
        }
        // SAFETY: `[off, off + len)` is page-aligned and inside the reservation this area owns
        // (asserted above, guaranteed by every caller's arithmetic), so only our own pages
        // change. Callers never leave a Rust reference alive into pages they make
        // inaccessible: writer slices end before commit/abort, patch slices before re-locking.
        let r = unsafe { libc::mprotect(self.at(off).cast(), len, prot.flags()) };
        if r != 0 {
            return Err(McodeError::os("mprotect"));
        }
        Ok(())
    }

    /// Opens a transaction for one trace: at least `len` bytes (rounded up to pages) of fresh
    /// memory, made `rw-`, at the address where the code will run.
    ///
    /// Pass an upper bound: [`McodeWriter::commit`] keeps only the pages the code uses.
    /// The contents are unspecified (zeros or old code from before a flush). Errors:
    /// [`McodeError::Full`] (flush, then retry), [`McodeError::TooLarge`],
    /// [`McodeError::InvalidSize`] for 0, [`McodeError::Os`].
    pub(crate) fn begin(&mut self, len: usize) -> Result<McodeWriter<'_>, McodeError> {
        if len == 0 {
            return Err(McodeError::InvalidSize { size: 0 });
        }
        let too_large = McodeError::TooLarge {
            requested: len,
            capacity: self.capacity,
        };
        let reserved = round_up(len, self.page).ok_or(too_large)?;
        if reserved > self.capacity {
            return Err(McodeError::TooLarge {
                requested: reserved,
                capacity: self.capacity,
            });
        }
        // First fit among released ranges, else fresh pages at the top.
        let off = match self.free.iter().position(|f| f.1 >= reserved) {
            Some(k) => {
                let (o, l) = self.free[k];
                if l == reserved {
                    self.free.remove(k);
                } else {
                    self.free[k] = (o + reserved, l - reserved);
                }
                o
            }
            None if reserved <= self.capacity - self.top => self.top,
            None => {
                return Err(McodeError::Full {
                    requested: reserved,
                    available: self.available(),
                });
            }
        };
        let fresh = off == self.top;
        if fresh {
            // Claimed now, so the writer's range is below `top` like a reused one.
            self.top += reserved;
        }
        if let Err(e) = self.protect(off, reserved, Prot::ReadWrite) {
            self.give_back(off, reserved);
            return Err(e);
        }
        let color = self.color(reserved - len);
        Ok(McodeWriter {
            off,
            color,
            len: reserved,
            area: self,
            finished: false,
        })
    }

    /// Where in its first page the next trace starts: a multiple of [`COLOR`] no larger
    /// than `slack`, the room its pages leave over. Every trace owns whole pages, so
    /// without this every trace would start at a page's first byte, and the entries and
    /// first blocks of a tree's hot traces would all compete for the same few
    /// instruction-cache sets (and alias in the branch predictor's tables).
    fn color(&mut self, slack: usize) -> usize {
        let colors = slack / COLOR + 1;
        self.opened = self.opened.wrapping_add(1);
        // A stride coprime with the page's 64 lines visits them all in turn.
        (self.opened.wrapping_mul(23) % (self.page / COLOR).max(1)) % colors * COLOR
    }

    /// The offset of `[at, at + len)` in the region, if that range is committed code.
    fn committed_offset(&self, at: *const u8, len: usize) -> Result<usize, McodeError> {
        let err = McodeError::OutOfArea {
            addr: at.addr(),
            len,
        };
        let Some(off) = at.addr().checked_sub(self.base.as_ptr().addr()) else {
            return Err(err);
        };
        match off.checked_add(len) {
            Some(end)
                if len > 0
                    && end <= self.top
                    && !self.free.iter().any(|f| off < f.0 + f.1 && f.0 < end) =>
            {
                Ok(off)
            }
            _ => Err(err),
        }
    }

    /// Runs `f` on the `len` committed bytes at `at`, made writable: flips only the pages
    /// holding them from `r-x` to `rw-`, calls `f`, synchronizes the instruction cache and
    /// flips them back to `r-x`.
    ///
    /// No thread may execute code on those pages during the call (see the module docs: the
    /// engine is single-threaded per store, and the caller is the JIT, not a trace). Use it to
    /// batch several edits to one trace under one pair of `mprotect`s. If the final flip back
    /// to `r-x` fails, the pages stay `rw-` (still never writable and executable) and the code
    /// on them cannot run: flush everything.
    pub(crate) fn patch_with<R>(
        &mut self,
        at: *const u8,
        len: usize,
        f: impl FnOnce(&mut [u8]) -> R,
    ) -> Result<R, McodeError> {
        let off = self.committed_offset(at, len)?;
        let start = off & !(self.page - 1);
        // `top` is a page multiple, so the rounded end stays inside committed code.
        let end = (off + len).next_multiple_of(self.page);
        self.protect(start, end - start, Prot::ReadWrite)?;
        let relock = Relock {
            area: self,
            start,
            len: end - start,
        };
        // SAFETY: `[off, off + len)` is committed code inside the mapping, now `rw-`. We hold
        // `&mut self`, so no writer or other patch aliases it, and no Rust reference into
        // committed code exists elsewhere (code is referred to by raw `CodeRef` addresses).
        let bytes = unsafe { std::slice::from_raw_parts_mut(self.at(off), len) };
        let result = f(bytes);
        cache_control::synchronize_icache(bytes);
        relock.finish()?;
        // SAFETY: the same committed bytes, now `r-x` (readable); nothing writes them while we
        // hold `&mut self`.
        let code = unsafe { std::slice::from_raw_parts(self.at(off), len) };
        cache_control::prepare_for_execution(code);
        Ok(result)
    }

    /// Overwrites committed code at `at` with `bytes` (see [`McodeArea::patch_with`]).
    pub(crate) fn patch(&mut self, at: *const u8, bytes: &[u8]) -> Result<(), McodeError> {
        self.patch_with(at, bytes.len(), |dst| dst.copy_from_slice(bytes))
    }

    /// Reads up to `max` committed bytes at offset `off` (fewer at the end of committed code).
    fn read_committed(&self, off: usize, max: usize) -> &[u8] {
        let n = max.min(self.top.saturating_sub(off));
        // SAFETY: `[off, off + n)` is below `top`: committed code, readable (`r-x`, or `rw-`
        // only inside `patch_with`, which holds `&mut self` and so cannot overlap this
        // borrow). Nothing writes it while `&self` is borrowed.
        unsafe { std::slice::from_raw_parts(self.at(off), n) }
    }

    /// Points the branch instruction at `insn` (committed code) to `target`: a `jmp rel32`
    /// (`E9`), `call rel32` (`E8`) or `jcc rel32` (`0F 8x`). Short (`rel8`) forms are not
    /// patchable: emit the rel32 form at every site that may be retargeted (dynasm's forward
    /// jumps always are).
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn retarget_branch(
        &mut self,
        insn: *const u8,
        target: *const u8,
    ) -> Result<(), McodeError> {
        let off = self.committed_offset(insn, 1)?;
        let site = x64::rel32_site(self.read_committed(off, 2))
            .ok_or(McodeError::NotABranch { addr: insn.addr() })?;
        let rel =
            x64::rel32(insn.addr() + site.len, target.addr()).ok_or(McodeError::BranchRange {
                from: insn.addr(),
                to: target.addr(),
            })?;
        self.patch(insn.wrapping_add(site.disp), &rel.to_le_bytes())
    }

    /// Points the branch instruction at `insn` (committed code) to `target`: `b`, `bl`,
    /// `b.cond`, `cbz`/`cbnz` or `tbz`/`tbnz`, keeping its condition and registers. Ranges:
    /// ±128 MiB for `b`/`bl` (always enough inside one area), ±1 MiB for `b.cond`/`cbz`,
    /// ±32 KiB for `tbz`; beyond that, branch to a `b` in the trace's own stub instead.
    #[cfg(target_arch = "aarch64")]
    pub(crate) fn retarget_branch(
        &mut self,
        insn: *const u8,
        target: *const u8,
    ) -> Result<(), McodeError> {
        let off = self.committed_offset(insn, 4)?;
        let Ok(word) = <[u8; 4]>::try_from(self.read_committed(off, 4)) else {
            return Err(McodeError::OutOfArea {
                addr: insn.addr(),
                len: 4,
            });
        };
        if !off.is_multiple_of(4) {
            return Err(McodeError::NotABranch { addr: insn.addr() });
        }
        let new = a64::retarget(u32::from_le_bytes(word), insn.addr(), target.addr())?;
        self.patch(insn, &new.to_le_bytes())
    }

    /// Frees all code at once (the JIT's flush-all): every page goes back to `---` and its
    /// memory to the OS, the bump pointer to the start, and the generation advances so older
    /// [`CodeRef`]s are dead. Nothing may execute old code afterwards.
    pub(crate) fn flush(&mut self) -> Result<(), McodeError> {
        if self.top > 0 {
            self.protect(0, self.top, Prot::None)?;
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                // SAFETY: `[0, top)` is inside our private anonymous mapping and now
                // inaccessible; discarding it only makes it read as zeros later, which
                // nothing relies on either way. The result is ignored: it only returns
                // memory to the OS, and on failure the pages simply keep their old bytes,
                // which `begin` does not promise to clear.
                let _ = unsafe { libc::madvise(self.at(0).cast(), self.top, libc::MADV_DONTNEED) };
            }
        }
        if self.reuse {
            self.top = 0;
            self.free.clear();
        }
        self.code_bytes = 0;
        self.traces = 0;
        self.generation += 1;
        Ok(())
    }
}

impl Drop for McodeArea {
    fn drop(&mut self) {
        if !self.reuse {
            // A profiler's map names these addresses: they stay reserved for the rest of
            // the process, the code inaccessible and holding no memory (the data keeps its
            // pages).
            let _ = self.flush();
            return;
        }
        // The reservation starts with the data, below the code.
        let start = self.data_addr().cast_mut();
        // SAFETY: the reservation is ours and is unmapped once; no reference into it outlives
        // the area (writers and `data` borrow it). Raw `CodeRef`s and the contexts' pointer
        // to the data dangle afterwards: whoever owns the area (the store's trace cache) must
        // not run its traces past this point. The result is ignored: munmap of a mapping we
        // own can only fail on bad arguments, and there is nothing to do about it in drop.
        let _ = unsafe { libc::munmap(start.cast(), self.data_len + self.capacity) };
    }
}

/// Puts patched pages back to `r-x` if the patch closure unwinds.
struct Relock<'a> {
    area: &'a McodeArea,
    start: usize,
    len: usize,
}

impl Relock<'_> {
    /// The normal path: back to `r-x`, reporting failure.
    fn finish(self) -> Result<(), McodeError> {
        let r = self.area.protect(self.start, self.len, Prot::ReadExec);
        std::mem::forget(self);
        r
    }
}

impl Drop for Relock<'_> {
    fn drop(&mut self) {
        // Only reached when the patch closure panicked. If this fails too, the pages stay
        // `rw-`: not executable, so W^X still holds.
        let _ = self.area.protect(self.start, self.len, Prot::ReadExec);
    }
}

/// An open transaction: fresh `rw-` pages for one trace. Commit it, or drop it (or call
/// `McodeWriter::abort`) to give the pages back.
pub(crate) struct McodeWriter<'a> {
    area: &'a mut McodeArea,
    /// Offset of the pages in the region (the area's `top` when the writer was opened).
    off: usize,
    /// Where the code starts in the first page (see `McodeArea::color`).
    color: usize,
    /// Bytes reserved, a multiple of the page size.
    len: usize,
    /// Set once committed, so drop leaves the pages alone.
    finished: bool,
}

impl McodeWriter<'_> {
    /// The address the code will run at (a multiple of [`COLOR`], in the first page):
    /// assemble with this base address.
    pub(crate) fn addr(&self) -> *const u8 {
        self.area.at(self.off + self.color)
    }

    /// Bytes writable from [`McodeWriter::addr`]: at least the request.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len - self.color
    }

    /// The writable bytes from [`McodeWriter::addr`] on.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        let color = self.color;
        &mut self.pages()[color..]
    }

    /// All the reserved pages, writable.
    fn pages(&mut self) -> &mut [u8] {
        // SAFETY: `[off, off + len)` is inside the mapping and `rw-` since `begin`. The writer
        // holds the area's only `&mut`, and these pages are above `top`, so nothing else
        // refers to them; the slice borrows `self`, so it ends before commit or abort change
        // the protection.
        unsafe { std::slice::from_raw_parts_mut(self.area.at(self.off), self.len) }
    }

    /// Ends the transaction: the first `used` bytes from [`McodeWriter::addr`] are the
    /// trace's code. The rest of their pages, before and after, is filled with trapping
    /// bytes, the instruction cache is synchronized, the code's pages become `r-x`, and
    /// pages beyond them go back to the area.
    ///
    /// On error (`used` is 0 or more than reserved, or an `mprotect` failed) the whole
    /// reservation is released, as by `McodeWriter::abort`.
    pub(crate) fn commit(mut self, used: usize) -> Result<CodeRef, McodeError> {
        if used == 0 {
            return Err(McodeError::InvalidSize { size: 0 });
        }
        let (color, end) = (self.color, self.color + used);
        if end > self.len {
            return Err(McodeError::Overrun {
                used,
                reserved: self.len - color,
            });
        }
        let code_len = end.next_multiple_of(self.area.page);
        let bytes = self.pages();
        bytes[..color].fill(FILL);
        bytes[end..code_len].fill(FILL);
        cache_control::synchronize_icache(&bytes[..code_len]);
        self.area
            .protect(self.off + code_len, self.len - code_len, Prot::None)?;
        self.area.protect(self.off, code_len, Prot::ReadExec)?;
        self.finished = true;
        let area = &mut *self.area;
        if code_len < self.len {
            area.give_back(self.off + code_len, self.len - code_len);
        }
        area.code_bytes += used;
        area.traces += 1;
        // SAFETY: the code just committed: inside the mapping, `r-x` (readable), and nothing
        // writes it while the writer holds `&mut` to the area.
        let code = unsafe { std::slice::from_raw_parts(area.at(self.off + color), used) };
        cache_control::prepare_for_execution(code);
        let ptr = area.base.map_addr(|a| a.saturating_add(self.off + color));
        Ok(CodeRef {
            ptr,
            len: used,
            generation: area.generation,
        })
    }

    /// Gives the reserved pages back (`---`) without committing anything.
    #[cfg(test)]
    pub(crate) fn abort(self) {
        drop(self);
    }
}

impl Drop for McodeWriter<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // Abort: back to `---`. There is no way to report an error from drop; if this
            // fails the pages stay `rw-` (never executable, so W^X holds) and the next
            // `begin` makes them `rw-` again anyway.
            let _ = self.area.protect(self.off, self.len, Prot::None);
            self.area.give_back(self.off, self.len);
        }
    }
}

/// Committed code: where a trace's machine code starts, how long it is, and the flush
/// generation it belongs to. Only an address: running it is `unsafe` for the caller, who must
/// know it is still live (its area not flushed since).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CodeRef {
    ptr: NonNull<u8>,
    len: usize,
    generation: u64,
}

// SAFETY: a `CodeRef` is an address and a length; it gives no access by itself (every use of
// the pointer is the caller's `unsafe`), so sharing or sending it between threads is harmless.
unsafe impl Send for CodeRef {}

// SAFETY: as for `Send`: there is nothing behind a `&CodeRef` but plain data.
unsafe impl Sync for CodeRef {}

impl CodeRef {
    /// The first byte of the code (the trace's entry, unless the backend put it elsewhere).
    pub(crate) fn ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// Bytes of code (not rounded to pages).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The area generation the code was committed in.
    #[cfg(test)]
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether `addr` lies inside this code (for mapping a faulting pc back to its trace).
    #[cfg(test)]
    pub(crate) fn contains(&self, addr: *const u8) -> bool {
        addr.addr()
            .checked_sub(self.ptr.as_ptr().addr())
            .is_some_and(|off| off < self.len)
    }
}

/// x86-64 branch encodings, usable on any host (the backend can batch edits with them inside
/// [`McodeArea::patch_with`]).
#[cfg(any(test, target_arch = "x86_64"))]
pub(crate) mod x64 {
    /// Where a rel32 branch keeps its displacement.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) struct Rel32Site {
        /// Offset of the 4-byte displacement from the instruction's start.
        pub(crate) disp: usize,
        /// Length of the instruction (the displacement counts from its end).
        pub(crate) len: usize,
    }

    /// Decodes the start of a `jmp rel32` (`E9`), `call rel32` (`E8`) or `jcc rel32`
    /// (`0F 80`..`0F 8F`); `code` may be shorter than the instruction.
    pub(crate) fn rel32_site(code: &[u8]) -> Option<Rel32Site> {
        match code {
            [0xE9 | 0xE8, ..] => Some(Rel32Site { disp: 1, len: 5 }),
            [0x0F, 0x80..=0x8F, ..] => Some(Rel32Site { disp: 2, len: 6 }),
            _ => None,
        }
    }

    /// The rel32 displacement from `from` (the end of the instruction) to `to`, if in range.
    pub(crate) fn rel32(from: usize, to: usize) -> Option<i32> {
        i32::try_from(to.wrapping_sub(from) as isize).ok()
    }
}

/// AArch64 branch encodings, usable on any host (the AArch64 backend's, and tested here).
#[cfg(any(test, target_arch = "aarch64"))]
pub(crate) mod a64 {
    use super::McodeError;

    /// `word` (a branch at `pc`) re-encoded to branch to `target`, keeping everything but the
    /// offset: `b`/`bl` (imm26), `b.cond`, `cbz`/`cbnz` (imm19), `tbz`/`tbnz` (imm14).
    pub(crate) fn retarget(word: u32, pc: usize, target: usize) -> Result<u32, McodeError> {
        // (field shift, field width in bits)
        let (shift, bits) = if word & 0x7C00_0000 == 0x1400_0000 {
            (0, 26) // b, bl
        } else if word & 0xFF00_0010 == 0x5400_0000 || word & 0x7E00_0000 == 0x3400_0000 {
            (5, 19) // b.cond; cbz, cbnz
        } else if word & 0x7E00_0000 == 0x3600_0000 {
            (5, 14) // tbz, tbnz
        } else {
            return Err(McodeError::NotABranch { addr: pc });
        };
        let range = McodeError::BranchRange {
            from: pc,
            to: target,
        };
        let delta = target.wrapping_sub(pc) as isize;
        if delta % 4 != 0 {
            return Err(range);
        }
        let imm = delta / 4;
        let half = 1isize << (bits - 1);
        if !(-half..half).contains(&imm) {
            return Err(range);
        }
        let mask = ((1u32 << bits) - 1) << shift;
        Ok((word & !mask) | (((imm as u32) << shift) & mask))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynasmrt::{DynasmApi, DynasmLabelApi, VecAssembler, dynasm};

    /// Small functions in the host's machine code.
    #[cfg(target_arch = "x86_64")]
    mod host {
        use super::*;
        use dynasmrt::x64::X64Relocation;

        pub(super) type Fn0 = extern "C" fn() -> u64;
        pub(super) type Fn1 = extern "C" fn(u64) -> u64;
        pub(super) type Fn2 = extern "C" fn(u64, u64) -> u64;

        /// `a + b`, assembled for `base`.
        pub(super) fn add(base: usize) -> Vec<u8> {
            let mut ops = VecAssembler::<X64Relocation>::new(base);
            dynasm!(ops ; .arch x64 ; lea rax, [rdi + rsi] ; ret);
            ops.finalize().expect("assemble")
        }

        /// Returns `k`.
        pub(super) fn ret_const(k: i32) -> Vec<u8> {
            let mut ops = VecAssembler::<X64Relocation>::new(0);
            dynasm!(ops ; .arch x64 ; mov eax, k ; ret);
            ops.finalize().expect("assemble")
        }

        /// An unconditional branch to be retargeted (`jmp` to the next instruction).
        pub(super) fn jump() -> Vec<u8> {
            vec![0xE9, 0, 0, 0, 0]
        }

        /// `if x == 0 goto A else goto B`, as `(code, offset of the conditional branch, offset
        /// of the unconditional one)`; both point at the next instruction until retargeted.
        pub(super) fn dispatch() -> (Vec<u8>, usize, usize) {
            let mut ops = VecAssembler::<X64Relocation>::new(0);
            dynasm!(ops ; .arch x64 ; test rdi, rdi);
            let jcc = ops.offset().0;
            dynasm!(ops ; .arch x64 ; je >l1 ; l1:);
            let jmp = ops.offset().0;
            dynasm!(ops ; .arch x64 ; jmp >l2 ; l2:);
            (ops.finalize().expect("assemble"), jcc, jmp)
        }
    }

    /// Small functions in the host's machine code.
    #[cfg(target_arch = "aarch64")]
    mod host {
        use super::*;
        use dynasmrt::aarch64::Aarch64Relocation;

        pub(super) type Fn0 = extern "C" fn() -> u64;
        pub(super) type Fn1 = extern "C" fn(u64) -> u64;
        pub(super) type Fn2 = extern "C" fn(u64, u64) -> u64;

        /// `a + b`, assembled for `base`.
        pub(super) fn add(base: usize) -> Vec<u8> {
            let mut ops = VecAssembler::<Aarch64Relocation>::new(base);
            dynasm!(ops ; .arch aarch64 ; add x0, x0, x1 ; ret);
            ops.finalize().expect("assemble")
        }

        /// Returns `k`.
        pub(super) fn ret_const(k: i32) -> Vec<u8> {
            let k = u32::try_from(k).expect("small constant");
            let mut ops = VecAssembler::<Aarch64Relocation>::new(0);
            dynasm!(ops ; .arch aarch64 ; movz x0, #k ; ret);
            ops.finalize().expect("assemble")
        }

        /// An unconditional branch to be retargeted (`b` to the next instruction).
        pub(super) fn jump() -> Vec<u8> {
            0x1400_0001u32.to_le_bytes().to_vec()
        }

        /// `if x == 0 goto A else goto B`, as `(code, offset of the conditional branch, offset
        /// of the unconditional one)`; both point at the next instruction until retargeted.
        pub(super) fn dispatch() -> (Vec<u8>, usize, usize) {
            let mut ops = VecAssembler::<Aarch64Relocation>::new(0);
            dynasm!(ops ; .arch aarch64 ; cbz x0, >l1 ; l1: ; b >l2 ; l2:);
            (ops.finalize().expect("assemble"), 0, 4)
        }
    }

    use host::{Fn0, Fn1, Fn2};

    /// Commits `code` as one trace.
    fn commit(area: &mut McodeArea, code: &[u8]) -> CodeRef {
        let mut w = area.begin(code.len()).expect("begin");
        w.bytes_mut()[..code.len()].copy_from_slice(code);
        w.commit(code.len()).expect("commit")
    }

    /// The start of the page holding `p`.
    fn page_of(p: *const u8) -> usize {
        p.addr() & !(page_size().expect("page size") - 1)
    }

    fn call0(code: CodeRef) -> u64 {
        // SAFETY: `code` is live, committed (`r-x`) and holds a whole function of this type.
        let f = unsafe { std::mem::transmute::<*const u8, Fn0>(code.ptr()) };
        f()
    }

    fn call1(code: CodeRef, x: u64) -> u64 {
        // SAFETY: as in `call0`.
        let f = unsafe { std::mem::transmute::<*const u8, Fn1>(code.ptr()) };
        f(x)
    }

    fn call2(code: CodeRef, a: u64, b: u64) -> u64 {
        // SAFETY: as in `call0`.
        let f = unsafe { std::mem::transmute::<*const u8, Fn2>(code.ptr()) };
        f(a, b)
    }

    #[test]
    fn traces_start_on_different_cache_lines_of_their_pages() {
        let mut area = McodeArea::new(1 << 20).expect("area");
        let page = area.page_size();
        let mut starts = Vec::new();
        for k in 0..64 {
            let f = commit(&mut area, &host::ret_const(k));
            assert_eq!(call0(f), u64::try_from(k).expect("small"));
            starts.push(f.ptr().addr() - page_of(f.ptr()));
        }
        assert!(starts.iter().all(|&s| s % COLOR == 0 && s < page));
        starts.sort_unstable();
        starts.dedup();
        assert_eq!(
            starts.len(),
            64.min(page / COLOR),
            "every line is used in turn"
        );
        // A trace that needs its whole page still starts at its first byte.
        let mut w = area.begin(page).expect("begin");
        assert_eq!(w.addr().addr(), page_of(w.addr()));
        let code = host::ret_const(9);
        w.bytes_mut()[..code.len()].copy_from_slice(&code);
        assert_eq!(call0(w.commit(code.len()).expect("commit")), 9);
    }

    #[test]
    fn commit_and_call() {
        let mut area = McodeArea::new(1 << 20).expect("area");
        let page = area.page_size();
        assert_eq!(area.capacity(), (1usize << 20).next_multiple_of(page));
        let mut w = area.begin(64).expect("begin");
        assert_eq!(w.addr().addr() % COLOR, 0);
        assert_eq!(page_of(w.addr()) + page, w.addr().addr() + w.len());
        let code = host::add(w.addr().addr());
        w.bytes_mut()[..code.len()].copy_from_slice(&code);
        let f = w.commit(code.len()).expect("commit");
        assert_eq!(call2(f, 2, 40), 42);
        assert_eq!(f.len(), code.len());
        assert_eq!(area.used(), page);
        assert_eq!(area.code_bytes(), code.len());
        assert_eq!(area.traces(), 1);
        assert!(area.is_live(f));
        assert!(f.contains(f.ptr()) && !f.contains(f.ptr().wrapping_add(code.len())));
        // The rest of the page traps.
        // SAFETY: the page is committed (`r-x`) and nothing writes it meanwhile.
        let whole = unsafe { std::slice::from_raw_parts(page_of(f.ptr()) as *const u8, page) };
        let at = f.ptr().addr() - page_of(f.ptr());
        assert!(whole[..at].iter().all(|&b| b == FILL));
        assert!(whole[at + code.len()..].iter().all(|&b| b == FILL));

        // A second trace gets the next page, and the first still runs.
        let g = commit(&mut area, &host::ret_const(7));
        assert_eq!(page_of(g.ptr()), page_of(f.ptr()) + page);
        assert_eq!(call0(g), 7);
        assert_eq!(call2(f, 1, 1), 2);
    }

    #[test]
    fn commit_keeps_only_used_pages_and_abort_releases() {
        let mut area = McodeArea::new(1 << 20).expect("area");
        let page = area.page_size();
        let start = page_of(area.begin(1).expect("begin").addr());

        // Dropped and explicitly aborted writers leave the area as it was.
        let mut w = area.begin(3 * page).expect("begin");
        w.bytes_mut().fill(0xAB);
        drop(w);
        assert_eq!(area.used(), 0);
        area.begin(page).expect("begin").abort();
        assert_eq!(area.used(), 0);

        // A failed commit releases the reservation too.
        let w = area.begin(page).expect("begin");
        assert!(matches!(
            w.commit(page + 1),
            Err(McodeError::Overrun { .. })
        ));
        let w = area.begin(page).expect("begin");
        assert!(matches!(
            w.commit(0),
            Err(McodeError::InvalidSize { size: 0 })
        ));
        assert_eq!(area.used(), 0);
        assert!(matches!(
            area.begin(0),
            Err(McodeError::InvalidSize { size: 0 })
        ));

        // An upper-bound reservation keeps only the pages the code uses.
        let f = commit_in(&mut area, 3 * page, &host::ret_const(5));
        assert_eq!(page_of(f.ptr()), start);
        assert_eq!(area.used(), page);
        assert_eq!(call0(f), 5);
        let g = commit(&mut area, &host::ret_const(6));
        assert_eq!(page_of(g.ptr()), start + page);
        assert_eq!(call0(g), 6);
    }

    /// Commits `code` from a reservation of `reserve` bytes.
    fn commit_in(area: &mut McodeArea, reserve: usize, code: &[u8]) -> CodeRef {
        let mut w = area.begin(reserve).expect("begin");
        w.bytes_mut()[..code.len()].copy_from_slice(code);
        w.commit(code.len()).expect("commit")
    }

    #[test]
    fn retarget_between_blocks() {
        let mut area = McodeArea::new(1 << 20).expect("area");
        let a = commit(&mut area, &host::ret_const(1));
        let b = commit(&mut area, &host::ret_const(2));
        let jump = commit(&mut area, &host::jump());

        area.retarget_branch(jump.ptr(), a.ptr()).expect("to a");
        assert_eq!(call0(jump), 1);
        area.retarget_branch(jump.ptr(), b.ptr()).expect("to b");
        assert_eq!(call0(jump), 2);
        area.retarget_branch(jump.ptr(), a.ptr())
            .expect("back to a");
        assert_eq!(call0(jump), 1);

        // A conditional branch and its fallthrough jump, retargeted and then swapped.
        let (code, jcc, jmp) = host::dispatch();
        let d = commit(&mut area, &code);
        area.retarget_branch(d.ptr().wrapping_add(jcc), a.ptr())
            .expect("jcc");
        area.retarget_branch(d.ptr().wrapping_add(jmp), b.ptr())
            .expect("jmp");
        assert_eq!((call1(d, 0), call1(d, 9)), (1, 2));
        area.retarget_branch(d.ptr().wrapping_add(jcc), b.ptr())
            .expect("jcc");
        area.retarget_branch(d.ptr().wrapping_add(jmp), a.ptr())
            .expect("jmp");
        assert_eq!((call1(d, 0), call1(d, 9)), (2, 1));

        // Errors: not a branch, out of range, outside committed code.
        assert!(matches!(
            area.retarget_branch(b.ptr(), a.ptr()),
            Err(McodeError::NotABranch { .. })
        ));
        let far = std::ptr::without_provenance::<u8>(0x1000);
        assert!(matches!(
            area.retarget_branch(jump.ptr(), far),
            Err(McodeError::BranchRange { .. })
        ));
        assert!(matches!(
            area.patch(far, &[0]),
            Err(McodeError::OutOfArea { .. })
        ));
        let end = d.ptr().wrapping_add(area.page_size());
        assert!(matches!(
            area.patch(end, &[0]),
            Err(McodeError::OutOfArea { .. })
        ));
        assert!(matches!(
            area.patch(end.wrapping_sub(1), &[0, 0]),
            Err(McodeError::OutOfArea { .. })
        ));
        assert!(matches!(
            area.retarget_branch(end, a.ptr()),
            Err(McodeError::OutOfArea { .. })
        ));
        assert_eq!(call0(jump), 1, "failed patches change nothing");

        // A raw patch: overwrite `a` with `b`'s bytes.
        area.patch(a.ptr(), &host::ret_const(2)).expect("patch");
        assert_eq!(call0(a), 2);
        assert_eq!(call0(jump), 2);
    }

    #[test]
    fn capacity_exhaustion_then_flush_and_reuse() {
        let page = page_size().expect("page size");
        let mut area = McodeArea::new(4 * page).expect("area");
        assert_eq!(area.capacity(), 4 * page);
        let first = commit(&mut area, &host::ret_const(10));
        for k in 11..14 {
            commit(&mut area, &host::ret_const(k));
        }
        assert_eq!(
            (area.used(), area.available(), area.traces()),
            (4 * page, 0, 4)
        );
        assert!(matches!(
            area.begin(1),
            Err(McodeError::Full { requested, available: 0 }) if requested == page
        ));
        assert!(matches!(
            area.begin(5 * page),
            Err(McodeError::TooLarge { .. })
        ));
        assert!(matches!(
            area.begin(usize::MAX),
            Err(McodeError::TooLarge { .. })
        ));
        assert_eq!(call0(first), 10, "a failed begin changes nothing");

        area.flush().expect("flush");
        assert_eq!((area.used(), area.code_bytes(), area.traces()), (0, 0, 0));
        assert!(!area.is_live(first));
        let again = commit(&mut area, &host::ret_const(20));
        assert_eq!(
            page_of(again.ptr()),
            page_of(first.ptr()),
            "flushed space is reused from the start"
        );
        assert_eq!(again.generation(), first.generation() + 1);
        assert!(area.is_live(again));
        assert_eq!(call0(again), 20);
    }

    #[test]
    fn kept_addresses_are_never_handed_out_again() {
        // With a perf map naming traces, released and flushed code keeps its addresses:
        // new code always lands above everything written before.
        let page = page_size().expect("page size");
        let mut area = McodeArea::new(8 * page).expect("area");
        area.keep_addresses();
        assert!(!area.reuses_addresses());
        let a = commit(&mut area, &host::ret_const(1));
        let b = commit(&mut area, &host::ret_const(2));
        area.release(a).expect("release");
        let c = commit(&mut area, &host::ret_const(3));
        assert!(c.ptr() > b.ptr(), "a released page was handed out again");
        assert_eq!((call0(b), call0(c)), (2, 3));
        area.flush().expect("flush");
        let d = commit(&mut area, &host::ret_const(4));
        assert!(d.ptr() > c.ptr(), "a flushed page was handed out again");
        assert_eq!(call0(d), 4);
        // The area fills up instead of wrapping around.
        while area.begin(page).is_ok_and(|w| {
            w.abort();
            true
        }) {
            commit(&mut area, &host::ret_const(5));
        }
        assert!(area.begin(page).is_err());
        #[cfg(target_os = "linux")]
        maps::assert_wx("with kept addresses");
    }

    #[test]
    fn released_pages_are_reused_and_merged() {
        let page = page_size().expect("page size");
        let mut area = McodeArea::new(4 * page).expect("area");
        let a = commit(&mut area, &host::ret_const(1));
        let b = commit(&mut area, &host::ret_const(2));
        let c = commit(&mut area, &host::ret_const(3));
        let d = commit(&mut area, &host::ret_const(4));
        assert_eq!(area.available(), 0);
        area.release(b).expect("release");
        assert_eq!((area.used(), area.traces()), (3 * page, 3));
        assert!(
            area.patch(b.ptr(), &[0xC3]).is_err(),
            "released code is not patchable"
        );
        // The freed page is handed out again, first fit; the others still run.
        let e = commit(&mut area, &host::ret_const(5));
        assert_eq!(page_of(e.ptr()), page_of(b.ptr()));
        assert_eq!((call0(a), call0(c), call0(d), call0(e)), (1, 3, 4, 5));
        // Neighbours merge: releasing a and e gives one two-page range for a bigger trace.
        area.release(a).expect("release");
        area.release(e).expect("release");
        let mut w = area.begin(2 * page).expect("two free pages");
        assert_eq!(page_of(w.addr()), page_of(a.ptr()));
        let code = host::ret_const(6);
        w.bytes_mut()[..code.len()].copy_from_slice(&code);
        let f = w.commit(code.len()).expect("commit");
        assert_eq!(call0(f), 6);
        // Releasing the top lowers it; a stale release after a flush is ignored.
        area.release(d).expect("release");
        assert_eq!(area.used(), 2 * page);
        area.flush().expect("flush");
        area.release(c).expect("stale release is ignored");
        assert_eq!((area.used(), area.traces()), (0, 0));
        #[cfg(target_os = "linux")]
        maps::assert_wx("after releases");
    }

    #[test]
    fn new_rejects_bad_sizes() {
        assert!(matches!(
            McodeArea::new(0),
            Err(McodeError::InvalidSize { size: 0 })
        ));
        assert!(matches!(
            McodeArea::new(MAX_CAPACITY + 1),
            Err(McodeError::InvalidSize { .. })
        ));
        let area = McodeArea::new(1).expect("area");
        assert_eq!(area.capacity(), area.page_size());
        let mut big = McodeArea::new(MAX_CAPACITY).expect("reserving address space is cheap");
        let data = big.data().len() * 8;
        // Data and code together within reach of a 32-bit displacement (x86-64) or a
        // branch (AArch64), from the data's first byte to the code's last.
        assert!(data >= DATA_BYTES);
        assert_eq!(big.capacity() + data, MAX_CAPACITY);
    }

    #[test]
    fn errors_display() {
        let e = McodeError::Full {
            requested: 4096,
            available: 0,
        };
        assert_eq!(
            e.to_string(),
            "machine-code area full: 4096 bytes requested, 0 available"
        );
        let e = McodeError::Os {
            call: "mprotect",
            source: io::Error::other("no"),
        };
        assert!(std::error::Error::source(&e).is_some());
    }

    /// `/proc/self/maps` checks: the process never has a writable and executable mapping.
    #[cfg(target_os = "linux")]
    mod maps {
        /// Every mapping of this process: (start, end, permissions, the whole line).
        fn mappings() -> Vec<(usize, usize, String, String)> {
            let maps = std::fs::read_to_string("/proc/self/maps").expect("read /proc/self/maps");
            maps.lines()
                .map(|line| {
                    let mut fields = line.split_whitespace();
                    let range = fields.next().expect("address range");
                    let perms = fields.next().expect("permissions").to_owned();
                    let (lo, hi) = range.split_once('-').expect("lo-hi");
                    let lo = usize::from_str_radix(lo, 16).expect("hex address");
                    let hi = usize::from_str_radix(hi, 16).expect("hex address");
                    (lo, hi, perms, line.to_owned())
                })
                .collect()
        }

        /// Asserts no mapping is both writable and executable.
        pub(super) fn assert_wx(stage: &str) {
            for (_, _, perms, line) in mappings() {
                let p = perms.as_bytes();
                assert!(
                    !(p[1] == b'w' && p[2] == b'x'),
                    "{stage}: W+X mapping: {line}"
                );
            }
        }

        /// The `rwx` permissions of the mapping holding `addr`.
        pub(super) fn perms_at(addr: *const u8) -> String {
            let addr = addr.addr();
            let (_, _, perms, _) = mappings()
                .into_iter()
                .find(|(lo, hi, ..)| (*lo..*hi).contains(&addr))
                .expect("address is mapped");
            perms[..3].to_owned()
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn wx_holds_in_every_state() {
        use maps::{assert_wx, perms_at};

        assert_wx("start");
        let mut area = McodeArea::new(4 << 20).expect("area");
        let page = area.page_size();
        assert_wx("after reserving");
        // The data below the code: writable from the start, never executable.
        let data = area.data_addr().cast::<u8>();
        assert_eq!(perms_at(data), "rw-");
        area.data()[1] = 0x1234;
        // SAFETY: word 1 is inside the data, which `area` keeps mapped.
        assert_eq!(unsafe { *area.data_addr().add(1) }, 0x1234);

        let mut w = area.begin(2 * page).expect("begin");
        let base = w.addr();
        assert_eq!(perms_at(base), "rw-");
        assert_eq!(perms_at(base.wrapping_add(page)), "rw-");
        assert_eq!(perms_at(base.wrapping_add(2 * page)), "---");
        let code = host::add(base.addr());
        w.bytes_mut()[..code.len()].copy_from_slice(&code);
        assert_wx("writer open");
        let f = w.commit(code.len()).expect("commit");
        assert_eq!(perms_at(base), "r-x");
        assert_eq!(
            perms_at(base.wrapping_add(page)),
            "---",
            "unused tail released"
        );
        assert_wx("after commit");
        assert_eq!(call2(f, 3, 4), 7);

        let a = commit(&mut area, &host::ret_const(1));
        let b = commit(&mut area, &host::ret_const(2));
        let jump = commit(&mut area, &host::jump());
        area.patch_with(jump.ptr(), 4, |_| {
            assert_eq!(perms_at(jump.ptr()), "rw-");
            assert_eq!(
                perms_at(b.ptr()),
                "r-x",
                "only the patched page is writable"
            );
            assert_wx("inside a patch");
        })
        .expect("patch_with");
        area.retarget_branch(jump.ptr(), a.ptr()).expect("retarget");
        assert_eq!(perms_at(jump.ptr()), "r-x");
        assert_wx("after patch");
        assert_eq!(call0(jump), 1);

        let mut fns = Vec::new();
        for k in 0..200 {
            fns.push((k, commit(&mut area, &host::ret_const(k))));
        }
        assert_wx("after 200 allocations");
        for &(k, f) in &fns {
            assert_eq!(call0(f), u64::try_from(k).expect("small"));
        }
        assert_eq!(area.traces(), 204);

        area.flush().expect("flush");
        assert_eq!(perms_at(base), "---");
        assert_eq!(perms_at(fns[199].1.ptr()), "---");
        assert_wx("after flush");
        let g = commit(&mut area, &host::ret_const(3));
        assert_eq!((page_of(g.ptr()), call0(g)), (base.addr(), 3));
        assert_wx("after reuse");
    }

    #[test]
    fn x64_sites_match_the_assembler() {
        use dynasmrt::x64::X64Relocation;
        let mut ops = VecAssembler::<X64Relocation>::new(0);
        dynasm!(ops ; .arch x64
            ; jmp >l     // 0
            ; je >l      // 5
            ; call >l    // 11
            ; nop        // 16
            ; l:         // 17
            ; jne <l     // 17
            ; jmp <l     // 23
            ; nop
        );
        let code = ops.finalize().expect("assemble");
        for (at, len) in [(0, 5), (5, 6), (11, 5), (17, 6), (23, 5)] {
            let site = x64::rel32_site(&code[at..]).expect("a rel32 branch");
            assert_eq!(site.len, len, "at {at}");
            let disp = &code[at + site.disp..at + site.disp + 4];
            let rel = i32::from_le_bytes(disp.try_into().expect("4 bytes"));
            assert_eq!(x64::rel32(at + len, 17), Some(rel), "at {at}");
        }
        assert_eq!(x64::rel32_site(&[0x0F]), None, "truncated");
        assert_eq!(
            x64::rel32_site(&[0xEB, 0]),
            None,
            "rel8 jmp is not patchable"
        );
        assert_eq!(x64::rel32_site(&[0x90]), None);
        assert_eq!(x64::rel32(0, 0x8000_0000), None);
        assert_eq!(x64::rel32(0x8000_0000, 0), Some(i32::MIN));
    }

    #[test]
    fn a64_retarget_matches_the_assembler() {
        use dynasmrt::aarch64::Aarch64Relocation;
        let base = 0x10000;
        let mut ops = VecAssembler::<Aarch64Relocation>::new(base);
        dynasm!(ops ; .arch aarch64
            ; back:
            ; b >fwd             // 0
            ; b.ne >fwd          // 4
            ; cbz x3, >fwd       // 8
            ; cbnz w4, >fwd      // 12
            ; tbz x5, #33, >fwd  // 16
            ; tbnz w6, #2, >fwd  // 20
            ; bl >fwd            // 24
            ; fwd:               // 28
            ; b <back            // 28
            ; b.lt <back         // 32
            ; cbz x1, <back      // 36
            ; tbnz w2, #0, <back // 40
            ; bl <back           // 44
        );
        let code = ops.finalize().expect("assemble");
        let word = |at: usize| u32::from_le_bytes(code[at..at + 4].try_into().expect("4 bytes"));
        for at in (0..48).step_by(4) {
            let pc = base + at;
            let target = if at < 28 { base + 28 } else { base };
            let w = word(at);
            assert_eq!(
                a64::retarget(w, pc, target).expect("same target"),
                w,
                "at {at}"
            );
            let to_self = a64::retarget(w, pc, pc).expect("to self");
            assert_ne!(to_self, w, "at {at}");
            assert_eq!(
                a64::retarget(to_self, pc, target).expect("back"),
                w,
                "at {at}"
            );
        }
        let pc = 0x1000_0000;
        let b = word(0);
        assert!(a64::retarget(b, pc, pc + (128 << 20) - 4).is_ok());
        assert!(a64::retarget(b, pc, pc - (128 << 20)).is_ok());
        assert!(a64::retarget(b, pc, pc + (128 << 20)).is_err());
        assert!(a64::retarget(b, pc, pc + 2).is_err(), "misaligned");
        let bcond = word(4);
        assert!(a64::retarget(bcond, pc, pc + (1 << 20) - 4).is_ok());
        assert!(a64::retarget(bcond, pc, pc + (1 << 20)).is_err());
        let tbz = word(16);
        assert!(a64::retarget(tbz, pc, pc - (32 << 10)).is_ok());
        assert!(a64::retarget(tbz, pc, pc - (32 << 10) - 4).is_err());
        assert!(matches!(
            a64::retarget(0xD503_201F, pc, pc), // nop
            Err(McodeError::NotABranch { .. })
        ));
    }
}

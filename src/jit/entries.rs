//! Where megamorphic `call_indirect` sites find their callees' machine code: the native
//! entry of each store function's function trace, by store function index.
//!
//! A trace's `CallAny` (see `record`) looks its callee up here through the trace
//! context: an entry with code and the signature the call site expects is called
//! natively, like a `CallTrace`; anything else (no function trace yet, a host function,
//! a null or mistyped element) takes the slow path, the `CallAny` helper, which runs the
//! callee in the interpreter or raises the trap. Entries are set when a function trace
//! is installed and cleared when its tree is evicted or flushed.

/// One store function's native entry, as traces read it (the layout is used by the
/// generated code: code at offset 0, key at offset 8).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NativeEntry {
    /// The function trace's entry for native calls, 0 if it has none.
    pub(crate) code: usize,
    /// The function's type id, as `call_indirect` compares them, and its instance in the
    /// upper half: see [`NativeEntry::key`].
    pub(crate) key: u64,
}

impl NativeEntry {
    /// No code, and a key no call site has.
    const NONE: NativeEntry = NativeEntry {
        code: 0,
        key: u64::MAX,
    };

    /// What a call site compares with an entry's `key`: the type id it expects, and its
    /// own instance (a function trace runs with its instance's memory, globals and
    /// tables in the context, so calls from other instances take the slow path).
    pub(crate) fn key(ty: u32, instance: u32) -> u64 {
        u64::from(ty) | u64::from(instance) << 32
    }
}

/// The native entries of one store's functions.
#[derive(Default)]
pub(crate) struct NativeEntries {
    entries: Vec<NativeEntry>,
}

impl NativeEntries {
    /// Store function `f`, a WebAssembly function of `key` (its type id and instance),
    /// runs natively from `code` (the entry of its function trace).
    pub(crate) fn set(&mut self, f: u32, code: *const u8, key: u64) {
        let i = f as usize;
        if self.entries.len() <= i {
            self.entries.resize(i + 1, NativeEntry::NONE);
        }
        self.entries[i] = NativeEntry {
            code: code.addr(),
            key,
        };
    }

    /// Code at `[start, start + len)` is going away: no entry points into it any more.
    pub(crate) fn forget(&mut self, start: *const u8, len: usize) {
        let range = start.addr()..start.addr() + len;
        for e in &mut self.entries {
            if range.contains(&e.code) {
                *e = NativeEntry::NONE;
            }
        }
    }

    /// Every trace is gone.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// The table as the trace context holds it: its address and length.
    pub(crate) fn raw(&self) -> (*const NativeEntry, u64) {
        (self.entries.as_ptr(), self.entries.len() as u64)
    }
}

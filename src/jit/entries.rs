//! Where megamorphic `call_indirect` sites find their callees' machine code: the native
//! entry of each store function's function trace, indexed by table entry (a store
//! function + 1, as tables hold them).
//!
//! A trace's `CallAny` (see `record`) looks its callee up here through the trace
//! context: an entry whose key is the one the call site expects (its type, its
//! instance) is called natively, like a `CallTrace`; anything else (no function trace
//! yet, a host function, another instance's function, a null or mistyped element) takes
//! the slow path, the `CallAny` helper, which runs the callee in the interpreter or
//! raises the trap. Entries are set when a function trace is installed and cleared when
//! its tree is evicted or flushed. Keys and code are two arrays, so that the code a call
//! jumps to is one load from the table entry, the key compared beside it.

/// What a call site compares with an entry's key: the type id it expects, and its own
/// instance (a function trace runs with its instance's memory, globals and tables in
/// the context, so calls from other instances take the slow path).
pub(crate) fn key(ty: u32, instance: u32) -> u64 {
    u64::from(ty) | u64::from(instance) << 32
}

/// The key of an entry without code: no call site has it.
const NO_KEY: u64 = u64::MAX;

/// The native entries of one store's functions.
#[derive(Default)]
pub(crate) struct NativeEntries {
    /// By table entry: the function trace's entry for native calls, or 0.
    code: Vec<usize>,
    /// By table entry: the key of the function that has code.
    keys: Vec<u64>,
}

impl NativeEntries {
    /// Store function `f`, a WebAssembly function with `key` (its type id and instance),
    /// runs natively from `code` (the entry of its function trace).
    pub(crate) fn set(&mut self, f: u32, code: *const u8, key: u64) {
        let e = f as usize + 1;
        if self.code.len() <= e {
            self.code.resize(e + 1, 0);
            self.keys.resize(e + 1, NO_KEY);
        }
        self.code[e] = code.addr();
        self.keys[e] = key;
    }

    /// Code at `[start, start + len)` is going away: no entry points into it any more.
    pub(crate) fn forget(&mut self, start: *const u8, len: usize) {
        let range = start.addr()..start.addr() + len;
        for (code, key) in self.code.iter_mut().zip(&mut self.keys) {
            if range.contains(code) {
                (*code, *key) = (0, NO_KEY);
            }
        }
    }

    /// Every trace is gone.
    pub(crate) fn clear(&mut self) {
        self.code.clear();
        self.keys.clear();
    }

    /// The arrays as the trace context holds them: code, keys, and their length.
    pub(crate) fn raw(&self) -> (*const usize, *const u64, u64) {
        (
            self.code.as_ptr(),
            self.keys.as_ptr(),
            self.code.len() as u64,
        )
    }
}

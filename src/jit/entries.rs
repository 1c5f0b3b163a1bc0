//! Where megamorphic `call_indirect` sites find their callees' machine code: the native
//! entry of each store function's function trace, indexed by table entry (a store
//! function + 1, as tables hold them), and a cache of the same by table slot.
//!
//! A trace's `CallAny` (see `record`) looks its callee up here through the trace
//! context: an entry whose key is the one the call site expects (its type, its
//! instance) is called natively, like a `CallTrace`; anything else (no function trace
//! yet, a host function, another instance's function, a null or mistyped element) takes
//! the slow path, the `CallAny` helper, which runs the callee in the interpreter or
//! raises the trap. Entries are set when a function trace is installed and cleared when
//! its tree is evicted or flushed. Keys and code are two arrays, so that the code a call
//! jumps to is one load from the table entry, the key compared beside it.
//!
//! ## Slot caches
//!
//! A call through table 0 loads the slot's element, then the element's code: two
//! dependent loads before the call's target is known, on the path a mispredicted call
//! waits for. A [`SlotCache`] per table keeps, for each slot, the element it last saw
//! with that element's code and key, so the code is one load from the slot. The trace
//! still loads the element, beside that load and not before it, and takes the cache only
//! when the element is the one cached (tables change without telling the JIT); a slot
//! not cached, or cached with another element, is filled by the `FillSlot` helper and
//! tried again. The caches follow the entries: every change of an entry's code changes
//! the slots that hold its element, so a cached element's code is always its entry's.
//! Their arrays are only reallocated by a fill, which makes the trace context read them
//! again.

/// What a call site compares with an entry's key: the type id it expects, and its own
/// instance (a function trace runs with its instance's memory, globals and tables in
/// the context, so calls from other instances take the slow path).
pub(crate) fn key(ty: u32, instance: u32) -> u64 {
    u64::from(ty) | u64::from(instance) << 32
}

/// The key of an entry without code: no call site has it.
const NO_KEY: u64 = u64::MAX;

/// The element of a slot cached with nothing: no table holds it (elements are a store
/// function + 1, or 0).
const NO_ELEM: u64 = u64::MAX;

/// The native entries of one store's functions.
#[derive(Default)]
pub(crate) struct NativeEntries {
    /// By table entry: the function trace's entry for native calls, or 0.
    code: Vec<usize>,
    /// By table entry: the key of the function that has code.
    keys: Vec<u64>,
    /// By store table: its slot cache, once a trace has called through it.
    slots: Vec<SlotCache>,
}

/// What the slots of one table call, cached (see the module's header): by slot, the
/// element last seen there, and that element's code and key as the entries have them.
#[derive(Default)]
struct SlotCache {
    elems: Vec<u64>,
    code: Vec<usize>,
    keys: Vec<u64>,
}

impl SlotCache {
    /// Slot `k` holds element `e` again, with `code` and `key`.
    fn put(&mut self, k: usize, e: u64, (code, key): (usize, u64)) {
        (self.elems[k], self.code[k], self.keys[k]) = (e, code, key);
    }
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
        self.update_slots(|elem, _| elem == e as u64);
    }

    /// Code at `[start, start + len)` is going away: no entry points into it any more.
    pub(crate) fn forget(&mut self, start: *const u8, len: usize) {
        let range = start.addr()..start.addr() + len;
        for (code, key) in self.code.iter_mut().zip(&mut self.keys) {
            if range.contains(code) {
                (*code, *key) = (0, NO_KEY);
            }
        }
        self.update_slots(|_, code| range.contains(&code));
    }

    /// Every trace is gone.
    pub(crate) fn clear(&mut self) {
        self.code.clear();
        self.keys.clear();
        self.update_slots(|_, code| code != 0);
    }

    /// The code and key of table entry `e`: none when it has no code.
    fn entry(&self, e: u64) -> (usize, u64) {
        let at = usize::try_from(e).ok();
        match at.and_then(|k| Some((*self.code.get(k)?, self.keys[k]))) {
            Some(found) => found,
            None => (0, NO_KEY),
        }
    }

    /// Reads the entry of every cached slot that `stale` picks (by its element and
    /// code) again.
    fn update_slots(&mut self, stale: impl Fn(u64, usize) -> bool) {
        let mut slots = std::mem::take(&mut self.slots);
        for cache in &mut slots {
            for k in 0..cache.elems.len() {
                let e = cache.elems[k];
                if e != NO_ELEM && stale(e, cache.code[k]) {
                    cache.put(k, e, self.entry(e));
                }
            }
        }
        self.slots = slots;
    }

    /// Slot `k` of store table `t`, of `len` slots now, holds element `e`: caches it.
    /// Returns whether the cache's arrays moved (the trace context must read them again).
    pub(crate) fn fill_slot(&mut self, t: usize, len: usize, k: usize, e: u64) -> bool {
        if self.slots.len() <= t {
            self.slots.resize_with(t + 1, SlotCache::default);
        }
        let entry = self.entry(e);
        let cache = &mut self.slots[t];
        let moved = cache.elems.len() < len;
        if moved {
            cache.elems.resize(len, NO_ELEM);
            cache.code.resize(len, 0);
            cache.keys.resize(len, NO_KEY);
        }
        cache.put(k, e, entry);
        moved
    }

    /// The slot cache of store table `t` as the trace context holds it: elements, code,
    /// keys, and their number (0 before the first fill).
    pub(crate) fn raw_slots(&self, t: usize) -> (*const u64, *const usize, *const u64, u64) {
        match self.slots.get(t) {
            Some(c) => (
                c.elems.as_ptr(),
                c.code.as_ptr(),
                c.keys.as_ptr(),
                c.elems.len() as u64,
            ),
            None => (std::ptr::null(), std::ptr::null(), std::ptr::null(), 0),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    impl NativeEntries {
        /// Slot `k` of table `t`'s cache: element, code, key.
        fn slot(&self, t: usize, k: usize) -> (u64, usize, u64) {
            let c = &self.slots[t];
            (c.elems[k], c.code[k], c.keys[k])
        }
    }

    #[test]
    fn slot_caches_follow_the_entries() {
        let (a, b) = (0x1000 as *const u8, 0x2000 as *const u8);
        let mut n = NativeEntries::default();
        n.set(1, a, 7);
        // The first fill makes the cache; a fill at the same length does not move it.
        assert!(n.fill_slot(3, 4, 1, 2));
        assert!(!n.fill_slot(3, 4, 2, 9));
        assert_eq!(n.slot(3, 1), (2, a.addr(), 7));
        assert_eq!(n.slot(3, 2), (9, 0, NO_KEY), "an element without code");
        assert_eq!(n.slot(3, 0).0, NO_ELEM, "a slot not filled");
        // New code for the element reaches its slots; code going away leaves them.
        n.set(1, b, 8);
        assert_eq!(n.slot(3, 1), (2, b.addr(), 8));
        n.set(8, a, 5);
        assert_eq!(n.slot(3, 2), (9, a.addr(), 5));
        n.forget(b, 16);
        assert_eq!(n.slot(3, 1), (2, 0, NO_KEY));
        assert_eq!(n.slot(3, 2), (9, a.addr(), 5), "other code stays");
        // A longer table moves the cache and keeps what it held.
        assert!(n.fill_slot(3, 6, 5, 2));
        assert_eq!(n.slot(3, 5), (2, 0, NO_KEY));
        assert_eq!(n.slot(3, 2), (9, a.addr(), 5));
        n.clear();
        assert_eq!(n.slot(3, 2), (9, 0, NO_KEY));
        let (_, _, _, len) = n.raw_slots(3);
        assert_eq!(len, 6);
        assert_eq!(n.raw_slots(0).3, 0, "a table never filled has no cache");
    }
}

//! Differential testing: random valid modules (from `wasm-smith`, Wasm 2.0 without SIMD,
//! NaNs canonicalized so results are deterministic) run in three configurations, and every
//! observable must agree across all three: instantiation, each exported function's results
//! or trap, and after every call the exported globals, memories and tables.
//!
//! The configurations ([`config_names`]):
//!
//! 1. `interp`: spur's interpreter (`Config::jit(false)`);
//! 2. `jit hotloop=1 hotexit=1 hotcall=1 hostsize=1 maxpoly=1 budget=100`: spur with the
//!    trace JIT forced (the tunables of [`JIT_FORCED`] that spur has: the thresholds set to 1,
//!    `call_indirect` sites megamorphic from their second target, the compile-time budget
//!    off):
//!    a loop is recorded on its first iteration and a side trace on the first exit taken
//!    from a trace, so root traces, side traces and the links between them are all recorded
//!    at once, the same on any machine;
//! 3. `wasmi`, the reference from outside (given the same module with one neutral rewrite,
//!    see [`for_wasmi`]).
//!
//! Random code rarely loops for long on its own: most calls either fall out of their loops
//! at once or recurse until a limit. So each module is instrumented after generation
//! ([`module_for`]) to make loops hot and keep them going:
//!
//! - Fuel: `wasm-smith`'s `ensure_termination` charges one unit per function entry and loop
//!   iteration from a global and traps (`unreachable`) when it runs out. The global is
//!   exported as [`FUEL_EXPORT`] and refilled to [`FUEL`] before every call, so that each
//!   call has a budget of its own.
//! - A call budget: each function starts by taking one unit from another global, exported
//!   as [`CALLS_EXPORT`] and refilled to [`CALLS`] before every call; with none left, it
//!   returns zeros at once. Recursion, which random code falls into easily, stays shallow
//!   and ends without a trap, and loops that call recursive functions go on iterating.
//! - Counted loops: most loops get a fresh counter, zeroed on entry, and before their `end`
//!   a back edge `br_if 0` taken while the counter, stepped there, stays below a trip count
//!   (from 2 to 1000) drawn per loop. Random loops rarely branch back by themselves.
//! - Stepped locals: at the head of most loops an integer local the random code reads (a
//!   parameter or a declared local) is stepped by a constant, so that branches in the loop
//!   body (`br_if`, `if`, `br_table`, `select`, addresses) change direction from one
//!   iteration to the next: exits of traces get taken and grow side traces.
//!
//! Both globals are exported, so all three configurations must also agree on the fuel and
//! calls left after each call.
//!
//! The generator favours control flow: three modules in four draw only from control,
//! variable, parametric, integer and integer memory instructions, so loops, branches and
//! calls make up a larger share of their code, while the fourth draws from every Wasm 2.0
//! instruction but SIMD; two modules in three are generated without traps (`wasm-smith`
//! guards memory accesses and divisions with branches), so that loops run until their trip
//! count or the fuel ends them. Modules have 10 to 20 functions.
//!
//! A separate workspace member so that the default `cargo test` never builds wasmi; CI runs
//! it explicitly (`cargo test --release -p spur-differential`). `SPUR_DIFF_CASES` sets the
//! number of modules (default 2000), and `SPUR_DIFF_FIRST` the first seed (default 0), so
//! a long run can be split into ranges. The summary line (printed with `-- --nocapture`)
//! names the configurations and counts what the JIT did: traces, side traces, trace
//! entries, exits, links and aborted recordings. A failure (a disagreement, or a panic in
//! one configuration) names the seed that reproduces it and the configuration that
//! disagreed; the ignored tests `one::compare_seed` and `dump::write_module` replay the
//! seed given in `SPUR_DIFF_SEED`. Only where wasmi alone is wrong at a seed of
//! [`WASMI_BUGS`] is a disagreement counted apart instead.
//!
//! With `--features wasmtime`, `wasmtime::confirm` compares a module on spur's
//! interpreter and on Wasmtime, to triage a disagreement of wasmi alone: at a seed
//! (`confirm_seed`) or in an input the fuzzer kept (`confirm_input`).
//!
//! [`fuzz`] is the fuzz target (module loading, and this differential on modules generated
//! from arbitrary bytes), which the `spur-fuzz` binary mutates from the corpus in
//! `corpus/`; every input kept there is replayed by this crate's tests.

use arbitrary::Unstructured;

pub mod fuzz;
#[cfg(feature = "wasmtime")]
pub mod wasmtime;

/// What a call observed, in a form every engine can produce.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Results as (type name, bits).
    Values(Vec<(&'static str, u64)>),
    /// A trap, by spur's message.
    Trap(String),
    /// A limit that differs between engines (stack depth): only compared between spur's
    /// two configurations, which share their limits.
    Exhausted,
}

/// Fuel (function entries plus loop iterations) each call starts with.
pub const FUEL: u32 = 5000;

/// The name under which the fuel global is exported.
pub const FUEL_EXPORT: &str = "spur-differential fuel";

/// Calls (the outermost included) each call may make before functions return at once.
pub const CALLS: u32 = 200;

/// The name under which the call budget's global is exported.
pub const CALLS_EXPORT: &str = "spur-differential calls";

/// The JIT tunables the `jit` configuration sets (to record as early as possible); those
/// spur does not have (yet) are skipped.
pub const JIT_FORCED: &[(&str, u32)] = &[
    ("hotloop", 1),
    ("hotexit", 1),
    ("hotcall", 1),
    // Loop-free exports get function traces at their first call from the host.
    ("hostsize", 1),
    // A call_indirect site that has seen two targets calls natively (`CallAny`).
    ("maxpoly", 1),
    // No compile-time budget: what gets recorded must not depend on the machine's speed.
    ("budget", 100),
];

/// The number of configurations compared.
pub const CONFIGS: usize = 3;

/// The tunables of [`JIT_FORCED`] that spur has.
pub fn jit_forced() -> Vec<(&'static str, u32)> {
    JIT_FORCED
        .iter()
        .copied()
        .filter(|(name, _)| spur::JitParams::TABLE.iter().any(|p| p.0 == *name))
        .collect()
}

/// The names of the configurations: `interp`, `jit hotloop=1 ...`, `wasmi`.
pub fn config_names() -> [String; CONFIGS] {
    let params: Vec<String> = jit_forced()
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    [
        "interp".to_string(),
        format!("jit {}", params.join(" ")),
        "wasmi".to_string(),
    ]
}

/// The generator configuration for `seed`: Wasm 2.0 without SIMD, no imports; three seeds
/// in four without floating-point, reference and table instructions, so that control
/// instructions (loops, branches, calls) are a larger share of the choices; two in three
/// without traps.
pub fn config(seed: u64) -> wasm_smith::Config {
    use wasm_smith::{InstructionKind as K, InstructionKinds};
    let allowed_instructions = if seed % 4 == 3 {
        InstructionKinds::all()
    } else {
        InstructionKinds::new(&[
            K::Control,
            K::Variable,
            K::Parametric,
            K::NumericInt,
            K::MemoryInt,
        ])
    };
    wasm_smith::Config {
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        tail_call_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        canonicalize_nans: true,
        max_imports: 0,
        max_memories: 1,
        // Where growth fails is up to each engine: keep it bounded by declared maxima.
        max_memory32_bytes: 1 << 20,
        memory_max_size_required: true,
        max_table_elements: 1000,
        table_max_size_required: true,
        // Without a type there are no functions.
        min_types: 1,
        // More functions, more calls compared.
        min_funcs: 10,
        max_funcs: 20,
        export_everything: true,
        allowed_instructions,
        disallow_traps: !seed.is_multiple_of(3),
        ..Default::default()
    }
}

/// The module for `seed`, instrumented (see the module docs), or `None` when the generator
/// gave up.
pub fn module_for(seed: u64) -> Option<Vec<u8>> {
    let data: Vec<u8> = (0..1024u64)
        .flat_map(|i| mix(mix(seed) ^ i).to_le_bytes())
        .collect();
    module_from(&data, seed)
}

/// The module the generator makes from the bytes `data` (what the fuzz target feeds it),
/// with the configuration of `seed`, instrumented like [`module_for`]'s.
pub fn module_from(data: &[u8], seed: u64) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let mut m = wasm_smith::Module::new(config(seed), &mut u).ok()?;
    let fuel_global = m.ensure_termination(FUEL).ok()?;
    rewrite(&m.to_bytes(), Pass::Generated { seed, fuel_global })
}

/// The module wasmi runs: `module` with `i32.const 1; i32.and` between a comparison and a
/// `select` right after it, which changes nothing but keeps wasmi 2.0.0 from fusing the
/// two: fused, a `select` on `i32.eqz` of a local (or on `i32.eq`/`i32.ne` with zero)
/// reads a stale register for its condition (`(select (i32.const 1) (i32.const 2)
/// (i32.eqz (local.get 0)))` with the local 5 gives 1).
pub fn for_wasmi(module: &[u8]) -> Option<Vec<u8>> {
    rewrite(module, Pass::Wasmi)
}

/// What [`rewrite`] does.
#[derive(Clone, Copy)]
enum Pass {
    /// Instruments a module just generated (see the module docs); `fuel_global` is the
    /// index of `ensure_termination`'s global.
    Generated { seed: u64, fuel_global: u32 },
    /// Separates comparisons from `select`s (see [`for_wasmi`]).
    Wasmi,
}

/// Rewrites `module` for `pass`; `None` if it holds something this small decoder does not
/// know.
fn rewrite(module: &[u8], pass: Pass) -> Option<Vec<u8>> {
    let mut r = Reader::new(module);
    let mut out = r.bytes(8)?.to_vec();
    let mut types = Vec::new();
    let mut funcs = Vec::new();
    let mut calls_global = None;
    let mut exported = matches!(pass, Pass::Wasmi);
    while !r.done() {
        let id = r.byte()?;
        let len = r.u32()? as usize;
        let contents = r.bytes(len)?;
        let new = match (id, pass) {
            (1, _) => {
                types = func_types(contents)?;
                None
            }
            // Imports (there are none) would shift the indices below.
            (2, _) if Reader::new(contents).u32()? != 0 => return None,
            (3, _) => {
                let mut s = Reader::new(contents);
                funcs = (0..s.u32()?).map(|_| s.u32()).collect::<Option<_>>()?;
                None
            }
            (6, Pass::Generated { .. }) => {
                // The call budget's global, last.
                let mut s = Reader::new(contents);
                let count = s.u32()?;
                calls_global = Some(count);
                let mut new = Vec::new();
                leb(&mut new, u64::from(count) + 1);
                new.extend_from_slice(&contents[s.pos..]);
                new.extend_from_slice(&[0x7f, 0x01, 0x41]); // mut i32 = i32.const
                sleb(&mut new, i64::from(CALLS));
                new.push(0x0b);
                Some(new)
            }
            (7, Pass::Generated { fuel_global, .. }) => {
                exported = true;
                let exports = [(FUEL_EXPORT, fuel_global), (CALLS_EXPORT, calls_global?)];
                Some(export_globals(contents, &exports)?)
            }
            (10, _) => Some(rewrite_code(contents, &types, &funcs, pass, calls_global)?),
            _ => None,
        };
        out.push(id);
        let contents = new.as_deref().unwrap_or(contents);
        leb(&mut out, contents.len() as u64);
        out.extend_from_slice(contents);
    }
    exported.then_some(out)
}

/// Appends exports of globals (name, index) to an export section.
fn export_globals(contents: &[u8], globals: &[(&str, u32)]) -> Option<Vec<u8>> {
    let mut r = Reader::new(contents);
    let count = r.u32()?;
    let entries = &contents[r.pos..];
    for _ in 0..count {
        let len = r.u32()? as usize;
        let name = r.bytes(len)?;
        if globals.iter().any(|g| g.0.as_bytes() == name) {
            return None;
        }
        r.byte()?;
        r.u32()?;
    }
    let mut out = Vec::new();
    leb(&mut out, u64::from(count) + globals.len() as u64);
    out.extend_from_slice(entries);
    for (name, index) in globals {
        leb(&mut out, name.len() as u64);
        out.extend_from_slice(name.as_bytes());
        out.push(3); // a global
        leb(&mut out, u64::from(*index));
    }
    Some(out)
}

/// A type section's function types: parameters and results, each value type by its
/// first byte.
type FuncTypes = Vec<(Vec<u8>, Vec<u8>)>;

fn func_types(contents: &[u8]) -> Option<FuncTypes> {
    let mut r = Reader::new(contents);
    (0..r.u32()?)
        .map(|_| {
            if r.byte()? != 0x60 {
                return None; // not a plain function type
            }
            let params = (0..r.u32()?).map(|_| r.val_type()).collect::<Option<_>>()?;
            let results = (0..r.u32()?).map(|_| r.val_type()).collect::<Option<_>>()?;
            Some((params, results))
        })
        .collect()
}

/// Rewrites a code section for `pass` (see [`rewrite`]).
fn rewrite_code(
    contents: &[u8],
    types: &FuncTypes,
    funcs: &[u32],
    pass: Pass,
    calls_global: Option<u32>,
) -> Option<Vec<u8>> {
    let mut r = Reader::new(contents);
    let count = r.u32()?;
    let mut out = Vec::new();
    leb(&mut out, u64::from(count));
    for index in 0..count as usize {
        let size = r.u32()? as usize;
        let body = r.bytes(size)?;
        let (params, results) = types.get(*funcs.get(index)? as usize)?;
        let new = match pass {
            Pass::Generated { seed, .. } => {
                let seed = mix(seed ^ index as u64);
                instrument_body(body, types, params, results, seed, calls_global?)?
            }
            Pass::Wasmi => separate_selects(body)?,
        };
        leb(&mut out, new.len() as u64);
        out.extend_from_slice(&new);
    }
    r.done().then_some(out)
}

/// See [`for_wasmi`].
fn separate_selects(body: &[u8]) -> Option<Vec<u8>> {
    let mut b = Reader::new(body);
    b.locals()?;
    let mut new = body[..b.pos].to_vec();
    let mut prev = None;
    while !b.done() {
        let start = b.pos;
        let op = b.instruction()?;
        if matches!(op, 0x1b | 0x1c) && matches!(prev, Some(0x45..=0x66)) {
            new.extend_from_slice(&[0x41, 0x01, 0x71]); // i32.const 1; i32.and
        }
        new.extend_from_slice(&body[start..b.pos]);
        prev = Some(op);
    }
    Some(new)
}

/// Adds the call budget, counted loops and stepped locals (see the module docs) to one
/// function body.
fn instrument_body(
    body: &[u8],
    types: &FuncTypes,
    params: &[u8],
    results: &[u8],
    seed: u64,
    calls_global: u32,
) -> Option<Vec<u8>> {
    let mut b = Reader::new(body);
    let groups = b.locals()?;
    let code = b.pos;
    // Integer locals the random code reads: (index, is i64), a few of each run.
    let mut int_locals: Vec<(u32, bool)> = Vec::new();
    let mut next = 0u32;
    for (n, t) in params.iter().map(|&t| (1, t)).chain(groups.iter().copied()) {
        if t == 0x7f || t == 0x7e {
            int_locals.extend((next..next.checked_add(n)?).take(4).map(|l| (l, t == 0x7e)));
        }
        next = next.checked_add(n)?;
    }
    let loops = {
        let mut scan = Reader::new(&body[code..]);
        let mut loops = 0u32;
        while !scan.done() {
            loops += u32::from(scan.instruction()? == 0x03);
        }
        loops
    };

    // The locals, and one counter per loop after them.
    let mut new = Vec::new();
    leb(&mut new, groups.len() as u64 + u64::from(loops > 0));
    let declared = {
        let mut d = Reader::new(body);
        d.u32()?;
        d.pos
    };
    new.extend_from_slice(&body[declared..code]);
    if loops > 0 {
        leb(&mut new, u64::from(loops));
        new.push(0x7f);
    }

    // The call budget: with none left, return zeros.
    new.push(0x23); // global.get
    leb(&mut new, u64::from(calls_global));
    new.extend_from_slice(&[0x45, 0x04, 0x40]); // i32.eqz; if
    for &t in results {
        match t {
            0x7f => new.extend_from_slice(&[0x41, 0]),
            0x7e => new.extend_from_slice(&[0x42, 0]),
            0x7d => new.extend_from_slice(&[0x43, 0, 0, 0, 0]),
            0x7c => new.extend_from_slice(&[0x44, 0, 0, 0, 0, 0, 0, 0, 0]),
            0x70 | 0x6f => new.extend_from_slice(&[0xd0, t]),
            _ => return None,
        }
    }
    new.extend_from_slice(&[0x0f, 0x0b, 0x23]); // return; end; global.get
    leb(&mut new, u64::from(calls_global));
    new.extend_from_slice(&[0x41, 0x01, 0x6b, 0x24]); // i32.const 1; i32.sub; global.set
    leb(&mut new, u64::from(calls_global));

    // Open blocks: for a counted loop, its counter and trip count.
    let mut open: Vec<Option<(u32, u32)>> = Vec::new();
    let mut loop_index = 0;
    while !b.done() {
        let start = b.pos;
        let op = b.instruction()?;
        let h = mix(seed ^ mix(start as u64));
        match op {
            0x02 | 0x04 => open.push(None),
            0x03 => {
                let counter = next + loop_index;
                loop_index += 1;
                let trips = [0, 2, 3, 5, 16, 50, 200, 1000][(h % 8) as usize];
                // A back edge carries the loop's parameters: only loops without any.
                let no_params = match body[start + 1] {
                    0x40 | 0x7f | 0x7e | 0x7d | 0x7c | 0x70 | 0x6f => true,
                    _ => {
                        let ty = Reader::new(&body[start + 1..]).u32()?;
                        types.get(ty as usize)?.0.is_empty()
                    }
                };
                if trips > 0 && no_params {
                    new.extend_from_slice(&[0x41, 0x00, 0x21]); // i32.const 0; local.set
                    leb(&mut new, u64::from(counter));
                    open.push(Some((counter, trips)));
                } else {
                    open.push(None);
                }
            }
            0x0b => {
                if let Some(Some((counter, trips))) = open.pop() {
                    new.push(0x20); // local.get
                    leb(&mut new, u64::from(counter));
                    new.extend_from_slice(&[0x41, 0x01, 0x6a, 0x22]); // i32.const 1; i32.add; local.tee
                    leb(&mut new, u64::from(counter));
                    new.push(0x41); // i32.const
                    sleb(&mut new, i64::from(trips));
                    new.extend_from_slice(&[0x49, 0x0d, 0x00]); // i32.lt_u; br_if 0
                }
            }
            _ => {}
        }
        new.extend_from_slice(&body[start..b.pos]);
        if op == 0x03 && !int_locals.is_empty() && h >> 62 != 0 {
            // Step a local the random code reads, at the head of the loop body.
            let (local, wide) = int_locals[(h >> 8) as usize % int_locals.len()];
            let step: i64 = match (h >> 40) % 4 {
                0 => 1,
                1 => -1,
                2 => 0x9e37_79b9_7f4a_7c15_u64 as i64,
                _ => (h >> 16) as i64 | 1,
            };
            new.push(0x20); // local.get
            leb(&mut new, u64::from(local));
            if wide {
                new.push(0x42); // i64.const
                sleb(&mut new, step);
                new.push(0x7c); // i64.add
            } else {
                new.push(0x41); // i32.const
                sleb(&mut new, i64::from(step as i32));
                new.push(0x6a); // i32.add
            }
            new.push(0x21); // local.set
            leb(&mut new, u64::from(local));
        }
    }
    Some(new)
}

/// A 64-bit mixing function (splitmix64's finalizer).
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A cursor over a module's bytes that knows just enough of the binary format to walk
/// the function bodies `wasm-smith` generates under [`config`].
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    /// A LEB128 number, signed or not (only its value's low 64 bits matter here).
    fn leb(&mut self) -> Option<u64> {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.byte()?;
            if shift < 64 {
                v |= u64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                return Some(v);
            }
            if shift > 70 {
                return None;
            }
        }
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.leb()?).ok()
    }

    /// A body's local declarations: (count, value type) runs.
    fn locals(&mut self) -> Option<Vec<(u32, u8)>> {
        (0..self.u32()?)
            .map(|_| Some((self.u32()?, self.val_type()?)))
            .collect()
    }

    /// A value type; references by their first byte.
    fn val_type(&mut self) -> Option<u8> {
        let t = self.byte()?;
        match t {
            0x7f | 0x7e | 0x7d | 0x7c | 0x7b | 0x70 | 0x6f => Some(t),
            0x63 | 0x64 => self.heap_type().map(|_| t),
            _ => None,
        }
    }

    fn heap_type(&mut self) -> Option<()> {
        self.leb().map(drop)
    }

    fn block_type(&mut self) -> Option<()> {
        match *self.bytes.get(self.pos)? {
            0x40 | 0x7f | 0x7e | 0x7d | 0x7c | 0x7b | 0x70 | 0x6f => self.byte().map(drop),
            0x63 | 0x64 => self.val_type().map(drop),
            _ => self.leb().map(drop), // a type index
        }
    }

    fn mem_arg(&mut self) -> Option<()> {
        if self.u32()? & 0x40 != 0 {
            self.u32()?; // memory index
        }
        self.leb().map(drop)
    }

    /// Skips one instruction, returning its opcode.
    fn instruction(&mut self) -> Option<u8> {
        let op = self.byte()?;
        match op {
            0x00 | 0x01 | 0x05 | 0x0b | 0x0f | 0x1a | 0x1b | 0x45..=0xc4 | 0xd1 => {}
            0x02..=0x04 => self.block_type()?,
            0x0c | 0x0d | 0x10 | 0x20..=0x26 | 0x3f | 0x40 | 0x41 | 0x42 | 0xd2 => {
                self.leb()?;
            }
            0x0e => {
                for _ in 0..=self.u32()? {
                    self.u32()?;
                }
            }
            0x11 => {
                self.u32()?;
                self.u32()?;
            }
            0x1c => {
                for _ in 0..self.u32()? {
                    self.val_type()?;
                }
            }
            0x28..=0x3e => self.mem_arg()?,
            0x43 => {
                self.bytes(4)?;
            }
            0x44 => {
                self.bytes(8)?;
            }
            0xd0 => match self.byte()? {
                0x70 | 0x6f => {}
                _ => {
                    self.pos -= 1;
                    self.heap_type()?;
                }
            },
            0xfc => {
                let immediates = match self.u32()? {
                    0..=7 => 0,
                    9 | 11 | 13 | 15..=17 => 1,
                    8 | 10 | 12 | 14 => 2,
                    _ => return None,
                };
                for _ in 0..immediates {
                    self.u32()?;
                }
            }
            _ => return None,
        }
        Some(op)
    }
}

fn spur_trap(code: spur::TrapCode) -> Outcome {
    use spur::TrapCode as T;
    match code {
        T::StackOverflow => Outcome::Exhausted,
        // wasmi reports both as one "table out of bounds" code.
        T::UndefinedElement | T::TableOutOfBounds => Outcome::Trap("table out of bounds".into()),
        other => Outcome::Trap(other.message().into()),
    }
}

fn wasmi_trap(code: wasmi::TrapCode) -> Outcome {
    use wasmi::TrapCode as W;
    let msg = match code {
        W::StackOverflow => return Outcome::Exhausted,
        W::UnreachableCodeReached => "unreachable",
        W::MemoryOutOfBounds => "out of bounds memory access",
        W::TableOutOfBounds => "table out of bounds",
        W::IndirectCallToNull => "uninitialized element",
        W::IntegerDivisionByZero => "integer divide by zero",
        W::IntegerOverflow => "integer overflow",
        W::BadConversionToInteger => "invalid conversion to integer",
        W::BadSignature => "indirect call type mismatch",
        other => return Outcome::Trap(format!("wasmi-only trap {other:?}")),
    };
    Outcome::Trap(msg.into())
}

fn spur_val(v: &spur::Val) -> (&'static str, u64) {
    match v {
        spur::Val::I32(x) => ("i32", *x as u32 as u64),
        spur::Val::I64(x) => ("i64", *x as u64),
        spur::Val::F32(x) => ("f32", u64::from(*x)),
        spur::Val::F64(x) => ("f64", *x),
        spur::Val::FuncRef(f) => ("funcref", u64::from(f.is_some())),
        spur::Val::ExternRef(e) => ("externref", u64::from(e.is_some())),
    }
}

fn wasmi_val(v: &wasmi::Val) -> (&'static str, u64) {
    match v {
        wasmi::Val::I32(x) => ("i32", *x as u32 as u64),
        wasmi::Val::I64(x) => ("i64", *x as u64),
        wasmi::Val::F32(x) => ("f32", u64::from(x.to_bits())),
        wasmi::Val::F64(x) => ("f64", x.to_bits()),
        wasmi::Val::FuncRef(f) => ("funcref", u64::from(!f.is_null())),
        wasmi::Val::ExternRef(e) => ("externref", u64::from(!e.is_null())),
        other => ("unsupported", format!("{other:?}").len() as u64),
    }
}

/// The bits of argument `i` of a call in round `round`: the same deterministic values in
/// every configuration, shifted between rounds.
fn arg_bits(i: usize, round: usize) -> u64 {
    [1, u64::MAX, 0x8000_0000, 7, 0x3ff8_0000_0000_0000, 0][(i + 3 * round) % 6]
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// One configuration's instance, driven call by call.
trait Side {
    /// Refills the fuel to [`FUEL`] and the call budget to [`CALLS`].
    fn refill(&mut self) -> Result<(), String>;
    /// Calls the exported function `name` with the arguments of round `round`; `Err` for
    /// anything but a result or a trap.
    fn call(&mut self, name: &str, round: usize) -> Result<Outcome, String>;
    /// Everything exported besides functions, as comparable text.
    fn state(&mut self) -> Vec<String>;
}

/// spur, interpreted or with the JIT forced.
struct Spur {
    module: spur::Module,
    store: spur::Store<()>,
    /// The instance, or why instantiation failed.
    inst: Result<spur::Instance, String>,
}

impl Spur {
    fn new(bytes: &[u8], jit: bool) -> Result<Spur, String> {
        let mut config = spur::Config::new();
        config.jit(jit);
        if jit {
            for (name, value) in jit_forced() {
                config.jit_param(name, value).map_err(|e| e.to_string())?;
            }
        }
        let engine = spur::Engine::new(&config);
        let module = spur::Module::new(&engine, bytes).map_err(|e| format!("rejected: {e}"))?;
        let mut store = spur::Store::new(&engine, ());
        let inst = spur::Linker::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| e.to_string());
        Ok(Spur {
            module,
            store,
            inst,
        })
    }

    fn inst(&self) -> Result<spur::Instance, String> {
        self.inst.clone()
    }
}

impl Side for Spur {
    fn refill(&mut self) -> Result<(), String> {
        let inst = self.inst()?;
        for (name, value) in [(FUEL_EXPORT, FUEL), (CALLS_EXPORT, CALLS)] {
            let global = inst
                .get_global(&mut self.store, name)
                .ok_or_else(|| format!("no global `{name}`"))?;
            global
                .set(&mut self.store, spur::Val::I32(value as i32))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn call(&mut self, name: &str, round: usize) -> Result<Outcome, String> {
        let inst = self.inst()?;
        let f = inst
            .get_func(&mut self.store, name)
            .ok_or("export missing")?;
        let ty = f.ty(&self.store);
        let args: Vec<spur::Val> = ty
            .params()
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let bits = arg_bits(i, round);
                match t {
                    spur::ValType::I32 => spur::Val::I32(bits as i32),
                    spur::ValType::I64 => spur::Val::I64(bits as i64),
                    spur::ValType::F32 => spur::Val::F32((f64::from_bits(bits) as f32).to_bits()),
                    spur::ValType::F64 => spur::Val::F64(bits),
                    other => spur::Val::default_for_ty(other),
                }
            })
            .collect();
        let mut results: Vec<spur::Val> = ty
            .results()
            .iter()
            .map(|&t| spur::Val::default_for_ty(t))
            .collect();
        match f.call(&mut self.store, &args, &mut results) {
            Ok(()) => Ok(Outcome::Values(results.iter().map(spur_val).collect())),
            Err(e) => e.trap_code().map(spur_trap).ok_or_else(|| e.to_string()),
        }
    }

    fn state(&mut self) -> Vec<String> {
        let Ok(inst) = self.inst() else {
            return Vec::new();
        };
        let store = &mut self.store;
        let mut out = Vec::new();
        for e in inst.exports(&mut *store) {
            match e.ext() {
                spur::Extern::Global(g) => {
                    out.push(format!("{} = {:?}", e.name(), spur_val(&g.get(&*store))))
                }
                spur::Extern::Memory(m) => {
                    out.push(format!("{}: {}", e.name(), fnv(m.data(&*store))))
                }
                spur::Extern::Table(t) => {
                    out.push(format!("{}: size {}", e.name(), t.size(&*store)))
                }
                spur::Extern::Func(_) => {}
            }
        }
        out.sort();
        out
    }
}

/// wasmi, the reference from outside.
struct Wasmi {
    store: wasmi::Store<()>,
    /// The instance, or why instantiation failed.
    inst: Result<wasmi::Instance, String>,
}

impl Wasmi {
    fn new(bytes: &[u8]) -> Result<Wasmi, String> {
        // The call budget keeps calls far from wasmi's depth limit (1000).
        let engine = wasmi::Engine::default();
        let bytes = for_wasmi(bytes).ok_or("cannot rewrite the module")?;
        let module = wasmi::Module::new(&engine, &bytes).map_err(|e| format!("rejected: {e}"))?;
        let mut store = wasmi::Store::new(&engine, ());
        let inst = wasmi::Linker::<()>::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| e.to_string());
        Ok(Wasmi { store, inst })
    }
}

impl Side for Wasmi {
    fn refill(&mut self) -> Result<(), String> {
        let inst = self.inst.clone()?;
        for (name, value) in [(FUEL_EXPORT, FUEL), (CALLS_EXPORT, CALLS)] {
            let global = inst
                .get_global(&self.store, name)
                .ok_or_else(|| format!("no global `{name}`"))?;
            global
                .set(&mut self.store, wasmi::Val::I32(value as i32))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn call(&mut self, name: &str, round: usize) -> Result<Outcome, String> {
        let inst = self.inst.clone()?;
        let f = inst.get_func(&self.store, name).ok_or("export missing")?;
        let ty = f.ty(&self.store);
        let args: Vec<wasmi::Val> = ty
            .params()
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let bits = arg_bits(i, round);
                match t {
                    wasmi::ValType::I32 => wasmi::Val::I32(bits as i32),
                    wasmi::ValType::I64 => wasmi::Val::I64(bits as i64),
                    wasmi::ValType::F32 => wasmi::Val::F32(wasmi::F32::from_bits(
                        (f64::from_bits(bits) as f32).to_bits(),
                    )),
                    wasmi::ValType::F64 => wasmi::Val::F64(wasmi::F64::from_bits(bits)),
                    other => wasmi::Val::default_for_ty(other),
                }
            })
            .collect();
        let mut results: Vec<wasmi::Val> = ty
            .results()
            .iter()
            .map(|&t| wasmi::Val::default_for_ty(t))
            .collect();
        match f.call(&mut self.store, &args, &mut results) {
            Ok(()) => Ok(Outcome::Values(results.iter().map(wasmi_val).collect())),
            Err(e) => e
                .as_trap_code()
                .map(wasmi_trap)
                .ok_or_else(|| e.to_string()),
        }
    }

    fn state(&mut self) -> Vec<String> {
        let Ok(inst) = self.inst.clone() else {
            return Vec::new();
        };
        let store = &self.store;
        let mut out = Vec::new();
        for e in inst.exports(store) {
            let name = e.name().to_string();
            match e.into_extern() {
                wasmi::Extern::Global(g) => {
                    out.push(format!("{name} = {:?}", wasmi_val(&g.get(store))))
                }
                wasmi::Extern::Memory(m) => out.push(format!("{name}: {}", fnv(m.data(store)))),
                wasmi::Extern::Table(t) => out.push(format!("{name}: size {}", t.size(store))),
                _ => {}
            }
        }
        out.sort();
        out
    }
}

/// A disagreement (or a failure of one configuration to load or call the module).
#[derive(Debug)]
pub struct Disagreement {
    /// The configuration that disagreed with the other two (index into
    /// [`config_names`]), or `None` if no two agree.
    pub who: Option<usize>,
    /// Where, and what each configuration saw.
    pub what: String,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.who {
            Some(who) => write!(f, "`{}` disagrees: {}", config_names()[who], self.what),
            None => write!(f, "all three disagree: {}", self.what),
        }
    }
}

/// A failure of configuration `who` alone (`what` says where).
fn fails(who: usize, what: impl std::fmt::Display) -> Disagreement {
    Disagreement {
        who: Some(who),
        what: what.to_string(),
    }
}

/// `Err` naming the configuration that disagrees if the observations of `what`, one per
/// configuration in the order of [`config_names`], differ.
fn agree<T: PartialEq + std::fmt::Debug>(what: &str, seen: &[T]) -> Result<(), Disagreement> {
    agree_among(&config_names(), what, seen)
}

/// [`agree`] among the sides named `names`, in order.
fn agree_among<T: PartialEq + std::fmt::Debug>(
    names: &[String],
    what: &str,
    seen: &[T],
) -> Result<(), Disagreement> {
    let who = match seen {
        [a, b] if a == b => return Ok(()),
        [_, _] => Some(1),
        [a, b, c] => match (a == b, a == c, b == c) {
            (true, true, _) => return Ok(()),
            (true, false, _) => Some(2),
            (false, true, _) => Some(1),
            (false, false, true) => Some(0),
            (false, false, false) => None,
        },
        _ => unreachable!("one observation per configuration"),
    };
    let seen: Vec<String> = names
        .iter()
        .zip(seen)
        .map(|(name, s)| format!("{name}: {s:?}"))
        .collect();
    Err(Disagreement {
        who,
        what: format!("{what}; {}", seen.join("; ")),
    })
}

/// What one module's comparison did.
#[derive(Default)]
pub struct Report {
    /// Calls compared.
    pub calls: usize,
    /// What the JIT did in the `jit` configuration's store.
    pub jit: spur::JitStats,
}

/// `f()`, with a panic turned into an `Err` (so that a failure names its seed and
/// configuration, and the run goes on).
fn guard<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let msg = (panic.downcast_ref::<&str>().copied())
            .or(panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("?");
        Err(format!("panicked: {msg}"))
    })
}

/// Runs one module in the three configurations; `Err` describes the first disagreement,
/// naming the configuration that disagreed.
pub fn compare(bytes: &[u8]) -> Result<Report, Disagreement> {
    let mut interp = guard(|| Spur::new(bytes, false)).map_err(|e| fails(0, e))?;
    let mut jit = guard(|| Spur::new(bytes, true)).map_err(|e| fails(1, e))?;
    let mut wasmi = guard(|| Wasmi::new(bytes)).map_err(|e| fails(2, e))?;
    let mut report = Report::default();
    let result = run(&mut interp, &mut jit, &mut wasmi, &mut report.calls);
    report.jit = jit.store.jit_stats();
    result.map(|()| report)
}

fn run(
    interp: &mut Spur,
    jit: &mut Spur,
    wasmi: &mut Wasmi,
    calls: &mut usize,
) -> Result<(), Disagreement> {
    // wasmi reports a failing segment at instantiation as a table or memory error rather
    // than a trap code, so with wasmi only success is compared; spur's two configurations
    // must fail with the same message.
    agree(
        "instantiation",
        &[interp.inst.as_ref().err(), jit.inst.as_ref().err()],
    )?;
    agree(
        "instantiation succeeds",
        &[interp.inst.is_ok(), jit.inst.is_ok(), wasmi.inst.is_ok()],
    )?;
    if interp.inst.is_err() {
        return Ok(());
    }

    let exports = exported_funcs(&interp.module);
    let names = config_names();
    let sides: [&mut dyn Side; CONFIGS] = [interp, jit, wasmi];
    calls_agree(&names, 2, &exports, &mut { sides }, calls)
}

/// The names of `module`'s exported functions, in order.
fn exported_funcs(module: &spur::Module) -> Vec<String> {
    module
        .exports()
        .filter(|e| e.kind() == spur::ExternKind::Func)
        .map(|e| e.name().to_string())
        .collect()
}

/// Calls every export in two rounds on each of `sides` (named `names`), comparing
/// outcomes and then exported state after each call; the first `spur` sides are spur's.
fn calls_agree(
    names: &[String],
    spur: usize,
    exports: &[String],
    sides: &mut [&mut dyn Side],
    calls: &mut usize,
) -> Result<(), Disagreement> {
    for round in 0..2 {
        for name in exports {
            let mut seen = Vec::with_capacity(sides.len());
            for (who, side) in sides.iter_mut().enumerate() {
                let outcome = guard(|| {
                    side.refill()?;
                    side.call(name, round)
                });
                seen.push(outcome.map_err(|e| fails(who, format!("`{name}`: {e}")))?);
            }
            *calls += 1;
            if seen.contains(&Outcome::Exhausted) {
                // Depth limits differ between spur and the other engines, and so may the
                // state after them; spur's two configurations share theirs.
                return agree_among(names, &format!("`{name}`"), &seen[..spur]);
            }
            agree_among(names, &format!("`{name}`"), &seen)?;
            let mut states = Vec::with_capacity(sides.len());
            for (who, side) in sides.iter_mut().enumerate() {
                let state = guard(|| Ok(side.state()));
                states.push(state.map_err(|e| fails(who, format!("after `{name}`: {e}")))?);
            }
            agree_among(names, &format!("after `{name}`"), &states)?;
        }
    }
    Ok(())
}

/// Seeds at which wasmi 2.0.0 is wrong (spur's two configurations agree with each other
/// and, checked by hand on the reduced modules, with the specification; at every seed
/// Wasmtime 48 (Cranelift), given spur's module and the same calls, also gives spur's
/// results, which `wasmtime`'s test checks with `--features wasmtime`): there, a
/// disagreement of `wasmi` alone is counted apart and does not fail the test. None is in
/// the default range.
///
/// The first two reduce to one miscompilation: when an arm of an `if` with block
/// parameters branches out of the `if` from inside a nested block, the value under the
/// parameters comes out as 0 on the path taken. Minimal: with the parameter 7,
/// `(func (param i32) (result i32) (local.get 0) (f64.const 1) (local.get 0) (i32.eqz)
/// (if (param f64) (result f64) (then (block (result f32) (i32.const 9) (br 2)) (drop)))
/// (drop))` returns 0 on wasmi, 7 on spur.
pub const WASMI_BUGS: &[(u64, &str)] = &[
    (
        14821,
        "the value under an `if`'s parameters is lost (see above)",
    ),
    (
        15217,
        "the value under an `if`'s parameters is lost (see above)",
    ),
    (
        21434,
        "the value under an `if`'s parameters reads as the fuel",
    ),
    (23568, "an `if` left by `br_table` yields a wrong result"),
    (
        27441,
        "panics translating `i32.store8` (entered unreachable code)",
    ),
    // Outside the default range (found by the 100,000-seed run). Replacing the `else`
    // arm, never run (its condition is `memory.size`, at least 1), by a `drop` makes
    // wasmi agree: dead code cannot change what a function computes.
    (
        60487,
        "the value under an `if`'s parameters is lost (an `else` that is never run \
         branches out of the `if` from inside a loop)",
    ),
    // Export `4` leaves global `18` at 1781587387 on wasmi, at 2513314373 on spur and on
    // Wasmtime (its code branches back to a loop with a parameter from nested blocks);
    // replacing the `then` arm of its `if` makes wasmi agree.
    (
        73250,
        "a global comes out wrong after a loop with block parameters",
    ),
    // Every return of the function yields constants, (0, 0.0, null, null) or
    // (-4194304, 0x1.ffffcp-1056, null, null) as spur gives; wasmi returns 2619851570 as
    // both the i64 and the f64's bits.
    (
        73874,
        "a multi-value block's results come back as one stale register",
    ),
    // The `if` with a parameter in export `7` takes its `else` (its condition,
    // `table.size`, is 0); replacing the `then` arm, never run, by `drop` and a constant
    // makes wasmi agree.
    (
        92463,
        "the value under an `if`'s parameters is lost (a `then` that is never run \
         branches out of nested blocks)",
    ),
    // Found by a 20,000-seed run from 200,000; not reduced. After export `9`, global
    // `\u{8}` is 17592186044416 on spur (both tiers) and on Wasmtime, 17592186109952 on
    // wasmi.
    (208870, "an i64 global comes out with one stray bit set"),
    // After export `11`, global `14` is 17469691690153555886 on spur (both tiers) and on
    // Wasmtime, 17469691690153555882 on wasmi. Not reduced.
    (218491, "an i64 global comes out 4 lower"),
    // Found by a 10,000-seed run from 300,000; not reduced. Export `7` returns two f64
    // zeros on spur (both tiers) and on Wasmtime (`wasmtime::confirm`); wasmi's first is
    // 1841670331330232428 as bits.
    (305966, "an f64 result comes back as stray bits"),
    // Found by a 30,000-seed run from 7,300,000; not reduced. Each was confirmed with
    // `wasmtime::confirm` (spur's interpreter and Wasmtime agree on every call). After
    // export `4`, three globals differ on wasmi, and the module's own fuel global shows
    // that wasmi took 16 more steps: it ran another path.
    (
        7303175,
        "export `4` takes another path (the module's step count differs)",
    ),
    // Export `7` returns (f32 bits 1319098085, 0.0) on spur (both tiers) and on
    // Wasmtime, (f32 bits 11, 0.0) on wasmi.
    (7317011, "an f32 result comes back as stray bits"),
    // After export `4`, an i64 global is 0x3FA8000000000000 (0.046875 as f64 bits) on
    // spur (both tiers) and on Wasmtime, 0x7FF8000000000000 (a NaN) on wasmi.
    (7318835, "an i64 global comes out as a NaN's bits"),
];

/// What a run over many modules did, for the summary line.
#[derive(Default)]
pub struct Tally {
    /// Modules compared.
    pub modules: u64,
    /// Calls compared.
    pub calls: usize,
    /// What the JIT did, summed over the modules.
    pub jit: spur::JitStats,
    /// Disagreements, each naming its seed and configuration.
    pub failures: Vec<String>,
    /// Disagreements of wasmi alone at [`WASMI_BUGS`].
    pub wasmi_bugs: usize,
}

impl Tally {
    /// Compares the module of `seed`, if the generator made one, and counts the result.
    pub fn add(&mut self, seed: u64) {
        let Some(bytes) = module_for(seed) else {
            return;
        };
        self.modules += 1;
        match compare(&bytes) {
            Ok(r) => {
                self.calls += r.calls;
                let (sum, one) = (&mut self.jit, &r.jit);
                sum.traces += one.traces;
                sum.side_traces += one.side_traces;
                sum.entries += one.entries;
                sum.exits += one.exits;
                sum.links_loop += one.links_loop;
                sum.links_trace += one.links_trace;
                sum.links_body += one.links_body;
                sum.links_interp += one.links_interp;
                sum.blacklisted += one.blacklisted;
                sum.flushes += one.flushes;
                for &(why, n) in &one.aborts {
                    match sum.aborts.iter_mut().find(|a| a.0 == why) {
                        Some(a) => a.1 += n,
                        None => sum.aborts.push((why, n)),
                    }
                }
            }
            Err(e) if e.who == Some(2) && WASMI_BUGS.iter().any(|b| b.0 == seed) => {
                self.wasmi_bugs += 1
            }
            Err(e) => self.failures.push(format!("seed {seed}: {e}")),
        }
    }
}

impl std::fmt::Display for Tally {
    /// The summary line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let j = &self.jit;
        write!(
            f,
            "differential ({}): {} modules, {} calls, {} traces ({} side traces), {} entries, \
             {} exits, links: {} loop, {} trace ({} into loop bodies), {} interp; \
             {} aborted recordings; \
             {} disagreements",
            config_names().join(", "),
            self.modules,
            self.calls,
            j.traces,
            j.side_traces,
            j.entries,
            j.exits,
            j.links_loop,
            j.links_trace,
            j.links_body,
            j.links_interp,
            j.total_aborts(),
            self.failures.len()
        )?;
        if self.wasmi_bugs > 0 {
            write!(f, " (and {} known wasmi bugs)", self.wasmi_bugs)?;
        }
        Ok(())
    }
}

/// Runs `f` on a thread with a large stack: wasmi's interpreter takes native stack for
/// some instructions (`memory.grow`) until the call returns, more than a test thread has
/// when a loop runs one thousands of times.
pub fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn_scoped(s, f)
            .expect("cannot start a thread")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spur_interp_and_jit_agree_with_wasmi_on_random_modules() {
        let cases: u64 = std::env::var("SPUR_DIFF_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000);
        let first: u64 = std::env::var("SPUR_DIFF_FIRST")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let trace = std::env::var_os("SPUR_DIFF_TRACE").is_some();
        let tally = on_big_stack(|| {
            let mut tally = Tally::default();
            for seed in first..first + cases {
                if trace {
                    eprintln!("seed {seed}");
                }
                tally.add(seed);
            }
            tally
        });
        println!("{tally}");
        assert!(tally.failures.is_empty(), "{}", tally.failures.join("\n"));
        assert!(
            tally.modules > cases / 2,
            "generator produced only {} modules",
            tally.modules
        );
        assert!(
            tally.calls as u64 > tally.modules,
            "too few calls compared: {}",
            tally.calls
        );
        if cases >= 200 {
            // The JIT configuration must really have run traces, side traces among them.
            let j = &tally.jit;
            assert!(
                j.traces > 0 && j.side_traces > 0 && j.entries > 0 && j.links_trace > 0,
                "the JIT did too little: {tally}"
            );
        }
    }
}

#[cfg(test)]
mod dump {
    #[test]
    #[ignore = "debugging aid: writes the module of SPUR_DIFF_SEED to /tmp/diff.wasm"]
    fn write_module() {
        let seed: u64 = std::env::var("SPUR_DIFF_SEED").unwrap().parse().unwrap();
        std::fs::write("/tmp/diff.wasm", super::module_for(seed).unwrap()).unwrap();
    }
}

#[cfg(test)]
mod one {
    #[test]
    #[ignore = "debugging aid: compares the module of SPUR_DIFF_SEED"]
    fn compare_seed() {
        let seed: u64 = std::env::var("SPUR_DIFF_SEED").unwrap().parse().unwrap();
        let bytes = super::module_for(seed).unwrap();
        let report = super::on_big_stack(|| super::compare(&bytes))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        println!("{} calls; jit: {}", report.calls, report.jit);
    }
}

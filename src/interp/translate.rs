//! Translation: one validated function body -> slot bytecode ([`CompiledFunc`]).
//!
//! Runs lazily, at a function's first call, in a single linear pass over the operators.
//! The translator keeps a *virtual* operand stack: `local.get` and constants push no code,
//! only an [`Operand`] naming where the value already is; an instruction that consumes them
//! reads the local's slot directly or takes the constant as an immediate. A virtual operand
//! is materialized (copied into its own stack slot) only when it must be: before the local
//! it names is overwritten, at control-flow joins, and for call arguments. A producer
//! followed by `local.set` writes straight into the local, and a comparison followed by a
//! conditional branch becomes one fused compare-and-branch.
//!
//! Frame layout: `[params | locals | constants | operand stack]`. Large constants
//! (`f32`/`f64`, and `i64` outside the `i32` range) are collected before translation into
//! a per-function pool that is copied into the frame at entry, so an instruction reads them
//! like any other slot instead of first materializing them. Zero joins the pool where it
//! addresses memory, as compilers address static data (`i32.const 0` plus an offset).
//! Where the locals and the pool fit in a few slots, a call sets them up by copying an
//! image of those slots, of a fixed size, rather than zeroing and copying in loops.
//!
//! An `i32.add x, C` (C >= 0) that only computes the address of the following load or store
//! is folded into the access's offset. The folded access differs from the original only
//! when `x + C` wraps around 2^32, and then it is out of bounds, which compiled loops over
//! negative indices do on every access. An access with no offset of its own is then
//! exactly `(x + C) mod 2^32`: it is marked `wrap`, and when the plain sum is out of
//! bounds its handler hands it to its wrapping form (see `threaded`). Such an access takes
//! a negative C too, as `2^32 + C` (`sp[-1]` in a stack machine), and always runs in the
//! wrapping form. For the others, the trap path looks the instruction's C up in
//! `CompiledFunc::folded_adds` and retries with the wrapped address. Either way the
//! semantics are exact.
//!
//! A store of a constant takes the constant from the instruction (`I32StoreImm`,
//! `I64StoreImm`, `I32Store8Imm`, `I32Store16Imm`; see `store_imm`): it needs no `Const`
//! first. What counts is the bytes stored, so a float constant takes the integer form of
//! its width, and a 64-bit one must sign-extend from 32 bits.
//!
//! A `br_table` whose index is a just-computed `i32.add x, C` takes C as its `bias` and
//! adds it itself (a `switch` over cases that start at K compiles to such an add).
//!
//! The entries that follow a `br_table` are `Case`s, which carry the opcode of the
//! instruction they branch to and the address of its threaded function (set once the
//! code is final), so that the table's dispatch does not wait for that instruction to be
//! read.
//!
//! Pairs of instructions that compiled code runs back to back are fused into one
//! instruction in the first one's place (see `fuse_pairs`): a counted loop's step and test
//! (`I32AddImmBr*`), a step and the unconditional branch after it (`I32AddImmBr`), a step
//! and a copy of its result (`I32AddImmCopy`), two steps (`I32AddImm2`), a step and a
//! `global.set` of its result (`I32AddImmGlobalSet`, a stack pointer's, and with the
//! `global.get` before them, `GlobalAddImm`), a constant and the `br_if` after it
//! (`Const32BrIf*`), two copies (`Copy2`), a copy and the `br` after it (`CopyBr`), a bit
//! field's shift and mask (`I32ShrUAndImm`),
//! a shift by a constant and an add of the result (`I32ShlAdd*`, a scaled sum), an array
//! element's index shift and load (`*LoadIdx`), the `i32.add` of two slots and a load
//! from the sum (`*LoadSum`), a load and the store of its value, a copy in memory
//! (`LoadStore*`), and a load of a pointer and a load from it (`*LoadPtr`). The second
//! instruction stays behind the fused one, which skips it; a branch to it, or the JIT's
//! exit after a step, still runs it alone. Then a `br` to a short straight run that ends
//! in a branch becomes a copy of that run, followed, when that branch is conditional, by a
//! `br` to where it falls through (see `tails`). Before the pairs, a compiler's guarded
//! float-to-int conversion (a range test, an `if`, the truncation and a fallback
//! constant) becomes one instruction, `*Guarded` (see `fuse_guarded_truncs`).
//!
//! A `select` reads its three operands where they are and writes its own result slot
//! (`Select3`), which a `local.set` after it retargets; only where an operand lies past
//! slot 2^16 does it copy its first operand into the result slot first (`Select`). The
//! `local.set` of a local to zero in a function's first lines, before any label, emits
//! nothing while the local still holds the zero a call starts it with.
//!
//! Instructions for the engine's options, and only with them: `Loop` headers carry hot
//! counters (the JIT; a loop whose every iteration starts by calling its own function
//! loses its header, since no trace can record it), `Epoch` at loop headers and
//! `CallEpoch` / `CallIndirectEpoch` for calls (epoch interruption), `ProfEnter`,
//! `ProfLoop`, `ProfResume`, `ProfIndirect` (profiling), and `Fuel` (fuel metering) first
//! in each straight-line run of code: at function entry and after every label and
//! conditional branch, charging the costs of the run's operators (`fuel`) up front.
//!
//! Invariants the interpreter relies on:
//! - every slot operand is `< frame_size`; every branch lands inside `code`;
//! - an instruction reads all its operands before it writes its result;
//! - at a branch to a label, the label's values are in the label's slots
//!   (`locals + height ..`), which are the same for every branch to it.

use super::bytecode::{CounterRef, Instr, NextFn, NextOp, Off, Slot, Slot16, variants};
use super::layout::{Layout, Piece, relayout};
use super::liveness::Liveness;
use crate::error::Error;
use crate::module::ModuleInner;
use crate::runtime::store::CompiledRef;
use smallvec::SmallVec;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use wasmparser::{BinaryReader, BlockType, FunctionBody, Operator};

/// A translated function, shared by all instances of its module.
pub(crate) struct CompiledFunc {
    pub(crate) code: Box<[Instr]>,
    /// Byte offset in the module of the operator each instruction came from.
    pub(crate) offsets: Box<[u32]>,
    /// Module index of the function.
    pub(crate) func_index: u32,
    pub(crate) num_params: u32,
    /// Locals declared in the body (zeroed at entry), after the parameters.
    pub(crate) num_locals: u32,
    /// Constants copied into the frame after the locals at entry.
    pub(crate) consts: Box<[u64]>,
    /// The `C` of each load or store whose address `i32.add x, C` was folded into the
    /// offset, by instruction index, 0 elsewhere (see the module header); empty when the
    /// function folded none. (A folded `C` of 0 needs no retry: `x + 0` never wraps.)
    folded_adds: Box<[u32]>,
    /// `(instruction index, parameter count)` of every call, sorted by index: the call
    /// reads that many slots from its `args` (see `liveness`).
    pub(crate) call_params: Box<[(u32, u32)]>,
    /// Slots the frame needs: parameters, locals, constants and the deepest operand stack
    /// (at least `head_len` past the parameters).
    pub(crate) frame_size: u32,
    /// The first `head_len` slots after the parameters as a call sets them up, when the
    /// locals and the pool fit in `HEAD`: the zeroed locals, the pool, zeros for the
    /// operand stack. A call copies them in one go (see `exec::init_frame`).
    pub(crate) head: [u64; HEAD],
    /// How many slots of `head` a call copies: none (no locals, no pool), 4, 8 or `HEAD`;
    /// [`LARGE_FRAME`] when they do not fit.
    pub(crate) head_len: u8,
    /// Hot counters of the loop headers (`Instr::Loop { id }`), counting down.
    pub(crate) loop_counters: Box<[AtomicU32]>,
    /// Hot counter of the function's entry, counting calls down like a loop header's
    /// (see `hooks::ENTRY`): armed for functions that call themselves, `ILOOP` for the
    /// rest (and once blacklisted).
    pub(crate) entry_counter: AtomicU32,
    /// Byte offset in the module of each `call_indirect` site (profiling only).
    pub(crate) icall_sites: Box<[u32]>,
    /// The cost of the `Fuel` that starts the code, if one does (fuel metering): a call
    /// from WebAssembly charges it and starts after it, saving a dispatch per call.
    pub(crate) entry_fuel: u32,
    /// A call has work at the entry besides the frame: `entry_fuel` to charge, or (the
    /// JIT on) the entry counter to look at.
    pub(crate) entry_work: bool,
    /// Slot liveness, computed the first time the JIT asks (`None` inside: too large).
    liveness: OnceLock<Option<Liveness>>,
}

impl CompiledFunc {
    /// The `C` of the `i32.add x, C` folded into the offset of the access at `at`.
    pub(crate) fn folded_add(&self, at: usize) -> Option<u32> {
        self.folded_adds.get(at).copied().filter(|&c| c != 0)
    }

    /// How many parameters the call at instruction `at` reads from its `args`.
    pub(crate) fn call_params(&self, at: usize) -> Option<u32> {
        let k = self.call_params.binary_search_by_key(&(at as u32), |c| c.0);
        k.ok().map(|k| self.call_params[k].1)
    }

    /// Which slots are live where; `None` for a function too large to analyze.
    pub(crate) fn liveness(&self) -> Option<&Liveness> {
        self.liveness
            .get_or_init(|| Liveness::compute(self))
            .as_ref()
    }

    /// The index of the instruction at `pc`, a pointer into this function's code.
    pub(crate) fn index_of(&self, pc: *const Instr) -> usize {
        (pc as usize).wrapping_sub(self.code.as_ptr() as usize) / std::mem::size_of::<Instr>()
    }
}

/// Where an operand-stack value is.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Operand {
    /// In its own stack slot.
    Temp,
    /// Still in this local's slot (pushed by `local.get`).
    Local(u32),
    /// A constant, not yet in any slot.
    Const(u64),
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Block,
    Loop,
    If,
    Else,
}

struct Ctrl {
    kind: Kind,
    /// Operand-stack height below the block's parameters.
    height: usize,
    n_params: usize,
    n_results: usize,
    /// Loop: index of the first instruction of the loop (backward branch target).
    head: usize,
    /// Forward branches to patch when the end is reached.
    fixups: SmallVec<[usize; 4]>,
    /// If: the branch to the else arm (or to the end when there is no else).
    else_fixup: Option<usize>,
    /// If: the parameters, restored for the else arm.
    else_params: Vec<Operand>,
    /// The runs whose `Fuel` may also charge the code after this block's end: those of
    /// every unconditional edge to it so far, or `None` once any edge is conditional
    /// (fuel metering; see `Translator::end`).
    edge_runs: Option<Vec<usize>>,
}

impl Ctrl {
    /// How many values a branch to this label carries.
    fn label_arity(&self) -> usize {
        if self.kind == Kind::Loop {
            self.n_params
        } else {
            self.n_results
        }
    }
}

struct Translator<'m> {
    module: &'m ModuleInner,
    code: Vec<Instr>,
    offsets: Vec<u32>,
    stack: Vec<Operand>,
    ctrl: Vec<Ctrl>,
    /// Parameters plus declared locals.
    locals: u32,
    /// The constant pool and the slot of its first entry.
    consts: Vec<u64>,
    /// The first operand-stack slot (after locals and constants).
    base: u32,
    folded_adds: Vec<(u32, u32)>,
    call_params: Vec<(u32, u32)>,
    /// `(instruction index, result count)` of every call: the instruction after a call
    /// with one result may read it from the accumulator (see `use_accumulator`).
    call_results: Vec<(u32, u32)>,
    max_height: usize,
    /// The current code is unreachable; `dead_depth` counts blocks opened inside it.
    unreachable: bool,
    dead_depth: u32,
    /// Index of the last instruction when it is a single-result producer whose `dst` may be
    /// retargeted or which may be fused with a branch (no label bound since).
    producer: Option<usize>,
    /// The code index at which the last label was bound (a branch target).
    last_label: usize,
    /// The locals below 64 (bit `l` for local `l`, parameters excluded) that still hold the
    /// zero a call starts them with, on the one way from the entry to here: no label
    /// bound yet, no `local.set` of them yet. Setting one of them to zero again emits
    /// nothing (a compiler's initialization of a local, in a function's first lines).
    entry_zero: u64,
    offset: u32,
    num_loops: u32,
    jit: bool,
    /// The function's module index.
    func: u32,
    /// Epoch checks at loop headers and calls (`Config::epoch_interruption`).
    epochs: bool,
    /// Profiling instructions (`Config::collect_profile`).
    profile: bool,
    /// Fuel metering (`Config::consume_fuel`).
    fuel: bool,
    /// The `Fuel` instructions charging the current straight-line run (none before it
    /// starts; several after a join whose predecessors each charge it, see `end`).
    fuel_runs: Vec<usize>,
    /// Loop headers (code indices of their `Loop`) whose every iteration calls this
    /// function again: the JIT can never record them (see `self_call_in_loop`).
    unrecordable: Vec<usize>,
    /// The function calls itself directly (its entry gets a hot counter).
    self_calls: bool,
    /// Byte offsets of the `call_indirect` sites (profiling only).
    icall_sites: Vec<u32>,
}

/// The translations of one module's defined functions, each made at its first call
/// and shared by every instance of the module.
pub(crate) struct Code {
    funcs: Box<[CodeSlot]>,
}

/// A defined function's translation, made at its first call, and the two pointers a call
/// reads from it, published once it is made.
///
/// A call's callee starts at `entry`, one load from the call's function index: through
/// the translation it would be two, and every instruction of the callee waits for its
/// `ip`.
pub(crate) struct CodeSlot {
    made: OnceLock<Arc<CompiledFunc>>,
    /// The translation in `made`; null until it is made.
    func: AtomicPtr<CompiledFunc>,
    /// Its first instruction; null until it is made, and stored after `func`.
    entry: AtomicPtr<Instr>,
}

impl Code {
    /// No translations yet, for `module`'s functions.
    pub(crate) fn new(module: &ModuleInner) -> Code {
        let empty = || CodeSlot {
            made: OnceLock::new(),
            func: AtomicPtr::new(ptr::null_mut()),
            entry: AtomicPtr::new(ptr::null_mut()),
        };
        Code {
            funcs: module.bodies.iter().map(|_| empty()).collect(),
        }
    }

    /// The translation of defined function `index` (defined functions only: 0 is the
    /// first after the imports), if made.
    #[inline(always)]
    pub(crate) fn get(&self, index: usize) -> Option<&Arc<CompiledFunc>> {
        self.funcs.get(index)?.made.get()
    }

    /// The translations by defined function, as a pointer the dispatch loop keeps (see
    /// [`Code::at`]); valid as long as the module.
    pub(crate) fn table(&self) -> NonNull<CodeSlot> {
        NonNull::from(&*self.funcs).cast()
    }

    /// The translation of defined function `index` and its first instruction, if made,
    /// through a [`Code::table`] and without the bounds check (the dispatch loop's calls).
    ///
    /// # Safety
    /// `table` is a live module's; `index` is below its number of defined functions.
    #[inline(always)]
    pub(crate) unsafe fn at(table: NonNull<CodeSlot>, index: usize) -> Option<CompiledRef> {
        // SAFETY: guaranteed by the caller.
        let slot = unsafe { table.add(index).as_ref() };
        let entry = slot.entry.load(Ordering::Acquire);
        // (`func` was stored before `entry`, whose store released it.)
        (!entry.is_null()).then(|| CompiledRef {
            func: slot.func.load(Ordering::Relaxed),
            entry,
        })
    }

    /// The translation of defined function `func` (module index space), translating it
    /// (and validating its body, if that was left for its first use) on first use.
    pub(crate) fn compiled(
        &self,
        module: &ModuleInner,
        func: u32,
    ) -> Result<&Arc<CompiledFunc>, Error> {
        let slot = &self.funcs[(func - module.num_imported_funcs) as usize];
        if let Some(c) = slot.made.get() {
            return Ok(c);
        }
        module.body(func).validate(&module.bytes)?;
        let c = Arc::new(translate(module, func)?);
        let c = slot.made.get_or_init(|| c);
        // (Threads that race here store the same pointers.)
        slot.func
            .store(Arc::as_ptr(c).cast_mut(), Ordering::Relaxed);
        slot.entry
            .store(c.code.as_ptr().cast_mut(), Ordering::Release);
        Ok(c)
    }
}

/// Translates defined function `func` (module index space).
pub(crate) fn translate(module: &ModuleInner, func: u32) -> Result<CompiledFunc, Error> {
    let range = module.body(func).range.clone();
    let body = FunctionBody::new(BinaryReader::new(
        &module.bytes[range.clone()],
        range.start as u64,
    ));
    let ty = module.func_type(func);
    let num_params = ty.params().len() as u32;
    let mut num_locals: u32 = 0;
    for local in body.get_locals_reader().map_err(Error::compile)? {
        let (n, _) = local.map_err(Error::compile)?;
        num_locals = num_locals
            .checked_add(n)
            .ok_or_else(|| Error::compile("too many locals"))?;
    }
    let locals = num_params
        .checked_add(num_locals)
        .ok_or_else(|| Error::compile("too many locals"))?;
    let (hotloop, hotcall) = {
        let p = &module.engine.config().jit_params;
        (p.hotloop, p.hotcall)
    };
    let consts = collect_constants(&body)?;
    let base = locals
        .checked_add(consts.len() as u32)
        .ok_or_else(|| Error::compile("too many locals"))?;
    // Modules translate to one instruction per 3.8 to 7.6 bytes of code (startup.wasm: 5,
    // the Lua interpreter: 4.6): reserving one per 3 spares the code and its offsets
    // their regrowths.
    let expect = range.len() / 3 + 4;
    let mut t = Translator {
        module,
        code: Vec::with_capacity(expect),
        offsets: Vec::with_capacity(expect),
        stack: Vec::new(),
        ctrl: Vec::new(),
        locals,
        consts,
        base,
        folded_adds: Vec::new(),
        call_params: Vec::new(),
        call_results: Vec::new(),
        max_height: 0,
        unreachable: false,
        dead_depth: 0,
        producer: None,
        last_label: 0,
        entry_zero: low_bits(locals) & !low_bits(num_params),
        offset: range.start as u32,
        num_loops: 0,
        jit: module.engine.config().jit_enabled(),
        func,
        epochs: module.engine.config().epoch_interruption,
        profile: module.engine.config().profile,
        fuel: module.engine.config().consume_fuel,
        fuel_runs: Vec::new(),
        unrecordable: Vec::new(),
        self_calls: false,
        icall_sites: Vec::new(),
    };
    if t.profile {
        t.emit(Instr::ProfEnter { func });
    }
    t.ctrl.push(Ctrl {
        kind: Kind::Block,
        height: 0,
        n_params: 0,
        n_results: ty.results().len(),
        head: 0,
        fixups: SmallVec::new(),
        else_fixup: None,
        else_params: Vec::new(),
        edge_runs: Some(Vec::new()),
    });
    let ops = body.get_operators_reader().map_err(Error::compile)?;
    super::decode::feed(ops, &mut t)?;
    remove_unrecordable(&mut t);
    fuse_guarded_truncs(&mut t);
    fuse_pairs(&mut t);
    use_accumulator(&mut t.code, &t.call_results);
    super::tails::duplicate(t.layout());
    resolve_cases(&mut t.code);
    let mut frame_size = u64::from(t.base) + t.max_height as u64;
    let (head, head_len) = frame_head(num_locals, &t.consts);
    if head_len != LARGE_FRAME {
        frame_size = frame_size.max(u64::from(num_params) + u64::from(head_len));
    }
    if frame_size > u64::from(u32::MAX / 2) {
        return Err(Error::compile("function frame too large"));
    }
    let loop_counters: Box<[AtomicU32]> =
        (0..t.num_loops).map(|_| AtomicU32::new(hotloop)).collect();
    let mut code = t.code;
    let entry_fuel = match code.first() {
        Some(&Instr::Fuel { cost }) => cost,
        _ => 0,
    };
    for instr in &mut code {
        if let Instr::Loop { id, counter } = instr {
            *counter = CounterRef(&loop_counters[*id as usize]);
        }
    }
    let folded_adds = by_index(&t.folded_adds, code.len());
    Ok(CompiledFunc {
        code: code.into(),
        offsets: t.offsets.into(),
        func_index: func,
        num_params,
        num_locals,
        consts: t.consts.into(),
        folded_adds,
        call_params: t.call_params.into(),
        frame_size: frame_size as u32,
        head,
        head_len,
        loop_counters,
        entry_counter: AtomicU32::new(match t.jit && t.self_calls {
            true => hotcall,
            false => super::ILOOP,
        }),
        icall_sites: t.icall_sites.into(),
        entry_fuel,
        entry_work: entry_fuel != 0 || t.jit,
        liveness: OnceLock::new(),
    })
}

/// Binary operator constructors: register-register, and register-immediate if one exists.
type Rr = fn(Slot, Slot, Slot) -> Instr;
type Ri = fn(Slot, Slot, i32) -> Instr;

macro_rules! rr {
    ($v:ident) => {
        (|dst, a, b| Instr::$v { dst, a, b }) as Rr
    };
}
macro_rules! ri {
    ($v:ident) => {
        Some((|dst, a, imm| Instr::$v { dst, a, imm }) as Ri)
    };
}
macro_rules! un {
    ($t:ident, $v:ident) => {
        $t.unary(|dst, src| Instr::$v { dst, src })
    };
}

/// How an immediate form treats swapped operands (`c op x`).
#[derive(Clone, Copy)]
enum Swap {
    /// No immediate form for a constant left operand.
    No,
    /// Commutative: `c op x == x op c`.
    Same,
    /// `c op x == x op' c` with this immediate form.
    With(Ri),
}

/// The bytecode instruction that load or store variant `$v` makes (see [`Access`]), with
/// memarg `$m`: a load's fields are named as `Translator::load`'s operands, a store's as
/// `Translator::store`'s.
macro_rules! access {
    (load $v:ident, $m:expr) => {
        access!(@Load $v(dst, addr), $m)
    };
    (store $v:ident, $m:expr) => {
        access!(@Store $v(addr, val), $m)
    };
    (@$kind:ident $v:ident($a:ident, $b:ident), $m:expr) => {
        Some((
            Access::$kind(|$a, $b, offset, wrap| Instr::$v {
                $a,
                $b,
                offset,
                wrap,
            }),
            $m,
        ))
    };
}

/// A load or store operator as the translator takes it: the instruction it makes from
/// (destination or address, address or value, offset, wrap), by `Translator::load` or
/// `Translator::store`.
#[derive(Clone, Copy)]
enum Access {
    Load(fn(Slot, Slot, u32, bool) -> Instr),
    Store(fn(Slot, Slot, u32, bool) -> Instr),
}

/// The load or store that `op` is, with its `memarg`; `None` for any other operator.
fn access(op: &Operator<'_>) -> Option<(Access, wasmparser::MemArg)> {
    use Operator as O;
    match *op {
        O::I32Load { memarg } => access!(load I32Load, memarg),
        O::I64Load { memarg } => access!(load I64Load, memarg),
        O::F32Load { memarg } => access!(load F32Load, memarg),
        O::F64Load { memarg } => access!(load F64Load, memarg),
        O::I32Load8S { memarg } => access!(load I32Load8S, memarg),
        O::I32Load8U { memarg } => access!(load I32Load8U, memarg),
        O::I32Load16S { memarg } => access!(load I32Load16S, memarg),
        O::I32Load16U { memarg } => access!(load I32Load16U, memarg),
        O::I64Load8S { memarg } => access!(load I64Load8S, memarg),
        O::I64Load8U { memarg } => access!(load I64Load8U, memarg),
        O::I64Load16S { memarg } => access!(load I64Load16S, memarg),
        O::I64Load16U { memarg } => access!(load I64Load16U, memarg),
        O::I64Load32S { memarg } => access!(load I64Load32S, memarg),
        O::I64Load32U { memarg } => access!(load I64Load32U, memarg),
        O::I32Store { memarg } => access!(store I32Store, memarg),
        O::I64Store { memarg } => access!(store I64Store, memarg),
        O::F32Store { memarg } => access!(store F32Store, memarg),
        O::F64Store { memarg } => access!(store F64Store, memarg),
        O::I32Store8 { memarg } => access!(store I32Store8, memarg),
        O::I32Store16 { memarg } => access!(store I32Store16, memarg),
        O::I64Store8 { memarg } => access!(store I64Store8, memarg),
        O::I64Store16 { memarg } => access!(store I64Store16, memarg),
        O::I64Store32 { memarg } => access!(store I64Store32, memarg),
        _ => None,
    }
}

impl<'a> super::decode::Sink<'a> for Translator<'_> {
    fn op(&mut self, op: Operator<'a>, offset: u32) -> Result<(), Error> {
        self.offset = offset;
        self.op(op)
    }
}

impl Translator<'_> {
    // Out of line: the decoder calls it from one visit method per operator.
    #[inline(never)]
    fn op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        if self.unreachable {
            return self.dead_op(op);
        }
        if self.fuel {
            self.charge(super::fuel::cost(&op));
        }
        // One family after another, as the operators are grouped in the specification.
        let Some(op) = self.control(op)? else {
            return Ok(());
        };
        let Some(op) = self.memory(op)? else {
            return Ok(());
        };
        let Some(op) = self.table(op)? else {
            return Ok(());
        };
        let Some(op) = self.int32(op)? else {
            return Ok(());
        };
        let Some(op) = self.int64(op)? else {
            return Ok(());
        };
        let Some(op) = self.float(op)? else {
            return Ok(());
        };
        Err(Error::compile(format!(
            "unsupported operator at offset {:#x}: {op:?}",
            self.offset
        )))
    }

    /// Control flow, calls, parametric operators, locals and globals; `Some(op)` when `op`
    /// is of another family.
    fn control<'a>(&mut self, op: Operator<'a>) -> Result<Option<Operator<'a>>, Error> {
        use Operator as O;
        match op {
            O::Nop => {}
            O::Unreachable => {
                self.emit(Instr::Unreachable);
                self.set_unreachable();
            }
            O::Block { blockty } => {
                let (np, nr) = self.arity(blockty);
                self.materialize_locals();
                self.push_ctrl(Kind::Block, np, nr);
            }
            O::Loop { blockty } => {
                let (np, nr) = self.arity(blockty);
                self.materialize_locals();
                self.materialize_top(np);
                self.push_ctrl(Kind::Loop, np, nr);
                self.bind_label();
                if self.jit {
                    let id = self.num_loops;
                    self.num_loops += 1;
                    self.emit(Instr::Loop {
                        id,
                        counter: CounterRef(std::ptr::null()),
                    });
                }
                if self.profile {
                    self.emit(Instr::ProfLoop { func: self.func });
                }
                if self.epochs {
                    self.emit(Instr::Epoch);
                }
            }
            O::If { blockty } => {
                let (np, nr) = self.arity(blockty);
                // Both arms must see the parameters in their slots, so they are
                // materialized before the branch (below the condition on top).
                let below = self.stack.len() - 1;
                for pos in 0..below {
                    if pos >= below - np || matches!(self.stack[pos], Operand::Local(_)) {
                        self.materialize(pos);
                    }
                }
                let branch = self.cond_branch(true);
                self.push_ctrl(Kind::If, np, nr);
                let c = self.ctrl.last_mut().expect("just pushed");
                c.else_fixup = Some(branch);
                c.else_params = self.stack[self.stack.len() - np..].to_vec();
            }
            O::Else => self.else_()?,
            O::End => self.end(),
            O::Br { relative_depth } => {
                self.branch(relative_depth as usize);
                self.set_unreachable();
            }
            O::BrIf { relative_depth } => self.br_if(relative_depth as usize),
            O::BrTable { targets } => {
                let mut depths = Vec::with_capacity(targets.len() as usize + 1);
                for t in targets.targets() {
                    depths.push(t.map_err(Error::compile)? as usize);
                }
                depths.push(targets.default() as usize);
                self.br_table(&depths);
            }
            O::Return => {
                self.emit_return();
                self.set_unreachable();
            }
            O::Call { function_index } => self.call(function_index),
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let index = self.pop_slot();
                let ty = &self.module.types[type_index as usize];
                let (np, nr) = (ty.params().len(), ty.results().len());
                let args = self.args(np);
                if self.profile {
                    let site = self.icall_sites.len() as u32;
                    self.icall_sites.push(self.offset);
                    self.emit(Instr::ProfIndirect {
                        index,
                        table: table_index as u16,
                        site,
                    });
                }
                let (ty, table) = (
                    self.module.type_ids[type_index as usize].0,
                    table_index as u16,
                );
                self.note_call(np, nr);
                self.emit(if self.epochs {
                    Instr::CallIndirectEpoch {
                        index,
                        args,
                        ty,
                        table,
                    }
                } else {
                    Instr::CallIndirect {
                        index,
                        args,
                        ty,
                        table,
                    }
                });
                self.resume_after_call();
                self.push_temps(nr);
            }
            O::Drop => {
                self.stack.pop();
            }
            O::Select | O::TypedSelect { .. } | O::TypedSelectMulti { .. } => {
                let c = self.pop_slot();
                let b = self.pop_slot();
                let a = self.pop_slot();
                if let (Some(a), Some(b), Some(c)) = (narrow(a), narrow(b), narrow(c)) {
                    self.result(|dst| Instr::Select3 { dst, a, b, c });
                } else {
                    let dst = self.push_temp();
                    if a != dst {
                        self.emit(Instr::Copy { dst, src: a });
                    }
                    self.emit(Instr::Select { dst, b, c });
                }
            }
            O::LocalGet { local_index } => self.push(Operand::Local(local_index)),
            O::LocalSet { local_index } => {
                self.local_set(local_index);
            }
            O::LocalTee { local_index } => {
                let v = self.local_set(local_index);
                self.push(v);
            }
            O::GlobalGet { global_index } => self.result(|dst| Instr::GlobalGet {
                dst,
                global: global_index,
            }),
            O::GlobalSet { global_index } => {
                let src = self.pop_slot();
                self.emit(Instr::GlobalSet {
                    src,
                    global: global_index,
                });
            }
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Loads, stores and the memory operators; `Some(op)` when `op` is of another family.
    fn memory<'a>(&mut self, op: Operator<'a>) -> Result<Option<Operator<'a>>, Error> {
        use Operator as O;
        if let Some((kind, memarg)) = access(&op) {
            match kind {
                Access::Load(make) => self.load(memarg, make),
                Access::Store(make) => self.store(memarg, make),
            }
            return Ok(None);
        }
        match op {
            O::MemorySize { .. } => self.result(|dst| Instr::MemorySize { dst }),
            O::MemoryGrow { .. } => {
                let delta = self.pop_slot();
                self.result(|dst| Instr::MemoryGrow { dst, delta });
            }
            O::MemoryFill { .. } => {
                let args = self.args(3);
                self.emit(Instr::MemoryFill { args });
            }
            O::MemoryCopy { .. } => {
                let args = self.args(3);
                self.emit(Instr::MemoryCopy { args });
            }
            O::MemoryInit { data_index, .. } => {
                let args = self.args(3);
                self.emit(Instr::MemoryInit {
                    seg: data_index,
                    args,
                });
            }
            O::DataDrop { data_index } => {
                self.emit(Instr::DataDrop { seg: data_index });
            }
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Table and reference operators; `Some(op)` when `op` is of another family.
    fn table<'a>(&mut self, op: Operator<'a>) -> Result<Option<Operator<'a>>, Error> {
        use Operator as O;
        match op {
            O::TableGet { table } => {
                let index = self.pop_slot();
                self.result(|dst| Instr::TableGet { dst, table, index });
            }
            O::TableSet { table } => {
                let val = self.pop_slot();
                let index = self.pop_slot();
                self.emit(Instr::TableSet { table, index, val });
            }
            O::TableSize { table } => self.result(|dst| Instr::TableSize { dst, table }),
            O::TableGrow { table } => {
                let args = self.args(2);
                self.emit(Instr::TableGrow { table, args });
                self.push_temps(1);
            }
            O::TableFill { table } => {
                let args = self.args(3);
                self.emit(Instr::TableFill { table, args });
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let args = self.args(3);
                self.emit(Instr::TableCopy {
                    dst_table,
                    src_table,
                    args,
                });
            }
            O::TableInit { elem_index, table } => {
                let args = self.args(3);
                self.emit(Instr::TableInit {
                    table,
                    seg: elem_index,
                    args,
                });
            }
            O::ElemDrop { elem_index } => {
                self.emit(Instr::ElemDrop { seg: elem_index });
            }
            O::RefNull { .. } => self.push(Operand::Const(0)),
            O::RefIsNull => un!(self, RefIsNull),
            O::RefFunc { function_index } => self.result(|dst| Instr::RefFunc {
                dst,
                func: function_index,
            }),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// The i32 constant and operators; `Some(op)` when `op` is of another family.
    fn int32<'a>(&mut self, op: Operator<'a>) -> Result<Option<Operator<'a>>, Error> {
        use Operator as O;
        match op {
            O::I32Const { value } => self.push(Operand::Const(u64::from(value as u32))),
            O::I32Add => self.binary(rr!(I32Add), ri!(I32AddImm), Swap::Same, false),
            O::I32Sub => self.sub(false),
            O::I32Mul => self.binary(rr!(I32Mul), ri!(I32MulImm), Swap::Same, false),
            O::I32DivS => self.binary(rr!(I32DivS), None, Swap::No, false),
            O::I32DivU => self.binary(rr!(I32DivU), None, Swap::No, false),
            O::I32RemS => self.binary(rr!(I32RemS), None, Swap::No, false),
            O::I32RemU => self.binary(rr!(I32RemU), None, Swap::No, false),
            O::I32And => self.binary(rr!(I32And), ri!(I32AndImm), Swap::Same, false),
            O::I32Or => self.binary(rr!(I32Or), ri!(I32OrImm), Swap::Same, false),
            O::I32Xor => self.binary(rr!(I32Xor), ri!(I32XorImm), Swap::Same, false),
            O::I32Shl => self.binary(rr!(I32Shl), ri!(I32ShlImm), Swap::No, false),
            O::I32ShrS => self.binary(rr!(I32ShrS), ri!(I32ShrSImm), Swap::No, false),
            O::I32ShrU => self.binary(rr!(I32ShrU), ri!(I32ShrUImm), Swap::No, false),
            O::I32Rotl => self.binary(rr!(I32Rotl), ri!(I32RotlImm), Swap::No, false),
            O::I32Rotr => self.rotr_imm(false),
            O::I32Eq => self.binary(rr!(I32Eq), ri!(I32EqImm), Swap::Same, false),
            O::I32Ne => self.binary(rr!(I32Ne), ri!(I32NeImm), Swap::Same, false),
            O::I32LtS => self.binary(
                rr!(I32LtS),
                ri!(I32LtSImm),
                Swap::With(ri!(I32GtSImm).unwrap()),
                false,
            ),
            O::I32LtU => self.binary(
                rr!(I32LtU),
                ri!(I32LtUImm),
                Swap::With(ri!(I32GtUImm).unwrap()),
                false,
            ),
            O::I32GtS => self.binary(
                rr!(I32GtS),
                ri!(I32GtSImm),
                Swap::With(ri!(I32LtSImm).unwrap()),
                false,
            ),
            O::I32GtU => self.binary(
                rr!(I32GtU),
                ri!(I32GtUImm),
                Swap::With(ri!(I32LtUImm).unwrap()),
                false,
            ),
            O::I32LeS => self.binary(
                rr!(I32LeS),
                ri!(I32LeSImm),
                Swap::With(ri!(I32GeSImm).unwrap()),
                false,
            ),
            O::I32LeU => self.binary(
                rr!(I32LeU),
                ri!(I32LeUImm),
                Swap::With(ri!(I32GeUImm).unwrap()),
                false,
            ),
            O::I32GeS => self.binary(
                rr!(I32GeS),
                ri!(I32GeSImm),
                Swap::With(ri!(I32LeSImm).unwrap()),
                false,
            ),
            O::I32GeU => self.binary(
                rr!(I32GeU),
                ri!(I32GeUImm),
                Swap::With(ri!(I32LeUImm).unwrap()),
                false,
            ),
            O::I32Clz => un!(self, I32Clz),
            O::I32Ctz => un!(self, I32Ctz),
            O::I32Popcnt => un!(self, I32Popcnt),
            O::I32Eqz => self.eqz(false),
            O::I32Extend8S => un!(self, I32Extend8S),
            O::I32Extend16S => un!(self, I32Extend16S),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// The i64 constant and operators; `Some(op)` when `op` is of another family.
    fn int64<'a>(&mut self, op: Operator<'a>) -> Result<Option<Operator<'a>>, Error> {
        use Operator as O;
        match op {
            O::I64Const { value } => self.push(Operand::Const(value as u64)),
            O::I64Add => self.binary(rr!(I64Add), ri!(I64AddImm), Swap::Same, true),
            O::I64Sub => self.sub(true),
            O::I64Mul => self.binary(rr!(I64Mul), ri!(I64MulImm), Swap::Same, true),
            O::I64DivS => self.binary(rr!(I64DivS), None, Swap::No, true),
            O::I64DivU => self.binary(rr!(I64DivU), None, Swap::No, true),
            O::I64RemS => self.binary(rr!(I64RemS), None, Swap::No, true),
            O::I64RemU => self.binary(rr!(I64RemU), None, Swap::No, true),
            O::I64And => self.binary(rr!(I64And), ri!(I64AndImm), Swap::Same, true),
            O::I64Or => self.binary(rr!(I64Or), ri!(I64OrImm), Swap::Same, true),
            O::I64Xor => self.binary(rr!(I64Xor), ri!(I64XorImm), Swap::Same, true),
            O::I64Shl => self.binary(rr!(I64Shl), ri!(I64ShlImm), Swap::No, true),
            O::I64ShrS => self.binary(rr!(I64ShrS), ri!(I64ShrSImm), Swap::No, true),
            O::I64ShrU => self.binary(rr!(I64ShrU), ri!(I64ShrUImm), Swap::No, true),
            O::I64Rotl => self.binary(rr!(I64Rotl), ri!(I64RotlImm), Swap::No, true),
            O::I64Rotr => self.rotr_imm(true),
            O::I64Eq => self.binary(rr!(I64Eq), ri!(I64EqImm), Swap::Same, true),
            O::I64Ne => self.binary(rr!(I64Ne), ri!(I64NeImm), Swap::Same, true),
            O::I64LtS => self.binary(
                rr!(I64LtS),
                ri!(I64LtSImm),
                Swap::With(ri!(I64GtSImm).unwrap()),
                true,
            ),
            O::I64LtU => self.binary(
                rr!(I64LtU),
                ri!(I64LtUImm),
                Swap::With(ri!(I64GtUImm).unwrap()),
                true,
            ),
            O::I64GtS => self.binary(
                rr!(I64GtS),
                ri!(I64GtSImm),
                Swap::With(ri!(I64LtSImm).unwrap()),
                true,
            ),
            O::I64GtU => self.binary(
                rr!(I64GtU),
                ri!(I64GtUImm),
                Swap::With(ri!(I64LtUImm).unwrap()),
                true,
            ),
            O::I64LeS => self.binary(
                rr!(I64LeS),
                ri!(I64LeSImm),
                Swap::With(ri!(I64GeSImm).unwrap()),
                true,
            ),
            O::I64LeU => self.binary(
                rr!(I64LeU),
                ri!(I64LeUImm),
                Swap::With(ri!(I64GeUImm).unwrap()),
                true,
            ),
            O::I64GeS => self.binary(
                rr!(I64GeS),
                ri!(I64GeSImm),
                Swap::With(ri!(I64LeSImm).unwrap()),
                true,
            ),
            O::I64GeU => self.binary(
                rr!(I64GeU),
                ri!(I64GeUImm),
                Swap::With(ri!(I64LeUImm).unwrap()),
                true,
            ),
            O::I64Clz => un!(self, I64Clz),
            O::I64Ctz => un!(self, I64Ctz),
            O::I64Popcnt => un!(self, I64Popcnt),
            O::I64Eqz => self.eqz(true),
            O::I64Extend8S => un!(self, I64Extend8S),
            O::I64Extend16S => un!(self, I64Extend16S),
            O::I64Extend32S => un!(self, I64Extend32S),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// The float constants and operators, and the conversions; `Some(op)` when `op` is
    /// of another family.
    fn float<'a>(&mut self, op: Operator<'a>) -> Result<Option<Operator<'a>>, Error> {
        use Operator as O;
        match op {
            O::F32Const { value } => self.push(Operand::Const(u64::from(value.bits()))),
            O::F64Const { value } => self.push(Operand::Const(value.bits())),
            O::F32Add => self.binary(rr!(F32Add), None, Swap::No, false),
            O::F32Sub => self.binary(rr!(F32Sub), None, Swap::No, false),
            O::F32Mul => self.binary(rr!(F32Mul), None, Swap::No, false),
            O::F32Div => self.binary(rr!(F32Div), None, Swap::No, false),
            O::F32Min => self.binary(rr!(F32Min), None, Swap::No, false),
            O::F32Max => self.binary(rr!(F32Max), None, Swap::No, false),
            O::F32Copysign => self.binary(rr!(F32Copysign), None, Swap::No, false),
            O::F32Eq => self.binary(rr!(F32Eq), None, Swap::No, false),
            O::F32Ne => self.binary(rr!(F32Ne), None, Swap::No, false),
            O::F32Lt => self.binary(rr!(F32Lt), None, Swap::No, false),
            O::F32Gt => self.binary(rr!(F32Gt), None, Swap::No, false),
            O::F32Le => self.binary(rr!(F32Le), None, Swap::No, false),
            O::F32Ge => self.binary(rr!(F32Ge), None, Swap::No, false),
            O::F32Abs => un!(self, F32Abs),
            O::F32Neg => un!(self, F32Neg),
            O::F32Ceil => un!(self, F32Ceil),
            O::F32Floor => un!(self, F32Floor),
            O::F32Trunc => un!(self, F32Trunc),
            O::F32Nearest => un!(self, F32Nearest),
            O::F32Sqrt => un!(self, F32Sqrt),
            O::F64Add => self.binary(rr!(F64Add), None, Swap::No, false),
            O::F64Sub => self.binary(rr!(F64Sub), None, Swap::No, false),
            O::F64Mul => self.binary(rr!(F64Mul), None, Swap::No, false),
            O::F64Div => self.binary(rr!(F64Div), None, Swap::No, false),
            O::F64Min => self.binary(rr!(F64Min), None, Swap::No, false),
            O::F64Max => self.binary(rr!(F64Max), None, Swap::No, false),
            O::F64Copysign => self.binary(rr!(F64Copysign), None, Swap::No, false),
            O::F64Eq => self.binary(rr!(F64Eq), None, Swap::No, false),
            O::F64Ne => self.binary(rr!(F64Ne), None, Swap::No, false),
            O::F64Lt => self.binary(rr!(F64Lt), None, Swap::No, false),
            O::F64Gt => self.binary(rr!(F64Gt), None, Swap::No, false),
            O::F64Le => self.binary(rr!(F64Le), None, Swap::No, false),
            O::F64Ge => self.binary(rr!(F64Ge), None, Swap::No, false),
            O::F64Abs => un!(self, F64Abs),
            O::F64Neg => un!(self, F64Neg),
            O::F64Ceil => un!(self, F64Ceil),
            O::F64Floor => un!(self, F64Floor),
            O::F64Trunc => un!(self, F64Trunc),
            O::F64Nearest => un!(self, F64Nearest),
            O::F64Sqrt => un!(self, F64Sqrt),

            O::I32WrapI64 => un!(self, I32WrapI64),
            O::I64ExtendI32S => un!(self, I64ExtendI32S),
            O::I64ExtendI32U => un!(self, I64ExtendI32U),
            O::I32TruncF32S => un!(self, I32TruncF32S),
            O::I32TruncF32U => un!(self, I32TruncF32U),
            O::I32TruncF64S => un!(self, I32TruncF64S),
            O::I32TruncF64U => un!(self, I32TruncF64U),
            O::I64TruncF32S => un!(self, I64TruncF32S),
            O::I64TruncF32U => un!(self, I64TruncF32U),
            O::I64TruncF64S => un!(self, I64TruncF64S),
            O::I64TruncF64U => un!(self, I64TruncF64U),
            O::I32TruncSatF32S => un!(self, I32TruncSatF32S),
            O::I32TruncSatF32U => un!(self, I32TruncSatF32U),
            O::I32TruncSatF64S => un!(self, I32TruncSatF64S),
            O::I32TruncSatF64U => un!(self, I32TruncSatF64U),
            O::I64TruncSatF32S => un!(self, I64TruncSatF32S),
            O::I64TruncSatF32U => un!(self, I64TruncSatF32U),
            O::I64TruncSatF64S => un!(self, I64TruncSatF64S),
            O::I64TruncSatF64U => un!(self, I64TruncSatF64U),
            O::F32ConvertI32S => un!(self, F32ConvertI32S),
            O::F32ConvertI32U => un!(self, F32ConvertI32U),
            O::F32ConvertI64S => un!(self, F32ConvertI64S),
            O::F32ConvertI64U => un!(self, F32ConvertI64U),
            O::F64ConvertI32S => un!(self, F64ConvertI32S),
            O::F64ConvertI32U => un!(self, F64ConvertI32U),
            O::F64ConvertI64S => un!(self, F64ConvertI64S),
            O::F64ConvertI64U => un!(self, F64ConvertI64U),
            O::F32DemoteF64 => un!(self, F32DemoteF64),
            O::F64PromoteF32 => un!(self, F64PromoteF32),
            // Slots hold floats as their bits, so reinterpretation moves nothing.
            O::I32ReinterpretF32
            | O::I64ReinterpretF64
            | O::F32ReinterpretI32
            | O::F64ReinterpretI64 => {}
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Operators in unreachable code: only the block structure matters.
    fn dead_op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.dead_depth += 1
            }
            Operator::Else if self.dead_depth == 0 => self.else_()?,
            Operator::End if self.dead_depth == 0 => self.end(),
            Operator::End => self.dead_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    // ---- emission ----

    fn emit(&mut self, instr: Instr) -> usize {
        self.code.push(instr);
        self.offsets.push(self.offset);
        self.producer = None;
        self.code.len() - 1
    }

    /// Adds `cost` to the `Fuel` instructions of the current straight-line run, which
    /// starts here if none has yet: before the code of the operator that costs it.
    fn charge(&mut self, cost: u32) {
        if cost == 0 {
            return;
        }
        if self.fuel_runs.is_empty() {
            let at = self.emit(Instr::Fuel { cost: 0 });
            self.fuel_runs.push(at);
        }
        for &at in &self.fuel_runs {
            if let Instr::Fuel { cost: c } = &mut self.code[at] {
                *c = c.saturating_add(cost);
            }
        }
    }

    /// Notes an edge to the label of block `idx`: unconditional edges from runs that
    /// started (`Some`) let the code after the label be charged by those runs (see
    /// `end`); any other edge (`None`) does not.
    fn edge(&mut self, idx: usize, unconditional: bool) {
        let runs = (unconditional && !self.fuel_runs.is_empty()).then(|| self.fuel_runs.clone());
        let c = &mut self.ctrl[idx];
        match (&mut c.edge_runs, runs) {
            (Some(all), Some(runs)) => all.extend(runs),
            (all, _) => *all = None,
        }
    }

    /// Emits a single-result producer writing a new temporary.
    fn result(&mut self, make: impl FnOnce(Slot) -> Instr) {
        let dst = self.push_temp();
        let at = self.emit(make(dst));
        self.producer = Some(at);
    }

    /// Marks the current position as a branch target: nothing before it may be fused.
    /// Also ends the straight-line run: code after a label may be reached without what
    /// came before it, so it pays for itself.
    fn bind_label(&mut self) {
        self.producer = None;
        self.entry_zero = 0;
        self.last_label = self.code.len();
        self.fuel_runs.clear();
    }

    fn set_unreachable(&mut self) {
        self.unreachable = true;
        self.fuel_runs.clear();
        let height = self.ctrl.last().map_or(0, |c| c.height);
        self.stack.truncate(height);
    }

    fn patch_to_here(&mut self, at: usize) {
        let here = self.code.len();
        let off = self.code[at]
            .branch_offset_mut()
            .expect("patching a branch");
        *off = (here - at) as Off;
    }

    // ---- the virtual operand stack ----

    fn slot_at(&self, pos: usize) -> Slot {
        Slot(self.base + pos as u32)
    }

    /// The frame slot holding a pooled constant.
    /// The bits of the pooled constant in slot `s`, if it holds one.
    fn pooled(&self, s: Slot) -> Option<u64> {
        let i = s.0.checked_sub(self.locals)?;
        self.consts.get(i as usize).copied()
    }

    fn const_slot(&self, bits: u64) -> Option<Slot> {
        let i = self.consts.iter().position(|&c| c == bits)?;
        Some(Slot(self.locals + i as u32))
    }

    fn push(&mut self, op: Operand) {
        self.stack.push(op);
        self.max_height = self.max_height.max(self.stack.len());
    }

    fn push_temp(&mut self) -> Slot {
        self.push(Operand::Temp);
        self.slot_at(self.stack.len() - 1)
    }

    fn push_temps(&mut self, n: usize) {
        for _ in 0..n {
            self.push(Operand::Temp);
        }
    }

    fn emit_const(&mut self, dst: Slot, bits: u64) {
        match u32::try_from(bits) {
            Ok(val) => self.emit(Instr::Const32 { dst, val }),
            Err(_) => self.emit(Instr::Const64 { dst, val: bits }),
        };
    }

    /// Copies operand `op` into slot `dst` unless it is already there.
    fn emit_move(&mut self, dst: Slot, op: Operand, pos: usize) {
        match op {
            Operand::Temp if self.slot_at(pos) == dst => {}
            Operand::Temp => {
                let src = self.slot_at(pos);
                self.emit(Instr::Copy { dst, src });
            }
            Operand::Local(l) if Slot(l) == dst => {}
            Operand::Local(l) => {
                self.emit(Instr::Copy { dst, src: Slot(l) });
            }
            Operand::Const(bits) => {
                match self.const_slot(bits).filter(|_| bits > u64::from(u32::MAX)) {
                    Some(src) => {
                        self.emit(Instr::Copy { dst, src });
                    }
                    None => self.emit_const(dst, bits),
                }
            }
        }
    }

    /// Puts the operand at `pos` into its own slot.
    fn materialize(&mut self, pos: usize) {
        let op = self.stack[pos];
        if op != Operand::Temp {
            self.emit_move(self.slot_at(pos), op, pos);
            self.stack[pos] = Operand::Temp;
        }
    }

    fn materialize_top(&mut self, n: usize) {
        let len = self.stack.len();
        for pos in len - n..len {
            self.materialize(pos);
        }
    }

    /// Materializes every operand that still names a local (before a control construct,
    /// so that no local read is deferred across a join).
    fn materialize_locals(&mut self) {
        for pos in 0..self.stack.len() {
            if let Operand::Local(_) = self.stack[pos] {
                self.materialize(pos);
            }
        }
    }

    /// Pops an operand and returns a slot holding it (materializing a constant in place).
    fn pop_slot(&mut self) -> Slot {
        let pos = self.stack.len() - 1;
        let op = self.stack.pop().expect("validated stack");
        match op {
            Operand::Temp => self.slot_at(pos),
            Operand::Local(l) => Slot(l),
            Operand::Const(bits) => {
                if let Some(slot) = self.const_slot(bits) {
                    return slot;
                }
                let dst = self.slot_at(pos);
                self.emit_const(dst, bits);
                dst
            }
        }
    }

    /// Materializes the top `n` operands, pops them, and returns the first one's slot.
    fn args(&mut self, n: usize) -> Slot {
        self.materialize_top(n);
        let first = self.stack.len() - n;
        self.stack.truncate(first);
        self.slot_at(first)
    }

    fn arity(&self, ty: BlockType) -> (usize, usize) {
        match ty {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(i) => {
                let ty = &self.module.types[i as usize];
                (ty.params().len(), ty.results().len())
            }
        }
    }

    // ---- locals ----

    /// `local.set`: returns the operand a `local.tee` leaves behind.
    fn local_set(&mut self, local: u32) -> Operand {
        let pos = self.stack.len() - 1;
        let v = self.stack.pop().expect("validated stack");
        if v == Operand::Local(local) {
            return v;
        }
        let bit = 1u64.checked_shl(local).unwrap_or(0);
        if self.entry_zero & bit != 0 && v == Operand::Const(0) {
            return v;
        }
        self.entry_zero &= !bit;
        let pending_reads = self.stack.contains(&Operand::Local(local));
        if pending_reads {
            for p in 0..self.stack.len() {
                if self.stack[p] == Operand::Local(local) {
                    self.materialize(p);
                }
            }
        }
        let dst = Slot(local);
        match (v, self.producer) {
            (Operand::Temp, Some(at)) if at + 1 == self.code.len() => {
                let src = self.slot_at(pos);
                match self.code[at].dst_mut() {
                    Some(d) if *d == src => {
                        *d = dst;
                        self.producer = None;
                    }
                    _ => self.emit_move(dst, v, pos),
                }
            }
            _ => self.emit_move(dst, v, pos),
        }
        match v {
            Operand::Const(_) => v,
            _ => Operand::Local(local),
        }
    }

    // ---- arithmetic ----

    fn unary(&mut self, make: impl FnOnce(Slot, Slot) -> Instr) {
        let src = self.pop_slot();
        self.result(|dst| make(dst, src));
    }

    /// The constant at stack position `pos` as a sign-extended 32-bit immediate, if it fits.
    fn imm_at(&self, pos: usize, wide: bool) -> Option<i32> {
        match self.stack[pos] {
            Operand::Const(bits) if wide => i32::try_from(bits as i64).ok(),
            Operand::Const(bits) => Some(bits as u32 as i32),
            _ => None,
        }
    }

    fn binary(&mut self, rr: Rr, ri: Option<Ri>, swap: Swap, wide: bool) {
        let len = self.stack.len();
        if let Some(ri) = ri {
            if let Some(imm) = self.imm_at(len - 1, wide) {
                self.stack.pop();
                let a = self.pop_slot();
                return self.result(|dst| ri(dst, a, imm));
            }
            let swapped = match swap {
                Swap::No => None,
                Swap::Same => Some(ri),
                Swap::With(f) => Some(f),
            };
            if let (Some(f), Some(imm)) = (swapped, self.imm_at(len - 2, wide)) {
                let b = self.pop_slot();
                self.stack.pop();
                return self.result(|dst| f(dst, b, imm));
            }
        }
        let b = self.pop_slot();
        let a = self.pop_slot();
        self.result(|dst| rr(dst, a, b));
    }

    fn sub(&mut self, wide: bool) {
        let len = self.stack.len();
        let neg = self.imm_at(len - 1, wide).and_then(|c| c.checked_neg());
        if let Some(imm) = neg {
            self.stack.pop();
            let a = self.pop_slot();
            if wide {
                return self.result(|dst| Instr::I64AddImm { dst, a, imm });
            }
            return self.result(|dst| Instr::I32AddImm { dst, a, imm });
        }
        if let Some(imm) = self.imm_at(len - 2, wide) {
            let b = self.pop_slot();
            self.stack.pop();
            if wide {
                return self.result(|dst| Instr::I64SubImmRev { dst, a: b, imm });
            }
            return self.result(|dst| Instr::I32SubImmRev { dst, a: b, imm });
        }
        if wide {
            self.binary(rr!(I64Sub), None, Swap::No, true)
        } else {
            self.binary(rr!(I32Sub), None, Swap::No, false)
        }
    }

    /// `rotr x, c` is `rotl x, -c`.
    fn rotr_imm(&mut self, wide: bool) {
        let len = self.stack.len();
        if let Some(c) = self.imm_at(len - 1, wide) {
            self.stack.pop();
            let a = self.pop_slot();
            let imm = c.wrapping_neg();
            if wide {
                return self.result(|dst| Instr::I64RotlImm { dst, a, imm });
            }
            return self.result(|dst| Instr::I32RotlImm { dst, a, imm });
        }
        if wide {
            self.binary(rr!(I64Rotr), None, Swap::No, true)
        } else {
            self.binary(rr!(I32Rotr), None, Swap::No, false)
        }
    }

    /// `eqz`, inverting a just-computed integer comparison instead when there is one.
    fn eqz(&mut self, wide: bool) {
        if let Some(at) = self.fusable_top()
            && let Some(neg) = negate_cmp(self.code[at])
        {
            self.code[at] = neg;
            return;
        }
        if wide {
            un!(self, I64Eqz)
        } else {
            un!(self, I32Eqz)
        }
    }

    /// The index of the instruction that produced the top operand, if it is the last one
    /// emitted and no label was bound since.
    fn fusable_top(&self) -> Option<usize> {
        let at = self.producer?;
        let pos = self.stack.len().checked_sub(1)?;
        (at + 1 == self.code.len() && self.stack[pos] == Operand::Temp && {
            let mut instr = self.code[at];
            instr.dst_mut().copied() == Some(self.slot_at(pos))
        })
        .then_some(at)
    }

    // ---- memory ----

    fn load(&mut self, memarg: wasmparser::MemArg, make: fn(Slot, Slot, u32, bool) -> Instr) {
        let pos = self.stack.len() - 1;
        let (addr, offset, folded) = self.address(pos, memarg.offset as u32);
        self.stack.pop();
        let at = self.code.len();
        let wrap = wraps(folded, memarg.offset);
        self.result(|dst| make(dst, addr, offset, wrap));
        self.note_fold(at, folded);
    }

    fn store(&mut self, memarg: wasmparser::MemArg, make: fn(Slot, Slot, u32, bool) -> Instr) {
        let pos = self.stack.len() - 2;
        let (addr, offset, folded) = self.address(pos, memarg.offset as u32);
        let wrap = wraps(folded, memarg.offset);
        // (`store_imm` reads only the store's kind and address from `make`'s instruction.)
        let imm = match self.stack[pos + 1] {
            Operand::Const(bits) => store_imm(make(addr, addr, offset, wrap), bits),
            _ => None,
        };
        let instr = match imm {
            Some(instr) => {
                self.stack.pop();
                instr
            }
            None => {
                let val = self.pop_slot();
                make(addr, val, offset, wrap)
            }
        };
        self.stack.pop();
        let at = self.emit(instr);
        self.note_fold(at, folded);
    }

    /// A `br_table`'s index, popped: its slot, and the constant to add to it. A just-emitted
    /// `i32.add x, C` that only computes the index (a `switch` over cases that start at C's
    /// negation) goes into the `br_table` itself, which then adds C to `x`, wrapping.
    fn table_index(&mut self) -> (Slot, i32) {
        let pos = self.stack.len() - 1;
        if let Some((a, imm)) = self.pending_add_imm(pos) {
            self.unemit();
            self.stack.pop();
            return (a, imm);
        }
        (self.pop_slot(), 0)
    }

    /// `(x, C)` of the `i32.add x, C` just emitted, if the operand at `pos` is its result
    /// (which nothing has read yet): its consumer may fold the add into itself.
    fn pending_add_imm(&self, pos: usize) -> Option<(Slot, i32)> {
        let at = self.producer?;
        if at + 1 != self.code.len() || self.stack[pos] != Operand::Temp {
            return None;
        }
        match self.code[at] {
            Instr::I32AddImm { dst, a, imm } if dst == self.slot_at(pos) => Some((a, imm)),
            _ => None,
        }
    }

    /// Drops the instruction just emitted (an add its consumer folded into itself).
    fn unemit(&mut self) {
        self.code.pop();
        self.offsets.pop();
        self.producer = None;
    }

    /// The address slot and offset of an access whose address operand is at `pos`:
    /// folds a just-emitted `i32.add x, C` into the offset when nothing else reads its
    /// result (and everything above it in the stack needs no code to read), and C is not
    /// negative or the access has no offset of its own (then its address is exactly
    /// `(x + C) mod 2^32`: a `wrap` access). Returns the folded `C`, if any.
    fn address(&mut self, pos: usize, offset: u32) -> (Slot, u32, Option<u32>) {
        let above_free = self.stack[pos + 1..].iter().all(|op| *op != Operand::Temp);
        if above_free
            && let Some((a, imm)) = self.pending_add_imm(pos)
            && (imm >= 0 || offset == 0)
            && let Some(sum) = (imm as u32).checked_add(offset)
        {
            self.unemit();
            return (a, sum, Some(imm as u32));
        }
        let op = self.stack[pos];
        let slot = match op {
            Operand::Temp => self.slot_at(pos),
            Operand::Local(l) => Slot(l),
            Operand::Const(bits) => match self.const_slot(bits) {
                Some(slot) => slot,
                None => {
                    let dst = self.slot_at(pos);
                    self.emit_const(dst, bits);
                    self.stack[pos] = Operand::Temp;
                    dst
                }
            },
        };
        (slot, offset, None)
    }

    /// The call about to be emitted reads `np` parameters.
    fn note_call(&mut self, np: usize, nr: usize) {
        let at = self.code.len() as u32;
        self.call_params.push((at, np as u32));
        self.call_results.push((at, nr as u32));
    }

    fn note_fold(&mut self, at: usize, folded: Option<u32>) {
        if let Some(c) = folded {
            self.folded_adds.push((at as u32, c));
        }
    }

    // ---- calls ----

    fn call(&mut self, func: u32) {
        if func == self.func {
            self.self_calls = true;
            self.self_call_in_loop();
        }
        let ty = self.module.func_type(func);
        let (np, nr) = (ty.params().len(), ty.results().len());
        let args = self.args(np);
        self.note_call(np, nr);
        let imported = self.module.num_imported_funcs;
        if func < imported {
            self.emit(Instr::CallImport { func, args });
        } else {
            let func = func - imported;
            self.emit(if self.epochs {
                Instr::CallEpoch { func, args }
            } else {
                Instr::Call { func, args }
            });
        }
        self.resume_after_call();
        self.push_temps(nr);
    }

    /// At a call of this function by itself: if it sits in the innermost loop's body
    /// with no branch or label between the loop header and it, every iteration makes it,
    /// so every recording of the loop would abort at the recursive call. The loop's
    /// header then loses its hot counter (its `Loop` instruction is removed after
    /// translation), and the loop runs exactly as with the JIT off.
    fn self_call_in_loop(&mut self) {
        let Some(c) = self.ctrl.iter().rev().find(|c| c.kind == Kind::Loop) else {
            return;
        };
        let head = c.head;
        let straight = matches!(self.code.get(head), Some(Instr::Loop { .. }))
            && self.last_label == head
            && self.code[head + 1..].iter().all(|i| {
                let mut i = *i;
                i.branch_offset_mut().is_none()
                    && !matches!(i, Instr::BrTable { .. } | Instr::Unreachable)
                    && !i.returns()
            });
        if straight {
            self.unrecordable.push(head);
        }
    }

    /// Profiling: notes that the call just emitted returned.
    fn resume_after_call(&mut self) {
        if self.profile {
            self.emit(Instr::ProfResume { func: self.func });
        }
    }

    // ---- control ----

    fn push_ctrl(&mut self, kind: Kind, n_params: usize, n_results: usize) {
        self.ctrl.push(Ctrl {
            kind,
            height: self.stack.len() - n_params,
            n_params,
            n_results,
            head: self.code.len(),
            fixups: SmallVec::new(),
            else_fixup: None,
            else_params: Vec::new(),
            edge_runs: Some(Vec::new()),
        });
    }

    fn else_(&mut self) -> Result<(), Error> {
        let reachable = !self.unreachable;
        let c = self.ctrl.last().expect("validated nesting");
        let (height, n_results) = (c.height, c.n_results);
        if reachable {
            self.move_top_to(n_results, height);
            let at = self.emit(Instr::Br { off: 0 });
            self.edge(self.ctrl.len() - 1, true);
            self.ctrl
                .last_mut()
                .expect("validated nesting")
                .fixups
                .push(at);
        }
        let c = self.ctrl.last_mut().expect("validated nesting");
        let branch = c.else_fixup.take().expect("else follows if");
        let params = std::mem::take(&mut c.else_params);
        c.kind = Kind::Else;
        self.patch_to_here(branch);
        self.bind_label();
        self.stack.truncate(height);
        for p in params {
            self.push(p);
        }
        self.unreachable = false;
        self.dead_depth = 0;
        Ok(())
    }

    fn end(&mut self) {
        let reachable = !self.unreachable;
        if self.ctrl.len() == 1 {
            // The function body: falling off the end returns.
            if reachable {
                self.emit_return();
            }
            self.ctrl.pop();
            self.unreachable = true;
            return;
        }
        let c = self.ctrl.pop().expect("validated nesting");
        if c.kind == Kind::Loop {
            if !reachable {
                self.stack.truncate(c.height);
                self.push_temps(c.n_results);
            }
            return;
        }
        if reachable {
            self.move_top_to(c.n_results, c.height);
        }
        let mut joins = !c.fixups.is_empty();
        if let Some(branch) = c.else_fixup {
            self.patch_to_here(branch);
            joins = true;
        }
        for at in c.fixups {
            self.patch_to_here(at);
        }
        let run = std::mem::take(&mut self.fuel_runs);
        let mut edges = c.edge_runs;
        if reachable {
            // Falling into the label is an unconditional edge too.
            match (&mut edges, run.is_empty()) {
                (Some(all), false) => all.extend(&run),
                (all, _) => *all = None,
            }
        }
        self.bind_label();
        if !joins {
            // Nothing branches here: the run goes on.
            self.fuel_runs = run;
        } else if let Some(mut runs) = edges.filter(|_| c.else_fixup.is_none()) {
            // Every way here ends a run that started and jumps or falls here: each of
            // those runs pays for the code after the label, which needs no `Fuel`.
            runs.sort_unstable();
            runs.dedup();
            self.fuel_runs = runs;
        }
        self.stack.truncate(c.height);
        self.push_temps(c.n_results);
        self.unreachable = !(reachable || joins);
        self.dead_depth = 0;
    }

    /// Copies the top `n` operands into the label slots starting at stack height `height`.
    /// Ascending order is safe: sources sit at or above their targets, or in locals.
    fn copy_top_to(&mut self, n: usize, height: usize) {
        let len = self.stack.len();
        for i in 0..n {
            let pos = len - n + i;
            let dst = self.slot_at(height + i);
            self.emit_move(dst, self.stack[pos], pos);
        }
    }

    /// Like `copy_top_to`, then records that the values now sit in those slots.
    fn move_top_to(&mut self, n: usize, height: usize) {
        self.copy_top_to(n, height);
        let len = self.stack.len();
        self.stack.truncate(len - n);
        self.stack.truncate(height);
        self.push_temps(n);
    }

    fn needs_copies(&self, n: usize, height: usize) -> bool {
        let len = self.stack.len();
        (0..n).any(|i| {
            let pos = len - n + i;
            !(self.stack[pos] == Operand::Temp && pos == height + i)
        })
    }

    fn emit_return(&mut self) {
        let n = self.ctrl[0].n_results;
        let len = self.stack.len();
        match n {
            0 => {
                self.emit(Instr::Return);
            }
            1 => match self.stack[len - 1] {
                Operand::Temp => {
                    let src = self.slot_at(len - 1);
                    self.emit(Instr::ReturnSlot { src });
                }
                Operand::Local(l) => {
                    self.emit(Instr::ReturnSlot { src: Slot(l) });
                }
                Operand::Const(bits) => {
                    self.emit(Instr::ReturnImm { bits });
                }
            },
            _ => {
                // Materialize without changing the operand stack (the return may be
                // conditional): write each value into its own slot.
                for pos in len - n..len {
                    let op = self.stack[pos];
                    self.emit_move(self.slot_at(pos), op, pos);
                }
                let src = self.slot_at(len - n);
                self.emit(Instr::ReturnMany { src, n: n as u32 });
            }
        }
    }

    /// An unconditional branch to the label `depth` levels out, with its values.
    fn branch(&mut self, depth: usize) {
        let idx = self.ctrl.len() - 1 - depth;
        if idx == 0 {
            return self.emit_return();
        }
        let (kind, height, n, head) = {
            let c = &self.ctrl[idx];
            (c.kind, c.height, c.label_arity(), c.head)
        };
        self.copy_top_to(n, height);
        if kind == Kind::Loop {
            let at = self.code.len();
            self.emit(Instr::Br {
                off: head as Off - at as Off,
            });
        } else {
            let at = self.emit(Instr::Br { off: 0 });
            self.edge(idx, true);
            self.ctrl[idx].fixups.push(at);
        }
    }

    fn br_if(&mut self, depth: usize) {
        let idx = self.ctrl.len() - 1 - depth;
        let (kind, height, n, head) = {
            let c = &self.ctrl[idx];
            (c.kind, c.height, c.label_arity(), c.head)
        };
        let direct = idx != 0 && {
            // The condition is popped first; the label values are below it.
            let top = self.stack.len() - 1;
            (0..n).all(|i| {
                let pos = top - n + i;
                self.stack[pos] == Operand::Temp && pos == height + i
            })
        };
        if direct {
            let at = self.cond_branch(false);
            if kind == Kind::Loop {
                let off = self.code[at].branch_offset_mut().expect("branch");
                *off = head as Off - at as Off;
            } else {
                self.edge(idx, false);
                self.ctrl[idx].fixups.push(at);
            }
        } else {
            let skip = self.cond_branch(true);
            self.branch(depth);
            self.patch_to_here(skip);
            self.bind_label();
        }
    }

    /// Pops the condition and emits a conditional branch (offset to be patched) taken when
    /// the condition is nonzero, or zero if `negate`. Fuses a just-computed comparison.
    /// The straight-line run ends: the code after it may be skipped.
    fn cond_branch(&mut self, negate: bool) -> usize {
        self.fuel_runs.clear();
        if let Some(at) = self.fusable_top() {
            let instr = self.code[at];
            let fused = if negate {
                negate_cmp(instr)
                    .and_then(fuse_branch)
                    .or_else(|| fuse_negated_float(instr))
                    .or_else(|| fuse_bit_test(instr, true))
            } else {
                fuse_branch(instr).or_else(|| fuse_bit_test(instr, false))
            };
            if let Some(fused) = fused {
                self.stack.pop();
                self.code[at] = fused;
                self.producer = None;
                return self.fuse_bit_test_before(at);
            }
        }
        let c = self.pop_slot();
        if negate {
            self.emit(Instr::BrIfEqz { c, off: 0 })
        } else {
            self.emit(Instr::BrIfNez { c, off: 0 })
        }
    }

    /// `i32.and` then `i32.eqz` then a branch: the branch (at `at`, on the `eqz`'s operand)
    /// and the `and` before it become one bit-test branch, when the `and` only fed the
    /// `eqz` (its result is a temporary) and no label lies between them.
    fn fuse_bit_test_before(&mut self, at: usize) -> usize {
        let (c, on_zero) = match self.code[at] {
            Instr::BrIfEqz { c, .. } => (c, true),
            Instr::BrIfNez { c, .. } => (c, false),
            _ => return at,
        };
        if at == 0 || self.last_label == at || c.0 < self.base {
            return at;
        }
        let mut prev = self.code[at - 1];
        if prev.dst_mut().copied() != Some(c) {
            return at;
        }
        match fuse_bit_test(prev, on_zero) {
            Some(fused) => {
                self.code.pop();
                self.offsets.pop();
                self.code[at - 1] = fused;
                at - 1
            }
            None => at,
        }
    }

    fn br_table(&mut self, depths: &[usize]) {
        let (index, bias) = self.table_index();
        let len = depths.len() as u32 - 1;
        self.emit(Instr::BrTable { index, len, bias });
        // Every target is reached conditionally.
        self.fuel_runs.clear();
        let entries: Vec<usize> = depths
            .iter()
            .map(|_| {
                self.emit(Instr::Case {
                    off: 0,
                    op: NextOp::default(),
                    to: NextFn::default(),
                })
            })
            .collect();
        for (&entry, &depth) in entries.iter().zip(depths) {
            let idx = self.ctrl.len() - 1 - depth;
            let (kind, height, n, head) = {
                let c = &self.ctrl[idx];
                (c.kind, c.height, c.label_arity(), c.head)
            };
            if idx == 0 || self.needs_copies(n, height) {
                // A stub after the table moves the values, then branches.
                self.patch_to_here(entry);
                self.branch(depth);
            } else if kind == Kind::Loop {
                let off = self.code[entry].branch_offset_mut().expect("branch");
                *off = head as Off - entry as Off;
            } else {
                self.edge(idx, false);
                self.ctrl[idx].fixups.push(entry);
            }
        }
        self.set_unreachable();
    }
}

/// The comparison with the opposite outcome, for integer comparisons (float comparisons
/// have none: `!(a < b)` is not `a >= b` when a NaN is involved).
fn negate_cmp(instr: Instr) -> Option<Instr> {
    use Instr::*;
    macro_rules! neg {
        ($($a:ident <=> $b:ident),* ; $($ai:ident <=> $bi:ident),*) => {
            match instr {
                $( $a { dst, a, b } => Some($b { dst, a, b }), $b { dst, a, b } => Some($a { dst, a, b }), )*
                $( $ai { dst, a, imm } => Some($bi { dst, a, imm }), $bi { dst, a, imm } => Some($ai { dst, a, imm }), )*
                I32Eqz { dst, src } => Some(I32NeImm { dst, a: src, imm: 0 }),
                I64Eqz { dst, src } => Some(I64NeImm { dst, a: src, imm: 0 }),
                _ => None,
            }
        };
    }
    neg!(
        I32Eq <=> I32Ne, I32LtS <=> I32GeS, I32LtU <=> I32GeU, I32GtS <=> I32LeS, I32GtU <=> I32LeU,
        I64Eq <=> I64Ne, I64LtS <=> I64GeS, I64LtU <=> I64GeU, I64GtS <=> I64LeS, I64GtU <=> I64LeU;
        I32EqImm <=> I32NeImm, I32LtSImm <=> I32GeSImm, I32LtUImm <=> I32GeUImm,
        I32GtSImm <=> I32LeSImm, I32GtUImm <=> I32LeUImm,
        I64EqImm <=> I64NeImm, I64LtSImm <=> I64GeSImm, I64LtUImm <=> I64GeUImm,
        I64GtSImm <=> I64LeSImm, I64GtUImm <=> I64LeUImm
    )
}

/// The fused compare-and-branch for a comparison producer (branch offset 0, to patch);
/// also accepts the negated float forms `negate_cmp` cannot express as values.
fn fuse_branch(instr: Instr) -> Option<Instr> {
    use Instr::*;
    macro_rules! fuse {
        ($($c:ident => $br:ident),* ; $($ci:ident => $bri:ident),*) => {
            match instr {
                $( $c { a, b, .. } => Some($br { a, b, off: 0 }), )*
                $( $ci { a, imm, .. } => Some($bri { a, imm, off: 0 }), )*
                I32Eqz { src, .. } => Some(BrIfEqz { c: src, off: 0 }),
                I64Eqz { src, .. } => Some(BrI64Eqz { c: src, off: 0 }),
                _ => None,
            }
        };
    }
    fuse!(
        I32Eq => BrI32Eq, I32Ne => BrI32Ne, I32LtS => BrI32LtS, I32LtU => BrI32LtU,
        I32LeS => BrI32LeS, I32LeU => BrI32LeU, I32GtS => BrI32GtS, I32GtU => BrI32GtU,
        I32GeS => BrI32GeS, I32GeU => BrI32GeU,
        I64Eq => BrI64Eq, I64Ne => BrI64Ne, I64LtS => BrI64LtS, I64LtU => BrI64LtU,
        I64LeS => BrI64LeS, I64LeU => BrI64LeU, I64GtS => BrI64GtS, I64GtU => BrI64GtU,
        I64GeS => BrI64GeS, I64GeU => BrI64GeU,
        F32Eq => BrF32Eq, F32Ne => BrF32Ne, F32Lt => BrF32Lt, F32Gt => BrF32Gt,
        F32Le => BrF32Le, F32Ge => BrF32Ge,
        F64Eq => BrF64Eq, F64Ne => BrF64Ne, F64Lt => BrF64Lt, F64Gt => BrF64Gt,
        F64Le => BrF64Le, F64Ge => BrF64Ge;
        I32EqImm => BrI32EqImm, I32NeImm => BrI32NeImm, I32LtSImm => BrI32LtSImm,
        I32LtUImm => BrI32LtUImm, I32LeSImm => BrI32LeSImm, I32LeUImm => BrI32LeUImm,
        I32GtSImm => BrI32GtSImm, I32GtUImm => BrI32GtUImm, I32GeSImm => BrI32GeSImm,
        I32GeUImm => BrI32GeUImm,
        I64EqImm => BrI64EqImm, I64NeImm => BrI64NeImm, I64LtSImm => BrI64LtSImm,
        I64LtUImm => BrI64LtUImm, I64LeSImm => BrI64LeSImm, I64LeUImm => BrI64LeUImm,
        I64GtSImm => BrI64GtSImm, I64GtUImm => BrI64GtUImm, I64GeSImm => BrI64GeSImm,
        I64GeUImm => BrI64GeUImm
    )
}

/// A bit test `a & b` (or `a & imm`) fused with the branch: taken when the result is
/// zero if `on_zero`, else when it is nonzero.
fn fuse_bit_test(instr: Instr, on_zero: bool) -> Option<Instr> {
    use Instr::*;
    Some(match (instr, on_zero) {
        (I32And { a, b, .. }, false) => BrI32AndNez { a, b, off: 0 },
        (I32And { a, b, .. }, true) => BrI32AndEqz { a, b, off: 0 },
        (I32AndImm { a, imm, .. }, false) => BrI32AndImmNez { a, imm, off: 0 },
        (I32AndImm { a, imm, .. }, true) => BrI32AndImmEqz { a, imm, off: 0 },
        _ => return None,
    })
}

/// The branch taken when a float comparison is *false* (NaN makes that differ from the
/// opposite comparison).
fn fuse_negated_float(instr: Instr) -> Option<Instr> {
    use Instr::*;
    Some(match instr {
        F32Eq { a, b, .. } => BrF32Ne { a, b, off: 0 },
        F32Ne { a, b, .. } => BrF32Eq { a, b, off: 0 },
        F32Lt { a, b, .. } => BrF32NotLt { a, b, off: 0 },
        F32Gt { a, b, .. } => BrF32NotGt { a, b, off: 0 },
        F32Le { a, b, .. } => BrF32NotLe { a, b, off: 0 },
        F32Ge { a, b, .. } => BrF32NotGe { a, b, off: 0 },
        F64Eq { a, b, .. } => BrF64Ne { a, b, off: 0 },
        F64Ne { a, b, .. } => BrF64Eq { a, b, off: 0 },
        F64Lt { a, b, .. } => BrF64NotLt { a, b, off: 0 },
        F64Gt { a, b, .. } => BrF64NotGt { a, b, off: 0 },
        F64Le { a, b, .. } => BrF64NotLe { a, b, off: 0 },
        F64Ge { a, b, .. } => BrF64NotGe { a, b, off: 0 },
        _ => return None,
    })
}

/// The most slots of a frame that a call sets up by copying an image of them
/// (`CompiledFunc::head`).
pub(crate) const HEAD: usize = 16;

/// The `head_len` of a frame whose locals and pool do not fit in `HEAD` slots.
pub(crate) const LARGE_FRAME: u8 = u8::MAX;

/// The image of a frame's first `HEAD` slots after its parameters, and how many of them
/// a call copies (see `CompiledFunc::head_len`).
fn frame_head(num_locals: u32, consts: &[u64]) -> ([u64; HEAD], u8) {
    let used = num_locals as usize + consts.len();
    let mut head = [0; HEAD];
    let len = match used {
        0 => 0,
        1..=4 => 4,
        5..=8 => 8,
        9..=HEAD => HEAD as u8,
        _ => return (head, LARGE_FRAME),
    };
    head[num_locals as usize..used].copy_from_slice(consts);
    (head, len)
}

/// Pools the constants that no immediate form can hold: `f32`, `f64`, and `i64` outside
/// the `i32` range (at most `MAX_POOL`, first come). Zero joins them in a function that
/// has `i32.const 0` and accesses memory: compilers address static data as `i32.const
/// 0` plus the access's offset, and a pooled zero makes such an access one instruction.
fn collect_constants(body: &FunctionBody<'_>) -> Result<Vec<u64>, Error> {
    let mut pool = Pool::default();
    let ops = body.get_operators_reader().map_err(Error::compile)?;
    super::decode::feed(ops, &mut pool)?;
    let Pool {
        mut consts,
        zero,
        memory,
    } = pool;
    if zero && memory && consts.len() < MAX_POOL && !consts.contains(&0) {
        consts.push(0);
    }
    Ok(consts)
}

/// The most constants a function pools.
const MAX_POOL: usize = 64;

/// What [`collect_constants`] has seen so far.
#[derive(Default)]
struct Pool {
    consts: Vec<u64>,
    /// An `i32.const 0`.
    zero: bool,
    /// A load or store.
    memory: bool,
}

impl<'a> super::decode::Sink<'a> for Pool {
    #[inline(always)]
    fn op(&mut self, op: Operator<'a>, _offset: u32) -> Result<(), Error> {
        let bits = match op {
            Operator::F32Const { value } => u64::from(value.bits()),
            Operator::F64Const { value } => value.bits(),
            Operator::I64Const { value } if i32::try_from(value).is_err() => value as u64,
            Operator::I32Const { value: 0 } => {
                self.zero = true;
                return Ok(());
            }
            op => {
                self.memory |= access(&op).is_some();
                return Ok(());
            }
        };
        if !self.consts.contains(&bits) {
            self.consts.push(bits);
        }
        Ok(())
    }

    fn more(&self) -> bool {
        self.consts.len() < MAX_POOL
    }
}

/// Removes the `Loop` headers whose counters are useless (`unrecordable`); every branch
/// keeps its target instruction (a branch to a removed header lands on the instruction
/// that follows it).
fn remove_unrecordable(t: &mut Translator<'_>) {
    if t.unrecordable.is_empty() {
        return;
    }
    let mut pieces: Vec<_> = (0..t.code.len()).map(Piece::kept).collect();
    for &at in &t.unrecordable {
        pieces[at].run = None;
    }
    t.unrecordable.clear();
    relayout(t.layout(), &pieces);
}

impl Translator<'_> {
    /// The code and its per-position tables, for `layout`'s passes.
    fn layout(&mut self) -> Layout<'_> {
        Layout {
            code: &mut self.code,
            offsets: &mut self.offsets,
            tables: [
                &mut self.folded_adds,
                &mut self.call_params,
                &mut self.call_results,
            ],
        }
    }
}

/// `(index, value)` pairs as a table by index of `len` entries, 0 where none is given
/// (empty when none is).
fn by_index(pairs: &[(u32, u32)], len: usize) -> Box<[u32]> {
    if pairs.is_empty() {
        return Box::default();
    }
    let mut table = vec![0; len];
    for &(at, v) in pairs {
        table[at as usize] = v;
    }
    table.into()
}

/// The guarded conversion pass. Without the non-trapping conversions, LLVM compiles a C
/// cast from a float to an integer as a range test and an `if`: the truncation when the
/// test passes, else a constant (`ops::guarded_in_range`). That is six instructions:
/// - the test: for a signed target, `abs` and `lt` against the bound, then a `BrIfEqz`
///   to the fallback (or the `lt` and the branch as one `BrF*NotLt`, five in all); for
///   an unsigned one, `lt` against the bound and `ge` against zero, in either order, then
///   a bit-test branch on both (`BrI32AndEqz`);
/// - the truncation, a `Br` past the fallback, and the fallback constant set into the
///   truncation's result.
///
/// The first becomes one instruction (`*Guarded`) that computes the result and jumps past
/// the fallback; the others stay as they were, run only by a branch to them or a trace's
/// exit. The tests' results must be operand-stack slots (nothing reads them after), the
/// bound and zero pooled constants, the result another slot than the operand. Not with
/// fuel metering, whose charges the arms' code carries.
fn fuse_guarded_truncs(t: &mut Translator<'_>) {
    if t.fuel {
        return;
    }
    for p in 0..t.code.len().saturating_sub(5) {
        if let Some(fused) = guarded_trunc(t, p) {
            t.code[p] = fused;
        }
    }
}

/// The fused form of the instructions at `p`, if they are a guarded conversion (see
/// `fuse_guarded_truncs`), its range test in three instructions or in two.
fn guarded_trunc(t: &Translator<'_>, p: usize) -> Option<Instr> {
    guarded_at(t, p, 3).or_else(|| guarded_at(t, p, 2))
}

/// The fused form of a guarded conversion at `p` whose truncation is at `p + n`.
fn guarded_at(t: &Translator<'_>, p: usize, n: usize) -> Option<Instr> {
    use Instr as I;
    let &[trunc, skip, fallback] = t.code.get(p + n..p + n + 3)? else {
        return None;
    };
    let fused = trunc.guarded_form(n as Off + 3)?;
    let (dst, src, kind) = fused.guarded_trunc()?;
    let (f32_, to64, unsigned) = (kind.from_f32, kind.to64, kind.unsigned);
    let hi = crate::ops::guarded_bound_bits(f32_, to64, unsigned);
    let fell_back = crate::ops::guarded_fallback_bits(to64, unsigned);
    let temp = |s: Slot| s.0 >= t.base;
    let is = |s: Slot, bits: u64| t.pooled(s) == Some(bits);
    let lt = |i: Instr| match (i, f32_) {
        (I::F32Lt { dst, a, b }, true) | (I::F64Lt { dst, a, b }, false) => Some((dst, a, b)),
        _ => None,
    };
    let ge = |i: Instr| match (i, f32_) {
        (I::F32Ge { dst, a, b }, true) | (I::F64Ge { dst, a, b }, false) => Some((dst, a, b)),
        _ => None,
    };
    let abs = |i: Instr| match (i, f32_) {
        (I::F32Abs { dst, src: x }, true) | (I::F64Abs { dst, src: x }, false) => {
            Some(dst).filter(|&d| x == src && temp(d))
        }
        _ => None,
    };
    let tested = match (unsigned, &t.code[p..p + n]) {
        (false, &[test0, test1, br]) => {
            let (t1, (t2, a, b)) = (abs(test0)?, lt(test1)?);
            br == (I::BrIfEqz { c: t2, off: 3 }) && a == t1 && temp(t2) && is(b, hi)
        }
        (false, &[test0, br]) => {
            let t1 = abs(test0)?;
            let ((I::BrF32NotLt { a, b, off: 3 }, true) | (I::BrF64NotLt { a, b, off: 3 }, false)) =
                (br, f32_)
            else {
                return None;
            };
            a == t1 && is(b, hi)
        }
        (true, &[test0, test1, br]) => {
            let ((t1, a1, b1), (t2, a2, b2)) = match (lt(test0), ge(test1)) {
                (Some(l), Some(g)) => (l, g),
                _ => (lt(test1)?, ge(test0)?),
            };
            let I::BrI32AndEqz { a, b, off: 3 } = br else {
                return None;
            };
            let both = (a == t1 && b == t2) || (a == t2 && b == t1);
            both && temp(t1) && temp(t2) && a1 == src && a2 == src && is(b1, hi) && is(b2, 0)
        }
        _ => false,
    };
    let fallback = match fallback {
        I::Const32 { dst, val } => (dst, u64::from(val)),
        I::Const64 { dst, val } => (dst, val),
        I::Copy { dst, src } => (dst, t.pooled(src)?),
        _ => return None,
    };
    let ends = skip == (I::Br { off: 2 }) && fallback == (dst, fell_back);
    (tested && ends && dst != src).then_some(fused)
}

/// The pair pass: two instructions that compiled code often runs back to back become one
/// instruction in the first one's place, one dispatch instead of two. The second one stays
/// where it was, skipped by the fused one, and still runs alone when a branch lands on it
/// (or, for a step, when the JIT's exit resumes there). The pairs:
/// - a counted loop's step and test (`I32AddImmBr*`): an in-place `i32.add` of a 16-bit
///   constant, then a compare-and-branch on the sum. The JIT's exits resume at the branch,
///   after the add.
/// - two copies (`Copy2`), the second's slots below 2^16.
/// - a copy and the `Br` after it (`CopyBr`): a loop's variable set at the end of a case
///   that branches back; not where tail duplication copies the `Br`'s target in its place.
/// - a constant and a `br_if` on another slot (`Const32BrIf*`), that one below 2^16.
/// - two steps (`I32AddImm2`): an `i32.add` of a 16-bit constant, then another, with the
///   slots below 2^16 (an index and a pointer that moves with it), unless the second step
///   makes a pair of its own with what follows it (a test, a copy, a `global.set`).
/// - a step copied on (`I32AddImmCopy`): an `i32.add` of a 16-bit constant, then a copy of
///   its result, to a slot below 2^16 (`local.tee` of one local, `local.set` of another).
/// - a stack pointer's step (`I32AddImmGlobalSet`): an `i32.add` of a 16-bit constant,
///   then a `global.set` of its result to a global below 2^16 (a compiled function's
///   prologue and epilogue move the stack pointer global so).
/// - and in a prologue, the `global.get` of the stack pointer before them too
///   (`GlobalAddImm`, a triple, which skips both): the operand-stack slot it read into
///   is popped by the add, so the triple does not write it.
/// - a bit field (`I32ShrUAndImm`): `i32.shr_u` by a constant into an operand-stack slot,
///   then `i32.and` of that slot with a constant (the `and` pops the slot, as the load
///   below does).
/// - a scaled sum (`I32ShlAdd`, `I32ShlAddImm`): `i32.shl` by a constant into an
///   operand-stack slot, then `i32.add` of that slot and another slot or a constant (which
///   pops the shifted slot), unless the add makes a pair with what follows it.
/// - an array element's load (`*LoadIdx`): `i32.shl` of an index by a constant into an
///   operand-stack slot, then a full-width load from that slot. The load pops the
///   shifted index, so nothing reads the slot afterwards and the fused instruction need
///   not write it. The fused load traps at its own index, with the load's code offset
///   and folded constant.
/// - a copy in memory (`LoadStore*`): a load into an operand-stack slot, then a store of
///   that slot at the load's width, which pops it, with the slots and both offsets below
///   2^16. The copy checks both accesses before it does either; when one is past the
///   end, its full form runs the load alone and goes on to the store's own instruction,
///   so that each traps, or wraps, with its own code offset and folded constant. Not
///   from a load that is itself the second half of a pair: the store after it then keeps
///   its accumulator form on the path through that pair.
/// - a load from a pointer just loaded (`*LoadPtr`): `i32.load` of a pointer, then an
///   `i32.load`, `i32.load8_u` or `i64.load` from it, with the slots and both offsets
///   below 2^16. The pointer's slot is written too (it may be a local). As a copy in
///   memory does, the fused load checks both accesses before it writes anything, and
///   its full form runs the first load alone when one is past the end; nor is it made
///   from a load that is the second half of a pair.
/// - an address's sum and its load (`*LoadSum`, for `i32.load`, `i32.load8_u`, `i64.load`
///   and `f64.load`): `i32.add` of two slots, then a load from the sum, with the three
///   slots and the load's offset below 2^16. The sum may go to a local (`local.tee`), so
///   the fused load writes it too, once the access is known to be in bounds: running it
///   again, in its wrapping or full form or from a trace's exit, then reads the same
///   operands even when the sum's slot is one of them.
fn fuse_pairs(t: &mut Translator<'_>) {
    t.folded_adds.sort_unstable_by_key(|f| f.0);
    let mut folded = Vec::new();
    // Whether instruction `i - 1` is the second of a pair fused just before: a pair made
    // from it and its load (a copy in memory, a load from a pointer) would run only from
    // a branch to it, and would take away the next instruction's accumulator form on the
    // path through the pair.
    let mut second = false;
    for i in 1..t.code.len() {
        let fused = pair(t, i).filter(|f| !(second && f.starts_with_load()));
        second = fused.is_some();
        let Some(fused) = fused else {
            continue;
        };
        // A load fused with its address computation traps as the load, the second.
        let access = matches!(
            fused,
            variants!({ .. } in I32LoadIdx | I64LoadIdx | F32LoadIdx | F64LoadIdx
                | I32LoadSum | I32Load8USum | I64LoadSum | F64LoadSum)
        );
        if access {
            t.offsets[i - 1] = t.offsets[i];
            if let Ok(k) = t.folded_adds.binary_search_by_key(&(i as u32), |f| f.0) {
                folded.push((i as u32 - 1, t.folded_adds[k].1));
            }
        }
        t.code[i - 1] = fused;
    }
    t.folded_adds.extend(folded);
}

/// The fused form of instructions `i - 1` and `i` (and for a triple `i + 1`), if they
/// are one of `fuse_pairs`' pairs.
fn pair(t: &Translator<'_>, i: usize) -> Option<Instr> {
    match t.code[i - 1] {
        Instr::I32AddImm { dst, a, imm } => i16::try_from(imm).ok().and_then(|imm| {
            let next = t.code[i];
            // The second step's own pair goes first.
            step_pair(dst, a, imm, next)
                .or_else(|| two_steps(dst, a, imm, next).filter(|_| add_pair(t, i + 1).is_none()))
        }),
        Instr::Copy { dst, src } => match t.code[i] {
            Instr::Copy { dst: d2, src: s2 } => {
                let (Some(dst2), Some(src2)) = (narrow(d2), narrow(s2)) else {
                    return None;
                };
                Some(Instr::Copy2 {
                    dst,
                    src,
                    dst2,
                    src2,
                })
            }
            Instr::Br { off } if !super::tails::copies_target(&t.code, i) => Some(Instr::CopyBr {
                dst,
                src,
                off: off.checked_add(1)?,
            }),
            _ => None,
        },
        Instr::Const32 { dst, val } => const_branch(dst, val, t.code[i]),
        Instr::GlobalGet { dst: tmp, global } if tmp.0 >= t.base => {
            global_step(tmp, global, t.code[i], t.code.get(i + 1).copied())
        }
        Instr::I32ShlImm { dst, a, imm } if dst.0 >= t.base => {
            indexed_load(dst, a, imm, t.code[i]).or_else(|| {
                // The sum's own pair (a summed load, a step) goes first.
                shifted_sum(dst, a, imm, t.code[i]).filter(|_| add_pair(t, i + 1).is_none())
            })
        }
        Instr::I32Add { dst, a, b } => summed_load(dst, a, b, t.code[i]),
        Instr::I32ShrUImm { dst: tmp, a, imm } if tmp.0 >= t.base => match t.code[i] {
            Instr::I32AndImm {
                dst,
                a: x,
                imm: mask,
            } if x == tmp => {
                let (mask, shift) = (mask as u32, shift_amount(imm));
                Some(Instr::I32ShrUAndImm {
                    dst,
                    a,
                    mask,
                    shift,
                })
            }
            _ => None,
        },
        load => pointer_load(load, t.code[i]).or_else(|| copy_in_memory(t.base, load, t.code[i])),
    }
}

/// The pair that the add at `i - 1` (an `i32.add` of two slots or of a constant) makes
/// with what follows it, other than a second step: a summed load, or one of `step_pair`'s.
/// Scaled sums and two steps leave such an add to it.
fn add_pair(t: &Translator<'_>, i: usize) -> Option<Instr> {
    let next = *t.code.get(i)?;
    match t.code[i - 1] {
        Instr::I32Add { dst, a, b } => summed_load(dst, a, b, next),
        Instr::I32AddImm { dst, a, imm } => step_pair(dst, a, i16::try_from(imm).ok()?, next),
        _ => None,
    }
}

/// The fused form of `load` after `first`, when `first` is `ptr = i32.load(addr +
/// offset)` and `load` loads an `i32`, a byte (`i32.load8_u`) or an `i64` from `ptr`, with
/// the slots and both offsets below 2^16: a load from a pointer just loaded (see
/// `fuse_pairs`).
fn pointer_load(first: Instr, load: Instr) -> Option<Instr> {
    let Instr::I32Load {
        dst: ptr,
        addr,
        offset,
        wrap,
    } = first
    else {
        return None;
    };
    let (dst, offset2) = match load {
        variants!({ dst, addr: from, offset, .. } in I32Load | I32Load8U | I64Load)
            if from == ptr =>
        {
            (dst, offset)
        }
        _ => return None,
    };
    let (addr, dst2) = (narrow(addr)?, narrow(ptr)?);
    let (offset, offset2) = (u16::try_from(offset).ok()?, u16::try_from(offset2).ok()?);
    macro_rules! deref {
        ($v:ident) => {
            Instr::$v {
                dst,
                addr,
                dst2,
                offset,
                offset2,
                wrap,
            }
        };
    }
    Some(match load {
        Instr::I32Load { .. } => deref!(I32LoadPtr),
        Instr::I32Load8U { .. } => deref!(I32Load8UPtr),
        _ => deref!(I64LoadPtr),
    })
}

/// The `A` form of a load from a pointer just loaded (`*LoadPtr`), when the pointer's
/// address is `acc`.
fn pointer_load_acc(load: Instr, acc: Slot) -> Option<Instr> {
    let (dst, dst2, offset, offset2, wrap) = match load {
        variants!({ dst, addr, dst2, offset, offset2, wrap } in I32LoadPtr | I32Load8UPtr | I64LoadPtr)
            if Slot::from(addr) == acc =>
        {
            (dst, dst2, offset, offset2, wrap)
        }
        _ => return None,
    };
    macro_rules! deref {
        ($v:ident) => {
            Instr::$v {
                dst,
                dst2,
                offset,
                offset2,
                wrap,
            }
        };
    }
    Some(match load {
        Instr::I32LoadPtr { .. } => deref!(I32LoadPtrA),
        Instr::I32Load8UPtr { .. } => deref!(I32Load8UPtrA),
        _ => deref!(I64LoadPtrA),
    })
}

/// The fused form of `store` after `load`, when it stores the value just loaded into an
/// operand-stack slot, at the load's width, with slots and offsets below 2^16: a copy in
/// memory (see `fuse_pairs`).
fn copy_in_memory(base: u32, load: Instr, store: Instr) -> Option<Instr> {
    let (t, from, offset, wrap, n) = match load {
        variants!({ dst, addr, offset, wrap } in I32Load8S | I32Load8U | I64Load8S | I64Load8U) => {
            (dst, addr, offset, wrap, 1)
        }
        variants!(
            { dst, addr, offset, wrap } in I32Load16S | I32Load16U | I64Load16S | I64Load16U
        ) => (dst, addr, offset, wrap, 2),
        variants!({ dst, addr, offset, wrap } in I32Load | F32Load | I64Load32S | I64Load32U) => {
            (dst, addr, offset, wrap, 4)
        }
        variants!({ dst, addr, offset, wrap } in I64Load | F64Load) => (dst, addr, offset, wrap, 8),
        _ => return None,
    };
    let (into, val, offset2, width) = match store {
        variants!({ addr, val, offset, .. } in I32Store8 | I64Store8) => (addr, val, offset, 1),
        variants!({ addr, val, offset, .. } in I32Store16 | I64Store16) => (addr, val, offset, 2),
        variants!({ addr, val, offset, .. } in I32Store | F32Store | I64Store32) => {
            (addr, val, offset, 4)
        }
        variants!({ addr, val, offset, .. } in I64Store | F64Store) => (addr, val, offset, 8),
        _ => return None,
    };
    // The store pops the loaded value, so nothing reads its slot afterwards; its address
    // was pushed before the load's value, so it is another slot.
    if val != t || t.0 < base || into == t || n != width {
        return None;
    }
    let (addr, into, dst2) = (narrow(from)?, narrow(into)?, narrow(t)?);
    let (offset, offset2) = (u16::try_from(offset).ok()?, u16::try_from(offset2).ok()?);
    macro_rules! copy {
        ($v:ident) => {
            Instr::$v {
                addr,
                into,
                dst2,
                offset,
                offset2,
                wrap,
            }
        };
    }
    Some(match n {
        1 => copy!(LoadStore8),
        2 => copy!(LoadStore16),
        4 => copy!(LoadStore32),
        _ => copy!(LoadStore64),
    })
}

/// The fused form of `add` after `t = a << shift` into an operand-stack slot, when it adds
/// `t` to another slot or to a constant (see `fuse_pairs`).
fn shifted_sum(t: Slot, a: Slot, shift: i32, add: Instr) -> Option<Instr> {
    let shift = shift_amount(shift);
    match add {
        Instr::I32Add { dst, a: x, b: y } if (x == t) != (y == t) => {
            let b = if x == t { y } else { x };
            Some(Instr::I32ShlAdd { dst, a, b, shift })
        }
        Instr::I32AddImm { dst, a: x, imm } if x == t => {
            Some(Instr::I32ShlAddImm { dst, a, imm, shift })
        }
        _ => None,
    }
}

/// The fused form of `next` after step `dst = a + imm` when they are a counted loop's
/// step and test, a step copied on, or a stack pointer's step (see `fuse_pairs`).
fn step_pair(dst: Slot, a: Slot, imm: i16, next: Instr) -> Option<Instr> {
    let step = if dst == a {
        step_branch(dst, imm, next)
    } else {
        None
    };
    step.or_else(|| step_copy(dst, a, imm, next))
        .or_else(|| step_global(dst, a, imm, next))
}

/// The fused form of step `next` after step `dst = a + imm`, when it adds a 16-bit
/// constant too and the slots are below 2^16 (see `fuse_pairs`).
fn two_steps(dst: Slot, a: Slot, imm: i16, next: Instr) -> Option<Instr> {
    let Instr::I32AddImm {
        dst: dst2,
        a: a2,
        imm: imm2,
    } = next
    else {
        return None;
    };
    let imm2 = i16::try_from(imm2).ok()?;
    Some(Instr::I32AddImm2 {
        dst,
        a: narrow(a)?,
        imm,
        dst2: narrow(dst2)?,
        a2: narrow(a2)?,
        imm2,
    })
}

/// The fused form of `copy` after `dst = a + imm`, when it copies `dst` to a slot below
/// 2^16 (see `fuse_pairs`).
fn step_copy(dst: Slot, a: Slot, imm: i16, copy: Instr) -> Option<Instr> {
    let Instr::Copy { dst: to, src } = copy else {
        return None;
    };
    let dst2 = narrow(to)?;
    (src == dst).then_some(Instr::I32AddImmCopy { dst, a, imm, dst2 })
}

/// The fused form of `set` after `dst = a + imm`, when it sets a global below 2^16 to
/// `dst` (see `fuse_pairs`).
fn step_global(dst: Slot, a: Slot, imm: i16, set: Instr) -> Option<Instr> {
    let Instr::GlobalSet { src, global } = set else {
        return None;
    };
    let global = u16::try_from(global).ok()?;
    (src == dst).then_some(Instr::I32AddImmGlobalSet {
        dst,
        a,
        imm,
        global,
    })
}

/// The fused form of a prologue's stack pointer step (`GlobalAddImm`): `global.get` of
/// `global` into operand-stack slot `tmp`, then `add`, an `i32.add` of a 16-bit constant to
/// `tmp`, then `set`, a `global.set` of the sum to the same global, below 2^16 (see
/// `fuse_pairs`).
fn global_step(tmp: Slot, global: u32, add: Instr, set: Option<Instr>) -> Option<Instr> {
    let (Instr::I32AddImm { dst, a, imm }, Some(Instr::GlobalSet { src, global: g })) = (add, set)
    else {
        return None;
    };
    let (global, imm) = (u16::try_from(global).ok()?, i16::try_from(imm).ok()?);
    (a == tmp && src == dst && g == u32::from(global)).then_some(Instr::GlobalAddImm {
        dst,
        global,
        imm,
    })
}

/// The fused form of branch `br` after `dst = val`, when it is a `br_if` on another slot,
/// below 2^16 (see `fuse_pairs`).
fn const_branch(dst: Slot, val: u32, br: Instr) -> Option<Instr> {
    let (Instr::BrIfNez { c: wide, off } | Instr::BrIfEqz { c: wide, off }) = br else {
        return None;
    };
    let (c, off) = (narrow(wide)?, off.checked_add(1)?);
    (dst != wide).then_some(match br {
        Instr::BrIfNez { .. } => Instr::Const32BrIfNez { dst, c, val, off },
        _ => Instr::Const32BrIfEqz { dst, c, val, off },
    })
}

/// The mask of bits `0..n` (all 64 from `n = 64` on).
fn low_bits(n: u32) -> u64 {
    1u64.checked_shl(n).map_or(u64::MAX, |b| b - 1)
}

/// Slot `s` in 16 bits, if it is below 2^16.
fn narrow(s: Slot) -> Option<Slot16> {
    u16::try_from(s.0).ok().map(Slot16)
}

/// A constant `i32` shift count as the shift uses it (mod 32).
fn shift_amount(imm: i32) -> u8 {
    (imm & 31) as u8
}

/// The fused form of load `load` from slot `t` after `t = idx << shift` (see
/// `fuse_pairs`).
fn indexed_load(t: Slot, idx: Slot, shift: i32, load: Instr) -> Option<Instr> {
    use Instr::*;
    let shift = shift_amount(shift);
    match load {
        I32Load {
            dst,
            addr,
            offset,
            wrap,
        } if addr == t => Some(I32LoadIdx {
            dst,
            idx,
            offset,
            shift,
            wrap,
        }),
        I64Load {
            dst,
            addr,
            offset,
            wrap,
        } if addr == t => Some(I64LoadIdx {
            dst,
            idx,
            offset,
            shift,
            wrap,
        }),
        F32Load {
            dst,
            addr,
            offset,
            wrap,
        } if addr == t => Some(F32LoadIdx {
            dst,
            idx,
            offset,
            shift,
            wrap,
        }),
        F64Load {
            dst,
            addr,
            offset,
            wrap,
        } if addr == t => Some(F64LoadIdx {
            dst,
            idx,
            offset,
            shift,
            wrap,
        }),
        _ => None,
    }
}

/// The fused form of load `load` from slot `t` after `t = a + b`, when the three slots
/// are below 2^16 and the load's offset too (see `fuse_pairs`).
fn summed_load(t: Slot, a: Slot, b: Slot, load: Instr) -> Option<Instr> {
    use Instr::*;
    let (a, b, dst2) = (narrow(a)?, narrow(b)?, narrow(t)?);
    let (I32Load {
        dst,
        addr,
        offset,
        wrap,
    }
    | I32Load8U {
        dst,
        addr,
        offset,
        wrap,
    }
    | I64Load {
        dst,
        addr,
        offset,
        wrap,
    }
    | F64Load {
        dst,
        addr,
        offset,
        wrap,
    }) = load
    else {
        return None;
    };
    let offset = u16::try_from(offset).ok().filter(|_| addr == t)?;
    Some(match load {
        I32Load { .. } => I32LoadSum {
            dst,
            a,
            b,
            dst2,
            offset,
            wrap,
        },
        I32Load8U { .. } => I32Load8USum {
            dst,
            a,
            b,
            dst2,
            offset,
            wrap,
        },
        I64Load { .. } => I64LoadSum {
            dst,
            a,
            b,
            dst2,
            offset,
            wrap,
        },
        _ => F64LoadSum {
            dst,
            a,
            b,
            dst2,
            offset,
            wrap,
        },
    })
}

/// The `A` form of a summed load (`I32LoadSum` and the like), when one of the two slots
/// it adds is `acc`: the accumulator stands for that one.
fn summed_load_acc(load: Instr, acc: Slot) -> Option<Instr> {
    use Instr::*;
    let (I32LoadSum {
        dst,
        a,
        b,
        dst2,
        offset,
        wrap,
    }
    | I32Load8USum {
        dst,
        a,
        b,
        dst2,
        offset,
        wrap,
    }
    | I64LoadSum {
        dst,
        a,
        b,
        dst2,
        offset,
        wrap,
    }
    | F64LoadSum {
        dst,
        a,
        b,
        dst2,
        offset,
        wrap,
    }) = load
    else {
        return None;
    };
    let b = match acc {
        _ if Slot::from(a) == acc => b,
        _ if Slot::from(b) == acc => a,
        _ => return None,
    };
    Some(match load {
        I32LoadSum { .. } => I32LoadSumA {
            dst,
            b,
            dst2,
            offset,
            wrap,
        },
        I32Load8USum { .. } => I32Load8USumA {
            dst,
            b,
            dst2,
            offset,
            wrap,
        },
        I64LoadSum { .. } => I64LoadSumA {
            dst,
            b,
            dst2,
            offset,
            wrap,
        },
        _ => F64LoadSumA {
            dst,
            b,
            dst2,
            offset,
            wrap,
        },
    })
}

/// Calls `$m!` with each `i32` compare-and-branch (two slots, then a slot and a constant)
/// and the forms that translation makes of it: fused with a counted loop's step
/// (`step_branch`: two slots, a slot and a constant, and two slots compared the other way
/// round), then reading the accumulator (`compare_acc`: the same three).
macro_rules! i32_branches {
    ($m:ident) => {
        $m! {
            BrI32Eq, BrI32EqImm => I32AddImmBrEq, I32AddImmBrEqImm, swapped I32AddImmBrEq;
                BrI32EqA, BrI32EqImmA, swapped BrI32EqA;
            BrI32Ne, BrI32NeImm => I32AddImmBrNe, I32AddImmBrNeImm, swapped I32AddImmBrNe;
                BrI32NeA, BrI32NeImmA, swapped BrI32NeA;
            BrI32LtS, BrI32LtSImm => I32AddImmBrLtS, I32AddImmBrLtSImm, swapped I32AddImmBrGtS;
                BrI32LtSA, BrI32LtSImmA, swapped BrI32GtSA;
            BrI32LtU, BrI32LtUImm => I32AddImmBrLtU, I32AddImmBrLtUImm, swapped I32AddImmBrGtU;
                BrI32LtUA, BrI32LtUImmA, swapped BrI32GtUA;
            BrI32LeS, BrI32LeSImm => I32AddImmBrLeS, I32AddImmBrLeSImm, swapped I32AddImmBrGeS;
                BrI32LeSA, BrI32LeSImmA, swapped BrI32GeSA;
            BrI32LeU, BrI32LeUImm => I32AddImmBrLeU, I32AddImmBrLeUImm, swapped I32AddImmBrGeU;
                BrI32LeUA, BrI32LeUImmA, swapped BrI32GeUA;
            BrI32GtS, BrI32GtSImm => I32AddImmBrGtS, I32AddImmBrGtSImm, swapped I32AddImmBrLtS;
                BrI32GtSA, BrI32GtSImmA, swapped BrI32LtSA;
            BrI32GtU, BrI32GtUImm => I32AddImmBrGtU, I32AddImmBrGtUImm, swapped I32AddImmBrLtU;
                BrI32GtUA, BrI32GtUImmA, swapped BrI32LtUA;
            BrI32GeS, BrI32GeSImm => I32AddImmBrGeS, I32AddImmBrGeSImm, swapped I32AddImmBrLeS;
                BrI32GeSA, BrI32GeSImmA, swapped BrI32LeSA;
            BrI32GeU, BrI32GeUImm => I32AddImmBrGeU, I32AddImmBrGeUImm, swapped I32AddImmBrLeU;
                BrI32GeUA, BrI32GeUImmA, swapped BrI32LeUA;
        }
    };
}

/// The fused form of branch `br` after `ctr += imm` (see `fuse_pairs`), when it
/// compares `ctr` with another slot or a constant, or branches unconditionally.
fn step_branch(ctr: Slot, imm: i16, br: Instr) -> Option<Instr> {
    use Instr::*;
    macro_rules! fuse {
        ($(
            $br:ident, $brk:ident => $f:ident, $fk:ident, swapped $sw:ident;
            $_a:ident, $_ak:ident, swapped $_asw:ident;
        )*) => {
            match br {
                $(
                    $br { a, b, off } if a == ctr && b != ctr => {
                        Some($f { ctr, b, off: off.checked_add(1)?, imm })
                    }
                    $br { a, b, off } if b == ctr && a != ctr => {
                        Some($sw { ctr, b: a, off: off.checked_add(1)?, imm })
                    }
                    $brk { a, imm: k, off } if a == ctr => {
                        Some($fk { ctr, k, off: off.checked_add(1)?, imm })
                    }
                )*
                BrIfNez { c, off } if c == ctr => {
                    Some(I32AddImmBrNeImm { ctr, k: 0, off: off.checked_add(1)?, imm })
                }
                BrIfEqz { c, off } if c == ctr => {
                    Some(I32AddImmBrEqImm { ctr, k: 0, off: off.checked_add(1)?, imm })
                }
                Br { off } => Some(I32AddImmBr { ctr, off: off.checked_add(1)?, imm }),
                _ => None,
            }
        };
    }
    i32_branches!(fuse)
}

/// The accumulator pass: an instruction that reads the slot its predecessor just wrote
/// takes its `A` form, which reads the interpreter's accumulator instead.
/// The two meet only in the same accumulator: an `f64` written to the float one is read
/// from there (`Instr::writes_float_acc`, `Instr::reads_float_acc`). After a `Copy`, the
/// accumulator holds its source's value as well as its destination's. A call with one
/// result (by `call_results`, `(index, result count)` pairs) counts as writing its
/// `args` slot: the callee's return, or the host call, leaves the result in the integer
/// accumulator too (the float one is never read after a call).
///
/// A branch that writes nothing (`Instr::keeps_acc`) passes the accumulator on, to its
/// target and (if conditional) to the instruction after it: an instruction whose every
/// way in (falling through, and forward branches of that kind) brings the same value
/// may read it. The target of any other branch, or of a backward one, may not. (The
/// passes after this one copy a branch's target in place of a `Br` to it, with a `Br`
/// back after the copy: every copy starts with what the `Br` passed on.)
///
/// Sound because every instruction with a `dst` writes it, and the accumulator, exactly once
/// and unconditionally, except `Select` (whose write is conditional).
fn use_accumulator(code: &mut [Instr], call_results: &[(u32, u32)]) {
    let n = code.len();
    let mut one_result = vec![false; n];
    for &(at, count) in call_results {
        one_result[at as usize] = count == 1;
    }
    // What reaches each instruction by forward branches so far (`None`: no branch yet).
    let mut incoming: Vec<Option<Option<Held>>> = vec![None; n + 1];
    let mut backward_target = vec![false; n + 1];
    for (j, instr) in code.iter().enumerate() {
        let mut instr = *instr;
        if let Some(&mut off) = instr.branch_offset_mut()
            && off <= 0
        {
            backward_target[(j as i64 + i64::from(off)) as usize] = true;
        }
    }
    // What falls through from the instruction before (`None`: it never falls through).
    let mut fall: Option<Option<Held>> = Some(None);
    for i in 0..n {
        let mut instr = code[i];
        let held = match (fall, incoming[i]) {
            _ if backward_target[i] => None,
            (Some(a), Some(b)) => Held::meet(a, b),
            (Some(h), None) | (None, Some(h)) => h,
            (None, None) => None,
        };
        if let Some(h) = held {
            let mut a = accumulate(instr, h.slot);
            if a == instr
                && let Some(src) = h.copied
            {
                a = accumulate(instr, src);
            }
            if a.reads_float_acc() == h.float {
                instr = a;
                code[i] = instr;
            }
        }
        if let Some(&mut off) = instr.branch_offset_mut()
            && off > 0
        {
            let to = (i as i64 + i64::from(off)) as usize;
            // A guarded conversion jumps with its result in the accumulator.
            let passed = match instr.guarded_trunc() {
                _ if instr.keeps_acc() => held,
                guarded => guarded.map(|(slot, ..)| Held {
                    slot,
                    copied: None,
                    float: false,
                }),
            };
            incoming[to] = Some(incoming[to].map_or(passed, |h| Held::meet(h, passed)));
        }
        let ends = matches!(
            instr,
            Instr::Br { .. }
                | Instr::Case { .. }
                | Instr::BrTable { .. }
                | Instr::BrTableA { .. }
                | Instr::Unreachable
        );
        if ends || instr.returns() || instr.guarded_trunc().is_some() {
            fall = None;
            continue;
        }
        let after = match instr {
            _ if let Some(args) = instr.call_args() => one_result[i].then_some(Held {
                slot: args,
                copied: None,
                float: false,
            }),
            Instr::Select { .. } => None,
            _ if instr.keeps_acc() => held,
            _ => instr.dst_mut().map(|slot| *slot).map(|slot| Held {
                slot,
                copied: match instr {
                    Instr::Copy { src, .. } => Some(src),
                    _ => None,
                },
                float: instr.writes_float_acc(),
            }),
        };
        fall = Some(after);
    }
}

/// What the accumulators hold where an instruction starts (see `use_accumulator`): the
/// value of slot `slot` (and of `copied`, a `Copy`'s source), in the float accumulator
/// if `float`.
#[derive(Clone, Copy, PartialEq)]
struct Held {
    slot: Slot,
    copied: Option<Slot>,
    float: bool,
}

impl Held {
    /// What two ways into an instruction agree on.
    fn meet(a: Option<Held>, b: Option<Held>) -> Option<Held> {
        a.filter(|_| a == b)
    }
}

/// Whether an access with memarg offset `offset`, whose address `i32.add` of `folded` (if
/// any) went into its offset, is exactly `(x + offset) mod 2^32`: with no offset of its
/// own, the folded sum is its address.
fn wraps(folded: Option<u32>, offset: u64) -> bool {
    folded.is_some() && offset == 0
}

/// The form of `store` that takes its value, the constant `bits`, from the instruction
/// (a constant stored goes there without a `Const` first), if one holds it: the value's
/// bytes are what count, so a float store of a constant takes the integer form of its
/// width, and a 64-bit store needs a constant that sign-extends from 32 bits.
fn store_imm(store: Instr, bits: u64) -> Option<Instr> {
    use Instr::*;
    let low = bits as u32 as i32;
    Some(match store {
        I32Store {
            addr, offset, wrap, ..
        }
        | F32Store {
            addr, offset, wrap, ..
        }
        | I64Store32 {
            addr, offset, wrap, ..
        } => I32StoreImm {
            addr,
            offset,
            imm: low,
            wrap,
        },
        I32Store8 {
            addr, offset, wrap, ..
        }
        | I64Store8 {
            addr, offset, wrap, ..
        } => I32Store8Imm {
            addr,
            offset,
            imm: low,
            wrap,
        },
        I32Store16 {
            addr, offset, wrap, ..
        }
        | I64Store16 {
            addr, offset, wrap, ..
        } => I32Store16Imm {
            addr,
            offset,
            imm: low,
            wrap,
        },
        I64Store {
            addr, offset, wrap, ..
        }
        | F64Store {
            addr, offset, wrap, ..
        } => {
            let imm = i32::try_from(bits as i64).ok()?;
            I64StoreImm {
                addr,
                offset,
                imm,
                wrap,
            }
        }
        _ => return None,
    })
}

/// Gives every `Case` the opcode of the instruction it lands on, and the address of its
/// threaded function, once the code is final.
fn resolve_cases(code: &mut [Instr]) {
    for i in 0..code.len() {
        if let Instr::Case { off, .. } = code[i] {
            let op = code[(i as i64 + i64::from(off)) as usize].op();
            code[i] = Instr::Case {
                off,
                op: NextOp(op),
                to: NextFn(super::case_target(op)),
            };
        }
    }
}

/// The accumulator form of `instr` when the operand it names is `acc`, the slot the
/// previous instruction just wrote (see `Translator::emit`).
fn accumulate(instr: Instr, acc: Slot) -> Instr {
    use Instr::*;
    if let Some(a) = summed_load_acc(instr, acc).or_else(|| pointer_load_acc(instr, acc)) {
        return a;
    }
    match instr {
        BrTable { index, len, bias } if index == acc => BrTableA { len, bias },
        ReturnSlot { src } if src == acc => ReturnSlotA { src },
        I32Add { dst, a, b } if a == acc => I32AddA { dst, b },
        I32Add { dst, a, b } if b == acc => I32AddA { dst, b: a },
        I32Sub { dst, a, b } if a == acc => I32SubA { dst, b },
        I32Mul { dst, a, b } if a == acc => I32MulA { dst, b },
        I32Mul { dst, a, b } if b == acc => I32MulA { dst, b: a },
        I32And { dst, a, b } if a == acc => I32AndA { dst, b },
        I32And { dst, a, b } if b == acc => I32AndA { dst, b: a },
        I32Or { dst, a, b } if a == acc => I32OrA { dst, b },
        I32Or { dst, a, b } if b == acc => I32OrA { dst, b: a },
        I32Xor { dst, a, b } if a == acc => I32XorA { dst, b },
        I32Xor { dst, a, b } if b == acc => I32XorA { dst, b: a },
        I32Shl { dst, a, b } if a == acc => I32ShlA { dst, b },
        I32ShrS { dst, a, b } if a == acc => I32ShrSA { dst, b },
        I32ShrU { dst, a, b } if a == acc => I32ShrUA { dst, b },
        I64Add { dst, a, b } if a == acc => I64AddA { dst, b },
        I64Add { dst, a, b } if b == acc => I64AddA { dst, b: a },
        I64Sub { dst, a, b } if a == acc => I64SubA { dst, b },
        I64Mul { dst, a, b } if a == acc => I64MulA { dst, b },
        I64Mul { dst, a, b } if b == acc => I64MulA { dst, b: a },
        I64And { dst, a, b } if a == acc => I64AndA { dst, b },
        I64And { dst, a, b } if b == acc => I64AndA { dst, b: a },
        I64Or { dst, a, b } if a == acc => I64OrA { dst, b },
        I64Or { dst, a, b } if b == acc => I64OrA { dst, b: a },
        I64Xor { dst, a, b } if a == acc => I64XorA { dst, b },
        I64Xor { dst, a, b } if b == acc => I64XorA { dst, b: a },
        I64Shl { dst, a, b } if a == acc => I64ShlA { dst, b },
        I64ShrS { dst, a, b } if a == acc => I64ShrSA { dst, b },
        I64ShrU { dst, a, b } if a == acc => I64ShrUA { dst, b },
        F32Add { dst, a, b } if a == acc => F32AddA { dst, b },
        F32Add { dst, a, b } if b == acc => F32AddA { dst, b: a },
        F32Sub { dst, a, b } if a == acc => F32SubA { dst, b },
        F32Mul { dst, a, b } if a == acc => F32MulA { dst, b },
        F32Mul { dst, a, b } if b == acc => F32MulA { dst, b: a },
        F32Div { dst, a, b } if a == acc => F32DivA { dst, b },
        F64Add { dst, a, b } if a == acc => F64AddA { dst, b },
        F64Add { dst, a, b } if b == acc => F64AddA { dst, b: a },
        F64Sub { dst, a, b } if a == acc => F64SubA { dst, b },
        F64Sub { dst, a, b } if b == acc => F64SubRevA { dst, b: a },
        F64Mul { dst, a, b } if a == acc => F64MulA { dst, b },
        F64Mul { dst, a, b } if b == acc => F64MulA { dst, b: a },
        F64Div { dst, a, b } if a == acc => F64DivA { dst, b },
        F64Div { dst, a, b } if b == acc => F64DivRevA { dst, b: a },
        I32Eq { dst, a, b } if a == acc => I32EqA { dst, b },
        I32Eq { dst, a, b } if b == acc => I32EqA { dst, b: a },
        I32Ne { dst, a, b } if a == acc => I32NeA { dst, b },
        I32Ne { dst, a, b } if b == acc => I32NeA { dst, b: a },
        I32LtS { dst, a, b } if a == acc => I32LtSA { dst, b },
        I32LtS { dst, a, b } if b == acc => I32GtSA { dst, b: a },
        I32LtU { dst, a, b } if a == acc => I32LtUA { dst, b },
        I32LtU { dst, a, b } if b == acc => I32GtUA { dst, b: a },
        I32GtS { dst, a, b } if a == acc => I32GtSA { dst, b },
        I32GtS { dst, a, b } if b == acc => I32LtSA { dst, b: a },
        I32GtU { dst, a, b } if a == acc => I32GtUA { dst, b },
        I32GtU { dst, a, b } if b == acc => I32LtUA { dst, b: a },
        I32LeS { dst, a, b } if a == acc => I32LeSA { dst, b },
        I32LeS { dst, a, b } if b == acc => I32GeSA { dst, b: a },
        I32LeU { dst, a, b } if a == acc => I32LeUA { dst, b },
        I32LeU { dst, a, b } if b == acc => I32GeUA { dst, b: a },
        I32GeS { dst, a, b } if a == acc => I32GeSA { dst, b },
        I32GeS { dst, a, b } if b == acc => I32LeSA { dst, b: a },
        I32GeU { dst, a, b } if a == acc => I32GeUA { dst, b },
        I32GeU { dst, a, b } if b == acc => I32LeUA { dst, b: a },
        I32AddImm { dst, a, imm } if a == acc => I32AddImmA { dst, imm },
        I32MulImm { dst, a, imm } if a == acc => I32MulImmA { dst, imm },
        I32AndImm { dst, a, imm } if a == acc => I32AndImmA { dst, imm },
        I32OrImm { dst, a, imm } if a == acc => I32OrImmA { dst, imm },
        I32XorImm { dst, a, imm } if a == acc => I32XorImmA { dst, imm },
        I32ShlImm { dst, a, imm } if a == acc => I32ShlImmA { dst, imm },
        I32ShrSImm { dst, a, imm } if a == acc => I32ShrSImmA { dst, imm },
        I32ShrUImm { dst, a, imm } if a == acc => I32ShrUImmA { dst, imm },
        I32RotlImm { dst, a, imm } if a == acc => I32RotlImmA { dst, imm },
        I32EqImm { dst, a, imm } if a == acc => I32EqImmA { dst, imm },
        I32NeImm { dst, a, imm } if a == acc => I32NeImmA { dst, imm },
        I32LtSImm { dst, a, imm } if a == acc => I32LtSImmA { dst, imm },
        I32LtUImm { dst, a, imm } if a == acc => I32LtUImmA { dst, imm },
        I32GtSImm { dst, a, imm } if a == acc => I32GtSImmA { dst, imm },
        I32GtUImm { dst, a, imm } if a == acc => I32GtUImmA { dst, imm },
        I32LeSImm { dst, a, imm } if a == acc => I32LeSImmA { dst, imm },
        I32LeUImm { dst, a, imm } if a == acc => I32LeUImmA { dst, imm },
        I32GeSImm { dst, a, imm } if a == acc => I32GeSImmA { dst, imm },
        I32GeUImm { dst, a, imm } if a == acc => I32GeUImmA { dst, imm },
        I64AddImm { dst, a, imm } if a == acc => I64AddImmA { dst, imm },
        I64MulImm { dst, a, imm } if a == acc => I64MulImmA { dst, imm },
        I64AndImm { dst, a, imm } if a == acc => I64AndImmA { dst, imm },
        I64OrImm { dst, a, imm } if a == acc => I64OrImmA { dst, imm },
        I64XorImm { dst, a, imm } if a == acc => I64XorImmA { dst, imm },
        I64ShlImm { dst, a, imm } if a == acc => I64ShlImmA { dst, imm },
        I64ShrSImm { dst, a, imm } if a == acc => I64ShrSImmA { dst, imm },
        I64ShrUImm { dst, a, imm } if a == acc => I64ShrUImmA { dst, imm },
        I64RotlImm { dst, a, imm } if a == acc => I64RotlImmA { dst, imm },
        I32ShrUAndImm {
            dst,
            a,
            mask,
            shift,
        } if a == acc => I32ShrUAndImmA { dst, mask, shift },
        I32ShlAdd { dst, a, b, shift } if a == acc => I32ShlAddA { dst, b, shift },
        I32ShlAdd { dst, a, b, shift } if b == acc => I32ShlAddRevA { dst, a, shift },
        I32ShlAddImm { dst, a, imm, shift } if a == acc => I32ShlAddImmA { dst, imm, shift },
        I32AddImm2 {
            dst,
            a,
            imm,
            dst2,
            a2,
            imm2,
        } if Slot::from(a) == acc => I32AddImm2A {
            dst,
            imm,
            dst2,
            a2,
            imm2,
        },
        I32LoadIdx {
            dst,
            idx,
            offset,
            shift,
            wrap,
        } if idx == acc => I32LoadIdxA {
            dst,
            offset,
            shift,
            wrap,
        },
        I64LoadIdx {
            dst,
            idx,
            offset,
            shift,
            wrap,
        } if idx == acc => I64LoadIdxA {
            dst,
            offset,
            shift,
            wrap,
        },
        F32LoadIdx {
            dst,
            idx,
            offset,
            shift,
            wrap,
        } if idx == acc => F32LoadIdxA {
            dst,
            offset,
            shift,
            wrap,
        },
        F64LoadIdx {
            dst,
            idx,
            offset,
            shift,
            wrap,
        } if idx == acc => F64LoadIdxA {
            dst,
            offset,
            shift,
            wrap,
        },
        I32Load {
            dst,
            addr,
            offset,
            wrap,
        } if addr == acc => I32LoadA { dst, offset, wrap },
        I64Load {
            dst,
            addr,
            offset,
            wrap,
        } if addr == acc => I64LoadA { dst, offset, wrap },
        F32Load {
            dst,
            addr,
            offset,
            wrap,
        } if addr == acc => F32LoadA { dst, offset, wrap },
        F64Load {
            dst,
            addr,
            offset,
            wrap,
        } if addr == acc => F64LoadA { dst, offset, wrap },
        I32Load8S {
            dst,
            addr,
            offset,
            wrap,
        } if addr == acc => I32Load8SA { dst, offset, wrap },
        I32Load8U {
            dst,
            addr,
            offset,
            wrap,
        } if addr == acc => I32Load8UA { dst, offset, wrap },
        I32Load16S {
            dst,
            addr,
            offset,
            wrap,
        } if addr == acc => I32Load16SA { dst, offset, wrap },
        I32Load16U {
            dst,
            addr,
            offset,
            wrap,
        } if addr == acc => I32Load16UA { dst, offset, wrap },
        I32Store {
            addr,
            val,
            offset,
            wrap,
        } if val == acc && addr != acc => I32StoreA { addr, offset, wrap },
        I64Store {
            addr,
            val,
            offset,
            wrap,
        } if val == acc && addr != acc => I64StoreA { addr, offset, wrap },
        F32Store {
            addr,
            val,
            offset,
            wrap,
        } if val == acc && addr != acc => F32StoreA { addr, offset, wrap },
        F64Store {
            addr,
            val,
            offset,
            wrap,
        } if val == acc && addr != acc => F64StoreA { addr, offset, wrap },
        I32Store8 {
            addr,
            val,
            offset,
            wrap,
        } if val == acc && addr != acc => I32Store8A { addr, offset, wrap },
        I32Store16 {
            addr,
            val,
            offset,
            wrap,
        } if val == acc && addr != acc => I32Store16A { addr, offset, wrap },
        I32Eqz { dst, src } if src == acc => I32EqzA { dst },
        I64Eqz { dst, src } if src == acc => I64EqzA { dst },
        I32WrapI64 { dst, src } if src == acc => I32WrapI64A { dst },
        I64ExtendI32S { dst, src } if src == acc => I64ExtendI32SA { dst },
        I64ExtendI32U { dst, src } if src == acc => I64ExtendI32UA { dst },
        F64ConvertI32S { dst, src } if src == acc => F64ConvertI32SA { dst },
        F64ConvertI32U { dst, src } if src == acc => F64ConvertI32UA { dst },
        F64PromoteF32 { dst, src } if src == acc => F64PromoteF32A { dst },
        F32DemoteF64 { dst, src } if src == acc => F32DemoteF64A { dst },
        BrIfNez { c, off } if c == acc => BrIfNezA { off },
        BrIfEqz { c, off } if c == acc => BrIfEqzA { off },
        other => compare_acc(other, acc).unwrap_or(other),
    }
}

/// The accumulator form of `i32` compare-and-branch `br` when one of its operands is
/// `acc`: the first (or, for a comparison of two slots, the second, with the comparison
/// mirrored).
fn compare_acc(br: Instr, acc: Slot) -> Option<Instr> {
    use Instr::*;
    macro_rules! compare {
        ($(
            $br:ident, $brk:ident => $_f:ident, $_fk:ident, swapped $_fsw:ident;
            $a:ident, $ak:ident, swapped $sw:ident;
        )*) => {
            match br {
                $(
                    $br { a, b, off } if a == acc && b != acc => Some($a { b, off }),
                    $br { a, b, off } if b == acc && a != acc => Some($sw { b: a, off }),
                    $brk { a, imm, off } if a == acc => Some($ak { imm, off }),
                )*
                _ => None,
            }
        };
    }
    i32_branches!(compare)
}

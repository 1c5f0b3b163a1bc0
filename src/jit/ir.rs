//! The trace IR: a linear SSA buffer, one opcode table, interned constants, snapshots.
//!
//! Sits between the recorder (`record`), which emits instructions while the interpreter
//! runs, and the backend (`asm`), which allocates registers and emits machine code. An
//! instruction names its operands by [`Ref`], the index of an earlier instruction, so
//! the buffer is in SSA form by construction; constants are `K` instructions interned by
//! type and bits. Every emission goes through [`Ir::emit`], which applies FOLD (constant
//! folding and algebraic rules, `opt::fold`) and CSE before appending: what reaches the
//! buffer is already simplified.
//!
//! Guards (`GUARD` flag) carry the snapshot taken just before them: where the
//! interpreter resumes (pc and inlined frame chain) and the slots the trace has modified
//! by then. The buffer lives in a `bumpalo` arena owned by one recording; the compiled
//! trace keeps only what exits need.

use super::opt::cse::{self, Cse};
use super::opt::{bounds, fold};
use bumpalo::Bump;
use bumpalo::collections::Vec as BVec;
use std::collections::HashMap;
use std::fmt;

/// A reference to an earlier instruction of the same trace.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub(crate) struct Ref(pub(crate) u32);

impl Ref {
    /// No operand.
    pub(crate) const NONE: Ref = Ref(u32::MAX);

    pub(crate) fn idx(self) -> usize {
        self.0 as usize
    }

    pub(crate) fn is_none(self) -> bool {
        self == Ref::NONE
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            f.write_str("-")
        } else {
            write!(f, "{:04}", self.0)
        }
    }
}

/// The type of an instruction's result (`Void` for none).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub(crate) enum Ty {
    Void,
    I32,
    I64,
    F32,
    F64,
}

impl Ty {
    pub(crate) fn from_u8(v: u8) -> Ty {
        [Ty::Void, Ty::I32, Ty::I64, Ty::F32, Ty::F64][v as usize % 5]
    }

    pub(crate) fn is_float(self) -> bool {
        matches!(self, Ty::F32 | Ty::F64)
    }

    pub(crate) fn is_int(self) -> bool {
        matches!(self, Ty::I32 | Ty::I64)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Ty::Void => "   ",
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
        }
    }

    /// The bits of `v` that this type keeps in a 64-bit slot (i32 and f32 zero-extended).
    pub(crate) fn canon(self, v: u64) -> u64 {
        match self {
            Ty::I32 | Ty::F32 => v as u32 as u64,
            _ => v,
        }
    }
}

/// Comparison conditions (`aux` of `Cmp` and `Guard`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub(crate) enum Cond {
    Eq,
    Ne,
    LtS,
    LtU,
    LeS,
    LeU,
    GtS,
    GtU,
    GeS,
    GeU,
    /// Float conditions, false when unordered; `Ne` is true when unordered.
    FEq,
    FNe,
    FLt,
    FLe,
    FGt,
    FGe,
    /// Negated float conditions (true when unordered).
    FNotLt,
    FNotLe,
    FNotGt,
    FNotGe,
}

impl Cond {
    const ALL: [Cond; 20] = [
        Cond::Eq,
        Cond::Ne,
        Cond::LtS,
        Cond::LtU,
        Cond::LeS,
        Cond::LeU,
        Cond::GtS,
        Cond::GtU,
        Cond::GeS,
        Cond::GeU,
        Cond::FEq,
        Cond::FNe,
        Cond::FLt,
        Cond::FLe,
        Cond::FGt,
        Cond::FGe,
        Cond::FNotLt,
        Cond::FNotLe,
        Cond::FNotGt,
        Cond::FNotGe,
    ];

    /// The condition printed as `name` on integer or float operands (the text form of
    /// pass tests).
    #[cfg(test)]
    pub(crate) fn from_name(name: &str, float: bool) -> Option<Cond> {
        Cond::ALL
            .into_iter()
            .find(|&c| c.name() == name && (c as u8 >= Cond::FEq as u8) == float)
    }

    pub(crate) fn from_aux(aux: u64) -> Cond {
        Cond::ALL[aux as usize]
    }

    /// The condition that holds exactly when `self` does not.
    pub(crate) fn negate(self) -> Cond {
        use Cond::*;
        match self {
            Eq => Ne,
            Ne => Eq,
            LtS => GeS,
            LtU => GeU,
            LeS => GtS,
            LeU => GtU,
            GtS => LeS,
            GtU => LeU,
            GeS => LtS,
            GeU => LtU,
            FEq => FNe,
            FNe => FEq,
            FLt => FNotLt,
            FLe => FNotLe,
            FGt => FNotGt,
            FGe => FNotGe,
            FNotLt => FLt,
            FNotLe => FLe,
            FNotGt => FGt,
            FNotGe => FGe,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        use Cond::*;
        match self {
            Eq | FEq => "eq",
            Ne | FNe => "ne",
            LtS => "lt_s",
            LtU => "lt_u",
            LeS => "le_s",
            LeU => "le_u",
            GtS => "gt_s",
            GtU => "gt_u",
            GeS => "ge_s",
            GeU => "ge_u",
            FLt => "lt",
            FLe => "le",
            FGt => "gt",
            FGe => "ge",
            FNotLt => "!lt",
            FNotLe => "!le",
            FNotGt => "!gt",
            FNotGe => "!ge",
        }
    }
}

/// Memory access kinds (`aux >> 32` of `Load` and `Store`): width and extension.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub(crate) enum Mem {
    U8,
    S8,
    U16,
    S16,
    U32,
    S32,
    W64,
}

impl Mem {
    const ALL: [Mem; 7] = [
        Mem::U8,
        Mem::S8,
        Mem::U16,
        Mem::S16,
        Mem::U32,
        Mem::S32,
        Mem::W64,
    ];

    pub(crate) fn bytes(self) -> u32 {
        match self {
            Mem::U8 | Mem::S8 => 1,
            Mem::U16 | Mem::S16 => 2,
            Mem::U32 | Mem::S32 => 4,
            Mem::W64 => 8,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Mem::U8 => "u8",
            Mem::S8 => "s8",
            Mem::U16 => "u16",
            Mem::S16 => "s16",
            Mem::U32 => "u32",
            Mem::S32 => "s32",
            Mem::W64 => "64",
        }
    }

    /// The access kind printed as `name` (the text form of pass tests).
    #[cfg(test)]
    pub(crate) fn from_name(name: &str) -> Option<Mem> {
        Mem::ALL.into_iter().find(|m| m.name() == name)
    }

    /// `aux` of a memory access: the static offset and the kind.
    pub(crate) fn aux(self, offset: u32) -> u64 {
        u64::from(offset) | (self as u64) << 32
    }

    pub(crate) fn of_aux(aux: u64) -> (Mem, u32) {
        (Mem::ALL[(aux >> 32) as usize], aux as u32)
    }
}

/// Operand kinds of the opcode table, for printing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// No operands; `aux` is printed (constants, slots, globals).
    Aux,
    /// Operands `a` (and `b`, `c` when present).
    Refs,
    /// Operands plus a condition in `aux`.
    CondRefs,
    /// Operands plus a memory kind and offset in `aux`.
    MemRefs,
    /// A call: `aux` names the helper, operands are its arguments.
    Call,
}

/// Opcode flags.
pub(crate) mod flag {
    /// Operands can be swapped.
    pub(crate) const COMM: u8 = 1;
    /// May leave the trace: carries a snapshot.
    pub(crate) const GUARD: u8 = 2;
    /// Reads memory, globals or slots: CSE only within one store epoch.
    pub(crate) const LOAD: u8 = 4;
    /// Writes memory or globals, or calls out: never removed, ends store epochs.
    pub(crate) const EFFECT: u8 = 8;
    /// Never folded or CSE'd (markers, copies).
    pub(crate) const NOFOLD: u8 = 16;
    /// Never removed, though it touches nothing the trace reads (profile counters).
    pub(crate) const KEEP: u8 = 32;
}

/// Defines [`Op`] from one table: name, operand mode, flags.
macro_rules! ir_ops {
    ($( $(#[doc = $doc:literal])* $name:ident: $mode:ident, $flags:expr; )*) => {
        /// IR opcodes.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[repr(u8)]
        pub(crate) enum Op {
            $( $(#[doc = $doc])* $name, )*
        }

        impl Op {
            const ALL: &'static [Op] = &[$(Op::$name),*];

            pub(crate) fn from_u8(v: u8) -> Op {
                Self::ALL[v as usize]
            }

            const INFO: &'static [(&'static str, Mode, u8)] = &[
                $( (stringify!($name), Mode::$mode, $flags), )*
            ];

            pub(crate) fn name(self) -> &'static str {
                Self::INFO[self as usize].0
            }

            /// The opcode named `name` (the text form of pass tests).
            #[cfg(test)]
            pub(crate) fn from_name(name: &str) -> Option<Op> {
                Self::INFO.iter().position(|i| i.0 == name).map(|k| Self::ALL[k])
            }

            pub(crate) fn mode(self) -> Mode {
                Self::INFO[self as usize].1
            }

            pub(crate) fn flags(self) -> u8 {
                Self::INFO[self as usize].2
            }

            pub(crate) fn has(self, f: u8) -> bool {
                self.flags() & f != 0
            }
        }
    };
}

use flag::{COMM, EFFECT, GUARD, KEEP, LOAD, NOFOLD};

ir_ops! {
    /// Constant: `aux` holds the bits.
    K: Aux, 0;
    /// The value of slot `aux` (relative to the root frame) at trace entry.
    Sload: Aux, NOFOLD;
    /// Separates the first iteration from the loop body (LOOP pass).
    Loop: Aux, NOFOLD;
    /// Loop-carried value: `a` on entry to the loop, `b` at the end of an iteration.
    Phi: Refs, NOFOLD;
    /// Removed by a pass.
    Nop: Aux, NOFOLD;
    /// A side trace's value inherited from its parent trace: it is where the parent kept
    /// it at the exit (`aux`: its `asm::Loc` as bits), with no load through the slots.
    Parent: Aux, NOFOLD;
    /// `br_table` on `a`: an indexed jump through a table with one entry per target
    /// (`aux`: the number of targets but the default in the low 32 bits, the target
    /// recorded in the high 32). The recorded target continues the trace; every other
    /// one is an exit of its own (resuming at that target), so each can grow a side
    /// trace, entered through the table.
    Switch: Refs, GUARD;
    /// The end of a trace that returns to the interpreter: an exit that is always taken
    /// (a link to the interpreter), with the snapshot of the state to resume.
    Exit: Aux, GUARD;
    /// The end of a trace that jumps into trace `aux` (a link): the snapshot's slots are
    /// written back, then the other trace runs from its loop header, or from its loop
    /// body's label when bit [`BODY`] of `aux` is set (see `jit::reentry`).
    Link: Aux, GUARD;
    /// A value a link into a loop body hands over (before its `Link`): `a` goes where the
    /// body expects its entry value `aux` (see `jit::reentry`).
    LinkArg: Refs, NOFOLD | KEEP;

    Add: Refs, COMM;
    Sub: Refs, 0;
    Mul: Refs, COMM;
    /// The high half of the double-width product, unsigned or signed (division by a
    /// constant).
    MulHiU: Refs, COMM;
    MulHiS: Refs, COMM;
    /// Integer division and remainder; their traps are separate guards.
    DivS: Refs, 0;
    DivU: Refs, 0;
    RemS: Refs, 0;
    RemU: Refs, 0;
    And: Refs, COMM;
    Or: Refs, COMM;
    Xor: Refs, COMM;
    Shl: Refs, 0;
    ShrS: Refs, 0;
    ShrU: Refs, 0;
    Rotl: Refs, 0;
    Rotr: Refs, 0;
    Clz: Refs, 0;
    Ctz: Refs, 0;
    Popcnt: Refs, 0;
    /// Sign-extends the low 8, 16 or 32 bits within the type.
    Ext8: Refs, 0;
    Ext16: Refs, 0;
    Ext32: Refs, 0;
    /// `a <cond> b` as 0 or 1 (i32).
    Cmp: CondRefs, 0;
    /// `if c != 0 { a } else { b }` with `c` in operand `c`.
    Select: Refs, 0;

    FDiv: Refs, 0;
    FMin: Refs, COMM;
    FMax: Refs, COMM;
    FCopysign: Refs, 0;
    FAbs: Refs, 0;
    FNeg: Refs, 0;
    FCeil: Refs, 0;
    FFloor: Refs, 0;
    FTrunc: Refs, 0;
    FNearest: Refs, 0;
    FSqrt: Refs, 0;

    /// i64 to i32.
    Wrap: Refs, 0;
    /// i32 to i64, sign- or zero-extending.
    ExtS: Refs, 0;
    ExtU: Refs, 0;
    /// Float to integer, saturating; `aux` 1 for unsigned. The trapping forms are a
    /// `TruncOk` guard followed by the saturating conversion.
    TruncSat: Aux, 0;
    /// Float to integer for a value a `TruncOk` guard has shown to be in range; `aux` 1
    /// for unsigned.
    Trunc: Aux, 0;
    /// Exit unless float `a` converts to an integer without trapping (`aux` bit 0:
    /// unsigned, bit 1: to i64).
    TruncOk: Aux, GUARD;
    /// Integer to float; `aux` 1 for unsigned.
    Convert: Aux, 0;
    /// f64 to f32 and back.
    Demote: Refs, 0;
    Promote: Refs, 0;
    /// The same bits in the other register class.
    Bitcast: Refs, 0;

    /// Exit unless `a <cond> b`.
    Guard: CondRefs, GUARD;
    /// Exit unless `a + aux <= memory length` (a is the zero-extended i32 address).
    /// Memory never shrinks, so a bound that held once holds for the rest of the trace.
    Bound: Aux, GUARD;

    /// Load from linear memory at `a + offset`.
    Load: MemRefs, LOAD;
    /// Store `b` to linear memory at `a + offset`.
    Store: MemRefs, EFFECT;
    /// Global `aux` (store index).
    GLoad: Aux, LOAD;
    GStore: Aux, EFFECT;
    /// Memory 0's size in pages.
    MemSize: Aux, LOAD;
    /// The value stack's slot `aux` (relative to the root frame) after a call wrote it.
    SlotLoad: Aux, LOAD;
    /// Stores `a` into slot `aux` of the value stack (arguments of a host call).
    SlotStore: Aux, EFFECT;
    /// Exit unless the engine's epoch (the `AtomicU64` at address `aux`) is below the
    /// store's deadline (in the trace's context): epoch interruption.
    Epoch: Aux, GUARD | NOFOLD;
    /// Fuel metering: `a` (the store's fuel left) less `aux` (an `i64`; negative gives
    /// fuel back), filled in when the run it charges closes, so never folded.
    FuelSub: Aux, NOFOLD;
    /// The store's fuel left, read again after a host call (which may have set it).
    FuelLoad: Aux, LOAD;
    /// Writes `a` as the store's fuel left, before a host call (which may read it).
    FuelStore: Aux, EFFECT;
    /// Profiling: adds 1 to the 64-bit counter at address `aux`.
    Count: Aux, NOFOLD | KEEP;
    /// Calls runtime helper `aux & 0xffff` with operands `a`, `b`, `c` and the immediate
    /// `aux >> 32`.
    Call: Call, EFFECT;
    /// Exit unless a `CallTrace` of a callee whose frame starts at slot `aux` fits: the
    /// native stack, the frame stack and the value stack have room for it. What it
    /// checks does not change while the trace runs (calls give back what they take, the
    /// value stack only grows), so one check serves a trace and its loop.
    CallCheck: Aux, GUARD;
    /// Runs function trace `aux & 0xffff_ffff` natively for a callee whose frame starts
    /// at slot `aux >> 32` (its arguments are there). If the callee exits, its exit is
    /// handled at once and this snapshot writes the caller's frames back (unwinding).
    CallTrace: Aux, GUARD | EFFECT;
    /// A megamorphic `call_indirect`: calls the function at table entry `a` (a store
    /// function + 1, as `TableGet` reads it) with its frame at slot `aux >> 32` (its
    /// arguments are there), which must have the type id in the low half of the constant
    /// `b`: natively when it has a function trace whose entry's key is `b` (that type,
    /// this trace's instance: see `entries`), through the interpreter otherwise. Unwinds
    /// like `CallTrace` when the callee exits or traps.
    CallAny: Aux, GUARD | EFFECT;
    /// Exit unless the trace runs called from another trace (`CallTrace`): a return
    /// from the root frame goes to the interpreter otherwise.
    Native: Aux, GUARD | NOFOLD;
    /// Returns to the calling trace (the results are in the frame's first slots).
    Ret: Aux, EFFECT;
}

/// The bit of a `Link`'s `aux` that makes it enter the loop body (past the pre-roll).
pub(crate) const BODY: u64 = 1 << 32;

/// One IR instruction.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) struct Ins {
    pub(crate) op: Op,
    pub(crate) ty: Ty,
    pub(crate) a: Ref,
    pub(crate) b: Ref,
    pub(crate) c: Ref,
    /// Constant bits, slot, condition, memory kind and offset, global or helper.
    pub(crate) aux: u64,
}

impl Ins {
    pub(crate) fn new(op: Op, ty: Ty, a: Ref, b: Ref, aux: u64) -> Ins {
        Ins {
            op,
            ty,
            a,
            b,
            c: Ref::NONE,
            aux,
        }
    }

    /// The operands that are set.
    pub(crate) fn operands(&self) -> impl Iterator<Item = Ref> + '_ {
        [self.a, self.b, self.c]
            .into_iter()
            .filter(|r| !r.is_none())
    }

    /// The instruction with each set operand `r` replaced by `map[r]` (a copy of it
    /// elsewhere: LOOP's body, a link's replay of a body entry).
    pub(crate) fn remapped(self, map: &[Ref]) -> Ins {
        let sub = |r: Ref| if r.is_none() { r } else { map[r.idx()] };
        Ins {
            a: sub(self.a),
            b: sub(self.b),
            c: sub(self.c),
            ..self
        }
    }

    /// The first slot of the callee's frame, for a native call (`CallTrace`, `CallAny`).
    pub(crate) fn callee_frame(&self) -> Option<u32> {
        matches!(self.op, Op::CallTrace | Op::CallAny).then_some((self.aux >> 32) as u32)
    }

    pub(crate) fn cond(&self) -> Cond {
        Cond::from_aux(self.aux)
    }
}

/// A frame the trace inlined, as an exit must rebuild it.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) struct SnapFrame {
    /// The callee's translation.
    pub(crate) func: *const crate::interp::CompiledFunc,
    /// Its base, in slots from the root frame's base.
    pub(crate) base: u32,
    /// The call instruction in the caller (the caller resumes after it).
    pub(crate) call_pc: *const crate::interp::Instr,
    pub(crate) instance: u32,
}

/// A snapshot's inlined frames: inline storage for the usual few.
pub(crate) type SnapFrames = smallvec::SmallVec<[SnapFrame; 2]>;

/// Interpreter state at a guard: resume at `pc` in the innermost of `frames` (the root
/// frame when empty), with `entries` (slot, value) written back, and the accumulator.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    pub(crate) pc: *const crate::interp::Instr,
    pub(crate) frames: SnapFrames,
    pub(crate) entries: Vec<(u32, Ref)>,
    pub(crate) acc: Ref,
    /// The IR position of the guard it belongs to.
    pub(crate) at: Ref,
    /// Fuel the trace has charged beyond what the interpreter would have by `pc`
    /// (charged ahead for the rest of a straight-line run): given back at the exit.
    pub(crate) fuel: i64,
    /// The guard is a conditional branch's, at `pc`: when it fails, the branch goes the
    /// other way, so a side trace from here needs no guard of its own on that branch.
    pub(crate) branch: bool,
    /// Some value is restored as the constant the guard's failure implies (see
    /// [`Snapshot::restore_as`]): the snapshot holds only at this guard's exit, so it must not
    /// stand for the interpreter state anywhere else.
    pub(crate) known: bool,
}

impl Snapshot {
    /// The slots a native call's snapshot leaves to memory: the callee's frame, from
    /// `base` up, where its results are when the call returns.
    pub(crate) fn leave_frame(&mut self, base: u32) {
        self.entries
            .retain(|&(slot, _)| slot < base || slot == super::fuel::FUEL_SLOT);
    }

    /// Restores constant `k` wherever the snapshot holds `r`: the guard exits only when
    /// `r` equals `k`, so `r` need not be kept alive for the exit.
    pub(crate) fn restore_as(&mut self, r: Ref, k: Ref) {
        for e in &mut self.entries {
            if e.1 == r {
                e.1 = k;
                self.known = true;
            }
        }
        if self.acc == r {
            self.acc = k;
            self.known = true;
        }
    }
}

#[cfg(test)]
impl Snapshot {
    /// A guard's snapshot with nothing to write back, for IR built by hand in tests.
    pub(crate) fn empty(at: Ref) -> Snapshot {
        Snapshot {
            pc: std::ptr::null(),
            frames: Default::default(),
            entries: Vec::new(),
            acc: Ref::NONE,
            at,
            fuel: 0,
            branch: false,
            known: false,
        }
    }
}

/// A fast, non-cryptographic hasher for the JIT's maps (keys are small integers and
/// references; no untrusted keys), after rustc's FxHasher.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// Why emission failed: a limit of the trace was reached.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IrFull {
    Instructions,
    Constants,
}

/// The IR of one trace under construction.
pub(crate) struct Ir<'a> {
    pub(crate) ins: BVec<'a, Ins>,
    consts: FxMap<(Ty, u64), Ref>,
    pub(crate) cse: Cse,
    pub(crate) snaps: Vec<Snapshot>,
    max_ins: usize,
    max_consts: usize,
    /// Bytes of linear memory 0 that every instance of the module has (its declared
    /// minimum): memory never shrinks, so accesses below this need no bounds check.
    pub(crate) mem_floor: u64,
    /// The latest bounds check of each address `base + k` (BOUNDS, `bounds::widen`).
    pub(crate) checks: FxMap<(Ref, u64), u32>,
    /// The largest value a guard has shown each i32 value to have (BOUNDS,
    /// `bounds::note_guard`).
    pub(crate) caps: FxMap<Ref, u64>,
}

impl<'a> Ir<'a> {
    pub(crate) fn new(arena: &'a Bump, max_ins: u32, max_consts: u32) -> Ir<'a> {
        Ir {
            ins: BVec::with_capacity_in(256, arena),
            consts: FxMap::default(),
            cse: Cse::default(),
            snaps: Vec::new(),
            max_ins: max_ins as usize,
            max_consts: max_consts as usize,
            mem_floor: 0,
            checks: FxMap::default(),
            caps: FxMap::default(),
        }
    }

    pub(crate) fn get(&self, r: Ref) -> &Ins {
        &self.ins[r.idx()]
    }

    pub(crate) fn len(&self) -> usize {
        self.ins.len()
    }

    pub(crate) fn ty(&self, r: Ref) -> Ty {
        self.ins[r.idx()].ty
    }

    /// The constant bits of `r`, if it is a constant.
    pub(crate) fn konst(&self, r: Ref) -> Option<u64> {
        let i = &self.ins[r.idx()];
        (i.op == Op::K).then_some(i.aux)
    }

    /// Appends without folding.
    pub(crate) fn push(&mut self, ins: Ins) -> Result<Ref, IrFull> {
        if self.ins.len() >= self.max_ins {
            return Err(IrFull::Instructions);
        }
        let r = Ref(self.ins.len() as u32);
        if ins.op.has(EFFECT) {
            self.cse.effect();
        }
        self.ins.push(ins);
        Ok(r)
    }

    /// The interned constant of type `ty` with bits `bits`.
    pub(crate) fn k(&mut self, ty: Ty, bits: u64) -> Result<Ref, IrFull> {
        let bits = ty.canon(bits);
        if let Some(&r) = self.consts.get(&(ty, bits)) {
            return Ok(r);
        }
        if self.consts.len() >= self.max_consts {
            return Err(IrFull::Constants);
        }
        let r = self.push(Ins::new(Op::K, ty, Ref::NONE, Ref::NONE, bits))?;
        self.consts.insert((ty, bits), r);
        Ok(r)
    }

    /// Emits `ins` through FOLD and CSE; returns the instruction that computes it.
    pub(crate) fn emit(&mut self, ins: Ins) -> Result<Ref, IrFull> {
        match fold::fold(self, ins)? {
            fold::Folded::Ref(r) => Ok(r),
            fold::Folded::Ins(ins) => {
                let r = cse::cse_or_push(self, ins)?;
                if ins.op == Op::Guard {
                    bounds::note_guard(self, r);
                }
                Ok(r)
            }
        }
    }

    /// [`Ir::emit`], when it appends an instruction: `None` when FOLD or CSE found an
    /// existing value (or nothing) computes it.
    pub(crate) fn emit_new(&mut self, ins: Ins) -> Result<Option<Ref>, IrFull> {
        let before = self.len();
        let r = self.emit(ins)?;
        Ok((!r.is_none() && r.idx() >= before).then_some(r))
    }

    /// `r` reinterpreted as `ty` (slots hold bits; untyped moves can change the view).
    /// `Err(None)` if there is no such view.
    pub(crate) fn convert(&mut self, r: Ref, ty: Ty) -> Result<Ref, Option<IrFull>> {
        let from = self.ty(r);
        if from == ty {
            return Ok(r);
        }
        let e =
            |ir: &mut Ir<'_>, op: Op, ty: Ty, a: Ref| ir.emit(Ins::new(op, ty, a, Ref::NONE, 0));
        let ir = self;
        Ok(match (from, ty) {
            (Ty::I64, Ty::I32) => e(ir, Op::Wrap, ty, r)?,
            (Ty::I32, Ty::I64) => e(ir, Op::ExtU, ty, r)?,
            (Ty::I64, Ty::F64) | (Ty::F64, Ty::I64) | (Ty::I32, Ty::F32) | (Ty::F32, Ty::I32) => {
                e(ir, Op::Bitcast, ty, r)?
            }
            (Ty::I64, Ty::F32) => {
                let w = e(ir, Op::Wrap, Ty::I32, r)?;
                e(ir, Op::Bitcast, ty, w)?
            }
            (Ty::F64, Ty::I32) => {
                let b = e(ir, Op::Bitcast, Ty::I64, r)?;
                e(ir, Op::Wrap, ty, b)?
            }
            (Ty::I32, Ty::F64) => {
                let x = e(ir, Op::ExtU, Ty::I64, r)?;
                e(ir, Op::Bitcast, ty, x)?
            }
            (Ty::F32, Ty::I64) => {
                let b = e(ir, Op::Bitcast, Ty::I32, r)?;
                e(ir, Op::ExtU, ty, b)?
            }
            (Ty::F32, Ty::F64) => {
                let b = e(ir, Op::Bitcast, Ty::I32, r)?;
                let x = e(ir, Op::ExtU, Ty::I64, b)?;
                e(ir, Op::Bitcast, ty, x)?
            }
            (Ty::F64, Ty::F32) => {
                let b = e(ir, Op::Bitcast, Ty::I64, r)?;
                let w = e(ir, Op::Wrap, Ty::I32, b)?;
                e(ir, Op::Bitcast, ty, w)?
            }
            _ => return Err(None),
        })
    }
}

/// Formats one instruction: `0012 i32 Add 0010 0011`.
pub(crate) fn format_ins(r: Ref, ins: &Ins, konst: &dyn Fn(Ref) -> Option<u64>) -> String {
    let opnd = |x: Ref| -> String {
        match konst(x) {
            Some(bits) if !x.is_none() => format!("#{}", bits as i64),
            _ => x.to_string(),
        }
    };
    let head = format!("{r} {} {:<9}", ins.ty.name(), ins.op.name());
    let refs: Vec<String> = ins.operands().map(opnd).collect();
    let tail = match ins.op.mode() {
        Mode::Aux => match ins.op {
            Op::K => format!("#{}", ins.aux as i64),
            Op::Sload if ins.aux == u64::from(super::fuel::FUEL_SLOT) => "fuel".to_string(),
            Op::Sload | Op::SlotLoad | Op::SlotStore => {
                format!("{} s{}", refs.join(" "), ins.aux)
            }
            Op::FuelSub => format!("{} -{}", refs.join(" "), ins.aux as i64),
            Op::Parent => match super::asm::Loc::from_bits(ins.aux) {
                super::asm::Loc::Gpr(g) => format!("r{g}"),
                super::asm::Loc::Fpr(x) => format!("x{x}"),
                super::asm::Loc::Spill(i) => format!("[{i}]"),
                super::asm::Loc::None => String::new(),
            },
            Op::Link if ins.aux & BODY != 0 => format!("-> {} body", ins.aux as u32),
            Op::Link => format!("-> {}", ins.aux),
            Op::CallCheck => format!("s{}", ins.aux),
            Op::CallTrace => match ins.aux as u32 {
                super::record::SELF => format!("self s{}", ins.aux >> 32),
                n => format!("{n} s{}", ins.aux >> 32),
            },
            Op::CallAny => format!("{} s{}", refs.join(" "), ins.aux >> 32),
            Op::GLoad | Op::GStore => format!("{} g{}", refs.join(" "), ins.aux),
            Op::Bound => format!("{} +{}", refs.join(" "), ins.aux),
            Op::TruncSat | Op::Trunc | Op::TruncOk | Op::Convert => {
                let sign = if ins.aux & 1 == 1 { "u" } else { "s" };
                format!("{} {sign}", refs.join(" "))
            }
            _ => refs.join(" "),
        },
        Mode::Refs if ins.op == Op::Switch => format!(
            "{} [{} targets, recorded {}]",
            refs.join(" "),
            (ins.aux as u32) + 1,
            ins.aux >> 32
        ),
        Mode::Refs if ins.op == Op::LinkArg => format!("{} @{}", refs.join(" "), ins.aux),
        Mode::Refs => refs.join(" "),
        Mode::CondRefs => format!("{} {}", ins.cond().name(), refs.join(" ")),
        Mode::MemRefs => {
            let (m, off) = Mem::of_aux(ins.aux);
            format!("{} {} +{off}", m.name(), refs.join(" "))
        }
        Mode::Call if ins.aux & 0xffff == super::helpers::Helper::HostCall as u64 => {
            // The operand packs the arguments' slot and the counts (`host_operand`).
            let a = konst(ins.a).unwrap_or(0);
            let (params, results) = super::helpers::host_counts(a);
            let f = ins.aux >> 32;
            format!("HostCall s{} ({params} -> {results}) func {f}", a as u32)
        }
        Mode::Call => format!(
            "{} {} #{}",
            super::helpers::name(ins.aux),
            refs.join(" "),
            ins.aux >> 32
        ),
    };
    format!("{head} {tail}").trim_end().to_string()
}

//! The slot bytecode: what `translate` produces and `exec` runs.
//!
//! A register machine in the style of LuaJIT's bytecode and wasmi's IR. Every operand is a
//! [`Slot`], an offset from the frame base into the value stack (one 64-bit slot per value:
//! i32 zero-extended, floats as their bits, references as `index + 1` with 0 for null).
//! The frame is `[params | locals | operand stack]`; operand-stack heights are static, so
//! temporaries have fixed slots. Branch targets are resolved at translation time to
//! offsets relative to the branch instruction. Every instruction is 16 bytes.
//!
//! Naming: `Imm` variants take a constant right operand (sign-extended `i32`), `Br*`
//! variants are a comparison fused with a conditional branch.

use std::fmt;

/// A value-stack slot, relative to the frame base.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Slot(pub(crate) u32);

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A loop header's hot counter, addressed directly so that counting costs one load.
#[derive(Clone, Copy, PartialEq)]
pub(crate) struct CounterRef(pub(crate) *const std::sync::atomic::AtomicU32);

// SAFETY: the pointer targets an element of the owning `CompiledFunc`'s `loop_counters`,
// a heap array that lives (unmoved) as long as the code holding the pointer; the
// counters are atomics, safe to use from any thread.
unsafe impl Send for CounterRef {}
// SAFETY: as above.
unsafe impl Sync for CounterRef {}

impl fmt::Debug for CounterRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The address is not part of the program: dumps stay deterministic.
        f.write_str("ctr")
    }
}

/// A branch offset in instructions, relative to the branch instruction itself.
pub(crate) type Off = i32;

/// Defines [`Instr`] from one list of variants and derives its helpers from the field
/// names: `dst_mut` (the slot a producer writes, so the translator can
/// retarget it) and `branch_offset_mut` (so forward branches can be patched); the
/// variants after the `;` are the accumulator forms `reads_acc` reports.
macro_rules! define_instr {
    (
        $( $(#[$meta:meta])* $name:ident $({ $($field:ident : $ty:ty),* $(,)? })? ,)*
        ;
        $( $(#[$ameta:meta])* $aname:ident $({ $($afield:ident : $aty:ty),* $(,)? })? ,)*
    ) => {
        define_instr! {
            @all
            $( $(#[$meta])* $name $({ $($field: $ty),* })?, )*
            $( $(#[$ameta])* $aname $({ $($afield: $aty),* })?, )*
        }

        impl Instr {
            /// Whether the instruction reads the accumulator (the forms listed after the
            /// `;`).
            pub(crate) fn reads_acc(&self) -> bool {
                matches!(self, $( Instr::$aname { .. } )|*)
            }
        }
    };
    (@all $( $(#[$meta:meta])* $name:ident $({ $($field:ident : $ty:ty),* $(,)? })? ,)*) => {
        /// One bytecode instruction.
        #[derive(Clone, Copy, PartialEq, Debug)]
        pub(crate) enum Instr {
            $( $(#[$meta])* $name $({ $($field: $ty),* })?, )*
        }

        impl Instr {
            /// The result slot of an instruction that writes exactly one (`dst`).
            #[allow(unused_variables, reason = "only the `dst` binding is used")]
            pub(crate) fn dst_mut(&mut self) -> Option<&mut Slot> {
                match self {
                    $( Instr::$name $({ $($field),* })? => pick_field!(dst; $($($field = $field),*)?), )*
                }
            }

            /// Calls `f` with each slot the instruction names as an operand: every `Slot`
            /// field but `dst`. The first slot of a range (`args`, `ReturnMany`'s `src`)
            /// is reported alone, and `Select` also reads its `dst`: widening those is the
            /// caller's business (see `liveness`).
            #[allow(unused_variables, reason = "fields that are not slots are skipped")]
            pub(crate) fn for_each_operand(&self, mut f: impl FnMut(Slot)) {
                match *self {
                    $( Instr::$name $({ $($field),* })? => { $($( operand!($field, f); )*)? } )*
                }
            }

            /// The branch offset of a branch instruction.
            #[allow(unused_variables, reason = "only the `off` binding is used")]
            pub(crate) fn branch_offset_mut(&mut self) -> Option<&mut Off> {
                match self {
                    $( Instr::$name $({ $($field),* })? => pick_field!(off; $($($field = $field),*)?), )*
                }
            }
        }
    };
}

/// Reports field `$x` to `$f` if it is a slot operand (`dst` is the result, not an operand).
macro_rules! operand {
    (dst, $f:ident) => {};
    ($x:ident, $f:ident) => {
        if let Some(s) = Field::as_slot(&$x) {
            $f(s)
        }
    };
}

/// An instruction field, seen as a possible slot operand.
trait Field {
    fn as_slot(&self) -> Option<Slot> {
        None
    }
}

impl Field for Slot {
    fn as_slot(&self) -> Option<Slot> {
        Some(*self)
    }
}
impl Field for u16 {}
impl Field for u32 {}
impl Field for i32 {}
impl Field for u64 {}
impl Field for CounterRef {}

/// `Some(binding)` of the field called `$want` among `field = binding` pairs, else `None`.
macro_rules! pick_field {
    ($want:ident;) => { None };
    (dst; dst = $v:ident $(, $k:ident = $w:ident)*) => { Some($v) };
    (off; off = $v:ident $(, $k:ident = $w:ident)*) => { Some($v) };
    ($want:ident; $k0:ident = $v0:ident $(, $k:ident = $w:ident)*) => { pick_field!($want; $($k = $w),*) };
}

define_instr! {
    // ---- control ----
    Unreachable,
    /// Never in a function's code: where a call whose callee's entry counter expired
    /// continues (see `exec`), so the JIT's entry handling sits in one place.
    EntryHot,
    /// Loop header: counts iterations toward recording a trace (only emitted with the JIT on).
    /// `counter` is loop `id`'s hot counter in the function's `loop_counters`.
    Loop { id: u32, counter: CounterRef },
    /// Epoch interruption (only with `Config::epoch_interruption`, at loop headers; calls
    /// check in `CallEpoch`): traps with `Interrupt` once the engine's epoch has reached
    /// the store's deadline.
    Epoch,
    /// Fuel metering (only with `Config::consume_fuel`), first in each straight-line run
    /// of code: charges the run's `cost` (the sum of its operators' costs), or traps with
    /// `OutOfFuel`, consuming nothing, when less fuel is left.
    Fuel { cost: u32 },
    /// Profiling (only with `Config::collect_profile`): function `func` (module index
    /// space) was entered; counts the call and notes where time goes.
    ProfEnter { func: u32 },
    /// Profiling: a loop of function `func` starts an iteration (after its `Loop`).
    ProfLoop { func: u32 },
    /// Profiling: a call made by function `func` returned to it.
    ProfResume { func: u32 },
    /// Profiling: the `call_indirect` that follows, the running function's site number
    /// `site`, is about to call table `table`'s entry at `index`; counts the target.
    ProfIndirect { index: Slot, table: u16, site: u32 },
    Br { off: Off },
    BrIfNez { c: Slot, off: Off },
    BrIfEqz { c: Slot, off: Off },
    BrI64Eqz { c: Slot, off: Off },
    /// Jumps to the `min(index, len)`-th of the `len + 1` `Br` instructions that follow.
    BrTable { index: Slot, len: u32 },
    BrI32Eq { a: Slot, b: Slot, off: Off },
    BrI32Ne { a: Slot, b: Slot, off: Off },
    BrI32LtS { a: Slot, b: Slot, off: Off },
    BrI32LtU { a: Slot, b: Slot, off: Off },
    BrI32LeS { a: Slot, b: Slot, off: Off },
    BrI32LeU { a: Slot, b: Slot, off: Off },
    BrI32GtS { a: Slot, b: Slot, off: Off },
    BrI32GtU { a: Slot, b: Slot, off: Off },
    BrI32GeS { a: Slot, b: Slot, off: Off },
    BrI32GeU { a: Slot, b: Slot, off: Off },
    BrI32EqImm { a: Slot, imm: i32, off: Off },
    BrI32NeImm { a: Slot, imm: i32, off: Off },
    BrI32LtSImm { a: Slot, imm: i32, off: Off },
    BrI32LtUImm { a: Slot, imm: i32, off: Off },
    BrI32LeSImm { a: Slot, imm: i32, off: Off },
    BrI32LeUImm { a: Slot, imm: i32, off: Off },
    BrI32GtSImm { a: Slot, imm: i32, off: Off },
    BrI32GtUImm { a: Slot, imm: i32, off: Off },
    BrI32GeSImm { a: Slot, imm: i32, off: Off },
    BrI32GeUImm { a: Slot, imm: i32, off: Off },
    BrI64Eq { a: Slot, b: Slot, off: Off },
    BrI64Ne { a: Slot, b: Slot, off: Off },
    BrI64LtS { a: Slot, b: Slot, off: Off },
    BrI64LtU { a: Slot, b: Slot, off: Off },
    BrI64LeS { a: Slot, b: Slot, off: Off },
    BrI64LeU { a: Slot, b: Slot, off: Off },
    BrI64GtS { a: Slot, b: Slot, off: Off },
    BrI64GtU { a: Slot, b: Slot, off: Off },
    BrI64GeS { a: Slot, b: Slot, off: Off },
    BrI64GeU { a: Slot, b: Slot, off: Off },
    BrI64EqImm { a: Slot, imm: i32, off: Off },
    BrI64NeImm { a: Slot, imm: i32, off: Off },
    BrI64LtSImm { a: Slot, imm: i32, off: Off },
    BrI64LtUImm { a: Slot, imm: i32, off: Off },
    BrI64LeSImm { a: Slot, imm: i32, off: Off },
    BrI64LeUImm { a: Slot, imm: i32, off: Off },
    BrI64GtSImm { a: Slot, imm: i32, off: Off },
    BrI64GtUImm { a: Slot, imm: i32, off: Off },
    BrI64GeSImm { a: Slot, imm: i32, off: Off },
    BrI64GeUImm { a: Slot, imm: i32, off: Off },
    /// Branch on a bit test: `a & b` (or `a & imm`) nonzero / zero.
    BrI32AndNez { a: Slot, b: Slot, off: Off },
    BrI32AndEqz { a: Slot, b: Slot, off: Off },
    BrI32AndImmNez { a: Slot, imm: i32, off: Off },
    BrI32AndImmEqz { a: Slot, imm: i32, off: Off },
    BrF32Eq { a: Slot, b: Slot, off: Off },
    BrF32Ne { a: Slot, b: Slot, off: Off },
    BrF32Lt { a: Slot, b: Slot, off: Off },
    BrF32Gt { a: Slot, b: Slot, off: Off },
    BrF32Le { a: Slot, b: Slot, off: Off },
    BrF32Ge { a: Slot, b: Slot, off: Off },
    BrF32NotLt { a: Slot, b: Slot, off: Off },
    BrF32NotGt { a: Slot, b: Slot, off: Off },
    BrF32NotLe { a: Slot, b: Slot, off: Off },
    BrF32NotGe { a: Slot, b: Slot, off: Off },
    BrF64Eq { a: Slot, b: Slot, off: Off },
    BrF64Ne { a: Slot, b: Slot, off: Off },
    BrF64Lt { a: Slot, b: Slot, off: Off },
    BrF64Gt { a: Slot, b: Slot, off: Off },
    BrF64Le { a: Slot, b: Slot, off: Off },
    BrF64Ge { a: Slot, b: Slot, off: Off },
    BrF64NotLt { a: Slot, b: Slot, off: Off },
    BrF64NotGt { a: Slot, b: Slot, off: Off },
    BrF64NotLe { a: Slot, b: Slot, off: Off },
    BrF64NotGe { a: Slot, b: Slot, off: Off },
    Return,
    ReturnSlot { src: Slot },
    ReturnImm { bits: u64 },
    /// Returns the `n` values starting at `src` (moved to the frame base).
    ReturnMany { src: Slot, n: u32 },
    /// Calls defined function `func`; arguments start at `args`, results replace them.
    Call { func: u32, args: Slot },
    /// Calls imported function `func` (module index space).
    CallImport { func: u32, args: Slot },
    /// Calls through table `table` the function at `index`, which must have type `ty`.
    CallIndirect { index: Slot, args: Slot, ty: u32, table: u16 },
    /// `Call` and `CallIndirect` with an `Epoch` check first (`Config::epoch_interruption`):
    /// with the checks at loop headers, every unbounded execution meets one.
    CallEpoch { func: u32, args: Slot },
    CallIndirectEpoch { index: Slot, args: Slot, ty: u32, table: u16 },

    // ---- moves ----
    Copy { dst: Slot, src: Slot },
    Const32 { dst: Slot, val: u32 },
    Const64 { dst: Slot, val: u64 },
    /// `dst = if c != 0 { dst } else { b }`: `dst` holds the first operand.
    Select { dst: Slot, b: Slot, c: Slot },
    GlobalGet { dst: Slot, global: u32 },
    GlobalSet { src: Slot, global: u32 },

    // ---- memory ----
    I32Load { dst: Slot, addr: Slot, offset: u32 },
    I64Load { dst: Slot, addr: Slot, offset: u32 },
    F32Load { dst: Slot, addr: Slot, offset: u32 },
    F64Load { dst: Slot, addr: Slot, offset: u32 },
    I32Load8S { dst: Slot, addr: Slot, offset: u32 },
    I32Load8U { dst: Slot, addr: Slot, offset: u32 },
    I32Load16S { dst: Slot, addr: Slot, offset: u32 },
    I32Load16U { dst: Slot, addr: Slot, offset: u32 },
    I64Load8S { dst: Slot, addr: Slot, offset: u32 },
    I64Load8U { dst: Slot, addr: Slot, offset: u32 },
    I64Load16S { dst: Slot, addr: Slot, offset: u32 },
    I64Load16U { dst: Slot, addr: Slot, offset: u32 },
    I64Load32S { dst: Slot, addr: Slot, offset: u32 },
    I64Load32U { dst: Slot, addr: Slot, offset: u32 },
    I32Store { addr: Slot, val: Slot, offset: u32 },
    I64Store { addr: Slot, val: Slot, offset: u32 },
    F32Store { addr: Slot, val: Slot, offset: u32 },
    F64Store { addr: Slot, val: Slot, offset: u32 },
    I32Store8 { addr: Slot, val: Slot, offset: u32 },
    I32Store16 { addr: Slot, val: Slot, offset: u32 },
    I64Store8 { addr: Slot, val: Slot, offset: u32 },
    I64Store16 { addr: Slot, val: Slot, offset: u32 },
    I64Store32 { addr: Slot, val: Slot, offset: u32 },
    MemorySize { dst: Slot },
    MemoryGrow { dst: Slot, delta: Slot },
    /// Operands `[dst, val, len]` start at `args`.
    MemoryFill { args: Slot },
    /// Operands `[dst, src, len]` start at `args`.
    MemoryCopy { args: Slot },
    /// Operands `[dst, src, len]` start at `args`.
    MemoryInit { seg: u32, args: Slot },
    DataDrop { seg: u32 },

    // ---- tables and references ----
    TableGet { dst: Slot, table: u32, index: Slot },
    TableSet { table: u32, index: Slot, val: Slot },
    TableSize { dst: Slot, table: u32 },
    /// Operands `[init, delta]` start at `args`; the result replaces `init`.
    TableGrow { table: u32, args: Slot },
    /// Operands `[index, val, len]` start at `args`.
    TableFill { table: u32, args: Slot },
    /// Operands `[dst, src, len]` start at `args`.
    TableCopy { dst_table: u32, src_table: u32, args: Slot },
    /// Operands `[dst, src, len]` start at `args`.
    TableInit { table: u32, seg: u32, args: Slot },
    ElemDrop { seg: u32 },
    RefFunc { dst: Slot, func: u32 },
    RefIsNull { dst: Slot, src: Slot },

    // ---- i32 ----
    I32Add { dst: Slot, a: Slot, b: Slot },
    I32Sub { dst: Slot, a: Slot, b: Slot },
    I32Mul { dst: Slot, a: Slot, b: Slot },
    I32DivS { dst: Slot, a: Slot, b: Slot },
    I32DivU { dst: Slot, a: Slot, b: Slot },
    I32RemS { dst: Slot, a: Slot, b: Slot },
    I32RemU { dst: Slot, a: Slot, b: Slot },
    I32And { dst: Slot, a: Slot, b: Slot },
    I32Or { dst: Slot, a: Slot, b: Slot },
    I32Xor { dst: Slot, a: Slot, b: Slot },
    I32Shl { dst: Slot, a: Slot, b: Slot },
    I32ShrS { dst: Slot, a: Slot, b: Slot },
    I32ShrU { dst: Slot, a: Slot, b: Slot },
    I32Rotl { dst: Slot, a: Slot, b: Slot },
    I32Rotr { dst: Slot, a: Slot, b: Slot },
    I32Eq { dst: Slot, a: Slot, b: Slot },
    I32Ne { dst: Slot, a: Slot, b: Slot },
    I32LtS { dst: Slot, a: Slot, b: Slot },
    I32LtU { dst: Slot, a: Slot, b: Slot },
    I32GtS { dst: Slot, a: Slot, b: Slot },
    I32GtU { dst: Slot, a: Slot, b: Slot },
    I32LeS { dst: Slot, a: Slot, b: Slot },
    I32LeU { dst: Slot, a: Slot, b: Slot },
    I32GeS { dst: Slot, a: Slot, b: Slot },
    I32GeU { dst: Slot, a: Slot, b: Slot },
    I32AddImm { dst: Slot, a: Slot, imm: i32 },
    I32MulImm { dst: Slot, a: Slot, imm: i32 },
    I32AndImm { dst: Slot, a: Slot, imm: i32 },
    I32OrImm { dst: Slot, a: Slot, imm: i32 },
    I32XorImm { dst: Slot, a: Slot, imm: i32 },
    I32ShlImm { dst: Slot, a: Slot, imm: i32 },
    I32ShrSImm { dst: Slot, a: Slot, imm: i32 },
    I32ShrUImm { dst: Slot, a: Slot, imm: i32 },
    I32RotlImm { dst: Slot, a: Slot, imm: i32 },
    I32EqImm { dst: Slot, a: Slot, imm: i32 },
    I32NeImm { dst: Slot, a: Slot, imm: i32 },
    I32LtSImm { dst: Slot, a: Slot, imm: i32 },
    I32LtUImm { dst: Slot, a: Slot, imm: i32 },
    I32GtSImm { dst: Slot, a: Slot, imm: i32 },
    I32GtUImm { dst: Slot, a: Slot, imm: i32 },
    I32LeSImm { dst: Slot, a: Slot, imm: i32 },
    I32LeUImm { dst: Slot, a: Slot, imm: i32 },
    I32GeSImm { dst: Slot, a: Slot, imm: i32 },
    I32GeUImm { dst: Slot, a: Slot, imm: i32 },
    /// `imm - a`.
    I32SubImmRev { dst: Slot, a: Slot, imm: i32 },
    I32Clz { dst: Slot, src: Slot },
    I32Ctz { dst: Slot, src: Slot },
    I32Popcnt { dst: Slot, src: Slot },
    I32Eqz { dst: Slot, src: Slot },
    I32Extend8S { dst: Slot, src: Slot },
    I32Extend16S { dst: Slot, src: Slot },

    // ---- i64 ----
    I64Add { dst: Slot, a: Slot, b: Slot },
    I64Sub { dst: Slot, a: Slot, b: Slot },
    I64Mul { dst: Slot, a: Slot, b: Slot },
    I64DivS { dst: Slot, a: Slot, b: Slot },
    I64DivU { dst: Slot, a: Slot, b: Slot },
    I64RemS { dst: Slot, a: Slot, b: Slot },
    I64RemU { dst: Slot, a: Slot, b: Slot },
    I64And { dst: Slot, a: Slot, b: Slot },
    I64Or { dst: Slot, a: Slot, b: Slot },
    I64Xor { dst: Slot, a: Slot, b: Slot },
    I64Shl { dst: Slot, a: Slot, b: Slot },
    I64ShrS { dst: Slot, a: Slot, b: Slot },
    I64ShrU { dst: Slot, a: Slot, b: Slot },
    I64Rotl { dst: Slot, a: Slot, b: Slot },
    I64Rotr { dst: Slot, a: Slot, b: Slot },
    I64Eq { dst: Slot, a: Slot, b: Slot },
    I64Ne { dst: Slot, a: Slot, b: Slot },
    I64LtS { dst: Slot, a: Slot, b: Slot },
    I64LtU { dst: Slot, a: Slot, b: Slot },
    I64GtS { dst: Slot, a: Slot, b: Slot },
    I64GtU { dst: Slot, a: Slot, b: Slot },
    I64LeS { dst: Slot, a: Slot, b: Slot },
    I64LeU { dst: Slot, a: Slot, b: Slot },
    I64GeS { dst: Slot, a: Slot, b: Slot },
    I64GeU { dst: Slot, a: Slot, b: Slot },
    I64AddImm { dst: Slot, a: Slot, imm: i32 },
    I64MulImm { dst: Slot, a: Slot, imm: i32 },
    I64AndImm { dst: Slot, a: Slot, imm: i32 },
    I64OrImm { dst: Slot, a: Slot, imm: i32 },
    I64XorImm { dst: Slot, a: Slot, imm: i32 },
    I64ShlImm { dst: Slot, a: Slot, imm: i32 },
    I64ShrSImm { dst: Slot, a: Slot, imm: i32 },
    I64ShrUImm { dst: Slot, a: Slot, imm: i32 },
    I64RotlImm { dst: Slot, a: Slot, imm: i32 },
    I64EqImm { dst: Slot, a: Slot, imm: i32 },
    I64NeImm { dst: Slot, a: Slot, imm: i32 },
    I64LtSImm { dst: Slot, a: Slot, imm: i32 },
    I64LtUImm { dst: Slot, a: Slot, imm: i32 },
    I64GtSImm { dst: Slot, a: Slot, imm: i32 },
    I64GtUImm { dst: Slot, a: Slot, imm: i32 },
    I64LeSImm { dst: Slot, a: Slot, imm: i32 },
    I64LeUImm { dst: Slot, a: Slot, imm: i32 },
    I64GeSImm { dst: Slot, a: Slot, imm: i32 },
    I64GeUImm { dst: Slot, a: Slot, imm: i32 },
    /// `imm - a`.
    I64SubImmRev { dst: Slot, a: Slot, imm: i32 },
    I64Clz { dst: Slot, src: Slot },
    I64Ctz { dst: Slot, src: Slot },
    I64Popcnt { dst: Slot, src: Slot },
    I64Eqz { dst: Slot, src: Slot },
    I64Extend8S { dst: Slot, src: Slot },
    I64Extend16S { dst: Slot, src: Slot },
    I64Extend32S { dst: Slot, src: Slot },

    // ---- f32 / f64 ----
    F32Add { dst: Slot, a: Slot, b: Slot },
    F32Sub { dst: Slot, a: Slot, b: Slot },
    F32Mul { dst: Slot, a: Slot, b: Slot },
    F32Div { dst: Slot, a: Slot, b: Slot },
    F32Min { dst: Slot, a: Slot, b: Slot },
    F32Max { dst: Slot, a: Slot, b: Slot },
    F32Copysign { dst: Slot, a: Slot, b: Slot },
    F32Eq { dst: Slot, a: Slot, b: Slot },
    F32Ne { dst: Slot, a: Slot, b: Slot },
    F32Lt { dst: Slot, a: Slot, b: Slot },
    F32Gt { dst: Slot, a: Slot, b: Slot },
    F32Le { dst: Slot, a: Slot, b: Slot },
    F32Ge { dst: Slot, a: Slot, b: Slot },
    F32Abs { dst: Slot, src: Slot },
    F32Neg { dst: Slot, src: Slot },
    F32Ceil { dst: Slot, src: Slot },
    F32Floor { dst: Slot, src: Slot },
    F32Trunc { dst: Slot, src: Slot },
    F32Nearest { dst: Slot, src: Slot },
    F32Sqrt { dst: Slot, src: Slot },
    F64Add { dst: Slot, a: Slot, b: Slot },
    F64Sub { dst: Slot, a: Slot, b: Slot },
    F64Mul { dst: Slot, a: Slot, b: Slot },
    F64Div { dst: Slot, a: Slot, b: Slot },
    F64Min { dst: Slot, a: Slot, b: Slot },
    F64Max { dst: Slot, a: Slot, b: Slot },
    F64Copysign { dst: Slot, a: Slot, b: Slot },
    F64Eq { dst: Slot, a: Slot, b: Slot },
    F64Ne { dst: Slot, a: Slot, b: Slot },
    F64Lt { dst: Slot, a: Slot, b: Slot },
    F64Gt { dst: Slot, a: Slot, b: Slot },
    F64Le { dst: Slot, a: Slot, b: Slot },
    F64Ge { dst: Slot, a: Slot, b: Slot },
    F64Abs { dst: Slot, src: Slot },
    F64Neg { dst: Slot, src: Slot },
    F64Ceil { dst: Slot, src: Slot },
    F64Floor { dst: Slot, src: Slot },
    F64Trunc { dst: Slot, src: Slot },
    F64Nearest { dst: Slot, src: Slot },
    F64Sqrt { dst: Slot, src: Slot },

    // ---- conversions ----
    I32WrapI64 { dst: Slot, src: Slot },
    I64ExtendI32S { dst: Slot, src: Slot },
    I64ExtendI32U { dst: Slot, src: Slot },
    I32TruncF32S { dst: Slot, src: Slot },
    I32TruncF32U { dst: Slot, src: Slot },
    I32TruncF64S { dst: Slot, src: Slot },
    I32TruncF64U { dst: Slot, src: Slot },
    I64TruncF32S { dst: Slot, src: Slot },
    I64TruncF32U { dst: Slot, src: Slot },
    I64TruncF64S { dst: Slot, src: Slot },
    I64TruncF64U { dst: Slot, src: Slot },
    I32TruncSatF32S { dst: Slot, src: Slot },
    I32TruncSatF32U { dst: Slot, src: Slot },
    I32TruncSatF64S { dst: Slot, src: Slot },
    I32TruncSatF64U { dst: Slot, src: Slot },
    I64TruncSatF32S { dst: Slot, src: Slot },
    I64TruncSatF32U { dst: Slot, src: Slot },
    I64TruncSatF64S { dst: Slot, src: Slot },
    I64TruncSatF64U { dst: Slot, src: Slot },
    F32ConvertI32S { dst: Slot, src: Slot },
    F32ConvertI32U { dst: Slot, src: Slot },
    F32ConvertI64S { dst: Slot, src: Slot },
    F32ConvertI64U { dst: Slot, src: Slot },
    F64ConvertI32S { dst: Slot, src: Slot },
    F64ConvertI32U { dst: Slot, src: Slot },
    F64ConvertI64S { dst: Slot, src: Slot },
    F64ConvertI64U { dst: Slot, src: Slot },
    F32DemoteF64 { dst: Slot, src: Slot },
    F64PromoteF32 { dst: Slot, src: Slot },

    // ---- accumulator forms: the operand named by the `A` is the previous instruction's
    // result, read from the interpreter's accumulator register instead of its slot;
    // `reads_acc` is true for the variants after the `;` ----
    ;
    I32AddA { dst: Slot, b: Slot },
    I32SubA { dst: Slot, b: Slot },
    I32MulA { dst: Slot, b: Slot },
    I32AndA { dst: Slot, b: Slot },
    I32OrA { dst: Slot, b: Slot },
    I32XorA { dst: Slot, b: Slot },
    I32ShlA { dst: Slot, b: Slot },
    I32ShrSA { dst: Slot, b: Slot },
    I32ShrUA { dst: Slot, b: Slot },
    I64AddA { dst: Slot, b: Slot },
    I64SubA { dst: Slot, b: Slot },
    I64MulA { dst: Slot, b: Slot },
    I64AndA { dst: Slot, b: Slot },
    I64OrA { dst: Slot, b: Slot },
    I64XorA { dst: Slot, b: Slot },
    I64ShlA { dst: Slot, b: Slot },
    I64ShrSA { dst: Slot, b: Slot },
    I64ShrUA { dst: Slot, b: Slot },
    F32AddA { dst: Slot, b: Slot },
    F32SubA { dst: Slot, b: Slot },
    F32MulA { dst: Slot, b: Slot },
    F32DivA { dst: Slot, b: Slot },
    F64AddA { dst: Slot, b: Slot },
    F64SubA { dst: Slot, b: Slot },
    F64MulA { dst: Slot, b: Slot },
    F64DivA { dst: Slot, b: Slot },
    I32AddImmA { dst: Slot, imm: i32 },
    I32MulImmA { dst: Slot, imm: i32 },
    I32AndImmA { dst: Slot, imm: i32 },
    I32OrImmA { dst: Slot, imm: i32 },
    I32XorImmA { dst: Slot, imm: i32 },
    I32ShlImmA { dst: Slot, imm: i32 },
    I32ShrSImmA { dst: Slot, imm: i32 },
    I32ShrUImmA { dst: Slot, imm: i32 },
    I32RotlImmA { dst: Slot, imm: i32 },
    I32EqImmA { dst: Slot, imm: i32 },
    I32NeImmA { dst: Slot, imm: i32 },
    I32LtSImmA { dst: Slot, imm: i32 },
    I32LtUImmA { dst: Slot, imm: i32 },
    I32GtSImmA { dst: Slot, imm: i32 },
    I32GtUImmA { dst: Slot, imm: i32 },
    I32LeSImmA { dst: Slot, imm: i32 },
    I32LeUImmA { dst: Slot, imm: i32 },
    I32GeSImmA { dst: Slot, imm: i32 },
    I32GeUImmA { dst: Slot, imm: i32 },
    I64AddImmA { dst: Slot, imm: i32 },
    I64MulImmA { dst: Slot, imm: i32 },
    I64AndImmA { dst: Slot, imm: i32 },
    I64OrImmA { dst: Slot, imm: i32 },
    I64XorImmA { dst: Slot, imm: i32 },
    I64ShlImmA { dst: Slot, imm: i32 },
    I64ShrSImmA { dst: Slot, imm: i32 },
    I64ShrUImmA { dst: Slot, imm: i32 },
    I64RotlImmA { dst: Slot, imm: i32 },
    I32LoadA { dst: Slot, offset: u32 },
    I64LoadA { dst: Slot, offset: u32 },
    F32LoadA { dst: Slot, offset: u32 },
    F64LoadA { dst: Slot, offset: u32 },
    I32Load8SA { dst: Slot, offset: u32 },
    I32Load8UA { dst: Slot, offset: u32 },
    I32Load16SA { dst: Slot, offset: u32 },
    I32Load16UA { dst: Slot, offset: u32 },
    I32StoreA { addr: Slot, offset: u32 },
    I64StoreA { addr: Slot, offset: u32 },
    F32StoreA { addr: Slot, offset: u32 },
    F64StoreA { addr: Slot, offset: u32 },
    I32Store8A { addr: Slot, offset: u32 },
    I32Store16A { addr: Slot, offset: u32 },
    I32EqzA { dst: Slot },
    I64EqzA { dst: Slot },
    I32WrapI64A { dst: Slot },
    I64ExtendI32SA { dst: Slot },
    I64ExtendI32UA { dst: Slot },
    F64ConvertI32SA { dst: Slot },
    F64ConvertI32UA { dst: Slot },
    F64PromoteF32A { dst: Slot },
    F32DemoteF64A { dst: Slot },
    BrI32EqImmA { imm: i32, off: Off },
    BrI32NeImmA { imm: i32, off: Off },
    BrI32LtSImmA { imm: i32, off: Off },
    BrI32LtUImmA { imm: i32, off: Off },
    BrI32GtSImmA { imm: i32, off: Off },
    BrI32GtUImmA { imm: i32, off: Off },
    BrI32LeSImmA { imm: i32, off: Off },
    BrI32LeUImmA { imm: i32, off: Off },
    BrI32GeSImmA { imm: i32, off: Off },
    BrI32GeUImmA { imm: i32, off: Off },
    BrIfNezA { off: Off },
    BrIfEqzA { off: Off },
}

const _: () = assert!(std::mem::size_of::<Instr>() == 16);

/// Prints code as one instruction per line: index, wasm byte offset, instruction; branch
/// targets are shown as absolute indices.
pub(crate) fn disassemble(code: &[Instr], offsets: &[u32]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (i, instr) in code.iter().enumerate() {
        let mut text = format!("{instr:?}");
        let mut copy = *instr;
        if let Some(off) = copy.branch_offset_mut() {
            text = format!("{text}  -> {:04}", i as i64 + i64::from(*off));
        }
        let _ = writeln!(out, "{i:04} @{:06x}  {text}", offsets[i]);
    }
    out
}

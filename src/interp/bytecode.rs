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

/// A float-to-int truncation's kind: from `f32` (else `f64`), to `i64` (else `i32`),
/// unsigned (else signed).
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) struct Conv {
    pub(crate) from_f32: bool,
    pub(crate) to64: bool,
    pub(crate) unsigned: bool,
}

/// The eight truncations, each as its trapping instruction, its guarded form (a
/// compiler's range test and fallback fused with it, see `translate::fuse_guarded_truncs`)
/// and its kind.
macro_rules! truncations {
    ($($trunc:ident, $guarded:ident: $f32:literal, $to64:literal, $unsigned:literal;)*) => {
        impl Instr {
            /// The guarded form of truncation `self` that jumps by `off`.
            pub(crate) fn guarded_form(&self, off: Off) -> Option<Instr> {
                match *self {
                    $( Instr::$trunc { dst, src } => Some(Instr::$guarded { dst, src, off }), )*
                    _ => None,
                }
            }

            /// A guarded conversion's result, operand and kind; it always jumps.
            pub(crate) fn guarded_trunc(&self) -> Option<(Slot, Slot, Conv)> {
                match *self {
                    $( Instr::$guarded { dst, src, .. } => Some((
                        dst,
                        src,
                        Conv { from_f32: $f32, to64: $to64, unsigned: $unsigned },
                    )), )*
                    _ => None,
                }
            }
        }
    };
}

truncations! {
    I32TruncF32S, I32TruncF32SGuarded: true, false, false;
    I32TruncF32U, I32TruncF32UGuarded: true, false, true;
    I32TruncF64S, I32TruncF64SGuarded: false, false, false;
    I32TruncF64U, I32TruncF64UGuarded: false, false, true;
    I64TruncF32S, I64TruncF32SGuarded: true, true, false;
    I64TruncF32U, I64TruncF32UGuarded: true, true, true;
    I64TruncF64S, I64TruncF64SGuarded: false, true, false;
    I64TruncF64U, I64TruncF64UGuarded: false, true, true;
}

/// A slot below 2^16, where an instruction has room only for a narrow one (`Copy2`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot16(pub(crate) u16);

impl From<Slot16> for Slot {
    fn from(s: Slot16) -> Slot {
        Slot(u32::from(s.0))
    }
}

impl fmt::Debug for Slot16 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Slot::from(*self), f)
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

/// The opcode (`Instr::op`) of the instruction a `Case` lands on; 0 until translation
/// has placed every instruction (see `translate`).
#[derive(Clone, Copy, PartialEq, Default)]
pub(crate) struct NextOp(pub(crate) u16);

impl fmt::Debug for NextOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NAMES.get(usize::from(self.0)).copied().unwrap_or("?"))
    }
}

/// The address of the function that runs the instruction a `Case` lands on under
/// threaded dispatch (see `exec`), which jumps by it; 0 until translation has placed
/// every instruction, and in builds without threaded dispatch. Dumps leave it out: it is
/// not part of the program.
#[derive(Clone, Copy, PartialEq, Default)]
pub(crate) struct NextFn(pub(crate) usize);

/// Defines [`Instr`] from one list of variants and derives its helpers from the field
/// names: `dst_mut` (the slot a producer writes, so the translator can
/// retarget it) and `branch_offset_mut` (so forward branches can be patched); the
/// variants after the `;` are the accumulator forms `reads_acc` reports.
macro_rules! define_instr {
    (
        $( $(#[$meta:meta])* $name:ident $({ $($field:ident : $ty:ty),* $(,)? })?
            => $h:ident ($($harg:tt)*) ,)*
        ;
        $( $(#[$ameta:meta])* $aname:ident $({ $($afield:ident : $aty:ty),* $(,)? })?
            => $ah:ident ($($aharg:tt)*) ,)*
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

            /// The instruction's opcode: its variant's index in the instruction table.
            #[inline(always)]
            pub(crate) fn op(&self) -> u16 {
                #[allow(non_camel_case_types, clippy::enum_variant_names, dead_code)]
                #[repr(u16)]
                enum Op { $($name,)* $($aname,)* }
                (match self {
                    $( Instr::$name { .. } => Op::$name, )*
                    $( Instr::$aname { .. } => Op::$aname, )*
                }) as u16
            }
        }

        /// The name of each opcode, in the instruction table's order.
        const NAMES: &[&str] = &[$(stringify!($name),)* $(stringify!($aname),)*];
    };
    (@all $( $(#[$meta:meta])* $name:ident $({ $($field:ident : $ty:ty),* $(,)? })? ,)*) => {
        /// One bytecode instruction.
        #[derive(Clone, Copy, PartialEq)]
        pub(crate) enum Instr {
            $( $(#[$meta])* $name $({ $($field: $ty),* })?, )*
        }

        /// As `derive(Debug)` would print it, but an access's `wrap` only when set.
        impl fmt::Debug for Instr {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $( Instr::$name $({ $($field),* })? => {
                        let mut d = f.debug_struct(stringify!($name));
                        $($( debug_field!(d, $field, $field); )*)?
                        d.finish()
                    } )*
                }
            }
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
            /// field but the results `dst` and `dst2`. The first slot of a range (`args`, `ReturnMany`'s `src`)
            /// is reported alone, and `Select` also reads its `dst`: widening those is the
            /// caller's business (see `liveness`).
            #[allow(unused_variables, reason = "fields that are not slots are skipped")]
            pub(crate) fn for_each_operand(&self, mut f: impl FnMut(Slot)) {
                match *self {
                    $( Instr::$name $({ $($field),* })? => { $($( operand!($field, f); )*)? } )*
                }
            }

            /// The second result slot of an instruction that writes two (`dst2`:
            /// `Copy2`, `I32AddImmCopy`, `I32AddImm2`, `*LoadSum`, `*LoadPtr`), or the
            /// operand-stack slot that a fused copy in memory (`LoadStore*`) loads into
            /// and its store pops.
            #[allow(unused_variables, reason = "only the `dst2` binding is used")]
            pub(crate) fn dst2(&self) -> Option<Slot> {
                let d2 = match *self {
                    $( Instr::$name $({ $($field),* })? => pick_field!(dst2; $($($field = $field),*)?), )*
                };
                d2.map(Slot::from)
            }

            /// The branch offset of a branch instruction.
            #[allow(unused_variables, reason = "only the `off` binding is used")]
            pub(crate) fn branch_offset_mut(&mut self) -> Option<&mut Off> {
                match self {
                    $( Instr::$name $({ $($field),* })? => pick_field!(off; $($($field = $field),*)?), )*
                }
            }

            /// The counter of a counted loop's step fused with the branch after it
            /// (`I32AddImmBr*`, see `translate::fuse_pairs`).
            #[allow(unused_variables, reason = "only the `ctr` binding is used")]
            pub(crate) fn step_counter_mut(&mut self) -> Option<&mut Slot> {
                match self {
                    $( Instr::$name $({ $($field),* })? => pick_field!(ctr; $($($field = $field),*)?), )*
                }
            }
        }
    };
}

/// Adds field `$x` (named `$name`) to the `debug_struct` `$d`; `wrap` only when set, and
/// `bias` only when not 0.
macro_rules! debug_field {
    ($d:ident, wrap, $x:ident) => {
        if *$x {
            $d.field("wrap", $x);
        }
    };
    ($d:ident, bias, $x:ident) => {
        if *$x != 0 {
            $d.field("bias", $x);
        }
    };
    ($d:ident, to, $x:ident) => {
        let _ = $x;
    };
    ($d:ident, $name:ident, $x:ident) => {
        $d.field(stringify!($name), $x);
    };
}

/// Reports field `$x` to `$f` if it is a slot operand (`dst` and `dst2` are results, not
/// operands).
macro_rules! operand {
    (dst, $f:ident) => {};
    (dst2, $f:ident) => {};
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
impl Field for Slot16 {
    fn as_slot(&self) -> Option<Slot> {
        Some(Slot::from(*self))
    }
}
impl Field for bool {}
impl Field for u8 {}
impl Field for i16 {}
impl Field for u16 {}
impl Field for u32 {}
impl Field for i32 {}
impl Field for u64 {}
impl Field for CounterRef {}
impl Field for NextOp {}
impl Field for NextFn {}

impl Instr {
    /// Whether the instruction leaves the accumulators and every slot as they were: a
    /// branch (`Br`, or a conditional one) that writes nothing. Where it goes on, the
    /// accumulator still holds what the instruction before it left (see
    /// `translate::use_accumulator`).
    pub(crate) fn keeps_acc(&self) -> bool {
        let mut instr = *self;
        instr.branch_offset_mut().is_some()
            && instr.dst_mut().is_none()
            && instr.dst2().is_none()
            && instr.step_counter_mut().is_none()
            && !matches!(self, Instr::Case { .. })
    }

    /// The first slot of a call's frame (`args`): where its parameters are, and its
    /// results afterwards.
    pub(crate) fn call_args(&self) -> Option<Slot> {
        match *self {
            variants!({ args, .. } in Call | CallEpoch | CallImport | CallIndirect
                | CallIndirectEpoch) => Some(args),
            _ => None,
        }
    }

    /// Whether the instruction returns from the function.
    pub(crate) fn returns(&self) -> bool {
        matches!(
            self,
            Instr::Return
                | Instr::ReturnSlot { .. }
                | Instr::ReturnSlotA { .. }
                | Instr::ReturnImm { .. }
                | Instr::ReturnMany { .. }
        )
    }

    /// Whether the instruction is a load fused with the instruction after it, which the
    /// full form runs alone when an access is past the end: a copy in memory
    /// (`LoadStore*`) or a load from a pointer just loaded (`*LoadPtr`).
    pub(crate) fn starts_with_load(&self) -> bool {
        matches!(
            self,
            variants!({ .. } in LoadStore8 | LoadStore16 | LoadStore32 | LoadStore64
                | I32LoadPtr | I32Load8UPtr | I64LoadPtr)
        )
    }
}

/// An or-pattern over instructions `$v` with the same fields pattern for each (fields
/// that each of them has): `variants!({ dst, addr, .. } in I32Load | I64Load)`.
macro_rules! variants {
    ($fields:tt in $($v:ident)|+) => {
        $( $crate::interp::Instr::$v $fields )|+
    };
}
pub(crate) use variants;

/// `Some(binding)` of the field called `$want` among `field = binding` pairs, else `None`.
macro_rules! pick_field {
    ($want:ident;) => { None };
    (dst; dst = $v:ident $(, $k:ident = $w:ident)*) => { Some($v) };
    (off; off = $v:ident $(, $k:ident = $w:ident)*) => { Some($v) };
    (ctr; ctr = $v:ident $(, $k:ident = $w:ident)*) => { Some($v) };
    (dst2; dst2 = $v:ident $(, $k:ident = $w:ident)*) => { Some($v) };
    ($want:ident; $k0:ident = $v0:ident $(, $k:ident = $w:ident)*) => { pick_field!($want; $($k = $w),*) };
}

/// The instruction table: one row per instruction, with its fields and the dispatch
/// loop's handler for it (a method of `exec::Exec`, given the fields in order and then
/// the row's arguments). [`Instr`] and its helpers are generated from it here, and the
/// dispatch loop's `match` in `exec`.
macro_rules! instr_table {
    ($m:ident) => {
        $m! {
            // ---- control ----
            Unreachable => unreachable(),
            /// Never in a function's code: where a call whose callee's entry counter expired
            /// continues (see `exec`), so the JIT's entry handling sits in one place.
            EntryHot => entry_hot(),
            /// Loop header: counts iterations toward recording a trace (only emitted with the JIT
            /// on). `counter` is loop `id`'s hot counter in the function's `loop_counters`.
            Loop { id: u32, counter: CounterRef } => loop_header(),
            /// Epoch interruption (only with `Config::epoch_interruption`, at loop headers; calls
            /// check in `CallEpoch`): traps with `Interrupt` once the engine's epoch has reached
            /// the store's deadline.
            Epoch => epoch(),
            /// Fuel metering (only with `Config::consume_fuel`), first in each straight-line run
            /// of code: charges the run's `cost` (the sum of its operators' costs), or traps with
            /// `OutOfFuel`, consuming nothing, when less fuel is left.
            Fuel { cost: u32 } => charge(),
            /// Profiling (only with `Config::collect_profile`): function `func` (module index
            /// space) was entered; counts the call and notes where time goes.
            ProfEnter { func: u32 } => prof_enter(),
            /// Profiling: a loop of function `func` starts an iteration (after its `Loop`).
            ProfLoop { func: u32 } => prof_loop(),
            /// Profiling: a call made by function `func` returned to it.
            ProfResume { func: u32 } => prof_resume(),
            /// Profiling: the `call_indirect` that follows, the running function's site number
            /// `site`, is about to call table `table`'s entry at `index`; counts the target.
            ProfIndirect { index: Slot, table: u16, site: u32 } => prof_indirect(),
            Br { off: Off } => br(),
            BrIfNez { c: Slot, off: Off } => br_if(|c: u32| c != 0),
            BrIfEqz { c: Slot, off: Off } => br_if(|c: u32| c == 0),
            BrI64Eqz { c: Slot, off: Off } => br_if(|c: u64| c == 0),
            /// `dst = val`, then a branch on another slot, `c` (`Const32` and `BrIfNez` or
            /// `BrIfEqz`, fused: see `translate::fuse_pairs`): a block's result and the
            /// test that leaves the block with it. Falling through skips the branch it was
            /// made from.
            Const32BrIfNez { dst: Slot, c: Slot16, val: u32, off: Off }
                => const_br_if(|c: u32| c != 0),
            Const32BrIfEqz { dst: Slot, c: Slot16, val: u32, off: Off }
                => const_br_if(|c: u32| c == 0),
            /// Jumps to the `min(index, len)`-th of the `len + 1` `Case` instructions that
            /// follow.
            BrTable { index: Slot, len: u32, bias: i32 } => br_table(),
            /// A `br_table` target: branches by `off`, as `Br` does. `op` is the opcode of the
            /// instruction it lands on (for dumps) and `to` the address of that instruction's
            /// threaded function, which the table's dispatch jumps by without reading it.
            Case { off: Off, op: NextOp, to: NextFn } => case(),
            BrI32Eq { a: Slot, b: Slot, off: Off } => br_i32(C::Eq),
            BrI32Ne { a: Slot, b: Slot, off: Off } => br_i32(C::Ne),
            BrI32LtS { a: Slot, b: Slot, off: Off } => br_i32(C::LtS),
            BrI32LtU { a: Slot, b: Slot, off: Off } => br_i32(C::LtU),
            BrI32LeS { a: Slot, b: Slot, off: Off } => br_i32(C::LeS),
            BrI32LeU { a: Slot, b: Slot, off: Off } => br_i32(C::LeU),
            BrI32GtS { a: Slot, b: Slot, off: Off } => br_i32(C::GtS),
            BrI32GtU { a: Slot, b: Slot, off: Off } => br_i32(C::GtU),
            BrI32GeS { a: Slot, b: Slot, off: Off } => br_i32(C::GeS),
            BrI32GeU { a: Slot, b: Slot, off: Off } => br_i32(C::GeU),
            BrI32EqImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::Eq),
            BrI32NeImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::Ne),
            BrI32LtSImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::LtS),
            BrI32LtUImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::LtU),
            BrI32LeSImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::LeS),
            BrI32LeUImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::LeU),
            BrI32GtSImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::GtS),
            BrI32GtUImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::GtU),
            BrI32GeSImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::GeS),
            BrI32GeUImm { a: Slot, imm: i32, off: Off } => br_i32_imm(C::GeU),
            /// A counted loop's step and test, fused (see `translate::fuse_pairs`): `ctr +=
            /// imm`, then the branch of the `BrI32*` instruction that follows on `ctr` and `b`
            /// (or `k`), `off` counted from here. Falling through skips that instruction,
            /// which stays for the JIT's exits to resume at.
            I32AddImmBrEq { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::Eq),
            I32AddImmBrNe { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::Ne),
            I32AddImmBrLtS { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::LtS),
            I32AddImmBrLtU { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::LtU),
            I32AddImmBrLeS { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::LeS),
            I32AddImmBrLeU { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::LeU),
            I32AddImmBrGtS { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::GtS),
            I32AddImmBrGtU { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::GtU),
            I32AddImmBrGeS { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::GeS),
            I32AddImmBrGeU { ctr: Slot, b: Slot, off: Off, imm: i16 } => i32_add_imm_br(C::GeU),
            I32AddImmBrEqImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::Eq),
            I32AddImmBrNeImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::Ne),
            I32AddImmBrLtSImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::LtS),
            I32AddImmBrLtUImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::LtU),
            I32AddImmBrLeSImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::LeS),
            I32AddImmBrLeUImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::LeU),
            I32AddImmBrGtSImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::GtS),
            I32AddImmBrGtUImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::GtU),
            I32AddImmBrGeSImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::GeS),
            I32AddImmBrGeUImm { ctr: Slot, k: i32, off: Off, imm: i16 } => i32_add_imm_br_imm(C::GeU),
            I32AddImmBr { ctr: Slot, off: Off, imm: i16 } => i32_add_imm_jump(),
            BrI64Eq { a: Slot, b: Slot, off: Off } => br_i64(C::Eq),
            BrI64Ne { a: Slot, b: Slot, off: Off } => br_i64(C::Ne),
            BrI64LtS { a: Slot, b: Slot, off: Off } => br_i64(C::LtS),
            BrI64LtU { a: Slot, b: Slot, off: Off } => br_i64(C::LtU),
            BrI64LeS { a: Slot, b: Slot, off: Off } => br_i64(C::LeS),
            BrI64LeU { a: Slot, b: Slot, off: Off } => br_i64(C::LeU),
            BrI64GtS { a: Slot, b: Slot, off: Off } => br_i64(C::GtS),
            BrI64GtU { a: Slot, b: Slot, off: Off } => br_i64(C::GtU),
            BrI64GeS { a: Slot, b: Slot, off: Off } => br_i64(C::GeS),
            BrI64GeU { a: Slot, b: Slot, off: Off } => br_i64(C::GeU),
            BrI64EqImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::Eq),
            BrI64NeImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::Ne),
            BrI64LtSImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::LtS),
            BrI64LtUImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::LtU),
            BrI64LeSImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::LeS),
            BrI64LeUImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::LeU),
            BrI64GtSImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::GtS),
            BrI64GtUImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::GtU),
            BrI64GeSImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::GeS),
            BrI64GeUImm { a: Slot, imm: i32, off: Off } => br_i64_imm(C::GeU),
            /// Branch on a bit test: `a & b` (or `a & imm`) nonzero / zero.
            BrI32AndNez { a: Slot, b: Slot, off: Off } => br_i32_test(true),
            BrI32AndEqz { a: Slot, b: Slot, off: Off } => br_i32_test(false),
            BrI32AndImmNez { a: Slot, imm: i32, off: Off } => br_i32_test_imm(true),
            BrI32AndImmEqz { a: Slot, imm: i32, off: Off } => br_i32_test_imm(false),
            BrF32Eq { a: Slot, b: Slot, off: Off } => br_f32(FC::Eq),
            BrF32Ne { a: Slot, b: Slot, off: Off } => br_f32(FC::Ne),
            BrF32Lt { a: Slot, b: Slot, off: Off } => br_f32(FC::Lt),
            BrF32Gt { a: Slot, b: Slot, off: Off } => br_f32(FC::Gt),
            BrF32Le { a: Slot, b: Slot, off: Off } => br_f32(FC::Le),
            BrF32Ge { a: Slot, b: Slot, off: Off } => br_f32(FC::Ge),
            BrF32NotLt { a: Slot, b: Slot, off: Off } => br_f32_not(FC::Lt),
            BrF32NotGt { a: Slot, b: Slot, off: Off } => br_f32_not(FC::Gt),
            BrF32NotLe { a: Slot, b: Slot, off: Off } => br_f32_not(FC::Le),
            BrF32NotGe { a: Slot, b: Slot, off: Off } => br_f32_not(FC::Ge),
            BrF64Eq { a: Slot, b: Slot, off: Off } => br_f64(FC::Eq),
            BrF64Ne { a: Slot, b: Slot, off: Off } => br_f64(FC::Ne),
            BrF64Lt { a: Slot, b: Slot, off: Off } => br_f64(FC::Lt),
            BrF64Gt { a: Slot, b: Slot, off: Off } => br_f64(FC::Gt),
            BrF64Le { a: Slot, b: Slot, off: Off } => br_f64(FC::Le),
            BrF64Ge { a: Slot, b: Slot, off: Off } => br_f64(FC::Ge),
            BrF64NotLt { a: Slot, b: Slot, off: Off } => br_f64_not(FC::Lt),
            BrF64NotGt { a: Slot, b: Slot, off: Off } => br_f64_not(FC::Gt),
            BrF64NotLe { a: Slot, b: Slot, off: Off } => br_f64_not(FC::Le),
            BrF64NotGe { a: Slot, b: Slot, off: Off } => br_f64_not(FC::Ge),
            Return => ret(),
            ReturnSlot { src: Slot } => return_slot(),
            ReturnImm { bits: u64 } => return_imm(),
            /// Returns the `n` values starting at `src` (moved to the frame base).
            ReturnMany { src: Slot, n: u32 } => return_many(),
            /// Calls defined function `func`; arguments start at `args`, results replace them.
            Call { func: u32, args: Slot } => call(),
            /// Calls imported function `func` (module index space).
            CallImport { func: u32, args: Slot } => call_import(),
            /// Calls through table `table` the function at `index`, which must have type `ty`
            /// (engine-wide, a `TypeId`'s number: the check compares it with the callee's
            /// as it is).
            CallIndirect { index: Slot, args: Slot, ty: u32, table: u16 } => call_indirect(),
            /// `Call` and `CallIndirect` with an `Epoch` check first
            /// (`Config::epoch_interruption`): with the checks at loop headers, every unbounded
            /// execution meets one.
            CallEpoch { func: u32, args: Slot } => call_epoch(),
            CallIndirectEpoch { index: Slot, args: Slot, ty: u32, table: u16 }
                => call_indirect_epoch(),

            // ---- moves ----
            Copy { dst: Slot, src: Slot } => copy(),
            /// Two copies, fused (see `translate::fuse_pairs`): `dst = src`, then
            /// `dst2 = src2`.
            Copy2 { dst: Slot, src: Slot, dst2: Slot16, src2: Slot16 } => copy2(),
            /// A copy and the `Br` after it, fused (see `translate::fuse_pairs`): `dst =
            /// src`, then a jump by `off`, counted from here.
            CopyBr { dst: Slot, src: Slot, off: Off } => copy_jump(),
            Const32 { dst: Slot, val: u32 } => const32(),
            Const64 { dst: Slot, val: u64 } => const64(),
            /// `dst = if c != 0 { dst } else { b }`: `dst` holds the first operand.
            Select { dst: Slot, b: Slot, c: Slot } => select(),
            /// `dst = if c != 0 { a } else { b }`, with the operands below 2^16 (`Select`
            /// otherwise): no copy of the first operand before it, and `dst` retargets to
            /// a local as any result does.
            Select3 { dst: Slot, a: Slot16, b: Slot16, c: Slot16 } => select3(),
            GlobalGet { dst: Slot, global: u32 } => global_get(),
            GlobalSet { src: Slot, global: u32 } => global_set(),
            /// A stack pointer's step in a prologue: `global.get` into an operand-stack
            /// slot, `i32.add` of a constant, and `global.set` of the sum, which `dst` keeps
            /// (`local.tee`), fused (see `translate::fuse_pairs`); the operand-stack slot,
            /// which the add pops, is not written.
            GlobalAddImm { dst: Slot, global: u16, imm: i16 } => global_add_imm(),

            // ---- memory ----
            I32Load { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: u32| u64::from(v)),
            I64Load { dst: Slot, addr: Slot, offset: u32, wrap: bool } => load(|v: u64| v),
            F32Load { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: u32| u64::from(v)),
            F64Load { dst: Slot, addr: Slot, offset: u32, wrap: bool } => load(|v: f64| v),
            I32Load8S { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: i8| u64::from(v as i32 as u32)),
            I32Load8U { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: u8| u64::from(v)),
            I32Load16S { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: i16| u64::from(v as i32 as u32)),
            I32Load16U { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: u16| u64::from(v)),
            I64Load8S { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: i8| v as i64 as u64),
            I64Load8U { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: u8| u64::from(v)),
            I64Load16S { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: i16| v as i64 as u64),
            I64Load16U { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: u16| u64::from(v)),
            I64Load32S { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: i32| v as i64 as u64),
            I64Load32U { dst: Slot, addr: Slot, offset: u32, wrap: bool }
                => load(|v: u32| u64::from(v)),
            /// An array element's load, fused with its index's shift (see
            /// `translate::fuse_pairs`): loads from `(idx << shift) + offset`.
            I32LoadIdx { dst: Slot, idx: Slot, offset: u32, shift: u8, wrap: bool }
                => load_idx(|v: u32| u64::from(v)),
            I64LoadIdx { dst: Slot, idx: Slot, offset: u32, shift: u8, wrap: bool }
                => load_idx(|v: u64| v),
            F32LoadIdx { dst: Slot, idx: Slot, offset: u32, shift: u8, wrap: bool }
                => load_idx(|v: u32| u64::from(v)),
            F64LoadIdx { dst: Slot, idx: Slot, offset: u32, shift: u8, wrap: bool }
                => load_idx(|v: f64| v),
            /// A load fused with the `i32.add` of two slots that computed its address (see
            /// `translate::fuse_pairs`): `dst2 = a + b` (as `i32.add`), then a load from
            /// `dst2` and `offset`.
            I32LoadSum { dst: Slot, a: Slot16, b: Slot16, dst2: Slot16, offset: u16, wrap: bool }
                => load_sum(|v: u32| u64::from(v)),
            I32Load8USum { dst: Slot, a: Slot16, b: Slot16, dst2: Slot16, offset: u16, wrap: bool }
                => load_sum(|v: u8| u64::from(v)),
            I64LoadSum { dst: Slot, a: Slot16, b: Slot16, dst2: Slot16, offset: u16, wrap: bool }
                => load_sum(|v: u64| v),
            F64LoadSum { dst: Slot, a: Slot16, b: Slot16, dst2: Slot16, offset: u16, wrap: bool }
                => load_sum(|v: f64| v),
            /// A copy of one byte in memory, from `addr + offset` to `into + offset2`: a load
            /// into an operand-stack slot (`dst2`), then a store of that slot, of the
            /// load's width, which pops it, fused (see `translate::fuse_pairs`). `wrap` is
            /// the load's; the store's own instruction, which the copy skips, keeps its
            /// `wrap`.
            LoadStore8 { addr: Slot16, into: Slot16, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_store(|v: u8| u64::from(v)),
            /// A copy of two bytes, as `LoadStore8`.
            LoadStore16 { addr: Slot16, into: Slot16, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_store(|v: u16| u64::from(v)),
            /// A copy of four bytes, as `LoadStore8`.
            LoadStore32 { addr: Slot16, into: Slot16, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_store(|v: u32| u64::from(v)),
            /// A copy of eight bytes, as `LoadStore8`.
            LoadStore64 { addr: Slot16, into: Slot16, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_store(|v: u64| v),
            /// A load from a pointer just loaded: `dst2` = the `i32` at `addr + offset`,
            /// then `dst` = the `i32` at `dst2 + offset2`, two `i32.load`s fused (see
            /// `translate::fuse_pairs`). `wrap` is the first load's; the second's own
            /// instruction, which the fused one skips, keeps its `wrap`.
            I32LoadPtr { dst: Slot, addr: Slot16, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_ptr(|v: u32| u64::from(v)),
            /// As `I32LoadPtr`, the second load an `i32.load8_u`.
            I32Load8UPtr { dst: Slot, addr: Slot16, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_ptr(|v: u8| u64::from(v)),
            /// As `I32LoadPtr`, the second load an `i64.load`.
            I64LoadPtr { dst: Slot, addr: Slot16, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_ptr(|v: u64| v),
            I32Store { addr: Slot, val: Slot, offset: u32, wrap: bool } => store(|v: u64| v as u32),
            I64Store { addr: Slot, val: Slot, offset: u32, wrap: bool } => store(|v: u64| v as u64),
            F32Store { addr: Slot, val: Slot, offset: u32, wrap: bool } => store(|v: u64| v as u32),
            F64Store { addr: Slot, val: Slot, offset: u32, wrap: bool } => store(|v: u64| v as u64),
            I32Store8 { addr: Slot, val: Slot, offset: u32, wrap: bool } => store(|v: u64| v as u8),
            I32Store16 { addr: Slot, val: Slot, offset: u32, wrap: bool }
                => store(|v: u64| v as u16),
            I64Store8 { addr: Slot, val: Slot, offset: u32, wrap: bool } => store(|v: u64| v as u8),
            I64Store16 { addr: Slot, val: Slot, offset: u32, wrap: bool }
                => store(|v: u64| v as u16),
            I64Store32 { addr: Slot, val: Slot, offset: u32, wrap: bool }
                => store(|v: u64| v as u32),
            MemorySize { dst: Slot } => memory_size(),
            MemoryGrow { dst: Slot, delta: Slot } => memory_grow(),
            /// Operands `[dst, val, len]` start at `args`.
            MemoryFill { args: Slot } => memory_fill(),
            /// Operands `[dst, src, len]` start at `args`.
            MemoryCopy { args: Slot } => memory_copy(),
            /// Operands `[dst, src, len]` start at `args`.
            MemoryInit { seg: u32, args: Slot } => memory_init(),
            DataDrop { seg: u32 } => data_drop(),

            // ---- tables and references ----
            TableGet { dst: Slot, table: u32, index: Slot } => table_get(),
            TableSet { table: u32, index: Slot, val: Slot } => table_set(),
            TableSize { dst: Slot, table: u32 } => table_size(),
            /// Operands `[init, delta]` start at `args`; the result replaces `init`.
            TableGrow { table: u32, args: Slot } => table_grow(),
            /// Operands `[index, val, len]` start at `args`.
            TableFill { table: u32, args: Slot } => table_fill(),
            /// Operands `[dst, src, len]` start at `args`.
            TableCopy { dst_table: u32, src_table: u32, args: Slot } => table_copy(),
            /// Operands `[dst, src, len]` start at `args`.
            TableInit { table: u32, seg: u32, args: Slot } => table_init(),
            ElemDrop { seg: u32 } => elem_drop(),
            RefFunc { dst: Slot, func: u32 } => ref_func(),
            RefIsNull { dst: Slot, src: Slot } => ref_is_null(),

            // ---- i32 ----
            I32Add { dst: Slot, a: Slot, b: Slot } => i32_bin(B::Add),
            I32Sub { dst: Slot, a: Slot, b: Slot } => i32_bin(B::Sub),
            I32Mul { dst: Slot, a: Slot, b: Slot } => i32_bin(B::Mul),
            I32DivS { dst: Slot, a: Slot, b: Slot }
                => i32_try(|x, y| ops::i32_div_s(x as i32, y as i32).map(|v| v as u32)),
            I32DivU { dst: Slot, a: Slot, b: Slot } => i32_try(ops::i32_div_u),
            I32RemS { dst: Slot, a: Slot, b: Slot }
                => i32_try(|x, y| ops::i32_rem_s(x as i32, y as i32).map(|v| v as u32)),
            I32RemU { dst: Slot, a: Slot, b: Slot } => i32_try(ops::i32_rem_u),
            I32And { dst: Slot, a: Slot, b: Slot } => i32_bin(B::And),
            I32Or { dst: Slot, a: Slot, b: Slot } => i32_bin(B::Or),
            I32Xor { dst: Slot, a: Slot, b: Slot } => i32_bin(B::Xor),
            I32Shl { dst: Slot, a: Slot, b: Slot } => i32_bin(B::Shl),
            I32ShrS { dst: Slot, a: Slot, b: Slot } => i32_bin(B::ShrS),
            I32ShrU { dst: Slot, a: Slot, b: Slot } => i32_bin(B::ShrU),
            I32Rotl { dst: Slot, a: Slot, b: Slot } => i32_bin(B::Rotl),
            I32Rotr { dst: Slot, a: Slot, b: Slot } => i32_bin(B::Rotr),
            I32Eq { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::Eq),
            I32Ne { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::Ne),
            I32LtS { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::LtS),
            I32LtU { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::LtU),
            I32GtS { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::GtS),
            I32GtU { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::GtU),
            I32LeS { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::LeS),
            I32LeU { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::LeU),
            I32GeS { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::GeS),
            I32GeU { dst: Slot, a: Slot, b: Slot } => i32_cmp(C::GeU),
            I32AddImm { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm(B::Add),
            I32MulImm { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm(B::Mul),
            I32AndImm { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm(B::And),
            I32OrImm { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm(B::Or),
            I32XorImm { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm(B::Xor),
            I32ShlImm { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm(B::Shl),
            I32ShrSImm { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm(B::ShrS),
            I32ShrUImm { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm(B::ShrU),
            /// A bit field: `i32.shr_u` by a constant into an operand-stack slot, then
            /// `i32.and` of that with `mask`, fused (see `translate::fuse_pairs`).
            I32ShrUAndImm { dst: Slot, a: Slot, mask: u32, shift: u8 } => i32_shr_u_and(),
            /// A scaled sum, `(a << shift) + b`: `i32.shl` by a constant into an
            /// operand-stack slot, then `i32.add` of that slot and `b`, fused (see
            /// `translate::fuse_pairs`).
            I32ShlAdd { dst: Slot, a: Slot, b: Slot, shift: u8 } => i32_shl_add(),
            /// `(a << shift) + imm`, fused as `I32ShlAdd` is.
            I32ShlAddImm { dst: Slot, a: Slot, imm: i32, shift: u8 } => i32_shl_add_imm(),
            /// A step copied on: `i32.add` of a constant into `dst`, then a copy of `dst` to
            /// `dst2`, fused (see `translate::fuse_pairs`).
            I32AddImmCopy { dst: Slot, a: Slot, imm: i16, dst2: Slot16 } => i32_add_imm_copy(),
            /// Two steps, fused (see `translate::fuse_pairs`): `dst = a + imm`, then
            /// `dst2 = a2 + imm2` (an index and a pointer that moves with it).
            I32AddImm2 { dst: Slot, a: Slot16, imm: i16, dst2: Slot16, a2: Slot16, imm2: i16 }
                => i32_add_imm2(),
            /// A stack pointer's step: `i32.add` of a constant into `dst`, then `global.set`
            /// of `dst`, fused (see `translate::fuse_pairs`).
            I32AddImmGlobalSet { dst: Slot, a: Slot, imm: i16, global: u16 } => i32_add_imm_global_set(),
            I32RotlImm { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm(B::Rotl),
            I32EqImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::Eq),
            I32NeImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::Ne),
            I32LtSImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::LtS),
            I32LtUImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::LtU),
            I32GtSImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::GtS),
            I32GtUImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::GtU),
            I32LeSImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::LeS),
            I32LeUImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::LeU),
            I32GeSImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::GeS),
            I32GeUImm { dst: Slot, a: Slot, imm: i32 } => i32_cmp_imm(C::GeU),
            /// `imm - a`.
            I32SubImmRev { dst: Slot, a: Slot, imm: i32 } => i32_bin_imm_rev(B::Sub),
            I32Clz { dst: Slot, src: Slot } => un(|x: u32| u64::from(x.leading_zeros())),
            I32Ctz { dst: Slot, src: Slot } => un(|x: u32| u64::from(x.trailing_zeros())),
            I32Popcnt { dst: Slot, src: Slot } => un(|x: u32| ops::popcnt(u64::from(x))),
            I32Eqz { dst: Slot, src: Slot } => un(|x: u32| u64::from(x == 0)),
            I32Extend8S { dst: Slot, src: Slot } => un(|x: u32| u64::from(x as i8 as i32 as u32)),
            I32Extend16S { dst: Slot, src: Slot } => un(|x: u32| u64::from(x as i16 as i32 as u32)),

            // ---- i64 ----
            I64Add { dst: Slot, a: Slot, b: Slot } => i64_bin(B::Add),
            I64Sub { dst: Slot, a: Slot, b: Slot } => i64_bin(B::Sub),
            I64Mul { dst: Slot, a: Slot, b: Slot } => i64_bin(B::Mul),
            I64DivS { dst: Slot, a: Slot, b: Slot }
                => i64_try(|x, y| ops::i64_div_s(x as i64, y as i64).map(|v| v as u64)),
            I64DivU { dst: Slot, a: Slot, b: Slot } => i64_try(ops::i64_div_u),
            I64RemS { dst: Slot, a: Slot, b: Slot }
                => i64_try(|x, y| ops::i64_rem_s(x as i64, y as i64).map(|v| v as u64)),
            I64RemU { dst: Slot, a: Slot, b: Slot } => i64_try(ops::i64_rem_u),
            I64And { dst: Slot, a: Slot, b: Slot } => i64_bin(B::And),
            I64Or { dst: Slot, a: Slot, b: Slot } => i64_bin(B::Or),
            I64Xor { dst: Slot, a: Slot, b: Slot } => i64_bin(B::Xor),
            I64Shl { dst: Slot, a: Slot, b: Slot } => i64_bin(B::Shl),
            I64ShrS { dst: Slot, a: Slot, b: Slot } => i64_bin(B::ShrS),
            I64ShrU { dst: Slot, a: Slot, b: Slot } => i64_bin(B::ShrU),
            I64Rotl { dst: Slot, a: Slot, b: Slot } => i64_bin(B::Rotl),
            I64Rotr { dst: Slot, a: Slot, b: Slot } => i64_bin(B::Rotr),
            I64Eq { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::Eq),
            I64Ne { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::Ne),
            I64LtS { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::LtS),
            I64LtU { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::LtU),
            I64GtS { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::GtS),
            I64GtU { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::GtU),
            I64LeS { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::LeS),
            I64LeU { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::LeU),
            I64GeS { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::GeS),
            I64GeU { dst: Slot, a: Slot, b: Slot } => i64_cmp(C::GeU),
            I64AddImm { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm(B::Add),
            I64MulImm { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm(B::Mul),
            I64AndImm { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm(B::And),
            I64OrImm { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm(B::Or),
            I64XorImm { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm(B::Xor),
            I64ShlImm { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm(B::Shl),
            I64ShrSImm { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm(B::ShrS),
            I64ShrUImm { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm(B::ShrU),
            I64RotlImm { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm(B::Rotl),
            I64EqImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::Eq),
            I64NeImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::Ne),
            I64LtSImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::LtS),
            I64LtUImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::LtU),
            I64GtSImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::GtS),
            I64GtUImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::GtU),
            I64LeSImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::LeS),
            I64LeUImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::LeU),
            I64GeSImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::GeS),
            I64GeUImm { dst: Slot, a: Slot, imm: i32 } => i64_cmp_imm(C::GeU),
            /// `imm - a`.
            I64SubImmRev { dst: Slot, a: Slot, imm: i32 } => i64_bin_imm_rev(B::Sub),
            I64Clz { dst: Slot, src: Slot } => un(|x: u64| u64::from(x.leading_zeros())),
            I64Ctz { dst: Slot, src: Slot } => un(|x: u64| u64::from(x.trailing_zeros())),
            I64Popcnt { dst: Slot, src: Slot } => un(|x: u64| ops::popcnt(x)),
            I64Eqz { dst: Slot, src: Slot } => un(|x: u64| u64::from(x == 0)),
            I64Extend8S { dst: Slot, src: Slot } => un(|x: u64| x as i8 as i64 as u64),
            I64Extend16S { dst: Slot, src: Slot } => un(|x: u64| x as i16 as i64 as u64),
            I64Extend32S { dst: Slot, src: Slot } => un(|x: u64| x as i32 as i64 as u64),

            // ---- f32 / f64 ----
            F32Add { dst: Slot, a: Slot, b: Slot } => f32_bin(FB::Add),
            F32Sub { dst: Slot, a: Slot, b: Slot } => f32_bin(FB::Sub),
            F32Mul { dst: Slot, a: Slot, b: Slot } => f32_bin(FB::Mul),
            F32Div { dst: Slot, a: Slot, b: Slot } => f32_bin(FB::Div),
            F32Min { dst: Slot, a: Slot, b: Slot } => f32_bin(FB::Min),
            F32Max { dst: Slot, a: Slot, b: Slot } => f32_bin(FB::Max),
            F32Copysign { dst: Slot, a: Slot, b: Slot }
                => bin(|x, y| u64::from(ops::f32_copysign(x as u32, y as u32))),
            F32Eq { dst: Slot, a: Slot, b: Slot } => f32_cmp(FC::Eq),
            F32Ne { dst: Slot, a: Slot, b: Slot } => f32_cmp(FC::Ne),
            F32Lt { dst: Slot, a: Slot, b: Slot } => f32_cmp(FC::Lt),
            F32Gt { dst: Slot, a: Slot, b: Slot } => f32_cmp(FC::Gt),
            F32Le { dst: Slot, a: Slot, b: Slot } => f32_cmp(FC::Le),
            F32Ge { dst: Slot, a: Slot, b: Slot } => f32_cmp(FC::Ge),
            F32Abs { dst: Slot, src: Slot } => un(|x: u32| u64::from(ops::f32_abs(x))),
            F32Neg { dst: Slot, src: Slot } => un(|x: u32| u64::from(ops::f32_neg(x))),
            F32Ceil { dst: Slot, src: Slot } => f32_un(FU::Ceil),
            F32Floor { dst: Slot, src: Slot } => f32_un(FU::Floor),
            F32Trunc { dst: Slot, src: Slot } => f32_un(FU::Trunc),
            F32Nearest { dst: Slot, src: Slot } => f32_un(FU::Nearest),
            F32Sqrt { dst: Slot, src: Slot } => f32_un(FU::Sqrt),
            F64Add { dst: Slot, a: Slot, b: Slot } => f64_bin(FB::Add),
            F64Sub { dst: Slot, a: Slot, b: Slot } => f64_bin(FB::Sub),
            F64Mul { dst: Slot, a: Slot, b: Slot } => f64_bin(FB::Mul),
            F64Div { dst: Slot, a: Slot, b: Slot } => f64_bin(FB::Div),
            F64Min { dst: Slot, a: Slot, b: Slot } => f64_bin(FB::Min),
            F64Max { dst: Slot, a: Slot, b: Slot } => f64_bin(FB::Max),
            F64Copysign { dst: Slot, a: Slot, b: Slot } => bin(ops::f64_copysign),
            F64Eq { dst: Slot, a: Slot, b: Slot } => f64_cmp(FC::Eq),
            F64Ne { dst: Slot, a: Slot, b: Slot } => f64_cmp(FC::Ne),
            F64Lt { dst: Slot, a: Slot, b: Slot } => f64_cmp(FC::Lt),
            F64Gt { dst: Slot, a: Slot, b: Slot } => f64_cmp(FC::Gt),
            F64Le { dst: Slot, a: Slot, b: Slot } => f64_cmp(FC::Le),
            F64Ge { dst: Slot, a: Slot, b: Slot } => f64_cmp(FC::Ge),
            F64Abs { dst: Slot, src: Slot } => un(ops::f64_abs),
            F64Neg { dst: Slot, src: Slot } => un(ops::f64_neg),
            F64Ceil { dst: Slot, src: Slot } => f64_un(FU::Ceil),
            F64Floor { dst: Slot, src: Slot } => f64_un(FU::Floor),
            F64Trunc { dst: Slot, src: Slot } => f64_un(FU::Trunc),
            F64Nearest { dst: Slot, src: Slot } => f64_un(FU::Nearest),
            F64Sqrt { dst: Slot, src: Slot } => f64_un(FU::Sqrt),

            // ---- conversions ----
            I32WrapI64 { dst: Slot, src: Slot } => un(|x: u32| u64::from(x)),
            I64ExtendI32S { dst: Slot, src: Slot } => un(|x: u32| x as i32 as i64 as u64),
            I64ExtendI32U { dst: Slot, src: Slot } => un(|x: u32| u64::from(x)),
            I32TruncF32S { dst: Slot, src: Slot }
                => un_try(|x: f32| ops::i32_trunc_f32_s(x).map(|v| u64::from(v as u32))),
            I32TruncF32U { dst: Slot, src: Slot }
                => un_try(|x: f32| ops::i32_trunc_f32_u(x).map(u64::from)),
            I32TruncF64S { dst: Slot, src: Slot }
                => un_try(|x: f64| ops::i32_trunc_f64_s(x).map(|v| u64::from(v as u32))),
            I32TruncF64U { dst: Slot, src: Slot }
                => un_try(|x: f64| ops::i32_trunc_f64_u(x).map(u64::from)),
            I64TruncF32S { dst: Slot, src: Slot }
                => un_try(|x: f32| ops::i64_trunc_f32_s(x).map(|v| v as u64)),
            I64TruncF32U { dst: Slot, src: Slot } => un_try(|x: f32| ops::i64_trunc_f32_u(x)),
            I64TruncF64S { dst: Slot, src: Slot }
                => un_try(|x: f64| ops::i64_trunc_f64_s(x).map(|v| v as u64)),
            I64TruncF64U { dst: Slot, src: Slot } => un_try(|x: f64| ops::i64_trunc_f64_u(x)),
            /// A compiler's guarded conversion, fused from its range test, its two
            /// branches and its fallback constant (see `translate::fuse_guarded_truncs`):
            /// `dst` = the truncation of `src` if in range, else the fallback
            /// (`ops::guarded_in_range`); then a jump by `off`, past the fallback.
            I32TruncF32SGuarded { dst: Slot, src: Slot, off: Off }
                => trunc_guarded(|x: f32| u64::from(ops::i32_trunc_guarded_f32_s(x) as u32)),
            I32TruncF32UGuarded { dst: Slot, src: Slot, off: Off }
                => trunc_guarded(|x: f32| u64::from(ops::i32_trunc_guarded_f32_u(x))),
            I32TruncF64SGuarded { dst: Slot, src: Slot, off: Off }
                => trunc_guarded(|x: f64| u64::from(ops::i32_trunc_guarded_f64_s(x) as u32)),
            I32TruncF64UGuarded { dst: Slot, src: Slot, off: Off }
                => trunc_guarded(|x: f64| u64::from(ops::i32_trunc_guarded_f64_u(x))),
            I64TruncF32SGuarded { dst: Slot, src: Slot, off: Off }
                => trunc_guarded(|x: f32| ops::i64_trunc_guarded_f32_s(x) as u64),
            I64TruncF32UGuarded { dst: Slot, src: Slot, off: Off }
                => trunc_guarded(|x: f32| ops::i64_trunc_guarded_f32_u(x)),
            I64TruncF64SGuarded { dst: Slot, src: Slot, off: Off }
                => trunc_guarded(|x: f64| ops::i64_trunc_guarded_f64_s(x) as u64),
            I64TruncF64UGuarded { dst: Slot, src: Slot, off: Off }
                => trunc_guarded(|x: f64| ops::i64_trunc_guarded_f64_u(x)),
            I32TruncSatF32S { dst: Slot, src: Slot }
                => un(|x: f32| u64::from(ops::i32_trunc_sat_f32_s(x) as u32)),
            I32TruncSatF32U { dst: Slot, src: Slot }
                => un(|x: f32| u64::from(ops::i32_trunc_sat_f32_u(x))),
            I32TruncSatF64S { dst: Slot, src: Slot }
                => un(|x: f64| u64::from(ops::i32_trunc_sat_f64_s(x) as u32)),
            I32TruncSatF64U { dst: Slot, src: Slot }
                => un(|x: f64| u64::from(ops::i32_trunc_sat_f64_u(x))),
            I64TruncSatF32S { dst: Slot, src: Slot }
                => un(|x: f32| ops::i64_trunc_sat_f32_s(x) as u64),
            I64TruncSatF32U { dst: Slot, src: Slot } => un(|x: f32| ops::i64_trunc_sat_f32_u(x)),
            I64TruncSatF64S { dst: Slot, src: Slot }
                => un(|x: f64| ops::i64_trunc_sat_f64_s(x) as u64),
            I64TruncSatF64U { dst: Slot, src: Slot } => un(|x: f64| ops::i64_trunc_sat_f64_u(x)),
            F32ConvertI32S { dst: Slot, src: Slot }
                => un(|x: i32| u64::from(ops::f32_convert_i32_s(x).to_bits())),
            F32ConvertI32U { dst: Slot, src: Slot }
                => un(|x: u32| u64::from(ops::f32_convert_i32_u(x).to_bits())),
            F32ConvertI64S { dst: Slot, src: Slot }
                => un(|x: i64| u64::from(ops::f32_convert_i64_s(x).to_bits())),
            F32ConvertI64U { dst: Slot, src: Slot }
                => un(|x: u64| u64::from(ops::f32_convert_i64_u(x).to_bits())),
            F64ConvertI32S { dst: Slot, src: Slot }
                => un(|x: i32| ops::f64_convert_i32_s(x)),
            F64ConvertI32U { dst: Slot, src: Slot }
                => un(|x: u32| ops::f64_convert_i32_u(x)),
            F64ConvertI64S { dst: Slot, src: Slot }
                => un(|x: i64| ops::f64_convert_i64_s(x)),
            F64ConvertI64U { dst: Slot, src: Slot }
                => un(|x: u64| ops::f64_convert_i64_u(x)),
            F32DemoteF64 { dst: Slot, src: Slot }
                => un(|x: f64| u64::from(ops::f32_demote_f64(x).to_bits())),
            F64PromoteF32 { dst: Slot, src: Slot }
                => un(|x: f32| ops::f64_promote_f32(x)),
            I32StoreImm { addr: Slot, offset: u32, imm: i32, wrap: bool }
                => store_imm(|v: i32| v as u32),
            I64StoreImm { addr: Slot, offset: u32, imm: i32, wrap: bool }
                => store_imm(|v: i32| i64::from(v) as u64),
            I32Store8Imm { addr: Slot, offset: u32, imm: i32, wrap: bool }
                => store_imm(|v: i32| v as u8),
            I32Store16Imm { addr: Slot, offset: u32, imm: i32, wrap: bool }
                => store_imm(|v: i32| v as u16),

            // ---- accumulator forms: the operand named by the `A` is the previous instruction's
            // result, read from the interpreter's accumulator register instead of its slot;
            // `reads_acc` is true for the variants after the `;` ----
            ;
            I32AddA { dst: Slot, b: Slot } => i32_bin_acc(B::Add),
            I32SubA { dst: Slot, b: Slot } => i32_bin_acc(B::Sub),
            I32MulA { dst: Slot, b: Slot } => i32_bin_acc(B::Mul),
            I32AndA { dst: Slot, b: Slot } => i32_bin_acc(B::And),
            I32OrA { dst: Slot, b: Slot } => i32_bin_acc(B::Or),
            I32XorA { dst: Slot, b: Slot } => i32_bin_acc(B::Xor),
            I32ShlA { dst: Slot, b: Slot } => i32_bin_acc(B::Shl),
            I32ShrSA { dst: Slot, b: Slot } => i32_bin_acc(B::ShrS),
            I32ShrUA { dst: Slot, b: Slot } => i32_bin_acc(B::ShrU),
            I64AddA { dst: Slot, b: Slot } => i64_bin_acc(B::Add),
            I64SubA { dst: Slot, b: Slot } => i64_bin_acc(B::Sub),
            I64MulA { dst: Slot, b: Slot } => i64_bin_acc(B::Mul),
            I64AndA { dst: Slot, b: Slot } => i64_bin_acc(B::And),
            I64OrA { dst: Slot, b: Slot } => i64_bin_acc(B::Or),
            I64XorA { dst: Slot, b: Slot } => i64_bin_acc(B::Xor),
            I64ShlA { dst: Slot, b: Slot } => i64_bin_acc(B::Shl),
            I64ShrSA { dst: Slot, b: Slot } => i64_bin_acc(B::ShrS),
            I64ShrUA { dst: Slot, b: Slot } => i64_bin_acc(B::ShrU),
            F32AddA { dst: Slot, b: Slot } => f32_bin_acc(FB::Add),
            F32SubA { dst: Slot, b: Slot } => f32_bin_acc(FB::Sub),
            F32MulA { dst: Slot, b: Slot } => f32_bin_acc(FB::Mul),
            F32DivA { dst: Slot, b: Slot } => f32_bin_acc(FB::Div),
            F64AddA { dst: Slot, b: Slot } => f64_bin_acc(FB::Add),
            F64SubA { dst: Slot, b: Slot } => f64_bin_acc(FB::Sub),
            F64MulA { dst: Slot, b: Slot } => f64_bin_acc(FB::Mul),
            F64DivA { dst: Slot, b: Slot } => f64_bin_acc(FB::Div),
            /// `b - acc`: the accumulator is the right operand.
            F64SubRevA { dst: Slot, b: Slot } => f64_bin_rev_acc(FB::Sub),
            /// `b / acc`.
            F64DivRevA { dst: Slot, b: Slot } => f64_bin_rev_acc(FB::Div),
            I32AddImmA { dst: Slot, imm: i32 } => i32_bin_imm_acc(B::Add),
            I32MulImmA { dst: Slot, imm: i32 } => i32_bin_imm_acc(B::Mul),
            I32AndImmA { dst: Slot, imm: i32 } => i32_bin_imm_acc(B::And),
            I32OrImmA { dst: Slot, imm: i32 } => i32_bin_imm_acc(B::Or),
            I32XorImmA { dst: Slot, imm: i32 } => i32_bin_imm_acc(B::Xor),
            I32ShlImmA { dst: Slot, imm: i32 } => i32_bin_imm_acc(B::Shl),
            I32ShrSImmA { dst: Slot, imm: i32 } => i32_bin_imm_acc(B::ShrS),
            I32ShrUImmA { dst: Slot, imm: i32 } => i32_bin_imm_acc(B::ShrU),
            I32RotlImmA { dst: Slot, imm: i32 } => i32_bin_imm_acc(B::Rotl),
            I32ShrUAndImmA { dst: Slot, mask: u32, shift: u8 } => i32_shr_u_and_acc(),
            /// `(acc << shift) + b`.
            I32ShlAddA { dst: Slot, b: Slot, shift: u8 } => i32_shl_add_acc(),
            /// `(a << shift) + acc`: the accumulator is the addend.
            I32ShlAddRevA { dst: Slot, a: Slot, shift: u8 } => i32_shl_add_rev_acc(),
            I32ShlAddImmA { dst: Slot, imm: i32, shift: u8 } => i32_shl_add_imm_acc(),
            I32EqA { dst: Slot, b: Slot } => i32_cmp_acc(C::Eq),
            I32NeA { dst: Slot, b: Slot } => i32_cmp_acc(C::Ne),
            I32LtSA { dst: Slot, b: Slot } => i32_cmp_acc(C::LtS),
            I32LtUA { dst: Slot, b: Slot } => i32_cmp_acc(C::LtU),
            I32GtSA { dst: Slot, b: Slot } => i32_cmp_acc(C::GtS),
            I32GtUA { dst: Slot, b: Slot } => i32_cmp_acc(C::GtU),
            I32LeSA { dst: Slot, b: Slot } => i32_cmp_acc(C::LeS),
            I32LeUA { dst: Slot, b: Slot } => i32_cmp_acc(C::LeU),
            I32GeSA { dst: Slot, b: Slot } => i32_cmp_acc(C::GeS),
            I32GeUA { dst: Slot, b: Slot } => i32_cmp_acc(C::GeU),
            I32EqImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::Eq),
            I32NeImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::Ne),
            I32LtSImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::LtS),
            I32LtUImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::LtU),
            I32GtSImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::GtS),
            I32GtUImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::GtU),
            I32LeSImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::LeS),
            I32LeUImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::LeU),
            I32GeSImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::GeS),
            I32GeUImmA { dst: Slot, imm: i32 } => i32_cmp_imm_acc(C::GeU),
            I64AddImmA { dst: Slot, imm: i32 } => i64_bin_imm_acc(B::Add),
            I64MulImmA { dst: Slot, imm: i32 } => i64_bin_imm_acc(B::Mul),
            I64AndImmA { dst: Slot, imm: i32 } => i64_bin_imm_acc(B::And),
            I64OrImmA { dst: Slot, imm: i32 } => i64_bin_imm_acc(B::Or),
            I64XorImmA { dst: Slot, imm: i32 } => i64_bin_imm_acc(B::Xor),
            I64ShlImmA { dst: Slot, imm: i32 } => i64_bin_imm_acc(B::Shl),
            I64ShrSImmA { dst: Slot, imm: i32 } => i64_bin_imm_acc(B::ShrS),
            I64ShrUImmA { dst: Slot, imm: i32 } => i64_bin_imm_acc(B::ShrU),
            I64RotlImmA { dst: Slot, imm: i32 } => i64_bin_imm_acc(B::Rotl),
            I32LoadIdxA { dst: Slot, offset: u32, shift: u8, wrap: bool }
                => load_idx_acc(|v: u32| u64::from(v)),
            I64LoadIdxA { dst: Slot, offset: u32, shift: u8, wrap: bool }
                => load_idx_acc(|v: u64| v),
            F32LoadIdxA { dst: Slot, offset: u32, shift: u8, wrap: bool }
                => load_idx_acc(|v: u32| u64::from(v)),
            F64LoadIdxA { dst: Slot, offset: u32, shift: u8, wrap: bool }
                => load_idx_acc(|v: f64| v),
            I32LoadSumA { dst: Slot, b: Slot16, dst2: Slot16, offset: u16, wrap: bool }
                => load_sum_acc(|v: u32| u64::from(v)),
            I32Load8USumA { dst: Slot, b: Slot16, dst2: Slot16, offset: u16, wrap: bool }
                => load_sum_acc(|v: u8| u64::from(v)),
            I64LoadSumA { dst: Slot, b: Slot16, dst2: Slot16, offset: u16, wrap: bool }
                => load_sum_acc(|v: u64| v),
            F64LoadSumA { dst: Slot, b: Slot16, dst2: Slot16, offset: u16, wrap: bool }
                => load_sum_acc(|v: f64| v),
            I32AddImm2A { dst: Slot, imm: i16, dst2: Slot16, a2: Slot16, imm2: i16 }
                => i32_add_imm2_acc(),
            I32LoadPtrA { dst: Slot, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_ptr_acc(|v: u32| u64::from(v)),
            I32Load8UPtrA { dst: Slot, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_ptr_acc(|v: u8| u64::from(v)),
            I64LoadPtrA { dst: Slot, dst2: Slot16, offset: u16, offset2: u16, wrap: bool }
                => load_ptr_acc(|v: u64| v),
            I32LoadA { dst: Slot, offset: u32, wrap: bool } => load_acc(|v: u32| u64::from(v)),
            I64LoadA { dst: Slot, offset: u32, wrap: bool } => load_acc(|v: u64| v),
            F32LoadA { dst: Slot, offset: u32, wrap: bool } => load_acc(|v: u32| u64::from(v)),
            F64LoadA { dst: Slot, offset: u32, wrap: bool } => load_acc(|v: f64| v),
            I32Load8SA { dst: Slot, offset: u32, wrap: bool }
                => load_acc(|v: i8| u64::from(v as i32 as u32)),
            I32Load8UA { dst: Slot, offset: u32, wrap: bool } => load_acc(|v: u8| u64::from(v)),
            I32Load16SA { dst: Slot, offset: u32, wrap: bool }
                => load_acc(|v: i16| u64::from(v as i32 as u32)),
            I32Load16UA { dst: Slot, offset: u32, wrap: bool } => load_acc(|v: u16| u64::from(v)),
            I32StoreA { addr: Slot, offset: u32, wrap: bool } => store_acc(|v: u64| v as u32),
            I64StoreA { addr: Slot, offset: u32, wrap: bool } => store_acc(|v: u64| v as u64),
            F32StoreA { addr: Slot, offset: u32, wrap: bool } => store_acc(|v: u64| v as u32),
            F64StoreA { addr: Slot, offset: u32, wrap: bool } => store_acc(|v: f64| v),
            I32Store8A { addr: Slot, offset: u32, wrap: bool } => store_acc(|v: u64| v as u8),
            I32Store16A { addr: Slot, offset: u32, wrap: bool } => store_acc(|v: u64| v as u16),
            I32EqzA { dst: Slot } => un_acc(|x: u32| u64::from(x == 0)),
            I64EqzA { dst: Slot } => un_acc(|x: u64| u64::from(x == 0)),
            I32WrapI64A { dst: Slot } => un_acc(|x: u32| u64::from(x)),
            I64ExtendI32SA { dst: Slot } => un_acc(|x: u32| x as i32 as i64 as u64),
            I64ExtendI32UA { dst: Slot } => un_acc(|x: u32| u64::from(x)),
            F64ConvertI32SA { dst: Slot } => un_acc(|x: i32| ops::f64_convert_i32_s(x).to_bits()),
            F64ConvertI32UA { dst: Slot } => un_acc(|x: u32| ops::f64_convert_i32_u(x).to_bits()),
            F64PromoteF32A { dst: Slot } => un_acc(|x: f32| ops::f64_promote_f32(x).to_bits()),
            F32DemoteF64A { dst: Slot }
                => un_acc(|x: f64| u64::from(ops::f32_demote_f64(x).to_bits())),
            BrI32EqImmA { imm: i32, off: Off } => br_i32_imm_acc(C::Eq),
            BrI32NeImmA { imm: i32, off: Off } => br_i32_imm_acc(C::Ne),
            BrI32LtSImmA { imm: i32, off: Off } => br_i32_imm_acc(C::LtS),
            BrI32LtUImmA { imm: i32, off: Off } => br_i32_imm_acc(C::LtU),
            BrI32GtSImmA { imm: i32, off: Off } => br_i32_imm_acc(C::GtS),
            BrI32GtUImmA { imm: i32, off: Off } => br_i32_imm_acc(C::GtU),
            BrI32LeSImmA { imm: i32, off: Off } => br_i32_imm_acc(C::LeS),
            BrI32LeUImmA { imm: i32, off: Off } => br_i32_imm_acc(C::LeU),
            BrI32GeSImmA { imm: i32, off: Off } => br_i32_imm_acc(C::GeS),
            BrI32GeUImmA { imm: i32, off: Off } => br_i32_imm_acc(C::GeU),
            /// `BrI32*` with the accumulator as the first operand: the branch resolves as
            /// soon as the value that feeds it is computed, without a round trip through
            /// its slot.
            BrI32EqA { b: Slot, off: Off } => br_i32_acc(C::Eq),
            BrI32NeA { b: Slot, off: Off } => br_i32_acc(C::Ne),
            BrI32LtSA { b: Slot, off: Off } => br_i32_acc(C::LtS),
            BrI32LtUA { b: Slot, off: Off } => br_i32_acc(C::LtU),
            BrI32GtSA { b: Slot, off: Off } => br_i32_acc(C::GtS),
            BrI32GtUA { b: Slot, off: Off } => br_i32_acc(C::GtU),
            BrI32LeSA { b: Slot, off: Off } => br_i32_acc(C::LeS),
            BrI32LeUA { b: Slot, off: Off } => br_i32_acc(C::LeU),
            BrI32GeSA { b: Slot, off: Off } => br_i32_acc(C::GeS),
            BrI32GeUA { b: Slot, off: Off } => br_i32_acc(C::GeU),
            BrIfNezA { off: Off } => br_acc(|c: u32| c != 0),
            BrIfEqzA { off: Off } => br_acc(|c: u32| c == 0),
            BrTableA { len: u32, bias: i32 } => br_table_acc(),
            /// `ReturnSlot` of the accumulator, which holds `src`'s value: the instruction
            /// before wrote it (the recorder reads `src`).
            ReturnSlotA { src: Slot } => return_acc(),
        }
    };
}
pub(crate) use instr_table;

instr_table!(define_instr);

const _: () = assert!(std::mem::size_of::<Instr>() == 16);

impl Instr {
    /// Whether the instruction's result goes to the interpreter's float accumulator: it
    /// writes an `f64` that its handler computed or loaded as one (the handler's result
    /// type decides, see `exec::Written`). Every other instruction with a result writes
    /// the integer accumulator, `f64` bit operations (`abs`, `neg`, `copysign`) and
    /// moves included.
    pub(crate) fn writes_float_acc(&self) -> bool {
        use Instr::*;
        matches!(
            self,
            F64Add { .. }
                | F64Sub { .. }
                | F64Mul { .. }
                | F64Div { .. }
                | F64Min { .. }
                | F64Max { .. }
                | F64Ceil { .. }
                | F64Floor { .. }
                | F64Trunc { .. }
                | F64Nearest { .. }
                | F64Sqrt { .. }
                | F64ConvertI32S { .. }
                | F64ConvertI32U { .. }
                | F64ConvertI64S { .. }
                | F64ConvertI64U { .. }
                | F64PromoteF32 { .. }
                | F64Load { .. }
                | F64LoadIdx { .. }
                | F64LoadSum { .. }
                | F64AddA { .. }
                | F64SubA { .. }
                | F64MulA { .. }
                | F64DivA { .. }
                | F64SubRevA { .. }
                | F64DivRevA { .. }
                | F64LoadA { .. }
                | F64LoadIdxA { .. }
                | F64LoadSumA { .. }
        )
    }

    /// Whether the instruction is an `A` form that reads the float accumulator: its
    /// accumulator operand is an `f64`.
    pub(crate) fn reads_float_acc(&self) -> bool {
        use Instr::*;
        matches!(
            self,
            F64AddA { .. }
                | F64SubA { .. }
                | F64MulA { .. }
                | F64DivA { .. }
                | F64SubRevA { .. }
                | F64DivRevA { .. }
                | F64StoreA { .. }
        )
    }
}

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

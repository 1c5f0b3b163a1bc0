//! AArch64 code generation for traces, with dynasm.
//!
//! Register conventions inside a trace: `x19` holds the trace context, `x20` the slot
//! pointer (the context's `sp`, kept equal to it; code after a helper call, which may
//! move the value stack, reloads it), `x21` the base of linear memory 0; `x9`, `x10`
//! and `x11` are scratch for operands, `x16` for addresses and `x17` for immediates,
//! as are `v30` and `v31`. `x18` (the platform register), `x29` (the frame pointer) and
//! `x30` (the link register) are left alone. Everything else is allocatable: 20 general
//! and 30 float registers. i32 values are kept zero-extended in their registers (32-bit
//! operations do that), so a value can be used as a 64-bit address or slot as it is.
//!
//! Layout: prologue (save callee-saved registers, load the context), the first
//! iteration, the `Loop` label, the loop body, PHI moves and the backward jump, the
//! out-of-line paths, then one stub per exit (its number into `x16`, a branch to the
//! common exit, which saves every register into the context for the exit handler and
//! returns), the constant pool and `Switch` tables.
//!
//! Where it differs from x86-64, and why:
//! - A native call into another trace pushes its return address (16 bytes, keeping `sp`
//!   aligned) and branches, and a trace returns by popping it: `bl` would leave it in
//!   `x30`, which the callee's own helper calls overwrite.
//! - A guard's conditional branch reaches only ±1 MiB, less than the code area, so an
//!   exit is patched at its stub alone (a `b`, ±128 MiB); only the unconditional branch
//!   of a loop-closing guard is patched in place.
//! - Float comparisons need no second branch: every Wasm condition, ordered or not, is
//!   one AArch64 condition after `fcmp`. Division by a register and `MIN % -1` need no
//!   special case (`sdiv` does not fault), min and max are `fmin`/`fmax` (Wasm's NaN and
//!   signed-zero rules), and conversions saturate in hardware, so unsigned 64-bit
//!   conversions need no fix-up.
//! - Constants that fit no immediate field are built 16 bits at a time (`movz`/`movk`);
//!   float constants are read PC-relative from the pool.

#![allow(
    clippy::useless_conversion,
    reason = "dynasm's dynamic-register syntax converts register numbers that are already `u8`"
)]

use super::moves::{self, Callee, Cold, Src, Step};
use super::{Alloc, Arch, Assembled, LinkTarget, Loc, Unit};
use crate::jit::ctx::{FAILED, MAX_SPILLS, RETURNED, TraceCtx, word};
use crate::jit::fuel::FUEL_SLOT;
use crate::jit::helpers::{self, Helper};
use crate::jit::ir::{Cond, Ins, Ir, Mem, Op, Ref, Ty};
use crate::jit::mcode;
use crate::jit::record::Abort;
use crate::runtime::store::{GlobalEntity, StoreInner};
use dynasmrt::aarch64::Aarch64Relocation;
use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, dynasm};
use std::mem::offset_of;

/// Operand scratch registers.
const T0: u8 = 9;
const T1: u8 = 10;
const T2: u8 = 11;
/// Float scratch registers.
const FS0: u8 = 30;
const FS1: u8 = 31;

const OFF_MEM: u32 = offset_of!(TraceCtx, mem) as u32;
const OFF_MEM_LEN: u32 = offset_of!(TraceCtx, mem_len) as u32;
const OFF_SP: u32 = offset_of!(TraceCtx, sp) as u32;
const OFF_GLOBALS: u32 = offset_of!(TraceCtx, globals) as u32;
const OFF_TABLE0: u32 = offset_of!(TraceCtx, table0) as u32;
const OFF_TABLE0_LEN: u32 = offset_of!(TraceCtx, table0_len) as u32;
const OFF_EXIT: u32 = offset_of!(TraceCtx, exit) as u32;
const OFF_DEADLINE: u32 = offset_of!(TraceCtx, epoch_deadline) as u32;
const OFF_STORE: u32 = offset_of!(TraceCtx, store) as u32;
const OFF_FUEL: u32 = offset_of!(StoreInner, fuel) as u32;
const OFF_TRACE: u32 = offset_of!(TraceCtx, trace) as u32;
const OFF_DEPTH: u32 = offset_of!(TraceCtx, depth) as u32;
const OFF_CALLS_LEFT: u32 = offset_of!(TraceCtx, calls_left) as u32;
const OFF_STACK_LIMIT: u32 = offset_of!(TraceCtx, stack_limit) as u32;
const OFF_SP_LIMIT: u32 = offset_of!(TraceCtx, sp_limit) as u32;
const OFF_ENTRY_CODE: u32 = offset_of!(TraceCtx, entry_code) as u32;
const OFF_ENTRY_KEYS: u32 = offset_of!(TraceCtx, entry_keys) as u32;
const OFF_ENTRIES_LEN: u32 = offset_of!(TraceCtx, entries_len) as u32;
const OFF_SLOT_ELEMS: u32 = offset_of!(TraceCtx, slot_elems) as u32;
const OFF_SLOT_CODE: u32 = offset_of!(TraceCtx, slot_code) as u32;
const OFF_SLOT_KEYS: u32 = offset_of!(TraceCtx, slot_keys) as u32;
const OFF_SLOTS_LEN: u32 = offset_of!(TraceCtx, slots_len) as u32;
const OFF_KPOOL: u32 = offset_of!(TraceCtx, kpool) as u32;
const OFF_WORDS: u32 = offset_of!(TraceCtx, words) as u32;
const OFF_GPR: u32 = OFF_WORDS + 8 * word::GPR as u32;
const OFF_FPR: u32 = OFF_WORDS + 8 * word::FPR as u32;
const OFF_SAVE: u32 = OFF_WORDS + 8 * word::SAVE as u32;
const OFF_PARK: u32 = OFF_WORDS + 8 * word::PARK as u32;
const OFF_SPILL: u32 = OFF_WORDS + 8 * word::SPILL as u32;

// 64-bit loads and stores scale their offset by 8, 32-bit ones by 4; the whole context
// is within their 12-bit reach.
const _: () = {
    let words = [
        OFF_MEM,
        OFF_MEM_LEN,
        OFF_SP,
        OFF_GLOBALS,
        OFF_TABLE0,
        OFF_TABLE0_LEN,
        OFF_DEADLINE,
        OFF_STORE,
        OFF_FUEL,
        OFF_DEPTH,
        OFF_STACK_LIMIT,
        OFF_SP_LIMIT,
        OFF_ENTRY_CODE,
        OFF_SLOT_ELEMS,
        OFF_SLOT_CODE,
        OFF_SLOT_KEYS,
        OFF_SLOTS_LEN,
        OFF_ENTRY_KEYS,
        OFF_ENTRIES_LEN,
        OFF_WORDS,
    ];
    let mut i = 0;
    while i < words.len() {
        assert!(words[i].is_multiple_of(8) && words[i] < 4096 * 8);
        i += 1;
    }
    assert!(OFF_EXIT.is_multiple_of(4) && OFF_TRACE.is_multiple_of(4));
    assert!(OFF_EXIT < 4096 * 4 && OFF_TRACE < 4096 * 4 && OFF_CALLS_LEFT < 4096 * 4);
    // The register words are within reach of `stp`'s offset from their start, and
    // the start within an add's immediate.
    assert!(OFF_GPR < 4096 && OFF_FPR < 4096);
    assert!(OFF_CALLS_LEFT == OFF_DEPTH + 4);
    assert!((OFF_SPILL as usize) + 8 * MAX_SPILLS < 4096 * 8);
};

/// The root frame's size on the native stack: `x29`, `x30`, `x19`-`x28`, `d8`-`d15`.
const FRAME: u32 = 160;

/// The AArch64 backend.
pub(crate) struct Aarch64;

impl Arch for Aarch64 {
    // x22-x28 (callee-saved), x12-x15, x0-x8.
    const GPRS: &'static [u8] = &[
        22, 23, 24, 25, 26, 27, 28, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8,
    ];
    const FPRS: &'static [u8] = &[
        0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 8, 9, 10,
        11, 12, 13, 14, 15,
    ];
    const MAX_SPILLS: usize = MAX_SPILLS;
    // x0..x30 (and a word for the stack pointer's number), v0..v31.
    const GPR_WORDS: usize = 32;
    const FPR_WORDS: usize = 32;
    // Two dependent loads from the pool would cost more than `movz`/`movk` and `eor`.
    const POOLED_INTS: bool = false;

    fn assemble(ir: &Ir<'_>, alloc: &Alloc, unit: &Unit) -> Result<Assembled, Abort> {
        let mut ops = VecAssembler::<Aarch64Relocation>::new(0);
        let exits: Vec<DynamicLabel> = ir.snaps.iter().map(|_| ops.new_dynamic_label()).collect();
        let loop_label = ops.new_dynamic_label();
        let mut cg = Cg {
            ops,
            ir,
            alloc,
            exits,
            snap_of: moves::snapshots(ir),
            pool: Vec::new(),
            key: unit.blind,
            pooled: &unit.pooled,
            host_call: unit.host_call,
            switches: Vec::new(),
            cold: Vec::new(),
            loop_label,
            closing: None,
            out: Assembled::empty(ir.snaps.len()),
            link: &unit.link,
        };
        cg.trace(unit);
        let fills = cg.switch_tables()?;
        let mut out = std::mem::replace(&mut cg.out, Assembled::empty(0));
        out.code = cg.ops.finalize().map_err(|_| Abort::CodeSpace)?;
        for (at, v) in fills {
            out.code[at as usize..at as usize + 4].copy_from_slice(&v.to_le_bytes());
        }
        Ok(out)
    }

    /// An integer add takes a shift left by 1, 2 or 3 as its shifted operand.
    fn fuses(ir: &Ir<'_>, user: &Ins, r: Ref) -> bool {
        let def = ir.get(r);
        match user.op {
            Op::Add => user.ty == def.ty && scaled_index(ir, def).is_some(),
            // A megamorphic call through table 0 goes by the slot (see `call_slot`).
            Op::CallAny => user.a == r && def.op == Op::Call && def.aux == Helper::TableGet as u64,
            // A guard on `x & y` being 0 or not is a `tst` (see `compare`).
            Op::Guard => super::tests_and(ir, user, r),
            _ => false,
        }
    }

    fn retarget(code: &mut [u8], at: u32, base: usize, to: usize) -> bool {
        let at = at as usize;
        let Some(bytes) = code.get_mut(at..at + 4) else {
            return false;
        };
        let word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        match mcode::a64::retarget(word, base + at, to) {
            Ok(w) => {
                bytes.copy_from_slice(&w.to_le_bytes());
                true
            }
            Err(_) => false,
        }
    }

    fn jump(from: usize, to: usize) -> Option<Vec<u8>> {
        // `b` to itself, retargeted.
        let word = mcode::a64::retarget(0x1400_0000, from, to).ok()?;
        Some(word.to_le_bytes().to_vec())
    }

    fn disasm(code: &[u8], text: usize) -> String {
        use yaxpeax_arch::{Decoder, U8Reader};
        let (code, data) = code.split_at(text.min(code.len()));
        let decoder = yaxpeax_arm::armv8::a64::InstDecoder::default();
        let mut out = String::new();
        for (k, word) in code.chunks(4).enumerate() {
            let mut reader = U8Reader::new(word);
            let text = match decoder.decode(&mut reader) {
                Ok(ins) => ins.to_string(),
                Err(_) => format!(".word {:#010x}", u32::from_le_bytes(word_bytes(word))),
            };
            out.push_str(&format!("{:05x}  {text}\n", 4 * k));
        }
        for (k, word) in data.chunks(8).enumerate() {
            let hex: Vec<String> = word.iter().rev().map(|b| format!("{b:02x}")).collect();
            out.push_str(&format!(
                "{:05x}  .data {}\n",
                code.len() + 8 * k,
                hex.concat()
            ));
        }
        out
    }
}

fn word_bytes(b: &[u8]) -> [u8; 4] {
    let mut w = [0; 4];
    w[..b.len().min(4)].copy_from_slice(&b[..b.len().min(4)]);
    w
}

struct Cg<'a, 'b> {
    ops: VecAssembler<Aarch64Relocation>,
    ir: &'a Ir<'b>,
    alloc: &'a Alloc,
    exits: Vec<DynamicLabel>,
    snap_of: Vec<usize>,
    /// Float constants, placed after the code and read PC-relative.
    pool: Vec<(u64, DynamicLabel)>,
    /// The constant-blinding key (see [`Unit::blind`]).
    key: Option<u64>,
    /// Blinded float constants in the store's pool (see [`Unit::pooled`]).
    pooled: &'a super::Pooled,
    /// The typed host call (see [`Unit::host_call`]).
    host_call: Option<helpers::HelperFn>,
    /// `Switch` tables.
    switches: Vec<moves::SwitchTable>,
    cold: Vec<Cold<DynamicLabel>>,
    loop_label: DynamicLabel,
    /// The guard that closes the loop by branching back (see `moves::closing_guard`).
    closing: Option<usize>,
    out: Assembled,
    /// Where the trace it links to wants its values (see [`Unit::link`]).
    link: &'a LinkTarget,
}

/// `def` as `index << shift` with a shift of 1 to 3.
fn scaled_index(ir: &Ir<'_>, def: &Ins) -> Option<(Ref, u8)> {
    if def.op != Op::Shl || !def.ty.is_int() {
        return None;
    }
    let k = ir.konst(def.b)?;
    (1..=3).contains(&k).then_some((def.a, k as u8))
}

fn spill_off(i: u16) -> u32 {
    OFF_SPILL + 8 * u32::from(i)
}

/// `v` as an add/sub/cmp immediate (12 bits, unshifted).
fn imm12(v: u64) -> Option<u32> {
    (v < 4096).then_some(v as u32)
}

/// AArch64 condition codes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cc {
    Eq,
    Ne,
    Hs,
    Lo,
    Mi,
    Pl,
    Hi,
    Ls,
    Ge,
    Lt,
    Gt,
    Le,
}

impl Cc {
    fn negate(self) -> Cc {
        match self {
            Cc::Eq => Cc::Ne,
            Cc::Ne => Cc::Eq,
            Cc::Hs => Cc::Lo,
            Cc::Lo => Cc::Hs,
            Cc::Mi => Cc::Pl,
            Cc::Pl => Cc::Mi,
            Cc::Hi => Cc::Ls,
            Cc::Ls => Cc::Hi,
            Cc::Ge => Cc::Lt,
            Cc::Lt => Cc::Ge,
            Cc::Gt => Cc::Le,
            Cc::Le => Cc::Gt,
        }
    }

    /// The condition that holds after comparing `a` with `b` when `a c b` does. After
    /// `fcmp`, an unordered result sets C and V: the conditions chosen for ordered
    /// comparisons are false then, and those for negated ones true.
    fn of(c: Cond) -> Cc {
        match c {
            Cond::Eq | Cond::FEq => Cc::Eq,
            Cond::Ne | Cond::FNe => Cc::Ne,
            Cond::LtS => Cc::Lt,
            Cond::LtU => Cc::Lo,
            Cond::LeS => Cc::Le,
            Cond::LeU => Cc::Ls,
            Cond::GtS | Cond::FGt => Cc::Gt,
            Cond::GtU => Cc::Hi,
            Cond::GeS | Cond::FGe => Cc::Ge,
            Cond::GeU => Cc::Hs,
            Cond::FLt => Cc::Mi,
            Cond::FLe => Cc::Ls,
            Cond::FNotLt => Cc::Pl,
            Cond::FNotLe => Cc::Hi,
            Cond::FNotGt => Cc::Le,
            Cond::FNotGe => Cc::Lt,
        }
    }
}

/// `$mn d, a, b` on general registers: 64-bit, or their 32-bit views.
macro_rules! rrr {
    ($ops:expr, $wide:expr, $mn:ident, $d:expr, $a:expr, $b:expr) => {
        if $wide {
            dynasm!($ops ; .arch aarch64 ; $mn X($d), X($a), X($b))
        } else {
            dynasm!($ops ; .arch aarch64 ; $mn W($d), W($a), W($b))
        }
    };
}

/// `$mn d, a, b` on float registers: double, or single.
macro_rules! fff {
    ($ops:expr, $f64:expr, $mn:ident, $d:expr, $a:expr, $b:expr) => {
        if $f64 {
            dynasm!($ops ; .arch aarch64 ; $mn D($d), D($a), D($b))
        } else {
            dynasm!($ops ; .arch aarch64 ; $mn S($d), S($a), S($b))
        }
    };
}

/// Runs `$m!(cond)` with the condition as an assembler token.
macro_rules! by_cc {
    ($cc:expr, $m:ident) => {
        match $cc {
            Cc::Eq => $m!(eq),
            Cc::Ne => $m!(ne),
            Cc::Hs => $m!(hs),
            Cc::Lo => $m!(lo),
            Cc::Mi => $m!(mi),
            Cc::Pl => $m!(pl),
            Cc::Hi => $m!(hi),
            Cc::Ls => $m!(ls),
            Cc::Ge => $m!(ge),
            Cc::Lt => $m!(lt),
            Cc::Gt => $m!(gt),
            Cc::Le => $m!(le),
        }
    };
}

impl Cg<'_, '_> {
    fn ins(&self, r: Ref) -> &Ins {
        self.ir.get(r)
    }

    fn konst(&self, r: Ref) -> Option<u64> {
        self.ir.konst(r)
    }

    fn loc(&self, r: Ref) -> Loc {
        self.alloc.loc[r.idx()]
    }

    /// Whether constant `v` must be blinded before it can appear in the code (see
    /// [`super::needs_blinding`]).
    fn blinded(&self, v: u64) -> bool {
        self.key.is_some() && super::needs_blinding(v)
    }

    /// `k` as a 12-bit immediate of an add, sub or compare, if it may appear raw.
    fn imm(&self, k: u64, ty: Ty) -> Option<u32> {
        let k = if ty == Ty::I64 {
            k
        } else {
            u64::from(k as u32)
        };
        imm12(k).filter(|_| !self.blinded(k))
    }

    /// Loads `v` into `reg` 16 bits at a time, without blinding (addresses of the
    /// engine's own data, offsets it chose).
    fn mov_raw(&mut self, reg: u8, v: u64) {
        if v == 0 {
            dynasm!(self.ops ; .arch aarch64 ; mov X(reg), xzr);
            return;
        }
        if !v < 0x1_0000 {
            // All ones but the low 16 bits: one `movn`.
            let n = (!v) as u32;
            dynasm!(self.ops ; .arch aarch64 ; movn X(reg), #n);
            return;
        }
        let mut first = true;
        for shift in [0u32, 16, 32, 48] {
            let part = ((v >> shift) & 0xffff) as u32;
            if part == 0 {
                continue;
            }
            if first {
                dynasm!(self.ops ; .arch aarch64 ; movz X(reg), #part, lsl #shift);
                first = false;
            } else {
                dynasm!(self.ops ; .arch aarch64 ; movk X(reg), #part, lsl #shift);
            }
        }
    }

    /// Loads a constant from the module into `reg` (blinded: the code holds `v ^ key`
    /// and unmasks it with the key, built in `x17`).
    fn mov_imm(&mut self, reg: u8, v: u64) {
        match self.key.filter(|_| self.blinded(v)) {
            Some(key) => {
                self.mov_raw(reg, v ^ key);
                self.mov_raw(17, key);
                dynasm!(self.ops ; .arch aarch64 ; eor X(reg), X(reg), x17);
            }
            None => self.mov_raw(reg, v),
        }
    }

    /// `r`'s value (or bits) in a general register: its own, or `scratch`.
    fn gpr(&mut self, r: Ref, scratch: u8) -> u8 {
        if let Some(k) = self.konst(r) {
            self.mov_imm(scratch, k);
            return scratch;
        }
        match self.loc(r) {
            Loc::Gpr(g) => g,
            Loc::Spill(i) => {
                dynasm!(self.ops ; .arch aarch64 ; ldr X(scratch), [x19, #spill_off(i)]);
                scratch
            }
            Loc::Fpr(x) => {
                if self.ins(r).ty == Ty::F32 {
                    dynasm!(self.ops ; .arch aarch64 ; fmov W(scratch), S(x));
                } else {
                    dynasm!(self.ops ; .arch aarch64 ; fmov X(scratch), D(x));
                }
                scratch
            }
            Loc::None => {
                // A value that was never needed elsewhere (e.g. folded away): zero.
                self.mov_raw(scratch, 0);
                scratch
            }
        }
    }

    /// `r`'s value in a float register: its own, or `scratch`. A blinded constant is
    /// read from the store's pool, or unmasked, through `x11`, which no caller holds
    /// anything in at that point.
    fn fpr(&mut self, r: Ref, scratch: u8) -> u8 {
        if let Some(k) = self.konst(r) {
            if let Some(at) = self.pooled.offset(k) {
                dynasm!(self.ops ; .arch aarch64
                    ; ldr X(T2), [x19, #OFF_KPOOL]
                    ; ldr D(scratch), [X(T2), #at]
                );
                return scratch;
            }
            if self.blinded(k) {
                self.mov_imm(T2, k);
                dynasm!(self.ops ; .arch aarch64 ; fmov D(scratch), X(T2));
                return scratch;
            }
            let l = self.constant(k);
            dynasm!(self.ops ; .arch aarch64 ; ldr D(scratch), =>l);
            return scratch;
        }
        match self.loc(r) {
            Loc::Fpr(x) => x,
            Loc::Spill(i) => {
                dynasm!(self.ops ; .arch aarch64 ; ldr D(scratch), [x19, #spill_off(i)]);
                scratch
            }
            Loc::Gpr(g) => {
                dynasm!(self.ops ; .arch aarch64 ; fmov D(scratch), X(g));
                scratch
            }
            Loc::None => {
                dynasm!(self.ops ; .arch aarch64 ; fmov D(scratch), xzr);
                scratch
            }
        }
    }

    /// The label of 64-bit constant `bits` in the trace's constant pool.
    fn constant(&mut self, bits: u64) -> DynamicLabel {
        if let Some(&(_, l)) = self.pool.iter().find(|(b, _)| *b == bits) {
            return l;
        }
        let l = self.ops.new_dynamic_label();
        self.pool.push((bits, l));
        l
    }

    /// The register the result of `r` is computed in.
    fn dst_g(&self, r: Ref) -> u8 {
        match self.loc(r) {
            Loc::Gpr(g) => g,
            _ => T0,
        }
    }

    fn dst_f(&self, r: Ref) -> u8 {
        match self.loc(r) {
            Loc::Fpr(x) => x,
            _ => FS0,
        }
    }

    /// Stores a result computed in `reg` to its spill slot, if it has one.
    fn finish_g(&mut self, r: Ref, reg: u8) {
        if let Loc::Spill(i) = self.loc(r) {
            dynasm!(self.ops ; .arch aarch64 ; str X(reg), [x19, #spill_off(i)]);
        }
    }

    fn finish_f(&mut self, r: Ref, reg: u8) {
        if let Loc::Spill(i) = self.loc(r) {
            dynasm!(self.ops ; .arch aarch64 ; str D(reg), [x19, #spill_off(i)]);
        }
    }

    /// `d = s`; i32 values are kept zero-extended, so a 32-bit move suffices for them.
    fn mov_g(&mut self, d: u8, s: u8, wide: bool) {
        if d != s {
            if wide {
                dynasm!(self.ops ; .arch aarch64 ; mov X(d), X(s));
            } else {
                dynasm!(self.ops ; .arch aarch64 ; mov W(d), W(s));
            }
        }
    }

    fn mov_f(&mut self, d: u8, s: u8) {
        if d != s {
            dynasm!(self.ops ; .arch aarch64 ; fmov D(d), D(s));
        }
    }

    /// The address of slot byte offset `off`, for an access of `size` bytes, as (base
    /// register, offset): `x20` and the offset when the access's scaled 12-bit offset
    /// reaches it, else computed in `x16`.
    fn slot_at(&mut self, off: u64, size: u64) -> (u8, u32) {
        if off < 4096 * size {
            return (20, off as u32);
        }
        self.mov_raw(16, off);
        dynasm!(self.ops ; .arch aarch64 ; add x16, x16, x20);
        (16, 0)
    }

    // ---- the trace ----

    fn trace(&mut self, unit: &Unit) {
        let loop_label = self.loop_label;
        self.closing = moves::closing_guard(self.ir, self.alloc, &self.snap_of);
        if unit.side {
            // Entered by a branch from the parent's exit: its frame, context and memory
            // registers are already set up; inherited values move where this trace's
            // allocation wants them.
            let moves = moves::entry_moves(self.ir, self.alloc);
            self.parallel_move(moves);
        } else {
            dynasm!(self.ops ; .arch aarch64
                ; stp x29, x30, [sp, #-(FRAME as i32)]!
                ; mov x29, sp
                ; stp x19, x20, [sp, #16]
                ; stp x21, x22, [sp, #32]
                ; stp x23, x24, [sp, #48]
                ; stp x25, x26, [sp, #64]
                ; stp x27, x28, [sp, #80]
                ; stp d8, d9, [sp, #96]
                ; stp d10, d11, [sp, #112]
                ; stp d12, d13, [sp, #128]
                ; stp d14, d15, [sp, #144]
                ; mov x19, x0
                ; ldr x21, [x19, #OFF_MEM]
                ; ldr x20, [x19, #OFF_SP]
            );
            // Native calls enter here, with the context in `x19`, the slot pointer in
            // `x20` and memory's base in `x21`; links from other traces after the entry
            // loads.
            self.out.entry = self.ops.offset().0 as u32;
            for &r in &self.alloc.entry_loads {
                self.emit(r, &self.ir.ins[r.idx()]);
            }
        }
        self.out.link_entry = self.ops.offset().0 as u32;
        for (i, skip) in self.alloc.skipped().into_iter().enumerate() {
            let r = Ref(i as u32);
            let ins = *self.ir.get(r);
            if ins.op == Op::Loop {
                dynasm!(self.ops ; .arch aarch64 ; =>loop_label);
                self.out.body = Some(self.ops.offset().0 as u32);
                continue;
            }
            if !skip {
                self.emit(r, &ins);
            }
        }
        if self.alloc.loop_at.is_some() && self.closing.is_none() {
            self.parallel_move(moves::phi_moves(self.ir, self.alloc));
            dynasm!(self.ops ; .arch aarch64 ; b =>loop_label);
        }
        for cold in std::mem::take(&mut self.cold) {
            match cold {
                Cold::CallAny { at, back, key } => {
                    dynasm!(self.ops ; .arch aarch64 ; =>at);
                    self.call_any_helper(back, key);
                }
                Cold::SlotMiss {
                    check,
                    miss,
                    other,
                    back,
                    key,
                } => self.slot_miss([check, miss, other, back], key),
                Cold::Unwind {
                    at,
                    r,
                    base,
                    saved,
                    any,
                } => {
                    dynasm!(self.ops ; .arch aarch64 ; =>at);
                    self.unwind(r, base, &saved, any);
                }
            }
        }
        self.exit_stubs(unit.id);
        dynasm!(self.ops ; .arch aarch64 ; .align 8);
        self.out.text = self.ops.offset().0 as u32;
        for &(bits, l) in &self.pool {
            dynasm!(self.ops ; .arch aarch64 ; =>l ; .u64 bits);
        }
        for &moves::SwitchTable { table, len, .. } in &self.switches {
            dynasm!(self.ops ; .arch aarch64 ; =>table);
            for _ in 0..=len {
                dynasm!(self.ops ; .arch aarch64 ; .u32 0);
            }
        }
    }

    /// One stub per exit (its number into `x16`; the stub's first instruction is what a
    /// side trace patches into a branch), and the common exit: every register into the
    /// context, then back to the calling trace (it handles the exit at once) or, entered
    /// from the interpreter, to `trace::enter`.
    fn exit_stubs(&mut self, id: u32) {
        let common = self.ops.new_dynamic_label();
        for k in 0..self.exits.len() {
            let l = self.exits[k];
            dynasm!(self.ops ; .arch aarch64 ; =>l);
            self.out.stubs[k] = self.ops.offset().0 as u32;
            let (lo, hi) = ((k & 0xffff) as u32, (k >> 16) as u32);
            dynasm!(self.ops ; .arch aarch64 ; movz w16, #lo);
            if hi != 0 {
                dynasm!(self.ops ; .arch aarch64 ; movk w16, #hi, lsl #16);
            }
            dynasm!(self.ops ; .arch aarch64 ; b =>common);
        }
        dynasm!(self.ops ; .arch aarch64 ; =>common ; add x17, x19, #OFF_GPR);
        for g in (0..30u8).step_by(2) {
            let off = 8 * u32::from(g);
            dynasm!(self.ops ; .arch aarch64 ; stp X(g), X(g + 1), [x17, #off as i32]);
        }
        dynasm!(self.ops ; .arch aarch64 ; str x30, [x17, #240] ; add x17, x19, #OFF_FPR);
        for x in (0..32u8).step_by(2) {
            let off = 8 * u32::from(x);
            dynasm!(self.ops ; .arch aarch64 ; stp D(x), D(x + 1), [x17, #off as i32]);
        }
        self.mov_raw(T0, u64::from(id));
        let native = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch aarch64
            ; str w9, [x19, #OFF_TRACE]
            ; str w16, [x19, #OFF_EXIT]
            ; mov w0, w16
            ; ldr w9, [x19, #OFF_DEPTH]
            ; cbnz w9, =>native
            ; ldp d14, d15, [sp, #144]
            ; ldp d12, d13, [sp, #128]
            ; ldp d10, d11, [sp, #112]
            ; ldp d8, d9, [sp, #96]
            ; ldp x27, x28, [sp, #80]
            ; ldp x25, x26, [sp, #64]
            ; ldp x23, x24, [sp, #48]
            ; ldp x21, x22, [sp, #32]
            ; ldp x19, x20, [sp, #16]
            ; ldp x29, x30, [sp], #FRAME as i32
            ; ret
            ; =>native
        );
        self.native_return();
    }

    /// Returns from a native call: the return address is on the stack.
    fn native_return(&mut self) {
        dynasm!(self.ops ; .arch aarch64 ; ldr x9, [sp], #16 ; br x9);
    }

    /// `br_table` on `a`: clamps the index to the default, then jumps through a table of
    /// 32-bit offsets (from the table) to the recorded target's code or another target's
    /// exit stub.
    fn switch(&mut self, r: Ref, ins: &Ins) {
        let (table, cont) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        let switch = moves::SwitchTable::new(ins, self.snap_of[r.idx()], table, cont);
        let len = switch.len;
        let x = self.gpr(ins.a, T1);
        self.mov_raw(T0, u64::from(len));
        dynasm!(self.ops ; .arch aarch64
            ; cmp W(x), w9
            ; csel w9, W(x), w9, ls
            ; adr x16, =>table
            ; ldrsw x17, [x16, x9, lsl #2]
            ; add x16, x16, x17
            ; br x16
            ; =>cont
        );
        self.switches.push(switch);
    }

    /// The entries that fill the `Switch` tables (see `moves::switch_fills`).
    fn switch_tables(&mut self) -> Result<Vec<(u32, i32)>, Abort> {
        let labels = self.ops.labels();
        let at = |l| labels.resolve_dynamic(l).ok().map(|o| o.0 as u32);
        moves::switch_fills(&self.switches, &self.exits, &mut self.out, at)
    }

    /// branches to the other trace's entry (the offset is filled in once it is known).
    fn link(&mut self, r: Ref, target: u64) {
        let (fuel, entries) = moves::link_writes(self.ir, self.snap_of[r.idx()]);
        if let Some(v) = fuel {
            self.fuel_store(v);
        }
        for (slot, v) in entries {
            self.store_slot(v, u64::from(slot));
        }
        let (moves, loads) = moves::link_moves(self.ir, self.snap_of[r.idx()], self.link);
        self.parallel_move(moves);
        for e in loads {
            self.load_slot(e.loc, e.ty, u64::from(e.slot));
        }
        let at = self.ops.offset().0 as u32;
        self.out.links.push((at, target as u32));
        self.ops.extend(0x1400_0000u32.to_le_bytes());
    }

    /// Writes value `v` into slot `slot` (an f64 straight from its register, an f32 as
    /// its bits, zero-extended).
    fn store_slot(&mut self, v: Ref, slot: u64) {
        let ty = self.ins(v).ty;
        if let (Ty::F64, Loc::Fpr(x), None) = (ty, self.loc(v), self.konst(v)) {
            let (base, off) = self.slot_at(8 * slot, 8);
            return dynasm!(self.ops ; .arch aarch64 ; str D(x), [X(base), #off]);
        }
        let mut g = self.gpr(v, T1);
        if ty == Ty::F32 {
            dynasm!(self.ops ; .arch aarch64 ; mov W(T1), W(g));
            g = T1;
        }
        let (base, off) = self.slot_at(8 * slot, 8);
        dynasm!(self.ops ; .arch aarch64 ; str X(g), [X(base), #off]);
    }

    /// Exits unless a native call of a callee whose frame starts at slot `base` fits:
    /// native stack above the limit, a frame left, the value stack long enough.
    fn call_check(&mut self, r: Ref, base: u64) {
        dynasm!(self.ops ; .arch aarch64
            ; ldr x9, [x19, #OFF_STACK_LIMIT]
            ; mov x10, sp
            ; cmp x10, x9
        );
        self.exit_if(r, Cc::Lo);
        dynasm!(self.ops ; .arch aarch64 ; ldr w9, [x19, #OFF_CALLS_LEFT] ; cmp w9, #0);
        self.exit_if(r, Cc::Eq);
        self.mov_raw(T0, 8 * base);
        dynasm!(self.ops ; .arch aarch64
            ; add x9, x9, x20
            ; ldr x10, [x19, #OFF_SP_LIMIT]
            ; cmp x9, x10
        );
        self.exit_if(r, Cc::Hi);
    }

    fn native_call(&mut self, r: Ref, base: u64, callee: Callee) {
        let snap = &self.ir.snaps[self.snap_of[r.idx()]];
        let saved: Vec<Loc> = self.alloc.live_at(r.idx(), snap).collect();
        let bytes = saved_bytes(&saved);
        if bytes > 0 {
            dynasm!(self.ops ; .arch aarch64 ; sub sp, sp, #bytes);
        }
        for (k, &l) in saved.iter().enumerate() {
            let off = 8 * k as u32;
            match l {
                Loc::Gpr(g) => dynasm!(self.ops ; .arch aarch64 ; str X(g), [sp, #off]),
                Loc::Fpr(x) => dynasm!(self.ops ; .arch aarch64 ; str D(x), [sp, #off]),
                Loc::Spill(i) => dynasm!(self.ops ; .arch aarch64
                    ; ldr x9, [x19, #spill_off(i)]
                    ; str x9, [sp, #off]),
                Loc::None => {}
            }
        }
        if let Callee::Any { entry, .. } = callee {
            // Every register is saved: the entry (or, for a call by the slot, the slot)
            // goes to the helper's argument register.
            let fused = self.alloc.fused[entry.idx()];
            let src = if fused { self.ins(entry).a } else { entry };
            let g = self.gpr(src, T0);
            dynasm!(self.ops ; .arch aarch64 ; mov x1, X(g));
        }
        self.shift_frame(base as i64, 1);
        match callee {
            Callee::Trace(target) => {
                let back = self.ops.new_dynamic_label();
                dynasm!(self.ops ; .arch aarch64 ; adr x9, =>back ; str x9, [sp, #-16]!);
                let at = self.ops.offset().0 as u32;
                self.out.calls.push((at, target));
                self.ops.extend(0x1400_0000u32.to_le_bytes());
                dynasm!(self.ops ; .arch aarch64 ; =>back);
            }
            Callee::Any { entry, key } if self.alloc.fused[entry.idx()] => self.call_slot(key),
            Callee::Any { key, .. } => self.call_entry(key),
        }
        let at = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch aarch64 ; cmn w0, #1 ; b.ne =>at);
        const _: () = assert!(RETURNED == u32::MAX);
        self.after_call(base, &saved);
        let any = matches!(callee, Callee::Any { .. });
        self.cold.push(Cold::Unwind {
            at,
            r,
            base,
            saved,
            any,
        });
    }

    /// A native call that did not return (out of line, see [`Cold::Unwind`]): the
    /// callee's exit is handled, unless the call failed without one; then this trace
    /// takes the call's own exit.
    fn unwind(&mut self, r: Ref, base: u64, saved: &[Loc], any: bool) {
        let handled = self.ops.new_dynamic_label();
        if any {
            self.mov_raw(T0, u64::from(FAILED));
            dynasm!(self.ops ; .arch aarch64 ; cmp w0, w9 ; b.eq =>handled);
        }
        dynasm!(self.ops ; .arch aarch64 ; mov x0, x19);
        self.mov_raw(
            16,
            helpers::address(Helper::NestedExit as u64) as usize as u64,
        );
        dynasm!(self.ops ; .arch aarch64
            ; blr x16
            ; ldr x20, [x19, #OFF_SP]
            ; =>handled
            ; ldr x21, [x19, #OFF_MEM]
        );
        self.after_call(base, saved);
        let l = self.exits[self.snap_of[r.idx()]];
        dynasm!(self.ops ; .arch aarch64 ; b =>l);
    }

    /// Calls the function at table entry `x1` (`key`: the type id expected, the caller's
    /// instance), the context already at its frame: its native entry, or (out of line,
    /// see [`Cold::CallAny`]) the `CallAny` helper.
    fn call_entry(&mut self, key: u64) {
        let (at, back) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        dynasm!(self.ops ; .arch aarch64
            ; ldr x9, [x19, #OFF_ENTRIES_LEN]
            ; cmp x1, x9
            ; b.hs =>at
        );
        self.keyed_call([OFF_ENTRY_KEYS, OFF_ENTRY_CODE], key, [at, back]);
        self.cold.push(Cold::CallAny { at, back, key });
    }

    /// Calls the function in slot `x1` of table 0 (`key`: the type id expected, the
    /// caller's instance), the context already at its frame, through the slot cache
    /// (see `entries`): the cached code when the slot still holds the cached element and
    /// its key is `key`. The code is one load from the slot, beside the element's load
    /// rather than after it. A miss fills the slot and tries again (out of line, see
    /// [`Cold::SlotMiss`]); an element without code of the expected type takes the
    /// `CallAny` helper.
    fn call_slot(&mut self, key: u64) {
        let [check, miss, other, back] = [(); 4].map(|_| self.ops.new_dynamic_label());
        dynasm!(self.ops ; .arch aarch64
            ; =>check
            ; ldr x9, [x19, #OFF_SLOTS_LEN]
            ; cmp x1, x9
            ; b.hs =>miss
            ; ldr x10, [x19, #OFF_TABLE0]
            ; ldr x10, [x10, x1, lsl #3]
            ; ldr x9, [x19, #OFF_SLOT_ELEMS]
            ; ldr x9, [x9, x1, lsl #3]
            ; cmp x10, x9
            ; b.ne =>miss
        );
        self.keyed_call([OFF_SLOT_KEYS, OFF_SLOT_CODE], key, [other, back]);
        self.cold.push(Cold::SlotMiss {
            check,
            miss,
            other,
            back,
            key,
        });
    }

    /// A megamorphic call's last step: to `miss` unless the key at index `x1` of the
    /// context's array at `keys` is `key`, else a call of the code at index `x1` of the
    /// array at `code` (the native entries', or table 0's slot cache's), returning to
    /// `back`. Leaves `x10` alone.
    fn keyed_call(&mut self, [keys, code]: [u32; 2], key: u64, [miss, back]: [DynamicLabel; 2]) {
        dynasm!(self.ops ; .arch aarch64
            ; ldr x9, [x19, #keys]
            ; ldr x9, [x9, x1, lsl #3]
        );
        self.mov_raw(T2, key);
        dynasm!(self.ops ; .arch aarch64
            ; cmp x9, x11
            ; b.ne =>miss
            ; ldr x9, [x19, #code]
            ; ldr x9, [x9, x1, lsl #3]
            ; adr x11, =>back
            ; str x11, [sp, #-16]!
            ; br x9
            ; =>back
        );
    }

    /// `call_slot`'s misses (out of line, see [`Cold::SlotMiss`]): the `FillSlot` helper
    /// caches the slot and the call tries again; a slot out of the table's bounds, or an
    /// element without code of the expected type (`x10`), goes to the `CallAny` helper,
    /// which traps or runs it.
    fn slot_miss(&mut self, [check, miss, other, back]: [DynamicLabel; 4], key: u64) {
        let any = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch aarch64
            ; =>miss
            ; mov x0, x19
            // The slot is kept across the call.
            ; str x1, [sp, #-16]!
        );
        self.mov_raw(
            16,
            helpers::address(Helper::FillSlot as u64) as usize as u64,
        );
        dynasm!(self.ops ; .arch aarch64
            ; blr x16
            ; ldr x1, [sp], #16
            ; cbnz x0, =>check
            ; movn x1, 0
            ; b =>any
            ; =>other
            ; mov x1, x10
            ; =>any
        );
        self.call_any_helper(back, key);
    }

    /// `call_entry`'s fallback (out of line): the `CallAny` helper, then back.
    fn call_any_helper(&mut self, back: DynamicLabel, key: u64) {
        dynasm!(self.ops ; .arch aarch64 ; mov x0, x19);
        self.mov_raw(2, u64::from(key as u32));
        self.mov_raw(16, helpers::address(Helper::CallAny as u64) as usize as u64);
        dynasm!(self.ops ; .arch aarch64
            ; blr x16
            ; ldr x21, [x19, #OFF_MEM]
            ; ldr x20, [x19, #OFF_SP]
            ; b =>back
        );
    }

    /// Moves the context's frame by `by` slots, into a callee's frame (`step` 1) or back
    /// out of it (`step` -1), counting the native call in or out: `depth` and
    /// `calls_left` are adjacent, so one 64-bit add moves both.
    fn shift_frame(&mut self, by: i64, step: i64) {
        let counts = ((-step) << 32).wrapping_add(step);
        self.mov_raw(16, (8 * by) as u64);
        self.mov_raw(17, counts as u64);
        dynasm!(self.ops ; .arch aarch64
            ; add x20, x20, x16
            ; str x20, [x19, #OFF_SP]
            ; ldr x16, [x19, #OFF_DEPTH]
            ; add x16, x16, x17
            ; str x16, [x19, #OFF_DEPTH]
        );
    }

    /// After a native call: the context back at this trace's frame, the live values
    /// back where they were. Memory's base needs no reload: trace code keeps `x21` equal
    /// to the context's `mem` (it reloads it after every helper), a callee's too, so only
    /// the paths through the interpreter (the `CallAny` helper, a nested exit) reload it.
    fn after_call(&mut self, base: u64, saved: &[Loc]) {
        self.shift_frame(-(base as i64), -1);
        for (k, &l) in saved.iter().enumerate() {
            let off = 8 * k as u32;
            match l {
                Loc::Gpr(g) => dynasm!(self.ops ; .arch aarch64 ; ldr X(g), [sp, #off]),
                Loc::Fpr(x) => dynasm!(self.ops ; .arch aarch64 ; ldr D(x), [sp, #off]),
                Loc::Spill(i) => dynasm!(self.ops ; .arch aarch64
                    ; ldr x9, [sp, #off]
                    ; str x9, [x19, #spill_off(i)]),
                Loc::None => {}
            }
        }
        let bytes = saved_bytes(saved);
        if bytes > 0 {
            dynasm!(self.ops ; .arch aarch64 ; add sp, sp, #bytes);
        }
    }

    /// Performs `moves` (destination, source) as if all at once.
    fn parallel_move(&mut self, moves: Vec<(Loc, Src)>) {
        for step in moves::schedule(self.ir, self.alloc, moves) {
            match step {
                Step::Move(d, src) => self.move_to(d, src),
                Step::Park(d, k) => self.store_word(d, OFF_PARK + 8 * k as u32),
            }
        }
    }

    fn move_to(&mut self, d: Loc, src: Src) {
        let from = match src {
            Src::Val(v) => return self.move_val(d, v),
            Src::Parked(k) => return self.load_word(d, OFF_PARK + 8 * k as u32),
            Src::At(from) => from,
        };
        match (d, from) {
            (Loc::Gpr(g), Loc::Gpr(f)) => self.mov_g(g, f, true),
            (Loc::Fpr(x), Loc::Fpr(f)) => self.mov_f(x, f),
            (_, Loc::Spill(i)) => self.load_word(d, spill_off(i)),
            (Loc::Spill(i), Loc::Gpr(_) | Loc::Fpr(_)) => self.store_word(from, spill_off(i)),
            // Inherited values keep their register class.
            _ => {}
        }
    }

    /// `d = v`.
    fn move_val(&mut self, d: Loc, v: Ref) {
        match d {
            Loc::Gpr(g) => {
                let s = self.gpr(v, T0);
                self.mov_g(g, s, true);
            }
            Loc::Fpr(x) => {
                let s = self.fpr(v, FS0);
                self.mov_f(x, s);
            }
            Loc::Spill(i) => {
                let s = self.gpr(v, T0);
                dynasm!(self.ops ; .arch aarch64 ; str X(s), [x19, #spill_off(i)]);
            }
            Loc::None => {}
        }
    }

    /// `d` = the context's word at byte offset `off`.
    fn load_word(&mut self, d: Loc, off: u32) {
        match d {
            Loc::Gpr(g) => dynasm!(self.ops ; .arch aarch64 ; ldr X(g), [x19, #off]),
            Loc::Fpr(x) => dynasm!(self.ops ; .arch aarch64 ; ldr D(x), [x19, #off]),
            Loc::Spill(i) => dynasm!(self.ops ; .arch aarch64
                ; ldr x9, [x19, #off]
                ; str x9, [x19, #spill_off(i)]),
            Loc::None => {}
        }
    }

    /// The context's word at byte offset `off` = `s`.
    fn store_word(&mut self, s: Loc, off: u32) {
        match s {
            Loc::Gpr(g) => dynasm!(self.ops ; .arch aarch64 ; str X(g), [x19, #off]),
            Loc::Fpr(x) => dynasm!(self.ops ; .arch aarch64 ; str D(x), [x19, #off]),
            Loc::Spill(i) => dynasm!(self.ops ; .arch aarch64
                ; ldr x9, [x19, #spill_off(i)]
                ; str x9, [x19, #off]),
            Loc::None => {}
        }
    }
}

/// An integer operation's constant operand, as its instruction's immediate.
enum Imm {
    Add(u32),
    Sub(u32),
    Logical(u64),
}

/// The native stack bytes that hold `saved` across a native call (16-byte aligned).
fn saved_bytes(saved: &[Loc]) -> u32 {
    (8 * saved.len() as u32).next_multiple_of(16)
}

// ---- instructions ----

impl Cg<'_, '_> {
    fn emit(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        match ins.op {
            Op::K | Op::Nop | Op::Phi | Op::Loop | Op::Parent | Op::LinkArg => {}
            Op::Exit => {
                let l = self.exits[self.snap_of[r.idx()]];
                dynasm!(self.ops ; .arch aarch64 ; b =>l);
            }
            Op::Link => self.link(r, ins.aux),
            Op::Native => {
                dynasm!(self.ops ; .arch aarch64 ; ldr w9, [x19, #OFF_DEPTH] ; cmp w9, #0);
                self.exit_if(r, Cc::Eq);
            }
            Op::Ret => {
                dynasm!(self.ops ; .arch aarch64 ; movn w0, #0);
                self.native_return();
            }
            Op::CallCheck => self.call_check(r, ins.aux),
            Op::CallTrace => self.native_call(r, ins.aux >> 32, Callee::Trace(ins.aux as u32)),
            Op::CallAny => {
                let callee = Callee::Any {
                    entry: ins.a,
                    key: self.konst(ins.b).expect("a constant key"),
                };
                self.native_call(r, ins.aux >> 32, callee);
            }
            Op::Switch => self.switch(r, ins),
            Op::Sload if ins.aux == u64::from(FUEL_SLOT) => self.fuel_load(r),
            Op::Sload | Op::SlotLoad => self.slot_load(r, ins),
            Op::SlotStore => self.store_slot(ins.a, ins.aux),
            Op::Add | Op::Sub | Op::Mul if ty.is_float() => self.fbin(r, ins),
            Op::FDiv | Op::FMin | Op::FMax => self.fbin(r, ins),
            Op::Add | Op::Sub | Op::And | Op::Or | Op::Xor | Op::Mul => self.alu(r, ins),
            Op::Shl | Op::ShrS | Op::ShrU | Op::Rotl | Op::Rotr => self.shift(r, ins),
            Op::DivS | Op::DivU | Op::RemS | Op::RemU => self.div(r, ins),
            Op::MulHiU | Op::MulHiS => self.mul_hi(r, ins),
            Op::Clz | Op::Ctz | Op::Popcnt => self.count_bits(r, ins),
            Op::Ext8 | Op::Ext16 | Op::Ext32 | Op::ExtS | Op::ExtU | Op::Wrap => {
                self.extend(r, ins)
            }
            Op::Cmp => self.cmp(r, ins),
            Op::Select => self.select(r, ins),
            Op::Guard => self.guard(r, ins),
            Op::Bound => self.bound(r, ins),
            Op::Load => self.load(r, ins),
            Op::Store => self.store(ins),
            Op::GLoad | Op::GStore => self.global(r, ins),
            Op::Epoch => {
                // The engine's address, not the module's: nothing to blind.
                self.mov_raw(16, ins.aux);
                dynasm!(self.ops ; .arch aarch64
                    ; ldr x16, [x16]
                    ; ldr x17, [x19, #OFF_DEADLINE]
                    ; cmp x16, x17
                );
                self.exit_if(r, Cc::Hs);
            }
            Op::FuelLoad => self.fuel_load(r),
            Op::FuelStore => self.fuel_store(ins.a),
            Op::FuelSub => self.fuel_sub(r, ins),
            Op::Count => {
                // The address is the store's own (a profile counter): nothing to blind.
                self.mov_raw(16, ins.aux);
                dynasm!(self.ops ; .arch aarch64
                    ; ldr x17, [x16]
                    ; add x17, x17, #1
                    ; str x17, [x16]
                );
            }
            Op::MemSize => {
                let d = self.dst_g(r);
                dynasm!(self.ops ; .arch aarch64
                    ; ldr X(d), [x19, #OFF_MEM_LEN]
                    ; lsr X(d), X(d), #16
                );
                self.finish_g(r, d);
            }
            Op::Call if ins.aux == Helper::TableGet as u64 => self.table0_get(r, ins),
            Op::Call => self.call(r, ins, ins.aux & 0xffff, ins.aux >> 32),
            Op::Bitcast => self.bitcast(r, ins),
            Op::Convert => self.convert(r, ins),
            Op::Promote | Op::Demote => self.funary(r, ins),
            Op::FSqrt | Op::FAbs | Op::FNeg => self.funary(r, ins),
            Op::FFloor | Op::FCeil | Op::FTrunc | Op::FNearest => self.funary(r, ins),
            Op::FCopysign => self.fcopysign(r, ins),
            Op::TruncOk => self.trunc_ok(r, ins),
            Op::Trunc => self.trunc(r, ins),
            _ => self.eval(r, ins),
        }
    }

    /// Branches to the exit of the guard at `r` when condition `cc` holds (the stub is
    /// what a side trace patches: see the module's header).
    fn exit_if(&mut self, r: Ref, cc: Cc) {
        let k = self.snap_of[r.idx()];
        if k == usize::MAX {
            return;
        }
        let l = self.exits[k];
        self.bcc(cc, l);
    }

    fn bcc(&mut self, cc: Cc, l: DynamicLabel) {
        macro_rules! b {
            ($c:ident) => {
                dynasm!(self.ops ; .arch aarch64 ; b.$c =>l)
            };
        }
        by_cc!(cc, b)
    }

    /// Sets the flags of `x & y` (`tst`), with a bitmask immediate when `y` is a constant
    /// that has that form and may appear raw (the IR puts a commutative operation's
    /// constant on the right).
    fn test(&mut self, x: Ref, y: Ref, wide: bool) {
        let rx = self.gpr(x, T0);
        let mask = self.konst(y).filter(|&k| !self.blinded(k));
        match mask {
            Some(k) if wide && dynasmrt::aarch64::encode_logical_immediate_64bit(k).is_some() => {
                dynasm!(self.ops ; .arch aarch64 ; tst X(rx), #k)
            }
            Some(k)
                if !wide
                    && dynasmrt::aarch64::encode_logical_immediate_32bit(k as u32).is_some() =>
            {
                dynasm!(self.ops ; .arch aarch64 ; tst W(rx), #k as u32)
            }
            _ => {
                let ry = self.gpr(y, T1);
                if wide {
                    dynasm!(self.ops ; .arch aarch64 ; tst X(rx), X(ry));
                } else {
                    dynasm!(self.ops ; .arch aarch64 ; tst W(rx), W(ry));
                }
            }
        }
    }

    /// Compares `a` with `b` and returns the condition that holds when `a c b` does.
    fn compare(&mut self, c: Cond, a: Ref, b: Ref) -> Cc {
        let ty = self.ins(a).ty;
        if ty.is_float() {
            let ra = self.fpr(a, FS0);
            let rb = self.fpr(b, FS1);
            if ty == Ty::F32 {
                dynasm!(self.ops ; .arch aarch64 ; fcmp S(ra), S(rb));
            } else {
                dynasm!(self.ops ; .arch aarch64 ; fcmp D(ra), D(rb));
            }
            return Cc::of(c);
        }
        let wide = ty == Ty::I64;
        if self.alloc.fused[a.idx()] {
            // `x & y` compared with 0 (see `Aarch64::fuses`): the zero flag of a `tst`.
            self.test(self.ins(a).a, self.ins(a).b, wide);
            return Cc::of(c);
        }
        let ra = self.gpr(a, T0);
        match self.konst(b).and_then(|k| self.imm(k, ty)) {
            Some(k) if wide => dynasm!(self.ops ; .arch aarch64 ; cmp XSP(ra), #k),
            Some(k) => dynasm!(self.ops ; .arch aarch64 ; cmp WSP(ra), #k),
            None => {
                let rb = self.gpr(b, T1);
                if wide {
                    dynasm!(self.ops ; .arch aarch64 ; cmp X(ra), X(rb));
                } else {
                    dynasm!(self.ops ; .arch aarch64 ; cmp W(ra), W(rb));
                }
            }
        }
        Cc::of(c)
    }

    /// Exits unless the guard's comparison holds.
    fn guard(&mut self, r: Ref, ins: &Ins) {
        let cc = self.compare(ins.cond(), ins.a, ins.b);
        if self.closing == Some(r.idx()) {
            let k = self.snap_of[r.idx()];
            self.parallel_move(moves::phi_moves(self.ir, self.alloc));
            self.bcc(cc, self.loop_label);
            // The exit's `b` reaches the whole code area: patchable in place.
            let at = self.ops.offset().0 as u32;
            dynasm!(self.ops ; .arch aarch64 ; b =>self.exits[k]);
            self.out.exit_sites[k].push(at);
            return;
        }
        self.exit_if(r, cc.negate());
    }

    /// `d = a cond b` as 0 or 1.
    fn cmp(&mut self, r: Ref, ins: &Ins) {
        let cc = self.compare(ins.cond(), ins.a, ins.b);
        let d = self.dst_g(r);
        macro_rules! cset {
            ($c:ident) => {
                dynasm!(self.ops ; .arch aarch64 ; cset W(d), $c)
            };
        }
        by_cc!(cc, cset);
        self.finish_g(r, d);
    }

    fn select(&mut self, r: Ref, ins: &Ins) {
        // The condition last: a blinded float constant goes through its register.
        if ins.ty.is_float() {
            let a = self.fpr(ins.a, FS0);
            let b = self.fpr(ins.b, FS1);
            let c = self.gpr(ins.c, T2);
            let d = self.dst_f(r);
            dynasm!(self.ops ; .arch aarch64 ; cmp WSP(c), #0);
            if ins.ty == Ty::F32 {
                dynasm!(self.ops ; .arch aarch64 ; fcsel S(d), S(a), S(b), ne);
            } else {
                dynasm!(self.ops ; .arch aarch64 ; fcsel D(d), D(a), D(b), ne);
            }
            self.finish_f(r, d);
        } else {
            let a = self.gpr(ins.a, T0);
            let b = self.gpr(ins.b, T1);
            let c = self.gpr(ins.c, T2);
            let d = self.dst_g(r);
            dynasm!(self.ops ; .arch aarch64
                ; cmp WSP(c), #0
                ; csel X(d), X(a), X(b), ne
            );
            self.finish_g(r, d);
        }
    }

    /// Exits unless the access at `a` up to `aux` bytes past it is inside memory.
    fn bound(&mut self, r: Ref, ins: &Ins) {
        let a = self.gpr(ins.a, T1);
        match self.imm(ins.aux, Ty::I64) {
            Some(end) => dynasm!(self.ops ; .arch aarch64 ; add x9, XSP(a), #end),
            None => {
                self.mov_imm(T0, ins.aux);
                dynasm!(self.ops ; .arch aarch64 ; add x9, x9, X(a));
            }
        }
        dynasm!(self.ops ; .arch aarch64 ; ldr x16, [x19, #OFF_MEM_LEN] ; cmp x9, x16);
        self.exit_if(r, Cc::Hi);
    }

    /// A value read from a slot of the value stack.
    fn slot_load(&mut self, r: Ref, ins: &Ins) {
        if self.loc(r) == Loc::None {
            return;
        }
        if ins.ty.is_float() {
            let d = self.dst_f(r);
            self.load_slot(Loc::Fpr(d), ins.ty, ins.aux);
            self.finish_f(r, d);
        } else {
            let d = self.dst_g(r);
            self.load_slot(Loc::Gpr(d), ins.ty, ins.aux);
            self.finish_g(r, d);
        }
    }

    /// Loads slot `slot` (from the slot pointer), of type `ty`, into register `d`.
    fn load_slot(&mut self, d: Loc, ty: Ty, slot: u64) {
        let size = if matches!(ty, Ty::I64 | Ty::F64) {
            8
        } else {
            4
        };
        let (base, off) = self.slot_at(8 * slot, size);
        match (d, ty) {
            (Loc::Fpr(x), Ty::F32) => dynasm!(self.ops ; .arch aarch64 ; ldr S(x), [X(base), #off]),
            (Loc::Fpr(x), _) => dynasm!(self.ops ; .arch aarch64 ; ldr D(x), [X(base), #off]),
            (Loc::Gpr(g), Ty::I64) => dynasm!(self.ops ; .arch aarch64 ; ldr X(g), [X(base), #off]),
            (Loc::Gpr(g), _) => dynasm!(self.ops ; .arch aarch64 ; ldr W(g), [X(base), #off]),
            // Entry registers and `dst_g`/`dst_f` are registers.
            (Loc::Spill(_) | Loc::None, _) => debug_assert!(false, "a slot loads into a register"),
        }
    }

    /// Reads or writes a global through the context's globals pointer.
    fn global(&mut self, r: Ref, ins: &Ins) {
        let off = ins.aux * std::mem::size_of::<GlobalEntity>() as u64
            + offset_of!(GlobalEntity, value) as u64;
        dynasm!(self.ops ; .arch aarch64 ; ldr x16, [x19, #OFF_GLOBALS]);
        let off = if off < 4096 * 8 && off.is_multiple_of(8) {
            off as u32
        } else {
            self.mov_raw(17, off);
            dynasm!(self.ops ; .arch aarch64 ; add x16, x16, x17);
            0
        };
        if ins.op == Op::GStore {
            let v = self.gpr(ins.a, T1);
            dynasm!(self.ops ; .arch aarch64 ; str X(v), [x16, #off]);
            return;
        }
        if self.loc(r) == Loc::None {
            return;
        }
        if ins.ty.is_float() {
            let d = self.dst_f(r);
            dynasm!(self.ops ; .arch aarch64 ; ldr D(d), [x16, #off]);
            self.finish_f(r, d);
        } else {
            let d = self.dst_g(r);
            dynasm!(self.ops ; .arch aarch64 ; ldr X(d), [x16, #off]);
            self.finish_g(r, d);
        }
    }

    /// The address `a + off` from memory's base (`x21`), as a 64-bit index register. A
    /// constant `a` is added to `off` here, so a global's address costs at most one
    /// (possibly blinded) constant.
    fn addr(&mut self, a: Ref, off: u32) -> u8 {
        if let Some(k) = self.konst(a) {
            let ea = u64::from(k as u32) + u64::from(off);
            self.mov_imm(T0, ea);
            return T0;
        }
        let ra = self.gpr(a, T1);
        if off == 0 {
            return ra;
        }
        match self.imm(u64::from(off), Ty::I64) {
            Some(o) => dynasm!(self.ops ; .arch aarch64 ; add x16, XSP(ra), #o),
            None => {
                self.mov_imm(16, u64::from(off));
                dynasm!(self.ops ; .arch aarch64 ; add x16, x16, X(ra));
            }
        }
        16
    }

    fn load(&mut self, r: Ref, ins: &Ins) {
        let (m, off) = Mem::of_aux(ins.aux);
        let x = self.addr(ins.a, off);
        if ins.ty.is_float() {
            let d = self.dst_f(r);
            if ins.ty == Ty::F32 {
                dynasm!(self.ops ; .arch aarch64 ; ldr S(d), [x21, X(x)]);
            } else {
                dynasm!(self.ops ; .arch aarch64 ; ldr D(d), [x21, X(x)]);
            }
            self.finish_f(r, d);
            return;
        }
        let d = self.dst_g(r);
        let wide = ins.ty == Ty::I64;
        match (m, wide) {
            (Mem::U8, _) => dynasm!(self.ops ; .arch aarch64 ; ldrb W(d), [x21, X(x)]),
            (Mem::S8, false) => dynasm!(self.ops ; .arch aarch64 ; ldrsb W(d), [x21, X(x)]),
            (Mem::S8, true) => dynasm!(self.ops ; .arch aarch64 ; ldrsb X(d), [x21, X(x)]),
            (Mem::U16, _) => dynasm!(self.ops ; .arch aarch64 ; ldrh W(d), [x21, X(x)]),
            (Mem::S16, false) => dynasm!(self.ops ; .arch aarch64 ; ldrsh W(d), [x21, X(x)]),
            (Mem::S16, true) => dynasm!(self.ops ; .arch aarch64 ; ldrsh X(d), [x21, X(x)]),
            (Mem::U32, _) => dynasm!(self.ops ; .arch aarch64 ; ldr W(d), [x21, X(x)]),
            (Mem::S32, _) => dynasm!(self.ops ; .arch aarch64 ; ldrsw X(d), [x21, X(x)]),
            (Mem::W64, _) => dynasm!(self.ops ; .arch aarch64 ; ldr X(d), [x21, X(x)]),
        }
        self.finish_g(r, d);
    }

    fn store(&mut self, ins: &Ins) {
        let (m, off) = Mem::of_aux(ins.aux);
        let x = self.addr(ins.a, off);
        let vty = self.ins(ins.b).ty;
        if vty.is_float() && self.konst(ins.b).is_none() {
            let v = self.fpr(ins.b, FS0);
            if m == Mem::W64 {
                dynasm!(self.ops ; .arch aarch64 ; str D(v), [x21, X(x)]);
            } else {
                dynasm!(self.ops ; .arch aarch64 ; str S(v), [x21, X(x)]);
            }
            return;
        }
        let v = self.gpr(ins.b, T2);
        match m {
            Mem::U8 | Mem::S8 => dynasm!(self.ops ; .arch aarch64 ; strb W(v), [x21, X(x)]),
            Mem::U16 | Mem::S16 => dynasm!(self.ops ; .arch aarch64 ; strh W(v), [x21, X(x)]),
            Mem::U32 | Mem::S32 => dynasm!(self.ops ; .arch aarch64 ; str W(v), [x21, X(x)]),
            Mem::W64 => dynasm!(self.ops ; .arch aarch64 ; str X(v), [x21, X(x)]),
        }
    }

    /// An element of table 0 (`call_indirect`'s check), read inline: the entry, or
    /// `u64::MAX` when the index is out of range (as the `TableGet` helper answers).
    fn table0_get(&mut self, r: Ref, ins: &Ins) {
        let x = self.gpr(ins.a, T1);
        let skip = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch aarch64
            ; movn x9, #0
            ; ldr x16, [x19, #OFF_TABLE0_LEN]
            ; cmp X(x), x16
            ; b.hs =>skip
            ; ldr x16, [x19, #OFF_TABLE0]
            ; ldr x9, [x16, X(x), lsl #3]
            ; =>skip
        );
        if self.loc(r) != Loc::None {
            let d = self.dst_g(r);
            self.mov_g(d, T0, true);
            self.finish_g(r, d);
        }
    }

    /// Integer add, sub, and, or, xor, mul: `d = a op b`.
    fn alu(&mut self, r: Ref, ins: &Ins) {
        let wide = ins.ty == Ty::I64;
        let d = self.dst_g(r);
        if self.alloc.fused[ins.b.idx()] || self.alloc.fused[ins.a.idx()] {
            return self.add_shifted(r, ins, d);
        }
        let a = self.gpr(ins.a, T0);
        match self.alu_imm(ins) {
            Some(Imm::Add(k)) if wide => dynasm!(self.ops ; .arch aarch64 ; add XSP(d), XSP(a), #k),
            Some(Imm::Add(k)) => dynasm!(self.ops ; .arch aarch64 ; add WSP(d), WSP(a), #k),
            Some(Imm::Sub(k)) if wide => dynasm!(self.ops ; .arch aarch64 ; sub XSP(d), XSP(a), #k),
            Some(Imm::Sub(k)) => dynasm!(self.ops ; .arch aarch64 ; sub WSP(d), WSP(a), #k),
            Some(Imm::Logical(k)) => {
                macro_rules! op_imm {
                    ($mn:ident) => {
                        if wide {
                            dynasm!(self.ops ; .arch aarch64 ; $mn XSP(d), X(a), #k)
                        } else {
                            dynasm!(self.ops ; .arch aarch64 ; $mn WSP(d), W(a), #k as u32)
                        }
                    };
                }
                match ins.op {
                    Op::And => op_imm!(and),
                    Op::Or => op_imm!(orr),
                    _ => op_imm!(eor),
                }
            }
            None => {
                let b = self.gpr(ins.b, T1);
                match ins.op {
                    Op::Add => rrr!(self.ops, wide, add, d, a, b),
                    Op::Sub => rrr!(self.ops, wide, sub, d, a, b),
                    Op::And => rrr!(self.ops, wide, and, d, a, b),
                    Op::Or => rrr!(self.ops, wide, orr, d, a, b),
                    Op::Xor => rrr!(self.ops, wide, eor, d, a, b),
                    _ => rrr!(self.ops, wide, mul, d, a, b),
                }
            }
        }
        self.finish_g(r, d);
    }

    /// The constant operand `b` of an integer operation as an immediate, if it has a
    /// form that fits and may appear raw: add or sub (of the constant or its negation),
    /// or a bitmask of a logical operation.
    fn alu_imm(&self, ins: &Ins) -> Option<Imm> {
        let k = self.konst(ins.b)?;
        let (wide, ty) = (ins.ty == Ty::I64, ins.ty);
        let neg = if wide {
            k.wrapping_neg()
        } else {
            u64::from((k as u32).wrapping_neg())
        };
        match ins.op {
            Op::Add | Op::Sub => {
                let add = ins.op == Op::Add;
                match (self.imm(k, ty), self.imm(neg, ty)) {
                    (Some(k), _) => Some(if add { Imm::Add(k) } else { Imm::Sub(k) }),
                    (None, Some(n)) => Some(if add { Imm::Sub(n) } else { Imm::Add(n) }),
                    _ => None,
                }
            }
            Op::And | Op::Or | Op::Xor if !self.blinded(k) => {
                let fits = if wide {
                    dynasmrt::aarch64::encode_logical_immediate_64bit(k).is_some()
                } else {
                    dynasmrt::aarch64::encode_logical_immediate_32bit(k as u32).is_some()
                };
                fits.then_some(Imm::Logical(if wide { k } else { u64::from(k as u32) }))
            }
            _ => None,
        }
    }

    /// `d = a + (index << k)` as one add with a shifted operand (see [`Arch::fuses`]);
    /// a 32-bit add wraps and zero-extends as `i32.add` does.
    fn add_shifted(&mut self, r: Ref, ins: &Ins, d: u8) {
        let (a, shl) = if self.alloc.fused[ins.b.idx()] {
            (ins.a, ins.b)
        } else {
            (ins.b, ins.a)
        };
        let (index, k) = scaled_index(self.ir, self.ins(shl)).expect("fused by `fuses`");
        let x = self.gpr(index, T2);
        let a = self.gpr(a, T1);
        let k = u32::from(k);
        if ins.ty == Ty::I64 {
            dynasm!(self.ops ; .arch aarch64 ; add X(d), X(a), X(x), lsl #k);
        } else {
            dynasm!(self.ops ; .arch aarch64 ; add W(d), W(a), W(x), lsl #k);
        }
        self.finish_g(r, d);
    }

    fn shift(&mut self, r: Ref, ins: &Ins) {
        let wide = ins.ty == Ty::I64;
        let bits = if wide { 64 } else { 32 };
        let d = self.dst_g(r);
        let a = self.gpr(ins.a, T0);
        if let Some(k) = self.konst(ins.b) {
            let k = (k % bits) as u32;
            macro_rules! sh_imm {
                ($mn:ident, $k:expr) => {
                    if wide {
                        dynasm!(self.ops ; .arch aarch64 ; $mn X(d), X(a), #$k)
                    } else {
                        dynasm!(self.ops ; .arch aarch64 ; $mn W(d), W(a), #$k)
                    }
                };
            }
            match ins.op {
                Op::Shl => sh_imm!(lsl, k),
                Op::ShrS => sh_imm!(asr, k),
                Op::ShrU => sh_imm!(lsr, k),
                Op::Rotl => sh_imm!(ror, (bits as u32 - k) % bits as u32),
                _ => sh_imm!(ror, k),
            }
            self.finish_g(r, d);
            return;
        }
        let mut b = self.gpr(ins.b, T1);
        if ins.op == Op::Rotl {
            // Left by `b` is right by `-b` (the count is taken modulo the width).
            dynasm!(self.ops ; .arch aarch64 ; neg w17, W(b));
            b = 17;
        }
        match ins.op {
            Op::Shl => rrr!(self.ops, wide, lslv, d, a, b),
            Op::ShrS => rrr!(self.ops, wide, asrv, d, a, b),
            Op::ShrU => rrr!(self.ops, wide, lsrv, d, a, b),
            _ => rrr!(self.ops, wide, rorv, d, a, b),
        }
        self.finish_g(r, d);
    }

    /// Division and remainder (their traps were guarded before; `sdiv` gives `MIN` for
    /// `MIN / -1`, so `MIN % -1` comes out 0 as Wasm asks).
    fn div(&mut self, r: Ref, ins: &Ins) {
        let wide = ins.ty == Ty::I64;
        let a = self.gpr(ins.a, T0);
        let b = self.gpr(ins.b, T1);
        let d = self.dst_g(r);
        let q = if matches!(ins.op, Op::DivS | Op::DivU) {
            d
        } else {
            17
        };
        if matches!(ins.op, Op::DivS | Op::RemS) {
            rrr!(self.ops, wide, sdiv, q, a, b);
        } else {
            rrr!(self.ops, wide, udiv, q, a, b);
        }
        if q != d {
            if wide {
                dynasm!(self.ops ; .arch aarch64 ; msub X(d), x17, X(b), X(a));
            } else {
                dynasm!(self.ops ; .arch aarch64 ; msub W(d), w17, W(b), W(a));
            }
        }
        self.finish_g(r, d);
    }

    /// The high half of `a * b`: `umulh`/`smulh`, or for i32 the top word of the
    /// 64-bit product (shifted down logically, so it stays zero-extended).
    fn mul_hi(&mut self, r: Ref, ins: &Ins) {
        let a = self.gpr(ins.a, T0);
        let b = self.gpr(ins.b, T1);
        let d = self.dst_g(r);
        match (ins.op == Op::MulHiS, ins.ty == Ty::I64) {
            (true, true) => dynasm!(self.ops ; .arch aarch64 ; smulh X(d), X(a), X(b)),
            (false, true) => dynasm!(self.ops ; .arch aarch64 ; umulh X(d), X(a), X(b)),
            (true, false) => {
                dynasm!(self.ops ; .arch aarch64 ; smull X(d), W(a), W(b) ; lsr X(d), X(d), 32)
            }
            (false, false) => {
                dynasm!(self.ops ; .arch aarch64 ; umull X(d), W(a), W(b) ; lsr X(d), X(d), 32)
            }
        }
        self.finish_g(r, d);
    }

    /// Leading or trailing zeros (`ctz` is `clz` of the bits reversed), set bits (with
    /// the vector unit's per-byte count).
    fn count_bits(&mut self, r: Ref, ins: &Ins) {
        let wide = ins.ty == Ty::I64;
        let a = self.gpr(ins.a, T0);
        let d = self.dst_g(r);
        match (ins.op, wide) {
            (Op::Clz, true) => dynasm!(self.ops ; .arch aarch64 ; clz X(d), X(a)),
            (Op::Clz, false) => dynasm!(self.ops ; .arch aarch64 ; clz W(d), W(a)),
            (Op::Ctz, true) => dynasm!(self.ops ; .arch aarch64 ; rbit x17, X(a) ; clz X(d), x17),
            (Op::Ctz, false) => dynasm!(self.ops ; .arch aarch64 ; rbit w17, W(a) ; clz W(d), w17),
            _ => dynasm!(self.ops ; .arch aarch64
                ; fmov d31, X(a)
                ; cnt v31.b8, v31.b8
                ; addv b31, v31.b8
                ; fmov W(d), s31),
        }
        self.finish_g(r, d);
    }

    /// Sign or zero extension, and wrapping to 32 bits.
    fn extend(&mut self, r: Ref, ins: &Ins) {
        let wide = ins.ty == Ty::I64;
        let a = self.gpr(ins.a, T0);
        let d = self.dst_g(r);
        match (ins.op, wide) {
            (Op::Ext8, true) => dynasm!(self.ops ; .arch aarch64 ; sxtb X(d), W(a)),
            (Op::Ext8, false) => dynasm!(self.ops ; .arch aarch64 ; sxtb W(d), W(a)),
            (Op::Ext16, true) => dynasm!(self.ops ; .arch aarch64 ; sxth X(d), W(a)),
            (Op::Ext16, false) => dynasm!(self.ops ; .arch aarch64 ; sxth W(d), W(a)),
            (Op::Ext32 | Op::ExtS, _) => dynasm!(self.ops ; .arch aarch64 ; sxtw X(d), W(a)),
            _ => dynasm!(self.ops ; .arch aarch64 ; mov W(d), W(a)),
        }
        self.finish_g(r, d);
    }

    /// Float add, sub, mul, div, min, max.
    fn fbin(&mut self, r: Ref, ins: &Ins) {
        let f64 = ins.ty == Ty::F64;
        let a = self.fpr(ins.a, FS0);
        let b = self.fpr(ins.b, FS1);
        let d = self.dst_f(r);
        match ins.op {
            Op::Add => fff!(self.ops, f64, fadd, d, a, b),
            Op::Sub => fff!(self.ops, f64, fsub, d, a, b),
            Op::Mul => fff!(self.ops, f64, fmul, d, a, b),
            Op::FMin => fff!(self.ops, f64, fmin, d, a, b),
            Op::FMax => fff!(self.ops, f64, fmax, d, a, b),
            _ => fff!(self.ops, f64, fdiv, d, a, b),
        }
        self.finish_f(r, d);
    }

    /// One-operand float operations: square root, sign, rounding, and f32 to f64 and
    /// back. `fabs` and `fneg` touch only the sign bit, as Wasm asks; the others quiet
    /// a NaN.
    fn funary(&mut self, r: Ref, ins: &Ins) {
        let a = self.fpr(ins.a, FS1);
        let d = self.dst_f(r);
        macro_rules! fop {
            ($mn:ident) => {
                if ins.ty == Ty::F32 {
                    dynasm!(self.ops ; .arch aarch64 ; $mn S(d), S(a))
                } else {
                    dynasm!(self.ops ; .arch aarch64 ; $mn D(d), D(a))
                }
            };
        }
        match ins.op {
            Op::Promote => dynasm!(self.ops ; .arch aarch64 ; fcvt D(d), S(a)),
            Op::Demote => dynasm!(self.ops ; .arch aarch64 ; fcvt S(d), D(a)),
            Op::FSqrt => fop!(fsqrt),
            Op::FAbs => fop!(fabs),
            Op::FNeg => fop!(fneg),
            Op::FFloor => fop!(frintm),
            Op::FCeil => fop!(frintp),
            Op::FTrunc => fop!(frintz),
            _ => fop!(frintn),
        }
        self.finish_f(r, d);
    }

    /// The first operand with the second one's sign (on the bits: no NaN is touched).
    fn fcopysign(&mut self, r: Ref, ins: &Ins) {
        let b = self.gpr(ins.b, T1);
        let a = self.gpr(ins.a, T0);
        self.mov_g(T0, a, true);
        let d = self.dst_f(r);
        if ins.ty == Ty::F32 {
            dynasm!(self.ops ; .arch aarch64
                ; lsr w17, W(b), #31
                ; bfi w9, w17, #31, #1
                ; fmov S(d), w9);
        } else {
            dynasm!(self.ops ; .arch aarch64
                ; lsr x17, X(b), #63
                ; bfi x9, x17, #63, #1
                ; fmov D(d), x9);
        }
        self.finish_f(r, d);
    }

    /// Bits between a general and a float register.
    fn bitcast(&mut self, r: Ref, ins: &Ins) {
        match ins.ty {
            Ty::F32 | Ty::F64 => {
                let a = self.gpr(ins.a, T1);
                let d = self.dst_f(r);
                dynasm!(self.ops ; .arch aarch64 ; fmov D(d), X(a));
                self.finish_f(r, d);
            }
            ty => {
                let a = self.fpr(ins.a, FS1);
                let d = self.dst_g(r);
                if ty == Ty::I32 {
                    dynasm!(self.ops ; .arch aarch64 ; fmov W(d), S(a));
                } else {
                    dynasm!(self.ops ; .arch aarch64 ; fmov X(d), D(a));
                }
                self.finish_g(r, d);
            }
        }
    }

    /// An integer to float (`aux` 1: unsigned), rounded once, as Wasm asks.
    fn convert(&mut self, r: Ref, ins: &Ins) {
        let from64 = self.ins(ins.a).ty == Ty::I64;
        let a = self.gpr(ins.a, T0);
        let d = self.dst_f(r);
        macro_rules! cvt {
            ($mn:ident) => {
                match (ins.ty == Ty::F32, from64) {
                    (true, true) => dynasm!(self.ops ; .arch aarch64 ; $mn S(d), X(a)),
                    (true, false) => dynasm!(self.ops ; .arch aarch64 ; $mn S(d), W(a)),
                    (false, true) => dynasm!(self.ops ; .arch aarch64 ; $mn D(d), X(a)),
                    (false, false) => dynasm!(self.ops ; .arch aarch64 ; $mn D(d), W(a)),
                }
            };
        }
        if ins.aux != 0 {
            cvt!(ucvtf);
        } else {
            cvt!(scvtf);
        }
        self.finish_f(r, d);
    }

    /// An in-range float to an integer (`aux` 1: unsigned; `TruncOk` checked the range).
    fn trunc(&mut self, r: Ref, ins: &Ins) {
        let from32 = self.ins(ins.a).ty == Ty::F32;
        let a = self.fpr(ins.a, FS1);
        let d = self.dst_g(r);
        macro_rules! cvt {
            ($mn:ident) => {
                match (ins.ty == Ty::I64, from32) {
                    (true, true) => dynasm!(self.ops ; .arch aarch64 ; $mn X(d), S(a)),
                    (true, false) => dynasm!(self.ops ; .arch aarch64 ; $mn X(d), D(a)),
                    (false, true) => dynasm!(self.ops ; .arch aarch64 ; $mn W(d), S(a)),
                    (false, false) => dynasm!(self.ops ; .arch aarch64 ; $mn W(d), D(a)),
                }
            };
        }
        if ins.aux == 1 {
            cvt!(fcvtzu);
        } else {
            cvt!(fcvtzs);
        }
        self.finish_g(r, d);
    }

    /// `TruncOk`: exits unless `lo < a < hi` (bounds exclusive; NaN fails) for the target
    /// type of the truncation.
    fn trunc_ok(&mut self, r: Ref, ins: &Ins) {
        let f32 = self.ins(ins.a).ty == Ty::F32;
        let (unsigned, to64) = (ins.aux & 1 != 0, ins.aux & 2 != 0);
        let (lo, hi) = crate::ops::trunc_bounds(f32, to64, unsigned);
        let bits = |v: f64| {
            if f32 {
                u64::from((v as f32).to_bits())
            } else {
                v.to_bits()
            }
        };
        let a = self.fpr(ins.a, FS0);
        // `a > lo` is `gt` and `a < hi` is `mi`: both false when unordered.
        for (bound, holds) in [(lo, Cc::Gt), (hi, Cc::Mi)] {
            let l = self.constant(bits(bound));
            dynasm!(self.ops ; .arch aarch64 ; ldr d31, =>l);
            if f32 {
                dynasm!(self.ops ; .arch aarch64 ; fcmp S(a), s31);
            } else {
                dynasm!(self.ops ; .arch aarch64 ; fcmp D(a), d31);
            }
            self.exit_if(r, holds.negate());
        }
    }

    /// The store's fuel left (through the context's store pointer).
    fn fuel_load(&mut self, r: Ref) {
        if self.loc(r) == Loc::None {
            return;
        }
        let d = self.dst_g(r);
        dynasm!(self.ops ; .arch aarch64
            ; ldr x16, [x19, #OFF_STORE]
            ; ldr X(d), [x16, #OFF_FUEL]
        );
        self.finish_g(r, d);
    }

    /// Writes `v` as the store's fuel left (through the context's store pointer).
    fn fuel_store(&mut self, v: Ref) {
        let g = self.gpr(v, T1);
        dynasm!(self.ops ; .arch aarch64
            ; ldr x16, [x19, #OFF_STORE]
            ; str X(g), [x16, #OFF_FUEL]
        );
    }

    /// `a - aux`.
    fn fuel_sub(&mut self, r: Ref, ins: &Ins) {
        let d = self.dst_g(r);
        let a = self.gpr(ins.a, T1);
        match self.imm(ins.aux, Ty::I64) {
            Some(k) => dynasm!(self.ops ; .arch aarch64 ; sub XSP(d), XSP(a), #k),
            None => {
                self.mov_imm(T2, ins.aux);
                dynasm!(self.ops ; .arch aarch64 ; sub X(d), X(a), x11);
            }
        }
        self.finish_g(r, d);
    }

    /// A pure operator without inline code: through the `Eval` helper.
    fn eval(&mut self, r: Ref, ins: &Ins) {
        let a_ty = if ins.a.is_none() {
            Ty::Void
        } else {
            self.ins(ins.a).ty
        };
        let imm = helpers::eval_imm(ins.op, ins.ty, a_ty, ins.aux);
        self.call(r, ins, Helper::Eval as u64, imm);
    }

    /// The address a call of helper `h` goes to: the typed host call for
    /// `Helper::HostCall` when the trace has one.
    fn helper(&self, h: u64) -> helpers::HelperFn {
        match self.host_call {
            Some(f) if h == Helper::HostCall as u64 => f,
            _ => helpers::address(h),
        }
    }

    /// Calls helper `h` with the instruction's operands and `imm`; the result (if any)
    /// goes to `r`. Live registers are preserved around the call.
    fn call(&mut self, r: Ref, ins: &Ins, h: u64, imm: u64) {
        let live: Vec<(Ref, Loc)> = self.alloc.live_across(r.idx()).collect();
        for (k, &(_, l)) in live.iter().enumerate() {
            self.store_word(l, OFF_SAVE + 8 * k as u32);
        }
        // Operands into scratch registers first, so no argument register overwrites
        // another's source.
        for (arg, t) in [(ins.a, T0), (ins.b, T1), (ins.c, T2)] {
            if arg.is_none() {
                self.mov_raw(t, 0);
            } else {
                let g = self.gpr(arg, t);
                self.mov_g(t, g, true);
            }
        }
        dynasm!(self.ops ; .arch aarch64
            ; mov x1, x9
            ; mov x2, x10
            ; mov x3, x11
            ; mov x0, x19
        );
        self.mov_raw(4, imm);
        self.mov_raw(16, self.helper(h) as usize as u64);
        // The result to `x9` before the live values (`x0` among them) come back.
        dynasm!(self.ops ; .arch aarch64
            ; blr x16
            ; mov x9, x0
            ; ldr x21, [x19, #OFF_MEM]
            ; ldr x20, [x19, #OFF_SP]
        );
        for (k, &(_, l)) in live.iter().enumerate() {
            self.load_word(l, OFF_SAVE + 8 * k as u32);
        }
        if ins.ty == Ty::Void || self.loc(r) == Loc::None {
            return;
        }
        if ins.ty.is_float() {
            let d = self.dst_f(r);
            dynasm!(self.ops ; .arch aarch64 ; fmov D(d), x9);
            self.finish_f(r, d);
        } else {
            let d = self.dst_g(r);
            self.mov_g(d, T0, ins.ty == Ty::I64);
            self.finish_g(r, d);
        }
    }
}

//! x86-64 code generation for traces, with dynasm.
//!
//! Register conventions inside a trace: `rbx` holds the trace context, `r14` the slot
//! pointer (the context's `sp`: the root frame's first slot, kept equal to it; code
//! after a helper call, which may move the value stack, reloads it), `r15` the base of
//! linear memory 0; `rax`, `rcx` and `rdx` are scratch (division, shift counts, spilled
//! operands), as are `xmm14` and `xmm15`. Everything else is allocatable. i32 values are
//! kept zero-extended in their registers (32-bit operations do that), so a value can be
//! used as a 64-bit address or slot without extension.
//!
//! Layout: prologue (save callee-saved registers, load the context), the first
//! iteration, the `Loop` label, the loop body, PHI moves and the backward jump (or, when
//! the body ends in a guard, its compare, the PHI moves and its branch back), then one
//! stub per exit (store the exit number, jump to the common exit, which saves every
//! register into the context for the exit handler and returns). A compare of a value
//! with 0 for `eq` or `ne` right after the `add`, `sub`, `and`, `or` or `xor` that wrote
//! it branches on that instruction's zero flag.
//!
//! Memory operands: an access at a constant address is `[r15 + disp]`, with no index
//! register; a float add, sub, mul or div reads a load that only it uses straight from
//! memory (`vsubsd x, y, [r15 + i + d]`) when nothing between the two may write memory;
//! a float store right after its value was computed in a scratch register and spilled
//! stores that register. A slot write of a small constant is one `mov` of an
//! immediate, and a parallel move loads constants and spilled values straight into
//! their destination registers.

#![allow(
    clippy::useless_conversion,
    reason = "dynasm's dynamic-register syntax converts register numbers that are already `u8`"
)]

use super::moves::{self, Callee, Cold, Src, Step};
use super::{Alloc, Arch, Assembled, LinkTarget, Loc, Unit};
use crate::jit::ctx::{FAILED, MAX_SPILLS, RETURNED, TraceCtx, word};
use crate::jit::fuel::FUEL_SLOT;
use crate::jit::helpers::{self, Helper};
use crate::jit::ir::{Cond, Ins, Ir, Mem, Op, Ref, Ty, flag};
use crate::jit::mcode;
use crate::jit::record::Abort;
use crate::runtime::store::{GlobalEntity, StoreInner};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, dynasm};
use std::mem::offset_of;

const RAX: u8 = 0;
const RCX: u8 = 1;
const RDX: u8 = 2;
const CTX: u8 = 3;
const RSI: u8 = 6;
const XS0: u8 = 14;
const XS1: u8 = 15;

const OFF_MEM: i32 = offset_of!(TraceCtx, mem) as i32;
const OFF_MEM_LEN: i32 = offset_of!(TraceCtx, mem_len) as i32;
const OFF_SP: i32 = offset_of!(TraceCtx, sp) as i32;
const OFF_GLOBALS: i32 = offset_of!(TraceCtx, globals) as i32;
const OFF_TABLE0: i32 = offset_of!(TraceCtx, table0) as i32;
const OFF_TABLE0_LEN: i32 = offset_of!(TraceCtx, table0_len) as i32;
const OFF_EXIT: i32 = offset_of!(TraceCtx, exit) as i32;
const OFF_DEADLINE: i32 = offset_of!(TraceCtx, epoch_deadline) as i32;
const OFF_STORE: i32 = offset_of!(TraceCtx, store) as i32;
const OFF_FUEL: i32 = offset_of!(StoreInner, fuel) as i32;
const OFF_TRACE: i32 = offset_of!(TraceCtx, trace) as i32;
const OFF_DEPTH: i32 = offset_of!(TraceCtx, depth) as i32;
const OFF_CALLS_LEFT: i32 = offset_of!(TraceCtx, calls_left) as i32;
const OFF_STACK_LIMIT: i32 = offset_of!(TraceCtx, stack_limit) as i32;
const OFF_SP_LIMIT: i32 = offset_of!(TraceCtx, sp_limit) as i32;
const OFF_ENTRY_CODE: i32 = offset_of!(TraceCtx, entry_code) as i32;
const OFF_ENTRY_KEYS: i32 = offset_of!(TraceCtx, entry_keys) as i32;
const OFF_ENTRIES_LEN: i32 = offset_of!(TraceCtx, entries_len) as i32;
const OFF_SLOT_ELEMS: i32 = offset_of!(TraceCtx, slot_elems) as i32;
const OFF_SLOT_CODE: i32 = offset_of!(TraceCtx, slot_code) as i32;
const OFF_SLOT_KEYS: i32 = offset_of!(TraceCtx, slot_keys) as i32;
const OFF_SLOTS_LEN: i32 = offset_of!(TraceCtx, slots_len) as i32;
const OFF_WORDS: i32 = offset_of!(TraceCtx, words) as i32;
const OFF_GPR: i32 = OFF_WORDS + 8 * word::GPR as i32;
const OFF_XMM: i32 = OFF_WORDS + 8 * word::FPR as i32;
const OFF_SAVE: i32 = OFF_WORDS + 8 * word::SAVE as i32;
const OFF_PARK: i32 = OFF_WORDS + 8 * word::PARK as i32;
const OFF_SPILL: i32 = OFF_WORDS + 8 * word::SPILL as i32;

/// `mn d, k`: an instruction on register `d` (all 64 bits when `wide`, else the low 32,
/// which zero-extends) and an immediate.
macro_rules! reg_imm {
    ($cg:expr, $mn:ident, $wide:expr, $d:expr, $k:expr) => {
        if $wide {
            dynasm!($cg.ops ; .arch x64 ; $mn Rq($d), $k)
        } else {
            dynasm!($cg.ops ; .arch x64 ; $mn Rd($d), $k)
        }
    };
}

/// `mn d, src`: an instruction on register `d` (64 or 32 bits as `reg_imm!`) and a
/// source [`GSrc`] (see `Cg::operand`).
macro_rules! reg_src {
    ($cg:expr, $mn:ident, $wide:expr, $d:expr, $src:expr) => {
        match ($src, $wide) {
            (GSrc::Reg(s), true) => dynasm!($cg.ops ; .arch x64 ; $mn Rq($d), Rq(s)),
            (GSrc::Reg(s), false) => dynasm!($cg.ops ; .arch x64 ; $mn Rd($d), Rd(s)),
            (GSrc::Spill(o), true) => dynasm!($cg.ops ; .arch x64 ; $mn Rq($d), QWORD [Rq(CTX) + o]),
            (GSrc::Spill(o), false) => dynasm!($cg.ops ; .arch x64 ; $mn Rd($d), DWORD [Rq(CTX) + o]),
            (GSrc::KPool(at), true) => { dynasm!($cg.ops ; .arch x64 ; $mn Rq($d), QWORD [rip + 0]); $cg.data_ref(at) }
            (GSrc::KPool(at), false) => { dynasm!($cg.ops ; .arch x64 ; $mn Rd($d), DWORD [rip + 0]); $cg.data_ref(at) }
        }
    };
}

/// A general operand where an instruction reads it: a register, a spill slot (its
/// offset from the context), or a blinded constant in the store's pool (its byte
/// offset there; see `Cg::data_ref`).
#[derive(Clone, Copy)]
enum GSrc {
    Reg(u8),
    Spill(i32),
    KPool(u32),
}

/// An instruction with a memory operand off memory's base, `[r15 + index + disp]`, or
/// `[r15 + disp]` without an index (see `Cg::addr`), written as the tokens before the
/// operand and those after it.
macro_rules! heap_op {
    ($cg:expr, $at:expr; [$($pre:tt)*] [$($post:tt)*]) => {
        match $at {
            (Some(ix), o) => dynasm!($cg.ops ; .arch x64 ; $($pre)* [r15 + Rq(ix) + o] $($post)*),
            (None, o) => dynasm!($cg.ops ; .arch x64 ; $($pre)* [r15 + o] $($post)*),
        }
    };
}

/// The x86-64 backend.
pub(crate) struct X64;

impl Arch for X64 {
    // rsi, rdi, r8-r13, rbp: everything but the scratch, context, slot pointer and memory
    // registers.
    const GPRS: &'static [u8] = &[6, 7, 8, 9, 10, 11, 12, 13, 5];
    const FPRS: &'static [u8] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
    const MAX_SPILLS: usize = MAX_SPILLS;
    // rax..r15, xmm0..xmm15.
    const GPR_WORDS: usize = 16;
    const FPR_WORDS: usize = 16;
    // A blinded integer is one RIP-relative load from the pool.
    const POOLED_INTS: bool = true;

    fn probe_host() {
        HOST.get_or_init(Features::host);
    }

    fn assemble(ir: &Ir<'_>, alloc: &Alloc, unit: &Unit) -> Result<Assembled, Abort> {
        let mut ops = VecAssembler::<X64Relocation>::new(0);
        let exits: Vec<DynamicLabel> = ir.snaps.iter().map(|_| ops.new_dynamic_label()).collect();
        let loop_label = ops.new_dynamic_label();
        let mut cg = Cg {
            ops,
            ir,
            alloc,
            exits,
            snap_of: moves::snapshots(ir),
            feat: Features::detect(unit.baseline),
            pool: Vec::new(),
            key: unit.blind,
            pooled: &unit.pooled,
            host_call: unit.host_call,
            switches: Vec::new(),
            cold: Vec::new(),
            loop_label,
            closing: None,
            zero_flag: None,
            spilled: None,
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

    /// An integer add takes a shift left by 1, 2 or 3 as the scaled index of a `lea`; an
    /// integer select of two non-constant values takes an integer comparison as the
    /// flags of its `cmov`.
    fn fuses(ir: &Ir<'_>, user: &Ins, r: Ref) -> bool {
        let def = ir.get(r);
        match user.op {
            // A float operation reads its second operand (either, when commutative)
            // straight from memory (see `fbin`).
            Op::Sub | Op::FDiv | Op::Add | Op::Mul if user.ty.is_float() => {
                let either = matches!(user.op, Op::Add | Op::Mul);
                def.op == Op::Load
                    && def.ty == user.ty
                    && (user.b == r || (either && user.a == r))
                    && no_store_before_use(ir, r)
            }
            Op::Add => user.ty == def.ty && scaled_index(ir, def).is_some(),
            // A megamorphic call through table 0 goes by the slot (see `call_slot`).
            Op::CallAny => user.a == r && def.op == Op::Call && def.aux == Helper::TableGet as u64,
            // A guard on `x & y` being 0 or not is a `test` (see `compare`).
            Op::Guard => super::tests_and(ir, user, r),
            Op::Select => {
                user.c == r
                    && def.op == Op::Cmp
                    && ir.ty(def.a).is_int()
                    && user.ty.is_int()
                    && ir.konst(user.a).is_none()
                    && ir.konst(user.b).is_none()
            }
            _ => false,
        }
    }

    fn retarget(code: &mut [u8], at: u32, base: usize, to: usize) -> bool {
        let at = at as usize;
        let Some(site) = code.get(at..).and_then(mcode::x64::rel32_site) else {
            return false;
        };
        let Some(rel) = mcode::x64::rel32(base + at + site.len, to) else {
            return false;
        };
        code[at + site.disp..at + site.disp + 4].copy_from_slice(&rel.to_le_bytes());
        true
    }

    fn jump(from: usize, to: usize) -> Option<Vec<u8>> {
        let rel = mcode::x64::rel32(from + 5, to)?;
        let mut b = vec![0xE9];
        b.extend_from_slice(&rel.to_le_bytes());
        Some(b)
    }

    fn disasm(code: &[u8], text: usize) -> String {
        use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
        let (code, data) = code.split_at(text.min(code.len()));
        let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
        let mut fmt = IntelFormatter::with_options(Some(Box::new(KPoolSymbol)), None);
        let mut out = String::new();
        let mut text = String::new();
        for ins in &mut decoder {
            text.clear();
            fmt.format(&ins, &mut text);
            out.push_str(&format!("{:05x}  {text}\n", ins.ip()));
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

/// Names the store's pool in listings (see [`super::LISTING_KPOOL`]).
struct KPoolSymbol;

impl iced_x86::SymbolResolver for KPoolSymbol {
    fn symbol(
        &mut self,
        _: &iced_x86::Instruction,
        _: u32,
        _: Option<u32>,
        address: u64,
        _: u32,
    ) -> Option<iced_x86::SymbolResult<'_>> {
        (super::LISTING_KPOOL..2 * super::LISTING_KPOOL)
            .contains(&address)
            .then(|| iced_x86::SymbolResult::with_str(super::LISTING_KPOOL, "kpool"))
    }
}

/// Optional instructions of this CPU.
#[derive(Clone, Copy)]
struct Features {
    lzcnt: bool,
    tzcnt: bool,
    popcnt: bool,
    sse41: bool,
    /// VEX-encoded three-operand scalar float arithmetic (`vaddsd d, a, b`).
    avx: bool,
}

/// What this CPU has, looked up once per process.
static HOST: std::sync::OnceLock<Features> = std::sync::OnceLock::new();

impl Features {
    /// What the CPU has, or none of it for `baseline` code (SSE2 only).
    fn detect(baseline: bool) -> Features {
        let none = Features {
            lzcnt: false,
            tzcnt: false,
            popcnt: false,
            sse41: false,
            avx: false,
        };
        match baseline {
            true => none,
            false => *HOST.get_or_init(Features::host),
        }
    }

    fn host() -> Features {
        Features {
            lzcnt: std::arch::is_x86_feature_detected!("lzcnt"),
            tzcnt: std::arch::is_x86_feature_detected!("bmi1"),
            popcnt: std::arch::is_x86_feature_detected!("popcnt"),
            sse41: std::arch::is_x86_feature_detected!("sse4.1"),
            avx: std::arch::is_x86_feature_detected!("avx"),
        }
    }
}

struct Cg<'a, 'b> {
    ops: VecAssembler<X64Relocation>,
    ir: &'a Ir<'b>,
    alloc: &'a Alloc,
    exits: Vec<DynamicLabel>,
    snap_of: Vec<usize>,
    feat: Features,
    /// Float constants, placed after the code and read RIP-relative.
    pool: Vec<(u64, DynamicLabel)>,
    /// The constant-blinding key (see [`Unit::blind`]).
    key: Option<u64>,
    /// Blinded constants in the store's pool (see [`Unit::pooled`]).
    pooled: &'a super::Pooled,
    /// The typed host call (see [`Unit::host_call`]).
    host_call: Option<helpers::HelperFn>,
    /// `Switch` tables.
    switches: Vec<moves::SwitchTable>,
    /// Rarely taken paths, placed after the body so the hot path falls through.
    cold: Vec<Cold<DynamicLabel>>,
    /// The loop header (placed at the `Loop` marker, if there is one).
    loop_label: DynamicLabel,
    /// The guard that closes the loop by branching back (see `moves::closing_guard`).
    closing: Option<usize>,
    /// Where the code ends after an `add`, `sub`, `and`, `or` or `xor` whose zero flag
    /// tells whether the register it wrote (32 or 64 bits wide) is 0: a compare of that
    /// register with 0 for `eq` or `ne` right there needs no `test`.
    zero_flag: Option<(usize, u8, bool)>,
    /// Where the code ends after a float result computed in a scratch register was
    /// stored to its spill slot: a store of that value to memory right there takes it
    /// from the register instead of reloading it.
    spilled: Option<(usize, Ref, u8)>,
    /// What the trace tree needs to know about the code (offsets of entries and branches).
    out: Assembled,
    /// Where the trace it links to wants its values (see [`Unit::link`]).
    link: &'a LinkTarget,
}

/// One-operand `op` (`mul`, `imul`, `div`, `idiv`: on `rdx:rax`) of operand `b` (a
/// [`GSrc`]), 64- or 32-bit.
macro_rules! rdx_rax {
    ($cg:expr, $op:ident, $wide:expr, $b:expr) => {
        match ($wide, $b) {
            (true, GSrc::Reg(g)) => dynasm!($cg.ops ; .arch x64 ; $op Rq(g)),
            (false, GSrc::Reg(g)) => dynasm!($cg.ops ; .arch x64 ; $op Rd(g)),
            (true, GSrc::Spill(o)) => dynasm!($cg.ops ; .arch x64 ; $op QWORD [Rq(CTX) + o]),
            (false, GSrc::Spill(o)) => dynasm!($cg.ops ; .arch x64 ; $op DWORD [Rq(CTX) + o]),
            (true, GSrc::KPool(at)) => { dynasm!($cg.ops ; .arch x64 ; $op QWORD [rip + 0]); $cg.data_ref(at) }
            (false, GSrc::KPool(at)) => { dynasm!($cg.ops ; .arch x64 ; $op DWORD [rip + 0]); $cg.data_ref(at) }
        }
    };
}

/// Whether nothing that may write memory (a store, a call) comes between the load `r`
/// and its first use: the load can then be made at the use instead.
fn no_store_before_use(ir: &Ir<'_>, r: Ref) -> bool {
    ir.ins[r.idx() + 1..]
        .iter()
        .take_while(|ins| !ins.operands().any(|o| o == r))
        .all(|ins| !ins.op.has(flag::EFFECT))
}

/// `def` as `index << shift` with a shift an address mode can scale by (1 to 3).
fn scaled_index(ir: &Ir<'_>, def: &Ins) -> Option<(Ref, u8)> {
    if def.op != Op::Shl || !def.ty.is_int() {
        return None;
    }
    let k = ir.konst(def.b)?;
    (1..=3).contains(&k).then_some((def.a, k as u8))
}

/// Where an instruction reads a float operand (see `fsrc`).
#[derive(Clone, Copy, PartialEq)]
enum FSrc {
    Reg(u8),
    Pool(DynamicLabel),
    /// The store's pool, at this byte offset (see [`Cg::data_ref`]).
    KPool(u32),
    Spill(i32),
    /// Linear memory, at `[r15 + index + disp]` (a load fused into its user, see
    /// `X64::fuses`).
    Heap((Option<u8>, i32)),
}

fn spill_off(i: u16) -> i32 {
    OFF_SPILL + 8 * i32::from(i)
}

fn imm32(v: u64, ty: Ty) -> Option<i32> {
    match ty {
        Ty::I32 => Some(v as u32 as i32),
        _ => i32::try_from(v as i64).ok(),
    }
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

    /// `k` as the 32-bit immediate operand of a `ty` instruction, if it fits and may
    /// appear raw (see [`Cg::blinded`]); the others go through [`Cg::mov_imm`] into a
    /// register.
    fn imm(&self, k: u64, ty: Ty) -> Option<i32> {
        imm32(k, ty).filter(|_| !self.blinded(k))
    }

    /// `v` as a 32-bit displacement, if it fits and may appear raw (see [`Cg::blinded`]).
    fn disp(&self, v: u64) -> Option<i32> {
        i32::try_from(v).ok().filter(|_| !self.blinded(v))
    }

    /// Whether constant `v` must be blinded before it can appear in the code (see
    /// [`super::needs_blinding`]).
    fn blinded(&self, v: u64) -> bool {
        self.key.is_some() && super::needs_blinding(v)
    }

    /// Loads a 64-bit immediate into `reg` (blinded: from the store's pool, or the code
    /// holds `v ^ key` and unmasks it with the key).
    fn mov_imm(&mut self, reg: u8, v: u64) {
        if let Some(at) = self.pooled.offset(v) {
            dynasm!(self.ops ; .arch x64 ; mov Rq(reg), QWORD [rip + 0]);
            self.data_ref(at);
            return;
        }
        if let Some(key) = self.key.filter(|_| self.blinded(v)) {
            if v <= u64::from(u32::MAX) {
                let (m, k) = ((v ^ key) as u32 as i32, key as u32 as i32);
                dynasm!(self.ops ; .arch x64 ; mov Rd(reg), m ; xor Rd(reg), k);
            } else {
                let l = self.constant(key);
                dynasm!(self.ops ; .arch x64
                    ; mov Rq(reg), QWORD (v ^ key) as i64
                    ; xor Rq(reg), QWORD [=>l]
                );
            }
            return;
        }
        if v == 0 {
            dynasm!(self.ops ; .arch x64 ; xor Rd(reg), Rd(reg));
        } else if v <= u64::from(u32::MAX) {
            dynasm!(self.ops ; .arch x64 ; mov Rd(reg), v as u32 as i32);
        } else {
            dynasm!(self.ops ; .arch x64 ; mov Rq(reg), QWORD v as i64);
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
                dynasm!(self.ops ; .arch x64 ; mov Rq(scratch), [Rq(CTX) + spill_off(i)]);
                scratch
            }
            Loc::Fpr(x) => {
                if self.ins(r).ty == Ty::F32 {
                    dynasm!(self.ops ; .arch x64 ; movd Rd(scratch), Rx(x));
                } else {
                    dynasm!(self.ops ; .arch x64 ; movq Rq(scratch), Rx(x));
                }
                scratch
            }
            Loc::None => {
                // A value that was never needed elsewhere (e.g. folded away): zero.
                self.mov_imm(scratch, 0);
                scratch
            }
        }
    }

    /// Whether non-constant `r` lives in register `g`.
    fn in_reg(&self, r: Ref, g: u8) -> bool {
        self.konst(r).is_none() && self.loc(r) == Loc::Gpr(g)
    }

    /// `r`'s value as an instruction's source operand: its register, its spill slot, its
    /// place in the store's pool (a blinded constant), or `scratch` holding it.
    fn operand(&mut self, r: Ref, scratch: u8) -> GSrc {
        match (self.konst(r), self.loc(r)) {
            (None, Loc::Spill(i)) => GSrc::Spill(spill_off(i)),
            (Some(k), _) if let Some(at) = self.pooled.offset(k) => GSrc::KPool(at),
            _ => GSrc::Reg(self.gpr(r, scratch)),
        }
    }

    /// `r`'s value in a float register: its own, or `scratch`. A blinded constant is
    /// read from the store's pool, or unmasked through `rdx`, which no caller holds
    /// anything in at that point.
    fn fpr(&mut self, r: Ref, scratch: u8) -> u8 {
        if let Some(k) = self.konst(r) {
            if let Some(at) = self.pooled.offset(k) {
                dynasm!(self.ops ; .arch x64 ; movsd Rx(scratch), QWORD [rip + 0]);
                self.data_ref(at);
                return scratch;
            }
            if self.blinded(k) {
                self.mov_imm(RDX, k);
                dynasm!(self.ops ; .arch x64 ; movq Rx(scratch), rdx);
                return scratch;
            }
            let l = self.constant(k);
            dynasm!(self.ops ; .arch x64 ; movsd Rx(scratch), QWORD [=>l]);
            return scratch;
        }
        match self.loc(r) {
            Loc::Fpr(x) => x,
            Loc::Spill(i) => {
                dynasm!(self.ops ; .arch x64 ; movsd Rx(scratch), QWORD [Rq(CTX) + spill_off(i)]);
                scratch
            }
            Loc::Gpr(g) => {
                dynasm!(self.ops ; .arch x64 ; movq Rx(scratch), Rq(g));
                scratch
            }
            Loc::None => {
                dynasm!(self.ops ; .arch x64 ; xorps Rx(scratch), Rx(scratch));
                scratch
            }
        }
    }

    /// Makes the instruction just emitted, whose last four bytes are a RIP-relative
    /// displacement, read byte `at` of the store's pool: `trace::install` fills in the
    /// displacement once the code's address is known.
    fn data_ref(&mut self, at: u32) {
        let end = self.ops.offset().0 as u32;
        self.out.data_refs.push((end, at));
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
            _ => RAX,
        }
    }

    fn dst_f(&self, r: Ref) -> u8 {
        match self.loc(r) {
            Loc::Fpr(x) => x,
            _ => XS0,
        }
    }

    /// Stores a result computed in `reg` to its spill slot, if it has one.
    fn finish_g(&mut self, r: Ref, reg: u8) {
        if let Loc::Spill(i) = self.loc(r) {
            dynasm!(self.ops ; .arch x64 ; mov [Rq(CTX) + spill_off(i)], Rq(reg));
        }
    }

    fn finish_f(&mut self, r: Ref, reg: u8) {
        if let Loc::Spill(i) = self.loc(r) {
            dynasm!(self.ops ; .arch x64 ; movsd QWORD [Rq(CTX) + spill_off(i)], Rx(reg));
            self.spilled = Some((self.ops.offset().0, r, reg));
        }
    }

    /// `d = s`; i32 values are kept zero-extended, so a 32-bit move suffices for them.
    fn mov_g(&mut self, d: u8, s: u8, wide: bool) {
        if d != s {
            if wide {
                dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(s));
            } else {
                dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(s));
            }
        }
    }

    /// Breaks the false dependency of a scalar SSE instruction that writes only the low
    /// lane of `d` (conversions, square root, rounding) on `d`'s previous value, which
    /// would otherwise chain unrelated iterations through a reused register.
    fn clear_f(&mut self, d: u8, src: Option<u8>) {
        if src != Some(d) {
            dynasm!(self.ops ; .arch x64 ; xorps Rx(d), Rx(d));
        }
    }

    fn mov_f(&mut self, d: u8, s: u8) {
        if d != s {
            dynasm!(self.ops ; .arch x64 ; movaps Rx(d), Rx(s));
        }
    }

    // ---- the trace ----

    fn trace(&mut self, unit: &Unit) {
        let loop_label = self.loop_label;
        self.closing = moves::closing_guard(self.ir, self.alloc, &self.snap_of);
        if unit.side {
            // Entered by a jump from the parent's exit branch: its frame, context and
            // memory registers are already set up; inherited values move where this
            // trace's allocation wants them.
            let moves = moves::entry_moves(self.ir, self.alloc);
            self.parallel_move(moves);
        } else {
            dynasm!(self.ops ; .arch x64
                ; push rbx ; push rbp ; push r12 ; push r13 ; push r14 ; push r15
                ; sub rsp, 8
                ; mov rbx, rdi
                ; mov r15, [rbx + OFF_MEM]
                ; mov r14, [rbx + OFF_SP]
            );
            // Native calls enter here, with the context in `rbx`, the slot pointer in
            // `r14` and memory's base in `r15` (traces of one instance: the same
            // memory); links from other traces after the entry loads.
            self.out.entry = self.ops.offset().0 as u32;
            for &r in &self.alloc.entry_loads {
                self.emit(r, &self.ir.ins[r.idx()]);
            }
        }
        self.out.link_entry = self.ops.offset().0 as u32;
        // Links arrive here with their own registers.
        self.spilled = None;
        for (i, skip) in self.alloc.skipped().into_iter().enumerate() {
            let r = Ref(i as u32);
            let ins = *self.ir.get(r);
            if ins.op == Op::Loop {
                // The back edge reaches it with other flags.
                (self.zero_flag, self.spilled) = (None, None);
                dynasm!(self.ops ; .arch x64 ; =>loop_label);
                self.out.body = Some(self.ops.offset().0 as u32);
                continue;
            }
            if !skip {
                self.emit(r, &ins);
            }
        }
        if self.alloc.loop_at.is_some() && self.closing.is_none() {
            self.parallel_move(moves::phi_moves(self.ir, self.alloc));
            dynasm!(self.ops ; .arch x64 ; jmp =>loop_label);
        }
        for cold in std::mem::take(&mut self.cold) {
            match cold {
                Cold::CallAny { at, back, key } => {
                    dynasm!(self.ops ; .arch x64 ; =>at);
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
                    dynasm!(self.ops ; .arch x64 ; =>at);
                    self.unwind(r, base, &saved, any);
                }
            }
        }
        let common = self.ops.new_dynamic_label();
        for k in 0..self.exits.len() {
            let l = self.exits[k];
            dynasm!(self.ops ; .arch x64 ; =>l);
            self.out.stubs[k] = self.ops.offset().0 as u32;
            dynasm!(self.ops ; .arch x64
                ; mov DWORD [rbx + OFF_EXIT], k as i32
                ; jmp =>common
            );
        }
        dynasm!(self.ops ; .arch x64
            ; =>common
            ; mov DWORD [rbx + OFF_TRACE], unit.id as i32
        );
        for g in 0..16u8 {
            dynasm!(self.ops ; .arch x64 ; mov [rbx + OFF_GPR + 8 * i32::from(g)], Rq(g));
        }
        for x in 0..16u8 {
            dynasm!(self.ops ; .arch x64 ; movsd QWORD [rbx + OFF_XMM + 8 * i32::from(x)], Rx(x));
        }
        // Called from another trace: back to it (it handles the exit at once); entered
        // from the interpreter: back to `trace::enter`.
        let native = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64
            ; mov eax, [rbx + OFF_EXIT]
            ; cmp DWORD [rbx + OFF_DEPTH], 0
            ; jne =>native
            ; add rsp, 8
            ; pop r15 ; pop r14 ; pop r13 ; pop r12 ; pop rbp ; pop rbx
            ; ret
            ; =>native
            ; ret
        );
        dynasm!(self.ops ; .arch x64 ; .align 8);
        self.out.text = self.ops.offset().0 as u32;
        for &(bits, l) in &self.pool {
            dynasm!(self.ops ; .arch x64 ; =>l ; .u64 bits);
        }
        for &moves::SwitchTable { table, len, .. } in &self.switches {
            dynasm!(self.ops ; .arch x64 ; =>table);
            for _ in 0..=len {
                dynasm!(self.ops ; .arch x64 ; .u32 0);
            }
        }
    }

    /// `br_table` on `a`: clamps the index to the default, then jumps through a table of
    /// 32-bit offsets (from the table) to the recorded target's code or another target's
    /// exit stub.
    fn switch(&mut self, r: Ref, ins: &Ins) {
        let (table, cont) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        let switch = moves::SwitchTable::new(ins, self.snap_of[r.idx()], table, cont);
        let len = switch.len;
        let x = self.gpr(ins.a, RCX);
        dynasm!(self.ops ; .arch x64
            ; mov eax, Rd(x)
            ; mov ecx, len as i32
            ; cmp eax, ecx
            ; cmova eax, ecx
            ; lea rcx, [=>table]
            ; movsxd rax, DWORD [rcx + rax * 4]
            ; add rax, rcx
            ; jmp rax
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

    /// jumps to the other trace's entry (the address is filled in once it is known).
    fn link(&mut self, r: Ref, target: u64) {
        let (fuel, entries) = moves::link_writes(self.ir, self.snap_of[r.idx()]);
        if let Some(v) = fuel {
            self.fuel_store(v);
        }
        for (slot, v) in entries {
            self.store_slot(v, 8 * slot as i32);
        }
        let (moves, loads) = moves::link_moves(self.ir, self.snap_of[r.idx()], self.link);
        self.parallel_move(moves);
        for e in loads {
            self.load_slot(e.loc, e.ty, 8 * e.slot as i32);
        }
        let at = self.ops.offset().0 as u32;
        self.out.links.push((at, target as u32));
        self.ops.extend([0xE9, 0, 0, 0, 0]);
    }

    /// Exits unless a native call of a callee whose frame starts at slot `base` fits:
    /// native stack above the limit, a frame left, the value stack long enough.
    fn call_check(&mut self, r: Ref, base: u64) {
        dynasm!(self.ops ; .arch x64 ; cmp rsp, [rbx + OFF_STACK_LIMIT]);
        self.exit_if(r, Jcc::B);
        dynasm!(self.ops ; .arch x64 ; cmp DWORD [rbx + OFF_CALLS_LEFT], 0);
        self.exit_if(r, Jcc::E);
        dynasm!(self.ops ; .arch x64
            ; mov rax, QWORD (8 * base) as i64
            ; add rax, r14
            ; cmp rax, [rbx + OFF_SP_LIMIT]
        );
        self.exit_if(r, Jcc::A);
    }

    /// A native call into another trace (`CallTrace`): the live values go to the native
    /// stack (the callee may use every register and spill slot), the context moves to
    /// the callee's frame, and the callee runs. It returns [`RETURNED`], or the number
    /// of the exit it took with its registers in the context: then the exit is handled
    /// at once (`exit::nested`) and this trace takes the call's own exit, unwinding.
    fn call_trace(&mut self, r: Ref, aux: u64) {
        self.native_call(r, aux >> 32, Callee::Trace(aux as u32));
    }

    /// A megamorphic call (`CallAny`) of the function at table entry `ins.a`: through its
    /// native entry when it has one of the expected type, else through the `CallAny`
    /// helper (the interpreter runs it, or the trap is kept), which returns [`RETURNED`]
    /// or [`FAILED`]; a failed call unwinds without a callee's exit to handle.
    fn call_any(&mut self, r: Ref, ins: &Ins) {
        let callee = Callee::Any {
            entry: ins.a,
            key: self.konst(ins.b).expect("a constant key"),
        };
        self.native_call(r, ins.aux >> 32, callee);
    }

    fn native_call(&mut self, r: Ref, base: u64, callee: Callee) {
        let snap = &self.ir.snaps[self.snap_of[r.idx()]];
        let saved: Vec<Loc> = self.alloc.live_at(r.idx(), snap).collect();
        let pad = padded(&saved);
        for &l in &saved {
            match l {
                Loc::Gpr(g) => dynasm!(self.ops ; .arch x64 ; push Rq(g)),
                Loc::Fpr(x) => dynasm!(self.ops ; .arch x64
                    ; sub rsp, 8
                    ; movsd QWORD [rsp], Rx(x)),
                Loc::Spill(i) => dynasm!(self.ops ; .arch x64 ; push QWORD [rbx + spill_off(i)]),
                Loc::None => {}
            }
        }
        if pad {
            // A push rather than `sub rsp`: the stack pointer moves by pushes and pops
            // only, which the processor tracks without extra work.
            dynasm!(self.ops ; .arch x64 ; push rax);
        }
        if let Callee::Any { entry, .. } = callee {
            // Every register is saved: the entry (or, for a call by the slot, the slot)
            // goes to the helper's argument register.
            let fused = self.alloc.fused[entry.idx()];
            let src = if fused { self.ins(entry).a } else { entry };
            let g = self.gpr(src, RSI);
            if g != RSI {
                dynasm!(self.ops ; .arch x64 ; mov rsi, Rq(g));
            }
        }
        self.shift_frame(base as i64, 1);
        match callee {
            Callee::Trace(target) => {
                let at = self.ops.offset().0 as u32;
                self.out.calls.push((at, target));
                self.ops.extend([0xE8, 0, 0, 0, 0]);
            }
            Callee::Any { entry, key } if self.alloc.fused[entry.idx()] => self.call_slot(key),
            Callee::Any { key, .. } => self.call_entry(key),
        }
        let at = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64 ; cmp eax, RETURNED as i32 ; jne =>at);
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
            dynasm!(self.ops ; .arch x64 ; cmp eax, FAILED as i32 ; je =>handled);
        }
        dynasm!(self.ops ; .arch x64
            ; sub rsp, 8
            ; mov rdi, rbx
            ; mov rax, QWORD helpers::address(Helper::NestedExit as u64) as usize as i64
            ; call rax
            ; add rsp, 8
            ; mov r14, [rbx + OFF_SP]
            ; =>handled
            ; mov r15, [rbx + OFF_MEM]
        );
        self.after_call(base, saved);
        let l = self.exits[self.snap_of[r.idx()]];
        dynasm!(self.ops ; .arch x64 ; jmp =>l);
    }

    /// Calls the function at table entry `rsi` (`key`: the type id expected, the
    /// caller's instance), the context already at its frame: its native entry, or
    /// (out of line, see [`Cold::CallAny`]) the `CallAny` helper.
    fn call_entry(&mut self, key: u64) {
        let (at, back) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        // The code is one load from the entry (an entry with code has a key).
        dynasm!(self.ops ; .arch x64
            ; cmp rsi, [rbx + OFF_ENTRIES_LEN]
            ; jae =>at
        );
        self.keyed_call([OFF_ENTRY_KEYS, OFF_ENTRY_CODE], key, at);
        dynasm!(self.ops ; .arch x64 ; =>back);
        self.cold.push(Cold::CallAny { at, back, key });
    }

    /// Calls the function in slot `rsi` of table 0 (`key`: the type id expected, the
    /// caller's instance), the context already at its frame, through the slot cache
    /// (see `entries`): the cached code when the slot still holds the cached element and
    /// its key is `key`. The code is one load from the slot, beside the element's load
    /// rather than after it. A miss fills the slot and tries again (out of line, see
    /// [`Cg::slot_miss`]); an element without code of the expected type takes the
    /// `CallAny` helper.
    fn call_slot(&mut self, key: u64) {
        let [check, miss, other, back] = [(); 4].map(|_| self.ops.new_dynamic_label());
        dynasm!(self.ops ; .arch x64
            ; =>check
            ; cmp rsi, [rbx + OFF_SLOTS_LEN]
            ; jae =>miss
            ; mov rcx, [rbx + OFF_TABLE0]
            ; mov rcx, [rcx + rsi * 8]
            ; mov rax, [rbx + OFF_SLOT_ELEMS]
            ; cmp rcx, [rax + rsi * 8]
            ; jne =>miss
        );
        self.keyed_call([OFF_SLOT_KEYS, OFF_SLOT_CODE], key, other);
        dynasm!(self.ops ; .arch x64 ; =>back);
        self.cold.push(Cold::SlotMiss {
            check,
            miss,
            other,
            back,
            key,
        });
    }

    /// A megamorphic call's last step: to `miss` unless the key at index `rsi` of the
    /// context's array at `keys` is `key`, else a call of the code at index `rsi` of the
    /// array at `code` (the native entries', or table 0's slot cache's).
    fn keyed_call(&mut self, [keys, code]: [i32; 2], key: u64, miss: DynamicLabel) {
        dynasm!(self.ops ; .arch x64 ; mov rax, [rbx + keys]);
        match i32::try_from(key as i64) {
            Ok(k) => dynasm!(self.ops ; .arch x64 ; cmp QWORD [rax + rsi * 8], k),
            Err(_) => dynasm!(self.ops ; .arch x64
                ; mov rdx, QWORD key as i64
                ; cmp [rax + rsi * 8], rdx),
        }
        dynasm!(self.ops ; .arch x64
            ; jne =>miss
            ; mov rax, [rbx + code]
            ; call QWORD [rax + rsi * 8]
        );
    }

    /// `call_slot`'s misses (out of line, see [`Cold::SlotMiss`]): the `FillSlot` helper
    /// caches the slot and the call tries again; a slot out of the table's bounds, or an
    /// element without code of the expected type (`rcx`), goes to the `CallAny` helper,
    /// which traps or runs it.
    fn slot_miss(&mut self, [check, miss, other, back]: [DynamicLabel; 4], key: u64) {
        let any = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64
            ; =>miss
            // The slot is kept across the call, which the push also aligns the stack for.
            ; push rsi
            ; mov rdi, rbx
            ; mov rax, QWORD helpers::address(Helper::FillSlot as u64) as usize as i64
            ; call rax
            ; pop rsi
            ; test eax, eax
            ; jnz =>check
            ; mov rsi, -1
            ; jmp =>any
            ; =>other
            ; mov rsi, rcx
            ; =>any
        );
        self.call_any_helper(back, key);
    }

    /// `call_entry`'s fallback (out of line): the `CallAny` helper, then back.
    fn call_any_helper(&mut self, back: DynamicLabel, key: u64) {
        dynasm!(self.ops ; .arch x64
            ; sub rsp, 8
            ; mov rdi, rbx
            ; mov edx, key as u32 as i32
            ; mov rax, QWORD helpers::address(Helper::CallAny as u64) as usize as i64
            ; call rax
            ; add rsp, 8
            ; mov r15, [rbx + OFF_MEM]
            ; mov r14, [rbx + OFF_SP]
            ; jmp =>back
        );
    }

    /// Moves the context's frame (`sp`, from which the frame's base follows) by `by`
    /// slots, into a callee's frame (`step` 1) or back out of it (`step` -1), counting
    /// the native call in or out: `depth` and
    /// `calls_left` are adjacent, so one 64-bit add moves both (`depth` never wraps, and
    /// `calls_left` is not 0 when a call starts: `CallCheck`).
    fn shift_frame(&mut self, by: i64, step: i32) {
        const _: () = assert!(OFF_CALLS_LEFT == OFF_DEPTH + 4);
        let counts = (i64::from(-step) << 32).wrapping_add(i64::from(step));
        let bytes = 8 * by as i32;
        // `r14` equals the context's `sp` wherever trace code runs (code that calls a
        // helper, which may move the value stack, reloads it), a callee's too.
        dynasm!(self.ops ; .arch x64
            ; add r14, bytes
            ; mov [rbx + OFF_SP], r14
            ; mov rcx, QWORD counts
            ; add [rbx + OFF_DEPTH], rcx
        );
    }

    /// After a native call: the context back at this trace's frame, the live values
    /// back where they were. Memory's base needs no reload: trace code keeps `r15` equal
    /// to the context's `mem` (it reloads it after every helper), a callee's too, so only
    /// the paths through the interpreter (the `CallAny` helper, a nested exit) reload it.
    fn after_call(&mut self, base: u64, saved: &[Loc]) {
        self.shift_frame(-(base as i64), -1);
        if padded(saved) {
            dynasm!(self.ops ; .arch x64 ; pop rcx);
        }
        for &l in saved.iter().rev() {
            match l {
                Loc::Gpr(g) => dynasm!(self.ops ; .arch x64 ; pop Rq(g)),
                Loc::Fpr(x) => dynasm!(self.ops ; .arch x64
                    ; movsd Rx(x), QWORD [rsp]
                    ; add rsp, 8),
                Loc::Spill(i) => dynasm!(self.ops ; .arch x64 ; pop QWORD [rbx + spill_off(i)]),
                Loc::None => {}
            }
        }
    }

    /// Performs `moves` (destination, source) as if all at once.
    fn parallel_move(&mut self, moves: Vec<(Loc, Src)>) {
        for step in moves::schedule(self.ir, self.alloc, moves) {
            match step {
                Step::Move(d, src) => self.move_to(d, src),
                Step::Park(d, k) => {
                    let off = OFF_PARK + 8 * k as i32;
                    match d {
                        Loc::Gpr(g) => dynasm!(self.ops ; .arch x64 ; mov [rbx + off], Rq(g)),
                        Loc::Fpr(x) => {
                            dynasm!(self.ops ; .arch x64 ; movsd QWORD [rbx + off], Rx(x))
                        }
                        Loc::Spill(i) => dynasm!(self.ops ; .arch x64
                            ; mov rax, [rbx + spill_off(i)]
                            ; mov [rbx + off], rax),
                        Loc::None => {}
                    }
                }
            }
        }
    }

    fn move_to(&mut self, d: Loc, src: Src) {
        match src {
            Src::At(from) => match (d, from) {
                (Loc::Gpr(g), Loc::Gpr(f)) => self.mov_g(g, f, true),
                (Loc::Fpr(x), Loc::Fpr(f)) => self.mov_f(x, f),
                (Loc::Gpr(g), Loc::Spill(i)) => {
                    dynasm!(self.ops ; .arch x64 ; mov Rq(g), [rbx + spill_off(i)])
                }
                (Loc::Fpr(x), Loc::Spill(i)) => {
                    dynasm!(self.ops ; .arch x64 ; movsd Rx(x), QWORD [rbx + spill_off(i)])
                }
                (Loc::Spill(i), Loc::Gpr(f)) => {
                    dynasm!(self.ops ; .arch x64 ; mov [rbx + spill_off(i)], Rq(f))
                }
                (Loc::Spill(i), Loc::Fpr(f)) => {
                    dynasm!(self.ops ; .arch x64 ; movsd QWORD [rbx + spill_off(i)], Rx(f))
                }
                (Loc::Spill(i), Loc::Spill(f)) => dynasm!(self.ops ; .arch x64
                    ; mov rax, [rbx + spill_off(f)]
                    ; mov [rbx + spill_off(i)], rax),
                // Inherited values keep their register class.
                _ => {}
            },
            Src::Parked(k) => match (d, OFF_PARK + 8 * k as i32) {
                (Loc::Gpr(g), off) => dynasm!(self.ops ; .arch x64 ; mov Rq(g), [rbx + off]),
                (Loc::Fpr(x), off) => {
                    dynasm!(self.ops ; .arch x64 ; movsd Rx(x), QWORD [rbx + off])
                }
                (Loc::Spill(i), off) => dynasm!(self.ops ; .arch x64
                    ; mov rax, [rbx + off]
                    ; mov [rbx + spill_off(i)], rax),
                (Loc::None, _) => {}
            },
            // A constant or spilled value loads straight into its destination, which
            // holds nothing the remaining moves read.
            Src::Val(src) => match d {
                Loc::Gpr(g) => {
                    let s = self.gpr(src, g);
                    self.mov_g(g, s, true);
                }
                Loc::Fpr(x) => {
                    let s = self.fpr(src, x);
                    self.mov_f(x, s);
                }
                Loc::Spill(i) => {
                    let s = self.gpr(src, RAX);
                    dynasm!(self.ops ; .arch x64 ; mov [rbx + spill_off(i)], Rq(s));
                }
                Loc::None => {}
            },
        }
    }

    /// The store's fuel left (through the context's store pointer).
    fn fuel_load(&mut self, r: Ref) {
        if self.loc(r) == Loc::None {
            return;
        }
        let d = self.dst_g(r);
        dynasm!(self.ops ; .arch x64
            ; mov rax, [rbx + OFF_STORE]
            ; mov Rq(d), [rax + OFF_FUEL]
        );
        self.finish_g(r, d);
    }

    /// Writes `v` as the store's fuel left (through the context's store pointer).
    fn fuel_store(&mut self, v: Ref) {
        let g = self.gpr(v, RCX);
        dynasm!(self.ops ; .arch x64
            ; mov rax, [rbx + OFF_STORE]
            ; mov [rax + OFF_FUEL], Rq(g)
        );
    }

    /// `a - aux`. An amount too large to appear raw under blinding is subtracted in
    /// pieces that may (amounts are small: see `fuel::RUN_CAP`).
    fn fuel_sub(&mut self, r: Ref, ins: &Ins) {
        let d = self.dst_g(r);
        let a = self.gpr(ins.a, RCX);
        self.mov_g(d, a, true);
        let amount = ins.aux as i64;
        let piece = if self.blinded(amount as u64) {
            0x7fff
        } else {
            i64::from(i32::MAX)
        };
        let mut left = amount;
        while left != 0 {
            let n = left.clamp(-piece, piece);
            dynasm!(self.ops ; .arch x64 ; sub Rq(d), n as i32);
            left -= n;
        }
        self.finish_g(r, d);
    }

    /// Jumps to the exit of the guard at `r` when the flags say `cc` (an x86 condition).
    fn exit_if(&mut self, r: Ref, cc: Jcc) {
        let k = self.snap_of[r.idx()];
        if k == usize::MAX {
            return;
        }
        let l = self.exits[k];
        self.jcc(cc, l);
        // Every `jcc` to a label is the 6-byte rel32 form: patchable to a side trace.
        let at = self.ops.offset().0 as u32 - 6;
        self.out.exit_sites[k].push(at);
    }

    fn jcc(&mut self, cc: Jcc, l: DynamicLabel) {
        match cc {
            Jcc::E => dynasm!(self.ops ; .arch x64 ; je =>l),
            Jcc::Ne => dynasm!(self.ops ; .arch x64 ; jne =>l),
            Jcc::L => dynasm!(self.ops ; .arch x64 ; jl =>l),
            Jcc::Le => dynasm!(self.ops ; .arch x64 ; jle =>l),
            Jcc::G => dynasm!(self.ops ; .arch x64 ; jg =>l),
            Jcc::Ge => dynasm!(self.ops ; .arch x64 ; jge =>l),
            Jcc::B => dynasm!(self.ops ; .arch x64 ; jb =>l),
            Jcc::Be => dynasm!(self.ops ; .arch x64 ; jbe =>l),
            Jcc::A => dynasm!(self.ops ; .arch x64 ; ja =>l),
            Jcc::Ae => dynasm!(self.ops ; .arch x64 ; jae =>l),
            Jcc::P => dynasm!(self.ops ; .arch x64 ; jp =>l),
            Jcc::Np => dynasm!(self.ops ; .arch x64 ; jnp =>l),
        }
    }

    fn setcc(&mut self, cc: Jcc, reg: u8) {
        match cc {
            Jcc::E => dynasm!(self.ops ; .arch x64 ; sete Rb(reg)),
            Jcc::Ne => dynasm!(self.ops ; .arch x64 ; setne Rb(reg)),
            Jcc::L => dynasm!(self.ops ; .arch x64 ; setl Rb(reg)),
            Jcc::Le => dynasm!(self.ops ; .arch x64 ; setle Rb(reg)),
            Jcc::G => dynasm!(self.ops ; .arch x64 ; setg Rb(reg)),
            Jcc::Ge => dynasm!(self.ops ; .arch x64 ; setge Rb(reg)),
            Jcc::B => dynasm!(self.ops ; .arch x64 ; setb Rb(reg)),
            Jcc::Be => dynasm!(self.ops ; .arch x64 ; setbe Rb(reg)),
            Jcc::A => dynasm!(self.ops ; .arch x64 ; seta Rb(reg)),
            Jcc::Ae => dynasm!(self.ops ; .arch x64 ; setae Rb(reg)),
            Jcc::P => dynasm!(self.ops ; .arch x64 ; setp Rb(reg)),
            Jcc::Np => dynasm!(self.ops ; .arch x64 ; setnp Rb(reg)),
        }
    }

    /// Sets the flags as `x & y` does, without keeping the result (a constant is on the
    /// right: the IR puts commutative operands in that order).
    fn test(&mut self, x: Ref, y: Ref, wide: bool) {
        let ty = self.ins(x).ty;
        let rx = self.gpr(x, RAX);
        match self.konst(y).and_then(|k| self.imm(k, ty)) {
            Some(k) if wide => dynasm!(self.ops ; .arch x64 ; test Rq(rx), k),
            Some(k) => dynasm!(self.ops ; .arch x64 ; test Rd(rx), k),
            None => {
                let ry = self.gpr(y, RCX);
                if wide {
                    dynasm!(self.ops ; .arch x64 ; test Rq(rx), Rq(ry));
                } else {
                    dynasm!(self.ops ; .arch x64 ; test Rd(rx), Rd(ry));
                }
            }
        }
    }

    /// Compares `a` with `b` (of type `ty`) and returns how to read condition `c` from
    /// the flags: one x86 condition, or for float equality two.
    fn compare(&mut self, c: Cond, a: Ref, b: Ref) -> Flags {
        let ty = self.ins(a).ty;
        if ty.is_float() {
            // Conditions on `b` and `a` swapped use `a > b`-style unsigned flags.
            let (x, y, cc) = match c {
                Cond::FGt => (a, b, Jcc::A),
                Cond::FGe => (a, b, Jcc::Ae),
                Cond::FLt => (b, a, Jcc::A),
                Cond::FLe => (b, a, Jcc::Ae),
                Cond::FNotGt => (a, b, Jcc::Be),
                Cond::FNotGe => (a, b, Jcc::B),
                Cond::FNotLt => (b, a, Jcc::Be),
                Cond::FNotLe => (b, a, Jcc::B),
                Cond::FEq | Cond::Eq => (a, b, Jcc::E),
                _ => (a, b, Jcc::Ne),
            };
            let rx = self.fpr(x, XS0);
            let ry = self.fpr(y, XS1);
            if ty == Ty::F32 {
                dynasm!(self.ops ; .arch x64 ; ucomiss Rx(rx), Rx(ry));
            } else {
                dynasm!(self.ops ; .arch x64 ; ucomisd Rx(rx), Rx(ry));
            }
            return match c {
                Cond::FEq | Cond::Eq => Flags::FEq,
                Cond::FNe | Cond::Ne => Flags::FNe,
                _ => Flags::One(cc),
            };
        }
        let wide = ty == Ty::I64;
        if self.alloc.fused[a.idx()] {
            // `x & y` compared with 0 (see `X64::fuses`): the zero flag of a `test`.
            self.test(self.ins(a).a, self.ins(a).b, wide);
            return Flags::One(if c == Cond::Eq { Jcc::E } else { Jcc::Ne });
        }
        let ra = self.gpr(a, RAX);
        let flagged = self.zero_flag == Some((self.ops.offset().0, ra, wide));
        match self.konst(b).and_then(|k| self.imm(k, ty)) {
            // The zero flag is already `ra`'s.
            Some(0) if flagged && matches!(c, Cond::Eq | Cond::Ne) => {}
            // The same flags as `cmp` with 0, one byte shorter.
            Some(0) if wide => dynasm!(self.ops ; .arch x64 ; test Rq(ra), Rq(ra)),
            Some(0) => dynasm!(self.ops ; .arch x64 ; test Rd(ra), Rd(ra)),
            Some(k) => {
                if wide {
                    dynasm!(self.ops ; .arch x64 ; cmp Rq(ra), k);
                } else {
                    dynasm!(self.ops ; .arch x64 ; cmp Rd(ra), k);
                }
            }
            None => {
                let rb = self.operand(b, RCX);
                reg_src!(self, cmp, wide, ra, rb);
            }
        }
        Flags::One(match c {
            Cond::Eq => Jcc::E,
            Cond::Ne => Jcc::Ne,
            Cond::LtS => Jcc::L,
            Cond::LtU => Jcc::B,
            Cond::LeS => Jcc::Le,
            Cond::LeU => Jcc::Be,
            Cond::GtS => Jcc::G,
            Cond::GtU => Jcc::A,
            Cond::GeS => Jcc::Ge,
            _ => Jcc::Ae,
        })
    }

    fn emit(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        match ins.op {
            Op::K | Op::Nop | Op::Phi | Op::Loop | Op::Parent | Op::LinkArg => {}
            Op::Exit => {
                let l = self.exits[self.snap_of[r.idx()]];
                dynasm!(self.ops ; .arch x64 ; jmp =>l);
            }
            Op::Link => self.link(r, ins.aux),
            Op::Native => {
                dynasm!(self.ops ; .arch x64 ; cmp DWORD [rbx + OFF_DEPTH], 0);
                self.exit_if(r, Jcc::E);
            }
            Op::Ret => dynasm!(self.ops ; .arch x64 ; mov eax, RETURNED as i32 ; ret),
            Op::CallCheck => self.call_check(r, ins.aux),
            Op::CallTrace => self.call_trace(r, ins.aux),
            Op::CallAny => self.call_any(r, ins),
            Op::Switch => self.switch(r, ins),
            Op::Sload if ins.aux == u64::from(FUEL_SLOT) => self.fuel_load(r),
            Op::Sload | Op::SlotLoad => self.slot_load(r, ins),
            Op::SlotStore => self.slot_store(ins),
            Op::Add | Op::Sub | Op::Mul if ty.is_float() => self.fbin(r, ins),
            Op::FDiv => self.fbin(r, ins),
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
                let at = ins.aux as i64;
                dynasm!(self.ops ; .arch x64
                    ; mov rax, QWORD at
                    ; mov rax, [rax]
                    ; cmp rax, [rbx + OFF_DEADLINE]
                );
                self.exit_if(r, Jcc::Ae);
            }
            Op::FuelLoad => self.fuel_load(r),
            Op::FuelStore => self.fuel_store(ins.a),
            Op::FuelSub => self.fuel_sub(r, ins),
            Op::Count => {
                // The address is the store's own (a profile counter), not the module's:
                // nothing to blind.
                let at = ins.aux as i64;
                dynasm!(self.ops ; .arch x64 ; mov rax, QWORD at ; add QWORD [rax], 1);
            }
            Op::MemSize => {
                let d = self.dst_g(r);
                dynasm!(self.ops ; .arch x64 ; mov Rq(d), [rbx + OFF_MEM_LEN] ; shr Rq(d), 16);
                self.finish_g(r, d);
            }
            Op::Call if ins.aux == Helper::TableGet as u64 => self.table0_get(r, ins),
            Op::Call => self.call(r, ins, ins.aux & 0xffff, ins.aux >> 32),
            Op::Bitcast => match (self.ins(ins.a).ty, ty) {
                (_, Ty::F32 | Ty::F64) => {
                    let a = self.gpr(ins.a, RCX);
                    let d = self.dst_f(r);
                    dynasm!(self.ops ; .arch x64 ; movq Rx(d), Rq(a));
                    self.finish_f(r, d);
                }
                _ => {
                    let a = self.fpr(ins.a, XS1);
                    let d = self.dst_g(r);
                    if ty == Ty::I32 {
                        dynasm!(self.ops ; .arch x64 ; movd Rd(d), Rx(a));
                    } else {
                        dynasm!(self.ops ; .arch x64 ; movq Rq(d), Rx(a));
                    }
                    self.finish_g(r, d);
                }
            },
            Op::Convert if ins.aux == 0 || self.ins(ins.a).ty == Ty::I32 => {
                self.convert_signed(r, ins)
            }
            Op::Promote | Op::Demote => self.promote_demote(r, ins),
            Op::FSqrt => self.fsqrt(r, ins),
            Op::FAbs | Op::FNeg => self.fsign(r, ins),
            Op::FFloor | Op::FCeil | Op::FTrunc | Op::FNearest if self.feat.sse41 => {
                self.fround(r, ins)
            }
            Op::FCopysign => self.fcopysign(r, ins),
            Op::TruncOk => self.trunc_ok(r, ins),
            Op::Convert => self.convert_u64(r, ins),
            Op::Trunc if ins.aux == 1 && ty == Ty::I64 => self.trunc_u64(r, ins),
            Op::Trunc if !(ins.aux == 1 && ty == Ty::I64) => self.trunc(r, ins),
            _ => self.eval(r, ins),
        }
    }

    /// A value read from a slot of the value stack.
    fn slot_load(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        if self.loc(r) == Loc::None {
            return;
        }
        let off = 8 * ins.aux as i32;
        if ty.is_float() {
            let d = self.dst_f(r);
            self.load_slot(Loc::Fpr(d), ty, off);
            self.finish_f(r, d);
        } else {
            let d = self.dst_g(r);
            self.load_slot(Loc::Gpr(d), ty, off);
            self.finish_g(r, d);
        }
    }

    /// Loads the slot at `off` from the slot pointer, of type `ty`, into register `d`.
    fn load_slot(&mut self, d: Loc, ty: Ty, off: i32) {
        match (d, ty) {
            (Loc::Fpr(x), Ty::F32) => {
                dynasm!(self.ops ; .arch x64 ; movss Rx(x), DWORD [r14 + off])
            }
            (Loc::Fpr(x), _) => dynasm!(self.ops ; .arch x64 ; movsd Rx(x), QWORD [r14 + off]),
            (Loc::Gpr(g), Ty::I64) => dynasm!(self.ops ; .arch x64 ; mov Rq(g), [r14 + off]),
            (Loc::Gpr(g), _) => dynasm!(self.ops ; .arch x64 ; mov Rd(g), [r14 + off]),
            // Entry registers and `dst_g`/`dst_f` are registers.
            (Loc::Spill(_) | Loc::None, _) => debug_assert!(false, "a slot loads into a register"),
        }
    }

    /// Writes a value into a slot of the value stack.
    fn slot_store(&mut self, ins: &Ins) {
        self.store_slot(ins.a, 8 * ins.aux as i32);
    }

    /// Writes value `v` into the slot at `off` (an f64 straight from its register, an
    /// f32 as its bits zero-extended).
    fn store_slot(&mut self, v: Ref, off: i32) {
        let ty = self.ins(v).ty;
        if let (Ty::F64, Loc::Fpr(x), None) = (ty, self.loc(v), self.konst(v)) {
            return dynasm!(self.ops ; .arch x64 ; movsd QWORD [r14 + off], Rx(x));
        }
        // A constant whose 64 bits are its 32-bit immediate sign-extended.
        if let Some(k) = self.konst(v).and_then(|k| self.disp(k)) {
            return dynasm!(self.ops ; .arch x64 ; mov QWORD [r14 + off], k);
        }
        let mut g = self.gpr(v, RAX);
        if ty == Ty::F32 {
            dynasm!(self.ops ; .arch x64 ; mov eax, Rd(g));
            g = RAX;
        }
        dynasm!(self.ops ; .arch x64 ; mov [r14 + off], Rq(g));
    }

    /// Leading or trailing zeros, or set bits, where the CPU has the instruction.
    fn count_bits(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        let wide = ty == Ty::I64;
        let ok = match ins.op {
            Op::Clz => self.feat.lzcnt,
            Op::Ctz => self.feat.tzcnt,
            _ => self.feat.popcnt,
        };
        if !ok {
            return self.eval(r, ins);
        }
        let a = self.gpr(ins.a, RCX);
        let d = self.dst_g(r);
        match (ins.op, wide) {
            (Op::Clz, true) => dynasm!(self.ops ; .arch x64 ; lzcnt Rq(d), Rq(a)),
            (Op::Clz, false) => dynasm!(self.ops ; .arch x64 ; lzcnt Rd(d), Rd(a)),
            (Op::Ctz, true) => dynasm!(self.ops ; .arch x64 ; tzcnt Rq(d), Rq(a)),
            (Op::Ctz, false) => dynasm!(self.ops ; .arch x64 ; tzcnt Rd(d), Rd(a)),
            (_, true) => dynasm!(self.ops ; .arch x64 ; popcnt Rq(d), Rq(a)),
            (_, false) => dynasm!(self.ops ; .arch x64 ; popcnt Rd(d), Rd(a)),
        }
        self.finish_g(r, d);
    }

    /// Sign or zero extension, and wrapping to 32 bits.
    fn extend(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        let wide = ty == Ty::I64;
        let a = self.gpr(ins.a, RCX);
        let d = self.dst_g(r);
        match (ins.op, wide) {
            (Op::Ext8, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rb(a)),
            (Op::Ext8, false) => dynasm!(self.ops ; .arch x64 ; movsx Rd(d), Rb(a)),
            (Op::Ext16, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rw(a)),
            (Op::Ext16, false) => dynasm!(self.ops ; .arch x64 ; movsx Rd(d), Rw(a)),
            (Op::Ext32 | Op::ExtS, _) => {
                dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), Rd(a))
            }
            _ => dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(a)),
        }
        self.finish_g(r, d);
    }

    /// Exits unless the guard's comparison holds.
    fn guard(&mut self, r: Ref, ins: &Ins) {
        let flags = self.compare(ins.cond(), ins.a, ins.b);
        let closing = self.closing == Some(r.idx());
        match flags {
            Flags::One(cc) if closing => {
                let k = self.snap_of[r.idx()];
                self.parallel_move(moves::phi_moves(self.ir, self.alloc));
                self.jcc(cc, self.loop_label);
                dynasm!(self.ops ; .arch x64 ; jmp =>self.exits[k]);
                // The exit's jump is patchable like a branch (the 5-byte rel32 form).
                let at = self.ops.offset().0 as u32 - 5;
                self.out.exit_sites[k].push(at);
                return;
            }
            Flags::One(cc) => self.exit_if(r, cc.negate()),
            // Exit unless (ZF && !PF).
            Flags::FEq => {
                self.exit_if(r, Jcc::Ne);
                self.exit_if(r, Jcc::P);
            }
            // Exit if (ZF && !PF).
            Flags::FNe => {
                let skip = self.ops.new_dynamic_label();
                dynasm!(self.ops ; .arch x64 ; jp =>skip);
                self.exit_if(r, Jcc::E);
                dynasm!(self.ops ; .arch x64 ; =>skip);
            }
        }
        if closing {
            self.parallel_move(moves::phi_moves(self.ir, self.alloc));
            dynasm!(self.ops ; .arch x64 ; jmp =>self.loop_label);
        }
    }

    /// Exits unless the access at `a` up to `aux` bytes past it is inside memory.
    fn bound(&mut self, r: Ref, ins: &Ins) {
        // A constant address: memory's length against the end as an immediate.
        let end = self.konst(ins.a).and_then(|k| self.disp(k + ins.aux));
        if let Some(end) = end {
            dynasm!(self.ops ; .arch x64 ; cmp QWORD [rbx + OFF_MEM_LEN], end);
            return self.exit_if(r, Jcc::B);
        }
        let a = self.gpr(ins.a, RCX);
        match self.disp(ins.aux) {
            Some(end) => dynasm!(self.ops ; .arch x64 ; lea rax, [Rq(a) + end]),
            None => {
                self.mov_imm(RAX, ins.aux);
                dynasm!(self.ops ; .arch x64 ; add rax, Rq(a));
            }
        }
        dynasm!(self.ops ; .arch x64 ; cmp rax, [rbx + OFF_MEM_LEN]);
        self.exit_if(r, Jcc::A);
    }

    /// Reads or writes a global through the context's globals pointer.
    fn global(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        let off = (ins.aux as usize * std::mem::size_of::<GlobalEntity>()
            + offset_of!(GlobalEntity, value)) as i64;
        let Ok(off) = i32::try_from(off) else {
            // Unreachable in practice (that many globals); read through a helper-free
            // 64-bit address computation.
            return;
        };
        if ins.op == Op::GStore {
            let v = self.gpr(ins.a, RCX);
            dynasm!(self.ops ; .arch x64 ; mov rax, [rbx + OFF_GLOBALS] ; mov [rax + off], Rq(v));
            return;
        }
        if self.loc(r) == Loc::None {
            return;
        }
        dynasm!(self.ops ; .arch x64 ; mov rax, [rbx + OFF_GLOBALS]);
        if ty.is_float() {
            let d = self.dst_f(r);
            dynasm!(self.ops ; .arch x64 ; movsd Rx(d), QWORD [rax + off]);
            self.finish_f(r, d);
        } else {
            let d = self.dst_g(r);
            dynasm!(self.ops ; .arch x64 ; mov Rq(d), [rax + off]);
            self.finish_g(r, d);
        }
    }

    /// A signed integer (or unsigned i32) to float.
    fn convert_signed(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        let from = self.ins(ins.a).ty;
        let a = self.gpr(ins.a, RCX);
        let d = self.dst_f(r);
        self.clear_f(d, None);
        // Unsigned i32 is converted as the zero-extended (non-negative) i64.
        match (from == Ty::I32 && ins.aux == 0, ty) {
            (true, Ty::F32) => dynasm!(self.ops ; .arch x64 ; cvtsi2ss Rx(d), Rd(a)),
            (true, _) => dynasm!(self.ops ; .arch x64 ; cvtsi2sd Rx(d), Rd(a)),
            (false, Ty::F32) => dynasm!(self.ops ; .arch x64 ; cvtsi2ss Rx(d), Rq(a)),
            (false, _) => dynasm!(self.ops ; .arch x64 ; cvtsi2sd Rx(d), Rq(a)),
        }
        self.finish_f(r, d);
    }

    /// f32 to f64 and back.
    fn promote_demote(&mut self, r: Ref, ins: &Ins) {
        let a = self.fpr(ins.a, XS1);
        let d = self.dst_f(r);
        self.clear_f(d, Some(a));
        if ins.op == Op::Promote {
            dynasm!(self.ops ; .arch x64 ; cvtss2sd Rx(d), Rx(a));
        } else {
            dynasm!(self.ops ; .arch x64 ; cvtsd2ss Rx(d), Rx(a));
        }
        self.finish_f(r, d);
    }

    /// Square root.
    fn fsqrt(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        let a = self.fpr(ins.a, XS1);
        let d = self.dst_f(r);
        // AVX's form takes the upper lanes from `a` too: no dependency on `d`.
        match (self.feat.avx, ty == Ty::F32) {
            (true, true) => dynasm!(self.ops ; .arch x64 ; vsqrtss Rx(d), Rx(a), Rx(a)),
            (true, false) => dynasm!(self.ops ; .arch x64 ; vsqrtsd Rx(d), Rx(a), Rx(a)),
            (false, f32) => {
                self.clear_f(d, Some(a));
                if f32 {
                    dynasm!(self.ops ; .arch x64 ; sqrtss Rx(d), Rx(a));
                } else {
                    dynasm!(self.ops ; .arch x64 ; sqrtsd Rx(d), Rx(a));
                }
            }
        }
        self.finish_f(r, d);
    }

    /// Absolute value and negation, on the sign bit: `and` or `xor` with a mask from the
    /// constant pool, without leaving the vector registers.
    fn fsign(&mut self, r: Ref, ins: &Ins) {
        let sign = if ins.ty == Ty::F32 { 1 << 31 } else { 1 << 63 };
        let abs = ins.op == Op::FAbs;
        let l = self.constant(if abs { sign - 1 } else { sign });
        let a = self.fpr(ins.a, XS0);
        let d = self.dst_f(r);
        dynasm!(self.ops ; .arch x64 ; movsd Rx(XS1), QWORD [=>l]);
        match (self.feat.avx, abs) {
            (true, true) => dynasm!(self.ops ; .arch x64 ; vandpd Rx(d), Rx(a), Rx(XS1)),
            (true, false) => dynasm!(self.ops ; .arch x64 ; vxorpd Rx(d), Rx(a), Rx(XS1)),
            (false, _) => {
                self.mov_f(d, a);
                if abs {
                    dynasm!(self.ops ; .arch x64 ; andpd Rx(d), Rx(XS1));
                } else {
                    dynasm!(self.ops ; .arch x64 ; xorpd Rx(d), Rx(XS1));
                }
            }
        }
        self.finish_f(r, d);
    }

    /// Rounding to an integral value with SSE4.1.
    fn fround(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        // roundss/roundsd with the rounding mode in the immediate (bit 3: no
        // precision exception); NaNs come back quieted, as the spec asks.
        let mode: i8 = match ins.op {
            Op::FNearest => 8,
            Op::FFloor => 9,
            Op::FCeil => 10,
            _ => 11,
        };
        let a = self.fpr(ins.a, XS1);
        let d = self.dst_f(r);
        self.clear_f(d, Some(a));
        if ty == Ty::F32 {
            dynasm!(self.ops ; .arch x64 ; roundss Rx(d), Rx(a), mode);
        } else {
            dynasm!(self.ops ; .arch x64 ; roundsd Rx(d), Rx(a), mode);
        }
        self.finish_f(r, d);
    }

    /// The first operand with the second one's sign.
    fn fcopysign(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        let b = self.gpr(ins.b, RCX);
        self.mov_g(RCX, b, true);
        let a = self.gpr(ins.a, RAX);
        self.mov_g(RAX, a, true);
        if ty == Ty::F32 {
            dynasm!(self.ops ; .arch x64
                ; and ecx, 0x8000_0000u32 as i32
                ; btr eax, BYTE 31
                ; or eax, ecx);
        } else {
            dynasm!(self.ops ; .arch x64
                ; shr rcx, 63
                ; shl rcx, 63
                ; btr rax, BYTE 63
                ; or rax, rcx);
        }
        let d = self.dst_f(r);
        dynasm!(self.ops ; .arch x64 ; movq Rx(d), rax);
        self.finish_f(r, d);
    }

    /// An unsigned i64 to float.
    fn convert_u64(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        // u64 to float: directly when it fits i64, else halve with the low bit
        // kept sticky, convert, and double (correctly rounded).
        let a = self.gpr(ins.a, RAX);
        self.mov_g(RAX, a, true);
        let d = self.dst_f(r);
        self.clear_f(d, None);
        let (big, done) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        dynasm!(self.ops ; .arch x64 ; test rax, rax ; js =>big);
        if ty == Ty::F32 {
            dynasm!(self.ops ; .arch x64
                ; cvtsi2ss Rx(d), rax ; jmp =>done
                ; =>big
                ; mov rcx, rax ; shr rcx, 1 ; and eax, 1 ; or rcx, rax
                ; cvtsi2ss Rx(d), rcx ; addss Rx(d), Rx(d)
                ; =>done);
        } else {
            dynasm!(self.ops ; .arch x64
                ; cvtsi2sd Rx(d), rax ; jmp =>done
                ; =>big
                ; mov rcx, rax ; shr rcx, 1 ; and eax, 1 ; or rcx, rax
                ; cvtsi2sd Rx(d), rcx ; addsd Rx(d), Rx(d)
                ; =>done);
        }
        self.finish_f(r, d);
    }

    /// An in-range float to u64.
    fn trunc_u64(&mut self, r: Ref, ins: &Ins) {
        // In-range float to u64: directly below 2^63, else subtract 2^63 first and
        // set the top bit.
        let f32 = self.ins(ins.a).ty == Ty::F32;
        let a = self.fpr(ins.a, XS0);
        self.mov_f(XS0, a);
        let two63 = if f32 {
            u64::from(9223372036854775808f32.to_bits())
        } else {
            9223372036854775808f64.to_bits()
        };
        self.mov_imm(RAX, two63);
        dynasm!(self.ops ; .arch x64 ; movq Rx(XS1), rax);
        let d = self.dst_g(r);
        let (big, done) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        if f32 {
            dynasm!(self.ops ; .arch x64
                ; ucomiss Rx(XS0), Rx(XS1) ; jae =>big
                ; cvttss2si Rq(d), Rx(XS0) ; jmp =>done
                ; =>big
                ; subss Rx(XS0), Rx(XS1) ; cvttss2si Rq(d), Rx(XS0) ; btc Rq(d), BYTE 63
                ; =>done);
        } else {
            dynasm!(self.ops ; .arch x64
                ; ucomisd Rx(XS0), Rx(XS1) ; jae =>big
                ; cvttsd2si Rq(d), Rx(XS0) ; jmp =>done
                ; =>big
                ; subsd Rx(XS0), Rx(XS1) ; cvttsd2si Rq(d), Rx(XS0) ; btc Rq(d), BYTE 63
                ; =>done);
        }
        self.finish_g(r, d);
    }

    /// An in-range float to i32, u32 or i64.
    fn trunc(&mut self, r: Ref, ins: &Ins) {
        let ty = ins.ty;
        let f32 = self.ins(ins.a).ty == Ty::F32;
        let a = self.fpr(ins.a, XS1);
        let d = self.dst_g(r);
        // Signed i32 converts directly; unsigned i32 (in [0, 2^32)) through i64.
        match (ty == Ty::I64 || ins.aux == 1, f32) {
            (true, true) => dynasm!(self.ops ; .arch x64 ; cvttss2si Rq(d), Rx(a)),
            (true, false) => dynasm!(self.ops ; .arch x64 ; cvttsd2si Rq(d), Rx(a)),
            (false, true) => dynasm!(self.ops ; .arch x64 ; cvttss2si Rd(d), Rx(a)),
            (false, false) => dynasm!(self.ops ; .arch x64 ; cvttsd2si Rd(d), Rx(a)),
        }
        if ty == Ty::I32 && ins.aux == 1 {
            dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(d));
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
        let a = self.fpr(ins.a, XS0);
        for (x, y, bound) in [(a, XS1, lo), (XS1, a, hi)] {
            let l = self.constant(bits(bound));
            dynasm!(self.ops ; .arch x64 ; movsd Rx(XS1), QWORD [=>l]);
            // `x > y` is "above"; unordered sets CF and ZF, so NaN exits too.
            if f32 {
                dynasm!(self.ops ; .arch x64 ; ucomiss Rx(x), Rx(y));
            } else {
                dynasm!(self.ops ; .arch x64 ; ucomisd Rx(x), Rx(y));
            }
            self.exit_if(r, Jcc::Be);
        }
    }

    /// `d = a cond b` as 0 or 1. An integer compare sets `rdx`, zeroed before it (and
    /// left alone by `compare` for integers): no `movzx` on the result's path, which is
    /// often an address's. A float compare (whose blinded constants go through `rdx`)
    /// sets `al` and zero-extends it, which measured faster there than zeroing `rax`.
    fn cmp(&mut self, r: Ref, ins: &Ins) {
        let d = self.dst_g(r);
        if self.ins(ins.a).ty.is_float() {
            match self.compare(ins.cond(), ins.a, ins.b) {
                Flags::One(cc) => self.setcc(cc, RAX),
                Flags::FEq => dynasm!(self.ops ; .arch x64 ; sete al ; setnp cl ; and al, cl),
                Flags::FNe => dynasm!(self.ops ; .arch x64 ; setne al ; setp cl ; or al, cl),
            }
            dynasm!(self.ops ; .arch x64 ; movzx Rd(d), al);
        } else {
            // Zeroed before the comparison (`xor` sets flags): `d` itself, unless it
            // holds an operand or is the comparison's scratch `rax`.
            let z = if d == RAX || self.in_reg(ins.a, d) || self.in_reg(ins.b, d) {
                RDX
            } else {
                d
            };
            dynasm!(self.ops ; .arch x64 ; xor Rd(z), Rd(z));
            if let Flags::One(cc) = self.compare(ins.cond(), ins.a, ins.b) {
                self.setcc(cc, z);
            }
            self.mov_g(d, z, false);
        }
        self.finish_g(r, d);
    }

    /// Integer add, sub, and, or, xor, mul: `d = a op b`.
    fn alu(&mut self, r: Ref, ins: &Ins) {
        let wide = ins.ty == Ty::I64;
        let d = self.dst_g(r);
        if self.alloc.fused[ins.b.idx()] || self.alloc.fused[ins.a.idx()] {
            return self.lea(r, ins, d);
        }
        let kb = self.konst(ins.b).and_then(|k| self.imm(k, ins.ty));
        if let Some(k) = kb {
            self.alu_imm(ins, d, k);
            self.finish_g(r, d);
            return;
        }
        let (mut a, mut b) = (ins.a, ins.b);
        if ins.op.has(crate::jit::ir::flag::COMM) && self.in_reg(b, d) && !self.in_reg(a, d) {
            std::mem::swap(&mut a, &mut b);
        }
        // `d = a op b` from `d = a`; a `b` in `d`, which that would overwrite, first goes to
        // scratch, but `d = a - d` is `-d + a`.
        let b_in_d = self.in_reg(b, d) && !self.in_reg(a, d);
        let (op, src) = if b_in_d && ins.op == Op::Sub {
            if wide {
                dynasm!(self.ops ; .arch x64 ; neg Rq(d));
            } else {
                dynasm!(self.ops ; .arch x64 ; neg Rd(d));
            }
            (Op::Add, self.operand(a, RCX))
        } else {
            let src = if b_in_d {
                self.mov_g(RCX, d, true);
                GSrc::Reg(RCX)
            } else {
                self.operand(b, RCX)
            };
            let ra = self.gpr(a, d);
            self.mov_g(d, ra, wide);
            (ins.op, src)
        };
        match op {
            Op::Add => reg_src!(self, add, wide, d, src),
            Op::Sub => reg_src!(self, sub, wide, d, src),
            Op::And => reg_src!(self, and, wide, d, src),
            Op::Or => reg_src!(self, or, wide, d, src),
            Op::Xor => reg_src!(self, xor, wide, d, src),
            _ => reg_src!(self, imul, wide, d, src),
        }
        if op != Op::Mul {
            self.zero_flag = Some((self.ops.offset().0, d, wide));
        }
        self.finish_g(r, d);
    }

    /// `d = a op k` for an immediate `k`: `imul` and `lea` take `a` where it is, the
    /// others start from `d = a` (loaded straight into `d` when spilled or constant).
    fn alu_imm(&mut self, ins: &Ins, d: u8, k: i32) {
        let wide = ins.ty == Ty::I64;
        let a = self.gpr(ins.a, d);
        match (ins.op, wide) {
            (Op::Mul, true) => return dynasm!(self.ops ; .arch x64 ; imul Rq(d), Rq(a), k),
            (Op::Mul, false) => return dynasm!(self.ops ; .arch x64 ; imul Rd(d), Rd(a), k),
            (Op::Add, true) if a != d => {
                return dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(a) + k]);
            }
            (Op::Add, false) if a != d => {
                return dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(a) + k]);
            }
            _ => {}
        }
        self.mov_g(d, a, wide);
        match ins.op {
            Op::Add => reg_imm!(self, add, wide, d, k),
            Op::Sub => reg_imm!(self, sub, wide, d, k),
            Op::And => reg_imm!(self, and, wide, d, k),
            Op::Or => reg_imm!(self, or, wide, d, k),
            _ => reg_imm!(self, xor, wide, d, k),
        }
        self.zero_flag = Some((self.ops.offset().0, d, wide));
    }

    /// `d = a + (index << k)` as one `lea` (see [`Arch::fuses`]), with a constant `a`
    /// as its displacement; a 32-bit `lea` wraps and zero-extends as `i32.add` does.
    fn lea(&mut self, r: Ref, ins: &Ins, d: u8) {
        let (a, shl) = if self.alloc.fused[ins.b.idx()] {
            (ins.a, ins.b)
        } else {
            (ins.b, ins.a)
        };
        let (index, k) = scaled_index(self.ir, self.ins(shl)).expect("fused by `fuses`");
        let x = self.gpr(index, RDX);
        let wide = ins.ty == Ty::I64;
        // The base: a register, or a constant as the displacement.
        let base = match self.konst(a).and_then(|v| self.imm(v, ins.ty)) {
            Some(disp) => Err(disp),
            None => Ok(self.gpr(a, RCX)),
        };
        macro_rules! lea {
            ($scale:tt) => {
                match (base, wide) {
                    (Ok(a), true) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(a) + Rq(x) * $scale]),
                    (Ok(a), false) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(a) + Rq(x) * $scale]),
                    (Err(k), true) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(x) * $scale + k]),
                    (Err(k), false) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(x) * $scale + k]),
                }
            };
        }
        match k {
            1 => lea!(2),
            2 => lea!(4),
            _ => lea!(8),
        }
        self.finish_g(r, d);
    }

    fn shift(&mut self, r: Ref, ins: &Ins) {
        let wide = ins.ty == Ty::I64;
        let d = self.dst_g(r);
        if let Some(k) = self.konst(ins.b) {
            let k = (k & if wide { 63 } else { 31 }) as i8;
            let a = self.gpr(ins.a, d);
            self.mov_g(d, a, wide);
            match ins.op {
                Op::Shl => reg_imm!(self, shl, wide, d, k),
                Op::ShrS => reg_imm!(self, sar, wide, d, k),
                Op::ShrU => reg_imm!(self, shr, wide, d, k),
                Op::Rotl => reg_imm!(self, rol, wide, d, k),
                _ => reg_imm!(self, ror, wide, d, k),
            }
            self.finish_g(r, d);
            return;
        }
        // The count in `cl` first: `d` may hold it.
        let b = self.gpr(ins.b, RCX);
        self.mov_g(RCX, b, true);
        let a = self.gpr(ins.a, d);
        self.mov_g(d, a, wide);
        macro_rules! sh_cl {
            ($mn:ident) => {
                if wide {
                    dynasm!(self.ops ; .arch x64 ; $mn Rq(d), cl)
                } else {
                    dynasm!(self.ops ; .arch x64 ; $mn Rd(d), cl)
                }
            };
        }
        match ins.op {
            Op::Shl => sh_cl!(shl),
            Op::ShrS => sh_cl!(sar),
            Op::ShrU => sh_cl!(shr),
            Op::Rotl => sh_cl!(rol),
            _ => sh_cl!(ror),
        }
        self.finish_g(r, d);
    }

    /// Division and remainder (their traps were guarded before).
    fn div(&mut self, r: Ref, ins: &Ins) {
        let wide = ins.ty == Ty::I64;
        // The divisor where it is (a register or spill slot), or in `rcx` (`MIN % -1`'s
        // test below has no form for the pool: its immediate follows the displacement).
        let b = match self.operand(ins.b, RCX) {
            GSrc::KPool(_) => GSrc::Reg(self.gpr(ins.b, RCX)),
            b => b,
        };
        let a = self.gpr(ins.a, RAX);
        self.mov_g(RAX, a, wide);
        let done = self.ops.new_dynamic_label();
        let signed = matches!(ins.op, Op::DivS | Op::RemS);
        if ins.op == Op::RemS {
            // `MIN % -1` is 0 in WebAssembly but faults on x86.
            let go = self.ops.new_dynamic_label();
            match (b, wide) {
                (GSrc::Reg(g), true) => dynasm!(self.ops ; .arch x64 ; cmp Rq(g), -1),
                (GSrc::Reg(g), false) => dynasm!(self.ops ; .arch x64 ; cmp Rd(g), -1),
                (GSrc::Spill(o), true) => {
                    dynasm!(self.ops ; .arch x64 ; cmp QWORD [Rq(CTX) + o], -1)
                }
                (GSrc::Spill(o), false) => {
                    dynasm!(self.ops ; .arch x64 ; cmp DWORD [Rq(CTX) + o], -1)
                }
                (GSrc::KPool(_), _) => unreachable!("loaded into a register above"),
            }
            dynasm!(self.ops ; .arch x64 ; jne =>go ; xor edx, edx ; jmp =>done ; =>go);
        }
        match (signed, wide) {
            (true, true) => dynasm!(self.ops ; .arch x64 ; cqo),
            (true, false) => dynasm!(self.ops ; .arch x64 ; cdq),
            (false, _) => dynasm!(self.ops ; .arch x64 ; xor edx, edx),
        }
        if signed {
            rdx_rax!(self, idiv, wide, b);
        } else {
            rdx_rax!(self, div, wide, b);
        }
        dynasm!(self.ops ; .arch x64 ; =>done);
        let src = if matches!(ins.op, Op::RemS | Op::RemU) {
            RDX
        } else {
            RAX
        };
        let d = self.dst_g(r);
        self.mov_g(d, src, wide);
        self.finish_g(r, d);
    }

    /// The high half of `a * b`: one-operand `mul`/`imul` leaves it in `rdx`.
    fn mul_hi(&mut self, r: Ref, ins: &Ins) {
        let wide = ins.ty == Ty::I64;
        let b = self.operand(ins.b, RCX);
        let a = self.gpr(ins.a, RAX);
        self.mov_g(RAX, a, wide);
        if ins.op == Op::MulHiS {
            rdx_rax!(self, imul, wide, b);
        } else {
            rdx_rax!(self, mul, wide, b);
        }
        let d = self.dst_g(r);
        self.mov_g(d, RDX, wide);
        self.finish_g(r, d);
    }

    /// Float add, sub, mul, div: `d = a op b`. With AVX one three-operand instruction;
    /// otherwise `d = a` first, with a commutative operation's operands swapped when `b`
    /// is already in `d`.
    fn fbin(&mut self, r: Ref, ins: &Ins) {
        let f32 = ins.ty == Ty::F32;
        let d = self.dst_f(r);
        // A commutative operation takes its fused load (see `X64::fuses`), else its
        // constant or spilled operand, second.
        let (mut a, mut b) = (ins.a, ins.b);
        let fused = |cg: &Self, r: Ref| cg.fused_load(r).is_some();
        let swap = fused(self, a)
            || (self.mem_src(a).is_some() && self.mem_src(b).is_none() && !fused(self, b));
        if matches!(ins.op, Op::Add | Op::Mul) && swap {
            std::mem::swap(&mut a, &mut b);
        }
        // A fused load's address goes through general registers only.
        let b = match self.fused_load(b) {
            Some(load) => FSrc::Heap(self.addr(load.a, Mem::of_aux(load.aux).1)),
            None => self.fsrc(b, XS1),
        };
        let mut a = self.fpr(a, XS0);
        let mut b = b;
        if !self.feat.avx {
            if b == FSrc::Reg(d) && a != d && matches!(ins.op, Op::Add | Op::Mul) {
                b = FSrc::Reg(a);
                a = d;
            }
            if b == FSrc::Reg(d) && a != d {
                self.mov_f(XS1, d);
                b = FSrc::Reg(XS1);
            }
            self.mov_f(d, a);
        }
        // `b` in a register, in a constant pool or in a spill slot.
        macro_rules! fop {
            ($ss:ident, $sd:ident, $vss:ident, $vsd:ident) => {
                match (self.feat.avx, f32, b) {
                    (true, true, FSrc::Reg(b)) => dynasm!(self.ops ; .arch x64 ; $vss Rx(d), Rx(a), Rx(b)),
                    (true, false, FSrc::Reg(b)) => dynasm!(self.ops ; .arch x64 ; $vsd Rx(d), Rx(a), Rx(b)),
                    (false, true, FSrc::Reg(b)) => dynasm!(self.ops ; .arch x64 ; $ss Rx(d), Rx(b)),
                    (false, false, FSrc::Reg(b)) => dynasm!(self.ops ; .arch x64 ; $sd Rx(d), Rx(b)),
                    (true, true, FSrc::Pool(l)) => dynasm!(self.ops ; .arch x64 ; $vss Rx(d), Rx(a), DWORD [=>l]),
                    (true, false, FSrc::Pool(l)) => dynasm!(self.ops ; .arch x64 ; $vsd Rx(d), Rx(a), QWORD [=>l]),
                    (false, true, FSrc::Pool(l)) => dynasm!(self.ops ; .arch x64 ; $ss Rx(d), DWORD [=>l]),
                    (false, false, FSrc::Pool(l)) => dynasm!(self.ops ; .arch x64 ; $sd Rx(d), QWORD [=>l]),
                    (true, true, FSrc::KPool(at)) => { dynasm!(self.ops ; .arch x64 ; $vss Rx(d), Rx(a), DWORD [rip + 0]); self.data_ref(at) }
                    (true, false, FSrc::KPool(at)) => { dynasm!(self.ops ; .arch x64 ; $vsd Rx(d), Rx(a), QWORD [rip + 0]); self.data_ref(at) }
                    (false, true, FSrc::KPool(at)) => { dynasm!(self.ops ; .arch x64 ; $ss Rx(d), DWORD [rip + 0]); self.data_ref(at) }
                    (false, false, FSrc::KPool(at)) => { dynasm!(self.ops ; .arch x64 ; $sd Rx(d), QWORD [rip + 0]); self.data_ref(at) }
                    (true, true, FSrc::Spill(o)) => dynasm!(self.ops ; .arch x64 ; $vss Rx(d), Rx(a), DWORD [Rq(CTX) + o]),
                    (true, false, FSrc::Spill(o)) => dynasm!(self.ops ; .arch x64 ; $vsd Rx(d), Rx(a), QWORD [Rq(CTX) + o]),
                    (false, true, FSrc::Spill(o)) => dynasm!(self.ops ; .arch x64 ; $ss Rx(d), DWORD [Rq(CTX) + o]),
                    (false, false, FSrc::Spill(o)) => dynasm!(self.ops ; .arch x64 ; $sd Rx(d), QWORD [Rq(CTX) + o]),
                    (true, true, FSrc::Heap(at)) => heap_op!(self, at; [$vss Rx(d), Rx(a), DWORD] []),
                    (true, false, FSrc::Heap(at)) => heap_op!(self, at; [$vsd Rx(d), Rx(a), QWORD] []),
                    (false, true, FSrc::Heap(at)) => heap_op!(self, at; [$ss Rx(d), DWORD] []),
                    (false, false, FSrc::Heap(at)) => heap_op!(self, at; [$sd Rx(d), QWORD] []),
                }
            };
        }
        match ins.op {
            Op::Add => fop!(addss, addsd, vaddss, vaddsd),
            Op::Sub => fop!(subss, subsd, vsubss, vsubsd),
            Op::Mul => fop!(mulss, mulsd, vmulss, vmulsd),
            _ => fop!(divss, divsd, vdivss, vdivsd),
        }
        self.finish_f(r, d);
    }

    /// The load that computes `r` when it is fused into the instruction reading `r`.
    fn fused_load(&self, r: Ref) -> Option<Ins> {
        let ins = *self.ins(r);
        (self.alloc.fused[r.idx()] && ins.op == Op::Load).then_some(ins)
    }

    /// The memory an instruction can read float value `r` from, if it is in memory: an
    /// unblinded constant in the trace's pool, a blinded one in the store's, or a spill
    /// slot.
    fn mem_src(&mut self, r: Ref) -> Option<FSrc> {
        match (self.konst(r), self.loc(r)) {
            (Some(k), _) if !self.blinded(k) => Some(FSrc::Pool(self.constant(k))),
            (Some(k), _) => self.pooled.offset(k).map(FSrc::KPool),
            (None, Loc::Spill(i)) => Some(FSrc::Spill(spill_off(i))),
            _ => None,
        }
    }

    /// A float operand where an instruction can read it: memory ([`Self::mem_src`]), or a
    /// register (`scratch` if it must be loaded).
    fn fsrc(&mut self, r: Ref, scratch: u8) -> FSrc {
        self.mem_src(r)
            .unwrap_or_else(|| FSrc::Reg(self.fpr(r, scratch)))
    }

    fn select(&mut self, r: Ref, ins: &Ins) {
        // Operands first (constant loads may clobber the flags), then test and pick.
        if ins.ty.is_float() {
            let a = self.fpr(ins.a, XS0);
            self.mov_f(XS0, a);
            let b = self.fpr(ins.b, XS1);
            let c = self.gpr(ins.c, RDX);
            let keep = self.ops.new_dynamic_label();
            dynasm!(self.ops ; .arch x64 ; test Rd(c), Rd(c) ; jne =>keep);
            self.mov_f(XS0, b);
            dynasm!(self.ops ; .arch x64 ; =>keep);
            let d = self.dst_f(r);
            self.mov_f(d, XS0);
            self.finish_f(r, d);
        } else if self.alloc.fused[ins.c.idx()] {
            self.select_cmp(r, ins);
        } else {
            // Built in `d` unless `d` holds `b` or the condition.
            let d = self.dst_g(r);
            let t = if self.in_reg(ins.b, d) || self.in_reg(ins.c, d) {
                RAX
            } else {
                d
            };
            let b = self.operand(ins.b, RCX);
            let c = self.gpr(ins.c, RDX);
            let a = self.gpr(ins.a, t);
            self.mov_g(t, a, true);
            dynasm!(self.ops ; .arch x64 ; test Rd(c), Rd(c));
            self.cmov(Jcc::E, t, b);
            self.mov_g(d, t, true);
            self.finish_g(r, d);
        }
    }

    /// An integer select on a comparison fused into it (see [`Arch::fuses`]): `a` in
    /// `rdx`, the comparison (which may use `rax` and `rcx`), then `b` moved over `a`
    /// unless the condition holds. Moves leave the flags alone; nothing between the
    /// comparison and the `cmov` zeroes a register with `xor`.
    fn select_cmp(&mut self, r: Ref, ins: &Ins) {
        let a = self.gpr(ins.a, RDX);
        self.mov_g(RDX, a, true);
        let cmp = *self.ins(ins.c);
        let Flags::One(cc) = self.compare(cmp.cond(), cmp.a, cmp.b) else {
            unreachable!("an integer comparison sets one condition");
        };
        let b = match self.loc(ins.b) {
            Loc::Gpr(g) => GSrc::Reg(g),
            Loc::Spill(i) => GSrc::Spill(spill_off(i)),
            Loc::Fpr(x) => {
                dynasm!(self.ops ; .arch x64 ; movq rcx, Rx(x));
                GSrc::Reg(RCX)
            }
            Loc::None => {
                dynasm!(self.ops ; .arch x64 ; mov ecx, 0);
                GSrc::Reg(RCX)
            }
        };
        self.cmov(cc.negate(), RDX, b);
        let d = self.dst_g(r);
        self.mov_g(d, RDX, true);
        self.finish_g(r, d);
    }

    /// `d = s` if condition `cc` holds.
    fn cmov(&mut self, cc: Jcc, d: u8, s: GSrc) {
        macro_rules! cmov {
            ($mn:ident) => {
                match s {
                    GSrc::Reg(g) => dynasm!(self.ops ; .arch x64 ; $mn Rq(d), Rq(g)),
                    GSrc::Spill(o) => dynasm!(self.ops ; .arch x64 ; $mn Rq(d), QWORD [Rq(CTX) + o]),
                    GSrc::KPool(at) => { dynasm!(self.ops ; .arch x64 ; $mn Rq(d), QWORD [rip + 0]); self.data_ref(at) }
                }
            };
        }
        match cc {
            Jcc::E => cmov!(cmove),
            Jcc::Ne => cmov!(cmovne),
            Jcc::L => cmov!(cmovl),
            Jcc::Le => cmov!(cmovle),
            Jcc::G => cmov!(cmovg),
            Jcc::Ge => cmov!(cmovge),
            Jcc::B => cmov!(cmovb),
            Jcc::Be => cmov!(cmovbe),
            Jcc::A => cmov!(cmova),
            Jcc::Ae => cmov!(cmovae),
            Jcc::P => cmov!(cmovp),
            Jcc::Np => cmov!(cmovnp),
        }
    }

    /// The address `a + off` as an index register and a displacement from memory's base
    /// (`r15`). A constant `a` is added to `off` here: a global's address is a
    /// displacement alone, or one (possibly blinded) constant in an index register when
    /// it does not fit or must be blinded.
    fn addr(&mut self, a: Ref, off: u32) -> (Option<u8>, i32) {
        if let Some(k) = self.konst(a) {
            let ea = u64::from(k as u32) + u64::from(off);
            if let Some(d) = self.disp(ea) {
                return (None, d);
            }
            self.mov_imm(RAX, ea);
            return (Some(RAX), 0);
        }
        let ra = self.gpr(a, RCX);
        match self.disp(u64::from(off)) {
            Some(o) => (Some(ra), o),
            None => {
                self.mov_imm(RAX, u64::from(off));
                dynasm!(self.ops ; .arch x64 ; add rax, Rq(ra));
                (Some(RAX), 0)
            }
        }
    }

    fn load(&mut self, r: Ref, ins: &Ins) {
        let (m, off) = Mem::of_aux(ins.aux);
        let at = self.addr(ins.a, off);
        if ins.ty.is_float() {
            let d = self.dst_f(r);
            if ins.ty == Ty::F32 {
                heap_op!(self, at; [movss Rx(d), DWORD] []);
            } else {
                heap_op!(self, at; [movsd Rx(d), QWORD] []);
            }
            self.finish_f(r, d);
            return;
        }
        let d = self.dst_g(r);
        let wide = ins.ty == Ty::I64;
        match (m, wide) {
            (Mem::U8, _) => heap_op!(self, at; [movzx Rd(d), BYTE] []),
            (Mem::S8, false) => {
                heap_op!(self, at; [movsx Rd(d), BYTE] [])
            }
            (Mem::S8, true) => heap_op!(self, at; [movsx Rq(d), BYTE] []),
            (Mem::U16, _) => heap_op!(self, at; [movzx Rd(d), WORD] []),
            (Mem::S16, false) => {
                heap_op!(self, at; [movsx Rd(d), WORD] [])
            }
            (Mem::S16, true) => {
                heap_op!(self, at; [movsx Rq(d), WORD] [])
            }
            (Mem::U32, _) => heap_op!(self, at; [mov Rd(d), DWORD] []),
            (Mem::S32, _) => {
                heap_op!(self, at; [movsxd Rq(d), DWORD] [])
            }
            (Mem::W64, _) => heap_op!(self, at; [mov Rq(d), QWORD] []),
        }
        self.finish_g(r, d);
    }

    fn store(&mut self, ins: &Ins) {
        let (m, off) = Mem::of_aux(ins.aux);
        let held = match self.spilled {
            Some((end, v, x)) if end == self.ops.offset().0 && v == ins.b => Some(x),
            _ => None,
        };
        // The address goes through general registers only: `held` stays valid.
        let at = self.addr(ins.a, off);
        let vty = self.ins(ins.b).ty;
        if vty.is_float() && self.konst(ins.b).is_none() {
            let v = match held {
                Some(x) => x,
                None => self.fpr(ins.b, XS0),
            };
            if m == Mem::W64 {
                heap_op!(self, at; [movsd QWORD] [, Rx(v)]);
            } else {
                heap_op!(self, at; [movss DWORD] [, Rx(v)]);
            }
            return;
        }
        let v = self.gpr(ins.b, RDX);
        match m {
            Mem::U8 | Mem::S8 => heap_op!(self, at; [mov BYTE] [, Rb(v)]),
            Mem::U16 | Mem::S16 => {
                heap_op!(self, at; [mov WORD] [, Rw(v)])
            }
            Mem::U32 | Mem::S32 => {
                heap_op!(self, at; [mov DWORD] [, Rd(v)])
            }
            Mem::W64 => heap_op!(self, at; [mov QWORD] [, Rq(v)]),
        }
    }

    /// An element of table 0 (`call_indirect`'s check), read inline: the entry, or
    /// `u64::MAX` when the index is out of range (as the `TableGet` helper answers).
    fn table0_get(&mut self, r: Ref, ins: &Ins) {
        let x = self.gpr(ins.a, RCX);
        let skip = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64
            ; mov rax, -1
            ; cmp Rq(x), [rbx + OFF_TABLE0_LEN]
            ; jae =>skip
            ; mov rax, [rbx + OFF_TABLE0]
            ; mov rax, [rax + Rq(x) * 8]
            ; =>skip
        );
        if self.loc(r) != Loc::None {
            let d = self.dst_g(r);
            self.mov_g(d, RAX, true);
            self.finish_g(r, d);
        }
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
        let at = r.idx();
        let live: Vec<(Ref, Loc)> = self.alloc.live_across(at).collect();
        for (k, &(_, l)) in live.iter().enumerate() {
            let off = OFF_SAVE + 8 * k as i32;
            match l {
                Loc::Gpr(g) => dynasm!(self.ops ; .arch x64 ; mov [rbx + off], Rq(g)),
                Loc::Fpr(x) => dynasm!(self.ops ; .arch x64 ; movsd QWORD [rbx + off], Rx(x)),
                _ => {}
            }
        }
        // Arguments through the stack, so no argument register overwrites another's source.
        let args = [ins.a, ins.b, ins.c];
        for &a in &args {
            if a.is_none() {
                dynasm!(self.ops ; .arch x64 ; push 0);
            } else {
                let g = self.gpr(a, RAX);
                dynasm!(self.ops ; .arch x64 ; push Rq(g));
            }
        }
        dynasm!(self.ops ; .arch x64
            ; pop rcx ; pop rdx ; pop rsi
            ; mov rdi, rbx
            ; mov r8, QWORD imm as i64
            ; mov rax, QWORD self.helper(h) as usize as i64
            ; call rax
            ; mov r15, [rbx + OFF_MEM]
            ; mov r14, [rbx + OFF_SP]
        );
        for (k, &(_, l)) in live.iter().enumerate() {
            let off = OFF_SAVE + 8 * k as i32;
            match l {
                Loc::Gpr(g) => dynasm!(self.ops ; .arch x64 ; mov Rq(g), [rbx + off]),
                Loc::Fpr(x) => dynasm!(self.ops ; .arch x64 ; movsd Rx(x), QWORD [rbx + off]),
                _ => {}
            }
        }
        if ins.ty == Ty::Void || self.loc(r) == Loc::None {
            return;
        }
        if ins.ty.is_float() {
            let d = self.dst_f(r);
            dynasm!(self.ops ; .arch x64 ; movq Rx(d), rax);
            self.finish_f(r, d);
        } else {
            let d = self.dst_g(r);
            self.mov_g(d, RAX, ins.ty == Ty::I64);
            self.finish_g(r, d);
        }
    }
}

/// Whether a native call's saved words need a pad word: an odd number of words keeps
/// the callee's stack aligned after the call.
fn padded(saved: &[Loc]) -> bool {
    saved.len().is_multiple_of(2)
}

/// x86 condition codes.
#[derive(Clone, Copy, PartialEq)]
enum Jcc {
    E,
    Ne,
    L,
    Le,
    G,
    Ge,
    B,
    Be,
    A,
    Ae,
    P,
    Np,
}

impl Jcc {
    fn negate(self) -> Jcc {
        match self {
            Jcc::E => Jcc::Ne,
            Jcc::Ne => Jcc::E,
            Jcc::L => Jcc::Ge,
            Jcc::Le => Jcc::G,
            Jcc::G => Jcc::Le,
            Jcc::Ge => Jcc::L,
            Jcc::B => Jcc::Ae,
            Jcc::Be => Jcc::A,
            Jcc::A => Jcc::Be,
            Jcc::Ae => Jcc::B,
            Jcc::P => Jcc::Np,
            Jcc::Np => Jcc::P,
        }
    }
}

/// How a comparison's result sits in the flags.
enum Flags {
    One(Jcc),
    /// Float equality: ZF set and PF clear.
    FEq,
    /// Float inequality: ZF clear or PF set.
    FNe,
}

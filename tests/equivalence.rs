//! Trace/interpreter equivalence: a trace computes exactly what the interpreter computes.
//!
//! Generated WebAssembly programs (a small AST, printed to WAT) run twice, each in a fresh
//! engine and store: once with the JIT off, and once with the JIT on and a `hotloop`
//! threshold picked by the case (1, 2, 3, 7 or the default 56), so loops get recorded,
//! compiled and left through side exits at every point of their run, and a `hotexit`
//! threshold (1, 2 or the default 10), so exits grow side traces (and side traces their
//! own) that link back to their root, to inner loops' traces, or to the interpreter; and
//! a third of the runs allow only 3 live traces (`maxtrace`), so trees are evicted and
//! recorded again all the time; a quarter compile with the architecture's baseline
//! instructions only (`cpuext=0`), half with constants as raw immediates
//! (`blind=0`) instead of blinded ones, and half with links into loop bodies
//! (`bodylink=1`). Each run calls the
//! exported `run` twice in its store, so the second call enters the traces the first one
//! left, from another state (after a trap, too). After every call, everything the two runs
//! can observe must be identical: the results (floats by bits, any NaN equal to any NaN),
//! whether the call trapped, with which code and at which instruction (the trap's frames),
//! the whole linear memory byte for byte (its size too), every exported global, and the
//! host's record of its calls (count and a running hash of the arguments, in order).
//!
//! The programs are nests of counted loops (up to three deep, `br_if` back-edges, `loop` +
//! `br` with exits at the top, count-downs, trip counts from 0 to a few hundred) whose
//! bodies branch on loop counters and loaded data, `br_table` on varying indices, call
//! helpers (one with its own loop, one recursive to a bounded depth, directly or through
//! another function), call through a table
//! whose target changes part-way (and sometimes traps: out of range, null, wrong
//! signature), call an imported host function (which on some calls writes memory, the
//! globals or the table, grows memory, or calls back into the module), load and store
//! every width at addresses (masked, strided, or a struct's fields off one base)
//! that may run out of bounds part-way, divide by values that reach zero (or `MIN / -1`)
//! part-way or by constants (which traces divide by with a multiply), convert floats that leave the integer range or turn NaN part-way, grow, fill
//! and copy memory, read and write mutable globals, read and write the table
//! (`table.get`, `ref.is_null`, `table.set` of `ref.func` or `ref.null`, past its end
//! too), compute values in `if`s and blocks
//! with results (left early by a `br_if` carrying a value), and `return` early (from
//! inside loops too) under rare conditions. Every loop is counted and every
//! recursion bounded, and trip counts are cut to a work budget, so each case runs in
//! bounded time (about a millisecond in release). NaN bits are nondeterministic in
//! WebAssembly, so a float whose bits become observable (stored to memory, reinterpreted,
//! or the sign source of `copysign`) is canonicalized first, unless it came straight from
//! a constant, a load or a reinterpretation, or from `abs`, `neg` or `copysign` of such a
//! value (whose bits are exact: those three only touch the sign bit).
//!
//! 500 cases by default; more with
//! `PROPTEST_CASES=5000 cargo test --release --test equivalence`. A failing case is shrunk,
//! printed as WAT, and its seed saved in `tests/equivalence.proptest-regressions`, which is
//! replayed first on every later run (commit it). Fixed programs for the most important
//! shapes are ordinary tests at the end; `print_generated_programs` (ignored) shows what
//! the generator makes.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union};
use proptest::test_runner::{
    Config as ProptestConfig, FileFailurePersistence, TestCaseError, TestError, TestRunner,
};
use spur::{Caller, Config, Engine, Extern, Linker, Module, Store, TrapCode, Val};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
// The AST
// ---------------------------------------------------------------------------------------

/// A value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    I32,
    I64,
    F32,
    F64,
}
use Ty::{F32, F64, I32, I64};

impl Ty {
    fn name(self) -> &'static str {
        match self {
            I32 => "i32",
            I64 => "i64",
            F32 => "f32",
            F64 => "f64",
        }
    }
}

/// A local. Every generated function declares all of them (the first one or two as its
/// parameters), so expressions can name any local anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Var {
    /// The first `i32` parameter (the argument of `run`, a table function, the looper; the
    /// depth of the recursion).
    A,
    /// The `i64` parameter of the leaf and the recursion (a plain local elsewhere).
    B,
    /// The loop counters of the first, second and third nesting level.
    I,
    J,
    K,
    /// Scratch locals: the only locals generated code assigns, and the results of `run`.
    X32,
    Y32,
    X64,
    Y64,
    XF32,
    YF32,
    XF64,
    YF64,
}

impl Var {
    const ALL: [Var; 13] = [
        Var::A,
        Var::B,
        Var::I,
        Var::J,
        Var::K,
        Var::X32,
        Var::Y32,
        Var::X64,
        Var::Y64,
        Var::XF32,
        Var::YF32,
        Var::XF64,
        Var::YF64,
    ];
    const COUNTERS: [Var; 3] = [Var::I, Var::J, Var::K];

    fn name(self) -> &'static str {
        match self {
            Var::A => "$a",
            Var::B => "$b",
            Var::I => "$i",
            Var::J => "$j",
            Var::K => "$k",
            Var::X32 => "$x32",
            Var::Y32 => "$y32",
            Var::X64 => "$x64",
            Var::Y64 => "$y64",
            Var::XF32 => "$xf32",
            Var::YF32 => "$yf32",
            Var::XF64 => "$xf64",
            Var::YF64 => "$yf64",
        }
    }

    fn ty(self) -> Ty {
        match self {
            Var::A | Var::I | Var::J | Var::K | Var::X32 | Var::Y32 => I32,
            Var::B | Var::X64 | Var::Y64 => I64,
            Var::XF32 | Var::YF32 => F32,
            Var::XF64 | Var::YF64 => F64,
        }
    }

    fn scratch(ty: Ty) -> &'static [Var] {
        match ty {
            I32 => &[Var::X32, Var::Y32],
            I64 => &[Var::X64, Var::Y64],
            F32 => &[Var::XF32, Var::YF32],
            F64 => &[Var::XF64, Var::YF64],
        }
    }

    /// Locals an expression of type `ty` may read (loop counters weighted up).
    fn readable(ty: Ty) -> &'static [Var] {
        match ty {
            I32 => &[Var::A, Var::I, Var::I, Var::J, Var::K, Var::X32, Var::Y32],
            I64 => &[Var::B, Var::X64, Var::Y64],
            F32 => &[Var::XF32, Var::YF32],
            F64 => &[Var::XF64, Var::YF64],
        }
    }
}

/// A global; all are exported and compared after the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Glob {
    G32,
    G64,
    GF32,
    GF64,
    /// Immutable.
    C32,
}

impl Glob {
    fn name(self) -> &'static str {
        match self {
            Glob::G32 => "$g32",
            Glob::G64 => "$g64",
            Glob::GF32 => "$gf32",
            Glob::GF64 => "$gf64",
            Glob::C32 => "$c32",
        }
    }

    fn mutable(ty: Ty) -> Glob {
        match ty {
            I32 => Glob::G32,
            I64 => Glob::G64,
            F32 => Glob::GF32,
            F64 => Glob::GF64,
        }
    }
}

/// A numeric instruction: its name and type.
#[derive(Debug)]
struct OpDef {
    name: &'static str,
    args: &'static [Ty],
    ret: Ty,
}

const fn op(name: &'static str, args: &'static [Ty], ret: Ty) -> OpDef {
    OpDef { name, args, ret }
}

/// A load or store: its name and the type of the value.
#[derive(Debug)]
struct MemOp {
    name: &'static str,
    ty: Ty,
}

const fn mem(name: &'static str, ty: Ty) -> MemOp {
    MemOp { name, ty }
}

#[derive(Clone, Debug)]
enum Expr {
    I32(i32),
    I64(i64),
    /// Bits.
    F32(u32),
    /// Bits.
    F64(u64),
    Get(Var),
    GlobalGet(Glob),
    Op(&'static OpDef, Vec<Expr>),
    Load {
        op: &'static MemOp,
        offset: u32,
        align1: bool,
        addr: Box<Expr>,
    },
    /// `(select a b cond)`.
    Select(Box<[Expr; 3]>),
    /// `(if (result t) cond (then a) (else b))`: only the arm taken runs.
    Cond(Box<[Expr; 3]>),
    /// `(block (result t) (drop (br_if 0 a cond)) b)`: a block left early with a value.
    Exit(Box<[Expr; 3]>),
    /// `(ref.is_null (table.get (i32.and e 7)))`: entries 6 and 7 are out of bounds.
    RefIsNull(Box<Expr>),
    Tee(Var, Box<Expr>),
    MemorySize,
    MemoryGrow(Box<Expr>),
    Call(Callee, Vec<Expr>),
    /// Through the table, with the table functions' signature.
    CallIndirect {
        index: Box<Expr>,
        arg: Box<Expr>,
    },
}

/// A directly called function.
#[derive(Clone, Copy, Debug)]
enum Callee {
    /// The host import `env.mix(i32, i64) -> i64`.
    Mix,
    /// `$leaf(i32, i64) -> i64`: straight-line code.
    Leaf,
    /// `$t0`..`$t3(i32) -> i32`, also reachable through the table.
    Table(u8),
    /// `$looper(i32) -> i32`: a loop of `param & mask` iterations.
    Looper,
    /// `$rec(i32, i64) -> i64`: recursion to depth `param & 15`.
    Rec,
}

#[derive(Clone, Debug)]
enum Stmt {
    Set(Var, Expr),
    /// Mixes a value into a scratch local: `x = x * k + e` or similar.
    Acc(Var, Expr),
    GlobalSet(Glob, Expr),
    Store {
        op: &'static MemOp,
        offset: u32,
        align1: bool,
        addr: Expr,
        value: Expr,
    },
    Drop(Expr),
    /// `(table.set (i32.and index 7) ref)`: `ref.func $t<k>`, or `ref.null func` for
    /// `None`; entries 6 and 7 are out of bounds.
    TableSet {
        index: Expr,
        func: Option<u8>,
    },
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    Loop(Box<Loop>),
    /// `br_if` to the exit of an enclosing loop (`outer` counts outwards, modulo the
    /// nesting); outside any loop it just evaluates (and drops) the condition.
    Break {
        outer: u8,
        cond: Expr,
    },
    /// `br_if` to the end of an enclosing loop's body, which then counts and goes round.
    Continue {
        outer: u8,
        cond: Expr,
    },
    /// `return` from `$run` with its results when `cond` holds (from inside loops too);
    /// elsewhere it just evaluates (and drops) the condition.
    Return {
        cond: Expr,
    },
    Switch(Box<Switch>),
    Fill {
        dst: Expr,
        val: Expr,
        len: Expr,
    },
    Copy {
        dst: Expr,
        src: Expr,
        len: Expr,
    },
}

/// A counted loop. Its counter is `$i`, `$j` or `$k` by nesting level; generated code
/// never assigns counters, so every loop ends.
#[derive(Clone, Debug)]
struct Loop {
    style: LoopStyle,
    trips: Trips,
    body: Vec<Stmt>,
}

#[derive(Clone, Copy, Debug)]
enum LoopStyle {
    /// Counter up from 0; guard at the entry, `br_if` back-edge at the bottom.
    BrIf,
    /// Counter up from 0; `br_if` exit at the top, unconditional `br` back-edge.
    TopExit,
    /// Counter down to 0: exit on `eqz` at the top, `br` back-edge.
    CountDown,
    /// Counter up to 0 from minus the trip count (as compilers index an array from its
    /// end): guard at the entry, `br_if` back-edge while it is not 0. Addresses from it
    /// wrap below 2^32.
    RiseToZero,
}

#[derive(Clone, Debug)]
enum Trips {
    Const(u32),
    /// `expr & mask`, evaluated once on entry into a local.
    Masked(Expr, u32),
}

impl Trips {
    fn bound(&self) -> u64 {
        match self {
            Trips::Const(n) => u64::from(*n),
            Trips::Masked(_, mask) => u64::from(*mask) + 1,
        }
    }

    /// Halves the bound; false if it cannot shrink further.
    fn halve(&mut self) -> bool {
        match self {
            Trips::Const(n) if *n > 0 => *n /= 2,
            Trips::Masked(_, mask) if *mask > 0 => *mask >>= 1,
            _ => return false,
        }
        true
    }
}

/// A `br_table`: the index picks an arm, or leaves or continues the innermost loop.
#[derive(Clone, Debug)]
struct Switch {
    index: Expr,
    targets: Vec<Target>,
    default: Target,
    arms: Vec<Vec<Stmt>>,
}

#[derive(Clone, Copy, Debug)]
enum Target {
    /// Modulo the number of arms.
    Arm(u8),
    Break,
    Continue,
}

/// A function body: statements, then the result.
#[derive(Clone, Debug)]
struct Body {
    stmts: Vec<Stmt>,
    result: Expr,
}

/// `$looper(a)`: `pre`, then a loop of `a & mask` iterations, then the result.
#[derive(Clone, Debug)]
struct Looper {
    pre: Vec<Stmt>,
    lp: Loop,
    result: Expr,
}

/// `$rec(a, b) = a <= 0 ? base : combine($rec(a - 1, step), extra)`, after `pre`; with
/// `mutual`, the recursive call goes through `$rec2(a, b) = $rec(a, b) ^ a` (mutual
/// recursion).
#[derive(Clone, Debug)]
struct Rec {
    pre: Vec<Stmt>,
    base: Expr,
    step: Expr,
    extra: Expr,
    combine: &'static str,
    mutual: bool,
}

/// A module: one page of memory (growing to `memory_max` pages), globals, a table of six
/// entries (`tables`, a null entry, `wrong`), the helpers and `run`.
#[derive(Clone, Debug)]
struct Program {
    memory_max: u32,
    /// Active data segments: (offset, bytes).
    data: Vec<(u32, Vec<u8>)>,
    /// Initial values of `$g32`, `$g64`, `$gf32` and `$gf64` (floats as bits).
    globals: (i32, i64, u32, u64),
    /// `$t0`..`$t3`, at table entries 0 to 3.
    tables: Vec<Body>,
    leaf: Body,
    /// The body of `$wrong(i64) -> i64`, at table entry 5: calls to it through the table
    /// trap with a signature mismatch.
    wrong: Expr,
    looper: Looper,
    rec: Rec,
    /// The body of the export `run(i32)`, which returns the eight scratch locals.
    run: Vec<Stmt>,
    /// The arguments of the calls of `run`, one after the other in the same store (the
    /// later ones enter the traces the earlier ones left, from another state).
    args: Vec<i32>,
}

/// One generated case: a program, and the JIT settings of its JIT run.
#[derive(Clone, Debug)]
struct Case {
    program: Program,
    jit: Jit,
}

/// The tunables a JIT run sets: when loops are recorded (`hotloop`), when exits grow
/// side traces (`hotexit`), how many traces live at once (`maxtrace`), and how many
/// targets a `call_indirect` site inlines before traces call through it natively
/// (`maxpoly`), whether code may use the CPU's instruction-set extensions (`cpuext`),
/// whether it blinds its constants (`blind`), and whether links enter loop bodies
/// (`bodylink`).
#[derive(Clone, Copy, Debug)]
struct Jit {
    hotloop: u32,
    hotexit: u32,
    maxtrace: u32,
    maxpoly: u32,
    cpuext: u32,
    blind: u32,
    bodylink: u32,
}

impl std::fmt::Display for Jit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "hotloop={} hotexit={} maxtrace={} maxpoly={} cpuext={} blind={} bodylink={}",
            self.hotloop,
            self.hotexit,
            self.maxtrace,
            self.maxpoly,
            self.cpuext,
            self.blind,
            self.bodylink
        )
    }
}

// ---------------------------------------------------------------------------------------
// Instructions
// ---------------------------------------------------------------------------------------

static I32_UNARY: [OpDef; 6] = [
    op("i32.clz", &[I32], I32),
    op("i32.ctz", &[I32], I32),
    op("i32.popcnt", &[I32], I32),
    op("i32.eqz", &[I32], I32),
    op("i32.extend8_s", &[I32], I32),
    op("i32.extend16_s", &[I32], I32),
];
static I32_BINARY: [OpDef; 21] = [
    op("i32.add", &[I32, I32], I32),
    op("i32.sub", &[I32, I32], I32),
    op("i32.mul", &[I32, I32], I32),
    op("i32.and", &[I32, I32], I32),
    op("i32.or", &[I32, I32], I32),
    op("i32.xor", &[I32, I32], I32),
    op("i32.shl", &[I32, I32], I32),
    op("i32.shr_s", &[I32, I32], I32),
    op("i32.shr_u", &[I32, I32], I32),
    op("i32.rotl", &[I32, I32], I32),
    op("i32.rotr", &[I32, I32], I32),
    op("i32.eq", &[I32, I32], I32),
    op("i32.ne", &[I32, I32], I32),
    op("i32.lt_s", &[I32, I32], I32),
    op("i32.lt_u", &[I32, I32], I32),
    op("i32.gt_s", &[I32, I32], I32),
    op("i32.gt_u", &[I32, I32], I32),
    op("i32.le_s", &[I32, I32], I32),
    op("i32.le_u", &[I32, I32], I32),
    op("i32.ge_s", &[I32, I32], I32),
    op("i32.ge_u", &[I32, I32], I32),
];
static I32_DIVISION: [OpDef; 4] = [
    op("i32.div_s", &[I32, I32], I32),
    op("i32.div_u", &[I32, I32], I32),
    op("i32.rem_s", &[I32, I32], I32),
    op("i32.rem_u", &[I32, I32], I32),
];
static I64_UNARY: [OpDef; 6] = [
    op("i64.clz", &[I64], I64),
    op("i64.ctz", &[I64], I64),
    op("i64.popcnt", &[I64], I64),
    op("i64.extend8_s", &[I64], I64),
    op("i64.extend16_s", &[I64], I64),
    op("i64.extend32_s", &[I64], I64),
];
static I64_BINARY: [OpDef; 11] = [
    op("i64.add", &[I64, I64], I64),
    op("i64.sub", &[I64, I64], I64),
    op("i64.mul", &[I64, I64], I64),
    op("i64.and", &[I64, I64], I64),
    op("i64.or", &[I64, I64], I64),
    op("i64.xor", &[I64, I64], I64),
    op("i64.shl", &[I64, I64], I64),
    op("i64.shr_s", &[I64, I64], I64),
    op("i64.shr_u", &[I64, I64], I64),
    op("i64.rotl", &[I64, I64], I64),
    op("i64.rotr", &[I64, I64], I64),
];
static I64_DIVISION: [OpDef; 4] = [
    op("i64.div_s", &[I64, I64], I64),
    op("i64.div_u", &[I64, I64], I64),
    op("i64.rem_s", &[I64, I64], I64),
    op("i64.rem_u", &[I64, I64], I64),
];
static I64_EQZ: [OpDef; 1] = [op("i64.eqz", &[I64], I32)];
static I64_COMPARE: [OpDef; 10] = [
    op("i64.eq", &[I64, I64], I32),
    op("i64.ne", &[I64, I64], I32),
    op("i64.lt_s", &[I64, I64], I32),
    op("i64.lt_u", &[I64, I64], I32),
    op("i64.gt_s", &[I64, I64], I32),
    op("i64.gt_u", &[I64, I64], I32),
    op("i64.le_s", &[I64, I64], I32),
    op("i64.le_u", &[I64, I64], I32),
    op("i64.ge_s", &[I64, I64], I32),
    op("i64.ge_u", &[I64, I64], I32),
];
static F32_UNARY: [OpDef; 7] = [
    op("f32.abs", &[F32], F32),
    op("f32.neg", &[F32], F32),
    op("f32.sqrt", &[F32], F32),
    op("f32.ceil", &[F32], F32),
    op("f32.floor", &[F32], F32),
    op("f32.trunc", &[F32], F32),
    op("f32.nearest", &[F32], F32),
];
static F32_BINARY: [OpDef; 7] = [
    op("f32.add", &[F32, F32], F32),
    op("f32.sub", &[F32, F32], F32),
    op("f32.mul", &[F32, F32], F32),
    op("f32.div", &[F32, F32], F32),
    op("f32.min", &[F32, F32], F32),
    op("f32.max", &[F32, F32], F32),
    op("f32.copysign", &[F32, F32], F32),
];
static F32_COMPARE: [OpDef; 6] = [
    op("f32.eq", &[F32, F32], I32),
    op("f32.ne", &[F32, F32], I32),
    op("f32.lt", &[F32, F32], I32),
    op("f32.gt", &[F32, F32], I32),
    op("f32.le", &[F32, F32], I32),
    op("f32.ge", &[F32, F32], I32),
];
static F64_UNARY: [OpDef; 7] = [
    op("f64.abs", &[F64], F64),
    op("f64.neg", &[F64], F64),
    op("f64.sqrt", &[F64], F64),
    op("f64.ceil", &[F64], F64),
    op("f64.floor", &[F64], F64),
    op("f64.trunc", &[F64], F64),
    op("f64.nearest", &[F64], F64),
];
static F64_BINARY: [OpDef; 7] = [
    op("f64.add", &[F64, F64], F64),
    op("f64.sub", &[F64, F64], F64),
    op("f64.mul", &[F64, F64], F64),
    op("f64.div", &[F64, F64], F64),
    op("f64.min", &[F64, F64], F64),
    op("f64.max", &[F64, F64], F64),
    op("f64.copysign", &[F64, F64], F64),
];
static F64_COMPARE: [OpDef; 6] = [
    op("f64.eq", &[F64, F64], I32),
    op("f64.ne", &[F64, F64], I32),
    op("f64.lt", &[F64, F64], I32),
    op("f64.gt", &[F64, F64], I32),
    op("f64.le", &[F64, F64], I32),
    op("f64.ge", &[F64, F64], I32),
];
static I64_TO_I32: [OpDef; 1] = [op("i32.wrap_i64", &[I64], I32)];
static F32_TO_I32: [OpDef; 3] = [
    op("i32.trunc_sat_f32_s", &[F32], I32),
    op("i32.trunc_sat_f32_u", &[F32], I32),
    op("i32.reinterpret_f32", &[F32], I32),
];
static F64_TO_I32: [OpDef; 2] = [
    op("i32.trunc_sat_f64_s", &[F64], I32),
    op("i32.trunc_sat_f64_u", &[F64], I32),
];
static F32_TRUNC_I32: [OpDef; 2] = [
    op("i32.trunc_f32_s", &[F32], I32),
    op("i32.trunc_f32_u", &[F32], I32),
];
static F64_TRUNC_I32: [OpDef; 2] = [
    op("i32.trunc_f64_s", &[F64], I32),
    op("i32.trunc_f64_u", &[F64], I32),
];
static I32_TO_I64: [OpDef; 2] = [
    op("i64.extend_i32_s", &[I32], I64),
    op("i64.extend_i32_u", &[I32], I64),
];
static F32_TO_I64: [OpDef; 2] = [
    op("i64.trunc_sat_f32_s", &[F32], I64),
    op("i64.trunc_sat_f32_u", &[F32], I64),
];
static F64_TO_I64: [OpDef; 3] = [
    op("i64.trunc_sat_f64_s", &[F64], I64),
    op("i64.trunc_sat_f64_u", &[F64], I64),
    op("i64.reinterpret_f64", &[F64], I64),
];
static F32_TRUNC_I64: [OpDef; 2] = [
    op("i64.trunc_f32_s", &[F32], I64),
    op("i64.trunc_f32_u", &[F32], I64),
];
static F64_TRUNC_I64: [OpDef; 2] = [
    op("i64.trunc_f64_s", &[F64], I64),
    op("i64.trunc_f64_u", &[F64], I64),
];
static I32_TO_F32: [OpDef; 3] = [
    op("f32.convert_i32_s", &[I32], F32),
    op("f32.convert_i32_u", &[I32], F32),
    op("f32.reinterpret_i32", &[I32], F32),
];
static I64_TO_F32: [OpDef; 2] = [
    op("f32.convert_i64_s", &[I64], F32),
    op("f32.convert_i64_u", &[I64], F32),
];
static F64_TO_F32: [OpDef; 1] = [op("f32.demote_f64", &[F64], F32)];
static I32_TO_F64: [OpDef; 2] = [
    op("f64.convert_i32_s", &[I32], F64),
    op("f64.convert_i32_u", &[I32], F64),
];
static I64_TO_F64: [OpDef; 3] = [
    op("f64.convert_i64_s", &[I64], F64),
    op("f64.convert_i64_u", &[I64], F64),
    op("f64.reinterpret_i64", &[I64], F64),
];
static F32_TO_F64: [OpDef; 1] = [op("f64.promote_f32", &[F32], F64)];

static OP_GROUPS: [&[OpDef]; 30] = [
    &I32_UNARY,
    &I32_BINARY,
    &I32_DIVISION,
    &I64_UNARY,
    &I64_BINARY,
    &I64_DIVISION,
    &I64_EQZ,
    &I64_COMPARE,
    &F32_UNARY,
    &F32_BINARY,
    &F32_COMPARE,
    &F64_UNARY,
    &F64_BINARY,
    &F64_COMPARE,
    &I64_TO_I32,
    &F32_TO_I32,
    &F64_TO_I32,
    &F32_TRUNC_I32,
    &F64_TRUNC_I32,
    &I32_TO_I64,
    &F32_TO_I64,
    &F64_TO_I64,
    &F32_TRUNC_I64,
    &F64_TRUNC_I64,
    &I32_TO_F32,
    &I64_TO_F32,
    &F64_TO_F32,
    &I32_TO_F64,
    &I64_TO_F64,
    &F32_TO_F64,
];

fn op_named(name: &str) -> &'static OpDef {
    OP_GROUPS
        .iter()
        .flat_map(|g| g.iter())
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no instruction {name} in the tables"))
}

static I32_LOADS: [MemOp; 5] = [
    mem("i32.load", I32),
    mem("i32.load8_s", I32),
    mem("i32.load8_u", I32),
    mem("i32.load16_s", I32),
    mem("i32.load16_u", I32),
];
static I64_LOADS: [MemOp; 7] = [
    mem("i64.load", I64),
    mem("i64.load8_s", I64),
    mem("i64.load8_u", I64),
    mem("i64.load16_s", I64),
    mem("i64.load16_u", I64),
    mem("i64.load32_s", I64),
    mem("i64.load32_u", I64),
];
static F32_LOADS: [MemOp; 1] = [mem("f32.load", F32)];
static F64_LOADS: [MemOp; 1] = [mem("f64.load", F64)];
static STORES: [MemOp; 9] = [
    mem("i32.store", I32),
    mem("i32.store8", I32),
    mem("i32.store16", I32),
    mem("i64.store", I64),
    mem("i64.store8", I64),
    mem("i64.store16", I64),
    mem("i64.store32", I64),
    mem("f32.store", F32),
    mem("f64.store", F64),
];

impl Expr {
    fn ty(&self) -> Ty {
        match self {
            Expr::I32(_) | Expr::MemorySize | Expr::MemoryGrow(_) => I32,
            Expr::I64(_) => I64,
            Expr::F32(_) => F32,
            Expr::F64(_) => F64,
            Expr::Get(v) | Expr::Tee(v, _) => v.ty(),
            Expr::GlobalGet(Glob::G32 | Glob::C32) => I32,
            Expr::GlobalGet(Glob::G64) => I64,
            Expr::GlobalGet(Glob::GF32) => F32,
            Expr::GlobalGet(Glob::GF64) => F64,
            Expr::Op(op, _) => op.ret,
            Expr::Load { op, .. } => op.ty,
            Expr::Select(abc) | Expr::Cond(abc) | Expr::Exit(abc) => abc[0].ty(),
            Expr::Call(Callee::Table(_) | Callee::Looper, _)
            | Expr::CallIndirect { .. }
            | Expr::RefIsNull(_) => I32,
            Expr::Call(Callee::Mix | Callee::Leaf | Callee::Rec, _) => I64,
        }
    }
}

fn op1(name: &str, a: Expr) -> Expr {
    Expr::Op(op_named(name), vec![a])
}

fn op2(name: &str, a: Expr, b: Expr) -> Expr {
    Expr::Op(op_named(name), vec![a, b])
}

// ---------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------

const I32_SPECIAL: &[i32] = &[
    0,
    1,
    -1,
    2,
    3,
    4,
    5,
    7,
    8,
    15,
    16,
    31,
    32,
    33,
    63,
    64,
    255,
    256,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    -0x8000,
    0x1234_5678,
    i32::MAX,
    i32::MIN,
];
const I64_SPECIAL: &[i64] = &[
    0,
    1,
    -1,
    2,
    3,
    7,
    8,
    31,
    32,
    63,
    64,
    65,
    255,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    -0x8000_0000,
    0x0123_4567_89ab_cdef,
    i64::MAX,
    i64::MIN,
];
const F32_SPECIAL: &[u32] = &[
    0x0000_0000, // 0.0
    0x8000_0000, // -0.0
    0x3f80_0000, // 1.0
    0xbf80_0000, // -1.0
    0x3f00_0000, // 0.5
    0xbf00_0000, // -0.5
    0x3fc0_0000, // 1.5
    0x4020_0000, // 2.5
    0xc020_0000, // -2.5
    0x4060_0000, // 3.5
    0x3eaa_aaab, // 1/3
    0x4f00_0000, // 2^31
    0xcf00_0000, // -2^31
    0x4eff_ffff, // just below 2^31
    0xcf00_0001, // just below -2^31
    0x4f80_0000, // 2^32
    0x5f00_0000, // 2^63
    0xdf00_0000, // -2^63
    0x5f80_0000, // 2^64
    0x7f80_0000, // inf
    0xff80_0000, // -inf
    0x7fc0_0000, // canonical NaN
    0xffc0_0000, // negative NaN
    0x7fa0_0001, // signalling NaN with a payload
    0x7f80_0001, // smallest NaN payload
    0x0000_0001, // smallest subnormal
    0x0080_0000, // smallest normal
    0x7f7f_ffff, // largest finite
];
const F64_SPECIAL: &[u64] = &[
    0x0000_0000_0000_0000, // 0.0
    0x8000_0000_0000_0000, // -0.0
    0x3ff0_0000_0000_0000, // 1.0
    0xbff0_0000_0000_0000, // -1.0
    0x3fe0_0000_0000_0000, // 0.5
    0xbfe0_0000_0000_0000, // -0.5
    0x3ff8_0000_0000_0000, // 1.5
    0x4004_0000_0000_0000, // 2.5
    0xc004_0000_0000_0000, // -2.5
    0x4012_0000_0000_0000, // 4.5
    0x3fd5_5555_5555_5555, // 1/3
    0x41e0_0000_0000_0000, // 2^31
    0xc1e0_0000_0000_0000, // -2^31
    0x41df_ffff_ffc0_0000, // 2^31 - 1
    0xc1e0_0000_0020_0000, // -2^31 - 1
    0x41f0_0000_0000_0000, // 2^32
    0x43e0_0000_0000_0000, // 2^63
    0xc3e0_0000_0000_0000, // -2^63
    0x43f0_0000_0000_0000, // 2^64
    0x7ff0_0000_0000_0000, // inf
    0xfff0_0000_0000_0000, // -inf
    0x7ff8_0000_0000_0000, // canonical NaN
    0xfff8_0000_0000_0000, // negative NaN
    0x7ff4_0000_0000_0001, // signalling NaN with a payload
    0x7ff0_0000_0000_0001, // smallest NaN payload
    0x0000_0000_0000_0001, // smallest subnormal
    0x0010_0000_0000_0000, // smallest normal
    0x7fef_ffff_ffff_ffff, // largest finite
];

fn i32_value() -> BoxedStrategy<i32> {
    prop_oneof![
        3 => select(I32_SPECIAL),
        3 => -8i32..300,
        1 => any::<i32>(),
    ]
    .boxed()
}

fn i64_value() -> BoxedStrategy<i64> {
    prop_oneof![
        3 => select(I64_SPECIAL),
        3 => -8i64..300,
        1 => any::<i64>(),
    ]
    .boxed()
}

fn f32_bits() -> BoxedStrategy<u32> {
    prop_oneof![
        3 => select(F32_SPECIAL),
        3 => (-10i32..1000).prop_map(|v| (v as f32 * 0.25).to_bits()),
        1 => any::<u32>(),
    ]
    .boxed()
}

fn f64_bits() -> BoxedStrategy<u64> {
    prop_oneof![
        3 => select(F64_SPECIAL),
        3 => (-10i32..1000).prop_map(|v| (f64::from(v) * 0.25).to_bits()),
        1 => any::<u64>(),
    ]
    .boxed()
}

/// A weighted choice among arms of one value type.
fn pick<T: std::fmt::Debug + 'static>(arms: Vec<(u32, BoxedStrategy<T>)>) -> BoxedStrategy<T> {
    Union::new_weighted(arms).boxed()
}

fn one_of<T: Clone + std::fmt::Debug + 'static>(values: &'static [T]) -> BoxedStrategy<T> {
    select(values).boxed()
}

/// A loop counter, the outermost (the one most often live) most often.
fn counter() -> BoxedStrategy<Var> {
    one_of(&[Var::I, Var::I, Var::I, Var::J, Var::J, Var::K])
}

fn get_counter() -> BoxedStrategy<Expr> {
    counter().prop_map(Expr::Get).boxed()
}

/// Which functions an expression may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    /// Table functions and the leaf: no calls.
    Pure,
    /// The looper and the recursion: the host, the leaf and the table functions.
    Helper,
    /// `run`: everything.
    Main,
}

/// Expression strategies of one level, per type (indexed by `Ty as usize`).
type Exprs = [BoxedStrategy<Expr>; 4];

fn by_ty(e: &Exprs, ty: Ty) -> BoxedStrategy<Expr> {
    e[ty as usize].clone()
}

fn leaves() -> Exprs {
    let get = |ty: Ty| one_of(Var::readable(ty)).prop_map(Expr::Get).boxed();
    [
        pick(vec![
            (3, i32_value().prop_map(Expr::I32).boxed()),
            (4, get(I32)),
            (
                1,
                one_of(&[Glob::G32, Glob::C32])
                    .prop_map(Expr::GlobalGet)
                    .boxed(),
            ),
            (1, Just(Expr::MemorySize).boxed()),
        ]),
        pick(vec![
            (3, i64_value().prop_map(Expr::I64).boxed()),
            (3, get(I64)),
            (1, Just(Expr::GlobalGet(Glob::G64)).boxed()),
        ]),
        pick(vec![
            (3, f32_bits().prop_map(Expr::F32).boxed()),
            (3, get(F32)),
            (1, Just(Expr::GlobalGet(Glob::GF32)).boxed()),
        ]),
        pick(vec![
            (3, f64_bits().prop_map(Expr::F64).boxed()),
            (3, get(F64)),
            (1, Just(Expr::GlobalGet(Glob::GF64)).boxed()),
        ]),
    ]
}

fn unary(ops: &'static [OpDef], a: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    (0..ops.len(), a)
        .prop_map(move |(i, a)| Expr::Op(&ops[i], vec![a]))
        .boxed()
}

fn binary(
    ops: &'static [OpDef],
    a: BoxedStrategy<Expr>,
    b: BoxedStrategy<Expr>,
) -> BoxedStrategy<Expr> {
    (0..ops.len(), a, b)
        .prop_map(move |(i, a, b)| Expr::Op(&ops[i], vec![a, b]))
        .boxed()
}

/// A divisor: mostly nonzero, sometimes reaching zero at a loop iteration, sometimes raw.
fn divisor(ty: Ty, sub: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    let nonzero = match ty {
        I32 => sub
            .clone()
            .prop_map(|d| op2("i32.or", d, Expr::I32(1)))
            .boxed(),
        _ => sub
            .clone()
            .prop_map(|d| op2("i64.or", d, Expr::I64(1)))
            .boxed(),
    };
    pick(vec![
        (10, nonzero),
        (5, zero_at(ty)),
        (4, constant_divisor(ty)),
        (1, sub),
    ])
}

/// Constant divisors the JIT divides by with a multiply: small ones, powers of two and
/// their neighbours, large and negative ones, and the extremes.
#[rustfmt::skip]
const DIVISORS: &[i64] = &[
    2, 3, 5, 7, 10, 12, 25, 100, 641, 1000, 2001, 65535, 65536, 65537, 1 << 31,
    4_294_967_291, 0x2545_F491_4F6C_DD1D, -1, -2, -3, -7, -10, -1000,
    i64::MIN, i64::MAX, i32::MIN as i64, i32::MAX as i64,
];

/// A constant divisor: one of [`DIVISORS`], a power of two or a neighbour, or any value.
fn constant_divisor(ty: Ty) -> BoxedStrategy<Expr> {
    let pow2 = (1u32..63, -1i64..=1).prop_map(|(k, d)| (1i64 << k).wrapping_add(d));
    let arms = vec![
        (4, one_of(DIVISORS)),
        (2, pow2.boxed()),
        (1, proptest::num::i64::ANY.boxed()),
    ];
    pick(arms)
        .prop_map(move |d| match ty {
            I32 => Expr::I32(d as i32),
            _ => Expr::I64(d),
        })
        .boxed()
}

/// A loop counter minus a constant: zero at one iteration.
fn zero_at(ty: Ty) -> BoxedStrategy<Expr> {
    (counter(), 5u32..150)
        .prop_map(move |(c, k)| match ty {
            I32 => op2("i32.sub", Expr::Get(c), Expr::I32(k as i32)),
            _ => op2(
                "i64.sub",
                op1("i64.extend_i32_u", Expr::Get(c)),
                Expr::I64(i64::from(k)),
            ),
        })
        .boxed()
}

/// An integer expression that traps at some iteration of the loop around it: division by
/// a counter reaching a value, `MIN / -1` at an iteration, or a conversion of a float that
/// leaves the integer range or turns NaN.
fn late_trap(e: &Exprs) -> BoxedStrategy<Expr> {
    let mut arms = Vec::new();
    for ty in [I32, I64] {
        let (division, min, minus_one, or, one): (&'static [OpDef], _, _, _, _) = match ty {
            I32 => (
                &I32_DIVISION,
                Expr::I32(i32::MIN),
                Expr::I32(-1),
                "i32.or",
                Expr::I32(1),
            ),
            _ => (
                &I64_DIVISION,
                Expr::I64(i64::MIN),
                Expr::I64(-1),
                "i64.or",
                Expr::I64(1),
            ),
        };
        let by_zero = (0..division.len(), by_ty(e, ty), zero_at(ty))
            .prop_map(move |(i, x, d)| Expr::Op(&division[i], vec![x, d]))
            .boxed();
        let overflow = (counter(), 5i32..150, by_ty(e, ty), by_ty(e, ty))
            .prop_map(move |(c, k, x, y)| {
                let at_k = || op2("i32.eq", Expr::Get(c), Expr::I32(k));
                Expr::Op(
                    &division[0],
                    vec![
                        Expr::Select(Box::new([min.clone(), x, at_k()])),
                        Expr::Select(Box::new([
                            minus_one.clone(),
                            op2(or, y, one.clone()),
                            at_k(),
                        ])),
                    ],
                )
            })
            .boxed();
        arms.push((2, by_zero));
        arms.push((1, overflow));
    }
    let (f32s, f64s) = (by_ty(e, F32), by_ty(e, F64));
    arms.push((1, trapping_trunc(&F32_TRUNC_I32, F32, I32, f32s.clone())));
    arms.push((1, trapping_trunc(&F64_TRUNC_I32, F64, I32, f64s.clone())));
    arms.push((1, trapping_trunc(&F32_TRUNC_I64, F32, I64, f32s)));
    arms.push((1, trapping_trunc(&F64_TRUNC_I64, F64, I64, f64s)));
    pick(arms)
}

/// A trapping float-to-int conversion (`ops`: the signed one, then the unsigned one) of
/// an operand that is raw, kept in range, a loop counter scaled so the conversion
/// overflows part-way through the loop, or that turns NaN at an iteration.
fn trapping_trunc(
    ops: &'static [OpDef],
    from: Ty,
    to: Ty,
    sub: BoxedStrategy<Expr>,
) -> BoxedStrategy<Expr> {
    let t = from.name();
    let float = move |v: f64| float_const(from, v);
    // Counter times scale leaves the signed or unsigned range at iterations 40 to 620.
    let scales: &'static [f64] = match to {
        I32 => &[0.5, 1.0e7, 2.5e7, 5.0e7],
        _ => &[0.5, 1.0e17, 3.0e16, 2.0e17],
    };
    let scaled = (counter(), select(scales))
        .prop_map(move |(c, scale)| {
            let c = op1(&format!("{t}.convert_i32_u"), Expr::Get(c));
            op2(&format!("{t}.mul"), c, float(scale))
        })
        .boxed();
    let nan_at = (counter(), 5i32..150, scaled.clone())
        .prop_map(move |(c, k, x)| {
            let at_k = op2("i32.eq", Expr::Get(c), Expr::I32(k));
            Expr::Select(Box::new([float(f64::NAN), x, at_k]))
        })
        .boxed();
    let mut arms = Vec::new();
    for (k, low) in [(0, -1.0e9), (1, -1.0)] {
        // Outside (low, 1e9), NaN included, the operand becomes 0: no trap.
        let guarded = sub
            .clone()
            .prop_map(move |x| {
                let above = op2(&format!("{t}.gt"), x.clone(), float(low));
                let below = op2(&format!("{t}.lt"), x.clone(), float(1.0e9));
                Expr::Select(Box::new([x, float(0.0), op2("i32.and", above, below)]))
            })
            .boxed();
        let operand = pick(vec![
            (1, sub.clone()),
            (2, guarded),
            (2, scaled.clone()),
            (2, nan_at.clone()),
        ]);
        arms.push((1, unary(&ops[k..=k], operand)));
    }
    arms.push((2, checked_trunc(ops, from, to, sub, nan_at)));
    pick(arms)
}

/// The constant `v` of float type `ty`.
fn float_const(ty: Ty, v: f64) -> Expr {
    match ty {
        F32 => Expr::F32((v as f32).to_bits()),
        _ => Expr::F64(v.to_bits()),
    }
}

/// A conversion behind the check compilers put around it, `|x| < K` (signed) or
/// `x < K && x >= lo` (unsigned): with K at the conversion's bound, just past it (the
/// check then admits values that trap) or well inside, and lo 0, -1 or -2 (which admits
/// values that trap). Otherwise 0.
fn checked_trunc(
    ops: &'static [OpDef],
    from: Ty,
    to: Ty,
    sub: BoxedStrategy<Expr>,
    nan_at: BoxedStrategy<Expr>,
) -> BoxedStrategy<Expr> {
    let t = from.name();
    let float = move |v: f64| float_const(from, v);
    let (bounds, zero) = match to {
        I32 => ([2147483648.0, 4294967296.0], Expr::I32(0)),
        _ => (
            [9223372036854775808.0, 18446744073709551616.0],
            Expr::I64(0),
        ),
    };
    // The counter times a power of two lands on the signed bound at 64 and on the
    // unsigned one at 128, or (negative) on -1, just inside the unsigned bound, at 4.
    let scales: &'static [f64] = match to {
        I32 => &[33554432.0, -33554432.0, -0.25],
        _ => &[144115188075855872.0, -144115188075855872.0, -0.25],
    };
    let stepped = (counter(), select(scales)).prop_map(move |(c, scale)| {
        let c = op1(&format!("{t}.convert_i32_u"), Expr::Get(c));
        op2(&format!("{t}.mul"), c, float(scale))
    });
    let operand = pick(vec![(1, sub), (4, stepped.boxed()), (1, nan_at)]);
    let factors: &'static [f64] = &[1.0, 1.0 + 1.0 / 1048576.0, 0.5];
    let lows: &'static [f64] = &[0.0, -1.0, -2.0];
    (operand, 0..2usize, select(factors), select(lows))
        .prop_map(move |(x, k, factor, low)| {
            let limit = float(bounds[k] * factor);
            let below = op2(&format!("{t}.lt"), x.clone(), limit.clone());
            let check = if k == 0 {
                op2(
                    &format!("{t}.lt"),
                    op1(&format!("{t}.abs"), x.clone()),
                    limit,
                )
            } else if low == 0.0 {
                op2(
                    "i32.and",
                    below,
                    op2(&format!("{t}.ge"), x.clone(), float(low)),
                )
            } else {
                op2(
                    "i32.and",
                    below,
                    op2(&format!("{t}.gt"), x.clone(), float(low)),
                )
            };
            Expr::Cond(Box::new([Expr::Op(&ops[k], vec![x]), zero.clone(), check]))
        })
        .boxed()
}

/// A shift by a constant added to another value or to a constant, on either side: the
/// interpreter runs the two as one instruction (a scaled sum).
fn scaled_sum(s: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    const SHIFTS: &[i32] = &[1, 2, 3, 4, 31, 35];
    let addend = pick(vec![
        (2, s.clone()),
        (1, any::<i32>().prop_map(Expr::I32).boxed()),
    ]);
    (s, select(SHIFTS), addend, any::<bool>())
        .prop_map(|(x, k, y, left)| {
            let shifted = op2("i32.shl", x, Expr::I32(k));
            if left {
                op2("i32.add", shifted, y)
            } else {
                op2("i32.add", y, shifted)
            }
        })
        .boxed()
}

/// A memory address: mostly masked into the first page, or a counter times a stride
/// (which may leave the memory part-way through a loop), or the sum of both, or
/// anything.
fn address(sub: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    const MASKS: &[i32] = &[0xff, 0x3ff, 0xfff, 0xfff8, 0xffff];
    const STRIDES: &[i32] = &[1, 2, 4, 8, 12, 64, 256, 1024];
    const BASES: &[i32] = &[0, 0, 0, 16, 16, 1000, 1000, 32768];
    let scaled = (counter(), select(STRIDES))
        .prop_map(|(c, s)| op2("i32.mul", Expr::Get(c), Expr::I32(s)))
        .boxed();
    let masked = (pick(vec![(1, scaled), (1, sub.clone())]), select(MASKS))
        .prop_map(|(e, m)| op2("i32.and", e, Expr::I32(m)))
        .boxed();
    let strided = (counter(), select(STRIDES), select(BASES))
        .prop_map(|(c, s, b)| {
            op2(
                "i32.add",
                Expr::I32(b),
                op2("i32.mul", Expr::Get(c), Expr::I32(s)),
            )
        })
        .boxed();
    let field = (counter(), select(STRUCT_SIZES), select(FIELDS))
        .prop_map(|(c, size, f)| field(c, size, f))
        .boxed();
    // A base and a scaled index, both computed: an `i32.add` of two slots, which a load
    // takes fused with it.
    let summed = (masked.clone(), counter(), select(STRIDES))
        .prop_map(|(base, c, s)| op2("i32.add", base, op2("i32.mul", Expr::Get(c), Expr::I32(s))))
        .boxed();
    pick(vec![
        (40, masked),
        (20, strided),
        (15, field),
        (15, summed),
        (1, sub),
    ])
}

/// Structs in memory: sizes and field offsets. Large structs run out of memory part-way
/// through an array of them, between one field and the next too.
const STRUCT_SIZES: &[i32] = &[24, 56, 1000, 4100];
const FIELDS: &[i32] = &[0, 8, 20, 48, 1000, 3000];

/// The address of field `f` of struct number `c` of `size` bytes: `c * size + f`.
fn field(c: Var, size: i32, f: i32) -> Expr {
    op2(
        "i32.add",
        op2("i32.mul", Expr::Get(c), Expr::I32(size)),
        Expr::I32(f),
    )
}

fn offset() -> BoxedStrategy<u32> {
    prop_oneof![
        120 => Just(0u32),
        60 => select(vec![1u32, 2, 3, 4, 7, 8, 16, 100, 1000, 4096]),
        1 => select(vec![65535u32, 70000]),
    ]
    .boxed()
}

/// `p.f1 = p.f2 + p.f3` for struct `p` (see [`field`]), in varied widths: loads and a
/// store off one base at constant offsets, which share one bounds check.
fn fields() -> BoxedStrategy<Stmt> {
    let f = || select(FIELDS);
    let widths = (0..I32_LOADS.len(), 0..I32_LOADS.len(), 0..3usize);
    (counter(), select(STRUCT_SIZES), (f(), f(), f()), widths)
        .prop_map(|(c, size, (f1, f2, f3), (l2, l3, s1))| {
            let load = |op: &'static MemOp, f| Expr::Load {
                op,
                offset: 0,
                align1: false,
                addr: Box::new(field(c, size, f)),
            };
            Stmt::Store {
                op: &STORES[s1],
                offset: 0,
                align1: false,
                addr: field(c, size, f1),
                value: op2(
                    "i32.add",
                    load(&I32_LOADS[l2], f2),
                    load(&I32_LOADS[l3], f3),
                ),
            }
        })
        .boxed()
}

/// The stores, each with a load of its width: a copy in memory.
static COPIES: [(&MemOp, &MemOp); 14] = [
    (&STORES[0], &I32_LOADS[0]),
    (&STORES[1], &I32_LOADS[1]),
    (&STORES[1], &I32_LOADS[2]),
    (&STORES[2], &I32_LOADS[3]),
    (&STORES[2], &I32_LOADS[4]),
    (&STORES[3], &I64_LOADS[0]),
    (&STORES[4], &I64_LOADS[1]),
    (&STORES[4], &I64_LOADS[2]),
    (&STORES[5], &I64_LOADS[3]),
    (&STORES[5], &I64_LOADS[4]),
    (&STORES[6], &I64_LOADS[5]),
    (&STORES[6], &I64_LOADS[6]),
    (&STORES[7], &F32_LOADS[0]),
    (&STORES[8], &F64_LOADS[0]),
];

/// `*q = *p` at one width: the store of a value just loaded, which the interpreter runs
/// as one instruction (a copy in memory).
fn copies(to: BoxedStrategy<Expr>, from: BoxedStrategy<Expr>) -> BoxedStrategy<Stmt> {
    (0..COPIES.len(), offset(), offset(), to, from)
        .prop_map(|(k, offset, from_offset, addr, from)| {
            let (op, load) = COPIES[k];
            Stmt::Store {
                op,
                offset,
                align1: false,
                addr,
                value: Expr::Load {
                    op: load,
                    offset: from_offset,
                    align1: false,
                    addr: Box::new(from),
                },
            }
        })
        .boxed()
}

/// The second loads of a load from a pointer that the interpreter fuses (`*LoadPtr`).
static POINTER_I32_LOADS: [&MemOp; 2] = [&I32_LOADS[0], &I32_LOADS[2]];
static POINTER_I64_LOADS: [&MemOp; 1] = [&I64_LOADS[0]];

/// A load from a pointer just loaded (`**p`, `p->q->x`), which the interpreter runs as
/// one instruction when the second load is one of `ops`. The memory is mostly zeroes, so
/// the pointer is often 0 (in bounds) and otherwise data, often past the end.
fn pointer_load(ops: &'static [&'static MemOp], sub32: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    (0..ops.len(), offset(), offset(), address(sub32))
        .prop_map(move |(i, offset, ptr_offset, addr)| Expr::Load {
            op: ops[i],
            offset,
            align1: false,
            addr: Box::new(Expr::Load {
                op: &I32_LOADS[0],
                offset: ptr_offset,
                align1: false,
                addr: Box::new(addr),
            }),
        })
        .boxed()
}

/// Two steps in a row, `x = a + k; y = b + k2` (in an `if` that always runs, to be one
/// statement), the second maybe reading the first's result: the interpreter runs them as
/// one instruction when both constants fit 16 bits.
fn steps() -> BoxedStrategy<Stmt> {
    let operand = || one_of(&[Var::X32, Var::Y32, Var::I, Var::J]);
    let k = || prop_oneof![-40i32..40, Just(32767), Just(-32768), Just(40000)];
    (prop::bool::ANY, operand(), k(), operand(), k())
        .prop_map(|(swap, a, k, b, k2)| {
            let [mut x, mut y] = [Var::X32, Var::Y32];
            if swap {
                std::mem::swap(&mut x, &mut y);
            }
            let step = |v, k| op2("i32.add", Expr::Get(v), Expr::I32(k));
            let body = vec![Stmt::Set(x, step(a, k)), Stmt::Set(y, step(b, k2))];
            Stmt::If(Expr::I32(1), body, Vec::new())
        })
        .boxed()
}

fn load(ops: &'static [MemOp], sub32: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    (
        0..ops.len(),
        offset(),
        prop::bool::weighted(0.2),
        address(sub32),
    )
        .prop_map(move |(i, offset, align1, addr)| Expr::Load {
            op: &ops[i],
            offset,
            align1,
            addr: Box::new(addr),
        })
        .boxed()
}

/// A branch condition: a counter against a threshold inside the trip range (so the
/// direction changes part-way), a bit test on a counter, a test on loaded data, or any
/// `i32`.
fn condition(sub32: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    const CMPS: &[&str] = &[
        "i32.gt_u", "i32.gt_s", "i32.lt_u", "i32.ge_u", "i32.le_s", "i32.eq", "i32.ne",
    ];
    let threshold = (select(CMPS), counter(), 0i32..300)
        .prop_map(|(cmp, c, k)| op2(cmp, Expr::Get(c), Expr::I32(k)))
        .boxed();
    let bits = (counter(), select(vec![1i32, 2, 3, 7, 16]))
        .prop_map(|(c, m)| op2("i32.and", Expr::Get(c), Expr::I32(m)))
        .boxed();
    let data = (
        pick(vec![(2, get_counter()), (1, sub32.clone())]),
        0i32..256,
    )
        .prop_map(|(a, k)| {
            op2(
                "i32.lt_u",
                Expr::Load {
                    op: &I32_LOADS[2],
                    offset: 0,
                    align1: false,
                    addr: Box::new(op2("i32.and", a, Expr::I32(0x3ff))),
                },
                Expr::I32(k),
            )
        })
        .boxed();
    pick(vec![(3, threshold), (2, bits), (2, data), (2, sub32)])
}

/// A `call_indirect` index: one target, a target that changes at an iteration
/// (monomorphic, then polymorphic), cycling targets, data-dependent targets, an index that
/// turns bad part-way (out of range, null, wrong signature), or anything.
fn table_index(sub32: BoxedStrategy<Expr>) -> BoxedStrategy<Expr> {
    let switch_at = |to: BoxedStrategy<i32>| {
        (counter(), 0i32..150, 0i32..4, to)
            .prop_map(|(c, at, from, to)| {
                Expr::Select(Box::new([
                    Expr::I32(to),
                    Expr::I32(from),
                    op2("i32.gt_u", Expr::Get(c), Expr::I32(at)),
                ]))
            })
            .boxed()
    };
    let cycle = (counter(), select(vec![1i32, 3]))
        .prop_map(|(c, m)| op2("i32.and", Expr::Get(c), Expr::I32(m)))
        .boxed();
    let data = sub32
        .clone()
        .prop_map(|e| op2("i32.rem_u", e, Expr::I32(4)))
        .boxed();
    pick(vec![
        (6, (0i32..4).prop_map(Expr::I32).boxed()),
        (6, switch_at((0i32..4).boxed())),
        (4, cycle),
        (2, data),
        (8, switch_at(select(vec![4i32, 4, 5, 5, 6, -1]).boxed())),
        (1, sub32),
    ])
}

/// Expression strategies for `level`, `depth` operators deep at most.
fn exprs(level: Level, depth: usize) -> Exprs {
    let mut cur = leaves();
    for _ in 0..depth {
        let [s32, s64, sf32, sf64] = cur.clone();
        let [l32, l64, lf32, lf64] = leaves();
        let select_of = |s: BoxedStrategy<Expr>| {
            let abc = (s.clone(), s, condition(s32.clone()));
            let select = abc
                .clone()
                .prop_map(|(a, b, c)| Expr::Select(Box::new([a, b, c])));
            let cond = abc
                .clone()
                .prop_map(|(a, b, c)| Expr::Cond(Box::new([a, b, c])));
            let exit = abc.prop_map(|(a, b, c)| Expr::Exit(Box::new([a, b, c])));
            pick(vec![
                (2, select.boxed()),
                (1, cond.boxed()),
                (1, exit.boxed()),
            ])
        };
        let tee = |ty: Ty, s: BoxedStrategy<Expr>| {
            (one_of(Var::scratch(ty)), s)
                .prop_map(|(v, e)| Expr::Tee(v, Box::new(e)))
                .boxed()
        };

        let mut e32 = vec![
            (8, l32),
            (6, unary(&I32_UNARY, s32.clone())),
            (12, binary(&I32_BINARY, s32.clone(), s32.clone())),
            (
                2,
                binary(&I32_DIVISION, s32.clone(), divisor(I32, s32.clone())),
            ),
            (1, unary(&I64_EQZ, s64.clone())),
            (
                1,
                s32.clone()
                    .prop_map(|e| Expr::RefIsNull(Box::new(e)))
                    .boxed(),
            ),
            (3, binary(&I64_COMPARE, s64.clone(), s64.clone())),
            (2, binary(&F32_COMPARE, sf32.clone(), sf32.clone())),
            (2, binary(&F64_COMPARE, sf64.clone(), sf64.clone())),
            (2, unary(&I64_TO_I32, s64.clone())),
            (2, unary(&F32_TO_I32, sf32.clone())),
            (2, unary(&F64_TO_I32, sf64.clone())),
            (1, trapping_trunc(&F32_TRUNC_I32, F32, I32, sf32.clone())),
            (1, trapping_trunc(&F64_TRUNC_I32, F64, I32, sf64.clone())),
            (6, load(&I32_LOADS, s32.clone())),
            (2, pointer_load(&POINTER_I32_LOADS, s32.clone())),
            (3, scaled_sum(s32.clone())),
            (2, select_of(s32.clone())),
            (2, tee(I32, s32.clone())),
            (
                1,
                select(vec![0i32, 1, 2])
                    .prop_map(|d| Expr::MemoryGrow(Box::new(Expr::I32(d))))
                    .boxed(),
            ),
        ];
        let mut e64 = vec![
            (8, l64),
            (4, unary(&I64_UNARY, s64.clone())),
            (12, binary(&I64_BINARY, s64.clone(), s64.clone())),
            (
                2,
                binary(&I64_DIVISION, s64.clone(), divisor(I64, s64.clone())),
            ),
            (4, unary(&I32_TO_I64, s32.clone())),
            (2, unary(&F32_TO_I64, sf32.clone())),
            (2, unary(&F64_TO_I64, sf64.clone())),
            (1, trapping_trunc(&F32_TRUNC_I64, F32, I64, sf32.clone())),
            (1, trapping_trunc(&F64_TRUNC_I64, F64, I64, sf64.clone())),
            (6, load(&I64_LOADS, s32.clone())),
            (1, pointer_load(&POINTER_I64_LOADS, s32.clone())),
            (2, select_of(s64.clone())),
            (2, tee(I64, s64.clone())),
        ];
        let ef32 = vec![
            (8, lf32),
            (5, unary(&F32_UNARY, sf32.clone())),
            (10, binary(&F32_BINARY, sf32.clone(), sf32.clone())),
            (3, unary(&I32_TO_F32, s32.clone())),
            (2, unary(&I64_TO_F32, s64.clone())),
            (1, unary(&F64_TO_F32, sf64.clone())),
            (3, load(&F32_LOADS, s32.clone())),
            (2, select_of(sf32.clone())),
            (2, tee(F32, sf32.clone())),
        ];
        let ef64 = vec![
            (8, lf64),
            (5, unary(&F64_UNARY, sf64.clone())),
            (10, binary(&F64_BINARY, sf64.clone(), sf64.clone())),
            (3, unary(&I32_TO_F64, s32.clone())),
            (2, unary(&I64_TO_F64, s64.clone())),
            (1, unary(&F32_TO_F64, sf32.clone())),
            (3, load(&F64_LOADS, s32.clone())),
            (2, select_of(sf64.clone())),
            (2, tee(F64, sf64.clone())),
        ];
        if level >= Level::Helper {
            let call = |callee: Callee, args: Vec<BoxedStrategy<Expr>>| {
                args.prop_map(move |args| Expr::Call(callee, args)).boxed()
            };
            e32.push((
                5,
                (table_index(s32.clone()), s32.clone())
                    .prop_map(|(index, arg)| Expr::CallIndirect {
                        index: Box::new(index),
                        arg: Box::new(arg),
                    })
                    .boxed(),
            ));
            e32.push((
                2,
                (0u8..4, s32.clone())
                    .prop_map(|(t, a)| Expr::Call(Callee::Table(t), vec![a]))
                    .boxed(),
            ));
            e64.push((4, call(Callee::Mix, vec![s32.clone(), s64.clone()])));
            e64.push((2, call(Callee::Leaf, vec![s32.clone(), s64.clone()])));
            if level == Level::Main {
                e32.push((2, call(Callee::Looper, vec![s32.clone()])));
                e64.push((2, call(Callee::Rec, vec![s32.clone(), s64.clone()])));
            }
        }
        cur = [pick(e32), pick(e64), pick(ef32), pick(ef64)];
    }
    cur
}

/// Statement strategies of one level.
struct Stmts {
    level: Level,
    /// Expressions for statement operands.
    e: Exprs,
    /// Shallower expressions, for conditions and addresses.
    small: Exprs,
}

impl Stmts {
    fn new(level: Level) -> Stmts {
        Stmts {
            level,
            e: exprs(level, 2),
            small: exprs(level, 1),
        }
    }

    fn cond(&self) -> BoxedStrategy<Expr> {
        condition(by_ty(&self.small, I32))
    }

    /// A condition to leave a loop on: mostly true only late in the loop, so most loops
    /// run long before they leave.
    fn exit_cond(&self) -> BoxedStrategy<Expr> {
        let late = (select(vec!["i32.gt_u", "i32.eq"]), counter(), 20i32..300)
            .prop_map(|(cmp, c, k)| op2(cmp, Expr::Get(c), Expr::I32(k)))
            .boxed();
        let rare = (counter(), select(vec![31i32, 63, 127]))
            .prop_map(|(c, m)| {
                op2(
                    "i32.eq",
                    op2("i32.and", Expr::Get(c), Expr::I32(m)),
                    Expr::I32(m),
                )
            })
            .boxed();
        pick(vec![(4, late), (2, rare), (1, self.cond())])
    }

    /// `(var, expr)` of one type, for each type.
    fn typed(&self, vars: fn(Ty) -> &'static [Var]) -> BoxedStrategy<(Var, Expr)> {
        let arms = [I32, I64, F32, F64]
            .into_iter()
            .map(|ty| (1, (one_of(vars(ty)), by_ty(&self.e, ty)).boxed()))
            .collect();
        pick(arms)
    }

    fn len(&self) -> BoxedStrategy<Expr> {
        prop_oneof![
            3 => select(vec![0i32, 1, 7, 64, 300, 4096]).prop_map(Expr::I32),
            1 => by_ty(&self.small, I32).prop_map(|e| op2("i32.and", e, Expr::I32(0xff))),
        ]
        .boxed()
    }

    /// Statements without nested statements.
    fn simple(&self) -> BoxedStrategy<Stmt> {
        let addr = || address(by_ty(&self.small, I32));
        let store = pick(
            STORES
                .iter()
                .map(|op| {
                    let value = by_ty(&self.e, op.ty);
                    let store = (offset(), prop::bool::weighted(0.2), addr(), value).prop_map(
                        move |(offset, align1, addr, value)| Stmt::Store {
                            op,
                            offset,
                            align1,
                            addr,
                            value,
                        },
                    );
                    (1, store.boxed())
                })
                .collect(),
        );
        let global_set = pick(
            [I32, I64, F32, F64]
                .into_iter()
                .map(|ty| {
                    let set =
                        by_ty(&self.e, ty).prop_map(move |v| Stmt::GlobalSet(Glob::mutable(ty), v));
                    (1, set.boxed())
                })
                .collect(),
        );
        let any_expr = pick(self.e.iter().map(|s| (1, s.clone())).collect::<Vec<_>>());
        let mut arms = vec![
            (
                4,
                late_trap(&self.small)
                    .prop_map(|e| match e.ty() {
                        I32 => Stmt::Acc(Var::Y32, e),
                        _ => Stmt::Acc(Var::Y64, e),
                    })
                    .boxed(),
            ),
            (
                6,
                self.typed(Var::scratch)
                    .prop_map(|(v, e)| Stmt::Acc(v, e))
                    .boxed(),
            ),
            (
                3,
                self.typed(Var::scratch)
                    .prop_map(|(v, e)| Stmt::Set(v, e))
                    .boxed(),
            ),
            (3, global_set),
            (6, store),
            (1, any_expr.prop_map(Stmt::Drop).boxed()),
            (
                1,
                (by_ty(&self.e, I32), prop::option::weighted(0.8, 0u8..4))
                    .prop_map(|(index, func)| Stmt::TableSet { index, func })
                    .boxed(),
            ),
            (
                2,
                (0u8..3, self.exit_cond())
                    .prop_map(|(outer, cond)| Stmt::Break { outer, cond })
                    .boxed(),
            ),
            (
                1,
                (0u8..3, self.cond())
                    .prop_map(|(outer, cond)| Stmt::Continue { outer, cond })
                    .boxed(),
            ),
            (
                1,
                self.exit_cond()
                    .prop_map(|cond| Stmt::Return { cond })
                    .boxed(),
            ),
            (
                1,
                (addr(), by_ty(&self.small, I32), self.len())
                    .prop_map(|(dst, val, len)| Stmt::Fill { dst, val, len })
                    .boxed(),
            ),
            (
                1,
                (addr(), addr(), self.len())
                    .prop_map(|(dst, src, len)| Stmt::Copy { dst, src, len })
                    .boxed(),
            ),
        ];
        arms.push((2, self.recompute()));
        arms.push((2, fields()));
        arms.push((2, copies(addr(), addr())));
        arms.push((2, steps()));
        if self.level >= Level::Helper {
            // Calls through the table and to the host, in every other loop body.
            let small32 = by_ty(&self.small, I32);
            arms.push((
                3,
                (table_index(small32.clone()), small32)
                    .prop_map(|(index, arg)| {
                        let call = Expr::CallIndirect {
                            index: Box::new(index),
                            arg: Box::new(arg),
                        };
                        Stmt::Acc(Var::X32, call)
                    })
                    .boxed(),
            ));
            arms.push((
                1,
                (by_ty(&self.small, I32), by_ty(&self.small, I64))
                    .prop_map(|(a, b)| Stmt::Acc(Var::X64, Expr::Call(Callee::Mix, vec![a, b])))
                    .boxed(),
            ));
        }
        pick(arms)
    }

    /// `y ⊕= x + k; x = e; y ⊕= x + k` (in an `if` that always runs, to be one
    /// statement): the same computation from a variable's value at the top of an
    /// iteration and from the value it ends the iteration with. In a loop, LOOP once
    /// reused the second, from the recorded iteration, for the first in later ones.
    fn recompute(&self) -> BoxedStrategy<Stmt> {
        let arms = [I32, I64, F32, F64]
            .into_iter()
            .map(|ty| {
                let (add, k) = match ty {
                    I32 => ("i32.add", Expr::I32(1)),
                    I64 => ("i64.add", Expr::I64(-4)),
                    F32 => ("f32.add", Expr::F32(1.5f32.to_bits())),
                    F64 => ("f64.add", Expr::F64(0.25f64.to_bits())),
                };
                let shape = (prop::bool::ANY, by_ty(&self.e, ty)).prop_map(move |(swap, e)| {
                    let [mut x, mut y] = [Var::scratch(ty)[0], Var::scratch(ty)[1]];
                    if swap {
                        std::mem::swap(&mut x, &mut y);
                    }
                    let f = || op2(add, Expr::Get(x), k.clone());
                    let body = vec![Stmt::Acc(y, f()), Stmt::Set(x, e), Stmt::Acc(y, f())];
                    Stmt::If(Expr::I32(1), body, Vec::new())
                });
                (1, shape.boxed())
            })
            .collect();
        pick(arms)
    }

    /// A simple statement, or a loop if `depth` allows.
    fn flat(&self, depth: usize) -> BoxedStrategy<Stmt> {
        if depth == 0 {
            return self.simple();
        }
        pick(vec![
            (4, self.simple()),
            (
                1,
                self.a_loop(depth)
                    .prop_map(|l| Stmt::Loop(Box::new(l)))
                    .boxed(),
            ),
        ])
    }

    /// Any statement; loops nest at most `depth` deep.
    fn stmt(&self, depth: usize) -> BoxedStrategy<Stmt> {
        let flat = self.flat(depth);
        let target = prop_oneof![
            6 => (0u8..4).prop_map(Target::Arm),
            1 => Just(Target::Break),
            1 => Just(Target::Continue),
        ];
        let index = pick(vec![
            (
                2,
                (counter(), 2i32..6)
                    .prop_map(|(c, n)| op2("i32.rem_u", Expr::Get(c), Expr::I32(n)))
                    .boxed(),
            ),
            (
                2,
                (counter(), 3i32..7)
                    .prop_map(|(c, n)| op2("i32.shr_u", Expr::Get(c), Expr::I32(n)))
                    .boxed(),
            ),
            (1, by_ty(&self.small, I32)),
        ]);
        let switch = (
            index,
            vec(target.clone(), 0..6),
            target,
            vec(vec(flat.clone(), 0..3), 1..4),
        )
            .prop_map(|(index, targets, default, arms)| {
                Stmt::Switch(Box::new(Switch {
                    index,
                    targets,
                    default,
                    arms,
                }))
            })
            .boxed();
        let if_ = (self.cond(), vec(flat.clone(), 0..4), vec(flat, 0..3))
            .prop_map(|(c, t, e)| Stmt::If(c, t, e))
            .boxed();
        let mut arms = vec![(10, self.simple()), (3, if_), (1, switch)];
        if depth > 0 {
            arms.push((
                3,
                self.a_loop(depth)
                    .prop_map(|l| Stmt::Loop(Box::new(l)))
                    .boxed(),
            ));
        }
        pick(arms)
    }

    fn trips(&self) -> BoxedStrategy<Trips> {
        let limit = prop_oneof![
            Just(Expr::Get(Var::A)),
            Just(Expr::GlobalGet(Glob::G32)),
            Just(Expr::Get(Var::X32)),
        ];
        prop_oneof![
            1 => Just(Trips::Const(0)),
            1 => Just(Trips::Const(1)),
            2 => (2u32..16).prop_map(Trips::Const),
            3 => (16u32..100).prop_map(Trips::Const),
            8 => (100u32..400).prop_map(Trips::Const),
            2 => (limit, select(vec![7u32, 63, 255])).prop_map(|(e, m)| Trips::Masked(e, m)),
        ]
        .boxed()
    }

    /// A loop whose body may nest `depth - 1` more loops.
    fn a_loop(&self, depth: usize) -> BoxedStrategy<Loop> {
        self.loop_with(self.trips(), depth)
    }

    fn loop_with(&self, trips: BoxedStrategy<Trips>, depth: usize) -> BoxedStrategy<Loop> {
        let style = prop_oneof![
            3 => Just(LoopStyle::BrIf),
            3 => Just(LoopStyle::TopExit),
            3 => Just(LoopStyle::CountDown),
            2 => Just(LoopStyle::RiseToZero),
        ];
        (style, trips, vec(self.stmt(depth - 1), 1..6))
            .prop_map(|(style, trips, body)| Loop { style, trips, body })
            .boxed()
    }

    fn body(&self, result: Ty) -> BoxedStrategy<Body> {
        (vec(self.simple(), 0..3), by_ty(&self.e, result))
            .prop_map(|(stmts, result)| Body { stmts, result })
            .boxed()
    }
}

fn program() -> BoxedStrategy<Program> {
    let pure = Stmts::new(Level::Pure);
    let helper = Stmts::new(Level::Helper);
    let main = Stmts::new(Level::Main);

    let looper = (
        vec(helper.simple(), 0..3),
        helper.loop_with(
            select(vec![7u32, 15, 31])
                .prop_map(|m| Trips::Masked(Expr::Get(Var::A), m))
                .boxed(),
            1,
        ),
        by_ty(&helper.e, I32),
    )
        .prop_map(|(pre, lp, result)| Looper { pre, lp, result });
    let small64 = by_ty(&helper.small, I64);
    let rec = (
        vec(helper.simple(), 0..2),
        small64.clone(),
        small64.clone(),
        small64,
        select(vec!["i64.add", "i64.xor", "i64.sub", "i64.mul"]),
        any::<bool>(),
    )
        .prop_map(|(pre, base, step, extra, combine, mutual)| Rec {
            pre,
            base,
            step,
            extra,
            combine,
            mutual,
        });
    let run = (
        vec(main.stmt(3), 0..3),
        main.a_loop(3),
        vec(main.stmt(3), 0..3),
    )
        .prop_map(|(mut before, lp, after)| {
            before.push(Stmt::Loop(Box::new(lp)));
            before.extend(after);
            before
        });
    let data = vec(
        (
            select(vec![0u32, 8, 256, 1000, 4096, 65000]),
            vec(any::<u8>(), 1..128),
        ),
        0..4,
    );
    (
        select(vec![1u32, 2, 3]),
        data,
        (i32_value(), i64_value(), f32_bits(), f64_bits()),
        vec(pure.body(I32), 4),
        pure.body(I64),
        by_ty(&pure.small, I64),
        looper,
        rec,
        run,
        vec(i32_value(), 2),
    )
        .prop_map(
            |(memory_max, data, globals, tables, leaf, wrong, looper, rec, run, args)| {
                fit_budget(Program {
                    memory_max,
                    data,
                    globals,
                    tables,
                    leaf,
                    wrong,
                    looper,
                    rec,
                    run,
                    args,
                })
            },
        )
        .boxed()
}

fn case() -> BoxedStrategy<Case> {
    (
        program(),
        select(HOTLOOPS.to_vec()),
        select(HOTEXITS.to_vec()),
        select(MAXTRACES.to_vec()),
        select(MAXPOLYS.to_vec()),
        select(CPUEXTS.to_vec()),
        select(BLINDS.to_vec()),
        select(BODYLINKS.to_vec()),
    )
        .prop_map(
            |(program, hotloop, hotexit, maxtrace, maxpoly, cpuext, blind, bodylink)| Case {
                program,
                jit: Jit {
                    hotloop,
                    hotexit,
                    maxtrace,
                    maxpoly,
                    cpuext,
                    blind,
                    bodylink,
                },
            },
        )
        .boxed()
}

// ---------------------------------------------------------------------------------------
// The iteration budget
// ---------------------------------------------------------------------------------------

/// Upper bound of the work one call of `run` may do, in AST nodes executed.
const RUN_BUDGET: u64 = 100_000;
/// The same for one call of the looper.
const LOOPER_BUDGET: u64 = 500;

/// Worst-case work of one call of each function.
struct Costs {
    tables: Vec<u64>,
    leaf: u64,
    looper: u64,
    /// One level of the recursion.
    rec: u64,
}

fn expr_cost(e: &Expr, c: &Costs) -> u64 {
    1 + match e {
        Expr::I32(_)
        | Expr::I64(_)
        | Expr::F32(_)
        | Expr::F64(_)
        | Expr::Get(_)
        | Expr::GlobalGet(_)
        | Expr::MemorySize => 0,
        Expr::Op(_, args) => args.iter().map(|a| expr_cost(a, c)).sum(),
        Expr::Load { addr, .. } => expr_cost(addr, c),
        Expr::Select(abc) | Expr::Cond(abc) | Expr::Exit(abc) => {
            abc.iter().map(|a| expr_cost(a, c)).sum()
        }
        Expr::Tee(_, e) | Expr::MemoryGrow(e) | Expr::RefIsNull(e) => expr_cost(e, c),
        Expr::Call(callee, args) => {
            args.iter().map(|a| expr_cost(a, c)).sum::<u64>()
                + match callee {
                    Callee::Mix => 4,
                    Callee::Leaf => c.leaf,
                    Callee::Table(t) => c.tables[usize::from(*t)],
                    Callee::Looper => c.looper,
                    Callee::Rec => 16 * c.rec,
                }
        }
        Expr::CallIndirect { index, arg } => {
            expr_cost(index, c) + expr_cost(arg, c) + c.tables.iter().max().unwrap()
        }
    }
}

fn stmts_cost(stmts: &[Stmt], c: &Costs) -> u64 {
    stmts.iter().map(|s| stmt_cost(s, c)).sum()
}

fn stmt_cost(s: &Stmt, c: &Costs) -> u64 {
    let len_cost = |len: &Expr| match len {
        Expr::I32(n) => *n as u64 / 64,
        _ => 4,
    };
    1 + match s {
        Stmt::Set(_, e)
        | Stmt::Acc(_, e)
        | Stmt::GlobalSet(_, e)
        | Stmt::Drop(e)
        | Stmt::TableSet { index: e, .. } => expr_cost(e, c),
        Stmt::Break { cond, .. } | Stmt::Continue { cond, .. } | Stmt::Return { cond } => {
            expr_cost(cond, c)
        }
        Stmt::Store { addr, value, .. } => expr_cost(addr, c) + expr_cost(value, c),
        Stmt::If(cond, t, e) => expr_cost(cond, c) + stmts_cost(t, c) + stmts_cost(e, c),
        Stmt::Loop(l) => loop_cost(l, c),
        Stmt::Switch(s) => {
            expr_cost(&s.index, c) + s.arms.iter().map(|a| stmts_cost(a, c)).sum::<u64>()
        }
        Stmt::Fill { dst, val, len } => {
            expr_cost(dst, c) + expr_cost(val, c) + expr_cost(len, c) + len_cost(len)
        }
        Stmt::Copy { dst, src, len } => {
            expr_cost(dst, c) + expr_cost(src, c) + expr_cost(len, c) + len_cost(len)
        }
    }
}

fn loop_cost(l: &Loop, c: &Costs) -> u64 {
    let limit = match &l.trips {
        Trips::Const(_) => 0,
        Trips::Masked(e, _) => expr_cost(e, c),
    };
    2 + limit + l.trips.bound() * (3 + stmts_cost(&l.body, c))
}

impl Program {
    fn costs(&self) -> Costs {
        let mut c = Costs {
            tables: vec![0; self.tables.len()],
            leaf: 0,
            looper: 0,
            rec: 0,
        };
        // Pure functions call nothing.
        c.tables = self
            .tables
            .iter()
            .map(|b| stmts_cost(&b.stmts, &c) + expr_cost(&b.result, &c))
            .collect();
        c.leaf = stmts_cost(&self.leaf.stmts, &c) + expr_cost(&self.leaf.result, &c);
        // Helpers call only pure functions and the host.
        let l = &self.looper;
        c.looper = stmts_cost(&l.pre, &c) + loop_cost(&l.lp, &c) + expr_cost(&l.result, &c);
        let r = &self.rec;
        c.rec = stmts_cost(&r.pre, &c)
            + expr_cost(&r.base, &c)
            + expr_cost(&r.step, &c)
            + expr_cost(&r.extra, &c)
            + 4;
        c
    }
}

/// Calls `f` on every loop in `stmts` (pre-order), with its nesting depth.
fn for_each_loop(stmts: &mut [Stmt], depth: usize, f: &mut dyn FnMut(&mut Loop, usize)) {
    for s in stmts {
        match s {
            Stmt::Loop(l) => {
                f(l, depth);
                for_each_loop(&mut l.body, depth + 1, f);
            }
            Stmt::If(_, t, e) => {
                for_each_loop(t, depth, f);
                for_each_loop(e, depth, f);
            }
            Stmt::Switch(s) => {
                for arm in &mut s.arms {
                    for_each_loop(arm, depth, f);
                }
            }
            _ => {}
        }
    }
}

/// Halves trip counts (the longest loop first, the innermost among equals) until the
/// worst case fits the budget.
fn fit_budget(mut p: Program) -> Program {
    while loop_cost(&p.looper.lp, &p.costs()) > LOOPER_BUDGET && p.looper.lp.trips.halve() {}
    while stmts_cost(&p.run, &p.costs()) > RUN_BUDGET {
        let mut best = None;
        let mut n = 0;
        for_each_loop(&mut p.run, 0, &mut |l, depth| {
            let key = (l.trips.bound(), depth);
            if key.0 > 1 && best.is_none_or(|(k, _)| key > k) {
                best = Some((key, n));
            }
            n += 1;
        });
        let Some((_, target)) = best else { break };
        let mut n = 0;
        for_each_loop(&mut p.run, 0, &mut |l, _| {
            if n == target {
                l.trips.halve();
            }
            n += 1;
        });
    }
    p
}

// ---------------------------------------------------------------------------------------
// Printing WAT
// ---------------------------------------------------------------------------------------

/// The WAT spelling of an `f32` constant, exact for every bit pattern.
fn f32_literal(bits: u32) -> String {
    let sign = if bits >> 31 != 0 { "-" } else { "" };
    let exp = (bits >> 23) & 0xff;
    let frac = bits & 0x7f_ffff;
    match exp {
        0xff if frac == 0 => format!("{sign}inf"),
        0xff => format!("{sign}nan:0x{frac:x}"),
        0 => format!("{sign}0x0.{:06x}p-126", frac << 1),
        _ => format!("{sign}0x1.{:06x}p{}", frac << 1, exp as i32 - 127),
    }
}

/// The WAT spelling of an `f64` constant, exact for every bit pattern.
fn f64_literal(bits: u64) -> String {
    let sign = if bits >> 63 != 0 { "-" } else { "" };
    let exp = (bits >> 52) & 0x7ff;
    let frac = bits & 0xf_ffff_ffff_ffff;
    match exp {
        0x7ff if frac == 0 => format!("{sign}inf"),
        0x7ff => format!("{sign}nan:0x{frac:x}"),
        0 => format!("{sign}0x0.{frac:013x}p-1022"),
        _ => format!("{sign}0x1.{frac:013x}p{}", exp as i64 - 1023),
    }
}

/// Whether a float expression's bits are deterministic even when they are a NaN: constants,
/// loads and reinterpretations are bit-exact, and so are `abs`, `neg` and `copysign` of
/// them; arithmetic may produce any NaN.
fn bit_exact(e: &Expr) -> bool {
    match e {
        Expr::F32(_) | Expr::F64(_) | Expr::Load { .. } => true,
        // Bit operations: the sign bit aside, the operand's bits, NaN payload included
        // (a `copysign`'s sign source is made exact where it is printed).
        Expr::Op(op, args)
            if [".abs", ".neg", ".copysign"]
                .iter()
                .any(|o| op.name.ends_with(o)) =>
        {
            bit_exact(&args[0])
        }
        Expr::Op(op, _) => matches!(op.name, "f32.reinterpret_i32" | "f64.reinterpret_i64"),
        _ => false,
    }
}

struct LoopLabels {
    exit: String,
    cont: String,
    cont_used: bool,
}

struct Printer {
    out: String,
    indent: usize,
    labels: usize,
    loops: Vec<LoopLabels>,
    /// What `return` returns in the function being printed (`None`: no `return`).
    results: Option<&'static str>,
}

/// What `$run` returns: every scratch variable.
const RUN_RESULTS: &str = "(local.get $x32) (local.get $y32) (local.get $x64) (local.get $y64) \
                           (local.get $xf32) (local.get $yf32) (local.get $xf64) (local.get $yf64)";

/// Locals besides the named variables: the trip limit of each nesting level, and the
/// temporaries of NaN canonicalization.
const HIDDEN_LOCALS: &str = "(local $n0 i32) (local $n1 i32) (local $n2 i32) \
                             (local $cf32 f32) (local $cf64 f64)";

impl Printer {
    fn new() -> Printer {
        Printer {
            out: String::new(),
            indent: 0,
            labels: 0,
            loops: Vec::new(),
            results: None,
        }
    }

    fn line(&mut self, text: &str) {
        self.out.push('\n');
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
    }

    fn label(&mut self, kind: &str) -> String {
        self.labels += 1;
        format!("${kind}{}", self.labels)
    }

    fn module(p: &Program) -> String {
        let mut w = Printer::new();
        w.line("(module");
        w.indent += 1;
        w.line("(type $sig (func (param i32) (result i32)))");
        w.line("(type $wrong_sig (func (param i64) (result i64)))");
        w.line(r#"(import "env" "mix" (func $mix (param i32 i64) (result i64)))"#);
        w.line(&format!(r#"(memory (export "mem") 1 {})"#, p.memory_max));
        let (g32, g64, gf32, gf64) = p.globals;
        w.line(&format!(
            r#"(global $g32 (export "g32") (mut i32) (i32.const {g32}))"#
        ));
        w.line(&format!(
            r#"(global $g64 (export "g64") (mut i64) (i64.const {g64}))"#
        ));
        w.line(&format!(
            r#"(global $gf32 (export "gf32") (mut f32) (f32.const {}))"#,
            f32_literal(gf32)
        ));
        w.line(&format!(
            r#"(global $gf64 (export "gf64") (mut f64) (f64.const {}))"#,
            f64_literal(gf64)
        ));
        w.line(r#"(global $c32 (export "c32") i32 (i32.const 12345))"#);
        // Entry 4 stays null; entry 5 has the wrong signature; 6 and up are out of range.
        w.line(r#"(table (export "tab") 6 6 funcref)"#);
        w.line("(elem (i32.const 0) func $t0 $t1 $t2 $t3)");
        w.line("(elem (i32.const 5) func $wrong)");
        for (offset, bytes) in &p.data {
            let mut s = format!("(data (i32.const {offset}) \"");
            for b in bytes {
                write!(s, "\\{b:02x}").unwrap();
            }
            s.push_str("\")");
            w.line(&s);
        }
        for (n, t) in p.tables.iter().enumerate() {
            w.func(
                &format!("$t{n} (type $sig) (param $a i32) (result i32)"),
                &[Var::A],
                |w| {
                    w.stmts(&t.stmts);
                    w.expr_line(&t.result);
                },
            );
        }
        w.func(
            "$wrong (type $wrong_sig) (param $b i64) (result i64)",
            &[Var::B],
            |w| w.expr_line(&p.wrong),
        );
        w.func(
            r#"$leaf (export "leaf") (param $a i32) (param $b i64) (result i64)"#,
            &[Var::A, Var::B],
            |w| {
                w.stmts(&p.leaf.stmts);
                w.expr_line(&p.leaf.result);
            },
        );
        w.func("$looper (param $a i32) (result i32)", &[Var::A], |w| {
            w.stmts(&p.looper.pre);
            w.a_loop(&p.looper.lp);
            w.expr_line(&p.looper.result);
        });
        w.func(
            "$rec (param $a i32) (param $b i64) (result i64)",
            &[Var::A, Var::B],
            |w| {
                let r = &p.rec;
                w.stmts(&r.pre);
                w.line("(if (result i64) (i32.le_s (local.get $a) (i32.const 0))");
                w.indent += 1;
                w.line("(then ");
                w.expr(&r.base);
                w.out.push(')');
                let callee = if r.mutual { "$rec2" } else { "$rec" };
                w.line(&format!(
                    "(else ({} (call {callee} (i32.sub (local.get $a) (i32.const 1)) ",
                    r.combine
                ));
                w.expr(&r.step);
                w.out.push_str(") ");
                w.expr(&r.extra);
                w.out.push_str(")))");
                w.indent -= 1;
            },
        );
        w.func(
            "$rec2 (param $a i32) (param $b i64) (result i64)",
            &[Var::A, Var::B],
            |w| {
                w.line("(i64.xor (call $rec (local.get $a) (local.get $b))");
                w.line("  (i64.extend_i32_s (local.get $a)))");
            },
        );
        w.func(
            r#"$run (export "run") (param $a i32) (result i32 i32 i64 i64 f32 f32 f64 f64)"#,
            &[Var::A],
            |w| {
                w.results = Some(RUN_RESULTS);
                w.stmts(&p.run);
                w.results = None;
                w.line(RUN_RESULTS);
            },
        );
        w.indent -= 1;
        w.line(")");
        w.out
    }

    fn func(&mut self, header: &str, params: &[Var], body: impl FnOnce(&mut Printer)) {
        self.line(&format!("(func {header}"));
        self.indent += 1;
        let mut locals = String::new();
        for v in Var::ALL.iter().filter(|v| !params.contains(v)) {
            write!(locals, "(local {} {}) ", v.name(), v.ty().name()).unwrap();
        }
        locals.push_str(HIDDEN_LOCALS);
        self.line(&locals);
        body(self);
        self.out.push(')');
        self.indent -= 1;
        assert!(self.loops.is_empty());
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn expr_line(&mut self, e: &Expr) {
        self.line("");
        self.expr(e);
    }

    /// The label of the enclosing loop `outer` levels out (modulo the nesting).
    fn enclosing(&mut self, outer: u8) -> Option<&mut LoopLabels> {
        let n = self.loops.len();
        if n == 0 {
            return None;
        }
        Some(&mut self.loops[n - 1 - usize::from(outer) % n])
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Set(v, e) => {
                self.line(&format!("(local.set {} ", v.name()));
                self.expr(e);
                self.out.push(')');
            }
            Stmt::Acc(v, e) => {
                let (x, ty) = (v.name(), v.ty());
                let mix = match ty {
                    I32 => format!("(i32.xor (i32.rotl (local.get {x}) (i32.const 5))"),
                    I64 => format!("(i64.add (i64.mul (local.get {x}) (i64.const 1099511628211))"),
                    F32 => format!("(f32.add (f32.mul (local.get {x}) (f32.const 0.5))"),
                    F64 => format!("(f64.add (f64.mul (local.get {x}) (f64.const 0.5))"),
                };
                self.line(&format!("(local.set {x} {mix} "));
                self.expr(e);
                self.out.push_str("))");
            }
            Stmt::GlobalSet(g, e) => {
                self.line(&format!("(global.set {} ", g.name()));
                self.expr(e);
                self.out.push(')');
            }
            Stmt::Store {
                op,
                offset,
                align1,
                addr,
                value,
            } => {
                self.line(&format!("({}{} ", op.name, memarg(*offset, *align1)));
                self.expr(addr);
                self.out.push(' ');
                self.exact(value);
                self.out.push(')');
            }
            Stmt::Drop(e) => {
                self.line("(drop ");
                self.expr(e);
                self.out.push(')');
            }
            Stmt::TableSet { index, func } => {
                self.line("(table.set (i32.and ");
                self.expr(index);
                match func {
                    Some(k) => write!(self.out, " (i32.const 7)) (ref.func $t{k}))").unwrap(),
                    None => self.out.push_str(" (i32.const 7)) (ref.null func))"),
                }
            }
            Stmt::If(cond, then, else_) => {
                self.line("(if ");
                self.expr(cond);
                self.indent += 1;
                self.line("(then");
                self.indent += 1;
                self.stmts(then);
                self.indent -= 1;
                self.out.push(')');
                if !else_.is_empty() {
                    self.line("(else");
                    self.indent += 1;
                    self.stmts(else_);
                    self.indent -= 1;
                    self.out.push(')');
                }
                self.indent -= 1;
                self.out.push(')');
            }
            Stmt::Loop(l) => self.a_loop(l),
            Stmt::Break { outer, cond } => match self.enclosing(*outer) {
                Some(l) => {
                    let exit = l.exit.clone();
                    self.line(&format!("(br_if {exit} "));
                    self.expr(cond);
                    self.out.push(')');
                }
                None => self.stmt(&Stmt::Drop(cond.clone())),
            },
            Stmt::Continue { outer, cond } => match self.enclosing(*outer) {
                Some(l) => {
                    l.cont_used = true;
                    let cont = l.cont.clone();
                    self.line(&format!("(br_if {cont} "));
                    self.expr(cond);
                    self.out.push(')');
                }
                None => self.stmt(&Stmt::Drop(cond.clone())),
            },
            Stmt::Return { cond } => match self.results {
                Some(results) => {
                    self.line("(if ");
                    self.expr(cond);
                    self.out.push_str(&format!(" (then (return {results})))"));
                }
                None => self.stmt(&Stmt::Drop(cond.clone())),
            },
            Stmt::Switch(s) => self.switch(s),
            Stmt::Fill { dst, val, len } => {
                self.line("(memory.fill ");
                self.expr(dst);
                self.out.push(' ');
                self.expr(val);
                self.out.push(' ');
                self.expr(len);
                self.out.push(')');
            }
            Stmt::Copy { dst, src, len } => {
                self.line("(memory.copy ");
                self.expr(dst);
                self.out.push(' ');
                self.expr(src);
                self.out.push(' ');
                self.expr(len);
                self.out.push(')');
            }
        }
    }

    fn a_loop(&mut self, l: &Loop) {
        let depth = self.loops.len();
        assert!(depth < 3, "loops nest at most three deep");
        let i = Var::COUNTERS[depth].name();
        let limit = match &l.trips {
            Trips::Const(n) => format!("(i32.const {n})"),
            Trips::Masked(e, mask) => {
                self.line(&format!("(local.set $n{depth} (i32.and "));
                self.expr(e);
                self.out.push_str(&format!(" (i32.const {mask})))"));
                format!("(local.get $n{depth})")
            }
        };
        let exit = self.label("exit");
        let head = self.label("loop");
        let cont = self.label("cont");
        // The body first, to learn whether anything continues to this loop.
        self.loops.push(LoopLabels {
            exit: exit.clone(),
            cont: cont.clone(),
            cont_used: false,
        });
        let outer = std::mem::take(&mut self.out);
        self.indent += 3;
        self.stmts(&l.body);
        self.indent -= 3;
        let body = std::mem::replace(&mut self.out, outer);
        let cont_used = self.loops.pop().unwrap().cont_used;
        let body = if cont_used {
            let pad = "  ".repeat(self.indent + 2);
            format!("\n{pad}(block {cont}{body})")
        } else {
            body
        };

        match l.style {
            LoopStyle::BrIf => {
                self.line(&format!("(local.set {i} (i32.const 0))"));
                self.line(&format!("(block {exit}"));
                self.indent += 1;
                if !matches!(l.trips, Trips::Const(n) if n > 0) {
                    self.line(&format!(
                        "(br_if {exit} (i32.ge_u (local.get {i}) {limit}))"
                    ));
                }
                self.line(&format!("(loop {head}"));
                self.out.push_str(&body);
                self.indent += 1;
                self.line(&format!(
                    "(br_if {head} (i32.lt_u (local.tee {i} (i32.add (local.get {i}) \
                     (i32.const 1))) {limit}))))"
                ));
                self.indent -= 2;
            }
            LoopStyle::TopExit => {
                self.line(&format!("(local.set {i} (i32.const 0))"));
                self.line(&format!("(block {exit} (loop {head}"));
                self.indent += 2;
                self.line(&format!(
                    "(br_if {exit} (i32.ge_u (local.get {i}) {limit}))"
                ));
                self.out.push_str(&body);
                self.line(&format!(
                    "(local.set {i} (i32.add (local.get {i}) (i32.const 1)))"
                ));
                self.line(&format!("(br {head})))"));
                self.indent -= 2;
            }
            LoopStyle::RiseToZero => {
                self.line(&format!("(local.set {i} (i32.sub (i32.const 0) {limit}))"));
                self.line(&format!("(block {exit}"));
                self.indent += 1;
                self.line(&format!("(br_if {exit} (i32.eqz (local.get {i})))"));
                self.line(&format!("(loop {head}"));
                self.out.push_str(&body);
                self.indent += 1;
                self.line(&format!(
                    "(br_if {head} (i32.ne (local.tee {i} (i32.add (local.get {i}) \
                     (i32.const 1))) (i32.const 0)))))"
                ));
                self.indent -= 2;
            }
            LoopStyle::CountDown => {
                self.line(&format!("(local.set {i} {limit})"));
                self.line(&format!("(block {exit} (loop {head}"));
                self.indent += 2;
                self.line(&format!("(br_if {exit} (i32.eqz (local.get {i})))"));
                self.line(&format!(
                    "(local.set {i} (i32.sub (local.get {i}) (i32.const 1)))"
                ));
                self.out.push_str(&body);
                self.line(&format!("(br {head})))"));
                self.indent -= 2;
            }
        }
    }

    fn switch(&mut self, s: &Switch) {
        let n = s.arms.len();
        let end = self.label("sw");
        let arms: Vec<String> = (0..n).map(|k| format!("{end}_{k}")).collect();
        let label = |t: Target, w: &mut Printer| -> String {
            match (t, w.loops.last_mut()) {
                (Target::Break, Some(l)) => l.exit.clone(),
                (Target::Continue, Some(l)) => {
                    l.cont_used = true;
                    l.cont.clone()
                }
                (Target::Arm(k), _) => arms[usize::from(k) % n].clone(),
                (_, None) => arms[0].clone(),
            }
        };
        let mut table = String::new();
        for &t in s.targets.iter().chain([&s.default]) {
            table.push_str(&label(t, self));
            table.push(' ');
        }
        self.line(&format!("(block {end}"));
        for (k, a) in arms.iter().enumerate().rev() {
            self.indent += 1;
            self.line(&format!("(block {a}"));
            if k == 0 {
                self.indent += 1;
                self.line(&format!("(br_table {table}"));
                self.expr(&s.index);
                self.out.push_str("))");
                self.indent -= 1;
            }
        }
        for (k, arm) in s.arms.iter().enumerate() {
            self.stmts(arm);
            if k + 1 < n {
                self.line(&format!("(br {end}))"));
            }
            self.indent -= 1;
        }
        self.out.push(')');
    }

    /// A float operand whose bits are observed: NaNs other than from exact sources become
    /// the canonical NaN.
    fn exact(&mut self, e: &Expr) {
        let ty = e.ty();
        if matches!(ty, I32 | I64) || bit_exact(e) {
            return self.expr(e);
        }
        let (t, tmp) = (ty.name(), format!("$c{}", ty.name()));
        self.out
            .push_str(&format!("(select ({t}.const nan) (local.tee {tmp} "));
        self.expr(e);
        self.out
            .push_str(&format!(") ({t}.ne (local.get {tmp}) (local.get {tmp})))"));
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::I32(v) => write!(self.out, "(i32.const {v})").unwrap(),
            Expr::I64(v) => write!(self.out, "(i64.const {v})").unwrap(),
            Expr::F32(b) => write!(self.out, "(f32.const {})", f32_literal(*b)).unwrap(),
            Expr::F64(b) => write!(self.out, "(f64.const {})", f64_literal(*b)).unwrap(),
            Expr::Get(v) => write!(self.out, "(local.get {})", v.name()).unwrap(),
            Expr::GlobalGet(g) => write!(self.out, "(global.get {})", g.name()).unwrap(),
            Expr::Op(op, args) => {
                write!(self.out, "({}", op.name).unwrap();
                for (k, a) in args.iter().enumerate() {
                    assert_eq!(a.ty(), op.args[k], "operand {k} of {}", op.name);
                    self.out.push(' ');
                    let observed = op.name.contains("reinterpret_f")
                        || (op.name.ends_with(".copysign") && k == 1);
                    if observed {
                        self.exact(a);
                    } else {
                        self.expr(a);
                    }
                }
                self.out.push(')');
            }
            Expr::Load {
                op,
                offset,
                align1,
                addr,
            } => {
                write!(self.out, "({}{} ", op.name, memarg(*offset, *align1)).unwrap();
                self.expr(addr);
                self.out.push(')');
            }
            Expr::Select(abc) => {
                self.out.push_str("(select");
                for x in abc.iter() {
                    self.out.push(' ');
                    self.expr(x);
                }
                self.out.push(')');
            }
            Expr::Cond(abc) => {
                let [a, b, cond] = &**abc;
                write!(self.out, "(if (result {}) ", a.ty().name()).unwrap();
                self.expr(cond);
                self.out.push_str(" (then ");
                self.expr(a);
                self.out.push_str(") (else ");
                self.expr(b);
                self.out.push_str("))");
            }
            Expr::Exit(abc) => {
                let [a, b, cond] = &**abc;
                write!(
                    self.out,
                    "(block (result {}) (drop (br_if 0 ",
                    a.ty().name()
                )
                .unwrap();
                self.expr(a);
                self.out.push(' ');
                self.expr(cond);
                self.out.push_str(")) ");
                self.expr(b);
                self.out.push(')');
            }
            Expr::Tee(v, e) => {
                write!(self.out, "(local.tee {} ", v.name()).unwrap();
                self.expr(e);
                self.out.push(')');
            }
            Expr::MemorySize => self.out.push_str("(memory.size)"),
            Expr::RefIsNull(e) => {
                self.out.push_str("(ref.is_null (table.get (i32.and ");
                self.expr(e);
                self.out.push_str(" (i32.const 7))))");
            }
            Expr::MemoryGrow(e) => {
                self.out.push_str("(memory.grow ");
                self.expr(e);
                self.out.push(')');
            }
            Expr::Call(callee, args) => {
                let name = match callee {
                    Callee::Mix => "$mix".to_string(),
                    Callee::Leaf => "$leaf".to_string(),
                    Callee::Table(t) => format!("$t{t}"),
                    Callee::Looper => "$looper".to_string(),
                    Callee::Rec => "$rec".to_string(),
                };
                write!(self.out, "(call {name}").unwrap();
                for (k, a) in args.iter().enumerate() {
                    self.out.push(' ');
                    if matches!(callee, Callee::Rec) && k == 0 {
                        // The depth of the recursion: at most 15.
                        self.out.push_str("(i32.and ");
                        self.expr(a);
                        self.out.push_str(" (i32.const 15))");
                    } else {
                        self.expr(a);
                    }
                }
                self.out.push(')');
            }
            Expr::CallIndirect { index, arg } => {
                self.out.push_str("(call_indirect (type $sig) ");
                self.expr(arg);
                self.out.push(' ');
                self.expr(index);
                self.out.push(')');
            }
        }
    }
}

fn memarg(offset: u32, align1: bool) -> String {
    let mut s = String::new();
    if offset != 0 {
        write!(s, " offset={offset}").unwrap();
    }
    if align1 {
        s.push_str(" align=1");
    }
    s
}

// ---------------------------------------------------------------------------------------
// Running and comparing
// ---------------------------------------------------------------------------------------

/// The host's record of its calls: how many, a hash of every argument in order, and
/// how many times it did each of [`host_effect`]'s things.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Host {
    calls: u64,
    hash: u64,
    effects: [u32; HOST_EFFECTS.len()],
}

/// What [`host_effect`] does, by its number.
const HOST_EFFECTS: [&str; 5] = [
    "memory writes",
    "global writes",
    "memory grow attempts",
    "table writes",
    "calls back into leaf",
];

/// A value as comparable bits; every NaN of a type is one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bits {
    I32(u32),
    I64(u64),
    F32(u32),
    F64(u64),
    NanF32,
    NanF64,
    Ref(bool),
}

fn bits(v: &Val) -> Bits {
    match v {
        Val::I32(x) => Bits::I32(*x as u32),
        Val::I64(x) => Bits::I64(*x as u64),
        Val::F32(b) if f32::from_bits(*b).is_nan() => Bits::NanF32,
        Val::F64(b) if f64::from_bits(*b).is_nan() => Bits::NanF64,
        Val::F32(b) => Bits::F32(*b),
        Val::F64(b) => Bits::F64(*b),
        Val::FuncRef(f) => Bits::Ref(f.is_some()),
        Val::ExternRef(e) => Bits::Ref(e.is_some()),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Returned(Vec<Bits>),
    /// The trap, and where: (function index, module offset) of every frame, innermost
    /// first. A trace never traps itself; it exits and the interpreter traps at the same
    /// instruction with the same frames.
    Trapped(TrapCode, Vec<(u32, usize)>),
    /// Any other error, by message.
    Failed(String),
}

/// Everything one run of `run` can be observed to have done.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Observation {
    outcome: Outcome,
    memory: Vec<u8>,
    globals: BTreeMap<String, Bits>,
    host: Host,
    /// With profiling (one case in four): calls and loop iterations per function, and
    /// calls per target per `call_indirect` site, which traces must count exactly as the
    /// interpreter does.
    profile: Option<ProfileCounts>,
    /// With fuel metering (one case in four): the fuel left, which traces must charge
    /// exactly as the interpreter does.
    fuel: Option<u64>,
}

/// The exact part of a profile (`(function, calls, loop iterations)`, and per site
/// `(offset, [(target, calls)], other calls)`), sorted.
type ProfileCounts = (
    Vec<(u32, u64, u64)>,
    Vec<(u32, Vec<(Option<u32>, u64)>, u64)>,
);

fn profile_counts(p: &spur::Profile) -> ProfileCounts {
    let mut funcs: Vec<(u32, u64, u64)> = p
        .functions
        .iter()
        .filter(|f| f.calls + f.loop_iterations > 0)
        .map(|f| (f.index, f.calls, f.loop_iterations))
        .collect();
    funcs.sort_unstable();
    let mut sites: Vec<_> = p
        .call_sites
        .iter()
        .map(|c| {
            let mut t: Vec<_> = c.targets.iter().map(|t| (t.function, t.calls)).collect();
            t.sort_unstable();
            (c.offset, t, c.other_calls)
        })
        .collect();
    sites.sort_unstable();
    (funcs, sites)
}

/// Whether a case runs with profiling: one in four, chosen by the module's bytes.
fn profiled(wasm: &[u8]) -> bool {
    module_hash(wasm).is_multiple_of(4)
}

/// Whether a case runs with epoch interruption (checks at every entry and loop header,
/// in both tiers, against a deadline never reached): another one in four.
fn epoch_checked(wasm: &[u8]) -> bool {
    module_hash(wasm) % 4 == 1
}

/// The fuel a case runs with, if it meters fuel (another one in four): enough for some
/// programs' calls and not for others', so some run out part-way through a loop.
fn fuel_budget(wasm: &[u8]) -> Option<u64> {
    let h = module_hash(wasm);
    (h % 4 == 2).then(|| 500 + u64::from(h / 4) % 40_000)
}

/// The address space a case's memories reserve up front (`Config::memory_reservation`),
/// if not the default: in one case in two none beyond their size, so that every growth
/// moves them. Under an emulator (`SPUR_TEST_RUNNER`: CI runs this suite for AArch64 under
/// qemu-user) always none: qemu-user keeps about 1% of every range a process ever
/// reserved as bookkeeping, and at 4 GiB for each memory without a maximum, the dozens of
/// engines one test makes would need more than the machine has.
fn memory_reservation(wasm: &[u8]) -> Option<u64> {
    let emulated = std::env::var_os("SPUR_TEST_RUNNER").is_some();
    (emulated || module_hash(wasm) >> 20 & 1 == 1).then_some(0)
}

fn module_hash(wasm: &[u8]) -> u32 {
    wasm.iter()
        .fold(0u32, |h, &b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
}

/// JIT settings of one run: off, or on with these tunables.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Interpreter,
    Jit(Jit),
}

/// Every `hotloop` the suite uses: forced recording right away, soon, and the default.
const HOTLOOPS: [u32; 5] = [1, 2, 3, 7, 56];

/// Every `hotexit` the suite uses: a side trace from an exit's first or second time
/// taken (so side traces, and side traces of side traces, are recorded from every exit),
/// and the default.
const HOTEXITS: [u32; 3] = [1, 2, 10];

/// Every `maxtrace` the suite uses: the default, and so few that trees are evicted all
/// the time (links into them fall back to exits, their loops are recorded again).
const MAXTRACES: [u32; 3] = [4000, 4000, 3];

/// Every `maxpoly` the suite uses: the default, and low enough that the tables' four
/// targets make sites megamorphic (calls through them run natively, `CallAny`).
const MAXPOLYS: [u32; 3] = [4, 1, 0];

/// Every `cpuext` the suite uses: the CPU's extensions (the default), and in a quarter of
/// the runs the architecture's baseline instructions only (on x86-64: no LZCNT, BMI1,
/// POPCNT, SSE4.1 or AVX, whose fallbacks would otherwise go untested here).
const CPUEXTS: [u32; 4] = [1, 1, 1, 0];

/// Every `blind` the suite uses: blinded constants (the default), and raw immediates,
/// whose wider displacements and compare forms would otherwise go untested here.
const BLINDS: [u32; 2] = [1, 0];

/// Every `bodylink` the suite uses: links always at a loop trace's top (the default), and
/// into its loop body where the trace allows it.
const BODYLINKS: [u32; 2] = [0, 1];

thread_local! {
    /// The JIT statistics of the last JIT run on this thread (for the tally).
    static LAST_STATS: RefCell<spur::JitStats> = RefCell::default();
}

/// Calls the export `run` of `wasm` with each of `args` in turn, in one fresh engine and
/// store; what was observed after each call.
fn observe(wasm: &[u8], mode: Mode, args: &[i32]) -> Vec<Observation> {
    let mut config = Config::new();
    config
        .collect_profile(profiled(wasm))
        .epoch_interruption(epoch_checked(wasm))
        .consume_fuel(fuel_budget(wasm).is_some());
    if let Some(bytes) = memory_reservation(wasm) {
        config.memory_reservation(bytes);
    }
    match mode {
        Mode::Interpreter => {
            config.jit(false);
        }
        Mode::Jit(jit) => {
            config
                .jit(true)
                .jit_param("hotloop", jit.hotloop)
                .unwrap()
                // Recursive functions get their function traces early (most programs
                // call `$rec` only a few times).
                .jit_param("hotcall", jit.hotloop.min(3))
                .unwrap()
                // Loop-free functions the host calls get them too, however small.
                .jit_param("hostsize", 1)
                .unwrap()
                .jit_param("hotexit", jit.hotexit)
                .unwrap()
                .jit_param("maxtrace", jit.maxtrace)
                .unwrap()
                .jit_param("maxpoly", jit.maxpoly)
                .unwrap()
                .jit_param("cpuext", jit.cpuext)
                .unwrap()
                .jit_param("blind", jit.blind)
                .unwrap()
                .jit_param("bodylink", jit.bodylink)
                .unwrap();
        }
    }
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wasm).expect("generated module must validate");
    let mut store = Store::new(&engine, Host::default());
    store.set_epoch_deadline(u64::MAX);
    if let Some(fuel) = fuel_budget(wasm) {
        store.set_fuel(fuel).unwrap();
    }
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "mix",
            |mut caller: Caller<'_, Host>, a: i32, b: i64| -> i64 {
                // The fuel left at a host call must be exact too (0 without fuel).
                let fuel = caller.get_fuel().unwrap_or(0);
                let host = caller.data_mut();
                host.calls += 1;
                host.hash = (host.hash ^ u64::from(a as u32) ^ fuel.rotate_left(32))
                    .wrapping_mul(0x100_0000_01b3)
                    .rotate_left(17)
                    ^ (b as u64);
                let calls = host.calls;
                let effect = host_effect(&mut caller, calls, a, b);
                (b.wrapping_mul(31) ^ i64::from(a)).wrapping_add(calls as i64) ^ effect
            },
        )
        .unwrap();
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("generated module must instantiate");
    let run = instance.get_func(&mut store, "run").expect("export run");
    let mut observations = Vec::new();
    for &arg in args {
        let mut results: Vec<Val> = run
            .ty(&store)
            .results()
            .iter()
            .map(|&t| Val::default_for_ty(t))
            .collect();
        let outcome = match run.call(&mut store, &[Val::I32(arg)], &mut results) {
            Ok(()) => Outcome::Returned(results.iter().map(bits).collect()),
            Err(e) => match e.as_trap() {
                Some(trap) => Outcome::Trapped(
                    trap.code(),
                    trap.frames()
                        .iter()
                        .map(|f| (f.func_index, f.module_offset))
                        .collect(),
                ),
                None => Outcome::Failed(e.to_string()),
            },
        };
        let mut memory = Vec::new();
        let mut globals = BTreeMap::new();
        for export in instance.exports(&store) {
            match export.ext() {
                Extern::Memory(m) => memory = m.data(&store).to_vec(),
                Extern::Global(g) => {
                    globals.insert(export.name().to_string(), bits(&g.get(&store)));
                }
                _ => {}
            }
        }
        observations.push(Observation {
            outcome,
            memory,
            globals,
            host: *store.data(),
            profile: store.profile().as_ref().map(profile_counts),
            fuel: store.get_fuel().ok(),
        });
    }
    if let Mode::Jit(_) = mode {
        LAST_STATS.with(|s| *s.borrow_mut() = store.jit_stats());
    }
    observations
}

/// What the host does besides answering, in a module that exports `leaf` (the generated
/// programs; the fixed ones keep a pure host): on some calls, chosen by the call's number
/// and arguments, it writes 8 bytes of memory, changes the mutable globals, grows memory
/// by a page, points a table entry at another function, or calls `leaf` (a trap there is
/// the host's to handle). Traces calling the host must see all of it, as the interpreter
/// does. Returns a value mixed into the host's answer.
fn host_effect(caller: &mut Caller<'_, Host>, calls: u64, a: i32, b: i64) -> i64 {
    let Some(leaf) = caller.get_export("leaf").and_then(Extern::into_func) else {
        return 0;
    };
    let export = |caller: &mut Caller<'_, Host>, name| caller.get_export(name).unwrap();
    let effect = (calls ^ u64::from(a as u32)) % 8;
    if let Some(n) = caller.data_mut().effects.get_mut(effect as usize) {
        *n += 1;
    }
    match effect {
        0 => {
            let mem = export(caller, "mem").into_memory().unwrap();
            let len = mem.data_size(&*caller) as u64;
            let at = (b as u64 % (len - 7)) as usize;
            mem.write(&mut *caller, at, &b.to_le_bytes()).unwrap();
            1
        }
        1 => {
            let g32 = export(caller, "g32").into_global().unwrap();
            let Val::I32(x) = g32.get(&*caller) else {
                unreachable!()
            };
            g32.set(&mut *caller, Val::I32(x ^ a)).unwrap();
            let g64 = export(caller, "g64").into_global().unwrap();
            g64.set(&mut *caller, Val::I64(b)).unwrap();
            2
        }
        // Fails past the memory's maximum, as `memory.grow` would.
        2 => export(caller, "mem")
            .into_memory()
            .unwrap()
            .grow(&mut *caller, 1)
            .map_or(-1, |old| old as i64),
        3 => {
            let tab = export(caller, "tab").into_table().unwrap();
            let from = tab.get(&*caller, (a as u32) % 4).unwrap();
            tab.set(&mut *caller, (a as u32 >> 2) % 4, from).unwrap();
            4
        }
        4 => {
            let mut out = [Val::I64(0)];
            match leaf.call(&mut *caller, &[Val::I32(a), Val::I64(b)], &mut out) {
                Ok(()) => match out[0] {
                    Val::I64(r) => r,
                    _ => unreachable!(),
                },
                Err(_) => 5,
            }
        }
        _ => 0,
    }
}

/// What differs between the interpreter's observation and the JIT's, if anything.
fn difference(interp: &Observation, jit: &Observation) -> Option<String> {
    let mut out = Vec::new();
    if interp.outcome != jit.outcome {
        out.push(format!(
            "outcome: interpreter {:?}, JIT {:?}",
            interp.outcome, jit.outcome
        ));
    }
    if interp.memory.len() != jit.memory.len() {
        out.push(format!(
            "memory size: interpreter {} bytes, JIT {} bytes",
            interp.memory.len(),
            jit.memory.len()
        ));
    }
    let diffs: Vec<usize> = (0..interp.memory.len().min(jit.memory.len()))
        .filter(|&k| interp.memory[k] != jit.memory[k])
        .collect();
    if let Some(&first) = diffs.first() {
        let end = (first + 16).min(interp.memory.len());
        out.push(format!(
            "memory: {} bytes differ, first at {first}: interpreter {:02x?}, JIT {:02x?}",
            diffs.len(),
            &interp.memory[first..end],
            &jit.memory[first..end],
        ));
    }
    if interp.globals != jit.globals {
        out.push(format!(
            "globals: interpreter {:?}, JIT {:?}",
            interp.globals, jit.globals
        ));
    }
    if interp.host != jit.host {
        out.push(format!(
            "host calls: interpreter {:?}, JIT {:?}",
            interp.host, jit.host
        ));
    }
    if interp.fuel != jit.fuel {
        out.push(format!(
            "fuel left: interpreter {:?}, JIT {:?}",
            interp.fuel, jit.fuel
        ));
    }
    if interp.profile != jit.profile {
        out.push(format!(
            "profile counts: interpreter {:?}, JIT {:?}",
            interp.profile, jit.profile
        ));
    }
    (!out.is_empty()).then(|| out.join("\n"))
}

/// Runs `wasm` in the interpreter and with the JIT set to `jit`; the interpreter's
/// observations, or what differs.
fn compare(wasm: &[u8], jit: Jit, args: &[i32]) -> Result<Vec<Observation>, String> {
    let interp = observe(wasm, Mode::Interpreter, args);
    let traced = observe(wasm, Mode::Jit(jit), args);
    for (n, (i, j)) in interp.iter().zip(&traced).enumerate() {
        if let Some(d) = difference(i, j) {
            return Err(format!("{jit}, call {n}, run({}):\n{d}", args[n]));
        }
    }
    Ok(interp)
}

fn assemble(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).unwrap_or_else(|e| panic!("generated WAT does not parse: {e}\n{wat}"))
}

/// The number of generated cases: `PROPTEST_CASES`, or 500.
fn cases() -> u32 {
    match std::env::var("PROPTEST_CASES") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("PROPTEST_CASES={v} is not a number")),
        Err(_) => 500,
    }
}

/// The most iterations one loop of `run` may go round in all (its trip count times those
/// of the loops around it), unless cut short.
fn most_iterations(p: &Program) -> u64 {
    fn walk(stmts: &[Stmt], outer: u64, most: &mut u64) {
        for s in stmts {
            match s {
                Stmt::Loop(l) => {
                    let n = outer * l.trips.bound();
                    *most = (*most).max(n);
                    walk(&l.body, n, most);
                }
                Stmt::If(_, t, e) => {
                    walk(t, outer, most);
                    walk(e, outer, most);
                }
                Stmt::Switch(s) => s.arms.iter().for_each(|a| walk(a, outer, most)),
                _ => {}
            }
        }
    }
    let mut most = 0;
    walk(&p.run, 1, &mut most);
    most
}

// ---------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------

#[derive(Default, Debug)]
struct Tally {
    cases: u32,
    /// Run with profiling, whose counts must agree too.
    profiled: u32,
    /// Run with epoch checks (which must change nothing).
    epochs: u32,
    /// Run with fuel metering, and of those, ran out of fuel in some call.
    fueled: u32,
    out_of_fuel: u32,
    /// Run with memories that reserve no more than their size (see `memory_reservation`).
    unreserved: u32,
    returned: u32,
    /// Returned, with a loop that may go round 200 times or more.
    returned_long: u32,
    traps: BTreeMap<String, u32>,
    /// What the JIT runs did: traces (side traces among them), links between traces,
    /// and entries from the interpreter.
    traces: u64,
    side_traces: u64,
    links: u64,
    /// Of those, links into a loop body past its first iteration.
    body_links: u64,
    entries: u64,
    evicted: u64,
    /// Function traces (recursion), and exits taken inside native calls between traces.
    function_traces: u64,
    nested_exits: u64,
    /// What the host did besides answering (see [`HOST_EFFECTS`]).
    host_effects: [u64; HOST_EFFECTS.len()],
    /// Megamorphic `call_indirect` sites, and calls through them the interpreter made.
    megamorphic: u64,
    slow_calls: u64,
}

#[test]
fn traces_compute_what_the_interpreter_computes() {
    let config = ProptestConfig {
        cases: cases(),
        // Programs have many independent parts; give shrinking room to drop the ones a
        // failure does not need (PROPTEST_MAX_SHRINK_ITERS still overrides).
        max_shrink_iters: match std::env::var("PROPTEST_MAX_SHRINK_ITERS") {
            Ok(_) => ProptestConfig::default().max_shrink_iters,
            Err(_) => 20_000,
        },
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    };
    let tally = RefCell::new(Tally::default());
    let shrinking = Cell::new(false);
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| {
        let wasm = assemble(&Printer::module(&case.program));
        let interp = compare(&wasm, case.jit, &case.program.args).map_err(|e| {
            shrinking.set(true);
            TestCaseError::fail(e)
        })?;
        if !shrinking.get() {
            let mut t = tally.borrow_mut();
            t.cases += 1;
            t.profiled += u32::from(profiled(&wasm));
            t.epochs += u32::from(epoch_checked(&wasm));
            t.fueled += u32::from(fuel_budget(&wasm).is_some());
            t.unreserved += u32::from(memory_reservation(&wasm).is_some());
            t.out_of_fuel += u32::from(
                interp
                    .iter()
                    .any(|o| matches!(o.outcome, Outcome::Trapped(TrapCode::OutOfFuel, _))),
            );
            LAST_STATS.with(|s| {
                let s = s.borrow();
                t.traces += s.traces;
                t.side_traces += s.side_traces;
                t.links += s.links_trace;
                t.body_links += s.links_body;
                t.entries += s.entries;
                t.evicted += s.evicted;
                t.function_traces += s.function_traces;
                t.nested_exits += s.nested_exits;
                t.megamorphic += s.megamorphic;
                t.slow_calls += s.slow_calls;
            });
            let effects = interp.last().map(|o| o.host.effects).unwrap_or_default();
            for (total, n) in t.host_effects.iter_mut().zip(effects) {
                *total += u64::from(n);
            }
            match &interp[0].outcome {
                Outcome::Returned(_) => {
                    t.returned += 1;
                    t.returned_long += u32::from(most_iterations(&case.program) >= 200);
                }
                Outcome::Trapped(code, _) => *t.traps.entry(format!("{code:?}")).or_default() += 1,
                Outcome::Failed(e) => panic!("run failed without a trap: {e}"),
            }
        }
        Ok(())
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, case)) => panic!(
            "the JIT disagrees with the interpreter: {reason}\nminimal case, {}, \
             run called with {:?}:\n{}",
            case.jit,
            case.program.args,
            Printer::module(&case.program)
        ),
        Err(TestError::Abort(reason)) => panic!("proptest aborted: {reason}"),
    }

    // The generator must keep producing the shapes the suite is about: programs that run
    // their loops to the end, and programs that trap in every way part-way.
    let t = tally.into_inner();
    println!(
        "equivalence: {} cases ({} profiled, {} with epoch checks, {} with fuel, {} of them ran out, \
         {} with memories that move as they grow), {} returned ({} with a loop of 200+ iterations), \
         traps {:?}; jit: {} traces ({} side traces, {} function traces), {} links ({} into loop bodies), {} entries, \
         {} trees evicted, {} exits inside native calls, {} megamorphic sites ({} calls \
         through the interpreter); host: {}",
        t.cases,
        t.profiled,
        t.epochs,
        t.fueled,
        t.out_of_fuel,
        t.unreserved,
        t.returned,
        t.returned_long,
        t.traps,
        t.traces,
        t.side_traces,
        t.function_traces,
        t.links,
        t.body_links,
        t.entries,
        t.evicted,
        t.nested_exits,
        t.megamorphic,
        t.slow_calls,
        HOST_EFFECTS
            .iter()
            .zip(t.host_effects)
            .map(|(what, n)| format!("{n} {what}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if t.cases >= 300 {
        let trapped: u32 = t.traps.values().sum();
        assert!(t.returned * 3 >= t.cases, "too few cases return: {t:?}");
        assert!(
            t.returned_long * 5 >= t.cases,
            "too few long loops return: {t:?}"
        );
        assert!(trapped * 10 >= t.cases, "too few cases trap: {t:?}");
        assert!(t.traps.len() >= 5, "too few kinds of trap: {t:?}");
        // Side traces and links between traces are what the JIT runs mostly check now.
        assert!(
            t.side_traces * 2 >= t.cases as u64,
            "too few side traces: {t:?}"
        );
        assert!(t.links * 4 >= t.cases as u64, "too few links: {t:?}");
        assert!(
            t.body_links * 50 >= t.cases as u64,
            "too few links into loop bodies: {t:?}"
        );
        assert!(t.evicted * 20 >= t.cases as u64, "too few evictions: {t:?}");
        // The host writes memory, globals and the table, grows memory and calls back
        // into WebAssembly while traces run.
        assert!(
            t.host_effects.iter().all(|&n| n * 10 >= t.cases as u64),
            "the host did too little: {t:?}"
        );
        // Recursion runs as native calls between function traces, and exits inside them.
        assert!(
            t.function_traces * 40 >= t.cases as u64,
            "too few function traces: {t:?}"
        );
        assert!(
            t.nested_exits * 20 >= t.cases as u64,
            "too few exits inside native calls: {t:?}"
        );
        assert!(
            t.megamorphic * 20 >= t.cases as u64,
            "too few megamorphic call sites: {t:?}"
        );
        assert!(t.profiled * 8 >= t.cases, "too few profiled cases: {t:?}");
        assert!(
            t.epochs * 8 >= t.cases,
            "too few cases with epoch checks: {t:?}"
        );
        assert!(t.fueled * 8 >= t.cases, "too few cases with fuel: {t:?}");
        assert!(
            t.unreserved * 4 >= t.cases,
            "too few cases with memories that move: {t:?}"
        );
        assert!(
            t.out_of_fuel * 40 >= t.cases,
            "too few cases run out of fuel: {t:?}"
        );
    }
}

#[test]
#[ignore = "debugging aid: prints generated programs (EQUIVALENCE_SAMPLES, default 3)"]
fn print_generated_programs() {
    let n: usize = std::env::var("EQUIVALENCE_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut runner = TestRunner::default();
    let strategy = case();
    for _ in 0..n {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let wat = Printer::module(&case.program);
        let outcomes: Vec<Outcome> =
            observe(&assemble(&wat), Mode::Interpreter, &case.program.args)
                .into_iter()
                .map(|o| o.outcome)
                .collect();
        println!(
            ";; {} run{:?} -> {outcomes:?}\n{wat}\n",
            case.jit, case.program.args
        );
    }
}

// ---------------------------------------------------------------------------------------
// Fixed programs: the most important shapes, at every `hotloop`
// ---------------------------------------------------------------------------------------

/// Calls `run` of `wat` with each of `args` in the interpreter and with the JIT at every
/// `hotloop`, `hotexit` and `blind`; all must agree. Returns the interpreter's observations, for
/// checks of what it computed.
fn equivalent_at_every_hotloop(wat: &str, args: &[i32]) -> Vec<Observation> {
    let wasm = assemble(wat);
    for hotloop in HOTLOOPS {
        let variants = HOTEXITS.into_iter().flat_map(|e| BLINDS.map(|b| (e, b)));
        for (hotexit, blind) in variants {
            let jit = Jit {
                hotloop,
                hotexit,
                maxtrace: 4000,
                maxpoly: 1,
                cpuext: 1,
                blind,
                // Half the runs link into loop bodies.
                bodylink: blind,
            };
            if let Err(e) = compare(&wasm, jit, args) {
                panic!("{e}\n{wat}");
            }
        }
    }
    observe(&wasm, Mode::Interpreter, args)
}

fn trap_code(o: &Observation) -> Option<TrapCode> {
    match &o.outcome {
        Outcome::Trapped(code, _) => Some(*code),
        _ => None,
    }
}

#[test]
fn a_counted_loop_over_an_array_at_a_constant_address_runs_off_memory_exactly() {
    // The array's last 25 elements fit in the page: its check, made once before the
    // loop, is of a constant end, 4 bytes short of memory's end or past it.
    for trips in [24, 25, 26] {
        let wat = format!(
            r#"(module
              (memory (export "mem") 1)
              (data (i32.const 65436) "\01\02\03\04\05\06\07\08")
              (func (export "run") (param $x i32) (result i32)
                (local $i i32) (local $acc i32)
                (loop $l
                  (local.set $acc (i32.add (i32.mul (local.get $acc) (local.get $x))
                    (i32.load offset=65436 (i32.shl (local.get $i) (i32.const 2)))))
                  (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                      (i32.const {trips}))))
                (local.get $acc)))"#
        );
        let o = &equivalent_at_every_hotloop(&wat, &[3])[0];
        let trapped = trap_code(o) == Some(TrapCode::MemoryOutOfBounds);
        assert_eq!(trapped, trips > 25, "{trips} trips");
    }
}

#[test]
fn a_pointer_loop_with_a_count_down_runs_off_memory_exactly() {
    // A 56-byte struct per iteration, fields at 0 and 48, while a counter runs down to
    // 0: the 30th struct's last field ends at memory's end. The check made once before
    // the loop is of the last struct the count reaches, exactly at the end or past it.
    // (A maximum of 1 page keeps the memory's address-space reservation small: qemu-user,
    // which runs this suite for AArch64 in CI, keeps bookkeeping for every page ever
    // reserved.)
    for trips in [29, 30, 31] {
        let wat = r#"(module
          (memory (export "mem") 1 1)
          (func (export "run") (param $c i32) (result i32)
            (local $p i32) (local $acc i32)
            (local.set $p (i32.const 63860))
            (loop $l
              (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31))
                (i32.add (i32.load (local.get $p)) (i32.load offset=48 (local.get $p)))))
              (local.set $p (i32.add (local.get $p) (i32.const 56)))
              (br_if $l (local.tee $c (i32.sub (local.get $c) (i32.const 1)))))
            (local.get $acc)))"#;
        let o = &equivalent_at_every_hotloop(wat, &[trips])[0];
        let trapped = trap_code(o) == Some(TrapCode::MemoryOutOfBounds);
        assert_eq!(trapped, trips > 30, "{trips} trips");
    }
}

#[test]
fn a_callee_whose_trace_exits_under_a_loop_trace_keeps_its_frame() {
    // A megamorphic `call_indirect` (two targets) in a loop whose parameter's slot is
    // the callee's frame: the loop's trace calls through it natively, and at i = 40
    // `$late`'s own trace exits. The exit writes the loop's frame back, and must leave
    // the callee's frame (its argument, in the slot the loop's parameter had) alone.
    let wat = r#"(module
      (type $one (func (param i32) (result i32)))
      (memory (export "mem") 1 1)
      (table 2 2 funcref)
      (elem (i32.const 0) func $plain $late)
      (func $plain (param $a i32) (result i32)
        (i32.mul (local.get $a) (i32.const 3)))
      (func $late (param $a i32) (result i32)
        (if (i32.eq (local.get $a) (i32.const 1040))
          (then (i32.store (i32.const 0) (local.get $a))))
        (i32.mul (local.get $a) (i32.const 5)))
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $p i32) (local $x i32)
        (i32.const 7)
        (loop $l (param i32)
          (local.set $p)
          (call_indirect (type $one) (i32.add (local.get $i) (i32.const 1000))
                                     (i32.gt_u (local.get $i) (i32.const 2)))
          (local.set $x (i32.xor (i32.rotl (local.get $x) (i32.const 5))))
          (i32.add (local.get $p) (local.get $i))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n)))
          (drop))
        (local.get $x)))"#;
    // Megamorphic sites are called natively only without fuel metering.
    assert!(fuel_budget(&assemble(wat)).is_none());
    let o = &equivalent_at_every_hotloop(wat, &[60])[0];
    let x = (0..60).fold(0i32, |x, i| {
        let a = i + 1000;
        x.rotate_left(5) ^ if i > 2 { a * 5 } else { a * 3 }
    });
    assert_eq!(o.outcome, Outcome::Returned(vec![Bits::I32(x as u32)]));
}

#[test]
fn a_loop_whose_hoisted_check_fails_still_tests_its_first_branch() {
    // The check made once before the loop, of the last iteration's address (36 * 4100),
    // fails at every entry, so every iteration after the first runs in a side trace
    // from that check's exit, which resumes at the top of the loop: at the branch on
    // `i <= t`. The side trace must test that branch itself, whichever way the one the
    // recording saw went: the check's failing says nothing of it.
    let wat = r#"(module
      (memory (export "mem") 1 3)
      (func (export "run") (param $t i32) (result i32)
        (local $i i32) (local $s i32)
        (loop $l
          (if (i32.le_s (local.get $i) (local.get $t))
            (then (i32.store (i32.mul (local.get $i) (i32.const 256)) (i32.const 10))))
          (local.set $s (i32.add (local.get $s)
            (i32.load16_u (i32.mul (local.get $i) (i32.const 4100)))))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (i32.const 37))))
        (local.get $s)))"#;
    // With fuel metering or epoch checks the loop's first guard is theirs, not the
    // branch's.
    let wasm = assemble(wat);
    assert!(fuel_budget(&wasm).is_none() && !epoch_checked(&wasm) && !profiled(&wasm));
    for t in [12, 13, 14, 15] {
        let o = &equivalent_at_every_hotloop(wat, &[t])[0];
        // 16 * 4100 + 2 is past the page.
        assert_eq!(trap_code(o), Some(TrapCode::MemoryOutOfBounds), "{t}");
    }
}

#[test]
fn division_by_zero_late_in_a_counted_loop() {
    // acc += 1_000_000 / (k - i), stored at 4 * i: divides by zero at iteration k.
    let wat = r#"(module
      (memory (export "mem") 1)
      (global $sum (export "sum") (mut i64) (i64.const 0))
      (func (export "run") (param $k i32) (result i32)
        (local $i i32) (local $acc i32)
        (loop $l
          (local.set $acc (i32.add (local.get $acc)
            (i32.div_s (i32.const 1000000) (i32.sub (local.get $k) (local.get $i)))))
          (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $acc))
          (global.set $sum (i64.add (global.get $sum) (i64.extend_i32_s (local.get $acc))))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (i32.const 1000))))
        (local.get $acc)))"#;
    for (k, iterations) in [(300, 300), (57, 57), (-1, 1000)] {
        let o = &equivalent_at_every_hotloop(wat, &[k])[0];
        let (mut acc, mut sum, mut memory) = (0i32, 0i64, vec![0u8; 65536]);
        for i in 0..iterations {
            acc = acc.wrapping_add(1_000_000 / (k - i));
            memory[4 * i as usize..][..4].copy_from_slice(&acc.to_le_bytes());
            sum += i64::from(acc);
        }
        if iterations < 1000 {
            assert_eq!(trap_code(o), Some(TrapCode::IntegerDivideByZero), "k={k}");
        } else {
            assert_eq!(o.outcome, Outcome::Returned(vec![Bits::I32(acc as u32)]));
        }
        assert!(o.memory == memory, "k={k}: memory at the trap");
        assert_eq!(o.globals["sum"], Bits::I64(sum as u64), "k={k}");
    }
}

#[test]
fn call_indirect_target_changes_part_way_through_a_loop() {
    // $double for 150 iterations (monomorphic), then $square and $negate alternating
    // (polymorphic); at iteration `bad` (if any) the index is 3 + bad % 3: a null entry, an
    // entry of another signature, or past the end of the table.
    let wat = r#"(module
      (type $f (func (param i32) (result i32)))
      (type $g (func (param i64) (result i64)))
      (table 5 funcref)
      (elem (i32.const 0) func $double $square $negate)
      (elem (i32.const 4) func $wrong)
      (func $double (type $f) (i32.shl (local.get 0) (i32.const 1)))
      (func $square (type $f) (i32.mul (local.get 0) (local.get 0)))
      (func $negate (type $f) (i32.sub (i32.const 0) (local.get 0)))
      (func $wrong (type $g) (local.get 0))
      (memory (export "mem") 1)
      (func (export "run") (param $bad i32) (result i32)
        (local $i i32) (local $acc i32) (local $idx i32)
        (loop $l
          (local.set $idx
            (select (i32.const 0)
                    (i32.add (i32.const 1) (i32.and (local.get $i) (i32.const 1)))
                    (i32.lt_u (local.get $i) (i32.const 150))))
          (local.set $idx
            (select (i32.add (i32.const 3) (i32.rem_u (local.get $bad) (i32.const 3)))
                    (local.get $idx)
                    (i32.eq (local.get $i) (local.get $bad))))
          (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31))
            (call_indirect (type $f) (local.get $i) (local.get $idx))))
          (i32.store8 (local.get $i) (i32.add (local.get $idx) (i32.const 1)))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (i32.const 400))))
        (local.get $acc)))"#;
    let cases = [
        (-1, None),
        (249, Some(TrapCode::UninitializedElement)),
        (250, Some(TrapCode::IndirectCallTypeMismatch)),
        (251, Some(TrapCode::UndefinedElement)),
    ];
    for (bad, trap) in cases {
        let o = &equivalent_at_every_hotloop(wat, &[bad])[0];
        let (mut acc, mut memory) = (0i32, vec![0u8; 65536]);
        for i in 0..(if trap.is_some() { bad } else { 400 }) {
            let idx = if i < 150 { 0 } else { 1 + (i & 1) };
            let r = match idx {
                0 => i << 1,
                1 => i.wrapping_mul(i),
                _ => -i,
            };
            acc = acc.wrapping_mul(31).wrapping_add(r);
            memory[i as usize] = idx as u8 + 1;
        }
        match trap {
            Some(code) => assert_eq!(trap_code(o), Some(code), "bad={bad}"),
            None => assert_eq!(o.outcome, Outcome::Returned(vec![Bits::I32(acc as u32)])),
        }
        assert!(o.memory == memory, "bad={bad}: memory at the trap");
    }
}

#[test]
fn store_out_of_bounds_part_way_through_a_loop() {
    // i64 stores of i * 0x0101010101010101 at base + 3 + 8 * i, until one is past the end
    // of memory: entirely (at iteration 300), or straddling it by 4 bytes (at iteration
    // 299; it must write nothing), or never.
    let wat = r#"(module
      (memory (export "mem") 1)
      (global $last (export "last") (mut i32) (i32.const -1))
      (func (export "run") (param $base i32) (result i32)
        (local $i i32)
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $i) (i32.const 1000)))
            (i64.store offset=3
              (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 3)))
              (i64.mul (i64.extend_i32_u (local.get $i)) (i64.const 0x0101010101010101)))
            (global.set $last (local.get $i))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l)))
        (local.get $i)))"#;
    for base in [65536 - 8 * 300 - 3, 65536 - 8 * 300 - 3 + 4, 0] {
        let o = &equivalent_at_every_hotloop(wat, &[base])[0];
        let stores = (0..1000)
            .take_while(|i| base + 3 + 8 * i + 8 <= 65536)
            .count() as i32;
        let mut memory = vec![0u8; 65536];
        for i in 0..stores {
            let at = (base + 3 + 8 * i) as usize;
            let v = (i as u64).wrapping_mul(0x0101_0101_0101_0101);
            memory[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        if stores == 1000 {
            assert_eq!(o.outcome, Outcome::Returned(vec![Bits::I32(1000)]));
        } else {
            assert_eq!(
                trap_code(o),
                Some(TrapCode::MemoryOutOfBounds),
                "base={base}"
            );
        }
        assert!(o.memory == memory, "base={base}: memory at the trap");
        assert_eq!(
            o.globals["last"],
            Bits::I32(stores as u32 - 1),
            "base={base}"
        );
    }
}

#[test]
fn host_calls_in_a_hot_loop_until_unreachable() {
    // The host sees every call, in order, up to the `unreachable` at iteration k; a second
    // call of `run` in the same store enters the loop (and its traces) again, from the
    // state the trap left.
    let wat = r#"(module
      (import "env" "mix" (func $mix (param i32 i64) (result i64)))
      (memory (export "mem") 1)
      (global $acc (export "acc") (mut i64) (i64.const 7))
      (func (export "run") (param $k i32) (result i64)
        (local $i i32)
        (loop $l
          (if (i32.eq (local.get $i) (local.get $k)) (then unreachable))
          (global.set $acc (call $mix (local.get $i) (global.get $acc)))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (i32.const 500))))
        (global.get $acc)))"#;
    let o = equivalent_at_every_hotloop(wat, &[321, -1, 57]);
    assert_eq!(trap_code(&o[0]), Some(TrapCode::Unreachable));
    assert_eq!(o[0].host.calls, 321);
    assert_eq!(o[1].outcome, Outcome::Returned(vec![o[1].globals["acc"]]));
    assert_eq!(o[1].host.calls, 821);
    assert_eq!(trap_code(&o[2]), Some(TrapCode::Unreachable));
    assert_eq!(o[2].host.calls, 878);
}

// ---------------------------------------------------------------------------------------
// The harness itself
// ---------------------------------------------------------------------------------------

#[test]
fn float_literals_print_exactly() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut random = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut f32s: Vec<u32> = F32_SPECIAL.to_vec();
    let mut f64s: Vec<u64> = F64_SPECIAL.to_vec();
    for _ in 0..200 {
        f32s.push(random() as u32);
        f64s.push(random());
        // Subnormals, and NaNs with random payloads and signs.
        f32s.push(random() as u32 & 0x807f_ffff);
        f32s.push(random() as u32 | 0x7f80_0001);
        f64s.push(random() & 0x800f_ffff_ffff_ffff);
        f64s.push(random() | 0x7ff0_0000_0000_0001);
    }
    // Stores of constants are bit-exact, NaN payloads included.
    let mut wat =
        String::from("(module (memory (export \"mem\") 1) (func (export \"run\") (param i32)");
    let mut expected = Vec::new();
    for &b in &f32s {
        write!(
            wat,
            "\n(f32.store (i32.const {}) (f32.const {}))",
            expected.len(),
            f32_literal(b)
        )
        .unwrap();
        expected.extend(b.to_le_bytes());
    }
    for &b in &f64s {
        write!(
            wat,
            "\n(f64.store (i32.const {}) (f64.const {}))",
            expected.len(),
            f64_literal(b)
        )
        .unwrap();
        expected.extend(b.to_le_bytes());
    }
    wat.push_str("))");
    let o = observe(&assemble(&wat), Mode::Interpreter, &[0]).remove(0);
    assert_eq!(o.outcome, Outcome::Returned(vec![]));
    assert_eq!(&o.memory[..expected.len()], &expected[..]);
}

#[test]
fn the_comparison_sees_every_kind_of_difference() {
    let base = r#"(module
      (import "env" "mix" (func $mix (param i32 i64) (result i64)))
      (memory (export "mem") 1)
      (global (export "g") (mut f64) (f64.const 1))
      (func (export "run") (param i32) (result i32 f32)
        (drop (call $mix (local.get 0) (i64.const 1)))
        (i32.store8 (i32.const 100) (i32.const 1))
        (global.set 0 (f64.const nan:0x1))
        (i32.const 5) (f32.const nan:0x1)))"#;
    let run = |wat: &str, arg: i32| observe(&assemble(wat), Mode::Interpreter, &[arg]).remove(0);
    let reference = run(base, 0);
    // NaN payloads are not compared; everything else is.
    let same = base.replace("nan:0x1", "-nan:0x2");
    assert_eq!(difference(&reference, &run(&same, 0)), None);
    let variants = [
        (
            "a result",
            base.replace("(i32.const 5)", "(i32.const 6)"),
            0,
        ),
        (
            "a float result",
            base.replace("(f32.const nan:0x1)", "(f32.const 1)"),
            0,
        ),
        (
            "a byte of memory",
            base.replace("(i32.const 1))", "(i32.const 2))"),
            0,
        ),
        (
            "the memory size",
            base.replace("(memory (export \"mem\") 1)", "(memory (export \"mem\") 2)"),
            0,
        ),
        (
            "a global",
            base.replace("(f64.const nan:0x1)", "(f64.const -0)"),
            0,
        ),
        ("the host's arguments", base.to_string(), 1),
        (
            "the host's calls",
            base.replace("(drop (call $mix (local.get 0) (i64.const 1)))", ""),
            0,
        ),
        (
            "a trap",
            base.replace("(i32.const 5) (f32", "(unreachable) (i32.const 5) (f32"),
            0,
        ),
    ];
    for (what, wat, arg) in variants {
        assert!(
            difference(&reference, &run(&wat, arg)).is_some(),
            "a difference in {what} went unnoticed"
        );
    }
    // Traps differ by code and by place.
    let trap = |body: &str| {
        run(
            &format!(
                "(module (memory (export \"mem\") 1) (func (export \"run\") (param i32) {body}))"
            ),
            0,
        )
    };
    let oob = trap("(drop (i32.load (i32.const 70000)))");
    assert_eq!(trap_code(&oob), Some(TrapCode::MemoryOutOfBounds));
    assert!(
        difference(
            &oob,
            &trap("(drop (i32.div_u (i32.const 1) (i32.const 0)))")
        )
        .is_some()
    );
    assert!(difference(&oob, &trap("(nop) (drop (i32.load (i32.const 70000)))")).is_some());
    // So does the fuel left.
    let mut fuel = reference.clone();
    fuel.fuel = Some(7);
    assert!(difference(&reference, &fuel).is_some());
}

//! Compiled traces: the native context they run with, compilation of a finished
//! recording (LOOP, DCE, register allocation, code), entering a trace, and the exit
//! handler that rebuilds the interpreter's state from a snapshot.
//!
//! Entering: the interpreter is at a loop header whose trace exists; the trace runs with
//! a [`TraceCtx`] holding the root frame's slots, memory 0, the globals and the store,
//! and returns the number of the exit it took, with every register saved in the
//! context. The exit handler then writes the snapshot's slots back, pushes the frames
//! the trace had inlined, and tells the interpreter where to resume.

use super::asm::{self, Arch, Loc, x64::X64};
use super::ir::{Ref, SnapFrame, Ty, format_ins};
use super::mcode::{CodeRef, McodeArea};
use super::opt;
use super::record::{Abort, Recorder};
use crate::interp::Instr;
use crate::runtime::store::{Frame, GlobalEntity, StoreInner};

/// Spill slots a trace may use.
pub(crate) const MAX_SPILLS: usize = 256;

/// What a running trace reads and writes besides its registers. Field offsets are used
/// by the generated code.
#[repr(C)]
pub(crate) struct TraceCtx {
    pub(crate) mem: *mut u8,
    pub(crate) mem_len: u64,
    /// The root frame's first slot.
    pub(crate) sp: *mut u64,
    pub(crate) globals: *mut GlobalEntity,
    pub(crate) store: *mut StoreInner,
    /// The root frame's base in the value stack.
    pub(crate) root_base: usize,
    pub(crate) exit: u32,
    pub(crate) gpr: [u64; 16],
    pub(crate) xmm: [u64; 16],
    /// Registers preserved across helper calls, and values parked by PHI moves.
    pub(crate) save: [u64; 64],
    pub(crate) spill: [u64; MAX_SPILLS],
}

impl TraceCtx {
    pub(crate) fn new_boxed() -> Box<TraceCtx> {
        Box::new(TraceCtx {
            mem: std::ptr::null_mut(),
            mem_len: 0,
            sp: std::ptr::null_mut(),
            globals: std::ptr::null_mut(),
            store: std::ptr::null_mut(),
            root_base: 0,
            exit: 0,
            gpr: [0; 16],
            xmm: [0; 16],
            save: [0; 64],
            spill: [0; MAX_SPILLS],
        })
    }

    /// Re-reads what helpers may have moved: the value stack, memory 0, the globals.
    pub(crate) fn refresh(&mut self, s: &mut StoreInner) {
        // SAFETY: `root_base` is inside the value stack (the trace's frame is on it).
        self.sp = unsafe { s.stack.values.as_mut_ptr().add(self.root_base) };
        let (mem, len) = crate::interp::memory0(s, s.stack.instance);
        self.mem = mem;
        self.mem_len = len as u64;
        self.globals = s.globals.as_mut_ptr();
    }
}

/// Where an exit finds a value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source {
    Const(u64),
    Gpr(u8),
    Fpr(u8),
    Spill(u16),
}

/// One exit of a trace: its snapshot, resolved to value locations.
pub(crate) struct Exit {
    pub(crate) pc: *const Instr,
    pub(crate) frames: Vec<SnapFrame>,
    pub(crate) entries: Vec<(u32, Source, Ty)>,
    pub(crate) acc: Option<(Source, Ty)>,
    /// Whether the exit is in the loop body (not the first iteration).
    pub(crate) in_loop: bool,
    pub(crate) taken: u64,
}

/// A compiled trace.
pub(crate) struct Trace {
    pub(crate) number: u32,
    pub(crate) code: CodeRef,
    pub(crate) exits: Vec<Exit>,
    /// Slots above the root frame's base that the trace may write at an exit.
    pub(crate) extent: u32,
    /// Frames an exit may push.
    pub(crate) depth: u32,
    pub(crate) runs: u64,
    /// Runs that left early (before `minloops` iterations).
    pub(crate) early: u64,
    /// Loop iterations completed over all runs.
    pub(crate) iterations: u64,
    /// The register counting iterations, if the trace has one.
    pub(crate) counter: Option<u8>,
    pub(crate) func: *const crate::interp::CompiledFunc,
    pub(crate) loop_id: u32,
}

/// The text of a trace for `--dump`: recorded bytecode, IR with snapshots, machine code.
pub(crate) struct Dump {
    pub(crate) bytecode: String,
    pub(crate) ir: String,
    pub(crate) code: Vec<u8>,
}

/// Optimizes and compiles a finished recording into `area`.
pub(crate) fn compile(
    mut rec: Box<Recorder>,
    area: &mut McodeArea,
    number: u32,
    want_dump: bool,
) -> Result<(Trace, Option<Dump>), Abort> {
    let modified = rec.modified();
    opt::loop_::unroll(&mut rec.ir, &modified)?;
    opt::dce::run(&mut rec.ir);
    let ir = &rec.ir;
    let alloc = asm::allocate::<X64>(ir)?;
    let (code, counter) = X64::assemble(ir, &alloc)?;
    let mut w = area.begin(code.len()).map_err(|_| Abort::CodeSpace)?;
    w.bytes_mut()[..code.len()].copy_from_slice(&code);
    let code_ref = w.commit(code.len()).map_err(|_| Abort::CodeSpace)?;
    let loop_at = alloc.loop_at.unwrap_or(usize::MAX);
    let source = |r: Ref| -> Source {
        if let Some(k) = ir.konst(r) {
            return Source::Const(k);
        }
        match alloc.loc[r.idx()] {
            Loc::Gpr(g) => Source::Gpr(g),
            Loc::Fpr(x) => Source::Fpr(x),
            Loc::Spill(i) => Source::Spill(i),
            Loc::None => Source::Const(0),
        }
    };
    let exits = ir
        .snaps
        .iter()
        .map(|s| Exit {
            pc: s.pc,
            frames: s.frames.clone(),
            entries: s
                .entries
                .iter()
                .map(|&(slot, r)| (slot, source(r), ir.ty(r)))
                .collect(),
            acc: (!s.acc.is_none()).then(|| (source(s.acc), ir.ty(s.acc))),
            in_loop: s.at.idx() > loop_at,
            taken: 0,
        })
        .collect();
    let dump = want_dump.then(|| dump(&rec, &alloc, code.clone()));
    let trace = Trace {
        number,
        code: code_ref,
        exits,
        extent: rec.slots.len() as u32,
        depth: rec.max_depth as u32,
        runs: 0,
        early: 0,
        iterations: 0,
        counter,
        func: rec.root,
        loop_id: rec.loop_id,
    };
    Ok((trace, dump))
}

fn dump(rec: &Recorder, alloc: &asm::Alloc, code: Vec<u8>) -> Dump {
    use std::fmt::Write;
    let mut bytecode = String::new();
    for l in &rec.log {
        let _ = writeln!(
            bytecode,
            "{}func[{}] {:04}  {}",
            "  ".repeat(l.depth),
            l.func_index,
            l.at,
            l.text
        );
    }
    let ir = &rec.ir;
    let mut text = String::new();
    for (i, ins) in ir.ins.iter().enumerate() {
        if matches!(ins.op, super::ir::Op::Nop | super::ir::Op::K) {
            continue;
        }
        let r = Ref(i as u32);
        let guard = if ins.op.has(super::ir::flag::GUARD) {
            ">"
        } else {
            " "
        };
        let loc = match alloc.loc[i] {
            Loc::Gpr(g) => format!("r{g}"),
            Loc::Fpr(x) => format!("x{x}"),
            Loc::Spill(s) => format!("[{s}]"),
            Loc::None => String::new(),
        };
        let _ = writeln!(
            text,
            "{guard} {:<5} {}",
            loc,
            format_ins(r, ins, &|k| ir.konst(k))
        );
        if let Some((k, s)) = ir.snaps.iter().enumerate().find(|(_, s)| s.at == r) {
            let entries: Vec<String> = s
                .entries
                .iter()
                .map(|&(slot, v)| match ir.konst(v) {
                    Some(bits) => format!("s{slot}=#{}", bits as i64),
                    None => format!("s{slot}={v}"),
                })
                .collect();
            let _ = writeln!(
                text,
                "        snap #{k} depth {} [{}]",
                s.frames.len(),
                entries.join(" ")
            );
        }
    }
    Dump {
        bytecode,
        ir: text,
        code,
    }
}

/// How an exit left the interpreter.
pub(crate) struct Resume {
    /// The accumulator value the resumed instruction reads.
    pub(crate) acc: u64,
    /// The exit number (for statistics and flushing).
    pub(crate) exit: usize,
    /// Loop iterations completed, if the trace counts them.
    pub(crate) iterations: Option<u64>,
}

/// Runs `trace` from the innermost frame of `s` (at its loop header) and restores the
/// interpreter's state at the exit it takes.
pub(crate) fn enter(s: &mut StoreInner, trace: &Trace, ctx: &mut TraceCtx) -> Resume {
    let root_base = s
        .stack
        .frames
        .last()
        .expect("trace entry needs a frame")
        .base;
    ctx.store = s;
    ctx.root_base = root_base;
    ctx.refresh(s);
    type Entry = extern "sysv64" fn(*mut TraceCtx) -> u32;
    // SAFETY: the code was generated for this signature and is live (traces are
    // dropped before their code is flushed); the context points to this store, whose
    // value stack holds the trace's extent (checked by the caller), and stays valid for
    // the call. The trace reaches the store only through helpers, while `s` is unused.
    let exit = unsafe {
        let f: Entry = std::mem::transmute::<*const u8, Entry>(trace.code.ptr());
        f(ctx)
    } as usize;
    let e = &trace.exits[exit];
    let value = |src: Source, ty: Ty| -> u64 {
        let v = match src {
            Source::Const(k) => k,
            Source::Gpr(g) => ctx.gpr[g as usize],
            Source::Fpr(x) => ctx.xmm[x as usize],
            Source::Spill(i) => ctx.spill[i as usize],
        };
        ty.canon(v)
    };
    // Read every value first: the context's registers are not touched by the writes.
    for &(slot, src, ty) in &e.entries {
        s.stack.values[root_base + slot as usize] = value(src, ty);
    }
    let acc = e.acc.map_or(0, |(src, ty)| value(src, ty));
    for f in &e.frames {
        // SAFETY: `call_pc` is a call instruction inside its caller's code, which
        // continues after it; the caller resumes there when the callee returns.
        s.stack.frames.last_mut().expect("frame").ip = unsafe { f.call_pc.add(1) };
        s.stack.frames.push(Frame {
            func: f.func,
            ip: std::ptr::null(),
            base: root_base + f.base as usize,
            instance: f.instance,
        });
    }
    s.stack.frames.last_mut().expect("frame").ip = e.pc;
    let iterations = trace.counter.map(|c| ctx.gpr[c as usize]);
    Resume {
        acc,
        exit,
        iterations,
    }
}

//! Compiled traces: compilation of a finished recording (LOOP, DCE, register
//! allocation, code), entering a trace with its native context (`ctx`), and the exit
//! handler that rebuilds the interpreter's state from a snapshot.
//!
//! Entering: the interpreter is at a loop header whose trace exists; the trace runs with
//! a [`TraceCtx`] holding the root frame's slots, memory 0, the globals and the store,
//! and returns the number of the exit it took, with every register saved in the
//! context. The exit handler then writes the snapshot's slots back, pushes the frames
//! the trace had inlined, and tells the interpreter where to resume.

use super::asm::{self, Arch, EntryReg, LinkTarget, Loc, Native, Unit};
use super::ctx::TraceCtx;
use super::dump::Listing;
use super::exit::{Exit, Source, Writes};
use super::fuel::FUEL_SLOT;
use super::helpers::HelperFn;
use super::ir::{Ir, Op, Ref, Snapshot, Ty, format_ins};
use super::kpool::KPool;
use super::mcode::{CodeRef, McodeArea};
use super::opt;
use super::record::{Abort, Recorded, Recorder};
use super::tree::{Enter, Link};
use crate::runtime::store::StoreInner;

/// Bytes of native stack that native calls between traces may use below a trace's
/// entry (each takes the caller's live registers and spill slots, a few hundred bytes
/// at most); a call past it leaves the trace and the interpreter makes it.
const NATIVE_STACK: usize = 256 * 1024;

/// A compiled trace: a root (entered from its loop header) or a side trace (entered
/// from its parent's exit branch): its code, and what the tree knows of it.
pub(crate) struct Trace {
    pub(crate) code: CodeRef,
    body: Body,
}

impl std::ops::Deref for Trace {
    type Target = Body;

    fn deref(&self) -> &Body {
        &self.body
    }
}

impl std::ops::DerefMut for Trace {
    fn deref_mut(&mut self) -> &mut Body {
        &mut self.body
    }
}

/// Everything about a trace but where its code is.
pub(crate) struct Body {
    pub(crate) number: u32,
    /// Where native calls enter (offset in the code).
    pub(crate) entry: u32,
    /// Where links from other traces enter (offset in the code), with the slots of
    /// `entry_regs` already in their registers.
    pub(crate) link_entry: u32,
    /// The slots a link into this trace hands over in registers (a looping root's).
    pub(crate) entry_regs: Vec<EntryReg>,
    /// How a link enters its loop body, past the pre-roll (a looping root's, when it can).
    pub(crate) body_entry: Option<super::reentry::BodyEntry>,
    pub(crate) exits: Vec<Exit>,
    /// Slots above the root frame's base that the trace may write at an exit.
    pub(crate) extent: u32,
    /// Frames an exit may push.
    pub(crate) depth: u32,
    /// The loop whose header the tree's root starts at.
    pub(crate) func: *const crate::interp::CompiledFunc,
    pub(crate) loop_id: u32,
    /// The parent trace and exit, for a side trace.
    pub(crate) parent: Option<(u32, u32)>,
    /// The number of the tree's root trace (its own for a root).
    pub(crate) root: u32,
    /// The trace whose `maxside` count this trace's side traces add to (see
    /// [`Placement::budget`]).
    pub(crate) budget: u32,
    /// How the trace ends.
    pub(crate) link: Link,
    /// A link's jump (offset in the code) and the exit it falls back to when the trace it
    /// jumps to is evicted.
    pub(crate) link_jump: Option<(u32, usize)>,
    /// The function traces it calls natively (other trees: evicting one evicts this
    /// trace's tree too).
    pub(crate) calls: Vec<u32>,
    /// One past the highest spill slot its code uses (a side trace's start above it).
    pub(crate) spill_top: u16,
    /// Times entered from the interpreter (roots only).
    pub(crate) entries: u64,
    /// When it was last entered from the interpreter (the JIT's entry count then).
    pub(crate) last_entered: u64,
}

impl Body {
    /// The `maxside` count a side trace from exit `k` adds to: this trace's, or none for
    /// a `Switch` target's exit, whose side trace starts a count of its own (see
    /// [`Placement::budget`]).
    pub(crate) fn budget_at(&self, k: usize) -> Option<u32> {
        match self.exits.get(k) {
            Some(e) if e.slot.is_some() => None,
            _ => Some(self.budget),
        }
    }
}

/// A compiled trace before it has a place in code memory.
pub(crate) struct Built {
    body: Body,
    code: Vec<u8>,
    /// Link jumps: (offset, target trace), filled in when the code is placed.
    links: Vec<(u32, u32)>,
    /// Native calls: (offset, target trace or `SELF`), filled in the same way.
    calls: Vec<(u32, u32)>,
    /// Reads of the store's pool (see `Assembled::data_refs`), filled in the same way.
    data_refs: Vec<(u32, u32)>,
    listing: Option<Listing>,
}

/// What a compiled trace's place in its tree is, as `compile` needs it.
pub(crate) struct Placement {
    /// The trace's number.
    pub(crate) number: u32,
    /// The parent's trace and exit, and its first free spill slot, for a side trace.
    pub(crate) parent: Option<(u32, u32, u16)>,
    /// The number of the tree's root (the trace's own for a root).
    pub(crate) root: u32,
    /// The trace whose `maxside` count it adds to, as a side trace, and its own side
    /// traces will: the tree's root, except below a `Switch` (a `br_table` dispatch),
    /// where each target's side trace starts a count of its own. A bytecode
    /// interpreter's dispatch loop is one tree, and every opcode needs room to grow.
    pub(crate) budget: u32,
    /// The constant-blinding key, when blinding is on.
    pub(crate) blind: Option<u64>,
    /// Only the architecture's baseline instructions (the `cpuext` tunable at 0).
    pub(crate) baseline: bool,
    /// Whether links may enter its loop body (`bodylink`): if so, it gets a body entry.
    pub(crate) body_entry: bool,
    /// The running driver's typed host call (see [`Unit::host_call`]).
    pub(crate) host_call: Option<HelperFn>,
    /// Where the trace it links to expects values (see [`Unit::link`]).
    pub(crate) link: LinkTarget,
}

/// The trace's constants that need blinding and that the backend reads from memory
/// ([`asm::pooled_type`]), each given its place in the store's pool (those past a full
/// pool are rebuilt in code).
fn pool_constants(ir: &Ir<'_>, (kpool, data): (&mut KPool, &mut [u64])) -> asm::Pooled {
    asm::Pooled(
        (ir.ins.iter())
            .filter(|i| i.op == Op::K && asm::pooled_type(i.ty) && asm::needs_blinding(i.aux))
            .filter_map(|i| Some((i.aux, kpool.intern(data, i.aux)?)))
            .collect(),
    )
}

/// Optimizes and compiles a finished recording, ready to be placed with [`install`].
pub(crate) fn compile(
    mut rec: Box<Recorder>,
    place: &Placement,
    kpool: (&mut KPool, &mut [u64]),
    want_listing: bool,
) -> Result<Built, Abort> {
    // The slots a loop carries, with their values at the end of its first iteration.
    let mut carried = Vec::new();
    if rec.link == Link::Loop {
        carried = rec.carried();
        opt::loop_::unroll(&mut rec.ir, &carried)?;
    }
    let loads: Vec<(u32, Ref)> = (rec.sloads.iter().enumerate())
        .filter(|(_, r)| !r.is_none())
        .map(|(i, &r)| (i as u32, r))
        .collect();
    rec.prune_snapshots();
    opt::mem::dead_stores(&mut rec.ir);
    opt::dce::run(&mut rec.ir);
    let ir = &rec.ir;
    let spill_base = place.parent.map_or(0, |p| p.2);
    let alloc = asm::allocate::<Native>(ir, spill_base, &place.link)?;
    let pooled = match place.blind {
        Some(_) => pool_constants(ir, kpool),
        None => asm::Pooled::default(),
    };
    let unit = Unit {
        id: place.number,
        side: place.parent.is_some(),
        blind: place.blind,
        pooled,
        baseline: place.baseline,
        host_call: place.host_call,
        link: place.link.clone(),
    };
    let mut out = Native::assemble(ir, &alloc, &unit)?;
    let source = |r: Ref| -> Source {
        match ir.konst(r) {
            Some(k) => Source::Const(k),
            None => Source::at(alloc.loc[r.idx()]),
        }
    };
    let exits: Vec<Exit> = ir
        .snaps
        .iter()
        .enumerate()
        .map(|(k, s)| {
            // A link has written its slots to the frame and its fuel to the store, then
            // may have moved other values into the registers its snapshot names, before
            // it jumps: when its target is evicted and the jump goes to this exit, the
            // exit has nothing left to write (and the loop header it resumes at reads no
            // accumulator).
            let linked = ir.get(s.at).op == Op::Link;
            let entries: Vec<(u32, Source, Ty)> = match linked {
                true => Vec::new(),
                false => (s.entries.iter())
                    .map(|&(slot, r)| (slot, source(r), ir.ty(r)))
                    .collect(),
            };
            Exit {
                pc: s.pc,
                frames: s.frames.clone(),
                writes: Writes::new(&entries),
                loaded: loaded_at(ir, &alloc, &loads, s)
                    .into_iter()
                    .map(|(slot, r)| (slot, source(r), ir.ty(r)))
                    .collect(),
                entries,
                acc: (!s.acc.is_none() && !linked).then(|| (source(s.acc), ir.ty(s.acc))),
                fuel: s.fuel,
                // Ends of the trace, and exits that are not a path the trace did not
                // take (no room for a call, unwinding a callee's exit): no side trace.
                link: matches!(
                    ir.get(s.at).op,
                    Op::Exit | Op::Link | Op::Native | Op::CallCheck | Op::CallTrace | Op::CallAny
                ),
                branch: s.branch,
                taken: 0,
                sites: std::mem::take(&mut out.exit_sites[k]),
                slot: out.exit_slots[k],
                stub: out.stubs[k],
                side: None,
                attempts: 0,
            }
        })
        .collect();
    let entry_regs = alloc.entry_regs(ir);
    let body_entry = (out.body)
        .filter(|_| place.body_entry)
        .and_then(|at| super::reentry::body_entry(ir, &alloc, &carried, at));
    // A link's snapshot is the last one: its exit is where the link falls back to.
    let link_jump = out.links.first().map(|&(at, _)| (at, exits.len() - 1));
    let listing = want_listing.then(|| {
        let bytecode = std::mem::take(&mut rec.log);
        // The listing's code shows at address 0, its pool at `asm::LISTING_KPOOL`.
        let mut code = out.code.clone();
        point_data_refs(&mut code, &out.data_refs, 0, asm::LISTING_KPOOL as usize);
        listing(&rec, bytecode, &alloc, code, out.text as usize)
    });
    let body = Body {
        number: place.number,
        entry: out.entry,
        link_entry: out.link_entry,
        entry_regs,
        body_entry,
        exits,
        extent: rec.slots.len() as u32,
        depth: rec.max_depth as u32,
        func: rec.root,
        loop_id: rec.loop_id,
        parent: place.parent.map(|p| (p.0, p.1)),
        root: place.root,
        budget: place.budget,
        link: rec.link,
        link_jump,
        calls: out
            .calls
            .iter()
            .map(|c| c.1)
            .filter(|&t| t != super::record::SELF)
            .collect(),
        spill_top: alloc.spill_top,
        entries: 0,
        last_entered: 0,
    };
    Ok(Built {
        body,
        code: out.code,
        links: out.links,
        calls: out.calls,
        data_refs: out.data_refs,
        listing,
    })
}

/// The slots `loads` (each with the value the trace loaded from it) that snapshot `s`
/// leaves unmodified and whose value is still where the allocation put it at `s`'s
/// guard: loaded before it (or at the entry), read at it or after, and not a PHI's
/// entry value (whose place holds the current iteration's value in the loop body).
fn loaded_at(
    ir: &Ir<'_>,
    alloc: &asm::Alloc,
    loads: &[(u32, Ref)],
    s: &Snapshot,
) -> Vec<(u32, Ref)> {
    let at = s.at.idx();
    let held = |r: Ref| {
        let i = r.idx();
        ir.konst(r).is_none()
            && alloc.loc[i] != Loc::None
            && (i < at || alloc.entry_loads.contains(&r))
            && alloc.end[i] as usize >= at
            && !alloc.phis.iter().any(|p| p.0 == r)
    };
    loads
        .iter()
        .copied()
        .filter(|&(slot, r)| slot != FUEL_SLOT && held(r) && s.entries.iter().all(|e| e.0 != slot))
        .collect()
}

/// Places a compiled trace in `area`, its links and native calls pointed at the traces
/// `entry_of` finds (given whether it is a link: links enter at the link entry). On
/// failure the trace comes back with the reason (`CodeSpace`: evict and retry).
#[expect(
    clippy::result_large_err,
    reason = "a trace that did not fit is retried"
)]
pub(crate) fn install(
    mut built: Built,
    area: &mut McodeArea,
    entry_of: &dyn Fn(u32, Enter) -> Option<*const u8>,
) -> Result<(Trace, Option<Listing>), (Built, Abort)> {
    let data = area.data_addr().addr();
    let mut w = match area.begin(built.code.len()) {
        Ok(w) => w,
        Err(_) => return Err((built, Abort::CodeSpace)),
    };
    let addr = w.addr().addr();
    let own_entry = addr + built.body.entry as usize;
    let link = match built.body.link {
        Link::Body(_) => Enter::Body,
        _ => Enter::Link,
    };
    let links = built.links.iter().map(|&(at, n)| (at, n, link));
    let calls = built.calls.iter().map(|&(at, n)| (at, n, Enter::Call));
    let jumps: Vec<(u32, u32, Enter)> = links.chain(calls).collect();
    for (at, target, enter) in jumps {
        let to = match target {
            super::record::SELF => Some(own_entry),
            n => entry_of(n, enter).map(|p| p.addr()),
        };
        let linked = to.is_some_and(|to| Native::retarget(&mut built.code, at, addr, to));
        if !linked {
            drop(w);
            return Err((built, Abort::LinkGone));
        }
    }
    // The area keeps its data within reach of all its code: this cannot fail.
    if !point_data_refs(&mut built.code, &built.data_refs, addr, data) {
        drop(w);
        return Err((built, Abort::CodeSpace));
    }
    w.bytes_mut()[..built.code.len()].copy_from_slice(&built.code);
    let code = match w.commit(built.code.len()) {
        Ok(c) => c,
        Err(_) => return Err((built, Abort::CodeSpace)),
    };
    let trace = Trace {
        code,
        body: built.body,
    };
    Ok((trace, built.listing))
}

/// Points the pool reads `refs` (see `Assembled::data_refs`) of `code`, which runs at
/// address `code_at`, at the pool at `data_at`: each is a 32-bit displacement that ends
/// its instruction. False if one does not reach or is not inside the code.
fn point_data_refs(code: &mut [u8], refs: &[(u32, u32)], code_at: usize, data_at: usize) -> bool {
    refs.iter().all(|&(end, at)| {
        let end = end as usize;
        let rel = (data_at + at as usize).wrapping_sub(code_at + end) as isize;
        let disp = end.checked_sub(4).and_then(|s| code.get_mut(s..end));
        match (i32::try_from(rel), disp) {
            (Ok(rel), Some(disp)) => {
                disp.copy_from_slice(&rel.to_le_bytes());
                true
            }
            _ => false,
        }
    })
}

/// What the log shows of a trace: the recorded bytecode, the IR with its registers and
/// snapshots, the machine code.
fn listing(
    rec: &Recorder,
    bytecode: Vec<Recorded>,
    alloc: &asm::Alloc,
    code: Vec<u8>,
    text_len: usize,
) -> Listing {
    use std::fmt::Write;
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
        // A `Switch` has a snapshot per target; every other guard has one.
        for (k, s) in ir.snaps.iter().enumerate().filter(|(_, s)| s.at == r) {
            let entries: Vec<String> = s
                .entries
                .iter()
                .map(|&(slot, v)| {
                    let name = match slot {
                        super::fuel::FUEL_SLOT => "fuel".to_string(),
                        _ => format!("s{slot}"),
                    };
                    match ir.konst(v) {
                        Some(bits) => format!("{name}=#{}", bits as i64),
                        None => format!("{name}={v}"),
                    }
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
    Listing {
        bytecode,
        ir: text,
        code,
        text: text_len,
    }
}

/// Runs the trace whose code starts at `code` from the innermost frame of `s` (at its
/// loop header). Returns the trace and exit it left by; every register is in `ctx`.
pub(crate) fn enter(
    s: &mut StoreInner,
    code: *const u8,
    ctx: &mut TraceCtx,
    (extent, depth): (u32, u32),
) -> (u32, usize) {
    let root_base = s
        .stack
        .frames
        .last()
        .expect("trace entry needs a frame")
        .base;
    ctx.store = s;
    ctx.set_root_base(s, root_base);
    ctx.extent = extent as usize;
    ctx.refresh_all(s);
    ctx.depth = 0;
    // Each native call that unwinds pushes its callee's frame and its inlined ones.
    let room = s
        .stack
        .max_frames
        .saturating_sub(s.stack.frames.len() + depth as usize);
    ctx.calls_left = u32::try_from(room / (depth as usize + 1)).unwrap_or(u32::MAX);
    let here = std::ptr::addr_of!(root_base).addr();
    ctx.stack_limit = here.saturating_sub(NATIVE_STACK);
    type Entry = extern "C" fn(*mut TraceCtx) -> u32;
    // SAFETY: the code was generated for this signature and is live (no trace is
    // flushed while one runs); the context points to this store, whose value stack
    // holds the extent of every trace the tree may run (checked by the caller), and
    // stays valid for the call. The trace reaches the store only through helpers, while
    // `s` is unused.
    let exit = unsafe {
        let f: Entry = std::mem::transmute::<*const u8, Entry>(code);
        f(ctx)
    } as usize;
    (ctx.trace, exit)
}

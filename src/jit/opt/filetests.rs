//! Text-form tests of the optimization passes: IR in, IR out (after Cranelift's
//! filetests). Each file in `src/jit/opt/filetests/` holds instructions in a small text
//! form, run through the passes, and the buffer they leave, as the trace dump prints
//! it, then what each named input line became (an instruction or a constant).
//! `SPUR_BLESS=1 cargo test --lib filetests` rewrites the expected part, as it
//! does for the golden traces; review the diff before committing it.
//!
//! A file is comment lines (`;`), an `in:` section and an `out:` section. An input
//! line is `[%name =] TYPE Op OPERAND...` and goes through `Ir::emit` (FOLD, with MEM
//! and BOUNDS, then CSE). TYPE is `i32`, `i64`, `f32`, `f64` or `void`. An operand is
//! `%name` (an earlier line's value), `#N` or `#N:TYPE` (a constant; by default of the
//! compared operand's type for `Cmp` and `Guard`, `i32` in an address, otherwise the
//! line's TYPE), `sN` or `gN` (a slot or global: `aux`), `+N` (an offset, or a bound's
//! end), a condition (`lt_u`) or an access kind (`u8`, `64`). Directives run the
//! later passes: `loop s0=%x ...` (LOOP, with the slots the iteration modified and
//! their values), `dse` (MEM's dead stores) and `dce`; `floor N` sets the bytes of
//! memory every instance has.

use super::{dce, loop_, mem};
use crate::jit::ir::{Cond, Ins, Ir, Mem, Mode, Op, Ref, Snapshot, Ty, flag, format_ins};
use bumpalo::Bump;
use std::collections::HashMap;
use std::path::Path;

fn ty(name: &str) -> Result<Ty, String> {
    Ok(match name {
        "i32" => Ty::I32,
        "i64" => Ty::I64,
        "f32" => Ty::F32,
        "f64" => Ty::F64,
        "void" => Ty::Void,
        _ => return Err(format!("unknown type `{name}`")),
    })
}

/// What one input line has parsed so far.
struct Line<'s> {
    op: Op,
    refs: Vec<Ref>,
    /// Constants not yet interned: their operand position, bits and explicit type.
    konsts: Vec<(usize, u64, Option<Ty>)>,
    aux: u64,
    cond: Option<&'s str>,
    mem: Option<Mem>,
}

fn parse_line<'s>(
    ir: &mut Ir<'_>,
    names: &HashMap<&'s str, Ref>,
    text: &'s str,
) -> Result<Ins, String> {
    let mut words = text.split_whitespace();
    let t = ty(words.next().ok_or("empty line")?)?;
    let op_name = words.next().ok_or("no opcode")?;
    let op = Op::from_name(op_name).ok_or(format!("unknown opcode `{op_name}`"))?;
    let mut line = Line {
        op,
        refs: Vec::new(),
        konsts: Vec::new(),
        aux: 0,
        cond: None,
        mem: None,
    };
    for w in words {
        operand(&mut line, names, w)?;
    }
    let float_cmp = line
        .refs
        .iter()
        .find(|r| !r.is_none())
        .is_some_and(|&r| ir.ty(r).is_float());
    for &(at, bits, explicit) in &line.konsts {
        let kty = explicit.unwrap_or(match op.mode() {
            Mode::CondRefs => line
                .refs
                .iter()
                .find(|r| !r.is_none())
                .map_or(Ty::I32, |&r| ir.ty(r)),
            Mode::MemRefs if at == 0 => Ty::I32,
            _ if op == Op::Bound || t == Ty::Void => Ty::I32,
            _ => t,
        });
        line.refs[at] = ir.k(kty, bits).map_err(|e| format!("{e:?}"))?;
    }
    if let Some(c) = line.cond {
        let c = Cond::from_name(c, float_cmp).ok_or(format!("unknown condition `{c}`"))?;
        line.aux = c as u64;
    }
    if let Some(m) = line.mem {
        line.aux = m.aux(line.aux as u32);
    }
    let at = |k: usize| line.refs.get(k).copied().unwrap_or(Ref::NONE);
    Ok(Ins {
        c: at(2),
        ..Ins::new(op, t, at(0), at(1), line.aux)
    })
}

fn operand<'s>(
    line: &mut Line<'s>,
    names: &HashMap<&'s str, Ref>,
    w: &'s str,
) -> Result<(), String> {
    let num = |s: &str| -> Result<u64, String> {
        s.parse::<i64>()
            .map(|v| v as u64)
            .or_else(|_| s.parse::<u64>())
            .map_err(|_| format!("bad number `{s}`"))
    };
    if let Some(name) = w.strip_prefix('%') {
        line.refs.push(
            *names
                .get(name)
                .ok_or(format!("`%{name}` is not defined above"))?,
        );
    } else if let Some(k) = w.strip_prefix('#') {
        let (bits, explicit) = match k.split_once(':') {
            Some((v, t)) => (v, Some(ty(t)?)),
            None => (k, None),
        };
        line.konsts.push((line.refs.len(), num(bits)?, explicit));
        line.refs.push(Ref::NONE);
    } else if let Some(n) = w
        .strip_prefix(['s', 'g'])
        .filter(|n| n.parse::<u64>().is_ok())
    {
        line.aux = num(n)?;
    } else if let Some(n) = w.strip_prefix('+') {
        line.aux = num(n)?;
    } else if let Some(m) = Mem::from_name(w).filter(|_| line.op.mode() == Mode::MemRefs) {
        line.mem = Some(m);
    } else if line.op.mode() == Mode::CondRefs && line.cond.is_none() {
        line.cond = Some(w);
    } else {
        return Err(format!("unknown operand `{w}`"));
    }
    Ok(())
}

/// Runs the input section of a file; returns what the buffer holds, one line each,
/// then what each named line became.
fn run(input: &str) -> Result<String, String> {
    let arena = Bump::new();
    let mut ir = Ir::new(&arena, 4096, 1024);
    let mut names: HashMap<&str, Ref> = HashMap::new();
    let mut order = Vec::new();
    for (n, raw) in input.lines().enumerate() {
        let text = raw.split(';').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let at = |e: String| format!("input line {}: {e}: `{text}`", n + 1);
        if let Some(slots) = text.strip_prefix("loop") {
            let mut modified = Vec::new();
            for m in slots.split_whitespace() {
                let (s, v) = m
                    .split_once("=%")
                    .ok_or_else(|| at("want sN=%name".into()))?;
                let slot = s
                    .trim_start_matches('s')
                    .parse()
                    .map_err(|_| at("bad slot".into()))?;
                let r = *names
                    .get(v)
                    .ok_or_else(|| at(format!("`%{v}` is not defined")))?;
                modified.push((slot, r));
            }
            loop_::unroll(&mut ir, &modified).map_err(|e| at(format!("{e:?}")))?;
            continue;
        }
        if let Some(n) = text.strip_prefix("floor ") {
            ir.mem_floor = n.trim().parse().map_err(|_| at("bad floor".into()))?;
            continue;
        }
        if text == "dce" {
            dce::run(&mut ir);
            continue;
        }
        if text == "dse" {
            mem::dead_stores(&mut ir);
            continue;
        }
        let (name, rest) = match text.split_once('=') {
            Some((l, r)) if l.trim().starts_with('%') => (Some(l.trim()[1..].trim()), r.trim()),
            _ => (None, text),
        };
        let ins = parse_line(&mut ir, &names, rest).map_err(at)?;
        let before = ir.len();
        let r = ir.emit(ins).map_err(|e| at(format!("{e:?}")))?;
        if ins.op.has(flag::GUARD) && !r.is_none() && r.idx() >= before {
            // A guard's snapshot, as the recorder takes one: here with nothing to write
            // back (what LOOP and BOUNDS decide from snapshots needs one to exist).
            ir.snaps.push(Snapshot::empty(r));
        }
        if let Some(name) = name {
            names.insert(name, r);
            order.push(name);
        }
    }
    let mut out = String::new();
    for (i, ins) in ir.ins.iter().enumerate() {
        if matches!(ins.op, Op::K | Op::Nop) {
            continue;
        }
        out.push_str(&format_ins(Ref(i as u32), ins, &|r| ir.konst(r)));
        out.push('\n');
    }
    for name in order {
        let r = names[name];
        match ir.konst(r).filter(|_| !r.is_none()) {
            Some(bits) => out.push_str(&format!("%{name} = #{}\n", bits as i64)),
            None => out.push_str(&format!("%{name} = {r}\n")),
        }
    }
    Ok(out)
}

fn bless() -> bool {
    std::env::var("SPUR_BLESS").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Checks one file; with the bless switch, rewrites its `out:` section instead.
fn check(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let (head, expected) = text.split_once("\nout:\n").ok_or("no `out:` section")?;
    let input = head.split_once("in:\n").ok_or("no `in:` section")?.1;
    let got = run(input)?;
    if got == expected {
        return Ok(());
    }
    if bless() {
        return std::fs::write(path, format!("{head}\nout:\n{got}")).map_err(|e| e.to_string());
    }
    Err(format!(
        "the passes left\n{got}\nbut the file expects\n{expected}\n(SPUR_BLESS=1 rewrites it)"
    ))
}

#[test]
fn every_pass_file_gives_its_expected_ir() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/jit/opt/filetests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the filetests folder")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ir"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 6,
        "one file per pass at least, found {}",
        files.len()
    );
    let failed: Vec<String> = files
        .iter()
        .filter_map(|p| check(p).err().map(|e| format!("{}: {e}", p.display())))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn the_text_form_rejects_what_it_cannot_read() {
    for bad in [
        "i32 Nosuch #1",
        "i33 Add #1 #2",
        "i32 Add %x #1",
        "i32 Load u8 #0 +x",
        "void Guard sideways #1 #2",
    ] {
        assert!(run(bad).is_err(), "`{bad}` was accepted");
    }
}

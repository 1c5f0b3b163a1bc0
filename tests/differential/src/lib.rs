//! Differential testing: random valid modules (from `wasm-smith`, Wasm 2.0 without SIMD,
//! instrumented to terminate, NaNs canonicalized so results are deterministic) run on
//! spur's interpreter and on wasmi, and every observable must agree: instantiation, each
//! exported function's results or trap, and after every call the exported globals,
//! memories and tables.
//!
//! A separate workspace member so that the default `cargo test` never builds wasmi; CI runs
//! it explicitly (`cargo test --release -p spur-differential`). `SPUR_DIFF_CASES` sets the
//! number of modules (default 2000); a failure names the seed that reproduces it.

use arbitrary::Unstructured;

/// What a call observed, in a form both engines can produce.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Results as (type name, bits).
    Values(Vec<(&'static str, u64)>),
    /// A trap, by spur's message.
    Trap(String),
    /// A limit that differs between engines (stack depth): not compared.
    Exhausted,
}

/// The generator configuration: Wasm 2.0 without SIMD, no imports.
pub fn config() -> wasm_smith::Config {
    wasm_smith::Config {
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        tail_call_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        canonicalize_nans: true,
        max_imports: 0,
        max_memories: 1,
        // Where growth fails is up to each engine: keep it bounded by declared maxima.
        max_memory32_bytes: 1 << 20,
        memory_max_size_required: true,
        max_table_elements: 1000,
        table_max_size_required: true,
        min_funcs: 3,
        export_everything: true,
        max_funcs: 20,
        ..Default::default()
    }
}

/// The module for `seed`, or `None` when the generator gave up.
pub fn module_for(seed: u64) -> Option<Vec<u8>> {
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let data: Vec<u8> = (0..8192)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let mut u = Unstructured::new(&data);
    let mut m = wasm_smith::Module::new(config(), &mut u).ok()?;
    m.ensure_termination(2000).ok()?;
    Some(m.to_bytes())
}

fn spur_trap(code: spur::TrapCode) -> Outcome {
    use spur::TrapCode as T;
    match code {
        T::StackOverflow => Outcome::Exhausted,
        // wasmi reports both as one "table out of bounds" code.
        T::UndefinedElement | T::TableOutOfBounds => Outcome::Trap("table out of bounds".into()),
        other => Outcome::Trap(other.message().into()),
    }
}

fn wasmi_trap(code: wasmi::TrapCode) -> Outcome {
    use wasmi::TrapCode as W;
    let msg = match code {
        W::StackOverflow => return Outcome::Exhausted,
        W::UnreachableCodeReached => "unreachable",
        W::MemoryOutOfBounds => "out of bounds memory access",
        W::TableOutOfBounds => "table out of bounds",
        W::IndirectCallToNull => "uninitialized element",
        W::IntegerDivisionByZero => "integer divide by zero",
        W::IntegerOverflow => "integer overflow",
        W::BadConversionToInteger => "invalid conversion to integer",
        W::BadSignature => "indirect call type mismatch",
        other => return Outcome::Trap(format!("wasmi-only trap {other:?}")),
    };
    Outcome::Trap(msg.into())
}

fn spur_val(v: &spur::Val) -> (&'static str, u64) {
    match v {
        spur::Val::I32(x) => ("i32", *x as u32 as u64),
        spur::Val::I64(x) => ("i64", *x as u64),
        spur::Val::F32(x) => ("f32", u64::from(*x)),
        spur::Val::F64(x) => ("f64", *x),
        spur::Val::FuncRef(f) => ("funcref", u64::from(f.is_some())),
        spur::Val::ExternRef(e) => ("externref", u64::from(e.is_some())),
    }
}

fn wasmi_val(v: &wasmi::Val) -> (&'static str, u64) {
    match v {
        wasmi::Val::I32(x) => ("i32", *x as u32 as u64),
        wasmi::Val::I64(x) => ("i64", *x as u64),
        wasmi::Val::F32(x) => ("f32", u64::from(x.to_bits())),
        wasmi::Val::F64(x) => ("f64", x.to_bits()),
        wasmi::Val::FuncRef(f) => ("funcref", u64::from(!f.is_null())),
        wasmi::Val::ExternRef(e) => ("externref", u64::from(!e.is_null())),
        other => ("unsupported", format!("{other:?}").len() as u64),
    }
}

/// Arguments for a parameter list: the same deterministic values on both engines.
fn arg_bits(i: usize) -> u64 {
    [1, u64::MAX, 0x8000_0000, 7, 0x3ff8_0000_0000_0000, 0][i % 6]
}

/// Everything exported besides functions, as comparable text.
fn spur_state(store: &mut spur::Store<()>, inst: &spur::Instance) -> Vec<String> {
    let mut out = Vec::new();
    for e in inst.exports(&mut *store) {
        match e.ext() {
            spur::Extern::Global(g) => {
                out.push(format!("{} = {:?}", e.name(), spur_val(&g.get(&*store))))
            }
            spur::Extern::Memory(m) => out.push(format!("{}: {}", e.name(), fnv(m.data(&*store)))),
            spur::Extern::Table(t) => out.push(format!("{}: size {}", e.name(), t.size(&*store))),
            spur::Extern::Func(_) => {}
        }
    }
    out.sort();
    out
}

fn wasmi_state(store: &wasmi::Store<()>, inst: &wasmi::Instance) -> Vec<String> {
    let mut out = Vec::new();
    for e in inst.exports(store) {
        let name = e.name().to_string();
        match e.into_extern() {
            wasmi::Extern::Global(g) => {
                out.push(format!("{name} = {:?}", wasmi_val(&g.get(store))))
            }
            wasmi::Extern::Memory(m) => out.push(format!("{name}: {}", fnv(m.data(store)))),
            wasmi::Extern::Table(t) => out.push(format!("{name}: size {}", t.size(store))),
            _ => {}
        }
    }
    out.sort();
    out
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Runs one module on both engines; `Err` describes the first disagreement.
pub fn compare(bytes: &[u8]) -> Result<usize, String> {
    let mut config = spur::Config::new();
    config.jit(false);
    let s_engine = spur::Engine::new(&config);
    let s_module =
        spur::Module::new(&s_engine, bytes).map_err(|e| format!("spur rejected: {e}"))?;
    let mut s_store = spur::Store::new(&s_engine, ());
    let w_engine = wasmi::Engine::default();
    let w_module =
        wasmi::Module::new(&w_engine, bytes).map_err(|e| format!("wasmi rejected: {e}"))?;
    let mut w_store = wasmi::Store::new(&w_engine, ());

    let s_inst = spur::Linker::new(&s_engine).instantiate(&mut s_store, &s_module);
    let w_inst = wasmi::Linker::<()>::new(&w_engine).instantiate_and_start(&mut w_store, &w_module);
    let (s_inst, w_inst) = match (s_inst, w_inst) {
        (Ok(s), Ok(w)) => (s, w),
        // wasmi reports a failing segment at instantiation as a table or memory error
        // rather than a trap code, so failing on both sides is agreement.
        (Err(_), Err(_)) => return Ok(0),
        (s, w) => {
            return Err(format!(
                "instantiation: spur {:?}, wasmi {:?}",
                s.err(),
                w.err()
            ));
        }
    };

    let mut calls = 0;
    let exports: Vec<String> = s_module.exports().map(|e| e.name().to_string()).collect();
    for (round, name) in exports.iter().chain(&exports).enumerate() {
        let round = round / exports.len();
        let Some(sf) = s_inst.get_func(&mut s_store, name) else {
            continue;
        };
        let wf = w_inst
            .get_func(&w_store, name)
            .ok_or("export missing in wasmi")?;
        let ty = sf.ty(&s_store);
        let s_args: Vec<spur::Val> = ty
            .params()
            .iter()
            .enumerate()
            .map(|(i, &t)| (i + 3 * round, t))
            .map(|(i, t)| match t {
                spur::ValType::I32 => spur::Val::I32(arg_bits(i) as i32),
                spur::ValType::I64 => spur::Val::I64(arg_bits(i) as i64),
                spur::ValType::F32 => {
                    spur::Val::F32((f64::from_bits(arg_bits(i)) as f32).to_bits())
                }
                spur::ValType::F64 => spur::Val::F64(arg_bits(i)),
                other => spur::Val::default_for_ty(other),
            })
            .collect();
        let w_args: Vec<wasmi::Val> = s_args
            .iter()
            .map(|v| match v {
                spur::Val::I32(x) => wasmi::Val::I32(*x),
                spur::Val::I64(x) => wasmi::Val::I64(*x),
                spur::Val::F32(x) => wasmi::Val::F32(wasmi::F32::from_bits(*x)),
                spur::Val::F64(x) => wasmi::Val::F64(wasmi::F64::from_bits(*x)),
                spur::Val::FuncRef(_) => wasmi::Val::FuncRef(wasmi::Nullable::Null),
                spur::Val::ExternRef(_) => wasmi::Val::ExternRef(wasmi::Nullable::Null),
            })
            .collect();
        let mut s_res: Vec<spur::Val> = ty
            .results()
            .iter()
            .map(|&t| spur::Val::default_for_ty(t))
            .collect();
        let mut w_res: Vec<wasmi::Val> = wf
            .ty(&w_store)
            .results()
            .iter()
            .map(|&t| wasmi::Val::default_for_ty(t))
            .collect();
        let s_out = match sf.call(&mut s_store, &s_args, &mut s_res) {
            Ok(()) => Outcome::Values(s_res.iter().map(spur_val).collect()),
            Err(e) => e
                .trap_code()
                .map(spur_trap)
                .ok_or_else(|| format!("spur: {e}"))?,
        };
        let w_out = match wf.call(&mut w_store, &w_args, &mut w_res) {
            Ok(()) => Outcome::Values(w_res.iter().map(wasmi_val).collect()),
            Err(e) => e
                .as_trap_code()
                .map(wasmi_trap)
                .ok_or_else(|| format!("wasmi: {e}"))?,
        };
        calls += 1;
        if s_out == Outcome::Exhausted || w_out == Outcome::Exhausted {
            // Depth limits differ between engines, and so may the state after them.
            return Ok(calls);
        }
        if s_out != w_out {
            return Err(format!("`{name}`: spur {s_out:?}, wasmi {w_out:?}"));
        }
        let (s_state, w_state) = (
            spur_state(&mut s_store, &s_inst),
            wasmi_state(&w_store, &w_inst),
        );
        if s_state != w_state {
            return Err(format!(
                "after `{name}`: spur {s_state:?}, wasmi {w_state:?}"
            ));
        }
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spur_agrees_with_wasmi_on_random_modules() {
        let cases: u64 = std::env::var("SPUR_DIFF_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000);
        let (mut modules, mut calls) = (0u64, 0usize);
        let mut failures = Vec::new();
        for seed in 0..cases {
            let Some(bytes) = module_for(seed) else {
                continue;
            };
            if std::env::var_os("SPUR_DIFF_TRACE").is_some() {
                eprintln!("seed {seed}");
            }
            modules += 1;
            match compare(&bytes) {
                Ok(n) => calls += n,
                Err(e) => failures.push(format!("seed {seed}: {e}")),
            }
        }
        println!(
            "differential: {modules} modules, {calls} calls compared, {} disagreements",
            failures.len()
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(
            modules > cases / 2,
            "generator produced only {modules} modules"
        );
        assert!(calls as u64 > modules, "too few calls compared: {calls}");
    }
}

#[cfg(test)]
mod dump {
    #[test]
    #[ignore = "debugging aid: writes the module of SPUR_DIFF_SEED to /tmp/diff.wasm"]
    fn write_module() {
        let seed: u64 = std::env::var("SPUR_DIFF_SEED").unwrap().parse().unwrap();
        std::fs::write("/tmp/diff.wasm", super::module_for(seed).unwrap()).unwrap();
    }
}

#[cfg(test)]
mod one {
    #[test]
    #[ignore = "debugging aid: compares the module of SPUR_DIFF_SEED"]
    fn compare_seed() {
        let seed: u64 = std::env::var("SPUR_DIFF_SEED").unwrap().parse().unwrap();
        let bytes = super::module_for(seed).unwrap();
        super::compare(&bytes).unwrap();
    }
}

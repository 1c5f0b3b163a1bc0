//! A second reference from outside, for triage: Wasmtime (Cranelift) given spur's module
//! (without wasmi's rewrite) and the same calls, compared with spur's interpreter.
//!
//! Behind the `wasmtime` feature, so that neither the default build nor CI compiles
//! Wasmtime. Where wasmi alone disagrees, [`confirm`] says whether Wasmtime sides with
//! spur: the evidence a seed needs before it joins [`crate::WASMI_BUGS`]. With the feature
//! on, a test replays every seed of that list this way.

use crate::{CALLS, CALLS_EXPORT, Disagreement, FUEL, FUEL_EXPORT, Outcome, Side, Spur};

/// Wasmtime with its default configuration (Cranelift).
struct Wasmtime {
    store: wasmtime::Store<()>,
    /// The instance, or why instantiation failed.
    inst: Result<wasmtime::Instance, String>,
}

impl Wasmtime {
    fn new(bytes: &[u8]) -> Result<Wasmtime, String> {
        let engine = wasmtime::Engine::default();
        let module =
            wasmtime::Module::new(&engine, bytes).map_err(|e| format!("rejected: {e:#}"))?;
        let mut store = wasmtime::Store::new(&engine, ());
        let inst = wasmtime::Linker::<()>::new(&engine)
            .instantiate(&mut store, &module)
            .map_err(|e| e.to_string());
        Ok(Wasmtime { store, inst })
    }
}

fn trap(code: wasmtime::Trap) -> Outcome {
    use wasmtime::Trap as T;
    let msg = match code {
        T::StackOverflow => return Outcome::Exhausted,
        T::UnreachableCodeReached => "unreachable",
        T::MemoryOutOfBounds => "out of bounds memory access",
        T::TableOutOfBounds => "table out of bounds",
        T::IndirectCallToNull => "uninitialized element",
        T::IntegerDivisionByZero => "integer divide by zero",
        T::IntegerOverflow => "integer overflow",
        T::BadConversionToInteger => "invalid conversion to integer",
        T::BadSignature => "indirect call type mismatch",
        other => return Outcome::Trap(format!("wasmtime-only trap {other:?}")),
    };
    Outcome::Trap(msg.into())
}

fn val(v: &wasmtime::Val) -> (&'static str, u64) {
    match v {
        wasmtime::Val::I32(x) => ("i32", *x as u32 as u64),
        wasmtime::Val::I64(x) => ("i64", *x as u64),
        wasmtime::Val::F32(x) => ("f32", u64::from(*x)),
        wasmtime::Val::F64(x) => ("f64", *x),
        wasmtime::Val::FuncRef(f) => ("funcref", u64::from(f.is_some())),
        wasmtime::Val::ExternRef(e) => ("externref", u64::from(e.is_some())),
        _ => ("other", 0),
    }
}

impl Side for Wasmtime {
    fn refill(&mut self) -> Result<(), String> {
        let inst = self.inst.clone()?;
        for (name, value) in [(FUEL_EXPORT, FUEL), (CALLS_EXPORT, CALLS)] {
            let global = inst
                .get_global(&mut self.store, name)
                .ok_or_else(|| format!("no global `{name}`"))?;
            global
                .set(&mut self.store, wasmtime::Val::I32(value as i32))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn call(&mut self, name: &str, round: usize) -> Result<Outcome, String> {
        let inst = self.inst.clone()?;
        let f = inst
            .get_func(&mut self.store, name)
            .ok_or("export missing")?;
        let ty = f.ty(&self.store);
        let args: Vec<wasmtime::Val> = ty
            .params()
            .enumerate()
            .map(|(i, t)| {
                let bits = crate::arg_bits(i, round);
                match t {
                    wasmtime::ValType::I32 => wasmtime::Val::I32(bits as i32),
                    wasmtime::ValType::I64 => wasmtime::Val::I64(bits as i64),
                    wasmtime::ValType::F32 => {
                        wasmtime::Val::F32((f64::from_bits(bits) as f32).to_bits())
                    }
                    wasmtime::ValType::F64 => wasmtime::Val::F64(bits),
                    other => wasmtime::Val::default_for_ty(&other).unwrap_or(wasmtime::Val::I32(0)),
                }
            })
            .collect();
        let mut results: Vec<wasmtime::Val> = ty
            .results()
            .map(|t| wasmtime::Val::default_for_ty(&t).unwrap_or(wasmtime::Val::I32(0)))
            .collect();
        match f.call(&mut self.store, &args, &mut results) {
            Ok(()) => Ok(Outcome::Values(results.iter().map(val).collect())),
            Err(e) => e
                .downcast_ref::<wasmtime::Trap>()
                .map(|&t| trap(t))
                .ok_or_else(|| e.to_string()),
        }
    }

    fn state(&mut self) -> Vec<String> {
        let Ok(inst) = self.inst.clone() else {
            return Vec::new();
        };
        let exports: Vec<(String, wasmtime::Extern)> = inst
            .exports(&mut self.store)
            .map(|e| (e.name().to_string(), e.into_extern()))
            .collect();
        let mut out = Vec::new();
        for (name, e) in exports {
            match e {
                wasmtime::Extern::Global(g) => {
                    out.push(format!("{name} = {:?}", val(&g.get(&mut self.store))))
                }
                wasmtime::Extern::Memory(m) => {
                    out.push(format!("{name}: {}", crate::fnv(m.data(&self.store))))
                }
                wasmtime::Extern::Table(t) => {
                    out.push(format!("{name}: size {}", t.size(&self.store)))
                }
                _ => {}
            }
        }
        out.sort();
        out
    }
}

/// Runs `bytes` on spur's interpreter and on Wasmtime and compares every call and the
/// state after it, as [`crate::compare`] does; the number of calls compared, or the first
/// disagreement.
pub fn confirm(bytes: &[u8]) -> Result<usize, String> {
    pair(bytes).map_err(|d| match d.who {
        Some(who) => format!("`{}` disagrees: {}", ["interp", "wasmtime"][who], d.what),
        None => d.what,
    })
}

fn pair(bytes: &[u8]) -> Result<usize, Disagreement> {
    let names = ["interp".to_string(), "wasmtime".to_string()];
    let mut spur = crate::guard(|| Spur::new(bytes, false)).map_err(|e| crate::fails(0, e))?;
    let mut wasmtime = crate::guard(|| Wasmtime::new(bytes)).map_err(|e| crate::fails(1, e))?;
    crate::agree_among(
        &names,
        "instantiation succeeds",
        &[spur.inst.is_ok(), wasmtime.inst.is_ok()],
    )?;
    let mut calls = 0;
    if spur.inst.is_ok() {
        let exports = crate::exported_funcs(&spur.module);
        let sides: [&mut dyn Side; 2] = [&mut spur, &mut wasmtime];
        crate::calls_agree(&names, 1, &exports, &mut { sides }, &mut calls)?;
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    /// Every seed counted as wasmi's bug: Wasmtime gives spur's interpreter's results.
    #[test]
    fn wasmtime_sides_with_spur_at_every_known_wasmi_bug() {
        for &(seed, what) in crate::WASMI_BUGS {
            let bytes = crate::module_for(seed).expect("the generator makes a module");
            let calls = crate::on_big_stack(|| super::confirm(&bytes))
                .unwrap_or_else(|e| panic!("seed {seed} ({what}): {e}"));
            assert!(calls > 0, "seed {seed}: no call compared");
        }
    }

    #[test]
    #[ignore = "triage aid: compares the module of SPUR_DIFF_SEED with Wasmtime"]
    fn confirm_seed() {
        let seed: u64 = std::env::var("SPUR_DIFF_SEED").unwrap().parse().unwrap();
        let bytes = crate::module_for(seed).unwrap();
        let calls = crate::on_big_stack(|| super::confirm(&bytes))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        println!("seed {seed}: spur's interpreter and Wasmtime agree on {calls} calls");
    }

    #[test]
    #[ignore = "triage aid: compares the module of the fuzz input at SPUR_FUZZ_INPUT (a \
                `wasmi-*` file `spur-fuzz --save` kept) with Wasmtime"]
    fn confirm_input() {
        let path = std::env::var("SPUR_FUZZ_INPUT").unwrap();
        let input = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let bytes = crate::fuzz::module_of(&input).expect("the input generates a module");
        let calls = crate::on_big_stack(|| super::confirm(&bytes))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        println!("{path}: spur's interpreter and Wasmtime agree on {calls} calls");
    }
}

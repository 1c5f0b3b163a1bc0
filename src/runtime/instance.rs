//! `Instance` and instantiation, in the spec's order: check imports, allocate functions,
//! tables, memories and globals, evaluate element segments, apply active element and data
//! segments (a trap there leaves earlier writes in place, as the spec requires), then run
//! the start function.

use crate::error::Error;
use crate::module::{ConstExpr, DataMode, ElemMode, ExternKind, ExternType, ModuleInner};
use crate::runtime::extern_::{Export, Extern};
use crate::runtime::func::{Func, call_raw};
use crate::runtime::global::Global;
use crate::runtime::limits::Growth;
use crate::runtime::memory::Memory;
use crate::runtime::module::Module;
use crate::runtime::store::{
    AsContext, AsContextMut, FuncEntity, GlobalEntity, InstanceEntity, MemoryEntity, Store,
    StoreInner, TableEntity,
};
use crate::runtime::table::Table;
use crate::runtime::trap::TrapCode;
use crate::runtime::typed::{TypedFunc, WasmParams, WasmResults};
use crate::runtime::types::limits_match;

/// An instantiated module in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instance {
    pub(crate) store_id: u64,
    pub(crate) idx: u32,
}

impl Instance {
    /// Instantiates `module` with `imports` given in the order of the module's imports,
    /// and runs its start function.
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance, Error> {
        instantiate(store.as_context_mut().store, module, imports)
    }

    /// An export by name.
    pub fn get_export(&self, store: impl AsContextMut, name: &str) -> Option<Extern> {
        let ctx = store.as_context();
        let inner = &ctx.store.inner;
        inner.check(self.store_id);
        let inst = &inner.instances[self.idx as usize];
        let export = inst.module.inner.exports.iter().find(|e| e.name == name)?;
        Some(export_extern(inner, inst, export.kind, export.index))
    }

    /// All exports, in module order.
    pub fn exports(&self, store: impl AsContext) -> Vec<Export> {
        let ctx = store.as_context();
        let inner = &ctx.store.inner;
        inner.check(self.store_id);
        let inst = &inner.instances[self.idx as usize];
        inst.module
            .inner
            .exports
            .iter()
            .map(|e| Export::new(e.name.clone(), export_extern(inner, inst, e.kind, e.index)))
            .collect()
    }

    /// An exported function.
    pub fn get_func(&self, store: impl AsContextMut, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// An exported function with a checked static type.
    pub fn get_typed_func<Params: WasmParams, Results: WasmResults>(
        &self,
        mut store: impl AsContextMut,
        name: &str,
    ) -> Result<TypedFunc<Params, Results>, Error> {
        let func = self
            .get_func(&mut store, name)
            .ok_or_else(|| Error::usage(format!("no exported function named `{name}`")))?;
        func.typed(&store)
    }

    /// An exported global.
    pub fn get_global(&self, store: impl AsContextMut, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// An exported table.
    pub fn get_table(&self, store: impl AsContextMut, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// An exported memory.
    pub fn get_memory(&self, store: impl AsContextMut, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The module this instance was made from.
    pub fn module<'a, T: 'a>(&self, store: impl Into<crate::StoreContext<'a, T>>) -> &'a Module {
        let store = store.into().store;
        store.inner.check(self.store_id);
        &store.inner.instances[self.idx as usize].module
    }
}

fn export_extern(
    inner: &StoreInner,
    inst: &InstanceEntity,
    kind: ExternKind,
    index: u32,
) -> Extern {
    let store_id = inner.id;
    let i = index as usize;
    match kind {
        ExternKind::Func => Extern::Func(Func {
            store_id,
            idx: inst.funcs[i],
        }),
        ExternKind::Table => Extern::Table(Table {
            store_id,
            idx: inst.tables[i],
        }),
        ExternKind::Memory => Extern::Memory(Memory {
            store_id,
            idx: inst.memories[i],
        }),
        ExternKind::Global => Extern::Global(Global {
            store_id,
            idx: inst.globals[i],
        }),
    }
}

/// Evaluates a constant expression given the instance's functions and globals so far.
fn eval(inner: &StoreInner, funcs: &[u32], globals: &[u32], expr: ConstExpr) -> u64 {
    match expr {
        ConstExpr::I32(v) => u64::from(v as u32),
        ConstExpr::I64(v) => v as u64,
        ConstExpr::F32(v) => u64::from(v),
        ConstExpr::F64(v) => v,
        ConstExpr::RefNull => 0,
        ConstExpr::RefFunc(f) => u64::from(funcs[f as usize]) + 1,
        ConstExpr::GlobalGet(g) => inner.globals[globals[g as usize] as usize].value,
    }
}

/// With a resource limiter: the instance, memory and table counts the module would
/// bring the store to, and the initial size of every memory and table it defines, must
/// be allowed.
fn check_limits<T>(store: &mut Store<T>, m: &crate::module::ModuleInner) -> Result<(), Error> {
    let Some([instances, memories, tables]) = store.count_limits() else {
        return Ok(());
    };
    let defined_memories = &m.memories[m.num_imported_memories as usize..];
    let defined_tables = &m.tables[m.num_imported_tables as usize..];
    let s = &store.inner;
    let over = [
        ("instances", s.instances.len() + 1, instances),
        (
            "memories",
            s.memories.len() + defined_memories.len(),
            memories,
        ),
        ("tables", s.tables.len() + defined_tables.len(), tables),
    ];
    if let Some((what, n, limit)) = over.iter().find(|(_, n, limit)| n > limit) {
        return Err(Error::link(format!(
            "resource limit exceeded: {n} {what}, the store's limiter allows {limit}"
        )));
    }
    for ty in defined_memories {
        if !store.ask_limiter(Growth::memory(0, ty.minimum().into(), *ty))? {
            return Err(Error::link(
                "memory minimum exceeds the store's resource limits",
            ));
        }
    }
    for ty in defined_tables {
        if !store.ask_limiter(Growth::table(0, ty.minimum() as usize, *ty))? {
            return Err(Error::link(
                "table minimum exceeds the store's resource limits",
            ));
        }
    }
    Ok(())
}

/// The store indices of `m`'s imports, checked against their declared types:
/// functions, tables, memories and globals, each in module order.
fn link_imports(inner: &StoreInner, m: &ModuleInner, imports: &[Extern]) -> Result<Spaces, Error> {
    let mut funcs = Vec::with_capacity(m.funcs.len());
    let mut tables = Vec::with_capacity(m.tables.len());
    let mut memories = Vec::with_capacity(m.memories.len());
    let mut globals = Vec::with_capacity(m.globals.len());
    for (import, ext) in m.imports.iter().zip(imports) {
        if ext.store_id() != inner.id {
            return Err(Error::link("import from another store"));
        }
        let mismatch = |what: &str| {
            Error::link(format!(
                "incompatible import type for `{}::{}`: {what}",
                import.module(),
                import.name()
            ))
        };
        match (import.ty(), ext) {
            (ExternType::Func(want), Extern::Func(f)) => {
                let have = inner.funcs[f.idx as usize].ty();
                if have != inner.engine.intern(want) {
                    return Err(mismatch(&format!(
                        "expected function of type {want}, found {}",
                        inner.engine.func_type(have)
                    )));
                }
                funcs.push(f.idx);
            }
            (ExternType::Table(want), Extern::Table(t)) => {
                let have = &inner.tables[t.idx as usize];
                let ok = have.ty.element() == want.element()
                    && limits_match(
                        have.elems.len() as u64,
                        have.ty.maximum().map(u64::from),
                        u64::from(want.minimum()),
                        want.maximum().map(u64::from),
                    );
                if !ok {
                    return Err(mismatch("table type does not match"));
                }
                tables.push(t.idx);
            }
            (ExternType::Memory(want), Extern::Memory(mem)) => {
                let have = &inner.memories[mem.idx as usize];
                let ok = limits_match(
                    u64::from(have.pages()),
                    have.ty.maximum().map(u64::from),
                    u64::from(want.minimum()),
                    want.maximum().map(u64::from),
                );
                if !ok {
                    return Err(mismatch("memory limits do not match"));
                }
                memories.push(mem.idx);
            }
            (ExternType::Global(want), Extern::Global(g)) => {
                if inner.globals[g.idx as usize].ty != *want {
                    return Err(mismatch("global type does not match"));
                }
                globals.push(g.idx);
            }
            _ => return Err(mismatch("wrong kind of entity")),
        }
    }
    Ok(Spaces {
        funcs,
        tables,
        memories,
        globals,
    })
}

/// Runs instance `idx`'s active element and data segments, in order, and drops them
/// and the declared element segments.
fn initialize(inner: &mut StoreInner, m: &ModuleInner, idx: u32) -> Result<(), Error> {
    // Active and declared element segments, in order.
    for (i, seg) in m.elems.iter().enumerate() {
        match &seg.mode {
            ElemMode::Passive => continue,
            ElemMode::Declared => {}
            ElemMode::Active { table, offset } => {
                let inst = &inner.instances[idx as usize];
                let offset = eval(inner, &inst.funcs, &inst.globals, *offset) as u32 as usize;
                let t = inst.tables[*table as usize] as usize;
                let items = &inst.elems[i];
                let len = items.len();
                if offset + len > inner.tables[t].elems.len() {
                    return Err(TrapCode::TableOutOfBounds.into());
                }
                let items = items.clone();
                inner.tables[t].elems[offset..offset + len].copy_from_slice(&items);
            }
        }
        inner.instances[idx as usize].elems[i] = Box::new([]);
    }
    // Active data segments, in order.
    for (i, seg) in m.datas.iter().enumerate() {
        let DataMode::Active { memory, offset } = &seg.mode else {
            continue;
        };
        let inst = &inner.instances[idx as usize];
        let offset = eval(inner, &inst.funcs, &inst.globals, *offset) as u32 as usize;
        let mem = inst.memories[*memory as usize] as usize;
        let bytes = &m.bytes[seg.range.clone()];
        let data = &mut inner.memories[mem].data;
        if offset + bytes.len() > data.len() {
            return Err(TrapCode::MemoryOutOfBounds.into());
        }
        data[offset..offset + bytes.len()].copy_from_slice(bytes);
        inner.instances[idx as usize].data_dropped[i] = true;
    }
    Ok(())
}

/// The store indices of an instance's functions, tables, memories and globals.
struct Spaces {
    funcs: Vec<u32>,
    tables: Vec<u32>,
    memories: Vec<u32>,
    globals: Vec<u32>,
}

pub(crate) fn instantiate<T>(
    store: &mut Store<T>,
    module: &Module,
    imports: &[Extern],
) -> Result<Instance, Error> {
    let m = &module.inner;
    if !crate::Engine::same(&m.engine, &store.inner.engine) {
        return Err(Error::link("module was compiled for a different engine"));
    }
    if imports.len() != m.imports.len() {
        return Err(Error::link(format!(
            "expected {} imports, found {}",
            m.imports.len(),
            imports.len()
        )));
    }
    check_limits(store, m)?;
    let inner = &mut store.inner;
    let Spaces {
        mut funcs,
        mut tables,
        mut memories,
        mut globals,
    } = link_imports(inner, m, imports)?;

    let idx = inner.instances.len() as u32;
    for (i, &ty) in m
        .funcs
        .iter()
        .enumerate()
        .skip(m.num_imported_funcs as usize)
    {
        inner.funcs.push(FuncEntity::Wasm {
            compiled: crate::runtime::store::CompiledRef::NONE,
            instance: idx,
            func: i as u32,
            ty: m.type_ids[ty as usize],
        });
        funcs.push((inner.funcs.len() - 1) as u32);
    }
    for ty in &m.tables[m.num_imported_tables as usize..] {
        let mut elems = Vec::new();
        elems
            .try_reserve_exact(ty.minimum() as usize)
            .map_err(|_| Error::link("cannot allocate table"))?;
        elems.resize(ty.minimum() as usize, 0);
        inner.tables.push(TableEntity { elems, ty: *ty });
        tables.push((inner.tables.len() - 1) as u32);
    }
    for ty in &m.memories[m.num_imported_memories as usize..] {
        let reservation = inner.engine.config().memory_reservation;
        inner.memories.push(MemoryEntity::new(*ty, reservation)?);
        memories.push((inner.memories.len() - 1) as u32);
    }
    for (ty, &init) in m.globals[m.num_imported_globals as usize..]
        .iter()
        .zip(&m.global_inits)
    {
        let value = eval(inner, &funcs, &globals, init);
        inner.globals.push(GlobalEntity { value, ty: *ty });
        globals.push((inner.globals.len() - 1) as u32);
    }
    let elems: Vec<Box<[u64]>> = m
        .elems
        .iter()
        .map(|seg| {
            seg.items
                .iter()
                .map(|&e| eval(inner, &funcs, &globals, e))
                .collect()
        })
        .collect();
    inner.instances.push(InstanceEntity {
        module: module.clone(),
        funcs: funcs.into(),
        tables: tables.into(),
        memories: memories.into(),
        globals: globals.into(),
        elems,
        data_dropped: vec![false; m.datas.len()],
    });
    let instance = Instance {
        store_id: inner.id,
        idx,
    };

    initialize(inner, m, idx)?;
    if let Some(start) = m.start {
        let f = inner.instances[idx as usize].funcs[start as usize];
        call_raw(store, f, &[], &mut [])?;
    }
    Ok(instance)
}

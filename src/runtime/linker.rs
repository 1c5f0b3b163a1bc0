//! `Linker<T>`: a namespace of named definitions (host functions and store entities) that
//! resolves a module's imports by name and instantiates it.

use crate::Engine;
use crate::error::Error;
use crate::runtime::extern_::Extern;
use crate::runtime::func::{Caller, Func, HostFunc, IntoFunc};
use crate::runtime::instance::{Instance, instantiate};
use crate::runtime::module::Module;
use crate::runtime::store::{AsContext, AsContextMut};
use crate::runtime::types::FuncType;
use crate::runtime::values::Val;
use std::collections::HashMap;
use std::sync::Arc;

enum Definition<T> {
    Extern(Extern),
    /// A host function not yet placed in a store: each store gets its own on instantiation.
    HostFunc(Arc<HostFunc<T>>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::HostFunc(f) => Definition::HostFunc(f.clone()),
        }
    }
}

/// Resolves imports by `(module, name)` and instantiates modules.
///
/// Host functions get the caller's memory through [`Caller::get_export`]:
///
/// ```
/// use spur::{Caller, Engine, Linker, Module, Store};
///
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"
///     (module
///       (import "host" "log" (func $log (param i32 i32)))
///       (memory (export "memory") 1)
///       (data (i32.const 16) "hello")
///       (func (export "main") (call $log (i32.const 16) (i32.const 5))))
/// "#)?;
/// let mut store = Store::new(&engine, Vec::<String>::new());
/// let mut linker = Linker::new(&engine);
/// linker.func_wrap("host", "log", |mut caller: Caller<'_, Vec<String>>, ptr: i32, len: i32| {
///     let memory = caller.get_export("memory").and_then(|e| e.into_memory()).unwrap();
///     let bytes = memory.data(&caller)[ptr as usize..(ptr + len) as usize].to_vec();
///     caller.data_mut().push(String::from_utf8_lossy(&bytes).into_owned());
/// })?;
/// let instance = linker.instantiate(&mut store, &module)?;
/// instance.get_typed_func::<(), ()>(&mut store, "main")?.call(&mut store, ())?;
/// assert_eq!(store.data(), &["hello"]);
/// # Ok::<(), spur::Error>(())
/// ```
pub struct Linker<T> {
    engine: Engine,
    defs: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker {
            engine: self.engine.clone(),
            defs: self.defs.clone(),
            allow_shadowing: self.allow_shadowing,
        }
    }
}

impl<T> Linker<T> {
    /// Creates an empty linker for `engine`.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            defs: HashMap::new(),
            allow_shadowing: false,
        }
    }

    /// The engine this linker belongs to.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a later definition may replace an earlier one of the same name (default
    /// false: redefining is an error).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<&mut Self, Error> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            return Err(Error::link(format!(
                "`{module}::{name}` is already defined"
            )));
        }
        self.defs.insert(key, def);
        Ok(self)
    }

    /// Defines `module::name` as a host function from a typed closure (optionally taking a
    /// leading [`Caller`]).
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self, Error> {
        self.insert(
            module,
            name,
            Definition::HostFunc(Arc::new(func.into_host_func())),
        )
    }

    /// Defines `module::name` as a host function of type `ty` over [`Val`]s.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<&mut Self, Error>
    where
        T: 'static,
    {
        let f = Arc::new(crate::runtime::func::host_func_from_vals(ty, func));
        self.insert(module, name, Definition::HostFunc(f))
    }

    /// Defines every function import of `module` that is not yet defined as a host
    /// function that fails when called (as Wasmtime's method of the same name).
    pub fn define_unknown_imports_as_traps(&mut self, module: &Module) -> Result<(), Error>
    where
        T: 'static,
    {
        for import in module.imports() {
            let crate::ExternType::Func(ty) = import.ty() else {
                continue;
            };
            let key = (import.module().to_string(), import.name().to_string());
            if self.defs.contains_key(&key) {
                continue;
            }
            let what = format!("unknown import `{}::{}` was called", key.0, key.1);
            let f = crate::runtime::func::host_func_from_vals(ty.clone(), move |_, _, _| {
                Err(Error::msg(what.clone()))
            });
            self.defs.insert(key, Definition::HostFunc(Arc::new(f)));
        }
        Ok(())
    }

    /// Defines `module::name` as an entity of `store`.
    pub fn define(
        &mut self,
        store: impl AsContext<Data = T>,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self, Error> {
        let item = item.into();
        if item.store_id() != store.as_context().store.inner.id {
            return Err(Error::link("definition from another store"));
        }
        self.insert(module, name, Definition::Extern(item))
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn instance(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self, Error> {
        for export in instance.exports(&mut store) {
            self.insert(module, export.name(), Definition::Extern(export.ext()))?;
        }
        Ok(self)
    }

    /// Looks up a definition, placing a host function into `store` if needed.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.defs.get(&(module.to_string(), name.to_string()))?;
        Some(self.resolve(store.as_context_mut().store, def))
    }

    fn resolve(&self, store: &mut crate::Store<T>, def: &Definition<T>) -> Extern {
        match def {
            Definition::Extern(e) => *e,
            Definition::HostFunc(f) => {
                let idx = store.add_host_func(f.clone());
                Extern::Func(Func {
                    store_id: store.inner.id,
                    idx,
                })
            }
        }
    }

    /// Instantiates `module`, resolving its imports from this linker, and runs its start
    /// function.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance, Error> {
        let store = store.as_context_mut().store;
        let mut imports = Vec::with_capacity(module.inner.imports.len());
        for import in &module.inner.imports {
            let key = (import.module().to_string(), import.name().to_string());
            let def = self.defs.get(&key).ok_or_else(|| {
                Error::link(format!(
                    "unknown import: `{}::{}` has not been defined",
                    import.module(),
                    import.name()
                ))
            })?;
            imports.push(self.resolve(store, def));
        }
        instantiate(store, module, &imports)
    }

    /// Instantiates `module` and registers its exports under `name`.
    pub fn module(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        name: &str,
        module: &Module,
    ) -> Result<&mut Self, Error> {
        let instance = self.instantiate(&mut store, module)?;
        self.instance(store, name, instance)
    }
}

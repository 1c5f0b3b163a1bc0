//! The public [`Module`]: a decoded, validated module (`crate::module`) with the
//! interpreter's translations of its functions (`interp::Code`), made at first call and
//! shared by every instance and clone.

use crate::error::Error;
use crate::interp::{self, Code};
use crate::module::{ExportType, ExternKind, ExternType, ImportType, ModuleInner, parse};
use crate::runtime::engine::{CompilationMode, Engine};
use std::sync::Arc;

/// A validated WebAssembly module, ready to instantiate. Cheap to clone and shareable
/// across threads and stores.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
    /// The interpreter's translations of its defined functions.
    pub(crate) code: Arc<Code>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.inner.name)
            .field("funcs", &self.inner.funcs.len())
            .finish()
    }
}

impl Module {
    /// Decodes and validates a module from its binary or text (`.wat`) form.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module, Error> {
        let bytes = bytes.as_ref();
        if bytes.starts_with(b"\0asm") {
            return Module::from_binary(engine, bytes);
        }
        let binary = wat::parse_bytes(bytes).map_err(Error::compile)?;
        Module::from_binary(engine, &binary)
    }

    /// Reads, decodes and validates the module in file `path`, binary or text (`.wat`).
    ///
    /// The file is read into memory, not mapped: the module keeps its bytes for lazy
    /// translation (and lazy validation), and a mapping would change under it if the file
    /// were rewritten.
    ///
    /// ```
    /// use spur::{Engine, ErrorKind, Module};
    ///
    /// let engine = Engine::default();
    /// let err = Module::from_file(&engine, "no/such/module.wasm").unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::Io { .. }));
    /// assert!(err.to_string().contains("no/such/module.wasm"));
    /// ```
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|error| {
            Error::from_kind(crate::error::ErrorKind::Io {
                path: path.to_path_buf(),
                error,
            })
        })?;
        Module::new(engine, bytes)
    }

    /// Decodes and validates a module from its binary form.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        let inner = parse(engine, bytes)?;
        let module = Module {
            code: Arc::new(Code::new(&inner)),
            inner: Arc::new(inner),
        };
        if engine.config().compilation_mode == CompilationMode::Eager {
            module.translate_all()?;
        }
        Ok(module)
    }

    /// Checks that `bytes` are a valid module spur can run, without keeping it: every
    /// function body too, whatever the compilation mode.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<(), Error> {
        let inner = parse(engine, bytes)?;
        for (i, body) in inner.bodies.iter().enumerate() {
            body.validate(&inner.bytes).map_err(|e| {
                Error::compile(format!(
                    "function {}: {e}",
                    inner.num_imported_funcs as usize + i
                ))
            })?;
        }
        Ok(())
    }

    /// The engine this module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's name from the name section, if any.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The module's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = &ImportType> {
        self.inner.imports.iter()
    }

    /// The module's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = &ExportType> {
        self.inner.exports.iter()
    }

    /// The type of an exported entity, by export name.
    pub fn export_type(&self, name: &str) -> Option<ExternType> {
        let export = self.inner.exports.iter().find(|e| e.name == name)?;
        let m = &self.inner;
        let i = export.index as usize;
        Some(match export.kind {
            ExternKind::Func => ExternType::Func(m.func_type(export.index).clone()),
            ExternKind::Table => ExternType::Table(m.tables[i]),
            ExternKind::Memory => ExternType::Memory(m.memories[i]),
            ExternKind::Global => ExternType::Global(m.globals[i]),
        })
    }

    /// The slot bytecode of function `func` (module index space), one instruction per
    /// line, translating it if needed. For debugging and for `tracedump`.
    pub fn disassemble(&self, func: u32) -> Result<String, Error> {
        if func < self.inner.num_imported_funcs || func as usize >= self.inner.funcs.len() {
            return Err(Error::usage(format!(
                "function {func} is not defined in this module"
            )));
        }
        let c = self.code.compiled(&self.inner, func)?;
        Ok(interp::disassemble(&c.code, &c.offsets))
    }

    /// Translates every function to bytecode now instead of at first call.
    pub fn translate_all(&self) -> Result<(), Error> {
        for i in 0..self.inner.bodies.len() as u32 {
            self.code
                .compiled(&self.inner, self.inner.num_imported_funcs + i)?;
        }
        Ok(())
    }
}

//! The public [`Module`]: a decoded, validated module (`crate::module`) with the
//! interpreter's translations of its functions (`interp::Code`), made at first call and
//! shared by every instance and clone.

use crate::error::Error;
use crate::interp::{self, Code};
use crate::module::{Bytes, ExportType, ExternKind, ExternType, ImportType, ModuleInner, parse};
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
    /// The file is read into memory, which the module keeps (without a further copy) for
    /// lazy translation and lazy validation. [`Module::map_file`] maps it instead.
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
        let bytes = std::fs::read(path).map_err(|error| io_error(path, error))?;
        if bytes.starts_with(b"\0asm") {
            return Module::from_bytes(engine, Bytes::Owned(bytes.into_boxed_slice()));
        }
        Module::new(engine, bytes)
    }

    /// [`Module::from_file`], with a binary module mapped into memory rather than read:
    /// the load neither reads nor copies the file, and only the pages that decoding and
    /// each function's first call touch are brought in (a text module is read and
    /// converted as usual). For large modules loaded often.
    ///
    /// # Safety
    ///
    /// The file must not be written to or truncated while the module, a clone of it or
    /// an instance of it is alive: the module reads its bytes from the mapping for as
    /// long as it lives (to translate, and with `CompilationMode::Lazy` to validate,
    /// each function at its first call), so a change would reach code that was checked
    /// against the old bytes, and a truncation ends the process with `SIGBUS`.
    ///
    /// ```
    /// use spur::{Engine, Module};
    ///
    /// let path = std::env::temp_dir().join(format!("spur-doc-{}.wasm", std::process::id()));
    /// std::fs::write(&path, wat::parse_str("(module (func (export \"f\")))").unwrap()).unwrap();
    /// let engine = Engine::default();
    /// // SAFETY: nothing else writes this file while the module lives.
    /// let module = unsafe { Module::map_file(&engine, &path) }.unwrap();
    /// assert_eq!(module.exports().len(), 1);
    /// # drop(module);
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub unsafe fn map_file(
        engine: &Engine,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Module, Error> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|error| io_error(path, error))?;
        // SAFETY: the caller keeps the file unchanged for the module's lifetime (see
        // `# Safety`); the mapping is private and read-only.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|error| io_error(path, error))?;
        if map.starts_with(b"\0asm") {
            return Module::from_bytes(engine, Bytes::Mapped(map));
        }
        Module::new(engine, &map[..])
    }

    /// Decodes and validates a module from its binary form.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        Module::from_bytes(engine, Bytes::Owned(bytes.into()))
    }

    fn from_bytes(engine: &Engine, bytes: Bytes) -> Result<Module, Error> {
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
        let inner = parse(engine, Bytes::Owned(bytes.into()))?;
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

/// The error for a module file that could not be read.
fn io_error(path: &std::path::Path, error: std::io::Error) -> Error {
    Error::from_kind(crate::error::ErrorKind::Io {
        path: path.to_path_buf(),
        error,
    })
}

//! Decoding and validation: wasm bytes -> an immutable, shareable [`ModuleInner`], the
//! bottom layer: it imports nothing from the interpreter or the JIT. The public
//! [`Module`](crate::Module) (`runtime::module`) wraps it with the interpreter's
//! translations.
//!
//! The module's structure is validated up front with `wasmparser`, and by default every
//! function body too, so a `Module` is valid and later stages never see malformed input.
//! Function bodies are *not* translated here: each is translated to slot bytecode at its
//! first call (`interp::translate`), and the result is cached beside the module
//! (`interp::Code`), shared by all instances. `Config::compilation_mode` changes when
//! bodies are handled, with wasmi's names:
//! [`CompilationMode::Lazy`](crate::CompilationMode::Lazy) also validates each body only
//! at its first call (its errors surface then, from the call), and
//! [`CompilationMode::Eager`](crate::CompilationMode::Eager) translates every body at load.
//! A module's bytes are read into memory or, with `Module::map_file`, mapped ([`Bytes`]).
//!
//! Supported: WebAssembly 2.0 without SIMD (MVP, mutable globals, sign extension,
//! non-trapping float-to-int, multi-value, bulk memory, reference types). Anything else is
//! rejected by validation with an error that names the feature.

mod const_expr;

pub(crate) use const_expr::ConstExpr;

use crate::error::Error;
use crate::runtime::engine::CompilationMode;
use crate::runtime::engine::{Engine, TypeId};
use crate::runtime::types::{FuncType, GlobalType, MemoryType, TableType};
use std::collections::HashMap;
use std::ops::Range;
use wasmparser::{
    BinaryReader, FuncToValidate, FunctionBody, Parser, Payload, ValidPayload, Validator,
    ValidatorResources, WasmFeatures,
};

/// The features spur accepts: WebAssembly 2.0 minus SIMD.
pub(crate) fn features() -> WasmFeatures {
    WasmFeatures::WASM2.difference(WasmFeatures::SIMD)
}

/// The kind of an import or export.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExternKind {
    /// A function.
    Func,
    /// A table.
    Table,
    /// A linear memory.
    Memory,
    /// A global.
    Global,
}

/// What an import expects.
#[derive(Clone, Debug)]
pub enum ExternType {
    /// A function of this type.
    Func(FuncType),
    /// A table of this type.
    Table(TableType),
    /// A memory of this type.
    Memory(MemoryType),
    /// A global of this type.
    Global(GlobalType),
}

/// One import of a module.
#[derive(Clone, Debug)]
pub struct ImportType {
    module: String,
    name: String,
    ty: ExternType,
}

impl ImportType {
    /// The module name of the import.
    pub fn module(&self) -> &str {
        &self.module
    }
    /// The field name of the import.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The imported entity's type.
    pub fn ty(&self) -> &ExternType {
        &self.ty
    }
}

/// One export of a module.
#[derive(Clone, Debug)]
pub struct ExportType {
    pub(crate) name: String,
    pub(crate) kind: ExternKind,
    pub(crate) index: u32,
}

impl ExportType {
    /// The export's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The kind of the exported entity.
    pub fn kind(&self) -> ExternKind {
        self.kind
    }
}

#[derive(Debug)]
pub(crate) enum ElemMode {
    Passive,
    Active { table: u32, offset: ConstExpr },
    Declared,
}

#[derive(Debug)]
pub(crate) struct ElemSegment {
    pub(crate) mode: ElemMode,
    pub(crate) items: Vec<ConstExpr>,
}

#[derive(Debug)]
pub(crate) enum DataMode {
    Passive,
    Active { memory: u32, offset: ConstExpr },
}

#[derive(Debug)]
pub(crate) struct DataSegment {
    pub(crate) mode: DataMode,
    /// Where the bytes are in `ModuleInner::bytes`.
    pub(crate) range: Range<usize>,
}

/// A defined function's body: where it is in the binary.
pub(crate) struct FuncBody {
    pub(crate) range: Range<usize>,
    /// With lazy validation: what validating the body needs (the module's validated
    /// structure, the function's index and type), done before its translation.
    unvalidated: Option<(ValidatorResources, u32, u32)>,
}

impl FuncBody {
    /// Validates the body if that was left for its first use (`CompilationMode::Lazy`).
    pub(crate) fn validate(&self, bytes: &[u8]) -> Result<(), Error> {
        let Some((resources, index, ty)) = &self.unvalidated else {
            return Ok(());
        };
        let func = FuncToValidate {
            resources: resources.clone(),
            index: *index,
            ty: *ty,
            features: features(),
        };
        let body = FunctionBody::new(BinaryReader::new(
            &bytes[self.range.clone()],
            self.range.start as u64,
        ));
        let mut v = func.into_validator(Default::default());
        v.validate(&body).map_err(Error::compile)
    }
}

/// A module's binary: read into memory, or mapped from its file
/// (`Module::map_file`).
pub(crate) enum Bytes {
    Owned(Box<[u8]>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(b) => b,
            Bytes::Mapped(m) => m,
        }
    }
}

pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) bytes: Bytes,
    pub(crate) name: Option<String>,
    pub(crate) types: Vec<FuncType>,
    pub(crate) type_ids: Vec<TypeId>,
    pub(crate) imports: Vec<ImportType>,
    /// Type index of every function, imported ones first.
    pub(crate) funcs: Vec<u32>,
    pub(crate) num_imported_funcs: u32,
    pub(crate) tables: Vec<TableType>,
    pub(crate) num_imported_tables: u32,
    pub(crate) memories: Vec<MemoryType>,
    pub(crate) num_imported_memories: u32,
    pub(crate) globals: Vec<GlobalType>,
    pub(crate) num_imported_globals: u32,
    /// Initializers of the defined globals.
    pub(crate) global_inits: Vec<ConstExpr>,
    pub(crate) exports: Vec<ExportType>,
    pub(crate) start: Option<u32>,
    pub(crate) elems: Vec<ElemSegment>,
    pub(crate) datas: Vec<DataSegment>,
    pub(crate) bodies: Vec<FuncBody>,
    pub(crate) func_names: HashMap<u32, String>,
}

impl ModuleInner {
    /// The type of function `func` (module index space).
    pub(crate) fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.funcs[func as usize] as usize]
    }

    /// The body of defined function `func` (module index space, past the imports).
    pub(crate) fn body(&self, func: u32) -> &FuncBody {
        &self.bodies[(func - self.num_imported_funcs) as usize]
    }
}

/// Reads the import section: each import's type, and the index spaces it opens.
fn read_imports(
    m: &mut ModuleInner,
    reader: wasmparser::ImportSectionReader<'_>,
) -> Result<(), Error> {
    for import in reader.into_imports() {
        let import = import.map_err(Error::compile)?;
        let ty = match import.ty {
            wasmparser::TypeRef::Func(t) | wasmparser::TypeRef::FuncExact(t) => {
                m.funcs.push(t);
                m.num_imported_funcs += 1;
                ExternType::Func(m.types[t as usize].clone())
            }
            wasmparser::TypeRef::Table(t) => {
                let t = TableType::from_wasmparser(&t);
                m.tables.push(t);
                m.num_imported_tables += 1;
                ExternType::Table(t)
            }
            wasmparser::TypeRef::Memory(t) => {
                let t = MemoryType::from_wasmparser(&t);
                m.memories.push(t);
                m.num_imported_memories += 1;
                ExternType::Memory(t)
            }
            wasmparser::TypeRef::Global(t) => {
                let t = GlobalType::from_wasmparser(&t);
                m.globals.push(t);
                m.num_imported_globals += 1;
                ExternType::Global(t)
            }
            wasmparser::TypeRef::Tag(_) => {
                return Err(Error::compile("exception handling (tags) is not supported"));
            }
        };
        m.imports.push(ImportType {
            module: import.module.to_string(),
            name: import.name.to_string(),
            ty,
        });
    }
    Ok(())
}

/// Reads the export section.
fn read_exports(
    m: &mut ModuleInner,
    reader: wasmparser::ExportSectionReader<'_>,
) -> Result<(), Error> {
    for export in reader {
        let export = export.map_err(Error::compile)?;
        let kind = match export.kind {
            wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                ExternKind::Func
            }
            wasmparser::ExternalKind::Table => ExternKind::Table,
            wasmparser::ExternalKind::Memory => ExternKind::Memory,
            wasmparser::ExternalKind::Global => ExternKind::Global,
            wasmparser::ExternalKind::Tag => {
                return Err(Error::compile("exception handling (tags) is not supported"));
            }
        };
        m.exports.push(ExportType {
            name: export.name.to_string(),
            kind,
            index: export.index,
        });
    }
    Ok(())
}

/// Reads the element section: each segment's mode and items.
fn read_elems(
    m: &mut ModuleInner,
    reader: wasmparser::ElementSectionReader<'_>,
) -> Result<(), Error> {
    for elem in reader {
        let elem = elem.map_err(Error::compile)?;
        let mode = match elem.kind {
            wasmparser::ElementKind::Passive => ElemMode::Passive,
            wasmparser::ElementKind::Declared => ElemMode::Declared,
            wasmparser::ElementKind::Active {
                table_index,
                offset_expr,
            } => ElemMode::Active {
                table: table_index.unwrap_or(0),
                offset: ConstExpr::decode(&offset_expr)?,
            },
        };
        let mut items = Vec::new();
        match elem.items {
            wasmparser::ElementItems::Functions(funcs) => {
                for f in funcs {
                    items.push(ConstExpr::RefFunc(f.map_err(Error::compile)?));
                }
            }
            wasmparser::ElementItems::Expressions(_, exprs) => {
                for e in exprs {
                    items.push(ConstExpr::decode(&e.map_err(Error::compile)?)?);
                }
            }
        }
        m.elems.push(ElemSegment { mode, items });
    }
    Ok(())
}

/// Decodes and validates `bytes` (validating function bodies unless
/// `CompilationMode::Lazy` leaves them for their first use).
pub(crate) fn parse(engine: &Engine, binary: Bytes) -> Result<ModuleInner, Error> {
    let bytes: &[u8] = &binary;
    let mut validator = Validator::new_with_features(features());
    let mut allocs = wasmparser::FuncValidatorAllocations::default();
    let lazy = engine.config().compilation_mode == CompilationMode::Lazy;
    // The body the last payload asked to validate, when that waits for its first use.
    let mut unvalidated = None;
    let mut m = ModuleInner {
        engine: engine.clone(),
        bytes: Bytes::Owned(Box::new([])),
        name: None,
        types: Vec::new(),
        type_ids: Vec::new(),
        imports: Vec::new(),
        funcs: Vec::new(),
        num_imported_funcs: 0,
        tables: Vec::new(),
        num_imported_tables: 0,
        memories: Vec::new(),
        num_imported_memories: 0,
        globals: Vec::new(),
        num_imported_globals: 0,
        global_inits: Vec::new(),
        exports: Vec::new(),
        start: None,
        elems: Vec::new(),
        datas: Vec::new(),
        bodies: Vec::new(),
        func_names: HashMap::new(),
    };
    let base = bytes.as_ptr() as usize;
    // Byte range of a slice borrowed from `bytes`.
    let range_of = |s: &[u8]| {
        let start = s.as_ptr() as usize - base;
        start..start + s.len()
    };
    // The parser must know the features too: without memory64 it reads limits as 32-bit
    // numbers and so rejects overlong encodings.
    let mut parser = Parser::new(0);
    parser.set_features(features());
    for payload in parser.parse_all(bytes) {
        let payload = payload.map_err(Error::compile)?;
        if let ValidPayload::Func(func, body) =
            validator.payload(&payload).map_err(Error::compile)?
        {
            if lazy {
                unvalidated = Some((func.resources, func.index, func.ty));
            } else {
                let mut fv = func.into_validator(allocs);
                fv.validate(&body).map_err(Error::compile)?;
                allocs = fv.into_allocations();
            }
        }
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.map_err(Error::compile)?.into_types() {
                        let ty = FuncType::from_wasmparser(sub.unwrap_func());
                        m.type_ids.push(engine.intern(&ty));
                        m.types.push(ty);
                    }
                }
            }
            Payload::ImportSection(reader) => read_imports(&mut m, reader)?,
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    m.funcs.push(ty.map_err(Error::compile)?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    m.tables.push(TableType::from_wasmparser(
                        &table.map_err(Error::compile)?.ty,
                    ));
                }
            }
            Payload::MemorySection(reader) => {
                for mem in reader {
                    m.memories
                        .push(MemoryType::from_wasmparser(&mem.map_err(Error::compile)?));
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global.map_err(Error::compile)?;
                    m.globals.push(GlobalType::from_wasmparser(&global.ty));
                    m.global_inits.push(ConstExpr::decode(&global.init_expr)?);
                }
            }
            Payload::ExportSection(reader) => read_exports(&mut m, reader)?,
            Payload::StartSection { func, .. } => m.start = Some(func),
            Payload::ElementSection(reader) => read_elems(&mut m, reader)?,
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data.map_err(Error::compile)?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Passive => DataMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => DataMode::Active {
                            memory: memory_index,
                            offset: ConstExpr::decode(&offset_expr)?,
                        },
                    };
                    m.datas.push(DataSegment {
                        mode,
                        range: range_of(data.data),
                    });
                }
            }
            Payload::CodeSectionEntry(body) => {
                let r = body.range();
                m.bodies.push(FuncBody {
                    range: r.start as usize..r.end as usize,
                    unvalidated: unvalidated.take(),
                });
            }
            Payload::CustomSection(reader) => {
                if let wasmparser::KnownCustom::Name(names) = reader.as_known() {
                    read_names(names, &mut m);
                }
            }
            _ => {}
        }
    }
    m.bytes = binary;
    Ok(m)
}

/// Reads module and function names; a malformed name section is ignored, as the spec asks.
fn read_names(reader: wasmparser::NameSectionReader<'_>, m: &mut ModuleInner) {
    for name in reader {
        match name {
            Ok(wasmparser::Name::Module { name, .. }) => m.name = Some(name.to_string()),
            Ok(wasmparser::Name::Function(map)) => {
                for naming in map.into_iter().flatten() {
                    m.func_names.insert(naming.index, naming.name.to_string());
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

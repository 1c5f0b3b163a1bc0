//! Value and entity types of the embedding API (`ValType`, `FuncType`, `GlobalType`,
//! `TableType`, `MemoryType`), and their conversion from `wasmparser`'s types.
//!
//! These are plain descriptions; they carry no store data. Function types are interned per
//! engine (see `engine.rs`) so that `call_indirect` compares signatures as integers.

use std::fmt;

/// The type of a WebAssembly value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// A nullable reference to a function.
    FuncRef,
    /// A nullable reference to a host value.
    ExternRef,
}

impl ValType {
    /// Whether this is a reference type (`funcref` or `externref`).
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }

    /// Whether this is a numeric type.
    pub fn is_num(self) -> bool {
        !self.is_ref()
    }

    /// Converts a validated `wasmparser` value type. Types outside Wasm 2.0 without SIMD
    /// never reach this point, because validation rejects them first.
    pub(crate) fn from_wasmparser(ty: wasmparser::ValType) -> ValType {
        match ty {
            wasmparser::ValType::I32 => ValType::I32,
            wasmparser::ValType::I64 => ValType::I64,
            wasmparser::ValType::F32 => ValType::F32,
            wasmparser::ValType::F64 => ValType::F64,
            wasmparser::ValType::Ref(r) if r.is_func_ref() => ValType::FuncRef,
            wasmparser::ValType::Ref(_) => ValType::ExternRef,
            wasmparser::ValType::V128 => unreachable!("SIMD is rejected by validation"),
        }
    }

    pub(crate) fn from_ref_type(ty: wasmparser::RefType) -> ValType {
        if ty.is_func_ref() {
            ValType::FuncRef
        } else {
            ValType::ExternRef
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// The signature of a function: parameter and result types.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FuncType {
    /// Parameters followed by results.
    types: Box<[ValType]>,
    len_params: usize,
}

impl FuncType {
    /// Creates a function type from its parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        let mut types: Vec<ValType> = params.into_iter().collect();
        let len_params = types.len();
        types.extend(results);
        FuncType {
            types: types.into(),
            len_params,
        }
    }

    /// The parameter types.
    #[inline]
    pub fn params(&self) -> &[ValType] {
        &self.types[..self.len_params]
    }

    /// The result types.
    #[inline]
    pub fn results(&self) -> &[ValType] {
        &self.types[self.len_params..]
    }

    pub(crate) fn from_wasmparser(ty: &wasmparser::FuncType) -> FuncType {
        FuncType::new(
            ty.params().iter().map(|&t| ValType::from_wasmparser(t)),
            ty.results().iter().map(|&t| ValType::from_wasmparser(t)),
        )
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |ts: &[ValType]| {
            ts.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        write!(f, "[{}] -> [{}]", list(self.params()), list(self.results()))
    }
}

/// Whether a global can be written after instantiation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Mutability {
    /// Immutable.
    Const,
    /// Mutable.
    Var,
}

/// The type of a global: its content type and mutability.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct GlobalType {
    content: ValType,
    mutability: Mutability,
}

impl GlobalType {
    /// Creates a global type.
    pub fn new(content: ValType, mutability: Mutability) -> GlobalType {
        GlobalType {
            content,
            mutability,
        }
    }

    /// The type of the value the global holds.
    pub fn content(&self) -> ValType {
        self.content
    }

    /// Whether the global is mutable.
    pub fn mutability(&self) -> Mutability {
        self.mutability
    }

    pub(crate) fn from_wasmparser(ty: &wasmparser::GlobalType) -> GlobalType {
        let mutability = if ty.mutable {
            Mutability::Var
        } else {
            Mutability::Const
        };
        GlobalType::new(ValType::from_wasmparser(ty.content_type), mutability)
    }
}

/// The type of a table: element type and limits (in elements).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TableType {
    element: ValType,
    min: u32,
    max: Option<u32>,
}

impl TableType {
    /// Creates a table type. `element` must be `FuncRef` or `ExternRef`.
    pub fn new(element: ValType, min: u32, max: Option<u32>) -> TableType {
        TableType { element, min, max }
    }

    /// The element type.
    pub fn element(&self) -> ValType {
        self.element
    }

    /// The minimum size in elements.
    pub fn minimum(&self) -> u32 {
        self.min
    }

    /// The maximum size in elements, if any.
    pub fn maximum(&self) -> Option<u32> {
        self.max
    }

    pub(crate) fn from_wasmparser(ty: &wasmparser::TableType) -> TableType {
        // Validation without the table64 feature bounds both limits to u32.
        TableType::new(
            ValType::from_ref_type(ty.element_type),
            ty.initial as u32,
            ty.maximum.map(|m| m as u32),
        )
    }
}

/// The type of a linear memory: limits in 64 KiB pages.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MemoryType {
    min: u32,
    max: Option<u32>,
}

impl MemoryType {
    /// Creates a memory type with limits in pages of 64 KiB.
    pub fn new(min: u32, max: Option<u32>) -> MemoryType {
        MemoryType { min, max }
    }

    /// The minimum size in pages.
    pub fn minimum(&self) -> u32 {
        self.min
    }

    /// The maximum size in pages, if any.
    pub fn maximum(&self) -> Option<u32> {
        self.max
    }

    pub(crate) fn from_wasmparser(ty: &wasmparser::MemoryType) -> MemoryType {
        // Validation without memory64 bounds the limits to 65536 pages.
        MemoryType::new(ty.initial as u32, ty.maximum.map(|m| m as u32))
    }
}

/// Limit subtyping used by import matching: `actual` satisfies `expected` when it is at
/// least as large and its maximum (if the expected one has a maximum) is no larger.
pub(crate) fn limits_match(
    actual_min: u64,
    actual_max: Option<u64>,
    expected_min: u64,
    expected_max: Option<u64>,
) -> bool {
    actual_min >= expected_min
        && match (actual_max, expected_max) {
            (_, None) => true,
            (Some(a), Some(e)) => a <= e,
            (None, Some(_)) => false,
        }
}

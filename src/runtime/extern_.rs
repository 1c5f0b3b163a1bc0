//! `Extern`: any entity that can be imported or exported, and `Export`, a named one.

use crate::runtime::func::Func;
use crate::runtime::global::Global;
use crate::runtime::memory::Memory;
use crate::runtime::table::Table;

/// A function, global, table or memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
}

impl Extern {
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self {
            Some(f)
        } else {
            None
        }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self {
            Some(g)
        } else {
            None
        }
    }
    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self {
            Some(t)
        } else {
            None
        }
    }
    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self {
            Some(m)
        } else {
            None
        }
    }

    pub(crate) fn store_id(&self) -> u64 {
        match self {
            Extern::Func(f) => f.store_id,
            Extern::Global(g) => g.store_id,
            Extern::Table(t) => t.store_id,
            Extern::Memory(m) => m.store_id,
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}

/// A named export of an instance.
#[derive(Clone, Debug)]
pub struct Export {
    name: String,
    ext: Extern,
}

impl Export {
    pub(crate) fn new(name: String, ext: Extern) -> Export {
        Export { name, ext }
    }
    /// The export's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The exported entity.
    pub fn into_extern(self) -> Extern {
        self.ext
    }
    /// The exported entity.
    pub fn ext(&self) -> Extern {
        self.ext
    }
}

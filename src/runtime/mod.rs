//! The run-time half of the embedding API: engine and configuration, modules, stores,
//! instances and their entities, the linker, values, traps.

pub(crate) mod engine;
pub(crate) mod extern_;
pub(crate) mod func;
pub(crate) mod global;
pub(crate) mod instance;
pub(crate) mod limits;
pub(crate) mod linear_memory;
pub(crate) mod linker;
pub(crate) mod memory;
pub(crate) mod module;
pub(crate) mod store;
pub(crate) mod table;
pub(crate) mod trap;
pub(crate) mod typed;
pub(crate) mod types;
pub(crate) mod values;

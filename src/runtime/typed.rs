//! Statically typed calls: [`TypedFunc`], and the traits that map Rust types to
//! WebAssembly values ([`WasmTy`] for one value, [`WasmParams`]/[`WasmResults`] for
//! scalars and tuples, [`WasmRet`] for what host closures return).

use crate::error::Error;
use crate::runtime::func::{Func, call_raw, with_slots};
use crate::runtime::store::AsContextMut;
use crate::runtime::types::ValType;
use crate::runtime::values::ExternRef;
use std::marker::PhantomData;

/// A Rust type that is one WebAssembly value.
pub trait WasmTy: Send + 'static {
    /// The WebAssembly type.
    fn valtype() -> ValType;
    #[doc(hidden)]
    fn to_slot(self) -> u64;
    #[doc(hidden)]
    fn from_slot(bits: u64, store_id: u64) -> Self;
}

macro_rules! wasm_ty {
    ($t:ty, $vt:ident, |$v:ident| $to:expr, |$b:ident| $from:expr) => {
        impl WasmTy for $t {
            fn valtype() -> ValType {
                ValType::$vt
            }
            fn to_slot(self) -> u64 {
                let $v = self;
                $to
            }
            fn from_slot($b: u64, _store_id: u64) -> Self {
                $from
            }
        }
    };
}

wasm_ty!(i32, I32, |v| u64::from(v as u32), |b| b as u32 as i32);
wasm_ty!(u32, I32, |v| u64::from(v), |b| b as u32);
wasm_ty!(i64, I64, |v| v as u64, |b| b as i64);
wasm_ty!(u64, I64, |v| v, |b| b);
wasm_ty!(f32, F32, |v| u64::from(v.to_bits()), |b| f32::from_bits(
    b as u32
));
wasm_ty!(f64, F64, |v| v.to_bits(), |b| f64::from_bits(b));

impl WasmTy for Option<Func> {
    fn valtype() -> ValType {
        ValType::FuncRef
    }
    fn to_slot(self) -> u64 {
        self.map_or(0, |f| u64::from(f.idx) + 1)
    }
    fn from_slot(bits: u64, store_id: u64) -> Self {
        (bits != 0).then(|| Func {
            store_id,
            idx: (bits - 1) as u32,
        })
    }
}

impl WasmTy for Option<ExternRef> {
    fn valtype() -> ValType {
        ValType::ExternRef
    }
    fn to_slot(self) -> u64 {
        self.map_or(0, |e| u64::from(e.idx) + 1)
    }
    fn from_slot(bits: u64, store_id: u64) -> Self {
        (bits != 0).then(|| ExternRef {
            store_id,
            idx: (bits - 1) as u32,
        })
    }
}

/// Parameters of a typed call: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmParams: Send {
    /// How many values.
    #[doc(hidden)]
    const LEN: usize;
    #[doc(hidden)]
    fn types() -> Vec<ValType>;
    /// Writes the values into `out` (exactly `LEN` slots).
    #[doc(hidden)]
    fn write(self, out: &mut [u64]);
}

/// Results of a typed call: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmResults: Sized {
    /// How many values.
    #[doc(hidden)]
    const LEN: usize;
    #[doc(hidden)]
    fn types() -> Vec<ValType>;
    #[doc(hidden)]
    fn read(slots: &[u64], store_id: u64) -> Self;
}

/// What a host closure may return: results (as for [`WasmResults`]) or a `Result` of them,
/// whose error aborts the call.
pub trait WasmRet {
    #[doc(hidden)]
    fn types() -> Vec<ValType>;
    #[doc(hidden)]
    fn write(self, out: &mut [u64]) -> Result<(), Error>;
}

impl<T: WasmTy> WasmParams for T {
    const LEN: usize = 1;
    fn types() -> Vec<ValType> {
        vec![T::valtype()]
    }
    fn write(self, out: &mut [u64]) {
        out[0] = self.to_slot();
    }
}

impl<T: WasmTy> WasmResults for T {
    const LEN: usize = 1;
    fn types() -> Vec<ValType> {
        vec![T::valtype()]
    }
    fn read(slots: &[u64], store_id: u64) -> Self {
        T::from_slot(slots[0], store_id)
    }
}

impl<T: WasmTy> WasmRet for T {
    fn types() -> Vec<ValType> {
        vec![T::valtype()]
    }
    fn write(self, out: &mut [u64]) -> Result<(), Error> {
        out[0] = self.to_slot();
        Ok(())
    }
}

macro_rules! tuples {
    ($($t:ident)*) => {
        #[allow(non_snake_case, reason = "type parameters double as bindings")]
        impl<$($t: WasmTy,)*> WasmParams for ($($t,)*) {
            const LEN: usize = 0 $( + { let _ = stringify!($t); 1 } )*;
            fn types() -> Vec<ValType> {
                vec![$($t::valtype()),*]
            }
            fn write(self, _out: &mut [u64]) {
                let ($($t,)*) = self;
                let mut _i = 0;
                $( _out[_i] = $t.to_slot(); _i += 1; )*
            }
        }

        #[allow(non_snake_case, reason = "type parameters double as bindings")]
        impl<$($t: WasmTy,)*> WasmResults for ($($t,)*) {
            const LEN: usize = 0 $( + { let _ = stringify!($t); 1 } )*;
            fn types() -> Vec<ValType> {
                vec![$($t::valtype()),*]
            }
            #[allow(clippy::unused_unit, reason = "the empty tuple for no results")]
            fn read(_slots: &[u64], _store_id: u64) -> Self {
                let mut _i = 0;
                ($( { let v = $t::from_slot(_slots[_i], _store_id); _i += 1; v }, )*)
            }
        }

        #[allow(non_snake_case, reason = "type parameters double as bindings")]
        impl<$($t: WasmTy,)*> WasmRet for ($($t,)*) {
            fn types() -> Vec<ValType> {
                vec![$($t::valtype()),*]
            }
            fn write(self, _out: &mut [u64]) -> Result<(), Error> {
                let ($($t,)*) = self;
                let mut _i = 0;
                $( _out[_i] = $t.to_slot(); _i += 1; )*
                Ok(())
            }
        }
    };
}

tuples!();
tuples!(A1);
tuples!(A1 A2);
tuples!(A1 A2 A3);
tuples!(A1 A2 A3 A4);
tuples!(A1 A2 A3 A4 A5);
tuples!(A1 A2 A3 A4 A5 A6);
tuples!(A1 A2 A3 A4 A5 A6 A7);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8 A9);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11);
tuples!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12);

impl<R: WasmRet> WasmRet for Result<R, Error> {
    fn types() -> Vec<ValType> {
        R::types()
    }
    fn write(self, out: &mut [u64]) -> Result<(), Error> {
        self?.write(out)
    }
}

/// A function whose type was checked once, called without dynamic checks.
pub struct TypedFunc<Params, Results> {
    func: Func,
    _marker: PhantomData<fn(Params) -> Results>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P, R> Copy for TypedFunc<P, R> {}

impl<Params: WasmParams, Results: WasmResults> TypedFunc<Params, Results> {
    pub(crate) fn new(func: Func) -> Self {
        TypedFunc {
            func,
            _marker: PhantomData,
        }
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }

    /// Calls the function.
    pub fn call(&self, mut store: impl AsContextMut, params: Params) -> Result<Results, Error> {
        let store = store.as_context_mut().store;
        store.inner.check(self.func.store_id);
        with_slots(Params::LEN + Results::LEN, |slots| {
            let (args, out) = slots.split_at_mut(Params::LEN);
            params.write(args);
            call_raw(store, self.func.idx, args, out)?;
            Ok(Results::read(out, store.inner.id))
        })
    }
}

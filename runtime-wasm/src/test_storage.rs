//! The TestStorage pallet: lets tests and the dev chain write raw storage through extrinsics,
//! and fail on purpose after writing (to check that failed dispatches are rolled back).

use crate::extrinsics::{DispatchError, DispatchResult, ModuleError};
use crate::host;
use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;

/// The pallet's name.
pub const PALLET: &str = "TestStorage";
/// The pallet's index in `RuntimeCall`.
pub const PALLET_INDEX: u8 = 1;

/// The TestStorage pallet's calls.
#[allow(non_camel_case_types)]
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub enum Call {
    /// Writes `value` at the raw (unhashed) storage `key`.
    #[codec(index = 0)]
    set_storage {
        /// The raw storage key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Writes like `set_storage`, then fails with `Error::DeliberateFailure`; the write must
    /// not survive.
    #[codec(index = 1)]
    set_storage_then_fail {
        /// The raw storage key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
}

/// The pallet's errors (the variant index is what `ModuleError::error` carries).
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Error {
    /// `set_storage_then_fail` was called.
    #[codec(index = 0)]
    DeliberateFailure,
}

impl From<Error> for DispatchError {
    fn from(error: Error) -> Self {
        DispatchError::Module(ModuleError {
            index: PALLET_INDEX,
            error: [error as u8, 0, 0, 0],
        })
    }
}

/// Executes a TestStorage call.
pub fn dispatch(call: Call) -> DispatchResult {
    match call {
        Call::set_storage { key, value } => {
            host::storage_set(&key, &value);
            Ok(())
        }
        Call::set_storage_then_fail { key, value } => {
            host::storage_set(&key, &value);
            Err(Error::DeliberateFailure.into())
        }
    }
}

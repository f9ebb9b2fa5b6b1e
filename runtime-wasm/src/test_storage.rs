//! The TestStorage pallet: lets tests and the dev chain write raw storage through extrinsics,
//! and fail on purpose after writing (to check that failed dispatches are rolled back).

use crate::calls::{TestStorageCall as Call, TEST_STORAGE_INDEX};
use crate::host;
use crate::primitives::{DispatchError, DispatchResult, ModuleError};
use codec::{Decode, Encode};
use scale_info::TypeInfo;

/// The pallet's name.
pub const PALLET: &str = "TestStorage";

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
            index: TEST_STORAGE_INDEX,
            error: [error as u8, 0, 0, 0],
        })
    }
}

/// Executes a TestStorage call (any origin).
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

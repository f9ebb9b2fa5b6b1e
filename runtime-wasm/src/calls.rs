//! The runtime's calls, shared by the runtime (which dispatches them) and the host build
//! (which encodes them into extrinsics). Variant names are the call names metadata exposes;
//! variant indices are the call indices.

use crate::primitives::{Balance, MultiAddress};
use codec::{Decode, Encode};
#[cfg(target_arch = "wasm32")]
use scale_info::TypeInfo;

#[cfg(target_arch = "wasm32")]
use alloc::vec::Vec;

/// The System pallet's index in [`RuntimeCall`].
pub const SYSTEM_INDEX: u8 = 0;
/// The TestStorage pallet's index in [`RuntimeCall`].
pub const TEST_STORAGE_INDEX: u8 = 1;
/// The Balances pallet's index in [`RuntimeCall`].
pub const BALANCES_INDEX: u8 = 2;

/// All calls of the runtime: the pallet index followed by that pallet's call.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
#[cfg_attr(target_arch = "wasm32", derive(TypeInfo))]
pub enum RuntimeCall {
    /// Calls of the System pallet.
    #[codec(index = 0)]
    System(SystemCall),
    /// Calls of the TestStorage pallet.
    #[codec(index = 1)]
    TestStorage(TestStorageCall),
    /// Calls of the Balances pallet.
    #[codec(index = 2)]
    Balances(BalancesCall),
}

/// The System pallet's calls. There are no privileged origins: any extrinsic, signed or
/// unsigned, may make them (this runtime is for tests and dev chains only).
#[allow(non_camel_case_types)]
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
#[cfg_attr(target_arch = "wasm32", derive(TypeInfo))]
pub enum SystemCall {
    /// Does nothing; lets a test put arbitrary bytes in a block.
    #[codec(index = 0)]
    remark {
        /// Ignored.
        remark: Vec<u8>,
    },
    /// Sets the number of heap pages the executor gives the runtime from the next block on.
    #[codec(index = 1)]
    set_heap_pages {
        /// Number of 64 KiB pages.
        pages: u64,
    },
    /// Replaces the runtime code, like FRAME's `set_code`: the new code's version (read with
    /// `ext_misc_runtime_version`) must have the same `spec_name` and a higher `spec_version`.
    #[codec(index = 2)]
    set_code {
        /// The new wasm blob.
        code: Vec<u8>,
    },
}

/// The TestStorage pallet's calls (any origin).
#[allow(non_camel_case_types)]
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
#[cfg_attr(target_arch = "wasm32", derive(TypeInfo))]
pub enum TestStorageCall {
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

/// The Balances pallet's calls: signed origins only. There is no existential deposit (the
/// runtime never reaps accounts), so both transfers behave the same.
#[allow(non_camel_case_types)]
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
#[cfg_attr(target_arch = "wasm32", derive(TypeInfo))]
pub enum BalancesCall {
    /// Moves `value` from the signer's free balance to `dest`'s, creating `dest`'s account if
    /// needed. Fails with `InsufficientBalance` if the signer has less than `value`.
    #[codec(index = 0)]
    transfer_allow_death {
        /// The recipient (`MultiAddress::Id` only).
        dest: MultiAddress,
        /// The amount.
        #[codec(compact)]
        value: Balance,
    },
    /// Same as `transfer_allow_death` (there is no existential deposit to keep).
    #[codec(index = 3)]
    transfer_keep_alive {
        /// The recipient (`MultiAddress::Id` only).
        dest: MultiAddress,
        /// The amount.
        #[codec(compact)]
        value: Balance,
    },
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::primitives::AccountId32;

    #[test]
    fn call_encodings() {
        let transfer = RuntimeCall::Balances(BalancesCall::transfer_allow_death {
            dest: MultiAddress::Id(AccountId32([1; 32])),
            value: 1_000_000_000_000,
        });
        let mut expected = vec![BALANCES_INDEX, 0, 0];
        expected.extend_from_slice(&[1; 32]);
        // Compact 10^12: big-integer mode, 5 bytes follow (0x03 | (5 - 4) << 2 = 0x07).
        expected.extend_from_slice(&[0x07, 0x00, 0x10, 0xa5, 0xd4, 0xe8]);
        assert_eq!(transfer.encode(), expected);
        let set_code = RuntimeCall::System(SystemCall::set_code { code: vec![9] });
        assert_eq!(set_code.encode(), [SYSTEM_INDEX, 2, 4, 9]);
        let set_storage = RuntimeCall::TestStorage(TestStorageCall::set_storage {
            key: vec![1],
            value: vec![2],
        });
        assert_eq!(set_storage.encode(), [TEST_STORAGE_INDEX, 0, 4, 1, 4, 2]);
    }
}

//! `Metadata_metadata`: a V14 `RuntimeMetadata` describing the real pallets, calls, errors,
//! storage items, constants and signed extensions, built from the Rust types themselves with
//! scale-info so it cannot drift from the encodings the runtime uses.

use crate::block::{BlockNumber, Digest, Hash};
use crate::calls::{
    BalancesCall, SystemCall, TestStorageCall, BALANCES_INDEX, SYSTEM_INDEX, TEST_STORAGE_INDEX,
};
use crate::extrinsic::{UncheckedExtrinsic, EXTRINSIC_FORMAT_VERSION};
use crate::primitives::{AccountId32, AccountInfo, Balance, Era, Nonce};
use crate::storage::{
    BALANCES, BALANCES_TOTAL_ISSUANCE, BLOCK_HASH_COUNT, SYSTEM, SYSTEM_ACCOUNT, SYSTEM_BLOCK_HASH,
    SYSTEM_DIGEST, SYSTEM_EXTRINSIC_DATA, SYSTEM_NUMBER, SYSTEM_PARENT_HASH,
};
use crate::{balances, system, test_storage};
use alloc::vec;
use alloc::vec::Vec;
use codec::{Compact, Encode};
use frame_metadata::v14::{
    ExtrinsicMetadata, PalletCallMetadata, PalletConstantMetadata, PalletErrorMetadata,
    PalletMetadata, PalletStorageMetadata, RuntimeMetadataV14, SignedExtensionMetadata,
    StorageEntryMetadata, StorageEntryModifier, StorageEntryType, StorageHasher,
};
use frame_metadata::RuntimeMetadataPrefixed;
use scale_info::{meta_type, TypeInfo};

/// The runtime itself, the metadata's top-level type (as FRAME's `Runtime`).
#[derive(TypeInfo)]
pub struct Runtime;

/// The SS58 address format of the dev chain (the generic Substrate prefix).
pub const SS58_PREFIX: u16 = 42;

/// A storage value that reads as the type's default when absent.
fn plain<T: TypeInfo + Default + Encode + 'static>(
    name: &'static str,
    docs: &'static str,
) -> StorageEntryMetadata {
    StorageEntryMetadata {
        name,
        modifier: StorageEntryModifier::Default,
        ty: StorageEntryType::Plain(meta_type::<T>()),
        default: T::default().encode(),
        docs: vec![docs],
    }
}

/// A single-key map whose absent values read as `default`.
fn map<K: TypeInfo + 'static, V: TypeInfo + 'static>(
    name: &'static str,
    hasher: StorageHasher,
    default: Vec<u8>,
    docs: &'static str,
) -> StorageEntryMetadata {
    StorageEntryMetadata {
        name,
        modifier: StorageEntryModifier::Default,
        ty: StorageEntryType::Map {
            hashers: vec![hasher],
            key: meta_type::<K>(),
            value: meta_type::<V>(),
        },
        default,
        docs: vec![docs],
    }
}

fn constant<T: TypeInfo + Encode + 'static>(
    name: &'static str,
    value: T,
    docs: &'static str,
) -> PalletConstantMetadata {
    PalletConstantMetadata {
        name,
        ty: meta_type::<T>(),
        value: value.encode(),
        docs: vec![docs],
    }
}

fn system_pallet() -> PalletMetadata {
    let entries = vec![
        map::<AccountId32, AccountInfo>(
            SYSTEM_ACCOUNT,
            StorageHasher::Blake2_128Concat,
            AccountInfo::default().encode(),
            "The full account information for a particular account ID (FRAME's layout).",
        ),
        plain::<BlockNumber>(SYSTEM_NUMBER, "The number of the current block."),
        plain::<Hash>(
            SYSTEM_PARENT_HASH,
            "The hash of the current block's parent.",
        ),
        plain::<Digest>(SYSTEM_DIGEST, "The digest of the current block."),
        map::<BlockNumber, Hash>(
            SYSTEM_BLOCK_HASH,
            StorageHasher::Twox64Concat,
            Hash::default().encode(),
            "Hashes of the previous blocks (the genesis block and the last BlockHashCount).",
        ),
        map::<u32, Vec<u8>>(
            SYSTEM_EXTRINSIC_DATA,
            StorageHasher::Twox64Concat,
            Vec::<u8>::new().encode(),
            "The encoded extrinsics of the block being built, by index.",
        ),
    ];
    PalletMetadata {
        name: SYSTEM,
        storage: Some(PalletStorageMetadata {
            prefix: SYSTEM,
            entries,
        }),
        calls: Some(PalletCallMetadata {
            ty: meta_type::<SystemCall>(),
        }),
        event: None,
        constants: vec![
            constant::<BlockNumber>(
                "BlockHashCount",
                BLOCK_HASH_COUNT,
                "Maximum number of block number to block hash mappings to keep.",
            ),
            constant::<u16>(
                "SS58Prefix",
                SS58_PREFIX,
                "The designated SS58 prefix of this chain.",
            ),
        ],
        error: Some(PalletErrorMetadata {
            ty: meta_type::<system::Error>(),
        }),
        index: SYSTEM_INDEX,
    }
}

fn test_storage_pallet() -> PalletMetadata {
    PalletMetadata {
        name: test_storage::PALLET,
        // It only writes raw keys chosen by the caller: no declared storage items.
        storage: None,
        calls: Some(PalletCallMetadata {
            ty: meta_type::<TestStorageCall>(),
        }),
        event: None,
        constants: vec![],
        error: Some(PalletErrorMetadata {
            ty: meta_type::<test_storage::Error>(),
        }),
        index: TEST_STORAGE_INDEX,
    }
}

fn balances_pallet() -> PalletMetadata {
    PalletMetadata {
        name: BALANCES,
        // The balances themselves are in `System::Account(who).data`, as in FRAME.
        storage: Some(PalletStorageMetadata {
            prefix: BALANCES,
            entries: vec![plain::<Balance>(
                BALANCES_TOTAL_ISSUANCE,
                "The total units issued in the system.",
            )],
        }),
        calls: Some(PalletCallMetadata {
            ty: meta_type::<BalancesCall>(),
        }),
        event: None,
        constants: vec![constant::<Balance>(
            "ExistentialDeposit",
            0,
            "No existential deposit: accounts are never reaped.",
        )],
        error: Some(PalletErrorMetadata {
            ty: meta_type::<balances::Error>(),
        }),
        index: BALANCES_INDEX,
    }
}

/// A signed extension: its name (what tools key on), the type of its data in the extrinsic
/// and the type of its implicit signed data.
fn extension<T: TypeInfo + 'static, A: TypeInfo + 'static>(
    identifier: &'static str,
) -> SignedExtensionMetadata {
    SignedExtensionMetadata {
        identifier,
        ty: meta_type::<T>(),
        additional_signed: meta_type::<A>(),
    }
}

/// The signed extensions, in the order of their data (see `extrinsic.rs`).
fn signed_extensions() -> Vec<SignedExtensionMetadata> {
    vec![
        extension::<(), ()>("CheckNonZeroSender"),
        extension::<(), u32>("CheckSpecVersion"),
        extension::<(), u32>("CheckTxVersion"),
        extension::<(), Hash>("CheckGenesis"),
        extension::<Era, Hash>("CheckMortality"),
        extension::<Compact<Nonce>, ()>("CheckNonce"),
        extension::<Compact<Balance>, ()>("ChargeTransactionPayment"),
    ]
}

/// The prefixed (`b"meta"` ++ version) V14 metadata.
pub fn runtime_metadata() -> RuntimeMetadataPrefixed {
    RuntimeMetadataV14::new(
        vec![system_pallet(), test_storage_pallet(), balances_pallet()],
        ExtrinsicMetadata {
            ty: meta_type::<UncheckedExtrinsic>(),
            version: EXTRINSIC_FORMAT_VERSION,
            signed_extensions: signed_extensions(),
        },
        meta_type::<Runtime>(),
    )
    .into()
}

/// `Metadata_metadata`: the content of `OpaqueMetadata` (returned as a SCALE `Vec<u8>`).
pub fn opaque_metadata() -> Vec<u8> {
    runtime_metadata().encode()
}

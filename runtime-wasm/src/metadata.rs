//! `Metadata_metadata`: a V14 `RuntimeMetadata` describing the real pallets, calls, errors
//! and storage items, built from the Rust types themselves with scale-info so it cannot drift
//! from the encodings the runtime uses.

use crate::block::{BlockNumber, Digest, Hash};
use crate::extrinsics::{UncheckedExtrinsic, EXTRINSIC_FORMAT_VERSION};
use crate::{system, test_storage};
use alloc::vec;
use alloc::vec::Vec;
use codec::Encode;
use frame_metadata::v14::{
    ExtrinsicMetadata, PalletCallMetadata, PalletErrorMetadata, PalletMetadata,
    PalletStorageMetadata, RuntimeMetadataV14, StorageEntryMetadata, StorageEntryModifier,
    StorageEntryType, StorageHasher,
};
use frame_metadata::RuntimeMetadataPrefixed;
use scale_info::{meta_type, TypeInfo};

/// The runtime itself, the metadata's top-level type (as FRAME's `Runtime`).
#[derive(TypeInfo)]
pub struct Runtime;

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

fn system_pallet() -> PalletMetadata {
    let entries = vec![
        plain::<BlockNumber>(system::NUMBER, "The number of the current block."),
        plain::<Hash>(
            system::PARENT_HASH,
            "The hash of the current block's parent.",
        ),
        plain::<Digest>(system::DIGEST, "The digest of the current block."),
        StorageEntryMetadata {
            name: system::EXTRINSIC_DATA,
            modifier: StorageEntryModifier::Default,
            ty: StorageEntryType::Map {
                hashers: vec![StorageHasher::Twox64Concat],
                key: meta_type::<u32>(),
                value: meta_type::<Vec<u8>>(),
            },
            default: Vec::<u8>::new().encode(),
            docs: vec!["The encoded extrinsics of the block being built, by index."],
        },
    ];
    PalletMetadata {
        name: system::PALLET,
        storage: Some(PalletStorageMetadata {
            prefix: system::PALLET,
            entries,
        }),
        calls: Some(PalletCallMetadata {
            ty: meta_type::<system::Call>(),
        }),
        event: None,
        constants: vec![],
        error: None,
        index: system::PALLET_INDEX,
    }
}

fn test_storage_pallet() -> PalletMetadata {
    PalletMetadata {
        name: test_storage::PALLET,
        // It only writes raw keys chosen by the caller: no declared storage items.
        storage: None,
        calls: Some(PalletCallMetadata {
            ty: meta_type::<test_storage::Call>(),
        }),
        event: None,
        constants: vec![],
        error: Some(PalletErrorMetadata {
            ty: meta_type::<test_storage::Error>(),
        }),
        index: test_storage::PALLET_INDEX,
    }
}

/// The prefixed (`b"meta"` ++ version) V14 metadata.
pub fn runtime_metadata() -> RuntimeMetadataPrefixed {
    RuntimeMetadataV14::new(
        vec![system_pallet(), test_storage_pallet()],
        ExtrinsicMetadata {
            ty: meta_type::<UncheckedExtrinsic>(),
            version: EXTRINSIC_FORMAT_VERSION,
            signed_extensions: vec![],
        },
        meta_type::<Runtime>(),
    )
    .into()
}

/// `Metadata_metadata`: the content of `OpaqueMetadata` (returned as a SCALE `Vec<u8>`).
pub fn opaque_metadata() -> Vec<u8> {
    runtime_metadata().encode()
}

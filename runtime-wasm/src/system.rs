//! The System pallet and the block lifecycle built on it.
//!
//! System keeps the header fields of the block being built (number, parent hash, digest) in
//! storage under FRAME-style keys (`twox128(pallet) ++ twox128(item)`), and records every
//! applied extrinsic (`ExtrinsicData`, indexed by the well-known `:extrinsic_index` counter)
//! so `finalize_block` can compute the extrinsics root. The extrinsic records and the counter
//! only live while a block is being built; number, parent hash and digest stay in the state.

use crate::block::{
    Block, BlockNumber, Digest, DigestItem, ExtrinsicInclusionMode, Hash, Header, HexDisplay,
    OpaqueExtrinsic,
};
use crate::extrinsics::{
    ApplyExtrinsicResult, DispatchResult, InvalidTransaction, TransactionValidityError,
    UncheckedExtrinsic,
};
use crate::host;
use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;

/// The pallet's name, the first half of its storage keys.
pub const PALLET: &str = "System";
/// The pallet's index in `RuntimeCall`.
pub const PALLET_INDEX: u8 = 0;

/// Storage item: the number of the block being built or last built (`u32`).
pub const NUMBER: &str = "Number";
/// Storage item: the parent hash of that block (`[u8; 32]`).
pub const PARENT_HASH: &str = "ParentHash";
/// Storage item: the digest of that block (`Digest`).
pub const DIGEST: &str = "Digest";
/// Storage map item: extrinsic index (`u32`, `Twox64Concat`) to the encoded extrinsic, for
/// the extrinsics of the block being built.
pub const EXTRINSIC_DATA: &str = "ExtrinsicData";

/// Well-known key: index of the next extrinsic (`u32`); present only while building a block.
pub const EXTRINSIC_INDEX_KEY: &[u8] = b":extrinsic_index";
/// Well-known key read by the executor: the number of 64 KiB heap pages (`u64`).
pub const HEAP_PAGES_KEY: &[u8] = b":heappages";

/// The System pallet's calls. Variant names are the call names metadata exposes.
#[allow(non_camel_case_types)]
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub enum Call {
    /// Does nothing; lets a test put arbitrary bytes in a block.
    #[codec(index = 0)]
    remark {
        /// Ignored.
        remark: Vec<u8>,
    },
    /// Sets the number of heap pages the executor gives the runtime from the next block on.
    /// There are no origins yet, so anyone may call it: this runtime is for tests and dev
    /// chains only.
    #[codec(index = 1)]
    set_heap_pages {
        /// Number of 64 KiB pages.
        pages: u64,
    },
}

/// Executes a System call.
pub fn dispatch(call: Call) -> DispatchResult {
    match call {
        Call::remark { .. } => Ok(()),
        Call::set_heap_pages { pages } => {
            host::storage_set(HEAP_PAGES_KEY, &pages.to_le_bytes());
            // Tells the node that the runtime environment changes with this block.
            deposit_log(DigestItem::RuntimeEnvironmentUpdated);
            Ok(())
        }
    }
}

/// The storage key of the plain storage item `item` of `pallet`.
pub fn value_key(pallet: &str, item: &str) -> Vec<u8> {
    let mut key = host::twox_128(pallet.as_bytes()).to_vec();
    key.extend_from_slice(&host::twox_128(item.as_bytes()));
    key
}

/// The key of `ExtrinsicData[index]` (`Twox64Concat` hasher: hash then the encoded index).
fn extrinsic_data_key(index: u32) -> Vec<u8> {
    let mut key = value_key(PALLET, EXTRINSIC_DATA);
    let encoded = index.encode();
    key.extend_from_slice(&host::twox_64(&encoded));
    key.extend_from_slice(&encoded);
    key
}

/// Reads and decodes a storage value; a value that does not decode means corrupt state.
fn get<T: Decode>(key: &[u8]) -> Option<T> {
    let bytes = host::storage_get(key)?;
    match T::decode(&mut &bytes[..]) {
        Ok(value) => Some(value),
        Err(e) => panic!("corrupt storage value at {}: {e}", HexDisplay(key)),
    }
}

fn put<T: Encode>(key: &[u8], value: &T) {
    host::storage_set(key, &value.encode());
}

/// Appends an item to the digest of the block being built.
pub fn deposit_log(item: DigestItem) {
    // The digest is stored as a SCALE vector, so the host can append in place.
    host::storage_append(&value_key(PALLET, DIGEST), &item.encode());
}

/// The index of the next extrinsic of the block being built.
fn extrinsic_index(caller: &str) -> u32 {
    match get::<u32>(EXTRINSIC_INDEX_KEY) {
        Some(index) => index,
        None => {
            panic!("{caller} called without an initialized block: call Core_initialize_block first")
        }
    }
}

/// `Core_initialize_block`: starts building the block on top of `header.parent_hash`.
///
/// Only the pre-runtime digest items are kept: the others are produced during execution
/// (e.g. `RuntimeEnvironmentUpdated`) or added afterwards (seals).
pub fn initialize_block(header: &Header) -> ExtrinsicInclusionMode {
    // Leftovers of a block that was never finalized must not leak into this one.
    host::storage_clear_prefix(&value_key(PALLET, EXTRINSIC_DATA), None);
    put(EXTRINSIC_INDEX_KEY, &0u32);
    put(&value_key(PALLET, NUMBER), &header.number);
    put(&value_key(PALLET, PARENT_HASH), &header.parent_hash);
    let logs = header
        .digest
        .logs
        .iter()
        .filter(|item| matches!(item, DigestItem::PreRuntime(..)))
        .cloned()
        .collect();
    put(&value_key(PALLET, DIGEST), &Digest { logs });
    ExtrinsicInclusionMode::AllExtrinsics
}

/// `BlockBuilder_apply_extrinsic`: includes `extrinsic` in the block being built and
/// dispatches its call.
///
/// An extrinsic that does not parse is not included (`Err`). A parsed one is recorded for the
/// extrinsics root whatever its dispatch gives, but the dispatch runs in a storage transaction
/// that is rolled back if it fails, so a failed call leaves no partial writes.
pub fn apply_extrinsic(extrinsic: &OpaqueExtrinsic) -> ApplyExtrinsicResult {
    let index = extrinsic_index("BlockBuilder_apply_extrinsic");
    let xt = UncheckedExtrinsic::from_content(&extrinsic.0)
        .map_err(|_| TransactionValidityError::Invalid(InvalidTransaction::Call))?;

    // The root commits to the extrinsic as the block carries it, length prefix included.
    host::storage_set(&extrinsic_data_key(index), &extrinsic.encode());
    put(EXTRINSIC_INDEX_KEY, &(index + 1));

    host::start_transaction();
    let result = xt.call.dispatch();
    match result {
        Ok(()) => host::commit_transaction(),
        Err(_) => host::rollback_transaction(),
    }
    Ok(result)
}

/// `BlockBuilder_finalize_block`: removes the per-block records and returns the header of the
/// built block, with its extrinsics root and the state root.
pub fn finalize_block() -> Header {
    let count = extrinsic_index("BlockBuilder_finalize_block");
    host::storage_clear(EXTRINSIC_INDEX_KEY);
    let extrinsics: Vec<Vec<u8>> = (0..count)
        .map(
            |index| match host::storage_get(&extrinsic_data_key(index)) {
                Some(bytes) => {
                    host::storage_clear(&extrinsic_data_key(index));
                    bytes
                }
                None => panic!("ExtrinsicData[{index}] of {count} is missing"),
            },
        )
        .collect();
    let extrinsics_root = host::ordered_trie_root(&extrinsics);

    let number: BlockNumber = get(&value_key(PALLET, NUMBER)).unwrap_or_default();
    let parent_hash: Hash = get(&value_key(PALLET, PARENT_HASH)).unwrap_or_default();
    let digest: Digest = get(&value_key(PALLET, DIGEST)).unwrap_or_default();
    // Last: the root must cover every write above.
    let state_root = host::storage_root();
    Header {
        parent_hash,
        number,
        state_root,
        extrinsics_root,
        digest,
    }
}

/// `Core_execute_block`: re-executes `block` and panics unless the result matches its header.
///
/// Like Substrate, an extrinsic whose dispatch failed is fine (the builder included it); one
/// that cannot be included at all makes the block invalid. Seals in the header's digest are
/// ignored: they are added after execution.
pub fn execute_block(block: Block) {
    let Block { header, extrinsics } = block;
    let number = header.number;
    initialize_block(&Header {
        state_root: Hash::default(),
        extrinsics_root: Hash::default(),
        ..header.clone()
    });
    for (i, extrinsic) in extrinsics.iter().enumerate() {
        if let Err(e) = apply_extrinsic(extrinsic) {
            panic!("block #{number}: extrinsic {i} cannot be included: {e:?}");
        }
    }
    let computed = finalize_block();

    if computed.extrinsics_root != header.extrinsics_root {
        panic!(
            "block #{number}: extrinsics root mismatch: header has {}, computed {}",
            HexDisplay(&header.extrinsics_root),
            HexDisplay(&computed.extrinsics_root)
        );
    }
    if computed.state_root != header.state_root {
        panic!(
            "block #{number}: state root mismatch: header has {}, computed {}",
            HexDisplay(&header.state_root),
            HexDisplay(&computed.state_root)
        );
    }
    let unsealed: Vec<&DigestItem> = header
        .digest
        .logs
        .iter()
        .filter(|item| !matches!(item, DigestItem::Seal(..)))
        .collect();
    if unsealed.iter().copied().ne(computed.digest.logs.iter()) {
        panic!(
            "block #{number}: digest mismatch: header has {:?} (seals aside), computed {:?}",
            unsealed, computed.digest.logs
        );
    }
}

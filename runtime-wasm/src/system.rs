//! The System pallet and the block lifecycle built on it.
//!
//! System keeps the header fields of the block being built (number, parent hash, digest) in
//! storage under FRAME's keys (`twox128(pallet) ++ twox128(item)`), the accounts
//! (`System::Account`, FRAME's layout, balances included), and the hashes of recent blocks
//! (`System::BlockHash`, the genesis hash included) that signed transactions commit to. It
//! records every applied extrinsic (`ExtrinsicData`, indexed by the well-known
//! `:extrinsic_index` counter) so `finalize_block` can compute the extrinsics root. The
//! extrinsic records and the counter only live while a block is being built.

use crate::block::{
    Block, BlockNumber, Digest, DigestItem, ExtrinsicInclusionMode, Hash, Header, HexDisplay,
    OpaqueExtrinsic,
};
use crate::calls::{SystemCall as Call, SYSTEM_INDEX};
use crate::extrinsic::UncheckedExtrinsic;
use crate::primitives::{
    AccountId32, AccountInfo, ApplyExtrinsicResult, DispatchError, DispatchResult,
    InvalidTransaction, ModuleError, Nonce, TransactionValidityError,
};
use crate::storage::{
    self, BLOCK_HASH_COUNT, CODE_KEY, EXTRINSIC_INDEX_KEY, HEAP_PAGES_KEY, SYSTEM, SYSTEM_DIGEST,
    SYSTEM_EXTRINSIC_DATA, SYSTEM_NUMBER, SYSTEM_PARENT_HASH,
};
use crate::{executive, host, version};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;

/// The pallet's name, the first half of its storage keys.
pub const PALLET: &str = SYSTEM;

/// The pallet's errors (the variant index is what `ModuleError::error` carries).
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Error {
    /// `set_code`: the new runtime has another `spec_name`.
    #[codec(index = 0)]
    InvalidSpecName,
    /// `set_code`: the new runtime's `spec_version` is not higher than the current one.
    #[codec(index = 1)]
    SpecVersionNeedsToIncrease,
    /// `set_code`: the host could not read the new runtime's version.
    #[codec(index = 2)]
    FailedToExtractRuntimeVersion,
}

impl From<Error> for DispatchError {
    fn from(error: Error) -> Self {
        DispatchError::Module(ModuleError {
            index: SYSTEM_INDEX,
            error: [error as u8, 0, 0, 0],
        })
    }
}

/// Executes a System call (any origin).
pub fn dispatch(call: Call) -> DispatchResult {
    match call {
        Call::remark { .. } => Ok(()),
        Call::set_heap_pages { pages } => {
            host::storage_set(HEAP_PAGES_KEY, &pages.to_le_bytes());
            // Tells the node that the runtime environment changes with this block.
            deposit_log(DigestItem::RuntimeEnvironmentUpdated);
            Ok(())
        }
        Call::set_code { code } => set_code(&code),
    }
}

/// The leading fields of a SCALE `RuntimeVersion` (every version of the struct starts so).
#[derive(Decode)]
struct VersionPrefix {
    spec_name: Vec<u8>,
    _impl_name: Vec<u8>,
    _authoring_version: u32,
    spec_version: u32,
}

/// `System::set_code`: checks that `code` is an upgrade of this runtime (same `spec_name`,
/// higher `spec_version`), then stores it as `:code` and signals the change in the digest.
fn set_code(code: &[u8]) -> DispatchResult {
    let version = host::runtime_version(code)
        .and_then(|bytes| VersionPrefix::decode(&mut &bytes[..]).ok())
        .ok_or(Error::FailedToExtractRuntimeVersion)?;
    if version.spec_name != version::SPEC_NAME.as_bytes() {
        return Err(Error::InvalidSpecName.into());
    }
    if version.spec_version <= version::SPEC_VERSION {
        return Err(Error::SpecVersionNeedsToIncrease.into());
    }
    host::storage_set(CODE_KEY, code);
    deposit_log(DigestItem::RuntimeEnvironmentUpdated);
    Ok(())
}

/// The storage key of the System item `item`.
fn value_key(item: &str) -> Vec<u8> {
    storage::value_key(PALLET, item)
}

/// The key of `ExtrinsicData[index]`.
fn extrinsic_data_key(index: u32) -> Vec<u8> {
    storage::twox_64_concat_key(PALLET, SYSTEM_EXTRINSIC_DATA, &index)
}

/// Reads and decodes a storage value; a value that does not decode means corrupt state.
pub fn get<T: Decode>(key: &[u8]) -> Option<T> {
    let bytes = host::storage_get(key)?;
    match T::decode(&mut &bytes[..]) {
        Ok(value) => Some(value),
        Err(e) => panic!("corrupt storage value at {}: {e}", HexDisplay(key)),
    }
}

/// Encodes and writes a storage value.
pub fn put<T: Encode>(key: &[u8], value: &T) {
    host::storage_set(key, &value.encode());
}

/// `System::Account(who)`, the default (all zero) if the account does not exist.
pub fn account(who: &AccountId32) -> AccountInfo {
    get(&storage::account_key(who)).unwrap_or_default()
}

/// Writes `System::Account(who)`.
pub fn put_account(who: &AccountId32, info: &AccountInfo) {
    put(&storage::account_key(who), info);
}

/// `AccountNonceApi_account_nonce`: the nonce `who`'s next transaction must have.
pub fn account_nonce(who: &AccountId32) -> Nonce {
    account(who).nonce
}

/// The number of the block being built (or of the last one built, outside block building).
pub fn block_number() -> BlockNumber {
    get(&value_key(SYSTEM_NUMBER)).unwrap_or_default()
}

/// Sets the number of the block being built.
pub fn set_block_number(number: BlockNumber) {
    put(&value_key(SYSTEM_NUMBER), &number);
}

/// `System::BlockHash(number)`, if known.
pub fn block_hash(number: BlockNumber) -> Option<Hash> {
    get(&storage::block_hash_key(number))
}

/// Records `System::BlockHash(number)`.
pub fn set_block_hash(number: BlockNumber, hash: &Hash) {
    put(&storage::block_hash_key(number), hash);
}

/// Appends an item to the digest of the block being built.
pub fn deposit_log(item: DigestItem) {
    // The digest is stored as a SCALE vector, so the host can append in place.
    host::storage_append(&value_key(SYSTEM_DIGEST), &item.encode());
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
/// Records the parent's hash as `BlockHash(number - 1)` (so block 1 records the genesis hash
/// as `BlockHash(0)`, which signed transactions commit to) and forgets the hash of the block
/// [`BLOCK_HASH_COUNT`] before the parent, except the genesis hash.
///
/// Only the pre-runtime digest items are kept: the others are produced during execution
/// (e.g. `RuntimeEnvironmentUpdated`) or added afterwards (seals).
pub fn initialize_block(header: &Header) -> ExtrinsicInclusionMode {
    // Leftovers of a block that was never finalized must not leak into this one.
    host::storage_clear_prefix(&value_key(SYSTEM_EXTRINSIC_DATA), None);
    put(EXTRINSIC_INDEX_KEY, &0u32);
    set_block_number(header.number);
    put(&value_key(SYSTEM_PARENT_HASH), &header.parent_hash);
    if let Some(parent) = header.number.checked_sub(1) {
        set_block_hash(parent, &header.parent_hash);
        let expired = parent.saturating_sub(BLOCK_HASH_COUNT);
        if expired > 0 {
            host::storage_clear(&storage::block_hash_key(expired));
        }
    }
    let logs = header
        .digest
        .logs
        .iter()
        .filter(|item| matches!(item, DigestItem::PreRuntime(..)))
        .cloned()
        .collect();
    put(&value_key(SYSTEM_DIGEST), &Digest { logs });
    ExtrinsicInclusionMode::AllExtrinsics
}

/// `BlockBuilder_apply_extrinsic`: includes `extrinsic` in the block being built and
/// dispatches its call.
///
/// An extrinsic that does not parse or fails its checks (signature, nonce, era, tip; an
/// unsigned call that needs a signed origin) is not included (`Err`), and changes nothing. An
/// included one is recorded for the extrinsics root, a signed one's nonce is incremented and
/// its tip burned, whatever its dispatch gives; but the dispatch runs in a storage
/// transaction that is rolled back if it fails, so a failed call leaves no partial writes.
pub fn apply_extrinsic(extrinsic: &OpaqueExtrinsic) -> ApplyExtrinsicResult {
    let index = extrinsic_index("BlockBuilder_apply_extrinsic");
    let xt = UncheckedExtrinsic::from_content(&extrinsic.0)
        .map_err(|_| TransactionValidityError::Invalid(InvalidTransaction::Call))?;
    let origin = executive::pre_dispatch(&xt)?;

    // The root commits to the extrinsic as the block carries it, length prefix included.
    host::storage_set(&extrinsic_data_key(index), &extrinsic.encode());
    put(EXTRINSIC_INDEX_KEY, &(index + 1));

    host::start_transaction();
    let result = executive::dispatch(origin, xt.call);
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

    let number = block_number();
    let parent_hash: Hash = get(&value_key(SYSTEM_PARENT_HASH)).unwrap_or_default();
    let digest: Digest = get(&value_key(SYSTEM_DIGEST)).unwrap_or_default();
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

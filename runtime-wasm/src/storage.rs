//! Storage keys, shared by the runtime and the host build (which uses them for the genesis
//! storage). Pallet storage uses FRAME's layout: `twox128(pallet) ++ twox128(item)` for a
//! value, followed by the hashed key for a map.

use crate::hashing::{blake2_128, twox_128, twox_64};
use crate::primitives::{AccountId32, BlockNumber};
use codec::Encode;

#[cfg(target_arch = "wasm32")]
use alloc::vec::Vec;

/// Well-known key: the runtime code.
pub const CODE_KEY: &[u8] = b":code";
/// Well-known key read by the executor: the number of 64 KiB heap pages (`u64`).
pub const HEAP_PAGES_KEY: &[u8] = b":heappages";
/// Well-known key: index of the next extrinsic (`u32`); present only while building a block.
pub const EXTRINSIC_INDEX_KEY: &[u8] = b":extrinsic_index";

/// The System pallet's name, the first half of its storage keys.
pub const SYSTEM: &str = "System";
/// System item: the number of the block being built or last built (`u32`).
pub const SYSTEM_NUMBER: &str = "Number";
/// System item: the parent hash of that block (`[u8; 32]`).
pub const SYSTEM_PARENT_HASH: &str = "ParentHash";
/// System item: the digest of that block (`Digest`).
pub const SYSTEM_DIGEST: &str = "Digest";
/// System map: extrinsic index (`u32`, `Twox64Concat`) to the encoded extrinsic, for the
/// extrinsics of the block being built.
pub const SYSTEM_EXTRINSIC_DATA: &str = "ExtrinsicData";
/// System map: account (`AccountId32`, `Blake2_128Concat`) to its `AccountInfo`.
pub const SYSTEM_ACCOUNT: &str = "Account";
/// System map: block number (`u32`, `Twox64Concat`) to its hash, for the last
/// [`BLOCK_HASH_COUNT`] blocks and the genesis block (number 0).
pub const SYSTEM_BLOCK_HASH: &str = "BlockHash";
/// How many recent block hashes `System::BlockHash` keeps (besides the genesis hash): the
/// longest mortal era a transaction can use.
pub const BLOCK_HASH_COUNT: BlockNumber = 4096;

/// The Balances pallet's name.
pub const BALANCES: &str = "Balances";
/// Balances item: the total amount of funds (`u128`).
pub const BALANCES_TOTAL_ISSUANCE: &str = "TotalIssuance";

/// The storage key of the plain storage item `item` of `pallet`.
pub fn value_key(pallet: &str, item: &str) -> Vec<u8> {
    let mut key = twox_128(pallet.as_bytes()).to_vec();
    key.extend_from_slice(&twox_128(item.as_bytes()));
    key
}

/// The key of `pallet::item[key]` for a `Twox64Concat` map.
pub fn twox_64_concat_key(pallet: &str, item: &str, key: &impl Encode) -> Vec<u8> {
    let mut out = value_key(pallet, item);
    let encoded = key.encode();
    out.extend_from_slice(&twox_64(&encoded));
    out.extend_from_slice(&encoded);
    out
}

/// The key of `pallet::item[key]` for a `Blake2_128Concat` map.
pub fn blake2_128_concat_key(pallet: &str, item: &str, key: &impl Encode) -> Vec<u8> {
    let mut out = value_key(pallet, item);
    let encoded = key.encode();
    out.extend_from_slice(&blake2_128(&encoded));
    out.extend_from_slice(&encoded);
    out
}

/// `System::Account(who)`: the account's `AccountInfo` (FRAME's exact key and layout).
pub fn account_key(who: &AccountId32) -> Vec<u8> {
    blake2_128_concat_key(SYSTEM, SYSTEM_ACCOUNT, who)
}

/// `System::BlockHash(number)`.
pub fn block_hash_key(number: BlockNumber) -> Vec<u8> {
    twox_64_concat_key(SYSTEM, SYSTEM_BLOCK_HASH, &number)
}

/// `Balances::TotalIssuance`.
pub fn total_issuance_key() -> Vec<u8> {
    value_key(BALANCES, BALANCES_TOTAL_ISSUANCE)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn keys_match_frame() {
        // Well-known FRAME prefixes (e.g. from polkadot-js / subxt storage keys).
        assert_eq!(
            hex(&value_key("System", "Account")),
            "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
        );
        assert_eq!(
            hex(&value_key("System", "Number")),
            "26aa394eea5630e07c48ae0c9558cef702a5c1b19ab7a04f536c519aca4983ac"
        );
        assert_eq!(
            hex(&total_issuance_key()),
            "c2261276cc9d1f8598ea4b6a74b15c2f57c875e4cff74148e4628f264b974c80"
        );
        // Alice's System::Account key, as polkadot-js computes it.
        let alice = AccountId32([
            0xd4, 0x35, 0x93, 0xc7, 0x15, 0xfd, 0xd3, 0x1c, 0x61, 0x14, 0x1a, 0xbd, 0x04, 0xa9,
            0x9f, 0xd6, 0x82, 0x2c, 0x85, 0x58, 0x85, 0x4c, 0xcd, 0xe3, 0x9a, 0x56, 0x84, 0xe7,
            0xa5, 0x6d, 0xa2, 0x7d,
        ]);
        assert_eq!(
            hex(&account_key(&alice)),
            "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9\
             de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6\
             822c8558854ccde39a5684e7a56da27d"
        );
        assert_eq!(
            hex(&block_hash_key(0)),
            "26aa394eea5630e07c48ae0c9558cef7a44704b568d21667356a5a050c118746\
             b4def25cfda6ef3a00000000"
        );
    }
}

//! Block headers in Substrate's SCALE layout (`u32` block numbers and BLAKE2b-256 hashes, as
//! Polkadot-family chains use) and their digest items.
//!
//! ```
//! use codec::{Decode, Encode};
//! use substrate_primitives::header::{Digest, DigestItem, Header};
//!
//! let header = Header {
//!     parent_hash: [1; 32],
//!     number: 7,
//!     state_root: [2; 32],
//!     extrinsics_root: [3; 32],
//!     digest: Digest { logs: vec![DigestItem::RuntimeEnvironmentUpdated] },
//! };
//! let encoded = header.encode();
//! assert_eq!(Header::decode(&mut &encoded[..]).unwrap(), header);
//! assert_eq!(header.hash(), sp_crypto_hashing::blake2_256(&encoded));
//! ```

use alloc::vec::Vec;

use codec::{Decode, Encode};

use crate::{BlockNumber, Hash};

/// The identifier of a consensus engine in digest items, e.g. `*b"BABE"`, `*b"aura"`.
pub type ConsensusEngineId = [u8; 4];

/// A digest item, with Substrate's discriminants (1, 2, 3 and 7 are retired and rejected on
/// decoding, as Substrate does).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "scale-info", derive(scale_info::TypeInfo))]
pub enum DigestItem {
    /// Anything else (discriminant 0).
    #[codec(index = 0)]
    Other(Vec<u8>),
    /// A message from the runtime to the consensus engine (4).
    #[codec(index = 4)]
    Consensus(ConsensusEngineId, Vec<u8>),
    /// A seal, added by the block author after execution and never seen by the runtime (5).
    #[codec(index = 5)]
    Seal(ConsensusEngineId, Vec<u8>),
    /// A message from the consensus engine to the runtime, e.g. BABE's slot claim (6).
    #[codec(index = 6)]
    PreRuntime(ConsensusEngineId, Vec<u8>),
    /// The runtime code or heap pages changed in this block (8).
    #[codec(index = 8)]
    RuntimeEnvironmentUpdated,
}

/// The header digest: its items, in order (encoded as a plain `Vec`).
#[derive(Clone, Debug, PartialEq, Eq, Default, Encode, Decode)]
#[cfg_attr(feature = "scale-info", derive(scale_info::TypeInfo))]
pub struct Digest {
    /// The items.
    pub logs: Vec<DigestItem>,
}

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "scale-info", derive(scale_info::TypeInfo))]
pub struct Header {
    /// The hash of the parent block (all zeroes for genesis).
    pub parent_hash: Hash,
    /// The block number, SCALE-encoded as a compact integer.
    #[codec(compact)]
    pub number: BlockNumber,
    /// The root of the state trie after the block.
    pub state_root: Hash,
    /// The ordered trie root of the block's extrinsics.
    pub extrinsics_root: Hash,
    /// The digest.
    pub digest: Digest,
}

#[cfg(feature = "std")]
impl Header {
    /// The block hash: BLAKE2b-256 of the SCALE encoding.
    pub fn hash(&self) -> Hash {
        sp_crypto_hashing::blake2_256(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(number: BlockNumber, logs: Vec<DigestItem>) -> Header {
        Header {
            parent_hash: [0x11; 32],
            number,
            state_root: [0xaa; 32],
            extrinsics_root: [0xbb; 32],
            digest: Digest { logs },
        }
    }

    #[test]
    fn digest_items_encode_like_substrate() {
        assert_eq!(DigestItem::Other(vec![1, 2]).encode(), [0, 8, 1, 2]);
        assert_eq!(
            DigestItem::Consensus(*b"aura", vec![9]).encode(),
            [4, b'a', b'u', b'r', b'a', 4, 9]
        );
        assert_eq!(
            DigestItem::Seal(*b"BABE", vec![]).encode(),
            [5, b'B', b'A', b'B', b'E', 0]
        );
        assert_eq!(
            DigestItem::PreRuntime(*b"BABE", vec![]).encode(),
            [6, b'B', b'A', b'B', b'E', 0]
        );
        assert_eq!(DigestItem::RuntimeEnvironmentUpdated.encode(), [8]);
        for retired in [1u8, 2, 3, 7, 9] {
            assert!(
                DigestItem::decode(&mut &[retired, 0][..]).is_err(),
                "{retired}"
            );
        }
    }

    #[test]
    fn header_layout() {
        let encoded = header(0, vec![]).encode();
        // 32 parent + compact(0) + 32 state root + 32 extrinsics root + compact(0) digest items
        assert_eq!(encoded.len(), 32 + 1 + 32 + 32 + 1);
        assert_eq!(&encoded[..32], &[0x11; 32]);
        assert_eq!(encoded[32], 0);
        assert_eq!(&encoded[33..65], &[0xaa; 32]);
        assert_eq!(&encoded[65..97], &[0xbb; 32]);
        assert_eq!(encoded[97], 0);
    }

    #[test]
    fn number_is_compact_and_digest_a_plain_list() {
        let header = header(1_000_000, vec![DigestItem::RuntimeEnvironmentUpdated]);
        let encoded = header.encode();
        assert_eq!(encoded.len(), 32 + 4 + 32 + 32 + 2);
        assert_eq!(&encoded[encoded.len() - 2..], [4, 8]);
        assert_eq!(Header::decode(&mut &encoded[..]).unwrap(), header);
    }
}

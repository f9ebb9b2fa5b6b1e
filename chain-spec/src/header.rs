//! Block headers in Substrate's SCALE layout (with a `u32` block number and BLAKE2b-256
//! hashes, as Polkadot-family chains use), and their hash.
//!
//! ```
//! use chain_spec::header::Header;
//! use codec::{Decode, Encode};
//!
//! let header = Header::genesis([1; 32]);
//! let encoded = header.encode();
//! assert_eq!(Header::decode(&mut &encoded[..]).unwrap(), header);
//! assert_eq!(header.hash(), sp_crypto_hashing::blake2_256(&encoded));
//! ```

use codec::{Decode, Encode};

use crate::{BlockNumber, Hash};

/// The identifier of a consensus engine in digest items, e.g. `*b"BABE"`, `*b"aura"`.
pub type ConsensusEngineId = [u8; 4];

/// A block header: `parent_hash`, `number` (compact), `state_root`, `extrinsics_root` and the
/// digest (a SCALE `Vec` of [`DigestItem`], which is how Substrate's `Digest { logs }`
/// encodes).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
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
    /// The digest items.
    pub digest: Vec<DigestItem>,
}

impl Header {
    /// The genesis header of a state with root `state_root`: no parent, number 0, the empty
    /// extrinsics root ([`trie::EMPTY_TRIE_ROOT`]) and an empty digest.
    pub fn genesis(state_root: Hash) -> Self {
        Header {
            parent_hash: [0; 32],
            number: 0,
            state_root,
            extrinsics_root: trie::EMPTY_TRIE_ROOT,
            digest: Vec::new(),
        }
    }

    /// The block hash: BLAKE2b-256 of the SCALE encoding.
    pub fn hash(&self) -> Hash {
        sp_crypto_hashing::blake2_256(&self.encode())
    }
}

/// A digest item, with Substrate's discriminants (1, 2, 3 and 7 are retired and rejected on
/// decoding, as Substrate does).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum DigestItem {
    /// Anything else (discriminant 0).
    #[codec(index = 0)]
    Other(Vec<u8>),
    /// A message from the runtime to the consensus engine (4).
    #[codec(index = 4)]
    Consensus(ConsensusEngineId, Vec<u8>),
    /// A seal, added by the block author after execution (5).
    #[codec(index = 5)]
    Seal(ConsensusEngineId, Vec<u8>),
    /// A pre-runtime digest, e.g. BABE's slot claim (6).
    #[codec(index = 6)]
    PreRuntime(ConsensusEngineId, Vec<u8>),
    /// The runtime code or heap pages changed in this block (8).
    #[codec(index = 8)]
    RuntimeEnvironmentUpdated,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        crate::hex::decode(text).unwrap()
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
    fn genesis_header_layout() {
        let header = Header::genesis([0xaa; 32]);
        let encoded = header.encode();
        // 32 parent + compact(0) + 32 state root + 32 extrinsics root + compact(0) digest items
        assert_eq!(encoded.len(), 32 + 1 + 32 + 32 + 1);
        assert_eq!(encoded[32], 0);
        assert_eq!(&encoded[33..65], &[0xaa; 32]);
        assert_eq!(&encoded[65..97], &trie::EMPTY_TRIE_ROOT);
        assert_eq!(encoded[97], 0);
    }

    #[test]
    fn number_is_compact() {
        let mut header = Header::genesis([0; 32]);
        header.number = 1_000_000;
        let encoded = header.encode();
        assert_eq!(encoded.len(), 32 + 4 + 32 + 32 + 1);
        assert_eq!(Header::decode(&mut &encoded[..]).unwrap(), header);
    }

    /// Kusama block #1 (fixture): decoding and re-encoding its header gives the same bytes and
    /// its known hash; the digest holds BABE's pre-digest, epoch change and seal.
    #[test]
    fn kusama_block_1() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/blocks/kusama-1.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("skipping: fixture {path} not found");
            return;
        };
        let block: serde_json::Value = serde_json::from_str(&text).unwrap();
        let field = |name: &str| unhex(block[name].as_str().unwrap());
        let encoded = field("encoded_header");
        let header = Header::decode(&mut &encoded[..]).unwrap();
        assert_eq!(header.encode(), encoded);
        assert_eq!(header.number, 1);
        assert_eq!(header.parent_hash.to_vec(), field("parent_hash"));
        assert_eq!(header.state_root.to_vec(), field("state_root"));
        assert_eq!(header.hash().to_vec(), field("block_hash"));
        assert!(matches!(
            header.digest.as_slice(),
            [DigestItem::PreRuntime(pre, _), DigestItem::Consensus(epoch, _), DigestItem::Seal(seal, _)]
                if pre == b"BABE" && epoch == b"BABE" && seal == b"BABE"
        ));
    }
}

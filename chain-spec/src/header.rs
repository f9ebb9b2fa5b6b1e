//! The genesis header. Header types are `substrate-primitives`' (shared with the runtime).

use substrate_primitives::header::{Digest, Header};

use crate::Hash;

/// The genesis header of a state with root `state_root`: no parent, number 0, the empty
/// extrinsics root ([`trie::EMPTY_TRIE_ROOT`]) and an empty digest.
pub fn genesis(state_root: Hash) -> Header {
    Header {
        parent_hash: [0; 32],
        number: 0,
        state_root,
        extrinsics_root: trie::EMPTY_TRIE_ROOT,
        digest: Digest::default(),
    }
}

#[cfg(test)]
mod tests {
    use codec::Encode;

    use super::*;

    #[test]
    fn genesis_header_layout() {
        let encoded = genesis([0xaa; 32]).encode();
        // 32 parent + compact(0) + 32 state root + 32 extrinsics root + compact(0) digest items
        assert_eq!(encoded.len(), 32 + 1 + 32 + 32 + 1);
        assert_eq!(&encoded[..33], &[0; 33]);
        assert_eq!(&encoded[33..65], &[0xaa; 32]);
        assert_eq!(&encoded[65..97], &trie::EMPTY_TRIE_ROOT);
        assert_eq!(encoded[97], 0);
    }
}

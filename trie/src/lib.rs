//! Substrate's base-16 modified Merkle-Patricia trie: state roots and ordered roots.
//!
//! Substrate (and the Polkadot host specification, section "Trie structure") commits to a
//! key-value state with a radix-16 trie without extension nodes whose nodes have a compact,
//! SCALE-based encoding. This crate computes the root of such a trie for a set of entries, in
//! both state versions ([`StateVersion::V0`] and [`StateVersion::V1`], the latter storing
//! values of 33 bytes or more by hash).
//!
//! # Why not `sp-trie`
//!
//! The trie algorithm itself comes from the small, well-kept
//! [`trie_root`](mod@::trie_root) crate (from the same `trie` family Substrate uses); this
//! crate only implements Substrate's node encoding as a [`trie_root::TrieStream`] (see the
//! `node` module). We do not depend on `sp-trie` because its `std` feature pulls `sp-core`,
//! `prometheus` and `hyper` (and much more) into every build, while a closed-form root is all
//! the executor needs.
//!
//! # Example
//!
//! ```
//! use trie::{trie_root, Blake2Hasher, StateVersion, EMPTY_TRIE_ROOT};
//!
//! let empty: [(&[u8], &[u8]); 0] = [];
//! assert_eq!(trie_root::<Blake2Hasher>(empty, StateVersion::V1), EMPTY_TRIE_ROOT);
//!
//! let root = trie_root::<Blake2Hasher>([(b"foo", b"bar")], StateVersion::V0);
//! assert_ne!(root, EMPTY_TRIE_ROOT);
//! ```

#![warn(missing_docs)]

pub mod db;
mod node;
pub mod proof;

use std::collections::BTreeMap;

use codec::{Compact, Encode};
use hash_db::Hasher;

use node::SubstrateTrieStream;
pub use proof::{generate_proof, verify_proof, verify_value_proof, InvalidProof};

/// The prefix of every top-trie key reserved for child tries (`:child_storage:`); runtimes
/// may not write such keys directly.
pub const CHILD_STORAGE_KEY_PREFIX: &[u8] = b":child_storage:";

/// The prefix of the top-trie keys under which the roots of default child tries are stored:
/// the root of child trie `c` is the value of key `CHILD_STORAGE_DEFAULT_PREFIX ++ c`.
pub const CHILD_STORAGE_DEFAULT_PREFIX: &[u8] = b":child_storage:default:";

/// The root of the empty trie with [`Blake2Hasher`] (in either state version): the
/// BLAKE2b-256 hash of the one-byte empty node encoding `0x00`.
pub const EMPTY_TRIE_ROOT: [u8; 32] = [
    0x03, 0x17, 0x0a, 0x2e, 0x75, 0x97, 0xb7, 0xb7, 0xe3, 0xd8, 0x4c, 0x05, 0x39, 0x1d, 0x13, 0x9a,
    0x62, 0xb1, 0x57, 0xe7, 0x87, 0x86, 0xd8, 0xc0, 0x82, 0xf2, 0x9d, 0xcf, 0x4c, 0x11, 0x13, 0x14,
];

/// The trie layout version of a state, which decides how values are stored in nodes.
///
/// Runtimes declare theirs in `RuntimeVersion::state_version`; there is deliberately no
/// `Default`, since old chains use V0 and modern ones V1 and a wrong guess gives a wrong root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateVersion {
    /// Every value is stored inline in its node.
    V0,
    /// Values of 33 bytes or more are stored as their 32-byte hash (in nodes of the hashed
    /// value variants); shorter values inline.
    V1,
}

impl StateVersion {
    /// The value length from which values are stored by hash: `None` for V0, `Some(33)` for V1.
    pub fn hash_threshold(self) -> Option<u32> {
        match self {
            StateVersion::V0 => None,
            StateVersion::V1 => Some(33),
        }
    }
}

/// The error of converting a number other than 0 or 1 into a [`StateVersion`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidStateVersion(pub u8);

impl std::fmt::Display for InvalidStateVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid state version {} (expected 0 or 1)", self.0)
    }
}

impl std::error::Error for InvalidStateVersion {}

impl TryFrom<u8> for StateVersion {
    type Error = InvalidStateVersion;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(StateVersion::V0),
            1 => Ok(StateVersion::V1),
            other => Err(InvalidStateVersion(other)),
        }
    }
}

impl From<StateVersion> for u8 {
    fn from(version: StateVersion) -> u8 {
        match version {
            StateVersion::V0 => 0,
            StateVersion::V1 => 1,
        }
    }
}

/// The BLAKE2b-256 hasher, Substrate's default trie hasher.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Blake2Hasher;

impl Hasher for Blake2Hasher {
    type Out = [u8; 32];
    type StdHasher = std::collections::hash_map::DefaultHasher;
    const LENGTH: usize = 32;

    fn hash(x: &[u8]) -> Self::Out {
        sp_crypto_hashing::blake2_256(x)
    }
}

/// The Keccak-256 hasher (used by some Ethereum-compatible Substrate chains).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeccakHasher;

impl Hasher for KeccakHasher {
    type Out = [u8; 32];
    type StdHasher = std::collections::hash_map::DefaultHasher;
    const LENGTH: usize = 32;

    fn hash(x: &[u8]) -> Self::Out {
        sp_crypto_hashing::keccak_256(x)
    }
}

/// The root of the trie holding `entries`, in the layout of `version`.
///
/// Entries may come in any order; when a key appears more than once, the last value wins.
/// Empty values are values (a key with an empty value is present in the trie).
pub fn trie_root<H: Hasher>(
    entries: impl IntoIterator<Item = (impl AsRef<[u8]>, impl AsRef<[u8]>)>,
    version: StateVersion,
) -> H::Out {
    let entries: Vec<_> = entries.into_iter().collect();
    let sorted: BTreeMap<&[u8], &[u8]> = entries
        .iter()
        .map(|(key, value)| (key.as_ref(), value.as_ref()))
        .collect();
    trie_root::trie_root_no_extension::<H, SubstrateTrieStream, _, _, _>(
        sorted,
        version.hash_threshold(),
    )
}

/// The root of the trie mapping the SCALE encoding of each value's index (`Compact<u32>`) to
/// the value, as used for extrinsics roots.
pub fn ordered_trie_root<H: Hasher>(
    values: impl IntoIterator<Item = impl AsRef<[u8]>>,
    version: StateVersion,
) -> H::Out {
    let keyed = values
        .into_iter()
        .enumerate()
        .map(|(index, value)| (Compact(index as u32).encode(), value));
    trie_root::<H>(keyed, version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(hex_str: &str) -> [u8; 32] {
        let bytes = hex::decode(hex_str.trim_start_matches("0x")).expect("valid hex");
        bytes.try_into().expect("32 bytes")
    }

    fn root(entries: &[(&[u8], &[u8])], version: StateVersion) -> [u8; 32] {
        trie_root::<Blake2Hasher>(entries.iter().copied(), version)
    }

    #[test]
    fn empty_root() {
        assert_eq!(EMPTY_TRIE_ROOT, Blake2Hasher::hash(&[0]));
        assert_eq!(root(&[], StateVersion::V0), EMPTY_TRIE_ROOT);
        assert_eq!(root(&[], StateVersion::V1), EMPTY_TRIE_ROOT);
        assert_eq!(
            EMPTY_TRIE_ROOT,
            h("0x03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314")
        );
        let no_values: [&[u8]; 0] = [];
        assert_eq!(
            ordered_trie_root::<Blake2Hasher>(no_values, StateVersion::V0),
            EMPTY_TRIE_ROOT
        );
    }

    #[test]
    fn known_v0_root() {
        let entries: &[(&[u8], &[u8])] = &[(b"foo", b"bar"), (b"foobar", b"baz")];
        assert_eq!(
            root(entries, StateVersion::V0),
            h("0xa61820b5fba9b01aee10b5bbd84aea80b8230318c5e8ca14b9a4940c76e09815")
        );
    }

    #[test]
    fn known_v1_root() {
        let entries: &[(&[u8], &[u8])] = &[
            (b"bar", b"foo"),
            (b"barfoo", b"hello"),
            (b"anotheritem", b"anothervalue"),
        ];
        assert_eq!(
            root(entries, StateVersion::V1),
            h("0x441807c345ca7adf88bd21ab1b3cbadb15616abb89167eb9fe285dd5cecd04c8")
        );
        // All values are short, so V0 gives the same root.
        assert_eq!(
            root(entries, StateVersion::V0),
            root(entries, StateVersion::V1)
        );
    }

    #[test]
    fn known_ordered_root() {
        assert_eq!(
            ordered_trie_root::<Blake2Hasher>(["zero", "one", "two"], StateVersion::V0),
            h("0x9243f4bb6fa633dce97247652479ed7e2e2995a5ea641fd9d1e1a046f7601da6")
        );
    }

    #[test]
    fn ordered_root_uses_compact_index_keys() {
        let values = (0..100u32).map(|i| i.to_le_bytes()).collect::<Vec<_>>();
        let keyed = values
            .iter()
            .enumerate()
            .map(|(i, v)| (Compact(i as u32).encode(), v));
        assert_eq!(
            ordered_trie_root::<Blake2Hasher>(&values, StateVersion::V0),
            trie_root::<Blake2Hasher>(keyed, StateVersion::V0)
        );
    }

    #[test]
    fn single_key_is_a_leaf_at_the_root() {
        // Leaf with the whole key (6 nibbles) as partial key and the SCALE value.
        let mut encoded = vec![0x40 | 6];
        encoded.extend_from_slice(b"foo");
        encoded.extend_from_slice(&[3 << 2]);
        encoded.extend_from_slice(b"bar");
        let expected = Blake2Hasher::hash(&encoded);
        assert_eq!(root(&[(b"foo", b"bar")], StateVersion::V0), expected);
        assert_eq!(root(&[(b"foo", b"bar")], StateVersion::V1), expected);

        // A long value is hashed in V1 (hashed-value leaf) but not in V0.
        let long = [0xaa; 40];
        let mut encoded = vec![0x20 | 6];
        encoded.extend_from_slice(b"foo");
        encoded.extend_from_slice(&Blake2Hasher::hash(&long));
        assert_eq!(
            root(&[(b"foo", &long)], StateVersion::V1),
            Blake2Hasher::hash(&encoded)
        );
    }

    #[test]
    fn two_keys_branch_with_inline_children() {
        // {0x10: "a", 0x11: "b"}: branch with partial key [1], children at nibbles 0 and 1,
        // each a short leaf (empty partial key) stored inline.
        let leaf_a = [0x40, 0x04, b'a'];
        let leaf_b = [0x40, 0x04, b'b'];
        let mut encoded = vec![0x81, 0x01, 0b0000_0011, 0x00];
        encoded.push(3 << 2);
        encoded.extend_from_slice(&leaf_a);
        encoded.push(3 << 2);
        encoded.extend_from_slice(&leaf_b);
        assert_eq!(
            root(&[(&[0x10], b"a"), (&[0x11], b"b")], StateVersion::V0),
            Blake2Hasher::hash(&encoded)
        );
    }

    #[test]
    fn versions_differ_exactly_when_a_value_is_long() {
        let base: Vec<(Vec<u8>, Vec<u8>)> = (0u8..20)
            .map(|i| (vec![i, i.wrapping_mul(7)], vec![i; (i as usize) % 5]))
            .collect();
        let r0 = trie_root::<Blake2Hasher>(base.clone(), StateVersion::V0);
        let r1 = trie_root::<Blake2Hasher>(base.clone(), StateVersion::V1);
        assert_eq!(r0, r1);

        for len in [32usize, 33, 100] {
            let mut with = base.clone();
            with.push((vec![5], vec![9; len]));
            let r0 = trie_root::<Blake2Hasher>(with.clone(), StateVersion::V0);
            let r1 = trie_root::<Blake2Hasher>(with, StateVersion::V1);
            assert_eq!(r0 == r1, len < 33, "value length {len}");
        }
    }

    #[test]
    fn later_duplicates_win() {
        let entries: &[(&[u8], &[u8])] = &[(b"foo", b"old"), (b"foobar", b"baz"), (b"foo", b"bar")];
        assert_eq!(
            root(entries, StateVersion::V0),
            h("0xa61820b5fba9b01aee10b5bbd84aea80b8230318c5e8ca14b9a4940c76e09815")
        );
    }

    #[test]
    fn empty_key_and_empty_value() {
        let with_empty_value = root(&[(b"a", b"")], StateVersion::V0);
        assert_ne!(with_empty_value, EMPTY_TRIE_ROOT);
        // The empty key sits at the root branch as its value.
        let r = root(&[(b"", b"v"), (b"a", b"w")], StateVersion::V0);
        assert_ne!(r, root(&[(b"a", b"w")], StateVersion::V0));
    }

    #[test]
    fn keccak_hasher_gives_another_root() {
        let entries = [(b"foo", b"bar")];
        assert_ne!(
            trie_root::<KeccakHasher>(entries, StateVersion::V0),
            trie_root::<Blake2Hasher>(entries, StateVersion::V0)
        );
        let empty: [(&[u8], &[u8]); 0] = [];
        assert_eq!(
            trie_root::<KeccakHasher>(empty, StateVersion::V0),
            sp_crypto_hashing::keccak_256(&[0])
        );
    }

    #[test]
    fn child_storage_prefixes() {
        assert!(CHILD_STORAGE_DEFAULT_PREFIX.starts_with(CHILD_STORAGE_KEY_PREFIX));
        assert_eq!(CHILD_STORAGE_DEFAULT_PREFIX, b":child_storage:default:");
    }

    #[test]
    fn state_version_conversions() {
        assert_eq!(StateVersion::try_from(0), Ok(StateVersion::V0));
        assert_eq!(StateVersion::try_from(1), Ok(StateVersion::V1));
        let err = StateVersion::try_from(2).unwrap_err();
        assert_eq!(err, InvalidStateVersion(2));
        assert!(err.to_string().contains('2'));
        assert_eq!(u8::from(StateVersion::V1), 1);
        assert_eq!(StateVersion::V0.hash_threshold(), None);
        assert_eq!(StateVersion::V1.hash_threshold(), Some(33));
    }

    proptest! {
        #[test]
        fn root_does_not_depend_on_insertion_order(
            map in proptest::collection::btree_map(
                proptest::collection::vec(any::<u8>(), 0..6),
                proptest::collection::vec(any::<u8>(), 0..50),
                0..40,
            ),
            seed in any::<u64>(),
            v1 in any::<bool>(),
        ) {
            let version = if v1 { StateVersion::V1 } else { StateVersion::V0 };
            let sorted: Vec<_> = map.into_iter().collect();
            let mut shuffled = sorted.clone();
            // A simple deterministic shuffle driven by the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(
                trie_root::<Blake2Hasher>(sorted, version),
                trie_root::<Blake2Hasher>(shuffled, version)
            );
        }
    }
}

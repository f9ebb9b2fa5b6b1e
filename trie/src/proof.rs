//! Trie proofs: verifying (and, for tests and tools, generating) proofs in `trie-db`'s compact
//! proof format, over Substrate's node codec and layouts generic in the hasher (the host API
//! verifies BLAKE2b-256 and Keccak-256 proofs).
//!
//! The `ext_trie_*_verify_proof_*` host functions check proofs made by
//! `trie_db::proof::generate_proof` (what `sp_trie::generate_trie_proof` produces): the nodes
//! on the paths to the proven keys in pre-order, with the proven values and the references to
//! other proof nodes left out, since the verifier recomputes them. Verification must accept
//! exactly the proofs Substrate accepts (a runtime's result depends on it), so it is done by
//! `trie-db`'s own [`verify_proof`](trie_db::proof::verify_proof) over our codec rather than
//! by a separate walker: the format's strictness (no extraneous node, value or hash) comes with
//! it.
//!
//! The codec decodes the node layout described in the `node` module (the Polkadot host
//! specification's "Trie structure"), with the checks Substrate's codec makes: a header the
//! layout allows, zero padding before an odd-length partial key, a branch bitmap with at least
//! one child, and lengths within the data. Its encoders produce the same bytes as the
//! [`trie_root`](crate::trie_root) path (a property test checks the roots agree).

use std::{borrow::Borrow, marker::PhantomData, ops::Range};

use codec::{Compact, Decode, Encode};
use hash_db::Hasher;
use trie_db::{
    nibble_ops,
    node::{NibbleSlicePlan, NodeHandlePlan, NodePlan, Value, ValuePlan},
    ChildReference, NodeCodec, TrieLayout,
};

use crate::{node::EMPTY_TRIE, StateVersion};

/// Why a node could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeDecodeError {
    /// The data ends before the node does.
    Truncated,
    /// The first byte is no node header of the layout.
    InvalidHeader(u8),
    /// The partial key's length does not fit the layout's bound.
    PartialKeyTooLong,
    /// The unused high nibble before an odd-length partial key is not zero.
    NonZeroPadding,
    /// A branch whose bitmap names no child.
    BranchWithoutChildren,
    /// A SCALE length prefix does not decode.
    InvalidLength,
}

impl std::fmt::Display for NodeDecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Truncated => write!(f, "the node's data ends early"),
            Self::InvalidHeader(byte) => write!(f, "{byte:#04x} is not a node header"),
            Self::PartialKeyTooLong => write!(f, "the partial key is too long"),
            Self::NonZeroPadding => write!(f, "the partial key's padding nibble is not zero"),
            Self::BranchWithoutChildren => write!(f, "a branch node without children"),
            Self::InvalidLength => write!(f, "a length prefix does not decode"),
        }
    }
}

impl std::error::Error for NodeDecodeError {}

/// The header of a node: its variant and the length of its partial key in nibbles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Header {
    Empty,
    Leaf { nibbles: usize, hashed_value: bool },
    Branch { nibbles: usize, value: BranchValue },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BranchValue {
    None,
    Inline,
    Hashed,
}

/// The most nibbles a partial key may have (the header's length is bounded to 16 bits).
const MAX_NIBBLES: usize = u16::MAX as usize;

/// A cursor over a node's bytes.
struct Cursor<'a> {
    data: &'a [u8],
    offset: usize,
}

impl Cursor<'_> {
    fn byte(&mut self) -> Result<u8, NodeDecodeError> {
        let byte = *self
            .data
            .get(self.offset)
            .ok_or(NodeDecodeError::Truncated)?;
        self.offset += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<Range<usize>, NodeDecodeError> {
        let end = self
            .offset
            .checked_add(len)
            .filter(|&end| end <= self.data.len())
            .ok_or(NodeDecodeError::Truncated)?;
        let range = self.offset..end;
        self.offset = end;
        Ok(range)
    }

    fn compact_len(&mut self) -> Result<usize, NodeDecodeError> {
        let mut rest = &self.data[self.offset..];
        let before = rest.len();
        let Compact(len) =
            Compact::<u32>::decode(&mut rest).map_err(|_| NodeDecodeError::InvalidLength)?;
        self.offset += before - rest.len();
        Ok(len as usize)
    }

    /// The partial key length encoded in the low `bits` bits of `first` and the bytes after.
    fn nibble_count(&mut self, first: u8, bits: u32) -> Result<usize, NodeDecodeError> {
        let all_ones = (1usize << bits) - 1;
        let mut count = usize::from(first) & all_ones;
        if count < all_ones {
            return Ok(count);
        }
        loop {
            let next = self.byte()?;
            count += usize::from(next);
            if next < 255 {
                return Ok(count);
            }
            if count > MAX_NIBBLES {
                return Err(NodeDecodeError::PartialKeyTooLong);
            }
        }
    }

    fn header(&mut self) -> Result<Header, NodeDecodeError> {
        let first = self.byte()?;
        if first == EMPTY_TRIE {
            return Ok(Header::Empty);
        }
        let header = match first >> 6 {
            0b01 => Header::Leaf {
                nibbles: self.nibble_count(first, 6)?,
                hashed_value: false,
            },
            0b10 => Header::Branch {
                nibbles: self.nibble_count(first, 6)?,
                value: BranchValue::None,
            },
            0b11 => Header::Branch {
                nibbles: self.nibble_count(first, 6)?,
                value: BranchValue::Inline,
            },
            _ if first >> 5 == 0b001 => Header::Leaf {
                nibbles: self.nibble_count(first, 5)?,
                hashed_value: true,
            },
            _ if first >> 4 == 0b0001 => Header::Branch {
                nibbles: self.nibble_count(first, 4)?,
                value: BranchValue::Hashed,
            },
            _ => return Err(NodeDecodeError::InvalidHeader(first)),
        };
        Ok(header)
    }

    /// The packed partial key of `nibbles` nibbles, checking the padding of an odd count.
    fn partial_key(&mut self, nibbles: usize) -> Result<NibbleSlicePlan, NodeDecodeError> {
        let odd = nibbles % 2;
        if odd == 1 {
            let first = *self
                .data
                .get(self.offset)
                .ok_or(NodeDecodeError::Truncated)?;
            if nibble_ops::pad_left(first) != 0 {
                return Err(NodeDecodeError::NonZeroPadding);
            }
        }
        let bytes = self.take(nibbles.div_ceil(2))?;
        Ok(NibbleSlicePlan::new(bytes, odd))
    }

    fn inline_value(&mut self) -> Result<ValuePlan, NodeDecodeError> {
        let len = self.compact_len()?;
        Ok(ValuePlan::Inline(self.take(len)?))
    }
}

/// Substrate's node codec over hasher `H` (32-byte outputs).
#[derive(Clone, Copy, Debug, Default)]
pub struct SubstrateNodeCodec<H>(PhantomData<H>);

impl<H: Hasher> SubstrateNodeCodec<H> {
    fn header_bytes(kind: u8, bits: u32, nibbles: usize) -> Vec<u8> {
        let all_ones = (1usize << bits) - 1;
        let count = nibbles.min(MAX_NIBBLES);
        if count < all_ones {
            return vec![kind | count as u8];
        }
        let mut out = vec![kind | all_ones as u8];
        let mut rest = count - all_ones;
        while rest >= 255 {
            out.push(255);
            rest -= 255;
        }
        out.push(rest as u8);
        out
    }

    fn write_value(out: &mut Vec<u8>, value: &Value<'_>) {
        match value {
            Value::Inline(bytes) => bytes.encode_to(out),
            Value::Node(hash) => out.extend_from_slice(hash),
        }
    }
}

impl<H: Hasher> NodeCodec for SubstrateNodeCodec<H> {
    type Error = NodeDecodeError;
    type HashOut = H::Out;

    fn hashed_null_node() -> H::Out {
        H::hash(Self::empty_node())
    }

    fn decode_plan(data: &[u8]) -> Result<NodePlan, Self::Error> {
        let mut cursor = Cursor { data, offset: 0 };
        match cursor.header()? {
            Header::Empty => Ok(NodePlan::Empty),
            Header::Leaf {
                nibbles,
                hashed_value,
            } => {
                let partial = cursor.partial_key(nibbles)?;
                let value = if hashed_value {
                    ValuePlan::Node(cursor.take(H::LENGTH)?)
                } else {
                    cursor.inline_value()?
                };
                Ok(NodePlan::Leaf { partial, value })
            }
            Header::Branch { nibbles, value } => {
                let partial = cursor.partial_key(nibbles)?;
                let bitmap = cursor.take(2)?;
                let bitmap = u16::from_le_bytes([data[bitmap.start], data[bitmap.start + 1]]);
                if bitmap == 0 {
                    return Err(NodeDecodeError::BranchWithoutChildren);
                }
                let value = match value {
                    BranchValue::None => None,
                    BranchValue::Inline => Some(cursor.inline_value()?),
                    BranchValue::Hashed => Some(ValuePlan::Node(cursor.take(H::LENGTH)?)),
                };
                let mut children: [Option<NodeHandlePlan>; nibble_ops::NIBBLE_LENGTH] =
                    Default::default();
                for (index, child) in children.iter_mut().enumerate() {
                    if bitmap & (1 << index) == 0 {
                        continue;
                    }
                    let len = cursor.compact_len()?;
                    let range = cursor.take(len)?;
                    *child = Some(if len == H::LENGTH {
                        NodeHandlePlan::Hash(range)
                    } else {
                        NodeHandlePlan::Inline(range)
                    });
                }
                Ok(NodePlan::NibbledBranch {
                    partial,
                    value,
                    children,
                })
            }
        }
    }

    fn is_empty_node(data: &[u8]) -> bool {
        data == Self::empty_node()
    }

    fn empty_node() -> &'static [u8] {
        &[EMPTY_TRIE]
    }

    fn leaf_node(partial: impl Iterator<Item = u8>, number_nibble: usize, value: Value) -> Vec<u8> {
        let mut out = match value {
            Value::Inline(_) => Self::header_bytes(0b0100_0000, 6, number_nibble),
            Value::Node(_) => Self::header_bytes(0b0010_0000, 5, number_nibble),
        };
        out.extend(partial);
        Self::write_value(&mut out, &value);
        out
    }

    fn extension_node(
        _partial: impl Iterator<Item = u8>,
        _number_nibble: usize,
        _child_ref: ChildReference<H::Out>,
    ) -> Vec<u8> {
        unreachable!("Substrate's trie layout has no extension nodes")
    }

    fn branch_node(
        _children: impl Iterator<Item = impl Borrow<Option<ChildReference<H::Out>>>>,
        _value: Option<Value>,
    ) -> Vec<u8> {
        unreachable!("Substrate's trie layout only has branches with a partial key")
    }

    fn branch_node_nibbled(
        partial: impl Iterator<Item = u8>,
        number_nibble: usize,
        children: impl Iterator<Item = impl Borrow<Option<ChildReference<H::Out>>>>,
        value: Option<Value>,
    ) -> Vec<u8> {
        let mut out = match value {
            None => Self::header_bytes(0b1000_0000, 6, number_nibble),
            Some(Value::Inline(_)) => Self::header_bytes(0b1100_0000, 6, number_nibble),
            Some(Value::Node(_)) => Self::header_bytes(0b0001_0000, 4, number_nibble),
        };
        out.extend(partial);
        let bitmap_at = out.len();
        out.extend_from_slice(&[0, 0]);
        if let Some(value) = &value {
            Self::write_value(&mut out, value);
        }
        let mut bitmap = 0u16;
        for (index, child) in children.enumerate() {
            match child.borrow() {
                Some(ChildReference::Hash(hash)) => {
                    bitmap |= 1 << index;
                    hash.as_ref().encode_to(&mut out);
                }
                Some(ChildReference::Inline(data, len)) => {
                    bitmap |= 1 << index;
                    data.as_ref()[..*len].encode_to(&mut out);
                }
                None => {}
            }
        }
        out[bitmap_at..bitmap_at + 2].copy_from_slice(&bitmap.to_le_bytes());
        out
    }
}

/// Substrate's trie layout V0 (every value inline) over hasher `H`.
#[derive(Clone, Copy, Debug, Default)]
pub struct LayoutV0<H>(PhantomData<H>);

/// Substrate's trie layout V1 (values of 33 bytes or more by hash) over hasher `H`.
#[derive(Clone, Copy, Debug, Default)]
pub struct LayoutV1<H>(PhantomData<H>);

impl<H: Hasher> TrieLayout for LayoutV0<H> {
    const USE_EXTENSION: bool = false;
    const ALLOW_EMPTY: bool = true;
    const MAX_INLINE_VALUE: Option<u32> = None;
    type Hash = H;
    type Codec = SubstrateNodeCodec<H>;
}

impl<H: Hasher> trie_db::TrieConfiguration for LayoutV0<H> {}

impl<H: Hasher> TrieLayout for LayoutV1<H> {
    const USE_EXTENSION: bool = false;
    const ALLOW_EMPTY: bool = true;
    const MAX_INLINE_VALUE: Option<u32> = Some(33);
    type Hash = H;
    type Codec = SubstrateNodeCodec<H>;
}

impl<H: Hasher> trie_db::TrieConfiguration for LayoutV1<H> {}

/// Why a proof was rejected (`trie-db`'s verification error, rendered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidProof(pub String);

impl std::fmt::Display for InvalidProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid trie proof: {}", self.0)
    }
}

impl std::error::Error for InvalidProof {}

/// Checks that `proof` (in `trie-db`'s compact proof format) proves, against `root`, every
/// item: `(key, Some(value))` that `key` holds `value`, `(key, None)` that `key` is absent.
pub fn verify_proof<H: Hasher>(
    root: &H::Out,
    proof: &[Vec<u8>],
    items: &[(Vec<u8>, Option<Vec<u8>>)],
    version: StateVersion,
) -> Result<(), InvalidProof> {
    let result = match version {
        StateVersion::V0 => {
            trie_db::proof::verify_proof::<LayoutV0<H>, _, _, _>(root, proof, items)
                .map_err(|e| format!("{e}"))
        }
        StateVersion::V1 => {
            trie_db::proof::verify_proof::<LayoutV1<H>, _, _, _>(root, proof, items)
                .map_err(|e| format!("{e}"))
        }
    };
    result.map_err(InvalidProof)
}

/// What `ext_trie_*_verify_proof` checks: that `proof` proves `key` holds `value` under `root`.
pub fn verify_value_proof<H: Hasher>(
    root: &H::Out,
    proof: &[Vec<u8>],
    key: &[u8],
    value: &[u8],
    version: StateVersion,
) -> bool {
    verify_proof::<H>(
        root,
        proof,
        &[(key.to_vec(), Some(value.to_vec()))],
        version,
    )
    .is_ok()
}

/// Builds the trie of `entries` in layout `version` and returns its root and a compact proof of
/// `keys` (present or absent), as `sp_trie::generate_trie_proof` would.
pub fn generate_proof<H: Hasher>(
    entries: impl IntoIterator<Item = (impl AsRef<[u8]>, impl AsRef<[u8]>)>,
    keys: &[impl AsRef<[u8]>],
    version: StateVersion,
) -> (H::Out, Vec<Vec<u8>>) {
    match version {
        StateVersion::V0 => generate::<LayoutV0<H>>(entries, keys),
        StateVersion::V1 => generate::<LayoutV1<H>>(entries, keys),
    }
}

fn generate<L: TrieLayout>(
    entries: impl IntoIterator<Item = (impl AsRef<[u8]>, impl AsRef<[u8]>)>,
    keys: &[impl AsRef<[u8]>],
) -> (trie_db::TrieHash<L>, Vec<Vec<u8>>) {
    use trie_db::TrieMut;

    let mut db =
        memory_db::MemoryDB::<L::Hash, memory_db::HashKey<L::Hash>, Vec<u8>>::from_null_node(
            L::Codec::empty_node(),
            L::Codec::empty_node().to_vec(),
        );
    let mut root = Default::default();
    {
        let mut trie = trie_db::TrieDBMutBuilder::<L>::new(&mut db, &mut root).build();
        for (key, value) in entries {
            trie.insert(key.as_ref(), value.as_ref())
                .expect("an in-memory trie has every node");
        }
        trie.commit();
    }
    let proof = trie_db::proof::generate_proof::<_, L, _, _>(&db, &root, keys)
        .expect("an in-memory trie has every node");
    (root, proof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{trie_root, Blake2Hasher, KeccakHasher};

    fn entries() -> Vec<(Vec<u8>, Vec<u8>)> {
        vec![
            (b"foo".to_vec(), b"bar".to_vec()),
            (b"foobar".to_vec(), b"baz".to_vec()),
            (b"fob".to_vec(), vec![7; 40]),
            (b"alpha".to_vec(), vec![]),
            (vec![0x12, 0x34], vec![1; 100]),
        ]
    }

    #[test]
    fn fixture_roots_through_trie_db() {
        let v0: [(&[u8], &[u8]); 2] = [(b"foo", b"bar"), (b"foobar", b"baz")];
        let (root, _) = generate_proof::<Blake2Hasher>(v0, &[b"foo"], StateVersion::V0);
        assert_eq!(
            hex::encode(root),
            "a61820b5fba9b01aee10b5bbd84aea80b8230318c5e8ca14b9a4940c76e09815"
        );
        let v1: [(&[u8], &[u8]); 3] = [
            (b"bar", b"foo"),
            (b"barfoo", b"hello"),
            (b"anotheritem", b"anothervalue"),
        ];
        let (root, _) = generate_proof::<Blake2Hasher>(v1, &[b"bar"], StateVersion::V1);
        assert_eq!(
            hex::encode(root),
            "441807c345ca7adf88bd21ab1b3cbadb15616abb89167eb9fe285dd5cecd04c8"
        );
    }

    #[test]
    fn proofs_of_present_and_absent_keys_verify() {
        for version in [StateVersion::V0, StateVersion::V1] {
            let entries = entries();
            let keys: Vec<Vec<u8>> = entries.iter().map(|(k, _)| k.clone()).collect();
            for (key, value) in &entries {
                let (root, proof) =
                    generate_proof::<Blake2Hasher>(entries.clone(), &[key], version);
                assert_eq!(root, trie_root::<Blake2Hasher>(entries.clone(), version));
                assert!(verify_value_proof::<Blake2Hasher>(
                    &root, &proof, key, value, version
                ));
                // A wrong value, another layout or another hasher does not verify.
                assert!(!verify_value_proof::<Blake2Hasher>(
                    &root, &proof, key, b"wrong", version
                ));
                assert!(!verify_value_proof::<KeccakHasher>(
                    &root, &proof, key, value, version
                ));
            }
            let (root, proof) = generate_proof::<Blake2Hasher>(entries.clone(), &keys, version);
            let items: Vec<_> = entries
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect();
            assert_eq!(
                verify_proof::<Blake2Hasher>(&root, &proof, &items, version),
                Ok(())
            );

            let (root, proof) = generate_proof::<Blake2Hasher>(entries.clone(), &[b"fo"], version);
            assert_eq!(
                verify_proof::<Blake2Hasher>(&root, &proof, &[(b"fo".to_vec(), None)], version),
                Ok(())
            );
            assert!(!verify_value_proof::<Blake2Hasher>(
                &root, &proof, b"fo", b"", version
            ));
        }
    }

    #[test]
    fn tampered_or_incomplete_proofs_fail() {
        let version = StateVersion::V0;
        let (root, proof) = generate_proof::<Blake2Hasher>(entries(), &[b"foobar"], version);
        assert!(verify_value_proof::<Blake2Hasher>(
            &root, &proof, b"foobar", b"baz", version
        ));
        assert!(!verify_value_proof::<Blake2Hasher>(
            &root,
            &proof[1..],
            b"foobar",
            b"baz",
            version
        ));
        let mut extra = proof.clone();
        extra.push(vec![0x41, 0x05, 0x04, 0x01]);
        assert!(!verify_value_proof::<Blake2Hasher>(
            &root, &extra, b"foobar", b"baz", version
        ));
        let mut other_root = root;
        other_root[0] ^= 1;
        assert!(!verify_value_proof::<Blake2Hasher>(
            &other_root,
            &proof,
            b"foobar",
            b"baz",
            version
        ));
        assert!(!verify_value_proof::<Blake2Hasher>(
            &root,
            &[],
            b"foobar",
            b"baz",
            version
        ));
    }

    #[test]
    fn decoding_rejects_malformed_nodes() {
        type Codec = SubstrateNodeCodec<Blake2Hasher>;
        assert_eq!(Codec::decode_plan(&[0x00]), Ok(NodePlan::Empty));
        assert!(Codec::decode_plan(&[]).is_err());
        // `0000 1xxx` is no header of the layout.
        assert_eq!(
            Codec::decode_plan(&[0x08]),
            Err(NodeDecodeError::InvalidHeader(0x08))
        );
        // Odd partial key with a non-zero padding nibble.
        assert_eq!(
            Codec::decode_plan(&[0x41, 0x16, 0x00]),
            Err(NodeDecodeError::NonZeroPadding)
        );
        // A branch without children.
        assert_eq!(
            Codec::decode_plan(&[0x80, 0x00, 0x00]),
            Err(NodeDecodeError::BranchWithoutChildren)
        );
        // A leaf whose value is cut short.
        assert_eq!(
            Codec::decode_plan(&[0x42, 0x61, 0x08, b'a']),
            Err(NodeDecodeError::Truncated)
        );
        // Encoders round-trip through the decoder.
        let leaf = Codec::leaf_node([0x06, 0x1a].into_iter(), 3, Value::Inline(b"ab"));
        assert_eq!(leaf, [0x43, 0x06, 0x1a, 0x08, b'a', b'b']);
        assert!(matches!(
            Codec::decode_plan(&leaf),
            Ok(NodePlan::Leaf { .. })
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// The trie `trie-db` builds with our codec has the root `trie_root` computes, and a
        /// proof of any of its keys verifies.
        #[test]
        fn trie_db_agrees_with_trie_root(
            entries in proptest::collection::btree_map(
                proptest::collection::vec(0u8..4, 0..6),
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..50),
                1..24,
            ),
            v1 in proptest::prelude::any::<bool>(),
            pick in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let version = if v1 { StateVersion::V1 } else { StateVersion::V0 };
            let (key, value) = entries.iter().nth(pick.index(entries.len())).unwrap();
            let (root, proof) = generate_proof::<Blake2Hasher>(&entries, &[key], version);
            proptest::prop_assert_eq!(root, trie_root::<Blake2Hasher>(&entries, version));
            proptest::prop_assert!(verify_value_proof::<Blake2Hasher>(
                &root, &proof, key, value, version
            ));
        }
    }
}

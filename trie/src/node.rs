//! Substrate's node encoding, as a [`trie_root::TrieStream`].
//!
//! The layout follows the Polkadot host specification ("Trie structure", "Node header"):
//!
//! * A node starts with a header whose high bits give the variant and whose remaining bits
//!   start the length, in nibbles, of the node's partial key:
//!
//!   | bits        | variant                                   | length bits |
//!   |-------------|-------------------------------------------|-------------|
//!   | `01xx xxxx` | leaf                                      | 6           |
//!   | `10xx xxxx` | branch without value                      | 6           |
//!   | `11xx xxxx` | branch with value                         | 6           |
//!   | `001x xxxx` | leaf with hashed value (V1)               | 5           |
//!   | `0001 xxxx` | branch with hashed value (V1)             | 4           |
//!   | `0000 0000` | empty trie                                | -           |
//!
//!   If the length does not fit (it is at least the all-ones value of the length bits), the
//!   length bits are all ones and `length - all_ones` follows as a sequence of bytes: `255` as
//!   long as the rest is at least 255, then the rest (`0..=254`).
//! * The partial key follows, packed two nibbles per byte; with an odd number of nibbles the
//!   first byte holds the first nibble alone in its low half.
//! * A branch then has a 16-bit little-endian bitmap of its children (bit `i` for nibble `i`).
//! * The value, if any: SCALE-encoded bytes (compact length then the bytes), or for a hashed
//!   value the 32-byte hash of the value, without a length.
//! * A branch then lists its present children in nibble order, each as SCALE-encoded bytes: the
//!   child's encoding if shorter than 32 bytes, else the hash of that encoding.

use codec::{Compact, Encode};
use hash_db::Hasher;
use trie_root::{TrieStream, Value};

/// The encoding of the empty trie (its root node).
pub(crate) const EMPTY_TRIE: u8 = 0x00;

/// Bound on the nibble count a header can carry (the encoding's length is bounded to 16 bits);
/// longer partial keys are still written in full, as Substrate does.
const NIBBLE_SIZE_BOUND: usize = u16::MAX as usize;

/// The variants of a non-empty node, each with its header prefix and number of length bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeKind {
    Leaf,
    BranchNoValue,
    BranchWithValue,
    HashedValueLeaf,
    HashedValueBranch,
}

impl NodeKind {
    /// The header's fixed high bits and the number of low bits left for the key length.
    fn prefix_and_bits(self) -> (u8, u32) {
        match self {
            NodeKind::Leaf => (0b0100_0000, 6),
            NodeKind::BranchNoValue => (0b1000_0000, 6),
            NodeKind::BranchWithValue => (0b1100_0000, 6),
            NodeKind::HashedValueLeaf => (0b0010_0000, 5),
            NodeKind::HashedValueBranch => (0b0001_0000, 4),
        }
    }
}

/// Appends the header of a node of `kind` whose partial key has `nibble_count` nibbles.
fn write_header(out: &mut Vec<u8>, kind: NodeKind, nibble_count: usize) {
    let (prefix, bits) = kind.prefix_and_bits();
    let all_ones = (1usize << bits) - 1;
    let count = nibble_count.min(NIBBLE_SIZE_BOUND);
    if count < all_ones {
        out.push(prefix | count as u8);
        return;
    }
    out.push(prefix | all_ones as u8);
    let mut rest = count - all_ones;
    while rest >= 255 {
        out.push(255);
        rest -= 255;
    }
    out.push(rest as u8);
}

/// Appends a partial key given as one nibble per byte, packed two nibbles per byte.
fn write_partial_key(out: &mut Vec<u8>, nibbles: &[u8]) {
    let odd = nibbles.len() % 2;
    if odd == 1 {
        out.push(nibbles[0]);
    }
    out.extend(
        nibbles[odd..]
            .chunks_exact(2)
            .map(|pair| (pair[0] << 4) | pair[1]),
    );
}

/// Appends a value: inline values SCALE-encoded, hashed values as the bare hash.
fn write_value(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Inline(bytes) => bytes.encode_to(out),
        Value::Node(hash) => out.extend_from_slice(hash),
    }
}

/// A [`TrieStream`] producing Substrate's node encoding (no extension nodes: use it with
/// [`trie_root::trie_root_no_extension`]).
#[derive(Debug, Default)]
pub(crate) struct SubstrateTrieStream {
    buffer: Vec<u8>,
}

impl TrieStream for SubstrateTrieStream {
    fn new() -> Self {
        Self::default()
    }

    fn append_empty_data(&mut self) {
        self.buffer.push(EMPTY_TRIE);
    }

    fn begin_branch(
        &mut self,
        maybe_partial: Option<&[u8]>,
        maybe_value: Option<Value<'_>>,
        has_children: impl Iterator<Item = bool>,
    ) {
        let partial = maybe_partial.unwrap_or(&[]);
        let kind = match maybe_value {
            None => NodeKind::BranchNoValue,
            Some(Value::Inline(_)) => NodeKind::BranchWithValue,
            Some(Value::Node(_)) => NodeKind::HashedValueBranch,
        };
        write_header(&mut self.buffer, kind, partial.len());
        write_partial_key(&mut self.buffer, partial);
        let bitmap = has_children
            .enumerate()
            .filter(|&(_, present)| present)
            .fold(0u16, |bitmap, (index, _)| bitmap | (1 << index));
        self.buffer.extend_from_slice(&bitmap.to_le_bytes());
        if let Some(value) = &maybe_value {
            write_value(&mut self.buffer, value);
        }
    }

    fn append_leaf(&mut self, partial: &[u8], value: Value<'_>) {
        let kind = match value {
            Value::Inline(_) => NodeKind::Leaf,
            Value::Node(_) => NodeKind::HashedValueLeaf,
        };
        write_header(&mut self.buffer, kind, partial.len());
        write_partial_key(&mut self.buffer, partial);
        write_value(&mut self.buffer, &value);
    }

    fn append_extension(&mut self, _partial: &[u8]) {
        // `trie_root_no_extension` never asks for extension nodes.
        unreachable!("Substrate's trie layout has no extension nodes")
    }

    fn append_substream<H: Hasher>(&mut self, other: Self) {
        let data = other.out();
        if data.len() >= H::LENGTH {
            Compact(H::LENGTH as u32).encode_to(&mut self.buffer);
            self.buffer.extend_from_slice(H::hash(&data).as_ref());
        } else {
            data.encode_to(&mut self.buffer);
        }
    }

    fn out(self) -> Vec<u8> {
        self.buffer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: NodeKind, nibbles: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write_header(&mut out, kind, nibbles);
        out
    }

    #[test]
    fn short_lengths_fit_in_the_header() {
        assert_eq!(header(NodeKind::Leaf, 0), [0x40]);
        assert_eq!(header(NodeKind::Leaf, 62), [0x40 | 62]);
        assert_eq!(header(NodeKind::BranchNoValue, 5), [0x85]);
        assert_eq!(header(NodeKind::BranchWithValue, 1), [0xc1]);
        assert_eq!(header(NodeKind::HashedValueLeaf, 30), [0x20 | 30]);
        assert_eq!(header(NodeKind::HashedValueBranch, 14), [0x10 | 14]);
    }

    #[test]
    fn long_lengths_continue_in_further_bytes() {
        assert_eq!(header(NodeKind::Leaf, 63), [0x7f, 0]);
        assert_eq!(header(NodeKind::Leaf, 64), [0x7f, 1]);
        assert_eq!(header(NodeKind::Leaf, 63 + 254), [0x7f, 254]);
        assert_eq!(header(NodeKind::Leaf, 63 + 255), [0x7f, 255, 0]);
        assert_eq!(header(NodeKind::Leaf, 63 + 511), [0x7f, 255, 255, 1]);
        assert_eq!(header(NodeKind::HashedValueLeaf, 31), [0x3f, 0]);
        assert_eq!(header(NodeKind::HashedValueBranch, 15), [0x1f, 0]);
        assert_eq!(header(NodeKind::HashedValueBranch, 16 + 15), [0x1f, 16]);
    }

    #[test]
    fn partial_keys_pack_two_nibbles_a_byte() {
        let mut out = Vec::new();
        write_partial_key(&mut out, &[0x1, 0x2, 0x3]);
        assert_eq!(out, [0x01, 0x23]);
        out.clear();
        write_partial_key(&mut out, &[0xa, 0xb, 0xc, 0xd]);
        assert_eq!(out, [0xab, 0xcd]);
        out.clear();
        write_partial_key(&mut out, &[]);
        assert!(out.is_empty());
    }

    #[test]
    fn leaf_encoding() {
        let mut stream = SubstrateTrieStream::new();
        stream.append_leaf(&[0x6, 0x1], Value::Inline(b"ab"));
        assert_eq!(stream.out(), [0x42, 0x61, 0x08, b'a', b'b']);

        let mut stream = SubstrateTrieStream::new();
        stream.append_leaf(&[0x6], Value::Node(vec![7; 32]));
        let mut expected = vec![0x21, 0x06];
        expected.extend([7; 32]);
        assert_eq!(stream.out(), expected);
    }

    #[test]
    fn branch_bitmap_is_little_endian() {
        let mut stream = SubstrateTrieStream::new();
        let children = (0..16).map(|i| i == 0 || i == 9);
        stream.begin_branch(Some(&[]), None, children);
        assert_eq!(stream.out(), [0x80, 0b0000_0001, 0b0000_0010]);
    }
}

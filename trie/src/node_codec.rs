//! Substrate's node encoding as a [`trie_db::NodeCodec`], so that `trie-db` can read and
//! update tries kept in a database, node by node.
//!
//! The encoding is the one [`crate::node`] produces for roots (see that module for the table
//! of headers): this module adds decoding ([`NodeCodec::decode_plan`]) and the encoding
//! entry points `trie-db` calls with packed partial keys and child references.

use std::{borrow::Borrow, ops::Range};

use codec::{Compact, Decode, Encode};
use hash_db::Hasher;
use trie_db::{
    node::{NibbleSlicePlan, NodeHandlePlan, NodePlan, Value, ValuePlan},
    ChildReference, NodeCodec,
};

use crate::Blake2Hasher;

/// The node header's variants, with their fixed high bits and the number of low bits left for
/// the partial key's length (in nibbles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Leaf,
    BranchNoValue,
    BranchWithValue,
    HashedValueLeaf,
    HashedValueBranch,
}

impl Kind {
    fn prefix_and_bits(self) -> (u8, u32) {
        match self {
            Kind::Leaf => (0b0100_0000, 6),
            Kind::BranchNoValue => (0b1000_0000, 6),
            Kind::BranchWithValue => (0b1100_0000, 6),
            Kind::HashedValueLeaf => (0b0010_0000, 5),
            Kind::HashedValueBranch => (0b0001_0000, 4),
        }
    }

    /// The variant of a non-empty header byte, or `None` for an invalid one.
    fn of_header(byte: u8) -> Option<Kind> {
        match byte >> 6 {
            0b01 => Some(Kind::Leaf),
            0b10 => Some(Kind::BranchNoValue),
            0b11 => Some(Kind::BranchWithValue),
            _ if byte & 0b0010_0000 != 0 => Some(Kind::HashedValueLeaf),
            _ if byte & 0b0001_0000 != 0 => Some(Kind::HashedValueBranch),
            _ => None,
        }
    }
}

/// The encoding of the empty trie.
const EMPTY_NODE: [u8; 1] = [0x00];

/// The longest partial key a header can describe, in nibbles (the spec bounds it to 16 bits).
const NIBBLE_SIZE_BOUND: usize = u16::MAX as usize;

/// A node that does not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeDecodeError(pub String);

impl std::fmt::Display for NodeDecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid trie node: {}", self.0)
    }
}

impl std::error::Error for NodeDecodeError {}

impl From<codec::Error> for NodeDecodeError {
    fn from(error: codec::Error) -> Self {
        NodeDecodeError(error.to_string())
    }
}

fn bad(message: &str) -> NodeDecodeError {
    NodeDecodeError(message.to_owned())
}

/// Substrate's node codec over [`Blake2Hasher`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SubstrateNodeCodec;

/// Reads an encoded node while remembering where each part is.
struct Cursor<'a> {
    data: &'a [u8],
    offset: usize,
}

impl Cursor<'_> {
    fn take(&mut self, count: usize) -> Result<Range<usize>, NodeDecodeError> {
        let end = self
            .offset
            .checked_add(count)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| bad("unexpected end of node"))?;
        let range = self.offset..end;
        self.offset = end;
        Ok(range)
    }

    fn byte(&mut self) -> Result<u8, NodeDecodeError> {
        let range = self.take(1)?;
        Ok(self.data[range.start])
    }

    fn compact_len(&mut self) -> Result<usize, NodeDecodeError> {
        let mut rest = &self.data[self.offset..];
        let before = rest.len();
        let Compact(len) = Compact::<u32>::decode(&mut rest)?;
        self.offset += before - rest.len();
        Ok(len as usize)
    }
}

fn write_header(out: &mut Vec<u8>, kind: Kind, nibble_count: usize) {
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

fn write_value(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Inline(bytes) => bytes.encode_to(out),
        Value::Node(hash) => out.extend_from_slice(hash),
    }
}

fn write_child(out: &mut Vec<u8>, child: &ChildReference<[u8; 32]>) {
    match child {
        ChildReference::Hash(hash) => hash.as_slice().encode_to(out),
        ChildReference::Inline(data, len) => data[..*len].encode_to(out),
    }
}

impl SubstrateNodeCodec {
    fn decode_node_plan(data: &[u8]) -> Result<NodePlan, NodeDecodeError> {
        let mut cursor = Cursor { data, offset: 0 };
        let header = cursor.byte()?;
        if header == EMPTY_NODE[0] {
            if data.len() != 1 {
                return Err(bad("bytes after the empty node"));
            }
            return Ok(NodePlan::Empty);
        }
        let kind = Kind::of_header(header).ok_or_else(|| bad("unknown node header"))?;
        let (_, bits) = kind.prefix_and_bits();
        let all_ones = (1usize << bits) - 1;
        let mut nibble_count = header as usize & all_ones;
        if nibble_count == all_ones {
            loop {
                let more = cursor.byte()? as usize;
                nibble_count += more;
                if nibble_count > NIBBLE_SIZE_BOUND {
                    return Err(bad("partial key too long"));
                }
                if more != 255 {
                    break;
                }
            }
        }
        let padding = nibble_count % 2;
        let partial_range = cursor.take(nibble_count.div_ceil(2))?;
        if padding == 1 && data[partial_range.start] & 0xf0 != 0 {
            return Err(bad("non-zero padding nibble in the partial key"));
        }
        let partial = NibbleSlicePlan::new(partial_range, padding);

        let value = |cursor: &mut Cursor<'_>, hashed: bool| -> Result<_, NodeDecodeError> {
            if hashed {
                Ok(ValuePlan::Node(cursor.take(32)?))
            } else {
                let len = cursor.compact_len()?;
                Ok(ValuePlan::Inline(cursor.take(len)?))
            }
        };
        let plan = match kind {
            Kind::Leaf | Kind::HashedValueLeaf => {
                let value = value(&mut cursor, kind == Kind::HashedValueLeaf)?;
                NodePlan::Leaf { partial, value }
            }
            Kind::BranchNoValue | Kind::BranchWithValue | Kind::HashedValueBranch => {
                let bitmap_range = cursor.take(2)?;
                let bitmap =
                    u16::from_le_bytes([data[bitmap_range.start], data[bitmap_range.start + 1]]);
                let value = match kind {
                    Kind::BranchNoValue => None,
                    _ => Some(value(&mut cursor, kind == Kind::HashedValueBranch)?),
                };
                let mut children: [Option<NodeHandlePlan>; 16] = Default::default();
                for (index, child) in children.iter_mut().enumerate() {
                    if bitmap & (1 << index) == 0 {
                        continue;
                    }
                    let len = cursor.compact_len()?;
                    let range = cursor.take(len)?;
                    *child = Some(if len == Blake2Hasher::LENGTH {
                        NodeHandlePlan::Hash(range)
                    } else if len < Blake2Hasher::LENGTH {
                        NodeHandlePlan::Inline(range)
                    } else {
                        return Err(bad("inline child node longer than a hash"));
                    });
                }
                NodePlan::NibbledBranch {
                    partial,
                    value,
                    children,
                }
            }
        };
        if cursor.offset != data.len() {
            return Err(bad("trailing bytes after the node"));
        }
        Ok(plan)
    }
}

impl NodeCodec for SubstrateNodeCodec {
    type Error = NodeDecodeError;
    type HashOut = [u8; 32];

    fn hashed_null_node() -> [u8; 32] {
        crate::EMPTY_TRIE_ROOT
    }

    fn decode_plan(data: &[u8]) -> Result<NodePlan, Self::Error> {
        Self::decode_node_plan(data)
    }

    fn is_empty_node(data: &[u8]) -> bool {
        data == EMPTY_NODE
    }

    fn empty_node() -> &'static [u8] {
        &EMPTY_NODE
    }

    fn leaf_node(partial: impl Iterator<Item = u8>, number_nibble: usize, value: Value) -> Vec<u8> {
        let kind = match value {
            Value::Inline(_) => Kind::Leaf,
            Value::Node(_) => Kind::HashedValueLeaf,
        };
        let mut out = Vec::new();
        write_header(&mut out, kind, number_nibble);
        out.extend(partial);
        write_value(&mut out, &value);
        out
    }

    fn extension_node(
        _partial: impl Iterator<Item = u8>,
        _number_nibble: usize,
        _child: ChildReference<[u8; 32]>,
    ) -> Vec<u8> {
        unreachable!("Substrate's trie layout has no extension nodes")
    }

    fn branch_node(
        _children: impl Iterator<Item = impl Borrow<Option<ChildReference<[u8; 32]>>>>,
        _value: Option<Value>,
    ) -> Vec<u8> {
        unreachable!("Substrate's trie layout has no branches without a partial key")
    }

    fn branch_node_nibbled(
        partial: impl Iterator<Item = u8>,
        number_nibble: usize,
        children: impl Iterator<Item = impl Borrow<Option<ChildReference<[u8; 32]>>>>,
        value: Option<Value>,
    ) -> Vec<u8> {
        let kind = match value {
            None => Kind::BranchNoValue,
            Some(Value::Inline(_)) => Kind::BranchWithValue,
            Some(Value::Node(_)) => Kind::HashedValueBranch,
        };
        let mut out = Vec::new();
        write_header(&mut out, kind, number_nibble);
        out.extend(partial);
        let bitmap_at = out.len();
        out.extend_from_slice(&[0, 0]);
        if let Some(value) = &value {
            write_value(&mut out, value);
        }
        let mut bitmap = 0u16;
        for (index, child) in children.enumerate() {
            if let Some(child) = child.borrow() {
                bitmap |= 1 << index;
                write_child(&mut out, child);
            }
        }
        out[bitmap_at..bitmap_at + 2].copy_from_slice(&bitmap.to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_node() {
        assert_eq!(
            SubstrateNodeCodec::decode_plan(&[0]).unwrap(),
            NodePlan::Empty
        );
        assert!(SubstrateNodeCodec::decode_plan(&[0, 0]).is_err());
        assert!(SubstrateNodeCodec::is_empty_node(&[0]));
        assert_eq!(
            SubstrateNodeCodec::hashed_null_node(),
            Blake2Hasher::hash(&[0])
        );
    }

    #[test]
    fn leaf_round_trip() {
        // Three nibbles 0x1, 0x2, 0x3: packed right-aligned as [0x01, 0x23].
        let encoded =
            SubstrateNodeCodec::leaf_node([0x01, 0x23].into_iter(), 3, Value::Inline(b"ab"));
        assert_eq!(encoded, [0x43, 0x01, 0x23, 0x08, b'a', b'b']);
        let node = SubstrateNodeCodec::decode(&encoded).unwrap();
        let trie_db::node::Node::Leaf(partial, value) = node else {
            panic!("not a leaf")
        };
        assert_eq!(partial.len(), 3);
        assert_eq!(value, Value::Inline(b"ab"));

        let hash = [7u8; 32];
        let encoded = SubstrateNodeCodec::leaf_node([0x01].into_iter(), 1, Value::Node(&hash));
        assert_eq!(encoded[0], 0x21);
        assert!(matches!(
            SubstrateNodeCodec::decode(&encoded).unwrap(),
            trie_db::node::Node::Leaf(_, Value::Node(h)) if h == hash
        ));
    }

    #[test]
    fn branch_round_trip() {
        let mut children = [None; 16];
        children[0] = Some(ChildReference::Hash([9u8; 32]));
        let mut inline = [0u8; 32];
        inline[..3].copy_from_slice(&[0x40, 0x04, b'x']);
        children[15] = Some(ChildReference::Inline(inline, 3));
        let encoded = SubstrateNodeCodec::branch_node_nibbled(
            std::iter::empty(),
            0,
            children.iter(),
            Some(Value::Inline(b"v")),
        );
        assert_eq!(&encoded[..3], &[0xc0, 0x01, 0x80]);
        let plan = SubstrateNodeCodec::decode_plan(&encoded).unwrap();
        let NodePlan::NibbledBranch {
            value, children, ..
        } = plan
        else {
            panic!("not a branch")
        };
        assert!(matches!(value, Some(ValuePlan::Inline(_))));
        assert!(matches!(children[0], Some(NodeHandlePlan::Hash(_))));
        assert!(matches!(children[15], Some(NodeHandlePlan::Inline(_))));
        assert!(children[1..15].iter().all(Option::is_none));
    }

    #[test]
    fn malformed_nodes_are_errors() {
        for bad in [
            &[0x01][..],
            &[0x43, 0x01][..],
            &[0x41, 0x10, 0x00][..],
            &[0x40, 0x04][..],
            &[0x40, 0x04, b'a', b'b'][..],
        ] {
            assert!(SubstrateNodeCodec::decode_plan(bad).is_err(), "{bad:?}");
        }
    }
}

//! Block and header types, byte-compatible with Substrate's generic header (u32 numbers,
//! BLAKE2-256 hashes) and opaque blocks, so the node and tools can decode them.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;

pub use crate::primitives::{BlockNumber, Hash};

/// A digest item, with Substrate's variant indices (the ones not listed are not accepted).
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub enum DigestItem {
    /// Opaque data for any purpose.
    #[codec(index = 0)]
    Other(Vec<u8>),
    /// A message from the runtime to the consensus engine.
    #[codec(index = 4)]
    Consensus([u8; 4], Vec<u8>),
    /// A seal added by the consensus engine after execution; never checked by the runtime.
    #[codec(index = 5)]
    Seal([u8; 4], Vec<u8>),
    /// A message from the consensus engine to the runtime, provided before execution.
    #[codec(index = 6)]
    PreRuntime([u8; 4], Vec<u8>),
    /// The runtime environment (code or heap pages) changed in this block.
    #[codec(index = 8)]
    RuntimeEnvironmentUpdated,
}

/// The header digest: a list of [`DigestItem`]s.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug, Default)]
pub struct Digest {
    /// The items, in order.
    pub logs: Vec<DigestItem>,
}

/// A block header.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Header {
    /// Hash of the parent block's header.
    pub parent_hash: Hash,
    /// The block number (compact encoded, as in Substrate).
    #[codec(compact)]
    pub number: BlockNumber,
    /// Root of the state trie after executing the block.
    pub state_root: Hash,
    /// Root of the ordered trie of the block's encoded extrinsics.
    pub extrinsics_root: Hash,
    /// Digest items.
    pub digest: Digest,
}

/// An extrinsic as the block carries it: opaque bytes (encoded as a length-prefixed `Vec<u8>`)
/// whose content is an [`UncheckedExtrinsic`](crate::extrinsic::UncheckedExtrinsic)'s.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct OpaqueExtrinsic(pub Vec<u8>);

/// A block.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct Block {
    /// The header.
    pub header: Header,
    /// The extrinsics, in execution order.
    pub extrinsics: Vec<OpaqueExtrinsic>,
}

/// What `Core_initialize_block` (Core v5) tells the block builder it may include.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExtrinsicInclusionMode {
    /// Any extrinsic.
    AllExtrinsics,
    /// Inherents only.
    OnlyInherents,
}

/// Lower-case hex formatting for error messages.
pub struct HexDisplay<'a>(pub &'a [u8]);

impl core::fmt::Display for HexDisplay<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("0x")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

//! Block and header types, byte-compatible with Substrate's generic header (u32 numbers,
//! BLAKE2-256 hashes) and opaque blocks, so the node and tools can decode them.

use alloc::vec::Vec;
use codec::{Decode, Encode};

pub use crate::primitives::{BlockNumber, Hash};
pub use substrate_primitives::header::{Digest, DigestItem, Header};

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

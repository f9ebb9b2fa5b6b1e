//! Substrate's standard types, as the runtime and the node both need them: the block header
//! with its digest ([`header`]) and what transaction validation answers ([`transaction`]).
//!
//! `no_std` (the runtime builds it for wasm32); the `std` feature adds what only hosts use,
//! `scale-info` the type information runtime metadata describes them with. Encodings are
//! byte-compatible with `sp-runtime`'s.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod header;
pub mod transaction;

/// A block hash or trie root (BLAKE2b-256).
pub type Hash = [u8; 32];
/// A block number.
pub type BlockNumber = u32;

//! The hashes shared code needs, from the host functions in the runtime and from
//! `sp-crypto-hashing` in the host build (the same algorithms, so storage keys and signing
//! payloads agree by construction).

#[cfg(target_arch = "wasm32")]
pub use crate::host::{blake2_128, blake2_256, twox_128, twox_64};

#[cfg(not(target_arch = "wasm32"))]
pub use sp_crypto_hashing::{blake2_128, blake2_256, twox_128, twox_64};

//! The runtime's version: the single source of truth for `Core_version` and for the
//! `runtime_version` / `runtime_apis` custom sections.
//!
//! Everything is encoded by `const fn`s, so the sections are plain bytes fixed at compile time
//! (what lets an executor read the version without instantiating the blob) and the host build
//! can compute the very same bytes to check the committed blobs against this file.
//!
//! The encoding is sp-version's `RuntimeVersion` as of Core API v5:
//! `spec_name: String, impl_name: String, authoring_version: u32, spec_version: u32,
//! impl_version: u32, apis: Vec<([u8; 8], u32)>, transaction_version: u32, system_version: u8`.

use crate::blake2::blake2b;

/// The chain-facing name of the runtime; identical in every spec version (an executor refuses
/// an upgrade that changes it).
pub const SPEC_NAME: &str = "wasmnode";
/// The name of this implementation of the spec.
pub const IMPL_NAME: &str = "wasmnode";
/// Version of the block authoring logic.
pub const AUTHORING_VERSION: u32 = 1;
/// `spec_version` of the default build (`blobs/runtime-v1.wasm`).
pub const SPEC_VERSION_V1: u32 = 1;
/// `spec_version` of the `spec-version-2` build (`blobs/runtime-v2.wasm`).
pub const SPEC_VERSION_V2: u32 = 2;
/// Version of the implementation; does not change the state transition function.
pub const IMPL_VERSION: u32 = 0;
/// Version of the extrinsic format/interface.
pub const TRANSACTION_VERSION: u32 = 1;
/// `system_version` 1 means the runtime uses trie state version V1.
pub const SYSTEM_VERSION: u8 = 1;

/// The `spec_version` of the runtime being compiled.
#[cfg(target_arch = "wasm32")]
pub const SPEC_VERSION: u32 = if cfg!(feature = "spec-version-2") {
    SPEC_VERSION_V2
} else {
    SPEC_VERSION_V1
};

/// A runtime API id: the 8-byte BLAKE2b digest of the API trait's name, as in Substrate.
pub const fn api_id(trait_name: &str) -> [u8; 8] {
    blake2b::<8>(trait_name.as_bytes())
}

/// Id of `Core` (`version`, `execute_block`, `initialize_block`).
pub const CORE_API_ID: [u8; 8] = api_id("Core");
/// Id of `Metadata` (`metadata`).
pub const METADATA_API_ID: [u8; 8] = api_id("Metadata");
/// Id of `BlockBuilder` (`apply_extrinsic`, `finalize_block`, `inherent_extrinsics`,
/// `check_inherents`).
pub const BLOCK_BUILDER_API_ID: [u8; 8] = api_id("BlockBuilder");
/// Id of `TaggedTransactionQueue` (`validate_transaction`).
pub const TAGGED_TRANSACTION_QUEUE_API_ID: [u8; 8] = api_id("TaggedTransactionQueue");
/// Id of `AccountNonceApi` (`account_nonce`).
pub const ACCOUNT_NONCE_API_ID: [u8; 8] = api_id("AccountNonceApi");
/// Id of the project's own `TestApi` (the `TestApi_*` entry points).
pub const TEST_API_ID: [u8; 8] = api_id("TestApi");

/// The implemented runtime APIs and their versions, in the order they are encoded.
pub const APIS: [([u8; 8], u32); 6] = [
    // v5: `initialize_block` returns `ExtrinsicInclusionMode`.
    (CORE_API_ID, 5),
    (METADATA_API_ID, 1),
    // v6: `apply_extrinsic` returns `ApplyExtrinsicResult` with the current error types.
    (BLOCK_BUILDER_API_ID, 6),
    // v3: `validate_transaction(source, tx, block_hash)`.
    (TAGGED_TRANSACTION_QUEUE_API_ID, 3),
    (ACCOUNT_NONCE_API_ID, 1),
    (TEST_API_ID, 1),
];

// Pins the hash implementation to the id every Substrate tool knows for `Core`.
const _: () = assert!(u64::from_be_bytes(CORE_API_ID) == 0xdf6a_cb68_9907_609b);

/// Length of one `runtime_apis` entry: the id followed by the version as u32 little endian.
const API_ENTRY_LEN: usize = 12;

/// Length of the `runtime_apis` custom section.
pub const RUNTIME_APIS_SECTION_LEN: usize = APIS.len() * API_ENTRY_LEN;

/// The `runtime_apis` custom section: the concatenated `id ++ version_le` entries of [`APIS`].
pub const fn runtime_apis_section() -> [u8; RUNTIME_APIS_SECTION_LEN] {
    let mut out = [0u8; RUNTIME_APIS_SECTION_LEN];
    let mut i = 0;
    while i < APIS.len() {
        let (id, version) = APIS[i];
        let mut j = 0;
        while j < 8 {
            out[i * API_ENTRY_LEN + j] = id[j];
            j += 1;
        }
        let version = version.to_le_bytes();
        let mut j = 0;
        while j < 4 {
            out[i * API_ENTRY_LEN + 8 + j] = version[j];
            j += 1;
        }
        i += 1;
    }
    out
}

/// Length of the encoded `RuntimeVersion` with an empty `apis` list.
pub const RUNTIME_VERSION_SECTION_LEN: usize = encoded_len(false);
/// Length of the encoded `RuntimeVersion` that `Core_version` returns.
pub const CORE_VERSION_LEN: usize = encoded_len(true);

/// The `runtime_version` custom section for `spec_version`: the `RuntimeVersion` encoding with
/// an empty `apis` list (the APIs live in `runtime_apis`), as Substrate's version macro emits.
pub const fn runtime_version_section(spec_version: u32) -> [u8; RUNTIME_VERSION_SECTION_LEN] {
    encode_version(spec_version, false)
}

/// The SCALE `RuntimeVersion` that `Core_version` returns for `spec_version`.
pub const fn core_version(spec_version: u32) -> [u8; CORE_VERSION_LEN] {
    encode_version(spec_version, true)
}

/// Byte length of the SCALE compact encoding of `n`.
const fn compact_len(n: usize) -> usize {
    if n < 1 << 6 {
        1
    } else if n < 1 << 14 {
        2
    } else if n < 1 << 30 {
        4
    } else {
        panic!("length too large for this encoder")
    }
}

const fn encoded_len(with_apis: bool) -> usize {
    let apis = if with_apis { APIS.len() } else { 0 };
    compact_len(SPEC_NAME.len())
        + SPEC_NAME.len()
        + compact_len(IMPL_NAME.len())
        + IMPL_NAME.len()
        + 4 * 3
        + compact_len(apis)
        + apis * API_ENTRY_LEN
        + 4
        + 1
}

/// Appends bytes to a fixed-size buffer in a `const` context.
struct ConstWriter<const N: usize> {
    buf: [u8; N],
    pos: usize,
}

impl<const N: usize> ConstWriter<N> {
    const fn new() -> Self {
        Self {
            buf: [0u8; N],
            pos: 0,
        }
    }

    const fn bytes(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            self.buf[self.pos] = bytes[i];
            self.pos += 1;
            i += 1;
        }
    }

    const fn compact(&mut self, n: usize) {
        let n = n as u32;
        match compact_len(n as usize) {
            1 => self.bytes(&[(n << 2) as u8]),
            2 => self.bytes(&((n << 2) as u16 | 0b01).to_le_bytes()),
            _ => self.bytes(&((n << 2) | 0b10).to_le_bytes()),
        }
    }

    const fn str(&mut self, s: &str) {
        self.compact(s.len());
        self.bytes(s.as_bytes());
    }

    const fn finish(self) -> [u8; N] {
        assert!(
            self.pos == N,
            "encoded length does not match the computed length"
        );
        self.buf
    }
}

const fn encode_version<const N: usize>(spec_version: u32, with_apis: bool) -> [u8; N] {
    let mut w = ConstWriter::<N>::new();
    w.str(SPEC_NAME);
    w.str(IMPL_NAME);
    w.bytes(&AUTHORING_VERSION.to_le_bytes());
    w.bytes(&spec_version.to_le_bytes());
    w.bytes(&IMPL_VERSION.to_le_bytes());
    if with_apis {
        w.compact(APIS.len());
        w.bytes(&runtime_apis_section());
    } else {
        w.compact(0);
    }
    w.bytes(&TRANSACTION_VERSION.to_le_bytes());
    w.bytes(&[SYSTEM_VERSION]);
    w.finish()
}

#[cfg(target_arch = "wasm32")]
mod sections {
    use super::*;

    /// Read by executors straight from the blob, without instantiating it.
    #[used]
    #[link_section = "runtime_version"]
    static RUNTIME_VERSION: [u8; RUNTIME_VERSION_SECTION_LEN] =
        runtime_version_section(SPEC_VERSION);

    /// The implemented APIs, for the same reason.
    #[used]
    #[link_section = "runtime_apis"]
    static RUNTIME_APIS: [u8; RUNTIME_APIS_SECTION_LEN] = runtime_apis_section();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_ids_are_blake2b_64_of_the_trait_names() {
        // Reference values from Python's hashlib.blake2b(name, digest_size=8).
        assert_eq!(u64::from_be_bytes(CORE_API_ID), 0xdf6acb689907609b);
        assert_eq!(u64::from_be_bytes(METADATA_API_ID), 0x37e397fc7c91f5e4);
        assert_eq!(u64::from_be_bytes(BLOCK_BUILDER_API_ID), 0x40fe3ad401f8959a);
        assert_eq!(u64::from_be_bytes(TEST_API_ID), 0xb5ee1dba646070d6);
        // The ids every Substrate runtime declares for these two.
        assert_eq!(
            u64::from_be_bytes(TAGGED_TRANSACTION_QUEUE_API_ID),
            0xd2bc9897eed08f15
        );
        assert_eq!(u64::from_be_bytes(ACCOUNT_NONCE_API_ID), 0xbc9d89904f5b923f);
    }

    #[test]
    fn runtime_version_section_layout() {
        let mut expected = vec![8 << 2];
        expected.extend_from_slice(b"wasmnode");
        expected.push(8 << 2);
        expected.extend_from_slice(b"wasmnode");
        expected.extend_from_slice(&1u32.to_le_bytes()); // authoring_version
        expected.extend_from_slice(&2u32.to_le_bytes()); // spec_version
        expected.extend_from_slice(&0u32.to_le_bytes()); // impl_version
        expected.push(0); // no apis
        expected.extend_from_slice(&1u32.to_le_bytes()); // transaction_version
        expected.push(1); // system_version
        assert_eq!(runtime_version_section(2).to_vec(), expected);
    }

    #[test]
    fn core_version_embeds_the_apis() {
        let full = core_version(1);
        let apis_at = 1 + 8 + 1 + 8 + 12;
        assert_eq!(full[apis_at], (APIS.len() as u8) << 2);
        assert_eq!(
            full[apis_at + 1..apis_at + 1 + RUNTIME_APIS_SECTION_LEN],
            runtime_apis_section()
        );
        assert_eq!(
            &full[apis_at + 1 + RUNTIME_APIS_SECTION_LEN..],
            &[1, 0, 0, 0, 1]
        );
        assert_eq!(&runtime_apis_section()[8..12], &5u32.to_le_bytes());
    }
}

//! The committed runtime blobs, built reproducibly by `runtime-wasm/build.sh` (whose `--check`
//! mode verifies they match the sources) with the toolchain named in `blobs/TOOLCHAIN`.

/// The runtime with `spec_version` [`SPEC_VERSION_V1`](crate::version::SPEC_VERSION_V1).
pub const WASM_BINARY_V1: &[u8] = include_bytes!("../blobs/runtime-v1.wasm");

/// The same runtime built with `spec_version`
/// [`SPEC_VERSION_V2`](crate::version::SPEC_VERSION_V2) (and the same `spec_name`), for
/// runtime upgrade tests.
pub const WASM_BINARY_V2: &[u8] = include_bytes!("../blobs/runtime-v2.wasm");

/// The `rustc --version` line (newline-terminated) of the toolchain that built the blobs.
pub const TOOLCHAIN: &str = include_str!("../blobs/TOOLCHAIN");

/// The names of the exported entry points, grouped by runtime API.
pub mod entry_points {
    /// `() -> RuntimeVersion`.
    pub const CORE_VERSION: &str = "Core_version";
    /// `(Block) -> ()`; panics if the block is invalid.
    pub const CORE_EXECUTE_BLOCK: &str = "Core_execute_block";
    /// `(Header) -> ExtrinsicInclusionMode`.
    pub const CORE_INITIALIZE_BLOCK: &str = "Core_initialize_block";
    /// `() -> OpaqueMetadata`.
    pub const METADATA_METADATA: &str = "Metadata_metadata";
    /// `(OpaqueExtrinsic) -> ApplyExtrinsicResult`.
    pub const BLOCK_BUILDER_APPLY_EXTRINSIC: &str = "BlockBuilder_apply_extrinsic";
    /// `() -> Header`.
    pub const BLOCK_BUILDER_FINALIZE_BLOCK: &str = "BlockBuilder_finalize_block";
    /// `(InherentData) -> Vec<OpaqueExtrinsic>` (always empty).
    pub const BLOCK_BUILDER_INHERENT_EXTRINSICS: &str = "BlockBuilder_inherent_extrinsics";
    /// `(Block, InherentData) -> CheckInherentsResult` (always okay).
    pub const BLOCK_BUILDER_CHECK_INHERENTS: &str = "BlockBuilder_check_inherents";
    /// `(TransactionSource, OpaqueExtrinsic, BlockHash) -> TransactionValidity`
    /// (`TaggedTransactionQueue` v3; see [`crate::primitives`] for the types).
    pub const TAGGED_TRANSACTION_QUEUE_VALIDATE_TRANSACTION: &str =
        "TaggedTransactionQueue_validate_transaction";
    /// `(AccountId32) -> u32`: the account's next nonce (`AccountNonceApi` v1).
    pub const ACCOUNT_NONCE_API_ACCOUNT_NONCE: &str = "AccountNonceApi_account_nonce";

    /// `() -> ()`, with an empty output.
    pub const TEST_EMPTY: &str = "TestApi_empty";
    /// `() -> (u64, u64)`: `(1, 42)` on a fresh instance.
    pub const TEST_COUNTER: &str = "TestApi_counter";
    /// `(pages: u32) -> (nonzero_bytes_seen: u64, os_pages_written: u64)`.
    pub const TEST_DIRTY_PAGES: &str = "TestApi_dirty_pages";
    /// `(size: u32) -> u32`: a pointer from `ext_allocator_malloc_version_1`, leaked.
    pub const TEST_ALLOCATE: &str = "TestApi_allocate";
    /// `(depth: u32) -> u32`: genuine recursion on the engine's native stack.
    pub const TEST_RECURSE: &str = "TestApi_recurse";
    /// `(message: String) -> !`: panics with `message`.
    pub const TEST_PANIC: &str = "TestApi_panic";
    /// `() -> !`: never returns.
    pub const TEST_INFINITE_LOOP: &str = "TestApi_infinite_loop";
    /// `(key: Vec<u8>, value: Vec<u8>) -> StorageRoundtrip` (see `src/test_api.rs`).
    pub const TEST_STORAGE_ROUNDTRIP: &str = "TestApi_storage_roundtrip";
    /// `(data: Vec<u8>) -> ([u8; 16], [u8; 32], [u8; 8], [u8; 16], [u8; 32], [u8; 32],
    /// [u8; 32])`: blake2_128, blake2_256, twox_64, twox_128, twox_256, keccak_256, sha2_256.
    pub const TEST_HASHES: &str = "TestApi_hashes";
    /// `(message: String) -> ()`: logs (info, target `runtime`) and prints `message`.
    pub const TEST_LOG: &str = "TestApi_log";
    /// `() -> u32`: the build's `spec_version`.
    pub const TEST_SPEC_VERSION: &str = "TestApi_spec_version";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::{
        core_version, runtime_apis_section, runtime_version_section, SPEC_VERSION_V1,
        SPEC_VERSION_V2,
    };

    /// Reads a LEB128 u32 at `*pos`.
    fn leb128(bytes: &[u8], pos: &mut usize) -> usize {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = bytes[*pos];
            *pos += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }

    /// The payloads of the custom sections called `name`, in order.
    fn custom_sections<'a>(wasm: &'a [u8], name: &str) -> Vec<&'a [u8]> {
        assert_eq!(&wasm[..8], b"\0asm\x01\0\0\0", "not a wasm module");
        let mut found = Vec::new();
        let mut pos = 8;
        while pos < wasm.len() {
            let id = wasm[pos];
            pos += 1;
            let size = leb128(wasm, &mut pos);
            let end = pos + size;
            if id == 0 {
                let mut name_pos = pos;
                let name_len = leb128(wasm, &mut name_pos);
                if &wasm[name_pos..name_pos + name_len] == name.as_bytes() {
                    found.push(&wasm[name_pos + name_len..end]);
                }
            }
            pos = end;
        }
        found
    }

    /// Fails when the blobs are stale with respect to `version.rs` (rebuild with build.sh).
    #[test]
    fn blobs_carry_the_version_sections_of_the_sources() {
        for (wasm, spec_version) in [
            (WASM_BINARY_V1, SPEC_VERSION_V1),
            (WASM_BINARY_V2, SPEC_VERSION_V2),
        ] {
            assert_eq!(
                custom_sections(wasm, "runtime_version"),
                vec![&runtime_version_section(spec_version)[..]],
                "spec_version {spec_version}"
            );
            assert_eq!(
                custom_sections(wasm, "runtime_apis").concat(),
                runtime_apis_section().to_vec(),
                "spec_version {spec_version}"
            );
        }
    }

    #[test]
    fn spec_versions_share_the_spec_name_but_differ() {
        assert_ne!(SPEC_VERSION_V1, SPEC_VERSION_V2);
        let (v1, v2) = (core_version(SPEC_VERSION_V1), core_version(SPEC_VERSION_V2));
        assert_eq!(v1[..18], v2[..18], "spec_name and impl_name");
        assert_ne!(v1, v2);
    }

    #[test]
    fn toolchain_is_recorded() {
        assert!(
            TOOLCHAIN.starts_with("rustc "),
            "blobs/TOOLCHAIN: {TOOLCHAIN:?}"
        );
    }
}

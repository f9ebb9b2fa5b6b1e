//! The project's Substrate-style runtime.
//!
//! Compiled to `wasm32-unknown-unknown` (see `build.sh`) it *is* the runtime: a `no_std`
//! module that imports its memory and Substrate's host functions from `env` and exports the
//! runtime API entry points (`Core_*`, `Metadata_*`, `BlockBuilder_*`,
//! `TaggedTransactionQueue_*`, `AccountNonceApi_*`, `TestApi_*`).
//!
//! Its pallets: `System` (index 0: block lifecycle, accounts, block hashes, `remark`,
//! `set_heap_pages`, `set_code`), `TestStorage` (1: raw storage writes) and `Balances` (2:
//! signed transfers). Extrinsics are Substrate's v4 `UncheckedExtrinsic`s, signed with
//! sr25519 (or ed25519) by `MultiAddress::Id` accounts (see [`extrinsic`]).
//!
//! Compiled for the host it exposes the committed, reproducibly built blobs
//! ([`WASM_BINARY_V1`], [`WASM_BINARY_V2`]) and the version constants they were built from,
//! so the executor and node never need a wasm toolchain; and, sharing the runtime's own
//! encodings, the dev chain's genesis storage ([`genesis`]) and extrinsic builders ([`tx`]).
//!
//! # ABI
//! Every export is `fn(ptr: i32, len: i32) -> i64`: the SCALE-encoded arguments are at
//! `[ptr, ptr + len)` and the result is packed as `ptr | len << 32`, in a buffer allocated with
//! the host allocator and left to the host (an empty result owns no buffer: its pointer is
//! not meaningful).
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
extern crate alloc;

mod blake2;
pub mod calls;
pub mod extrinsic;
mod hashing;
pub mod primitives;
pub mod storage;
pub mod version;

pub use version::SPEC_NAME;

#[cfg(target_arch = "wasm32")]
mod allocator;
#[cfg(target_arch = "wasm32")]
mod balances;
#[cfg(target_arch = "wasm32")]
mod block;
#[cfg(target_arch = "wasm32")]
mod executive;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod metadata;
#[cfg(target_arch = "wasm32")]
mod system;
#[cfg(target_arch = "wasm32")]
mod test_api;
#[cfg(target_arch = "wasm32")]
mod test_storage;

#[cfg(not(target_arch = "wasm32"))]
mod blobs;
#[cfg(not(target_arch = "wasm32"))]
pub use blobs::*;
#[cfg(not(target_arch = "wasm32"))]
pub mod genesis;
#[cfg(not(target_arch = "wasm32"))]
pub mod tx;

#[cfg(target_arch = "wasm32")]
mod exports {
    use crate::block::{Block, Hash, Header, OpaqueExtrinsic};
    use crate::primitives::{AccountId32, TransactionSource};
    use crate::{executive, host, metadata, system, test_api, version};
    use alloc::collections::BTreeMap;
    use alloc::string::String;
    use alloc::vec::Vec;
    use codec::{Decode, Encode};

    /// Inherent data as sp-inherents encodes it: identifier to encoded value.
    type InherentData = BTreeMap<[u8; 8], Vec<u8>>;

    /// Decodes an entry point's arguments, which must use up the whole input.
    fn decode_args<T: Decode>(entry: &str, mut input: &[u8]) -> T {
        let value = match T::decode(&mut input) {
            Ok(value) => value,
            Err(e) => panic!("bad input data provided to {entry}: {e}"),
        };
        if !input.is_empty() {
            panic!(
                "bad input data provided to {entry}: {} trailing bytes",
                input.len()
            );
        }
        value
    }

    /// Hands `output` to the host: packs its address and length and leaks it. An empty output
    /// owns no allocation, so its (dangling) address must not be freed by the host.
    fn return_output(output: Vec<u8>) -> u64 {
        let output = core::mem::ManuallyDrop::new(output);
        host::pack(output.as_ptr() as u32, output.len() as u32)
    }

    /// Defines the exported entry points: `Name(arg: Type, ...) => body` decodes the arguments
    /// as a SCALE tuple and returns the SCALE encoding of `body`.
    macro_rules! entry_points {
        ($($name:ident($($arg:ident: $ty:ty),*) => $body:expr;)*) => {$(
            #[no_mangle]
            #[allow(non_snake_case)]
            extern "C" fn $name(ptr: u32, len: u32) -> u64 {
                let input: &[u8] = if len == 0 {
                    &[]
                } else {
                    // SAFETY: the host wrote `len` bytes of input at `ptr` for this call.
                    unsafe { core::slice::from_raw_parts(ptr as usize as *const u8, len as usize) }
                };
                #[allow(unused_parens)]
                let ($($arg),*): ($($ty),*) = decode_args(stringify!($name), input);
                return_output(Encode::encode(&$body))
            }
        )*};
    }

    entry_points! {
        Core_version() => version::core_version(version::SPEC_VERSION);
        Core_execute_block(block: Block) => system::execute_block(block);
        Core_initialize_block(header: Header) => system::initialize_block(&header);

        Metadata_metadata() => metadata::opaque_metadata();

        BlockBuilder_apply_extrinsic(extrinsic: OpaqueExtrinsic) =>
            system::apply_extrinsic(&extrinsic);
        BlockBuilder_finalize_block() => system::finalize_block();
        // No pallet provides inherents, so there are none to create or check.
        BlockBuilder_inherent_extrinsics(data: InherentData) => {
            let _ = data;
            Vec::<OpaqueExtrinsic>::new()
        };
        BlockBuilder_check_inherents(block: Block, data: InherentData) => {
            let _ = (block, data);
            CheckInherentsResult { okay: true, fatal_error: false, errors: InherentData::new() }
        };

        TaggedTransactionQueue_validate_transaction(
            source: TransactionSource,
            tx: OpaqueExtrinsic,
            block_hash: Hash
        ) => executive::validate_transaction(source, &tx, block_hash);

        AccountNonceApi_account_nonce(account: AccountId32) => system::account_nonce(&account);

        TestApi_empty() => ();
        TestApi_counter() => test_api::counter();
        TestApi_dirty_pages(pages: u32) => test_api::dirty_pages(pages);
        TestApi_allocate(size: u32) => test_api::allocate(size);
        TestApi_recurse(depth: u32) => test_api::recurse(depth);
        TestApi_panic(message: String) => test_api::panic_with(message);
        TestApi_infinite_loop() => test_api::infinite_loop();
        TestApi_storage_roundtrip(key: Vec<u8>, value: Vec<u8>) =>
            test_api::storage_roundtrip(key, value);
        TestApi_hashes(data: Vec<u8>) => test_api::hashes(data);
        TestApi_log(message: String) => test_api::log(message);
        TestApi_spec_version() => version::SPEC_VERSION;
    }

    /// sp-inherents' `CheckInherentsResult`.
    #[derive(Encode)]
    struct CheckInherentsResult {
        okay: bool,
        fatal_error: bool,
        errors: InherentData,
    }

    /// Reports the panic to the host, which aborts the call with the message.
    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        let message = alloc::format!("{info}");
        host::abort_on_panic(&message)
    }
}

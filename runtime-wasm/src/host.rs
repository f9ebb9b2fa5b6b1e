//! The host functions the runtime imports (Substrate's names and signatures, module `env`) and
//! safe wrappers around them.
//!
//! Conventions of that ABI: a byte slice is passed as one i64 "span", `ptr | len << 32`; results
//! the host returns by pointer or span were allocated in our memory with the host allocator and
//! belong to us, so the wrappers copy them out and free them.

use alloc::vec::Vec;
use codec::Decode;

#[link(wasm_import_module = "env")]
extern "C" {
    fn ext_allocator_malloc_version_1(size: u32) -> u32;
    fn ext_allocator_free_version_1(ptr: u32);

    fn ext_storage_get_version_1(key: u64) -> u64;
    fn ext_storage_read_version_1(key: u64, value_out: u64, offset: u32) -> u64;
    fn ext_storage_set_version_1(key: u64, value: u64);
    fn ext_storage_clear_version_1(key: u64);
    fn ext_storage_exists_version_1(key: u64) -> u32;
    fn ext_storage_clear_prefix_version_2(prefix: u64, limit: u64) -> u64;
    fn ext_storage_append_version_1(key: u64, value: u64);
    fn ext_storage_next_key_version_1(key: u64) -> u64;
    fn ext_storage_root_version_2(state_version: u32) -> u64;
    fn ext_storage_start_transaction_version_1();
    fn ext_storage_rollback_transaction_version_1();
    fn ext_storage_commit_transaction_version_1();

    fn ext_hashing_blake2_128_version_1(data: u64) -> u32;
    fn ext_hashing_blake2_256_version_1(data: u64) -> u32;
    fn ext_hashing_twox_64_version_1(data: u64) -> u32;
    fn ext_hashing_twox_128_version_1(data: u64) -> u32;
    fn ext_hashing_twox_256_version_1(data: u64) -> u32;
    fn ext_hashing_keccak_256_version_1(data: u64) -> u32;
    fn ext_hashing_sha2_256_version_1(data: u64) -> u32;

    fn ext_crypto_ed25519_verify_version_1(signature: u32, message: u64, public: u32) -> u32;
    fn ext_crypto_sr25519_verify_version_2(signature: u32, message: u64, public: u32) -> u32;

    fn ext_misc_runtime_version_version_1(code: u64) -> u64;

    fn ext_trie_blake2_256_ordered_root_version_2(input: u64, state_version: u32) -> u32;

    fn ext_logging_log_version_1(level: u32, target: u64, message: u64);
    fn ext_logging_max_level_version_1() -> u32;
    fn ext_misc_print_utf8_version_1(data: u64);

    fn ext_panic_handler_abort_on_panic_version_1(message: u64);
}

/// The trie layout version the runtime uses for roots (`system_version` 1).
pub const STATE_VERSION: u32 = crate::version::SYSTEM_VERSION as u32;

/// Packs a pointer and a length into the ABI's i64 span.
pub fn pack(ptr: u32, len: u32) -> u64 {
    u64::from(ptr) | (u64::from(len) << 32)
}

/// Splits a span into pointer and length.
pub fn unpack(span: u64) -> (u32, u32) {
    (span as u32, (span >> 32) as u32)
}

fn span_of(bytes: &[u8]) -> u64 {
    pack(bytes.as_ptr() as u32, bytes.len() as u32)
}

/// Copies a host-returned buffer out of memory and gives it back to the host allocator.
///
/// A zero-length buffer is not freed: Substrate hosts may return one without allocating.
fn take_buffer(ptr: u32, len: u32) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    // SAFETY: the host just wrote `len` bytes at `ptr` in our memory and handed them over.
    let bytes = unsafe { core::slice::from_raw_parts(ptr as *const u8, len as usize) }.to_vec();
    free(ptr);
    bytes
}

/// Decodes a host-returned SCALE value; a malformed one means a broken host, hence the panic.
fn take_decoded<T: Decode>(span: u64, what: &str) -> T {
    let (ptr, len) = unpack(span);
    let bytes = take_buffer(ptr, len);
    match T::decode(&mut &bytes[..]) {
        Ok(value) => value,
        Err(e) => panic!("host returned a malformed {what}: {e}"),
    }
}

/// Copies an `N`-byte hash the host returned by pointer, and frees it.
fn take_array<const N: usize>(ptr: u32) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&take_buffer(ptr, N as u32));
    out
}

/// Allocates `size` bytes from the host allocator (8-byte aligned); 0 if it is exhausted.
pub fn malloc(size: u32) -> u32 {
    // SAFETY: a plain host call.
    unsafe { ext_allocator_malloc_version_1(size) }
}

/// Returns an allocation obtained from [`malloc`] to the host allocator.
pub fn free(ptr: u32) {
    // SAFETY: a plain host call; the host validates the pointer.
    unsafe { ext_allocator_free_version_1(ptr) }
}

/// Reads a storage value.
pub fn storage_get(key: &[u8]) -> Option<Vec<u8>> {
    // SAFETY: the span points at a live slice.
    let span = unsafe { ext_storage_get_version_1(span_of(key)) };
    take_decoded(span, "ext_storage_get result")
}

/// Reads `value_out.len()` bytes of a storage value starting at `offset` into `value_out`.
/// Returns the number of bytes of the value left from `offset` (possibly more than were
/// written), or `None` if the key has no value.
pub fn storage_read(key: &[u8], value_out: &mut [u8], offset: u32) -> Option<u32> {
    let out = pack(value_out.as_mut_ptr() as u32, value_out.len() as u32);
    // SAFETY: both spans point at live slices; the host writes at most `value_out.len()` bytes.
    let span = unsafe { ext_storage_read_version_1(span_of(key), out, offset) };
    take_decoded(span, "ext_storage_read result")
}

/// Writes a storage value.
pub fn storage_set(key: &[u8], value: &[u8]) {
    // SAFETY: the spans point at live slices.
    unsafe { ext_storage_set_version_1(span_of(key), span_of(value)) }
}

/// Removes a storage value.
pub fn storage_clear(key: &[u8]) {
    // SAFETY: the span points at a live slice.
    unsafe { ext_storage_clear_version_1(span_of(key)) }
}

/// Whether a storage value exists.
pub fn storage_exists(key: &[u8]) -> bool {
    // SAFETY: the span points at a live slice.
    unsafe { ext_storage_exists_version_1(span_of(key)) != 0 }
}

/// Result of [`storage_clear_prefix`], Substrate's `KillStorageResult`.
#[derive(codec::Encode, codec::Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum KillStorageResult {
    /// No key is left under the prefix; the number of keys removed.
    AllRemoved(u32),
    /// The limit was hit and keys remain; the number of keys removed.
    SomeRemaining(u32),
}

/// Removes the values under `prefix`, at most `limit` of them if given.
pub fn storage_clear_prefix(prefix: &[u8], limit: Option<u32>) -> KillStorageResult {
    let limit = codec::Encode::encode(&limit);
    // SAFETY: the spans point at live slices.
    let span = unsafe { ext_storage_clear_prefix_version_2(span_of(prefix), span_of(&limit)) };
    take_decoded(span, "ext_storage_clear_prefix result")
}

/// Appends the SCALE-encoded `item` to the SCALE `Vec` stored at `key` (creating it if absent)
/// without reading it into the runtime.
pub fn storage_append(key: &[u8], item: &[u8]) {
    // SAFETY: the spans point at live slices.
    unsafe { ext_storage_append_version_1(span_of(key), span_of(item)) }
}

/// The next key in lexicographic order after `key`.
pub fn storage_next_key(key: &[u8]) -> Option<Vec<u8>> {
    // SAFETY: the span points at a live slice.
    let span = unsafe { ext_storage_next_key_version_1(span_of(key)) };
    take_decoded(span, "ext_storage_next_key result")
}

/// The state root with all changes so far applied, for trie version [`STATE_VERSION`].
pub fn storage_root() -> [u8; 32] {
    // SAFETY: a plain host call.
    let span = unsafe { ext_storage_root_version_2(STATE_VERSION) };
    let (ptr, len) = unpack(span);
    let bytes = take_buffer(ptr, len);
    match <[u8; 32]>::try_from(&bytes[..]) {
        Ok(root) => root,
        Err(_) => panic!("host returned a {len}-byte storage root, expected 32"),
    }
}

/// Opens a (nestable) storage transaction.
pub fn start_transaction() {
    // SAFETY: a plain host call.
    unsafe { ext_storage_start_transaction_version_1() }
}

/// Discards every change since the matching [`start_transaction`].
pub fn rollback_transaction() {
    // SAFETY: a plain host call.
    unsafe { ext_storage_rollback_transaction_version_1() }
}

/// Keeps the changes since the matching [`start_transaction`] (into the enclosing one).
pub fn commit_transaction() {
    // SAFETY: a plain host call.
    unsafe { ext_storage_commit_transaction_version_1() }
}

macro_rules! hash_fn {
    ($(#[$doc:meta] $name:ident => $import:ident, $len:literal;)*) => {$(
        #[$doc]
        pub fn $name(data: &[u8]) -> [u8; $len] {
            // SAFETY: the span points at a live slice; the host returns a fresh allocation.
            take_array(unsafe { $import(span_of(data)) })
        }
    )*};
}

hash_fn! {
    /// BLAKE2b-128.
    blake2_128 => ext_hashing_blake2_128_version_1, 16;
    /// BLAKE2b-256.
    blake2_256 => ext_hashing_blake2_256_version_1, 32;
    /// XXH64 with seed 0.
    twox_64 => ext_hashing_twox_64_version_1, 8;
    /// Two XXH64 (seeds 0, 1) concatenated.
    twox_128 => ext_hashing_twox_128_version_1, 16;
    /// Four XXH64 (seeds 0..4) concatenated.
    twox_256 => ext_hashing_twox_256_version_1, 32;
    /// Keccak-256.
    keccak_256 => ext_hashing_keccak_256_version_1, 32;
    /// SHA2-256.
    sha2_256 => ext_hashing_sha2_256_version_1, 32;
}

/// Whether `signature` is `public`'s sr25519 signature of `message` (signing context
/// `substrate`, as Substrate's `sr25519::Pair::sign`).
pub fn sr25519_verify(signature: &[u8; 64], message: &[u8], public: &[u8; 32]) -> bool {
    // SAFETY: the pointers and the span point at live arrays/slices of the expected lengths.
    unsafe {
        ext_crypto_sr25519_verify_version_2(
            signature.as_ptr() as u32,
            span_of(message),
            public.as_ptr() as u32,
        ) == 1
    }
}

/// Whether `signature` is `public`'s ed25519 signature of `message`.
pub fn ed25519_verify(signature: &[u8; 64], message: &[u8], public: &[u8; 32]) -> bool {
    // SAFETY: the pointers and the span point at live arrays/slices of the expected lengths.
    unsafe {
        ext_crypto_ed25519_verify_version_1(
            signature.as_ptr() as u32,
            span_of(message),
            public.as_ptr() as u32,
        ) == 1
    }
}

/// The SCALE-encoded `RuntimeVersion` of the wasm blob `code`, or `None` if the host cannot
/// read it.
pub fn runtime_version(code: &[u8]) -> Option<Vec<u8>> {
    // SAFETY: the span points at a live slice.
    let span = unsafe { ext_misc_runtime_version_version_1(span_of(code)) };
    take_decoded(span, "ext_misc_runtime_version result")
}

/// The root of the BLAKE2-256 trie whose keys are the compact-encoded indices of `values`.
pub fn ordered_trie_root(values: &[Vec<u8>]) -> [u8; 32] {
    let input = codec::Encode::encode(values);
    // SAFETY: the span points at a live slice; the host returns a fresh allocation.
    take_array(unsafe {
        ext_trie_blake2_256_ordered_root_version_2(span_of(&input), STATE_VERSION)
    })
}

/// A log level as the host's logging functions number it (all levels are listed even if the
/// runtime only uses some, so the numbering stays in one place).
#[allow(dead_code)]
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
#[repr(u32)]
pub enum LogLevel {
    /// Errors.
    Error = 1,
    /// Warnings.
    Warn = 2,
    /// Informational messages.
    Info = 3,
    /// Debugging messages.
    Debug = 4,
    /// Very verbose messages.
    Trace = 5,
}

/// Whether the host would keep a message at `level` (its max level filter: 0 = off).
pub fn log_enabled(level: LogLevel) -> bool {
    // SAFETY: a plain host call.
    let max = unsafe { ext_logging_max_level_version_1() };
    level as u32 <= max
}

/// Logs `message` under `target`, if the host's filter lets `level` through.
pub fn log(level: LogLevel, target: &str, message: &str) {
    if log_enabled(level) {
        // SAFETY: the spans point at live slices.
        unsafe {
            ext_logging_log_version_1(
                level as u32,
                span_of(target.as_bytes()),
                span_of(message.as_bytes()),
            )
        }
    }
}

/// Prints a UTF-8 string through the host.
pub fn print_utf8(message: &str) {
    // SAFETY: the span points at a live slice.
    unsafe { ext_misc_print_utf8_version_1(span_of(message.as_bytes())) }
}

/// Aborts the current call with `message`; the host does not return from this.
pub fn abort_on_panic(message: &str) -> ! {
    // SAFETY: the span points at a live slice.
    unsafe { ext_panic_handler_abort_on_panic_version_1(span_of(message.as_bytes())) };
    // A host that returns anyway still must not let execution continue.
    core::arch::wasm32::unreachable()
}

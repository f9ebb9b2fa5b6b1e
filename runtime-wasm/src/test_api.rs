//! `TestApi_*`: entry points that let the executor's tests observe instance isolation, memory,
//! stack and host-function behaviour directly. Each function documents its SCALE output.

use crate::host::{self, KillStorageResult, LogLevel};
use alloc::string::String;
use alloc::vec::Vec;
use codec::Encode;
use core::ptr::{addr_of, addr_of_mut};

/// Zero-initialised, so it lives in `.bss` (no data segment; relies on memory being zeroed).
static mut BSS_COUNTER: u64 = 0;
/// Non-zero initialised, so it lives in a data segment the instance must (re)apply.
static mut DATA_COUNTER: u64 = 41;

/// `TestApi_counter() -> (u64, u64)`: increments both counters and returns them; a fresh
/// instance gives `(1, 42)`, a reused one that was not reset counts on.
pub fn counter() -> (u64, u64) {
    // SAFETY: the runtime is single-threaded; volatile so every call really reads memory.
    unsafe {
        let bss = addr_of!(BSS_COUNTER).read_volatile() + 1;
        addr_of_mut!(BSS_COUNTER).write_volatile(bss);
        let data = addr_of!(DATA_COUNTER).read_volatile() + 1;
        addr_of_mut!(DATA_COUNTER).write_volatile(data);
        (bss, data)
    }
}

/// Size of an OS page, the granularity at which an executor can reset memory.
const OS_PAGE: usize = 4096;

/// `TestApi_dirty_pages(pages: u32) -> (u64, u64)`: takes `pages` wasm pages (64 KiB each)
/// from the host allocator, counts the non-zero bytes it finds there (0 on a clean instance),
/// then dirties every OS page of the buffer and frees it. Returns
/// `(nonzero_bytes_seen, os_pages_written)`.
///
/// Freeing matters: a reused, unreset instance may hand the same dirty block out again.
pub fn dirty_pages(pages: u32) -> (u64, u64) {
    let len = match pages.checked_mul(65536) {
        Some(len) => len,
        None => panic!("TestApi_dirty_pages: {pages} pages do not fit in 32-bit memory"),
    };
    if len == 0 {
        return (0, 0);
    }
    let ptr = host::malloc(len);
    if ptr == 0 {
        panic!("TestApi_dirty_pages: the host allocator could not provide {len} bytes");
    }
    let base = ptr as usize as *mut u8;
    let mut nonzero = 0u64;
    let mut written = 0u64;
    // SAFETY: `[base, base + len)` is the allocation just obtained, owned by this function.
    unsafe {
        for offset in 0..len as usize {
            if base.add(offset).read_volatile() != 0 {
                nonzero += 1;
            }
        }
        for offset in (0..len as usize).step_by(OS_PAGE) {
            base.add(offset).write_volatile(0xA5);
            written += 1;
        }
    }
    host::free(ptr);
    (nonzero, written)
}

/// `TestApi_allocate(size: u32) -> u32`: allocates `size` bytes straight from the host
/// allocator (bypassing Rust's), touches the first and last byte and returns the pointer. The
/// block is deliberately leaked so tests can exhaust or grow the heap.
pub fn allocate(size: u32) -> u32 {
    let ptr = host::malloc(size);
    if ptr == 0 {
        panic!("TestApi_allocate: the host allocator could not provide {size} bytes");
    }
    if size > 0 {
        let base = ptr as usize as *mut u8;
        // SAFETY: both bytes are inside the `size`-byte allocation.
        unsafe {
            base.write_volatile(1);
            base.add(size as usize - 1).write_volatile(1);
        }
    }
    ptr
}

/// `TestApi_recurse(depth: u32) -> u32`: recurses `depth` times and returns a value mixing
/// every level.
///
/// Each level keeps its state in wasm locals (no address-taken locals, so nothing goes to the
/// shadow stack in linear memory): deep recursion therefore exhausts the engine's native
/// stack. The non-associative mixing after the call keeps LLVM from turning the recursion into
/// a loop, and `inline(never)` keeps it a real call.
#[inline(never)]
pub fn recurse(depth: u32) -> u32 {
    if depth == 0 {
        return 0x9e37_79b9;
    }
    let below = recurse(depth - 1);
    (below.rotate_left(5) ^ depth).wrapping_mul(0x0100_0193)
}

/// `TestApi_panic(message: String)`: panics with `message`. (Typed `()` rather than `!` so the
/// entry point has an output type to encode.)
pub fn panic_with(message: String) {
    panic!("{message}")
}

/// `TestApi_infinite_loop()`: never returns, to test the executor's deadlines/interruption.
pub fn infinite_loop() {
    let mut spins = 0u64;
    loop {
        // SAFETY: a local; volatile so the optimiser cannot prove the loop side-effect free.
        unsafe { addr_of_mut!(spins).write_volatile(addr_of!(spins).read_volatile() + 1) };
    }
}

/// Everything `TestApi_storage_roundtrip` observed, in encoding order.
#[derive(Encode)]
pub struct StorageRoundtrip {
    /// `get(key)` after `set(key, value)`.
    pub get_after_set: Option<Vec<u8>>,
    /// `read(key, 4-byte buffer, offset 1)`: the bytes left from offset 1 (`value.len() - 1`
    /// when the value is non-empty), or `None` without a value.
    pub read_remaining: Option<u32>,
    /// The bytes that `read` wrote into the buffer (`min(4, remaining)` of them).
    pub read_bytes: Vec<u8>,
    /// `exists(key)` after the set.
    pub exists_after_set: bool,
    /// `next_key(key)`: `key ++ b":child:" ++ [0]`, unless another key sorts in between.
    pub next_key: Option<Vec<u8>>,
    /// `get(key ++ b":list")` after appending the encoded `1u32` and `2u32` items: the SCALE
    /// `Vec<u32>` `[1, 2]` (`08 01000000 02000000`).
    pub appended: Option<Vec<u8>>,
    /// `clear_prefix(key ++ b":child:", Some(1))` over the three children.
    pub clear_prefix_limited: KillStorageResult,
    /// How many of the three children still exist after that.
    pub children_left: u32,
    /// `clear_prefix(key ++ b":child:", None)`.
    pub clear_prefix_rest: KillStorageResult,
    /// `get(key)` inside a transaction nested in another, after setting `b"inner"`.
    pub inside_nested: Option<Vec<u8>>,
    /// `get(key)` after rolling the inner transaction back (the outer one set `b"outer"`).
    pub after_inner_rollback: Option<Vec<u8>>,
    /// `get(key)` after committing an inner transaction that set `b"committed"` and then the
    /// outer one.
    pub after_commit: Option<Vec<u8>>,
    /// `get(key)` after a transaction that cleared it was rolled back.
    pub after_rolled_back_clear: Option<Vec<u8>>,
    /// `get(key)` after `clear(key)`.
    pub get_after_clear: Option<Vec<u8>>,
    /// `exists(key)` after `clear(key)`.
    pub exists_after_clear: bool,
    /// `root(state_version 1)` at the end; `key ++ b":list"` is still set then.
    pub root: [u8; 32],
}

fn with_suffix(key: &[u8], suffix: &[u8]) -> Vec<u8> {
    [key, suffix].concat()
}

/// `TestApi_storage_roundtrip(key: Vec<u8>, value: Vec<u8>) -> StorageRoundtrip`: exercises
/// every storage host function on `key` and keys derived from it, and reports what it saw.
pub fn storage_roundtrip(key: Vec<u8>, value: Vec<u8>) -> StorageRoundtrip {
    host::storage_set(&key, &value);
    let get_after_set = host::storage_get(&key);
    let mut buffer = [0u8; 4];
    let read_remaining = host::storage_read(&key, &mut buffer, 1);
    let read_len = read_remaining.map_or(0, |left| left.min(buffer.len() as u32)) as usize;
    let read_bytes = buffer[..read_len].to_vec();
    let exists_after_set = host::storage_exists(&key);

    let child_prefix = with_suffix(&key, b":child:");
    for i in 0..3u8 {
        host::storage_set(&with_suffix(&child_prefix, &[i]), &value);
    }
    let next_key = host::storage_next_key(&key);

    let list = with_suffix(&key, b":list");
    host::storage_clear(&list);
    host::storage_append(&list, &1u32.encode());
    host::storage_append(&list, &2u32.encode());
    let appended = host::storage_get(&list);

    let clear_prefix_limited = host::storage_clear_prefix(&child_prefix, Some(1));
    let children_left = (0..3u8)
        .filter(|i| host::storage_exists(&with_suffix(&child_prefix, &[*i])))
        .count() as u32;
    let clear_prefix_rest = host::storage_clear_prefix(&child_prefix, None);

    host::start_transaction();
    host::storage_set(&key, b"outer");
    host::start_transaction();
    host::storage_set(&key, b"inner");
    let inside_nested = host::storage_get(&key);
    host::rollback_transaction();
    let after_inner_rollback = host::storage_get(&key);
    host::start_transaction();
    host::storage_set(&key, b"committed");
    host::commit_transaction();
    host::commit_transaction();
    let after_commit = host::storage_get(&key);

    host::start_transaction();
    host::storage_clear(&key);
    host::rollback_transaction();
    let after_rolled_back_clear = host::storage_get(&key);

    host::storage_clear(&key);
    let get_after_clear = host::storage_get(&key);
    let exists_after_clear = host::storage_exists(&key);

    StorageRoundtrip {
        get_after_set,
        read_remaining,
        read_bytes,
        exists_after_set,
        next_key,
        appended,
        clear_prefix_limited,
        children_left,
        clear_prefix_rest,
        inside_nested,
        after_inner_rollback,
        after_commit,
        after_rolled_back_clear,
        get_after_clear,
        exists_after_clear,
        root: host::storage_root(),
    }
}

/// `TestApi_hashes(data: Vec<u8>)`: every hash host function applied to `data`, encoded as
/// the tuple `(blake2_128, blake2_256, twox_64, twox_128, twox_256, keccak_256, sha2_256)`
/// of fixed-size arrays (no length prefixes).
#[allow(clippy::type_complexity)]
pub fn hashes(
    data: Vec<u8>,
) -> (
    [u8; 16],
    [u8; 32],
    [u8; 8],
    [u8; 16],
    [u8; 32],
    [u8; 32],
    [u8; 32],
) {
    (
        host::blake2_128(&data),
        host::blake2_256(&data),
        host::twox_64(&data),
        host::twox_128(&data),
        host::twox_256(&data),
        host::keccak_256(&data),
        host::sha2_256(&data),
    )
}

/// `TestApi_log(message: String)`: logs `message` at info level under target `runtime`
/// (if the host's max level allows it) and prints it. Returns nothing.
pub fn log(message: String) {
    host::log(LogLevel::Info, "runtime", &message);
    host::print_utf8(&message);
}

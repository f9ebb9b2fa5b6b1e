//! The global allocator: every Rust allocation comes from the host's allocator, which owns the
//! heap above `__heap_base` (as in Substrate, the runtime has no allocator of its own).
//!
//! The host guarantees 8-byte alignment. Larger alignments are served by over-allocating and
//! storing the host's pointer in the 4 bytes just below the aligned block, so `dealloc` can
//! give the right pointer back.

use crate::host;
use core::alloc::{GlobalAlloc, Layout};

/// Alignment every host allocation has.
const HOST_ALIGN: usize = 8;

/// Forwards to `ext_allocator_{malloc,free}_version_1`.
pub struct HostAllocator;

#[global_allocator]
static ALLOCATOR: HostAllocator = HostAllocator;

// SAFETY: blocks come from the host allocator, which never hands out overlapping live blocks;
// over-aligned blocks stay inside their (larger) host block.
unsafe impl GlobalAlloc for HostAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= HOST_ALIGN {
            return malloc(layout.size());
        }
        // `align` > 8 and both are powers of two, so rounding `raw + 1` up to `align` leaves a
        // gap of at least 8 bytes below the block (room for the header) and at most `align`.
        let Some(total) = layout.size().checked_add(layout.align()) else {
            return core::ptr::null_mut();
        };
        let raw = malloc(total);
        if raw.is_null() {
            return raw;
        }
        let raw_addr = raw as usize;
        let aligned = (raw_addr + 1).next_multiple_of(layout.align());
        let block = raw.wrapping_add(aligned - raw_addr);
        // SAFETY: `block - 4` lies inside the host block (the gap is at least 8 bytes).
        unsafe { (block.sub(4) as *mut u32).write_unaligned(raw_addr as u32) };
        block
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let host_ptr = if layout.align() <= HOST_ALIGN {
            ptr as u32
        } else {
            // SAFETY: `alloc` stored the host pointer right below over-aligned blocks.
            unsafe { (ptr.sub(4) as *const u32).read_unaligned() }
        };
        host::free(host_ptr);
    }
}

/// Host allocation of `size` bytes as a pointer; null if the size does not fit or the host
/// allocator is exhausted (Rust then reports the allocation failure).
fn malloc(size: usize) -> *mut u8 {
    match u32::try_from(size) {
        Ok(size) => host::malloc(size) as usize as *mut u8,
        Err(_) => core::ptr::null_mut(),
    }
}

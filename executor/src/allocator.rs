//! Substrate's freeing-bump heap allocator, serving the runtime's `ext_allocator_malloc_version_1`
//! and `ext_allocator_free_version_1` host functions.
//!
//! The pointers it hands out, and the calls on which it fails, are visible to the runtime and
//! therefore consensus-critical: this module reproduces the behaviour of Parity's `sc-allocator`
//! (on-chain configuration) exactly, including its quirks.
//!
//! # Layout
//!
//! Every allocation is a block of `8 << order` bytes (`order` in `0..23`, so 8 B to 32 MiB),
//! preceded by an 8-byte header. Requests are rounded up to the next power of two, and to at least
//! 8 bytes. Blocks are carved off the heap by a bump pointer that starts at the heap base rounded
//! up to 8 and only ever moves up; the linear memory is grown when the bump passes its end.
//!
//! A freed block goes onto a LIFO free list of its order, and is only ever reused for a request of
//! that same order: blocks are never split or coalesced, and address space is never returned to
//! the bump pointer. The lists are intrusive — each free header holds the address of the next free
//! header — so only the list heads live in the allocator.
//!
//! Any error poisons the allocator: every later call fails with [`AllocatorError::Poisoned`].

use std::cmp::{max, min};

/// Size of a wasm page in bytes.
pub const PAGE_SIZE: u32 = 64 * 1024;

/// The largest allocation the allocator serves, in bytes (32 MiB).
pub const MAX_ALLOCATION: u32 = 32 * 1024 * 1024;

/// Pages of a 4 GiB memory, the most a 32-bit wasm memory can have.
const MAX_WASM_PAGES: u32 = 65536;

/// Alignment of every header and payload; 8 is the natural alignment of wasm's largest
/// primitive, `i64`.
const ALIGNMENT: u32 = 8;

/// Size of the header preceding each payload.
const HEADER_SIZE: u32 = 8;

/// Size of the smallest block (order 0). Equal to `ALIGNMENT`, so that every block, and thus every
/// header after it, stays aligned.
const MIN_ALLOCATION: u32 = 8;

/// Number of orders: block sizes 2^3 ..= 2^25.
const N_ORDERS: usize = 23;

/// Bit of a raw header set when the block is in use; the low 32 bits then hold the order.
const OCCUPIED_BIT: u64 = 1 << 32;

/// Raw link value marking the end of a free list.
const NIL_MARKER: u32 = u32::MAX;

/// The linear memory as the allocator sees it (the executor implements this over wasmtime's
/// memory).
pub trait Memory {
    /// The memory's bytes; their length should be `pages() * PAGE_SIZE`.
    fn data(&self) -> &[u8];
    /// The memory's bytes, writable.
    fn data_mut(&mut self) -> &mut [u8];
    /// Current size in 64 KiB wasm pages (at most 65536).
    fn pages(&self) -> u32;
    /// The most pages the memory may grow to, if limited.
    fn max_pages(&self) -> Option<u32>;
    /// Grows by `additional` pages; Err(()) if the memory cannot grow.
    // The caller only needs to know that growth failed; it reports `OutOfSpace` either way.
    #[allow(clippy::result_unit_err)]
    fn grow(&mut self, additional: u32) -> Result<(), ()>;
}

/// Why an allocator call failed. Any of these poisons the allocator.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AllocatorError {
    /// `allocate` was asked for more than [`MAX_ALLOCATION`] bytes.
    #[error("requested allocation of {size} bytes exceeds the maximum of 32 MiB")]
    RequestedAllocationTooLarge {
        /// The requested size.
        size: u32,
    },
    /// The bump pointer reached the end of the memory and the memory cannot grow enough.
    #[error("allocator ran out of space: the linear memory cannot grow to fit the allocation")]
    OutOfSpace,
    /// The memory is smaller than the allocator saw it in an earlier call.
    #[error("linear memory shrank from {previous} to {current} bytes between allocator calls")]
    MemoryShrank {
        /// The size in bytes seen by the earlier call.
        previous: u64,
        /// The size in bytes now.
        current: u64,
    },
    /// An earlier call failed.
    #[error("allocator is poisoned by an earlier error")]
    Poisoned,
    /// `deallocate` was passed a pointer below 8, which has no room for a header.
    #[error("cannot deallocate {ptr:#x}: there is no room for a header before it")]
    InvalidPointer {
        /// The pointer passed to `deallocate`.
        ptr: u32,
    },
    /// A header to read or write does not fit in the memory.
    #[error("allocation header at {header_ptr:#x} lies outside the linear memory")]
    HeaderOutOfBounds {
        /// Address of the header.
        header_ptr: u32,
    },
    /// A header marked occupied holds an order of 23 or more.
    #[error("allocation header at {header_ptr:#x} holds invalid order {order}")]
    InvalidOrder {
        /// Address of the header.
        header_ptr: u32,
        /// The order it holds.
        order: u32,
    },
    /// `deallocate` was passed a pointer whose header is not marked occupied.
    #[error("cannot deallocate {ptr:#x}: it is not allocated (double free or a foreign pointer)")]
    NotAllocated {
        /// The pointer passed to `deallocate`.
        ptr: u32,
    },
    /// The head of a free list (read from wasm memory) points to a block that does not fit in
    /// the memory.
    #[error(
        "free list of order {order} links to header {header_ptr:#x}, \
         whose block lies outside the linear memory"
    )]
    FreeListOutOfBounds {
        /// The free list's order.
        order: u32,
        /// Address of the linked header.
        header_ptr: u32,
    },
    /// The head of a free list (read from wasm memory) points to a header marked occupied.
    #[error("free list of order {order} links to header {header_ptr:#x}, which is occupied")]
    FreeListLinksOccupied {
        /// The free list's order.
        order: u32,
        /// Address of the linked header.
        header_ptr: u32,
    },
    /// `deallocate` freed more bytes than are allocated, which only a forged header can cause.
    #[error("deallocating {ptr:#x} would take the allocated byte count below zero")]
    AllocatedBytesUnderflow {
        /// The pointer passed to `deallocate`.
        ptr: u32,
    },
}

/// Counters kept over the allocator's lifetime. All byte counts include headers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocationStats {
    /// Bytes in live allocations right now.
    pub bytes_allocated: u32,
    /// The highest `bytes_allocated` has been.
    pub bytes_allocated_peak: u32,
    /// Bytes of every allocation ever made.
    pub bytes_allocated_sum: u128,
    /// How far the bump pointer has moved from the heap base, as of the last allocation. The bump
    /// pointer never moves back, so this is also the peak.
    pub address_space_used: u32,
}

/// A block size class: blocks of order `n` are `MIN_ALLOCATION << n` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Order(u32);

impl Order {
    /// The smallest order whose block holds `size` bytes.
    fn from_size(size: u32) -> Result<Self, AllocatorError> {
        if size > MAX_ALLOCATION {
            return Err(AllocatorError::RequestedAllocationTooLarge { size });
        }
        let block_size = max(size, MIN_ALLOCATION).next_power_of_two();
        Ok(Order(
            block_size.trailing_zeros() - MIN_ALLOCATION.trailing_zeros(),
        ))
    }

    /// The order stored in an occupied header, if it is a valid one.
    fn from_raw(raw: u32) -> Option<Self> {
        ((raw as usize) < N_ORDERS).then_some(Order(raw))
    }

    fn block_size(self) -> u32 {
        MIN_ALLOCATION << self.0
    }

    fn index(self) -> usize {
        self.0 as usize
    }
}

/// A free-list link: the address of the next free header, or the end of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Nil,
    Ptr(u32),
}

impl Link {
    fn from_raw(raw: u32) -> Self {
        if raw == NIL_MARKER {
            Link::Nil
        } else {
            Link::Ptr(raw)
        }
    }

    fn into_raw(self) -> u32 {
        match self {
            Link::Nil => NIL_MARKER,
            Link::Ptr(ptr) => ptr,
        }
    }
}

/// The 8-byte header before each block, stored as a little-endian u64: bit 32 says whether the
/// block is occupied, the low 32 bits hold the order (occupied) or the next free link (free).
/// Bits 33..64 are written as zero and ignored on read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Header {
    Free(Link),
    Occupied(Order),
}

impl Header {
    fn read(mem: &(impl Memory + ?Sized), header_ptr: u32) -> Result<Self, AllocatorError> {
        let range = header_range(mem.data().len(), header_ptr)?;
        let mut raw = [0; HEADER_SIZE as usize];
        raw.copy_from_slice(&mem.data()[range]);
        let raw = u64::from_le_bytes(raw);
        let low = raw as u32;
        if raw & OCCUPIED_BIT == 0 {
            Ok(Header::Free(Link::from_raw(low)))
        } else {
            Order::from_raw(low)
                .map(Header::Occupied)
                .ok_or(AllocatorError::InvalidOrder {
                    header_ptr,
                    order: low,
                })
        }
    }

    fn write(
        self,
        mem: &mut (impl Memory + ?Sized),
        header_ptr: u32,
    ) -> Result<(), AllocatorError> {
        let raw = match self {
            Header::Free(link) => u64::from(link.into_raw()),
            Header::Occupied(order) => OCCUPIED_BIT | u64::from(order.0),
        };
        let range = header_range(mem.data().len(), header_ptr)?;
        mem.data_mut()[range].copy_from_slice(&raw.to_le_bytes());
        Ok(())
    }
}

/// The byte range of the header at `header_ptr`, if it lies within a memory of `len` bytes.
fn header_range(len: usize, header_ptr: u32) -> Result<std::ops::Range<usize>, AllocatorError> {
    header_ptr
        .checked_add(HEADER_SIZE)
        .filter(|&end| end as usize <= len)
        .map(|end| header_ptr as usize..end as usize)
        .ok_or(AllocatorError::HeaderOutOfBounds { header_ptr })
}

/// The memory's size in bytes, as its page count says (which is what the reference checks
/// allocations against, rather than the length of `data()`).
fn memory_size(mem: &(impl Memory + ?Sized)) -> u64 {
    debug_assert!(mem.pages() <= MAX_WASM_PAGES);
    u64::from(mem.pages()) * u64::from(PAGE_SIZE)
}

/// The page count to grow to when `required` pages are needed: double the current size, capped
/// at `limit`, but at least `required`. `None` if `required` cannot be reached.
fn grow_target(current: u32, required: u32, limit: u32) -> Option<u32> {
    if current >= limit || required > limit {
        return None;
    }
    Some(max(min(current.saturating_mul(2), limit), required))
}

/// Substrate's freeing-bump allocator over a wasm linear memory; see the module docs.
#[derive(Debug)]
pub struct FreeingBumpHeapAllocator {
    /// The heap base rounded up to `ALIGNMENT`.
    heap_base: u64,
    /// Address of the next block's header. A u64 so that a bump ending exactly at 4 GiB cannot
    /// overflow.
    bumper: u64,
    /// Head of each order's free list.
    free_lists: [Link; N_ORDERS],
    /// Memory size seen by the last call, to detect shrinking.
    last_observed_memory_size: u64,
    /// Set while a call is in progress and left set if it fails (or panics).
    poisoned: bool,
    stats: AllocationStats,
}

impl FreeingBumpHeapAllocator {
    /// An allocator whose heap starts at `heap_base` (the runtime's `__heap_base`) rounded up to 8.
    pub fn new(heap_base: u32) -> Self {
        let heap_base = u64::from(heap_base).next_multiple_of(u64::from(ALIGNMENT));
        FreeingBumpHeapAllocator {
            heap_base,
            bumper: heap_base,
            free_lists: [Link::Nil; N_ORDERS],
            last_observed_memory_size: 0,
            poisoned: false,
            stats: AllocationStats::default(),
        }
    }

    /// Allocates `size` bytes (rounded up to a power of two of at least 8), growing `mem` if
    /// needed, and returns the address of the payload, which is 8-aligned.
    pub fn allocate(
        &mut self,
        mem: &mut (impl Memory + ?Sized),
        size: u32,
    ) -> Result<u32, AllocatorError> {
        self.guarded(|this| this.allocate_inner(mem, size))
    }

    /// Frees the allocation whose payload starts at `ptr`.
    pub fn deallocate(
        &mut self,
        mem: &mut (impl Memory + ?Sized),
        ptr: u32,
    ) -> Result<(), AllocatorError> {
        self.guarded(|this| this.deallocate_inner(mem, ptr))
    }

    /// The allocation counters so far.
    pub fn stats(&self) -> AllocationStats {
        self.stats
    }

    /// Runs `call` unless poisoned; poisons the allocator if it fails. The flag is raised before
    /// the call so that a panic part-way through also leaves the allocator poisoned.
    fn guarded<T>(
        &mut self,
        call: impl FnOnce(&mut Self) -> Result<T, AllocatorError>,
    ) -> Result<T, AllocatorError> {
        if self.poisoned {
            return Err(AllocatorError::Poisoned);
        }
        self.poisoned = true;
        let result = call(self);
        self.poisoned = result.is_err();
        result
    }

    fn allocate_inner(
        &mut self,
        mem: &mut (impl Memory + ?Sized),
        size: u32,
    ) -> Result<u32, AllocatorError> {
        self.observe_memory_size(mem)?;
        let order = Order::from_size(size)?;

        let header_ptr = match self.free_lists[order.index()] {
            Link::Ptr(header_ptr) => {
                // The link lives in wasm memory, where the runtime may have overwritten it.
                let block_end =
                    u64::from(header_ptr) + u64::from(HEADER_SIZE) + u64::from(order.block_size());
                if block_end > memory_size(mem) {
                    return Err(AllocatorError::FreeListOutOfBounds {
                        order: order.0,
                        header_ptr,
                    });
                }
                match Header::read(mem, header_ptr)? {
                    Header::Free(next) => self.free_lists[order.index()] = next,
                    Header::Occupied(_) => {
                        return Err(AllocatorError::FreeListLinksOccupied {
                            order: order.0,
                            header_ptr,
                        })
                    }
                }
                header_ptr
            }
            Link::Nil => self.bump(mem, HEADER_SIZE + order.block_size())?,
        };
        Header::Occupied(order).write(mem, header_ptr)?;

        let bytes = HEADER_SIZE + order.block_size();
        let stats = &mut self.stats;
        stats.bytes_allocated = stats.bytes_allocated.saturating_add(bytes);
        stats.bytes_allocated_peak = max(stats.bytes_allocated_peak, stats.bytes_allocated);
        stats.bytes_allocated_sum += u128::from(bytes);
        stats.address_space_used = u32::try_from(self.bumper - self.heap_base).unwrap_or(u32::MAX);

        // Cannot overflow: the header and block end within the (at most 4 GiB) memory.
        Ok(header_ptr + HEADER_SIZE)
    }

    fn deallocate_inner(
        &mut self,
        mem: &mut (impl Memory + ?Sized),
        ptr: u32,
    ) -> Result<(), AllocatorError> {
        self.observe_memory_size(mem)?;
        let header_ptr = ptr
            .checked_sub(HEADER_SIZE)
            .ok_or(AllocatorError::InvalidPointer { ptr })?;
        // Like the reference, trust any in-bounds header marked occupied: neither the pointer's
        // alignment nor its position relative to the heap is checked.
        let order = match Header::read(mem, header_ptr)? {
            Header::Occupied(order) => order,
            Header::Free(_) => return Err(AllocatorError::NotAllocated { ptr }),
        };

        let next = std::mem::replace(&mut self.free_lists[order.index()], Link::Ptr(header_ptr));
        Header::Free(next).write(mem, header_ptr)?;

        self.stats.bytes_allocated = self
            .stats
            .bytes_allocated
            .checked_sub(HEADER_SIZE + order.block_size())
            .ok_or(AllocatorError::AllocatedBytesUnderflow { ptr })?;
        Ok(())
    }

    /// Reserves `size` bytes at the bump pointer, growing the memory if they do not fit, and
    /// returns their address.
    fn bump(&mut self, mem: &mut (impl Memory + ?Sized), size: u32) -> Result<u32, AllocatorError> {
        let start = self.bumper;
        let end = start + u64::from(size);
        if end > memory_size(mem) {
            let required = u32::try_from(end.div_ceil(u64::from(PAGE_SIZE)))
                .map_err(|_| AllocatorError::OutOfSpace)?;
            let current = mem.pages();
            let limit = mem
                .max_pages()
                .map_or(MAX_WASM_PAGES, |max_pages| min(max_pages, MAX_WASM_PAGES));
            let target = grow_target(current, required, limit).ok_or(AllocatorError::OutOfSpace)?;
            mem.grow(target - current)
                .map_err(|()| AllocatorError::OutOfSpace)?;
            debug_assert_eq!(mem.pages(), target, "memory did not grow as requested");
        }
        let start = u32::try_from(start).map_err(|_| AllocatorError::OutOfSpace)?;
        self.bumper = end;
        Ok(start)
    }

    fn observe_memory_size(&mut self, mem: &(impl Memory + ?Sized)) -> Result<(), AllocatorError> {
        let current = memory_size(mem);
        if current < self.last_observed_memory_size {
            return Err(AllocatorError::MemoryShrank {
                previous: self.last_observed_memory_size,
                current,
            });
        }
        self.last_observed_memory_size = current;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A `Vec`-backed memory; `max_pages: None` means the 4 GiB wasm limit.
    struct TestMemory {
        data: Vec<u8>,
        max_pages: Option<u32>,
        refuse_growth: bool,
    }

    impl TestMemory {
        fn new(pages: u32) -> Self {
            TestMemory {
                data: vec![0; (pages * PAGE_SIZE) as usize],
                max_pages: None,
                refuse_growth: false,
            }
        }

        fn with_max(pages: u32, max_pages: u32) -> Self {
            TestMemory {
                max_pages: Some(max_pages),
                ..Self::new(pages)
            }
        }

        fn read_u64(&self, addr: u32) -> u64 {
            let addr = addr as usize;
            u64::from_le_bytes(self.data[addr..addr + 8].try_into().unwrap())
        }

        fn write_u64(&mut self, addr: u32, value: u64) {
            let addr = addr as usize;
            self.data[addr..addr + 8].copy_from_slice(&value.to_le_bytes());
        }
    }

    impl Memory for TestMemory {
        fn data(&self) -> &[u8] {
            &self.data
        }

        fn data_mut(&mut self) -> &mut [u8] {
            &mut self.data
        }

        fn pages(&self) -> u32 {
            (self.data.len() / PAGE_SIZE as usize) as u32
        }

        fn max_pages(&self) -> Option<u32> {
            self.max_pages
        }

        fn grow(&mut self, additional: u32) -> Result<(), ()> {
            let new_pages = self.pages() + additional;
            if self.refuse_growth || new_pages > self.max_pages.unwrap_or(MAX_WASM_PAGES) {
                return Err(());
            }
            self.data.resize((new_pages * PAGE_SIZE) as usize, 0);
            Ok(())
        }
    }

    const OCCUPIED_ORDER_0: u64 = OCCUPIED_BIT;
    const FREE_END_OF_LIST: u64 = NIL_MARKER as u64;

    #[test]
    fn first_allocation_is_after_aligned_heap_base_and_header() {
        for (heap_base, expected) in [(0, 8), (1, 16), (8, 16), (13, 24), (16, 24), (17, 32)] {
            let mut mem = TestMemory::new(1);
            let mut heap = FreeingBumpHeapAllocator::new(heap_base);
            assert_eq!(
                heap.allocate(&mut mem, 1),
                Ok(expected),
                "heap base {heap_base}"
            );
        }
    }

    #[test]
    fn orders_are_powers_of_two_from_8_bytes() {
        let cases = [
            (0, 0),
            (1, 0),
            (8, 0),
            (9, 1),
            (16, 1),
            (17, 2),
            (4096, 9),
            (4097, 10),
            (MAX_ALLOCATION / 2 + 1, 22),
            (MAX_ALLOCATION, 22),
        ];
        for (size, order) in cases {
            assert_eq!(Order::from_size(size), Ok(Order(order)), "size {size}");
        }
        assert_eq!(Order(22).block_size(), MAX_ALLOCATION);
        assert_eq!(Order::from_raw(22), Some(Order(22)));
        assert_eq!(Order::from_raw(23), None);
        assert_eq!(
            Order::from_size(MAX_ALLOCATION + 1),
            Err(AllocatorError::RequestedAllocationTooLarge {
                size: MAX_ALLOCATION + 1
            })
        );
    }

    #[test]
    fn sizes_round_up_to_their_order_and_bump() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        // (request, pointer): each block takes 8 header bytes plus its rounded size.
        let cases = [
            (0, 8),
            (1, 24),
            (8, 40),
            (9, 56),
            (16, 80),
            (17, 104),
            (100, 144),
            (4096, 280),
            (4097, 4384),
        ];
        for (size, ptr) in cases {
            assert_eq!(heap.allocate(&mut mem, size), Ok(ptr), "size {size}");
        }
        assert_eq!(heap.bumper, 4384 + 8192);
        // Occupied headers: bit 32 set, order in the low bits.
        assert_eq!(mem.read_u64(0), OCCUPIED_ORDER_0);
        assert_eq!(mem.read_u64(48), OCCUPIED_BIT | 1);
        assert_eq!(mem.read_u64(4376), OCCUPIED_BIT | 10);
    }

    #[test]
    fn freed_blocks_are_reused_last_in_first_out() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        let ptrs: Vec<u32> = (0..3)
            .map(|_| heap.allocate(&mut mem, 8).unwrap())
            .collect();
        assert_eq!(ptrs, [8, 24, 40]);
        for &ptr in &ptrs {
            heap.deallocate(&mut mem, ptr).unwrap();
        }

        // The links live in the freed headers; the head in the allocator.
        assert_eq!(heap.free_lists[0], Link::Ptr(32));
        assert_eq!(mem.read_u64(32), 16);
        assert_eq!(mem.read_u64(16), 0);
        assert_eq!(mem.read_u64(0), FREE_END_OF_LIST);

        let again: Vec<u32> = (0..4)
            .map(|_| heap.allocate(&mut mem, 5).unwrap())
            .collect();
        assert_eq!(again, [40, 24, 8, 56]);
        assert_eq!(heap.free_lists, [Link::Nil; N_ORDERS]);
    }

    #[test]
    fn free_lists_are_per_order() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        let small = heap.allocate(&mut mem, 16).unwrap();
        let large = heap.allocate(&mut mem, 64).unwrap();
        assert_eq!((small, large), (8, 32));
        heap.deallocate(&mut mem, large).unwrap();

        // A smaller request does not take the free 64-byte block...
        assert_eq!(heap.allocate(&mut mem, 8), Ok(104));
        // ...nor does a larger one...
        assert_eq!(heap.allocate(&mut mem, 65), Ok(120));
        // ...but any request of the same order does.
        assert_eq!(heap.allocate(&mut mem, 33), Ok(32));
    }

    #[test]
    fn adjacent_free_blocks_are_not_coalesced() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        let a = heap.allocate(&mut mem, 8).unwrap();
        let b = heap.allocate(&mut mem, 8).unwrap();
        heap.deallocate(&mut mem, a).unwrap();
        heap.deallocate(&mut mem, b).unwrap();
        // Two adjacent 16-byte spans are free, but a 16-byte block comes from the bumper.
        assert_eq!(heap.allocate(&mut mem, 16), Ok(40));
    }

    #[test]
    fn free_blocks_are_not_split() {
        let mut mem = TestMemory::with_max(1, 1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        let big = heap.allocate(&mut mem, 32768).unwrap();
        assert_eq!(heap.allocate(&mut mem, 16384), Ok(32784));
        assert_eq!(heap.allocate(&mut mem, 8192), Ok(49176));
        heap.deallocate(&mut mem, big).unwrap();
        // 32 KiB are free, but an 8 KiB block needs 8200 more bytes of bump space and only 8168
        // remain.
        assert_eq!(heap.bumper, 57368);
        assert_eq!(
            heap.allocate(&mut mem, 8192),
            Err(AllocatorError::OutOfSpace)
        );
    }

    #[test]
    fn growth_takes_the_required_pages_when_doubling_is_not_enough() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        assert_eq!(heap.allocate(&mut mem, 2 * PAGE_SIZE), Ok(8));
        assert_eq!(mem.pages(), 3);
    }

    #[test]
    fn growth_doubles_the_memory() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        assert_eq!(heap.allocate(&mut mem, PAGE_SIZE / 2), Ok(8));
        assert_eq!(mem.pages(), 1);
        // Needs 65552 bytes: 2 pages, which doubling gives.
        assert_eq!(heap.allocate(&mut mem, PAGE_SIZE / 2), Ok(32784));
        assert_eq!(mem.pages(), 2);

        let mut mem = TestMemory::new(4);
        let mut heap = FreeingBumpHeapAllocator::new(4 * PAGE_SIZE - 8);
        // Needs one byte past 4 pages: grows to 8, not 5.
        assert_eq!(heap.allocate(&mut mem, 1), Ok(4 * PAGE_SIZE));
        assert_eq!(mem.pages(), 8);
    }

    #[test]
    fn growth_is_capped_at_max_pages() {
        let mut mem = TestMemory::with_max(4, 6);
        let mut heap = FreeingBumpHeapAllocator::new(4 * PAGE_SIZE - 8);
        assert_eq!(heap.allocate(&mut mem, 1), Ok(4 * PAGE_SIZE));
        assert_eq!(mem.pages(), 6);
    }

    #[test]
    fn growth_policy() {
        let unlimited = MAX_WASM_PAGES;
        assert_eq!(grow_target(1, 2, unlimited), Some(2));
        assert_eq!(grow_target(1, 3, unlimited), Some(3));
        assert_eq!(grow_target(4, 5, unlimited), Some(8));
        assert_eq!(grow_target(4, 5, 6), Some(6));
        assert_eq!(grow_target(40000, 40001, unlimited), Some(65536));
        assert_eq!(grow_target(6, 7, 6), None);
        assert_eq!(grow_target(4, 7, 6), None);
    }

    #[test]
    fn out_of_space_at_max_pages() {
        let mut mem = TestMemory::with_max(1, 1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        assert_eq!(heap.allocate(&mut mem, PAGE_SIZE / 2 - 8), Ok(8));
        // 32776 + 32776 > 65536.
        assert_eq!(
            heap.allocate(&mut mem, PAGE_SIZE / 2),
            Err(AllocatorError::OutOfSpace)
        );
        assert_eq!(mem.pages(), 1);
    }

    #[test]
    fn bump_may_end_exactly_at_the_memory_end() {
        let mut mem = TestMemory::with_max(1, 1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        for _ in 0..(PAGE_SIZE / 16) {
            heap.allocate(&mut mem, 8).unwrap();
        }
        assert_eq!(heap.bumper, u64::from(PAGE_SIZE));
        assert_eq!(heap.allocate(&mut mem, 1), Err(AllocatorError::OutOfSpace));
    }

    #[test]
    fn out_of_space_when_required_pages_exceed_max_does_not_grow() {
        let mut mem = TestMemory::with_max(1, 2);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        assert_eq!(
            heap.allocate(&mut mem, 2 * PAGE_SIZE),
            Err(AllocatorError::OutOfSpace)
        );
        assert_eq!(mem.pages(), 1);
    }

    #[test]
    fn out_of_space_when_the_memory_refuses_to_grow() {
        let mut mem = TestMemory::new(1);
        mem.refuse_growth = true;
        let mut heap = FreeingBumpHeapAllocator::new(0);
        assert_eq!(
            heap.allocate(&mut mem, PAGE_SIZE),
            Err(AllocatorError::OutOfSpace)
        );
    }

    #[test]
    fn max_allocation_is_allowed_and_one_more_byte_is_not() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        assert_eq!(heap.allocate(&mut mem, MAX_ALLOCATION), Ok(8));
        // 32 MiB + 8 bytes: 513 pages, more than doubling's 2.
        assert_eq!(mem.pages(), 513);
        assert_eq!(mem.read_u64(0), OCCUPIED_BIT | 22);

        let mut heap = FreeingBumpHeapAllocator::new(0);
        assert_eq!(
            heap.allocate(&mut mem, MAX_ALLOCATION + 1),
            Err(AllocatorError::RequestedAllocationTooLarge {
                size: MAX_ALLOCATION + 1
            })
        );
        // Even this poisons the allocator.
        assert_eq!(heap.allocate(&mut mem, 1), Err(AllocatorError::Poisoned));
    }

    /// Runs `deallocate(ptr)` on a fresh allocator with one live allocation (at 8) in one page of
    /// memory prepared by `prepare`, and checks the error and that it poisoned the allocator.
    fn deallocate_fails(prepare: impl FnOnce(&mut TestMemory), ptr: u32, expected: AllocatorError) {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        assert_eq!(heap.allocate(&mut mem, 8), Ok(8));
        prepare(&mut mem);
        assert_eq!(heap.deallocate(&mut mem, ptr), Err(expected));
        assert_eq!(heap.deallocate(&mut mem, 8), Err(AllocatorError::Poisoned));
        assert_eq!(heap.allocate(&mut mem, 8), Err(AllocatorError::Poisoned));
    }

    #[test]
    fn double_free_is_rejected() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        let ptr = heap.allocate(&mut mem, 8).unwrap();
        heap.deallocate(&mut mem, ptr).unwrap();
        assert_eq!(
            heap.deallocate(&mut mem, ptr),
            Err(AllocatorError::NotAllocated { ptr })
        );
    }

    #[test]
    fn garbage_pointers_are_rejected() {
        // A zeroed header reads as free.
        deallocate_fails(|_| {}, 1000, AllocatorError::NotAllocated { ptr: 1000 });
        deallocate_fails(|_| {}, 4, AllocatorError::InvalidPointer { ptr: 4 });
        deallocate_fails(|_| {}, 0, AllocatorError::InvalidPointer { ptr: 0 });
        deallocate_fails(
            |mem| mem.write_u64(992, OCCUPIED_BIT | 23),
            1000,
            AllocatorError::InvalidOrder {
                header_ptr: 992,
                order: 23,
            },
        );
        // The reference only checks the order on a header with bit 32 set.
        deallocate_fails(
            |mem| mem.write_u64(992, (1 << 33) | 5),
            1000,
            AllocatorError::NotAllocated { ptr: 1000 },
        );
    }

    #[test]
    fn out_of_bounds_pointers_are_rejected() {
        // Only the header has to be in bounds, not the payload.
        deallocate_fails(
            |_| {},
            PAGE_SIZE,
            AllocatorError::NotAllocated { ptr: PAGE_SIZE },
        );
        deallocate_fails(
            |_| {},
            PAGE_SIZE + 1,
            AllocatorError::HeaderOutOfBounds {
                header_ptr: PAGE_SIZE - 7,
            },
        );
        deallocate_fails(
            |_| {},
            u32::MAX,
            AllocatorError::HeaderOutOfBounds {
                header_ptr: u32::MAX - 8,
            },
        );
    }

    #[test]
    fn deallocate_trusts_any_occupied_header() {
        // As in the reference: a forged header anywhere in memory frees a block there, as long as
        // the allocated byte count covers it.
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        heap.allocate(&mut mem, 8).unwrap();
        mem.write_u64(996, OCCUPIED_ORDER_0);
        assert_eq!(heap.deallocate(&mut mem, 1004), Ok(()));
        assert_eq!(heap.allocate(&mut mem, 8), Ok(1004));

        mem.write_u64(2000, OCCUPIED_BIT | 1);
        assert_eq!(
            heap.deallocate(&mut mem, 2008),
            Err(AllocatorError::AllocatedBytesUnderflow { ptr: 2008 })
        );
    }

    #[test]
    fn corrupted_free_list_links_are_rejected() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        let ptr = heap.allocate(&mut mem, 5).unwrap();
        heap.deallocate(&mut mem, ptr).unwrap();
        mem.write_u64(ptr - 8, u64::from(u32::MAX - 1));
        // Popping the block itself is fine; its link is only followed by the next allocation.
        assert_eq!(heap.allocate(&mut mem, 5), Ok(ptr));
        assert_eq!(
            heap.allocate(&mut mem, 5),
            Err(AllocatorError::FreeListOutOfBounds {
                order: 0,
                header_ptr: u32::MAX - 1
            })
        );
        assert_eq!(heap.allocate(&mut mem, 5), Err(AllocatorError::Poisoned));

        // A link to a block that ends exactly at the memory's end is in bounds.
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        let ptr = heap.allocate(&mut mem, 8).unwrap();
        heap.deallocate(&mut mem, ptr).unwrap();
        mem.write_u64(0, u64::from(PAGE_SIZE - 16));
        mem.write_u64(PAGE_SIZE - 16, OCCUPIED_ORDER_0);
        assert_eq!(heap.allocate(&mut mem, 8), Ok(ptr));
        assert_eq!(
            heap.allocate(&mut mem, 8),
            Err(AllocatorError::FreeListLinksOccupied {
                order: 0,
                header_ptr: PAGE_SIZE - 16
            })
        );
    }

    #[test]
    fn any_error_poisons_the_allocator() {
        let mut mem = TestMemory::with_max(1, 1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        let ptr = heap.allocate(&mut mem, PAGE_SIZE / 2).unwrap();
        assert_eq!(
            heap.allocate(&mut mem, PAGE_SIZE),
            Err(AllocatorError::OutOfSpace)
        );
        assert!(heap.poisoned);
        assert_eq!(heap.allocate(&mut mem, 8), Err(AllocatorError::Poisoned));
        assert_eq!(
            heap.deallocate(&mut mem, ptr),
            Err(AllocatorError::Poisoned)
        );
    }

    #[test]
    fn growth_between_calls_is_accepted() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        heap.allocate(&mut mem, PAGE_SIZE / 2).unwrap();
        mem.grow(1).unwrap();
        assert_eq!(heap.allocate(&mut mem, PAGE_SIZE / 2), Ok(32784));
        assert_eq!(mem.pages(), 2);
    }

    #[test]
    fn shrinking_memory_is_detected() {
        let mut mem = TestMemory::new(2);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        let ptr = heap.allocate(&mut mem, 8).unwrap();
        mem.data.truncate(PAGE_SIZE as usize);
        assert_eq!(
            heap.deallocate(&mut mem, ptr),
            Err(AllocatorError::MemoryShrank {
                previous: 2 * u64::from(PAGE_SIZE),
                current: u64::from(PAGE_SIZE),
            })
        );
        assert_eq!(heap.allocate(&mut mem, 8), Err(AllocatorError::Poisoned));

        let mut mem = TestMemory::new(2);
        let mut heap = FreeingBumpHeapAllocator::new(0);
        heap.allocate(&mut mem, 8).unwrap();
        mem.data.truncate(PAGE_SIZE as usize);
        assert!(matches!(
            heap.allocate(&mut mem, 8),
            Err(AllocatorError::MemoryShrank { .. })
        ));
    }

    #[test]
    fn stats_count_headers_and_rounded_sizes() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(13);
        let stats = |used, peak, sum, space| AllocationStats {
            bytes_allocated: used,
            bytes_allocated_peak: peak,
            bytes_allocated_sum: sum,
            address_space_used: space,
        };
        assert_eq!(heap.stats(), stats(0, 0, 0, 0));

        let a = heap.allocate(&mut mem, 9).unwrap(); // 8 + 16
        assert_eq!(heap.stats(), stats(24, 24, 24, 24));
        heap.allocate(&mut mem, 100).unwrap(); // 8 + 128
        assert_eq!(heap.stats(), stats(160, 160, 160, 160));
        heap.deallocate(&mut mem, a).unwrap();
        assert_eq!(heap.stats(), stats(136, 160, 160, 160));
        heap.allocate(&mut mem, 5).unwrap(); // 8 + 8, bumped
        assert_eq!(heap.stats(), stats(152, 160, 176, 176));
        heap.allocate(&mut mem, 10).unwrap(); // 8 + 16, reused
        assert_eq!(heap.stats(), stats(176, 176, 200, 176));
    }

    #[test]
    fn stats_survive_many_alloc_free_cycles() {
        let mut mem = TestMemory::new(1);
        let mut heap = FreeingBumpHeapAllocator::new(19);
        for _ in 0..10 {
            let ptr = heap.allocate(&mut mem, 42).unwrap();
            assert_eq!(ptr, 32);
            heap.deallocate(&mut mem, ptr).unwrap();
        }
        assert_eq!(heap.stats().bytes_allocated, 0);
        assert_eq!(heap.stats().bytes_allocated_peak, 72);
        assert_eq!(heap.stats().bytes_allocated_sum, 720);
        assert_eq!(heap.stats().address_space_used, 72);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Allocate(u32),
        /// Frees the live allocation at this index (modulo the number of live ones).
        Free(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => prop_oneof![6 => 0u32..=64, 3 => 0u32..=4096, 1 => 0u32..=200_000]
                .prop_map(Op::Allocate),
            2 => any::<usize>().prop_map(Op::Free),
        ]
    }

    proptest! {
        #[test]
        fn live_blocks_never_overlap_and_stay_in_memory(
            heap_base in 0u32..=4096,
            initial_pages in 1u32..=4,
            extra_max_pages in 0u32..=64,
            ops in proptest::collection::vec(op(), 1..300),
        ) {
            let max_pages = initial_pages + extra_max_pages;
            let mut mem = TestMemory::with_max(initial_pages, max_pages);
            let mut heap = FreeingBumpHeapAllocator::new(heap_base);
            let first_header = heap_base.next_multiple_of(8);
            // (payload pointer, block size, fill byte)
            let mut live: Vec<(u32, u32, u8)> = Vec::new();

            for (step, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Allocate(size) => {
                        let ptr = match heap.allocate(&mut mem, size) {
                            Ok(ptr) => ptr,
                            Err(AllocatorError::OutOfSpace) => {
                                prop_assert!(mem.pages() <= max_pages);
                                break;
                            }
                            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
                        };
                        let block = Order::from_size(size).unwrap().block_size();
                        prop_assert_eq!(ptr % 8, 0);
                        prop_assert!(ptr >= first_header + HEADER_SIZE);
                        prop_assert!(ptr as usize + block as usize <= mem.data.len());
                        prop_assert!(mem.pages() <= max_pages);
                        for &(other, other_block, _) in &live {
                            let disjoint = ptr + block <= other - HEADER_SIZE
                                || other + other_block <= ptr - HEADER_SIZE;
                            prop_assert!(disjoint, "{ptr}+{block} overlaps {other}+{other_block}");
                        }
                        let fill = step as u8;
                        mem.data[ptr as usize..(ptr + block) as usize].fill(fill);
                        live.push((ptr, block, fill));
                    }
                    Op::Free(index) => {
                        if live.is_empty() {
                            continue;
                        }
                        let (ptr, block, fill) = live.swap_remove(index % live.len());
                        // Nothing the allocator did since wrote into this payload.
                        let payload = &mem.data[ptr as usize..(ptr + block) as usize];
                        prop_assert!(payload.iter().all(|&b| b == fill));
                        prop_assert_eq!(heap.deallocate(&mut mem, ptr), Ok(()));
                    }
                }
                let live_bytes: u32 = live.iter().map(|&(_, block, _)| block + HEADER_SIZE).sum();
                prop_assert_eq!(heap.stats().bytes_allocated, live_bytes);
                prop_assert_eq!(
                    u64::from(heap.stats().address_space_used),
                    heap.bumper - u64::from(first_header)
                );
            }
        }
    }
}

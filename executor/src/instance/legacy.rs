//! Deprecated legacy instance reuse: each slot keeps one instance alive across calls and puts
//! it back into its initial state itself: before every call the mutable globals and active data
//! segments are restored (the allocator is fresh per call anyway), and after it the linear
//! memory is zeroed.
//!
//! An instance whose memory grew during a call cannot be shrunk back, so it is dropped rather
//! than reused: memory size is observable by the runtime and must not differ between strategies.

use std::sync::Once;

use parking_lot::Mutex;
use wasmtime::{Global, Instance, Memory, Store, Val};

use super::{call, HostState};
use crate::{
    blob::{exported_global_name, DataSegment, RuntimeBlob},
    externalities::Externalities,
    runtime::{NewInstance, Runtime},
    Error, HeapAllocStrategy,
};

/// Logs the deprecation warning, once per process.
pub(crate) fn warn_deprecated() {
    static WARN: Once = Once::new();
    WARN.call_once(|| {
        tracing::warn!(
            target: "executor",
            "the `legacy-instance-reuse` instantiation strategy is deprecated and slower than \
             `pooling-copy-on-write`; it will be removed"
        );
    });
}

/// What a legacy runtime needs to restore its instances, and the idle instances themselves.
pub(crate) struct LegacyPool {
    data_segments: Vec<DataSegment>,
    global_names: Vec<String>,
    idle: Mutex<Vec<LegacyInstance>>,
}

struct LegacyInstance {
    store: Store<HostState>,
    instance: Instance,
    memory: Memory,
    heap_base: u32,
    heap: HeapAllocStrategy,
    /// Memory size in bytes right after instantiation and pre-growing.
    initial_size: usize,
    globals: Vec<(Global, Val)>,
}

impl LegacyPool {
    pub fn new(blob: &RuntimeBlob) -> Result<Self, Error> {
        Ok(Self {
            data_segments: blob.data_segments()?,
            global_names: blob
                .mutable_globals()
                .iter()
                .map(|&i| exported_global_name(i))
                .collect(),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Runs `call` on an idle instance set up for `heap`, or on a new one.
    pub fn call(
        &self,
        runtime: &Runtime,
        heap: HeapAllocStrategy,
        call: call::Call<'_>,
        ext: &mut dyn Externalities,
    ) -> Result<Vec<u8>, Error> {
        let mut slot = match self.take_idle(heap) {
            Some(slot) => slot,
            None => self.instantiate(runtime, heap)?,
        };
        self.restore(&mut slot)?;
        let result = call::run(
            &mut slot.store,
            &slot.instance,
            slot.memory,
            slot.heap_base,
            call,
            ext,
        );
        if slot.clear_memory() {
            self.idle.lock().push(slot);
        }
        result
    }

    fn take_idle(&self, heap: HeapAllocStrategy) -> Option<LegacyInstance> {
        let mut idle = self.idle.lock();
        // An instance made for another heap size has the wrong memory size: drop it.
        idle.retain(|slot| slot.heap == heap);
        idle.pop()
    }

    fn instantiate(
        &self,
        runtime: &Runtime,
        heap: HeapAllocStrategy,
    ) -> Result<LegacyInstance, Error> {
        let NewInstance {
            mut store,
            instance,
            memory,
            heap_base,
        } = runtime.instantiate(heap)?;
        let mut globals = Vec::with_capacity(self.global_names.len());
        for name in &self.global_names {
            let global = instance.get_global(&mut store, name).ok_or_else(|| {
                Error::Instantiation(format!("the prepared module lacks the export `{name}`"))
            })?;
            globals.push((global, global.get(&mut store)));
        }
        let initial_size = memory.data_size(&store);
        Ok(LegacyInstance {
            store,
            instance,
            memory,
            heap_base,
            heap,
            initial_size,
            globals,
        })
    }

    /// Puts globals and data segments back to their values right after instantiation; the
    /// rest of memory is already zero.
    fn restore(&self, slot: &mut LegacyInstance) -> Result<(), Error> {
        for (global, value) in &slot.globals {
            global
                .set(&mut slot.store, *value)
                .map_err(|e| Error::Instantiation(format!("cannot restore a global: {e}")))?;
        }
        for segment in &self.data_segments {
            slot.memory
                .write(&mut slot.store, segment.offset as usize, &segment.bytes)
                .map_err(|e| Error::Instantiation(format!("cannot restore a data segment: {e}")))?;
        }
        Ok(())
    }
}

impl LegacyInstance {
    /// Zeroes linear memory; false if the instance cannot be reused (its memory grew).
    fn clear_memory(&mut self) -> bool {
        if self.memory.data_size(&self.store) != self.initial_size {
            return false;
        }
        let data = self.memory.data_mut(&mut self.store);
        if !zero_by_decommit(data) {
            data.fill(0);
        }
        true
    }
}

/// Zeroes `data` by giving its pages back to the kernel, which is much cheaper than writing
/// zeros over 128 MiB when a call touched little of it. False if that is not possible here.
#[cfg(target_os = "linux")]
fn zero_by_decommit(data: &mut [u8]) -> bool {
    if !crate::engine::madvise_dontneed_zeroes() {
        return false;
    }
    // SAFETY: `data` is the whole of a private anonymous mapping owned by this instance's
    // memory (legacy instances never use copy-on-write images), page aligned, and nothing else
    // borrows it; MADV_DONTNEED makes its pages read back as zeros.
    unsafe {
        rustix::mm::madvise(
            data.as_mut_ptr().cast(),
            data.len(),
            rustix::mm::Advice::LinuxDontNeed,
        )
        .is_ok()
    }
}

#[cfg(not(target_os = "linux"))]
fn zero_by_decommit(_: &mut [u8]) -> bool {
    false
}

//! The one place a wasmtime [`Config`] is built: deterministic semantics plus what the
//! instantiation strategy needs.

use std::{
    hash::{Hash, Hasher},
    sync::{Once, OnceLock},
};

use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
    WasmFeatures,
};

use crate::{config::WASM_PAGE_SIZE, Error, ExecutorConfig, InstantiationStrategy};

/// Native stack available to wasm code; deterministic depth limits depend on it.
pub const MAX_WASM_STACK: usize = 1024 * 1024;

/// Virtual address space reserved per linear memory: the whole 4 GiB of wasm32, so memory never
/// moves when it grows.
const MEMORY_RESERVATION: u64 = 4 * 1024 * 1024 * 1024;

/// Largest function table we pool; real runtimes have a few thousand entries.
const POOLED_TABLE_ELEMENTS: usize = 1 << 16;

/// Dirty linear memory a pooled slot may reset in place (memset / copy from the image) instead
/// of decommitting it, so the pages a call dirties do not page-fault again in the next call.
/// Only used where the kernel can tell which pages are dirty (PAGEMAP_SCAN, Linux 6.7+):
/// without it wasmtime would reset all of these bytes after every call, dirty or not.
const POOLED_MEMORY_KEEP_RESIDENT: usize = 16 * 1024 * 1024;

/// A wasmtime engine together with the strategy it was built for.
#[derive(Clone)]
pub(crate) struct RuntimeEngine {
    pub engine: Engine,
    /// The strategy actually in effect (copy-on-write may have been turned off).
    pub strategy: InstantiationStrategy,
    /// Identifies every setting that affects compiled code; part of artifact names and cache keys.
    pub fingerprint: u64,
}

impl RuntimeEngine {
    /// `interruptible` compiles epoch checks into the code, for calls with a deadline.
    pub fn new(config: &ExecutorConfig, interruptible: bool) -> Result<Self, Error> {
        let strategy = effective_strategy(config.strategy, config.artifact_dir.is_some());
        let wasmtime_config = build_config(config, strategy, interruptible);
        let engine = Engine::new(&wasmtime_config).map_err(|e| {
            Error::Config(format!("wasmtime rejected the engine configuration: {e}"))
        })?;
        let fingerprint = fingerprint(&engine, strategy);
        Ok(Self {
            engine,
            strategy,
            fingerprint,
        })
    }
}

fn build_config(
    config: &ExecutorConfig,
    strategy: InstantiationStrategy,
    interruptible: bool,
) -> Config {
    let mut c = Config::new();
    // Determinism: MVP wasm only, plus the three small post-MVP features Substrate's executor
    // has always accepted (runtimes are built with sign-ext; old ones may use the others).
    // Everything else (threads, SIMD, reference types, bulk memory, multi-value, memory64,
    // multi-memory, tail calls, GC, exceptions...) is rejected at compile time.
    let allowed = WasmFeatures::FLOATS
        | WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::SATURATING_FLOAT_TO_INT;
    c.wasm_features(WasmFeatures::all().difference(allowed), false);
    c.wasm_features(allowed, true);
    c.max_wasm_stack(MAX_WASM_STACK);
    c.cranelift_opt_level(OptLevel::SpeedAndSize);
    c.cranelift_nan_canonicalization(config.canonicalize_nans);
    c.parallel_compilation(true);
    // Deadlines (RPC calls) are enforced by epoch interruption, in engines made for them.
    c.epoch_interruption(interruptible);
    c.memory_reservation(MEMORY_RESERVATION);
    c.memory_init_cow(strategy.copy_on_write());
    c.debug_info(false);
    if strategy.pooling() {
        let instances = config.max_instances as u32;
        let pagemap = PoolingAllocationConfig::is_pagemap_scan_available();
        let keep_resident = if pagemap {
            POOLED_MEMORY_KEEP_RESIDENT
        } else {
            0
        };
        let mut pool = PoolingAllocationConfig::new();
        pool.total_core_instances(instances)
            .total_memories(instances)
            .total_tables(instances)
            .max_memories_per_module(1)
            .max_tables_per_module(1)
            .table_elements(POOLED_TABLE_ELEMENTS)
            .max_memory_size(MEMORY_RESERVATION as usize)
            .pagemap_scan(if pagemap { Enabled::Yes } else { Enabled::No })
            .linear_memory_keep_resident(keep_resident)
            .table_keep_resident(if pagemap {
                POOLED_TABLE_ELEMENTS * std::mem::size_of::<usize>()
            } else {
                0
            });
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    } else {
        c.allocation_strategy(InstanceAllocationStrategy::OnDemand);
    }
    c
}

/// A stable hash of the wasmtime version and every setting that shapes compiled code.
fn fingerprint(engine: &Engine, strategy: InstantiationStrategy) -> u64 {
    let mut hasher = twox_hash::XxHash64::with_seed(0);
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    WASMTIME_VERSION.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    // The strategy decides how the blob is prepared (legacy exports its globals) and whether
    // memory images are built.
    strategy.name().hash(&mut hasher);
    hasher.finish()
}

/// The wasmtime version this executor is built against (kept in step with Cargo.toml).
pub const WASMTIME_VERSION: &str = "48.0.8";

/// The strategy to use here: copy-on-write is dropped, with one warning, where it cannot work.
fn effective_strategy(
    requested: InstantiationStrategy,
    has_artifact_dir: bool,
) -> InstantiationStrategy {
    if !requested.copy_on_write() {
        return requested;
    }
    let reason = if !cfg!(target_os = "linux") && !has_artifact_dir {
        Some("this platform has no memfd and no artifact directory was configured to map images from")
    } else if !madvise_dontneed_zeroes() {
        Some("madvise(MADV_DONTNEED) does not zero memory on this system")
    } else {
        None
    };
    match reason {
        None => requested,
        Some(reason) => {
            let fallback = requested.without_copy_on_write();
            static WARN: Once = Once::new();
            WARN.call_once(|| {
                tracing::warn!(
                    target: "executor",
                    "copy-on-write memory is unavailable ({reason}); using `{fallback}` instead of `{requested}`"
                );
            });
            fallback
        }
    }
}

/// Probes once whether `madvise(MADV_DONTNEED)` really zeroes a private anonymous mapping (it
/// does not under some sandboxes), which both copy-on-write resets and legacy memory zeroing rely on.
pub(crate) fn madvise_dontneed_zeroes() -> bool {
    static PROBE: OnceLock<bool> = OnceLock::new();
    *PROBE.get_or_init(probe_madvise)
}

#[cfg(target_os = "linux")]
fn probe_madvise() -> bool {
    use rustix::mm::{madvise, mmap_anonymous, munmap, Advice, MapFlags, ProtFlags};
    let len = WASM_PAGE_SIZE as usize;
    // SAFETY: a fresh private mapping that nothing else references, unmapped before returning.
    unsafe {
        let Ok(ptr) = mmap_anonymous(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        ) else {
            return false;
        };
        let bytes = ptr.cast::<u8>();
        bytes.write_volatile(0xAA);
        let zeroed = madvise(ptr, len, Advice::LinuxDontNeed).is_ok() && bytes.read_volatile() == 0;
        let _ = munmap(ptr, len);
        zeroed
    }
}

#[cfg(not(target_os = "linux"))]
fn probe_madvise() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_strategy_and_semantics() {
        let base = ExecutorConfig::default();
        let a = RuntimeEngine::new(&base, false).unwrap();
        let b = RuntimeEngine::new(
            &ExecutorConfig {
                strategy: InstantiationStrategy::RecreateInstance,
                ..base.clone()
            },
            false,
        )
        .unwrap();
        let c = RuntimeEngine::new(
            &ExecutorConfig {
                canonicalize_nans: false,
                ..base.clone()
            },
            false,
        )
        .unwrap();
        let interruptible = RuntimeEngine::new(&base, true).unwrap();
        let again = RuntimeEngine::new(&base, false).unwrap();
        assert_eq!(a.fingerprint, again.fingerprint);
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
        assert_ne!(a.fingerprint, interruptible.fingerprint);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_keeps_copy_on_write() {
        assert!(madvise_dontneed_zeroes());
        let engine = RuntimeEngine::new(&ExecutorConfig::default(), false).unwrap();
        assert_eq!(engine.strategy, InstantiationStrategy::PoolingCopyOnWrite);
    }
}

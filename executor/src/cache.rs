//! LRU of compiled runtimes, keyed by code hash and engine fingerprint, with single-flight
//! preparation: concurrent first callers of the same code wait for one compilation, and the
//! cache lock is never held while compiling.

use std::{
    num::NonZeroUsize,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use lru::LruCache;
use parking_lot::{Condvar, Mutex};

use crate::Error;

/// What identifies a compiled runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    /// blake2-256 of the code as stored (possibly compressed).
    pub code_hash: [u8; 32],
    /// The engine semantics it was compiled under.
    pub fingerprint: u64,
    /// Heap pages built into its memory's minimum (see [`RuntimeBlob::prepare`]).
    ///
    /// [`RuntimeBlob::prepare`]: crate::blob::RuntimeBlob::prepare
    pub heap_pages: u32,
}

/// How a runtime that was not cached got ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Compiled,
    LoadedArtifact,
}

/// Counters of what the cache did since the executor was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Calls served by a cached runtime (or one being prepared by another caller).
    pub hits: u64,
    /// Calls that had to prepare a runtime.
    pub misses: u64,
    /// Runtimes compiled from wasm.
    pub compilations: u64,
    /// Runtimes loaded from a precompiled artifact.
    pub artifact_loads: u64,
    /// Runtimes dropped to make room.
    pub evictions: u64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    compilations: AtomicU64,
    artifact_loads: AtomicU64,
    evictions: AtomicU64,
}

enum Entry<V> {
    Ready(Arc<V>),
    Preparing(Arc<Preparation<V>>),
}

impl<V> Clone for Entry<V> {
    fn clone(&self) -> Self {
        match self {
            Self::Ready(v) => Self::Ready(v.clone()),
            Self::Preparing(p) => Self::Preparing(p.clone()),
        }
    }
}

/// A preparation in flight; waiters block on `done` until `result` is set.
struct Preparation<V> {
    result: Mutex<Option<Result<Arc<V>, Error>>>,
    done: Condvar,
}

impl<V> Preparation<V> {
    fn finish(&self, result: Result<Arc<V>, Error>) {
        *self.result.lock() = Some(result);
        self.done.notify_all();
    }

    fn wait(&self) -> Result<Arc<V>, Error> {
        let mut result = self.result.lock();
        while result.is_none() {
            self.done.wait(&mut result);
        }
        result.clone().expect("loop exits once set")
    }
}

/// Completes a preparation and settles its cache entry, also when the preparing closure panics
/// (then waiters get an error and the entry is dropped, so a later call retries).
struct Settle<'a, V> {
    cache: &'a RuntimeCache<V>,
    key: CacheKey,
    preparation: Arc<Preparation<V>>,
    finished: bool,
}

impl<V> Settle<'_, V> {
    fn finish(mut self, result: &Result<Arc<V>, Error>) {
        self.finished = true;
        self.preparation.finish(result.clone());
        let mut entries = self.cache.entries.lock();
        if self.is_current(&entries) {
            match result {
                Ok(runtime) => {
                    self.cache
                        .insert(&mut entries, self.key, Entry::Ready(runtime.clone()))
                }
                Err(_) => {
                    entries.pop(&self.key);
                }
            }
        }
    }

    /// Whether the cache still holds this preparation (it may have been evicted meanwhile).
    fn is_current(&self, entries: &LruCache<CacheKey, Entry<V>>) -> bool {
        matches!(entries.peek(&self.key), Some(Entry::Preparing(p)) if Arc::ptr_eq(p, &self.preparation))
    }
}

impl<V> Drop for Settle<'_, V> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.preparation.finish(Err(Error::Compilation(
            "runtime preparation panicked".into(),
        )));
        let mut entries = self.cache.entries.lock();
        if self.is_current(&entries) {
            entries.pop(&self.key);
        }
    }
}

/// The cache itself.
pub(crate) struct RuntimeCache<V> {
    entries: Mutex<LruCache<CacheKey, Entry<V>>>,
    counters: Counters,
}

impl<V> RuntimeCache<V> {
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
            counters: Counters::default(),
        }
    }

    /// The runtime for `key`, preparing it with `prepare` on a miss.
    pub fn get_or_prepare(
        &self,
        key: CacheKey,
        prepare: impl FnOnce() -> Result<(V, Origin), Error>,
    ) -> Result<Arc<V>, Error> {
        let preparation = {
            let mut entries = self.entries.lock();
            if let Some(entry) = entries.get(&key).cloned() {
                drop(entries);
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                return match entry {
                    Entry::Ready(runtime) => Ok(runtime),
                    Entry::Preparing(preparation) => preparation.wait(),
                };
            }
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
            let preparation = Arc::new(Preparation {
                result: Mutex::new(None),
                done: Condvar::new(),
            });
            self.insert(&mut entries, key, Entry::Preparing(preparation.clone()));
            preparation
        };
        tracing::debug!(target: "executor", code_hash = %hex(&key.code_hash), "runtime cache miss");

        let settle = Settle {
            cache: self,
            key,
            preparation,
            finished: false,
        };
        let result = prepare().map(|(runtime, origin)| {
            let counter = match origin {
                Origin::Compiled => &self.counters.compilations,
                Origin::LoadedArtifact => &self.counters.artifact_loads,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            Arc::new(runtime)
        });
        settle.finish(&result);
        result
    }

    fn insert(&self, entries: &mut LruCache<CacheKey, Entry<V>>, key: CacheKey, entry: Entry<V>) {
        if let Some((evicted, _)) = entries.push(key, entry) {
            if evicted != key {
                self.counters.evictions.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(target: "executor", code_hash = %hex(&evicted.code_hash), "runtime evicted from cache");
            }
        }
    }

    pub fn stats(&self) -> CacheStats {
        let c = &self.counters;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            compilations: c.compilations.load(Ordering::Relaxed),
            artifact_loads: c.artifact_loads.load(Ordering::Relaxed),
            evictions: c.evictions.load(Ordering::Relaxed),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::{sync::Barrier, thread, time::Duration};

    use super::*;

    fn key(n: u8) -> CacheKey {
        CacheKey {
            code_hash: [n; 32],
            fingerprint: 0,
            heap_pages: 0,
        }
    }

    #[test]
    fn hits_misses_evictions() {
        let cache = RuntimeCache::new(NonZeroUsize::new(2).unwrap());
        let ok = |v: u32| move || Ok((v, Origin::Compiled));
        assert_eq!(*cache.get_or_prepare(key(1), ok(1)).unwrap(), 1);
        assert_eq!(*cache.get_or_prepare(key(1), ok(99)).unwrap(), 1);
        cache
            .get_or_prepare(key(2), || Ok((2, Origin::LoadedArtifact)))
            .unwrap();
        cache.get_or_prepare(key(3), ok(3)).unwrap();
        // key 1 was least recently used and is gone.
        assert_eq!(*cache.get_or_prepare(key(1), ok(10)).unwrap(), 10);
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 1,
                misses: 4,
                compilations: 3,
                artifact_loads: 1,
                evictions: 2
            }
        );
    }

    #[test]
    fn failures_are_not_cached() {
        let cache = RuntimeCache::<u32>::new(NonZeroUsize::new(2).unwrap());
        let err = cache
            .get_or_prepare(key(1), || Err(Error::InvalidBlob("bad".into())))
            .unwrap_err();
        assert_eq!(err, Error::InvalidBlob("bad".into()));
        assert_eq!(
            *cache
                .get_or_prepare(key(1), || Ok((5, Origin::Compiled)))
                .unwrap(),
            5
        );
    }

    #[test]
    fn concurrent_callers_share_one_preparation() {
        let cache = Arc::new(RuntimeCache::new(NonZeroUsize::new(2).unwrap()));
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (cache, barrier) = (cache.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    *cache
                        .get_or_prepare(key(1), || {
                            thread::sleep(Duration::from_millis(100));
                            Ok((7u32, Origin::Compiled))
                        })
                        .unwrap()
                })
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), 7);
        }
        let stats = cache.stats();
        assert_eq!((stats.compilations, stats.misses, stats.hits), (1, 1, 7));
    }

    #[test]
    fn panicking_preparation_releases_waiters() {
        let cache = Arc::new(RuntimeCache::<u32>::new(NonZeroUsize::new(2).unwrap()));
        let c = cache.clone();
        let panicker = thread::spawn(move || {
            let _ = c.get_or_prepare(key(1), || {
                thread::sleep(Duration::from_millis(50));
                panic!("boom")
            });
        });
        thread::sleep(Duration::from_millis(10));
        let waited = cache.get_or_prepare(key(1), || Ok((1, Origin::Compiled)));
        assert!(panicker.join().is_err());
        // Either we waited on the panicking preparation or prepared after it was dropped.
        assert!(matches!(waited, Ok(_) | Err(Error::Compilation(_))));
        // Either way the failed preparation is not cached.
        assert!(cache
            .get_or_prepare(key(1), || Ok((2, Origin::Compiled)))
            .is_ok());
    }
}

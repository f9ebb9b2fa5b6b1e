//! A Substrate runtime executor on wasmtime.
//!
//! [`Executor::call`] runs an export of a runtime (`Core_version`, `Core_execute_block`, ...)
//! with SCALE input and output, against the state behind an [`Externalities`]. Compiled
//! runtimes are cached by code hash (`cache`) and, with an artifact directory, kept on disk
//! precompiled (`artifact`); every call gets an instance in the configured
//! [`InstantiationStrategy`] (`instance`), with the Substrate host API (`host`) linked in.
//! Every strategy gives byte-identical results.

pub mod allocator;
mod artifact;
pub mod blob;
mod cache;
mod config;
mod deadline;
mod engine;
mod error;
pub mod externalities;
mod host;
mod instance;
pub mod keystore;
mod runtime;
mod strategy;
mod version;

use std::{
    borrow::Cow,
    num::NonZeroUsize,
    sync::{Arc, OnceLock, Weak},
    time::Duration,
};

use parking_lot::{Condvar, Mutex};
use wasmtime::Linker;

use crate::{
    artifact::ArtifactStore,
    cache::{CacheKey, RuntimeCache},
    deadline::EpochTicker,
    engine::RuntimeEngine,
    externalities::InMemoryExternalities,
    instance::{call::Call, fresh, HostState, VersionReader},
    runtime::{Compiler, Runtime},
};
pub use crate::{
    cache::CacheStats,
    config::{
        ExecutorConfig, HeapAllocStrategy, MAX_INSTANCES_LIMIT, MAX_WASM_PAGES, WASM_PAGE_SIZE,
    },
    engine::{MAX_WASM_STACK, WASMTIME_VERSION},
    error::{Error, Result},
    externalities::{Externalities, StateVersion},
    instance::call::CallOptions,
    strategy::{InstantiationStrategy, UnknownStrategy},
    version::{RuntimeVersion, CORE_API_ID},
};

/// The runtime code to call: its hash, its heap pages and a way to get its bytes, which are
/// only fetched when the compiled runtime is not cached.
pub struct RuntimeCode<'a> {
    /// blake2-256 of the code as stored under `:code` (possibly compressed).
    pub hash: [u8; 32],
    /// The `:heappages` value, if the state has one.
    pub heap_pages: Option<u64>,
    source: CodeSource<'a>,
}

enum CodeSource<'a> {
    Bytes(&'a [u8]),
    Fetch(&'a (dyn Fn() -> Option<Cow<'a, [u8]>> + Sync)),
}

impl<'a> RuntimeCode<'a> {
    /// Code given as bytes (hashed here).
    pub fn from_bytes(code: &'a [u8]) -> Self {
        Self {
            hash: sp_crypto_hashing::blake2_256(code),
            heap_pages: None,
            source: CodeSource::Bytes(code),
        }
    }

    /// Code known by hash, fetched with `fetch` only if it is not cached.
    pub fn lazy(hash: [u8; 32], fetch: &'a (dyn Fn() -> Option<Cow<'a, [u8]>> + Sync)) -> Self {
        Self {
            hash,
            heap_pages: None,
            source: CodeSource::Fetch(fetch),
        }
    }

    /// Sets the `:heappages` value.
    pub fn with_heap_pages(mut self, heap_pages: Option<u64>) -> Self {
        self.heap_pages = heap_pages;
        self
    }

    fn fetch(&self) -> Result<Cow<'a, [u8]>> {
        match &self.source {
            CodeSource::Bytes(bytes) => Ok(Cow::Borrowed(bytes)),
            CodeSource::Fetch(fetch) => fetch()
                .ok_or_else(|| Error::InvalidBlob("the runtime code could not be fetched".into())),
        }
    }
}

/// Runs runtime calls. Cheap to share: `Executor` is `Send + Sync` and calls run in parallel,
/// at most `max_instances` at a time.
pub struct Executor {
    inner: Arc<Inner>,
}

struct Inner {
    config: ExecutorConfig,
    /// Runs calls without a deadline (block execution): no interruption checks in the code.
    engine: LinkedEngine,
    /// Runs calls with a deadline (RPC, off-chain), created on first use. Its code checks the
    /// engine's epoch at every loop and call, which makes loop-heavy runtime code up to twice
    /// as slow (Westend `Metadata_metadata`: 160 us without, 300 us with), so block execution
    /// does not pay for it.
    deadline_engine: OnceLock<Result<(LinkedEngine, EpochTicker)>>,
    /// Compiles blobs whose version is asked for by a runtime (`ext_misc_runtime_version`)
    /// outside the cache and the instance pool, so such calls never wait on themselves.
    version_engine: OnceLock<Result<LinkedEngine>>,
    cache: RuntimeCache<Runtime>,
    artifacts: Option<ArtifactStore>,
    permits: Semaphore,
    this: Weak<Inner>,
}

/// An engine and the linker with the host functions for it.
struct LinkedEngine {
    engine: RuntimeEngine,
    linker: Linker<HostState>,
}

impl LinkedEngine {
    fn new(config: &ExecutorConfig, interruptible: bool) -> Result<Self> {
        let engine = RuntimeEngine::new(config, interruptible)?;
        let mut linker = Linker::new(&engine.engine);
        host::register(&mut linker)
            .map_err(|e| Error::Config(format!("cannot register host functions: {e:#}")))?;
        Ok(Self { engine, linker })
    }
}

impl Executor {
    /// Builds an executor; fails on an invalid configuration or an unusable artifact directory.
    pub fn new(config: ExecutorConfig) -> Result<Self> {
        config.validate()?;
        if config.strategy == InstantiationStrategy::LegacyInstanceReuse {
            instance::legacy::warn_deprecated();
        }
        let engine = LinkedEngine::new(&config, false)?;
        let artifacts = config
            .artifact_dir
            .as_deref()
            .map(ArtifactStore::open)
            .transpose()?;
        let cache_size = NonZeroUsize::new(config.runtime_cache_size).expect("validated");
        tracing::debug!(target: "executor", strategy = %engine.engine.strategy, "executor ready");
        let inner = Arc::new_cyclic(|this| Inner {
            permits: Semaphore::new(config.max_instances),
            config,
            engine,
            deadline_engine: OnceLock::new(),
            version_engine: OnceLock::new(),
            cache: RuntimeCache::new(cache_size),
            artifacts,
            this: this.clone(),
        });
        Ok(Self { inner })
    }

    /// The configuration this executor was built with.
    pub fn config(&self) -> &ExecutorConfig {
        &self.inner.config
    }

    /// The strategy in effect (copy-on-write falls back where it cannot work).
    pub fn strategy(&self) -> InstantiationStrategy {
        self.inner.engine.engine.strategy
    }

    /// Calls `method` with SCALE-encoded `input`; returns the runtime's SCALE output.
    pub fn call(
        &self,
        code: &RuntimeCode<'_>,
        method: &str,
        input: &[u8],
        ext: &mut dyn Externalities,
    ) -> Result<Vec<u8>> {
        self.call_with_options(code, method, input, ext, &CallOptions::default())
    }

    /// Like [`call`](Self::call), but stops the call with [`Error::Timeout`] once `deadline` has
    /// passed (for off-chain and RPC calls; block execution has no deadline).
    pub fn call_with_deadline(
        &self,
        code: &RuntimeCode<'_>,
        method: &str,
        input: &[u8],
        ext: &mut dyn Externalities,
        deadline: Duration,
    ) -> Result<Vec<u8>> {
        let options = CallOptions {
            deadline: Some(deadline),
            ..Default::default()
        };
        self.call_with_options(code, method, input, ext, &options)
    }

    /// Like [`call`](Self::call), with a deadline and/or a keystore.
    pub fn call_with_options(
        &self,
        code: &RuntimeCode<'_>,
        method: &str,
        input: &[u8],
        ext: &mut dyn Externalities,
        options: &CallOptions,
    ) -> Result<Vec<u8>> {
        self.inner.call(
            code,
            Call {
                method,
                input,
                options,
            },
            ext,
        )
    }

    /// The runtime's version: from its custom sections, or else by calling `Core_version`.
    pub fn runtime_version(&self, code: &RuntimeCode<'_>) -> Result<RuntimeVersion> {
        let runtime = self.inner.runtime_for(code, &CallOptions::default())?;
        self.inner.version_of(&runtime, code)
    }

    /// Compiles `code` (or loads its artifact) into the cache ahead of its first call.
    pub fn precompile(&self, code: &RuntimeCode<'_>) -> Result<()> {
        self.precompile_with(code, &CallOptions::default())
    }

    /// Like [`precompile`](Self::precompile), for calls with `options`: calls with a deadline
    /// run code compiled with interruption checks, prepared separately.
    pub fn precompile_with(&self, code: &RuntimeCode<'_>, options: &CallOptions) -> Result<()> {
        self.inner.runtime_for(code, options).map(drop)
    }

    /// `module:name` of the runtime's imports that no host function serves.
    pub fn missing_host_functions(&self, code: &RuntimeCode<'_>) -> Result<Vec<String>> {
        let runtime = self.inner.runtime_for(code, &CallOptions::default())?;
        Ok(runtime.missing_imports.clone())
    }

    /// What the runtime cache has done so far.
    pub fn cache_stats(&self) -> CacheStats {
        self.inner.cache.stats()
    }
}

impl Inner {
    fn call(
        &self,
        code: &RuntimeCode<'_>,
        call: Call<'_>,
        ext: &mut dyn Externalities,
    ) -> Result<Vec<u8>> {
        let heap = self.heap(code);
        let runtime = self.runtime(code, heap, self.engine_for(call.options)?)?;
        let _permit = self.permits.acquire();
        let _span = tracing::debug_span!(target: "executor", "runtime_call", method = call.method)
            .entered();
        match &runtime.legacy {
            Some(pool) => pool.call(&runtime, heap, call, ext),
            None => fresh::call(&runtime, heap, call, ext),
        }
    }

    /// The compiled runtime for `code` whose memory fits `heap`: compiled with the default heap
    /// built in, and grown at instantiation for a larger one; a heap smaller than the default
    /// needs its own compilation (memory cannot shrink).
    fn runtime(
        &self,
        code: &RuntimeCode<'_>,
        heap: HeapAllocStrategy,
        engine: &LinkedEngine,
    ) -> Result<Arc<Runtime>> {
        let key = CacheKey {
            code_hash: code.hash,
            fingerprint: engine.engine.fingerprint,
            heap_pages: self.built_in_heap_pages(heap),
        };
        self.cache.get_or_prepare(key, || {
            let bytes = code.fetch()?;
            self.compiler(engine, self.artifacts.as_ref())
                .prepare(&key, &bytes)
        })
    }

    /// The engine for calls with `options`: with interruption checks only if they need them.
    fn engine_for(&self, options: &CallOptions) -> Result<&LinkedEngine> {
        if options.deadline.is_none() {
            return Ok(&self.engine);
        }
        self.deadline_engine
            .get_or_init(|| {
                let engine = LinkedEngine::new(&self.config, true)?;
                let ticker = EpochTicker::start(engine.engine.engine.clone());
                Ok((engine, ticker))
            })
            .as_ref()
            .map(|(engine, _)| engine)
            .map_err(Clone::clone)
    }

    fn runtime_for(&self, code: &RuntimeCode<'_>, options: &CallOptions) -> Result<Arc<Runtime>> {
        self.runtime(code, self.heap(code), self.engine_for(options)?)
    }

    /// Heap pages to build into a runtime's memory for calls with `heap`.
    fn built_in_heap_pages(&self, heap: HeapAllocStrategy) -> u32 {
        let static_pages = |heap| match heap {
            HeapAllocStrategy::Static { extra_pages } => extra_pages,
            HeapAllocStrategy::Dynamic { .. } => 0,
        };
        static_pages(heap).min(static_pages(self.config.default_heap))
    }

    fn heap(&self, code: &RuntimeCode<'_>) -> HeapAllocStrategy {
        HeapAllocStrategy::from_heap_pages(code.heap_pages, self.config.default_heap)
    }

    fn compiler<'a>(
        &'a self,
        engine: &'a LinkedEngine,
        artifacts: Option<&'a ArtifactStore>,
    ) -> Compiler<'a> {
        Compiler {
            engine: &engine.engine,
            linker: &engine.linker,
            artifacts,
            version_reader: Some(self.version_reader()),
        }
    }

    fn version_reader(&self) -> VersionReader {
        let this = self.this.clone();
        Arc::new(move |code: &[u8]| {
            let inner = this
                .upgrade()
                .ok_or_else(|| Error::Version("the executor is gone".into()))?;
            inner.blob_version(code)
        })
    }

    /// The version of `runtime`, calling `Core_version` if its blob has no version sections.
    fn version_of(&self, runtime: &Runtime, code: &RuntimeCode<'_>) -> Result<RuntimeVersion> {
        if let Some(version) = runtime.version.get() {
            return Ok(version.clone());
        }
        let output = self.call(
            code,
            Call {
                method: "Core_version",
                input: &[],
                options: &CallOptions::default(),
            },
            &mut InMemoryExternalities::new(),
        )?;
        let version = decode_version(&output)?;
        Ok(runtime.version.get_or_init(|| version).clone())
    }

    /// The SCALE-encoded version of a blob handed over by a runtime: from its sections, or by
    /// instantiating it uncached on a private on-demand engine and calling `Core_version`.
    fn blob_version(&self, code: &[u8]) -> Result<Vec<u8>> {
        let blob = blob::RuntimeBlob::new(code)?;
        if let Some(version) = RuntimeVersion::from_custom_sections(&blob)? {
            return Ok(codec::Encode::encode(&version));
        }
        let engine = self
            .version_engine
            .get_or_init(|| {
                let config = ExecutorConfig {
                    strategy: InstantiationStrategy::RecreateInstance,
                    artifact_dir: None,
                    ..self.config.clone()
                };
                LinkedEngine::new(&config, false)
            })
            .as_ref()
            .map_err(Clone::clone)?;
        let key = CacheKey {
            code_hash: sp_crypto_hashing::blake2_256(code),
            fingerprint: engine.engine.fingerprint,
            heap_pages: self.built_in_heap_pages(self.config.default_heap),
        };
        let (runtime, _) = self.compiler(engine, None).prepare(&key, code)?;
        let call = Call {
            method: "Core_version",
            input: &[],
            options: &CallOptions::default(),
        };
        let output = fresh::call(
            &runtime,
            self.config.default_heap,
            call,
            &mut InMemoryExternalities::new(),
        )?;
        // Like Substrate, the runtime gets `Core_version`'s own bytes, once they decode.
        decode_version(&output)?;
        Ok(output)
    }
}

fn decode_version(output: &[u8]) -> Result<RuntimeVersion> {
    codec::Decode::decode(&mut &output[..])
        .map_err(|e| Error::Version(format!("`Core_version` returned undecodable output: {e}")))
}

/// Bounds how many calls run at once.
struct Semaphore {
    available: Mutex<usize>,
    released: Condvar,
}

struct Permit<'a>(&'a Semaphore);

impl Semaphore {
    fn new(permits: usize) -> Self {
        Self {
            available: Mutex::new(permits),
            released: Condvar::new(),
        }
    }

    fn acquire(&self) -> Permit<'_> {
        let mut available = self.available.lock();
        while *available == 0 {
            self.released.wait(&mut available);
        }
        *available -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.available.lock() += 1;
        self.0.released.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executor_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Executor>();
    }
}

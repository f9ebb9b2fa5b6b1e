//! A compiled runtime: the module ready to instantiate, plus what every call needs to know.

use std::{sync::OnceLock, time::Instant};

use wasmtime::{Instance, InstancePre, Linker, Memory, Module, Store, StoreLimitsBuilder};

use crate::{
    artifact::{ArtifactStore, Rejected},
    blob::RuntimeBlob,
    cache::{hex, CacheKey, Origin},
    config::WASM_PAGE_SIZE,
    engine::RuntimeEngine,
    host,
    instance::{call::memory_and_heap_base, legacy::LegacyPool, HostState, VersionReader},
    Error, HeapAllocStrategy, InstantiationStrategy, RuntimeVersion,
};

/// A runtime compiled for one engine.
pub(crate) struct Runtime {
    pub instance_pre: InstancePre<HostState>,
    engine: wasmtime::Engine,
    initial_pages: u32,
    /// The version from the blob's custom sections, or from `Core_version` once asked.
    pub version: OnceLock<RuntimeVersion>,
    /// `module:name` of imports no host function serves (they trap if called).
    pub missing_imports: Vec<String>,
    /// Present for the legacy strategy: its long-lived instances.
    pub legacy: Option<LegacyPool>,
    version_reader: Option<VersionReader>,
}

/// Where compiled code comes from and goes to.
pub(crate) struct Compiler<'a> {
    pub engine: &'a RuntimeEngine,
    pub linker: &'a Linker<HostState>,
    pub artifacts: Option<&'a ArtifactStore>,
    pub version_reader: Option<VersionReader>,
}

impl Compiler<'_> {
    /// Prepares `code` (as stored on chain, hashing to `code_hash`): loads its artifact if one
    /// is intact, else compiles it (and writes the artifact).
    pub fn prepare(&self, key: &CacheKey, code: &[u8]) -> Result<(Runtime, Origin), Error> {
        let blob = RuntimeBlob::new(code)?;
        let (module, origin) = match self.artifacts {
            Some(artifacts) => self.load_or_compile(artifacts, key, &blob)?,
            None => (self.compile_in_memory(key, &blob)?, Origin::Compiled),
        };
        let legacy = self.legacy();
        Ok((self.finish(&blob, module, legacy)?, origin))
    }

    fn load_or_compile(
        &self,
        artifacts: &ArtifactStore,
        key: &CacheKey,
        blob: &RuntimeBlob,
    ) -> Result<(Module, Origin), Error> {
        let path = artifacts.path(key);
        match artifacts.load(&self.engine.engine, &path) {
            Ok(module) => {
                tracing::debug!(target: "executor", path = %path.display(), "loaded runtime artifact");
                return Ok((module, Origin::LoadedArtifact));
            }
            Err(Rejected::Missing) => {}
            Err(Rejected::Corrupt(_)) => {
                tracing::info!(target: "executor", path = %path.display(), "recompiling a damaged runtime artifact");
            }
        }
        let artifact =
            self.timed_compile(key, blob, |wasm| self.engine.engine.precompile_module(wasm))?;
        if let Err(e) = artifacts.store(&path, &artifact) {
            tracing::warn!(target: "executor", "{e}; keeping the runtime in memory only");
            // SAFETY: the bytes were produced just now by `precompile_module` of this engine.
            let module = unsafe { Module::deserialize(&self.engine.engine, &artifact) }
                .map_err(|e| Error::Compilation(format!("{e:#}")))?;
            return Ok((module, Origin::Compiled));
        }
        // Load from the file so the module is backed by its mapping (copy-on-write images off Linux).
        let module = artifacts
            .load(&self.engine.engine, &path)
            .map_err(|rejected| Error::Artifact {
                path: path.clone(),
                reason: format!("the artifact just written cannot be loaded: {rejected:?}"),
            })?;
        Ok((module, Origin::Compiled))
    }

    fn compile_in_memory(&self, key: &CacheKey, blob: &RuntimeBlob) -> Result<Module, Error> {
        self.timed_compile(key, blob, |wasm| Module::new(&self.engine.engine, wasm))
    }

    fn timed_compile<T>(
        &self,
        key: &CacheKey,
        blob: &RuntimeBlob,
        compile: impl FnOnce(&[u8]) -> wasmtime::Result<T>,
    ) -> Result<T, Error> {
        let wasm = blob.prepare(self.legacy(), key.heap_pages)?;
        let started = Instant::now();
        tracing::info!(
            target: "executor",
            code_hash = %hex(&key.code_hash),
            "compiling runtime ({} KiB of wasm)...",
            wasm.len() / 1024
        );
        let compiled = compile(&wasm).map_err(|e| Error::Compilation(format!("{e:#}")))?;
        tracing::info!(
            target: "executor",
            code_hash = %hex(&key.code_hash),
            "compiled runtime in {:.2?}",
            started.elapsed()
        );
        Ok(compiled)
    }

    /// The legacy strategy needs the blob's mutable globals exported.
    fn legacy(&self) -> bool {
        self.engine.strategy == InstantiationStrategy::LegacyInstanceReuse
    }

    fn finish(&self, blob: &RuntimeBlob, module: Module, legacy: bool) -> Result<Runtime, Error> {
        let mut linker = self.linker.clone();
        let missing_imports = host::stub_missing_imports(&mut linker, &module)
            .map_err(|e| Error::Instantiation(format!("cannot link missing imports: {e:#}")))?;
        if !missing_imports.is_empty() {
            tracing::debug!(target: "executor", ?missing_imports, "runtime imports host functions we do not provide");
        }
        let instance_pre = linker
            .instantiate_pre(&module)
            .map_err(|e| Error::Instantiation(format!("{e:#}")))?;
        let version = OnceLock::new();
        if let Some(from_sections) = RuntimeVersion::from_custom_sections(blob)? {
            let _ = version.set(from_sections);
        }
        Ok(Runtime {
            instance_pre,
            engine: self.engine.engine.clone(),
            initial_pages: blob.initial_memory_pages()?,
            version,
            missing_imports,
            legacy: if legacy {
                Some(LegacyPool::new(blob)?)
            } else {
                None
            },
            version_reader: self.version_reader.clone(),
        })
    }
}

/// A new instance in its own store, with its memory sized for the call's heap.
pub(crate) struct NewInstance {
    pub store: Store<HostState>,
    pub instance: Instance,
    pub memory: Memory,
    pub heap_base: u32,
}

impl Runtime {
    /// Instantiates the runtime in a new store whose memory starts at, and may grow to, what
    /// `heap` says.
    pub fn instantiate(&self, heap: HeapAllocStrategy) -> Result<NewInstance, Error> {
        let mut store = self.new_store(heap);
        let instance = self
            .instance_pre
            .instantiate(&mut store)
            .map_err(|e| Error::Instantiation(format!("{e:#}")))?;
        let (memory, heap_base) = memory_and_heap_base(&mut store, &instance)?;
        self.grow_to_initial_heap(&mut store, memory, heap)?;
        Ok(NewInstance {
            store,
            instance,
            memory,
            heap_base,
        })
    }

    /// A store limited to the memory `heap` allows.
    fn new_store(&self, heap: HeapAllocStrategy) -> Store<HostState> {
        let (_, max_pages) = heap.memory_pages(self.initial_pages);
        let limits = StoreLimitsBuilder::new()
            .memory_size(max_pages as usize * WASM_PAGE_SIZE as usize)
            .instances(1)
            .memories(1)
            .tables(1)
            .build();
        let mut store = Store::new(
            &self.engine,
            HostState::new(limits, max_pages, self.version_reader.clone()),
        );
        store.limiter(|state| &mut state.limits);
        // Instantiation checks the epoch too; the call sets its own deadline later.
        store.set_epoch_deadline(crate::deadline::NO_DEADLINE);
        store
    }

    /// Grows a new instance's memory to the size `heap` starts with.
    fn grow_to_initial_heap(
        &self,
        store: &mut Store<HostState>,
        memory: Memory,
        heap: HeapAllocStrategy,
    ) -> Result<(), Error> {
        let (initial, _) = heap.memory_pages(self.initial_pages);
        let current = memory.size(&*store);
        if u64::from(initial) > current {
            memory
                .grow(&mut *store, u64::from(initial) - current)
                .map_err(|e| {
                    Error::Instantiation(format!(
                        "cannot grow linear memory to {initial} pages: {e}"
                    ))
                })?;
        }
        Ok(())
    }
}

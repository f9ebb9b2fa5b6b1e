//! The chain as the rest of the node sees it: best and finalized blocks, headers, bodies, and
//! the state and runtime at any block.
//!
//! [`Client`] sits on a [`Backend`] (where blocks and states are kept) and the
//! [`Executor`]; runtime calls made for RPC go through [`Client::call`] with a deadline, off
//! the async runtime.

pub mod author;
pub mod backend;
pub mod db;
pub mod import;
pub mod node_cache;
pub mod pool;
pub mod state;

use std::{borrow::Cow, num::NonZeroUsize, sync::Arc, time::Duration};

use codec::Decode;
use executor::{
    externalities::{Changes, OverlayedExternalities, StateBackend},
    Executor, RuntimeCode, RuntimeVersion,
};
use lru::LruCache;
use parking_lot::Mutex;
use substrate_primitives::header::Header;
use tokio::sync::broadcast;

pub use backend::{Backend, ChainInfo, NewBlock};
pub use state::StateAt;

/// A block hash (BLAKE2b-256 of the SCALE header).
pub type Hash = [u8; 32];
/// A block number.
pub type BlockNumber = u32;

/// `0x`-prefixed lower-case hex of a hash (or any bytes).
pub fn hex_hash(hash: &[u8]) -> String {
    HexDisplay(hash).to_string()
}

/// `0x`-prefixed lower-case hex, formatted a chunk at a time without allocating.
pub struct HexDisplay<'a>(pub &'a [u8]);

impl std::fmt::Display for HexDisplay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const CHUNK: usize = 256;
        let mut digits = [0u8; 2 * CHUNK];
        f.write_str("0x")?;
        for chunk in self.0.chunks(CHUNK) {
            let digits = &mut digits[..2 * chunk.len()];
            hex::encode_to_slice(chunk, digits).expect("twice the chunk's length");
            f.write_str(std::str::from_utf8(digits).expect("hex digits are ASCII"))?;
        }
        Ok(())
    }
}

/// What can go wrong reading the chain or calling its runtime. The messages follow
/// Substrate's client errors, which RPC clients may match on.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No block with this hash is known.
    #[error("UnknownBlock: Header was not found in the database: {}", hex_hash(.0))]
    UnknownBlock(Hash),
    /// A block to import has an unknown parent.
    #[error("UnknownBlock: the parent {} of the block is not known", hex_hash(.0))]
    UnknownParent(Hash),
    /// The state at a block has no `:code`.
    #[error("Runtime code error: `:code` not present in the state of block {}", hex_hash(.0))]
    MissingCode(Hash),
    /// The executor failed (including a call that ran past its deadline).
    #[error("Execution failed: {0}")]
    Execution(#[from] executor::Error),
    /// The runtime returned output that does not decode.
    #[error("Execution failed: the output of `{method}` does not decode: {error}")]
    BadOutput {
        /// The runtime entry point.
        method: String,
        /// The decoding error.
        error: codec::Error,
    },
    /// The backend failed.
    #[error("Backend error: {0}")]
    Backend(String),
}

/// What is published when a block is imported.
#[derive(Clone, Debug)]
pub struct BlockImported {
    /// The block's hash.
    pub hash: Hash,
    /// Its header.
    pub header: Header,
    /// Whether it became the best block.
    pub is_new_best: bool,
    /// Its changes to the top-level state (`None`: deleted), for storage subscriptions.
    pub storage_changes: Arc<Changes>,
}

/// How many blocks' [`BlockFacts`] are remembered.
const BLOCK_FACTS_CACHE: NonZeroUsize = NonZeroUsize::new(4096).expect("not zero");

/// What reading the state of a block or calling its runtime needs: remembered per block, so
/// that a call reads neither the header nor `:code` and `:heappages` again.
#[derive(Clone)]
struct BlockFacts {
    /// The state after the block (a view on the trie under its state root).
    state: StateAt,
    /// Filled by the first runtime call at the block (or inherited from the parent).
    runtime: Option<RuntimeFacts>,
}

/// The runtime of a state: the hash of its `:code` and its `:heappages`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RuntimeFacts {
    code_hash: [u8; 32],
    heap_pages: Option<u64>,
}

/// The chain, its states and its runtime.
pub struct Client {
    backend: Arc<dyn Backend>,
    executor: Arc<Executor>,
    blocks: Mutex<LruCache<Hash, BlockFacts>>,
    imported: broadcast::Sender<BlockImported>,
    finalized: broadcast::Sender<Header>,
}

impl Client {
    /// A client over `backend`, running runtimes with `executor`.
    pub fn new(backend: Arc<dyn Backend>, executor: Arc<Executor>) -> Self {
        Self {
            backend,
            executor,
            blocks: Mutex::new(LruCache::new(BLOCK_FACTS_CACHE)),
            imported: broadcast::channel(64).0,
            finalized: broadcast::channel(64).0,
        }
    }

    /// The executor.
    pub fn executor(&self) -> &Arc<Executor> {
        &self.executor
    }

    /// Best, finalized and genesis blocks.
    pub fn info(&self) -> ChainInfo {
        self.backend.info()
    }

    /// The header of `hash`, if known.
    pub fn header(&self, hash: &Hash) -> Result<Option<Header>, ClientError> {
        self.backend.header(hash)
    }

    /// The extrinsics of `hash`, if known.
    pub fn body(&self, hash: &Hash) -> Result<Option<Vec<Vec<u8>>>, ClientError> {
        self.backend.body(hash)
    }

    /// The hash of canonical block `number`, if there is one.
    pub fn hash(&self, number: BlockNumber) -> Result<Option<Hash>, ClientError> {
        self.backend.hash(number)
    }

    /// `at`, or the best block if `None`.
    pub fn block_or_best(&self, at: Option<Hash>) -> Hash {
        at.unwrap_or_else(|| self.info().best_hash)
    }

    /// The header of the best block.
    pub fn best_header(&self) -> Result<Header, ClientError> {
        let hash = self.info().best_hash;
        self.header(&hash)?.ok_or(ClientError::UnknownBlock(hash))
    }

    /// The header of the last finalized block.
    pub fn finalized_header(&self) -> Result<Header, ClientError> {
        let hash = self.info().finalized_hash;
        self.header(&hash)?.ok_or(ClientError::UnknownBlock(hash))
    }

    /// The state after block `at`.
    pub fn state_at(&self, at: &Hash) -> Result<StateAt, ClientError> {
        Ok(self.block_facts(at)?.state)
    }

    /// A storage proof of `keys` in the state after block `at` (Substrate's `StorageProof`).
    pub fn read_proof(&self, at: &Hash, keys: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, ClientError> {
        let header = self.header(at)?.ok_or(ClientError::UnknownBlock(*at))?;
        self.backend.read_proof(header.state_root, keys)
    }

    /// The value of `key` in the state after block `at`.
    pub fn storage(&self, at: &Hash, key: &[u8]) -> Result<Option<Vec<u8>>, ClientError> {
        Ok(self.state_at(at)?.storage(key))
    }

    fn block_facts(&self, at: &Hash) -> Result<BlockFacts, ClientError> {
        if let Some(facts) = self.blocks.lock().get(at) {
            return Ok(facts.clone());
        }
        let header = self.header(at)?.ok_or(ClientError::UnknownBlock(*at))?;
        let facts = BlockFacts {
            state: self.backend.state_with_root(header.state_root),
            runtime: None,
        };
        self.blocks.lock().put(*at, facts.clone());
        Ok(facts)
    }

    /// The hash of the runtime code in the state after block `at`.
    pub fn code_hash(&self, at: &Hash) -> Result<[u8; 32], ClientError> {
        self.with_code(at, |_, code| Ok(code.hash))
    }

    /// Runs `f` with the state after block `at` and its runtime code.
    pub(crate) fn with_code<R>(
        &self,
        at: &Hash,
        f: impl FnOnce(&StateAt, &RuntimeCode<'_>) -> Result<R, ClientError>,
    ) -> Result<R, ClientError> {
        let facts = self.block_facts(at)?;
        let state = &facts.state;
        let runtime = match facts.runtime {
            Some(runtime) => runtime,
            None => {
                let code = state.code().ok_or(ClientError::MissingCode(*at))?;
                let runtime = RuntimeFacts {
                    code_hash: sp_crypto_hashing::blake2_256(&code),
                    heap_pages: state.heap_pages(),
                };
                self.blocks.lock().put(
                    *at,
                    BlockFacts {
                        runtime: Some(runtime),
                        ..facts.clone()
                    },
                );
                runtime
            }
        };
        let fetch = || state.code().map(Cow::Owned);
        let code = RuntimeCode::lazy(runtime.code_hash, &fetch).with_heap_pages(runtime.heap_pages);
        f(state, &code)
    }

    /// The version of the runtime at block `at`.
    pub fn runtime_version(&self, at: &Hash) -> Result<RuntimeVersion, ClientError> {
        self.with_code(at, |_, code| Ok(self.executor.runtime_version(code)?))
    }

    /// Calls runtime entry point `method` with `input` on the state after block `at`, and
    /// discards its changes. With a `deadline`, a call running longer is stopped with
    /// [`executor::Error::Timeout`].
    pub fn call(
        &self,
        at: &Hash,
        method: &str,
        input: &[u8],
        deadline: Option<Duration>,
    ) -> Result<Vec<u8>, ClientError> {
        self.with_code(at, |state, code| {
            let mut ext = OverlayedExternalities::with_backend(state.clone());
            let output = match deadline {
                Some(deadline) => self
                    .executor
                    .call_with_deadline(code, method, input, &mut ext, deadline),
                None => self.executor.call(code, method, input, &mut ext),
            }?;
            Ok(output)
        })
    }

    /// The runtime's metadata at `at` (the bytes inside `OpaqueMetadata`).
    pub fn metadata(&self, at: &Hash, deadline: Option<Duration>) -> Result<Vec<u8>, ClientError> {
        let method = "Metadata_metadata";
        let output = self.call(at, method, &[], deadline)?;
        Vec::<u8>::decode(&mut &output[..]).map_err(|error| ClientError::BadOutput {
            method: method.into(),
            error,
        })
    }

    /// Receives every block imported from now on.
    pub fn import_notifications(&self) -> broadcast::Receiver<BlockImported> {
        self.imported.subscribe()
    }

    /// Receives the header of every block finalized from now on.
    pub fn finality_notifications(&self) -> broadcast::Receiver<Header> {
        self.finalized.subscribe()
    }

    /// Stores a block and tells the subscribers (import and authoring come here). A block that
    /// sets new runtime code has it compiled in the background, for the blocks and calls that
    /// follow.
    pub fn insert_block(&self, block: NewBlock, best: bool) -> Result<Hash, ClientError> {
        let hash = self.backend.insert_block(&block, best)?;
        let NewBlock {
            header, changes, ..
        } = block;
        let new_code = changes.top.get(state::CODE_KEY).cloned().flatten();
        let runtime_changed = changes.top.contains_key(state::CODE_KEY)
            || changes.top.contains_key(state::HEAP_PAGES_KEY);
        let storage_changes = Arc::new(changes.top);
        let mut blocks = self.blocks.lock();
        let inherited = blocks
            .peek(&header.parent_hash)
            .and_then(|parent| parent.runtime)
            .filter(|_| !runtime_changed);
        blocks.put(
            hash,
            BlockFacts {
                state: self.backend.state_with_root(header.state_root),
                runtime: inherited,
            },
        );
        drop(blocks);
        if let Some(code) = new_code {
            self.precompile_in_background(hash, code);
        }
        let _ = self.imported.send(BlockImported {
            hash,
            header,
            is_new_best: best,
            storage_changes,
        });
        Ok(hash)
    }

    /// Compiles `code` (set by block `at`) on a background thread, for block execution and
    /// for RPC calls (which run with a deadline), so the first block and calls using it do not
    /// wait for the compilation.
    fn precompile_in_background(&self, at: Hash, code: Vec<u8>) {
        let executor = self.executor.clone();
        let heap_pages = self.state_at(&at).ok().and_then(|state| state.heap_pages());
        let spawned = std::thread::Builder::new()
            .name("precompile-runtime".into())
            .spawn(move || {
                let code = RuntimeCode::from_bytes(&code).with_heap_pages(heap_pages);
                tracing::info!(
                    "⚙️  New runtime code in block {} (code hash {}): compiling it",
                    hex_hash(&at),
                    hex_hash(&code.hash)
                );
                let options = executor::CallOptions {
                    deadline: Some(Duration::from_secs(3600)),
                    ..Default::default()
                };
                let result = executor
                    .precompile(&code)
                    .and_then(|()| executor.precompile_with(&code, &options));
                if let Err(e) = result {
                    tracing::warn!("cannot precompile the runtime of {}: {e}", hex_hash(&at));
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the precompilation thread: {e}");
        }
    }

    /// Finalizes `hash` and tells the subscribers.
    pub fn finalize(&self, hash: &Hash) -> Result<(), ClientError> {
        self.backend.finalize(hash)?;
        if let Some(header) = self.header(hash)? {
            let _ = self.finalized.send(header);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use executor::ExecutorConfig;

    pub(crate) fn dev_client(dir: &std::path::Path) -> Client {
        let executor = Arc::new(Executor::new(ExecutorConfig::default()).unwrap());
        let genesis = crate::service::genesis(chain_spec::dev(), &executor).unwrap();
        let db = db::ChainDb::open(
            dir,
            db::GenesisBlock {
                header: &genesis.header,
                storage: &genesis.storage,
                state_version: genesis.version.state_version(),
            },
        )
        .unwrap();
        Client::new(Arc::new(db), executor)
    }

    /// The remembered runtime of `at`, if any.
    fn remembered_runtime(client: &Client, at: &Hash) -> Option<RuntimeFacts> {
        client
            .blocks
            .lock()
            .peek(at)
            .and_then(|facts| facts.runtime)
    }

    #[test]
    fn blocks_remember_their_runtime_until_it_changes() {
        use runtime_wasm::tx;

        let dir = tempfile::tempdir().unwrap();
        let client = dev_client(dir.path());
        let genesis = client.info().genesis_hash;
        let genesis_runtime = RuntimeFacts {
            code_hash: client.code_hash(&genesis).unwrap(),
            heap_pages: None,
        };
        assert_eq!(remembered_runtime(&client, &genesis), Some(genesis_runtime));

        // A block that leaves `:code` and `:heappages` alone shares its parent's runtime.
        let storage_only =
            author::build_block(&client, genesis, &[tx::set_storage(b"k", b"v")]).unwrap();
        assert_eq!(storage_only.included.len(), 1);
        assert_eq!(
            remembered_runtime(&client, &storage_only.hash),
            Some(genesis_runtime)
        );

        // One that sets `:heappages` does not: its runtime is looked up again, from its state.
        let more_heap =
            author::build_block(&client, storage_only.hash, &[tx::set_heap_pages(4096)]).unwrap();
        assert_eq!(more_heap.included.len(), 1);
        assert_eq!(remembered_runtime(&client, &more_heap.hash), None);
        client
            .call(&more_heap.hash, "Core_version", &[], None)
            .unwrap();
        assert_eq!(
            remembered_runtime(&client, &more_heap.hash),
            Some(RuntimeFacts {
                heap_pages: Some(4096),
                ..genesis_runtime
            })
        );

        // Forgotten blocks are read from the database again.
        client.blocks.lock().clear();
        assert_eq!(
            client.storage(&storage_only.hash, b"k").unwrap(),
            Some(b"v".to_vec())
        );
        assert_eq!(client.storage(&genesis, b"k").unwrap(), None);
        assert_eq!(
            client.code_hash(&more_heap.hash).unwrap(),
            genesis_runtime.code_hash
        );
    }

    #[test]
    fn calls_and_versions_at_genesis() {
        let dir = tempfile::tempdir().unwrap();
        let client = dev_client(dir.path());
        let genesis = client.info().genesis_hash;
        assert_eq!(
            genesis,
            chain_spec::dev()
                .genesis_hash(trie::StateVersion::V1)
                .unwrap()
        );
        let version = client.runtime_version(&genesis).unwrap();
        assert_eq!(version.spec_name, runtime_wasm::SPEC_NAME);
        let output = client.call(&genesis, "Core_version", &[], None).unwrap();
        assert_eq!(RuntimeVersion::decode(&mut &output[..]).unwrap(), version);
        let metadata = client.metadata(&genesis, None).unwrap();
        assert_eq!(&metadata[..4], b"meta");

        let unknown = [0xee; 32];
        let err = client
            .call(&unknown, "Core_version", &[], None)
            .unwrap_err();
        assert!(
            matches!(err, ClientError::UnknownBlock(h) if h == unknown),
            "{err}"
        );
        let err = client
            .call(
                &genesis,
                "TestApi_infinite_loop",
                &[],
                Some(Duration::from_millis(50)),
            )
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Execution(executor::Error::Timeout(_))),
            "{err}"
        );
        assert!(err.to_string().starts_with("Execution failed: "), "{err}");
    }
}

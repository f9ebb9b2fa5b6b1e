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
pub mod pool;
pub mod state;

use std::{borrow::Cow, collections::HashMap, sync::Arc, time::Duration};

use chain_spec::header::Header;
use codec::Decode;
use executor::{
    externalities::{OverlayedExternalities, StateBackend},
    Executor, RuntimeCode, RuntimeVersion,
};
use parking_lot::Mutex;
use tokio::sync::broadcast;

pub use backend::{Backend, ChainInfo, NewBlock};
pub use state::StateAt;

/// A block hash (BLAKE2b-256 of the SCALE header).
pub type Hash = [u8; 32];
/// A block number.
pub type BlockNumber = u32;

/// `0x`-prefixed lower-case hex of a hash.
pub fn hex_hash(hash: &[u8]) -> String {
    format!("0x{}", hex::encode(hash))
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
}

/// How many code hashes (one per block asked about) are remembered.
const CODE_HASH_CACHE: usize = 4096;

/// The chain, its states and its runtime.
pub struct Client {
    backend: Arc<dyn Backend>,
    executor: Arc<Executor>,
    /// Block hash → blake2-256 of its `:code`, so calls need not read and hash the code.
    code_hashes: Mutex<HashMap<Hash, [u8; 32]>>,
    imported: broadcast::Sender<BlockImported>,
    finalized: broadcast::Sender<Header>,
}

impl Client {
    /// A client over `backend`, running runtimes with `executor`.
    pub fn new(backend: Arc<dyn Backend>, executor: Arc<Executor>) -> Self {
        Self {
            backend,
            executor,
            code_hashes: Mutex::new(HashMap::new()),
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
        self.backend
            .state_at(at)?
            .ok_or(ClientError::UnknownBlock(*at))
    }

    /// The value of `key` in the state after block `at`.
    pub fn storage(&self, at: &Hash, key: &[u8]) -> Result<Option<Vec<u8>>, ClientError> {
        Ok(self.state_at(at)?.storage(key))
    }

    /// Runs `f` with the runtime code of the state `state` of block `at`.
    pub(crate) fn with_code<R>(
        &self,
        at: &Hash,
        state: &StateAt,
        f: impl FnOnce(&RuntimeCode<'_>) -> Result<R, ClientError>,
    ) -> Result<R, ClientError> {
        let cached = self.code_hashes.lock().get(at).copied();
        let code_hash = match cached {
            Some(hash) => hash,
            None => {
                let code = state.code().ok_or(ClientError::MissingCode(*at))?;
                let hash = sp_crypto_hashing::blake2_256(&code);
                let mut cache = self.code_hashes.lock();
                if cache.len() >= CODE_HASH_CACHE {
                    cache.clear();
                }
                cache.insert(*at, hash);
                hash
            }
        };
        let fetch = || state.code().map(Cow::Owned);
        let code = RuntimeCode::lazy(code_hash, &fetch).with_heap_pages(state.heap_pages());
        f(&code)
    }

    /// The version of the runtime at block `at`.
    pub fn runtime_version(&self, at: &Hash) -> Result<RuntimeVersion, ClientError> {
        let state = self.state_at(at)?;
        self.with_code(at, &state, |code| {
            Ok(self.executor.runtime_version(code)?)
        })
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
        let state = self.state_at(at)?;
        self.with_code(at, &state, |code| {
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
        let header = block.header.clone();
        let new_code = block.changes.top.get(state::CODE_KEY).cloned().flatten();
        let hash = self.backend.insert_block(block, best)?;
        if let Some(code) = new_code {
            self.precompile_in_background(hash, code);
        }
        let _ = self.imported.send(BlockImported {
            hash,
            header,
            is_new_best: best,
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

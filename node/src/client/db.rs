//! The chain database: parity-db under `<base-path>/chains/<id>/db/full`.
//!
//! # Layout
//! | column | key | value |
//! |---|---|---|
//! | [`META`] | `b"genesis"`, `b"best"`, `b"finalized"` | a block hash |
//! | [`HEADERS`] | block hash | SCALE header |
//! | [`BODIES`] | block hash | SCALE `Vec<Vec<u8>>` (each extrinsic as the block encodes it) |
//! | [`NUMBERS`] | block number, `u32` big endian | hash of the canonical block |
//! | [`STATE`] | node hash | trie node (or a V1 hashed value) |
//!
//! The state is archived: every block's trie nodes are kept (nodes are keyed by hash, so
//! unchanged subtries are shared between blocks), and any block's state is read at its
//! header's state root ([`TrieState`]).
//!
//! # Crash safety
//! Everything a block brings (its trie nodes, header, body, canonical index entries and the
//! new best hash) goes into one parity-db commit, and parity-db applies a commit as a whole:
//! its write-ahead log replays only complete commit records, in order, on reopening. So after
//! a crash at any moment (SIGKILL included) the best block recorded in `META` is one whose
//! header, body and whole state were written with it or before it, and every ancestor too.
//! A block may be lost (if its commit was not yet in the log), never half-stored.

use std::{path::Path, sync::Arc};

use codec::{Decode, Encode};
use executor::externalities::{ChildDeltas, Delta, StateBackend, Storage};
use parity_db::{ColId, Db};
use parking_lot::{Mutex, RwLock};
use substrate_primitives::header::Header;
use trie::{
    db::{self as triedb, NodeStore, Overlay},
    StateVersion, EMPTY_TRIE_ROOT,
};

use super::{
    hex_hash,
    node_cache::{self, TrieNodeCache},
    Backend, BlockNumber, ChainInfo, ClientError, Hash, NewBlock, StateAt,
};

/// Best, finalized and genesis hashes.
pub const META: ColId = 0;
/// Headers by hash.
pub const HEADERS: ColId = 1;
/// Bodies by hash.
pub const BODIES: ColId = 2;
/// Canonical block number → hash.
pub const NUMBERS: ColId = 3;
/// Trie nodes by hash.
pub const STATE: ColId = 4;
const COLUMNS: u8 = 5;

const KEY_GENESIS: &[u8] = b"genesis";
const KEY_BEST: &[u8] = b"best";
const KEY_FINALIZED: &[u8] = b"finalized";

fn db_error(e: impl std::fmt::Display) -> ClientError {
    ClientError::Backend(format!("database error: {e}"))
}

fn number_key(number: BlockNumber) -> [u8; 4] {
    number.to_be_bytes()
}

/// The genesis block to write into a new database (or to check an existing one against).
pub struct GenesisBlock<'a> {
    /// The genesis header.
    pub header: &'a Header,
    /// The genesis state.
    pub storage: &'a Storage,
    /// The trie layout of the genesis runtime.
    pub state_version: StateVersion,
}

/// The parity-db column holding trie nodes, behind the node cache, as a [`NodeStore`].
#[derive(Clone)]
struct Nodes {
    db: Arc<Db>,
    cache: Arc<TrieNodeCache>,
}

impl NodeStore for Nodes {
    fn get(&self, hash: &Hash) -> Option<Vec<u8>> {
        if let Some(node) = self.cache.get(hash) {
            return Some(node.to_vec());
        }
        match self.db.get(STATE, hash) {
            Ok(Some(node)) => {
                self.cache.insert(*hash, &node);
                Some(node)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!("database error reading trie node {}: {e}", hex_hash(hash));
                None
            }
        }
    }
}

/// The chain in parity-db; see the [module documentation](self).
pub struct ChainDb {
    db: Arc<Db>,
    nodes: Nodes,
    info: RwLock<ChainInfo>,
    /// Serialises writers (block insertion, finalization) so the canonical index is computed
    /// against a stable chain.
    write: Mutex<()>,
}

impl ChainDb {
    /// Opens the database at `path` (created if needed). A new database gets `genesis`; an
    /// existing one must have been created for the same genesis block.
    pub fn open(path: &Path, genesis: GenesisBlock<'_>) -> Result<Self, ClientError> {
        std::fs::create_dir_all(path)
            .map_err(|e| db_error(format!("cannot create {}: {e}", path.display())))?;
        let mut options = parity_db::Options::with_columns(path, COLUMNS);
        for column in [HEADERS, BODIES, STATE] {
            // Keys are hashes: parity-db can use them as they are.
            options.columns[column as usize].uniform = true;
        }
        let db = Db::open_or_create(&options)
            .map_err(|e| db_error(format!("cannot open {}: {e}", path.display())))?;
        let db = Arc::new(db);
        let genesis_hash = genesis.header.hash();
        match db.get(META, KEY_GENESIS).map_err(db_error)? {
            Some(stored) if stored == genesis_hash => {}
            Some(stored) => {
                return Err(ClientError::Backend(format!(
                    "the database at {} holds another chain: its genesis block is {}, the chain \
                     spec's is {}",
                    path.display(),
                    hex_hash(&stored),
                    hex_hash(&genesis_hash)
                )))
            }
            None => write_genesis(&db, &genesis)?,
        }
        let hash_at = |key: &[u8]| -> Result<Hash, ClientError> {
            let value = db
                .get(META, key)
                .map_err(db_error)?
                .ok_or_else(|| db_error(format!("missing `{}`", String::from_utf8_lossy(key))))?;
            value
                .as_slice()
                .try_into()
                .map_err(|_| db_error("corrupt meta entry"))
        };
        let best_hash = hash_at(KEY_BEST)?;
        let finalized_hash = hash_at(KEY_FINALIZED)?;
        let nodes = Nodes {
            db: db.clone(),
            cache: Arc::new(TrieNodeCache::new(node_cache::DEFAULT_SIZE)),
        };
        let this = Self {
            db,
            nodes,
            info: RwLock::new(ChainInfo {
                genesis_hash,
                best_hash,
                best_number: 0,
                finalized_hash,
                finalized_number: 0,
            }),
            write: Mutex::new(()),
        };
        let number_of = |hash: &Hash| -> Result<BlockNumber, ClientError> {
            Ok(this
                .header(hash)?
                .ok_or_else(|| db_error(format!("missing header of {}", hex_hash(hash))))?
                .number)
        };
        let best_number = number_of(&best_hash)?;
        let finalized_number = number_of(&finalized_hash)?;
        {
            let mut info = this.info.write();
            info.best_number = best_number;
            info.finalized_number = finalized_number;
        }
        Ok(this)
    }

    /// Replaces the trie node cache with one of `bytes` (0: no cache; the default is
    /// [`node_cache::DEFAULT_SIZE`]).
    pub fn with_trie_cache_size(mut self, bytes: usize) -> Self {
        self.nodes.cache = Arc::new(TrieNodeCache::new(bytes));
        self
    }

    /// The state at state root `root` (which must be a stored block's).
    pub fn state_at_root(&self, root: Hash) -> TrieState {
        TrieState {
            nodes: Arc::new(self.nodes.clone()),
            root,
        }
    }
}

fn write_genesis(db: &Arc<Db>, genesis: &GenesisBlock<'_>) -> Result<(), ClientError> {
    let nodes = Nodes {
        db: db.clone(),
        cache: Arc::new(TrieNodeCache::new(0)),
    };
    let mut overlay = Overlay::new(&nodes);
    let storage = genesis.storage;
    let root = triedb::build_state(
        &mut overlay,
        storage
            .top
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice())),
        storage.children_default.iter().map(|(child, entries)| {
            (
                child.as_slice(),
                entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice())),
            )
        }),
        genesis.state_version,
    )
    .map_err(|e| ClientError::Backend(format!("cannot build the genesis state: {e}")))?;
    if root != genesis.header.state_root {
        return Err(ClientError::Backend(format!(
            "the genesis state's root is {}, the genesis header's {}",
            hex_hash(&root),
            hex_hash(&genesis.header.state_root)
        )));
    }
    let hash = genesis.header.hash().to_vec();
    let mut tx: Vec<(ColId, Vec<u8>, Option<Vec<u8>>)> = overlay
        .into_nodes()
        .into_iter()
        .map(|(node_hash, node)| (STATE, node_hash.to_vec(), Some(node)))
        .collect();
    tx.push((HEADERS, hash.clone(), Some(genesis.header.encode())));
    tx.push((BODIES, hash.clone(), Some(Vec::<Vec<u8>>::new().encode())));
    tx.push((NUMBERS, number_key(0).to_vec(), Some(hash.clone())));
    tx.push((META, KEY_BEST.to_vec(), Some(hash.clone())));
    tx.push((META, KEY_FINALIZED.to_vec(), Some(hash.clone())));
    // Last in the same commit: a database with a genesis entry has the whole genesis block.
    tx.push((META, KEY_GENESIS.to_vec(), Some(hash)));
    db.commit(tx).map_err(db_error)
}

impl Backend for ChainDb {
    fn info(&self) -> ChainInfo {
        *self.info.read()
    }

    fn header(&self, hash: &Hash) -> Result<Option<Header>, ClientError> {
        let Some(bytes) = self.db.get(HEADERS, hash).map_err(db_error)? else {
            return Ok(None);
        };
        Header::decode(&mut &bytes[..])
            .map(Some)
            .map_err(|e| db_error(format!("corrupt header {}: {e}", hex_hash(hash))))
    }

    fn body(&self, hash: &Hash) -> Result<Option<Vec<Vec<u8>>>, ClientError> {
        let Some(bytes) = self.db.get(BODIES, hash).map_err(db_error)? else {
            return Ok(None);
        };
        Vec::<Vec<u8>>::decode(&mut &bytes[..])
            .map(Some)
            .map_err(|e| db_error(format!("corrupt body {}: {e}", hex_hash(hash))))
    }

    fn hash(&self, number: BlockNumber) -> Result<Option<Hash>, ClientError> {
        if number > self.info.read().best_number {
            return Ok(None);
        }
        let Some(bytes) = self
            .db
            .get(NUMBERS, &number_key(number))
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        bytes
            .as_slice()
            .try_into()
            .map(Some)
            .map_err(|_| db_error(format!("corrupt index entry for block #{number}")))
    }

    fn state_with_root(&self, root: Hash) -> StateAt {
        StateAt::new(self.state_at_root(root))
    }

    fn read_proof(&self, root: Hash, keys: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, ClientError> {
        triedb::read_proof(&self.nodes, &root, keys.iter().map(Vec::as_slice)).map_err(|e| {
            db_error(format!(
                "cannot prove keys at state {}: {e}",
                hex_hash(&root)
            ))
        })
    }

    fn insert_block(&self, block: &NewBlock, best: bool) -> Result<Hash, ClientError> {
        let _writer = self.write.lock();
        let hash = block.header.hash();
        let parent_hash = block.header.parent_hash;
        let parent = self
            .header(&parent_hash)?
            .ok_or(ClientError::UnknownParent(parent_hash))?;
        let number = block.header.number;
        if parent.number.checked_add(1) != Some(number) {
            return Err(ClientError::Backend(format!(
                "block {} has number {number} but its parent has {}",
                hex_hash(&hash),
                parent.number
            )));
        }

        // The new state: the parent's with the block's changes applied.
        let mut overlay = Overlay::new(&self.nodes);
        let changes = &block.changes;
        let root = triedb::apply_changes(
            &mut overlay,
            parent.state_root,
            changes
                .top
                .iter()
                .map(|(k, v)| (k.as_slice(), v.as_deref())),
            changes.children_default.iter().map(|(child, delta)| {
                (
                    child.as_slice(),
                    delta.iter().map(|(k, v)| (k.as_slice(), v.as_deref())),
                )
            }),
            block.state_version,
        )
        .map_err(|e| ClientError::Backend(format!("cannot update the state: {e}")))?;
        if root != block.header.state_root {
            return Err(ClientError::Backend(format!(
                "block {}: the state root after its changes is {}, its header says {}",
                hex_hash(&hash),
                hex_hash(&root),
                hex_hash(&block.header.state_root)
            )));
        }

        let mut tx: Vec<(ColId, Vec<u8>, Option<Vec<u8>>)> = overlay
            .into_nodes()
            .into_iter()
            .map(|(node_hash, node)| (STATE, node_hash.to_vec(), Some(node)))
            .collect();
        tx.push((HEADERS, hash.to_vec(), Some(block.header.encode())));
        tx.push((BODIES, hash.to_vec(), Some(block.body.encode())));
        if best {
            let info = self.info();
            tx.push((NUMBERS, number_key(number).to_vec(), Some(hash.to_vec())));
            // Re-point the canonical index from the parent back to the common ancestor.
            let (mut at, mut n) = (parent_hash, parent.number);
            while self.hash(n)? != Some(at) {
                tx.push((NUMBERS, number_key(n).to_vec(), Some(at.to_vec())));
                if n == 0 {
                    break;
                }
                at = self
                    .header(&at)?
                    .ok_or_else(|| db_error(format!("missing header {}", hex_hash(&at))))?
                    .parent_hash;
                n -= 1;
            }
            for stale in number + 1..=info.best_number {
                tx.push((NUMBERS, number_key(stale).to_vec(), None));
            }
            tx.push((META, KEY_BEST.to_vec(), Some(hash.to_vec())));
        }
        // One commit: all of it or none of it survives a crash.
        self.db.commit(tx).map_err(db_error)?;
        if best {
            let mut info = self.info.write();
            info.best_hash = hash;
            info.best_number = number;
        }
        Ok(hash)
    }

    fn finalize(&self, hash: &Hash) -> Result<(), ClientError> {
        let _writer = self.write.lock();
        let header = self.header(hash)?.ok_or(ClientError::UnknownBlock(*hash))?;
        if self.hash(header.number)? != Some(*hash) {
            return Err(ClientError::Backend(format!(
                "cannot finalize {}: not on the best chain",
                hex_hash(hash)
            )));
        }
        if header.number <= self.info().finalized_number {
            return Ok(());
        }
        self.db
            .commit([(META, KEY_FINALIZED, Some(hash.to_vec()))])
            .map_err(db_error)?;
        let mut info = self.info.write();
        info.finalized_hash = *hash;
        info.finalized_number = header.number;
        Ok(())
    }
}

/// The state at one state root, read from the trie nodes in the database.
#[derive(Clone)]
pub struct TrieState {
    nodes: Arc<dyn NodeStore>,
    root: Hash,
}

impl TrieState {
    /// The state root.
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The value of `key`, or the error a missing or corrupt node gives.
    pub fn try_storage(&self, key: &[u8]) -> Result<Option<Vec<u8>>, triedb::TrieDbError> {
        triedb::get(&*self.nodes, &self.root, key)
    }

    fn or_log<T: Default>(&self, what: &str, result: Result<T, triedb::TrieDbError>) -> T {
        result.unwrap_or_else(|e| {
            tracing::error!("state {}: cannot read {what}: {e}", hex_hash(&self.root));
            T::default()
        })
    }

    fn child_root(&self, child: &[u8]) -> Hash {
        self.or_log(
            "a child root",
            triedb::child_root(&*self.nodes, &self.root, child).map(Some),
        )
        .unwrap_or(EMPTY_TRIE_ROOT)
    }

    fn new_root(
        &self,
        top_delta: &Delta<'_>,
        child_deltas: &ChildDeltas<'_>,
        version: StateVersion,
    ) -> Result<Hash, triedb::TrieDbError> {
        let mut overlay = Overlay::new(&*self.nodes);
        triedb::apply_changes(
            &mut overlay,
            self.root,
            top_delta.iter().map(|(k, v)| (*k, *v)),
            child_deltas
                .iter()
                .map(|(child, delta)| (*child, delta.iter().map(|(k, v)| (*k, *v)))),
            version,
        )
    }
}

impl StateBackend for TrieState {
    fn storage(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.or_log("a value", self.try_storage(key))
    }

    fn next_key(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.or_log(
            "the next key",
            triedb::next_key(&*self.nodes, &self.root, key),
        )
    }

    fn child_storage(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>> {
        let root = self.child_root(child);
        self.or_log("a child value", triedb::get(&*self.nodes, &root, key))
    }

    fn next_child_key(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>> {
        let root = self.child_root(child);
        self.or_log(
            "the next child key",
            triedb::next_key(&*self.nodes, &root, key),
        )
    }

    fn storage_root(
        &self,
        top_delta: &Delta<'_>,
        child_deltas: &ChildDeltas<'_>,
        version: StateVersion,
    ) -> [u8; 32] {
        let root = self.new_root(top_delta, child_deltas, version);
        self.or_log("the new root", root.map(Some))
            .unwrap_or(EMPTY_TRIE_ROOT)
    }

    fn child_storage_root(
        &self,
        child: &[u8],
        delta: &Delta<'_>,
        version: StateVersion,
    ) -> [u8; 32] {
        let root = self.child_root(child);
        let mut overlay = Overlay::new(&*self.nodes);
        let new = triedb::apply_delta(
            &mut overlay,
            root,
            delta.iter().map(|(k, v)| (*k, *v)),
            version,
        );
        self.or_log("a new child root", new.map(Some))
            .unwrap_or(EMPTY_TRIE_ROOT)
    }
}

//! Where the chain is kept: the [`Backend`] trait, implemented by the parity-db chain
//! database ([`ChainDb`](super::db::ChainDb)).

use executor::{externalities::StorageChanges, StateVersion};
use substrate_primitives::header::Header;

use super::{BlockNumber, ClientError, Hash, StateAt};

/// Best and finalized blocks, and the genesis hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainInfo {
    /// The hash of block 0.
    pub genesis_hash: Hash,
    /// The head of the best chain.
    pub best_hash: Hash,
    /// Its number.
    pub best_number: BlockNumber,
    /// The last finalized block.
    pub finalized_hash: Hash,
    /// Its number.
    pub finalized_number: BlockNumber,
}

/// A block to store: header, body (each extrinsic as the block encodes it, length prefix
/// included) and the changes its execution made to its parent's state.
pub struct NewBlock {
    /// The header.
    pub header: Header,
    /// The extrinsics.
    pub body: Vec<Vec<u8>>,
    /// The changes to the parent's state.
    pub changes: StorageChanges,
    /// The trie layout of the runtime that executed the block (the parent's runtime).
    pub state_version: StateVersion,
}

/// The chain as stored: headers, bodies, the canonical number → hash index, best and
/// finalized blocks, and the state at each block (archive).
///
/// Lookups of unknown blocks return `Ok(None)`; `Err` is for a backend that cannot answer
/// (I/O, corruption).
pub trait Backend: Send + Sync {
    /// Best, finalized and genesis blocks.
    fn info(&self) -> ChainInfo;

    /// The header of block `hash`.
    fn header(&self, hash: &Hash) -> Result<Option<Header>, ClientError>;

    /// The extrinsics of block `hash`.
    fn body(&self, hash: &Hash) -> Result<Option<Vec<Vec<u8>>>, ClientError>;

    /// The hash of the canonical block `number`.
    fn hash(&self, number: BlockNumber) -> Result<Option<Hash>, ClientError>;

    /// The state whose trie root is `root` (a stored block's `state_root`).
    fn state_with_root(&self, root: Hash) -> StateAt;

    /// A storage proof of `keys` in the state with root `root`: the trie nodes reading them
    /// visits.
    fn read_proof(&self, root: Hash, keys: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, ClientError>;

    /// Stores a block whose parent is known, with the state its changes give (whose root must
    /// be the header's); with `best` it becomes the head of the best chain (and the canonical
    /// index follows it). All of it is stored at once or not at all.
    fn insert_block(&self, block: &NewBlock, best: bool) -> Result<Hash, ClientError>;

    /// Marks `hash` (a canonical block) and its ancestors as final.
    fn finalize(&self, hash: &Hash) -> Result<(), ClientError>;
}

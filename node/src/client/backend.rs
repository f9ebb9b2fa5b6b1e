//! Where the chain is kept: the [`Backend`] trait, and [`InMemoryChain`], which keeps it in
//! memory (genesis and, for now, everything after it). The parity-db backend implements the
//! same trait.

use std::collections::HashMap;

use chain_spec::header::Header;
use parking_lot::RwLock;

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
/// included) and the state after it.
pub struct NewBlock {
    /// The header.
    pub header: Header,
    /// The extrinsics.
    pub body: Vec<Vec<u8>>,
    /// The state after executing the block.
    pub state: StateAt,
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

    /// The state after block `hash`.
    fn state_at(&self, hash: &Hash) -> Result<Option<StateAt>, ClientError>;

    /// Stores a block whose parent is known; with `best` it becomes the head of the best
    /// chain (and the canonical index follows it).
    fn insert_block(&self, block: NewBlock, best: bool) -> Result<Hash, ClientError>;

    /// Marks `hash` (a canonical block) and its ancestors as final.
    fn finalize(&self, hash: &Hash) -> Result<(), ClientError>;
}

struct StoredBlock {
    header: Header,
    body: Vec<Vec<u8>>,
    state: StateAt,
}

struct Inner {
    blocks: HashMap<Hash, StoredBlock>,
    canonical: Vec<Hash>,
    info: ChainInfo,
}

/// A [`Backend`] in memory: nothing survives a restart.
pub struct InMemoryChain {
    inner: RwLock<Inner>,
}

impl InMemoryChain {
    /// A chain holding only the genesis block.
    pub fn new(genesis_header: Header, genesis_state: StateAt) -> Self {
        let hash = genesis_header.hash();
        let info = ChainInfo {
            genesis_hash: hash,
            best_hash: hash,
            best_number: 0,
            finalized_hash: hash,
            finalized_number: 0,
        };
        let genesis = StoredBlock {
            header: genesis_header,
            body: Vec::new(),
            state: genesis_state,
        };
        Self {
            inner: RwLock::new(Inner {
                blocks: HashMap::from([(hash, genesis)]),
                canonical: vec![hash],
                info,
            }),
        }
    }
}

impl Backend for InMemoryChain {
    fn info(&self) -> ChainInfo {
        self.inner.read().info
    }

    fn header(&self, hash: &Hash) -> Result<Option<Header>, ClientError> {
        Ok(self.inner.read().blocks.get(hash).map(|b| b.header.clone()))
    }

    fn body(&self, hash: &Hash) -> Result<Option<Vec<Vec<u8>>>, ClientError> {
        Ok(self.inner.read().blocks.get(hash).map(|b| b.body.clone()))
    }

    fn hash(&self, number: BlockNumber) -> Result<Option<Hash>, ClientError> {
        Ok(self.inner.read().canonical.get(number as usize).copied())
    }

    fn state_at(&self, hash: &Hash) -> Result<Option<StateAt>, ClientError> {
        Ok(self.inner.read().blocks.get(hash).map(|b| b.state.clone()))
    }

    fn insert_block(&self, block: NewBlock, best: bool) -> Result<Hash, ClientError> {
        let hash = block.header.hash();
        let mut inner = self.inner.write();
        let parent = block.header.parent_hash;
        let Some(parent_number) = inner.blocks.get(&parent).map(|b| b.header.number) else {
            return Err(ClientError::UnknownParent(parent));
        };
        if parent_number.checked_add(1) != Some(block.header.number) {
            return Err(ClientError::Backend(format!(
                "block {} has number {} but its parent has {parent_number}",
                super::hex_hash(&hash),
                block.header.number
            )));
        }
        let number = block.header.number;
        inner.blocks.insert(
            hash,
            StoredBlock {
                header: block.header,
                body: block.body,
                state: block.state,
            },
        );
        if best {
            // Re-point the canonical index from the new head back to the common ancestor.
            inner.canonical.resize(number as usize + 1, [0; 32]);
            let (mut at, mut n) = (hash, number as usize);
            while inner.canonical[n] != at {
                inner.canonical[n] = at;
                if n == 0 {
                    break;
                }
                at = inner.blocks[&at].header.parent_hash;
                n -= 1;
            }
            inner.info.best_hash = hash;
            inner.info.best_number = number;
        }
        Ok(hash)
    }

    fn finalize(&self, hash: &Hash) -> Result<(), ClientError> {
        let mut inner = self.inner.write();
        let number = match inner.blocks.get(hash) {
            Some(block) => block.header.number,
            None => return Err(ClientError::UnknownBlock(*hash)),
        };
        if inner.canonical.get(number as usize) != Some(hash) {
            return Err(ClientError::Backend(format!(
                "cannot finalize {}: not on the best chain",
                super::hex_hash(hash)
            )));
        }
        if number > inner.info.finalized_number {
            inner.info.finalized_hash = *hash;
            inner.info.finalized_number = number;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use executor::externalities::InMemoryBackend;

    fn child(parent: &Header, salt: u8) -> NewBlock {
        NewBlock {
            header: Header {
                parent_hash: parent.hash(),
                number: parent.number + 1,
                state_root: [salt; 32],
                extrinsics_root: [0; 32],
                digest: Vec::new(),
            },
            body: vec![vec![salt]],
            state: StateAt::new(InMemoryBackend::default()),
        }
    }

    #[test]
    fn genesis_then_blocks_and_reorg() {
        let genesis = Header::genesis([1; 32]);
        let chain = InMemoryChain::new(genesis.clone(), StateAt::new(InMemoryBackend::default()));
        let g = genesis.hash();
        assert_eq!(chain.info().best_hash, g);
        assert_eq!(chain.hash(0).unwrap(), Some(g));
        assert_eq!(chain.header(&[9; 32]).unwrap(), None);

        let a1 = child(&genesis, 1);
        let a1_header = a1.header.clone();
        let a1_hash = chain.insert_block(a1, true).unwrap();
        let a2 = child(&a1_header, 2);
        let a2_hash = chain.insert_block(a2, true).unwrap();
        assert_eq!(chain.info().best_number, 2);
        assert_eq!(chain.hash(2).unwrap(), Some(a2_hash));

        // A fork from genesis becomes best: the index follows it.
        let b1 = child(&genesis, 3);
        let b1_hash = chain.insert_block(b1, true).unwrap();
        assert_eq!(chain.hash(1).unwrap(), Some(b1_hash));
        assert_eq!(chain.hash(2).unwrap(), None);
        assert_eq!(chain.body(&a1_hash).unwrap(), Some(vec![vec![1]]));
        assert!(chain.finalize(&a1_hash).is_err());
        chain.finalize(&b1_hash).unwrap();
        assert_eq!(chain.info().finalized_hash, b1_hash);

        let orphan = child(&Header::genesis([7; 32]), 4);
        assert!(matches!(
            chain.insert_block(orphan, true),
            Err(ClientError::UnknownParent(_))
        ));
    }
}

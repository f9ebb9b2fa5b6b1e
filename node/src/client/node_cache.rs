//! A cache of trie nodes in front of the database (`--trie-cache-size`).
//!
//! Nodes are stored under their hash and never change, so entries need no invalidation: a
//! cached node is always the node. Reads of hot state (the runtime's own bookkeeping, `:code`'s
//! path, accounts just touched) then skip parity-db's lookup. Least recently used nodes are
//! evicted once the cache holds more than its budget; the budget is split over shards, so
//! concurrent readers rarely wait for each other.

use std::sync::Arc;

use lru::LruCache;
use parking_lot::Mutex;

use super::Hash;

/// Substrate's default `--trie-cache-size`: 64 MiB.
pub const DEFAULT_SIZE: usize = 64 * 1024 * 1024;

/// Bookkeeping per entry beyond the node's bytes (key, `Arc` header, LRU links), counted
/// against the budget.
const ENTRY_OVERHEAD: usize = 96;

const SHARDS: usize = 16;

/// Trie nodes by hash, up to a byte budget.
pub struct TrieNodeCache {
    shards: Box<[Mutex<Shard>]>,
    shard_budget: usize,
}

struct Shard {
    nodes: LruCache<Hash, Arc<[u8]>>,
    bytes: usize,
}

impl TrieNodeCache {
    /// A cache of at most `budget` bytes; 0 caches nothing.
    pub fn new(budget: usize) -> Self {
        let shards = if budget == 0 { 0 } else { SHARDS };
        Self {
            shards: (0..shards)
                .map(|_| {
                    Mutex::new(Shard {
                        nodes: LruCache::unbounded(),
                        bytes: 0,
                    })
                })
                .collect(),
            shard_budget: budget / SHARDS,
        }
    }

    fn shard(&self, hash: &Hash) -> Option<&Mutex<Shard>> {
        // Hashes are uniformly distributed: any byte picks a shard fairly.
        let count = self.shards.len();
        (count > 0).then(|| &self.shards[usize::from(hash[0]) % count])
    }

    /// The node with `hash`, if cached.
    pub fn get(&self, hash: &Hash) -> Option<Arc<[u8]>> {
        self.shard(hash)?.lock().nodes.get(hash).cloned()
    }

    /// Caches `node` under `hash`, evicting the least recently used nodes beyond the budget.
    /// A node larger than a shard's budget is not cached.
    pub fn insert(&self, hash: Hash, node: &[u8]) {
        let Some(shard) = self.shard(&hash) else {
            return;
        };
        let size = node.len() + ENTRY_OVERHEAD;
        if size > self.shard_budget {
            return;
        }
        let mut shard = shard.lock();
        if let Some(old) = shard.nodes.put(hash, Arc::from(node)) {
            shard.bytes -= old.len() + ENTRY_OVERHEAD;
        }
        shard.bytes += size;
        while shard.bytes > self.shard_budget {
            let Some((_, evicted)) = shard.nodes.pop_lru() else {
                break;
            };
            shard.bytes -= evicted.len() + ENTRY_OVERHEAD;
        }
    }

    /// Bytes held, bookkeeping included.
    pub fn size(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(shard: u8, n: u8) -> Hash {
        let mut hash = [n; 32];
        hash[0] = shard;
        hash
    }

    #[test]
    fn keeps_recent_nodes_within_the_budget() {
        // Room for two 100-byte nodes per shard.
        let cache = TrieNodeCache::new(SHARDS * 2 * (100 + ENTRY_OVERHEAD));
        cache.insert(hash(0, 1), &[1; 100]);
        cache.insert(hash(0, 2), &[2; 100]);
        assert_eq!(cache.get(&hash(0, 1)).as_deref(), Some(&[1; 100][..]));
        // The third evicts the least recently used: node 2 (node 1 was just read).
        cache.insert(hash(0, 3), &[3; 100]);
        assert!(cache.get(&hash(0, 2)).is_none());
        assert!(cache.get(&hash(0, 1)).is_some());
        assert!(cache.get(&hash(0, 3)).is_some());
        assert_eq!(cache.size(), 2 * (100 + ENTRY_OVERHEAD));
        // Other shards are not affected.
        cache.insert(hash(1, 1), &[4; 100]);
        assert!(cache.get(&hash(0, 1)).is_some());
        // Inserting again replaces, without counting twice.
        cache.insert(hash(1, 1), &[4; 100]);
        assert_eq!(cache.size(), 3 * (100 + ENTRY_OVERHEAD));
        // Too large for a shard: not cached.
        cache.insert(hash(2, 1), &[5; 1000]);
        assert!(cache.get(&hash(2, 1)).is_none());
    }

    #[test]
    fn zero_caches_nothing() {
        let cache = TrieNodeCache::new(0);
        cache.insert(hash(0, 1), &[1; 10]);
        assert!(cache.get(&hash(0, 1)).is_none());
        assert_eq!(cache.size(), 0);
    }
}

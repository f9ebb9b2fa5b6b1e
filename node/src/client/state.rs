//! The state at a block, as the executor and the RPC read it.

use std::sync::Arc;

use executor::{
    externalities::{ChildDeltas, Delta, StateBackend},
    StateVersion,
};

/// The storage key of the runtime code.
pub const CODE_KEY: &[u8] = b":code";
/// The storage key of the number of heap pages (`u64`, little endian).
pub const HEAP_PAGES_KEY: &[u8] = b":heappages";

/// A shared, read-only view of the state at one block. Cheap to clone; it is the base state
/// of the overlay for calls at that block.
#[derive(Clone)]
pub struct StateAt(Arc<dyn StateBackend + Sync>);

impl StateAt {
    /// Wraps a state backend.
    pub fn new(backend: impl StateBackend + Sync + 'static) -> Self {
        Self(Arc::new(backend))
    }

    /// The runtime code (`:code`), if any.
    pub fn code(&self) -> Option<Vec<u8>> {
        self.0.storage(CODE_KEY)
    }

    /// The `:heappages` value, if present and well formed (a SCALE `u64`).
    pub fn heap_pages(&self) -> Option<u64> {
        let bytes = self.0.storage(HEAP_PAGES_KEY)?;
        Some(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?))
    }

    /// Up to `count` keys of `space` starting with `prefix`, strictly after `start_key` if
    /// given (or from the first key with `prefix`).
    pub fn keys_paged(
        &self,
        space: KeySpace<'_>,
        prefix: &[u8],
        count: usize,
        start_key: Option<&[u8]>,
    ) -> Vec<Vec<u8>> {
        let next = |key: &[u8]| match space {
            KeySpace::Top => self.0.next_key(key),
            KeySpace::Child(child) => self.0.next_child_key(child, key),
        };
        let exists = |key: &[u8]| match space {
            KeySpace::Top => self.0.exists_storage(key),
            KeySpace::Child(child) => self.0.exists_child_storage(child, key),
        };
        let mut keys = Vec::new();
        let mut cursor = match start_key {
            Some(start) if start >= prefix => next(start),
            _ if exists(prefix) => Some(prefix.to_vec()),
            _ => next(prefix),
        };
        while keys.len() < count {
            match cursor {
                Some(key) if key.starts_with(prefix) => {
                    cursor = next(&key);
                    keys.push(key);
                }
                _ => break,
            }
        }
        keys
    }

    /// The value of `key` in `space`.
    pub fn value(&self, space: KeySpace<'_>, key: &[u8]) -> Option<Vec<u8>> {
        match space {
            KeySpace::Top => self.0.storage(key),
            KeySpace::Child(child) => self.0.child_storage(child, key),
        }
    }
}

/// Which trie of a state keys live in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySpace<'a> {
    /// The top trie.
    Top,
    /// The default child trie with this storage key (without `:child_storage:default:`).
    Child(&'a [u8]),
}

impl StateBackend for StateAt {
    fn storage(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.storage(key)
    }

    fn exists_storage(&self, key: &[u8]) -> bool {
        self.0.exists_storage(key)
    }

    fn next_key(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.next_key(key)
    }

    fn child_storage(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>> {
        self.0.child_storage(child, key)
    }

    fn exists_child_storage(&self, child: &[u8], key: &[u8]) -> bool {
        self.0.exists_child_storage(child, key)
    }

    fn next_child_key(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>> {
        self.0.next_child_key(child, key)
    }

    fn storage_root(
        &self,
        top_delta: &Delta<'_>,
        child_deltas: &ChildDeltas<'_>,
        version: StateVersion,
    ) -> [u8; 32] {
        self.0.storage_root(top_delta, child_deltas, version)
    }

    fn child_storage_root(
        &self,
        child: &[u8],
        delta: &Delta<'_>,
        version: StateVersion,
    ) -> [u8; 32] {
        self.0.child_storage_root(child, delta, version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use executor::externalities::InMemoryBackend;

    #[test]
    fn keys_paged_walks_the_prefix() {
        let state = StateAt::new(InMemoryBackend::from_pairs([
            (&b"a"[..], &b"0"[..]),
            (b"ab", b"1"),
            (b"abc", b"2"),
            (b"abd", b"3"),
            (b"b", b"4"),
        ]));
        assert_eq!(
            state.keys_paged(KeySpace::Top, b"ab", 10, None),
            [b"ab".to_vec(), b"abc".to_vec(), b"abd".to_vec()]
        );
        assert_eq!(
            state.keys_paged(KeySpace::Top, b"ab", 2, None),
            [b"ab".to_vec(), b"abc".to_vec()]
        );
        assert_eq!(
            state.keys_paged(KeySpace::Top, b"ab", 10, Some(b"abc")),
            [b"abd".to_vec()]
        );
        // A start key before the prefix starts at the prefix.
        assert_eq!(
            state.keys_paged(KeySpace::Top, b"ab", 1, Some(b"a")),
            [b"ab".to_vec()]
        );
        assert_eq!(state.keys_paged(KeySpace::Top, b"", 10, None).len(), 5);
        assert!(state.keys_paged(KeySpace::Top, b"c", 10, None).is_empty());
    }

    #[test]
    fn heap_pages() {
        let state = StateAt::new(InMemoryBackend::from_pairs([(
            HEAP_PAGES_KEY,
            64u64.to_le_bytes(),
        )]));
        assert_eq!(state.heap_pages(), Some(64));
        let state = StateAt::new(InMemoryBackend::from_pairs([(HEAP_PAGES_KEY, [1u8])]));
        assert_eq!(state.heap_pages(), None);
    }
}

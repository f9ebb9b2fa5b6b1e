//! The read-only base state under the overlay.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use trie::{Blake2Hasher, StateVersion, CHILD_STORAGE_DEFAULT_PREFIX, EMPTY_TRIE_ROOT};

use super::{is_child_storage_key, StorageChanges};

/// Changes to one key-value space, sorted by key: `Some(value)` sets, `None` deletes.
pub type Delta<'a> = BTreeMap<&'a [u8], Option<&'a [u8]>>;

/// Changes to default child tries, by child storage key (without prefix).
pub type ChildDeltas<'a> = BTreeMap<&'a [u8], Delta<'a>>;

/// A full state: the top trie and the default child tries (keyed by storage key without the
/// `:child_storage:default:` prefix). The top map does not hold the child roots: they are
/// derived from the children when computing the state root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Storage {
    /// The top trie's entries.
    pub top: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The default child tries' entries, by child storage key; no child is empty.
    pub children_default: BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, Vec<u8>>>,
}

/// The read-only base state the overlay sits on (typically the parent block's state).
///
/// Child tries are default child tries, named by their storage key without prefix.
pub trait StateBackend: Send {
    /// The value of `key` in the top trie.
    fn storage(&self, key: &[u8]) -> Option<Vec<u8>>;

    /// Whether `key` has a value in the top trie.
    fn exists_storage(&self, key: &[u8]) -> bool {
        self.storage(key).is_some()
    }

    /// The smallest key of the top trie strictly greater than `key`.
    fn next_key(&self, key: &[u8]) -> Option<Vec<u8>>;

    /// The value of `key` in the child trie `child`.
    fn child_storage(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>>;

    /// Whether `key` has a value in the child trie `child`.
    fn exists_child_storage(&self, child: &[u8], key: &[u8]) -> bool {
        self.child_storage(child, key).is_some()
    }

    /// The smallest key of the child trie `child` strictly greater than `key`.
    fn next_child_key(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>>;

    /// The state root (BLAKE2b-256) of this state with `top_delta` and `child_deltas`
    /// applied.
    ///
    /// Each child trie's root is stored in the top trie under
    /// `:child_storage:default: ++ child`, absent if the child trie is empty; children without
    /// a delta keep their current roots. Taking deltas (rather than a full state) lets a
    /// trie-backed implementation update only the touched nodes.
    fn storage_root(
        &self,
        top_delta: &Delta<'_>,
        child_deltas: &ChildDeltas<'_>,
        version: StateVersion,
    ) -> [u8; 32];

    /// The root of the child trie `child` with `delta` applied; the empty trie root if it ends
    /// up empty.
    fn child_storage_root(
        &self,
        child: &[u8],
        delta: &Delta<'_>,
        version: StateVersion,
    ) -> [u8; 32];
}

/// A [`StateBackend`] holding the whole state in memory (for genesis, tests, and small
/// states).
///
/// Roots are recomputed from scratch on every call. The top map holds no child roots, so
/// reading `:child_storage:default:…` from it finds nothing (Substrate's trie backend would
/// return the stored root).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InMemoryBackend {
    state: Storage,
}

impl InMemoryBackend {
    /// A backend holding `state`.
    ///
    /// Top keys under `:child_storage:` are dropped (with a warning): child roots are derived
    /// from `state.children_default`. Empty child tries are dropped.
    pub fn new(mut state: Storage) -> Self {
        let before = state.top.len();
        state.top.retain(|key, _| !is_child_storage_key(key));
        if state.top.len() != before {
            tracing::warn!(
                dropped = before - state.top.len(),
                "ignoring `:child_storage:` keys of the top trie; child roots are derived from \
                 the child tries"
            );
        }
        state.children_default.retain(|_, child| !child.is_empty());
        Self { state }
    }

    /// A backend whose top trie holds `pairs` (later duplicates win) and no child trie.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (impl AsRef<[u8]>, impl AsRef<[u8]>)>,
    ) -> Self {
        let top = pairs
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_vec(), v.as_ref().to_vec()));
        Self::new(Storage {
            top: top.collect(),
            children_default: BTreeMap::new(),
        })
    }

    /// Adds (or replaces) the default child trie `child` with the entries `pairs`.
    pub fn with_child(
        mut self,
        child: impl AsRef<[u8]>,
        pairs: impl IntoIterator<Item = (impl AsRef<[u8]>, impl AsRef<[u8]>)>,
    ) -> Self {
        let entries: BTreeMap<_, _> = pairs
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_vec(), v.as_ref().to_vec()))
            .collect();
        if entries.is_empty() {
            self.state.children_default.remove(child.as_ref());
        } else {
            self.state
                .children_default
                .insert(child.as_ref().to_vec(), entries);
        }
        self
    }

    /// The state held.
    pub fn state(&self) -> &Storage {
        &self.state
    }

    /// The state held, consuming the backend.
    pub fn into_state(self) -> Storage {
        self.state
    }

    /// Applies `changes` (as produced by the overlay) to the state.
    pub fn apply_changes(&mut self, changes: StorageChanges) {
        for (key, value) in changes.top {
            if is_child_storage_key(&key) {
                continue;
            }
            match value {
                Some(value) => self.state.top.insert(key, value),
                None => self.state.top.remove(&key),
            };
        }
        for (child, delta) in changes.children_default {
            let entries = self
                .state
                .children_default
                .entry(child.clone())
                .or_default();
            for (key, value) in delta {
                match value {
                    Some(value) => entries.insert(key, value),
                    None => entries.remove(&key),
                };
            }
            if entries.is_empty() {
                self.state.children_default.remove(&child);
            }
        }
    }

    /// The merged entries of child `child` with `delta` applied.
    fn merged_child<'a>(
        &'a self,
        child: &[u8],
        delta: Option<&Delta<'a>>,
    ) -> Vec<(&'a [u8], &'a [u8])> {
        let base = self.state.children_default.get(child);
        let mut merged: BTreeMap<&[u8], &[u8]> = base
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        if let Some(delta) = delta {
            apply_delta(&mut merged, delta);
        }
        merged.into_iter().collect()
    }
}

/// Applies `delta` to `entries`.
fn apply_delta<'a>(entries: &mut BTreeMap<&'a [u8], &'a [u8]>, delta: &Delta<'a>) {
    for (&key, &value) in delta {
        match value {
            Some(value) => entries.insert(key, value),
            None => entries.remove(key),
        };
    }
}

/// The first key of `map` strictly after `key`.
fn next_after<V>(map: &BTreeMap<Vec<u8>, V>, key: &[u8]) -> Option<Vec<u8>> {
    map.range::<[u8], _>((Bound::Excluded(key), Bound::Unbounded))
        .next()
        .map(|(k, _)| k.clone())
}

impl StateBackend for InMemoryBackend {
    fn storage(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.state.top.get(key).cloned()
    }

    fn exists_storage(&self, key: &[u8]) -> bool {
        self.state.top.contains_key(key)
    }

    fn next_key(&self, key: &[u8]) -> Option<Vec<u8>> {
        next_after(&self.state.top, key)
    }

    fn child_storage(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>> {
        self.state.children_default.get(child)?.get(key).cloned()
    }

    fn exists_child_storage(&self, child: &[u8], key: &[u8]) -> bool {
        self.state
            .children_default
            .get(child)
            .is_some_and(|c| c.contains_key(key))
    }

    fn next_child_key(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>> {
        next_after(self.state.children_default.get(child)?, key)
    }

    fn storage_root(
        &self,
        top_delta: &Delta<'_>,
        child_deltas: &ChildDeltas<'_>,
        version: StateVersion,
    ) -> [u8; 32] {
        let children: BTreeSet<&[u8]> = self
            .state
            .children_default
            .keys()
            .map(Vec::as_slice)
            .chain(child_deltas.keys().copied())
            .collect();
        let child_roots: Vec<(Vec<u8>, [u8; 32])> = children
            .into_iter()
            .filter_map(|child| {
                let entries = self.merged_child(child, child_deltas.get(child));
                if entries.is_empty() {
                    return None;
                }
                let key = [CHILD_STORAGE_DEFAULT_PREFIX, child].concat();
                Some((key, trie::trie_root::<Blake2Hasher>(entries, version)))
            })
            .collect();

        let mut top: BTreeMap<&[u8], &[u8]> = self
            .state
            .top
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        apply_delta(&mut top, top_delta);
        for (key, root) in &child_roots {
            top.insert(key, root);
        }
        trie::trie_root::<Blake2Hasher>(top, version)
    }

    fn child_storage_root(
        &self,
        child: &[u8],
        delta: &Delta<'_>,
        version: StateVersion,
    ) -> [u8; 32] {
        let entries = self.merged_child(child, Some(delta));
        if entries.is_empty() {
            return EMPTY_TRIE_ROOT;
        }
        trie::trie_root::<Blake2Hasher>(entries, version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> InMemoryBackend {
        InMemoryBackend::from_pairs([
            (b"a".to_vec(), b"1".to_vec()),
            (b"c".to_vec(), b"3".to_vec()),
        ])
        .with_child(b"kid", [(b"x", b"10"), (b"y", b"11")])
    }

    #[test]
    fn reads_and_next_keys() {
        let b = backend();
        assert_eq!(b.storage(b"a"), Some(b"1".to_vec()));
        assert_eq!(b.storage(b"b"), None);
        assert!(b.exists_storage(b"c"));
        assert_eq!(b.next_key(b""), Some(b"a".to_vec()));
        assert_eq!(b.next_key(b"a"), Some(b"c".to_vec()));
        assert_eq!(b.next_key(b"b"), Some(b"c".to_vec()));
        assert_eq!(b.next_key(b"c"), None);
        assert_eq!(b.child_storage(b"kid", b"x"), Some(b"10".to_vec()));
        assert_eq!(b.child_storage(b"other", b"x"), None);
        assert!(b.exists_child_storage(b"kid", b"y"));
        assert_eq!(b.next_child_key(b"kid", b"x"), Some(b"y".to_vec()));
        assert_eq!(b.next_child_key(b"kid", b"y"), None);
        assert_eq!(b.next_child_key(b"other", b""), None);
    }

    #[test]
    fn construction_drops_reserved_keys_and_empty_children() {
        let b = InMemoryBackend::from_pairs([(&b":child_storage:default:kid"[..], &b"root"[..])])
            .with_child(b"empty", Vec::<(Vec<u8>, Vec<u8>)>::new());
        assert!(b.state().top.is_empty());
        assert!(b.state().children_default.is_empty());
    }

    #[test]
    fn storage_root_includes_child_roots() {
        let b = backend();
        let child_root =
            trie::trie_root::<Blake2Hasher>([(b"x", b"10"), (b"y", b"11")], StateVersion::V0);
        let expected = trie::trie_root::<Blake2Hasher>(
            [
                (b"a".to_vec(), b"1".to_vec()),
                (b"c".to_vec(), b"3".to_vec()),
                (b":child_storage:default:kid".to_vec(), child_root.to_vec()),
            ],
            StateVersion::V0,
        );
        let no_delta = Delta::new();
        assert_eq!(
            b.storage_root(&no_delta, &ChildDeltas::new(), StateVersion::V0),
            expected
        );
        assert_eq!(
            b.child_storage_root(b"kid", &no_delta, StateVersion::V0),
            child_root
        );
        assert_eq!(
            b.child_storage_root(b"none", &no_delta, StateVersion::V0),
            EMPTY_TRIE_ROOT
        );
    }

    #[test]
    fn storage_root_applies_deltas() {
        let b = backend();
        let top: Delta = [(&b"a"[..], None), (&b"b"[..], Some(&b"2"[..]))]
            .into_iter()
            .collect();
        let kid: Delta = [(&b"x"[..], None), (&b"y"[..], None)].into_iter().collect();
        let new: Delta = [(&b"k"[..], Some(&b"v"[..]))].into_iter().collect();
        let children: ChildDeltas = [(&b"kid"[..], kid), (&b"new"[..], new)]
            .into_iter()
            .collect();
        let new_root = trie::trie_root::<Blake2Hasher>([(b"k", b"v")], StateVersion::V1);
        let expected = trie::trie_root::<Blake2Hasher>(
            [
                (b"b".to_vec(), b"2".to_vec()),
                (b"c".to_vec(), b"3".to_vec()),
                (b":child_storage:default:new".to_vec(), new_root.to_vec()),
            ],
            StateVersion::V1,
        );
        assert_eq!(b.storage_root(&top, &children, StateVersion::V1), expected);
    }

    #[test]
    fn apply_changes_updates_the_state() {
        let mut b = backend();
        let mut changes = StorageChanges::default();
        changes.top.insert(b"a".to_vec(), None);
        changes.top.insert(b"d".to_vec(), Some(b"4".to_vec()));
        changes.children_default.insert(
            b"kid".to_vec(),
            [(b"x".to_vec(), None), (b"y".to_vec(), None)]
                .into_iter()
                .collect(),
        );
        b.apply_changes(changes);
        let expected: BTreeMap<_, _> = [
            (b"c".to_vec(), b"3".to_vec()),
            (b"d".to_vec(), b"4".to_vec()),
        ]
        .into_iter()
        .collect();
        assert_eq!(b.state().top, expected);
        assert!(b.state().children_default.is_empty());
    }
}

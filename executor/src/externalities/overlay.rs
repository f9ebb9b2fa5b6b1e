//! [`Externalities`] over a [`StateBackend`], with an overlay of changes and nested
//! transactions.

use std::collections::BTreeMap;

use trie::StateVersion;

use super::backend::{ChildDeltas, Delta, InMemoryBackend, StateBackend, Storage};
use super::changeset::ChangeSet;
use super::{
    is_child_storage_key, prefix_overlaps_child_storage, Externalities, MultiRemovalResults,
    NoOpenTransaction,
};

/// Changes to one key-value space: `Some(value)` sets a key, `None` deletes it.
pub type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Changes to the state: `Some(value)` sets a key, `None` deletes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorageChanges {
    /// Changes to the top trie. Child roots are not included: they derive from the child
    /// changes.
    pub top: Changes,
    /// Changes to default child tries, by child storage key (without prefix).
    pub children_default: BTreeMap<Vec<u8>, Changes>,
}

/// [`Externalities`] over the base state `B`: writes go to an overlay of changes, organised in
/// nested transactions, which the caller takes at the end (see
/// [`into_changes`](Self::into_changes)).
#[derive(Clone, Debug)]
pub struct OverlayedExternalities<B> {
    backend: B,
    top: ChangeSet,
    children: BTreeMap<Vec<u8>, ChangeSet>,
    depth: usize,
}

/// [`OverlayedExternalities`] over an [`InMemoryBackend`].
pub type InMemoryExternalities = OverlayedExternalities<InMemoryBackend>;

impl<B: StateBackend> OverlayedExternalities<B> {
    /// Externalities over `backend`, without changes.
    pub fn with_backend(backend: B) -> Self {
        Self {
            backend,
            top: ChangeSet::default(),
            children: BTreeMap::new(),
            depth: 0,
        }
    }

    /// The base state.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The current changes, including those of open transactions.
    pub fn changes(&self) -> StorageChanges {
        let collect = |set: &ChangeSet| -> Changes {
            set.iter()
                .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
                .collect()
        };
        StorageChanges {
            top: collect(&self.top),
            children_default: self
                .children
                .iter()
                .filter(|(_, set)| !set.is_empty())
                .map(|(child, set)| (child.clone(), collect(set)))
                .collect(),
        }
    }

    /// The committed changes: those made outside any open transaction (what remains if all
    /// open transactions are rolled back).
    pub fn committed_changes(&self) -> StorageChanges {
        StorageChanges {
            top: self.top.committed(),
            children_default: self
                .children
                .iter()
                .map(|(child, set)| (child.clone(), set.committed()))
                .filter(|(_, changes)| !changes.is_empty())
                .collect(),
        }
    }

    /// The committed changes, consuming the externalities. Open transactions are discarded
    /// (with a warning), as Substrate does with transactions the runtime left open.
    pub fn into_changes(self) -> StorageChanges {
        self.into_parts().1
    }

    /// The base state and the committed changes (see [`into_changes`](Self::into_changes)).
    pub fn into_parts(self) -> (B, StorageChanges) {
        if self.depth > 0 {
            tracing::warn!(
                open = self.depth,
                "discarding storage transactions left open by the runtime"
            );
        }
        let changes = StorageChanges {
            top: self.top.into_committed(),
            children_default: self
                .children
                .into_iter()
                .map(|(child, set)| (child, set.into_committed()))
                .filter(|(_, changes)| !changes.is_empty())
                .collect(),
        };
        (self.backend, changes)
    }

    /// The change set of child `child`, created (inside the open transactions) if needed.
    fn child_set(&mut self, child: &[u8]) -> &mut ChangeSet {
        let depth = self.depth;
        self.children
            .entry(child.to_vec())
            .or_insert_with(|| ChangeSet::with_depth(depth))
    }

    /// Clears `prefix` in the overlay of the top trie (`child == None`) or of a child trie,
    /// then deletes the backend's matching keys from `cursor` on, up to `limit` of them.
    fn remove_prefix(
        &mut self,
        child: Option<&[u8]>,
        prefix: &[u8],
        limit: Option<u32>,
        cursor: Option<&[u8]>,
    ) -> MultiRemovalResults {
        let backend = &self.backend;
        let set = match child {
            Some(child) => {
                let depth = self.depth;
                self.children
                    .entry(child.to_vec())
                    .or_insert_with(|| ChangeSet::with_depth(depth))
            }
            None => &mut self.top,
        };
        let overlay = set.clear_prefix(prefix);

        let exists = |key: &[u8]| match child {
            Some(child) => backend.exists_child_storage(child, key),
            None => backend.exists_storage(key),
        };
        let next = |key: &[u8]| match child {
            Some(child) => backend.next_child_key(child, key),
            None => backend.next_key(key),
        };
        // Keys with the prefix form a contiguous range starting at the prefix itself.
        let start = match cursor {
            Some(cursor) if cursor > prefix => cursor,
            _ => prefix,
        };
        let mut key = if exists(start) {
            Some(start.to_vec())
        } else {
            next(start)
        };
        let (mut backend_count, mut loops, mut maybe_cursor) = (0u32, 0u32, None);
        while let Some(current) = key.take() {
            if !current.starts_with(prefix) {
                break;
            }
            if limit == Some(loops) {
                maybe_cursor = Some(current);
                break;
            }
            key = next(&current);
            if set.get(&current) != Some(None) {
                set.set(current, None);
                backend_count = backend_count.saturating_add(1);
            }
            loops = loops.saturating_add(1);
        }
        MultiRemovalResults {
            maybe_cursor,
            backend: backend_count,
            unique: overlay.saturating_add(backend_count),
            loops,
        }
    }
}

impl InMemoryExternalities {
    /// Externalities over an empty state.
    pub fn new() -> Self {
        Self::with_backend(InMemoryBackend::default())
    }

    /// Externalities over a state whose top trie holds `pairs` (see
    /// [`InMemoryBackend::from_pairs`]).
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (impl AsRef<[u8]>, impl AsRef<[u8]>)>,
    ) -> Self {
        Self::with_backend(InMemoryBackend::from_pairs(pairs))
    }

    /// Externalities over `state` (see [`InMemoryBackend::new`]).
    pub fn from_storage(state: Storage) -> Self {
        Self::with_backend(InMemoryBackend::new(state))
    }

    /// The full state as the runtime currently sees it: the base state with all current
    /// changes applied, including those of open transactions. Empty child tries are omitted.
    pub fn full_storage(&self) -> Storage {
        let mut backend = self.backend.clone();
        backend.apply_changes(self.changes());
        backend.into_state()
    }
}

impl Default for InMemoryExternalities {
    fn default() -> Self {
        Self::new()
    }
}

/// The next key after `key` over a backend and an overlay: the smallest key strictly greater
/// than `key` that has a value in the overlay, or is in the backend and not overlaid.
fn merged_next_key<'a>(
    overlay: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    key: &[u8],
    backend_next: impl Fn(&[u8]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let mut backend_key = backend_next(key);
    for (overlay_key, value) in overlay {
        if let Some(backend_key) = &backend_key {
            if backend_key.as_slice() < overlay_key {
                return Some(backend_key.clone());
            }
        }
        if value.is_some() {
            return Some(overlay_key.to_vec());
        }
        if backend_key.as_deref() == Some(overlay_key) {
            // Deleted in the overlay: look further in the backend.
            backend_key = backend_next(overlay_key);
        }
    }
    backend_key
}

impl<B: StateBackend> Externalities for OverlayedExternalities<B> {
    fn storage(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.top.get(key) {
            Some(value) => value.map(<[u8]>::to_vec),
            None => self.backend.storage(key),
        }
    }

    fn exists_storage(&self, key: &[u8]) -> bool {
        match self.top.get(key) {
            Some(value) => value.is_some(),
            None => self.backend.exists_storage(key),
        }
    }

    fn next_storage_key(&self, key: &[u8]) -> Option<Vec<u8>> {
        merged_next_key(self.top.iter_after(key), key, |k| self.backend.next_key(k))
    }

    fn set_storage(&mut self, key: Vec<u8>, value: Vec<u8>) {
        if is_child_storage_key(&key) {
            tracing::warn!(key = ?key, "refusing to set a `:child_storage:` key directly");
            return;
        }
        self.top.set(key, Some(value));
    }

    fn clear_storage(&mut self, key: &[u8]) {
        if is_child_storage_key(key) {
            tracing::warn!(key = ?key, "refusing to clear a `:child_storage:` key directly");
            return;
        }
        self.top.set(key.to_vec(), None);
    }

    fn clear_prefix(
        &mut self,
        prefix: &[u8],
        limit: Option<u32>,
        cursor: Option<&[u8]>,
    ) -> MultiRemovalResults {
        if prefix_overlaps_child_storage(prefix) {
            tracing::warn!(
                prefix = ?prefix,
                "refusing to clear a prefix overlapping `:child_storage:`"
            );
            return MultiRemovalResults::default();
        }
        self.remove_prefix(None, prefix, limit, cursor)
    }

    fn storage_append(&mut self, key: Vec<u8>, item: Vec<u8>) {
        let backend = &self.backend;
        self.top.append(key, &item, |key| backend.storage(key));
    }

    fn storage_root(&mut self, version: StateVersion) -> [u8; 32] {
        let top: Delta<'_> = self.top.iter().collect();
        let children: ChildDeltas<'_> = self
            .children
            .iter()
            .filter(|(_, set)| !set.is_empty())
            .map(|(child, set)| (child.as_slice(), set.iter().collect()))
            .collect();
        self.backend.storage_root(&top, &children, version)
    }

    fn child_storage(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>> {
        match self.children.get(child).and_then(|set| set.get(key)) {
            Some(value) => value.map(<[u8]>::to_vec),
            None => self.backend.child_storage(child, key),
        }
    }

    fn exists_child_storage(&self, child: &[u8], key: &[u8]) -> bool {
        match self.children.get(child).and_then(|set| set.get(key)) {
            Some(value) => value.is_some(),
            None => self.backend.exists_child_storage(child, key),
        }
    }

    fn next_child_storage_key(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>> {
        let backend_next = |k: &[u8]| self.backend.next_child_key(child, k);
        match self.children.get(child) {
            Some(set) => merged_next_key(set.iter_after(key), key, backend_next),
            None => backend_next(key),
        }
    }

    fn set_child_storage(&mut self, child: &[u8], key: Vec<u8>, value: Vec<u8>) {
        self.child_set(child).set(key, Some(value));
    }

    fn clear_child_storage(&mut self, child: &[u8], key: &[u8]) {
        self.child_set(child).set(key.to_vec(), None);
    }

    fn kill_child_storage(
        &mut self,
        child: &[u8],
        limit: Option<u32>,
        cursor: Option<&[u8]>,
    ) -> MultiRemovalResults {
        self.remove_prefix(Some(child), &[], limit, cursor)
    }

    fn clear_child_prefix(
        &mut self,
        child: &[u8],
        prefix: &[u8],
        limit: Option<u32>,
        cursor: Option<&[u8]>,
    ) -> MultiRemovalResults {
        self.remove_prefix(Some(child), prefix, limit, cursor)
    }

    fn child_storage_root(&mut self, child: &[u8], version: StateVersion) -> [u8; 32] {
        let delta: Delta<'_> = self
            .children
            .get(child)
            .into_iter()
            .flat_map(ChangeSet::iter)
            .collect();
        self.backend.child_storage_root(child, &delta, version)
    }

    fn start_transaction(&mut self) {
        self.depth += 1;
        self.top.start_transaction();
        for set in self.children.values_mut() {
            set.start_transaction();
        }
    }

    fn rollback_transaction(&mut self) -> Result<(), NoOpenTransaction> {
        if self.depth == 0 {
            return Err(NoOpenTransaction);
        }
        self.depth -= 1;
        self.top.rollback_transaction();
        for set in self.children.values_mut() {
            set.rollback_transaction();
        }
        self.children.retain(|_, set| !set.is_empty());
        Ok(())
    }

    fn commit_transaction(&mut self) -> Result<(), NoOpenTransaction> {
        if self.depth == 0 {
            return Err(NoOpenTransaction);
        }
        self.depth -= 1;
        self.top.commit_transaction();
        for set in self.children.values_mut() {
            set.commit_transaction();
        }
        Ok(())
    }

    fn transaction_depth(&self) -> usize {
        self.depth
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::{Compact, Decode, Encode};
    use trie::{trie_root, Blake2Hasher, CHILD_STORAGE_DEFAULT_PREFIX, EMPTY_TRIE_ROOT};

    fn v(bytes: &[u8]) -> Option<Vec<u8>> {
        Some(bytes.to_vec())
    }

    /// Backend {pa:1, pb:2, pc:3, pd:4, q:5}; overlay sets pb=20, pe=6 and deletes pc.
    fn prefix_fixture() -> InMemoryExternalities {
        let mut ext = InMemoryExternalities::from_pairs([
            (b"pa", b"1"),
            (b"pb", b"2"),
            (b"pc", b"3"),
            (b"pd", b"4"),
            (b"q\0", b"5"),
        ]);
        ext.set_storage(b"pb".to_vec(), b"20".to_vec());
        ext.set_storage(b"pe".to_vec(), b"6".to_vec());
        ext.clear_storage(b"pc");
        ext
    }

    fn visible_keys(ext: &impl Externalities) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        let mut key = Vec::new();
        if ext.exists_storage(&key) {
            keys.push(key.clone());
        }
        while let Some(next) = ext.next_storage_key(&key) {
            keys.push(next.clone());
            key = next;
        }
        keys
    }

    fn results(
        cursor: Option<&[u8]>,
        backend: u32,
        unique: u32,
        loops: u32,
    ) -> MultiRemovalResults {
        MultiRemovalResults {
            maybe_cursor: cursor.map(<[u8]>::to_vec),
            backend,
            unique,
            loops,
        }
    }

    /// The root of a full state, child roots included.
    fn state_root(state: &Storage, version: StateVersion) -> [u8; 32] {
        let mut top = state.top.clone();
        for (child, entries) in &state.children_default {
            let key = [CHILD_STORAGE_DEFAULT_PREFIX, child].concat();
            top.insert(key, trie_root::<Blake2Hasher>(entries, version).to_vec());
        }
        trie_root::<Blake2Hasher>(top, version)
    }

    #[test]
    fn set_get_clear() {
        let mut ext = InMemoryExternalities::from_pairs([(b"a", b"1"), (b"b", b"2")]);
        assert_eq!(ext.storage(b"a"), v(b"1"));
        assert!(ext.exists_storage(b"b"));
        assert!(!ext.exists_storage(b"c"));

        ext.set_storage(b"a".to_vec(), b"10".to_vec());
        ext.set_storage(b"c".to_vec(), Vec::new());
        ext.clear_storage(b"b");
        assert_eq!(ext.storage(b"a"), v(b"10"));
        assert_eq!(ext.storage(b"b"), None);
        assert!(!ext.exists_storage(b"b"));
        // An empty value is a value.
        assert_eq!(ext.storage(b"c"), v(b""));
        assert!(ext.exists_storage(b"c"));
        // The backend is untouched.
        assert_eq!(ext.backend().storage(b"b"), v(b"2"));

        let changes = ext.into_changes();
        let expected: BTreeMap<_, _> = [
            (b"a".to_vec(), v(b"10")),
            (b"b".to_vec(), None),
            (b"c".to_vec(), v(b"")),
        ]
        .into_iter()
        .collect();
        assert_eq!(changes.top, expected);
        assert!(changes.children_default.is_empty());
    }

    #[test]
    fn child_storage_keys_cannot_be_written_directly() {
        let mut ext = InMemoryExternalities::new();
        ext.set_storage(b":child_storage:default:kid".to_vec(), b"x".to_vec());
        ext.clear_storage(b":child_storage:default:kid");
        assert_eq!(ext.storage(b":child_storage:default:kid"), None);
        assert!(ext.changes().top.is_empty());
    }

    #[test]
    fn next_key_merges_backend_and_overlay() {
        let mut ext =
            InMemoryExternalities::from_pairs([(b"a", b""), (b"c", b""), (b"e", b""), (b"g", b"")]);
        ext.set_storage(b"b".to_vec(), b"".to_vec());
        ext.clear_storage(b"c");
        ext.clear_storage(b"e");
        ext.clear_storage(b"f"); // deleting an absent key
        ext.set_storage(b"h".to_vec(), b"".to_vec());

        assert_eq!(ext.next_storage_key(b""), v(b"a"));
        assert_eq!(ext.next_storage_key(b"a"), v(b"b"));
        // c and e are deleted in the overlay, f never existed.
        assert_eq!(ext.next_storage_key(b"b"), v(b"g"));
        assert_eq!(ext.next_storage_key(b"bb"), v(b"g"));
        assert_eq!(ext.next_storage_key(b"g"), v(b"h"));
        assert_eq!(ext.next_storage_key(b"h"), None);
        assert_eq!(visible_keys(&ext), [b"a", b"b", b"g", b"h"]);

        // Only deletions after the key, and the backend runs out.
        ext.clear_storage(b"g");
        assert_eq!(ext.next_storage_key(b"b"), v(b"h"));
        ext.clear_storage(b"h");
        assert_eq!(ext.next_storage_key(b"b"), None);
    }

    #[test]
    fn clear_prefix_without_limit() {
        let mut ext = prefix_fixture();
        // Overlay: pb and pe had values (2), pc was deleted. Backend: pa and pd are removed
        // (2), pb and pc were already overlaid (not counted); 4 visited.
        assert_eq!(ext.clear_prefix(b"p", None, None), results(None, 2, 4, 4));
        assert_eq!(visible_keys(&ext), [b"q\0"]);
        // Again: nothing left to remove, but the backend keys are still visited.
        assert_eq!(ext.clear_prefix(b"p", None, None), results(None, 0, 0, 4));
    }

    #[test]
    fn clear_prefix_with_limit_and_cursor() {
        let mut ext = prefix_fixture();
        // The limit bounds backend keys visited: pa (removed), pb (already overlaid); then
        // stops at pc. All overlay keys go regardless.
        assert_eq!(
            ext.clear_prefix(b"p", Some(2), None),
            results(Some(b"pc"), 1, 3, 2)
        );
        assert_eq!(visible_keys(&ext), [&b"pd"[..], b"q\0"]);
        // Resume from the cursor: pc (already deleted), pd (removed); no more keys.
        assert_eq!(
            ext.clear_prefix(b"p", Some(2), Some(b"pc")),
            results(None, 1, 1, 2)
        );
        assert_eq!(visible_keys(&ext), [b"q\0"]);
    }

    #[test]
    fn clear_prefix_limit_edge_cases() {
        // Limit 0: only the overlay is cleared; the cursor is the first backend key.
        let mut ext = prefix_fixture();
        assert_eq!(
            ext.clear_prefix(b"p", Some(0), None),
            results(Some(b"pa"), 0, 2, 0)
        );
        assert_eq!(visible_keys(&ext), [&b"pa"[..], b"pd", b"q\0"]);

        // A limit reached on the last key returns no cursor.
        let mut ext = prefix_fixture();
        assert_eq!(
            ext.clear_prefix(b"p", Some(4), None),
            results(None, 2, 4, 4)
        );

        // A cursor inside the range skips the keys before it.
        let mut ext = prefix_fixture();
        assert_eq!(
            ext.clear_prefix(b"p", None, Some(b"pd")),
            results(None, 1, 3, 1)
        );
        assert_eq!(visible_keys(&ext), [&b"pa"[..], b"q\0"]);

        // A cursor before the prefix starts at the prefix; one after it visits nothing.
        let mut ext = prefix_fixture();
        assert_eq!(
            ext.clear_prefix(b"p", Some(1), Some(b"a")),
            results(Some(b"pb"), 1, 3, 1)
        );
        let mut ext = prefix_fixture();
        assert_eq!(
            ext.clear_prefix(b"p", None, Some(b"z")),
            results(None, 0, 2, 0)
        );
        assert_eq!(visible_keys(&ext), [&b"pa"[..], b"pd", b"q\0"]);

        // The prefix itself is a key, and a longer prefix.
        let mut ext =
            InMemoryExternalities::from_pairs([(&b"p"[..], &b""[..]), (b"pa", b""), (b"pab", b"")]);
        assert_eq!(ext.clear_prefix(b"pa", None, None), results(None, 2, 2, 2));
        assert_eq!(visible_keys(&ext), [b"p"]);
    }

    #[test]
    fn clear_prefix_refuses_child_storage_space() {
        let mut ext = prefix_fixture();
        let before = ext.changes();
        for prefix in [
            &b""[..],
            b":",
            b":child_storage:",
            b":child_storage:default:kid",
        ] {
            assert_eq!(
                ext.clear_prefix(prefix, None, None),
                MultiRemovalResults::default()
            );
        }
        assert_eq!(ext.changes(), before);
    }

    #[test]
    fn clear_prefix_in_a_transaction_rolls_back() {
        let mut ext = prefix_fixture();
        let before = visible_keys(&ext);
        ext.start_transaction();
        ext.clear_prefix(b"p", None, None);
        assert_eq!(visible_keys(&ext), [b"q\0"]);
        ext.rollback_transaction().unwrap();
        assert_eq!(visible_keys(&ext), before);
        assert_eq!(ext.storage(b"pb"), v(b"20"));
    }

    #[test]
    fn append_to_absent_valid_and_garbage_values() {
        let valid = [Compact(2u32).encode(), b"ab".to_vec()].concat();
        let mut ext = InMemoryExternalities::from_pairs([
            (&b"valid"[..], &valid[..]),
            (b"garbage", &[0xff, 1, 2]),
            (b"empty", &[]),
        ]);

        ext.storage_append(b"absent".to_vec(), vec![1, 2]);
        assert_eq!(ext.storage(b"absent"), Some(vec![4, 1, 2]));
        ext.storage_append(b"absent".to_vec(), vec![3]);
        assert_eq!(ext.storage(b"absent"), Some(vec![8, 1, 2, 3]));

        ext.storage_append(b"valid".to_vec(), b"c".to_vec());
        assert_eq!(
            ext.storage(b"valid"),
            Some([vec![12], b"abc".to_vec()].concat())
        );

        // 0xff announces a compact longer than u32: not a valid length, so replaced.
        ext.storage_append(b"garbage".to_vec(), vec![9]);
        assert_eq!(ext.storage(b"garbage"), Some(vec![4, 9]));

        ext.storage_append(b"empty".to_vec(), vec![9]);
        assert_eq!(ext.storage(b"empty"), Some(vec![4, 9]));

        // Deleted in the overlay: starts afresh (the backend value is not used).
        ext.clear_storage(b"valid");
        ext.storage_append(b"valid".to_vec(), vec![7]);
        assert_eq!(ext.storage(b"valid"), Some(vec![4, 7]));
    }

    #[test]
    fn append_decodes_as_a_vector() {
        let mut ext = InMemoryExternalities::new();
        let items: Vec<u32> = (0..100).collect();
        for (i, item) in items.iter().enumerate() {
            if i % 10 == 0 {
                ext.start_transaction();
            }
            ext.storage_append(b"events".to_vec(), item.encode());
            if i % 10 == 9 {
                ext.commit_transaction().unwrap();
            }
        }
        let stored = ext.storage(b"events").unwrap();
        assert_eq!(Vec::<u32>::decode(&mut &stored[..]).unwrap(), items);
    }

    #[test]
    fn append_in_transactions() {
        let mut ext = InMemoryExternalities::from_pairs([(b"e", [4, b'a'])]);
        ext.start_transaction();
        ext.storage_append(b"e".to_vec(), b"b".to_vec());
        ext.start_transaction();
        ext.storage_append(b"e".to_vec(), b"c".to_vec());
        assert_eq!(ext.storage(b"e"), Some(vec![12, b'a', b'b', b'c']));
        ext.rollback_transaction().unwrap();
        assert_eq!(ext.storage(b"e"), Some(vec![8, b'a', b'b']));
        ext.start_transaction();
        ext.storage_append(b"e".to_vec(), b"d".to_vec());
        ext.commit_transaction().unwrap();
        assert_eq!(ext.storage(b"e"), Some(vec![12, b'a', b'b', b'd']));
        assert!(ext.committed_changes().top.is_empty());
        ext.commit_transaction().unwrap();
        assert_eq!(
            ext.committed_changes().top[&b"e".to_vec()],
            Some(vec![12, b'a', b'b', b'd'])
        );
    }

    #[test]
    fn nested_transactions() {
        let mut ext = InMemoryExternalities::from_pairs([(b"base", b"0")]);
        ext.set_storage(b"a".to_vec(), b"0".to_vec());
        ext.start_transaction();
        ext.set_storage(b"a".to_vec(), b"1".to_vec());
        ext.set_storage(b"outer".to_vec(), b"1".to_vec());
        ext.start_transaction();
        assert_eq!(ext.transaction_depth(), 2);
        ext.set_storage(b"a".to_vec(), b"2".to_vec());
        ext.clear_storage(b"base");
        ext.set_storage(b"inner".to_vec(), b"2".to_vec());

        // Rolling back the inner transaction keeps the outer one's changes.
        ext.rollback_transaction().unwrap();
        assert_eq!(ext.storage(b"a"), v(b"1"));
        assert_eq!(ext.storage(b"base"), v(b"0"));
        assert_eq!(ext.storage(b"outer"), v(b"1"));
        assert_eq!(ext.storage(b"inner"), None);

        // Committing merges into the parent, which can still roll it all back.
        ext.start_transaction();
        ext.set_storage(b"a".to_vec(), b"3".to_vec());
        ext.set_storage(b"inner".to_vec(), b"3".to_vec());
        ext.commit_transaction().unwrap();
        assert_eq!(ext.storage(b"a"), v(b"3"));
        assert_eq!(ext.storage(b"inner"), v(b"3"));
        assert_eq!(ext.committed_changes().top.len(), 1);
        ext.rollback_transaction().unwrap();
        assert_eq!(ext.storage(b"a"), v(b"0"));
        assert_eq!(ext.storage(b"inner"), None);
        assert_eq!(ext.storage(b"outer"), None);

        // Commit all the way down.
        ext.start_transaction();
        ext.start_transaction();
        ext.set_storage(b"deep".to_vec(), b"4".to_vec());
        ext.commit_transaction().unwrap();
        ext.commit_transaction().unwrap();
        assert_eq!(ext.transaction_depth(), 0);
        assert_eq!(ext.committed_changes().top[&b"deep".to_vec()], v(b"4"));
    }

    #[test]
    fn too_many_commits_or_rollbacks() {
        let mut ext = InMemoryExternalities::new();
        assert_eq!(ext.commit_transaction(), Err(NoOpenTransaction));
        assert_eq!(ext.rollback_transaction(), Err(NoOpenTransaction));
        ext.start_transaction();
        ext.set_storage(b"k".to_vec(), b"v".to_vec());
        ext.commit_transaction().unwrap();
        assert_eq!(ext.commit_transaction(), Err(NoOpenTransaction));
        assert_eq!(ext.rollback_transaction(), Err(NoOpenTransaction));
        // The failed calls changed nothing.
        assert_eq!(ext.storage(b"k"), v(b"v"));
    }

    #[test]
    fn into_changes_discards_open_transactions() {
        let mut ext = InMemoryExternalities::new();
        ext.set_storage(b"kept".to_vec(), b"1".to_vec());
        ext.set_child_storage(b"kid", b"kept".to_vec(), b"1".to_vec());
        ext.start_transaction();
        ext.set_storage(b"lost".to_vec(), b"2".to_vec());
        ext.set_child_storage(b"kid2", b"lost".to_vec(), b"2".to_vec());
        assert_eq!(ext.changes().top.len(), 2);
        assert_eq!(ext.changes().children_default.len(), 2);
        let changes = ext.into_changes();
        assert_eq!(changes.top.keys().collect::<Vec<_>>(), [b"kept"]);
        assert_eq!(
            changes.children_default.keys().collect::<Vec<_>>(),
            [b"kid"]
        );
    }

    #[test]
    fn storage_root_matches_the_merged_state() {
        let long = vec![7u8; 40];
        let mut ext = InMemoryExternalities::from_pairs([
            (&b"a"[..], &b"1"[..]),
            (b"b", &long[..]),
            (b"c", b"3"),
        ]);
        assert_eq!(
            ext.storage_root(StateVersion::V0),
            state_root(&ext.full_storage(), StateVersion::V0)
        );
        ext.set_storage(b"a".to_vec(), long.clone());
        ext.clear_storage(b"c");
        ext.set_storage(b"d".to_vec(), b"4".to_vec());
        ext.storage_append(b"e".to_vec(), vec![1]);
        let expected_state: BTreeMap<Vec<u8>, Vec<u8>> = [
            (b"a".to_vec(), long.clone()),
            (b"b".to_vec(), long.clone()),
            (b"d".to_vec(), b"4".to_vec()),
            (b"e".to_vec(), vec![4, 1]),
        ]
        .into_iter()
        .collect();
        assert_eq!(ext.full_storage().top, expected_state);
        for version in [StateVersion::V0, StateVersion::V1] {
            let expected = trie_root::<Blake2Hasher>(&expected_state, version);
            assert_eq!(ext.storage_root(version), expected);
        }
        assert_ne!(
            ext.storage_root(StateVersion::V0),
            ext.storage_root(StateVersion::V1)
        );

        // Roots see open transactions.
        ext.start_transaction();
        ext.clear_prefix(b"a", None, None);
        let without_a: Vec<_> = expected_state
            .iter()
            .filter(|(k, _)| k[..] != *b"a")
            .collect();
        assert_eq!(
            ext.storage_root(StateVersion::V1),
            trie_root::<Blake2Hasher>(without_a, StateVersion::V1)
        );
    }

    #[test]
    fn empty_state_root() {
        let mut ext = InMemoryExternalities::from_pairs([(b"a", b"1")]);
        ext.clear_storage(b"a");
        assert_eq!(ext.storage_root(StateVersion::V0), EMPTY_TRIE_ROOT);
        assert_eq!(ext.storage_root(StateVersion::V1), EMPTY_TRIE_ROOT);
    }

    #[test]
    fn child_tries_and_their_roots() {
        let backend = InMemoryBackend::from_pairs([(b"top", b"1")])
            .with_child(b"kid", [(b"x", b"10"), (b"y", b"11")]);
        let mut ext = OverlayedExternalities::with_backend(backend);
        let top_only = trie_root::<Blake2Hasher>([(b"top", b"1")], StateVersion::V0);
        let kid_root = trie_root::<Blake2Hasher>([(b"x", b"10"), (b"y", b"11")], StateVersion::V0);
        let with_kid = |kid_root: [u8; 32], extra: Option<(&[u8], [u8; 32])>| {
            let mut top = vec![
                (b"top".to_vec(), b"1".to_vec()),
                (b":child_storage:default:kid".to_vec(), kid_root.to_vec()),
            ];
            if let Some((child, root)) = extra {
                top.push((
                    [CHILD_STORAGE_DEFAULT_PREFIX, child].concat(),
                    root.to_vec(),
                ));
            }
            trie_root::<Blake2Hasher>(top, StateVersion::V0)
        };

        assert_eq!(ext.child_storage(b"kid", b"x"), v(b"10"));
        assert_eq!(ext.child_storage(b"other", b"x"), None);
        assert_eq!(ext.child_storage_root(b"kid", StateVersion::V0), kid_root);
        assert_eq!(
            ext.child_storage_root(b"other", StateVersion::V0),
            EMPTY_TRIE_ROOT
        );
        assert_eq!(ext.storage_root(StateVersion::V0), with_kid(kid_root, None));

        // Child writes change the child root and, through it, the top root; the top trie's own
        // keys are unaffected.
        ext.set_child_storage(b"kid", b"z".to_vec(), b"12".to_vec());
        ext.clear_child_storage(b"kid", b"x");
        ext.set_child_storage(b"new", b"k".to_vec(), b"v".to_vec());
        assert_eq!(ext.child_storage(b"kid", b"x"), None);
        assert!(ext.exists_child_storage(b"kid", b"z"));
        assert_eq!(ext.storage(b"z"), None);
        assert_eq!(ext.next_child_storage_key(b"kid", b""), v(b"y"));
        assert_eq!(ext.next_child_storage_key(b"kid", b"y"), v(b"z"));
        assert_eq!(ext.next_child_storage_key(b"new", b""), v(b"k"));
        let kid_root2 = trie_root::<Blake2Hasher>([(b"y", b"11"), (b"z", b"12")], StateVersion::V0);
        let new_root = trie_root::<Blake2Hasher>([(b"k", b"v")], StateVersion::V0);
        assert_eq!(ext.child_storage_root(b"kid", StateVersion::V0), kid_root2);
        assert_eq!(
            ext.storage_root(StateVersion::V0),
            with_kid(kid_root2, Some((b"new", new_root)))
        );
        assert_eq!(
            ext.storage_root(StateVersion::V0),
            state_root(&ext.full_storage(), StateVersion::V0)
        );

        // A partial kill: the limit counts backend keys (x is already deleted, y removed).
        assert_eq!(
            ext.kill_child_storage(b"kid", Some(2), None),
            results(None, 1, 2, 2)
        );
        assert_eq!(
            ext.child_storage_root(b"kid", StateVersion::V0),
            EMPTY_TRIE_ROOT
        );
        // Empty child tries vanish from the top trie.
        ext.clear_child_prefix(b"new", b"k", None, None);
        assert_eq!(ext.storage_root(StateVersion::V0), top_only);
        assert!(ext.full_storage().children_default.is_empty());
    }

    #[test]
    fn kill_child_storage_with_limits_and_transactions() {
        let backend =
            InMemoryBackend::default().with_child(b"kid", [(b"a", b""), (b"b", b""), (b"c", b"")]);
        let mut ext = OverlayedExternalities::with_backend(backend);
        ext.set_child_storage(b"kid", b"d".to_vec(), b"".to_vec());
        ext.start_transaction();
        assert_eq!(
            ext.kill_child_storage(b"kid", Some(1), None),
            results(Some(b"b"), 1, 2, 1)
        );
        assert_eq!(ext.next_child_storage_key(b"kid", b""), v(b"b"));
        assert_eq!(
            ext.kill_child_storage(b"kid", None, Some(b"b")),
            results(None, 2, 2, 2)
        );
        assert_eq!(ext.next_child_storage_key(b"kid", b""), None);
        ext.rollback_transaction().unwrap();
        assert_eq!(ext.next_child_storage_key(b"kid", b"c"), v(b"d"));
        // A child first touched inside a transaction disappears with it.
        ext.start_transaction();
        ext.set_child_storage(b"tmp", b"k".to_vec(), b"v".to_vec());
        ext.rollback_transaction().unwrap();
        assert_eq!(ext.child_storage(b"tmp", b"k"), None);
        assert_eq!(
            ext.changes().children_default.keys().collect::<Vec<_>>(),
            [b"kid"]
        );

        ext.start_transaction();
        ext.set_child_storage(b"tmp", b"k".to_vec(), b"v".to_vec());
        ext.commit_transaction().unwrap();
        assert_eq!(ext.committed_changes().children_default.len(), 2);
    }

    #[test]
    fn clear_child_prefix_counts() {
        let backend = InMemoryBackend::default()
            .with_child(b"kid", [(&b"pa"[..], &b""[..]), (b"pb", b""), (b"q", b"")]);
        let mut ext = OverlayedExternalities::with_backend(backend);
        ext.set_child_storage(b"kid", b"pb".to_vec(), b"1".to_vec());
        ext.set_child_storage(b"kid", b"pc".to_vec(), b"1".to_vec());
        // The empty prefix is fine for child tries.
        assert_eq!(
            ext.clear_child_prefix(b"kid", b"p", None, None),
            results(None, 1, 3, 2)
        );
        assert_eq!(ext.next_child_storage_key(b"kid", b""), v(b"q"));
        assert_eq!(
            ext.clear_child_prefix(b"kid", b"", Some(0), None),
            results(Some(b"pa"), 0, 0, 0)
        );
    }

    // ---- Model-based test: the overlay against a naive model. ----

    use proptest::prelude::*;

    type Map = BTreeMap<Vec<u8>, Vec<u8>>;
    type Overlay = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

    const CHILDREN: [&[u8]; 2] = [b"c0", b"c1"];

    /// A naive model: the base state, the changes (whole maps), and a copy of the changes for
    /// each open transaction.
    #[derive(Clone, Debug, Default)]
    struct Model {
        base_top: Map,
        base_children: BTreeMap<Vec<u8>, Map>,
        top: Overlay,
        children: BTreeMap<Vec<u8>, Overlay>,
        saved: Vec<(Overlay, BTreeMap<Vec<u8>, Overlay>)>,
    }

    fn model_get(base: Option<&Map>, overlay: Option<&Overlay>, key: &[u8]) -> Option<Vec<u8>> {
        match overlay.and_then(|o| o.get(key)) {
            Some(value) => value.clone(),
            None => base.and_then(|b| b.get(key).cloned()),
        }
    }

    fn model_merged(base: Option<&Map>, overlay: Option<&Overlay>) -> Map {
        let mut merged = base.cloned().unwrap_or_default();
        for (k, value) in overlay.into_iter().flatten() {
            match value {
                Some(value) => merged.insert(k.clone(), value.clone()),
                None => merged.remove(k),
            };
        }
        merged
    }

    fn model_next(base: Option<&Map>, overlay: Option<&Overlay>, key: &[u8]) -> Option<Vec<u8>> {
        let merged = model_merged(base, overlay);
        merged
            .range::<[u8], _>((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded))
            .next()
            .map(|(k, _)| k.clone())
    }

    fn model_remove(
        base: Option<&Map>,
        overlay: &mut Overlay,
        prefix: &[u8],
        limit: Option<u32>,
        cursor: Option<&[u8]>,
    ) -> MultiRemovalResults {
        let mut unique = 0;
        for (k, value) in overlay.iter_mut() {
            if k.starts_with(prefix) {
                if value.is_some() {
                    unique += 1;
                }
                *value = None;
            }
        }
        let mut out = MultiRemovalResults::default();
        for k in base.into_iter().flat_map(|b| b.keys()) {
            if !k.starts_with(prefix) || cursor.is_some_and(|c| k.as_slice() < c) {
                continue;
            }
            if limit == Some(out.loops) {
                out.maybe_cursor = Some(k.clone());
                break;
            }
            if overlay.get(k) != Some(&None) {
                overlay.insert(k.clone(), None);
                out.backend += 1;
            }
            out.loops += 1;
        }
        out.unique = unique + out.backend;
        out
    }

    fn model_append(current: Option<Vec<u8>>, item: &[u8]) -> Vec<u8> {
        if let Some(current) = current {
            let mut input = &current[..];
            if let Ok(Compact(count)) = Compact::<u32>::decode(&mut input) {
                if count < u32::MAX {
                    return [Compact(count + 1).encode(), input.to_vec(), item.to_vec()].concat();
                }
            }
        }
        [vec![4], item.to_vec()].concat()
    }

    impl Model {
        fn state(&self) -> Storage {
            let children_default = CHILDREN
                .iter()
                .map(|c| {
                    let merged = model_merged(self.base_children.get(*c), self.children.get(*c));
                    (c.to_vec(), merged)
                })
                .filter(|(_, m)| !m.is_empty())
                .collect();
            Storage {
                top: model_merged(Some(&self.base_top), Some(&self.top)),
                children_default,
            }
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Set(Vec<u8>, Vec<u8>),
        Clear(Vec<u8>),
        Append(Vec<u8>, Vec<u8>),
        ClearPrefix(Vec<u8>, Option<u32>, Option<Vec<u8>>),
        ChildSet(usize, Vec<u8>, Vec<u8>),
        ChildClear(usize, Vec<u8>),
        ChildKill(usize, Option<u32>, Option<Vec<u8>>),
        ChildClearPrefix(usize, Vec<u8>, Option<u32>, Option<Vec<u8>>),
        Start,
        Commit,
        Rollback,
    }

    fn key() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(0u8..3, 0..3)
    }

    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => proptest::collection::vec(any::<u8>(), 0..4),
            1 => proptest::collection::vec(any::<u8>(), 33..40),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        let limit = || proptest::option::of(0u32..4);
        let cursor = || proptest::option::of(key());
        let child = || 0..CHILDREN.len();
        prop_oneof![
            4 => (key(), value()).prop_map(|(k, v)| Op::Set(k, v)),
            2 => key().prop_map(Op::Clear),
            3 => (key(), value()).prop_map(|(k, v)| Op::Append(k, v)),
            2 => (proptest::collection::vec(0u8..3, 1..3), limit(), cursor())
                .prop_map(|(p, l, c)| Op::ClearPrefix(p, l, c)),
            2 => (child(), key(), value()).prop_map(|(c, k, v)| Op::ChildSet(c, k, v)),
            1 => (child(), key()).prop_map(|(c, k)| Op::ChildClear(c, k)),
            1 => (child(), limit(), cursor()).prop_map(|(c, l, k)| Op::ChildKill(c, l, k)),
            1 => (child(), proptest::collection::vec(0u8..3, 0..2), limit(), cursor())
                .prop_map(|(c, p, l, k)| Op::ChildClearPrefix(c, p, l, k)),
            2 => Just(Op::Start),
            1 => Just(Op::Commit),
            1 => Just(Op::Rollback),
        ]
    }

    fn base_map() -> impl Strategy<Value = Map> {
        proptest::collection::btree_map(key(), value(), 0..8)
    }

    fn all_keys() -> Vec<Vec<u8>> {
        let mut keys = vec![vec![]];
        for a in 0..3u8 {
            keys.push(vec![a]);
            for b in 0..3u8 {
                keys.push(vec![a, b]);
            }
        }
        keys
    }

    fn check_reads(ext: &InMemoryExternalities, model: &Model) -> Result<(), TestCaseError> {
        for k in all_keys() {
            let expected = model_get(Some(&model.base_top), Some(&model.top), &k);
            prop_assert_eq!(ext.storage(&k), expected.clone(), "storage {:?}", k);
            prop_assert_eq!(ext.exists_storage(&k), expected.is_some());
            prop_assert_eq!(
                ext.next_storage_key(&k),
                model_next(Some(&model.base_top), Some(&model.top), &k),
                "next {:?}",
                k
            );
            for c in CHILDREN {
                let (base, overlay) = (model.base_children.get(c), model.children.get(c));
                prop_assert_eq!(ext.child_storage(c, &k), model_get(base, overlay, &k));
                prop_assert_eq!(
                    ext.next_child_storage_key(c, &k),
                    model_next(base, overlay, &k)
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn overlay_matches_a_naive_model(
            base_top in base_map(),
            base_c0 in base_map(),
            ops in proptest::collection::vec(op(), 0..60),
        ) {
            let backend = InMemoryBackend::from_pairs(&base_top).with_child(CHILDREN[0], &base_c0);
            let mut ext = OverlayedExternalities::with_backend(backend.clone());
            let mut model = Model { base_top, ..Model::default() };
            if !base_c0.is_empty() {
                model.base_children.insert(CHILDREN[0].to_vec(), base_c0);
            }

            for op in ops {
                match op {
                    Op::Set(k, v) => {
                        ext.set_storage(k.clone(), v.clone());
                        model.top.insert(k, Some(v));
                    }
                    Op::Clear(k) => {
                        ext.clear_storage(&k);
                        model.top.insert(k, None);
                    }
                    Op::Append(k, v) => {
                        ext.storage_append(k.clone(), v.clone());
                        let current = model_get(Some(&model.base_top), Some(&model.top), &k);
                        model.top.insert(k, Some(model_append(current, &v)));
                    }
                    Op::ClearPrefix(p, limit, cursor) => {
                        let got = ext.clear_prefix(&p, limit, cursor.as_deref());
                        let expected = model_remove(
                            Some(&model.base_top), &mut model.top, &p, limit, cursor.as_deref(),
                        );
                        prop_assert_eq!(got, expected);
                    }
                    Op::ChildSet(c, k, v) => {
                        ext.set_child_storage(CHILDREN[c], k.clone(), v.clone());
                        model.children.entry(CHILDREN[c].to_vec()).or_default().insert(k, Some(v));
                    }
                    Op::ChildClear(c, k) => {
                        ext.clear_child_storage(CHILDREN[c], &k);
                        model.children.entry(CHILDREN[c].to_vec()).or_default().insert(k, None);
                    }
                    Op::ChildKill(c, limit, cursor) => {
                        let got = ext.kill_child_storage(CHILDREN[c], limit, cursor.as_deref());
                        let base = model.base_children.get(CHILDREN[c]);
                        let overlay = model.children.entry(CHILDREN[c].to_vec()).or_default();
                        let expected = model_remove(base, overlay, &[], limit, cursor.as_deref());
                        prop_assert_eq!(got, expected);
                    }
                    Op::ChildClearPrefix(c, p, limit, cursor) => {
                        let got =
                            ext.clear_child_prefix(CHILDREN[c], &p, limit, cursor.as_deref());
                        let base = model.base_children.get(CHILDREN[c]);
                        let overlay = model.children.entry(CHILDREN[c].to_vec()).or_default();
                        let expected = model_remove(base, overlay, &p, limit, cursor.as_deref());
                        prop_assert_eq!(got, expected);
                    }
                    Op::Start => {
                        ext.start_transaction();
                        model.saved.push((model.top.clone(), model.children.clone()));
                    }
                    Op::Commit => {
                        let expected = model.saved.pop().map(|_| ()).ok_or(NoOpenTransaction);
                        prop_assert_eq!(ext.commit_transaction(), expected);
                    }
                    Op::Rollback => {
                        let saved = model.saved.pop();
                        prop_assert_eq!(ext.rollback_transaction().is_ok(), saved.is_some());
                        if let Some((top, children)) = saved {
                            model.top = top;
                            model.children = children;
                        }
                    }
                }
                prop_assert_eq!(ext.transaction_depth(), model.saved.len());
                check_reads(&ext, &model)?;
            }

            let state = model.state();
            prop_assert_eq!(ext.full_storage(), state.clone());
            for version in [StateVersion::V0, StateVersion::V1] {
                prop_assert_eq!(ext.storage_root(version), state_root(&state, version));
                for c in CHILDREN {
                    let expected = state
                        .children_default
                        .get(c)
                        .map_or(EMPTY_TRIE_ROOT, |m| trie_root::<Blake2Hasher>(m, version));
                    prop_assert_eq!(ext.child_storage_root(c, version), expected);
                }
            }

            // The committed changes are those outside the open transactions; applying them to
            // the backend gives the state as it was when the first open transaction started.
            let (committed_top, committed_children) = match model.saved.first() {
                Some(saved) => saved.clone(),
                None => (model.top.clone(), model.children.clone()),
            };
            let committed = ext.committed_changes();
            prop_assert_eq!(&committed.top, &committed_top);
            let nonempty: BTreeMap<_, _> =
                committed_children.into_iter().filter(|(_, o)| !o.is_empty()).collect();
            prop_assert_eq!(&committed.children_default, &nonempty);
            prop_assert_eq!(ext.into_changes(), committed);
        }
    }
}

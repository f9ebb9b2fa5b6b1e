//! Tries kept node by node in a key-value store (keyed by node hash), read and updated with
//! `trie-db` in Substrate's layout.
//!
//! * [`LayoutV0`] / [`LayoutV1`]: the `trie-db` layouts of the two state versions (no
//!   extension nodes, empty values allowed, V1 storing values of 33 bytes or more by hash),
//!   over [`SubstrateNodeCodec`](crate::proof::SubstrateNodeCodec).
//! * [`NodeStore`]: where committed nodes are read from (a database column, a map).
//! * [`get`], [`next_key`], [`child_root`]: reads of a state at a root; [`read_proof`]: the
//!   nodes such reads visit, as a storage proof.
//! * [`Overlay`] + [`apply_changes`] / [`build_state`]: a state's new root after a set of
//!   changes, with the new nodes collected in the overlay for the caller to store
//!   ([`Overlay::into_nodes`]).
//!
//! Nodes are keyed by their hash alone (no key-path prefix): with an archive store where
//! nothing is deleted, a node shared by several tries or blocks is simply stored once.

use std::collections::HashMap;

use hash_db::{AsHashDB, HashDB, HashDBRef, Prefix};
use memory_db::{HashKey, MemoryDB};
use trie_db::{
    Trie, TrieDBBuilder, TrieDBKeyIterator, TrieDBMutBuilder, TrieIterator, TrieLayout, TrieMut,
};

use crate::{
    Blake2Hasher, StateVersion, CHILD_STORAGE_DEFAULT_PREFIX, CHILD_STORAGE_KEY_PREFIX,
    EMPTY_TRIE_ROOT,
};

/// A node's (or a hashed value's) bytes.
pub type DBValue = Vec<u8>;

/// A 32-byte node hash or root.
pub type Hash = [u8; 32];

/// Substrate's state trie layout V0 (values inline) with blake2-256.
pub type LayoutV0 = crate::proof::LayoutV0<Blake2Hasher>;

/// Substrate's state trie layout V1 (values of 33 bytes or more by hash) with blake2-256.
pub type LayoutV1 = crate::proof::LayoutV1<Blake2Hasher>;

/// A failed trie read or update: a missing node (an incomplete or corrupt store), a node that
/// does not decode, or a malformed child root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrieDbError(pub String);

impl std::fmt::Display for TrieDbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TrieDbError {}

impl<T: std::fmt::Debug, E: std::fmt::Debug> From<Box<trie_db::TrieError<T, E>>> for TrieDbError {
    fn from(error: Box<trie_db::TrieError<T, E>>) -> Self {
        TrieDbError(format!("{error:?}"))
    }
}

/// Where committed trie nodes (and hashed values) are read from, by hash.
pub trait NodeStore: Send + Sync {
    /// The node whose hash is `hash`, if stored.
    fn get(&self, hash: &Hash) -> Option<DBValue>;
}

impl NodeStore for HashMap<Hash, DBValue> {
    fn get(&self, hash: &Hash) -> Option<DBValue> {
        HashMap::get(self, hash).cloned()
    }
}

/// A [`NodeStore`] as `trie-db` reads it. The empty node is known without a lookup.
struct StoreRef<'a>(&'a dyn NodeStore);

impl HashDBRef<Blake2Hasher, DBValue> for StoreRef<'_> {
    fn get(&self, key: &Hash, _prefix: Prefix) -> Option<DBValue> {
        if *key == EMPTY_TRIE_ROOT {
            return Some(vec![0]);
        }
        self.0.get(key)
    }

    fn contains(&self, key: &Hash, prefix: Prefix) -> bool {
        HashDBRef::get(self, key, prefix).is_some()
    }
}

/// The value of `key` in the trie with root `root`.
pub fn get(store: &dyn NodeStore, root: &Hash, key: &[u8]) -> Result<Option<DBValue>, TrieDbError> {
    let db = StoreRef(store);
    // Reading does not depend on the layout's version: hashed values are found either way.
    let trie = TrieDBBuilder::<LayoutV1>::new(&db, root).build();
    Ok(trie.get(key)?)
}

/// A storage proof of `keys` in the trie with root `root` (Substrate's `StorageProof`): every
/// node (and hashed value) reading them visits, once each, sorted. With only these nodes,
/// reading any of `keys` from `root` gives its value (or proves its absence).
pub fn read_proof<'k>(
    store: &dyn NodeStore,
    root: &Hash,
    keys: impl IntoIterator<Item = &'k [u8]>,
) -> Result<Vec<DBValue>, TrieDbError> {
    let db = StoreRef(store);
    let mut recorder = trie_db::recorder::Recorder::<LayoutV1>::new();
    for key in keys {
        let trie = TrieDBBuilder::<LayoutV1>::new(&db, root)
            .with_recorder(&mut recorder)
            .build();
        trie.get(key)?;
    }
    let mut nodes: Vec<DBValue> = recorder
        .drain()
        .into_iter()
        .map(|record| record.data)
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    Ok(nodes)
}

/// The smallest key strictly greater than `key` in the trie with root `root`.
pub fn next_key(
    store: &dyn NodeStore,
    root: &Hash,
    key: &[u8],
) -> Result<Option<Vec<u8>>, TrieDbError> {
    let db = StoreRef(store);
    let trie = TrieDBBuilder::<LayoutV1>::new(&db, root).build();
    let mut iter = TrieDBKeyIterator::new(&trie)?;
    // Positions on the first key >= `key`: at most that one key is skipped.
    iter.seek(key)?;
    for next in iter {
        let next = next?;
        if next.as_slice() > key {
            return Ok(Some(next));
        }
    }
    Ok(None)
}

/// Every key-value pair of the trie with root `root`, in key order (for checks and tests).
pub fn entries(store: &dyn NodeStore, root: &Hash) -> Result<Vec<(Vec<u8>, DBValue)>, TrieDbError> {
    let db = StoreRef(store);
    let trie = TrieDBBuilder::<LayoutV1>::new(&db, root).build();
    let mut out = Vec::new();
    for item in trie.iter()? {
        out.push(item?);
    }
    Ok(out)
}

/// The top-trie key of the root of default child trie `child`.
pub fn child_root_key(child: &[u8]) -> Vec<u8> {
    [CHILD_STORAGE_DEFAULT_PREFIX, child].concat()
}

/// The root of default child trie `child` in the state with root `root`: the value stored
/// under [`child_root_key`], or the empty trie root if there is none.
pub fn child_root(store: &dyn NodeStore, root: &Hash, child: &[u8]) -> Result<Hash, TrieDbError> {
    match get(store, root, &child_root_key(child))? {
        None => Ok(EMPTY_TRIE_ROOT),
        Some(value) => value.as_slice().try_into().map_err(|_| {
            TrieDbError(format!(
                "the root of child trie 0x{} is {} bytes long, not 32",
                hex_of(child),
                value.len()
            ))
        }),
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// New nodes over a [`NodeStore`]: what `trie-db` writes while updating a trie, and reads back
/// before the store has them. Deletions are not forwarded: the store is an archive.
pub struct Overlay<'a> {
    store: &'a dyn NodeStore,
    memory: MemoryDB<Blake2Hasher, HashKey<Blake2Hasher>, DBValue>,
}

impl<'a> Overlay<'a> {
    /// An empty overlay over `store`.
    pub fn new(store: &'a dyn NodeStore) -> Self {
        Self {
            store,
            memory: MemoryDB::default(),
        }
    }

    /// The nodes written and still referenced (reference count above zero), to store.
    pub fn into_nodes(mut self) -> Vec<(Hash, DBValue)> {
        self.memory
            .drain()
            .into_iter()
            .filter(|(_, (_, refs))| *refs > 0)
            .map(|(hash, (value, _))| (hash, value))
            .collect()
    }
}

impl HashDB<Blake2Hasher, DBValue> for Overlay<'_> {
    fn get(&self, key: &Hash, prefix: Prefix) -> Option<DBValue> {
        if let Some(value) = HashDB::get(&self.memory, key, prefix) {
            return Some(value);
        }
        if *key == EMPTY_TRIE_ROOT {
            return Some(vec![0]);
        }
        self.store.get(key)
    }

    fn contains(&self, key: &Hash, prefix: Prefix) -> bool {
        HashDB::get(self, key, prefix).is_some()
    }

    fn insert(&mut self, prefix: Prefix, value: &[u8]) -> Hash {
        HashDB::insert(&mut self.memory, prefix, value)
    }

    fn emplace(&mut self, key: Hash, prefix: Prefix, value: DBValue) {
        HashDB::emplace(&mut self.memory, key, prefix, value)
    }

    fn remove(&mut self, key: &Hash, prefix: Prefix) {
        HashDB::remove(&mut self.memory, key, prefix)
    }
}

impl AsHashDB<Blake2Hasher, DBValue> for Overlay<'_> {
    fn as_hash_db(&self) -> &dyn HashDB<Blake2Hasher, DBValue> {
        self
    }

    fn as_hash_db_mut<'b>(&'b mut self) -> &'b mut (dyn HashDB<Blake2Hasher, DBValue> + 'b) {
        self
    }
}

fn apply_with<'k, L: TrieLayout<Hash = Blake2Hasher>>(
    overlay: &mut Overlay<'_>,
    root: Hash,
    delta: impl IntoIterator<Item = (&'k [u8], Option<&'k [u8]>)>,
) -> Result<Hash, TrieDbError> {
    let mut root = root;
    {
        let mut trie = TrieDBMutBuilder::<L>::from_existing(overlay, &mut root).build();
        for (key, value) in delta {
            match value {
                Some(value) => {
                    trie.insert(key, value)?;
                }
                // Only existing keys are removed: `trie-db` 0.32 removing an absent key that
                // is a strict prefix of a branch's path takes that branch's value out.
                None => {
                    if trie.contains(key)? {
                        trie.remove(key)?;
                    }
                }
            }
        }
        trie.commit();
    }
    Ok(root)
}

/// Applies `delta` (`Some` sets, `None` deletes) to the trie with root `root`; returns the new
/// root, the new nodes being in `overlay`.
pub fn apply_delta<'k>(
    overlay: &mut Overlay<'_>,
    root: Hash,
    delta: impl IntoIterator<Item = (&'k [u8], Option<&'k [u8]>)>,
    version: StateVersion,
) -> Result<Hash, TrieDbError> {
    match version {
        StateVersion::V0 => apply_with::<LayoutV0>(overlay, root, delta),
        StateVersion::V1 => apply_with::<LayoutV1>(overlay, root, delta),
    }
}

/// Applies changes to a whole state (top trie and default child tries) with root `root`;
/// returns the new state root, the new nodes being in `overlay`.
///
/// `children` gives each touched child trie (by storage key without prefix) and its delta;
/// each child's new root is written to the top trie under [`child_root_key`], or removed from
/// it if the child trie ends up empty. Top-trie keys under `:child_storage:` in `top` are
/// ignored: child roots only derive from the child tries.
pub fn apply_changes<'k, D>(
    overlay: &mut Overlay<'_>,
    root: Hash,
    top: impl IntoIterator<Item = (&'k [u8], Option<&'k [u8]>)>,
    children: impl IntoIterator<Item = (&'k [u8], D)>,
    version: StateVersion,
) -> Result<Hash, TrieDbError>
where
    D: IntoIterator<Item = (&'k [u8], Option<&'k [u8]>)>,
{
    let mut child_roots = Vec::new();
    for (child, delta) in children {
        let old = child_root(overlay.store, &root, child)?;
        let new = apply_delta(overlay, old, delta, version)?;
        if new != old {
            child_roots.push((
                child_root_key(child),
                (new != EMPTY_TRIE_ROOT).then_some(new),
            ));
        }
    }
    let mut delta: Vec<(&[u8], Option<&[u8]>)> = top
        .into_iter()
        .filter(|(key, _)| !key.starts_with(CHILD_STORAGE_KEY_PREFIX))
        .collect();
    delta.extend(
        child_roots
            .iter()
            .map(|(key, root)| (key.as_slice(), root.as_ref().map(|r| r.as_slice()))),
    );
    apply_delta(overlay, root, delta, version)
}

/// Builds a state from scratch (genesis): the top entries and the default child tries; returns
/// its root, the nodes being in `overlay`. The top entries may not hold keys under
/// `:child_storage:` (they are ignored); empty child tries are left out.
pub fn build_state<'k, C>(
    overlay: &mut Overlay<'_>,
    top: impl IntoIterator<Item = (&'k [u8], &'k [u8])>,
    children: impl IntoIterator<Item = (&'k [u8], C)>,
    version: StateVersion,
) -> Result<Hash, TrieDbError>
where
    C: IntoIterator<Item = (&'k [u8], &'k [u8])>,
{
    let children = children
        .into_iter()
        .map(|(child, entries)| (child, entries.into_iter().map(|(k, v)| (k, Some(v)))));
    apply_changes(
        overlay,
        EMPTY_TRIE_ROOT,
        top.into_iter().map(|(k, v)| (k, Some(v))),
        children,
        version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trie_root;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn commit(store: &mut HashMap<Hash, DBValue>, nodes: Vec<(Hash, DBValue)>) {
        for (hash, node) in nodes {
            assert_eq!(Blake2Hasher::hash_of(&node), hash);
            store.insert(hash, node);
        }
    }

    /// A store holding the trie of `entries` (no child tries) in layout `version`, and its root.
    fn stored_state(
        entries: &BTreeMap<Vec<u8>, Vec<u8>>,
        version: StateVersion,
    ) -> (HashMap<Hash, DBValue>, Hash) {
        let mut store = HashMap::new();
        let mut overlay = Overlay::new(&store);
        let no_children: [ChildEntries<'_>; 0] = [];
        let root = build_state(
            &mut overlay,
            entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice())),
            no_children,
            version,
        )
        .unwrap();
        let nodes = overlay.into_nodes();
        commit(&mut store, nodes);
        (store, root)
    }

    trait HashOf {
        fn hash_of(data: &[u8]) -> Hash;
    }

    impl HashOf for Blake2Hasher {
        fn hash_of(data: &[u8]) -> Hash {
            <Blake2Hasher as hash_db::Hasher>::hash(data)
        }
    }

    #[test]
    fn build_read_update_matches_closed_form_roots() {
        for version in [StateVersion::V0, StateVersion::V1] {
            let mut store = HashMap::new();
            let long = vec![0xab; 40];
            let entries: Vec<(&[u8], &[u8])> = vec![
                (b"alpha", b"1"),
                (b"alphabet", &long),
                (b"beta", b""),
                (b":code", b"wasm"),
            ];
            let mut overlay = Overlay::new(&store);
            let root = build_state(
                &mut overlay,
                entries.iter().copied(),
                [(&b"kid"[..], vec![(&b"x"[..], &b"10"[..])])],
                version,
            )
            .unwrap();
            let nodes = overlay.into_nodes();
            commit(&mut store, nodes);

            let kid_root = trie_root::<Blake2Hasher>([(b"x", b"10")], version);
            let mut expected: BTreeMap<Vec<u8>, Vec<u8>> = entries
                .iter()
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect();
            expected.insert(child_root_key(b"kid"), kid_root.to_vec());
            assert_eq!(root, trie_root::<Blake2Hasher>(&expected, version));

            assert_eq!(get(&store, &root, b"alphabet").unwrap(), Some(long.clone()));
            assert_eq!(get(&store, &root, b"beta").unwrap(), Some(vec![]));
            assert_eq!(get(&store, &root, b"gamma").unwrap(), None);
            assert_eq!(
                next_key(&store, &root, b"alpha").unwrap(),
                Some(b"alphabet".to_vec())
            );
            assert_eq!(
                next_key(&store, &root, b"alp").unwrap(),
                Some(b"alpha".to_vec())
            );
            assert_eq!(next_key(&store, &root, b"beta").unwrap(), None);
            assert_eq!(child_root(&store, &root, b"kid").unwrap(), kid_root);
            assert_eq!(child_root(&store, &root, b"none").unwrap(), EMPTY_TRIE_ROOT);
            let kid = child_root(&store, &root, b"kid").unwrap();
            assert_eq!(get(&store, &kid, b"x").unwrap(), Some(b"10".to_vec()));

            // Update: change, delete, and empty the child trie.
            let mut overlay = Overlay::new(&store);
            let new_root = apply_changes(
                &mut overlay,
                root,
                [(&b"alpha"[..], Some(&b"2"[..])), (b"beta", None)],
                [(&b"kid"[..], vec![(&b"x"[..], None)])],
                version,
            )
            .unwrap();
            let nodes = overlay.into_nodes();
            commit(&mut store, nodes);
            let mut after = expected.clone();
            after.insert(b"alpha".to_vec(), b"2".to_vec());
            after.remove(&b"beta"[..]);
            after.remove(&child_root_key(b"kid"));
            assert_eq!(new_root, trie_root::<Blake2Hasher>(&after, version));
            // Both states stay readable (archive).
            assert_eq!(get(&store, &root, b"alpha").unwrap(), Some(b"1".to_vec()));
            assert_eq!(
                get(&store, &new_root, b"alpha").unwrap(),
                Some(b"2".to_vec())
            );
            assert_eq!(entries_len(&store, &new_root), after.len());
        }
    }

    type ChildEntries<'a> = (&'a [u8], Vec<(&'a [u8], &'a [u8])>);
    type ChildDelta<'a> = (&'a [u8], Vec<(&'a [u8], Option<&'a [u8]>)>);

    /// Deleting an absent key that is a strict prefix of a branch's path leaves the trie as
    /// it is (trie-db 0.32 alone would take the branch's value out).
    #[test]
    fn deleting_an_absent_prefix_key_changes_nothing() {
        let base: BTreeMap<Vec<u8>, Vec<u8>> =
            [(vec![3, 1], vec![]), (vec![3, 1, 0], vec![])].into();
        let (store, root) = stored_state(&base, StateVersion::V0);
        let mut overlay = Overlay::new(&store);
        let no_child_changes: [ChildDelta<'_>; 0] = [];
        let after = apply_changes(
            &mut overlay,
            root,
            [(&[][..], None), (&[0u8][..], None), (&[3u8][..], None)],
            no_child_changes,
            StateVersion::V0,
        )
        .unwrap();
        assert_eq!(after, root);
    }

    fn entries_len(store: &HashMap<Hash, DBValue>, root: &Hash) -> usize {
        entries(store, root).unwrap().len()
    }

    #[test]
    fn missing_nodes_are_errors() {
        let store = HashMap::new();
        assert!(get(&store, &[1; 32], b"a").is_err());
        assert_eq!(get(&store, &EMPTY_TRIE_ROOT, b"a").unwrap(), None);
        assert_eq!(next_key(&store, &EMPTY_TRIE_ROOT, b"").unwrap(), None);
    }

    proptest! {
        /// A read proof holds exactly enough: every proven key reads the same from the proof's
        /// nodes alone, and the proof is smaller than the whole trie unless it proves it all.
        #[test]
        fn read_proofs_prove_their_keys(
            entries in proptest::collection::btree_map(
                proptest::collection::vec(0u8..4, 0..5),
                proptest::collection::vec(0u8.., 0..48),
                1..40,
            ),
            asked in proptest::collection::vec(proptest::collection::vec(0u8..4, 0..5), 1..4),
            v1 in proptest::bool::ANY,
        ) {
            let version = if v1 { StateVersion::V1 } else { StateVersion::V0 };
            let (store, root) = stored_state(&entries, version);

            let proof = read_proof(&store, &root, asked.iter().map(Vec::as_slice)).unwrap();
            let proven: HashMap<Hash, DBValue> = proof
                .iter()
                .map(|node| (Blake2Hasher::hash_of(node), node.clone()))
                .collect();
            prop_assert_eq!(proven.len(), proof.len(), "no node twice");
            for key in &asked {
                prop_assert_eq!(
                    get(&proven, &root, key).unwrap(),
                    entries.get(key).cloned()
                );
            }
            prop_assert!(proof.len() <= store.len());
        }

        #[test]
        fn updates_match_closed_form_roots(
            base in proptest::collection::btree_map(
                proptest::collection::vec(0u8..4, 0..5),
                proptest::collection::vec(any::<u8>(), 0..40),
                0..30,
            ),
            changes in proptest::collection::btree_map(
                proptest::collection::vec(0u8..4, 0..5),
                proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
                0..20,
            ),
            v1 in any::<bool>(),
        ) {
            let version = if v1 { StateVersion::V1 } else { StateVersion::V0 };
            let (mut store, root) = stored_state(&base, version);
            prop_assert_eq!(root, trie_root::<Blake2Hasher>(&base, version));

            let mut overlay = Overlay::new(&store);
            let no_child_changes: [ChildDelta<'_>; 0] = [];
            let new_root = apply_changes(
                &mut overlay,
                root,
                changes.iter().map(|(k, v)| (k.as_slice(), v.as_deref())),
                no_child_changes,
                version,
            ).unwrap();
            let mut after = base.clone();
            for (k, v) in &changes {
                match v {
                    Some(v) => { after.insert(k.clone(), v.clone()); }
                    None => { after.remove(k); }
                }
            }
            prop_assert_eq!(new_root, trie_root::<Blake2Hasher>(&after, version));
            let nodes = overlay.into_nodes();
            commit(&mut store, nodes);
            let read = entries(&store, &new_root).unwrap();
            prop_assert_eq!(read, after.into_iter().collect::<Vec<_>>());
        }
    }
}

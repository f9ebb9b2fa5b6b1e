//! Genesis state: the raw storage of a spec and its state root.

use std::collections::BTreeMap;

use serde_json::Value;
use trie::{trie_root, Blake2Hasher, StateVersion, CHILD_STORAGE_DEFAULT_PREFIX};

use crate::Hash;
use crate::{header, Header};

/// The storage key of the runtime code, `:code`.
pub const CODE_KEY: &[u8] = b":code";

/// Storage entries: key to value.
pub type StorageMap = BTreeMap<Vec<u8>, Vec<u8>>;

/// The genesis of a chain spec, in one of Substrate's forms.
#[derive(Clone, Debug, PartialEq)]
pub enum Genesis {
    /// `genesis.raw`: the full genesis storage.
    Raw(GenesisStorage),
    /// `genesis.stateRootHash`: only the genesis state root (the light form). It gives the
    /// genesis header and hash but no storage.
    StateRootHash(Hash),
    /// `genesis.runtimeGenesis` or `genesis.runtime`: a genesis config that only the runtime's
    /// genesis builder can turn into storage. Kept as read, so it can be inspected and
    /// written back.
    NotRaw {
        /// The form's key, `runtimeGenesis` or `runtime`.
        form: String,
        /// Its JSON value.
        value: Value,
    },
}

/// Raw genesis storage: the top trie and the default child tries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenesisStorage {
    /// The top trie. It holds no key under `:child_storage:` (see
    /// [`ChainSpec::genesis_storage`](crate::ChainSpec::genesis_storage)).
    pub top: StorageMap,
    /// The default child tries, by child storage key *without* the
    /// `:child_storage:default:` prefix.
    pub children_default: BTreeMap<Vec<u8>, StorageMap>,
}

impl GenesisStorage {
    /// The runtime code (`:code`), if any.
    pub fn code(&self) -> Option<&[u8]> {
        self.top.get(CODE_KEY).map(Vec::as_slice)
    }

    /// The first top-trie key under `:child_storage:`, which genesis storage may not have.
    pub fn first_child_storage_key_in_top(&self) -> Option<&[u8]> {
        self.top
            .range(trie::CHILD_STORAGE_KEY_PREFIX.to_vec()..)
            .next()
            .map(|(key, _)| key.as_slice())
            .filter(|key| key.starts_with(trie::CHILD_STORAGE_KEY_PREFIX))
    }

    /// The root of the child trie `child_key`, or `None` if it is absent or empty (an empty
    /// child trie does not exist in the state).
    pub fn child_root(&self, child_key: &[u8], version: StateVersion) -> Option<Hash> {
        let child = self.children_default.get(child_key)?;
        (!child.is_empty()).then(|| trie_root::<Blake2Hasher>(child, version))
    }

    /// The genesis state root in layout `version`: the root of the top trie extended with
    /// `:child_storage:default:` ++ child key → child root for each non-empty child trie.
    pub fn state_root(&self, version: StateVersion) -> Hash {
        let child_roots: Vec<(Vec<u8>, Hash)> = self
            .children_default
            .iter()
            .filter(|(_, child)| !child.is_empty())
            .map(|(key, child)| {
                let mut prefixed = CHILD_STORAGE_DEFAULT_PREFIX.to_vec();
                prefixed.extend_from_slice(key);
                (prefixed, trie_root::<Blake2Hasher>(child, version))
            })
            .collect();
        let top = self.top.iter().map(|(k, v)| (k.as_slice(), v.as_slice()));
        let children = child_roots
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()));
        trie_root::<Blake2Hasher>(top.chain(children), version)
    }

    /// The genesis header of this state in layout `version`.
    pub fn genesis_header(&self, version: StateVersion) -> Header {
        header::genesis(self.state_root(version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&[u8], &[u8])]) -> StorageMap {
        entries
            .iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect()
    }

    #[test]
    fn empty_storage_has_the_empty_root() {
        let storage = GenesisStorage::default();
        for version in [StateVersion::V0, StateVersion::V1] {
            assert_eq!(storage.state_root(version), trie::EMPTY_TRIE_ROOT);
        }
        assert_eq!(storage.code(), None);
    }

    #[test]
    fn top_only_root_matches_the_fixture_readme() {
        // V0 root of {foo: bar, foobar: baz} from the fixtures' README.
        let storage = GenesisStorage {
            top: map(&[(b"foo", b"bar"), (b"foobar", b"baz")]),
            ..Default::default()
        };
        assert_eq!(
            crate::hex::encode(&storage.state_root(StateVersion::V0)),
            "0xa61820b5fba9b01aee10b5bbd84aea80b8230318c5e8ca14b9a4940c76e09815"
        );
    }

    #[test]
    fn children_enter_the_root_under_their_prefixed_key() {
        let child = map(&[(b"a", b"1"), (b"b", &[7; 40])]);
        let storage = GenesisStorage {
            top: map(&[(b"foo", b"bar")]),
            children_default: [
                (b"kid".to_vec(), child.clone()),
                (b"empty".to_vec(), map(&[])),
            ]
            .into_iter()
            .collect(),
        };
        for version in [StateVersion::V0, StateVersion::V1] {
            let child_root = trie_root::<Blake2Hasher>(&child, version);
            assert_eq!(storage.child_root(b"kid", version), Some(child_root));
            assert_eq!(storage.child_root(b"empty", version), None);
            assert_eq!(storage.child_root(b"absent", version), None);
            let expected = trie_root::<Blake2Hasher>(
                [
                    (b"foo".to_vec(), b"bar".to_vec()),
                    (b":child_storage:default:kid".to_vec(), child_root.to_vec()),
                ],
                version,
            );
            assert_eq!(storage.state_root(version), expected, "{version:?}");
        }
        // V1 hashes the 40-byte child value, V0 does not: the roots differ.
        assert_ne!(
            storage.state_root(StateVersion::V0),
            storage.state_root(StateVersion::V1)
        );
    }

    #[test]
    fn child_storage_keys_in_top_are_found() {
        let mut storage = GenesisStorage {
            top: map(&[(b":code", b"x"), (b":child_storage", b"not quite")]),
            ..Default::default()
        };
        assert_eq!(storage.first_child_storage_key_in_top(), None);
        storage
            .top
            .insert(b":child_storage:default:x".to_vec(), vec![1]);
        assert_eq!(
            storage.first_child_storage_key_in_top(),
            Some(&b":child_storage:default:x"[..])
        );
        assert_eq!(storage.code(), Some(&b"x"[..]));
    }
}

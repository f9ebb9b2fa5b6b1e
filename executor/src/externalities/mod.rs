//! The storage interface the host functions talk to.
//!
//! [`Externalities`] is the runtime's view of the state: the top trie and the default child
//! tries, with nested storage transactions, and the state root of it all. Its semantics follow
//! Substrate's (`sp-externalities` as implemented by `sp-state-machine`'s `Ext` over
//! `OverlayedChanges`), since runtimes depend on them, down to the counts that `clear_prefix`
//! returns.
//!
//! * [`StateBackend`] is the read-only base state (the state at the parent block);
//!   [`InMemoryBackend`] keeps it in maps.
//! * [`OverlayedExternalities`] implements [`Externalities`] over a backend with an overlay of
//!   changes and a stack of transaction layers, and hands the changes out at the end.
//!
//! Default child tries are addressed by their storage key *without* the
//! [`CHILD_STORAGE_DEFAULT_PREFIX`]; the root of a non-empty child trie is stored in the top trie
//! under `CHILD_STORAGE_DEFAULT_PREFIX ++ storage_key`.

mod backend;
mod changeset;
mod overlay;

pub use backend::{ChildDeltas, Delta, InMemoryBackend, StateBackend, Storage};
pub use overlay::{Changes, InMemoryExternalities, OverlayedExternalities, StorageChanges};
pub use trie::{StateVersion, CHILD_STORAGE_DEFAULT_PREFIX, CHILD_STORAGE_KEY_PREFIX};

/// The outcome of removing many keys at once ([`Externalities::clear_prefix`],
/// [`Externalities::kill_child_storage`], [`Externalities::clear_child_prefix`]).
///
/// The SCALE encoding (fields in this order) is the one the host functions return.
#[derive(Clone, Debug, Default, PartialEq, Eq, codec::Encode, codec::Decode)]
pub struct MultiRemovalResults {
    /// The key to pass as cursor to continue the removal, if the limit stopped it before the
    /// last key of the backend; `None` when everything was removed.
    pub maybe_cursor: Option<Vec<u8>>,
    /// The number of keys removed from the backend (not counting keys that the overlay had
    /// already deleted).
    pub backend: u32,
    /// The number of distinct keys removed: values in the overlay plus keys of the backend.
    pub unique: u32,
    /// The number of backend keys visited (what the limit bounds).
    pub loops: u32,
}

/// Commit or rollback without an open storage transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no storage transaction is open")]
pub struct NoOpenTransaction;

/// Whether a top-trie key lies in the space reserved for child-trie roots (`:child_storage:`),
/// which the runtime may not write directly.
pub fn is_child_storage_key(key: &[u8]) -> bool {
    key.starts_with(CHILD_STORAGE_KEY_PREFIX)
}

/// Whether clearing `prefix` in the top trie would touch the reserved `:child_storage:` space:
/// the prefix is inside it or is a prefix of `:child_storage:` (this includes the empty
/// prefix). Substrate refuses such a `clear_prefix`.
pub fn prefix_overlaps_child_storage(prefix: &[u8]) -> bool {
    prefix.starts_with(CHILD_STORAGE_KEY_PREFIX) || CHILD_STORAGE_KEY_PREFIX.starts_with(prefix)
}

/// The runtime's storage: the top trie and the default child tries, with nested transactions.
///
/// All reads see the latest write, including writes in open transactions. Keys deleted in the
/// overlay hide the backend's values. The trait is object safe.
pub trait Externalities: Send {
    /// The value of `key` in the top trie.
    fn storage(&self, key: &[u8]) -> Option<Vec<u8>>;

    /// Whether `key` has a value in the top trie (an empty value counts).
    fn exists_storage(&self, key: &[u8]) -> bool;

    /// The smallest key of the top trie strictly greater than `key`, over the backend and the
    /// overlay, skipping keys deleted in the overlay.
    fn next_storage_key(&self, key: &[u8]) -> Option<Vec<u8>>;

    /// Sets `key` to `value` in the top trie. Keys under `:child_storage:` are refused (with a
    /// warning) and left unchanged.
    fn set_storage(&mut self, key: Vec<u8>, value: Vec<u8>);

    /// Deletes `key` from the top trie. Keys under `:child_storage:` are refused (with a
    /// warning).
    fn clear_storage(&mut self, key: &[u8]);

    /// Deletes the keys of the top trie starting with `prefix`, with Substrate's semantics:
    ///
    /// * every matching key of the overlay is deleted, without counting against `limit`
    ///   (`unique` counts those that had a value);
    /// * the backend's matching keys are visited in order from `cursor` (inclusive); `limit`
    ///   bounds the number visited (`loops`); visited keys are deleted, and counted in
    ///   `backend` unless the overlay had already deleted them;
    /// * when the limit stops the loop before the backend's last matching key, the next key is
    ///   returned as `maybe_cursor`.
    ///
    /// A prefix overlapping `:child_storage:` (including the empty prefix) is refused: nothing
    /// happens and all counts are 0.
    fn clear_prefix(
        &mut self,
        prefix: &[u8],
        limit: Option<u32>,
        cursor: Option<&[u8]>,
    ) -> MultiRemovalResults;

    /// Appends `item` (already SCALE-encoded) to the SCALE-encoded vector stored at `key`.
    ///
    /// If the current value starts with a valid `Compact<u32>` length, the length is
    /// incremented and `item` appended to the bytes; otherwise (no value, an empty value, an
    /// undecodable length or a length at `u32::MAX`) the value becomes `Compact(1) ++ item`.
    fn storage_append(&mut self, key: Vec<u8>, item: Vec<u8>);

    /// The root of the top trie (BLAKE2b-256) with all changes applied, including the roots
    /// of the default child tries: each non-empty child trie's root under
    /// `:child_storage:default: ++ storage_key`; empty child tries are absent.
    fn storage_root(&mut self, version: StateVersion) -> [u8; 32];

    /// The value of `key` in the default child trie `child`.
    fn child_storage(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>>;

    /// Whether `key` has a value in the default child trie `child`.
    fn exists_child_storage(&self, child: &[u8], key: &[u8]) -> bool;

    /// The smallest key of the default child trie `child` strictly greater than `key`.
    fn next_child_storage_key(&self, child: &[u8], key: &[u8]) -> Option<Vec<u8>>;

    /// Sets `key` to `value` in the default child trie `child`.
    fn set_child_storage(&mut self, child: &[u8], key: Vec<u8>, value: Vec<u8>);

    /// Deletes `key` from the default child trie `child`.
    fn clear_child_storage(&mut self, child: &[u8], key: &[u8]);

    /// Deletes the whole default child trie `child`, with the semantics of
    /// [`clear_prefix`](Self::clear_prefix) for the empty prefix (without the refusal).
    fn kill_child_storage(
        &mut self,
        child: &[u8],
        limit: Option<u32>,
        cursor: Option<&[u8]>,
    ) -> MultiRemovalResults;

    /// Deletes the keys of the default child trie `child` starting with `prefix`, with the
    /// semantics of [`clear_prefix`](Self::clear_prefix) (without the refusal).
    fn clear_child_prefix(
        &mut self,
        child: &[u8],
        prefix: &[u8],
        limit: Option<u32>,
        cursor: Option<&[u8]>,
    ) -> MultiRemovalResults;

    /// The root of the default child trie `child` with all changes applied; the empty trie
    /// root if it is empty.
    fn child_storage_root(&mut self, child: &[u8], version: StateVersion) -> [u8; 32];

    /// Opens a nested storage transaction.
    fn start_transaction(&mut self);

    /// Discards every change made since the matching
    /// [`start_transaction`](Self::start_transaction) and closes the transaction.
    fn rollback_transaction(&mut self) -> Result<(), NoOpenTransaction>;

    /// Keeps the changes of the innermost transaction, merging them into the enclosing one
    /// (or into the committed changes), and closes it.
    fn commit_transaction(&mut self) -> Result<(), NoOpenTransaction>;

    /// The number of open storage transactions.
    fn transaction_depth(&self) -> usize;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_object_safe_and_send() {
        fn assert_send<T: Send + ?Sized>() {}
        assert_send::<dyn Externalities>();
        let mut ext: Box<dyn Externalities> = Box::new(InMemoryExternalities::new());
        ext.set_storage(b"a".to_vec(), b"1".to_vec());
        assert_eq!(ext.storage(b"a"), Some(b"1".to_vec()));
    }

    #[test]
    fn child_storage_key_predicates() {
        assert!(is_child_storage_key(b":child_storage:default:x"));
        assert!(is_child_storage_key(b":child_storage:"));
        assert!(!is_child_storage_key(b":child_storage"));
        assert!(!is_child_storage_key(b":code"));

        assert!(prefix_overlaps_child_storage(b""));
        assert!(prefix_overlaps_child_storage(b":"));
        assert!(prefix_overlaps_child_storage(b":child"));
        assert!(prefix_overlaps_child_storage(b":child_storage:default:x"));
        assert!(!prefix_overlaps_child_storage(b":code"));
        assert!(!prefix_overlaps_child_storage(b"abc"));
    }

    #[test]
    fn multi_removal_results_encoding() {
        use codec::Encode;
        let results = MultiRemovalResults {
            maybe_cursor: Some(vec![7]),
            backend: 1,
            unique: 2,
            loops: 3,
        };
        assert_eq!(
            results.encode(),
            [vec![1, 4, 7], 1u32.encode(), 2u32.encode(), 3u32.encode()].concat()
        );
    }

    #[test]
    fn no_open_transaction_error_message() {
        assert_eq!(
            NoOpenTransaction.to_string(),
            "no storage transaction is open"
        );
    }
}

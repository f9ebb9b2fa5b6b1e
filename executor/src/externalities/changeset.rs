//! A map of storage changes with nested transactions.
//!
//! Each changed key keeps a stack of versions, one per transaction depth at which it was
//! written (depth 0 being the changes made outside any transaction); each open transaction
//! records the keys it wrote. Starting a transaction is O(1); committing or rolling one back
//! costs O(keys written in it), never a copy of the whole overlay.
//!
//! Appends avoid copying too: the first append to a key in a transaction moves the value's
//! buffer up to the new version and leaves below only its length and item count (a
//! [`Slot::Moved`]); a rollback truncates the buffer back. Runtimes append to `System::Events`
//! in every extrinsic's transaction, so copying the whole vector each time would be quadratic.

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;

use codec::{Compact, Decode, Encode};

/// The content of one version of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Slot {
    /// The value (`None`: deleted).
    Value(Option<Vec<u8>>),
    /// An appendable value whose buffer moved up to the next version, which has only appended
    /// to it since: this version's value is `Compact(count)` followed by the first `body_len`
    /// bytes after the next version's own count prefix. Never the last version.
    Moved { count: u32, body_len: usize },
}

/// One version of a key: the depth it was written at and its content.
#[derive(Clone, Debug)]
struct Version {
    depth: usize,
    slot: Slot,
}

/// Changes to one key-value space (the top trie or one child trie).
#[derive(Clone, Debug, Default)]
pub(super) struct ChangeSet {
    /// Changed keys, each with its versions by increasing depth (never empty; the last one
    /// always a [`Slot::Value`]).
    changes: BTreeMap<Vec<u8>, Vec<Version>>,
    /// For each open transaction (outermost first), the keys written in it.
    dirty: Vec<HashSet<Vec<u8>>>,
}

impl ChangeSet {
    /// An empty change set inside `depth` open transactions.
    pub(super) fn with_depth(depth: usize) -> Self {
        Self {
            changes: BTreeMap::new(),
            dirty: vec![HashSet::new(); depth],
        }
    }

    /// Whether no key has been changed.
    pub(super) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The current change of `key`: `None` if unchanged, `Some(None)` if deleted.
    pub(super) fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.changes.get(key).map(|versions| current(versions))
    }

    /// Sets `key` to `value` (`None`: deletes it) in the innermost transaction.
    pub(super) fn set(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        let depth = self.dirty.len();
        match self.changes.get_mut(&key) {
            Some(versions) => write(versions, &mut self.dirty, &key, depth, value),
            None => {
                if let Some(dirty) = self.dirty.last_mut() {
                    dirty.insert(key.clone());
                }
                self.changes.insert(
                    key,
                    vec![Version {
                        depth,
                        slot: Slot::Value(value),
                    }],
                );
            }
        }
    }

    /// Appends `item` to the SCALE vector at `key` (see [`append_in_place`]); `init` gives the
    /// backend's value when the key is unchanged.
    pub(super) fn append(
        &mut self,
        key: Vec<u8>,
        item: &[u8],
        init: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
    ) {
        let depth = self.dirty.len();
        let Some(versions) = self.changes.get_mut(&key) else {
            let mut value = init(&key).unwrap_or_default();
            if !append_in_place(&mut value, item) {
                value = new_vector(item);
            }
            if let Some(dirty) = self.dirty.last_mut() {
                dirty.insert(key.clone());
            }
            self.changes.insert(
                key,
                vec![Version {
                    depth,
                    slot: Slot::Value(Some(value)),
                }],
            );
            return;
        };
        let last = versions.last_mut().expect("versions are never empty");
        let Slot::Value(value) = &mut last.slot else {
            unreachable!("the last version is a value")
        };
        if last.depth == depth {
            // Written in this transaction already: append in place, or replace.
            if let Some(buffer) = value {
                if append_in_place(buffer, item) {
                    return;
                }
            }
            write(
                versions,
                &mut self.dirty,
                &key,
                depth,
                Some(new_vector(item)),
            );
            return;
        }
        // First write in this transaction: move an appendable buffer up.
        let appendable = value.as_deref().and_then(|buffer| {
            let (count, prefix_len) = item_count(buffer)?;
            (count < u32::MAX).then_some((count, buffer.len() - prefix_len))
        });
        let slot = match appendable {
            Some((count, body_len)) => {
                let mut buffer = value.take().expect("appendable values exist");
                last.slot = Slot::Moved { count, body_len };
                let appended = append_in_place(&mut buffer, item);
                debug_assert!(appended, "checked appendable above");
                Slot::Value(Some(buffer))
            }
            None => Slot::Value(Some(new_vector(item))),
        };
        versions.push(Version { depth, slot });
        if let Some(dirty) = self.dirty.last_mut() {
            dirty.insert(key);
        }
    }

    /// Deletes every changed key starting with `prefix`; returns how many had a value.
    pub(super) fn clear_prefix(&mut self, prefix: &[u8]) -> u32 {
        let depth = self.dirty.len();
        let mut count = 0u32;
        let range = (Bound::Included(prefix), Bound::Unbounded);
        for (key, versions) in self.changes.range_mut::<[u8], _>(range) {
            if !key.starts_with(prefix) {
                break;
            }
            if current(versions).is_some() {
                count = count.saturating_add(1);
            }
            write(versions, &mut self.dirty, key, depth, None);
        }
        count
    }

    /// The changed keys strictly after `key`, in order, with their current change.
    pub(super) fn iter_after<'a>(
        &'a self,
        key: &[u8],
    ) -> impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a {
        self.changes
            .range::<[u8], _>((Bound::Excluded(key), Bound::Unbounded))
            .map(|(key, versions)| (key.as_slice(), current(versions)))
    }

    /// Every changed key with its current change, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        self.changes
            .iter()
            .map(|(key, versions)| (key.as_slice(), current(versions)))
    }

    /// The changes made outside the open transactions (what remains if all are rolled back).
    pub(super) fn committed(&self) -> super::Changes {
        self.changes
            .iter()
            .filter(|(_, versions)| versions[0].depth == 0)
            .map(|(key, versions)| {
                let value = match &versions[0].slot {
                    Slot::Value(value) => value.clone(),
                    Slot::Moved { count, body_len } => {
                        // The buffer is in the first value above (a chain of moved versions
                        // only appended to it); later versions may hold anything.
                        let lender = versions[1..]
                            .iter()
                            .find_map(|version| match &version.slot {
                                Slot::Value(value) => Some(value),
                                Slot::Moved { .. } => None,
                            });
                        let Some(Some(buffer)) = lender else {
                            unreachable!("a moved buffer is in a later value")
                        };
                        let mut value = buffer.clone();
                        restore_in_place(&mut value, *count, *body_len);
                        Some(value)
                    }
                };
                (key.clone(), value)
            })
            .collect()
    }

    /// Opens a transaction.
    pub(super) fn start_transaction(&mut self) {
        self.dirty.push(HashSet::new());
    }

    /// Discards the innermost transaction's writes. The caller checks that one is open.
    pub(super) fn rollback_transaction(&mut self) {
        let dirty = self
            .dirty
            .pop()
            .expect("the caller checks a transaction is open");
        for key in dirty {
            let versions = self
                .changes
                .get_mut(&key)
                .expect("dirty keys are changed keys");
            let top = versions.pop().expect("versions are never empty");
            match versions.last_mut() {
                None => {
                    self.changes.remove(&key);
                }
                Some(below) => restore_below(below, top.slot),
            }
        }
    }

    /// Merges the innermost transaction's writes into the enclosing layer. The caller checks
    /// that one is open.
    pub(super) fn commit_transaction(&mut self) {
        let dirty = self
            .dirty
            .pop()
            .expect("the caller checks a transaction is open");
        let parent_depth = self.dirty.len();
        for key in dirty {
            let versions = self
                .changes
                .get_mut(&key)
                .expect("dirty keys are changed keys");
            let top = versions.pop().expect("versions are never empty");
            let len = versions.len();
            match versions.last_mut() {
                // The parent's own version is superseded.
                Some(below) if below.depth == parent_depth => {
                    let old = std::mem::replace(&mut below.slot, top.slot);
                    // If the parent's version was a value that had lent its buffer to the
                    // version below it, give the buffer back. (If it was itself a moved
                    // buffer, the new value grew from it and the chain stays valid.)
                    if matches!(old, Slot::Value(_)) && len >= 2 {
                        restore_below(&mut versions[len - 2], old);
                    }
                }
                _ => {
                    versions.push(Version {
                        depth: parent_depth,
                        slot: top.slot,
                    });
                    if let Some(parent_dirty) = self.dirty.last_mut() {
                        parent_dirty.insert(key);
                    }
                }
            }
        }
    }

    /// The changes made outside the open transactions, consuming the set.
    pub(super) fn into_committed(self) -> super::Changes {
        if self.dirty.is_empty() {
            return self
                .changes
                .into_iter()
                .map(|(key, mut versions)| {
                    let Some(Version {
                        slot: Slot::Value(value),
                        ..
                    }) = versions.pop()
                    else {
                        unreachable!("the last version is a value")
                    };
                    (key, value)
                })
                .collect();
        }
        self.committed()
    }
}

/// The current value of a version stack.
fn current(versions: &[Version]) -> Option<&[u8]> {
    match &versions.last().expect("versions are never empty").slot {
        Slot::Value(value) => value.as_deref(),
        Slot::Moved { .. } => unreachable!("the last version is a value"),
    }
}

/// Writes `value` at `depth` into an existing version stack.
fn write(
    versions: &mut Vec<Version>,
    dirty: &mut [HashSet<Vec<u8>>],
    key: &[u8],
    depth: usize,
    value: Option<Vec<u8>>,
) {
    let len = versions.len();
    if versions[len - 1].depth == depth {
        let old = std::mem::replace(&mut versions[len - 1].slot, Slot::Value(value));
        if len >= 2 {
            // The buffer may have been moved up from the version below: give it back.
            restore_below(&mut versions[len - 2], old);
        }
    } else {
        versions.push(Version {
            depth,
            slot: Slot::Value(value),
        });
        if let Some(dirty) = dirty.last_mut() {
            dirty.insert(key.to_vec());
        }
    }
}

/// If `below` lent its buffer to the version above, whose content was `above`, restores it.
fn restore_below(below: &mut Version, above: Slot) {
    if let Slot::Moved { count, body_len } = below.slot {
        let Slot::Value(Some(mut buffer)) = above else {
            unreachable!("a moved buffer is only appended to")
        };
        restore_in_place(&mut buffer, count, body_len);
        below.slot = Slot::Value(Some(buffer));
    }
}

/// The item count at the start of a SCALE vector and the length of its `Compact<u32>` prefix,
/// or `None` if `value` does not start with a valid `Compact<u32>`.
fn item_count(value: &[u8]) -> Option<(u32, usize)> {
    let mut input = value;
    let count = Compact::<u32>::decode(&mut input).ok()?.0;
    Some((count, value.len() - input.len()))
}

/// `[item]` as a SCALE vector: `Compact(1) ++ item`.
fn new_vector(item: &[u8]) -> Vec<u8> {
    let mut value = Compact(1u32).encode();
    value.extend_from_slice(item);
    value
}

/// Replaces the `Compact<u32>` prefix of `buffer`, `prefix_len` bytes long, by `count`'s.
fn replace_count(buffer: &mut Vec<u8>, prefix_len: usize, count: u32) {
    let prefix = Compact(count).encode();
    if prefix.len() == prefix_len {
        buffer[..prefix_len].copy_from_slice(&prefix);
    } else {
        buffer.splice(..prefix_len, prefix);
    }
}

/// Substrate's storage append: if `buffer` starts with a valid `Compact<u32>` count below
/// `u32::MAX`, increments it and appends `item`, returning `true`; otherwise leaves `buffer`
/// untouched and returns `false` (the caller then stores [`new_vector`]).
fn append_in_place(buffer: &mut Vec<u8>, item: &[u8]) -> bool {
    let Some((count, prefix_len)) = item_count(buffer) else {
        return false;
    };
    let Some(new_count) = count.checked_add(1) else {
        return false;
    };
    replace_count(buffer, prefix_len, new_count);
    buffer.extend_from_slice(item);
    true
}

/// Turns an appended-to buffer back into the value it grew from: `count` items whose bytes
/// are the first `body_len` after the prefix.
fn restore_in_place(buffer: &mut Vec<u8>, count: u32, body_len: usize) {
    let (_, prefix_len) = item_count(buffer).expect("an appended buffer has a valid count");
    buffer.truncate(prefix_len + body_len);
    replace_count(buffer, prefix_len, count);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(set: &ChangeSet, key: &[u8]) -> Option<Option<Vec<u8>>> {
        set.get(key).map(|v| v.map(<[u8]>::to_vec))
    }

    fn vector(items: &[&[u8]]) -> Vec<u8> {
        let mut out = Compact(items.len() as u32).encode();
        for item in items {
            out.extend_from_slice(item);
        }
        out
    }

    #[test]
    fn versions_follow_transactions() {
        let mut set = ChangeSet::default();
        set.set(b"a".to_vec(), Some(b"0".to_vec()));
        set.start_transaction();
        set.set(b"a".to_vec(), Some(b"1".to_vec()));
        set.set(b"b".to_vec(), None);
        set.start_transaction();
        set.set(b"a".to_vec(), Some(b"2".to_vec()));
        assert_eq!(set.changes[&b"a".to_vec()].len(), 3);

        set.commit_transaction();
        assert_eq!(set.changes[&b"a".to_vec()].len(), 2);
        assert_eq!(value(&set, b"a"), Some(Some(b"2".to_vec())));

        set.rollback_transaction();
        assert_eq!(value(&set, b"a"), Some(Some(b"0".to_vec())));
        assert_eq!(value(&set, b"b"), None);
        assert!(set.dirty.is_empty());
    }

    #[test]
    fn commit_moves_first_writes_to_the_parent() {
        let mut set = ChangeSet::default();
        set.start_transaction();
        set.start_transaction();
        set.set(b"k".to_vec(), Some(b"v".to_vec()));
        set.commit_transaction();
        // Now a write of the outer transaction: rolling it back removes the key.
        assert!(set.dirty[0].contains(b"k".as_slice()));
        assert!(set.committed().is_empty());
        set.rollback_transaction();
        assert!(set.is_empty());
    }

    #[test]
    fn clear_prefix_counts_values_only() {
        let mut set = ChangeSet::default();
        set.set(b"pa".to_vec(), Some(vec![]));
        set.set(b"pb".to_vec(), None);
        set.set(b"q".to_vec(), Some(vec![1]));
        set.start_transaction();
        assert_eq!(set.clear_prefix(b"p"), 1);
        assert_eq!(value(&set, b"pa"), Some(None));
        assert_eq!(value(&set, b"q"), Some(Some(vec![1])));
        set.rollback_transaction();
        assert_eq!(value(&set, b"pa"), Some(Some(vec![])));
    }

    #[test]
    fn committed_view_ignores_open_transactions() {
        let mut set = ChangeSet::default();
        set.set(b"a".to_vec(), Some(b"0".to_vec()));
        set.start_transaction();
        set.set(b"a".to_vec(), None);
        set.set(b"b".to_vec(), Some(b"1".to_vec()));
        let committed: Vec<_> = set.committed().into_iter().collect();
        assert_eq!(committed, [(b"a".to_vec(), Some(b"0".to_vec()))]);
        let current: Vec<_> = set.iter().collect();
        assert_eq!(current, [(&b"a"[..], None), (&b"b"[..], Some(&b"1"[..]))]);
        assert_eq!(
            set.clone().into_committed().into_iter().collect::<Vec<_>>(),
            committed
        );
    }

    #[test]
    fn append_moves_the_buffer_and_rollback_restores_it() {
        let mut set = ChangeSet::default();
        set.append(b"e".to_vec(), b"x", |_| None);
        set.start_transaction();
        set.append(b"e".to_vec(), b"y", |_| unreachable!());
        // The outer version lent its buffer.
        assert_eq!(
            set.changes[&b"e".to_vec()][0].slot,
            Slot::Moved {
                count: 1,
                body_len: 1
            }
        );
        assert_eq!(value(&set, b"e"), Some(Some(vector(&[b"x", b"y"]))));
        assert_eq!(set.committed()[&b"e".to_vec()], Some(vector(&[b"x"])));
        set.rollback_transaction();
        assert_eq!(value(&set, b"e"), Some(Some(vector(&[b"x"]))));
    }

    #[test]
    fn set_after_a_moved_append_gives_the_buffer_back() {
        let mut set = ChangeSet::default();
        set.set(b"e".to_vec(), Some(vector(&[b"a"])));
        set.start_transaction();
        set.append(b"e".to_vec(), b"b", |_| unreachable!());
        set.set(b"e".to_vec(), Some(b"other".to_vec()));
        assert_eq!(set.committed()[&b"e".to_vec()], Some(vector(&[b"a"])));
        set.append(b"e".to_vec(), b"c", |_| unreachable!());
        set.rollback_transaction();
        assert_eq!(value(&set, b"e"), Some(Some(vector(&[b"a"]))));
    }

    #[test]
    fn committed_value_of_a_moved_buffer_overwritten_later() {
        let mut set = ChangeSet::default();
        set.set(b"e".to_vec(), Some(vector(&[b"a"])));
        set.start_transaction();
        set.append(b"e".to_vec(), b"b", |_| unreachable!());
        set.start_transaction();
        set.append(b"e".to_vec(), b"c", |_| unreachable!());
        set.start_transaction();
        set.set(b"e".to_vec(), None);
        assert_eq!(set.committed()[&b"e".to_vec()], Some(vector(&[b"a"])));
        set.rollback_transaction();
        set.rollback_transaction();
        assert_eq!(value(&set, b"e"), Some(Some(vector(&[b"a", b"b"]))));
    }

    #[test]
    fn commit_over_a_lending_value_gives_the_buffer_back() {
        let mut set = ChangeSet::default();
        set.append(b"e".to_vec(), b"a", |_| None);
        set.start_transaction();
        set.append(b"e".to_vec(), b"b", |_| unreachable!());
        set.start_transaction();
        set.set(b"e".to_vec(), None);
        set.commit_transaction();
        assert_eq!(value(&set, b"e"), Some(None));
        assert_eq!(set.committed()[&b"e".to_vec()], Some(vector(&[b"a"])));
        set.rollback_transaction();
        assert_eq!(value(&set, b"e"), Some(Some(vector(&[b"a"]))));
    }

    #[test]
    fn moved_append_across_a_compact_width_change() {
        // 63 items fit a one-byte count, 64 need two bytes.
        let items: Vec<[u8; 1]> = (0..64u8).map(|i| [i]).collect();
        let refs: Vec<&[u8]> = items.iter().map(|i| &i[..]).collect();
        let mut set = ChangeSet::default();
        set.set(b"e".to_vec(), Some(vector(&refs[..63])));
        set.start_transaction();
        set.start_transaction();
        set.append(b"e".to_vec(), &items[63], |_| unreachable!());
        assert_eq!(value(&set, b"e"), Some(Some(vector(&refs))));
        set.commit_transaction();
        assert_eq!(set.committed()[&b"e".to_vec()], Some(vector(&refs[..63])));
        set.rollback_transaction();
        assert_eq!(value(&set, b"e"), Some(Some(vector(&refs[..63]))));
    }

    #[test]
    fn append_encoding() {
        let mut buffer = vector(&[b"a"]);
        assert!(append_in_place(&mut buffer, b"b"));
        assert_eq!(buffer, vector(&[b"a", b"b"]));
        // Not a compact: 0b11 mode with a non-canonical small number.
        let mut garbage = vec![0b0000_0011, 0, 0, 0, 0];
        assert!(!append_in_place(&mut garbage, b"b"));
        assert!(!append_in_place(&mut Vec::new(), b"b"));
        let mut full = Compact(u32::MAX).encode();
        assert!(!append_in_place(&mut full, b"b"));
        assert_eq!(new_vector(b"z"), [4, b'z']);
    }
}

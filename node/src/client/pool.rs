//! The transaction pool: extrinsics submitted over RPC, validated by the runtime, and handed
//! to block authoring in an order that respects their `requires`/`provides` tags.
//!
//! Validation calls `TaggedTransactionQueue_validate_transaction` at the best block with
//! Substrate's input for the API version the runtime declares (v3: `(TransactionSource,
//! extrinsic, block_hash)`; v2: `(source, extrinsic)`; v1: `extrinsic`), the extrinsic being
//! the bytes as submitted (the opaque extrinsic's encoding, which is also the runtime's
//! `UncheckedExtrinsic` encoding). Its output is sp-runtime's `TransactionValidity`.
//!
//! **Fallback**: a runtime that does not declare `TaggedTransactionQueue` (the project's
//! runtime until its signed transfers land) cannot validate; such extrinsics are accepted
//! with priority 0, no `requires`, and one synthetic `provides` tag, their hash (so two
//! identical submissions clash and different ones never do). This is logged once per
//! runtime. Block authoring still asks the runtime (`BlockBuilder_apply_extrinsic`) and
//! leaves out what it refuses.

use std::collections::HashSet;

use codec::{Decode, Encode};
use parking_lot::Mutex;
use tokio::sync::{broadcast, Notify};

use substrate_primitives::transaction::{
    InvalidTransaction, TransactionSource, TransactionValidity, TransactionValidityError,
    UnknownTransaction, ValidTransaction,
};

use super::{author::Authored, hex_hash, Client, ClientError, Hash};

/// The runtime API id of `TaggedTransactionQueue` (blake2-64 of its name).
pub fn tagged_transaction_queue_id() -> [u8; 8] {
    sp_crypto_hashing::blake2_64(b"TaggedTransactionQueue")
}

/// Why a submission was refused.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The bytes are not an extrinsic.
    #[error("Extrinsic has invalid format: {0}")]
    BadFormat(String),
    /// Validation could not run.
    #[error("Verification Error: {0}")]
    Verification(#[from] ClientError),
    /// The runtime says it is invalid.
    #[error("Invalid Transaction: {}", .0.description())]
    Invalid(InvalidTransaction),
    /// The runtime cannot tell.
    #[error("Unknown Transaction Validity: {0:?}")]
    Unknown(UnknownTransaction),
    /// The same extrinsic is in the pool already.
    #[error("Transaction Already Imported")]
    AlreadyImported(Hash),
    /// Another extrinsic provides the same tag with a priority at least as high.
    #[error("Priority is too low: ({old} vs {new})")]
    TooLowPriority {
        /// The pooled one's.
        old: u64,
        /// The new one's.
        new: u64,
    },
}

/// A pooled extrinsic.
#[derive(Clone, Debug)]
pub struct PooledTx {
    /// blake2-256 of `bytes`.
    pub hash: Hash,
    /// The extrinsic as submitted (and as the block carries it).
    pub bytes: Vec<u8>,
    /// Its validity.
    pub validity: ValidTransaction,
    seq: u64,
}

/// What happens to a pooled extrinsic, for `author_submitAndWatchExtrinsic`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// In the pool and ready.
    Ready,
    /// In the pool, waiting for the tags it requires.
    Future,
    /// Included in a block.
    InBlock(Hash),
    /// That block was finalized.
    Finalized(Hash),
    /// Refused by the runtime after all (at block building or revalidation).
    Invalid,
}

#[derive(Default)]
struct Inner {
    txs: Vec<PooledTx>,
    next_seq: u64,
    /// Code hashes whose runtime could not validate (logged once each).
    fallback_logged: HashSet<[u8; 32]>,
}

/// The pool; see the [module documentation](self).
pub struct Pool {
    inner: Mutex<Inner>,
    ready_changed: Notify,
    events: broadcast::Sender<(Hash, TxStatus)>,
}

impl Default for Pool {
    fn default() -> Self {
        Self::new()
    }
}

impl Pool {
    /// An empty pool.
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            ready_changed: Notify::new(),
            events: broadcast::channel(1024).0,
        }
    }

    /// The nonce `account`'s next transaction should have, as Substrate's
    /// `system_accountNextIndex` computes it: the runtime's `AccountNonceApi` at the best
    /// block, moved past every ready pooled transaction that provides FRAME's
    /// `(account, nonce)` tag for it.
    pub fn next_nonce(&self, client: &Client, account: &[u8; 32]) -> Result<u64, ClientError> {
        let method = "AccountNonceApi_account_nonce";
        let best = client.info().best_hash;
        let output = client.call(&best, method, account, None)?;
        // The runtime's nonce type: `u32` as in Polkadot's runtimes, or `u64`.
        let (mut nonce, width) = match output.len() {
            4 => (
                u64::from(u32::decode(&mut &output[..]).expect("4 bytes")),
                4,
            ),
            8 => (u64::decode(&mut &output[..]).expect("8 bytes"), 8),
            _ => {
                return Err(ClientError::BadOutput {
                    method: method.into(),
                    error: "expected a u32 or u64 nonce".into(),
                })
            }
        };
        let ready = self.ready();
        let tag = |nonce: u64| {
            let mut tag = account.to_vec();
            tag.extend_from_slice(&nonce.to_le_bytes()[..width]);
            tag
        };
        while ready
            .iter()
            .any(|tx| tx.validity.provides.contains(&tag(nonce)))
        {
            nonce += 1;
        }
        Ok(nonce)
    }

    /// Receives every status change from now on.
    pub fn events(&self) -> broadcast::Receiver<(Hash, TxStatus)> {
        self.events.subscribe()
    }

    /// Asks the runtime at `at` whether `bytes` is valid (see the module documentation for
    /// the fallback).
    pub fn validate(
        &self,
        client: &Client,
        at: &Hash,
        bytes: &[u8],
    ) -> Result<TransactionValidity, ClientError> {
        let version = client.runtime_version(at)?;
        let api = tagged_transaction_queue_id();
        let api_version = version
            .apis
            .iter()
            .find(|(id, _)| *id == api)
            .map(|(_, v)| *v);
        let Some(api_version) = api_version else {
            let code_hash = client.code_hash(at)?;
            if self.inner.lock().fallback_logged.insert(code_hash) {
                tracing::warn!(
                    "the runtime {}-{} has no TaggedTransactionQueue API: extrinsics are pooled \
                     without validation (synthetic tag: their hash)",
                    version.spec_name,
                    version.spec_version
                );
            }
            return Ok(Ok(ValidTransaction {
                provides: vec![sp_crypto_hashing::blake2_256(bytes).to_vec()],
                ..ValidTransaction::default()
            }));
        };
        let mut input = Vec::with_capacity(bytes.len() + 33);
        if api_version >= 2 {
            TransactionSource::External.encode_to(&mut input);
        }
        input.extend_from_slice(bytes);
        if api_version >= 3 {
            input.extend_from_slice(at);
        }
        let method = "TaggedTransactionQueue_validate_transaction";
        let output = client.call(at, method, &input, None)?;
        TransactionValidity::decode(&mut &output[..]).map_err(|error| ClientError::BadOutput {
            method: method.into(),
            error,
        })
    }

    /// Validates `bytes` at the best block and pools it; returns its hash.
    pub fn submit(&self, client: &Client, bytes: Vec<u8>) -> Result<Hash, PoolError> {
        let mut rest = &bytes[..];
        match Vec::<u8>::decode(&mut rest) {
            Ok(_) if rest.is_empty() => {}
            Ok(_) => {
                return Err(PoolError::BadFormat(format!(
                    "{} trailing bytes after the extrinsic",
                    rest.len()
                )))
            }
            Err(e) => return Err(PoolError::BadFormat(e.to_string())),
        }
        let hash = sp_crypto_hashing::blake2_256(&bytes);
        if self.inner.lock().txs.iter().any(|tx| tx.hash == hash) {
            return Err(PoolError::AlreadyImported(hash));
        }
        let best = client.info().best_hash;
        let validity = match self.validate(client, &best, &bytes)? {
            Ok(validity) => validity,
            Err(TransactionValidityError::Invalid(e)) => return Err(PoolError::Invalid(e)),
            Err(TransactionValidityError::Unknown(e)) => return Err(PoolError::Unknown(e)),
        };
        let mut inner = self.inner.lock();
        if inner.txs.iter().any(|tx| tx.hash == hash) {
            return Err(PoolError::AlreadyImported(hash));
        }
        // A transaction providing a tag already provided replaces it only with a higher
        // priority.
        let clashing: Vec<usize> = inner
            .txs
            .iter()
            .enumerate()
            .filter(|(_, tx)| {
                tx.validity
                    .provides
                    .iter()
                    .any(|tag| validity.provides.contains(tag))
            })
            .map(|(index, _)| index)
            .collect();
        if let Some(old) = clashing
            .iter()
            .map(|&i| inner.txs[i].validity.priority)
            .max()
        {
            if old >= validity.priority {
                return Err(PoolError::TooLowPriority {
                    old,
                    new: validity.priority,
                });
            }
        }
        for index in clashing.into_iter().rev() {
            let removed = inner.txs.remove(index);
            let _ = self.events.send((removed.hash, TxStatus::Invalid));
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.txs.push(PooledTx {
            hash,
            bytes,
            validity,
            seq,
        });
        let ready = ready_order(&inner.txs).iter().any(|tx| tx.hash == hash);
        drop(inner);
        let _ = self.events.send((
            hash,
            if ready {
                TxStatus::Ready
            } else {
                TxStatus::Future
            },
        ));
        if ready {
            self.ready_changed.notify_one();
        }
        tracing::debug!("pooled extrinsic {}", hex_hash(&hash));
        Ok(hash)
    }

    /// Removes the extrinsics `hashes` and every pooled one that depends on them (requires a
    /// tag only they provide), as Substrate's `author_removeExtrinsic` does; their watchers
    /// hear `Invalid`. Returns the hashes removed.
    pub fn remove(&self, hashes: &[Hash]) -> Vec<Hash> {
        let mut inner = self.inner.lock();
        let mut removed: Vec<PooledTx> = Vec::new();
        let mut doomed: Vec<Hash> = hashes.to_vec();
        while !doomed.is_empty() {
            let (out, kept): (Vec<PooledTx>, Vec<PooledTx>) = std::mem::take(&mut inner.txs)
                .into_iter()
                .partition(|tx| doomed.contains(&tx.hash));
            inner.txs = kept;
            // Dependents of what just went, unless another pooled extrinsic provides the tag.
            doomed = inner
                .txs
                .iter()
                .filter(|tx| {
                    tx.validity.requires.iter().any(|tag| {
                        out.iter().any(|gone| gone.validity.provides.contains(tag))
                            && !inner
                                .txs
                                .iter()
                                .any(|other| other.validity.provides.contains(tag))
                    })
                })
                .map(|tx| tx.hash)
                .collect();
            removed.extend(out);
        }
        drop(inner);
        for tx in &removed {
            let _ = self.events.send((tx.hash, TxStatus::Invalid));
        }
        removed.into_iter().map(|tx| tx.hash).collect()
    }

    /// The ready extrinsics, in the order a block should include them.
    pub fn ready(&self) -> Vec<PooledTx> {
        ready_order(&self.inner.lock().txs)
    }

    /// Waits until the pool has ready extrinsics.
    pub async fn wait_for_ready(&self) {
        loop {
            let notified = self.ready_changed.notified();
            if !self.ready().is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// A block was authored (and finalized): removes what it included or refused, tells the
    /// watchers, and revalidates what is left at the new block.
    pub fn on_block(&self, client: &Client, authored: &Authored) {
        let included: HashSet<Hash> = authored
            .included
            .iter()
            .map(|bytes| sp_crypto_hashing::blake2_256(bytes))
            .collect();
        let dropped: HashSet<Hash> = authored
            .dropped
            .iter()
            .map(|bytes| sp_crypto_hashing::blake2_256(bytes))
            .collect();
        let remaining: Vec<PooledTx> = {
            let mut inner = self.inner.lock();
            inner
                .txs
                .retain(|tx| !included.contains(&tx.hash) && !dropped.contains(&tx.hash));
            inner.txs.clone()
        };
        for hash in &included {
            let _ = self.events.send((*hash, TxStatus::InBlock(authored.hash)));
        }
        for hash in &included {
            let _ = self
                .events
                .send((*hash, TxStatus::Finalized(authored.hash)));
        }
        for hash in &dropped {
            let _ = self.events.send((*hash, TxStatus::Invalid));
        }
        // Revalidate at the new best block: tags change (nonces move on).
        for tx in remaining {
            let validity = self.validate(client, &authored.hash, &tx.bytes);
            let mut inner = self.inner.lock();
            let Some(pos) = inner.txs.iter().position(|t| t.hash == tx.hash) else {
                continue;
            };
            match validity {
                Ok(Ok(validity)) => inner.txs[pos].validity = validity,
                Ok(Err(_)) => {
                    inner.txs.remove(pos);
                    let _ = self.events.send((tx.hash, TxStatus::Invalid));
                }
                Err(e) => tracing::warn!("cannot revalidate extrinsic {}: {e}", hex_hash(&tx.hash)),
            }
        }
        if !self.ready().is_empty() {
            self.ready_changed.notify_one();
        }
    }
}

/// The transactions whose required tags are all provided by others before them, highest
/// priority first among those available at each step (then oldest first).
fn ready_order(txs: &[PooledTx]) -> Vec<PooledTx> {
    let mut provided: HashSet<&[u8]> = HashSet::new();
    let mut remaining: Vec<&PooledTx> = txs.iter().collect();
    let mut order = Vec::new();
    loop {
        let next = remaining
            .iter()
            .enumerate()
            .filter(|(_, tx)| {
                tx.validity
                    .requires
                    .iter()
                    .all(|tag| provided.contains(tag.as_slice()))
            })
            .max_by(|(_, a), (_, b)| {
                a.validity
                    .priority
                    .cmp(&b.validity.priority)
                    .then(b.seq.cmp(&a.seq))
            })
            .map(|(index, _)| index);
        let Some(index) = next else { break };
        let tx = remaining.remove(index);
        provided.extend(tx.validity.provides.iter().map(Vec::as_slice));
        order.push(tx.clone());
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(seq: u64, priority: u64, requires: &[&[u8]], provides: &[&[u8]]) -> PooledTx {
        PooledTx {
            hash: [seq as u8; 32],
            bytes: vec![seq as u8],
            validity: ValidTransaction {
                priority,
                requires: requires.iter().map(|t| t.to_vec()).collect(),
                provides: provides.iter().map(|t| t.to_vec()).collect(),
                longevity: 64,
                propagate: true,
            },
            seq,
        }
    }

    #[test]
    fn removing_takes_the_dependents_along() {
        let pool = Pool::new();
        let mut events = pool.events();
        pool.inner.lock().txs = vec![
            tx(0, 0, &[], &[b"a0"]),
            tx(1, 0, &[b"a0"], &[b"a1"]),
            tx(2, 0, &[b"a1"], &[b"a2"]),
            tx(3, 0, &[], &[b"b0"]),
            // Needs `b0`, which 3 provides too: stays when 4 goes.
            tx(4, 0, &[], &[b"b0x"]),
            tx(5, 0, &[b"b0"], &[]),
        ];
        let removed = pool.remove(&[[0; 32], [9; 32]]);
        assert_eq!(removed, [[0; 32], [1; 32], [2; 32]]);
        let left: Vec<u64> = pool.inner.lock().txs.iter().map(|tx| tx.seq).collect();
        assert_eq!(left, [3, 4, 5]);
        for hash in removed {
            assert_eq!(events.try_recv().unwrap(), (hash, TxStatus::Invalid));
        }
        assert_eq!(pool.remove(&[[4; 32]]), [[4; 32]]);
        assert_eq!(pool.ready().len(), 2);
    }

    #[test]
    fn ready_order_follows_tags_then_priority() {
        let txs = [
            tx(0, 10, &[b"n1"], &[b"n2"]),
            tx(1, 1, &[], &[b"n1"]),
            tx(2, 5, &[], &[b"x"]),
            tx(3, 100, &[b"missing"], &[b"y"]),
        ];
        let order: Vec<u64> = ready_order(&txs).iter().map(|t| t.seq).collect();
        assert_eq!(order, [2, 1, 0]);
    }
}

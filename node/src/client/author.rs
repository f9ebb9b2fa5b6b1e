//! Block authoring: builds a block on the best block from the pool's ready extrinsics,
//! stores it as the new best (and, on a development chain, finalized) block.
//!
//! A block is built the way Substrate's block builder does it, with one overlay over the
//! parent's state for the whole block: `Core_initialize_block` with a header holding the
//! parent hash, the number and an empty digest; `BlockBuilder_apply_extrinsic` for each
//! extrinsic (one whose result is `Err(TransactionValidityError)` is left out and its writes
//! rolled back; `Ok(Err(DispatchError))` is included, as Substrate does); then
//! `BlockBuilder_finalize_block`, which returns the header. Nothing in the header depends on
//! time or on the node, so every node (and every instantiation strategy) builds the same
//! block from the same extrinsics.

use std::{sync::Arc, time::Duration};

use codec::{Decode, Encode};
use executor::externalities::{Externalities, OverlayedExternalities};
use substrate_primitives::header::Header;

use super::{hex_hash, pool::Pool, Client, ClientError, Hash, NewBlock};

/// What building a block did.
#[derive(Debug)]
pub struct Authored {
    /// The new block's hash.
    pub hash: Hash,
    /// Its header.
    pub header: Header,
    /// The extrinsics included.
    pub included: Vec<Vec<u8>>,
    /// The extrinsics left out (the runtime refused them).
    pub dropped: Vec<Vec<u8>>,
}

fn bad_output(method: &str, error: codec::Error) -> ClientError {
    ClientError::BadOutput {
        method: method.into(),
        error,
    }
}

/// Builds a block on `parent` with `extrinsics` (each as the block encodes it) and stores it
/// as the new best block.
pub fn build_block(
    client: &Client,
    parent: Hash,
    extrinsics: &[Vec<u8>],
) -> Result<Authored, ClientError> {
    let parent_header = client
        .header(&parent)?
        .ok_or(ClientError::UnknownBlock(parent))?;
    let state_version = client.runtime_version(&parent)?.state_version();
    let executor = client.executor().clone();
    let (header, changes, included, dropped) = client.with_code(&parent, |state, code| {
        let mut ext = OverlayedExternalities::with_backend(state.clone());
        let pre_header = Header {
            parent_hash: parent,
            number: parent_header.number + 1,
            state_root: [0; 32],
            extrinsics_root: [0; 32],
            digest: Default::default(),
        };
        executor.call(
            code,
            "Core_initialize_block",
            &pre_header.encode(),
            &mut ext,
        )?;
        let (mut included, mut dropped) = (Vec::new(), Vec::new());
        for extrinsic in extrinsics {
            ext.start_transaction();
            let output = executor.call(code, "BlockBuilder_apply_extrinsic", extrinsic, &mut ext);
            // `ApplyExtrinsicResult`: 0x00 = included (whatever its dispatch gave), 0x01 = not.
            let included_ok = matches!(output.as_deref(), Ok([0x00, ..]));
            if included_ok {
                let _ = ext.commit_transaction();
                included.push(extrinsic.clone());
            } else {
                let _ = ext.rollback_transaction();
                match output {
                    Ok(output) => {
                        tracing::debug!("extrinsic left out of the block: {}", hex_hash(&output))
                    }
                    Err(e) => tracing::warn!("extrinsic left out of the block: {e}"),
                }
                dropped.push(extrinsic.clone());
            }
        }
        let method = "BlockBuilder_finalize_block";
        let output = executor.call(code, method, &[], &mut ext)?;
        let header = Header::decode(&mut &output[..]).map_err(|e| bad_output(method, e))?;
        Ok((header, ext.into_changes(), included, dropped))
    })?;
    let hash = client.insert_block(
        NewBlock {
            header: header.clone(),
            body: included.clone(),
            changes,
            state_version,
        },
        true,
    )?;
    Ok(Authored {
        hash,
        header,
        included,
        dropped,
    })
}

/// Authors blocks until the task is dropped: every `block_time`, or with `None` as soon as
/// the pool has ready extrinsics. Each block is finalized at once (a development chain has
/// no finality gadget).
pub async fn run(client: Arc<Client>, pool: Arc<Pool>, block_time: Option<Duration>) {
    let mut ticker = block_time.map(|period| {
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval
    });
    loop {
        match &mut ticker {
            Some(interval) => {
                interval.tick().await;
            }
            None => {
                pool.wait_for_ready().await;
            }
        }
        let ready = pool.ready();
        let client_ = client.clone();
        let pool_ = pool.clone();
        let built = tokio::task::spawn_blocking(move || {
            let parent = client_.info().best_hash;
            let extrinsics: Vec<Vec<u8>> = ready.iter().map(|tx| tx.bytes.clone()).collect();
            let authored = build_block(&client_, parent, &extrinsics)?;
            client_.finalize(&authored.hash)?;
            pool_.on_block(&client_, &authored);
            Ok::<_, ClientError>(authored)
        })
        .await;
        match built {
            Ok(Ok(authored)) => tracing::info!(
                "🎁 Prepared block for proposing #{} ({}) with {} extrinsics{}",
                authored.header.number,
                hex_hash(&authored.hash),
                authored.included.len(),
                if authored.dropped.is_empty() {
                    String::new()
                } else {
                    format!(" ({} left out)", authored.dropped.len())
                }
            ),
            Ok(Err(e)) => {
                tracing::error!("block authoring failed: {e}");
                // Do not spin on a persistent failure.
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                tracing::error!("block authoring panicked: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

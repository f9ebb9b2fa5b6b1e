//! `author_*`: transaction submission to the pool ([`crate::client::pool`]).
//!
//! Refusals carry Substrate's author error codes and messages: 1001 bad format, 1002
//! verification failure (the runtime call failed), 1010 invalid transaction (data: the
//! `InvalidTransaction` description), 1011 unknown validity, 1013 already imported, 1014
//! priority too low.

use std::sync::Arc;

use jsonrpsee::{
    types::{ErrorObject, ErrorObjectOwned},
    RpcModule,
};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::{accept, codes, notify, register_blocking, Bytes, HashHex, RpcContext};
use crate::client::{
    hex_hash,
    pool::{PoolError, TxStatus},
};

/// What `author_removeExtrinsic` takes: `{"hash": ...}` or `{"extrinsic": ...}`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
enum ExtrinsicOrHash {
    /// A pooled extrinsic's hash.
    Hash(HashHex),
    /// The extrinsic itself.
    Extrinsic(Bytes),
}

/// Substrate's code for author errors that fit no other code.
pub const OTHER_ERROR: i32 = codes::AUTHOR + 40;

/// A refusal as Substrate's author error.
pub fn pool_error(e: &PoolError) -> ErrorObjectOwned {
    let (code, message, data): (i32, String, Option<String>) = match e {
        PoolError::BadFormat(_) => (codes::AUTHOR + 1, e.to_string(), None),
        PoolError::Verification(inner) => (
            codes::AUTHOR + 2,
            format!("Verification Error: {inner}"),
            Some(format!("{inner:?}")),
        ),
        PoolError::Invalid(invalid) => (
            codes::AUTHOR + 10,
            "Invalid Transaction".into(),
            Some(invalid.description().into()),
        ),
        PoolError::Unknown(unknown) => (
            codes::AUTHOR + 11,
            "Unknown Transaction Validity".into(),
            Some(format!("{unknown:?}")),
        ),
        PoolError::AlreadyImported(hash) => (
            codes::AUTHOR + 13,
            "Transaction Already Imported".into(),
            Some(hex_hash(hash)),
        ),
        PoolError::TooLowPriority { .. } => (
            codes::AUTHOR + 14,
            e.to_string(),
            Some(
                "The transaction has too low priority to replace another transaction already \
                 in the pool."
                    .into(),
            ),
        ),
    };
    ErrorObject::owned(code, message, data)
}

fn status_json(status: &TxStatus) -> serde_json::Value {
    match status {
        TxStatus::Ready => json!("ready"),
        TxStatus::Future => json!("future"),
        TxStatus::InBlock(hash) => json!({ "inBlock": hex_hash(hash) }),
        TxStatus::Finalized(hash) => json!({ "finalized": hex_hash(hash) }),
        TxStatus::Invalid => json!("invalid"),
    }
}

/// The `author_*` methods.
pub fn module(ctx: Arc<RpcContext>) -> RpcModule<RpcContext> {
    let mut module = RpcModule::from_arc(ctx);
    register_blocking(&mut module, "author_submitExtrinsic", |params, ctx| {
        let extrinsic: Bytes = params.one()?;
        ctx.pool
            .submit(&ctx.client, extrinsic.0)
            .map(HashHex)
            .map_err(|e| pool_error(&e))
    });
    module
        .register_method("author_removeExtrinsic", |params, ctx, _| {
            ctx.check_unsafe()?;
            let targets: Vec<ExtrinsicOrHash> = params.one()?;
            let hashes: Vec<_> = targets
                .into_iter()
                .map(|target| match target {
                    ExtrinsicOrHash::Hash(hash) => hash.0,
                    ExtrinsicOrHash::Extrinsic(bytes) => sp_crypto_hashing::blake2_256(&bytes.0),
                })
                .collect();
            let removed = ctx.pool.remove(&hashes);
            Ok::<_, ErrorObjectOwned>(removed.into_iter().map(HashHex).collect::<Vec<_>>())
        })
        .expect("unique name");
    module
        .register_method("author_pendingExtrinsics", |_, ctx, _| {
            ctx.pool
                .ready()
                .into_iter()
                .map(|tx| Bytes(tx.bytes))
                .collect::<Vec<_>>()
        })
        .expect("unique name");
    module
        .register_subscription(
            "author_submitAndWatchExtrinsic",
            "author_extrinsicUpdate",
            "author_unwatchExtrinsic",
            |params, pending, ctx, _| async move {
                let extrinsic = match params.one::<Bytes>() {
                    Ok(extrinsic) => extrinsic,
                    Err(e) => return pending.reject(e).await,
                };
                // Listen before submitting, so no status is missed.
                let mut events = ctx.pool.events();
                let hash = match ctx
                    .blocking
                    .run(|| ctx.pool.submit(&ctx.client, extrinsic.0))
                {
                    Ok(hash) => hash,
                    Err(e) => return pending.reject(pool_error(&e)).await,
                };
                let Some(sink) = accept(pending).await else {
                    return;
                };
                loop {
                    let status = tokio::select! {
                        _ = sink.closed() => return,
                        event = events.recv() => match event {
                            Ok((h, status)) if h == hash => status,
                            Ok(_) | Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => return,
                        },
                    };
                    if notify(&sink, &status_json(&status)).await.is_err() {
                        return;
                    }
                    if matches!(status, TxStatus::Finalized(_) | TxStatus::Invalid) {
                        return;
                    }
                }
            },
        )
        .expect("unique name");
    module
}

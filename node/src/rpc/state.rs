//! `state_*`: runtime calls, storage, metadata and the runtime version at a block.
//!
//! Failures are Substrate's state errors: 4003 `Client error: …` (with the executor's
//! message for failed runtime calls), 4002 for a `count` over the limit.

use std::sync::Arc;

use executor::RuntimeVersion;
use jsonrpsee::{
    types::{params::ParamsSequence, ErrorObjectOwned, Params},
    PendingSubscriptionSink, RpcModule, SubscriptionSink,
};
use serde::Serialize;
use tokio::sync::broadcast::{error::RecvError, Receiver};

use super::{accept, codes, error, notify, register_blocking, Bytes, HashHex, RpcContext};
use crate::client::{hex_hash, state::KeySpace, BlockImported, ClientError, Hash};

/// The most keys `state_getKeysPaged` returns at once (Substrate's limit).
pub const MAX_KEYS_PAGED: u32 = 1000;

/// A client failure as a state error (4003).
pub fn client_error(e: ClientError) -> ErrorObjectOwned {
    error(codes::STATE + 3, format!("Client error: {e}"))
}

/// A runtime version in Substrate's JSON shape (`systemVersion`, and `stateVersion` too for
/// older clients).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeVersionJson {
    spec_name: String,
    impl_name: String,
    authoring_version: u32,
    spec_version: u32,
    impl_version: u32,
    apis: Vec<(String, u32)>,
    transaction_version: u32,
    system_version: u8,
    state_version: u8,
}

impl From<&RuntimeVersion> for RuntimeVersionJson {
    fn from(v: &RuntimeVersion) -> Self {
        RuntimeVersionJson {
            spec_name: v.spec_name.clone(),
            impl_name: v.impl_name.clone(),
            authoring_version: v.authoring_version,
            spec_version: v.spec_version,
            impl_version: v.impl_version,
            apis: v
                .apis
                .iter()
                .map(|(id, version)| (format!("0x{}", hex::encode(id)), *version))
                .collect(),
            transaction_version: v.transaction_version,
            system_version: v.system_version,
            state_version: v.system_version,
        }
    }
}

/// A storage proof of some keys at a block (`ReadProof`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReadProof {
    at: HashHex,
    proof: Vec<Bytes>,
}

/// The values of some keys at a block (`StorageChangeSet`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StorageChangeSet {
    block: HashHex,
    changes: Vec<(Bytes, Option<Bytes>)>,
}

fn at_or_best(ctx: &RpcContext, at: Option<HashHex>) -> Hash {
    ctx.client.block_or_best(at.map(|h| h.0))
}

/// Reads the parameters that choose a key space (none for `state_*`, the prefixed child
/// storage key for `childstate_*`); `Some` names a default child trie (unprefixed key).
pub type KeySpaceParams = fn(&mut ParamsSequence<'_>) -> Result<Option<Vec<u8>>, ErrorObjectOwned>;

/// The key space of `state_*`: the top trie, named by no parameter.
fn top_trie(_: &mut ParamsSequence<'_>) -> Result<Option<Vec<u8>>, ErrorObjectOwned> {
    Ok(None)
}

/// Registers the storage queries `getStorage`, `getStorageHash`, `getStorageSize` and
/// `getKeysPaged` of namespace `names` (their full names, in that order), in the key space
/// `space` reads from the first parameters; the rest are as `state_*`'s.
pub fn register_storage_queries(
    module: &mut RpcModule<RpcContext>,
    names: [&'static str; 4],
    space: KeySpaceParams,
) {
    let [get, get_hash, get_size, get_keys_paged] = names;
    /// The value the `(space..., key, at?)` parameters name.
    fn value(
        params: Params<'_>,
        ctx: &RpcContext,
        space: KeySpaceParams,
    ) -> Result<Option<Vec<u8>>, ErrorObjectOwned> {
        let mut seq = params.sequence();
        let child = space(&mut seq)?;
        let key: Bytes = seq.next()?;
        let at = at_or_best(ctx, seq.optional_next()?);
        let state = ctx.client.state_at(&at).map_err(client_error)?;
        Ok(state.value(key_space(&child), &key.0))
    }
    register_blocking(module, get, move |params, ctx| {
        Ok(value(params, ctx, space)?.map(Bytes))
    });
    register_blocking(module, get_hash, move |params, ctx| {
        let value = value(params, ctx, space)?;
        Ok(value.map(|value| HashHex(sp_crypto_hashing::blake2_256(&value))))
    });
    register_blocking(module, get_size, move |params, ctx| {
        Ok(value(params, ctx, space)?.map(|value| value.len() as u64))
    });
    register_blocking(module, get_keys_paged, move |params, ctx| {
        let mut seq = params.sequence();
        let child = space(&mut seq)?;
        let prefix: Option<Bytes> = seq.optional_next()?;
        let count: u32 = seq.next()?;
        let start_key: Option<Bytes> = seq.optional_next()?;
        let at = at_or_best(ctx, seq.optional_next()?);
        if count > MAX_KEYS_PAGED {
            return Err(error(
                codes::STATE + 2,
                format!("count exceeds maximum value. value: {count}, max: {MAX_KEYS_PAGED}"),
            ));
        }
        let state = ctx.client.state_at(&at).map_err(client_error)?;
        let keys = state.keys_paged(
            key_space(&child),
            &prefix.unwrap_or_default().0,
            count as usize,
            start_key.as_ref().map(|k| k.0.as_slice()),
        );
        Ok(keys.into_iter().map(Bytes).collect::<Vec<_>>())
    });
}

fn key_space(child: &Option<Vec<u8>>) -> KeySpace<'_> {
    match child {
        Some(child) => KeySpace::Child(child),
        None => KeySpace::Top,
    }
}

/// The blocks from `from` to `to` (both included, `to`'s ancestors), oldest first; Substrate's
/// 4001 error if `from` is not `to` or one of its ancestors.
fn block_range(ctx: &RpcContext, from: Hash, to: Hash) -> Result<Vec<Hash>, ErrorObjectOwned> {
    let invalid = |details: &str| {
        error(
            codes::STATE + 1,
            format!(
                "Cannot resolve a block range ['{}' ... '{}']. {details}",
                hex_hash(&from),
                hex_hash(&to)
            ),
        )
    };
    let header = |hash: &Hash| {
        ctx.client
            .header(hash)
            .map_err(client_error)?
            .ok_or_else(|| invalid(&format!("Unknown block {}", hex_hash(hash))))
    };
    let from_number = header(&from)?.number;
    let mut blocks = vec![to];
    let mut current = header(&to)?;
    if current.number < from_number {
        return Err(invalid("The end block is before the start block"));
    }
    while current.number > from_number {
        blocks.push(current.parent_hash);
        current = header(&current.parent_hash)?;
    }
    if blocks.last() != Some(&from) {
        return Err(invalid(
            "The start block is not an ancestor of the end block",
        ));
    }
    blocks.reverse();
    Ok(blocks)
}

fn runtime_version(ctx: &RpcContext, at: &Hash) -> Result<RuntimeVersionJson, ErrorObjectOwned> {
    let version = ctx.client.runtime_version(at).map_err(client_error)?;
    Ok(RuntimeVersionJson::from(&version))
}

fn query_storage_at(
    ctx: &RpcContext,
    keys: &[Bytes],
    at: Hash,
) -> Result<StorageChangeSet, ClientError> {
    let state = ctx.client.state_at(&at)?;
    let changes = keys
        .iter()
        .map(|key| {
            use executor::externalities::StateBackend;
            (key.clone(), state.storage(&key.0).map(Bytes))
        })
        .collect();
    Ok(StorageChangeSet {
        block: HashHex(at),
        changes,
    })
}

/// `state_subscribeStorage` with keys: their values at the best block, then, at every new
/// best block, those that changed.
async fn watch_keys(ctx: Arc<RpcContext>, pending: PendingSubscriptionSink, keys: Vec<Bytes>) {
    let mut imports = ctx.client.import_notifications();
    let best = ctx.client.info().best_hash;
    let initial = match ctx.blocking.run(|| query_storage_at(&ctx, &keys, best)) {
        Ok(set) => set,
        Err(e) => return pending.reject(client_error(e)).await,
    };
    let Some(sink) = accept(pending).await else {
        return;
    };
    if !keys.is_empty() && notify(&sink, &initial).await.is_err() {
        return;
    }
    let mut last = initial.changes;
    while let Some(block) = next_best_block(&sink, &mut imports).await {
        let Ok(set) = ctx
            .blocking
            .run(|| query_storage_at(&ctx, &keys, block.hash))
        else {
            continue;
        };
        let changed: Vec<_> = set
            .changes
            .iter()
            .zip(&last)
            .filter(|(new, old)| new != old)
            .map(|(new, _)| new.clone())
            .collect();
        if !changed.is_empty() {
            let update = StorageChangeSet {
                block: set.block,
                changes: changed,
            };
            if notify(&sink, &update).await.is_err() {
                return;
            }
        }
        last = set.changes;
    }
}

/// `state_subscribeStorage` without keys: as Substrate, no initial values, then every change
/// each new best block made to the top-level state.
async fn watch_all_changes(ctx: Arc<RpcContext>, pending: PendingSubscriptionSink) {
    let mut imports = ctx.client.import_notifications();
    let Some(sink) = accept(pending).await else {
        return;
    };
    while let Some(block) = next_best_block(&sink, &mut imports).await {
        if block.storage_changes.is_empty() {
            continue;
        }
        let update = StorageChangeSet {
            block: HashHex(block.hash),
            changes: block
                .storage_changes
                .iter()
                .map(|(key, value)| (Bytes(key.clone()), value.clone().map(Bytes)))
                .collect(),
        };
        if notify(&sink, &update).await.is_err() {
            return;
        }
    }
}

/// The next imported block that became the best one, or `None` once the subscriber left or
/// the node is shutting down.
async fn next_best_block(
    sink: &SubscriptionSink,
    imports: &mut Receiver<BlockImported>,
) -> Option<BlockImported> {
    loop {
        tokio::select! {
            _ = sink.closed() => return None,
            event = imports.recv() => match event {
                Ok(block) if block.is_new_best => return Some(block),
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            },
        }
    }
}

/// The `state_*` methods.
pub fn module(ctx: Arc<RpcContext>) -> RpcModule<RpcContext> {
    let mut module = RpcModule::from_arc(ctx);

    register_blocking(&mut module, "state_call", |params, ctx| {
        let mut seq = params.sequence();
        let method: String = seq.next()?;
        let data: Bytes = seq.next()?;
        let at = at_or_best(ctx, seq.optional_next()?);
        ctx.client
            .call(&at, &method, &data.0, Some(ctx.call_timeout))
            .map(Bytes)
            .map_err(client_error)
    });

    register_storage_queries(
        &mut module,
        [
            "state_getStorage",
            "state_getStorageHash",
            "state_getStorageSize",
            "state_getKeysPaged",
        ],
        top_trie,
    );

    register_blocking(&mut module, "state_getReadProof", |params, ctx| {
        let mut seq = params.sequence();
        let keys: Vec<Bytes> = seq.next()?;
        let at = at_or_best(ctx, seq.optional_next()?);
        let keys: Vec<Vec<u8>> = keys.into_iter().map(|key| key.0).collect();
        let proof = ctx.client.read_proof(&at, &keys).map_err(client_error)?;
        Ok(ReadProof {
            at: HashHex(at),
            proof: proof.into_iter().map(Bytes).collect(),
        })
    });

    // Unsafe: a walk over any number of blocks.
    register_blocking(&mut module, "state_queryStorage", |params, ctx| {
        ctx.check_unsafe()?;
        let mut seq = params.sequence();
        let keys: Vec<Bytes> = seq.next()?;
        let from: HashHex = seq.next()?;
        let to = at_or_best(ctx, seq.optional_next()?);
        let blocks = block_range(ctx, from.0, to)?;
        // As Substrate: the first block reports every key, later ones what changed.
        let mut last: Vec<Option<Option<Vec<u8>>>> = vec![None; keys.len()];
        let mut sets = Vec::new();
        for block in blocks {
            let state = ctx.client.state_at(&block).map_err(client_error)?;
            let mut changes = Vec::new();
            for (key, last) in keys.iter().zip(&mut last) {
                let value = state.value(KeySpace::Top, &key.0);
                if last.as_ref() != Some(&value) {
                    changes.push((key.clone(), value.clone().map(Bytes)));
                    *last = Some(value);
                }
            }
            if !changes.is_empty() {
                sets.push(StorageChangeSet {
                    block: HashHex(block),
                    changes,
                });
            }
        }
        Ok(sets)
    });

    // Unsafe: every pair under the prefix, however many.
    register_blocking(&mut module, "state_getPairs", |params, ctx| {
        ctx.check_unsafe()?;
        let mut seq = params.sequence();
        let prefix: Bytes = seq.next()?;
        let at = at_or_best(ctx, seq.optional_next()?);
        let state = ctx.client.state_at(&at).map_err(client_error)?;
        let pairs = state
            .keys_paged(KeySpace::Top, &prefix.0, usize::MAX, None)
            .into_iter()
            .filter_map(|key| {
                let value = state.value(KeySpace::Top, &key)?;
                Some((Bytes(key), Bytes(value)))
            })
            .collect::<Vec<_>>();
        Ok(pairs)
    });

    register_blocking(&mut module, "state_getMetadata", |params, ctx| {
        let mut seq = params.sequence();
        let at = at_or_best(ctx, seq.optional_next()?);
        ctx.client
            .metadata(&at, Some(ctx.call_timeout))
            .map(Bytes)
            .map_err(client_error)
    });

    register_blocking(&mut module, "state_getRuntimeVersion", |params, ctx| {
        let mut seq = params.sequence();
        let at = at_or_best(ctx, seq.optional_next()?);
        runtime_version(ctx, &at)
    });

    register_blocking(&mut module, "state_queryStorageAt", |params, ctx| {
        let mut seq = params.sequence();
        let keys: Vec<Bytes> = seq.next()?;
        let at = at_or_best(ctx, seq.optional_next()?);
        let set = query_storage_at(ctx, &keys, at).map_err(client_error)?;
        Ok::<_, ErrorObjectOwned>(vec![set])
    });

    module
        .register_subscription(
            "state_subscribeRuntimeVersion",
            "state_runtimeVersion",
            "state_unsubscribeRuntimeVersion",
            |_params, pending, ctx, _| async move {
                let mut imports = ctx.client.import_notifications();
                let best = ctx.client.info().best_hash;
                let mut current = match ctx.blocking.run(|| runtime_version(&ctx, &best)) {
                    Ok(version) => version,
                    Err(e) => return pending.reject(e).await,
                };
                let Some(sink) = accept(pending).await else {
                    return;
                };
                if notify(&sink, &current).await.is_err() {
                    return;
                }
                while let Some(block) = next_best_block(&sink, &mut imports).await {
                    let Ok(version) = ctx.blocking.run(|| runtime_version(&ctx, &block.hash))
                    else {
                        continue;
                    };
                    if version != current {
                        if notify(&sink, &version).await.is_err() {
                            return;
                        }
                        current = version;
                    }
                }
            },
        )
        .expect("unique name");

    module
        .register_subscription(
            "state_subscribeStorage",
            "state_storage",
            "state_unsubscribeStorage",
            |params, pending, ctx, _| async move {
                let keys: Option<Vec<Bytes>> = match params.sequence().optional_next() {
                    Ok(keys) => keys,
                    Err(e) => return pending.reject(e).await,
                };
                match keys {
                    Some(keys) => watch_keys(ctx, pending, keys).await,
                    None => watch_all_changes(ctx, pending).await,
                }
            },
        )
        .expect("unique name");

    for (alias, method) in [
        ("state_callAt", "state_call"),
        ("state_getStorageAt", "state_getStorage"),
        ("state_getStorageHashAt", "state_getStorageHash"),
        ("state_getStorageSizeAt", "state_getStorageSize"),
        ("state_getKeysPagedAt", "state_getKeysPaged"),
        ("chain_getRuntimeVersion", "state_getRuntimeVersion"),
        (
            "chain_subscribeRuntimeVersion",
            "state_subscribeRuntimeVersion",
        ),
        (
            "chain_unsubscribeRuntimeVersion",
            "state_unsubscribeRuntimeVersion",
        ),
    ] {
        module.register_alias(alias, method).expect("unique alias");
    }
    module
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_version_shape() {
        let version = RuntimeVersion {
            spec_name: "westend".into(),
            impl_name: "parity-westend".into(),
            authoring_version: 2,
            spec_version: 1,
            impl_version: 0,
            apis: vec![(executor::CORE_API_ID, 4)],
            transaction_version: 1,
            system_version: 1,
        };
        let json = serde_json::to_value(RuntimeVersionJson::from(&version)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "specName": "westend", "implName": "parity-westend", "authoringVersion": 2,
                "specVersion": 1, "implVersion": 0, "apis": [["0xdf6acb689907609b", 4]],
                "transactionVersion": 1, "systemVersion": 1, "stateVersion": 1
            })
        );
    }
}

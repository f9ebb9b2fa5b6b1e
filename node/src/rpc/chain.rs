//! `chain_*`: block hashes, headers, blocks, and head subscriptions.
//!
//! Unknown blocks give `null` (as in Substrate); a block number over `u32` is error 3001,
//! a failing backend 3002.

use std::{future::Future, sync::Arc};

use jsonrpsee::{types::ErrorObjectOwned, RpcModule};
use serde::{Deserialize, Serialize};
use substrate_primitives::header::Header;
use tokio::sync::broadcast::{error::RecvError, Receiver};

use super::{
    accept, codes, error, notify, register_blocking, Bytes, HashHex, HeaderJson, RpcContext,
};
use crate::client::{BlockNumber, ClientError};

fn client_error(e: ClientError) -> ErrorObjectOwned {
    error(codes::CHAIN + 2, format!("Client error: {e}"))
}

/// A block number as a JSON number or a hex string (`NumberOrHex`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum NumberOrHex {
    Number(u64),
    Hex(HexNumber),
}

#[derive(Clone, Debug)]
struct HexNumber(u128);

impl<'de> Deserialize<'de> for HexNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let text = String::deserialize(deserializer)?;
        let digits = text
            .strip_prefix("0x")
            .ok_or_else(|| D::Error::custom(format!("invalid hex number `{text}`: missing 0x")))?;
        u128::from_str_radix(digits, 16)
            .map(HexNumber)
            .map_err(|e| D::Error::custom(format!("invalid hex number `{text}`: {e}")))
    }
}

impl NumberOrHex {
    fn to_block_number(&self) -> Result<BlockNumber, ErrorObjectOwned> {
        let n: u128 = match self {
            NumberOrHex::Number(n) => (*n).into(),
            NumberOrHex::Hex(HexNumber(n)) => *n,
        };
        BlockNumber::try_from(n).map_err(|_| {
            error(
                codes::CHAIN + 1,
                format!("`{n}` > u32::max_value(), the max block number is u32."),
            )
        })
    }
}

/// One value or a list of them (`ListOrValue`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
enum ListOrValue<T> {
    List(Vec<T>),
    Value(T),
}

/// A block in Substrate's JSON shape (`SignedBlock`).
#[derive(Clone, Serialize)]
struct SignedBlockJson {
    block: BlockJson,
    justifications: Option<()>,
}

#[derive(Clone, Serialize)]
struct BlockJson {
    header: HeaderJson,
    extrinsics: Vec<Bytes>,
}

/// The `chain_*` methods.
pub fn module(ctx: Arc<RpcContext>) -> RpcModule<RpcContext> {
    let mut module = RpcModule::from_arc(ctx);

    register_blocking(&mut module, "chain_getHeader", |params, ctx| {
        let hash: Option<HashHex> = params.sequence().optional_next()?;
        let hash = ctx.client.block_or_best(hash.map(|h| h.0));
        let header = ctx.client.header(&hash).map_err(client_error)?;
        Ok::<_, ErrorObjectOwned>(header.as_ref().map(HeaderJson::from))
    });

    register_blocking(&mut module, "chain_getBlock", |params, ctx| {
        let hash: Option<HashHex> = params.sequence().optional_next()?;
        let hash = ctx.client.block_or_best(hash.map(|h| h.0));
        let Some(header) = ctx.client.header(&hash).map_err(client_error)? else {
            return Ok(None);
        };
        let body = ctx
            .client
            .body(&hash)
            .map_err(client_error)?
            .unwrap_or_default();
        Ok::<_, ErrorObjectOwned>(Some(SignedBlockJson {
            block: BlockJson {
                header: HeaderJson::from(&header),
                extrinsics: body.into_iter().map(Bytes).collect(),
            },
            justifications: None,
        }))
    });

    register_blocking(&mut module, "chain_getBlockHash", |params, ctx| {
        let numbers: Option<ListOrValue<NumberOrHex>> = params.sequence().optional_next()?;
        let lookup = |n: Option<&NumberOrHex>| -> Result<Option<HashHex>, ErrorObjectOwned> {
            let Some(n) = n else {
                return Ok(Some(HashHex(ctx.client.info().best_hash)));
            };
            let number = n.to_block_number()?;
            Ok(ctx.client.hash(number).map_err(client_error)?.map(HashHex))
        };
        match numbers {
            None => lookup(None).map(ListOrValue::Value),
            Some(ListOrValue::Value(n)) => lookup(Some(&n)).map(ListOrValue::Value),
            Some(ListOrValue::List(list)) => list
                .iter()
                .map(|n| lookup(Some(n)))
                .collect::<Result<Vec<_>, _>>()
                .map(ListOrValue::List),
        }
    });

    module
        .register_method("chain_getFinalizedHead", |_, ctx, _| {
            Ok::<_, ErrorObjectOwned>(HashHex(ctx.client.info().finalized_hash))
        })
        .expect("unique name");

    register_heads(
        &mut module,
        [
            "chain_subscribeAllHeads",
            "chain_allHead",
            "chain_unsubscribeAllHeads",
        ],
        |ctx| async move {
            let imports = ctx.client.import_notifications();
            Ok((
                None,
                HeadStream::Imports {
                    imports,
                    best_only: false,
                },
            ))
        },
    );
    register_heads(
        &mut module,
        [
            "chain_subscribeNewHeads",
            "chain_newHead",
            "chain_unsubscribeNewHeads",
        ],
        |ctx| async move {
            let imports = ctx.client.import_notifications();
            let best = ctx.client.best_header()?;
            Ok((
                Some(best),
                HeadStream::Imports {
                    imports,
                    best_only: true,
                },
            ))
        },
    );
    register_heads(
        &mut module,
        [
            "chain_subscribeFinalizedHeads",
            "chain_finalizedHead",
            "chain_unsubscribeFinalizedHeads",
        ],
        |ctx| async move {
            let finalized = ctx.client.finality_notifications();
            let current = ctx.client.finalized_header()?;
            Ok((Some(current), HeadStream::Finalized(finalized)))
        },
    );

    for (alias, method) in [
        ("chain_getHead", "chain_getBlockHash"),
        ("chain_getFinalisedHead", "chain_getFinalizedHead"),
        ("subscribe_newHead", "chain_subscribeNewHeads"),
        ("chain_subscribeNewHead", "chain_subscribeNewHeads"),
        ("unsubscribe_newHead", "chain_unsubscribeNewHeads"),
        ("chain_unsubscribeNewHead", "chain_unsubscribeNewHeads"),
        (
            "chain_subscribeFinalisedHeads",
            "chain_subscribeFinalizedHeads",
        ),
        (
            "chain_unsubscribeFinalisedHeads",
            "chain_unsubscribeFinalizedHeads",
        ),
    ] {
        module.register_alias(alias, method).expect("unique alias");
    }
    module
}

/// Where a head subscription's headers come from.
enum HeadStream {
    Imports {
        imports: Receiver<crate::client::BlockImported>,
        best_only: bool,
    },
    Finalized(Receiver<Header>),
}

impl HeadStream {
    /// The next header, or `None` when the chain is gone.
    async fn next(&mut self) -> Option<Header> {
        loop {
            let next = match self {
                HeadStream::Imports { imports, best_only } => match imports.recv().await {
                    Ok(block) if block.is_new_best || !*best_only => Ok(block.header),
                    Ok(_) => continue,
                    Err(e) => Err(e),
                },
                HeadStream::Finalized(finalized) => finalized.recv().await,
            };
            match next {
                Ok(header) => return Some(header),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// Registers a head subscription: `start` gives the header to send first (if any) and the
/// stream of the following ones.
fn register_heads<F, Fut>(
    module: &mut RpcModule<RpcContext>,
    [subscribe, notification, unsubscribe]: [&'static str; 3],
    start: F,
) where
    F: Fn(Arc<RpcContext>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(Option<Header>, HeadStream), ClientError>> + Send + 'static,
{
    module
        .register_subscription(
            subscribe,
            notification,
            unsubscribe,
            move |_, pending, ctx, _| {
                let start = start.clone();
                async move {
                    let (first, mut stream) = match start(ctx).await {
                        Ok(started) => started,
                        Err(e) => return pending.reject(client_error(e)).await,
                    };
                    let Some(sink) = accept(pending).await else {
                        return;
                    };
                    if let Some(first) = first {
                        if notify(&sink, &HeaderJson::from(&first)).await.is_err() {
                            return;
                        }
                    }
                    loop {
                        let header = tokio::select! {
                            _ = sink.closed() => return,
                            header = stream.next() => match header {
                                Some(header) => header,
                                None => return,
                            },
                        };
                        if notify(&sink, &HeaderJson::from(&header)).await.is_err() {
                            return;
                        }
                    }
                }
            },
        )
        .expect("unique name");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_numbers() {
        let parse = |json: &str| serde_json::from_str::<ListOrValue<NumberOrHex>>(json);
        let ListOrValue::Value(n) = parse("7").unwrap() else {
            panic!()
        };
        assert_eq!(n.to_block_number().unwrap(), 7);
        let ListOrValue::Value(n) = parse("\"0x1f\"").unwrap() else {
            panic!()
        };
        assert_eq!(n.to_block_number().unwrap(), 31);
        let ListOrValue::List(list) = parse("[0, \"0x0\"]").unwrap() else {
            panic!()
        };
        assert_eq!(list.len(), 2);
        let ListOrValue::Value(n) = parse("\"0x100000000\"").unwrap() else {
            panic!()
        };
        assert_eq!(n.to_block_number().unwrap_err().code(), 3001);
        assert!(parse("\"12\"").is_err());
        assert!(parse("\"0xzz\"").is_err());
        assert!(parse("-1").is_err());
    }
}

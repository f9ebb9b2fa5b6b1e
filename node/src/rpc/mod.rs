//! The JSON-RPC server: Substrate's method names, parameter and result shapes, aliases and
//! error codes, over HTTP and WebSocket on one port (jsonrpsee).
//!
//! One file per namespace: [`state`], [`childstate`], [`chain`], [`system`], [`author`]; plus
//! `rpc_methods`, which lists them all. Omitted or `null` block hashes mean the best block. Methods that read
//! the chain or call the runtime run through [`blocking::BlockingWork`], so a slow runtime call
//! never stalls the server, and runtime calls made for RPC have a deadline.

pub mod author;
pub mod batch;
pub mod blocking;
pub mod chain;
pub mod childstate;
pub mod cors;
pub mod ss58;
pub mod state;
pub mod system;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use jsonrpsee::{
    core::middleware::RpcServiceBuilder,
    server::{Server, ServerConfig, ServerHandle},
    types::{ErrorObject, ErrorObjectOwned, Params},
    PendingSubscriptionSink, RpcModule, SubscriptionMessage, SubscriptionSink,
};
use serde::{
    de::{Error as _, Visitor},
    Deserialize, Deserializer, Serialize, Serializer,
};

use substrate_primitives::header::Header;

use crate::client::{pool::Pool, Client, Hash, HexDisplay};

/// What the RPC handlers share.
pub struct RpcContext {
    /// The chain.
    pub client: Arc<Client>,
    /// The transaction pool.
    pub pool: Arc<Pool>,
    /// How long a runtime call made for RPC may run.
    pub call_timeout: Duration,
    /// Where handlers that block run.
    pub blocking: blocking::BlockingWork,
    /// Whether methods that are unsafe to expose publicly (`author_removeExtrinsic`,
    /// `state_getPairs`, `state_queryStorage`) are refused (`--rpc-methods`).
    pub deny_unsafe: bool,
}

impl RpcContext {
    /// Substrate's refusal of an unsafe method when they are denied.
    pub fn check_unsafe(&self) -> Result<(), ErrorObjectOwned> {
        if self.deny_unsafe {
            Err(error(
                codes::UNSAFE,
                "RPC call is unsafe to be called externally",
            ))
        } else {
            Ok(())
        }
    }
}

/// Server limits and address.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Most connections at once.
    pub max_connections: u32,
    /// Largest request, in bytes.
    pub max_request_size: u32,
    /// Largest response, in bytes.
    pub max_response_size: u32,
    /// Most subscriptions per connection.
    pub max_subscriptions_per_connection: u32,
    /// The browser origins allowed to call over HTTP.
    pub cors: cors::CorsOrigins,
}

/// Registers method `name` whose `handler` blocks its thread (it reads the chain or calls the
/// runtime): it runs through the context's [`blocking::BlockingWork`].
fn register_blocking<R, F>(module: &mut RpcModule<RpcContext>, name: &'static str, handler: F)
where
    F: Fn(Params<'_>, &RpcContext) -> Result<R, ErrorObjectOwned> + Send + Sync + 'static,
    R: Serialize + Clone + Send + 'static,
{
    // A synchronous jsonrpsee method: called in place on the connection's task, where
    // `BlockingWork` decides whether it may block this worker.
    module
        .register_method(name, move |params, ctx, _| {
            ctx.blocking.run(|| handler(params, ctx))
        })
        .expect("method names are unique");
}

/// Every RPC method, with `rpc_methods`.
pub fn module(ctx: Arc<RpcContext>, system: system::SystemInfo) -> RpcModule<()> {
    let mut module = RpcModule::new(());
    module
        .merge(state::module(ctx.clone()))
        .expect("method names are unique");
    module
        .merge(childstate::module(ctx.clone()))
        .expect("method names are unique");
    module
        .merge(chain::module(ctx.clone()))
        .expect("method names are unique");
    module
        .merge(system::module(system, ctx.clone()))
        .expect("method names are unique");
    module
        .merge(author::module(ctx))
        .expect("method names are unique");

    let mut methods: Vec<&'static str> = module.method_names().collect();
    methods.push("rpc_methods");
    methods.sort_unstable();
    module
        .register_method(
            "rpc_methods",
            move |_, _, _| serde_json::json!({ "methods": methods }),
        )
        .expect("method names are unique");
    module
}

/// Starts the server; returns its handle and the address it listens on.
pub async fn start(
    module: RpcModule<()>,
    settings: &ServerSettings,
) -> std::io::Result<(ServerHandle, SocketAddr)> {
    let config = ServerConfig::builder()
        .max_connections(settings.max_connections)
        .max_request_body_size(settings.max_request_size)
        .max_response_body_size(settings.max_response_size)
        .max_subscriptions_per_connection(settings.max_subscriptions_per_connection)
        .build();
    let cores = std::thread::available_parallelism().unwrap_or(std::num::NonZeroUsize::MIN);
    let server = Server::builder()
        .set_config(config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(settings.cors.layer()))
        .set_rpc_middleware(
            RpcServiceBuilder::new().layer(batch::ParallelReadsLayer::new(
                cores,
                settings.max_response_size,
            )),
        )
        .build(settings.listen)
        .await?;
    let addr = server.local_addr()?;
    Ok((server.start(module), addr))
}

/// `0x`-prefixed hex bytes (Substrate's `Bytes`, `StorageKey`, `StorageData`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Streamed into the response (serde_json writes `collect_str` piece by piece), not
        // built as a string first: runtime call results are the bulk of what RPC returns.
        serializer.collect_str(&HexDisplay(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(HexVisitor).map(Bytes)
    }
}

/// Decodes a `0x`-prefixed hex string where it lies in the request, without copying it first.
struct HexVisitor;

impl Visitor<'_> for HexVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a 0x-prefixed hex string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
        parse_hex(text).map_err(E::custom)
    }
}

/// A 32-byte hash as `0x`-prefixed hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashHex(pub Hash);

impl Serialize for HashHex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&HexDisplay(&self.0))
    }
}

impl<'de> Deserialize<'de> for HashHex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = deserializer.deserialize_str(HexVisitor)?;
        let hash: Hash = bytes.as_slice().try_into().map_err(|_| {
            D::Error::custom(format!(
                "invalid length: expected a 32-byte hash, got {} bytes",
                bytes.len()
            ))
        })?;
        Ok(HashHex(hash))
    }
}

/// Parses `0x`-prefixed hex.
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("invalid hex `{}`: missing the 0x prefix", shorten(text)))?;
    hex::decode(digits).map_err(|e| format!("invalid hex `{}`: {e}", shorten(text)))
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(66) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

/// A header in Substrate's JSON shape.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderJson {
    parent_hash: HashHex,
    /// Hex, as Substrate serializes block numbers.
    number: String,
    state_root: HashHex,
    extrinsics_root: HashHex,
    digest: DigestJson,
}

#[derive(Clone, Debug, Serialize)]
struct DigestJson {
    logs: Vec<Bytes>,
}

impl From<&Header> for HeaderJson {
    fn from(header: &Header) -> Self {
        use codec::Encode;
        HeaderJson {
            parent_hash: HashHex(header.parent_hash),
            number: format!("{:#x}", header.number),
            state_root: HashHex(header.state_root),
            extrinsics_root: HashHex(header.extrinsics_root),
            digest: DigestJson {
                logs: header
                    .digest
                    .logs
                    .iter()
                    .map(|item| Bytes(item.encode()))
                    .collect(),
            },
        }
    }
}

/// Error code bases of Substrate's RPC namespaces.
pub mod codes {
    /// `author_*`: 1000 + n.
    pub const AUTHOR: i32 = 1000;
    /// `system_*`: 2000 + n.
    pub const SYSTEM: i32 = 2000;
    /// `chain_*`: 3000 + n.
    pub const CHAIN: i32 = 3000;
    /// `state_*`: 4000 + n.
    pub const STATE: i32 = 4000;
    /// An unsafe method that `--rpc-methods` denies (jsonrpsee's "method not found").
    pub const UNSAFE: i32 = -32601;
}

/// An error object with `code` and `message`.
pub fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(code, message.into(), None::<()>)
}

/// Sends `item` to a subscriber; `Err` once it has gone.
async fn notify(sink: &SubscriptionSink, item: &impl Serialize) -> Result<(), ()> {
    let raw = serde_json::value::to_raw_value(item).map_err(|_| ())?;
    sink.send(SubscriptionMessage::from(raw))
        .await
        .map_err(|_| ())
}

/// Accepts a subscription; `None` if the client has gone already.
async fn accept(pending: PendingSubscriptionSink) -> Option<SubscriptionSink> {
    pending.accept().await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::hex_hash;

    #[test]
    fn hex_params() {
        let bytes: Bytes = serde_json::from_str("\"0x0a0B\"").unwrap();
        assert_eq!(bytes.0, [10, 11]);
        assert_eq!(serde_json::to_string(&bytes).unwrap(), "\"0x0a0b\"");
        assert!(serde_json::from_str::<Bytes>("\"0a0b\"").is_err());
        assert!(serde_json::from_str::<Bytes>("\"0xzz\"").is_err());
        assert!(serde_json::from_str::<Bytes>("\"0xabc\"").is_err());
        let empty: Bytes = serde_json::from_str("\"0x\"").unwrap();
        assert!(empty.0.is_empty());
        let hash = format!("\"0x{}\"", "11".repeat(32));
        assert_eq!(
            serde_json::from_str::<HashHex>(&hash).unwrap().0,
            [0x11; 32]
        );
        assert!(serde_json::from_str::<HashHex>("\"0x11\"").is_err());
    }

    proptest::proptest! {
        /// Untrusted parameters: any string is either decoded or refused with an error, never
        /// a panic; any bytes survive the round trip through their JSON form.
        #[test]
        fn hex_params_never_panic(text in ".{0,80}", bytes in proptest::collection::vec(0u8.., 0..600)) {
            let _ = serde_json::from_value::<Bytes>(serde_json::Value::String(text.clone()));
            let _ = serde_json::from_value::<HashHex>(serde_json::Value::String(text));
            let json = serde_json::to_string(&Bytes(bytes.clone())).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<Bytes>(&json).unwrap().0, bytes);
        }
    }

    #[test]
    fn header_shape() {
        let mut header = chain_spec::header::genesis([2; 32]);
        header.number = 255;
        header
            .digest
            .logs
            .push(substrate_primitives::header::DigestItem::RuntimeEnvironmentUpdated);
        let json = serde_json::to_value(HeaderJson::from(&header)).unwrap();
        assert_eq!(json["number"], "0xff");
        assert_eq!(json["parentHash"], hex_hash(&[0; 32]));
        assert_eq!(json["stateRoot"], hex_hash(&[2; 32]));
        assert_eq!(json["extrinsicsRoot"], hex_hash(&trie::EMPTY_TRIE_ROOT));
        assert_eq!(json["digest"]["logs"], serde_json::json!(["0x08"]));
    }
}

//! `system_*`: what this node and its chain are, and the next nonce of an account.
//!
//! `system_accountNextIndex` fails as Substrate's (frame-rpc-system) does: code 1 `Unable to
//! query nonce.` with the cause as data.

use std::sync::Arc;

use chain_spec::{ChainType, Properties};
use jsonrpsee::{types::ErrorObject, RpcModule};
use serde_json::{json, Value};

use super::{register_blocking, ss58::AccountParam, RpcContext};
use crate::cli::Role;

/// frame-rpc-system's error code for a failed nonce query.
pub const NONCE_QUERY_FAILED: i32 = 1;

/// The facts `system_*` reports.
#[derive(Clone, Debug)]
pub struct SystemInfo {
    /// The implementation's name (`system_name`).
    pub impl_name: String,
    /// The implementation's version (`system_version`).
    pub impl_version: String,
    /// The chain's name (`system_chain`).
    pub chain_name: String,
    /// The chain's type (`system_chainType`).
    pub chain_type: ChainType,
    /// The chain's properties (`system_properties`).
    pub properties: Properties,
    /// The node's role (`system_nodeRoles`).
    pub role: Role,
}

/// `chainType` as Substrate writes it: `"Development"`, `"Local"`, `"Live"` or
/// `{"Custom": name}`.
pub fn chain_type_json(chain_type: &ChainType) -> Value {
    match chain_type {
        ChainType::Development => json!("Development"),
        ChainType::Local => json!("Local"),
        ChainType::Live => json!("Live"),
        ChainType::Custom(name) => json!({ "Custom": name }),
    }
}

/// The `system_*` methods: the node's and chain's names and properties from `info`, and
/// `system_accountNextIndex` from the chain and pool of `ctx`.
pub fn module(info: SystemInfo, ctx: Arc<RpcContext>) -> RpcModule<SystemInfo> {
    let mut module = RpcModule::new(info);
    // No networking: the best block is the highest known, and sync started where the node
    // did.
    let starting_block = ctx.client.info().best_number;
    let mut with_chain = RpcModule::from_arc(ctx);
    with_chain
        .register_method("system_syncState", move |_, ctx, _| {
            let best = ctx.client.info().best_number;
            json!({
                "startingBlock": starting_block,
                "currentBlock": best,
                "highestBlock": best,
            })
        })
        .expect("unique name");
    register_blocking(&mut with_chain, "system_accountNextIndex", |params, ctx| {
        let account: AccountParam = params.one()?;
        ctx.pool.next_nonce(&ctx.client, &account.0).map_err(|e| {
            ErrorObject::owned(
                NONCE_QUERY_FAILED,
                "Unable to query nonce.",
                Some(e.to_string()),
            )
        })
    });
    module.merge(with_chain).expect("unique names");
    module
        .register_method("system_name", |_, info, _| info.impl_name.clone())
        .expect("unique name");
    module
        .register_method("system_version", |_, info, _| info.impl_version.clone())
        .expect("unique name");
    module
        .register_method("system_chain", |_, info, _| info.chain_name.clone())
        .expect("unique name");
    module
        .register_method("system_chainType", |_, info, _| {
            chain_type_json(&info.chain_type)
        })
        .expect("unique name");
    module
        .register_method("system_properties", |_, info, _| {
            Value::Object(info.properties.clone())
        })
        .expect("unique name");
    module
        .register_method("system_nodeRoles", |_, info, _| json!([info.role.name()]))
        .expect("unique name");
    module
        .register_method("system_health", |_, info, _| {
            // No networking yet: no peers and nothing to sync from. Only live chains are
            // expected to have peers.
            json!({
                "peers": 0,
                "isSyncing": false,
                "shouldHavePeers": info.chain_type == ChainType::Live,
            })
        })
        .expect("unique name");
    module
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_types() {
        assert_eq!(
            chain_type_json(&ChainType::Development),
            json!("Development")
        );
        assert_eq!(chain_type_json(&ChainType::Live), json!("Live"));
        assert_eq!(
            chain_type_json(&ChainType::Custom("x".into())),
            json!({"Custom": "x"})
        );
    }
}

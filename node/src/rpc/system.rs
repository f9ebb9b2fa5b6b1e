//! `system_*`: what this node and its chain are.

use chain_spec::{ChainType, Properties};
use jsonrpsee::RpcModule;
use serde_json::{json, Value};

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

/// The `system_*` methods.
pub fn module(info: SystemInfo) -> RpcModule<SystemInfo> {
    let mut module = RpcModule::new(info);
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

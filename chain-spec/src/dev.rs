//! The built-in development chain spec.

use serde_json::json;

use crate::genesis::{Genesis, GenesisStorage, CODE_KEY};
use crate::{ChainSpec, ChainType};

/// The [`ChainSpec::origin`] of [`dev()`].
pub const DEV_ORIGIN: &str = "<built-in dev chain spec>";

/// The development chain spec: name `Development`, id `dev`, chain type `Development`,
/// properties `{"tokenDecimals": 12, "tokenSymbol": "UNIT", "ss58Format": 42}`, and a raw
/// genesis with `:code` = [`runtime_wasm::WASM_BINARY_V1`] and the runtime's dev genesis
/// storage: the endowed dev accounts (Alice, Bob, ... Ferdie) and the total issuance.
///
/// The runtime declares state version 1, so its genesis hash is
/// `dev().genesis_hash(StateVersion::V1)`.
pub fn dev() -> ChainSpec {
    let mut storage = GenesisStorage::default();
    storage
        .top
        .extend(runtime_wasm::genesis::dev_genesis_storage());
    storage
        .top
        .insert(CODE_KEY.to_vec(), runtime_wasm::WASM_BINARY_V1.to_vec());
    let mut spec = ChainSpec::new(
        "Development",
        "dev",
        ChainType::Development,
        Genesis::Raw(storage),
        DEV_ORIGIN,
    );
    let properties = json!({"tokenDecimals": 12, "tokenSymbol": "UNIT", "ss58Format": 42});
    let serde_json::Value::Object(properties) = properties else {
        unreachable!("an object literal")
    };
    spec.properties = Some(properties);
    spec
}

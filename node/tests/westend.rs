//! The real Westend chain spec and runtime (skipped if the fixture is missing).

mod common;

use common::{hex0x, unhex, westend_spec, Node};
use serde_json::json;

/// From the fixtures' README.
const WESTEND_GENESIS: &str = "0xe143f23803ac50e8f6f8e62695d1ce9e4e1d68aa36c1cd2cfd15340213f3423e";

#[test]
fn westend_genesis_over_rpc() {
    let Some(path) = westend_spec() else { return };
    let node = Node::start(&["--chain", path.to_str().unwrap()]);

    assert_eq!(node.call("chain_getBlockHash", json!([0])), WESTEND_GENESIS);
    assert_eq!(node.call("system_chain", json!([])), "Westend");
    assert_eq!(node.call("system_chainType", json!([])), "Live");
    assert_eq!(
        node.call("system_properties", json!([]))["tokenSymbol"],
        "WND"
    );
    let log = node.log();
    assert!(
        log.contains(&format!("header-hash: {WESTEND_GENESIS}")),
        "{log}"
    );

    let version = node.call("state_getRuntimeVersion", json!([WESTEND_GENESIS]));
    assert_eq!(version["specName"], "westend");
    assert_eq!(version["implName"], "parity-westend");
    assert_eq!(version["specVersion"], 1);
    assert_eq!(version["stateVersion"], 0);

    let metadata = unhex(&node.call("state_getMetadata", json!([])));
    assert_eq!(&metadata[..4], b"meta");

    // An account's balance entry (System.Account) is served as the spec has it.
    let spec = chain_spec::ChainSpec::from_json_file(&path).unwrap();
    let top = &spec.genesis_storage().unwrap().top;
    let account_prefix = "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9";
    let keys = node.call("state_getKeysPaged", json!([account_prefix, 3]));
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 3);
    for key in keys {
        let value = node.call("state_getStorage", json!([key]));
        assert_eq!(hex0x(&top[&unhex(key)]), value);
    }
    let expected: Vec<String> = top
        .keys()
        .filter(|k| hex0x(k).starts_with(account_prefix))
        .take(3)
        .map(|k| hex0x(k))
        .collect();
    assert_eq!(keys, &expected);
}

//! A runtime upgrade (v1 → v2) with `System::set_code` built by `node dev-tx set-code`: the
//! new version holds from the upgrade block on, earlier blocks keep the old one, and a
//! restarted node loads the new runtime's precompiled artifact instead of compiling it.

mod common;

use common::{dev_tx, hex0x, Node};
use serde_json::{json, Value};

fn spec_version(node: &Node, at: &Value) -> u64 {
    let version = node.call("state_getRuntimeVersion", json!([at]));
    version["specVersion"].as_u64().expect("specVersion")
}

fn test_api_spec_version(node: &Node, at: &Value) -> Value {
    node.call("state_call", json!(["TestApi_spec_version", "0x", at]))
}

#[test]
fn set_code_upgrades_the_runtime_and_survives_a_restart() {
    let node = Node::start(&["--dev"]);
    let genesis = node.call("chain_getBlockHash", json!([0]));
    assert_eq!(spec_version(&node, &genesis), 1);

    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("runtime-v2.wasm");
    std::fs::write(&code, runtime_wasm::WASM_BINARY_V2).unwrap();
    let extrinsic = dev_tx(&["set-code", code.to_str().unwrap()]);
    node.call("author_submitExtrinsic", json!([extrinsic]));
    node.wait_for_block(1);
    let upgraded = node.call("chain_getBlockHash", json!([1]));
    assert_eq!(node.call("chain_getBlockHash", json!([])), upgraded);

    assert_eq!(spec_version(&node, &upgraded), 2);
    assert_eq!(spec_version(&node, &genesis), 1);
    let v2 = json!(hex0x(&2u32.to_le_bytes()));
    let v1 = json!(hex0x(&1u32.to_le_bytes()));
    assert_eq!(test_api_spec_version(&node, &upgraded), v2);
    assert_eq!(test_api_spec_version(&node, &genesis), v1);
    // Without a block: the best one.
    assert_eq!(
        node.call("state_getRuntimeVersion", json!([]))["specVersion"],
        2
    );

    // Restart on the same base path: the runtime artifacts written above are loaded.
    let base = node.stop();
    let node = Node::start_in(base, &["--dev", "-l", "executor=debug"]);
    assert_eq!(node.best_number(), 1);
    assert_eq!(spec_version(&node, &upgraded), 2);
    assert_eq!(test_api_spec_version(&node, &upgraded), v2);
    assert_eq!(spec_version(&node, &genesis), 1);
    let log = node.log();
    let v2_hash = hex::encode(sp_crypto_hashing::blake2_256(runtime_wasm::WASM_BINARY_V2));
    assert!(
        log.lines()
            .any(|line| line.contains("loaded runtime artifact") && line.contains(&v2_hash)),
        "the v2 runtime's artifact was not loaded:\n{log}"
    );
    assert!(
        !log.contains("compiling runtime"),
        "a runtime was compiled after the restart:\n{log}"
    );
}

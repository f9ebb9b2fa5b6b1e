//! End-to-end check of the node encoding: the genesis state roots of real chains, computed
//! from their raw chain specs (`genesis.raw.top` and `genesis.raw.childrenDefault`).
//!
//! The specs live outside the repository, in `../shared/fixtures/chain-specs/` relative to the
//! workspace root; a missing spec is skipped with a printed reason.

use std::path::PathBuf;

use trie::{trie_root, Blake2Hasher, StateVersion, CHILD_STORAGE_DEFAULT_PREFIX};

fn spec_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/chain-specs")
        .join(file)
}

fn decode_hex(s: &str) -> Vec<u8> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).expect("chain spec hex")
}

fn hex_map(value: &serde_json::Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    value
        .as_object()
        .expect("a map of hex keys to hex values")
        .iter()
        .map(|(k, v)| (decode_hex(k), decode_hex(v.as_str().expect("hex value"))))
        .collect()
}

/// The genesis state root of a raw chain spec, or `None` (with a message) if the file is
/// missing.
fn genesis_root(file: &str, version: StateVersion) -> Option<[u8; 32]> {
    let path = spec_path(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => {
            println!("skipping {file}: cannot read {}: {err}", path.display());
            return None;
        }
    };
    let spec: serde_json::Value = serde_json::from_str(&text).expect("chain spec JSON");
    let raw = &spec["genesis"]["raw"];
    let mut top = hex_map(&raw["top"]);
    if let Some(children) = raw.get("childrenDefault").and_then(|c| c.as_object()) {
        for (child_key, child) in children {
            let entries = hex_map(child);
            if entries.is_empty() {
                continue;
            }
            let mut key = CHILD_STORAGE_DEFAULT_PREFIX.to_vec();
            key.extend(decode_hex(child_key));
            top.push((key, trie_root::<Blake2Hasher>(entries, version).to_vec()));
        }
    }
    Some(trie_root::<Blake2Hasher>(top, version))
}

fn check(file: &str, version: StateVersion, expected: &str) {
    if let Some(root) = genesis_root(file, version) {
        assert_eq!(
            format!("0x{}", hex::encode(root)),
            expected,
            "genesis state root of {file}"
        );
    }
}

#[test]
fn westend_genesis_root_v0() {
    check(
        "westend.json",
        StateVersion::V0,
        "0x7e92439a94f79671f9cade9dff96a094519b9001a7432244d46ab644bb6f746f",
    );
}

#[test]
fn kusama_genesis_root_v0() {
    check(
        "kusama.json",
        StateVersion::V0,
        "0xb0006203c3a6e6bd2c6a17b1d4ae8ca49a31da0f4579da950b127774b44aef6b",
    );
}

#[test]
fn paseo_genesis_root_v0() {
    check(
        "paseo.json",
        StateVersion::V0,
        "0x2b2a8395a8ec27c54d322d3a6602152da0e3bd0c8f4c01f17a572a44a8e36ab6",
    );
}

#[test]
fn rococo_genesis_root_v0() {
    check(
        "rococo.json",
        StateVersion::V0,
        "0x8ad9dafeef04674f627ec2112f2206ed271b7270da5143fd11a943872c19f0da",
    );
}

#[test]
fn node_template_genesis_root_v0() {
    check(
        "node-template.json",
        StateVersion::V0,
        "0x28a2db05aaa4e84e88c6be28ca49d45b0433f8abee421b092dfa0f4dd85787a6",
    );
}

#[test]
fn polkadot_coretime_genesis_root_v1() {
    check(
        "polkadot-coretime.json",
        StateVersion::V1,
        "0x6e2af5f681a0f432c7aaf564dbebe4ddade85822605d510ccb78f1d90710947a",
    );
}

#[test]
fn kusama_coretime_genesis_root_v1() {
    check(
        "kusama-coretime.json",
        StateVersion::V1,
        "0xc41865a2a094ef4563f74d248996fe70ed60ec52f78b36e38f55108b7c96889c",
    );
}

/// V1 specs hold values of 33 bytes or more (`:code` at least), so V0 must give another root.
#[test]
fn coretime_genesis_root_differs_under_v0() {
    if let Some(root) = genesis_root("polkadot-coretime.json", StateVersion::V0) {
        assert_ne!(
            format!("0x{}", hex::encode(root)),
            "0x6e2af5f681a0f432c7aaf564dbebe4ddade85822605d510ccb78f1d90710947a"
        );
    }
}

#[test]
fn missing_spec_is_skipped() {
    assert_eq!(genesis_root("no-such-chain.json", StateVersion::V0), None);
}

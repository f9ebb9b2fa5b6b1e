//! Every chain spec of the shared fixtures (see `shared/fixtures/README.md`): names, ids,
//! properties, and the genesis state root and hash of the README's table, each computed with
//! the state version the table gives. A missing fixture is skipped with a printed reason.

use std::path::PathBuf;
use std::time::Instant;

use chain_spec::{ChainSpec, ChainType, Genesis};
use serde_json::json;
use trie::StateVersion;

struct Expected {
    file: &'static str,
    name: &'static str,
    id: &'static str,
    chain_type: ChainType,
    properties: serde_json::Value,
    state_version: StateVersion,
    state_root: &'static str,
    genesis_hash: &'static str,
}

fn expected() -> Vec<Expected> {
    vec![
        Expected {
            file: "kusama.json",
            name: "Kusama",
            id: "ksmcc3",
            chain_type: ChainType::Live,
            properties: json!({"ss58Format": 2, "tokenDecimals": 12, "tokenSymbol": "KSM"}),
            state_version: StateVersion::V0,
            state_root: "0xb0006203c3a6e6bd2c6a17b1d4ae8ca49a31da0f4579da950b127774b44aef6b",
            genesis_hash: "0xb0a8d493285c2df73290dfb7e61f870f17b41801197a149ca93654499ea3dafe",
        },
        Expected {
            file: "westend.json",
            name: "Westend",
            id: "westend2",
            // westend.json has no chainType: Live by default
            chain_type: ChainType::Live,
            properties: json!({"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "WND"}),
            state_version: StateVersion::V0,
            state_root: "0x7e92439a94f79671f9cade9dff96a094519b9001a7432244d46ab644bb6f746f",
            genesis_hash: "0xe143f23803ac50e8f6f8e62695d1ce9e4e1d68aa36c1cd2cfd15340213f3423e",
        },
        Expected {
            file: "paseo.json",
            name: "Paseo Testnet",
            id: "paseo",
            chain_type: ChainType::Live,
            properties: json!({"ss58Format": 42, "tokenDecimals": 10, "tokenSymbol": "PAS"}),
            state_version: StateVersion::V0,
            state_root: "0x2b2a8395a8ec27c54d322d3a6602152da0e3bd0c8f4c01f17a572a44a8e36ab6",
            genesis_hash: "0x77afd6190f1554ad45fd0d31aee62aacc33c6db0ea801129acb813f913e0764f",
        },
        Expected {
            file: "rococo.json",
            name: "Rococo",
            id: "rococo_v2_2",
            chain_type: ChainType::Live,
            properties: json!({"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "ROC"}),
            state_version: StateVersion::V0,
            state_root: "0x8ad9dafeef04674f627ec2112f2206ed271b7270da5143fd11a943872c19f0da",
            genesis_hash: "0x6408de7737c59c238890533af25896a2c20608d8b380bb01029acb392781063e",
        },
        Expected {
            file: "polkadot-coretime.json",
            name: "Polkadot Coretime",
            id: "coretime-polkadot",
            chain_type: ChainType::Live,
            properties: json!({"ss58Format": 0, "tokenDecimals": 10, "tokenSymbol": "DOT"}),
            state_version: StateVersion::V1,
            state_root: "0x6e2af5f681a0f432c7aaf564dbebe4ddade85822605d510ccb78f1d90710947a",
            genesis_hash: "0xefb56e30d9b4a24099f88820987d0f45fb645992416535d87650d98e00f46fc4",
        },
        Expected {
            file: "kusama-coretime.json",
            name: "Kusama Coretime",
            id: "coretime-kusama",
            chain_type: ChainType::Live,
            properties: json!({"ss58Format": 2, "tokenDecimals": 12, "tokenSymbol": "KSM"}),
            state_version: StateVersion::V1,
            state_root: "0xc41865a2a094ef4563f74d248996fe70ed60ec52f78b36e38f55108b7c96889c",
            genesis_hash: "0x638cd2b9af4b3bb54b8c1f0d22711fc89924ca93300f0caf25a580432b29d050",
        },
        Expected {
            file: "node-template.json",
            name: "Local Testnet",
            id: "local_testnet",
            chain_type: ChainType::Local,
            properties: json!({"tokenDecimals": 15}),
            state_version: StateVersion::V0,
            state_root: "0x28a2db05aaa4e84e88c6be28ca49d45b0433f8abee421b092dfa0f4dd85787a6",
            genesis_hash: "0x6bf30d04495c16ef053de4ac74eac35dfd6473e4907810f450bea1b976ac518f",
        },
    ]
}

fn fixture(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/chain-specs")
        .join(file)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::from("0x"), |mut out, b| {
        out.push_str(&format!("{b:02x}"));
        out
    })
}

/// Loads a fixture, or prints why not and returns `None`.
fn load(file: &str) -> Option<ChainSpec> {
    let path = fixture(file);
    if !path.exists() {
        eprintln!("skipping {file}: {} not found", path.display());
        return None;
    }
    let start = Instant::now();
    let spec = ChainSpec::from_json_file(&path).unwrap_or_else(|err| panic!("{err}"));
    eprintln!("{file}: parsed in {:?}", start.elapsed());
    Some(spec)
}

#[test]
fn real_specs_have_the_published_genesis() {
    for expected in expected() {
        let Some(spec) = load(expected.file) else {
            continue;
        };
        let file = expected.file;
        assert_eq!(spec.name, expected.name, "{file}");
        assert_eq!(spec.id, expected.id, "{file}");
        assert_eq!(spec.chain_type, expected.chain_type, "{file}");
        assert_eq!(
            spec.properties.clone().map(serde_json::Value::Object),
            Some(expected.properties),
            "{file}"
        );
        assert!(matches!(spec.genesis, Genesis::Raw(_)), "{file}");

        let code = spec.runtime_code().unwrap();
        assert!(code.len() > 100_000, "{file}: code of {} bytes", code.len());

        let header = spec.genesis_header(expected.state_version).unwrap();
        assert_eq!(
            hex(&header.state_root),
            expected.state_root,
            "{file}: state root"
        );
        assert_eq!(header, chain_spec::header::genesis(header.state_root));
        let hash = spec.genesis_hash(expected.state_version).unwrap();
        assert_eq!(hex(&hash), expected.genesis_hash, "{file}: genesis hash");
        eprintln!("{file}: genesis hash {}", hex(&hash));
    }
}

/// The Coretime specs need trie layout V1: with V0 their hash is wrong (the README's warning).
#[test]
fn coretime_specs_need_state_version_1() {
    for expected in expected() {
        if expected.state_version != StateVersion::V1 {
            continue;
        }
        let Some(spec) = load(expected.file) else {
            continue;
        };
        let wrong = spec.genesis_hash(StateVersion::V0).unwrap();
        assert_ne!(hex(&wrong), expected.genesis_hash, "{}", expected.file);
    }
}

/// Real specs survive writing and reading back: same content, same genesis hash, and their
/// unknown fields kept.
#[test]
fn real_specs_round_trip() {
    for expected in expected() {
        let Some(spec) = load(expected.file) else {
            continue;
        };
        let json = spec.to_json(true).unwrap();
        let again = ChainSpec::from_json_bytes(json.as_bytes(), "rewritten.json").unwrap();
        assert_eq!(again, spec, "{}", expected.file);
        assert_eq!(
            again.genesis_hash(expected.state_version).unwrap(),
            spec.genesis_hash(expected.state_version).unwrap()
        );
    }
    if let Some(spec) = load("polkadot-coretime.json") {
        assert_eq!(spec.extensions["relay_chain"], "polkadot");
        assert_eq!(spec.extensions["para_id"], 1005);
    }
    if let Some(spec) = load("kusama.json") {
        assert_eq!(spec.bad_blocks.as_ref().map(Vec::len), Some(2));
        assert_eq!(spec.protocol_id.as_deref(), Some("ksmcc3"));
        assert_eq!(
            spec.telemetry_endpoints,
            Some(vec![("wss://telemetry.polkadot.io/submit/".to_owned(), 0)])
        );
    }
}

/// The light form of a real spec: its genesis hash is the full spec's, without storage.
#[test]
fn state_root_hash_form_of_a_real_spec() {
    let Some(full) = load("node-template.json") else {
        return;
    };
    let root = full.genesis_state_root(StateVersion::V0).unwrap();
    let mut light = full.clone();
    light.genesis = Genesis::StateRootHash(root);
    let json = light.to_json(false).unwrap();
    assert!(json.contains("\"stateRootHash\""));
    let light = ChainSpec::from_json_bytes(json.as_bytes(), "light.json").unwrap();
    assert_eq!(
        light.genesis_hash(StateVersion::V1).unwrap(),
        full.genesis_hash(StateVersion::V0).unwrap()
    );
    let err = light.genesis_storage().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("light.json: genesis.stateRootHash"),
        "{err}"
    );
}

/// A corrupted copy of a real spec: the error names the file, the path to the bad entry and
/// the character.
#[test]
fn corrupted_real_spec_points_at_the_bad_char() {
    let path = fixture("westend.json");
    let Ok(mut bytes) = std::fs::read(&path) else {
        eprintln!("skipping: {} not found", path.display());
        return;
    };
    // Corrupt the 18th character of the `:code` value (index 17, after "0x" and 15 digits).
    let needle = b"\"0x3a636f6465\": \"";
    let start = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect(":code in westend.json")
        + needle.len();
    bytes[start + 17] = b'g';
    let err = ChainSpec::from_json_bytes(&bytes, "westend.json").unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            r#"westend.json: genesis.raw.top["0x3a636f6465"]: invalid hex at char 17"#
        ),
        "{shown}"
    );
}

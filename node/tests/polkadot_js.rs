//! A real client: `@polkadot/api` (tests/js, run with Node.js) connects to the node over
//! WebSocket and reads the runtime version, the metadata, the genesis hash and an account's
//! balance, decoded with the runtime's own metadata; on the dev chain it also signs a
//! transfer from that metadata and follows it into a finalized block.
//!
//! Needs `npm ci --prefix tests/js` first; skipped (with the reason printed) when
//! `tests/js/node_modules` or Node.js is missing, and the Westend test also when the fixture is.

mod common;

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use common::{westend_spec, Node};
use serde_json::{json, Value};

/// From the fixtures' README.
const WESTEND_GENESIS: &str = "0xe143f23803ac50e8f6f8e62695d1ce9e4e1d68aa36c1cd2cfd15340213f3423e";

/// A genesis validator stash of Westend: its `System::Account` entry in the spec is
/// `{nonce: 0, refcount: 3, data: {free: 100 WND, reserved: 0, ...}}` (12 decimals).
const WESTEND_ACCOUNT: &str = "0xf268995cc38974ce0686df1364875f26f2c32b246ddc18835512c3f9969f5836";
const WESTEND_ACCOUNT_FREE: &str = "100000000000000";

/// Alice (`//Alice`), endowed with `DEV_ENDOWMENT` (2^60) on the dev chain.
const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
const DEV_ENDOWMENT: u128 = 1 << 60;
/// Bob (`//Bob`).
const BOB: &str = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";

/// How long the client may take (it needs about a second).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);

/// The Node.js program (`$NODE_JS`, else `node` on the PATH).
fn nodejs() -> String {
    std::env::var("NODE_JS").unwrap_or_else(|_| "node".to_owned())
}

/// `tests/js`, if its dependencies are installed and Node.js runs.
fn client_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js");
    if !dir.join("node_modules/@polkadot/api").is_dir() {
        eprintln!(
            "skipping: {} is not installed (run `npm ci --prefix tests/js`)",
            dir.join("node_modules").display()
        );
        return None;
    }
    match Command::new(nodejs()).arg("--version").output() {
        Ok(out) if out.status.success() => Some(dir),
        _ => {
            eprintln!("skipping: Node.js (`{}`) does not run", nodejs());
            None
        }
    }
}

/// Runs `node real_client.mjs --url ws://<node> <args>` and returns its JSON summary and
/// whether it exited 0.
fn run_client(dir: &PathBuf, node: &Node, args: &[&str]) -> (Value, bool) {
    let url = format!("ws://{}", node.addr);
    let mut child = Command::new(nodejs())
        .arg(dir.join("real_client.mjs"))
        .args(["--url", &url])
        .args([
            "--timeout-ms",
            &(CLIENT_TIMEOUT.as_millis() - 5_000).to_string(),
        ])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning Node.js");
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("real_client ({}):\n{stdout}\nstderr:\n{stderr}", out.status);
    let summary: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "real_client printed no JSON summary ({e}), exit {}\nnode log:\n{}",
            out.status,
            node.log()
        )
    });
    (summary, out.status.success())
}

/// Asserts the client succeeded and the node refused none of its calls.
fn assert_ok(summary: &Value, success: bool, node: &Node) {
    assert!(
        success && summary["ok"] == true,
        "the client failed: {summary:#}\nnode log:\n{}",
        node.log()
    );
    assert_eq!(summary["rpcErrors"], json!({}), "{summary:#}");
}

#[test]
fn polkadot_js_reads_westend() {
    let Some(dir) = client_dir() else { return };
    let Some(spec) = westend_spec() else { return };
    let node = Node::start(&["--chain", spec.to_str().unwrap()]);

    let (summary, success) = run_client(
        &dir,
        &node,
        &[
            "--spec-name",
            "westend",
            "--spec-version",
            "1",
            // Westend's first runtime predates V14: polkadot-js converts its V11 metadata.
            "--metadata-version",
            "11",
            "--genesis",
            WESTEND_GENESIS,
            "--account",
            WESTEND_ACCOUNT,
            "--free",
            WESTEND_ACCOUNT_FREE,
        ],
    );
    assert_ok(&summary, success, &node);
    assert_eq!(summary["runtimeVersion"]["implName"], "parity-westend");
    assert_eq!(summary["chain"], "Westend");
    let balance = &summary["balance"];
    assert_eq!(balance["via"], "system.account");
    assert_eq!(
        balance["address"],
        "5HYYWyhyUQ7Ae11f8fCid58bhJ7ikLHM9bU8A6Ynwoc3dStR"
    );
    // The old AccountInfo layout (u8 refcount, misc/fee frozen) decoded field by field.
    assert_eq!(balance["info"]["refcount"], 3);
    assert_eq!(balance["info"]["data"]["reserved"], 0);
    node.kill();
}

#[test]
fn polkadot_js_reads_dev() {
    let Some(dir) = client_dir() else { return };
    let node = Node::start(&["--dev"]);
    // The dev genesis changes with the runtime's code: take it, and the version, from the node.
    let genesis = node.call("chain_getBlockHash", json!([0]));
    let version = node.call("state_getRuntimeVersion", json!([]));
    let spec_version = version["specVersion"].to_string();

    let (summary, success) = run_client(
        &dir,
        &node,
        &[
            "--spec-name",
            version["specName"].as_str().unwrap(),
            "--spec-version",
            &spec_version,
            "--metadata-version",
            "14",
            "--genesis",
            genesis.as_str().unwrap(),
            "--account",
            ALICE,
            "--free",
            &DEV_ENDOWMENT.to_string(),
            // Signed by polkadot-js from the runtime's metadata, checked by the runtime.
            "--transfer-from",
            "//Alice",
            "--transfer-to",
            BOB,
            "--amount",
            "12345",
        ],
    );
    assert_ok(&summary, success, &node);
    assert_eq!(summary["balance"]["via"], "system.account");
    let transfer = &summary["transfer"];
    assert_eq!(transfer["from"], ALICE, "{transfer}");
    let statuses = transfer["statuses"].as_array().unwrap();
    assert_eq!(statuses.first(), Some(&json!("Ready")), "{transfer}");
    assert_eq!(statuses.last(), Some(&json!("Finalized")), "{transfer}");
    // The block the client saw is the node's best, and holds the extrinsic.
    let best = node.call("chain_getBlockHash", json!([]));
    assert_eq!(transfer["block"], best, "{transfer}");
    let block = node.call("chain_getBlock", json!([best]));
    assert_eq!(block["block"]["extrinsics"].as_array().unwrap().len(), 1);
    for pallet in ["System", "Balances", "TestStorage"] {
        assert!(
            summary["pallets"]
                .as_array()
                .unwrap()
                .contains(&json!(pallet)),
            "{pallet} missing: {summary:#}"
        );
    }
    node.kill();
}

//! `node dev-tx`: a signed transfer it builds is accepted, included and applied by a `--dev`
//! node; replays and forged signatures are refused with Substrate's author errors.

mod common;

use common::{dev_tx, hex0x, run, unhex, Node};
use runtime_wasm::genesis::{dev_account, DEV_ENDOWMENT};
use serde_json::{json, Value};
use sp_crypto_hashing::{blake2_128, twox_128};

/// `System::Account` of `who`: twox128("System") ++ twox128("Account") ++ blake2_128(who) ++
/// who.
fn account_key(who: &[u8; 32]) -> String {
    let mut key = twox_128(b"System").to_vec();
    key.extend(twox_128(b"Account"));
    key.extend(blake2_128(who));
    key.extend(who);
    hex0x(&key)
}

/// `(nonce, free)` of the `AccountInfo` of `who` at `at` (the best block if `None`).
fn account(node: &Node, who: &[u8; 32], at: Option<&Value>) -> (u32, u128) {
    let value = node.call("state_getStorage", json!([account_key(who), at]));
    let info = unhex(&value);
    // nonce, consumers, providers, sufficients (u32 each), then free, reserved, frozen, flags.
    assert_eq!(info.len(), 16 + 64, "AccountInfo {value}");
    (
        u32::from_le_bytes(info[..4].try_into().unwrap()),
        u128::from_le_bytes(info[16..32].try_into().unwrap()),
    )
}

/// The `(code, data)` of a refused submission.
fn refusal(node: &Node, extrinsic: &str) -> (i64, String) {
    let response = node.request("author_submitExtrinsic", json!([extrinsic]));
    let error = &response["error"];
    assert!(error.is_object(), "expected a refusal, got {response}");
    assert_eq!(error["message"], "Invalid Transaction", "{response}");
    (
        error["code"].as_i64().unwrap(),
        error["data"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn signed_transfer_is_applied_and_replays_and_forgeries_are_refused() {
    let alice = dev_account("alice").unwrap().public;
    let bob = dev_account("bob").unwrap().public;
    let node = Node::start(&["--dev"]);
    let genesis = node.call("chain_getBlockHash", json!([0]));
    let transfer = |nonce: &str| {
        dev_tx(&[
            "transfer", "--from", "alice", "--to", "bob", "--amount", "10", "--nonce", nonce,
        ])
    };
    let extrinsic = transfer("0");

    let hash = node.call("author_submitExtrinsic", json!([extrinsic]));
    assert!(hash.as_str().is_some_and(|h| h.len() == 66), "{hash}");
    node.wait_for_block(1);
    let best = node.call("chain_getBlockHash", json!([]));
    let block = node.call("chain_getBlock", json!([best]));
    assert_eq!(block["block"]["extrinsics"], json!([extrinsic]));

    assert_eq!(account(&node, &bob, Some(&genesis)), (0, DEV_ENDOWMENT));
    assert_eq!(account(&node, &bob, Some(&best)), (0, DEV_ENDOWMENT + 10));
    assert_eq!(account(&node, &alice, Some(&genesis)).0, 0);
    let (alice_nonce, alice_free) = account(&node, &alice, Some(&best));
    assert_eq!(alice_nonce, 1);
    assert_eq!(alice_free, DEV_ENDOWMENT - 10);
    let nonce = node.call(
        "state_call",
        json!(["AccountNonceApi_account_nonce", hex0x(&alice), best]),
    );
    assert_eq!(nonce, hex0x(&1u32.to_le_bytes()));

    // The same transfer again: its nonce is used up.
    assert_eq!(
        refusal(&node, &extrinsic),
        (1010, "Transaction is outdated".into())
    );

    // A valid transfer with nonce 1, one signature byte flipped: a bad proof.
    let mut forged = unhex(&json!(transfer("1")));
    let signer_at = forged
        .windows(32)
        .position(|w| w == alice)
        .expect("the signer in the extrinsic");
    // The signer, then the MultiSignature variant (sr25519), then the 64-byte signature.
    assert_eq!(forged[signer_at + 32], 0x01);
    forged[signer_at + 33 + 10] ^= 0x01;
    assert_eq!(
        refusal(&node, &hex0x(&forged)),
        (1010, "Transaction has a bad signature".into())
    );
    assert_eq!(node.best_number(), 1);
}

#[test]
fn account_next_index_counts_pooled_transactions() {
    // Blocks only every minute: the transfers stay in the pool.
    let node = Node::start(&["--dev", "--block-time", "60000"]);
    let alice_ss58 = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    let alice_hex = hex0x(&dev_account("alice").unwrap().public);
    let next_index = |who: &str| node.call("system_accountNextIndex", json!([who]));
    assert_eq!(next_index(alice_ss58), 0);
    let mut hashes = Vec::new();
    for nonce in ["0", "1"] {
        let transfer = dev_tx(&[
            "transfer", "--from", "alice", "--to", "bob", "--amount", "1", "--nonce", nonce,
        ]);
        hashes.push(node.call("author_submitExtrinsic", json!([transfer])));
    }
    assert_eq!(node.best_number(), 0);
    // The state still says 0; the two ready transfers move it to 2.
    assert_eq!(next_index(alice_ss58), 2);
    assert_eq!(next_index(&alice_hex), 2);
    // Bob on Polkadot's prefix: the prefix does not matter.
    assert_eq!(
        next_index("14E5nqKAp3oAJcmzgZhUD2RcptBeUBScxKHgJKU4HPNcKVf3"),
        0
    );

    let response = node.request("system_accountNextIndex", json!(["5GrwvaEF5zX"]));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let message = response["error"]["message"].to_string() + &response["error"]["data"].to_string();
    assert!(message.contains("invalid SS58 address"), "{response}");
    // Removing the first transfer (an unsafe method, allowed on a local node) takes the
    // second along: it needs the first's nonce.
    let removed = node.call("author_removeExtrinsic", json!([[{ "hash": hashes[0] }]]));
    assert_eq!(removed, json!(hashes));
    assert_eq!(node.call("author_pendingExtrinsics", json!([])), json!([]));
    assert_eq!(next_index(alice_ss58), 0);
}

#[test]
fn query_storage_reports_changes_over_a_block_range() {
    let node = Node::start(&["--dev"]);
    let genesis = node.call("chain_getBlockHash", json!([0]));
    let (foo, other) = (hex0x(b"foo"), hex0x(b"other"));
    for (number, value) in [(1, b"bar"), (2, b"baz")] {
        let extrinsic = dev_tx(&["set-storage", &foo, &hex0x(value)]);
        node.call("author_submitExtrinsic", json!([extrinsic]));
        node.wait_for_block(number);
    }
    let [b1, b2] = [1, 2].map(|n| node.call("chain_getBlockHash", json!([n])));

    let sets = node.call("state_queryStorage", json!([[foo, other], genesis]));
    assert_eq!(
        sets,
        json!([
            {"block": genesis, "changes": [[foo, null], [other, null]]},
            {"block": b1, "changes": [[foo, hex0x(b"bar")]]},
            {"block": b2, "changes": [[foo, hex0x(b"baz")]]},
        ])
    );
    let sets = node.call("state_queryStorage", json!([[other], b1, b2]));
    assert_eq!(sets, json!([{"block": b1, "changes": [[other, null]]}]));
    let (code, message) = node.error("state_queryStorage", json!([[foo], b2, b1]));
    assert_eq!(code, 4001, "{message}");
    assert!(
        message.starts_with("Cannot resolve a block range"),
        "{message}"
    );
}

#[test]
fn help_and_bad_arguments() {
    let help = run(&["--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("dev-tx"), "{text}");
    let help = run(&["dev-tx", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    for command in ["transfer", "set-code", "set-storage", "set-heap-pages"] {
        assert!(text.contains(command), "{text}");
    }
    let failed = run(&[
        "dev-tx", "transfer", "--from", "alice", "--to", "nobody", "--amount", "1", "--nonce", "0",
    ]);
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("neither a dev account"), "{stderr}");
    assert_eq!(
        dev_tx(&["set-storage", "0x6b6579", "0x76"]),
        hex0x(&runtime_wasm::tx::set_storage(b"key", b"v"))
    );
}

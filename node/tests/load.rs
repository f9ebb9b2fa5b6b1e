//! RPC under load: while a `--dev` node authors blocks (an unsigned `set_storage` extrinsic
//! submitted every ~50 ms), two clients each make 1000 `state_call Core_version` requests
//! over keep-alive HTTP connections, and a third sends batches of them (which the node answers
//! across cores). Every request must succeed with the same result, blocks must keep coming,
//! and the node must still be healthy afterwards. No timing assertions.

mod common;

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    thread,
    time::{Duration, Instant},
};

use common::{dev_tx, hex0x, KeepAlive, Node};
use serde_json::{json, Value};

/// Requests per client.
const REQUESTS: usize = 1000;
/// Concurrent clients.
const CLIENTS: usize = 2;
/// Batches the batch client sends, and requests in each.
const BATCHES: usize = 50;
const BATCH_LEN: usize = 32;
/// At least this many extrinsics are submitted during the test (at ~50 ms intervals).
const MIN_SUBMITTED: u64 = 10;
/// At least this many blocks must be authored meanwhile (with instant authoring each
/// extrinsic usually gets its own block, but two may share one on a busy machine).
const MIN_BLOCKS: u64 = 3;

/// The `result` of a JSON-RPC call over `connection` that must succeed.
fn call(connection: &mut KeepAlive, id: usize, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let (status, response) = connection.post(&body.to_string());
    assert_eq!(status, 200, "{method}: {response}");
    let mut response: Value = serde_json::from_str(&response)
        .unwrap_or_else(|e| panic!("{method}: response is not JSON ({e}): {response}"));
    assert_eq!(response["id"], id, "{response}");
    match response.get_mut("result") {
        Some(result) => result.take(),
        None => panic!("{method} failed: {response}"),
    }
}

#[test]
fn state_calls_and_batches_while_blocks_are_authored() {
    let started = Instant::now();
    let node = Node::start(&["--dev"]);
    let expected = node.call("state_call", json!(["Core_version", "0x"]));
    assert!(expected.as_str().is_some_and(|v| v.len() > 2), "{expected}");
    let first_block = node.best_number();

    let clients_done = AtomicBool::new(false);
    let submitted = AtomicU64::new(0);
    let answered = AtomicU64::new(0);
    thread::scope(|s| {
        // Author blocks: a new key every ~50 ms until the clients are done (and at least
        // MIN_SUBMITTED times).
        let submitter = s.spawn(|| {
            let mut i = 0u64;
            while !clients_done.load(Ordering::SeqCst) || i < MIN_SUBMITTED {
                let key = hex0x(format!("load-test-key-{i}").as_bytes());
                let value = hex0x(&i.to_le_bytes());
                let extrinsic = dev_tx(&["set-storage", &key, &value]);
                let hash = node.call("author_submitExtrinsic", json!([extrinsic]));
                assert!(hash.as_str().is_some_and(|h| h.len() == 66), "{hash}");
                i += 1;
                submitted.store(i, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(50));
            }
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                s.spawn(|| {
                    let mut connection = KeepAlive::connect(node.addr);
                    for id in 0..REQUESTS {
                        let result = call(
                            &mut connection,
                            id,
                            "state_call",
                            json!(["Core_version", "0x"]),
                        );
                        assert_eq!(result, expected, "request {id}");
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let batch_client = s.spawn(|| {
            let mut connection = KeepAlive::connect(node.addr);
            let batch: Vec<Value> = (0..BATCH_LEN)
                .map(|id| json!({"jsonrpc": "2.0", "id": id, "method": "state_call", "params": ["Core_version", "0x"]}))
                .collect();
            let batch = Value::Array(batch).to_string();
            for round in 0..BATCHES {
                let (status, response) = connection.post(&batch);
                assert_eq!(status, 200, "batch {round}: {response}");
                let response: Vec<Value> = serde_json::from_str(&response)
                    .unwrap_or_else(|e| panic!("batch {round}: not a JSON array ({e}): {response}"));
                assert_eq!(response.len(), BATCH_LEN, "batch {round}");
                for (id, answer) in response.iter().enumerate() {
                    assert_eq!(answer["id"], id, "batch {round}: {answer}");
                    assert_eq!(answer["result"], expected, "batch {round}: {answer}");
                }
                answered.fetch_add(BATCH_LEN as u64, Ordering::Relaxed);
            }
        });
        for client in clients.into_iter().chain([batch_client]) {
            client.join().unwrap();
        }
        clients_done.store(true, Ordering::SeqCst);
        submitter.join().unwrap();
    });
    assert_eq!(
        answered.load(Ordering::Relaxed),
        (CLIENTS * REQUESTS + BATCHES * BATCH_LEN) as u64
    );

    // Wait for the last extrinsic to be included, then check the blocks and the first key.
    let submitted = submitted.load(Ordering::SeqCst);
    assert!(submitted >= MIN_SUBMITTED);
    let deadline = Instant::now() + Duration::from_secs(30);
    let last_key = hex0x(format!("load-test-key-{}", submitted - 1).as_bytes());
    while node.call("state_getStorage", json!([last_key])).is_null() {
        assert!(
            Instant::now() < deadline,
            "the last extrinsic was not included:\n{}",
            node.log()
        );
        thread::sleep(Duration::from_millis(20));
    }
    let blocks = node.best_number() - first_block;
    assert!(blocks >= MIN_BLOCKS, "only {blocks} blocks authored");
    assert_eq!(
        node.call("state_getStorage", json!([hex0x(b"load-test-key-0")])),
        hex0x(&0u64.to_le_bytes())
    );
    assert_eq!(
        node.call("system_health", json!([])),
        json!({"peers": 0, "isSyncing": false, "shouldHavePeers": false})
    );
    // Still answering the same after the load.
    assert_eq!(
        node.call("state_call", json!(["Core_version", "0x"])),
        expected
    );
    eprintln!(
        "{} state_calls from {CLIENTS} clients and {BATCHES} batches of {BATCH_LEN}, \
         {submitted} extrinsics, {blocks} blocks in {:?}",
        CLIENTS * REQUESTS,
        started.elapsed()
    );
}

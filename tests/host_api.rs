//! The host functions real runtimes import beyond the basics, called from wasm: trie proof
//! verification, the off-chain API outside an off-chain worker, off-chain and transaction
//! indexing, the storage proof size and the retired changes root.
//!
//! The module imports every one of them with the signature of the Polkadot host spec / `sp-io`,
//! so instantiating it also checks the registered signatures.

use codec::Encode;
use executor::{
    externalities::InMemoryExternalities, Error, Executor, ExecutorConfig, Externalities,
    InstantiationStrategy, RuntimeCode, StateVersion,
};
use trie::{Blake2Hasher, KeccakHasher};

const RUNTIME: &str = r#"(module
    (import "env" "memory" (memory 4))
    (import "env" "ext_trie_blake2_256_verify_proof_version_1" (func $b2_v1 (param i32 i64 i64 i64) (result i32)))
    (import "env" "ext_trie_blake2_256_verify_proof_version_2" (func $b2_v2 (param i32 i64 i64 i64 i32) (result i32)))
    (import "env" "ext_trie_keccak_256_verify_proof_version_1" (func $k_v1 (param i32 i64 i64 i64) (result i32)))
    (import "env" "ext_trie_keccak_256_verify_proof_version_2" (func $k_v2 (param i32 i64 i64 i64 i32) (result i32)))
    (import "env" "ext_offchain_is_validator_version_1" (func $is_validator (result i32)))
    (import "env" "ext_offchain_submit_transaction_version_1" (func $submit (param i64) (result i64)))
    (import "env" "ext_offchain_network_state_version_1" (func $network_state (result i64)))
    (import "env" "ext_offchain_timestamp_version_1" (func $timestamp (result i64)))
    (import "env" "ext_offchain_sleep_until_version_1" (func $sleep_until (param i64)))
    (import "env" "ext_offchain_random_seed_version_1" (func $random_seed (result i32)))
    (import "env" "ext_offchain_local_storage_set_version_1" (func $ls_set (param i32 i64 i64)))
    (import "env" "ext_offchain_local_storage_clear_version_1" (func $ls_clear (param i32 i64)))
    (import "env" "ext_offchain_local_storage_compare_and_set_version_1" (func $ls_cas (param i32 i64 i64 i64) (result i32)))
    (import "env" "ext_offchain_local_storage_get_version_1" (func $ls_get (param i32 i64) (result i64)))
    (import "env" "ext_offchain_http_request_start_version_1" (func $http_start (param i64 i64 i64) (result i64)))
    (import "env" "ext_offchain_http_request_add_header_version_1" (func $http_header (param i32 i64 i64) (result i64)))
    (import "env" "ext_offchain_http_request_write_body_version_1" (func $http_write (param i32 i64 i64) (result i64)))
    (import "env" "ext_offchain_http_response_wait_version_1" (func $http_wait (param i64 i64) (result i64)))
    (import "env" "ext_offchain_http_response_headers_version_1" (func $http_headers (param i32) (result i64)))
    (import "env" "ext_offchain_http_response_read_body_version_1" (func $http_read (param i32 i64 i64) (result i64)))
    (import "env" "ext_offchain_set_authorized_nodes_version_1" (func $authorized (param i64 i32)))
    (import "env" "ext_offchain_index_set_version_1" (func $index_set (param i64 i64)))
    (import "env" "ext_offchain_index_clear_version_1" (func $index_clear (param i64)))
    (import "env" "ext_transaction_index_index_version_1" (func $tx_index (param i32 i32 i32)))
    (import "env" "ext_transaction_index_renew_version_1" (func $tx_renew (param i32 i32)))
    (import "env" "ext_storage_proof_size_storage_proof_size_version_1" (func $proof_size (result i64)))
    (import "env" "ext_storage_changes_root_version_1" (func $changes_root (param i64) (result i64)))
    (import "env" "ext_storage_set_version_1" (func $set (param i64 i64)))
    (global (export "__heap_base") i32 (i32.const 4096))
    (data (i32.const 16) "key")

    (func $span (param $ptr i32) (param $len i32) (result i64)
        (i64.or (i64.extend_i32_u (local.get $ptr))
                (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 32))))
    (func $byte (param $value i32) (result i64)
        (i32.store8 (i32.const 0) (local.get $value))
        (call $span (i32.const 0) (i32.const 1)))

    ;; Input: selector u32 | version u32 | root [32] | proof len u32 | key len u32 |
    ;; value len u32 | proof | key | value. Selector 0..3: blake2 v1, blake2 v2, keccak v1,
    ;; keccak v2. Returns the boolean as one byte.
    (func (export "verify") (param $p i32) (param $l i32) (result i64)
        (local $proof i64) (local $key i64) (local $value i64) (local $at i32)
        (local.set $at (i32.add (local.get $p) (i32.const 52)))
        (local.set $proof (call $span (local.get $at) (i32.load offset=40 (local.get $p))))
        (local.set $at (i32.add (local.get $at) (i32.load offset=40 (local.get $p))))
        (local.set $key (call $span (local.get $at) (i32.load offset=44 (local.get $p))))
        (local.set $at (i32.add (local.get $at) (i32.load offset=44 (local.get $p))))
        (local.set $value (call $span (local.get $at) (i32.load offset=48 (local.get $p))))
        (call $byte
            (block $done (result i32)
                (block $k2 (block $k1 (block $b2 (block $b1
                    (br_table $b1 $b2 $k1 $k2 (i32.load (local.get $p))))
                    (br $done (call $b2_v1 (i32.add (local.get $p) (i32.const 8)) (local.get $proof) (local.get $key) (local.get $value))))
                    (br $done (call $b2_v2 (i32.add (local.get $p) (i32.const 8)) (local.get $proof) (local.get $key) (local.get $value) (i32.load offset=4 (local.get $p)))))
                    (br $done (call $k_v1 (i32.add (local.get $p) (i32.const 8)) (local.get $proof) (local.get $key) (local.get $value))))
                (call $k_v2 (i32.add (local.get $p) (i32.const 8)) (local.get $proof) (local.get $key) (local.get $value) (i32.load offset=4 (local.get $p))))))

    (func (export "is_validator") (param i32 i32) (result i64) (call $byte (call $is_validator)))
    (func (export "submit_transaction") (param i32 i32) (result i64) (call $submit (call $span (i32.const 16) (i32.const 3))))
    (func (export "network_state") (param i32 i32) (result i64) (call $network_state))
    (func (export "timestamp") (param i32 i32) (result i64) (drop (call $timestamp)) (i64.const 0))
    (func (export "sleep_until") (param i32 i32) (result i64) (call $sleep_until (i64.const 0)) (i64.const 0))
    (func (export "random_seed") (param i32 i32) (result i64) (call $span (call $random_seed) (i32.const 32)))
    (func (export "local_storage_set") (param i32 i32) (result i64)
        (call $ls_set (i32.const 1) (call $span (i32.const 16) (i32.const 3)) (call $span (i32.const 16) (i32.const 3))) (i64.const 0))
    (func (export "local_storage_clear") (param i32 i32) (result i64)
        (call $ls_clear (i32.const 1) (call $span (i32.const 16) (i32.const 3))) (i64.const 0))
    (func (export "local_storage_compare_and_set") (param i32 i32) (result i64)
        (call $byte (call $ls_cas (i32.const 1) (call $span (i32.const 16) (i32.const 3)) (call $span (i32.const 20) (i32.const 1)) (call $span (i32.const 16) (i32.const 3)))))
    (func (export "local_storage_get") (param i32 i32) (result i64)
        (call $ls_get (i32.const 1) (call $span (i32.const 16) (i32.const 3))))
    (func (export "http_request_start") (param i32 i32) (result i64)
        (call $http_start (call $span (i32.const 16) (i32.const 3)) (call $span (i32.const 16) (i32.const 3)) (call $span (i32.const 16) (i32.const 0))))
    (func (export "http_request_add_header") (param i32 i32) (result i64)
        (call $http_header (i32.const 0) (call $span (i32.const 16) (i32.const 3)) (call $span (i32.const 16) (i32.const 3))))
    (func (export "http_request_write_body") (param i32 i32) (result i64)
        (call $http_write (i32.const 0) (call $span (i32.const 16) (i32.const 3)) (call $span (i32.const 20) (i32.const 1))))
    (func (export "http_response_wait") (param i32 i32) (result i64)
        (call $http_wait (call $span (i32.const 20) (i32.const 1)) (call $span (i32.const 20) (i32.const 1))))
    (func (export "http_response_headers") (param i32 i32) (result i64) (call $http_headers (i32.const 0)))
    (func (export "http_response_read_body") (param i32 i32) (result i64)
        (call $http_read (i32.const 0) (call $span (i32.const 32) (i32.const 8)) (call $span (i32.const 20) (i32.const 1))))
    (func (export "set_authorized_nodes") (param i32 i32) (result i64)
        (call $authorized (call $span (i32.const 20) (i32.const 1)) (i32.const 1)) (i64.const 0))

    ;; Writes `key = key` to the state around every indexing call.
    (func (export "indexing") (param i32 i32) (result i64)
        (call $index_set (call $span (i32.const 16) (i32.const 3)) (call $span (i32.const 16) (i32.const 3)))
        (call $set (call $span (i32.const 16) (i32.const 3)) (call $span (i32.const 16) (i32.const 3)))
        (call $index_clear (call $span (i32.const 16) (i32.const 3)))
        (call $tx_index (i32.const 0) (i32.const 3) (i32.const 64))
        (call $tx_renew (i32.const 0) (i32.const 64))
        (i64.const 0))
    (func (export "index_out_of_bounds") (param i32 i32) (result i64)
        (call $index_set (call $span (i32.const 16) (i32.const -1)) (call $span (i32.const 16) (i32.const 3)))
        (i64.const 0))
    (func (export "proof_size") (param i32 i32) (result i64)
        (i64.store (i32.const 0) (call $proof_size))
        (call $span (i32.const 0) (i32.const 8)))
    (func (export "changes_root") (param i32 i32) (result i64)
        (call $changes_root (call $span (i32.const 64) (i32.const 32))))
)"#;

fn executor() -> Executor {
    Executor::new(ExecutorConfig {
        strategy: InstantiationStrategy::RecreateInstance,
        ..ExecutorConfig::default()
    })
    .unwrap()
}

fn call(executor: &Executor, method: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
    let code = wat::parse_str(RUNTIME).unwrap();
    executor.call(
        &RuntimeCode::from_bytes(&code),
        method,
        input,
        &mut InMemoryExternalities::new(),
    )
}

/// Calls `verify` for the given function (0..3) with `root`, `proof`, `key`, `value`.
fn verify(
    executor: &Executor,
    selector: u32,
    version: u32,
    root: [u8; 32],
    proof: &[u8],
    key: &[u8],
    value: &[u8],
) -> Result<bool, Error> {
    let mut input = selector.to_le_bytes().to_vec();
    input.extend(version.to_le_bytes());
    input.extend(root);
    for part in [proof, key, value] {
        input.extend((part.len() as u32).to_le_bytes());
    }
    input.extend([proof, key, value].concat());
    let output = call(executor, "verify", &input)?;
    Ok(output == [1])
}

fn entries() -> Vec<(Vec<u8>, Vec<u8>)> {
    vec![
        (b"alice".to_vec(), vec![1; 40]),
        (b"alicia".to_vec(), b"short".to_vec()),
        (b"bob".to_vec(), vec![2; 100]),
        (b"carol".to_vec(), vec![]),
    ]
}

#[test]
fn trie_proofs_verify_like_sp_trie() {
    let executor = executor();
    for (version, raw) in [(StateVersion::V0, 0u32), (StateVersion::V1, 1)] {
        let (root, proof) = trie::generate_proof::<Blake2Hasher>(entries(), &[b"alice"], version);
        let proof = proof.encode();
        let (k_root, k_proof) =
            trie::generate_proof::<KeccakHasher>(entries(), &[b"alice"], version);
        let k_proof = k_proof.encode();
        let value = &entries()[0].1;

        assert!(verify(&executor, 1, raw, root, &proof, b"alice", value).unwrap());
        assert!(!verify(&executor, 1, raw, root, &proof, b"alice", b"other").unwrap());
        assert!(!verify(&executor, 1, raw, root, &proof, b"bob", &entries()[2].1).unwrap());
        assert!(verify(&executor, 3, raw, k_root, &k_proof, b"alice", value).unwrap());
        assert!(!verify(&executor, 3, raw, root, &proof, b"alice", value).unwrap());
        // Version 1 is V0.
        assert_eq!(
            verify(&executor, 0, 0, root, &proof, b"alice", value).unwrap(),
            version == StateVersion::V0
        );
        assert_eq!(
            verify(&executor, 2, 0, k_root, &k_proof, b"alice", value).unwrap(),
            version == StateVersion::V0
        );
    }
    // A 40-byte value is hashed in V1: the V0 and V1 proofs differ and do not cross-verify.
    let (root_v1, proof_v1) =
        trie::generate_proof::<Blake2Hasher>(entries(), &[b"alice"], StateVersion::V1);
    assert!(!verify(
        &executor,
        1,
        0,
        root_v1,
        &proof_v1.encode(),
        b"alice",
        &[1; 40]
    )
    .unwrap());

    // An unknown state version or an undecodable proof list fails the call, as in Substrate.
    let (root, proof) =
        trie::generate_proof::<Blake2Hasher>(entries(), &[b"bob"], StateVersion::V0);
    let error = verify(&executor, 1, 2, root, &proof.encode(), b"bob", &[2; 100]).unwrap_err();
    assert!(
        error.to_string().contains("unknown state version 2"),
        "{error}"
    );
    let error = verify(&executor, 1, 0, root, &[0x08, 0x01], b"bob", &[2; 100]).unwrap_err();
    assert!(
        matches!(error, Error::HostFunction { function, .. } if function == "ext_trie_blake2_256_verify_proof_version_2")
    );
}

#[test]
fn offchain_functions_fail_outside_offchain_workers() {
    let executor = executor();
    let worker = "can be called only in the offchain worker context";
    let db = "can be called only in the offchain call context with OffchainDb extension";
    let pool =
        "can be called only in the offchain call context with TransactionPool capabilities enabled";
    for (method, needs) in [
        ("is_validator", worker),
        ("submit_transaction", pool),
        ("network_state", worker),
        ("timestamp", worker),
        ("sleep_until", worker),
        ("random_seed", worker),
        ("local_storage_set", db),
        ("local_storage_clear", db),
        ("local_storage_compare_and_set", db),
        ("local_storage_get", db),
        ("http_request_start", worker),
        ("http_request_add_header", worker),
        ("http_request_write_body", worker),
        ("http_response_wait", worker),
        ("http_response_headers", worker),
        ("http_response_read_body", worker),
        ("set_authorized_nodes", worker),
    ] {
        match call(&executor, method, &[]) {
            Err(Error::HostFunction { function, reason }) => {
                assert_eq!(function, format!("ext_offchain_{method}_version_1"));
                assert_eq!(reason, format!("{method} {needs}"));
            }
            other => panic!("{method}: {other:?}"),
        }
    }
}

#[test]
fn indexing_is_accepted_and_leaves_the_state_alone() {
    let executor = executor();
    let code = wat::parse_str(RUNTIME).unwrap();
    let mut ext = InMemoryExternalities::new();
    let output = executor
        .call(&RuntimeCode::from_bytes(&code), "indexing", &[], &mut ext)
        .unwrap();
    assert!(output.is_empty());
    // Only the storage write is in the state.
    assert_eq!(
        ext.storage_root(StateVersion::V0),
        InMemoryExternalities::from_pairs([(b"key", b"key")]).storage_root(StateVersion::V0)
    );
    // Arguments are still read: an out-of-bounds key fails the call.
    let error = call(&executor, "index_out_of_bounds", &[]).unwrap_err();
    assert!(
        matches!(&error, Error::HostFunction { function, .. } if *function == "ext_offchain_index_set_version_1"),
        "{error}"
    );
}

#[test]
fn proof_size_and_changes_root() {
    let executor = executor();
    assert_eq!(
        call(&executor, "proof_size", &[]).unwrap(),
        u64::MAX.to_le_bytes()
    );
    assert_eq!(
        call(&executor, "changes_root", &[]).unwrap(),
        None::<Vec<u8>>.encode()
    );
}

//! `ext_crypto_*` called from wasm: argument passing, SCALE results, batch verification and
//! the keystore functions' failure without a keystore.

use codec::{Decode, Encode};
use executor::{
    externalities::InMemoryExternalities,
    keystore::{Keystore, Scheme},
    Error, Executor, ExecutorConfig, RuntimeCode,
};

/// Each export reads its arguments from the input: `sig ‖ public ‖ message` for the verify
/// functions, `sig(65) ‖ hash(32)` for recovery; booleans come back as one byte.
const CRYPTO_RUNTIME: &str = r#"(module
    (import "env" "memory" (memory 2))
    (import "env" "ext_crypto_ed25519_verify_version_1" (func $ed_verify (param i32 i64 i32) (result i32)))
    (import "env" "ext_crypto_sr25519_verify_version_1" (func $sr_verify_1 (param i32 i64 i32) (result i32)))
    (import "env" "ext_crypto_sr25519_verify_version_2" (func $sr_verify_2 (param i32 i64 i32) (result i32)))
    (import "env" "ext_crypto_ecdsa_verify_version_2" (func $ecdsa_verify (param i32 i64 i32) (result i32)))
    (import "env" "ext_crypto_ed25519_batch_verify_version_1" (func $ed_batch (param i32 i64 i32) (result i32)))
    (import "env" "ext_crypto_start_batch_verify_version_1" (func $start_batch))
    (import "env" "ext_crypto_finish_batch_verify_version_1" (func $finish_batch (result i32)))
    (import "env" "ext_crypto_secp256k1_ecdsa_recover_version_1" (func $recover_1 (param i32 i32) (result i64)))
    (import "env" "ext_crypto_secp256k1_ecdsa_recover_version_2" (func $recover_2 (param i32 i32) (result i64)))
    (import "env" "ext_crypto_secp256k1_ecdsa_recover_compressed_version_2" (func $recover_c (param i32 i32) (result i64)))
    (import "env" "ext_crypto_sr25519_public_keys_version_1" (func $sr_keys (param i32) (result i64)))
    (import "env" "ext_crypto_sr25519_generate_version_1" (func $sr_generate (param i32 i64) (result i32)))
    (global (export "__heap_base") i32 (i32.const 1024))
    (data (i32.const 16) "babe")
    (data (i32.const 20) "\00")

    (func $span (param $ptr i32) (param $len i32) (result i64)
        (i64.or (i64.extend_i32_u (local.get $ptr))
                (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 32))))
    (func $bool (param $value i32) (result i64)
        (i32.store8 (i32.const 0) (local.get $value))
        (call $span (i32.const 0) (i32.const 1)))
    (func $message (param $ptr i32) (param $len i32) (param $skip i32) (result i64)
        (call $span (i32.add (local.get $ptr) (local.get $skip)) (i32.sub (local.get $len) (local.get $skip))))

    (func (export "ed25519_verify") (param $p i32) (param $l i32) (result i64)
        (call $bool (call $ed_verify (local.get $p) (call $message (local.get $p) (local.get $l) (i32.const 96))
                                     (i32.add (local.get $p) (i32.const 64)))))
    (func (export "sr25519_verify_1") (param $p i32) (param $l i32) (result i64)
        (call $bool (call $sr_verify_1 (local.get $p) (call $message (local.get $p) (local.get $l) (i32.const 96))
                                       (i32.add (local.get $p) (i32.const 64)))))
    (func (export "sr25519_verify_2") (param $p i32) (param $l i32) (result i64)
        (call $bool (call $sr_verify_2 (local.get $p) (call $message (local.get $p) (local.get $l) (i32.const 96))
                                       (i32.add (local.get $p) (i32.const 64)))))
    (func (export "ecdsa_verify") (param $p i32) (param $l i32) (result i64)
        (call $bool (call $ecdsa_verify (local.get $p) (call $message (local.get $p) (local.get $l) (i32.const 98))
                                        (i32.add (local.get $p) (i32.const 65)))))
    (func (export "batch") (param $p i32) (param $l i32) (result i64)
        (local $single i32)
        (call $start_batch)
        (local.set $single
            (call $ed_batch (local.get $p) (call $message (local.get $p) (local.get $l) (i32.const 96))
                            (i32.add (local.get $p) (i32.const 64))))
        (i32.store8 (i32.const 1) (call $finish_batch))
        (i32.store8 (i32.const 0) (local.get $single))
        (call $span (i32.const 0) (i32.const 2)))
    (func (export "start_twice") (param i32 i32) (result i64)
        (call $start_batch) (call $start_batch) (i64.const 0))
    (func (export "finish_without_start") (param i32 i32) (result i64)
        (call $bool (call $finish_batch)))
    (func (export "recover_1") (param $p i32) (param $l i32) (result i64)
        (call $recover_1 (local.get $p) (i32.add (local.get $p) (i32.const 65))))
    (func (export "recover_2") (param $p i32) (param $l i32) (result i64)
        (call $recover_2 (local.get $p) (i32.add (local.get $p) (i32.const 65))))
    (func (export "recover_compressed") (param $p i32) (param $l i32) (result i64)
        (call $recover_c (local.get $p) (i32.add (local.get $p) (i32.const 65))))
    (func (export "sr25519_public_keys") (param i32 i32) (result i64)
        (call $sr_keys (i32.const 16)))
    (func (export "sr25519_generate") (param i32 i32) (result i64)
        (call $span (call $sr_generate (i32.const 16) (call $span (i32.const 20) (i32.const 1))) (i32.const 32)))
)"#;

fn call(method: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
    let code = wat::parse_str(CRYPTO_RUNTIME).unwrap();
    let executor = Executor::new(ExecutorConfig::default()).unwrap();
    executor.call(
        &RuntimeCode::from_bytes(&code),
        method,
        input,
        &mut InMemoryExternalities::new(),
    )
}

fn signed(scheme: Scheme, message: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let keystore = Keystore::new();
    let public = keystore
        .generate(*b"test", scheme, Some("//Alice"))
        .unwrap();
    let signature = keystore.sign(*b"test", scheme, &public, message).unwrap();
    (signature, public)
}

fn input(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn verification_from_wasm() {
    let (sig, public) = signed(Scheme::Ed25519, b"hello");
    assert_eq!(
        call("ed25519_verify", &input(&[&sig, &public, b"hello"])).unwrap(),
        [1]
    );
    assert_eq!(
        call("ed25519_verify", &input(&[&sig, &public, b"hellO"])).unwrap(),
        [0]
    );

    let (sig, public) = signed(Scheme::Sr25519, b"hello");
    for method in ["sr25519_verify_1", "sr25519_verify_2"] {
        assert_eq!(
            call(method, &input(&[&sig, &public, b"hello"])).unwrap(),
            [1]
        );
        assert_eq!(call(method, &input(&[&sig, &public, b"x"])).unwrap(), [0]);
    }

    let (sig, public) = signed(Scheme::Ecdsa, b"hello");
    assert_eq!(
        call("ecdsa_verify", &input(&[&sig, &public, b"hello"])).unwrap(),
        [1]
    );
    assert_eq!(
        call("ecdsa_verify", &input(&[&sig, &public, b""])).unwrap(),
        [0]
    );
}

#[test]
fn deprecated_sr25519_signature_passes_version_1_only() {
    // A schnorrkel 0.1.1 signature (one of Substrate's sr25519 test vectors).
    let public =
        hex::decode("b4bfa1f7a5166695eb75299fd1c4c03ea212871c342f2c5dfea0902b2c246918").unwrap();
    let sig = hex::decode("5a9755f069939f45d96aaf125cf5ce7ba1db998686f87f2fb3cbdea922078741a73891ba265f70c31436e18a9acd14d189d73c12317ab6c313285cd938453202").unwrap();
    let message: &[u8] = b"Verifying that I am the owner of 5G9hQLdsKQswNPgB499DeA5PkFBbgkLPJWkkS6FAM6xGQ8xD. Hash: 221455a3\n";
    let input = input(&[&sig, &public, message]);
    assert_eq!(call("sr25519_verify_1", &input).unwrap(), [1]);
    assert_eq!(call("sr25519_verify_2", &input).unwrap(), [0]);
}

#[test]
fn batch_verification_from_wasm() {
    let (sig, public) = signed(Scheme::Ed25519, b"hello");
    assert_eq!(
        call("batch", &input(&[&sig, &public, b"hello"])).unwrap(),
        [1, 1]
    );
    assert_eq!(
        call("batch", &input(&[&sig, &public, b"bye"])).unwrap(),
        [0, 0]
    );
    assert!(matches!(
        call("start_twice", &[]),
        Err(Error::HostFunction {
            function: "ext_crypto_start_batch_verify_version_1",
            ..
        })
    ));
    assert!(matches!(
        call("finish_without_start", &[]),
        Err(Error::HostFunction {
            function: "ext_crypto_finish_batch_verify_version_1",
            ..
        })
    ));
}

#[test]
fn recovery_from_wasm() {
    let (sig, public) = signed(Scheme::Ecdsa, b"hello");
    let hash = sp_crypto_hashing::blake2_256(b"hello");
    let mut uncompressed = None;
    for method in ["recover_1", "recover_2"] {
        let out = call(method, &input(&[&sig, &hash])).unwrap();
        let key = Result::<[u8; 64], u8>::decode(&mut &out[..])
            .unwrap()
            .unwrap();
        assert_eq!(*uncompressed.get_or_insert(key), key);
        // The compressed key is the x coordinate with the parity of y.
        assert_eq!(key[..32], public[1..]);
        assert_eq!(2 + (key[63] & 1), public[0]);
    }
    let out = call("recover_compressed", &input(&[&sig, &hash])).unwrap();
    assert_eq!(out, [&[0][..], &public].concat());
    // v = 5: Err(BadV), encoded as [1, 1].
    let mut bad_v = sig.clone();
    bad_v[64] = 5;
    assert_eq!(call("recover_2", &input(&[&bad_v, &hash])).unwrap(), [1, 1]);
    // r = s = 0: Err(BadSignature).
    let zero = [0u8; 65];
    assert_eq!(call("recover_1", &input(&[&zero, &hash])).unwrap(), [1, 2]);
    // s = 2^256 - 1 overflows: Err(BadRS) in version 2 only.
    let mut overflowing = sig.clone();
    overflowing[32..64].fill(0xff);
    assert_eq!(
        call("recover_2", &input(&[&overflowing, &hash])).unwrap(),
        [1, 0]
    );
    assert_ne!(
        call("recover_1", &input(&[&overflowing, &hash])).unwrap(),
        [1, 0]
    );
}

#[test]
fn keystore_functions_fail_without_a_keystore() {
    for (method, function) in [
        (
            "sr25519_public_keys",
            "ext_crypto_sr25519_public_keys_version_1",
        ),
        ("sr25519_generate", "ext_crypto_sr25519_generate_version_1"),
    ] {
        match call(method, &[]) {
            Err(Error::HostFunction {
                function: f,
                reason,
            }) => {
                assert_eq!(f, function);
                assert!(reason.contains("No `keystore` associated"), "{reason}");
            }
            other => panic!("{method}: {other:?}"),
        }
    }
    // The empty seed argument above is SCALE `None` (a single 0 byte).
    assert_eq!(None::<Vec<u8>>.encode(), [0]);
}

//! Kusama block #1, executed with its genesis runtime (Kusama 1020) on the genesis state of
//! `kusama.json`, under every instantiation strategy. The runtime checks the extrinsics root
//! and the state root itself (it panics on a mismatch); the test also checks our post-state
//! root against the header.
//!
//! `encoded_block` in the fixture is the block as authored, with the BABE seal as its last
//! digest item. A Substrate node removes the seal (the author's signature over the pre-seal
//! header) while verifying the block and executes the block without it; the runtime rejects
//! the sealed header ("Number of digest items must match that calculated"). So the input to
//! `Core_execute_block` is the fixture's block with the seal removed, as Substrate builds it.

use std::time::Instant;

use codec::{Decode, Encode};
use executor::{Error, Externalities, InstantiationStrategy, RuntimeCode, StateVersion};
use integration_tests::{executor, fixture, genesis_externalities, hex32, RealRuntime};
use substrate_primitives::header::{DigestItem, Header};

fn hex_field(block: &serde_json::Value, field: &str) -> Vec<u8> {
    let text = block[field]
        .as_str()
        .unwrap_or_else(|| panic!("kusama-1.json has no string field `{field}`"));
    hex::decode(text.trim_start_matches("0x")).expect("hex")
}

#[test]
fn kusama_block_1_on_genesis_state() {
    let Some(block_path) = fixture("blocks/kusama-1.json") else {
        return;
    };
    let Some(spec) = RealRuntime::by_file("kusama.json").spec() else {
        return;
    };
    let block: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&block_path).expect("read the block")).unwrap();
    let encoded_block = hex_field(&block, "encoded_block");
    let state_root = hex_field(&block, "state_root");
    let parent_hash = hex_field(&block, "parent_hash");
    // `encoded_block` starts with the encoded header, which starts with the parent hash.
    assert!(encoded_block.starts_with(&hex_field(&block, "encoded_header")));
    assert_eq!(
        spec.genesis_hash(StateVersion::V0).unwrap().as_slice(),
        parent_hash,
        "block #1's parent is the genesis of kusama.json"
    );

    let mut rest = &encoded_block[..];
    let mut header = Header::decode(&mut rest).expect("the block starts with a header");
    assert_eq!(
        header.hash().as_slice(),
        hex_field(&block, "block_hash"),
        "block hash"
    );
    assert_eq!(header.state_root.as_slice(), state_root);
    let seal = header.digest.logs.pop();
    assert!(
        matches!(seal, Some(DigestItem::Seal(engine, _)) if engine == *b"BABE"),
        "the last digest item is a BABE seal"
    );
    let unsealed_block = [header.encode(), rest.to_vec()].concat();

    let genesis = spec.genesis_storage().expect("raw genesis");
    let code = RuntimeCode::from_bytes(spec.runtime_code().expect(":code"));
    let artifacts = integration_tests::artifact_dir!();
    for strategy in InstantiationStrategy::ALL {
        let executor = executor(strategy, &artifacts);
        let mut ext = genesis_externalities(genesis);
        let started = Instant::now();
        let output = executor
            .call(&code, "Core_execute_block", &unsealed_block, &mut ext)
            .unwrap_or_else(|e| panic!("Core_execute_block under {strategy}: {e}"));
        let elapsed = started.elapsed();
        assert!(output.is_empty(), "execute_block returns (): {output:?}");
        assert_eq!(ext.transaction_depth(), 0);
        let root = ext.storage_root(StateVersion::V0);
        assert_eq!(
            hex32(&root),
            hex::encode(&state_root),
            "post-state root under {strategy}"
        );
        println!(
            "Kusama block #1 under {strategy}: executed in {elapsed:.2?} (incl. compile or load)"
        );

        if strategy == InstantiationStrategy::ALL[0] {
            // The sealed block as is: the runtime counts the digest items it produced.
            let error = executor
                .call(
                    &code,
                    "Core_execute_block",
                    &encoded_block,
                    &mut genesis_externalities(genesis),
                )
                .expect_err("the sealed block does not execute");
            assert!(
                matches!(&error, Error::RuntimePanic(message)
                    if message.contains("Number of digest items must match that calculated")),
                "{error}"
            );
        }
    }
}

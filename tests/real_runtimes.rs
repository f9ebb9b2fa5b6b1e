//! The real Polkadot-family runtimes of the fixtures, under every instantiation strategy: no
//! host function is missing, the version is the known one, `Core_version` and
//! `Metadata_metadata` give identical bytes everywhere, and read-only runtime APIs work on the
//! genesis state of the runtime's chain spec.
//!
//! One test per runtime (they run in parallel); each builds one executor per strategy and
//! reuses it for every call, with a shared artifact directory so reruns load instead of
//! compiling.

use std::time::Instant;

use codec::Encode;
use executor::{Externalities, InstantiationStrategy, RuntimeCode, RuntimeVersion};
use integration_tests::{
    decode, executor, genesis_externalities, hex32, host_imports, RealRuntime,
};

/// The id of a runtime API as listed in `RuntimeVersion::apis`: blake2-64 of its name.
fn api_id(name: &str) -> [u8; 8] {
    sp_crypto_hashing::blake2_64(name.as_bytes())
}

/// The storage prefix of FRAME's `System::Account` map:
/// `twox128("System") ++ twox128("Account")`.
fn system_account_prefix() -> Vec<u8> {
    [
        sp_crypto_hashing::twox_128(b"System"),
        sp_crypto_hashing::twox_128(b"Account"),
    ]
    .concat()
}

/// An account of the genesis state and its nonce: the first key of `System::Account`
/// (`prefix ++ blake2_128(id) ++ id`, the value starting with the `u32` nonce). Runtimes from
/// before that layout (Kusama 1020) keep accounts under hashed keys that do not reveal the id;
/// then the all-`0x01` account, whose nonce at genesis is 0.
fn genesis_account(genesis: &chain_spec::GenesisStorage) -> ([u8; 32], u32, &'static str) {
    let prefix = system_account_prefix();
    let found = genesis
        .top
        .range(prefix.clone()..)
        .take_while(|(key, _)| key.starts_with(&prefix))
        .find(|(key, value)| key.len() == prefix.len() + 16 + 32 && value.len() >= 4);
    match found {
        Some((key, value)) => {
            let id: [u8; 32] = key[prefix.len() + 16..].try_into().unwrap();
            (
                id,
                decode(&value[..4], "an account's nonce"),
                "System::Account",
            )
        }
        None => ([1; 32], 0, "no System::Account entry; an arbitrary account"),
    }
}

/// The `TransactionPaymentApi_query_info` input, a bare (unsigned, format v4) extrinsic the
/// runtime decodes with its length, and the `(class, partial_fee)` the runtime answers.
///
/// The extrinsic is `System::remark(b"")`: `System` is pallet 0 everywhere, and `remark` is
/// call 0 in runtimes with explicit call indices (Paseo, the Coretime chains) but call 1 in
/// older ones, where `fill_block` came first (Westend 1, Rococo 9190, this node-template).
/// Kusama 1020 gets the `Timestamp::set` inherent of Kusama block #1 (`Operational` there).
///
/// Modern `query_info` charges bare extrinsics nothing; the 2019-2020 runtimes (Kusama 1020,
/// Westend 1) compute the fee anyway, from the length, the weight and the genesis fee
/// multiplier read from storage: those fees are the runtimes' own answers.
fn query_info_input(runtime: &RealRuntime) -> (Vec<u8>, u8, u128) {
    const NORMAL: u8 = 0;
    const OPERATIONAL: u8 = 1;
    let remark_0 = vec![0x04, 0x00, 0x00, 0x00];
    let remark_1 = vec![0x04, 0x00, 0x01, 0x00];
    let (extrinsic, class, fee) = match runtime.spec_name {
        "kusama" => (
            hex::decode("0402000b90110eb36e01").unwrap(),
            OPERATIONAL,
            120_000_000,
        ),
        "westend" => (remark_1, NORMAL, 11_400_000_000),
        "rococo" | "node-template" => (remark_1, NORMAL, 0),
        _ => (remark_0, NORMAL, 0),
    };
    let mut input = extrinsic.encode(); // `UncheckedExtrinsic` encodes as length-prefixed bytes.
    input.extend((extrinsic.len() as u32).encode());
    (input, class, fee)
}

fn check_runtime(file: &str) {
    let runtime = RealRuntime::by_file(file);
    let Some(spec) = runtime.spec() else {
        return;
    };
    let genesis = spec.genesis_storage().expect("raw genesis");
    let code = spec.runtime_code().expect("genesis has :code");
    let code = RuntimeCode::from_bytes(code);

    let artifacts = integration_tests::artifact_dir!();
    let imports = host_imports(spec.runtime_code().unwrap());
    let ext = genesis_externalities(genesis);
    let mut root_ext = ext.clone();
    assert_eq!(
        hex32(&root_ext.storage_root(runtime.state_version)),
        runtime.genesis_state_root,
        "{file}: genesis state root"
    );
    let (account, nonce, account_source) = genesis_account(genesis);
    let (query_info, class, fee) = query_info_input(&runtime);

    // Outputs of the first strategy, which every other must reproduce byte for byte.
    let mut reference: Option<Vec<(&str, Vec<u8>)>> = None;
    for strategy in InstantiationStrategy::ALL {
        let started = Instant::now();
        let executor = executor(strategy, &artifacts);
        let missing = executor
            .missing_host_functions(&code)
            .unwrap_or_else(|e| panic!("{file} under {strategy}: {e}"));
        assert!(
            missing.is_empty(),
            "{file} under {strategy}: missing host functions {missing:?}"
        );
        let prepared = started.elapsed();

        let version = executor
            .runtime_version(&code)
            .unwrap_or_else(|e| panic!("{file} under {strategy}: runtime_version: {e}"));
        assert_eq!(version.spec_name, runtime.spec_name, "{file} spec_name");
        assert_eq!(
            version.spec_version, runtime.spec_version,
            "{file} spec_version"
        );

        let call = |method: &str, input: &[u8]| -> Vec<u8> {
            executor
                .call(&code, method, input, &mut ext.clone())
                .unwrap_or_else(|e| panic!("{file} under {strategy}: {method}: {e}"))
        };
        let mut outputs = Vec::new();

        let core_version = call("Core_version", &[]);
        let decoded: RuntimeVersion = decode(&core_version, "Core_version output");
        assert_eq!(decoded.spec_name, runtime.spec_name);
        assert_eq!(decoded.spec_version, runtime.spec_version);
        assert_eq!(
            decoded.apis, version.apis,
            "{file}: Core_version vs runtime_version"
        );
        outputs.push(("Core_version", core_version));

        let metadata = call("Metadata_metadata", &[]);
        let opaque: Vec<u8> = decode(&metadata, "Metadata_metadata output");
        assert!(
            opaque.starts_with(b"meta"),
            "{file}: metadata does not start with the magic: {:?}",
            &opaque[..opaque.len().min(8)]
        );
        outputs.push(("Metadata_metadata", metadata));

        if version
            .apis
            .iter()
            .any(|(id, _)| *id == api_id("AccountNonceApi"))
        {
            let output = call("AccountNonceApi_account_nonce", &account.encode());
            let got: u32 = decode(&output, "AccountNonceApi_account_nonce output");
            assert_eq!(
                got,
                nonce,
                "{file}: nonce of {} ({account_source})",
                hex::encode(account)
            );
            outputs.push(("AccountNonceApi_account_nonce", output));
        } else if strategy == InstantiationStrategy::ALL[0] {
            println!("{file}: no AccountNonceApi");
        }

        if version
            .apis
            .iter()
            .any(|(id, _)| *id == api_id("TransactionPaymentApi"))
        {
            let output = call("TransactionPaymentApi_query_info", &query_info);
            // `RuntimeDispatchInfo { weight, class, partial_fee: u128 }`, whatever the
            // weight's encoding (u64, or `Weight` v2).
            assert!(
                output.len() > 17,
                "{file}: query_info output too short: {output:?}"
            );
            let tail = &output[output.len() - 17..];
            assert_eq!(tail[0], class, "{file}: query_info dispatch class");
            let partial_fee: u128 = decode(&tail[1..], "partial_fee");
            assert_eq!(partial_fee, fee, "{file}: query_info partial fee");
            outputs.push(("TransactionPaymentApi_query_info", output));
        } else if strategy == InstantiationStrategy::ALL[0] {
            println!("{file}: no TransactionPaymentApi");
        }

        match &reference {
            None => reference = Some(outputs),
            Some(reference) => {
                assert_eq!(reference.len(), outputs.len());
                for ((method, expected), (_, got)) in reference.iter().zip(&outputs) {
                    assert!(
                        expected == got,
                        "{file}: {method} under {strategy} differs from {}",
                        InstantiationStrategy::ALL[0]
                    );
                }
            }
        }
        println!(
            "{file} under {strategy}: ready in {prepared:.2?}, all calls in {:.2?}",
            started.elapsed()
        );
    }

    let reference = reference.expect("at least one strategy");
    let methods: Vec<String> = reference
        .iter()
        .map(|(method, output)| format!("{method} ({} bytes)", output.len()))
        .collect();
    println!(
        "{file}: {} {} imports {} host functions, {} implemented, 0 missing; checked {}",
        runtime.spec_name,
        runtime.spec_version,
        imports.len(),
        imports.len(),
        methods.join(", ")
    );
}

#[test]
fn kusama() {
    check_runtime("kusama.json");
}

#[test]
fn westend() {
    check_runtime("westend.json");
}

#[test]
fn paseo() {
    check_runtime("paseo.json");
}

#[test]
fn rococo() {
    check_runtime("rococo.json");
}

#[test]
fn polkadot_coretime() {
    check_runtime("polkadot-coretime.json");
}

#[test]
fn kusama_coretime() {
    check_runtime("kusama-coretime.json");
}

#[test]
fn node_template() {
    check_runtime("node-template.json");
}

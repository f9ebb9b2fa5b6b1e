//! Parsing, errors and round trips of small specs; property tests on untrusted input.

use proptest::prelude::*;
use serde_json::json;

use super::*;

/// A small raw spec with the given genesis (as JSON text).
fn spec_with_genesis(genesis: &str) -> String {
    format!(
        r#"{{
  "name": "Test",
  "id": "test",
  "chainType": "Local",
  "bootNodes": [],
  "telemetryEndpoints": null,
  "protocolId": null,
  "properties": null,
  "genesis": {genesis}
}}"#
    )
}

fn parse(text: &str) -> Result<ChainSpec, Error> {
    ChainSpec::from_json_bytes(text.as_bytes(), "test.json")
}

const CODE_HEX: &str = "0x3a636f6465";

#[test]
fn parses_all_known_fields() {
    let text = json!({
        "name": "Kusama",
        "id": "ksmcc3",
        "chainType": "Live",
        "bootNodes": ["/dns/a/tcp/1/p2p/x"],
        "telemetryEndpoints": [["wss://telemetry.polkadot.io/submit/", 0]],
        "protocolId": "ksmcc3",
        "forkId": "fork",
        "properties": {"ss58Format": 2, "tokenDecimals": 12, "tokenSymbol": "KSM"},
        "forkBlocks": [[5, format!("0x{}", "11".repeat(32))]],
        "badBlocks": [format!("0x{}", "22".repeat(32))],
        "codeSubstitutes": {"100": "0x0061736d"},
        "consensusEngine": null,
        "lightSyncState": null,
        "para_id": 1005,
        "genesis": {"raw": {
            "top": {CODE_HEX: "0x0102", "0xAA": "0x"},
            "childrenDefault": {"0x6b6964": {"0x01": "0x02"}}
        }}
    })
    .to_string();
    let spec = parse(&text).unwrap();
    assert_eq!(spec.name, "Kusama");
    assert_eq!(spec.id, "ksmcc3");
    assert_eq!(spec.chain_type, ChainType::Live);
    assert_eq!(spec.boot_nodes, ["/dns/a/tcp/1/p2p/x"]);
    assert_eq!(
        spec.telemetry_endpoints,
        Some(vec![("wss://telemetry.polkadot.io/submit/".to_owned(), 0)])
    );
    assert_eq!(spec.protocol_id.as_deref(), Some("ksmcc3"));
    assert_eq!(spec.fork_id.as_deref(), Some("fork"));
    assert_eq!(spec.properties.as_ref().unwrap()["tokenSymbol"], "KSM");
    assert_eq!(spec.fork_blocks, Some(vec![(5, [0x11; 32])]));
    assert_eq!(spec.bad_blocks, Some(vec![[0x22; 32]]));
    assert_eq!(spec.code_substitutes[&100], b"\0asm");
    assert_eq!(spec.extensions.len(), 2, "{:?}", spec.extensions);
    assert_eq!(spec.extensions["para_id"], 1005);
    assert_eq!(spec.extensions["lightSyncState"], Value::Null);
    assert_eq!(spec.origin(), "test.json");

    let storage = spec.genesis_storage().unwrap();
    assert_eq!(storage.top[&b":code"[..]], [1, 2]);
    assert_eq!(storage.top[&[0xaa][..]], b"");
    assert_eq!(storage.children_default[&b"kid"[..]][&[1][..]], [2]);
    assert_eq!(spec.runtime_code().unwrap(), [1, 2]);

    // Written back and read again: the same spec.
    let again = parse(&spec.to_json(true).unwrap()).unwrap();
    assert_eq!(again, spec);
}

#[test]
fn optional_fields_default_like_substrate() {
    let spec = parse(r#"{"name": "N", "id": "i", "genesis": {"raw": {"top": {}}}}"#).unwrap();
    assert_eq!(spec.chain_type, ChainType::Live);
    assert!(spec.boot_nodes.is_empty());
    assert_eq!(spec.telemetry_endpoints, None);
    assert_eq!(spec.properties, None);
    assert!(spec.code_substitutes.is_empty());
    assert!(spec.extensions.is_empty());
    let storage = spec.genesis_storage().unwrap();
    assert!(storage.top.is_empty() && storage.children_default.is_empty());
    assert_eq!(
        spec.genesis_state_root(StateVersion::V0).unwrap(),
        trie::EMPTY_TRIE_ROOT
    );
}

#[test]
fn chain_types() {
    for (json, expected) in [
        (r#""Development""#, ChainType::Development),
        (r#""Local""#, ChainType::Local),
        (r#""Live""#, ChainType::Live),
        (r#"{"Custom": "mine"}"#, ChainType::Custom("mine".into())),
    ] {
        let text = format!(
            r#"{{"name": "N", "id": "i", "chainType": {json}, "genesis": {{"raw": {{"top": {{}}}}}}}}"#
        );
        let spec = parse(&text).unwrap();
        assert_eq!(spec.chain_type, expected);
        assert_eq!(parse(&spec.to_json(true).unwrap()).unwrap(), spec);
    }
    let text =
        r#"{"name": "N", "id": "i", "chainType": "Testnet", "genesis": {"raw": {"top": {}}}}"#;
    let Error::Invalid { path, message, .. } = parse(text).unwrap_err() else {
        panic!("expected Invalid")
    };
    assert_eq!(path.to_string(), "chainType");
    assert!(message.contains("unknown variant `Testnet`"), "{message}");
}

#[test]
fn broken_json_reports_file_line_and_column() {
    let text = "{\n  \"name\": \"N\",\n  \"id\" \"i\"\n}";
    let err = parse(text).unwrap_err();
    let Error::Syntax {
        ref file,
        line,
        column,
        ref message,
    } = err
    else {
        panic!("expected Syntax, got {err:?}")
    };
    assert_eq!((file.as_str(), line, column), ("test.json", 3, 8));
    assert!(message.contains("expected `:`"), "{message}");
    assert_eq!(err.to_string(), "test.json:3:8: invalid JSON: expected `:`");

    // Truncated input: an EOF error, with position.
    let full = spec_with_genesis(r#"{"raw": {"top": {"0x00": "0x01"}}}"#);
    let err = parse(&full[..full.len() - 10]).unwrap_err();
    assert!(matches!(err, Error::Syntax { line: 9, .. }), "{err}");
    assert!(err.to_string().contains("EOF"), "{err}");

    // Trailing garbage after the document.
    let err = parse(&format!(
        "{} x",
        spec_with_genesis(r#"{"raw": {"top": {}}}"#)
    ))
    .unwrap_err();
    assert!(matches!(err, Error::Syntax { .. }), "{err}");
}

#[test]
fn bad_hex_value_reports_path_and_char_index() {
    // char 17 of the value is the 'g'
    let value = "0x000102030405060g0809";
    assert_eq!(value.chars().nth(17), Some('g'));
    let text = spec_with_genesis(&format!(
        r#"{{"raw": {{"top": {{"0x00": "0x", "{CODE_HEX}": "{value}"}}}}}}"#
    ));
    let err = parse(&text).unwrap_err();
    let Error::Hex {
        ref file,
        ref path,
        target,
        ref error,
        line,
        ..
    } = err
    else {
        panic!("expected Hex, got {err:?}")
    };
    assert_eq!(file, "test.json");
    assert_eq!(path.to_string(), r#"genesis.raw.top["0x3a636f6465"]"#);
    assert_eq!(target, HexTarget::Value);
    assert_eq!(
        (error.index, &error.kind),
        (17, &HexErrorKind::InvalidChar('g'))
    );
    assert_eq!(line, 9);
    let shown = err.to_string();
    assert!(
        shown.starts_with(r#"test.json: genesis.raw.top["0x3a636f6465"]: invalid hex at char 17"#),
        "{shown}"
    );
    assert!(shown.contains("in the value (line 9, column"), "{shown}");
}

#[test]
fn bad_hex_key_reports_the_key_as_written() {
    let text = spec_with_genesis(r#"{"raw": {"top": {"0x3A63zz": "0x00"}}}"#);
    let err = parse(&text).unwrap_err();
    let Error::Hex {
        path,
        target,
        error,
        ..
    } = err
    else {
        panic!("expected Hex, got {err:?}")
    };
    assert_eq!(path.to_string(), r#"genesis.raw.top["0x3A63zz"]"#);
    assert_eq!(target, HexTarget::Key);
    assert_eq!(error.index, 6);
}

#[test]
fn bad_hex_in_children_and_odd_lengths() {
    let text = spec_with_genesis(
        r#"{"raw": {"top": {}, "childrenDefault": {"0x6b6964": {"0x01": "0x123"}}}}"#,
    );
    let Error::Hex { path, error, .. } = parse(&text).unwrap_err() else {
        panic!("expected Hex")
    };
    assert_eq!(
        path.to_string(),
        r#"genesis.raw.childrenDefault["0x6b6964"]["0x01"]"#
    );
    assert_eq!((error.index, error.kind), (5, HexErrorKind::OddLength(3)));

    let text = spec_with_genesis(r#"{"raw": {"top": {}, "childrenDefault": {"0xkid": {}}}}"#);
    let Error::Hex { path, target, .. } = parse(&text).unwrap_err() else {
        panic!("expected Hex")
    };
    assert_eq!(path.to_string(), r#"genesis.raw.childrenDefault["0xkid"]"#);
    assert_eq!(target, HexTarget::Key);
}

#[test]
fn wrong_types_report_their_path() {
    let text = spec_with_genesis(r#"{"raw": {"top": {"0x00": 5}}}"#);
    let err = parse(&text).unwrap_err();
    let Error::Invalid { path, message, .. } = &err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(path.to_string(), r#"genesis.raw.top["0x00"]"#);
    assert!(
        message.contains("expected a 0x-prefixed hex string"),
        "{message}"
    );

    let err = parse(r#"{"name": 5, "id": "i", "genesis": {"raw": {"top": {}}}}"#).unwrap_err();
    let Error::Invalid { path, .. } = &err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(path.to_string(), "name");

    let err = parse("[1, 2]").unwrap_err();
    let Error::Invalid { path, message, .. } = &err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(path.to_string(), "(document)");
    assert!(message.contains("expected a chain spec"), "{message}");

    let err = parse(
        r#"{"name": "N", "id": "i", "badBlocks": ["0x00"], "genesis": {"raw": {"top": {}}}}"#,
    )
    .unwrap_err();
    let Error::Invalid { path, message, .. } = &err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(path.to_string(), "badBlocks");
    assert!(message.contains("expected 32 bytes"), "{message}");
}

#[test]
fn missing_genesis_and_missing_fields() {
    let err = parse(r#"{"name": "N", "id": "i", "bootNodes": []}"#).unwrap_err();
    let Error::Invalid { file, message, .. } = &err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(file, "test.json");
    assert_eq!(message, "missing field `genesis`");
    assert!(err.to_string().starts_with("test.json: "), "{err}");

    let err = parse(r#"{"id": "i", "genesis": {"raw": {"top": {}}}}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `name`"), "{err}");

    let err = parse(&spec_with_genesis("{}")).unwrap_err();
    let Error::Invalid { path, message, .. } = &err else {
        panic!("expected Invalid, got {err:?}")
    };
    assert_eq!(path.to_string(), "genesis");
    assert!(message.contains("empty genesis"), "{message}");

    let err = parse(&spec_with_genesis(r#"{"raw": {}}"#)).unwrap_err();
    assert!(
        err.to_string().contains("genesis.raw: missing field `top`"),
        "{err}"
    );

    let err = parse(&spec_with_genesis(
        r#"{"raw": {"top": {}, "childrenOther": {}}}"#,
    ))
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown field `childrenOther`"),
        "{err}"
    );

    let err = parse(&spec_with_genesis(r#"{"magic": {}}"#)).unwrap_err();
    assert!(err.to_string().contains("unknown variant `magic`"), "{err}");
}

#[test]
fn duplicates_are_rejected() {
    let err = parse(r#"{"name": "N", "name": "M", "id": "i", "genesis": {"raw": {"top": {}}}}"#)
        .unwrap_err();
    assert!(err.to_string().contains("duplicate field `name`"), "{err}");

    // The same key spelled twice.
    let text = spec_with_genesis(r#"{"raw": {"top": {"0xab": "0x01", "0xAB": "0x02"}}}"#);
    let Error::Invalid { path, message, .. } = parse(&text).unwrap_err() else {
        panic!("expected Invalid")
    };
    assert_eq!(path.to_string(), r#"genesis.raw.top["0xab"]"#);
    assert_eq!(message, "duplicate storage key");

    let text = spec_with_genesis(r#"{"raw": {"top": {}}, "stateRootHash": "0x00"}"#);
    let err = parse(&text).unwrap_err();
    assert!(
        err.to_string().contains("expected exactly one form"),
        "{err}"
    );

    let text = r#"{"name": "N", "id": "i", "x": 1, "x": 2, "genesis": {"raw": {"top": {}}}}"#;
    let Error::Invalid { path, .. } = parse(text).unwrap_err() else {
        panic!("expected Invalid")
    };
    assert_eq!(path.to_string(), "x");
}

#[test]
fn state_root_hash_form_reads_but_has_no_storage() {
    let root = format!("0x{}", "ab".repeat(32));
    let text = spec_with_genesis(&format!(r#"{{"stateRootHash": "{root}"}}"#));
    let spec = parse(&text).unwrap();
    assert_eq!(spec.genesis, Genesis::StateRootHash([0xab; 32]));
    for err in [
        spec.genesis_storage().unwrap_err(),
        spec.runtime_code().unwrap_err(),
        spec.to_json(true).unwrap_err(),
        spec.clone().into_genesis_storage().unwrap_err(),
    ] {
        assert!(matches!(err, Error::NoGenesisStorage { .. }), "{err:?}");
        let shown = err.to_string();
        assert!(
            shown.starts_with("test.json: genesis.stateRootHash: "),
            "{shown}"
        );
        assert!(shown.contains("no genesis storage"), "{shown}");
    }
    // The header needs only the root, in any state version.
    let header = spec.genesis_header(StateVersion::V0).unwrap();
    assert_eq!(header, crate::header::genesis([0xab; 32]));
    assert_eq!(spec.genesis_hash(StateVersion::V1).unwrap(), header.hash());
    // Printed as it is held, and read back equal.
    assert_eq!(parse(&spec.to_json(false).unwrap()).unwrap(), spec);

    let text = spec_with_genesis(r#"{"stateRootHash": "0x1234"}"#);
    let err = parse(&text).unwrap_err();
    assert!(
        err.to_string()
            .contains("genesis.stateRootHash: expected 32 bytes"),
        "{err}"
    );
}

#[test]
fn non_raw_genesis_is_kept_but_cannot_build_storage() {
    let text =
        spec_with_genesis(r#"{"runtimeGenesis": {"code": "0x00", "patch": {"balances": {}}}}"#);
    let spec = parse(&text).unwrap();
    let Genesis::NotRaw { form, value } = &spec.genesis else {
        panic!("expected NotRaw")
    };
    assert_eq!(form, "runtimeGenesis");
    assert_eq!(value["code"], "0x00");
    let err = spec.genesis_hash(StateVersion::V1).unwrap_err();
    assert!(matches!(err, Error::NonRawGenesis { .. }), "{err:?}");
    assert!(err.to_string().contains("genesis builder"), "{err}");
    assert!(matches!(
        spec.to_json(true),
        Err(Error::NonRawGenesis { .. })
    ));
    assert_eq!(parse(&spec.to_json(false).unwrap()).unwrap(), spec);
}

#[test]
fn spec_without_code_parses_but_cannot_run() {
    let text = spec_with_genesis(r#"{"raw": {"top": {"0x01": "0x02"}, "childrenDefault": {}}}"#);
    let spec = parse(&text).unwrap();
    assert_eq!(spec.genesis_storage().unwrap().top.len(), 1);
    spec.genesis_hash(StateVersion::V0).unwrap();
    let err = spec.runtime_code().unwrap_err();
    assert!(matches!(err, Error::MissingCode { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "test.json: genesis.raw.top has no `:code` key (0x3a636f6465): the spec can be \
         inspected but not run"
    );
}

#[test]
fn child_storage_keys_in_top_are_rejected() {
    let key = hex::encode(b":child_storage:default:kid");
    let text = spec_with_genesis(&format!(r#"{{"raw": {{"top": {{"{key}": "0x00"}}}}}}"#));
    let spec = parse(&text).unwrap();
    let err = spec.genesis_state_root(StateVersion::V0).unwrap_err();
    assert!(matches!(err, Error::ChildKeyInTop { .. }), "{err:?}");
    assert!(err.to_string().contains(&key), "{err}");
}

#[test]
fn code_substitutes() {
    let text = r#"{"name": "N", "id": "i", "codeSubstitutes": {"7": "0x01", "12": "0x0203"}, "genesis": {"raw": {"top": {}}}}"#;
    let spec = parse(text).unwrap();
    assert_eq!(spec.code_substitutes.len(), 2);
    assert_eq!(spec.code_substitutes[&12], [2, 3]);
    assert_eq!(parse(&spec.to_json(true).unwrap()).unwrap(), spec);

    let text = r#"{"name": "N", "id": "i", "codeSubstitutes": {"x": "0x01"}, "genesis": {"raw": {"top": {}}}}"#;
    let Error::Invalid { path, message, .. } = parse(text).unwrap_err() else {
        panic!("expected Invalid")
    };
    assert_eq!(path.to_string(), r#"codeSubstitutes["x"]"#);
    assert!(message.contains("not a block number"), "{message}");

    let text = r#"{"name": "N", "id": "i", "codeSubstitutes": {"7": "0x0q"}, "genesis": {"raw": {"top": {}}}}"#;
    let Error::Hex { path, error, .. } = parse(text).unwrap_err() else {
        panic!("expected Hex")
    };
    assert_eq!(path.to_string(), r#"codeSubstitutes["7"]"#);
    assert_eq!(error.index, 3);
}

#[test]
fn io_errors_name_the_file() {
    let err = ChainSpec::from_json_file("/nonexistent/westend.json").unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(
        err.to_string().starts_with("/nonexistent/westend.json: "),
        "{err}"
    );
    assert_eq!(err.file(), "/nonexistent/westend.json");
}

#[test]
fn json_escapes_in_hex_strings_are_decoded() {
    // "\u0030x01" is "0x01" with an escape: serde_json hands it over unescaped.
    let text = spec_with_genesis(r#"{"raw": {"top": {"\u0030x01": "0x\u0030\u0032"}}}"#);
    let spec = parse(&text).unwrap();
    assert_eq!(spec.genesis_storage().unwrap().top[&[1][..]], [2]);
}

#[test]
fn extension_named_like_a_known_field_is_not_written_twice() {
    let mut spec = dev();
    spec.extensions.insert("name".into(), json!("shadow"));
    spec.extensions
        .insert("relay_chain".into(), json!("rococo"));
    let json: Value = serde_json::from_str(&spec.to_json(true).unwrap()).unwrap();
    assert_eq!(json["name"], "Development");
    assert_eq!(json["relay_chain"], "rococo");
}

// ---- the dev spec ----

#[test]
fn dev_spec_contents() {
    let spec = dev();
    assert_eq!(spec.name, "Development");
    assert_eq!(spec.id, "dev");
    assert_eq!(spec.chain_type, ChainType::Development);
    assert_eq!(
        Value::Object(spec.properties.clone().unwrap()),
        json!({"tokenDecimals": 12, "tokenSymbol": "UNIT", "ss58Format": 42})
    );
    let storage = spec.genesis_storage().unwrap();
    let dev_storage = runtime_wasm::genesis::dev_genesis_storage();
    assert_eq!(
        storage.top.len(),
        dev_storage.len() + 1,
        ":code and the dev accounts"
    );
    assert!(dev_storage
        .iter()
        .all(|(k, v)| storage.top.get(k) == Some(v)));
    assert!(storage.children_default.is_empty());
    assert_eq!(spec.runtime_code().unwrap(), runtime_wasm::WASM_BINARY_V1);
    assert_eq!(spec.origin(), DEV_ORIGIN);
}

#[test]
fn dev_spec_round_trips_through_a_file() {
    let spec = dev();
    let dir = tempfile::tempdir().unwrap();
    for raw in [true, false] {
        let path = dir.path().join(format!("dev-{raw}.json"));
        std::fs::write(&path, spec.to_json(raw).unwrap()).unwrap();
        let read = ChainSpec::from_json_file(&path).unwrap();
        assert_eq!(read, spec);
        assert_eq!(read.origin(), path.display().to_string());
        for version in [StateVersion::V0, StateVersion::V1] {
            assert_eq!(
                read.genesis_hash(version).unwrap(),
                spec.genesis_hash(version).unwrap()
            );
        }
    }
    // Without a genesis builder, the plain form is the raw form.
    assert_eq!(spec.to_json(false).unwrap(), spec.to_json(true).unwrap());
}

#[test]
fn dev_spec_json_layout() {
    let json: Value = serde_json::from_str(&dev().to_json(true).unwrap()).unwrap();
    assert_eq!(json["name"], "Development");
    assert_eq!(json["id"], "dev");
    assert_eq!(json["chainType"], "Development");
    assert_eq!(json["bootNodes"], json!([]));
    assert_eq!(json["telemetryEndpoints"], Value::Null);
    assert_eq!(json["protocolId"], Value::Null);
    assert_eq!(json["codeSubstitutes"], json!({}));
    assert_eq!(json["genesis"]["raw"]["childrenDefault"], json!({}));
    let top = json["genesis"]["raw"]["top"].as_object().unwrap();
    assert_eq!(
        top.len(),
        runtime_wasm::genesis::dev_genesis_storage().len() + 1
    );
    let code = top[CODE_HEX].as_str().unwrap();
    assert!(
        code.starts_with("0x0061736d"),
        "wasm magic: {}",
        &code[..10]
    );
}

// ---- untrusted input ----

/// A valid spec exercising most fields, as bytes.
fn sample_spec() -> Vec<u8> {
    json!({
        "name": "Test",
        "id": "test",
        "chainType": {"Custom": "c"},
        "bootNodes": ["/ip4/1.2.3.4/tcp/30333/p2p/x"],
        "telemetryEndpoints": [["wss://t/", 1]],
        "protocolId": "p",
        "properties": {"tokenDecimals": 15},
        "badBlocks": [format!("0x{}", "22".repeat(32))],
        "codeSubstitutes": {"3": "0x0061736d"},
        "ext": {"nested": [1, 2, {"a": null}]},
        "genesis": {"raw": {
            "top": {CODE_HEX: "0x0061736d01000000", "0x0102": "0x0304"},
            "childrenDefault": {"0x6b6964": {"0x01": "0x02", "0x03": "0x"}}
        }}
    })
    .to_string()
    .into_bytes()
}

/// Parses untrusted bytes the way the node would and uses every accessor; must not panic.
fn exercise(bytes: &[u8]) -> Result<(), TestCaseError> {
    match ChainSpec::from_json_bytes(bytes, "fuzz.json") {
        Ok(spec) => {
            let _ = spec.runtime_code();
            let _ = spec.genesis_hash(StateVersion::V0);
            let _ = spec.genesis_hash(StateVersion::V1);
            if let Ok(json) = spec.to_json(false) {
                let again = ChainSpec::from_json_bytes(json.as_bytes(), "again.json").ok();
                prop_assert_eq!(again.as_ref(), Some(&spec), "re-read differs");
            }
        }
        Err(err) => {
            prop_assert_eq!(err.file(), "fuzz.json");
            prop_assert!(err.to_string().starts_with("fuzz.json"), "{}", err);
        }
    }
    Ok(())
}

#[test]
fn sample_spec_is_valid() {
    let spec = ChainSpec::from_json_bytes(&sample_spec(), "sample.json").unwrap();
    assert_eq!(spec.chain_type, ChainType::Custom("c".into()));
    exercise(&sample_spec()).unwrap();
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!(
        r#"{{"name": "N", "id": "i", "x": {}{}, "genesis": {{"raw": {{"top": {{}}}}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let err = parse(&deep).unwrap_err();
    assert!(err.to_string().contains("recursion limit"), "{err}");
}

/// Random storage maps.
fn storage_map() -> impl Strategy<Value = StorageMap> {
    proptest::collection::btree_map(
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(any::<u8>(), 0..80),
        0..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes)?;
    }

    #[test]
    fn mutated_specs_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = sample_spec();
        for (index, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let at = index.index(bytes.len());
            match op {
                0 => bytes[at] = byte,
                1 => { bytes.remove(at); }
                _ => bytes.insert(at, byte),
            }
        }
        exercise(&bytes)?;
    }

    #[test]
    fn truncated_specs_are_errors(cut in 0usize..1000) {
        let bytes = sample_spec();
        let cut = cut % bytes.len();
        let err = ChainSpec::from_json_bytes(&bytes[..cut], "cut.json").unwrap_err();
        prop_assert!(matches!(err, Error::Syntax { .. }), "{:?}", err);
    }

    #[test]
    fn arbitrary_genesis_storage_round_trips(
        top in storage_map(),
        children in proptest::collection::btree_map(
            proptest::collection::vec(any::<u8>(), 0..10), storage_map(), 0..3),
    ) {
        let spec = ChainSpec::new(
            "N", "i", ChainType::Local,
            Genesis::Raw(GenesisStorage { top, children_default: children }),
            "generated",
        );
        let json = spec.to_json(true).unwrap();
        let read = ChainSpec::from_json_bytes(json.as_bytes(), "generated.json").unwrap();
        prop_assert_eq!(&read, &spec);
        // Child key collisions with `:child_storage:` in top are impossible here only by
        // chance; compare the roots whenever both sides compute them.
        for version in [StateVersion::V0, StateVersion::V1] {
            let (a, b) = (read.genesis_hash(version).ok(), spec.genesis_hash(version).ok());
            prop_assert_eq!(a, b);
        }
    }
}

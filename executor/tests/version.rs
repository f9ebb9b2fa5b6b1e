//! Reading a runtime's version: custom sections first, `Core_version` otherwise.

use codec::Encode;
use executor::{
    externalities::InMemoryExternalities, Executor, ExecutorConfig, RuntimeCode, RuntimeVersion,
    CORE_API_ID,
};

fn version() -> RuntimeVersion {
    RuntimeVersion {
        spec_name: "sectionless".into(),
        impl_name: "test".into(),
        authoring_version: 1,
        spec_version: 3,
        impl_version: 0,
        apis: vec![(CORE_API_ID, 5)],
        transaction_version: 2,
        system_version: 1,
    }
}

/// A runtime without version sections whose `Core_version` returns `encoded`.
fn sectionless_runtime(encoded: &[u8]) -> Vec<u8> {
    let data: String = encoded.iter().map(|b| format!("\\{b:02x}")).collect();
    wat::parse_str(format!(
        r#"(module
            (import "env" "memory" (memory 1))
            (global (export "__heap_base") i32 (i32.const 4096))
            (data (i32.const 64) "{data}")
            (func (export "Core_version") (param i32 i32) (result i64)
                (i64.or (i64.const 64) (i64.shl (i64.const {len}) (i64.const 32)))))"#,
        len = encoded.len()
    ))
    .unwrap()
}

#[test]
fn falls_back_to_core_version() {
    let executor = Executor::new(ExecutorConfig::default()).unwrap();
    let code = sectionless_runtime(&version().encode());
    let code = RuntimeCode::from_bytes(&code);
    assert_eq!(executor.runtime_version(&code).unwrap(), version());
    // Asked again, the version is remembered with the cached runtime.
    assert_eq!(executor.runtime_version(&code).unwrap(), version());
    let output = executor
        .call(
            &code,
            "Core_version",
            &[],
            &mut InMemoryExternalities::new(),
        )
        .unwrap();
    assert_eq!(output, version().encode());
}

#[test]
fn undecodable_version_is_an_error() {
    let executor = Executor::new(ExecutorConfig::default()).unwrap();
    let code = sectionless_runtime(&[1, 2, 3]);
    let err = executor
        .runtime_version(&RuntimeCode::from_bytes(&code))
        .unwrap_err();
    assert!(matches!(err, executor::Error::Version(_)), "{err}");
}

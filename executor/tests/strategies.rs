//! Every instantiation strategy gives byte-identical results on the project's runtime, call
//! after call and across threads, and no call sees what an earlier one left behind.

use std::{sync::Arc, thread};

use codec::{Decode, Encode};
use common::call;
use executor::{
    externalities::InMemoryExternalities, Error, Executor, ExecutorConfig, InstantiationStrategy,
    RuntimeCode, RuntimeVersion,
};
use runtime_wasm::{entry_points as api, WASM_BINARY_V1};

mod common;

fn executor(strategy: InstantiationStrategy) -> Executor {
    Executor::new(ExecutorConfig {
        strategy,
        ..Default::default()
    })
    .unwrap()
}

/// The calls whose outputs must not depend on the strategy or on earlier calls.
fn isolation_calls() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (api::TEST_EMPTY, vec![]),
        (api::TEST_COUNTER, vec![]),
        (api::TEST_DIRTY_PAGES, 4u32.encode()),
        (api::TEST_ALLOCATE, 100_000u32.encode()),
        (api::TEST_RECURSE, 1_000u32.encode()),
        (api::TEST_HASHES, b"hello".to_vec().encode()),
        (
            api::TEST_STORAGE_ROUNDTRIP,
            (b"key".to_vec(), b"value".to_vec()).encode(),
        ),
        (api::TEST_SPEC_VERSION, vec![]),
        (api::CORE_VERSION, vec![]),
    ]
}

/// Output of every isolation call under `strategy`, checked to repeat `rounds` times.
fn outputs(executor: &Executor, rounds: usize) -> Vec<Vec<u8>> {
    let calls = isolation_calls();
    let first: Vec<Vec<u8>> = calls
        .iter()
        .map(|(method, input)| call(executor, method, input).unwrap())
        .collect();
    for round in 1..rounds {
        for ((method, input), expected) in calls.iter().zip(&first) {
            let output = call(executor, method, input).unwrap();
            assert_eq!(
                &output,
                expected,
                "{}: {method} changed on round {round}",
                executor.strategy()
            );
        }
    }
    first
}

#[test]
fn fresh_instances_look_fresh() {
    for strategy in InstantiationStrategy::ALL {
        let executor = executor(strategy);
        for _ in 0..3 {
            let counter = call(&executor, api::TEST_COUNTER, &[]).unwrap();
            assert_eq!(
                <(u64, u64)>::decode(&mut &counter[..]).unwrap(),
                (1, 42),
                "{strategy}"
            );
            let dirty = call(&executor, api::TEST_DIRTY_PAGES, &16u32.encode()).unwrap();
            assert_eq!(
                <(u64, u64)>::decode(&mut &dirty[..]).unwrap(),
                (0, 256),
                "{strategy}: memory was dirty"
            );
        }
    }
}

#[test]
fn outputs_are_identical_across_strategies_1000_calls_each() {
    let reference = outputs(&executor(InstantiationStrategy::RecreateInstance), 1);
    for strategy in InstantiationStrategy::ALL {
        assert_eq!(
            outputs(&executor(strategy), 1000 / isolation_calls().len()),
            reference,
            "{strategy}"
        );
        let executor = executor(strategy);
        for _ in 0..1000 {
            let counter = call(&executor, api::TEST_COUNTER, &[]).unwrap();
            assert_eq!(
                <(u64, u64)>::decode(&mut &counter[..]).unwrap(),
                (1, 42),
                "{strategy}: the counter leaked"
            );
        }
    }
}

#[test]
fn outputs_are_identical_from_two_threads() {
    let reference = outputs(&executor(InstantiationStrategy::RecreateInstance), 1);
    for strategy in InstantiationStrategy::ALL {
        let executor = Arc::new(executor(strategy));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let executor = executor.clone();
                thread::spawn(move || outputs(&executor, 50))
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), reference, "{strategy}");
        }
    }
}

#[test]
fn storage_changes_are_identical_across_strategies() {
    let input = (b"key".to_vec(), b"value".to_vec()).encode();
    let run = |strategy| {
        let mut ext =
            InMemoryExternalities::from_pairs(vec![(b"existing".to_vec(), b"1".to_vec())]);
        let output = executor(strategy)
            .call(
                &RuntimeCode::from_bytes(WASM_BINARY_V1),
                api::TEST_STORAGE_ROUNDTRIP,
                &input,
                &mut ext,
            )
            .unwrap();
        (output, ext.into_changes())
    };
    let reference = run(InstantiationStrategy::RecreateInstance);
    assert!(!reference.1.top.is_empty(), "the round trip writes storage");
    for strategy in InstantiationStrategy::ALL {
        assert_eq!(run(strategy), reference, "{strategy}");
    }
}

#[test]
fn recreating_instances_10001_times_exhausts_nothing() {
    let executor = executor(InstantiationStrategy::RecreateInstance);
    for _ in 0..10_001 {
        assert_eq!(
            call(&executor, api::TEST_EMPTY, &[]).unwrap(),
            Vec::<u8>::new()
        );
    }
}

#[test]
fn version_from_sections_equals_core_version() {
    let executor = executor(InstantiationStrategy::default());
    let from_sections = executor
        .runtime_version(&RuntimeCode::from_bytes(WASM_BINARY_V1))
        .unwrap();
    let output = call(&executor, api::CORE_VERSION, &[]).unwrap();
    assert_eq!(
        RuntimeVersion::decode(&mut &output[..]).unwrap(),
        from_sections
    );
    assert_eq!(from_sections.spec_name, runtime_wasm::version::SPEC_NAME);
    assert_eq!(
        from_sections.spec_version,
        runtime_wasm::version::SPEC_VERSION_V1
    );
    assert_eq!(
        from_sections.encode(),
        output,
        "our encoding is sp-version's"
    );
    assert!(executor
        .missing_host_functions(&RuntimeCode::from_bytes(WASM_BINARY_V1))
        .unwrap()
        .is_empty());
}

#[test]
fn runtime_panics_and_loops_fail_the_same_way_everywhere() {
    let message = "strategies agree".to_string().encode();
    for strategy in InstantiationStrategy::ALL {
        let executor = executor(strategy);
        let err = call(&executor, api::TEST_PANIC, &message).unwrap_err();
        assert!(
            matches!(&err, Error::RuntimePanic(m) if m.ends_with("strategies agree")),
            "{strategy}: {err:?}"
        );
        let err = executor
            .call_with_deadline(
                &RuntimeCode::from_bytes(WASM_BINARY_V1),
                api::TEST_INFINITE_LOOP,
                &[],
                &mut InMemoryExternalities::new(),
                std::time::Duration::from_millis(20),
            )
            .unwrap_err();
        assert!(matches!(err, Error::Timeout(_)), "{strategy}: {err:?}");
        // Logging goes through the host and leaves no trace in the output.
        assert_eq!(
            call(&executor, api::TEST_LOG, &"hello".to_string().encode()).unwrap(),
            Vec::<u8>::new()
        );
        assert_eq!(
            <(u64, u64)>::decode(&mut &call(&executor, api::TEST_COUNTER, &[]).unwrap()[..])
                .unwrap(),
            (1, 42),
            "{strategy}: a failed call leaked into the next"
        );
    }
}

//! Bad runtimes and bad calls: each gives its own error, and the executor keeps serving.

use std::time::{Duration, Instant};

use executor::{
    allocator::AllocatorError, externalities::InMemoryExternalities, Error, Executor,
    ExecutorConfig, InstantiationStrategy, RuntimeCode,
};

/// A hand-written runtime with one export per way of failing.
const FAULTY_RUNTIME: &str = r#"(module
    (import "env" "memory" (memory 2))
    (import "env" "ext_allocator_malloc_version_1" (func $malloc (param i32) (result i32)))
    (import "env" "ext_panic_handler_abort_on_panic_version_1" (func $abort (param i64)))
    (import "env" "ext_logging_log_version_1" (func $log (param i32 i64 i64)))
    (import "env" "ext_not_provided_version_1" (func $missing (param i32)))
    (global (export "__heap_base") i32 (i32.const 1024))
    (data (i32.const 16) "boom")
    (data (i32.const 32) "runtime")

    (func $span (param $ptr i32) (param $len i32) (result i64)
        (i64.or (i64.extend_i32_u (local.get $ptr))
                (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 32))))

    (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
        (call $span (local.get $ptr) (local.get $len)))
    (func (export "wrong_signature") (param i32) (result i32) (local.get 0))
    (func (export "trap") (param i32 i32) (result i64) (unreachable))
    (func (export "divide_by_zero") (param i32 i32) (result i64)
        (drop (i32.div_u (i32.const 1) (local.get 1))) (i64.const 0))
    (func (export "panic") (param i32 i32) (result i64)
        (call $abort (call $span (i32.const 16) (i32.const 4))) (unreachable))
    (func (export "log_then_trap") (param i32 i32) (result i64)
        (call $log (i32.const 1) (call $span (i32.const 32) (i32.const 7)) (call $span (i32.const 16) (i32.const 4)))
        (unreachable))
    (func (export "call_missing") (param i32 i32) (result i64)
        (call $missing (i32.const 0)) (i64.const 0))
    (func (export "allocate_too_much") (param i32 i32) (result i64)
        (drop (call $malloc (i32.const 33554433))) (i64.const 0))
    (func (export "output_out_of_bounds") (param i32 i32) (result i64)
        (call $span (i32.const 0xfff0) (i32.const 0x7fffffff)))
    (func (export "loop_forever") (param i32 i32) (result i64)
        (loop $forever (br $forever)) (i64.const 0))
    (func $recurse (param $depth i32) (result i32)
        (if (result i32) (i32.eqz (local.get $depth))
            (then (i32.const 0))
            (else (i32.add (i32.const 1) (call $recurse (i32.sub (local.get $depth) (i32.const 1)))))))
    (func (export "recurse") (param $ptr i32) (param $len i32) (result i64)
        (i64.extend_i32_u (call $recurse (i32.load (local.get $ptr)))))
)"#;

fn runtime() -> Vec<u8> {
    wat::parse_str(FAULTY_RUNTIME).unwrap()
}

fn call(executor: &Executor, code: &[u8], method: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
    executor.call(
        &RuntimeCode::from_bytes(code),
        method,
        input,
        &mut InMemoryExternalities::new(),
    )
}

fn executor(strategy: InstantiationStrategy) -> Executor {
    Executor::new(ExecutorConfig {
        strategy,
        ..Default::default()
    })
    .unwrap()
}

/// After every failure the same executor still answers a good call correctly.
fn assert_still_serving(executor: &Executor, code: &[u8]) {
    assert_eq!(
        call(executor, code, "echo", b"still alive").unwrap(),
        b"still alive"
    );
}

#[test]
fn each_failure_has_its_own_error_and_the_executor_keeps_serving() {
    for strategy in InstantiationStrategy::ALL {
        let executor = executor(strategy);
        let code = runtime();
        assert_still_serving(&executor, &code);

        type Expectation = Box<dyn Fn(&Error) -> bool>;
        let cases: Vec<(&str, Expectation)> = vec![
            (
                "no_such_export",
                Box::new(|e| matches!(e, Error::MissingExport(name) if name == "no_such_export")),
            ),
            (
                "wrong_signature",
                Box::new(
                    |e| matches!(e, Error::WrongExportSignature { found, .. } if found.contains("i32")),
                ),
            ),
            (
                "trap",
                Box::new(|e| matches!(e, Error::Trap(m) if m.contains("unreachable"))),
            ),
            (
                "divide_by_zero",
                Box::new(|e| matches!(e, Error::Trap(m) if m.contains("divide by zero"))),
            ),
            (
                "panic",
                Box::new(|e| matches!(e, Error::RuntimePanic(m) if m == "boom")),
            ),
            (
                "log_then_trap",
                Box::new(|e| matches!(e, Error::RuntimePanic(m) if m == "boom")),
            ),
            (
                "call_missing",
                Box::new(|e| {
                    matches!(e, Error::MissingHostFunction(name) if name == "ext_not_provided_version_1")
                        && e.to_string()
                            == "call to a missing host function env:ext_not_provided_version_1"
                }),
            ),
            (
                "allocate_too_much",
                Box::new(|e| {
                    matches!(
                        e,
                        Error::Allocator(AllocatorError::RequestedAllocationTooLarge { .. })
                    )
                }),
            ),
            (
                "output_out_of_bounds",
                Box::new(|e| matches!(e, Error::OutputOutOfBounds { ptr: 0xfff0, .. })),
            ),
        ];
        for (method, expected) in cases {
            let err = call(&executor, &code, method, &[]).unwrap_err();
            assert!(expected(&err), "{strategy}: {method} gave {err:?}");
            assert_still_serving(&executor, &code);
        }
    }
}

#[test]
fn stack_boundary_is_deterministic() {
    // Pinned for a 1 MiB wasm stack and this recursive function: 10 000 frames fit, a million
    // do not.
    for strategy in InstantiationStrategy::ALL {
        let executor = executor(strategy);
        let code = runtime();
        let out = call(&executor, &code, "recurse", &10_000u32.to_le_bytes()).unwrap();
        assert_eq!(
            out.len(),
            0,
            "recurse returns its count in the pointer half: empty output"
        );
        let err = call(&executor, &code, "recurse", &1_000_000u32.to_le_bytes()).unwrap_err();
        assert!(
            matches!(err, Error::StackExhausted { limit: 1048576 }),
            "{strategy}: {err:?}"
        );
        assert_still_serving(&executor, &code);
    }
}

#[test]
fn infinite_loop_stops_at_its_deadline() {
    for strategy in InstantiationStrategy::ALL {
        let executor = executor(strategy);
        let code = runtime();
        let started = Instant::now();
        let err = executor
            .call_with_deadline(
                &RuntimeCode::from_bytes(&code),
                "loop_forever",
                &[],
                &mut InMemoryExternalities::new(),
                Duration::from_millis(50),
            )
            .unwrap_err();
        assert_eq!(err, Error::Timeout(Duration::from_millis(50)), "{strategy}");
        // Not a timing assertion on speed: only that the call did stop.
        assert!(started.elapsed() < Duration::from_secs(60));
        assert_still_serving(&executor, &code);
    }
}

#[test]
fn invalid_code_is_named() {
    let executor = executor(InstantiationStrategy::default());
    let err = call(&executor, b"definitely not wasm", "echo", &[]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidBlob(ref m) if m.contains("magic")),
        "{err}"
    );

    let mut truncated = runtime();
    truncated.truncate(truncated.len() - 20);
    let err = call(&executor, &truncated, "echo", &[]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidBlob(_) | Error::Compilation(_)),
        "{err}"
    );

    // A post-MVP instruction (bulk memory) is rejected by the deterministic engine.
    let bulk = wat::parse_str(
        r#"(module (import "env" "memory" (memory 1)) (global (export "__heap_base") i32 (i32.const 0))
            (func (export "f") (param i32 i32) (result i64)
                (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)) (i64.const 0)))"#,
    )
    .unwrap();
    let err = call(&executor, &bulk, "f", &[]).unwrap_err();
    assert!(
        matches!(err, Error::Compilation(ref m) if m.contains("bulk memory")),
        "{err}"
    );
    assert_still_serving(&executor, &runtime());
}

#[test]
fn compression_bomb_is_refused() {
    let executor = executor(InstantiationStrategy::default());
    let zeros = vec![0u8; sp_maybe_compressed_blob::CODE_BLOB_BOMB_LIMIT + 1];
    // compress() refuses inputs over its limit, so build the frame with a larger one.
    let bomb = sp_maybe_compressed_blob::compress_weakly(&zeros, usize::MAX - 1).unwrap();
    let err = call(&executor, &bomb, "echo", &[]).unwrap_err();
    assert_eq!(
        err,
        Error::CompressionBomb {
            limit: sp_maybe_compressed_blob::CODE_BLOB_BOMB_LIMIT
        }
    );
    assert_still_serving(&executor, &runtime());
}

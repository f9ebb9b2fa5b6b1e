//! Heap sizes: `:heappages` and the configured default are applied at instantiation, and every
//! strategy presents the same memory to the runtime.

use executor::{
    externalities::InMemoryExternalities, Error, Executor, ExecutorConfig, HeapAllocStrategy,
    InstantiationStrategy, RuntimeCode,
};

/// Reports `memory.size` and the result of the runtime's own `memory.grow(1)`, as two i32s.
const MEMORY_PROBE: &str = r#"(module
    (import "env" "memory" (memory 3))
    (global (export "__heap_base") i32 (i32.const 1024))
    (func (export "probe") (param i32 i32) (result i64)
        (i32.store (i32.const 0) (memory.size))
        (i32.store (i32.const 4) (memory.grow (i32.const 1)))
        (i64.shl (i64.const 8) (i64.const 32)))
)"#;

/// (pages at the start of the call, what the runtime's `memory.grow(1)` returned).
fn probe(executor: &Executor, heap_pages: Option<u64>) -> (u32, i32) {
    let wasm = wat::parse_str(MEMORY_PROBE).unwrap();
    let code = RuntimeCode::from_bytes(&wasm).with_heap_pages(heap_pages);
    let out = executor
        .call(&code, "probe", &[], &mut InMemoryExternalities::new())
        .unwrap();
    (
        u32::from_le_bytes(out[..4].try_into().unwrap()),
        i32::from_le_bytes(out[4..].try_into().unwrap()),
    )
}

#[test]
fn static_heap_is_the_memory_size_and_cannot_grow() {
    for strategy in InstantiationStrategy::ALL {
        let executor = Executor::new(ExecutorConfig {
            strategy,
            ..Default::default()
        })
        .unwrap();
        // 3 declared pages + 2048 extra; the runtime itself cannot grow a static heap.
        assert_eq!(probe(&executor, None), (2051, -1), "{strategy}");
        // A larger :heappages is grown into at instantiation: no recompilation.
        assert_eq!(probe(&executor, Some(4096)), (4099, -1), "{strategy}");
        assert_eq!(executor.cache_stats().compilations, 1, "{strategy}");
        // A smaller one needs a memory that starts smaller: compiled once more, then cached.
        assert_eq!(probe(&executor, Some(16)), (19, -1), "{strategy}");
        assert_eq!(probe(&executor, Some(16)), (19, -1), "{strategy}");
        assert_eq!(executor.cache_stats().compilations, 2, "{strategy}");
        // Repeated calls see the same memory again.
        assert_eq!(probe(&executor, None), (2051, -1), "{strategy}");
    }
}

#[test]
fn dynamic_heap_starts_small_and_grows_to_its_maximum() {
    for strategy in InstantiationStrategy::ALL {
        let executor = Executor::new(ExecutorConfig {
            strategy,
            default_heap: HeapAllocStrategy::Dynamic {
                maximum_pages: Some(4),
            },
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            probe(&executor, None),
            (3, 3),
            "{strategy}: one page may be added"
        );
        assert_eq!(
            probe(&executor, None),
            (3, 3),
            "{strategy}: the growth did not persist"
        );
    }
}

#[test]
fn allocations_beyond_the_heap_fail_the_same_way_everywhere() {
    // 32 MiB allocations until the heap is exhausted: the failing allocation is the same one.
    let runtime = wat::parse_str(
        r#"(module
            (import "env" "memory" (memory 1))
            (import "env" "ext_allocator_malloc_version_1" (func $malloc (param i32) (result i32)))
            (global (export "__heap_base") i32 (i32.const 1024))
            (func (export "exhaust") (param i32 i32) (result i64)
                (loop $again
                    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
                    (drop (call $malloc (i32.const 33554432)))
                    (br $again))
                (i64.const 0)))"#,
    )
    .unwrap();
    for strategy in InstantiationStrategy::ALL {
        let executor = Executor::new(ExecutorConfig {
            strategy,
            ..Default::default()
        })
        .unwrap();
        let err = executor
            .call(
                &RuntimeCode::from_bytes(&runtime).with_heap_pages(Some(1024)),
                "exhaust",
                &[],
                &mut InMemoryExternalities::new(),
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Allocator(executor::allocator::AllocatorError::OutOfSpace)
            ),
            "{strategy}: {err:?}"
        );
    }
}

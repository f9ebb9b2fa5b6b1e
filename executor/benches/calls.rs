//! Call overhead of every instantiation strategy on the project's runtime, from one and two
//! threads, and compiling a runtime versus loading its precompiled artifact.
//!
//! `cargo bench -p executor`; results and the machine they came from are in the README.

use std::{
    borrow::Cow,
    sync::{Arc, Barrier, OnceLock},
    thread,
    time::{Duration, Instant},
};

use codec::Encode;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use executor::{
    externalities::InMemoryExternalities, Executor, ExecutorConfig, InstantiationStrategy,
    RuntimeCode,
};
use runtime_wasm::{entry_points as api, WASM_BINARY_V1};

/// A call and what it does, as named in the report.
struct Scenario {
    name: &'static str,
    method: &'static str,
    input: Vec<u8>,
}

fn scenarios() -> [Scenario; 2] {
    [
        Scenario {
            name: "empty-call",
            method: api::TEST_EMPTY,
            input: vec![],
        },
        // 16 pages of 64 KiB: every 4 KiB OS page of 1 MiB written once.
        Scenario {
            name: "dirty-1mib",
            method: api::TEST_DIRTY_PAGES,
            input: 16u32.encode(),
        },
    ]
}

/// The runtime as a node knows it: its hash comes from the state, not hashed per call.
fn code() -> RuntimeCode<'static> {
    static CODE_HASH: OnceLock<[u8; 32]> = OnceLock::new();
    static FETCH: fn() -> Option<Cow<'static, [u8]>> = || Some(WASM_BINARY_V1.into());
    let hash = *CODE_HASH.get_or_init(|| RuntimeCode::from_bytes(WASM_BINARY_V1).hash);
    RuntimeCode::lazy(hash, &FETCH)
}

fn call(executor: &Executor, scenario: &Scenario) {
    executor
        .call(
            &code(),
            scenario.method,
            &scenario.input,
            &mut InMemoryExternalities::new(),
        )
        .expect("benchmark call succeeds");
}

/// Runs `iters` calls spread over `threads` threads and returns the wall time: with more than
/// one thread, the time per iteration is the inverse of the combined throughput.
fn run_parallel(
    executor: &Arc<Executor>,
    scenario: &Arc<Scenario>,
    threads: u64,
    iters: u64,
) -> Duration {
    if threads == 1 {
        let started = Instant::now();
        for _ in 0..iters {
            call(executor, scenario);
        }
        return started.elapsed();
    }
    let barrier = Arc::new(Barrier::new(threads as usize + 1));
    let workers: Vec<_> = (0..threads)
        .map(|i| {
            let (executor, scenario, barrier) =
                (executor.clone(), scenario.clone(), barrier.clone());
            let share = iters / threads + u64::from(i < iters % threads);
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..share {
                    call(&executor, &scenario);
                }
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    for worker in workers {
        worker.join().unwrap();
    }
    started.elapsed()
}

fn strategies(c: &mut Criterion) {
    for scenario in scenarios() {
        let scenario = Arc::new(scenario);
        let mut group = c.benchmark_group(scenario.name);
        group.throughput(Throughput::Elements(1));
        for strategy in InstantiationStrategy::ALL {
            let executor = Arc::new(
                Executor::new(ExecutorConfig {
                    strategy,
                    ..Default::default()
                })
                .unwrap(),
            );
            call(&executor, &scenario); // compile outside the measurement
            for threads in [1, 2] {
                group.bench_with_input(
                    BenchmarkId::new(strategy.name(), format!("{threads}-threads")),
                    &threads,
                    |b, &threads| {
                        b.iter_custom(|iters| run_parallel(&executor, &scenario, threads, iters))
                    },
                );
            }
        }
        group.finish();
    }
}

fn compile_vs_artifact(c: &mut Criterion) {
    let mut group = c.benchmark_group("runtime-preparation");
    group.sample_size(10);
    let code = RuntimeCode::from_bytes(WASM_BINARY_V1);
    group.bench_function("compile", |b| {
        b.iter(|| {
            let executor = Executor::new(ExecutorConfig::default()).unwrap();
            executor.precompile(&code).unwrap();
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let config = ExecutorConfig {
        artifact_dir: Some(dir.path().to_owned()),
        ..Default::default()
    };
    Executor::new(config.clone())
        .unwrap()
        .precompile(&code)
        .unwrap();
    group.bench_function("load-artifact", |b| {
        b.iter(|| {
            let executor = Executor::new(config.clone()).unwrap();
            executor.precompile(&code).unwrap();
            assert_eq!(executor.cache_stats().artifact_loads, 1);
        })
    });
    group.finish();
}

criterion_group!(benches, strategies, compile_vs_artifact);
criterion_main!(benches);

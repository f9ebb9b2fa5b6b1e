//! A real runtime: `Core_version` and `Metadata_metadata` on the Westend genesis runtime in every
//! instantiation strategy, and compiling that runtime versus loading its precompiled artifact.
//!
//! `cargo bench -p executor --bench real_runtime`. Reads
//! `../shared/fixtures/chain-specs/westend.json` from the project root (or `$WESTEND_SPEC`);
//! without it the benchmark prints why and measures nothing.

use std::{path::PathBuf, time::Duration};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use executor::{
    externalities::InMemoryExternalities, Executor, ExecutorConfig, InstantiationStrategy,
    RuntimeCode,
};

fn westend_code() -> Option<Vec<u8>> {
    let path = std::env::var_os("WESTEND_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/fixtures/chain-specs/westend.json")
        });
    if !path.is_file() {
        eprintln!(
            "real_runtime: SKIPPED, {} not found (set WESTEND_SPEC to a raw Westend chain spec)",
            path.display()
        );
        return None;
    }
    let spec = chain_spec::ChainSpec::from_json_file(&path).expect("the Westend spec parses");
    Some(spec.runtime_code().expect("the spec has :code").to_vec())
}

fn executor(strategy: InstantiationStrategy, artifact_dir: Option<PathBuf>) -> Executor {
    Executor::new(ExecutorConfig {
        strategy,
        artifact_dir,
        ..ExecutorConfig::default()
    })
    .expect("executor")
}

fn calls(c: &mut Criterion, code: &[u8]) {
    let runtime = RuntimeCode::from_bytes(code);
    for method in ["Core_version", "Metadata_metadata"] {
        let mut group = c.benchmark_group(format!("westend/{method}"));
        for strategy in InstantiationStrategy::ALL {
            let executor = executor(strategy, None);
            executor.precompile(&runtime).expect("Westend compiles");
            group.bench_function(BenchmarkId::from_parameter(strategy), |b| {
                b.iter(|| {
                    executor
                        .call(&runtime, method, &[], &mut InMemoryExternalities::new())
                        .expect("the call succeeds")
                })
            });
        }
        group.finish();
    }
}

/// A fresh executor (empty runtime cache) per iteration: `compile` has no artifact directory,
/// `load-artifact` one already holding the Westend artifact.
fn prepare(c: &mut Criterion, code: &[u8]) {
    let runtime = RuntimeCode::from_bytes(code);
    let strategy = InstantiationStrategy::default();
    let artifacts = tempfile::tempdir().expect("temporary directory");
    executor(strategy, Some(artifacts.path().to_path_buf()))
        .precompile(&runtime)
        .expect("Westend compiles");

    let mut group = c.benchmark_group("westend/prepare");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("compile", |b| {
        b.iter(|| executor(strategy, None).precompile(&runtime).unwrap())
    });
    group.bench_function("load-artifact", |b| {
        b.iter(|| {
            let executor = executor(strategy, Some(artifacts.path().to_path_buf()));
            executor.precompile(&runtime).unwrap();
            assert_eq!(
                executor.cache_stats().compilations,
                0,
                "loaded, not compiled"
            );
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let Some(code) = westend_code() else {
        return;
    };
    calls(c, &code);
    prepare(c, &code);
}

criterion_group!(real_runtime, benches);
criterion_main!(real_runtime);

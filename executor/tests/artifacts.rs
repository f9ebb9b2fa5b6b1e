//! Precompiled artifacts: reused by a second executor, and damaged ones replaced.

use std::{fs, path::Path};

use executor::{CacheStats, Executor, ExecutorConfig, InstantiationStrategy};

mod common;

fn executor(dir: &Path, strategy: InstantiationStrategy) -> Executor {
    Executor::new(ExecutorConfig {
        strategy,
        artifact_dir: Some(dir.to_owned()),
        ..Default::default()
    })
    .unwrap()
}

/// Calls the counter (a fresh instance answers (1, 42)) and returns the cache statistics.
fn call_counter(executor: &Executor) -> CacheStats {
    assert_eq!(common::counter(executor), (1, 42));
    executor.cache_stats()
}

fn the_artifact(dir: &Path) -> std::path::PathBuf {
    let artifacts: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(artifacts.len(), 1, "{artifacts:?}");
    artifacts.into_iter().next().unwrap()
}

#[test]
fn a_second_executor_loads_instead_of_compiling() {
    for strategy in InstantiationStrategy::ALL {
        let dir = tempfile::tempdir().unwrap();
        let first = call_counter(&executor(dir.path(), strategy));
        assert_eq!(
            (first.compilations, first.artifact_loads),
            (1, 0),
            "{strategy}"
        );
        let second = call_counter(&executor(dir.path(), strategy));
        assert_eq!(
            (second.compilations, second.artifact_loads),
            (0, 1),
            "{strategy}"
        );
    }
}

#[test]
fn truncated_and_bit_flipped_artifacts_are_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = InstantiationStrategy::default();
    call_counter(&executor(dir.path(), strategy));
    let path = the_artifact(dir.path());
    let good = fs::read(&path).unwrap();

    let damages: [(&str, Vec<u8>); 3] = [
        ("truncated", good[..good.len() / 2].to_vec()),
        ("bit-flipped", {
            let mut bytes = good.clone();
            bytes[good.len() / 2] ^= 0x01;
            bytes
        }),
        ("empty", Vec::new()),
    ];
    for (damage, bytes) in damages {
        fs::write(&path, bytes).unwrap();
        let stats = call_counter(&executor(dir.path(), strategy));
        assert_eq!(
            (stats.compilations, stats.artifact_loads),
            (1, 0),
            "{damage} artifact was not recompiled"
        );
        assert_eq!(
            fs::read(&path).unwrap(),
            good,
            "{damage}: the artifact was rewritten"
        );
        let stats = call_counter(&executor(dir.path(), strategy));
        assert_eq!(
            (stats.compilations, stats.artifact_loads),
            (0, 1),
            "{damage}: the rewritten artifact is used"
        );
    }
}

#[test]
fn an_unwritable_directory_still_runs_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let executor = executor(dir.path(), InstantiationStrategy::default());
    // Replace the directory by a file: writing artifacts now fails.
    fs::remove_dir(dir.path()).unwrap();
    fs::write(dir.path(), b"not a directory").unwrap();
    let stats = call_counter(&executor);
    assert_eq!(stats.compilations, 1);
    fs::remove_file(dir.path()).unwrap();
}

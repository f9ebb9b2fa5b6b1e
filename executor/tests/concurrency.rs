//! Many threads, few instances: callers wait for a slot instead of failing, and concurrent
//! first callers share one compilation.

use std::{
    sync::{Arc, Barrier},
    thread,
};

use common::counter;
use executor::{Executor, ExecutorConfig, InstantiationStrategy};

mod common;

#[test]
fn more_threads_than_instances_all_succeed() {
    for strategy in InstantiationStrategy::ALL {
        // Pools hold exactly `max_instances` slots: without the bound, callers would fail.
        let executor = Arc::new(
            Executor::new(ExecutorConfig {
                strategy,
                max_instances: 2,
                ..Default::default()
            })
            .unwrap(),
        );
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let executor = executor.clone();
                thread::spawn(move || (0..50).all(|_| counter(&executor) == (1, 42)))
            })
            .collect();
        for thread in threads {
            assert!(thread.join().unwrap(), "{strategy}");
        }
    }
}

#[test]
fn concurrent_first_calls_compile_once() {
    let executor = Arc::new(Executor::new(ExecutorConfig::default()).unwrap());
    let barrier = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (executor, barrier) = (executor.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                counter(&executor)
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), (1, 42));
    }
    let stats = executor.cache_stats();
    assert_eq!((stats.compilations, stats.misses, stats.hits), (1, 1, 3));
}

#[test]
fn config_limits_are_enforced() {
    for max_instances in [0, 65] {
        let err = Executor::new(ExecutorConfig {
            max_instances,
            ..Default::default()
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("max_instances"), "{err}");
    }
}

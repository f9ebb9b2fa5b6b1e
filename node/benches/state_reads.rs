//! Reading every genesis key of Kusama's chain spec through the node's client (parity-db and
//! the trie), with the trie node cache off and at its default size: mean time per read on the
//! first pass over the keys (cold) and over `WARM_ROUNDS` more passes (warm).
//!
//! `cargo bench -p node --bench state_reads`; reads `../shared/fixtures/chain-specs/kusama.json`
//! (or `$KUSAMA_SPEC`) and skips with a message when it is missing. Results are in
//! docs/benchmarks.md.

use std::{path::PathBuf, sync::Arc, time::Instant};

use executor::{Executor, ExecutorConfig};
use node::{
    client::node_cache,
    service::{open_client, BasePath},
};

const WARM_ROUNDS: usize = 20;

fn main() {
    let path = std::env::var_os("KUSAMA_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/fixtures/chain-specs/kusama.json")
        });
    let Ok(spec) = chain_spec::ChainSpec::from_json_file(&path) else {
        println!("skipping: no chain spec at {}", path.display());
        return;
    };
    let keys: Vec<Vec<u8>> = spec
        .genesis_storage()
        .unwrap()
        .top
        .keys()
        .cloned()
        .collect();
    println!("| trie cache | first pass (cold) | next {WARM_ROUNDS} passes (warm) |");
    println!("|---|---|---|");
    for cache_size in [0, node_cache::DEFAULT_SIZE] {
        let executor = Arc::new(Executor::new(ExecutorConfig::default()).unwrap());
        let base_path = BasePath::temporary().unwrap();
        let (client, _) = open_client(spec.clone(), &base_path, executor, cache_size).unwrap();
        let best = client.info().best_hash;
        let mut row = format!("| {} MiB |", cache_size >> 20);
        for rounds in [1, WARM_ROUNDS] {
            let started = Instant::now();
            for _ in 0..rounds {
                for key in &keys {
                    assert!(client.storage(&best, key).unwrap().is_some());
                }
            }
            let per_read = started.elapsed().as_secs_f64() * 1e6 / (rounds * keys.len()) as f64;
            row += &format!(" {per_read:.2} µs |");
        }
        println!("{row}");
    }
    println!("({} keys per pass)", keys.len());
}

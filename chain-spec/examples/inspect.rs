//! Prints a chain spec's summary and genesis hash, or its parse error, with the parse time.
//!
//! `cargo run --release -p chain-spec --example inspect -- SPEC.json [STATE_VERSION]`
//! (state version 0 or 1, default 0).

use std::time::Instant;

use chain_spec::ChainSpec;
use trie::StateVersion;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: inspect SPEC.json [STATE_VERSION]");
        std::process::exit(2);
    };
    let version = match args.next().as_deref() {
        None | Some("0") => StateVersion::V0,
        Some("1") => StateVersion::V1,
        Some(other) => {
            eprintln!("state version must be 0 or 1, not {other:?}");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    let spec = match ChainSpec::from_json_file(&path) {
        Ok(spec) => spec,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(1);
        }
    };
    let parsed = start.elapsed();
    println!("{} ({}), {:?}", spec.name, spec.id, spec.chain_type);
    println!("parsed in {parsed:?}");
    match spec.runtime_code() {
        Ok(code) => println!(":code {} bytes", code.len()),
        Err(err) => println!("{err}"),
    }
    let start = Instant::now();
    match spec.genesis_header(version) {
        Ok(header) => {
            println!("genesis state root 0x{}", hex(&header.state_root));
            println!(
                "genesis hash 0x{} ({version:?}, {:?})",
                hex(&header.hash()),
                start.elapsed()
            );
        }
        Err(err) => println!("{err}"),
    }
}

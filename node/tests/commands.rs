//! The subcommands, run as the real binary.

mod common;

use common::{run, Node};
use serde_json::{json, Value};

fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn help_reads_like_a_substrate_node() {
    let help = stdout(&run(&["--help"]));
    for flag in [
        "--dev",
        "--chain <CHAIN_SPEC>",
        "--base-path <PATH>",
        "--tmp",
        "--rpc-port <PORT>",
        "--rpc-external",
        "--rpc-methods <METHOD SET>",
        "--rpc-max-connections <COUNT>",
        "--rpc-max-request-size <MEGABYTES>",
        "--wasm-instantiation-strategy <STRATEGY>",
        "--wasmtime-instantiation-strategy",
        "--runtime-cache-size <COUNT>",
        "--max-runtime-instances <COUNT>",
        "--default-heap-pages <COUNT>",
        "--block-time <MS>",
        "--log <LOG_PATTERN>",
        "--name <NAME>",
        "build-spec",
        "precompile-runtime",
        "purge-chain",
        "export-blocks",
        "import-blocks",
        "[default: 9944]",
        "[default: pooling-copy-on-write]",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    let output = run(&["--max-runtime-instances", "33"]);
    assert!(!output.status.success());
}

#[test]
fn build_spec_round_trips_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let raw = stdout(&run(&["build-spec", "--chain", "dev", "--raw"]));
    let spec: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(spec["id"], "dev");
    assert!(spec["genesis"]["raw"]["top"]["0x3a636f6465"].is_string());
    let plain = stdout(&run(&["build-spec", "--dev"]));
    assert!(serde_json::from_str::<Value>(&plain).is_ok());

    let path = dir.path().join("dev.json");
    std::fs::write(&path, raw).unwrap();
    let from_file = Node::start(&["--chain", path.to_str().unwrap()]);
    let builtin = Node::start(&["--dev"]);
    let genesis = from_file.call("chain_getBlockHash", json!([0]));
    assert_eq!(genesis, builtin.call("chain_getBlockHash", json!([0])));
    assert_eq!(from_file.call("system_chain", json!([])), "Development");
}

#[test]
fn precompile_runtime_fills_the_artifact_directory() {
    let base = tempfile::tempdir().unwrap();
    let base_arg = base.path().to_str().unwrap();
    let out = stdout(&run(&[
        "precompile-runtime",
        "--chain",
        "dev",
        "--base-path",
        base_arg,
    ]));
    let artifacts: Vec<_> = std::fs::read_dir(base.path().join("runtimes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    // One for block execution, one for RPC calls (compiled with deadline checks).
    assert!(!artifacts.is_empty(), "no artifact written");
    for artifact in &artifacts {
        assert!(out.contains(artifact.to_str().unwrap()), "{out}");
    }

    // A node on that base path loads the artifact instead of compiling.
    let node = Node::start_in(base, &["--chain", "dev", "-lexecutor=debug"]);
    assert!(node
        .call("state_call", json!(["Core_version", "0x"]))
        .is_string());
    let log = node.log();
    assert!(log.contains("loaded runtime artifact"), "{log}");
    assert!(!log.contains("compiling runtime"), "{log}");
}

#[test]
fn purge_chain_asks_then_removes_the_database() {
    let base = tempfile::tempdir().unwrap();
    let base_arg = base.path().to_str().unwrap();
    let db = base.path().join("chains/dev/db");
    std::fs::create_dir_all(db.join("full")).unwrap();

    // Without -y and without an answer nothing is removed.
    let out = stdout(&run(&["purge-chain", "--chain", "dev", "-d", base_arg]));
    assert!(out.contains("Aborted"), "{out}");
    assert!(db.exists());

    let out = stdout(&run(&["purge-chain", "--dev", "-d", base_arg, "-y"]));
    assert!(out.contains("removed"), "{out}");
    assert!(!db.exists());
    let out = stdout(&run(&["purge-chain", "--dev", "-d", base_arg, "-y"]));
    assert!(out.contains("did not exist"), "{out}");
}

#[test]
fn bad_chain_spec_is_reported() {
    let output = run(&["--chain", "/nonexistent/spec.json", "--tmp"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/spec.json"), "{stderr}");
}

/// `--dev` without `--base-path` uses a temporary base path: on SIGTERM the node exits cleanly
/// and removes it, with nothing warned on the way (the database is closed before the directory
/// goes; the reverse order made parity-db warn now and then).
#[test]
fn dev_node_cleans_up_its_temporary_base_path() {
    use std::{
        io::{BufRead, BufReader},
        process::{Command, Stdio},
    };
    let mut child = Command::new(common::NODE)
        .args(["--dev", "--rpc-port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = String::new();
    let mut database = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if let Some(path) = line.split("Database: ParityDb at ").nth(1) {
            database = Some(std::path::PathBuf::from(path.trim()));
        }
        if line.contains("Running JSON-RPC server") {
            break;
        }
    }
    let database = database.unwrap_or_else(|| panic!("no database path logged:\n{log}"));
    // <base>/chains/dev/db/full
    let base = database.ancestors().nth(4).unwrap().to_owned();
    assert!(database.is_dir(), "{log}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    for line in lines {
        log.push_str(&line.unwrap());
        log.push('\n');
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}\n{log}");
    assert!(!log.contains("WARN") && !log.contains("ERROR"), "{log}");
    assert!(!base.exists(), "{} is left behind", base.display());
}

//! `node`: a Substrate-style node around the executor.
//!
//! It loads a chain spec, builds the genesis state, runs the chain's wasm runtime with the
//! [`executor`] and serves Substrate's JSON-RPC API. The binary (`src/main.rs`) parses the
//! command line ([`cli`]) and runs the node ([`service`]) or a subcommand ([`command`]).

pub mod cli;
pub mod client;
pub mod command;
pub mod dev_tx;
pub mod informant;
pub mod rpc;
pub mod service;

/// The implementation's name (`system_name`).
pub const IMPL_NAME: &str = "Substrate-style Node";
/// The implementation's version (`system_version`).
pub const IMPL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Errors reported to the user on exit.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

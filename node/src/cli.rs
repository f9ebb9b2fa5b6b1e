//! The command line: flags and subcommands, with Substrate's names and defaults.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
};

use clap::{builder::TypedValueParser, Args, Parser, Subcommand, ValueEnum};
use executor::InstantiationStrategy;

use crate::{client::node_cache, rpc::cors::CorsOrigins};

/// The largest `--max-runtime-instances` accepted (as in Substrate).
pub const MAX_RUNTIME_INSTANCES: u64 = 32;

/// A Substrate-style node: runs a chain's wasm runtime on wasmtime and serves JSON-RPC.
#[derive(Debug, Parser)]
#[command(
    name = "node",
    version,
    about,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// A subcommand; without one the node runs.
    #[command(subcommand)]
    pub subcommand: Option<Command>,

    /// Flags of the node itself.
    #[command(flatten)]
    pub run: RunCmd,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a chain specification and print it as JSON.
    BuildSpec(BuildSpecCmd),
    /// Compile the chain's genesis runtime into `<base-path>/runtimes`, so that starting the
    /// node does not have to.
    PrecompileRuntime(PrecompileRuntimeCmd),
    /// Remove the whole chain database.
    PurgeChain(PurgeChainCmd),
    /// Export blocks to a file (or stdout).
    ExportBlocks(ExportBlocksCmd),
    /// Import blocks from a file (or stdin).
    ImportBlocks(ImportBlocksCmd),
    /// Build a development extrinsic and print it as 0x-hex, ready for
    /// `author_submitExtrinsic`.
    ///
    /// `dev-tx transfer --from alice --to bob --amount 10 --nonce 0` signs a transfer with a
    /// dev account's sr25519 key, for the chain's genesis hash and genesis runtime version
    /// (override them after a runtime upgrade); `set-code FILE`, `set-storage KEY VALUE` and
    /// `set-heap-pages N` build unsigned calls.
    #[command(after_help = r#"Example (a `--dev` node on the default RPC port):
  XT=$(node dev-tx transfer --from alice --to bob --amount 10 --nonce 0)
  curl -s -H 'Content-Type: application/json' http://127.0.0.1:9944 \
    -d '{"jsonrpc":"2.0","id":1,"method":"author_submitExtrinsic","params":["'"$XT"'"]}'"#)]
    DevTx(DevTxCmd),
}

/// Flags shared by the node and its subcommands.
#[derive(Debug, Clone, Args)]
pub struct SharedParams {
    /// Specify the chain specification.
    ///
    /// It can be `dev` (the built-in development chain) or the path to a chain spec JSON
    /// file.
    #[arg(long, value_name = "CHAIN_SPEC")]
    pub chain: Option<String>,

    /// Specify the development chain.
    ///
    /// This flag sets `--chain=dev`; when running the node it also sets `--validator` and uses
    /// a temporary base path unless `--base-path` is given.
    #[arg(long)]
    pub dev: bool,

    /// Specify custom base path.
    #[arg(long, short = 'd', value_name = "PATH")]
    pub base_path: Option<PathBuf>,

    /// Sets a custom logging filter (syntax: `<target>=<level>`).
    ///
    /// Log levels (least to most verbose) are `error`, `warn`, `info`, `debug` and `trace`.
    /// By default, all targets log `info`. The global log level can be set with `-l<level>`.
    /// Multiple `<target>=<level>` entries can be separated by commas: `-lexecutor=debug,rpc=trace`.
    /// `RUST_LOG` is honoured too; these directives override it.
    #[arg(short = 'l', long, value_name = "LOG_PATTERN", num_args = 1..)]
    pub log: Vec<String>,
}

impl SharedParams {
    /// The chain to use: `--chain`, else `dev` with `--dev`, else none.
    pub fn chain_id(&self) -> Option<&str> {
        match &self.chain {
            Some(chain) => Some(chain),
            None if self.dev => Some("dev"),
            None => None,
        }
    }
}

/// Flags of the runtime executor.
#[derive(Debug, Clone, Args)]
pub struct ExecutorParams {
    /// The WASM instantiation method to use.
    ///
    /// `pooling-copy-on-write` is the fastest: pooled instances whose memory is a copy-on-write
    /// image. `legacy-instance-reuse` is deprecated.
    #[arg(
        long = "wasm-instantiation-strategy",
        visible_alias = "wasmtime-instantiation-strategy",
        value_name = "STRATEGY",
        default_value_t = InstantiationStrategy::default(),
        value_parser = clap::builder::PossibleValuesParser::new(
            InstantiationStrategy::ALL.map(InstantiationStrategy::name)
        ).map(|name| name.parse::<InstantiationStrategy>().expect("a listed name"))
    )]
    pub wasm_instantiation_strategy: InstantiationStrategy,

    /// Maximum number of different runtimes that can be cached.
    #[arg(long, value_name = "COUNT", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub runtime_cache_size: u64,

    /// The size of the instances cache for each runtime: how many runtime calls may run at
    /// once. The values higher than 32 are illegal.
    #[arg(long, value_name = "COUNT", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(1..=MAX_RUNTIME_INSTANCES))]
    pub max_runtime_instances: u64,

    /// The number of 64 KiB pages to allocate for the runtime's heap when the state has no
    /// `:heappages` (default: 2048, i.e. 128 MiB).
    #[arg(long, value_name = "COUNT")]
    pub default_heap_pages: Option<u64>,
}

/// Which RPC methods to expose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RpcMethods {
    /// Expose every RPC method only when the RPC server listens on localhost; otherwise
    /// expose only the safe ones.
    Auto,
    /// Allow only a safe subset of RPC methods.
    Safe,
    /// Expose every RPC method (even potentially unsafe ones).
    Unsafe,
}

/// The node itself.
#[derive(Debug, Clone, Args)]
pub struct RunCmd {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub shared: SharedParams,

    /// Use a temporary directory as the base path, removed when the node stops.
    #[arg(long, conflicts_with = "base_path")]
    pub tmp: bool,

    /// The human-readable name for this node (a random one by default).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Enable validator mode (author blocks).
    #[arg(long)]
    pub validator: bool,

    /// Specify JSON-RPC server TCP port (HTTP and WebSocket on the same port).
    #[arg(long, value_name = "PORT", default_value_t = 9944)]
    pub rpc_port: u16,

    /// Listen to all RPC interfaces (default: local only).
    ///
    /// Not all RPC methods are safe to be exposed publicly: use an RPC proxy server to filter
    /// out dangerous methods.
    #[arg(long)]
    pub rpc_external: bool,

    /// Listen to all RPC interfaces and expose the unsafe methods too (same as
    /// `--rpc-external --rpc-methods unsafe`).
    #[arg(long)]
    pub unsafe_rpc_external: bool,

    /// The address the RPC server listens on: an IP (with `--rpc-port`) or `IP:PORT`.
    /// Default: 127.0.0.1, or 0.0.0.0 with `--rpc-external`.
    #[arg(long, value_name = "ADDR", value_parser = parse_rpc_addr, conflicts_with_all = ["rpc_external", "unsafe_rpc_external"])]
    pub rpc_addr: Option<RpcAddr>,

    /// Browser origins allowed to call the RPC server over HTTP: a comma-separated list of
    /// origins (`scheme://host[:port]`, `scheme://host:*` for any port, or `null`), or `all`.
    /// Default: the local host and `https://polkadot.js.org`; all origins with `--dev`.
    #[arg(long, value_name = "ORIGINS")]
    pub rpc_cors: Option<CorsOrigins>,

    /// RPC methods to expose.
    #[arg(long, value_name = "METHOD SET", value_enum, default_value_t = RpcMethods::Auto, ignore_case = true)]
    pub rpc_methods: RpcMethods,

    /// Maximum number of RPC server connections.
    #[arg(long, value_name = "COUNT", default_value_t = 100)]
    pub rpc_max_connections: u32,

    /// The maximum RPC request payload size, in megabytes.
    #[arg(long, value_name = "MEGABYTES", default_value_t = 15)]
    pub rpc_max_request_size: u32,

    /// The maximum RPC response payload size, in megabytes.
    #[arg(long, value_name = "MEGABYTES", default_value_t = 15)]
    pub rpc_max_response_size: u32,

    /// The maximum number of subscriptions per connection.
    #[arg(long, value_name = "COUNT", default_value_t = 1024)]
    pub rpc_max_subscriptions_per_connection: u32,

    /// How long an RPC runtime call (`state_call`, `state_getMetadata`, ...) may run before it
    /// is stopped with an error, in milliseconds. Block import and authoring have no deadline.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub rpc_call_timeout: u64,

    /// The size of the cache of state trie nodes, in bytes. 0 disables it.
    #[arg(long, value_name = "Bytes", default_value_t = node_cache::DEFAULT_SIZE)]
    pub trie_cache_size: usize,

    /// The time between two authored blocks, in milliseconds. 0 authors a block whenever the
    /// transaction pool has ready extrinsics. Default: 0 with `--dev`, else 6000.
    #[arg(long, value_name = "MS")]
    pub block_time: Option<u64>,

    #[allow(missing_docs)]
    #[command(flatten)]
    pub executor: ExecutorParams,
}

/// Where the RPC server listens, from `--rpc-addr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpcAddr {
    /// An IP address; the port comes from `--rpc-port`.
    Ip(IpAddr),
    /// A full socket address.
    Socket(SocketAddr),
}

fn parse_rpc_addr(text: &str) -> Result<RpcAddr, String> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(RpcAddr::Ip(ip));
    }
    text.parse::<SocketAddr>()
        .map(RpcAddr::Socket)
        .map_err(|_| format!("`{text}` is neither an IP address nor IP:PORT"))
}

impl RunCmd {
    /// The address the RPC server listens on.
    pub fn rpc_listen_addr(&self) -> SocketAddr {
        match self.rpc_addr {
            Some(RpcAddr::Socket(addr)) => addr,
            Some(RpcAddr::Ip(ip)) => SocketAddr::new(ip, self.rpc_port),
            None if self.rpc_external || self.unsafe_rpc_external => {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), self.rpc_port)
            }
            None => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.rpc_port),
        }
    }

    /// Whether unsafe RPC methods are denied, resolving `auto` by the listen address.
    pub fn deny_unsafe_rpc(&self) -> bool {
        if self.unsafe_rpc_external {
            return false;
        }
        match self.rpc_methods {
            RpcMethods::Safe => true,
            RpcMethods::Unsafe => false,
            RpcMethods::Auto => !self.rpc_listen_addr().ip().is_loopback(),
        }
    }

    /// The allowed browser origins: `--rpc-cors`, else all with `--dev` and Substrate's
    /// default list otherwise.
    pub fn rpc_cors(&self) -> CorsOrigins {
        match &self.rpc_cors {
            Some(origins) => origins.clone(),
            None if self.shared.dev => CorsOrigins::Any,
            None => CorsOrigins::substrate_default(),
        }
    }

    /// The block time in effect: `--block-time`, else 0 (on demand) for `--dev` and
    /// Substrate's 6000 ms otherwise.
    pub fn effective_block_time(&self) -> u64 {
        self.block_time
            .unwrap_or(if self.shared.dev { 0 } else { 6000 })
    }

    /// The node's role: an authority authors blocks (`--validator`, or `--dev`).
    pub fn role(&self) -> Role {
        if self.validator || self.shared.dev {
            Role::Authority
        } else {
            Role::Full
        }
    }
}

/// What the node does in its network, as Substrate names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Imports and serves the chain.
    Full,
    /// Also authors blocks.
    Authority,
}

impl Role {
    /// Substrate's name in `system_nodeRoles`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Full => "Full",
            Role::Authority => "Authority",
        }
    }
}

/// `build-spec`.
#[derive(Debug, Clone, Args)]
pub struct BuildSpecCmd {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub shared: SharedParams,

    /// Force raw genesis storage output.
    #[arg(long)]
    pub raw: bool,

    /// Disable adding the default bootnode to the specification (there is none: accepted for
    /// compatibility).
    #[arg(long)]
    pub disable_default_bootnode: bool,
}

/// `precompile-runtime`.
#[derive(Debug, Clone, Args)]
pub struct PrecompileRuntimeCmd {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub shared: SharedParams,

    #[allow(missing_docs)]
    #[command(flatten)]
    pub executor: ExecutorParams,
}

/// `purge-chain`.
#[derive(Debug, Clone, Args)]
pub struct PurgeChainCmd {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub shared: SharedParams,

    /// Skip interactive prompt by answering yes automatically.
    #[arg(short = 'y')]
    pub yes: bool,
}

/// `export-blocks`.
#[derive(Debug, Clone, Args)]
pub struct ExportBlocksCmd {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub shared: SharedParams,

    /// Output file name, or stdout if unspecified.
    #[arg(value_name = "OUTPUT")]
    pub output: Option<PathBuf>,

    /// Specify starting block number.
    #[arg(long, value_name = "BLOCK", default_value_t = 1)]
    pub from: u32,

    /// Specify last block number (default: the best block).
    #[arg(long, value_name = "BLOCK")]
    pub to: Option<u32>,

    /// Use binary output rather than JSON.
    #[arg(long)]
    pub binary: bool,
}

/// `import-blocks`.
#[derive(Debug, Clone, Args)]
pub struct ImportBlocksCmd {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub shared: SharedParams,

    /// Input file, or stdin if unspecified.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,

    /// Try importing blocks from binary format rather than JSON.
    #[arg(long)]
    pub binary: bool,
}

/// `dev-tx`.
#[derive(Debug, Clone, Args)]
pub struct DevTxCmd {
    /// The extrinsic to build.
    #[command(subcommand)]
    pub tx: DevTx,
}

impl DevTxCmd {
    /// The `-l/--log` directives (only `transfer` takes any).
    pub fn log(&self) -> &[String] {
        match &self.tx {
            DevTx::Transfer(cmd) => &cmd.shared.log,
            _ => &[],
        }
    }
}

/// The extrinsics `dev-tx` builds.
#[derive(Debug, Clone, Subcommand)]
pub enum DevTx {
    /// A signed `Balances::transfer_allow_death` (immortal, no tip).
    Transfer(DevTransferCmd),
    /// An unsigned `System::set_code` with the runtime blob in FILE (a runtime upgrade).
    SetCode {
        /// The runtime's wasm blob (plain or zstd-compressed as Substrate stores it).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// An unsigned `TestStorage::set_storage`: writes a raw storage key.
    SetStorage {
        /// The storage key, 0x-hex.
        #[arg(value_name = "KEY")]
        key: String,
        /// The value, 0x-hex.
        #[arg(value_name = "VALUE")]
        value: String,
    },
    /// An unsigned `System::set_heap_pages` (`:heappages`).
    SetHeapPages {
        /// The number of 64 KiB heap pages.
        #[arg(value_name = "N")]
        pages: u64,
    },
}

/// `dev-tx transfer`.
#[derive(Debug, Clone, Args)]
pub struct DevTransferCmd {
    /// The sender: a dev account (alice, bob, charlie, dave, eve, ferdie) or an sr25519
    /// secret URI (e.g. `//Alice//stash`).
    #[arg(long, value_name = "ACCOUNT")]
    pub from: String,

    /// The recipient: a dev account name or a 0x-hex 32-byte account id.
    #[arg(long, value_name = "ACCOUNT")]
    pub to: String,

    /// The amount, in the chain's smallest unit.
    #[arg(long, value_name = "BALANCE")]
    pub amount: u128,

    /// The sender's current nonce (`system_accountNextIndex`).
    #[arg(long, value_name = "NONCE")]
    pub nonce: u32,

    /// The genesis hash to sign for (0x-hex; default: the chain spec's).
    #[arg(long, value_name = "HASH")]
    pub genesis_hash: Option<String>,

    /// The runtime's `spec_version` (default: the genesis runtime's; give the live one after
    /// a runtime upgrade).
    #[arg(long, value_name = "VERSION")]
    pub spec_version: Option<u32>,

    /// The runtime's `transaction_version` (default: the genesis runtime's).
    #[arg(long, value_name = "VERSION")]
    pub transaction_version: Option<u32>,

    /// The chain (`--chain`, default `--dev`) whose genesis the transaction is signed for;
    /// with `--base-path`, its precompiled runtimes are used.
    #[command(flatten)]
    pub shared: SharedParams,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_are_substrate_s() {
        let cli = Cli::parse_from(["node"]);
        assert!(cli.subcommand.is_none());
        let run = cli.run;
        assert_eq!(run.rpc_port, 9944);
        assert_eq!(run.rpc_listen_addr(), "127.0.0.1:9944".parse().unwrap());
        assert_eq!(run.rpc_methods, RpcMethods::Auto);
        assert!(!run.deny_unsafe_rpc());
        assert_eq!(
            run.executor.wasm_instantiation_strategy,
            InstantiationStrategy::PoolingCopyOnWrite
        );
        assert_eq!(run.executor.runtime_cache_size, 2);
        assert_eq!(run.executor.max_runtime_instances, 8);
        assert_eq!(run.rpc_max_connections, 100);
        assert_eq!(run.rpc_max_request_size, 15);
        assert_eq!(run.shared.chain_id(), None);
        assert_eq!(run.role(), Role::Full);
    }

    #[test]
    fn dev_and_chain() {
        let cli = Cli::parse_from(["node", "--dev"]);
        assert_eq!(cli.run.shared.chain_id(), Some("dev"));
        assert_eq!(cli.run.role(), Role::Authority);
        assert_eq!(cli.run.effective_block_time(), 0);
        assert_eq!(Cli::parse_from(["node"]).run.effective_block_time(), 6000);
        let cli = Cli::parse_from(["node", "--dev", "--block-time", "50"]);
        assert_eq!(cli.run.effective_block_time(), 50);
        let cli = Cli::parse_from(["node", "--dev", "--chain", "x.json"]);
        assert_eq!(cli.run.shared.chain_id(), Some("x.json"));
    }

    #[test]
    fn strategy_alias_and_validation() {
        let cli = Cli::parse_from([
            "node",
            "--wasmtime-instantiation-strategy",
            "legacy-instance-reuse",
        ]);
        assert_eq!(
            cli.run.executor.wasm_instantiation_strategy,
            InstantiationStrategy::LegacyInstanceReuse
        );
        let err = Cli::try_parse_from(["node", "--wasm-instantiation-strategy", "cow"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("pooling-copy-on-write"), "{err}");
        assert!(Cli::try_parse_from(["node", "--max-runtime-instances", "33"]).is_err());
        assert!(Cli::try_parse_from(["node", "--max-runtime-instances", "32"]).is_ok());
    }

    #[test]
    fn rpc_cors() {
        let cli = Cli::parse_from(["node"]);
        assert_eq!(cli.run.rpc_cors(), CorsOrigins::substrate_default());
        let cli = Cli::parse_from(["node", "--dev"]);
        assert_eq!(cli.run.rpc_cors(), CorsOrigins::Any);
        let cli = Cli::parse_from(["node", "--dev", "--rpc-cors", "null,https://a.example"]);
        assert!(cli.run.rpc_cors().allows("https://a.example"));
        assert!(!cli.run.rpc_cors().allows("http://localhost:3000"));
        let err = Cli::try_parse_from(["node", "--rpc-cors", "localhost"]).unwrap_err();
        assert!(
            err.to_string().contains("`localhost` is not an origin"),
            "{err}"
        );
    }

    #[test]
    fn rpc_addresses() {
        let cli = Cli::parse_from(["node", "--rpc-external", "--rpc-port", "1234"]);
        assert_eq!(cli.run.rpc_listen_addr(), "0.0.0.0:1234".parse().unwrap());
        assert!(cli.run.deny_unsafe_rpc());
        let cli = Cli::parse_from(["node", "--rpc-addr", "127.0.0.2:99"]);
        assert_eq!(cli.run.rpc_listen_addr(), "127.0.0.2:99".parse().unwrap());
        let cli = Cli::parse_from(["node", "--rpc-addr", "::1", "--rpc-methods", "safe"]);
        assert_eq!(cli.run.rpc_listen_addr(), "[::1]:9944".parse().unwrap());
        assert!(cli.run.deny_unsafe_rpc());
    }

    #[test]
    fn subcommands_take_shared_flags() {
        let cli = Cli::parse_from(["node", "build-spec", "--chain", "dev", "--raw"]);
        let Some(Command::BuildSpec(cmd)) = cli.subcommand else {
            panic!("not build-spec")
        };
        assert!(cmd.raw);
        assert_eq!(cmd.shared.chain_id(), Some("dev"));
        let cli = Cli::parse_from(["node", "purge-chain", "--dev", "-y", "-d", "/x"]);
        let Some(Command::PurgeChain(cmd)) = cli.subcommand else {
            panic!("not purge-chain")
        };
        assert!(cmd.yes);
        assert_eq!(cmd.shared.base_path, Some(PathBuf::from("/x")));
    }
}

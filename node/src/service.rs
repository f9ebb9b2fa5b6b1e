//! Wires the node together: chain spec, base path, executor (with its artifact directory
//! `<base-path>/runtimes`), client over the genesis state, and the RPC server.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use chain_spec::ChainSpec;
use executor::{
    externalities::Storage, Executor, ExecutorConfig, HeapAllocStrategy, RuntimeCode,
    RuntimeVersion,
};

use crate::{
    cli::{ExecutorParams, Role, RunCmd},
    client::{
        author,
        db::{ChainDb, GenesisBlock},
        hex_hash,
        pool::Pool,
        Client,
    },
    informant,
    rpc::{self, blocking::BlockingWork, system::SystemInfo, RpcContext, ServerSettings},
    Error, IMPL_NAME, IMPL_VERSION,
};

/// The chain spec named by `--chain`: `dev` (or nothing) is the built-in development chain,
/// anything else a path to a JSON spec.
pub fn load_spec(chain: Option<&str>) -> Result<ChainSpec, Error> {
    match chain {
        None | Some("dev") | Some("") => Ok(chain_spec::dev()),
        Some(path) => Ok(ChainSpec::from_json_file(path)?),
    }
}

/// The node's base directory: where chains keep their databases (`chains/<id>/`) and
/// precompiled runtimes are kept (`runtimes/`). A temporary one is removed on drop.
pub struct BasePath {
    path: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl BasePath {
    /// A base path at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path, _temp: None }
    }

    /// A fresh temporary base path, removed when this is dropped.
    pub fn temporary() -> Result<Self, Error> {
        let temp = tempfile::Builder::new().prefix("substrate").tempdir()?;
        Ok(Self {
            path: temp.path().to_owned(),
            _temp: Some(temp),
        })
    }

    /// The default base path: `$XDG_DATA_HOME/node`, else `$HOME/.local/share/node`.
    pub fn default_path() -> PathBuf {
        let data = std::env::var_os("XDG_DATA_HOME")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        data.join("node")
    }

    /// `--base-path` if given, else the default one.
    pub fn given_or_default(given: Option<&Path>) -> Self {
        Self::new(given.map_or_else(Self::default_path, Path::to_owned))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory of chain `id`.
    pub fn chain_dir(&self, id: &str) -> PathBuf {
        self.path.join("chains").join(id)
    }

    /// The database directory of chain `id`.
    pub fn database_dir(&self, id: &str) -> PathBuf {
        self.chain_dir(id).join("db")
    }

    /// Where the full node's parity-db database of chain `id` lives.
    pub fn full_database_dir(&self, id: &str) -> PathBuf {
        self.database_dir(id).join("full")
    }

    /// Where precompiled runtimes are kept.
    pub fn runtimes_dir(&self) -> PathBuf {
        self.path.join("runtimes")
    }
}

/// The executor configuration for the executor flags, keeping artifacts in `artifact_dir`.
pub fn executor_config(params: &ExecutorParams, artifact_dir: Option<PathBuf>) -> ExecutorConfig {
    ExecutorConfig {
        strategy: params.wasm_instantiation_strategy,
        default_heap: params
            .default_heap_pages
            .map_or(HeapAllocStrategy::DEFAULT, |pages| {
                HeapAllocStrategy::Static {
                    extra_pages: u32::try_from(pages).unwrap_or(u32::MAX),
                }
            }),
        runtime_cache_size: params.runtime_cache_size as usize,
        max_instances: params.max_runtime_instances as usize,
        artifact_dir,
        ..ExecutorConfig::default()
    }
}

/// The genesis runtime code of `spec` and its `:heappages`.
pub fn genesis_code(spec: &ChainSpec) -> Result<(&[u8], Option<u64>), Error> {
    let code = spec.runtime_code()?;
    let heap_pages = spec
        .genesis_storage()?
        .top
        .get(crate::client::state::HEAP_PAGES_KEY)
        .and_then(|bytes| Some(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)));
    Ok((code, heap_pages))
}

/// The genesis block of a chain: its header (whose state root uses the trie layout the
/// genesis runtime declares), its state, and the genesis runtime's version.
pub struct Genesis {
    /// The genesis header.
    pub header: substrate_primitives::header::Header,
    /// The genesis state.
    pub storage: Storage,
    /// The genesis runtime's version.
    pub version: RuntimeVersion,
}

/// Builds the genesis block of `spec` (consumed: its storage becomes the state).
pub fn genesis(spec: ChainSpec, executor: &Executor) -> Result<Genesis, Error> {
    let version = {
        let (code, heap_pages) = genesis_code(&spec)?;
        executor
            .runtime_version(&RuntimeCode::from_bytes(code).with_heap_pages(heap_pages))
            .map_err(|e| format!("cannot read the genesis runtime's version: {e}"))?
    };
    let header = spec.genesis_header(version.state_version())?;
    let storage = spec.into_genesis_storage()?;
    Ok(Genesis {
        header,
        storage: Storage {
            top: storage.top,
            children_default: storage.children_default,
        },
        version,
    })
}

/// Opens (or creates, writing the genesis block of `spec`) the chain database of `spec`
/// under `base_path`, with a trie node cache of `trie_cache_size` bytes, and the client over
/// it.
pub fn open_client(
    spec: ChainSpec,
    base_path: &BasePath,
    executor: Arc<Executor>,
    trie_cache_size: usize,
) -> Result<(Arc<Client>, Genesis), Error> {
    let path = base_path.full_database_dir(&spec.id);
    let genesis = genesis(spec, &executor)?;
    let db = ChainDb::open(
        &path,
        GenesisBlock {
            header: &genesis.header,
            storage: &genesis.storage,
            state_version: genesis.version.state_version(),
        },
    )?
    .with_trie_cache_size(trie_cache_size);
    tracing::info!("💾 Database: ParityDb at {}", path.display());
    Ok((Arc::new(Client::new(Arc::new(db), executor)), genesis))
}

/// A running node.
pub struct Node {
    /// The chain.
    pub client: Arc<Client>,
    rpc: jsonrpsee::server::ServerHandle,
    /// Authoring (if an authority) and the informant.
    tasks: Vec<tokio::task::JoinHandle<()>>,
    base_path: BasePath,
}

impl Node {
    /// Waits for `signals`, then stops the RPC server and the node's tasks. Returns the base
    /// path: drop it (removing a temporary one) only after the async runtime, whose tasks
    /// still hold the database, has shut down and so closed it.
    pub async fn run_until(self, signals: ShutdownSignals) -> BasePath {
        signals.recv().await;
        tracing::info!("Shutting down");
        for task in &self.tasks {
            task.abort();
        }
        let _ = self.rpc.stop();
        self.rpc.stopped().await;
        self.base_path
    }
}

/// Ctrl-C and SIGTERM, listened for from the moment this is made. Make it before the node
/// starts: until a handler is registered, SIGTERM kills the process outright, leaving a
/// temporary base path behind.
pub struct ShutdownSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Registers the handlers. Must run inside a tokio runtime.
    pub fn register() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for the first signal.
    async fn recv(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Starts a node for `cmd`: genesis, client and RPC server. Must run inside a tokio runtime.
pub async fn start(cmd: RunCmd) -> Result<Node, Error> {
    let spec = load_spec(cmd.shared.chain_id())?;
    let base_path = match &cmd.shared.base_path {
        Some(path) => BasePath::new(path.clone()),
        None if cmd.tmp || cmd.shared.dev => BasePath::temporary()?,
        None => BasePath::new(BasePath::default_path()),
    };
    let name = cmd.name.clone().unwrap_or_else(random_name);

    tracing::info!("{IMPL_NAME}");
    tracing::info!("✌️  version {IMPL_VERSION}");
    tracing::info!("📋 Chain specification: {}", spec.name);
    tracing::info!("🏷  Node name: {name}");
    tracing::info!("👤 Role: {}", cmd.role().name().to_uppercase());

    let config = executor_config(&cmd.executor, Some(base_path.runtimes_dir()));
    let executor = Arc::new(Executor::new(config)?);
    if executor.strategy() == cmd.executor.wasm_instantiation_strategy {
        tracing::info!("⚙️  Wasm instantiation strategy: {}", executor.strategy());
    } else {
        tracing::info!(
            "⚙️  Wasm instantiation strategy: {} ({} is not available here)",
            executor.strategy(),
            cmd.executor.wasm_instantiation_strategy
        );
    }

    let system = SystemInfo {
        impl_name: IMPL_NAME.into(),
        impl_version: IMPL_VERSION.into(),
        chain_name: spec.name.clone(),
        chain_type: spec.chain_type.clone(),
        properties: spec.properties.clone().unwrap_or_default(),
        role: cmd.role(),
    };
    let (client, genesis) = {
        let executor = executor.clone();
        let base_path = BasePath::new(base_path.path().to_owned());
        let trie_cache_size = cmd.trie_cache_size;
        tokio::task::spawn_blocking(move || {
            open_client(spec, &base_path, executor, trie_cache_size)
        })
        .await
        .map_err(|e| format!("opening the chain database panicked: {e}"))??
    };
    let genesis_hash = genesis.header.hash();
    tracing::info!(
        "🔨 Initializing Genesis block/state (state: {}, header-hash: {})",
        hex_hash(&genesis.header.state_root),
        hex_hash(&genesis_hash)
    );
    let v = &genesis.version;
    tracing::info!(
        "📦 Runtime: {}-{} ({}-{}, transaction version {}, state version {:?})",
        v.spec_name,
        v.spec_version,
        v.impl_name,
        v.impl_version,
        v.transaction_version,
        v.state_version()
    );
    let info = client.info();
    if info.best_number > 0 {
        tracing::info!(
            "📦 Highest known block at #{} ({})",
            info.best_number,
            hex_hash(&info.best_hash)
        );
    }
    let pool = Arc::new(Pool::new());
    let authoring = if cmd.role() == Role::Authority {
        let block_time = cmd.effective_block_time();
        tracing::info!(
            "🧑‍🌾 Authoring blocks {}",
            if block_time == 0 {
                "whenever the transaction pool has ready extrinsics".to_owned()
            } else {
                format!("every {block_time} ms")
            }
        );
        let period = (block_time > 0).then(|| Duration::from_millis(block_time));
        Some(tokio::spawn(author::run(
            client.clone(),
            pool.clone(),
            period,
        )))
    } else {
        None
    };

    let ctx = Arc::new(RpcContext {
        client: client.clone(),
        pool: pool.clone(),
        call_timeout: Duration::from_millis(cmd.rpc_call_timeout),
        blocking: BlockingWork::for_current_runtime(),
        deny_unsafe: cmd.deny_unsafe_rpc(),
    });
    let settings = ServerSettings {
        listen: cmd.rpc_listen_addr(),
        max_connections: cmd.rpc_max_connections,
        max_request_size: megabytes(cmd.rpc_max_request_size),
        max_response_size: megabytes(cmd.rpc_max_response_size),
        max_subscriptions_per_connection: cmd.rpc_max_subscriptions_per_connection,
        cors: cmd.rpc_cors(),
    };
    if !settings.listen.ip().is_loopback() && !ctx.deny_unsafe {
        tracing::warn!(
            "The RPC server listens on {} with unsafe methods exposed: use an RPC proxy to \
             filter them",
            settings.listen
        );
    }
    let (rpc, addr) = rpc::start(rpc::module(ctx, system), &settings)
        .await
        .map_err(|e| {
            format!(
                "cannot start the JSON-RPC server on {}: {e}",
                settings.listen
            )
        })?;
    tracing::info!(
        "Running JSON-RPC server: addr={addr}, methods={}",
        if cmd.deny_unsafe_rpc() {
            "safe"
        } else {
            "unsafe"
        }
    );

    let informant = tokio::spawn(informant::run(client.clone(), pool));
    Ok(Node {
        client,
        rpc,
        tasks: authoring.into_iter().chain([informant]).collect(),
        base_path,
    })
}

fn megabytes(mb: u32) -> u32 {
    mb.saturating_mul(1024 * 1024)
}

/// A random node name like Substrate's: `adjective-noun-1234`.
pub fn random_name() -> String {
    const ADJECTIVES: [&str; 16] = [
        "ancient", "brave", "calm", "daring", "eager", "fancy", "gentle", "happy", "icy", "jolly",
        "keen", "lively", "mighty", "noble", "proud", "quiet",
    ];
    const NOUNS: [&str; 16] = [
        "anchor", "badger", "canyon", "dolphin", "ember", "falcon", "glacier", "harbor", "island",
        "jungle", "kestrel", "lagoon", "meadow", "nebula", "orchid", "pebble",
    ];
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id()).rotate_left(32);
    let mixed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!(
        "{}-{}-{:04}",
        ADJECTIVES[(mixed >> 60) as usize],
        NOUNS[((mixed >> 56) & 15) as usize],
        (mixed >> 20) % 10_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_genesis_matches_chain_spec() {
        let executor = Executor::new(ExecutorConfig::default()).unwrap();
        let spec = load_spec(Some("dev")).unwrap();
        let expected = spec.genesis_hash(trie::StateVersion::V1).unwrap();
        let genesis = genesis(spec, &executor).unwrap();
        assert_eq!(genesis.header.hash(), expected);
        assert_eq!(genesis.version.spec_name, runtime_wasm::SPEC_NAME);
    }

    #[test]
    fn paths() {
        let base = BasePath::new("/b".into());
        assert_eq!(base.database_dir("dev"), Path::new("/b/chains/dev/db"));
        assert_eq!(
            base.full_database_dir("dev"),
            Path::new("/b/chains/dev/db/full")
        );
        assert_eq!(base.runtimes_dir(), Path::new("/b/runtimes"));
        let temp = BasePath::temporary().unwrap();
        let path = temp.path().to_owned();
        assert!(path.is_dir());
        drop(temp);
        assert!(!path.exists());
    }

    #[test]
    fn names() {
        let name = random_name();
        assert_eq!(name.split('-').count(), 3, "{name}");
    }
}

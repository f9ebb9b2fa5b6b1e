//! Shared helpers of the integration tests: where the real-chain fixtures are, what is known
//! about each real runtime, and small builders for executors and genesis state.
//!
//! Fixtures live outside the repository (`../shared/fixtures` from the project root, see its
//! README). A test that needs one and does not find it prints why and passes without checking
//! anything; CI always has them.

use std::path::{Path, PathBuf};

use chain_spec::{ChainSpec, GenesisStorage};
use executor::{
    externalities::{InMemoryExternalities, Storage},
    Executor, ExecutorConfig, InstantiationStrategy, StateVersion,
};

/// The fixture directory: `$REAL_FIXTURES_DIR` if set, else `../shared/fixtures` from the
/// project root.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("REAL_FIXTURES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"),
    }
}

/// The fixture at `relative` (e.g. `chain-specs/kusama.json`), or `None` after printing why
/// the calling test skips.
pub fn fixture(relative: &str) -> Option<PathBuf> {
    let path = fixtures_dir().join(relative);
    if path.is_file() {
        Some(path)
    } else {
        println!(
            "SKIPPED: fixture {} not found (looked in {})",
            relative,
            fixtures_dir().display()
        );
        None
    }
}

/// What the fixtures' README states about one real runtime and its chain spec.
#[derive(Debug, Clone, Copy)]
pub struct RealRuntime {
    /// The chain spec file under `chain-specs/`.
    pub file: &'static str,
    /// `spec_name` of the genesis runtime.
    pub spec_name: &'static str,
    /// `spec_version` of the genesis runtime.
    pub spec_version: u32,
    /// The trie layout of the genesis state.
    pub state_version: StateVersion,
    /// The genesis state root.
    pub genesis_state_root: &'static str,
}

/// Every real runtime of the fixtures, in the README's order.
pub const REAL_RUNTIMES: [RealRuntime; 7] = [
    RealRuntime {
        file: "kusama.json",
        spec_name: "kusama",
        spec_version: 1020,
        state_version: StateVersion::V0,
        genesis_state_root: "b0006203c3a6e6bd2c6a17b1d4ae8ca49a31da0f4579da950b127774b44aef6b",
    },
    RealRuntime {
        file: "westend.json",
        spec_name: "westend",
        spec_version: 1,
        state_version: StateVersion::V0,
        genesis_state_root: "7e92439a94f79671f9cade9dff96a094519b9001a7432244d46ab644bb6f746f",
    },
    RealRuntime {
        file: "paseo.json",
        spec_name: "paseo",
        spec_version: 1_001_002,
        state_version: StateVersion::V0,
        genesis_state_root: "2b2a8395a8ec27c54d322d3a6602152da0e3bd0c8f4c01f17a572a44a8e36ab6",
    },
    RealRuntime {
        file: "rococo.json",
        spec_name: "rococo",
        spec_version: 9190,
        state_version: StateVersion::V0,
        genesis_state_root: "8ad9dafeef04674f627ec2112f2206ed271b7270da5143fd11a943872c19f0da",
    },
    RealRuntime {
        file: "polkadot-coretime.json",
        spec_name: "coretime-polkadot",
        spec_version: 1_003_000,
        state_version: StateVersion::V1,
        genesis_state_root: "6e2af5f681a0f432c7aaf564dbebe4ddade85822605d510ccb78f1d90710947a",
    },
    RealRuntime {
        file: "kusama-coretime.json",
        spec_name: "coretime-kusama",
        spec_version: 1_002_000,
        state_version: StateVersion::V1,
        genesis_state_root: "c41865a2a094ef4563f74d248996fe70ed60ec52f78b36e38f55108b7c96889c",
    },
    RealRuntime {
        file: "node-template.json",
        spec_name: "node-template",
        spec_version: 100,
        state_version: StateVersion::V0,
        genesis_state_root: "28a2db05aaa4e84e88c6be28ca49d45b0433f8abee421b092dfa0f4dd85787a6",
    },
];

impl RealRuntime {
    /// The known runtime whose spec file is `file`.
    pub fn by_file(file: &str) -> RealRuntime {
        *REAL_RUNTIMES
            .iter()
            .find(|runtime| runtime.file == file)
            .unwrap_or_else(|| panic!("no real runtime in {file}"))
    }

    /// Its chain spec, or `None` (with the reason printed) if the fixture is absent.
    pub fn spec(&self) -> Option<ChainSpec> {
        let path = fixture(&format!("chain-specs/{}", self.file))?;
        Some(
            ChainSpec::from_json_file(&path)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display())),
        )
    }
}

/// The directory of precompiled artifacts shared by the tests of this crate and kept between
/// runs (`$CARGO_TARGET_TMPDIR/real-runtime-artifacts`), so that each (runtime, strategy) pair
/// is compiled once per build of the executor rather than once per test run. A macro because
/// `CARGO_TARGET_TMPDIR` only exists when compiling the test targets themselves.
#[macro_export]
macro_rules! artifact_dir {
    () => {
        $crate::artifact_dir_in(env!("CARGO_TARGET_TMPDIR"))
    };
}

/// `target_tmpdir/real-runtime-artifacts`, created if needed (see [`artifact_dir!`]).
pub fn artifact_dir_in(target_tmpdir: &str) -> PathBuf {
    let dir = Path::new(target_tmpdir).join("real-runtime-artifacts");
    std::fs::create_dir_all(&dir).expect("create the artifact directory");
    dir
}

/// An executor in `strategy` keeping its artifacts in `artifact_dir`.
pub fn executor(strategy: InstantiationStrategy, artifact_dir: &Path) -> Executor {
    Executor::new(ExecutorConfig {
        strategy,
        artifact_dir: Some(artifact_dir.to_path_buf()),
        ..ExecutorConfig::default()
    })
    .unwrap_or_else(|e| panic!("no executor in {strategy}: {e}"))
}

/// Externalities over the genesis state of a spec (top trie and default child tries).
pub fn genesis_externalities(genesis: &GenesisStorage) -> InMemoryExternalities {
    InMemoryExternalities::from_storage(Storage {
        top: genesis.top.clone(),
        children_default: genesis
            .children_default
            .iter()
            .filter(|(_, child)| !child.is_empty())
            .map(|(key, child)| (key.clone(), child.clone()))
            .collect(),
    })
}

/// The `env` function imports of a runtime blob (possibly compressed), by name.
pub fn host_imports(code: &[u8]) -> Vec<String> {
    let blob = executor::blob::RuntimeBlob::new(code).expect("a valid runtime blob");
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(blob.wasm()) {
        if let wasmparser::Payload::ImportSection(reader) = payload.expect("valid wasm") {
            for import in reader.into_imports() {
                let import = import.expect("valid import");
                if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                    names.push(format!("{}:{}", import.module, import.name));
                }
            }
        }
    }
    names
}

/// Decodes a SCALE value, failing the test with `what` on error.
pub fn decode<T: codec::Decode>(bytes: &[u8], what: &str) -> T {
    T::decode(&mut &bytes[..]).unwrap_or_else(|e| panic!("{what} does not decode: {e}"))
}

/// `0x`-less hex of 32 bytes, for comparing with the README's roots.
pub fn hex32(bytes: &[u8; 32]) -> String {
    hex::encode(bytes)
}

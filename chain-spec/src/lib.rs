//! Substrate chain specs: parsing, genesis storage and the genesis header.
//!
//! A chain spec is the JSON document that defines a network: its name and id, boot nodes,
//! token properties and, above all, its genesis. This crate reads specs as real networks
//! publish them and writes them back in the same layout:
//!
//! - The **raw** genesis (`genesis.raw.top` and `genesis.raw.childrenDefault`, `0x` hex keys
//!   and values) is the full genesis storage. From it come the genesis state root and header
//!   ([`ChainSpec::genesis_header`]) and the runtime code ([`ChainSpec::runtime_code`]).
//! - The light **`stateRootHash`** form names only the genesis state root: it gives the
//!   genesis header, but asking it for storage is [`Error::NoGenesisStorage`].
//! - The non-raw **`runtimeGenesis`** / **`runtime`** forms need the runtime's genesis config
//!   builder; they are kept for inspection and asking them for storage is
//!   [`Error::NonRawGenesis`].
//!
//! Unknown top-level fields (`relay_chain`, `para_id`, `lightSyncState`, ...) are kept in
//! [`ChainSpec::extensions`] and written back. Parse errors name the file, the JSON path and
//! the line and column, e.g.
//! `westend.json: genesis.raw.top["0x3a636f6465"]: invalid hex at char 17 ('g' is not a hex
//! digit) in the value (line 12, column 1048590)`. Input is untrusted: no input makes the
//! parser panic.
//!
//! Parsing is fast and lean: hex strings are decoded directly from the input buffer into
//! `Vec<u8>`, so a parsed spec holds one copy of the genesis (see the `de` module).
//!
//! The genesis state root depends on the trie layout (`StateVersion`), which the genesis
//! runtime declares in its version; reading it needs the executor, so callers pass it in.
//!
//! ```
//! use trie::StateVersion;
//!
//! let spec = chain_spec::dev();
//! let json = spec.to_json(true).unwrap();
//! let parsed = chain_spec::ChainSpec::from_json_bytes(json.as_bytes(), "dev.json").unwrap();
//! assert_eq!(parsed, spec);
//! assert_eq!(parsed.runtime_code().unwrap(), runtime_wasm::WASM_BINARY_V1);
//! let hash = parsed.genesis_hash(StateVersion::V1).unwrap();
//! assert_eq!(hash, spec.genesis_hash(StateVersion::V1).unwrap());
//! ```

#![warn(missing_docs)]

mod de;
mod dev;
mod error;
mod genesis;
pub mod header;
mod hex;
mod ser;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};
use trie::StateVersion;

pub use dev::{dev, DEV_ORIGIN};
pub use error::{Error, HexTarget, JsonPath, PathSegment, MAX_KEY_CHARS};
pub use genesis::{Genesis, GenesisStorage, StorageMap, CODE_KEY};
pub use hex::{HexError, HexErrorKind};
pub use substrate_primitives::header::Header;

/// A 32-byte hash (BLAKE2b-256).
pub type Hash = [u8; 32];

/// A block number (`u32`, as in Polkadot-family chains).
pub type BlockNumber = u32;

/// The `properties` of a spec: arbitrary JSON, e.g. `tokenSymbol`, `tokenDecimals`,
/// `ss58Format`.
pub type Properties = Map<String, Value>;

/// The type of a chain (`chainType`); `Live` when the field is absent, as in Substrate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ChainType {
    /// A development chain on one machine.
    Development,
    /// A local testnet of several nodes.
    Local,
    /// A public network.
    #[default]
    Live,
    /// Anything else, written as `{"Custom": name}`.
    Custom(String),
}

/// A chain spec.
///
/// Equality compares the content of the spec, not where it was read from
/// ([`ChainSpec::origin`]).
#[derive(Clone, Debug)]
pub struct ChainSpec {
    /// `name`: the human-readable name, e.g. `Kusama`.
    pub name: String,
    /// `id`: the chain id, e.g. `ksmcc3`; also names the chain's database directory.
    pub id: String,
    /// `chainType`.
    pub chain_type: ChainType,
    /// `bootNodes`: multiaddresses with peer ids (not validated here).
    pub boot_nodes: Vec<String>,
    /// `telemetryEndpoints`: URL and verbosity pairs.
    pub telemetry_endpoints: Option<Vec<(String, u8)>>,
    /// `protocolId`: the network protocol id.
    pub protocol_id: Option<String>,
    /// `forkId`: distinguishes forks sharing a genesis.
    pub fork_id: Option<String>,
    /// `properties`.
    pub properties: Option<Properties>,
    /// `forkBlocks`: blocks to prefer at given heights, `(number, hash)`.
    pub fork_blocks: Option<Vec<(BlockNumber, Hash)>>,
    /// `badBlocks`: hashes of blocks to reject.
    pub bad_blocks: Option<Vec<Hash>>,
    /// `codeSubstitutes`: from each block number on (until the next runtime upgrade), run
    /// this code instead of the on-chain `:code`.
    pub code_substitutes: BTreeMap<BlockNumber, Vec<u8>>,
    /// Every other top-level field, as read (`relay_chain`, `para_id`, `lightSyncState`,
    /// ...). `consensusEngine` is not kept: it is deprecated and ignored, as in Substrate.
    /// Entries named like a known field are not written by [`ChainSpec::to_json`].
    pub extensions: Map<String, Value>,
    /// `genesis`.
    pub genesis: Genesis,
    /// Where the spec comes from, for error messages; not part of equality.
    origin: String,
}

impl PartialEq for ChainSpec {
    fn eq(&self, other: &Self) -> bool {
        // Destructured so that a new field cannot be forgotten here.
        let ChainSpec {
            name,
            id,
            chain_type,
            boot_nodes,
            telemetry_endpoints,
            protocol_id,
            fork_id,
            properties,
            fork_blocks,
            bad_blocks,
            code_substitutes,
            extensions,
            genesis,
            origin: _,
        } = self;
        *name == other.name
            && *id == other.id
            && *chain_type == other.chain_type
            && *boot_nodes == other.boot_nodes
            && *telemetry_endpoints == other.telemetry_endpoints
            && *protocol_id == other.protocol_id
            && *fork_id == other.fork_id
            && *properties == other.properties
            && *fork_blocks == other.fork_blocks
            && *bad_blocks == other.bad_blocks
            && *code_substitutes == other.code_substitutes
            && *extensions == other.extensions
            && *genesis == other.genesis
    }
}

impl ChainSpec {
    /// A spec with the given name, id, type and genesis, and nothing else; `origin` names it
    /// in errors.
    pub fn new(
        name: impl Into<String>,
        id: impl Into<String>,
        chain_type: ChainType,
        genesis: Genesis,
        origin: impl Into<String>,
    ) -> Self {
        ChainSpec {
            name: name.into(),
            id: id.into(),
            chain_type,
            boot_nodes: Vec::new(),
            telemetry_endpoints: None,
            protocol_id: None,
            fork_id: None,
            properties: None,
            fork_blocks: None,
            bad_blocks: None,
            code_substitutes: BTreeMap::new(),
            extensions: Map::new(),
            genesis,
            origin: origin.into(),
        }
    }

    /// Parses a spec from JSON `bytes`; `origin` (usually the file name) names it in errors.
    pub fn from_json_bytes(bytes: &[u8], origin: impl Into<String>) -> Result<Self, Error> {
        let origin = origin.into();
        let mut spec = de::parse(bytes, &origin)?;
        spec.origin = origin;
        Ok(spec)
    }

    /// Reads and parses the spec file at `path`, which names it in errors.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            file: origin.clone(),
            source,
        })?;
        Self::from_json_bytes(&bytes, origin)
    }

    /// Where the spec comes from (a file path, or a name like [`DEV_ORIGIN`]).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Sets [`ChainSpec::origin`].
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    /// The spec as pretty-printed JSON in Substrate's layout.
    ///
    /// With `raw`, the genesis must be raw storage ([`Error::NoGenesisStorage`] or
    /// [`Error::NonRawGenesis`] otherwise). Without it, the genesis is written in the form
    /// it is held in: this crate has no genesis config builder, so for a raw spec (such as
    /// [`dev()`]) the "plain" form is the raw form too.
    pub fn to_json(&self, raw: bool) -> Result<String, Error> {
        if raw {
            self.genesis_storage()?;
        }
        // Serializing our own types into a Vec cannot fail.
        let bytes = serde_json::to_vec_pretty(self).expect("chain specs serialize");
        Ok(String::from_utf8(bytes).expect("serde_json writes UTF-8"))
    }

    /// The raw genesis storage.
    ///
    /// Fails for the `stateRootHash` and non-raw forms, and for storage with a top-trie key
    /// under `:child_storage:` (which Substrate rejects too).
    pub fn genesis_storage(&self) -> Result<&GenesisStorage, Error> {
        let storage = match &self.genesis {
            Genesis::Raw(storage) => storage,
            Genesis::StateRootHash(_) => {
                return Err(Error::NoGenesisStorage {
                    file: self.origin.clone(),
                })
            }
            Genesis::NotRaw { form, .. } => {
                return Err(Error::NonRawGenesis {
                    file: self.origin.clone(),
                    form: form.clone(),
                })
            }
        };
        if let Some(key) = storage.first_child_storage_key_in_top() {
            return Err(Error::ChildKeyInTop {
                file: self.origin.clone(),
                key: error::shorten(&hex::encode(key)),
            });
        }
        Ok(storage)
    }

    /// Like [`ChainSpec::genesis_storage`], by value (no copy of the code).
    pub fn into_genesis_storage(self) -> Result<GenesisStorage, Error> {
        self.genesis_storage()?;
        match self.genesis {
            Genesis::Raw(storage) => Ok(storage),
            _ => unreachable!("genesis_storage accepted a non-raw genesis"),
        }
    }

    /// The genesis runtime code (`:code`, possibly compressed): what running the chain needs.
    ///
    /// [`Error::MissingCode`] if the genesis has no `:code`; a spec without it can still be
    /// parsed and inspected.
    pub fn runtime_code(&self) -> Result<&[u8], Error> {
        self.genesis_storage()?
            .code()
            .ok_or_else(|| Error::MissingCode {
                file: self.origin.clone(),
            })
    }

    /// The genesis state root in layout `version` (from the genesis runtime's version:
    /// `state_version`/`system_version` 0 is V0, 1 is V1). For the `stateRootHash` form this
    /// is the stated root, whatever `version`.
    pub fn genesis_state_root(&self, version: StateVersion) -> Result<Hash, Error> {
        match &self.genesis {
            Genesis::StateRootHash(root) => Ok(*root),
            _ => Ok(self.genesis_storage()?.state_root(version)),
        }
    }

    /// The genesis header: zero parent, number 0, the genesis state root, the empty
    /// extrinsics root and no digest.
    pub fn genesis_header(&self, version: StateVersion) -> Result<Header, Error> {
        Ok(header::genesis(self.genesis_state_root(version)?))
    }

    /// The genesis hash: BLAKE2b-256 of the SCALE-encoded genesis header.
    pub fn genesis_hash(&self, version: StateVersion) -> Result<Hash, Error> {
        Ok(self.genesis_header(version)?.hash())
    }
}

#[cfg(test)]
mod tests;

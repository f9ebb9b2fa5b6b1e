//! Serialization of chain specs in Substrate's JSON layout.
//!
//! Fields come in the order Substrate writes them: name, id, chainType, bootNodes,
//! telemetryEndpoints, protocolId, forkId (if any), properties, forkBlocks and badBlocks (if
//! any), the extensions, codeSubstitutes, genesis. Bytes are written as lowercase `0x` hex.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use crate::hex;
use crate::{ChainSpec, ChainType, Genesis, GenesisStorage, StorageMap};

/// The top-level fields this crate knows; an extension with one of these names is not
/// written (it would duplicate the field).
pub(crate) const KNOWN_FIELDS: &[&str] = &[
    "name",
    "id",
    "chainType",
    "bootNodes",
    "telemetryEndpoints",
    "protocolId",
    "forkId",
    "properties",
    "forkBlocks",
    "badBlocks",
    "codeSubstitutes",
    "consensusEngine",
    "genesis",
];

/// Bytes as a `0x` hex string.
struct Hex<'a>(&'a [u8]);

impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl Serialize for ChainType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ChainType::Development => serializer.serialize_str("Development"),
            ChainType::Local => serializer.serialize_str("Local"),
            ChainType::Live => serializer.serialize_str("Live"),
            ChainType::Custom(name) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("Custom", name)?;
                map.end()
            }
        }
    }
}

struct Storage<'a>(&'a StorageMap);

impl Serialize for Storage<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (Hex(k), Hex(v))))
    }
}

impl Serialize for GenesisStorage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("top", &Storage(&self.top))?;
        let children: BTreeMap<_, _> = self
            .children_default
            .iter()
            .map(|(key, child)| (hex::encode(key), Storage(child)))
            .collect();
        map.serialize_entry("childrenDefault", &children)?;
        map.end()
    }
}

impl Serialize for Genesis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Genesis::Raw(storage) => map.serialize_entry("raw", storage)?,
            Genesis::StateRootHash(root) => map.serialize_entry("stateRootHash", &Hex(root))?,
            Genesis::NotRaw { form, value } => map.serialize_entry(form, value)?,
        }
        map.end()
    }
}

struct Hashes<'a>(&'a [crate::Hash]);

impl Serialize for Hashes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for hash in self.0 {
            seq.serialize_element(&Hex(hash))?;
        }
        seq.end()
    }
}

/// Serializes in Substrate's layout. This writes the genesis as it is held; use
/// [`ChainSpec::to_json`] to check that a raw form is available.
impl Serialize for ChainSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("chainType", &self.chain_type)?;
        map.serialize_entry("bootNodes", &self.boot_nodes)?;
        map.serialize_entry("telemetryEndpoints", &self.telemetry_endpoints)?;
        map.serialize_entry("protocolId", &self.protocol_id)?;
        if let Some(fork_id) = &self.fork_id {
            map.serialize_entry("forkId", fork_id)?;
        }
        map.serialize_entry("properties", &self.properties)?;
        if let Some(fork_blocks) = &self.fork_blocks {
            let blocks: Vec<_> = fork_blocks.iter().map(|(n, h)| (n, Hex(h))).collect();
            map.serialize_entry("forkBlocks", &blocks)?;
        }
        if let Some(bad_blocks) = &self.bad_blocks {
            map.serialize_entry("badBlocks", &Hashes(bad_blocks))?;
        }
        for (key, value) in &self.extensions {
            if !KNOWN_FIELDS.contains(&key.as_str()) {
                map.serialize_entry(key, value)?;
            }
        }
        let substitutes: BTreeMap<String, Hex> = self
            .code_substitutes
            .iter()
            .map(|(number, code)| (number.to_string(), Hex(code)))
            .collect();
        map.serialize_entry("codeSubstitutes", &substitutes)?;
        map.serialize_entry("genesis", &self.genesis)?;
        map.end()
    }
}

//! Deserialization of chain spec JSON.
//!
//! The document is walked with hand-written visitors rather than derived ones, for three
//! reasons:
//! - Hex strings (storage keys and values, several MiB of `:code`) are decoded straight from
//!   the parser's buffer into `Vec<u8>`: no `String` or `serde_json::Value` copy of the genesis
//!   is ever built.
//! - Unknown top-level fields are kept in [`ChainSpec::extensions`] without
//!   `#[serde(flatten)]`, which would first buffer the *whole* document (genesis included)
//!   into serde's internal content tree.
//! - Errors carry their JSON path: each visitor records, into a shared [`Ctx`], the step it
//!   was taking when an inner value failed; a bad hex string also records its structured
//!   [`HexError`]. [`parse`] turns that, with serde_json's line and column, into an [`Error`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{shorten, Error, HexTarget, JsonPath, PathSegment};
use crate::hex::{self, HexError};
use crate::{BlockNumber, ChainSpec, ChainType, Genesis, GenesisStorage, Hash, StorageMap};

/// What the visitors learn about an error while it propagates out of them.
#[derive(Default)]
struct Ctx {
    /// Path segments, innermost first (pushed while unwinding).
    path: RefCell<Vec<PathSegment>>,
    /// The structured hex error, if the error is one.
    hex: RefCell<Option<(HexError, HexTarget)>>,
}

impl Ctx {
    fn push(&self, segment: PathSegment) {
        self.path.borrow_mut().push(segment);
    }

    fn field(&self, name: &str) {
        self.push(PathSegment::Field(name.to_owned()));
    }
}

/// Parses a whole chain spec document; `file` names it in errors.
pub(crate) fn parse(bytes: &[u8], file: &str) -> Result<ChainSpec, Error> {
    let ctx = Ctx::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = SpecSeed(&ctx)
        .deserialize(&mut de)
        .and_then(|spec| de.end().map(|()| spec));
    result.map_err(|err| to_error(err, ctx, file))
}

/// Converts a serde_json error, with what `ctx` learnt, into an [`Error`].
fn to_error(err: serde_json::Error, ctx: Ctx, file: &str) -> Error {
    let (line, column) = (err.line(), err.column());
    let message = {
        let full = err.to_string();
        let suffix = format!(" at line {line} column {column}");
        match full.strip_suffix(&suffix) {
            Some(message) => message.to_owned(),
            None => full,
        }
    };
    let file = file.to_owned();
    if !err.is_data() {
        return Error::Syntax {
            file,
            line,
            column,
            message,
        };
    }
    let mut segments = ctx.path.into_inner();
    segments.reverse();
    let path = JsonPath(segments);
    match ctx.hex.into_inner() {
        Some((error, target)) => Error::Hex {
            file,
            path,
            target,
            error,
            line,
            column,
        },
        None => Error::Invalid {
            file,
            path,
            message,
            line,
            column,
        },
    }
}

/// Reads a field's value; on failure records `name` as the step taken.
fn field<'de, A, T>(ctx: &Ctx, map: &mut A, name: &str) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    map.next_value().inspect_err(|_| ctx.field(name))
}

/// Like [`field`], with a seed.
fn field_seed<'de, A, S>(ctx: &Ctx, map: &mut A, name: &str, seed: S) -> Result<S::Value, A::Error>
where
    A: MapAccess<'de>,
    S: DeserializeSeed<'de>,
{
    map.next_value_seed(seed).inspect_err(|_| ctx.field(name))
}

/// Stores a field's value, rejecting a second occurrence.
fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

// ---- the document ----

struct SpecSeed<'c>(&'c Ctx);

impl<'de> DeserializeSeed<'de> for SpecSeed<'_> {
    type Value = ChainSpec;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ChainSpec, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SpecSeed<'_> {
    type Value = ChainSpec;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a chain spec (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ChainSpec, A::Error> {
        let ctx = self.0;
        let mut name = None;
        let mut id = None;
        let mut chain_type = None;
        let mut boot_nodes = None;
        let mut telemetry_endpoints = None;
        let mut protocol_id = None;
        let mut fork_id = None;
        let mut properties = None;
        let mut fork_blocks = None;
        let mut bad_blocks = None;
        let mut code_substitutes = None;
        let mut consensus_engine = None;
        let mut genesis = None;
        let mut extensions = Map::new();

        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => set_once(&mut name, field(ctx, &mut map, "name")?, "name")?,
                "id" => set_once(&mut id, field(ctx, &mut map, "id")?, "id")?,
                "chainType" => {
                    let value = field_seed(ctx, &mut map, "chainType", ChainTypeVisitor)?;
                    set_once(&mut chain_type, value, "chainType")?
                }
                "bootNodes" => {
                    let value: Option<Vec<String>> = field(ctx, &mut map, "bootNodes")?;
                    set_once(&mut boot_nodes, value.unwrap_or_default(), "bootNodes")?
                }
                "telemetryEndpoints" => {
                    let value = field(ctx, &mut map, "telemetryEndpoints")?;
                    set_once(&mut telemetry_endpoints, value, "telemetryEndpoints")?
                }
                "protocolId" => {
                    let value = field(ctx, &mut map, "protocolId")?;
                    set_once(&mut protocol_id, value, "protocolId")?
                }
                "forkId" => set_once(&mut fork_id, field(ctx, &mut map, "forkId")?, "forkId")?,
                "properties" => {
                    let value = field(ctx, &mut map, "properties")?;
                    set_once(&mut properties, value, "properties")?
                }
                "forkBlocks" => {
                    let value: Option<Vec<(BlockNumber, HexHash)>> =
                        field(ctx, &mut map, "forkBlocks")?;
                    let value = value.map(|v| v.into_iter().map(|(n, h)| (n, h.0)).collect());
                    set_once(&mut fork_blocks, value, "forkBlocks")?
                }
                "badBlocks" => {
                    let value: Option<Vec<HexHash>> = field(ctx, &mut map, "badBlocks")?;
                    let value = value.map(|v| v.into_iter().map(|h| h.0).collect());
                    set_once(&mut bad_blocks, value, "badBlocks")?
                }
                "codeSubstitutes" => {
                    let value = field_seed(ctx, &mut map, "codeSubstitutes", CodeSubstitutes(ctx))?;
                    set_once(&mut code_substitutes, value, "codeSubstitutes")?
                }
                // Deprecated and always null in Substrate, which ignores it: so do we.
                "consensusEngine" => {
                    let value: IgnoredAny = field(ctx, &mut map, "consensusEngine")?;
                    set_once(&mut consensus_engine, value, "consensusEngine")?
                }
                "genesis" => {
                    let value = field_seed(ctx, &mut map, "genesis", GenesisSeed(ctx))?;
                    set_once(&mut genesis, value, "genesis")?
                }
                _ => {
                    let value: Value = field(ctx, &mut map, &key)?;
                    if extensions.insert(key.clone(), value).is_some() {
                        ctx.field(&key);
                        return Err(de::Error::custom("duplicate field"));
                    }
                }
            }
        }

        Ok(ChainSpec {
            name: name.ok_or_else(|| de::Error::missing_field("name"))?,
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            chain_type: chain_type.unwrap_or_default(),
            boot_nodes: boot_nodes.unwrap_or_default(),
            telemetry_endpoints: telemetry_endpoints.flatten(),
            protocol_id: protocol_id.flatten(),
            fork_id: fork_id.flatten(),
            properties: properties.flatten(),
            fork_blocks: fork_blocks.flatten(),
            bad_blocks: bad_blocks.flatten(),
            code_substitutes: code_substitutes.unwrap_or_default(),
            extensions,
            genesis: genesis.ok_or_else(|| de::Error::missing_field("genesis"))?,
            origin: String::new(),
        })
    }
}

// ---- chainType ----

struct ChainTypeVisitor;

impl<'de> DeserializeSeed<'de> for ChainTypeVisitor {
    type Value = ChainType;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ChainType, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChainTypeVisitor {
    type Value = ChainType;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#""Development", "Local", "Live" or {"Custom": name}"#)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ChainType, E> {
        match v {
            "Development" => Ok(ChainType::Development),
            "Local" => Ok(ChainType::Local),
            "Live" => Ok(ChainType::Live),
            other => Err(E::unknown_variant(
                other,
                &["Development", "Local", "Live", "Custom"],
            )),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ChainType, A::Error> {
        let Some(key) = map.next_key::<String>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        if key != "Custom" {
            return Err(de::Error::unknown_variant(&key, &["Custom"]));
        }
        let name = map.next_value::<String>()?;
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(
                r#"expected a single-entry object {"Custom": name}"#,
            ));
        }
        Ok(ChainType::Custom(name))
    }
}

// ---- hex ----

/// A 32-byte hash in hex.
struct HexHash(Hash);

impl<'de> Deserialize<'de> for HexHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HashVisitor;
        impl Visitor<'_> for HashVisitor {
            type Value = HexHash;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a 32-byte hash in 0x-prefixed hex")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HexHash, E> {
                hex::decode_hash(v).map(HexHash).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(HashVisitor)
    }
}

/// Decodes a hex string straight into bytes, recording a structured error in the context.
struct HexSeed<'c> {
    ctx: &'c Ctx,
    target: HexTarget,
}

impl<'de> DeserializeSeed<'de> for HexSeed<'_> {
    type Value = Vec<u8>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for HexSeed<'_> {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a 0x-prefixed hex string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        hex::decode(v).map_err(|error| {
            if self.target == HexTarget::Key {
                self.ctx.push(PathSegment::key(v));
            }
            let message = format!("{error} in the {}", self.target);
            *self.ctx.hex.borrow_mut() = Some((error, self.target));
            E::custom(message)
        })
    }
}

/// The path segment of an entry whose key decoded to `key`: the key in hex (lowercase, as we
/// cannot afford to keep every key's original spelling).
fn entry_segment(key: &[u8]) -> PathSegment {
    // Encode at most what `shorten` keeps.
    let prefix = &key[..key.len().min(crate::error::MAX_KEY_CHARS / 2)];
    let mut text = hex::encode(prefix);
    if prefix.len() < key.len() {
        text.push_str("...");
    }
    PathSegment::Key(shorten(&text))
}

/// A map of hex keys to hex values (`genesis.raw.top` and each child trie).
struct StorageSeed<'c>(&'c Ctx);

impl<'de> DeserializeSeed<'de> for StorageSeed<'_> {
    type Value = StorageMap;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<StorageMap, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StorageSeed<'_> {
    type Value = StorageMap;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of hex storage keys to hex values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StorageMap, A::Error> {
        let ctx = self.0;
        let mut storage = StorageMap::new();
        while let Some(key) = map.next_key_seed(HexSeed {
            ctx,
            target: HexTarget::Key,
        })? {
            let value = map
                .next_value_seed(HexSeed {
                    ctx,
                    target: HexTarget::Value,
                })
                .inspect_err(|_| ctx.push(entry_segment(&key)))?;
            if storage.contains_key(&key) {
                ctx.push(entry_segment(&key));
                return Err(de::Error::custom("duplicate storage key"));
            }
            storage.insert(key, value);
        }
        Ok(storage)
    }
}

/// `genesis.raw.childrenDefault`: child key (without prefix) to the child's storage.
struct ChildrenSeed<'c>(&'c Ctx);

impl<'de> DeserializeSeed<'de> for ChildrenSeed<'_> {
    type Value = BTreeMap<Vec<u8>, StorageMap>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChildrenSeed<'_> {
    type Value = BTreeMap<Vec<u8>, StorageMap>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of hex child storage keys to storage maps")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.0;
        let mut children = BTreeMap::new();
        while let Some(key) = map.next_key_seed(HexSeed {
            ctx,
            target: HexTarget::Key,
        })? {
            let child = map
                .next_value_seed(StorageSeed(ctx))
                .inspect_err(|_| ctx.push(entry_segment(&key)))?;
            if children.contains_key(&key) {
                ctx.push(entry_segment(&key));
                return Err(de::Error::custom("duplicate child storage key"));
            }
            children.insert(key, child);
        }
        Ok(children)
    }
}

/// `codeSubstitutes`: block number (as a string) to hex code.
struct CodeSubstitutes<'c>(&'c Ctx);

impl<'de> DeserializeSeed<'de> for CodeSubstitutes<'_> {
    type Value = BTreeMap<BlockNumber, Vec<u8>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CodeSubstitutes<'_> {
    type Value = BTreeMap<BlockNumber, Vec<u8>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of block numbers to hex code")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.0;
        let mut substitutes = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let number = key.parse::<BlockNumber>().map_err(|_| {
                ctx.push(PathSegment::key(&key));
                de::Error::custom("the key is not a block number")
            })?;
            let code = map
                .next_value_seed(HexSeed {
                    ctx,
                    target: HexTarget::Value,
                })
                .inspect_err(|_| ctx.push(PathSegment::key(&key)))?;
            if substitutes.insert(number, code).is_some() {
                ctx.push(PathSegment::key(&key));
                return Err(de::Error::custom("duplicate block number"));
            }
        }
        Ok(substitutes)
    }
}

// ---- genesis ----

/// The genesis forms we know of, for error messages.
const GENESIS_FORMS: &[&str] = &["raw", "stateRootHash", "runtimeGenesis", "runtime"];

struct GenesisSeed<'c>(&'c Ctx);

impl<'de> DeserializeSeed<'de> for GenesisSeed<'_> {
    type Value = Genesis;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Genesis, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for GenesisSeed<'_> {
    type Value = Genesis;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"an object with one of "raw", "stateRootHash", "runtimeGenesis", "runtime""#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Genesis, A::Error> {
        let ctx = self.0;
        let Some(form) = map.next_key::<String>()? else {
            return Err(de::Error::custom(
                r#"empty genesis: expected one of "raw", "stateRootHash", "runtimeGenesis", "runtime""#,
            ));
        };
        let genesis = match form.as_str() {
            "raw" => Genesis::Raw(field_seed(ctx, &mut map, "raw", RawSeed(ctx))?),
            "stateRootHash" => {
                let HexHash(root) = field(ctx, &mut map, "stateRootHash")?;
                Genesis::StateRootHash(root)
            }
            "runtimeGenesis" | "runtime" => {
                let value: Value = field(ctx, &mut map, &form)?;
                Genesis::NotRaw {
                    form: form.clone(),
                    value,
                }
            }
            other => return Err(de::Error::unknown_variant(other, GENESIS_FORMS)),
        };
        if let Some(second) = map.next_key::<String>()? {
            return Err(de::Error::custom(format_args!(
                "genesis has both {form:?} and {second:?}: expected exactly one form"
            )));
        }
        Ok(genesis)
    }
}

struct RawSeed<'c>(&'c Ctx);

impl<'de> DeserializeSeed<'de> for RawSeed<'_> {
    type Value = GenesisStorage;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<GenesisStorage, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RawSeed<'_> {
    type Value = GenesisStorage;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"raw genesis storage {"top": {..}, "childrenDefault": {..}}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GenesisStorage, A::Error> {
        let ctx = self.0;
        let mut top = None;
        let mut children_default = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "top" => set_once(
                    &mut top,
                    field_seed(ctx, &mut map, "top", StorageSeed(ctx))?,
                    "top",
                )?,
                "childrenDefault" => {
                    let value = field_seed(ctx, &mut map, "childrenDefault", ChildrenSeed(ctx))?;
                    set_once(&mut children_default, value, "childrenDefault")?
                }
                // Rejected rather than ignored: an unknown kind of storage would silently
                // change the genesis state.
                other => return Err(de::Error::unknown_field(other, &["top", "childrenDefault"])),
            }
        }
        Ok(GenesisStorage {
            top: top.ok_or_else(|| de::Error::missing_field("top"))?,
            children_default: children_default.unwrap_or_default(),
        })
    }
}

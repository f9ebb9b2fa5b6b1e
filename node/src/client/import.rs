//! Block import: executes a block (`Core_execute_block`) on its parent's state with the
//! runtime found there and, if the runtime accepts it, stores it with the state changes.
//! Also the block file formats of `import-blocks` / `export-blocks`.
//!
//! # Formats
//! * Binary (Substrate's): the number of blocks as a SCALE `u64`, then each block as a
//!   SCALE `SignedBlock` (the block, then its justifications as an `Option`, always `None`
//!   here). On import a stream without the count (SCALE blocks back to back) is accepted too.
//! * JSON: a stream (or an array) of JSON values, each a `SignedBlock` as Substrate writes
//!   it (`{"block": {"header": {...}, "extrinsics": [...]}, "justifications": null}`) or
//!   `{"encoded_block": "0x…"}` (the SCALE block, as in test fixtures).

use codec::{Compact, Decode, Encode};
use executor::externalities::OverlayedExternalities;
use serde_json::{json, Value};
use substrate_primitives::header::{Digest, DigestItem, Header};

use super::{hex_hash, Client, ClientError, Hash, NewBlock};

/// A block: header and extrinsics (each as the block encodes it, length prefix included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The header.
    pub header: Header,
    /// The extrinsics.
    pub extrinsics: Vec<Vec<u8>>,
}

impl Block {
    /// The SCALE encoding (`header ++ Vec<OpaqueExtrinsic>`).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.header.encode();
        Compact(self.extrinsics.len() as u32).encode_to(&mut out);
        for extrinsic in &self.extrinsics {
            out.extend_from_slice(extrinsic);
        }
        out
    }

    /// Decodes a SCALE block from the front of `input`.
    pub fn decode(input: &mut &[u8]) -> Result<Self, codec::Error> {
        let header = Header::decode(input)?;
        let count = Compact::<u32>::decode(input)?.0;
        let mut extrinsics = Vec::with_capacity(count.min(1 << 16) as usize);
        for _ in 0..count {
            let before = *input;
            let _ = Vec::<u8>::decode(input)?;
            let used = before.len() - input.len();
            extrinsics.push(before[..used].to_vec());
        }
        Ok(Block { header, extrinsics })
    }
}

/// What importing one block did.
#[derive(Debug, PartialEq, Eq)]
pub enum Imported {
    /// It was stored.
    Stored(Hash),
    /// It was known already.
    AlreadyInChain(Hash),
}

/// Executes `block` on its parent's state and stores it; it becomes the best block if it is
/// higher than the current one.
pub fn import_block(client: &Client, block: Block) -> Result<Imported, ClientError> {
    let hash = block.header.hash();
    if client.header(&hash)?.is_some() {
        return Ok(Imported::AlreadyInChain(hash));
    }
    let parent = block.header.parent_hash;
    if client.header(&parent)?.is_none() {
        return Err(ClientError::UnknownParent(parent));
    }
    let state_version = client.runtime_version(&parent)?.state_version();
    // The seal is added after execution (by the author's consensus engine): the runtime
    // executes the block without it, as Substrate's block import does.
    let mut pre_header = block.header.clone();
    while matches!(pre_header.digest.logs.last(), Some(DigestItem::Seal(..))) {
        pre_header.digest.logs.pop();
    }
    let to_execute = Block {
        header: pre_header,
        extrinsics: block.extrinsics.clone(),
    }
    .encode();
    let executor = client.executor().clone();
    let changes = client.with_code(&parent, |state, code| {
        let mut ext = OverlayedExternalities::with_backend(state.clone());
        executor.call(code, "Core_execute_block", &to_execute, &mut ext)?;
        Ok(ext.into_changes())
    })?;
    let best = block.header.number > client.info().best_number;
    let number = block.header.number;
    let stored = client.insert_block(
        NewBlock {
            header: block.header,
            body: block.extrinsics,
            changes,
            state_version,
        },
        best,
    )?;
    tracing::debug!("imported block #{number} ({})", hex_hash(&stored));
    Ok(Imported::Stored(stored))
}

/// Reads the blocks of a binary stream (with or without the leading `u64` count).
pub fn read_binary(data: &[u8]) -> Result<Vec<Block>, String> {
    let with_count = |mut input: &[u8]| -> Result<Vec<Block>, String> {
        let count = u64::decode(&mut input).map_err(|e| e.to_string())?;
        let mut blocks = Vec::new();
        for index in 0..count {
            let block = Block::decode(&mut input).map_err(|e| format!("block {index}: {e}"))?;
            let justifications = Option::<Vec<([u8; 4], Vec<u8>)>>::decode(&mut input)
                .map_err(|e| format!("block {index}: justifications: {e}"))?;
            let _ = justifications;
            blocks.push(block);
        }
        if !input.is_empty() {
            return Err(format!("{} bytes after the last block", input.len()));
        }
        Ok(blocks)
    };
    let without_count = |mut input: &[u8]| -> Result<Vec<Block>, String> {
        let mut blocks = Vec::new();
        while !input.is_empty() {
            let index = blocks.len();
            blocks.push(Block::decode(&mut input).map_err(|e| format!("block {index}: {e}"))?);
        }
        Ok(blocks)
    };
    with_count(data).or_else(|first| {
        without_count(data).map_err(|second| {
            format!("not Substrate's binary block format ({first}), nor SCALE blocks back to back ({second})")
        })
    })
}

/// Writes `blocks` in Substrate's binary format.
pub fn write_binary(blocks: &[Block]) -> Vec<u8> {
    let mut out = (blocks.len() as u64).encode();
    for block in blocks {
        out.extend(block.encode());
        out.push(0); // No justifications.
    }
    out
}

fn hex_field(value: &Value, what: &str) -> Result<Vec<u8>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{what}: expected a hex string"))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("{what}: missing the 0x prefix"))?;
    hex::decode(digits).map_err(|e| format!("{what}: {e}"))
}

fn hash_field(value: &Value, what: &str) -> Result<Hash, String> {
    hex_field(value, what)?
        .try_into()
        .map_err(|_| format!("{what}: not 32 bytes"))
}

/// One block from its JSON form (see the module documentation).
pub fn block_from_json(value: &Value) -> Result<Block, String> {
    if let Some(encoded) = value.get("encoded_block") {
        let bytes = hex_field(encoded, "encoded_block")?;
        let mut input = &bytes[..];
        let block = Block::decode(&mut input).map_err(|e| format!("encoded_block: {e}"))?;
        if !input.is_empty() {
            return Err("encoded_block: trailing bytes".into());
        }
        return Ok(block);
    }
    let block = value.get("block").unwrap_or(value);
    let header = block.get("header").ok_or("missing `header`")?;
    let number = match &header["number"] {
        Value::String(text) => {
            let digits = text
                .strip_prefix("0x")
                .ok_or("number: missing the 0x prefix")?;
            u32::from_str_radix(digits, 16).map_err(|e| format!("number: {e}"))?
        }
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or("number: not a u32")?,
        _ => return Err("number: expected a hex string".into()),
    };
    let logs = header["digest"]["logs"]
        .as_array()
        .ok_or("digest.logs: expected an array")?;
    let digest = logs
        .iter()
        .map(|log| {
            let bytes = hex_field(log, "digest log")?;
            DigestItem::decode(&mut &bytes[..]).map_err(|e| format!("digest log: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let extrinsics = block["extrinsics"]
        .as_array()
        .ok_or("extrinsics: expected an array")?
        .iter()
        .map(|xt| hex_field(xt, "extrinsic"))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Block {
        header: Header {
            parent_hash: hash_field(&header["parentHash"], "parentHash")?,
            number,
            state_root: hash_field(&header["stateRoot"], "stateRoot")?,
            extrinsics_root: hash_field(&header["extrinsicsRoot"], "extrinsicsRoot")?,
            digest: Digest { logs: digest },
        },
        extrinsics,
    })
}

/// Reads the blocks of a JSON stream: JSON values back to back (or in arrays).
pub fn read_json(data: &[u8]) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    for value in serde_json::Deserializer::from_slice(data).into_iter::<Value>() {
        let value = value.map_err(|e| format!("invalid JSON: {e}"))?;
        match value {
            Value::Array(items) => {
                for item in &items {
                    blocks.push(block_from_json(item)?);
                }
            }
            other => blocks.push(block_from_json(&other)?),
        }
    }
    Ok(blocks)
}

/// A block as Substrate's JSON `SignedBlock`.
pub fn block_to_json(block: &Block) -> Value {
    let hex = |bytes: &[u8]| format!("0x{}", hex::encode(bytes));
    json!({
        "block": {
            "header": {
                "parentHash": hex(&block.header.parent_hash),
                "number": format!("{:#x}", block.header.number),
                "stateRoot": hex(&block.header.state_root),
                "extrinsicsRoot": hex(&block.header.extrinsics_root),
                "digest": {"logs": block.header.digest.logs.iter().map(|d| hex(&d.encode())).collect::<Vec<_>>()},
            },
            "extrinsics": block.extrinsics.iter().map(|x| hex(x)).collect::<Vec<_>>(),
        },
        "justifications": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Block {
        let mut header = chain_spec::header::genesis([3; 32]);
        header.number = 7;
        header
            .digest
            .logs
            .push(DigestItem::Seal(*b"BABE", vec![1, 2]));
        Block {
            header,
            extrinsics: vec![vec![8, 4, 1], vec![0]],
        }
    }

    #[test]
    fn formats_round_trip() {
        let blocks = vec![sample(), sample()];
        assert_eq!(read_binary(&write_binary(&blocks)).unwrap(), blocks);
        let bare: Vec<u8> = blocks.iter().flat_map(Block::encode).collect();
        assert_eq!(read_binary(&bare).unwrap(), blocks);
        let json: String = blocks
            .iter()
            .map(|b| block_to_json(b).to_string())
            .collect();
        assert_eq!(read_json(json.as_bytes()).unwrap(), blocks);
        let encoded = json!([{"encoded_block": format!("0x{}", hex::encode(sample().encode()))}]);
        assert_eq!(
            read_json(encoded.to_string().as_bytes()).unwrap(),
            vec![sample()]
        );
    }
}

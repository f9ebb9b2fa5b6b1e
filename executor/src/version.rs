//! The runtime version (`sp_version::RuntimeVersion`), as runtimes encode it.

use codec::{Decode, Encode, Input};

use crate::{blob::RuntimeBlob, Error};

/// Id of the `Core` runtime API: blake2-64 of "Core".
pub const CORE_API_ID: [u8; 8] = [0xdf, 0x6a, 0xcb, 0x68, 0x99, 0x07, 0x60, 0x9b];

/// A runtime's version as returned by `Core_version`.
///
/// The encoding grew with the `Core` API: `transaction_version` exists from Core v3 and
/// `system_version` (formerly `state_version`) from Core v4. Older runtimes decode with the
/// defaults Substrate uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeVersion {
    /// Identifies the runtime's specification (chain logic).
    pub spec_name: String,
    /// Identifies the implementation.
    pub impl_name: String,
    /// Authoring compatibility version.
    pub authoring_version: u32,
    /// Specification version; a runtime upgrade must increase it.
    pub spec_version: u32,
    /// Implementation version.
    pub impl_version: u32,
    /// Supported runtime APIs: (id, version).
    pub apis: Vec<([u8; 8], u32)>,
    /// Transaction format version (1 for runtimes older than Core v3).
    pub transaction_version: u32,
    /// System version; selects the state trie version (0 for runtimes older than Core v4).
    pub system_version: u8,
}

impl RuntimeVersion {
    /// The version of the `Core` API this runtime implements, if it lists it.
    pub fn core_version(&self) -> Option<u32> {
        core_version(&self.apis)
    }

    /// The state version its storage root uses (`system_version` 0 is V0, anything else V1).
    pub fn state_version(&self) -> trie::StateVersion {
        if self.system_version == 0 {
            trie::StateVersion::V0
        } else {
            trie::StateVersion::V1
        }
    }

    /// Decodes a version whose `apis` are not in the encoding (the `runtime_version` custom
    /// section), using the Core version found elsewhere.
    fn decode_with_core_version(
        input: &mut impl Input,
        core: Option<u32>,
    ) -> Result<Self, codec::Error> {
        let spec_name = String::decode(input)?;
        let impl_name = String::decode(input)?;
        let authoring_version = u32::decode(input)?;
        let spec_version = u32::decode(input)?;
        let impl_version = u32::decode(input)?;
        let apis = Vec::<([u8; 8], u32)>::decode(input)?;
        let core = core.or_else(|| core_version(&apis)).unwrap_or(1);
        let transaction_version = if core >= 3 { u32::decode(input)? } else { 1 };
        let system_version = if core >= 4 { u8::decode(input)? } else { 0 };
        Ok(Self {
            spec_name,
            impl_name,
            authoring_version,
            spec_version,
            impl_version,
            apis,
            transaction_version,
            system_version,
        })
    }

    /// Reads the version from the `runtime_version` and `runtime_apis` custom sections, if
    /// the blob has them.
    pub fn from_custom_sections(blob: &RuntimeBlob) -> Result<Option<Self>, Error> {
        let Some(mut section) = blob.custom_section("runtime_version") else {
            return Ok(None);
        };
        let apis = blob
            .custom_section("runtime_apis")
            .map(decode_runtime_apis)
            .transpose()?;
        let core = apis.as_deref().and_then(core_version);
        let mut version = Self::decode_with_core_version(&mut section, core).map_err(|e| {
            Error::Version(format!(
                "the `runtime_version` section does not decode: {e}"
            ))
        })?;
        if let Some(apis) = apis {
            version.apis = apis;
        }
        Ok(Some(version))
    }
}

impl Decode for RuntimeVersion {
    fn decode<I: Input>(input: &mut I) -> Result<Self, codec::Error> {
        Self::decode_with_core_version(input, None)
    }
}

impl Encode for RuntimeVersion {
    /// The current (Core v5) layout, with every field.
    fn encode_to<T: codec::Output + ?Sized>(&self, dest: &mut T) {
        self.spec_name.encode_to(dest);
        self.impl_name.encode_to(dest);
        self.authoring_version.encode_to(dest);
        self.spec_version.encode_to(dest);
        self.impl_version.encode_to(dest);
        self.apis.encode_to(dest);
        self.transaction_version.encode_to(dest);
        self.system_version.encode_to(dest);
    }
}

fn core_version(apis: &[([u8; 8], u32)]) -> Option<u32> {
    apis.iter()
        .find(|(id, _)| *id == CORE_API_ID)
        .map(|(_, version)| *version)
}

/// The `runtime_apis` section: concatenated 12-byte entries, an 8-byte id then a u32 LE version.
fn decode_runtime_apis(section: &[u8]) -> Result<Vec<([u8; 8], u32)>, Error> {
    if !section.len().is_multiple_of(12) {
        return Err(Error::Version(format!(
            "the `runtime_apis` section is {} bytes, not a multiple of 12",
            section.len()
        )));
    }
    Ok(section
        .chunks_exact(12)
        .map(|entry| {
            let id: [u8; 8] = entry[..8].try_into().expect("chunk of 12");
            let version = u32::from_le_bytes(entry[8..].try_into().expect("chunk of 12"));
            (id, version)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(core: u32) -> RuntimeVersion {
        RuntimeVersion {
            spec_name: "test".into(),
            impl_name: "impl".into(),
            authoring_version: 1,
            spec_version: 7,
            impl_version: 2,
            apis: vec![(CORE_API_ID, core), (*b"metadata", 1)],
            transaction_version: if core >= 3 { 5 } else { 1 },
            system_version: if core >= 4 { 1 } else { 0 },
        }
    }

    #[test]
    fn round_trip_current_layout() {
        let version = sample(5);
        assert_eq!(
            RuntimeVersion::decode(&mut &version.encode()[..]).unwrap(),
            version
        );
        assert_eq!(version.state_version(), trie::StateVersion::V1);
    }

    #[test]
    fn legacy_layout_without_optional_fields() {
        let version = sample(2);
        let mut encoded = version.encode();
        // A Core v2 runtime stops after `apis`.
        encoded.truncate(encoded.len() - 5);
        let decoded = RuntimeVersion::decode(&mut &encoded[..]).unwrap();
        assert_eq!(decoded, version);
        assert_eq!(decoded.state_version(), trie::StateVersion::V0);
    }

    #[test]
    fn runtime_apis_section() {
        let mut section = CORE_API_ID.to_vec();
        section.extend(4u32.to_le_bytes());
        assert_eq!(
            decode_runtime_apis(&section).unwrap(),
            vec![(CORE_API_ID, 4)]
        );
        assert!(decode_runtime_apis(&section[..11]).is_err());
    }
}

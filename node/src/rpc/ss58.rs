//! SS58 addresses, Substrate's text form of account ids, as RPC parameters take them.
//!
//! An address is base58 of `prefix ++ account id ++ checksum`: a one-byte network prefix
//! (below 64) or a two-byte one (64..16383), the 32-byte account id, and the first two bytes
//! of BLAKE2b-512(`"SS58PRE" ++ prefix ++ account id`).

use serde::{de::Visitor, Deserialize, Deserializer};

/// Why a string is not an SS58 address of a 32-byte account.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Ss58Error {
    /// Not base58.
    #[error("invalid SS58 address `{0}`: not base58")]
    NotBase58(String),
    /// Not the length of a 32-byte account id with a one- or two-byte prefix and checksum.
    #[error("invalid SS58 address `{0}`: wrong length")]
    BadLength(String),
    /// A two-byte prefix above 16383, or one that must be written in one byte.
    #[error("invalid SS58 address `{0}`: bad network prefix")]
    BadPrefix(String),
    /// The checksum does not match.
    #[error("invalid SS58 address `{0}`: bad checksum")]
    BadChecksum(String),
}

/// Decodes `address` into its network prefix and account id.
pub fn decode(address: &str) -> Result<(u16, [u8; 32]), Ss58Error> {
    let data = bs58::decode(address)
        .into_vec()
        .map_err(|_| Ss58Error::NotBase58(address.into()))?;
    let (prefix, prefix_len) = match data.first() {
        Some(&first) if first < 64 => (u16::from(first), 1),
        Some(&first) if first < 128 && data.len() > 1 => {
            let second = data[1];
            let prefix = (u16::from(first & 0b0011_1111) << 2)
                | u16::from(second >> 6)
                | (u16::from(second & 0b0011_1111) << 8);
            if prefix < 64 {
                return Err(Ss58Error::BadPrefix(address.into()));
            }
            (prefix, 2)
        }
        Some(_) => return Err(Ss58Error::BadPrefix(address.into())),
        None => return Err(Ss58Error::BadLength(address.into())),
    };
    if data.len() != prefix_len + 32 + 2 {
        return Err(Ss58Error::BadLength(address.into()));
    }
    let (body, checksum) = data.split_at(prefix_len + 32);
    let hash = sp_crypto_hashing::blake2_512(&[b"SS58PRE".as_slice(), body].concat());
    if checksum != &hash[..2] {
        return Err(Ss58Error::BadChecksum(address.into()));
    }
    let account = body[prefix_len..].try_into().expect("32 bytes");
    Ok((prefix, account))
}

/// A 32-byte account id given as an SS58 address (any network prefix) or as `0x`-hex, as
/// Substrate's RPC accepts `AccountId32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountParam(pub [u8; 32]);

impl<'de> Deserialize<'de> for AccountParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AccountVisitor;

        impl Visitor<'_> for AccountVisitor {
            type Value = AccountParam;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an SS58 address or a 0x-prefixed 32-byte account id")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<AccountParam, E> {
                if text.starts_with("0x") {
                    let bytes = super::parse_hex(text).map_err(E::custom)?;
                    let account = bytes.as_slice().try_into().map_err(|_| {
                        E::custom(format!(
                            "invalid account id: expected 32 bytes, got {}",
                            bytes.len()
                        ))
                    })?;
                    return Ok(AccountParam(account));
                }
                decode(text)
                    .map(|(_, account)| AccountParam(account))
                    .map_err(E::custom)
            }
        }

        deserializer.deserialize_str(AccountVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `//Alice`'s sr25519 public key.
    const ALICE: [u8; 32] = [
        0xd4, 0x35, 0x93, 0xc7, 0x15, 0xfd, 0xd3, 0x1c, 0x61, 0x14, 0x1a, 0xbd, 0x04, 0xa9, 0x9f,
        0xd6, 0x82, 0x2c, 0x85, 0x58, 0x85, 0x4c, 0xcd, 0xe3, 0x9a, 0x56, 0x84, 0xe7, 0xa5, 0x6d,
        0xa2, 0x7d,
    ];

    #[test]
    fn known_addresses() {
        // Alice on the generic Substrate prefix (42), on Polkadot (0) and Kusama (2).
        for (address, prefix) in [
            ("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", 42),
            ("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5", 0),
            ("HNZata7iMYWmk5RvZRTiAsSDhV8366zq2YGb3tLH5Upf74F", 2),
        ] {
            assert_eq!(decode(address), Ok((prefix, ALICE)), "{address}");
        }
    }

    #[test]
    fn bad_addresses() {
        let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
        let mut bad_checksum = alice.to_owned();
        bad_checksum.replace_range(47.., "Z");
        assert_eq!(
            decode(&bad_checksum),
            Err(Ss58Error::BadChecksum(bad_checksum.clone()))
        );
        assert_eq!(decode("0OIl"), Err(Ss58Error::NotBase58("0OIl".into())));
        assert_eq!(
            decode(&alice[..40]),
            Err(Ss58Error::BadLength(alice[..40].into()))
        );
        assert_eq!(decode(""), Err(Ss58Error::BadLength(String::new())));
    }

    /// The inverse of [`decode`], for the round trip below.
    fn encode(prefix: u16, account: &[u8; 32]) -> String {
        let mut data = match prefix {
            0..=63 => vec![prefix as u8],
            _ => vec![
                ((prefix & 0b1111_1100) as u8 >> 2) | 0b0100_0000,
                (prefix >> 8) as u8 | ((prefix & 0b11) as u8) << 6,
            ],
        };
        data.extend_from_slice(account);
        let hash = sp_crypto_hashing::blake2_512(&[b"SS58PRE".as_slice(), &data].concat());
        data.extend_from_slice(&hash[..2]);
        bs58::encode(data).into_string()
    }

    proptest::proptest! {
        /// Any prefix a two-byte form can hold, any account: decoded back as encoded.
        #[test]
        fn round_trip(prefix in 0u16..16384, account in proptest::array::uniform32(0u8..)) {
            proptest::prop_assert_eq!(decode(&encode(prefix, &account)), Ok((prefix, account)));
        }

        /// Untrusted input: any string is decoded or refused, never a panic.
        #[test]
        fn never_panics(text in ".{0,60}") {
            let _ = decode(&text);
        }
    }

    #[test]
    fn two_byte_prefixes() {
        // Prefixes from 64 up take two bytes.
        assert_eq!(decode(&encode(64, &ALICE)), Ok((64, ALICE)));
        assert_eq!(decode(&encode(16383, &ALICE)), Ok((16383, ALICE)));
        assert_eq!(
            encode(42, &ALICE),
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
    }

    #[test]
    fn parameters() {
        let parse = |json: &str| serde_json::from_str::<AccountParam>(json);
        assert_eq!(
            parse("\"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\"").unwrap(),
            AccountParam(ALICE)
        );
        let hex = format!("\"0x{}\"", hex::encode(ALICE));
        assert_eq!(parse(&hex).unwrap(), AccountParam(ALICE));
        let short = parse("\"0x0102\"").unwrap_err().to_string();
        assert!(short.contains("expected 32 bytes, got 2"), "{short}");
        let bad = parse("\"5Grwva\"").unwrap_err().to_string();
        assert!(bad.contains("invalid SS58 address `5Grwva`"), "{bad}");
        assert!(parse("7").is_err());
    }
}

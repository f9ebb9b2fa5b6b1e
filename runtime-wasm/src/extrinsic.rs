//! The extrinsic format: Substrate's `UncheckedExtrinsic` of format version 4, shared by the
//! runtime (which decodes and checks it) and the host build (which builds them, see
//! [`tx`](crate::tx)).
//!
//! As the block carries it an extrinsic is a SCALE `Vec<u8>` (compact length, then content).
//! The content is:
//! - unsigned: `0x04 ++ call`;
//! - signed: `0x84 ++ signer (MultiAddress) ++ signature (MultiSignature) ++ extra ++ call`,
//!   where `extra` = [`SignedExtra`] = `era ++ Compact(nonce) ++ Compact(tip)`.
//!
//! The signature covers [`signing_payload`]: `call ++ extra ++ additional_signed`, where
//! `additional_signed` = [`AdditionalSigned`] = `spec_version (u32) ++ transaction_version
//! (u32) ++ genesis_hash ++ era_block_hash` (the genesis hash again for an immortal era, the
//! birth block's hash for a mortal one); a payload longer than 256 bytes is replaced by its
//! BLAKE2-256 hash. These are FRAME's signed extensions `CheckSpecVersion`, `CheckTxVersion`,
//! `CheckGenesis`, `CheckMortality`, `CheckNonce` and `ChargeTransactionPayment` (tip only: no
//! fees), in that order, so polkadot-js can sign for this runtime from its metadata.

use crate::calls::RuntimeCall;
use crate::primitives::{Balance, Era, Hash, MultiAddress, MultiSignature, Nonce};
use codec::{Decode, Encode};
#[cfg(target_arch = "wasm32")]
use scale_info::TypeInfo;

#[cfg(target_arch = "wasm32")]
use alloc::vec::Vec;

/// The extrinsic format version (the low 7 bits of the first content byte).
pub const EXTRINSIC_FORMAT_VERSION: u8 = 4;
/// The bit of the first content byte that marks a signed extrinsic.
pub const SIGNED_BIT: u8 = 0b1000_0000;
/// Longest signing payload that is signed as is; longer ones are signed as their BLAKE2-256.
pub const MAX_UNHASHED_PAYLOAD: usize = 256;

/// The signed extensions' data carried in the extrinsic: `CheckMortality`'s era,
/// `CheckNonce`'s nonce and `ChargeTransactionPayment`'s tip.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(target_arch = "wasm32", derive(TypeInfo))]
pub struct SignedExtra {
    /// The era.
    pub era: Era,
    /// The sender's nonce for this transaction.
    #[codec(compact)]
    pub nonce: Nonce,
    /// An amount the sender gives away (burned) to raise the transaction's priority.
    #[codec(compact)]
    pub tip: Balance,
}

/// The signed extensions' implicit data: signed but not carried in the extrinsic.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub struct AdditionalSigned {
    /// `CheckSpecVersion`: the runtime's `spec_version`.
    pub spec_version: u32,
    /// `CheckTxVersion`: the runtime's `transaction_version`.
    pub transaction_version: u32,
    /// `CheckGenesis`: the genesis block hash.
    pub genesis_hash: Hash,
    /// `CheckMortality`: the genesis hash (immortal) or the era's birth block hash (mortal).
    pub era_block_hash: Hash,
}

/// The signature part of a signed extrinsic.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct ExtrinsicSignature {
    /// The sender.
    pub signer: MultiAddress,
    /// The signature of the [`signing_payload`].
    pub signature: MultiSignature,
    /// The signed extensions' data.
    pub extra: SignedExtra,
}

/// The bytes a signed extrinsic's signature covers: `(call, extra, additional)` encoded, or
/// its BLAKE2-256 hash if longer than [`MAX_UNHASHED_PAYLOAD`].
pub fn signing_payload(
    call: &RuntimeCall,
    extra: &SignedExtra,
    additional: &AdditionalSigned,
) -> Vec<u8> {
    let payload = (call, extra, additional).encode();
    if payload.len() > MAX_UNHASHED_PAYLOAD {
        crate::hashing::blake2_256(&payload).to_vec()
    } else {
        payload
    }
}

/// A decoded extrinsic.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UncheckedExtrinsic {
    /// The signature, for a signed extrinsic.
    pub signature: Option<ExtrinsicSignature>,
    /// The call to dispatch.
    pub call: RuntimeCall,
}

impl UncheckedExtrinsic {
    /// An unsigned extrinsic.
    pub fn new_unsigned(call: RuntimeCall) -> Self {
        Self {
            signature: None,
            call,
        }
    }

    /// Parses the content of an extrinsic (what follows its length prefix). The whole content
    /// must be consumed.
    pub fn from_content(content: &[u8]) -> Result<Self, codec::Error> {
        let (&version, mut rest) = content
            .split_first()
            .ok_or("empty extrinsic: missing the format version byte")?;
        if version & !SIGNED_BIT != EXTRINSIC_FORMAT_VERSION {
            return Err("unsupported extrinsic format: only v4 (0x04, 0x84) is accepted".into());
        }
        let signature = if version & SIGNED_BIT != 0 {
            Some(ExtrinsicSignature::decode(&mut rest)?)
        } else {
            None
        };
        let call = RuntimeCall::decode(&mut rest)?;
        if !rest.is_empty() {
            return Err("trailing bytes after the extrinsic's call".into());
        }
        Ok(Self { signature, call })
    }

    /// The content: the version byte, the signature if any, and the call (no length prefix).
    pub fn content(&self) -> Vec<u8> {
        let mut content = Vec::new();
        match &self.signature {
            Some(signature) => {
                content.push(EXTRINSIC_FORMAT_VERSION | SIGNED_BIT);
                signature.encode_to(&mut content);
            }
            None => content.push(EXTRINSIC_FORMAT_VERSION),
        }
        self.call.encode_to(&mut content);
        content
    }
}

impl Encode for UncheckedExtrinsic {
    fn encode(&self) -> Vec<u8> {
        self.content().encode()
    }
}

impl Decode for UncheckedExtrinsic {
    fn decode<I: codec::Input>(input: &mut I) -> Result<Self, codec::Error> {
        Self::from_content(&Vec::<u8>::decode(input)?)
    }
}

/// Describes the extrinsic to metadata consumers the way Substrate does: opaque bytes, with
/// the address, call, signature and extra types as type parameters (tools read them there).
#[cfg(target_arch = "wasm32")]
impl TypeInfo for UncheckedExtrinsic {
    type Identity = Self;

    fn type_info() -> scale_info::Type {
        use scale_info::{build::Fields, meta_type, Path, Type, TypeParameter};
        Type::builder()
            .path(Path::new(
                "UncheckedExtrinsic",
                "sp_runtime::generic::unchecked_extrinsic",
            ))
            .type_params([
                TypeParameter::new("Address", Some(meta_type::<MultiAddress>())),
                TypeParameter::new("Call", Some(meta_type::<RuntimeCall>())),
                TypeParameter::new("Signature", Some(meta_type::<MultiSignature>())),
                TypeParameter::new("Extra", Some(meta_type::<SignedExtra>())),
            ])
            .composite(Fields::unnamed().field(|f| f.ty::<Vec<u8>>()))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::calls::{SystemCall, TestStorageCall};
    use crate::primitives::AccountId32;

    #[test]
    fn unsigned_roundtrip() {
        let xt = UncheckedExtrinsic::new_unsigned(RuntimeCall::TestStorage(
            TestStorageCall::set_storage {
                key: vec![1],
                value: vec![2],
            },
        ));
        let encoded = xt.encode();
        assert_eq!(encoded, [7 << 2, 0x04, 1, 0, 4, 1, 4, 2]);
        assert_eq!(UncheckedExtrinsic::decode(&mut &encoded[..]).unwrap(), xt);
    }

    #[test]
    fn signed_layout() {
        let call = RuntimeCall::System(SystemCall::remark { remark: vec![] });
        let xt = UncheckedExtrinsic {
            signature: Some(ExtrinsicSignature {
                signer: MultiAddress::Id(AccountId32([0xaa; 32])),
                signature: MultiSignature::Sr25519([0xbb; 64]),
                extra: SignedExtra {
                    era: Era::Immortal,
                    nonce: 1,
                    tip: 0,
                },
            }),
            call: call.clone(),
        };
        let content = xt.content();
        let mut expected = vec![0x84, 0x00];
        expected.extend_from_slice(&[0xaa; 32]);
        expected.push(0x01);
        expected.extend_from_slice(&[0xbb; 64]);
        expected.extend_from_slice(&[0x00, 0x04, 0x00]); // immortal, Compact(1), Compact(0)
        expected.extend_from_slice(&call.encode());
        assert_eq!(content, expected);
        assert_eq!(UncheckedExtrinsic::from_content(&content).unwrap(), xt);
        assert!(UncheckedExtrinsic::from_content(&[0x05, 0, 0, 0]).is_err());
        assert!(UncheckedExtrinsic::from_content(
            &[[0x04].as_slice(), &call.encode(), &[0]].concat()
        )
        .is_err());
    }

    #[test]
    fn long_payloads_are_hashed() {
        let extra = SignedExtra {
            era: Era::Immortal,
            nonce: 0,
            tip: 0,
        };
        let additional = AdditionalSigned {
            spec_version: 1,
            transaction_version: 1,
            genesis_hash: [3; 32],
            era_block_hash: [3; 32],
        };
        let short = RuntimeCall::System(SystemCall::remark {
            remark: vec![0; 10],
        });
        let payload = signing_payload(&short, &extra, &additional);
        assert_eq!(payload, (&short, &extra, &additional).encode());
        let long = RuntimeCall::System(SystemCall::remark {
            remark: vec![0; 300],
        });
        let payload = signing_payload(&long, &extra, &additional);
        assert_eq!(
            payload,
            sp_crypto_hashing::blake2_256(&(&long, &extra, &additional).encode())
        );
    }
}

//! The extrinsic format, the runtime's calls and the dispatch/validity error types.
//!
//! Encodings follow Substrate so that generic tooling can read them: an extrinsic is a
//! length-prefixed byte string whose content is the format version byte followed by the
//! call; `RuntimeCall` is an enum of pallet call enums indexed by pallet index; results use
//! sp-runtime's `DispatchError` and `TransactionValidityError` variant indices.

use crate::{system, test_storage};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;

/// Version byte of an unsigned extrinsic of format version 4 (the high bit would mark a
/// signed one; none is supported yet).
pub const EXTRINSIC_FORMAT_VERSION: u8 = 4;

/// All calls of the runtime: the pallet index followed by that pallet's call.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub enum RuntimeCall {
    /// Calls of the System pallet.
    #[codec(index = 0)]
    System(system::Call),
    /// Calls of the TestStorage pallet.
    #[codec(index = 1)]
    TestStorage(test_storage::Call),
}

impl RuntimeCall {
    /// Executes the call.
    pub fn dispatch(self) -> DispatchResult {
        match self {
            RuntimeCall::System(call) => system::dispatch(call),
            RuntimeCall::TestStorage(call) => test_storage::dispatch(call),
        }
    }
}

/// A decoded extrinsic. Only the unsigned v4 format exists for now; signed transactions and
/// their signed extensions come with the transfer pallet.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct UncheckedExtrinsic {
    /// The call to dispatch.
    pub call: RuntimeCall,
}

impl UncheckedExtrinsic {
    /// Parses the content of an extrinsic (what follows its length prefix). The whole content
    /// must be consumed.
    pub fn from_content(content: &[u8]) -> Result<Self, codec::Error> {
        let (&version, mut rest) = content
            .split_first()
            .ok_or("empty extrinsic: missing the format version byte")?;
        if version != EXTRINSIC_FORMAT_VERSION {
            return Err("unsupported extrinsic format: only unsigned v4 (0x04) is accepted".into());
        }
        let call = RuntimeCall::decode(&mut rest)?;
        if !rest.is_empty() {
            return Err("trailing bytes after the extrinsic's call".into());
        }
        Ok(Self { call })
    }
}

impl Encode for UncheckedExtrinsic {
    fn encode(&self) -> Vec<u8> {
        let mut content = Vec::with_capacity(1 + self.call.size_hint());
        content.push(EXTRINSIC_FORMAT_VERSION);
        self.call.encode_to(&mut content);
        content.encode()
    }
}

impl Decode for UncheckedExtrinsic {
    fn decode<I: codec::Input>(input: &mut I) -> Result<Self, codec::Error> {
        Self::from_content(&Vec::<u8>::decode(input)?)
    }
}

/// Describes the extrinsic to metadata consumers the way Substrate does: opaque bytes, with
/// the call type as a type parameter so tools can find `RuntimeCall`.
impl TypeInfo for UncheckedExtrinsic {
    type Identity = Self;

    fn type_info() -> scale_info::Type {
        use scale_info::{build::Fields, meta_type, Path, Type, TypeParameter};
        Type::builder()
            .path(Path::new("UncheckedExtrinsic", module_path!()))
            .type_params([TypeParameter::new("Call", Some(meta_type::<RuntimeCall>()))])
            .composite(Fields::unnamed().field(|f| f.ty::<Vec<u8>>()))
    }
}

/// A pallet's error, as sp-runtime's `ModuleError`.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub struct ModuleError {
    /// The pallet index.
    pub index: u8,
    /// The error's variant index in the pallet's error enum, then padding.
    pub error: [u8; 4],
}

/// Why a dispatch failed (the subset of sp-runtime's `DispatchError` this runtime produces,
/// with the same variant indices).
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum DispatchError {
    /// Some other error (sp-runtime does not encode its message either).
    #[codec(index = 0)]
    Other,
    /// The origin is not allowed to make this call.
    #[codec(index = 2)]
    BadOrigin,
    /// A pallet's own error.
    #[codec(index = 3)]
    Module(ModuleError),
}

/// Result of dispatching a call.
pub type DispatchResult = Result<(), DispatchError>;

/// Why a transaction is invalid (sp-runtime's `InvalidTransaction` indices; subset).
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum InvalidTransaction {
    /// The extrinsic's format or call is not understood (this includes signed extrinsics,
    /// which are not supported yet).
    #[codec(index = 0)]
    Call,
}

/// Why a transaction cannot be included (sp-runtime's `TransactionValidityError`).
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum TransactionValidityError {
    /// The transaction is invalid.
    #[codec(index = 0)]
    Invalid(InvalidTransaction),
}

/// `BlockBuilder_apply_extrinsic`'s result: `Err` means the extrinsic was not included,
/// `Ok(Err(_))` that it was included but its dispatch failed (and its writes were discarded).
pub type ApplyExtrinsicResult = Result<DispatchResult, TransactionValidityError>;

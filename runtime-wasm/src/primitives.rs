//! Types shared by the runtime and the host build: accounts, addresses, signatures, eras,
//! balances and dispatch results; Substrate's standard transaction validity types come from
//! `substrate-primitives`.
//!
//! Every encoding is Substrate's (sp-core, sp-runtime, frame-system, pallet-balances), so the
//! node, polkadot-js and other generic tools can read and produce them. Types that appear in
//! metadata carry the type paths those tools look for (e.g. `sp_core::crypto::AccountId32`).

use codec::{Decode, Encode};
#[cfg(target_arch = "wasm32")]
use scale_info::TypeInfo;

#[cfg(target_arch = "wasm32")]
use alloc::{vec, vec::Vec};

pub use substrate_primitives::{
    transaction::{
        InvalidTransaction, TransactionSource, TransactionValidity, TransactionValidityError,
        UnknownTransaction, ValidTransaction,
    },
    BlockNumber, Hash,
};
/// An account balance.
pub type Balance = u128;
/// An account's transaction counter.
pub type Nonce = u32;

/// An account id: an sr25519 (or ed25519) public key, like sp-core's `AccountId32`.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(target_arch = "wasm32", derive(TypeInfo))]
#[cfg_attr(
    target_arch = "wasm32",
    scale_info(
        replace_segment("runtime_wasm", "sp_core"),
        replace_segment("primitives", "crypto")
    )
)]
pub struct AccountId32(pub [u8; 32]);

/// How an extrinsic names an account, like sp-runtime's `MultiAddress<AccountId32, ()>`.
/// Only [`MultiAddress::Id`] resolves to an account: there is no indices pallet, and like
/// FRAME's `AccountIdLookup` the other forms do not resolve.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub enum MultiAddress {
    /// The account id itself.
    #[codec(index = 0)]
    Id(AccountId32),
    /// An account index (`Compact<()>`: this runtime has no index type).
    #[codec(index = 1)]
    Index(#[codec(compact)] ()),
    /// Raw bytes.
    #[codec(index = 2)]
    Raw(Vec<u8>),
    /// A 32-byte address.
    #[codec(index = 3)]
    Address32([u8; 32]),
    /// A 20-byte address.
    #[codec(index = 4)]
    Address20([u8; 20]),
}

impl MultiAddress {
    /// The account this address resolves to (only `Id` does).
    pub fn account(&self) -> Option<AccountId32> {
        match self {
            MultiAddress::Id(id) => Some(*id),
            _ => None,
        }
    }
}

impl From<AccountId32> for MultiAddress {
    fn from(id: AccountId32) -> Self {
        MultiAddress::Id(id)
    }
}

/// A signature of one of the schemes Substrate accounts use, like sp-runtime's
/// `MultiSignature`. The runtime verifies `Sr25519` and `Ed25519`; `Ecdsa` decodes but is
/// refused (its signer is not the 32-byte public key).
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub enum MultiSignature {
    /// An ed25519 signature.
    #[codec(index = 0)]
    Ed25519([u8; 64]),
    /// An sr25519 signature (schnorrkel, signing context `substrate`).
    #[codec(index = 1)]
    Sr25519([u8; 64]),
    /// A recoverable secp256k1 signature.
    #[codec(index = 2)]
    Ecdsa([u8; 65]),
}

/// Described as sp-runtime's `MultiSignature` (path `sp_runtime::MultiSignature`).
#[cfg(target_arch = "wasm32")]
impl TypeInfo for MultiSignature {
    type Identity = Self;

    fn type_info() -> scale_info::Type {
        use scale_info::build::{Fields, Variants};
        scale_info::Type::builder()
            .path(scale_info::Path::new("MultiSignature", "sp_runtime"))
            .variant(
                Variants::new()
                    .variant("Ed25519", |v| {
                        v.index(0)
                            .fields(Fields::unnamed().field(|f| f.ty::<[u8; 64]>()))
                    })
                    .variant("Sr25519", |v| {
                        v.index(1)
                            .fields(Fields::unnamed().field(|f| f.ty::<[u8; 64]>()))
                    })
                    .variant("Ecdsa", |v| {
                        v.index(2)
                            .fields(Fields::unnamed().field(|f| f.ty::<[u8; 65]>()))
                    }),
            )
    }
}

/// The lifetime of a transaction, sp-runtime's `Era`: `Immortal` (encoded `0x00`) or
/// `Mortal(period, phase)` (two bytes), valid from its birth block for `period` blocks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Era {
    /// Valid forever; the signature commits to the genesis hash.
    Immortal,
    /// Valid for `period` (a power of two, 4..=65536) blocks from the last block whose number
    /// is `phase` modulo `period`; the signature commits to that block's hash.
    Mortal(u64, u64),
}

impl Era {
    /// The mortal era of `period` blocks (rounded to a power of two in `4..=65536`) starting at
    /// block `current`, quantized as Substrate does.
    pub fn mortal(period: u64, current: u64) -> Self {
        let period = period
            .checked_next_power_of_two()
            .unwrap_or(1 << 16)
            .clamp(4, 1 << 16);
        let phase = current % period;
        let quantize_factor = (period >> 12).max(1);
        Era::Mortal(period, phase / quantize_factor * quantize_factor)
    }

    /// The first block (number) at which a transaction with this era is valid, seen from block
    /// `current`.
    pub fn birth(self, current: u64) -> u64 {
        match self {
            Era::Immortal => 0,
            Era::Mortal(period, phase) => (current.max(phase) - phase) / period * period + phase,
        }
    }

    /// The first block at which a transaction with this era is no longer valid.
    pub fn death(self, current: u64) -> u64 {
        match self {
            Era::Immortal => u64::MAX,
            Era::Mortal(period, _) => self.birth(current) + period,
        }
    }
}

impl Encode for Era {
    fn encode_to<T: codec::Output + ?Sized>(&self, output: &mut T) {
        match *self {
            Era::Immortal => output.push_byte(0),
            Era::Mortal(period, phase) => {
                let quantize_factor = (period >> 12).max(1);
                let low = (period.trailing_zeros().saturating_sub(1)).clamp(1, 15) as u16;
                let encoded = low | (((phase / quantize_factor) as u16) << 4);
                output.write(&encoded.to_le_bytes());
            }
        }
    }
}

impl Decode for Era {
    fn decode<I: codec::Input>(input: &mut I) -> Result<Self, codec::Error> {
        let first = input.read_byte()?;
        if first == 0 {
            return Ok(Era::Immortal);
        }
        let encoded = u64::from(first) | (u64::from(input.read_byte()?) << 8);
        let period = 2u64 << (encoded % 16);
        let quantize_factor = (period >> 12).max(1);
        let phase = (encoded >> 4) * quantize_factor;
        if period >= 4 && phase < period {
            Ok(Era::Mortal(period, phase))
        } else {
            Err("invalid mortal era: phase not below period".into())
        }
    }
}

/// sp-runtime describes `Era` as an enum of `Immortal` (index 0) and `Mortal1` ..
/// `Mortal255` (the first byte as index, the second as an `u8` field); tools recognise it by
/// its path.
#[cfg(target_arch = "wasm32")]
impl TypeInfo for Era {
    type Identity = Self;

    fn type_info() -> scale_info::Type {
        use scale_info::build::Variants;
        let mut variants = Variants::new().variant("Immortal", |v| v.index(0));
        for index in 1..=255u8 {
            let name: &'static str =
                alloc::boxed::Box::leak(alloc::format!("Mortal{index}").into_boxed_str());
            variants = variants.variant(name, |v| {
                v.index(index)
                    .fields(scale_info::build::Fields::unnamed().field(|f| f.ty::<u8>()))
            });
        }
        scale_info::Type::builder()
            .path(scale_info::Path::new("Era", "sp_runtime::generic::era"))
            .variant(variants)
    }
}

/// frame-system's `AccountInfo<Nonce, AccountData>`, stored at `System::Account(who)`.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, Default)]
#[cfg_attr(target_arch = "wasm32", derive(TypeInfo))]
pub struct AccountInfo {
    /// The number of signed transactions the account has sent (the next one's nonce).
    pub nonce: Nonce,
    /// Reference count of modules depending on the account (always 0 here).
    pub consumers: u32,
    /// Reference count of reasons the account exists (1 once it has received funds).
    pub providers: u32,
    /// Reference count of self-sufficient reasons (always 0 here).
    pub sufficients: u32,
    /// The balances.
    pub data: AccountData,
}

impl AccountInfo {
    /// Whether the account exists (has a provider or sufficient reference), as FRAME decides.
    pub fn exists(&self) -> bool {
        self.providers > 0 || self.sufficients > 0
    }
}

/// pallet-balances' `AccountData<Balance>`.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, Default)]
#[cfg_attr(target_arch = "wasm32", derive(TypeInfo))]
pub struct AccountData {
    /// The transferable balance.
    pub free: Balance,
    /// Reserved balance (always 0 here).
    pub reserved: Balance,
    /// Frozen balance (always 0 here).
    pub frozen: Balance,
    /// pallet-balances' `ExtraFlags` (`u128`; 0 here).
    pub flags: u128,
}

/// A pallet's error, as sp-runtime's `ModuleError`.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub struct ModuleError {
    /// The pallet index.
    pub index: u8,
    /// The error's variant index in the pallet's error enum, then padding.
    pub error: [u8; 4],
}

/// sp-arithmetic's `ArithmeticError`.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArithmeticError {
    /// Underflow.
    #[codec(index = 0)]
    Underflow,
    /// Overflow.
    #[codec(index = 1)]
    Overflow,
    /// Division by zero.
    #[codec(index = 2)]
    DivisionByZero,
}

/// Why a dispatch failed (the subset of sp-runtime's `DispatchError` this runtime produces,
/// with the same variant indices).
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum DispatchError {
    /// Some other error (sp-runtime does not encode its message either).
    #[codec(index = 0)]
    Other,
    /// An address in the call does not resolve to an account.
    #[codec(index = 1)]
    CannotLookup,
    /// The origin is not allowed to make this call.
    #[codec(index = 2)]
    BadOrigin,
    /// A pallet's own error.
    #[codec(index = 3)]
    Module(ModuleError),
    /// An arithmetic error.
    #[codec(index = 8)]
    Arithmetic(ArithmeticError),
}

/// Result of dispatching a call.
pub type DispatchResult = Result<(), DispatchError>;

/// `BlockBuilder_apply_extrinsic`'s result: `Err` means the extrinsic was not included,
/// `Ok(Err(_))` that it was included but its dispatch failed (and its writes were discarded;
/// the nonce increment and tip of a signed one stay).
pub type ApplyExtrinsicResult = Result<DispatchResult, TransactionValidityError>;

/// The tag a signed transaction of `who` with `nonce` provides (and its successor requires):
/// the SCALE encoding of `(who, nonce)`, as FRAME's `CheckNonce`.
pub fn nonce_tag(who: &AccountId32, nonce: Nonce) -> Vec<u8> {
    (who, nonce).encode()
}

/// The pool validity of a signed transaction's nonce given the account's current nonce, as
/// FRAME's `CheckNonce`: an old nonce is `Stale`; the transaction provides `(who, nonce)` and,
/// if ahead of the account, requires `(who, nonce - 1)`.
pub fn nonce_validity(
    who: &AccountId32,
    nonce: Nonce,
    account_nonce: Nonce,
) -> Result<ValidTransaction, InvalidTransaction> {
    if nonce < account_nonce {
        return Err(InvalidTransaction::Stale);
    }
    let requires = if nonce > account_nonce {
        vec![nonce_tag(who, nonce - 1)]
    } else {
        Vec::new()
    };
    Ok(ValidTransaction {
        requires,
        provides: vec![nonce_tag(who, nonce)],
        ..ValidTransaction::default()
    })
}

/// The check a signed transaction's nonce must pass to be applied in a block: exactly the
/// account's nonce.
pub fn nonce_pre_dispatch(nonce: Nonce, account_nonce: Nonce) -> Result<(), InvalidTransaction> {
    match nonce.cmp(&account_nonce) {
        core::cmp::Ordering::Less => Err(InvalidTransaction::Stale),
        core::cmp::Ordering::Greater => Err(InvalidTransaction::Future),
        core::cmp::Ordering::Equal => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn era_encodings_match_substrate() {
        assert_eq!(Era::Immortal.encode(), [0]);
        // Era::mortal(64, 42) = Mortal(64, 42), encoded 0xa5 0x02 (sp-runtime's test vector
        // for period 64, phase 42: 5 | 42 << 4 = 0x2a5).
        let era = Era::mortal(64, 42);
        assert_eq!(era, Era::Mortal(64, 42));
        assert_eq!(era.encode(), [0xa5, 0x02]);
        assert_eq!(Era::decode(&mut &[0xa5u8, 0x02][..]).unwrap(), era);
        // Quantized: period 32768 has quantize factor 8.
        let era = Era::mortal(32768, 20000);
        assert_eq!(era, Era::Mortal(32768, 20000 / 8 * 8));
        assert_eq!(Era::decode(&mut &era.encode()[..]).unwrap(), era);
        assert_eq!(Era::mortal(1, 0), Era::Mortal(4, 0));
        // Phase not below period.
        assert!(Era::decode(&mut &[0x01u8, 0xff][..]).is_err());
    }

    #[test]
    fn era_birth_and_death() {
        let era = Era::mortal(64, 42);
        assert_eq!(era.birth(42), 42);
        assert_eq!(era.birth(100), 42);
        assert_eq!(era.birth(106), 106);
        assert_eq!(era.death(100), 106);
        assert_eq!(
            era.birth(10),
            42,
            "before the phase: the birth is in the future"
        );
        assert_eq!(Era::Immortal.birth(1000), 0);
        assert_eq!(Era::Immortal.death(1000), u64::MAX);
    }

    #[test]
    fn nonce_tags_follow_check_nonce() {
        let who = AccountId32([7; 32]);
        assert_eq!(
            nonce_tag(&who, 5),
            [&[7u8; 32][..], &5u32.to_le_bytes()].concat()
        );
        assert_eq!(nonce_validity(&who, 2, 3), Err(InvalidTransaction::Stale));
        let now = nonce_validity(&who, 3, 3).unwrap();
        assert!(now.requires.is_empty());
        assert_eq!(now.provides, vec![nonce_tag(&who, 3)]);
        assert_eq!(now.longevity, u64::MAX);
        let later = nonce_validity(&who, 5, 3).unwrap();
        assert_eq!(later.requires, vec![nonce_tag(&who, 4)]);
        assert_eq!(later.provides, vec![nonce_tag(&who, 5)]);
        assert_eq!(nonce_pre_dispatch(5, 3), Err(InvalidTransaction::Future));
        assert_eq!(nonce_pre_dispatch(2, 3), Err(InvalidTransaction::Stale));
        assert_eq!(nonce_pre_dispatch(3, 3), Ok(()));
    }

    #[test]
    fn apply_result_encodings_match_sp_runtime() {
        let applied: ApplyExtrinsicResult = Ok(Err(DispatchError::Module(ModuleError {
            index: 2,
            error: [0; 4],
        })));
        assert_eq!(applied.encode(), [0, 1, 3, 2, 0, 0, 0, 0]);
        let refused: ApplyExtrinsicResult = Err(InvalidTransaction::Stale.into());
        assert_eq!(refused.encode(), [1, 0, 3]);
    }

    #[test]
    fn account_info_layout_is_frames() {
        let info = AccountInfo {
            nonce: 1,
            consumers: 2,
            providers: 3,
            sufficients: 4,
            data: AccountData {
                free: 5,
                reserved: 6,
                frozen: 7,
                flags: 8,
            },
        };
        let encoded = info.encode();
        assert_eq!(encoded.len(), 4 * 4 + 16 * 4);
        assert_eq!(&encoded[..4], &1u32.to_le_bytes());
        assert_eq!(&encoded[16..32], &5u128.to_le_bytes());
        assert_eq!(&encoded[64..], &8u128.to_le_bytes());
    }
}

/// Described by hand: clients such as polkadot-js read the account id type from
/// `MultiAddress`'s type parameters (`AccountId`, `AccountIndex`), which sp-runtime's generic
/// type has and a derive on this concrete enum would not.
#[cfg(target_arch = "wasm32")]
impl TypeInfo for MultiAddress {
    type Identity = Self;

    fn type_info() -> scale_info::Type {
        use scale_info::{build::Fields, build::Variants, meta_type, Path, Type, TypeParameter};
        Type::builder()
            .path(Path::new("MultiAddress", "sp_runtime::multiaddress"))
            .type_params(alloc::vec![
                TypeParameter::new("AccountId", Some(meta_type::<AccountId32>())),
                TypeParameter::new("AccountIndex", Some(meta_type::<()>())),
            ])
            .variant(
                Variants::new()
                    .variant("Id", |v| {
                        v.index(0).fields(
                            Fields::unnamed()
                                .field(|f| f.ty::<AccountId32>().type_name("AccountId")),
                        )
                    })
                    .variant("Index", |v| {
                        v.index(1).fields(
                            Fields::unnamed()
                                .field(|f| f.compact::<()>().type_name("AccountIndex")),
                        )
                    })
                    .variant("Raw", |v| {
                        v.index(2).fields(
                            Fields::unnamed().field(|f| f.ty::<Vec<u8>>().type_name("Vec<u8>")),
                        )
                    })
                    .variant("Address32", |v| {
                        v.index(3).fields(
                            Fields::unnamed().field(|f| f.ty::<[u8; 32]>().type_name("[u8; 32]")),
                        )
                    })
                    .variant("Address20", |v| {
                        v.index(4).fields(
                            Fields::unnamed().field(|f| f.ty::<[u8; 20]>().type_name("[u8; 20]")),
                        )
                    }),
            )
    }
}

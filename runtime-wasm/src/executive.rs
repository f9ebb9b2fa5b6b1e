//! Transaction checks and dispatch: what FRAME's executive and signed extensions do, for the
//! extensions this runtime has (see [`extrinsic`](crate::extrinsic)).
//!
//! A signed extrinsic is checked against the block being built (`System::Number`): its
//! signer must be `MultiAddress::Id` of an existing, non-zero account, its signature must
//! cover the call, the extra data and the implicit data (this runtime's spec and transaction
//! versions, `System::BlockHash(0)` as genesis hash and the era's birth block hash from
//! `System::BlockHash`), its nonce must match the account's and the account must afford its
//! tip. Unsigned extrinsics are accepted for System and TestStorage calls (dev chain), not for
//! Balances calls, which need a signed origin.

use crate::block::{Hash, OpaqueExtrinsic};
use crate::calls::RuntimeCall;
use crate::extrinsic::{signing_payload, AdditionalSigned, ExtrinsicSignature, UncheckedExtrinsic};
use crate::primitives::{
    nonce_pre_dispatch, nonce_validity, AccountId32, AccountInfo, DispatchResult,
    InvalidTransaction, MultiSignature, TransactionSource, TransactionValidity,
    TransactionValidityError, UnknownTransaction, ValidTransaction,
};
use crate::{balances, host, system, test_storage, version};
use alloc::vec;

/// Executes a call with `origin` (the signer; `None` for an unsigned extrinsic).
pub fn dispatch(origin: Option<AccountId32>, call: RuntimeCall) -> DispatchResult {
    match call {
        RuntimeCall::System(call) => system::dispatch(call),
        RuntimeCall::TestStorage(call) => test_storage::dispatch(call),
        RuntimeCall::Balances(call) => balances::dispatch(origin, call),
    }
}

/// Whether `call` may be sent unsigned.
fn unsigned_allowed(call: &RuntimeCall) -> bool {
    !matches!(call, RuntimeCall::Balances(_))
}

/// Resolves and authenticates the signer of a signed extrinsic in the current block context.
/// Writes nothing.
fn check_signer(
    signature: &ExtrinsicSignature,
    call: &RuntimeCall,
) -> Result<AccountId32, TransactionValidityError> {
    let who = signature
        .signer
        .account()
        .ok_or(UnknownTransaction::CannotLookup)?;
    if who.0 == [0; 32] {
        return Err(InvalidTransaction::BadSigner.into());
    }
    let current = u64::from(system::block_number());
    let birth = signature.extra.era.birth(current);
    let era_block_hash = u32::try_from(birth)
        .ok()
        .and_then(system::block_hash)
        .ok_or(InvalidTransaction::AncientBirthBlock)?;
    let additional = AdditionalSigned {
        spec_version: version::SPEC_VERSION,
        transaction_version: version::TRANSACTION_VERSION,
        genesis_hash: system::block_hash(0).unwrap_or_default(),
        era_block_hash,
    };
    let payload = signing_payload(call, &signature.extra, &additional);
    let valid = match &signature.signature {
        MultiSignature::Sr25519(sig) => host::sr25519_verify(sig, &payload, &who.0),
        MultiSignature::Ed25519(sig) => host::ed25519_verify(sig, &payload, &who.0),
        MultiSignature::Ecdsa(_) => false,
    };
    if !valid {
        return Err(InvalidTransaction::BadProof.into());
    }
    Ok(who)
}

/// The signer's account, which must exist (FRAME's `CheckNonce` refuses senders without
/// providers) and afford the tip.
fn payer(who: &AccountId32, tip: u128) -> Result<AccountInfo, TransactionValidityError> {
    let account = system::account(who);
    if !account.exists() || account.data.free < tip {
        return Err(InvalidTransaction::Payment.into());
    }
    Ok(account)
}

/// The pool validity of `xt` in the current block context; writes nothing.
/// `encoded` is the extrinsic as the block would carry it (its hash is an unsigned
/// extrinsic's tag).
pub fn validate(xt: &UncheckedExtrinsic, encoded: &[u8]) -> TransactionValidity {
    let Some(signature) = &xt.signature else {
        if !unsigned_allowed(&xt.call) {
            return Err(UnknownTransaction::NoUnsignedValidator.into());
        }
        return Ok(ValidTransaction {
            provides: vec![host::blake2_256(encoded).to_vec()],
            ..ValidTransaction::default()
        });
    };
    let who = check_signer(signature, &xt.call)?;
    let extra = signature.extra;
    let account = payer(&who, extra.tip)?;
    let nonce = nonce_validity(&who, extra.nonce, account.nonce)?;
    let current = u64::from(system::block_number());
    let era = ValidTransaction {
        longevity: extra.era.death(current).saturating_sub(current),
        ..ValidTransaction::default()
    };
    let tip = ValidTransaction {
        priority: u64::try_from(extra.tip).unwrap_or(u64::MAX),
        ..ValidTransaction::default()
    };
    Ok(nonce.combine_with(era).combine_with(tip))
}

/// The checks `xt` must pass to be included in the block being built, and their effects: a
/// signed extrinsic's nonce is incremented and its tip burned. Returns the dispatch origin.
/// On error nothing was written.
pub fn pre_dispatch(
    xt: &UncheckedExtrinsic,
) -> Result<Option<AccountId32>, TransactionValidityError> {
    let Some(signature) = &xt.signature else {
        if !unsigned_allowed(&xt.call) {
            return Err(UnknownTransaction::NoUnsignedValidator.into());
        }
        return Ok(None);
    };
    let who = check_signer(signature, &xt.call)?;
    let extra = signature.extra;
    let mut account = payer(&who, extra.tip)?;
    nonce_pre_dispatch(extra.nonce, account.nonce)?;
    account.nonce = account.nonce.wrapping_add(1);
    if !balances::burn(&mut account, extra.tip) {
        return Err(InvalidTransaction::Payment.into());
    }
    system::put_account(&who, &account);
    Ok(Some(who))
}

/// `TaggedTransactionQueue_validate_transaction` (v3): the validity of `tx` for inclusion in a
/// block on top of `block_hash`, whose state the call runs on.
///
/// Like FRAME, it checks as if building the next block: `System::Number` + 1, with
/// `block_hash` as the hash of the current number (so a transaction signed at genesis, or
/// with an era born at `block_hash`, checks out). Those writes are rolled back. An extrinsic
/// that does not parse is `Invalid(Call)`. The source is not used.
pub fn validate_transaction(
    source: TransactionSource,
    tx: &OpaqueExtrinsic,
    block_hash: Hash,
) -> TransactionValidity {
    let _ = source;
    let xt = UncheckedExtrinsic::from_content(&tx.0)
        .map_err(|_| TransactionValidityError::Invalid(InvalidTransaction::Call))?;
    host::start_transaction();
    let number = system::block_number();
    system::set_block_hash(number, &block_hash);
    system::set_block_number(number.saturating_add(1));
    let validity = validate(&xt, &codec::Encode::encode(tx));
    host::rollback_transaction();
    validity
}

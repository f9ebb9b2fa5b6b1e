//! The Balances pallet: free balances in FRAME's layout (`System::Account(who).data.free`),
//! the total issuance, and signed transfers.
//!
//! Simplifications against FRAME: no existential deposit (accounts are never reaped, so a
//! nonce is never reset), no reserves, locks or fees (a transaction's tip is burned).

use crate::calls::{BalancesCall as Call, BALANCES_INDEX};
use crate::primitives::{
    AccountId32, AccountInfo, ArithmeticError, Balance, DispatchError, DispatchResult, ModuleError,
};
use crate::{storage, system};
use codec::{Decode, Encode};
use scale_info::TypeInfo;

/// The pallet's errors (the variant index is what `ModuleError::error` carries).
#[derive(Encode, Decode, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Error {
    /// The sender's free balance is lower than the amount.
    #[codec(index = 0)]
    InsufficientBalance,
}

impl From<Error> for DispatchError {
    fn from(error: Error) -> Self {
        DispatchError::Module(ModuleError {
            index: BALANCES_INDEX,
            error: [error as u8, 0, 0, 0],
        })
    }
}

/// Executes a Balances call; `origin` is the signer (`None` for an unsigned extrinsic, which
/// the runtime refuses before dispatch anyway).
pub fn dispatch(origin: Option<AccountId32>, call: Call) -> DispatchResult {
    let from = origin.ok_or(DispatchError::BadOrigin)?;
    match call {
        Call::transfer_allow_death { dest, value } | Call::transfer_keep_alive { dest, value } => {
            let to = dest.account().ok_or(DispatchError::CannotLookup)?;
            transfer(&from, &to, value)
        }
    }
}

/// Moves `value` from `from`'s free balance to `to`'s; `to`'s account is created (one
/// provider reference) if it did not exist.
pub fn transfer(from: &AccountId32, to: &AccountId32, value: Balance) -> DispatchResult {
    let mut sender = system::account(from);
    sender.data.free = sender
        .data
        .free
        .checked_sub(value)
        .ok_or(Error::InsufficientBalance)?;
    if from == to {
        return Ok(());
    }
    let mut recipient = system::account(to);
    recipient.data.free = recipient
        .data
        .free
        .checked_add(value)
        .ok_or(DispatchError::Arithmetic(ArithmeticError::Overflow))?;
    if !recipient.exists() {
        recipient.providers = 1;
    }
    system::put_account(from, &sender);
    system::put_account(to, &recipient);
    Ok(())
}

/// Takes `amount` out of `account`'s free balance (the caller stores it) and out of the total
/// issuance: burns it. `false`, and no change, if the balance is too low.
pub fn burn(account: &mut AccountInfo, amount: Balance) -> bool {
    let Some(free) = account.data.free.checked_sub(amount) else {
        return false;
    };
    account.data.free = free;
    if amount > 0 {
        let key = storage::total_issuance_key();
        let issuance: Balance = system::get(&key).unwrap_or_default();
        system::put(&key, &issuance.saturating_sub(amount));
    }
    true
}

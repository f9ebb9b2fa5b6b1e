//! What transaction validation answers (`TaggedTransactionQueue_validate_transaction`), as
//! `sp-runtime` encodes it: the runtime builds these, the node's pool decodes them.

use alloc::vec::Vec;

use codec::{Decode, Encode};

/// Where a transaction comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum TransactionSource {
    /// Already in a block.
    #[codec(index = 0)]
    InBlock,
    /// Submitted by the local node.
    #[codec(index = 1)]
    Local,
    /// Received from the network or RPC.
    #[codec(index = 2)]
    External,
}

/// A valid transaction: how to order it in the pool and for how long to keep it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ValidTransaction {
    /// Higher goes first.
    pub priority: u64,
    /// Tags that must be provided (by the chain or earlier transactions) before this one.
    pub requires: Vec<Vec<u8>>,
    /// Tags this one provides.
    pub provides: Vec<Vec<u8>>,
    /// For how many blocks it stays valid.
    pub longevity: u64,
    /// Whether to gossip it.
    pub propagate: bool,
}

impl Default for ValidTransaction {
    /// Substrate's default: priority 0, no tags, longevity `u64::MAX`, propagated.
    fn default() -> Self {
        Self {
            priority: 0,
            requires: Vec::new(),
            provides: Vec::new(),
            longevity: u64::MAX,
            propagate: true,
        }
    }
}

impl ValidTransaction {
    /// Combines the validity of two checks of the same transaction as Substrate does: summed
    /// priorities, concatenated tags, the shorter longevity, propagate only if both do.
    pub fn combine_with(mut self, mut other: ValidTransaction) -> Self {
        self.priority = self.priority.saturating_add(other.priority);
        self.requires.append(&mut other.requires);
        self.provides.append(&mut other.provides);
        self.longevity = self.longevity.min(other.longevity);
        self.propagate = self.propagate && other.propagate;
        self
    }
}

/// Why a transaction is invalid (every variant of `sp-runtime`'s, with its indices).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum InvalidTransaction {
    /// The call is not expected (or not understood).
    #[codec(index = 0)]
    Call,
    /// The sender cannot pay the fees.
    #[codec(index = 1)]
    Payment,
    /// The nonce is ahead of the account's: valid later.
    #[codec(index = 2)]
    Future,
    /// The nonce was already used.
    #[codec(index = 3)]
    Stale,
    /// The signature does not match (wrong key, genesis, spec/transaction version or era).
    #[codec(index = 4)]
    BadProof,
    /// The era's birth block is not known (too old, or in the future).
    #[codec(index = 5)]
    AncientBirthBlock,
    /// The block is full.
    #[codec(index = 6)]
    ExhaustsResources,
    /// A runtime-specific code.
    #[codec(index = 7)]
    Custom(u8),
    /// A mandatory dispatch failed.
    #[codec(index = 8)]
    BadMandatory,
    /// A mandatory call was sent as a transaction.
    #[codec(index = 9)]
    MandatoryValidation,
    /// The signer is not acceptable.
    #[codec(index = 10)]
    BadSigner,
    /// The implicit data could not be computed.
    #[codec(index = 11)]
    IndeterminateImplicit,
    /// No transaction extension authorised an origin.
    #[codec(index = 12)]
    UnknownOrigin,
}

impl InvalidTransaction {
    /// Substrate's description, which RPC errors carry as data.
    pub fn description(self) -> &'static str {
        match self {
            InvalidTransaction::Call => "Transaction call is not expected",
            InvalidTransaction::Payment => {
                "Inability to pay some fees (e.g. account balance too low)"
            }
            InvalidTransaction::Future => "Transaction will be valid in the future",
            InvalidTransaction::Stale => "Transaction is outdated",
            InvalidTransaction::BadProof => "Transaction has a bad signature",
            InvalidTransaction::AncientBirthBlock => "Transaction has an ancient birth block",
            InvalidTransaction::ExhaustsResources => "Transaction would exhaust the block limits",
            InvalidTransaction::Custom(_) => "InvalidTransaction custom error",
            InvalidTransaction::BadMandatory => {
                "A call was labelled as mandatory, but resulted in an Error."
            }
            InvalidTransaction::MandatoryValidation => {
                "Transaction dispatch is mandatory; transactions must not be validated."
            }
            InvalidTransaction::BadSigner => "Invalid signing address",
            InvalidTransaction::IndeterminateImplicit => {
                "The implicit data was unable to be calculated"
            }
            InvalidTransaction::UnknownOrigin => {
                "The transaction extension did not authorize any origin"
            }
        }
    }
}

/// Why a transaction's validity cannot be decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum UnknownTransaction {
    /// The signer's address does not resolve to an account.
    #[codec(index = 0)]
    CannotLookup,
    /// An unsigned call that nothing validates.
    #[codec(index = 1)]
    NoUnsignedValidator,
    /// A runtime-specific code.
    #[codec(index = 2)]
    Custom(u8),
}

/// Why a transaction was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum TransactionValidityError {
    /// It is invalid.
    #[codec(index = 0)]
    Invalid(InvalidTransaction),
    /// Its validity cannot be decided.
    #[codec(index = 1)]
    Unknown(UnknownTransaction),
}

impl From<InvalidTransaction> for TransactionValidityError {
    fn from(e: InvalidTransaction) -> Self {
        TransactionValidityError::Invalid(e)
    }
}

impl From<UnknownTransaction> for TransactionValidityError {
    fn from(e: UnknownTransaction) -> Self {
        TransactionValidityError::Unknown(e)
    }
}

/// `TaggedTransactionQueue_validate_transaction`'s result.
pub type TransactionValidity = Result<ValidTransaction, TransactionValidityError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_sp_runtime() {
        assert_eq!(TransactionSource::External.encode(), [2]);
        assert_eq!(InvalidTransaction::Custom(3).encode(), [7, 3]);
        assert_eq!(InvalidTransaction::UnknownOrigin.encode(), [12]);
        let invalid: TransactionValidity = Err(InvalidTransaction::BadProof.into());
        assert_eq!(invalid.encode(), [1, 0, 4]);
        let unknown: TransactionValidity = Err(UnknownTransaction::NoUnsignedValidator.into());
        assert_eq!(unknown.encode(), [1, 1, 1]);
        let custom: TransactionValidity = Err(UnknownTransaction::Custom(9).into());
        assert_eq!(custom.encode(), [1, 1, 2, 9]);
        let valid: TransactionValidity = Ok(ValidTransaction {
            priority: 1,
            requires: vec![],
            provides: vec![vec![0xaa]],
            longevity: 2,
            propagate: true,
        });
        let mut expected = vec![0u8];
        expected.extend_from_slice(&1u64.to_le_bytes());
        expected.extend_from_slice(&[0, 4, 4, 0xaa]);
        expected.extend_from_slice(&2u64.to_le_bytes());
        expected.push(1);
        assert_eq!(valid.encode(), expected);
        assert_eq!(
            TransactionValidity::decode(&mut &expected[..]).unwrap(),
            valid
        );
    }

    #[test]
    fn combining_validities() {
        let a = ValidTransaction {
            priority: u64::MAX,
            requires: vec![vec![1]],
            provides: vec![vec![2]],
            longevity: 10,
            propagate: true,
        };
        let b = ValidTransaction {
            priority: 5,
            requires: vec![vec![3]],
            provides: vec![],
            longevity: 4,
            propagate: false,
        };
        assert_eq!(
            a.combine_with(b),
            ValidTransaction {
                priority: u64::MAX,
                requires: vec![vec![1], vec![3]],
                provides: vec![vec![2]],
                longevity: 4,
                propagate: false,
            }
        );
    }
}

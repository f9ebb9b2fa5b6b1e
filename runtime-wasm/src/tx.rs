//! Extrinsic builders for the host (the node's `dev-tx` subcommand, tests).
//!
//! Every builder returns the extrinsic *as the block carries it and `author_submitExtrinsic`
//! expects it*: a SCALE `Vec<u8>` (compact length prefix, then the content; see
//! [`extrinsic`](crate::extrinsic)).
//!
//! Signing is left to the caller, so this crate needs no key handling: a signed builder hands
//! the signing payload to a closure that returns the signer's 64-byte sr25519 signature of
//! exactly those bytes (schnorrkel with the `substrate` signing context, as Substrate's
//! `sr25519::Pair::sign` and the executor's keystore do). For example, with the executor's
//! keystore (`executor::keystore::{Keystore, Scheme}`; `KEY_TYPE` is any key type id):
//!
//! ```ignore
//! let keystore = Keystore::new();
//! let alice: [u8; 32] = keystore
//!     .generate(KEY_TYPE, Scheme::Sr25519, Some("//Alice"))?
//!     .try_into()
//!     .expect("sr25519 public keys have 32 bytes");
//! let ctx = TxContext::new(genesis_hash, spec_version, transaction_version);
//! let xt = runtime_wasm::tx::transfer(&ctx, alice, bob, 10u128.pow(12), nonce, |payload| {
//!     keystore
//!         .sign(KEY_TYPE, Scheme::Sr25519, &alice, payload)
//!         .expect("the key is in the keystore")
//!         .try_into()
//!         .expect("sr25519 signatures have 64 bytes")
//! });
//! ```
//!
//! Transactions are immortal and tip-free unless built with [`SignedTx`] directly.

use crate::calls::{BalancesCall, RuntimeCall, SystemCall, TestStorageCall};
use crate::extrinsic::{
    signing_payload, AdditionalSigned, ExtrinsicSignature, SignedExtra, UncheckedExtrinsic,
};
use crate::primitives::{AccountId32, Balance, Era, Hash, MultiAddress, MultiSignature, Nonce};
use codec::Encode;

/// What a signature commits to about the chain: its genesis hash and the live runtime's
/// `spec_version` and `transaction_version` (from `state_getRuntimeVersion`; the
/// `spec_version` changes with a runtime upgrade, and old signatures become invalid).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TxContext {
    /// The genesis block hash.
    pub genesis_hash: Hash,
    /// The runtime's `spec_version`.
    pub spec_version: u32,
    /// The runtime's `transaction_version`.
    pub transaction_version: u32,
}

impl TxContext {
    /// A context from its parts.
    pub fn new(genesis_hash: Hash, spec_version: u32, transaction_version: u32) -> Self {
        Self {
            genesis_hash,
            spec_version,
            transaction_version,
        }
    }
}

/// A signed transaction before its signature: build it, sign
/// [`signing_payload`](Self::signing_payload), then [`into_extrinsic`](Self::into_extrinsic).
/// (The two steps allow fallible or remote signers.)
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedTx {
    /// The sender (an sr25519 public key).
    pub signer: [u8; 32],
    /// The call.
    pub call: RuntimeCall,
    /// Era, nonce and tip.
    pub extra: SignedExtra,
    /// The implicit signed data.
    pub additional: AdditionalSigned,
}

impl SignedTx {
    /// An immortal, tip-free transaction of `signer` with `nonce`.
    pub fn new(ctx: &TxContext, signer: [u8; 32], nonce: Nonce, call: RuntimeCall) -> Self {
        Self {
            signer,
            call,
            extra: SignedExtra {
                era: Era::Immortal,
                nonce,
                tip: 0,
            },
            additional: AdditionalSigned {
                spec_version: ctx.spec_version,
                transaction_version: ctx.transaction_version,
                genesis_hash: ctx.genesis_hash,
                era_block_hash: ctx.genesis_hash,
            },
        }
    }

    /// Gives the transaction a tip (burned by the runtime; its priority in the pool).
    pub fn with_tip(mut self, tip: Balance) -> Self {
        self.extra.tip = tip;
        self
    }

    /// Makes the transaction mortal: valid for `era`'s period from its birth block, whose
    /// number and hash the caller gives (use `Era::mortal(period, number)`).
    pub fn with_era(mut self, era: Era, birth_block_hash: Hash) -> Self {
        self.extra.era = era;
        self.additional.era_block_hash = birth_block_hash;
        self
    }

    /// The bytes to sign (hashed with BLAKE2-256 already if longer than 256 bytes).
    pub fn signing_payload(&self) -> Vec<u8> {
        signing_payload(&self.call, &self.extra, &self.additional)
    }

    /// The encoded extrinsic with the signer's sr25519 `signature` of the signing payload.
    pub fn into_extrinsic(self, signature: [u8; 64]) -> Vec<u8> {
        UncheckedExtrinsic {
            signature: Some(ExtrinsicSignature {
                signer: MultiAddress::Id(AccountId32(self.signer)),
                signature: MultiSignature::Sr25519(signature),
                extra: self.extra,
            }),
            call: self.call,
        }
        .encode()
    }

    /// Signs with `sign` and returns the encoded extrinsic.
    pub fn sign(self, sign: impl FnOnce(&[u8]) -> [u8; 64]) -> Vec<u8> {
        let signature = sign(&self.signing_payload());
        self.into_extrinsic(signature)
    }
}

/// The call of a transfer of `amount` to `to` (`Balances::transfer_allow_death`).
pub fn transfer_call(to: [u8; 32], amount: Balance) -> RuntimeCall {
    RuntimeCall::Balances(BalancesCall::transfer_allow_death {
        dest: MultiAddress::Id(AccountId32(to)),
        value: amount,
    })
}

/// A signed, immortal, tip-free transfer of `amount` from `from` to `to`; `nonce` must be
/// `from`'s current nonce (`AccountNonceApi_account_nonce` / `system_accountNextIndex`).
/// `sign` gets the signing payload and returns `from`'s sr25519 signature of it.
pub fn transfer(
    ctx: &TxContext,
    from: [u8; 32],
    to: [u8; 32],
    amount: Balance,
    nonce: Nonce,
    sign: impl FnOnce(&[u8]) -> [u8; 64],
) -> Vec<u8> {
    SignedTx::new(ctx, from, nonce, transfer_call(to, amount)).sign(sign)
}

/// An unsigned extrinsic of `call`.
pub fn unsigned(call: RuntimeCall) -> Vec<u8> {
    UncheckedExtrinsic::new_unsigned(call).encode()
}

/// An unsigned `TestStorage::set_storage(key, value)`: writes the raw storage key.
pub fn set_storage(key: &[u8], value: &[u8]) -> Vec<u8> {
    unsigned(RuntimeCall::TestStorage(TestStorageCall::set_storage {
        key: key.to_vec(),
        value: value.to_vec(),
    }))
}

/// An unsigned `System::set_code(code)`: upgrades the runtime to `code` if it has the same
/// `spec_name` and a higher `spec_version` (e.g. [`WASM_BINARY_V2`](crate::WASM_BINARY_V2)
/// on a chain running [`WASM_BINARY_V1`](crate::WASM_BINARY_V1)).
pub fn set_code(code: &[u8]) -> Vec<u8> {
    unsigned(RuntimeCall::System(SystemCall::set_code {
        code: code.to_vec(),
    }))
}

/// An unsigned `System::set_heap_pages(pages)`.
pub fn set_heap_pages(pages: u64) -> Vec<u8> {
    unsigned(RuntimeCall::System(SystemCall::set_heap_pages { pages }))
}

/// An unsigned `System::remark(remark)`.
pub fn remark(remark: &[u8]) -> Vec<u8> {
    unsigned(RuntimeCall::System(SystemCall::remark {
        remark: remark.to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::DEV_ACCOUNTS;
    use codec::Decode;

    fn keypair(seed: u8) -> schnorrkel::Keypair {
        schnorrkel::MiniSecretKey::from_bytes(&[seed; 32])
            .unwrap()
            .expand_to_keypair(schnorrkel::ExpansionMode::Ed25519)
    }

    fn sr25519_sign(pair: &schnorrkel::Keypair, payload: &[u8]) -> [u8; 64] {
        pair.sign(schnorrkel::signing_context(b"substrate").bytes(payload))
            .to_bytes()
    }

    #[test]
    fn transfer_is_a_verifiable_signed_extrinsic() {
        let pair = keypair(1);
        let from = pair.public.to_bytes();
        let to = DEV_ACCOUNTS[1].public;
        let ctx = TxContext::new([9; 32], 1, 1);
        let mut seen_payload = Vec::new();
        let encoded = transfer(&ctx, from, to, 500, 3, |payload| {
            seen_payload = payload.to_vec();
            sr25519_sign(&pair, payload)
        });

        let xt = UncheckedExtrinsic::decode(&mut &encoded[..]).unwrap();
        assert_eq!(xt.call, transfer_call(to, 500));
        let signature = xt.signature.unwrap();
        assert_eq!(signature.signer, MultiAddress::Id(AccountId32(from)));
        assert_eq!(
            signature.extra,
            SignedExtra {
                era: Era::Immortal,
                nonce: 3,
                tip: 0
            }
        );
        // The payload is call ++ extra ++ (spec, tx version, genesis, genesis).
        let mut expected = xt.call.encode();
        expected.extend_from_slice(&[0x00, 3 << 2, 0x00]);
        expected.extend_from_slice(&1u32.to_le_bytes());
        expected.extend_from_slice(&1u32.to_le_bytes());
        expected.extend_from_slice(&[9; 32]);
        expected.extend_from_slice(&[9; 32]);
        assert_eq!(seen_payload, expected);
        let MultiSignature::Sr25519(sig) = signature.signature else {
            panic!("not sr25519")
        };
        let sig = schnorrkel::Signature::from_bytes(&sig).unwrap();
        pair.public
            .verify(
                schnorrkel::signing_context(b"substrate").bytes(&expected),
                &sig,
            )
            .unwrap();
        // Length prefix, then 0x84.
        assert_eq!(encoded[2], 0x84);
    }

    #[test]
    fn mortal_and_tipped_transactions() {
        let ctx = TxContext::new([9; 32], 2, 1);
        let tx = SignedTx::new(&ctx, [1; 32], 0, remark_call())
            .with_tip(7)
            .with_era(Era::mortal(64, 100), [5; 32]);
        assert_eq!(tx.additional.era_block_hash, [5; 32]);
        let encoded = tx.sign(|_| [0; 64]);
        let xt = UncheckedExtrinsic::decode(&mut &encoded[..]).unwrap();
        let extra = xt.signature.unwrap().extra;
        assert_eq!(extra.tip, 7);
        assert_eq!(extra.era, Era::Mortal(64, 36));
    }

    fn remark_call() -> RuntimeCall {
        RuntimeCall::System(SystemCall::remark { remark: vec![] })
    }

    #[test]
    fn unsigned_builders() {
        assert_eq!(
            set_storage(b"k", b"v"),
            [7 << 2, 0x04, 1, 0, 4, b'k', 4, b'v']
        );
        assert_eq!(set_heap_pages(1)[..4], [11 << 2, 0x04, 0, 1]);
        let code = set_code(crate::WASM_BINARY_V2);
        let xt = UncheckedExtrinsic::decode(&mut &code[..]).unwrap();
        assert_eq!(
            xt.call,
            RuntimeCall::System(SystemCall::set_code {
                code: crate::WASM_BINARY_V2.to_vec()
            })
        );
        assert!(xt.signature.is_none());
        assert_eq!(remark(b"")[1..], [0x04, 0, 0, 0]);
    }
}

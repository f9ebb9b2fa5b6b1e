//! `ext_crypto_*`: signature verification, secp256k1 public key recovery and the keystore.
//!
//! Semantics follow Substrate's host (sp-io's `crypto` interface), version by version:
//!
//! - ed25519 is verified under ZIP-215 rules (`ed25519-zebra`).
//! - sr25519 version 1 also accepts signatures of schnorrkel 0.1.1 (without the marker bit);
//!   version 2 accepts only current ones. Both use the signing context `b"substrate"`.
//! - ecdsa signatures are 65 bytes `r ‖ s ‖ v` over `blake2_256(message)`, checked by
//!   recovering the public key and comparing its compressed form. Version 1 of `ecdsa_verify`
//!   reduces overflowing `r`/`s` modulo the group order; version 2 and `verify_prehashed`
//!   reject them. Only `v` in 0..=3 is accepted there; high `s` is accepted (recovery, not
//!   verification, is what is checked).
//! - `secp256k1_ecdsa_recover*` also take `v` in 27..=30 (as 0..=3); version 1 reduces
//!   overflowing `r`/`s`, version 2 fails with `BadRS` on them.
//! - Batch verification is gone upstream: `start_batch_verify` only opens a per-call flag,
//!   every `*_batch_verify` verifies at once (and records a failure in the flag if one is
//!   open), and `finish_batch_verify` returns whether all of them passed.
//! - Keystore functions need a [`Keystore`] set for the call; without one they fail the call,
//!   as Substrate panics with "No `keystore` associated for the current context!".
//!
//! bandersnatch and BLS functions exist upstream only behind experimental features; they are
//! not provided (importing them works, calling them fails as for any missing host function).

use std::sync::Arc;

use codec::{Compact, Decode, Encode};
use wasmtime::{Caller, Linker};

use super::{HostContext, HostResult, HOST_MODULE};
use crate::{
    instance::HostState,
    keystore::{Keystore, Scheme, SR25519_SIGNING_CONTEXT},
};

/// Why `secp256k1_ecdsa_recover*` could not recover a public key (SCALE-encoded as in sp-io).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub(crate) enum EcdsaVerifyError {
    /// `r` or `s` is not a valid scalar.
    BadRS,
    /// The recovery id is not in 0..=3 (or 27..=30).
    BadV,
    /// No public key can be recovered.
    BadSignature,
}

/// Verifies an ed25519 signature under ZIP-215 rules.
pub(crate) fn ed25519_verify(signature: &[u8; 64], message: &[u8], public: &[u8; 32]) -> bool {
    let Ok(public) = ed25519_zebra::VerificationKey::try_from(*public) else {
        return false;
    };
    public
        .verify(&ed25519_zebra::Signature::from_bytes(signature), message)
        .is_ok()
}

/// Verifies an sr25519 signature (`sr25519_verify` version 2).
pub(crate) fn sr25519_verify(signature: &[u8; 64], message: &[u8], public: &[u8; 32]) -> bool {
    let Ok(signature) = schnorrkel::Signature::from_bytes(signature) else {
        return false;
    };
    let Ok(public) = schnorrkel::PublicKey::from_bytes(public) else {
        return false;
    };
    public
        .verify_simple(SR25519_SIGNING_CONTEXT, message, &signature)
        .is_ok()
}

/// Verifies an sr25519 signature, also accepting schnorrkel 0.1.1 signatures
/// (`sr25519_verify` version 1).
pub(crate) fn sr25519_verify_deprecated(
    signature: &[u8; 64],
    message: &[u8],
    public: &[u8; 32],
) -> bool {
    schnorrkel::PublicKey::from_bytes(public).is_ok_and(|public| {
        public
            .verify_simple_preaudit_deprecated(SR25519_SIGNING_CONTEXT, message, signature)
            .is_ok()
    })
}

/// How `r` and `s` of an ecdsa signature are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalars {
    /// Values not below the group order are reduced modulo it (libsecp256k1's
    /// `parse_overflowing`), as the version-1 functions do.
    Overflowing,
    /// Values not below the group order are refused.
    Standard,
}

/// Recovers the public key of the signature `r ‖ s` with recovery id `v` of `hash`.
fn recover(
    rs: &[u8; 64],
    v: u8,
    hash: &[u8; 32],
    scalars: Scalars,
) -> Result<libsecp256k1::PublicKey, EcdsaVerifyError> {
    let recovery_id = libsecp256k1::RecoveryId::parse(v).map_err(|_| EcdsaVerifyError::BadV)?;
    let signature = match scalars {
        Scalars::Overflowing => libsecp256k1::Signature::parse_overflowing(rs),
        Scalars::Standard => {
            libsecp256k1::Signature::parse_standard(rs).map_err(|_| EcdsaVerifyError::BadRS)?
        }
    };
    libsecp256k1::recover(
        &libsecp256k1::Message::parse(hash),
        &signature,
        &recovery_id,
    )
    .map_err(|_| EcdsaVerifyError::BadSignature)
}

fn split(signature: &[u8; 65]) -> (&[u8; 64], u8) {
    let (rs, v) = signature.split_first_chunk::<64>().expect("65 bytes");
    (rs, v[0])
}

/// Whether `signature` recovers to `public` for `hash`.
fn ecdsa_check(signature: &[u8; 65], hash: &[u8; 32], public: &[u8; 33], scalars: Scalars) -> bool {
    let (rs, v) = split(signature);
    recover(rs, v, hash, scalars).is_ok_and(|key| key.serialize_compressed() == *public)
}

/// Verifies an ecdsa signature of `blake2_256(message)` (`ecdsa_verify` version 2).
pub(crate) fn ecdsa_verify(signature: &[u8; 65], message: &[u8], public: &[u8; 33]) -> bool {
    let hash = sp_crypto_hashing::blake2_256(message);
    ecdsa_check(signature, &hash, public, Scalars::Standard)
}

/// Verifies an ecdsa signature of `blake2_256(message)`, reducing overflowing `r`/`s`
/// (`ecdsa_verify` version 1).
pub(crate) fn ecdsa_verify_deprecated(
    signature: &[u8; 65],
    message: &[u8],
    public: &[u8; 33],
) -> bool {
    let hash = sp_crypto_hashing::blake2_256(message);
    ecdsa_check(signature, &hash, public, Scalars::Overflowing)
}

/// Verifies an ecdsa signature of a 32-byte hash.
pub(crate) fn ecdsa_verify_prehashed(
    signature: &[u8; 65],
    hash: &[u8; 32],
    public: &[u8; 33],
) -> bool {
    ecdsa_check(signature, hash, public, Scalars::Standard)
}

/// The public key of a 65-byte `r ‖ s ‖ v` signature of `hash`, `v` in 0..=3 or 27..=30:
/// version 1 reduces overflowing `r`/`s`, version 2 refuses them.
pub(crate) fn secp256k1_ecdsa_recover(
    signature: &[u8; 65],
    hash: &[u8; 32],
    version: u32,
) -> Result<libsecp256k1::PublicKey, EcdsaVerifyError> {
    let (rs, v) = split(signature);
    let v = if v > 26 { v - 27 } else { v };
    let scalars = if version == 1 {
        Scalars::Overflowing
    } else {
        Scalars::Standard
    };
    recover(rs, v, hash, scalars)
}

/// Verifies with the newest rules of `scheme` (what the `*_batch_verify` functions use);
/// false for keys or signatures of the wrong length.
pub(crate) fn verify(scheme: Scheme, signature: &[u8], message: &[u8], public: &[u8]) -> bool {
    fn with<const S: usize, const P: usize>(
        signature: &[u8],
        public: &[u8],
        f: impl FnOnce(&[u8; S], &[u8; P]) -> bool,
    ) -> bool {
        match (signature.try_into(), public.try_into()) {
            (Ok(signature), Ok(public)) => f(signature, public),
            _ => false,
        }
    }
    match scheme {
        Scheme::Ed25519 => with(signature, public, |s, p| ed25519_verify(s, message, p)),
        Scheme::Sr25519 => with(signature, public, |s, p| sr25519_verify(s, message, p)),
        Scheme::Ecdsa => with(signature, public, |s, p| ecdsa_verify(s, message, p)),
    }
}

/// A verification function as the host table holds it: signature, message, public key.
type VerifyFn = fn(&[u8], &[u8], &[u8]) -> bool;

/// A `(signature: i32, message: i64, public: i32) -> i32` function.
struct Verifier {
    name: &'static str,
    signature_len: u32,
    public_len: u32,
    verify: VerifyFn,
    /// Whether a failure is also recorded for `finish_batch_verify`.
    batch: bool,
}

const fn verifier(name: &'static str, scheme: Scheme, verify: VerifyFn, batch: bool) -> Verifier {
    Verifier {
        name,
        signature_len: scheme.signature_len() as u32,
        public_len: scheme.public_len() as u32,
        verify,
        batch,
    }
}

fn arr<const N: usize>(bytes: &[u8]) -> &[u8; N] {
    bytes.try_into().expect("read with the scheme's length")
}

const VERIFIERS: [Verifier; 8] = [
    verifier(
        "ext_crypto_ed25519_verify_version_1",
        Scheme::Ed25519,
        |s, m, p| ed25519_verify(arr(s), m, arr(p)),
        false,
    ),
    verifier(
        "ext_crypto_ed25519_batch_verify_version_1",
        Scheme::Ed25519,
        |s, m, p| verify(Scheme::Ed25519, s, m, p),
        true,
    ),
    verifier(
        "ext_crypto_sr25519_verify_version_1",
        Scheme::Sr25519,
        |s, m, p| sr25519_verify_deprecated(arr(s), m, arr(p)),
        false,
    ),
    verifier(
        "ext_crypto_sr25519_verify_version_2",
        Scheme::Sr25519,
        |s, m, p| sr25519_verify(arr(s), m, arr(p)),
        false,
    ),
    verifier(
        "ext_crypto_sr25519_batch_verify_version_1",
        Scheme::Sr25519,
        |s, m, p| verify(Scheme::Sr25519, s, m, p),
        true,
    ),
    verifier(
        "ext_crypto_ecdsa_verify_version_1",
        Scheme::Ecdsa,
        |s, m, p| ecdsa_verify_deprecated(arr(s), m, arr(p)),
        false,
    ),
    verifier(
        "ext_crypto_ecdsa_verify_version_2",
        Scheme::Ecdsa,
        |s, m, p| ecdsa_verify(arr(s), m, arr(p)),
        false,
    ),
    verifier(
        "ext_crypto_ecdsa_batch_verify_version_1",
        Scheme::Ecdsa,
        |s, m, p| verify(Scheme::Ecdsa, s, m, p),
        true,
    ),
];

/// The keystore functions of a scheme: `public_keys`, `generate` and `sign`.
const KEYSTORE_FUNCTIONS: [(Scheme, [&str; 3]); 3] = [
    (
        Scheme::Ed25519,
        [
            "ext_crypto_ed25519_public_keys_version_1",
            "ext_crypto_ed25519_generate_version_1",
            "ext_crypto_ed25519_sign_version_1",
        ],
    ),
    (
        Scheme::Sr25519,
        [
            "ext_crypto_sr25519_public_keys_version_1",
            "ext_crypto_sr25519_generate_version_1",
            "ext_crypto_sr25519_sign_version_1",
        ],
    ),
    (
        Scheme::Ecdsa,
        [
            "ext_crypto_ecdsa_public_keys_version_1",
            "ext_crypto_ecdsa_generate_version_1",
            "ext_crypto_ecdsa_sign_version_1",
        ],
    ),
];

/// The recover functions: name, version, whether the key is returned compressed.
const RECOVER_FUNCTIONS: [(&str, u32, bool); 4] = [
    ("ext_crypto_secp256k1_ecdsa_recover_version_1", 1, false),
    ("ext_crypto_secp256k1_ecdsa_recover_version_2", 2, false),
    (
        "ext_crypto_secp256k1_ecdsa_recover_compressed_version_1",
        1,
        true,
    ),
    (
        "ext_crypto_secp256k1_ecdsa_recover_compressed_version_2",
        2,
        true,
    ),
];

const NO_KEYSTORE: &str = "No `keystore` associated for the current context!";

impl HostContext<'_, '_> {
    /// Reads `N` bytes at `ptr`.
    fn read_array<const N: usize>(&mut self, ptr: i32) -> HostResult<[u8; N]> {
        let bytes = self.read(ptr as u32, N as u32)?;
        Ok(bytes.try_into().expect("read N bytes"))
    }

    /// The keystore of the call; failing the call without one.
    fn keystore(&mut self) -> HostResult<Arc<Keystore>> {
        self.state()
            .keystore()
            .ok_or_else(|| self.fail(NO_KEYSTORE))
    }
}

/// SCALE `Vec<[u8; N]>` of equally long keys.
fn encode_keys(keys: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Compact(keys.len() as u32).encode();
    keys.iter().for_each(|key| out.extend_from_slice(key));
    out
}

/// SCALE `Option<[u8; N]>`.
fn encode_option(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![0],
        Some(bytes) => [&[1][..], bytes].concat(),
    }
}

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    for verifier in VERIFIERS {
        linker.func_wrap(
            HOST_MODULE,
            verifier.name,
            move |mut caller: Caller<'_, HostState>,
                  signature: i32,
                  message: i64,
                  public: i32|
                  -> HostResult<i32> {
                let mut host = HostContext::new(&mut caller, verifier.name);
                let signature = host.read(signature as u32, verifier.signature_len)?;
                let message = host.read_span(message)?;
                let public = host.read(public as u32, verifier.public_len)?;
                let valid = (verifier.verify)(&signature, &message, &public);
                if verifier.batch {
                    if let Some(all_valid) = host.state().batch_verification() {
                        *all_valid &= valid;
                    }
                }
                Ok(valid as i32)
            },
        )?;
    }
    linker.func_wrap(
        HOST_MODULE,
        "ext_crypto_ecdsa_verify_prehashed_version_1",
        |mut caller: Caller<'_, HostState>,
         signature: i32,
         hash: i32,
         public: i32|
         -> HostResult<i32> {
            let mut host =
                HostContext::new(&mut caller, "ext_crypto_ecdsa_verify_prehashed_version_1");
            let signature = host.read_array::<65>(signature)?;
            let hash = host.read_array::<32>(hash)?;
            let public = host.read_array::<33>(public)?;
            Ok(ecdsa_verify_prehashed(&signature, &hash, &public) as i32)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_crypto_start_batch_verify_version_1",
        |mut caller: Caller<'_, HostState>| -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_crypto_start_batch_verify_version_1");
            let batch = host.state().batch_verification();
            if batch.is_some() {
                return Err(host.fail("Failed to register required extension: `VerificationExt`"));
            }
            *batch = Some(true);
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_crypto_finish_batch_verify_version_1",
        |mut caller: Caller<'_, HostState>| -> HostResult<i32> {
            let mut host =
                HostContext::new(&mut caller, "ext_crypto_finish_batch_verify_version_1");
            match host.state().batch_verification().take() {
                Some(all_valid) => Ok(all_valid as i32),
                None => Err(host.fail(
                    "`finish_batch_verify` should only be called after `start_batch_verify`",
                )),
            }
        },
    )?;
    for (name, version, compressed) in RECOVER_FUNCTIONS {
        linker.func_wrap(
            HOST_MODULE,
            name,
            move |mut caller: Caller<'_, HostState>,
                  signature: i32,
                  hash: i32|
                  -> HostResult<i64> {
                let mut host = HostContext::new(&mut caller, name);
                let signature = host.read_array::<65>(signature)?;
                let hash = host.read_array::<32>(hash)?;
                let key = secp256k1_ecdsa_recover(&signature, &hash, version);
                if compressed {
                    host.return_encoded(&key.map(|key| key.serialize_compressed()))
                } else {
                    let key = key.map(|key| {
                        let full = key.serialize();
                        <[u8; 64]>::try_from(&full[1..]).expect("65-byte key less its tag")
                    });
                    host.return_encoded(&key)
                }
            },
        )?;
    }
    for (scheme, [public_keys, generate, sign]) in KEYSTORE_FUNCTIONS {
        register_keystore_functions(linker, scheme, public_keys, generate, sign)?;
    }
    linker.func_wrap(
        HOST_MODULE,
        "ext_crypto_ecdsa_sign_prehashed_version_1",
        |mut caller: Caller<'_, HostState>,
         key_type: i32,
         public: i32,
         hash: i32|
         -> HostResult<i64> {
            let mut host =
                HostContext::new(&mut caller, "ext_crypto_ecdsa_sign_prehashed_version_1");
            let key_type = host.read_array::<4>(key_type)?;
            let public = host.read_array::<33>(public)?;
            let hash = host.read_array::<32>(hash)?;
            let keystore = host.keystore()?;
            let signature = keystore.ecdsa_sign_prehashed(key_type, &public, &hash);
            host.return_bytes(&encode_option(signature.as_ref().map(|s| &s[..])))
        },
    )?;
    Ok(())
}

fn register_keystore_functions(
    linker: &mut Linker<HostState>,
    scheme: Scheme,
    public_keys: &'static str,
    generate: &'static str,
    sign: &'static str,
) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        public_keys,
        move |mut caller: Caller<'_, HostState>, key_type: i32| -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, public_keys);
            let key_type = host.read_array::<4>(key_type)?;
            let keys = host.keystore()?.public_keys(key_type, scheme);
            host.return_bytes(&encode_keys(&keys))
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        generate,
        move |mut caller: Caller<'_, HostState>, key_type: i32, seed: i64| -> HostResult<i32> {
            let mut host = HostContext::new(&mut caller, generate);
            let key_type = host.read_array::<4>(key_type)?;
            let seed = host.decode_span::<Option<Vec<u8>>>(seed)?;
            let seed = seed
                .map(String::from_utf8)
                .transpose()
                .map_err(|_| host.fail("Seed is valid utf8!"))?;
            let public = host
                .keystore()?
                .generate(key_type, scheme, seed.as_deref())
                .map_err(|e| host.fail(format!("`{}_generate` failed: {e}", scheme.name())))?;
            Ok(host.allocate_and_write(&public)? as i32)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        sign,
        move |mut caller: Caller<'_, HostState>,
              key_type: i32,
              public: i32,
              message: i64|
              -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, sign);
            let key_type = host.read_array::<4>(key_type)?;
            let public = host.read(public as u32, scheme.public_len() as u32)?;
            let message = host.read_span(message)?;
            let signature = host.keystore()?.sign(key_type, scheme, &public, &message);
            host.return_bytes(&encode_option(signature.as_deref()))
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex<const N: usize>(text: &str) -> [u8; N] {
        let bytes: Vec<u8> = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect();
        bytes.try_into().unwrap()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn pair(scheme: Scheme, suri: &str) -> crate::keystore::KeyPair {
        crate::keystore::KeyPair::from_suri(scheme, suri).unwrap()
    }

    /// The group order of secp256k1.
    const ORDER: &str = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

    /// `a + b` of big-endian 256-bit numbers (no overflow in the tests' use).
    fn add(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
        let mut out = [0; 32];
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let sum = u16::from(a[i]) + u16::from(b[i]) + carry;
            out[i] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        out
    }

    /// `ORDER - a` (the negation of a scalar `a`).
    fn negate(a: &[u8; 32]) -> [u8; 32] {
        let order: [u8; 32] = unhex(ORDER);
        let mut out = [0; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let diff = i16::from(order[i]) - i16::from(a[i]) - borrow;
            out[i] = diff.rem_euclid(256) as u8;
            borrow = i16::from(diff < 0);
        }
        out
    }

    #[test]
    fn ed25519_known_vector() {
        // RFC 8032, test 1 (also Substrate's ed25519 test vector).
        let public = unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let signature = unhex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        );
        assert!(ed25519_verify(&signature, b"", &public));
        assert!(!ed25519_verify(&signature, b"x", &public));
        let mut bad = signature;
        bad[10] ^= 1;
        assert!(!ed25519_verify(&bad, b"", &public));
        // A public key that is not a curve point.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert!(!ed25519_verify(&signature, b"", &not_a_point));
    }

    #[test]
    fn ed25519_dev_key_round_trip() {
        let alice = pair(Scheme::Ed25519, "//Alice");
        let signature = alice.sign(b"message");
        assert!(verify(
            Scheme::Ed25519,
            &signature,
            b"message",
            &alice.public()
        ));
        let bob = pair(Scheme::Ed25519, "//Bob");
        assert!(!verify(
            Scheme::Ed25519,
            &signature,
            b"message",
            &bob.public()
        ));
    }

    #[test]
    fn sr25519_deprecated_signatures_pass_version_1_only() {
        // Substrate's vectors: a schnorrkel 0.1.1 signature, and one from schnorrkel-js.
        let public = unhex("b4bfa1f7a5166695eb75299fd1c4c03ea212871c342f2c5dfea0902b2c246918");
        let signature = unhex(
            "5a9755f069939f45d96aaf125cf5ce7ba1db998686f87f2fb3cbdea922078741a73891ba265f70c31436e18a9acd14d189d73c12317ab6c313285cd938453202",
        );
        let message = b"Verifying that I am the owner of 5G9hQLdsKQswNPgB499DeA5PkFBbgkLPJWkkS6FAM6xGQ8xD. Hash: 221455a3\n";
        assert!(sr25519_verify_deprecated(&signature, message, &public));
        assert!(!sr25519_verify(&signature, message, &public));

        let zero_seed = pair(
            Scheme::Sr25519,
            "0x0000000000000000000000000000000000000000000000000000000000000000",
        );
        let public: [u8; 32] = zero_seed.public().try_into().unwrap();
        let signature = unhex(
            "28a854d54903e056f89581c691c1f7d2ff39f8f896c9e9c22475e60902cc2b3547199e0e91fa32902028f2ca2355e8cdd16cfe19ba5e8b658c94aa80f3b81a00",
        );
        assert!(sr25519_verify_deprecated(&signature, b"SUBSTRATE", &public));
        assert!(!sr25519_verify(&signature, b"SUBSTRATE", &public));
        assert!(!sr25519_verify_deprecated(
            &signature,
            b"SUBSTRATe",
            &public
        ));
    }

    #[test]
    fn sr25519_current_signatures_pass_both_versions() {
        let alice = pair(Scheme::Sr25519, "//Alice");
        let public: [u8; 32] = alice.public().try_into().unwrap();
        let signature: [u8; 64] = alice.sign(b"message").try_into().unwrap();
        assert!(sr25519_verify(&signature, b"message", &public));
        assert!(sr25519_verify_deprecated(&signature, b"message", &public));
        assert!(!sr25519_verify(&signature, b"messagE", &public));
        assert!(!sr25519_verify_deprecated(&signature, b"messagE", &public));
        // A different signing context does not verify.
        let other = match &alice {
            crate::keystore::KeyPair::Sr25519(pair) => pair
                .sign(schnorrkel::signing_context(b"other").bytes(b"message"))
                .to_bytes(),
            _ => unreachable!(),
        };
        assert!(!sr25519_verify(&other, b"message", &public));
    }

    fn ecdsa_alice_signature(message: &[u8]) -> ([u8; 65], [u8; 33]) {
        let alice = pair(Scheme::Ecdsa, "//Alice");
        (
            alice.sign(message).try_into().unwrap(),
            alice.public().try_into().unwrap(),
        )
    }

    #[test]
    fn ecdsa_known_vector() {
        // Substrate's ecdsa vector: seed 9d61.. signs b"" (recovery id 0).
        let signature = unhex(
            "3dde91174bd9359027be59a428b8146513df80a2a3c7eda2194f64de04a69ab97b753169e94db6ffd50921a2668a48b94ca11e3d32c1ff19cfe88890aa7e8f3c00",
        );
        let key =
            secp256k1_ecdsa_recover(&signature, &sp_crypto_hashing::blake2_256(b""), 2).unwrap();
        assert_eq!(
            hex(&key.serialize()[1..]),
            "8db55b05db86c0b1786ca49f095d76344c9e6056b2f02701a7e7f3c20aabfd913ebbe148dd17c56551a52952371071a6c604b3f3abe8f2c8fa742158ea6dd7d4"
        );
        let public = key.serialize_compressed();
        assert!(ecdsa_verify(&signature, b"", &public));
        assert!(ecdsa_verify_deprecated(&signature, b"", &public));
        assert!(!ecdsa_verify(&signature, b"x", &public));
        let mut flipped = signature;
        flipped[64] = 1;
        assert!(!ecdsa_verify(&flipped, b"", &public));
    }

    #[test]
    fn ecdsa_verify_takes_v_0_to_3_only() {
        let (signature, public) = ecdsa_alice_signature(b"message");
        let hash = sp_crypto_hashing::blake2_256(b"message");
        assert!(ecdsa_verify(&signature, b"message", &public));
        assert!(ecdsa_verify_prehashed(&signature, &hash, &public));
        let mut v27 = signature;
        v27[64] += 27;
        assert!(!ecdsa_verify(&v27, b"message", &public));
        assert!(!ecdsa_verify_deprecated(&v27, b"message", &public));
        assert!(!ecdsa_verify_prehashed(&v27, &hash, &public));
        // ... while recovery accepts 27/28.
        let recovered = secp256k1_ecdsa_recover(&v27, &hash, 2).unwrap();
        assert_eq!(recovered.serialize_compressed(), public);
        let mut v31 = signature;
        v31[64] = 31;
        assert_eq!(
            secp256k1_ecdsa_recover(&v31, &hash, 2),
            Err(EcdsaVerifyError::BadV)
        );
        v31[64] = 4;
        assert_eq!(
            secp256k1_ecdsa_recover(&v31, &hash, 1),
            Err(EcdsaVerifyError::BadV)
        );
    }

    #[test]
    fn ecdsa_high_s_is_accepted() {
        // (r, n - s) with the other recovery parity is the same signature, high-S form.
        let (signature, public) = ecdsa_alice_signature(b"message");
        let mut high = signature;
        let s: [u8; 32] = signature[32..64].try_into().unwrap();
        high[32..64].copy_from_slice(&negate(&s));
        high[64] ^= 1;
        assert!(ecdsa_verify(&high, b"message", &public));
        assert!(ecdsa_verify_deprecated(&high, b"message", &public));
    }

    #[test]
    fn ecdsa_overflowing_s_passes_version_1_only() {
        // Only scalars below 2^256 - n have an overflowing 32-byte twin, so take s = 1 (with
        // a valid r): (r, 1) recovers to some key Q, and so does (r, n + 1) when reduced.
        let (signature, _) = ecdsa_alice_signature(b"message");
        let hash = sp_crypto_hashing::blake2_256(b"message");
        let mut one = [0; 32];
        one[31] = 1;
        let mut small = signature;
        small[32..64].copy_from_slice(&one);
        let public = secp256k1_ecdsa_recover(&small, &hash, 2)
            .unwrap()
            .serialize_compressed();
        let mut overflowing = small;
        overflowing[32..64].copy_from_slice(&add(&one, &unhex(ORDER)));

        assert!(ecdsa_verify(&small, b"message", &public));
        assert!(ecdsa_verify_deprecated(&overflowing, b"message", &public));
        assert!(!ecdsa_verify(&overflowing, b"message", &public));
        assert!(!ecdsa_verify_prehashed(&overflowing, &hash, &public));

        let v1 = secp256k1_ecdsa_recover(&overflowing, &hash, 1).unwrap();
        assert_eq!(v1.serialize_compressed(), public);
        assert_eq!(
            secp256k1_ecdsa_recover(&overflowing, &hash, 2),
            Err(EcdsaVerifyError::BadRS)
        );
    }

    #[test]
    fn ecdsa_zero_or_invalid_signatures_are_bad_signatures() {
        let hash = [7; 32];
        let zero = [0; 65];
        assert_eq!(
            secp256k1_ecdsa_recover(&zero, &hash, 1),
            Err(EcdsaVerifyError::BadSignature)
        );
        assert_eq!(
            secp256k1_ecdsa_recover(&zero, &hash, 2),
            Err(EcdsaVerifyError::BadSignature)
        );
        // r = n is zero modulo n in version 1, and out of range in version 2.
        let mut r_is_order = [1; 65];
        r_is_order[..32].copy_from_slice(&unhex::<32>(ORDER));
        r_is_order[64] = 0;
        assert_eq!(
            secp256k1_ecdsa_recover(&r_is_order, &hash, 1),
            Err(EcdsaVerifyError::BadSignature)
        );
        assert_eq!(
            secp256k1_ecdsa_recover(&r_is_order, &hash, 2),
            Err(EcdsaVerifyError::BadRS)
        );
    }

    #[test]
    fn ecdsa_dev_key_recovers() {
        let (signature, public) = ecdsa_alice_signature(b"hello");
        let hash = sp_crypto_hashing::blake2_256(b"hello");
        for version in [1, 2] {
            let key = secp256k1_ecdsa_recover(&signature, &hash, version).unwrap();
            assert_eq!(
                hex(&key.serialize_compressed()),
                "020a1091341fe5664bfa1782d5e04779689068c916b04cb365ec3153755684d9a1"
            );
            assert_eq!(key.serialize_compressed(), public);
        }
    }

    #[test]
    fn scale_encodings() {
        assert_eq!(EcdsaVerifyError::BadRS.encode(), [0]);
        assert_eq!(EcdsaVerifyError::BadV.encode(), [1]);
        assert_eq!(EcdsaVerifyError::BadSignature.encode(), [2]);
        let err: Result<[u8; 64], EcdsaVerifyError> = Err(EcdsaVerifyError::BadV);
        assert_eq!(err.encode(), [1, 1]);
        let ok: Result<[u8; 33], EcdsaVerifyError> = Ok([9; 33]);
        assert_eq!(ok.encode(), [&[0][..], &[9; 33]].concat());

        let keys = vec![vec![1; 32], vec![2; 32]];
        assert_eq!(encode_keys(&keys), vec![[1u8; 32], [2u8; 32]].encode());
        assert_eq!(encode_option(None), None::<[u8; 64]>.encode());
        assert_eq!(encode_option(Some(&[5; 65])), Some([5u8; 65]).encode());
    }

    #[test]
    fn keystore_signatures_verify() {
        let keystore = Keystore::new();
        for scheme in [Scheme::Ed25519, Scheme::Sr25519, Scheme::Ecdsa] {
            for seed in [Some("//Alice"), None] {
                let public = keystore.generate(*b"test", scheme, seed).unwrap();
                let signature = keystore.sign(*b"test", scheme, &public, b"hello").unwrap();
                assert!(verify(scheme, &signature, b"hello", &public), "{scheme:?}");
                assert!(!verify(scheme, &signature, b"hellO", &public), "{scheme:?}");
                assert!(!verify(scheme, &signature[1..], b"hello", &public));
            }
        }
        // Version 1 functions accept what the keystore signs, too.
        let public = keystore
            .generate(*b"test", Scheme::Ecdsa, Some("//Bob"))
            .unwrap();
        let signature = keystore
            .sign(*b"test", Scheme::Ecdsa, &public, b"m")
            .unwrap();
        assert!(ecdsa_verify_deprecated(arr(&signature), b"m", arr(&public)));
        let public = keystore
            .generate(*b"test", Scheme::Sr25519, Some("//Bob"))
            .unwrap();
        let signature = keystore
            .sign(*b"test", Scheme::Sr25519, &public, b"m")
            .unwrap();
        assert!(sr25519_verify_deprecated(
            arr(&signature),
            b"m",
            arr(&public)
        ));
    }

    /// Calls into wasm as the lead's wiring would: the keystore is set on the store's
    /// `HostState` right before the call.
    mod through_wasm {
        use super::*;
        use crate::{
            externalities::InMemoryExternalities,
            instance::call::{self, Call},
        };

        /// `generate_*`: input is the SCALE seed; `keys_*`: no input; `sign_*`: input is
        /// `public ‖ message`; `sign_prehashed`: input is `public(33) ‖ hash(32)`.
        const KEYSTORE_RUNTIME: &str = r#"(module
            (import "env" "ext_crypto_ed25519_generate_version_1" (func $ed_gen (param i32 i64) (result i32)))
            (import "env" "ext_crypto_sr25519_generate_version_1" (func $sr_gen (param i32 i64) (result i32)))
            (import "env" "ext_crypto_ecdsa_generate_version_1" (func $ec_gen (param i32 i64) (result i32)))
            (import "env" "ext_crypto_ed25519_public_keys_version_1" (func $ed_keys (param i32) (result i64)))
            (import "env" "ext_crypto_sr25519_public_keys_version_1" (func $sr_keys (param i32) (result i64)))
            (import "env" "ext_crypto_ecdsa_public_keys_version_1" (func $ec_keys (param i32) (result i64)))
            (import "env" "ext_crypto_ed25519_sign_version_1" (func $ed_sign (param i32 i32 i64) (result i64)))
            (import "env" "ext_crypto_sr25519_sign_version_1" (func $sr_sign (param i32 i32 i64) (result i64)))
            (import "env" "ext_crypto_ecdsa_sign_version_1" (func $ec_sign (param i32 i32 i64) (result i64)))
            (import "env" "ext_crypto_ecdsa_sign_prehashed_version_1" (func $ec_sign_pre (param i32 i32 i32) (result i64)))
            (memory (export "memory") 2)
            (global (export "__heap_base") i32 (i32.const 1024))
            (data (i32.const 16) "test")

            (func $span (param $ptr i32) (param $len i32) (result i64)
                (i64.or (i64.extend_i32_u (local.get $ptr))
                        (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 32))))
            (func $rest (param $p i32) (param $l i32) (param $skip i32) (result i64)
                (call $span (i32.add (local.get $p) (local.get $skip)) (i32.sub (local.get $l) (local.get $skip))))

            (func (export "generate_ed25519") (param $p i32) (param $l i32) (result i64)
                (call $span (call $ed_gen (i32.const 16) (call $span (local.get $p) (local.get $l))) (i32.const 32)))
            (func (export "generate_sr25519") (param $p i32) (param $l i32) (result i64)
                (call $span (call $sr_gen (i32.const 16) (call $span (local.get $p) (local.get $l))) (i32.const 32)))
            (func (export "generate_ecdsa") (param $p i32) (param $l i32) (result i64)
                (call $span (call $ec_gen (i32.const 16) (call $span (local.get $p) (local.get $l))) (i32.const 33)))
            (func (export "keys_ed25519") (param i32 i32) (result i64) (call $ed_keys (i32.const 16)))
            (func (export "keys_sr25519") (param i32 i32) (result i64) (call $sr_keys (i32.const 16)))
            (func (export "keys_ecdsa") (param i32 i32) (result i64) (call $ec_keys (i32.const 16)))
            (func (export "sign_ed25519") (param $p i32) (param $l i32) (result i64)
                (call $ed_sign (i32.const 16) (local.get $p) (call $rest (local.get $p) (local.get $l) (i32.const 32))))
            (func (export "sign_sr25519") (param $p i32) (param $l i32) (result i64)
                (call $sr_sign (i32.const 16) (local.get $p) (call $rest (local.get $p) (local.get $l) (i32.const 32))))
            (func (export "sign_ecdsa") (param $p i32) (param $l i32) (result i64)
                (call $ec_sign (i32.const 16) (local.get $p) (call $rest (local.get $p) (local.get $l) (i32.const 33))))
            (func (export "sign_prehashed") (param $p i32) (param $l i32) (result i64)
                (call $ec_sign_pre (i32.const 16) (local.get $p) (i32.add (local.get $p) (i32.const 33))))
        )"#;

        fn call_with(
            keystore: Option<Arc<Keystore>>,
            method: &str,
            input: &[u8],
        ) -> Result<Vec<u8>, crate::Error> {
            let engine = wasmtime::Engine::default();
            let mut linker = Linker::new(&engine);
            crate::host::register(&mut linker).unwrap();
            let module =
                wasmtime::Module::new(&engine, wat::parse_str(KEYSTORE_RUNTIME).unwrap()).unwrap();
            let mut store = wasmtime::Store::new(
                &engine,
                HostState::new(wasmtime::StoreLimits::default(), 16, None),
            );
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let (memory, heap_base) = call::memory_and_heap_base(&mut store, &instance).unwrap();
            let options = crate::CallOptions {
                keystore,
                ..Default::default()
            };
            let call = Call {
                method,
                input,
                options: &options,
            };
            let result = call::run(
                &mut store,
                &instance,
                memory,
                heap_base,
                call,
                &mut InMemoryExternalities::new(),
            );
            assert!(store.data().keystore().is_none(), "end_call clears it");
            result
        }

        #[test]
        fn generate_list_and_sign_from_wasm() {
            let keystore = Arc::new(Keystore::new());
            let ks = || Some(keystore.clone());
            for scheme in [Scheme::Ed25519, Scheme::Sr25519, Scheme::Ecdsa] {
                let name = scheme.name();
                let seed = Some(b"//Alice".to_vec()).encode();
                let alice = call_with(ks(), &format!("generate_{name}"), &seed).unwrap();
                assert_eq!(
                    alice,
                    crate::keystore::public_from_suri(scheme, "//Alice").unwrap()
                );
                let random = call_with(ks(), &format!("generate_{name}"), &[0]).unwrap();
                let mut expected = vec![alice.clone(), random];
                expected.sort();
                let keys = call_with(ks(), &format!("keys_{name}"), &[]).unwrap();
                assert_eq!(keys, encode_keys(&expected));

                let signed = call_with(
                    ks(),
                    &format!("sign_{name}"),
                    &[&alice[..], b"msg"].concat(),
                )
                .unwrap();
                // SCALE `Some(signature)`.
                assert_eq!(signed.len(), 1 + scheme.signature_len());
                assert_eq!(signed[0], 1);
                assert!(verify(scheme, &signed[1..], b"msg", &alice));
                // An unknown key signs nothing.
                let unknown = vec![9; scheme.public_len()];
                let signed = call_with(
                    ks(),
                    &format!("sign_{name}"),
                    &[&unknown[..], b"msg"].concat(),
                )
                .unwrap();
                assert_eq!(signed, [0]);
            }
            // Prehashed ecdsa signing is signing of blake2_256(message).
            let alice = crate::keystore::public_from_suri(Scheme::Ecdsa, "//Alice").unwrap();
            let hash = sp_crypto_hashing::blake2_256(b"msg");
            let prehashed =
                call_with(ks(), "sign_prehashed", &[&alice[..], &hash].concat()).unwrap();
            let signed = call_with(ks(), "sign_ecdsa", &[&alice[..], b"msg"].concat()).unwrap();
            assert_eq!(prehashed, signed);
        }

        #[test]
        fn keystore_errors_fail_the_call() {
            let keystore = Arc::new(Keystore::new());
            let fails =
                |keystore: Option<Arc<Keystore>>, method: &str, input: &[u8]| match call_with(
                    keystore, method, input,
                ) {
                    Err(crate::Error::HostFunction { reason, .. }) => reason,
                    other => panic!("{method}: {other:?}"),
                };
            assert_eq!(fails(None, "keys_sr25519", &[]), NO_KEYSTORE);
            assert_eq!(fails(None, "generate_ecdsa", &[0]), NO_KEYSTORE);
            let bad_utf8 = Some(vec![0xff]).encode();
            assert_eq!(
                fails(Some(keystore.clone()), "generate_ed25519", &bad_utf8),
                "Seed is valid utf8!"
            );
            let soft = Some(b"//Alice/soft".to_vec()).encode();
            let reason = fails(Some(keystore.clone()), "generate_ed25519", &soft);
            assert!(reason.starts_with("`ed25519_generate` failed"), "{reason}");
            assert!(keystore.public_keys(*b"test", Scheme::Ed25519).is_empty());
        }
    }

    #[test]
    fn host_function_names_are_unique() {
        let mut names: Vec<&str> = VERIFIERS.iter().map(|v| v.name).collect();
        names.extend(RECOVER_FUNCTIONS.iter().map(|(n, _, _)| *n));
        names.extend(
            KEYSTORE_FUNCTIONS
                .iter()
                .flat_map(|(_, n)| n.iter().copied()),
        );
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}

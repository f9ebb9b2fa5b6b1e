//! `ext_trie_*`: roots of tries built from a list the runtime passes in, and verification of
//! trie proofs.

use trie::{Blake2Hasher, KeccakHasher, StateVersion};
use wasmtime::{Caller, Linker};

use super::{HostContext, HostResult, HOST_MODULE};
use crate::instance::HostState;

type KeyValues = Vec<(Vec<u8>, Vec<u8>)>;
type Values = Vec<Vec<u8>>;

/// How a root function turns its input into a root.
#[derive(Clone, Copy)]
enum RootOf {
    Blake2Pairs,
    Blake2Ordered,
    KeccakPairs,
    KeccakOrdered,
}

impl RootOf {
    fn compute(
        self,
        host: &mut HostContext<'_, '_>,
        input: i64,
        version: StateVersion,
    ) -> HostResult<[u8; 32]> {
        Ok(match self {
            Self::Blake2Pairs => {
                trie::trie_root::<Blake2Hasher>(host.decode_span::<KeyValues>(input)?, version)
            }
            Self::Blake2Ordered => {
                trie::ordered_trie_root::<Blake2Hasher>(host.decode_span::<Values>(input)?, version)
            }
            Self::KeccakPairs => {
                trie::trie_root::<KeccakHasher>(host.decode_span::<KeyValues>(input)?, version)
            }
            Self::KeccakOrdered => {
                trie::ordered_trie_root::<KeccakHasher>(host.decode_span::<Values>(input)?, version)
            }
        })
    }
}

const ROOTS: [(&str, &str, RootOf); 4] = [
    (
        "ext_trie_blake2_256_root_version_1",
        "ext_trie_blake2_256_root_version_2",
        RootOf::Blake2Pairs,
    ),
    (
        "ext_trie_blake2_256_ordered_root_version_1",
        "ext_trie_blake2_256_ordered_root_version_2",
        RootOf::Blake2Ordered,
    ),
    (
        "ext_trie_keccak_256_root_version_1",
        "ext_trie_keccak_256_root_version_2",
        RootOf::KeccakPairs,
    ),
    (
        "ext_trie_keccak_256_ordered_root_version_1",
        "ext_trie_keccak_256_ordered_root_version_2",
        RootOf::KeccakOrdered,
    ),
];

/// Version 1 of each is `(input: i64) -> i32` with state version V0; version 2 adds the state
/// version as an `i32` argument. Both return a pointer to the 32-byte root.
pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    for (v1, v2, root) in ROOTS {
        linker.func_wrap(
            HOST_MODULE,
            v1,
            move |mut caller: Caller<'_, HostState>, input: i64| -> HostResult<i32> {
                let mut host = HostContext::new(&mut caller, v1);
                let root = root.compute(&mut host, input, StateVersion::V0)?;
                Ok(host.allocate_and_write(&root)? as i32)
            },
        )?;
        linker.func_wrap(
            HOST_MODULE,
            v2,
            move |mut caller: Caller<'_, HostState>, input: i64, version: i32| -> HostResult<i32> {
                let mut host = HostContext::new(&mut caller, v2);
                let version = state_version(&host, version)?;
                let root = root.compute(&mut host, input, version)?;
                Ok(host.allocate_and_write(&root)? as i32)
            },
        )?;
    }
    register_verify_proof(linker)
}

/// Checks a proof of `(key, value)` against a root (`trie::verify_value_proof` of a hasher).
type Verify = fn(&[u8; 32], &[Vec<u8>], &[u8], &[u8], StateVersion) -> bool;

/// `ext_trie_{blake2,keccak}_256_verify_proof_version_{1,2}`, after `sp-io`'s `Trie`
/// interface: `(root: i32, proof: i64, key: i64, value: i64) -> i32`, version 2 adding the
/// state version as an `i32` (version 1 is V0). `root` points at a 32-byte hash, `proof` is a
/// SCALE `Vec<Vec<u8>>` in `trie-db`'s compact proof format (as `sp_trie::generate_trie_proof`
/// makes it). Returns 1 if the proof shows that `key` holds `value` under `root`, else 0; an
/// undecodable proof list or an unknown state version fails the call.
fn register_verify_proof(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    const VERIFY: [(&str, &str, Verify); 2] = [
        (
            "ext_trie_blake2_256_verify_proof_version_1",
            "ext_trie_blake2_256_verify_proof_version_2",
            trie::verify_value_proof::<Blake2Hasher>,
        ),
        (
            "ext_trie_keccak_256_verify_proof_version_1",
            "ext_trie_keccak_256_verify_proof_version_2",
            trie::verify_value_proof::<KeccakHasher>,
        ),
    ];
    for (v1, v2, verify) in VERIFY {
        linker.func_wrap(
            HOST_MODULE,
            v1,
            move |mut caller: Caller<'_, HostState>,
                  root: i32,
                  proof: i64,
                  key: i64,
                  value: i64|
                  -> HostResult<i32> {
                let mut host = HostContext::new(&mut caller, v1);
                verify_proof(
                    &mut host,
                    verify,
                    (root, proof, key, value),
                    StateVersion::V0,
                )
            },
        )?;
        linker.func_wrap(
            HOST_MODULE,
            v2,
            move |mut caller: Caller<'_, HostState>,
                  root: i32,
                  proof: i64,
                  key: i64,
                  value: i64,
                  version: i32|
                  -> HostResult<i32> {
                let mut host = HostContext::new(&mut caller, v2);
                let version = state_version(&host, version)?;
                verify_proof(&mut host, verify, (root, proof, key, value), version)
            },
        )?;
    }
    Ok(())
}

fn verify_proof(
    host: &mut HostContext<'_, '_>,
    verify: Verify,
    (root, proof, key, value): (i32, i64, i64, i64),
    version: StateVersion,
) -> HostResult<i32> {
    let root: [u8; 32] = host
        .read(root as u32, 32)?
        .try_into()
        .expect("read 32 bytes");
    let proof = host.decode_span::<Vec<Vec<u8>>>(proof)?;
    let key = host.read_span(key)?;
    let value = host.read_span(value)?;
    Ok(verify(&root, &proof, &key, &value, version) as i32)
}

/// Decodes a state version argument, failing the call on an unknown one.
pub(super) fn state_version(host: &HostContext<'_, '_>, raw: i32) -> HostResult<StateVersion> {
    u8::try_from(raw)
        .ok()
        .and_then(|v| StateVersion::try_from(v).ok())
        .ok_or_else(|| host.fail(format!("unknown state version {raw}")))
}

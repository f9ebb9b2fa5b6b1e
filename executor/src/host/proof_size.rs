//! `ext_storage_proof_size_storage_proof_size_version_1`: the size of the storage proof
//! recorded so far (Cumulus' `storage_proof_size` interface, RFC-0043), used by parachain
//! runtimes to reclaim unused proof-of-validity weight.
//!
//! The executor records no storage proof, and without a recorder (Cumulus' `ProofSizeExt`
//! absent) the function returns `u64::MAX`, which the runtime's weight reclaim reads as
//! "unknown" and then leaves the weight as benchmarked.

use wasmtime::{Caller, Linker};

use super::HOST_MODULE;
use crate::instance::HostState;

/// What the function returns when no proof is being recorded.
pub(crate) const PROOF_SIZE_NOT_RECORDED: u64 = u64::MAX;

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_proof_size_storage_proof_size_version_1",
        |_: Caller<'_, HostState>| -> i64 { PROOF_SIZE_NOT_RECORDED as i64 },
    )?;
    Ok(())
}

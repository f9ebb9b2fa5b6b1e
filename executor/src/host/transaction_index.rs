//! `ext_transaction_index_*`: indexing extrinsic data for chains that store transactions.
//!
//! Substrate (`sp-io`'s `TransactionIndex`) records each call as an index operation next to
//! the storage changes; only a node that keeps indexed transactions (`--storage-chain`-style
//! transaction storage) acts on them when it imports the block, and they never affect the
//! state root. This node keeps no transaction index, so the calls are validated (the context
//! hash must be readable), logged at `trace` level and dropped, as a Substrate node without
//! transaction storage does.

use wasmtime::{Caller, Linker};

use super::{HostContext, HostResult, HOST_MODULE};
use crate::instance::HostState;

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    // (extrinsic: u32, size: u32, context_hash: *const [u8; 32])
    linker.func_wrap(
        HOST_MODULE,
        "ext_transaction_index_index_version_1",
        |mut caller: Caller<'_, HostState>,
         extrinsic: i32,
         size: i32,
         context_hash: i32|
         -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_transaction_index_index_version_1");
            let hash = host.read(context_hash as u32, 32)?;
            tracing::trace!(
                target: "transaction_index",
                extrinsic = extrinsic as u32,
                size = size as u32,
                hash = %crate::cache::hex(&hash),
                "index (dropped: no transaction storage)"
            );
            Ok(())
        },
    )?;
    // (extrinsic: u32, context_hash: *const [u8; 32])
    linker.func_wrap(
        HOST_MODULE,
        "ext_transaction_index_renew_version_1",
        |mut caller: Caller<'_, HostState>, extrinsic: i32, context_hash: i32| -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_transaction_index_renew_version_1");
            let hash = host.read(context_hash as u32, 32)?;
            tracing::trace!(
                target: "transaction_index",
                extrinsic = extrinsic as u32,
                hash = %crate::cache::hex(&hash),
                "renew (dropped: no transaction storage)"
            );
            Ok(())
        },
    )?;
    Ok(())
}

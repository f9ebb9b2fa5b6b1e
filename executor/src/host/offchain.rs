//! `ext_offchain_*` and `ext_offchain_index_*`: the off-chain worker API and off-chain
//! indexing.
//!
//! # `ext_offchain_*`
//!
//! In Substrate (`sp-io`'s `Offchain` interface) each of these functions looks up an
//! externalities extension (the off-chain worker, the off-chain DB or the transaction pool)
//! that the client registers only for off-chain worker calls, and panics with a fixed message
//! when it is absent; `sp-runtime-interface` turns that panic into a failed call ("host code
//! panicked while being called by the runtime: …"). This executor runs no off-chain workers and
//! registers no such extension, so — like Substrate in block execution, block building and
//! runtime-API calls — every one of them fails the call with Substrate's message (the source's
//! line breaks and indentation inside the message folded into single spaces). None silently
//! succeeds. They are still registered, with their exact signatures, so runtimes importing them
//! instantiate and [`Executor::missing_host_functions`](crate::Executor::missing_host_functions)
//! does not list them.
//!
//! # `ext_offchain_index_*`
//!
//! Off-chain indexing writes from on-chain code (block execution) into the node's off-chain DB.
//! Substrate records the writes in the overlay next to the storage changes and persists them
//! only when the node runs with `--enable-offchain-indexing true` (off by default); they never
//! affect the state or its root, and a call never fails because of them. This node has no
//! off-chain DB and [`Externalities`](crate::Externalities) carries no off-chain changes, so the
//! writes are validated (their arguments must be readable), logged at `trace` level under the
//! `offchain_index` target and then dropped — what Substrate does with indexing disabled.

use wasmtime::{Caller, Linker};

use super::{failed, HostContext, HostResult, HOST_MODULE};
use crate::instance::HostState;

/// The context an off-chain function needs, named by Substrate's panic message when absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    /// `OffchainWorkerExt`.
    Worker,
    /// `TransactionPoolExt`.
    TransactionPool,
    /// `OffchainDbExt`.
    OffchainDb,
}

/// Substrate's panic message for `function` (the `sp-io` name) called without `needs`.
fn unavailable_message(function: &str, needs: Needs) -> String {
    match needs {
        Needs::Worker => format!("{function} can be called only in the offchain worker context"),
        Needs::TransactionPool => format!(
            "{function} can be called only in the offchain call context with TransactionPool \
             capabilities enabled"
        ),
        Needs::OffchainDb => format!(
            "{function} can be called only in the offchain call context with OffchainDb extension"
        ),
    }
}

/// The error of calling off-chain function `name` (`ext_offchain_<function>_version_1`)
/// outside an off-chain worker.
fn unavailable(name: &'static str, needs: Needs) -> wasmtime::Error {
    let function = name
        .strip_prefix("ext_offchain_")
        .and_then(|rest| rest.strip_suffix("_version_1"))
        .unwrap_or(name);
    failed(name, unavailable_message(function, needs))
}

/// Registers `name` with the given wasm signature as a function that always fails with
/// Substrate's message for a call context without `needs`.
macro_rules! unavailable {
    ($linker:expr, $name:literal, $needs:expr, ($($arg:ty),*) -> $ret:ty) => {
        $linker.func_wrap(
            HOST_MODULE,
            $name,
            |_: Caller<'_, HostState> $(, _: $arg)*| -> HostResult<$ret> {
                Err(unavailable($name, $needs))
            },
        )?
    };
    ($linker:expr, $name:literal, $needs:expr, ($($arg:ty),*)) => {
        unavailable!($linker, $name, $needs, ($($arg),*) -> ())
    };
}

/// Every `ext_offchain_*` function, with its signature (`sp-io`'s `Offchain` interface:
/// pointer-sizes and fat-pointer returns are `i64`, `bool`, `u16`, `u32` and `StorageKind`
/// `i32`, `Timestamp` `i64`, a returned `[u8; 32]` an `i32` pointer).
fn register_worker_api(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use Needs::*;
    unavailable!(linker, "ext_offchain_is_validator_version_1", Worker, () -> i32);
    // (data) -> Result<(), ()>
    unavailable!(linker, "ext_offchain_submit_transaction_version_1", TransactionPool, (i64) -> i64);
    // () -> Result<OpaqueNetworkState, ()>
    unavailable!(linker, "ext_offchain_network_state_version_1", Worker, () -> i64);
    unavailable!(linker, "ext_offchain_timestamp_version_1", Worker, () -> i64);
    // (deadline)
    unavailable!(linker, "ext_offchain_sleep_until_version_1", Worker, (i64));
    unavailable!(linker, "ext_offchain_random_seed_version_1", Worker, () -> i32);
    // (kind, key, value)
    unavailable!(
        linker,
        "ext_offchain_local_storage_set_version_1",
        OffchainDb,
        (i32, i64, i64)
    );
    // (kind, key)
    unavailable!(
        linker,
        "ext_offchain_local_storage_clear_version_1",
        OffchainDb,
        (i32, i64)
    );
    // (kind, key, old_value: Option<Vec<u8>>, new_value) -> bool
    unavailable!(
        linker,
        "ext_offchain_local_storage_compare_and_set_version_1",
        OffchainDb,
        (i32, i64, i64, i64) -> i32
    );
    // (kind, key) -> Option<Vec<u8>>
    unavailable!(linker, "ext_offchain_local_storage_get_version_1", OffchainDb, (i32, i64) -> i64);
    // (method, uri, meta) -> Result<HttpRequestId, ()>
    unavailable!(linker, "ext_offchain_http_request_start_version_1", Worker, (i64, i64, i64) -> i64);
    // (request_id, name, value) -> Result<(), ()>
    unavailable!(
        linker,
        "ext_offchain_http_request_add_header_version_1",
        Worker,
        (i32, i64, i64) -> i64
    );
    // (request_id, chunk, deadline: Option<Timestamp>) -> Result<(), HttpError>
    unavailable!(
        linker,
        "ext_offchain_http_request_write_body_version_1",
        Worker,
        (i32, i64, i64) -> i64
    );
    // (ids: Vec<HttpRequestId>, deadline: Option<Timestamp>) -> Vec<HttpRequestStatus>
    unavailable!(linker, "ext_offchain_http_response_wait_version_1", Worker, (i64, i64) -> i64);
    // (request_id) -> Vec<(Vec<u8>, Vec<u8>)>
    unavailable!(linker, "ext_offchain_http_response_headers_version_1", Worker, (i32) -> i64);
    // (request_id, buffer, deadline: Option<Timestamp>) -> Result<u32, HttpError>
    unavailable!(
        linker,
        "ext_offchain_http_response_read_body_version_1",
        Worker,
        (i32, i64, i64) -> i64
    );
    // (nodes: Vec<OpaquePeerId>, authorized_only: bool)
    unavailable!(
        linker,
        "ext_offchain_set_authorized_nodes_version_1",
        Worker,
        (i64, i32)
    );
    Ok(())
}

fn register_index_api(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        "ext_offchain_index_set_version_1",
        |mut caller: Caller<'_, HostState>, key: i64, value: i64| -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_offchain_index_set_version_1");
            let key = host.read_span(key)?;
            let value = host.read_span(value)?;
            tracing::trace!(
                target: "offchain_index",
                key = %crate::cache::hex(&key),
                value_len = value.len(),
                "set (dropped: no off-chain DB)"
            );
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_offchain_index_clear_version_1",
        |mut caller: Caller<'_, HostState>, key: i64| -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_offchain_index_clear_version_1");
            let key = host.read_span(key)?;
            tracing::trace!(
                target: "offchain_index",
                key = %crate::cache::hex(&key),
                "clear (dropped: no off-chain DB)"
            );
            Ok(())
        },
    )?;
    Ok(())
}

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    register_worker_api(linker)?;
    register_index_api(linker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_substrates() {
        assert_eq!(
            unavailable_message("is_validator", Needs::Worker),
            "is_validator can be called only in the offchain worker context"
        );
        assert_eq!(
            unavailable_message("local_storage_get", Needs::OffchainDb),
            "local_storage_get can be called only in the offchain call context with OffchainDb \
             extension"
        );
        assert_eq!(
            unavailable_message("submit_transaction", Needs::TransactionPool),
            "submit_transaction can be called only in the offchain call context with \
             TransactionPool capabilities enabled"
        );
        let error = unavailable("ext_offchain_random_seed_version_1", Needs::Worker);
        assert_eq!(
            error.to_string(),
            "host function ext_offchain_random_seed_version_1 failed: random_seed can be called \
             only in the offchain worker context"
        );
    }
}

//! `author_*`: transaction submission. There is no transaction pool yet, so submissions are
//! refused with a clear error (1040, Substrate's "other" author error) rather than accepted
//! and silently dropped; `author_pendingExtrinsics` is the (empty) pool.

use std::sync::Arc;

use jsonrpsee::{types::ErrorObjectOwned, RpcModule};

use super::{codes, error, Bytes, RpcContext};

/// Substrate's code for author errors that fit no other code.
pub const OTHER_ERROR: i32 = codes::AUTHOR + 40;

fn not_yet() -> ErrorObjectOwned {
    error(
        OTHER_ERROR,
        "Transaction pool error: this node has no transaction pool yet; extrinsics cannot be \
         submitted",
    )
}

/// The `author_*` methods.
pub fn module(ctx: Arc<RpcContext>) -> RpcModule<RpcContext> {
    let mut module = RpcModule::from_arc(ctx);
    module
        .register_method("author_submitExtrinsic", |params, _, _| {
            // Malformed input is still reported as such (-32602).
            let _extrinsic: Bytes = params.one()?;
            Err::<(), _>(not_yet())
        })
        .expect("unique name");
    module
        .register_method("author_pendingExtrinsics", |_, _, _| Vec::<Bytes>::new())
        .expect("unique name");
    module
        .register_subscription(
            "author_submitAndWatchExtrinsic",
            "author_extrinsicUpdate",
            "author_unwatchExtrinsic",
            |params, pending, _, _| async move {
                match params.one::<Bytes>() {
                    Ok(_) => pending.reject(not_yet()).await,
                    Err(e) => pending.reject(e).await,
                }
            },
        )
        .expect("unique name");
    module
}

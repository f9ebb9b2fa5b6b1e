//! `childstate_*`: storage of default child tries, as `state_*` reads the top trie.
//!
//! Every method takes the child trie's prefixed storage key first
//! (`:child_storage:default:` ++ its key); anything else is refused as Substrate does, with
//! 4003 `Client error: Invalid child storage key`.

use std::sync::Arc;

use executor::externalities::CHILD_STORAGE_DEFAULT_PREFIX;
use jsonrpsee::{
    types::{params::ParamsSequence, ErrorObjectOwned},
    RpcModule,
};

use super::{codes, error, state::register_storage_queries, Bytes, RpcContext};

/// The child trie a `childstate_*` call names: its unprefixed storage key.
fn child_trie(seq: &mut ParamsSequence<'_>) -> Result<Option<Vec<u8>>, ErrorObjectOwned> {
    let prefixed: Bytes = seq.next()?;
    match prefixed.0.strip_prefix(CHILD_STORAGE_DEFAULT_PREFIX) {
        Some(key) => Ok(Some(key.to_vec())),
        None => Err(error(
            codes::STATE + 3,
            "Client error: Invalid child storage key",
        )),
    }
}

/// The `childstate_*` methods.
pub fn module(ctx: Arc<RpcContext>) -> RpcModule<RpcContext> {
    let mut module = RpcModule::from_arc(ctx);
    register_storage_queries(
        &mut module,
        [
            "childstate_getStorage",
            "childstate_getStorageHash",
            "childstate_getStorageSize",
            "childstate_getKeysPaged",
        ],
        child_trie,
    );
    module
        .register_alias("childstate_getKeysPagedAt", "childstate_getKeysPaged")
        .expect("unique alias");
    module
}

//! `ext_storage_*`: the top-level state, through the call's [`Externalities`].
//!
//! [`Externalities`]: crate::externalities::Externalities

use codec::{Decode, Encode};
use wasmtime::{Caller, Linker};

use super::{HostContext, HostResult, HOST_MODULE};
use crate::{externalities::MultiRemovalResults, instance::HostState};

/// What `clear_prefix` version 2 returns: whether everything was removed, and how many keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub(crate) enum KillStorageResult {
    /// No key with the prefix is left.
    AllRemoved(u32),
    /// The limit stopped the removal; keys remain.
    SomeRemaining(u32),
}

impl From<MultiRemovalResults> for KillStorageResult {
    fn from(result: MultiRemovalResults) -> Self {
        match result.maybe_cursor {
            None => Self::AllRemoved(result.loops),
            Some(_) => Self::SomeRemaining(result.loops),
        }
    }
}

/// The `read` functions: copies as much of `value` after `offset` as fits into `value_out`
/// and returns (SCALE `Option<u32>`) how many bytes there were after `offset`.
pub(super) fn read_into(
    host: &mut HostContext<'_, '_>,
    value: Option<Vec<u8>>,
    value_out: i64,
    offset: i32,
) -> HostResult<i64> {
    let Some(value) = value else {
        return host.return_encoded(&None::<u32>);
    };
    let (out_ptr, out_len) = super::unpack(value_out);
    let rest = &value[(offset as u32 as usize).min(value.len())..];
    let written = rest.len().min(out_len as usize);
    host.write(out_ptr, &rest[..written])?;
    host.return_encoded(&Some(rest.len() as u32))
}

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_get_version_1",
        |mut caller: Caller<'_, HostState>, key: i64| -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, "ext_storage_get_version_1");
            let key = host.read_span(key)?;
            let value = host.ext().storage(&key);
            host.return_encoded(&value)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_read_version_1",
        |mut caller: Caller<'_, HostState>,
         key: i64,
         value_out: i64,
         offset: i32|
         -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, "ext_storage_read_version_1");
            let key = host.read_span(key)?;
            let value = host.ext().storage(&key);
            read_into(&mut host, value, value_out, offset)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_set_version_1",
        |mut caller: Caller<'_, HostState>, key: i64, value: i64| -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_storage_set_version_1");
            let key = host.read_span(key)?;
            let value = host.read_span(value)?;
            host.ext().set_storage(key, value);
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_clear_version_1",
        |mut caller: Caller<'_, HostState>, key: i64| -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_storage_clear_version_1");
            let key = host.read_span(key)?;
            host.ext().clear_storage(&key);
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_exists_version_1",
        |mut caller: Caller<'_, HostState>, key: i64| -> HostResult<i32> {
            let mut host = HostContext::new(&mut caller, "ext_storage_exists_version_1");
            let key = host.read_span(key)?;
            Ok(host.ext().exists_storage(&key) as i32)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_clear_prefix_version_1",
        |mut caller: Caller<'_, HostState>, prefix: i64| -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_storage_clear_prefix_version_1");
            let prefix = host.read_span(prefix)?;
            host.ext().clear_prefix(&prefix, None, None);
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_clear_prefix_version_2",
        |mut caller: Caller<'_, HostState>, prefix: i64, limit: i64| -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, "ext_storage_clear_prefix_version_2");
            let prefix = host.read_span(prefix)?;
            let limit = host.decode_span::<Option<u32>>(limit)?;
            let result = host.ext().clear_prefix(&prefix, limit, None);
            host.return_encoded(&KillStorageResult::from(result))
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_append_version_1",
        |mut caller: Caller<'_, HostState>, key: i64, value: i64| -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_storage_append_version_1");
            let key = host.read_span(key)?;
            let value = host.read_span(value)?;
            host.ext().storage_append(key, value);
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_next_key_version_1",
        |mut caller: Caller<'_, HostState>, key: i64| -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, "ext_storage_next_key_version_1");
            let key = host.read_span(key)?;
            let next = host.ext().next_storage_key(&key);
            host.return_encoded(&next)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_root_version_1",
        |mut caller: Caller<'_, HostState>| -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, "ext_storage_root_version_1");
            let root = host.ext().storage_root(trie::StateVersion::V0);
            host.return_bytes(&root)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_root_version_2",
        |mut caller: Caller<'_, HostState>, version: i32| -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, "ext_storage_root_version_2");
            let version = super::trie::state_version(&host, version)?;
            let root = host.ext().storage_root(version);
            host.return_bytes(&root)
        },
    )?;
    // Changes tries are gone from Substrate; `sp-io` keeps the function and always returns
    // `None` (`Option<Vec<u8>>`), whatever the parent hash.
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_changes_root_version_1",
        |mut caller: Caller<'_, HostState>, parent_hash: i64| -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, "ext_storage_changes_root_version_1");
            host.read_span(parent_hash)?;
            host.return_encoded(&None::<Vec<u8>>)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_start_transaction_version_1",
        |mut caller: Caller<'_, HostState>| -> HostResult<()> {
            HostContext::new(&mut caller, "ext_storage_start_transaction_version_1")
                .state()
                .start_transaction();
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_rollback_transaction_version_1",
        |mut caller: Caller<'_, HostState>| -> HostResult<()> {
            let mut host =
                HostContext::new(&mut caller, "ext_storage_rollback_transaction_version_1");
            if !host.state().rollback_transaction() {
                return Err(host.fail("no storage transaction opened by the runtime is open"));
            }
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_storage_commit_transaction_version_1",
        |mut caller: Caller<'_, HostState>| -> HostResult<()> {
            let mut host =
                HostContext::new(&mut caller, "ext_storage_commit_transaction_version_1");
            if !host.state().commit_transaction() {
                return Err(host.fail("no storage transaction opened by the runtime is open"));
            }
            Ok(())
        },
    )?;
    Ok(())
}

//! `ext_default_child_storage_*`: default child tries, named by their storage key (without
//! the `:child_storage:default:` prefix).

use wasmtime::{Caller, Linker};

use super::{storage::KillStorageResult, HostContext, HostResult, HOST_MODULE};
use crate::instance::HostState;

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_get_version_1",
        |mut caller: Caller<'_, HostState>, child: i64, key: i64| -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, "ext_default_child_storage_get_version_1");
            let (child, key) = (host.read_span(child)?, host.read_span(key)?);
            let value = host.ext().child_storage(&child, &key);
            host.return_encoded(&value)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_read_version_1",
        |mut caller: Caller<'_, HostState>,
         child: i64,
         key: i64,
         value_out: i64,
         offset: i32|
         -> HostResult<i64> {
            let mut host =
                HostContext::new(&mut caller, "ext_default_child_storage_read_version_1");
            let (child, key) = (host.read_span(child)?, host.read_span(key)?);
            let value = host.ext().child_storage(&child, &key);
            super::storage::read_into(&mut host, value, value_out, offset)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_set_version_1",
        |mut caller: Caller<'_, HostState>, child: i64, key: i64, value: i64| -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_default_child_storage_set_version_1");
            let (child, key, value) = (
                host.read_span(child)?,
                host.read_span(key)?,
                host.read_span(value)?,
            );
            host.ext().set_child_storage(&child, key, value);
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_clear_version_1",
        |mut caller: Caller<'_, HostState>, child: i64, key: i64| -> HostResult<()> {
            let mut host =
                HostContext::new(&mut caller, "ext_default_child_storage_clear_version_1");
            let (child, key) = (host.read_span(child)?, host.read_span(key)?);
            host.ext().clear_child_storage(&child, &key);
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_exists_version_1",
        |mut caller: Caller<'_, HostState>, child: i64, key: i64| -> HostResult<i32> {
            let mut host =
                HostContext::new(&mut caller, "ext_default_child_storage_exists_version_1");
            let (child, key) = (host.read_span(child)?, host.read_span(key)?);
            Ok(host.ext().exists_child_storage(&child, &key) as i32)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_next_key_version_1",
        |mut caller: Caller<'_, HostState>, child: i64, key: i64| -> HostResult<i64> {
            let mut host =
                HostContext::new(&mut caller, "ext_default_child_storage_next_key_version_1");
            let (child, key) = (host.read_span(child)?, host.read_span(key)?);
            let next = host.ext().next_child_storage_key(&child, &key);
            host.return_encoded(&next)
        },
    )?;
    // storage_kill: v1 kills everything; v2 takes a limit and says whether all is gone; v3 says
    // how many keys it visited.
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_storage_kill_version_1",
        |mut caller: Caller<'_, HostState>, child: i64| -> HostResult<()> {
            let mut host = HostContext::new(
                &mut caller,
                "ext_default_child_storage_storage_kill_version_1",
            );
            let child = host.read_span(child)?;
            host.ext().kill_child_storage(&child, None, None);
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_storage_kill_version_2",
        |mut caller: Caller<'_, HostState>, child: i64, limit: i64| -> HostResult<i32> {
            let mut host = HostContext::new(
                &mut caller,
                "ext_default_child_storage_storage_kill_version_2",
            );
            let child = host.read_span(child)?;
            let limit = host.decode_span::<Option<u32>>(limit)?;
            Ok(host
                .ext()
                .kill_child_storage(&child, limit, None)
                .maybe_cursor
                .is_none() as i32)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_storage_kill_version_3",
        |mut caller: Caller<'_, HostState>, child: i64, limit: i64| -> HostResult<i64> {
            let mut host = HostContext::new(
                &mut caller,
                "ext_default_child_storage_storage_kill_version_3",
            );
            let child = host.read_span(child)?;
            let limit = host.decode_span::<Option<u32>>(limit)?;
            let result = host.ext().kill_child_storage(&child, limit, None);
            host.return_encoded(&KillStorageResult::from(result))
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_clear_prefix_version_1",
        |mut caller: Caller<'_, HostState>, child: i64, prefix: i64| -> HostResult<()> {
            let mut host = HostContext::new(
                &mut caller,
                "ext_default_child_storage_clear_prefix_version_1",
            );
            let (child, prefix) = (host.read_span(child)?, host.read_span(prefix)?);
            host.ext().clear_child_prefix(&child, &prefix, None, None);
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_clear_prefix_version_2",
        |mut caller: Caller<'_, HostState>,
         child: i64,
         prefix: i64,
         limit: i64|
         -> HostResult<i64> {
            let mut host = HostContext::new(
                &mut caller,
                "ext_default_child_storage_clear_prefix_version_2",
            );
            let (child, prefix) = (host.read_span(child)?, host.read_span(prefix)?);
            let limit = host.decode_span::<Option<u32>>(limit)?;
            let result = host.ext().clear_child_prefix(&child, &prefix, limit, None);
            host.return_encoded(&KillStorageResult::from(result))
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_root_version_1",
        |mut caller: Caller<'_, HostState>, child: i64| -> HostResult<i64> {
            let mut host =
                HostContext::new(&mut caller, "ext_default_child_storage_root_version_1");
            let child = host.read_span(child)?;
            let root = host
                .ext()
                .child_storage_root(&child, trie::StateVersion::V0);
            host.return_bytes(&root)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_default_child_storage_root_version_2",
        |mut caller: Caller<'_, HostState>, child: i64, version: i32| -> HostResult<i64> {
            let mut host =
                HostContext::new(&mut caller, "ext_default_child_storage_root_version_2");
            let child = host.read_span(child)?;
            let version = super::trie::state_version(&host, version)?;
            let root = host.ext().child_storage_root(&child, version);
            host.return_bytes(&root)
        },
    )?;
    Ok(())
}

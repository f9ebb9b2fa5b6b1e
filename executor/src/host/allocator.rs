//! `ext_allocator_*`: the runtime's heap, served by the freeing-bump allocator.

use wasmtime::{Caller, Linker};

use super::{HostContext, HostResult, HOST_MODULE};
use crate::instance::HostState;

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        "ext_allocator_malloc_version_1",
        |mut caller: Caller<'_, HostState>, size: i32| -> HostResult<i32> {
            let ptr = HostContext::new(&mut caller, "ext_allocator_malloc_version_1")
                .allocate(size as u32)?;
            Ok(ptr as i32)
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_allocator_free_version_1",
        |mut caller: Caller<'_, HostState>, ptr: i32| -> HostResult<()> {
            HostContext::new(&mut caller, "ext_allocator_free_version_1").deallocate(ptr as u32)
        },
    )?;
    Ok(())
}

//! `ext_misc_*`: debug printing and reading another runtime's version.

use wasmtime::{Caller, Linker};

use super::{HostContext, HostResult, HOST_MODULE};
use crate::instance::HostState;

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        "ext_misc_print_num_version_1",
        |_: Caller<'_, HostState>, value: i64| {
            tracing::debug!(target: "runtime", "{value}");
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_misc_print_utf8_version_1",
        |mut caller: Caller<'_, HostState>, data: i64| -> HostResult<()> {
            let data =
                HostContext::new(&mut caller, "ext_misc_print_utf8_version_1").read_span(data)?;
            // Substrate prints nothing for invalid UTF-8.
            if let Ok(text) = std::str::from_utf8(&data) {
                tracing::debug!(target: "runtime", "{text}");
            }
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_misc_print_hex_version_1",
        |mut caller: Caller<'_, HostState>, data: i64| -> HostResult<()> {
            let data =
                HostContext::new(&mut caller, "ext_misc_print_hex_version_1").read_span(data)?;
            tracing::debug!(target: "runtime", "{}", crate::cache::hex(&data));
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_misc_runtime_version_version_1",
        |mut caller: Caller<'_, HostState>, code: i64| -> HostResult<i64> {
            let mut host = HostContext::new(&mut caller, "ext_misc_runtime_version_version_1");
            let code = host.read_span(code)?;
            let reader = host.state().version_reader();
            // Like Substrate: a blob whose version cannot be read yields `None`, not a trap.
            let version = reader.and_then(|read| match read(&code) {
                Ok(encoded_version) => Some(encoded_version),
                Err(e) => {
                    tracing::debug!(target: "executor", "runtime_version of a blob failed: {e}");
                    None
                }
            });
            host.return_encoded(&version)
        },
    )?;
    Ok(())
}

//! `ext_panic_handler_*`: the runtime reports its panic message and aborts the call.

use wasmtime::{Caller, Linker};

use super::{HostContext, HostError, HostResult, HOST_MODULE};
use crate::instance::HostState;

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        "ext_panic_handler_abort_on_panic_version_1",
        |mut caller: Caller<'_, HostState>, message: i64| -> HostResult<()> {
            let mut host =
                HostContext::new(&mut caller, "ext_panic_handler_abort_on_panic_version_1");
            // The message is passed as raw UTF-8 (a `&str`), not SCALE-encoded.
            let message = String::from_utf8_lossy(&host.read_span(message)?).into_owned();
            Err(wasmtime::Error::new(HostError::Panic(message)))
        },
    )?;
    Ok(())
}

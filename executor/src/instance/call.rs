//! The call path every strategy shares: input in, export called, output out, errors named.

use std::{sync::Arc, time::Duration};

use wasmtime::{Instance, Memory, Store, Trap};

use super::HostState;
use crate::{
    deadline, engine::MAX_WASM_STACK, externalities::Externalities, host::HostError,
    keystore::Keystore, Error,
};

/// One call of a runtime export.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub method: &'a str,
    pub input: &'a [u8],
    pub options: &'a CallOptions,
}

/// How a call is run, beyond its code, method, input and state.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Stop the call with [`Error::Timeout`] once this much time has passed. For off-chain and
    /// RPC calls; block execution has no deadline.
    pub deadline: Option<Duration>,
    /// Keys the runtime may list, generate and sign with (`ext_crypto_*_public_keys`,
    /// `_generate`, `_sign`); without one those functions fail the call, as in Substrate.
    pub keystore: Option<Arc<Keystore>>,
}

/// Name of the global marking the start of the runtime's heap.
const HEAP_BASE: &str = "__heap_base";

/// The instance's memory and heap base.
pub(crate) fn memory_and_heap_base(
    store: &mut Store<HostState>,
    instance: &Instance,
) -> Result<(Memory, u32), Error> {
    let memory = instance
        .get_memory(&mut *store, crate::blob::MEMORY_EXPORT)
        .ok_or_else(|| Error::Instantiation("the runtime exports no memory".into()))?;
    let heap_base = instance
        .get_global(&mut *store, HEAP_BASE)
        .and_then(|global| global.get(&mut *store).i32())
        .ok_or_else(|| {
            Error::Instantiation(format!("the runtime exports no i32 global `{HEAP_BASE}`"))
        })?;
    Ok((memory, heap_base as u32))
}

/// Runs `call` on `instance`: copies the input onto a fresh heap, calls the export and copies
/// the output out.
pub(crate) fn run(
    store: &mut Store<HostState>,
    instance: &Instance,
    memory: Memory,
    heap_base: u32,
    call: Call<'_>,
    ext: &mut dyn Externalities,
) -> Result<Vec<u8>, Error> {
    let func = instance
        .get_func(&mut *store, call.method)
        .ok_or_else(|| Error::MissingExport(call.method.to_owned()))?;
    let entry =
        func.typed::<(i32, i32), i64>(&*store)
            .map_err(|_| Error::WrongExportSignature {
                name: call.method.to_owned(),
                found: func.ty(&*store).to_string(),
            })?;
    store.set_epoch_deadline(
        call.options
            .deadline
            .map_or(deadline::NO_DEADLINE, deadline::ticks),
    );

    // SAFETY: `ext` is borrowed for this whole function and `end_call` runs before it returns
    // (the guard also runs it on unwinding).
    unsafe {
        store
            .data_mut()
            .begin_call(ext, memory, heap_base, call.options.keystore.clone())
    };
    let active = EndCallOnDrop(store);
    let store = &mut *active.0;

    let called = allocate_input(store, memory, call.input)
        .map(|input_ptr| entry.call(&mut *store, (input_ptr as i32, call.input.len() as i32)));
    let outcome = store.data_mut().end_call();
    match called? {
        Ok(packed) => read_output(store, memory, packed as u64),
        Err(e) => Err(classify(
            e,
            outcome.and_then(|o| o.last_error_log),
            call.options.deadline,
        )),
    }
}

/// Ends the call if the code between begin and end unwinds.
struct EndCallOnDrop<'a>(&'a mut Store<HostState>);

impl Drop for EndCallOnDrop<'_> {
    fn drop(&mut self) {
        self.0.data_mut().end_call();
    }
}

fn allocate_input(
    store: &mut Store<HostState>,
    memory: Memory,
    input: &[u8],
) -> Result<u32, Error> {
    let ptr = crate::host::with_allocator(&mut *store, memory, |allocator, memory| {
        allocator.allocate(memory, input.len() as u32)
    })?;
    memory.data_mut(&mut *store)[ptr as usize..ptr as usize + input.len()].copy_from_slice(input);
    Ok(ptr)
}

fn read_output(store: &Store<HostState>, memory: Memory, packed: u64) -> Result<Vec<u8>, Error> {
    let (ptr, len) = (packed as u32, (packed >> 32) as u32);
    let data = memory.data(store);
    let end = ptr as usize + len as usize;
    data.get(ptr as usize..end)
        .map(<[u8]>::to_vec)
        .ok_or(Error::OutputOutOfBounds {
            ptr,
            len,
            memory_size: data.len(),
        })
}

/// Names what went wrong in a call that did not return.
fn classify(
    error: wasmtime::Error,
    last_error_log: Option<String>,
    deadline: Option<Duration>,
) -> Error {
    if let Some(host) = error.downcast_ref::<HostError>() {
        return match host {
            HostError::Panic(message) => Error::RuntimePanic(message.clone()),
            HostError::MissingFunction(name) => Error::MissingHostFunction(name.clone()),
            HostError::Allocator(e) => Error::Allocator(e.clone()),
            HostError::Failed { function, reason } => Error::HostFunction {
                function,
                reason: reason.clone(),
            },
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::StackOverflow) => Error::StackExhausted {
            limit: MAX_WASM_STACK,
        },
        Some(Trap::Interrupt) => Error::Timeout(deadline.unwrap_or_default()),
        // Runtimes without the abort-on-panic host function log the panic, then trap.
        Some(Trap::UnreachableCodeReached) if last_error_log.is_some() => {
            Error::RuntimePanic(last_error_log.expect("checked"))
        }
        _ => Error::Trap(format!("{error:?}")),
    }
}

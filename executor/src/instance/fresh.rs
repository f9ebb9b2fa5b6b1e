//! A new store and instance per call. Whether the instance comes from wasmtime's pool and
//! whether its memory is a copy-on-write image is decided by the engine configuration.

use super::call;
use crate::{externalities::Externalities, runtime::Runtime, Error, HeapAllocStrategy};

/// Instantiates `runtime` afresh and runs `call` on it.
pub(crate) fn call(
    runtime: &Runtime,
    heap: HeapAllocStrategy,
    call: call::Call<'_>,
    ext: &mut dyn Externalities,
) -> Result<Vec<u8>, Error> {
    let mut new = runtime.instantiate(heap)?;
    call::run(
        &mut new.store,
        &new.instance,
        new.memory,
        new.heap_base,
        call,
        ext,
    )
}

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
    let mut store = runtime.new_store(heap);
    let instance = runtime
        .instance_pre
        .instantiate(&mut store)
        .map_err(|e| Error::Instantiation(format!("{e:#}")))?;
    let (memory, heap_base) = call::memory_and_heap_base(&mut store, &instance)?;
    runtime.grow_to_initial_heap(&mut store, memory, heap)?;
    call::run(&mut store, &instance, memory, heap_base, call, ext)
}

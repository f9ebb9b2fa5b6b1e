//! The Substrate host API: every `ext_*` function the executor provides, grouped by namespace.
//!
//! [`register`] is the single table of names; each namespace module declares its functions once
//! with their exact wasm signatures. Imports we do not provide are linked to a function that
//! fails with "call to a missing host function env:NAME" only when called.

mod allocator;
mod child_storage;
mod crypto;
mod hashing;
mod logging;
mod misc;
mod offchain;
mod panic_handler;
mod proof_size;
mod storage;
mod transaction_index;
mod trie;

use codec::{Decode, Encode};
use wasmtime::{AsContextMut, Caller, Linker, Module};

use crate::{
    allocator::{AllocatorError, FreeingBumpHeapAllocator, Memory as AllocatorMemory},
    externalities::Externalities,
    instance::HostState,
};

/// The module every host function is imported from.
pub const HOST_MODULE: &str = "env";

/// A failure inside a host function; it aborts the runtime call and is classified by the caller.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HostError {
    #[error("the runtime panicked: {0}")]
    Panic(String),
    #[error("call to a missing host function env:{0}")]
    MissingFunction(String),
    #[error("allocator error: {0}")]
    Allocator(#[from] AllocatorError),
    #[error("host function {function} failed: {reason}")]
    Failed {
        function: &'static str,
        reason: String,
    },
}

pub(crate) type HostResult<T> = Result<T, wasmtime::Error>;

/// Shorthand for a failure of `function`.
pub(crate) fn failed(function: &'static str, reason: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(HostError::Failed {
        function,
        reason: reason.into(),
    })
}

/// Registers every host function in `linker`.
pub(crate) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    allocator::register(linker)?;
    storage::register(linker)?;
    child_storage::register(linker)?;
    hashing::register(linker)?;
    crypto::register(linker)?;
    trie::register(linker)?;
    logging::register(linker)?;
    misc::register(linker)?;
    offchain::register(linker)?;
    transaction_index::register(linker)?;
    proof_size::register(linker)?;
    panic_handler::register(linker)?;
    Ok(())
}

/// Links each function import of `module` that `linker` lacks to a function that fails when
/// called, so runtimes that merely import (but do not use) newer host functions still run.
pub(crate) fn stub_missing_imports(
    linker: &mut Linker<HostState>,
    module: &Module,
) -> wasmtime::Result<Vec<String>> {
    let mut missing = Vec::new();
    let mut store = wasmtime::Store::new(module.engine(), HostState::default());
    for import in module.imports() {
        let wasmtime::ExternType::Func(ty) = import.ty() else {
            continue;
        };
        if linker.get_by_import(&mut store, &import).is_some() {
            continue;
        }
        let name = import.name().to_owned();
        missing.push(format!("{}:{}", import.module(), name));
        let module_name = import.module().to_owned();
        linker.func_new(&module_name, &name.clone(), ty, move |_, _, _| {
            Err(wasmtime::Error::new(HostError::MissingFunction(
                name.clone(),
            )))
        })?;
    }
    Ok(missing)
}

/// A packed pointer-size (`ptr | len << 32`) as passed across the runtime boundary.
pub(crate) fn unpack(span: i64) -> (u32, u32) {
    (span as u64 as u32, (span as u64 >> 32) as u32)
}

/// Packs a pointer and length into a pointer-size.
pub(crate) fn pack(ptr: u32, len: u32) -> i64 {
    (u64::from(ptr) | (u64::from(len) << 32)) as i64
}

/// The linear memory and host state of the current call, as host functions use them.
pub(crate) struct HostContext<'a, 'b> {
    caller: &'a mut Caller<'b, HostState>,
    function: &'static str,
}

impl<'a, 'b> HostContext<'a, 'b> {
    pub fn new(caller: &'a mut Caller<'b, HostState>, function: &'static str) -> Self {
        Self { caller, function }
    }

    fn memory(&self) -> wasmtime::Memory {
        self.caller
            .data()
            .memory()
            .expect("host functions only run inside a call")
    }

    /// Copies `len` bytes at `ptr` out of linear memory.
    pub fn read(&mut self, ptr: u32, len: u32) -> HostResult<Vec<u8>> {
        let data = self.memory().data(&*self.caller);
        range(data.len(), ptr, len)
            .map(|r| data[r].to_vec())
            .ok_or_else(|| {
                failed(
                    self.function,
                    format!("reading {len} bytes at {ptr:#x} is out of bounds"),
                )
            })
    }

    /// Copies the bytes of a pointer-size out of linear memory.
    pub fn read_span(&mut self, span: i64) -> HostResult<Vec<u8>> {
        let (ptr, len) = unpack(span);
        self.read(ptr, len)
    }

    /// Reads and SCALE-decodes the bytes of a pointer-size.
    pub fn decode_span<T: Decode>(&mut self, span: i64) -> HostResult<T> {
        let bytes = self.read_span(span)?;
        T::decode(&mut &bytes[..])
            .map_err(|e| failed(self.function, format!("cannot decode its argument: {e}")))
    }

    /// Writes `bytes` at `ptr`.
    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> HostResult<()> {
        let function = self.function;
        let data = self.memory().data_mut(&mut *self.caller);
        let r = range(data.len(), ptr, bytes.len() as u32).ok_or_else(|| {
            failed(
                function,
                format!("writing {} bytes at {ptr:#x} is out of bounds", bytes.len()),
            )
        })?;
        data[r].copy_from_slice(bytes);
        Ok(())
    }

    /// Allocates `size` bytes on the runtime's heap.
    pub fn allocate(&mut self, size: u32) -> HostResult<u32> {
        self.with_allocator(|allocator, memory| allocator.allocate(memory, size))
    }

    /// Frees a heap allocation.
    pub fn deallocate(&mut self, ptr: u32) -> HostResult<()> {
        self.with_allocator(|allocator, memory| allocator.deallocate(memory, ptr))
    }

    fn with_allocator<T>(
        &mut self,
        f: impl FnOnce(
            &mut FreeingBumpHeapAllocator,
            &mut dyn AllocatorMemory,
        ) -> Result<T, AllocatorError>,
    ) -> HostResult<T> {
        let memory = self.memory();
        with_allocator(&mut *self.caller, memory, f)
            .map_err(|e| wasmtime::Error::new(HostError::Allocator(e)))
    }

    /// Allocates room for `bytes`, copies them in and returns the pointer.
    pub fn allocate_and_write(&mut self, bytes: &[u8]) -> HostResult<u32> {
        let ptr = self.allocate(bytes.len() as u32)?;
        self.write(ptr, bytes)?;
        Ok(ptr)
    }

    /// Allocates and writes `bytes`, returning their pointer-size.
    pub fn return_bytes(&mut self, bytes: &[u8]) -> HostResult<i64> {
        let ptr = self.allocate_and_write(bytes)?;
        Ok(pack(ptr, bytes.len() as u32))
    }

    /// SCALE-encodes `value` into a fresh allocation and returns its pointer-size.
    pub fn return_encoded(&mut self, value: &impl Encode) -> HostResult<i64> {
        self.return_bytes(&value.encode())
    }

    /// The externalities of the current call.
    pub fn ext(&mut self) -> &mut dyn Externalities {
        self.caller.data_mut().externalities()
    }

    /// The host state of the current call.
    pub fn state(&mut self) -> &mut HostState {
        self.caller.data_mut()
    }

    /// A failure of this host function.
    pub fn fail(&self, reason: impl Into<String>) -> wasmtime::Error {
        failed(self.function, reason)
    }
}

fn range(memory_len: usize, ptr: u32, len: u32) -> Option<std::ops::Range<usize>> {
    let start = ptr as usize;
    let end = start.checked_add(len as usize)?;
    (end <= memory_len).then_some(start..end)
}

/// Runs `f` with the call's allocator and a view of linear memory it can grow.
pub(crate) fn with_allocator<C: AsContextMut<Data = HostState>, T>(
    mut ctx: C,
    memory: wasmtime::Memory,
    f: impl FnOnce(&mut FreeingBumpHeapAllocator, &mut dyn AllocatorMemory) -> Result<T, AllocatorError>,
) -> Result<T, AllocatorError> {
    // The allocator lives in the store's data, so it is taken out while memory is borrowed.
    let mut store = ctx.as_context_mut();
    let state = store.data_mut();
    let mut allocator = state.take_allocator();
    let max_pages = state.max_pages();
    let result = f(
        &mut allocator,
        &mut WasmMemory {
            ctx: &mut ctx,
            memory,
            max_pages,
        },
    );
    ctx.as_context_mut().data_mut().restore_allocator(allocator);
    result
}

/// Linear memory as the allocator sees it.
struct WasmMemory<C> {
    ctx: C,
    memory: wasmtime::Memory,
    max_pages: u32,
}

impl<C: AsContextMut<Data = HostState>> AllocatorMemory for WasmMemory<C> {
    fn data(&self) -> &[u8] {
        self.memory.data(&self.ctx)
    }

    fn data_mut(&mut self) -> &mut [u8] {
        self.memory.data_mut(&mut self.ctx)
    }

    fn pages(&self) -> u32 {
        self.memory.size(&self.ctx) as u32
    }

    fn max_pages(&self) -> Option<u32> {
        Some(self.max_pages)
    }

    fn grow(&mut self, additional: u32) -> Result<(), ()> {
        self.memory
            .grow(&mut self.ctx, u64::from(additional))
            .map(drop)
            .map_err(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_size_packing() {
        assert_eq!(unpack(pack(0x1234, 0x10)), (0x1234, 0x10));
        assert_eq!(unpack(pack(u32::MAX, u32::MAX)), (u32::MAX, u32::MAX));
        assert_eq!(pack(1, 2), 1 | (2 << 32));
    }

    #[test]
    fn ranges_are_bounds_checked() {
        assert_eq!(range(10, 2, 8), Some(2..10));
        assert_eq!(range(10, 2, 9), None);
        assert_eq!(range(10, u32::MAX, u32::MAX), None);
    }
}

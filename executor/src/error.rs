//! The executor's error type.

use std::{path::PathBuf, time::Duration};

use crate::allocator::AllocatorError;

/// Everything that can go wrong while preparing or calling a runtime.
///
/// Errors are `Clone` because a failed compilation is handed to every caller that waited for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The code is not a (possibly compressed) wasm module we can run.
    #[error("invalid runtime code: {0}")]
    InvalidBlob(String),
    /// Decompressing the code would exceed the bomb limit.
    #[error("runtime code decompresses to more than {limit} bytes (possible compression bomb)")]
    CompressionBomb {
        /// The decompression limit in bytes.
        limit: usize,
    },
    /// Wasmtime rejected the module.
    #[error("failed to compile the runtime: {0}")]
    Compilation(String),
    /// Instantiating the module failed.
    #[error("failed to instantiate the runtime: {0}")]
    Instantiation(String),
    /// The runtime has no export with the called name.
    #[error("the runtime does not export `{0}`")]
    MissingExport(String),
    /// The export exists but is not `(i32, i32) -> i64`.
    #[error("the runtime export `{name}` has type {found}, expected `(i32, i32) -> i64`")]
    WrongExportSignature {
        /// The export's name.
        name: String,
        /// Its actual type.
        found: String,
    },
    /// The runtime trapped.
    #[error("the runtime trapped: {0}")]
    Trap(String),
    /// The runtime panicked; the message comes from its panic handler (or its last error log).
    #[error("the runtime panicked: {0}")]
    RuntimePanic(String),
    /// The runtime called a host function that this executor does not provide.
    #[error("call to a missing host function env:{0}")]
    MissingHostFunction(String),
    /// A host function was called with arguments it cannot serve.
    #[error("host function {function} failed: {reason}")]
    HostFunction {
        /// The `ext_*` name.
        function: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The heap allocator failed (out of space, bad pointer, request too large...).
    #[error("allocator error: {0}")]
    Allocator(#[from] AllocatorError),
    /// The wasm stack limit was hit.
    #[error("the runtime exhausted its wasm stack ({limit} bytes)")]
    StackExhausted {
        /// The configured `max_wasm_stack`.
        limit: usize,
    },
    /// The returned pointer/length pair lies outside linear memory.
    #[error("the runtime returned output at {ptr:#x} of {len} bytes, outside its {memory_size}-byte memory")]
    OutputOutOfBounds {
        /// Output pointer.
        ptr: u32,
        /// Output length.
        len: u32,
        /// Memory size at the end of the call.
        memory_size: usize,
    },
    /// The call ran past its deadline and was interrupted.
    #[error("the call exceeded its deadline of {0:?}")]
    Timeout(Duration),
    /// A precompiled artifact could not be written or used.
    #[error("runtime artifact {}: {reason}", path.display())]
    Artifact {
        /// The artifact file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Reading the runtime version failed.
    #[error("cannot read the runtime version: {0}")]
    Version(String),
    /// The executor configuration is invalid.
    #[error("invalid executor configuration: {0}")]
    Config(String),
}

/// Result with the executor's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Getting an instance for a call, one file per way, and the call path they share.
//!
//! - [`fresh`]: a new store and instance per call (pooling or on-demand allocation, with or
//!   without copy-on-write memory: the engine decides).
//! - [`legacy`]: long-lived instances restored to their initial state before every call.

pub(crate) mod call;
pub(crate) mod fresh;
pub(crate) mod legacy;

use std::sync::Arc;

use wasmtime::StoreLimits;

use crate::{
    allocator::FreeingBumpHeapAllocator, externalities::Externalities, keystore::Keystore, Error,
};

/// Reads the SCALE-encoded version of a runtime blob (for `ext_misc_runtime_version`).
pub(crate) type VersionReader = Arc<dyn Fn(&[u8]) -> Result<Vec<u8>, Error> + Send + Sync>;

/// The data of every store: limits, and the state of the call in progress.
#[derive(Default)]
pub(crate) struct HostState {
    pub limits: StoreLimits,
    max_pages: u32,
    call: Option<CallState>,
    version_reader: Option<VersionReader>,
}

/// What host functions need during one call.
struct CallState {
    ext: ExtPtr,
    memory: wasmtime::Memory,
    allocator: Option<FreeingBumpHeapAllocator>,
    /// Storage transactions the runtime opened and has not closed.
    open_transactions: u32,
    last_error_log: Option<String>,
    /// Set by `ext_crypto_start_batch_verify`: whether every batch-verified signature passed.
    batch_verification: Option<bool>,
    /// What the keystore functions use; none outside calls given one.
    keystore: Option<Arc<Keystore>>,
}

/// The call's externalities with their lifetime erased.
///
/// Only set between [`HostState::begin_call`] and [`HostState::end_call`], which bracket a call
/// that borrows the externalities mutably for its whole duration.
struct ExtPtr(*mut (dyn Externalities + 'static));

// SAFETY: `Externalities: Send`, and the pointer is only dereferenced by the thread running
// the call that owns the borrow.
unsafe impl Send for ExtPtr {}

/// What a finished call leaves behind for classifying its outcome.
pub(crate) struct CallOutcome {
    pub last_error_log: Option<String>,
}

impl HostState {
    pub fn new(limits: StoreLimits, max_pages: u32, version_reader: Option<VersionReader>) -> Self {
        Self {
            limits,
            max_pages,
            call: None,
            version_reader,
        }
    }

    /// The most pages the memory may grow to in this store.
    pub fn max_pages(&self) -> u32 {
        self.max_pages
    }

    /// Starts a call: host functions may use `ext`, `memory` and a fresh allocator until
    /// [`end_call`](Self::end_call).
    ///
    /// # Safety
    /// `ext` must stay valid and unused elsewhere until `end_call` runs.
    pub unsafe fn begin_call(
        &mut self,
        ext: &mut dyn Externalities,
        memory: wasmtime::Memory,
        heap_base: u32,
        keystore: Option<Arc<Keystore>>,
    ) {
        let ptr: *mut (dyn Externalities + '_) = ext;
        // SAFETY: only the lifetime is erased; the caller keeps the borrow alive until end_call.
        let ptr: *mut (dyn Externalities + 'static) = unsafe { std::mem::transmute(ptr) };
        self.call = Some(CallState {
            ext: ExtPtr(ptr),
            memory,
            allocator: Some(FreeingBumpHeapAllocator::new(heap_base)),
            open_transactions: 0,
            last_error_log: None,
            batch_verification: None,
            keystore,
        });
    }

    /// Ends the call: transactions the runtime left open are rolled back (as Substrate does)
    /// and the externalities are released.
    pub fn end_call(&mut self) -> Option<CallOutcome> {
        let call = self.call.take()?;
        if call.open_transactions > 0 {
            tracing::warn!(
                target: "executor",
                "{} storage transactions were left open by the runtime; rolling them back",
                call.open_transactions
            );
            // SAFETY: still within the call's borrow (see begin_call).
            let ext = unsafe { &mut *call.ext.0 };
            for _ in 0..call.open_transactions {
                let _ = ext.rollback_transaction();
            }
        }
        Some(CallOutcome {
            last_error_log: call.last_error_log,
        })
    }

    fn call(&mut self) -> &mut CallState {
        self.call
            .as_mut()
            .expect("host functions only run inside a call")
    }

    /// The memory of the call in progress.
    pub fn memory(&self) -> Option<wasmtime::Memory> {
        self.call.as_ref().map(|call| call.memory)
    }

    /// The externalities of the call in progress.
    pub fn externalities(&mut self) -> &mut dyn Externalities {
        // SAFETY: set by begin_call, whose caller guarantees validity until end_call.
        unsafe { &mut *self.call().ext.0 }
    }

    pub fn take_allocator(&mut self) -> FreeingBumpHeapAllocator {
        self.call()
            .allocator
            .take()
            .expect("the allocator is not re-entered")
    }

    pub fn restore_allocator(&mut self, allocator: FreeingBumpHeapAllocator) {
        self.call().allocator = Some(allocator);
    }

    pub fn record_error_log(&mut self, message: String) {
        self.call().last_error_log = Some(message);
    }

    pub fn start_transaction(&mut self) {
        self.externalities().start_transaction();
        self.call().open_transactions += 1;
    }

    /// Rolls back the innermost transaction the runtime opened; false if it has none open.
    pub fn rollback_transaction(&mut self) -> bool {
        self.close_transaction(|ext| ext.rollback_transaction().is_ok())
    }

    /// Commits the innermost transaction the runtime opened; false if it has none open.
    pub fn commit_transaction(&mut self) -> bool {
        self.close_transaction(|ext| ext.commit_transaction().is_ok())
    }

    fn close_transaction(&mut self, close: impl FnOnce(&mut dyn Externalities) -> bool) -> bool {
        if self.call().open_transactions == 0 || !close(self.externalities()) {
            return false;
        }
        self.call().open_transactions -= 1;
        true
    }

    pub fn version_reader(&self) -> Option<VersionReader> {
        self.version_reader.clone()
    }

    /// The keystore of the call in progress, if it was given one.
    pub fn keystore(&self) -> Option<Arc<Keystore>> {
        self.call.as_ref().and_then(|call| call.keystore.clone())
    }

    /// The batch-verification flag of the call in progress (`None` when none was started).
    pub fn batch_verification(&mut self) -> &mut Option<bool> {
        &mut self.call().batch_verification
    }
}

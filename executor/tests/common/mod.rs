//! Calling the project's test runtime, shared by the integration tests of this crate.

use codec::Decode;
use executor::{externalities::InMemoryExternalities, Error, Executor, RuntimeCode};
use runtime_wasm::{entry_points as api, WASM_BINARY_V1};

/// Calls `method` of the test runtime (spec version 1) on empty state.
pub fn call(executor: &Executor, method: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
    executor.call(
        &RuntimeCode::from_bytes(WASM_BINARY_V1),
        method,
        input,
        &mut InMemoryExternalities::new(),
    )
}

/// The test runtime's counters: `(1, 42)` on an instance no earlier call left traces in.
#[allow(dead_code)] // Not every test file checks the counter.
pub fn counter(executor: &Executor) -> (u64, u64) {
    let output = call(executor, api::TEST_COUNTER, &[]).unwrap();
    Decode::decode(&mut &output[..]).unwrap()
}

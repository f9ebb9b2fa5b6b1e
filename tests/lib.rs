//! Shared helpers for the integration tests in this directory.

use std::path::PathBuf;

/// `../shared/fixtures` beside the project root: real public chain specs and blocks. CI has
/// them; tests that need one skip with a printed reason where it is missing.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

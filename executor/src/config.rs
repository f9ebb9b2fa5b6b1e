//! Executor configuration.

use std::path::PathBuf;

use crate::{Error, InstantiationStrategy};

/// Size of a wasm page.
pub const WASM_PAGE_SIZE: u64 = 65536;
/// The most pages a 32-bit wasm memory can have.
pub const MAX_WASM_PAGES: u32 = 65536;
/// The most instances that may run at once.
pub const MAX_INSTANCES_LIMIT: usize = 64;

/// How much linear memory a runtime's heap gets, applied at instantiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeapAllocStrategy {
    /// The memory starts at its initial size plus `extra_pages` and never grows further.
    Static {
        /// Pages added to the module's initial memory.
        extra_pages: u32,
    },
    /// The memory starts at its initial size and the allocator grows it on demand.
    Dynamic {
        /// The most pages the memory may have (`None`: the wasm32 limit).
        maximum_pages: Option<u32>,
    },
}

impl HeapAllocStrategy {
    /// Substrate's default: 2048 extra pages (128 MiB).
    pub const DEFAULT: Self = Self::Static { extra_pages: 2048 };

    /// The strategy selected by a `:heappages` storage value, or `default` if there is none.
    pub fn from_heap_pages(heap_pages: Option<u64>, default: Self) -> Self {
        match heap_pages {
            Some(pages) => Self::Static {
                extra_pages: u32::try_from(pages).unwrap_or(u32::MAX),
            },
            None => default,
        }
    }

    /// `(pages at instantiation, most pages allowed)` for a module whose memory starts at
    /// `initial_pages`.
    pub(crate) fn memory_pages(self, initial_pages: u32) -> (u32, u32) {
        match self {
            Self::Static { extra_pages } => {
                let pages = initial_pages
                    .saturating_add(extra_pages)
                    .min(MAX_WASM_PAGES);
                (pages, pages)
            }
            Self::Dynamic { maximum_pages } => {
                let max = maximum_pages.unwrap_or(MAX_WASM_PAGES).min(MAX_WASM_PAGES);
                (initial_pages, max.max(initial_pages))
            }
        }
    }
}

impl Default for HeapAllocStrategy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Everything that configures an [`Executor`](crate::Executor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorConfig {
    /// How instances are obtained for calls.
    pub strategy: InstantiationStrategy,
    /// Heap used when the state has no `:heappages`.
    pub default_heap: HeapAllocStrategy,
    /// How many compiled runtimes the cache keeps.
    pub runtime_cache_size: usize,
    /// How many calls may run at once; further callers block.
    pub max_instances: usize,
    /// Where precompiled artifacts are kept; `None` compiles in memory only.
    pub artifact_dir: Option<PathBuf>,
    /// Canonicalise NaNs produced by float operations (deterministic float results).
    pub canonicalize_nans: bool,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            strategy: InstantiationStrategy::default(),
            default_heap: HeapAllocStrategy::DEFAULT,
            runtime_cache_size: 2,
            max_instances: 8,
            artifact_dir: None,
            canonicalize_nans: true,
        }
    }
}

impl ExecutorConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.runtime_cache_size == 0 {
            return Err(Error::Config(
                "runtime_cache_size must be at least 1".into(),
            ));
        }
        if !(1..=MAX_INSTANCES_LIMIT).contains(&self.max_instances) {
            return Err(Error::Config(format!(
                "max_instances must be between 1 and {MAX_INSTANCES_LIMIT}, got {}",
                self.max_instances
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_pages_select_static_strategy() {
        let default = HeapAllocStrategy::Dynamic {
            maximum_pages: None,
        };
        assert_eq!(HeapAllocStrategy::from_heap_pages(None, default), default);
        assert_eq!(
            HeapAllocStrategy::from_heap_pages(Some(64), default),
            HeapAllocStrategy::Static { extra_pages: 64 }
        );
    }

    #[test]
    fn memory_pages() {
        assert_eq!(HeapAllocStrategy::DEFAULT.memory_pages(20), (2068, 2068));
        assert_eq!(
            HeapAllocStrategy::Static {
                extra_pages: u32::MAX
            }
            .memory_pages(20),
            (MAX_WASM_PAGES, MAX_WASM_PAGES)
        );
        assert_eq!(
            HeapAllocStrategy::Dynamic {
                maximum_pages: Some(100)
            }
            .memory_pages(20),
            (20, 100)
        );
        assert_eq!(
            HeapAllocStrategy::Dynamic {
                maximum_pages: Some(1)
            }
            .memory_pages(20),
            (20, 20)
        );
    }

    #[test]
    fn validation() {
        assert!(ExecutorConfig::default().validate().is_ok());
        let bad = ExecutorConfig {
            max_instances: 65,
            ..Default::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("max_instances"));
        let bad = ExecutorConfig {
            runtime_cache_size: 0,
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }
}

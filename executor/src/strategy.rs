//! How instances are obtained for calls, and what that asks of the engine.

use std::{fmt, str::FromStr};

/// The way the executor gets a fresh-looking instance for every call.
///
/// Every strategy gives byte-identical results; they differ only in speed and memory use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum InstantiationStrategy {
    /// Pooled instances whose memory is a copy-on-write image of the module's data. Fastest.
    #[default]
    PoolingCopyOnWrite,
    /// A fresh instance per call (on-demand allocation) with copy-on-write memory.
    RecreateInstanceCopyOnWrite,
    /// Pooled instances whose memory is initialised by copying data segments.
    Pooling,
    /// A fresh instance per call, memory initialised by copying. Slow.
    RecreateInstance,
    /// Deprecated: one long-lived instance per slot, memory and globals restored before every call.
    LegacyInstanceReuse,
}

impl InstantiationStrategy {
    /// Every strategy, in the order of the documentation table.
    pub const ALL: [InstantiationStrategy; 5] = [
        Self::PoolingCopyOnWrite,
        Self::RecreateInstanceCopyOnWrite,
        Self::Pooling,
        Self::RecreateInstance,
        Self::LegacyInstanceReuse,
    ];

    /// The kebab-case name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::PoolingCopyOnWrite => "pooling-copy-on-write",
            Self::RecreateInstanceCopyOnWrite => "recreate-instance-copy-on-write",
            Self::Pooling => "pooling",
            Self::RecreateInstance => "recreate-instance",
            Self::LegacyInstanceReuse => "legacy-instance-reuse",
        }
    }

    /// Whether linear memory is initialised from a copy-on-write image.
    pub const fn copy_on_write(self) -> bool {
        matches!(
            self,
            Self::PoolingCopyOnWrite | Self::RecreateInstanceCopyOnWrite
        )
    }

    /// Whether instances come from wasmtime's pooling allocator.
    pub const fn pooling(self) -> bool {
        matches!(self, Self::PoolingCopyOnWrite | Self::Pooling)
    }

    /// The same strategy without copy-on-write, used when copy-on-write cannot work here.
    pub const fn without_copy_on_write(self) -> Self {
        match self {
            Self::PoolingCopyOnWrite => Self::Pooling,
            Self::RecreateInstanceCopyOnWrite => Self::RecreateInstance,
            other => other,
        }
    }
}

impl fmt::Display for InstantiationStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A string that names no [`InstantiationStrategy`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown instantiation strategy `{given}`; valid values: {}",
    valid_names()
)]
pub struct UnknownStrategy {
    /// What was given.
    pub given: String,
}

fn valid_names() -> String {
    InstantiationStrategy::ALL.map(|s| s.name()).join(", ")
}

impl FromStr for InstantiationStrategy {
    type Err = UnknownStrategy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|strategy| strategy.name() == s)
            .ok_or_else(|| UnknownStrategy {
                given: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for strategy in InstantiationStrategy::ALL {
            assert_eq!(
                strategy.to_string().parse::<InstantiationStrategy>(),
                Ok(strategy)
            );
        }
        assert_eq!(
            InstantiationStrategy::default(),
            InstantiationStrategy::PoolingCopyOnWrite
        );
    }

    #[test]
    fn unknown_name_lists_valid_values() {
        let err = "pooling-cow".parse::<InstantiationStrategy>().unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`pooling-cow`"), "{message}");
        for strategy in InstantiationStrategy::ALL {
            assert!(message.contains(strategy.name()), "{message}");
        }
    }

    #[test]
    fn cow_fallbacks() {
        use InstantiationStrategy::*;
        assert_eq!(PoolingCopyOnWrite.without_copy_on_write(), Pooling);
        assert_eq!(
            RecreateInstanceCopyOnWrite.without_copy_on_write(),
            RecreateInstance
        );
        assert_eq!(
            LegacyInstanceReuse.without_copy_on_write(),
            LegacyInstanceReuse
        );
    }
}

//! The error type: every error names the spec's origin (usually its file) and, for parse
//! errors, where in the JSON document the problem is.

use std::fmt;

use crate::hex::HexError;

/// What went wrong with a chain spec. Every variant names the spec's origin (`file`): the path
/// it was read from, or the name given to [`ChainSpec::from_json_bytes`](crate::ChainSpec).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The spec's origin.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The input is not well-formed JSON (or ends early).
    #[error("{file}:{line}:{column}: invalid JSON: {message}")]
    Syntax {
        /// The spec's origin.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON parser expected.
        message: String,
    },
    /// Well-formed JSON that is not a valid chain spec: a wrong type, a missing or duplicate
    /// field, an unknown genesis form, ...
    #[error("{file}: {path}: {message} (line {line}, column {column})")]
    Invalid {
        /// The spec's origin.
        file: String,
        /// Where in the document.
        path: JsonPath,
        /// What is wrong.
        message: String,
        /// 1-based line where the parser noticed.
        line: usize,
        /// 1-based column where the parser noticed (usually the end of the bad value).
        column: usize,
    },
    /// A hex string (storage key or value, code substitute, ...) is not valid hex.
    #[error("{file}: {path}: {error} in the {target} (line {line}, column {column})")]
    Hex {
        /// The spec's origin.
        file: String,
        /// Where in the document; for a bad key its last segment is the key as written.
        path: JsonPath,
        /// Whether the key or the value of the entry at `path` is bad.
        target: HexTarget,
        /// The index of the bad character within the string, and what is wrong there.
        error: HexError,
        /// 1-based line of the string.
        line: usize,
        /// 1-based column just after the string.
        column: usize,
    },
    /// The genesis is the light `stateRootHash` form, which names the genesis state root
    /// but does not contain the genesis storage.
    #[error(
        "{file}: genesis.stateRootHash: this spec only names the genesis state root (light \
         form); it has no genesis storage, so it cannot be used to build or run the chain \
         (use a raw spec with genesis.raw)"
    )]
    NoGenesisStorage {
        /// The spec's origin.
        file: String,
    },
    /// The genesis is not raw (`runtimeGenesis`, `runtime`): building its storage needs the
    /// runtime's genesis config builder, which this crate does not have.
    #[error(
        "{file}: genesis.{form}: the genesis is not raw; building its storage needs the \
         runtime's genesis builder, which this node does not have (convert the spec to raw \
         form, e.g. with `build-spec --raw` of the chain's own node)"
    )]
    NonRawGenesis {
        /// The spec's origin.
        file: String,
        /// The genesis form, e.g. `runtimeGenesis`.
        form: String,
    },
    /// The raw genesis has no `:code`, so there is no runtime to run.
    #[error(
        "{file}: genesis.raw.top has no `:code` key (0x3a636f6465): the spec can be \
         inspected but not run"
    )]
    MissingCode {
        /// The spec's origin.
        file: String,
    },
    /// A top-trie key under `:child_storage:`; child tries belong in `childrenDefault`
    /// (Substrate rejects such genesis storage too).
    #[error(
        "{file}: genesis.raw.top[{key:?}]: keys under `:child_storage:` are reserved for \
         child trie roots; put child tries in genesis.raw.childrenDefault"
    )]
    ChildKeyInTop {
        /// The spec's origin.
        file: String,
        /// The offending key, in hex (shortened if long).
        key: String,
    },
}

impl Error {
    /// The origin (usually the file path) of the spec the error is about.
    pub fn file(&self) -> &str {
        match self {
            Error::Io { file, .. }
            | Error::Syntax { file, .. }
            | Error::Invalid { file, .. }
            | Error::Hex { file, .. }
            | Error::NoGenesisStorage { file }
            | Error::NonRawGenesis { file, .. }
            | Error::MissingCode { file }
            | Error::ChildKeyInTop { file, .. } => file,
        }
    }
}

/// Whether a hex error is in the key or the value of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HexTarget {
    /// The map key.
    Key,
    /// The value.
    Value,
}

impl fmt::Display for HexTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HexTarget::Key => "key",
            HexTarget::Value => "value",
        })
    }
}

/// A location in a JSON document, e.g. `genesis.raw.top["0x3a636f6465"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonPath(pub Vec<PathSegment>);

/// One step of a [`JsonPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    /// An object field with a fixed name (`.genesis`).
    Field(String),
    /// An entry of a map with data keys (`["0x3a63..."]`), the key as written, shortened to
    /// [`MAX_KEY_CHARS`] characters (then ending in `...`).
    Key(String),
    /// An array element (`[3]`).
    Index(usize),
}

/// The longest key a [`PathSegment::Key`] keeps in full.
pub const MAX_KEY_CHARS: usize = 80;

impl PathSegment {
    /// A [`PathSegment::Key`] for `key`, shortened if longer than [`MAX_KEY_CHARS`].
    pub fn key(key: &str) -> Self {
        PathSegment::Key(shorten(key))
    }
}

/// `text`, or its first [`MAX_KEY_CHARS`] characters followed by `...`.
pub(crate) fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_KEY_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Field(name) if i == 0 => f.write_str(name)?,
                PathSegment::Field(name) => write!(f, ".{name}")?,
                PathSegment::Key(key) => write!(f, "[{key:?}]")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_like_accessors() {
        let path = JsonPath(vec![
            PathSegment::Field("genesis".into()),
            PathSegment::Field("raw".into()),
            PathSegment::Field("top".into()),
            PathSegment::key("0x3a636f6465"),
        ]);
        assert_eq!(path.to_string(), r#"genesis.raw.top["0x3a636f6465"]"#);
        let path = JsonPath(vec![
            PathSegment::Field("bootNodes".into()),
            PathSegment::Index(3),
        ]);
        assert_eq!(path.to_string(), "bootNodes[3]");
        assert_eq!(JsonPath::default().to_string(), "(document)");
    }

    #[test]
    fn long_keys_are_shortened_and_quotes_escaped() {
        let long = "a".repeat(200);
        let PathSegment::Key(key) = PathSegment::key(&long) else {
            unreachable!()
        };
        assert_eq!(key.len(), MAX_KEY_CHARS + 3);
        assert!(key.ends_with("..."));
        let path = JsonPath(vec![PathSegment::key("a\"b")]);
        assert_eq!(path.to_string(), r#"["a\"b"]"#);
    }
}

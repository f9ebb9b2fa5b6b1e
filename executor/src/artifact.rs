//! Precompiled runtimes on disk.
//!
//! A compiled module is written with [`Engine::precompile_module`] and loaded with
//! [`Module::deserialize_file`], which maps the file: the mapping is what backs copy-on-write
//! memory images on systems without memfd. Each artifact has a sidecar with its length and
//! checksum, so a truncated, corrupt or altered file is noticed before wasmtime maps it; an
//! artifact that fails either check is removed and the runtime recompiled.

use std::{
    fs,
    hash::Hasher,
    io::Write,
    path::{Path, PathBuf},
};

use wasmtime::{Engine, Module};

use crate::{cache::CacheKey, Error};

const ARTIFACT_EXTENSION: &str = "cwasm";
const SIDECAR_EXTENSION: &str = "cwasm.sum";

/// A directory of precompiled runtimes.
#[derive(Debug, Clone)]
pub(crate) struct ArtifactStore {
    dir: PathBuf,
}

/// Why an artifact on disk was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejected {
    Missing,
    Corrupt(String),
}

impl ArtifactStore {
    pub fn open(dir: &Path) -> Result<Self, Error> {
        fs::create_dir_all(dir).map_err(|e| Error::Artifact {
            path: dir.to_owned(),
            reason: format!("cannot create the artifact directory: {e}"),
        })?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// The artifact file of the runtime `key` names.
    pub fn path(&self, key: &CacheKey) -> PathBuf {
        let hash: String = key.code_hash.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!(
            "{hash}-{:016x}-h{}.{ARTIFACT_EXTENSION}",
            key.fingerprint, key.heap_pages
        ))
    }

    /// Loads the artifact at `path` if it is present and intact; a damaged one is removed.
    pub fn load(&self, engine: &Engine, path: &Path) -> Result<Module, Rejected> {
        let rejected = match self.verified_load(engine, path) {
            Ok(module) => return Ok(module),
            Err(Rejected::Missing) => return Err(Rejected::Missing),
            Err(rejected) => rejected,
        };
        tracing::warn!(target: "executor", path = %path.display(), "discarding runtime artifact: {rejected:?}");
        remove(path);
        Err(rejected)
    }

    fn verified_load(&self, engine: &Engine, path: &Path) -> Result<Module, Rejected> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Rejected::Missing),
            Err(e) => return Err(Rejected::Corrupt(format!("cannot read it: {e}"))),
        };
        let sidecar = fs::read_to_string(sidecar_path(path))
            .map_err(|e| Rejected::Corrupt(format!("cannot read its checksum file: {e}")))?;
        let expected = Checksum::parse(&sidecar)
            .ok_or_else(|| Rejected::Corrupt("malformed checksum file".into()))?;
        let actual = Checksum::of(&bytes);
        if actual != expected {
            return Err(Rejected::Corrupt(format!(
                "checksum mismatch: expected {expected}, found {actual}"
            )));
        }
        drop(bytes);
        // SAFETY: the file was just verified to be the artifact we wrote with this engine's
        // configuration (its name carries the engine fingerprint). Artifacts are only ever
        // replaced by rename, so the mapped inode does not change under us.
        unsafe { Module::deserialize_file(engine, path) }
            .map_err(|e| Rejected::Corrupt(format!("wasmtime refused it: {e}")))
    }

    /// Writes `artifact` atomically: temp file, fsync, rename; then its checksum likewise.
    pub fn store(&self, path: &Path, artifact: &[u8]) -> Result<(), Error> {
        let fail = |reason: String| Error::Artifact {
            path: path.to_owned(),
            reason,
        };
        write_atomically(&self.dir, path, artifact)
            .map_err(|e| fail(format!("cannot write: {e}")))?;
        let sum = Checksum::of(artifact).to_string();
        write_atomically(&self.dir, &sidecar_path(path), sum.as_bytes())
            .map_err(|e| fail(format!("cannot write its checksum: {e}")))?;
        if let Ok(dir) = fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

fn sidecar_path(path: &Path) -> PathBuf {
    path.with_extension(SIDECAR_EXTENSION)
}

fn remove(path: &Path) {
    let _ = fs::remove_file(path);
    let _ = fs::remove_file(sidecar_path(path));
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Length and xxHash64 of an artifact: cheap enough to check on every load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checksum {
    len: u64,
    xxh64: u64,
}

impl Checksum {
    fn of(bytes: &[u8]) -> Self {
        let mut hasher = twox_hash::XxHash64::with_seed(0);
        hasher.write(bytes);
        Self {
            len: bytes.len() as u64,
            xxh64: hasher.finish(),
        }
    }

    fn parse(text: &str) -> Option<Self> {
        let rest = text.trim().strip_prefix("xxh64:")?;
        let (hash, len) = rest.split_once(" len:")?;
        Some(Self {
            xxh64: u64::from_str_radix(hash, 16).ok()?,
            len: len.parse().ok()?,
        })
    }
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "xxh64:{:016x} len:{}", self.xxh64, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8, fingerprint: u64) -> CacheKey {
        CacheKey {
            code_hash: [byte; 32],
            fingerprint,
            heap_pages: 0,
        }
    }

    fn engine_and_artifact() -> (Engine, Vec<u8>) {
        let engine = Engine::default();
        let wasm = wat::parse_str(r#"(module (memory 1) (func (export "f")))"#).unwrap();
        let artifact = engine.precompile_module(&wasm).unwrap();
        (engine, artifact)
    }

    #[test]
    fn checksum_round_trip() {
        let sum = Checksum::of(b"hello");
        assert_eq!(Checksum::parse(&sum.to_string()), Some(sum));
        assert_eq!(Checksum::parse("garbage"), None);
    }

    #[test]
    fn store_then_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        let (engine, artifact) = engine_and_artifact();
        let path = store.path(&key(7, 42));
        assert!(path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("0707"));
        assert_eq!(store.load(&engine, &path).unwrap_err(), Rejected::Missing);
        store.store(&path, &artifact).unwrap();
        store.load(&engine, &path).unwrap();
    }

    #[test]
    fn damaged_artifacts_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        let (engine, artifact) = engine_and_artifact();
        let path = store.path(&key(1, 1));

        store.store(&path, &artifact).unwrap();
        fs::write(&path, &artifact[..artifact.len() / 2]).unwrap();
        assert!(
            matches!(store.load(&engine, &path), Err(Rejected::Corrupt(m)) if m.contains("checksum"))
        );
        assert!(!path.exists() && !sidecar_path(&path).exists());

        store.store(&path, &artifact).unwrap();
        let mut flipped = artifact.clone();
        flipped[artifact.len() / 3] ^= 0x10;
        fs::write(&path, &flipped).unwrap();
        assert!(matches!(
            store.load(&engine, &path),
            Err(Rejected::Corrupt(_))
        ));

        store.store(&path, &artifact).unwrap();
        fs::remove_file(sidecar_path(&path)).unwrap();
        assert!(
            matches!(store.load(&engine, &path), Err(Rejected::Corrupt(m)) if m.contains("checksum file"))
        );
    }

    #[test]
    fn foreign_engine_artifact_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        let (_, artifact) = engine_and_artifact();
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let other = Engine::new(&config).unwrap();
        let path = store.path(&key(2, 2));
        store.store(&path, &artifact).unwrap();
        assert!(
            matches!(store.load(&other, &path), Err(Rejected::Corrupt(m)) if m.contains("wasmtime"))
        );
    }
}

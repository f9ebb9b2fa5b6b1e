//! `ext_hashing_*`: the hashes runtimes use for storage keys and signatures.

use wasmtime::{Caller, Linker};

use super::{HostContext, HostResult, HOST_MODULE};
use crate::instance::HostState;

/// Computes a digest.
type HashFn = fn(&[u8]) -> Vec<u8>;

/// Each hash: name and function.
const HASHES: [(&str, HashFn); 8] = [
    ("ext_hashing_keccak_256_version_1", |d| {
        sp_crypto_hashing::keccak_256(d).to_vec()
    }),
    ("ext_hashing_keccak_512_version_1", |d| {
        sp_crypto_hashing::keccak_512(d).to_vec()
    }),
    ("ext_hashing_sha2_256_version_1", |d| {
        sp_crypto_hashing::sha2_256(d).to_vec()
    }),
    ("ext_hashing_blake2_128_version_1", |d| {
        sp_crypto_hashing::blake2_128(d).to_vec()
    }),
    ("ext_hashing_blake2_256_version_1", |d| {
        sp_crypto_hashing::blake2_256(d).to_vec()
    }),
    ("ext_hashing_twox_64_version_1", |d| {
        sp_crypto_hashing::twox_64(d).to_vec()
    }),
    ("ext_hashing_twox_128_version_1", |d| {
        sp_crypto_hashing::twox_128(d).to_vec()
    }),
    ("ext_hashing_twox_256_version_1", |d| {
        sp_crypto_hashing::twox_256(d).to_vec()
    }),
];

/// Every hash has the signature `(data: i64) -> i32`: it returns a pointer to the digest.
pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    for (name, hash) in HASHES {
        linker.func_wrap(
            HOST_MODULE,
            name,
            move |mut caller: Caller<'_, HostState>, data: i64| -> HostResult<i32> {
                let mut host = HostContext::new(&mut caller, name);
                let data = host.read_span(data)?;
                Ok(host.allocate_and_write(&hash(&data))? as i32)
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(name: &str, data: &[u8]) -> String {
        let (_, f) = HASHES.iter().find(|(n, _)| n.contains(name)).unwrap();
        hex::encode(f(data))
    }

    #[test]
    fn known_vectors() {
        assert_eq!(hash("twox_128", b""), "99e9d85137db46ef4bbea33613baafd5");
        assert_eq!(
            hash("twox_128", b"Hello world!"),
            "b27dfd7f223f177f2a13647b533599af"
        );
        assert_eq!(
            hash("blake2_256", b""),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        );
        assert_eq!(
            hash("keccak_256", b""),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(
            hash("sha2_256", b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

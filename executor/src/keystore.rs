//! An in-memory keystore for the `ext_crypto_*` keystore host functions, and the secret-URI
//! key derivation Substrate uses for its three signature schemes.
//!
//! Keys are kept per [`KeyTypeId`] and [`Scheme`]. A secret URI (`SURI`) follows Substrate's
//! grammar: `[phrase][/soft|//hard]*[///password]`, where the phrase is either a BIP-39
//! English mnemonic or a `0x`-prefixed 32-byte hex seed, and a missing phrase means the public
//! development phrase ([`DEV_PHRASE`]), so `//Alice` is the well-known development key.
//!
//! - sr25519 (schnorrkel, signing context `b"substrate"`): hard and soft junctions.
//! - ed25519 and ecdsa (secp256k1): hard junctions only; the child seed of a hard junction is
//!   `blake2_256(SCALE((tag, seed, chain_code)))` with tag `"Ed25519HDKD"` / `"Secp256k1HDKD"`.
//! - A mnemonic gives the seed through `substrate-bip39` (PBKDF2 over the mnemonic's entropy,
//!   salted with the password), of which the first 32 bytes are used.
//!
//! ECDSA signatures are 65-byte recoverable signatures over `blake2_256(message)`, with the
//! recovery id (0 or 1) last; ed25519 signatures are deterministic, sr25519 ones randomised.

use std::collections::{BTreeMap, HashMap};

use codec::Encode;
use parking_lot::RwLock;

/// Four bytes naming what a key is for (`*b"babe"`, `*b"gran"`, ...).
pub type KeyTypeId = [u8; 4];

/// The mnemonic behind Substrate's publicly known development keys (`//Alice`, `//Bob`, ...).
pub const DEV_PHRASE: &str =
    "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

/// The signing context of every sr25519 signature Substrate makes or checks.
pub(crate) const SR25519_SIGNING_CONTEXT: &[u8] = b"substrate";

/// A signature scheme of the keystore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Ed25519: 32-byte public keys, 64-byte signatures.
    Ed25519,
    /// Schnorr signatures on Ristretto25519: 32-byte public keys, 64-byte signatures.
    Sr25519,
    /// ECDSA on secp256k1: 33-byte compressed public keys, 65-byte recoverable signatures.
    Ecdsa,
}

impl Scheme {
    /// Bytes of a public key of this scheme.
    pub const fn public_len(self) -> usize {
        match self {
            Self::Ed25519 | Self::Sr25519 => 32,
            Self::Ecdsa => 33,
        }
    }

    /// Bytes of a signature of this scheme.
    pub const fn signature_len(self) -> usize {
        match self {
            Self::Ed25519 | Self::Sr25519 => 64,
            Self::Ecdsa => 65,
        }
    }

    /// The scheme's name as the host functions spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::Sr25519 => "sr25519",
            Self::Ecdsa => "ecdsa",
        }
    }
}

/// Why a key could not be made from a secret URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeystoreError {
    /// The string is not of the form `[phrase][/soft|//hard]*[///password]`.
    #[error("invalid secret URI: {0}")]
    InvalidUri(&'static str),
    /// The phrase is neither a `0x` hex seed nor a valid BIP-39 English mnemonic.
    #[error("invalid phrase: not a 0x-prefixed hex seed nor a BIP-39 English mnemonic")]
    InvalidPhrase,
    /// The seed has the wrong length or is not a valid secret for the scheme.
    #[error("invalid seed")]
    InvalidSeed,
    /// The derivation path cannot be applied (soft junctions on ed25519 or ecdsa keys).
    #[error("invalid derivation path: {0} keys have no soft derivation")]
    SoftJunction(&'static str),
}

/// One step of a derivation path: a 32-byte chain code, hard or soft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Junction {
    hard: bool,
    chain_code: [u8; 32],
}

impl Junction {
    /// The junction of `code` (the text between slashes): a number stands for its SCALE `u64`,
    /// anything else for its SCALE string, and an encoding longer than 32 bytes is replaced by
    /// its blake2-256 hash.
    fn new(code: &str, hard: bool) -> Self {
        let encoded = match code.parse::<u64>() {
            Ok(number) => number.encode(),
            Err(_) => code.encode(),
        };
        let mut chain_code = [0; 32];
        if encoded.len() > 32 {
            chain_code = sp_crypto_hashing::blake2_256(&encoded);
        } else {
            chain_code[..encoded.len()].copy_from_slice(&encoded);
        }
        Self { hard, chain_code }
    }
}

/// A parsed secret URI.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SecretUri<'a> {
    phrase: Option<&'a str>,
    junctions: Vec<Junction>,
    password: Option<&'a str>,
}

impl<'a> SecretUri<'a> {
    /// Parses `[phrase][/soft|//hard]*[///password]`; the phrase is ASCII letters, digits and
    /// spaces, a junction is one or more characters other than `/`, and the password is
    /// everything after `///` up to a line feed.
    pub(crate) fn parse(mut input: &'a str) -> Result<Self, KeystoreError> {
        let phrase = take_while(&mut input, |c| c.is_ascii_alphanumeric() || c == ' ');
        let mut junctions = Vec::new();
        let mut password = None;
        while !input.is_empty() {
            if let Some(rest) = input.strip_prefix("///") {
                input = rest;
                password = Some(take_while(&mut input, |c| c != '\n').unwrap_or(""));
            } else if let Some(rest) = input.strip_prefix("//") {
                input = rest;
                let code = take_while(&mut input, |c| c != '/')
                    .ok_or(KeystoreError::InvalidUri("empty hard junction"))?;
                junctions.push(Junction::new(code, true));
            } else if let Some(rest) = input.strip_prefix('/') {
                input = rest;
                let code = take_while(&mut input, |c| c != '/')
                    .ok_or(KeystoreError::InvalidUri("empty soft junction"))?;
                junctions.push(Junction::new(code, false));
            } else if password.is_some() {
                return Err(KeystoreError::InvalidUri("invalid character in password"));
            } else {
                return Err(KeystoreError::InvalidUri("invalid character in phrase"));
            }
        }
        Ok(Self {
            phrase,
            junctions,
            password,
        })
    }
}

/// Splits off the longest prefix of `input` whose characters satisfy `allowed`, if not empty.
fn take_while<'a>(input: &mut &'a str, allowed: impl Fn(char) -> bool) -> Option<&'a str> {
    let rest = input.trim_start_matches(allowed);
    let taken = &input[..input.len() - rest.len()];
    *input = rest;
    (!taken.is_empty()).then_some(taken)
}

/// A key pair of one of the schemes.
#[derive(Clone)]
pub(crate) enum KeyPair {
    Ed25519(Box<ed25519_zebra::SigningKey>),
    Sr25519(Box<schnorrkel::Keypair>),
    Ecdsa(libsecp256k1::SecretKey),
}

impl KeyPair {
    /// The pair of a 32-byte secret seed (an sr25519 seed is a schnorrkel mini secret key,
    /// expanded in ed25519 mode).
    pub(crate) fn from_seed(scheme: Scheme, seed: &[u8; 32]) -> Result<Self, KeystoreError> {
        Ok(match scheme {
            Scheme::Ed25519 => Self::Ed25519(Box::new(ed25519_zebra::SigningKey::from(*seed))),
            Scheme::Sr25519 => Self::Sr25519(Box::new(
                schnorrkel::MiniSecretKey::from_bytes(seed)
                    .map_err(|_| KeystoreError::InvalidSeed)?
                    .expand_to_keypair(schnorrkel::ExpansionMode::Ed25519),
            )),
            Scheme::Ecdsa => Self::Ecdsa(
                libsecp256k1::SecretKey::parse(seed).map_err(|_| KeystoreError::InvalidSeed)?,
            ),
        })
    }

    /// The pair a secret URI stands for, as Substrate's `Pair::from_string(suri, None)`.
    pub(crate) fn from_suri(scheme: Scheme, suri: &str) -> Result<Self, KeystoreError> {
        let uri = SecretUri::parse(suri)?;
        let phrase = uri.phrase.unwrap_or(DEV_PHRASE);
        let seed = match phrase.strip_prefix("0x") {
            // A hex seed ignores the password.
            Some(hex) => decode_hex(hex.strip_prefix("0x").unwrap_or(hex))
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or(KeystoreError::InvalidSeed)?,
            None => seed_from_phrase(phrase, uri.password.unwrap_or(""))?,
        };
        Self::from_seed(scheme, &seed)?.derive(&uri.junctions)
    }

    /// Applies a derivation path.
    fn derive(self, path: &[Junction]) -> Result<Self, KeystoreError> {
        path.iter()
            .try_fold(self, |pair, junction| pair.derive_one(junction))
    }

    fn derive_one(self, junction: &Junction) -> Result<Self, KeystoreError> {
        let cc = &junction.chain_code;
        match self {
            Self::Sr25519(pair) => {
                let secret = &pair.secret;
                let child = if junction.hard {
                    secret
                        .hard_derive_mini_secret_key(Some(schnorrkel::derive::ChainCode(*cc)), b"")
                        .0
                        .expand(schnorrkel::ExpansionMode::Ed25519)
                } else {
                    use schnorrkel::derive::Derivation;
                    secret
                        .derived_key_simple(schnorrkel::derive::ChainCode(*cc), [])
                        .0
                };
                Ok(Self::Sr25519(Box::new(child.to_keypair())))
            }
            Self::Ed25519(_) | Self::Ecdsa(_) if !junction.hard => {
                Err(KeystoreError::SoftJunction(self.scheme().name()))
            }
            Self::Ed25519(secret) => {
                let seed: [u8; 32] = (*secret).into();
                let child = hdkd_seed("Ed25519HDKD", &seed, cc);
                Self::from_seed(Scheme::Ed25519, &child)
            }
            Self::Ecdsa(secret) => {
                let child = hdkd_seed("Secp256k1HDKD", &secret.serialize(), cc);
                Self::from_seed(Scheme::Ecdsa, &child)
            }
        }
    }

    /// A pair of a fresh random seed.
    fn random(scheme: Scheme) -> Self {
        loop {
            let mut seed = [0; 32];
            getrandom::getrandom(&mut seed).expect("the OS random number generator works");
            // Only an ecdsa seed can be invalid (zero or not below the group order).
            if let Ok(pair) = Self::from_seed(scheme, &seed) {
                return pair;
            }
        }
    }

    pub(crate) fn scheme(&self) -> Scheme {
        match self {
            Self::Ed25519(_) => Scheme::Ed25519,
            Self::Sr25519(_) => Scheme::Sr25519,
            Self::Ecdsa(_) => Scheme::Ecdsa,
        }
    }

    /// The public key: 32 bytes, or 33 (compressed) for ecdsa.
    pub(crate) fn public(&self) -> Vec<u8> {
        match self {
            Self::Ed25519(secret) => {
                <[u8; 32]>::from(ed25519_zebra::VerificationKey::from(&**secret)).to_vec()
            }
            Self::Sr25519(pair) => pair.public.to_bytes().to_vec(),
            Self::Ecdsa(secret) => libsecp256k1::PublicKey::from_secret_key(secret)
                .serialize_compressed()
                .to_vec(),
        }
    }

    /// Signs `message` (ecdsa: its blake2-256 hash).
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Ed25519(secret) => secret.sign(message).to_bytes().to_vec(),
            Self::Sr25519(pair) => pair
                .sign(schnorrkel::signing_context(SR25519_SIGNING_CONTEXT).bytes(message))
                .to_bytes()
                .to_vec(),
            Self::Ecdsa(secret) => {
                ecdsa_sign_prehashed(secret, &sp_crypto_hashing::blake2_256(message)).to_vec()
            }
        }
    }
}

/// A recoverable signature of a 32-byte hash: RFC 6979 nonce, low `s`, recovery id last.
fn ecdsa_sign_prehashed(secret: &libsecp256k1::SecretKey, hash: &[u8; 32]) -> [u8; 65] {
    let (signature, recovery_id) = libsecp256k1::sign(&libsecp256k1::Message::parse(hash), secret);
    let mut out = [0; 65];
    out[..64].copy_from_slice(&signature.serialize());
    out[64] = recovery_id.serialize();
    out
}

/// The child seed of a hard junction for ed25519 and ecdsa.
fn hdkd_seed(tag: &str, seed: &[u8; 32], chain_code: &[u8; 32]) -> [u8; 32] {
    (tag, seed, chain_code).using_encoded(sp_crypto_hashing::blake2_256)
}

/// The 32-byte seed of a BIP-39 English mnemonic, as Substrate derives it.
fn seed_from_phrase(phrase: &str, password: &str) -> Result<[u8; 32], KeystoreError> {
    let mnemonic = bip39::Mnemonic::parse_in(bip39::Language::English, phrase)
        .map_err(|_| KeystoreError::InvalidPhrase)?;
    let (entropy, len) = mnemonic.to_entropy_array();
    let big_seed = substrate_bip39::seed_from_entropy(&entropy[..len], password)
        .map_err(|_| KeystoreError::InvalidPhrase)?;
    let mut seed = [0; 32];
    seed.copy_from_slice(&big_seed[..32]);
    Ok(seed)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The public key a secret URI stands for in `scheme` (e.g. `//Alice` for genesis configs).
pub fn public_from_suri(scheme: Scheme, suri: &str) -> Result<Vec<u8>, KeystoreError> {
    KeyPair::from_suri(scheme, suri).map(|pair| pair.public())
}

/// Key pairs by key type and scheme, then by public key.
type Keys = HashMap<(KeyTypeId, Scheme), BTreeMap<Vec<u8>, KeyPair>>;

/// An in-memory keystore, shared between threads: key pairs by key type and scheme.
#[derive(Default)]
pub struct Keystore {
    keys: RwLock<Keys>,
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = self.keys.read();
        let mut map = f.debug_map();
        for ((key_type, scheme), pairs) in keys.iter() {
            let name = format!("{}/{}", String::from_utf8_lossy(key_type), scheme.name());
            map.entry(
                &name,
                &pairs.keys().map(|key| hex_string(key)).collect::<Vec<_>>(),
            );
        }
        map.finish()
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Keystore {
    /// An empty keystore.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the key of `seed` (a secret URI such as `//Alice`, a mnemonic or a `0x` hex seed),
    /// or of a fresh random seed if there is none, and returns its public key.
    pub fn generate(
        &self,
        key_type: KeyTypeId,
        scheme: Scheme,
        seed: Option<&str>,
    ) -> Result<Vec<u8>, KeystoreError> {
        let pair = match seed {
            Some(suri) => KeyPair::from_suri(scheme, suri)?,
            None => KeyPair::random(scheme),
        };
        let public = pair.public();
        self.keys
            .write()
            .entry((key_type, scheme))
            .or_default()
            .insert(public.clone(), pair);
        Ok(public)
    }

    /// The public keys of `key_type` and `scheme`, in ascending byte order.
    pub fn public_keys(&self, key_type: KeyTypeId, scheme: Scheme) -> Vec<Vec<u8>> {
        self.keys
            .read()
            .get(&(key_type, scheme))
            .map(|pairs| pairs.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether the key `public` of `key_type` and `scheme` is here.
    pub fn has_key(&self, key_type: KeyTypeId, scheme: Scheme, public: &[u8]) -> bool {
        self.keys
            .read()
            .get(&(key_type, scheme))
            .is_some_and(|pairs| pairs.contains_key(public))
    }

    /// Signs `message` with the key `public` (ecdsa: a recoverable signature of the message's
    /// blake2-256 hash); `None` if there is no such key.
    pub fn sign(
        &self,
        key_type: KeyTypeId,
        scheme: Scheme,
        public: &[u8],
        message: &[u8],
    ) -> Option<Vec<u8>> {
        self.with_pair(key_type, scheme, public, |pair| pair.sign(message))
    }

    /// Signs the 32-byte hash `message` with the ecdsa key `public`; `None` if there is no
    /// such key.
    pub fn ecdsa_sign_prehashed(
        &self,
        key_type: KeyTypeId,
        public: &[u8],
        message: &[u8; 32],
    ) -> Option<[u8; 65]> {
        self.with_pair(key_type, Scheme::Ecdsa, public, |pair| match pair {
            KeyPair::Ecdsa(secret) => ecdsa_sign_prehashed(secret, message),
            _ => unreachable!("only ecdsa pairs are stored under Scheme::Ecdsa"),
        })
    }

    fn with_pair<T>(
        &self,
        key_type: KeyTypeId,
        scheme: Scheme,
        public: &[u8],
        f: impl FnOnce(&KeyPair) -> T,
    ) -> Option<T> {
        let keys = self.keys.read();
        keys.get(&(key_type, scheme))?.get(public).map(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Vec<u8> {
        decode_hex(text).unwrap()
    }

    fn public(scheme: Scheme, suri: &str) -> String {
        hex(&public_from_suri(scheme, suri).unwrap())
    }

    // Public keys and seeds as printed by `subkey inspect //Alice --scheme ...`.
    const SR25519_ALICE: &str = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
    const ED25519_ALICE: &str = "88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee";
    const ECDSA_ALICE: &str = "020a1091341fe5664bfa1782d5e04779689068c916b04cb365ec3153755684d9a1";

    #[test]
    fn dev_keys_match_subkey() {
        assert_eq!(public(Scheme::Sr25519, "//Alice"), SR25519_ALICE);
        assert_eq!(public(Scheme::Ed25519, "//Alice"), ED25519_ALICE);
        assert_eq!(public(Scheme::Ecdsa, "//Alice"), ECDSA_ALICE);
        // The same keys with the phrase spelled out.
        let suri = format!("{DEV_PHRASE}//Alice");
        assert_eq!(public(Scheme::Sr25519, &suri), SR25519_ALICE);
        assert_eq!(public(Scheme::Ed25519, &suri), ED25519_ALICE);
        assert_eq!(public(Scheme::Ecdsa, &suri), ECDSA_ALICE);
    }

    #[test]
    fn dev_seeds_match_subkey() {
        // subkey's "Secret seed" of //Alice, used as a hex seed, gives the same key.
        let seeds = [
            (
                Scheme::Sr25519,
                "e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a",
                SR25519_ALICE,
            ),
            (
                Scheme::Ed25519,
                "abf8e5bdbe30c65656c0a3cbd181ff8a56294a69dfedd27982aace4a76909115",
                ED25519_ALICE,
            ),
            (
                Scheme::Ecdsa,
                "cb6df9de1efca7a3998a8ead4e02159d5fa99c3e0d4fd6432667390bb4726854",
                ECDSA_ALICE,
            ),
        ];
        for (scheme, seed, expected) in seeds {
            assert_eq!(public(scheme, &format!("0x{seed}")), expected, "{scheme:?}");
        }
    }

    #[test]
    fn sr25519_soft_derivation_matches_substrate() {
        // `DEV_PHRASE/Alice` (soft) is a known sr25519 test vector of Substrate.
        assert_eq!(
            public(Scheme::Sr25519, &format!("{DEV_PHRASE}/Alice")),
            "d6c71059dbbe9ad2b0ed3f289738b800836eb425544ce694825285b958ca755e"
        );
        assert_eq!(
            public(Scheme::Sr25519, "/Alice"),
            public(Scheme::Sr25519, &format!("{DEV_PHRASE}/Alice"))
        );
    }

    #[test]
    fn soft_junctions_are_refused_for_ed25519_and_ecdsa() {
        for scheme in [Scheme::Ed25519, Scheme::Ecdsa] {
            assert!(matches!(
                public_from_suri(scheme, "//Alice/1"),
                Err(KeystoreError::SoftJunction(_))
            ));
        }
    }

    #[test]
    fn hard_derivation_of_a_raw_seed_matches_substrate() {
        let seed: [u8; 32] =
            unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .try_into()
                .unwrap();
        let junction = Junction {
            hard: true,
            chain_code: [0; 32],
        };
        let ed = KeyPair::from_seed(Scheme::Ed25519, &seed)
            .unwrap()
            .derive(&[junction])
            .unwrap();
        let KeyPair::Ed25519(ed) = ed else { panic!() };
        assert_eq!(
            hex(&<[u8; 32]>::from(*ed)),
            "ede3354e133f9c8e337ddd6ee5415ed4b4ffe5fc7d21e933f4930a3730e5b21c"
        );
        let ec = KeyPair::from_seed(Scheme::Ecdsa, &seed)
            .unwrap()
            .derive(&[junction])
            .unwrap();
        let KeyPair::Ecdsa(ec) = ec else { panic!() };
        assert_eq!(
            hex(&ec.serialize()),
            "b8eefc4937200a8382d00050e050ced2d4ab72cc2ef1b061477afb51564fdd61"
        );
    }

    #[test]
    fn passwords_change_mnemonic_keys_but_not_hex_seeds() {
        assert_ne!(public(Scheme::Sr25519, "//Alice///password"), SR25519_ALICE);
        assert_eq!(
            public(Scheme::Sr25519, "//Alice///password"),
            public(Scheme::Sr25519, &format!("{DEV_PHRASE}//Alice///password"))
        );
        let seed = "0xabf8e5bdbe30c65656c0a3cbd181ff8a56294a69dfedd27982aace4a76909115";
        assert_eq!(
            public(Scheme::Ed25519, &format!("{seed}///password")),
            ED25519_ALICE
        );
    }

    #[test]
    fn numeric_junctions_are_scale_u64() {
        let j = Junction::new("1", true);
        assert!(j.hard);
        assert_eq!(&j.chain_code[..8], &1u64.to_le_bytes());
        let j = Junction::new("Alice", false);
        assert!(!j.hard);
        assert_eq!(&j.chain_code[..6], b"\x14Alice");
        let long = "x".repeat(40);
        assert_eq!(
            Junction::new(&long, false).chain_code,
            sp_crypto_hashing::blake2_256(&long.as_str().encode())
        );
    }

    #[test]
    fn uri_grammar() {
        let uri = SecretUri::parse("phrase one/soft//hard///pass word").unwrap();
        assert_eq!(uri.phrase, Some("phrase one"));
        assert_eq!(uri.password, Some("pass word"));
        assert_eq!(
            uri.junctions,
            vec![Junction::new("soft", false), Junction::new("hard", true)]
        );
        assert_eq!(SecretUri::parse("///").unwrap().password, Some(""));
        assert_eq!(
            SecretUri::parse("////////").unwrap().password,
            Some("/////")
        );
        assert!(SecretUri::parse("x//").is_err());
        assert!(SecretUri::parse("x/").is_err());
        assert!(SecretUri::parse("bad-char").is_err());
        assert!(SecretUri::parse("///a\nb").is_err());
        // Invalid phrases and seeds.
        assert_eq!(
            public_from_suri(Scheme::Sr25519, "not a mnemonic"),
            Err(KeystoreError::InvalidPhrase)
        );
        assert_eq!(
            public_from_suri(Scheme::Sr25519, "0x1234"),
            Err(KeystoreError::InvalidSeed)
        );
        assert_eq!(
            public_from_suri(Scheme::Ecdsa, &format!("0x{}", "00".repeat(32))),
            Err(KeystoreError::InvalidSeed)
        );
    }

    #[test]
    fn generate_list_and_sign() {
        let keystore = Keystore::new();
        let babe = *b"babe";
        let gran = *b"gran";
        for scheme in [Scheme::Ed25519, Scheme::Sr25519, Scheme::Ecdsa] {
            assert!(keystore.public_keys(babe, scheme).is_empty());
            let alice = keystore.generate(babe, scheme, Some("//Alice")).unwrap();
            let random = keystore.generate(babe, scheme, None).unwrap();
            assert_eq!(alice.len(), scheme.public_len());
            assert_eq!(random.len(), scheme.public_len());
            // Generating the same key again changes nothing.
            keystore.generate(babe, scheme, Some("//Alice")).unwrap();
            let mut expected = vec![alice.clone(), random.clone()];
            expected.sort();
            assert_eq!(keystore.public_keys(babe, scheme), expected);
            assert!(keystore.public_keys(gran, scheme).is_empty());
            assert!(keystore.has_key(babe, scheme, &alice));

            // Signatures are checked against the host's verification in host::crypto.
            let signature = keystore.sign(babe, scheme, &alice, b"hello").unwrap();
            assert_eq!(signature.len(), scheme.signature_len());
            // Unknown key, or a known key under another key type.
            assert_eq!(keystore.sign(gran, scheme, &alice, b"hello"), None);
            assert_eq!(
                keystore.sign(babe, scheme, &[7; 33][..scheme.public_len()], b"x"),
                None
            );
        }
        // Keys of one scheme are not keys of another.
        let ed = keystore.public_keys(babe, Scheme::Ed25519);
        assert_eq!(keystore.sign(babe, Scheme::Sr25519, &ed[0], b"x"), None);
        assert!(keystore
            .generate(babe, Scheme::Ed25519, Some("//A/soft"))
            .is_err());
    }

    #[test]
    fn ecdsa_signatures_match_substrate_vectors() {
        // sp-core's ecdsa test vector: seed 9d61.. signs the empty message deterministically.
        let pair = KeyPair::from_suri(
            Scheme::Ecdsa,
            "0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        )
        .unwrap();
        assert_eq!(
            hex(&pair.sign(b"")),
            "3dde91174bd9359027be59a428b8146513df80a2a3c7eda2194f64de04a69ab9\
             7b753169e94db6ffd50921a2668a48b94ca11e3d32c1ff19cfe88890aa7e8f3c00"
        );
        let keystore = Keystore::new();
        let public = keystore
            .generate(*b"test", Scheme::Ecdsa, Some("//Alice"))
            .unwrap();
        let hash = sp_crypto_hashing::blake2_256(b"message");
        let prehashed = keystore
            .ecdsa_sign_prehashed(*b"test", &public, &hash)
            .unwrap();
        assert_eq!(
            keystore
                .sign(*b"test", Scheme::Ecdsa, &public, b"message")
                .unwrap(),
            prehashed.to_vec()
        );
    }

    #[test]
    fn ed25519_signature_matches_rfc8032() {
        let pair = KeyPair::from_suri(
            Scheme::Ed25519,
            "0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        )
        .unwrap();
        assert_eq!(
            hex(&pair.public()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex(&pair.sign(b"")),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[test]
    fn keystore_is_send_sync_and_debug_hides_secrets() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Keystore>();
        let keystore = Keystore::new();
        keystore
            .generate(*b"babe", Scheme::Sr25519, Some("//Alice"))
            .unwrap();
        let debug = format!("{keystore:?}");
        assert!(debug.contains(SR25519_ALICE), "{debug}");
        assert!(!debug.contains("e5be9a50"), "{debug}");
    }
}

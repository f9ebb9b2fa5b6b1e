//! The dev chain's genesis storage (host build only).
//!
//! The runtime has no genesis builder, so the chain spec carries the raw key/values. They are
//! computed here with the runtime's own storage keys and encodings: `System::Account` for
//! every dev account (FRAME's `AccountInfo` layout, so polkadot-js reads the balances with
//! the runtime's metadata) and `Balances::TotalIssuance`. `:code` is *not* included: the chain
//! spec adds the runtime blob it uses.

use crate::primitives::{AccountData, AccountId32, AccountInfo, Balance};
use crate::storage::{account_key, total_issuance_key};
use codec::Encode;

/// A development account: an sr25519 key derived from Substrate's dev phrase.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DevAccount {
    /// The name, e.g. `Alice`.
    pub name: &'static str,
    /// The secret URI of its key (the dev phrase is implied), e.g. `//Alice`.
    pub suri: &'static str,
    /// The sr25519 public key, which is the account id.
    pub public: [u8; 32],
}

impl DevAccount {
    /// The account id.
    pub fn account_id(&self) -> AccountId32 {
        AccountId32(self.public)
    }
}

/// Decodes 64 hex digits at compile time.
const fn hex32(hex: &str) -> [u8; 32] {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lower-case hex digit"),
        }
    }
    let hex = hex.as_bytes();
    assert!(hex.len() == 64, "expected 64 hex digits");
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]);
        i += 1;
    }
    out
}

const fn dev(name: &'static str, suri: &'static str, public: &str) -> DevAccount {
    DevAccount {
        name,
        suri,
        public: hex32(public),
    }
}

/// The dev accounts: sr25519 keys of `bottom drive obey lake curtain smoke basket hold race
/// lonely fit walk//Name` (the keys `subkey inspect //Name` prints; re-derived in the tests).
pub const DEV_ACCOUNTS: [DevAccount; 6] = [
    dev(
        "Alice",
        "//Alice",
        "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
    ),
    dev(
        "Bob",
        "//Bob",
        "8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48",
    ),
    dev(
        "Charlie",
        "//Charlie",
        "90b5ab205c6974c9ea841be688864633dc9ca8a357843eeacf2314649965fe22",
    ),
    dev(
        "Dave",
        "//Dave",
        "306721211d5404bd9da88e0204360a1a9ab8b87c66c1bc2fcdd37f3c2222cc20",
    ),
    dev(
        "Eve",
        "//Eve",
        "e659a7a1628cdd93febc04a4e0646ea20e9f5f0ce097d9a05290d4a9e054df4e",
    ),
    dev(
        "Ferdie",
        "//Ferdie",
        "1cbd2d43530a44705ad088af313e18f80b53ef16b36177cd4b77b846f2a5f07c",
    ),
];

/// The dev account called `name` (case-insensitive), e.g. `dev_account("alice")`.
pub fn dev_account(name: &str) -> Option<&'static DevAccount> {
    DEV_ACCOUNTS
        .iter()
        .find(|account| account.name.eq_ignore_ascii_case(name))
}

/// The free balance every dev account starts with: 2^60 (about 1.15 million units of 10^12).
pub const DEV_ENDOWMENT: Balance = 1 << 60;

/// The genesis key/values giving each `(account, free balance)` an account (nonce 0, one
/// provider reference) and setting the total issuance to their sum; sorted by key. An
/// account listed twice gets the sum of its balances.
///
/// # Panics
/// If the total overflows `u128`.
pub fn genesis_storage(endowed: &[(AccountId32, Balance)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut balances = std::collections::BTreeMap::<AccountId32, Balance>::new();
    for (who, amount) in endowed {
        let balance = balances.entry(*who).or_default();
        *balance = balance.checked_add(*amount).expect("balance overflow");
    }
    let total = balances
        .values()
        .try_fold(0u128, |sum, amount| sum.checked_add(*amount))
        .expect("total issuance overflow");
    let mut storage: Vec<(Vec<u8>, Vec<u8>)> = balances
        .iter()
        .map(|(who, free)| {
            let info = AccountInfo {
                nonce: 0,
                consumers: 0,
                providers: 1,
                sufficients: 0,
                data: AccountData {
                    free: *free,
                    ..AccountData::default()
                },
            };
            (account_key(who), info.encode())
        })
        .collect();
    storage.push((total_issuance_key(), total.encode()));
    storage.sort();
    storage
}

/// The dev chain's genesis storage (without `:code`): every account of [`DEV_ACCOUNTS`]
/// endowed with [`DEV_ENDOWMENT`].
pub fn dev_genesis_storage() -> Vec<(Vec<u8>, Vec<u8>)> {
    let endowed: Vec<(AccountId32, Balance)> = DEV_ACCOUNTS
        .iter()
        .map(|account| (account.account_id(), DEV_ENDOWMENT))
        .collect();
    genesis_storage(&endowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::Decode;

    /// The sr25519 public key of `DEV_PHRASE//junction`, derived as Substrate does.
    fn derive_dev_key(junction: &str) -> [u8; 32] {
        let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
        let mnemonic = bip39::Mnemonic::parse_in(bip39::Language::English, phrase).unwrap();
        let (entropy, len) = mnemonic.to_entropy_array();
        let seed = substrate_bip39::seed_from_entropy(&entropy[..len], "").unwrap();
        let root = schnorrkel::MiniSecretKey::from_bytes(&seed[..32])
            .unwrap()
            .expand(schnorrkel::ExpansionMode::Ed25519);
        let encoded = junction.encode();
        assert!(encoded.len() <= 32);
        let mut chain_code = [0u8; 32];
        chain_code[..encoded.len()].copy_from_slice(&encoded);
        let child = root
            .hard_derive_mini_secret_key(Some(schnorrkel::derive::ChainCode(chain_code)), b"")
            .0
            .expand(schnorrkel::ExpansionMode::Ed25519);
        child.to_public().to_bytes()
    }

    #[test]
    fn dev_accounts_are_the_dev_phrase_keys() {
        for account in DEV_ACCOUNTS {
            let junction = account.suri.strip_prefix("//").unwrap();
            assert_eq!(junction, account.name);
            assert_eq!(derive_dev_key(junction), account.public, "{}", account.name);
        }
        assert_eq!(dev_account("bob").unwrap().name, "Bob");
        assert!(dev_account("Zed").is_none());
    }

    #[test]
    fn dev_genesis_endows_every_dev_account() {
        let storage = dev_genesis_storage();
        assert_eq!(storage.len(), DEV_ACCOUNTS.len() + 1);
        assert!(
            storage.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted, no duplicates"
        );
        for account in DEV_ACCOUNTS {
            let key = account_key(&account.account_id());
            let (_, value) = storage.iter().find(|(k, _)| *k == key).unwrap();
            let info = AccountInfo::decode(&mut &value[..]).unwrap();
            assert_eq!(info.data.free, DEV_ENDOWMENT);
            assert_eq!((info.nonce, info.providers), (0, 1));
        }
        let (_, issuance) = storage
            .iter()
            .find(|(k, _)| *k == total_issuance_key())
            .unwrap();
        assert_eq!(
            u128::decode(&mut &issuance[..]).unwrap(),
            DEV_ENDOWMENT * DEV_ACCOUNTS.len() as u128
        );
    }
}

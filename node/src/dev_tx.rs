//! `node dev-tx`: builds development extrinsics for `author_submitExtrinsic`.
//!
//! A transfer is signed with an sr25519 key of the executor's keystore (a dev account such as
//! `//Alice`, or any secret URI) for a [`TxContext`] whose genesis hash and runtime versions
//! come from the chain spec, computed as the node does ([`service::genesis`]: the spec's
//! genesis header with the state version the genesis runtime declares), unless given on the
//! command line (after a runtime upgrade the live `spec_version` must be given). The other
//! extrinsics are unsigned calls built with [`runtime_wasm::tx`].

use executor::{
    keystore::{KeyTypeId, Keystore, Scheme},
    Executor, ExecutorConfig,
};
use runtime_wasm::tx::{self, TxContext};

use crate::{
    cli::{DevTransferCmd, DevTx},
    service::{self, load_spec, BasePath},
    Error,
};

/// The key type the signing keys are kept under (Substrate's account key type).
const KEY_TYPE: KeyTypeId = *b"acco";

/// The SCALE-encoded extrinsic `tx` stands for.
pub fn build(tx: &DevTx) -> Result<Vec<u8>, Error> {
    Ok(match tx {
        DevTx::Transfer(cmd) => transfer(cmd)?,
        DevTx::SetCode { file } => {
            let code =
                std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            tx::set_code(&code)
        }
        DevTx::SetStorage { key, value } => {
            tx::set_storage(&parse_hex(key, "KEY")?, &parse_hex(value, "VALUE")?)
        }
        DevTx::SetHeapPages { pages } => tx::set_heap_pages(*pages),
    })
}

/// A signed transfer.
fn transfer(cmd: &DevTransferCmd) -> Result<Vec<u8>, Error> {
    let to = account_id(&cmd.to)?;
    let keystore = Keystore::new();
    let suri = match runtime_wasm::genesis::dev_account(&cmd.from) {
        Some(account) => account.suri,
        None => cmd.from.as_str(),
    };
    let from: [u8; 32] = keystore
        .generate(KEY_TYPE, Scheme::Sr25519, Some(suri))
        .map_err(|e| {
            format!(
                "`--from {}` is neither a dev account ({}) nor a secret URI: {e}",
                cmd.from,
                dev_names()
            )
        })?
        .try_into()
        .map_err(|_| "an sr25519 public key has 32 bytes")?;
    let ctx = context(cmd)?;
    tracing::debug!(
        "signing for genesis 0x{}, spec_version {}, transaction_version {}",
        hex::encode(ctx.genesis_hash),
        ctx.spec_version,
        ctx.transaction_version
    );
    let mut failure = None;
    let extrinsic = tx::transfer(
        &ctx,
        from,
        to,
        cmd.amount,
        cmd.nonce,
        |payload| match keystore
            .sign(KEY_TYPE, Scheme::Sr25519, &from, payload)
            .and_then(|signature| <[u8; 64]>::try_from(signature).ok())
        {
            Some(signature) => signature,
            None => {
                failure = Some("cannot sign with the sender's key");
                [0; 64]
            }
        },
    );
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(extrinsic),
    }
}

/// The context to sign for: the command line's values, the rest from the chain's genesis.
fn context(cmd: &DevTransferCmd) -> Result<TxContext, Error> {
    let genesis_hash = cmd
        .genesis_hash
        .as_deref()
        .map(|text| {
            <[u8; 32]>::try_from(parse_hex(text, "--genesis-hash")?)
                .map_err(|_| Error::from("--genesis-hash must have 32 bytes"))
        })
        .transpose()?;
    if let (Some(genesis_hash), Some(spec_version), Some(transaction_version)) =
        (genesis_hash, cmd.spec_version, cmd.transaction_version)
    {
        return Ok(TxContext::new(
            genesis_hash,
            spec_version,
            transaction_version,
        ));
    }
    let spec = load_spec(cmd.shared.chain_id())?;
    // Precompiled runtimes are used (and kept) only under an explicit base path.
    let config = ExecutorConfig {
        artifact_dir: cmd
            .shared
            .base_path
            .as_deref()
            .map(|path| BasePath::new(path.to_owned()).runtimes_dir()),
        ..ExecutorConfig::default()
    };
    let executor = Executor::new(config)?;
    let genesis = service::genesis(spec, &executor)?;
    Ok(TxContext::new(
        genesis_hash.unwrap_or_else(|| genesis.header.hash()),
        cmd.spec_version.unwrap_or(genesis.version.spec_version),
        cmd.transaction_version
            .unwrap_or(genesis.version.transaction_version),
    ))
}

/// An account id: a dev account's name or 0x-hex of 32 bytes.
fn account_id(text: &str) -> Result<[u8; 32], Error> {
    if let Some(account) = runtime_wasm::genesis::dev_account(text) {
        return Ok(account.public);
    }
    if text.starts_with("0x") {
        return <[u8; 32]>::try_from(parse_hex(text, "the account id")?)
            .map_err(|_| "an account id has 32 bytes".into());
    }
    Err(format!(
        "`{text}` is neither a dev account ({}) nor a 0x-hex account id",
        dev_names()
    )
    .into())
}

fn dev_names() -> String {
    runtime_wasm::genesis::DEV_ACCOUNTS
        .iter()
        .map(|account| account.name.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Hex, with or without `0x`.
fn parse_hex(text: &str, what: &str) -> Result<Vec<u8>, Error> {
    hex::decode(text.strip_prefix("0x").unwrap_or(text))
        .map_err(|e| format!("{what} is not hex: {e}").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use codec::Decode;
    use runtime_wasm::{
        calls::{BalancesCall, RuntimeCall},
        extrinsic::UncheckedExtrinsic,
        genesis::DEV_ACCOUNTS,
        primitives::{AccountId32, MultiAddress},
    };

    fn parse(args: &[&str]) -> DevTx {
        let cli = crate::cli::Cli::parse_from(["node", "dev-tx"].iter().chain(args));
        match cli.subcommand {
            Some(crate::cli::Command::DevTx(cmd)) => cmd.tx,
            other => panic!("not dev-tx: {other:?}"),
        }
    }

    #[test]
    fn accounts() {
        assert_eq!(account_id("Bob").unwrap(), DEV_ACCOUNTS[1].public);
        let hex = format!("0x{}", hex::encode([7; 32]));
        assert_eq!(account_id(&hex).unwrap(), [7; 32]);
        assert!(account_id("0x1234").is_err());
        let err = account_id("zed").unwrap_err().to_string();
        assert!(err.contains("alice, bob"), "{err}");
    }

    #[test]
    fn transfer_with_an_explicit_context_is_signed_by_the_dev_key() {
        let genesis = format!("0x{}", hex::encode([9; 32]));
        let tx = parse(&[
            "transfer",
            "--from",
            "alice",
            "--to",
            "bob",
            "--amount",
            "10",
            "--nonce",
            "3",
            "--genesis-hash",
            &genesis,
            "--spec-version",
            "2",
            "--transaction-version",
            "1",
        ]);
        let encoded = build(&tx).unwrap();
        let xt = UncheckedExtrinsic::decode(&mut &encoded[..]).unwrap();
        assert_eq!(
            xt.call,
            RuntimeCall::Balances(BalancesCall::transfer_allow_death {
                dest: MultiAddress::Id(AccountId32(DEV_ACCOUNTS[1].public)),
                value: 10,
            })
        );
        let signature = xt.signature.unwrap();
        assert_eq!(
            signature.signer,
            MultiAddress::Id(AccountId32(DEV_ACCOUNTS[0].public))
        );
        assert_eq!(signature.extra.nonce, 3);
    }

    #[test]
    fn bad_sender_is_reported() {
        let tx = parse(&[
            "transfer", "--from", "nobody", "--to", "bob", "--amount", "1", "--nonce", "0",
        ]);
        let err = build(&tx).unwrap_err().to_string();
        assert!(err.contains("neither a dev account"), "{err}");
    }

    #[test]
    fn unsigned_calls() {
        assert_eq!(
            build(&parse(&["set-storage", "0x6b", "76"])).unwrap(),
            tx::set_storage(b"k", b"v")
        );
        assert!(build(&parse(&["set-storage", "0xzz", "0x"])).is_err());
        assert_eq!(
            build(&parse(&["set-heap-pages", "64"])).unwrap(),
            tx::set_heap_pages(64)
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("code.wasm");
        std::fs::write(&file, b"\0asm-ish").unwrap();
        assert_eq!(
            build(&parse(&["set-code", file.to_str().unwrap()])).unwrap(),
            tx::set_code(b"\0asm-ish")
        );
        assert!(build(&parse(&["set-code", "/nonexistent/code.wasm"])).is_err());
    }
}

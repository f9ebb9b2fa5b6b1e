//! The subcommands: `build-spec`, `precompile-runtime`, `purge-chain`, `export-blocks`,
//! `import-blocks` and `dev-tx` (in [`crate::dev_tx`]).

use std::io::{BufRead, Write};

use executor::{Executor, RuntimeCode};

use crate::{
    cli::{
        BuildSpecCmd, DevTxCmd, ExportBlocksCmd, ImportBlocksCmd, PrecompileRuntimeCmd,
        PurgeChainCmd,
    },
    client::{
        hex_hash,
        import::{
            block_to_json, import_block, read_binary, read_json, write_binary, Block, Imported,
        },
    },
    service::{executor_config, genesis_code, load_spec, BasePath},
    Error,
};

/// `build-spec`: prints the chain spec as JSON (raw with `--raw`).
pub fn build_spec(cmd: &BuildSpecCmd) -> Result<(), Error> {
    let spec = load_spec(cmd.shared.chain_id())?;
    tracing::info!("Building chain spec");
    let json = spec.to_json(cmd.raw)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(json.as_bytes())?;
    stdout.write_all(b"\n")?;
    stdout.flush()?;
    Ok(())
}

/// `precompile-runtime`: compiles the genesis runtime into `<base-path>/runtimes`.
pub fn precompile_runtime(cmd: &PrecompileRuntimeCmd) -> Result<(), Error> {
    let spec = load_spec(cmd.shared.chain_id())?;
    let base_path = BasePath::given_or_default(cmd.shared.base_path.as_deref());
    let dir = base_path.runtimes_dir();
    let executor = Executor::new(executor_config(&cmd.executor, Some(dir.clone())))?;
    let (code, heap_pages) = genesis_code(&spec)?;
    let code = RuntimeCode::from_bytes(code).with_heap_pages(heap_pages);
    let started = std::time::Instant::now();
    // Reading the version compiles the runtime as block execution runs it (and writes the
    // artifact). RPC calls have a deadline, which the executor may run with code compiled
    // differently: one call with a deadline writes that artifact too. Its outcome does not
    // matter (the compilation happens before the call runs).
    let version = executor.runtime_version(&code)?;
    let mut ext = executor::externalities::InMemoryExternalities::new();
    if let Err(e) = executor.call_with_deadline(
        &code,
        "Core_version",
        &[],
        &mut ext,
        std::time::Duration::from_secs(10),
    ) {
        tracing::debug!("Core_version with a deadline failed: {e}");
    }
    let prefix = hex::encode(code.hash);
    let artifacts: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "cwasm")
                && path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with(&prefix))
        })
        .collect();
    tracing::info!(
        "Precompiled the runtime of {} ({}-{}, code hash {}) for {} in {:.1?}",
        spec.name,
        version.spec_name,
        version.spec_version,
        hex_hash(&code.hash),
        executor.strategy(),
        started.elapsed()
    );
    for artifact in &artifacts {
        println!("{}", artifact.display());
    }
    Ok(())
}

/// `purge-chain`: removes the chain's database directory, after confirmation (or `-y`).
pub fn purge_chain(cmd: &PurgeChainCmd) -> Result<(), Error> {
    let spec = load_spec(cmd.shared.chain_id())?;
    let base_path = BasePath::given_or_default(cmd.shared.base_path.as_deref());
    let db = base_path.database_dir(&spec.id);
    if !cmd.yes {
        print!("Are you sure to remove {:?}? [y/N]: ", db);
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            println!("Aborted");
            return Ok(());
        }
    }
    match std::fs::remove_dir_all(&db) {
        Ok(()) => {
            println!("{:?} removed.", db);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("{:?} did not exist.", db);
            Ok(())
        }
        Err(e) => Err(format!("cannot remove {}: {e}", db.display()).into()),
    }
}

/// Opens the chain database of a subcommand's chain (creating it with the genesis block if
/// needed).
fn open_chain(
    shared: &crate::cli::SharedParams,
) -> Result<(std::sync::Arc<crate::client::Client>, BasePath), Error> {
    let spec = load_spec(shared.chain_id())?;
    let base_path = BasePath::given_or_default(shared.base_path.as_deref());
    let config = executor::ExecutorConfig {
        artifact_dir: Some(base_path.runtimes_dir()),
        ..Default::default()
    };
    let executor = std::sync::Arc::new(Executor::new(config)?);
    let (client, _) = crate::service::open_client(
        spec,
        &base_path,
        executor,
        crate::client::node_cache::DEFAULT_SIZE,
    )?;
    Ok((client, base_path))
}

/// `export-blocks`: writes the canonical blocks `--from..=--to` (JSON, or Substrate's binary
/// format with `--binary`).
pub fn export_blocks(cmd: &ExportBlocksCmd) -> Result<(), Error> {
    let (client, _base) = open_chain(&cmd.shared)?;
    let best = client.info().best_number;
    let to = cmd.to.unwrap_or(best).min(best);
    let mut blocks = Vec::new();
    for number in cmd.from..=to {
        let hash = client
            .hash(number)?
            .ok_or_else(|| format!("no block #{number} in the chain"))?;
        let header = client.header(&hash)?.ok_or("missing header")?;
        let extrinsics = client.body(&hash)?.ok_or("missing body")?;
        blocks.push(Block { header, extrinsics });
    }
    let output = if cmd.binary {
        write_binary(&blocks)
    } else {
        let mut out = Vec::new();
        for block in &blocks {
            out.extend(block_to_json(block).to_string().into_bytes());
            out.push(b'\n');
        }
        out
    };
    match &cmd.output {
        Some(path) => std::fs::write(path, output)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&output)?;
            stdout.flush()?;
        }
    }
    tracing::info!("Exported {} blocks (#{}..=#{to})", blocks.len(), cmd.from);
    Ok(())
}

/// `import-blocks`: executes and stores the blocks of a file (or stdin), in order.
pub fn import_blocks(cmd: &ImportBlocksCmd) -> Result<(), Error> {
    let data = match &cmd.input {
        Some(path) => {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        }
        None => {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut data)?;
            data
        }
    };
    let blocks = if cmd.binary {
        read_binary(&data)?
    } else {
        read_json(&data)?
    };
    let (client, _base) = open_chain(&cmd.shared)?;
    let (mut stored, mut known) = (0usize, 0usize);
    for block in blocks {
        let number = block.header.number;
        match import_block(&client, block).map_err(|e| format!("block #{number}: {e}"))? {
            Imported::Stored(hash) => {
                stored += 1;
                tracing::info!("Imported block #{number} ({})", hex_hash(&hash));
            }
            Imported::AlreadyInChain(_) => known += 1,
        }
    }
    let info = client.info();
    tracing::info!(
        "🎉 Imported {stored} blocks ({known} already in the chain). Best: #{} ({})",
        info.best_number,
        hex_hash(&info.best_hash)
    );
    Ok(())
}

/// `dev-tx`: prints a development extrinsic as 0x-hex (see [`crate::dev_tx`]).
pub fn dev_tx(cmd: &DevTxCmd) -> Result<(), Error> {
    let extrinsic = crate::dev_tx::build(&cmd.tx)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "0x{}", hex::encode(extrinsic))?;
    stdout.flush()?;
    Ok(())
}

//! The subcommands: `build-spec`, `precompile-runtime`, `purge-chain`; `export-blocks` and
//! `import-blocks` are not implemented yet and say so.

use std::io::{BufRead, Write};

use executor::{Executor, RuntimeCode};

use crate::{
    cli::{BuildSpecCmd, ExportBlocksCmd, ImportBlocksCmd, PrecompileRuntimeCmd, PurgeChainCmd},
    client::hex_hash,
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

/// `export-blocks`: not implemented yet.
pub fn export_blocks(_cmd: &ExportBlocksCmd) -> Result<(), Error> {
    Err(
        "`export-blocks` is not implemented yet: this node does not store blocks yet \
         (the chain database comes next)"
            .into(),
    )
}

/// `import-blocks`: not implemented yet.
pub fn import_blocks(_cmd: &ImportBlocksCmd) -> Result<(), Error> {
    Err(
        "`import-blocks` is not implemented yet: this node cannot import blocks yet \
         (block import comes with the chain database)"
            .into(),
    )
}

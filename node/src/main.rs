//! The `node` binary: parses the command line and runs the node or a subcommand. See
//! `node --help`.

use std::{io::IsTerminal, process::ExitCode};

use clap::Parser;
use node::{
    cli::{self, Cli, Command},
    command, service, Error,
};
use tracing_subscriber::{filter::LevelFilter, EnvFilter};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log: &[String] = match &cli.subcommand {
        None => &cli.run.shared.log,
        Some(Command::BuildSpec(cmd)) => &cmd.shared.log,
        Some(Command::PrecompileRuntime(cmd)) => &cmd.shared.log,
        Some(Command::PurgeChain(cmd)) => &cmd.shared.log,
        Some(Command::ExportBlocks(cmd)) => &cmd.shared.log,
        Some(Command::ImportBlocks(cmd)) => &cmd.shared.log,
        Some(Command::DevTx(cmd)) => cmd.log(),
    };
    if let Err(e) = init_logging(log) {
        eprintln!("Error: {e}");
        return ExitCode::FAILURE;
    }
    let result = match &cli.subcommand {
        None => run_node(cli.run),
        Some(Command::BuildSpec(cmd)) => command::build_spec(cmd),
        Some(Command::PrecompileRuntime(cmd)) => command::precompile_runtime(cmd),
        Some(Command::PurgeChain(cmd)) => command::purge_chain(cmd),
        Some(Command::ExportBlocks(cmd)) => command::export_blocks(cmd),
        Some(Command::ImportBlocks(cmd)) => command::import_blocks(cmd),
        Some(Command::DevTx(cmd)) => command::dev_tx(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_node(cmd: cli::RunCmd) -> Result<(), Error> {
    // One worker per core for blocking RPC work run in place, plus one that stays free for I/O
    // (see `rpc::blocking`).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores + 1)
        .enable_all()
        .thread_name("tokio-runtime-worker")
        .build()?;
    let base_path = runtime.block_on(async {
        let signals = service::ShutdownSignals::register()?;
        let node = service::start(cmd).await?;
        Ok::<_, Error>(node.run_until(signals).await)
    })?;
    // Shutting the runtime down drops its tasks and with them the last handles to the
    // database, which then closes; only after that may a temporary base path be removed.
    drop(runtime);
    drop(base_path);
    Ok(())
}

/// Logs to stderr at `info`, refined by `RUST_LOG` and then by `-l/--log` directives.
fn init_logging(patterns: &[String]) -> Result<(), Error> {
    let mut filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    for directive in patterns
        .iter()
        .flat_map(|p| p.split(','))
        .filter(|d| !d.is_empty())
    {
        let parsed = directive
            .parse()
            .map_err(|e| format!("invalid log pattern `{directive}`: {e}"))?;
        filter = filter.add_directive(parsed);
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|e| format!("cannot set up logging: {e}"))?;
    Ok(())
}

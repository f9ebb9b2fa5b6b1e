//! `ext_logging_*`: runtime log lines become `tracing` events with target `runtime`.

use tracing::level_filters::LevelFilter;
use wasmtime::{Caller, Linker};

use super::{HostContext, HostResult, HOST_MODULE};
use crate::instance::HostState;

/// Substrate's log levels as runtimes pass them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuntimeLogLevel {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl RuntimeLogLevel {
    fn from_raw(level: i32) -> Self {
        match level {
            ..=1 => Self::Error,
            2 => Self::Warn,
            3 => Self::Info,
            4 => Self::Debug,
            _ => Self::Trace,
        }
    }
}

/// `max_level` answers with Substrate's `LogLevelFilter`: 0 = off, 1 = error ... 5 = trace.
fn max_level() -> i32 {
    match LevelFilter::current() {
        LevelFilter::OFF => 0,
        LevelFilter::ERROR => 1,
        LevelFilter::WARN => 2,
        LevelFilter::INFO => 3,
        LevelFilter::DEBUG => 4,
        _ => 5,
    }
}

pub(super) fn register(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_MODULE,
        "ext_logging_log_version_1",
        |mut caller: Caller<'_, HostState>,
         level: i32,
         target: i64,
         message: i64|
         -> HostResult<()> {
            let mut host = HostContext::new(&mut caller, "ext_logging_log_version_1");
            let target = String::from_utf8_lossy(&host.read_span(target)?).into_owned();
            let message = String::from_utf8_lossy(&host.read_span(message)?).into_owned();
            let level = RuntimeLogLevel::from_raw(level);
            match level {
                RuntimeLogLevel::Error => tracing::error!(target: "runtime", %target, "{message}"),
                RuntimeLogLevel::Warn => tracing::warn!(target: "runtime", %target, "{message}"),
                RuntimeLogLevel::Info => tracing::info!(target: "runtime", %target, "{message}"),
                RuntimeLogLevel::Debug => tracing::debug!(target: "runtime", %target, "{message}"),
                RuntimeLogLevel::Trace => tracing::trace!(target: "runtime", %target, "{message}"),
            }
            if level == RuntimeLogLevel::Error {
                // Runtimes without the abort-on-panic host function log their panic message at
                // error level before trapping; keep it to explain the trap.
                host.state().record_error_log(message);
            }
            Ok(())
        },
    )?;
    linker.func_wrap(
        HOST_MODULE,
        "ext_logging_max_level_version_1",
        |_: Caller<'_, HostState>| -> i32 { max_level() },
    )?;
    Ok(())
}

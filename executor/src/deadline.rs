//! Call deadlines by wasmtime epoch interruption: a ticker thread advances the engine's epoch
//! and a call whose deadline passes traps with `Interrupt` at its next loop header or function
//! entry.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    thread::JoinHandle,
    time::Duration,
};

/// How often the epoch advances: the resolution of deadlines.
pub const TICK: Duration = Duration::from_millis(5);

/// The epoch deadline of calls without one: never reached, yet safe from overflow when added
/// to the current epoch.
pub const NO_DEADLINE: u64 = u64::MAX / 2;

/// Epoch ticks that cover `deadline` (rounded up, plus one for the partial current tick).
pub fn ticks(deadline: Duration) -> u64 {
    let ticks = deadline.as_nanos().div_ceil(TICK.as_nanos());
    u64::try_from(ticks)
        .unwrap_or(NO_DEADLINE)
        .saturating_add(1)
        .min(NO_DEADLINE)
}

/// Advances an engine's epoch every [`TICK`] until dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: wasmtime::Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("executor-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch ticker thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_round_up() {
        assert_eq!(ticks(Duration::ZERO), 1);
        assert_eq!(ticks(TICK), 2);
        assert_eq!(ticks(TICK + Duration::from_nanos(1)), 3);
        assert_eq!(ticks(Duration::MAX), NO_DEADLINE);
    }
}

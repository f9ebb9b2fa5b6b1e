//! Where RPC work that blocks its thread (state reads, runtime calls) runs.
//!
//! Handing each such request to tokio's blocking pool and back costs two cross-thread wake-ups,
//! which on a virtualised machine take several times as long as a short runtime call (see
//! docs/benchmarks.md). So the work runs in place on the RPC worker that received the request,
//! as long as that leaves at least one worker free for I/O; further concurrent work first
//! hands the worker's other tasks to a new thread (`block_in_place`). A runtime call running
//! to its deadline therefore never stalls the server: the free worker takes over the queued
//! tasks of the busy ones (only a task woken by the busy worker just before, in tokio's
//! unstealable LIFO slot, waits for the call to end).

use std::{
    cell::Cell,
    sync::atomic::{AtomicUsize, Ordering},
};

thread_local! {
    /// Set on threads that are not tokio workers while they run RPC work for one
    /// ([`off_workers`]): blocking there stalls no I/O, so it takes no in-place slot.
    static OFF_WORKERS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`, which may call [`BlockingWork::run`], on a thread that is not a tokio worker
/// (a blocking-pool thread).
pub fn off_workers<R>(work: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            OFF_WORKERS.with(|off| off.set(self.0));
        }
    }
    let _reset = Reset(OFF_WORKERS.with(|off| off.replace(true)));
    work()
}

/// Runs blocking RPC work on the calling tokio worker, within the limit above.
pub struct BlockingWork {
    /// How many more pieces of work may run in place (a counter, not a semaphore: nothing
    /// ever waits for a slot).
    free_in_place: AtomicUsize,
}

/// A taken in-place slot, given back on drop (also when the work panics).
struct InPlaceSlot<'a>(&'a AtomicUsize);

impl Drop for InPlaceSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Release);
    }
}

impl BlockingWork {
    /// For a multi-threaded tokio runtime with `workers` worker threads: up to `workers - 1`
    /// pieces of work run in place at once.
    pub fn new(workers: usize) -> Self {
        Self {
            free_in_place: AtomicUsize::new(workers.saturating_sub(1)),
        }
    }

    /// For the current tokio runtime (which must be multi-threaded).
    pub fn for_current_runtime() -> Self {
        Self::new(tokio::runtime::Handle::current().metrics().num_workers())
    }

    /// Runs `work` on this thread and returns its result. Must be called from a worker of a
    /// multi-threaded tokio runtime, or inside [`off_workers`].
    pub fn run<R>(&self, work: impl FnOnce() -> R) -> R {
        if OFF_WORKERS.with(Cell::get) {
            return work();
        }
        let taken = self
            .free_in_place
            .fetch_update(Ordering::Acquire, Ordering::Relaxed, |free| {
                free.checked_sub(1)
            });
        match taken {
            Ok(_) => {
                let _slot = InPlaceSlot(&self.free_in_place);
                work()
            }
            Err(_) => tokio::task::block_in_place(work),
        }
    }

    /// How many more pieces of work may run in place right now.
    pub fn free_in_place_slots(&self) -> usize {
        self.free_in_place.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn leaves_one_worker_free_while_work_blocks() {
        let work = Arc::new(BlockingWork::for_current_runtime());
        assert_eq!(work.free_in_place_slots(), 1);
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let blocked = tokio::spawn({
            let work = work.clone();
            async move {
                work.run(|| {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                })
            }
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        assert_eq!(work.free_in_place_slots(), 0);

        // Both workers are taken (one blocked in place, one here), yet more blocking work and
        // plain async tasks still run: the second piece goes through `block_in_place`.
        let second = tokio::spawn({
            let work = work.clone();
            async move { work.run(|| std::thread::sleep(Duration::from_millis(10))) }
        });
        let timer = tokio::time::sleep(Duration::from_millis(20));
        tokio::time::timeout(Duration::from_secs(10), async {
            second.await.unwrap();
            timer.await;
        })
        .await
        .expect("the server stalled behind blocking work");

        release_tx.send(()).unwrap();
        blocked.await.unwrap();
        assert_eq!(work.free_in_place_slots(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_off_the_workers_takes_no_slot() {
        let work = Arc::new(BlockingWork::for_current_runtime());
        let slots = tokio::task::spawn_blocking({
            let work = work.clone();
            move || off_workers(|| work.run(|| work.free_in_place_slots()))
        })
        .await
        .unwrap();
        assert_eq!(slots, 1);
        // The mark ends with `off_workers`.
        assert_eq!(work.run(|| work.free_in_place_slots()), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn one_worker_never_blocks_in_place() {
        let work = BlockingWork::for_current_runtime();
        assert_eq!(work.free_in_place_slots(), 0);
        assert_eq!(work.run(|| 7), 7);
    }
}

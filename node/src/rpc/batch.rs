//! JSON-RPC batches of chain reads run across cores.
//!
//! jsonrpsee answers the requests of a batch one after another, so one client's batch of
//! `state_call`s keeps one core busy however many the machine has. The JSON-RPC spec lets a
//! server process a batch's requests concurrently and in any order; reads of the chain and
//! runtime calls are independent of each other, so a batch made only of them is cut into
//! contiguous chunks, one per core, each answered on its own thread, and the answers are put
//! back in request order. Any other batch (submissions, subscriptions, notifications,
//! malformed entries) keeps jsonrpsee's in-order processing: its requests may depend on each
//! other. The cores are shared among the batches being answered at the same time, so that
//! several clients' batches do not put more threads to work than there are cores.

use std::{
    future::Future,
    num::NonZeroUsize,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use jsonrpsee::{
    core::middleware::{Batch, BatchEntry, RpcServiceT},
    server::{BatchResponseBuilder, MethodResponse},
    types::{ErrorCode, ErrorObject, Id, Request},
};

use super::blocking::off_workers;

/// The methods that only read the chain (or call the runtime on a block's state): a batch of
/// nothing but these may be answered in any order.
pub const READS: &[&str] = &[
    "chain_getBlock",
    "chain_getBlockHash",
    "chain_getFinalisedHead",
    "chain_getFinalizedHead",
    "chain_getHead",
    "chain_getHeader",
    "chain_getRuntimeVersion",
    "childstate_getKeysPaged",
    "childstate_getKeysPagedAt",
    "childstate_getStorage",
    "childstate_getStorageHash",
    "childstate_getStorageSize",
    "state_call",
    "state_callAt",
    "state_getKeysPaged",
    "state_getKeysPagedAt",
    "state_getMetadata",
    "state_getReadProof",
    "state_getRuntimeVersion",
    "state_getStorage",
    "state_getStorageAt",
    "state_getStorageHash",
    "state_getStorageHashAt",
    "state_getStorageSize",
    "state_getStorageSizeAt",
    "state_queryStorageAt",
];

/// The fewest requests a chunk is given: handing a chunk to another thread costs about as
/// much as a few short runtime calls.
const MIN_CHUNK: usize = 8;

/// The middleware layer (`Server::builder().set_rpc_middleware`).
#[derive(Clone, Debug)]
pub struct ParallelReadsLayer {
    shared: Arc<Shared>,
}

/// What every connection's service shares.
#[derive(Debug)]
struct Shared {
    cores: usize,
    max_response_size: usize,
    /// Read batches being answered across cores right now.
    batches_in_flight: AtomicUsize,
}

impl ParallelReadsLayer {
    /// Cuts read batches into at most `cores` chunks; answers larger than
    /// `max_response_size` bytes are refused as jsonrpsee refuses them.
    pub fn new(cores: NonZeroUsize, max_response_size: u32) -> Self {
        Self {
            shared: Arc::new(Shared {
                cores: cores.get(),
                max_response_size: max_response_size as usize,
                batches_in_flight: AtomicUsize::new(0),
            }),
        }
    }
}

impl<S> tower::Layer<S> for ParallelReadsLayer {
    type Service = ParallelReads<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ParallelReads {
            inner: Arc::new(inner),
            shared: self.shared.clone(),
        }
    }
}

/// See the module documentation.
#[derive(Debug)]
pub struct ParallelReads<S> {
    inner: Arc<S>,
    shared: Arc<Shared>,
}

// Not derived: that would ask for `S: Clone`, and the inner service is shared, not copied.
impl<S> Clone for ParallelReads<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl Shared {
    /// How many chunks a batch of `calls` reads is cut into (1: answer it in order) when
    /// `batches` read batches (this one included) are being answered.
    fn chunks(&self, calls: usize, batches: usize) -> usize {
        (self.cores / batches.max(1)).min(calls / MIN_CHUNK).max(1)
    }
}

/// Counts a batch in flight until dropped.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    /// Counts one more; returns it and how many there are now.
    fn enter(counter: &'a AtomicUsize) -> (Self, usize) {
        let now = counter.fetch_add(1, Ordering::AcqRel) + 1;
        (Self(counter), now)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<S> RpcServiceT for ParallelReads<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.inner.call(request)
    }

    fn notification<'a>(
        &self,
        n: jsonrpsee::core::middleware::Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.inner.notification(n)
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let service = self.clone();
        async move {
            let only_reads = batch.iter().all(|entry| {
                matches!(entry, Ok(BatchEntry::Call(request)) if READS.contains(&request.method_name()))
            });
            let shared = &*service.shared;
            // Too few reads to cut even with the cores to itself: not counted in flight.
            if !only_reads || shared.chunks(batch.len(), 1) == 1 {
                return service.inner.batch(batch).await;
            }
            let (_in_flight, batches) = InFlight::enter(&shared.batches_in_flight);
            let chunks = shared.chunks(batch.len(), batches);
            if chunks == 1 {
                return service.inner.batch(batch).await;
            }
            let mut requests: Vec<Request<'a>> = batch
                .into_iter()
                .filter_map(|entry| match entry {
                    Ok(BatchEntry::Call(request)) => Some(request),
                    _ => None,
                })
                .collect();

            // Every chunk but the first goes to a blocking-pool thread (tokio would keep a
            // task spawned from here on this worker until it is free again); the first is
            // answered here meanwhile.
            let chunk_len = requests.len().div_ceil(chunks);
            let mut others = Vec::with_capacity(chunks - 1);
            while requests.len() > chunk_len {
                let at = requests.len() - chunk_len;
                let chunk: Vec<Request<'static>> = requests.drain(at..).map(into_owned).collect();
                let ids: Vec<Id<'static>> = chunk.iter().map(|r| r.id.clone()).collect();
                let inner = service.inner.clone();
                let runtime = tokio::runtime::Handle::current();
                let answers = tokio::task::spawn_blocking(move || {
                    off_workers(|| runtime.block_on(answer_in_order(&*inner, chunk)))
                });
                others.push((ids, answers));
            }
            let mut answers = answer_in_order(&*service.inner, requests).await;
            // Chunks were cut from the end: the last one cut holds the earliest requests.
            for (ids, chunk) in others.into_iter().rev() {
                match chunk.await {
                    Ok(chunk) => answers.extend(chunk),
                    // A handler panicked: its chunk's requests get an internal error each.
                    Err(_) => answers.extend(ids.into_iter().map(|id| {
                        MethodResponse::error(id, ErrorObject::from(ErrorCode::InternalError))
                    })),
                }
            }

            let mut response = BatchResponseBuilder::new_with_limit(shared.max_response_size);
            for answer in answers {
                if let Err(too_big) = response.append(answer) {
                    return too_big;
                }
            }
            MethodResponse::from_batch(response.finish())
        }
    }
}

/// Answers `requests` one after another.
async fn answer_in_order<S>(service: &S, requests: Vec<Request<'_>>) -> Vec<MethodResponse>
where
    S: RpcServiceT<MethodResponse = MethodResponse>,
{
    let mut answers = Vec::with_capacity(requests.len());
    for request in requests {
        answers.push(service.call(request).await);
    }
    answers
}

/// A request that no longer borrows from the request body, to answer on another thread.
fn into_owned(request: Request<'_>) -> Request<'static> {
    Request {
        jsonrpc: request.jsonrpc,
        id: request.id.into_owned(),
        method: request.method.into_owned().into(),
        params: request
            .params
            .map(|params| std::borrow::Cow::Owned(params.into_owned())),
        extensions: request.extensions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(cores: usize) -> Arc<Shared> {
        ParallelReadsLayer::new(NonZeroUsize::new(cores).unwrap(), u32::MAX).shared
    }

    #[test]
    fn chunks_are_never_smaller_than_min_chunk() {
        assert_eq!(shared(2).chunks(0, 1), 1);
        assert_eq!(shared(2).chunks(2 * MIN_CHUNK - 1, 1), 1);
        assert_eq!(shared(2).chunks(2 * MIN_CHUNK, 1), 2);
        assert_eq!(shared(2).chunks(1000, 1), 2);
        assert_eq!(shared(8).chunks(3 * MIN_CHUNK, 1), 3);
        assert_eq!(shared(8).chunks(64, 1), 8);
        assert_eq!(shared(1).chunks(64, 1), 1);
    }

    #[test]
    fn batches_in_flight_share_the_cores() {
        assert_eq!(shared(2).chunks(64, 2), 1);
        assert_eq!(shared(8).chunks(64, 2), 4);
        assert_eq!(shared(8).chunks(64, 3), 2);
        assert_eq!(shared(8).chunks(64, 100), 1);
        let counter = AtomicUsize::new(0);
        let (first, now) = InFlight::enter(&counter);
        assert_eq!(now, 1);
        let (second, now) = InFlight::enter(&counter);
        assert_eq!(now, 2);
        drop((first, second));
        assert_eq!(counter.load(Ordering::Relaxed), 0);
    }
}

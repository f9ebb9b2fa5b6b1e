//! `state_call Core_version` over JSON-RPC against the release `node --dev`, beside the same
//! call made in process (through `Executor::call`, and through the node's `Client::call` on its
//! database), from 1 and 2 concurrent clients/threads.
//!
//! Each client is one connection, used four ways: HTTP/1.1 keep-alive with one request at a
//! time (a round trip per request), HTTP/1.1 pipelining (`IN_FLIGHT` requests written before
//! their responses are read), JSON-RPC batches over HTTP (`IN_FLIGHT` requests per HTTP
//! request), and WebSocket with `IN_FLIGHT` requests in flight (how polkadot-js talks).
//! `system_health` over the same connections gives the cost of the transport alone.
//!
//! `cargo bench -p node --bench rpc_throughput`; results are in docs/benchmarks.md. Each
//! measurement runs `WARM_UP` and then `MEASURE` of wall time; all of them are repeated
//! `REPETITIONS` times and the medians printed. The clients share the machine's cores with the
//! node.

#[path = "../tests/common/mod.rs"]
mod common;

use std::{
    borrow::Cow,
    net::SocketAddr,
    sync::{Arc, Barrier, OnceLock},
    thread,
    time::{Duration, Instant},
};

use executor::{
    externalities::InMemoryExternalities, CallOptions, Executor, ExecutorConfig, RuntimeCode,
};
use node::service::{open_client, BasePath};
use runtime_wasm::WASM_BINARY_V1;
use serde_json::json;

const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(3);
/// How often every measurement is repeated.
const REPETITIONS: usize = 3;
/// The deadline `state_call` gives runtime calls (the node's default `--rpc-call-timeout`).
const DEADLINE: Duration = Duration::from_secs(10);
/// Requests in flight per connection when pipelining or batching.
const IN_FLIGHT: usize = 64;

/// How a client sends its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// One request, then its response.
    OneAtATime,
    /// `IN_FLIGHT` requests written back to back, then their responses read.
    Pipelined,
    /// `IN_FLIGHT` requests in one JSON-RPC batch.
    Batched,
    /// `IN_FLIGHT` requests sent over a WebSocket connection (as polkadot-js talks to a
    /// node), then their responses read.
    WebSocket,
}

impl Mode {
    const ALL: [Mode; 4] = [
        Mode::OneAtATime,
        Mode::Pipelined,
        Mode::Batched,
        Mode::WebSocket,
    ];

    fn requests_per_round(self) -> usize {
        match self {
            Mode::OneAtATime => 1,
            Mode::Pipelined | Mode::Batched | Mode::WebSocket => IN_FLIGHT,
        }
    }

    fn label(self) -> String {
        match self {
            Mode::OneAtATime => "one at a time".into(),
            Mode::Pipelined => format!("pipelined, {IN_FLIGHT} in flight"),
            Mode::Batched => format!("batches of {IN_FLIGHT}"),
            Mode::WebSocket => format!("WebSocket, {IN_FLIGHT} in flight"),
        }
    }
}

/// One keep-alive HTTP/1.1 connection sending the same request again and again.
struct HttpPipe {
    connection: common::KeepAlive,
    request: Vec<u8>,
    requests: Vec<u8>,
}

impl HttpPipe {
    fn connect(addr: SocketAddr, body: &str) -> HttpPipe {
        let connection = common::KeepAlive::connect(addr);
        let request = connection.request(body);
        HttpPipe {
            requests: request.repeat(IN_FLIGHT),
            request,
            connection,
        }
    }

    /// Sends the request and returns the response body.
    fn round_trip(&mut self) -> &[u8] {
        self.connection.send(&self.request);
        self.ok_response()
    }

    /// Sends the request `IN_FLIGHT` times back to back, then reads the responses, checking
    /// each.
    fn pipelined(&mut self, check: impl Fn(&[u8]) -> bool) {
        self.connection.send(&self.requests);
        for _ in 0..IN_FLIGHT {
            assert!(check(self.ok_response()));
        }
    }

    fn ok_response(&mut self) -> &[u8] {
        let (status, body) = self.connection.read_response();
        assert_eq!(status, 200);
        body
    }
}

/// One WebSocket connection sending the same request `IN_FLIGHT` times, then reading the
/// responses (in whatever order the server sends them).
struct WsPipe {
    client: common::WsClient,
    frame: Vec<u8>,
    frames: Vec<u8>,
}

impl WsPipe {
    fn connect(addr: SocketAddr, body: &str) -> WsPipe {
        let frame = common::ws_text_frame(body.as_bytes());
        WsPipe {
            client: common::WsClient::connect(addr),
            frames: frame.repeat(IN_FLIGHT),
            frame,
        }
    }

    /// Sends one request and returns its response.
    fn read_first(mut self) -> Vec<u8> {
        self.client.send_frames(&self.frame);
        self.client.receive_text().to_vec()
    }

    /// Sends the requests, then reads and checks every response.
    fn round(&mut self, check: impl Fn(&[u8]) -> bool) {
        self.client.send_frames(&self.frames);
        for _ in 0..IN_FLIGHT {
            assert!(check(self.client.receive_text()));
        }
    }
}

/// Runs `work` on `threads` threads for `WARM_UP`, then counts its iterations for `MEASURE`:
/// returns iterations per second (all threads together). `work` is set up per thread by
/// `make` and must check its own result.
fn throughput<W: FnMut() + Send>(threads: usize, make: impl Fn() -> W + Sync) -> f64 {
    let barrier = Barrier::new(threads);
    let counts: Vec<u64> = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut work = make();
                    let warm_up_end = Instant::now() + WARM_UP;
                    while Instant::now() < warm_up_end {
                        work();
                    }
                    barrier.wait();
                    let end = Instant::now() + MEASURE;
                    let mut count = 0;
                    while Instant::now() < end {
                        work();
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    counts.iter().sum::<u64>() as f64 / MEASURE.as_secs_f64()
}

/// The runtime as a node knows it: its hash comes from the state, not hashed per call.
fn code() -> RuntimeCode<'static> {
    static CODE_HASH: OnceLock<[u8; 32]> = OnceLock::new();
    static FETCH: fn() -> Option<Cow<'static, [u8]>> = || Some(WASM_BINARY_V1.into());
    let hash = *CODE_HASH.get_or_init(|| RuntimeCode::from_bytes(WASM_BINARY_V1).hash);
    RuntimeCode::lazy(hash, &FETCH)
}

/// The median, lowest and highest of `values`.
fn median(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Requests per second over `threads` connections sending `request` (a JSON-RPC request
/// object) the `mode` way. Every response must equal the first one, whose `result` (each one's,
/// for a batch) must be `expected_result`.
fn over_rpc(
    addr: SocketAddr,
    threads: usize,
    mode: Mode,
    request: &serde_json::Value,
    expected_result: &serde_json::Value,
) -> f64 {
    let body = match mode {
        Mode::OneAtATime | Mode::Pipelined | Mode::WebSocket => request.to_string(),
        Mode::Batched => serde_json::Value::Array(
            (0..IN_FLIGHT)
                .map(|id| {
                    let mut request = request.clone();
                    request["id"] = json!(id);
                    request
                })
                .collect(),
        )
        .to_string(),
    };
    let expected = match mode {
        Mode::WebSocket => WsPipe::connect(addr, &body).read_first(),
        _ => HttpPipe::connect(addr, &body).round_trip().to_vec(),
    };
    let response: serde_json::Value = serde_json::from_slice(&expected).unwrap();
    let responses = match response {
        serde_json::Value::Array(responses) => responses,
        single => vec![single],
    };
    let per_body = match mode {
        Mode::Batched => IN_FLIGHT,
        Mode::OneAtATime | Mode::Pipelined | Mode::WebSocket => 1,
    };
    assert_eq!(responses.len(), per_body);
    for response in &responses {
        assert_eq!(&response["result"], expected_result, "{response}");
    }
    let rounds = match mode {
        Mode::WebSocket => throughput(threads, || {
            let mut client = WsPipe::connect(addr, &body);
            let expected = &expected[..];
            move || client.round(|response| response == expected)
        }),
        _ => throughput(threads, || {
            let mut client = HttpPipe::connect(addr, &body);
            let expected = &expected[..];
            move || match mode {
                Mode::Pipelined => client.pipelined(|response| response == expected),
                _ => assert!(client.round_trip() == expected),
            }
        }),
    };
    rounds * mode.requests_per_round() as f64
}

fn main() {
    println!("load average before: {}", load_average());

    // In process: the node's executor configuration, the dev chain's runtime, no state.
    let executor = Arc::new(Executor::new(ExecutorConfig::default()).unwrap());
    let version = executor
        .call(
            &code(),
            "Core_version",
            &[],
            &mut InMemoryExternalities::new(),
        )
        .unwrap();
    // `state_call` runs the call with a deadline (the engine with interruption checks); plain
    // calls are what block execution runs.
    let plain = CallOptions::default();
    let with_deadline = CallOptions {
        deadline: Some(DEADLINE),
        ..Default::default()
    };
    let in_process = |threads, options: &CallOptions| {
        throughput(threads, || {
            let executor = executor.clone();
            let (version, options) = (&version, options.clone());
            move || {
                let output = executor
                    .call_with_options(
                        &code(),
                        "Core_version",
                        &[],
                        &mut InMemoryExternalities::new(),
                        &options,
                    )
                    .unwrap();
                assert_eq!(&output, version);
            }
        })
    };

    // The node's own call path in process: the dev chain's database, state and code lookup.
    let base_path = BasePath::temporary().unwrap();
    let (client, _) = open_client(
        chain_spec::dev(),
        &base_path,
        executor.clone(),
        node::client::node_cache::DEFAULT_SIZE,
    )
    .unwrap();
    let best = client.info().best_hash;
    let through_client = |threads| {
        throughput(threads, || {
            let (client, version) = (client.clone(), &version);
            move || {
                let output = client
                    .call(&best, "Core_version", &[], Some(DEADLINE))
                    .unwrap();
                assert_eq!(&output, version);
            }
        })
    };

    // Over RPC: the release node on the dev chain (whose `:code` is the same runtime).
    let node = common::Node::start(&["--dev"]);
    let state_call = json!({"jsonrpc": "2.0", "id": 1, "method": "state_call",
                            "params": ["Core_version", "0x"]});
    let expected_version = json!(common::hex0x(&version));
    // The transport alone: a method that touches neither the chain nor the executor.
    let system_health = json!({"jsonrpc": "2.0", "id": 1, "method": "system_health", "params": []});
    let expected_health = node.call("system_health", json!([]));

    // Repetitions, each measuring in process and over RPC back to back, so that every ratio
    // compares figures taken under the same load; the medians are printed.
    let mut in_process_runs: Vec<(usize, [f64; 3])> = Vec::new();
    let mut rpc_runs: Vec<(usize, Mode, [f64; 3])> = Vec::new();
    for _ in 0..REPETITIONS {
        for threads in [1, 2] {
            let call = in_process(threads, &plain);
            let deadline = in_process(threads, &with_deadline);
            let client = through_client(threads);
            in_process_runs.push((threads, [call, deadline, client]));
            for mode in Mode::ALL {
                let rpc = over_rpc(node.addr, threads, mode, &state_call, &expected_version);
                let health = over_rpc(node.addr, threads, mode, &system_health, &expected_health);
                rpc_runs.push((threads, mode, [rpc, health, rpc / call]));
            }
        }
    }
    drop(node);

    println!();
    println!("Medians of {REPETITIONS} repetitions (ratio: median, then the lowest and highest).");
    println!();
    println!(
        "| threads | `Executor::call` | `call_with_deadline` | node `Client::call` (database state) |"
    );
    println!("|---|---|---|---|");
    for threads in [1, 2] {
        let runs: Vec<_> = in_process_runs
            .iter()
            .filter(|(t, _)| *t == threads)
            .map(|(_, figures)| *figures)
            .collect();
        let [call, deadline, client] = [0, 1, 2].map(|i| median(runs.iter().map(|r| r[i])).0);
        println!("| {threads} | {call:.0} calls/s | {deadline:.0} calls/s | {client:.0} calls/s |");
    }
    println!();
    println!(
        "| clients | requests | `state_call` | `system_health` | `state_call` / `Executor::call` |"
    );
    println!("|---|---|---|---|---|");
    for threads in [1, 2] {
        for mode in Mode::ALL {
            let runs: Vec<_> = rpc_runs
                .iter()
                .filter(|(t, m, _)| *t == threads && *m == mode)
                .map(|(_, _, figures)| *figures)
                .collect();
            let [(rpc, ..), (health, ..), (ratio, low, high)] =
                [0, 1, 2].map(|i| median(runs.iter().map(|r| r[i])));
            println!(
                "| {threads} | {} | {rpc:.0} req/s | {health:.0} req/s | {:.0}% ({:.0}–{:.0}%) |",
                mode.label(),
                100.0 * ratio,
                100.0 * low,
                100.0 * high
            );
        }
    }
    println!();
    println!("load average after: {}", load_average());
}

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
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
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
struct Client {
    request: Vec<u8>,
    reader: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr, body: &str) -> Client {
        let stream = TcpStream::connect(addr).expect("connecting to the node");
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
            body.len()
        );
        Client {
            request: request.into_bytes(),
            reader: BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        }
    }

    /// Sends the request and returns the response body.
    fn round_trip(&mut self) -> &[u8] {
        self.reader.get_mut().write_all(&self.request).unwrap();
        self.read_response()
    }

    /// Sends the request `count` times back to back, then reads the responses, checking each.
    fn pipelined(&mut self, count: usize, check: impl Fn(&[u8]) -> bool) {
        self.reader
            .get_mut()
            .write_all(&self.request.repeat(count))
            .unwrap();
        for _ in 0..count {
            assert!(check(self.read_response()));
        }
    }

    /// Reads one response and returns its (`Content-Length` framed) body.
    fn read_response(&mut self) -> &[u8] {
        let mut length = None;
        let mut first = true;
        loop {
            self.line.clear();
            let read = self.reader.read_line(&mut self.line).unwrap();
            assert!(read > 0, "the server closed the connection");
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            if first {
                assert!(line.starts_with("HTTP/1.1 200"), "{line}");
                first = false;
            } else if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let length = length.expect("a Content-Length response");
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body).unwrap();
        &self.body
    }
}

/// One WebSocket connection sending the same request `IN_FLIGHT` times, then reading the
/// responses (in whatever order the server sends them).
struct WsPipe {
    frames: Vec<u8>,
    reader: BufReader<TcpStream>,
    payload: Vec<u8>,
}

impl WsPipe {
    fn connect(addr: SocketAddr, body: &str) -> WsPipe {
        let mut stream = TcpStream::connect(addr).expect("connecting to the node");
        stream.set_nodelay(true).unwrap();
        write!(
            stream,
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(
            line.starts_with("HTTP/1.1 101"),
            "handshake refused: {line}"
        );
        while line != "\r\n" {
            line.clear();
            reader.read_line(&mut line).unwrap();
        }
        // A masked text frame (clients must mask), with a 16-bit length.
        let mask = [0x12, 0x34, 0x56, 0x78];
        let mut frame = vec![0x81, 0x80 | 126];
        frame.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        frame.extend_from_slice(&mask);
        frame.extend(body.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        WsPipe {
            frames: frame.repeat(IN_FLIGHT),
            reader,
            payload: Vec::new(),
        }
    }

    /// Sends one request and returns its response.
    fn read_first(mut self) -> Vec<u8> {
        let one = self.frames.len() / IN_FLIGHT;
        self.reader
            .get_mut()
            .write_all(&self.frames[..one])
            .unwrap();
        self.read_message().to_vec()
    }

    /// Sends the requests, then reads and checks every response.
    fn round(&mut self, check: impl Fn(&[u8]) -> bool) {
        self.reader.get_mut().write_all(&self.frames).unwrap();
        for _ in 0..IN_FLIGHT {
            assert!(check(self.read_message()));
        }
    }

    /// The next text message's payload (unmasked, as servers send them; pings skipped).
    fn read_message(&mut self) -> &[u8] {
        loop {
            let mut head = [0u8; 2];
            self.reader.read_exact(&mut head).unwrap();
            let len = match head[1] & 0x7f {
                126 => {
                    let mut n = [0u8; 2];
                    self.reader.read_exact(&mut n).unwrap();
                    usize::from(u16::from_be_bytes(n))
                }
                127 => {
                    let mut n = [0u8; 8];
                    self.reader.read_exact(&mut n).unwrap();
                    usize::try_from(u64::from_be_bytes(n)).unwrap()
                }
                n => usize::from(n),
            };
            self.payload.resize(len, 0);
            self.reader.read_exact(&mut self.payload).unwrap();
            if head[0] & 0x0f == 0x1 {
                return &self.payload;
            }
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
        _ => Client::connect(addr, &body).round_trip().to_vec(),
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
            let mut client = Client::connect(addr, &body);
            let expected = &expected[..];
            move || match mode {
                Mode::Pipelined => client.pipelined(IN_FLIGHT, |response| response == expected),
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

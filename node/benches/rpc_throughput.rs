//! `state_call Core_version` over HTTP against the release `node --dev`, beside the same call
//! made in process through `Executor::call`, from 1 and 2 concurrent clients/threads.
//!
//! `system_health` over the same connections gives the cost of the transport alone.
//!
//! `cargo bench -p node --bench rpc_throughput`; results are in docs/benchmarks.md. Each
//! measurement runs `WARM_UP` and then `MEASURE` of wall time. The HTTP clients use one
//! keep-alive connection each and share the machine's cores with the node.

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
use runtime_wasm::WASM_BINARY_V1;
use serde_json::json;

const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(5);
/// The deadline `state_call` gives runtime calls (the node's default `--rpc-call-timeout`).
const DEADLINE: Duration = Duration::from_secs(10);

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

    /// Sends the request and returns the response body (`Content-Length` framed).
    fn round_trip(&mut self) -> &[u8] {
        self.reader.get_mut().write_all(&self.request).unwrap();
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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
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

    // Over RPC: the release node on the dev chain (whose `:code` is the same runtime).
    let node = common::Node::start(&["--dev"]);
    let expected = node.call("state_call", json!(["Core_version", "0x"]));
    assert_eq!(expected, common::hex0x(&version));
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "state_call",
                      "params": ["Core_version", "0x"]})
    .to_string();
    // The server's exact response bytes, checked once: every later response must equal them.
    let expected_body = Client::connect(node.addr, &body).round_trip().to_vec();
    let response: serde_json::Value = serde_json::from_slice(&expected_body).unwrap();
    assert_eq!(response["result"], expected, "{response}");
    let rpc = |threads| {
        throughput(threads, || {
            let mut client = Client::connect(node.addr, &body);
            let expected_body = &expected_body[..];
            move || assert!(client.round_trip() == expected_body)
        })
    };

    // The transport alone: a method that does not touch the chain or the executor.
    let health_body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "system_health", "params": []}).to_string();
    let health = |threads| {
        throughput(threads, || {
            let mut client = Client::connect(node.addr, &health_body);
            move || assert!(client.round_trip().starts_with(b"{\"jsonrpc\""))
        })
    };

    let mut rows = Vec::new();
    for threads in [1, 2] {
        let rpc = rpc(threads);
        let health = health(threads);
        let call = in_process(threads, &plain);
        let deadline = in_process(threads, &with_deadline);
        rows.push((threads, rpc, health, call, deadline));
    }
    drop(node);

    println!();
    println!(
        "| clients/threads | RPC state_call (req/s) | RPC system_health (req/s) \
         | in-process call (calls/s) | in-process call_with_deadline (calls/s) \
         | RPC / call | RPC / call_with_deadline |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (threads, rpc, health, call, deadline) in rows {
        println!(
            "| {threads} | {rpc:.0} | {health:.0} | {call:.0} | {deadline:.0} | {:.1}% | {:.1}% |",
            100.0 * rpc / call,
            100.0 * rpc / deadline
        );
    }
    println!();
    println!("load average after: {}", load_average());
}

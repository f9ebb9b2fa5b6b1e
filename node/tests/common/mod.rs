//! Runs the real `node` binary for tests and talks to it over HTTP JSON-RPC.
//!
//! [`Node::start`] spawns the binary on an ephemeral RPC port (`--rpc-port 0`) with a
//! temporary base path and waits for its "Running JSON-RPC server" line; dropping the
//! [`Node`] (also when a test panics) kills it and removes the base path.

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

/// The binary under test.
pub const NODE: &str = env!("CARGO_BIN_EXE_node");

/// How long a node may take to start (the Westend runtime is compiled at start).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// The Westend chain spec fixture, if present.
pub fn westend_spec() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/chain-specs/westend.json");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: fixture {} not found", path.display());
        None
    }
}

/// A running node, killed on drop.
pub struct Node {
    child: Child,
    /// Where its RPC server listens.
    pub addr: SocketAddr,
    log: Arc<Mutex<String>>,
    base: Option<tempfile::TempDir>,
}

impl Node {
    /// Starts `node <args> --rpc-port 0 --base-path <temp>`.
    pub fn start(args: &[&str]) -> Node {
        let base = tempfile::tempdir().unwrap();
        Self::start_in(base, args)
    }

    /// Starts the node with base path `base` (kept until the node is dropped).
    pub fn start_in(base: tempfile::TempDir, args: &[&str]) -> Node {
        let mut child = Command::new(NODE)
            .args(args)
            .args(["--rpc-port", "0", "--base-path"])
            .arg(base.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning the node");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("Running JSON-RPC server: addr=").nth(1) {
                    let addr = rest.split(',').next().unwrap_or(rest).trim().to_owned();
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut node = Node {
            child,
            addr: "127.0.0.1:0".parse().unwrap(),
            log,
            base: Some(base),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(addr) = rx.recv_timeout(Duration::from_millis(100)) {
                node.addr = addr.parse().expect("an address in the log");
                return node;
            }
            if let Ok(Some(status)) = node.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "the node exited with {status} before serving RPC:\n{}",
                    node.log()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "the node did not start in {START_TIMEOUT:?}:\n{}",
                    node.log()
                );
            }
        }
    }

    /// Everything the node logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The base path.
    pub fn base_path(&self) -> &Path {
        self.base.as_ref().unwrap().path()
    }

    /// Kills the node (SIGKILL: no shutdown code runs) and hands back its base path.
    pub fn kill(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.base.take().unwrap()
    }

    /// Stops the node with SIGTERM (a clean shutdown) and hands back its base path.
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.base.take().unwrap()
    }

    /// Posts `body` and returns the HTTP status and response body.
    pub fn post(&self, body: &str) -> (u16, String) {
        http_post(self.addr, body)
    }

    /// Sends a JSON-RPC request and returns the whole response object.
    pub fn request(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (_, response) = self.post(&body.to_string());
        serde_json::from_str(&response)
            .unwrap_or_else(|e| panic!("{method}: response is not JSON ({e}): {response}"))
    }

    /// The `result` of a call that must succeed.
    pub fn call(&self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        match response.get("result") {
            Some(result) => result.clone(),
            None => panic!("{method} failed: {response}\nnode log:\n{}", self.log()),
        }
    }

    /// The number of the best block.
    pub fn best_number(&self) -> u64 {
        let header = self.call("chain_getHeader", json!([]));
        let number = header["number"].as_str().expect("a hex block number");
        u64::from_str_radix(number.trim_start_matches("0x"), 16).unwrap()
    }

    /// Waits (up to a minute) until the best block is at least `number`.
    pub fn wait_for_block(&self, number: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.best_number() < number {
            assert!(
                Instant::now() < deadline,
                "no block #{number}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The `error` of a call that must fail: `(code, message)`.
    pub fn error(&self, method: &str, params: Value) -> (i64, String) {
        let response = self.request(method, params);
        error_of(&response)
    }
}

/// `(code, message)` of an error response.
pub fn error_of(response: &Value) -> (i64, String) {
    let error = response
        .get("error")
        .unwrap_or_else(|| panic!("expected an error, got {response}"));
    (
        error["code"].as_i64().unwrap(),
        error["message"].as_str().unwrap().to_owned(),
    )
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `node <args>` to completion.
pub fn run(args: &[&str]) -> Output {
    let child = Command::new(NODE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the node");
    // A node that should have exited but did not must fail the test, not hang CI.
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(120)).is_err() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    });
    let output = child.wait_with_output().expect("waiting for the node");
    let _ = done.send(());
    output
}

/// Runs `node dev-tx <args>` and returns the extrinsic it prints (0x-hex).
pub fn dev_tx(args: &[&str]) -> String {
    let output = Command::new(NODE)
        .arg("dev-tx")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running node dev-tx");
    assert!(
        output.status.success(),
        "node dev-tx {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let extrinsic = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(extrinsic.starts_with("0x"), "not hex: {extrinsic}");
    extrinsic
}

/// A minimal HTTP/1.1 POST (the server's responses carry a length or are chunked).
pub fn http_post(addr: SocketAddr, body: &str) -> (u16, String) {
    let raw = http_exchange(addr, &json_post_request(addr, body, ""));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut payload = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("HTTP status");
    if head.contains("transfer-encoding: chunked") {
        payload = dechunk(&payload);
    }
    (status, String::from_utf8(payload).expect("UTF-8 body"))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&data[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// `0x`-prefixed hex.
pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Decodes `0x`-prefixed hex from a JSON string.
pub fn unhex(value: &Value) -> Vec<u8> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    hex::decode(text.strip_prefix("0x").expect("0x prefix")).unwrap()
}

/// The text of a one-shot (`Connection: close`) JSON-RPC POST of `body`, with `headers`
/// (each ending in `\r\n`) added.
pub fn json_post_request(addr: SocketAddr, body: &str, headers: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Sends `request` on a new connection and returns all the server sent until it closed. A
/// server may answer and close while the request is still being written (a refused, oversized
/// one): what it sent is returned all the same.
pub fn http_exchange(addr: SocketAddr, request: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connecting to the node");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let _ = stream.write_all(request.as_bytes());
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    response
}

/// One keep-alive HTTP/1.1 connection to the node's RPC server, for many requests (also
/// several written before their responses are read).
pub struct KeepAlive {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl KeepAlive {
    /// Connects (`TCP_NODELAY`, a 60 s read timeout).
    pub fn connect(addr: SocketAddr) -> KeepAlive {
        let stream = TcpStream::connect(addr).expect("connecting to the node");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        KeepAlive {
            addr,
            reader: BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        }
    }

    /// The text of a keep-alive JSON-RPC POST of `body` on this connection.
    pub fn request(&self, body: &str) -> Vec<u8> {
        format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .into_bytes()
    }

    /// Writes already built requests (see [`request`](Self::request)).
    pub fn send(&mut self, requests: &[u8]) {
        self.reader.get_mut().write_all(requests).unwrap();
    }

    /// Posts `body` and returns the HTTP status and response body.
    pub fn post(&mut self, body: &str) -> (u16, String) {
        let request = self.request(body);
        self.send(&request);
        let (status, body) = self.read_response();
        (
            status,
            String::from_utf8(body.to_vec()).expect("UTF-8 body"),
        )
    }

    /// Reads the next response: its status and body (`Content-Length` framed or chunked). The
    /// server must keep the connection alive.
    pub fn read_response(&mut self) -> (u16, &[u8]) {
        let (mut status, mut length, mut chunked) = (None, None, false);
        loop {
            self.line.clear();
            let read = self
                .reader
                .read_line(&mut self.line)
                .expect("reading headers");
            assert!(read > 0, "the server closed the connection");
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            if status.is_none() {
                status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok());
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close")
            {
                panic!("the server does not keep the connection alive: {line}");
            }
        }
        self.body.clear();
        if chunked {
            self.read_chunked();
        } else {
            self.body
                .resize(length.expect("Content-Length or chunked"), 0);
            self.reader.read_exact(&mut self.body).unwrap();
        }
        (status.expect("HTTP status"), &self.body)
    }

    fn read_chunked(&mut self) {
        loop {
            self.line.clear();
            self.reader.read_line(&mut self.line).unwrap();
            let size =
                usize::from_str_radix(self.line.split(';').next().unwrap().trim(), 16).unwrap();
            if size == 0 {
                // Trailers (none expected) up to the empty line.
                loop {
                    self.line.clear();
                    self.reader.read_line(&mut self.line).unwrap();
                    if self.line.trim_end().is_empty() {
                        return;
                    }
                }
            }
            let start = self.body.len();
            self.body.resize(start + size, 0);
            self.reader.read_exact(&mut self.body[start..]).unwrap();
            let mut crlf = [0; 2];
            self.reader.read_exact(&mut crlf).unwrap();
        }
    }
}

/// A minimal WebSocket client (text frames only), for subscription tests and the RPC bench.
pub struct WsClient {
    reader: BufReader<TcpStream>,
    payload: Vec<u8>,
}

/// A masked text frame carrying `payload` (clients must mask their frames).
pub fn ws_text_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x81];
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let mask = [0x12, 0x34, 0x56, 0x78];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

impl WsClient {
    /// Connects and completes the opening handshake.
    pub fn connect(addr: SocketAddr) -> WsClient {
        let mut stream = TcpStream::connect(addr).expect("connecting to the node");
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        write!(
            stream,
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).expect("reading the handshake");
        assert!(
            line.starts_with("HTTP/1.1 101"),
            "handshake refused: {line}"
        );
        while line != "\r\n" {
            line.clear();
            reader.read_line(&mut line).expect("reading the handshake");
        }
        WsClient {
            reader,
            payload: Vec::new(),
        }
    }

    /// Sends a JSON-RPC request as a masked text frame.
    pub fn send(&mut self, request: &Value) {
        self.send_frames(&ws_text_frame(request.to_string().as_bytes()));
    }

    /// Writes already built frames (see [`ws_text_frame`]).
    pub fn send_frames(&mut self, frames: &[u8]) {
        self.reader.get_mut().write_all(frames).unwrap();
    }

    /// Receives the next text message as JSON (skipping pings).
    pub fn receive(&mut self) -> Value {
        serde_json::from_slice(self.receive_text()).expect("a JSON message")
    }

    /// The payload of the next text message (unmasked, as servers send them; pings skipped).
    pub fn receive_text(&mut self) -> &[u8] {
        loop {
            let mut head = [0u8; 2];
            self.reader.read_exact(&mut head).expect("reading a frame");
            let len = match head[1] & 0x7f {
                126 => {
                    let mut n = [0u8; 2];
                    self.reader.read_exact(&mut n).unwrap();
                    u16::from_be_bytes(n) as usize
                }
                127 => {
                    let mut n = [0u8; 8];
                    self.reader.read_exact(&mut n).unwrap();
                    u64::from_be_bytes(n) as usize
                }
                n => n as usize,
            };
            self.payload.resize(len, 0);
            self.reader.read_exact(&mut self.payload).unwrap();
            match head[0] & 0x0f {
                0x1 => return &self.payload,
                0x8 => panic!("the server closed the connection"),
                _ => continue,
            }
        }
    }
}

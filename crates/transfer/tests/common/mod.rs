//! Helpers for the transfer tests: a temporary directory, the receiver as a
//! process, and a hand-made client that can misbehave in exactly one way.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use testkit::{Server, TIMEOUT};
use transfer::protocol::{Header, read_line};

pub const RECEIVER: &str = env!("CARGO_BIN_EXE_receive-file");
pub const SENDER: &str = env!("CARGO_BIN_EXE_send-file");

/// A fresh directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(test: &str) -> TempDir {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let unique = format!(
            "transfer-{test}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(unique);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// Every name in the directory, hidden ones (temporary files) included.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Writes a file of `size` bytes of a non-repeating pattern and returns its path.
    pub fn file(&self, name: &str, size: usize) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, pattern(size)).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bytes that differ from one position to the next (a shifted chunk would show).
pub fn pattern(size: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect()
}

/// Starts `receive-file --dir DIR 127.0.0.1:0 EXTRA…`.
pub fn receiver(dir: &TempDir, extra: &[&str]) -> Server {
    let mut args = vec!["--dir", dir.arg(), "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start(RECEIVER, args)
}

/// `send-file FILE ADDRESS EXTRA…`, run to the end.
pub fn send_file(file: &Path, address: SocketAddr, extra: &[&str]) -> std::process::Output {
    let mut command = assert_cmd::Command::new(SENDER);
    command.args(extra).arg(file).arg(address.to_string()).timeout(TIMEOUT);
    command.output().unwrap()
}

/// A hand-made TCP client speaking the protocol step by step.
pub struct Client {
    pub stream: TcpStream,
}

impl Client {
    pub fn connect(address: SocketAddr) -> Client {
        let stream = testkit::connect(address);
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        Client { stream }
    }

    /// Sends a header and returns the receiver's answer (`ready` or a verdict).
    pub fn header(&mut self, name: &str, size: u64) -> String {
        self.raw(&Header { name: name.to_string(), size }.encode());
        self.line()
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next line from the receiver (panics at the end of the stream).
    pub fn line(&mut self) -> String {
        read_line(&mut self.stream).unwrap().expect("the receiver closed without a line")
    }

    /// Reads until the receiver closes; returns what came.
    pub fn rest(&mut self) -> Vec<u8> {
        let mut rest = Vec::new();
        let _ = self.stream.read_to_end(&mut rest);
        rest
    }
}

/// A whole well-formed transfer by hand; returns the verdict line.
pub fn hand_transfer(
    address: SocketAddr,
    name: &str,
    content: &[u8],
    trailer: &[u8; 32],
) -> String {
    let mut client = Client::connect(address);
    assert_eq!(client.header(name, content.len() as u64), "ready");
    client.raw(content);
    client.raw(trailer);
    client.line()
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Unix: starts `send-file FILE ADDRESS EXTRA…` on a sparse 2 GiB file (no
/// disk used, reads as zeros), waits until the receiver logs that the
/// transfer began, and kills the sender (SIGKILL: no clean-up code runs).
/// 2 GiB take seconds even on loopback; the kill comes within milliseconds.
#[cfg(unix)]
pub fn kill_sender_mid_transfer(server: &Server, source: &TempDir, extra: &[&str]) {
    let path = source.path().join("huge.bin");
    std::fs::File::create(&path).unwrap().set_len(2 << 30).unwrap();
    let mut sender = std::process::Command::new(SENDER)
        .args(extra)
        .arg(&path)
        .arg(server.address().to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    server.stdout_line_containing("Receiving \"huge.bin\" (2147483648 bytes)");
    sender.kill().unwrap();
    sender.wait().unwrap();
}

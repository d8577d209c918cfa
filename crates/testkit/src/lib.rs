//! Helpers shared by the integration tests of every crate.
//!
//! [`Server`] starts a server binary on `127.0.0.1:0`, reads the
//! `Listening on ADDRESS` line it prints first to learn the real port, hands
//! out the lines it prints afterwards (each wait bounded by [`TIMEOUT`]), and
//! kills the process when dropped, so a failing test never leaves a server behind.
//!
//! Test helpers fail by panicking: that is how a test reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any helper waits for a line, a connection or an exit.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// A server process under test, killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    address: SocketAddr,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Server {
    /// Starts `program` with `args` and waits for its `Listening on ADDRESS` line.
    pub fn start<S: AsRef<OsStr>>(
        program: impl AsRef<OsStr>,
        args: impl IntoIterator<Item = S>,
    ) -> Self {
        let mut command = Command::new(program.as_ref());
        command.args(args);
        Self::spawn(command)
    }

    /// Starts a prepared command (for extra environment variables and the like).
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let mut server =
            Self { child, address: SocketAddr::from(([0, 0, 0, 0], 0)), stdout, stderr };
        let first = server.stdout_line();
        let address = first.strip_prefix("Listening on ").unwrap_or_else(|| {
            panic!("first line should be `Listening on ADDRESS`, got {first:?}")
        });
        server.address = address.parse().unwrap_or_else(|_| panic!("bad address in {first:?}"));
        server
    }

    /// The address the server really listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The process id, e.g. to send it a signal.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The next line the server prints on stdout.
    pub fn stdout_line(&self) -> String {
        next_line(&self.stdout, "stdout", &self.stderr)
    }

    /// The next line the server prints on stderr.
    pub fn stderr_line(&self) -> String {
        next_line(&self.stderr, "stderr", &self.stdout)
    }

    /// Skips stdout lines until one contains `needle`, and returns it.
    pub fn stdout_line_containing(&self, needle: &str) -> String {
        skip_until(&self.stdout, needle, "stdout")
    }

    /// Skips stderr lines until one contains `needle`, and returns it.
    pub fn stderr_line_containing(&self, needle: &str) -> String {
        skip_until(&self.stderr, needle, "stderr")
    }

    /// Panics if the server has exited: a server must survive any single bad client.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("the server exited ({status}) but should still be running");
        }
    }

    /// Waits (at most [`TIMEOUT`]) for the process to exit by itself.
    pub fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit within {TIMEOUT:?}");
            thread::sleep(Duration::from_millis(10)); // polling an exit, not synchronising
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

fn next_line(lines: &Receiver<String>, name: &str, other: &Receiver<String>) -> String {
    match lines.recv_timeout(TIMEOUT) {
        Ok(line) => line,
        Err(RecvTimeoutError::Timeout) => panic!("no line on {name} within {TIMEOUT:?}"),
        Err(RecvTimeoutError::Disconnected) => {
            let rest: Vec<String> = other.try_iter().collect();
            panic!("{name} closed (the process ended?); other stream said: {rest:?}")
        }
    }
}

fn skip_until(lines: &Receiver<String>, needle: &str, name: &str) -> String {
    let deadline = Instant::now() + TIMEOUT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(line) => seen.push(line),
            Err(_) => {
                panic!("no {name} line containing {needle:?} within {TIMEOUT:?}; saw {seen:?}")
            }
        }
    }
}

/// The `python3` interpreter, or `None` (with a visible note) when it is absent.
pub fn python3() -> Option<PathBuf> {
    for name in ["python3", "python"] {
        let ok = Command::new(name)
            .args(["-c", "import sys; sys.exit(sys.version_info[0] != 3)"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if ok {
            return Some(PathBuf::from(name));
        }
    }
    eprintln!("SKIPPED: python3 not found, Python interop not tested");
    None
}

/// The path of an example binary of the package under test (built by `cargo test`).
pub fn example(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().unwrap();
    let profile_dir = test_exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} not built: run `cargo test`, which builds examples", path.display());
    path
}

/// One of the Python twins of the seed programs in `scripts/python/`.
pub fn python_script(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join("scripts/python").join(name);
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// Asserts the house style of a failed run: exit code not 0, no panic, and
/// exactly one line on stderr, `error: …`, containing every one of `needles`.
pub fn assert_clean_failure(output: &std::process::Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "expected a failure, got {}; stderr: {stderr}",
        output.status
    );
    assert_eq!(output.status.code(), Some(1), "expected exit code 1; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "the program panicked: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got {lines:?}");
    assert!(lines[0].starts_with("error: "), "stderr should start with `error: `: {stderr}");
    for needle in needles {
        assert!(lines[0].contains(needle), "stderr should mention {needle:?}: {stderr}");
    }
}

/// Whether this machine has an IPv6 loopback; prints a visible note when not.
pub fn has_ipv6_loopback() -> bool {
    let ok = std::net::TcpListener::bind("[::1]:0").is_ok();
    if !ok {
        eprintln!("SKIPPED: no IPv6 loopback (::1) on this machine");
    }
    ok
}

/// Asserts that `program ADDRESS` rejects each of `addresses` with the house
/// style's one-line parse error.
pub fn assert_rejects_bad_addresses(program: &std::path::Path, addresses: &[&str]) {
    for bad in addresses {
        let output = Command::new(program).arg(bad).stdin(Stdio::null()).output().unwrap();
        assert_clean_failure(&output, &[&format!("invalid address \"{bad}\""), "IP:PORT"]);
    }
}

/// Asserts that `program --help` and `program -h` succeed with a two-line
/// usage whose first line starts with `first_line`.
pub fn assert_usage(program: &std::path::Path, first_line: &str) {
    for flag in ["--help", "-h"] {
        let output = Command::new(program).arg(flag).stdin(Stdio::null()).output().unwrap();
        assert!(output.status.success(), "{flag} should succeed");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 2, "{flag} should print two lines: {stdout}");
        assert!(
            stdout.starts_with(first_line),
            "{flag} should start with {first_line:?}: {stdout}"
        );
    }
}

/// Connects to `address` with a bounded connect and a bounded read timeout.
pub fn connect(address: SocketAddr) -> std::net::TcpStream {
    let stream = std::net::TcpStream::connect_timeout(&address, TIMEOUT).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// Sends `message` to an echo server and asserts the same bytes come back.
pub fn round_trip(stream: &mut std::net::TcpStream, message: &[u8]) {
    use std::io::Write;
    stream.write_all(message).unwrap();
    let mut reply = vec![0; message.len()];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(reply, message);
}

/// Asserts that `program ADDRESS` on a TCP port another socket listens on
/// fails with one line naming the address and suggesting `name` is running.
pub fn assert_port_in_use(program: &std::path::Path, name: &str) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = Command::new(program).arg(&address).stdin(Stdio::null()).output().unwrap();
    assert!(output.stdout.is_empty(), "nothing should reach stdout: {output:?}");
    assert_clean_failure(&output, &[&format!("cannot bind {address}"), &format!("another {name}")]);
}

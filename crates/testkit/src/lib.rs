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
    pub fn spawn(command: Command) -> Self {
        Self::spawn_limited(command, usize::MAX, usize::MAX)
    }

    /// Starts a prepared command and closes its stdout right after the
    /// `Listening on` line, as `server | head -1` does: whatever it prints
    /// later fails with a broken pipe (EPIPE; ERROR_NO_DATA on Windows).
    pub fn spawn_closing_stdout(command: Command) -> Self {
        Self::spawn_limited(command, 1, usize::MAX)
    }

    /// Starts a prepared command with its stderr closed at once (`2>&1 | head`
    /// after `head` has exited): every log line it writes fails with EPIPE.
    pub fn spawn_closing_stderr(command: Command) -> Self {
        Self::spawn_limited(command, usize::MAX, 0)
    }

    fn spawn_limited(mut command: Command, stdout_lines: usize, stderr_lines: usize) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        let stdout = lines(child.stdout.take().unwrap(), stdout_lines);
        let stderr = lines(child.stderr.take().unwrap(), stderr_lines);
        Self::listening(child, stdout, stderr)
    }

    /// Waits for the `Listening on ADDRESS` line the server prints first.
    fn listening(child: Child, stdout: Receiver<String>, stderr: Receiver<String>) -> Self {
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

impl Server {
    /// For a server started with [`Server::spawn_closing_stdout`]: calls `poke`
    /// (which makes the server print, e.g. by connecting a client) until the
    /// server exits, then asserts it stopped the house way — exit code 1, no
    /// panic, and an `error: cannot write to standard output…` line last on stderr.
    ///
    /// Why more than one poke: a child that another test is starting at that
    /// moment holds a copy of the pipe's read end until it calls exec, and a
    /// write in that window still succeeds. The next one fails.
    pub fn assert_stops_on_closed_stdout(&mut self, mut poke: impl FnMut()) {
        let deadline = Instant::now() + TIMEOUT;
        let status = 'poking: loop {
            poke();
            let pause = Instant::now() + Duration::from_millis(500);
            while Instant::now() < pause {
                if let Some(status) = self.child.try_wait().unwrap() {
                    break 'poking status;
                }
                thread::sleep(Duration::from_millis(10)); // polling an exit, not synchronising
            }
            assert!(Instant::now() < deadline, "the server did not stop within {TIMEOUT:?}");
        };
        let mut stderr = Vec::new();
        while let Ok(line) = self.stderr.recv_timeout(TIMEOUT) {
            stderr.push(line); // until the pipe closes: the process has exited
        }
        assert!(!stderr.iter().any(|line| line.contains("panicked")), "it panicked: {stderr:?}");
        assert_eq!(status.code(), Some(1), "expected exit code 1, got {status}; {stderr:?}");
        let last = stderr.last().map_or("", String::as_str);
        assert!(
            last.starts_with("error: cannot write to standard output"),
            "the last stderr line should name the closed stdout: {stderr:?}"
        );
    }

    /// [`Server::assert_stops_on_closed_stdout`] for a server that has already
    /// been made to print.
    pub fn assert_stopped_by_closed_stdout(&mut self) {
        self.assert_stops_on_closed_stdout(|| {});
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Forwards the first `limit` lines of `pipe`, then closes it. The pipe is
/// closed *before* the last line is handed on, so that whoever waits for that
/// line (e.g. `Listening on`) cannot make the program print into a pipe that
/// is still open.
fn lines(pipe: impl Read + Send + 'static, limit: usize) -> Receiver<String> {
    let (sender, receiver) = channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(pipe).lines();
        for count in 1..=limit {
            let Some(Ok(mut line)) = lines.next() else { return };
            // Python on Windows ends printed lines with \r\n, even on a pipe.
            if line.ends_with('\r') {
                line.pop();
            }
            if count == limit {
                drop(lines);
                let _ = sender.send(line);
                return;
            }
            if sender.send(line).is_err() {
                return;
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

/// Text a program printed, with Windows line endings (`\r\n`, what Python's
/// `print` writes there) turned into `\n` so one expectation fits every OS.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

/// Whether the tests run as Windows programs under Wine (`scripts/windows.sh`
/// sets `SOCKETS_UNDER_WINE=1`). Wine is not Windows: a test that depends on
/// behaviour Wine does not reproduce skips there, visibly, and says why.
pub fn under_wine(skipping: &str) -> bool {
    let wine = std::env::var_os("SOCKETS_UNDER_WINE").is_some_and(|value| value == "1");
    if wine {
        eprintln!("SKIPPED under Wine: {skipping}");
    }
    wine
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

/// Runs `command` to the end with its stdout a pipe whose reading end is
/// already closed (as in `program | true` once `true` has exited): whatever
/// it prints fails with a broken pipe. Waits at most [`TIMEOUT`]; returns the
/// exit status and stderr (stdout stays empty).
pub fn output_with_closed_stdout(mut command: Command) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    drop(command); // holds a copy of the pipe's writing end
    let mut stderr = child.stderr.take().unwrap();
    let reading = thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the program did not exit within {TIMEOUT:?} with its stdout closed");
        }
        thread::sleep(Duration::from_millis(10)); // polling an exit, not synchronising
    };
    std::process::Output { status, stdout: Vec::new(), stderr: reading.join().unwrap() }
}

/// Unix: starts `program` with `args` allowed at most `limit` open files
/// (`sh -c 'ulimit -n LIMIT; exec program args…'`) and waits for its
/// `Listening on` line. Windows has no such per-process limit to lower.
#[cfg(unix)]
pub fn start_with_file_limit(program: impl AsRef<OsStr>, limit: u32, args: &[&str]) -> Server {
    // Descriptors 3 to 9 closed first, in case the test runner left some open.
    let script =
        format!("exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; ulimit -n {limit} && exec \"$0\" \"$@\"");
    let mut command = Command::new("sh");
    command.arg("-c").arg(script).arg(program);
    command.args(args);
    Server::spawn(command)
}

impl Server {
    /// Counts the stderr lines containing `needle` that the server prints
    /// from now until `window` has passed: a measurement over a fixed time
    /// (e.g. how fast a loop repeats an error), not a wait for an event.
    pub fn count_stderr_lines(&self, needle: &str, window: Duration) -> usize {
        let deadline = Instant::now() + window;
        let mut count = 0;
        // Checked before each line: a flood of lines must not keep it reading.
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(needle) => count += 1,
                Ok(_) => {}
                Err(_) => break, // the window is over (or the server exited)
            }
        }
        count
    }
}

/// Unix: starts `program 127.0.0.1:0` allowed `limit` open files and holds
/// `clients` connections to it, so that its `accept()` runs out of file
/// descriptors (EMFILE), then asserts that the accept loop *pauses* on that
/// error: a few `cannot accept` lines in half a second, each naming the real
/// cause, where a loop that retries at once prints hundreds of thousands at
/// 100 % CPU. With `recovers`, once the clients leave a new one is served.
#[cfg(unix)]
pub fn assert_accept_loop_pauses_out_of_descriptors(
    program: impl AsRef<OsStr>,
    limit: u32,
    clients: usize,
    recovers: bool,
) {
    let server = start_with_file_limit(program, limit, &["--quiet", "127.0.0.1:0"]);
    let held: Vec<_> = (0..clients)
        .map(|_| std::net::TcpStream::connect_timeout(&server.address(), TIMEOUT).unwrap())
        .collect();
    let first = server.stderr_line_containing("cannot accept");
    assert!(first.contains("Too many open files"), "the error should name its cause: {first:?}");
    let window = Duration::from_millis(500);
    let repeated = server.count_stderr_lines("cannot accept", window);
    assert!(repeated <= 100, "{repeated} accept errors in {window:?}: the loop does not pause");
    if recovers {
        // The client in the middle is still waiting in the queue: the server
        // ran out of descriptors before it (`clients` is chosen so). Hang up
        // all the others: descriptors come back, and it must now be served
        // with no new connection arriving to wake the server (an
        // edge-triggered event loop that waits for one would sleep on).
        let mut held = held;
        let mut waiting = held.remove(clients / 2);
        drop(held);
        waiting.set_read_timeout(Some(TIMEOUT)).unwrap();
        round_trip(&mut waiting, b"descriptors are back");
        let mut client = connect(server.address());
        round_trip(&mut client, b"and a new client too");
    }
}

/// A poke for [`Server::assert_stops_on_closed_stdout`]: connects, says
/// hello, reads what comes back (an echo, a reply, or the end) and hangs up.
/// Does nothing once the server no longer accepts connections.
pub fn hello_and_hang_up(address: SocketAddr) {
    use std::io::Write;
    let Ok(mut client) = std::net::TcpStream::connect_timeout(&address, TIMEOUT) else {
        return; // refused: no longer listening
    };
    let _ = client.set_read_timeout(Some(TIMEOUT));
    let _ = client.write_all(b"anyone there?");
    let _ = client.read(&mut [0u8; 16]); // the answer, or closed at once: end of stream or reset
}

/// Unix: runs `program args… | head -1`, so the program's stdout closes once
/// `head` has passed on its `Listening on` line. Unlike
/// [`Server::spawn_closing_stdout`], this process gives up its end of the
/// pipe at once, long before the program prints anything else, so a child
/// that another test spawns meanwhile cannot still hold it open then.
#[cfg(unix)]
pub fn start_piped_into_head(program: impl AsRef<OsStr>, args: &[&str]) -> Server {
    let mut command = Command::new(program.as_ref());
    let mut child = command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    let mut head = Command::new("head");
    head.arg("-1").stdin(child.stdout.take().unwrap()).stdout(Stdio::piped());
    let mut head_child = head.spawn().unwrap();
    drop(head); // this process's copy of the program's stdout
    let stdout = lines(head_child.stdout.take().unwrap(), usize::MAX);
    thread::spawn(move || head_child.wait()); // it exits after one line
    let stderr = lines(child.stderr.take().unwrap(), usize::MAX);
    Server::listening(child, stdout, stderr)
}

/// `program ARGS | head -1` for a server: starts it with its stdout closed
/// after the `Listening on` line, has clients say hello until it stops, and
/// asserts it stopped the house way ([`Server::assert_stops_on_closed_stdout`]).
pub fn assert_server_stops_on_closed_stdout(program: impl AsRef<OsStr>, args: &[&str]) {
    let mut command = Command::new(program.as_ref());
    command.args(args);
    let mut server = Server::spawn_closing_stdout(command);
    let address = server.address();
    server.assert_stops_on_closed_stdout(|| hello_and_hang_up(address));
}

/// `program ARGS | true`, for each of `arg_sets`: the very first line the
/// program prints (the usage, or `Listening on`) fails, and it says so in one
/// `error: cannot write to standard output…` line with exit code 1.
pub fn assert_first_line_on_closed_stdout_is_one_error(
    program: impl AsRef<OsStr>,
    arg_sets: &[&[&str]],
) {
    for args in arg_sets {
        let mut command = Command::new(program.as_ref());
        command.args(*args);
        let output = output_with_closed_stdout(command);
        assert_clean_failure(&output, &["cannot write to standard output"]);
    }
}

/// Unix: `program --quiet 127.0.0.1:0 | head -1`, then Ctrl-C (SIGINT) while
/// a client is connected: the server cannot print `Shutting down`, and must
/// still finish that client and stop ([`Server::assert_stopped_by_closed_stdout`]).
#[cfg(unix)]
pub fn assert_ctrl_c_with_a_closed_stdout_shuts_down(program: impl AsRef<OsStr>) {
    let mut server = start_piped_into_head(program, &["--quiet", "127.0.0.1:0"]);
    let mut client = connect(server.address());
    round_trip(&mut client, b"before Ctrl-C");
    let killed = Command::new("kill").args(["-INT", &server.id().to_string()]).status();
    assert!(killed.unwrap().success());
    round_trip(&mut client, b"after Ctrl-C"); // a connected client is still served
    drop(client);
    server.assert_stopped_by_closed_stdout();
}

/// Clients that are busy when a server is told to stop: each connects and
/// has one round trip (so it has been accepted and is being served), then
/// waits until [`BusyClients::finish`] lets it make 100 more.
#[derive(Debug)]
pub struct BusyClients {
    gates: Vec<std::sync::mpsc::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl BusyClients {
    /// Starts `count` clients and returns once every one of them is served.
    pub fn connect(address: SocketAddr, count: usize) -> Self {
        let (ready, all_ready) = channel();
        let (mut gates, mut threads) = (Vec::new(), Vec::new());
        for number in 0..count {
            let ready = ready.clone();
            let (gate, go) = channel::<()>();
            gates.push(gate);
            threads.push(thread::spawn(move || {
                let mut stream = connect(address);
                round_trip(&mut stream, b"connected"); // accepted and being served
                ready.send(()).unwrap();
                go.recv_timeout(TIMEOUT).unwrap();
                for round in 0..100 {
                    round_trip(&mut stream, format!("client {number} round {round}").as_bytes());
                }
            }));
        }
        for _ in 0..count {
            all_ready.recv_timeout(TIMEOUT).unwrap();
        }
        Self { gates, threads }
    }

    /// Lets every client make its 100 round trips, and asserts they all succeeded.
    pub fn finish(self) {
        for gate in self.gates {
            gate.send(()).unwrap();
        }
        for client in self.threads {
            client.join().unwrap();
        }
    }
}

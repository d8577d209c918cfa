//! What the checks use to try a student's program: start it, read its lines,
//! talk to it over loopback, wait for it, every wait bounded.
//!
//! A check is a function `fn(&Run) -> Outcome`. It fails with a [`Failure`]
//! that says, in both languages and in the student's terms, what was expected
//! and what happened. The program is killed when its [`Program`] is dropped,
//! and [`Run::kill_all`] kills whatever a check that ran out of time left behind.
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread;
use std::time::{Duration, Instant};

use crate::lang::Text;
use crate::tr;

/// How long a server may take to print `Listening on ADDRESS`.
pub const STARTUP: Duration = Duration::from_secs(5);
/// How long the checks wait for an answer, a line or an exit, unless they say otherwise.
pub const WAIT: Duration = Duration::from_secs(5);
/// Output kept from each of stdout and stderr; the rest is read and thrown away.
pub const OUTPUT_LIMIT: usize = 64 * 1024;
/// The largest file a student's program may write (Unix: `ulimit -f`, in 512-byte blocks).
const FILE_BLOCKS: u32 = 128 * 1024;

/// What one check found.
pub type Outcome = Result<(), Failure>;

/// A failed check: what was expected and what happened, in both languages.
#[derive(Clone, Debug)]
pub struct Failure {
    pub message: Text,
    /// The exercise's hint (1-based) that fits this failure best, if any.
    pub hint: Option<usize>,
    /// The program never got going (did not start, did not listen): the later
    /// checks of the exercise would only fail the same way, so they are skipped.
    pub fatal: bool,
}

impl Failure {
    pub fn new(message: Text) -> Failure {
        Failure { message, hint: None, fatal: false }
    }

    /// Points the student at hint `n` (1-based) of the exercise.
    pub fn hint(mut self, n: usize) -> Failure {
        self.hint = Some(n);
        self
    }

    fn fatal(mut self) -> Failure {
        self.fatal = true;
        self
    }
}

/// `fail!("en {x}", "中文 {x}")` returns a [`Failure`] from a check.
#[macro_export]
macro_rules! fail {
    ($en:expr, $zh:expr $(,)?) => {
        return Err($crate::probe::Failure::new($crate::tr!($en, $zh)))
    };
    (hint $n:expr, $en:expr, $zh:expr $(,)?) => {
        return Err($crate::probe::Failure::new($crate::tr!($en, $zh)).hint($n))
    };
}

/// One check of an exercise: its name in both languages and what it does.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    pub en: &'static str,
    pub zh: &'static str,
    pub run: fn(&Run) -> Outcome,
}

/// The student's built program, ready to be started by a check.
#[derive(Debug)]
pub struct Run {
    exe: PathBuf,
    dir: PathBuf,
    children: Mutex<Vec<Weak<Mutex<Child>>>>,
}

impl Run {
    /// `exe` runs in `dir`, a scratch folder of its own.
    pub fn new(exe: &Path, dir: &Path) -> Run {
        Run { exe: exe.to_path_buf(), dir: dir.to_path_buf(), children: Mutex::new(Vec::new()) }
    }

    /// Starts the program with `args` and waits for its `Listening on ADDRESS` line.
    pub fn server(&self, args: &[&str]) -> Result<Program, Failure> {
        let mut program = self.start(args, None)?;
        let first = program.next_line(STARTUP).map_err(Failure::fatal)?;
        let Some(address) = first.strip_prefix("Listening on ") else {
            let first = show(first.as_bytes());
            return Err(Failure::new(tr!(
                "the first line the server prints should be `Listening on ADDRESS`; it printed {first}",
                "服务器打印的第一行应当是 `Listening on 地址`，它打印的却是 {first}"
            ))
            .fatal());
        };
        program.address = address.trim().parse().ok();
        if program.address.is_none() {
            let shown = show(address.as_bytes());
            return Err(Failure::new(tr!(
                "`Listening on` should be followed by IP:PORT, e.g. 127.0.0.1:40001; got {shown}",
                "`Listening on` 后面应当是 IP:端口，例如 127.0.0.1:40001；实际是 {shown}"
            ))
            .fatal());
        }
        Ok(program)
    }

    /// Starts the program with `args`, feeding it `stdin` (or nothing) on standard input.
    pub fn start(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<Program, Failure> {
        let mut command = self.command();
        command.args(args);
        command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        // The clock starts before the program does: `elapsed` is never shorter than its run.
        let started = Instant::now();
        let mut child = command.spawn().map_err(|error| {
            Failure::new(tr!("cannot start the program: {error}", "无法启动程序：{error}")).fatal()
        })?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let input = input.to_vec();
            // A program that never reads its input must not block the check.
            thread::spawn(move || pipe.write_all(&input));
        }
        let stdout = match child.stdout.take() {
            Some(out) => lines(out),
            None => channel().1,
        };
        let stderr = Arc::new(Mutex::new(Captured::default()));
        if let Some(err) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            thread::spawn(move || capture(err, &sink));
        }
        let child = Arc::new(Mutex::new(child));
        self.children.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::downgrade(&child));
        Ok(Program { child, stdout, stderr, address: None, started })
    }

    /// Kills every program the checks started that is still alive.
    pub fn kill_all(&self) {
        let children = self.children.lock().unwrap_or_else(PoisonError::into_inner);
        for child in children.iter().filter_map(Weak::upgrade) {
            let mut child = child.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The command that starts the program: in its scratch folder and, on Unix,
    /// unable to write a file larger than 64 MiB (`ulimit -f`), so that a
    /// program that fills the disk stops with SIGXFSZ long before the disk is full.
    fn command(&self) -> Command {
        let mut command = if cfg!(unix) {
            let mut shell = Command::new("/bin/sh");
            let script = format!("ulimit -f {FILE_BLOCKS} 2>/dev/null; exec \"$0\" \"$@\"");
            shell.arg("-c").arg(script).arg(&self.exe);
            shell
        } else {
            Command::new(&self.exe)
        };
        command.current_dir(&self.dir);
        command
    }
}

/// A running program, killed when dropped.
#[derive(Debug)]
pub struct Program {
    child: Arc<Mutex<Child>>,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<Captured>>,
    address: Option<SocketAddr>,
    started: Instant,
}

/// How a program ended.
#[derive(Clone, Debug)]
pub struct Finished {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Finished {
    /// The exit code as the messages show it.
    pub fn exit_code(&self) -> String {
        self.code.map_or_else(|| "none (killed by a signal)".to_string(), |c| c.to_string())
    }
}

/// The start of what a program wrote on stderr (a panic's first lines, not its backtrace).
pub fn stderr_head(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|line| !line.trim().is_empty()).take(2).collect();
    match &lines[..] {
        [] => "(none)".to_string(),
        lines => show(lines.join(" / ").as_bytes()),
    }
}

impl Program {
    /// The address from its `Listening on` line.
    pub fn address(&self) -> SocketAddr {
        self.address.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The next line it prints on stdout, waiting at most `timeout`.
    pub fn next_line(&mut self, timeout: Duration) -> Result<String, Failure> {
        match self.stdout.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => {
                let secs = timeout.as_secs_f32();
                Err(Failure::new(tr!(
                    "the program printed nothing new for {secs} s (is it stuck, or waiting for something?)",
                    "程序在 {secs} 秒内没有再打印任何内容（是卡住了，还是在等什么？）"
                )))
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.ended()),
        }
    }

    /// Reads stdout lines until one contains `needle`, for at most `timeout` in all.
    pub fn line_containing(&mut self, needle: &str, timeout: Duration) -> Result<String, Failure> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line(left) {
                Ok(line) if line.contains(needle) => return Ok(line),
                Ok(line) => seen.push(line),
                Err(failure) => {
                    let printed = show_lines(&seen);
                    let (en, zh) = (failure.message.en, failure.message.zh);
                    return Err(Failure::new(tr!(
                        "expected a line with {needle:?}; {en}; before that it printed {printed}",
                        "期望有一行包含 {needle:?}；{zh}；在此之前它打印了 {printed}"
                    )));
                }
            }
        }
    }

    /// Waits at most `timeout` for the program to exit.
    pub fn finish(self, timeout: Duration) -> Result<Finished, Failure> {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.lock().try_wait();
            match status {
                Ok(Some(status)) => {
                    let elapsed = self.started.elapsed();
                    // The pipes close when the program exits: the readers finish soon.
                    let mut stdout = Vec::new();
                    while let Ok(line) = self.stdout.recv_timeout(WAIT) {
                        stdout.push(line);
                    }
                    // Likewise stderr: wait (bounded) until its reader has seen the end.
                    let until = Instant::now() + Duration::from_secs(2);
                    while !self.stderr.lock().unwrap_or_else(PoisonError::into_inner).closed
                        && Instant::now() < until
                    {
                        thread::sleep(Duration::from_millis(5));
                    }
                    let stderr = self.stderr_text();
                    return Ok(Finished {
                        code: status.code(),
                        stdout: stdout.join(
                            "
",
                        ),
                        stderr,
                        elapsed,
                    });
                }
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    let secs = timeout.as_secs_f32();
                    return Err(Failure::new(tr!(
                        "the program did not finish within {secs} s (timed out: an endless loop, or waiting for an answer that never comes?)",
                        "程序在 {secs} 秒内没有结束（超时：是死循环，还是在等一个永远不会来的回答？）"
                    )));
                }
                Err(error) => {
                    fail!("cannot wait for the program: {error}", "无法等待程序结束：{error}")
                }
            }
        }
    }

    /// Whether it is still running.
    pub fn is_running(&self) -> bool {
        matches!(self.lock().try_wait(), Ok(None))
    }

    /// What it has written to stderr so far (at most [`OUTPUT_LIMIT`] bytes).
    pub fn stderr_text(&self) -> String {
        let captured = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&captured.kept).replace('\r', "")
    }

    /// A failure saying the program ended, how, and what it said on stderr.
    fn ended(&self) -> Failure {
        // stdout closed: the program is exiting (or closed its stdout). Give it a moment.
        let deadline = Instant::now() + Duration::from_secs(2);
        let status = loop {
            match self.lock().try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                _ => break None,
            }
        };
        let stderr = last_lines(&self.stderr_text(), 3);
        let (en, zh) = match status.and_then(|status| status.code()) {
            Some(101) => {
                ("it panicked (exit code 101)".to_string(), "它 panic 了（退出码 101）".to_string())
            }
            Some(code) => {
                (format!("it exited with code {code}"), format!("它退出了，退出码 {code}"))
            }
            None if status.is_some() => (
                "it was stopped by a signal (e.g. it wrote a file over 64 MiB, or crashed)"
                    .to_string(),
                "它被信号终止了（例如写了超过 64 MiB 的文件，或者崩溃了）".to_string(),
            ),
            None => ("it closed its standard output".to_string(), "它关闭了标准输出".to_string()),
        };
        Failure::new(tr!(
            "the program stopped printing: {en}; its last error output: {stderr}",
            "程序不再输出：{zh}；它最后的错误输出：{stderr}"
        ))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let mut child = self.lock();
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Bytes kept from a stream, and how many there were in all.
#[derive(Debug, Default)]
struct Captured {
    kept: Vec<u8>,
    total: usize,
    /// The stream has ended: everything the program wrote is in `kept`.
    closed: bool,
}

fn capture(mut stream: impl Read, sink: &Mutex<Captured>) {
    let mut buffer = [0u8; 8192];
    while let Ok(n @ 1..) = stream.read(&mut buffer) {
        let mut captured = sink.lock().unwrap_or_else(PoisonError::into_inner);
        let room = OUTPUT_LIMIT.saturating_sub(captured.kept.len()).min(n);
        captured.kept.extend_from_slice(&buffer[..room]);
        captured.total += n;
    }
    sink.lock().unwrap_or_else(PoisonError::into_inner).closed = true;
}

/// Forwards the lines of `stream` (without `\r\n`) until [`OUTPUT_LIMIT`]
/// bytes have passed, then reads and drops the rest: a flood cannot fill memory.
fn lines(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let (mut line, mut passed) = (Vec::new(), 0usize);
        loop {
            line.clear();
            match reader.by_ref().take(OUTPUT_LIMIT as u64).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(n) => passed += n,
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']).to_string();
            if passed <= OUTPUT_LIMIT && sender.send(text).is_err() {
                return;
            }
        }
    });
    receiver
}

/// A byte string as a student should see it: quoted, escaped, at most 200 characters.
/// Bytes that are not UTF-8 are shown escaped, as Rust writes them: `b"caf\xe9"`.
pub fn show(bytes: &[u8]) -> String {
    let more = if bytes.len() > 200 { "…" } else { "" };
    let bytes = &bytes[..bytes.len().min(200)];
    match std::str::from_utf8(bytes) {
        Ok(text) => format!("{text:?}{more}"),
        Err(_) => format!("b\"{}\"{more}", bytes.escape_ascii()),
    }
}

fn show_lines(lines: &[String]) -> String {
    match lines {
        [] => "nothing".to_string(),
        lines => {
            lines.iter().take(5).map(|line| show(line.as_bytes())).collect::<Vec<_>>().join(", ")
        }
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|line| !line.trim().is_empty()).collect();
    match &lines[lines.len().saturating_sub(n)..] {
        [] => "(none)".to_string(),
        tail => tail.join(" / "),
    }
}

/// Connects to `address` over TCP, with reads and writes bounded by [`WAIT`].
pub fn connect(address: SocketAddr) -> Result<TcpStream, Failure> {
    let stream = TcpStream::connect_timeout(&address, WAIT).map_err(|error| {
        Failure::new(tr!(
            "cannot connect to the server at {address}: {error}",
            "无法连接到服务器 {address}：{error}"
        ))
    })?;
    let _ = stream.set_read_timeout(Some(WAIT));
    let _ = stream.set_write_timeout(Some(WAIT));
    Ok(stream)
}

/// Sends `bytes` on `stream`.
pub fn send(stream: &mut TcpStream, bytes: &[u8]) -> Outcome {
    stream.write_all(bytes).map_err(|error| {
        Failure::new(tr!(
            "cannot send to the server: {error} (did it close the connection early?)",
            "无法向服务器发送数据：{error}（它是不是提前关闭了连接？）"
        ))
    })
}

/// Reads until the peer closes the connection, for at most `timeout`, keeping at most 1 MiB.
pub fn read_to_close(stream: &mut TcpStream, timeout: Duration) -> Result<Vec<u8>, Failure> {
    read_until_closed(stream, timeout, false)
}

/// Like [`read_to_close`], but a reset after some bytes arrived (a server that
/// closes with bytes it never read) still gives those bytes, so that a check
/// can say what was wrong with them rather than only "reset".
pub fn read_to_close_or_reset(
    stream: &mut TcpStream,
    timeout: Duration,
) -> Result<Vec<u8>, Failure> {
    read_until_closed(stream, timeout, true)
}

fn read_until_closed(
    stream: &mut TcpStream,
    timeout: Duration,
    reset_ok: bool,
) -> Result<Vec<u8>, Failure> {
    let deadline = Instant::now() + timeout;
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || received.len() > 1024 * 1024 {
            let got = show(&received);
            let secs = timeout.as_secs_f32();
            fail!(
                "the server did not close the connection within {secs} s; it had sent {got}",
                "服务器在 {secs} 秒内没有关闭连接；此前它发来了 {got}"
            );
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(received),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) if reset_ok && !received.is_empty() => return Ok(received),
            Err(error) => {
                let got = show(&received);
                fail!(
                    "reading the reply failed: {error} (after {got}); a reset means the server closed with unread data or crashed",
                    "读取回复失败：{error}（此前收到 {got}）；连接被重置通常说明服务器在还有数据没读时关闭了连接，或者崩溃了"
                );
            }
        }
    }
}

/// Reads exactly `n` bytes, for at most `timeout`.
pub fn read_exact(stream: &mut TcpStream, n: usize, timeout: Duration) -> Result<Vec<u8>, Failure> {
    let deadline = Instant::now() + timeout;
    let mut received = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let got = show(&received[..filled]);
            let secs = timeout.as_secs_f32();
            fail!(
                "expected {n} bytes within {secs} s, got {filled}: {got}",
                "期望在 {secs} 秒内收到 {n} 个字节，只收到 {filled} 个：{got}"
            );
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut received[filled..]) {
            Ok(0) => {
                let got = show(&received[..filled]);
                fail!(
                    "the server closed the connection after {filled} of {n} bytes: {got}",
                    "服务器在发来 {n} 个字节中的 {filled} 个之后就关闭了连接：{got}"
                );
            }
            Ok(k) => filled += k,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(error) => fail!("reading failed: {error}", "读取失败：{error}"),
        }
    }
    Ok(received)
}

/// A UDP socket on 127.0.0.1 with an ephemeral port, receives bounded by `timeout`.
pub fn udp_socket(timeout: Duration) -> Result<UdpSocket, Failure> {
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| {
        Failure::new(tr!("cannot create a UDP socket: {e}", "无法创建 UDP 套接字：{e}"))
    })?;
    let _ = socket.set_read_timeout(Some(timeout));
    Ok(socket)
}

/// Receives one datagram within the socket's timeout.
pub fn recv_from(socket: &UdpSocket) -> Result<(Vec<u8>, SocketAddr), Failure> {
    let mut buffer = vec![0u8; 65_535];
    match socket.recv_from(&mut buffer) {
        Ok((n, from)) => Ok((buffer[..n].to_vec(), from)),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            let secs = socket.read_timeout().ok().flatten().unwrap_or(WAIT).as_secs_f32();
            fail!("no datagram came back within {secs} s", "{secs} 秒内没有收到任何数据报")
        }
        Err(error) => fail!("receiving a datagram failed: {error}", "接收数据报失败：{error}"),
    }
}

/// The line of `text` (a program's stderr) that says what went wrong: the first
/// with "error" or "panicked" in it (a backtrace may follow it), else the last one.
pub fn error_line(text: &str) -> Text {
    let lines = || text.lines().map(str::trim).filter(|line| !line.is_empty());
    let error = |line: &&str| line.to_lowercase().contains("error") || line.contains("panicked");
    match lines().find(error).or_else(|| lines().next_back()) {
        Some(line) => Text::new(line, line),
        None => Text::new("(none)", "（无）"),
    }
}

//! Every program of this crate with a closed stdout, as after `| head -1`:
//! it stops with exit code 1 and one line `error: cannot write to standard
//! output: …` on stderr. No panic, no exit code 101, and a server stops too
//! (nobody can read its log any more).
//!
//! The test holds the reading end of each program's stdout pipe, takes the
//! lines it wants, then closes it; only then does it make the program print
//! again, so the write that fails is always one after the first line.
//!
//! The tests take turns ([`one_at_a_time`]): a process being started by
//! another test in this same program holds, until it has loaded its own
//! binary, a copy of every descriptor this program has, the reading end of
//! our pipe included, and a write into that pipe would then still succeed.
#![allow(clippy::unwrap_used)] // helpers fail the test by panicking, like the tests
use std::io::{BufRead, BufReader, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use framing::{DEFAULT_MAX_FRAME, read_frame, write_frame};
use testkit::{Server, TIMEOUT};

const SERVER: &str = env!("CARGO_BIN_EXE_frame-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_frame-client");
const DEMO: &str = env!("CARGO_BIN_EXE_stream-demo");

const CLOSED: &str = "error: cannot write to standard output: ";

/// Held by each test for its whole run, so that no other test starts a
/// process in the moment a pipe should have no reader.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner) // a failed test does not block the others
}

/// A program whose stdout the test reads for a few lines and then closes;
/// killed on drop.
struct Program {
    child: Child,
    lines: Receiver<String>,
    reader: Option<JoinHandle<()>>,
}

impl Program {
    /// Starts `program`; its stdout is read for `keep` lines, then closed
    /// (with `keep` 0 it is closed before the program starts).
    fn start(program: impl AsRef<std::ffi::OsStr>, args: &[&str], keep: usize) -> Self {
        let (stdout, writer) = std::io::pipe().unwrap();
        let mut command = Command::new(program);
        command.args(args).stdin(Stdio::null()).stdout(writer).stderr(Stdio::piped());
        let stdout = (keep > 0).then_some(stdout); // dropped here when keep is 0
        let child = command.spawn().unwrap();
        drop(command); // it holds a copy of the writing end
        let (sender, lines) = channel();
        let reader = stdout.map(|stdout| {
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines().take(keep) {
                    let Ok(line) = line else { break };
                    let _ = sender.send(line);
                }
                // Returning drops `stdout`: the pipe has no reader any more.
            })
        });
        Self { child, lines, reader }
    }

    /// Waits for the `keep` lines, then until the pipe is closed.
    fn first_lines(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(TIMEOUT) {
            lines.push(line);
        }
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap(); // it has stopped reading: it ends at once
        }
        lines
    }

    /// Waits (at most TIMEOUT) for the program to end; its status and stderr.
    fn finish(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the program did not end within {TIMEOUT:?}");
            thread::sleep(Duration::from_millis(10)); // polling an exit, not synchronising
        };
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut stderr).unwrap();
        }
        (status, stderr)
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Exit code 1, no panic, and one line on stderr: the closed stdout.
fn assert_stopped_cleanly(status: ExitStatus, stderr: &str) {
    assert!(!stderr.contains("panicked"), "the program panicked: {stderr}");
    assert_eq!(status.code(), Some(1), "expected exit code 1; stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got {lines:?}");
    assert!(lines[0].starts_with(CLOSED), "{stderr}");
}

/// Accepts one connection, waiting at most TIMEOUT.
fn accept(listener: TcpListener) -> TcpStream {
    let (sender, receiver) = channel();
    thread::spawn(move || {
        let _ = sender.send(listener.accept());
    });
    let (stream, _) = receiver.recv_timeout(TIMEOUT).unwrap().unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

#[test]
fn frame_server_stops_when_its_log_can_no_longer_be_written() {
    let _turn = one_at_a_time();
    let mut command = Command::new(SERVER);
    command.arg("127.0.0.1:0");
    let mut server = Server::spawn_closing_stdout(command);
    // Each frame is a log line; one of the first ones fails and ends the server.
    let mut stream = testkit::connect(server.address());
    for _ in 0..100 {
        let echoed = write_frame(&mut stream, b"anyone reading?")
            .and_then(|()| read_frame(&mut stream, DEFAULT_MAX_FRAME));
        if !matches!(echoed, Ok(Some(_))) {
            break;
        }
    }
    let status = server.wait_for_exit();
    let line = server.stderr_line();
    assert!(line.starts_with(CLOSED), "{line}");
    assert_eq!(status.code(), Some(1), "{line}");
}

#[test]
fn frame_client_stops_when_stdout_closes_after_the_first_line() {
    let _turn = one_at_a_time();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let mut client = Program::start(CLIENT, &[&address, "one"], 1);
    let mut stream = accept(listener);
    let frame = read_frame(&mut stream, DEFAULT_MAX_FRAME).unwrap().unwrap();
    assert_eq!(client.first_lines(), ["Sent: one"]);
    // stdout is closed now: the echo makes the client print its next line.
    write_frame(&mut stream, &frame).unwrap();
    let (status, stderr) = client.finish();
    assert_stopped_cleanly(status, &stderr);
}

#[test]
fn bad_client_stops_when_stdout_closes_after_the_first_line() {
    let _turn = one_at_a_time();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let mut client = Program::start(testkit::example("bad-client"), &[&address, "stall"], 1);
    let stream = accept(listener);
    assert_eq!(client.first_lines(), ["Sent 3 of 10 promised bytes, now waiting"]);
    // Closing makes it print "The server closed the connection".
    stream.shutdown(Shutdown::Both).unwrap();
    let (status, stderr) = client.finish();
    assert_stopped_cleanly(status, &stderr);
}

#[test]
fn stream_demo_stops_when_stdout_is_closed() {
    let _turn = one_at_a_time();
    let (status, stderr) = Program::start(DEMO, &[], 0).finish();
    assert_stopped_cleanly(status, &stderr);
}

#[test]
fn the_examples_and_help_texts_stop_when_stdout_is_closed() {
    let _turn = one_at_a_time();
    let frame_bytes = testkit::example("frame-bytes");
    let bad_client = testkit::example("bad-client");
    let programs: [(&std::path::Path, &[&str]); 5] = [
        (frame_bytes.as_ref(), &[]),
        (bad_client.as_ref(), &[]), // no arguments: the usage
        (SERVER.as_ref(), &["--help"]),
        (CLIENT.as_ref(), &["--help"]),
        (DEMO.as_ref(), &["-h"]),
    ];
    for (program, args) in programs {
        let (status, stderr) = Program::start(program, args, 0).finish();
        assert_stopped_cleanly(status, &stderr);
    }
}

/// Not stdout, but its neighbour: a program whose stderr is closed as well
/// has nobody left to tell why it stops, and still must not panic.
#[test]
fn a_closed_stderr_as_well_is_no_panic() {
    let _turn = one_at_a_time();
    let (stdout, stdout_writer) = std::io::pipe().unwrap();
    let (stderr, stderr_writer) = std::io::pipe().unwrap();
    drop((stdout, stderr));
    let child = Command::new(DEMO)
        .arg("--fast") // an unknown argument: an error for the closed stderr
        .stdin(Stdio::null())
        .stdout(stdout_writer)
        .stderr(stderr_writer)
        .spawn()
        .unwrap();
    let (status, _) = Program { child, lines: channel().1, reader: None }.finish();
    assert_eq!(status.code(), Some(1), "a panic exits with 101");
}

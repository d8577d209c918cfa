//! The real frame-server and frame-client binaries over loopback: echoes,
//! bad clients (stalled, reset, truncated, oversized, garbage) and start-up errors.
#![allow(clippy::unwrap_used)] // helpers fail the test by panicking, like the tests
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use assert_cmd::Command;
use framing::{DEFAULT_MAX_FRAME, read_frame, write_frame};
use predicates::prelude::*;
use socket2::SockRef;
use testkit::{Server, TIMEOUT};

const SERVER: &str = env!("CARGO_BIN_EXE_frame-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_frame-client");

fn start(extra: &[&str]) -> Server {
    let mut args = vec!["127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start(SERVER, args)
}

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&address, TIMEOUT).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// Sends one frame on a new connection and checks the echo.
fn assert_echoes(address: SocketAddr, payload: &[u8]) {
    let mut stream = connect(address);
    write_frame(&mut stream, payload).unwrap();
    let echo = read_frame(&mut stream, DEFAULT_MAX_FRAME).unwrap();
    assert_eq!(echo.as_deref(), Some(payload));
}

/// Reads until the server ends the connection; panics if it sends data or waits too long.
fn assert_closed_by_server(stream: &mut TcpStream) {
    let mut buffer = [0u8; 64];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return,
            Err(error) if error.kind() == ErrorKind::ConnectionReset => return,
            // A signal: assert_cmd's timeouts install a SIGCHLD handler, and a
            // read with a timeout is never restarted after one (signal(7)).
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            other => panic!("expected the server to close the connection, got {other:?}"),
        }
    }
}

/// A header promising 10 bytes, followed by only 3 of them.
fn half_frame() -> Vec<u8> {
    [&10u32.to_be_bytes()[..], b"Hel"].concat()
}

#[test]
fn echoes_several_frames_on_one_connection_in_order() {
    let server = start(&[]);
    let mut stream = connect(server.address());
    let big = vec![b'z'; 100_000];
    let payloads: [&[u8]; 4] = [b"Hello, Server!", b"", &big, b"Bye!"];
    // All frames first, then all echoes: they travel as one stream of bytes.
    for payload in payloads {
        write_frame(&mut stream, payload).unwrap();
    }
    for payload in payloads {
        let echo = read_frame(&mut stream, DEFAULT_MAX_FRAME).unwrap();
        assert_eq!(echo.as_deref(), Some(payload));
    }
    let client = stream.local_addr().unwrap();
    assert_eq!(server.stdout_line(), format!("Connected by {client}"));
    assert_eq!(
        server.stdout_line(),
        format!("Received from {client}: \"Hello, Server!\" (14 bytes)")
    );
    assert_eq!(server.stdout_line(), format!("Received from {client}: \"\" (0 bytes)"));
    let long = format!("Received from {client}: \"{}\"… (100000 bytes)", "z".repeat(40));
    assert_eq!(server.stdout_line(), long);
    assert_eq!(server.stdout_line(), format!("Received from {client}: \"Bye!\" (4 bytes)"));
    drop(stream);
    assert_eq!(server.stdout_line(), format!("Closed by {client}"));
}

#[test]
fn a_python_client_speaks_the_same_protocol() {
    let Some(python) = testkit::python3() else { return };
    let server = start(&[]);
    // The frame format written from scratch with `struct`: big-endian u32 + payload.
    let script = r#"
import socket, struct, sys
def recv_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            sys.exit("connection closed mid-frame")
        data += chunk
    return data
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
for message in ["Hello from Python", "", "第一帧"]:
    payload = message.encode()
    sock.sendall(struct.pack(">I", len(payload)) + payload)
echoes = []
for _ in range(3):
    (length,) = struct.unpack(">I", recv_exact(sock, 4))
    echoes.append(recv_exact(sock, length).decode())
print(" | ".join(ascii(echo) for echo in echoes))  # ASCII: any console encoding
"#;
    Command::new(python)
        .args(["-c", script, &server.address().port().to_string()])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(predicate::str::contains(r"'Hello from Python' | '' | '\u7b2c\u4e00\u5e27'"));
    server.stdout_line_containing("\"第一帧\" (9 bytes)");
}

#[test]
fn frame_client_sends_its_messages_and_prints_the_echoes() {
    let server = start(&[]);
    let address = server.address().to_string();
    Command::new(CLIENT)
        .args([&address, "one", "two words", ""])
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(
            "Sent: one\nSent: two words\nSent: \nReceived: one\nReceived: two words\nReceived: \n",
        );
    Command::new(CLIENT)
        .arg(&address)
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(predicate::str::contains("Received: Hello, Server!\n"));
}

#[test]
fn a_stalled_client_is_dropped_while_others_are_served() {
    let server = start(&["--timeout", "3"]);
    let mut stalled = connect(server.address());
    stalled.write_all(&half_frame()).unwrap();
    let stalled_addr = stalled.local_addr().unwrap();

    // Another client is served while the first one is stuck mid-frame...
    assert_echoes(server.address(), b"not blocked");
    // ...and the stalled one is still connected: the server did not wait for
    // it to time out before serving the other (an iterative server would have).
    stalled.set_nonblocking(true).unwrap();
    let mut buffer = [0u8; 16];
    let still_open = stalled.read(&mut buffer).map_err(|error| error.kind());
    assert_eq!(still_open, Err(ErrorKind::WouldBlock), "stalled client already dropped");
    stalled.set_nonblocking(false).unwrap();

    // Then the read timeout drops it.
    assert_closed_by_server(&mut stalled);
    let line = server.stderr_line_containing(&stalled_addr.to_string());
    assert_eq!(
        line,
        format!(
            "error: client {stalled_addr}: no complete frame within 3s, dropping the connection"
        )
    );
}

#[test]
fn a_client_that_never_reads_its_echoes_is_dropped() {
    let mut server = start(&["--timeout", "1"]);
    let stream = connect(server.address());
    let client = stream.local_addr().unwrap();
    // Send 1 MiB frames without reading a single echo, until the server gives
    // up: its echoes fill our receive buffer, then its send buffer, then its
    // write times out. Bounded: at most 256 MiB, each write at most TIMEOUT.
    let writer = std::thread::spawn(move || {
        let mut stream = stream;
        let frame = vec![b'w'; DEFAULT_MAX_FRAME];
        for _ in 0..256 {
            if write_frame(&mut stream, &frame).is_err() {
                return;
            }
        }
        panic!("the server kept taking frames that were never read");
    });
    let line = server.stderr_line_containing(&client.to_string());
    assert_eq!(
        line,
        format!("error: client {client}: echo not taken within 1s, dropping the connection")
    );
    writer.join().unwrap();
    assert_echoes(server.address(), b"still here");
    server.assert_running();
}

#[test]
fn a_client_reset_mid_frame_is_logged_and_the_server_goes_on() {
    let mut server = start(&[]);
    let stream = connect(server.address());
    let client = stream.local_addr().unwrap();
    let mut writer = &stream;
    writer.write_all(&half_frame()).unwrap();
    SockRef::from(&stream).set_linger(Some(Duration::ZERO)).unwrap();
    drop(stream); // linger 0: RST instead of FIN
    let line = server.stderr_line_containing(&client.to_string());
    assert!(line.starts_with(&format!("error: client {client}: cannot read a frame: ")), "{line}");
    assert_echoes(server.address(), b"still here");
    server.assert_running();
}

#[test]
fn a_connection_closed_mid_payload_is_an_error() {
    let server = start(&[]);
    let mut stream = connect(server.address());
    stream.write_all(&half_frame()).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    assert_closed_by_server(&mut stream);
    let client = stream.local_addr().unwrap();
    assert_eq!(
        server.stderr_line(),
        format!(
            "error: client {client}: cannot read a frame: connection closed in the middle of a 10-byte payload"
        )
    );
}

#[test]
fn a_connection_closed_mid_header_is_an_error() {
    let server = start(&[]);
    let mut stream = connect(server.address());
    stream.write_all(&[0, 0]).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    assert_closed_by_server(&mut stream);
    let client = stream.local_addr().unwrap();
    assert_eq!(
        server.stderr_line(),
        format!(
            "error: client {client}: cannot read a frame: connection closed after 2 of 4 length bytes"
        )
    );
}

/// The server under a 512 MiB address-space limit where the platform has
/// one (Linux): had it allocated the declared 4 GiB, it would have aborted.
/// (`tests/memory.rs` measures, on every OS, what a frame within the
/// maximum costs before its payload has arrived.)
fn start_with_little_memory() -> Server {
    if cfg!(target_os = "linux") {
        let mut command = std::process::Command::new("sh");
        command.args(["-c", "ulimit -v 524288 && exec \"$0\" 127.0.0.1:0"]).arg(SERVER);
        Server::spawn(command)
    } else {
        start(&[])
    }
}

#[test]
fn a_declared_length_above_the_maximum_is_rejected_without_allocating() {
    let mut server = start_with_little_memory();
    let mut stream = connect(server.address());
    stream.write_all(&u32::MAX.to_be_bytes()).unwrap();
    assert_closed_by_server(&mut stream);
    let client = stream.local_addr().unwrap();
    assert_eq!(
        server.stderr_line(),
        format!(
            "error: client {client}: cannot read a frame: frame of 4294967295 bytes exceeds the maximum of 1048576 bytes"
        )
    );
    assert_echoes(server.address(), b"still here");
    server.assert_running();
}

#[test]
fn the_maximum_can_be_set_and_is_inclusive() {
    let server = start(&["--max", "16"]);
    assert_echoes(server.address(), &[7u8; 16]);
    let mut stream = connect(server.address());
    write_frame(&mut stream, &[7u8; 17]).unwrap();
    assert_closed_by_server(&mut stream);
    let line = server.stderr_line_containing("exceeds");
    assert!(line.ends_with("frame of 17 bytes exceeds the maximum of 16 bytes"), "{line}");
}

#[test]
fn garbage_is_rejected_and_the_server_survives() {
    let mut server = start(&[]);
    let mut stream = connect(server.address());
    stream.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    assert_closed_by_server(&mut stream);
    let line = server.stderr_line_containing("exceeds");
    assert!(line.ends_with("frame of 1195725856 bytes exceeds the maximum of 1048576 bytes"));
    assert_echoes(server.address(), b"still here");
    server.assert_running();
}

#[test]
fn the_bad_client_example_breaks_the_protocol_in_every_mode() {
    let mut server = start(&["--timeout", "1"]);
    let address = server.address().to_string();
    let expected = [
        ("oversized", "exceeds the maximum"),
        ("half", "in the middle of a 10-byte payload"),
        ("stall", "no complete frame within 1s"),
        ("reset", "cannot read a frame"),
        ("garbage", "frame of 1195725856 bytes"),
    ];
    for (mode, logged) in expected {
        Command::new(testkit::example("bad-client"))
            .args([&address, mode])
            .timeout(TIMEOUT)
            .assert()
            .success()
            .stdout(predicate::str::starts_with("Sent "));
        server.stderr_line_containing(logged);
    }
    assert_echoes(server.address(), b"still here");
    server.assert_running();
}

#[test]
fn a_bad_address_is_reported() {
    Command::new(SERVER)
        .arg("nonsense")
        .timeout(TIMEOUT)
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("error: invalid address \"nonsense\""));
}

#[test]
fn a_port_in_use_is_reported() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    Command::new(SERVER)
        .arg(address.to_string())
        .timeout(TIMEOUT)
        .assert()
        .failure()
        .stderr(predicate::str::starts_with(format!(
            "error: cannot listen on {address} (is another frame-server running? try another port): "
        )));
}

#[test]
fn bad_options_are_reported() {
    for (args, message) in [
        (&["--timeout", "soon"][..], "error: invalid --timeout \"soon\""),
        (&["--timeout", "-1"][..], "error: invalid --timeout \"-1\""),
        (&["--max", "lots"][..], "error: invalid --max \"lots\""),
        (&["--max"][..], "error: --max needs a number of bytes"),
        (&["--max-clients", "0"][..], "error: invalid --max-clients \"0\" (expected 1 to 4096"),
        (&["--max-clients", "1e6"][..], "error: invalid --max-clients \"1e6\""),
        (&["--verbose"][..], "error: unknown option \"--verbose\""),
    ] {
        Command::new(SERVER)
            .args(args)
            .timeout(TIMEOUT)
            .assert()
            .failure()
            .stderr(predicate::str::starts_with(message));
    }
}

#[test]
fn timeouts_a_socket_cannot_take_are_refused_at_start() {
    // Each of these used to start a server that then failed every client
    // ("cannot set a 0 duration timeout") or never dropped a stalled one.
    for (timeout, cause) in [
        ("0", "a timeout must be more than 0"),
        ("-0.5", "a timeout must be more than 0"),
        ("1e-10", "0.0000000001 s rounds to 0 ms, and sockets count timeouts in milliseconds"),
        ("0.0004", "0.0004 s rounds to 0 ms"),
        ("NaN", "not a number"),
        ("inf", "longer than an hour"),
        ("3601", "longer than an hour"),
    ] {
        // Bounded: a server that accepted the timeout would run until killed.
        let output = Command::new(SERVER)
            .args(["127.0.0.1:0", "--timeout", timeout])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        let expected = format!(
            "invalid --timeout \"{timeout}\" (expected seconds from 0.001 to 3600, e.g. 5 or 0.5): {cause}"
        );
        testkit::assert_clean_failure(&output, &[&expected]);
        assert!(output.stdout.is_empty(), "{timeout}: the server should not have started");
    }
}

#[test]
fn the_shortest_timeout_is_one_millisecond_and_works() {
    let server = start(&["--timeout", "0.001"]);
    let mut stalled = connect(server.address());
    stalled.write_all(&half_frame()).unwrap();
    assert_closed_by_server(&mut stalled);
    server.stderr_line_containing("no complete frame within 1ms");
}

#[test]
fn clients_beyond_max_clients_are_refused_and_a_freed_place_is_reused() {
    let server = start(&["--max-clients", "1"]);
    // The first client takes the only place: its echo proves it is being served.
    let mut first = connect(server.address());
    write_frame(&mut first, b"first").unwrap();
    assert_eq!(read_frame(&mut first, DEFAULT_MAX_FRAME).unwrap().as_deref(), Some(&b"first"[..]));
    let first_addr = first.local_addr().unwrap();

    // The second is refused at once: closed without an echo, and the log says why.
    let mut second = connect(server.address());
    let second_addr = second.local_addr().unwrap();
    write_frame(&mut second, b"second").unwrap();
    assert_closed_by_server(&mut second);
    assert_eq!(
        server.stderr_line(),
        format!("error: client {second_addr}: refused, the server is full (--max-clients 1)")
    );

    // When the first one leaves, its place is free before the log says so.
    drop(first);
    server.stdout_line_containing(&format!("Closed by {first_addr}"));
    assert_echoes(server.address(), b"third");
}

#[test]
fn control_characters_from_a_client_are_escaped_in_the_log() {
    let server = start(&[]);
    let mut stream = connect(server.address());
    let client = stream.local_addr().unwrap();
    // Clear the screen, retitle the window, ring the bell, return the carriage,
    // and the one-character CSI (U+009B) some terminals obey too.
    let nasty = "\x1b[2J\x1b]0;owned\x07\r\u{9b}".as_bytes();
    write_frame(&mut stream, nasty).unwrap();
    assert_eq!(read_frame(&mut stream, DEFAULT_MAX_FRAME).unwrap().as_deref(), Some(nasty));
    let line = server.stdout_line_containing("Received from");
    assert_eq!(
        line,
        format!(
            r#"Received from {client}: "\u{{1b}}[2J\u{{1b}}]0;owned\u{{7}}\r\u{{9b}}" (17 bytes)"#
        )
    );
}

#[test]
fn frame_client_escapes_control_characters_in_what_it_prints() {
    // A server that answers any frame with escape sequences instead of the echo.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        read_frame(&mut stream, DEFAULT_MAX_FRAME).unwrap();
        write_frame(&mut stream, "\x1b[2J\x1b]0;owned\x07\u{9b}31m".as_bytes()).unwrap();
    });
    let output = Command::new(CLIENT)
        .args([&address.to_string(), "tab\there"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    server.join().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.chars().any(|c| c.is_control() && c != '\n'), "raw control bytes: {stdout:?}");
    assert_eq!(stdout, "Sent: tab\\there\nReceived: \\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{9b}31m\n");
}

#[test]
fn help_is_printed_on_request() {
    for (program, path) in [("frame-server", SERVER), ("frame-client", CLIENT)] {
        Command::new(path)
            .arg("--help")
            .timeout(TIMEOUT)
            .assert()
            .success()
            .stdout(predicate::str::starts_with(format!("usage: {program}")));
    }
}

#[test]
fn the_client_reports_a_server_that_is_not_there() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // closed again
    Command::new(CLIENT)
        .arg(free.to_string())
        .timeout(TIMEOUT)
        .assert()
        .failure()
        .stderr(predicate::str::starts_with(format!("error: cannot connect to {free}")));
}

#[test]
fn the_client_reports_a_server_that_hangs_up() {
    // A listener that accepts and closes at once, like a server rejecting us.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let closer = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        drop(stream);
    });
    Command::new(CLIENT)
        .args([&address.to_string(), "anyone there?"])
        .timeout(TIMEOUT)
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("error: "));
    closer.join().unwrap();
}

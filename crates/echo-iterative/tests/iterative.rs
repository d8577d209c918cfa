//! The first rung, driven in-process through `run_with` and as a process.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use echo_iterative::{Config, Shutdown, cli, fnv1a64, run_with};
use testkit::{Server, TIMEOUT, connect, round_trip};

/// Starts the server in a thread on 127.0.0.1:0; stops and joins it on drop.
struct InProcess {
    address: std::net::SocketAddr,
    shutdown: Shutdown,
    thread: Option<thread::JoinHandle<anyhow::Result<()>>>,
}

impl InProcess {
    fn start(config: Config) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let stopper = shutdown.clone();
        let thread = thread::spawn(move || run_with(listener, stopper, &config));
        Self { address, shutdown, thread: Some(thread) }
    }

    fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.request();
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.shutdown.request();
    }
}

fn quiet() -> Config {
    Config { log: false, ..Config::default() }
}

#[test]
fn echoes_bytes_until_the_client_closes() {
    let server = InProcess::start(quiet());
    let mut client = connect(server.address);
    round_trip(&mut client, b"hello");
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    // Write and read at the same time: 200 kB does not fit in the socket buffers.
    let mut writer = client.try_clone().unwrap();
    let sent = big.clone();
    let writing = thread::spawn(move || writer.write_all(&sent).unwrap());
    let mut reply = vec![0; big.len()];
    client.read_exact(&mut reply).unwrap();
    writing.join().unwrap();
    assert!(reply == big, "a large message came back changed");
    drop(client);
    server.stop().unwrap();
}

#[test]
fn a_connected_client_stalls_the_next_one() {
    let server = InProcess::start(quiet());
    let mut first = connect(server.address);
    round_trip(&mut first, b"first"); // the server is now busy with `first`

    let mut second = connect(server.address); // completes: the kernel queues it
    second.write_all(b"second").unwrap();
    // While `first` stays connected, `second` gets nothing. This wait cannot
    // make a correct server fail; a concurrent server answers within it.
    second.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut reply = [0u8; 6];
    let stalled = loop {
        match second.read(&mut reply) {
            // A read with a timeout is not restarted after a signal: try again.
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            read => break read.unwrap_err(),
        }
    };
    assert!(echo_iterative::is_timeout(&stalled), "unexpected error {stalled}");
    round_trip(&mut first, b"still mine");

    drop(first); // now the server moves on to `second`
    second.set_read_timeout(Some(TIMEOUT)).unwrap();
    second.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"second");
    drop(second);
    server.stop().unwrap();
}

#[test]
fn a_silent_client_is_dropped_after_the_idle_timeout() {
    let config = Config { idle_timeout: Duration::from_millis(200), ..quiet() };
    let server = InProcess::start(config);
    let mut silent = connect(server.address);
    let mut next = connect(server.address);
    next.write_all(b"next").unwrap();
    // The server gives up on `silent` and closes it: we read end-of-stream.
    let mut byte = [0u8; 1];
    assert_eq!(silent.read(&mut byte).unwrap(), 0);
    let mut reply = [0u8; 4];
    next.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"next");
    drop(next);
    server.stop().unwrap();
}

#[test]
fn checksum_service_answers_each_frame() {
    let config = Config { service: echo_iterative::Service::Checksum, ..quiet() };
    let server = InProcess::start(config);
    let mut client = connect(server.address);
    for payload in [&b""[..], b"a", &[7u8; 16 * 1024]] {
        client.write_all(&(payload.len() as u32).to_be_bytes()).unwrap();
        client.write_all(payload).unwrap();
        let mut answer = [0u8; 8];
        client.read_exact(&mut answer).unwrap();
        assert_eq!(u64::from_be_bytes(answer), fnv1a64(payload));
    }
    // A length over the limit is a bad client: it is closed, the server goes on.
    client.write_all(&u32::MAX.to_be_bytes()).unwrap();
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest); // EOF or reset, both mean "closed"
    assert!(rest.is_empty());
    let mut other = connect(server.address);
    other.write_all(&1u32.to_be_bytes()).unwrap();
    other.write_all(b"a").unwrap();
    let mut answer = [0u8; 8];
    other.read_exact(&mut answer).unwrap();
    assert_eq!(u64::from_be_bytes(answer), fnv1a64(b"a"));
    drop(other);
    server.stop().unwrap();
}

#[test]
fn fnv1a64_matches_the_reference_values() {
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn shutdown_requested_before_run_stops_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let shutdown = Shutdown::new();
    shutdown.request();
    run_with(listener, shutdown, &quiet()).unwrap();
}

#[test]
fn cli_parses_flags_and_rejects_bad_input() {
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let parsed = cli::parse("u", "127.0.0.1:7001", args(&["-q", "[::1]:9"])).unwrap().unwrap();
    assert_eq!(parsed.address.to_string(), "[::1]:9");
    assert!(!parsed.config.log);
    let error = cli::parse("u", "127.0.0.1:7001", args(&["nowhere"])).unwrap_err();
    assert!(format!("{error:#}").contains("invalid address \"nowhere\""));
    assert!(cli::parse("u", "127.0.0.1:7001", args(&["--bogus"])).is_err());
    assert!(cli::parse("u", "127.0.0.1:7001", args(&["a", "b"])).is_err());
}

#[test]
fn process_prints_listening_then_connected_and_echoes() {
    let server = Server::start(env!("CARGO_BIN_EXE_echo-iterative"), ["127.0.0.1:0"]);
    let mut client = connect(server.address());
    round_trip(&mut client, b"ping");
    assert!(server.stdout_line().starts_with("Connected by 127.0.0.1:"));
    drop(client);
    assert!(server.stdout_line().starts_with("Closed 127.0.0.1:"));
}

#[test]
fn port_in_use_is_one_error_line_with_a_hint() {
    testkit::assert_port_in_use(
        std::path::Path::new(env!("CARGO_BIN_EXE_echo-iterative")),
        "echo-iterative",
    );
}

#[test]
fn bad_address_and_help() {
    let program = std::path::Path::new(env!("CARGO_BIN_EXE_echo-iterative"));
    testkit::assert_rejects_bad_addresses(program, &["127.0.0.1"]);
    testkit::assert_usage(program, "usage: echo-iterative");
}

#[test]
fn a_reset_client_does_not_stop_the_server() {
    let server = Server::start(env!("CARGO_BIN_EXE_echo-iterative"), ["127.0.0.1:0"]);
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.connect(&server.address().into()).unwrap();
    let mut rude = TcpStream::from(socket);
    round_trip(&mut rude, b"half");
    socket2::SockRef::from(&rude).set_linger(Some(Duration::ZERO)).unwrap();
    rude.write_all(b"more").unwrap();
    drop(rude); // SO_LINGER 0: close sends RST instead of FIN
    // The server notices the reset as an error for that client only...
    let line = server.stderr_line_containing("error: client 127.0.0.1:");
    assert_eq!(line.lines().count(), 1);
    // ...and goes on serving.
    let mut client = connect(server.address());
    round_trip(&mut client, b"still there");
}

#[test]
fn shutdown_during_a_conversation_lets_it_finish() {
    // In-process, so it runs on every OS: the rung has no Ctrl-C handler.
    let server = InProcess::start(quiet());
    let mut client = connect(server.address);
    round_trip(&mut client, b"before");
    let stopper = server.shutdown.clone();
    let stopping = thread::spawn(move || stopper.request()); // its wake-up call waits in the backlog
    round_trip(&mut client, b"after the request");
    drop(client);
    stopping.join().unwrap();
    server.stop().unwrap();
}

#[test]
fn shutdown_fail_stops_the_server_with_that_error() {
    let server = InProcess::start(quiet());
    let mut client = connect(server.address);
    round_trip(&mut client, b"served");
    drop(client);
    server.shutdown.fail(anyhow::anyhow!("cannot write to standard output"));
    let error = server.stop().unwrap_err();
    assert_eq!(error.to_string(), "cannot write to standard output");
}

#[test]
fn a_closed_stdout_stops_the_server_with_one_error_line() {
    // `echo-iterative | head -1`: `Connected by` cannot be printed any more.
    testkit::assert_server_stops_on_closed_stdout(
        env!("CARGO_BIN_EXE_echo-iterative"),
        &["127.0.0.1:0"],
    );
}

#[test]
fn usage_and_listening_line_on_a_closed_stdout_are_one_error_line() {
    testkit::assert_first_line_on_closed_stdout_is_one_error(
        env!("CARGO_BIN_EXE_echo-iterative"),
        &[&["--help"], &["127.0.0.1:0"]],
    );
}

#[test]
fn control_bytes_from_a_client_never_reach_the_log() {
    // The log names peers, never their bytes: a client cannot send escape
    // sequences (clear the screen, retitle the window) to the server's terminal.
    let hostile = b"\x1b[2J\x1b]0;owned\x07\r\n\x08\x00 bye";
    let server = Server::start(env!("CARGO_BIN_EXE_echo-iterative"), ["127.0.0.1:0"]);
    let mut client = connect(server.address());
    round_trip(&mut client, hostile);
    drop(client);
    let mut lines = vec![server.stdout_line(), server.stdout_line()]; // Connected by, Closed
    // As a checksum frame the same bytes are a huge length prefix: a bad client.
    let server = Server::start(env!("CARGO_BIN_EXE_echo-iterative"), ["--checksum", "127.0.0.1:0"]);
    let mut client = connect(server.address());
    client.write_all(hostile).unwrap();
    let _ = client.read(&mut [0u8; 8]); // closed: end of stream or reset
    lines.push(server.stderr_line_containing("error: client"));
    for line in &lines {
        assert!(!line.chars().any(char::is_control), "control characters in {line:?}");
    }
}

#[cfg(unix)]
#[test]
fn out_of_file_descriptors_the_accept_loop_pauses_instead_of_spinning() {
    // 4 = stdin, stdout, stderr and the listener: not one left for a client
    // (this rung holds at most one, and accepts only when it has none).
    testkit::assert_accept_loop_pauses_out_of_descriptors(
        env!("CARGO_BIN_EXE_echo-iterative"),
        4,
        3,
        false,
    );
}

//! The tokio rung, driven in-process through `run_with` and as a process.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::net::SocketAddr;
use std::time::Duration;

use echo_async::{Config, Service, run_with};
use testkit::TIMEOUT;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

struct Running {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<u64>>,
}

async fn start(config: Config) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run_with(listener, stopped, config));
    Running { address, stop, task }
}

impl Running {
    async fn stop(self) -> u64 {
        self.stop.send(()).unwrap();
        timeout(TIMEOUT, self.task).await.unwrap().unwrap().unwrap()
    }
}

fn quiet() -> Config {
    Config { log: false, ..Config::default() }
}

async fn connect(address: SocketAddr) -> TcpStream {
    timeout(TIMEOUT, TcpStream::connect(address)).await.unwrap().unwrap()
}

async fn round_trip(stream: &mut TcpStream, message: &[u8]) {
    stream.write_all(message).await.unwrap();
    let mut reply = vec![0; message.len()];
    timeout(TIMEOUT, stream.read_exact(&mut reply)).await.unwrap().unwrap();
    assert_eq!(reply, message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_times_out_and_others_are_unaffected() {
    let server = start(Config { idle_timeout: Duration::from_millis(300), ..quiet() }).await;
    let mut silent = connect(server.address).await;
    let closed = tokio::spawn(async move { silent.read(&mut [0u8; 1]).await });
    // Keep `busy` talking until the server closes `silent`.
    let mut busy = connect(server.address).await;
    let mut round_trips = 0;
    while !closed.is_finished() {
        round_trip(&mut busy, b"busy").await;
        round_trips += 1;
    }
    let read = timeout(TIMEOUT, closed).await.unwrap().unwrap();
    assert_eq!(read.unwrap(), 0, "the server should close a silent client");
    assert!(round_trips > 0);
    round_trip(&mut busy, b"still served").await;
    drop(busy);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reset_mid_stream_does_not_disturb_others() {
    let server = start(quiet()).await;
    let mut other = connect(server.address).await;
    let rude = connect(server.address).await;
    let mut rude = {
        let std_stream = rude.into_std().unwrap();
        socket2::SockRef::from(&std_stream).set_linger(Some(Duration::ZERO)).unwrap();
        TcpStream::from_std(std_stream).unwrap()
    };
    round_trip(&mut rude, b"half").await;
    rude.write_all(&[7; 5000]).await.unwrap();
    drop(rude); // SO_LINGER 0: RST
    round_trip(&mut other, b"unaffected").await;
    let mut fresh = connect(server.address).await;
    round_trip(&mut fresh, b"new clients too").await;
    drop((other, fresh));
    assert_eq!(server.stop().await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_connected_clients_finish() {
    let Running { address, stop, task } = start(quiet()).await;
    let mut client = connect(address).await;
    round_trip(&mut client, b"before").await;
    stop.send(()).unwrap();
    round_trip(&mut client, b"after the request").await;
    assert!(!task.is_finished(), "the server must wait for its client");
    drop(client);
    assert_eq!(timeout(TIMEOUT, task).await.unwrap().unwrap().unwrap(), 1);
    assert!(TcpStream::connect(address).await.is_err(), "still listening");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksum_service_answers_each_frame() {
    let server = start(Config { service: Service::Checksum, ..quiet() }).await;
    let mut client = connect(server.address).await;
    for payload in [&b""[..], b"abc", &[9u8; 16 * 1024]] {
        client.write_all(&(payload.len() as u32).to_be_bytes()).await.unwrap();
        client.write_all(payload).await.unwrap();
        let mut answer = [0u8; 8];
        timeout(TIMEOUT, client.read_exact(&mut answer)).await.unwrap().unwrap();
        assert_eq!(u64::from_be_bytes(answer), echo_iterative::fnv1a64(payload));
    }
    drop(client);
    server.stop().await;
}

// Unix only: sending a Windows console program its Ctrl-C takes
// GenerateConsoleCtrlEvent, a call into kernel32 that needs `unsafe`, which
// this workspace forbids. On every OS the same shutdown is tested in-process:
// `shutdown_during_load_lets_every_connected_client_finish`.
#[cfg(unix)]
#[test]
fn ctrl_c_during_load_lets_clients_finish_and_exits_0() {
    let mut server =
        testkit::Server::start(env!("CARGO_BIN_EXE_echo-async"), ["--quiet", "127.0.0.1:0"]);
    let clients = testkit::BusyClients::connect(server.address(), 10);
    let killed =
        std::process::Command::new("kill").args(["-INT", &server.id().to_string()]).status();
    assert!(killed.unwrap().success());
    server.stdout_line_containing("Shutting down");
    clients.finish(); // every round trip after Ctrl-C succeeded
    assert!(server.wait_for_exit().success());
    assert_eq!(server.stdout_line(), "Stopped: served 10 connections");
}

#[test]
fn port_in_use_bad_address_and_help() {
    let program = std::path::Path::new(env!("CARGO_BIN_EXE_echo-async"));
    testkit::assert_port_in_use(program, "echo-async");
    testkit::assert_rejects_bad_addresses(program, &["127.0.0.1:99999"]);
    testkit::assert_usage(program, "usage: echo-async");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_during_load_lets_every_connected_client_finish() {
    // What Ctrl-C does, driven in-process so it runs on every OS.
    let Running { address, stop, task } = start(quiet()).await;
    let mut clients = Vec::new();
    for _ in 0..10 {
        let mut client = connect(address).await;
        round_trip(&mut client, b"connected").await; // each has its task now
        clients.push(client);
    }
    stop.send(()).unwrap();
    let talking: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(number, mut client)| {
            tokio::spawn(async move {
                for round in 0..100 {
                    let message = format!("client {number} round {round}");
                    round_trip(&mut client, message.as_bytes()).await;
                }
            })
        })
        .collect();
    for client in talking {
        timeout(TIMEOUT, client).await.unwrap().unwrap(); // every round trip succeeded
    }
    assert_eq!(timeout(TIMEOUT, task).await.unwrap().unwrap().unwrap(), 10);
    assert!(TcpStream::connect(address).await.is_err(), "still listening");
}

#[test]
fn a_closed_stdout_stops_the_server_with_one_error_line() {
    // `echo-async | head -1`: `Connected by` cannot be printed any more.
    testkit::assert_server_stops_on_closed_stdout(
        env!("CARGO_BIN_EXE_echo-async"),
        &["127.0.0.1:0"],
    );
}

#[cfg(unix)] // Ctrl-C from a test: see ctrl_c_during_load_lets_clients_finish_and_exits_0
#[test]
fn ctrl_c_with_a_closed_stdout_still_shuts_down_gracefully() {
    testkit::assert_ctrl_c_with_a_closed_stdout_shuts_down(env!("CARGO_BIN_EXE_echo-async"));
}

#[test]
fn usage_and_listening_line_on_a_closed_stdout_are_one_error_line() {
    testkit::assert_first_line_on_closed_stdout_is_one_error(
        env!("CARGO_BIN_EXE_echo-async"),
        &[&["--help"], &["127.0.0.1:0"]],
    );
}

#[test]
fn control_bytes_from_a_client_never_reach_the_log() {
    // The log names peers, never their bytes (see the same test in echo-iterative).
    use std::io::{Read, Write};
    let hostile = b"\x1b[2J\x1b]0;owned\x07\r\n\x08\x00 bye";
    let program = env!("CARGO_BIN_EXE_echo-async");
    let server = testkit::Server::start(program, ["127.0.0.1:0"]);
    let mut client = testkit::connect(server.address());
    testkit::round_trip(&mut client, hostile);
    drop(client);
    let mut lines = vec![server.stdout_line(), server.stdout_line()]; // Connected by, Closed
    // As a checksum frame the same bytes are a huge length prefix: a bad client.
    let server = testkit::Server::start(program, ["--checksum", "127.0.0.1:0"]);
    let mut client = testkit::connect(server.address());
    client.write_all(hostile).unwrap();
    let _ = client.read(&mut [0u8; 8]); // closed: end of stream or reset
    lines.push(server.stderr_line_containing("error: client"));
    for line in &lines {
        assert!(!line.chars().any(char::is_control), "control characters in {line:?}");
    }
}

#[cfg(unix)] // Windows has no per-process descriptor limit to lower
#[test]
fn out_of_file_descriptors_the_accept_loop_pauses_instead_of_spinning() {
    // 24 descriptors, the runtime takes a few, 32 clients: some wait in vain.
    testkit::assert_accept_loop_pauses_out_of_descriptors(
        env!("CARGO_BIN_EXE_echo-async"),
        24,
        32,
        true,
    );
}

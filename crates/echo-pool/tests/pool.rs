//! The pool: bounded threads, bounded queue, clean refusals, graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::io::{Read, Write};
use std::net::{Shutdown as Direction, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use assert_cmd::Command;
use echo_pool::{Config, PoolConfig, Shutdown, Stats, run_with};
use testkit::TIMEOUT;
use testkit::{connect, round_trip};

struct Running {
    address: SocketAddr,
    shutdown: Shutdown,
    thread: thread::JoinHandle<anyhow::Result<Stats>>,
}

fn start(config: PoolConfig) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let stopper = shutdown.clone();
    Running {
        address,
        shutdown,
        thread: thread::spawn(move || run_with(listener, stopper, config)),
    }
}

impl Running {
    fn stop(self) -> Stats {
        self.shutdown.request();
        self.thread.join().unwrap().unwrap()
    }
}

fn quiet() -> Config {
    Config { log: false, ..Config::default() }
}

#[test]
fn a_burst_of_2000_connections_is_served_or_refused_cleanly() {
    let config = PoolConfig {
        workers: 4,
        queue: 4,
        connection: Config { idle_timeout: Duration::from_secs(5), ..quiet() },
    };
    let server = start(config);
    let address = server.address;
    // 8 threads each open 250 connections in waves of 10, as fast as they
    // can: 80 at a time for 8 places (4 workers, 4 in the queue) is a flood,
    // and 160 descriptors (both ends) leave room under macOS's default limit
    // of 256 open files for the tests running beside this one.
    let threads: Vec<_> = (0..8)
        .map(|_| {
            thread::spawn(move || {
                let (mut served, mut refused, mut by_kernel) = (0u64, 0u64, 0u64);
                for _ in 0..25 {
                    // A kernel with a short backlog (macOS) may refuse some itself.
                    let batch: Vec<TcpStream> = (0..10)
                        .filter_map(|_| match TcpStream::connect_timeout(&address, TIMEOUT) {
                            Ok(stream) => Some(stream),
                            Err(_) => {
                                by_kernel += 1;
                                None
                            }
                        })
                        .collect();
                    for mut stream in batch {
                        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
                        // Send one byte and half-close: a worker can finish this
                        // connection without waiting for us.
                        let sent =
                            stream.write_all(b"x").and_then(|()| stream.shutdown(Direction::Write));
                        let mut reply = Vec::new();
                        match sent.and_then(|()| stream.read_to_end(&mut reply)) {
                            Ok(_) if reply == b"x" => served += 1,
                            Ok(_) => {
                                assert!(reply.is_empty(), "garbled reply {reply:?}");
                                refused += 1; // closed at once: end of stream
                            }
                            Err(_) => refused += 1, // closed with our byte unread: reset
                        }
                    }
                }
                (served, refused, by_kernel)
            })
        })
        .collect();
    let (mut served, mut refused, mut by_kernel) = (0, 0, 0);
    for thread in threads {
        let (s, r, k) = thread.join().unwrap();
        served += s;
        refused += r;
        by_kernel += k;
    }
    assert_eq!(served + refused + by_kernel, 2000);
    assert!(refused > 0, "4 workers and a queue of 4 should have refused some of the burst");
    // Still alive and still echoing.
    let mut after = connect(address);
    round_trip(&mut after, b"still here");
    drop(after);
    let stats = server.stop();
    assert_eq!(stats, Stats { served: served + 1, refused });
}

#[test]
fn a_silent_client_times_out_and_gives_its_worker_back() {
    let config = PoolConfig {
        workers: 1,
        queue: 4,
        connection: Config { idle_timeout: Duration::from_millis(300), ..quiet() },
    };
    let server = start(config);
    let mut silent = connect(server.address);
    // The only worker is busy with `silent`: this client waits in the queue...
    let mut next = connect(server.address);
    next.write_all(b"next").unwrap();
    // ...until the idle timeout closes `silent` and frees the worker.
    assert_eq!(silent.read(&mut [0u8; 1]).unwrap(), 0);
    let mut reply = [0u8; 4];
    next.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"next");
    drop(next);
    assert_eq!(server.stop(), Stats { served: 2, refused: 0 });
}

#[test]
fn a_client_reset_mid_stream_frees_its_worker() {
    let server = start(PoolConfig { workers: 1, queue: 1, connection: quiet() });
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.connect(&server.address.into()).unwrap();
    let mut rude = TcpStream::from(socket);
    rude.set_read_timeout(Some(TIMEOUT)).unwrap();
    round_trip(&mut rude, b"half");
    socket2::SockRef::from(&rude).set_linger(Some(Duration::ZERO)).unwrap();
    rude.write_all(&[1; 1000]).unwrap();
    drop(rude); // RST
    // One worker only: this works only if the reset released it.
    let mut client = connect(server.address);
    round_trip(&mut client, b"still served");
    drop(client);
    assert_eq!(server.stop(), Stats { served: 2, refused: 0 });
}

#[test]
fn shutdown_finishes_connected_clients_and_stops_listening() {
    let server = start(PoolConfig { workers: 2, queue: 4, connection: quiet() });
    let mut first = connect(server.address);
    round_trip(&mut first, b"first");
    let mut second = connect(server.address);
    round_trip(&mut second, b"second");
    server.shutdown.request();
    // Both clients were being served before the request: they still are.
    round_trip(&mut first, b"after the request");
    round_trip(&mut second, b"after the request too");
    drop((first, second));
    let stats = server.thread.join().unwrap().unwrap();
    assert_eq!(stats, Stats { served: 2, refused: 0 });
    assert!(TcpStream::connect_timeout(&server.address, TIMEOUT).is_err(), "still listening");
}

// Unix only: sending a Windows console program its Ctrl-C (or Ctrl-Break)
// takes GenerateConsoleCtrlEvent, a call into kernel32 that needs `unsafe`,
// which this workspace forbids. On every OS the same shutdown is tested
// in-process: `shutdown_during_load_lets_connected_and_queued_clients_finish`.
#[cfg(unix)]
#[test]
fn ctrl_c_during_load_lets_clients_finish_and_exits_0() {
    let mut server =
        testkit::Server::start(env!("CARGO_BIN_EXE_echo-pool"), ["--quiet", "127.0.0.1:0"]);
    let clients = testkit::BusyClients::connect(server.address(), 10);
    let status = std::process::Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.stdout_line_containing("Shutting down");
    clients.finish(); // every round trip after Ctrl-C succeeded
    assert!(server.wait_for_exit().success());
    assert_eq!(server.stdout_line(), "Stopped: served 10 connections, refused 0");
}

#[test]
fn the_process_logs_each_refusal() {
    let server = testkit::Server::start(
        env!("CARGO_BIN_EXE_echo-pool"),
        ["--workers", "1", "--queue", "1", "127.0.0.1:0"],
    );
    let mut busy = connect(server.address());
    round_trip(&mut busy, b"the only worker is mine");
    let waiting = connect(server.address()); // fills the queue
    let mut refused = connect(server.address());
    assert_eq!(refused.read(&mut [0u8; 1]).unwrap(), 0, "closed at once");
    let port = refused.local_addr().unwrap().port();
    let line = server.stdout_line_containing("Refused");
    assert_eq!(line, format!("Refused 127.0.0.1:{port}: all workers busy, queue full (1 refused)"));
    drop((busy, waiting));
}

#[test]
fn port_in_use_bad_address_and_help() {
    let program = std::path::Path::new(env!("CARGO_BIN_EXE_echo-pool"));
    testkit::assert_port_in_use(program, "echo-pool");
    testkit::assert_rejects_bad_addresses(program, &["localhost:7003"]);
    testkit::assert_usage(program, "usage: echo-pool");
    Command::new(env!("CARGO_BIN_EXE_echo-pool"))
        .args(["--workers", "0"])
        .timeout(TIMEOUT)
        .assert()
        .failure()
        .stderr("error: --workers must be at least 1\n");
    Command::new(env!("CARGO_BIN_EXE_echo-pool"))
        .args(["--queue", "lots"])
        .timeout(TIMEOUT)
        .assert()
        .failure()
        .stderr("error: --queue expects a number from 0 to 10000, got \"lots\"\n");
}

#[test]
fn shutdown_during_load_lets_connected_and_queued_clients_finish() {
    // What Ctrl-C does, driven in-process so it runs on every OS.
    let server = start(PoolConfig { workers: 10, queue: 1, connection: quiet() });
    let address = server.address;
    // One after the other, so that each has a worker before the next arrives.
    let connected: Vec<TcpStream> = (0..10)
        .map(|_| {
            let mut stream = connect(address);
            round_trip(&mut stream, b"connected");
            stream
        })
        .collect();
    // Every worker is busy: the next client waits in the queue (one place)...
    let mut queued = connect(address);
    queued.write_all(b"queued").unwrap();
    // ...which the one after it proves, by being refused.
    let mut refused = connect(address);
    assert!(matches!(refused.read(&mut [0u8; 1]), Ok(0) | Err(_)), "should be closed at once");
    server.shutdown.request();
    let clients: Vec<_> = connected
        .into_iter()
        .enumerate()
        .map(|(number, mut stream)| {
            thread::spawn(move || {
                for round in 0..100 {
                    round_trip(&mut stream, format!("client {number} round {round}").as_bytes());
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap(); // every round trip after the request succeeded
    }
    // The queued client is served after the request too, once a worker is free.
    let mut reply = [0u8; 6];
    queued.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"queued");
    drop(queued);
    let stats = server.thread.join().unwrap().unwrap();
    assert_eq!(stats, Stats { served: 11, refused: 1 });
    assert!(TcpStream::connect_timeout(&address, TIMEOUT).is_err(), "still listening");
}

#[test]
fn a_closed_stdout_stops_the_server_with_one_error_line() {
    // `echo-pool | head -1`: `Connected by` cannot be printed any more.
    testkit::assert_server_stops_on_closed_stdout(
        env!("CARGO_BIN_EXE_echo-pool"),
        &["127.0.0.1:0"],
    );
}

#[cfg(unix)] // Ctrl-C from a test: see ctrl_c_during_load_lets_clients_finish_and_exits_0
#[test]
fn ctrl_c_with_a_closed_stdout_still_shuts_down_gracefully() {
    testkit::assert_ctrl_c_with_a_closed_stdout_shuts_down(env!("CARGO_BIN_EXE_echo-pool"));
}

#[test]
fn usage_and_listening_line_on_a_closed_stdout_are_one_error_line() {
    testkit::assert_first_line_on_closed_stdout_is_one_error(
        env!("CARGO_BIN_EXE_echo-pool"),
        &[&["--help"], &["127.0.0.1:0"]],
    );
}

#[cfg(unix)] // Windows has no per-process descriptor limit to lower
#[test]
fn out_of_file_descriptors_the_accept_loop_pauses_instead_of_spinning() {
    // 16 descriptors, 24 clients: a dozen accepted, the rest wait in vain.
    testkit::assert_accept_loop_pauses_out_of_descriptors(
        env!("CARGO_BIN_EXE_echo-pool"),
        16,
        24,
        true,
    );
}

#[cfg(unix)] // Ctrl-C from a test, and a descriptor limit: both unix-only here
#[test]
fn ctrl_c_works_when_out_of_file_descriptors() {
    // 4 descriptors: stdin, stdout, stderr and the listener. Every accept()
    // fails (EMFILE) while two clients wait, and the Ctrl-C handler cannot
    // even make its wake-up connection: the loop must see the request anyway.
    let mut server =
        testkit::start_with_file_limit(env!("CARGO_BIN_EXE_echo-pool"), 4, &["127.0.0.1:0"]);
    let waiting: Vec<TcpStream> = (0..2).map(|_| connect(server.address())).collect();
    server.stderr_line_containing("Too many open files");
    let killed =
        std::process::Command::new("kill").args(["-INT", &server.id().to_string()]).status();
    assert!(killed.unwrap().success());
    server.stdout_line_containing("Shutting down");
    assert!(server.wait_for_exit().success());
    assert_eq!(server.stdout_line(), "Stopped: served 0 connections, refused 0");
    drop(waiting);
}

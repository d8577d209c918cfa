//! The two arrival patterns and the open loop, through the `loadgen` binary:
//! every request answered under both patterns, the offered rate achieved,
//! and a stalled server's queueing visible in an open loop where a closed
//! loop hides it.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::Duration;

use assert_cmd::Command;
use echo_threaded::{Config, Shutdown};
use loadgen::{Arrival, Report, cli};
use testkit::TIMEOUT;

/// An echo-threaded server on 127.0.0.1:0, stopped on drop.
struct EchoServer {
    address: SocketAddr,
    shutdown: Shutdown,
}

impl EchoServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let stopper = shutdown.clone();
        let config = Config { log: false, ..Config::default() };
        thread::spawn(move || echo_threaded::run_with(listener, stopper, config));
        Self { address, shutdown }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.shutdown.request();
    }
}

/// Runs the loadgen binary and returns its JSON report.
fn loadgen(address: SocketAddr, args: &[&str]) -> Report {
    let output = Command::cargo_bin("loadgen")
        .unwrap()
        .arg(address.to_string())
        .args(args)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn both_arrival_patterns_answer_every_request() {
    let server = EchoServer::start();
    for arrival in ["burst", "spread"] {
        let report = loadgen(server.address, &["-c", "20", "-n", "50", "--arrival", arrival]);
        assert_eq!(report.requests, 1000, "{report:?}");
        assert_eq!((report.errors, report.cut_off), (0, 0), "{report:?}");
        assert_eq!(format!("{:?}", report.arrival).to_lowercase(), arrival);
        assert_eq!(report.offered_rate, None);
    }
}

#[test]
fn an_open_loop_at_a_modest_rate_achieves_about_the_offered_rate() {
    let server = EchoServer::start();
    for arrival in ["burst", "spread"] {
        let report = loadgen(
            server.address,
            &[
                "-c",
                "4",
                "-n",
                "100000",
                "--rate",
                "400",
                "--max-seconds",
                "1.5",
                "--arrival",
                arrival,
            ],
        );
        assert_eq!(report.offered_rate, Some(400.0));
        assert_eq!(report.errors, 0, "{report:?}");
        // Loose on purpose: a shared machine can be slow for a moment.
        assert!(
            (280.0..=520.0).contains(&report.requests_per_second),
            "{arrival}: achieved {} req/s of 400 offered",
            report.requests_per_second
        );
    }
}

/// A single-connection echo server that stalls for `stall` before its 20th answer.
fn stalled_server(stall: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        while let Ok((mut stream, _)) = listener.accept() {
            let mut message = [0; 64];
            let mut answered = 0;
            while stream.read_exact(&mut message).is_ok() {
                answered += 1;
                if answered == 20 {
                    thread::sleep(stall);
                }
                if stream.write_all(&message).is_err() {
                    break;
                }
            }
        }
    });
    address
}

#[test]
fn an_open_loop_shows_the_queueing_a_closed_loop_hides() {
    let stall = Duration::from_millis(300);
    let stall_us = stall.as_micros() as f64;
    // Closed loop: the connection waits with the server, one sample sees the stall.
    let closed = loadgen(stalled_server(stall), &["-c", "1", "-n", "200"]);
    assert_eq!(closed.requests, 200);
    assert!(closed.max_us >= stall_us, "{closed:?}");
    assert!(closed.p99_us < stall_us, "the closed loop should hide the stall: {closed:?}");
    for arrival in ["burst", "spread"] {
        // Open loop at 200 req/s: about 60 requests fall due during the stall,
        // and each counts its wait from when it should have been sent.
        let open = loadgen(
            stalled_server(stall),
            &[
                "-c",
                "1",
                "-n",
                "100000",
                "--rate",
                "200",
                "--max-seconds",
                "1.5",
                "--arrival",
                arrival,
            ],
        );
        assert!(open.p99_us >= stall_us * 0.8, "{arrival}: {open:?}");
        assert!(open.late >= 10, "{arrival}: {open:?}");
    }
}

#[test]
fn the_command_line_takes_an_arrival_pattern_and_a_rate() {
    let parse = |args: &[&str]| cli::parse(args.iter().map(|arg| arg.to_string()));
    let options = parse(&["--arrival", "spread", "--rate", "1500"]).unwrap().unwrap();
    assert_eq!((options.arrival, options.rate), (Arrival::Spread, Some(1500.0)));
    let default = parse(&[]).unwrap().unwrap();
    assert_eq!((default.arrival, default.rate), (Arrival::Burst, None));
    for (args, message) in [
        (&["--arrival", "fast"][..], "--arrival expects burst or spread, got \"fast\""),
        (&["--rate", "0"][..], "--rate must be between 0 and"),
        (&["--rate", "many"][..], "--rate expects a number"),
        (&["--arrival"][..], "--arrival needs a value"),
        (&["--arrival", "spread", "-c", "2000"][..], "-c 2000 is too many for --arrival spread"),
    ] {
        let error = parse(args).unwrap_err().to_string();
        assert!(error.starts_with(message), "{args:?}: {error}");
    }
    assert!(cli::USAGE.contains("--arrival burst|spread] [--rate R]"));
}

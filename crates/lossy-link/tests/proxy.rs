//! Runs the real `lossy-link` binary on loopback between plain std UDP
//! sockets (a client, and a server that echoes or only counts), and checks
//! what arrives against what the log says was decided.
//!
//! No test measures time. "Nothing arrived" is proved without waiting: the
//! proxy is told to stop by itself (`--count`), and once it has exited it can
//! send nothing more; the test then sends a sentinel datagram straight to its
//! server socket and reads up to it: whatever came from the proxy is before.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use lossy_link::link::{Direction, Fate, Link, Settings};
use lossy_link::log::{Line, Record, parse_line};
use testkit::{Server, TIMEOUT, assert_clean_failure};

const PROXY: &str = env!("CARGO_BIN_EXE_lossy-link");
const SENTINEL: &[u8] = b"-- sentinel, straight from the test --";

/// A fresh path for a log file in Cargo's scratch directory for tests.
fn log_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lossy-link-{}-{n}-{name}.jsonl", std::process::id()))
}

fn socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    socket
}

/// Starts the proxy in front of `upstream`.
fn proxy(args: &[&str], upstream: SocketAddr) -> Server {
    let upstream = upstream.to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["127.0.0.1:0", &upstream]);
    Server::start(PROXY, all)
}

/// A server that answers every datagram with the same bytes, for as long as
/// datagrams keep coming (it ends TIMEOUT after the last one).
fn echo_server() -> SocketAddr {
    let server = socket();
    let address = server.local_addr().unwrap();
    thread::spawn(move || {
        let mut buffer = [0u8; 2048];
        while let Ok((size, from)) = server.recv_from(&mut buffer) {
            let _ = server.send_to(&buffer[..size], from);
        }
    });
    address
}

/// Everything `server` received before a sentinel the test sends it now.
fn received_before_sentinel(server: &UdpSocket) -> Vec<Vec<u8>> {
    socket().send_to(SENTINEL, server.local_addr().unwrap()).unwrap();
    let mut got = Vec::new();
    let mut buffer = [0u8; 2048];
    loop {
        let size = server.recv(&mut buffer).expect("the sentinel should arrive");
        if &buffer[..size] == SENTINEL {
            return got;
        }
        got.push(buffer[..size].to_vec());
    }
}

/// The datagram records of a log, and checks that a summary line ends it.
fn records(path: &PathBuf) -> Vec<Record> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.last().unwrap().starts_with(r#"{"summary":"#), "no summary: {text}");
    lines
        .iter()
        .filter_map(|line| match parse_line(line).unwrap() {
            Line::Datagram(record) => Some(record),
            Line::Summary => None,
        })
        .collect()
}

fn fates(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.fate.clone()).collect()
}

/// Runs a proxy with `args` that stops after `datagrams.len()` datagrams sent
/// up to a server that never answers; returns what the server got, and the log.
fn one_way(args: &[&str], datagrams: &[Vec<u8>]) -> (Vec<Vec<u8>>, Vec<Record>) {
    let server = socket();
    let log = log_path("one-way");
    let count = datagrams.len().to_string();
    let mut all = vec!["--quiet", "--count", &count, "--log", log.to_str().unwrap()];
    all.extend_from_slice(args);
    let mut proxy = proxy(&all, server.local_addr().unwrap());
    let client = socket();
    for datagram in datagrams {
        client.send_to(datagram, proxy.address()).unwrap();
    }
    let status = proxy.wait_for_exit();
    assert!(status.success(), "the proxy should stop by itself after --count: {status}");
    (received_before_sentinel(&server), records(&log))
}

fn numbered(count: usize) -> Vec<Vec<u8>> {
    (1..=count).map(|i| format!("datagram {i}").into_bytes()).collect()
}

#[test]
fn without_faults_replies_come_back_to_each_client() {
    let proxy = proxy(&[], echo_server());
    for message in ["Hello, UDP Server!", "second client"] {
        let client = socket();
        client.send_to(message.as_bytes(), proxy.address()).unwrap();
        let mut reply = [0u8; 64];
        let (size, from) = client.recv_from(&mut reply).expect("the echo, through the proxy");
        assert_eq!(&reply[..size], message.as_bytes());
        assert_eq!(from, proxy.address(), "the reply comes from the proxy's address");
    }
    let up = proxy.stdout_line();
    assert!(up.contains("up   client -> server  #1") && up.ends_with("18 B  delivered"), "{up}");
    let down = proxy.stdout_line();
    assert!(down.contains("down server -> client  #1") && down.ends_with("delivered"), "{down}");
}

#[test]
fn with_full_loss_no_datagram_passes_and_no_reply_comes() {
    let server = socket();
    let log = log_path("full-loss");
    let args = ["--loss", "100%", "--count", "3", "--quiet", "--log", log.to_str().unwrap()];
    let mut proxy = proxy(&args, server.local_addr().unwrap());
    let client = socket();
    for datagram in numbered(3) {
        client.send_to(&datagram, proxy.address()).unwrap();
    }
    assert!(proxy.wait_for_exit().success());
    assert_eq!(received_before_sentinel(&server), Vec::<Vec<u8>>::new());
    client.set_nonblocking(true).unwrap();
    let nothing = client.recv(&mut [0u8; 64]).unwrap_err();
    assert_eq!(nothing.kind(), std::io::ErrorKind::WouldBlock, "no reply: {nothing}");
    assert_eq!(fates(&records(&log)), ["dropped"; 3]);
    let summary = proxy.stderr_line_containing("stopped");
    assert!(summary.starts_with("lossy-link stopped (--count 3)"), "{summary}");
    let lost = proxy.stderr_line_containing("  random loss");
    assert!(lost.contains(" 3 ") && lost.ends_with(" 0"), "{lost}");
}

#[test]
fn the_drop_list_drops_exactly_those_datagrams() {
    let (got, log) = one_way(&["--drop", "up:2,3"], &numbered(5));
    assert_eq!(got, [b"datagram 1".to_vec(), b"datagram 4".to_vec(), b"datagram 5".to_vec()]);
    assert_eq!(fates(&log), ["delivered", "listed", "listed", "delivered", "delivered"]);
    let numbers: Vec<u64> = log.iter().map(|r| r.n).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
}

#[test]
fn duplication_delivers_twice() {
    let (mut got, log) = one_way(&["--duplicate", "100%"], &numbered(3));
    got.sort();
    let mut expected: Vec<Vec<u8>> = numbered(3).into_iter().flat_map(|d| [d.clone(), d]).collect();
    expected.sort();
    assert_eq!(got, expected);
    assert!(log.iter().all(|r| r.fate == "duplicated" && r.out.len() == 2), "{log:?}");
}

#[test]
fn a_held_back_datagram_arrives_after_the_next_one() {
    // The decisions are the library's, so the test can look them up beforehand:
    // one message that gets held back and one that does not, with this seed.
    let settings =
        Settings { reorder: 0.5, reorder_hold: Duration::from_secs(1), ..Settings::default() };
    let fate = |message: &[u8]| {
        Link::new(Direction::Up, settings.clone(), 7).decide(Duration::ZERO, message).fate
    };
    let candidates = numbered(64);
    let held = candidates.iter().find(|m| fate(m) == Fate::Reordered).unwrap().clone();
    let on_time = candidates.iter().find(|m| fate(m) == Fate::Delivered).unwrap().clone();
    // One second of hold: the second datagram is sure to overtake the first.
    let args = ["--seed", "7", "--reorder", "50%", "--reorder-hold", "1s"];
    let (got, log) = one_way(&args, &[held.clone(), on_time.clone()]);
    assert_eq!(got, [on_time, held]);
    assert_eq!(fates(&log), ["reordered", "delivered"]);
}

#[test]
fn the_delay_is_the_decided_one() {
    let datagrams = numbered(20);
    let args = ["--seed", "5", "--delay", "up:50ms±10ms"];
    let (got, log) = one_way(&args, &datagrams);
    // Jitter reorders, as on a real network: they arrive in the order of their decided times.
    let mut by_time: Vec<(f64, &Vec<u8>)> = log.iter().map(|r| r.out[0]).zip(&datagrams).collect();
    by_time.sort_by(|a, b| a.0.total_cmp(&b.0));
    let expected: Vec<Vec<u8>> = by_time.into_iter().map(|(_, d)| d.clone()).collect();
    assert_eq!(got, expected);
    let settings = Settings {
        delay: Duration::from_millis(50),
        jitter: Duration::from_millis(10),
        ..Settings::default()
    };
    let mut delays = Vec::new();
    for (record, datagram) in log.iter().zip(&datagrams) {
        let delay = record.out[0] - record.t; // a decision, not a measurement
        assert!((39.998..=60.002).contains(&delay), "delay {delay} ms");
        let decided =
            Link::new(Direction::Up, settings.clone(), 5).decide(Duration::ZERO, datagram);
        let expected = decided.out[0].as_secs_f64() * 1000.0;
        assert!((delay - expected).abs() < 0.002, "logged {delay} ms, the library says {expected}");
        delays.push(delay);
    }
    assert!(delays.iter().any(|&d| (d - delays[0]).abs() > 0.5), "jitter varies: {delays:?}");
}

#[test]
fn the_rate_limiter_queues_and_drops_its_tail() {
    // 100-byte datagrams at 100 B/s leave one a second, and two fit the queue:
    // a burst of five sent back to back (well within that second, even on a
    // loaded machine) loses the last three.
    let datagrams: Vec<Vec<u8>> = (0..5u8).map(|i| vec![b'a' + i; 100]).collect();
    let (got, log) = one_way(&["--rate", "up:100", "--queue", "up:2"], &datagrams);
    assert_eq!(got, datagrams[..2]);
    assert_eq!(fates(&log), ["delivered", "delivered", "queue", "queue", "queue"]);
    let gap = log[1].out[0] - log[0].out[0];
    assert!((gap - 1000.0).abs() < 0.002, "the second leaves 1 s after the first: {gap}");
}

/// Fates of `datagrams` sent up through a proxy with these faults and `seed`.
fn fates_with_seed(seed: &str, datagrams: &[Vec<u8>]) -> Vec<String> {
    let args = [
        "--seed",
        seed,
        "--loss",
        "30%",
        "--duplicate",
        "10%",
        "--reorder",
        "10%",
        "--reorder-hold",
        "1ms",
    ];
    fates(&one_way(&args, datagrams).1)
}

#[test]
fn the_same_seed_makes_the_same_decisions() {
    // Some contents come twice, as a retransmission would: the k-th copy of
    // the same bytes meets the same fate in every run too.
    let datagrams: Vec<Vec<u8>> =
        (0..40).map(|i| format!("segment {}", i % 25).into_bytes()).collect();
    let first = fates_with_seed("42", &datagrams);
    assert_eq!(first, fates_with_seed("42", &datagrams), "same seed, same fates");
    assert_ne!(first, fates_with_seed("43", &datagrams), "another seed, other fates");
    // And they are the library's decisions, whatever the timing of the real run.
    let settings = Settings {
        loss: 0.3,
        duplicate: 0.1,
        reorder: 0.1,
        reorder_hold: Duration::from_millis(1),
        ..Settings::default()
    };
    let mut link = Link::new(Direction::Up, settings, 42);
    let predicted: Vec<String> =
        datagrams.iter().map(|d| link.decide(Duration::ZERO, d).fate.name().to_string()).collect();
    assert_eq!(first, predicted);
    assert!(first.iter().any(|f| f == "dropped") && first.iter().any(|f| f == "delivered"));
}

#[test]
fn the_log_has_the_fixed_format_and_a_summary() {
    let server = echo_server();
    let log = log_path("format");
    let args = ["--quiet", "--count", "2", "--delay", "down:3ms", "--log", log.to_str().unwrap()];
    let mut proxy = proxy(&args, server);
    let client = socket();
    let rudp_data = [3u8, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 4, b'x', b'y'];
    client.send_to(&rudp_data, proxy.address()).unwrap();
    let mut reply = [0u8; 64];
    assert_eq!(client.recv(&mut reply).unwrap(), rudp_data.len(), "the echo, 3 ms late");
    assert!(proxy.wait_for_exit().success());
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (line, dir) in lines[..2].iter().zip(["up", "down"]) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 7, "{line}");
        assert_eq!(value["dir"], dir);
        assert_eq!(value["n"], 1);
        assert_eq!(value["size"], 14);
        assert_eq!(value["head"], "030000000009000000000004");
        assert_eq!(value["fate"], "delivered");
        assert!(line.starts_with(r#"{"t":"#) && line.contains(r#","out":["#), "{line}");
    }
    let summary: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    let summary = &summary["summary"];
    assert_eq!(summary["stopped"], "--count 2");
    assert_eq!(
        (summary["up"]["received"].as_u64(), summary["down"]["delayed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (summary["up"]["sent"].as_u64(), summary["down"]["sent"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn stops_after_an_idle_time() {
    let mut proxy = proxy(&["--idle", "200ms"], socket().local_addr().unwrap());
    assert!(proxy.wait_for_exit().success());
    let line = proxy.stderr_line_containing("stopped");
    assert!(line.starts_with("lossy-link stopped (--idle 200ms without a datagram)"), "{line}");
}

#[test]
fn stops_after_a_duration() {
    let mut proxy = proxy(&["--duration", "300ms"], socket().local_addr().unwrap());
    assert!(proxy.wait_for_exit().success());
    let line = proxy.stderr_line_containing("stopped");
    assert!(line.starts_with("lossy-link stopped (--duration 300ms)"), "{line}");
    proxy.stderr_line_containing("received");
}

#[cfg(unix)]
#[test]
fn ctrl_c_prints_the_summary() {
    let mut proxy = proxy(&[], socket().local_addr().unwrap());
    let killed = Command::new("kill").args(["-INT", &proxy.id().to_string()]).status();
    assert!(killed.unwrap().success());
    assert!(proxy.wait_for_exit().success());
    assert!(proxy.stderr_line_containing("stopped").starts_with("lossy-link stopped (Ctrl-C)"));
}

#[test]
fn survives_a_server_that_is_not_there() {
    let gone = socket().local_addr().unwrap(); // bound, then closed: nothing listens there
    let mut proxy = proxy(&["--quiet", "--count", "3"], gone);
    let client = socket();
    for datagram in numbered(3) {
        client.send_to(&datagram, proxy.address()).unwrap();
    }
    assert!(proxy.wait_for_exit().success(), "an unreachable port is no reason to fail");
    proxy.stderr_line_containing("lossy-link stopped (--count 3)");
}

#[test]
fn survives_a_client_that_has_gone() {
    // The reply to a vanished client draws an ICMP "port unreachable"; Windows
    // reports it on the proxy's next recv (WSAECONNRESET), which must read on.
    let proxy = proxy(&["--quiet"], echo_server());
    let gone = socket();
    gone.send_to(b"and goodbye", proxy.address()).unwrap();
    drop(gone);
    let client = socket();
    for round in 0..3 {
        let message = format!("still there? {round}");
        client.send_to(message.as_bytes(), proxy.address()).unwrap();
        let mut reply = [0u8; 64];
        let size = client.recv(&mut reply).expect("the proxy serves the next client");
        assert_eq!(&reply[..size], message.as_bytes());
    }
}

fn failure(args: &[&str]) -> std::process::Output {
    Command::new(PROXY).args(args).stdin(Stdio::null()).output().unwrap()
}

#[test]
fn bad_arguments_are_one_clear_line() {
    let cases: [(&[&str], &[&str]); 9] = [
        (
            &["--loss", "150%", "127.0.0.1:0", "127.0.0.1:9"],
            &["--loss expects a probability", "150%"],
        ),
        (
            &["--delay", "up:5", "127.0.0.1:0", "127.0.0.1:9"],
            &["--delay expects a time with a unit"],
        ),
        (&["--drop", "0", "127.0.0.1:0", "127.0.0.1:9"], &["--drop expects datagram numbers"]),
        (&["--burst", "5%", "127.0.0.1:0", "127.0.0.1:9"], &["--burst expects ENTER/LEAVE"]),
        (&["--rate", "fast", "127.0.0.1:0", "127.0.0.1:9"], &["--rate expects bytes per second"]),
        (&["--lose", "5%", "127.0.0.1:0", "127.0.0.1:9"], &["unknown option \"--lose\"", "--help"]),
        (&["127.0.0.1:0"], &["missing UPSTREAM"]),
        (&["127.0.0.1:0", "localhost"], &["invalid address \"localhost\" for UPSTREAM", "IP:PORT"]),
        (&[], &["missing LISTEN"]),
    ];
    for (args, needles) in cases {
        assert_clean_failure(&failure(args), needles);
    }
}

#[test]
fn a_busy_port_and_an_unwritable_log_are_one_clear_line() {
    let taken = socket();
    let address = taken.local_addr().unwrap().to_string();
    assert_clean_failure(
        &failure(&[&address, "127.0.0.1:9"]),
        &[&format!("cannot bind {address}")],
    );
    let nowhere = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-dir").join("log.jsonl");
    let output = failure(&["--log", nowhere.to_str().unwrap(), "127.0.0.1:0", "127.0.0.1:9"]);
    assert_clean_failure(&output, &["cannot create the log"]);
}

#[test]
fn help_teaches_the_options() {
    let output = failure(&["--help"]);
    assert!(output.status.success());
    let usage = String::from_utf8(output.stdout).unwrap();
    assert!(usage.starts_with("usage: lossy-link [OPTIONS] LISTEN UPSTREAM\n"));
    for option in
        ["--loss", "--burst", "--drop", "--delay", "--rate", "--queue", "--seed", "--idle", "--log"]
    {
        assert!(usage.contains(&format!("  {option} ")), "{option} is not explained");
    }
}

#[test]
fn a_closed_stdout_is_one_error_line() {
    testkit::assert_first_line_on_closed_stdout_is_one_error(
        PROXY,
        &[&["--help"], &["127.0.0.1:0", "127.0.0.1:9"]],
    );
}

#[test]
fn a_stdout_closed_later_stops_it_the_house_way() {
    let mut command = Command::new(PROXY);
    let server = socket();
    command.args(["127.0.0.1:0", &server.local_addr().unwrap().to_string()]);
    let mut proxy = Server::spawn_closing_stdout(command);
    let address = proxy.address();
    let client = socket();
    proxy.assert_stops_on_closed_stdout(|| {
        let _ = client.send_to(b"a line on a closed stdout", address);
    });
}

#[test]
fn bursty_loss_follows_the_order_of_arrival_as_the_library_says() {
    // The burst channel's state depends on the datagrams before: the same
    // datagrams in the same order meet the same fates, as the library predicts.
    let datagrams = numbered(30);
    let (_, log) = one_way(&["--seed", "1", "--burst", "up:30%/30%"], &datagrams);
    let model = lossy_link::link::GilbertElliott { enter: 0.3, leave: 0.3, loss_in_bad: 1.0 };
    let settings = Settings { burst: Some(model), ..Settings::default() };
    let mut link = Link::new(Direction::Up, settings, 1);
    let predicted: Vec<String> =
        datagrams.iter().map(|d| link.decide(Duration::ZERO, d).fate.name().to_string()).collect();
    assert_eq!(fates(&log), predicted);
    assert!(predicted.windows(2).any(|w| w == ["burst", "burst"]), "a burst: {predicted:?}");
}

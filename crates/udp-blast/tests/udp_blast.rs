//! Runs the real `udp-blast` binary on loopback: both halves in one process,
//! and one half per process as the benchmark uses them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
use std::net::UdpSocket;
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::cargo_bin;
use testkit::{Server, assert_clean_failure};

fn udp_blast(args: &[&str]) -> Output {
    Command::new(cargo_bin!("udp-blast")).args(args).stdin(Stdio::null()).output().unwrap()
}

/// Runs a successful demonstration and returns its stdout.
fn demonstrate(args: &[&str]) -> String {
    let output = udp_blast(args);
    let stdout = testkit::text(&output.stdout);
    assert!(output.status.success(), "{args:?} failed: {output:?}");
    assert!(!stdout.contains("panicked"), "{stdout}");
    stdout
}

/// The value of `name` in the JSON line that ends the output (`None`: null).
fn field(stdout: &str, name: &str) -> Option<u64> {
    let json = stdout.lines().rfind(|line| line.starts_with('{')).expect("a JSON line");
    let start = json.find(&format!("\"{name}\":")).unwrap_or_else(|| panic!("no {name}: {json}"));
    let value = json[start + name.len() + 3..].split([',', '}']).next().unwrap();
    (value != "null").then(|| value.parse().unwrap_or_else(|_| panic!("{name} = {value}")))
}

#[test]
fn counts_add_up_when_the_buffer_overflows() {
    // A tiny buffer and a blast: usually many are lost, but how many is the
    // OS's business. What must hold: every datagram sent is either received or lost.
    let stdout = demonstrate(&["--count", "20000", "--size", "1472", "--rcvbuf", "4096"]);
    let (sent, received, lost) =
        (field(&stdout, "sent"), field(&stdout, "received"), field(&stdout, "lost"));
    assert_eq!(sent, Some(20_000));
    assert_eq!(received.unwrap() + lost.unwrap(), 20_000, "{stdout}");
    assert_eq!(field(&stdout, "duplicated"), Some(0), "loopback never duplicates: {stdout}");
    assert!(stdout.contains(&format!("lost       {:>9}", lost.unwrap())), "{stdout}");
    // Linux counts this socket's drops itself: never more than we found missing.
    if let Some(socket_drops) = field(&stdout, "socket_drops") {
        assert!(socket_drops <= lost.unwrap(), "the kernel dropped more than we missed: {stdout}");
    }
    assert!(stdout.contains("OS drop counter: "), "{stdout}");
}

#[test]
fn a_paced_small_run_loses_nothing() {
    // 500 small datagrams at 5000/s into a 1 MiB buffer: the receiver keeps up.
    let args = ["--count", "500", "--size", "64", "--rate", "5000", "--rcvbuf", "1048576"];
    let stdout = demonstrate(&args);
    assert_eq!(field(&stdout, "received"), Some(500), "{stdout}");
    assert_eq!(field(&stdout, "lost"), Some(0), "{stdout}");
    assert_eq!(field(&stdout, "reordered"), Some(0), "{stdout}");
    assert!(stdout.contains("sent             500 datagrams of 64 bytes"), "{stdout}");
    assert!(stdout.contains("lost               0 (0.0 %)"), "{stdout}");
    if let Some(drops) = field(&stdout, "socket_drops") {
        assert_eq!(drops, 0, "{stdout}");
    }
}

#[test]
fn a_bigger_rcvbuf_is_granted_and_reported() {
    let small = demonstrate(&["--count", "10", "--size", "100"]);
    assert!(small.contains("the OS default"), "{small}");
    let big = demonstrate(&["--count", "10", "--size", "100", "--rcvbuf", "2097152"]);
    assert!(big.contains("(asked for 2097152"), "{big}");
    if cfg!(target_os = "linux") {
        assert!(big.contains("Linux doubles the request"), "{big}");
    }
    let (small, big) = (field(&small, "rcvbuf").unwrap(), field(&big, "rcvbuf").unwrap());
    assert!(big > small, "asking for 2 MiB should give more than the default {small}, got {big}");
}

#[test]
fn the_os_counter_is_shown_or_said_to_be_missing() {
    let stdout = demonstrate(&["--count", "10", "--size", "100"]);
    let line = stdout.lines().find(|line| line.starts_with("OS drop counter: ")).unwrap();
    let os_drops = field(&stdout, "os_drops");
    if line.contains("not available (") {
        assert_eq!(os_drops, None, "{stdout}");
    } else {
        assert!(line.contains("system-wide") && os_drops.is_some(), "{stdout}");
    }
    if std::path::Path::new("/proc/net/snmp").exists() {
        assert!(line.contains("RcvbufErrors in /proc/net/snmp"), "{stdout}");
    }
}

#[test]
fn separate_sender_and_receiver() {
    let receiver = Server::start(
        cargo_bin!("udp-blast"),
        ["receive", "127.0.0.1:0", "--rcvbuf", "1048576", "--idle-ms", "5000"],
    );
    assert!(receiver.stdout_line().starts_with("SO_RCVBUF "));
    let address = receiver.address().to_string();
    let output =
        udp_blast(&["send", &address, "--count", "300", "--size", "200", "--rate", "5000"]);
    assert!(output.status.success(), "{output:?}");
    let sent = testkit::text(&output.stdout);
    assert!(sent.starts_with("sent             300 datagrams of 200 bytes"), "{sent}");
    assert_eq!(field(&sent, "bytes"), Some(60_000));
    let json = receiver.stdout_line_containing("\"role\":\"receive\"");
    assert!(json.contains("\"stop\":\"end\""), "the end marker should stop it: {json}");
    assert_eq!(field(&json, "sent"), Some(300), "{json}");
    assert_eq!(field(&json, "received"), Some(300), "{json}");
    assert_eq!(field(&json, "bytes"), Some(60_000), "{json}");
    assert_eq!(field(&json, "lost"), Some(0), "{json}");
}

#[test]
fn the_receiver_stops_after_a_count() {
    let mut receiver =
        Server::start(cargo_bin!("udp-blast"), ["receive", "127.0.0.1:0", "--count", "3"]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    for seq in [2u64, 0, 2, 1] {
        let mut datagram = [0u8; 20];
        udp_blast::wire::write_data(&mut datagram, seq);
        socket.send_to(&datagram, receiver.address()).unwrap();
    }
    socket.send_to(b"not a blast datagram", receiver.address()).unwrap();
    let json = receiver.stdout_line_containing("\"role\":\"receive\"");
    assert!(json.contains("\"stop\":\"count\""), "{json}");
    assert_eq!(field(&json, "received"), Some(3), "{json}");
    assert_eq!(field(&json, "reordered"), Some(2), "0 and 1 came after 2: {json}");
    assert_eq!(field(&json, "duplicated"), Some(1), "2 came twice: {json}");
    assert_eq!(field(&json, "sent"), None, "no end marker: the sender's count is unknown");
    assert!(receiver.wait_for_exit().success());
}

#[cfg(unix)]
#[test]
fn sending_to_nobody_says_so() {
    // Windows reports the ICMP "port unreachable" on a later receive, not on send.
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let output = udp_blast(&["send", &address, "--count", "100000", "--size", "100"]);
    assert_clean_failure(&output, &[&format!("nobody receives on {address}"), "port unreachable"]);
}

#[test]
fn bad_arguments_fail_with_one_line() {
    for (args, needle) in [
        (&["--size", "11"][..], "--size must be between 12 and 65507"),
        (&["--count", "zero"], "--count expects a number"),
        (&["--rcvbuf"], "--rcvbuf needs a value"),
        (&["--frobnicate"], "unknown option"),
        (&["not-an-address"], "invalid address \"not-an-address\""),
        (&["receive", "--rate", "10"], "--rate is for the sender"),
        (&["send", "127.0.0.1:0"], "cannot send to port 0"),
    ] {
        assert_clean_failure(&udp_blast(args), &[needle]);
    }
}

#[test]
fn a_taken_port_is_reported() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = udp_blast(&["receive", &address]);
    assert_clean_failure(&output, &[&format!("cannot bind {address}")]);
}

#[test]
fn help_succeeds() {
    let output = udp_blast(&["--help"]);
    assert!(output.status.success());
    assert!(testkit::text(&output.stdout).starts_with("usage: udp-blast "));
}

#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    for args in [&["--count", "100", "--size", "64"][..], &["receive", "127.0.0.1:0"]] {
        let mut command = Command::new(cargo_bin!("udp-blast"));
        command.args(args);
        let output = testkit::output_with_closed_stdout(command);
        assert_clean_failure(&output, &["cannot write to standard output"]);
    }
}

/// `udp-blast receive ARGS 127.0.0.1:0` with a 1 MiB buffer, and `udp-blast
/// send` of `count` datagrams of `size` bytes to it, paced so that nothing
/// overflows. Returns (the sender's stdout, the receiver's summary lines up to
/// and with its JSON line).
fn batched_run(receive: &[&str], send: &[&str], count: u64, size: usize) -> (String, String) {
    let mut args = vec!["receive", "127.0.0.1:0", "--rcvbuf", "1048576", "--idle-ms", "5000"];
    args.extend(receive);
    let receiver = Server::start(cargo_bin!("udp-blast"), args);
    let address = receiver.address().to_string();
    let (count_text, size_text) = (count.to_string(), size.to_string());
    let mut args = vec!["send", &address, "--count", &count_text, "--size", &size_text];
    args.extend(["--rate", "20000"]);
    args.extend(send);
    let output = udp_blast(&args);
    assert!(output.status.success(), "{args:?}: {output:?}");
    let sent = testkit::text(&output.stdout);
    let mut lines = Vec::new();
    loop {
        let line = receiver.stdout_line();
        lines.push(line.clone());
        if line.starts_with("{\"role\":\"receive\"") {
            break;
        }
    }
    (sent, lines.join("\n"))
}

/// Every number from 0 to count - 1 arrived exactly once: `count` distinct
/// ones, none above the highest, no duplicate, nothing foreign.
fn assert_every_datagram_once(received: &str, count: u64, size: usize) {
    assert_eq!(field(received, "received"), Some(count), "{received}");
    assert_eq!(field(received, "sent"), Some(count), "the end marker's count: {received}");
    assert_eq!(field(received, "lost"), Some(0), "{received}");
    assert_eq!(field(received, "lost_at_least"), Some(0), "no gap below the highest: {received}");
    assert_eq!(field(received, "duplicated"), Some(0), "{received}");
    assert_eq!(field(received, "reordered"), Some(0), "{received}");
    assert_eq!(field(received, "foreign"), Some(0), "{received}");
    assert_eq!(field(received, "bytes"), Some(count * size as u64), "{received}");
}

/// Wine, not Windows: quinn-udp's socket set-up fails there with WSAEOPNOTSUPP
/// (10045), so `--gso` and `--gro` stop with "cannot prepare the socket".
const QUINN_UDP_UNDER_WINE: &str = "quinn-udp cannot prepare a UDP socket under Wine \
    (WSAEOPNOTSUPP, 10045: a Windows socket option Wine lacks), so --gso/--gro are not run";

#[test]
fn gso_sender_and_gro_receiver_count_every_datagram() {
    if testkit::under_wine(QUINN_UDP_UNDER_WINE) {
        return;
    }
    // 1001 is no multiple of the 44 datagrams of 1472 bytes one GSO call carries:
    // the last run is shorter.
    let (sent, received) = batched_run(&["--gro"], &["--gso"], 1001, 1472);
    assert_every_datagram_once(&received, 1001, 1472);
    let gso = sent.lines().next().unwrap();
    let calls = field(&sent, "calls").unwrap();
    if gso == "GSO: not available on this system, one datagram per call" {
        assert_eq!(calls, 1001, "{sent}");
    } else {
        assert!(gso.starts_with("GSO: up to 44 datagrams of 1472 bytes per call"), "{sent}");
        assert_eq!(calls, 1001u64.div_ceil(44), "full runs of 44 and one shorter: {sent}");
    }
    assert!(sent.contains(&format!("calls      {calls:>9} (")), "{sent}");
    let gro = received.lines().find(|line| line.starts_with("GRO: ")).unwrap();
    assert!(gro.contains("datagram"), "{received}");
    let receive_calls = field(&received, "calls").unwrap();
    assert!((1..=1002).contains(&receive_calls), "{received}");
    if cfg!(target_os = "linux") && field(&received, "gro").unwrap() > 1 && calls < 1001 {
        // On loopback the kernel hands each GSO run to a GRO socket whole:
        // at most one receive per send, and one for the end marker.
        assert!(receive_calls <= calls + 1, "{received}");
    }
}

#[test]
fn a_gso_sender_and_a_plain_receiver_still_count_single_datagrams() {
    if testkit::under_wine(QUINN_UDP_UNDER_WINE) {
        return;
    }
    let (sent, received) = batched_run(&[], &["--gso"], 500, 1000);
    assert_every_datagram_once(&received, 500, 1000);
    // The kernel cut every run into single datagrams for this socket without GRO.
    assert_eq!(
        field(&received, "calls"),
        Some(501),
        "one per datagram, one for the end marker: {received}"
    );
    assert_eq!(field(&received, "gro"), None, "{received}");
    assert!(sent.starts_with("GSO: "), "{sent}");
    assert!(!received.contains("GRO: "), "{received}");
}

#[test]
fn a_plain_sender_and_a_gro_receiver() {
    if testkit::under_wine(QUINN_UDP_UNDER_WINE) {
        return;
    }
    let (sent, received) = batched_run(&["--gro"], &[], 500, 200);
    assert_every_datagram_once(&received, 500, 200);
    assert_eq!(field(&sent, "calls"), Some(500), "{sent}");
    assert!(!sent.contains("GSO: "), "no batching unless asked for: {sent}");
}

#[test]
fn a_gro_receiver_counts_what_a_test_socket_sends() {
    if testkit::under_wine(QUINN_UDP_UNDER_WINE) {
        return;
    }
    // The pattern of the_receiver_stops_after_a_count, through the batched receive path.
    let mut receiver =
        Server::start(cargo_bin!("udp-blast"), ["receive", "127.0.0.1:0", "--gro", "--count", "3"]);
    assert!(receiver.stdout_line().starts_with("SO_RCVBUF "));
    assert!(receiver.stdout_line().starts_with("GRO: "));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    for seq in [2u64, 0, 2, 1] {
        let mut datagram = [0u8; 20];
        udp_blast::wire::write_data(&mut datagram, seq);
        socket.send_to(&datagram, receiver.address()).unwrap();
    }
    let json = receiver.stdout_line_containing("\"role\":\"receive\"");
    assert!(json.contains("\"stop\":\"count\""), "{json}");
    assert_eq!(field(&json, "received"), Some(3), "{json}");
    assert_eq!(field(&json, "reordered"), Some(2), "{json}");
    assert_eq!(field(&json, "duplicated"), Some(1), "{json}");
    assert!(receiver.wait_for_exit().success());
}

#[test]
fn batching_flags_belong_to_one_half() {
    for (args, needle) in [
        (&["receive", "--gso"][..], "--gso is for the sender"),
        (&["send", "--gro", "127.0.0.1:9"], "--gro is for the receiver"),
        (&["--gso"], "one per process"),
    ] {
        assert_clean_failure(&udp_blast(args), &[needle]);
    }
}

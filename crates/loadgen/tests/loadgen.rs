//! loadgen against a real echo server (echo-threaded, in-process), and the
//! benchmark's reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::net::{SocketAddr, TcpListener};
use std::thread;

use assert_cmd::Command;
use echo_threaded::{Config, Shutdown};
use indicatif::ProgressBar;
use loadgen::bench::{self, Measurement, Point, Results, Run, Settings};
use loadgen::{Mode, Options, Report, percentile, render};
use predicates::prelude::*;
use testkit::TIMEOUT;

/// An echo-threaded server on 127.0.0.1:0, stopped on drop.
struct EchoServer {
    address: SocketAddr,
    shutdown: Shutdown,
}

impl EchoServer {
    fn start(config: Config) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let stopper = shutdown.clone();
        thread::spawn(move || echo_threaded::run_with(listener, stopper, config));
        Self { address, shutdown }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.shutdown.request();
    }
}

fn quiet() -> Config {
    Config { log: false, ..Config::default() }
}

fn options(address: SocketAddr, mode: Mode) -> Options {
    Options { address, connections: 4, requests: 50, size: 1000, mode, max_seconds: 15.0 }
}

fn check_complete(report: &Report, expected: u64) {
    assert_eq!(report.requests, expected, "{report:?}");
    assert_eq!((report.errors, report.cut_off, report.starved), (0, 0, 0), "{report:?}");
    assert!(
        report.p50_us > 0.0 && report.p50_us <= report.p99_us && report.p99_us <= report.max_us
    );
    assert!(report.requests_per_second > 0.0);
}

#[test]
fn echo_mode_completes_every_round_trip() {
    let server = EchoServer::start(quiet());
    let report =
        loadgen::run(&options(server.address, Mode::Echo), &ProgressBar::hidden()).unwrap();
    check_complete(&report, 200);
    // Larger than the socket buffers: written and read at the same time.
    let big = Options {
        connections: 2,
        requests: 3,
        size: 3_000_000,
        ..options(server.address, Mode::Echo)
    };
    check_complete(&loadgen::run(&big, &ProgressBar::hidden()).unwrap(), 6);
}

#[test]
fn hello_mode_opens_one_connection_per_request() {
    let server = EchoServer::start(quiet());
    let report =
        loadgen::run(&options(server.address, Mode::Hello), &ProgressBar::hidden()).unwrap();
    check_complete(&report, 200);
    assert_eq!(report.size, 14);
}

#[test]
fn checksum_mode_verifies_every_answer() {
    let echo = EchoServer::start(quiet());
    // An echo server does not compute checksums: every request is an error.
    let wrong =
        loadgen::run(&options(echo.address, Mode::Checksum), &ProgressBar::hidden()).unwrap();
    assert_eq!((wrong.requests, wrong.errors), (0, 4));
    // It sends back the whole frame: more than the 8-byte answer (or, if the
    // first 8 bytes arrive alone, a wrong checksum).
    let error = wrong.first_error.unwrap();
    assert!(
        error == "wrong checksum" || error.ends_with("more bytes than expected"),
        "unexpected error {error:?}"
    );
    let server =
        EchoServer::start(Config { service: echo_iterative::Service::Checksum, ..quiet() });
    let report =
        loadgen::run(&options(server.address, Mode::Checksum), &ProgressBar::hidden()).unwrap();
    check_complete(&report, 200);
}

#[test]
fn the_time_cap_stops_a_server_that_never_answers() {
    // Connections complete (the kernel queues them) but nobody ever accepts.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let options = Options { max_seconds: 0.3, ..options(silent.local_addr().unwrap(), Mode::Echo) };
    let report = loadgen::run(&options, &ProgressBar::hidden()).unwrap();
    assert_eq!((report.requests, report.errors), (0, 0));
    assert_eq!((report.cut_off, report.starved), (4, 4));
    assert!(report.seconds < TIMEOUT.as_secs_f64());
}

#[test]
fn a_refused_connection_is_an_error_not_a_hang() {
    let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // closed again
    let report = loadgen::run(&options(address, Mode::Echo), &ProgressBar::hidden()).unwrap();
    assert_eq!((report.requests, report.errors), (0, 4));
    assert!(report.first_error.unwrap().starts_with("cannot connect to"));
}

#[test]
fn binary_prints_a_summary_then_one_json_line() {
    let server = EchoServer::start(quiet());
    let output = Command::cargo_bin("loadgen")
        .unwrap()
        .args([&server.address.to_string(), "-c", "3", "-n", "20", "-s", "100"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let json = stdout.lines().last().unwrap();
    let report: Report = serde_json::from_str(json).unwrap();
    check_complete(&report, 60);
    assert!(stdout.starts_with("echo of 100 bytes on 127.0.0.1:"));
    // stderr is not a terminal here: the progress bar stays hidden.
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "");
}

#[test]
fn binary_refuses_non_loopback_targets_and_bad_input() {
    let run =
        |args: &[&str]| Command::cargo_bin("loadgen").unwrap().args(args).timeout(TIMEOUT).assert();
    run(&["192.0.2.1:7004"]).failure().stderr(predicate::str::starts_with(
        "error: refusing to load 192.0.2.1:7004: loadgen only targets loopback",
    ));
    run(&["localhost:7004"])
        .failure()
        .stderr(predicate::str::starts_with("error: invalid address"));
    run(&["-c", "many"]).failure().stderr("error: -c expects a number, got \"many\"\n");
    run(&["-n"]).failure().stderr(predicate::str::contains("needs a value"));
    run(&["--help"]).success().stdout(predicate::str::starts_with("usage: loadgen"));
}

#[test]
fn absurd_sizes_and_counts_are_refused_before_anything_is_allocated() {
    // Each used to be accepted: `-s 3000000000 -c 2` tried to build two 3 GB
    // messages, ran to the time cap and exited 0 having measured nothing.
    for (args, message) in [
        (
            &["-s", "3000000000", "-c", "2"][..],
            "-s 3000000000 is too large: a message is at most 16777216 bytes (16 MiB) (try -s 65536)",
        ),
        (
            &["-s", "16777217", "-c", "1"],
            "-s 16777217 is too large: a message is at most 16777216 bytes",
        ),
        (
            &["-c", "10001"],
            "-c 10001 is too many connections: at most 10000 (each is a socket here and one in the server; try -c 100)",
        ),
        (
            &["-c", "100", "-s", "4000000"],
            "100 connections × 4000000-byte messages is too much memory: at most 268435456 bytes (256 MiB) in flight",
        ),
        (
            &["-c", "10", "-n", "18446744073709551615"],
            "10 connections × 18446744073709551615 requests is too many: at most 100000000 requests in all",
        ),
        (&["-n", "100000001", "-c", "1"], "at most 100000000 requests in all"),
        (&["-c", "0"], "need at least one connection and one request"),
    ] {
        // 127.0.0.1:9 (discard): never contacted, the refusal comes first.
        let output = Command::cargo_bin("loadgen")
            .unwrap()
            .arg("127.0.0.1:9")
            .args(args)
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        testkit::assert_clean_failure(&output, &[message]);
        assert!(output.stdout.is_empty(), "{args:?}: nothing should have run");
    }
    // The limits themselves are accepted (the hello mode ignores -s).
    let limits = Options {
        connections: loadgen::MAX_CONNECTIONS,
        requests: loadgen::MAX_REQUESTS / loadgen::MAX_CONNECTIONS as u64,
        size: loadgen::MAX_IN_FLIGHT / loadgen::MAX_CONNECTIONS,
        ..options(SocketAddr::from(([127, 0, 0, 1], 9)), Mode::Echo)
    };
    loadgen::validate(&limits).unwrap();
    loadgen::validate(&Options { size: usize::MAX, ..limits.clone() }).unwrap_err();
    loadgen::validate(&Options { size: usize::MAX, mode: Mode::Hello, ..limits }).unwrap();
}

#[test]
fn a_run_in_which_nothing_was_answered_is_a_failure() {
    // Connections complete (the kernel queues them) but nobody ever accepts.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let output = Command::cargo_bin("loadgen")
        .unwrap()
        .args([&address, "-c", "2", "-n", "5", "--max-seconds", "0.3"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    // The report is printed, then the verdict.
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let report: Report = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!((report.requests, report.errors, report.starved), (0, 0, 2));
    testkit::assert_clean_failure(
        &output,
        &[&format!(
            "no request was answered by {address} within --max-seconds 0.3 \
             (is the server accepting connections, or busy with another client?)"
        )],
    );
}

#[test]
fn percentiles_use_the_nearest_rank() {
    let sorted: Vec<u64> = (1..=100).map(|n| n * 1000).collect();
    assert_eq!(percentile(&sorted, 50.0), 50.0);
    assert_eq!(percentile(&sorted, 99.0), 99.0);
    assert_eq!(percentile(&sorted, 100.0), 100.0);
    assert_eq!(percentile(&[7000], 99.0), 7.0);
    assert_eq!(percentile(&[], 50.0), 0.0);
}

fn run_of(rps: f64, cpu: f64) -> Run {
    Run {
        requests_per_second: rps,
        p99_us: 100.0,
        user_us: Some(cpu / 2.0),
        sys_us: Some(cpu / 2.0),
        requests: 1000,
        errors: 0,
        starved: 0,
    }
}

fn sample() -> Results {
    let point = Point { mode: Mode::Echo, connections: 10, size: 64 };
    let measure = |server: &str, rps: f64, cpu: f64| Measurement {
        server: server.to_string(),
        point,
        runs: vec![run_of(rps, cpu)],
        median: run_of(rps, cpu),
    };
    let measurements = vec![
        measure(bench::FLOOR, 100_000.0, 10.0),
        measure(bench::TOKIO, 90_000.0, 11.0),
        measure(bench::POOL, 40_000.0, 20.0),
        measure(bench::PY_ASYNCIO, 30_000.0, 30.0),
    ];
    let targets = bench::targets(&measurements, &[point]);
    Results {
        machine: vec![],
        settings: Settings { repeats: 1, seconds: 1.0, hello_requests: 1, pinned: false },
        servers: vec![],
        measurements,
        targets,
    }
}

#[test]
fn targets_compare_throughput_and_cpu_per_round_trip() {
    let results = sample();
    let verdicts: Vec<(bool, f64)> =
        results.targets.iter().take(3).map(|t| (t.met, t.ratios[0].1)).collect();
    assert_eq!(verdicts[0], (true, 3.0)); // tokio 90k vs asyncio 30k
    assert!(verdicts[1].0 && (verdicts[1].1 - 1.1).abs() < 1e-9); // CPU 11 vs 10
    assert!(!verdicts[2].0 && (verdicts[2].1 - 4.0 / 3.0).abs() < 1e-9); // pool 1.33 < 1.5
}

#[test]
fn median_takes_each_field_separately() {
    let runs = [run_of(3.0, 30.0), run_of(1.0, 10.0), run_of(2.0, 50.0)];
    let median = bench::median(&runs);
    assert_eq!(median.requests_per_second, 2.0);
    assert_eq!(median.user_us, Some(15.0));
}

#[test]
fn table_and_chart_show_every_measurement() {
    let results = sample();
    let table = render::table(&results);
    assert!(
        table.contains("| echo | tokio | 10 | 64 | 90\u{2009}000 | 100 | 5.5 | 5.5 | 3.00 |"),
        "{table}"
    );
    assert!(
        table.contains("| pool req/s >= 1.5 x python asyncio | ✗ | 10 × 64 B: 1.33 |"),
        "{table}"
    );
    let chart = render::chart(&results);
    assert!(chart.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(chart.trim_end().ends_with("</svg>"));
    assert_eq!(chart.matches("<title>").count(), 8, "one bar per measurement and panel");
    assert!(chart.contains(">python asyncio</text>"));
    assert!(chart.contains(">10 × 64 B</text>"));
    assert_eq!(render::thousands(1_234_567.4), "1\u{2009}234\u{2009}567");
}

#[test]
fn cpu_time_is_read_from_proc_where_there_is_one() {
    let own = bench::cpu_seconds(std::process::id(), 100.0);
    if cfg!(target_os = "linux") {
        let (user, system) = own.unwrap();
        assert!(user >= 0.0 && system >= 0.0);
    } else {
        // No /proc (Windows, macOS): reported as missing, and the tables say n/a.
        assert_eq!(own, None);
    }
    assert!(bench::cpu_seconds(u32::MAX, 100.0).is_none());
}

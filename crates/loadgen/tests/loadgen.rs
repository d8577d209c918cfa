//! loadgen against a real echo server (echo-threaded, in-process), and the
//! benchmark's reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::net::{SocketAddr, TcpListener};
use std::thread;

use assert_cmd::Command;
use echo_threaded::{Config, Shutdown};
use indicatif::ProgressBar;
use loadgen::bench::{self, Measurement, Point, Results, Run, Settings};
use loadgen::{Arrival, Mode, Options, Report, percentile, render};
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
    Options {
        address,
        connections: 4,
        requests: 50,
        size: 1000,
        mode,
        max_seconds: 15.0,
        ..Options::default()
    }
}

/// Every test of a run, under both arrival patterns.
const ARRIVALS: [Arrival; 2] = [Arrival::Burst, Arrival::Spread];

fn with_arrival(options: Options, arrival: Arrival) -> Options {
    Options { arrival, ..options }
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
    for arrival in ARRIVALS {
        let options = with_arrival(options(server.address, Mode::Echo), arrival);
        let report = loadgen::run(&options, &ProgressBar::hidden()).unwrap();
        check_complete(&report, 200);
        assert_eq!((report.arrival, report.offered_rate, report.late), (arrival, None, 0));
        // Larger than the socket buffers: written and read at the same time.
        let big = Options { connections: 2, requests: 3, size: 3_000_000, ..options };
        check_complete(&loadgen::run(&big, &ProgressBar::hidden()).unwrap(), 6);
    }
}

#[test]
fn hello_mode_opens_one_connection_per_request() {
    let server = EchoServer::start(quiet());
    for arrival in ARRIVALS {
        let options = with_arrival(options(server.address, Mode::Hello), arrival);
        let report = loadgen::run(&options, &ProgressBar::hidden()).unwrap();
        check_complete(&report, 200);
        assert_eq!(report.size, 14);
    }
}

#[test]
fn checksum_mode_verifies_every_answer() {
    let echo = EchoServer::start(quiet());
    let server =
        EchoServer::start(Config { service: echo_iterative::Service::Checksum, ..quiet() });
    for arrival in ARRIVALS {
        // An echo server does not compute checksums: every request is an error.
        let options = |address| with_arrival(options(address, Mode::Checksum), arrival);
        let wrong = loadgen::run(&options(echo.address), &ProgressBar::hidden()).unwrap();
        assert_eq!((wrong.requests, wrong.errors), (0, 4));
        // It sends back the whole frame: more than the 8-byte answer (or, if the
        // first 8 bytes arrive alone, a wrong checksum).
        let error = wrong.first_error.unwrap();
        assert!(
            error == "wrong checksum" || error.ends_with("more bytes than expected"),
            "unexpected error {error:?}"
        );
        let report = loadgen::run(&options(server.address), &ProgressBar::hidden()).unwrap();
        check_complete(&report, 200);
    }
}

#[test]
fn the_time_cap_stops_a_server_that_never_answers() {
    // Connections complete (the kernel queues them) but nobody ever accepts.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    for arrival in ARRIVALS {
        let options = Options {
            max_seconds: 0.3,
            ..with_arrival(options(silent.local_addr().unwrap(), Mode::Echo), arrival)
        };
        let report = loadgen::run(&options, &ProgressBar::hidden()).unwrap();
        assert_eq!((report.requests, report.errors), (0, 0), "{arrival:?}");
        assert_eq!((report.cut_off, report.starved), (4, 4), "{arrival:?}");
        assert!(report.seconds < TIMEOUT.as_secs_f64());
    }
}

#[test]
fn a_refused_connection_is_an_error_not_a_hang() {
    let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // closed again
    for arrival in ARRIVALS {
        let options = with_arrival(options(address, Mode::Echo), arrival);
        let report = loadgen::run(&options, &ProgressBar::hidden()).unwrap();
        assert_eq!((report.requests, report.errors), (0, 4));
        assert!(report.first_error.unwrap().starts_with("cannot connect to"));
    }
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
        p50_us: 50.0,
        max_us: 200.0,
        late: 0,
        user_us: Some(cpu / 2.0),
        sys_us: Some(cpu / 2.0),
        requests: 1000,
        errors: 0,
        starved: 0,
    }
}

fn sample() -> Results {
    let point = Point::new(Mode::Echo, 10, 64);
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

/// A sample with the arrival-pattern points and a two-rate open-loop sweep.
fn pattern_sample() -> Results {
    let mut measurements = Vec::new();
    let closed = Point::new(Mode::Echo, 100, 64);
    let spread = Point { arrival: Arrival::Spread, ..closed };
    for (point, tokio, asyncio) in [(closed, [90.0, 110.0], 80.0), (spread, [200.0, 300.0], 100.0)]
    {
        for (server, rates, cpu) in [
            (bench::TOKIO, tokio, 11.0),
            (bench::PY_ASYNCIO, [asyncio, asyncio], 20.0),
            (bench::FLOOR, [150.0, 150.0], 10.0),
        ] {
            let runs: Vec<Run> = rates.iter().map(|&rps| run_of(rps, cpu)).collect();
            let median = bench::median(&runs);
            measurements.push(Measurement { server: server.to_string(), point, runs, median });
        }
    }
    for rate in [1000, 5000] {
        let point = Point { rate: Some(rate), ..spread };
        let run = Run { p50_us: rate as f64 / 10.0, p99_us: rate as f64, ..run_of(900.0, 1.0) };
        measurements.push(Measurement {
            server: bench::TOKIO.to_string(),
            point,
            runs: vec![run.clone()],
            median: run,
        });
    }
    Results {
        machine: vec![],
        settings: Settings { repeats: 2, seconds: 1.0, hello_requests: 1, pinned: false },
        servers: vec![],
        targets: bench::targets(&measurements, &[closed, spread]),
        measurements,
    }
}

#[test]
fn pattern_ratios_are_taken_round_by_round_with_their_spread() {
    let results = pattern_sample();
    let ratios = bench::pattern_ratios(&results.measurements);
    let tokio_spread = ratios
        .iter()
        .find(|r| r.claim.starts_with("tokio req/s") && r.arrival == Arrival::Spread)
        .unwrap();
    assert_eq!(tokio_spread.rounds, vec![2.0, 3.0]);
    assert_eq!(tokio_spread.spread(), (2.5, 2.0, 3.0));
    let cpu = ratios.iter().find(|r| r.claim.starts_with("tokio CPU")).unwrap();
    assert!((cpu.spread().0 - 1.1).abs() < 1e-9);
    // The open-loop points are left out of the targets and the main table.
    assert!(results.targets[0].ratios.iter().all(|(label, _)| !label.contains("offered")));
    let table = render::table(&results);
    assert!(table.contains("| echo (spread) | tokio | 100 | 64 |"), "{table}");
    assert!(!table.contains("offered"), "{table}");
    let patterns = render::patterns(&results);
    assert!(patterns.contains("| tokio req/s / python asyncio | spread | 2.50 | 2.00–3.00 | 2 |"));
    assert!(patterns.contains("| spread | tokio | 250 | 200–300 |"), "{patterns}");
    assert!(patterns.contains("| 100 conns × 64 B | tokio | 5\u{2009}000 | 900 | 500 | 5000 |"));
    let chart = render::latency_chart(&results);
    assert!(chart.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(chart.contains("fill=\"currentColor\"") && !chart.contains("fill=\"white\""));
    assert_eq!(chart.matches("<polyline").count(), 2, "p99 and p50 of the one server");
    assert_eq!(chart.matches("<circle").count(), 2, "one mark per offered rate");
}

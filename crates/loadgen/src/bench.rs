//! The benchmark behind `scripts/bench.sh`: start each server pinned to one
//! core, load it from this process (pinned to another core by the script),
//! repeat each point, keep the medians, and judge the targets.
//!
//! Server CPU time comes from `/proc/PID/stat` (user and system ticks)
//! read before and after each run, so it is Linux-only; elsewhere it is
//! reported as missing.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::{Arrival, Mode, Options, Report};

/// A server in the benchmark.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServerSpec {
    /// Short name used in tables (`tokio`, `python asyncio`, …).
    pub name: String,
    /// Program and arguments, without the address.
    pub command: Vec<String>,
    /// Whether it speaks the checksum service (with `--checksum`).
    pub checksum: bool,
}

/// One point of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub mode: Mode,
    pub connections: usize,
    pub size: usize,
    /// How the requests arrive (results from before this field are `burst`).
    #[serde(default)]
    pub arrival: Arrival,
    /// Open loop at this many requests per second; `None`: closed loop.
    #[serde(default)]
    pub rate: Option<u64>,
}

impl Point {
    /// A closed-loop point with burst arrivals.
    pub fn new(mode: Mode, connections: usize, size: usize) -> Self {
        Self { mode, connections, size, arrival: Arrival::Burst, rate: None }
    }
}

/// How the benchmark runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub repeats: usize,
    /// Time cap of each measured run.
    pub seconds: f64,
    /// Requests per connection in `Hello` mode (each is a new connection).
    pub hello_requests: u64,
    /// Servers pinned with `taskset -c 0`.
    pub pinned: bool,
}

/// One measured run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub requests_per_second: f64,
    pub p99_us: f64,
    #[serde(default)]
    pub p50_us: f64,
    #[serde(default)]
    pub max_us: f64,
    /// Open loop: requests sent late (see [`crate::LATE`]).
    #[serde(default)]
    pub late: u64,
    /// Server CPU per request (round trip), microseconds; `None` without /proc.
    pub user_us: Option<f64>,
    pub sys_us: Option<f64>,
    pub requests: u64,
    pub errors: u64,
    pub starved: u64,
}

/// All runs of one server at one point, and their medians.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurement {
    pub server: String,
    pub point: Point,
    pub runs: Vec<Run>,
    pub median: Run,
}

/// Whether a target was met, point by point.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Target {
    pub claim: String,
    pub met: bool,
    /// `conns x size: ratio` for every point compared.
    pub ratios: Vec<(String, f64)>,
}

/// Everything `bench` measured; written to `bench/results.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Results {
    pub machine: Vec<(String, String)>,
    pub settings: Settings,
    pub servers: Vec<ServerSpec>,
    pub measurements: Vec<Measurement>,
    pub targets: Vec<Target>,
}

/// Display names of the servers, in table order.
pub const FLOOR: &str = "floor (mio)";
pub const TOKIO: &str = "tokio";
pub const POOL: &str = "pool";
pub const THREADED: &str = "threaded";
pub const ITERATIVE: &str = "iterative";
pub const PY_ASYNCIO: &str = "python asyncio";
pub const PY_THREADING: &str = "python threading";

/// The servers: our binaries in `bin_dir`, and the Python peers when `python` is given.
pub fn servers(bin_dir: &Path, bench_dir: &Path, python: Option<&Path>) -> Vec<ServerSpec> {
    let ours = |name: &str, program: &str, checksum: bool| {
        let path = bin_dir.join(format!("{program}{}", std::env::consts::EXE_SUFFIX));
        ServerSpec {
            name: name.to_string(),
            command: vec![path.display().to_string(), "--quiet".to_string()],
            checksum,
        }
    };
    let mut list = vec![
        ours(FLOOR, "echo-floor", false),
        ours(TOKIO, "echo-async", true),
        ours(POOL, "echo-pool", true),
        ours(THREADED, "echo-threaded", true),
        ours(ITERATIVE, "echo-iterative", false),
    ];
    if let Some(python) = python {
        for (name, script) in [(PY_ASYNCIO, "echo_asyncio.py"), (PY_THREADING, "echo_threading.py")]
        {
            list.push(ServerSpec {
                name: name.to_string(),
                command: vec![
                    python.display().to_string(),
                    bench_dir.join(script).display().to_string(),
                ],
                checksum: true,
            });
        }
    }
    list
}

/// The servers of the arrival-pattern comparison and the open-loop sweep.
pub const PATTERN_SERVERS: [&str; 4] = [TOKIO, POOL, PY_ASYNCIO, FLOOR];

/// The open-loop sweep's offered rates (requests per second in total, over
/// [`SWEEP_CONNECTIONS`] connections with spread arrivals): from light load to
/// beyond what any server here can answer.
pub const SWEEP_RATES: [u64; 8] =
    [10_000, 25_000, 50_000, 75_000, 100_000, 125_000, 150_000, 200_000];

/// Connections of the arrival-pattern comparison and the open-loop sweep.
pub const SWEEP_CONNECTIONS: usize = 100;

/// The matrix: echo at 1/10/100 connections × 64 B/16 KiB, the checksum
/// workload, the tutorial's hello exchange (accept rate), then 100 × 64 B
/// echo again with spread arrivals, and the open-loop sweep.
pub fn matrix(smoke: bool) -> Vec<Point> {
    let spread = |connections, rate| Point {
        arrival: Arrival::Spread,
        rate,
        ..Point::new(Mode::Echo, connections, 64)
    };
    if smoke {
        return vec![
            Point::new(Mode::Echo, 2, 64),
            Point::new(Mode::Checksum, 2, 16 * 1024),
            Point::new(Mode::Hello, 2, 0),
            spread(2, None),
            spread(2, Some(500)),
        ];
    }
    let mut points = Vec::new();
    for connections in [1, 10, 100] {
        for size in [64, 16 * 1024] {
            points.push(Point::new(Mode::Echo, connections, size));
        }
    }
    points.push(Point::new(Mode::Checksum, 10, 16 * 1024));
    points.push(Point::new(Mode::Hello, 10, 0));
    points.push(spread(SWEEP_CONNECTIONS, None));
    for rate in SWEEP_RATES {
        points.push(spread(SWEEP_CONNECTIONS, Some(rate)));
    }
    points
}

/// A started server, killed on drop.
#[derive(Debug)]
struct Running {
    child: Child,
    address: SocketAddr,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(spec: &ServerSpec, checksum: bool, pinned: bool) -> Result<Running> {
    let mut words: Vec<String> = Vec::new();
    if pinned {
        words.extend(["taskset", "-c", "0"].map(String::from));
    }
    words.extend(spec.command.iter().cloned());
    if checksum {
        words.push("--checksum".into());
    }
    words.push("127.0.0.1:0".into());
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null()) // resets at the end of a run are expected noise
        .spawn()
        .with_context(|| format!("cannot start {}", words.join(" ")))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (sender, receiver) = channel();
    std::thread::Builder::new()
        .spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = sender.send(lines.next());
            for _ in lines {} // keep draining so the server never blocks on stdout
        })
        .context("cannot start a thread to read the server's output")?;
    let line = match receiver.recv_timeout(Duration::from_secs(15)) {
        Ok(Some(Ok(line))) => line,
        _ => {
            let _ = child.kill();
            bail!("{} did not print `Listening on ADDRESS`", spec.name);
        }
    };
    let mut running = Running { child, address: SocketAddr::from(([127, 0, 0, 1], 0)) };
    running.address = line
        .strip_prefix("Listening on ")
        .and_then(|address| address.parse().ok())
        .with_context(|| format!("{}: unexpected first line {line:?}", spec.name))?;
    Ok(running)
}

/// User and system CPU seconds of a process so far (Linux), `None` elsewhere.
pub fn cpu_seconds(pid: u32, ticks_per_second: f64) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user / ticks_per_second, system / ticks_per_second))
}

fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The median of each field separately.
pub fn median(runs: &[Run]) -> Run {
    fn mid(mut values: Vec<f64>) -> f64 {
        values.sort_by(f64::total_cmp);
        match values.len() {
            0 => 0.0,
            n if n % 2 == 1 => values[n / 2],
            n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
        }
    }
    let optional = |pick: fn(&Run) -> Option<f64>| {
        let values: Option<Vec<f64>> = runs.iter().map(pick).collect();
        values.map(mid)
    };
    Run {
        requests_per_second: mid(runs.iter().map(|run| run.requests_per_second).collect()),
        p99_us: mid(runs.iter().map(|run| run.p99_us).collect()),
        p50_us: mid(runs.iter().map(|run| run.p50_us).collect()),
        max_us: mid(runs.iter().map(|run| run.max_us).collect()),
        late: mid(runs.iter().map(|run| run.late as f64).collect()) as u64,
        user_us: optional(|run| run.user_us),
        sys_us: optional(|run| run.sys_us),
        requests: mid(runs.iter().map(|run| run.requests as f64).collect()) as u64,
        errors: runs.iter().map(|run| run.errors).sum(),
        starved: runs.iter().map(|run| run.starved).max().unwrap_or(0),
    }
}

/// Runs the whole matrix; `log` receives one line per server and point (an
/// error from it, e.g. a closed stdout, stops the benchmark).
///
/// At each point every server is started, then the runs go round-robin
/// (server 1, server 2, …, server 1, …): on a shared machine a burst of
/// other work then hits every server alike instead of all runs of one.
pub fn run_all(
    servers: &[ServerSpec],
    points: &[Point],
    settings: &Settings,
    log: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Vec<Measurement>> {
    let ticks = ticks_per_second();
    let mut measurements = Vec::new();
    for point in points {
        // Spread arrivals and the open loop: the four servers compared there.
        let pattern = point.arrival == Arrival::Spread || point.rate.is_some();
        let specs: Vec<&ServerSpec> = servers
            .iter()
            .filter(|spec| point.mode != Mode::Checksum || spec.checksum)
            .filter(|spec| !pattern || PATTERN_SERVERS.contains(&spec.name.as_str()))
            .collect();
        let mut running = Vec::new();
        for spec in &specs {
            running.push(start(spec, point.mode == Mode::Checksum, settings.pinned)?);
        }
        let options = |address: SocketAddr, seconds: f64| Options {
            address,
            connections: point.connections,
            // Echo and checksum runs are ended by the time cap: as many requests
            // as loadgen allows, which no run of a few seconds gets near.
            requests: match point.mode {
                Mode::Hello => settings.hello_requests,
                _ => crate::MAX_REQUESTS / point.connections.max(1) as u64,
            },
            size: point.size,
            mode: point.mode,
            max_seconds: seconds,
            arrival: point.arrival,
            rate: point.rate.map(|rate| rate as f64),
        };
        // A short warm-up each (threads started, caches and Python warm).
        for server in &running {
            crate::run(&options(server.address, settings.seconds / 5.0), &ProgressBar::hidden())?;
        }
        let mut runs: Vec<Vec<Run>> = vec![Vec::new(); running.len()];
        for _ in 0..settings.repeats {
            for (server, runs) in running.iter().zip(&mut runs) {
                let pid = server.child.id();
                let before = cpu_seconds(pid, ticks);
                let report =
                    crate::run(&options(server.address, settings.seconds), &ProgressBar::hidden())?;
                let after = cpu_seconds(pid, ticks);
                runs.push(to_run(&report, before, after));
            }
        }
        drop(running);
        for (spec, runs) in specs.iter().zip(runs) {
            let median = median(&runs);
            log(&format!(
                "{:<17} {:<8} {:>3} conns {:>5} B{}: {:>9.0} req/s  p99 {:>7.0} µs  cpu {} µs/rt  errors {}",
                spec.name,
                format!("{:?}", point.mode).to_lowercase(),
                point.connections,
                point.size,
                match (point.arrival, point.rate) {
                    (_, Some(rate)) => format!(" spread, open loop at {rate} req/s"),
                    (Arrival::Spread, None) => " spread".to_string(),
                    (Arrival::Burst, None) => String::new(),
                },
                median.requests_per_second,
                median.p99_us,
                match (median.user_us, median.sys_us) {
                    (Some(user), Some(sys)) => format!("{user:.1}+{sys:.1}"),
                    _ => "n/a".into(),
                },
                median.errors,
            ))?;
            measurements.push(Measurement {
                server: spec.name.clone(),
                point: *point,
                runs,
                median,
            });
        }
    }
    Ok(measurements)
}

fn to_run(report: &Report, before: Option<(f64, f64)>, after: Option<(f64, f64)>) -> Run {
    let per_request = |seconds: f64| seconds * 1e6 / report.requests.max(1) as f64;
    let (user_us, sys_us) = match (before, after) {
        (Some((user0, sys0)), Some((user1, sys1))) => {
            (Some(per_request(user1 - user0)), Some(per_request(sys1 - sys0)))
        }
        _ => (None, None),
    };
    Run {
        requests_per_second: report.requests_per_second,
        p99_us: report.p99_us,
        p50_us: report.p50_us,
        max_us: report.max_us,
        late: report.late,
        user_us,
        sys_us,
        requests: report.requests,
        errors: report.errors,
        starved: report.starved,
    }
}

fn find<'a>(measurements: &'a [Measurement], server: &str, point: &Point) -> Option<&'a Run> {
    measurements
        .iter()
        .find(|measurement| measurement.server == server && measurement.point == *point)
        .map(|measurement| &measurement.median)
}

/// Label of a point for ratios and charts: `10 × 16 KiB`.
pub fn point_label(point: &Point) -> String {
    let size = match point.size {
        0 => "hello".to_string(),
        size if size % 1024 == 0 => format!("{} KiB", size / 1024),
        size => format!("{size} B"),
    };
    let arrival = match (point.arrival, point.rate) {
        (_, Some(rate)) => format!(", spread, {rate} req/s offered"),
        (Arrival::Spread, None) => ", spread".to_string(),
        (Arrival::Burst, None) => String::new(),
    };
    format!("{} × {size}{arrival}", point.connections)
}

/// One ratio between two servers, round by round, at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundRatios {
    pub claim: String,
    pub arrival: Arrival,
    /// One ratio per round, both runs of a round taken one right after the other.
    pub rounds: Vec<f64>,
}

impl RoundRatios {
    /// Median, smallest and largest of the per-round ratios.
    pub fn spread(&self) -> (f64, f64, f64) {
        let mut sorted = self.rounds.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => return (0.0, 0.0, 0.0),
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        (median, sorted[0], sorted[n - 1])
    }
}

/// The closed-loop 64 B echo of `server` under `arrival`, at as many
/// connections as the spread point has (100; 2 in the smoke run).
pub fn pattern_measurement<'a>(
    measurements: &'a [Measurement],
    server: &str,
    arrival: Arrival,
) -> Option<&'a Measurement> {
    let closed_echo = |m: &&Measurement| {
        m.point.mode == Mode::Echo && m.point.size == 64 && m.point.rate.is_none()
    };
    let connections = measurements
        .iter()
        .filter(closed_echo)
        .find(|m| m.point.arrival == Arrival::Spread)?
        .point
        .connections;
    measurements.iter().filter(closed_echo).find(|m| {
        m.server == server && m.point.arrival == arrival && m.point.connections == connections
    })
}

fn cpu_of(run: &Run) -> Option<f64> {
    run.user_us.zip(run.sys_us).map(|(user, sys)| user + sys)
}

/// The arrival-pattern comparison at 100 × 64 B echo (closed loop), under
/// burst and spread arrivals: tokio and pool req/s over python asyncio's,
/// tokio CPU per round trip over the floor's, round by round.
pub fn pattern_ratios(measurements: &[Measurement]) -> Vec<RoundRatios> {
    let runs = |server: &str, arrival: Arrival| {
        pattern_measurement(measurements, server, arrival)
            .map(|m| m.runs.clone())
            .unwrap_or_default()
    };
    let mut ratios = Vec::new();
    for arrival in [Arrival::Burst, Arrival::Spread] {
        let rps = |run: &Run| Some(run.requests_per_second);
        for (claim, ours, theirs, value) in [
            ("tokio req/s / python asyncio", TOKIO, PY_ASYNCIO, rps as fn(&Run) -> Option<f64>),
            ("pool req/s / python asyncio", POOL, PY_ASYNCIO, rps),
            ("tokio CPU per round trip / floor", TOKIO, FLOOR, cpu_of),
        ] {
            let rounds = runs(ours, arrival)
                .iter()
                .zip(&runs(theirs, arrival))
                .filter_map(|(a, b)| Some(value(a)? / value(b)?.max(1e-9)))
                .collect();
            ratios.push(RoundRatios { claim: claim.to_string(), arrival, rounds });
        }
    }
    ratios
}

/// Judges the targets on the echo points.
pub fn targets(measurements: &[Measurement], points: &[Point]) -> Vec<Target> {
    // `higher`: compare req/s (ours / theirs); otherwise server CPU per round trip.
    let ratio_target =
        |claim: &str, ours: &str, theirs: &str, modes: &[Mode], wanted: f64, higher: bool| {
            let mut ratios = Vec::new();
            // Open-loop points are excluded: there every server is sent the same rate.
            for point in
                points.iter().filter(|point| modes.contains(&point.mode) && point.rate.is_none())
            {
                let (Some(a), Some(b)) =
                    (find(measurements, ours, point), find(measurements, theirs, point))
                else {
                    continue;
                };
                let ratio = if higher {
                    a.requests_per_second / b.requests_per_second.max(f64::MIN_POSITIVE)
                } else {
                    match (a.user_us.zip(a.sys_us), b.user_us.zip(b.sys_us)) {
                        (Some((au, asys)), Some((bu, bsys))) => (au + asys) / (bu + bsys).max(1e-9),
                        _ => continue,
                    }
                };
                let label = match point.mode {
                    Mode::Echo => point_label(point),
                    Mode::Checksum => format!("checksum {}", point_label(point)),
                    Mode::Hello => format!("hello, {} conns", point.connections),
                };
                ratios.push((label, ratio));
            }
            let met = !ratios.is_empty()
                && ratios
                    .iter()
                    .all(|(_, ratio)| if higher { *ratio >= wanted } else { *ratio <= wanted });
            Target { claim: claim.to_string(), met, ratios }
        };
    let echo = &[Mode::Echo];
    vec![
        ratio_target("tokio req/s >= 2 x python asyncio", TOKIO, PY_ASYNCIO, echo, 2.0, true),
        ratio_target(
            "tokio server CPU per round trip <= 1.2 x floor",
            TOKIO,
            FLOOR,
            echo,
            1.2,
            false,
        ),
        ratio_target("pool req/s >= 1.5 x python asyncio", POOL, PY_ASYNCIO, echo, 1.5, true),
        ratio_target(
            "threaded req/s vs python threading (no target)",
            THREADED,
            PY_THREADING,
            echo,
            0.0,
            true,
        ),
        ratio_target(
            "python asyncio CPU per round trip vs tokio (no target)",
            PY_ASYNCIO,
            TOKIO,
            echo,
            0.0,
            false,
        ),
        ratio_target(
            "tokio req/s vs python asyncio, other workloads (no target)",
            TOKIO,
            PY_ASYNCIO,
            &[Mode::Checksum, Mode::Hello],
            0.0,
            true,
        ),
    ]
}

/// A few facts about the machine, for results.json.
pub fn machine(python: Option<&PathBuf>) -> Vec<(String, String)> {
    let run = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|output| {
                let text = if output.stdout.is_empty() { output.stderr } else { output.stdout };
                String::from_utf8_lossy(&text).trim().to_string()
            })
            .unwrap_or_default()
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_default();
    let mut facts = vec![
        ("os".to_string(), run("uname", &["-sr"])),
        ("cpu".to_string(), cpu),
        ("cores".to_string(), run("nproc", &["--all"])),
        ("rustc".to_string(), run("rustc", &["--version"])),
    ];
    if let Some(python) = python {
        facts.push(("python".to_string(), run(&python.display().to_string(), &["--version"])));
    }
    facts
}

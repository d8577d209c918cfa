//! Load for the echo servers: many connections, each making round trips as
//! fast as the server answers (closed loop) or at a fixed rate (open loop,
//! `--rate`), with latency percentiles at the end.
//!
//! Two arrival patterns. `burst` (the default): every connection is a task on
//! one current-thread tokio runtime, so requests leave in bursts, one per
//! ready connection, and the load generator needs a single core (the
//! benchmark pins it to its own core, away from the server under test).
//! `spread`: every connection is an OS thread with a blocking std socket, so
//! requests arrive independently, as from separate clients. Runs are bounded
//! twice: by a request count per connection and by a time cap.
//!
//! Modules: [`cli`] parses the command line, [`bench`] drives the benchmark
//! behind `scripts/bench.sh`, [`render`] turns its results into the book's
//! table and chart.

pub mod bench;
pub mod cli;
pub mod render;
mod spread;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use echo_iterative::fnv1a64;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

/// What one request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Send `size` bytes, read the same bytes back, on a long-lived connection.
    Echo,
    /// The tutorial's exchange: connect, send `Hello, Server!`, read the
    /// 14-byte reply, close. Measures how fast a server accepts.
    Hello,
    /// Send a frame (4-byte big-endian length + `size` bytes), read back the
    /// 8-byte FNV-1a checksum of the payload (servers started with `--checksum`).
    Checksum,
}

/// How the requests of different connections arrive at the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    /// All connections are tasks on one thread: each time the thread wakes it
    /// sends on every connection that is ready, so requests arrive in bursts.
    #[default]
    Burst,
    /// Each connection is its own OS thread with a blocking socket: requests
    /// arrive independently of each other.
    Spread,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The server; must be a loopback address.
    pub address: SocketAddr,
    /// Connections at the same time.
    pub connections: usize,
    /// Requests per connection.
    pub requests: u64,
    /// Message size in bytes (ignored by `Hello`).
    pub size: usize,
    /// Kind of request.
    pub mode: Mode,
    /// Stop every connection after this long, finished or not.
    pub max_seconds: f64,
    /// Tasks on one thread, or a thread per connection.
    pub arrival: Arrival,
    /// Open loop: requests per second in total, spread evenly over the
    /// connections, each sent at its scheduled time. `None`: closed loop.
    pub rate: Option<f64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            address: SocketAddr::from(([127, 0, 0, 1], 7004)),
            connections: 10,
            requests: 1000,
            size: 64,
            mode: Mode::Echo,
            max_seconds: 30.0,
            arrival: Arrival::Burst,
            rate: None,
        }
    }
}

/// The outcome of a run; printed as one JSON line for scripts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub mode: Mode,
    pub address: String,
    pub connections: usize,
    pub size: usize,
    /// Requests answered correctly.
    pub requests: u64,
    /// Requests that failed (refused, reset, wrong answer); a failed
    /// connection stops, in `Hello` mode only that request fails.
    pub errors: u64,
    /// Connections still unfinished when the time cap struck.
    pub cut_off: u64,
    /// Connections that got no answer at all before the cap (starved).
    pub starved: u64,
    pub seconds: f64,
    pub requests_per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub first_error: Option<String>,
    pub arrival: Arrival,
    /// Open loop: the requests per second asked for (`requests_per_second`
    /// is what was achieved); `null` for a closed loop.
    pub offered_rate: Option<f64>,
    /// Open loop: requests sent more than [`LATE`] after their scheduled
    /// time (the connection was still waiting for an earlier answer, or the
    /// load generator was too busy).
    pub late: u64,
}

/// How far behind its schedule a request may leave before it counts as late.
pub const LATE: Duration = Duration::from_millis(1);

/// The most connections with `--arrival spread`, each an OS thread here.
pub const MAX_SPREAD: usize = 1000;

/// The highest `--rate`, ten million requests per second (loopback tops
/// out far below).
pub const MAX_RATE: f64 = 10_000_000.0;

/// Greeting of the `Hello` mode, as in the tutorial.
pub const HELLO: &[u8] = b"Hello, Server!";

/// The largest message, 16 MiB. Each connection holds its message and a
/// buffer for the echo, so this is ~32 MiB per connection already; larger
/// shows nothing new on loopback, and `-s 3000000000` is a typo, not a test.
pub const MAX_SIZE: usize = 16 * 1024 * 1024;

/// The most connections at once, 10 000 (the "C10k" mark). Each one is a
/// socket here and another in the server, on the same machine: descriptors
/// (1024 per process by default on Linux, 256 on macOS) and loopback's
/// ephemeral ports (about 28 000 on Linux) run out not far beyond.
pub const MAX_CONNECTIONS: usize = 10_000;

/// The most message bytes in flight at once, connections × size: 256 MiB
/// (twice that with the echo buffers).
pub const MAX_IN_FLIGHT: usize = 256 * 1024 * 1024;

/// The most requests in a run, connections × requests: 100 million. Every
/// answered request keeps its latency (8 bytes) for the percentiles, so this
/// is at most 800 MB, and at loopback rates already a run of many minutes.
pub const MAX_REQUESTS: u64 = 100_000_000;

/// Checks options before any connection is made: each refusal names the
/// limit and what to do instead.
pub fn validate(options: &Options) -> anyhow::Result<()> {
    if !options.address.ip().is_loopback() {
        bail!(
            "refusing to load {}: loadgen only targets loopback (127.0.0.1, ::1)",
            options.address
        );
    }
    if options.connections == 0 || options.requests == 0 {
        bail!("need at least one connection and one request");
    }
    if options.connections > MAX_CONNECTIONS {
        bail!(
            "-c {} is too many connections: at most {MAX_CONNECTIONS} \
             (each is a socket here and one in the server; try -c 100)",
            options.connections
        );
    }
    let total = (options.connections as u64).saturating_mul(options.requests);
    if total > MAX_REQUESTS {
        bail!(
            "{} connections × {} requests is too many: at most {MAX_REQUESTS} requests in all \
             (each answered one keeps its latency; for a run of a fixed length, use --max-seconds)",
            options.connections,
            options.requests
        );
    }
    if options.mode != Mode::Hello {
        if options.size == 0 {
            bail!("message size must be at least 1 byte");
        }
        if options.size > MAX_SIZE {
            bail!(
                "-s {} is too large: a message is at most {MAX_SIZE} bytes (16 MiB) (try -s 65536)",
                options.size
            );
        }
        if options.mode == Mode::Checksum && options.size > echo_iterative::MAX_FRAME {
            bail!("checksum frames are limited to {} bytes", echo_iterative::MAX_FRAME);
        }
        let in_flight = options.connections.saturating_mul(options.size);
        if in_flight > MAX_IN_FLIGHT {
            bail!(
                "{} connections × {}-byte messages is too much memory: at most {MAX_IN_FLIGHT} \
                 bytes (256 MiB) in flight (use fewer connections or smaller messages)",
                options.connections,
                options.size
            );
        }
    }
    if !(options.max_seconds > 0.0 && options.max_seconds <= 3600.0) {
        bail!("--max-seconds must be between 0 and 3600");
    }
    if options.arrival == Arrival::Spread && options.connections > MAX_SPREAD {
        bail!(
            "-c {} is too many for --arrival spread: at most {MAX_SPREAD} \
             (each connection is a thread; use --arrival burst for more)",
            options.connections
        );
    }
    if let Some(rate) = options.rate
        && !(rate > 0.0 && rate <= MAX_RATE)
    {
        bail!("--rate must be between 0 and {MAX_RATE} requests per second");
    }
    Ok(())
}

// ANCHOR: scheduled
/// Open loop: when request `request` of connection `number` is due, counted
/// from the start of the schedule. The connections take turns evenly: with
/// rate R, one request leaves every 1/R s, connection after connection.
pub(crate) fn scheduled(options: &Options, number: u64, request: u64) -> Option<Duration> {
    let slot = request.saturating_mul(options.connections as u64).saturating_add(number);
    options.rate.map(|rate| Duration::from_secs_f64(slot as f64 / rate))
}

/// Open loop: the schedule starts this long after the run, so that every
/// connection is open before its first request is due.
pub(crate) const LEAD: Duration = Duration::from_millis(20);
// ANCHOR_END: scheduled

/// Runs the load, on a current-thread runtime (`burst`) or a thread per
/// connection (`spread`); `progress` (maybe hidden) follows the number of
/// requests done.
pub fn run(options: &Options, progress: &ProgressBar) -> anyhow::Result<Report> {
    validate(options)?;
    if options.arrival == Arrival::Spread {
        return spread::load(options, progress);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    Ok(runtime.block_on(load(options.clone(), progress.clone())))
}

/// What one connection task brings back.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    latencies_ns: Vec<u64>,
    errors: u64,
    cut_off: bool,
    first_error: Option<String>,
    late: u64,
}

// ANCHOR: load
async fn load(options: Options, progress: ProgressBar) -> Report {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(options.max_seconds);
    let origin = started + LEAD;
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for number in 0..options.connections {
        let (options, done) = (options.clone(), Arc::clone(&done));
        tasks.spawn(async move {
            match options.mode {
                Mode::Hello => {
                    hello_connection(&options, number as u64, (origin, deadline), &done).await
                }
                _ => stream_connection(&options, number as u64, (origin, deadline), &done).await,
            }
        });
    }
    // The bar follows a counter, so the tasks never touch the terminal.
    let ticker = {
        let (done, progress) = (Arc::clone(&done), progress.clone());
        tokio::spawn(async move {
            loop {
                progress.set_position(done.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let mut outcomes = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        outcomes.push(outcome.unwrap_or_else(|error| Outcome {
            errors: 1,
            first_error: Some(format!("connection task failed: {error}")),
            ..Outcome::default()
        }));
    }
    ticker.abort();
    progress.finish_and_clear();
    summarize(&options, started.elapsed(), outcomes)
}
// ANCHOR_END: load

pub(crate) fn summarize(options: &Options, elapsed: Duration, outcomes: Vec<Outcome>) -> Report {
    let mut latencies: Vec<u64> = Vec::new();
    let (mut errors, mut cut_off, mut starved, mut first_error) = (0, 0, 0, None);
    let mut late = 0;
    for outcome in outcomes {
        errors += outcome.errors;
        late += outcome.late;
        cut_off += u64::from(outcome.cut_off);
        starved += u64::from(outcome.latencies_ns.is_empty() && outcome.cut_off);
        first_error = first_error.or(outcome.first_error);
        latencies.extend(outcome.latencies_ns);
    }
    latencies.sort_unstable();
    let seconds = elapsed.as_secs_f64();
    let requests = latencies.len() as u64;
    Report {
        mode: options.mode,
        address: options.address.to_string(),
        connections: options.connections,
        size: if options.mode == Mode::Hello { HELLO.len() } else { options.size },
        requests,
        errors,
        cut_off,
        starved,
        seconds,
        requests_per_second: if seconds > 0.0 { requests as f64 / seconds } else { 0.0 },
        p50_us: percentile(&latencies, 50.0),
        p99_us: percentile(&latencies, 99.0),
        max_us: latencies.last().map_or(0.0, |&ns| ns as f64 / 1000.0),
        first_error,
        arrival: options.arrival,
        offered_rate: options.rate,
        late,
    }
}

/// The nearest-rank percentile of sorted nanoseconds, in microseconds.
pub fn percentile(sorted_ns: &[u64], percent: f64) -> f64 {
    if sorted_ns.is_empty() {
        return 0.0;
    }
    let rank = (percent / 100.0 * sorted_ns.len() as f64).ceil() as usize;
    sorted_ns[rank.clamp(1, sorted_ns.len()) - 1] as f64 / 1000.0
}

/// A long-lived connection making `requests` echo or checksum round trips.
async fn stream_connection(
    options: &Options,
    number: u64,
    (origin, deadline): (Instant, Instant),
    done: &AtomicU64,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut stream = match timeout_at(deadline, TcpStream::connect(options.address)).await {
        Err(_) => return Outcome { cut_off: true, ..outcome },
        Ok(Err(error)) => {
            return Outcome {
                errors: 1,
                first_error: Some(format!("cannot connect to {}: {error}", options.address)),
                ..outcome
            };
        }
        Ok(Ok(stream)) => stream,
    };
    let _ = stream.set_nodelay(true);
    // The payload carries the connection and request numbers, so a reply
    // meant for another request (or another client) cannot pass for this one.
    let mut message: Vec<u8> = (0..options.size).map(|i| (i % 251) as u8).collect();
    let mut reply = Vec::new();
    for request in 0..options.requests {
        // Open loop: wait for the scheduled time, and count from it.
        let due = scheduled(options, number, request).map(|offset| origin + offset);
        if let Some(due) = due {
            if due >= deadline {
                outcome.cut_off = true;
                break;
            }
            wait_until(due).await;
        }
        if Instant::now() >= deadline {
            outcome.cut_off = true;
            break;
        }
        stamp(&mut message, number, request);
        let started = match due {
            Some(due) => {
                outcome.late += u64::from(Instant::now() > due + LATE);
                due
            }
            None => Instant::now(),
        };
        let result = match options.mode {
            Mode::Checksum => timeout_at(deadline, checksum_round(&mut stream, &message)).await,
            _ => timeout_at(deadline, echo_round(&mut stream, &message, &mut reply)).await,
        };
        match result {
            Err(_) => {
                outcome.cut_off = true;
                break;
            }
            Ok(Err(error)) => {
                outcome.errors += 1;
                outcome.first_error = Some(error);
                break;
            }
            // An answer that arrives after the cap no longer counts.
            Ok(Ok(())) if Instant::now() > deadline => {
                outcome.cut_off = true;
                break;
            }
            Ok(Ok(())) => {
                outcome.latencies_ns.push(started.elapsed().as_nanos() as u64);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    outcome
}

/// Sleeps until `due`. tokio's timers tick in whole milliseconds and fire on
/// the tick after `due`, so the last millisecond is spent yielding to the
/// other tasks instead, checking the clock in between.
async fn wait_until(due: Instant) {
    if let Some(early) = due.checked_sub(Duration::from_millis(1)) {
        tokio::time::sleep_until(early).await;
    }
    while Instant::now() < due {
        tokio::task::yield_now().await;
    }
}

pub(crate) fn stamp(message: &mut [u8], connection: u64, request: u64) {
    let tag = (connection << 40 | request).to_be_bytes();
    let length = tag.len().min(message.len());
    message[..length].copy_from_slice(&tag[..length]);
}

// ANCHOR: echo_round
/// Writes the message while reading the echo (a large message does not fit
/// in the socket buffers, so writing all before reading could deadlock).
async fn echo_round(
    stream: &mut TcpStream,
    message: &[u8],
    reply: &mut Vec<u8>,
) -> Result<(), String> {
    let (mut reader, mut writer) = stream.split();
    let (written, read) =
        tokio::join!(writer.write_all(message), read_reply(&mut reader, message.len(), reply));
    written.map_err(|error| format!("cannot send: {error}"))?;
    read.map_err(|error| format!("cannot read the echo: {error}"))?;
    if reply[..] != message[..] {
        return Err("the echo differs from the message".into());
    }
    Ok(())
}
// ANCHOR_END: echo_round

/// Reads exactly `expected` bytes into `reply`, offering a larger buffer
/// than needed: a read that comes back short tells tokio the socket is
/// drained, which saves the load generator a system call per round trip.
async fn read_reply(
    reader: &mut (impl AsyncReadExt + Unpin),
    expected: usize,
    reply: &mut Vec<u8>,
) -> std::io::Result<()> {
    reply.resize(expected + 1024, 0);
    let mut received = 0;
    while received < expected {
        match reader.read(&mut reply[received..]).await? {
            0 => return Err(ErrorKind::UnexpectedEof.into()),
            count => received += count,
        }
    }
    if received > expected {
        return Err(std::io::Error::new(ErrorKind::InvalidData, "more bytes than expected"));
    }
    reply.truncate(expected);
    Ok(())
}

async fn checksum_round(stream: &mut TcpStream, payload: &[u8]) -> Result<(), String> {
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(payload);
    let mut answer = Vec::new();
    let (mut reader, mut writer) = stream.split();
    let (written, read) =
        tokio::join!(writer.write_all(&frame), read_reply(&mut reader, 8, &mut answer));
    written.map_err(|error| format!("cannot send: {error}"))?;
    read.map_err(|error| format!("cannot read the checksum: {error}"))?;
    let answer: [u8; 8] = answer[..].try_into().map_err(|_| "short checksum".to_string())?;
    if u64::from_be_bytes(answer) != fnv1a64(payload) {
        return Err("wrong checksum".into());
    }
    Ok(())
}

/// `requests` times: connect, greet, read the reply until the server closes
/// (or, for an echo server, until we have it and close ourselves).
async fn hello_connection(
    options: &Options,
    number: u64,
    (origin, deadline): (Instant, Instant),
    done: &AtomicU64,
) -> Outcome {
    let mut outcome = Outcome::default();
    for request in 0..options.requests {
        let due = scheduled(options, number, request).map(|offset| origin + offset);
        if let Some(due) = due {
            if due >= deadline {
                outcome.cut_off = true;
                break;
            }
            wait_until(due).await;
        }
        if Instant::now() >= deadline {
            outcome.cut_off = true;
            break;
        }
        let started = match due {
            Some(due) => {
                outcome.late += u64::from(Instant::now() > due + LATE);
                due
            }
            None => Instant::now(),
        };
        match timeout_at(deadline, hello_round(options.address)).await {
            Err(_) => {
                outcome.cut_off = true;
                break;
            }
            Ok(Err(error)) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert(error);
            }
            // An answer that arrives after the cap no longer counts.
            Ok(Ok(())) if Instant::now() > deadline => {
                outcome.cut_off = true;
                break;
            }
            Ok(Ok(())) => {
                outcome.latencies_ns.push(started.elapsed().as_nanos() as u64);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    outcome
}

// ANCHOR: hello_round
async fn hello_round(address: SocketAddr) -> Result<(), String> {
    let mut stream =
        TcpStream::connect(address).await.map_err(|error| format!("cannot connect: {error}"))?;
    stream.write_all(HELLO).await.map_err(|error| format!("cannot send: {error}"))?;
    // Half-close: an echo server sees the end of the request and closes first,
    // as the tutorial's server does after its reply.
    stream.shutdown().await.map_err(|error| format!("cannot shut down: {error}"))?;
    let mut reply = Vec::with_capacity(HELLO.len());
    (&mut stream)
        .take(1024)
        .read_to_end(&mut reply)
        .await
        .map_err(|error| format!("cannot read the reply: {error}"))?;
    if reply.len() != HELLO.len() {
        return Err(format!("expected a {}-byte reply, got {} bytes", HELLO.len(), reply.len()));
    }
    Ok(())
}
// ANCHOR_END: hello_round

/// Human-readable summary (the JSON line follows it).
pub fn describe(report: &Report) -> String {
    let what = match report.mode {
        Mode::Echo => format!("echo of {} bytes", report.size),
        Mode::Checksum => format!("checksum of {}-byte frames", report.size),
        Mode::Hello => "hello (one connection per request)".to_string(),
    };
    let arrival = match report.arrival {
        Arrival::Burst => "burst",
        Arrival::Spread => "spread",
    };
    let mut text = format!(
        "{what} on {}, {} connections ({arrival} arrivals)\n\
         requests: {} in {:.2} s = {:.0} req/s\n\
         latency: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs\n\
         errors: {}",
        report.address,
        report.connections,
        report.requests,
        report.seconds,
        report.requests_per_second,
        report.p50_us,
        report.p99_us,
        report.max_us,
        report.errors,
    );
    if let Some(error) = &report.first_error {
        text.push_str(&format!(" (first: {error})"));
    }
    if let Some(offered) = report.offered_rate {
        text.push_str(&format!(
            "\nopen loop: offered {offered:.0} req/s, achieved {:.0} req/s, \
             {} requests late to send (latency counted from the scheduled time)",
            report.requests_per_second, report.late
        ));
    }
    if report.cut_off > 0 {
        text.push_str(&format!(
            "\ncut off by the time cap: {} connections ({} never answered)",
            report.cut_off, report.starved
        ));
    }
    text
}

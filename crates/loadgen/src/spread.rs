//! `--arrival spread`: a thread per connection, blocking std sockets.
//!
//! Each thread sleeps, sends and waits for its answer on its own, so the
//! server sees requests arrive independently, as from separate clients,
//! instead of one burst each time the single thread of `burst` wakes up.
//! Every blocking call is bounded: the sockets time out every [`SLICE`],
//! and each timeout checks the run's deadline.
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use echo_iterative::fnv1a64;
use indicatif::ProgressBar;

use crate::{HELLO, LATE, LEAD, Mode, Options, Outcome, Report, scheduled, stamp, summarize};

/// The longest a blocking call waits before the deadline is checked again.
const SLICE: Duration = Duration::from_millis(50);

/// Messages above this size are written by a second thread while this one
/// reads the echo: written whole first, they could fill both directions'
/// socket buffers and deadlock (see `echo_round` in the burst pattern).
const WRITE_WHILE_READING: usize = 32 * 1024;

/// Why a round trip ended early.
enum Stop {
    /// The time cap struck.
    Cut,
    /// It failed; the text says how.
    Failed(String),
}

// ANCHOR: spread
/// Starts a thread per connection, follows them with the progress bar, and
/// collects what each brings back.
pub(crate) fn load(options: &Options, progress: &ProgressBar) -> anyhow::Result<Report> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(options.max_seconds);
    let origin = started + LEAD;
    let done = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::with_capacity(options.connections);
    for number in 0..options.connections {
        let (options, done) = (options.clone(), Arc::clone(&done));
        let thread = thread::Builder::new()
            .name(format!("connection {number}"))
            .stack_size(256 * 1024)
            .spawn(move || match options.mode {
                Mode::Hello => hello_connection(&options, number as u64, (origin, deadline), &done),
                _ => stream_connection(&options, number as u64, (origin, deadline), &done),
            })
            .with_context(|| format!("cannot start the thread for connection {number}"))?;
        threads.push(thread);
    }
    while !threads.iter().all(|thread| thread.is_finished()) {
        progress.set_position(done.load(Ordering::Relaxed));
        thread::sleep(Duration::from_millis(20));
    }
    let outcomes = threads
        .into_iter()
        .map(|thread| {
            thread.join().unwrap_or_else(|_| Outcome {
                errors: 1,
                first_error: Some("a connection thread panicked".into()),
                ..Outcome::default()
            })
        })
        .collect();
    progress.finish_and_clear();
    Ok(summarize(options, started.elapsed(), outcomes))
}
// ANCHOR_END: spread

// ANCHOR: wait_for_turn
/// Open loop: sleeps until the request is due. Returns the time the latency
/// counts from (the scheduled time in an open loop, now in a closed one), or
/// `None` when the schedule runs past the deadline.
fn wait_for_turn(
    options: &Options,
    number: u64,
    request: u64,
    (origin, deadline): (Instant, Instant),
    late: &mut u64,
) -> Option<Instant> {
    let Some(offset) = scheduled(options, number, request) else {
        return (Instant::now() < deadline).then(Instant::now);
    };
    let due = origin + offset;
    if due >= deadline {
        return None;
    }
    let now = Instant::now();
    if due > now {
        thread::sleep(due - now);
    } else if now > due + LATE {
        *late += 1;
    }
    Some(due)
}
// ANCHOR_END: wait_for_turn

/// Repeats `operation` while it times out before the deadline.
fn bounded<T>(
    deadline: Instant,
    what: &str,
    mut operation: impl FnMut() -> io::Result<T>,
) -> Result<T, Stop> {
    loop {
        match operation() {
            Ok(value) => return Ok(value),
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                if Instant::now() >= deadline {
                    return Err(Stop::Cut);
                }
            }
            Err(error) => return Err(Stop::Failed(format!("{what}: {error}"))),
        }
    }
}

fn write_all(stream: &mut &TcpStream, mut bytes: &[u8], deadline: Instant) -> Result<(), Stop> {
    while !bytes.is_empty() {
        match bounded(deadline, "cannot send", || stream.write(bytes))? {
            0 => return Err(Stop::Failed("cannot send: the connection wrote zero bytes".into())),
            count => bytes = &bytes[count..],
        }
    }
    Ok(())
}

/// Reads exactly `expected` bytes, offering room for more to catch a server
/// that answers too much.
fn read_reply(
    stream: &mut &TcpStream,
    expected: usize,
    reply: &mut Vec<u8>,
    deadline: Instant,
) -> Result<(), Stop> {
    reply.resize(expected + 1024, 0);
    let mut received = 0;
    while received < expected {
        match bounded(deadline, "cannot read the answer", || stream.read(&mut reply[received..]))? {
            0 => {
                return Err(Stop::Failed(
                    "cannot read the answer: the server closed the connection".into(),
                ));
            }
            count => received += count,
        }
    }
    if received > expected {
        return Err(Stop::Failed("more bytes than expected".into()));
    }
    reply.truncate(expected);
    Ok(())
}

fn connect(options: &Options, deadline: Instant) -> Result<TcpStream, Stop> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err(Stop::Cut);
    }
    let stream = TcpStream::connect_timeout(&options.address, remaining).map_err(|error| {
        if error.kind() == ErrorKind::TimedOut {
            Stop::Cut
        } else {
            Stop::Failed(format!("cannot connect to {}: {error}", options.address))
        }
    })?;
    let _ = stream.set_nodelay(true);
    stream
        .set_read_timeout(Some(SLICE))
        .and_then(|()| stream.set_write_timeout(Some(SLICE)))
        .map_err(|error| Stop::Failed(format!("cannot set the socket timeouts: {error}")))?;
    Ok(stream)
}

/// One echo or checksum round trip on a blocking socket.
fn round(
    options: &Options,
    stream: &TcpStream,
    message: &[u8],
    reply: &mut Vec<u8>,
    deadline: Instant,
) -> Result<(), Stop> {
    let mut reader = stream;
    match options.mode {
        Mode::Checksum => {
            let mut frame = Vec::with_capacity(4 + message.len());
            frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
            frame.extend_from_slice(message);
            write_all(&mut reader, &frame, deadline)?;
            read_reply(&mut reader, 8, reply, deadline)?;
            let answer: [u8; 8] =
                reply[..].try_into().map_err(|_| Stop::Failed("short checksum".into()))?;
            if u64::from_be_bytes(answer) != fnv1a64(message) {
                return Err(Stop::Failed("wrong checksum".into()));
            }
            return Ok(());
        }
        _ if message.len() <= WRITE_WHILE_READING => {
            write_all(&mut reader, message, deadline)?;
            read_reply(&mut reader, message.len(), reply, deadline)?;
        }
        _ => thread::scope(|scope| {
            let writer = scope.spawn(|| write_all(&mut &*stream, message, deadline));
            let read = read_reply(&mut reader, message.len(), reply, deadline);
            let written =
                writer.join().unwrap_or_else(|_| Err(Stop::Failed("the writer panicked".into())));
            written.and(read)
        })?,
    }
    if reply[..] != message[..] {
        return Err(Stop::Failed("the echo differs from the message".into()));
    }
    Ok(())
}

fn stream_connection(
    options: &Options,
    number: u64,
    (origin, deadline): (Instant, Instant),
    done: &AtomicU64,
) -> Outcome {
    let mut outcome = Outcome::default();
    let stream = match connect(options, deadline) {
        Ok(stream) => stream,
        Err(Stop::Cut) => return Outcome { cut_off: true, ..outcome },
        Err(Stop::Failed(error)) => {
            return Outcome { errors: 1, first_error: Some(error), ..outcome };
        }
    };
    let mut message: Vec<u8> = (0..options.size).map(|i| (i % 251) as u8).collect();
    let mut reply = Vec::new();
    for request in 0..options.requests {
        stamp(&mut message, number, request);
        let Some(started) =
            wait_for_turn(options, number, request, (origin, deadline), &mut outcome.late)
        else {
            outcome.cut_off = true;
            break;
        };
        match round(options, &stream, &message, &mut reply, deadline) {
            Err(Stop::Cut) => {
                outcome.cut_off = true;
                break;
            }
            Err(Stop::Failed(error)) => {
                outcome.errors += 1;
                outcome.first_error = Some(error);
                break;
            }
            Ok(()) if Instant::now() > deadline => {
                outcome.cut_off = true;
                break;
            }
            Ok(()) => {
                outcome.latencies_ns.push(started.elapsed().as_nanos() as u64);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    outcome
}

fn hello_round(options: &Options, deadline: Instant) -> Result<(), Stop> {
    let stream = connect(options, deadline)?;
    let mut writer = &stream;
    write_all(&mut writer, HELLO, deadline)?;
    stream
        .shutdown(Shutdown::Write)
        .map_err(|error| Stop::Failed(format!("cannot shut down: {error}")))?;
    let mut reply = Vec::with_capacity(HELLO.len());
    let mut chunk = [0; 1024];
    loop {
        match bounded(deadline, "cannot read the reply", || (&stream).read(&mut chunk))? {
            0 => break,
            count if reply.len() + count > 1024 => {
                return Err(Stop::Failed("more than 1024 bytes in reply".into()));
            }
            count => reply.extend_from_slice(&chunk[..count]),
        }
    }
    if reply.len() != HELLO.len() {
        return Err(Stop::Failed(format!(
            "expected a {}-byte reply, got {} bytes",
            HELLO.len(),
            reply.len()
        )));
    }
    Ok(())
}

fn hello_connection(
    options: &Options,
    number: u64,
    (origin, deadline): (Instant, Instant),
    done: &AtomicU64,
) -> Outcome {
    let mut outcome = Outcome::default();
    for request in 0..options.requests {
        let Some(started) =
            wait_for_turn(options, number, request, (origin, deadline), &mut outcome.late)
        else {
            outcome.cut_off = true;
            break;
        };
        match hello_round(options, deadline) {
            Err(Stop::Cut) => {
                outcome.cut_off = true;
                break;
            }
            Err(Stop::Failed(error)) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert(error);
            }
            Ok(()) if Instant::now() > deadline => {
                outcome.cut_off = true;
                break;
            }
            Ok(()) => {
                outcome.latencies_ns.push(started.elapsed().as_nanos() as u64);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    outcome
}

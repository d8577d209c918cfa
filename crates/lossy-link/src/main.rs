//! `lossy-link [OPTIONS] LISTEN UPSTREAM`: a UDP proxy that makes the faults
//! of a real network happen on purpose (run `lossy-link --help`).
//!
//! This file is only the socket loop: one thread, one `mio` poll waiting on
//! the socket clients send to and on one socket per client towards the
//! server. Every decision comes from [`lossy_link::link::Link::decide`]; here
//! a datagram is read, decided, logged, and each of its copies is sent when
//! it is due (a heap of pending copies, earliest first, is the only timer).
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use lossy_link::cli::{self, Options, USAGE};
use lossy_link::link::{Direction, Link};
use lossy_link::log::{self, Counts, Summary};
use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};

const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";
const LISTEN: Token = Token(0);
const WAKE: Token = Token(1);
/// Peer `i`'s upstream socket has token `FIRST_PEER + i`.
const FIRST_PEER: usize = 2;
/// Larger than any UDP datagram, so no operating system cuts one short.
const BUFFER: usize = 65_536;

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut out = std::io::stdout(); // println! would panic if stdout were closed
    let Some(options) = cli::parse(std::env::args().skip(1))? else {
        return writeln!(out, "{USAGE}").context(STDOUT);
    };
    let log = match &options.log {
        Some(path) => Some(LogFile::create(path.clone())?),
        None => None,
    };
    let socket = std::net::UdpSocket::bind(options.listen).with_context(|| {
        format!(
            "cannot bind {} (is another lossy-link or server using it? try another port, or port 0)",
            options.listen
        )
    })?;
    socket.set_nonblocking(true).context("cannot make the socket non-blocking")?;
    let mut listen = UdpSocket::from_std(socket);
    let poll = Poll::new().context("cannot create the event loop")?;
    poll.registry()
        .register(&mut listen, LISTEN, Interest::READABLE)
        .context("cannot watch the listening socket")?;
    // ANCHOR: ctrlc
    // Ctrl-C once: stop reading, send what is still delayed, print the summary.
    // Twice: stop at once. The handler only counts and wakes the loop up.
    let stops = Arc::new(AtomicUsize::new(0));
    let waker = Arc::new(Waker::new(poll.registry(), WAKE).context("cannot create a waker")?);
    let (on_signal, wake) = (Arc::clone(&stops), Arc::clone(&waker));
    ctrlc::set_handler(move || {
        on_signal.fetch_add(1, Ordering::SeqCst);
        let _ = wake.wake();
    })
    .context("cannot install the Ctrl-C handler")?;
    // ANCHOR_END: ctrlc
    let address = listen.local_addr().context("cannot read the listening address")?;
    writeln!(out, "Listening on {address}").context(STDOUT)?;
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "Forwarding to {}, seed {}; up: {}; down: {}",
        options.upstream,
        options.seed,
        cli::describe(&options.up),
        cli::describe(&options.down)
    );
    let proxy = Proxy::new(options, poll, listen, log, out);
    let summary = proxy.run(&stops)?;
    let _ = write!(err, "{}", log::summary_text(&summary)); // the summary is a courtesy: never fatal
    Ok(())
}

/// The JSON log file, buffered.
struct LogFile {
    path: PathBuf,
    file: BufWriter<File>,
    dirty: bool,
}

impl LogFile {
    fn create(path: PathBuf) -> Result<Self> {
        let file = File::create(&path)
            .with_context(|| format!("cannot create the log {}", path.display()))?;
        Ok(LogFile { path, file: BufWriter::new(file), dirty: false })
    }

    fn line(&mut self, line: &str) -> Result<()> {
        self.dirty = true;
        writeln!(self.file, "{line}").with_context(|| self.error())
    }

    fn flush(&mut self) -> Result<()> {
        if std::mem::take(&mut self.dirty) {
            self.file.flush().with_context(|| self.error())?;
        }
        Ok(())
    }

    fn error(&self) -> String {
        format!("cannot write the log {} (is the disk full?)", self.path.display())
    }
}

/// A client, and the socket the proxy talks to the server through on its behalf.
struct Peer {
    client: SocketAddr,
    socket: UdpSocket,
    /// The server's port was unreachable once already (said once per client).
    unreachable_said: bool,
}

/// A copy waiting for its time; ordered by due time, then by arrival.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    due: Duration,
    order: u64,
    direction: Direction,
    peer: usize,
    bytes: Vec<u8>,
}

struct Proxy {
    options: Options,
    poll: Poll,
    listen: UdpSocket,
    peers: Vec<Peer>,
    by_client: HashMap<SocketAddr, usize>,
    links: [Link; 2],
    counts: [Counts; 2],
    pending: BinaryHeap<Reverse<Pending>>,
    order: u64,
    start: Instant,
    last_datagram: Duration,
    received: u64,
    log: Option<LogFile>,
    out: std::io::Stdout,
    buffer: Vec<u8>,
    /// Send errors already explained, by kind (each said once).
    said: Vec<ErrorKind>,
}

fn index(direction: Direction) -> usize {
    match direction {
        Direction::Up => 0,
        Direction::Down => 1,
    }
}

impl Proxy {
    fn new(
        options: Options,
        poll: Poll,
        listen: UdpSocket,
        log: Option<LogFile>,
        out: std::io::Stdout,
    ) -> Self {
        let links = Direction::BOTH.map(|direction| {
            Link::new(direction, options.settings(direction).clone(), options.seed)
        });
        Proxy {
            options,
            poll,
            listen,
            peers: Vec::new(),
            by_client: HashMap::new(),
            links,
            counts: [Counts::default(); 2],
            pending: BinaryHeap::new(),
            order: 0,
            start: Instant::now(),
            last_datagram: Duration::ZERO,
            received: 0,
            log,
            out,
            buffer: vec![0; BUFFER],
            said: Vec::new(),
        }
    }

    // ANCHOR: event_loop
    /// Runs until told to stop, then sends what is still pending, and sums up.
    fn run(mut self, stops: &AtomicUsize) -> Result<Summary> {
        let mut events = Events::with_capacity(64);
        let mut stopping: Option<String> = None;
        loop {
            let now = self.start.elapsed();
            if stopping.is_none() {
                stopping = self.stop_reason(now, stops);
            }
            if stops.load(Ordering::SeqCst) >= 2 {
                break; // Ctrl-C twice: what is still pending stays unsent
            }
            self.send_due(now);
            if stopping.is_some() && self.pending.is_empty() {
                break;
            }
            if let Some(log) = &mut self.log {
                log.flush()?;
            }
            let timeout = self.next_wake(now, stopping.is_some());
            if let Err(error) = self.poll.poll(&mut events, timeout) {
                if error.kind() == ErrorKind::Interrupted {
                    continue; // a signal (Ctrl-C) arrived while waiting
                }
                return Err(error).context("cannot wait for datagrams");
            }
            if stopping.is_some() {
                continue; // no more reading: only the pending copies are sent
            }
            for event in events.iter() {
                match event.token() {
                    LISTEN => self.read_clients()?,
                    WAKE => {}
                    Token(token) => self.read_server(token - FIRST_PEER)?,
                }
            }
        }
        for Reverse(left) in self.pending.drain() {
            self.counts[index(left.direction)].unsent += 1;
        }
        let summary = Summary {
            seed: self.options.seed,
            stopped: stopping.unwrap_or_else(|| "Ctrl-C".into()),
            elapsed: self.start.elapsed().as_secs_f64() * 1000.0,
            up: self.counts[0],
            down: self.counts[1],
        };
        if let Some(log) = &mut self.log {
            log.line(&log::summary_line(&summary))?;
            log.flush()?;
        }
        Ok(summary)
    }
    // ANCHOR_END: event_loop

    /// Why to stop now, if it is time to.
    fn stop_reason(&self, now: Duration, stops: &AtomicUsize) -> Option<String> {
        let options = &self.options;
        if stops.load(Ordering::SeqCst) > 0 {
            return Some("Ctrl-C".into());
        }
        if let Some(count) = options.count.filter(|&count| self.received >= count) {
            return Some(format!("--count {count}"));
        }
        if let Some(limit) = options.duration.filter(|&limit| now >= limit) {
            return Some(format!("--duration {limit:?}"));
        }
        if let Some(idle) = options.idle.filter(|&idle| now >= self.last_datagram + idle) {
            return Some(format!("--idle {idle:?} without a datagram"));
        }
        None
    }

    /// How long the poll may sleep: until the next copy is due, or the next
    /// deadline (`--duration`, `--idle`); forever if there is none.
    fn next_wake(&self, now: Duration, stopping: bool) -> Option<Duration> {
        let due = self.pending.peek().map(|Reverse(next)| next.due);
        let mut wake = due;
        if !stopping {
            let deadlines =
                [self.options.duration, self.options.idle.map(|idle| self.last_datagram + idle)];
            for deadline in deadlines.into_iter().flatten() {
                wake = Some(wake.map_or(deadline, |w| w.min(deadline)));
            }
        }
        wake.map(|wake| wake.saturating_sub(now))
    }

    fn count_reached(&self) -> bool {
        self.options.count.is_some_and(|count| self.received >= count)
    }

    /// Reads every datagram clients have sent (until the socket would block).
    fn read_clients(&mut self) -> Result<()> {
        while !self.count_reached() {
            match self.listen.recv_from(&mut self.buffer) {
                Ok((size, client)) => {
                    if let Some(peer) = self.peer_for(client) {
                        self.arrive(Direction::Up, peer, size)?;
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                // Windows reports here (WSAECONNRESET, 10054) an ICMP "port unreachable"
                // for a copy we sent to a client that has gone: nothing to do, read on.
                Err(error) if is_unreachable(&error) || error.kind() == ErrorKind::Interrupted => {}
                Err(error) => {
                    self.warn(&format!("cannot receive from clients: {error}"));
                    break;
                }
            }
        }
        Ok(())
    }

    /// Reads every datagram the server has sent to peer `peer`'s socket.
    fn read_server(&mut self, peer: usize) -> Result<()> {
        while !self.count_reached() {
            let Some(entry) = self.peers.get_mut(peer) else { return Ok(()) };
            match entry.socket.recv(&mut self.buffer) {
                Ok(size) => self.arrive(Direction::Down, peer, size)?,
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if is_unreachable(&error) => {
                    // The server's port answered an ICMP "port unreachable" to a copy.
                    if !std::mem::replace(&mut entry.unreachable_said, true) {
                        let upstream = self.options.upstream;
                        self.warn(&format!(
                            "nothing listens at {upstream} (port unreachable): is the server running?"
                        ));
                    }
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => {
                    self.warn(&format!("cannot receive from {}: {error}", self.options.upstream));
                    break;
                }
            }
        }
        Ok(())
    }

    /// The peer for `client`, with a new socket towards the server the first
    /// time (like a NAT: the server's replies to it are the client's).
    fn peer_for(&mut self, client: SocketAddr) -> Option<usize> {
        if let Some(&peer) = self.by_client.get(&client) {
            return Some(peer);
        }
        let upstream = self.options.upstream;
        let token = Token(FIRST_PEER + self.peers.len());
        let opened = (|| -> std::io::Result<UdpSocket> {
            // A loopback server is reached from a loopback address: nothing
            // of the proxy's is open to the network unless the server is there.
            let local = match upstream {
                SocketAddr::V4(v4) if v4.ip().is_loopback() => (Ipv4Addr::LOCALHOST, 0).into(),
                SocketAddr::V6(v6) if v6.ip().is_loopback() => (Ipv6Addr::LOCALHOST, 0).into(),
                SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
                SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
            };
            let mut socket = UdpSocket::bind(local)?;
            socket.connect(upstream)?; // only the server's datagrams come in
            self.poll.registry().register(&mut socket, token, Interest::READABLE)?;
            Ok(socket)
        })();
        match opened {
            Ok(socket) => {
                self.peers.push(Peer { client, socket, unreachable_said: false });
                self.by_client.insert(client, self.peers.len() - 1);
                Some(self.peers.len() - 1)
            }
            Err(error) => {
                let message = format!(
                    "datagram from {client} not forwarded: cannot open a socket towards {upstream}: {error}"
                );
                self.warn(&message);
                None
            }
        }
    }

    // ANCHOR: arrive
    /// A datagram of `size` bytes (in the buffer) arrived: decide, log, schedule.
    fn arrive(&mut self, direction: Direction, peer: usize, size: usize) -> Result<()> {
        let now = self.start.elapsed();
        self.last_datagram = now;
        self.received += 1;
        let datagram = &self.buffer[..size];
        let verdict = self.links[index(direction)].decide(now, datagram);
        self.counts[index(direction)].record(now, &verdict);
        if let Some(log) = &mut self.log {
            log.line(&log::line(now, direction, &verdict, datagram))?;
        }
        if !self.options.quiet {
            let line = log::describe(now, direction, &verdict, size);
            writeln!(self.out, "{line}").context(STDOUT)?;
        }
        for &due in &verdict.out {
            self.order += 1;
            let bytes = datagram.to_vec();
            self.pending.push(Reverse(Pending { due, order: self.order, direction, peer, bytes }));
        }
        Ok(())
    }
    // ANCHOR_END: arrive

    /// Sends every copy whose time has come.
    fn send_due(&mut self, now: Duration) {
        while self.pending.peek().is_some_and(|Reverse(next)| next.due <= now) {
            let Some(Reverse(copy)) = self.pending.pop() else { break };
            let Some(peer) = self.peers.get(copy.peer) else { continue };
            let sent = match copy.direction {
                Direction::Up => peer.socket.send(&copy.bytes),
                Direction::Down => self.listen.send_to(&copy.bytes, peer.client),
            };
            let counts = &mut self.counts[index(copy.direction)];
            match sent {
                Ok(_) => counts.sent += 1,
                Err(error) => {
                    counts.send_failed += 1;
                    let kind = error.kind();
                    if !self.said.contains(&kind) {
                        self.said.push(kind);
                        let whom = match copy.direction {
                            Direction::Up => self.options.upstream.to_string(),
                            Direction::Down => peer.client.to_string(),
                        };
                        let why = match kind {
                            ErrorKind::WouldBlock => "the socket's send buffer is full".to_string(),
                            _ if is_unreachable(&error) => {
                                format!("{whom}'s port is unreachable (nothing listens there?)")
                            }
                            _ => error.to_string(),
                        };
                        self.warn(&format!("a copy for {whom} was not sent: {why} (said once)"));
                    }
                }
            }
        }
    }

    fn warn(&self, message: &str) {
        let _ = writeln!(std::io::stderr(), "warning: {message}");
    }
}

/// An ICMP "port unreachable" reported on a UDP socket: `ConnectionRefused`
/// on Linux and macOS, `ConnectionReset` (WSAECONNRESET) on Windows.
fn is_unreachable(error: &std::io::Error) -> bool {
    matches!(error.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset)
}

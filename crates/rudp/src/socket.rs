//! The socket driver: the protocol over a real, blocking [`UdpSocket`].
//!
//! [`connect`] gives an [`Outgoing`] connection (a [`Write`]), [`accept`] an
//! [`Incoming`] one (a [`Read`]). Both are thin: they feed the state machine
//! ([`Sender`], [`Receiver`]) the datagrams that arrive and the time from a
//! monotonic clock, call its timer when due, and send what it hands back.
//!
//! Speed comes from doing little per datagram: the receiver reads every
//! datagram that is already waiting (non-blocking reads) before it answers
//! with **one** cumulative ACK for the batch; the sender picks up waiting
//! ACKs without blocking between its sends, and blocks only when its window
//! is full. Buffers are reused: nothing is allocated per datagram.
//!
//! Still, each datagram costs one system call, and at 1472 bytes the call
//! costs more than the bytes. [`DriverConfig::batch`] (`--batch` on rudp-send
//! and rudp-recv) is the next rung: [`Batch`] hands the OS runs of datagrams
//! in one call (UDP GSO) and takes coalesced runs back (UDP GRO, `recvmmsg`),
//! through the `quinn-udp` crate. The state machine does not know: it is fed
//! and polled one datagram at a time, exactly as without batching.
//!
//! Errors say what happened. The reason of the peer's ABORT, a peer that
//! stopped answering, or a port where nothing listens (an ICMP "port
//! unreachable", which the OS reports on a connected socket) are different
//! messages. The [`Failure`] behind an error can be recovered: from an
//! `io::Error` with `error.get_ref()` and `downcast_ref::<Failure>()`, from
//! an `anyhow::Error` with `error.downcast_ref::<Failure>()`.
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use quinn_udp::{BATCH_SIZE, RecvMeta, Transmit, UdpSockRef, UdpSocketState};

use crate::wire::{Kind, Segment};
use crate::{Config, Endpoint, Failure, Protocol, Receiver, Sender, State, Stats};

/// The longest a driver blocks in one read: it then looks at the clock again.
const MAX_WAIT: Duration = Duration::from_secs(1);

/// Bigger than any UDP datagram, so that none is cut short.
const RECV_BUFFER: usize = 65_536;

// ANCHOR: rcvbuf
/// What one 1472-byte datagram costs in a socket's receive buffer: the
/// kernel counts its bookkeeping too (Linux: about 2.3 KB on loopback).
const BUFFER_PER_DATAGRAM: usize = 4096;

/// Asks for a receive buffer (SO_RCVBUF) that holds a window of datagrams,
/// and returns the window that fits in the buffer the OS granted.
/// Without it a window larger than the default buffer (about 90 datagrams
/// on Linux) overflows it, and every overflow is a loss that costs an RTO.
/// The OS may grant less (Linux caps it at `net.core.rmem_max`, 212992
/// bytes by default, and reports twice what it was asked for): then the
/// window shrinks to fit, rather than lose what does not.
fn fit_receive_buffer(socket: &UdpSocket, window: u16) -> u16 {
    let socket = socket2::SockRef::from(socket);
    let wanted = usize::from(window) * BUFFER_PER_DATAGRAM;
    if socket.recv_buffer_size().is_ok_and(|size| size < wanted) {
        let _ = socket.set_recv_buffer_size(wanted);
    }
    let granted = socket.recv_buffer_size().unwrap_or(wanted) / BUFFER_PER_DATAGRAM;
    window.min(u16::try_from(granted).unwrap_or(u16::MAX)).max(1)
}
// ANCHOR_END: rcvbuf

/// How the driver uses its socket. The protocol is the same either way: a
/// peer with batching talks to one without.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriverConfig {
    /// Many datagrams per system call where the OS can (see [`Batch`]).
    pub batch: bool,
}

/// What batching found the OS can do, and what it did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct BatchReport {
    /// Datagrams one send call may carry (1: this OS has no UDP GSO, or it
    /// is not used on this socket).
    pub gso_segments: usize,
    /// Datagrams one received buffer may hold (1: no UDP GRO).
    pub gro_segments: usize,
    /// Buffers one receive call fills (`recvmmsg`; 1 where the OS has none).
    pub buffers_per_call: usize,
    /// Send calls made, and the datagrams they carried.
    pub send_calls: u64,
    /// Datagrams sent.
    pub sent: u64,
    /// Receive calls that returned something, and the datagrams in them.
    pub receive_calls: u64,
    /// Datagrams received.
    pub received: u64,
}

impl BatchReport {
    /// One line for a program's output, honest about what is missing.
    fn summary(&self) -> String {
        let gso = if self.gso_segments > 1 {
            format!(
                "GSO up to {} datagrams (and {MAX_RUN_BYTES} bytes) per send",
                self.gso_segments
            )
        } else {
            "GSO: not available here, one datagram per send".to_owned()
        };
        let gro = if self.gro_segments > 1 {
            format!("GRO up to {} datagrams per buffer", self.gro_segments)
        } else {
            "GRO: not available here, one datagram per buffer".to_owned()
        };
        let per = |datagrams: u64, calls: u64| datagrams as f64 / calls.max(1) as f64;
        format!(
            "Batching: {gso}, {gro}, {} buffers per receive; sent {} datagrams in {} calls \
             ({:.1} per call), received {} in {} calls ({:.1} per call)",
            self.buffers_per_call,
            self.sent,
            self.send_calls,
            per(self.sent, self.send_calls),
            self.received,
            self.receive_calls,
            per(self.received, self.receive_calls),
        )
    }
}

/// The largest UDP payload (IPv4): a GSO run is built as one datagram of
/// this size at most before the kernel cuts it.
const MAX_RUN_BYTES: usize = 65_507;

// ANCHOR: batch
/// The batching half of the driver: what it has collected to send, and
/// what it has received but not yet handed to the state machine.
///
/// Sending: the datagrams the state machine hands out are appended to a
/// *run* as long as they have the run's size; a shorter one may end the run
/// (GSO allows the last segment to be shorter), a longer one starts a new
/// run. One `sendmsg` with a `UDP_SEGMENT` size then sends the whole run,
/// and the kernel (or the network card) cuts it into separate datagrams.
///
/// Receiving: one call fills up to [`BATCH_SIZE`] buffers (`recvmmsg`), and
/// with GRO each buffer may hold a run of datagrams, `stride` bytes apart;
/// [`Batch::next`] hands them out one at a time.
struct Batch {
    state: UdpSocketState,
    /// GSO on this socket: off on a connected socket outside Linux, where
    /// quinn-udp's explicit destination could be refused (EISCONN on macOS).
    gso: bool,
    run: Vec<u8>,
    /// The size of the run's datagrams (the first one's), and how many.
    segment: usize,
    segments: usize,
    /// The run ended with a shorter datagram: nothing more may join it.
    closed: bool,
    storage: Vec<u8>,
    slot: usize,
    meta: Vec<RecvMeta>,
    /// Buffers the last receive filled, the one being handed out, and where in it.
    filled: usize,
    buffer: usize,
    offset: usize,
    report: BatchReport,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch").field("report", &self.report).finish_non_exhaustive()
    }
}

impl Batch {
    /// Prepares `socket` with quinn-udp (on Linux this turns `UDP_GRO` on:
    /// from then on every receive on it must split by the stride).
    fn new(socket: &UdpSocket, connected: bool) -> io::Result<Self> {
        let state = UdpSocketState::new(UdpSockRef::from(socket))?;
        let gso = state.max_gso_segments() > 1
            && (!connected || cfg!(any(target_os = "linux", target_os = "android")));
        // Windows: quinn-udp reports 64 but leaves receive coalescing (URO) off.
        let gro_segments = if cfg!(windows) { 1 } else { state.gro_segments() };
        // quinn-udp's advice: room for `gro_segments` full datagrams per
        // buffer; and never less than the largest UDP datagram.
        let slot = (gro_segments * 1500).max(65_536);
        let report = BatchReport {
            gso_segments: if gso { state.max_gso_segments() } else { 1 },
            gro_segments,
            buffers_per_call: BATCH_SIZE,
            ..BatchReport::default()
        };
        Ok(Self {
            state,
            gso,
            run: Vec::with_capacity(MAX_RUN_BYTES),
            segment: 0,
            segments: 0,
            closed: false,
            storage: vec![0; slot * BATCH_SIZE],
            slot,
            meta: vec![RecvMeta::default(); BATCH_SIZE],
            filled: 0,
            buffer: 0,
            offset: 0,
            report,
        })
    }

    /// Appends `datagram` to the run if it may join it (`false`: send the run first).
    fn join(&mut self, datagram: &[u8]) -> bool {
        let max = if self.gso { self.state.max_gso_segments() } else { 1 };
        if self.segments == 0 {
            self.segment = datagram.len();
        } else if self.closed
            || datagram.len() > self.segment
            || self.segments >= max
            || self.run.len() + datagram.len() > MAX_RUN_BYTES
        {
            return false;
        }
        self.closed = datagram.len() < self.segment;
        self.run.extend_from_slice(datagram);
        self.segments += 1;
        true
    }

    /// The next datagram already received, copied into `into`: its length and sender.
    fn next(&mut self, into: &mut [u8]) -> Option<(usize, SocketAddr)> {
        while self.buffer < self.filled {
            let meta = self.meta[self.buffer];
            let end = meta.len.min(self.slot);
            if self.offset < end {
                let start = self.buffer * self.slot + self.offset;
                let len = meta.stride.max(1).min(end - self.offset).min(into.len());
                into[..len].copy_from_slice(&self.storage[start..start + len]);
                self.offset += meta.stride.max(1);
                self.report.received += 1;
                return Some((len, meta.addr));
            }
            self.buffer += 1;
            self.offset = 0;
        }
        None
    }

    /// One receive call: blocking, it waits for one buffer (more would wait
    /// for more); non-blocking, it takes up to [`BATCH_SIZE`] at once.
    fn refill(&mut self, socket: &UdpSocket, blocking: bool) -> io::Result<()> {
        let slots = if blocking { 1 } else { BATCH_SIZE };
        // On the stack, not in a Vec: a receive call allocates nothing.
        let mut chunks = self.storage.chunks_mut(self.slot);
        let mut bufs: [io::IoSliceMut<'_>; BATCH_SIZE] =
            std::array::from_fn(|_| io::IoSliceMut::new(chunks.next().unwrap_or_default()));
        let filled = self.state.recv(
            UdpSockRef::from(socket),
            &mut bufs[..slots],
            &mut self.meta[..slots],
        )?;
        (self.filled, self.buffer, self.offset) = (filled, 0, 0);
        self.report.receive_calls += 1;
        Ok(())
    }
}
// ANCHOR_END: batch

/// The loop shared by both ends: one socket, one peer, one state machine.
#[derive(Debug)]
struct Driver<E> {
    socket: UdpSocket,
    peer: SocketAddr,
    /// Sender: the socket is connected to the peer (the OS filters, and reports ICMP errors).
    connected: bool,
    endpoint: E,
    start: Instant,
    nonblocking: bool,
    /// The read timeout last set: setting it is a system call, so only on a change.
    read_timeout: Option<Duration>,
    recv: Vec<u8>,
    out: Vec<u8>,
    /// `Some` with [`DriverConfig::batch`].
    batch: Option<Batch>,
    /// Why batching was asked for and could not be had on this socket.
    batch_refused: Option<String>,
}

/// What one read from the socket found.
enum Received {
    Datagram(usize),
    Nothing,
}

impl<E: Endpoint> Driver<E> {
    fn new(
        socket: UdpSocket,
        peer: SocketAddr,
        connected: bool,
        endpoint: E,
        start: Instant,
    ) -> Self {
        Self {
            socket,
            peer,
            connected,
            endpoint,
            start,
            nonblocking: false,
            read_timeout: None,
            recv: vec![0; RECV_BUFFER],
            out: Vec::with_capacity(2048),
            batch: None,
            batch_refused: None,
        }
    }

    /// Turns batching on when `config` asks for it.
    fn configure(mut self, config: DriverConfig) -> io::Result<Self> {
        if config.batch {
            match Batch::new(&self.socket, self.connected) {
                Ok(batch) => self.batch = Some(batch),
                // Batching only makes it faster: without it the transfer goes
                // on, one datagram per call, and the summary says why.
                Err(error) => self.batch_refused = Some(error.to_string()),
            }
            // quinn-udp made the socket non-blocking; the driver starts blocking.
            self.socket.set_nonblocking(false)?;
            self.nonblocking = false;
        }
        Ok(self)
    }

    /// The `Batching:` line of a program that asked for batching: what it
    /// did, or why this socket could not batch.
    fn batching_summary(&self) -> Option<String> {
        match (&self.batch, &self.batch_refused) {
            (Some(batch), _) => Some(batch.report.summary()),
            (None, Some(cause)) => Some(format!(
                "Batching: GSO: not available here, GRO: not available here \
                 (quinn-udp cannot prepare this socket: {cause}); one datagram per call"
            )),
            (None, None) => None,
        }
    }

    /// One datagram from the socket into `self.recv`: its length and sender.
    fn read_one(&mut self) -> io::Result<(usize, SocketAddr)> {
        if let Some(batch) = &mut self.batch {
            loop {
                if let Some(received) = batch.next(&mut self.recv) {
                    return Ok(received);
                }
                batch.refill(&self.socket, !self.nonblocking)?;
            }
        }
        if self.connected {
            self.socket.recv(&mut self.recv).map(|len| (len, self.peer))
        } else {
            self.socket.recv_from(&mut self.recv)
        }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        if self.nonblocking != nonblocking {
            self.socket.set_nonblocking(nonblocking)?;
            self.nonblocking = nonblocking;
        }
        Ok(())
    }

    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        if self.read_timeout != Some(timeout) {
            self.socket.set_read_timeout(Some(timeout))?;
            self.read_timeout = Some(timeout);
        }
        Ok(())
    }

    /// The peer is gone, as the OS learnt from an ICMP "port unreachable".
    fn unreachable(&self) -> io::Error {
        io::Error::new(
            ErrorKind::ConnectionRefused,
            format!("nothing is listening at {} (ICMP port unreachable)", self.peer),
        )
    }

    /// One datagram from the peer into `self.recv`, if there is one.
    fn receive(&mut self) -> io::Result<Received> {
        loop {
            match self.read_one() {
                Ok((len, from)) if from == self.peer => return Ok(Received::Datagram(len)),
                // Back to the caller, so that its timers still run when
                // strangers keep a blocking receive busy.
                Ok((len, from)) => {
                    self.stranger(from, len)?;
                    return Ok(Received::Nothing);
                }
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    return Ok(Received::Nothing);
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                // A connected socket: the peer's port is closed. Unconnected
                // (Windows reports an earlier send's ICMP error on any recv): ignored.
                Err(error)
                    if matches!(
                        error.kind(),
                        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
                    ) =>
                {
                    if self.connected {
                        return Err(self.gone());
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// A datagram from someone else than the peer: a second sender's SYN
    /// hears that this receiver is busy; anything else is ignored.
    fn stranger(&mut self, from: SocketAddr, len: usize) -> io::Result<()> {
        if let Ok(segment) = Segment::decode(&self.recv[..len])
            && segment.kind == Kind::Syn
        {
            let reason = b"busy: another transfer is in progress, try again later";
            let abort = Segment::new(Kind::Abort, 0, 0, 0).with_payload(reason).encode();
            let _ = self.socket.send_to(&abort, from); // a courtesy: if it fails, they retry
        }
        Ok(())
    }

    fn send_out(&mut self) -> io::Result<()> {
        loop {
            let result = if self.connected {
                self.socket.send(&self.out)
            } else {
                self.socket.send_to(&self.out, self.peer)
            };
            match result {
                Ok(_) => return Ok(()),
                // The socket's send buffer is full: wait for room (blocking send).
                Err(error) if error.kind() == ErrorKind::WouldBlock => {
                    self.set_nonblocking(false)?
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error)
                    if self.connected
                        && matches!(
                            error.kind(),
                            ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
                        ) =>
                {
                    return Err(self.gone());
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The peer's port is closed (the OS reported an ICMP port unreachable,
    /// on a send or a receive). It may have said why before it went: an
    /// ABORT still queued behind the error is the true cause, so the
    /// datagrams already here go to the state machine first.
    fn gone(&mut self) -> io::Error {
        if self.set_nonblocking(true).is_ok() {
            for _ in 0..64 {
                match self.read_one() {
                    Ok((len, _)) => self.feed(len),
                    Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {} // another ICMP error, or an interruption: read on
                }
            }
        }
        self.failed().unwrap_or_else(|| self.unreachable())
    }

    /// Sends everything the state machine has to send.
    fn flush(&mut self) -> io::Result<()> {
        if self.batch.is_some() {
            return self.flush_batched();
        }
        while self.endpoint.poll_transmit(self.now(), &mut self.out) {
            self.send_out()?;
        }
        Ok(())
    }

    // ANCHOR: flush_batched
    /// [`Driver::flush`] with batching: collects what the state machine has
    /// to send into runs of equal-size datagrams, and sends each run in one call.
    fn flush_batched(&mut self) -> io::Result<()> {
        while self.endpoint.poll_transmit(self.now(), &mut self.out) {
            let Some(batch) = &mut self.batch else { break };
            if !batch.join(&self.out) {
                self.send_run()?;
                if let Some(batch) = &mut self.batch {
                    batch.join(&self.out); // an empty run takes any datagram
                }
            }
        }
        self.send_run()
    }
    // ANCHOR_END: flush_batched

    /// Sends the collected run: one GSO call for two datagrams or more,
    /// the ordinary path ([`Driver::send_out`]) for a single one, or for each
    /// datagram of the run when the OS turned GSO down.
    fn send_run(&mut self) -> io::Result<()> {
        let Some(batch) = &mut self.batch else { return Ok(()) };
        let (segment, segments) = (batch.segment, batch.segments);
        if segments == 0 {
            return Ok(());
        }
        let mut run = std::mem::take(&mut batch.run);
        let result = if segments == 1 { Err(None) } else { self.send_gso(&run, segment) };
        let result = match result {
            Ok(()) => Ok(()),
            Err(Some(error)) => Err(error),
            // One datagram, or GSO refused: one call per datagram.
            Err(None) => {
                let mut result = Ok(());
                for datagram in run.chunks(segment) {
                    self.out.clear();
                    self.out.extend_from_slice(datagram);
                    result = self.send_out();
                    if result.is_err() {
                        break;
                    }
                    if let Some(batch) = &mut self.batch {
                        batch.report.send_calls += 1;
                    }
                }
                result
            }
        };
        run.clear();
        if let Some(batch) = &mut self.batch {
            batch.report.sent += segments as u64;
            (batch.run, batch.segments, batch.closed) = (run, 0, false);
        }
        result
    }

    /// One GSO send of `run` (datagrams of `segment` bytes, the last maybe
    /// shorter). `Err(None)`: GSO does not work here, send them one by one.
    fn send_gso(&mut self, run: &[u8], segment: usize) -> Result<(), Option<io::Error>> {
        let transmit = Transmit {
            destination: self.peer,
            ecn: None,
            contents: run,
            segment_size: Some(segment),
            src_ip: None,
        };
        loop {
            let Some(batch) = &mut self.batch else { return Err(None) };
            let max_before = batch.state.max_gso_segments();
            let error = match batch.state.try_send(UdpSockRef::from(&self.socket), &transmit) {
                Ok(()) => {
                    batch.report.send_calls += 1;
                    return Ok(());
                }
                Err(error) => error,
            };
            match error.kind() {
                // The socket's send buffer is full: wait for room (blocking send).
                ErrorKind::WouldBlock => self.set_nonblocking(false).map_err(Some)?,
                ErrorKind::Interrupted => {}
                ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset if self.connected => {
                    return Err(Some(self.gone()));
                }
                // A device without GSO: quinn-udp lowered its maximum to 1.
                _ if batch.state.max_gso_segments() < max_before => {
                    batch.gso = false;
                    batch.report.gso_segments = 1;
                    return Err(None);
                }
                _ => return Err(Some(error)),
            }
        }
    }

    fn fire_timer(&mut self) {
        let now = self.now();
        if self.endpoint.next_timer().is_some_and(|at| at <= now) {
            self.endpoint.on_timer(now);
        }
    }

    fn feed(&mut self, len: usize) {
        let now = self.now();
        self.endpoint.on_datagram(now, &self.recv[..len]);
    }

    // ANCHOR: step
    /// One round: take every datagram already waiting, run the timer, send
    /// what is due. With `block`, first wait for a datagram or the timer.
    fn step(&mut self, block: bool) -> io::Result<()> {
        if block {
            self.flush()?; // nothing may stay unsent while we wait
            let now = self.now();
            let wait = self.endpoint.next_timer().map_or(MAX_WAIT, |at| at.saturating_sub(now));
            if !wait.is_zero() {
                self.set_nonblocking(false)?;
                // At least 1 ms: a zero timeout means "block forever" to the OS.
                self.set_read_timeout(wait.clamp(Duration::from_millis(1), MAX_WAIT))?;
                if let Received::Datagram(len) = self.receive()? {
                    self.feed(len);
                }
            }
        }
        self.set_nonblocking(true)?;
        while let Received::Datagram(len) = self.receive()? {
            self.feed(len);
        }
        self.fire_timer();
        self.flush()
    }
    // ANCHOR_END: step

    /// The connection's failure as an `io::Error` (the [`Failure`] inside).
    fn failed(&self) -> Option<io::Error> {
        match self.endpoint.state() {
            State::Failed(failure) => Some(io::Error::other(failure)),
            _ => None,
        }
    }
}

/// A connection that sends: bytes written to it arrive at the peer's
/// [`Incoming`], in order, once. Call [`Outgoing::finish`] at the end.
#[derive(Debug)]
pub struct Outgoing {
    driver: Driver<Sender>,
}

/// The address to bind a socket that talks to `peer`: a loopback address
/// for a loopback peer (so nothing is open to the network for a transfer
/// on one machine), any address of the same family otherwise.
pub fn local_address_for(peer: SocketAddr) -> SocketAddr {
    use std::net::{Ipv4Addr, Ipv6Addr};
    match peer {
        SocketAddr::V4(v4) if v4.ip().is_loopback() => (Ipv4Addr::LOCALHOST, 0).into(),
        SocketAddr::V6(v6) if v6.ip().is_loopback() => (Ipv6Addr::LOCALHOST, 0).into(),
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    }
}

// ANCHOR: connect
/// Connects `socket` (bound, e.g. to `127.0.0.1:0`) to a receiver at `peer`:
/// sends the SYN until a SYN-ACK comes back.
///
/// # Errors
///
/// A socket error, nothing listening at `peer`, no answer after
/// `config.max_retries` tries, or the receiver's ABORT (e.g. it is busy).
pub fn connect(socket: UdpSocket, peer: SocketAddr, config: Config) -> Result<Outgoing> {
    connect_with(socket, peer, config, DriverConfig::default())
}

/// [`connect`], with the driver's own settings (e.g. batching).
///
/// # Errors
///
/// As [`connect`], and a socket that quinn-udp cannot prepare for batching.
pub fn connect_with(
    socket: UdpSocket,
    peer: SocketAddr,
    config: Config,
    driving: DriverConfig,
) -> Result<Outgoing> {
    socket.connect(peer).with_context(|| format!("cannot connect a UDP socket to {peer}"))?;
    let _ = fit_receive_buffer(&socket, config.window); // for the ACKs: small, but many
    let sender = Sender::new(config);
    let mut driver = Driver::new(socket, peer, true, sender, Instant::now())
        .configure(driving)
        .context("cannot make the UDP socket blocking")?;
    loop {
        driver.step(true).with_context(|| format!("cannot connect to {peer}"))?;
        match driver.endpoint.state() {
            State::Connecting => {}
            State::Failed(failure) => {
                return Err(anyhow::Error::new(failure))
                    .with_context(|| format!("cannot connect to {peer}"));
            }
            _ => return Ok(Outgoing { driver }),
        }
    }
}
// ANCHOR_END: connect

impl Outgoing {
    /// The receiver's address.
    pub fn peer(&self) -> SocketAddr {
        self.driver.peer
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.driver.endpoint.stats()
    }

    /// With [`DriverConfig::batch`]: one line on what batching did, or why
    /// this socket could not batch.
    pub fn batching_summary(&self) -> Option<String> {
        self.driver.batching_summary()
    }

    /// Sends everything that is left and the FIN, and waits until the
    /// receiver has acknowledged all of it: its verdict was "ok".
    ///
    /// # Errors
    ///
    /// The receiver's ABORT with its reason (e.g. a wrong checksum), a
    /// receiver that stopped answering, or a socket error. The error wraps a
    /// [`Failure`] when the protocol failed.
    pub fn finish(mut self) -> Result<Stats> {
        self.driver.endpoint.close();
        loop {
            match self.driver.endpoint.state() {
                State::Done => return Ok(self.stats()),
                State::Failed(failure) => return Err(anyhow::Error::new(failure)),
                _ => self.driver.step(true).context("the transfer failed")?,
            }
        }
    }

    /// Gives up: the receiver gets an ABORT with `reason`.
    ///
    /// # Errors
    ///
    /// A socket error while sending the ABORT.
    pub fn abort(mut self, reason: &str) -> Result<()> {
        self.driver.endpoint.abort(reason);
        self.driver.flush().context("cannot send the ABORT")
    }
}

impl Write for Outgoing {
    // ANCHOR: write
    /// Takes what fits into the send buffer and drives the connection;
    /// blocks while the buffer is full and the window closed.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        loop {
            if let Some(error) = self.driver.failed() {
                return Err(error);
            }
            let taken = self.driver.endpoint.write(data);
            self.driver.step(taken == 0 && !data.is_empty())?;
            if taken > 0 || data.is_empty() {
                return Ok(taken);
            }
            if self.driver.endpoint.state() == State::Done {
                return Err(io::Error::new(ErrorKind::BrokenPipe, "the connection is closed"));
            }
        }
    }
    // ANCHOR_END: write

    /// Sends what the windows allow now (it does not wait for ACKs: that is
    /// [`Outgoing::finish`]).
    fn flush(&mut self) -> io::Result<()> {
        self.driver.step(false)?;
        self.driver.failed().map_or(Ok(()), Err)
    }
}

impl Drop for Outgoing {
    /// Dropped before the end (an error in the sending program): the
    /// receiver hears so at once instead of waiting for its idle timeout.
    fn drop(&mut self) {
        if !matches!(self.driver.endpoint.state(), State::Done | State::Failed(_)) {
            self.driver.endpoint.abort("the sender stopped before the end of the transfer");
            let _ = self.driver.flush();
        }
    }
}

/// A connection that receives: read the bytes, then give a verdict with
/// [`Incoming::finish`].
#[derive(Debug)]
pub struct Incoming {
    driver: Driver<Receiver>,
    finished: bool,
}

// ANCHOR: accept
/// Waits on `socket` for a sender's SYN, answers it, and returns the
/// connection. One transfer at a time per socket: while it lasts, other
/// senders are told the receiver is busy. A SYN the receiver refuses (an
/// unknown protocol) is answered with an ABORT, and the wait goes on.
///
/// # Errors
///
/// A socket error.
pub fn accept(socket: &UdpSocket, config: Config) -> Result<Incoming> {
    accept_with(socket, config, DriverConfig::default())
}

/// [`accept`], with the driver's own settings (e.g. batching, which starts
/// after the SYN: that one is read the ordinary way).
///
/// # Errors
///
/// As [`accept`], and a socket that quinn-udp cannot prepare for batching.
pub fn accept_with(socket: &UdpSocket, config: Config, driving: DriverConfig) -> Result<Incoming> {
    let socket = socket.try_clone().context("cannot clone the UDP socket")?;
    // The receiver advertises no more room than its socket buffer holds.
    let config = Config { window: fit_receive_buffer(&socket, config.window), ..config };
    socket.set_nonblocking(false).context("cannot make the UDP socket blocking")?;
    socket.set_read_timeout(None).context("cannot clear the socket's read timeout")?;
    let mut buf = vec![0u8; RECV_BUFFER];
    let start = Instant::now();
    loop {
        let (len, peer) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            // Windows: an ICMP error about an earlier datagram we sent. Not fatal to a server.
            Err(error)
                if matches!(error.kind(), ErrorKind::ConnectionReset | ErrorKind::Interrupted) =>
            {
                continue;
            }
            Err(error) => return Err(error).context("cannot receive a datagram"),
        };
        if !matches!(Segment::decode(&buf[..len]), Ok(Segment { kind: Kind::Syn, .. })) {
            continue; // a stray datagram (e.g. from a transfer that ended)
        }
        let mut receiver = Receiver::new(config.clone());
        receiver.on_datagram(start.elapsed(), &buf[..len]);
        let mut driver = Driver::new(socket.try_clone()?, peer, false, receiver, start)
            .configure(driving)
            .context("cannot make the UDP socket blocking")?;
        driver.flush().with_context(|| format!("cannot answer {peer}"))?;
        if driver.endpoint.state() == State::Open {
            return Ok(Incoming { driver, finished: false });
        }
    }
}
// ANCHOR_END: accept

impl Incoming {
    /// The sender's address.
    pub fn peer(&self) -> SocketAddr {
        self.driver.peer
    }

    /// The protocol the sender chose.
    pub fn protocol(&self) -> Option<Protocol> {
        self.driver.endpoint.protocol()
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.driver.endpoint.stats()
    }

    /// With [`DriverConfig::batch`]: one line on what batching did, or why
    /// this socket could not batch.
    pub fn batching_summary(&self) -> Option<String> {
        self.driver.batching_summary()
    }

    /// The verdict, after [`Read`] returned `Ok(0)` (the end): `Ok(())`
    /// acknowledges the end, so the sender's [`Outgoing::finish`] succeeds;
    /// `Err(reason)` sends an ABORT with the reason, which the sender's
    /// `finish` returns as its error. Either way the receiver then lingers
    /// for [`Config::linger`], to repeat its answer if it was lost.
    ///
    /// # Errors
    ///
    /// A socket error, `Ok(())` before the end (the sender is told to
    /// stop), or the sender's own ABORT.
    pub fn finish(mut self, verdict: Result<(), String>) -> Result<Stats> {
        let ok = verdict.is_ok();
        if ok && !self.driver.endpoint.at_end() {
            self.driver.endpoint.finish(verdict);
            let _ = self.driver.flush();
            bail!("the transfer is not over: the sender has more to send (it was told to stop)");
        }
        self.driver.endpoint.finish(verdict);
        self.finished = true;
        loop {
            match self.driver.endpoint.state() {
                State::Done => return Ok(self.stats()),
                State::Failed(Failure::Aborted(_)) if !ok => return Ok(self.stats()),
                State::Failed(failure) => return Err(anyhow!(failure)),
                _ => self.driver.step(true).context("cannot answer the sender")?,
            }
        }
    }
}

impl Read for Incoming {
    // ANCHOR: read
    /// In-order bytes; `Ok(0)` at the end of the transfer (after the FIN).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            self.driver.step(false)?; // every waiting datagram, then one ACK
            let count = self.driver.endpoint.read(buf);
            if count > 0 {
                self.driver.flush()?; // a window update, if room came back
                return Ok(count);
            }
            if self.driver.endpoint.at_end() {
                return Ok(0);
            }
            if let Some(error) = self.driver.failed() {
                return Err(error);
            }
            self.driver.step(true)?; // nothing yet: wait for a datagram or the timer
            let count = self.driver.endpoint.read(buf);
            if count > 0 {
                self.driver.flush()?;
                return Ok(count);
            }
        }
    }
    // ANCHOR_END: read
}

impl Drop for Incoming {
    /// Dropped without a verdict (the receiving program failed): the sender
    /// hears so at once.
    fn drop(&mut self) {
        if !self.finished && !matches!(self.driver.endpoint.state(), State::Done | State::Failed(_))
        {
            self.driver.endpoint.abort("the receiver stopped before the end of the transfer");
            let _ = self.driver.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn granted(socket: &UdpSocket) -> usize {
        socket2::SockRef::from(socket).recv_buffer_size().unwrap()
    }

    #[test]
    fn a_window_the_receive_buffer_holds_is_kept() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(fit_receive_buffer(&socket, 8), 8);
        assert!(granted(&socket) >= 8 * BUFFER_PER_DATAGRAM);
    }

    #[test]
    fn a_window_larger_than_the_granted_buffer_shrinks_to_fit() {
        // 65535 segments ask for 256 MiB: Linux grants at most twice
        // net.core.rmem_max (212992 by default), macOS kern.ipc.maxsockbuf.
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let window = fit_receive_buffer(&socket, u16::MAX);
        let fits = (granted(&socket) / BUFFER_PER_DATAGRAM).min(usize::from(u16::MAX));
        assert_eq!(usize::from(window), fits.max(1));
    }
}

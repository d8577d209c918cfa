//! The two halves on real sockets: a sender that sends as fast as the OS takes
//! datagrams, and a receiver that counts them.
//!
//! Why loopback loses: nothing slows a UDP sender down to the receiver's pace.
//! Each datagram waits in the receiving socket's buffer (`SO_RCVBUF` bytes)
//! until the receiver's `recv` takes it out. When the sender is faster for long
//! enough, the buffer is full and the kernel drops every new arrival, counts it
//! (see [`crate::os_counters`]) and tells nobody: the sender's `send` succeeded.
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use socket2::{Domain, Protocol, Socket, Type};

use crate::tally::Tally;
use crate::wire::{self, Datagram};

// ANCHOR: rcvbuf
/// Binds the receiving socket, first asking for a receive buffer of `rcvbuf`
/// bytes when given, and returns it with the size the OS really granted.
///
/// Linux doubles the request (the extra half pays for its bookkeeping) and
/// caps the request at `net.core.rmem_max` without an error; macOS refuses
/// a request above its limit; Windows grants what is asked.
pub fn bind_receiver(address: SocketAddr, rcvbuf: Option<usize>) -> Result<(UdpSocket, usize)> {
    let socket = Socket::new(Domain::for_address(address), Type::DGRAM, Some(Protocol::UDP))
        .context("cannot create a UDP socket")?;
    if let Some(bytes) = rcvbuf {
        socket.set_recv_buffer_size(bytes).with_context(|| {
            format!("cannot set SO_RCVBUF to {bytes} bytes (above the OS's limit? try less)")
        })?;
    }
    socket.bind(&address.into()).with_context(|| {
        format!("cannot bind {address} (is another udp-blast receiving there? try another port)")
    })?;
    let granted = socket.recv_buffer_size().context("cannot read SO_RCVBUF")?;
    Ok((socket.into(), granted))
}
// ANCHOR_END: rcvbuf

/// What the sender is asked to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Stop after this many datagrams (`None`: only `duration` stops it).
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Bytes per datagram, header included ([`wire::HEADER_LEN`] at least).
    pub size: usize,
    /// Datagrams per second; `None`: as fast as possible.
    pub rate: Option<f64>,
}

/// What the sender did.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sent {
    /// Datagrams the OS accepted.
    pub datagrams: u64,
    /// Their bytes.
    pub bytes: u64,
    /// From the first send to the last.
    pub elapsed: Duration,
    /// Sends the OS refused for a full send queue (ENOBUFS, macOS mostly) and
    /// that were tried again: not losses, the same datagram went again.
    pub retries: u64,
    /// Send calls that succeeded: one per datagram here, one per run with GSO
    /// ([`crate::offload`]).
    pub calls: u64,
    /// GSO failed on this device and the sender went on one datagram per call.
    pub fell_back: bool,
}

/// Error codes for "no buffer space available" (the send queue is full).
pub(crate) const ENOBUFS: i32 = if cfg!(windows) {
    10055 // WSAENOBUFS
} else if cfg!(any(target_os = "linux", target_os = "android")) {
    105
} else {
    55 // macOS and the BSDs
};

// ANCHOR: sender
/// Sends numbered datagrams on a connected socket as fast as the OS takes
/// them (or at `plan.rate`). A `send` that returns only means the datagram
/// left our socket; whether it arrived, the sender never learns.
pub fn send(socket: &UdpSocket, plan: &Plan) -> io::Result<Sent> {
    let mut datagram = vec![0u8; plan.size];
    let mut sent = Sent::default();
    let start = Instant::now();
    let mut refused_since = None; // when the OS began refusing with ENOBUFS
    while plan.count.is_none_or(|count| sent.datagrams < count) {
        if let Some(limit) = plan.duration
            && sent.datagrams % 64 == 0
            && start.elapsed() >= limit
        {
            break;
        }
        if let Some(rate) = plan.rate {
            let due = start + Duration::from_secs_f64(sent.datagrams as f64 / rate);
            thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        wire::write_data(&mut datagram, sent.datagrams);
        match socket.send(&datagram) {
            Ok(_) => {
                sent.datagrams += 1;
                sent.bytes += datagram.len() as u64;
                sent.calls += 1;
                refused_since = None;
            }
            // The OS's own queue is full: wait a moment and send the same datagram
            // again, unless it has refused every try for a whole second.
            Err(error) if error.raw_os_error() == Some(ENOBUFS) => {
                let since = *refused_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(1) {
                    return Err(error);
                }
                sent.retries += 1;
                thread::yield_now();
            }
            Err(error) => return Err(error),
        }
    }
    sent.elapsed = start.elapsed();
    Ok(sent)
}
// ANCHOR_END: sender

/// Tells the receiver how many datagrams were sent: the end marker, up to ten
/// times 20 ms apart (it can be lost like any datagram), until `done()` says
/// the receiver has stopped. Errors are ignored: once the receiver has closed
/// its socket, the OS may answer "port unreachable".
pub fn send_end(socket: &UdpSocket, sent: u64, done: impl Fn() -> bool) {
    for _ in 0..10 {
        if done() {
            return;
        }
        let _ = socket.send(&wire::end_marker(sent));
        thread::sleep(Duration::from_millis(20)); // pacing the repeats, not synchronising
    }
}

/// Why the receiver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The sender's end marker arrived.
    End,
    /// As many datagrams as asked for arrived.
    Count,
    /// Nothing arrived for the idle period.
    Idle,
    /// Nothing at all arrived within the first wait.
    Nothing,
}

/// What the receiver saw.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// The counts.
    pub tally: Tally,
    /// What the end marker said the sender sent, if it arrived.
    pub sent: Option<u64>,
    /// From the first data datagram to the last.
    pub elapsed: Duration,
    /// Why it stopped (`None` only while running).
    pub stop: Option<Stop>,
    /// Receive calls that returned something: one per datagram here; with
    /// GRO and `recvmmsg` ([`crate::offload`]) one per batch.
    pub calls: u64,
}

impl Received {
    /// Bytes per second of distinct data, first to last datagram.
    pub fn goodput(&self) -> Option<f64> {
        let seconds = self.elapsed.as_secs_f64();
        (seconds > 0.0).then(|| self.tally.bytes as f64 / seconds)
    }
}

/// How long the receiver waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    /// For the first datagram (`None`: for ever, like a server).
    pub first: Option<Duration>,
    /// After the last one: this long without a datagram ends the count.
    pub idle: Duration,
}

// ANCHOR: receiver
/// Counts datagrams until the end marker, `count` distinct ones, or silence.
pub fn receive(socket: &UdpSocket, count: Option<u64>, patience: Patience) -> io::Result<Received> {
    let mut received = Received::default();
    let mut buffer = vec![0u8; 65_536]; // larger than any datagram: none is cut short
    let (mut first, mut last) = (None, None);
    socket.set_read_timeout(patience.first)?;
    let stop = loop {
        let length = match socket.recv(&mut buffer) {
            Ok(length) => {
                received.calls += 1;
                length
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break if first.is_none() { Stop::Nothing } else { Stop::Idle };
            }
            // Windows: an ICMP "port unreachable" for something this socket sent earlier.
            Err(error) if error.kind() == ErrorKind::ConnectionReset => continue,
            Err(error) => return Err(error),
        };
        match wire::decode(&buffer[..length]) {
            Datagram::Data(seq) => {
                let now = Instant::now();
                if first.is_none() {
                    first = Some(now);
                    socket.set_read_timeout(Some(patience.idle))?;
                }
                last = Some(now);
                received.tally.record(seq, length);
                if count.is_some_and(|count| received.tally.distinct >= count) {
                    break Stop::Count;
                }
            }
            Datagram::End { sent } => {
                received.sent = Some(sent);
                break Stop::End;
            }
            Datagram::Foreign => received.tally.foreign += 1,
        }
    };
    if let (Some(first), Some(last)) = (first, last) {
        received.elapsed = last - first;
    }
    received.stop = Some(stop);
    Ok(received)
}
// ANCHOR_END: receiver

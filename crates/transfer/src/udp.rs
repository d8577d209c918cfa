//! The transfer over our reliable UDP (crate `rudp`): the same header,
//! content and trailer, and the verdict is the transport's own last word:
//! the acknowledged end (`ok`) or an ABORT carrying the verdict line.
//!
//! Two differences from TCP, both visible here:
//! - there is no `ready` line: rudp carries data one way only. A refusal
//!   is an ABORT that stops the sender wherever it is;
//! - the receiver reads up to the sender's end (its FIN) before it keeps
//!   the file, and its `ok` is the acknowledgement of that FIN.
use std::io::{self, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use rudp::Failure;
use rudp::socket::{Incoming, Outgoing};

use crate::protocol::Verdict;
use crate::store::{StoreError, Vanished};
use crate::transport::{ReceiveSide, SendSide};

/// The receiver's end of one rudp connection.
#[derive(Debug)]
pub struct UdpReceiver(Incoming);

impl UdpReceiver {
    /// Wraps an accepted connection.
    pub fn new(incoming: Incoming) -> UdpReceiver {
        UdpReceiver(incoming)
    }
}

impl Read for UdpReceiver {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl ReceiveSide for UdpReceiver {
    /// An ABORT stops the sender at once, whatever is still in flight.
    const DRAIN: bool = false;

    fn ready(&mut self) -> io::Result<()> {
        Ok(()) // the sender never waits for a go-ahead
    }

    /// rudp ends the stream with the sender's FIN: read up to it.
    fn end_of_stream(&mut self, size: u64, timeout: Option<Duration>) -> Result<(), StoreError> {
        match self.0.read(&mut [0u8; 1]) {
            Ok(0) => Ok(()),
            Ok(_) => Err(StoreError::Overrun),
            Err(error) => Err(StoreError::Vanished {
                received: size,
                size,
                how: Vanished::from_io(error, timeout),
            }),
        }
    }

    // ANCHOR: udp_verdict
    /// `ok` acknowledges the sender's FIN; anything else is an ABORT whose
    /// reason is the verdict line.
    fn verdict(self, verdict: &Verdict) -> io::Result<()> {
        let answer = match verdict {
            Verdict::Ok => Ok(()),
            refusal_or_error => Err(refusal_or_error.to_line()),
        };
        self.0.finish(answer).map(drop).map_err(|error| io::Error::other(format!("{error:#}")))
    }
    // ANCHOR_END: udp_verdict
}

/// The sender's end of a rudp connection.
#[derive(Debug)]
pub struct UdpSender(Outgoing);

impl UdpSender {
    /// Connects from an ephemeral port of the same address family. A
    /// receiver busy with another transfer answers "busy": like a TCP
    /// connection waiting in the listen queue, we try again until `timeout`.
    pub fn connect(
        address: SocketAddr,
        config: rudp::Config,
        timeout: Duration,
    ) -> anyhow::Result<UdpSender> {
        let deadline = Instant::now() + timeout;
        let local = rudp::socket::local_address_for(address);
        // Backing off (0.1 s doubling up to 1 s) keeps a busy receiver from
        // spending its time answering us instead of finishing its transfer.
        let mut pause = Duration::from_millis(100);
        loop {
            let socket = UdpSocket::bind(local)?;
            match rudp::socket::connect(socket, address, config.clone()) {
                Ok(outgoing) => return Ok(UdpSender(outgoing)),
                Err(error) if is_busy(&error) && Instant::now() + pause < deadline => {
                    std::thread::sleep(pause); // not synchronisation: a retry's back-off
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                Err(error) => return Err(error),
            }
        }
    }
}

fn is_busy(error: &anyhow::Error) -> bool {
    matches!(error.downcast_ref::<Failure>(), Some(Failure::PeerAborted(reason)) if reason.starts_with("busy"))
}

/// The receiver's verdict inside a failure: its ABORT carries the line.
fn verdict_in(failure: Option<&Failure>) -> Option<Verdict> {
    match failure? {
        Failure::PeerAborted(reason) => {
            Some(Verdict::parse(reason).unwrap_or_else(|| Verdict::Error(reason.clone())))
        }
        _ => None,
    }
}

impl Write for UdpSender {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl SendSide for UdpSender {
    fn await_ready(&mut self) -> io::Result<Option<Verdict>> {
        Ok(None)
    }

    fn finish(self) -> io::Result<Verdict> {
        match self.0.finish() {
            Ok(_stats) => Ok(Verdict::Ok),
            Err(error) => match verdict_in(error.downcast_ref::<Failure>()) {
                Some(verdict) => Ok(verdict),
                None => Err(io::Error::other(format!("{error:#}"))),
            },
        }
    }

    fn verdict_after(&mut self, error: &io::Error) -> Option<Verdict> {
        verdict_in(error.get_ref().and_then(|inner| inner.downcast_ref::<Failure>()))
    }
}

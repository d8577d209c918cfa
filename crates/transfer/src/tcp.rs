//! The transfer over TCP: the verdict is a line of text on the same connection.
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use crate::protocol::{READY, Verdict, read_line};
use crate::store::StoreError;
use crate::transport::{ReceiveSide, SendSide};

/// The receiver's end of one TCP connection.
#[derive(Debug)]
pub struct TcpReceiver(TcpStream);

impl TcpReceiver {
    /// Wraps an accepted connection; `timeout` bounds every read and write,
    /// so a sender that stalls is dropped instead of holding the receiver.
    pub fn new(stream: TcpStream, timeout: Duration) -> io::Result<TcpReceiver> {
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(TcpReceiver(stream))
    }
}

impl Read for TcpReceiver {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl ReceiveSide for TcpReceiver {
    const DRAIN: bool = true;

    fn ready(&mut self) -> io::Result<()> {
        self.0.write_all(format!("{READY}\n").as_bytes())
    }

    fn end_of_stream(&mut self, _size: u64, _timeout: Option<Duration>) -> Result<(), StoreError> {
        Ok(()) // the sender waits for our verdict before it closes
    }

    fn verdict(mut self, verdict: &Verdict) -> io::Result<()> {
        self.0.write_all(format!("{}\n", verdict.to_line()).as_bytes())?;
        // FIN after the verdict; then the close. After a good transfer
        // everything the sender sent has been read, but after a bad header
        // it may have sent more (garbage, the rest of a request). Closing
        // with unread data resets the connection, and on Windows a reset
        // throws away the verdict the sender has not read yet. So first
        // discard what has already arrived (without waiting for more).
        self.0.shutdown(Shutdown::Write)?;
        self.0.set_nonblocking(true)?;
        let mut discard = [0u8; 8192];
        let mut left = 1usize << 20;
        while left > 0 {
            match self.0.read(&mut discard) {
                Ok(0) | Err(_) => break, // closed, nothing more yet, or reset
                Ok(n) => left = left.saturating_sub(n),
            }
        }
        Ok(())
    }
}

/// The sender's end of a TCP connection.
#[derive(Debug)]
pub struct TcpSender(TcpStream);

impl TcpSender {
    /// Connects (within `timeout`); `timeout` also bounds each read and write.
    pub fn connect(address: SocketAddr, timeout: Duration) -> io::Result<TcpSender> {
        let stream = TcpStream::connect_timeout(&address, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        // The content goes in large writes anyway; without Nagle's delay the
        // small header and the 32-byte trailer leave at once.
        stream.set_nodelay(true)?;
        Ok(TcpSender(stream))
    }

    fn read_verdict(&mut self) -> io::Result<Verdict> {
        match read_line(&mut self.0)? {
            None => Err(io::ErrorKind::UnexpectedEof.into()),
            Some(line) => Verdict::parse(&line).ok_or_else(|| not_ours(&line)),
        }
    }
}

impl Write for TcpSender {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl SendSide for TcpSender {
    fn await_ready(&mut self) -> io::Result<Option<Verdict>> {
        match read_line(&mut self.0)? {
            Some(line) if line == READY => Ok(None),
            Some(line) => match Verdict::parse(&line) {
                Some(verdict) => Ok(Some(verdict)),
                None => Err(not_ours(&line)),
            },
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the receiver closed the connection without answering the header",
            )),
        }
    }

    fn finish(mut self) -> io::Result<Verdict> {
        self.read_verdict()
    }

    fn verdict_after(&mut self, _error: &io::Error) -> Option<Verdict> {
        self.read_verdict().ok()
    }
}

/// An answer that is neither `ready` nor a verdict.
fn not_ours(line: &str) -> io::Error {
    let line = crate::protocol::one_line(line);
    let message =
        format!("the receiver answered \"{line}\", not `ready` or a verdict (is it receive-file?)");
    io::Error::new(io::ErrorKind::InvalidData, message)
}

//! Turning a TCP byte stream back into messages.
//!
//! TCP delivers bytes in order, but it does not keep the boundaries of the
//! `write` calls that produced them: two writes may arrive as one `read`, and
//! one write as many. To send *messages* over TCP, the sender must say where
//! each one ends. This crate uses the simplest common answer, a length prefix:
//!
//! ```text
//! +------------------------------+-----------------------+
//! | length: u32, big-endian (4 B) | payload: length bytes |
//! +------------------------------+-----------------------+
//! ```
//!
//! [`write_frame`] sends one frame, [`read_frame`] receives one. Both work on
//! any [`Write`] / [`Read`], so the tests can feed them in-memory buffers and
//! readers that hand out bytes in awkward pieces.
//!
//! ```
//! let mut wire = Vec::new();
//! framing::write_frame(&mut wire, b"Hello")?;
//! framing::write_frame(&mut wire, b"world")?;
//! assert_eq!(wire[..4], [0, 0, 0, 5]); // the length, big-endian
//!
//! let mut reader = &wire[..];
//! assert_eq!(framing::read_frame(&mut reader, 1024)?, Some(b"Hello".to_vec()));
//! assert_eq!(framing::read_frame(&mut reader, 1024)?, Some(b"world".to_vec()));
//! assert_eq!(framing::read_frame(&mut reader, 1024)?, None); // clean end
//! # Ok::<(), std::io::Error>(())
//! ```
use std::io::{self, ErrorKind, Read, Write};

/// Bytes in a frame header: the payload length as a `u32`.
pub const HEADER_LEN: usize = 4;

/// The largest payload the frame server and client accept by default: 1 MiB.
pub const DEFAULT_MAX_FRAME: usize = 1024 * 1024;

/// The payload buffer's first capacity, before any payload byte has arrived:
/// 8 KiB, the standard library's default buffer size. It grows from there.
const FIRST_READ: usize = 8 * 1024;

// ANCHOR: write_frame
/// Writes one frame: the payload's length as a big-endian `u32` (network byte
/// order), then the payload itself.
///
/// # Errors
///
/// `InvalidInput` if the payload is longer than `u32::MAX` bytes, and any
/// error of the writer.
pub fn write_frame(writer: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let length = u32::try_from(payload.len()).map_err(|_| {
        let message = format!("a {}-byte payload does not fit a u32 length", payload.len());
        io::Error::new(ErrorKind::InvalidInput, message)
    })?;
    // Header and payload leave in one write: two small writes in a row can
    // wait for a delayed ACK (Nagle's algorithm) before the second one goes.
    let mut frame = Vec::with_capacity(HEADER_LEN + payload.len());
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(payload);
    // `write` may take only part of the buffer; `write_all` loops until all of it is sent.
    writer.write_all(&frame)
}
// ANCHOR_END: write_frame

// ANCHOR: read_frame
/// Reads one frame and returns its payload.
///
/// - `Ok(Some(payload))`: a whole frame arrived.
/// - `Ok(None)`: the stream ended cleanly, before the first byte of a frame.
///
/// Memory grows with the payload bytes that really arrive, not with the
/// length the header declares: a peer that announces 1 MiB and then sends
/// 10 bytes costs about 10 bytes, not 1 MiB, while we wait for the rest.
///
/// # Errors
///
/// - `UnexpectedEof` if the stream ends inside a frame (header or payload).
/// - `InvalidData` if the header declares more than `max` bytes. This is
///   checked before anything is allocated, and the payload is not read.
/// - Any error of the reader, e.g. a read timeout (`WouldBlock` on Unix,
///   `TimedOut` on Windows; see [`is_timeout`]).
pub fn read_frame(reader: &mut impl Read, max: usize) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; HEADER_LEN];
    if !read_header(reader, &mut header)? {
        return Ok(None);
    }
    let length = u32::from_be_bytes(header) as usize; // lossless: usize has 32 bits or more
    // ANCHOR: max_check
    // The length comes from the network: check it before allocating or
    // reading anything, or four bytes from any client could make us accept,
    // and hold, 4 GiB.
    if length > max {
        let message = format!("frame of {length} bytes exceeds the maximum of {max} bytes");
        return Err(io::Error::new(ErrorKind::InvalidData, message));
    }
    // ANCHOR_END: max_check
    // ANCHOR: read_payload
    // Even below the maximum, the declared length is only a promise: start
    // small and let the buffer grow as the bytes arrive. `take` stops after
    // `length` bytes; `read_to_end` loops over `read` (retrying when a
    // signal interrupts it) until the stream ends or the limit is reached.
    let mut payload = Vec::with_capacity(length.min(FIRST_READ));
    reader.by_ref().take(length as u64).read_to_end(&mut payload)?;
    if payload.len() < length {
        let message = format!("connection closed in the middle of a {length}-byte payload");
        return Err(io::Error::new(ErrorKind::UnexpectedEof, message));
    }
    // ANCHOR_END: read_payload
    Ok(Some(payload))
}
// ANCHOR_END: read_frame

// ANCHOR: read_header
/// Fills `header`; returns `Ok(false)` if the stream ends before its first byte.
///
/// This is the loop `read_exact` runs inside, written out so that a clean end
/// (no byte at all) can be told apart from an end inside the header.
fn read_header(reader: &mut impl Read, header: &mut [u8; HEADER_LEN]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < HEADER_LEN {
        match reader.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(false), // closed between frames
            Ok(0) => {
                let message =
                    format!("connection closed after {filled} of {HEADER_LEN} length bytes");
                return Err(io::Error::new(ErrorKind::UnexpectedEof, message));
            }
            Ok(received) => filled += received, // maybe fewer bytes than asked for
            Err(error) if error.kind() == ErrorKind::Interrupted => {} // a signal: read again
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}
// ANCHOR_END: read_header

/// Whether `error` is what a socket read or write timeout produces:
/// `WouldBlock` on Unix, `TimedOut` on Windows.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(payloads: &[&[u8]]) -> Vec<u8> {
        let mut wire = Vec::new();
        for payload in payloads {
            write_frame(&mut wire, payload).unwrap();
        }
        wire
    }

    #[test]
    fn a_frame_is_a_big_endian_length_then_the_payload() {
        assert_eq!(frames(&[b"Hello"]), b"\x00\x00\x00\x05Hello");
        assert_eq!(frames(&[&[7u8; 300]])[..4], [0, 0, 1, 44]);
    }

    #[test]
    fn frames_round_trip_in_order_then_end_cleanly() {
        let wire = frames(&[b"one", b"", b"three"]);
        let mut reader = &wire[..];
        assert_eq!(read_frame(&mut reader, 10).unwrap(), Some(b"one".to_vec()));
        assert_eq!(read_frame(&mut reader, 10).unwrap(), Some(Vec::new()));
        assert_eq!(read_frame(&mut reader, 10).unwrap(), Some(b"three".to_vec()));
        assert_eq!(read_frame(&mut reader, 10).unwrap(), None);
        assert_eq!(read_frame(&mut reader, 10).unwrap(), None);
    }

    #[test]
    fn an_empty_stream_is_a_clean_end() {
        assert_eq!(read_frame(&mut io::empty(), 10).unwrap(), None);
    }

    #[test]
    fn an_end_inside_the_header_is_an_error() {
        for cut in 1..HEADER_LEN {
            let wire = frames(&[b"Hello"]);
            let error = read_frame(&mut &wire[..cut], 10).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
            let expected = format!("connection closed after {cut} of 4 length bytes");
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn an_end_inside_the_payload_is_an_error() {
        let wire = frames(&[b"Hello"]);
        for cut in HEADER_LEN..wire.len() {
            let error = read_frame(&mut &wire[..cut], 10).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
            let expected = "connection closed in the middle of a 5-byte payload";
            assert_eq!(error.to_string(), expected);
        }
    }

    /// Hands out its bytes, then fails as a socket whose read timeout expired.
    struct Stalling<'a>(&'a [u8]);

    impl Read for Stalling<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(ErrorKind::WouldBlock.into());
            }
            self.0.read(buffer)
        }
    }

    #[test]
    fn a_timeout_inside_the_payload_is_reported_as_a_timeout() {
        let wire = frames(&[b"Hello"]);
        let error = read_frame(&mut Stalling(&wire[..HEADER_LEN + 3]), 10).unwrap_err();
        assert!(is_timeout(&error), "{error:?}");
    }

    /// Hands out the header, then fails the test if anyone reads further.
    struct HeaderOnly {
        header: [u8; HEADER_LEN],
        given: usize,
    }

    impl Read for HeaderOnly {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            assert!(self.given < HEADER_LEN, "read past the header of an oversized frame");
            let count = buffer.len().min(HEADER_LEN - self.given);
            buffer[..count].copy_from_slice(&self.header[self.given..self.given + count]);
            self.given += count;
            Ok(count)
        }
    }

    #[test]
    fn an_oversized_length_is_rejected_before_the_payload_is_read() {
        for declared in [11, 1 << 20, u32::MAX] {
            let mut reader = HeaderOnly { header: declared.to_be_bytes(), given: 0 };
            let error = read_frame(&mut reader, 10).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidData);
            let expected = format!("frame of {declared} bytes exceeds the maximum of 10 bytes");
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn a_frame_of_exactly_the_maximum_is_accepted() {
        let wire = frames(&[&[1u8; 10]]);
        assert_eq!(read_frame(&mut &wire[..], 10).unwrap(), Some(vec![1u8; 10]));
    }

    /// Fails with `Interrupted` every other call, as a read hit by a signal does.
    struct Interrupting<R> {
        inner: R,
        interrupt: bool,
    }

    impl<R: Read> Read for Interrupting<R> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(ErrorKind::Interrupted.into());
            }
            let one = buffer.len().min(1);
            self.inner.read(&mut buffer[..one])
        }
    }

    #[test]
    fn interrupted_reads_are_retried() {
        let wire = frames(&[b"Hello"]);
        let mut reader = Interrupting { inner: &wire[..], interrupt: false };
        assert_eq!(read_frame(&mut reader, 10).unwrap(), Some(b"Hello".to_vec()));
        assert_eq!(read_frame(&mut reader, 10).unwrap(), None);
    }

    #[test]
    fn other_read_errors_pass_through() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(ErrorKind::ConnectionReset.into())
            }
        }
        let error = read_frame(&mut Broken, 10).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ConnectionReset);
    }

    /// Accepts at most `step` bytes per `write`, like a socket with a full buffer.
    struct Trickle {
        written: Vec<u8>,
        step: usize,
        calls: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            let count = buffer.len().min(self.step);
            self.written.extend_from_slice(&buffer[..count]);
            Ok(count)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn partial_writes_are_continued_until_the_frame_is_complete() {
        let mut writer = Trickle { written: Vec::new(), step: 3, calls: 0 };
        write_frame(&mut writer, b"Hello, Server!").unwrap();
        assert_eq!(writer.written, frames(&[b"Hello, Server!"]));
        assert_eq!(writer.calls, 6); // 18 bytes, 3 at a time
    }

    #[test]
    fn a_writer_that_takes_nothing_is_an_error() {
        let mut writer = Trickle { written: Vec::new(), step: 0, calls: 0 };
        let error = write_frame(&mut writer, b"Hello").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::WriteZero);
    }

    #[test]
    fn timeouts_are_recognised_on_every_platform() {
        assert!(is_timeout(&ErrorKind::WouldBlock.into()));
        assert!(is_timeout(&ErrorKind::TimedOut.into()));
        assert!(!is_timeout(&ErrorKind::UnexpectedEof.into()));
    }
}

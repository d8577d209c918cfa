//! Property tests: frames survive any way the byte stream is cut into reads
//! and writes, and a stream cut anywhere inside a frame is reported as such.
#![allow(clippy::unwrap_used)] // helpers fail the test by panicking, like the tests
use std::io::{self, ErrorKind, Read, Write};

use framing::{read_frame, write_frame};
use proptest::prelude::*;

const MAX: usize = 1024;

// ANCHOR: chunked
/// Hands out `data` in pieces whose sizes cycle through `sizes`, as a socket
/// does when the bytes arrive in arbitrary segments.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    next: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        let count = size.min(buffer.len()).min(self.data.len());
        buffer[..count].copy_from_slice(&self.data[..count]);
        self.data = &self.data[count..];
        Ok(count)
    }
}
// ANCHOR_END: chunked

/// Accepts writes in pieces whose sizes cycle through `sizes`.
struct ChunkedWriter {
    written: Vec<u8>,
    sizes: Vec<usize>,
    next: usize,
}

impl Write for ChunkedWriter {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        let count = size.min(buffer.len());
        self.written.extend_from_slice(&buffer[..count]);
        Ok(count)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn encode(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = Vec::new();
    for payload in payloads {
        write_frame(&mut wire, payload).unwrap();
    }
    wire
}

fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..12)
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..40, 1..20)
}

proptest! {
    // ANCHOR: any_split
    #[test]
    fn frames_survive_any_split_into_reads(payloads in payloads(), sizes in chunk_sizes()) {
        let wire = encode(&payloads);
        let mut reader = Chunked { data: &wire, sizes, next: 0 };
        for payload in &payloads {
            prop_assert_eq!(read_frame(&mut reader, MAX).unwrap(), Some(payload.clone()));
        }
        prop_assert_eq!(read_frame(&mut reader, MAX).unwrap(), None);
    }
    // ANCHOR_END: any_split

    #[test]
    fn frames_survive_any_split_into_writes(payloads in payloads(), sizes in chunk_sizes()) {
        let mut writer = ChunkedWriter { written: Vec::new(), sizes, next: 0 };
        for payload in &payloads {
            write_frame(&mut writer, payload).unwrap();
        }
        prop_assert_eq!(writer.written, encode(&payloads));
    }

    #[test]
    fn a_cut_stream_yields_the_whole_frames_then_eof_or_an_error(
        payloads in payloads(),
        sizes in chunk_sizes(),
        cut in any::<prop::sample::Index>(),
    ) {
        let wire = encode(&payloads);
        let cut = cut.index(wire.len() + 1);
        // Where each frame ends in the stream.
        let ends: Vec<usize> = payloads
            .iter()
            .scan(0, |end, payload| {
                *end += 4 + payload.len();
                Some(*end)
            })
            .collect();
        let mut reader = Chunked { data: &wire[..cut], sizes, next: 0 };
        for (payload, end) in payloads.iter().zip(&ends) {
            if *end > cut {
                break;
            }
            prop_assert_eq!(read_frame(&mut reader, MAX).unwrap(), Some(payload.clone()));
        }
        let at_boundary = cut == 0 || ends.contains(&cut);
        match read_frame(&mut reader, MAX) {
            Ok(None) => prop_assert!(at_boundary, "clean end reported inside a frame"),
            Err(error) => {
                prop_assert!(!at_boundary, "error at a frame boundary: {}", error);
                prop_assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
            }
            Ok(Some(frame)) => prop_assert!(false, "unexpected frame of {} bytes", frame.len()),
        }
    }
}

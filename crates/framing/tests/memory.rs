//! What reading a frame costs in memory, counted by the allocator itself.
//!
//! Every allocation of this test program goes through a counting allocator,
//! so a test can see how many bytes `read_frame` holds while it waits for a
//! payload. This works on every OS (the process test in `frame_server.rs`
//! uses `ulimit -v`, which only Linux has). The file holds a single test:
//! tests running at the same time would allocate too and blur the count.
#![allow(clippy::unwrap_used)] // a test fails by panicking
use std::io::{self, ErrorKind, Read};

use framing::{DEFAULT_MAX_FRAME, read_frame};

#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Hands out `data` a few bytes at a time, then the end of the stream, and
/// notes the bytes allocated in the whole program at every `read`: that is
/// what the reader holds while it waits for the network.
struct Watched<'a> {
    data: &'a [u8],
    most_allocated: usize,
}

impl Read for Watched<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        self.most_allocated = self.most_allocated.max(ALLOCATOR.allocated());
        let count = buffer.len().min(self.data.len()).min(4);
        buffer[..count].copy_from_slice(&self.data[..count]);
        self.data = &self.data[count..];
        Ok(count)
    }
}

#[test]
fn a_frame_that_declares_1_mib_but_sends_10_bytes_holds_far_less_than_1_mib() {
    let declared = u32::try_from(DEFAULT_MAX_FRAME).unwrap(); // allowed: not above the maximum
    let wire = [&declared.to_be_bytes()[..], b"only 10 by"].concat();
    let before = ALLOCATOR.allocated();
    let mut reader = Watched { data: &wire, most_allocated: before };

    let error = read_frame(&mut reader, DEFAULT_MAX_FRAME).unwrap_err();

    assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
    assert_eq!(error.to_string(), "connection closed in the middle of a 1048576-byte payload");
    let held = reader.most_allocated.saturating_sub(before);
    // 10 bytes arrived: the buffer may start at a few KiB, never at the declared 1 MiB.
    assert!(held < 64 * 1024, "held {held} bytes while 10 payload bytes had arrived");
}

//! A byte queue: appended at the back, consumed at the front, copied with
//! `memcpy`s rather than byte by byte.

/// Bytes waiting: the sender's unsent data, the receiver's unread data.
#[derive(Debug, Default)]
pub(crate) struct ByteQueue {
    buf: Vec<u8>,
    start: usize,
}

impl ByteQueue {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self { buf: Vec::with_capacity(capacity), start: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `bytes`, first moving what is left to the front when more
    /// than half of the buffer has been consumed (so it does not grow forever).
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.copy_within(self.start.., 0);
            self.buf.truncate(self.len());
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The first `count` bytes (fewer if there are fewer).
    pub(crate) fn front(&self, count: usize) -> &[u8] {
        &self.buf[self.start..self.start + count.min(self.len())]
    }

    /// Removes the first `count` bytes.
    pub(crate) fn consume(&mut self, count: usize) {
        self.start += count.min(self.len());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }
}

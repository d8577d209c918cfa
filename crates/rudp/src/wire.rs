//! The wire format: every rudp datagram is a 12-byte header and a payload.
//!
//! ```text
//! offset size field
//! 0      1    kind: 1 SYN, 2 SYN-ACK, 3 DATA, 4 ACK, 5 FIN, 6 ABORT
//! 1      1    flags: in SYN the protocol (0 stop-and-wait, 1 go-back-N, 2 selective repeat)
//! 2      4    seq     u32, big-endian: this segment's sequence number
//! 6      4    ack     u32: the next sequence number the sender of this segment expects
//! 10     2    window  u16: free segment slots at the sender of this segment
//! 12     ..   payload: DATA bytes, a SACK bitmap in an ACK, a reason in an ABORT
//! ```
//!
//! Segments are numbered, not bytes: DATA number `n + 1` follows DATA `n`,
//! whatever their sizes. The header is big-endian (network byte order), as in
//! every Internet protocol.
use std::fmt;

/// Bytes in the header.
pub const HEADER_LEN: usize = 12;

/// The largest DATA payload: 1500 (Ethernet MTU) - 20 (IPv4) - 8 (UDP) - 12
/// (our header), so a full segment never needs IP fragmentation.
pub const MAX_PAYLOAD: usize = 1460;

// ANCHOR: kind
/// What a segment is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Sender → receiver: "let us start; my first sequence number is `seq`".
    Syn = 1,
    /// Receiver → sender: "agreed; I expect `ack`".
    SynAck = 2,
    /// Sender → receiver: payload bytes, segment number `seq`.
    Data = 3,
    /// Receiver → sender: "I have everything before `ack`".
    Ack = 4,
    /// Sender → receiver: "no segment after `seq - 1`".
    Fin = 5,
    /// Either way: "I give up", with a UTF-8 reason as payload.
    Abort = 6,
}
// ANCHOR_END: kind

impl Kind {
    fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            1 => Self::Syn,
            2 => Self::SynAck,
            3 => Self::Data,
            4 => Self::Ack,
            5 => Self::Fin,
            6 => Self::Abort,
            _ => return None,
        })
    }
}

// ANCHOR: segment
/// One decoded datagram. The payload borrows the received bytes: decoding
/// copies nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    pub kind: Kind,
    /// In a SYN, the protocol ([`crate::Protocol`]); 0 otherwise.
    pub flags: u8,
    /// This segment's number (a receiver's segments carry 0).
    pub seq: u32,
    /// Cumulative: the next number the sender of this segment expects.
    pub ack: u32,
    /// Free segment slots at the sender of this segment.
    pub window: u16,
    pub payload: &'a [u8],
}
// ANCHOR_END: segment

/// Why a datagram is not a rudp segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer than [`HEADER_LEN`] bytes.
    TooShort(usize),
    /// The first byte is not a known kind.
    UnknownKind(u8),
    /// A DATA payload over [`MAX_PAYLOAD`].
    TooLong(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort(len) => {
                write!(f, "{len} bytes is shorter than the {HEADER_LEN}-byte header")
            }
            Self::UnknownKind(kind) => write!(f, "unknown segment kind {kind}"),
            Self::TooLong(len) => {
                write!(f, "a {len}-byte DATA payload exceeds {MAX_PAYLOAD} bytes")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

impl<'a> Segment<'a> {
    /// A segment with the given header fields and no payload or flags.
    pub fn new(kind: Kind, seq: u32, ack: u32, window: u16) -> Self {
        Self { kind, flags: 0, seq, ack, window, payload: &[] }
    }

    /// The same segment carrying `payload`.
    pub fn with_payload(self, payload: &'a [u8]) -> Self {
        Self { payload, ..self }
    }

    // ANCHOR: encode
    /// Appends the encoded segment to `out` (which the caller may reuse, so
    /// that sending allocates nothing once its capacity is large enough).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(self.kind as u8);
        out.push(self.flags);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.ack.to_be_bytes());
        out.extend_from_slice(&self.window.to_be_bytes());
        out.extend_from_slice(self.payload);
    }
    // ANCHOR_END: encode

    /// The encoded segment in a new buffer.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        self.encode_into(&mut out);
        out
    }

    // ANCHOR: decode
    /// Decodes a datagram. Anything from the network may be garbage: every
    /// length is checked before it is used, so this never panics.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] when `datagram` is too short, of an unknown kind, or
    /// carries an oversized DATA payload.
    pub fn decode(datagram: &'a [u8]) -> Result<Self, DecodeError> {
        let Some((header, payload)) = datagram.split_first_chunk::<HEADER_LEN>() else {
            return Err(DecodeError::TooShort(datagram.len()));
        };
        let kind = Kind::from_byte(header[0]).ok_or(DecodeError::UnknownKind(header[0]))?;
        if kind == Kind::Data && payload.len() > MAX_PAYLOAD {
            return Err(DecodeError::TooLong(payload.len()));
        }
        let [_, flags, s0, s1, s2, s3, a0, a1, a2, a3, w0, w1] = *header;
        Ok(Self {
            kind,
            flags,
            seq: u32::from_be_bytes([s0, s1, s2, s3]),
            ack: u32::from_be_bytes([a0, a1, a2, a3]),
            window: u16::from_be_bytes([w0, w1]),
            payload,
        })
    }
    // ANCHOR_END: decode
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_is_big_endian_in_the_fixed_layout() {
        let segment =
            Segment::new(Kind::Data, 0x0102_0304, 0x0506_0708, 0x090a).with_payload(b"hi");
        assert_eq!(segment.encode(), [3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, b'h', b'i']);
    }

    #[test]
    fn short_and_unknown_datagrams_are_errors() {
        assert_eq!(Segment::decode(&[]), Err(DecodeError::TooShort(0)));
        assert_eq!(Segment::decode(&[3; 11]), Err(DecodeError::TooShort(11)));
        assert_eq!(Segment::decode(&[0; 12]), Err(DecodeError::UnknownKind(0)));
        assert_eq!(Segment::decode(&[7; 12]), Err(DecodeError::UnknownKind(7)));
        let long = [&[3u8; 12][..], &[0; MAX_PAYLOAD + 1]].concat();
        assert_eq!(Segment::decode(&long), Err(DecodeError::TooLong(MAX_PAYLOAD + 1)));
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1600)) {
            if let Ok(segment) = Segment::decode(&bytes) {
                prop_assert_eq!(segment.encode(), bytes); // what decodes re-encodes to itself
            }
        }

        #[test]
        fn encode_then_decode_is_identity(
            kind in 1u8..=6, flags: u8, seq: u32, ack: u32, window: u16,
            payload in proptest::collection::vec(any::<u8>(), 0..=MAX_PAYLOAD),
        ) {
            let kind = Kind::from_byte(kind).unwrap();
            let segment = Segment { kind, flags, seq, ack, window, payload: &payload };
            let encoded = segment.encode();
            prop_assert_eq!(Segment::decode(&encoded), Ok(segment));
        }
    }
}

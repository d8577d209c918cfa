//! What a blast datagram carries: a magic word and a sequence number.
//!
//! ```text
//! offset size field
//! 0      4    magic: "BLST" for data, "BEND" for the end marker
//! 4      8    u64, big-endian: data: this datagram's sequence number (0, 1, 2…);
//!             end marker: how many data datagrams the sender sent
//! 12     ..   data: filler up to the chosen size; end marker: nothing
//! ```
//!
//! The numbers are what lets the receiver tell a lost datagram (a number that
//! never came) from a reordered one (came after a higher number) and a
//! duplicate (came twice). Anything else arriving on the port is "foreign".

/// Bytes before the filler: magic (4) and sequence number (8).
pub const HEADER_LEN: usize = 12;

/// The largest UDP payload over IPv4: 65 535 − 20 (IP header) − 8 (UDP header).
pub const MAX_SIZE: usize = 65_507;

/// The largest payload that crosses a 1500-byte Ethernet link without IP
/// fragmentation: 1500 − 20 − 8.
pub const ETHERNET_PAYLOAD: usize = 1472;

const DATA: [u8; 4] = *b"BLST";
const END: [u8; 4] = *b"BEND";

/// A received datagram, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datagram {
    /// Data with its sequence number.
    Data(u64),
    /// The sender is done and says how many data datagrams it sent.
    End {
        /// Data datagrams the sender sent.
        sent: u64,
    },
    /// Not ours (too short or another magic word).
    Foreign,
}

// ANCHOR: datagram
/// Writes the header of data datagram number `seq` into `datagram`
/// (at least [`HEADER_LEN`] bytes; the rest is left as it is).
pub fn write_data(datagram: &mut [u8], seq: u64) {
    if let Some(header) = datagram.get_mut(..HEADER_LEN) {
        header[..4].copy_from_slice(&DATA);
        header[4..].copy_from_slice(&seq.to_be_bytes());
    }
}

/// The end marker that tells the receiver how many datagrams were sent.
pub fn end_marker(sent: u64) -> [u8; HEADER_LEN] {
    let mut marker = [0u8; HEADER_LEN];
    marker[..4].copy_from_slice(&END);
    marker[4..].copy_from_slice(&sent.to_be_bytes());
    marker
}

/// Reads a received datagram. Never panics, whatever the bytes.
pub fn decode(datagram: &[u8]) -> Datagram {
    let Some((magic, rest)) = datagram.split_first_chunk::<4>() else {
        return Datagram::Foreign;
    };
    let Some(number) = rest.first_chunk::<8>().map(|bytes| u64::from_be_bytes(*bytes)) else {
        return Datagram::Foreign;
    };
    match *magic {
        DATA => Datagram::Data(number),
        END if rest.len() == 8 => Datagram::End { sent: number },
        _ => Datagram::Foreign,
    }
}
// ANCHOR_END: datagram

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_end_round_trip() {
        let mut datagram = vec![0xAA; ETHERNET_PAYLOAD];
        write_data(&mut datagram, 0x0102_0304_0506_0708);
        assert_eq!(&datagram[..4], b"BLST");
        assert_eq!(datagram[4..12], [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(datagram[12], 0xAA, "the filler is left alone");
        assert_eq!(decode(&datagram), Datagram::Data(0x0102_0304_0506_0708));
        assert_eq!(decode(&datagram[..HEADER_LEN]), Datagram::Data(0x0102_0304_0506_0708));
        assert_eq!(decode(&end_marker(42)), Datagram::End { sent: 42 });
    }

    #[test]
    fn garbage_is_foreign() {
        assert_eq!(decode(b""), Datagram::Foreign);
        assert_eq!(decode(b"BLST"), Datagram::Foreign);
        assert_eq!(decode(b"BLST1234567"), Datagram::Foreign, "one byte short");
        assert_eq!(decode(b"Hello, UDP Server!"), Datagram::Foreign);
        let mut long_end = end_marker(1).to_vec();
        long_end.push(0);
        assert_eq!(decode(&long_end), Datagram::Foreign, "an end marker has no filler");
        let mut short = [0u8; 4];
        write_data(&mut short, 7); // too small to hold a header: left alone, no panic
        assert_eq!(short, [0; 4]);
    }
}

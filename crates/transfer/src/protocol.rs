//! The bytes on the wire: a header, the content, a checksum, a verdict.
//!
//! ```text
//! sender                                           receiver
//!   header: "XFER" 1 | name length u16 | name | size u64   ─▶  checks name, size, existence
//!   ◀─ TCP only: "ready\n" or "refused: REASON\n"              (nothing written yet)
//!   content: exactly `size` bytes                          ─▶  into a temporary file
//!   trailer: the 32-byte BLAKE3 of the content             ─▶  compared, synced, renamed
//!   ◀─ verdict: "ok\n" | "refused: REASON\n" | "error: REASON\n"
//! ```
//!
//! Integers are big-endian (network byte order). Over our reliable UDP the
//! same header, content and trailer travel, and the verdict is the
//! transport's own: a clean close, or an ABORT carrying the same text.
use std::fmt;
use std::io::{self, Read};

use crate::name::MAX_NAME_BYTES;

/// The first bytes of every transfer: a receiver that reads anything else
/// is talking to the wrong program, and says so instead of guessing.
pub const MAGIC: [u8; 4] = *b"XFER";
/// The version of this protocol; a receiver refuses versions it does not speak.
pub const VERSION: u8 = 1;
/// Length of the checksum trailer: a BLAKE3 hash.
pub const CHECKSUM_LEN: usize = blake3::OUT_LEN;
/// Longest verdict line read back, newline included: a peer that sends an
/// endless line cannot make us hold it all.
pub const MAX_VERDICT_LINE: usize = 1024;

// ANCHOR: header
/// What the sender announces before any content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The file's base name only, UTF-8, never a path: the receiver decides
    /// the directory, and checks the name with [`crate::name::safe_name`].
    pub name: String,
    /// Exactly how many content bytes follow.
    pub size: u64,
}

impl Header {
    /// The header's bytes: magic, version, name length (u16), name, size (u64).
    pub fn encode(&self) -> Vec<u8> {
        let name = self.name.as_bytes();
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        let name = &name[..usize::from(name_len)]; // longer names are cut, and then refused
        let mut bytes = Vec::with_capacity(4 + 1 + 2 + name.len() + 8);
        bytes.extend_from_slice(&MAGIC);
        bytes.push(VERSION);
        bytes.extend_from_slice(&name_len.to_be_bytes());
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(&self.size.to_be_bytes());
        bytes
    }

    /// Reads one header. Every field is read whole before anything is judged
    /// (a refusal then leaves no unread bytes behind, which on TCP would turn
    /// our close into a reset that could destroy the refusal in flight).
    pub fn read_from(reader: &mut impl Read) -> Result<Header, HeaderError> {
        let mut fixed = [0u8; 7];
        reader.read_exact(&mut fixed).map_err(HeaderError::Io)?;
        let [m0, m1, m2, m3, version, len_hi, len_lo] = fixed;
        if [m0, m1, m2, m3] != MAGIC {
            return Err(HeaderError::BadMagic([m0, m1, m2, m3]));
        }
        let mut name = vec![0u8; usize::from(u16::from_be_bytes([len_hi, len_lo]))];
        reader.read_exact(&mut name).map_err(HeaderError::Io)?;
        let mut size = [0u8; 8];
        reader.read_exact(&mut size).map_err(HeaderError::Io)?;
        if version != VERSION {
            return Err(HeaderError::Version(version));
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(HeaderError::NameTooLong(name.len()));
        }
        let name = String::from_utf8(name).map_err(|_| HeaderError::NotUtf8)?;
        Ok(Header { name, size: u64::from_be_bytes(size) })
    }
}
// ANCHOR_END: header

/// Why a header could not be read.
#[derive(Debug)]
pub enum HeaderError {
    /// The stream failed or ended inside the header.
    Io(io::Error),
    /// Not our protocol at all.
    BadMagic([u8; 4]),
    /// Our protocol, another version.
    Version(u8),
    /// A name longer than any system allows.
    NameTooLong(usize),
    /// Names are UTF-8 so that they mean the same text everywhere.
    NotUtf8,
}

impl HeaderError {
    /// Whether the receiver answers `refused:` (a well-formed request it will
    /// not serve) rather than `error:` (a broken one).
    pub fn is_refusal(&self) -> bool {
        matches!(self, HeaderError::Version(_) | HeaderError::NameTooLong(_) | HeaderError::NotUtf8)
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Io(error) => write!(f, "cannot read the header: {error}"),
            HeaderError::BadMagic(magic) => write!(
                f,
                "not a send-file client: the stream starts with {:?}, not {:?}",
                String::from_utf8_lossy(magic),
                String::from_utf8_lossy(&MAGIC)
            ),
            HeaderError::Version(version) => {
                write!(
                    f,
                    "protocol version {version} is not supported (this receiver speaks {VERSION})"
                )
            }
            HeaderError::NameTooLong(bytes) => {
                write!(f, "the file name is {bytes} bytes long (at most {MAX_NAME_BYTES})")
            }
            HeaderError::NotUtf8 => write!(f, "the file name is not UTF-8"),
        }
    }
}

impl std::error::Error for HeaderError {}

// ANCHOR: verdict
/// The receiver's last word on a transfer, sent back as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Verified and stored under its final name.
    Ok,
    /// Not accepted, nothing written: the name, the size, an existing file...
    Refused(String),
    /// Accepted, then failed: checksum mismatch, disk full, sender vanished...
    Error(String),
}

impl Verdict {
    /// `ok`, `refused: REASON` or `error: REASON`, without the newline. A
    /// reason is made one line (control characters escaped) so that it
    /// cannot forge a second verdict.
    pub fn to_line(&self) -> String {
        match self {
            Verdict::Ok => "ok".to_string(),
            Verdict::Refused(reason) => format!("refused: {}", one_line(reason)),
            Verdict::Error(reason) => format!("error: {}", one_line(reason)),
        }
    }

    /// Parses a line from [`Verdict::to_line`] (a trailing `\r\n` or `\n` is ignored).
    pub fn parse(line: &str) -> Option<Verdict> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line == "ok" {
            Some(Verdict::Ok)
        } else if let Some(reason) = line.strip_prefix("refused: ") {
            Some(Verdict::Refused(reason.to_string()))
        } else {
            line.strip_prefix("error: ").map(|reason| Verdict::Error(reason.to_string()))
        }
    }
}
// ANCHOR_END: verdict

/// The go-ahead a TCP receiver sends after accepting a header.
pub const READY: &str = "ready";

/// Control characters escaped, so that the text stays on one line.
pub fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] })
        .collect()
}

/// Reads one line of at most [`MAX_VERDICT_LINE`] bytes, byte by byte (the
/// line is the last thing or the only thing before the content, so nothing
/// is read past it). `Ok(None)`: the stream ended before any byte.
pub fn read_line(reader: &mut impl Read) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match reader.read(&mut byte) {
            Ok(0) if line.is_empty() => return Ok(None),
            Ok(0) => {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the line was cut short"));
            }
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
        if line.len() >= MAX_VERDICT_LINE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "the line is too long"));
        }
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Header, HeaderError> {
        Header::read_from(&mut &bytes[..])
    }

    #[test]
    fn a_header_round_trips() {
        let header = Header { name: "über.txt".to_string(), size: 0x0102_0304_0506_0708 };
        let bytes = header.encode();
        assert_eq!(&bytes[..5], b"XFER\x01");
        assert_eq!(&bytes[5..7], &[0, 9]); // "über.txt" is 9 bytes
        assert_eq!(&bytes[bytes.len() - 8..], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(decode(&bytes).unwrap(), header);
    }

    #[test]
    fn a_header_reads_no_byte_past_itself() {
        let mut bytes = Header { name: "a".into(), size: 3 }.encode();
        bytes.extend_from_slice(b"abc");
        let mut reader = &bytes[..];
        Header::read_from(&mut reader).unwrap();
        assert_eq!(reader, b"abc");
    }

    #[test]
    fn bad_headers_say_why() {
        assert!(
            matches!(decode(b"GET / HTTP/1.1\r\n\r\n"), Err(HeaderError::BadMagic(m)) if &m == b"GET ")
        );
        let mut other_version = Header { name: "a".into(), size: 1 }.encode();
        other_version[4] = 2;
        let error = decode(&other_version).unwrap_err();
        assert!(matches!(error, HeaderError::Version(2)) && error.is_refusal());
        let mut not_utf8 = Header { name: "ab".into(), size: 1 }.encode();
        not_utf8[7] = 0xff;
        assert!(matches!(decode(&not_utf8), Err(HeaderError::NotUtf8)));
        let long = Header { name: "x".repeat(300), size: 1 }.encode();
        assert!(matches!(decode(&long), Err(HeaderError::NameTooLong(300))));
        let cut = Header { name: "abc".into(), size: 1 }.encode();
        for end in 0..cut.len() {
            let error = decode(&cut[..end]).unwrap_err();
            assert!(
                matches!(&error, HeaderError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof)
            );
            assert!(!error.is_refusal());
        }
    }

    #[test]
    fn verdicts_round_trip_as_single_lines() {
        for verdict in [
            Verdict::Ok,
            Verdict::Refused("x exists (use --overwrite)".into()),
            Verdict::Error("checksum mismatch".into()),
        ] {
            assert_eq!(Verdict::parse(&verdict.to_line()), Some(verdict.clone()));
            assert_eq!(Verdict::parse(&format!("{}\r\n", verdict.to_line())), Some(verdict));
        }
        let forged = Verdict::Error("bad\nok".into()).to_line();
        assert_eq!(forged, "error: bad\\nok");
        assert_eq!(Verdict::parse("maybe"), None);
        assert_eq!(Verdict::parse(READY), None, "ready is not a verdict");
    }

    #[test]
    fn lines_are_bounded_and_stop_at_the_newline() {
        let mut reader = &b"ready\nrest"[..];
        assert_eq!(read_line(&mut reader).unwrap().as_deref(), Some("ready"));
        assert_eq!(reader, b"rest");
        assert_eq!(read_line(&mut &b""[..]).unwrap(), None);
        let cut = read_line(&mut &b"ok"[..]).unwrap_err();
        assert_eq!(cut.kind(), io::ErrorKind::UnexpectedEof);
        let endless = vec![b'x'; 5000];
        let long = read_line(&mut &endless[..]).unwrap_err();
        assert_eq!(long.kind(), io::ErrorKind::InvalidData);
    }
}

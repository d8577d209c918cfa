//! One transfer, whatever carries it: the seam between the protocol and a transport.
//!
//! The sender writes the same bytes over TCP and over our reliable UDP, and
//! the receiver reads them the same way; what differs is small and lives
//! behind two traits:
//!
//! - how the receiver says "go on" after a header ([`ReceiveSide::ready`]:
//!   a `ready` line on TCP; nothing on rudp, whose receiver can only stop
//!   the sender with an ABORT, and does so on a refusal);
//! - how the verdict travels back ([`ReceiveSide::verdict`]: a line on TCP,
//!   `Incoming::finish` on rudp);
//! - whether a receiver that failed in the middle must keep reading
//!   ([`ReceiveSide::DRAIN`]: yes on TCP, see [`crate::store::receive_content`]).
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;

use crate::protocol::{Header, Verdict};
use crate::store::{self, PartFile, Policy, Reading, StoreError};

/// Which transport carries the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `std::net::TcpStream`: the kernel does reliability.
    Tcp,
    /// Our reliable UDP (crate `rudp`), in user space.
    Udp,
}

impl Transport {
    /// `tcp` or `udp`, as `--over` spells it.
    pub fn parse(text: &str) -> Option<Transport> {
        match text {
            "tcp" => Some(Transport::Tcp),
            "udp" => Some(Transport::Udp),
            _ => None,
        }
    }
}

/// The receiving end of one transfer.
pub trait ReceiveSide: Read {
    /// Keep reading after a failed write, so that the sender can read the verdict.
    const DRAIN: bool;
    /// The header is accepted: let the sender start on the content.
    fn ready(&mut self) -> io::Result<()>;
    /// After the checksum: make sure the sender sent nothing more, where the
    /// transport can tell (rudp: the stream ends; TCP: the sender is
    /// waiting for our verdict, it cannot close yet).
    fn end_of_stream(&mut self, size: u64, timeout: Option<Duration>) -> Result<(), StoreError>;
    /// The last word, sent back to the sender; ends the transfer.
    fn verdict(self, verdict: &Verdict) -> io::Result<()>;
}

/// The sending end of one transfer.
pub trait SendSide: Write {
    /// After the header: `None` to go on, or the receiver's early verdict (a refusal).
    fn await_ready(&mut self) -> io::Result<Option<Verdict>>;
    /// After the trailer: the receiver's verdict.
    fn finish(self) -> io::Result<Verdict>;
    /// After a failed write: the verdict, if the receiver managed to send one
    /// (it explains the failure better than "connection reset").
    fn verdict_after(&mut self, error: &io::Error) -> Option<Verdict>;
}

/// A transfer the receiver has stored.
#[derive(Debug)]
pub struct Stored {
    /// The header it came with.
    pub header: Header,
    /// Where it is now.
    pub path: PathBuf,
    /// Its BLAKE3: verified against the sender's, or `None` with `--no-verify`.
    pub hash: Option<blake3::Hash>,
    /// When it was stored (before the verdict: rudp's verdict includes a linger).
    pub stored_at: Instant,
}

/// A transfer the receiver has not stored, and what it told the sender.
#[derive(Debug)]
pub struct NotStored {
    /// The header, if one was read.
    pub header: Option<Header>,
    /// The verdict sent back (`refused:` or `error:`).
    pub verdict: Verdict,
    /// Why the verdict could not be delivered, if it could not.
    pub undelivered: Option<io::Error>,
}

impl NotStored {
    /// One line for the receiver's log.
    pub fn describe(&self) -> String {
        let what = match &self.header {
            Some(header) => format!("{:?} ({} bytes): ", header.name, header.size),
            None => String::new(),
        };
        match (&self.verdict, &self.undelivered) {
            (Verdict::Ok, Some(error)) => {
                format!("{what}stored and verified, but the sender could not be told: {error}")
            }
            (verdict, Some(error)) => {
                format!("{what}{} (the sender could not be told: {error})", verdict.to_line())
            }
            (verdict, None) => format!("{what}{}", verdict.to_line()),
        }
    }
}

/// What [`serve_one`] needs besides the transport.
#[derive(Debug)]
pub struct ServeOptions<'a> {
    /// What is accepted.
    pub policy: &'a Policy,
    /// How long the sender may stay silent (for the error message; the
    /// transport enforces it).
    pub timeout: Option<Duration>,
    /// Hash the content and compare (off only to measure the transport alone).
    pub verify: bool,
}

// ANCHOR: serve_one
/// Receives one transfer: header, checks, content into a temporary file,
/// checksum, rename, verdict. `accepted` is called once the header is
/// accepted (to log it) and returns the progress bar to advance.
pub fn serve_one<R: ReceiveSide>(
    mut side: R,
    options: &ServeOptions,
    buffer: &mut [u8],
    accepted: impl FnOnce(&Header) -> ProgressBar,
) -> Result<Stored, NotStored> {
    let fail = |side: R, header: Option<Header>, verdict: Verdict| {
        let undelivered = side.verdict(&verdict).err();
        Err(NotStored { header, verdict, undelivered })
    };
    let header = match Header::read_from(&mut side) {
        Ok(header) => header,
        Err(error) if error.is_refusal() => {
            return fail(side, None, Verdict::Refused(error.to_string()));
        }
        Err(error) => return fail(side, None, Verdict::Error(error.to_string())),
    };
    let path = match store::check(&header, options.policy) {
        Ok(path) => path,
        Err(reason) => return fail(side, Some(header), Verdict::Refused(reason)),
    };
    let created = (!options.policy.discard).then(|| PartFile::create(&path)); // --discard: none
    let part = match created.transpose() {
        Ok(part) => part,
        Err(error) => {
            let reason = format!(
                "cannot create a file in {}: {}",
                options.policy.dir.display(),
                store::describe_write(&error)
            );
            return fail(side, Some(header), Verdict::Error(reason));
        }
    };
    if let Err(error) = side.ready() {
        let verdict = Verdict::Error(format!("cannot send the go-ahead: {error}"));
        return Err(NotStored { header: Some(header), verdict, undelivered: Some(error) });
    }
    let progress = accepted(&header);
    let (drain, timeout, verify) = (R::DRAIN, options.timeout, options.verify);
    let mut how = Reading { buffer, drain, progress: &progress, timeout, verify };
    let stored = store(&mut side, part, header.size, options.policy.overwrite, &mut how);
    progress.finish_and_clear();
    match stored {
        Ok(hash) => match (Instant::now(), side.verdict(&Verdict::Ok)) {
            (stored_at, Ok(())) => {
                let hash = verify.then_some(hash);
                Ok(Stored { header, path, hash, stored_at })
            }
            // Stored and verified, but the sender never hears it: it will
            // report a failure, so we do too (the file stays: it is good).
            (_, Err(error)) => Err(NotStored {
                header: Some(header),
                verdict: Verdict::Ok,
                undelivered: Some(error),
            }),
        },
        Err(error) => {
            let vanished = matches!(error, StoreError::Vanished { .. });
            let verdict = Verdict::Error(error.to_string());
            let undelivered = side.verdict(&verdict).err().filter(|_| !vanished); // gone: no news
            Err(NotStored { header: Some(header), verdict, undelivered })
        }
    }
}
// ANCHOR_END: serve_one

// ANCHOR: store
/// Steps 2 to 4 for an accepted header: the content into the temporary
/// file, hashed and compared with the trailer, the end of the stream, a
/// sync, the rename. On any error `part` is dropped here, which removes it.
/// (`None`: `--discard`, the content is read and thrown away.)
fn store<R: ReceiveSide>(
    side: &mut R,
    part: Option<PartFile>,
    size: u64,
    overwrite: bool,
    how: &mut Reading,
) -> Result<blake3::Hash, StoreError> {
    let Some(mut part) = part else {
        let hash = store::receive_content(side, &mut io::sink(), size, how)?;
        side.end_of_stream(size, how.timeout)?;
        return Ok(hash);
    };
    let file = part.file().map_err(|error| StoreError::Write { received: 0, error })?;
    let hash = store::receive_content(side, file, size, how)?; // verified
    side.end_of_stream(size, how.timeout)?; // and nothing after it
    part.commit(overwrite)?; // synced, then renamed
    Ok(hash)
}
// ANCHOR_END: store

/// Why a send failed, in one line.
#[derive(Debug)]
pub enum SendError {
    /// The receiver refused the file (nothing was written there).
    Refused(String),
    /// The receiver accepted, then failed (nothing was kept there).
    Failed(String),
    /// Reading the local file failed.
    File(io::Error),
    /// The local file has fewer bytes than it had when the header was sent.
    Shrank { sent: u64, size: u64 },
    /// The transport failed, after `sent` content bytes.
    Transport { sent: u64, size: u64, error: io::Error },
    /// The receiver answered something that is not our protocol.
    Protocol(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Refused(reason) => write!(f, "the receiver refused the file: {reason}"),
            SendError::Failed(reason) => {
                write!(f, "the receiver could not store the file: {reason}")
            }
            SendError::File(error) => write!(f, "cannot read the file: {error}"),
            SendError::Shrank { sent, size } => {
                write!(f, "the file shrank while being sent: {sent} of {size} bytes read")
            }
            SendError::Transport { sent, size, error } => {
                write!(
                    f,
                    "the transfer broke off after {sent} of {size} bytes: {}",
                    describe_peer_error(error)
                )
            }
            SendError::Protocol(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for SendError {}

/// A transport error seen by the sender, with the likely cause in words.
pub fn describe_peer_error(error: &io::Error) -> String {
    let cause = match error.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            "the receiver reset the connection"
        }
        io::ErrorKind::BrokenPipe => "the receiver closed the connection",
        io::ErrorKind::UnexpectedEof => "the receiver closed the connection without a verdict",
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            "the receiver stopped answering (timeout)"
        }
        _ => return error.to_string(),
    };
    format!("{cause} ({error})")
}

// ANCHOR: send
/// Sends `header`, then `size` bytes of `file` hashed on the way, then the
/// hash; returns the hash once the receiver has said `ok`. (`verify` off,
/// only to measure the transport alone: nothing hashed, a zero trailer.)
pub fn send<S: SendSide>(
    mut side: S,
    file: &mut impl Read,
    header: &Header,
    buffer: &mut [u8],
    progress: &ProgressBar,
    verify: bool,
) -> Result<Option<blake3::Hash>, SendError> {
    let size = header.size;
    let broke = |side: &mut S, sent, error: io::Error| match side.verdict_after(&error) {
        Some(verdict) => verdict_error(verdict),
        None => SendError::Transport { sent, size, error },
    };
    if let Err(error) = side.write_all(&header.encode()).and_then(|()| side.flush()) {
        return Err(broke(&mut side, 0, error));
    }
    match side.await_ready() {
        Ok(None) => {}
        Ok(Some(verdict)) => return Err(verdict_error(verdict)),
        Err(error) => return Err(answer_error(0, size, error)),
    }
    let mut hasher = verify.then(blake3::Hasher::new);
    let mut sent = 0u64;
    while sent < size {
        let want = buffer.len().min(usize::try_from(size - sent).unwrap_or(usize::MAX));
        let got = match file.read(&mut buffer[..want]) {
            Ok(0) => return Err(SendError::Shrank { sent, size }),
            Ok(got) => got,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(SendError::File(error)),
        };
        if let Some(hasher) = &mut hasher {
            hasher.update(&buffer[..got]);
        }
        if let Err(error) = side.write_all(&buffer[..got]) {
            return Err(broke(&mut side, sent, error));
        }
        sent += got as u64;
        progress.inc(got as u64);
    }
    let hash = hasher.map(|hasher| hasher.finalize());
    let trailer = hash.map_or([0; 32], |hash| *hash.as_bytes());
    if let Err(error) = side.write_all(&trailer).and_then(|()| side.flush()) {
        return Err(broke(&mut side, sent, error));
    }
    match side.finish() {
        Ok(Verdict::Ok) => Ok(hash),
        Ok(verdict) => Err(verdict_error(verdict)),
        Err(error) => Err(answer_error(sent, size, error)),
    }
}
// ANCHOR_END: send

fn verdict_error(verdict: Verdict) -> SendError {
    match verdict {
        Verdict::Refused(reason) => SendError::Refused(reason),
        Verdict::Error(reason) => SendError::Failed(reason),
        Verdict::Ok => SendError::Protocol("the receiver said ok before the content".to_string()),
    }
}

/// An error while waiting for an answer: garbage (`InvalidData`) is a
/// protocol error, anything else a transport failure.
fn answer_error(sent: u64, size: u64, error: io::Error) -> SendError {
    if error.kind() == io::ErrorKind::InvalidData {
        SendError::Protocol(error.to_string())
    } else {
        SendError::Transport { sent, size, error }
    }
}

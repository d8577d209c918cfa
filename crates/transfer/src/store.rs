//! The receiver's side of a transfer, without any socket: decide whether to
//! accept a header, then write the content to a temporary file, verify it,
//! and only then give it its real name.
//!
//! The order is the whole point:
//!
//! 1. [`check`] refuses **before anything is written**: an unsafe name, a
//!    size over the limit, a file that exists (unless overwriting is allowed).
//! 2. [`PartFile::create`] makes `.NAME.part-RANDOM` in the target directory;
//!    the content goes there, hashed on the way ([`receive_content`]).
//! 3. The trailer is compared with that hash; the file is synced to disk.
//!    ([`crate::transport::serve_one`] runs steps 2 to 4.)
//! 4. Only then is it renamed to `NAME` — a rename within one directory is
//!    atomic, so `NAME` is either absent or complete, even if the receiver
//!    crashes or the power fails at any moment.
//!
//! Whatever fails on the way, dropping the [`PartFile`] removes the
//! temporary file. (A crash leaves the hidden `.part-` file behind, never a
//! partial file under the final name.)
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::ProgressBar;

use crate::name::safe_name;
use crate::protocol::{CHECKSUM_LEN, Header};

/// What the receiver accepts.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The directory every file goes into (and nowhere else).
    pub dir: PathBuf,
    /// The largest declared size accepted, in bytes.
    pub max_size: u64,
    /// Whether an existing file of the same name may be replaced.
    pub overwrite: bool,
    /// For measuring the transport alone: read the content and keep nothing
    /// (no file is created, so an existing one does not matter).
    pub discard: bool,
}

// ANCHOR: check
/// Decides on a header before any byte is written: the final path if the
/// transfer is accepted, the reason (sent back as `refused: REASON`) if not.
pub fn check(header: &Header, policy: &Policy) -> Result<PathBuf, String> {
    let name = safe_name(&header.name).map_err(|why| why.to_string())?;
    if header.size > policy.max_size {
        return Err(format!(
            "{name} is {} bytes, more than this receiver's --max-size {}",
            header.size, policy.max_size
        ));
    }
    let path = policy.dir.join(name);
    if policy.discard {
        return Ok(path); // nothing will be written there
    }
    // symlink_metadata: a link is a name that exists, wherever it points.
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_dir() => Err(format!("{name} exists and is a directory")),
        Ok(_) if !policy.overwrite => Err(format!(
            "{name} already exists (the receiver must run with --overwrite to replace it)"
        )),
        _ => Ok(path),
    }
}
// ANCHOR_END: check

/// The temporary file a transfer is written to, removed when dropped unless
/// [`PartFile::commit`] gave it its final name.
#[derive(Debug)]
pub struct PartFile {
    file: Option<File>,
    temp: PathBuf,
    target: PathBuf,
}

impl PartFile {
    /// Creates `.NAME.part-RANDOM` next to `target` (same directory, so the
    /// final rename never crosses file systems). `create_new` never opens an
    /// existing file: a name taken by chance is simply tried again.
    pub fn create(target: &Path) -> io::Result<PartFile> {
        let dir = target.parent().unwrap_or(Path::new("."));
        let name = target.file_name().map(|name| name.to_string_lossy()).unwrap_or_default();
        // Short enough that `.` + prefix + `.part-` + 16 hex digits fits in 255 bytes.
        let mut end = name.len().min(200);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let mut attempt = 0;
        loop {
            let temp = dir.join(format!(".{}.part-{:016x}", &name[..end], random_u64()));
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(file) => {
                    return Ok(PartFile { file: Some(file), temp, target: target.to_path_buf() });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempt < 10 => {
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The temporary file's path (e.g. for a log line).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// The open temporary file, to write the content into.
    pub fn file(&mut self) -> io::Result<&mut File> {
        self.file.as_mut().ok_or_else(|| io::Error::other("the temporary file is closed"))
    }

    // ANCHOR: commit
    /// Syncs the verified content to disk, then gives it its final name.
    ///
    /// Without `overwrite` the final name is made with a hard link, which
    /// fails if the name exists — even if it was created after [`check`]
    /// (a rename would silently replace it). Where hard links are not
    /// supported (FAT, some network shares) it falls back to check-then-rename.
    pub fn commit(mut self, overwrite: bool) -> Result<(), StoreError> {
        let file = self.file.take().ok_or_else(|| StoreError::Sync(io::Error::other("closed")))?;
        file.sync_all().map_err(StoreError::Sync)?; // the bytes are on disk...
        drop(file); // (Windows renames an open file less willingly)
        if overwrite {
            fs::rename(&self.temp, &self.target).map_err(StoreError::Rename)?;
        } else {
            match fs::hard_link(&self.temp, &self.target) {
                Ok(()) => {
                    let _ = fs::remove_file(&self.temp); // the final name holds the content
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(StoreError::Appeared); // the temporary file goes in drop
                }
                Err(_) if fs::symlink_metadata(&self.target).is_ok() => {
                    return Err(StoreError::Appeared);
                }
                Err(_) => fs::rename(&self.temp, &self.target).map_err(StoreError::Rename)?,
            }
        }
        self.temp = PathBuf::new(); // nothing left to remove
        sync_dir(&self.target); // ...and so is the new name
        Ok(())
    }
    // ANCHOR_END: commit
}

impl Drop for PartFile {
    fn drop(&mut self) {
        drop(self.file.take()); // closed first: Windows cannot delete an open file
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Unix: a rename is durable only once the directory itself is synced.
/// Windows cannot open a directory as a file; NTFS journals the rename.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all(); // best effort: the file is complete either way
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// A random number for temporary names, from the standard library's
/// randomly seeded hasher (no dependency needed for 64 unguessable bits).
fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    hasher.finish()
}

/// How a sender went away before the end of its content.
#[derive(Debug)]
pub enum Vanished {
    /// The stream ended: the sender closed its socket, or was killed and its
    /// OS closed it (a killed process's connections end like a close).
    EndOfStream,
    /// A TCP reset: the sender's OS threw the connection away (e.g. it closed
    /// with unread data, or `SO_LINGER` 0, or the host rebooted).
    Reset,
    /// Nothing arrived for this long: the sender (or the network) stalled.
    TimedOut(Option<Duration>),
    /// Any other failure of the transport, as it describes itself.
    Other(io::Error),
}

impl Vanished {
    /// Tells the causes apart by the error's kind, never by guessing.
    pub fn from_io(error: io::Error, timeout: Option<Duration>) -> Vanished {
        match error.kind() {
            io::ErrorKind::UnexpectedEof => Vanished::EndOfStream,
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Vanished::Reset,
            // A read timeout is WouldBlock on Unix, TimedOut on Windows.
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Vanished::TimedOut(timeout),
            _ => Vanished::Other(error),
        }
    }
}

impl fmt::Display for Vanished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Vanished::EndOfStream => {
                write!(f, "end of stream (it closed the connection or was killed)")
            }
            Vanished::Reset => write!(f, "the connection was reset"),
            Vanished::TimedOut(Some(timeout)) => {
                write!(f, "nothing arrived for {timeout:?} (timeout)")
            }
            Vanished::TimedOut(None) => write!(f, "timed out"),
            Vanished::Other(error) => write!(f, "{error}"),
        }
    }
}

/// Why a transfer that was accepted did not end up stored.
#[derive(Debug)]
pub enum StoreError {
    /// The sender went away after `received` of `size` content bytes (or in the trailer).
    Vanished { received: u64, size: u64, how: Vanished },
    /// Writing the temporary file failed: full disk, quota, I/O error...
    Write { received: u64, error: io::Error },
    /// The content arrived whole but is not what the sender hashed.
    Mismatch { expected: blake3::Hash, actual: blake3::Hash },
    /// Syncing to disk failed (a full disk can show only here, when the
    /// file system allocates lazily).
    Sync(io::Error),
    /// The final rename failed.
    Rename(io::Error),
    /// The final name was created by someone else during the transfer.
    Appeared,
    /// More bytes came after the checksum than the header announced.
    Overrun,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Vanished { received, size, how } if received == size => {
                write!(f, "the sender vanished before the checksum ({size} bytes received): {how}")
            }
            StoreError::Vanished { received, size, how } => {
                write!(f, "the sender vanished after {received} of {size} bytes: {how}")
            }
            StoreError::Write { received, error } => {
                write!(f, "cannot write the file after {received} bytes: {}", describe_write(error))
            }
            StoreError::Mismatch { expected, .. } if expected.as_bytes() == &[0; 32] => write!(
                f,
                "checksum mismatch: the sender sent no checksum (it ran with --no-verify; \
                 so must the receiver, or neither); nothing was kept"
            ),
            StoreError::Mismatch { expected, actual } => write!(
                f,
                "checksum mismatch: the sender's BLAKE3 is {}, the content received hashes to {} \
                 (the data was damaged on the way; nothing was kept)",
                expected.to_hex(),
                actual.to_hex()
            ),
            StoreError::Sync(error) => {
                write!(f, "cannot sync the file to disk: {}", describe_write(error))
            }
            StoreError::Rename(error) => write!(f, "cannot rename the verified file: {error}"),
            StoreError::Overrun => {
                write!(f, "the sender sent more bytes than its header announced (nothing was kept)")
            }
            StoreError::Appeared => write!(
                f,
                "a file of that name appeared during the transfer (not replaced without --overwrite)"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// A write error with its cause in words, and the OS's own text.
pub fn describe_write(error: &io::Error) -> String {
    let cause = match error.kind() {
        io::ErrorKind::StorageFull => "the disk is full",
        io::ErrorKind::QuotaExceeded => "the disk quota is exceeded",
        io::ErrorKind::FileTooLarge => "the file is too large for this file system",
        io::ErrorKind::PermissionDenied => "permission denied",
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only",
        _ => return error.to_string(),
    };
    format!("{cause} ({error})")
}

/// How [`receive_content`] reads.
#[derive(Debug)]
pub struct Reading<'a> {
    /// The one buffer the content passes through.
    pub buffer: &'a mut [u8],
    /// Keep reading after a failed write (see [`receive_content`]).
    pub drain: bool,
    /// Advanced by every chunk.
    pub progress: &'a ProgressBar,
    /// The transport's read timeout, to name it when it strikes.
    pub timeout: Option<Duration>,
    /// Hash the content and compare it with the trailer (off only to measure
    /// the transport alone: `--no-verify`).
    pub verify: bool,
}

// ANCHOR: receive_content
/// Copies exactly `size` content bytes from `reader` to `writer`, hashing
/// them on the way, then reads the 32-byte trailer and compares.
///
/// `how.buffer` is the only memory used (no allocation per chunk); it is
/// filled as far as the stream allows before each write, so the file gets
/// large writes and BLAKE3 large inputs (it hashes several 1 KiB chunks at
/// once with SIMD). With `how.drain`, a failed write does not stop the reading: the
/// rest is read and thrown away so that the sender, still sending, gets to
/// read our verdict (on TCP, closing with unread data would reset the
/// connection and could destroy the verdict on its way).
pub fn receive_content(
    reader: &mut impl Read,
    writer: &mut impl Write,
    size: u64,
    how: &mut Reading,
) -> Result<blake3::Hash, StoreError> {
    let Reading { buffer, drain, progress, timeout, verify } = how;
    let (drain, timeout) = (*drain, *timeout);
    let mut hasher = verify.then(blake3::Hasher::new);
    let mut received = 0u64;
    let mut failed: Option<(u64, io::Error)> = None; // where the first write failed, and why
    let vanished = |received, error| StoreError::Vanished {
        received,
        size,
        how: Vanished::from_io(error, timeout),
    };
    while received < size {
        let want = buffer.len().min(usize::try_from(size - received).unwrap_or(usize::MAX));
        let got = fill(reader, &mut buffer[..want])
            .map_err(|(partial, error)| vanished(received + partial as u64, error))?;
        let chunk = &buffer[..got];
        if failed.is_none() {
            if let Some(hasher) = &mut hasher {
                hasher.update(chunk);
            }
            if let Err((written, error)) = write_counted(writer, chunk) {
                let at = received + written as u64; // the file holds this much
                if !drain {
                    return Err(StoreError::Write { received: at, error });
                }
                failed = Some((at, error));
            }
        }
        received += got as u64;
        progress.inc(got as u64);
    }
    let mut trailer = [0u8; CHECKSUM_LEN];
    let trailer_read = fill(reader, &mut trailer).map_err(|(_, error)| vanished(received, error));
    if let Some((received, error)) = failed {
        return Err(StoreError::Write { received, error }); // the first failure is the cause
    }
    trailer_read?;
    let expected = blake3::Hash::from_bytes(trailer);
    let Some(hasher) = hasher else {
        return Ok(expected); // --no-verify: the sender's word, unchecked
    };
    let actual = hasher.finalize();
    if actual != expected {
        // Hash's == compares in constant time (no matter here, but good habit).
        return Err(StoreError::Mismatch { expected, actual });
    }
    Ok(actual)
}
// ANCHOR_END: receive_content

/// `write_all`, but an error comes with how many bytes did go in before it
/// (a full disk takes part of a chunk, then refuses the rest).
fn write_counted(writer: &mut impl Write, chunk: &[u8]) -> Result<(), (usize, io::Error)> {
    let mut written = 0;
    while written < chunk.len() {
        match writer.write(&chunk[written..]) {
            Ok(0) => return Err((written, io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err((written, error)),
        }
    }
    Ok(())
}

/// Reads until `buffer` is full (the caller sizes it to at most what is
/// still owed, so this never waits for bytes that are not coming). An
/// error comes with how many bytes did arrive before it; the stream ending
/// first is `UnexpectedEof`.
fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> Result<usize, (usize, io::Error)> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => return Err((filled, io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err((filled, error)),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content_and_trailer(content: &[u8]) -> Vec<u8> {
        let mut bytes = content.to_vec();
        bytes.extend_from_slice(blake3::hash(content).as_bytes());
        bytes
    }

    fn receive(input: &[u8], size: u64, out: &mut impl Write) -> Result<blake3::Hash, StoreError> {
        let mut buffer = vec![0u8; 7]; // tiny, so that chunks split everywhere
        let progress = ProgressBar::hidden();
        let mut how = Reading {
            buffer: &mut buffer,
            drain: false,
            progress: &progress,
            timeout: None,
            verify: true,
        };
        receive_content(&mut &input[..], out, size, &mut how)
    }

    #[test]
    fn content_with_its_checksum_is_accepted() {
        let content: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        let hash = receive(&content_and_trailer(&content), 1000, &mut out).unwrap();
        assert_eq!(out, content);
        assert_eq!(hash, blake3::hash(&content));
    }

    #[test]
    fn a_wrong_checksum_is_a_mismatch() {
        let mut bytes = content_and_trailer(b"hello");
        *bytes.last_mut().unwrap() ^= 1;
        let error = receive(&bytes, 5, &mut Vec::new()).unwrap_err();
        assert!(matches!(error, StoreError::Mismatch { .. }), "{error:?}");
        assert!(error.to_string().starts_with("checksum mismatch"));
    }

    #[test]
    fn an_early_end_is_told_with_counts() {
        let error = receive(b"hel", 5, &mut Vec::new()).unwrap_err();
        assert!(matches!(error, StoreError::Vanished { how: Vanished::EndOfStream, .. }));
        assert_eq!(
            error.to_string(),
            "the sender vanished after 3 of 5 bytes: end of stream (it closed the connection or was killed)"
        );
        let error = receive(b"hello", 5, &mut Vec::new()).unwrap_err();
        assert!(error.to_string().contains("before the checksum"), "{error}");
    }

    #[test]
    fn io_errors_name_their_cause() {
        let reset = Vanished::from_io(io::ErrorKind::ConnectionReset.into(), None);
        assert!(matches!(reset, Vanished::Reset));
        let timeout =
            Vanished::from_io(io::ErrorKind::WouldBlock.into(), Some(Duration::from_secs(2)));
        assert_eq!(timeout.to_string(), "nothing arrived for 2s (timeout)");
        let full = io::Error::from(io::ErrorKind::StorageFull);
        assert!(describe_write(&full).starts_with("the disk is full"));
    }

    /// A writer that fails after `room` bytes, like a disk filling up.
    struct SmallDisk {
        room: usize,
    }
    impl Write for SmallDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::StorageFull.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_is_reported_and_with_drain_the_rest_is_read() {
        let bytes = content_and_trailer(&[7u8; 100]);
        let error = receive(&bytes, 100, &mut SmallDisk { room: 10 }).unwrap_err();
        assert!(error.to_string().contains("the disk is full"), "{error}");
        // The count is where the disk filled up, inside a chunk, not where the chunk began.
        assert!(error.to_string().starts_with("cannot write the file after 10 bytes"), "{error}");
        let mut reader = &bytes[..];
        let mut buffer = [0u8; 16];
        let hidden = ProgressBar::hidden();
        let mut how = Reading {
            buffer: &mut buffer,
            drain: true,
            progress: &hidden,
            timeout: None,
            verify: true,
        };
        let error =
            receive_content(&mut reader, &mut SmallDisk { room: 10 }, 100, &mut how).unwrap_err();
        assert!(matches!(error, StoreError::Write { received: 10, .. }), "{error:?}");
        assert!(reader.is_empty(), "drained to the end, trailer included");
    }

    /// The real thing on Linux: /dev/full fails every write with ENOSPC.
    #[cfg(target_os = "linux")]
    #[test]
    fn dev_full_is_reported_as_a_full_disk() {
        let mut full = OpenOptions::new().write(true).open("/dev/full").unwrap();
        let bytes = content_and_trailer(&[1u8; 64]);
        let error = receive(&bytes, 64, &mut full).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("cannot write the file after 0 bytes: the disk is full"),
            "{text}"
        );
        assert!(text.contains("No space left on device"), "{text}");
    }

    fn temp_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("transfer-store-{test}-{:x}", random_u64()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_part_file_is_hidden_and_removed_unless_committed() {
        let dir = temp_dir("part");
        let part = PartFile::create(&dir.join("a.txt")).unwrap();
        let temp = entries(&dir);
        assert_eq!(temp.len(), 1);
        assert!(temp[0].starts_with(".a.txt.part-"), "{temp:?}");
        drop(part);
        assert!(entries(&dir).is_empty(), "dropping removes it");

        let mut part = PartFile::create(&dir.join("a.txt")).unwrap();
        part.file().unwrap().write_all(b"done").unwrap();
        part.commit(false).unwrap();
        assert_eq!(entries(&dir), ["a.txt"]);
        assert_eq!(fs::read(dir.join("a.txt")).unwrap(), b"done");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn commit_never_replaces_a_file_that_appeared_meanwhile() {
        let dir = temp_dir("appeared");
        let target = dir.join("a.txt");
        let mut part = PartFile::create(&target).unwrap();
        part.file().unwrap().write_all(b"new").unwrap();
        fs::write(&target, b"someone else's").unwrap();
        assert!(matches!(part.commit(false), Err(StoreError::Appeared)));
        assert_eq!(entries(&dir), ["a.txt"], "the temporary file is gone");
        assert_eq!(fs::read(&target).unwrap(), b"someone else's");

        let mut part = PartFile::create(&target).unwrap();
        part.file().unwrap().write_all(b"new").unwrap();
        part.commit(true).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new", "replaced with overwrite");
        assert_eq!(entries(&dir), ["a.txt"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn very_long_names_get_a_temporary_name_that_fits() {
        let dir = temp_dir("long");
        let name = "é".repeat(127); // 254 bytes
        let part = PartFile::create(&dir.join(&name)).unwrap();
        assert!(part.temp_path().file_name().unwrap().len() <= 255);
        drop(part);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn check_refuses_before_writing() {
        let dir = temp_dir("check");
        fs::write(dir.join("old.txt"), b"x").unwrap();
        fs::create_dir(dir.join("sub")).unwrap();
        let policy = Policy { dir: dir.clone(), max_size: 100, overwrite: false, discard: false };
        let header = |name: &str, size| Header { name: name.to_string(), size };
        assert_eq!(check(&header("new.txt", 100), &policy), Ok(dir.join("new.txt")));
        assert!(check(&header("new.txt", 101), &policy).unwrap_err().contains("--max-size 100"));
        assert!(check(&header("old.txt", 1), &policy).unwrap_err().contains("already exists"));
        assert!(check(&header("sub", 1), &policy).unwrap_err().contains("directory"));
        assert!(check(&header("../x", 1), &policy).unwrap_err().contains("path"));
        let overwrite = Policy { overwrite: true, ..policy };
        assert_eq!(check(&header("old.txt", 1), &overwrite), Ok(dir.join("old.txt")));
        assert!(check(&header("sub", 1), &overwrite).unwrap_err().contains("directory"));
        assert_eq!(entries(&dir), ["old.txt", "sub"], "nothing was written");
        fs::remove_dir_all(&dir).unwrap();
    }
}

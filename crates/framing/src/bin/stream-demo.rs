//! TCP is a byte stream: the boundaries of `write` calls do not survive.
//!
//! Opens a connection to itself over loopback and shows, from real calls,
//! that two writes can come out of one read and one write out of several.
//! The receiver waits until the bytes have arrived before it reads, so the
//! output is the same on every run; `--live` adds a run without that wait,
//! whose numbers change from run to run.
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: stream-demo [--live]\n\
    Show over loopback that TCP keeps bytes in order but not the boundaries of writes.\n\
    --live  also send 1 MiB in one write and show how the reads really split it";
const TIMEOUT: Duration = Duration::from_secs(5);

/// `println!`, except that a closed stdout (`stream-demo | head -1`) is an
/// error the caller returns, instead of a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(io::stdout(), $($arg)*).context("cannot write to standard output")
    };
}

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    let _ = writeln!(io::stderr(), "error: {error:#}"); // with stderr closed, nobody is left to tell
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let live = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--live") => true,
        Some("-h" | "--help") => {
            say!("{USAGE}")?;
            return Ok(());
        }
        Some(other) => bail!("unknown argument {other:?} (try --help)"),
    };
    // A connection to ourselves: `sender` writes, `receiver` reads.
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen on 127.0.0.1")?;
    let address = listener.local_addr()?;
    let mut sender = TcpStream::connect(address).context("cannot connect to ourselves")?;
    let (mut receiver, _) = listener.accept().context("cannot accept our own connection")?;
    sender.set_nodelay(true)?; // send each write at once, no batching by Nagle's algorithm
    receiver.set_read_timeout(Some(TIMEOUT))?;

    two_writes_one_read(&mut sender, &mut receiver)?;
    one_write_many_reads(&mut sender, &mut receiver)?;
    if live {
        live_run(sender, &mut receiver)?;
    }
    Ok(())
}

// ANCHOR: two_writes
fn two_writes_one_read(sender: &mut TcpStream, receiver: &mut TcpStream) -> Result<()> {
    say!("== two writes, one read ==")?;
    for message in ["Hello, ", "Server!"] {
        sender.write_all(message.as_bytes()).context("cannot write")?;
        say!("sender:   wrote {} bytes {message:?}", message.len())?;
    }
    wait_until_buffered(receiver, 14)?;
    let mut buffer = [0u8; 1024];
    let received = receiver.read(&mut buffer).context("cannot read")?;
    let text = String::from_utf8_lossy(&buffer[..received]);
    say!("receiver: read #1 returned {received} bytes {text:?}")?;
    Ok(())
}
// ANCHOR_END: two_writes

// ANCHOR: one_write
fn one_write_many_reads(sender: &mut TcpStream, receiver: &mut TcpStream) -> Result<()> {
    say!("== one write, many reads ==")?;
    let message = vec![b'x'; 50_000];
    sender.write_all(&message).context("cannot write")?;
    say!("sender:   wrote {} bytes", message.len())?;
    wait_until_buffered(receiver, message.len())?;
    let mut buffer = [0u8; 16 * 1024];
    let (mut reads, mut total) = (0, 0);
    while total < message.len() {
        let received = receiver.read(&mut buffer).context("cannot read")?;
        if received == 0 {
            bail!("the connection closed after {total} bytes");
        }
        reads += 1;
        total += received;
        say!("receiver: read #{reads} returned {received} bytes (total {total})")?;
    }
    Ok(())
}
// ANCHOR_END: one_write

/// Waits (at most `TIMEOUT`) until `count` bytes sit in the receive buffer, by
/// peeking without taking them, so that each run shows the same reads.
fn wait_until_buffered(receiver: &TcpStream, count: usize) -> Result<()> {
    let mut peeked = vec![0u8; count];
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let waiting = receiver.peek(&mut peeked).context("cannot peek")?;
        if waiting >= count {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("only {waiting} of {count} bytes arrived within {} s", TIMEOUT.as_secs());
        }
        thread::sleep(Duration::from_millis(1)); // polling, bounded by the deadline
    }
}

// ANCHOR: live
/// 1 MiB in one `write_all` from another thread, read as fast as it comes:
/// how many reads it takes, and how big each one is, differs on every run.
fn live_run(mut sender: TcpStream, receiver: &mut TcpStream) -> Result<()> {
    say!("== live: one write of 1 MiB, read while it arrives ==")?;
    const SIZE: usize = 1024 * 1024;
    let writer = thread::spawn(move || sender.write_all(&vec![b'y'; SIZE]));
    let mut buffer = vec![0u8; 64 * 1024];
    let (mut reads, mut total) = (0, 0);
    while total < SIZE {
        let received = receiver.read(&mut buffer).context("cannot read")?;
        if received == 0 {
            bail!("the connection closed after {total} bytes");
        }
        reads += 1;
        total += received;
        say!("receiver: read #{reads} returned {received} bytes (total {total})")?;
    }
    match writer.join() {
        Ok(written) => written.context("cannot write")?,
        Err(_) => bail!("the sending thread panicked"),
    }
    say!("{SIZE} bytes from 1 write came out of {reads} reads")?;
    Ok(())
}
// ANCHOR_END: live

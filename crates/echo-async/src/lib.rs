//! Rung 4 of the concurrency ladder: one tokio task per connection.
//!
//! A task is a small state machine (a few hundred bytes plus its buffer), not
//! a thread: the runtime runs thousands of them on a handful of threads,
//! switching only when a socket has nothing to read or no room to write. The
//! shape is the same as `echo-threaded` (accept, spawn, serve), the cost per
//! client is far lower, and shutdown becomes one more branch of `select!`.
use std::future::Future;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::timeout;

pub use echo_iterative::{Config, Service};
use echo_iterative::{MAX_FRAME, cli, fnv1a64, is_timeout};

/// Serves every client on its own task until `shutdown` completes, then
/// waits for the connected clients to finish. Returns how many it served.
/// Stops by itself, the same way, with an error when stdout is gone.
pub async fn run(listener: TcpListener, shutdown: impl Future) -> anyhow::Result<u64> {
    run_with(listener, shutdown, Config::default()).await
}

/// [`run`] with explicit settings.
pub async fn run_with(
    listener: TcpListener,
    shutdown: impl Future,
    config: Config,
) -> anyhow::Result<u64> {
    let config = Arc::new(config);
    let mut clients = JoinSet::new();
    let mut served = 0;
    let mut failure = None; // why the server stopped itself, if it did
    tokio::pin!(shutdown);
    // ANCHOR: select
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // ANCHOR: spawn
                    clients.spawn(handle(stream, peer, Arc::clone(&config)));
                    // ANCHOR_END: spawn
                    served += 1;
                }
                Err(error) => {
                    cli::warn(format_args!("error: cannot accept a connection: {error}"));
                    tokio::time::sleep(Duration::from_millis(10)).await; // e.g. out of fds
                }
            },
            // Collect finished tasks so the set does not grow for ever. A
            // task that could not print (stdout is gone) stops the server.
            Some(finished) = clients.join_next(), if !clients.is_empty() => {
                if let Ok(Err(error)) = finished {
                    failure = Some(error);
                    break;
                }
            }
            _ = &mut shutdown => break,
        }
    }
    // ANCHOR_END: select
    // ANCHOR: drain
    drop(listener); // no new clients
    while clients.join_next().await.is_some() {} // but the connected ones finish
    // ANCHOR_END: drain
    match failure {
        Some(error) => Err(error),
        None => Ok(served),
    }
}

/// Serves one connection to the end; a bad client only ends its own task.
/// The one error is the server's own: stdout is gone.
async fn handle(
    mut stream: TcpStream,
    peer: SocketAddr,
    config: Arc<Config>,
) -> anyhow::Result<()> {
    if config.log {
        cli::say(format_args!("Connected by {peer}"))?;
    }
    let idle = config.idle_timeout;
    let result = match stream.set_nodelay(true) {
        Err(error) => Err(error),
        Ok(()) => match config.service {
            Service::Echo => echo(&mut stream, idle).await,
            Service::Checksum => checksum_frames(&mut stream, idle).await,
        },
    };
    match result {
        Ok(_) if config.log => cli::say(format_args!("Closed {peer}"))?,
        Ok(_) => {}
        Err(error) if is_timeout(&error) => {
            cli::warn(format_args!("error: client {peer}: idle for {idle:?}, closing"));
        }
        Err(error) => cli::warn(format_args!("error: client {peer}: {error}")),
    }
    Ok(())
}

// ANCHOR: echo
/// Sends back every byte until the client closes, giving up on a client that
/// stays idle (no data in, or no room out) for `idle`.
async fn echo(stream: &mut TcpStream, idle: Duration) -> io::Result<u64> {
    let mut buffer = vec![0u8; 16 * 1024]; // on the heap: keeps the task small
    let mut total = 0;
    loop {
        let received = within(idle, stream.read(&mut buffer)).await?;
        if received == 0 {
            return Ok(total);
        }
        within(idle, stream.write_all(&buffer[..received])).await?;
        total += received as u64;
    }
}
// ANCHOR_END: echo

/// The benchmark's checksum service (see `echo_iterative::Service::Checksum`).
async fn checksum_frames(stream: &mut TcpStream, idle: Duration) -> io::Result<u64> {
    let mut payload = Vec::new();
    let mut frames = 0;
    loop {
        let mut length = [0u8; 4];
        match within(idle, stream.read_exact(&mut length)).await {
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::UnexpectedEof => return Ok(frames),
            Err(error) => return Err(error),
        }
        let length = u32::from_be_bytes(length) as usize;
        if length > MAX_FRAME {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("frame of {length} bytes is over the {MAX_FRAME}-byte limit"),
            ));
        }
        payload.resize(length, 0);
        within(idle, stream.read_exact(&mut payload)).await?;
        within(idle, stream.write_all(&fnv1a64(&payload).to_be_bytes())).await?;
        frames += 1;
    }
}

/// Runs an I/O future with a time limit; running out is a `TimedOut` error.
async fn within<T>(limit: Duration, io: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    timeout(limit, io).await.unwrap_or_else(|_| Err(ErrorKind::TimedOut.into()))
}

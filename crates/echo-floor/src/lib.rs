//! The floor of the benchmark: what one echo round trip costs when nothing
//! but the kernel is involved.
//!
//! One thread, one `epoll_wait` (kqueue on macOS) loop, no runtime, no
//! tasks, no timers, no logging: per round trip the server makes three
//! system calls (wait, read, write) when a message fits in one read.
//! Every other server in the benchmark is measured against this one.
//! It has none of the comforts of the ladder's rungs (no idle timeout, no
//! graceful shutdown): it exists to be measured, not to be deployed.
use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use anyhow::Context;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

pub use echo_iterative::Shutdown;
use echo_iterative::cli;

const LISTENER: Token = Token(usize::MAX);

/// With epoll and kqueue, a read that returns less than asked for has
/// emptied the socket, and data arriving later raises a new event. (Not
/// assumed on Windows, where mio emulates readiness.)
const SHORT_READ_DRAINS: bool = cfg!(unix);

/// One client: its socket and the bytes read but not yet written back.
#[derive(Debug)]
struct Connection {
    stream: TcpStream,
    pending: Vec<u8>,
}

/// Echoes for every client on one thread until `shutdown` is requested;
/// then it simply closes everything (no draining: this is a baseline).
pub fn run(listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    shutdown.watch(&listener)?;
    listener.set_nonblocking(true).context("cannot make the listener non-blocking")?;
    let mut listener = mio::net::TcpListener::from_std(listener);
    let mut poll = Poll::new().context("cannot create the event queue")?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .context("cannot watch the listener")?;
    let mut events = Events::with_capacity(1024);
    // Connections live in a slab: the token is the index, freed slots are reused.
    let mut connections: Vec<Option<Connection>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut accept_again = false; // an accept failed (out of descriptors?)
    // ANCHOR: event_loop
    loop {
        // After a failed accept, look again in 10 ms: the edge-triggered
        // listener raises no new event for clients that are already waiting.
        let timeout = accept_again.then_some(Duration::from_millis(10));
        if let Err(error) = poll.poll(&mut events, timeout) {
            if error.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(error).context("cannot wait for events");
        }
        if shutdown.is_requested() {
            return Ok(());
        }
        let mut accept = accept_again;
        for event in &events {
            if event.token() == LISTENER {
                accept = true; // after serving: closed clients free descriptors first
                continue;
            }
            let index = event.token().0;
            let Some(connection) = connections.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            if !serve(connection, &mut buffer, event.is_read_closed()) {
                if let Some(mut closed) = connections[index].take() {
                    let _ = poll.registry().deregister(&mut closed.stream);
                }
                free.push(index);
            }
        }
        if accept {
            accept_again = !accept_all(&listener, &poll, &mut connections, &mut free);
        }
    }
    // ANCHOR_END: event_loop
}

/// Accepts every waiting client (the listener is edge-triggered); `false`
/// when an error (e.g. out of descriptors) left some of them waiting.
fn accept_all(
    listener: &mio::net::TcpListener,
    poll: &Poll,
    connections: &mut Vec<Option<Connection>>,
    free: &mut Vec<usize>,
) -> bool {
    loop {
        let mut stream = match listener.accept() {
            Ok((stream, _peer)) => stream,
            Err(error) if error.kind() == ErrorKind::WouldBlock => return true,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => {
                cli::warn(format_args!("error: cannot accept a connection: {error}"));
                return false;
            }
        };
        let _ = stream.set_nodelay(true);
        let index = free.pop().unwrap_or(connections.len());
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(error) = poll.registry().register(&mut stream, Token(index), interest) {
            cli::warn(format_args!("error: cannot watch a new connection: {error}"));
            free.push(index);
            continue;
        }
        let connection = Some(Connection { stream, pending: Vec::new() });
        if index == connections.len() {
            connections.push(connection);
        } else {
            connections[index] = connection;
        }
    }
}

// ANCHOR: serve
/// Moves bytes until the socket would block; `false` when the client is gone.
/// `read_closed`: the event says the client has sent its FIN.
fn serve(connection: &mut Connection, buffer: &mut [u8], read_closed: bool) -> bool {
    // First finish what an earlier full send buffer left behind.
    if !flush(&mut connection.stream, &mut connection.pending) {
        return false;
    }
    if !connection.pending.is_empty() {
        return true; // still full: read nothing more until it drains
    }
    loop {
        match connection.stream.read(buffer) {
            Ok(0) => return false,
            Ok(received) => {
                connection.pending.extend_from_slice(&buffer[..received]);
                if !flush(&mut connection.stream, &mut connection.pending) {
                    return false;
                }
                if !connection.pending.is_empty() {
                    return true; // wait for a WRITABLE event
                }
                if SHORT_READ_DRAINS && !read_closed && received < buffer.len() {
                    // A short read emptied the receive queue: skip the read
                    // that would only say WouldBlock (tokio does the same).
                    // Not after a FIN: that read must see the end of stream.
                    return true;
                }
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => return true,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}
// ANCHOR_END: serve

/// Writes as much of `pending` as the socket takes; `false` on a write error.
fn flush(stream: &mut TcpStream, pending: &mut Vec<u8>) -> bool {
    let mut written = 0;
    let result = loop {
        if written == pending.len() {
            break true;
        }
        match stream.write(&pending[written..]) {
            Ok(0) => break false,
            Ok(count) => written += count,
            Err(error) if error.kind() == ErrorKind::WouldBlock => break true,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(_) => break false,
        }
    };
    pending.drain(..written);
    result
}

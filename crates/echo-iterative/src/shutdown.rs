//! Stopping a blocking accept loop.
//!
//! `accept()` blocks until a client arrives, so setting a flag is not enough:
//! [`Shutdown::request`] sets the flag and then connects to the listener
//! itself, which wakes `accept()`; the loop sees the flag and stops.
//! [`Shutdown::fail`] does the same when the server cannot go on (its stdout
//! is gone), and the server's `run` then returns that error.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

// ANCHOR: shutdown
/// A shared "please stop" flag; clones refer to the same flag.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requested: AtomicBool,
    wake: Mutex<Wake>, // how to reach the listener's accept() (see `watch`)
    failure: Mutex<Option<anyhow::Error>>, // why the server stopped itself, if it did
}

impl Shutdown {
    /// A flag nobody has raised yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether [`request`](Self::request) has been called.
    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// Asks the server to stop accepting, and wakes its `accept()`.
    pub fn request(&self) {
        self.inner.requested.store(true, Ordering::SeqCst);
        self.wake(); // connects to the listener: its accept() returns
    }
    // ANCHOR_END: shutdown

    /// Stops the server because it cannot go on (its stdout is gone): like
    /// [`request`](Self::request), and then [`outcome`](Self::outcome) is
    /// `error`. The first reason wins.
    pub fn fail(&self, error: anyhow::Error) {
        self.inner.failure.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(error);
        self.request();
    }

    /// How the server ended: the error given to [`fail`](Self::fail) (taken
    /// out, so it is reported once), or `Ok` after a plain request.
    pub fn outcome(&self) -> anyhow::Result<()> {
        match self.inner.failure.lock().unwrap_or_else(PoisonError::into_inner).take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Remembers where to connect to wake `listener`'s accept loop.
    pub fn watch(&self, listener: &TcpListener) -> std::io::Result<()> {
        let mut address = listener.local_addr()?;
        if address.ip().is_unspecified() {
            // 0.0.0.0 or [::] cannot be connected to; loopback reaches the same socket
            address.set_ip(match address.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let socket = new_socket(address).ok(); // if not now, `wake` tries again
        *self.inner.wake.lock().unwrap_or_else(PoisonError::into_inner) =
            Wake { address: Some(address), socket };
        if self.is_requested() {
            self.wake(); // asked to stop before we were watching: wake the coming accept()
        }
        Ok(())
    }

    /// Connects to the watched listener, which makes its `accept()` return.
    /// Fails harmlessly if the listener is already gone.
    fn wake(&self) {
        let mut wake = self.inner.wake.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(address) = wake.address else {
            return; // not watching yet: `watch` will wake
        };
        // The socket made in advance the first time, a new one after that.
        if let Some(socket) = wake.socket.take().or_else(|| new_socket(address).ok()) {
            let _ = socket.connect_timeout(&address.into(), Duration::from_secs(1));
        }
    }
}

/// Where to connect to wake the accept loop, and the socket to do it with,
/// made in advance: a server whose clients hold every file descriptor could
/// not create it when Ctrl-C comes, and on macOS its `accept()` waits for a
/// client even then. (Linux fails that `accept()` at once, with EMFILE, and
/// the loop checks the flag after every failed `accept()` too.)
#[derive(Debug, Default)]
struct Wake {
    address: Option<SocketAddr>,
    socket: Option<Socket>,
}

fn new_socket(address: SocketAddr) -> std::io::Result<Socket> {
    Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP))
}

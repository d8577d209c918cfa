//! Stopping a blocking accept loop.
//!
//! `accept()` blocks until a client arrives, so setting a flag is not enough:
//! [`Shutdown::request`] sets the flag and then connects to the listener
//! itself, which wakes `accept()`; the loop sees the flag and stops.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

// ANCHOR: shutdown
/// A shared "please stop" flag; clones refer to the same flag.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requested: AtomicBool,
    wake_address: OnceLock<SocketAddr>,
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
        if let Some(address) = self.inner.wake_address.get() {
            // Fails harmlessly if the listener is already gone.
            let _ = TcpStream::connect_timeout(address, Duration::from_secs(1));
        }
    }
    // ANCHOR_END: shutdown

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
        let _ = self.inner.wake_address.set(address);
        if self.is_requested() {
            // asked to stop before we were watching: wake the coming accept()
            let _ = TcpStream::connect_timeout(&address, Duration::from_secs(1));
        }
        Ok(())
    }
}

//! Rung 1 of the concurrency ladder: an echo server that serves one client
//! at a time, exactly like the tutorial's server.
//!
//! A client that stays connected keeps every other client waiting in the
//! listen backlog; the next rungs (`echo-threaded`, `echo-pool`,
//! `echo-async`) each remove that limit in a different way.
//!
//! This crate also holds what the synchronous rungs share, so that each rung
//! differs from the previous one only in *how* it runs connections:
//! - [`cli`]: the command line and the listening socket,
//! - [`Shutdown`]: how a test or a Ctrl-C handler stops the accept loop,
//! - [`Config`] and [`handle`]: what a server does with one connection
//!   (echo, or the checksum service used by the benchmark).

pub mod cli;
mod service;
mod shutdown;

use std::net::TcpListener;

pub use service::{Config, MAX_FRAME, Service, checksum_frames, echo, fnv1a64, handle, is_timeout};
pub use shutdown::Shutdown;

/// Serves clients one after another until `shutdown` is requested.
pub fn run(listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    run_with(listener, shutdown, &Config::default())
}

/// [`run`] with explicit settings (tests use a short idle timeout).
pub fn run_with(listener: TcpListener, shutdown: Shutdown, config: &Config) -> anyhow::Result<()> {
    shutdown.watch(&listener)?;
    // ANCHOR: accept_loop
    loop {
        let accepted = listener.accept();
        if shutdown.is_requested() {
            break; // this connection was the wake-up call, or came too late
        }
        let (stream, peer) = match accepted {
            Ok(connection) => connection,
            Err(error) => {
                cli::accept_failed(&error); // e.g. out of file descriptors
                continue;
            }
        };
        // The whole conversation happens here: nobody else is accepted
        // until this client closes (or stays silent past the idle timeout).
        handle(stream, peer, config)?; // an error: stdout is gone, stop
    }
    // ANCHOR_END: accept_loop
    shutdown.outcome() // an error if someone stopped the server with `fail`
}

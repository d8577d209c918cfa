//! Rung 2 of the concurrency ladder: a new thread for every connection.
//!
//! The accept loop no longer talks to clients: it hands each connection to a
//! fresh thread and goes straight back to `accept()`, so a slow client only
//! holds its own thread. The price: one thread (stack, scheduler entry) per
//! client, and nothing stops a flood of clients from creating thousands of
//! them; `echo-pool` puts a bound on that.
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;

pub use echo_iterative::{Config, Shutdown};
use echo_iterative::{cli, handle};

/// Serves every client on its own thread until `shutdown` is requested,
/// then waits for the connected clients to finish. Stops by itself, with an
/// error, when stdout is gone (nobody can see its log any more).
pub fn run(listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    run_with(listener, shutdown, Config::default())
}

/// [`run`] with explicit settings.
pub fn run_with(listener: TcpListener, shutdown: Shutdown, config: Config) -> anyhow::Result<()> {
    shutdown.watch(&listener)?;
    let config = Arc::new(config);
    let mut clients = Vec::new();
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
        // ANCHOR: spawn
        let (config, stopper) = (Arc::clone(&config), shutdown.clone());
        let spawned = thread::Builder::new().name(format!("client {peer}")).spawn(move || {
            if let Err(error) = handle(stream, peer, &config) {
                stopper.fail(error); // stdout is gone: stop the whole server
            }
        });
        match spawned {
            Ok(client) => clients.push(client),
            // Out of threads: this client's stream was dropped (closed); go on.
            Err(error) => {
                cli::warn(format_args!("error: cannot start a thread for {peer}: {error}"))
            }
        }
        // ANCHOR_END: spawn
        clients.retain(|client| !client.is_finished()); // forget finished threads
    }
    // ANCHOR_END: accept_loop
    // ANCHOR: shutdown
    drop(listener); // refuse newcomers while the others finish
    for client in clients {
        let _ = client.join();
    }
    // ANCHOR_END: shutdown
    shutdown.outcome() // an error if the server stopped itself
}

//! Rung 3 of the concurrency ladder: a fixed pool of worker threads fed by a
//! bounded queue.
//!
//! `echo-threaded` starts a thread for every client, so a flood of clients
//! means a flood of threads. Here the accept loop only *queues* connections;
//! a fixed number of workers take them from the queue. Both numbers are
//! fixed, so memory stays bounded however many clients arrive: when every
//! worker is busy and the queue is full, a new connection is refused on the
//! spot (closed at once, counted, logged) instead of waiting for ever.
//!
//! Each worker serves one connection at a time with blocking calls, so the
//! pool size is also the number of clients served *at once*. The default
//! ([`PoolConfig::default`]) is 128 workers, enough for 100 long-lived
//! clients without refusing any; their stacks are small (256 KiB) because a
//! worker only needs a 16 KiB buffer. The idle timeout returns a worker to the
//! pool when its client goes silent.
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use anyhow::{Context, bail};
pub use echo_iterative::{Config, Shutdown};
use echo_iterative::{cli, handle};

/// How big the pool and its queue are.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Worker threads, i.e. clients served at the same time.
    pub workers: usize,
    /// Accepted connections waiting for a worker; beyond that, refuse.
    pub queue: usize,
    /// Settings for each connection (idle timeout, service, logging).
    pub connection: Config,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self { workers: 128, queue: 128, connection: Config::default() }
    }
}

/// What happened while the server ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections handed to a worker.
    pub served: u64,
    /// Connections closed at once because the queue was full.
    pub refused: u64,
}

const WORKER_STACK: usize = 256 * 1024;

type Job = (TcpStream, SocketAddr);

/// Serves clients with the default pool until `shutdown` is requested, then
/// lets the workers finish every connection already accepted. Stops by
/// itself, the same way, with an error when stdout is gone.
pub fn run(listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<Stats> {
    run_with(listener, shutdown, PoolConfig::default())
}

/// [`run`] with an explicit pool size.
pub fn run_with(
    listener: TcpListener,
    shutdown: Shutdown,
    config: PoolConfig,
) -> anyhow::Result<Stats> {
    if config.workers == 0 {
        bail!("a pool needs at least one worker");
    }
    shutdown.watch(&listener)?;
    // ANCHOR: pool_queue
    // A bounded queue: `try_send` fails instead of growing when it is full.
    let (queue, jobs) = sync_channel::<Job>(config.queue);
    let jobs = Arc::new(Mutex::new(jobs)); // the workers take turns receiving
    let connection = Arc::new(config.connection);
    let served = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::with_capacity(config.workers);
    for number in 0..config.workers {
        let (jobs, connection, served, shutdown) =
            (Arc::clone(&jobs), Arc::clone(&connection), Arc::clone(&served), shutdown.clone());
        let worker = thread::Builder::new()
            .name(format!("worker {number}"))
            .stack_size(WORKER_STACK)
            .spawn(move || work(&jobs, &connection, &served, &shutdown))
            .with_context(|| format!("cannot start worker thread {number}"))?;
        workers.push(worker);
    }
    // ANCHOR_END: pool_queue
    let mut refused = 0;
    // ANCHOR: pool_accept
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
        match queue.try_send((stream, peer)) {
            Ok(()) => {}
            Err(TrySendError::Full((stream, peer))) => {
                drop(stream); // refuse: close at once rather than queue without bound
                refused += 1;
                if connection.log {
                    let line =
                        format!("Refused {peer}: all workers busy, queue full ({refused} refused)");
                    if let Err(error) = cli::say(line) {
                        shutdown.fail(error); // stdout is gone: stop
                        break;
                    }
                }
            }
            Err(TrySendError::Disconnected(_)) => bail!("every worker thread has stopped"),
        }
    }
    // ANCHOR_END: pool_accept
    // ANCHOR: shutdown
    drop(listener); // new clients are now refused by the kernel
    drop(queue); // workers drain what is queued, then `recv` fails and they return
    for worker in workers {
        let _ = worker.join();
    }
    // ANCHOR_END: shutdown
    shutdown.outcome()?; // an error if the server stopped itself
    Ok(Stats { served: served.load(Ordering::SeqCst), refused })
}

// ANCHOR: worker
/// A worker's life: take the next connection, serve it to the end, repeat.
fn work(jobs: &Mutex<Receiver<Job>>, connection: &Config, served: &AtomicU64, shutdown: &Shutdown) {
    loop {
        // Hold the lock only while receiving, never while serving.
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok((stream, peer)) = job else {
            return; // the queue is closed and empty: shutting down
        };
        served.fetch_add(1, Ordering::SeqCst);
        if let Err(error) = handle(stream, peer, connection) {
            shutdown.fail(error); // stdout is gone: stop the server, finish the queue
        }
    }
}
// ANCHOR_END: worker

//! Exercise bounded-pool: an echo server that serves at most 4 clients at
//! once; the fifth waits until one of them leaves.
//! Reference solution.
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use anyhow::{Context, Result, bail};

/// How many clients are served at once.
const WORKERS: usize = 4;

type Job = (TcpStream, SocketAddr);

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7003".into());
    let listener = TcpListener::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", listener.local_addr()?);
    // 4 workers, and a channel: a connection no worker is free for waits in it.
    let (queue, jobs) = channel::<Job>();
    let jobs = Arc::new(Mutex::new(jobs)); // the workers take turns receiving
    for number in 0..WORKERS {
        let jobs = Arc::clone(&jobs);
        thread::Builder::new()
            .spawn(move || work(&jobs))
            .with_context(|| format!("cannot start worker thread {number}"))?;
    }
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("error: cannot accept a connection: {error}");
                continue;
            }
        };
        println!("Connected by {peer}");
        if queue.send((stream, peer)).is_err() {
            bail!("every worker thread has stopped");
        }
    }
}

/// A worker's life: take the next connection, serve it to the end, repeat.
fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // Hold the lock only while receiving, never while serving.
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok((stream, peer)) = job else {
            return; // the channel is closed: nothing more to do
        };
        serve(stream, peer);
    }
}

/// Serves one client to the end, then closes its connection.
fn serve(mut stream: TcpStream, peer: SocketAddr) {
    match echo(&mut stream) {
        Ok(()) => println!("Closed {peer}"),
        Err(error) => eprintln!("error: client {peer}: {error}"),
    }
}

/// Sends back every byte the client sends, until it closes its side.
fn echo(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut buffer = [0u8; 1024];
    loop {
        let received = match stream.read(&mut buffer) {
            Ok(0) => return Ok(()), // the client closed its side
            Ok(received) => received,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        stream.write_all(&buffer[..received])?;
    }
}

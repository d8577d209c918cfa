//! The default pool, alone in its test binary (its own process): 100 clients
//! connected at once are 200 open descriptors (both ends) in one process,
//! and macOS's default limit is 256, too few to share with the other tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::net::{TcpListener, TcpStream};
use std::thread;

use echo_pool::{Config, PoolConfig, Shutdown, Stats, run_with};
use testkit::{connect, round_trip};

#[test]
fn defaults_serve_100_long_lived_clients_without_refusing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let stopper = shutdown.clone();
    let config = PoolConfig {
        connection: Config { log: false, ..Config::default() },
        ..PoolConfig::default()
    };
    let server = thread::spawn(move || run_with(listener, stopper, config));
    let mut clients: Vec<TcpStream> = (0..100).map(|_| connect(address)).collect();
    for (number, client) in clients.iter_mut().enumerate() {
        round_trip(client, format!("hello {number}").as_bytes());
    }
    // All 100 are still connected, and all are still served.
    for (number, client) in clients.iter_mut().enumerate() {
        round_trip(client, format!("again {number}").as_bytes());
    }
    drop(clients);
    shutdown.request();
    assert_eq!(server.join().unwrap().unwrap(), Stats { served: 100, refused: 0 });
}

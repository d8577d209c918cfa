//! Exercise udp-counter: answer each sender with how many datagrams it has sent so far.
//! Check your work with `cargo lab check udp-counter`; stuck? `cargo lab hint udp-counter`.
use std::net::UdpSocket;

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:5678".into());
    let socket = UdpSocket::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", socket.local_addr()?);
    let mut datagram = vec![0u8; 65_535]; // room for any datagram, on every OS
    // TODO: one count per sender (IP address and port), not one for all datagrams together.
    let mut count: u64 = 0;
    loop {
        let (received, peer) = match socket.recv_from(&mut datagram) {
            Ok(received) => received,
            Err(error) => {
                // e.g. Windows: an earlier reply found nobody there (os error 10054)
                eprintln!("error: cannot receive a datagram: {error}");
                continue;
            }
        };
        let text = String::from_utf8_lossy(&datagram[..received.min(1024)]);
        println!("Received from {peer}: {}", text.replace(char::is_control, "\u{FFFD}"));
        count += 1;
        if let Err(error) = socket.send_to(format!("#{count}").as_bytes(), peer) {
            eprintln!("error: cannot reply to {peer}: {error}");
        }
    }
}

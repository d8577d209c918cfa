//! Exercise udp-echo: answer every datagram with its own bytes, for ever.
//! Check your work with `cargo lab check udp-echo`; stuck? `cargo lab hint udp-echo`.
use std::net::UdpSocket;

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:5678".into());
    let socket = UdpSocket::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", socket.local_addr()?);
    let mut datagram = vec![0u8; 65_535]; // room for any datagram, on every OS
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
        // TODO: answer with exactly the bytes of this datagram, not a fixed greeting.
        if let Err(error) = socket.send_to(b"Hello, UDP!", peer) {
            eprintln!("error: cannot reply to {peer}: {error}");
        }
    }
}

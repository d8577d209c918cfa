//! Exercise udp-counter: answer each sender with how many datagrams it has sent so far.
//! Reference solution.
use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:5678".into());
    let socket = UdpSocket::bind(&address).with_context(|| format!("cannot bind {address}"))?;
    println!("Listening on {}", socket.local_addr()?);
    let mut datagram = vec![0u8; 65_535]; // room for any datagram, on every OS
    // One count per sender: the key is the whole address, IP and port.
    let mut counts: HashMap<SocketAddr, u64> = HashMap::new();
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
        let count = counts.entry(peer).or_insert(0);
        *count += 1;
        if let Err(error) = socket.send_to(format!("#{count}").as_bytes(), peer) {
            eprintln!("error: cannot reply to {peer}: {error}");
        }
    }
}

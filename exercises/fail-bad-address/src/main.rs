//! Exercise fail-bad-address: a wrong address or a port in use ends the server
//! with one `error: …` line and exit code 1, not a panic.
//! Check your work with `cargo lab check fail-bad-address`; stuck? `cargo lab hint fail-bad-address`.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:12345".into());
    // TODO: `unwrap` panics (exit code 101) on a wrong address such as `abc`,
    // `127.0.0.1:99999` or `127.0.0.1`. Print one `error: …` line instead that
    // names the address and shows the right form (IP:PORT), and exit with code 1.
    let address: SocketAddr = arg.parse().unwrap();
    // TODO: the same when the port is already in use: one `error: …` line, exit code 1.
    let listener = TcpListener::bind(address).unwrap();
    println!("Listening on {}", listener.local_addr().unwrap());
    loop {
        let (mut stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("error: cannot accept a connection: {error}");
                continue;
            }
        };
        println!("Connected by {peer}");
        let mut request = [0u8; 1024];
        let received = match stream.read(&mut request) {
            Ok(received) => received,
            Err(error) => {
                eprintln!("error: client {peer}: cannot read the request: {error}");
                continue;
            }
        };
        println!("Received: {}", String::from_utf8_lossy(&request[..received]));
        if let Err(error) = stream.write_all(b"Hello, Client!") {
            eprintln!("error: client {peer}: cannot send the reply: {error}");
        }
    }
}

//! The command line: one process doing both halves (the demonstration), or
//! one half per process (the benchmark).
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::wire::{HEADER_LEN, MAX_SIZE};

pub const USAGE: &str = "\
usage: udp-blast [--count N] [--size BYTES] [--rcvbuf BYTES] [--rate PER_SECOND] [ADDRESS]
       udp-blast receive [--rcvbuf BYTES] [--count N] [--idle-ms MS] [--gro] [ADDRESS]
       udp-blast send [--count N | --seconds S] [--size BYTES] [--rate PER_SECOND] [--gso] [ADDRESS]
Without a role: a receiver thread on ADDRESS (default 127.0.0.1:0) and a sender in one process;
the sender sends N numbered datagrams (default 100000) of BYTES bytes each (default 1472, the most
an Ethernet link carries unfragmented) as fast as it can (or PER_SECOND), then prints what was
sent, received, lost, reordered and duplicated, the receive buffer the OS granted (SO_RCVBUF,
asked for with --rcvbuf) and the OS's own count of datagrams dropped for a full buffer.
receive: print `Listening on ADDRESS` (default 127.0.0.1:7200), count until the sender's end
marker, N datagrams or MS milliseconds of silence (default 1000), report the goodput.
send: send to ADDRESS (default 127.0.0.1:7200) N datagrams or for S seconds, then the end marker.
--gso: the sender hands the OS runs of datagrams in one call (UDP GSO); --gro: the receiver
takes coalesced runs and several buffers per call (UDP GRO, recvmmsg). Where the OS has no
such calls, both say so and go on one datagram per call.
Each prints a summary, then one JSON line.";

/// Which half (or both) this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Receiver thread and sender in one process.
    Both,
    /// Only the receiver.
    Receive,
    /// Only the sender.
    Send,
}

/// Everything the command line says.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub role: Role,
    pub address: SocketAddr,
    pub count: Option<u64>,
    pub duration: Option<Duration>,
    pub size: usize,
    pub rcvbuf: Option<usize>,
    pub rate: Option<f64>,
    pub idle: Duration,
    /// `--gso`: send runs of datagrams in one system call ([`crate::offload`]).
    pub gso: bool,
    /// `--gro`: receive coalesced runs, several buffers per system call.
    pub gro: bool,
}

/// The default number of datagrams of the demonstration and the sender.
pub const DEFAULT_COUNT: u64 = 100_000;

/// Parses the arguments after the program name; `None` means `--help`.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>> {
    let mut args = args.into_iter().peekable();
    let role = match args.peek().map(String::as_str) {
        Some("send") => Role::Send,
        Some("receive") => Role::Receive,
        _ => Role::Both,
    };
    if role != Role::Both {
        args.next();
    }
    let mut options = Options {
        role,
        address: SocketAddr::from(([127, 0, 0, 1], if role == Role::Both { 0 } else { 7200 })),
        count: None,
        duration: None,
        size: crate::wire::ETHERNET_PAYLOAD,
        rcvbuf: None,
        rate: None,
        idle: Duration::from_secs(1),
        gso: false,
        gro: false,
    };
    let mut address = None;
    let (mut sender_only, mut receiver_only) = (None, None);
    while let Some(arg) = args.next() {
        let mut value =
            |name: &str| args.next().with_context(|| format!("{name} needs a value (try --help)"));
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--count" | "-n" => options.count = Some(number(&value(&arg)?, &arg, 1, u64::MAX)?),
            "--size" | "-s" => {
                options.size = number(&value(&arg)?, &arg, HEADER_LEN, MAX_SIZE)?;
                sender_only = Some("--size");
            }
            "--seconds" => {
                let seconds: f64 = number(&value(&arg)?, &arg, 0.001, 3600.0)?;
                options.duration = Some(Duration::from_secs_f64(seconds));
                sender_only = Some("--seconds");
            }
            "--rate" => {
                options.rate = Some(number(&value(&arg)?, &arg, 1.0, 1e9)?);
                sender_only = Some("--rate");
            }
            "--rcvbuf" => {
                options.rcvbuf = Some(number(&value(&arg)?, &arg, 1, 1 << 30)?);
                receiver_only = Some("--rcvbuf");
            }
            "--gso" => {
                options.gso = true;
                sender_only = Some("--gso");
            }
            "--gro" => {
                options.gro = true;
                receiver_only = Some("--gro");
            }
            "--idle-ms" => {
                options.idle = Duration::from_millis(number(&value(&arg)?, &arg, 1, 600_000)?);
                receiver_only = Some("--idle-ms");
            }
            flag if flag.starts_with('-') => bail!("unknown option {flag:?} (try --help)"),
            _ if address.is_some() => bail!("unexpected argument {arg:?} (try --help)"),
            _ => address = Some(arg),
        }
    }
    match (role, sender_only, receiver_only) {
        (Role::Receive, Some(flag), _) => bail!("{flag} is for the sender (udp-blast send)"),
        (Role::Send, _, Some(flag)) => bail!("{flag} is for the receiver (udp-blast receive)"),
        (Role::Both, Some("--seconds"), _) => {
            bail!("--seconds is for `udp-blast send`; the demonstration sends --count datagrams")
        }
        (Role::Both, _, Some("--idle-ms")) => {
            bail!("--idle-ms is for `udp-blast receive`; the demonstration stops by itself")
        }
        (Role::Both, Some("--gso"), _) | (Role::Both, _, Some("--gro")) => {
            bail!(
                "--gso and --gro are for `udp-blast send` and `udp-blast receive`, one per process"
            )
        }
        _ => {}
    }
    if role != Role::Receive && options.count.is_none() && options.duration.is_none() {
        options.count = Some(DEFAULT_COUNT);
    }
    if let Some(arg) = address {
        options.address = arg.parse().with_context(|| {
            format!("invalid address {arg:?} (expected IP:PORT, e.g. 127.0.0.1:7200 or [::1]:7200)")
        })?;
    }
    if role == Role::Send && options.address.port() == 0 {
        bail!("cannot send to port 0 (give the address `udp-blast receive` printed)");
    }
    Ok(Some(options))
}

fn number<T>(text: &str, name: &str, low: T, high: T) -> Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let value: T =
        text.parse().ok().with_context(|| format!("{name} expects a number, got {text:?}"))?;
    // `!(low <= value)` and not `value < low`: a NaN is in no range.
    if !(low <= value && value <= high) {
        bail!("{name} must be between {low} and {high}, got {text}");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse_ok(args: &[&str]) -> Options {
        parse(args.iter().map(|arg| arg.to_string())).unwrap().unwrap()
    }

    fn parse_err(args: &[&str]) -> String {
        format!("{:#}", parse(args.iter().map(|arg| arg.to_string())).unwrap_err())
    }

    #[test]
    fn defaults() {
        let both = parse_ok(&[]);
        assert_eq!(both.role, Role::Both);
        assert_eq!(both.address.to_string(), "127.0.0.1:0");
        assert_eq!((both.count, both.size, both.rcvbuf), (Some(100_000), 1472, None));
        let receive = parse_ok(&["receive"]);
        assert_eq!((receive.address.port(), receive.count), (7200, None));
        let send = parse_ok(&["send", "--seconds", "2", "127.0.0.1:9"]);
        assert_eq!((send.count, send.duration), (None, Some(Duration::from_secs(2))));
        assert_eq!(parse(["--help".to_string()]).unwrap(), None);
    }

    #[test]
    fn every_option() {
        let options = parse_ok(&[
            "--count", "5", "--size", "12", "--rcvbuf", "4096", "--rate", "10.5", "[::1]:0",
        ]);
        assert_eq!(options.count, Some(5));
        assert_eq!((options.size, options.rcvbuf, options.rate), (12, Some(4096), Some(10.5)));
        assert!(options.address.is_ipv6());
        let receive = parse_ok(&["receive", "--idle-ms", "250", "-n", "3"]);
        assert_eq!((receive.idle, receive.count), (Duration::from_millis(250), Some(3)));
        assert!(!receive.gro && !receive.gso, "no batching unless asked for");
        assert!(parse_ok(&["send", "--gso", "127.0.0.1:9"]).gso);
        assert!(parse_ok(&["receive", "--gro"]).gro);
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        assert!(parse_err(&["--size", "11"]).contains("--size must be between 12 and 65507"));
        assert!(parse_err(&["--size", "70000"]).contains("between 12 and 65507"));
        assert!(parse_err(&["--count", "0"]).contains("--count must be between 1"));
        assert!(parse_err(&["--count", "many"]).contains("expects a number, got \"many\""));
        assert!(parse_err(&["--rate", "NaN"]).contains("--rate must be between"));
        assert!(parse_err(&["--rcvbuf"]).contains("--rcvbuf needs a value"));
        assert!(parse_err(&["--bogus"]).contains("unknown option \"--bogus\""));
        assert!(parse_err(&["a:1", "b:2"]).contains("unexpected argument \"b:2\""));
        assert!(parse_err(&["localhost"]).contains("invalid address \"localhost\""));
        assert!(parse_err(&["receive", "--size", "100"]).contains("--size is for the sender"));
        assert!(parse_err(&["send", "--rcvbuf", "1"]).contains("--rcvbuf is for the receiver"));
        assert!(parse_err(&["receive", "--gso"]).contains("--gso is for the sender"));
        assert!(parse_err(&["send", "--gro"]).contains("--gro is for the receiver"));
        assert!(parse_err(&["--gso"]).contains("--gso and --gro are for `udp-blast send`"));
        assert!(parse_err(&["--gro"]).contains("--gso and --gro are for `udp-blast send`"));
        assert!(parse_err(&["--seconds", "1"]).contains("--seconds is for `udp-blast send`"));
        assert!(parse_err(&["send", "127.0.0.1:0"]).contains("cannot send to port 0"));
    }
}

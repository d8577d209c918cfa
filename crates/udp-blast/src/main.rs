//! `udp-blast`: send numbered datagrams as fast as possible and count what arrives.
use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use udp_blast::blast::{self, Patience, Plan, Received, Sent, Stop};
use udp_blast::cli::{self, Options, Role};
use udp_blast::offload::{self, Offload};
use udp_blast::os_counters::{self, Reading};
use udp_blast::{Json, json_line, megabytes_per_second, percent};

const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let Some(options) = cli::parse(std::env::args().skip(1))? else {
        return print(cli::USAGE);
    };
    match options.role {
        Role::Both => demonstrate(&options),
        Role::Receive => receive(&options),
        Role::Send => send(&options),
    }
}

/// Writes `text` and a newline to stdout; a closed stdout is an error, not a panic.
fn print(text: &str) -> Result<()> {
    writeln!(io::stdout(), "{text}").context(STDOUT)
}

fn plan(options: &Options) -> Plan {
    Plan {
        count: options.count,
        duration: options.duration,
        size: options.size,
        rate: options.rate,
    }
}

// ANCHOR: demonstrate
/// Both halves in one process: a receiver thread counts while this thread sends.
fn demonstrate(options: &Options) -> Result<()> {
    let (receiver, granted) = blast::bind_receiver(options.address, options.rcvbuf)?;
    let address = receiver.local_addr().context("cannot read the receiver's address")?;
    let sender = connect_sender(address)?;
    let drops_before = os_counters::system_drops(address);
    let finished = AtomicBool::new(false);
    let (sent, received) = thread::scope(|scope| {
        let counting = scope.spawn(|| {
            let patience = Patience { first: Some(Duration::from_secs(10)), idle: options.idle };
            let received = blast::receive(&receiver, None, patience);
            finished.store(true, Ordering::Release);
            received
        });
        let sent = blast::send(&sender, &plan(options));
        let count = sent.as_ref().map_or(0, |sent| sent.datagrams);
        blast::send_end(&sender, count, || finished.load(Ordering::Acquire));
        (sent, counting.join())
    });
    let sent = sent.map_err(|error| send_error(error, address))?;
    let received = received
        .map_err(|_| anyhow!("the receiving thread panicked"))?
        .context("cannot receive")?;
    let socket_drops = os_counters::socket_drops(address);
    let drops_after = os_counters::system_drops(address);
    // ANCHOR_END: demonstrate
    let mut report =
        vec![format!("receiver {address}: SO_RCVBUF {}", rcvbuf_note(options.rcvbuf, granted))];
    report.push(sent_line(&sent, options.size));
    report.extend(received_lines(&received, Some(sent.datagrams)));
    report.extend(drop_lines(&drops_before, &drops_after, socket_drops));
    report.push(json_line(&[
        ("role", Json::Text("both")),
        ("size", Json::Int(options.size as u64)),
        ("sent", Json::Int(sent.datagrams)),
        ("received", Json::Int(received.tally.distinct)),
        ("lost", Json::Int(received.tally.lost(sent.datagrams))),
        ("reordered", Json::Int(received.tally.reordered)),
        ("duplicated", Json::Int(received.tally.duplicated)),
        ("foreign", Json::Int(received.tally.foreign)),
        ("rcvbuf", Json::Int(granted as u64)),
        ("send_seconds", Json::Float(sent.elapsed.as_secs_f64())),
        ("receive_seconds", Json::Float(received.elapsed.as_secs_f64())),
        ("goodput", received.goodput().map_or(Json::Null, Json::Float)),
        ("os_drops", drop_delta(&drops_before, &drops_after).into()),
        ("socket_drops", socket_drops.into()),
    ]));
    print(&report.join("\n"))
}

/// The receiving half alone.
fn receive(options: &Options) -> Result<()> {
    let (socket, granted) = blast::bind_receiver(options.address, options.rcvbuf)?;
    let address = socket.local_addr().context("cannot read the receiver's address")?;
    print(&format!("Listening on {address}"))?;
    print(&format!("SO_RCVBUF {}", rcvbuf_note(options.rcvbuf, granted)))?;
    let gro = if options.gro {
        let (state, offload) = Offload::probe(&socket)
            .context("cannot prepare the socket for GRO (quinn-udp); try without --gro")?;
        print(&offload.receive_note())?;
        Some((state, offload))
    } else {
        None
    };
    let drops_before = os_counters::system_drops(address);
    let patience = Patience { first: None, idle: options.idle };
    let received = match &gro {
        Some((state, offload)) => {
            offload::receive(&socket, state, offload, options.count, patience)
        }
        None => blast::receive(&socket, options.count, patience),
    }
    .context("cannot receive")?;
    let socket_drops = os_counters::socket_drops(address);
    let drops_after = os_counters::system_drops(address);
    let mut report = received_lines(&received, received.sent);
    if gro.is_some() {
        report
            .push(calls_line(received.calls, received.tally.distinct + received.tally.duplicated));
    }
    report.extend(drop_lines(&drops_before, &drops_after, socket_drops));
    let stop = match received.stop {
        Some(Stop::End) => "end",
        Some(Stop::Count) => "count",
        Some(Stop::Idle) => "idle",
        Some(Stop::Nothing) | None => "nothing",
    };
    report.push(json_line(&[
        ("role", Json::Text("receive")),
        ("stop", Json::Text(stop)),
        ("sent", received.sent.into()),
        ("received", Json::Int(received.tally.distinct)),
        ("bytes", Json::Int(received.tally.bytes)),
        ("lost", received.sent.map(|sent| received.tally.lost(sent)).into()),
        ("lost_at_least", Json::Int(received.tally.lost_at_least())),
        ("reordered", Json::Int(received.tally.reordered)),
        ("duplicated", Json::Int(received.tally.duplicated)),
        ("foreign", Json::Int(received.tally.foreign)),
        ("rcvbuf", Json::Int(granted as u64)),
        ("seconds", Json::Float(received.elapsed.as_secs_f64())),
        ("goodput", received.goodput().map_or(Json::Null, Json::Float)),
        ("os_drops", drop_delta(&drops_before, &drops_after).into()),
        ("socket_drops", socket_drops.into()),
        ("calls", Json::Int(received.calls)),
        ("gro", gro.as_ref().map(|(_, offload)| offload.gro_segments as u64).into()),
    ]));
    print(&report.join("\n"))
}

/// The sending half alone.
fn send(options: &Options) -> Result<()> {
    if !options.gso {
        let socket = connect_sender(options.address)?;
        let sent = blast::send(&socket, &plan(options))
            .map_err(|error| send_error(error, options.address))?;
        blast::send_end(&socket, sent.datagrams, || false);
        return print(&format!(
            "{}\n{}",
            sent_line(&sent, options.size),
            send_json(&sent, options)
        ));
    }
    // quinn-udp names the destination in every send. Linux accepts that on a
    // connected socket (and then reports "port unreachable"); macOS and the
    // BSDs refuse it (EISCONN): there the socket is connected only for the end marker.
    let connect = cfg!(any(target_os = "linux", target_os = "android"));
    let socket = bind_sender(options.address, connect)?;
    let (state, offload) = Offload::probe(&socket)
        .context("cannot prepare the socket for GSO (quinn-udp); try without --gso")?;
    // quinn-udp made it non-blocking; blocking sends wait for room in a full send queue.
    socket.set_nonblocking(false).context("cannot make the UDP socket blocking")?;
    print(&offload.send_note(options.size))?;
    let sent = offload::send(&socket, options.address, &state, &plan(options))
        .map_err(|error| send_error(error, options.address))?;
    if !connect {
        socket
            .connect(options.address)
            .with_context(|| format!("cannot send to {}", options.address))?;
    }
    blast::send_end(&socket, sent.datagrams, || false);
    let mut lines = vec![sent_line(&sent, options.size), calls_line(sent.calls, sent.datagrams)];
    if sent.fell_back {
        lines.push("GSO failed on this device: the sender went on one datagram per call".into());
    }
    lines.push(send_json(&sent, options));
    print(&lines.join("\n"))
}

fn send_json(sent: &Sent, options: &Options) -> String {
    json_line(&[
        ("role", Json::Text("send")),
        ("size", Json::Int(options.size as u64)),
        ("sent", Json::Int(sent.datagrams)),
        ("bytes", Json::Int(sent.bytes)),
        ("seconds", Json::Float(sent.elapsed.as_secs_f64())),
        ("retries", Json::Int(sent.retries)),
        ("calls", Json::Int(sent.calls)),
        ("gso", Json::Text(if options.gso { "on" } else { "off" })),
    ])
}

/// How many datagrams each system call carried on average.
fn calls_line(calls: u64, datagrams: u64) -> String {
    let per_call = if calls == 0 { 0.0 } else { datagrams as f64 / calls as f64 };
    format!("calls      {calls:>9} ({per_call:.1} datagrams per system call)")
}

/// A socket connected to `address`: `send` needs no address each time, and
/// the OS can tell us when an ICMP "port unreachable" comes back.
fn connect_sender(address: SocketAddr) -> Result<UdpSocket> {
    bind_sender(address, true)
}

/// A socket to send to `address` from, connected to it when `connect`.
fn bind_sender(address: SocketAddr, connect: bool) -> Result<UdpSocket> {
    let local = match address {
        SocketAddr::V4(v4) if v4.ip().is_loopback() => SocketAddr::from((*v4.ip(), 0)),
        SocketAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
        SocketAddr::V6(v6) if v6.ip().is_loopback() => SocketAddr::from((*v6.ip(), 0)),
        SocketAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
    };
    let socket = UdpSocket::bind(local).with_context(|| format!("cannot bind {local}"))?;
    if connect {
        socket.connect(address).with_context(|| format!("cannot send to {address}"))?;
    }
    Ok(socket)
}

fn send_error(error: io::Error, address: SocketAddr) -> anyhow::Error {
    if error.kind() == io::ErrorKind::ConnectionRefused {
        anyhow!(
            "nobody receives on {address}: the OS got an ICMP \"port unreachable\" back \
             (start `udp-blast receive {address}` first)"
        )
    } else {
        anyhow!("cannot send to {address}: {error}")
    }
}

fn rcvbuf_note(asked: Option<usize>, granted: usize) -> String {
    let Some(asked) = asked else {
        return format!("{granted} bytes, the OS default (ask for more with --rcvbuf BYTES)");
    };
    let mut note = format!("{granted} bytes (asked for {asked}");
    if cfg!(target_os = "linux") {
        note.push_str("; Linux doubles the request for its bookkeeping");
        if let Some(max) = os_counters::rmem_max() {
            note.push_str(&format!(" and caps it at net.core.rmem_max = {max}"));
        }
    }
    note.push(')');
    note
}

fn sent_line(sent: &Sent, size: usize) -> String {
    let seconds = sent.elapsed.as_secs_f64();
    let mut line =
        format!("sent       {:>9} datagrams of {size} bytes in {seconds:.3} s", sent.datagrams);
    if seconds > 0.0 {
        line.push_str(&format!(
            " ({:.0} datagrams/s, {})",
            sent.datagrams as f64 / seconds,
            megabytes_per_second(sent.bytes as f64 / seconds)
        ));
    }
    if sent.retries > 0 {
        line.push_str(&format!(
            "; {} sends refused for a full send queue (ENOBUFS) and retried",
            sent.retries
        ));
    }
    line
}

fn received_lines(received: &Received, sent: Option<u64>) -> Vec<String> {
    let tally = &received.tally;
    let goodput = received.goodput().map_or(String::new(), |goodput| {
        format!(", {} goodput at the receiver", megabytes_per_second(goodput))
    });
    let whole = sent.unwrap_or(tally.next_highest);
    let mut lines = vec![format!(
        "received   {:>9} ({}){goodput}",
        tally.distinct,
        percent(tally.distinct, whole)
    )];
    match sent {
        Some(sent) => {
            let lost = tally.lost(sent);
            lines.push(format!("lost       {lost:>9} ({})", percent(lost, sent)));
        }
        None => lines.push(format!(
            "lost       {:>9} at least (the sender's end marker never came: its count is unknown)",
            tally.lost_at_least()
        )),
    }
    lines.push(format!("reordered  {:>9}", tally.reordered));
    lines.push(format!("duplicated {:>9}", tally.duplicated));
    if tally.foreign > 0 {
        lines.push(format!("not ours   {:>9} (datagrams without our header)", tally.foreign));
    }
    if received.stop == Some(Stop::Nothing) {
        lines.push("nothing arrived at all".into());
    }
    lines
}

fn drop_delta(before: &Result<Reading, String>, after: &Result<Reading, String>) -> Option<u64> {
    match (before, after) {
        (Ok(before), Ok(after)) => Some(after.value.saturating_sub(before.value)),
        _ => None,
    }
}

fn drop_lines(
    before: &Result<Reading, String>,
    after: &Result<Reading, String>,
    socket: Option<u64>,
) -> Vec<String> {
    let mut lines = vec![match (before, after) {
        (Ok(before), Ok(after)) => format!(
            "OS drop counter: {} -> {} (+{}), {}, system-wide",
            before.value,
            after.value,
            after.value.saturating_sub(before.value),
            after.source
        ),
        (Err(why), _) | (_, Err(why)) => format!("OS drop counter: not available ({why})"),
    }];
    if let Some(drops) = socket {
        lines.push(format!("this socket's drops: {drops} (the drops column of /proc/net/udp)"));
    }
    lines
}

//! The operating system's own count of datagrams it threw away because a
//! socket's receive buffer was full. Each OS shows it differently:
//!
//! | OS | where | counter |
//! |---|---|---|
//! | Linux | `/proc/net/snmp` (IPv6: `/proc/net/snmp6`) | `Udp: RcvbufErrors` (`Udp6RcvbufErrors`) |
//! | Linux, one socket | `/proc/net/udp` (`udp6`) | the `drops` column of the socket's line |
//! | macOS, FreeBSD | `netstat -s -p udp` | "dropped due to full socket buffers" |
//! | Windows | `netstat -s -p udp` (`-p udpv6`) | "Receive Errors" (counts other errors too) |
//!
//! All but the per-socket one are system-wide: another program's drops count too.
//! Reading them can fail (no `/proc`, no `netstat`, a translated Windows whose
//! lines are not in English): then the caller says "not available", never 0.
use std::net::SocketAddr;
use std::process::{Command, Stdio};

/// A reading of a system-wide drop counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Where the number comes from, for the student to look it up themselves.
    pub source: &'static str,
    /// The counter's value.
    pub value: u64,
}

/// Reads the system-wide counter of UDP datagrams dropped for a full receive
/// buffer, for sockets of `address`'s family. `Err` says why it is not available.
pub fn system_drops(address: SocketAddr) -> Result<Reading, String> {
    let ipv6 = address.is_ipv6();
    if ipv6 {
        if let Ok(text) = std::fs::read_to_string("/proc/net/snmp6") {
            let value = parse_linux_snmp6(&text).ok_or("no Udp6RcvbufErrors in /proc/net/snmp6")?;
            return Ok(Reading { source: "Udp6RcvbufErrors in /proc/net/snmp6", value });
        }
    } else if let Ok(text) = std::fs::read_to_string("/proc/net/snmp") {
        let value = parse_linux_snmp(&text).ok_or("no Udp: RcvbufErrors in /proc/net/snmp")?;
        return Ok(Reading { source: "Udp: RcvbufErrors in /proc/net/snmp", value });
    }
    if cfg!(windows) {
        let protocol = if ipv6 { "udpv6" } else { "udp" };
        let text = netstat(protocol)?;
        let value = parse_windows_netstat(&text)
            .ok_or("`netstat -s -p udp` printed no \"Receive Errors\" line")?;
        let source = if ipv6 {
            "\"Receive Errors\" of `netstat -s -p udpv6`"
        } else {
            "\"Receive Errors\" of `netstat -s -p udp`"
        };
        Ok(Reading { source, value })
    } else if cfg!(target_os = "linux") {
        Err("/proc is not mounted".into())
    } else {
        let text = netstat("udp")?;
        let value = parse_bsd_netstat(&text)
            .ok_or("`netstat -s -p udp` printed no \"full socket buffers\" line")?;
        Ok(Reading {
            source: "\"dropped due to full socket buffers\" of `netstat -s -p udp`",
            value,
        })
    }
}

/// Linux only: how many datagrams the kernel dropped for the one socket bound
/// to `local` (the `drops` column of `/proc/net/udp`). `None` elsewhere.
pub fn socket_drops(local: SocketAddr) -> Option<u64> {
    let table = if local.is_ipv6() { "/proc/net/udp6" } else { "/proc/net/udp" };
    parse_proc_net_udp(&std::fs::read_to_string(table).ok()?, local.port())
}

/// Linux only: `net.core.rmem_max`, the most `SO_RCVBUF` may ask for.
pub fn rmem_max() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/net/core/rmem_max").ok()?.trim().parse().ok()
}

fn netstat(protocol: &str) -> Result<String, String> {
    let output = Command::new("netstat")
        .args(["-s", "-p", protocol])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run netstat: {error}"))?;
    if !output.status.success() {
        return Err(format!("`netstat -s -p {protocol}` failed ({})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

// ANCHOR: linux_snmp
/// Finds `RcvbufErrors` in `/proc/net/snmp`, where each protocol has two lines:
/// ```text
/// Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors ...
/// Udp: 21678 878 0 22784 0 0 ...
/// ```
pub fn parse_linux_snmp(text: &str) -> Option<u64> {
    let mut udp = text.lines().filter(|line| line.starts_with("Udp: "));
    let (names, values) = (udp.next()?, udp.next()?);
    let column = names.split_whitespace().position(|name| name == "RcvbufErrors")?;
    values.split_whitespace().nth(column)?.parse().ok()
}
// ANCHOR_END: linux_snmp

/// Finds `Udp6RcvbufErrors` in `/proc/net/snmp6` (one `name value` per line).
pub fn parse_linux_snmp6(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        (fields.next()? == "Udp6RcvbufErrors").then(|| fields.next()?.parse().ok())?
    })
}

/// The `drops` column (the last) of the line of the socket on local `port` in
/// `/proc/net/udp`, whose local address is `HEXIP:HEXPORT`:
/// ```text
///   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
///  123: 0100007F:B0A3 00000000:0000 07 00000000 00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0
/// ```
pub fn parse_proc_net_udp(text: &str, port: u16) -> Option<u64> {
    let wanted = format!("{port:04X}");
    text.lines().skip(1).find_map(|line| {
        let mut fields = line.split_whitespace();
        let local = fields.nth(1)?;
        (local.rsplit(':').next()? == wanted)
            .then(|| line.split_whitespace().last()?.parse().ok())?
    })
}

// ANCHOR: other_os
/// macOS and FreeBSD: `netstat -s -p udp` prints, among others,
/// `\t0 dropped due to full socket buffers` (macOS: `0 time dropped…`).
pub fn parse_bsd_netstat(text: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.contains("dropped due to full socket buffers"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// Windows: `netstat -s -p udp` prints `  Receive Errors        = 0`. Windows
/// counts a full buffer there, and other receive errors too.
pub fn parse_windows_netstat(text: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.trim_start().starts_with("Receive Errors"))?;
    line.split('=').nth(1)?.trim().parse().ok()
}
// ANCHOR_END: other_os

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_snmp() {
        let text = "Ip: Forwarding DefaultTTL\nIp: 1 64\n\
            Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors\n\
            Udp: 21678 878 5 22784 1234 0 0\n\
            UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n\
            UdpLite: 0 0 0 0 99 0\n";
        assert_eq!(parse_linux_snmp(text), Some(1234));
        assert_eq!(parse_linux_snmp("Udp: InDatagrams\nUdp: 1\n"), None);
        assert_eq!(parse_linux_snmp(""), None);
        let snmp6 = "Udp6InDatagrams                 \t10\nUdp6RcvbufErrors                \t77\n";
        assert_eq!(parse_linux_snmp6(snmp6), Some(77));
        assert_eq!(parse_linux_snmp6("Udp6InErrors 3\n"), None);
    }

    #[test]
    fn linux_proc_net_udp() {
        let text = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
            \x20 52: 00000000:0044 00000000:0000 07 00000000 00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0\n\
            \x20123: 0100007F:B0A3 00000000:0000 07 00000000 00034000 00:00000000 00000000     0        0 4242 2 0000000000000000 38766\n";
        assert_eq!(parse_proc_net_udp(text, 0xB0A3), Some(38766));
        assert_eq!(parse_proc_net_udp(text, 0x44), Some(0));
        assert_eq!(parse_proc_net_udp(text, 1), None);
        assert_eq!(parse_proc_net_udp("", 1), None);
    }

    #[test]
    fn macos_and_freebsd_netstat() {
        let macos = "udp:\n\t3226 datagrams received\n\t0 with incomplete header\n\
            \t44 dropped due to no socket\n\t17 times dropped due to full socket buffers\n\
            \t0 not for hashed pcb\n";
        assert_eq!(parse_bsd_netstat(macos), Some(17));
        let freebsd = "udp:\n\t5 dropped due to full socket buffers\n";
        assert_eq!(parse_bsd_netstat(freebsd), Some(5));
        assert_eq!(parse_bsd_netstat("udp:\n\t44 dropped due to no socket\n"), None);
    }

    #[test]
    fn windows_netstat() {
        let text = "\r\nUDP Statistics for IPv4\r\n\r\n  Datagrams Received    = 3563\r\n\
            \x20 No Ports              = 78\r\n  Receive Errors        = 12\r\n\
            \x20 Datagrams Sent        = 3537\r\n";
        assert_eq!(parse_windows_netstat(text), Some(12));
        assert_eq!(parse_windows_netstat("  Empfangsfehler = 3\r\n"), None, "translated: unknown");
    }
}

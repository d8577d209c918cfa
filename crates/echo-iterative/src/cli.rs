//! The command line every rung shares: `[--quiet] [--checksum] [ADDRESS]`,
//! and how the rungs print.
use std::fmt::Display;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};

use anyhow::{Context, Result, bail};
use socket2::{Domain, Protocol, Socket, Type};

use crate::{Config, Service};

/// What the command line asked for.
#[derive(Clone, Debug)]
pub struct Args {
    /// Where to listen.
    pub address: SocketAddr,
    /// Per-connection settings from the flags.
    pub config: Config,
}

/// Parses `[--quiet] [--checksum] [ADDRESS]`; `None` means `--help` was printed.
pub fn parse(
    usage: &str,
    default_address: &str,
    args: impl IntoIterator<Item = String>,
) -> Result<Option<Args>> {
    let mut config = Config::default();
    let mut address = None;
    for arg in args {
        match arg.as_str() {
            "--help" | "-h" => {
                say(usage)?;
                return Ok(None);
            }
            "--quiet" | "-q" => config.log = false,
            "--checksum" => config.service = Service::Checksum,
            flag if flag.starts_with('-') => bail!("unknown option {flag:?} (try --help)"),
            _ if address.is_some() => bail!("unexpected argument {arg:?} (try --help)"),
            _ => address = Some(arg),
        }
    }
    let arg = address.unwrap_or_else(|| default_address.to_string());
    let address = arg.parse().with_context(|| {
        let port = default_address.rsplit(':').next().unwrap_or_default();
        format!(
            "invalid address {arg:?} (expected IP:PORT, e.g. {default_address} or [::1]:{port})"
        )
    })?;
    Ok(Some(Args { address, config }))
}

// ANCHOR: bind
/// Creates the listening socket, with a hint when the port is taken.
pub fn bind(address: SocketAddr, program: &str) -> Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP))
        .context("cannot create a TCP socket")?;
    #[cfg(unix)] // let a restarted server reuse a port still in TIME_WAIT
    socket.set_reuse_address(true).context("cannot set SO_REUSEADDR")?;
    socket.bind(&address.into()).with_context(|| {
        format!("cannot bind {address} (is another {program} running? try another port)")
    })?;
    // A long backlog: bursts of clients wait in the kernel instead of being dropped.
    socket.listen(1024).with_context(|| format!("cannot listen on {address}"))?;
    Ok(socket.into())
}
// ANCHOR_END: bind

/// Prints the `Listening on ADDRESS` line tests and scripts wait for.
pub fn announce(listener: &TcpListener) -> Result<()> {
    let address = listener.local_addr().context("cannot read the listening address")?;
    say(format_args!("Listening on {address}")) // stdout is line-buffered: flushed here
}

/// Prints one line on stdout. `println!` would panic when stdout is gone
/// (`server | head -1`, once `head` has its line; a full disk); this returns
/// the error instead, and the server stops: nobody can see what it prints.
pub fn say(line: impl Display) -> Result<()> {
    writeln!(std::io::stdout().lock(), "{line}")
        .context("cannot write to standard output (was it closed, e.g. by `| head`?)")
}

/// Prints one line on stderr. If stderr is gone too, there is nobody left to
/// tell, so a failure is ignored (`eprintln!` would panic).
pub fn warn(line: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Reports a failed `accept()` and pauses briefly when it would fail again at
/// once (out of file descriptors), so the loop does not spin at 100 % CPU.
pub fn accept_failed(error: &std::io::Error) {
    warn(format_args!("error: cannot accept a connection: {error}"));
    if !matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset
    ) {
        std::thread::sleep(std::time::Duration::from_millis(10)); // back off, not sync
    }
}

/// Prints `error: what: cause` on one line; the exit code for `main`.
pub fn report(result: Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            warn(format_args!("error: {error:#}"));
            std::process::ExitCode::FAILURE
        }
    }
}

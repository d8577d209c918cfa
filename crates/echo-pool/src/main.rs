//! `echo-pool [--quiet] [--checksum] [ADDRESS]`: parse, bind, announce, serve;
//! Ctrl-C stops accepting, lets connected clients finish, and exits 0.
use std::process::ExitCode;

use anyhow::Context;
use echo_iterative::cli;
use echo_pool::{PoolConfig, Shutdown};

const USAGE: &str = "usage: echo-pool [--quiet] [--checksum] [--workers N] [--queue N] [ADDRESS]\n\
    Echo bytes back with N worker threads (default 128) and a queue of N (default 128) on ADDRESS (default 127.0.0.1:7003).";

fn main() -> ExitCode {
    cli::report(run())
}

fn run() -> anyhow::Result<()> {
    let mut pool = PoolConfig::default();
    let rest = pool_flags(std::env::args().skip(1), &mut pool)?;
    let Some(args) = cli::parse(USAGE, "127.0.0.1:7003", rest)? else {
        return Ok(());
    };
    let listener = cli::bind(args.address, "echo-pool")?;
    // ANCHOR: ctrlc
    let shutdown = Shutdown::new();
    let on_signal = shutdown.clone();
    ctrlc::set_handler(move || {
        // Stop even if this line cannot be printed; `run_with` then reports why.
        match cli::say("Shutting down: no new clients, waiting for connected ones") {
            Ok(()) => on_signal.request(),
            Err(error) => on_signal.fail(error), // stdout is gone
        }
    })
    .context("cannot install the Ctrl-C handler")?;
    // ANCHOR_END: ctrlc
    cli::announce(&listener)?;
    let config = PoolConfig { connection: args.config, ..pool };
    let stats = echo_pool::run_with(listener, shutdown, config)?;
    let plural = if stats.served == 1 { "" } else { "s" };
    cli::say(format_args!(
        "Stopped: served {} connection{plural}, refused {}",
        stats.served, stats.refused
    ))
}

/// Takes `--workers N` and `--queue N` out of the arguments; returns the rest.
fn pool_flags(
    args: impl IntoIterator<Item = String>,
    pool: &mut PoolConfig,
) -> anyhow::Result<Vec<String>> {
    let mut rest = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let target = match arg.as_str() {
            "--workers" => &mut pool.workers,
            "--queue" => &mut pool.queue,
            _ => {
                rest.push(arg);
                continue;
            }
        };
        let value = args.next().with_context(|| format!("{arg} needs a number"))?;
        *target =
            value.parse().ok().filter(|&n| n <= 10_000).with_context(|| {
                format!("{arg} expects a number from 0 to 10000, got {value:?}")
            })?;
    }
    if pool.workers == 0 {
        anyhow::bail!("--workers must be at least 1");
    }
    Ok(rest)
}

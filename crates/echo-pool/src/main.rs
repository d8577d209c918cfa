//! `echo-pool [--quiet] [--checksum] [ADDRESS]`: parse, bind, announce, serve;
//! Ctrl-C stops accepting, lets connected clients finish, and exits 0.
use std::process::ExitCode;

use anyhow::Context;
use echo_iterative::cli;
use echo_pool::{PoolConfig, Shutdown};

const USAGE: &str = "usage: echo-pool [--quiet] [--checksum] [ADDRESS]\n\
    Echo bytes back with 128 worker threads and a queue of 128 on ADDRESS (default 127.0.0.1:7003).";

fn main() -> ExitCode {
    cli::report(run())
}

fn run() -> anyhow::Result<()> {
    let Some(args) = cli::parse(USAGE, "127.0.0.1:7003", std::env::args().skip(1))? else {
        return Ok(());
    };
    let listener = cli::bind(args.address, "echo-pool")?;
    // ANCHOR: ctrlc
    let shutdown = Shutdown::new();
    let on_signal = shutdown.clone();
    ctrlc::set_handler(move || {
        println!("Shutting down: no new clients, waiting for connected ones");
        on_signal.request();
    })
    .context("cannot install the Ctrl-C handler")?;
    // ANCHOR_END: ctrlc
    cli::announce(&listener)?;
    let config = PoolConfig { connection: args.config, ..PoolConfig::default() };
    let stats = echo_pool::run_with(listener, shutdown, config)?;
    println!("Stopped: served {} connections, refused {}", stats.served, stats.refused);
    Ok(())
}

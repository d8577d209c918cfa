//! `echo-threaded [--quiet] [--checksum] [ADDRESS]`: parse, bind, announce, serve.
use std::process::ExitCode;

use echo_iterative::cli;
use echo_threaded::Shutdown;

const USAGE: &str = "usage: echo-threaded [--quiet] [--checksum] [ADDRESS]\n\
    Echo bytes back to every client, one thread each, on ADDRESS (default 127.0.0.1:7002).";

fn main() -> ExitCode {
    cli::report(run())
}

fn run() -> anyhow::Result<()> {
    let Some(args) = cli::parse(USAGE, "127.0.0.1:7002", std::env::args().skip(1))? else {
        return Ok(());
    };
    let listener = cli::bind(args.address, "echo-threaded")?;
    cli::announce(&listener)?;
    echo_threaded::run_with(listener, Shutdown::new(), args.config)
}

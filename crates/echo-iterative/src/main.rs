//! `echo-iterative [--quiet] [--checksum] [ADDRESS]`: parse, bind, announce, serve.
use std::process::ExitCode;

use echo_iterative::{Shutdown, cli};

const USAGE: &str = "usage: echo-iterative [--quiet] [--checksum] [ADDRESS]\n\
    Echo bytes back to one client at a time on ADDRESS (default 127.0.0.1:7001).";

fn main() -> ExitCode {
    cli::report(run())
}

fn run() -> anyhow::Result<()> {
    let Some(args) = cli::parse(USAGE, "127.0.0.1:7001", std::env::args().skip(1))? else {
        return Ok(());
    };
    let listener = cli::bind(args.address, "echo-iterative")?;
    cli::announce(&listener)?;
    // Ctrl-C simply ends the process: there is only ever one client to lose.
    echo_iterative::run_with(listener, Shutdown::new(), &args.config)
}

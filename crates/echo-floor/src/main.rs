//! `echo-floor [ADDRESS]`: the benchmark's baseline echo server.
use std::process::ExitCode;

use anyhow::bail;
use echo_iterative::{Service, Shutdown, cli};

const USAGE: &str = "usage: echo-floor [ADDRESS]\n\
    Echo bytes back on ADDRESS (default 127.0.0.1:7000) from one epoll loop: the benchmark's floor.";

fn main() -> ExitCode {
    cli::report(run())
}

fn run() -> anyhow::Result<()> {
    let Some(args) = cli::parse(USAGE, "127.0.0.1:7000", std::env::args().skip(1))? else {
        return Ok(());
    };
    if args.config.service != Service::Echo {
        bail!("echo-floor only echoes (--checksum is for the ladder's servers)");
    }
    let listener = cli::bind(args.address, "echo-floor")?;
    cli::announce(&listener)?;
    echo_floor::run(listener, Shutdown::new())
}

//! `echo-async [--quiet] [--checksum] [ADDRESS]`: parse, bind, announce, serve;
//! Ctrl-C stops accepting, lets connected clients finish, and exits 0.
use std::process::ExitCode;

use anyhow::Context;
use echo_iterative::cli;

const USAGE: &str = "usage: echo-async [--quiet] [--checksum] [ADDRESS]\n\
    Echo bytes back to every client, one tokio task each, on ADDRESS (default 127.0.0.1:7004).";

fn main() -> ExitCode {
    cli::report(run())
}

fn run() -> anyhow::Result<()> {
    let Some(args) = cli::parse(USAGE, "127.0.0.1:7004", std::env::args().skip(1))? else {
        return Ok(());
    };
    let listener = cli::bind(args.address, "echo-async")?;
    listener.set_nonblocking(true).context("cannot make the listener non-blocking")?;
    // One worker thread per CPU this process may use.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async {
        // Poll the Ctrl-C future once, which installs its handler, before
        // telling anyone we listen: a Ctrl-C right after that line is graceful too.
        let shutdown = ctrl_c();
        tokio::pin!(shutdown);
        let _ = tokio::time::timeout(std::time::Duration::ZERO, &mut shutdown).await;
        cli::announce(&listener)?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .context("cannot register the listener with tokio")?;
        let served = echo_async::run_with(listener, shutdown, args.config).await?;
        cli::say(format_args!(
            "Stopped: served {served} connection{}",
            if served == 1 { "" } else { "s" }
        ))
    })
}

// ANCHOR: ctrl_c
/// Completes on Ctrl-C (SIGINT); never completes if it cannot be watched.
async fn ctrl_c() {
    match tokio::signal::ctrl_c().await {
        // Shut down even if stdout is gone: then this line is lost, and the
        // `Stopped` line fails the same way and is reported.
        Ok(()) => {
            let _ = cli::say("Shutting down: no new clients, waiting for connected ones");
        }
        Err(error) => {
            cli::warn(format_args!("error: cannot watch for Ctrl-C: {error}"));
            std::future::pending::<()>().await;
        }
    }
}
// ANCHOR_END: ctrl_c

//! `loadgen`: load an echo server on loopback and report throughput and latency.
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(io::stderr(), "error: {error:#}"); // stderr closed: nobody to tell
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let Some(options) = loadgen::cli::parse(std::env::args().skip(1))? else {
        return print(loadgen::cli::USAGE);
    };
    let total = (options.connections as u64).saturating_mul(options.requests);
    // Drawn on stderr only when it is a terminal; hidden in pipes and CI logs.
    let progress = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} requests, {elapsed}") {
        progress.set_style(style);
    }
    let report = loadgen::run(&options, &progress)?;
    let json = serde_json::to_string(&report)?;
    print(&format!("{}\n{json}", loadgen::describe(&report)))?;
    // A run in which nothing was answered measured nothing: it must not pass
    // for a success in a script.
    if report.requests == 0 {
        match report.first_error {
            Some(first) => bail!("no request succeeded against {}: {first}", options.address),
            None => bail!(
                "no request was answered by {} within --max-seconds {} \
                 (is the server accepting connections, or busy with another client?)",
                options.address,
                options.max_seconds
            ),
        }
    }
    Ok(())
}

/// Writes `text` and a newline to stdout. A closed stdout (a pipe whose
/// reader is gone) is an error, reported like any other, not a panic.
fn print(text: &str) -> anyhow::Result<()> {
    writeln!(io::stdout(), "{text}").context("cannot write to standard output")
}

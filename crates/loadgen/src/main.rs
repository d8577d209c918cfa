//! `loadgen`: load an echo server on loopback and report throughput and latency.
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let Some(options) = loadgen::cli::parse(std::env::args().skip(1))? else {
        return Ok(());
    };
    let total = (options.connections as u64).saturating_mul(options.requests);
    // Drawn on stderr only when it is a terminal; hidden in pipes and CI logs.
    let progress = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} requests, {elapsed}") {
        progress.set_style(style);
    }
    let report = loadgen::run(&options, &progress)?;
    let json = serde_json::to_string(&report)?;
    match writeln!(std::io::stdout().lock(), "{}\n{json}", loadgen::describe(&report)) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {} // e.g. `| head -1`
        result => result.context("cannot write the report")?,
    }
    if report.requests == 0 && report.errors > 0 {
        let first = report.first_error.unwrap_or_default();
        bail!("no request succeeded against {}: {first}", options.address);
    }
    Ok(())
}

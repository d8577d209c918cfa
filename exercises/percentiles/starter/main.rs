//! Exercise percentiles: p50, p90, p99 and max of latencies read on stdin.
//! Check your work with `cargo lab check percentiles`; stuck? `cargo lab hint percentiles`.
use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result};

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut latencies: Vec<f64> = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.context("cannot read standard input")?;
        let text = line.trim();
        if text.is_empty() {
            continue; // blank lines do not count
        }
        // TODO: name the line's number in the error, and refuse negative numbers.
        let latency: f64 = text.parse().with_context(|| format!("not a number: {text:?}"))?;
        latencies.push(latency);
    }
    // TODO: no latencies at all is an error (one `error:` line), not a panic.
    latencies.sort_by(f64::total_cmp);
    for (name, percent) in [("p50", 50), ("p90", 90), ("p99", 99)] {
        println!("{name} {}", percentile(&latencies, percent));
    }
    println!("max {}", latencies[latencies.len() - 1]);
    Ok(())
}

/// The `percent`-th percentile of `sorted` (smallest first).
fn percentile(sorted: &[f64], percent: usize) -> f64 {
    // TODO: the nearest-rank method: rank = ⌈percent / 100 × n⌉, counted from 1.
    let index = percent * sorted.len() / 100;
    sorted[index.min(sorted.len() - 1)]
}

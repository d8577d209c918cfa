//! Exercise percentiles: p50, p90, p99 and max of latencies read on stdin.
//! Reference solution.
use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut latencies: Vec<f64> = Vec::new();
    for (index, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.context("cannot read standard input")?;
        let text = line.trim();
        if text.is_empty() {
            continue; // blank lines do not count
        }
        let number = index + 1; // lines are counted from 1, blank ones too
        let latency: f64 = text
            .parse()
            .ok()
            .filter(|value: &f64| value.is_finite() && *value >= 0.0)
            .with_context(|| format!("line {number}: not a non-negative number: {text:?}"))?;
        latencies.push(latency);
    }
    if latencies.is_empty() {
        bail!("no latencies on standard input (one number per line)");
    }
    latencies.sort_by(f64::total_cmp);
    for (name, percent) in [("p50", 50), ("p90", 90), ("p99", 99)] {
        println!("{name} {}", percentile(&latencies, percent));
    }
    println!("max {}", latencies[latencies.len() - 1]);
    Ok(())
}

/// The `percent`-th percentile of `sorted` (smallest first).
fn percentile(sorted: &[f64], percent: usize) -> f64 {
    // The nearest-rank method: rank = ⌈percent / 100 × n⌉, counted from 1.
    let rank = (percent * sorted.len()).div_ceil(100);
    sorted[rank - 1]
}

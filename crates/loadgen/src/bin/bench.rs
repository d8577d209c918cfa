//! `bench`: the benchmark driver `scripts/bench.sh` runs (pinned to core 1).
//!
//! usage: bench --bin-dir DIR --root DIR [--python PYTHON] [--smoke] [--report-only]
//! Writes ROOT/bench/results.json, ROOT/book/generated/bench-table.md,
//! bench-chart.svg, bench-patterns.md and bench-latency.svg; with --smoke, a
//! tiny run into ROOT/target/bench-smoke/.
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use loadgen::bench::{self, Results, Settings};
use loadgen::render;

/// `println!`, except that a closed stdout (`bench | head -1`) is an error
/// the caller returns, instead of a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(io::stdout(), $($arg)*).context("cannot write to standard output")
    };
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(io::stderr(), "error: {error:#}"); // stderr closed: nobody to tell
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let (mut bin_dir, mut root, mut python) = (None, PathBuf::from("."), None);
    let (mut smoke, mut report_only) = (false, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bin-dir" => bin_dir = args.next().map(PathBuf::from),
            "--root" => root = args.next().map(PathBuf::from).context("--root needs a value")?,
            "--python" => python = args.next().map(PathBuf::from),
            "--smoke" => smoke = true,
            "--report-only" => report_only = true,
            other => bail!("unknown argument {other:?}"),
        }
    }
    let out_dir = if smoke { root.join("target/bench-smoke") } else { root.clone() };
    let results_path = out_dir.join("bench/results.json");
    let results = if report_only {
        let text = std::fs::read_to_string(&results_path)
            .with_context(|| format!("cannot read {}", results_path.display()))?;
        let mut results: Results =
            serde_json::from_str(&text).context("cannot parse results.json")?;
        // Judge again: the targets may have changed since the measurement.
        let mut points = Vec::new();
        for measurement in &results.measurements {
            if !points.contains(&measurement.point) {
                points.push(measurement.point);
            }
        }
        results.targets = bench::targets(&results.measurements, &points);
        results
    } else {
        let bin_dir = bin_dir.context("--bin-dir is required")?;
        measure(&bin_dir, &root, python.as_ref(), smoke)?
    };
    let generated = out_dir.join("book/generated");
    std::fs::create_dir_all(&generated).context("cannot create book/generated")?;
    std::fs::create_dir_all(out_dir.join("bench")).context("cannot create bench/")?;
    write(&results_path, &(serde_json::to_string_pretty(&results)? + "\n"))?;
    write(&generated.join("bench-table.md"), &render::table(&results))?;
    write(&generated.join("bench-chart.svg"), &render::chart(&results))?;
    write(&generated.join("bench-patterns.md"), &render::patterns(&results))?;
    write(&generated.join("bench-latency.svg"), &render::latency_chart(&results))?;
    for ratio in bench::pattern_ratios(&results.measurements) {
        if !ratio.rounds.is_empty() {
            let (median, low, high) = ratio.spread();
            say!(
                "  --  {} ({:?} arrivals): median {median:.2}, rounds {low:.2}-{high:.2}",
                ratio.claim,
                ratio.arrival
            )?;
        }
    }
    for target in &results.targets {
        let verdict = if target.claim.contains("no target") {
            "--"
        } else if target.met {
            "MET"
        } else {
            "MISSED"
        };
        let ratios: Vec<String> =
            target.ratios.iter().map(|(point, ratio)| format!("{point}: {ratio:.2}")).collect();
        say!("{verdict:>6}  {}  [{}]", target.claim, ratios.join(", "))?;
    }
    if smoke {
        let bad: Vec<String> = results
            .measurements
            .iter()
            .filter(|m| m.median.requests == 0 || m.median.errors > 0)
            .map(|m| format!("{} {:?}", m.server, m.point))
            .collect();
        if !bad.is_empty() {
            bail!("smoke run failed for: {}", bad.join("; "));
        }
        say!("smoke run OK: {} measurements", results.measurements.len())?;
    }
    Ok(())
}

fn measure(
    bin_dir: &std::path::Path,
    root: &std::path::Path,
    python: Option<&PathBuf>,
    smoke: bool,
) -> Result<Results> {
    let pinned = Command::new("taskset")
        .args(["-c", "0", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let settings = Settings {
        repeats: if smoke { 1 } else { 5 },
        seconds: if smoke { 0.3 } else { 1.0 },
        hello_requests: if smoke { 20 } else { 500 },
        pinned,
    };
    let servers = bench::servers(bin_dir, &root.join("bench"), python.map(PathBuf::as_path));
    let points = bench::matrix(smoke);
    say!(
        "{} servers, {} points, {} x {} s each, servers {}",
        servers.len(),
        points.len(),
        settings.repeats,
        settings.seconds,
        if pinned { "pinned to core 0" } else { "not pinned (no taskset)" }
    )?;
    let measurements = bench::run_all(&servers, &points, &settings, &mut |line| say!("{line}"))?;
    let targets = bench::targets(&measurements, &points);
    Ok(Results { machine: bench::machine(python), settings, servers, measurements, targets })
}

fn write(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    say!("wrote {}", path.display())?;
    Ok(())
}

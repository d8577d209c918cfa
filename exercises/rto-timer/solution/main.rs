//! Exercise rto-timer: the retransmission timeout of RFC 6298, from round-trip
//! samples and timer expiries read on stdin, one event per line.
//! Reference solution.
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

/// The timeout before any round trip has been measured (RFC 6298, 2.1), in ms.
const INITIAL_RTO: f64 = 1000.0;
/// K: how many mean deviations above the smoothed round trip the timer waits.
const K: f64 = 4.0;
/// G, the clock granularity: a timer cannot be finer than this (2.2, 2.3).
const G: f64 = 100.0;
/// The gains of the two averages (2.3): 1/8 for SRTT, 1/4 for RTTVAR.
const ALPHA: f64 = 1.0 / 8.0;
const BETA: f64 = 1.0 / 4.0;
/// The bounds of the timeout (2.4, 2.5): at least 1 s, at most 60 s.
const MIN_RTO: f64 = 1000.0;
const MAX_RTO: f64 = 60_000.0;

/// The estimator's state, all in milliseconds.
struct RtoTimer {
    /// The smoothed round-trip time; `None` until the first sample.
    srtt: Option<f64>,
    /// The round-trip time variation (a mean deviation).
    rttvar: f64,
    /// The retransmission timeout.
    rto: f64,
}

impl RtoTimer {
    fn new() -> RtoTimer {
        RtoTimer { srtt: None, rttvar: 0.0, rto: INITIAL_RTO }
    }

    /// A round trip of `r` ms was measured.
    fn sample(&mut self, r: f64) {
        let srtt = match self.srtt {
            // 2.2: the first measurement.
            None => {
                self.rttvar = r / 2.0;
                r
            }
            // 2.3: RTTVAR first, with the SRTT from before this sample.
            Some(srtt) => {
                self.rttvar = (1.0 - BETA) * self.rttvar + BETA * (srtt - r).abs();
                (1.0 - ALPHA) * srtt + ALPHA * r
            }
        };
        self.srtt = Some(srtt);
        // 2.3, 2.4, 2.5: a new RTO replaces a backed-off one.
        self.rto = (srtt + G.max(K * self.rttvar)).clamp(MIN_RTO, MAX_RTO);
    }

    /// The timer expired: back off (5.5), doubling up to the maximum.
    fn timeout(&mut self) {
        self.rto = (self.rto * 2.0).min(MAX_RTO);
    }

    /// The state as one line: `srtt=… rttvar=… rto=…`, `-` before the first sample.
    fn state(&self) -> String {
        let rto = self.rto;
        match self.srtt {
            Some(srtt) => format!("srtt={srtt:.3} rttvar={:.3} rto={rto:.3}", self.rttvar),
            None => format!("srtt=- rttvar=- rto={rto:.3}"),
        }
    }
}

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut out = std::io::stdout().lock();
    let mut timer = RtoTimer::new();
    for (index, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.context("cannot read standard input")?;
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            [] => continue, // blank lines are no events
            ["rtt", ms] => match ms.parse::<f64>() {
                Ok(r) if r.is_finite() && r >= 0.0 => timer.sample(r),
                _ => bail!("line {}: not a round trip in ms: {ms:?}", index + 1),
            },
            ["timeout"] => timer.timeout(),
            _ => bail!("line {}: expected `rtt MS` or `timeout`, got {line:?}", index + 1),
        }
        writeln!(out, "{}", timer.state()).context("cannot write to standard output")?;
    }
    Ok(())
}

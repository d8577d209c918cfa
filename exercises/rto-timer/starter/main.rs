//! Exercise rto-timer: the retransmission timeout of RFC 6298, from round-trip
//! samples and timer expiries read on stdin, one event per line.
//! Check your work with `cargo lab check rto-timer`; stuck? `cargo lab hint rto-timer`.
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

/// The timeout before any round trip has been measured (RFC 6298, 2.1), in ms.
const INITIAL_RTO: f64 = 1000.0;
/// K: how many mean deviations above the smoothed round trip the timer waits.
const K: f64 = 4.0;
// TODO: the other constants of the statement: G = 100 ms, alpha = 1/8,
// beta = 1/4, the minimum RTO of 1 s and the maximum of 60 s.

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
            // TODO: 2.3, every later sample: RTTVAR first, then SRTT.
            Some(srtt) => srtt,
        };
        self.srtt = Some(srtt);
        // TODO: G, and the bounds of the timeout (2.4, 2.5).
        self.rto = srtt + K * self.rttvar;
    }

    /// The timer expired: back off (5.5).
    fn timeout(&mut self) {
        // TODO: double the timeout, up to the maximum.
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

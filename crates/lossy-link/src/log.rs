//! The proxy's JSON log, its counts, and the words it prints.
//!
//! One line per datagram the proxy receives, written when its fate is
//! decided:
//!
//! ```text
//! {"t":12.345,"dir":"up","n":7,"size":1472,"head":"030000000001...","fate":"delivered","out":[17.400]}
//! ```
//!
//! `t` is when it arrived and `out` when each copy is due to leave, both in
//! milliseconds since the proxy started. `out` holds the *decided* times:
//! `out - t` is exactly the delay the link chose (plus any wait in the rate
//! limiter's queue); the socket sends each copy as soon as it is due, a few
//! microseconds later. The last line is `{"summary":{...}}`.
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::link::{Direction, Fate, Verdict};

/// How many bytes of each datagram the log shows in `head`: a rudp header.
pub const HEAD: usize = 12;

/// Milliseconds with three decimals, exactly (no floating-point rounding).
pub fn millis(time: Duration) -> String {
    let micros = (time.as_nanos() + 500) / 1000;
    format!("{}.{:03}", micros / 1000, micros % 1000)
}

/// Lower-case hex of the first [`HEAD`] bytes.
pub fn head(datagram: &[u8]) -> String {
    let mut hex = String::with_capacity(2 * HEAD);
    for byte in datagram.iter().take(HEAD) {
        let _ = write!(hex, "{byte:02x}"); // writing to a String cannot fail
    }
    hex
}

// ANCHOR: log_line
/// The log line for one datagram (without the newline).
pub fn line(t: Duration, direction: Direction, verdict: &Verdict, datagram: &[u8]) -> String {
    let out: Vec<String> = verdict.out.iter().map(|&time| millis(time)).collect();
    format!(
        r#"{{"t":{},"dir":"{}","n":{},"size":{},"head":"{}","fate":"{}","out":[{}]}}"#,
        millis(t),
        direction.name(),
        verdict.n,
        datagram.len(),
        head(datagram),
        verdict.fate.name(),
        out.join(",")
    )
}
// ANCHOR_END: log_line

/// One datagram line of the log, read back.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Record {
    /// Arrival, ms since the proxy started.
    pub t: f64,
    /// `"up"` or `"down"`.
    pub dir: String,
    /// 1-based index in its direction.
    pub n: u64,
    /// Bytes in the datagram.
    pub size: usize,
    /// Hex of its first 12 bytes.
    pub head: String,
    /// What happened to it.
    pub fate: String,
    /// When each copy left, ms since the proxy started.
    pub out: Vec<f64>,
}

impl Record {
    /// The direction, if `dir` names one.
    pub fn direction(&self) -> Option<Direction> {
        Direction::BOTH.into_iter().find(|d| d.name() == self.dir)
    }

    /// The bytes `head` holds (invalid hex gives an empty head).
    pub fn head_bytes(&self) -> Vec<u8> {
        let hex = self.head.as_bytes();
        if !hex.len().is_multiple_of(2) {
            return Vec::new();
        }
        let digit = |c: u8| (c as char).to_digit(16);
        let mut bytes = Vec::with_capacity(hex.len() / 2);
        for pair in hex.chunks_exact(2) {
            match (digit(pair[0]), digit(pair[1])) {
                (Some(high), Some(low)) => bytes.push((high * 16 + low) as u8),
                _ => return Vec::new(),
            }
        }
        bytes
    }
}

/// What a log line is.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// A datagram.
    Datagram(Record),
    /// The closing summary (its contents are not needed to draw).
    Summary,
}

/// Reads one line of the log.
pub fn parse_line(text: &str) -> Result<Line, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if value.get("summary").is_some() {
        return Ok(Line::Summary);
    }
    let record: Record = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if record.direction().is_none() {
        return Err(format!("dir should be \"up\" or \"down\", not {:?}", record.dir));
    }
    if Fate::from_name(&record.fate).is_none() {
        return Err(format!("unknown fate {:?}", record.fate));
    }
    if !record.t.is_finite() || record.out.iter().any(|t| !t.is_finite()) {
        return Err("times should be numbers of milliseconds".into());
    }
    Ok(Line::Datagram(record))
}

/// One direction's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Datagrams the proxy received.
    pub received: u64,
    /// Datagrams of which at least one copy was to leave.
    pub delivered: u64,
    /// Lost at random (`--loss`).
    pub dropped: u64,
    /// Lost in a burst (`--burst`).
    pub burst: u64,
    /// Dropped by the list (`--drop`).
    pub listed: u64,
    /// Dropped by the full queue (`--rate`, `--queue`).
    pub queue: u64,
    /// Delivered twice.
    pub duplicated: u64,
    /// Held back.
    pub reordered: u64,
    /// Delivered later than they arrived (delay, queue or hold).
    pub delayed: u64,
    /// Copies the socket really sent.
    pub sent: u64,
    /// Copies the operating system refused to send (see the warnings).
    pub send_failed: u64,
    /// Copies still waiting when the proxy was stopped at once (Ctrl-C twice).
    pub unsent: u64,
}

impl Counts {
    /// Counts one decision about a datagram that arrived at `t`.
    pub fn record(&mut self, t: Duration, verdict: &Verdict) {
        self.received += 1;
        match verdict.fate {
            Fate::Dropped => self.dropped += 1,
            Fate::Burst => self.burst += 1,
            Fate::Listed => self.listed += 1,
            Fate::Queue => self.queue += 1,
            Fate::Duplicated => self.duplicated += 1,
            Fate::Reordered => self.reordered += 1,
            Fate::Delivered => {}
        }
        if !verdict.fate.is_drop() {
            self.delivered += 1;
            if verdict.out.first().is_some_and(|&out| out > t) {
                self.delayed += 1;
            }
        }
    }

    /// Datagrams lost, whatever the cause.
    pub fn lost(&self) -> u64 {
        self.dropped + self.burst + self.listed + self.queue
    }
}

/// The log's last line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The seed of the run.
    pub seed: u64,
    /// Why the proxy stopped.
    pub stopped: String,
    /// Milliseconds since the start.
    pub elapsed: f64,
    /// Client → server.
    pub up: Counts,
    /// Server → client.
    pub down: Counts,
}

/// `{"summary":{...}}`, the log's last line (without the newline).
pub fn summary_line(summary: &Summary) -> String {
    #[derive(Serialize)]
    struct Wrapper<'a> {
        summary: &'a Summary,
    }
    // Serialising plain numbers and strings cannot fail.
    serde_json::to_string(&Wrapper { summary }).unwrap_or_default()
}

/// One human line per datagram, as the proxy prints it on stdout.
pub fn describe(t: Duration, direction: Direction, verdict: &Verdict, size: usize) -> String {
    let after = |out: Duration| millis(out.saturating_sub(t));
    let what = match verdict.fate {
        Fate::Delivered if verdict.out.first().is_some_and(|&out| out > t) => {
            format!("delivered after {} ms", after(verdict.out[0]))
        }
        Fate::Delivered => "delivered".to_string(),
        Fate::Dropped => "dropped (random loss)".to_string(),
        Fate::Burst => "dropped (in a loss burst)".to_string(),
        Fate::Listed => "dropped (in the --drop list)".to_string(),
        Fate::Queue => "dropped (the rate limiter's queue is full)".to_string(),
        Fate::Duplicated => {
            let times: Vec<String> = verdict.out.iter().map(|&out| after(out)).collect();
            format!("duplicated: copies after {} ms", times.join(" and "))
        }
        Fate::Reordered => {
            let out = verdict.out.first().copied().unwrap_or(t);
            format!("held back: delivered after {} ms, behind later ones", after(out))
        }
    };
    let arrow = match direction {
        Direction::Up => "up   client -> server",
        Direction::Down => "down server -> client",
    };
    format!("{:>10} ms  {arrow}  #{:<4} {:>5} B  {what}", millis(t), verdict.n, size)
}

/// The summary printed on stderr when the proxy stops.
pub fn summary_text(summary: &Summary) -> String {
    let (up, down) = (&summary.up, &summary.down);
    type Row = (&'static str, fn(&Counts) -> u64);
    let rows: [Row; 12] = [
        ("received", |c| c.received),
        ("delivered", |c| c.delivered),
        ("lost, all causes", Counts::lost),
        ("  random loss", |c| c.dropped),
        ("  in a burst", |c| c.burst),
        ("  --drop list", |c| c.listed),
        ("  queue full", |c| c.queue),
        ("duplicated", |c| c.duplicated),
        ("reordered", |c| c.reordered),
        ("delayed", |c| c.delayed),
        ("copies sent", |c| c.sent),
        ("send failed", |c| c.send_failed),
    ];
    let mut text = format!(
        "lossy-link stopped ({}) after {:.3} s, seed {}\n{:<18}{:>24}{:>24}\n",
        summary.stopped,
        summary.elapsed / 1000.0,
        summary.seed,
        "",
        "up (client -> server)",
        "down (server -> client)"
    );
    for (name, count) in rows {
        let _ = writeln!(text, "{name:<18}{:>24}{:>24}", count(up), count(down));
    }
    if up.unsent + down.unsent > 0 {
        let _ = writeln!(text, "{:<18}{:>24}{:>24}", "not sent (stop)", up.unsent, down.unsent);
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn milliseconds_have_three_exact_decimals() {
        assert_eq!(millis(Duration::ZERO), "0.000");
        assert_eq!(millis(Duration::from_micros(12_345)), "12.345");
        assert_eq!(millis(Duration::from_nanos(17_399_500)), "17.400");
        assert_eq!(millis(Duration::from_secs(3)), "3000.000");
    }

    #[test]
    fn a_line_in_the_fixed_format() {
        let verdict =
            Verdict { n: 7, fate: Fate::Delivered, out: vec![Duration::from_micros(17_400)] };
        let datagram = [3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0xAB, 0xCD];
        let line = line(Duration::from_micros(12_345), Direction::Up, &verdict, &datagram);
        assert_eq!(
            line,
            r#"{"t":12.345,"dir":"up","n":7,"size":14,"head":"030000000001000000000008","fate":"delivered","out":[17.400]}"#
        );
        let Line::Datagram(record) = parse_line(&line).unwrap() else { panic!("a datagram") };
        assert_eq!(record.t, 12.345);
        assert_eq!(record.out, [17.4]);
        assert_eq!(record.direction(), Some(Direction::Up));
        assert_eq!(record.head_bytes(), datagram[..12]);
    }

    #[test]
    fn dropped_and_duplicated_lines() {
        let dropped = Verdict { n: 1, fate: Fate::Burst, out: vec![] };
        let text = line(Duration::ZERO, Direction::Down, &dropped, b"hi");
        assert_eq!(
            text,
            r#"{"t":0.000,"dir":"down","n":1,"size":2,"head":"6869","fate":"burst","out":[]}"#
        );
        let twice = Verdict { n: 2, fate: Fate::Duplicated, out: vec![MS, 2 * MS] };
        let text = line(Duration::ZERO, Direction::Up, &twice, b"");
        assert!(text.ends_with(r#""head":"","fate":"duplicated","out":[1.000,2.000]}"#), "{text}");
    }

    #[test]
    fn reading_rejects_what_is_not_a_log_line() {
        assert_eq!(parse_line(r#"{"summary":{"seed":1}}"#), Ok(Line::Summary));
        assert!(parse_line("not json").is_err());
        assert!(parse_line(r#"{"t":1}"#).unwrap_err().contains("missing field"));
        let sideways =
            r#"{"t":0,"dir":"left","n":1,"size":2,"head":"","fate":"delivered","out":[]}"#;
        assert!(parse_line(sideways).unwrap_err().contains("dir"));
        let lost = r#"{"t":0,"dir":"up","n":1,"size":2,"head":"","fate":"lost","out":[]}"#;
        assert!(parse_line(lost).unwrap_err().contains("fate"));
    }

    #[test]
    fn bad_hex_gives_an_empty_head() {
        let mut record = Record {
            t: 0.0,
            dir: "up".into(),
            n: 1,
            size: 1,
            head: "0g".into(),
            fate: "delivered".into(),
            out: vec![],
        };
        assert!(record.head_bytes().is_empty());
        record.head = "abc".into();
        assert!(record.head_bytes().is_empty());
        record.head = "Ab01".into();
        assert_eq!(record.head_bytes(), [0xab, 0x01]);
    }

    #[test]
    fn counts_and_summary() {
        let mut counts = Counts::default();
        let at = |fate, out: Vec<Duration>| Verdict { n: 1, fate, out };
        counts.record(MS, &at(Fate::Delivered, vec![MS]));
        counts.record(MS, &at(Fate::Delivered, vec![3 * MS]));
        counts.record(MS, &at(Fate::Dropped, vec![]));
        counts.record(MS, &at(Fate::Queue, vec![]));
        counts.record(MS, &at(Fate::Duplicated, vec![MS, MS]));
        counts.record(MS, &at(Fate::Reordered, vec![11 * MS]));
        assert_eq!(
            (counts.received, counts.delivered, counts.lost(), counts.delayed),
            (6, 4, 2, 2)
        );
        assert_eq!((counts.duplicated, counts.reordered, counts.queue), (1, 1, 1));
        let summary = Summary {
            seed: 42,
            stopped: "--count 6".into(),
            elapsed: 1234.0,
            up: counts,
            down: Counts::default(),
        };
        let line = summary_line(&summary);
        assert!(line.starts_with(
            r#"{"summary":{"seed":42,"stopped":"--count 6","elapsed":1234.0,"up":{"received":6,"#
        ));
        assert_eq!(parse_line(&line), Ok(Line::Summary));
        let text = summary_text(&summary);
        assert!(
            text.starts_with("lossy-link stopped (--count 6) after 1.234 s, seed 42\n"),
            "{text}"
        );
        let received = text.lines().find(|l| l.starts_with("received")).unwrap();
        assert_eq!(received.split_whitespace().collect::<Vec<_>>(), ["received", "6", "0"]);
        assert_eq!(received.len(), 18 + 24 + 24, "columns line up: {text}");
        assert!(!text.contains("not sent"));
    }

    #[test]
    fn human_lines() {
        let t = 2 * MS;
        let delivered = Verdict { n: 3, fate: Fate::Delivered, out: vec![7 * MS] };
        assert_eq!(
            describe(t, Direction::Up, &delivered, 18),
            "     2.000 ms  up   client -> server  #3       18 B  delivered after 5.000 ms"
        );
        let lost = Verdict { n: 12, fate: Fate::Dropped, out: vec![] };
        assert!(
            describe(t, Direction::Down, &lost, 11)
                .ends_with("#12      11 B  dropped (random loss)")
        );
        let now = Verdict { n: 1, fate: Fate::Delivered, out: vec![t] };
        assert!(describe(t, Direction::Up, &now, 1).ends_with("  delivered"));
        let twice = Verdict { n: 1, fate: Fate::Duplicated, out: vec![t, 3 * MS] };
        let text = describe(t, Direction::Up, &twice, 1);
        assert!(text.ends_with("copies after 0.000 and 1.000 ms"), "{text}");
        let late = Verdict { n: 1, fate: Fate::Reordered, out: vec![12 * MS] };
        assert!(
            describe(t, Direction::Up, &late, 1).contains("held back: delivered after 10.000 ms")
        );
    }
}

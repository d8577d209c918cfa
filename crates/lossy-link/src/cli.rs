//! `lossy-link [OPTIONS] LISTEN UPSTREAM`: the command line, parsed without
//! touching the network (so every mistake is found, and said in one line,
//! before a socket is opened).
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::link::{Direction, GilbertElliott, Settings};

/// What `lossy-link --help` prints.
pub const USAGE: &str = "\
usage: lossy-link [OPTIONS] LISTEN UPSTREAM
A UDP proxy that loses, duplicates, reorders, delays and rate-limits datagrams on purpose,
so that what UDP allows to happen can be seen happening, even on one machine.
Clients send to LISTEN (e.g. 127.0.0.1:6000; port 0 picks a free one, printed first as
`Listening on ADDRESS`). Each client gets its own socket towards UPSTREAM, the real server,
so each reply goes back to the client it answers, as through a home router (NAT).
  lossy-link --loss 30% 127.0.0.1:6000 127.0.0.1:5678    then: udp-client 127.0.0.1:6000

Directions: \"up\" is client -> server, \"down\" is server -> client. A value applies to both;
prefix it with up: or down: for one, and repeat the option for the other:
  --loss up:30% --loss down:5%    --delay 5ms±1ms    --drop down:2,3
Faults (a datagram meets one fate, tried in this order):
  --drop LIST         drop exactly these datagrams, numbered from 1 in each direction: 2,3,10-12
  --burst P/R[/L]     bursty loss (Gilbert-Elliott): the link turns bad with probability P after a
                      datagram, good again with R (bursts last 1/R datagrams on average); while
                      bad it loses each datagram with probability L (default 100%)
  --loss P            lose each datagram with probability P, independently (30% or 0.3)
  --rate R            a bottleneck of R bytes per second (125000, 1MB/s, 10Mbit/s, 64KiB/s)
  --queue N           datagrams waiting for the bottleneck at most (default 100); one more is
                      dropped (tail drop)
  --delay D[±J]       delay each datagram by D, plus or minus up to J (uniformly): 50ms, 5ms±1ms
                      (or 5ms+-1ms); jitter alone can reorder datagrams, as on a real network
  --duplicate P       deliver a datagram twice with probability P
  --reorder P         hold a datagram back with probability P, so the ones after it overtake it
  --reorder-hold T    how much longer a held-back datagram waits (default 10ms)
Replay:
  --seed N            the seed of every random decision (default 0). A decision depends only on
                      the seed, the direction and the datagram (its bytes, and how many times the
                      same bytes passed before), not on timing: rerun with the same seed and the
                      same datagrams meet the same fates. Not so for --drop and --burst (they
                      follow the order of arrival) and --rate (its queue follows the timing).
Stopping (each prints the summary on stderr; so does Ctrl-C, twice to skip the datagrams still
delayed):
  --duration T        after T (10s, 500ms, 2m)
  --idle T            after T without any datagram
  --count N           after N datagrams (both directions together)
Output:
  --log FILE          one JSON line per datagram (t, dir, n, size, head, fate, out), then a summary
  --quiet             no line per datagram on stdout";

/// Everything the command line says.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Where clients send.
    pub listen: SocketAddr,
    /// The real server.
    pub upstream: SocketAddr,
    /// The seed of every random decision.
    pub seed: u64,
    /// Client → server faults.
    pub up: Settings,
    /// Server → client faults.
    pub down: Settings,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this long without a datagram.
    pub idle: Option<Duration>,
    /// Stop after this many datagrams.
    pub count: Option<u64>,
    /// The JSON log.
    pub log: Option<PathBuf>,
    /// No line per datagram on stdout.
    pub quiet: bool,
}

impl Options {
    /// One direction's settings.
    pub fn settings(&self, direction: Direction) -> &Settings {
        match direction {
            Direction::Up => &self.up,
            Direction::Down => &self.down,
        }
    }
}

/// Parses the arguments after the program name; `None` means `--help` was
/// asked for (the caller prints [`USAGE`]: a closed stdout is its error to report).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>> {
    let mut up = Settings::default();
    let mut down = Settings::default();
    let (mut seed, mut duration, mut idle, mut count, mut log, mut quiet) =
        (0, None, None, None, None, false);
    let mut positional = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // --loss=30% is --loss 30%
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_string(), Some(value.into())),
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String> {
            match inline.clone() {
                Some(value) => Ok(value),
                None => args.next().with_context(|| format!("{name} needs a value (try --help)")),
            }
        };
        let name = name.as_str();
        match name {
            "--help" | "-h" => return Ok(None),
            "--quiet" | "-q" => quiet = true,
            "--seed" => seed = number(&value()?, name)?,
            "--duration" => duration = Some(positive_time(&value()?, name)?),
            "--idle" => idle = Some(positive_time(&value()?, name)?),
            "--count" => {
                let n: u64 = number(&value()?, name)?;
                if n == 0 {
                    bail!("--count expects at least 1 datagram, got 0");
                }
                count = Some(n);
            }
            "--log" => log = Some(PathBuf::from(value()?)),
            "--loss" | "--duplicate" | "--reorder" => {
                let text = value()?;
                let (which, text) = direction(&text);
                let p = probability(text, name)?;
                for s in pick(which, &mut up, &mut down) {
                    match name {
                        "--loss" => s.loss = p,
                        "--duplicate" => s.duplicate = p,
                        _ => s.reorder = p,
                    }
                }
            }
            "--burst" => {
                let text = value()?;
                let (which, text) = direction(&text);
                let model = burst(text)?;
                for s in pick(which, &mut up, &mut down) {
                    s.burst = Some(model);
                }
            }
            "--reorder-hold" => {
                let text = value()?;
                let (which, text) = direction(&text);
                let hold = positive_time(text, name)?;
                for s in pick(which, &mut up, &mut down) {
                    s.reorder_hold = hold;
                }
            }
            "--delay" => {
                let text = value()?;
                let (which, text) = direction(&text);
                let (delay, jitter) = delay(text)?;
                for s in pick(which, &mut up, &mut down) {
                    (s.delay, s.jitter) = (delay, jitter);
                }
            }
            "--rate" => {
                let text = value()?;
                let (which, text) = direction(&text);
                let rate = rate(text)?;
                for s in pick(which, &mut up, &mut down) {
                    s.rate = Some(rate);
                }
            }
            "--queue" => {
                let text = value()?;
                let (which, text) = direction(&text);
                let size: usize = number(text, name)?;
                if size == 0 {
                    bail!("--queue expects at least 1 datagram, got 0");
                }
                for s in pick(which, &mut up, &mut down) {
                    s.queue = size;
                }
            }
            "--drop" => {
                let text = value()?;
                let (which, text) = direction(&text);
                let list = drop_list(text)?;
                for s in pick(which, &mut up, &mut down) {
                    s.drop.extend_from_slice(&list);
                }
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                bail!("unknown option {flag:?} (try --help)")
            }
            _ => positional.push(arg),
        }
    }
    let mut positional = positional.into_iter();
    let listen = address(positional.next(), "LISTEN", "127.0.0.1:6000")?;
    let upstream = address(positional.next(), "UPSTREAM", "127.0.0.1:5678")?;
    if let Some(extra) = positional.next() {
        bail!("unexpected argument {extra:?} (usage: lossy-link [OPTIONS] LISTEN UPSTREAM)");
    }
    if upstream.port() == 0 || upstream.ip().is_unspecified() {
        bail!("UPSTREAM {upstream} is not an address a server can listen on (e.g. 127.0.0.1:5678)");
    }
    Ok(Some(Options { listen, upstream, seed, up, down, duration, idle, count, log, quiet }))
}

/// Which direction a value is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// No prefix: both directions.
    Both,
    /// `up:` or `down:`.
    One(Direction),
}

/// Splits an `up:` or `down:` prefix off a value.
pub fn direction(text: &str) -> (Which, &str) {
    if let Some(rest) = text.strip_prefix("up:") {
        (Which::One(Direction::Up), rest)
    } else if let Some(rest) = text.strip_prefix("down:") {
        (Which::One(Direction::Down), rest)
    } else {
        (Which::Both, text)
    }
}

fn pick<'a>(which: Which, up: &'a mut Settings, down: &'a mut Settings) -> Vec<&'a mut Settings> {
    match which {
        Which::Both => vec![up, down],
        Which::One(Direction::Up) => vec![up],
        Which::One(Direction::Down) => vec![down],
    }
}

fn address(arg: Option<String>, name: &str, example: &str) -> Result<SocketAddr> {
    let arg = arg.with_context(|| {
        format!("missing {name} (usage: lossy-link [OPTIONS] LISTEN UPSTREAM, e.g. 127.0.0.1:6000 127.0.0.1:5678; try --help)")
    })?;
    arg.parse().with_context(|| {
        format!(
            "invalid address {arg:?} for {name} (expected IP:PORT, e.g. {example} or [::1]:5678)"
        )
    })
}

fn number<T: std::str::FromStr>(text: &str, name: &str) -> Result<T> {
    text.parse().ok().with_context(|| format!("{name} expects a whole number, got {text:?}"))
}

/// A probability: `30%`, `0.5%`, or a fraction such as `0.3`.
pub fn probability(text: &str, name: &str) -> Result<f64> {
    let bad =
        || format!("{name} expects a probability from 0% to 100% (e.g. 30% or 0.3), got {text:?}");
    let value = match text.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().ok().map(|p| p / 100.0),
        None => text.parse::<f64>().ok(),
    }
    .with_context(bad)?;
    if !(0.0..=1.0).contains(&value) {
        bail!(bad());
    }
    Ok(value)
}

/// A time with its unit: `250us`, `5ms`, `1.5s`, `2m` (plain `0` is allowed).
pub fn time(text: &str, name: &str) -> Result<Duration> {
    let bad =
        || format!("{name} expects a time with a unit (e.g. 5ms, 1.5s, 250us, 2m), got {text:?}");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let (number, scale) = if let Some(n) = text.strip_suffix("us").or(text.strip_suffix("µs")) {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        bail!(bad());
    };
    let value: f64 = number.trim().parse().ok().with_context(bad)?;
    if !value.is_finite() || value < 0.0 || value * scale > 86_400.0 {
        bail!(bad());
    }
    Ok(Duration::from_secs_f64(value * scale))
}

fn positive_time(text: &str, name: &str) -> Result<Duration> {
    let time = time(text, name)?;
    if time.is_zero() {
        bail!("{name} expects a time above 0, got {text:?}");
    }
    Ok(time)
}

/// `D` or `D±J` (also `D+-J`): a delay and its jitter.
pub fn delay(text: &str) -> Result<(Duration, Duration)> {
    let (delay, jitter) = match text.split_once('±').or_else(|| text.split_once("+-")) {
        Some((delay, jitter)) => (delay, Some(jitter)),
        None => (text, None),
    };
    let delay = time(delay, "--delay")?;
    let jitter = match jitter {
        Some(jitter) => time(jitter, "--delay's jitter (after ±)")?,
        None => Duration::ZERO,
    };
    Ok((delay, jitter))
}

/// A rate in bytes per second: `125000`, `125kB/s`, `1MB/s`, `64KiB/s`, `10Mbit/s`.
pub fn rate(text: &str) -> Result<u64> {
    let bad = || {
        format!(
            "--rate expects bytes per second (e.g. 125000, 1MB/s, 64KiB/s, 10Mbit/s), got {text:?}"
        )
    };
    let units: [(&str, f64); 12] = [
        ("GiB/s", 1024.0 * 1024.0 * 1024.0),
        ("MiB/s", 1024.0 * 1024.0),
        ("KiB/s", 1024.0),
        ("GB/s", 1e9),
        ("MB/s", 1e6),
        ("kB/s", 1e3),
        ("KB/s", 1e3),
        ("B/s", 1.0),
        ("Gbit/s", 1e9 / 8.0),
        ("Mbit/s", 1e6 / 8.0),
        ("kbit/s", 1e3 / 8.0),
        ("bit/s", 1.0 / 8.0),
    ];
    let (number, scale) = units
        .iter()
        .find_map(|(unit, scale)| text.strip_suffix(unit).map(|n| (n, *scale)))
        .unwrap_or((text, 1.0));
    let value: f64 = number.trim().parse().ok().with_context(bad)?;
    let bytes = value * scale;
    if !(1.0..=1e12).contains(&bytes) {
        bail!(bad());
    }
    Ok(bytes.round() as u64)
}

/// `P/R` or `P/R/L`: the Gilbert–Elliott parameters.
pub fn burst(text: &str) -> Result<GilbertElliott> {
    let parts: Vec<&str> = text.split('/').collect();
    let [enter, leave, rest @ ..] = parts.as_slice() else {
        bail!(
            "--burst expects ENTER/LEAVE[/LOSS] probabilities (e.g. 2%/25% or 2%/25%/80%), got {text:?}"
        );
    };
    let loss_in_bad = match rest {
        [] => 1.0,
        [loss] => probability(loss, "--burst's third value (loss while bad)")?,
        _ => bail!("--burst expects at most three values (ENTER/LEAVE/LOSS), got {text:?}"),
    };
    let model = GilbertElliott {
        enter: probability(enter, "--burst's first value (enter the bad state)")?,
        leave: probability(leave, "--burst's second value (leave the bad state)")?,
        loss_in_bad,
    };
    if model.leave == 0.0 && model.enter > 0.0 {
        bail!("--burst with LEAVE 0% never ends a burst: everything is lost from the first one on");
    }
    Ok(model)
}

/// `2,3,10-12`: 1-based datagram indexes and inclusive ranges.
pub fn drop_list(text: &str) -> Result<Vec<(u64, u64)>> {
    let bad = |item: &str| {
        format!("--drop expects datagram numbers from 1, e.g. 2,3,10-12, got {item:?} in {text:?}")
    };
    let mut list = Vec::new();
    for item in text.split(',') {
        let (first, last) = match item.split_once('-') {
            Some((first, last)) => (first, last),
            None => (item, item),
        };
        let first: u64 = first.trim().parse().ok().with_context(|| bad(item))?;
        let last: u64 = last.trim().parse().ok().with_context(|| bad(item))?;
        if first == 0 || last < first {
            bail!(bad(item));
        }
        list.push((first, last));
    }
    Ok(list)
}

/// One direction's settings in words, e.g. `loss 30%, delay 5ms±1ms`.
pub fn describe(settings: &Settings) -> String {
    let percent = |p: f64| format!("{}%", (p * 100_000.0).round() / 1000.0);
    let mut parts = Vec::new();
    if !settings.drop.is_empty() {
        let list: Vec<String> = settings
            .drop
            .iter()
            .map(
                |&(first, last)| {
                    if first == last { format!("{first}") } else { format!("{first}-{last}") }
                },
            )
            .collect();
        parts.push(format!("drop {}", list.join(",")));
    }
    if let Some(model) = settings.burst {
        parts.push(format!(
            "burst {}/{}/{} (about {} lost)",
            percent(model.enter),
            percent(model.leave),
            percent(model.loss_in_bad),
            percent(model.mean_loss())
        ));
    }
    if settings.loss > 0.0 {
        parts.push(format!("loss {}", percent(settings.loss)));
    }
    if let Some(rate) = settings.rate {
        parts.push(format!("rate {rate} B/s (queue {})", settings.queue));
    }
    if !settings.delay.is_zero() || !settings.jitter.is_zero() {
        parts.push(match settings.jitter.is_zero() {
            true => format!("delay {:?}", settings.delay),
            false => format!("delay {:?}±{:?}", settings.delay, settings.jitter),
        });
    }
    if settings.duplicate > 0.0 {
        parts.push(format!("duplicate {}", percent(settings.duplicate)));
    }
    if settings.reorder > 0.0 {
        parts.push(format!(
            "reorder {} (hold {:?})",
            percent(settings.reorder),
            settings.reorder_hold
        ));
    }
    if parts.is_empty() { "no faults".into() } else { parts.join(", ") }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn options(args: &[&str]) -> Result<Options> {
        let args =
            args.iter().map(|a| a.to_string()).chain(["127.0.0.1:0".into(), "127.0.0.1:9".into()]);
        parse(args).map(|o| o.unwrap())
    }

    fn error(args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        format!("{:#}", parse(args).unwrap_err())
    }

    #[test]
    fn defaults() {
        let o = options(&[]).unwrap();
        assert_eq!(o.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(o.upstream, "127.0.0.1:9".parse().unwrap());
        assert_eq!((o.seed, o.duration, o.idle, o.count, o.quiet), (0, None, None, None, false));
        assert!(o.up.is_perfect() && o.down.is_perfect());
    }

    #[test]
    fn help() {
        assert_eq!(parse(["--help".to_string()]).unwrap(), None);
        assert_eq!(parse(["-h".to_string()]).unwrap(), None);
    }

    #[test]
    fn a_value_applies_to_both_directions_and_a_prefix_to_one() {
        let o = options(&["--loss", "30%", "--loss", "down:5%", "--delay=up:5ms±1ms"]).unwrap();
        assert_eq!((o.up.loss, o.down.loss), (0.3, 0.05));
        assert_eq!((o.up.delay, o.up.jitter), (5 * MS, MS));
        assert_eq!((o.down.delay, o.down.jitter), (Duration::ZERO, Duration::ZERO));
        let o =
            options(&["--drop", "down:2,3", "--duplicate", "up:0.1", "--reorder", "50%"]).unwrap();
        assert_eq!((o.up.drop.clone(), o.down.drop.clone()), (vec![], vec![(2, 2), (3, 3)]));
        assert_eq!((o.up.duplicate, o.down.duplicate), (0.1, 0.0));
        assert_eq!((o.up.reorder, o.down.reorder), (0.5, 0.5));
        assert_eq!(o.settings(Direction::Down).reorder, 0.5);
    }

    #[test]
    fn every_option() {
        let o = options(&[
            "--seed",
            "42",
            "--burst",
            "2%/25%",
            "--rate",
            "up:1MB/s",
            "--queue",
            "8",
            "--reorder-hold",
            "30ms",
            "--duration",
            "10s",
            "--idle",
            "3s",
            "--count",
            "7",
            "--log",
            "run.jsonl",
            "--quiet",
        ])
        .unwrap();
        assert_eq!(o.seed, 42);
        let model = GilbertElliott { enter: 0.02, leave: 0.25, loss_in_bad: 1.0 };
        assert_eq!((o.up.burst, o.down.burst), (Some(model), Some(model)));
        assert_eq!((o.up.rate, o.down.rate, o.up.queue), (Some(1_000_000), None, 8));
        assert_eq!(o.down.reorder_hold, 30 * MS);
        assert_eq!((o.duration, o.idle, o.count), (Some(10_000 * MS), Some(3000 * MS), Some(7)));
        assert_eq!(o.log, Some(PathBuf::from("run.jsonl")));
        assert!(o.quiet);
    }

    #[test]
    fn probabilities() {
        assert_eq!(probability("30%", "--loss").unwrap(), 0.3);
        assert_eq!(probability("0.5%", "--loss").unwrap(), 0.005);
        assert_eq!(probability("100%", "--loss").unwrap(), 1.0);
        assert_eq!(probability("0", "--loss").unwrap(), 0.0);
        assert_eq!(probability("0.25", "--loss").unwrap(), 0.25);
        for bad in ["30", "150%", "-1%", "abc", "", "%", "NaN", "1.5"] {
            let message = format!("{:#}", probability(bad, "--loss").unwrap_err());
            assert!(message.contains("--loss expects a probability"), "{bad}: {message}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(time("5ms", "t").unwrap(), 5 * MS);
        assert_eq!(time("1.5s", "t").unwrap(), 1500 * MS);
        assert_eq!(time("250us", "t").unwrap(), Duration::from_micros(250));
        assert_eq!(time("2m", "t").unwrap(), Duration::from_secs(120));
        assert_eq!(time("0", "t").unwrap(), Duration::ZERO);
        for bad in ["5", "ms", "-5ms", "5h", "1e9s", "five s", ""] {
            assert!(time(bad, "t").is_err(), "{bad}");
        }
        assert!(error(&["--idle", "0", "a:1", "b:2"]).contains("--idle expects a time above 0"));
    }

    #[test]
    fn delays() {
        assert_eq!(delay("50ms").unwrap(), (50 * MS, Duration::ZERO));
        assert_eq!(delay("5ms±1ms").unwrap(), (5 * MS, MS));
        assert_eq!(delay("5ms+-500us").unwrap(), (5 * MS, Duration::from_micros(500)));
        assert!(format!("{:#}", delay("5").unwrap_err()).contains("--delay expects a time"));
        assert!(format!("{:#}", delay("5ms±x").unwrap_err()).contains("jitter"));
    }

    #[test]
    fn rates() {
        assert_eq!(rate("125000").unwrap(), 125_000);
        assert_eq!(rate("1MB/s").unwrap(), 1_000_000);
        assert_eq!(rate("64KiB/s").unwrap(), 65_536);
        assert_eq!(rate("10Mbit/s").unwrap(), 1_250_000);
        assert_eq!(rate("8bit/s").unwrap(), 1);
        for bad in ["0", "fast", "1MB", "-5", "1 parsec/s", "0.1B/s"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bursts() {
        let model = burst("2%/25%/80%").unwrap();
        assert_eq!((model.enter, model.leave, model.loss_in_bad), (0.02, 0.25, 0.8));
        assert!(burst("10%").is_err());
        assert!(burst("1%/2%/3%/4%").is_err());
        assert!(burst("1%/x").is_err());
        assert!(format!("{:#}", burst("5%/0%").unwrap_err()).contains("never ends"));
    }

    #[test]
    fn drop_lists() {
        assert_eq!(drop_list("2,3,10-12").unwrap(), [(2, 2), (3, 3), (10, 12)]);
        for bad in ["0", "3-2", "x", "", "1,,2", "-4"] {
            let message = format!("{:#}", drop_list(bad).unwrap_err());
            assert!(message.contains("--drop expects datagram numbers"), "{bad}: {message}");
        }
    }

    #[test]
    fn mistakes_are_one_clear_line() {
        assert!(error(&[]).contains("missing LISTEN"));
        assert!(error(&["127.0.0.1:0"]).contains("missing UPSTREAM"));
        assert!(
            error(&["127.0.0.1:0", "nowhere"]).contains("invalid address \"nowhere\" for UPSTREAM")
        );
        assert!(error(&["a", "b", "c"]).contains("invalid address \"a\" for LISTEN"));
        assert!(error(&["127.0.0.1:0", "127.0.0.1:1", "x"]).contains("unexpected argument \"x\""));
        assert!(error(&["127.0.0.1:0", "127.0.0.1:0"]).contains("not an address a server"));
        assert!(error(&["--lose", "3%"]).contains("unknown option \"--lose\""));
        assert!(error(&["--loss"]).contains("--loss needs a value"));
        assert!(error(&["--count", "0", "a", "b"]).contains("at least 1"));
        assert!(error(&["--queue", "up:0", "a", "b"]).contains("at least 1"));
        assert!(error(&["--seed", "-1", "a", "b"]).contains("--seed expects a whole number"));
        for message in [error(&[]), error(&["--loss", "2"])] {
            assert_eq!(message.lines().count(), 1, "{message}");
        }
    }

    #[test]
    fn settings_in_words() {
        assert_eq!(describe(&Settings::default()), "no faults");
        let o = options(&[
            "--loss",
            "30%",
            "--delay",
            "5ms±1ms",
            "--drop",
            "2,4-6",
            "--reorder",
            "0.5%",
        ])
        .unwrap();
        assert_eq!(
            describe(&o.up),
            "drop 2,4-6, loss 30%, delay 5ms±1ms, reorder 0.5% (hold 10ms)"
        );
        let o =
            options(&["--burst", "2%/25%", "--rate", "1000", "--duplicate", "1%", "--delay", "1s"])
                .unwrap();
        assert_eq!(
            describe(&o.down),
            "burst 2%/25%/100% (about 7.407% lost), rate 1000 B/s (queue 100), delay 1s, duplicate 1%"
        );
    }

    #[test]
    fn usage_lines_fit_a_terminal() {
        for line in USAGE.lines() {
            assert!(line.chars().count() <= 100, "too long: {line}");
        }
    }
}

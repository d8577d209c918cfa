//! `ladder LOG.jsonl [-o OUT.svg] [--title T]`: draws a `lossy-link --log`
//! file as a ladder diagram (SVG). No network: only the log is read.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lossy_link::ladder::{self, Options, READABLE};
use lossy_link::log::{Line, parse_line};

const USAGE: &str = "\
usage: ladder LOG.jsonl [-o OUT.svg] [--title TITLE] [--first N] [--names LEFT,RIGHT] [--no-legend]
Draw the log of `lossy-link --log LOG.jsonl` as a ladder diagram: the client on the left, the
server on the right, time running down, each datagram an arrow from when it reached the proxy to
when it left it, a dropped one a line ending in a cross half way. rudp datagrams are labelled
from their header (SYN, DATA seq, ACK ack, FIN, ABORT), a retransmission (the same number again)
in orange; anything else by its size. Writes to OUT.svg, or to stdout without -o.
  --first N            only the first N datagrams (beyond about 60 the picture gets tall)
  --names LEFT,RIGHT   the time lines' names (default client,server; e.g. sender,receiver)
  --no-legend          no legend below (say it in the caption instead)";
const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut options = Options::default();
    let (mut input, mut output) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value =
            |name: &str| args.next().with_context(|| format!("{name} needs a value (try --help)"));
        match arg.as_str() {
            "--help" | "-h" => return writeln!(std::io::stdout(), "{USAGE}").context(STDOUT),
            "-o" | "--output" => output = Some(PathBuf::from(value(&arg)?)),
            "--title" => options.title = Some(value(&arg)?),
            "--first" => {
                let text = value(&arg)?;
                let first: usize = text.parse().ok().filter(|&n| n > 0).with_context(|| {
                    format!("--first expects a number of datagrams from 1, got {text:?}")
                })?;
                options.first = Some(first);
            }
            "--names" => {
                let text = value(&arg)?;
                let Some((left, right)) = text.split_once(',') else {
                    bail!("--names expects LEFT,RIGHT (e.g. sender,receiver), got {text:?}");
                };
                options.names = [left.to_string(), right.to_string()];
            }
            "--no-legend" => options.legend = false,
            flag if flag.starts_with('-') && flag.len() > 1 => {
                bail!("unknown option {flag:?} (try --help)")
            }
            _ if input.is_some() => bail!("unexpected argument {arg:?} (one LOG file; try --help)"),
            _ => input = Some(PathBuf::from(arg)),
        }
    }
    let input = input.context("missing LOG (usage: ladder LOG.jsonl [-o OUT.svg]; try --help)")?;
    let text = std::fs::read_to_string(&input)
        .with_context(|| format!("cannot read the log {}", input.display()))?;
    let mut records = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Ok(Line::Datagram(record)) => records.push(record),
            Ok(Line::Summary) => {}
            Err(why) => bail!(
                "{}:{}: not a lossy-link log line ({why}); make one with: lossy-link --log FILE",
                input.display(),
                number + 1
            ),
        }
    }
    if records.is_empty() {
        bail!("{} holds no datagram: nothing to draw", input.display());
    }
    if records.len() > READABLE && options.first.is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "note: {} datagrams make a tall diagram; --first {READABLE} draws only the first ones",
            records.len()
        );
    }
    let svg = ladder::render(&records, &options);
    match output {
        Some(path) => std::fs::write(&path, svg)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().write_all(svg.as_bytes()).context(STDOUT)?,
    }
    Ok(())
}

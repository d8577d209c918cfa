//! Exercise safe-path: read candidate file names on stdin, one per line, and
//! say for each whether a receiver may create it in its target directory.
//! Check your work with `cargo lab check safe-path`; stuck? `cargo lab hint safe-path`.
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

/// Why `name` must not be created in the target directory, or `None` if it may.
fn refusal(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("the name is empty");
    }
    // TODO: longer than 255 bytes; `.` and `..`.
    if name.contains('/') {
        return Some("a path, not a name: it contains `/`");
    }
    // TODO: the statement's other rules: `\`, `:`, control characters, a dot
    // or a space at the end, the device names of Windows.
    None
}

fn main() -> ExitCode {
    let Err(error) = run() else { return ExitCode::SUCCESS };
    let _ = writeln!(std::io::stderr(), "error: {error:#}");
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let name = line.context("cannot read standard input (is it UTF-8?)")?;
        match refusal(&name) {
            None => writeln!(out, "ok {name}"),
            Some(reason) => writeln!(out, "refused: {reason}"),
        }
        .context("cannot write to standard output")?;
    }
    Ok(())
}

//! Exercise safe-path: read candidate file names on stdin, one per line, and
//! say for each whether a receiver may create it in its target directory.
//! Reference solution.
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

/// The longest name most file systems take, in bytes (ext4, NTFS in UTF-16 units, APFS).
const MAX_NAME: usize = 255;

/// Names Windows gives to devices, in any case, with or without an extension.
const DEVICES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Why `name` must not be created in the target directory, or `None` if it may.
fn refusal(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("the name is empty");
    }
    if name.len() > MAX_NAME {
        return Some("the name is longer than 255 bytes");
    }
    if name == "." || name == ".." {
        return Some("`.` and `..` are directories, not file names");
    }
    if name.contains(['/', '\\']) {
        return Some("a path, not a name: it contains `/` or `\\`");
    }
    if name.contains(':') {
        return Some("it contains `:` (a drive letter, or an NTFS stream, on Windows)");
    }
    if name.chars().any(char::is_control) {
        return Some("it contains a control character");
    }
    if name.ends_with(['.', ' ']) {
        return Some("it ends with a dot or a space, which Windows drops");
    }
    let stem = name.split('.').next().unwrap_or(name);
    if DEVICES.iter().any(|device| stem.eq_ignore_ascii_case(device)) {
        return Some("a device name on Windows");
    }
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

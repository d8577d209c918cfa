//! Building exercises with cargo, and reading what it says about each one.
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::Value;

/// What one `cargo build` produced, by package (exercise id).
#[derive(Debug, Default)]
pub struct Built {
    /// The executable of every package that built.
    pub exes: BTreeMap<String, PathBuf>,
    /// The compiler's errors (rendered as rustc prints them) of every package that did not.
    pub errors: BTreeMap<String, String>,
    /// The compiler's warnings, by package.
    pub warnings: BTreeMap<String, String>,
    /// cargo's own stderr (e.g. a broken Cargo.toml), last 4 KiB.
    pub stderr: String,
    /// The build was stopped because it took longer than allowed.
    pub timed_out: bool,
}

/// Builds `packages` of the workspace at `manifest`, going on past packages
/// that fail, for at most `timeout`. `target_dir` overrides cargo's.
pub fn build(
    manifest: &Path,
    packages: &[&str],
    target_dir: Option<&Path>,
    timeout: Duration,
) -> Result<Built> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--keep-going", "--message-format=json", "--manifest-path"]);
    command.arg(manifest);
    for package in packages {
        command.args(["--package", package]);
    }
    if let Some(dir) = target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    // Debug info only slows the build down here; warnings are shown, not fatal.
    command.env("CARGO_PROFILE_DEV_DEBUG", "0").env_remove("RUSTFLAGS");
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0); // to kill rustc too
    let mut child = command.spawn().context("cannot run cargo (is Rust installed and on PATH?)")?;
    let stdout = child.stdout.take().context("cargo's stdout")?;
    let mut stderr = child.stderr.take().context("cargo's stderr")?;
    let messages = thread::spawn(move || read_messages(stdout));
    let errors = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + timeout;
    let timed_out = loop {
        match child.try_wait() {
            Ok(Some(_)) => break false,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                kill_tree(&mut child);
                break true;
            }
            Err(error) => return Err(error).context("cannot wait for cargo"),
        }
    };
    let mut built = messages.join().unwrap_or_default();
    let stderr = errors.join().unwrap_or_default();
    built.stderr = tail(&stderr, 4096);
    built.timed_out = timed_out;
    Ok(built)
}

fn read_messages(stdout: impl Read) -> Built {
    let mut built = Built::default();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        let Ok(message) = serde_json::from_str::<Value>(&line) else { continue };
        let name = message["target"]["name"].as_str().unwrap_or_default().to_string();
        match message["reason"].as_str() {
            Some("compiler-artifact") => {
                if let Some(exe) = message["executable"].as_str() {
                    built.exes.insert(name, PathBuf::from(exe));
                }
            }
            Some("compiler-message") => {
                let rendered = message["message"]["rendered"].as_str().unwrap_or_default();
                let list = match message["message"]["level"].as_str() {
                    Some("error") => &mut built.errors,
                    Some("warning") => &mut built.warnings,
                    _ => continue,
                };
                list.entry(name).or_default().push_str(rendered);
            }
            _ => {}
        }
    }
    built
}

fn kill_tree(child: &mut Child) {
    #[cfg(unix)]
    let _ = Command::new("kill").arg("-KILL").arg(format!("-{}", child.id())).status();
    #[cfg(windows)]
    let _ = Command::new("taskkill").args(["/F", "/T", "/PID", &child.id().to_string()]).output();
    let _ = child.kill();
    let _ = child.wait();
}

/// The last `max` bytes of `text`, cut at a character boundary.
pub fn tail(text: &str, max: usize) -> String {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

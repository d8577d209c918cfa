//! `cargo run -p demo`: see the tutorial's four programs talk.
//!
//! Builds tcp-server, tcp-client, udp-server and udp-client, starts each server
//! on a free loopback port, runs its client against it and shows what both
//! sides printed. It is a Rust program, not a shell script, so that the
//! README's first command works the same in PowerShell, cmd, bash and zsh.
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: demo [--bin-dir DIR]\n\
    Build the four programs (or use those in DIR), run each server and its client on 127.0.0.1, show both sides.";

/// The four programs, by package name; each package's binary has the same name.
const PROGRAMS: [&str; 4] = ["tcp-server", "tcp-client", "udp-server", "udp-client"];

/// The longest the demo waits for a server to print a line.
const WAIT: Duration = Duration::from_secs(15);

const STDOUT: &str = "cannot write to stdout";

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    // `cargo run -p demo | head -1`: the reader has seen enough; that is no error.
    if error.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) {
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(io::stderr(), "error: {error:#}"); // eprintln! panics on a closed pipe
    ExitCode::FAILURE
}

fn run() -> Result<()> {
    let mut out = io::stdout().lock();
    // args_os, not args: a directory name that is not UTF-8 must not panic.
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let programs = match (args.first().and_then(|arg| arg.to_str()), args.len()) {
        (None, 0) => {
            writeln!(out, "building the four programs (cargo build)…").context(STDOUT)?;
            build()?
        }
        (Some("--help" | "-h"), 1) => return writeln!(out, "{USAGE}").context(STDOUT),
        (Some("--bin-dir"), 2) => find_in(Path::new(&args[1]))?,
        _ => bail!("unexpected arguments {args:?} (usage: demo [--bin-dir DIR])"),
    };

    for (protocol, server, client, answer) in [
        ("TCP", "tcp-server", "tcp-client", "Received:"),
        ("UDP", "udp-server", "udp-client", "Received from"),
    ] {
        // Both ways of finding the programs return all four, so indexing cannot fail.
        // Dropping `running` at the end of the loop body, or on any `?`, kills the server.
        let mut running = Server::start(server, &programs[server])?;
        let listening = running.wait_for("Listening on ")?;
        let address = listening.trim_start_matches("Listening on ").to_owned();

        writeln!(out, "\n── {protocol} ─────────────────────────────────────────────")
            .context(STDOUT)?;
        writeln!(out, "client (cargo run -p {client} -- {address}):").context(STDOUT)?;
        for line in run_client(client, &programs[client], &address)? {
            writeln!(out, "    {line}").context(STDOUT)?;
        }
        running.wait_for(answer)?;
        writeln!(out, "server (cargo run -p {server} -- 127.0.0.1:0):").context(STDOUT)?;
        for line in &running.printed {
            writeln!(out, "    {line}").context(STDOUT)?;
        }
    }
    writeln!(out, "\nBoth servers stopped. Run them yourself in two terminals: see README.md.")
        .context(STDOUT)
}

/// Builds the four programs and asks cargo where it put them: cargo knows the
/// target directory (CARGO_TARGET_DIR, build.target-dir), the profile and the
/// `.exe` suffix on Windows, so the demo never guesses a path.
fn build() -> Result<BTreeMap<String, PathBuf>> {
    // `cargo run` tells us which cargo started us; a demo binary run by hand uses the one on PATH.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // The workspace this demo was compiled from, so it builds from any directory.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let mut command = Command::new(&cargo);
    command.args(["build", "--quiet", "--message-format=json-render-diagnostics"]);
    command.arg("--manifest-path").arg(&manifest);
    for package in PROGRAMS {
        command.args(["-p", package]);
    }
    if !cfg!(debug_assertions) {
        command.arg("--release"); // `cargo run --release -p demo` shows release builds
    }
    // Compiler messages go to our stderr, rendered for a person; stdout is JSON for us.
    let output = command.stderr(Stdio::inherit()).output().with_context(|| {
        let cargo = Path::new(&cargo).display();
        format!("cannot run {cargo} (is Rust installed? see https://rustup.rs)")
    })?;
    if !output.status.success() {
        bail!("cargo build failed ({}): see cargo's messages above", output.status);
    }
    let mut programs = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let name = message["target"]["name"].as_str().unwrap_or_default();
        // Each built binary is one `compiler-artifact` message; libraries have no `executable`.
        if message["reason"] == "compiler-artifact"
            && PROGRAMS.contains(&name)
            && let Some(executable) = message["executable"].as_str()
        {
            programs.insert(name.to_owned(), PathBuf::from(executable));
        }
    }
    if let Some(missing) = PROGRAMS.iter().find(|name| !programs.contains_key(**name)) {
        bail!("cargo build did not say where it put {missing} (try `cargo build -p {missing}`)");
    }
    Ok(programs)
}

/// The four programs already built in `dir` (the tests use this: a `cargo
/// build` inside `cargo test` would block on the build directory's lock).
fn find_in(dir: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let mut programs = BTreeMap::new();
    for name in PROGRAMS {
        let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        if !path.is_file() {
            bail!(
                "no {name} in {} (build the four programs with `cargo build`, or leave out --bin-dir)",
                dir.display()
            );
        }
        programs.insert(name.to_owned(), path);
    }
    Ok(programs)
}

/// Runs a client against `address` and returns the lines it printed. The
/// clients give up by themselves after 5 s, so this wait is bounded too.
fn run_client(name: &str, program: &Path, address: &str) -> Result<Vec<String>> {
    let output = Command::new(program)
        .arg(address)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let said = stderr.trim().trim_start_matches("error: ");
        bail!("{name} {address} failed ({}): {said}", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    Ok(stdout.lines().chain(stderr.lines()).map(str::to_owned).collect())
}

/// A running server, killed when dropped, so no way out of `run` leaves one
/// behind. (Ctrl+C reaches the servers too: the terminal sends it to them all.)
#[derive(Debug)]
struct Server {
    name: &'static str,
    child: Child,
    /// Lines from the server's stdout and stderr, as they come.
    lines: Receiver<String>,
    /// What the server has printed so far.
    printed: Vec<String>,
}

impl Server {
    fn start(name: &'static str, program: &Path) -> Result<Self> {
        let mut child = Command::new(program)
            .arg("127.0.0.1:0") // port 0: the system picks a free one, so no clash with yours
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let (sender, lines) = channel();
        // One thread per pipe: a single thread reading both could block on the quiet one.
        if let Some(stdout) = child.stdout.take() {
            forward(stdout, sender.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            forward(stderr, sender);
        }
        Ok(Self { name, child, lines, printed: Vec::new() })
    }

    /// Waits (at most [`WAIT`]) for a line that starts with `prefix`, and returns it.
    fn wait_for(&mut self, prefix: &str) -> Result<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.printed.push(line.clone());
                    if line.starts_with(prefix) {
                        return Ok(line);
                    }
                }
                Err(error) => {
                    let what = match error {
                        RecvTimeoutError::Timeout => {
                            format!("printed no {prefix:?} line within {WAIT:?}")
                        }
                        RecvTimeoutError::Disconnected => {
                            format!("exited before printing {prefix:?}")
                        }
                    };
                    let printed = match self.printed.join(" | ") {
                        text if text.is_empty() => "nothing".to_owned(),
                        text => format!("{text:?}"),
                    };
                    let name = self.name;
                    bail!(
                        "{name} {what} (it printed {printed}; try it by hand: cargo run -p {name})"
                    )
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill(); // fails only if it has already exited
        let _ = self.child.wait();
    }
}

/// Sends each line of `pipe` to `sender` until the process closes the pipe.
fn forward(pipe: impl Read + Send + 'static, sender: Sender<String>) {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
}

//! Runs the real `demo` binary with `--bin-dir`, on the four programs that
//! `cargo test --workspace` has built next to it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use testkit::assert_clean_failure;

const DEMO: &str = env!("CARGO_BIN_EXE_demo");

/// Long enough for both servers' waits and both clients, each bounded by the demo itself.
const DEMO_TIMEOUT: Duration = Duration::from_secs(60);

/// The profile directory holding the four programs, or `None` (with a visible
/// note) when `cargo test -p demo` alone has not built them.
fn bin_dir() -> Option<PathBuf> {
    // <target>/<profile>/deps/demo-xxxx → <target>/<profile>
    let test_exe = std::env::current_exe().unwrap();
    let profile_dir = test_exe.parent().and_then(|deps| deps.parent()).unwrap().to_path_buf();
    let missing: Vec<&str> = ["tcp-server", "tcp-client", "udp-server", "udp-client"]
        .into_iter()
        .filter(|name| {
            !profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)).is_file()
        })
        .collect();
    if missing.is_empty() {
        return Some(profile_dir);
    }
    eprintln!(
        "SKIPPED: {missing:?} not built in {}; run `cargo test --workspace`",
        profile_dir.display()
    );
    None
}

fn demo(args: &[&std::ffi::OsStr]) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::new(DEMO);
    command.args(args).timeout(DEMO_TIMEOUT);
    command
}

#[test]
fn both_sides_of_both_protocols_are_shown() {
    let Some(dir) = bin_dir() else { return };
    demo(&["--bin-dir".as_ref(), dir.as_os_str()])
        .assert()
        .success()
        .stdout(predicate::str::contains("Received: Hello, Client!"))
        .stdout(predicate::str::contains("Received: Hello, Server!"))
        .stdout(predicate::str::contains("Received: Hello, UDP!"))
        .stdout(
            predicate::str::is_match(r"Received from 127\.0\.0\.1:\d+: Hello, UDP Server!")
                .unwrap(),
        )
        .stdout(predicate::str::contains("cargo run -p tcp-client -- 127.0.0.1:"))
        .stderr("");
}

#[test]
fn an_empty_bin_dir_is_one_clean_error() {
    let empty = std::env::temp_dir().join(format!("demo-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let output = demo(&["--bin-dir".as_ref(), empty.as_os_str()]).output().unwrap();
    std::fs::remove_dir(&empty).unwrap();
    assert_clean_failure(&output, &["no tcp-server in", "--bin-dir"]);
}

#[test]
fn unknown_arguments_are_one_clean_error() {
    let output = demo(&["--frobnicate".as_ref()]).output().unwrap();
    assert_clean_failure(&output, &["unexpected arguments", "usage: demo"]);
}

#[test]
fn help_prints_two_lines_of_usage() {
    testkit::assert_usage(DEMO.as_ref(), "usage: demo [--bin-dir DIR]");
}

/// `demo | head -1`: the reader stops after one line; the demo must not panic.
#[test]
fn closed_stdout_is_no_panic() {
    let Some(dir) = bin_dir() else { return };
    let mut child = Command::new(DEMO)
        .arg("--bin-dir")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    drop(stdout); // every later write of the demo fails: EPIPE (ERROR_NO_DATA on Windows)

    let deadline = Instant::now() + DEMO_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the demo did not exit within {DEMO_TIMEOUT:?} after its stdout closed");
        }
        thread::sleep(Duration::from_millis(10)); // polling an exit, not synchronising
    };
    let stderr = stderr.join().unwrap();
    assert_ne!(status.code(), Some(101), "the demo panicked: {stderr}");
    assert!(!stderr.contains("panicked"), "the demo panicked: {stderr}");
}

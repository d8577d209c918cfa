//! loadgen and bench with a closed stdout, as after `| head -1`: exit code 1
//! and one line `error: cannot write to standard output: …`, no panic.
//!
//! The tests take turns ([`one_at_a_time`]): a process being started by
//! another test in this same program holds, until it has loaded its own
//! binary, a copy of every descriptor this program has, the reading end of
//! our pipe included, and a write into that pipe would then still succeed.
#![allow(clippy::unwrap_used)] // helpers fail the test by panicking, like the tests
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use loadgen::bench::{Results, Settings};
use testkit::TIMEOUT;

const CLOSED: &str = "error: cannot write to standard output: ";

/// Held by each test for its whole run, so that no other test starts a
/// process in the moment a pipe should have no reader.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner) // a failed test does not block the others
}

/// Runs `program` with its stdout a pipe nobody reads, waiting at most
/// TIMEOUT; its output (stderr only).
fn with_closed_stdout(program: &str, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} did not end within {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(10)); // polling an exit, not synchronising
    }
    child.wait_with_output().unwrap()
}

#[test]
fn loadgen_stops_with_one_error_line_when_stdout_is_closed() {
    let _turn = one_at_a_time();
    // A port nobody listens on: the run fails fast, then the report is printed.
    let refused = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    for args in [&[&refused, "-c", "2", "-n", "5"][..], &["--help"]] {
        let output = with_closed_stdout(env!("CARGO_BIN_EXE_loadgen"), args);
        testkit::assert_clean_failure(&output, &[CLOSED]);
    }
}

#[test]
fn bench_stops_with_one_error_line_when_stdout_is_closed() {
    let _turn = one_at_a_time();
    // --report-only renders saved results again, and prints "wrote …" lines.
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bench-closed-stdout-{}", std::process::id()));
    std::fs::create_dir_all(root.join("bench")).unwrap();
    let results = Results {
        machine: vec![],
        settings: Settings { repeats: 1, seconds: 1.0, hello_requests: 1, pinned: false },
        servers: vec![],
        measurements: vec![],
        targets: vec![],
    };
    let json = serde_json::to_string(&results).unwrap();
    std::fs::write(root.join("bench/results.json"), json).unwrap();
    let root_arg = root.display().to_string();
    let output =
        with_closed_stdout(env!("CARGO_BIN_EXE_bench"), &["--report-only", "--root", &root_arg]);
    let _ = std::fs::remove_dir_all(&root);
    testkit::assert_clean_failure(&output, &[CLOSED]);
}

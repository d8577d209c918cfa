//! What the process tests share: one verified transfer from rudp-send to a running rudp-recv.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use testkit::Server;

/// Every run is bounded: a hung transfer fails the test instead of hanging it.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(120);

/// `rudp-recv [ARGS] 127.0.0.1:0`, started and listening.
pub fn receiver(args: &[&str]) -> Server {
    let mut all = args.to_vec();
    all.push("127.0.0.1:0");
    Server::start(cargo_bin!("rudp-recv"), all)
}

/// `rudp-send ARGS`, to its end.
pub fn send(args: &[&str]) -> Output {
    let mut command = assert_cmd::Command::new(cargo_bin!("rudp-send"));
    command.args(args).timeout(TRANSFER_TIMEOUT).output().unwrap()
}

/// Runs `rudp-send ARGS TARGET` (TARGET: `recv` itself or a proxy in front
/// of it) and asserts a verified transfer of `bytes`: both ends succeed and
/// print the same BLAKE3. Returns the sender's statistics line.
pub fn verified_transfer(recv: &mut Server, target: &str, bytes: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--bytes", bytes, target]);
    let output = send(&all);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{args:?}: {output:?}");
    assert!(stdout.starts_with(&format!("Sent {bytes} bytes to {target}")), "{stdout}");
    let sent = stdout.lines().find(|line| line.starts_with("BLAKE3")).unwrap();
    assert!(recv.stdout_line().starts_with("Receiving from 127.0.0.1:"));
    let received = recv.stdout_line();
    assert!(received.starts_with(&format!("Received {bytes} bytes in")), "{received}");
    let verified = recv.stdout_line();
    assert!(verified.ends_with(" verified"), "{verified}");
    assert_eq!(
        sent.split(' ').nth(1),
        verified.split(' ').nth(1),
        "{args:?}: both ends hash the same bytes"
    );
    assert!(recv.wait_for_exit().success(), "{args:?}: the receiver exits 0 when verified");
    stdout.lines().nth(1).unwrap().to_owned()
}

/// The lossy-link binary beside the test's own, or `None` (after saying
/// SKIPPED) when it is not there: it belongs to another package, built by
/// `cargo test --workspace` or `cargo build -p lossy-link`, not by `-p rudp`.
pub fn lossy_link() -> Option<PathBuf> {
    let test_exe = std::env::current_exe().unwrap();
    let profile_dir = test_exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir.join(format!("lossy-link{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        eprintln!("SKIPPED: {} not built (cargo build -p lossy-link)", path.display());
        return None;
    }
    Some(path)
}

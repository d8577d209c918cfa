//! Both programs with a closed stdout, as after `| head -1` or `| true`:
//! exit code 1 and one line `error: cannot write to standard output: …`, no
//! panic. The receiver stops too: nobody can read its log any more.
//!
//! The tests take turns ([`one_at_a_time`]): a process being started by
//! another test of this program holds, until it has loaded its own binary,
//! a copy of every descriptor we have, the pipe's reading end included.
#![allow(clippy::unwrap_used)]
mod common;

use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};

use common::{RECEIVER, SENDER, TempDir, receiver};
use testkit::{assert_clean_failure, output_with_closed_stdout};

fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

#[test]
fn help_and_listening_on_a_closed_stdout_are_one_error() {
    let _turn = one_at_a_time();
    let dir = TempDir::new("closed-first");
    testkit::assert_first_line_on_closed_stdout_is_one_error(
        RECEIVER,
        &[&["--help"], &["--dir", dir.arg(), "127.0.0.1:0"]],
    );
    testkit::assert_first_line_on_closed_stdout_is_one_error(SENDER, &[&["--help"]]);
}

#[test]
fn the_receiver_stops_when_its_log_has_no_reader() {
    let _turn = one_at_a_time();
    let dir = TempDir::new("closed-receiver");
    testkit::assert_server_stops_on_closed_stdout(RECEIVER, &["--dir", dir.arg(), "127.0.0.1:0"]);
    assert!(dir.entries().is_empty());
}

#[test]
fn the_sender_reports_a_closed_stdout_after_a_good_transfer() {
    let _turn = one_at_a_time();
    let (source, target) = (TempDir::new("closed-src"), TempDir::new("closed-dst"));
    let server = receiver(&target, &[]);
    let mut command = Command::new(SENDER);
    command.arg(source.file("a.bin", 1000)).arg(server.address().to_string());
    let output = output_with_closed_stdout(command);
    assert_clean_failure(&output, &["cannot write to standard output"]);
    assert_eq!(target.entries(), ["a.bin"], "the transfer itself succeeded");
}

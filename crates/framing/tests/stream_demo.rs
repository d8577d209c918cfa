//! The byte-stream demonstration, run as the reader runs it.
#![allow(clippy::unwrap_used)] // helpers fail the test by panicking, like the tests
use assert_cmd::Command;
use predicates::prelude::*;
use testkit::TIMEOUT;

const DEMO: &str = env!("CARGO_BIN_EXE_stream-demo");

#[test]
fn two_writes_come_out_of_one_read_and_one_write_out_of_four() {
    let expected = "\
== two writes, one read ==
sender:   wrote 7 bytes \"Hello, \"
sender:   wrote 7 bytes \"Server!\"
receiver: read #1 returned 14 bytes \"Hello, Server!\"
== one write, many reads ==
sender:   wrote 50000 bytes
receiver: read #1 returned 16384 bytes (total 16384)
receiver: read #2 returned 16384 bytes (total 32768)
receiver: read #3 returned 16384 bytes (total 49152)
receiver: read #4 returned 848 bytes (total 50000)
";
    Command::new(DEMO).timeout(TIMEOUT).assert().success().stdout(expected);
}

#[test]
fn the_live_run_receives_every_byte_of_the_big_write() {
    Command::new(DEMO).arg("--live").timeout(TIMEOUT).assert().success().stdout(
        predicate::str::is_match(r"\n1048576 bytes from 1 write came out of \d+ reads\n$").unwrap(),
    );
}

#[test]
fn frame_bytes_shows_the_big_endian_prefix() {
    Command::new(testkit::example("frame-bytes"))
        .timeout(TIMEOUT)
        .assert()
        .success()
        .stdout(predicate::str::contains("[00 00 00 05] 48 65 6c 6c 6f\n"))
        .stdout(predicate::str::contains("(to_be_bytes): 00 00 01 2c\n"));
}

#[test]
fn an_unknown_argument_is_reported() {
    Command::new(DEMO)
        .arg("--fast")
        .timeout(TIMEOUT)
        .assert()
        .failure()
        .stderr("error: unknown argument \"--fast\" (try --help)\n");
}

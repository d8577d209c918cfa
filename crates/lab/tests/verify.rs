//! Every exercise of the course: its starter compiles and fails a check, its
#![allow(clippy::unwrap_used)] // a test fails by panicking
//! reference solution passes them all, its files are complete. Run on every
//! system CI has, so the exercises are proven on Windows and macOS too.
use predicates::prelude::*;

#[test]
fn every_starter_fails_and_every_solution_passes() {
    if testkit::under_wine("cargo lab verify runs cargo, which the Wine chroot has only for Linux")
    {
        return;
    }
    assert_cmd::Command::cargo_bin("lab")
        .unwrap()
        .arg("verify")
        .timeout(std::time::Duration::from_secs(900))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("20 exercises verified")
                .and(predicate::str::contains(", 0 failed")),
        );
}

//! `cargo lab` as a student uses it, on a copy of the course's exercises.
#![allow(clippy::unwrap_used)] // a test fails by panicking
mod common;

use common::{Course, lab};
use predicates::prelude::*;

#[test]
fn list_shows_every_exercise_in_both_languages() {
    let course = Course::copy();
    let en = lab(&course).args(["--lang", "en", "list"]).assert().success();
    let en = String::from_utf8_lossy(&en.get_output().stdout).into_owned();
    for id in ["tcp-echo", "udp-retry", "bounded-pool", "percentiles"] {
        assert!(en.contains(id), "{id} missing from:\n{en}");
    }
    assert!(en.contains("0 of 17 passed. Next: cargo lab check tcp-echo"), "{en}");
    lab(&course)
        .args(["--lang", "zh", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("回声服务器").and(predicate::str::contains("· 未开始")));
}

#[test]
fn hints_come_one_at_a_time_and_fit_the_last_failure() {
    if testkit::under_wine("cargo lab check needs cargo, which the Wine chroot has only for Linux")
    {
        return;
    }
    let course = Course::copy();
    // The starter answers with the tutorial's greeting: the check says so and points at hint 1.
    lab(&course)
        .args(["--lang", "en", "check", "tcp-echo"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✗ tcp-echo (An echo server): 1 of 4 checks passed."))
        .stdout(predicate::str::contains("got the tutorial's \"Hello, Client!\""))
        .stdout(predicate::str::contains("Stuck? cargo lab hint tcp-echo"));
    for (n, text) in [(1, "Hint 1/3"), (2, "Hint 2/3"), (3, "Hint 3/3")] {
        lab(&course).args(["--lang", "en", "hint", "tcp-echo"]).assert().success().stdout(
            predicate::str::contains(text)
                .and(predicate::str::contains(format!("{n}/3 (tcp-echo)"))),
        );
    }
    lab(&course)
        .args(["--lang", "zh", "hint", "tcp-echo"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 条提示你都已看过"));
}

#[test]
fn a_solved_exercise_passes_and_the_next_one_comes_up() {
    if testkit::under_wine("cargo lab check needs cargo, which the Wine chroot has only for Linux")
    {
        return;
    }
    let course = Course::copy();
    course.solve("tcp-echo");
    lab(&course)
        .args(["--lang", "en", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("✓ tcp-echo (An echo server): all 4 checks passed."));
    lab(&course)
        .args(["--lang", "en", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 of 17 passed. Next: cargo lab check tcp-peer-port"));
}

#[test]
fn a_compile_error_comes_with_the_compilers_own_words() {
    if testkit::under_wine("cargo lab check needs cargo, which the Wine chroot has only for Linux")
    {
        return;
    }
    let course = Course::copy();
    course.write("tcp-echo", "fn main() {\n    let x: u32 = \"not a number\";\n}\n");
    lab(&course)
        .args(["--lang", "zh", "check", "tcp-echo"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✗ tcp-echo（回声服务器）：编译失败。"))
        .stdout(predicate::str::contains("编译器的报错如下："))
        .stdout(predicate::str::contains("mismatched types"));
}

#[test]
fn a_program_that_hangs_ends_in_a_clear_timeout() {
    if testkit::under_wine("cargo lab check needs cargo, which the Wine chroot has only for Linux")
    {
        return;
    }
    let course = Course::copy();
    course.write("tcp-echo", "fn main() {\n    loop {\n        std::thread::sleep(std::time::Duration::from_secs(1));\n    }\n}\n");
    lab(&course)
        .args(["--lang", "en", "check", "tcp-echo"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("the program printed nothing new for 5 s"))
        .stdout(predicate::str::contains("not run: the program did not get going"));
}

#[test]
fn reset_puts_the_starter_back_and_keeps_the_students_copy() {
    let course = Course::copy();
    course.write("tcp-echo", "// my work\nfn main() {}\n");
    lab(&course)
        .args(["--lang", "en", "reset", "tcp-echo"])
        .assert()
        .success()
        .stdout(predicate::str::contains("is the starter again"));
    let exercise = course.exercise("tcp-echo");
    let starter = std::fs::read(exercise.join("starter").join("main.rs")).unwrap();
    assert_eq!(std::fs::read(exercise.join("src").join("main.rs")).unwrap(), starter);
    let kept = std::fs::read_to_string(exercise.join("src").join("main.rs.bak")).unwrap();
    assert_eq!(kept, "// my work\nfn main() {}\n");
}

#[test]
fn an_unknown_exercise_is_named_with_the_ones_there_are() {
    let course = Course::copy();
    lab(&course).args(["check", "tcp-ech"]).assert().code(1).stdout("").stderr(
        predicate::str::starts_with("error: no exercise called \"tcp-ech\" (there are: tcp-echo,"),
    );
}

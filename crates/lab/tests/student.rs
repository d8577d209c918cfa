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
    assert!(en.contains("0 of 20 passed. Next: cargo lab check tcp-echo"), "{en}");
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
        .stdout(predicate::str::contains("1 of 20 passed. Next: cargo lab check tcp-peer-port"));
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

#[test]
fn watch_checks_again_when_the_file_is_saved() {
    if testkit::under_wine("cargo lab watch needs cargo, which the Wine chroot has only for Linux")
    {
        return;
    }
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let course = Course::copy();
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("lab"));
    command.arg("--course").arg(&course.root).args(["--lang", "en", "watch", "tcp-echo"]);
    command.env("CARGO_TARGET_DIR", course.root.join("target"));
    /// `cargo lab watch` runs until it is killed: killed on drop, pass or fail.
    struct Watch(std::process::Child);
    impl Drop for Watch {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut watch = Watch(
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap(),
    );
    let (lines, seen) = std::sync::mpsc::channel();
    let stdout = watch.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let wait_for = |text: &str| loop {
        match seen.recv_timeout(std::time::Duration::from_secs(120)) {
            Ok(line) if line.contains(text) => return,
            Ok(_) => {}
            Err(error) => panic!("no line with {text:?}: {error}"),
        }
    };
    wait_for("1 of 4 checks passed");
    wait_for("Watching exercises");
    course.solve("tcp-echo"); // "saving" the file
    wait_for("all 4 checks passed");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while watch.0.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "watch did not stop once the exercise passed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn watch_manual_checks_on_enter_and_stops_on_q() {
    if testkit::under_wine("cargo lab watch needs cargo, which the Wine chroot has only for Linux")
    {
        return;
    }
    let course = Course::copy();
    let output = lab(&course)
        .args(["--lang", "en", "watch", "--manual", "tcp-echo"])
        .write_stdin("\nq\n")
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    assert_eq!(
        stdout.matches("1 of 4 checks passed").count(),
        2,
        "checked at start and after Enter:\n{stdout}"
    );
    assert!(stdout.contains("press Enter to check again"), "{stdout}");
}

#[test]
fn a_submission_is_checked_with_the_courses_checks_whatever_it_ships() {
    if testkit::under_wine("cargo lab check needs cargo, which the Wine chroot has only for Linux")
    {
        return;
    }
    let course = Course::copy();
    // A submission (as GitHub Classroom checks it out) with the solution and a
    // checker of its own that would pass anything: only src/ is taken.
    let submission = course.root.join("submission");
    let src = submission.join("exercises").join("tcp-echo").join("src");
    std::fs::create_dir_all(&src).unwrap();
    let solution = course.exercise("tcp-echo").join("solution").join("main.rs");
    std::fs::copy(&solution, src.join("main.rs")).unwrap();
    lab(&course)
        .args(["--lang", "en", "check", "tcp-echo", "--submission"])
        .arg(&submission)
        .assert()
        .success()
        .stdout(predicate::str::contains("✓ tcp-echo (An echo server): all 4 checks passed."));
    std::fs::write(src.join("main.rs"), "fn main() {}\n").unwrap();
    lab(&course)
        .args(["--lang", "en", "check", "tcp-echo", "--submission"])
        .arg(&submission)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✗ tcp-echo (An echo server): 0 of 4 checks passed."));
}

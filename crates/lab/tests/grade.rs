//! The grader on a made-up class with every kind of submission in it.
#![allow(clippy::unwrap_used)] // a test fails by panicking
mod common;

use std::path::Path;

use common::{Course, lab};
use serde_json::Value;

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_kind_of_submission_gets_what_it_deserves_and_twice_the_same() {
    if testkit::under_wine("the grader runs cargo, which the Wine chroot has only for Linux") {
        return;
    }
    let course = Course::copy();
    let (class, grades) = (course.root.join("class"), course.root.join("grades"));
    // 8 students × 2 exercises, the kinds dealt in turn: each of the 8 kinds twice,
    // and student 8 (index 7) also rewrites the checks to pass everything.
    lab(&course)
        .args([
            "make-class",
            "--students",
            "8",
            "--every-kind",
            "--only",
            "tcp-echo,tcp-client-timeout",
        ])
        .arg(&class)
        .assert()
        .success();
    let grade = |out: &Path| {
        lab(&course)
            .args(["--lang", "en", "grade", "--only", "tcp-echo,tcp-client-timeout", "--out"])
            .arg(out)
            .arg(&class)
            .assert()
            .success();
    };
    grade(&grades);
    let expected = read_json(&class.join(".expected.json"));
    let expected = expected.as_object().unwrap();
    assert_eq!(expected.len(), 8);
    for (student, wanted) in expected {
        let report = read_json(&grades.join("students").join(format!("{student}.json")));
        for result in report["exercises"].as_array().unwrap() {
            let id = result["id"].as_str().unwrap();
            let kind = wanted["kinds"][id].as_str().unwrap();
            let (status, points, max) =
                (result["status"].as_str().unwrap(), &result["points"], &result["max"]);
            let why = format!("{student}, {id} ({kind}): {result:#}");
            match kind {
                "correct" => assert!(status == "passed" && points == max, "{why}"),
                "unchanged" => assert!(status == "unchanged" && points == 0, "{why}"),
                "no-compile" => {
                    assert!(status == "does-not-compile" && points == 0, "{why}");
                    assert!(result["reason"]["en"].as_str().unwrap().contains("error"), "{why}");
                }
                _ => assert!(status == "failed" && points == 0, "{why}"),
            }
        }
        let ignored = report["ignored_changes"].as_array().unwrap();
        if wanted["tampered"].as_bool().unwrap() {
            let listed: Vec<&str> = ignored.iter().filter_map(Value::as_str).collect();
            assert!(
                listed.contains(&"crates/lab/src/checks/mod.rs (changed)"),
                "{student}: {listed:?}"
            );
            assert!(
                listed.iter().any(|f| f.ends_with("build.rs (added)")),
                "{student}: {listed:?}"
            );
        } else {
            assert!(ignored.is_empty(), "{student}: {ignored:?}");
        }
    }

    // The spreadsheet: UTF-8 with a BOM, CRLF, Chinese names intact, a quoted comma.
    let csv = std::fs::read(grades.join("grades.csv")).unwrap();
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF", "no byte-order mark");
    let text = std::str::from_utf8(&csv[3..]).unwrap();
    assert!(
        text.starts_with("student,tcp-echo (/4),tcp-client-timeout (/4),total (/8),percent\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\n张伟,"), "{text}");
    assert!(
        "张伟".as_bytes() == b"\xE5\xBC\xA0\xE4\xBC\x9F"
            && csv.windows(6).any(|w| w == "张伟".as_bytes())
    );
    assert_eq!(text.matches("\r\n").count(), 9, "a header and 8 rows: {text}");
    let html = std::fs::read_to_string(grades.join("report.html")).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<tr><th>张伟</th><td class="),
        "{html}"
    );

    // Fairness: the same class graded again (warm cache) gives the same bytes.
    let again = course.root.join("again");
    grade(&again);
    assert_eq!(std::fs::read(again.join("grades.csv")).unwrap(), csv, "a second grading differs");
}

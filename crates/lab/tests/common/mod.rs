//! A throw-away copy of the course's exercises for the tests to change.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().parent().unwrap().to_path_buf()
}

/// `lab --course COPY`.
pub fn lab(course: &Course) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("lab").unwrap();
    command.arg("--course").arg(&course.root).timeout(std::time::Duration::from_secs(600));
    // Each copy builds in its own folder: two copies' `tcp-echo` must not
    // overwrite each other's program, as they would in one shared CARGO_TARGET_DIR.
    command.env("CARGO_TARGET_DIR", course.root.join("target"));
    command
}

/// A copy of `exercises/` (without build output) in a folder removed on drop.
#[derive(Debug)]
pub struct Course {
    pub root: PathBuf,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Course {
    pub fn copy() -> Course {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let copy = std::env::temp_dir().join(format!("lab-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(&root().join("exercises"), &copy.join("exercises"));
        // The grader compares a submission's copy of the checks with the course's.
        copy_dir(&root().join("crates").join("lab"), &copy.join("crates").join("lab"));
        Course { root: copy }
    }

    pub fn exercise(&self, id: &str) -> PathBuf {
        self.root.join("exercises").join(id)
    }

    /// Replaces the student's `src/main.rs`.
    pub fn write(&self, id: &str, code: &str) {
        std::fs::write(self.exercise(id).join("src").join("main.rs"), code).unwrap();
    }

    /// Puts the reference solution in as the student's work.
    pub fn solve(&self, id: &str) {
        let solution =
            std::fs::read_to_string(self.exercise(id).join("solution").join("main.rs")).unwrap();
        self.write(id, &solution);
    }
}

impl Drop for Course {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == ".lab" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

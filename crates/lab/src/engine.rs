//! Grading one submission of some exercises: copy the files a student may
//! change into a clean tree, build it, run the course's own checks.
//!
//! The tree holds the course's `Cargo.toml`s and lock file, never the
//! student's: a submission can change nothing but its exercises' `src/*.rs`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::channel;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::catalog::{Course, Exercise};
use crate::checks;
use crate::lang::Text;
use crate::probe::{Check, Run};
use crate::tr;

/// No check may take longer than this, whatever the program does.
pub const CHECK_LIMIT: Duration = Duration::from_secs(30);
/// Source files larger than this are refused, and more files than [`MAX_FILES`].
const MAX_FILE: u64 = 256 * 1024;
const MAX_FILES: usize = 64;

/// Where an exercise's code comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// `exercises/<id>/starter/`
    Starter,
    /// `exercises/<id>/solution/`
    Solution,
    /// A student's `exercises/` folder: `<dir>/<id>/src/`.
    Submission(PathBuf),
}

/// How an exercise went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Passed,
    Failed,
    DoesNotCompile,
    /// The student's code is the starter's, unchanged.
    Unchanged,
    /// No `src/main.rs` for it in the submission.
    Missing,
    /// Files the grader will not take (too large, too many, not UTF-8).
    Refused,
}

impl Status {
    pub fn describe(self) -> Text {
        match self {
            Status::Passed => Text::new("passed", "通过"),
            Status::Failed => Text::new("failed", "未通过"),
            Status::DoesNotCompile => Text::new("does not compile", "编译失败"),
            Status::Unchanged => {
                Text::new("not attempted (starter unchanged)", "未作答（起始代码未改动）")
            }
            Status::Missing => Text::new("missing", "缺失"),
            Status::Refused => Text::new("refused", "拒收"),
        }
    }
}

/// One check's result.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub name: Text,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<usize>,
}

/// One exercise's result.
#[derive(Clone, Debug, Serialize)]
pub struct ExerciseResult {
    pub id: String,
    pub status: Status,
    pub points: usize,
    pub max: usize,
    /// Why it got no points when no check ran (compiler errors, refused files…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    pub checks: Vec<CheckResult>,
}

impl ExerciseResult {
    fn without_checks(exercise: &Exercise, status: Status, reason: Option<Text>) -> ExerciseResult {
        let max = checks::of(&exercise.id).len();
        ExerciseResult {
            id: exercise.id.clone(),
            status,
            points: 0,
            max,
            reason,
            checks: Vec::new(),
        }
    }
}

/// A clean exercises workspace to build submissions in.
#[derive(Debug)]
pub struct Tree {
    /// `<work>/tree/exercises`
    pub root: PathBuf,
    /// `<work>/target`: kept between runs, so a second grading starts warm.
    pub target: PathBuf,
}

impl Tree {
    /// Makes (or refreshes) the tree under `work` from the course's manifests.
    pub fn new(course: &Course, work: &Path) -> Result<Tree> {
        let root = work.join("tree").join("exercises");
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        let from = course.root.join("exercises");
        for file in ["Cargo.toml", "Cargo.lock"] {
            write_if_changed(&root.join(file), &read(&from.join(file))?)?;
        }
        for exercise in &course.exercises {
            let dir = root.join(&exercise.id);
            std::fs::create_dir_all(dir.join("src"))
                .with_context(|| format!("cannot create {}", dir.display()))?;
            write_if_changed(&dir.join("Cargo.toml"), &read(&exercise.dir.join("Cargo.toml"))?)?;
            // Every member needs a main.rs for cargo to load the workspace, graded or not.
            if !dir.join("src").join("main.rs").exists() {
                let starter = read(&exercise.starter().join("main.rs"))?;
                write_if_changed(&dir.join("src").join("main.rs"), &starter)?;
            }
        }
        Ok(Tree { root, target: work.join("target") })
    }

    pub fn manifest(&self) -> PathBuf {
        self.root.join("Cargo.toml")
    }

    /// Puts `files` (paths relative to `src/`) in as the exercise's `src/`.
    /// Unchanged files keep their time stamps, so cargo does not rebuild them.
    fn place(&self, exercise: &Exercise, files: &BTreeMap<PathBuf, Vec<u8>>) -> Result<()> {
        let src = self.root.join(&exercise.id).join("src");
        for (path, bytes) in files {
            let to = src.join(path);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            write_if_changed(&to, bytes)?;
        }
        for stale in rust_files(&src)?.into_keys().filter(|path| !files.contains_key(path)) {
            std::fs::remove_file(src.join(&stale))
                .with_context(|| format!("cannot remove {}", stale.display()))?;
        }
        Ok(())
    }
}

/// The `.rs` files of `source` for `exercise`, or why there are none to take.
pub fn files_of(
    exercise: &Exercise,
    source: &Source,
) -> Result<BTreeMap<PathBuf, Vec<u8>>, (Status, Text)> {
    let dir = match source {
        Source::Starter => exercise.starter(),
        Source::Solution => exercise.solution(),
        Source::Submission(root) => root.join(&exercise.id).join("src"),
    };
    if !dir.join("main.rs").is_file() {
        let shown = dir.join("main.rs").display().to_string();
        return Err((Status::Missing, tr!("there is no {shown}", "没有找到 {shown}")));
    }
    let files = rust_files(&dir).map_err(|e| {
        (Status::Refused, tr!("cannot read the files: {e:#}", "无法读取文件：{e:#}"))
    })?;
    if files.len() > MAX_FILES {
        let n = files.len();
        return Err((
            Status::Refused,
            tr!(
                "{n} .rs files is more than {MAX_FILES}",
                "{n} 个 .rs 文件，超过了上限 {MAX_FILES} 个"
            ),
        ));
    }
    let mut taken = BTreeMap::new();
    for (path, size) in files {
        if size > MAX_FILE {
            let shown = path.display().to_string();
            return Err((
                Status::Refused,
                tr!("{shown} is larger than 256 KiB", "{shown} 超过了 256 KiB"),
            ));
        }
        let shown = path.display().to_string();
        let bytes = std::fs::read(dir.join(&path)).map_err(|e| {
            (Status::Refused, tr!("cannot read {shown}: {e}", "无法读取 {shown}：{e}"))
        })?;
        taken.insert(path, bytes);
    }
    Ok(taken)
}

/// The regular `.rs` files under `dir` (symbolic links are not followed), with their sizes.
fn rust_files(dir: &Path) -> Result<BTreeMap<PathBuf, u64>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let entries = std::fs::read_dir(dir.join(&relative))
            .with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = relative.join(entry.file_name());
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|ext| ext == "rs") {
                found.insert(path, entry.metadata()?.len());
            }
            if found.len() > MAX_FILES {
                return Ok(found);
            }
        }
    }
    Ok(found)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// A submission's exercises placed in the tree and built: what is left to check.
#[derive(Debug)]
pub struct Prepared {
    /// The executables to check, copied out of the tree (the next build overwrites it).
    pub ready: Vec<(Exercise, PathBuf)>,
    /// The exercises already decided (not compiling, missing, unchanged, refused).
    pub done: Vec<ExerciseResult>,
}

/// Places and builds `exercises` of `source`; the executables go to `bin`.
pub fn prepare(
    tree: &Tree,
    exercises: &[Exercise],
    source: &Source,
    bin: &Path,
    build_limit: Duration,
) -> Result<Prepared> {
    let mut done = Vec::new();
    let mut to_build = Vec::new();
    for exercise in exercises {
        let files = match files_of(exercise, source) {
            Ok(files) => files,
            Err((status, reason)) => {
                done.push(ExerciseResult::without_checks(exercise, status, Some(reason)));
                continue;
            }
        };
        if !matches!(source, Source::Starter)
            && files_of(exercise, &Source::Starter).is_ok_and(|s| s == files)
        {
            done.push(ExerciseResult::without_checks(exercise, Status::Unchanged, None));
            continue;
        }
        tree.place(exercise, &files)?;
        to_build.push(exercise);
    }
    let mut ready = Vec::new();
    if to_build.is_empty() {
        return Ok(Prepared { ready, done });
    }
    let names: Vec<&str> = to_build.iter().map(|e| e.id.as_str()).collect();
    let built = crate::compile::build(&tree.manifest(), &names, Some(&tree.target), build_limit)?;
    std::fs::create_dir_all(bin).with_context(|| format!("cannot create {}", bin.display()))?;
    for exercise in to_build {
        let Some(exe) = built.exes.get(&exercise.id) else {
            let reason = if built.timed_out {
                let secs = build_limit.as_secs();
                tr!(
                    "the build took longer than {secs} s and was stopped",
                    "构建超过 {secs} 秒，已被终止"
                )
            } else {
                let errors =
                    built.errors.get(&exercise.id).cloned().unwrap_or_else(|| built.stderr.clone());
                Text::new(errors.clone(), errors)
            };
            done.push(ExerciseResult::without_checks(
                exercise,
                Status::DoesNotCompile,
                Some(reason),
            ));
            continue;
        };
        let copy = bin.join(exe.file_name().unwrap_or(exercise.id.as_ref()));
        std::fs::copy(exe, &copy)
            .with_context(|| format!("cannot copy {} to {}", exe.display(), copy.display()))?;
        ready.push((exercise.clone(), copy));
    }
    Ok(Prepared { ready, done })
}

/// Runs the course's checks of `exercise` on `exe`, in the scratch folder `scratch`.
pub fn check(exercise: &Exercise, exe: &Path, scratch: &Path) -> ExerciseResult {
    let list = checks::of(&exercise.id);
    let result = |check: &Check, outcome: crate::probe::Outcome| {
        let name = Text::new(check.en, check.zh);
        match outcome {
            Ok(()) => CheckResult { name, passed: true, message: None, hint: None },
            Err(failure) => CheckResult {
                name,
                passed: false,
                message: Some(failure.message),
                hint: failure.hint,
            },
        }
    };
    // The first check alone: when the program does not even get going, the
    // others would only fail the same way, slowly. Then the rest side by side
    // (each starts its own copy of the program), so a program that hangs costs
    // one wait, not one per check.
    let mut results = Vec::new();
    let Some((first, rest)) = list.split_first() else {
        return ExerciseResult::without_checks(exercise, Status::Failed, None);
    };
    let outcome = run_one(first, exe, &scratch.join("1"));
    let fatal = outcome.as_ref().is_err_and(|failure| failure.fatal);
    results.push(result(first, outcome));
    if fatal {
        let skipped = Text::new(
            "not run: the program did not get going (see the first check)",
            "未运行：程序没能正常启动（见第一项检查）",
        );
        for check in rest {
            let mut skipped_result = result(check, Ok(()));
            (skipped_result.passed, skipped_result.message) = (false, Some(skipped.clone()));
            results.push(skipped_result);
        }
    } else {
        let outcomes: Vec<_> = thread::scope(|scope| {
            let running: Vec<_> = rest
                .iter()
                .enumerate()
                .map(|(n, check)| {
                    scope.spawn(move || run_one(check, exe, &scratch.join((n + 2).to_string())))
                })
                .collect();
            running.into_iter().map(|handle| handle.join()).collect()
        });
        for (check, outcome) in rest.iter().zip(outcomes) {
            let outcome = outcome.unwrap_or_else(|_| {
                Err(crate::probe::Failure::new(Text::new(
                    "the check itself failed",
                    "检查程序本身出错了",
                )))
            });
            results.push(result(check, outcome));
        }
    }
    let points = results.iter().filter(|r| r.passed).count();
    let status = if points == list.len() { Status::Passed } else { Status::Failed };
    ExerciseResult {
        id: exercise.id.clone(),
        status,
        points,
        max: list.len(),
        reason: None,
        checks: results,
    }
}

/// Runs one check on its own thread, for at most [`CHECK_LIMIT`].
fn run_one(check: &Check, exe: &Path, scratch: &Path) -> crate::probe::Outcome {
    let _ = std::fs::create_dir_all(scratch);
    let run = Arc::new(Run::new(exe, scratch));
    let (done, result) = channel();
    let (worker, body) = (Arc::clone(&run), check.run);
    thread::spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&worker)));
        let _ = done.send(outcome);
    });
    let outcome = match result.recv_timeout(CHECK_LIMIT) {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Err(crate::probe::Failure::new(Text::new(
            "the check itself failed (a bug in the course: please report it)",
            "检查程序本身出错了（这是课程的缺陷，请报告）",
        ))),
        Err(_) => {
            let secs = CHECK_LIMIT.as_secs();
            Err(crate::probe::Failure::new(tr!(
                "timed out after {secs} s: the check was stopped",
                "{secs} 秒后超时：检查已被终止"
            )))
        }
    };
    run.kill_all();
    let _ = std::fs::remove_dir_all(scratch); // whatever the program wrote there
    outcome
}

/// Checks each built exercise in `ready`, `jobs` at a time (checks mostly
/// wait on sockets and timers, so more jobs than cores is right).
pub fn check_many(
    ready: &[(Exercise, PathBuf)],
    scratch: &Path,
    jobs: usize,
) -> Vec<ExerciseResult> {
    let queue = std::sync::Mutex::new(ready.iter());
    let results = std::sync::Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, ready.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut queue| queue.next());
                    let Ok(Some((exercise, exe))) = next else { return };
                    let result = check(exercise, exe, &scratch.join(&exercise.id));
                    if let Ok(mut results) = results.lock() {
                        results.push(result);
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

/// Jobs for [`check_many`] when nobody says: two per core.
pub fn default_jobs() -> usize {
    // Each exercise runs its checks side by side too: with 2 cores, 4 exercises
    // at once means up to about 20 programs, well inside 256 open files.
    thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

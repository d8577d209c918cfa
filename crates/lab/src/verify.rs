//! `cargo lab verify`: every exercise is whole, its starter compiles and
//! fails, its reference solution passes every check. CI runs it.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::catalog::{Course, Exercise};
use crate::engine::{self, ExerciseResult, Prepared, Source, Status, Tree};
use crate::lang::Lang;
use crate::lang::Text;

const BUILD_LIMIT: Duration = Duration::from_secs(900);

/// Where verify builds: `$CARGO_TARGET_DIR/lab-verify`, else `target/lab-verify`.
fn work_dir(course: &Course) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| course.root.join("target"));
    target.join("lab-verify")
}

/// The programs in `dir`, one `<id>` (`<id>.exe` on Windows) per exercise.
fn prebuilt_programs(exercises: &[Exercise], dir: &Path) -> Prepared {
    let (mut ready, mut done) = (Vec::new(), Vec::new());
    for exercise in exercises {
        let exe = dir.join(&exercise.id).with_extension(std::env::consts::EXE_EXTENSION);
        if exe.is_file() {
            ready.push((exercise.clone(), exe));
        } else {
            let shown = exe.display().to_string();
            let reason = Text::new(format!("no program {shown}"), format!("没有程序 {shown}"));
            let max = crate::checks::of(&exercise.id).len();
            let (id, status) = (exercise.id.clone(), Status::Missing);
            done.push(ExerciseResult {
                id,
                status,
                points: 0,
                max,
                reason: Some(reason),
                checks: Vec::new(),
            });
        }
    }
    Prepared { ready, done }
}

/// What is wrong with an exercise's files, before anything is built.
fn problems(exercise: &Exercise) -> Vec<String> {
    let mut found = Vec::new();
    for lang in [Lang::En, Lang::Zh] {
        if !exercise.statement(lang).is_file() {
            found.push(format!("no statement {}", exercise.statement(lang).display()));
        }
    }
    if !(2..=3).contains(&exercise.hints.len()) {
        found.push(format!("{} hints (2 or 3 wanted)", exercise.hints.len()));
    }
    if exercise.hints.iter().any(|hint| hint.en.trim().is_empty() || hint.zh.trim().is_empty()) {
        found.push("a hint is empty in one language".into());
    }
    if crate::checks::of(&exercise.id).is_empty() {
        found.push("no checks in crates/lab/src/checks/".into());
    }
    let (src, starter) =
        (std::fs::read(exercise.main_rs()), std::fs::read(exercise.starter().join("main.rs")));
    if !matches!((src, starter), (Ok(a), Ok(b)) if a == b) {
        found.push("src/main.rs is not the same as starter/main.rs (run `cargo lab reset` before committing)".into());
    }
    found
}

/// Runs `source` of `exercises` through the grader's own path.
fn grade(
    course: &Course,
    exercises: &[Exercise],
    source: &Source,
    name: &str,
    prebuilt: Option<&Path>,
) -> Result<Vec<ExerciseResult>> {
    let work = work_dir(course).join(name);
    let prepared = match prebuilt {
        Some(dir) => prebuilt_programs(exercises, &dir.join(name)),
        None => {
            let tree = Tree::new(course, &work)?;
            engine::prepare(&tree, exercises, source, &work.join("bin"), BUILD_LIMIT)?
        }
    };
    let mut results = prepared.done;
    results.extend(engine::check_many(&prepared.ready, &work.join("run"), engine::default_jobs()));
    Ok(results)
}

/// The compiler's warnings about the reference solution, kept by `grade` in
/// the solution tree's build (a second, no-op build reads them back).
fn solution_warnings(course: &Course, exercise: &Exercise) -> Option<String> {
    let work = work_dir(course).join("solution");
    let manifest = work.join("tree").join("exercises").join("Cargo.toml");
    let built =
        crate::compile::build(&manifest, &[&exercise.id], Some(&work.join("target")), BUILD_LIMIT)
            .ok()?;
    built.warnings.get(&exercise.id).cloned()
}

pub fn run(
    course: &Course,
    ids: &[String],
    prebuilt: Option<&Path>,
    lang: Lang,
) -> Result<ExitCode> {
    let started = Instant::now();
    let exercises: Vec<Exercise> = if ids.is_empty() {
        course.exercises.clone()
    } else {
        ids.iter().map(|id| course.find(id).cloned()).collect::<Result<_>>()?
    };
    let starters = grade(course, &exercises, &Source::Starter, "starter", prebuilt)?;
    let solutions = grade(course, &exercises, &Source::Solution, "solution", prebuilt)?;
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for exercise in &exercises {
        let starter = starters.iter().find(|r| r.id == exercise.id).context("a starter result")?;
        let solution =
            solutions.iter().find(|r| r.id == exercise.id).context("a solution result")?;
        let mut wrong = problems(exercise);
        match starter.status {
            Status::Failed => {}
            Status::Passed => {
                wrong.push("the starter passes every check: a check that cannot fail".into())
            }
            status => wrong.push(format!("the starter: {}", status.describe().en)),
        }
        if let Some(warnings) =
            prebuilt.is_none().then(|| solution_warnings(course, exercise)).flatten()
        {
            wrong.push(format!("the solution compiles with warnings:\n{warnings}"));
        }
        if solution.status != Status::Passed {
            wrong.push(format!(
                "the solution: {} ({}/{})",
                solution.status.describe().en,
                solution.points,
                solution.max
            ));
            let mut buffer = Vec::new();
            crate::student::report(&mut buffer, exercise, solution, lang)?;
            wrong.push(String::from_utf8_lossy(&buffer).trim().to_string());
        }
        let verdict = if wrong.is_empty() { "ok" } else { "FAILED" };
        writeln!(
            out,
            "{verdict:6} {:24} starter {}/{}, solution {}/{}",
            exercise.id, starter.points, starter.max, solution.points, solution.max
        )?;
        for problem in &wrong {
            writeln!(out, "         {problem}")?;
        }
        failed += usize::from(!wrong.is_empty());
    }
    let secs = started.elapsed().as_secs_f32();
    writeln!(out, "{} exercises verified in {secs:.1} s, {failed} failed", exercises.len())?;
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

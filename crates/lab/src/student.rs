//! What a student types: `cargo lab list | check | hint | watch | reset`.
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthStr;

use crate::catalog::{Course, Exercise};
use crate::engine::{self, ExerciseResult, Source, Status};
use crate::lang::Lang;

const STDOUT: &str = "cannot write to standard output (was it closed, e.g. by `| head`?)";
/// How long a student's build may take before it is stopped.
const BUILD_LIMIT: Duration = Duration::from_secs(600);

/// What `cargo lab` remembers between runs, in `exercises/.lab/progress.json`.
#[derive(Debug, Default, Deserialize, Serialize)]
struct Progress {
    #[serde(default)]
    exercises: BTreeMap<String, Seen>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct Seen {
    /// The last check's result: passed or not.
    passed: Option<bool>,
    /// The hints shown so far (1-based numbers).
    hints: Vec<usize>,
    /// The hint that fits the last failure.
    suggested: Option<usize>,
}

impl Progress {
    fn path(course: &Course) -> PathBuf {
        course.root.join("exercises").join(".lab").join("progress.json")
    }

    fn load(course: &Course) -> Progress {
        // A missing or damaged file only means no progress is remembered yet.
        std::fs::read(Progress::path(course))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save(&self, course: &Course) -> Result<()> {
        let path = Progress::path(course);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let json = serde_json::to_vec_pretty(self)?;
        std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))
    }

    fn of(&mut self, id: &str) -> &mut Seen {
        self.exercises.entry(id.to_string()).or_default()
    }
}

/// `cargo lab list`: every exercise, its chapter and where the student is.
pub fn list(course: &Course, lang: Lang) -> Result<ExitCode> {
    let progress = Progress::load(course);
    let mut rows = vec![[
        "#".to_string(),
        lang.pick("chapter", "章节").to_string(),
        lang.pick("exercise", "练习").to_string(),
        lang.pick("title", "标题").to_string(),
        lang.pick("status", "状态").to_string(),
    ]];
    let mut passed = 0;
    for (n, exercise) in course.exercises.iter().enumerate() {
        let seen = progress.exercises.get(&exercise.id);
        let edited = edited(exercise);
        let status = match seen.and_then(|seen| seen.passed) {
            Some(true) => {
                passed += 1;
                lang.pick("✓ passed", "✓ 通过")
            }
            Some(false) => lang.pick("✗ not yet", "✗ 未通过"),
            None if edited => lang.pick("· edited, not checked", "· 已修改，未检查"),
            None => lang.pick("· not started", "· 未开始"),
        };
        let (number, chapter) = exercise.chapter_title(lang);
        rows.push([
            (n + 1).to_string(),
            format!("{number}. {chapter}"),
            exercise.id.clone(),
            exercise.title.get(lang).to_string(),
            status.to_string(),
        ]);
    }
    let mut out = std::io::stdout().lock();
    write_table(&mut out, &rows).context(STDOUT)?;
    let total = course.exercises.len();
    let next = match first_unsolved(course, &progress) {
        Some(exercise) => format!("cargo lab check {}", exercise.id),
        None => lang.pick("all done!", "全部完成！").to_string(),
    };
    let line = match lang {
        Lang::En => {
            format!("\n{passed} of {total} passed. Next: {next}   (hints: cargo lab hint ID)")
        }
        Lang::Zh => {
            format!("\n已通过 {passed} / {total}。下一步：{next}   （提示：cargo lab hint 练习名）")
        }
    };
    writeln!(out, "{line}").context(STDOUT)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `rows` as columns, padded by display width (a Han character is two columns).
pub fn write_table<const N: usize>(
    out: &mut impl Write,
    rows: &[[String; N]],
) -> std::io::Result<()> {
    let mut widths = [0usize; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(widths) {
            line.push_str(cell);
            line.push_str(&" ".repeat(width - cell.width() + 2));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Whether the student's `src/main.rs` differs from the starter.
fn edited(exercise: &Exercise) -> bool {
    let (mine, starter) =
        (std::fs::read(exercise.main_rs()), std::fs::read(exercise.starter().join("main.rs")));
    matches!((mine, starter), (Ok(mine), Ok(starter)) if mine != starter)
}

fn first_unsolved<'a>(course: &'a Course, progress: &Progress) -> Option<&'a Exercise> {
    course
        .exercises
        .iter()
        .find(|e| progress.exercises.get(&e.id).and_then(|s| s.passed) != Some(true))
}

/// `cargo lab check [ID | --all]`.
pub fn check(course: &Course, id: Option<&str>, all: bool, lang: Lang) -> Result<ExitCode> {
    let mut progress = Progress::load(course);
    let chosen: Vec<&Exercise> = match (id, all) {
        (Some(id), _) => vec![course.find(id)?],
        (None, true) => course.exercises.iter().collect(),
        (None, false) => match first_unsolved(course, &progress) {
            Some(exercise) => vec![exercise],
            None => {
                let done = lang
                    .pick("Every exercise has passed. Well done!", "所有练习都已通过，干得好！");
                writeln!(std::io::stdout(), "{done}").context(STDOUT)?;
                return Ok(ExitCode::SUCCESS);
            }
        },
    };
    let mut all_passed = true;
    for exercise in chosen {
        let result = check_here(course, exercise, lang)?;
        all_passed &= result.status == Status::Passed;
        let seen = progress.of(&exercise.id);
        seen.passed = Some(result.status == Status::Passed);
        seen.suggested = result.checks.iter().find(|c| !c.passed).and_then(|c| c.hint);
        report(&mut std::io::stdout().lock(), exercise, &result, lang).context(STDOUT)?;
    }
    progress.save(course)?;
    Ok(if all_passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Builds the student's own copy in `exercises/` and runs the checks.
fn check_here(course: &Course, exercise: &Exercise, lang: Lang) -> Result<ExerciseResult> {
    let mut err = std::io::stderr();
    let building = match lang {
        Lang::En => format!("Building {} …", exercise.id),
        Lang::Zh => format!("正在编译 {} …", exercise.id),
    };
    let _ = writeln!(err, "{building}");
    let built = crate::compile::build(&course.manifest(), &[&exercise.id], None, BUILD_LIMIT)?;
    let Some(exe) = built.exes.get(&exercise.id) else {
        let errors = built.errors.get(&exercise.id).cloned().unwrap_or(built.stderr);
        let reason = crate::lang::Text::new(errors.clone(), errors);
        let max = crate::checks::of(&exercise.id).len();
        let (id, status) = (exercise.id.clone(), Status::DoesNotCompile);
        return Ok(ExerciseResult {
            id,
            status,
            points: 0,
            max,
            reason: Some(reason),
            checks: Vec::new(),
        });
    };
    let scratch = course.root.join("exercises").join(".lab").join("run").join(&exercise.id);
    let _ = writeln!(err, "{}", lang.pick("Checking …", "正在检查 …"));
    Ok(engine::check(exercise, exe, &scratch))
}

/// Prints one exercise's result the way a student should read it: the verdict
/// first, then each check, then the compiler's messages or the way to a hint.
pub fn report(
    out: &mut impl Write,
    exercise: &Exercise,
    result: &ExerciseResult,
    lang: Lang,
) -> std::io::Result<()> {
    let title = exercise.title.get(lang);
    let (points, max) = (result.points, result.max);
    writeln!(out)?;
    match (result.status, lang) {
        (Status::Passed, Lang::En) => {
            writeln!(out, "✓ {} ({title}): all {max} checks passed.", exercise.id)?
        }
        (Status::Passed, Lang::Zh) => {
            writeln!(out, "✓ {}（{title}）：{max} 项检查全部通过。", exercise.id)?
        }
        (Status::Failed, Lang::En) => {
            writeln!(out, "✗ {} ({title}): {points} of {max} checks passed.", exercise.id)?
        }
        (Status::Failed, Lang::Zh) => {
            writeln!(out, "✗ {}（{title}）：{max} 项检查通过了 {points} 项。", exercise.id)?
        }
        (status, Lang::En) => {
            writeln!(out, "✗ {} ({title}): {}.", exercise.id, status.describe().en)?
        }
        (status, Lang::Zh) => {
            writeln!(out, "✗ {}（{title}）：{}。", exercise.id, status.describe().zh)?
        }
    }
    for check in &result.checks {
        let mark = if check.passed { "✓" } else { "✗" };
        writeln!(out, "  {mark} {}", check.name.get(lang))?;
        if let Some(message) = &check.message {
            writeln!(out, "      {}", message.get(lang))?;
        }
    }
    if let Some(reason) = &result.reason {
        let label = match result.status {
            Status::DoesNotCompile => lang.pick("The compiler says:", "编译器的报错如下："),
            _ => lang.pick("Why:", "原因："),
        };
        writeln!(out, "{label}\n{}", reason.get(lang).trim_end())?;
    }
    if result.status != Status::Passed {
        let statement = exercise.shown(lang.pick("README.md", "README.zh.md"));
        let hint = match lang {
            Lang::En => format!("Statement: {}   Stuck? cargo lab hint {}", statement, exercise.id),
            Lang::Zh => format!("题目：{}   卡住了？cargo lab hint {}", statement, exercise.id),
        };
        writeln!(out, "{hint}")?;
    }
    Ok(())
}

/// `cargo lab check ID --submission DIR`: one submission, in a clean tree, as the grader does.
pub fn check_submission(
    course: &Course,
    id: Option<&str>,
    dir: &Path,
    lang: Lang,
) -> Result<ExitCode> {
    let root = crate::grade::find_exercises(dir).with_context(|| {
        format!("{} has no exercises/ folder (is it a copy of the course?)", dir.display())
    })?;
    let exercises: Vec<Exercise> = match id {
        Some(id) => vec![course.find(id)?.clone()],
        None => course.exercises.clone(),
    };
    let work = std::env::temp_dir().join(format!("cargo-lab-{}", std::process::id()));
    let tree = engine::Tree::new(course, &work.join("work"))?;
    let prepared = engine::prepare(
        &tree,
        &exercises,
        &Source::Submission(root),
        &work.join("bin"),
        BUILD_LIMIT,
    )?;
    let mut results = prepared.done;
    results.extend(engine::check_many(&prepared.ready, &work.join("run"), engine::default_jobs()));
    let _ = std::fs::remove_dir_all(&work);
    let mut out = std::io::stdout().lock();
    let mut passed = true;
    for exercise in &exercises {
        if let Some(result) = results.iter().find(|r| r.id == exercise.id) {
            passed &= result.status == Status::Passed;
            report(&mut out, exercise, result, lang).context(STDOUT)?;
        }
    }
    Ok(if passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `cargo lab hint ID`: the hint that fits the last failure, else the next one not yet seen.
pub fn hint(course: &Course, id: &str, lang: Lang) -> Result<ExitCode> {
    let exercise = course.find(id)?;
    let mut progress = Progress::load(course);
    let seen = progress.of(id);
    let count = exercise.hints.len();
    let next = seen
        .suggested
        .filter(|n| !seen.hints.contains(n) && *n <= count)
        .or_else(|| (1..=count).find(|n| !seen.hints.contains(n)));
    let mut out = std::io::stdout().lock();
    let Some(n) = next else {
        let text = match lang {
            Lang::En => format!("You have seen all {count} hints of {id}; here they are again."),
            Lang::Zh => format!("{id} 的 {count} 条提示你都已看过，下面再列一遍。"),
        };
        writeln!(out, "{text}").context(STDOUT)?;
        for (n, hint) in exercise.hints.iter().enumerate() {
            let colon = lang.pick(": ", "：");
            writeln!(
                out,
                "\n{} {}/{count}{colon}{}",
                lang.pick("Hint", "提示"),
                n + 1,
                hint.get(lang)
            )
            .context(STDOUT)?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    seen.hints.push(n);
    let text = exercise.hints[n - 1].get(lang);
    let line = match lang {
        Lang::En => format!("Hint {n}/{count} ({id}): {text}"),
        Lang::Zh => format!("提示 {n}/{count}（{id}）：{text}"),
    };
    writeln!(out, "{line}").context(STDOUT)?;
    if seen.hints.len() < count {
        let more = lang.pick("Run it again for the next hint.", "再运行一次，可以看到下一条提示。");
        writeln!(out, "{more}").context(STDOUT)?;
    }
    progress.save(course)?;
    Ok(ExitCode::SUCCESS)
}

/// `cargo lab reset ID`: the starter back in `src/main.rs`, the student's copy in `main.rs.bak`.
pub fn reset(course: &Course, id: &str, lang: Lang) -> Result<ExitCode> {
    let exercise = course.find(id)?;
    let (starter, mine) = (exercise.starter().join("main.rs"), exercise.main_rs());
    let backup = mine.with_extension("rs.bak");
    if mine.exists() {
        std::fs::copy(&mine, &backup)
            .with_context(|| format!("cannot keep a copy in {}", backup.display()))?;
    }
    std::fs::copy(&starter, &mine)
        .with_context(|| format!("cannot copy {} to {}", starter.display(), mine.display()))?;
    let mut progress = Progress::load(course);
    progress.exercises.remove(id);
    progress.save(course)?;
    let (mine, backup) = (exercise.shown("src/main.rs"), exercise.shown("src/main.rs.bak"));
    let text = match lang {
        Lang::En => format!("{mine} is the starter again; your version is in {backup}."),
        Lang::Zh => format!("{mine} 已恢复为起始代码；你原来的版本保存在 {backup}。"),
    };
    writeln!(std::io::stdout(), "{text}").context(STDOUT)?;
    Ok(ExitCode::SUCCESS)
}

/// `cargo lab watch`: check on every save (polling the files' times, which
/// works on network drives too), or on Enter with `--manual`. When the
/// exercise passes, it moves on to the next one not yet passed.
pub fn watch(course: &Course, id: Option<&str>, manual: bool, lang: Lang) -> Result<ExitCode> {
    let mut current = match id {
        Some(id) => course.find(id)?.clone(),
        None => match first_unsolved(course, &Progress::load(course)) {
            Some(exercise) => exercise.clone(),
            None => return check(course, None, false, lang),
        },
    };
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        // Taken before the check: a save while it runs (or right after) is a change too.
        let before = stamp(&current.dir.join("src"));
        let _ = check(course, Some(&current.id), false, lang)?;
        if Progress::load(course).exercises.get(&current.id).and_then(|s| s.passed) == Some(true) {
            match first_unsolved(course, &Progress::load(course)) {
                Some(next) if id.is_none() => current = next.clone(),
                _ => return Ok(ExitCode::SUCCESS),
            }
            continue;
        }
        let (file, src) = (current.shown("src/main.rs"), current.shown("src"));
        let waiting = match (manual, lang) {
            (true, Lang::En) => {
                format!("\nEdit {}, then press Enter to check again (q, Enter: quit).", file)
            }
            (true, Lang::Zh) => {
                format!("\n修改 {} 后按回车重新检查（输入 q 再回车：退出）。", file)
            }
            (false, Lang::En) => {
                format!("\nWatching {}: save it to check again (Ctrl+C: quit).", src)
            }
            (false, Lang::Zh) => {
                format!("\n正在监视 {}：保存文件就会重新检查（Ctrl+C 退出）。", src)
            }
        };
        writeln!(std::io::stdout(), "{waiting}").context(STDOUT)?;
        if manual {
            match lines.next() {
                Some(Ok(line)) if line.trim() != "q" => continue,
                _ => return Ok(ExitCode::SUCCESS),
            }
        }
        while stamp(&current.dir.join("src")) == before {
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// The latest modification time, the count and the total size of the files
/// under `dir` (the size too: some file systems keep times to the second).
fn stamp(dir: &Path) -> (Option<SystemTime>, usize, u64) {
    let mut latest = None;
    let (mut count, mut size) = (0, 0);
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(metadata) = entry.metadata() {
                count += 1;
                size += metadata.len();
                latest = latest.max(metadata.modified().ok());
            }
        }
    }
    (latest, count, size)
}

//! `cargo lab grade DIR`: grade a whole class, one folder per student.
//!
//! Each submission's exercise files (`exercises/<id>/src/*.rs`, nothing else)
//! are copied into one clean tree built from the course's own manifests, built
//! there (one `cargo build --keep-going` per student, while the previous
//! student's programs are being checked), and checked by this tool's checks.
//! Whatever else a submission changed is listed and ignored.
//!
//! Out come `grades.csv` (UTF-8 with a BOM, so spreadsheets read Chinese
//! names), `students/<name>.json`, `report.html` and a table on screen.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::mpsc::sync_channel;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::catalog::{Course, Exercise};
use crate::engine::{self, ExerciseResult, Prepared, Source, Status, Tree};
use crate::lang::{Lang, Text};
use crate::student::write_table;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// The folder of submissions: one folder per student (a clone, or an unpacked zip).
    pub submissions: PathBuf,
    /// Where the reports go; its `.work/` keeps the build cache for the next run.
    #[arg(long, default_value = "grades")]
    pub out: PathBuf,
    /// Only these exercises (comma-separated ids; default: all).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Exercises checked at the same time (default: two per core; each runs its checks side by side).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Longest a student's build may take, in seconds.
    #[arg(long, default_value_t = 300)]
    pub build_timeout: u64,
}

/// One student's grades, as written to `students/<name>.json`.
#[derive(Debug, Serialize)]
pub struct StudentReport {
    pub student: String,
    /// The folder the exercises were taken from, relative to the submission.
    pub exercises_folder: Option<String>,
    pub total: usize,
    pub max: usize,
    pub exercises: Vec<ExerciseResult>,
    /// Files the submission changed that the grader does not take.
    pub ignored_changes: Vec<String>,
}

/// Finds a submission's `exercises/` folder: the student's folder may be a
/// clone (`NAME/exercises`) or an unpacked zip (`NAME/sockets-tcp-udp-main/exercises`).
pub fn find_exercises(dir: &Path) -> Option<PathBuf> {
    let mut level = vec![dir.to_path_buf()];
    for _ in 0..4 {
        if let Some(found) = level.iter().map(|d| d.join("exercises")).find(|d| d.is_dir()) {
            return Some(found);
        }
        let mut next = Vec::new();
        for dir in &level {
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            let mut subdirs: Vec<PathBuf> =
                entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
            subdirs.sort();
            next.extend(subdirs.into_iter().filter(|p| !hidden(p)));
        }
        level = next;
    }
    None
}

fn hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') || n == "target")
}

/// Files under `exercises/` and `crates/lab/` that differ from the course's,
/// other than the exercises' `src/`: the grader ignores them, and says so.
fn ignored_changes(course: &Course, exercises: &Path) -> Vec<String> {
    let mut changed = Vec::new();
    let theirs_root = exercises.parent().unwrap_or(exercises);
    for folder in ["exercises", "crates/lab"] {
        let (ours, theirs) = (course.root.join(folder), theirs_root.join(folder));
        if !theirs.is_dir() {
            continue; // e.g. a zip of exercises/ alone
        }
        compare(&ours, &theirs, Path::new(folder), &mut changed);
    }
    changed.sort();
    changed
}

fn compare(ours: &Path, theirs: &Path, shown: &Path, changed: &mut Vec<String>) {
    let names = |dir: &Path| -> Vec<std::ffi::OsString> {
        std::fs::read_dir(dir)
            .map(|e| e.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default()
    };
    let mut all = names(ours);
    all.extend(names(theirs));
    all.sort();
    all.dedup();
    for name in all {
        let (ours, theirs, shown) = (ours.join(&name), theirs.join(&name), shown.join(&name));
        // The exercises' src/ is the student's to change; build output and dot-files are not compared.
        if hidden(&ours) || (name == "src" && shown.starts_with("exercises")) {
            continue;
        }
        if ours.is_dir() || theirs.is_dir() {
            compare(&ours, &theirs, &shown, changed);
        } else if !theirs.exists() {
            // A submission may hold only what the student changed; a deleted file
            // is worth listing only when it is the checker or the hints.
            if shown.starts_with("crates/lab") || name == "exercise.toml" {
                changed.push(format!("{} (deleted)", shown.display()));
            }
        } else if !ours.exists() {
            changed.push(format!("{} (added)", shown.display()));
        } else if std::fs::read(&ours).ok() != std::fs::read(&theirs).ok() {
            changed.push(format!("{} (changed)", shown.display()));
        }
    }
}

/// Grades every student under `options.submissions`.
pub fn run(course: &Course, options: &Options, lang: Lang) -> Result<ExitCode> {
    let started = Instant::now();
    let exercises: Vec<Exercise> = if options.only.is_empty() {
        course.exercises.clone()
    } else {
        options.only.iter().map(|id| course.find(id).cloned()).collect::<Result<_>>()?
    };
    let students = students(&options.submissions)?;
    let out = &options.out;
    std::fs::create_dir_all(out.join("students"))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let reports = grade_class(course, &exercises, &students, options)?;
    write_csv(&out.join("grades.csv"), &exercises, &reports)?;
    for report in &reports {
        let path = out.join("students").join(format!("{}.json", report.student));
        std::fs::write(&path, serde_json::to_vec_pretty(report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    std::fs::write(out.join("report.html"), html(&exercises, &reports, lang))
        .with_context(|| format!("cannot write {}", out.join("report.html").display()))?;
    let mut stdout = std::io::stdout().lock();
    write_table(&mut stdout, &class_table(&exercises, &reports, lang))
        .context("cannot write to standard output")?;
    let secs = started.elapsed().as_secs_f32();
    let (n, m, shown) = (reports.len(), exercises.len(), out.display());
    let done = match lang {
        Lang::En => {
            let (students, exercises) = (plural(n, "student"), plural(m, "exercise"));
            format!(
                "\n{students} × {exercises} graded in {secs:.0} s: {shown}/grades.csv, report.html, students/*.json"
            )
        }
        Lang::Zh => format!(
            "\n已批改 {n} 名学生 × {m} 道练习，用时 {secs:.0} 秒：{shown}/grades.csv、report.html、students/*.json"
        ),
    };
    writeln!(stdout, "{done}").context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// The students' folders, sorted by name (hidden folders skipped).
fn students(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the submissions folder {}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !hidden(&path) {
            found.push((entry.file_name().to_string_lossy().into_owned(), path));
        }
    }
    found.sort();
    if found.is_empty() {
        bail!("{} has no student folders (expected one folder per student)", dir.display());
    }
    Ok(found)
}

/// One student's build, as the builder hands it over.
struct Built {
    student: usize,
    root: Option<PathBuf>,
    prepared: Result<Prepared>,
}

/// Builds the students one after another (each build uses every core) while
/// `jobs` workers check the programs already built, whoever they belong to:
/// a student whose programs hang costs the class little time.
fn grade_class(
    course: &Course,
    exercises: &[Exercise],
    students: &[(String, PathBuf)],
    options: &Options,
) -> Result<Vec<StudentReport>> {
    let work = options.out.join(".work");
    let tree = Tree::new(course, &work)?;
    let limit = Duration::from_secs(options.build_timeout);
    let jobs = options
        .jobs
        .unwrap_or_else(|| thread::available_parallelism().map_or(2, |n| n.get() * 4))
        .max(1);
    let bar = indicatif::ProgressBar::new((students.len() * exercises.len()) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (built_tx, built_rx) = sync_channel::<Built>(1);
    let (task_tx, task_rx) = std::sync::mpsc::channel::<(usize, Exercise, PathBuf)>();
    let tasks = Mutex::new(task_rx);
    let results: Mutex<Vec<Vec<ExerciseResult>>> = Mutex::new(vec![Vec::new(); students.len()]);
    let mut roots = vec![None; students.len()];
    let (tree, work, bar) = (&tree, &work, &bar);
    thread::scope(|scope| -> Result<()> {
        // `move`: the sender goes with the builder, so the loop below ends when it does.
        scope.spawn(move || {
            for (n, (_, dir)) in students.iter().enumerate() {
                let root = find_exercises(dir);
                let prepared = match &root {
                    Some(root) => {
                        let bin = work.join("bin").join(n.to_string());
                        engine::prepare(
                            tree,
                            exercises,
                            &Source::Submission(root.clone()),
                            &bin,
                            limit,
                        )
                    }
                    None => Ok(Prepared { ready: Vec::new(), done: Vec::new() }),
                };
                if built_tx.send(Built { student: n, root, prepared }).is_err() {
                    return;
                }
            }
        });
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let task = tasks.lock().map(|tasks| tasks.recv());
                    let Ok(Ok((n, exercise, exe))) = task else { return };
                    bar.set_message(students[n].0.clone());
                    let scratch = work.join("run").join(n.to_string()).join(&exercise.id);
                    let result = engine::check(&exercise, &exe, &scratch);
                    let _ = std::fs::remove_dir_all(&scratch);
                    if let Ok(mut results) = results.lock() {
                        results[n].push(result);
                    }
                    bar.inc(1);
                }
            });
        }
        // Hand each build's programs to the workers; a closed channel ends them.
        let task_tx = task_tx;
        for built in built_rx {
            let prepared = built.prepared?;
            roots[built.student] = built.root;
            bar.inc(prepared.done.len() as u64);
            if let Ok(mut results) = results.lock() {
                results[built.student].extend(prepared.done);
            }
            for (exercise, exe) in prepared.ready {
                let _ = task_tx.send((built.student, exercise, exe));
            }
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    let results = results.into_inner().unwrap_or_default();
    let mut reports = Vec::new();
    for (((name, dir), results), root) in students.iter().zip(results).zip(roots) {
        let results = in_order(exercises, results, root.is_none());
        let (total, max) =
            (results.iter().map(|r| r.points).sum(), results.iter().map(|r| r.max).sum());
        let shown = root.as_ref().map(|r| r.strip_prefix(dir).unwrap_or(r).display().to_string());
        let ignored = root.as_ref().map(|r| ignored_changes(course, r)).unwrap_or_default();
        reports.push(StudentReport {
            student: name.clone(),
            exercises_folder: shown,
            total,
            max,
            exercises: results,
            ignored_changes: ignored,
        });
    }
    Ok(reports)
}

/// One result per exercise, in the course's order (missing ones filled in).
fn in_order(
    exercises: &[Exercise],
    results: Vec<ExerciseResult>,
    no_folder: bool,
) -> Vec<ExerciseResult> {
    let mut by_id: BTreeMap<String, ExerciseResult> =
        results.into_iter().map(|r| (r.id.clone(), r)).collect();
    exercises
        .iter()
        .map(|exercise| {
            by_id.remove(&exercise.id).unwrap_or_else(|| ExerciseResult {
                id: exercise.id.clone(),
                status: Status::Missing,
                points: 0,
                max: crate::checks::of(&exercise.id).len(),
                reason: Some(if no_folder {
                    Text::new(
                        "no exercises/ folder in the submission",
                        "提交的内容里没有 exercises/ 文件夹",
                    )
                } else {
                    Text::new("not graded", "未批改")
                }),
                checks: Vec::new(),
            })
        })
        .collect()
}

/// A CSV field, quoted when it must be (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// `grades.csv`: UTF-8 with a byte-order mark (Excel then reads Chinese names
/// right), CRLF line ends, one row per student, one column per exercise.
fn write_csv(path: &Path, exercises: &[Exercise], reports: &[StudentReport]) -> Result<()> {
    let max = |id: &str| crate::checks::of(id).len();
    let mut header = vec!["student".to_string()];
    header.extend(exercises.iter().map(|e| format!("{} (/{})", e.id, max(&e.id))));
    let total: usize = exercises.iter().map(|e| max(&e.id)).sum();
    header.extend([format!("total (/{total})"), "percent".to_string()]);
    let mut text = String::from("\u{feff}");
    text.push_str(&header.iter().map(|h| field(h)).collect::<Vec<_>>().join(","));
    text.push_str("\r\n");
    for report in reports {
        let mut row = vec![field(&report.student)];
        row.extend(report.exercises.iter().map(|r| r.points.to_string()));
        row.push(report.total.to_string());
        row.push(format!("{:.1}", percent(report.total, report.max)));
        text.push_str(&row.join(","));
        text.push_str("\r\n");
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn percent(points: usize, max: usize) -> f64 {
    if max == 0 { 0.0 } else { 100.0 * points as f64 / max as f64 }
}

/// The table on screen: one line per student, with what went wrong.
fn class_table(exercises: &[Exercise], reports: &[StudentReport], lang: Lang) -> Vec<[String; 5]> {
    let mut rows = vec![[
        lang.pick("student", "学生").to_string(),
        lang.pick("points", "得分").to_string(),
        "%".to_string(),
        lang.pick("passed", "通过").to_string(),
        lang.pick("notes", "备注").to_string(),
    ]];
    for report in reports {
        let passed = report.exercises.iter().filter(|r| r.status == Status::Passed).count();
        let count = |status: Status| report.exercises.iter().filter(|r| r.status == status).count();
        let mut notes = Vec::new();
        for (status, en, zh) in [
            (Status::DoesNotCompile, "do not compile", "编译失败"),
            (Status::Missing, "missing", "缺失"),
            (Status::Refused, "refused", "拒收"),
        ] {
            let n = count(status);
            if n > 0 {
                notes.push(match lang {
                    Lang::En => format!("{n} {en}"),
                    Lang::Zh => format!("{zh} {n} 道"),
                });
            }
        }
        let timed_out = report
            .exercises
            .iter()
            .filter(|r| {
                r.checks.iter().any(|c| {
                    c.message.as_ref().is_some_and(|m| {
                        m.en.contains("timed out") || m.en.contains("printed nothing new")
                    })
                })
            })
            .count();
        if timed_out > 0 {
            notes.push(match lang {
                Lang::En => format!("{timed_out} timed out"),
                Lang::Zh => format!("超时 {timed_out} 道"),
            });
        }
        if !report.ignored_changes.is_empty() {
            let n = report.ignored_changes.len();
            notes.push(match lang {
                Lang::En => format!("{n} other files changed (ignored)"),
                Lang::Zh => format!("改动了 {n} 个不该改的文件（已忽略）"),
            });
        }
        rows.push([
            report.student.clone(),
            format!("{}/{}", report.total, report.max),
            format!("{:.0}", percent(report.total, report.max)),
            format!("{passed}/{}", exercises.len()),
            notes.join(lang.pick(", ", "，")),
        ]);
    }
    rows
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `report.html`: a student × exercise heat map, one self-contained page
/// (no script, no network), each cell's checks in its tooltip.
fn html(exercises: &[Exercise], reports: &[StudentReport], lang: Lang) -> String {
    let mut page = String::new();
    let title = lang.pick("Class report", "班级成绩报告");
    page.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n{}</style>\n</head>\n<body>\n<h1>{title}</h1>\n",
        lang.pick("en", "zh-CN"),
        STYLE
    ));
    let legend = lang.pick(
        "Each cell: checks passed out of the exercise's checks. Hover a cell for what each check found.",
        "每一格：该练习通过的检查项数 / 总项数。鼠标停在格子上可以看到每项检查的结果。",
    );
    page.push_str(&format!(
        "<p>{legend}</p>\n<table>\n<thead><tr><th>{}</th>",
        lang.pick("student", "学生")
    ));
    for exercise in exercises {
        page.push_str(&format!("<th class=\"ex\"><span>{}</span></th>", escape(&exercise.id)));
    }
    page.push_str(&format!(
        "<th>{}</th><th>%</th></tr></thead>\n<tbody>\n",
        lang.pick("total", "总分")
    ));
    for report in reports {
        page.push_str(&format!("<tr><th>{}</th>", escape(&report.student)));
        for result in &report.exercises {
            let fraction =
                if result.max == 0 { 0.0 } else { result.points as f64 / result.max as f64 };
            let (class, text) = match result.status {
                Status::DoesNotCompile => ("nobuild".to_string(), "✗".to_string()),
                Status::Unchanged | Status::Missing => ("none".to_string(), "–".to_string()),
                Status::Refused => ("nobuild".to_string(), "!".to_string()),
                _ => (
                    format!("h{}", (fraction * 4.0).round() as usize),
                    format!("{}/{}", result.points, result.max),
                ),
            };
            let tip = tooltip(result, lang);
            page.push_str(&format!("<td class=\"{class}\" title=\"{}\">{text}</td>", escape(&tip)));
        }
        page.push_str(&format!(
            "<td class=\"total\">{}/{}</td><td class=\"total\">{:.0}</td></tr>\n",
            report.total,
            report.max,
            percent(report.total, report.max)
        ));
    }
    page.push_str("</tbody>\n<tfoot><tr><th>");
    page.push_str(lang.pick("passed", "通过人数"));
    page.push_str("</th>");
    for (n, _) in exercises.iter().enumerate() {
        let passed = reports
            .iter()
            .filter(|r| r.exercises.get(n).is_some_and(|e| e.status == Status::Passed))
            .count();
        page.push_str(&format!("<td>{passed}/{}</td>", reports.len()));
    }
    page.push_str("<td></td><td></td></tr></tfoot>\n</table>\n");
    let key = [
        ("h4", lang.pick("all checks", "全部通过")),
        ("h2", lang.pick("some checks", "部分通过")),
        ("h0", lang.pick("no check passed", "一项都没过")),
        ("nobuild", lang.pick("✗ does not compile", "✗ 编译失败")),
        ("none", lang.pick("– not attempted or missing", "– 未作答或缺失")),
        (
            "nobuild",
            lang.pick("! files refused (too large or too many)", "! 文件被拒收（太大或太多）"),
        ),
    ];
    page.push_str("<p class=\"key\">");
    for (class, label) in key {
        page.push_str(&format!("<span class=\"{class}\">{label}</span> "));
    }
    page.push_str("</p>\n</body>\n</html>\n");
    page
}

fn tooltip(result: &ExerciseResult, lang: Lang) -> String {
    let mut lines = vec![format!("{}: {}", result.id, result.status.describe().get(lang))];
    if let Some(reason) = &result.reason {
        lines.push(crate::compile::tail(reason.get(lang), 600));
    }
    for check in &result.checks {
        let mark = if check.passed { "✓" } else { "✗" };
        lines.push(format!("{mark} {}", check.name.get(lang)));
        if let Some(message) = &check.message {
            lines.push(format!("   {}", message.get(lang)));
        }
    }
    lines.join("\n")
}

const STYLE: &str = "body { font-family: system-ui, 'PingFang SC', 'Microsoft YaHei', sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: center; }
tbody th { text-align: left; white-space: nowrap; }
th.ex { height: 9em; vertical-align: bottom; padding: 4px 2px; }
th.ex span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
td.h4 { background: #63be7b; } td.h3 { background: #a9d27f; } td.h2 { background: #ffeb84; }
td.h1 { background: #fcaa78; } td.h0 { background: #f8696b; }
td.nobuild { background: #9e9e9e; color: #fff; } td.none { background: #f2f2f2; color: #999; }
td.total { font-weight: bold; } tfoot td { color: #555; }
.key span { display: inline-block; padding: 2px 8px; margin-right: 6px; border: 1px solid #ccc; }
.key .h4 { background: #63be7b; } .key .h2 { background: #ffeb84; } .key .h0 { background: #f8696b; }
.key .nobuild { background: #9e9e9e; color: #fff; } .key .none { background: #f2f2f2; color: #999; }
";

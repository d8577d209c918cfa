//! `cargo lab make-class DIR`: a made-up class to try the grader on, and to
//! test and measure it. Each student is a folder with an `exercises/` copy;
//! each exercise is, by a seeded draw, one kind of submission a teacher meets:
//! correct, untouched, not compiling, hanging, panicking, flooding its output,
//! filling the disk, or correct-looking with the checks tampered with.
//! `expected.json` says what the grader must give each one.
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::catalog::{Course, Exercise};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// The folder to fill (it must not exist yet).
    pub dir: std::path::PathBuf,
    /// How many students.
    #[arg(long, default_value_t = 30)]
    pub students: usize,
    /// The seed of the draw: the same seed makes the same class.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only these exercises (comma-separated ids; default: all).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Deal the kinds out in turn instead of drawing them, so that a small
    /// class has every kind (for tests).
    #[arg(long)]
    pub every_kind: bool,
}

/// The kinds of submission, and how often each is drawn (out of 100).
const KINDS: &[(Kind, u64)] = &[
    (Kind::Correct, 55),
    (Kind::Unchanged, 17),
    (Kind::NoCompile, 8),
    (Kind::Hang, 5),
    (Kind::Panic, 6),
    (Kind::Flood, 3),
    (Kind::FillDisk, 3),
    (Kind::Exit, 3),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The reference solution.
    Correct,
    /// The starter, not touched.
    Unchanged,
    /// A syntax error.
    NoCompile,
    /// Sleeps for ever before doing anything.
    Hang,
    /// Panics first thing.
    Panic,
    /// Prints without end.
    Flood,
    /// Writes a file without end.
    FillDisk,
    /// Exits at once with code 3.
    Exit,
}

/// What the grader must give one student.
#[derive(Debug, Serialize)]
struct Expected {
    /// The kind of each exercise's submission.
    kinds: BTreeMap<String, Kind>,
    /// The student also rewrote the checks and the exercises' manifests to
    /// pass everything: the grader must ignore that and list the files.
    tampered: bool,
}

/// splitmix64: a small, well-known generator; enough to draw a made-up class.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn kind(&mut self) -> Kind {
        let mut pick = self.next() % 100;
        for &(kind, weight) in KINDS {
            if pick < weight {
                return kind;
            }
            pick -= weight;
        }
        Kind::Correct
    }
}

const NAMES: &[&str] = &[
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨磊",
    "赵敏",
    "黄婷",
    "周杰",
    "吴昊",
    "徐丽",
    "孙强",
    "马超",
    "朱琳",
    "胡斌",
    "郭晶",
    "林峰",
    "何雪",
    "高翔",
    "罗佳",
    "Alice Martin",
    "Bob O'Neil",
    "Chen, Wei",
    "Dana Smith",
    "Émile Roux",
    "Farah Khan",
    "Giulia Rossi",
    "Hiro Tanaka",
    "Ivan Petrov",
    "Jana Novák",
];

pub fn run(course: &Course, options: &Options) -> Result<ExitCode> {
    let exercises: Vec<Exercise> = if options.only.is_empty() {
        course.exercises.clone()
    } else {
        options.only.iter().map(|id| course.find(id).cloned()).collect::<Result<_>>()?
    };
    let dir = &options.dir;
    if dir.exists() {
        anyhow::bail!("{} exists already (make-class fills a new folder)", dir.display());
    }
    let mut draw = Draw(options.seed);
    let mut expected = BTreeMap::new();
    for n in 0..options.students {
        let name = match NAMES.get(n) {
            Some(name) => name.to_string(),
            None => format!("student-{:03}", n + 1),
        };
        // Every tenth student tampers with the checks, on top of what they submit.
        let tampered = n % 10 == 7;
        let root = dir.join(&name).join("exercises");
        let mut kinds = BTreeMap::new();
        for (k, exercise) in exercises.iter().enumerate() {
            let kind =
                if options.every_kind { KINDS[(n + k) % KINDS.len()].0 } else { draw.kind() };
            write_exercise(exercise, kind, &root.join(&exercise.id))?;
            kinds.insert(exercise.id.clone(), kind);
        }
        copy_manifests(course, &root)?;
        if tampered {
            tamper(course, &dir.join(&name), &exercises)?;
        }
        expected.insert(name, Expected { kinds, tampered });
    }
    let path = dir.join(".expected.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&expected)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "{} students in {} (what the grader should give: {})",
        options.students,
        dir.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The rest of each exercise's folder, as a clone would have it.
fn copy_manifests(course: &Course, root: &Path) -> Result<()> {
    let from = course.root.join("exercises");
    for file in ["Cargo.toml", "Cargo.lock"] {
        copy(&from.join(file), &root.join(file))?;
    }
    for exercise in &course.exercises {
        for file in [
            "Cargo.toml",
            "exercise.toml",
            "README.md",
            "README.zh.md",
            "starter/main.rs",
            "solution/main.rs",
        ] {
            copy(&exercise.dir.join(file), &root.join(&exercise.id).join(file))?;
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let entries =
        std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))?;
    for entry in entries {
        let entry = entry?;
        let (path, name) = (entry.path(), entry.file_name());
        if entry.file_type()?.is_dir() {
            if name != "target" {
                copy_tree(&path, &to.join(&name))?;
            }
        } else {
            copy(&path, &to.join(&name))?;
        }
    }
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Writes `exercise`'s `src/main.rs` as a submission of `kind`.
fn write_exercise(exercise: &Exercise, kind: Kind, dir: &Path) -> Result<()> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let starter = read(&exercise.starter().join("main.rs"))?;
    let solution = read(&exercise.solution().join("main.rs"))?;
    let code = match kind {
        Kind::Correct => solution,
        Kind::Unchanged => starter,
        Kind::NoCompile => format!("{solution}\nfn unfinished( {{\n"),
        Kind::Hang => first_thing(
            &solution,
            "loop { std::thread::sleep(std::time::Duration::from_secs(1)); }",
        ),
        Kind::Panic => first_thing(&solution, "panic!(\"not done yet\");"),
        Kind::Flood => first_thing(
            &solution,
            "loop { println!(\"all work and no play makes Jack a dull boy\"); }",
        ),
        Kind::FillDisk => first_thing(
            &solution,
            "{ use std::io::Write; let mut f = std::fs::File::create(\"big.bin\")?; loop { f.write_all(&[0u8; 65536])?; } }",
        ),
        Kind::Exit => first_thing(&solution, "std::process::exit(3);"),
    };
    let main = dir.join("src").join("main.rs");
    if let Some(parent) = main.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&main, code).with_context(|| format!("cannot write {}", main.display()))
}

/// `code` with `statement` put first in `main`.
fn first_thing(code: &str, statement: &str) -> String {
    let Some(at) = code.find("fn main(") else { return code.to_string() };
    let Some(open) = code[at..].find('{') else { return code.to_string() };
    let at = at + open + 1;
    // `?` needs a `main` that returns a Result; otherwise wrap it in a closure.
    let signature = &code[code.find("fn main(").unwrap_or(0)..at];
    let statement = if signature.contains("Result") {
        statement.to_string()
    } else {
        format!("let _ = (|| -> std::io::Result<()> {{ {statement} }})();")
    };
    format!("{}\n    #[allow(unreachable_code)]\n    {statement}\n{}", &code[..at], &code[at..])
}

/// What a student who wants the points without the work might do: make every
/// check pass, break the exercises' manifests, add a build script.
fn tamper(course: &Course, student: &Path, exercises: &[Exercise]) -> Result<()> {
    let checks = student.join("crates").join("lab").join("src").join("checks").join("mod.rs");
    let original = course.root.join("crates").join("lab").join("src").join("checks").join("mod.rs");
    let code = std::fs::read_to_string(&original)
        .with_context(|| format!("cannot read {}", original.display()))?;
    // A clone has the whole checker; this student changed one file of it.
    copy_tree(&course.root.join("crates").join("lab"), &student.join("crates").join("lab"))?;
    let always_pass = code.replace(
        "chapters.iter().find_map(|of| of(id)).unwrap_or(&[])",
        "&[] // every exercise passes",
    );
    std::fs::create_dir_all(checks.parent().unwrap_or(student))
        .context("cannot create crates/lab")?;
    std::fs::write(&checks, always_pass).context("cannot write the tampered checks")?;
    if let Some(first) = exercises.first() {
        let manifest = student.join("exercises").join(&first.id).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap_or_default();
        std::fs::write(&manifest, format!("{text}\n[features]\ndefault = []\n"))
            .context("cannot change a manifest")?;
        let build = student.join("exercises").join(&first.id).join("build.rs");
        std::fs::write(build, "fn main() { println!(\"cargo:warning=all tests pass\"); }\n")
            .context("cannot add build.rs")?;
        let _ =
            std::fs::remove_file(student.join("exercises").join(&first.id).join("exercise.toml"));
    }
    Ok(())
}

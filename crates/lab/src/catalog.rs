//! The exercises: `exercises/Cargo.toml` lists them in teaching order, and
//! each `exercises/<id>/exercise.toml` gives its chapter, title and hints.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::lang::{Lang, Text};

/// The book's code chapters, in order: file name (without `.md`), the
/// chapter's number in the book, and its titles.
pub const CHAPTERS: &[(&str, usize, &str, &str)] = &[
    ("tcp-server", 4, "A TCP server", "编写 TCP 服务器"),
    ("tcp-client", 5, "A TCP client", "编写 TCP 客户端"),
    ("udp-server", 6, "A UDP server", "编写 UDP 服务器"),
    ("udp-client", 7, "A UDP client", "编写 UDP 客户端"),
    ("failures", 9, "When things go wrong", "出错的时候"),
    ("concurrency", 11, "Many clients at once", "同时服务多个客户端"),
    ("framing", 12, "TCP is a byte stream", "TCP 是字节流"),
    ("measuring", 13, "Measuring", "测量"),
    ("stop-and-wait", 15, "Stop-and-wait", "停止等待协议"),
    ("sliding-windows", 16, "Sliding windows", "滑动窗口"),
    ("file-transfer", 17, "One file, two transports", "一个文件，两种传输"),
];

/// One exercise.
#[derive(Clone, Debug)]
pub struct Exercise {
    pub id: String,
    pub chapter: String,
    pub title: Text,
    pub hints: Vec<Text>,
    /// `exercises/<id>/` in the course.
    pub dir: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    chapter: String,
    title: Text,
    #[serde(default, rename = "hint")]
    hints: Vec<Text>,
}

impl Exercise {
    /// The pristine starter code, `exercises/<id>/starter/`.
    pub fn starter(&self) -> PathBuf {
        self.dir.join("starter")
    }

    /// The reference solution, `exercises/<id>/solution/`.
    pub fn solution(&self) -> PathBuf {
        self.dir.join("solution")
    }

    /// The file the student edits.
    pub fn main_rs(&self) -> PathBuf {
        self.dir.join("src").join("main.rs")
    }

    /// The statement in `lang`: `README.md` (English) or `README.zh.md`.
    pub fn statement(&self, lang: Lang) -> PathBuf {
        self.dir.join(lang.pick("README.md", "README.zh.md"))
    }

    /// A file of the exercise as the student sees it from the repository's
    /// root: `exercises/<id>/<file>`.
    pub fn shown(&self, file: &str) -> String {
        Path::new("exercises").join(&self.id).join(file).display().to_string()
    }

    /// The chapter's number in the book and its title.
    pub fn chapter_title(&self, lang: Lang) -> (usize, &'static str) {
        let at = CHAPTERS.iter().position(|(slug, ..)| *slug == self.chapter).unwrap_or(0);
        let (_, number, en, zh) = CHAPTERS[at];
        (number, lang.pick(en, zh))
    }
}

/// The course: where it is and its exercises in order.
#[derive(Clone, Debug)]
pub struct Course {
    /// The repository's root.
    pub root: PathBuf,
    pub exercises: Vec<Exercise>,
}

impl Course {
    /// The course this `lab` was built from.
    pub fn here() -> Result<Course> {
        // crates/lab → the repository's root.
        let lab = Path::new(env!("CARGO_MANIFEST_DIR"));
        Course::load(lab.parent().and_then(Path::parent).unwrap_or(lab))
    }

    /// Reads the exercises of the course at `root`.
    pub fn load(root: &Path) -> Result<Course> {
        let workspace = root.join("exercises").join("Cargo.toml");
        let text = std::fs::read_to_string(&workspace).with_context(|| {
            format!("cannot read {} (is this the course's folder?)", workspace.display())
        })?;
        let table: toml::Table =
            text.parse().with_context(|| format!("{} is not valid TOML", workspace.display()))?;
        let members = table
            .get("workspace")
            .and_then(|w| w.get("members"))
            .and_then(|m| m.as_array())
            .with_context(|| format!("{} has no [workspace] members list", workspace.display()))?;
        let mut exercises = Vec::new();
        for member in members {
            let id = member.as_str().context("workspace members must be strings")?.to_string();
            let dir = root.join("exercises").join(&id);
            let path = dir.join("exercise.toml");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let manifest: Manifest = toml::from_str(&text)
                .with_context(|| format!("{} is not a valid exercise.toml", path.display()))?;
            if !CHAPTERS.iter().any(|(slug, ..)| *slug == manifest.chapter) {
                bail!("{}: unknown chapter {:?}", path.display(), manifest.chapter);
            }
            exercises.push(Exercise {
                id,
                chapter: manifest.chapter,
                title: manifest.title,
                hints: manifest.hints,
                dir,
            });
        }
        Ok(Course { root: root.to_path_buf(), exercises })
    }

    /// `path` as the student sees it from the repository's root.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }

    /// The exercises workspace's manifest.
    pub fn manifest(&self) -> PathBuf {
        self.root.join("exercises").join("Cargo.toml")
    }

    /// The exercise called `id`, or an error listing the ones there are.
    pub fn find(&self, id: &str) -> Result<&Exercise> {
        match self.exercises.iter().find(|exercise| exercise.id == id) {
            Some(exercise) => Ok(exercise),
            None => {
                let ids: Vec<&str> = self.exercises.iter().map(|e| e.id.as_str()).collect();
                bail!(
                    "no exercise called {id:?} (there are: {}; `cargo lab list` shows them all)",
                    ids.join(", ")
                )
            }
        }
    }
}

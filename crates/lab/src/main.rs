//! `cargo lab`: see src/lib.rs, or run `cargo lab --help`.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lab::catalog::Course;
use lab::lang::Lang;

/// The course's exercises: list them, check your work, get hints; for teachers, grade a class.
#[derive(Debug, Parser)]
#[command(name = "cargo lab", version)]
struct Cli {
    /// Language of the messages (default: Chinese when the system's language is Chinese).
    #[arg(long, global = true, value_enum)]
    lang: Option<Lang>,
    /// The course's folder (default: the one this tool was built from). For tests.
    #[arg(long, global = true, hide = true)]
    course: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show every exercise and how far you are (the default).
    List,
    /// Build an exercise and run its checks (default: the first one not yet passed).
    Check {
        /// The exercise, e.g. tcp-echo.
        id: Option<String>,
        /// Check every exercise.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// Check a submission's copy (its exercises/ folder or the folder above it) in a clean tree.
        #[arg(long, value_name = "DIR")]
        submission: Option<PathBuf>,
    },
    /// Show the next hint for an exercise.
    Hint { id: String },
    /// Check again every time you save (default: the first exercise not yet passed).
    Watch {
        id: Option<String>,
        /// Check when you press Enter instead of watching the files (network drives, WSL mounts).
        #[arg(long)]
        manual: bool,
    },
    /// Put an exercise's starter code back (your version is kept as main.rs.bak).
    Reset { id: String },
    /// Teachers: grade a folder of submissions, one folder per student.
    Grade(lab::grade::Options),
    /// Maintainers: prove every starter fails and every reference solution passes.
    Verify {
        /// Only these exercises.
        ids: Vec<String>,
        /// Check programs built elsewhere instead of building: DIR/starter/<id>[.exe]
        /// and DIR/solution/<id>[.exe] (the Windows lane builds them for Windows).
        #[arg(long, value_name = "DIR")]
        prebuilt: Option<PathBuf>,
    },
    /// Teachers: make a folder that builds everything with no network (vendored crates).
    Bundle { out: PathBuf },
    /// Teachers: make up a class of synthetic students to try the grader on.
    MakeClass(lab::classgen::Options),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = Lang::detect(cli.lang);
    match run(cli.command.unwrap_or(Command::List), cli.course, lang) {
        Ok(code) => code,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, course: Option<PathBuf>, lang: Lang) -> anyhow::Result<ExitCode> {
    let course = match course {
        Some(root) => Course::load(&root)?,
        None => Course::here()?,
    };
    use lab::student;
    match command {
        Command::List => student::list(&course, lang),
        Command::Check { id, all, submission: Some(dir) } => {
            let _ = all;
            student::check_submission(&course, id.as_deref(), &dir, lang)
        }
        Command::Check { id, all, submission: None } => {
            student::check(&course, id.as_deref(), all, lang)
        }
        Command::Hint { id } => student::hint(&course, &id, lang),
        Command::Watch { id, manual } => student::watch(&course, id.as_deref(), manual, lang),
        Command::Reset { id } => student::reset(&course, &id, lang),
        Command::Grade(options) => lab::grade::run(&course, &options, lang),
        Command::Verify { ids, prebuilt } => {
            lab::verify::run(&course, &ids, prebuilt.as_deref(), lang)
        }
        Command::Bundle { out } => {
            lab::bundle::bundle(&course.root, &out).map(|()| ExitCode::SUCCESS)
        }
        Command::MakeClass(options) => lab::classgen::run(&course, &options),
    }
}

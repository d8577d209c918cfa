//! `cargo lab bundle OUT`: an offline classroom bundle.
//!
//! A classroom's network is often slow, filtered or absent, and thirty
//! students downloading the same crates at nine o'clock is the worst case.
//! So the teacher makes, once, at home, a folder that builds and runs
//! everything with no network at all:
//!
//! - a copy of the repository: the files git tracks (`git ls-files`), or, when
//!   the repository is not a git checkout, every file except `target/`,
//!   `.git/`, `node_modules/` and `.venv/`;
//! - `vendor/`: the source of every crate that the main workspace and the
//!   exercises' workspace (`exercises/Cargo.toml`) lock, from
//!   `cargo vendor --locked`, for every platform (Windows students need the
//!   `windows-*` crates even when the teacher is on Linux);
//! - `.cargo/config.toml`: the repository's own (its `[alias]` table and the
//!   rest) plus the source replacement `cargo vendor` prints, which sends every
//!   crates.io lookup to `vendor/`, plus `[net] offline = true`.
//!
//! Before it says "ready" it asks cargo to resolve both workspaces offline
//! from the bundle, so a bundle with a missing crate or a broken config is
//! never handed out. `scripts/offline-check.sh` proves more: a full build with
//! an empty `CARGO_HOME` and, where it can, no network device.
//!
//! The bundle holds crates, not the compiler: students still install Rust
//! (rustup), which the book's preface explains, mirrors included.

use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The exercises' workspace, vendored along with the main one when present.
const EXERCISES_MANIFEST: &str = "exercises/Cargo.toml";
/// Where cargo reads the bundle's settings, relative to the bundle's root.
const CONFIG: &str = ".cargo/config.toml";
/// Folders never copied when the repository is not a git checkout: build
/// output, git's own data, and the installed Node and Python tools.
const SKIPPED_DIRS: [&str; 4] = ["target", ".git", "node_modules", ".venv"];
/// The comment in front of what the bundle adds to the config, so that a
/// bundle made from a bundle does not repeat it.
const MARKER: &str = "# Added by `cargo lab bundle`";

/// Makes the offline bundle of the repository at `repo` in the folder `out`,
/// which must not exist yet or be empty. Prints one line per step and, last,
/// how the teacher hands the bundle out. On failure the half-made `out` is
/// removed again.
pub fn bundle(repo: &Path, out: &Path) -> Result<()> {
    // Absolute, not canonical: on Windows canonical paths start with \\?\,
    // which teachers should not have to read and some build tools mishandle.
    let repo = std::path::absolute(repo)
        .with_context(|| format!("cannot find the repository folder {}", repo.display()))?;
    if !repo.join("Cargo.toml").is_file() {
        bail!(
            "{} has no Cargo.toml (hint: run `cargo lab bundle OUT` from the course repository's root folder)",
            repo.display()
        );
    }
    let out = std::path::absolute(out)
        .with_context(|| format!("cannot find the bundle folder {}", out.display()))?;
    create_empty_dir(&out)?;
    let made = make(&repo, &out);
    if made.is_err() {
        // `out` was empty or absent when we started, so everything in it is ours.
        match fs::remove_dir_all(&out) {
            Ok(()) => eprintln!("bundle: removed the unfinished {}", out.display()),
            Err(error) => {
                eprintln!("bundle: could not remove the unfinished {}: {error}", out.display())
            }
        }
    }
    made
}

fn make(repo: &Path, out: &Path) -> Result<()> {
    // 1. The course's files.
    let files = match tracked_files(repo) {
        Some(files) => {
            say(&format!(
                "bundle: copying the {} files git tracks in {}",
                files.len(),
                repo.display()
            ))?;
            let untracked = git_lines(repo, &["ls-files", "-z", "--others", "--exclude-standard"])
                .unwrap_or_default();
            if !untracked.is_empty() {
                say(&format!(
                    "bundle: note: {} new file(s) git does not track yet are left out, e.g. {} (`git add` them to bundle them)",
                    untracked.len(),
                    untracked[0].display()
                ))?;
            }
            files
        }
        None => {
            say(&format!(
                "bundle: {} is not a git checkout (or git is missing): copying every file except {}",
                repo.display(),
                SKIPPED_DIRS.map(|dir| format!("{dir}/")).join(", ")
            ))?;
            let mut files = Vec::new();
            walk(repo, Path::new(""), out, &mut files)?;
            files
        }
    };
    let mut course_bytes = 0;
    let mut skipped = Vec::new();
    for relative in &files {
        let from = repo.join(relative);
        match fs::metadata(&from) {
            Ok(metadata) if metadata.is_file() => {}
            // Deleted but not yet committed, a submodule, a link to a folder.
            _ => {
                skipped.push(relative.display().to_string());
                continue;
            }
        }
        let to = out.join(relative);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        }
        course_bytes += fs::copy(&from, &to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    if !skipped.is_empty() {
        say(&format!(
            "bundle: left out {} listed path(s) that are not files here: {}",
            skipped.len(),
            skipped.join(", ")
        ))?;
    }

    // 2. The crates. Cargo reads the bundle's config while it vendors, so that
    // config must not yet send crates.io to vendor/ or forbid the network:
    // write the repository's config without any [source] table or offline key.
    let original = match fs::read_to_string(repo.join(CONFIG)) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("cannot read {}", repo.join(CONFIG).display()));
        }
    };
    let own_settings = without_source_and_offline(&original);
    write(&out.join(CONFIG), &own_settings)?;

    let exercises = out.join(EXERCISES_MANIFEST).is_file();
    let mut vendor = cargo(out);
    // --respect-source-config: a teacher whose ~/.cargo/config.toml points
    // crates.io at a mirror downloads from that mirror, not from abroad.
    vendor.args(["vendor", "--locked", "--respect-source-config"]);
    if exercises {
        vendor.args(["--sync", EXERCISES_MANIFEST]);
    }
    vendor.arg("vendor");
    say(&format!(
        "bundle: vendoring the crates of {} into vendor/ (cargo vendor --locked{}; it downloads what cargo's cache lacks)",
        if exercises {
            "both workspaces"
        } else {
            "the workspace (there is no exercises/Cargo.toml)"
        },
        if exercises { " --sync exercises/Cargo.toml" } else { "" },
    ))?;
    let (status, replacement) = run_vendor(vendor)?;
    if !status.success() {
        bail!(
            "`cargo vendor` failed ({status}); its messages are above (hint: it needs the network, or a crates.io mirror in \
             ~/.cargo/config.toml, the first time; a complaint about --locked means a Cargo.lock does not match the files bundled: \
             the bundle holds only what git tracks, so commit every crate of both workspaces and their Cargo.lock files)"
        );
    }
    if !replacement.contains("[source.crates-io]") {
        bail!(
            "`cargo vendor` printed no [source.crates-io] replacement, so the bundle would still need crates.io; it printed:\n{replacement}"
        );
    }
    let vendor_dir = out.join("vendor");
    let crates = fs::read_dir(&vendor_dir)
        .with_context(|| format!("cannot list {}", vendor_dir.display()))?
        .count();
    let vendor_bytes = size(&vendor_dir)?;
    say(&format!("bundle: vendored {crates} crates ({})", megabytes(vendor_bytes)))?;
    let redated = redate_before_1980(&vendor_dir)?;
    if redated > 0 {
        say(&format!(
            "bundle: re-dated {redated} vendored file(s) from before 1980, which a zip file cannot hold (zip tools refuse them or warn)"
        ))?;
    }

    // 3. The bundle's config: the repository's settings, then the replacement.
    write(&out.join(CONFIG), &offline_config(&own_settings, &replacement))?;
    say(&format!(
        "bundle: wrote {CONFIG}: the repository's own settings, crates.io replaced by vendor/, [net] offline = true"
    ))?;

    // 4. Prove it before anyone carries it into a classroom.
    let mut manifests = vec!["Cargo.toml"];
    if exercises {
        manifests.push(EXERCISES_MANIFEST);
    }
    for manifest in manifests {
        let checked = cargo(out)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--offline",
                "--locked",
                "--manifest-path",
                manifest,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .context("cannot start `cargo metadata`")?;
        if !checked.status.success() {
            bail!(
                "the bundle does not resolve {manifest} offline: {} (hint: a crate is missing from vendor/ or {CONFIG} is not valid TOML; \
                 look at the repository's {CONFIG} for `source.` or `net.` keys written outside a [table])",
                String::from_utf8_lossy(&checked.stderr).trim()
            );
        }
    }
    say(
        "bundle: checked: cargo resolves every workspace of the bundle offline, from vendor/ alone",
    )?;

    say(&format!(
        "Ready: {} ({} of course files + {} of crates). Zip this folder and hand it out: students unzip it, \
         open a terminal in it and run `cargo run -p demo`, with no network (they need Rust installed; the bundle has crates, not the compiler).",
        out.display(),
        megabytes(course_bytes),
        megabytes(vendor_bytes),
    ))
}

/// Runs `cargo vendor` and returns its exit status and what it printed on
/// stdout: the source replacement. Its stderr is passed on without the line
/// per vendored crate and without its advice to edit the config (`make` does
/// that), so a teacher sees downloads, warnings and errors. (`--quiet` would
/// also silence the replacement on stdout.)
fn run_vendor(mut vendor: Command) -> Result<(std::process::ExitStatus, String)> {
    let mut child = vendor
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start `cargo vendor` (hint: is cargo on PATH?)")?;
    let stderr = child.stderr.take();
    let relay = std::thread::spawn(move || {
        let Some(stderr) = stderr else { return };
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let text = line.trim_start();
            if text.starts_with("Vendoring ") || text.starts_with("To use vendored sources") {
                continue;
            }
            eprintln!("{line}");
        }
    });
    let mut replacement = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_string(&mut replacement)
            .context("cannot read what `cargo vendor` printed (the source replacement)")?;
    }
    let status = child.wait().context("`cargo vendor` did not finish")?;
    // A relay that panicked only loses messages; the status says what counts.
    let _ = relay.join();
    Ok((status, replacement))
}

/// The files git tracks, relative to `repo`; `None` when git is missing or
/// `repo` is not the root of a git checkout (an unpacked bundle inside some
/// other checkout must not be mistaken for it).
fn tracked_files(repo: &Path) -> Option<Vec<PathBuf>> {
    let toplevel = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !toplevel.status.success() {
        return None;
    }
    let toplevel =
        PathBuf::from(String::from_utf8(toplevel.stdout).ok()?.trim()).canonicalize().ok()?;
    if toplevel != repo.canonicalize().ok()? {
        return None;
    }
    let files = git_lines(repo, &["ls-files", "-z"])?;
    (!files.is_empty()).then_some(files)
}

/// The NUL-separated paths a git command prints, run in `repo`.
fn git_lines(repo: &Path, args: &[&str]) -> Option<Vec<PathBuf>> {
    let listed =
        Command::new("git").arg("-C").arg(repo).args(args).stderr(Stdio::null()).output().ok()?;
    if !listed.status.success() {
        return None;
    }
    Some(
        listed
            .stdout
            .split(|byte| *byte == 0)
            .filter(|name| !name.is_empty())
            .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
            .collect(),
    )
}

/// Every file under `root/relative`, skipping `SKIPPED_DIRS`, the bundle
/// itself (it may be inside the repository) and a bundle's `vendor/` (made
/// afresh).
fn walk(root: &Path, relative: &Path, out: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let dir = root.join(relative);
    let entries = fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        let kind =
            entry.file_type().with_context(|| format!("cannot look at {}", path.display()))?;
        if kind.is_dir() {
            let old_vendor = relative.as_os_str().is_empty() && name == "vendor";
            let is_out = path.canonicalize().ok() == out.canonicalize().ok();
            if SKIPPED_DIRS.iter().any(|skipped| name == *skipped) || is_out || old_vendor {
                continue;
            }
            walk(root, &relative.join(&name), out, files)?;
        } else {
            files.push(relative.join(&name));
        }
    }
    Ok(())
}

/// The repository's cargo config without what the bundle sets itself:
/// `[source…]` tables (a bundle made from a bundle has them) and the
/// `offline` key of `[net]`. Line-based, which is enough for a config file
/// of tables; `make` has cargo parse the result.
fn without_source_and_offline(config: &str) -> String {
    let mut kept = String::new();
    let mut table = String::new();
    for line in config.lines() {
        if let Some(name) = table_name(line) {
            table = name;
        }
        let in_source = table == "source" || table.starts_with("source.");
        let offline_key = table == "net" && key_of(line) == Some("offline");
        let our_comment = line.starts_with(MARKER);
        if !in_source && !offline_key && !our_comment {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// The bundle's config: the repository's settings, then the replacement
/// `cargo vendor` printed, then `offline = true` in the one `[net]` table.
fn offline_config(own_settings: &str, replacement: &str) -> String {
    let mut config = String::new();
    let mut has_net = false;
    for line in own_settings.lines() {
        config.push_str(line);
        config.push('\n');
        if table_name(line).as_deref() == Some("net") {
            config.push_str(
                "offline = true  # added by `cargo lab bundle`: this copy never uses the network\n",
            );
            has_net = true;
        }
    }
    if !config.is_empty() && !config.ends_with("\n\n") {
        config.push('\n');
    }
    config.push_str(MARKER);
    config.push_str(": every crate comes from vendor/, no network needed.\n");
    config.push_str(replacement.trim());
    config.push('\n');
    if !has_net {
        config.push_str("\n[net]\noffline = true\n");
    }
    config
}

/// `[net]` → `net`, `[ source."crates-io" ]` → `source.crates-io`; `None`
/// for a line that is not a table header (arrays of tables included).
fn table_name(line: &str) -> Option<String> {
    let line = line.split('#').next().unwrap_or_default().trim();
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    if inner.starts_with('[') || inner.is_empty() {
        return None;
    }
    Some(inner.chars().filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'').collect())
}

/// The key of a `key = value` line.
fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    Some(key.trim().trim_matches('"'))
}

/// Creates `out`, or accepts it when it is an empty folder.
fn create_empty_dir(out: &Path) -> Result<()> {
    match fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "{} already exists and is not empty (hint: name a new folder, or delete this one first)",
                    out.display()
                );
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => fs::create_dir_all(out)
            .with_context(|| format!("cannot create the bundle folder {}", out.display())),
        Err(error) => Err(error).with_context(|| {
            format!(
                "cannot use {} as the bundle folder (hint: it must be a new or empty folder)",
                out.display()
            )
        }),
    }
}

/// `cargo`, the one running us when there is one (`cargo lab …` sets CARGO),
/// working in `dir`.
fn cargo(dir: &Path) -> Command {
    let mut command =
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")));
    command.current_dir(dir);
    command
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// A few crates on crates.io hold files dated 1970. A zip file stores dates
/// from 1980 on, so zipping the bundle fails or complains; give those files
/// the date cargo itself gives the files of a published crate. Cargo does not
/// look at these dates (a vendored crate is checked by its checksums).
/// Returns how many files were re-dated.
fn redate_before_1980(dir: &Path) -> Result<usize> {
    // 1980-01-02 UTC: a day of margin for time zones, as zip stores local time.
    let zip_epoch = std::time::UNIX_EPOCH + std::time::Duration::from_secs(315_619_200);
    // 2006-07-24 01:21:28 UTC, the time cargo writes into published crates.
    let cargo_time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_153_704_088);
    let mut redated = 0;
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = entry.path();
        let metadata =
            entry.metadata().with_context(|| format!("cannot look at {}", path.display()))?;
        if metadata.is_dir() {
            redated += redate_before_1980(&path)?;
        } else if metadata.modified().is_ok_and(|modified| modified < zip_epoch) {
            fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|file| file.set_modified(cargo_time))
                .with_context(|| format!("cannot change the date of {}", path.display()))?;
            redated += 1;
        }
    }
    Ok(redated)
}

/// Bytes in the files under `dir`.
fn size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let metadata = entry
            .metadata()
            .with_context(|| format!("cannot look at {}", entry.path().display()))?;
        total += if metadata.is_dir() { size(&entry.path())? } else { metadata.len() };
    }
    Ok(total)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn say(line: &str) -> Result<()> {
    writeln!(std::io::stdout().lock(), "{line}").context("cannot write to standard output")
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLACEMENT: &str = "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n";

    #[test]
    fn keeps_the_aliases_and_adds_the_replacement_and_offline() {
        let own = without_source_and_offline("[alias]\nlab = \"run -q -p lab --\"\n");
        let config = offline_config(&own, REPLACEMENT);
        assert_eq!(
            config,
            "[alias]\nlab = \"run -q -p lab --\"\n\n# Added by `cargo lab bundle`: every crate comes from vendor/, no network needed.\n\
             [source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n\n[net]\noffline = true\n"
        );
    }

    #[test]
    fn a_bundle_of_a_bundle_has_one_replacement_and_one_net_table() {
        let bundle = "[alias]\nlab = \"run\"\n\n# Added by `cargo lab bundle`: …\n[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n\
                      [source.vendored-sources]\ndirectory = \"vendor\"\n\n[net]\nretry = 5\noffline = true\n";
        let own = without_source_and_offline(bundle);
        assert!(!own.contains("source") && !own.contains("offline"), "{own}");
        let config = offline_config(&own, REPLACEMENT);
        assert_eq!(config.matches("[net]").count(), 1, "{config}");
        assert_eq!(config.matches("offline = true").count(), 1, "{config}");
        assert_eq!(config.matches("[source.crates-io]").count(), 1, "{config}");
        assert_eq!(config.matches(MARKER).count(), 1, "{config}");
        assert!(config.contains("retry = 5"), "{config}");
    }

    #[test]
    fn no_config_at_all() {
        let config = offline_config("", REPLACEMENT);
        assert!(config.starts_with("# Added by"), "{config}");
        assert!(config.ends_with("[net]\noffline = true\n"), "{config}");
    }

    #[test]
    fn table_headers() {
        assert_eq!(table_name("[net]").as_deref(), Some("net"));
        assert_eq!(
            table_name(" [ source.\"crates-io\" ] # mirror").as_deref(),
            Some("source.crates-io")
        );
        assert_eq!(table_name("[[bin]]"), None);
        assert_eq!(table_name("lab = [\"run\"]"), None);
    }
}

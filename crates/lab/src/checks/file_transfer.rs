//! Checks of the exercises of the chapter "One file, two transports".
//!
//! `safe-path` reads names on stdin and answers each with `ok NAME` or
//! `refused: REASON`; each check feeds one class of names at once and lines
//! the answers up with them. A reason is any non-empty text.
use crate::lang::Text;
use crate::probe::{Check, Outcome, Run, WAIT, show, stderr_head};
use crate::{fail, tr};

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "safe-path" => Some(SAFE_PATH),
        _ => None,
    }
}

const SAFE_PATH: &[Check] = &[
    Check {
        en: "accepts ordinary names (`notes.txt`, `.hidden`, `notes..txt`, `console.log`, `数据.csv`, 255 bytes) with `ok NAME`",
        zh: "接受普通的名字（`notes.txt`、`.hidden`、`notes..txt`、`console.log`、`数据.csv`、255 字节），回答 `ok 名字`",
        run: accepts_ordinary_names,
    },
    Check {
        en: "refuses the empty name, `.`, `..` and any name with `/` or `\\` (`../x`, `/etc/passwd`, `\\\\server\\share`)",
        zh: "拒绝空名字、`.`、`..` 以及含有 `/` 或 `\\` 的名字（`../x`、`/etc/passwd`、`\\\\server\\share`）",
        run: refuses_paths,
    },
    Check {
        en: "refuses names with `:` (`C:x`, `c:`, `notes.txt:hidden`)",
        zh: "拒绝含有 `:` 的名字（`C:x`、`c:`、`notes.txt:hidden`）",
        run: refuses_colons,
    },
    Check {
        en: "refuses Windows device names in any case, also with an extension (`CON`, `nul.txt`, `com9.log`)",
        zh: "拒绝 Windows 设备名，不分大小写，带扩展名也算（`CON`、`nul.txt`、`com9.log`）",
        run: refuses_devices,
    },
    Check {
        en: "refuses a dot or a space at the end, control characters, and more than 255 bytes",
        zh: "拒绝以点或空格结尾、含有控制字符、超过 255 个字节的名字",
        run: refuses_the_rest,
    },
];

/// What the program answered for one name.
enum Answer {
    Ok,
    Refused,
}

/// A name as the student reads it: quoted and escaped, long ones by their length.
fn shown_name(name: &str) -> String {
    if name.len() > 40 {
        let start: String = name.chars().take(12).collect();
        format!("a name of {} bytes ({}…)", name.len(), show(start.as_bytes()))
    } else {
        show(name.as_bytes())
    }
}

fn shown_name_zh(name: &str) -> String {
    if name.len() > 40 {
        let start: String = name.chars().take(12).collect();
        format!("一个 {} 字节的名字（{}…）", name.len(), show(start.as_bytes()))
    } else {
        show(name.as_bytes())
    }
}

/// Feeds `names`, one per line, and returns the answer to each, in order.
fn answers(run: &Run, names: &[String]) -> Result<Vec<Answer>, crate::probe::Failure> {
    let input: String = names.iter().map(|name| format!("{name}\n")).collect();
    let program = run.start(&[], Some(input.as_bytes()))?;
    let finished = program.finish(WAIT)?;
    let count = names.len();
    if finished.code != Some(0) {
        let (code, stderr) = (finished.exit_code(), stderr_head(&finished.stderr));
        fail!(
            "with {count} names on stdin the program should print one line per name and exit with code 0; it exited with {code}, its error output: {stderr}",
            "标准输入是 {count} 个名字时，程序应当每个名字打印一行，并以退出码 0 结束；它的退出码是 {code}，错误输出：{stderr}"
        );
    }
    let lines: Vec<&str> = finished.stdout.lines().filter(|line| !line.is_empty()).collect();
    let mut found = Vec::new();
    for (n, name) in names.iter().enumerate() {
        let (en, zh, number) = (shown_name(name), shown_name_zh(name), n + 1);
        let Some(line) = lines.get(n) else {
            let got = lines.len();
            fail!(
                "sent {count} names, one per line; the program printed only {got} lines, none for name {number} ({en})",
                "发送了 {count} 个名字，每行一个；程序只打印了 {got} 行，第 {number} 个名字（{zh}）没有回答"
            );
        };
        let answer = if line.strip_prefix("ok ") == Some(name.as_str()) {
            Answer::Ok
        } else if line.strip_prefix("refused:").is_some_and(|reason| !reason.trim().is_empty()) {
            Answer::Refused
        } else {
            let got = show(line.as_bytes());
            fail!(
                "for name {number} ({en}) expected `ok NAME` with the name exactly as sent, or `refused: REASON` with some reason; got {got}",
                "第 {number} 个名字（{zh}）应当得到 `ok 名字`（名字原样写出）或者 `refused: 原因`（要写明原因）；实际是 {got}"
            );
        };
        found.push(answer);
    }
    if lines.len() > count {
        let (got, extra) = (lines.len(), show(lines[count].as_bytes()));
        fail!(
            "sent {count} names, one per line; the program printed {got} lines, one per name expected (the first extra one: {extra})",
            "发送了 {count} 个名字，每行一个；程序打印了 {got} 行，期望每个名字正好一行（多出来的第一行：{extra}）"
        );
    }
    Ok(found)
}

/// Every name of `names` must be refused; hint `fits` fits a name that was not.
fn expect_refused(run: &Run, names: &[String], fits: usize) -> Outcome {
    for (name, answer) in names.iter().zip(answers(run, names)?) {
        if let Answer::Ok = answer {
            let (en, zh) = (shown_name(name), shown_name_zh(name));
            let Text { en: why_en, zh: why_zh } = why(name);
            fail!(
                hint fits,
                "{en} was accepted (`ok …`); it must be refused: {why_en}",
                "{zh} 被接受了（`ok …`）；它应当被拒绝：{why_zh}"
            );
        }
    }
    Ok(())
}

/// The first rule of the statement that refuses `name`.
fn why(name: &str) -> Text {
    let length = name.len();
    if name.is_empty() {
        tr!("an empty name names no file", "空名字不指向任何文件")
    } else if length > 255 {
        let chars = name.chars().count();
        tr!(
            "it is {length} bytes long ({chars} characters), over the limit of 255 bytes: `len()` counts bytes",
            "它有 {length} 个字节（{chars} 个字符），超过了 255 字节的上限：`len()` 数的是字节"
        )
    } else if name == "." || name == ".." {
        tr!(
            "`.` is the directory itself and `..` its parent, not file names",
            "`.` 是目录自己，`..` 是上级目录，都不是文件名"
        )
    } else if name.contains(['/', '\\']) {
        tr!(
            "it contains `/` or `\\`, so it is a path, not a name: on Windows both separate directories, and a path can lead out of the target directory or start at the root",
            "它含有 `/` 或 `\\`，是路径而不是名字：在 Windows 上两者都是目录分隔符，路径可以走出目标目录，也可以从根目录开始"
        )
    } else if name.contains(':') {
        tr!(
            "it contains `:`: on Windows `C:x` is a path on drive C, and `notes.txt:hidden` an NTFS stream of notes.txt",
            "它含有 `:`：在 Windows 上 `C:x` 是 C 盘上的路径，`notes.txt:hidden` 是 notes.txt 的一个 NTFS 数据流"
        )
    } else if name.chars().any(char::is_control) {
        tr!(
            "it contains a control character (`char::is_control`), which no file name should have",
            "它含有控制字符（`char::is_control`），文件名里不应当有这种字符"
        )
    } else if name.ends_with(['.', ' ']) {
        tr!(
            "it ends with a dot or a space, which Windows drops: the file created would not be the name checked",
            "它以点或空格结尾，Windows 会把它们去掉：创建出来的文件就不是检查过的这个名字了"
        )
    } else {
        tr!(
            "the part before its first dot is a Windows device name (CON, PRN, AUX, NUL, COM1–COM9, LPT1–LPT9, in any case): opening it opens the device",
            "它第一个点之前的部分是 Windows 的设备名（CON、PRN、AUX、NUL、COM1–COM9、LPT1–LPT9，不分大小写）：打开它打开的是设备"
        )
    }
}

fn accepts_ordinary_names(run: &Run) -> Outcome {
    let long = format!("{}.txt", "x".repeat(251));
    let accented = "é".repeat(127); // 254 bytes
    let names: Vec<String> = [
        "notes.txt",
        "photo 2024.jpg",
        ".hidden",
        "archive.tar.gz",
        "数据.csv",
        "README",
        "a",
        "notes..txt",
        "..a",
        "console.log",
        "nullable.rs",
        "COM10",
        "auxiliary.txt",
        "prn-report.pdf",
        "lpt",
        " leading space.txt",
        "-rf",
        "Ünïcödé ✓.md",
        &long,
        &accented,
    ]
    .iter()
    .map(|name| name.to_string())
    .collect();
    for (name, answer) in names.iter().zip(answers(run, &names)?) {
        if let Answer::Refused = answer {
            let (en, zh) = (shown_name(name), shown_name_zh(name));
            fail!(
                hint 1,
                "{en} was refused; it is an ordinary name that breaks none of the statement's rules (only the whole name `..` is the parent directory, only the part before the first dot can be a device name, 255 bytes are allowed), so the answer is `ok {name}`",
                "{zh} 被拒绝了；它是一个普通的名字，不违反题目里的任何一条规则（只有整个名字是 `..` 才是上级目录，只有第一个点之前的部分才可能是设备名，255 个字节是允许的），所以应当回答 `ok {name}`"
            );
        }
    }
    Ok(())
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

fn refuses_paths(run: &Run) -> Outcome {
    let names = strings(&[
        "",
        ".",
        "..",
        "../secret.txt",
        "../../etc/passwd",
        "/etc/passwd",
        "dir/file.txt",
        "a/",
        "/",
        "..\\..\\windows\\win.ini",
        "\\\\server\\share\\x",
        "dir\\file.txt",
        "\\",
    ]);
    expect_refused(run, &names, 1)
}

fn refuses_colons(run: &Run) -> Outcome {
    let names = strings(&["C:x", "c:", "Z:secret.txt", "D:..", "C:\\Windows", "notes.txt:hidden"]);
    expect_refused(run, &names, 2)
}

fn refuses_devices(run: &Run) -> Outcome {
    let names = strings(&[
        "CON",
        "con",
        "Prn",
        "AUX",
        "nul",
        "NUL.txt",
        "nul.tar.gz",
        "Con.tar.gz",
        "COM1",
        "cOm5",
        "com9.log",
        "LPT1",
        "lpt9",
        "lpt1.log",
        "Aux.c",
    ]);
    expect_refused(run, &names, 3)
}

fn refuses_the_rest(run: &Run) -> Outcome {
    let mut names = strings(&["notes.", "notes ", "...", "report.txt.", "a b "]);
    names.extend(strings(&["a\tb", "\x1b[31mred", "a\x7fb", "a\0b", "bell\x07", "\u{85}x"]));
    names.extend([
        "x".repeat(256),
        format!("{}.txt", "y".repeat(300)),
        "中".repeat(86), // 258 bytes, 86 characters
        "é".repeat(128), // 256 bytes
    ]);
    expect_refused(run, &names, 2)
}

//! Is a file name that came over the network safe to create in our directory?
//!
//! The sender chooses the name; the receiver must never let that choice
//! reach outside its target directory (`../../.ssh/authorized_keys`), name a
//! device (`CON` on Windows is the console, whatever directory it is in), or
//! mean something else on another system than it looks like here
//! (`report.txt.` is `report.txt` to Windows). The rule is therefore not
//! "what this OS allows" but "a plain name that is the same plain name
//! everywhere": one component, no separator of any system, nothing that
//! Windows, macOS or Linux would read differently.
//!
//! It is a pure function, so every row of the table below is a unit test.
use std::fmt;

/// The longest name accepted, in bytes: what Linux and macOS allow for one
/// path component (`NAME_MAX`); Windows counts 255 UTF-16 units, which a
/// name of at most 255 UTF-8 bytes never exceeds.
pub const MAX_NAME_BYTES: usize = 255;

/// Why a name is refused. `Display` gives the reason the receiver sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsafeName {
    /// The empty string names no file.
    Empty,
    /// More than [`MAX_NAME_BYTES`] bytes.
    TooLong(usize),
    /// `.` is the directory itself, `..` its parent.
    Dot,
    /// A `/` or `\`: the name would be a path (`../x`, `/etc/passwd`, `\\server\share`).
    Separator(char),
    /// A character Windows forbids in names: `:` also makes `C:x` a drive
    /// path and `notes.txt:hidden` an alternate data stream.
    Forbidden(char),
    /// A control character (newline, escape, NUL...): it can rewrite a
    /// terminal or a log line, and Windows forbids them.
    Control(char),
    /// Windows silently drops a final dot or space: `a.txt.` would become `a.txt`.
    TrailingDotOrSpace,
    /// A Windows device name (`CON`, `nul.txt`, `COM1`...), with any extension.
    Device(String),
}

impl fmt::Display for UnsafeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsafeName::Empty => write!(f, "the file name is empty"),
            UnsafeName::TooLong(bytes) => {
                write!(f, "the file name is {bytes} bytes long (at most {MAX_NAME_BYTES})")
            }
            UnsafeName::Dot => write!(f, "`.` and `..` are directories, not file names"),
            UnsafeName::Separator(c) => {
                write!(f, "the file name contains {c:?}: a path, not a plain name")
            }
            UnsafeName::Forbidden(c) => {
                write!(f, "the file name contains {c:?}, which Windows forbids in names")
            }
            UnsafeName::Control(c) => {
                write!(f, "the file name contains the control character {c:?}")
            }
            UnsafeName::TrailingDotOrSpace => {
                write!(f, "the file name ends with a dot or a space (Windows would drop it)")
            }
            UnsafeName::Device(device) => {
                write!(f, "the file name is the Windows device name {device}")
            }
        }
    }
}

impl std::error::Error for UnsafeName {}

/// Windows device names: reserved in every directory, whatever the case and
/// whatever extension follows (`nul.txt` and `Aux.tar.gz` are devices too).
/// `COM¹`..`COM³` and `LPT¹`..`LPT³` (superscript digits) are reserved as well.
const DEVICES: [&str; 6] = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];

// ANCHOR: safe_name
/// Returns `name` if it is one plain file name, safe to create inside the
/// target directory on any system; otherwise the reason it is not.
///
/// ```
/// use transfer::name::{safe_name, UnsafeName};
/// assert_eq!(safe_name("report.pdf"), Ok("report.pdf"));
/// assert_eq!(safe_name("../x"), Err(UnsafeName::Separator('/')));
/// assert!(matches!(safe_name("nul.txt"), Err(UnsafeName::Device(_))));
/// ```
pub fn safe_name(name: &str) -> Result<&str, UnsafeName> {
    if name.is_empty() {
        return Err(UnsafeName::Empty);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(UnsafeName::TooLong(name.len()));
    }
    if name == "." || name == ".." {
        return Err(UnsafeName::Dot);
    }
    for c in name.chars() {
        match c {
            '/' | '\\' => return Err(UnsafeName::Separator(c)),
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => return Err(UnsafeName::Forbidden(c)),
            c if c.is_control() => return Err(UnsafeName::Control(c)),
            _ => {}
        }
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Err(UnsafeName::TrailingDotOrSpace);
    }
    // The device is the part before the first dot, spaces before the dot ignored.
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    if is_device(stem) {
        return Err(UnsafeName::Device(stem.to_uppercase()));
    }
    Ok(name)
}
// ANCHOR_END: safe_name

/// `CON`, `prn`, `COM1`..`COM9`, `LPT¹`...: compared without regard to case.
fn is_device(stem: &str) -> bool {
    let upper = stem.to_ascii_uppercase();
    if DEVICES.contains(&upper.as_str()) {
        return true;
    }
    let Some(digit) = upper.strip_prefix("COM").or_else(|| upper.strip_prefix("LPT")) else {
        return false;
    };
    let mut chars = digit.chars();
    matches!((chars.next(), chars.next()), (Some('1'..='9' | '¹' | '²' | '³'), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str) -> UnsafeName {
        match safe_name(name) {
            Ok(_) => panic!("{name:?} should be refused"),
            Err(why) => why,
        }
    }

    #[test]
    fn plain_names_are_accepted() {
        for name in [
            "a",
            "report.pdf",
            "archive.tar.gz",
            ".hidden",
            "..x",
            "x..y",
            "with space.txt",
            " leading space",
            "über-größe.txt",
            "日本語のファイル.md",
            "CONSOLE.txt",
            "contract.pdf",
            "COM10",
            "COM0",
            "LPT",
            "nul_not_a_device",
            "auxiliary",
            "a-b_c+d=e,f;g'h[i]j{k}l@m#n$o%p^q&r!",
            "emoji-🦀",
        ] {
            assert_eq!(safe_name(name), Ok(name), "{name:?} should be accepted");
        }
    }

    #[test]
    fn empty_and_dots_are_refused() {
        assert_eq!(refused(""), UnsafeName::Empty);
        assert_eq!(refused("."), UnsafeName::Dot);
        assert_eq!(refused(".."), UnsafeName::Dot);
        assert_eq!(refused("..."), UnsafeName::TrailingDotOrSpace);
    }

    #[test]
    fn paths_are_refused() {
        for name in ["../x", "a/b", "/etc/passwd", "x/", "/", "./x", "dir/../../x"] {
            assert_eq!(refused(name), UnsafeName::Separator('/'), "{name:?}");
        }
        for name in ["..\\x", "\\\\server\\share", "a\\b", "\\Windows\\System32"] {
            assert_eq!(refused(name), UnsafeName::Separator('\\'), "{name:?}");
        }
    }

    #[test]
    fn drive_letters_and_streams_are_refused() {
        for name in ["C:\\x", "C:x", "c:", "file.txt:hidden", "D:"] {
            let why = refused(name);
            assert!(
                matches!(why, UnsafeName::Forbidden(':') | UnsafeName::Separator('\\')),
                "{name:?}: {why:?}"
            );
        }
        assert_eq!(refused("C:x"), UnsafeName::Forbidden(':'));
    }

    #[test]
    fn characters_windows_forbids_are_refused() {
        for c in ['<', '>', ':', '"', '|', '?', '*'] {
            let name = format!("a{c}b");
            assert_eq!(refused(&name), UnsafeName::Forbidden(c), "{name:?}");
        }
    }

    #[test]
    fn control_characters_are_refused() {
        for c in ['\0', '\n', '\r', '\t', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}'] {
            let name = format!("a{c}b");
            assert_eq!(refused(&name), UnsafeName::Control(c), "{name:?}");
        }
    }

    #[test]
    fn trailing_dots_and_spaces_are_refused() {
        for name in ["a.", "a ", "a.txt.", "a.txt ", "name. ", "name .", "  "] {
            assert_eq!(refused(name), UnsafeName::TrailingDotOrSpace, "{name:?}");
        }
    }

    #[test]
    fn device_names_are_refused_in_any_case_with_any_extension() {
        for (name, device) in [
            ("CON", "CON"),
            ("con", "CON"),
            ("Aux", "AUX"),
            ("nul.txt", "NUL"),
            ("NUL.tar.gz", "NUL"),
            ("prn.", "trailing"),
            ("COM1", "COM1"),
            ("com9.log", "COM9"),
            ("LPT1", "LPT1"),
            ("LPT9", "LPT9"),
            ("lpt5.x", "LPT5"),
            ("COM¹", "COM¹"),
            ("lpt³.txt", "LPT³"),
            ("CONIN$", "CONIN$"),
            ("conout$.txt", "CONOUT$"),
            ("nul .txt", "NUL"),
        ] {
            let why = refused(name);
            if device == "trailing" {
                assert_eq!(why, UnsafeName::TrailingDotOrSpace, "{name:?}");
            } else {
                assert_eq!(why, UnsafeName::Device(device.to_string()), "{name:?}");
            }
        }
    }

    #[test]
    fn long_names_are_refused_by_bytes_not_characters() {
        let ok = "a".repeat(MAX_NAME_BYTES);
        assert_eq!(safe_name(&ok), Ok(ok.as_str()));
        assert_eq!(refused(&"a".repeat(256)), UnsafeName::TooLong(256));
        // 128 characters but 256 bytes: "é" is two bytes in UTF-8.
        assert_eq!(refused(&"é".repeat(128)), UnsafeName::TooLong(256));
    }

    #[test]
    fn every_reason_reads_as_one_line() {
        for name in ["", "..", "../x", "C:x", "a\nb", "a.", "CON", &"x".repeat(300)] {
            let reason = refused(name).to_string();
            assert!(!reason.is_empty() && !reason.contains('\n'), "{name:?}: {reason:?}");
        }
        assert!(refused("a\nb").to_string().contains("'\\n'"), "the newline is shown escaped");
    }
}

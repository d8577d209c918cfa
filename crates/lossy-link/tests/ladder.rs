//! Runs the `ladder` binary on handwritten logs and on a real proxy log, and
//! checks that the SVG is well-formed XML, labelled, and the same every time.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use testkit::{Server, TIMEOUT, assert_clean_failure};

const LADDER: &str = env!("CARGO_BIN_EXE_ladder");
const PROXY: &str = env!("CARGO_BIN_EXE_lossy-link");

fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ladder-{}-{n}-{name}", std::process::id()))
}

fn ladder(args: &[&str]) -> Output {
    Command::new(LADDER).args(args).stdin(Stdio::null()).output().unwrap()
}

/// The hex of a rudp header.
fn head(kind: u8, seq: u32, ack: u32) -> String {
    let mut bytes = vec![kind, 0];
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes.extend_from_slice(&ack.to_be_bytes());
    bytes.extend_from_slice(&[0, 8]);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn line(t: f64, dir: &str, n: u64, size: usize, head: &str, fate: &str, out: &[f64]) -> String {
    let out: Vec<String> = out.iter().map(|t| format!("{t:.3}")).collect();
    format!(
        r#"{{"t":{t:.3},"dir":"{dir}","n":{n},"size":{size},"head":"{head}","fate":"{fate}","out":[{}]}}"#,
        out.join(",")
    )
}

/// A small go-back-N-like exchange with every fate in it.
fn exchange() -> PathBuf {
    let lines = [
        line(0.0, "up", 1, 12, &head(1, 1000, 0), "delivered", &[5.0]),
        line(5.1, "down", 1, 12, &head(2, 0, 1001), "delivered", &[10.1]),
        line(10.2, "up", 2, 1472, &head(3, 1001, 0), "delivered", &[15.2]),
        line(10.3, "up", 3, 1472, &head(3, 1002, 0), "dropped", &[]),
        line(10.4, "up", 4, 1472, &head(3, 1003, 0), "burst", &[]),
        line(15.3, "down", 2, 12, &head(4, 0, 1002), "duplicated", &[20.3, 21.0]),
        line(210.0, "up", 5, 1472, &head(3, 1002, 0), "reordered", &[225.0]),
        line(211.0, "up", 6, 1472, &head(3, 1003, 0), "delivered", &[216.0]),
        line(216.1, "down", 3, 12, &head(4, 0, 1002), "listed", &[]),
        line(225.1, "down", 4, 14, &head(4, 0, 1004), "delivered", &[230.1]),
        line(230.2, "up", 7, 12, &head(5, 1004, 0), "queue", &[]),
        line(430.0, "up", 8, 12, &head(5, 1004, 0), "delivered", &[435.0]),
        line(435.1, "down", 5, 20, &head(6, 0, 0), "delivered", &[440.1]),
        line(440.2, "up", 9, 18, "48656c6c6f2c205544502053", "delivered", &[440.2]),
        r#"{"summary":{"seed":42,"stopped":"--count 14","elapsed":500.0,"up":{},"down":{}}}"#
            .to_string(),
    ];
    let path = scratch("exchange.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// A tiny well-formedness check: tags nest and close, attributes are quoted,
/// every `&` starts an entity, one root element.
fn assert_well_formed_xml(text: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = text;
    let check_text = |text: &str| {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |end| i + end + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity),
                "bad entity {entity:?}"
            );
        }
        assert!(!text.contains('>'), "a stray > in {text:?}");
    };
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        if stack.is_empty() {
            assert!(rest[..open].trim().is_empty(), "text outside the root: {:?}", &rest[..open]);
        }
        let close = rest[open..].find('>').expect("an unclosed tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{tag}"
        );
        // Attributes: name="value" pairs.
        let mut attributes = tag[name_end..].trim();
        while !attributes.is_empty() {
            let eq =
                attributes.find("=\"").unwrap_or_else(|| panic!("unquoted attribute in <{tag}>"));
            let end = attributes[eq + 2..].find('"').expect("an unclosed attribute value") + eq + 2;
            check_text(&attributes[eq + 2..end]);
            attributes = attributes[end + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    assert!(rest.trim().is_empty(), "text after the root");
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert_eq!(roots, 1, "one root element");
}

#[test]
fn the_checker_catches_broken_xml() {
    for broken in ["<a><b></a></b>", "<a x=1/>", "<a>&nbsp;</a>", "<a/><b/>", "<a>"] {
        assert!(std::panic::catch_unwind(|| assert_well_formed_xml(broken)).is_err(), "{broken}");
    }
    assert_well_formed_xml("<a x=\"1\"><b/>&amp;<c y=\"&lt;\">t</c></a>\n");
}

#[test]
fn draws_every_kind_and_fate_with_labels() {
    let log = exchange();
    let svg_path = scratch("exchange.svg");
    let output = ladder(&[
        log.to_str().unwrap(),
        "-o",
        svg_path.to_str().unwrap(),
        "--title",
        "go-back-N & friends",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert_well_formed_xml(&svg);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(!svg.contains("\n\n"), "no blank line (it would end an HTML block in Markdown)");
    for label in [
        ">go-back-N &amp; friends<",
        ">SYN 1000<",
        ">SYN-ACK<",
        ">DATA 1001<",
        ">DATA 1002<",
        ">DATA 1002 retx late<",
        ">DATA 1003 retx<",
        ">ACK 1002 ×2<",
        ">ACK 1004 +SACK<",
        ">FIN 1004<",
        ">FIN 1004 retx<",
        ">ABORT<",
        ">18 B<",
        ">lost<",
        ">burst<",
        ">listed<",
        ">queue full<",
        ">client<",
        ">server<",
        "retransmission:",
    ] {
        assert!(svg.contains(label), "missing {label:?}");
    }
    assert_eq!(svg.matches("<g>").count(), 14, "one group per datagram");
    // duplicated: two arrows in its group; drops: no arrowhead
    let duplicated = svg.split("<g>").find(|g| g.contains("ACK 1002 ×2")).unwrap();
    assert_eq!(duplicated.matches("marker-end").count(), 2);
    let dropped = svg.split("<g>").find(|g| g.contains(">lost<")).unwrap();
    assert_eq!(dropped.matches("marker-end").count(), 0);
    let retransmitted = svg.split("<g>").find(|g| g.contains("DATA 1003 retx")).unwrap();
    assert!(retransmitted.contains(lossy_link::ladder::RETRANSMISSION));
    assert!(svg.contains("l12,-4"), "the 200 ms waits are cut short and marked");
}

#[test]
fn the_same_log_gives_the_same_bytes() {
    let log = exchange();
    let first = ladder(&[log.to_str().unwrap()]);
    let second = ladder(&[log.to_str().unwrap()]);
    assert!(first.status.success());
    assert!(!first.stdout.is_empty());
    assert_eq!(first.stdout, second.stdout);
    let file = scratch("same.svg");
    assert!(ladder(&[log.to_str().unwrap(), "-o", file.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read(&file).unwrap(), first.stdout, "-o writes what stdout shows");
}

#[test]
fn options_change_the_names_the_legend_and_the_length() {
    let log = exchange();
    let output = ladder(&[
        log.to_str().unwrap(),
        "--names",
        "sender,receiver",
        "--no-legend",
        "--first",
        "3",
    ]);
    assert!(output.status.success());
    let svg = String::from_utf8(output.stdout).unwrap();
    assert_well_formed_xml(&svg);
    assert!(svg.contains(">sender<") && svg.contains(">receiver<") && !svg.contains(">client<"));
    assert!(!svg.contains("retransmission:"));
    assert!(svg.contains("first 3 of 14 datagrams"));
    assert_eq!(svg.matches("<g>").count(), 3);
}

#[test]
fn a_long_log_is_drawn_whole_with_a_note() {
    let lines: Vec<String> = (0..80u32)
        .map(|i| {
            line(f64::from(i), "up", u64::from(i) + 1, 5, "", "delivered", &[f64::from(i) + 1.0])
        })
        .collect();
    let path = scratch("long.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let output = ladder(&[path.to_str().unwrap()]);
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("note: 80 datagrams make a tall diagram; --first 60"), "{stderr}");
    let svg = String::from_utf8(output.stdout).unwrap();
    assert_well_formed_xml(&svg);
    assert_eq!(svg.matches("<g>").count(), 80);
}

#[test]
fn bad_logs_and_arguments_are_one_clear_line() {
    let bad = scratch("bad.jsonl");
    std::fs::write(
        &bad,
        format!("{}\nnot json\n", line(0.0, "up", 1, 1, "00", "delivered", &[0.0])),
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    assert_clean_failure(&ladder(&[bad]), &[&format!("{bad}:2: not a lossy-link log line")]);
    let empty = scratch("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    assert_clean_failure(&ladder(&[empty.to_str().unwrap()]), &["holds no datagram"]);
    let missing = scratch("missing.jsonl");
    assert_clean_failure(&ladder(&[missing.to_str().unwrap()]), &["cannot read the log"]);
    assert_clean_failure(&ladder(&[]), &["missing LOG"]);
    assert_clean_failure(&ladder(&["a", "b"]), &["unexpected argument \"b\""]);
    assert_clean_failure(&ladder(&["--first", "0", "a"]), &["--first expects a number"]);
    assert_clean_failure(&ladder(&["--names", "solo", "a"]), &["--names expects LEFT,RIGHT"]);
    assert_clean_failure(&ladder(&["--wide"]), &["unknown option \"--wide\""]);
    let log = exchange();
    let nowhere = scratch("no-such-dir").join("out.svg");
    let output = ladder(&[log.to_str().unwrap(), "-o", nowhere.to_str().unwrap()]);
    assert_clean_failure(&output, &["cannot write"]);
}

#[test]
fn help_and_a_closed_stdout() {
    let output = ladder(&["--help"]);
    assert!(output.status.success());
    assert!(String::from_utf8(output.stdout).unwrap().starts_with("usage: ladder LOG.jsonl"));
    let log = exchange();
    testkit::assert_first_line_on_closed_stdout_is_one_error(
        LADDER,
        &[&["--help"], &[log.to_str().unwrap()]],
    );
}

/// The whole chain: datagrams through a real proxy, its log drawn.
#[test]
fn draws_a_real_proxy_log() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let log = scratch("real.jsonl");
    let upstream = server.local_addr().unwrap().to_string();
    let args =
        ["--quiet", "--count", "6", "--seed", "3", "--loss", "40%", "--log", log.to_str().unwrap()];
    let mut proxy =
        Server::start(PROXY, args.iter().copied().chain(["127.0.0.1:0", upstream.as_str()]));
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(TIMEOUT)).unwrap();
    for seq in 1..=6u32 {
        let mut data = vec![3u8, 0];
        data.extend_from_slice(&seq.to_be_bytes());
        data.extend_from_slice(&[0; 6]);
        data.extend_from_slice(b"payload");
        client.send_to(&data, proxy.address()).unwrap();
    }
    assert!(proxy.wait_for_exit().success());
    let output = ladder(&[log.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let svg = String::from_utf8(output.stdout).unwrap();
    assert_well_formed_xml(&svg);
    for seq in 1..=6 {
        assert!(svg.contains(&format!(">DATA {seq}<")), "DATA {seq} missing");
    }
    assert!(svg.contains(">lost<"), "seed 3 at 40 % loses one of six");
}

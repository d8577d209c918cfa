//! A ladder diagram of a proxy log: the two ends of the link as vertical
//! time lines, time running down, each datagram a slanted arrow from the
//! moment it arrived at the proxy to the moment each copy left it.
//!
//! Pure: it turns log records into SVG text, the same bytes for the same
//! log (no clock, no randomness, no hash-map order). Datagrams in the rudp
//! format are labelled from their header (`DATA 5`, `ACK 6`, `SYN 1000`…);
//! anything else by its size (`18 B`).
//!
//! The vertical axis keeps time's order, not its scale: every distinct moment
//! gets its own row, at least [`MIN_GAP`] pixels below the one before and at
//! most [`MAX_GAP`] (a longer wait is cut short, marked by a double slash across
//! both time lines), so that datagrams a few microseconds apart on loopback do not lie
//! on top of each other, and a 1-second timeout does not take a metre of paper.
use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::link::{Direction, Fate};
use crate::log::Record;

/// Vertical distance between two successive moments, at least.
pub const MIN_GAP: f64 = 16.0;
/// Vertical distance between two successive moments, at most.
pub const MAX_GAP: f64 = 56.0;
/// A diagram with more datagrams than this gets tall; `--first N` cuts it.
pub const READABLE: usize = 60;
/// The colour of retransmissions: an orange that reads on light and dark pages.
pub const RETRANSMISSION: &str = "#d9480f";

const WIDTH: f64 = 720.0;
const LEFT: f64 = 210.0;
const RIGHT: f64 = 510.0;

/// How to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// A title above the diagram.
    pub title: Option<String>,
    /// The names of the left (client) and right (server) time lines.
    pub names: [String; 2],
    /// Draw only the first N datagrams of the log.
    pub first: Option<usize>,
    /// Draw the legend below (the book puts it in the figure's caption instead).
    pub legend: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            title: None,
            names: ["client".into(), "server".into()],
            first: None,
            legend: true,
        }
    }
}

/// The rudp header fields the ladder shows (the format is fixed in the design:
/// kind, flags, seq, ack, window, big-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// 1 SYN, 2 SYN-ACK, 3 DATA, 4 ACK, 5 FIN, 6 ABORT.
    pub kind: u8,
    /// The segment's sequence number.
    pub seq: u32,
    /// The cumulative acknowledgement.
    pub ack: u32,
}

// ANCHOR: decode_head
/// Reads a rudp header from the first 12 bytes of a datagram of `size` bytes;
/// `None` if it is not one (too short, or an unknown kind).
pub fn decode(head: &[u8], size: usize) -> Option<Header> {
    if head.len() < 12 || size < 12 || !(1..=6).contains(&head[0]) {
        return None;
    }
    let word = |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    Some(Header { kind: head[0], seq: word(2), ack: word(6) })
}

/// The label of a datagram: its rudp kind and number, or its size.
pub fn label(header: Option<Header>, size: usize) -> String {
    match header {
        Some(Header { kind: 1, seq, .. }) => format!("SYN {seq}"),
        Some(Header { kind: 2, .. }) => "SYN-ACK".into(),
        Some(Header { kind: 3, seq, .. }) => format!("DATA {seq}"),
        Some(Header { kind: 4, ack, .. }) if size > 12 => format!("ACK {ack} +SACK"),
        Some(Header { kind: 4, ack, .. }) => format!("ACK {ack}"),
        Some(Header { kind: 5, seq, .. }) => format!("FIN {seq}"),
        Some(_) => "ABORT".into(),
        None => format!("{size} B"),
    }
}
// ANCHOR_END: decode_head

/// One datagram, ready to draw.
#[derive(Clone, Debug)]
struct Arrow<'a> {
    record: &'a Record,
    direction: Direction,
    fate: Fate,
    label: String,
    retransmission: bool,
}

/// Which datagrams are retransmissions: a SYN, SYN-ACK, DATA or FIN whose
/// sequence number was already seen in the same direction.
fn arrows(records: &[Record]) -> Vec<Arrow<'_>> {
    let mut seen = BTreeSet::new();
    let mut arrows = Vec::new();
    for record in records {
        let (Some(direction), Some(fate)) = (record.direction(), Fate::from_name(&record.fate))
        else {
            continue; // parse_line lets no such record through
        };
        let header = decode(&record.head_bytes(), record.size);
        let retransmission = match header {
            Some(h) if matches!(h.kind, 1 | 2 | 3 | 5) => !seen.insert((direction, h.kind, h.seq)),
            _ => false,
        };
        let label = label(header, record.size);
        arrows.push(Arrow { record, direction, fate, label, retransmission });
    }
    arrows
}

/// Maps times (ms) to heights: every distinct moment its own row.
#[derive(Debug)]
struct Axis {
    times: Vec<f64>,
    rows: Vec<f64>,
    /// Rows whose gap above was cut short.
    cut: Vec<usize>,
}

impl Axis {
    fn new(moments: impl IntoIterator<Item = f64>, top: f64) -> Self {
        // Microseconds as integers: sorted and deduplicated exactly.
        let micros: BTreeSet<i64> =
            moments.into_iter().map(|t| (t * 1000.0).round() as i64).collect();
        let times: Vec<f64> = micros.into_iter().map(|us| us as f64 / 1000.0).collect();
        let span = times.last().zip(times.first()).map_or(0.0, |(last, first)| last - first);
        let scale = if span > 0.0 { (700.0 / span).clamp(0.05, 40.0) } else { 1.0 }; // px per ms
        let (mut rows, mut cut) = (Vec::with_capacity(times.len()), Vec::new());
        for (i, time) in times.iter().enumerate() {
            let row = match i {
                0 => top,
                _ => {
                    let wanted = (time - times[i - 1]) * scale;
                    if wanted > MAX_GAP {
                        cut.push(i);
                    }
                    rows[i - 1] + wanted.clamp(MIN_GAP, MAX_GAP)
                }
            };
            rows.push(row);
        }
        Axis { times, rows, cut }
    }

    /// The height of a moment (between rows: in proportion).
    fn y(&self, time: f64) -> f64 {
        let at = self.times.partition_point(|&t| t < time);
        match (at, self.times.get(at)) {
            (_, Some(&t)) if (t - time).abs() < 5e-4 => self.rows[at],
            (0, _) => self.rows.first().copied().unwrap_or(0.0),
            (_, None) => self.rows.last().copied().unwrap_or(0.0),
            _ => {
                let (t0, t1) = (self.times[at - 1], self.times[at]);
                let (y0, y1) = (self.rows[at - 1], self.rows[at]);
                y0 + (y1 - y0) * (time - t0) / (t1 - t0)
            }
        }
    }

    fn bottom(&self) -> f64 {
        self.rows.last().copied().unwrap_or(0.0)
    }
}

/// Text safe inside an SVG element or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A short id prefix, so that several diagrams on one page do not share
/// marker ids: from the title when there is one (a page tells its diagrams
/// apart by their titles, and a title is the same on every run), else from
/// the log's datagrams, leaving out times and order.
fn id_for(records: &[Record], title: Option<&str>) -> String {
    let mut datagrams: Vec<String> = match title {
        Some(title) => vec![title.to_string()],
        None => records
            .iter()
            .map(|Record { dir, size, head, fate, .. }| format!("{dir} {size} {head} {fate};"))
            .collect(),
    };
    datagrams.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
    for datagram in &datagrams {
        for byte in datagram.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("ladder-{:08x}", hash as u32)
}

// ANCHOR: render
/// Draws `records` (in log order) as an SVG document.
pub fn render(records: &[Record], options: &Options) -> String {
    let shown = &records[..options.first.unwrap_or(usize::MAX).min(records.len())];
    let arrows = arrows(shown);
    let id = id_for(shown, options.title.as_deref());
    let top = if options.title.is_some() { 96.0 } else { 70.0 };
    let axis = Axis::new(
        shown.iter().flat_map(|r| std::iter::once(r.t).chain(r.out.iter().copied())),
        top,
    );
    // Where a drop's arrow ends: half way across, half the usual transit down.
    let mut transits: Vec<f64> =
        shown.iter().flat_map(|r| r.out.iter().map(move |&out| out - r.t)).collect();
    transits.sort_by(f64::total_cmp);
    let transit = transits.get(transits.len() / 2).copied().unwrap_or(0.0);

    let bottom = axis.bottom() + 24.0;
    let legend_top = bottom + 28.0;
    let height = if options.legend { legend_top + 150.0 } else { bottom + 30.0 };
    let mut svg = String::new();
    let title = options.title.as_deref().map(escape);
    let name = title.clone().unwrap_or_else(|| "ladder diagram".into());
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" \
         width=\"{WIDTH}\" height=\"{height:.0}\" style=\"max-width: 100%; height: auto\" \
         font-family=\"sans-serif\" font-size=\"13\" fill=\"currentColor\" role=\"img\" \
         aria-label=\"{name}\">\n<title>{name}</title>\n"
    );
    for (marker, colour) in [("arrow", "currentColor"), ("retx", RETRANSMISSION)] {
        let _ = writeln!(
            svg,
            "<defs><marker id=\"{id}-{marker}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"8\" markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker></defs>"
        );
    }
    if let Some(title) = &title {
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"28\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{title}</text>",
            WIDTH / 2.0
        );
    }
    // The two time lines.
    for (x, name) in [(LEFT, &options.names[0]), (RIGHT, &options.names[1])] {
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n\
             <line x1=\"{x}\" y1=\"{:.1}\" x2=\"{x}\" y2=\"{bottom:.1}\" stroke=\"currentColor\" stroke-width=\"2\"/>",
            top - 30.0,
            escape(name),
            top - 20.0
        );
        for &row in &axis.cut {
            let y = (axis.rows[row] + axis.rows[row - 1]) / 2.0;
            let _ = writeln!(
                svg,
                "<path d=\"M{:.1},{:.1} l12,-4 M{:.1},{:.1} l12,-4\" stroke=\"currentColor\" stroke-width=\"1.4\"/>",
                x - 6.0,
                y - 1.0,
                x - 6.0,
                y + 4.0
            );
        }
    }
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">ms</text>\n\
         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">ms</text>",
        LEFT - 8.0,
        top - 6.0,
        RIGHT + 8.0,
        top - 6.0
    );
    for arrow in &arrows {
        draw(&mut svg, arrow, &axis, transit, &id);
    }
    if shown.len() < records.len() {
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\" font-style=\"italic\">first {} of {} datagrams</text>",
            WIDTH / 2.0,
            bottom + 18.0,
            shown.len(),
            records.len()
        );
    }
    if options.legend {
        legend(&mut svg, legend_top, &id);
    }
    svg.push_str("</svg>\n");
    svg
}
// ANCHOR_END: render

/// One datagram: an arrow per copy, or a line ending in a cross half way.
fn draw(svg: &mut String, arrow: &Arrow<'_>, axis: &Axis, transit: f64, id: &str) {
    let record = arrow.record;
    let (from, to, anchor, side, label_x) = match arrow.direction {
        Direction::Up => (LEFT, RIGHT, "end", LEFT - 8.0, LEFT + 8.0),
        Direction::Down => (RIGHT, LEFT, "start", RIGHT + 8.0, RIGHT - 8.0),
    };
    let label_anchor = if anchor == "end" { "start" } else { "end" };
    let y = axis.y(record.t);
    let (colour, marker) = if arrow.retransmission {
        (RETRANSMISSION, format!("{id}-retx"))
    } else {
        ("currentColor", format!("{id}-arrow"))
    };
    let mut suffix = String::new();
    if arrow.retransmission {
        suffix.push_str(" retx");
    }
    match arrow.fate {
        Fate::Duplicated => suffix.push_str(" ×2"),
        Fate::Reordered => suffix.push_str(" late"),
        _ => {}
    }
    let outcome = match arrow.fate {
        Fate::Dropped => "lost at random".to_string(),
        Fate::Burst => "lost in a burst".to_string(),
        Fate::Listed => "dropped by the --drop list".to_string(),
        Fate::Queue => "dropped: queue full".to_string(),
        _ => {
            let times: Vec<String> = record.out.iter().map(|t| format!("{t:.3}")).collect();
            format!("{} at {} ms", arrow.fate.name(), times.join(" and "))
        }
    };
    let tooltip = escape(&format!(
        "{} #{}, {} B, {}: {outcome} (arrived {:.3} ms)",
        record.dir, record.n, record.size, arrow.label, record.t
    ));
    let dash = if arrow.fate == Fate::Reordered { " stroke-dasharray=\"6 4\"" } else { "" };
    let _ = writeln!(svg, "<g><title>{tooltip}</title>");
    if arrow.fate.is_drop() {
        let end_x = (from + to) / 2.0;
        let end_y = y + (axis.y(record.t + transit) - y) / 2.0;
        let word = match arrow.fate {
            Fate::Dropped => "lost",
            Fate::Burst => "burst",
            Fate::Listed => "listed",
            _ => "queue full",
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{from:.1}\" y1=\"{y:.1}\" x2=\"{end_x:.1}\" y2=\"{end_y:.1}\" stroke=\"{colour}\" stroke-width=\"1.6\"/>\n\
             <path d=\"M{:.1},{:.1} l10,10 m0,-10 l-10,10\" stroke=\"{colour}\" stroke-width=\"2.2\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" font-style=\"italic\">{word}</text>",
            end_x - 5.0,
            end_y - 5.0,
            end_x + 10.0,
            end_y + 4.0
        );
    } else {
        for &out in &record.out {
            let _ = writeln!(
                svg,
                "<line x1=\"{from:.1}\" y1=\"{y:.1}\" x2=\"{to:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" \
                 stroke-width=\"1.6\"{dash} marker-end=\"url(#{marker})\"/>",
                axis.y(out)
            );
        }
    }
    let _ = writeln!(
        svg,
        "<text x=\"{label_x:.1}\" y=\"{:.1}\" text-anchor=\"{label_anchor}\" font-family=\"monospace\" \
         font-size=\"12\" fill=\"{colour}\">{}{suffix}</text>\n\
         <text x=\"{side:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"11\">{:.3}</text>\n</g>",
        y - 4.0,
        escape(&arrow.label),
        y + 4.0,
        record.t
    );
}

/// What the lines, colours and crosses mean.
fn legend(svg: &mut String, top: f64, id: &str) {
    let rows: [(&str, &str); 5] = [
        (
            "plain",
            "delivered: from arrival at the proxy to departure (label: rudp kind and number, or size)",
        ),
        ("retx", "retransmission: the same SYN, DATA or FIN number again (label ends in retx)"),
        (
            "late",
            "reordered: held back so later datagrams overtake it (dashed, label ends in late)",
        ),
        (
            "drop",
            "dropped: lost at random, burst (bursty loss), listed (--drop), queue full (rate limit)",
        ),
        (
            "note",
            "×2: duplicated, one arrow per copy; time runs down; // on the time lines: a long wait cut short",
        ),
    ];
    let _ = writeln!(
        svg,
        "<rect x=\"20\" y=\"{:.1}\" width=\"{}\" height=\"132\" rx=\"6\" fill=\"currentColor\" \
         fill-opacity=\"0.05\" stroke=\"currentColor\" stroke-width=\"1\"/>",
        top - 14.0,
        WIDTH - 40.0
    );
    for (i, (kind, text)) in rows.iter().enumerate() {
        let y = top + 6.0 + 24.0 * i as f64;
        let sample = match *kind {
            "plain" => format!(
                "<line x1=\"36\" y1=\"{y:.1}\" x2=\"96\" y2=\"{y:.1}\" stroke=\"currentColor\" stroke-width=\"1.6\" marker-end=\"url(#{id}-arrow)\"/>"
            ),
            "retx" => format!(
                "<line x1=\"36\" y1=\"{y:.1}\" x2=\"96\" y2=\"{y:.1}\" stroke=\"{RETRANSMISSION}\" stroke-width=\"1.6\" marker-end=\"url(#{id}-retx)\"/>"
            ),
            "late" => format!(
                "<line x1=\"36\" y1=\"{y:.1}\" x2=\"96\" y2=\"{y:.1}\" stroke=\"currentColor\" stroke-width=\"1.6\" stroke-dasharray=\"6 4\" marker-end=\"url(#{id}-arrow)\"/>"
            ),
            "drop" => format!(
                "<line x1=\"36\" y1=\"{y:.1}\" x2=\"66\" y2=\"{y:.1}\" stroke=\"currentColor\" stroke-width=\"1.6\"/>\
                 <path d=\"M61,{:.1} l10,10 m0,-10 l-10,10\" stroke=\"currentColor\" stroke-width=\"2.2\"/>",
                y - 5.0
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            svg,
            "{sample}<text x=\"110\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            y + 4.0,
            escape(text)
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn header(kind: u8, seq: u32, ack: u32) -> String {
        let mut bytes = vec![kind, 0];
        bytes.extend_from_slice(&seq.to_be_bytes());
        bytes.extend_from_slice(&ack.to_be_bytes());
        bytes.extend_from_slice(&[0, 8]);
        crate::log::head(&bytes)
    }

    fn record(
        t: f64,
        dir: &str,
        n: u64,
        size: usize,
        head: String,
        fate: &str,
        out: &[f64],
    ) -> Record {
        Record { t, dir: dir.into(), n, size, head, fate: fate.into(), out: out.to_vec() }
    }

    #[test]
    fn marker_ids_follow_the_datagrams_not_the_clock() {
        let run = |t: f64, fate: &str| {
            let data = record(t, "up", 1, 40, header(3, 7, 0), fate, &[t + 5.0]);
            let ack = record(t + 5.2, "down", 1, 12, header(4, 0, 8), "delivered", &[t + 10.1]);
            id_for(&[data, ack], None)
        };
        assert_eq!(run(0.0, "delivered"), run(3.7, "delivered"), "other times, the same id");
        let data = record(0.0, "up", 1, 40, header(3, 7, 0), "delivered", &[5.0]);
        let ack = record(5.2, "down", 1, 12, header(4, 0, 8), "delivered", &[10.1]);
        assert_eq!(
            id_for(&[data.clone(), ack.clone()], None),
            id_for(&[ack.clone(), data.clone()], None),
            "another order"
        );
        let titled = |records: &[Record]| id_for(records, Some("go-back-N"));
        assert_eq!(
            titled(&[data.clone(), ack]),
            titled(&[data]),
            "a title decides, whatever the run"
        );
        assert_ne!(run(0.0, "delivered"), run(0.0, "dropped"), "another fate, another id");
    }

    #[test]
    fn decodes_rudp_headers_and_nothing_else() {
        let bytes = [3, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0, 8];
        assert_eq!(decode(&bytes, 100), Some(Header { kind: 3, seq: 7, ack: 1 }));
        assert_eq!(decode(&bytes[..11], 11), None, "too short");
        assert_eq!(decode(&bytes, 11), None, "the datagram is shorter than a header");
        let mut other = bytes;
        other[0] = 7;
        assert_eq!(decode(&other, 12), None, "kind 7 does not exist");
        other[0] = 0;
        assert_eq!(decode(&other, 12), None);
    }

    #[test]
    fn labels() {
        let h = |kind, seq, ack| Some(Header { kind, seq, ack });
        assert_eq!(label(h(1, 1000, 0), 12), "SYN 1000");
        assert_eq!(label(h(2, 0, 1001), 12), "SYN-ACK");
        assert_eq!(label(h(3, 1001, 0), 1472), "DATA 1001");
        assert_eq!(label(h(4, 0, 1002), 12), "ACK 1002");
        assert_eq!(label(h(4, 0, 1002), 14), "ACK 1002 +SACK");
        assert_eq!(label(h(5, 1003, 0), 12), "FIN 1003");
        assert_eq!(label(h(6, 0, 0), 20), "ABORT");
        assert_eq!(label(None, 18), "18 B");
    }

    #[test]
    fn retransmissions_are_the_same_number_again_in_the_same_direction() {
        let records = [
            record(0.0, "up", 1, 100, header(3, 1, 0), "dropped", &[]),
            record(1.0, "down", 1, 12, header(3, 1, 0), "delivered", &[1.0]),
            record(2.0, "up", 2, 100, header(3, 1, 0), "delivered", &[2.0]),
            record(3.0, "up", 3, 12, header(4, 0, 2), "delivered", &[3.0]),
            record(4.0, "up", 4, 12, header(4, 0, 2), "delivered", &[4.0]),
        ];
        let retx: Vec<bool> = arrows(&records).iter().map(|a| a.retransmission).collect();
        assert_eq!(retx, [false, false, true, false, false], "ACKs are never retransmissions");
    }

    #[test]
    fn every_moment_gets_its_own_row_in_order() {
        let axis = Axis::new([0.0, 0.001, 0.002, 5.0, 5.0, 2000.0], 100.0);
        assert_eq!(axis.times, [0.0, 0.001, 0.002, 5.0, 2000.0]);
        assert_eq!(axis.rows[..3], [100.0, 100.0 + MIN_GAP, 100.0 + 2.0 * MIN_GAP]);
        assert!(axis.rows.windows(2).all(|w| w[1] - w[0] >= MIN_GAP && w[1] - w[0] <= MAX_GAP));
        assert_eq!(axis.cut, [4], "the long wait is cut short");
        assert_eq!(axis.y(5.0), axis.rows[3]);
        let between = axis.y(2.501);
        assert!(between > axis.rows[2] && between < axis.rows[3]);
        assert_eq!(axis.y(-1.0), 100.0);
        assert_eq!(axis.y(9999.0), axis.bottom());
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\">\n"), "a&lt;b &amp; &quot;c&quot;&gt; ");
    }

    #[test]
    fn the_same_log_draws_the_same_bytes_and_other_diagrams_other_ids() {
        let records = vec![
            record(0.0, "up", 1, 18, "48656c6c6f".into(), "delivered", &[5.0]),
            record(5.2, "down", 1, 11, "48656c6c6f".into(), "dropped", &[]),
        ];
        let options =
            Options { title: Some("hello <over> a lossy link".into()), ..Options::default() };
        let first = render(&records, &options);
        assert_eq!(first, render(&records, &options));
        assert!(first.contains("hello &lt;over&gt; a lossy link"));
        assert!(!first.contains("\n\n"), "a blank line would end the HTML block in Markdown");
        let id = |svg: &str| svg.split("marker id=\"").nth(1).unwrap()[..15].to_string();
        let untitled = Options::default();
        let other = render(&records[..1], &untitled);
        assert_ne!(
            id(&render(&records, &untitled)),
            id(&other),
            "no title: another log, other ids"
        );
        let retitled = Options { title: Some("another".into()), ..Options::default() };
        assert_ne!(id(&first), id(&render(&records, &retitled)), "another title, other ids");
    }

    #[test]
    fn first_n_says_what_it_left_out() {
        let records: Vec<Record> = (0..10u32)
            .map(|i| {
                record(
                    f64::from(i),
                    "up",
                    u64::from(i) + 1,
                    5,
                    String::new(),
                    "delivered",
                    &[f64::from(i)],
                )
            })
            .collect();
        let svg = render(&records, &Options { first: Some(4), ..Options::default() });
        assert!(svg.contains("first 4 of 10 datagrams"));
        assert_eq!(svg.matches("<g>").count(), 4);
        let all = render(&records, &Options { legend: false, ..Options::default() });
        assert_eq!(all.matches("<g>").count(), 10);
        assert!(!all.contains("retransmission:") && !all.contains("first "));
    }
}

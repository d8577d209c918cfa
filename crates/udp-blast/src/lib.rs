//! Seeing UDP lose on one machine.
//!
//! On loopback no cable is cut and no router is busy, so a student who sends
//! a few datagrams to `udp-server` never sees one go missing and may conclude
//! that UDP is reliable. It is not: UDP has no flow control. A sender that
//! sends faster than the receiver reads fills the receiving socket's buffer
//! (`SO_RCVBUF`), and from then on the kernel drops every datagram that
//! arrives, quietly: the sender's `send` had succeeded, and the receiver's next
//! `recv` just returns a later datagram.
//!
//! `udp-blast` shows it with numbered datagrams ([`wire`]): the receiver
//! learns from the numbers alone what was lost, reordered or duplicated
//! ([`tally`]), and compares with the drop counter the OS keeps
//! ([`os_counters`]). [`blast`] holds the two halves on real sockets, [`cli`]
//! the command line. The same programs, one half per process, give the
//! benchmark its "raw UDP" row. [`offload`] is the faster rung: many
//! datagrams per system call (`send --gso`, `receive --gro`), where the OS
//! has the means.
pub mod blast;
pub mod cli;
pub mod offload;
pub mod os_counters;
pub mod tally;
pub mod wire;

/// `1234.5` bytes per second as `0.0 MB/s` (1 MB = 1 000 000 bytes).
pub fn megabytes_per_second(bytes_per_second: f64) -> String {
    format!("{:.1} MB/s", bytes_per_second / 1e6)
}

/// `part` as a percentage of `whole`, one decimal (`–` when `whole` is 0).
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 { "–".into() } else { format!("{:.1} %", part as f64 * 100.0 / whole as f64) }
}

/// A value in a JSON line: the programs print one for scripts to read.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// A count.
    Int(u64),
    /// A measurement (printed with up to 6 decimals; not finite: null).
    Float(f64),
    /// A name (only plain ASCII words are ever passed here).
    Text(&'static str),
    /// Unknown.
    Null,
}

impl From<Option<u64>> for Json {
    fn from(value: Option<u64>) -> Self {
        value.map_or(Json::Null, Json::Int)
    }
}

/// One JSON object on one line, fields in the given order.
pub fn json_line(fields: &[(&str, Json)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Json::Int(number) => number.to_string(),
                Json::Float(number) if number.is_finite() => {
                    let text = format!("{number:.6}");
                    text.trim_end_matches('0').trim_end_matches('.').to_string()
                }
                Json::Float(_) | Json::Null => "null".into(),
                Json::Text(text) => format!("\"{text}\""),
            };
            format!("\"{name}\":{value}")
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_numbers() {
        let line = json_line(&[
            ("role", Json::Text("receive")),
            ("sent", Json::Int(3)),
            ("seconds", Json::Float(0.25)),
            ("whole", Json::Float(2.0)),
            ("lost", None.into()),
            ("nan", Json::Float(f64::NAN)),
        ]);
        assert_eq!(
            line,
            r#"{"role":"receive","sent":3,"seconds":0.25,"whole":2,"lost":null,"nan":null}"#
        );
        assert_eq!(percent(1, 3), "33.3 %");
        assert_eq!(percent(1, 0), "–");
        assert_eq!(megabytes_per_second(12_345_678.0), "12.3 MB/s");
    }
}

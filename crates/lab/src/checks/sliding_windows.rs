//! Checks of the exercises of the chapter "Sliding windows".
//!
//! `reorder-buffer` is a UDP receiver. Each check plays the sender with its
//! own socket on 127.0.0.1: it sends one segment at a time and waits for its
//! ACK before the next, so nothing is lost on loopback, and it knows from its
//! own model of the receiver ([`Model`]) which ACK and which printed lines
//! each segment must bring.
use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::time::Duration;

use crate::lang::Text;
use crate::probe::{Check, Failure, Outcome, Program, Run, WAIT, error_line, show, udp_socket};
use crate::{fail, tr};

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "reorder-buffer" => Some(REORDER_BUFFER),
        _ => None,
    }
}

const REORDER_BUFFER: &[Check] = &[
    Check {
        en: "in order: prints each text at once and answers `N:TEXT` with `ACK N+1`",
        zh: "按顺序到达时：立即打印每个 TEXT，对 `N:TEXT` 回复 `ACK N+1`",
        run: in_order,
    },
    Check {
        en: "in reverse order: holds the early ones, answers `ACK 0`, prints all in order when 0 comes",
        zh: "倒序到达时：缓存提前到达的，回复 `ACK 0`，等 0 到了再按顺序全部打印",
        run: reversed,
    },
    Check {
        en: "duplicates: each text printed once, the ACK says the next expected",
        zh: "重复的报文段：每个 TEXT 只打印一次，ACK 写的是下一个期望的序号",
        run: duplicates,
    },
    Check {
        en: "a window of 8: `next + 7` is held, `next + 8` and beyond are dropped (still answered)",
        zh: "窗口为 8：`next + 7` 缓存，`next + 8` 及以后的丢弃（但照样回复）",
        run: window,
    },
    Check {
        en: "40 segments shuffled within the window, among datagrams that are not `SEQ:TEXT` (ignored, no ACK)",
        zh: "在窗口内打乱的 40 个报文段，中间夹着不是 `SEQ:TEXT` 的数据报（忽略，不回复 ACK）",
        run: long_run,
    },
];

const WINDOW: u64 = 8;
/// How long a malformed datagram is given to (wrongly) draw an answer.
const SILENCE: Duration = Duration::from_millis(300);

/// The receiver of the statement.
#[derive(Debug, Default)]
struct Model {
    next: u64,
    held: BTreeMap<u64, String>,
}

impl Model {
    /// Handles segment `seq`: the ACK it must bring and the texts it lets through.
    fn receive(&mut self, seq: u64, text: &str) -> (u64, Vec<String>) {
        if seq >= self.next && seq - self.next < WINDOW {
            self.held.entry(seq).or_insert_with(|| text.to_string());
        }
        let mut printed = Vec::new();
        while let Some(text) = self.held.remove(&self.next) {
            printed.push(text);
            self.next += 1;
        }
        (self.next, printed)
    }
}

/// The check's sender, talking to one receiver.
struct Sender {
    server: Program,
    socket: UdpSocket,
    model: Model,
    /// The texts printed so far, in order, to recognise a repeated one.
    printed: Vec<String>,
    /// The texts of segments sent but not yet printed, to recognise an early one.
    waiting: Vec<String>,
    /// Segments sent ahead of the next expected: (seq, the next expected then).
    ahead: Vec<(u64, u64)>,
}

impl Sender {
    fn start(run: &Run) -> Result<Sender, Failure> {
        let server = run.server(&["127.0.0.1:0"])?;
        let socket = udp_socket(WAIT)?;
        Ok(Sender {
            server,
            socket,
            model: Model::default(),
            printed: Vec::new(),
            waiting: Vec::new(),
            ahead: Vec::new(),
        })
    }

    /// Sends segment `seq:text`, expects the ACK and the lines the statement says.
    fn segment(&mut self, seq: u64, text: &str, fits: usize) -> Outcome {
        let before = self.model.next;
        let held = self.model.held.contains_key(&seq);
        let (ack, lines) = self.model.receive(seq, text);
        let sent = format!("{seq}:{text}");
        let label = show(sent.as_bytes());
        self.send(sent.as_bytes(), &label)?;
        let got = self.ack(&label)?;
        if got != ack {
            let (why_en, why_zh) = self.why(seq, before, held, ack, got);
            fail!(
                hint fits,
                "sent {label} while the next expected was {before}: expected `ACK {ack}`, got `ACK {got}`. {why_en}",
                "发送 {label} 时下一个期望的序号是 {before}：应当回复 `ACK {ack}`，实际是 `ACK {got}`。{why_zh}"
            );
        }
        if seq >= before {
            self.waiting.push(text.to_string());
        }
        if seq > before {
            self.ahead.push((seq, before));
        }
        for want in lines {
            let line = self.server.next_line(WAIT).map_err(|failure| {
                let Text { en, zh } = failure.message;
                Failure::new(tr!(
                    "sent {label} and got `ACK {ack}`; then the text {want:?} should have been printed: {en}",
                    "发送 {label} 并收到 `ACK {ack}` 之后，应当打印 {want:?}：{zh}"
                ))
                .hint(fits)
            })?;
            if line != want {
                let got = show(line.as_bytes());
                if self.printed.contains(&line) {
                    fail!(
                        hint fits,
                        "sent {label}: expected the line {want:?} next, but the program printed {got} again: every text is printed once, a duplicate segment changes nothing",
                        "发送 {label} 之后，下一行应当是 {want:?}，程序却又打印了一次 {got}：每个 TEXT 只打印一次，重复的报文段什么也不改变"
                    );
                }
                if self.waiting.contains(&line) {
                    fail!(
                        hint fits,
                        "sent {label}: expected the line {want:?} next, but the program printed {got}, the text of a later segment, too early: a segment that came early waits until every one before it has been printed",
                        "发送 {label} 之后，下一行应当是 {want:?}，程序却过早地打印了 {got}，这是后面某个报文段的内容：提前到达的报文段，要等它前面的全部打印完才能打印"
                    );
                }
                fail!(
                    hint fits,
                    "sent {label}: expected the line {want:?} (only TEXT, without `SEQ:`), got {got}",
                    "发送 {label} 之后，应当打印一行 {want:?}（只有 TEXT，不带 `SEQ:`），实际是 {got}"
                );
            }
            self.waiting.retain(|text| *text != want);
            self.printed.push(want);
        }
        Ok(())
    }

    /// Sends a datagram that is not `SEQ:TEXT` and expects no answer.
    fn malformed(&mut self, datagram: &[u8]) -> Outcome {
        let label = show(datagram);
        self.send(datagram, &label)?;
        let _ = self.socket.set_read_timeout(Some(SILENCE));
        let mut buffer = [0u8; 1024];
        let answered = self.socket.recv_from(&mut buffer);
        let _ = self.socket.set_read_timeout(Some(WAIT));
        if let Ok((n, _)) = answered {
            let got = show(&buffer[..n]);
            fail!(
                hint 1,
                "sent {label}, which is not `SEQ:TEXT`; it should be ignored without an answer, but the program answered {got}",
                "发送了 {label}，它不是 `SEQ:TEXT` 形式，应当忽略、不回复，程序却回复了 {got}"
            );
        }
        Ok(())
    }

    fn send(&self, datagram: &[u8], label: &str) -> Outcome {
        let address = self.server.address();
        if let Err(error) = self.socket.send_to(datagram, address) {
            fail!(
                "cannot send {label} to the receiver at {address}: {error}",
                "无法向接收方 {address} 发送 {label}：{error}"
            );
        }
        Ok(())
    }

    /// The answer to the datagram just sent: `ACK n`, from the receiver's address.
    fn ack(&self, label: &str) -> Result<u64, Failure> {
        let address = self.server.address();
        let (reply, from) = crate::probe::recv_from(&self.socket).map_err(|failure| {
            let Text { en, zh } = failure.message;
            if !self.server.is_running() {
                let Text { en: stderr, zh: zh_stderr } = error_line(&self.server.stderr_text());
                return Failure::new(tr!(
                    "sent {label} to {address}: {en}; the receiver is no longer running (its error output: {stderr})",
                    "向 {address} 发送了 {label}：{zh}；接收方已经不在运行了（它的错误输出：{zh_stderr}）"
                ));
            }
            Failure::new(tr!(
                "sent {label} to {address}: {en} (every segment, even a duplicate or one beyond the window, is answered with `ACK n`)",
                "向 {address} 发送了 {label}：{zh}（每个报文段都要回复 `ACK n`，重复的和超出窗口的也不例外）"
            ))
        })?;
        if from != address {
            fail!(
                "sent {label} to {address}; the answer came from {from}: answer from the socket that received the segment",
                "向 {address} 发送了 {label}；回复却来自 {from}：应当用收到报文段的那个套接字回复"
            );
        }
        let text = String::from_utf8_lossy(&reply);
        match text.trim().strip_prefix("ACK ").and_then(|n| n.parse::<u64>().ok()) {
            Some(n) => Ok(n),
            None => {
                let got = show(&reply);
                fail!(
                    "sent {label}: expected an answer `ACK n` (n a whole number), got {got}",
                    "发送 {label} 之后，期望回复 `ACK n`（n 是整数），实际收到 {got}"
                )
            }
        }
    }

    /// Why segment `seq` brings `ACK {ack}` and not `ACK {got}`, `next` being
    /// the next expected before it and `held` whether it was held already.
    fn why(&self, seq: u64, next: u64, held: bool, ack: u64, got: u64) -> (String, String) {
        let window = |n: u64| format!("{n}..={}", n + WINDOW - 1);
        // A segment the ACK went past must have been held although it was beyond the window.
        let beyond = self.ahead.iter().rev().find(|(s, n)| {
            (ack..got).contains(s) && *s >= n + WINDOW && !self.model.held.contains_key(s)
        });
        if let Some(&(s, n)) = beyond {
            let w = window(n);
            return (
                format!(
                    "Segment {s} came when the next expected was {n}: beyond the window {w}, so it must have been dropped, not held, and the receiver has only everything before {ack}."
                ),
                format!(
                    "报文段 {s} 到达时下一个期望的序号是 {n}：它超出了窗口 {w}，应当丢弃而不是缓存，所以接收方只收齐了 {ack} 之前的报文段。"
                ),
            );
        }
        // A segment the ACK stopped before must have been held: it was inside the window.
        let inside =
            self.ahead.iter().rev().find(|(s, n)| (got..ack).contains(s) && *s < n + WINDOW);
        if let Some(&(s, n)) = inside {
            let w = window(n);
            return (
                format!(
                    "Segment {s} came early, when the next expected was {n}: inside the window {w}, so it must be held, and printed now that its turn has come."
                ),
                format!(
                    "报文段 {s} 提前到达时下一个期望的序号是 {n}：它在窗口 {w} 之内，应当缓存起来，现在轮到它了，就该打印。"
                ),
            );
        }
        let last = next + WINDOW - 1;
        if seq < next {
            (
                format!(
                    "Segment {seq} was printed already: a duplicate changes nothing, and the ACK says the next expected, {next}."
                ),
                format!(
                    "报文段 {seq} 已经打印过了：重复的报文段什么也不改变，ACK 写的仍是下一个期望的序号 {next}。"
                ),
            )
        } else if seq == next {
            (
                format!(
                    "Segment {seq} is the one expected: print it and every held segment that follows it, then answer with the new next expected."
                ),
                format!(
                    "报文段 {seq} 正是期望的那个：打印它以及缓存里紧跟其后的报文段，然后用新的下一个期望序号回复。"
                ),
            )
        } else if seq <= last {
            let held_en = if held { " (it was held already)" } else { "" };
            let held_zh = if held { "（它已经缓存着了）" } else { "" };
            (
                format!(
                    "Segment {seq} came early{held_en}: it is inside the window {next}..={last}, so it is held, and the ACK still says {next}: the ACK is cumulative, the next sequence number expected, not the one just received."
                ),
                format!(
                    "报文段 {seq} 提前到达了{held_zh}：它在窗口 {next}..={last} 之内，所以要缓存起来，ACK 仍然写 {next}：ACK 是累积确认，写的是下一个期望的序号，而不是刚收到的那个。"
                ),
            )
        } else {
            (
                format!(
                    "Segment {seq} is beyond the window {next}..={last} (8 segments from the next expected): drop it, do not hold it, and answer with {next}."
                ),
                format!(
                    "报文段 {seq} 超出了窗口 {next}..={last}（从下一个期望序号起 8 个）：丢弃它，不要缓存，回复 {next}。"
                ),
            )
        }
    }

    /// One last segment in order, `end`: its ACK and its line show that
    /// nothing extra was printed before it.
    fn finish(&mut self, fits: usize) -> Outcome {
        let seq = self.model.next;
        self.segment(seq, "the end", fits)
    }
}

fn in_order(run: &Run) -> Outcome {
    let mut sender = Sender::start(run)?;
    let texts = ["hello", "sliding", "windows", "at 12:00 sharp", "caf\u{e9} \u{2713}"];
    for (seq, text) in (0..).zip(texts) {
        sender.segment(seq, text, 1)?;
    }
    sender.finish(1)
}

fn reversed(run: &Run) -> Outcome {
    let mut sender = Sender::start(run)?;
    for seq in (0..5).rev() {
        sender.segment(seq, &format!("segment {seq}"), 1)?;
    }
    sender.finish(1)
}

fn duplicates(run: &Run) -> Outcome {
    let mut sender = Sender::start(run)?;
    for seq in [0, 0, 1, 1, 0, 3, 3, 2, 2, 4, 1] {
        sender.segment(seq, &format!("segment {seq}"), 2)?;
    }
    sender.finish(2)
}

fn window(run: &Run) -> Outcome {
    let mut sender = Sender::start(run)?;
    // Next expected 0, window 0..=7: 8 is dropped, 7 held; then the window slides to 9..=16.
    for seq in [8, 7, 1000, 0, 1, 2, 3, 4, 5, 6, 8, 17, 16, 9, 10, 11, 12, 13, 14, 15, 17] {
        sender.segment(seq, &format!("segment {seq}"), 2)?;
    }
    sender.finish(2)
}

fn long_run(run: &Run) -> Outcome {
    let mut sender = Sender::start(run)?;
    // Each block of 8 in a shuffled order (3 and 8 have no common divisor), the
    // blocks in order: every segment is inside the window when it arrives.
    for block in 0..5u64 {
        for i in 0..8u64 {
            let seq = block * 8 + (i * 3 + 5) % 8;
            sender.segment(seq, &format!("line {seq}"), 1)?;
        }
        match block {
            1 => sender.malformed(b"hello, no colon")?,
            2 => sender.malformed(b"-1:a negative number")?,
            3 => sender.malformed(b"\xff\xfe:not UTF-8")?,
            _ => {}
        }
    }
    sender.finish(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_model_holds_the_window_and_acks_cumulatively() {
        let mut model = Model::default();
        assert_eq!(model.receive(2, "c"), (0, vec![]));
        assert_eq!(model.receive(8, "i"), (0, vec![]));
        assert_eq!(model.receive(7, "h"), (0, vec![]));
        assert_eq!(model.receive(0, "a"), (1, vec!["a".to_string()]));
        assert_eq!(model.receive(1, "b"), (3, vec!["b".to_string(), "c".to_string()]));
        assert_eq!(model.receive(0, "a"), (3, vec![]));
        for (seq, text) in [(3, "d"), (4, "e"), (5, "f")] {
            model.receive(seq, text);
        }
        assert_eq!(model.receive(6, "g"), (8, vec!["g".to_string(), "h".to_string()]));
    }
}

//! Checks of the exercises of the chapter "TCP is a byte stream".
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::lang::Text;
use crate::probe::{Check, Failure, Outcome, Program, Run, WAIT, connect, read_to_close, show};
use crate::{fail, tr};

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "frame-echo" => Some(FRAME_ECHO),
        "frame-limit" => Some(FRAME_LIMIT),
        _ => None,
    }
}

const FRAME_ECHO: &[Check] = &[
    Check {
        en: "starts and prints `Listening on ADDRESS`",
        zh: "能启动并打印 `Listening on 地址`",
        run: starts,
    },
    Check {
        en: "echoes frames sent whole (an empty one too), and closes when the client closes",
        zh: "整帧发来的帧（包括空帧）原样送回，客户端关闭后服务器也关闭连接",
        run: whole_frames,
    },
    Check {
        en: "echoes frames sent one byte at a time",
        zh: "逐字节发来的帧也能原样送回",
        run: byte_at_a_time,
    },
    Check {
        en: "echoes frames cut anywhere (inside the header too) and several frames sent in one write",
        zh: "帧在任意位置被切开（包括首部中间）、多帧一次写入，都能逐帧原样送回",
        run: splits,
    },
    Check {
        en: "echoes a 100 KiB frame, then the next frame",
        zh: "100 KiB 的帧也能完整送回，之后的帧也照常送回",
        run: big_frame,
    },
];

const FRAME_LIMIT: &[Check] = &[
    Check {
        en: "echoes frames, whole and split, as in frame-echo",
        zh: "和 frame-echo 一样，整帧或被切开的帧都原样送回",
        run: limit_still_echoes,
    },
    Check {
        en: "accepts a frame of exactly 65536 bytes",
        zh: "恰好 65536 字节的帧照常接受并送回",
        run: at_the_limit,
    },
    Check {
        en: "closes the connection of a header declaring 4294967295 bytes at once, and serves the next client",
        zh: "首部声明 4294967295 字节时立刻关闭该连接，并继续服务下一个客户端",
        run: refuses_huge,
    },
    Check {
        en: "logs one line on stderr with the declared length and the limit",
        zh: "在标准错误输出上记一行日志，写明声明的长度和上限",
        run: logs_refusal,
    },
    Check {
        en: "refuses 65537 bytes too, while a client connected earlier keeps being served",
        zh: "65537 字节同样拒绝，而更早连上的客户端照常得到服务",
        run: refuses_just_over,
    },
];

/// The largest payload frame-limit accepts.
const LIMIT: usize = 64 * 1024;
/// How long a correct server stays silent while a frame is incomplete (a bounded negative wait).
const SILENCE: Duration = Duration::from_millis(250);

/// The pause between two one-byte writes.
const PACE: Duration = Duration::from_millis(10);

/// One frame: the payload's length as a big-endian `u32`, then the payload.
fn frame(payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut bytes = length.to_be_bytes().to_vec();
    bytes.extend_from_slice(payload);
    bytes
}

/// Bytes as frames look: the first 4 in hex, in brackets, then the rest.
fn describe(bytes: &[u8]) -> String {
    let (header, payload) = bytes.split_at(bytes.len().min(4));
    let hex: Vec<String> = header.iter().map(|byte| format!("{byte:02x}")).collect();
    let hex = hex.join(" ");
    match payload.len() {
        0 => format!("[{hex}]"),
        n if n > 60 => format!("[{hex}] + {n} B"),
        _ => format!("[{hex}] {}", show(payload)),
    }
}

/// The server's last line on stderr, as the end of a failure message.
fn stderr_tail(server: &Program) -> Text {
    // Only on the way to a failure: give a line the server is writing a moment to arrive whole.
    let deadline = Instant::now() + Duration::from_millis(300);
    let mut text = server.stderr_text();
    while !text.ends_with('\n') && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
        text = server.stderr_text();
    }
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    match whole.lines().rev().find(|line| !line.trim().is_empty()) {
        Some(line) => {
            let line = show(line.as_bytes());
            tr!(" (the server's last error line: {line})", "（服务器最后一行错误输出：{line}）")
        }
        None => Text::default(),
    }
}

/// Sends `bytes`, a part of what the check sends: `what` says which part.
fn send_part(stream: &mut TcpStream, bytes: &[u8], what: &Text, server: &Program) -> Outcome {
    stream.write_all(bytes).map_err(|error| {
        let tail = stderr_tail(server);
        let (en, zh, tail_en, tail_zh) = (&what.en, &what.zh, &tail.en, &tail.zh);
        Failure::new(tr!(
            "sending {en} failed: {error}: the server had already closed the connection{tail_en}",
            "发送{zh}时出错：{error}：服务器已经关闭了连接{tail_zh}"
        ))
        .hint(1)
    })
}

/// Why fewer bytes came than expected.
#[derive(Debug)]
enum Short {
    Closed,
    Silent,
    Failed(std::io::Error),
}

/// Reads `n` bytes within [`WAIT`]; on failure, what came and why no more did.
fn read_n(stream: &mut TcpStream, n: usize) -> Result<Vec<u8>, (Vec<u8>, Short)> {
    let deadline = Instant::now() + WAIT;
    let mut received = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            received.truncate(filled);
            return Err((received, Short::Silent));
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut received[filled..]) {
            Ok(0) => {
                received.truncate(filled);
                return Err((received, Short::Closed));
            }
            Ok(k) => filled += k,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(error) => {
                received.truncate(filled);
                return Err((received, Short::Failed(error)));
            }
        }
    }
    let _ = stream.set_read_timeout(Some(WAIT));
    Ok(received)
}

/// Reads exactly `expected` and fails, saying what was `sent`, if anything else comes.
fn expect_back(stream: &mut TcpStream, expected: &[u8], sent: &Text, server: &Program) -> Outcome {
    let want = describe(expected);
    let (en, zh) = (&sent.en, &sent.zh);
    let received = match read_n(stream, expected.len()) {
        Ok(received) => received,
        Err((got, why)) => {
            let (count, secs) = (got.len(), WAIT.as_secs());
            let (got_en, got_zh) = match count {
                0 => ("nothing came back".to_string(), "什么也没有收到".to_string()),
                _ => {
                    let got = describe(&got);
                    (
                        format!("only {count} bytes came back, {got}"),
                        format!("只收到 {count} 个字节：{got}"),
                    )
                }
            };
            let (why_en, why_zh) = match why {
                Short::Closed => (
                    "then the server closed the connection".to_string(),
                    "随后服务器关闭了连接".to_string(),
                ),
                Short::Silent => (
                    format!("then nothing more for {secs} s"),
                    format!("之后 {secs} 秒内再没有收到任何字节"),
                ),
                Short::Failed(error) => {
                    (format!("then reading failed: {error}"), format!("随后读取出错：{error}"))
                }
            };
            let tail = stderr_tail(server);
            let (tail_en, tail_zh) = (&tail.en, &tail.zh);
            fail!(
                hint 2,
                "sent {en}; expected back {want}; {got_en}, {why_en}{tail_en}",
                "发送了{zh}；期望收回 {want}；{got_zh}，{why_zh}{tail_zh}"
            );
        }
    };
    if received != expected {
        let got = describe(&received);
        let same = received.iter().zip(expected).take_while(|(a, b)| a == b).count();
        fail!(
            hint 2,
            "sent {en}; expected back {want}, got {got} (only the first {same} bytes are right)",
            "发送了{zh}；期望收回 {want}，实际收到 {got}（只有前 {same} 个字节是对的）"
        );
    }
    Ok(())
}

/// A correct server says nothing while a frame is incomplete.
fn expect_silence(stream: &mut TcpStream, sent: &Text, server: &Program) -> Outcome {
    let _ = stream.set_read_timeout(Some(SILENCE));
    let mut buffer = [0u8; 1024];
    let result = stream.read(&mut buffer);
    let _ = stream.set_read_timeout(Some(WAIT));
    let (en, zh) = (&sent.en, &sent.zh);
    match result {
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
            ) =>
        {
            Ok(())
        }
        Ok(0) => {
            let tail = stderr_tail(server);
            let (tail_en, tail_zh) = (&tail.en, &tail.zh);
            fail!(
                hint 1,
                "sent only {en}, and the server closed the connection: the rest of the frame was still to come{tail_en}",
                "只发送了{zh}，服务器就关闭了连接：这一帧的其余部分还没到呢{tail_zh}"
            )
        }
        Ok(n) => {
            let got = describe(&buffer[..n]);
            fail!(
                hint 2,
                "sent only {en}, not yet a whole frame, and the server already answered {got}: it should answer once the whole frame has arrived",
                "只发送了{zh}，还不是完整的一帧，服务器却已经回复了 {got}：应当等整帧到齐之后再回复"
            )
        }
        Err(error) => fail!(
            "sent only {en}; then reading from the server failed: {error}",
            "只发送了{zh}；随后从服务器读取时出错：{error}"
        ),
    }
}

/// Half-closes and expects the server to close too, sending nothing more.
fn expect_close(stream: &mut TcpStream) -> Outcome {
    let _ = stream.shutdown(Shutdown::Write);
    let rest = read_to_close(stream, WAIT).map_err(|failure| {
        let (en, zh) = (failure.message.en, failure.message.zh);
        Failure::new(tr!(
            "after the last echo the client closed its side of the connection (between two frames): {en}",
            "收到最后一个回声后，客户端关闭了自己这一端（在两帧之间）：{zh}"
        ))
    })?;
    if !rest.is_empty() {
        let (n, got) = (rest.len(), describe(&rest));
        fail!(
            hint 2,
            "after the echoes of every frame the server sent {n} more bytes: {got}",
            "所有帧都送回之后，服务器又多发了 {n} 个字节：{got}"
        );
    }
    Ok(())
}

fn starts(run: &Run) -> Outcome {
    run.server(&["127.0.0.1:0"]).map(drop)
}

fn whole_frames(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let mut stream = connect(server.address())?;
    for payload in [&b"Hello, Server!"[..], b"", b"caf\xe9 \x1b[31m\n"] {
        let sent = frame(payload);
        let shown = describe(&sent);
        let what = tr!("the frame {shown} in one write", "帧 {shown}（一次写入）");
        send_part(&mut stream, &sent, &what, &server)?;
        expect_back(&mut stream, &sent, &what, &server)?;
    }
    expect_close(&mut stream)
}

fn byte_at_a_time(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let mut stream = connect(server.address())?;
    // Without Nagle's algorithm each one-byte write leaves at once, in a segment of its own.
    let _ = stream.set_nodelay(true);
    for payload in [&b"Hi!"[..], b"", b"caf\xe9"] {
        let sent = frame(payload);
        let (shown, total) = (describe(&sent), sent.len());
        for (at, byte) in sent.iter().enumerate() {
            let number = at + 1;
            let what = tr!(
                "byte {number} of {total} of the frame {shown}, one byte per write",
                "帧 {shown} 的第 {number}/{total} 个字节（每次写入一个字节）"
            );
            send_part(&mut stream, &[*byte], &what, &server)?;
            // Pacing, not synchronisation: the server's `read` gets this byte alone.
            thread::sleep(PACE);
        }
        let what = tr!("the frame {shown} one byte at a time", "帧 {shown}（每次写入一个字节）");
        expect_back(&mut stream, &sent, &what, &server)?;
    }
    Ok(())
}

/// Frames cut in two writes at `cuts` (inside the header, at its end, inside the payload).
fn cut_frames(server: &Program, cuts: &[usize]) -> Outcome {
    let mut stream = connect(server.address())?;
    let _ = stream.set_nodelay(true);
    let sent = frame(b"Hello, Server!");
    let shown = describe(&sent);
    let total = sent.len();
    for &cut in cuts {
        let first = tr!(
            "the start of the frame {shown}, {cut} of its {total} bytes",
            "帧 {shown} 的开头，{total} 个字节中的前 {cut} 个"
        );
        send_part(&mut stream, &sent[..cut], &first, server)?;
        expect_silence(&mut stream, &first, server)?;
        let rest = tr!("the rest of it", "其余部分");
        send_part(&mut stream, &sent[cut..], &rest, server)?;
        let what = tr!(
            "the frame {shown} in two writes, cut after byte {cut}",
            "帧 {shown}，分两次写入，在第 {cut} 个字节之后切开"
        );
        expect_back(&mut stream, &sent, &what, server)?;
    }
    Ok(())
}

/// Three frames and two bytes of a fourth header in one write, then the rest.
fn frames_in_one_write(server: &Program) -> Outcome {
    let mut stream = connect(server.address())?;
    let frames: Vec<Vec<u8>> =
        [&b"one"[..], b"", b"three", b"four"].iter().map(|p| frame(p)).collect();
    let mut first = frames[..3].concat();
    first.extend_from_slice(&frames[3][..2]);
    let shown: Vec<String> = frames[..3].iter().map(|f| describe(f)).collect();
    let shown = shown.join(", ");
    let what = tr!(
        "one write holding the frames {shown} and the first 2 bytes of the next header",
        "一次写入，里面有帧 {shown}，以及下一帧首部的前 2 个字节"
    );
    send_part(&mut stream, &first, &what, server)?;
    for (number, echo) in frames[..3].iter().enumerate() {
        let number = number + 1;
        let (en, zh) = (&what.en, &what.zh);
        let sent = tr!(
            "{en} (waiting for the echo of frame {number} of 3)",
            "{zh}（正在等第 {number} 帧的回声，共 3 帧）"
        );
        expect_back(&mut stream, echo, &sent, server)?;
    }
    let last = describe(&frames[3]);
    let rest = tr!("the rest of the frame {last}", "帧 {last} 的其余部分");
    send_part(&mut stream, &frames[3][2..], &rest, server)?;
    let sent = tr!(
        "the frame {last}, its first 2 bytes at the end of the previous write",
        "帧 {last}（它的前 2 个字节在上一次写入的末尾）"
    );
    expect_back(&mut stream, &frames[3], &sent, server)
}

fn splits(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    cut_frames(&server, &[1, 2, 3, 4, 9])?;
    frames_in_one_write(&server)
}

/// A frame of `size` payload bytes, sent by a thread while this one reads the echo,
/// then a small frame on the same connection.
fn big_echo(server: &Program, size: usize) -> Outcome {
    let mut stream = connect(server.address())?;
    // Zeros: wherever a wrong server takes 4 payload bytes for a header, it reads a length of 0.
    let payload = vec![0u8; size];
    let sent = frame(&payload);
    let mut writer = stream.try_clone().map_err(|error| {
        Failure::new(tr!(
            "cannot clone the check's socket: {error}",
            "无法复制检查程序的套接字：{error}"
        ))
    })?;
    let outgoing = sent.clone();
    let writing = thread::spawn(move || writer.write_all(&outgoing));
    let shown = describe(&sent);
    let what = tr!("a frame of {size} bytes, {shown}", "一个 {size} 字节的帧 {shown}");
    expect_back(&mut stream, &sent, &what, server)?;
    if !matches!(writing.join(), Ok(Ok(()))) {
        fail!(
            "the echo came back, but sending the {size}-byte frame failed",
            "回声已经收到，但发送这个 {size} 字节的帧时出错了"
        );
    }
    let next = frame(b"next");
    let shown = describe(&next);
    let what =
        tr!("the frame {shown}, after the {size}-byte one", "帧 {shown}（在 {size} 字节的帧之后）");
    send_part(&mut stream, &next, &what, server)?;
    expect_back(&mut stream, &next, &what, server)
}

fn big_frame(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    big_echo(&server, 100 * 1024)
}

/// Points a failure at hint `hint` of the exercise (`None`: none of its hints fits).
fn pointing(hint: Option<usize>) -> impl Fn(Failure) -> Failure {
    move |mut failure| {
        failure.hint = hint;
        failure
    }
}

fn limit_still_echoes(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    // The starter passes this: frame-limit's hints are about the limit, not about this.
    cut_frames(&server, &[2, 9]).map_err(pointing(None))?;
    frames_in_one_write(&server).map_err(pointing(None))
}

fn at_the_limit(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    big_echo(&server, LIMIT).map_err(pointing(Some(1)))
}

/// Sends a header declaring `length` and no payload: the server must close within [`WAIT`].
fn expect_refused(server: &Program, length: u32) -> Outcome {
    let mut stream = connect(server.address())?;
    let header = length.to_be_bytes();
    let shown = describe(&header);
    let what =
        tr!("the header {shown}, declaring {length} bytes,", "首部 {shown}（声明 {length} 字节）");
    send_part(&mut stream, &header, &what, server)?;
    let deadline = Instant::now() + WAIT;
    let mut buffer = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let (secs, en, zh) = (WAIT.as_secs(), &what.en, &what.zh);
            fail!(
                hint 1,
                "sent {en} and no payload; the server did not close the connection within {secs} s: a length over {LIMIT} must be refused at once, without waiting for the payload",
                "发送了{zh}，没有载荷；服务器在 {secs} 秒内没有关闭连接：超过 {LIMIT} 的长度应当立刻拒绝，而不是等着读载荷"
            );
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buffer) {
            Ok(0) => break, // closed
            Ok(_) => {}     // whatever it says first, it must still close
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => break, // a reset counts as closing too
        }
    }
    // A server that crashed (e.g. could not allocate `length` bytes) closes every connection too.
    let stopped = Instant::now() + Duration::from_millis(200);
    while Instant::now() < stopped && server.is_running() {
        thread::sleep(Duration::from_millis(20));
    }
    if !server.is_running() {
        let tail = stderr_tail(server);
        let (en, zh, tail_en, tail_zh) = (&what.en, &what.zh, &tail.en, &tail.zh);
        fail!(
            hint 2,
            "sent {en} and the connection closed, but because the whole server stopped{tail_en}: only that connection should close",
            "发送了{zh}之后连接关闭了，但那是因为整个服务器都停止了{tail_zh}：应当只关闭这一个连接"
        );
    }
    Ok(())
}

/// A new client still gets its echo.
fn new_client_served(server: &Program, after: &Text) -> Outcome {
    let mut stream = connect(server.address())?;
    let sent = frame(b"still there?");
    let shown = describe(&sent);
    let (en, zh) = (&after.en, &after.zh);
    let what =
        tr!("the frame {shown} from a new client, {en}", "来自一个新客户端的帧 {shown}，{zh}");
    send_part(&mut stream, &sent, &what, server)?;
    expect_back(&mut stream, &sent, &what, server)
}

fn refuses_huge(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    expect_refused(&server, u32::MAX)?;
    let after =
        tr!("after the 4294967295-byte header was refused", "在拒绝了 4294967295 字节的首部之后");
    new_client_served(&server, &after)
}

fn logs_refusal(run: &Run) -> Outcome {
    let mut server = run.server(&["127.0.0.1:0"])?;
    expect_refused(&server, u32::MAX)?;
    let length = u32::MAX.to_string();
    let deadline = Instant::now() + WAIT;
    let lines = loop {
        let text = server.stderr_text();
        let lines: Vec<String> =
            text.lines().filter(|line| line.contains(&length)).map(String::from).collect();
        if !lines.is_empty() || Instant::now() >= deadline {
            break lines;
        }
        thread::sleep(Duration::from_millis(20));
    };
    match &lines[..] {
        [] => {
            // Printed on stdout instead?
            let mut on_stdout = false;
            while let Ok(line) = server.next_line(Duration::from_millis(100)) {
                on_stdout |= line.contains(&length);
            }
            if on_stdout {
                fail!(
                    hint 2,
                    "the line about the refused {length}-byte frame went to standard output; it belongs on standard error (`eprintln!`)",
                    "关于被拒绝的 {length} 字节帧的那一行写到了标准输出；它应当写到标准错误输出（`eprintln!`）"
                );
            }
            let secs = WAIT.as_secs();
            let tail = stderr_tail(&server);
            let (tail_en, tail_zh) = (&tail.en, &tail.zh);
            fail!(
                hint 2,
                "after refusing a header declaring {length} bytes, the server wrote no line containing {length} on stderr within {secs} s{tail_en}",
                "拒绝了声明 {length} 字节的首部之后，服务器在 {secs} 秒内没有在标准错误输出上写出含有 {length} 的一行{tail_zh}"
            )
        }
        [line] if line.contains(&LIMIT.to_string()) => Ok(()),
        [line] => {
            let line = show(line.as_bytes());
            fail!(
                hint 3,
                "the log line names the length but not the limit, {LIMIT}: {line}",
                "这一行日志写了长度，却没有写上限 {LIMIT}：{line}"
            )
        }
        lines => {
            let n = lines.len();
            let shown: Vec<String> = lines.iter().map(|line| show(line.as_bytes())).collect();
            let shown = shown.join(", ");
            fail!(
                "one refused frame should make one log line; {n} lines name {length}: {shown}",
                "拒绝一帧只应当记一行日志；却有 {n} 行写了 {length}：{shown}"
            )
        }
    }
}

fn refuses_just_over(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let mut earlier = connect(server.address())?;
    let first = frame(b"first");
    let shown = describe(&first);
    let what = tr!("the frame {shown}", "帧 {shown}");
    send_part(&mut earlier, &first, &what, &server)?;
    expect_back(&mut earlier, &first, &what, &server)?;
    let over = u32::try_from(LIMIT + 1).unwrap_or(u32::MAX);
    expect_refused(&server, over)?;
    let second = frame(b"second");
    let shown = describe(&second);
    let what = tr!(
        "the frame {shown} on a connection opened before another client's {over}-byte header was refused",
        "帧 {shown}，所在的连接是在另一个客户端的 {over} 字节首部被拒绝之前打开的"
    );
    send_part(&mut earlier, &second, &what, &server)?;
    expect_back(&mut earlier, &second, &what, &server)
}

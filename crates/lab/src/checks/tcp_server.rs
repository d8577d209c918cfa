//! Checks of the exercises of the chapter "A TCP server".
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::Duration;

use crate::fail;
use crate::lang::Text;
use crate::probe::{
    Check, Failure, Outcome, Program, Run, WAIT, connect, read_to_close, read_to_close_or_reset,
    send, show,
};
use crate::tr;

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "tcp-echo" => Some(TCP_ECHO),
        "tcp-peer-port" => Some(TCP_PEER_PORT),
        "tcp-read-to-eof" => Some(TCP_READ_TO_EOF),
        _ => None,
    }
}

const TCP_ECHO: &[Check] = &[
    Check {
        en: "starts and prints `Listening on ADDRESS`",
        zh: "能启动并打印 `Listening on 地址`",
        run: starts,
    },
    Check {
        en: "answers `Hello, Server!` with `Hello, Server!`",
        zh: "收到 `Hello, Server!` 时回复 `Hello, Server!`",
        run: echoes_hello,
    },
    Check {
        en: "answers any bytes with the same bytes (not UTF-8 too)",
        zh: "收到任意字节都原样送回（包括非 UTF-8 字节）",
        run: echoes_bytes,
    },
    Check {
        en: "serves a second client after the first",
        zh: "服务完第一个客户端后还能服务第二个",
        run: serves_two,
    },
];

const TCP_PEER_PORT: &[Check] = &[
    Check {
        en: "starts and prints `Listening on ADDRESS`",
        zh: "能启动并打印 `Listening on 地址`",
        run: starts,
    },
    Check {
        en: "answers `Your port is N`, N being the port the client connects from",
        zh: "回复 `Your port is N`，N 是客户端连接时所用的端口",
        run: tells_port,
    },
    Check {
        en: "tells two clients in a row each its own port",
        zh: "先后两个客户端各自收到自己的端口号",
        run: tells_two_ports,
    },
];

const TCP_READ_TO_EOF: &[Check] = &[
    Check {
        en: "starts and prints `Listening on ADDRESS`",
        zh: "能启动并打印 `Listening on 地址`",
        run: starts,
    },
    Check {
        en: "answers `Hello, Server!` with `Received 14 bytes`",
        zh: "收到 `Hello, Server!` 时回复 `Received 14 bytes`",
        run: counts_hello,
    },
    Check {
        en: "counts every byte of a 5000-byte message",
        zh: "5000 字节的消息一个字节不少地计数",
        run: counts_long,
    },
    Check {
        en: "counts a message that comes in 3 pieces, 0.2 s apart",
        zh: "消息分 3 段、每段间隔 0.2 秒发来，也能全部计数",
        run: counts_pieces,
    },
    Check {
        en: "answers a client that half-closes at once with `Received 0 bytes`",
        zh: "客户端什么也不发就半关闭时，回复 `Received 0 bytes`",
        run: counts_nothing,
    },
];

fn starts(run: &Run) -> Outcome {
    run.server(&["127.0.0.1:0"]).map(drop)
}

/// Sends `request`, half-closes, and expects exactly `request` back before the server closes.
fn expect_echo(run: &Run, request: &[u8]) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let mut stream = connect(server.address())?;
    send(&mut stream, request)?;
    let _ = stream.shutdown(Shutdown::Write);
    let reply = read_to_close(&mut stream, WAIT)?;
    if reply != request {
        let (sent, got) = (show(request), show(&reply));
        if reply == b"Hello, Client!" {
            fail!(hint 1, "sent {sent} and got the tutorial's {got}: the reply should be what the client sent",
                "发送 {sent}，收到的却是教程原来的 {got}：回复应当是客户端发来的内容");
        }
        fail!(hint 2, "sent {sent}, expected the same bytes back, got {got}", "发送 {sent}，期望原样收回，实际收到 {got}");
    }
    Ok(())
}

fn echoes_hello(run: &Run) -> Outcome {
    expect_echo(run, b"Hello, Server!")
}

fn echoes_bytes(run: &Run) -> Outcome {
    expect_echo(run, b"caf\xe9 \x1b[31m\n")
}

fn serves_two(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    for message in [&b"first"[..], b"second"] {
        let mut stream = connect(server.address())?;
        send(&mut stream, message)?;
        let _ = stream.shutdown(Shutdown::Write);
        let reply = read_to_close(&mut stream, WAIT)?;
        if reply != message {
            let (sent, got) = (show(message), show(&reply));
            fail!(hint 2, "sent {sent}, expected it back, got {got}", "发送 {sent}，期望原样收回，实际收到 {got}");
        }
    }
    Ok(())
}

/// The pause between the pieces of a message sent in pieces.
const PIECE_GAP: Duration = Duration::from_millis(200);

/// One client's turn: connects to `server`, sends `pieces` ([`PIECE_GAP`] apart),
/// half-closes and reads the answer until the server closes the connection.
/// Returns the answer and the port the client connected from.
fn ask(server: &Program, pieces: &[&[u8]]) -> Result<(Vec<u8>, u16), Failure> {
    let mut stream = connect(server.address())?;
    let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
    let mut sent = 0;
    for (n, piece) in pieces.iter().enumerate() {
        if n > 0 {
            thread::sleep(PIECE_GAP);
        }
        if let Err(failure) = send(&mut stream, piece) {
            if n == 0 {
                return Err(failure);
            }
            let k = n + 1;
            if let Ok(answer) = answer(&mut stream)
                && !answer.is_empty()
            {
                let answer = show(&answer);
                fail!(hint 1,
                    "sent {sent} bytes, then piece {k} could not go: the server had already answered {answer} and closed the connection. It must keep reading until the client half-closes",
                    "已经发送了 {sent} 个字节，第 {k} 段却发不出去：服务器已经回复了 {answer} 并关闭了连接。它应当一直读，直到客户端半关闭为止");
            }
            let Text { en, zh } = failure.message;
            fail!(hint 1,
                "sent {sent} bytes, then piece {k} could not go: {en}. The server closed the connection before the client had finished: it must keep reading until the client half-closes",
                "已经发送了 {sent} 个字节，第 {k} 段却发不出去：{zh}。客户端还没发完，服务器就关闭了连接：它应当一直读，直到客户端半关闭为止");
        }
        sent += piece.len();
    }
    let _ = stream.shutdown(Shutdown::Write);
    let reply = answer(&mut stream).map_err(|failure| {
        let Text { en, zh } = failure.message;
        Failure::new(tr!(
            "sent {sent} bytes and half-closed; then {en}",
            "发送了 {sent} 个字节并半关闭；随后{zh}"
        ))
        .hint(1)
    })?;
    Ok((reply, port))
}

/// Reads the server's answer until it closes the connection, for at most [`WAIT`].
fn answer(stream: &mut TcpStream) -> Result<Vec<u8>, Failure> {
    read_to_close_or_reset(stream, WAIT)
}

/// The reply without one line break at its end (`\n` or `\r\n`), which the statements allow.
fn line(reply: &[u8]) -> &[u8] {
    let reply = reply.strip_suffix(b"\n").unwrap_or(reply);
    reply.strip_suffix(b"\r").unwrap_or(reply)
}

/// The numbers written in `text`, in order.
fn numbers(text: &str) -> Vec<u64> {
    text.split(|c: char| !c.is_ascii_digit()).filter_map(|digits| digits.parse().ok()).collect()
}

/// One client's turn with the port server: the answer must be `Your port is N`.
fn expect_port(server: &Program) -> Outcome {
    let (reply, port) = ask(server, &[b"Hello, Server!"])?;
    let expected = format!("Your port is {port}");
    if line(&reply) == expected.as_bytes() {
        return Ok(());
    }
    let got = show(&reply);
    let text = String::from_utf8_lossy(&reply);
    let listening = u64::from(server.address().port());
    let numbers = numbers(&text);
    if reply == b"Hello, Client!" {
        fail!(hint 1,
            "the client connected from port {port} and got the tutorial's {got}; expected {expected:?}",
            "客户端从端口 {port} 连接，收到的却是教程原来的 {got}；期望的是 {expected:?}");
    }
    if numbers.contains(&listening) && !numbers.contains(&u64::from(port)) {
        fail!(hint 2,
            "the client connected from port {port} and got {got}: {listening} is the server's own port, the one it listens on. The client's port is the other end of the connection",
            "客户端从端口 {port} 连接，收到的却是 {got}：{listening} 是服务器自己监听的端口。客户端的端口在连接的另一端");
    }
    if text.contains("127.0.0.1") {
        fail!(hint 2,
            "the client connected from port {port} and got {got}: the reply should give the port alone, not the whole address; expected {expected:?}",
            "客户端从端口 {port} 连接，收到的是 {got}：回复里只要端口号，不要整个地址；期望的是 {expected:?}");
    }
    fail!(hint 2,
        "the client connected from port {port}; expected {expected:?}, got {got}",
        "客户端从端口 {port} 连接；期望收到 {expected:?}，实际收到 {got}")
}

fn tells_port(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    expect_port(&server)
}

fn tells_two_ports(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    expect_port(&server)?;
    expect_port(&server)
}

/// Sends `pieces` (`how` says how, for the messages) and expects `Received N bytes`.
fn expect_count(run: &Run, pieces: &[&[u8]], how: Text) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let total: usize = pieces.iter().map(|piece| piece.len()).sum();
    let (reply, _) = ask(&server, pieces)?;
    let expected = format!("Received {total} bytes");
    if line(&reply) == expected.as_bytes() {
        return Ok(());
    }
    let got = show(&reply);
    let Text { en: how_en, zh: how_zh } = how;
    let text = String::from_utf8_lossy(&reply);
    if let [counted] = numbers(&text)[..]
        && counted < total as u64
        && text.starts_with("Received ")
    {
        fail!(hint 1,
            "sent {total} bytes {how_en}, then half-closed; the server answered {got}: it counted only {counted} of them. One `read` returns what has arrived so far, not the whole message: add up every `read` until one returns 0",
            "{how_zh}发送 {total} 个字节，然后半关闭；服务器回复 {got}：它只数到了其中的 {counted} 个。一次 `read` 只返回当时已经到达的数据，不是整条消息：要把每次 `read` 的字节数加起来，直到某一次返回 0");
    }
    fail!(hint 2,
        "sent {total} bytes {how_en}, then half-closed; expected {expected:?}, got {got}",
        "{how_zh}发送 {total} 个字节，然后半关闭；期望收到 {expected:?}，实际收到 {got}")
}

fn counts_hello(run: &Run) -> Outcome {
    expect_count(run, &[b"Hello, Server!"], tr!("in one piece", "一次"))
}

fn counts_long(run: &Run) -> Outcome {
    let message: Vec<u8> = (0..5000u32).map(|i| b'a' + (i % 26) as u8).collect();
    expect_count(run, &[&message], tr!("in one `write_all`", "用一次 `write_all` "))
}

fn counts_pieces(run: &Run) -> Outcome {
    let pieces: [&[u8]; 3] = [b"first piece, ", b"second piece, ", b"third piece."];
    let gap = PIECE_GAP.as_secs_f32();
    expect_count(run, &pieces, tr!("in 3 pieces, {gap} s apart", "分 3 段、每段间隔 {gap} 秒"))
}

fn counts_nothing(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let mut stream = connect(server.address())?;
    let _ = stream.shutdown(Shutdown::Write);
    let reply = match answer(&mut stream) {
        Ok(reply) => reply,
        Err(failure) => {
            let Text { en, zh } = failure.message;
            fail!(hint 1,
                "the client connected and half-closed at once, without sending a byte; then {en}",
                "客户端连上后一个字节也不发，立刻半关闭；随后{zh}");
        }
    };
    if line(&reply) != b"Received 0 bytes" {
        let got = show(&reply);
        fail!(hint 2,
            "the client connected and half-closed at once, without sending a byte; expected \"Received 0 bytes\", got {got}. `read` returning 0 at once is the end of an empty message, not an error",
            "客户端连上后一个字节也不发，立刻半关闭；期望收到 \"Received 0 bytes\"，实际收到 {got}。`read` 一上来就返回 0，表示这条消息是空的、已经结束了，并不是出错");
    }
    Ok(())
}

//! Checks of the exercises of the chapter "A UDP server".
//!
//! Each check plays one or more clients with its own sockets on 127.0.0.1
//! (receives bounded by [`WAIT`]) and sends one datagram at a time, waiting for
//! its reply before the next: nothing is lost on loopback that way.
use std::net::UdpSocket;

use crate::fail;
use crate::lang::Text;
use crate::probe::error_line;
use crate::probe::{Check, Failure, Outcome, Program, Run, WAIT, recv_from, show, udp_socket};
use crate::tr;

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "udp-echo" => Some(UDP_ECHO),
        "udp-counter" => Some(UDP_COUNTER),
        _ => None,
    }
}

const UDP_ECHO: &[Check] = &[
    Check {
        en: "starts and prints `Listening on ADDRESS`",
        zh: "能启动并打印 `Listening on 地址`",
        run: starts,
    },
    Check {
        en: "answers `Hello, UDP Server!` with `Hello, UDP Server!`, from its own address",
        zh: "收到 `Hello, UDP Server!` 时从自己的地址回复 `Hello, UDP Server!`",
        run: echoes_hello,
    },
    Check {
        en: "answers any bytes with the same bytes (not UTF-8, 2000 bytes long)",
        zh: "收到任意字节都原样送回（包括非 UTF-8 字节和 2000 字节长的数据报）",
        run: echoes_bytes,
    },
    Check {
        en: "answers every datagram of every client, also after a client left without reading its reply",
        zh: "每个客户端的每个数据报都有回复，有客户端不等回复就走了也照样继续",
        run: echoes_everyone,
    },
];

const UDP_COUNTER: &[Check] = &[
    Check {
        en: "starts and prints `Listening on ADDRESS`",
        zh: "能启动并打印 `Listening on 地址`",
        run: starts,
    },
    Check {
        en: "answers one client's datagrams with `#1`, `#2`, `#3`",
        zh: "对同一个客户端的数据报依次回复 `#1`、`#2`、`#3`",
        run: counts_one_client,
    },
    Check {
        en: "counts each address on its own: A, A, B, A get `#1`, `#2`, `#1`, `#3`",
        zh: "每个地址单独计数：A、A、B、A 依次收到 `#1`、`#2`、`#1`、`#3`",
        run: counts_per_address,
    },
    Check {
        en: "keeps every client's count while others come and go (one leaves without reading its reply)",
        zh: "其他客户端来来去去（有一个不等回复就走了），每个客户端的计数照样保持",
        run: counts_survive_strangers,
    },
];

fn starts(run: &Run) -> Outcome {
    run.server(&["127.0.0.1:0"]).map(drop)
}

/// How the student reads a datagram the check sends, in both languages.
type Label<'a> = (&'a str, &'a str);

/// Sends `request` from `socket` to the server and returns the reply, which
/// must come from the server's own address.
fn exchange(
    server: &Program,
    socket: &UdpSocket,
    request: &[u8],
    label: Label,
) -> Result<Vec<u8>, Failure> {
    let (address, (label, zh_label)) = (server.address(), label);
    if let Err(error) = socket.send_to(request, address) {
        fail!(
            "cannot send {label} to the server at {address}: {error}",
            "无法向服务器 {address} 发送{zh_label}：{error}"
        );
    }
    let (reply, from) = recv_from(socket).map_err(|failure| {
        let Text { en, zh } = failure.message;
        if !server.is_running() {
            let Text { en: stderr, zh: zh_stderr } = error_line(&server.stderr_text());
            return Failure::new(tr!(
                "sent {label} to {address}: {en}; the server is no longer running (its error output: {stderr})",
                "向 {address} 发送了{zh_label}：{zh}；服务器已经不在运行了（它的错误输出：{zh_stderr}）"
            ));
        }
        Failure::new(tr!(
            "sent {label} to {address}: {en} (is every datagram answered with `send_to` to the sender's address?)",
            "向 {address} 发送了{zh_label}：{zh}（是不是每个数据报都用 `send_to` 回复给了发送方的地址？）"
        ))
    })?;
    if from != address {
        fail!(
            "sent {label} to {address}; the reply came from {from}: answer from the socket that received the datagram",
            "向 {address} 发送了{zh_label}；回复却来自 {from}：应当用收到数据报的那个套接字回复"
        );
    }
    Ok(reply)
}

/// `message` as the student reads it: `"text"` (in Chinese, `数据报 "text"`).
fn named(message: &[u8]) -> (String, String) {
    (show(message), format!("数据报 {}", show(message)))
}

/// Sends `message` and expects exactly `message` back.
fn echo(server: &Program, socket: &UdpSocket, message: &[u8]) -> Outcome {
    let (en, zh) = named(message);
    expect_echo(server, socket, message, (&en, &zh))
}

/// Sends `request` and expects exactly `request` back.
fn expect_echo(server: &Program, socket: &UdpSocket, request: &[u8], label: Label) -> Outcome {
    let reply = exchange(server, socket, request, label)?;
    check_echo(request, &reply, label)
}

/// The reply to a datagram some clients sent just before they closed their socket:
/// on Windows the replies to them make the server's next `recv_from` fail once.
fn exchange_after_gone(
    server: &Program,
    socket: &UdpSocket,
    request: &[u8],
    label: Label,
) -> Result<Vec<u8>, Failure> {
    exchange(server, socket, request, label).map_err(|failure| {
        let Text { en, zh } = failure.message;
        Failure::new(tr!(
            "clients had just sent a datagram and closed their socket without reading the reply; then {en} (on Windows the next `recv_from` then fails once with os error 10054: log it and receive the next datagram, do not stop)",
            "刚才有客户端发了一个数据报，没读回复就关闭了套接字；随后{zh}（这时在 Windows 上，下一次 `recv_from` 会失败一次，os error 10054：记一行日志，接着收下一个数据报，不要退出）"
        ))
    })
}

fn check_echo(request: &[u8], reply: &[u8], label: Label) -> Outcome {
    let (label, zh_label) = label;
    if reply != request {
        let got = show(reply);
        if reply == b"Hello, UDP!" {
            fail!(hint 1, "sent {label} and got the tutorial's {got}: the reply should be the datagram itself",
                "发送{zh_label}，收到的却是教程原来的 {got}：回复应当就是发来的那个数据报");
        }
        let (n, m) = (request.len(), reply.len());
        fail!(hint 2, "sent {label} ({n} bytes), expected the same bytes back, got {m} bytes: {got}",
            "发送{zh_label}（{n} 个字节），期望原样收回，实际收到 {m} 个字节：{got}");
    }
    Ok(())
}

fn echoes_hello(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let client = udp_socket(WAIT)?;
    echo(&server, &client, b"Hello, UDP Server!")
}

fn echoes_bytes(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let client = udp_socket(WAIT)?;
    echo(&server, &client, b"caf\xe9 \x1b[31m\n")?;
    let big: Vec<u8> = (0..2000u32).map(|i| b'a' + (i % 26) as u8).collect();
    expect_echo(
        &server,
        &client,
        &big,
        ("a datagram of 2000 bytes (abc…zabc…)", "一个 2000 字节的数据报（abc…zabc…）"),
    )
}

fn echoes_everyone(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let (a, b) = (udp_socket(WAIT)?, udp_socket(WAIT)?);
    for (socket, message) in [(&a, &b"A: first"[..]), (&a, b"A: second"), (&b, b"B: first")] {
        echo(&server, socket, message)?;
    }
    // Two clients send and close their socket at once: the replies find nobody,
    // and on Windows the server's next recv_from fails with 10054 (ConnectionReset).
    for gone in [&b"gone 1"[..], b"gone 2"] {
        let socket = udp_socket(WAIT)?;
        let _ = socket.send_to(gone, server.address());
    }
    let message = b"A: after the others left";
    let (en, zh) = named(message);
    let label = (en.as_str(), zh.as_str());
    let reply = exchange_after_gone(&server, &a, message, label)?;
    check_echo(message, &reply, label)?;
    echo(&server, &b, b"B: second")
}

fn expect_count(
    server: &Program,
    socket: &UdpSocket,
    name: &str,
    request: &[u8],
    expected: u64,
) -> Outcome {
    count_reply(server, socket, name, request, expected, false)
}

/// Sends `request` from client `name` and expects the reply `#expected`;
/// `gone`: a client has just left without reading its reply.
fn count_reply(
    server: &Program,
    socket: &UdpSocket,
    name: &str,
    request: &[u8],
    expected: u64,
    gone: bool,
) -> Outcome {
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    let label = format!("{} from client {name} (port {port})", show(request));
    let zh_label = format!("数据报 {}（来自客户端 {name}，端口 {port}）", show(request));
    let reply = if gone {
        exchange_after_gone(server, socket, request, (&label, &zh_label))?
    } else {
        exchange(server, socket, request, (&label, &zh_label))?
    };
    let want = format!("#{expected}");
    if reply != want.as_bytes() {
        let got = show(&reply);
        let counted = std::str::from_utf8(&reply)
            .ok()
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|n| n.parse::<u64>().ok());
        match counted {
            Some(n) if n > expected => fail!(hint 2,
                "sent {label}, expected {want:?}, got {got}: it counted more than this client's datagrams (one count per sender address, IP and port)",
                "发送{zh_label}，期望 {want:?}，实际收到 {got}：数出来的比这个客户端发的多（每个发送方地址单独计数，地址是 IP 加端口）"),
            Some(_) => fail!(hint 2,
                "sent {label}, expected {want:?}, got {got}: the count of this address was lost or started again",
                "发送{zh_label}，期望 {want:?}，实际收到 {got}：这个地址的计数丢了，或者重新开始了"),
            None => fail!(
                "sent {label}, expected exactly {want:?} (`#` and the number, nothing else), got {got}",
                "发送{zh_label}，期望恰好是 {want:?}（`#` 加数字，没有别的），实际收到 {got}"
            ),
        }
    }
    Ok(())
}

fn counts_one_client(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let a = udp_socket(WAIT)?;
    expect_count(&server, &a, "A", b"one", 1)?;
    expect_count(&server, &a, "A", b"two", 2)?;
    expect_count(&server, &a, "A", b"caf\xe9", 3)
}

fn counts_per_address(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let (a, b) = (udp_socket(WAIT)?, udp_socket(WAIT)?);
    expect_count(&server, &a, "A", b"hello", 1)?;
    expect_count(&server, &a, "A", b"hello", 2)?;
    expect_count(&server, &b, "B", b"hello", 1)?;
    expect_count(&server, &a, "A", b"hello", 3)
}

fn counts_survive_strangers(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    // All bound before C closes, so that no new socket can get C's port again.
    let (a, c, d) = (udp_socket(WAIT)?, udp_socket(WAIT)?, udp_socket(WAIT)?);
    expect_count(&server, &a, "A", b"hi", 1)?;
    // C sends and closes its socket at once: the reply finds nobody, and on
    // Windows the server's next recv_from fails with 10054 (ConnectionReset).
    let _ = c.send_to(b"hi", server.address());
    drop(c);
    count_reply(&server, &d, "D", b"hi", 1, true)?;
    expect_count(&server, &a, "A", b"hi", 2)?;
    expect_count(&server, &d, "D", b"hi", 2)?;
    expect_count(&server, &a, "A", b"hi", 3)
}

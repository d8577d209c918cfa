//! Checks of the exercises of the chapter "Many clients at once".
use std::io::{ErrorKind, Read};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::fail;
use crate::probe::{
    Check, Failure, Outcome, Run, WAIT, connect, read_exact, read_to_close, send, show,
};
use crate::tr;

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "threaded-echo" => Some(THREADED_ECHO),
        "bounded-pool" => Some(BOUNDED_POOL),
        _ => None,
    }
}

const ECHOES: Check = Check {
    en: "echoes every message back until the client closes, then closes too",
    zh: "客户端发来的每条消息都原样送回，客户端关闭后服务器也关闭连接",
    run: echoes_until_close,
};

const THREADED_ECHO: &[Check] = &[
    ECHOES,
    Check {
        en: "echoes a second client while a first, silent one is still connected",
        zh: "第一个客户端连着却不说话时，照样把第二个客户端的消息送回去",
        run: silent_blocks_nobody,
    },
    Check {
        en: "serves 5 clients connected at once, whichever speaks first",
        zh: "同时连着 5 个客户端，不管谁先说话都能收到自己的消息",
        run: serves_five_at_once,
    },
];

const BOUNDED_POOL: &[Check] = &[
    ECHOES,
    Check {
        en: "serves 4 clients connected at once",
        zh: "能同时服务 4 个连着的客户端",
        run: serves_four_at_once,
    },
    Check {
        en: "does not answer a 5th client while 4 are connected",
        zh: "已有 4 个客户端连着时，不回答第 5 个",
        run: fifth_waits,
    },
    Check {
        en: "answers the 5th client once one of the 4 leaves (it waits, it is not refused)",
        zh: "4 个中有一个离开后，第 5 个就得到回答（它在等待，而不是被拒绝）",
        run: fifth_served_when_one_leaves,
    },
    Check {
        en: "serves 12 clients one after another (a worker serves client after client)",
        zh: "一个接一个地服务 12 个客户端（工作线程服务完一个再服务下一个）",
        run: serves_many_in_turn,
    },
];

/// One client, in the words of the failure messages: "client 3 of 5".
struct Client {
    stream: TcpStream,
    name: (String, String),
}

/// Connects `n` clients, all kept open.
fn connect_all(address: SocketAddr, n: usize) -> Result<Vec<Client>, Failure> {
    (1..=n)
        .map(|i| {
            let stream = connect(address)?;
            Ok(Client {
                stream,
                name: (format!("client {i} of {n}"), format!("{n} 个客户端中的第 {i} 个")),
            })
        })
        .collect()
}

/// Sends `message` and expects it back within [`WAIT`]; `context` says what else is going on.
fn expect_echo(
    client: &mut Client,
    message: &[u8],
    (en, zh): (&str, &str),
    hint: Option<usize>,
) -> Outcome {
    send(&mut client.stream, message)?;
    let (sent, (who_en, who_zh)) = (show(message), &client.name);
    match read_exact(&mut client.stream, message.len(), WAIT) {
        Ok(reply) if reply == message => Ok(()),
        Ok(reply) => {
            let got = show(&reply);
            fail!(
                "{who_en} sent {sent}, expected it back, got {got}",
                "{who_zh}发送 {sent}，期望原样收回，实际收到 {got}"
            )
        }
        Err(failure) => {
            let (why_en, why_zh) = (failure.message.en, failure.message.zh);
            let failure = Failure::new(tr!(
                "{en}: {who_en} sent {sent} and expected it back; {why_en}",
                "{zh}：{who_zh}发送 {sent}，期望原样收回；{why_zh}"
            ));
            Err(match hint {
                Some(n) => failure.hint(n),
                None => failure,
            })
        }
    }
}

fn echoes_until_close(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let mut client = Client {
        stream: connect(server.address())?,
        name: ("the client".into(), "客户端".into()),
    };
    let context = ("one client alone", "只有一个客户端");
    expect_echo(&mut client, b"hello", context, None)?;
    expect_echo(&mut client, b"caf\xe9 and more \x00\x01 bytes\n", context, None)?;
    let _ = client.stream.shutdown(Shutdown::Write);
    let rest = read_to_close(&mut client.stream, WAIT).map_err(|failure| {
        let (en, zh) = (failure.message.en, failure.message.zh);
        Failure::new(tr!(
            "the client closed its side after two echoes; {en} (read returns 0 when the client has closed: then close the connection)",
            "客户端两次都收到原样送回的消息后关闭了自己这一端；{zh}（客户端关闭后 read 返回 0，这时服务器也应当关闭连接）"
        ))
    })?;
    if !rest.is_empty() {
        let got = show(&rest);
        fail!(
            "after the echoes and the client's close, the server sent {got} more",
            "消息都已送回、客户端关闭之后，服务器又发来了 {got}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- threaded-echo

fn silent_blocks_nobody(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let mut clients = connect_all(server.address(), 2)?;
    let [first, second] = clients.as_mut_slice() else { unreachable!("two clients") };
    expect_echo(
        second,
        b"second",
        (
            "while client 1 was connected and silent (is the accept loop still busy serving client 1?)",
            "第 1 个客户端连着却不说话时（接受循环是不是还忙着服务第 1 个客户端？）",
        ),
        Some(1),
    )?;
    expect_echo(
        first,
        b"first",
        (
            "then the silent client spoke, its connection still open (a silent client must not be dropped)",
            "随后那个不说话的客户端开口了，它的连接一直开着（不说话的客户端不该被断开）",
        ),
        None,
    )
}

fn serves_five_at_once(run: &Run) -> Outcome {
    serve_at_once(run, 5, Some(1))
}

/// Connects `n` clients, then each, the last connected first, gets an echo while all stay connected.
fn serve_at_once(run: &Run, n: usize, hint: Option<usize>) -> Result<(), Failure> {
    let server = run.server(&["127.0.0.1:0"])?;
    let mut clients = connect_all(server.address(), n)?;
    let context = (
        format!(
            "{n} clients connected at once, the last one speaking first (are they served one at a time?)"
        ),
        format!("{n} 个客户端同时连着，最后连上的先说话（是不是一次只服务了一个？）"),
    );
    for (i, client) in clients.iter_mut().enumerate().rev() {
        let message = format!("client {}", i + 1);
        expect_echo(client, message.as_bytes(), (&context.0, &context.1), hint)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- bounded-pool

fn serves_four_at_once(run: &Run) -> Outcome {
    serve_at_once(run, 4, Some(2))
}

/// Four clients, each of which has had an echo: all four are being served.
fn four_served(address: SocketAddr) -> Result<Vec<Client>, Failure> {
    let mut clients = connect_all(address, 4)?;
    let context = (
        "4 clients connected at once, the last one speaking first (are they served one at a time?)",
        "4 个客户端同时连着，最后连上的先说话（是不是一次只服务了一个？）",
    );
    for (i, client) in clients.iter_mut().enumerate().rev() {
        expect_echo(client, format!("client {}", i + 1).as_bytes(), context, Some(2))?;
    }
    Ok(clients)
}

/// What came back on `stream` within `timeout`.
enum Heard {
    Bytes(Vec<u8>),
    Closed,
    Nothing,
}

fn listen(stream: &mut TcpStream, timeout: Duration) -> Heard {
    let deadline = Instant::now() + timeout;
    let mut buffer = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Heard::Nothing;
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buffer) {
            Ok(0) => return Heard::Closed,
            Ok(n) => return Heard::Bytes(buffer[..n].to_vec()),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => return Heard::Closed, // a reset
        }
    }
}

fn fifth_waits(run: &Run) -> Outcome {
    // A correct server never answers here: waiting 1 s costs nothing on a busy machine.
    const QUIET: Duration = Duration::from_secs(1);
    let server = run.server(&["127.0.0.1:0"])?;
    let _four = four_served(server.address())?;
    let mut fifth = connect(server.address())?;
    send(&mut fifth, b"fifth")?;
    if let Heard::Bytes(reply) = listen(&mut fifth, QUIET) {
        let got = show(&reply);
        fail!(hint 1,
            "4 clients were connected and each had had its echo; a 5th client sent \"fifth\" and got {got} back within 1 s: the server serves more than 4 clients at once (a thread for every client?). The 5th should wait until one of the 4 leaves",
            "4 个客户端连着，而且各自的消息都已送回；第 5 个客户端发送 \"fifth\"，1 秒之内就收到了 {got}：服务器同时服务的客户端超过了 4 个（是不是每来一个客户端就开一个线程？）。第 5 个应当等到那 4 个中有一个离开");
    }
    Ok(())
}

fn fifth_served_when_one_leaves(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let mut four = four_served(server.address())?;
    let mut fifth = connect(server.address())?;
    send(&mut fifth, b"fifth")?;
    drop(four.remove(0)); // client 1 of 4 leaves: its worker is free
    match read_exact(&mut fifth, 5, WAIT) {
        Ok(reply) if reply == b"fifth" => {}
        Ok(reply) => {
            let got = show(&reply);
            fail!(
                "the 5th client sent \"fifth\", expected it back, got {got}",
                "第 5 个客户端发送 \"fifth\"，期望原样收回，实际收到 {got}"
            );
        }
        Err(failure) => {
            let (en, zh) = (failure.message.en, failure.message.zh);
            fail!(hint 2,
                "with 4 clients connected, a 5th sent \"fifth\"; then one of the 4 left, and the 5th expected its echo: {en}. The 5th should wait for a free worker (in the channel), not be refused, and be served as soon as one is free",
                "4 个客户端连着时，第 5 个发送了 \"fifth\"；随后 4 个中有一个离开，第 5 个期望收到送回的消息：{zh}。第 5 个应当（在通道里）等一个空闲的工作线程，而不是被拒绝；一有空闲就该轮到它");
        }
    }
    let context = ("after the 5th client was served", "第 5 个客户端得到服务之后");
    expect_echo(&mut four[0], b"still here", context, None)
}

fn serves_many_in_turn(run: &Run) -> Outcome {
    const N: usize = 12;
    let server = run.server(&["127.0.0.1:0"])?;
    for i in 1..=N {
        let name = (format!("client {i} of {N}"), format!("{N} 个客户端中的第 {i} 个"));
        let mut client = Client { stream: connect(server.address())?, name };
        let context = (
            "clients one after another, each closing before the next connects (does a worker stop after one client?)",
            "客户端一个接一个地来，每个都先关闭再来下一个（是不是工作线程服务完一个客户端就结束了？）",
        );
        expect_echo(&mut client, format!("client {i}").as_bytes(), context, Some(3))?;
        let _ = client.stream.shutdown(Shutdown::Write);
        read_to_close(&mut client.stream, WAIT).map_err(|failure| {
            let (en, zh) = (failure.message.en, failure.message.zh);
            let (who_en, who_zh) = &client.name;
            Failure::new(tr!(
                "{who_en} closed its side after its echo; {en}",
                "{who_zh}收到送回的消息后关闭了自己这一端；{zh}"
            ))
        })?;
    }
    Ok(())
}

//! Checks of the exercises of the chapter "A TCP client".
//!
//! The student's program is the client here, so each check plays the server's
//! part itself: a listener on 127.0.0.1:0, on a thread of its own that serves
//! one connection the way the check asks and ends when the check ends.
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::thread;
use std::time::{Duration, Instant};

use crate::fail;
use crate::lang::Text;
use crate::probe::{Check, Failure, Finished, Outcome, Run, WAIT, show};
use crate::tr;

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "tcp-client-whole-reply" => Some(TCP_CLIENT_WHOLE_REPLY),
        "tcp-client-timeout" => Some(TCP_CLIENT_TIMEOUT),
        _ => None,
    }
}

const TCP_CLIENT_WHOLE_REPLY: &[Check] = &[
    Check {
        en: "sends its second argument and prints `Received: Hello, Client!`",
        zh: "发送第二个参数，并打印 `Received: Hello, Client!`",
        run: prints_hello,
    },
    Check {
        en: "prints the whole of a 5000-byte reply that comes in 5 pieces",
        zh: "分 5 段发来的 5000 字节回复，完整地打印出来",
        run: prints_long_reply,
    },
    Check {
        en: "prints a Chinese character split between two pieces intact",
        zh: "被拆在两段里的汉字，打印出来仍然完好",
        run: prints_split_character,
    },
    Check {
        en: "a server that hangs up without replying: an error, exit code 1",
        zh: "服务器不回复就挂断：报错，退出码为 1",
        run: reports_hang_up,
    },
];

const TCP_CLIENT_TIMEOUT: &[Check] = &[
    Check {
        en: "prints the reply of a server that answers: `Received: Hello, Client!`",
        zh: "服务器正常回复时，打印 `Received: Hello, Client!`",
        run: answers_hello,
    },
    Check {
        en: "gives up on a silent server after about 2 s, with exit code 1",
        zh: "服务器一声不吭时，约 2 秒后放弃，退出码为 1",
        run: gives_up,
    },
    Check {
        en: "says so in one error line that contains `timed out`",
        zh: "用一行包含 `timed out` 的错误信息说明原因",
        run: says_timed_out,
    },
    Check {
        en: "still waits for a reply that comes after 1 s",
        zh: "回复在 1 秒后才到时，仍然等到并打印它",
        run: waits_for_slow_reply,
    },
];

/// The message the checks give the client as its second argument.
const MESSAGE: &str = "Hi from cargo lab";
/// The longest a check's server lives, well inside the engine's 30 s per check.
const SERVER_LIFE: Duration = Duration::from_secs(25);
/// How long a check's server waits for the client's whole message before it answers anyway.
const REQUEST_WAIT: Duration = Duration::from_secs(2);
/// The pause between the pieces of a reply sent in pieces.
const PIECE_GAP: Duration = Duration::from_millis(100);
/// A timeout client may not give up sooner than this (it should wait 2 s)…
const TOO_SOON: Duration = Duration::from_millis(1500);
/// …nor still be waiting after this.
const TOO_LATE: Duration = Duration::from_secs(8);

/// What a check's server does once it has read the client's message.
#[derive(Debug)]
enum Act {
    /// Writes these pieces, [`PIECE_GAP`] apart, then closes the connection.
    Reply(Vec<Vec<u8>>),
    /// Waits this long, then writes the reply and closes.
    Late(Duration, Vec<u8>),
    /// Closes the connection without a word.
    HangUp,
    /// Never answers, and keeps the connection open until the check ends.
    Silent,
}

/// A check's own server, serving one client. Dropping it ends its thread.
#[derive(Debug)]
struct Server {
    address: SocketAddr,
    /// What the client sent, once the server has read it.
    request: Receiver<Vec<u8>>,
    /// Never sent on: its drop tells the server's thread that the check is over.
    _alive: Sender<()>,
}

impl Server {
    fn start(act: Act) -> Result<Server, Failure> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|e| {
                Failure::new(tr!(
                    "cannot start the check's server: {e}",
                    "无法启动检查用的服务器：{e}"
                ))
            })?;
        let address = listener.local_addr().map_err(|e| {
            Failure::new(tr!("cannot start the check's server: {e}", "无法启动检查用的服务器：{e}"))
        })?;
        let (alive, check_over) = channel();
        let (report, request) = channel();
        thread::spawn(move || serve(&listener, act, &check_over, &report));
        Ok(Server { address, request, _alive: alive })
    }

    /// Starts the student's client against this server with [`MESSAGE`].
    fn client(&self, run: &Run, limit: Duration) -> Result<Finished, Failure> {
        let address = self.address.to_string();
        run.start(&[&address, MESSAGE], None)?.finish(limit)
    }
}

/// Accepts one client (polling, so that the thread ends with the check), reads
/// its message, reports it, and answers as `act` says.
fn serve(listener: &TcpListener, act: Act, check_over: &Receiver<()>, report: &Sender<Vec<u8>>) {
    let deadline = Instant::now() + SERVER_LIFE;
    let over = || {
        Instant::now() > deadline
            || matches!(check_over.try_recv(), Err(TryRecvError::Disconnected))
    };
    let mut stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e)
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)
                    && !over() =>
            {
                thread::sleep(Duration::from_millis(10));
            }
            Err(_) => return,
        }
    };
    // On Windows and macOS an accepted socket inherits the listener's non-blocking mode.
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WAIT));
    let _ = report.send(read_request(&mut stream));
    let left = || deadline.saturating_duration_since(Instant::now());
    match act {
        Act::Reply(pieces) => {
            for (n, piece) in pieces.iter().enumerate() {
                if n > 0
                    && !matches!(check_over.recv_timeout(PIECE_GAP), Err(RecvTimeoutError::Timeout))
                {
                    return;
                }
                if stream.write_all(piece).is_err() {
                    return;
                }
            }
        }
        Act::Late(delay, reply) => {
            if matches!(check_over.recv_timeout(delay), Err(RecvTimeoutError::Timeout)) {
                let _ = stream.write_all(&reply);
            }
        }
        Act::HangUp => {}
        Act::Silent => {
            let _ = check_over.recv_timeout(left());
        }
    }
} // `stream` is dropped here: the connection closes

/// Reads the client's message: [`MESSAGE`]'s length in bytes, or less if the
/// client closes or [`REQUEST_WAIT`] passes first.
fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let deadline = Instant::now() + REQUEST_WAIT;
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while request.len() < MESSAGE.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    request
}

/// How the client ended, for a message: its exit code and last error lines.
fn ending(finished: &Finished) -> Text {
    let stderr = last_lines(&finished.stderr);
    match finished.code {
        // A panic's message is at its start, the backtrace (if any) comes after it.
        Some(101) if finished.stderr.contains("panicked at") => {
            let panic: Vec<&str> = finished
                .stderr
                .lines()
                .skip_while(|line| !line.contains("panicked at"))
                .take(2)
                .collect();
            let panic = show(panic.join(" ").as_bytes());
            tr!("it panicked (exit code 101): {panic}", "它 panic 了（退出码 101）：{panic}")
        }
        Some(101) => tr!(
            "it panicked (exit code 101); its error output: {stderr}",
            "它 panic 了（退出码 101）；它的错误输出：{stderr}"
        ),
        Some(code) => tr!(
            "it exited with code {code}; its error output: {stderr}",
            "它以退出码 {code} 结束；它的错误输出：{stderr}"
        ),
        None => tr!(
            "it was stopped by a signal; its error output: {stderr}",
            "它被信号终止了；它的错误输出：{stderr}"
        ),
    }
}

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|line| !line.trim().is_empty()).collect();
    match &lines[lines.len().saturating_sub(3)..] {
        [] => "(none)".to_string(),
        tail => tail.iter().map(|line| show(line.as_bytes())).collect::<Vec<_>>().join(" / "),
    }
}

/// What follows `Received: ` on each line of the client's standard output.
fn received_lines(finished: &Finished) -> Vec<&str> {
    finished
        .stdout
        .lines()
        .filter_map(|line| line.strip_prefix("Received:"))
        .map(|rest| rest.strip_prefix(' ').unwrap_or(rest))
        .collect()
}

/// The client must have exited with code 0 after printing `Received: ` and exactly `reply`.
fn expect_printed(finished: &Finished, reply: &str) -> Outcome {
    let expected = show(format!("Received: {reply}").as_bytes());
    let size = reply.len();
    if finished.code != Some(0) {
        let Text { en, zh } = ending(finished);
        fail!(
            "the server sent a reply of {size} bytes and closed the connection; the client should print it and exit with code 0, but {en}",
            "服务器发来 {size} 字节的回复后关闭了连接；客户端应当把它打印出来、以退出码 0 结束，可是{zh}"
        );
    }
    let printed = received_lines(finished);
    match printed[..] {
        [] => {
            let stdout = show(finished.stdout.as_bytes());
            fail!(
                "expected the line {expected}; the client printed no line starting with `Received:`, only {stdout}",
                "期望打印 {expected} 这一行；客户端却没有打印任何以 `Received:` 开头的行，只打印了 {stdout}"
            );
        }
        [line] if line == reply => Ok(()),
        [line] => {
            let got = show(line.as_bytes());
            let whole = line.trim_end_matches('\u{FFFD}');
            if reply.starts_with(whole) && whole.len() < size {
                let part = whole.len();
                let start = whole.char_indices().rev().nth(29).map_or(0, |(at, _)| at);
                let more = if start > 0 { "…" } else { "" };
                let end = show(&line.as_bytes()[start..]);
                fail!(hint 1,
                    "the server sent {size} bytes in pieces, then closed; the client printed only the first {part} bytes, ending {more}{end}. One `read` returns what has arrived so far",
                    "服务器分几段发来 {size} 个字节，然后关闭了连接；客户端只打印了前 {part} 个字节，结尾是 {more}{end}。一次 `read` 只返回当时已经到达的数据");
            }
            if line.contains('\u{FFFD}') {
                let want = show(reply.as_bytes());
                fail!(hint 2,
                    "the reply was {want}, but the client printed {got}: some characters became �. A character was split between two pieces, and each piece was turned into text on its own",
                    "回复是 {want}，客户端打印的却是 {got}：有的字符变成了 �。一个汉字被拆在两段里，而每一段被单独转换成了文本");
            }
            fail!(
                "expected the line {expected}, the client printed `Received: ` followed by {got}",
                "期望打印 {expected}，客户端打印的却是 `Received: ` 后面跟着 {got}"
            )
        }
        ref lines => {
            let n = lines.len();
            if lines.concat() == reply {
                fail!(hint 2,
                    "the client printed the reply in {n} `Received:` lines, one per piece; the whole reply belongs on one line: collect the pieces first, print once",
                    "客户端把回复分成了 {n} 行 `Received:`，每段一行；整个回复应当打印在一行里：先把各段收齐，再打印一次");
            }
            let stdout = show(finished.stdout.as_bytes());
            fail!(hint 2,
                "expected one line {expected}; the client printed {n} lines starting with `Received:`: {stdout}",
                "期望只打印一行 {expected}；客户端却打印了 {n} 行以 `Received:` 开头的内容：{stdout}")
        }
    }
}

/// The check's server must have received [`MESSAGE`], the client's second argument.
fn expect_message(server: &Server) -> Outcome {
    let Ok(request) = server.request.recv_timeout(WAIT) else {
        fail!(
            "the client printed a reply, but the check's server never got a connection from it",
            "客户端打印了回复，可是检查用的服务器根本没有收到它的连接"
        );
    };
    if request != MESSAGE.as_bytes() {
        let got = show(&request);
        fail!(
            "the client was started with the message {MESSAGE:?} as its second argument, but the server received {got}",
            "启动客户端时第二个参数是消息 {MESSAGE:?}，服务器收到的却是 {got}"
        );
    }
    Ok(())
}

fn prints_hello(run: &Run) -> Outcome {
    let server = Server::start(Act::Reply(vec![b"Hello, Client!".to_vec()]))?;
    let finished = server.client(run, WAIT)?;
    expect_printed(&finished, "Hello, Client!")?;
    expect_message(&server)
}

/// [`prints_hello`] for the timeout exercise: the whole-reply exercise's hints do not fit it.
fn answers_hello(run: &Run) -> Outcome {
    prints_hello(run).map_err(|failure| Failure { hint: None, ..failure })
}

fn prints_long_reply(run: &Run) -> Outcome {
    let pieces: Vec<Vec<u8>> = (0..5u8)
        .map(|n| {
            let mut piece = format!("<piece {} of 5>", n + 1).into_bytes();
            piece.extend((0..1000 - piece.len()).map(|i| b'a' + (i % 26) as u8));
            piece
        })
        .collect();
    let reply = String::from_utf8_lossy(&pieces.concat()).into_owned();
    let server = Server::start(Act::Reply(pieces))?;
    let finished = server.client(run, WAIT)?;
    expect_printed(&finished, &reply)
}

fn prints_split_character(run: &Run) -> Outcome {
    let reply = "Grüße aus Peking: 你好，世界！";
    // The first piece ends one byte into 你 (three bytes in UTF-8).
    let split = reply.find('你').unwrap_or(0) + 1;
    let pieces = vec![reply.as_bytes()[..split].to_vec(), reply.as_bytes()[split..].to_vec()];
    let server = Server::start(Act::Reply(pieces))?;
    let finished = server.client(run, WAIT)?;
    expect_printed(&finished, reply)
}

fn reports_hang_up(run: &Run) -> Outcome {
    let server = Server::start(Act::HangUp)?;
    let finished = server.client(run, WAIT)?;
    if let [line, ..] = received_lines(&finished)[..] {
        let got = show(line.as_bytes());
        fail!(hint 3,
            "the server read the message and closed the connection without sending a byte, yet the client printed `Received: ` and {got}; no reply at all is an error, as in the tutorial's client",
            "服务器读完消息，一个字节也没发就关闭了连接，客户端却打印了 `Received: ` 和 {got}；一点回复都没有是错误，和教程里的客户端一样");
    }
    if finished.code != Some(1) || finished.stderr.trim().is_empty() {
        let Text { en, zh } = ending(&finished);
        fail!(hint 3,
            "the server closed the connection without replying; the client should print an error and exit with code 1, but {en}",
            "服务器没有回复就关闭了连接；客户端应当报错并以退出码 1 结束，可是{zh}");
    }
    Ok(())
}

/// Runs the client against a server that never answers, for at most [`TOO_LATE`].
fn against_silence(run: &Run) -> Result<Finished, Failure> {
    let server = Server::start(Act::Silent)?;
    let secs = TOO_LATE.as_secs();
    let address = server.address.to_string();
    let client = run.start(&[&address, MESSAGE], None)?;
    client.finish(TOO_LATE).map_err(|_| {
        Failure::new(tr!(
            "the server accepted the connection and never answered; after {secs} s the client was still waiting. Without a read timeout, `read` waits for ever",
            "服务器接受了连接，却始终不回答；{secs} 秒后客户端还在等。没有读超时，`read` 就会一直等下去"
        ))
        .hint(1)
    })
}

fn gives_up(run: &Run) -> Outcome {
    let finished = against_silence(run)?;
    let secs = finished.elapsed.as_secs_f32();
    if finished.code != Some(1) {
        let Text { en, zh } = ending(&finished);
        fail!(hint 2,
            "the server never answered; after {secs:.1} s the client ended, but it should exit with code 1: {en}",
            "服务器始终不回答；{secs:.1} 秒后客户端结束了，但退出码应当是 1：{zh}");
    }
    if finished.elapsed < TOO_SOON {
        let soon = TOO_SOON.as_secs_f32();
        fail!(hint 2,
            "the client gave up after {secs:.1} s, before {soon} s: a server may just be slow, so wait 2 s for its reply",
            "客户端 {secs:.1} 秒就放弃了，不到 {soon} 秒：服务器也许只是慢一点，应当等它 2 秒");
    }
    Ok(())
}

fn says_timed_out(run: &Run) -> Outcome {
    let finished = against_silence(run)?;
    let lines: Vec<&str> = finished.stderr.lines().filter(|line| !line.trim().is_empty()).collect();
    let all = show(finished.stderr.as_bytes());
    match lines[..] {
        [] => fail!(hint 2,
            "the server never answered; the client ended but printed nothing on standard error (stderr); expected one line that says it timed out",
            "服务器始终不回答；客户端结束了，却没有在标准错误输出（stderr）上打印任何内容；期望有一行说明超时（timed out）"),
        [line] if line.to_lowercase().contains("timed out") => Ok(()),
        [line] => {
            let got = show(line.as_bytes());
            fail!(hint 3,
                "the server never answered; the client's error line {got} does not say `timed out`. The system's own text for a read timeout differs from one system to another: write your own message",
                "服务器始终不回答；客户端的错误信息 {got} 里没有 `timed out`。读超时时系统给出的原话因系统而异：请自己写这句错误信息")
        }
        ref many => {
            let n = many.len();
            fail!(hint 3,
                "the server never answered; expected one error line that says it timed out, the client printed {n} lines on standard error: {all}",
                "服务器始终不回答；期望只有一行说明超时的错误信息，客户端却在标准错误输出上打印了 {n} 行：{all}")
        }
    }
}

fn waits_for_slow_reply(run: &Run) -> Outcome {
    let server = Server::start(Act::Late(Duration::from_secs(1), b"Hello, Client!".to_vec()))?;
    let finished = server.client(run, WAIT)?;
    if finished.code != Some(0) {
        let secs = finished.elapsed.as_secs_f32();
        let Text { en, zh } = ending(&finished);
        fail!(hint 2,
            "the server answered after 1 s, well within 2 s; the client should have printed the reply, but after {secs:.1} s {en}",
            "服务器 1 秒后才回答，还在 2 秒以内；客户端应当打印这个回复，可是 {secs:.1} 秒后{zh}");
    }
    expect_printed(&finished, "Hello, Client!")
}

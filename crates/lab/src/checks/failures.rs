//! Checks of the exercises of the chapter "When things go wrong".
use std::io::{ErrorKind, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use socket2::SockRef;

use crate::probe::{
    Check, Failure, Finished, Outcome, Program, Run, WAIT, connect, read_to_close, send, show,
};
use crate::{fail, tr};

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "fail-bad-address" => Some(FAIL_BAD_ADDRESS),
        "fail-survive" => Some(FAIL_SURVIVE),
        _ => None,
    }
}

const FAIL_BAD_ADDRESS: &[Check] = &[
    Check {
        en: "a good address still works: `Listening on ADDRESS`, then `Hello, Client!` to a client",
        zh: "地址正确时照常工作：打印 `Listening on 地址`，给客户端回复 `Hello, Client!`",
        run: good_address,
    },
    Check {
        en: "`abc` (not an address): one `error:` line naming it, exit code 1, no panic",
        zh: "`abc`（根本不是地址）：一行 `error:` 指出它，退出码 1，不 panic",
        run: not_an_address,
    },
    Check {
        en: "`127.0.0.1:99999` (port over 65535): one `error:` line naming it, exit code 1, no panic",
        zh: "`127.0.0.1:99999`（端口超过 65535）：一行 `error:` 指出它，退出码 1，不 panic",
        run: port_out_of_range,
    },
    Check {
        en: "`127.0.0.1` (no port): one `error:` line naming it, exit code 1, no panic",
        zh: "`127.0.0.1`（缺端口号）：一行 `error:` 指出它，退出码 1，不 panic",
        run: no_port,
    },
    Check {
        en: "a port in use: one `error:` line naming the address, with a hint, exit code 1, no panic",
        zh: "端口已被占用：一行 `error:` 指出地址并给出建议，退出码 1，不 panic",
        run: port_in_use,
    },
];

const FAIL_SURVIVE: &[Check] = &[
    Check {
        en: "answers a client with `Hello, Client!`",
        zh: "给客户端回复 `Hello, Client!`",
        run: answers,
    },
    Check {
        en: "survives a client that hangs up at once, and serves the next",
        zh: "客户端一连上就挂断，服务器不受影响，接着服务下一个",
        run: survives_hang_up,
    },
    Check {
        en: "gives up on a silent client after about 2 s, and serves the next",
        zh: "客户端连上后一言不发，约 2 秒后放弃它，接着服务下一个",
        run: survives_silence,
    },
    Check {
        en: "survives a connection reset (RST), and serves the next",
        zh: "连接被重置（RST）时不受影响，接着服务下一个",
        run: survives_reset,
    },
    Check {
        en: "answers bytes that are not UTF-8 as usual, and serves the next",
        zh: "收到不是合法 UTF-8 的字节照常回复，接着服务下一个",
        run: survives_invalid_utf8,
    },
];

const HELLO: &[u8] = b"Hello, Server!";
const REPLY: &[u8] = b"Hello, Client!";

// ---------------------------------------------------------------- fail-bad-address

fn good_address(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let reply = exchange(server.address(), HELLO, WAIT)?;
    if reply != REPLY {
        let (sent, want, got) = (show(HELLO), show(REPLY), show(&reply));
        fail!(
            "sent {sent}, expected {want}, got {got}",
            "发送 {sent}，期望收到 {want}，实际收到 {got}"
        );
    }
    Ok(())
}

fn not_an_address(run: &Run) -> Outcome {
    bad_address(run, "abc")
}

fn port_out_of_range(run: &Run) -> Outcome {
    bad_address(run, "127.0.0.1:99999")
}

fn no_port(run: &Run) -> Outcome {
    bad_address(run, "127.0.0.1")
}

/// Started with the wrong address `arg`, the program says so in one line that
/// names `arg` and shows the right form, and exits with code 1.
fn bad_address(run: &Run, arg: &str) -> Outcome {
    let started = (format!("started with the address `{arg}`"), format!("以地址 `{arg}` 启动时"));
    let finished = finished(run, arg, &started)?;
    let line = one_error_line(&finished, &started)?;
    let (en, zh) = &started;
    let shown = show(line.as_bytes());
    if !line.contains(arg) {
        fail!(hint 2,
            "{en}, the program printed {shown}: the line should name the address the user gave, `{arg}`, so that they see what to fix",
            "{zh}，程序打印的是 {shown}：这一行应当写出用户给的地址 `{arg}`，让用户知道该改哪里");
    }
    if !shows_right_form(&line) {
        fail!(hint 2,
            "{en}, the program printed {shown}: the line should also show the right form, `IP:PORT` or an example such as `127.0.0.1:12345`",
            "{zh}，程序打印的是 {shown}：这一行还应当给出正确的写法：`IP:PORT`，或者一个例子，比如 `127.0.0.1:12345`");
    }
    Ok(())
}

fn port_in_use(run: &Run) -> Outcome {
    let taken = TcpListener::bind("127.0.0.1:0").map_err(|e| {
        Failure::new(tr!("cannot listen on 127.0.0.1: {e}", "无法在 127.0.0.1 上监听：{e}"))
    })?;
    let address = taken
        .local_addr()
        .map_err(|e| Failure::new(tr!("no local address: {e}", "取不到本地地址：{e}")))?;
    let arg = address.to_string();
    let started = (
        format!("started with `{arg}`, a port another program already listens on"),
        format!("以 `{arg}` 启动时（另一个程序已经在这个端口上监听）"),
    );
    let finished = finished(run, &arg, &started)?;
    drop(taken);
    let line = one_error_line(&finished, &started)?;
    let (en, zh) = &started;
    let shown = show(line.as_bytes());
    if !line.contains(&arg) {
        fail!(hint 3,
            "{en}, the program printed {shown}: the line should name the address it could not bind, `{arg}`",
            "{zh}，程序打印的是 {shown}：这一行应当写出绑定失败的地址 `{arg}`");
    }
    if !line.to_lowercase().contains("port") {
        fail!(hint 3,
            "{en}, the program printed {shown}: the line should also say what to do, with the word `port` (e.g. `try another port`)",
            "{zh}，程序打印的是 {shown}：这一行还应当告诉用户怎么办，其中要有 `port` 这个词（例如 `try another port`）");
    }
    Ok(())
}

/// Runs the program with `arg` and waits for it to exit.
fn finished(run: &Run, arg: &str, (en, zh): &(String, String)) -> Result<Finished, Failure> {
    let program = run.start(&[arg], None)?;
    program.finish(WAIT).map_err(|failure| {
        let (why_en, why_zh) = (failure.message.en, failure.message.zh);
        Failure::new(tr!(
            "{en}, the program should print one `error:` line and exit with code 1 at once; {why_en}",
            "{zh}，程序应当打印一行 `error:` 并立刻以退出码 1 结束；{why_zh}"
        ))
        .hint(1)
    })
}

/// The one `error: …` line on stderr of a program that exited with code 1, without a panic.
fn one_error_line(finished: &Finished, (en, zh): &(String, String)) -> Result<String, Failure> {
    let lines: Vec<&str> = finished.stderr.lines().filter(|line| !line.trim().is_empty()).collect();
    let shown =
        lines.iter().take(4).map(|line| show(line.as_bytes())).collect::<Vec<_>>().join(" / ");
    if finished.stderr.contains("panicked") {
        let code = finished.code.map_or("none".to_string(), |code| code.to_string());
        let panic =
            lines.iter().take(2).map(|line| show(line.as_bytes())).collect::<Vec<_>>().join(" / ");
        fail!(hint 1,
            "{en}, the program panicked (exit code {code}): {panic}. A wrong address or a port in use is the user's problem, not a bug in the program: print one `error: …` line and exit with code 1",
            "{zh}，程序 panic 了（退出码 {code}）：{panic}。地址写错、端口被占是用户那边的问题，不是程序的缺陷：应当打印一行 `error: …`，然后以退出码 1 结束");
    }
    if lines.first().is_some_and(|line| line.starts_with("Error:")) {
        fail!(hint 2,
            "{en}, the program printed {shown}: that is what `fn main() -> Result` prints when it returns an error (`Error: …`, often with `Caused by:` lines). Expected your own single line starting with `error:`: let `main` print it and return `ExitCode::FAILURE`",
            "{zh}，程序打印的是 {shown}：这是 `fn main() -> Result` 返回错误时自动打印的格式（`Error: …`，往往还有几行 `Caused by:`）。期望的是你自己打印的一行，以 `error:` 开头：让 `main` 自己打印这一行，再返回 `ExitCode::FAILURE`");
    }
    match finished.code {
        Some(1) => {}
        Some(code) => fail!(hint 3,
            "{en}, the program exited with code {code}; expected exit code 1 (it printed {shown})",
            "{zh}，程序的退出码是 {code}，期望是 1（它打印了 {shown}）"),
        None => fail!(
            "{en}, the program was stopped by a signal; expected one `error:` line and exit code 1",
            "{zh}，程序被信号终止了；期望打印一行 `error:` 并以退出码 1 结束"
        ),
    }
    match lines.as_slice() {
        [line] if line.starts_with("error:") => Ok(line.trim().to_string()),
        [line] => {
            let shown = show(line.as_bytes());
            fail!(hint 3, "{en}, the program printed {shown}; expected a line starting with `error:`",
                "{zh}，程序打印的是 {shown}；期望这一行以 `error:` 开头")
        }
        [] => {
            let on_stdout = show(finished.stdout.as_bytes());
            fail!(hint 3,
                "{en}, the program printed nothing on standard error (on standard output: {on_stdout}); expected one line starting with `error:` on standard error",
                "{zh}，程序在标准错误上什么也没打印（标准输出上是 {on_stdout}）；期望在标准错误上打印一行，以 `error:` 开头")
        }
        lines => {
            let n = lines.len();
            fail!(hint 3, "{en}, the program printed {n} lines on standard error: {shown}; expected exactly one, starting with `error:`",
                "{zh}，程序在标准错误上打印了 {n} 行：{shown}；期望只有一行，以 `error:` 开头")
        }
    }
}

/// Whether `line` shows how an address is written: `IP:PORT`, or an example that parses.
fn shows_right_form(line: &str) -> bool {
    // `(e.g. 127.0.0.1:12345).` loses its punctuation; `[::1]:12345` keeps its brackets.
    let bare = |word: &str| word.trim_matches(|c: char| "(){},;\"'`.:".contains(c)).to_string();
    line.to_uppercase().contains("IP:PORT")
        || line.split_whitespace().any(|word| bare(word).parse::<SocketAddr>().is_ok())
}

// ---------------------------------------------------------------- fail-survive

/// Sends `request`, half-closes, reads the reply until the server closes.
fn exchange(address: SocketAddr, request: &[u8], timeout: Duration) -> Result<Vec<u8>, Failure> {
    let mut stream = connect(address)?;
    send(&mut stream, request)?;
    let _ = stream.shutdown(Shutdown::Write);
    read_to_close(&mut stream, timeout)
}

/// When the server has stopped (it may take a moment to exit): its last error output.
fn stopped(server: &Program) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    while server.is_running() {
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
    let stderr = server.stderr_text();
    // The last lines before a backtrace (with RUST_BACKTRACE set) say what happened.
    let lines: Vec<&str> = stderr
        .lines()
        .take_while(|line| !line.to_lowercase().starts_with("stack backtrace:"))
        .filter(|line| !line.trim().is_empty())
        .collect();
    Some(match &lines[lines.len().saturating_sub(3)..] {
        [] => "(none)".to_string(),
        tail => tail.join(" / "),
    })
}

/// After a misbehaving client (`after`, in both languages), a normal client
/// still gets `Hello, Client!` within `timeout`, and the server is still running.
fn next_is_served(
    server: &Program,
    (en, zh): (&str, &str),
    hint: usize,
    timeout: Duration,
) -> Outcome {
    let (sent, want) = (show(HELLO), show(REPLY));
    let (got_en, got_zh) = match exchange(server.address(), HELLO, timeout) {
        Ok(reply) if reply == REPLY => {
            if let Some(stderr) = stopped_now(server) {
                fail!(hint hint,
                    "after {en}, the server answered the next client and then stopped; its last error output: {stderr}",
                    "{zh}之后，服务器回答了下一个客户端，随后却停止了；它最后的错误输出：{stderr}");
            }
            return Ok(());
        }
        Ok(reply) => {
            let got = show(&reply);
            (format!("got {got}"), format!("实际收到 {got}"))
        }
        Err(failure) => (failure.message.en, failure.message.zh),
    };
    if let Some(stderr) = stopped(server) {
        fail!(hint hint,
            "after {en}, the server stopped: its last error output: {stderr}. A failure that concerns one client must not end the whole server: log one `error: …` line and serve the next client",
            "{zh}之后，服务器停止了，它最后的错误输出：{stderr}。只涉及一个客户端的失败不应当让整个服务器退出：记一行 `error: …` 日志，接着服务下一个客户端");
    }
    fail!(hint hint,
        "after {en}, the next client sent {sent} and expected {want}; {got_en}",
        "{zh}之后，下一个客户端发送 {sent}，期望收到 {want}；{got_zh}")
}

/// Like [`stopped`], without waiting: the server has already ended.
fn stopped_now(server: &Program) -> Option<String> {
    if server.is_running() { None } else { stopped(server) }
}

fn answers(run: &Run) -> Outcome {
    good_address(run)
}

fn survives_hang_up(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    drop(connect(server.address())?); // connects, then closes at once without a word
    next_is_served(
        &server,
        ("a client that connected and hung up at once", "一个客户端连上就挂断"),
        1,
        WAIT,
    )
}

fn survives_silence(run: &Run) -> Outcome {
    // The server gives up after 2 s; on a busy machine allow 4.5 s in all.
    const BOUND: Duration = Duration::from_millis(4500);
    let server = run.server(&["127.0.0.1:0"])?;
    let start = Instant::now();
    let mut silent = connect(server.address())?; // connects and says nothing
    let after = (
        "a client that connected and said nothing (still connected)",
        "一个客户端连上后一言不发（连接仍然开着）",
    );
    next_is_served(&server, after, 2, BOUND).map_err(|failure| {
        let (en, zh) = (failure.message.en, failure.message.zh);
        Failure::new(tr!(
            "{en}. Is the server still waiting for the silent client? It should give up on it after 2 s (a read timeout)",
            "{zh}。服务器是不是还在等那个不说话的客户端？它应当在 2 秒后放弃（读超时）"
        ))
        .hint(2)
    })?;
    let left = BOUND.saturating_sub(start.elapsed());
    if !closed_within(&mut silent, left) {
        let secs = BOUND.as_secs_f32();
        fail!(hint 2,
            "a client that connected and said nothing was still connected after {secs} s: the server should give up on it after 2 s and close its connection",
            "一个连上后一言不发的客户端，{secs} 秒后连接仍然开着：服务器应当在 2 秒后放弃它，关闭这个连接");
    }
    Ok(())
}

/// Whether the peer closes `stream` (or resets it) within `timeout`; what it sends is ignored.
fn closed_within(stream: &mut TcpStream, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut buffer = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => return true, // a reset
        }
    }
}

fn survives_reset(run: &Run) -> Outcome {
    let server = run.server(&["127.0.0.1:0"])?;
    let rude = connect(server.address())?;
    // Linger on, 0 seconds: closing now sends an RST instead of a FIN.
    SockRef::from(&rude).set_linger(Some(Duration::ZERO)).map_err(|e| {
        Failure::new(tr!(
            "cannot set SO_LINGER on the test client: {e}",
            "无法给测试客户端设置 SO_LINGER：{e}"
        ))
    })?;
    drop(rude);
    next_is_served(
        &server,
        ("a client that reset its connection (RST)", "一个客户端重置了连接（RST）"),
        1,
        WAIT,
    )
}

fn survives_invalid_utf8(run: &Run) -> Outcome {
    let request = b"caf\xe9";
    let server = run.server(&["127.0.0.1:0"])?;
    let (sent, want) = (show(request), show(REPLY));
    let answered = exchange(server.address(), request, WAIT);
    if !matches!(&answered, Ok(reply) if reply == REPLY) {
        let (got_en, got_zh) = match answered {
            Ok(reply) => {
                let got = show(&reply);
                (format!("got {got}"), format!("实际收到 {got}"))
            }
            Err(failure) => (failure.message.en, failure.message.zh),
        };
        if let Some(stderr) = stopped(&server) {
            fail!(hint 3,
                "sent {sent} (not UTF-8) and expected {want}; {got_en}; the server stopped, its last error output: {stderr}",
                "发送 {sent}（不是合法的 UTF-8），期望收到 {want}；{got_zh}；服务器停止了，它最后的错误输出：{stderr}");
        }
        fail!(hint 3, "sent {sent} (not UTF-8) and expected {want}, as for any request; {got_en}",
            "发送 {sent}（不是合法的 UTF-8），期望和别的请求一样收到 {want}；{got_zh}");
    }
    next_is_served(
        &server,
        ("a client that sent bytes that are not UTF-8", "一个客户端发来不是 UTF-8 的字节"),
        3,
        WAIT,
    )
}

//! Checks of the exercises of the chapter "A UDP client".
//!
//! The program is started as `PROGRAM ADDRESS MESSAGE`; the check plays the
//! server with its own socket on 127.0.0.1:0 (and, for the strangers, more
//! sockets), every receive bounded.
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::thread;
use std::time::{Duration, Instant};

use crate::fail;
use crate::lang::Text;
use crate::probe::error_line;
use crate::probe::{Check, Failure, Finished, Outcome, Program, Run, WAIT, show, udp_socket};
use crate::tr;

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "udp-ignore-strangers" => Some(UDP_IGNORE_STRANGERS),
        "udp-retry" => Some(UDP_RETRY),
        _ => None,
    }
}

const UDP_IGNORE_STRANGERS: &[Check] = &[
    Check {
        en: "sends the message to the server and prints its reply",
        zh: "把消息发给服务器，并打印服务器的回复",
        run: prints_the_reply,
    },
    Check {
        en: "ignores a stranger's datagram and prints the server's reply",
        zh: "不理陌生人的数据报，打印服务器的回复",
        run: ignores_a_stranger,
    },
    Check {
        en: "ignores three strangers' datagrams in a row",
        zh: "连续三个陌生人的数据报都不理",
        run: ignores_three_strangers,
    },
    Check {
        en: "gives up 5 s after sending even while a stranger keeps sending: an error, exit code 1",
        zh: "即使陌生人不停地发，也在发送 5 秒后放弃：报错，退出码 1",
        run: strangers_do_not_extend_the_wait,
    },
];

const UDP_RETRY: &[Check] = &[
    Check {
        en: "sends the message once and prints the reply when the server answers at once",
        zh: "服务器立刻回答时，只发一次消息并打印回复",
        run: answered_at_once,
    },
    Check {
        en: "sends again after about 1 s without a reply, and prints the reply to the second datagram",
        zh: "约 1 秒没有回复就重发，并打印对第二个数据报的回复",
        run: answered_second,
    },
    Check {
        en: "sends a third time when the second gets no reply either, and prints that reply",
        zh: "第二次也没有回复时发第三次，并打印那次的回复",
        run: answered_third,
    },
    Check {
        en: "gives up after 3 unanswered datagrams: one error line, exit code 1, about 3 s after the first",
        zh: "3 个数据报都没有回复就放弃：一行错误信息，退出码 1，在第一次发送约 3 秒之后",
        run: gives_up_after_three,
    },
];

/// The check's server: a socket on 127.0.0.1 with an ephemeral port.
fn server_socket() -> Result<(UdpSocket, SocketAddr), Failure> {
    let socket = udp_socket(WAIT)?;
    let address = socket.local_addr().map_err(|e| {
        Failure::new(tr!(
            "cannot read the UDP socket's address: {e}",
            "无法读取 UDP 套接字的地址：{e}"
        ))
    })?;
    Ok((socket, address))
}

/// The next datagram on `socket` within `timeout`, with the time it arrived.
/// A reset (Windows: an earlier datagram found a closed port) is skipped.
fn next_datagram(socket: &UdpSocket, timeout: Duration) -> Option<(Vec<u8>, SocketAddr, Instant)> {
    let deadline = Instant::now() + timeout;
    let mut buffer = vec![0u8; 65_535];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let _ = socket.set_read_timeout(Some(left));
        match socket.recv_from(&mut buffer) {
            Ok((n, from)) => return Some((buffer[..n].to_vec(), from, Instant::now())),
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::Interrupted) => {}
            Err(_) => return None,
        }
    }
}

/// Waits at most `timeout` for the program's datagram `message` to the server.
fn expect_request(
    server: &UdpSocket,
    program: &Program,
    message: &str,
    timeout: Duration,
    what: (&str, &str),
) -> Result<(SocketAddr, Instant), Failure> {
    let (what, zh_what) = what;
    let Some((request, client, at)) = next_datagram(server, timeout) else {
        let secs = timeout.as_secs_f32();
        if !program.is_running() {
            let Text { en, zh } = error_line(&program.stderr_text());
            fail!(
                "the server was waiting for {what}, but the program had ended; its error output: {en}",
                "服务器在等{zh_what}，程序却已经结束了；它的错误输出：{zh}"
            );
        }
        fail!(
            "the server waited {secs} s for {what} and got nothing",
            "服务器等了 {secs} 秒，没有收到{zh_what}"
        );
    };
    if request != message.as_bytes() {
        let (got, sent) = (show(&request), show(message.as_bytes()));
        fail!(
            "the server got {got} as {what}, expected the message from the command line, {sent}",
            "服务器收到的{zh_what}是 {got}，期望的是命令行上给的消息 {sent}"
        );
    }
    Ok((client, at))
}

fn send(socket: &UdpSocket, bytes: &[u8], to: SocketAddr) -> Outcome {
    match socket.send_to(bytes, to) {
        Ok(_) => Ok(()),
        Err(e) => fail!(
            "cannot send a datagram to the program at {to}: {e}",
            "无法向程序 {to} 发送数据报：{e}"
        ),
    }
}

/// Waits for the program to exit, then expects exit code 0 and `reply` on stdout.
fn expect_printed(program: Program, reply: &str, hint: usize) -> Result<Finished, Failure> {
    let finished = program.finish(WAIT)?;
    let printed = show(finished.stdout.as_bytes());
    let Text { en, zh } = error_line(&finished.stderr);
    if finished.code != Some(0) {
        let code = finished.code.map_or("none (a signal)".to_string(), |c| c.to_string());
        fail!(hint hint,
            "the server answered {reply:?}; the program should print it and exit with code 0, but it exited with code {code}; it printed {printed}; its error output: {en}",
            "服务器回答了 {reply:?}；程序应当把它打印出来并以退出码 0 结束，实际退出码是 {code}；它打印了 {printed}；它的错误输出：{zh}");
    }
    if !finished.stdout.contains(reply) {
        fail!(hint hint,
            "the server answered {reply:?}, but the program printed {printed}",
            "服务器回答了 {reply:?}，程序打印的却是 {printed}");
    }
    Ok(finished)
}

fn prints_the_reply(run: &Run) -> Outcome {
    let (server, address) = server_socket()?;
    let program = run.start(&[&address.to_string(), "ping 7"], None)?;
    let (client, _) = expect_request(&server, &program, "ping 7", WAIT, ("the message", "消息"))?;
    send(&server, b"pong 7", client)?;
    expect_printed(program, "pong 7", 1).map(drop)
}

/// The server gets the message; `strangers` (sockets of their own on 127.0.0.1)
/// answer first, each with `lie`; then the server answers `pong N`.
fn strangers_answer_first(run: &Run, strangers: usize) -> Outcome {
    let (server, address) = server_socket()?;
    let message = format!("ping {strangers}");
    let program = run.start(&[&address.to_string(), &message], None)?;
    let (client, _) = expect_request(&server, &program, &message, WAIT, ("the message", "消息"))?;
    let lie = "I am the server, trust me";
    let mut from = Vec::new();
    for n in 0..strangers {
        let stranger = udp_socket(WAIT)?;
        // The second stranger sends twice: a port seen before is no reason to trust it.
        for _ in 0..(1 + n % 2) {
            send(&stranger, lie.as_bytes(), client)?;
        }
        from.push(stranger.local_addr().map(|a| a.to_string()).unwrap_or_default());
    }
    let reply = format!("pong {strangers}");
    send(&server, reply.as_bytes(), client)?;
    let finished = program.finish(WAIT)?;
    let printed = show(finished.stdout.as_bytes());
    let (zh_from, from) = (format!("陌生人（{}）", from.join("、")), from.join(", "));
    let from = if strangers == 1 {
        format!("a stranger at {from}")
    } else {
        format!("strangers at {from}")
    };
    if finished.stdout.contains(lie) {
        fail!(hint 2,
            "{from} sent {lie:?} before the server ({address}) answered; the program printed {printed}: a datagram whose source address (IP and port) is not the server's is not the reply",
            "{zh_from}抢在服务器（{address}）前面发来了 {lie:?}；程序打印了 {printed}：源地址（IP 和端口）不是服务器地址的数据报不是回复");
    }
    if finished.code != Some(0) || !finished.stdout.contains(&reply) {
        let code = finished.code.map_or("none (a signal)".to_string(), |c| c.to_string());
        let Text { en, zh } = error_line(&finished.stderr);
        fail!(hint 2,
            "{from} sent datagrams, then the server ({address}) answered {reply:?}; expected the program to print it and exit with code 0; it exited with code {code} and printed {printed}; its error output: {en} (after a stranger's datagram, receive again)",
            "{zh_from}先发来了数据报，随后服务器（{address}）回答了 {reply:?}；期望程序把它打印出来并以退出码 0 结束；实际退出码是 {code}，打印了 {printed}；它的错误输出：{zh}（收到陌生人的数据报之后，要接着再收）");
    }
    Ok(())
}

fn ignores_a_stranger(run: &Run) -> Outcome {
    strangers_answer_first(run, 1)
}

fn ignores_three_strangers(run: &Run) -> Outcome {
    strangers_answer_first(run, 3)
}

fn strangers_do_not_extend_the_wait(run: &Run) -> Outcome {
    let (server, address) = server_socket()?;
    let started = Instant::now();
    let program = run.start(&[&address.to_string(), "anyone?"], None)?;
    let (client, sent) =
        expect_request(&server, &program, "anyone?", WAIT, ("the message", "消息"))?;
    // The server never answers; a stranger sends every 250 ms until the program is done.
    let stranger = udp_socket(WAIT)?;
    let (stop, stopped) = channel::<()>();
    let spammer = thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(15);
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_millis(250))
        {
            // Windows may refuse a send once the program has gone (10054): nothing to do.
            let _ = stranger.send_to(b"not the server", client);
            if Instant::now() > until {
                return;
            }
        }
    });
    let finished = program.finish(Duration::from_secs(11));
    drop(stop);
    let _ = spammer.join();
    let Ok(finished) = finished else {
        fail!(hint 3,
            "the server never answered and a stranger sent a datagram every 0.25 s; 11 s later the program was still waiting, though it should give up 5 s after sending (does each stranger's datagram start the 5 s again?)",
            "服务器一直不回答，一个陌生人每 0.25 秒发来一个数据报；11 秒后程序还在等，可它应当在发送 5 秒后放弃（是不是每来一个陌生人的数据报，5 秒就重新算起？）");
    };
    let waited = (started + finished.elapsed).saturating_duration_since(sent).as_secs_f32();
    let printed = show(finished.stdout.as_bytes());
    if finished.stdout.contains("not the server") {
        fail!(hint 2,
            "a stranger kept sending \"not the server\" and the program printed {printed}: only the server's datagram is the reply",
            "陌生人不停地发来 \"not the server\"，程序打印了 {printed}：只有服务器发来的数据报才是回复");
    }
    if finished.code != Some(1) || finished.stderr.trim().is_empty() {
        let code = finished.code.map_or("none (a signal)".to_string(), |c| c.to_string());
        let errors = show(finished.stderr.as_bytes());
        fail!(
            "the server never answered; expected an error on stderr and exit code 1 after 5 s; the program exited with code {code} after {waited:.1} s, printed {printed}, error output {errors}",
            "服务器一直不回答；期望 5 秒后在标准错误输出上报错，以退出码 1 结束；程序在 {waited:.1} 秒后以退出码 {code} 结束，打印了 {printed}，错误输出 {errors}"
        );
    }
    if !(4.0..=9.0).contains(&waited) {
        fail!(hint 3,
            "the server never answered; the program gave up {waited:.1} s after sending; expected about 5 s (4 to 9 s are accepted)",
            "服务器一直不回答；程序在发送 {waited:.1} 秒后放弃；期望是 5 秒左右（4 到 9 秒都算对）");
    }
    Ok(())
}

/// The program's datagrams, as the student reads them.
const ORDINAL: [(&str, &str); 3] = [
    ("the first datagram", "第一个数据报"),
    ("the second datagram", "第二个数据报"),
    ("the third datagram", "第三个数据报"),
];

/// The retry checks: the server ignores the first `ignored` datagrams and answers the next.
fn answered_after(run: &Run, ignored: usize) -> Outcome {
    let (server, address) = server_socket()?;
    let message = format!("ping {}", ignored + 1);
    let program = run.start(&[&address.to_string(), &message], None)?;
    let (mut client, mut last) = expect_request(&server, &program, &message, WAIT, ORDINAL[0])?;
    for (n, &what) in ORDINAL.iter().enumerate().take(ignored + 1).skip(1) {
        let (from, at) = expect_request(&server, &program, &message, Duration::from_secs(3), what)
            .map_err(|failure| again(failure, n))?;
        check_gap(at.saturating_duration_since(last), n)?;
        (client, last) = (from, at);
    }
    let reply = format!("pong {}", ignored + 1);
    send(&server, reply.as_bytes(), client)?;
    expect_printed(program, &reply, 2)?;
    // Every datagram the program sent is queued by now (it has exited).
    if next_datagram(&server, Duration::from_millis(300)).is_some() {
        let (answered, sent) = (ignored + 1, ignored + 2);
        fail!(hint 2,
            "the reply came after datagram {answered}, yet the program sent datagram {sent}: stop sending once the reply has come",
            "回复在第 {answered} 个数据报之后就到了，程序却还发了第 {sent} 个：收到回复就不要再发了");
    }
    Ok(())
}

/// Adds to a failure while waiting for datagram `n + 1` that datagram `n` got no reply.
fn again(failure: Failure, n: usize) -> Failure {
    let Text { en, zh } = failure.message;
    Failure::new(tr!(
        "the server did not answer datagram {n}, so the program should send the message again after 1 s; {en}",
        "服务器没有回答第 {n} 个数据报，所以程序应当在 1 秒后重发消息；{zh}"
    ))
    .hint(if n == 1 { 1 } else { 2 })
}

/// Datagram `n + 1` came `gap` after datagram `n`: about 1 s is right.
fn check_gap(gap: Duration, n: usize) -> Outcome {
    let secs = gap.as_secs_f32();
    if !(0.7..=2.5).contains(&secs) {
        let next = n + 1;
        fail!(hint 2,
            "datagram {next} came {secs:.2} s after datagram {n}; expected about 1 s (0.7 to 2.5 s are accepted): wait 1 s for the reply before sending again",
            "第 {next} 个数据报在第 {n} 个之后 {secs:.2} 秒就到了；期望是 1 秒左右（0.7 到 2.5 秒都算对）：先等回复 1 秒，再重发");
    }
    Ok(())
}

fn answered_at_once(run: &Run) -> Outcome {
    answered_after(run, 0)
}

fn answered_second(run: &Run) -> Outcome {
    answered_after(run, 1)
}

fn answered_third(run: &Run) -> Outcome {
    answered_after(run, 2)
}

fn gives_up_after_three(run: &Run) -> Outcome {
    let (server, address) = server_socket()?;
    let started = Instant::now();
    let program = run.start(&[&address.to_string(), "hello?"], None)?;
    let (_, first) = expect_request(&server, &program, "hello?", WAIT, ORDINAL[0])?;
    let mut last = first;
    for (n, &what) in ORDINAL.iter().enumerate().skip(1) {
        let (_, at) = expect_request(&server, &program, "hello?", Duration::from_secs(3), what)
            .map_err(|failure| again(failure, n))?;
        check_gap(at.saturating_duration_since(last), n)?;
        last = at;
    }
    let finished = program.finish(Duration::from_secs(6)).map_err(|failure| {
        let Text { en, zh } = failure.message;
        Failure::new(tr!(
            "the server answered none of the 3 datagrams; the program should then give up 1 s after the third; {en}",
            "服务器 3 个数据报一个也没回答；程序应当在第三个之后 1 秒放弃；{zh}"
        ))
        .hint(3)
    })?;
    if next_datagram(&server, Duration::from_millis(300)).is_some() {
        fail!(hint 3,
            "the program sent a fourth datagram: 3 sends at most, then give up",
            "程序发了第四个数据报：最多发 3 次，然后放弃");
    }
    let code = finished.code.map_or("none (a signal)".to_string(), |c| c.to_string());
    let printed = show(finished.stdout.as_bytes());
    let errors: Vec<&str> =
        finished.stderr.lines().filter(|line| !line.trim().is_empty()).collect();
    let shown = show(finished.stderr.as_bytes());
    if finished.code != Some(1) || errors.len() != 1 {
        let lines = errors.len();
        fail!(hint 3,
            "no reply to 3 datagrams: expected one error line on stderr and exit code 1; the program exited with code {code}, wrote {lines} lines on stderr: {shown}, and printed {printed}",
            "3 个数据报都没有回复：期望标准错误输出上恰好一行错误信息，退出码 1；程序的退出码是 {code}，在标准错误输出上写了 {lines} 行：{shown}，打印了 {printed}");
    }
    let waited = (started + finished.elapsed).saturating_duration_since(first).as_secs_f32();
    if !(2.5..=8.0).contains(&waited) {
        fail!(hint 3,
            "the program gave up {waited:.1} s after its first datagram; expected about 3 s: 3 sends, each followed by 1 s of waiting (2.5 to 8 s are accepted)",
            "程序在第一次发送 {waited:.1} 秒后放弃；期望是 3 秒左右：发 3 次，每次之后等 1 秒（2.5 到 8 秒都算对）");
    }
    Ok(())
}

//! Checks of the exercises of the chapter "Measuring".
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::lang::Text;
use crate::probe::{Check, Failure, Finished, Outcome, Run, WAIT, show, stderr_head};
use crate::{fail, tr};

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "round-trips" => Some(ROUND_TRIPS),
        "percentiles" => Some(PERCENTILES),
        _ => None,
    }
}

const ROUND_TRIPS: &[Check] = &[
    Check {
        en: "prints one line `N round trips in T ms` and exits with code 0",
        zh: "打印一行 `N round trips in T ms`，退出码为 0",
        run: prints_one_line,
    },
    Check {
        en: "makes exactly N round trips of 64 bytes, on one connection",
        zh: "在一条连接上恰好做 N 次 64 字节的往返",
        run: makes_n_round_trips,
    },
    Check {
        en: "waits for each echo before sending the next message",
        zh: "每次都等回声全部收回之后才发下一条消息",
        run: waits_for_each_echo,
    },
    Check {
        en: "T is the time the round trips took, in milliseconds",
        zh: "T 是这些往返实际花费的时间，单位是毫秒",
        run: measures_the_time,
    },
    Check {
        en: "connection refused: one `error:` line, exit code 1",
        zh: "连接被拒绝时：打印一行 `error:`，退出码为 1",
        run: refused,
    },
];

const PERCENTILES: &[Check] = &[
    Check {
        en: "one latency: p50, p90, p99 and max are all that value",
        zh: "只有一个延迟值时：p50、p90、p99 和 max 都是它",
        run: one_latency,
    },
    Check {
        en: "100 latencies, 1 to 100, shuffled: p50 50, p90 90, p99 99, max 100",
        zh: "1 到 100 共 100 个延迟值，顺序打乱：p50 50、p90 90、p99 99、max 100",
        run: hundred_latencies,
    },
    Check {
        en: "unsorted input with duplicates, decimals, spaces and blank lines",
        zh: "未排序的输入，含重复值、小数、空格和空行",
        run: awkward_input,
    },
    Check {
        en: "a bad line: one `error:` line naming the line number, exit code 1",
        zh: "有一行不合法：打印一行写明行号的 `error:`，退出码为 1",
        run: bad_line,
    },
    Check {
        en: "no latencies at all: one `error:` line, exit code 1",
        zh: "一个延迟值都没有：打印一行 `error:`，退出码为 1",
        run: empty_input,
    },
];

// ---------------------------------------------------------------- round-trips

/// Bytes in one message and in its echo.
const SIZE: usize = 64;
/// How long the check's server waits before each echo.
const DELAY: Duration = Duration::from_millis(2);

/// What the check's echo server saw.
#[derive(Clone, Debug, Default)]
struct Tally {
    connections: usize,
    /// Messages received whole and echoed.
    round_trips: u64,
    bytes: u64,
    /// Bytes of a message still incomplete (the program stopped mid-message).
    pending: usize,
    /// The first round trip (1-based) whose echo was not yet sent when more bytes came.
    early: Option<u64>,
    /// The first round trip whose echo was not yet sent when the program closed the connection.
    closed_early: Option<u64>,
}

/// An echo server on 127.0.0.1 that waits [`DELAY`] before each 64-byte echo and
/// counts what it sees; it stops when dropped.
#[derive(Debug)]
struct CountingServer {
    address: SocketAddr,
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
}

impl CountingServer {
    fn start() -> Result<CountingServer, Failure> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|e| {
                Failure::new(tr!(
                    "cannot start the check's echo server: {e}",
                    "无法启动检查用的回声服务器：{e}"
                ))
            })?;
        let address = listener.local_addr().map_err(|e| {
            Failure::new(tr!(
                "cannot start the check's echo server: {e}",
                "无法启动检查用的回声服务器：{e}"
            ))
        })?;
        let (tally, stop) =
            (Arc::new(Mutex::new(Tally::default())), Arc::new(AtomicBool::new(false)));
        let (counts, stopped) = (Arc::clone(&tally), Arc::clone(&stop));
        thread::spawn(move || {
            // Bounded even if the check never drops the server.
            let deadline = Instant::now() + crate::engine::CHECK_LIMIT;
            while !stopped.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        lock(&counts).connections += 1;
                        let (counts, stopped) = (Arc::clone(&counts), Arc::clone(&stopped));
                        thread::spawn(move || serve(stream, &counts, &stopped));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(CountingServer { address, tally, stop })
    }

    fn tally(&self) -> Tally {
        lock(&self.tally).clone()
    }
}

impl Drop for CountingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn lock(tally: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves one connection: read 64 bytes, wait [`DELAY`], look whether more
/// came meanwhile (the program did not wait for the echo), echo, count.
fn serve(mut stream: TcpStream, tally: &Mutex<Tally>, stop: &AtomicBool) {
    // On Windows and macOS an accepted socket inherits the listener's non-blocking mode.
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    // Short reads, so the thread notices `stop` soon after the check ends.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let _ = stream.set_write_timeout(Some(WAIT));
    let mut message = [0u8; SIZE];
    loop {
        let mut filled = 0;
        while filled < SIZE {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match stream.read(&mut message[filled..]) {
                Ok(0) => return,
                Ok(n) => {
                    filled += n;
                    let mut counts = lock(tally);
                    counts.bytes += n as u64;
                    counts.pending = filled % SIZE;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(_) => return,
            }
        }
        thread::sleep(DELAY);
        let round_trip = lock(tally).round_trips + 1;
        if stream.set_nonblocking(true).is_ok() {
            let peeked = stream.peek(&mut [0u8; 1]);
            let _ = stream.set_nonblocking(false);
            let mut counts = lock(tally);
            match peeked {
                Ok(0) => {
                    counts.closed_early.get_or_insert(round_trip);
                }
                Ok(_) => {
                    counts.early.get_or_insert(round_trip);
                }
                Err(_) => {}
            }
        }
        if stream.write_all(&message).is_err() {
            return;
        }
        lock(tally).round_trips += 1;
    }
}

/// Runs `round-trips ADDRESS count` against a fresh counting server.
fn run_counted(run: &Run, count: u64) -> Result<(Finished, Tally), Failure> {
    let server = CountingServer::start()?;
    let (address, n) = (server.address.to_string(), count.to_string());
    let program = run.start(&[&address, &n], None)?;
    let limit = WAIT + DELAY * 10 * u32::try_from(count).unwrap_or(u32::MAX);
    match program.finish(limit) {
        Ok(finished) => Ok((finished, server.tally())),
        Err(failure) => {
            let tally = server.tally();
            let (done, pending) = (tally.round_trips, tally.pending);
            let (en, zh) = (failure.message.en, failure.message.zh);
            let (state_en, state_zh) = if pending > 0 {
                (
                    format!(
                        "the check's server has echoed {done} messages and holds {pending} bytes of the next one, waiting for the other {} (a message is {SIZE} bytes)",
                        SIZE - pending
                    ),
                    format!(
                        "检查用的服务器已经送回了 {done} 条消息，手里还有下一条的 {pending} 个字节，正等着另外 {} 个（一条消息是 {SIZE} 个字节）",
                        SIZE - pending
                    ),
                )
            } else {
                (
                    format!("the check's server has echoed {done} messages and waits for the next"),
                    format!("检查用的服务器已经送回了 {done} 条消息，正等着下一条"),
                )
            };
            Err(Failure::new(tr!(
                "`round-trips {address} {n}`: {en}; {state_en}",
                "`round-trips {address} {n}`：{zh}；{state_zh}"
            ))
            .hint(2))
        }
    }
}

/// The program ended with code 0 and printed exactly one line `N round trips in T ms`: (N, T).
fn parse_report(finished: &Finished, count: u64) -> Result<(u64, f64), Failure> {
    if finished.code != Some(0) {
        let code = finished.exit_code();
        let stderr = stderr_head(&finished.stderr);
        fail!(
            "`round-trips ADDRESS {count}` should exit with code 0; it exited with {code}, its error output: {stderr}",
            "`round-trips 地址 {count}` 应当以退出码 0 结束；它的退出码是 {code}，错误输出：{stderr}"
        );
    }
    let lines: Vec<&str> = finished.stdout.lines().filter(|line| !line.trim().is_empty()).collect();
    let [line] = lines[..] else {
        let (n, shown) = (lines.len(), show(finished.stdout.as_bytes()));
        fail!(
            "`round-trips ADDRESS {count}` should print exactly one line, `N round trips in T ms`; it printed {n} lines: {shown}",
            "`round-trips 地址 {count}` 应当只打印一行 `N round trips in T ms`；它打印了 {n} 行：{shown}"
        );
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    let parsed = match words[..] {
        [n, "round", "trips", "in", t, "ms"] => n.parse::<u64>().ok().zip(t.parse::<f64>().ok()),
        _ => None,
    };
    match parsed {
        Some((n, t)) if t.is_finite() && t >= 0.0 => Ok((n, t)),
        _ => {
            let shown = show(line.as_bytes());
            fail!(
                "`round-trips ADDRESS {count}` printed {shown}; expected `N round trips in T ms`, with N a whole number and T a number of milliseconds (e.g. `50 round trips in 104.2 ms`)",
                "`round-trips 地址 {count}` 打印的是 {shown}；期望的格式是 `N round trips in T ms`，N 是整数，T 是毫秒数（例如 `50 round trips in 104.2 ms`）"
            )
        }
    }
}

fn prints_one_line(run: &Run) -> Outcome {
    let (finished, _) = run_counted(run, 5)?;
    let (n, _) = parse_report(&finished, 5)?;
    if n != 5 {
        fail!(hint 1, "`round-trips ADDRESS 5` printed N = {n}; expected 5", "`round-trips 地址 5` 打印的 N 是 {n}；期望是 5");
    }
    Ok(())
}

fn makes_n_round_trips(run: &Run) -> Outcome {
    let count = 50;
    let (finished, tally) = run_counted(run, count)?;
    let Tally { connections, round_trips, bytes, pending, .. } = tally;
    if connections != 1 {
        fail!(
            "`round-trips ADDRESS {count}` opened {connections} connections to the check's server; expected one, used for every round trip",
            "`round-trips 地址 {count}` 向检查用的服务器打开了 {connections} 条连接；期望只开一条，所有往返都在这条连接上做"
        );
    }
    if pending != 0 {
        fail!(
            "`round-trips ADDRESS {count}` sent {bytes} bytes in all, not a whole number of {SIZE}-byte messages: the last {pending} bytes are part of a message",
            "`round-trips 地址 {count}` 一共发送了 {bytes} 个字节，不是整数条 {SIZE} 字节的消息：最后 {pending} 个字节只是半条消息"
        );
    }
    if round_trips != count {
        fail!(
            hint 1,
            "`round-trips ADDRESS {count}` made {round_trips} round trips ({bytes} bytes) with the check's server; expected {count} round trips of {SIZE} bytes",
            "`round-trips 地址 {count}` 和检查用的服务器一共做了 {round_trips} 次往返（{bytes} 个字节）；期望是 {count} 次、每次 {SIZE} 个字节"
        );
    }
    let (n, _) = parse_report(&finished, count)?;
    if n != count {
        fail!(
            "`round-trips ADDRESS {count}` made {count} round trips but printed N = {n}",
            "`round-trips 地址 {count}` 做了 {count} 次往返，打印的 N 却是 {n}"
        );
    }
    Ok(())
}

fn waits_for_each_echo(run: &Run) -> Outcome {
    let count = 20;
    let (_, tally) = run_counted(run, count)?;
    let ms = DELAY.as_millis();
    if tally.round_trips < 2 {
        // Waiting can only be seen between two round trips: no pass for a
        // program that stops (or panics) before it makes them.
        let done = tally.round_trips;
        fail!(
            "`round-trips ADDRESS {count}` made {done} complete round trip(s) with the check's server, so there was no echo to wait for between two of them (see the first two checks)",
            "`round-trips 地址 {count}` 和检查用的服务器只完成了 {done} 次往返，两次往返之间没有回声可等（先看前两项检查）"
        );
    }
    if let Some(k) = tally.early {
        fail!(
            hint 2,
            "`round-trips ADDRESS {count}`: {ms} ms after message {k} arrived, before its echo was sent, more bytes had already come (the next message, or a message longer than {SIZE} bytes): wait for the whole echo before sending again",
            "`round-trips 地址 {count}`：第 {k} 条消息到达 {ms} 毫秒后、它的回声还没发出时，又有字节到了（下一条消息，或者一条超过 {SIZE} 字节的消息）：要等回声全部收到之后再发"
        );
    }
    if let Some(k) = tally.closed_early {
        fail!(
            hint 2,
            "`round-trips ADDRESS {count}` closed the connection before the echo of message {k} was sent: a round trip ends when its whole echo is back",
            "`round-trips 地址 {count}` 在第 {k} 条消息的回声发出之前就关闭了连接：一次往返要到回声全部收回才算结束"
        );
    }
    Ok(())
}

fn measures_the_time(run: &Run) -> Outcome {
    let count: u64 = 50;
    let (finished, tally) = run_counted(run, count)?;
    let (_, t) = parse_report(&finished, count)?;
    let done = tally.round_trips;
    let delay = DELAY.as_secs_f64() * 1000.0;
    // The server waited `delay` before each echo, so the round trips took at least this long
    // (1 ms less for a T rounded down to whole milliseconds).
    let least = done as f64 * delay;
    if t + 1.0 < least {
        fail!(
            hint 2,
            "`round-trips ADDRESS {count}` printed T = {t} ms, but the check's server waited {delay} ms before each of its {done} echoes: the round trips took at least {least} ms. Start the clock before the first message, stop it after the last echo, and print milliseconds",
            "`round-trips 地址 {count}` 打印的 T 是 {t} 毫秒，可检查用的服务器每次送回消息之前都等了 {delay} 毫秒，共 {done} 次：这些往返至少花了 {least} 毫秒。要在发第一条消息之前开始计时，收完最后一个回声之后停止，并且以毫秒为单位打印"
        );
    }
    // Only a wrong unit (µs printed as ms: 1000 times too much) is caught here; the
    // slack absorbs a busy machine's scheduling, which delays when the exit is seen.
    let ran = finished.elapsed.as_secs_f64() * 1000.0;
    if t > ran * 2.0 + 50.0 {
        let ran = ran.round();
        fail!(
            "`round-trips ADDRESS {count}` printed T = {t} ms, but the whole program ran for at most {ran} ms: is T in milliseconds (not microseconds)?",
            "`round-trips 地址 {count}` 打印的 T 是 {t} 毫秒，可整个程序最多只运行了 {ran} 毫秒：T 的单位是毫秒吗（不是微秒）？"
        );
    }
    Ok(())
}

fn refused(run: &Run) -> Outcome {
    // A port nothing listens on: bind one, note it, close it.
    let address = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| {
            Failure::new(tr!(
                "cannot find a free port for the check: {e}",
                "无法为检查找到一个空闲端口：{e}"
            ))
        })?;
    let address = address.to_string();
    let program = run.start(&[&address, "3"], None)?;
    // Windows retries a refused connection for about 2 s before it gives up.
    let finished = program.finish(WAIT * 2)?;
    let lines: Vec<&str> = finished.stderr.lines().filter(|line| !line.trim().is_empty()).collect();
    let stderr = stderr_head(&finished.stderr);
    if finished.code != Some(1) {
        let code = finished.exit_code();
        fail!(
            "`round-trips {address} 3` with nothing listening on {address} should exit with code 1; it exited with {code}, its error output: {stderr}",
            "`round-trips {address} 3` 的目标 {address} 上没有程序在监听，它应当以退出码 1 结束；它的退出码是 {code}，错误输出：{stderr}"
        );
    }
    if !matches!(lines[..], [line] if line.starts_with("error:")) {
        fail!(
            "`round-trips {address} 3` with nothing listening should write one line starting with `error:` on stderr; it wrote {stderr}",
            "`round-trips {address} 3` 的目标上没有程序在监听，它应当在标准错误输出上写一行以 `error:` 开头的文字；它写的是 {stderr}"
        );
    }
    if finished.stdout.contains("round trips in") {
        let shown = show(finished.stdout.trim().as_bytes());
        fail!(
            "`round-trips {address} 3` could not connect, yet it printed {shown}",
            "`round-trips {address} 3` 根本没能连上，却打印了 {shown}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- percentiles

const NAMES: [(&str, usize); 3] = [("p50", 50), ("p90", 90), ("p99", 99)];

/// Runs the program on `input` (described to the student as `what`, with `n`
/// values) and expects `p50`, `p90`, `p99` and `max` lines with these values.
fn expect_percentiles(
    run: &Run,
    input: &str,
    n: usize,
    expected: [f64; 4],
    what: &Text,
) -> Outcome {
    let program = run.start(&[], Some(input.as_bytes()))?;
    let finished = program.finish(WAIT)?;
    let (en, zh) = (&what.en, &what.zh);
    if finished.code != Some(0) {
        let code = finished.exit_code();
        let stderr = stderr_head(&finished.stderr);
        fail!(
            "with {en} on stdin the program should print 4 lines and exit with code 0; it exited with {code}, its error output: {stderr}",
            "标准输入是{zh}时，程序应当打印 4 行并以退出码 0 结束；它的退出码是 {code}，错误输出：{stderr}"
        );
    }
    let lines: Vec<&str> = finished.stdout.lines().filter(|line| !line.trim().is_empty()).collect();
    let want: Vec<String> = NAMES
        .iter()
        .map(|(name, _)| *name)
        .chain(["max"])
        .zip(expected)
        .map(|(name, value)| format!("{name} {value}"))
        .collect();
    let want = want.join(" / ");
    if lines.len() != 4 {
        let (count, shown) = (lines.len(), show(finished.stdout.as_bytes()));
        fail!(
            "with {en} on stdin, expected 4 lines, {want}; the program printed {count}: {shown}",
            "标准输入是{zh}时，期望 4 行：{want}；程序打印了 {count} 行：{shown}"
        );
    }
    let names = NAMES.iter().map(|(name, percent)| (*name, Some(*percent))).chain([("max", None)]);
    for ((line, (name, percent)), value) in lines.iter().zip(names).zip(expected) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let right = match words[..] {
            [word, number] => {
                word == name
                    && number
                        .parse::<f64>()
                        .is_ok_and(|x| (x - value).abs() <= 1e-9 * value.abs().max(1.0))
            }
            _ => false,
        };
        if !right {
            let shown = show(line.as_bytes());
            let (why_en, why_zh) = match percent {
                Some(p) => {
                    let rank = (p * n).div_ceil(100);
                    (
                        format!(
                            " (n = {n}: rank ⌈{p}/100 × {n}⌉ = {rank}, value number {rank} in sorted order)"
                        ),
                        format!(
                            "（n = {n}：秩 ⌈{p}/100 × {n}⌉ = {rank}，即从小到大第 {rank} 个值）"
                        ),
                    )
                }
                None => (" (the largest value)".to_string(), "（最大的值）".to_string()),
            };
            fail!(
                hint 1,
                "with {en} on stdin, expected `{name} {value}`{why_en}; got {shown}. All expected: {want}",
                "标准输入是{zh}时，期望 `{name} {value}`{why_zh}；实际是 {shown}。全部期望值：{want}"
            );
        }
    }
    Ok(())
}

fn one_latency(run: &Run) -> Outcome {
    let what = tr!("the single line \"42\"", "只有一行 \"42\"");
    expect_percentiles(run, "42\n", 1, [42.0; 4], &what)
}

fn hundred_latencies(run: &Run) -> Outcome {
    // 37 and 100 have no common divisor: this visits 1..=100, each once, shuffled.
    let values: Vec<String> = (0..100).map(|i| ((i * 37) % 100 + 1).to_string()).collect();
    let input = values.join("\n") + "\n";
    let (first, first_zh) = (values[..5].join(", "), values[..5].join("、"));
    let what = tr!(
        "the numbers 1 to 100 in the order {first}, …",
        "数字 1 到 100，顺序打乱（{first_zh}……）"
    );
    expect_percentiles(run, &input, 100, [50.0, 90.0, 99.0, 100.0], &what)
}

fn awkward_input(run: &Run) -> Outcome {
    // The statement's worked example: sorted 95 99 101 105 110 120 130 250 300 1000.
    let example = "120\n95\n300\n101\n99\n250\n110\n105\n130\n1000\n";
    let what = tr!(
        "the statement's example (120, 95, 300, …, 1000)",
        "题目里的例子（120、95、300、……、1000）"
    );
    expect_percentiles(run, example, 10, [110.0, 300.0, 1000.0, 1000.0], &what)?;
    // Sorted: 0 0.25 1 1 2 3.5 3.5 3.5 3.5 7.75 7.75 9.125 12 40 100.5 (n = 15);
    // ranks 8, 14, 15. Sorted as text, "100.5" would come before "12".
    let awkward =
        "3.5\n0.25\n\n12\n  3.5\n7.75  \n3.5\n1\n   \n100.5\n7.75\n0\n2\n3.5\n\n9.125\n1\n40";
    let what = tr!(
        "15 values with duplicates and decimals (3.5, 0.25, 12, …, 40), blank lines, spaces around some numbers and no newline at the end",
        "一组 15 个值，含重复值和小数（3.5、0.25、12、……、40），夹着空行，有的数字前后有空格，最后一行没有换行符"
    );
    expect_percentiles(run, awkward, 15, [3.5, 40.0, 100.5, 100.5], &what)
}

/// The program must fail on `input`: exit code 1, one `error:` line on stderr
/// (containing `needle` when given), and no percentiles on stdout.
fn expect_error(run: &Run, input: &str, what: &Text, needle: Option<&str>) -> Outcome {
    let program = run.start(&[], Some(input.as_bytes()))?;
    let finished = program.finish(WAIT)?;
    let (en, zh) = (&what.en, &what.zh);
    let stderr = stderr_head(&finished.stderr);
    if finished.code != Some(1) {
        let code = finished.exit_code();
        let panicked = if finished.code == Some(101) { " (a panic)" } else { "" };
        let panicked_zh = if finished.code == Some(101) { "（panic 了）" } else { "" };
        fail!(
            hint 2,
            "with {en} on stdin the program should exit with code 1; it exited with {code}{panicked}, its error output: {stderr}",
            "标准输入是{zh}时，程序应当以退出码 1 结束；它的退出码是 {code}{panicked_zh}，错误输出：{stderr}"
        );
    }
    let lines: Vec<&str> = finished.stderr.lines().filter(|line| !line.trim().is_empty()).collect();
    let Some(line) =
        lines.iter().find(|line| line.starts_with("error:")).filter(|_| lines.len() == 1)
    else {
        fail!(
            "with {en} on stdin the program should write one line starting with `error:` on stderr; it wrote {stderr}",
            "标准输入是{zh}时，程序应当在标准错误输出上写一行以 `error:` 开头的文字；它写的是 {stderr}"
        );
    };
    if let Some(needle) = needle
        && !line.contains(needle)
    {
        fail!(
            hint 2,
            "with {en} on stdin the error line should name the line, `{needle}`; it is {stderr}",
            "标准输入是{zh}时，错误信息应当写明是哪一行：`{needle}`；实际是 {stderr}"
        );
    }
    if finished.stdout.lines().any(|line| line.trim_start().starts_with("p50")) {
        let shown = show(finished.stdout.trim().as_bytes());
        fail!(
            "with {en} on stdin the program reported an error, yet it printed percentiles too: {shown}",
            "标准输入是{zh}时，程序报告了错误，却还是打印了百分位数：{shown}"
        );
    }
    Ok(())
}

fn bad_line(run: &Run) -> Outcome {
    let what = tr!(
        "the lines \"10\", \"\", \"20\", \"abc\", \"30\"",
        "这几行：\"10\"、\"\"、\"20\"、\"abc\"、\"30\""
    );
    expect_error(run, "10\n\n20\nabc\n30\n", &what, Some("line 4"))?;
    let what =
        tr!("the lines \"5\", \"-3\" (a negative latency)", "这几行：\"5\"、\"-3\"（负的延迟）");
    expect_error(run, "5\n-3\n", &what, Some("line 2"))
}

fn empty_input(run: &Run) -> Outcome {
    let what = tr!("nothing at all", "空的（什么都没有）");
    expect_error(run, "", &what, None)?;
    let what = tr!("only blank lines", "只有空行");
    expect_error(run, "\n  \n\n", &what, None)
}

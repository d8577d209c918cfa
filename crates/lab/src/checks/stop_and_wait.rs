//! Checks of the exercises of the chapter "Stop-and-wait".
//!
//! `rto-timer` reads events on stdin and prints its state after each one; the
//! checks feed it a list of events and compare every line with the rules of
//! the statement (RFC 6298), computed here by [`Model`].
use crate::lang::Text;
use crate::probe::{Check, Outcome, Run, WAIT, show, stderr_head};
use crate::{fail, tr};

pub fn of(id: &str) -> Option<&'static [Check]> {
    match id {
        "rto-timer" => Some(RTO_TIMER),
        _ => None,
    }
}

const RTO_TIMER: &[Check] = &[
    Check {
        en: "the first sample R: srtt = R, rttvar = R/2, rto = srtt + 4 × rttvar",
        zh: "第一个样本 R：srtt = R，rttvar = R/2，rto = srtt + 4 × rttvar",
        run: first_sample,
    },
    Check {
        en: "later samples: rttvar with β = 1/4 (from the old srtt), then srtt with α = 1/8",
        zh: "以后的样本：先用旧的 srtt 按 β = 1/4 更新 rttvar，再按 α = 1/8 更新 srtt",
        run: later_samples,
    },
    Check {
        en: "rto = srtt + max(G, 4 × rttvar) with G = 100 ms, at least 1 s, at most 60 s",
        zh: "rto = srtt + max(G, 4 × rttvar)，G = 100 毫秒，至少 1 秒，至多 60 秒",
        run: bounds,
    },
    Check {
        en: "a timeout doubles rto, up to 60 s, and leaves srtt and rttvar alone",
        zh: "超时让 rto 翻倍（最多 60 秒），srtt 和 rttvar 不变",
        run: back_off,
    },
    Check {
        en: "a sample after a back-off computes rto again from srtt and rttvar",
        zh: "退避之后来的样本按 srtt 和 rttvar 重新计算 rto",
        run: sample_after_back_off,
    },
];

/// The statement's estimator, in milliseconds.
#[derive(Clone, Copy, Debug)]
struct Model {
    srtt: Option<f64>,
    rttvar: f64,
    rto: f64,
    /// A common mistake, to recognise it: SRTT updated before RTTVAR.
    srtt_first: bool,
}

const G: f64 = 100.0;
const MIN_RTO: f64 = 1000.0;
const MAX_RTO: f64 = 60_000.0;

impl Model {
    fn new(srtt_first: bool) -> Model {
        Model { srtt: None, rttvar: 0.0, rto: MIN_RTO, srtt_first }
    }

    fn apply(&mut self, event: &str) {
        match event.strip_prefix("rtt ").and_then(|ms| ms.parse::<f64>().ok()) {
            Some(r) => {
                let srtt = match self.srtt {
                    None => {
                        self.rttvar = r / 2.0;
                        r
                    }
                    Some(old) => {
                        let new = 0.875 * old + 0.125 * r;
                        let against = if self.srtt_first { new } else { old };
                        self.rttvar = 0.75 * self.rttvar + 0.25 * (against - r).abs();
                        new
                    }
                };
                self.srtt = Some(srtt);
                self.rto = (srtt + G.max(4.0 * self.rttvar)).clamp(MIN_RTO, MAX_RTO);
            }
            None => self.rto = (self.rto * 2.0).min(MAX_RTO),
        }
    }

    /// The state as the statement writes it.
    fn line(&self) -> String {
        match self.srtt {
            Some(srtt) => format!("srtt={srtt:.3} rttvar={:.3} rto={:.3}", self.rttvar, self.rto),
            None => format!("srtt=- rttvar=- rto={:.3}", self.rto),
        }
    }
}

/// A printed state: srtt, rttvar (`None` for `-`) and rto.
type State = (Option<f64>, Option<f64>, f64);

/// `srtt=S rttvar=V rto=T`, S and V a number or `-`, T a number.
fn parse(line: &str) -> Option<State> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let [srtt, rttvar, rto] = words[..] else { return None };
    let value = |word: &str, key: &str| -> Option<Option<f64>> {
        match word.strip_prefix(key)?.strip_prefix('=')? {
            "-" => Some(None),
            number => number.parse::<f64>().ok().filter(|x| x.is_finite()).map(Some),
        }
    };
    Some((value(srtt, "srtt")?, value(rttvar, "rttvar")?, value(rto, "rto")??))
}

/// Equal up to the three decimals the statement prints.
fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 0.0015 + 1e-12 * b.abs(),
        (None, None) => true,
        _ => false,
    }
}

fn matches(state: State, model: &Model) -> bool {
    let want_var = model.srtt.map(|_| model.rttvar);
    close(state.0, model.srtt) && close(state.1, want_var) && close(Some(state.2), Some(model.rto))
}

/// What a wrong RTO in `state` probably means, when the rest is right.
fn remark(state: State, model: &Model) -> Text {
    let (Some(srtt), Some(rttvar), rto) = state else { return Text::default() };
    if !close(Some(srtt), model.srtt) || !close(Some(rttvar), Some(model.rttvar)) {
        return Text::default();
    }
    if rto < MIN_RTO - 0.01 {
        tr!(": that is below the minimum of 1000 ms (rule 4)", "：这低于 1000 毫秒的下限（规则 4）")
    } else if rto > MAX_RTO + 0.01 {
        tr!(
            ": that is above the maximum of 60000 ms (rule 4)",
            "：这超过了 60000 毫秒的上限（规则 4）"
        )
    } else if 4.0 * rttvar < G && close(Some(rto), Some(srtt + 4.0 * rttvar)) {
        tr!(
            ": that is SRTT + 4 × RTTVAR, but 4 × RTTVAR is below G here, and rule 4 takes max(G, 4 × RTTVAR) = 100",
            "：这是 SRTT + 4 × RTTVAR，可这里 4 × RTTVAR 比 G 小，规则 4 取的是 max(G, 4 × RTTVAR) = 100"
        )
    } else {
        Text::default()
    }
}

/// The events as the student reads them: `rtt 400, timeout, …`, runs of the
/// same event shortened (`rtt 3000` × 40).
fn shown_events(events: &[&str]) -> (String, String) {
    let (mut en, mut zh) = (Vec::new(), Vec::new());
    let mut at = 0;
    while at < events.len() {
        let run = events[at..].iter().take_while(|event| **event == events[at]).count();
        if run > 2 {
            en.push(format!("`{}` {run} times", events[at]));
            zh.push(format!("`{}` {run} 次", events[at]));
        } else {
            for _ in 0..run {
                en.push(format!("`{}`", events[at]));
                zh.push(format!("`{}`", events[at]));
            }
        }
        at += run;
    }
    (en.join(", "), zh.join("、"))
}

/// Feeds `events` (one per line) on stdin and expects one state line per
/// event, each as the statement's rules give it; hint `fits` fits a wrong value.
fn expect_states(run: &Run, events: &[&str], fits: usize) -> Outcome {
    let input: String = events.iter().map(|event| format!("{event}\n")).collect();
    let (all_en, all_zh) = shown_events(events);
    let program = run.start(&[], Some(input.as_bytes()))?;
    let finished = program.finish(WAIT)?;
    if finished.code != Some(0) {
        let (code, stderr) = (finished.exit_code(), stderr_head(&finished.stderr));
        fail!(
            "with the events {all_en} on stdin the program should print one line per event and exit with code 0; it exited with {code}, its error output: {stderr}",
            "标准输入是事件 {all_zh} 时，程序应当每个事件打印一行，并以退出码 0 结束；它的退出码是 {code}，错误输出：{stderr}"
        );
    }
    let lines: Vec<&str> = finished.stdout.lines().filter(|line| !line.trim().is_empty()).collect();
    let mut model = Model::new(false);
    let mut mistaken = Model::new(true);
    for (n, event) in events.iter().enumerate() {
        model.apply(event);
        mistaken.apply(event);
        let (so_far_en, so_far_zh) = shown_events(&events[..=n]);
        let want = model.line();
        let Some(line) = lines.get(n) else {
            let (want, count, printed) =
                (events.len(), lines.len(), show(finished.stdout.as_bytes()));
            fail!(
                "with the events {all_en} on stdin, expected {want} lines, one per event; the program printed {count}: {printed}",
                "标准输入是事件 {all_zh} 时，期望每个事件一行，共 {want} 行；程序打印了 {count} 行：{printed}"
            );
        };
        let shown = show(line.as_bytes());
        let Some(state) = parse(line) else {
            fail!(
                "after the events {so_far_en}, expected a line `srtt=S rttvar=V rto=T`, here {want:?}; got {shown}",
                "输入事件 {so_far_zh} 之后，期望一行 `srtt=S rttvar=V rto=T`，这里应当是 {want:?}；实际是 {shown}"
            );
        };
        if !matches(state, &model) {
            let srtt_first = !model.srtt_first && matches(state, &mistaken) && n > 0;
            if srtt_first {
                fail!(
                    hint 2,
                    "after the events {so_far_en}, expected {want:?}; got {shown}: that is RTTVAR computed with the new SRTT. Rule 3 updates RTTVAR first, with the SRTT from before the sample",
                    "输入事件 {so_far_zh} 之后，期望 {want:?}；实际是 {shown}：这是用新的 SRTT 算出的 RTTVAR。规则 3 要先更新 RTTVAR，用的是样本到来之前的 SRTT"
                );
            }
            let Text { en: remark_en, zh: remark_zh } = remark(state, &model);
            fail!(
                hint fits,
                "after the events {so_far_en}, expected {want:?} (within 0.001 ms); got {shown}{remark_en}",
                "输入事件 {so_far_zh} 之后，期望 {want:?}（误差不超过 0.001 毫秒）；实际是 {shown}{remark_zh}"
            );
        }
    }
    if lines.len() > events.len() {
        let (want, count, printed) = (events.len(), lines.len(), show(finished.stdout.as_bytes()));
        fail!(
            "with the events {all_en} on stdin, expected {want} lines, one per event; the program printed {count}: {printed}",
            "标准输入是事件 {all_zh} 时，期望每个事件一行，共 {want} 行；程序打印了 {count} 行：{printed}"
        );
    }
    Ok(())
}

fn first_sample(run: &Run) -> Outcome {
    // 400 + 4 × 200 = 1200; 1000 + 4 × 500 = 3000; 750.5 + 4 × 375.25 = 2251.5.
    for event in ["rtt 400", "rtt 1000", "rtt 750.5"] {
        expect_states(run, &[event], 1)?;
    }
    Ok(())
}

fn later_samples(run: &Run) -> Outcome {
    expect_states(run, &["rtt 1000", "rtt 2000", "rtt 500", "rtt 1500", "rtt 1000", "rtt 3000"], 2)
}

fn bounds(run: &Run) -> Outcome {
    // 120 + 240 = 360: raised to the minimum of 1 s.
    expect_states(run, &["rtt 120", "rtt 100", "rtt 130"], 1)?;
    // 30000 + 60000: lowered to the maximum of 60 s.
    expect_states(run, &["rtt 30000", "rtt 20000"], 1)?;
    // The same round trip again and again: RTTVAR shrinks towards 0, and G
    // keeps the RTO at SRTT + 100 ms.
    expect_states(run, &["rtt 3000"; 40], 2)
}

fn back_off(run: &Run) -> Outcome {
    // 1 s, doubled: 2, 4, 8, 16, 32, then 60 (not 64), 60, 60.
    expect_states(run, &["timeout"; 8], 3)?;
    expect_states(run, &["rtt 400", "timeout", "timeout", "timeout"], 3)?;
    expect_states(run, &["rtt 20000", "timeout", "timeout"], 3)
}

fn sample_after_back_off(run: &Run) -> Outcome {
    // 3000, backed off to 6000 and 12000; the next sample gives 1000 + 4 × 375 = 2500.
    expect_states(run, &["rtt 1000", "timeout", "timeout", "rtt 1000"], 3)?;
    // Timeouts before any sample: the sample after them is still the first one.
    expect_states(run, &["timeout", "timeout", "rtt 400", "timeout", "rtt 200"], 3)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn after(events: &[&str]) -> String {
        let mut model = Model::new(false);
        for event in events {
            model.apply(event);
        }
        model.line()
    }

    #[test]
    fn the_model_follows_the_statements_examples() {
        assert_eq!(after(&["rtt 400"]), "srtt=400.000 rttvar=200.000 rto=1200.000");
        assert_eq!(after(&["rtt 400", "timeout"]), "srtt=400.000 rttvar=200.000 rto=2400.000");
        assert_eq!(after(&["timeout"]), "srtt=- rttvar=- rto=2000.000");
        assert_eq!(after(&["rtt 1000", "rtt 2000"]), "srtt=1125.000 rttvar=625.000 rto=3625.000");
        assert_eq!(after(&["rtt 120"]), "srtt=120.000 rttvar=60.000 rto=1000.000");
        assert_eq!(after(&["rtt 30000"]), "srtt=30000.000 rttvar=15000.000 rto=60000.000");
        assert_eq!(after(&["timeout"; 8]), "srtt=- rttvar=- rto=60000.000");
        assert!(after(&["rtt 3000"; 40]).ends_with("rto=3100.000"), "{}", after(&["rtt 3000"; 40]));
        assert_eq!(
            after(&["rtt 1000", "timeout", "timeout", "rtt 1000"]),
            "srtt=1000.000 rttvar=375.000 rto=2500.000"
        );
    }

    #[test]
    fn a_state_line_parses_with_any_decimals() {
        assert_eq!(
            parse("srtt=120 rttvar=60.0 rto=1000.000"),
            Some((Some(120.0), Some(60.0), 1000.0))
        );
        assert_eq!(parse("srtt=- rttvar=- rto=2000"), Some((None, None, 2000.0)));
        assert_eq!(parse("srtt=- rttvar=- rto=-"), None);
        assert_eq!(parse("rto=1000 srtt=1 rttvar=2"), None);
        assert_eq!(parse("srtt=1 rttvar=2 rto=3 extra"), None);
    }

    #[test]
    fn events_are_shown_shortly() {
        let (en, zh) =
            shown_events(&["rtt 1", "timeout", "timeout", "rtt 3000", "rtt 3000", "rtt 3000"]);
        assert_eq!(en, "`rtt 1`, `timeout`, `timeout`, `rtt 3000` 3 times");
        assert_eq!(zh, "`rtt 1`、`timeout`、`timeout`、`rtt 3000` 3 次");
    }
}

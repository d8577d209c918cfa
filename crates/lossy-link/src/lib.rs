//! A lossy link you can run on one machine: a UDP proxy that drops,
//! duplicates, reorders, delays and rate-limits datagrams on purpose, with
//! every decision drawn from a seed so that a run can be replayed, and a tool
//! that draws its log as a ladder diagram.
//!
//! ```text
//!  udp-client ──► lossy-link LISTEN ──(one socket per client)──► UPSTREAM udp-server
//!             ◄──            "down"                    "up"  ──►
//! ```
//!
//! On loopback nothing is ever lost (unless a receive buffer overflows), so a
//! student who runs `udp-client` a hundred times concludes that UDP is
//! reliable. Between the two, `lossy-link --loss 30%` shows what the
//! Internet may do to datagrams: they vanish, arrive twice, arrive late and
//! out of order.
//!
//! The crate is split the usual way of this course:
//!
//! - [`link`]: the decisions, pure (no socket, no clock): given a datagram
//!   and the time it arrived, its fate and the times its copies leave;
//! - [`cli`]: the command line, parsed before any socket is opened;
//! - [`log`]: the JSON log's lines, the counts and the printed summary;
//! - [`ladder`]: the log drawn as an SVG ladder diagram (the `ladder` binary);
//! - `src/main.rs`: the thin socket loop that carries the decisions out.
//!
//! ```
//! use std::time::Duration;
//! use lossy_link::link::{Direction, Fate, Link, Settings};
//!
//! let settings = Settings { loss: 0.3, ..Settings::default() };
//! let mut run = Link::new(Direction::Up, settings.clone(), 42);
//! let mut rerun = Link::new(Direction::Up, settings, 42);
//! for i in 0..100u32 {
//!     let datagram = format!("datagram {i}");
//!     // The same seed, other arrival times: the same fate for each datagram.
//!     let first = run.decide(Duration::from_millis(i.into()), datagram.as_bytes());
//!     let again = rerun.decide(Duration::from_secs(i.into()), datagram.as_bytes());
//!     assert_eq!(first.fate, again.fate);
//!     assert!(matches!(first.fate, Fate::Delivered | Fate::Dropped));
//! }
//! ```
pub mod cli;
pub mod ladder;
pub mod link;
pub mod log;

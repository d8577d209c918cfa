//! Real sockets through the lossy-link proxy at 30 % loss in both
//! directions: every protocol still delivers every byte, checksum verified.
//!
//! The proxy is another package's binary: `cargo test --workspace` builds it;
//! with `cargo test -p rudp` alone, build it first (`cargo build -p lossy-link`)
//! or this test says it skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{lossy_link, receiver, verified_transfer};
use testkit::Server;

fn transfer_at_30_percent_loss(protocol: &str, window: &str, bytes: &str, seed: &str) {
    let Some(proxy) = lossy_link() else { return };
    let mut recv = receiver(&[]);
    let upstream = recv.address().to_string();
    let args =
        ["--loss", "30%", "--seed", seed, "--idle", "30s", "--quiet", "127.0.0.1:0", &upstream];
    let link = Server::start(proxy, args);
    // The same seed for the sender's ISN and data: the proxy sees the same bytes each run.
    let options = ["--protocol", protocol, "--window", window, "--seed", seed];
    let stats = verified_transfer(&mut recv, &link.address().to_string(), bytes, &options);
    assert!(!stats.contains("retransmissions 0,"), "30 % loss must cost retransmissions: {stats}");
}
#[test]
fn stop_and_wait_through_30_percent_loss() {
    transfer_at_30_percent_loss("sw", "1", "8000", "2");
}

#[test]
fn go_back_n_through_30_percent_loss() {
    transfer_at_30_percent_loss("gbn", "8", "20000", "4");
}

#[test]
fn selective_repeat_through_30_percent_loss() {
    transfer_at_30_percent_loss("sr", "64", "200000", "3");
}

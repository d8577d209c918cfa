//! The checks of every exercise, by chapter. They live here, in the course's
//! own tool, so a student's copy of the exercises cannot change them.
use crate::probe::Check;

mod concurrency;
mod failures;
mod file_transfer;
mod framing;
mod measuring;
mod sliding_windows;
mod stop_and_wait;
mod tcp_client;
mod tcp_server;
mod udp_client;
mod udp_server;

/// The checks of exercise `id` (none for an unknown id).
pub fn of(id: &str) -> &'static [Check] {
    let chapters = [
        tcp_server::of,
        tcp_client::of,
        udp_server::of,
        udp_client::of,
        failures::of,
        concurrency::of,
        framing::of,
        measuring::of,
        stop_and_wait::of,
        sliding_windows::of,
        file_transfer::of,
    ];
    chapters.iter().find_map(|of| of(id)).unwrap_or(&[])
}

//! Command-line helpers shared by `send-file` and `receive-file`: sizes,
//! timeouts, and the one-line summary of a transfer.
use std::time::Duration;

use anyhow::{Result, bail};

/// Buffer for content, allocated once per program: large enough that each
/// system call and each BLAKE3 update moves a lot, small enough to not matter.
pub const BUFFER_SIZE: usize = 1 << 20;

/// `4GiB`, `10M`, `512k`, `1048576`: binary units (k = 1024), case ignored,
/// an optional `iB` or `B` after the unit.
pub fn parse_size(text: &str) -> Result<u64> {
    let lower = text.trim().to_ascii_lowercase();
    let number = lower.trim_end_matches("ib").trim_end_matches('b');
    let (digits, shift) = match number.char_indices().last() {
        Some((at, 'k')) => (&number[..at], 10),
        Some((at, 'm')) => (&number[..at], 20),
        Some((at, 'g')) => (&number[..at], 30),
        Some((at, 't')) => (&number[..at], 40),
        _ if lower.ends_with("ib") => bail!("a unit is missing before \"iB\""),
        _ => (number, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        bail!("not a whole number with an optional unit");
    }
    let value: u64 = digits.parse()?;
    value.checked_mul(1u64 << shift).ok_or_else(|| anyhow::anyhow!("too large"))
}

/// Seconds as a socket timeout: whole milliseconds, from 1 ms to an hour
/// (a zero timeout would mean "wait forever" to the OS).
pub fn parse_timeout(text: &str) -> Result<Duration> {
    let seconds: f64 = text.parse()?;
    let millis = (seconds * 1000.0).round();
    if seconds.is_nan() || seconds <= 0.0 || millis < 1.0 {
        bail!("a timeout must be at least 0.001 s");
    } else if millis > 3_600_000.0 {
        bail!("longer than an hour");
    }
    Ok(Duration::from_millis(millis as u64)) // lossless: a whole number from 1 to 3 600 000
}

/// `10485760 bytes in 0.021 s (499.3 MB/s), blake3 9f86d0…`: MB are 10^6 bytes.
/// (`None`: `--no-verify`, no checksum was computed.)
pub fn summary(bytes: u64, elapsed: Duration, hash: Option<&blake3::Hash>) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 { bytes as f64 / seconds / 1e6 } else { f64::INFINITY };
    let checksum = hash.map_or("not verified (--no-verify)".to_string(), |hash| {
        format!("blake3 {}", hash.to_hex())
    });
    format!("{bytes} bytes in {seconds:.3} s ({rate:.1} MB/s), {checksum}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units() {
        for (text, value) in [
            ("0", 0),
            ("1048576", 1 << 20),
            ("512k", 512 << 10),
            ("10M", 10 << 20),
            ("10MB", 10 << 20),
            ("4GiB", 4 << 30),
            ("4g", 4 << 30),
            ("1T", 1 << 40),
            ("7B", 7),
        ] {
            assert_eq!(parse_size(text).unwrap(), value, "{text}");
        }
        for bad in ["", "k", "-1", "1.5M", "iB", "10 apples", "99999999999999999999", "16777216T"] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn timeouts_are_bounded() {
        assert_eq!(parse_timeout("0.5").unwrap(), Duration::from_millis(500));
        for bad in ["0", "-1", "0.0001", "NaN", "7200", "soon"] {
            assert!(parse_timeout(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn the_summary_has_bytes_time_rate_and_hash() {
        let hash = blake3::hash(b"");
        let line = summary(2_000_000, Duration::from_secs(2), Some(&hash));
        assert_eq!(line, format!("2000000 bytes in 2.000 s (1.0 MB/s), blake3 {}", hash.to_hex()));
    }
}

//! Sequence numbers that wrap: serial-number arithmetic (RFC 1982).
//!
//! A `u32` counts 4 294 967 296 segments, then starts again at 0. Plain `<`
//! breaks at that point: segment 0 comes *after* segment `u32::MAX`. Serial
//! arithmetic compares by the signed distance instead: `a` is before `b` when
//! going forward from `a` reaches `b` in less than half the circle. That is
//! right as long as the segments in play span less than 2³¹ numbers, which a
//! window of at most 65 535 segments guarantees.

// ANCHOR: before
/// The signed distance from `a` forward to `b`: positive when `b` is after `a`.
pub fn distance(a: u32, b: u32) -> i32 {
    b.wrapping_sub(a) as i32 // the cast reinterprets the bits: 2³¹ and up become negative
}

/// Whether `a` comes before `b`.
pub fn before(a: u32, b: u32) -> bool {
    distance(a, b) > 0
}
// ANCHOR_END: before

/// Whether `a` comes before `b` or is `b`.
pub fn before_or_at(a: u32, b: u32) -> bool {
    distance(a, b) >= 0
}

/// Whether `seq` lies in the window of `len` numbers starting at `start`.
pub fn in_window(seq: u32, start: u32, len: u32) -> bool {
    seq.wrapping_sub(start) < len
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wraps_around() {
        assert!(before(u32::MAX, 0));
        assert!(before(u32::MAX - 5, 3));
        assert!(!before(3, u32::MAX - 5));
        assert_eq!(distance(u32::MAX, 1), 2);
        assert_eq!(distance(1, u32::MAX), -2);
        assert!(before_or_at(7, 7) && !before(7, 7));
        assert!(in_window(1, u32::MAX, 3) && !in_window(2, u32::MAX, 3));
    }

    proptest! {
        #[test]
        fn forward_steps_are_after(a: u32, step in 1u32..(1 << 31)) {
            let b = a.wrapping_add(step);
            prop_assert!(before(a, b));
            prop_assert!(!before(b, a));
            prop_assert_eq!(i64::from(distance(a, b)), i64::from(step));
        }
    }
}

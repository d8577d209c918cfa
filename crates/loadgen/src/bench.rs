//! The benchmark behind `scripts/bench.sh`: start each server pinned to one
//! core, load it from another, repeat, keep medians, write the results.
pub fn placeholder() {}

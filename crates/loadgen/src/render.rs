//! The book's table and chart, from the benchmark's results.
pub fn placeholder() {}

//! `cargo lab`: the course's exercises, checked on the student's machine and
//! graded for a whole class on the teacher's.
//!
//! - [`catalog`] reads the exercises (`exercises/`), [`checks`] holds what each
//!   one is checked for, written with the helpers of [`probe`];
//! - [`engine`] builds a submission in a clean tree and runs the checks;
//! - [`student`] is what a student types, [`grade`] what a teacher runs.
pub mod bundle;
pub mod catalog;
pub mod checks;
pub mod classgen;
pub mod compile;
pub mod engine;
pub mod grade;
pub mod lang;
pub mod probe;
pub mod student;
pub mod verify;

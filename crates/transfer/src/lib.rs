//! One file, two transports: `send-file` and `receive-file` move a file over
//! TCP or over our reliable UDP (crate `rudp`), verified end to end.
//!
//! The library holds everything that can be decided without a socket, so
//! that it can be tested without one:
//!
//! - [`name`]: is a name from the network safe to create? (pure function)
//! - [`protocol`]: the header, the checksum trailer and the verdict on the wire;
//! - [`store`]: refuse before writing; temporary file, verify, sync, rename;
//! - [`transport`]: the same transfer over any transport, and the seam
//!   ([`transport::SendSide`], [`transport::ReceiveSide`]) each one fills in:
//!   [`tcp`] and [`udp`] (over our reliable UDP, crate `rudp`).
//!
//! Why a checksum on top of TCP, which already checks every segment? TCP's
//! 16-bit checksum misses about one damaged segment in 65 536 that a buggy
//! NIC, router or memory produces, and nothing checks what happens between
//! the socket and the disk. A hash computed on the sender's file and
//! compared after the receiver's write covers the whole path.
pub mod cli;
pub mod name;
pub mod protocol;
pub mod store;
pub mod tcp;
pub mod transport;
pub mod udp;

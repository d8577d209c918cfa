//! The batching rung: many datagrams per system call (`send --gso`,
//! `receive --gro`).
//!
//! [`crate::blast`] pays one system call per datagram, and at 1472 bytes a
//! system call costs more than copying the datagram. Linux (4.18 and later)
//! lets a program hand the kernel a run of equal-size datagrams in **one**
//! `sendmsg`: that is UDP GSO (generic segmentation offload; the `UDP_SEGMENT`
//! control message says where to cut). A receiving socket with `UDP_GRO` on
//! gets such a run back in **one** buffer (generic receive offload) with the
//! size of each datagram in it, the *stride*; and `recvmmsg` fills several
//! buffers per call. On loopback the run is never cut up at all: the kernel
//! passes the whole batch from the sending socket to the receiving one.
//!
//! std has none of these calls, and calling them ourselves would need
//! `unsafe`; the `quinn-udp` crate wraps them: [`UdpSocketState::max_gso_segments`]
//! says how many datagrams one send may carry, [`UdpSocketState::gro_segments`]
//! how many one received buffer may hold. Where the OS lacks them (macOS,
//! the BSDs, Linux before 4.18; Windows' receive side by quinn-udp's choice)
//! they are 1, and the same code sends and receives one datagram per call,
//! and says so ([`Offload::send_note`], [`Offload::receive_note`]).
//!
//! What GSO does not change: every datagram on the wire is still a separate
//! UDP datagram with its own header. A receiver without GRO sees ordinary
//! datagrams; the batching is between a program and its own kernel.
use std::io::{self, ErrorKind, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use quinn_udp::{BATCH_SIZE, RecvMeta, Transmit, UdpSockRef, UdpSocketState};

use crate::blast::{ENOBUFS, Patience, Plan, Received, Sent, Stop};
use crate::wire::{self, Datagram, ETHERNET_PAYLOAD, MAX_SIZE};

/// What the OS offers a socket, as quinn-udp found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offload {
    /// Datagrams one GSO send may carry (1: no GSO).
    pub gso_segments: usize,
    /// Datagrams one received buffer may hold (1: no GRO).
    pub gro_segments: usize,
    /// Buffers one receive call fills (`recvmmsg`: 32 on Linux; 1 elsewhere).
    pub buffers_per_call: usize,
}

impl Offload {
    /// Asks quinn-udp what `socket` can do. This also switches the socket to
    /// quinn-udp's settings: non-blocking, and on Linux `UDP_GRO` on (from
    /// then on, every receive must split what arrives by its stride).
    pub fn probe(socket: &UdpSocket) -> io::Result<(UdpSocketState, Self)> {
        let state = UdpSocketState::new(UdpSockRef::from(socket))?;
        let offload = Self {
            gso_segments: state.max_gso_segments(),
            gro_segments: gro_segments(&state),
            buffers_per_call: BATCH_SIZE,
        };
        Ok((state, offload))
    }

    /// How many datagrams of `size` bytes one GSO send carries: no more than
    /// the OS allows, and no more than fit in one 65 507-byte UDP payload,
    /// since the kernel builds the whole run as one (oversized) datagram first.
    pub fn per_send(&self, size: usize) -> usize {
        self.gso_segments.min(MAX_SIZE / size.max(1)).max(1)
    }

    /// One line for the sender's output.
    pub fn send_note(&self, size: usize) -> String {
        if self.gso_segments <= 1 {
            return "GSO: not available on this system, one datagram per call".into();
        }
        format!(
            "GSO: up to {} datagrams of {size} bytes per call (the OS allows {}, one call \
             carries at most {MAX_SIZE} bytes)",
            self.per_send(size),
            self.gso_segments
        )
    }

    /// One line for the receiver's output.
    pub fn receive_note(&self) -> String {
        let buffers = match self.buffers_per_call {
            1 => "one buffer per call".to_string(),
            many => format!("up to {many} buffers per call (recvmmsg)"),
        };
        if self.gro_segments <= 1 {
            let why = if cfg!(windows) {
                "off on Windows (quinn-udp leaves URO disabled by default)"
            } else {
                "not available on this system"
            };
            format!("GRO: {why}, one datagram per buffer, {buffers}")
        } else {
            format!("GRO: up to {} datagrams per buffer, {buffers}", self.gro_segments)
        }
    }
}

/// quinn-udp reports 64 on Windows although it leaves receive coalescing
/// (URO) switched off there: we count what really happens.
fn gro_segments(state: &UdpSocketState) -> usize {
    if cfg!(windows) { 1 } else { state.gro_segments() }
}

// ANCHOR: gso_sender
/// Like [`crate::blast::send`], but runs of numbered datagrams go to the OS
/// in one GSO call each: the datagrams are laid out back to back in one
/// buffer, and `segment_size` tells the kernel where to cut.
pub fn send(
    socket: &UdpSocket,
    to: SocketAddr,
    state: &UdpSocketState,
    plan: &Plan,
) -> io::Result<Sent> {
    let offload =
        Offload { gso_segments: state.max_gso_segments(), gro_segments: 1, buffers_per_call: 1 };
    let mut per_send = offload.per_send(plan.size);
    let mut batch = vec![0u8; per_send * plan.size];
    let mut sent = Sent::default();
    let start = Instant::now();
    let mut refused_since = None;
    while plan.count.is_none_or(|count| sent.datagrams < count) {
        if plan.duration.is_some_and(|limit| start.elapsed() >= limit) {
            break;
        }
        if let Some(rate) = plan.rate {
            let due = start + Duration::from_secs_f64(sent.datagrams as f64 / rate);
            thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        let left = plan.count.map_or(u64::MAX, |count| count - sent.datagrams);
        let run = per_send.min(usize::try_from(left).unwrap_or(usize::MAX));
        let contents = &mut batch[..run * plan.size];
        for (index, datagram) in contents.chunks_exact_mut(plan.size).enumerate() {
            wire::write_data(datagram, sent.datagrams + index as u64);
        }
        let transmit = Transmit {
            destination: to,
            ecn: None,
            contents,
            // `None` for a single datagram: some drivers refuse a GSO of one.
            segment_size: (run > 1).then_some(plan.size),
            src_ip: None,
        };
        match state.try_send(UdpSockRef::from(socket), &transmit) {
            Ok(()) => {
                sent.datagrams += run as u64;
                sent.bytes += (run * plan.size) as u64;
                sent.calls += 1;
                refused_since = None;
            }
            // A device without GSO makes quinn-udp lower its maximum to 1:
            // send the same datagrams again, one per call from now on.
            Err(_) if state.max_gso_segments() < per_send => {
                per_send = state.max_gso_segments().max(1);
                sent.fell_back = true;
            }
            Err(error)
                if error.raw_os_error() == Some(ENOBUFS)
                    || error.kind() == ErrorKind::WouldBlock =>
            {
                let since = *refused_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(1) {
                    return Err(error);
                }
                sent.retries += 1;
                thread::yield_now();
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    sent.elapsed = start.elapsed();
    Ok(sent)
}
// ANCHOR_END: gso_sender

/// Where received batches land: `slots` buffers, each big enough for a
/// whole GRO batch, and the metadata quinn-udp fills in for each.
#[derive(Debug)]
struct Buffers {
    storage: Vec<u8>,
    slot: usize,
    meta: Vec<RecvMeta>,
}

impl Buffers {
    fn new(offload: &Offload) -> Self {
        // quinn-udp's advice: room for `gro_segments` datagrams per buffer;
        // and never less than the largest UDP datagram.
        let slot = (offload.gro_segments * ETHERNET_PAYLOAD).max(65_536);
        let slots = offload.buffers_per_call.clamp(1, BATCH_SIZE); // quinn-udp fills no more
        Self { storage: vec![0; slot * slots], slot, meta: vec![RecvMeta::default(); slots] }
    }

    /// One receive call into the first `slots` buffers: how many it filled.
    fn receive(
        &mut self,
        socket: &UdpSocket,
        state: &UdpSocketState,
        slots: usize,
    ) -> io::Result<usize> {
        // On the stack, not in a Vec: a receive call allocates nothing.
        let mut chunks = self.storage.chunks_mut(self.slot);
        let mut bufs: [IoSliceMut<'_>; BATCH_SIZE] =
            std::array::from_fn(|_| IoSliceMut::new(chunks.next().unwrap_or_default()));
        let slots = slots.min(self.meta.len());
        state.recv(UdpSockRef::from(socket), &mut bufs[..slots], &mut self.meta[..slots])
    }

    /// The datagrams in buffer `index`: its bytes cut every `stride` bytes
    /// (the last one may be shorter).
    fn datagrams(&self, index: usize) -> impl Iterator<Item = &[u8]> {
        let meta = &self.meta[index];
        let start = index * self.slot;
        self.storage[start..start + meta.len.min(self.slot)].chunks(meta.stride.max(1))
    }
}

// ANCHOR: gro_receiver
/// Like [`crate::blast::receive`], but each call takes whole batches: it
/// blocks for the first buffer, then, without blocking, takes every buffer
/// already waiting (`recvmmsg`), each split into its datagrams by the stride.
pub fn receive(
    socket: &UdpSocket,
    state: &UdpSocketState,
    offload: &Offload,
    count: Option<u64>,
    patience: Patience,
) -> io::Result<Received> {
    let mut buffers = Buffers::new(offload);
    let mut received = Received::default();
    let (mut first, mut last) = (None, None);
    let mut blocking = true;
    socket.set_nonblocking(false)?;
    socket.set_read_timeout(patience.first)?;
    let stop = 'receiving: loop {
        let slots = if blocking { 1 } else { offload.buffers_per_call };
        let filled = match buffers.receive(socket, state, slots) {
            Ok(filled) => filled,
            // Nothing more waiting: block again for the next batch.
            Err(error) if !blocking && error.kind() == ErrorKind::WouldBlock => {
                socket.set_nonblocking(false)?;
                blocking = true;
                continue;
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break if first.is_none() { Stop::Nothing } else { Stop::Idle };
            }
            Err(error)
                if matches!(error.kind(), ErrorKind::ConnectionReset | ErrorKind::Interrupted) =>
            {
                continue;
            }
            Err(error) => return Err(error),
        };
        received.calls += 1;
        if blocking {
            socket.set_nonblocking(true)?; // take what else is waiting, without waiting
            blocking = false;
        }
        for index in 0..filled {
            for datagram in buffers.datagrams(index) {
                match wire::decode(datagram) {
                    Datagram::Data(seq) => {
                        let now = Instant::now();
                        if first.is_none() {
                            first = Some(now);
                            socket.set_read_timeout(Some(patience.idle))?;
                        }
                        last = Some(now);
                        received.tally.record(seq, datagram.len());
                        if count.is_some_and(|count| received.tally.distinct >= count) {
                            break 'receiving Stop::Count;
                        }
                    }
                    Datagram::End { sent } => {
                        received.sent = Some(sent);
                        break 'receiving Stop::End;
                    }
                    Datagram::Foreign => received.tally.foreign += 1,
                }
            }
        }
    };
    if let (Some(first), Some(last)) = (first, last) {
        received.elapsed = last - first;
    }
    received.stop = Some(stop);
    Ok(received)
}
// ANCHOR_END: gro_receiver

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_fits_in_one_udp_payload() {
        let gso = Offload { gso_segments: 64, gro_segments: 64, buffers_per_call: 32 };
        assert_eq!(gso.per_send(1472), 44, "44 × 1472 = 64 768 ≤ 65 507");
        assert_eq!(gso.per_send(100), 64, "the OS's maximum");
        assert_eq!(gso.per_send(65_507), 1);
        assert!(gso.send_note(1472).starts_with("GSO: up to 44 datagrams of 1472 bytes"));
        assert!(gso.receive_note().contains("up to 32 buffers per call (recvmmsg)"));
        let none = Offload { gso_segments: 1, gro_segments: 1, buffers_per_call: 1 };
        assert_eq!(none.per_send(100), 1);
        assert_eq!(none.send_note(100), "GSO: not available on this system, one datagram per call");
        assert!(none.receive_note().contains("one datagram per buffer, one buffer per call"));
    }
}

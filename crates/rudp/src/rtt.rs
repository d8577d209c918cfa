//! The retransmission timeout, estimated from measured round trips (RFC 6298).
//!
//! Wait too little and we resend segments that were only slow; wait too long
//! and a lost segment stalls the transfer. RFC 6298 keeps two averages of the
//! measured round-trip times (RTT): SRTT, the smoothed RTT, and RTTVAR, how
//! much the samples vary, and sets `RTO = SRTT + 4 × RTTVAR` (the timeout is
//! long enough for nearly every sample, even in a jittery network).
//!
//! Two more rules belong with it:
//! - **Back-off**: after a timeout, the RTO doubles (up to a maximum), so a
//!   sender does not hammer a congested path.
//! - **Karn's rule**: a segment that was sent twice gives no sample, because
//!   its ACK may answer either copy. The senders apply it: they only call
//!   [`RttEstimator::sample`] for segments sent once.
use std::time::Duration;

/// RFC 6298's clock granularity `G`: the RTO is at least SRTT + G.
const GRANULARITY: Duration = Duration::from_millis(1);

// ANCHOR: estimator
/// SRTT, RTTVAR and the RTO they give.
#[derive(Clone, Debug)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    min_rto: Duration,
    max_rto: Duration,
}
// ANCHOR_END: estimator

impl RttEstimator {
    /// An estimator before any sample: the RTO is `initial_rto` (RFC 6298
    /// says 1 s), kept between `min_rto` and `max_rto`.
    pub fn new(initial_rto: Duration, min_rto: Duration, max_rto: Duration) -> Self {
        let rto = initial_rto.clamp(min_rto, max_rto.max(min_rto));
        Self { srtt: None, rttvar: Duration::ZERO, rto, min_rto, max_rto: max_rto.max(min_rto) }
    }

    // ANCHOR: sample
    /// Takes one round-trip measurement (RFC 6298 section 2).
    pub fn sample(&mut self, rtt: Duration) {
        match self.srtt {
            // (2.2) the first sample: SRTT = R, RTTVAR = R / 2
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            // (2.3) later ones: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|,
            //                   SRTT   = 7/8 SRTT   + 1/8 R   (RTTVAR first: it uses the old SRTT)
            Some(srtt) => {
                let error = srtt.abs_diff(rtt);
                self.rttvar = (self.rttvar * 3 + error) / 4;
                self.srtt = Some((srtt * 7 + rtt) / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(rtt);
        // RTO = SRTT + max(G, 4 × RTTVAR), then (2.4) and (2.5): clamp it.
        let rto = srtt + (self.rttvar * 4).max(GRANULARITY);
        self.rto = rto.clamp(self.min_rto, self.max_rto);
    }
    // ANCHOR_END: sample

    // ANCHOR: back_off
    /// A retransmission timer expired (RFC 6298 5.5): double the RTO, up to
    /// the maximum. The doubled value stays until the next valid sample.
    pub fn back_off(&mut self) {
        self.rto = (self.rto * 2).min(self.max_rto);
    }
    // ANCHOR_END: back_off

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// The smoothed round-trip time, once there has been a sample.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// The round-trip variation.
    pub fn rttvar(&self) -> Duration {
        self.rttvar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn estimator() -> RttEstimator {
        RttEstimator::new(ms(1000), ms(1), ms(60_000))
    }

    #[test]
    fn before_any_sample_the_rto_is_the_initial_one() {
        assert_eq!(estimator().rto(), ms(1000));
        assert_eq!(estimator().srtt(), None);
    }

    #[test]
    fn first_sample_sets_srtt_and_half_of_it_as_rttvar() {
        let mut rtt = estimator();
        rtt.sample(ms(100));
        assert_eq!(rtt.srtt(), Some(ms(100)));
        assert_eq!(rtt.rttvar(), ms(50));
        assert_eq!(rtt.rto(), ms(300)); // 100 + 4 × 50
    }

    #[test]
    fn later_samples_use_gains_one_eighth_and_one_quarter() {
        let mut rtt = estimator();
        rtt.sample(ms(100));
        rtt.sample(ms(200));
        // RTTVAR = 3/4 × 50 + 1/4 × |100 - 200| = 62.5; SRTT = 7/8 × 100 + 1/8 × 200 = 112.5
        assert_eq!(rtt.rttvar(), Duration::from_micros(62_500));
        assert_eq!(rtt.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(rtt.rto(), Duration::from_micros(362_500));
    }

    #[test]
    fn steady_samples_converge_to_the_rtt_plus_granularity() {
        let mut rtt = estimator();
        for _ in 0..200 {
            rtt.sample(ms(40));
        }
        assert_eq!(rtt.srtt(), Some(ms(40)));
        assert!(rtt.rto() >= ms(40) + GRANULARITY && rtt.rto() < ms(42), "{:?}", rtt.rto());
    }

    #[test]
    fn min_and_max_clamp_the_rto() {
        let mut rtt = RttEstimator::new(ms(1000), ms(200), ms(2000));
        rtt.sample(ms(1));
        assert_eq!(rtt.rto(), ms(200));
        rtt.sample(ms(10_000));
        assert_eq!(rtt.rto(), ms(2000));
    }

    #[test]
    fn back_off_doubles_up_to_the_maximum_and_a_sample_resets_it() {
        let mut rtt = RttEstimator::new(ms(1000), ms(200), ms(5000));
        rtt.back_off();
        assert_eq!(rtt.rto(), ms(2000));
        rtt.back_off();
        rtt.back_off();
        assert_eq!(rtt.rto(), ms(5000));
        rtt.sample(ms(100));
        assert_eq!(rtt.rto(), ms(300));
    }
}

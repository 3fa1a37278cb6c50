//! How long background work waits after a failed try (webhook deliveries, refunds): 1 s, 2 s,
//! 4 s … at most 10 minutes.

use chrono::Duration;

/// Longest wait between two tries.
pub const MAX_BACKOFF: Duration = Duration::minutes(10);

/// The wait after `attempts` failed tries: 2^(attempts-1) seconds, at most [`MAX_BACKOFF`].
pub fn backoff(attempts: u32) -> Duration {
    let secs = 1i64.checked_shl(attempts.saturating_sub(1).min(20)).unwrap_or(i64::MAX);
    Duration::seconds(secs).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_and_stops_at_ten_minutes() {
        let waits: Vec<i64> = (1..=12).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}

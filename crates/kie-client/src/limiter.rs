//! A sliding-window rate limiter shared by every caller of one client: at most `max` starts in
//! any window. Callers queue on a fair (FIFO) async mutex and wait their turn, so a burst of
//! work is spread out instead of being answered with 429s.
//!
//! Why not `governor`: its GCRA allows a full burst *plus* the steady rate inside one window
//! (up to 2× the limit in Kie's 10-second window), or, with a burst of 1, spaces every request
//! evenly and delays the first twenty creates by up to 10 s. Kie's rule is a count per window,
//! which a log of the last `max` start times expresses exactly.
//!
//! Must never hold a time-out: callers that give up simply drop their future (the queue
//! position is released with the mutex guard).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::RateLimit;

/// At most `max` acquisitions in any `window + margin` — this instance's share of the key's
/// limit when several instances use one key ([`WindowLimiter::set_share`]).
#[derive(Debug)]
pub struct WindowLimiter {
    limit: usize,
    max: AtomicUsize,
    window: Duration,
    starts: Mutex<VecDeque<Instant>>,
}

impl WindowLimiter {
    /// A limiter for `limit`.
    pub fn new(limit: RateLimit) -> WindowLimiter {
        WindowLimiter {
            limit: limit.max.max(1) as usize,
            max: AtomicUsize::new(limit.max.max(1) as usize),
            window: limit.window + limit.margin,
            starts: Mutex::new(VecDeque::new()),
        }
    }

    /// Takes `1 / instances` of the limit (rounded down, at least one per window): with every
    /// instance doing the same, the key as a whole stays within it.
    pub fn set_share(&self, instances: usize) {
        let share = (self.limit / instances.max(1)).max(1);
        self.max.store(share, Ordering::Relaxed);
    }

    /// This instance's current share: at most this many per window.
    pub fn share(&self) -> usize {
        self.max.load(Ordering::Relaxed)
    }

    /// Waits until one more request fits, then counts it. Returns how long it waited.
    pub async fn acquire(&self) -> Duration {
        let asked = Instant::now();
        // tokio's Mutex is fair: waiters get the lock in the order they asked for it, and the
        // holder sleeps with it, so the queue moves strictly in order.
        let mut starts = self.starts.lock().await;
        loop {
            let now = Instant::now();
            while starts
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window)
            {
                starts.pop_front();
            }
            let max = self.max.load(Ordering::Relaxed);
            while starts.len() > max {
                starts.pop_front(); // the share shrank: the oldest no longer matter more
            }
            if starts.len() < max {
                starts.push_back(now);
                return now.duration_since(asked);
            }
            let oldest = *starts.front().expect("full window is not empty");
            tokio::time::sleep_until(oldest + self.window).await;
        }
    }

    /// Pushes the window forward after Kie answered 429 anyway (its clock and ours disagree):
    /// nothing more starts for `pause`.
    pub async fn penalise(&self, pause: Duration) {
        let mut starts = self.starts.lock().await;
        // A start stamped `window` before `until` blocks the window until `until`; with the log
        // full of them, nothing starts before then.
        let until = Instant::now() + pause;
        let stamp = until.checked_sub(self.window).unwrap_or_else(Instant::now);
        starts.clear();
        starts.extend(std::iter::repeat_n(stamp, self.max.load(Ordering::Relaxed)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn three_instances_take_a_third_each() {
        let limiter = WindowLimiter::new(RateLimit {
            max: 20,
            window: Duration::from_secs(10),
            margin: Duration::ZERO,
        });
        limiter.set_share(3);
        assert_eq!(limiter.share(), 6);
        let begin = Instant::now();
        for _ in 0..6 {
            limiter.acquire().await;
        }
        assert_eq!(Instant::now(), begin, "the share goes at once");
        limiter.acquire().await;
        assert_eq!(
            Instant::now() - begin,
            Duration::from_secs(10),
            "the seventh waits a window"
        );
        limiter.set_share(100);
        assert_eq!(limiter.share(), 1, "never below one per window");
        limiter.set_share(1);
        assert_eq!(limiter.share(), 20);
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_max_in_any_window() {
        let limiter = std::sync::Arc::new(WindowLimiter::new(RateLimit {
            max: 5,
            window: Duration::from_secs(10),
            margin: Duration::ZERO,
        }));
        let begin = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..17 {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move {
                l.acquire().await;
                Instant::now().duration_since(begin)
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort();
        for w in times.windows(6) {
            assert!(w[5] - w[0] >= Duration::from_secs(10), "{times:?}");
        }
        // And it does not wait longer than it must: 17 starts need 3 full windows.
        assert_eq!(times[16], Duration::from_secs(30));
        assert_eq!(times[4], Duration::ZERO);
    }
}

//! Failed sign-ins counted per account and per client address over a sliding window. Past the
//! limit, sign-ins are refused (even with the right password) until the oldest failure leaves
//! the window. Memory is bounded: at most `MAX_KEYS` accounts and addresses are tracked, and
//! when that many are, new ones are refused until some expire.

use std::collections::{HashMap, VecDeque};

/// The window, in seconds.
pub const WINDOW: i64 = 15 * 60;
const MAX_KEYS: usize = 100_000;

pub struct Limiter {
    per_account: u32,
    per_address: u32,
    failures: HashMap<String, VecDeque<i64>>,
}

impl Limiter {
    pub fn new(per_account: u32, per_address: u32) -> Limiter {
        Limiter {
            per_account,
            per_address,
            failures: HashMap::new(),
        }
    }

    fn keys(account: &str, address: &str) -> [String; 2] {
        [format!("a:{account}"), format!("i:{address}")]
    }

    fn forget_old(&mut self, now: i64) {
        for times in self.failures.values_mut() {
            while times.front().is_some_and(|&t| t <= now - WINDOW) {
                times.pop_front();
            }
        }
        self.failures.retain(|_, times| !times.is_empty());
    }

    /// `Err(seconds)`: refused; the next attempt may come after that many seconds.
    pub fn check(&mut self, account: &str, address: &str, now: i64) -> Result<(), i64> {
        self.forget_old(now);
        let [by_account, by_address] = Self::keys(account, address);
        let mut wait = 0;
        for (key, limit) in [
            (by_account, self.per_account),
            (by_address, self.per_address),
        ] {
            if let Some(times) = self.failures.get(&key) {
                if times.len() >= limit as usize {
                    let oldest = times[times.len() - limit as usize];
                    wait = wait.max(oldest + WINDOW - now);
                }
            }
        }
        if wait == 0 && self.failures.len() + 2 > MAX_KEYS {
            wait = WINDOW;
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn failed(&mut self, account: &str, address: &str, now: i64) {
        for key in Self::keys(account, address) {
            self.failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn succeeded(&mut self, account: &str) {
        self.failures.remove(&format!("a:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_its_limit_until_the_window_passes() {
        let mut l = Limiter::new(3, 100);
        for i in 0..3 {
            assert_eq!(l.check("anna", "10.0.0.1", 1000 + i), Ok(()));
            l.failed("anna", "10.0.0.1", 1000 + i);
        }
        assert_eq!(l.check("anna", "10.0.0.2", 1010), Err(WINDOW - 10));
        assert_eq!(l.check("bertil", "10.0.0.1", 1010), Ok(()));
        assert_eq!(l.check("anna", "10.0.0.2", 1000 + WINDOW), Ok(()));
    }

    #[test]
    fn an_address_is_locked_whatever_the_account() {
        let mut l = Limiter::new(100, 2);
        l.failed("a", "10.0.0.9", 5);
        l.failed("b", "10.0.0.9", 6);
        assert!(l.check("c", "10.0.0.9", 7).is_err());
        assert!(l.check("c", "10.0.0.8", 7).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let mut l = Limiter::new(2, 100);
        l.failed("a", "x", 1);
        l.failed("a", "x", 2);
        assert!(l.check("a", "x", 3).is_err());
        l.succeeded("a");
        assert!(l.check("a", "x", 3).is_ok());
    }
}

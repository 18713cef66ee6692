//! Back-off for failed sign-ins, by account and by network address, shared by every instance through the
//! database.
//!
//! A guessed password costs the guesser one argon2id hash of ours, so guessing is slow already; this makes
//! it slower still where it is aimed. An email address may fail [`ACCOUNT_FREE_FAILURES`] times; after that
//! each further failure shuts it for twice as long as the last (one second, two, four, … at most
//! [`LONGEST_BLOCK`]). A network address is given [`ADDRESS_FREE_FAILURES`] (an office behind one address
//! signs in many people) and then the same doubling. While an email or address is shut, a sign-in is
//! refused before its password is checked, with 429 and `Retry-After`. Failures are forgotten
//! [`FORGET_AFTER`] after the last, and a successful sign-in forgets the account's.
//!
//! An unknown email address is counted exactly as a known one, so the answers never tell whether an email
//! is registered. The table holds keyed hashes of the email and the address, never either of them.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use projections::{Db, on_pool};

use crate::accounts::{self, Account};

/// Failures of one email address before the back-off starts.
pub const ACCOUNT_FREE_FAILURES: i64 = 5;
/// Failures from one network address before the back-off starts.
pub const ADDRESS_FREE_FAILURES: i64 = 50;
/// The longest an email or address is shut at a time.
pub const LONGEST_BLOCK: Duration = Duration::minutes(15);
/// How long after the last failure the failures are forgotten.
pub const FORGET_AFTER: Duration = Duration::hours(1);

/// The outcome of a sign-in.
#[derive(Debug)]
pub enum SignIn {
    Accepted(Account),
    Refused,
    /// Shut for this many more seconds: nothing was checked.
    Blocked {
        retry_after: u64,
    },
}

/// "1 second", "5 seconds".
pub fn seconds(n: u64) -> String {
    if n == 1 {
        "1 second".to_string()
    } else {
        format!("{n} seconds")
    }
}

/// Keys the hashes of emails and addresses with a secret of this installation, so that the table cannot be
/// matched against a list of addresses.
#[derive(Clone)]
pub struct Throttle {
    key: [u8; 32],
}

impl Throttle {
    pub fn new(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"etp sign-in throttle\0");
        hasher.update(secret);
        Self {
            key: hasher.finalize().into(),
        }
    }

    fn hashed(&self, kind: &str, value: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.key);
        hasher.update(kind.as_bytes());
        hasher.update(b"\0");
        hasher.update(value.as_bytes());
        format!("{kind}:{}", hex::encode(hasher.finalize()))
    }

    fn keys(&self, email: &str, address: Option<IpAddr>) -> (String, Option<String>) {
        let email = projections::db::clean_text(email).trim().to_lowercase();
        (
            self.hashed("account", &email),
            address.map(|address| self.hashed("address", &network_of(address))),
        )
    }

    /// Signs in, unless the email or the address is shut; counts a failure against both.
    pub async fn sign_in(
        &self,
        db: &Db,
        email: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<SignIn, sqlx::Error> {
        let (account_key, address_key) = self.keys(email, address);
        let now = Utc::now();
        let mut shut_until = blocked_until(db, &account_key).await?;
        if let Some(key) = &address_key {
            shut_until = shut_until.max(blocked_until(db, key).await?);
        }
        if let Some(until) = shut_until.filter(|until| *until > now) {
            let seconds = (until - now).num_milliseconds().max(0) as u64;
            return Ok(SignIn::Blocked {
                retry_after: seconds.div_ceil(1000).max(1),
            });
        }
        match accounts::sign_in(db, email, password).await? {
            Some(account) => {
                forget(db, &account_key).await?;
                Ok(SignIn::Accepted(account))
            }
            None => {
                // The block runs from the answer, not from the start of the (slow) password check.
                let now = Utc::now();
                fail(db, &account_key, ACCOUNT_FREE_FAILURES, now).await?;
                if let Some(key) = &address_key {
                    fail(db, key, ADDRESS_FREE_FAILURES, now).await?;
                }
                Ok(SignIn::Refused)
            }
        }
    }
}

/// The part of an address that names its network: the whole IPv4 address, the /64 of an IPv6 one (one
/// household or host is given a /64 to choose from).
fn network_of(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// How long a key is shut after its `failures`-th failure in a row, given the failures it is allowed.
pub fn block_after(failures: i64, free: i64) -> Duration {
    if failures <= free {
        return Duration::zero();
    }
    let doublings = (failures - free - 1).min(20) as u32;
    Duration::seconds(1i64 << doublings).min(LONGEST_BLOCK)
}

async fn blocked_until(db: &Db, key: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    const SQL: &str = "SELECT blocked_until FROM sign_in_failures WHERE key = $1";
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(key).fetch_optional(p).await)
}

async fn fail(db: &Db, key: &str, free: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    // One statement counts the failure (from one again once the last is forgotten), so failures sent at
    // once from many connections are all counted.
    const COUNT: &str = "INSERT INTO sign_in_failures (key, failures, last_failure_at, blocked_until) \
                         VALUES ($1, 1, $2, $2) \
                         ON CONFLICT (key) DO UPDATE SET \
                         failures = CASE WHEN sign_in_failures.last_failure_at < $3 THEN 1 \
                                         ELSE sign_in_failures.failures + 1 END, \
                         last_failure_at = $2 \
                         RETURNING failures";
    const BLOCK: &str = "UPDATE sign_in_failures SET blocked_until = $1 WHERE key = $2";
    let forgotten_before = now - FORGET_AFTER;
    let failures: i64 = on_pool!(db, p => sqlx::query_scalar(COUNT)
        .bind(key).bind(now).bind(forgotten_before).fetch_one(p).await?);
    let block = block_after(failures, free);
    if block > Duration::zero() {
        on_pool!(db, p => sqlx::query(BLOCK).bind(now + block).bind(key).execute(p).await?.rows_affected());
    }
    Ok(())
}

async fn forget(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, p => sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
        .bind(key).execute(p).await?.rows_affected());
    Ok(())
}

/// Forgets failures no longer counted.
pub async fn sweep(db: &Db) -> Result<u64, sqlx::Error> {
    const SQL: &str =
        "DELETE FROM sign_in_failures WHERE last_failure_at < $1 AND blocked_until < $2";
    let now = Utc::now();
    on_pool!(db, p => sqlx::query(SQL).bind(now - FORGET_AFTER).bind(now)
        .execute(p).await.map(|done| done.rows_affected()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_starts_after_the_free_failures_and_doubles_up_to_its_cap() {
        assert_eq!(block_after(5, 5), Duration::zero());
        assert_eq!(block_after(6, 5), Duration::seconds(1));
        assert_eq!(block_after(7, 5), Duration::seconds(2));
        assert_eq!(block_after(10, 5), Duration::seconds(16));
        assert_eq!(block_after(30, 5), LONGEST_BLOCK);
        assert_eq!(block_after(i64::MAX, 5), LONGEST_BLOCK);
    }

    #[test]
    fn addresses_of_one_network_count_together_and_keys_hide_what_they_count() {
        let v6a: IpAddr = "2001:db8:1:2::10".parse().expect("address");
        let v6b: IpAddr = "2001:db8:1:2:ffff::1".parse().expect("address");
        assert_eq!(network_of(v6a), network_of(v6b));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("address");
        assert_eq!(network_of(mapped), "192.0.2.7");
        let throttle = Throttle::new(b"a secret of at least thirty-two bytes");
        let (account, address) = throttle.keys("Someone@Example.test", Some(mapped));
        assert_eq!(account, throttle.keys(" someone@example.test", None).0);
        assert!(!account.contains("example"));
        assert!(!address.expect("an address key").contains("192"));
        let other = Throttle::new(b"another secret of thirty-two bytes!!");
        assert_ne!(other.keys("someone@example.test", None).0, account);
    }
}

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
//! An attempt is counted before its password is checked, in one transaction that holds the key's row
//! (`attempt`), and the attempt that goes past the free ones shuts the key there and then: attempts sent at
//! once are counted one after another, so of forty guesses sent together at most the free ones and one
//! more have their password checked, and the others are answered 429. A password change is counted the
//! same way (by account and address), and registrations by address (`registrations_per_address`).
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
pub use crate::config::REGISTRATIONS_PER_ADDRESS;

/// The outcome of a sign-in.
#[derive(Debug)]
pub enum SignIn {
    Accepted(Account),
    Refused,
    /// Shut for this many more seconds: nothing was checked.
    Blocked {
        retry_after: u64,
    },
    /// The password threads had no room to check it: try again shortly (the attempt is given back).
    Busy,
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
    /// Registrations allowed from one network address before the back-off starts.
    pub registrations_per_address: i64,
}

impl Throttle {
    pub fn new(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"etp sign-in throttle\0");
        hasher.update(secret);
        Self {
            key: hasher.finalize().into(),
            registrations_per_address: REGISTRATIONS_PER_ADDRESS,
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
        let email = accounts::normalise_email(email)
            .unwrap_or_else(|_| projections::db::clean_text(email).trim().to_lowercase());
        (
            self.hashed("account", &email),
            address.map(|address| self.hashed("address", &network_of(address))),
        )
    }

    /// Signs in, unless the email or the address is shut. The attempt is counted against both before the
    /// password is checked, in one transaction that holds their rows, so attempts sent at once are counted
    /// in turn: of a burst, at most the free ones and one more are checked, the rest are refused with 429.
    /// A success forgets the account's count and gives the address its attempt back.
    pub async fn sign_in(
        &self,
        db: &Db,
        email: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<SignIn, sqlx::Error> {
        let (account_key, address_key) = self.keys(email, address);
        let mut limits = vec![(account_key.as_str(), ACCOUNT_FREE_FAILURES)];
        if let Some(key) = &address_key {
            limits.push((key.as_str(), ADDRESS_FREE_FAILURES));
        }
        let taken = match attempt(db, &limits).await? {
            Attempt::Blocked { retry_after } => return Ok(SignIn::Blocked { retry_after }),
            Attempt::Counted(taken) => taken,
        };
        match accounts::sign_in(db, email, password).await? {
            Ok(Some(account)) => {
                forget(db, &account_key).await?;
                if let Some(key) = &address_key
                    && let Some(before) = taken.iter().find(|taken| &taken.key == key)
                {
                    give_back(db, before).await?;
                }
                Ok(SignIn::Accepted(account))
            }
            Ok(None) => Ok(SignIn::Refused),
            Err(crate::auth::Busy) => {
                for before in &taken {
                    give_back(db, before).await?;
                }
                Ok(SignIn::Busy)
            }
        }
    }

    /// Counts one attempt at something a guesser or a flood could repeat (a password change, a
    /// registration) against each `(kind, value, free)`: `free` attempts of each in [`FORGET_AFTER`], then
    /// the doubling back-off. A [`Permit`] when it may go ahead, or the seconds to wait.
    pub async fn limit(
        &self,
        db: &Db,
        counts: &[(&str, &str, i64)],
    ) -> Result<Result<Permit, u64>, sqlx::Error> {
        let keys: Vec<(String, i64)> = counts
            .iter()
            .map(|(kind, value, free)| (self.hashed(kind, value), *free))
            .collect();
        let limits: Vec<(&str, i64)> = keys
            .iter()
            .map(|(key, free)| (key.as_str(), *free))
            .collect();
        Ok(match attempt(db, &limits).await? {
            Attempt::Blocked { retry_after } => Err(retry_after),
            Attempt::Counted(taken) => Ok(Permit { taken }),
        })
    }

    /// Counts a registration from this client's network: `Some(seconds)` to wait when it has made too many.
    pub async fn registration(
        &self,
        db: &Db,
        address: Option<IpAddr>,
    ) -> Result<Option<u64>, sqlx::Error> {
        let Some(address) = address else {
            return Ok(None);
        };
        let network = network_of(address);
        let counts = [(
            "registration",
            network.as_str(),
            self.registrations_per_address,
        )];
        Ok(self.limit(db, &counts).await?.err())
    }

    /// Counts an attempt to change this account's password, by the account and by the client's network as
    /// a sign-in is: the current password is a password to guess, and a stolen token must not find it.
    pub async fn password_change(
        &self,
        db: &Db,
        user_id: &str,
        address: Option<IpAddr>,
    ) -> Result<Result<Permit, u64>, sqlx::Error> {
        let network = address.map(network_of);
        let mut counts = vec![("password_change", user_id, ACCOUNT_FREE_FAILURES)];
        if let Some(network) = &network {
            counts.push(("address", network.as_str(), ADDRESS_FREE_FAILURES));
        }
        self.limit(db, &counts).await
    }

    /// The attempt a permit counted succeeded: the first count it was taken against is forgotten (the
    /// account whose password was right), the others given their attempt back.
    pub async fn succeeded(&self, db: &Db, permit: Permit) -> Result<(), sqlx::Error> {
        let mut taken = permit.taken.into_iter();
        if let Some(first) = taken.next() {
            forget(db, &first.key).await?;
        }
        for other in taken {
            give_back(db, &other).await?;
        }
        Ok(())
    }
}

/// An attempt counted and allowed by [`Throttle::limit`].
pub struct Permit {
    taken: Vec<Taken>,
}

/// A key's row as an attempt found it, to give the attempt back.
struct Taken {
    key: String,
    free: i64,
    blocked_until: DateTime<Utc>,
}

enum Attempt {
    Counted(Vec<Taken>),
    Blocked { retry_after: u64 },
}

/// Counts an attempt against every key, unless one of them is shut: in one transaction whose first
/// statement writes each key's row, so the row is held (PostgreSQL locks it, SQLite the database) until the
/// count and the block it earns are written. An attempt beyond a key's free ones shuts it at once, before
/// the password is checked, so the attempts in flight behind it find it shut.
async fn attempt(db: &Db, keys: &[(&str, i64)]) -> Result<Attempt, sqlx::Error> {
    // Takes the row (making it if new, shut until long ago: not `now`, which an attempt that started a
    // moment earlier and waited for the row would take for a block), starting again from nothing once the
    // last attempt is forgotten.
    const TAKE: &str = "INSERT INTO sign_in_failures (key, failures, last_failure_at, blocked_until) \
                        VALUES ($1, 0, $2, $4) \
                        ON CONFLICT (key) DO UPDATE SET \
                        failures = CASE WHEN sign_in_failures.last_failure_at < $3 THEN 0 \
                                        ELSE sign_in_failures.failures END \
                        RETURNING failures, blocked_until";
    const COUNT: &str = "UPDATE sign_in_failures SET failures = $2, last_failure_at = $3, \
                         blocked_until = $4 WHERE key = $1";
    let now = Utc::now();
    let forgotten_before = now - FORGET_AFTER;
    on_pool!(db, p => {
        let mut tx = p.begin().await?;
        let mut rows = Vec::with_capacity(keys.len());
        for (key, free) in keys {
            let (failures, blocked_until): (i64, DateTime<Utc>) = sqlx::query_as(TAKE)
                .bind(*key).bind(now).bind(forgotten_before).bind(DateTime::<Utc>::UNIX_EPOCH)
                .fetch_one(&mut *tx).await?;
            rows.push((*key, *free, failures, blocked_until));
        }
        let shut_until = rows.iter().map(|row| row.3).max().filter(|until| *until > now);
        if let Some(until) = shut_until {
            tx.rollback().await?;
            let millis = (until - now).num_milliseconds().max(0) as u64;
            return Ok(Attempt::Blocked { retry_after: millis.div_ceil(1000).max(1) });
        }
        let mut taken = Vec::with_capacity(rows.len());
        for (key, free, failures, blocked_until) in rows {
            let counted = failures + 1;
            let block = block_after(counted, free);
            let until = if block > Duration::zero() { now + block } else { blocked_until };
            sqlx::query(COUNT).bind(key).bind(counted).bind(now).bind(until)
                .execute(&mut *tx).await?;
            taken.push(Taken { key: key.to_string(), free, blocked_until });
        }
        tx.commit().await?;
        Ok(Attempt::Counted(taken))
    })
}

/// Gives an attempt back (it succeeded): one fewer counted; and once the count is back within the free
/// attempts, no block (the one this attempt may have set is lifted). Unconditional, so that successes sent
/// at once from one network are all given back whatever the order they finish in.
async fn give_back(db: &Db, before: &Taken) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE sign_in_failures SET \
                       blocked_until = CASE WHEN failures - 1 <= $2 THEN $3 ELSE blocked_until END, \
                       failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END \
                       WHERE key = $1";
    on_pool!(db, p => sqlx::query(SQL).bind(&before.key).bind(before.free)
        .bind(before.blocked_until).execute(p).await?.rows_affected());
    Ok(())
}

/// The part of an address that names its network: the whole IPv4 address, the /64 of an IPv6 one (one
/// household or host is given a /64 to choose from).
pub fn network_of(address: IpAddr) -> String {
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

/// How long a key is shut from its `failures`-th attempt in a row, given the attempts it is allowed.
pub fn block_after(failures: i64, free: i64) -> Duration {
    if failures <= free {
        return Duration::zero();
    }
    let doublings = (failures - free - 1).min(20) as u32;
    Duration::seconds(1i64 << doublings).min(LONGEST_BLOCK)
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

//! Sign-in: argon2id password hashes and signed JWT bearer tokens.
//!
//! Tokens are HS256 only (the algorithm is pinned, so a token naming another is refused), carry the role,
//! and must have `exp`, `iss` and `aud`; a few seconds of clock skew are allowed. Each token has an id of
//! its own (`jti`), which signing out revokes, and the account's credentials version (`ver`), which a
//! password change moves on, so that every token issued before the change opens nothing.
//!
//! Passwords are hashed with argon2id at the crate's default parameters (RFC 9106's second recommended
//! option, as OWASP lists it: 19 MiB of memory, 2 passes, 1 lane), on threads of their own.

use std::num::NonZeroUsize;
use std::sync::{Arc, LazyLock, Mutex};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use domain::{Actor, Role};

pub const ISSUER: &str = "etp-scholarships";
pub const AUDIENCE: &str = "etp-api";
/// How long a token lasts.
pub const TOKEN_LIFETIME: Duration = Duration::hours(8);
const LEEWAY_SECONDS: u64 = 5;
/// Passwords have at least this many characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// And at most this many, so hashing stays cheap.
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// This token's own id: signing out revokes it.
    #[serde(default)]
    pub jti: String,
    /// The account's credentials version when the token was issued: a password change moves it on.
    #[serde(default)]
    pub ver: i64,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub actor: Actor,
    pub jti: String,
    pub version: i64,
    pub expires_at: i64,
}

/// How many verified tokens are remembered: about one for each person using the service at a moment.
const REMEMBERED_TOKENS: usize = 4096;
/// A token longer than this is verified every time and never remembered (ours are about 300 characters).
const LONGEST_REMEMBERED_TOKEN: usize = 1024;

/// Signs and checks tokens with the key from `ETP_JWT_SECRET`.
///
/// A token once verified is remembered with what it says, so a person's next request with it is checked by
/// its expiry alone: the signature, the decoding and the claims of a token cannot change while its text does
/// not, and a request spent about a twentieth of the server's time on them (docs/benchmarks.md). Whether
/// the token was revoked since is still asked of the accounts on every request, as before.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    remembered: Arc<Mutex<lru::LruCache<String, Verified>>>,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            remembered: Arc::new(Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(REMEMBERED_TOKENS).expect("not zero"),
            ))),
        }
    }

    /// A token for a signed-in person, valid for [`TOKEN_LIFETIME`], at the account's credentials version.
    pub fn issue(&self, user_id: &str, role: Role, version: i64) -> String {
        let now = Utc::now();
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
            iat: now.timestamp(),
            exp: (now + TOKEN_LIFETIME).timestamp(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            ver: version,
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing of serializable claims does not fail")
    }

    /// What a token says, or `None` for a token that is malformed, forged, expired, not ours, or without
    /// an id. Whether it was revoked since is for the accounts table to say (`accounts::token_standing`).
    pub fn verify(&self, token: &str) -> Option<Verified> {
        self.verify_at(token, Utc::now().timestamp())
    }

    /// [`Self::verify`] at the given time (seconds since the epoch), for a token remembered from before; one
    /// not remembered is checked against the clock.
    fn verify_at(&self, token: &str, now: i64) -> Option<Verified> {
        let in_time = |verified: &Verified| verified.expires_at >= now - LEEWAY_SECONDS as i64;
        if let Some(verified) = self.remembered().get(token) {
            return in_time(verified).then(|| verified.clone());
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        if claims.jti.is_empty() || claims.jti.len() > 64 {
            return None;
        }
        let verified = Verified {
            actor: Actor::new(claims.sub, claims.role),
            jti: claims.jti,
            version: claims.ver,
            expires_at: claims.exp,
        };
        if token.len() <= LONGEST_REMEMBERED_TOKEN {
            self.remembered().put(token.to_string(), verified.clone());
        }
        Some(verified)
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, lru::LruCache<String, Verified>> {
        // Every use is one call on the cache, so a panic elsewhere cannot leave it half-changed.
        self.remembered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Password hashing runs on a few threads of its own, as many as the machine has cores (at most four), and
/// waits its turn there. Each argon2id hash fills 19 MiB; on threads of their own those blocks are reused
/// by the same few threads instead of being left behind by the many of the blocking pool (the allocator
/// keeps freed blocks per thread, and a burst of sign-ins held the server near 2 GB resident where it now
/// stays under a hundred MB: docs/benchmarks.md). A burst of sign-ins also queues here instead of taking
/// every core from the commands being served.
///
/// The work waits in two queues, each of at most [`password_queue`] jobs: checks of a password (sign-in,
/// the current password of a change) and new hashes (registration, the new password). A thread takes a
/// check first, so a flood of registrations delays a sign-in by one hash at most; a job that finds its
/// queue full is not queued, and the request is answered 503 with `Retry-After` ([`Busy`]).
struct Hashers {
    queues: Mutex<Queues>,
    ready: std::sync::Condvar,
}

#[derive(Default)]
struct Queues {
    checks: std::collections::VecDeque<Job>,
    hashes: std::collections::VecDeque<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

/// The password threads are busy: their queue is full (or they are gone). Answered 503 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the password threads are busy")]
pub struct Busy;

pub use crate::config::PASSWORD_QUEUE;
static QUEUE_LIMIT: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(PASSWORD_QUEUE);

/// How many jobs each password queue holds at most.
pub fn password_queue() -> usize {
    QUEUE_LIMIT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets [`password_queue`] (from `ETP_PASSWORD_QUEUE`), at least one.
pub fn set_password_queue(limit: usize) {
    QUEUE_LIMIT.store(limit.max(1), std::sync::atomic::Ordering::Relaxed);
}

static HASHERS: LazyLock<Arc<Hashers>> = LazyLock::new(|| {
    let hashers = Arc::new(Hashers {
        queues: Mutex::new(Queues::default()),
        ready: std::sync::Condvar::new(),
    });
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    for i in 0..threads {
        let hashers = Arc::clone(&hashers);
        let spawned = std::thread::Builder::new()
            .name(format!("etp-password-{i}"))
            .spawn(move || {
                loop {
                    let job = {
                        let Ok(mut queues) = hashers.queues.lock() else {
                            return;
                        };
                        loop {
                            if let Some(job) = queues
                                .checks
                                .pop_front()
                                .or_else(|| queues.hashes.pop_front())
                            {
                                break job;
                            }
                            queues = match hashers.ready.wait(queues) {
                                Ok(queues) => queues,
                                Err(_) => return,
                            };
                        }
                    };
                    job();
                }
            });
        if spawned.is_err() {
            tracing::error!("could not start a password hashing thread");
        }
    }
    hashers
});

/// Runs `work` on the password threads and answers its result; [`Busy`] when its queue is full.
async fn on_password_threads<T: Send + 'static>(
    check: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Busy> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(work());
    });
    {
        let mut queues = HASHERS.queues.lock().map_err(|_| Busy)?;
        let queue = if check {
            &mut queues.checks
        } else {
            &mut queues.hashes
        };
        if queue.len() >= password_queue() {
            return Err(Busy);
        }
        queue.push_back(job);
    }
    HASHERS.ready.notify_one();
    answered.await.map_err(|_| Busy)
}

/// [`hash_password`] on the password threads, in the queue of new hashes.
pub async fn hashed(password: String) -> Result<String, Busy> {
    on_password_threads(false, move || hash_password(&password)).await
}

/// [`verify_password`] on the password threads, in the queue of checks, which goes first.
pub async fn verified(password: String, hash: String) -> Result<bool, Busy> {
    on_password_threads(true, move || verify_password(&password, &hash)).await
}

/// An argon2id hash of a password, in PHC string form.
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 hashing with default parameters does not fail")
        .to_string()
}

/// Whether a password matches a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that matches no password, checked when an email is unknown so that a sign-in takes as long
/// whether or not the account exists.
pub static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("no account has this password"));

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32])
    }

    /// An administrator's claims, issued now, expiring at `exp`, with this token id.
    fn admin_claims(exp: i64, jti: &str) -> Claims {
        Claims {
            sub: "u1".into(),
            role: Role::Admin,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: Utc::now().timestamp(),
            exp,
            jti: jti.into(),
            ver: 0,
        }
    }

    #[test]
    fn a_token_names_its_person_and_role() {
        let keys = keys();
        let token = keys.issue("u1", Role::Helpdesk, 3);
        let verified = keys.verify(&token).expect("a token we issued verifies");
        assert_eq!(verified.actor, Actor::new("u1", Role::Helpdesk));
        assert_eq!(verified.version, 3);
        assert_ne!(
            verified.jti,
            keys.verify(&keys.issue("u1", Role::Helpdesk, 3))
                .expect("verifies")
                .jti,
            "every token has an id of its own"
        );
    }

    #[test]
    fn a_token_whose_payload_was_changed_is_refused() {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let keys = keys();
        let token = keys.issue("u1", Role::Applicant, 0);
        let parts: Vec<&str> = token.split('.').collect();
        let payload = String::from_utf8(engine.decode(parts[1]).expect("base64")).expect("utf-8");
        let promoted = payload.replace("\"applicant\"", "\"admin\"");
        assert_ne!(payload, promoted);
        let forged = format!("{}.{}.{}", parts[0], engine.encode(promoted), parts[2]);
        assert_eq!(keys.verify(&forged), None);
    }

    #[test]
    fn a_token_without_an_id_is_refused() {
        let keys = keys();
        let now = Utc::now().timestamp();
        let claims = admin_claims(now + 60, "");
        assert_eq!(keys.verify(&keys.sign(&claims)), None);
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = keys();
        let now = Utc::now().timestamp();
        let claims = admin_claims(now - 60, "t1");
        assert_eq!(keys.verify(&keys.sign(&claims)), None);
    }

    #[test]
    fn a_remembered_token_is_refused_once_it_expires() {
        let keys = keys();
        let now = Utc::now().timestamp();
        let claims = admin_claims(now + 60, "t1");
        let token = keys.sign(&claims);
        let verified = keys.verify(&token).expect("verifies while in time");
        assert_eq!(keys.verify_at(&token, now + 30), Some(verified.clone()));
        assert_eq!(
            keys.verify_at(&token, now + 60 + LEEWAY_SECONDS as i64),
            Some(verified),
            "the leeway holds for a remembered token as for a new one"
        );
        assert_eq!(
            keys.verify_at(&token, now + 61 + LEEWAY_SECONDS as i64),
            None
        );
        let forged = format!("{}x", token);
        assert_eq!(
            keys.verify(&forged),
            None,
            "a changed token is checked afresh, not taken for the one remembered"
        );
    }

    #[test]
    fn a_token_for_another_audience_or_issuer_is_refused() {
        let keys = keys();
        let now = Utc::now().timestamp();
        let mut claims = Claims {
            aud: "someone-else".into(),
            ..admin_claims(now + 60, "t1")
        };
        assert_eq!(keys.verify(&keys.sign(&claims)), None);
        claims.aud = AUDIENCE.into();
        claims.iss = "someone-else".into();
        assert_eq!(keys.verify(&keys.sign(&claims)), None);
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = TokenKeys::new(&[8u8; 32]).issue("u1", Role::Admin, 0);
        assert_eq!(keys().verify(&token), None);
    }

    #[test]
    fn a_token_with_the_none_algorithm_is_refused() {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = Utc::now().timestamp();
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = engine.encode(format!(
            r#"{{"sub":"u1","role":"admin","iss":"{ISSUER}","aud":"{AUDIENCE}","iat":{now},"exp":{},"jti":"t1"}}"#,
            now + 60
        ));
        assert_eq!(keys().verify(&format!("{header}.{body}.")), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_password_queue_refuses_more_work_and_checks_go_before_new_hashes() {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let order = Arc::new(Mutex::new(Vec::new()));
        // Every thread busy with a job that waits to be released.
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut busy = Vec::new();
        for _ in 0..threads {
            let released = Arc::clone(&released);
            let running = Arc::clone(&running);
            busy.push(tokio::spawn(on_password_threads(true, move || {
                running.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = released.lock().map(|released| released.recv());
            })));
        }
        let queued = || {
            HASHERS
                .queues
                .lock()
                .map(|queues| (queues.checks.len(), queues.hashes.len()))
                .unwrap_or((0, 0))
        };
        let started = std::time::Instant::now();
        // Wait until every thread holds one.
        while running.load(std::sync::atomic::Ordering::SeqCst) < threads
            && started.elapsed() < std::time::Duration::from_secs(30)
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        set_password_queue(1);
        let hash_order = Arc::clone(&order);
        let hash = tokio::spawn(on_password_threads(false, move || {
            hash_order.lock().expect("order").push("hash")
        }));
        let check_order = Arc::clone(&order);
        let check = tokio::spawn(on_password_threads(true, move || {
            check_order.lock().expect("order").push("check")
        }));
        while queued() != (1, 1) && started.elapsed() < std::time::Duration::from_secs(30) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            queued(),
            (1, 1),
            "running {} of {threads}",
            running.load(std::sync::atomic::Ordering::SeqCst)
        );
        assert_eq!(on_password_threads(true, || ()).await, Err(Busy));
        assert_eq!(on_password_threads(false, || ()).await, Err(Busy));
        for _ in 0..threads * 2 {
            let _ = release.send(());
        }
        for job in busy {
            assert_eq!(job.await.expect("joined"), Ok(()));
        }
        assert_eq!(check.await.expect("joined"), Ok(()));
        assert_eq!(hash.await.expect("joined"), Ok(()));
        if threads == 1 {
            assert_eq!(*order.lock().expect("order"), vec!["check", "hash"]);
        }
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }
}

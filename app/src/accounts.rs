//! Accounts: applicants register themselves; staff accounts are made only by `etp users add`.
//!
//! An email address identifies one account, compared without regard to case.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use domain::Role;
use domain::application::StaffDirectory;
use domain::application::form::parse_email;
use projections::{Db, on_pool};

use crate::auth;

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Moves on at every password change; tokens issued at an earlier version open nothing.
    pub credentials_version: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email address already exists")]
    EmailTaken,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Busy(#[from] auth::Busy),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// What a new account needs, checked.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub password: String,
}

impl NewAccount {
    /// Checks the parts of a new account: an email address, a name, and a password of 12 to 256 characters.
    pub fn parse(
        email: &str,
        full_name: &str,
        role: Role,
        password: &str,
    ) -> Result<NewAccount, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let email = match normalise_email(email) {
            Ok(email) => email,
            Err(problem) => {
                problems.push(("email".to_string(), problem));
                String::new()
            }
        };
        let full_name = full_name.trim().to_string();
        if full_name.is_empty()
            || full_name.chars().count() > 200
            || full_name.chars().any(char::is_control)
        {
            problems.push((
                "full_name".to_string(),
                "must be given, at most 200 characters".to_string(),
            ));
        }
        let chars = password.chars().count();
        if chars < auth::MIN_PASSWORD_CHARS {
            problems.push((
                "password".to_string(),
                format!("must be at least {} characters", auth::MIN_PASSWORD_CHARS),
            ));
        } else if chars > auth::MAX_PASSWORD_CHARS {
            problems.push((
                "password".to_string(),
                format!("must be at most {} characters", auth::MAX_PASSWORD_CHARS),
            ));
        }
        if problems.is_empty() {
            Ok(NewAccount {
                email,
                full_name,
                role,
                password: password.to_string(),
            })
        } else {
            Err(problems)
        }
    }
}

/// An email address as accounts keep and compare it: trimmed, in Unicode's composed form (NFC), lowercase
/// (the domain by the standard, and the local part because one address is one account whatever its case).
/// Refused when it holds a character that shows nothing or changes how others show (Unicode's format and
/// control characters, such as a zero-width space or a right-to-left mark; the invisible fillers and
/// variation selectors), so that two accounts cannot look alike and differ by such a character.
pub fn normalise_email(raw: &str) -> Result<String, String> {
    use unicode_general_category::{GeneralCategory, get_general_category};
    use unicode_normalization::UnicodeNormalization;
    let invisible = |c: char| {
        matches!(
            get_general_category(c),
            GeneralCategory::Format
                | GeneralCategory::Control
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
                | GeneralCategory::Unassigned
                | GeneralCategory::PrivateUse
                | GeneralCategory::Surrogate
        ) || matches!(
            c,
            '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
                | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FFA0}'
                | '\u{E0100}'..='\u{E01EF}'
        )
    };
    let trimmed = raw.trim();
    if trimmed.chars().any(invisible) {
        return Err("must not hold invisible or formatting characters".to_string());
    }
    let composed: String = trimmed.nfc().collect();
    parse_email(&composed).map(|email| email.to_lowercase())
}

/// Creates an account and returns its id.
pub async fn create(db: &Db, account: NewAccount) -> Result<String, AccountError> {
    if find_by_email(db, &account.email).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let password = account.password.clone();
    let hash = auth::hashed(password).await?;
    create_hashed(db, &account, &hash).await
}

/// Creates an account whose password was hashed already: many accounts made at once with one password
/// (the demonstration store's, which is random and never shown) are hashed once.
pub async fn create_hashed(
    db: &Db,
    account: &NewAccount,
    hash: &str,
) -> Result<String, AccountError> {
    const SQL: &str = "INSERT INTO accounts (id, email, full_name, role, password_hash, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6)";
    let id = uuid::Uuid::now_v7().to_string();
    let result = on_pool!(db, p => sqlx::query(SQL)
        .bind(&id)
        .bind(&account.email)
        .bind(&account.full_name)
        .bind(account.role.as_str())
        .bind(hash)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|done| done.rows_affected()));
    match result {
        Ok(_) => Ok(id),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            Err(AccountError::EmailTaken)
        }
        Err(error) => Err(error.into()),
    }
}

const COLUMNS: &str =
    "id, email, full_name, role, password_hash, created_at, last_sign_in_at, credentials_version";

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE email = $1");
    let email = normalise_email(email)
        .unwrap_or_else(|_| projections::db::clean_text(email).trim().to_lowercase());
    on_pool!(db, p => sqlx::query(&sql).bind(&email).fetch_optional(p).await?
        .map(|row| account_from(&row)).transpose())
}

pub async fn find(db: &Db, id: &str) -> Result<Option<Account>, sqlx::Error> {
    if !projections::db::is_plausible_id(id) {
        return Ok(None);
    }
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    on_pool!(db, p => sqlx::query(&sql).bind(id).fetch_optional(p).await?
        .map(|row| account_from(&row)).transpose())
}

fn account_from<R: Row>(row: &R) -> Result<Account, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let role: String = row.try_get("role")?;
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        full_name: row.try_get("full_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role}").into()))?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        last_sign_in_at: row.try_get("last_sign_in_at")?,
        credentials_version: row.try_get("credentials_version")?,
    })
}

/// The accounts of one role in use (none disabled), by name.
pub async fn with_role(db: &Db, role: Role) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts WHERE role = $1 AND disabled_at IS NULL ORDER BY full_name, id"
    );
    on_pool!(db, p => sqlx::query(&sql).bind(role.as_str()).fetch_all(p).await?
        .iter()
        .map(account_from)
        .collect())
}

/// The account whose email and password these are, or `None`. Takes as long when the email is unknown.
/// [`auth::Busy`] when the password threads had no room for the check.
pub async fn sign_in(
    db: &Db,
    email: &str,
    password: &str,
) -> Result<Result<Option<Account>, auth::Busy>, sqlx::Error> {
    let account = find_by_email(db, email).await?;
    let hash = account
        .as_ref()
        .map(|account| account.password_hash.clone())
        .unwrap_or_else(|| auth::DECOY_HASH.clone());
    let password = password.to_string();
    let matches = match auth::verified(password, hash).await {
        Ok(matches) => matches,
        Err(busy) => return Ok(Err(busy)),
    };
    let Some(account) = account.filter(|_| matches) else {
        return Ok(Ok(None));
    };
    if is_disabled(db, &account.id).await? {
        return Ok(Ok(None));
    }
    const SQL: &str = "UPDATE accounts SET last_sign_in_at = $1 WHERE id = $2";
    on_pool!(db, p => sqlx::query(SQL).bind(Utc::now()).bind(&account.id).execute(p).await?.rows_affected());
    Ok(Ok(Some(account)))
}

/// Whether a verified token still opens its account: the account's role, and whether the token is
/// current (issued at the account's credentials version, not signed out). `None` when the account is gone.
/// One query, on every authenticated request.
pub async fn token_standing(
    db: &Db,
    user_id: &str,
    jti: &str,
) -> Result<Option<(Role, i64, bool)>, sqlx::Error> {
    if !projections::db::is_plausible_id(user_id) {
        return Ok(None);
    }
    const SQL: &str = "SELECT role, credentials_version, \
                       EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $2) AS revoked \
                       FROM accounts WHERE id = $1";
    let row: Option<(String, i64, bool)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(user_id).bind(jti).fetch_optional(p).await?);
    Ok(row.and_then(|(role, version, revoked)| {
        Role::parse(&role).map(|role| (role, version, revoked))
    }))
}

/// How long a process holds a token's standing once read: a signed-in person's next commands within this
/// time are let in without reading the accounts table again (docs/decisions/0003-token-standing-held.md).
pub const STANDING_HELD_FOR: std::time::Duration = std::time::Duration::from_secs(1);
/// The most standings held at once; past it, those older than [`STANDING_HELD_FOR`] are let go, and if
/// that is not enough, all of them.
const MOST_STANDINGS_HELD: usize = 50_000;

/// The standings of tokens this process read in the last [`STANDING_HELD_FOR`], by token id: a burst of
/// commands from one signed-in person (a form saved section by section, a page and its fetches) reads the
/// accounts table once, not once a request. Only a token found current is held. Signing out, a password
/// change and an account's destruction let go of what this process holds at once; another process
/// holds its own for at most [`STANDING_HELD_FOR`] more.
#[derive(Default)]
pub struct Standings {
    held: std::sync::Mutex<std::collections::HashMap<String, Held>>,
}

struct Held {
    user_id: String,
    role: Role,
    version: i64,
    read_at: std::time::Instant,
}

impl Standings {
    /// Whether the token still opens what its claims say: the account exists with that role and
    /// credentials version, and the token was not signed out.
    pub async fn is_current(
        &self,
        db: &Db,
        user_id: &str,
        role: Role,
        version: i64,
        jti: &str,
    ) -> Result<bool, sqlx::Error> {
        if let Some(current) = self.held(user_id, role, version, jti) {
            return Ok(current);
        }
        let current = matches!(
            token_standing(db, user_id, jti).await?,
            Some((r, v, revoked)) if r == role && v == version && !revoked
        );
        if current {
            self.hold(user_id, role, version, jti);
        }
        Ok(current)
    }

    /// What is held of the token and not too old to believe, if anything.
    fn held(&self, user_id: &str, role: Role, version: i64, jti: &str) -> Option<bool> {
        let held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let standing = held.get(jti)?;
        (standing.read_at.elapsed() < STANDING_HELD_FOR).then(|| {
            standing.user_id == user_id && standing.role == role && standing.version == version
        })
    }

    fn hold(&self, user_id: &str, role: Role, version: i64, jti: &str) {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if held.len() >= MOST_STANDINGS_HELD {
            held.retain(|_, standing| standing.read_at.elapsed() < STANDING_HELD_FOR);
            if held.len() >= MOST_STANDINGS_HELD {
                held.clear();
            }
        }
        held.insert(
            jti.to_string(),
            Held {
                user_id: user_id.to_string(),
                role,
                version,
                read_at: std::time::Instant::now(),
            },
        );
    }

    /// Lets go of a token signed out.
    pub fn forget_token(&self, jti: &str) {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        held.remove(jti);
    }

    /// Lets go of every token of an account whose password changed or which is gone.
    pub fn forget_account(&self, user_id: &str) {
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        held.retain(|_, standing| standing.user_id != user_id);
    }
}

/// Signs a token out: it opens nothing from now on, on every instance (once any other instance's second of
/// holding its standing is over: [`Standings`]). Kept until it would have expired.
pub async fn revoke_token(
    db: &Db,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) \
                       ON CONFLICT (jti) DO NOTHING";
    on_pool!(db, p => sqlx::query(SQL).bind(jti).bind(expires_at).execute(p).await?.rows_affected());
    Ok(())
}

/// Forgets revoked tokens that have expired anyway.
pub async fn sweep_revoked_tokens(db: &Db) -> Result<u64, sqlx::Error> {
    const SQL: &str = "DELETE FROM revoked_tokens WHERE expires_at <= $1";
    on_pool!(db, p => sqlx::query(SQL).bind(Utc::now()).execute(p).await.map(|done| done.rows_affected()))
}

/// Why a password could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    #[error("the current password is not right")]
    WrongPassword,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Busy(#[from] auth::Busy),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// What is wrong with a new password (a change of password or a reset), if anything: the rule registration
/// keeps, 12 to 256 characters.
pub fn new_password_problem(new: &str) -> Option<String> {
    let chars = new.chars().count();
    (!(auth::MIN_PASSWORD_CHARS..=auth::MAX_PASSWORD_CHARS).contains(&chars)).then(|| {
        format!(
            "the new password must be {} to {} characters",
            auth::MIN_PASSWORD_CHARS,
            auth::MAX_PASSWORD_CHARS
        )
    })
}

/// Changes an account's password, given the current one. Every token and every browser session of the
/// account ends with it, in the same transaction: whoever knew the old password is signed out everywhere.
pub async fn change_password(
    db: &Db,
    user_id: &str,
    current: &str,
    new: &str,
) -> Result<(), PasswordChangeError> {
    if let Some(problem) = new_password_problem(new) {
        return Err(PasswordChangeError::Invalid(problem));
    }
    let account = find(db, user_id)
        .await?
        .ok_or(PasswordChangeError::WrongPassword)?;
    if !auth::verified(current.to_string(), account.password_hash.clone()).await? {
        return Err(PasswordChangeError::WrongPassword);
    }
    let hash = auth::hashed(new.to_string()).await?;
    const ACCOUNT: &str = "UPDATE accounts SET password_hash = $1, \
                           credentials_version = credentials_version + 1 WHERE id = $2";
    const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
    const RESETS: &str = "DELETE FROM password_resets WHERE user_id = $1";
    on_pool!(db, p => {
        let mut tx = p.begin().await?;
        sqlx::query(ACCOUNT).bind(&hash).bind(user_id).execute(&mut *tx).await?;
        sqlx::query(SESSIONS).bind(user_id).execute(&mut *tx).await?;
        sqlx::query(RESETS).bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// A staff account as the administrator's page lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffAccount {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A staff account's row: id, email, name, role, last sign-in, when disabled.
type StaffRow = (
    String,
    String,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// Every staff account (every role but applicant), disabled ones last, by name.
pub async fn staff_accounts(db: &Db) -> Result<Vec<StaffAccount>, sqlx::Error> {
    const SQL: &str = "SELECT id, email, full_name, role, last_sign_in_at, disabled_at FROM accounts \
                       WHERE role <> 'applicant' \
                       ORDER BY CASE WHEN disabled_at IS NULL THEN 0 ELSE 1 END, full_name, id";
    let rows: Vec<StaffRow> = on_pool!(db, p => sqlx::query_as(SQL).fetch_all(p).await?);
    Ok(rows
        .into_iter()
        .filter_map(
            |(id, email, full_name, role, last_sign_in_at, disabled_at)| {
                Role::parse(&role).map(|role| StaffAccount {
                    id,
                    email,
                    full_name,
                    role,
                    last_sign_in_at,
                    disabled_at,
                })
            },
        )
        .collect())
}

/// Whether the account was disabled by an administrator.
pub async fn is_disabled(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    const SQL: &str = "SELECT disabled_at IS NOT NULL FROM accounts WHERE id = $1";
    let row: Option<(bool,)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(user_id).fetch_optional(p).await?);
    Ok(row.is_some_and(|(disabled,)| disabled))
}

/// Why an administrator's change to a staff account was refused.
#[derive(Debug, thiserror::Error)]
pub enum StaffChangeError {
    #[error("there is no staff account with that id")]
    NotFound,
    #[error("administrators cannot change their own role or disable their own account")]
    OwnAccount,
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// A staff account given another staff role, or disabled (`role: None`). Its sessions end and every token
/// it holds stops opening anything (the credentials version moves on), so the new role applies from the
/// next sign-in; a disabled account signs in no more. An applicant's account is not a staff account.
pub async fn change_staff_account(
    db: &Db,
    by_admin: &str,
    user_id: &str,
    role: Option<Role>,
) -> Result<(), StaffChangeError> {
    if by_admin == user_id {
        return Err(StaffChangeError::OwnAccount);
    }
    let account = find(db, user_id)
        .await?
        .filter(|account| account.role != Role::Applicant)
        .ok_or(StaffChangeError::NotFound)?;
    let role = role.filter(|role| *role != Role::Applicant);
    const ROLE: &str = "UPDATE accounts SET role = $1, credentials_version = credentials_version + 1 \
                        WHERE id = $2";
    const DISABLE: &str = "UPDATE accounts SET disabled_at = $1, \
                           credentials_version = credentials_version + 1 WHERE id = $2";
    const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
    on_pool!(db, p => {
        let mut tx = p.begin().await?;
        match role {
            Some(role) => sqlx::query(ROLE).bind(role.as_str()).bind(&account.id).execute(&mut *tx).await?,
            None => sqlx::query(DISABLE).bind(Utc::now()).bind(&account.id).execute(&mut *tx).await?,
        };
        sqlx::query(SESSIONS).bind(&account.id).execute(&mut *tx).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// The staff directory the application aggregate consults, read from the accounts table.
pub struct AccountDirectory {
    db: Db,
}

impl AccountDirectory {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl StaffDirectory for AccountDirectory {
    async fn role_of(&self, user_id: &str) -> Result<Option<Role>, String> {
        find(&self.db, user_id)
            .await
            .map(|account| account.map(|account| account.role))
            .map_err(|error| error.to_string())
    }
}

/// Applicant accounts left with no application that is still kept, whose last sign-in (or creation, if
/// they never signed in) was on or before `last_active_on`. Read through the index on last activity.
pub async fn applicants_inactive_since(
    db: &Db,
    last_active_on: chrono::NaiveDate,
) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "SELECT id FROM accounts WHERE role = 'applicant' \
                       AND COALESCE(last_sign_in_at, created_at) < $1 \
                       AND NOT EXISTS (SELECT 1 FROM application_views v WHERE v.applicant_id = accounts.id) \
                       ORDER BY id";
    let before = last_active_on
        .succ_opt()
        .unwrap_or(last_active_on)
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(before).fetch_all(p).await)
}

/// Applicant accounts whose last sign-in (or creation) was on or before `last_active_on`, whatever their
/// applications: what a dry run of the sweep starts from.
pub async fn applicants_inactive_since_with_applications(
    db: &Db,
    last_active_on: chrono::NaiveDate,
) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "SELECT id FROM accounts WHERE role = 'applicant' \
                       AND COALESCE(last_sign_in_at, created_at) < $1 ORDER BY id";
    let before = last_active_on
        .succ_opt()
        .unwrap_or(last_active_on)
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    on_pool!(db, p => sqlx::query_scalar(SQL).bind(before).fetch_all(p).await)
}

/// Deletes many accounts and their sessions, and records that each was destroyed, in one transaction (the
/// retention sweep's batches): all or none of them.
pub async fn destroy_many(
    db: &Db,
    ids: &[&str],
    destroyed_on: chrono::NaiveDate,
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let at = Utc::now();
    // Each statement names the batch's ids as a list of placeholders ($1 … $n), which both stores read.
    let list = (1..=ids.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let deletes = [
        format!("DELETE FROM sessions WHERE user_id IN ({list})"),
        format!("DELETE FROM password_resets WHERE user_id IN ({list})"),
        format!(
            "DELETE FROM stream_keys WHERE aggregate_type = 'Account' AND aggregate_id IN ({list})"
        ),
    ];
    let accounts = format!("DELETE FROM accounts WHERE id IN ({list}) RETURNING email");
    // On PostgreSQL the addresses are kept unique in `account_emails` (migration 0030), by a row trigger
    // that deletes each one by a statement of its own; the batch deletes them in one statement instead, and
    // the trigger stands aside for this transaction (migration 0033).
    let postgres = matches!(db, Db::Postgres(_));
    on_pool!(db, p => {
        let mut tx = p.begin().await?;
        for delete in &deletes {
            let mut query = sqlx::query(delete);
            for id in ids {
                query = query.bind(*id);
            }
            query.execute(&mut *tx).await?;
        }
        if postgres {
            sqlx::query("SELECT set_config('etp.addresses_by_statement', 'on', true)")
                .execute(&mut *tx)
                .await?;
        }
        let mut query = sqlx::query_scalar::<_, String>(&accounts);
        for id in ids {
            query = query.bind(*id);
        }
        let emails = query.fetch_all(&mut *tx).await?;
        if postgres && !emails.is_empty() {
            let addresses = (ids.len() + 1..=ids.len() + emails.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "DELETE FROM account_emails WHERE account_id IN ({list}) AND email IN ({addresses})"
            );
            let mut query = sqlx::query(&sql);
            for id in ids {
                query = query.bind(*id);
            }
            for email in &emails {
                query = query.bind(email);
            }
            query.execute(&mut *tx).await?;
        }
        let mut ledger = sqlx::QueryBuilder::new(
            "INSERT INTO destroyed_streams (aggregate_type, aggregate_id, rule, destroyed_on, destroyed_at) ",
        );
        ledger.push_values(ids, |mut row, id| {
            row.push_bind("Account")
                .push_bind(*id)
                .push_bind("applicant_account")
                .push_bind(destroyed_on)
                .push_bind(at);
        });
        ledger.push(" ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING");
        ledger.build().execute(&mut *tx).await?;
        tx.commit().await
    })
}

/// Deletes an account and its sessions, and records that it was destroyed, in one transaction.
pub async fn destroy(
    db: &Db,
    id: &str,
    destroyed_on: chrono::NaiveDate,
) -> Result<(), sqlx::Error> {
    const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
    const RESETS: &str = "DELETE FROM password_resets WHERE user_id = $1";
    const ACCOUNT: &str = "DELETE FROM accounts WHERE id = $1";
    // The key that seals the copies of the account kept elsewhere (a subject access response): erased after
    // the row, which a transaction making that key holds locked until it commits.
    const KEY: &str =
        "DELETE FROM stream_keys WHERE aggregate_type = 'Account' AND aggregate_id = $1";
    const LEDGER: &str = "INSERT INTO destroyed_streams (aggregate_type, aggregate_id, rule, destroyed_on, destroyed_at) \
                          VALUES ('Account', $1, 'applicant_account', $2, $3) \
                          ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING";
    on_pool!(db, p => {
        let mut tx = p.begin().await?;
        sqlx::query(SESSIONS).bind(id).execute(&mut *tx).await?;
        sqlx::query(RESETS).bind(id).execute(&mut *tx).await?;
        sqlx::query(ACCOUNT).bind(id).execute(&mut *tx).await?;
        sqlx::query(KEY).bind(id).execute(&mut *tx).await?;
        sqlx::query(LEDGER).bind(id).bind(destroyed_on).bind(Utc::now()).execute(&mut *tx).await?;
        tx.commit().await
    })
}

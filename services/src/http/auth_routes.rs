//! Registration, sign-in, sign-out and password changes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::Role;
use domain::application::rules::FieldProblem;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, BearerToken, client_address};
use crate::accounts::{self, AccountError, NewAccount, PasswordChangeError};
use crate::bus::AppState;
use crate::throttle::SignIn;

#[derive(utoipa::OpenApi)]
#[openapi(paths(register, login, logout, change_password))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/password", post(change_password))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RegisterBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256)]
    password: String,
    #[schema(pattern = "\\S", max_length = 200)]
    full_name: String,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct Registered {
    user_id: String,
}

/// An applicant registers. Staff accounts are never made here.
#[utoipa::path(
    post,
    operation_id = "register",
    path = "/auth/register",
    description = "Who: anyone, without a token; the account made is an applicant's.",
    tag = "auth",
    security(()),
    request_body = RegisterBody,
    responses(
        (status = 201, description = "The applicant's account", body = Registered),
        (status = 409, description = "email_taken: sign in instead", body = ErrorBody),
        (status = 422, description = "invalid: a password under 12 characters, an email address that is not one (or holds invisible or formatting characters)", body = ErrorBody),
        (status = 429, description = "too_many_attempts: too many registrations from this network; `retry_after` seconds, also in `Retry-After`", body = ErrorBody),
        (status = 503, description = "unavailable: the password threads are busy; try again after `Retry-After`", body = ErrorBody),
    ),
)]
async fn register(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    extensions: axum::http::Extensions,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let address = client_address(&state.trusted_proxies, &headers, &extensions);
    if let Some(retry_after) = state.throttle.registration(&state.db, address).await? {
        return Err(too_many_registrations(retry_after));
    }
    let account = NewAccount::parse(
        &body.email,
        &body.full_name,
        Role::Applicant,
        &body.password,
    )
    .map_err(|problems| {
        let problems: Vec<FieldProblem> = problems
            .into_iter()
            .map(|(path, problem)| FieldProblem::new(path, problem))
            .collect();
        ApiError::invalid("some values are not valid", problems)
    })?;
    match accounts::create(&state.db, account).await {
        Ok(user_id) => Ok((StatusCode::CREATED, Json(json!({ "user_id": user_id })))),
        Err(AccountError::EmailTaken) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "email_taken",
            "an account with this email address already exists; sign in instead",
        )),
        Err(AccountError::Invalid(message)) => Err(ApiError::internal(message)),
        Err(AccountError::Busy(busy)) => Err(busy.into()),
        Err(AccountError::Database(error)) => Err(error.into()),
    }
}

/// 429 with `Retry-After`: too many registrations from this network.
pub fn too_many_registrations(retry_after: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!(
            "too many accounts were registered from this network; try again in {}",
            crate::throttle::seconds(retry_after)
        ),
    )
    .with("retry_after", retry_after)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginBody {
    email: String,
    password: String,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct SignedIn {
    /// Send it as `Authorization: Bearer <token>`.
    token: String,
    role: RoleName,
    user_id: String,
    /// Seconds until the token expires.
    expires_in: i64,
}

/// Signs in with an email address and password: a token for the API.
#[utoipa::path(
    post,
    path = "/auth/login",
    description = "Who: anyone, without a token.",
    tag = "auth",
    security(()),
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 401, description = "invalid_credentials: the same answer whether the email is unknown or the password wrong", body = ErrorBody),
        (status = 429, description = "too_many_attempts: too many failed sign-ins for this email or network; `retry_after` seconds, also in `Retry-After`", body = ErrorBody),
        (status = 503, description = "unavailable: the password threads are busy; try again after `Retry-After`", body = ErrorBody),
    ),
)]
async fn login(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    extensions: axum::http::Extensions,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<Value>, ApiError> {
    let address = client_address(&state.trusted_proxies, &headers, &extensions);
    let account = match state
        .throttle
        .sign_in(&state.db, &body.email, &body.password, address)
        .await?
    {
        SignIn::Accepted(account) => account,
        SignIn::Refused => return Err(invalid_credentials()),
        SignIn::Blocked { retry_after } => return Err(too_many_attempts(retry_after)),
        SignIn::Busy => return Err(crate::auth::Busy.into()),
    };
    let token = state
        .tokens
        .issue(&account.id, account.role, account.credentials_version);
    Ok(Json(json!({
        "token": token,
        "role": account.role.as_str(),
        "user_id": account.id,
        "expires_in": crate::auth::TOKEN_LIFETIME.num_seconds(),
    })))
}

/// The same answer whether the email is unknown or the password wrong.
fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "the email address or password is not right",
    )
}

/// 429 with `Retry-After`: too many failed sign-ins for this email address or from this network.
pub fn too_many_attempts(retry_after: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!(
            "too many failed sign-ins; try again in {}",
            crate::throttle::seconds(retry_after)
        ),
    )
    .with("retry_after", retry_after)
}

/// Signs this token out, on every instance: it opens nothing from now on. 204.
#[utoipa::path(
    post,
    path = "/auth/logout",
    description = "Who: anyone signed in.",
    tag = "auth",
    responses((status = 204, description = "Signed out")),
)]
async fn logout(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
) -> Result<StatusCode, ApiError> {
    let expires_at =
        chrono::DateTime::from_timestamp(token.expires_at, 0).unwrap_or_else(chrono::Utc::now);
    accounts::revoke_token(&state.db, &token.jti, expires_at).await?;
    state.standings.forget_token(&token.jti);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Changes the signed-in person's password, given the current one. Every token and browser session of the
/// account ends, this one included: sign in again with the new password. 204.
#[utoipa::path(
    post,
    path = "/auth/password",
    description = "Who: anyone signed in.",
    tag = "auth",
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Changed; every token and session of the account has ended"),
        (status = 422, description = "invalid: the current password is not right, or the new one is under 12 characters", body = ErrorBody),
        (status = 429, description = "too_many_attempts: too many attempts for this account or from this network, counted as failed sign-ins are; `retry_after` seconds, also in `Retry-After`", body = ErrorBody),
        (status = 503, description = "unavailable: the password threads are busy; try again after `Retry-After`", body = ErrorBody),
    ),
)]
async fn change_password(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    extensions: axum::http::Extensions,
    BearerToken(token): BearerToken,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    let address = client_address(&state.trusted_proxies, &headers, &extensions);
    let permit = match state
        .throttle
        .password_change(&state.db, &token.actor.user_id, address)
        .await?
    {
        Ok(permit) => permit,
        Err(retry_after) => return Err(too_many_password_attempts(retry_after)),
    };
    match accounts::change_password(
        &state.db,
        &token.actor.user_id,
        &body.current_password,
        &body.new_password,
    )
    .await
    {
        Ok(()) => {
            state.standings.forget_account(&token.actor.user_id);
            state.throttle.succeeded(&state.db, permit).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        Err(PasswordChangeError::WrongPassword) => Err(ApiError::invalid_field(
            "current_password",
            "the current password is not right",
        )),
        Err(PasswordChangeError::Invalid(problem)) => {
            Err(ApiError::invalid_field("new_password", &problem))
        }
        Err(PasswordChangeError::Busy(busy)) => Err(busy.into()),
        Err(PasswordChangeError::Database(error)) => Err(error.into()),
    }
}

/// 429 with `Retry-After`: too many attempts at this account's current password.
pub fn too_many_password_attempts(retry_after: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!(
            "too many attempts at the current password; try again in {}",
            crate::throttle::seconds(retry_after)
        ),
    )
    .with("retry_after", retry_after)
}

/// A person's role, as the API names it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RoleName {
    Applicant,
    Helpdesk,
    ProgrammeOfficer,
    CommitteeMember,
    InformationOfficer,
    Admin,
}

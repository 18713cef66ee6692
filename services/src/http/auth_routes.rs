//! Registration and sign-in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::Role;
use domain::application::rules::FieldProblem;

use super::error::ApiError;
use super::extract::ApiJson;
use crate::accounts::{self, AccountError, NewAccount};
use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
}

#[derive(Deserialize)]
struct RegisterBody {
    email: String,
    password: String,
    full_name: String,
}

/// An applicant registers. Staff accounts are never made here.
async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
        Err(AccountError::Database(error)) => Err(error.into()),
    }
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<Value>, ApiError> {
    let account = accounts::sign_in(&state.db, &body.email, &body.password)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the email address or password is not right",
            )
        })?;
    let token = state.tokens.issue(&account.id, account.role);
    Ok(Json(json!({
        "token": token,
        "role": account.role.as_str(),
        "user_id": account.id,
        "expires_in": crate::auth::TOKEN_LIFETIME.num_seconds(),
    })))
}

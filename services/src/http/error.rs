//! The one error type of the HTTP API, mapped to a status and a JSON body in one place.
//!
//! A client sees `{"error": code, "message": sentence}` and the named extra fields; the cause of a failure
//! on our side is logged once, here, and never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cqrs_es::AggregateError;
use serde_json::{Map, Value, json};

use domain::application::ApplicationError;
use domain::application::rules::FieldProblem;
use domain::cycle::CycleError;
use domain::immigration::ImmigrationError;
use domain::recipient::RecipientError;
use domain::request::RequestError;
use projections::ProjectionError;

/// Every refusal's body, as the OpenAPI document describes it: a code, a sentence, and where the refusal
/// names them, the fields it is about (`problems`, `missing`, `fields`, `reason`, `retry_after`, ...).
#[derive(utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// A short code a program can act on: `invalid`, `not_found`, `application_submitted`, ...
    pub error: String,
    /// What went wrong and what to do next, in a sentence for people.
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            extra: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    /// 401: no token, or a token that is malformed, forged or expired.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first: send a valid token as Authorization: Bearer <token>",
        )
    }

    /// 403: the person's role may not do this.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your role may not do this",
        )
    }

    /// 404: no such thing, or not one the person may know of.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "there is no such resource",
        )
    }

    /// 410: the personal data was destroyed under the retention schedule.
    pub fn destroyed() -> Self {
        Self::new(
            StatusCode::GONE,
            "destroyed",
            "this record's personal data was destroyed under the retention schedule",
        )
    }

    /// 422: values that break the rules of the form, each with its path.
    pub fn invalid(message: impl Into<String>, problems: Vec<FieldProblem>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).with(
            "problems",
            serde_json::to_value(problems).unwrap_or_default(),
        )
    }

    pub fn invalid_field(path: &str, problem: &str) -> Self {
        Self::invalid(
            format!("{path} {problem}"),
            vec![FieldProblem::new(path, problem)],
        )
    }

    /// 409: another change to the same record was committed first.
    pub fn conflict() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "conflict",
            "someone else changed this at the same moment; reload it and try again",
        )
    }

    /// 503: the store is busy or unreachable; the request may be tried again.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the service is busy; please try again in a moment",
        )
    }

    /// 500: a failure on our side. The cause is logged here and not sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(cause = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; it has been logged",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A refusal that passes says when to try again: a 429 after as long as it names, a 503 (the store
        // is busy or out of reach) after a second.
        let retry_after = match self.extra.get("retry_after").and_then(Value::as_u64) {
            Some(seconds) => Some(seconds),
            None if self.status == StatusCode::SERVICE_UNAVAILABLE => Some(1),
            None => None,
        };
        let mut body = Map::new();
        body.insert("error".into(), json!(self.code));
        body.insert("message".into(), json!(self.message));
        body.extend(self.extra);
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

/// The application layer's error as the API answers it: a refusal with its code, a failure on our side
/// logged with its cause and answered without it.
impl From<crate::error::AppError> for ApiError {
    fn from(error: crate::error::AppError) -> Self {
        use crate::error::{AppError, Refusal};
        match error {
            AppError::NotFound => ApiError::not_found(),
            AppError::Forbidden => ApiError::forbidden(),
            AppError::Destroyed => ApiError::destroyed(),
            AppError::Invalid { message, problems } => ApiError::invalid(message, problems),
            AppError::Refused(Refusal::Application(error)) => error.into(),
            AppError::Refused(Refusal::Immigration(error)) => error.into(),
            AppError::Refused(Refusal::Recipient(error)) => error.into(),
            AppError::Refused(Refusal::Cycle(error)) => error.into(),
            AppError::Refused(Refusal::Request(error)) => error.into(),
            AppError::DuplicateApplication => duplicate_application(),
            AppError::Conflict => ApiError::conflict(),
            AppError::Busy => crate::auth::Busy.into(),
            AppError::Unavailable(cause) => {
                tracing::warn!(cause = %cause, "store unavailable");
                ApiError::unavailable()
            }
            AppError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<crate::auth::Busy> for ApiError {
    fn from(_: crate::auth::Busy) -> Self {
        tracing::warn!("the password queue is full");
        ApiError::unavailable()
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&error) {
            tracing::warn!(cause = %error, "store unavailable");
            ApiError::unavailable()
        } else {
            ApiError::internal(error)
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        match error {
            crate::store::StoreError::Database(error) => error.into(),
            error if error.is_unavailable() => {
                tracing::warn!(cause = %error, "store unavailable");
                ApiError::unavailable()
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<ApplicationError> for ApiError {
    fn from(error: ApplicationError) -> Self {
        use ApplicationError as E;
        let code = crate::error::application_code(&error);
        let message = error.to_string();
        let status = |status, code| ApiError::new(status, code, message.clone());
        match error {
            E::NotFound => ApiError::not_found(),
            E::Forbidden => ApiError::forbidden(),
            E::AlreadyStarted => ApiError::conflict(),
            E::ApplicationSubmitted => status(StatusCode::CONFLICT, code),
            E::Invalid { problems } => ApiError::invalid(message, problems),
            E::Incomplete { missing } => {
                status(StatusCode::UNPROCESSABLE_ENTITY, code).with("missing", missing)
            }
            E::CycleClosed {
                opens_on,
                closes_on,
                ..
            } => status(StatusCode::CONFLICT, code)
                .with("opens_on", opens_on.to_string())
                .with("closes_on", closes_on.to_string()),
            E::CycleConcluded { concluded_on, .. } => {
                status(StatusCode::CONFLICT, code).with("concluded_on", concluded_on.to_string())
            }
            E::CycleNotConcluded { .. } => status(StatusCode::CONFLICT, code),
            E::CycleTermsUnavailable(cause) => {
                tracing::warn!(cause = %cause, "cycle terms unavailable");
                ApiError::unavailable()
            }
            E::NotEligible { reasons, failures } => status(StatusCode::UNPROCESSABLE_ENTITY, code)
                .with("reasons", reasons)
                .with(
                    "failures",
                    serde_json::to_value(failures).unwrap_or_default(),
                ),
            E::ReservePosition => ApiError::invalid(
                message.clone(),
                vec![FieldProblem::new("reserve_position", &message)],
            ),
            E::OverrideIncomplete => {
                let message = message.clone();
                ApiError::invalid(
                    message.clone(),
                    vec![
                        FieldProblem::new("rules", &message),
                        FieldProblem::new("reason", &message),
                    ],
                )
            }
            E::NotAmendable { fields } => {
                status(StatusCode::UNPROCESSABLE_ENTITY, code).with("fields", fields)
            }
            E::NotSubmitted => status(StatusCode::CONFLICT, code),
            E::InvalidState {
                status: current, ..
            } => status(StatusCode::CONFLICT, code).with("status", current.as_str()),
            E::DecisionMade => status(StatusCode::CONFLICT, code),
            E::NotACommitteeMember => status(StatusCode::UNPROCESSABLE_ENTITY, code),
            E::NotAssigned => status(StatusCode::FORBIDDEN, code),
            E::ConflictOfInterest => status(StatusCode::FORBIDDEN, code),
            E::MemberConflicted => status(StatusCode::CONFLICT, code),
            E::ScoreOutOfRange { criterion } => ApiError::invalid(
                message,
                vec![FieldProblem::new(
                    criterion,
                    "must be a whole number from 0 to 10",
                )],
            ),
            E::NotSelected { status: current } => {
                status(StatusCode::CONFLICT, code).with("status", current.as_str())
            }
            E::NotAwarded { status: current } => {
                status(StatusCode::CONFLICT, code).with("status", current.as_str())
            }
            E::NotCompleted { status: current } => {
                status(StatusCode::CONFLICT, code).with("status", current.as_str())
            }
            E::NoNoticeDue => status(StatusCode::CONFLICT, code),
            E::OfferAlreadyMade { state } => {
                status(StatusCode::CONFLICT, code).with("offer", state)
            }
            E::NoOpenOffer { .. } => status(StatusCode::CONFLICT, code),
            E::OfferNotAccepted { state } => {
                status(StatusCode::CONFLICT, code).with("offer", state)
            }
            E::NoRecheckDue => status(StatusCode::CONFLICT, code),
            E::Destroyed => ApiError::destroyed(),
            E::Restricted { .. } => status(StatusCode::CONFLICT, code),
            E::NotRestricted => status(StatusCode::CONFLICT, code),
            E::RuleDoesNotApply {
                status: current, ..
            } => status(StatusCode::CONFLICT, code).with("status", current.as_str()),
            E::DirectoryUnavailable => ApiError::unavailable(),
            E::LetterDoesNotFit {
                status: current, ..
            } => status(StatusCode::CONFLICT, code).with("status", current.as_str()),
            E::NoSuchLetter => status(StatusCode::NOT_FOUND, code),
        }
    }
}

impl From<ImmigrationError> for ApiError {
    fn from(error: ImmigrationError) -> Self {
        let code = crate::error::immigration_code(&error);
        let message = error.to_string();
        match error {
            ImmigrationError::Forbidden => ApiError::forbidden(),
            ImmigrationError::NotFound => ApiError::not_found(),
            ImmigrationError::Destroyed => ApiError::destroyed(),
            ImmigrationError::AlreadyRecorded => ApiError::conflict(),
            ImmigrationError::NotAwarded { status } => {
                ApiError::new(StatusCode::CONFLICT, code, message).with("status", status.as_str())
            }
            ImmigrationError::Invalid { problems } => ApiError::invalid(message, problems),
        }
    }
}

impl From<RecipientError> for ApiError {
    fn from(error: RecipientError) -> Self {
        let message = error.to_string();
        match error {
            RecipientError::Forbidden => ApiError::forbidden(),
            RecipientError::AlreadyRegistered => ApiError::conflict(),
            RecipientError::InvalidName => ApiError::invalid(
                message,
                vec![FieldProblem::new(
                    "name",
                    "must be given, at most 200 characters",
                )],
            ),
            RecipientError::InvalidField { field, problem } => {
                ApiError::invalid(message, vec![FieldProblem::new(field, problem)])
            }
        }
    }
}

impl From<CycleError> for ApiError {
    fn from(error: CycleError) -> Self {
        let message = error.to_string();
        let field = |path: &str| {
            ApiError::invalid(message.clone(), vec![FieldProblem::new(path, &message)])
        };
        match error {
            CycleError::Forbidden => ApiError::forbidden(),
            CycleError::ClosesBeforeItOpens => field("closes_on"),
            CycleError::DatesOutsideTheCycle => field("opens_on"),
            CycleError::NoEligibleNationality => field("eligible_nationalities"),
            CycleError::WorkYearsOutOfRange => field("minimum_work_years"),
            CycleError::ConclusionInTheFuture
            | CycleError::ConclusionBeforeTheCycle
            | CycleError::NotYetDueForConclusion => field("on"),
        }
    }
}

impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> Self {
        let code = crate::error::request_code(&error);
        let message = error.to_string();
        match error {
            RequestError::Forbidden => ApiError::forbidden(),
            RequestError::NotFound => ApiError::not_found(),
            RequestError::AlreadyLogged => ApiError::conflict(),
            RequestError::Invalid { problems } => ApiError::invalid(message, problems),
            RequestError::ClockAlreadyStopped => ApiError::new(StatusCode::CONFLICT, code, message),
            RequestError::ClockNotStopped => ApiError::new(StatusCode::CONFLICT, code, message),
            RequestError::ReasonNotAllowed { .. } | RequestError::ExtensionNotAllowed { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            RequestError::AlreadyExtended => ApiError::new(StatusCode::CONFLICT, code, message),
            RequestError::WrongKind { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            RequestError::AlreadyDecided => ApiError::new(StatusCode::CONFLICT, code, message),
            RequestError::AlreadyAnswered => ApiError::new(StatusCode::CONFLICT, code, message),
            RequestError::NoDraft => ApiError::new(StatusCode::CONFLICT, code, message),
            RequestError::AlreadyWithheld => ApiError::new(StatusCode::CONFLICT, code, message),
            RequestError::Destroyed => ApiError::destroyed(),
            RequestError::NotClosed => ApiError::new(StatusCode::CONFLICT, code, message),
        }
    }
}

impl<E> From<AggregateError<E>> for ApiError
where
    E: std::error::Error + Into<ApiError>,
{
    fn from(error: AggregateError<E>) -> Self {
        match error {
            AggregateError::UserError(error) => error.into(),
            AggregateError::AggregateConflict => ApiError::conflict(),
            AggregateError::DatabaseConnectionError(cause) => {
                tracing::warn!(cause = %cause, "store unavailable");
                ApiError::unavailable()
            }
            AggregateError::UnexpectedError(cause) => from_store_failure(cause),
            AggregateError::DeserializationError(cause) => ApiError::internal(cause),
        }
    }
}

/// A failure inside the store's transaction. A projection that refused the event is a rule of ours
/// (one application per applicant per cycle); anything else is a failure on our side.
fn from_store_failure(cause: Box<dyn std::error::Error + Send + Sync>) -> ApiError {
    if let Some(crate::store::StoreError::Projection(ProjectionError::DuplicateApplication)) =
        cause.downcast_ref::<crate::store::StoreError>()
    {
        return duplicate_application();
    }
    if let Some(error) = cause.downcast_ref::<crate::store::StoreError>()
        && error.is_unavailable()
    {
        tracing::warn!(cause = %error, "store unavailable");
        return ApiError::unavailable();
    }
    ApiError::internal(cause)
}

/// 409: one application per applicant per cycle.
pub fn duplicate_application() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "duplicate_application",
        "you already have an application in this cycle",
    )
}

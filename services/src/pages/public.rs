//! Pages anyone may see: the start page, the privacy notice, the contact page and the accessibility
//! statement, registration, sign-in and sign-out.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use domain::Role;
use domain::retention::SCHEDULE;

use super::session::{self, check_anonymous_csrf, field};
use super::{
    ErrorItem, MaybeSession, Page, PageError, PageForm, PageQuery, Session, navigation, safe_next,
    see_other,
};
use crate::accounts::{self, AccountError, NewAccount};
use crate::bus::AppState;
use crate::throttle::SignIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/privacy", get(privacy))
        .route("/contact", get(contact))
        .route("/accessibility", get(accessibility))
        .route("/register", get(register_page).post(register))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/account", get(account))
        .route("/account/password", post(change_password))
}

/// What the account page shows: the password form, with the message at each field it refused.
#[derive(Serialize, Default)]
struct AccountPage {
    errors: AccountErrors,
}

/// The password form's message by field.
#[derive(Serialize, Default)]
struct AccountErrors {
    current_password: Option<String>,
    new_password: Option<String>,
}

impl AccountPage {
    /// The page with `message` at the field `path` (`current_password` or `new_password`).
    fn refused(path: &str, message: String) -> Self {
        let mut errors = AccountErrors::default();
        match path {
            "current_password" => errors.current_password = Some(message),
            _ => errors.new_password = Some(message),
        }
        Self { errors }
    }
}

async fn account(session: Session) -> Response {
    Page::new("account", "Your account", Some(&session))
        .data(AccountPage::default())
        .into_response()
}

/// Changes the password, given the current one; every session and token of the account ends, this one
/// too, and the person signs in again with the new password.
async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let current = field(&form, "current_password").unwrap_or_default();
    let new = field(&form, "new_password").unwrap_or_default();
    let address =
        crate::http::extract::client_address(&state.trusted_proxies, &headers, &extensions);
    let permit = match state
        .throttle
        .password_change(&state.db, &session.actor.user_id, address)
        .await?
    {
        Ok(permit) => permit,
        Err(retry_after) => {
            let message = format!(
                "Too many attempts at the current password: try again in {}",
                crate::throttle::seconds(retry_after)
            );
            let mut response = Page::new("account", "Your account", Some(&session))
                .data(AccountPage::refused("current_password", message.clone()))
                .errors(vec![ErrorItem::new("current_password", message)])
                .status(StatusCode::TOO_MANY_REQUESTS)
                .into_response();
            response.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after),
            );
            return Ok(response);
        }
    };
    let (path, message) =
        match accounts::change_password(&state.db, &session.actor.user_id, current, new).await {
            Ok(()) => {
                state.standings.forget_account(&session.actor.user_id);
                state.throttle.succeeded(&state.db, permit).await?;
                return Ok(see_other(
                    "/login?password_changed=1",
                    &[session::clear_session_cookie(state.secure_cookies)],
                ));
            }
            Err(accounts::PasswordChangeError::WrongPassword) => (
                "current_password",
                "The current password is not right".to_string(),
            ),
            Err(accounts::PasswordChangeError::Invalid(problem)) => ("new_password", {
                let mut text = problem;
                if let Some(first) = text.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                text
            }),
            Err(accounts::PasswordChangeError::Busy(busy)) => return Err(busy.into()),
            Err(accounts::PasswordChangeError::Database(error)) => return Err(error.into()),
        };
    Ok(Page::new("account", "Your account", Some(&session))
        .data(AccountPage::refused(path, message.clone()))
        .errors(vec![ErrorItem::new(path, message)])
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response())
}

async fn home(MaybeSession(session): MaybeSession) -> Response {
    Page::new("home", "Apply for an EtP Scholarship", session.as_ref()).into_response()
}

/// What the privacy notice shows: when it was last updated and how long each record is kept.
#[derive(Serialize)]
struct PrivacyPage {
    retention: Vec<RetentionRow>,
    updated_on: String,
}

/// A row of the privacy notice's retention table: the record and how long it is kept, in words.
#[derive(Serialize)]
struct RetentionRow {
    record: &'static str,
    period: String,
}

async fn privacy(MaybeSession(session): MaybeSession) -> Response {
    let retention = SCHEDULE
        .iter()
        .map(|rule| RetentionRow {
            record: rule.describes,
            period: rule.period_in_words(),
        })
        .collect();
    Page::new("privacy", "Privacy notice", session.as_ref())
        .data(PrivacyPage {
            retention,
            updated_on: crate::notice::updated_on_in_words(),
        })
        .into_response()
}

/// What the contact page shows: the Help Desk's details, from the configuration.
#[derive(Serialize)]
struct ContactPage<'a> {
    helpdesk: &'a crate::config::HelpDesk,
}

async fn contact(State(state): State<AppState>, MaybeSession(session): MaybeSession) -> Response {
    let data = ContactPage {
        helpdesk: &state.helpdesk,
    };
    Page::new("contact", "Contact the Help Desk", session.as_ref())
        .data(data)
        .into_response()
}

/// When the accessibility statement was prepared, and last reviewed: change these with its text.
const STATEMENT_PREPARED_ON: &str = "6 December 2026";
const STATEMENT_REVIEWED_ON: &str = "6 December 2026";

#[derive(Serialize)]
struct AccessibilityPage<'a> {
    helpdesk: &'a crate::config::HelpDesk,
    prepared_on: &'static str,
    reviewed_on: &'static str,
}

/// The accessibility statement, in the form UK public sector bodies publish.
async fn accessibility(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
) -> Response {
    let data = AccessibilityPage {
        helpdesk: &state.helpdesk,
        prepared_on: STATEMENT_PREPARED_ON,
        reviewed_on: STATEMENT_REVIEWED_ON,
    };
    Page::new("accessibility", "Accessibility statement", session.as_ref())
        .data(data)
        .into_response()
}

/// The CSRF token of a form shown before sign-in: the browser's, or a new one set with the page.
fn anonymous_token(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    match session::read_cookie(headers, session::ANONYMOUS_CSRF_COOKIE) {
        Some(token) => (token, None),
        None => {
            let token = session::random_token();
            let cookie = session::anonymous_csrf_cookie(&token, state.secure_cookies);
            (token, Some(cookie))
        }
    }
}

/// An anonymous form page, with its CSRF cookie where the browser has none yet.
pub(super) fn anonymous_page(
    state: &AppState,
    headers: &HeaderMap,
    mut page: Page<'_>,
) -> Response {
    let (token, cookie) = anonymous_token(state, headers);
    page.anonymous_csrf = Some(token);
    let cookies: Vec<(header::HeaderName, String)> = cookie
        .into_iter()
        .map(|cookie| (header::SET_COOKIE, cookie))
        .collect();
    (AppendHeaders(cookies), page).into_response()
}

async fn register_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeSession(session): MaybeSession,
) -> Response {
    if let Some(session) = session {
        return see_other(home_of(&session), &[]);
    }
    anonymous_page(
        &state,
        &headers,
        Page::new("register", "Register to apply", None).data(RegisterPage::default()),
    )
}

async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    check_anonymous_csrf(&headers, &form)?;
    let email = field(&form, "email").unwrap_or_default();
    let full_name = field(&form, "full_name").unwrap_or_default();
    let password = field(&form, "password").unwrap_or_default();
    let values = RegisterValues { email, full_name };
    let address =
        crate::http::extract::client_address(&state.trusted_proxies, &headers, &extensions);
    if let Some(retry_after) = state.throttle.registration(&state.db, address).await? {
        let message = format!(
            "Too many accounts were registered from this network: try again in {}",
            crate::throttle::seconds(retry_after)
        );
        let page = Page::new("register", "Register to apply", None)
            .data(RegisterPage {
                values,
                errors: RegisterErrors {
                    email: Some(message.clone()),
                    ..RegisterErrors::default()
                },
            })
            .errors(vec![ErrorItem::new("email", message)])
            .status(StatusCode::TOO_MANY_REQUESTS);
        let mut response = anonymous_page(&state, &headers, page);
        response.headers_mut().insert(
            header::RETRY_AFTER,
            axum::http::HeaderValue::from(retry_after),
        );
        return Ok(response);
    }
    let problems = match NewAccount::parse(email, full_name, Role::Applicant, password) {
        Ok(account) => match accounts::create(&state.db, account).await {
            Ok(user_id) => {
                let actor = domain::Actor::new(user_id, Role::Applicant);
                let token = session::start(&state.db, &actor).await?;
                let cookie = session::session_cookie(&token, state.secure_cookies);
                return Ok(see_other("/applications", &[cookie]));
            }
            Err(AccountError::EmailTaken) => vec![(
                "email".to_string(),
                "An account with this email address already exists: sign in instead".to_string(),
            )],
            Err(AccountError::Database(error)) => return Err(error.into()),
            Err(AccountError::Busy(busy)) => return Err(busy.into()),
            Err(AccountError::Invalid(_)) => return Err(PageError::Internal),
        },
        Err(problems) => problems
            .into_iter()
            .map(|(field, problem)| (field.clone(), format!("{} {problem}", field_label(&field))))
            .collect(),
    };
    let errors: Vec<ErrorItem> = problems
        .iter()
        .map(|(field, message)| ErrorItem::new(field, message.clone()))
        .collect();
    let mut by_field = RegisterErrors::default();
    for (field, message) in problems {
        match field.as_str() {
            "email" => by_field.email = Some(message),
            "full_name" => by_field.full_name = Some(message),
            _ => by_field.password = Some(message),
        }
    }
    let page = Page::new("register", "Register to apply", None)
        .data(RegisterPage {
            values,
            errors: by_field,
        })
        .errors(errors)
        .status(StatusCode::UNPROCESSABLE_ENTITY);
    Ok(anonymous_page(&state, &headers, page))
}

/// What the registration page shows: the form, with what was typed (never the password) and the message
/// at each field it refused.
#[derive(Serialize, Default)]
struct RegisterPage<'a> {
    values: RegisterValues<'a>,
    errors: RegisterErrors,
}

/// What was typed in the registration form, shown again when it is refused.
#[derive(Serialize, Default)]
struct RegisterValues<'a> {
    email: &'a str,
    full_name: &'a str,
}

/// The registration form's message by field.
#[derive(Serialize, Default)]
struct RegisterErrors {
    email: Option<String>,
    full_name: Option<String>,
    password: Option<String>,
}

fn field_label(field: &str) -> &'static str {
    match field {
        "email" => "Email address",
        "full_name" => "Full name",
        "password" => "Password",
        _ => "This field",
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
    password_changed: Option<String>,
    password_reset: Option<String>,
}

/// What the sign-in page shows: the form, with the email address typed and the message when it was refused,
/// and where to go after signing in.
#[derive(Serialize, Default)]
struct LoginPage<'a> {
    values: LoginValues<'a>,
    errors: LoginErrors<'a>,
    next: Option<&'a str>,
}

/// What was typed in the sign-in form, shown again when it is refused (never the password).
#[derive(Serialize, Default)]
struct LoginValues<'a> {
    email: &'a str,
}

/// The sign-in form's message by field: always at the email address, which never says which was wrong.
#[derive(Serialize, Default)]
struct LoginErrors<'a> {
    email: Option<&'a str>,
    password: Option<&'a str>,
}

impl<'a> LoginPage<'a> {
    fn refused(email: &'a str, message: &'a str, next: Option<&'a str>) -> Self {
        Self {
            values: LoginValues { email },
            errors: LoginErrors {
                email: Some(message),
                password: None,
            },
            next,
        }
    }
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeSession(session): MaybeSession,
    PageQuery(query): PageQuery<LoginQuery>,
) -> Response {
    if let Some(session) = session {
        return see_other(home_of(&session), &[]);
    }
    let next = query
        .next
        .as_deref()
        .and_then(safe_next)
        .map(str::to_string);
    let notice = if query.password_changed.is_some() || query.password_reset.is_some() {
        Some("Your password has been changed: sign in with the new one.".to_string())
    } else if query.signed_out.is_some() {
        Some("You have signed out.".to_string())
    } else {
        None
    };
    let page = Page::new("login", "Sign in", None)
        .data(LoginPage {
            next: next.as_deref(),
            ..LoginPage::default()
        })
        .notice(notice);
    anonymous_page(&state, &headers, page)
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    check_anonymous_csrf(&headers, &form)?;
    let email = field(&form, "email").unwrap_or_default();
    let password = field(&form, "password").unwrap_or_default();
    let next = field(&form, "next").and_then(safe_next).map(str::to_string);
    let address =
        crate::http::extract::client_address(&state.trusted_proxies, &headers, &extensions);
    let outcome = state
        .throttle
        .sign_in(&state.db, email, password, address)
        .await?;
    if let SignIn::Blocked { retry_after } = outcome {
        let message = format!(
            "Too many failed sign-ins for this account or from this network: try again in {}",
            crate::throttle::seconds(retry_after)
        );
        let page = Page::new("login", "Sign in", None)
            .data(LoginPage::refused(email, &message, next.as_deref()))
            .errors(vec![ErrorItem::new("email", message.clone())])
            .status(StatusCode::TOO_MANY_REQUESTS);
        let mut response = anonymous_page(&state, &headers, page);
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(retry_after),
        );
        return Ok(response);
    }
    if let SignIn::Busy = outcome {
        return Err(crate::auth::Busy.into());
    }
    if let SignIn::Accepted(account) = outcome {
        let actor = domain::Actor::new(account.id, account.role);
        let token = session::start(&state.db, &actor).await?;
        let cookie = session::session_cookie(&token, state.secure_cookies);
        let home = navigation(actor.role)
            .first()
            .map(|(href, _)| *href)
            .unwrap_or("/");
        return Ok(see_other(next.as_deref().unwrap_or(home), &[cookie]));
    }
    let message = "Enter the email address and password of your account";
    let page = Page::new("login", "Sign in", None)
        .data(LoginPage::refused(email, message, next.as_deref()))
        .errors(vec![ErrorItem::new("email", message)])
        .status(StatusCode::UNAUTHORIZED);
    Ok(anonymous_page(&state, &headers, page))
}

async fn logout(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    session::end(&state.db, &session).await?;
    Ok(see_other(
        "/login?signed_out=1",
        &[session::clear_session_cookie(state.secure_cookies)],
    ))
}

/// The page a signed-in person starts from.
pub fn home_of(session: &Session) -> &'static str {
    navigation(session.actor.role)
        .first()
        .map(|(href, _)| *href)
        .unwrap_or("/")
}

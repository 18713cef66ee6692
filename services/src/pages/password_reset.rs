//! A forgotten password: the page that asks for a link by email, the page a link opens to set a new
//! password, and the Help Desk's page that gives an applicant a link (`app::password_reset`).
//!
//! The token is in the link's path; the log names routes by their template, never the path itself, and the
//! pages a token opens tell the browser to send no `Referer`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use domain::Role;

use super::public::anonymous_page;
use super::session::{check_anonymous_csrf, field};
use super::{ErrorItem, MaybeSession, Page, PageError, PageForm, PagePath, Session, see_other};
use crate::accounts;
use crate::bus::AppState;
use crate::password_reset::{self, LINK_LIFETIME, Requested, ResetError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/password-reset", get(ask_page).post(ask))
        .route("/password-reset/{token}", get(link).post(use_link))
        .route("/helpdesk/password-reset", get(desk).post(give))
}

/// What the pages say of a link's lifetime.
fn hours() -> i64 {
    LINK_LIFETIME.num_hours()
}

/// What the page that asks for a link shows: the email address typed, and the message when it was refused.
#[derive(Serialize, Default)]
struct AskPage {
    values: Values,
    errors: Errors,
}

/// What was typed in the email address field, shown again when it is refused.
#[derive(Serialize, Default)]
struct Values {
    email: String,
}

/// The forms' messages by field.
#[derive(Serialize, Default)]
struct Errors {
    email: Option<String>,
    new_password: Option<String>,
}

/// What the page that tells of a link sent, or of a link expired, shows: how long a link works, and for a
/// link sent, how to reach the Help Desk.
#[derive(Serialize)]
struct LinkSentPage<'a> {
    hours: i64,
    helpdesk: &'a crate::config::HelpDesk,
}

/// What the page a used, expired or unknown link opens shows: how long a link works.
#[derive(Serialize)]
struct ExpiredPage {
    hours: i64,
}

/// What the page a valid link opens shows: the form for the new password, where it posts, and the
/// password's problem when it was refused.
#[derive(Serialize)]
struct NewPasswordPage {
    action: String,
    errors: Errors,
}

async fn ask_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeSession(session): MaybeSession,
) -> Response {
    if session.is_some() {
        return see_other("/account", &[]);
    }
    let page = Page::new("password_reset", "Reset your password", None).data(AskPage::default());
    anonymous_page(&state, &headers, page)
}

/// Asks for a link: the same page whatever the email, once the request is counted.
async fn ask(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    check_anonymous_csrf(&headers, &form)?;
    let email = field(&form, "email").unwrap_or_default().trim();
    if email.is_empty() || accounts::normalise_email(email).is_err() {
        let message = if email.is_empty() {
            "Enter your email address"
        } else {
            "Enter an email address in the correct format, like name@example.com"
        };
        let page = Page::new("password_reset", "Reset your password", None)
            .data(AskPage {
                values: Values {
                    email: email.to_string(),
                },
                errors: Errors {
                    email: Some(message.to_string()),
                    ..Errors::default()
                },
            })
            .errors(vec![ErrorItem::new("email", message)])
            .status(StatusCode::UNPROCESSABLE_ENTITY);
        return Ok(anonymous_page(&state, &headers, page));
    }
    let address =
        crate::http::extract::client_address(&state.trusted_proxies, &headers, &extensions);
    match password_reset::request(&state, email, address).await? {
        Requested::Heard => Ok(Page::new("password_reset_sent", "Check your email", None)
            .data(LinkSentPage {
                hours: hours(),
                helpdesk: &state.helpdesk,
            })
            .into_response()),
        Requested::Throttled { retry_after } => {
            let message = format!(
                "Too many links were asked for this email address or from this network: try again in {}",
                crate::throttle::seconds(retry_after)
            );
            let page = Page::new("password_reset", "Reset your password", None)
                .data(AskPage {
                    values: Values {
                        email: email.to_string(),
                    },
                    errors: Errors {
                        email: Some(message.clone()),
                        ..Errors::default()
                    },
                })
                .errors(vec![ErrorItem::new("email", message)])
                .status(StatusCode::TOO_MANY_REQUESTS);
            let mut response = anonymous_page(&state, &headers, page);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            Ok(response)
        }
    }
}

/// The page a used, expired or unknown link opens.
fn expired_page() -> Response {
    no_referrer(
        Page::new("password_reset_expired", "This link has expired", None)
            .data(ExpiredPage { hours: hours() })
            .status(StatusCode::GONE)
            .into_response(),
    )
}

/// A page whose address holds a token: the browser sends no `Referer` from it.
fn no_referrer(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn new_password_form(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    error: Option<String>,
) -> Response {
    let mut page =
        Page::new("password_reset_new", "Choose a new password", None).data(NewPasswordPage {
            action: password_reset::path_of(token),
            errors: Errors {
                new_password: error.clone(),
                ..Errors::default()
            },
        });
    if let Some(message) = error {
        page = page
            .errors(vec![ErrorItem::new("new_password", message)])
            .status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    no_referrer(anonymous_page(state, headers, page))
}

async fn link(
    State(state): State<AppState>,
    headers: HeaderMap,
    PagePath(token): PagePath<String>,
) -> Result<Response, PageError> {
    if password_reset::account_of(&state.db, &token)
        .await?
        .is_none()
    {
        return Ok(expired_page());
    }
    Ok(new_password_form(&state, &headers, &token, None))
}

/// Sets the new password; the person then signs in with it.
async fn use_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    PagePath(token): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    check_anonymous_csrf(&headers, &form)?;
    let new = field(&form, "new_password").unwrap_or_default();
    match password_reset::reset(&state.db, &token, new).await {
        Ok(user_id) => {
            state.standings.forget_account(&user_id);
            Ok(see_other("/login?password_reset=1", &[]))
        }
        Err(ResetError::Expired) => Ok(expired_page()),
        Err(ResetError::Invalid(problem)) => Ok(new_password_form(
            &state,
            &headers,
            &token,
            Some(super::capitalise(&problem)),
        )),
        Err(ResetError::Busy(busy)) => Err(busy.into()),
        Err(ResetError::Database(error)) => Err(error.into()),
    }
}

/// What the Help Desk's page shows: whether links are emailed, how long one works, the form, and after a
/// link is given, the account's address and the link itself where it is shown rather than emailed.
#[derive(Serialize)]
struct HelpdeskPage {
    mail: bool,
    hours: i64,
    values: Values,
    errors: Errors,
    email: Option<String>,
    link: Option<String>,
    emailed: bool,
}

impl HelpdeskPage {
    fn new(state: &AppState) -> Self {
        Self {
            mail: state.mailer.is_some(),
            hours: hours(),
            values: Values::default(),
            errors: Errors::default(),
            email: None,
            link: None,
            emailed: false,
        }
    }
}

const HELPDESK_TITLE: &str = "Give an applicant a password reset link";

async fn desk(State(state): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.require(&[Role::Helpdesk])?;
    Ok(
        Page::new("helpdesk_password_reset", HELPDESK_TITLE, Some(&session))
            .data(HelpdeskPage::new(&state))
            .into_response(),
    )
}

/// The Help Desk gives an applicant a link: emailed to the account's address where a mail server is set
/// up, otherwise shown once on this page to be read out or sent. Only an applicant's account: staff
/// accounts are the administrator's.
async fn give(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    session.require(&[Role::Helpdesk])?;
    let email = field(&form, "email").unwrap_or_default().trim().to_string();
    let account = if email.is_empty() {
        None
    } else {
        accounts::find_by_email(&state.db, &email)
            .await?
            .filter(|account| account.role == Role::Applicant)
    };
    let mut data = HelpdeskPage::new(&state);
    let Some(account) = account else {
        let message = if email.is_empty() {
            "Enter the email address of the applicant's account"
        } else {
            "No applicant's account uses this email address: check it with the applicant"
        };
        data.values.email = email;
        data.errors.email = Some(message.to_string());
        return Ok(
            Page::new("helpdesk_password_reset", HELPDESK_TITLE, Some(&session))
                .data(data)
                .errors(vec![ErrorItem::new("email", message)])
                .status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response(),
        );
    };
    let token = password_reset::issue(&state.db, &account.id).await?;
    let link = password_reset::link_of(&state, &token);
    data.email = Some(account.email.clone());
    match &state.mailer {
        Some(mailer) => {
            password_reset::send_link(mailer.clone(), account.email, link);
            data.emailed = true;
        }
        None => data.link = Some(link),
    }
    let mut response = Page::new("helpdesk_password_reset", HELPDESK_TITLE, Some(&session))
        .data(data)
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(no_referrer(response))
}

//! The administrator's pages: an overview (`/admin`), the cycles with their terms (`/cycles`: dates, blind
//! review, screening rules, conclusion) and the staff accounts (`/users`: add, change role, disable). The
//! register of recipients is `sharing.rs`. A cycle's terms are read from the form by the same parser as the
//! API's body (`http::cycles::TermsBody`), and set by the same command.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use domain::Role;
use domain::cycle::{CycleCommand, CycleName};

use super::session::field;
use super::{
    DateParts, ErrorItem, Page, PageError, PageForm, PagePath, PageQuery, Session, posted_date,
    see_other,
};
use crate::accounts::{self, NewAccount, StaffChangeError};
use crate::bus::AppState;
use crate::error::AppError;
use crate::http::cycles::TermsBody;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview))
        .route("/cycles", get(cycles_page).post(set_terms))
        .route("/users", get(users_page).post(add_user))
        .route("/users/{id}", post(change_user))
}

/// The staff roles an administrator gives, in the words the pages use.
const STAFF_ROLES: [(Role, &str); 5] = [
    (Role::ProgrammeOfficer, "Programme officer"),
    (Role::CommitteeMember, "Committee member"),
    (Role::Helpdesk, "Help Desk"),
    (Role::InformationOfficer, "Information officer"),
    (Role::Admin, "Administrator"),
];

/// A password-reset link an administrator issued for a member of staff, shown once where no mail server
/// is set up (to pass on by a way the administrator trusts), with whose it is.
#[derive(Serialize)]
struct ResetShown {
    full_name: String,
    link: String,
}

fn role_in_words(role: Role) -> &'static str {
    STAFF_ROLES
        .iter()
        .find(|(r, _)| *r == role)
        .map_or("Applicant", |(_, words)| words)
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn overview(State(state): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.require(&[Role::Admin])?;
    let cycles = projections::cycles::list(&state.db)
        .await
        .map_err(AppError::from)?
        .len();
    let staff = accounts::staff_accounts(&state.db)
        .await
        .map_err(AppError::from)?;
    let active = staff.iter().filter(|a| a.disabled_at.is_none()).count();
    let recipients = projections::recipients::list(&state.db)
        .await
        .map_err(AppError::from)?
        .len();
    /// The context of `admin.hbs`: how many cycles have terms, how many staff accounts are open and how
    /// many disabled, and how many recipients are registered.
    #[derive(Serialize)]
    struct Overview {
        cycles: usize,
        staff: usize,
        disabled: usize,
        recipients: usize,
    }
    Ok(Page::new("admin", "Administration", Some(&session))
        .data(Overview {
            cycles,
            staff: active,
            disabled: staff.len() - active,
            recipients,
        })
        .into_response())
}

/// A cycle as the cycles page lists it, in words.
#[derive(Serialize)]
struct CycleRow {
    name: String,
    opens_on: String,
    closes_on: String,
    blind_review: bool,
    screening: Vec<String>,
    concluded_on: Option<String>,
}

/// The form to set a cycle's terms: what was typed, and each field's error.
#[derive(Serialize, Default)]
struct TermsForm {
    cycle: String,
    opens_on: DateParts,
    closes_on: DateParts,
    blind_review: bool,
    eligible_nationalities: String,
    undergraduate_degree: bool,
    minimum_work_years: String,
    return_home_commitment: bool,
    errors: std::collections::BTreeMap<String, String>,
}

async fn cycles_page(
    State(state): State<AppState>,
    session: Session,
    PageQuery(done): PageQuery<Done>,
) -> Result<Response, PageError> {
    session.require(&[Role::Admin])?;
    let notice = done
        .done
        .map(|cycle| format!("The terms of the {cycle} cycle have been set."));
    render_cycles(&state, &session, TermsForm::default(), Vec::new(), notice).await
}

async fn render_cycles(
    state: &AppState,
    session: &Session,
    form: TermsForm,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let long = |day: chrono::NaiveDate| day.format("%-d %B %Y").to_string();
    let mut rows = Vec::new();
    for view in projections::cycles::list(&state.db)
        .await
        .map_err(AppError::from)?
    {
        let terms = &view.terms;
        let rules = &terms.screening;
        let mut screening = Vec::new();
        match &rules.eligible_nationalities {
            Some(countries) => screening.push(format!(
                "Nationalities: {}",
                countries
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => screening.push("Every nationality".to_string()),
        }
        if rules.undergraduate_degree {
            screening.push("An undergraduate degree".to_string());
        }
        if let Some(years) = rules.minimum_work_years {
            screening.push(format!("At least {years} years of work"));
        }
        if rules.return_home_commitment {
            screening.push("A commitment to return home for two years".to_string());
        }
        let concluded_on = projections::cycles::conclusion(&state.db, &view.name)
            .await
            .map_err(AppError::from)?
            .map(|c| long(c.concluded_on));
        rows.push(CycleRow {
            name: view.name.clone(),
            opens_on: long(terms.opens_on),
            closes_on: long(terms.closes_on),
            blind_review: terms.blind_review,
            screening,
            concluded_on,
        });
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    /// The context of `cycles.hbs`: each cycle's terms, and the form to set them.
    #[derive(Serialize)]
    struct CyclesPage {
        cycles: Vec<CycleRow>,
        form: TermsForm,
    }
    Ok(Page::new("cycles", "Cycles", Some(session))
        .data(CyclesPage { cycles: rows, form })
        .errors(errors)
        .notice(notice)
        .status(status)
        .into_response())
}

/// Each field's message when what was typed cannot be read, in the words of the page.
fn terms_message(path: &str) -> &'static str {
    match path {
        "cycle" => "Enter the cycle as two years, for example 2027-28",
        "opens_on" => "Enter the day the cycle opens",
        "closes_on" => "Enter the day the cycle closes",
        "minimum_work_years" => "Enter the years of work as a whole number from 0 to 40",
        _ if path.starts_with("eligible_nationalities") => {
            "Enter each nationality by its English short name, one on each line, for example Kenya"
        }
        _ => "Check this answer",
    }
}

async fn set_terms(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let actor = session.require(&[Role::Admin])?.clone();
    let text = |name: &str| field(&form, name).unwrap_or_default().trim().to_string();
    let ticked = |name: &str| field(&form, name) == Some("yes");
    let typed = TermsForm {
        cycle: text("cycle"),
        opens_on: DateParts::posted(&form, "opens_on"),
        closes_on: DateParts::posted(&form, "closes_on"),
        blind_review: ticked("blind_review"),
        eligible_nationalities: text("eligible_nationalities"),
        undergraduate_degree: ticked("undergraduate_degree"),
        minimum_work_years: text("minimum_work_years"),
        return_home_commitment: ticked("return_home_commitment"),
        errors: Default::default(),
    };
    let mut problems: Vec<String> = Vec::new();
    // A date whose parts do not make one has its own message, "The day the cycle opens must include a
    // month"; an empty one is the terms' to refuse.
    let mut date_messages = std::collections::BTreeMap::new();
    let mut date = |name: &str, label: &str| match posted_date(&form, name) {
        Ok(day) => day.unwrap_or_default(),
        Err(problem) => {
            date_messages.insert(name.to_string(), format!("{label} {problem}"));
            String::new()
        }
    };
    let opens_on = date("opens_on", "The day the cycle opens");
    let closes_on = date("closes_on", "The day the cycle closes");
    let cycle = CycleName::parse(&typed.cycle).map_err(|_| problems.push("cycle".to_string()));
    let years = if typed.minimum_work_years.is_empty() {
        Ok(None)
    } else {
        typed
            .minimum_work_years
            .parse::<u32>()
            .ok()
            .filter(|years| *years <= 40)
            .map(Some)
            .ok_or(())
    };
    if years.is_err() {
        problems.push("minimum_work_years".to_string());
    }
    let nationalities: Vec<String> = typed
        .eligible_nationalities
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect();
    let body = TermsBody {
        opens_on,
        closes_on,
        blind_review: typed.blind_review,
        eligible_nationalities: (!nationalities.is_empty()).then_some(nationalities),
        undergraduate_degree: typed.undergraduate_degree,
        minimum_work_years: years.unwrap_or(None),
        return_home_commitment: typed.return_home_commitment,
    };
    let terms = body.terms().map_err(|found| {
        for problem in found {
            let path = if problem.path.starts_with("eligible_nationalities") {
                "eligible_nationalities".to_string()
            } else {
                problem.path
            };
            if !problems.contains(&path) {
                problems.push(path);
            }
        }
    });
    let mut closes_before_opening = false;
    if let (Ok(cycle), Ok(terms), true) = (cycle, terms, problems.is_empty()) {
        if terms.closes_on < terms.opens_on {
            closes_before_opening = true;
            problems.push("closes_on".to_string());
        } else {
            state
                .execute_cycle(
                    &actor,
                    CycleCommand::SetTerms {
                        cycle: cycle.clone(),
                        terms,
                    },
                )
                .await?;
            return Ok(see_other(&format!("/cycles?done={cycle}"), &[]));
        }
    }
    let mut typed = typed;
    let mut errors = Vec::new();
    for path in problems {
        let message = match date_messages.remove(&path) {
            Some(message) => message,
            None if path == "closes_on" && closes_before_opening => {
                "The day the cycle closes must be on or after the day it opens".to_string()
            }
            None => terms_message(&path).to_string(),
        };
        errors.push(ErrorItem::new(&path, message.clone()));
        typed.errors.insert(path, message);
    }
    render_cycles(&state, &session, typed, errors, None).await
}

/// A staff account as the page lists it.
#[derive(Serialize)]
struct UserRow {
    id: String,
    full_name: String,
    email: String,
    role: &'static str,
    last_sign_in: Option<String>,
    disabled_on: Option<String>,
    is_you: bool,
    roles: Vec<RoleOption>,
}

#[derive(Serialize)]
struct RoleOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn role_options(current: Option<Role>) -> Vec<RoleOption> {
    STAFF_ROLES
        .iter()
        .map(|(role, label)| RoleOption {
            value: role.as_str(),
            label,
            selected: Some(*role) == current,
        })
        .collect()
}

/// The form to add a staff account: what was typed, and each field's error.
#[derive(Serialize, Default)]
struct UserForm {
    full_name: String,
    email: String,
    errors: std::collections::BTreeMap<String, String>,
}

async fn users_page(
    State(state): State<AppState>,
    session: Session,
    PageQuery(done): PageQuery<Done>,
) -> Result<Response, PageError> {
    session.require(&[Role::Admin])?;
    let notice = done.done.map(|done| match done.as_str() {
        "added" => "The staff account has been added. It has no password yet: give them a link to set \
                    one with \u{201c}Password link\u{201d}, or ask them to use \u{201c}Forgotten your \
                    password?\u{201d} on the sign-in page."
            .to_string(),
        "disabled" => "The account has been disabled: it was signed out everywhere.".to_string(),
        _ => {
            "The role has been changed: the account was signed out, and has the new role from its \
              next sign-in."
                .to_string()
        }
    });
    render_users(
        &state,
        &session,
        UserForm::default(),
        None,
        Vec::new(),
        notice,
    )
    .await
}

async fn render_users(
    state: &AppState,
    session: &Session,
    form: UserForm,
    role: Option<Role>,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    render_users_with(state, session, form, role, errors, notice, None).await
}

async fn render_users_with(
    state: &AppState,
    session: &Session,
    form: UserForm,
    role: Option<Role>,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
    reset: Option<ResetShown>,
) -> Result<Response, PageError> {
    let long = |at: chrono::DateTime<chrono::Utc>| at.format("%-d %B %Y").to_string();
    let users: Vec<UserRow> = accounts::staff_accounts(&state.db)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|account| UserRow {
            is_you: account.id == session.actor.user_id,
            roles: role_options(Some(account.role)),
            id: account.id,
            full_name: account.full_name,
            email: account.email,
            role: role_in_words(account.role),
            last_sign_in: account.last_sign_in_at.map(long),
            disabled_on: account.disabled_at.map(long),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    /// The context of `users.hbs`: the staff accounts, the form to add one with the roles to choose from,
    /// and a password link shown once.
    #[derive(Serialize)]
    struct UsersPage {
        users: Vec<UserRow>,
        form: UserForm,
        roles: Vec<RoleOption>,
        reset: Option<ResetShown>,
    }
    let shows_link = reset.is_some();
    let data = UsersPage {
        users,
        form,
        roles: role_options(role),
        reset,
    };
    let mut response = Page::new("users", "Staff accounts", Some(session))
        .data(data)
        .errors(errors)
        .notice(notice)
        .status(status)
        .into_response();
    if shows_link {
        // The link opens the account: no cache keeps the page, and no link followed from it is told of it.
        let headers = response.headers_mut();
        headers.insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        headers.insert(
            axum::http::header::REFERRER_POLICY,
            axum::http::HeaderValue::from_static("no-referrer"),
        );
    }
    Ok(response)
}

async fn add_user(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    session.require(&[Role::Admin])?;
    let mut typed = UserForm {
        full_name: field(&form, "full_name")
            .unwrap_or_default()
            .trim()
            .to_string(),
        email: field(&form, "email").unwrap_or_default().trim().to_string(),
        errors: Default::default(),
    };
    let role = field(&form, "role")
        .and_then(Role::parse)
        .filter(|role| *role != Role::Applicant);
    let mut problems: Vec<(&str, &str)> = Vec::new();
    if role.is_none() {
        problems.push(("role", "Select the account's role"));
    }
    // The new member of staff sets their own password by the emailed link; until then none opens it.
    let mut secret = [0u8; 32];
    rand::RngExt::fill(&mut rand::rng(), &mut secret);
    let unusable = hex::encode(secret);
    match NewAccount::parse(
        &typed.email,
        &typed.full_name,
        role.unwrap_or(Role::Helpdesk),
        &unusable,
    ) {
        Ok(account) if problems.is_empty() => match accounts::create(&state.db, account).await {
            Ok(id) => {
                tracing::info!(account = %id, "a staff account was added");
                return Ok(see_other("/users?done=added", &[]));
            }
            Err(accounts::AccountError::EmailTaken) => {
                problems.push(("email", "An account already uses this email address"));
            }
            Err(other) => return Err(AppError::internal(other).into()),
        },
        Ok(_) => {}
        Err(found) => {
            for (path, _) in found {
                match path.as_str() {
                    "email" => problems.push((
                        "email",
                        "Enter an email address in the correct format, like name@example.org",
                    )),
                    "full_name" => problems
                        .push(("full_name", "Enter their full name, at most 200 characters")),
                    _ => {}
                }
            }
        }
    }
    let mut errors = Vec::new();
    for (path, message) in problems {
        errors.push(ErrorItem::new(path, message));
        typed.errors.insert(path.to_string(), message.to_string());
    }
    render_users(&state, &session, typed, role, errors, None).await
}

async fn change_user(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let actor = session.require(&[Role::Admin])?.clone();
    if field(&form, "action") == Some("reset") {
        return reset_link(&state, &session, &id).await;
    }
    let (role, done) = match field(&form, "action") {
        Some("disable") => (None, "disabled"),
        _ => match field(&form, "role").and_then(Role::parse) {
            Some(role) if role != Role::Applicant => (Some(role), "role"),
            _ => {
                let errors = vec![ErrorItem::new("role", "Select the account's role")];
                return render_users(&state, &session, UserForm::default(), None, errors, None)
                    .await;
            }
        },
    };
    match accounts::change_staff_account(&state.db, &actor.user_id, &id, role).await {
        Ok(()) => {
            state.standings.forget_account(&id);
            tracing::info!(account = %id, change = done, "a staff account was changed");
            Ok(see_other(&format!("/users?done={done}"), &[]))
        }
        Err(StaffChangeError::NotFound) => Err(PageError::NotFound),
        Err(StaffChangeError::OwnAccount) => {
            let errors = vec![ErrorItem::elsewhere(
                "#staff-accounts".to_string(),
                "You cannot change your own role or disable your own account: ask another administrator",
            )];
            render_users(&state, &session, UserForm::default(), None, errors, None).await
        }
        Err(StaffChangeError::Store(error)) => Err(AppError::from(error).into()),
    }
}

/// A password-reset link for a member of staff: emailed to the account's address where a mail server is set
/// up, otherwise shown once on the page. The link is the one the sign-in page's "Forgotten your password?"
/// sends (single-use, expiring: `app/src/password_reset.rs`). A disabled account gets none.
async fn reset_link(state: &AppState, session: &Session, id: &str) -> Result<Response, PageError> {
    let account = accounts::find(&state.db, id)
        .await
        .map_err(AppError::from)?
        .filter(|account| account.role != Role::Applicant)
        .ok_or(PageError::NotFound)?;
    if accounts::is_disabled(&state.db, &account.id)
        .await
        .map_err(AppError::from)?
    {
        let errors = vec![ErrorItem::elsewhere(
            "#staff-accounts".to_string(),
            "A disabled account gets no password link: it signs in no more",
        )];
        return render_users(state, session, UserForm::default(), None, errors, None).await;
    }
    let token = crate::password_reset::issue(&state.db, &account.id)
        .await
        .map_err(AppError::from)?;
    let link = crate::password_reset::link_of(state, &token);
    tracing::info!(account = %account.id, "a password link was issued for a staff account");
    match &state.mailer {
        Some(mailer) => {
            crate::password_reset::send_link(mailer.clone(), account.email.clone(), link);
            let notice = format!(
                "A link to set a new password was emailed to {}. It works once, within an hour.",
                account.email
            );
            render_users(
                state,
                session,
                UserForm::default(),
                None,
                Vec::new(),
                Some(notice),
            )
            .await
        }
        None => {
            let shown = ResetShown {
                full_name: account.full_name,
                link,
            };
            render_users_with(
                state,
                session,
                UserForm::default(),
                None,
                Vec::new(),
                None,
                Some(shown),
            )
            .await
        }
    }
}

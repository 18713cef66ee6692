//! Pages of sharing and publishing: the register of recipients, and the Alumni Open Book for print and as
//! a spreadsheet, each produced from its projection at the moment it is asked for and dated.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use domain::Role;
use domain::country::Country;
use domain::recipient::{RecipientCommand, RecipientKind};
use projections::{publishing, recipients};

use super::session::field;
use super::{
    Choice, ErrorItem, MaybeSession, Page, PageError, PageForm, PageQuery, Session, see_other,
};
use crate::bus::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recipients", get(register_page).post(register))
        .route("/alumni/open-book", get(open_book))
        .route("/alumni/open-book.csv", get(open_book_csv))
}

const READERS: [Role; 3] = [
    Role::Admin,
    Role::ProgrammeOfficer,
    Role::InformationOfficer,
];

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn register_page(
    State(state): State<AppState>,
    session: Session,
    PageQuery(done): PageQuery<Done>,
) -> Result<Response, PageError> {
    session.require(&READERS)?;
    let notice = done
        .done
        .map(|_| "The recipient has been registered.".to_string());
    recipients_page(
        &state,
        &session,
        Vec::new(),
        RecipientValues::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// The context of `recipients.hbs`: the register, and for an administrator the form to add to it with what
/// was typed and each field's message.
#[derive(Serialize)]
struct RecipientsPage<'a> {
    recipients: Vec<RecipientRow>,
    kinds: Vec<Choice>,
    can_register: bool,
    values: &'a RecipientValues,
    /// Each refused field's message, by the field's name.
    errors: BTreeMap<String, String>,
}

/// A registered recipient, and whether it was registered before recipients said whom they represent and
/// where they stand (it then receives nothing).
#[derive(Serialize)]
struct RecipientRow {
    name: String,
    kind: &'static str,
    country: String,
    represents: Option<String>,
    located_in: Option<String>,
    receives_nothing: bool,
}

/// What was typed in the form to register a recipient.
#[derive(Serialize, Default)]
struct RecipientValues {
    name: String,
    kind: String,
    country: String,
    represents: String,
    located_in: String,
}

async fn recipients_page(
    state: &AppState,
    session: &Session,
    errors: Vec<ErrorItem>,
    values: RecipientValues,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let list: Vec<RecipientRow> = recipients::list(&state.db)
        .await?
        .into_iter()
        .map(|r| RecipientRow {
            receives_nothing: (r.kind == RecipientKind::StudyCountryEmbassy
                && r.represents.is_none())
                || (r.kind == RecipientKind::HomeCountryMission && r.located_in.is_none()),
            kind: r.kind.describe(),
            name: r.name,
            country: r.country,
            represents: r.represents,
            located_in: r.located_in,
        })
        .collect();
    let kinds: Vec<Choice> = RecipientKind::ALL
        .iter()
        .map(|kind| Choice::new(kind.as_str(), kind.describe(), values.kind == kind.as_str()))
        .collect();
    let by_field: BTreeMap<String, String> = errors
        .iter()
        .map(|e| {
            (
                e.href.trim_start_matches("#recipient_").to_string(),
                e.message.clone(),
            )
        })
        .collect();
    Ok(
        Page::new("recipients", "Recipients of personal data", Some(session))
            .data(RecipientsPage {
                recipients: list,
                kinds,
                can_register: session.actor.role == Role::Admin,
                values: &values,
                errors: by_field,
            })
            .errors(errors)
            .notice(notice)
            .status(status)
            .into_response(),
    )
}

async fn register(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let actor = session.require(&[Role::Admin])?.clone();
    let name = field(&form, "name").unwrap_or_default().to_string();
    let kind_name = field(&form, "kind").unwrap_or_default();
    let country_name = field(&form, "country").unwrap_or_default();
    let represents_name = field(&form, "represents").unwrap_or_default().trim();
    let located_in_name = field(&form, "located_in").unwrap_or_default().trim();
    let values = RecipientValues {
        name: name.clone(),
        kind: kind_name.to_string(),
        country: country_name.to_string(),
        represents: represents_name.to_string(),
        located_in: located_in_name.to_string(),
    };
    let mut errors = Vec::new();
    let mut optional_country = |id: &str, raw: &str| -> Option<Country> {
        if raw.is_empty() {
            return None;
        }
        let country = Country::parse(raw);
        if country.is_none() {
            errors.push(ErrorItem::new(
                id,
                "Enter a country by its English short name, such as Kenya",
            ));
        }
        country
    };
    let represents = optional_country("recipient_represents", represents_name);
    let located_in = optional_country("recipient_located_in", located_in_name);
    let kind = RecipientKind::parse(kind_name);
    if kind.is_none() {
        errors.push(ErrorItem::new(
            "recipient_kind",
            "Choose the kind of recipient",
        ));
    }
    let country = Country::parse(country_name);
    if country.is_none() {
        errors.push(ErrorItem::new(
            "recipient_country",
            "Enter a country by its English short name, such as Kenya",
        ));
    }
    if name.trim().is_empty() {
        errors.push(ErrorItem::new(
            "recipient_name",
            "Enter the recipient's name",
        ));
    }
    let (Some(kind), Some(country), true) = (kind, country, errors.is_empty()) else {
        return recipients_page(
            &state,
            &session,
            errors,
            values,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let id = uuid::Uuid::now_v7().to_string();
    match state
        .execute_recipient(
            &id,
            &actor,
            RecipientCommand::RegisterRecipient {
                name,
                kind,
                country,
                represents,
                located_in,
            },
        )
        .await
        .map_err(crate::http::error::ApiError::from)
    {
        Ok(()) => Ok(see_other("/recipients?done=1", &[])),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let field = error
                .extra
                .get("problems")
                .and_then(|problems| problems.get(0))
                .and_then(|problem| problem.get("path"))
                .and_then(|path| path.as_str())
                .unwrap_or("name")
                .to_string();
            let errors = vec![ErrorItem::new(
                &format!("recipient_{field}"),
                super::capitalise(&error.message),
            )];
            recipients_page(&state, &session, errors, values, None, error.status).await
        }
        Err(error) => Err(error.into()),
    }
}

/// The context of `open_book.hbs`: the alumni the policy lets us publish, and the day the list was made.
#[derive(Serialize)]
struct OpenBook {
    entries: Vec<publishing::OpenBookEntry>,
    as_at: String,
}

/// The Alumni Open Book, for reading and printing, as it stands now.
async fn open_book(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
) -> Result<Response, PageError> {
    let entries = publishing::open_book(&state.db).await?;
    let today = Utc::now().date_naive();
    Ok(Page::new("open_book", "Alumni Open Book", session.as_ref())
        .data(OpenBook {
            entries,
            as_at: today.format("%-d %B %Y").to_string(),
        })
        .into_response())
}

/// A spreadsheet cell: quoted where needed, and never read as a formula by a spreadsheet program.
fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The Alumni Open Book as CSV. Its first line names the day it was produced.
async fn open_book_csv(State(state): State<AppState>) -> Result<Response, PageError> {
    let entries = publishing::open_book(&state.db).await?;
    let today = Utc::now().date_naive();
    let mut csv = format!(
        "Alumni Open Book as at {today}\r\nname,subject,institution,level,outcome,year,country\r\n"
    );
    for entry in entries {
        let row = [
            entry.full_name.as_str(),
            &entry.subject,
            &entry.institution,
            &entry.level,
            &entry.outcome,
            &entry.year.to_string(),
            &entry.country,
        ]
        .map(csv_cell)
        .join(",");
        csv.push_str(&row);
        csv.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"alumni-open-book-{today}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_cell("-1+1"), "'-1+1");
    }
}

//! The letters on an application's pages: listed on the applicant's page and the case page, each opened
//! as the document that was issued (`/applications/{id}/letters/{n}`, `/cases/{id}/letters/{n}`, the n-th
//! letter, oldest first).

use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use domain::application::LetterKind;
use projections::application_view::{ApplicationView, LetterEmail, LetterView};

use super::PageError;

/// What a letter tells of, in words.
fn kind_text(kind: LetterKind) -> &'static str {
    match kind {
        LetterKind::Selected => "You have been selected",
        LetterKind::Reserve => "On the reserve list",
        LetterKind::Unsuccessful => "The outcome of the application",
        LetterKind::Award => "The award",
        LetterKind::Offer => "The offer of a scholarship",
        LetterKind::OfferAccepted => "The offer accepted",
        LetterKind::OfferLapsed => "The offer lapsed",
    }
}

/// Where its email stands, in words.
fn email_text(letter: &LetterView) -> String {
    match letter.email() {
        LetterEmail::NotSent => "Not sent by email: shown here only".to_string(),
        LetterEmail::Pending => "Being sent by email".to_string(),
        LetterEmail::Sent => match letter.emailed_at {
            Some(at) => format!("Sent by email on {}", at.format("%-d %B %Y")),
            None => "Sent by email".to_string(),
        },
        LetterEmail::Failed => match &letter.email_failure {
            Some((reason, _)) => format!("Could not be sent by email: {reason}"),
            None => "Could not be sent by email".to_string(),
        },
    }
}

/// The application's letters for a page, each with its address under `base` (`/applications/{id}`).
pub(crate) fn listed(view: &ApplicationView, base: &str) -> Vec<Value> {
    view.letters
        .iter()
        .enumerate()
        .map(|(i, letter)| {
            json!({
                "href": format!("{base}/letters/{}", i + 1),
                "subject": letter.subject,
                "kind": kind_text(letter.kind),
                "issued_on": letter.issued_at.format("%-d %B %Y").to_string(),
                "email": email_text(letter),
            })
        })
        .collect()
}

/// The n-th letter (from 1) as it was issued: the HTML document rendered from the template when it was.
pub(crate) fn document(view: &ApplicationView, number: &str) -> Result<Response, PageError> {
    let letter = number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| view.letters.get(i))
        .ok_or(PageError::NotFound)?;
    let body = letter.body.clone().ok_or(PageError::NotFound)?;
    Ok(Html(body).into_response())
}

//! The letters on an application's pages: listed on the applicant's page and the case page, each opened
//! as the document that was issued (`/applications/{id}/letters/{n}`, `/cases/{id}/letters/{n}`, the n-th
//! letter, oldest first).

use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use domain::Role;
use domain::application::LetterKind;
use projections::application_view::{ApplicationView, LetterEmail, LetterView};

use super::{Link, PageError};

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

/// A letter in the table of an application's letters: where it opens, its subject, what it tells of, when
/// it was issued and where its email stands.
#[derive(Serialize)]
pub(crate) struct LetterRow<'a> {
    href: String,
    subject: Option<&'a str>,
    kind: &'static str,
    issued_on: String,
    email: String,
}

/// The application's letters for a page, each with its address under `base` (`/applications/{id}`).
pub(crate) fn listed<'a>(view: &'a ApplicationView, base: &str) -> Vec<LetterRow<'a>> {
    view.letters
        .iter()
        .enumerate()
        .map(|(i, letter)| LetterRow {
            href: format!("{base}/letters/{}", i + 1),
            subject: letter.subject.as_deref(),
            kind: kind_text(letter.kind),
            issued_on: letter.issued_at.format("%-d %B %Y").to_string(),
            email: email_text(letter),
        })
        .collect()
}

/// What the header put before a letter shows: the menu of the reader's role and the link back.
#[derive(Serialize)]
struct LetterHeader<'a> {
    nav: Vec<Link<'a>>,
    back: Link<'a>,
}

/// The n-th letter (from 1) as it was issued: the HTML document rendered from the template when it was,
/// with the site's header and a link back (`back`: where, and its words) put in before the letter, so the
/// reader is never left on a page with no way on. The letter itself is unchanged (and its PDF is made from
/// it alone).
pub(crate) fn document(
    view: &ApplicationView,
    number: &str,
    role: Role,
    back: (&str, &str),
) -> Result<Response, PageError> {
    let letter = number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| view.letters.get(i))
        .ok_or(PageError::NotFound)?;
    let body = letter.body.clone().ok_or(PageError::NotFound)?;
    let nav = super::navigation(role);
    let context = LetterHeader {
        nav: nav
            .iter()
            .map(|&(href, label)| Link { href, label })
            .collect(),
        back: Link {
            href: back.0,
            label: back.1,
        },
    };
    let header = crate::templates::render("letter_header", &context).map_err(|error| {
        tracing::error!(cause = %error, "a letter's header could not be rendered");
        PageError::Internal
    })?;
    Ok(Html(with_header(&body, &header)).into_response())
}

/// The letter's document with `header` just inside its `<body>`, and its `<main>` the skip link's target.
fn with_header(body: &str, header: &str) -> String {
    match body.find("<body>") {
        Some(at) => {
            let (head, rest) = body.split_at(at + "<body>".len());
            let rest = rest.replacen("<main class=", "<main id=\"main\" class=", 1);
            format!("{head}\n{header}{rest}")
        }
        None => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_goes_just_inside_the_body_and_the_letter_is_unchanged() {
        let letter = "<html><head></head><body>\n<main class=\"container letter\"><p>Dear Test,</p></main></body></html>";
        let shown = with_header(letter, "<header>H</header>");
        assert!(shown.starts_with("<html><head></head><body>\n<header>H</header>"));
        assert!(
            shown.contains("<main id=\"main\" class=\"container letter\"><p>Dear Test,</p></main>")
        );
        assert_eq!(with_header("no body", "<header>H</header>"), "no body");
    }
}

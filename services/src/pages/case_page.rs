//! The case page as a caseworker reads it: a summary at the top (reference, name, status in words, key
//! dates, decision, award and flags), then a sub-navigation of five panels (Application, Committee, Award,
//! Disclosures, History; `?tab=`), each with the actions that belong to it, offered only when the case's
//! status and the viewer's role allow them. Actions that send a letter or cannot be undone are confirmed on
//! a page of their own first ([`confirmation`]).

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use domain::access::{Section, View, view_of};
use domain::application::aggregate::DISCLOSABLE_FIELDS;
use domain::application::events::AwardTerms;
use domain::application::form::PersonalField;
use domain::application::{ApplicationCommand, ApplicationEvent, LetterKind, Status};
use domain::recipient::RecipientKind;
use domain::{Actor, Role};
use projections::application_view::ApplicationView;
use projections::{immigration_records, recipients};

use super::applicant::{label_for, shown_answers};
use super::{DateParts, ErrorItem, Page, PageError, Session};
use crate::accounts;
use crate::bus::AppState;
use crate::http::error::ApiError;
use crate::words;

/// A panel of the case page, named in its address (`/cases/{id}?tab=history`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Application,
    Committee,
    Award,
    Disclosures,
    History,
}

impl Tab {
    const ALL: [Tab; 5] = [
        Tab::Application,
        Tab::Committee,
        Tab::Award,
        Tab::Disclosures,
        Tab::History,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Tab::Application => "application",
            Tab::Committee => "committee",
            Tab::Award => "award",
            Tab::Disclosures => "disclosures",
            Tab::History => "history",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Application => "Application",
            Tab::Committee => "Committee",
            Tab::Award => "Award",
            Tab::Disclosures => "Disclosures",
            Tab::History => "History",
        }
    }

    pub fn parse(name: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|tab| tab.as_str() == name)
    }

    /// The panel whose form posts this action: where its refusal, and what it did, are shown.
    pub fn of_action(action: &str) -> Tab {
        match action {
            "assignments" | "decision" => Tab::Committee,
            "award" | "complete" | "immigration-records" => Tab::Award,
            "disclosures" | "rectification-notices" => Tab::Disclosures,
            _ => Tab::Application,
        }
    }

    /// Whether a viewer who sees `shown` of the case has anything on this panel.
    fn is_for(self, role: Role, shown: &View) -> bool {
        match self {
            Tab::Application => true,
            Tab::Committee => shown.shows(Section::Eligibility),
            Tab::Award => shown.shows(Section::Award) || role == Role::ProgrammeOfficer,
            Tab::Disclosures => {
                matches!(role, Role::ProgrammeOfficer | Role::InformationOfficer)
                    || shown.shows(Section::RectificationNotices)
            }
            Tab::History => {
                shown.shows(Section::Timeline)
                    || shown.shows(Section::Amendments)
                    || shown.shows(Section::Letters)
            }
        }
    }
}

/// What an action did, said on the case page it returns to.
pub fn done_in_words(action: &str) -> Option<&'static str> {
    Some(match action {
        "eligibility" => "Eligibility recorded.",
        "screening-override" => "The screening rules were waived for this application.",
        "assignments" => "Committee member assigned.",
        "decision" => "Decision recorded, and the letter telling the applicant issued.",
        "award" => "Award made, and the award letter issued.",
        "complete" => "Award completed.",
        "preferences" => "Preferences saved.",
        "immigration-records" => "Immigration document recorded.",
        "disclosures" => "Disclosure recorded.",
        "recheck" => "Your check was recorded.",
        "rectification-notices" => "Recipient marked as told of the correction.",
        "amendments" => "Amendment recorded.",
        _ => return None,
    })
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y %H:%M UTC").to_string()
}

fn date(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|at| at.format("%-d %B %Y").to_string())
}

/// The case as one request shows it: to whom, as it stood when, and the names of the people in it.
struct Shown<'a> {
    state: &'a AppState,
    session: &'a Session,
    view: &'a ApplicationView,
    shown: View,
    as_of: Option<DateTime<Utc>>,
    names: HashMap<String, String>,
    /// What a refused form posted, shown again in its date inputs (empty otherwise).
    posted: &'a [(String, String)],
    /// The messages of a refused form, each shown at its field.
    errors: Vec<ErrorItem>,
}

/// A date input of a form (the `date_input` partial): its three parts as a refused form posted them, and
/// the message at it.
#[derive(Serialize)]
struct DateField {
    date: DateParts,
    error: Option<String>,
}

impl Shown<'_> {
    /// The date input `name` of a form, whose day field has the id `id`: empty, or as a refused form
    /// posted it with the message at it.
    fn date_field(&self, id: &str, name: &str) -> DateField {
        let href = format!("#{id}");
        DateField {
            date: DateParts::posted(self.posted, name),
            error: self
                .errors
                .iter()
                .find(|error| error.href == href)
                .map(|error| error.message.clone()),
        }
    }

    fn role(&self) -> Role {
        self.session.actor.role
    }

    /// A programme officer acting on the case as it stands today (the past is read, not acted on).
    fn officer_acting(&self) -> bool {
        self.role() == Role::ProgrammeOfficer && self.as_of.is_none()
    }

    fn name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a former account".to_string())
    }
}

/// One line of the summary at the top of the case.
#[derive(Serialize)]
struct SummaryRow {
    key: &'static str,
    value: String,
    id: &'static str,
}

/// A flag on the case, in words (never colour alone).
#[derive(Serialize)]
struct Flag {
    label: &'static str,
    detail: String,
}

/// A link of the sub-navigation.
#[derive(Serialize)]
struct TabLink {
    label: &'static str,
    href: String,
    current: bool,
}

/// The case page, on the panel `tab`.
#[expect(clippy::too_many_arguments, reason = "the page's parts, each named")]
pub async fn render(
    state: &AppState,
    session: &Session,
    view: &ApplicationView,
    tab: Tab,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
    status: StatusCode,
    as_of: Option<DateTime<Utc>>,
) -> Result<Response, PageError> {
    Ok(page(
        state,
        session,
        view,
        tab,
        errors,
        notice,
        status,
        as_of,
        &[],
    )
    .await?
    .into_response())
}

/// The case page answered again after the form `action` was refused: what it posted kept in its fields,
/// and each message beside its field.
pub async fn refused(
    state: &AppState,
    session: &Session,
    view: &ApplicationView,
    action: &str,
    form: &[(String, String)],
    errors: Vec<ErrorItem>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let tab = Tab::of_action(action);
    Ok(
        page(state, session, view, tab, errors, None, status, None, form)
            .await?
            .posted(action, form)
            .into_response(),
    )
}

/// The case page, on the panel `tab`, to render; `posted` is what a refused form posted.
#[expect(clippy::too_many_arguments, reason = "the page's parts, each named")]
async fn page<'a>(
    state: &AppState,
    session: &'a Session,
    view: &ApplicationView,
    tab: Tab,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
    status: StatusCode,
    as_of: Option<DateTime<Utc>>,
    posted: &[(String, String)],
) -> Result<Page<'a>, PageError> {
    state
        .record_reads(
            &[view.id.as_str()],
            &session.actor,
            projections::access_log::Through::CasePage,
        )
        .await?;
    let events = events_of(state, &view.id, as_of).await?;
    let mut people: Vec<String> = events.iter().map(|e| e.actor.user_id.clone()).collect();
    people.extend(view.committee.iter().map(|m| m.member_id.clone()));
    let names = names(state, people.into_iter()).await?;
    let role = session.actor.role;
    let shown = Shown {
        state,
        session,
        view,
        shown: view_of(role, false),
        as_of,
        names,
        posted,
        errors: errors.clone(),
    };
    let tab = if tab.is_for(role, &shown.shown) {
        tab
    } else {
        Tab::Application
    };
    let reference = crate::letters::application_reference(&state.db, &view.id)
        .await
        .map_err(ApiError::from)?;
    let tabs: Vec<TabLink> = Tab::ALL
        .into_iter()
        .filter(|t| t.is_for(role, &shown.shown))
        .map(|t| TabLink {
            label: t.label(),
            href: tab_href(&view.id, t, as_of),
            current: t == tab,
        })
        .collect();
    let panel = match tab {
        Tab::Application => Panel::Application(application_panel(&shown).await?),
        Tab::Committee => Panel::Committee(committee_panel(&shown).await?),
        Tab::Award => Panel::Award(Box::new(award_panel(&shown).await?)),
        Tab::Disclosures => Panel::Disclosures(disclosures_panel(&shown).await?),
        Tab::History => Panel::History(history_panel(&shown, &events)),
    };
    let name = view
        .form
        .personal
        .full_name
        .clone()
        .filter(|_| shown.shown.shows_field(PersonalField::FullName));
    let page = CasePage {
        summary: summary(&shown, &reference, name.as_deref()),
        application: Header {
            id: &view.id,
            reference: reference.clone(),
            cycle: &view.cycle,
            name,
            status: words::status(view.status),
        },
        flags: flags(&shown).await?,
        alerts: alerts(&shown),
        tabs,
        tab: TabShown::of(tab),
        tab_label: tab.label(),
        panel,
        as_of: as_of.map(time),
    };
    Ok(Page::new(
        "case",
        format!("{reference} – {}", tab.label()),
        Some(session),
    )
    .data(page)
    .errors(errors)
    .notice(notice)
    .status(status))
}

/// The case page's context: the case's header and summary, its flags, the sub-navigation and the panel.
#[derive(Serialize)]
struct CasePage<'a> {
    application: Header<'a>,
    summary: Vec<SummaryRow>,
    flags: Vec<Flag>,
    alerts: Alerts,
    tabs: Vec<TabLink>,
    /// The panel shown, for the template to choose it.
    tab: TabShown,
    tab_label: &'static str,
    panel: Panel<'a>,
    as_of: Option<String>,
}

/// What names the case at the top of every panel.
#[derive(Serialize)]
struct Header<'a> {
    id: &'a str,
    reference: String,
    cycle: &'a str,
    /// `None` where the role may not see it: the reference names the case.
    name: Option<String>,
    status: &'static str,
}

fn tab_href(id: &str, tab: Tab, as_of: Option<DateTime<Utc>>) -> String {
    let mut href = format!("/cases/{id}?tab={}", tab.as_str());
    if let Some(as_of) = as_of {
        href.push_str(&format!("&as_of={}", as_of.format("%Y-%m-%dT%H:%M")));
    }
    href
}

/// The summary at the top: what a caseworker needs before anything else.
fn summary(shown: &Shown<'_>, reference: &str, name: Option<&str>) -> Vec<SummaryRow> {
    let view = shown.view;
    let mut rows = vec![
        SummaryRow {
            key: "Reference",
            value: reference.to_string(),
            id: "summary-reference",
        },
        SummaryRow {
            key: "Name",
            value: name
                .map(str::to_string)
                .unwrap_or_else(|| format!("Not shown: refer to the case as {reference}")),
            id: "summary-name",
        },
        SummaryRow {
            key: "Status",
            value: words::status(view.status).to_string(),
            id: "status",
        },
        SummaryRow {
            key: "Cycle",
            value: view.cycle.clone(),
            id: "summary-cycle",
        },
        SummaryRow {
            key: "Submitted",
            value: date(view.submitted_at).unwrap_or_else(|| "Not submitted".to_string()),
            id: "summary-submitted",
        },
    ];
    if shown.shown.shows(Section::Eligibility) {
        rows.push(SummaryRow {
            key: "Eligibility",
            value: match &view.eligibility {
                Some(e) if e.eligible => format!(
                    "Eligible, {}",
                    date(Some(e.determined_at)).unwrap_or_default()
                ),
                Some(e) => format!(
                    "Not eligible, {}",
                    date(Some(e.determined_at)).unwrap_or_default()
                ),
                None => "Not checked yet".to_string(),
            },
            id: "summary-eligibility",
        });
    }
    if shown.shown.shows(Section::Decision) {
        rows.push(SummaryRow {
            key: "Decision",
            value: match &view.decision {
                Some(d) => format!(
                    "{}, {}",
                    words::outcome(d.outcome),
                    date(Some(d.decided_at)).unwrap_or_default()
                ),
                None => "None yet".to_string(),
            },
            id: "summary-decision",
        });
    }
    if shown.shown.shows(Section::Award) {
        let award = view.award.as_ref();
        rows.push(SummaryRow {
            key: "Award",
            value: match award.and_then(|a| a.terms.as_ref().map(|t| (a, t))) {
                Some((award, terms)) => format!(
                    "{}, {}, from {}{}",
                    terms.course,
                    terms.institution,
                    terms.start_date.format("%-d %B %Y"),
                    award
                        .completed_on
                        .map(|on| format!("; completed {}", on.format("%-d %B %Y")))
                        .unwrap_or_default()
                ),
                None if award.is_some() => "Made".to_string(),
                None => "None".to_string(),
            },
            id: "summary-award",
        });
    }
    rows
}

/// The flags of the case: restricted, held, a conflict declared, amended after eligibility.
async fn flags(shown: &Shown<'_>) -> Result<Vec<Flag>, PageError> {
    let view = shown.view;
    let mut flags = Vec::new();
    if let Some(restriction) = view.restriction.as_ref() {
        flags.push(Flag {
            label: "Processing restricted",
            detail: format!(
                "at the applicant's request since {}: the case does not move until it is lifted",
                time(restriction.since)
            ),
        });
    }
    let holds = projections::retention::holds(&shown.state.db).await?;
    if holds.iter().any(|hold| hold.aggregate_id == view.id) {
        flags.push(Flag {
            label: "Held",
            detail: "kept beyond its retention period by a hold".to_string(),
        });
    }
    if shown.shown.shows(Section::Committee)
        && view
            .committee
            .iter()
            .any(|member| member.conflict.is_some())
    {
        flags.push(Flag {
            label: "Conflict of interest",
            detail: "a committee member declared one; their marks do not count".to_string(),
        });
    }
    if let Some(recheck) = view
        .recheck
        .as_ref()
        .filter(|_| shown.shown.shows(Section::Recheck))
    {
        flags.push(Flag {
            label: "Amended after eligibility",
            detail: format!(
                "{} changed on {}: check eligibility and recipients again",
                recheck_fields(&recheck.fields),
                time(recheck.since)
            ),
        });
    }
    Ok(flags)
}

fn recheck_fields(fields: &[PersonalField]) -> String {
    fields
        .iter()
        .map(|f| match f {
            PersonalField::Nationality => "nationality",
            PersonalField::CountryOfResidence => "country of residence",
            _ => "personal details",
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// What needs the officer's attention above the panels.
#[derive(Serialize)]
struct Alerts {
    /// The days progress reports fell due and none was recorded, in words; `None` when there are none.
    reports_fallen_due: Option<Vec<String>>,
}

/// What needs the officer's attention, above the panels: reports fallen due.
fn alerts(shown: &Shown<'_>) -> Alerts {
    let view = shown.view;
    let reports_fallen_due = (shown.officer_acting() && view.status == Status::Awarded)
        .then(|| {
            let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
            view.administration
                .outstanding(terms)
                .into_iter()
                .filter(|due| *due <= Utc::now().date_naive())
                .map(|due| due.format("%-d %B %Y").to_string())
                .collect::<Vec<_>>()
        })
        .filter(|dates| !dates.is_empty());
    Alerts { reports_fallen_due }
}

/// The panel shown, one of five: the template chooses it by [`TabShown`], and reads its fields.
#[derive(Serialize)]
#[serde(untagged)]
enum Panel<'a> {
    Application(ApplicationPanel<'a>),
    Committee(CommitteePanel),
    Award(Box<AwardPanel<'a>>),
    Disclosures(DisclosuresPanel),
    History(HistoryPanel<'a>),
}

/// Which panel is shown, for the template to choose it (`{{#if tab.history}}`).
#[derive(Serialize, Default)]
struct TabShown {
    application: bool,
    committee: bool,
    award: bool,
    disclosures: bool,
    history: bool,
}

impl TabShown {
    fn of(tab: Tab) -> Self {
        let mut shown = Self::default();
        *match tab {
            Tab::Application => &mut shown.application,
            Tab::Committee => &mut shown.committee,
            Tab::Award => &mut shown.award,
            Tab::Disclosures => &mut shown.disclosures,
            Tab::History => &mut shown.history,
        } = true;
        shown
    }
}

/// The Application panel: the answers as submitted, the amendments and the applicant's statements, and
/// the forms of the actions on them, each `None` (or `false`) where it is not offered.
#[derive(Serialize)]
struct ApplicationPanel<'a> {
    /// The sections of the application this role sees, as the `answers` partial reads them.
    sections: Vec<super::applicant::AnswerSection>,
    amendments: Vec<AmendmentRow<'a>>,
    statements: Vec<StatementRow<'a>>,
    recheck: Option<Recheck>,
    /// The Help Desk's form to amend personal data: a field per personal item, as it stands.
    amend: Option<Vec<PersonalInput<'a>>>,
    /// The screening rules a programme officer may waive for a draft.
    screening: Option<Vec<RuleChoice>>,
    eligibility: bool,
    /// The scholar's preferences as they stand, with the form to change them.
    preferences: Option<domain::application::form::Preferences>,
}

/// An amendment of personal data, as the table of amendments lists it.
#[derive(Serialize)]
struct AmendmentRow<'a> {
    fields: String,
    reason: &'a Option<String>,
    requested_by: &'a Option<String>,
    by: String,
    at: String,
}

/// A statement of dispute kept with the case (`None` once destroyed).
#[derive(Serialize)]
struct StatementRow<'a> {
    request_id: &'a str,
    statement: &'a Option<String>,
    recorded_at: String,
}

/// An amendment after eligibility that asks for the case to be checked again.
#[derive(Serialize)]
struct Recheck {
    fields: String,
    plural: bool,
    since: String,
    can_record: bool,
}

/// A personal field of the amendment form, as the `field` and `textarea` partials read it.
#[derive(Serialize)]
struct PersonalInput<'a> {
    id: String,
    name: String,
    label: String,
    value: Option<&'a String>,
    /// A postal address is written on several lines, as the applicant gives it.
    multiline: bool,
}

/// A screening rule as a checkbox of the override form.
#[derive(Serialize)]
struct RuleChoice {
    value: &'static str,
    label: &'static str,
    id: String,
}

/// The application as submitted, its amendments, the applicant's statements, and the actions on it:
/// amending personal data (the Help Desk), waiving screening rules, deciding eligibility, checking again
/// after an amendment, and the scholar's preferences (a programme officer).
async fn application_panel<'a>(shown: &Shown<'a>) -> Result<ApplicationPanel<'a>, PageError> {
    let view = shown.view;
    let po = shown.officer_acting();
    let personal: Vec<PersonalInput<'a>> = PersonalField::ALL
        .iter()
        .map(|field| PersonalInput {
            id: super::field_id(&format!("amendments_{}", field.path())),
            name: field.path(),
            label: label_for(&field.path()),
            value: view.form.personal.get(*field),
            multiline: *field == PersonalField::Address,
        })
        .collect();
    let amendments: Vec<AmendmentRow<'a>> = if shown.shown.shows(Section::Amendments) {
        view.amendments
            .iter()
            .map(|amendment| AmendmentRow {
                fields: amendment
                    .fields
                    .iter()
                    .map(|f| label_for(&f.path()))
                    .collect::<Vec<_>>()
                    .join(", "),
                reason: &amendment.reason,
                requested_by: &amendment.requested_by,
                by: shown.name(&amendment.recorded_by),
                at: time(amendment.at),
            })
            .collect()
    } else {
        Vec::new()
    };
    let statements: Vec<StatementRow<'a>> = if shown.shown.shows(Section::StatementsOfDispute) {
        view.statements_of_dispute
            .iter()
            .map(|s| StatementRow {
                request_id: &s.request_id,
                statement: &s.statement,
                recorded_at: time(s.recorded_at),
            })
            .collect()
    } else {
        Vec::new()
    };
    let recheck = view
        .recheck
        .as_ref()
        .filter(|_| shown.shown.shows(Section::Recheck))
        .map(|r| Recheck {
            fields: recheck_fields(&r.fields),
            plural: r.fields.len() > 1,
            since: time(r.since),
            can_record: po,
        });
    Ok(ApplicationPanel {
        sections: shown_answers(view, &shown.shown),
        amendments,
        statements,
        recheck,
        amend: (shown.as_of.is_none()
            && shown.role() == Role::Helpdesk
            && view.submitted_at.is_some())
        .then_some(personal),
        screening: (po && view.status == Status::Draft).then(|| {
            domain::screening::ScreeningRule::ALL
                .iter()
                .map(|rule| RuleChoice {
                    value: rule.as_str(),
                    label: screening_rule_label(*rule),
                    id: super::field_id(&format!("screening_{}", rule.as_str())),
                })
                .collect()
        }),
        eligibility: po && view.status == Status::Submitted,
        preferences: (po && view.status != Status::Withdrawn).then_some(view.form.preferences),
    })
}

/// The Committee panel: the case record (screening overrides, eligibility, mean score, decision), the
/// members and their marks, and the forms to assign a member and to record the decision.
#[derive(Serialize)]
struct CommitteePanel {
    screening_overrides: Vec<OverrideRow>,
    eligibility: Option<Recorded>,
    committee: Vec<MemberRow>,
    /// The mean of the counted marks, to one decimal place.
    mean_score: Option<String>,
    decision: Option<DecisionRow>,
    /// A member declared a conflict: another is to be assigned.
    reassign: bool,
    /// The committee members who may be assigned, when assigning is offered.
    assign: Option<Vec<MemberChoice>>,
    decide: bool,
}

/// A waiver of screening rules, with its reason.
#[derive(Serialize)]
struct OverrideRow {
    rules: String,
    reason: Option<String>,
    by: String,
    at: String,
}

/// The eligibility decided, with its reason.
#[derive(Serialize)]
struct Recorded {
    eligible: bool,
    reason: Option<String>,
    by: String,
    at: String,
}

/// A committee member and their marks; `conflict` is the reason they declared one, if they did.
#[derive(Serialize)]
struct MemberRow {
    name: String,
    conflict: Option<String>,
    scores: Option<domain::application::events::Scores>,
    total: Option<u32>,
}

/// The decision recorded, in words.
#[derive(Serialize)]
struct DecisionRow {
    outcome: &'static str,
    by: String,
    at: String,
}

/// A committee member who may be assigned.
#[derive(Serialize)]
struct MemberChoice {
    id: String,
    name: String,
}

/// Eligibility, screening overrides, the committee's marks and the decision; assigning members and
/// recording the decision (confirmed first: it sends a letter).
async fn committee_panel(shown: &Shown<'_>) -> Result<CommitteePanel, PageError> {
    let view = shown.view;
    let po = shown.officer_acting();
    let committee: Vec<MemberRow> = if shown.shown.shows(Section::Committee) {
        view.committee
            .iter()
            .map(|member| MemberRow {
                name: shown.name(&member.member_id),
                conflict: member
                    .conflict
                    .as_ref()
                    .map(|c| c.reason.clone().unwrap_or_default()),
                scores: member.scores.clone(),
                total: member.scores.as_ref().map(|s| s.total()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let reviewing = matches!(view.status, Status::Eligible | Status::UnderReview);
    let assign = if po && reviewing {
        let members = accounts::with_role(&shown.state.db, Role::CommitteeMember).await?;
        Some(
            members
                .into_iter()
                .filter(|m| !view.committee.iter().any(|c| c.member_id == m.id))
                .map(|m| MemberChoice {
                    id: m.id,
                    name: m.full_name,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(CommitteePanel {
        screening_overrides: view
            .screening_overrides
            .iter()
            .filter(|_| shown.shown.shows(Section::ScreeningOverrides))
            .map(|o| OverrideRow {
                rules: o
                    .rules
                    .iter()
                    .map(|r| screening_rule_label(*r))
                    .collect::<Vec<_>>()
                    .join(", "),
                reason: o.reason.clone(),
                by: shown.name(&o.overridden_by),
                at: time(o.overridden_at),
            })
            .collect(),
        eligibility: view.eligibility.as_ref().map(|e| Recorded {
            eligible: e.eligible,
            reason: e.reason.clone(),
            by: shown.name(&e.determined_by),
            at: time(e.determined_at),
        }),
        committee,
        mean_score: view
            .mean_score()
            .filter(|_| shown.shown.shows(Section::MeanScore))
            .map(|m| format!("{m:.1}")),
        decision: view.decision.as_ref().map(|d| DecisionRow {
            outcome: words::outcome(d.outcome),
            by: shown.name(&d.decided_by),
            at: time(d.decided_at),
        }),
        reassign: po
            && reviewing
            && view
                .committee
                .iter()
                .any(|member| member.conflict.is_some()),
        assign,
        decide: po && matches!(view.status, Status::UnderReview | Status::Reserve),
    })
}

/// The Award panel: the award made and its corrections, the immigration records, and the forms to make
/// the award, complete it and record an immigration document.
#[derive(Serialize)]
struct AwardPanel<'a> {
    award: Option<AwardRecord<'a>>,
    corrections: Vec<CorrectionRow>,
    /// Whether to link to the award administration page.
    award_page: bool,
    show_immigration: bool,
    immigration: Vec<immigration_records::ImmigrationRecordView>,
    make: bool,
    /// The joint sponsors of the register, for the award form.
    sponsors: Vec<RecipientChoice>,
    complete: bool,
    /// The outcome the institution's result gives, filled in on the completion form.
    complete_outcome: Option<String>,
    record_immigration: bool,
    /// The date inputs of the award, completion and immigration forms.
    start_date: DateField,
    completed_on: DateField,
    issued_on: DateField,
}

/// The award as made: its terms (dates as the contract writes them, for `long_date`), and its completion.
#[derive(Serialize)]
struct AwardRecord<'a> {
    terms: &'a Option<AwardTerms>,
    country: Option<domain::country::Country>,
    joint_sponsor_id: &'a Option<String>,
    awarded_at: String,
    completed_on: Option<chrono::NaiveDate>,
    outcome: &'a Option<String>,
}

/// A correction of the award's terms or of its completion outcome.
#[derive(Serialize)]
struct CorrectionRow {
    what: &'static str,
    reason: String,
    by: String,
    at: String,
}

/// A recipient of the register, as an option of a form: a joint sponsor of the award, or a recipient a
/// disclosure may go to.
#[derive(Serialize)]
struct RecipientChoice {
    id: String,
    label: String,
}

/// The award, its corrections and immigration records; making the award and completing it (both
/// confirmed first), and recording an immigration document.
async fn award_panel<'a>(shown: &Shown<'a>) -> Result<AwardPanel<'a>, PageError> {
    let view = shown.view;
    let po = shown.officer_acting();
    let sees = shown.shown.shows(Section::Award);
    let corrections: Vec<CorrectionRow> = if sees && view.award.is_some() {
        award_corrections(shown.state, &view.id, shown.as_of)
            .await?
            .into_iter()
            .map(|(what, reason, by, at)| CorrectionRow {
                what,
                reason,
                by: shown.name(&by),
                at: time(at),
            })
            .collect()
    } else {
        Vec::new()
    };
    let officer = shown.role() == Role::ProgrammeOfficer;
    let immigration = if officer {
        immigration_records::for_application(&shown.state.db, &view.id).await?
    } else {
        Vec::new()
    };
    let sponsors = if po && view.status == Status::Selected {
        recipients::list(&shown.state.db)
            .await?
            .iter()
            .filter(|r| r.kind == RecipientKind::JointSponsor)
            .map(|r| RecipientChoice {
                id: r.id.clone(),
                label: format!("{} ({})", r.name, r.country),
            })
            .collect()
    } else {
        Vec::new()
    };
    let award = view
        .award
        .as_ref()
        .filter(|_| sees)
        .map(|award| AwardRecord {
            terms: &award.terms,
            country: award.terms.as_ref().map(AwardTerms::country_of_study),
            joint_sponsor_id: &award.joint_sponsor_id,
            awarded_at: time(award.awarded_at),
            completed_on: award.completed_on,
            outcome: &award.completion_outcome,
        });
    Ok(AwardPanel {
        award,
        corrections,
        award_page: officer
            && (matches!(
                view.status,
                Status::Selected | Status::Awarded | Status::Alumni
            ) || view.administration.offer.is_some()),
        show_immigration: officer,
        immigration,
        make: po && view.status == Status::Selected,
        sponsors,
        complete: po && view.status == Status::Awarded,
        complete_outcome: view
            .administration
            .result
            .as_ref()
            .and_then(|r| r.result.as_ref())
            .map(|r| r.outcome()),
        record_immigration: po && view.status == Status::Awarded,
        start_date: shown.date_field("award_start_date", "start_date"),
        completed_on: shown.date_field("complete_completed_on", "completed_on"),
        issued_on: shown.date_field("immigration_records_issued_on", "issued_on"),
    })
}

/// The Disclosures panel: what was shared with whom and what was refused, the corrections to pass on,
/// and the disclosure form.
#[derive(Serialize)]
struct DisclosuresPanel {
    sees_disclosures: bool,
    disclosures: Vec<DisclosureRow>,
    refusals: Vec<RefusalRow>,
    notices: Vec<NoticeRow>,
    can_mark_notices: bool,
    disclose: Option<DiscloseForm>,
}

/// A disclosure made.
#[derive(Serialize)]
struct DisclosureRow {
    at: String,
    recipient: String,
    kind: &'static str,
    purpose: Option<String>,
    fields: String,
    by: String,
}

/// A disclosure the sharing rule refused.
#[derive(Serialize)]
struct RefusalRow {
    at: String,
    recipient: String,
    reason: String,
    by: String,
}

/// A recipient to tell of a correction of data they were sent; `open` until they are told.
#[derive(Serialize)]
struct NoticeRow {
    recipient_id: String,
    recipient: String,
    fields: String,
    raised_at: String,
    sent_at: Option<String>,
    open: bool,
}

/// The disclosure form: its id, the recipients the sharing rule permits, and the fields to tick.
#[derive(Serialize)]
struct DiscloseForm {
    disclosure_id: String,
    /// Whether the register holds any recipient at all (to say why none is offered).
    registered: bool,
    recipients: Vec<RecipientChoice>,
    fields: Vec<FieldChoice>,
}

/// A disclosable field, as a checkbox of the disclosure form.
#[derive(Serialize)]
struct FieldChoice {
    value: &'static str,
    label: String,
    id: String,
}

/// What was shared with whom, what was refused, the corrections to pass on, and the disclosure form.
async fn disclosures_panel(shown: &Shown<'_>) -> Result<DisclosuresPanel, PageError> {
    let view = shown.view;
    let po = shown.officer_acting();
    let fields_in_words = |fields: &[String]| {
        fields
            .iter()
            .map(|f| disclosable_label(f))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let disclosures: Vec<DisclosureRow> = view
        .disclosures
        .iter()
        .map(|d| DisclosureRow {
            at: time(d.at),
            recipient: d.recipient_name.clone(),
            kind: words::recipient_kind(d.kind),
            purpose: d.purpose.clone(),
            fields: fields_in_words(&d.fields),
            by: shown.name(&d.disclosed_by),
        })
        .collect();
    let refusals: Vec<RefusalRow> = view
        .refused_disclosures
        .iter()
        .map(|r| RefusalRow {
            at: time(r.at),
            recipient: r.recipient_name.clone(),
            reason: r.reason.clone(),
            by: shown.name(&r.asked_by),
        })
        .collect();
    let notices: Vec<NoticeRow> = view
        .rectification_notices
        .iter()
        .filter(|_| shown.shown.shows(Section::RectificationNotices))
        .map(|n| NoticeRow {
            recipient_id: n.recipient_id.clone(),
            recipient: n.recipient_name.clone(),
            fields: fields_in_words(&n.fields),
            raised_at: time(n.raised_at),
            sent_at: n.sent_at.map(time),
            open: n.sent_at.is_none(),
        })
        .collect();
    let disclose = if po && !matches!(view.status, Status::Draft | Status::Withdrawn) {
        let register = recipients::list(&shown.state.db).await?;
        Some(DiscloseForm {
            disclosure_id: uuid::Uuid::now_v7().to_string(),
            registered: !register.is_empty(),
            recipients: crate::http::sharing::permitted_recipients(view, &register)
                .iter()
                .map(|r| RecipientChoice {
                    id: r.id.clone(),
                    label: recipient_label(r),
                })
                .collect(),
            fields: DISCLOSABLE_FIELDS
                .iter()
                .map(|f| FieldChoice {
                    value: f,
                    label: disclosable_label(f),
                    id: super::field_id(&format!("disclose_{f}")),
                })
                .collect(),
        })
    } else {
        None
    };
    let sees = matches!(
        shown.role(),
        Role::ProgrammeOfficer | Role::InformationOfficer
    );
    Ok(DisclosuresPanel {
        sees_disclosures: sees,
        disclosures,
        refusals,
        notices,
        can_mark_notices: po,
        disclose,
    })
}

/// The History panel: the events in words, newest first, the letters sent, and the moment the case is
/// seen as it stood at, if it is.
#[derive(Serialize)]
struct HistoryPanel<'a> {
    timeline: Vec<TimelineRow>,
    /// The letters, as `letters::listed` gives them to the table of letters.
    letters: Vec<super::letters::LetterRow<'a>>,
    /// The time-travel field's value (`2026-05-01T12:00`).
    as_of_value: Option<String>,
}

/// An event of the history: when, what, who (and their role), and the reason or note given.
#[derive(Serialize)]
struct TimelineRow {
    at: String,
    what: String,
    who: String,
    role: &'static str,
    detail: Option<String>,
}

/// The history in words, newest first, with who acted (their role, and their name) and why; the letters
/// sent; and the form to see the case as it stood at another time.
fn history_panel<'a>(shown: &Shown<'a>, events: &[CaseEvent]) -> HistoryPanel<'a> {
    let whole = shown.shown.shows(Section::Timeline);
    let timeline: Vec<TimelineRow> = if whole || shown.shown.shows(Section::Amendments) {
        events
            .iter()
            .filter(|e| whole || e.event_type == "PersonalDataAmended")
            .rev()
            .map(|e| TimelineRow {
                at: time(e.at),
                what: words::event(&e.event_type)
                    .map(str::to_string)
                    .unwrap_or_else(|| words::in_words(&e.event_type)),
                who: shown.name(&e.actor.user_id),
                role: words::role(e.actor.role),
                detail: e.detail.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let view = shown.view;
    HistoryPanel {
        timeline,
        letters: if shown.shown.shows(Section::Letters) {
            super::letters::listed(view, &format!("/cases/{}", view.id))
        } else {
            Vec::new()
        },
        as_of_value: shown
            .as_of
            .map(|at| at.format("%Y-%m-%dT%H:%M").to_string()),
    }
}

/// One event of the case, with what the history says of it.
struct CaseEvent {
    event_type: String,
    actor: Actor,
    at: DateTime<Utc>,
    /// The reason or note given with it, or what it recorded, in words.
    detail: Option<String>,
}

/// The case's events up to `as_of`, oldest first, each with its reason where one was given.
async fn events_of(
    state: &AppState,
    id: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<CaseEvent>, PageError> {
    use cqrs_es::persist::PersistedEventRepository;
    use domain::application::Application;
    let events = state
        .repo
        .get_events::<Application>(id)
        .await
        .map_err(ApiError::internal)?;
    Ok(events
        .into_iter()
        .filter_map(|event| {
            let metadata = projections::EventMetadata::from_json(&json!(event.metadata))?;
            if as_of.is_some_and(|as_of| metadata.at > as_of) {
                return None;
            }
            let detail = serde_json::from_value::<ApplicationEvent>(event.payload)
                .ok()
                .and_then(|payload| detail_of(&payload));
            Some(CaseEvent {
                event_type: event.event_type,
                actor: Actor::new(&metadata.actor_id, metadata.actor_role),
                at: metadata.at,
                detail,
            })
        })
        .collect())
}

/// The reason, note or outcome an event carries, as its line of the history shows it.
fn detail_of(event: &ApplicationEvent) -> Option<String> {
    use ApplicationEvent as E;
    let known = |text: &domain::personal::Personal<String>| text.known().cloned();
    match event {
        E::EligibilityDetermined { eligible, reason } => Some(format!(
            "{}{}",
            if *eligible {
                "Eligible"
            } else {
                "Not eligible"
            },
            known(reason)
                .filter(|r| !r.is_empty())
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )),
        E::DecisionRecorded { outcome, .. } => Some(words::outcome(*outcome).to_string()),
        E::PersonalDataAmended { reason, .. }
        | E::ConflictDeclared { reason, .. }
        | E::ScreeningOverridden { reason, .. }
        | E::AwardTermsCorrected { reason, .. }
        | E::CompletionOutcomeCorrected { reason, .. }
        | E::ProcessingRestricted { reason, .. }
        | E::RestrictionLifted { reason } => known(reason),
        E::PreferencesChanged { reason, .. } => reason.known().cloned().flatten(),
        E::EligibilityRechecked { note } => known(note),
        E::DisclosureRefused {
            recipient_name,
            reason,
            ..
        } => Some(format!("{recipient_name}: {reason}")),
        E::DataDisclosed {
            recipient_name,
            purpose,
            ..
        } => Some(match known(purpose) {
            Some(purpose) => format!("To {recipient_name}: {purpose}"),
            None => format!("To {recipient_name}"),
        }),
        E::LetterIssued { subject, .. } => known(subject),
        E::LetterEmailFailed { reason, .. } => Some(reason.clone()),
        _ => None,
    }
    .filter(|detail| !detail.trim().is_empty())
}

/// The names of the people who acted on a case, by account id.
async fn names(
    state: &AppState,
    ids: impl Iterator<Item = String>,
) -> Result<HashMap<String, String>, PageError> {
    let mut names = HashMap::new();
    for id in ids {
        if names.contains_key(&id) {
            continue;
        }
        let name = accounts::find(&state.db, &id)
            .await?
            .map(|account| account.full_name)
            .unwrap_or_else(|| "a former account".to_string());
        names.insert(id, name);
    }
    Ok(names)
}

/// A recipient in words: its name, its kind, and where it stands and whom it represents.
fn recipient_label(recipient: &recipients::RecipientView) -> String {
    let mut about = vec![
        words::recipient_kind(recipient.kind).to_string(),
        recipient.country.clone(),
    ];
    if let Some(represents) = &recipient.represents {
        about.push(format!("represents {represents}"));
    }
    if let Some(located_in) = &recipient.located_in {
        about.push(format!("in {located_in}"));
    }
    format!("{} ({})", recipient.name, about.join(", "))
}

/// A disclosable field in words.
fn disclosable_label(path: &str) -> String {
    match path {
        "cycle" => "Cycle".to_string(),
        "status" => "Status".to_string(),
        "courses" => "Course choices".to_string(),
        "award.institution" => "Award: institution".to_string(),
        "award.course" => "Award: course".to_string(),
        "award.level" => "Award: level".to_string(),
        "award.start_date" => "Award: start date".to_string(),
        other => label_for(other),
    }
}

/// Whether an action is confirmed on a page of its own before it is recorded: it sends a letter, or it
/// cannot be undone.
pub fn needs_confirmation(action: &str) -> bool {
    matches!(action, "decision" | "award" | "complete")
}

/// The "Are you sure" page of an action that sends a letter or cannot be undone: what will happen, the
/// values posted (sent again with `confirmed=yes`), and a way back.
pub async fn confirmation(
    state: &AppState,
    session: &Session,
    view: &ApplicationView,
    action: &str,
    command: &ApplicationCommand,
    form: &[(String, String)],
) -> Result<Response, PageError> {
    let reference = crate::letters::application_reference(&state.db, &view.id)
        .await
        .map_err(ApiError::from)?;
    let letter = LetterKind::due_after(command);
    let (heading, what, button) = match command {
        ApplicationCommand::RecordDecision { outcome, .. } => (
            "Record this decision?",
            format!(
                "The decision “{}” will be recorded for {reference}.",
                words::outcome(*outcome)
            ),
            "Yes, record the decision",
        ),
        ApplicationCommand::MakeAward { terms, .. } => (
            "Make this award?",
            format!(
                "An award of {} at {}, starting {}, will be made to {reference}.",
                terms.course,
                terms.institution,
                terms.start_date.format("%-d %B %Y")
            ),
            "Yes, make the award",
        ),
        ApplicationCommand::CompleteAward { completed_on, .. } => (
            "Complete this award?",
            format!(
                "The award of {reference} will be recorded as completed on {}.",
                completed_on.format("%-d %B %Y")
            ),
            "Yes, complete the award",
        ),
        _ => return Err(PageError::NotFound),
    };
    let page = Confirmation {
        heading,
        reference,
        what,
        letter: letter.map(|kind| crate::letters::subject(kind, &view.cycle)),
        cannot_be_undone: true,
        action: format!("/cases/{}/{action}", view.id),
        back: format!("/cases/{}?tab={}", view.id, Tab::of_action(action).as_str()),
        fields: form
            .iter()
            .filter(|(name, _)| name != "csrf_token" && name != "confirmed")
            .map(|(name, value)| Carried { name, value })
            .collect(),
        button,
    };
    Ok(Page::new("case_confirm", heading, Some(session))
        .data(page)
        .into_response())
}

/// The confirmation page of an action: what it will do, the letter it sends, and the values it carries.
#[derive(Serialize)]
struct Confirmation<'a> {
    heading: &'static str,
    reference: String,
    what: String,
    letter: Option<String>,
    cannot_be_undone: bool,
    action: String,
    back: String,
    fields: Vec<Carried<'a>>,
    button: &'static str,
}

/// A posted value carried through the confirmation, sent again when confirmed.
#[derive(Serialize)]
struct Carried<'a> {
    name: &'a str,
    value: &'a str,
}

/// The corrections of an award's terms and of its completion outcome, oldest first, up to `as_of`: what was
/// corrected, the reason given, who corrected it and when. Read from the application's events, where the
/// reasons are kept (sealed with its personal data).
pub(super) async fn award_corrections(
    state: &AppState,
    id: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<(&'static str, String, String, DateTime<Utc>)>, ApiError> {
    use cqrs_es::persist::PersistedEventRepository;
    use domain::application::{Application, ApplicationEvent};
    let events = state
        .repo
        .get_events::<Application>(id)
        .await
        .map_err(ApiError::internal)?;
    let mut corrections = Vec::new();
    for event in events {
        let what = match event.event_type.as_str() {
            "AwardTermsCorrected" => "Award terms",
            "CompletionOutcomeCorrected" => "Completion outcome",
            _ => continue,
        };
        let Some(metadata) = projections::EventMetadata::from_json(&json!(event.metadata)) else {
            continue;
        };
        if as_of.is_some_and(|as_of| metadata.at > as_of) {
            continue;
        }
        let reason = match serde_json::from_value::<ApplicationEvent>(event.payload) {
            Ok(ApplicationEvent::AwardTermsCorrected { reason, .. })
            | Ok(ApplicationEvent::CompletionOutcomeCorrected { reason, .. }) => {
                reason.known().cloned().unwrap_or_default()
            }
            _ => continue,
        };
        corrections.push((what, reason, metadata.actor_id, metadata.at));
    }
    Ok(corrections)
}

/// A rule of the screening as the case page names it.
pub(super) fn screening_rule_label(rule: domain::screening::ScreeningRule) -> &'static str {
    use domain::screening::ScreeningRule as R;
    match rule {
        R::EligibleNationality => "An eligible nationality",
        R::UndergraduateDegree => "An undergraduate degree",
        R::WorkExperience => "Enough work experience",
        R::ReturnHomeCommitment => "The commitment to return home",
    }
}

//! A response's draft: made, seen, redacted and annotated by the information officer, then issued.
//!
//! The draft is kept on the request's stream (`ResponseDrafted`, its response sealed as personal data and
//! each copy of a record under that record's own key, as an issued response is), with the items withheld
//! from it (`DraftItemWithheld`) and the officer's note (`DraftAnnotated`). What would be issued is
//! [`Draft::composed`]: the draft without the items withheld, listing each under `withheld` with its ground
//! of the Data Protection Act 2018 and the reason. Issuing it (`IssueResponse`) makes it the response, which
//! nothing changes after.

use chrono::NaiveDate;
use cqrs_es::persist::PersistedEventRepository;
use serde_json::{Value, json};

use domain::personal::{COPY_TAG, PERSONAL_TAG};
use domain::request::WithholdingGround;

use crate::bus::AppState;
use crate::error::AppError;

/// An item withheld from a draft.
#[derive(Clone, Debug, PartialEq)]
pub struct Withholding {
    /// The JSON pointer of the item in the draft.
    pub item: String,
    pub ground: WithholdingGround,
    pub reason: String,
}

/// A draft as the request's stream holds it.
#[derive(Clone, Debug)]
pub struct Draft {
    pub drafted_on: NaiveDate,
    /// The response drafted, each copy of a record still a copy (`$copy_of`).
    pub response: Value,
    pub withheld: Vec<Withholding>,
    pub note: String,
    pub held_elsewhere: String,
}

/// The request's draft, read from its stream: `None` where none was made since the last response. A draft
/// whose personal data is gone (the request destroyed) answers 410.
pub async fn stored(state: &AppState, id: &str) -> Result<Option<Draft>, AppError> {
    let events = state
        .repo
        .get_events::<domain::request::InformationRequest>(id)
        .await
        .map_err(AppError::internal)?;
    let personal = |value: &Value| value.get(PERSONAL_TAG).cloned();
    let mut draft: Option<Draft> = None;
    for event in events {
        let payload = &event.payload;
        match event.event_type.as_str() {
            "ResponseDrafted" => {
                let body = &payload["ResponseDrafted"];
                let response = personal(&body["response"]).ok_or_else(AppError::destroyed)?;
                let drafted_on = serde_json::from_value(body["drafted_on"].clone())
                    .map_err(AppError::internal)?;
                draft = Some(Draft {
                    drafted_on,
                    response,
                    withheld: Vec::new(),
                    note: String::new(),
                    held_elsewhere: String::new(),
                });
            }
            "DraftItemWithheld" => {
                let body = &payload["DraftItemWithheld"];
                let ground =
                    serde_json::from_value(body["ground"].clone()).map_err(AppError::internal)?;
                let reason = personal(&body["reason"]).ok_or_else(AppError::destroyed)?;
                if let Some(draft) = draft.as_mut() {
                    draft.withheld.push(Withholding {
                        item: body["item"].as_str().unwrap_or_default().to_string(),
                        ground,
                        reason: reason.as_str().unwrap_or_default().to_string(),
                    });
                }
            }
            "DraftAnnotated" => {
                let body = &payload["DraftAnnotated"];
                let text = |name: &str| {
                    personal(&body[name])
                        .and_then(|v| v.as_str().map(str::to_string))
                        .ok_or_else(AppError::destroyed)
                };
                if let Some(draft) = draft.as_mut() {
                    draft.note = text("note")?;
                    draft.held_elsewhere = text("held_elsewhere")?;
                }
            }
            "ResponseIssued" => draft = None,
            _ => {}
        }
    }
    Ok(draft)
}

/// What stands in for a withheld item until the items are taken out.
const TAKEN: &str = "\u{0}withheld\u{0}";

/// The value at a JSON pointer, looking through each copy of a record (`$copy_of`) to the value copied.
fn at_pointer<'a>(value: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    let mut current = value;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        current = through_copy(current);
        current = match current {
            Value::Object(map) => map.get_mut(&token)?,
            Value::Array(items) => items.get_mut(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

fn through_copy(value: &mut Value) -> &mut Value {
    let is_copy =
        matches!(value, Value::Object(map) if map.len() == 1 && map.contains_key(COPY_TAG));
    if is_copy && value[COPY_TAG].get("value").is_some() {
        return &mut value[COPY_TAG]["value"];
    }
    value
}

fn take_out(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| v.as_str() != Some(TAKEN));
            map.values_mut().for_each(take_out);
        }
        Value::Array(items) => {
            items.retain(|v| v.as_str() != Some(TAKEN));
            items.iter_mut().for_each(take_out);
        }
        _ => {}
    }
}

/// Whether the draft has an item at this pointer (read as the officer sees it, through copies).
pub fn has_item(response: &Value, pointer: &str) -> bool {
    let mut response = response.clone();
    at_pointer(&mut response, pointer).is_some()
}

/// One line of the list of what was withheld.
pub fn withheld_entry(item: &str, ground: WithholdingGround, reason: &str) -> Value {
    json!({
        "item": item,
        "ground": ground.as_str(),
        "provision": ground.provision(),
        "why": ground.describe(),
        "reason": reason,
    })
}

impl Draft {
    /// The response this draft would issue: the items withheld taken out, each listed under `withheld`
    /// (after those withheld automatically) with its ground and reason, and the note and the records held
    /// elsewhere where the officer gave them. Copies stay copies.
    pub fn composed(&self) -> Value {
        let mut response = self.response.clone();
        let mut listed = Vec::new();
        for withholding in &self.withheld {
            let described = crate::readable::describe_item(&self.response, &withholding.item);
            if let Some(item) = at_pointer(&mut response, &withholding.item) {
                *item = json!(TAKEN);
                listed.push(withheld_entry(
                    &described,
                    withholding.ground,
                    &withholding.reason,
                ));
            }
        }
        take_out(&mut response);
        if !listed.is_empty() {
            let mut all = response
                .get("withheld")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            all.extend(listed);
            response["withheld"] = json!(all);
        }
        if !self.note.is_empty() {
            response["note"] = json!(self.note);
        }
        if !self.held_elsewhere.is_empty() {
            response["held_elsewhere"] = json!(self.held_elsewhere);
        }
        response
    }
}

/// Refuses a change to a request answered already, as the aggregate would, before its draft is read.
fn not_answered(view: &projections::information_requests::RequestView) -> Result<(), AppError> {
    match view.responded_on {
        Some(_) => Err(domain::request::RequestError::AlreadyAnswered.into()),
        None => Ok(()),
    }
}

async fn current_draft(
    state: &AppState,
    view: &projections::information_requests::RequestView,
) -> Result<Draft, AppError> {
    not_answered(view)?;
    stored(state, &view.id)
        .await?
        .ok_or_else(|| domain::request::RequestError::NoDraft.into())
}

/// Withholds an item of the request's draft on a ground, with the reason: 422 `invalid` naming `ground`
/// (not one of [`WithholdingGround::ALL`]) or `item` (not in the draft), 409 `no_draft`, `already_withheld`,
/// `already_answered`.
pub async fn withhold(
    state: &AppState,
    view: &projections::information_requests::RequestView,
    actor: &domain::Actor,
    item: &str,
    ground: &str,
    reason: &str,
) -> Result<(), AppError> {
    let draft = current_draft(state, view).await?;
    let ground = WithholdingGround::parse(ground).ok_or_else(|| {
        AppError::invalid_field(
            "ground",
            &format!(
                "must be one of {}",
                WithholdingGround::ALL
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let item = item.trim();
    if item.starts_with("/records/") && !has_item(&draft.response, item) {
        return Err(AppError::invalid_field(
            "item",
            "is not an item of the draft: name one by its JSON pointer, such as /records/applications/0/personal/phone",
        ));
    }
    let command = domain::request::RequestCommand::WithholdFromDraft {
        item: item.to_string(),
        ground,
        reason: reason.to_string(),
    };
    state.execute_request(&view.id, actor, command).await
}

/// Adds the officer's note and the records held elsewhere to the request's draft.
pub async fn annotate(
    state: &AppState,
    view: &projections::information_requests::RequestView,
    actor: &domain::Actor,
    note: &str,
    held_elsewhere: &str,
) -> Result<(), AppError> {
    current_draft(state, view).await?;
    let command = domain::request::RequestCommand::AnnotateDraft {
        note: note.to_string(),
        held_elsewhere: held_elsewhere.to_string(),
    };
    state.execute_request(&view.id, actor, command).await
}

/// Issues the request's draft as it stands (what [`Draft::composed`] gives): from then on it is the
/// response, dated, and nothing changes it.
pub async fn issue(
    state: &AppState,
    view: &projections::information_requests::RequestView,
    actor: &domain::Actor,
) -> Result<(), AppError> {
    let draft = current_draft(state, view).await?;
    let command = domain::request::RequestCommand::IssueResponse {
        response: draft.composed(),
    };
    state.execute_request(&view.id, actor, command).await
}

/// The items of a draft an officer may withhold, each with where it is in the letter's words: every record,
/// and every value inside one.
pub fn items(response: &Value) -> Vec<(String, String)> {
    fn walk(value: &Value, pointer: String, out: &mut Vec<String>) {
        out.push(pointer.clone());
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let token = key.replace('~', "~0").replace('/', "~1");
                    walk(value, format!("{pointer}/{token}"), out);
                }
            }
            Value::Array(items) => {
                for (i, value) in items.iter().enumerate() {
                    walk(value, format!("{pointer}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let resolved = crate::readable::resolve(response.clone());
    let mut pointers = Vec::new();
    if let Some(records) = resolved.get("records").and_then(Value::as_object) {
        for (kind, value) in records {
            match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, format!("/records/{kind}/{i}"), &mut pointers);
                    }
                }
                Value::Null => {}
                other => walk(other, format!("/records/{kind}"), &mut pointers),
            }
        }
    }
    pointers
        .into_iter()
        .filter(|p| !p.ends_with("/id"))
        .map(|p| {
            let label = crate::readable::describe_item(response, &p);
            (p, label)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(response: Value, withheld: &[&str]) -> Draft {
        Draft {
            drafted_on: NaiveDate::from_ymd_opt(2027, 1, 7).unwrap(),
            response,
            withheld: withheld
                .iter()
                .map(|item| Withholding {
                    item: item.to_string(),
                    ground: WithholdingGround::ThirdParty,
                    reason: "names another person".into(),
                })
                .collect(),
            note: String::new(),
            held_elsewhere: String::new(),
        }
    }

    #[test]
    fn a_withheld_item_is_taken_out_through_copies_and_listed() {
        let response = json!({"records": {"applications": [
            {COPY_TAG: {"stream": "Application/a", "value": {"personal": {"phone": "+44 7700 900001", "email": "x@example.test"}}}},
            {COPY_TAG: {"stream": "Application/b", "value": {"personal": {"phone": "+44 7700 900002"}}}},
        ]}});
        let composed = draft(
            response,
            &[
                "/records/applications/0/personal/phone",
                "/records/applications/1",
            ],
        )
        .composed();
        let text = composed.to_string();
        assert!(
            !text.contains("900001") && !text.contains("900002"),
            "{text}"
        );
        assert!(text.contains("x@example.test"));
        assert_eq!(
            composed["records"]["applications"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let withheld = composed["withheld"].as_array().unwrap();
        assert_eq!(withheld.len(), 2);
        assert_eq!(withheld[0]["reason"], "names another person");
        assert_eq!(
            withheld[0]["provision"],
            "Data Protection Act 2018, Schedule 2, Part 3, paragraph 16"
        );
    }

    #[test]
    fn an_item_that_is_not_in_the_draft_is_not_found() {
        let response = json!({"records": {"account": {COPY_TAG: {"stream": "Account/a", "value": {"email": "x@example.test"}}}}});
        assert!(has_item(&response, "/records/account/email"));
        assert!(!has_item(&response, "/records/account/phone"));
        assert!(!has_item(&response, "/records/applications/0"));
    }
}

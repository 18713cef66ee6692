//! A response's JSON in readable form, for its letter: sections from its keys (each of `records` a section
//! of its own), labels from a table of the keys known with a readable fallback for any other, values as
//! people write them (dates as "7 January 2027", yes and no, codes in words), and no ids: a record is named
//! by its place ("Application 1"), and an id met in a value is replaced by that name. Nothing here knows
//! which records a response holds, so a new kind of record is in the letter without a change here.

use std::collections::BTreeMap;

use domain::personal::COPY_TAG;
use serde_json::{Value, json};

/// Labels of the keys known; any other key is its words, capitalised.
const LABELS: &[(&str, &str)] = &[
    ("found_by", "How we found it"),
    ("full_name", "Full name"),
    ("names", "Names"),
    ("date_of_birth", "Date of birth"),
    ("email", "Email address"),
    ("phone", "Phone number"),
    ("country_of_residence", "Country of residence"),
    ("submitted_at", "Submitted"),
    ("registered_at", "Registered"),
    ("last_sign_in_at", "Last signed in"),
    ("recorded_at", "Recorded"),
    ("issued_at", "Issued"),
    ("issued_on", "Issued"),
    ("received_on", "Received"),
    ("decided_at", "Decided"),
    ("determined_at", "Decided"),
    ("accepted_at", "Accepted"),
    ("emailed_at", "Emailed"),
    ("at", "When"),
    ("reader_role", "Who read it"),
    ("through", "Where it was read"),
    ("application_id", "Application"),
    ("request_id", "Request"),
    ("record_id", "Record"),
    ("personal", "Personal details"),
    ("study_plan", "Study plan"),
    ("career_plan", "Career plan"),
    ("rule", "How long it is kept"),
    ("destroyed_on", "To be destroyed on"),
    ("fields", "What was disclosed"),
    (
        "declared_a_conflict_of_interest",
        "Declared a conflict of interest",
    ),
    ("old", "From"),
    ("new", "To"),
    (
        "statements_of_dispute",
        "Your statements that the data is inaccurate",
    ),
    ("privacy_notice_accepted", "The privacy notice you accepted"),
    ("notice_last_updated", "Notice last updated"),
    ("digest", "Fingerprint of the notice"),
    ("committee_opinions", "The committee's opinions"),
    ("letters", "Letters we sent you"),
    ("body", "Text"),
    ("email_failure", "Why the email failed"),
    ("provision", "Provision of the law"),
    ("why", "What the exemption protects"),
    ("ground", "Ground"),
    ("item", "What"),
    ("kind", "Kind"),
    ("destroyed", "Destroyed"),
    ("award_administration", "The administration of your award"),
    ("offer", "The offer of a scholarship"),
    ("offer_made_on", "Offer made on"),
    ("reply_by", "Reply by"),
    ("your_reply", "Your reply"),
    ("answered_on", "Answered on"),
    ("supervisor", "Academic supervisor"),
    (
        "supervisor_history",
        "Each time the supervisor was recorded",
    ),
    ("institution", "Institution"),
    ("department", "Department"),
    ("report_schedule", "When progress reports fall due"),
    ("due_on", "Due on"),
    ("progress_reports", "Progress reports"),
    ("period", "Period covered"),
    ("report_from", "Report from"),
    ("rating", "Rating"),
    ("report_text", "What the report says"),
    ("result", "Result"),
    ("qualification", "Qualification"),
    ("released_on", "Released on"),
    ("released_by", "Released by"),
    ("supervision", "Your part as an academic supervisor"),
    ("supervisor_now", "Recorded as the supervisor now"),
    ("your_details_as_recorded", "Your details as recorded"),
    ("progress_reports_from_you", "Progress reports you gave"),
    ("scholar", "The scholar"),
];

/// Section headings of the keys known, in the order the letter gives them; any other key follows.
const SECTIONS: &[(&str, &str)] = &[
    ("subject", "Whose data this is"),
    ("purposes", "Why we hold it"),
    ("categories", "What we hold"),
    ("source", "Where it came from"),
    ("recipients", "Who has received it"),
    ("retention", "How long we keep it"),
    ("automated_decision_making", "Automated decisions"),
    ("rights", "Your rights"),
    ("records", "A copy of your data"),
    ("withheld", "What we have withheld, and why"),
    ("note", "A note from us"),
    ("held_elsewhere", "Records held elsewhere"),
];

/// Headings of the kinds of record known, and what one of them is called.
const RECORDS: &[(&str, &str, &str)] = &[
    ("account", "Your account", "Account"),
    ("applications", "Your applications", "Application"),
    (
        "immigration_records",
        "Immigration records",
        "Immigration record",
    ),
    (
        "reads_of_your_data",
        "When EtP staff looked at your data",
        "Read",
    ),
    ("requests", "The requests you made", "Request"),
    (
        "supervision",
        "Your part as an academic supervisor",
        "Supervision",
    ),
    ("recipients", "Who has received it", "Disclosure"),
    ("retention", "How long we keep it", "Record"),
    (
        "withheld",
        "What we have withheld, and why",
        "Item withheld",
    ),
];

fn words(key: &str) -> String {
    let text = key.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A key's label.
pub fn label(key: &str) -> String {
    LABELS
        .iter()
        .find(|(known, _)| *known == key)
        .map(|(_, label)| label.to_string())
        .unwrap_or_else(|| words(key))
}

fn heading(key: &str) -> String {
    SECTIONS
        .iter()
        .map(|(k, h)| (*k, *h))
        .chain(RECORDS.iter().map(|(k, h, _)| (*k, *h)))
        .find(|(known, _)| *known == key)
        .map(|(_, h)| h.to_string())
        .unwrap_or_else(|| words(key))
}

/// What one record of a section is called: "Application", or for a key not known, "Item".
fn singular(key: &str) -> String {
    RECORDS
        .iter()
        .find(|(known, _, _)| *known == key)
        .map(|(_, _, one)| one.to_string())
        .unwrap_or_else(|| "Item".to_string())
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Reads a response: knows the name of each record whose id it may meet.
pub struct Reader {
    names: BTreeMap<String, String>,
}

impl Reader {
    /// Names each record of `records` by its place, "Application 1"; every other id met is "record N".
    pub fn new(response: &Value) -> Reader {
        let mut names = BTreeMap::new();
        if let Some(records) = response.get("records").and_then(Value::as_object) {
            for (key, items) in records {
                for (i, item) in items.as_array().into_iter().flatten().enumerate() {
                    for id_key in ["id", "record_id"] {
                        if let Some(id) = item.get(id_key).and_then(Value::as_str) {
                            names
                                .entry(id.to_string())
                                .or_insert_with(|| format!("{} {}", singular(key), i + 1));
                        }
                    }
                }
            }
        }
        let mut others = Vec::new();
        collect_ids(response, &mut others);
        for id in others {
            let next = format!("record {}", names.len() + 1);
            names.entry(id).or_insert(next);
        }
        Reader { names }
    }

    /// A value as the letter writes it.
    pub fn shown(&self, value: &Value) -> String {
        match value {
            Value::Null => "Not given".into(),
            Value::Bool(true) => "Yes".into(),
            Value::Bool(false) => "No".into(),
            Value::Number(n) => n.to_string(),
            Value::String(text) => self.text(text),
            Value::Array(items) if items.is_empty() => "None".into(),
            other => other.to_string(),
        }
    }

    fn text(&self, text: &str) -> String {
        let trimmed = text.trim();
        let lower = trimmed.get(..9).unwrap_or_default().to_ascii_lowercase();
        if lower.starts_with("<!doctype") || lower.starts_with("<html") {
            return self.text(&html_text(trimmed));
        }
        if let Ok(day) = chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
            return day.format("%-d %B %Y").to_string();
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc3339(trimmed) {
            return at
                .with_timezone(&chrono::Utc)
                .format("%-d %B %Y")
                .to_string();
        }
        if !trimmed.is_empty()
            && trimmed.contains('_')
            && trimmed.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            return trimmed.replace('_', " ");
        }
        self.without_ids(text)
    }

    /// The text with each id replaced by the record's name ("application 7f…" becomes "Application 1").
    fn without_ids(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = find_uuid(rest) {
            let id = &rest[at..at + 36];
            let name = self
                .names
                .get(id)
                .cloned()
                .unwrap_or_else(|| "a record".into());
            let mut before = &rest[..at];
            let kind = name.split(' ').next().unwrap_or_default().to_lowercase();
            if before.to_lowercase().ends_with(&format!("{kind} ")) {
                before = &before[..before.len() - kind.len() - 1];
            }
            out.push_str(before);
            out.push_str(&name);
            rest = &rest[at + 36..];
        }
        out.push_str(rest);
        out
    }
}

fn find_uuid(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(35)).find(|&i| {
        text.is_char_boundary(i) && text.is_char_boundary(i + 36) && is_uuid(&text[i..i + 36])
    })
}

fn collect_ids(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let mut rest = text.as_str();
            while let Some(at) = find_uuid(rest) {
                found.push(rest[at..at + 36].to_string());
                rest = &rest[at + 36..];
            }
        }
        Value::Object(map) => map.values().for_each(|v| collect_ids(v, found)),
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, found)),
        _ => {}
    }
}

/// The text of an HTML document kept as a value (a letter sent): its tags dropped, its entities read, its
/// spaces collapsed.
pub fn html_text(html: &str) -> String {
    let body = html.find("<body").map_or(html, |start| &html[start..]);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x3D;", "=")
        .replace("&#x60;", "`")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One labelled value of a record.
fn rows(reader: &Reader, prefix: &str, value: &Value, top: bool, out: &mut Vec<Value>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                if top && key == "id" {
                    continue;
                }
                let label = if prefix.is_empty() {
                    label(key)
                } else {
                    format!("{prefix} › {}", label(key))
                };
                rows(reader, &label, value, false, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (i, item) in items.iter().enumerate() {
                rows(reader, &format!("{prefix} {}", i + 1), item, false, out);
            }
        }
        Value::Array(items) if !items.is_empty() => out.push(json!({
            "label": prefix,
            "value": items.iter().map(|i| reader.shown(i)).collect::<Vec<_>>().join("; "),
        })),
        scalar => out.push(json!({"label": prefix, "value": reader.shown(scalar)})),
    }
}

/// One section of the letter for a value of the response.
fn section(reader: &Reader, key: &str, value: &Value, level: u8) -> Value {
    // Every key the letter's template reads is present (the templates render in strict mode).
    let mut section = json!({
        "key": key, "heading": heading(key), "level": level, "paragraphs": [], "list": [], "blocks": [],
    });
    match value {
        Value::Null => section["paragraphs"] = json!(["None."]),
        Value::Array(items) if items.is_empty() => section["paragraphs"] = json!(["None."]),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            section["list"] = json!(items.iter().map(|i| reader.shown(i)).collect::<Vec<_>>());
        }
        Value::Array(items) => {
            let one = singular(key);
            section["blocks"] = json!(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let mut out = Vec::new();
                        rows(reader, "", item, true, &mut out);
                        json!({"title": format!("{one} {}", i + 1), "rows": out})
                    })
                    .collect::<Vec<_>>()
            );
        }
        Value::Object(_) => {
            let mut out = Vec::new();
            rows(reader, "", value, true, &mut out);
            section["blocks"] = json!([{"rows": out}]);
        }
        scalar => section["paragraphs"] = json!([reader.shown(scalar)]),
    }
    section
}

/// The letter's sections: the known ones in their order, then any other key of the response; `records`
/// gives a heading, then each kind of record held a section of its own.
pub fn sections(response: &Value) -> Vec<Value> {
    let reader = Reader::new(response);
    let Some(map) = response.as_object() else {
        return Vec::new();
    };
    let mut keys: Vec<&str> = SECTIONS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| map.contains_key(*k))
        .collect();
    keys.extend(
        map.keys()
            .map(String::as_str)
            .filter(|k| !SECTIONS.iter().any(|(known, _)| known == k)),
    );
    let mut out = Vec::new();
    for key in keys {
        let value = &map[key];
        match (key, value) {
            ("records", Value::Object(records)) => {
                out.push(json!({
                    "key": key, "heading": heading(key), "level": 2, "paragraphs": [], "list": [],
                    "blocks": [],
                }));
                for (kind, records) in records {
                    out.push(section(&reader, kind, records, 3));
                }
            }
            _ => out.push(section(&reader, key, value, 2)),
        }
    }
    out
}

/// Where a JSON pointer into the response is, in the letter's words: "Application 1 › Personal details ›
/// Phone number".
pub fn describe_item(response: &Value, pointer: &str) -> String {
    let resolved = resolve(response.clone());
    let mut parts = Vec::new();
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    let mut section_key = "";
    for (i, token) in tokens.iter().enumerate() {
        match (i, token.parse::<usize>()) {
            (0, _) if *token == "records" => {}
            (_, Ok(n)) if i > 0 && tokens[i - 1] == section_key => {
                parts.push(format!("{} {}", singular(section_key), n + 1));
            }
            (_, Ok(n)) => {
                if let Some(last) = parts.last_mut() {
                    *last = format!("{last} {}", n + 1);
                }
            }
            _ if section_key.is_empty() => {
                section_key = token;
                let is_list = resolved
                    .pointer(&tokens[..=i].iter().fold(String::new(), |p, t| p + "/" + t))
                    .is_some_and(Value::is_array);
                if !is_list || i + 1 == tokens.len() {
                    parts.push(heading(token));
                }
            }
            _ => parts.push(label(token)),
        }
    }
    parts.join(" › ")
}

/// A response as it is read and shown: each copy it keeps is the value copied, or, where the stream it was
/// copied from has been destroyed since the response was issued, a note that it was. A destroyed name is
/// left out of the subject's names.
pub fn resolve(mut response: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) if map.len() == 1 && map.contains_key(COPY_TAG) => {
                let copy = map.remove(COPY_TAG).unwrap_or(Value::Null);
                *value = match copy.get("value") {
                    Some(copied) => copied.clone(),
                    None => {
                        let stream = copy.get("stream").and_then(Value::as_str).unwrap_or("");
                        let record = match stream.split_once('/') {
                            Some(("Application", id)) => format!("application {id}"),
                            Some(("ImmigrationRecord", id)) => format!("immigration record {id}"),
                            Some(("InformationRequest", id)) => format!("information request {id}"),
                            Some(("Account", _)) => "your account".to_string(),
                            _ => "a record".to_string(),
                        };
                        json!({"destroyed": true, "record": record,
                               "note": "destroyed under the retention schedule after this response was issued"})
                    }
                };
                walk(value);
            }
            Value::Object(map) => map.values_mut().for_each(walk),
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut response);
    if let Some(names) = response
        .get_mut("subject")
        .and_then(|subject| subject.get_mut("names"))
        .and_then(Value::as_array_mut)
    {
        names.retain(Value::is_string);
        let mut seen = std::collections::BTreeSet::new();
        names.retain(|name| seen.insert(name.to_string()));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01938a00-0000-7000-8000-0000000000a1";

    #[test]
    fn values_are_written_as_people_write_them_and_ids_as_the_records_name() {
        let response = json!({
            "retention": [{"record": format!("application {ID} (2026-27)")}],
            "records": {"applications": [{"id": ID, "status": "under_review"}]},
        });
        let reader = Reader::new(&response);
        assert_eq!(reader.shown(&json!("2027-01-07")), "7 January 2027");
        assert_eq!(
            reader.shown(&json!("2027-01-07T14:05:00Z")),
            "7 January 2027"
        );
        assert_eq!(reader.shown(&json!("under_review")), "under review");
        assert_eq!(reader.shown(&json!(true)), "Yes");
        assert_eq!(
            reader.shown(&json!(format!("application {ID} (2026-27)"))),
            "Application 1 (2026-27)"
        );
        assert_eq!(label("found_by"), "How we found it");
        assert_eq!(label("referee_statement"), "Referee statement");
    }

    #[test]
    fn an_item_is_described_by_its_place() {
        let response = json!({"records": {"applications": [{"personal": {"phone": "x"}}], "account": {"email": "y"}}});
        assert_eq!(
            describe_item(&response, "/records/applications/0/personal/phone"),
            "Application 1 › Personal details › Phone number"
        );
        assert_eq!(
            describe_item(&response, "/records/applications/0"),
            "Application 1"
        );
        assert_eq!(
            describe_item(&response, "/records/account/email"),
            "Your account › Email address"
        );
    }

    #[test]
    fn a_letter_has_a_section_for_each_kind_of_record_even_one_not_known() {
        let response =
            json!({"purposes": ["a"], "records": {"letters_naming_you": [{"found_by": "z"}]}});
        let headings: Vec<_> = sections(&response)
            .iter()
            .map(|s| s["heading"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            headings,
            [
                "Why we hold it",
                "A copy of your data",
                "Letters naming you"
            ]
        );
    }
}

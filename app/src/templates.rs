//! The templates of every page and every letter, embedded in the binary and built once. Values are
//! HTML-escaped; no template uses the triple-stash (tested below).

use std::sync::LazyLock;

use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

/// Every template, by its file name without `.hbs`; partials are templates too (`{{> field}}`).
static TEMPLATES: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(false);
    registry
        .register_embed_templates_with_extension::<TemplateFiles>(".hbs")
        .expect("the embedded templates compile");
    registry.register_helper("eq", Box::new(eq_helper));
    registry.register_helper("long_date", Box::new(date_helper));
    registry.register_helper("in_words", Box::new(words_helper));
    registry.register_helper("short_reference", Box::new(reference_helper));
    registry
});

handlebars::handlebars_helper!(eq_helper: |a: Json, b: Json| a == b);
handlebars::handlebars_helper!(date_helper: |value: Json| long_date(value));
handlebars::handlebars_helper!(words_helper: |value: Json| in_words(value));
handlebars::handlebars_helper!(reference_helper: |id: str| crate::letters::short_reference(id));

/// `{{long_date x}}`: a day (YYYY-MM-DD) or a moment (RFC 3339) as people write it, "7 January 2027" (the day in
/// UTC); anything else as it is, and nothing for null.
fn long_date(value: &serde_json::Value) -> String {
    let Some(text) = value.as_str() else {
        return if value.is_null() {
            String::new()
        } else {
            value.to_string()
        };
    };
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return day.format("%-d %B %Y").to_string();
    }
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(at) => at
            .with_timezone(&chrono::Utc)
            .format("%-d %B %Y")
            .to_string(),
        Err(_) => text.to_string(),
    }
}

/// `{{in_words x}}`: a stored code in words, from the one table of words (`crate::words`): `submitted` is
/// "Awaiting eligibility check", `england-and-wales` "England and Wales".
fn in_words(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map(crate::words::in_words)
        .unwrap_or_default()
}

/// Renders a template with its data. Values are HTML-escaped.
pub fn render(name: &str, data: &impl Serialize) -> Result<String, handlebars::RenderError> {
    TEMPLATES.render(name, data)
}

/// Whether a template of that name is embedded.
pub fn exists(name: &str) -> bool {
    TEMPLATES.has_template(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_embedded_template_compiles() {
        assert!(TEMPLATES.get_templates().contains_key("layout"));
        assert!(TEMPLATES.get_templates().contains_key("field"));
    }

    #[test]
    fn values_are_escaped() {
        let html = render(
            "error",
            &json!({"title": "t", "heading": "<script>x</script>", "message": "m"}),
        )
        .unwrap();
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!html.contains("<script>x"));
    }

    #[test]
    fn no_template_uses_the_triple_stash() {
        for file in TemplateFiles::iter() {
            let text =
                String::from_utf8(TemplateFiles::get(&file).unwrap().data.into_owned()).unwrap();
            assert!(
                !text.contains("{{{"),
                "{file} uses the triple-stash, which does not escape"
            );
        }
    }
}

#[cfg(test)]
mod helper_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_read_as_people_write_them_and_codes_as_words() {
        assert_eq!(long_date(&json!("2027-01-07")), "7 January 2027");
        assert_eq!(long_date(&json!("2027-01-07T23:30:00Z")), "7 January 2027");
        assert_eq!(
            long_date(&json!("2027-01-07T23:30:00-02:00")),
            "8 January 2027"
        );
        assert_eq!(long_date(&json!(null)), "");
        assert_eq!(long_date(&json!("not a date")), "not a date");
        assert_eq!(in_words(&json!("programme_officer")), "Programme officer");
        assert_eq!(
            in_words(&json!("under_review")),
            "Under review by the committee"
        );
        assert_eq!(
            render(
                "sar_letter",
                &json!({"request": {"received_on": "2027-01-07"}, "response": {}})
            )
            .map(|html| html.contains("You asked on 7 January 2027"))
            .ok(),
            Some(true)
        );
    }
}

//! The templates of every page and every letter, embedded in the binary and built once. Values are
//! HTML-escaped; no template uses the triple-stash (tested below).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{LazyLock, Mutex};

use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

/// Every template, by its file name without `.hbs`; partials are templates too (`{{> field}}`).
static TEMPLATES: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut registry = Handlebars::new();
    // A template naming a value its context lacks is an error, never a blank on the page: every page test
    // then checks its template against the context its handler really gives.
    registry.set_strict_mode(true);
    registry
        .register_embed_templates_with_extension::<TemplateFiles>(".hbs")
        .expect("the embedded templates compile");
    registry.register_helper("eq", Box::new(EqHelper));
    registry.register_helper("posted_value", Box::new(PostedHelper("values")));
    registry.register_helper("posted_error", Box::new(PostedHelper("errors")));
    registry.register_helper("long_date", Box::new(date_helper));
    registry.register_helper("in_words", Box::new(words_helper));
    registry.register_helper("short_reference", Box::new(reference_helper));
    registry
});

handlebars::handlebars_helper!(date_helper: |value: Json| long_date(value));
handlebars::handlebars_helper!(words_helper: |value: Json| in_words(value));
handlebars::handlebars_helper!(reference_helper: |id: str| crate::words::short_reference(id));

/// `(eq a b)`: whether two values are equal, a value the context lacks counting as null (a form's posted
/// values are optional), so that `{{#if (eq posted.source "supervisor")}}` needs no guard in strict mode.
struct EqHelper;

impl handlebars::HelperDef for EqHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        helper: &handlebars::Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc handlebars::Context,
        _: &mut handlebars::RenderContext<'reg, 'rc>,
    ) -> Result<handlebars::ScopedJson<'rc>, handlebars::RenderError> {
        let value = |index: usize| {
            helper
                .param(index)
                .map(|param| param.value().clone())
                .unwrap_or(serde_json::Value::Null)
        };
        Ok(handlebars::ScopedJson::Derived(serde_json::Value::Bool(
            value(0) == value(1),
        )))
    }
}

/// `(posted_value @root.posted id value)` and `(posted_error @root.posted id error)`: what a refused form
/// posted in the field of that id, and the field's message, when the page was answered again with them
/// (`posted: {values: {id: …}, errors: {id: …}}`); otherwise the value or error the template gives, and
/// nothing when it gives none. The `field` and `textarea` partials read them, so that every form keeps what
/// was typed and shows each message beside its field.
struct PostedHelper(&'static str);

impl handlebars::HelperDef for PostedHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        helper: &handlebars::Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc handlebars::Context,
        _: &mut handlebars::RenderContext<'reg, 'rc>,
    ) -> Result<handlebars::ScopedJson<'rc>, handlebars::RenderError> {
        let param = |index: usize| {
            helper
                .param(index)
                .map(|param| param.value().clone())
                .unwrap_or(serde_json::Value::Null)
        };
        let posted = param(0);
        let id = param(1);
        let found = id
            .as_str()
            .and_then(|id| posted.get(self.0).and_then(|by_id| by_id.get(id)))
            .filter(|value| !value.is_null())
            .cloned();
        Ok(handlebars::ScopedJson::Derived(
            found.unwrap_or_else(|| param(2)),
        ))
    }
}

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

/// The templates rendered without error in this process, by name (partials are part of their page), each
/// with the Rust types of the contexts it was given.
static RENDERED: LazyLock<Mutex<BTreeMap<String, BTreeSet<&'static str>>>> =
    LazyLock::new(Mutex::default);

/// Renders a template with its data. Values are HTML-escaped. In strict mode: a value the template names
/// and the data lacks is an error.
pub fn render<T: Serialize>(name: &str, data: &T) -> Result<String, handlebars::RenderError> {
    render_as(name, std::any::type_name::<T>(), data)
}

/// Renders a template with data already put into the form a layout needs, naming the type the data was
/// built from (a page's typed context, which the layout merges with the title, the user and the form's
/// posted values), so that [`rendered_with`] tells a typed context from an untyped one.
pub fn render_as<T: Serialize>(
    name: &str,
    context_type: &'static str,
    data: &T,
) -> Result<String, handlebars::RenderError> {
    let html = TEMPLATES.render(name, data)?;
    let mut rendered = RENDERED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match rendered.get_mut(name) {
        Some(types) => {
            types.insert(context_type);
        }
        None => {
            rendered.insert(name.to_string(), BTreeSet::from([context_type]));
        }
    }
    Ok(html)
}

/// Whether a context type is untyped: JSON built by hand (`json!`), whose misspelt or missing key only
/// the template's render finds.
pub fn is_untyped(context_type: &str) -> bool {
    context_type.starts_with("serde_json::")
}

/// The partials a template includes: `{{> name …}}` and `{{#> name}}…{{/name}}`.
fn included_partials(text: &str) -> BTreeSet<String> {
    text.split("{{")
        .skip(1)
        .filter_map(|tag| {
            let tag = tag.trim_start_matches('~');
            let rest = tag.strip_prefix("#>").or_else(|| tag.strip_prefix('>'))?;
            let name = rest
                .split(|c: char| c.is_whitespace() || c == '}')
                .find(|word| !word.is_empty())?;
            Some(name.to_string())
        })
        .collect()
}

/// The names of the templates this process has rendered without error so far.
pub fn rendered() -> BTreeSet<String> {
    rendered_with().into_keys().collect()
}

/// The templates this process has rendered without error so far, each with the types of its contexts.
pub fn rendered_with() -> BTreeMap<String, BTreeSet<&'static str>> {
    RENDERED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// Every embedded template by name, and the partials each includes (`{{> name}}`).
pub fn catalogue() -> BTreeMap<String, BTreeSet<String>> {
    TemplateFiles::iter()
        .map(|file| {
            let text = TemplateFiles::get(&file)
                .map(|embedded| String::from_utf8_lossy(&embedded.data).into_owned())
                .unwrap_or_default();
            let partials = included_partials(&text);
            (file.trim_end_matches(".hbs").to_string(), partials)
        })
        .collect()
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
    fn a_value_the_context_lacks_is_an_error_not_a_blank() {
        let lacking = render("error", &json!({"title": "t", "message": "m"}));
        assert!(lacking.is_err(), "strict mode: the heading is missing");
        assert!(
            render(
                "error",
                &json!({"title": "t", "heading": "h", "message": "m"})
            )
            .is_ok()
        );
    }

    #[test]
    fn the_partials_a_template_includes_are_found() {
        let found =
            included_partials("{{#> layout}}<p>{{> field id=\"x\"}}</p>{{~> answers}}{{/layout}}");
        let names: Vec<&str> = found.iter().map(String::as_str).collect();
        assert_eq!(names, ["answers", "field", "layout"]);
        let catalogue = catalogue();
        assert!(catalogue["case"].contains("layout"));
        assert!(catalogue["case"].contains("field"));
        assert!(catalogue["field"].is_empty());
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
                &json!({
                    "request": {"received_on": "2027-01-07", "responded_on": null,
                                "requester": {"name": "A. Requester"}},
                    "reference": "R1", "draft": true,
                    "response": {"subject": {"email": "subject@example.test"}}, "sections": [],
                })
            )
            .map(|html| html.contains("You asked on 7 January 2027"))
            .ok(),
            Some(true)
        );
    }
}

//! The page templates and static assets, embedded in the binary and built once.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

use crate::app::AppState;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct AssetFiles;

/// Every template, by its file name without `.hbs`; partials are templates too (`{{> field}}`).
static TEMPLATES: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(false);
    registry
        .register_embed_templates_with_extension::<TemplateFiles>(".hbs")
        .expect("the embedded templates compile");
    registry.register_helper("eq", Box::new(eq_helper));
    registry
});

handlebars::handlebars_helper!(eq_helper: |a: Json, b: Json| a == b);

/// Renders a template with its data. Values are HTML-escaped.
pub fn render(name: &str, data: &impl Serialize) -> Result<String, handlebars::RenderError> {
    TEMPLATES.render(name, data)
}

/// Whether a template of that name is embedded.
pub fn exists(name: &str) -> bool {
    TEMPLATES.has_template(name)
}

pub fn assets_router() -> Router<AppState> {
    Router::new().route("/assets/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    let Some(content) = AssetFiles::get(&file) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let content_type = match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        content.data.into_owned(),
    )
        .into_response()
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

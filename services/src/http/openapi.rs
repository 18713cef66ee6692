//! The OpenAPI 3 document of the JSON API, served at `GET /api/openapi.json`.
//!
//! Each module of `http/` documents its own routes next to its handlers (`#[utoipa::path]`) and gathers
//! them in a `Doc`; this module nests those under `/api` and adds what every route shares, so that no
//! handler has to repeat it:
//! - the bearer token scheme, required everywhere but where a route says `security(())`;
//! - 401 on every route that needs a token, and 503 (with `Retry-After`) on every route;
//! - 400, 413, 415 and 422 on every route that takes a JSON body;
//! - the optional `Idempotency-Key` header, and its 409 and 422 refusals, on every creating `POST` that
//!   accepts it (`idempotency::CREATING`).
//!
//! `tests/api/openapi.rs` checks the document against the router: every documented operation is answered by
//! a route, and every route of the authorization matrix is documented.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "EtP Scholarships",
        description = "The case-management API of the EtP Scholarships programme: applications from \
            draft to award, committee scoring, sharing with embassies and joint sponsors, the lists the \
            programme publishes, retention, and information requests (FOI and subject access). \
            Sign in with `POST /api/auth/login` and send the token as `Authorization: Bearer <token>`. \
            Every refusal is a JSON body `{error, message}` with the fields it names.",
        license(name = "UNLICENSED"),
    ),
    nest(
        (path = "/api", api = super::auth_routes::Doc),
        (path = "/api", api = super::applications::Doc),
        (path = "/api", api = super::award::Doc),
        (path = "/api", api = super::letters::Doc),
        (path = "/api", api = super::sharing::Doc),
        (path = "/api", api = super::publishing::Doc),
        (path = "/api", api = super::retention::Doc),
        (path = "/api", api = super::calendar::Doc),
        (path = "/api", api = super::requests::Doc),
        (path = "/api", api = super::cycles::Doc),
        (path = "/api", api = Service),
    ),
    components(schemas(super::error::ErrorBody)),
    security(("bearer" = [])),
    modifiers(&Conventions),
    tags(
        (name = "auth", description = "Registration, sign-in, sign-out and passwords"),
        (name = "applications", description = "The application's lifecycle, from draft to alumni"),
        (name = "committee", description = "Assignments, conflicts of interest, scores and rankings"),
        (name = "cycles", description = "When each cycle takes applications, blind review, eligibility"),
        (name = "sharing", description = "Recipients, disclosures and rectification notices"),
        (name = "publishing", description = "The lists the programme publishes, preferences applied"),
        (name = "retention", description = "The retention schedule, holds and restrictions"),
        (name = "calendar", description = "UK working days, bank holidays and statutory due dates"),
        (name = "information requests", description = "FOI and subject access requests, and the other rights"),
        (name = "service", description = "The document itself"),
    ),
)]
pub struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(ApiDoc::openapi)
}

/// `GET /api/openapi.json`, for anyone.
#[utoipa::path(
    get,
    path = "/openapi.json",
    description = "Who: anyone, without a token.",
    tag = "service",
    security(()),
    responses((status = 200, description = "This document, OpenAPI 3.1", content_type = "application/json")),
)]
pub async fn serve() -> impl IntoResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| document().to_json().unwrap_or_else(|_| String::from("{}")));
    ([(header::CONTENT_TYPE, "application/json")], json.as_str())
}

#[derive(OpenApi)]
#[openapi(paths(serve))]
struct Service;

/// What every route shares, added to each operation after the modules have described their own.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The token from POST /api/auth/login; it lasts the `expires_in` seconds the \
                         sign-in gave, and ends at sign-out or a change of password",
                    ))
                    .build(),
            ),
        );
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                conventions(operation);
            }
        }
        for route in super::idempotency::CREATING {
            if let Some(operation) = openapi
                .paths
                .paths
                .get_mut(&format!("/api{route}"))
                .and_then(|item| item.post.as_mut())
            {
                idempotency_key(operation);
            }
        }
    }
}

/// The `Idempotency-Key` a creating `POST` accepts, and what it answers when the key is reused or busy.
fn idempotency_key(operation: &mut Operation) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, Required, Type};
    let header = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "A key of the client's choosing (1 to 200 visible ASCII characters, such as a UUID): the same \
             request sent again with it within 24 hours is given the first answer, with \
             `Idempotent-Replayed: true`, and nothing is made twice",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(200))
                .pattern(Some("^[!-~]+$")),
        ))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(header);
    add(
        operation,
        "409",
        "idempotency_key_in_use: a request with this Idempotency-Key is still being answered; try again \
         after `retry_after` seconds",
    );
    add(
        operation,
        "422",
        "invalid, or idempotency_key_reused: this Idempotency-Key was sent with another request",
    );
}

fn conventions(operation: &mut Operation) {
    // An operation that names no security of its own takes the document's: a bearer token.
    let public = operation.security.is_some();
    if !public {
        add(
            operation,
            "401",
            "unauthenticated: no token, or one that is forged, expired or signed out",
        );
    }
    if operation.request_body.is_some() {
        add(operation, "400", "malformed_json: the body is not JSON");
        add(
            operation,
            "413",
            "payload_too_large: the body is over 256 KiB",
        );
        add(
            operation,
            "415",
            "unsupported_media_type: send the body with Content-Type: application/json",
        );
        add(
            operation,
            "422",
            "invalid: a value of the wrong type, out of range or against the rules; `problems` names each path",
        );
    }
    let has_params = operation
        .parameters
        .as_ref()
        .is_some_and(|parameters| !parameters.is_empty());
    if has_params {
        add(
            operation,
            "422",
            "invalid: a parameter that cannot be read; `problems` names it",
        );
    }
    add(
        operation,
        "503",
        "unavailable: the store is busy or out of reach; try again after `Retry-After` seconds",
    );
}

/// Adds a refusal with the error body, unless the operation already describes that status.
fn add(operation: &mut Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::T(error_response(description)));
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Error",
                ))))
                .build(),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use utoipa::OpenApi;

    /// Two modules' schemas of one name would silently become one in the document: every name means one
    /// shape.
    #[test]
    fn no_two_schemas_share_a_name() {
        let modules = [
            ("auth", super::super::auth_routes::Doc::openapi()),
            ("applications", super::super::applications::Doc::openapi()),
            ("award", super::super::award::Doc::openapi()),
            ("sharing", super::super::sharing::Doc::openapi()),
            ("publishing", super::super::publishing::Doc::openapi()),
            ("retention", super::super::retention::Doc::openapi()),
            ("calendar", super::super::calendar::Doc::openapi()),
            ("requests", super::super::requests::Doc::openapi()),
            ("cycles", super::super::cycles::Doc::openapi()),
        ];
        let mut seen: BTreeMap<String, (&str, String)> = BTreeMap::new();
        for (module, doc) in &modules {
            let schemas = doc.components.as_ref().map(|c| &c.schemas);
            for (name, schema) in schemas.into_iter().flatten() {
                let shape = serde_json::to_string(schema).unwrap_or_default();
                if let Some((other, other_shape)) = seen.get(name) {
                    assert_eq!(
                        &shape, other_shape,
                        "the schema {name} of {module} is not the one of {other}"
                    );
                } else {
                    seen.insert(name.clone(), (module, shape));
                }
            }
        }
        assert!(seen.len() > 30, "{} schemas", seen.len());
    }
}

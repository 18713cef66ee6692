//! The OpenAPI document at `/api/openapi.json`: served to anyone, a valid OpenAPI 3.1 document, its paths
//! the router's routes, and (through [`Document::conforms`], which the authorization matrix calls on every
//! answer) a true description of what the routes answer.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_stores;

on_both_stores!(the_document_is_served_to_anyone_as_openapi_3);
on_both_stores!(every_documented_operation_is_a_route_of_the_router);
on_both_stores!(every_creating_post_that_takes_an_idempotency_key_declares_it);

/// The document as served, ready to check answers against.
pub struct Document {
    json: Value,
}

impl Document {
    pub async fn fetch(app: &TestApp) -> Document {
        let (status, json) = app
            .request(Method::GET, "/api/openapi.json", None, None)
            .await;
        assert_eq!(status, StatusCode::OK, "the document is served");
        Document { json }
    }

    /// Every operation as (method, path template), the parameter names written `{}`.
    pub fn operations(&self) -> BTreeSet<(String, String)> {
        let mut operations = BTreeSet::new();
        for (path, item) in self.json["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                operations.insert((method.to_uppercase(), shape(path)));
            }
        }
        operations
    }

    fn operation(&self, method: &Method, template: &str) -> Option<&Value> {
        let shaped = shape(template);
        self.json["paths"]
            .as_object()?
            .iter()
            .find(|(path, _)| shape(path) == shaped)
            .and_then(|(_, item)| item.get(method.as_str().to_lowercase()))
    }

    /// Whether an answer is one the document describes: its status among the operation's responses, and
    /// a JSON body (`None` for one that is not JSON) valid against that response's schema.
    pub fn conforms(
        &self,
        method: &Method,
        template: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Result<(), String> {
        let template = template.split('?').next().unwrap_or(template);
        let operation = self
            .operation(method, template)
            .ok_or_else(|| format!("{method} {template} is not in the document"))?;
        let response = operation["responses"]
            .get(status.to_string())
            .ok_or_else(|| format!("{method} {template} does not document the status {status}"))?;
        let (Some(schema), Some(body)) = (
            response
                .pointer("/content/application~1json/schema")
                .cloned(),
            body,
        ) else {
            return Ok(());
        };
        // The schema is checked with the whole document as its root, so that its `$ref`s resolve.
        let mut root = self.json.clone();
        root["$ref"] = json!("#/$defs/answer");
        root["$defs"] = json!({ "answer": schema });
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|error| format!("the schema of {method} {template} {status}: {error}"))?;
        let problems: Vec<String> = validator
            .iter_errors(body)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{method} {template} answered {status} with a body the document does not describe: {}",
                problems.join("; ")
            ))
        }
    }
}

/// A path with its parameter names blanked: `/api/applications/{id}` is `/api/applications/{}`.
pub fn shape(path: &str) -> String {
    let mut shaped = String::new();
    let mut in_name = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_name = true;
                shaped.push('{');
            }
            '}' => {
                in_name = false;
                shaped.push('}');
            }
            _ if in_name => {}
            _ => shaped.push(c),
        }
    }
    shaped
}

async fn the_document_is_served_to_anyone_as_openapi_3(app: TestApp) {
    let response = app
        .client
        .get(format!("{}/api/openapi.json", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let text = response.text().await.unwrap();

    // It parses as an OpenAPI 3.1 document, every part in its place.
    let spec = oas3::from_json(&text).expect("the document is OpenAPI 3.1");
    spec.validate_version().expect("an OpenAPI 3.1 version");
    let document: Value = serde_json::from_str(&text).unwrap();

    // Every reference names a schema the document holds.
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(!references.is_empty());
    for reference in &references {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{reference} is not a schema reference"));
        assert!(schemas.contains_key(name), "{reference} resolves");
    }

    // The bearer scheme is declared, and required wherever a route does not say it is public.
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        json!("bearer")
    );
    assert_eq!(document["security"], json!([{"bearer": []}]));

    let mut ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        assert!(path.starts_with("/api/"), "{path} is under /api");
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{name} documents its success"
            );
            assert!(responses.contains_key("503"), "{name} documents 503");
            let public = operation.get("security") == Some(&json!([{}]));
            assert!(
                public || responses.contains_key("401"),
                "{name}: 401 where a token is needed"
            );
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{name} documents {status}");
                }
            }
            assert!(
                operation["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("Who: ")),
                "{name} says who may call it"
            );
            assert!(operation["tags"].as_array().is_some_and(|t| !t.is_empty()));
            let id = operation["operationId"].as_str().unwrap().to_string();
            assert!(ids.insert(id.clone()), "{name}: operationId {id} is unique");
        }
    }
}

fn collect_references(value: &Value, references: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => references.push(reference.clone()),
                    _ => collect_references(value, references),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, references)),
        _ => {}
    }
}

/// Each operation of the document is answered by the route it names (not by the fallbacks for an unknown
/// address or a method the route does not take), and a route that the document says is public answers
/// without a token; every route of the authorization matrix (which calls each route of CONTRACT.md) is in
/// the document.
async fn every_documented_operation_is_a_route_of_the_router(app: TestApp) {
    let document = Document::fetch(&app).await;
    let operations = document.operations();
    assert!(operations.len() >= 50, "{} operations", operations.len());
    for (method, path) in &operations {
        let address = path.replace("{}", "0196f0c1-0000-7000-8000-000000000000");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let public = document.operation(&method, path).unwrap()["security"] == json!([{}]);
        let (status, body) = app.request(method.clone(), &address, None, None).await;
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is routed"
        );
        assert_ne!(
            body["message"],
            json!("there is no such route"),
            "{method} {path} is routed"
        );
        if public {
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} is public"
            );
        } else {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} needs a token"
            );
        }
    }
    for (method, path) in crate::matrix::route_list() {
        let path = path.split('?').next().unwrap_or(path);
        assert!(
            operations.contains(&(method.to_string(), shape(path))),
            "{method} {path} is in the document"
        );
    }
}

/// Issue 26, finding 6: the document declares the optional `Idempotency-Key` header, with its 409, on each
/// creating `POST` that takes one, and on no other operation; each route that declares it really reads it
/// (a blank key is refused, before anything else, naming the header).
async fn every_creating_post_that_takes_an_idempotency_key_declares_it(app: TestApp) {
    let document = Document::fetch(&app).await;
    let declaring = |operation: &Value| {
        operation["parameters"]
            .as_array()
            .is_some_and(|parameters| {
                parameters
                    .iter()
                    .any(|p| p["in"] == "header" && p["name"] == "Idempotency-Key")
            })
    };
    let mut declared = BTreeSet::new();
    for (path, item) in document.json["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if declaring(operation) {
                assert_eq!(method, "post", "{method} {path} declares the key");
                declared.insert(path.clone());
                let header = operation["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["name"] == "Idempotency-Key")
                    .unwrap();
                assert_eq!(
                    header["required"],
                    json!(false),
                    "{path}: the key is optional"
                );
                assert!(
                    operation["responses"]["409"].is_object(),
                    "{path}: the 409 of a key in use"
                );
            }
        }
    }
    let creating: BTreeSet<String> = services::http::idempotency::CREATING
        .iter()
        .map(|route| format!("/api{route}"))
        .collect();
    assert_eq!(
        declared, creating,
        "the routes that take a key are the ones declaring it"
    );
    for path in &declared {
        let answer = app
            .client
            .post(format!("{}{path}", app.address))
            .header("Idempotency-Key", "not a key")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let text = answer.text().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {text}");
        assert!(text.contains("Idempotency-Key"), "{path}: {text}");
    }
}

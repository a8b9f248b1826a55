//! `GET /api/openapi.json` over real HTTP: every route the router serves is
//! in the document with its methods (router ⊆ spec), every documented
//! operation is served (but the paths `DOCUMENTED_ONLY` names), and real
//! answers validate against
//! the schemas the document gives for them (jsonschema, 2020-12, as OpenAPI
//! 3.1 uses).

use crate::common::{random_bytes, start, TestServer};
use presign_server::DOCUMENTED_ONLY;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Catch-alls of the router: they answer JSON 404s for unknown paths.
const CATCH_ALLS: &[&str] = &["/api", "/api/", "/api/{*rest}"];
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
];
const SOME_ID: &str = "0123456789abcdef0123456789abcdef";

/// The paths the router holds. axum has no API to list them; its `Debug`
/// output names every path (a change there fails `enough_paths` below
/// rather than passing silently). Its fallback (`/`, and a private
/// catch-all) is left out: it is not an API route.
fn router_paths() -> BTreeSet<String> {
    let debug = format!("{:?}", presign_server::api_router());
    let mut paths = BTreeSet::new();
    let mut rest = debug.as_str();
    while let Some(start) = rest.find("\"/") {
        let after = &rest[start + 1..];
        let end = after.find('"').expect("closing quote");
        let path = &after[..end];
        if path != "/" && !path.contains("__private__") {
            paths.insert(path.to_owned());
        }
        rest = &after[end..];
    }
    paths
}

async fn spec(t: &TestServer) -> Value {
    let resp = t
        .http
        .get(t.api("openapi.json"))
        .send()
        .await
        .expect("API reachable");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("JSON")
}

/// The status of `method path` with no body (`{upload_id}` filled in).
async fn probe(t: &TestServer, method: &Method, path: &str) -> u16 {
    let url = format!("{}{}", t.server.url(), path.replace("{upload_id}", SOME_ID));
    t.http
        .request(method.clone(), url)
        .send()
        .await
        .expect("server reachable")
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_route_is_documented_and_every_operation_served() {
    let t = start().await;
    let spec = spec(&t).await;
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{}",
        spec["openapi"]
    );
    let documented = spec["paths"].as_object().expect("paths");
    let routes = router_paths();
    assert!(routes.len() >= 15, "enough_paths: {routes:?}");

    // Router ⊆ spec: every method a route answers (anything but 405) is documented.
    let mut served = BTreeSet::new();
    for path in routes.iter().filter(|p| !CATCH_ALLS.contains(&p.as_str())) {
        for method in &METHODS {
            if probe(&t, method, path).await == 405 {
                continue;
            }
            let name = method.as_str().to_ascii_lowercase();
            assert!(
                documented.get(path).and_then(|p| p.get(&name)).is_some(),
                "{method} {path} is served but not in /api/openapi.json"
            );
            served.insert((path.clone(), name));
        }
    }
    // Spec ⊆ router: every documented operation is served, but the
    // documented-only paths (which may be served once their branch lands).
    for (path, operations) in documented {
        for name in operations.as_object().expect("operations").keys() {
            let pair = (path.clone(), name.clone());
            assert!(
                served.contains(&pair) || DOCUMENTED_ONLY.contains(&path.as_str()),
                "{name} {path} is documented but not served"
            );
        }
    }
    assert!(documented.contains_key("/api/get-upload-form"));
    // Operation ids are unique (OpenAPI requires it; code generators name
    // functions after them).
    let ids: Vec<&str> = documented
        .values()
        .flat_map(|item| item.as_object().expect("operations").values())
        .map(|op| op["operationId"].as_str().expect("an operationId"))
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    for op in ["post", "get"] {
        for (path, item) in documented {
            if let Some(o) = item.get(op) {
                assert!(
                    o["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{op} {path}"
                );
            }
        }
    }
}

/// The schema the document gives for `method path` answering `status`,
/// with the document's components beside it so `$ref`s resolve.
fn response_schema(spec: &Value, method: &str, path: &str, status: u16) -> Value {
    let schema = &spec["paths"][path][method]["responses"][status.to_string()]["content"]
        ["application/json"]["schema"];
    assert!(schema.is_object(), "no schema for {method} {path} {status}");
    with_components(spec, schema)
}

fn with_components(spec: &Value, schema: &Value) -> Value {
    let mut root = schema.clone();
    root["components"] = spec["components"].clone();
    root
}

fn assert_valid(schema: &Value, instance: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{instance}");
}

/// `method path` with `body`, its answer checked against the document.
async fn checked(
    t: &TestServer,
    spec: &Value,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let mut req = t
        .http
        .request(method.clone(), format!("{}{path}", t.server.url()));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("server reachable");
    assert_eq!(resp.status().as_u16(), status, "{method} {path}");
    let answer: Value = resp.json().await.expect("JSON answer");
    let template = documented_template(spec, path);
    let schema = response_schema(
        spec,
        &method.as_str().to_ascii_lowercase(),
        &template,
        status,
    );
    assert_valid(&schema, &answer, &format!("{method} {template} {status}"));
    answer
}

/// The documented path that `path` is an instance of.
fn documented_template(spec: &Value, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    spec["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .find(|template| {
            let (a, b): (Vec<&str>, Vec<&str>) =
                (template.split('/').collect(), path.split('/').collect());
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || x.starts_with('{'))
        })
        .unwrap_or_else(|| panic!("{path} is not documented"))
        .clone()
}

#[tokio::test]
async fn real_answers_match_the_documented_schemas() {
    let t = start().await;
    let spec = spec(&t).await;

    // A single upload: URL, PUT, confirmation, the record, a download URL.
    let data = random_bytes(2_000, 3);
    let sha = presign_core::Sha256Digest::of(&data).to_base64();
    let signed = checked(
        &t,
        &spec,
        Method::POST,
        "/api/get-upload-url",
        Some(json!({"filename": "s.bin", "file_type": "ecu", "size": data.len(), "sha256": sha})),
        200,
    )
    .await;
    let signed: presign_core::protocol::single::GetUploadUrlResponse =
        serde_json::from_value(signed).expect("typed");
    assert_eq!(t.put(&signed, data).await.status(), 200);
    checked(
        &t,
        &spec,
        Method::POST,
        "/api/file-uploaded",
        Some(json!({"key": signed.key, "file_type": "ecu"})),
        200,
    )
    .await;
    let list = checked(&t, &spec, Method::GET, "/api/uploads", None, 200).await;
    assert_eq!(list["uploads"].as_array().map(Vec::len), Some(1));
    let key = signed.key.replace(' ', "%20");
    checked(
        &t,
        &spec,
        Method::GET,
        &format!("/api/download-url?key={key}"),
        None,
        200,
    )
    .await;
    // Errors: the shared error body.
    checked(
        &t,
        &spec,
        Method::POST,
        "/api/get-upload-url",
        Some(json!({"filename": "s.bin"})),
        400,
    )
    .await;
    checked(
        &t,
        &spec,
        Method::GET,
        &format!("/api/multipart/{SOME_ID}/parts"),
        None,
        404,
    )
    .await;
    // Multipart: create, part URLs, the parts listed.
    let created = checked(
        &t,
        &spec,
        Method::POST,
        "/api/multipart",
        Some(json!({"filename": "m.bin", "file_type": "ecu", "size": 6 * 1024 * 1024, "part_size": 5 * 1024 * 1024})),
        200,
    )
    .await;
    let id = created["upload_id"].as_str().expect("id");
    let part = vec![7u8; 1024 * 1024];
    let part_sha = presign_core::Sha256Digest::of(&part).to_base64();
    checked(
        &t,
        &spec,
        Method::POST,
        &format!("/api/multipart/{id}/part-urls"),
        Some(json!({"parts": [{"number": 2, "size": part.len(), "sha256": part_sha}]})),
        200,
    )
    .await;
    checked(
        &t,
        &spec,
        Method::GET,
        &format!("/api/multipart/{id}/parts"),
        None,
        200,
    )
    .await;
    checked(&t, &spec, Method::GET, "/healthz", None, 200).await;

    // The schemas are not vacuous: wrong shapes fail them.
    let upload_url = response_schema(&spec, "post", "/api/get-upload-url", 200);
    let validator = jsonschema::validator_for(&upload_url).expect("schema");
    assert!(!validator.is_valid(&json!({"key": 1})));
    let request = with_components(
        &spec,
        &spec["paths"]["/api/get-upload-url"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"],
    );
    let validator = jsonschema::validator_for(&request).expect("schema");
    assert!(validator.is_valid(&json!({"filename": "a", "file_type": "ecu"})));
    // Unknown fields are refused by the document as by the server.
    assert!(!validator.is_valid(&json!({"filename": "a", "file_type": "ecu", "bucket": "x"})));
    let resp = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "a", "file_type": "ecu", "bucket": "x"}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    // The form endpoint is documented from core's types.
    let form = with_components(
        &spec,
        &spec["paths"]["/api/get-upload-form"]["post"]["requestBody"]["content"]
            ["application/json"]["schema"],
    );
    let validator = jsonschema::validator_for(&form).expect("schema");
    assert!(validator.is_valid(&json!({"filename": "a.txt", "file_type": "docs", "sha256": sha})));
    assert!(
        !validator.is_valid(&json!({"filename": "a.txt", "file_type": "docs", "sha256": "short"}))
    );
}

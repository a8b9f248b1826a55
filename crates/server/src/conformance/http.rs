//! The suite's HTTP: calls to the signer under test (its `/api` routes,
//! with the user's bearer token) and requests to the store at the URLs it
//! signs. Every answer is kept whole (status, headers, body) for the checks
//! to judge; a request that gets no answer is an error naming it.

use reqwest::header::HeaderMap;
use reqwest::{Client, Method};
use serde_json::Value;

/// An answer: its status, headers and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The status and the start of the body, for messages.
    pub fn describe(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text: String = text.chars().take(300).collect();
        format!("HTTP {} {}", self.status, text.trim())
    }
}

async fn answer(request: reqwest::RequestBuilder, what: &str) -> Result<Answer, String> {
    let response = request
        .send()
        .await
        .map_err(|e| format!("{what}: no answer ({})", e.without_url()))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("{what}: the answer broke off ({})", e.without_url()))?;
    Ok(Answer {
        status,
        headers,
        body: body.to_vec(),
    })
}

/// The signer under test, as one user.
#[derive(Debug, Clone)]
pub struct SignerApi {
    http: Client,
    base: String,
    token: Option<String>,
}

impl SignerApi {
    pub fn new(http: Client, base: &str, token: Option<String>) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// The same signer with another token (or none).
    pub fn with_token(&self, token: Option<&str>) -> Self {
        Self {
            token: token.map(str::to_owned),
            ..self.clone()
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("accept", "application/json");
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// `POST {path}` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Answer, String> {
        self.post_raw(path, body.to_string()).await
    }

    /// `POST {path}` with any body, sent as JSON.
    pub async fn post_raw(&self, path: &str, body: String) -> Result<Answer, String> {
        let request = self
            .request(Method::POST, path)
            .header("content-type", "application/json")
            .body(body);
        answer(request, &format!("POST {path}")).await
    }

    pub async fn get(&self, path: &str) -> Result<Answer, String> {
        answer(self.request(Method::GET, path), &format!("GET {path}")).await
    }

    pub async fn delete(&self, path: &str) -> Result<Answer, String> {
        answer(
            self.request(Method::DELETE, path),
            &format!("DELETE {path}"),
        )
        .await
    }
}

/// Requests to the store, at presigned URLs.
#[derive(Debug, Clone)]
pub struct StoreHttp {
    http: Client,
}

impl StoreHttp {
    pub fn new(http: Client) -> Self {
        Self { http }
    }

    /// `PUT url` with exactly `headers` and `body`.
    pub async fn put(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Result<Answer, String> {
        let mut request = self.http.put(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        answer(request, "PUT to the store").await
    }

    pub async fn get(&self, url: &str) -> Result<Answer, String> {
        answer(self.http.get(url), "GET from the store").await
    }

    /// A browser's form POST: every field, then the file, named `file`.
    pub async fn post_form(
        &self,
        url: &str,
        fields: &[(String, String)],
        file: Vec<u8>,
        content_type: &str,
    ) -> Result<Answer, String> {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.clone(), value.clone());
        }
        let part = reqwest::multipart::Part::bytes(file)
            .file_name("conformance.txt")
            .mime_str(content_type)
            .map_err(|e| format!("form part: {e}"))?;
        form = form.part("file", part);
        answer(
            self.http.post(url).multipart(form),
            "POST the form to the store",
        )
        .await
    }
}

//! The bearer token sent to the signer: a fixed string, or an async
//! `getToken()` callback asked once and again after a 401 (a token that
//! expired is replaced, once per request; a second 401 is the answer).

use crate::error::UploadError;
use presign_core::ErrorCode;
use std::cell::RefCell;
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Where tokens come from (`token` or `getToken` in the Uploader's options).
#[derive(Clone)]
pub enum TokenOption {
    Static(String),
    /// Returns a string, or a promise of one.
    Callback(js_sys::Function),
}

impl PartialEq for TokenOption {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Static(a), Self::Static(b)) => a == b,
            (Self::Callback(a), Self::Callback(b)) => JsValue::from(a) == JsValue::from(b),
            _ => false,
        }
    }
}

impl fmt::Debug for TokenOption {
    /// Never prints a token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Static(_) => "TokenOption::Static(..)",
            Self::Callback(_) => "TokenOption::Callback(..)",
        })
    }
}

/// Hands out the current token and fetches a new one on demand.
pub struct TokenSource {
    option: Option<TokenOption>,
    /// The callback's last answer.
    cached: RefCell<Option<String>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("option", &self.option)
            .field("cached", &self.cached.borrow().as_ref().map(|_| ".."))
            .finish()
    }
}

impl TokenSource {
    pub fn new(option: Option<TokenOption>) -> Self {
        Self {
            option,
            cached: RefCell::new(None),
        }
    }

    /// The token to send now, if any (calls `getToken()` the first time).
    pub async fn current(&self) -> Result<Option<String>, UploadError> {
        match &self.option {
            None => Ok(None),
            Some(TokenOption::Static(token)) => Ok(Some(token.clone())),
            Some(TokenOption::Callback(get)) => {
                if let Some(token) = self.cached.borrow().clone() {
                    return Ok(Some(token));
                }
                self.fetch(get).await.map(Some)
            }
        }
    }

    /// After a 401: a fresh token from `getToken()`, or `None` when tokens
    /// cannot be renewed (no callback).
    pub async fn renew(&self) -> Result<Option<String>, UploadError> {
        match &self.option {
            Some(TokenOption::Callback(get)) => self.fetch(get).await.map(Some),
            _ => Ok(None),
        }
    }

    async fn fetch(&self, get: &js_sys::Function) -> Result<String, UploadError> {
        let failed = |why: String| {
            UploadError::new(ErrorCode::Forbidden, format!("getToken() failed: {why}"))
        };
        let value = get
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| failed(describe(&e)))?;
        // A string, a promise or any thenable alike.
        let value = JsFuture::from(js_sys::Promise::resolve(&value))
            .await
            .map_err(|e| failed(describe(&e)))?;
        let token = value
            .as_string()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| failed("it must return (or resolve to) a non-empty string".into()))?;
        if token.contains(['\r', '\n']) {
            return Err(failed("the token contains a line break".into()));
        }
        *self.cached.borrow_mut() = Some(token.clone());
        Ok(token)
    }
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "it threw".into())
}

//! One call of the signer protocol, in the two forms a signer takes it:
//! an HTTP request to a signer speaking `presign-server`'s protocol
//! (`POST /api/multipart/{id}/part-urls` with a JSON body), or a call of
//! the page's own signer object (`signer.partUrls(id, body, { signal })`).
//! The JSON is the same in both, so is everything above this file.

use crate::error::UploadError;
use serde::Serialize;

/// The HTTP method of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Delete,
}

/// What a call means when the page's signer lacks its function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenAbsent {
    /// The uploader cannot go on: a `bad_request` naming the function.
    Refuse,
    /// The signer has no batches: as an HTTP signer's 404, so the uploader
    /// sends each file's own call instead.
    NoBatches,
    /// Nothing to do: the call answers `null` (an unconfirmed upload).
    Skip,
}

/// One call: its JS function, its HTTP request, its subject and body.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// The page signer's function (`getUploadUrl`).
    pub function: &'static str,
    pub verb: Verb,
    /// The HTTP path, the subject in it (`/api/multipart/abc/part-urls`).
    pub path: String,
    /// The upload id or key the call is about: the JS function's first
    /// argument.
    pub subject: Option<&'a str>,
    /// The JSON body: the JS function's next argument, parsed.
    pub body: Option<String>,
    pub when_absent: WhenAbsent,
}

impl<'a> Call<'a> {
    fn new(function: &'static str, verb: Verb, path: String) -> Self {
        Self {
            function,
            verb,
            path,
            subject: None,
            body: None,
            when_absent: WhenAbsent::Refuse,
        }
    }

    pub fn get(function: &'static str, path: String) -> Self {
        Self::new(function, Verb::Get, path)
    }

    pub fn delete(function: &'static str, path: String) -> Self {
        Self::new(function, Verb::Delete, path)
    }

    /// A `POST` of `body` as JSON.
    pub fn post(
        function: &'static str,
        path: String,
        body: &impl Serialize,
    ) -> Result<Self, UploadError> {
        let json = serde_json::to_string(body)
            .map_err(|e| UploadError::bad_request(format!("could not encode the request: {e}")))?;
        Ok(Self {
            body: Some(json),
            ..Self::new(function, Verb::Post, path)
        })
    }

    /// The call is about `subject` (an upload id, a key).
    pub fn about(self, subject: &'a str) -> Self {
        Self {
            subject: Some(subject),
            ..self
        }
    }

    pub fn when_absent(self, when_absent: WhenAbsent) -> Self {
        Self {
            when_absent,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_carries_its_body_as_json() {
        let call = Call::post("partUrls", "/api/multipart/u1/part-urls".into(), &[1, 2])
            .expect("encodes")
            .about("u1");
        assert_eq!(call.verb, Verb::Post);
        assert_eq!(call.body.as_deref(), Some("[1,2]"));
        assert_eq!(call.subject, Some("u1"));
        assert_eq!(call.when_absent, WhenAbsent::Refuse);
        let get = Call::get("listParts", "/api/multipart/u1/parts".into());
        assert_eq!((get.verb, get.body), (Verb::Get, None));
    }
}

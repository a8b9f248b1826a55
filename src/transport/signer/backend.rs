//! Where an uploader's signer calls go: over HTTP to a signer speaking
//! `presign-server`'s protocol (the default, [`SignerHttp`]), or to the
//! page's own signer object ([`JsSigner`]). Both answer the same JSON.

use crate::error::UploadError;
use crate::transport::signer::call::{Call, Verb};
use crate::transport::signer::http::SignerHttp;
use crate::transport::signer::js_signer::JsSigner;
use web_sys::AbortSignal;

/// An uploader's signer.
#[derive(Debug)]
pub enum Backend {
    Http(SignerHttp),
    Js(JsSigner),
}

impl Backend {
    /// The JSON text of `call`'s answer.
    pub async fn call(
        &self,
        call: &Call<'_>,
        signal: Option<&AbortSignal>,
    ) -> Result<String, UploadError> {
        match self {
            Backend::Http(http) => http.call(call, signal).await,
            Backend::Js(js) => js.call(call, signal).await,
        }
    }

    /// The call, as messages name it: `POST /api/multipart` or
    /// `signer.createMultipart()`.
    pub fn describe(&self, call: &Call<'_>) -> String {
        match self {
            Backend::Http(_) => {
                let verb = match call.verb {
                    Verb::Get => "GET",
                    Verb::Post => "POST",
                    Verb::Delete => "DELETE",
                };
                let path = call.path.split('?').next().unwrap_or_default();
                format!("{verb} {path}")
            }
            Backend::Js(_) => format!("signer.{}()", call.function),
        }
    }

    /// The signer's base URL (`""`: same origin, or the page's signer).
    pub fn endpoint(&self) -> &str {
        match self {
            Backend::Http(http) => http.endpoint(),
            Backend::Js(_) => "",
        }
    }

    /// Whether files above the multipart threshold may go in parts.
    pub fn signs_multipart(&self) -> bool {
        match self {
            Backend::Http(_) => true,
            Backend::Js(js) => js.signs_multipart(),
        }
    }

    /// Whether an unfinished multipart upload can be found again (its
    /// parts listed) after a reload.
    pub fn lists_parts(&self) -> bool {
        match self {
            Backend::Http(_) => true,
            Backend::Js(js) => js.has("listParts"),
        }
    }
}

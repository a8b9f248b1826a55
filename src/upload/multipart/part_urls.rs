//! Presigning parts in batches: after a part is hashed (its checksum is a
//! signed header), its URL is requested together with other hashed parts,
//! ahead of need but never for the whole file at once, so no URL waits long
//! enough to expire.

use crate::error::UploadError;
use crate::transport::signer::client::SignerClient;
use crate::upload::attempt::{Peer, Retrying};
use crate::upload::multipart::part_upload::{Part, SignedPart};
use crate::upload::single::use_before;
use crate::web::clock::now_ms;
use presign_core::protocol::multipart::{PartToSign, PartUrlsRequest};
use presign_core::ErrorCode;
use web_sys::AbortSignal;

/// Signs `parts` (at most the signer's limit per request).
pub async fn sign(
    signer: &SignerClient,
    retrying: &Retrying,
    upload_id: &str,
    parts: Vec<Part>,
    signal: &AbortSignal,
) -> Result<Vec<SignedPart>, UploadError> {
    let request = PartUrlsRequest {
        parts: parts
            .iter()
            .map(|p| PartToSign {
                number: p.number,
                size: p.size(),
                sha256: p.sha256,
            })
            .collect(),
    };
    let asked_at = now_ms();
    let send = || signer.part_urls(upload_id, &request, Some(signal));
    let mut answer = retrying
        .call(Peer::Signer, "signing part URLs", Some(signal), send)
        .await?;
    parts
        .into_iter()
        .map(|part| {
            let i = answer
                .urls
                .iter()
                .position(|u| u.number == part.number)
                .ok_or_else(|| {
                    UploadError::new(
                        ErrorCode::Server,
                        format!("the signer sent no URL for part {}", part.number),
                    )
                })?;
            let url = answer.urls.swap_remove(i);
            let use_before_ms = use_before(asked_at, url.expires_in);
            Ok(SignedPart {
                part,
                url: url.url,
                headers: url.headers,
                use_before_ms,
            })
        })
        .collect()
}

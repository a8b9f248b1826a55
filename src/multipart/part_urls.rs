//! Presigning parts in batches: after a part is hashed (its checksum is a
//! signed header), its URL is requested together with other hashed parts,
//! ahead of need but never for the whole file at once, so no URL waits long
//! enough to expire.

use crate::attempt::Retrying;
use crate::multipart::part_upload::{Part, SignedPart};
use crate::progress_reporter::now_ms;
use crate::signer_client::SignerClient;
use crate::single_put::use_before;
use crate::upload_error::UploadError;
use presign_core::protocol::multipart::{PartToSign, PartUrlsRequest};
use presign_core::ErrorCode;
use web_sys::AbortSignal;

/// The signer takes at most this many parts per request.
pub const MAX_BATCH: usize = 100;

/// Whether to ask for URLs now. `hashed` parts wait for a URL, `signed` wait
/// for a free slot, `unhashed` are still to be read, `in_flight` are being sent.
pub fn batch_due(
    hashed: usize,
    signed: usize,
    unhashed: usize,
    in_flight: usize,
    concurrency: usize,
) -> bool {
    if hashed == 0 || signed >= concurrency {
        return false;
    }
    let starving = in_flight + signed == 0;
    let full_batch = hashed >= concurrency.min(hashed + unhashed);
    starving || full_batch || hashed >= MAX_BATCH
}

/// Signs up to [`MAX_BATCH`] parts from the front of `parts`.
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
    let mut answer = signer
        .part_urls(upload_id, &request, retrying, Some(signal))
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

#[cfg(test)]
mod tests {
    use super::batch_due;

    #[test]
    fn batches_fill_up_to_concurrency() {
        assert!(batch_due(1, 0, 15, 0, 4), "nothing runs: do not idle");
        assert!(!batch_due(2, 1, 15, 0, 4));
        assert!(batch_due(4, 1, 15, 0, 4));
        // Enough signed parts queued: wait.
        assert!(!batch_due(8, 4, 15, 4, 4));
        // The tail: fewer parts than a batch remain.
        assert!(batch_due(2, 3, 0, 4, 4));
        assert!(!batch_due(0, 0, 0, 4, 4));
    }
}

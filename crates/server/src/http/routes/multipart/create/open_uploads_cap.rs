//! The signer's cap on a user's open multipart uploads, as a create's
//! refusal: 429 with a short `Retry-After`.

use crate::http::error::ApiError;
use std::time::Duration;

/// `Retry-After` of the open-uploads cap: a slot frees when the caller
/// completes or aborts one (in this tab or another), so a short wait is the
/// honest hint; the client waits as long, and asks again.
const OPEN_UPLOADS_RETRY_AFTER: Duration = Duration::from_secs(3);

pub(super) fn too_many(limit: usize) -> ApiError {
    ApiError::RateLimitedFor(
        format!("too many open multipart uploads ({limit}); complete or abort some first"),
        OPEN_UPLOADS_RETRY_AFTER,
    )
}

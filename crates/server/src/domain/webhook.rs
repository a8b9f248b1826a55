//! The optional webhook to the host application: one `POST` per completed
//! upload, its body the JSON `UploadRecord` (core's
//! [`presign_core::protocol::records::UploadRecord`]), signed with HMAC-SHA256.
//!
//! # Verifying a delivery (host application side)
//!
//! Every request carries
//!
//! ```text
//! Content-Type: application/json
//! X-Presign-Delivery: <delivery id>          (the same on every retry: dedupe on it)
//! X-Presign-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//! ```
//!
//! where `v1 = hex(HMAC-SHA256(secret, "<t>.<raw body>"))`. Recompute it over
//! the raw body bytes, compare in constant time, and refuse a `t` far from
//! your clock (say 5 minutes) to stop replays. Answer any 2xx once the
//! record is stored; anything else (or no answer within 10 s) is retried.
//!
//! # Delivery
//!
//! [`crate::domain::records`] writes each record and its outbox row in one
//! transaction; this sender posts pending rows in the background, so a
//! failing or slow webhook never loses or delays a record, and deliveries
//! survive a restart. Each replica runs a sender; each delivery is claimed
//! by one of them ([`outbox`]) and posted once: a sender whose database
//! goes away after a POST keeps trying to mark it while its claim holds,
//! and a replica that dies while posting leaves it to another after
//! [`outbox::LEASE`] (the receiver then sees its delivery id again). A
//! failed attempt is retried after `first_delay`, doubling each time up to
//! `max_delay`, at most `max_attempts` attempts in all; then the row stays
//! in the outbox, marked with its last error.

use crate::db::{Database, DbError};
use crate::secret::Secret;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use outbox::Pending;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use url::Url;

/// Header with the signature: `t=<unix seconds>,v1=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-presign-signature";
/// Header with the delivery's id, the same on every retry.
pub const DELIVERY_HEADER: &str = "x-presign-delivery";
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest sleep between two looks at the outbox (a backstop: new rows ring
/// the sender at once).
const IDLE_POLL: Duration = Duration::from_secs(30);
/// Deliveries claimed per look.
const BATCH: u32 = 16;
/// The wait before trying again when the outbox cannot be read (the
/// database is down).
const UNREADABLE_RETRY: Duration = Duration::from_secs(5);
/// The wait between two tries to record a delivery's outcome while the
/// database is away: short, since the receiver has its answer already.
const SETTLE_RETRY: Duration = Duration::from_secs(1);

pub mod outbox;

/// Where and how completions are posted.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: Url,
    /// The HMAC key; `Debug` prints `Secret(***)`.
    pub secret: Secret,
    pub retry: WebhookRetry,
}

/// When failed deliveries are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookRetry {
    /// Delay after the first failure; doubled after each further one.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
}

impl Default for WebhookRetry {
    /// 5 s, 10 s, 20 s ... capped at 15 min, 10 attempts (about 36 minutes).
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(15 * 60),
            max_attempts: 10,
        }
    }
}

impl WebhookRetry {
    /// The wait after `failures` failed attempts (1 for the first).
    pub fn delay_after(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1));
        self.first_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// `hex(HMAC-SHA256(secret, message))`.
pub fn hmac_hex(secret: &[u8], message: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// The `X-Presign-Signature` value of `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    format!("t={timestamp},v1={}", hmac_hex(secret, &message))
}

/// Checks an `X-Presign-Signature` value against `body`, in constant time:
/// the host application's side, as the module docs describe it, which the
/// tests play. Does not check the age of `t`.
#[cfg(test)]
pub fn verify(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

/// Starts the background sender; it runs until the returned task is aborted.
pub fn spawn(
    db: Database,
    config: WebhookConfig,
    queued: Arc<Notify>,
) -> Result<tokio::task::JoinHandle<()>, reqwest::Error> {
    crate::s3::store_client::install_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    Ok(tokio::spawn(run(db, config, queued, http)))
}

async fn run(db: Database, config: WebhookConfig, queued: Arc<Notify>, http: reqwest::Client) {
    tracing::info!(url = %config.url, "webhook sender started");
    loop {
        let wait = match deliver_due(&db, &config, &http).await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::error!(error = %e, "webhook outbox unreadable; trying again later");
                UNREADABLE_RETRY
            }
        };
        // `notify_one` stores a permit, so a record queued while delivering
        // ends this wait at once.
        let _ = tokio::time::timeout(wait, queued.notified()).await;
    }
}

/// Posts every due delivery this sender claims; returns how long to wait
/// for the next one.
async fn deliver_due(
    db: &Database,
    config: &WebhookConfig,
    http: &reqwest::Client,
) -> Result<Duration, DbError> {
    let max_attempts = config.retry.max_attempts;
    loop {
        let now_ms = Timestamp::now().as_millisecond();
        let lease_end = Instant::now() + outbox::LEASE;
        let due = outbox::claim_due(db, max_attempts, now_ms, BATCH).await?;
        if due.is_empty() {
            break;
        }
        for pending in due {
            // A claim about to lapse is left for the next look (another
            // replica may take it then): posting it now could post it twice.
            if Instant::now() + ATTEMPT_TIMEOUT + SETTLE_RETRY >= lease_end {
                break;
            }
            let outcome = attempt(config, http, &pending).await;
            settle_within_lease(db, config, &pending, outcome, lease_end).await?;
        }
    }
    let next_ms = outbox::next_due_ms(db, max_attempts).await?;
    let now_ms = Timestamp::now().as_millisecond();
    Ok(next_ms.map_or(IDLE_POLL, |next| {
        Duration::from_millis(u64::try_from(next - now_ms).unwrap_or(0)).min(IDLE_POLL)
    }))
}

/// One POST; `Err` says why it failed (for the log and the outbox row).
async fn attempt(
    config: &WebhookConfig,
    http: &reqwest::Client,
    pending: &Pending,
) -> Result<(), String> {
    let signature = signature(
        config.secret.expose().as_bytes(),
        Timestamp::now().as_second(),
        pending.body.as_bytes(),
    );
    let resp = http
        .post(config.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(DELIVERY_HEADER, pending.id.to_string())
        .header(SIGNATURE_HEADER, signature)
        .body(pending.body.clone())
        .send()
        .await
        // Without its URL: the webhook's may hold a token.
        .map_err(|e| format!("cannot reach the webhook: {}", e.without_url()))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("the webhook answered {}", resp.status()))
    }
}

/// [`settle`], tried again while the database is away and the claim
/// holds: a delivery posted but never marked would be posted again once
/// its lease is over, and the rest of the batch would wait that long.
async fn settle_within_lease(
    db: &Database,
    config: &WebhookConfig,
    pending: &Pending,
    outcome: Result<(), String>,
    lease_end: Instant,
) -> Result<(), DbError> {
    loop {
        match settle(db, config, pending, outcome.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() + SETTLE_RETRY < lease_end => {
                tracing::warn!(delivery = pending.id, error = %e, "cannot record a webhook attempt yet; trying again");
                tokio::time::sleep(SETTLE_RETRY).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Marks a delivery done, or schedules its retry.
async fn settle(
    db: &Database,
    config: &WebhookConfig,
    pending: &Pending,
    outcome: Result<(), String>,
) -> Result<(), DbError> {
    let id = pending.id;
    let attempts = pending.attempts + 1;
    let now_ms = Timestamp::now().as_millisecond();
    match outcome {
        Ok(()) => {
            tracing::info!(delivery = id, attempts, "webhook delivered");
            outbox::delivered(db, id, attempts, now_ms).await
        }
        Err(error) => {
            let delay = config.retry.delay_after(attempts);
            if attempts >= config.retry.max_attempts {
                tracing::error!(delivery = id, attempts, %error, "webhook delivery abandoned");
            } else {
                tracing::warn!(delivery = id, attempts, %error, retry_in = ?delay, "webhook delivery failed");
            }
            let next_ms =
                now_ms.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
            outbox::failed(db, id, attempts, next_ms, error).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231, test case 2.
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let body = br#"{"key":"users/dev/a"}"#;
        let sig = signature(b"s3cret", 1_800_000_000, body);
        let expected = hmac_hex(b"s3cret", br#"1800000000.{"key":"users/dev/a"}"#);
        assert_eq!(sig, format!("t=1800000000,v1={expected}"));
        assert!(verify(b"s3cret", &sig, body));
        assert!(!verify(b"other", &sig, body));
        assert!(!verify(b"s3cret", &sig, br#"{"key":"users/dev/b"}"#));
        let shifted = sig.replace("t=1800000000", "t=1800000001");
        assert!(!verify(b"s3cret", &shifted, body));
        assert!(!verify(b"s3cret", "garbage", body));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let retry = WebhookRetry {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            max_attempts: 8,
        };
        let delays: Vec<u64> = (1..=6).map(|n| retry.delay_after(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10]);
        assert_eq!(retry.delay_after(200), Duration::from_secs(10));
    }

    #[test]
    fn debug_hides_the_secret() {
        let config = WebhookConfig {
            url: "https://app.example.com/hook".parse().expect("url"),
            secret: Secret::new("whsec-very-secret"),
            retry: WebhookRetry::default(),
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("whsec-very-secret"), "{debug}");
        assert!(debug.contains("app.example.com"), "{debug}");
    }
}

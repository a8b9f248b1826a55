//! `Retry-After` (RFC 9110 §10.2.3): how long a server that answered 429 or
//! 503 asks the client to wait, as delay-seconds (`120`) or an HTTP-date
//! (`Fri, 31 Dec 1999 23:59:59 GMT`; the obsolete RFC 850 and asctime forms
//! too, which recipients must accept). Dates are parsed by the `httpdate`
//! crate (hyper's); the current time is passed in.
//!
//! A value that is neither is ignored (the caller falls back to its backoff),
//! and every wait is capped at [`MAX_RETRY_AFTER_MS`]: a server asking for a
//! day gets asked again after the cap, and the caller's total wait budget
//! decides when to give up.

use std::time::UNIX_EPOCH;

/// The longest single wait a `Retry-After` can ask for: one minute. After
/// it the request is sent again, and a server still busy says so again.
pub const MAX_RETRY_AFTER_MS: u64 = 60_000;

/// The wait `value` asks for, in milliseconds, capped at
/// [`MAX_RETRY_AFTER_MS`]; `None` for a value that is not a `Retry-After`.
/// `now_unix_ms` is the time since the Unix epoch, for HTTP-dates; a date in
/// the past asks for no wait.
pub fn parse(value: &str, now_unix_ms: f64) -> Option<u64> {
    let value = value.trim();
    let wait_ms = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: delay-seconds. More digits than fit are a long wait.
        value
            .parse::<u64>()
            .map_or(u64::MAX, |secs| secs.saturating_mul(1000))
    } else {
        let date = httpdate::parse_http_date(value).ok()?;
        let at_ms = date.duration_since(UNIX_EPOCH).ok()?.as_millis() as f64;
        if !now_unix_ms.is_finite() {
            return None;
        }
        (at_ms - now_unix_ms).max(0.0).ceil() as u64
    };
    Some(wait_ms.min(MAX_RETRY_AFTER_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1994-11-06T08:49:37Z, RFC 9110's example date.
    const EXAMPLE_MS: f64 = 784_111_777_000.0;

    #[test]
    fn delay_seconds() {
        assert_eq!(parse("2", 0.0), Some(2_000));
        assert_eq!(parse(" 0 ", 0.0), Some(0));
        assert_eq!(parse("59", 0.0), Some(59_000));
        assert_eq!(
            parse("86400", 0.0),
            Some(MAX_RETRY_AFTER_MS),
            "a day is capped"
        );
        assert_eq!(
            parse("99999999999999999999999", 0.0),
            Some(MAX_RETRY_AFTER_MS)
        );
    }

    #[test]
    fn http_dates_in_all_three_forms() {
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse(form, EXAMPLE_MS - 1_500.0), Some(1_500), "{form}");
        }
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS + 10_000.0),
            Some(0),
            "a date in the past: no wait"
        );
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_MS - 3_600_000.0),
            Some(MAX_RETRY_AFTER_MS),
            "an hour ahead is capped"
        );
    }

    #[test]
    fn garbage_is_ignored() {
        for bad in [
            "",
            "soon",
            "-1",
            "1.5",
            "0x10",
            "2 s",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse(bad, EXAMPLE_MS), None, "{bad:?}");
        }
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT", f64::NAN), None);
    }
}

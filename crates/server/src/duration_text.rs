//! Durations as people write them on a command line: `24h`, `90m`, `7d`,
//! `1h30m`, `2 days`, `45s` (jiff's "friendly" format; days and weeks are
//! 24 h and 7 × 24 h), or ISO 8601 (`PT24H`). Months and years are refused:
//! their length depends on the date.

use jiff::{Span, SpanRelativeTo};
use std::time::Duration;

/// Parses `text`; `0` (any unit) is allowed, negative durations are not.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let bad = |why: &str| format!("{text:?} is not a duration like 24h, 90m, 7d or 1h30m ({why})");
    let span: Span = text.parse().map_err(|e: jiff::Error| bad(&e.to_string()))?;
    let signed = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad("months and years have no fixed length"))?;
    Duration::try_from(signed).map_err(|_| bad("it must not be negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friendly_and_iso_durations() {
        let h = |n: u64| Duration::from_secs(n * 3600);
        for (text, want) in [
            ("24h", h(24)),
            ("1d", h(24)),
            ("7d", h(24 * 7)),
            ("2 days", h(48)),
            ("1w", h(24 * 7)),
            ("90m", Duration::from_secs(90 * 60)),
            ("1h30m", Duration::from_secs(90 * 60)),
            ("45s", Duration::from_secs(45)),
            ("1.5s", Duration::from_millis(1500)),
            ("PT24H", h(24)),
            (" 0s ", Duration::ZERO),
            ("0", Duration::ZERO),
        ] {
            assert_eq!(parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn refusals_say_what_is_expected() {
        for bad in ["", "soon", "-1h", "1 month", "2y", "24"] {
            let err = parse(bad).expect_err(bad);
            assert!(err.contains("like 24h"), "{bad}: {err}");
        }
    }
}

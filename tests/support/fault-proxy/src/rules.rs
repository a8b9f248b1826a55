//! Explicit rules: "the next 2 PUTs whose URL contains `partNumber=3` answer
//! 503", or "every PUT answers 503 SlowDown with `Retry-After: 2` for 5
//! seconds from the first". The JSON form is the one the browser tests post
//! to `/__faults`.

use crate::fault::Fault;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// One rule as posted: which requests (`match`: a substring, or a list that
/// must all occur in the URL; `method`), what to do, how many times.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(rename = "match", default)]
    pub needles: Needles,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub stall: bool,
    #[serde(default)]
    pub corrupt: bool,
    #[serde(default)]
    pub reset: bool,
    /// Forward, then reset the connection in place of the store's answer.
    #[serde(default)]
    pub lose_answer: bool,
    /// How many matching requests it applies to (default 1).
    pub times: Option<u32>,
    /// Instead of `times`: every matching request for this many
    /// milliseconds, counted from the first one it faults.
    pub for_ms: Option<u64>,
    /// With `status`: the `Retry-After` header to answer with, as given
    /// (seconds, an HTTP date, or anything, to test what clients make of it).
    pub retry_after: Option<String>,
}

/// Substrings that must all occur in the request's URL.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Needles {
    #[default]
    Any,
    One(String),
    All(Vec<String>),
}

impl Needles {
    pub fn matches(&self, url: &str) -> bool {
        match self {
            Needles::Any => true,
            Needles::One(needle) => url.contains(needle.as_str()),
            Needles::All(all) => all.iter().all(|n| url.contains(n.as_str())),
        }
    }
}

/// A rule in force.
#[derive(Debug, Clone)]
pub struct Rule {
    needles: Needles,
    method: Option<String>,
    fault: Fault,
    limit: Limit,
}

/// How long a rule lasts.
#[derive(Debug, Clone)]
enum Limit {
    /// This many more matching requests.
    Times(u32),
    /// Every matching request during this long from the first.
    Window {
        length: Duration,
        since: Option<Instant>,
    },
}

impl TryFrom<RuleSpec> for Rule {
    type Error = String;

    fn try_from(spec: RuleSpec) -> Result<Self, String> {
        let chosen = [
            spec.status.is_some(),
            spec.delay_ms.is_some(),
            spec.stall,
            spec.corrupt,
            spec.reset,
            spec.lose_answer,
        ];
        if chosen.iter().filter(|&&c| c).count() != 1 {
            return Err(
                "a rule needs exactly one of status, delayMs, stall, corrupt, reset, loseAnswer"
                    .into(),
            );
        }
        if spec.retry_after.is_some() && spec.status.is_none() {
            return Err("retryAfter goes with a status".into());
        }
        if spec
            .retry_after
            .as_deref()
            .is_some_and(|v| v.contains(['\r', '\n']))
        {
            return Err("retryAfter must be one line".into());
        }
        let limit = match (spec.times, spec.for_ms) {
            (Some(_), Some(_)) => return Err("give times or forMs, not both".into()),
            (_, Some(ms)) => Limit::Window {
                length: Duration::from_millis(ms),
                since: None,
            },
            (times, None) => Limit::Times(times.unwrap_or(1)),
        };
        let fault = if let Some(status) = spec.status {
            if !(100..=599).contains(&status) {
                return Err(format!("status {status} is not an HTTP status"));
            }
            let mut fault = Fault::status(status);
            if let Fault::Status {
                code,
                message,
                retry_after,
                ..
            } = &mut fault
            {
                if let Some(c) = spec.code {
                    *code = c;
                }
                if let Some(m) = spec.message {
                    *message = m;
                }
                *retry_after = spec.retry_after;
            }
            fault
        } else if let Some(ms) = spec.delay_ms {
            Fault::Delay(Duration::from_millis(ms))
        } else if spec.stall {
            Fault::Stall
        } else if spec.corrupt {
            Fault::Corrupt
        } else if spec.reset {
            Fault::Reset
        } else {
            Fault::LoseAnswer
        };
        Ok(Rule {
            needles: spec.needles,
            method: spec.method.map(|m| m.to_ascii_uppercase()),
            fault,
            limit,
        })
    }
}

/// The rules in force, first match wins.
#[derive(Debug, Default)]
pub struct Rules {
    list: Vec<Rule>,
}

impl Rules {
    pub fn add(&mut self, rule: Rule) {
        self.list.push(rule);
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// The fault of the first live rule matching this request at `now`,
    /// used up by one. Preflights are never faulted.
    pub fn take(&mut self, method: &str, url: &str, now: Instant) -> Option<Fault> {
        if method == "OPTIONS" {
            return None;
        }
        let rule = self.list.iter_mut().find(|r| {
            r.live(now) && r.method.as_deref().is_none_or(|m| m == method) && r.needles.matches(url)
        })?;
        match &mut rule.limit {
            Limit::Times(times) => *times -= 1,
            Limit::Window { since, .. } => {
                since.get_or_insert(now);
            }
        }
        Some(rule.fault.clone())
    }
}

impl Rule {
    fn live(&self, now: Instant) -> bool {
        match self.limit {
            Limit::Times(times) => times > 0,
            Limit::Window { length, since } => since.is_none_or(|t| now - t < length),
        }
    }
}

/// Parses `/__faults`' body: one rule or a list.
pub fn parse(body: &[u8]) -> Result<Vec<Rule>, String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(RuleSpec),
        Many(Vec<RuleSpec>),
    }
    let specs = match serde_json::from_slice(body).map_err(|e| e.to_string())? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    };
    specs.into_iter().map(Rule::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_in_order_and_run_out() {
        let mut rules = Rules::default();
        for rule in parse(
            br#"[{"match": "partNumber=3", "status": 503, "times": 2},
                {"match": ["zz", "yy"], "method": "put", "reset": true}]"#,
        )
        .expect("rules")
        {
            rules.add(rule);
        }
        let now = Instant::now();
        assert_eq!(rules.take("OPTIONS", "/x?partNumber=3", now), None);
        assert_eq!(
            rules.take("PUT", "/x?partNumber=3", now),
            Some(Fault::status(503))
        );
        assert_eq!(
            rules.take("PUT", "/x?partNumber=3", now),
            Some(Fault::status(503))
        );
        assert_eq!(rules.take("PUT", "/x?partNumber=3", now), None);
        assert_eq!(rules.take("GET", "/zzyy", now), None);
        assert_eq!(rules.take("PUT", "/zz", now), None);
        assert_eq!(rules.take("PUT", "/zzyy", now), Some(Fault::Reset));
        assert_eq!(rules.take("PUT", "/zzyy", now), None);
    }

    #[test]
    fn a_window_faults_every_match_from_the_first_on() {
        let mut rules = Rules::default();
        for rule in parse(br#"{"method": "PUT", "status": 503, "retryAfter": "2", "forMs": 5000}"#)
            .expect("rule")
        {
            rules.add(rule);
        }
        let start = Instant::now() + Duration::from_secs(60);
        let slow_down = Fault::Status {
            status: 503,
            code: "SlowDown".into(),
            message: "Please reduce your request rate.".into(),
            retry_after: Some("2".into()),
        };
        for ms in [0, 1, 2_000, 4_999] {
            let at = start + Duration::from_millis(ms);
            assert_eq!(rules.take("PUT", "/a", at), Some(slow_down.clone()), "{ms}");
        }
        assert_eq!(rules.take("GET", "/a", start), None);
        assert_eq!(
            rules.take("PUT", "/a", start + Duration::from_millis(5_000)),
            None
        );
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(parse(br#"{"status": 503, "times": 1, "forMs": 10}"#).is_err());
        assert!(parse(br#"{"delayMs": 5, "retryAfter": "1"}"#).is_err());
        assert!(parse(br#"{"match": "x"}"#).is_err());
        assert!(parse(br#"{"status": 503, "stall": true}"#).is_err());
        assert!(parse(br#"{"status": 1000}"#).is_err());
        assert!(parse(br#"{"status": 503, "oops": 1}"#).is_err());
        let custom =
            parse(br#"{"status": 403, "code": "AccessDenied", "message": "Request has expired"}"#)
                .expect("rule");
        assert_eq!(custom.len(), 1);
    }
}

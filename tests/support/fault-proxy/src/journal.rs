//! What the proxy saw: every forwarded or faulted request in order, and
//! counts of faults by kind.

use crate::fault::Fault;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// One request as logged (`GET /__log`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// When it arrived: milliseconds since the proxy started (or its log
    /// was cleared).
    pub at_ms: f64,
    pub method: String,
    pub url: String,
    /// The status the client got; 0 while there is none (or never: a stall,
    /// a reset).
    pub status: u16,
    pub fault: Option<String>,
    /// The URL's `X-Amz-Signature`, to tell re-signed URLs apart.
    pub signature: Option<String>,
    /// The `Retry-After` a faulted answer carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
}

/// `GET /__stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Requests to the store (control calls excluded).
    pub requests: u64,
    /// Of those, CORS preflights (`OPTIONS`, never faulted).
    pub preflights: u64,
    /// Of those, faulted.
    pub faulted: u64,
    /// Faults by label (`500`, `503`, `429`, `403-expired`, `reset`, `stall`, ...).
    pub by_kind: BTreeMap<String, u64>,
    /// The most requests waiting for their answer at once (a delay counts
    /// as waiting; a stalled or reset request waits for good).
    pub max_in_flight: u64,
}

#[derive(Debug)]
pub struct Journal {
    started: Instant,
    entries: Vec<Entry>,
    stats: Stats,
    /// Requests recorded and not answered yet.
    in_flight: u64,
}

impl Default for Journal {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            entries: Vec::new(),
            stats: Stats::default(),
            in_flight: 0,
        }
    }
}

impl Journal {
    /// Logs a request; the index is for [`Journal::answered`].
    pub fn record(&mut self, method: &str, url: &str, fault: Option<&Fault>) -> usize {
        self.stats.requests += 1;
        self.in_flight += 1;
        self.stats.max_in_flight = self.stats.max_in_flight.max(self.in_flight);
        if method == "OPTIONS" {
            self.stats.preflights += 1;
        }
        if let Some(fault) = fault {
            self.stats.faulted += 1;
            *self.stats.by_kind.entry(kind(fault)).or_default() += 1;
        }
        let retry_after = match fault {
            Some(Fault::Status { retry_after, .. }) => retry_after.clone(),
            _ => None,
        };
        self.entries.push(Entry {
            at_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            retry_after,
            method: method.to_owned(),
            url: url.to_owned(),
            status: 0,
            fault: fault.map(Fault::label),
            signature: query_param(url, "X-Amz-Signature"),
        });
        self.entries.len() - 1
    }

    pub fn answered(&mut self, index: usize, status: u16) {
        if let Some(entry) = self.entries.get_mut(index) {
            entry.status = status;
            self.in_flight = self.in_flight.saturating_sub(1);
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// Delays are counted together whatever their length.
fn kind(fault: &Fault) -> String {
    match fault {
        Fault::Delay(_) => "delay".into(),
        other => other.label(),
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn counts_and_entries() {
        let mut j = Journal::default();
        let a = j.record(
            "PUT",
            "/k?partNumber=1&X-Amz-Signature=ab",
            Some(&Fault::status(503)),
        );
        let b = j.record("PUT", "/k", Some(&Fault::Delay(Duration::from_millis(5))));
        j.record("PUT", "/k", None);
        j.record("OPTIONS", "/k", None);
        j.answered(a, 503);
        j.answered(b, 200);
        assert_eq!(j.entries()[0].signature.as_deref(), Some("ab"));
        assert_eq!(j.entries()[0].status, 503);
        assert_eq!(j.entries()[2].status, 0);
        assert_eq!(j.stats().requests, 4);
        assert_eq!(j.stats().preflights, 1);
        assert_eq!(j.stats().faulted, 2);
        assert_eq!(j.stats().by_kind.get("503"), Some(&1));
        assert_eq!(j.stats().by_kind.get("delay"), Some(&1));
        j.clear();
        assert_eq!(j.stats(), &Stats::default());
    }
}

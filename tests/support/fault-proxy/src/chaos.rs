//! Seeded random faults at a rate, reproducible under concurrency.
//!
//! Each request has an identity: its method and path, and its query without
//! the `X-Amz-*` signing parameters (so a part sent again on a freshly signed
//! URL is the same request) and without `uploadId`, with the parts every run
//! makes up anew masked: runs of 16 or more hex digits (UUIDs in keys, upload
//! ids) and ISO dates. Whether its n-th attempt is faulted, and how, is a
//! hash of (seed, identity, n): the same seed gives the same faults to the
//! same files whatever order concurrent uploads arrive in, run after run. At most `max_consecutive`
//! attempts in a row of one request are faulted, so a client that retries
//! enough always gets through.

use crate::fault::{Fault, FaultKind};
use serde::Deserialize;
use std::collections::HashMap;

/// `/__chaos`' body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChaosSpec {
    pub seed: u64,
    /// Probability that an attempt is faulted, 0..=1.
    pub rate: f64,
    /// Kinds to draw from (default: all of them).
    pub kinds: Option<Vec<FaultKind>>,
    /// Methods that may be faulted (default PUT and POST: uploads).
    pub methods: Option<Vec<String>>,
    /// Substrings the URL must all contain to be faulted (default: any).
    #[serde(rename = "match")]
    pub needles: Option<Vec<String>>,
    /// Faulted attempts in a row of one request, at most (default 2).
    pub max_consecutive: Option<u32>,
}

/// A chaos run in force.
#[derive(Debug)]
pub struct Chaos {
    seed: u64,
    /// `rate` as a threshold on 53 random bits.
    threshold: u64,
    kinds: Vec<FaultKind>,
    methods: Vec<String>,
    needles: Vec<String>,
    max_consecutive: u32,
    /// Per identity: attempts seen, and faulted attempts in a row.
    seen: HashMap<String, (u64, u32)>,
}

impl Chaos {
    pub fn new(spec: ChaosSpec) -> Result<Self, String> {
        if !(0.0..=1.0).contains(&spec.rate) {
            return Err(format!("rate {} is not within 0..=1", spec.rate));
        }
        let kinds = spec.kinds.unwrap_or_else(|| FaultKind::ALL.to_vec());
        if kinds.is_empty() {
            return Err("kinds is empty".into());
        }
        Ok(Self {
            seed: spec.seed,
            threshold: (spec.rate * (1u64 << 53) as f64) as u64,
            kinds,
            methods: spec
                .methods
                .unwrap_or_else(|| vec!["PUT".into(), "POST".into()])
                .into_iter()
                .map(|m| m.to_ascii_uppercase())
                .collect(),
            needles: spec.needles.unwrap_or_default(),
            max_consecutive: spec.max_consecutive.unwrap_or(2),
            seen: HashMap::new(),
        })
    }

    /// The fault for this attempt of this request, if any.
    pub fn decide(&mut self, method: &str, url: &str) -> Option<Fault> {
        if !self.methods.iter().any(|m| m == method)
            || !self.needles.iter().all(|n| url.contains(n.as_str()))
        {
            return None;
        }
        let identity = identity(method, url);
        let draw = |attempt: u64| {
            splitmix64(self.seed ^ fnv1a(identity.as_bytes()) ^ attempt.wrapping_mul(GOLDEN))
        };
        let (attempts, in_a_row) = self.seen.entry(identity.clone()).or_insert((0, 0));
        let h = draw(*attempts);
        *attempts += 1;
        if (h >> 11) >= self.threshold || *in_a_row >= self.max_consecutive {
            *in_a_row = 0;
            return None;
        }
        *in_a_row += 1;
        let kind = self.kinds[(splitmix64(h) % self.kinds.len() as u64) as usize];
        Some(kind.fault())
    }
}

/// Method, masked path and the query without `X-Amz-*` and `uploadId`
/// parameters, sorted.
pub fn identity(method: &str, url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| {
            let p = p.to_ascii_lowercase();
            !p.is_empty() && !p.starts_with("x-amz-") && !p.starts_with("uploadid=")
        })
        .collect();
    params.sort_unstable();
    format!("{method} {}?{}", mask(path), params.join("&"))
}

/// `text` with runs of 16+ hex digits replaced by `#` and dates
/// (`dddd-dd-dd`) by `D`.
fn mask(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if hex >= 16 {
            out.push('#');
            i += hex;
        } else if is_date(&bytes[i..]) {
            out.push('D');
            i += 10;
        } else {
            // Copy up to the next character that could start a run.
            let c = text[i..].chars().next().unwrap_or('?');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_date(b: &[u8]) -> bool {
    b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chaos(seed: u64, rate: f64) -> Chaos {
        Chaos::new(ChaosSpec {
            seed,
            rate,
            kinds: None,
            methods: None,
            needles: None,
            max_consecutive: None,
        })
        .expect("chaos")
    }

    fn url(part: u32, signature: &str) -> String {
        format!("/b/k?partNumber={part}&uploadId=u&X-Amz-Signature={signature}&X-Amz-Date=1")
    }

    #[test]
    fn signing_parameters_are_not_part_of_the_identity() {
        assert_eq!(
            identity("PUT", &url(3, "aa")),
            identity("PUT", &url(3, "bb"))
        );
        assert_ne!(
            identity("PUT", &url(3, "aa")),
            identity("PUT", &url(4, "aa"))
        );
        assert_eq!(identity("PUT", "/k?b=1&a=2"), "PUT /k?a=2&b=1");
        // What each run makes up anew is masked.
        assert_eq!(
            identity(
                "PUT",
                "/b/users/dev/soak/2026-12-01/0123456789abcdef0123456789abcdef-soak-7.bin?partNumber=2&uploadId=ffeeddccbbaa99887766554433221100ff"
            ),
            "PUT /b/users/dev/soak/D/#-soak-7.bin?partNumber=2"
        );
        assert_eq!(
            identity("PUT", "/a-2026-1-bcdef?x=1"),
            "PUT /a-2026-1-bcdef?x=1"
        );
    }

    #[test]
    fn decisions_do_not_depend_on_the_order_of_requests() {
        let parts: Vec<u32> = (1..=200).collect();
        let run = |order: &[u32]| {
            let mut c = chaos(42, 0.3);
            let mut faults: Vec<(u32, u32, Option<Fault>)> = Vec::new();
            for &p in order {
                for attempt in 0..3 {
                    faults.push((p, attempt, c.decide("PUT", &url(p, "s"))));
                }
            }
            faults.sort_by_key(|(p, a, _)| (*p, *a));
            faults
        };
        let forward = run(&parts);
        let reversed: Vec<u32> = parts.iter().rev().copied().collect();
        assert_eq!(forward, run(&reversed));
        // Another seed, other faults.
        let mut other = chaos(43, 0.3);
        let differs = parts
            .iter()
            .any(|&p| other.decide("PUT", &url(p, "s")) != forward[(p as usize - 1) * 3].2);
        assert!(differs);
    }

    #[test]
    fn the_rate_holds_and_retries_get_through() {
        let mut c = chaos(7, 0.1);
        let mut first_faulted = 0;
        let mut longest_run = 0;
        for p in 0..5000 {
            let mut run = 0;
            // Retry until an attempt is let through, as a client does.
            while c.decide("PUT", &url(p, "s")).is_some() {
                run += 1;
            }
            first_faulted += u32::from(run > 0);
            longest_run = longest_run.max(run);
        }
        // First attempts faulted at about the rate (5000 draws: 10% +- 1.5%).
        assert!((425..=575).contains(&first_faulted), "{first_faulted}");
        assert!(longest_run <= 2, "{longest_run}");
        assert!(longest_run >= 1);
    }

    #[test]
    fn only_chosen_methods_and_urls() {
        let mut c = chaos(1, 1.0);
        assert_eq!(c.decide("GET", "/x"), None);
        assert!(c.decide("PUT", "/x").is_some());
        let mut c = Chaos::new(ChaosSpec {
            seed: 1,
            rate: 1.0,
            kinds: Some(vec![FaultKind::Reset]),
            methods: Some(vec!["put".into()]),
            needles: Some(vec!["partNumber=".into()]),
            max_consecutive: Some(1),
        })
        .expect("chaos");
        assert_eq!(c.decide("PUT", "/x"), None);
        assert_eq!(c.decide("PUT", "/x?partNumber=1"), Some(Fault::Reset));
        assert_eq!(c.decide("PUT", "/x?partNumber=1"), None);
        assert!(Chaos::new(ChaosSpec {
            rate: 1.5,
            ..spec()
        })
        .is_err());
        assert!(Chaos::new(ChaosSpec {
            kinds: Some(vec![]),
            ..spec()
        })
        .is_err());
    }

    fn spec() -> ChaosSpec {
        ChaosSpec {
            seed: 0,
            rate: 0.5,
            kinds: None,
            methods: None,
            needles: None,
            max_consecutive: None,
        }
    }
}

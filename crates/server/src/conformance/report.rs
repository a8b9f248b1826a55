//! What the conformance suite found: one outcome per check, and the table
//! `presign-server conformance` prints.

use std::fmt;

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The signer does something the protocol forbids, or fails to do what
    /// it requires: why.
    Fail(String),
    /// An optional part of the protocol the signer does not offer (the
    /// client copes): which.
    Absent(String),
    /// Not checked: what it needs (a second user's token, a metadata name).
    Skipped(String),
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "FAIL",
            Outcome::Absent(_) => "absent",
            Outcome::Skipped(_) => "skipped",
        }
    }

    fn detail(&self) -> &str {
        match self {
            Outcome::Pass => "",
            Outcome::Fail(why) | Outcome::Absent(why) | Outcome::Skipped(why) => why,
        }
    }
}

/// A check's name, what it checks, and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub name: &'static str,
    pub about: &'static str,
    pub outcome: Outcome,
}

/// Every check's result, in the order they ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub results: Vec<CheckResult>,
}

impl Report {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
    }

    fn count(&self, label: &str) -> usize {
        self.results
            .iter()
            .filter(|r| r.outcome.label() == label)
            .count()
    }
}

impl fmt::Display for Report {
    /// A Markdown table, then a line of counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| check | result | what | detail |")?;
        writeln!(f, "|---|---|---|---|")?;
        for r in &self.results {
            let detail = r.outcome.detail().replace('|', "\\|").replace('\n', " ");
            writeln!(
                f,
                "| {} | {} | {} | {} |",
                r.name,
                r.outcome.label(),
                r.about,
                detail
            )?;
        }
        write!(
            f,
            "\n{} passed, {} failed, {} absent, {} skipped",
            self.count("pass"),
            self.count("FAIL"),
            self.count("absent"),
            self.count("skipped")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_each_check_and_counts_outcomes() {
        let report = Report {
            results: vec![
                CheckResult {
                    name: "a",
                    about: "first",
                    outcome: Outcome::Pass,
                },
                CheckResult {
                    name: "b",
                    about: "second",
                    outcome: Outcome::Fail("x | y".into()),
                },
                CheckResult {
                    name: "c",
                    about: "third",
                    outcome: Outcome::Absent("none".into()),
                },
            ],
        };
        let text = report.to_string();
        assert!(text.contains("| b | FAIL | second | x \\| y |"), "{text}");
        assert!(
            text.ends_with("1 passed, 1 failed, 1 absent, 0 skipped"),
            "{text}"
        );
        assert_eq!(report.failures().map(|r| r.name).collect::<Vec<_>>(), ["b"]);
    }
}

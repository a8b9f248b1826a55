//! The faults the proxy can inject into one request.

use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// What happens to one request instead of (or while) forwarding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `status` with an S3 XML error (and a `Retry-After`, when
    /// given); the store never sees the request.
    Status {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<String>,
    },
    /// Forward after a delay.
    Delay(Duration),
    /// Read nothing and answer nothing, until the client gives up.
    Stall,
    /// Forward with the body's first byte inverted (length unchanged).
    Corrupt,
    /// Read part of the body, then reset the connection (TCP RST).
    Reset,
    /// Forward, then reset the connection instead of answering: the store
    /// did what was asked, and the client never learns it.
    LoseAnswer,
}

/// The kinds a chaos run draws from, by the names the control API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum FaultKind {
    #[serde(rename = "500")]
    InternalError,
    #[serde(rename = "503")]
    SlowDown,
    #[serde(rename = "429")]
    TooManyRequests,
    #[serde(rename = "expired")]
    Expired,
    #[serde(rename = "reset")]
    Reset,
    #[serde(rename = "stall")]
    Stall,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        FaultKind::InternalError,
        FaultKind::SlowDown,
        FaultKind::TooManyRequests,
        FaultKind::Expired,
        FaultKind::Reset,
        FaultKind::Stall,
    ];

    /// The fault of this kind, answered the way S3 (or a store in front of
    /// it) answers.
    pub fn fault(self) -> Fault {
        match self {
            FaultKind::InternalError => Fault::status(500),
            FaultKind::SlowDown => Fault::status(503),
            FaultKind::TooManyRequests => Fault::status(429),
            FaultKind::Expired => Fault::Status {
                status: 403,
                code: "AccessDenied".into(),
                message: "Request has expired".into(),
                retry_after: None,
            },
            FaultKind::Reset => Fault::Reset,
            FaultKind::Stall => Fault::Stall,
        }
    }
}

impl Fault {
    /// An S3 error answer with the code S3 gives for `status`.
    pub fn status(status: u16) -> Self {
        let (code, message) = match status {
            503 => ("SlowDown", "Please reduce your request rate."),
            429 => ("TooManyRequests", "Too many requests."),
            403 => ("AccessDenied", "Access Denied"),
            400 => ("InvalidRequest", "Invalid request."),
            _ => (
                "InternalError",
                "We encountered an internal error. Please try again.",
            ),
        };
        Fault::Status {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// A short name for logs and statistics: `503`, `403-expired`, `reset`, ...
    pub fn label(&self) -> String {
        match self {
            Fault::Status {
                status, message, ..
            } if *status == 403 && message.contains("expired") => "403-expired".into(),
            Fault::Status { status, .. } => status.to_string(),
            Fault::Delay(d) => format!("delay {}", d.as_millis()),
            Fault::Stall => "stall".into(),
            Fault::Corrupt => "corrupt".into(),
            Fault::Reset => "reset".into(),
            Fault::LoseAnswer => "lose-answer".into(),
        }
    }

    /// The S3 error document of a [`Fault::Status`].
    pub fn error_xml(code: &str, message: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message>{}</Message><RequestId>fault-proxy</RequestId></Error>",
            escape(code),
            escape(message)
        )
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_answer_like_s3() {
        assert_eq!(FaultKind::SlowDown.fault().label(), "503");
        assert_eq!(FaultKind::Expired.fault().label(), "403-expired");
        assert_eq!(FaultKind::Reset.fault(), Fault::Reset);
        let Fault::Status { code, .. } = FaultKind::SlowDown.fault() else {
            panic!("a status fault");
        };
        assert_eq!(code, "SlowDown");
        let kinds: Vec<FaultKind> =
            serde_json::from_str(r#"["500","503","429","expired","reset","stall"]"#)
                .expect("kind names");
        assert_eq!(kinds, FaultKind::ALL);
    }

    #[test]
    fn error_xml_is_escaped() {
        let xml = Fault::error_xml("A&B", "<x>");
        assert!(xml.contains("<Code>A&amp;B</Code><Message>&lt;x&gt;</Message>"));
    }
}

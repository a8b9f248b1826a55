//! Host names as HTTP carries them: `Host: name[:port]` and
//! `Origin: scheme://name[:port]`. Which of them name this machine's
//! loopback interface (`localhost`, `127.0.0.1`, `[::1]`, any port), and
//! the host patterns `--allow-host` adds. The API's `Host` check and CORS
//! and the embedded store's CORS read them from here.
//!
//! Matching is exact, ASCII case aside: no trailing dot, no other
//! 127.0.0.0/8 address, no sub-domain of `localhost`. A DNS-rebinding page
//! sends its own domain as `Host`, so any name not listed is refused.

/// The names of this machine's loopback interface.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// A host `--allow-host` allows: a name (or an IP address, IPv6 in
/// brackets) and, when given, the one port it must come with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    /// Lowercase.
    name: String,
    /// `None`: any port, or none.
    port: Option<u16>,
}

impl HostPattern {
    /// `name` or `name:port`, like `uploads.example.com` or
    /// `uploads.example.com:8443`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let (name, port) = split_authority(text.trim())?;
        Some(Self { name, port })
    }

    /// Whether `host` (`name[:port]`, as a `Host` header holds it) is this one.
    pub fn matches(&self, host: &str) -> bool {
        split_authority(host).is_some_and(|(name, port)| {
            name == self.name && self.port.is_none_or(|p| port == Some(p))
        })
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Whether `host` (`name[:port]`) names the loopback interface.
pub fn is_loopback_host(host: &str) -> bool {
    split_authority(host).is_some_and(|(name, _)| LOOPBACK_NAMES.contains(&name.as_str()))
}

/// Whether an `Origin` is `http` or `https` on a loopback name, any port
/// (`http://localhost:5173`, `https://127.0.0.1`, `http://[::1]:8080`).
pub fn is_loopback_origin(origin: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(origin) else {
        return false;
    };
    let rest = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"));
    rest.is_some_and(is_loopback_host)
}

/// `name[:port]` as a lowercase name and its port; `None` unless the name
/// is a DNS name, an IPv4 address or a bracketed IPv6 address, and the
/// port, when there is a colon, 1 to 5 digits.
fn split_authority(text: &str) -> Option<(String, Option<u16>)> {
    let (name, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let (inner, rest) = bracketed.split_once(']')?;
        let ipv6 = !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        let port = match rest {
            "" => None,
            _ => Some(rest.strip_prefix(':')?),
        };
        (ipv6.then(|| &text[..inner.len() + 2])?, port)
    } else {
        let (name, port) = match text.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        };
        (is_dns_name(name).then_some(name)?, port)
    };
    let port = match port {
        None => None,
        Some(digits) => Some(parse_port(digits)?),
    };
    Some((name.to_ascii_lowercase(), port))
}

/// Letters, digits, `-` and `.` (an IPv4 address is one too), no empty label.
fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| !label.is_empty())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn parse_port(digits: &str) -> Option<u16> {
    let ok = (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    digits.parse().ok().filter(|_| ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_any_port() {
        for host in [
            "localhost",
            "localhost:8080",
            "LOCALHOST:1",
            "127.0.0.1",
            "127.0.0.1:65535",
            "[::1]",
            "[::1]:9000",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "evil.example",
            "localhost.",
            "localhost.evil.example",
            "a.localhost",
            "127.0.0.2:8080",
            "127.0.0.1.nip.io",
            "0.0.0.0:8080",
            "[::1]x",
            "[::1]:",
            "[::]",
            "localhost:",
            "localhost:http",
            "localhost:99999",
            "localhost:8080:1",
            "user@localhost",
            "localhost/x",
            "[::1].evil.example",
            "[]",
        ] {
            assert!(!is_loopback_host(host), "{host:?}");
        }
    }

    #[test]
    fn loopback_origins_http_or_https() {
        for origin in [
            "http://localhost:5173",
            "https://localhost",
            "http://127.0.0.1:8080",
            "http://[::1]:3000",
        ] {
            assert!(is_loopback_origin(origin.as_bytes()), "{origin}");
        }
        for origin in [
            "null",
            "http://127.0.0.2:8080",
            "http://evil.example",
            "ftp://localhost",
            "http://localhost.evil.example",
            "http://localhost:8080/",
            "http://localhost@evil.example",
            "localhost:8080",
        ] {
            assert!(!is_loopback_origin(origin.as_bytes()), "{origin}");
        }
        assert!(!is_loopback_origin(b"http://localhost:\xff"));
    }

    #[test]
    fn patterns_with_or_without_a_port() {
        let any_port = HostPattern::parse("Uploads.Example.com").expect("pattern");
        assert_eq!(any_port.to_string(), "uploads.example.com");
        assert!(any_port.matches("uploads.example.com"));
        assert!(any_port.matches("UPLOADS.example.com:8443"));
        assert!(!any_port.matches("evil.uploads.example.com"));
        assert!(!any_port.matches("uploads.example.com."));
        let one_port = HostPattern::parse("10.0.0.5:8080").expect("pattern");
        assert!(one_port.matches("10.0.0.5:8080"));
        assert!(!one_port.matches("10.0.0.5"));
        assert!(!one_port.matches("10.0.0.5:8081"));
        let v6 = HostPattern::parse("[fd00::5]").expect("pattern");
        assert!(v6.matches("[FD00::5]:8080"));
        for bad in [
            "",
            "https://uploads.example.com",
            "uploads.example.com/",
            "*.example.com",
            "a b",
            "host:0x50",
            "[nope]",
        ] {
            assert_eq!(HostPattern::parse(bad), None, "{bad:?}");
        }
    }
}

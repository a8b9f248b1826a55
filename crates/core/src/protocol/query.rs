//! Query values in the protocol's URLs (`/api/download-url?key=…`), and
//! upload ids in its paths: percent-encoded, all but RFC 3986's unreserved
//! characters.

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_non_ascii_bytes_are_encoded() {
        assert_eq!(
            encode_component("users/dev/demo/2024 a+b&c=d/ñ.bin"),
            "users%2Fdev%2Fdemo%2F2024%20a%2Bb%26c%3Dd%2F%C3%B1.bin"
        );
        assert_eq!(encode_component("A-z_0.~"), "A-z_0.~");
    }
}

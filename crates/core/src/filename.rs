//! Turning a browser-supplied filename into one safe object-key segment.

use unicode_normalization::UnicodeNormalization as _;

/// Longest sanitised filename, in UTF-8 bytes (keys may hold 1,024 in all).
pub const MAX_FILENAME_BYTES: usize = 200;
/// Longest filename accepted at all before sanitising, in bytes.
pub const MAX_INPUT_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilenameError {
    #[error("filename is empty")]
    Empty,
    #[error("filename is longer than {MAX_INPUT_BYTES} bytes")]
    TooLong,
    #[error("filename has no usable characters once path separators, '..' and control characters are removed")]
    NothingLeft,
}

/// Sanitises a filename: keeps the last path component (either separator),
/// removes control characters and NUL, normalises to Unicode NFC, drops `..`
/// and leading dots and spaces, replaces characters S3 users trip over, and
/// caps the length at [`MAX_FILENAME_BYTES`] while keeping the extension.
pub fn sanitize(raw: &str) -> Result<String, FilenameError> {
    if raw.trim().is_empty() {
        return Err(FilenameError::Empty);
    }
    if raw.len() > MAX_INPUT_BYTES {
        return Err(FilenameError::TooLong);
    }
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = last
        .nfc()
        .filter(|&c| c == '\t' || !c.is_control())
        .map(|c| match c {
            // Characters that break URLs, shells or S3 tooling.
            '#' | '?' | '%' | '"' | '<' | '>' | '|' | ':' | '*' | '`' | '{' | '}' | '^' | '['
            | ']' | '~' => '_',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    let mut name = cleaned.replace("..", ".");
    while name.contains("..") {
        name = name.replace("..", ".");
    }
    let name = name
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_owned();
    if name.is_empty() {
        return Err(FilenameError::NothingLeft);
    }
    Ok(cap_keeping_extension(&name, MAX_FILENAME_BYTES))
}

fn cap_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut cut = max - ext.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{}", &stem[..cut], ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str)] = &[
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\ana\\foto.jpg", "foto.jpg"),
            ("a..b.txt", "a.b.txt"),
            ("....hidden", "hidden"),
            ("nul\0byte.bin", "nulbyte.bin"),
            ("tab\tname.txt", "tab name.txt"),
            ("new\nline.txt", "newline.txt"),
            ("100% #1?.png", "100_ _1_.png"),
            // NFD "é" (e + combining acute) becomes NFC "é".
            ("cafe\u{301}.txt", "caf\u{e9}.txt"),
            ("  spaced  ", "spaced"),
            ("ECU dump (v2).bin", "ECU dump (v2).bin"),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize(input).as_deref(), Ok(*want), "{input:?}");
        }
    }

    #[test]
    fn rejections() {
        assert_eq!(sanitize(""), Err(FilenameError::Empty));
        assert_eq!(sanitize("   "), Err(FilenameError::Empty));
        assert_eq!(sanitize(".."), Err(FilenameError::NothingLeft));
        assert_eq!(sanitize("dir/"), Err(FilenameError::NothingLeft));
        assert_eq!(sanitize("\u{1}\u{2}"), Err(FilenameError::NothingLeft));
        assert_eq!(sanitize(&"a".repeat(5000)), Err(FilenameError::TooLong));
    }

    #[test]
    fn long_names_keep_extension_and_char_boundaries() {
        let long = format!("{}.tar.gz", "ñ".repeat(300));
        let out = sanitize(&long).unwrap_or_default();
        assert!(out.len() <= MAX_FILENAME_BYTES);
        assert!(out.ends_with(".gz"), "{out}");
        assert!(out.starts_with('ñ'));
    }
}

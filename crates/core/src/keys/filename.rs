//! Turning a browser-supplied filename into one safe object-key segment.

use unicode_normalization::UnicodeNormalization as _;

/// Longest sanitised filename, in UTF-8 bytes (keys may hold 1,024 in all).
pub const MAX_FILENAME_BYTES: usize = 200;
/// Longest filename accepted at all before sanitising, in bytes.
pub const MAX_INPUT_BYTES: usize = 4096;
/// Longest extension (with its dot) kept when a long name is cut, in bytes.
pub const MAX_EXTENSION_BYTES: usize = 16;
/// The name used when nothing usable is left of the client's name.
pub const FALLBACK_NAME: &str = "file";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilenameError {
    #[error("filename is empty")]
    Empty,
    #[error("filename is longer than {MAX_INPUT_BYTES} bytes")]
    TooLong,
}

/// Sanitises a filename:
///
/// - keeps the last path component (`/` or `\`);
/// - removes control characters (NUL included; a tab becomes a space), bidi
///   overrides and isolates (the `invoice\u{202E}fdp.exe` trick), zero-width
///   and other invisible format characters, and noncharacters;
/// - replaces characters that break URLs, shells or S3 tooling (`#?%"<>|:*`
///   and friends, look-alike slashes) with `_`, any other whitespace with a space;
/// - normalises to Unicode NFC;
/// - collapses `..`, drops leading and trailing dots and spaces;
/// - caps the length at [`MAX_FILENAME_BYTES`] bytes, keeping the extension;
/// - answers [`FALLBACK_NAME`] when nothing usable is left.
///
/// Refuses only an empty (or blank) name and one longer than [`MAX_INPUT_BYTES`].
pub fn sanitize(raw: &str) -> Result<String, FilenameError> {
    if raw.trim().is_empty() {
        return Err(FilenameError::Empty);
    }
    if raw.len() > MAX_INPUT_BYTES {
        return Err(FilenameError::TooLong);
    }
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    // NFC first: some characters normalise to others we replace (U+1FEF
    // GREEK VARIA becomes a backtick), and again after filtering, since
    // removing an invisible character can join a letter to its accent.
    let normalised: String = last.nfc().collect();
    let cleaned: String = normalised
        .chars()
        .filter(|&c| c == '\t' || !(c.is_control() || is_invisible(c)))
        .map(|c| match c {
            '#' | '?' | '%' | '"' | '<' | '>' | '|' | ':' | '*' | '`' | '{' | '}' | '^' | '['
            | ']' | '~' => '_',
            // Slashes that look like path separators.
            '\u{2044}' | '\u{2215}' | '\u{29F8}' | '\u{FF0F}' | '\u{FF3C}' => '_',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .nfc()
        .collect();
    let mut name = cleaned;
    while name.contains("..") {
        name = name.replace("..", ".");
    }
    let name = name.trim_matches(['.', ' ']);
    if name.is_empty() {
        return Ok(FALLBACK_NAME.to_owned());
    }
    Ok(cap_keeping_extension(name, MAX_FILENAME_BYTES))
}

/// The extension of a sanitised name, lowercased, without its dot: the text
/// after the last `.`, when there is one and it is at most
/// [`MAX_EXTENSION_BYTES`] long.
pub fn extension(name: &str) -> Option<String> {
    let i = name.rfind('.')?;
    let ext = &name[i + 1..];
    (i > 0 && !ext.is_empty() && ext.len() < MAX_EXTENSION_BYTES).then(|| ext.to_lowercase())
}

/// Invisible characters that can disguise a name: bidi controls, zero-width
/// characters and the rest of Unicode's format (Cf) characters, variation
/// selectors, fillers, and noncharacters.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{FFFE}'..='\u{FFFF}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// `name` cut to at most `max` bytes (on a character boundary), keeping its
/// extension when it has a short one.
pub fn shorten(name: &str, max: usize) -> String {
    cap_keeping_extension(name, max)
}

fn cap_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= MAX_EXTENSION_BYTES => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let (stem, ext) = if ext.len() >= max {
        (name, "")
    } else {
        (stem, ext)
    };
    let mut cut = max.saturating_sub(ext.len()).min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    let stem = stem[..cut].trim_end_matches(['.', ' ']);
    format!("{stem}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let a200 = "a".repeat(200);
        let a300_pdf = format!("{}.pdf", "a".repeat(300));
        let a196_pdf = format!("{}.pdf", "a".repeat(196));
        let e300 = "é".repeat(300);
        let e100 = "é".repeat(100);
        let cases: &[(&str, &str)] = &[
            ("report.pdf", "report.pdf"),
            // Path traversal and separators.
            ("../../etc/passwd", "passwd"),
            ("..\\..\\windows\\win.ini", "win.ini"),
            ("C:\\Users\\ana\\foto.jpg", "foto.jpg"),
            ("/abs/path/x.txt", "x.txt"),
            ("a..b.txt", "a.b.txt"),
            ("a....b", "a.b"),
            ("../..", FALLBACK_NAME),
            ("dir/", FALLBACK_NAME),
            ("evil\u{2215}..\u{2215}x.txt", "evil_._x.txt"),
            // NUL and control characters.
            ("nul\0byte.bin", "nulbyte.bin"),
            ("\0\0\0", FALLBACK_NAME),
            ("tab\tname.txt", "tab name.txt"),
            ("new\nline.txt", "newline.txt"),
            ("bell\u{7}\u{1b}[31m.txt", "bell_31m.txt"),
            ("\u{1}\u{2}", FALLBACK_NAME),
            // RTL and invisible tricks.
            ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
            ("photo\u{2067}gpj.exe\u{2069}", "photogpj.exe"),
            ("zero\u{200B}width\u{FEFF}.txt", "zerowidth.txt"),
            ("soft\u{AD}hyphen.doc", "softhyphen.doc"),
            ("\u{202E}\u{200F}\u{2066}", FALLBACK_NAME),
            ("tag\u{E0041}\u{E0042}.png", "tag.png"),
            // Unicode normalisation: NFD "é" (e + combining acute) becomes NFC "é".
            ("cafe\u{301}.txt", "caf\u{e9}.txt"),
            ("A\u{30A}ngstro\u{308}m.csv", "\u{c5}ngstr\u{f6}m.csv"),
            ("Ελληνικά.txt", "Ελληνικά.txt"),
            ("日本語のファイル.pdf", "日本語のファイル.pdf"),
            // Emoji (ZWJ and variation selectors are invisible and go).
            ("party 🎉.png", "party 🎉.png"),
            ("fam👨\u{200D}👩.jpg", "fam👨👩.jpg"),
            ("heart\u{2764}\u{FE0F}.gif", "heart\u{2764}.gif"),
            // Dotfiles and dots.
            (".bashrc", "bashrc"),
            ("....hidden", "hidden"),
            ("trailing.", "trailing"),
            (".", FALLBACK_NAME),
            // Characters S3 tooling trips over.
            ("100% #1?.png", "100_ _1_.png"),
            ("a:b*c|d.txt", "a_b_c_d.txt"),
            ("  spaced  ", "spaced"),
            ("line\u{2028}sep.txt", "line sep.txt"),
            ("ECU dump (v2).bin", "ECU dump (v2).bin"),
            // Characters whose NFC form is one of those (U+1FEF is a backtick,
            // U+212A KELVIN SIGN a K).
            ("a\u{1FEF}b.txt", "a_b.txt"),
            ("\u{212A}elvin.txt", "Kelvin.txt"),
            ("e\u{200B}\u{301}.txt", "\u{e9}.txt"),
            // Length caps keep the extension and whole characters.
            (&a200, &a200),
            (&a300_pdf, &a196_pdf),
            (&e300, &e100),
        ];
        assert!(cases.len() >= 25);
        for (input, want) in cases {
            let got = sanitize(input);
            assert_eq!(got.as_deref(), Ok(*want), "{input:?}");
            let got = got.unwrap_or_default();
            assert!(got.len() <= MAX_FILENAME_BYTES, "{input:?}");
            assert!(!got.contains(['/', '\\', '\0']), "{input:?}");
            assert!(!got.contains(".."), "{input:?}");
        }
    }

    #[test]
    fn rejections() {
        assert_eq!(sanitize(""), Err(FilenameError::Empty));
        assert_eq!(sanitize("   "), Err(FilenameError::Empty));
        assert_eq!(sanitize(&"a".repeat(5000)), Err(FilenameError::TooLong));
        // 64 KiB of anything is refused before any work.
        assert_eq!(
            sanitize(&"é".repeat(32 * 1024)),
            Err(FilenameError::TooLong)
        );
        assert_eq!(sanitize(&"../".repeat(21_846)), Err(FilenameError::TooLong));
    }

    #[test]
    fn long_names_keep_extension_and_char_boundaries() {
        let long = format!("{}.tar.gz", "ñ".repeat(300));
        let out = sanitize(&long).unwrap_or_default();
        assert!(out.len() <= MAX_FILENAME_BYTES);
        assert!(out.ends_with(".gz"), "{out}");
        assert!(out.starts_with('ñ'));
        let emoji = format!("{}.png", "🎉".repeat(1000));
        let out = sanitize(&emoji).unwrap_or_default();
        assert!(out.len() <= MAX_FILENAME_BYTES && out.len() > MAX_FILENAME_BYTES - 8);
        assert!(out.ends_with("🎉.png"), "{out}");
    }

    #[test]
    fn extensions() {
        for (name, want) in [
            ("a.PNG", Some("png")),
            ("a.tar.gz", Some("gz")),
            ("noext", None),
            ("trailing.", None),
            ("a.averyveryverylongext", None),
        ] {
            assert_eq!(extension(name).as_deref(), want, "{name}");
        }
    }
}

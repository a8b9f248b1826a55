//! Property tests (proptest) of what hostile clients control: filenames
//! becoming keys, and JSON requests being decoded. Whatever the input, key
//! building either refuses or yields a key inside the caller's prefix with
//! no traversal, control or invisible characters; decoding never panics and
//! what decodes re-encodes to the same value.
#![cfg(not(target_arch = "wasm32"))]

use presign_core::keys::file_type::FileType;
use presign_core::keys::filename::{sanitize, shorten, MAX_FILENAME_BYTES};
use presign_core::keys::object_key::KeyDate;
use presign_core::protocol::form::GetUploadFormRequest;
use presign_core::protocol::multipart::{
    CompleteMultipartRequest, CreateMultipartRequest, PartUrlsRequest,
};
use presign_core::protocol::single::{FileUploadedRequest, GetUploadUrlRequest};
use presign_core::{ObjectKey, UserId};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization as _;

/// Filenames a hostile client might send: any Unicode, biased towards
/// separators, dots, controls, bidi and zero-width characters.
fn hostile_name() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        "/", "\\", "..", ".", "\0", "\u{202E}", "\u{2066}", "\u{200B}", "\u{FEFF}", "\u{FF0F}",
        "\r\n", "\t", " ", "%2e", "é", "e\u{301}", "📦", "a", "b.txt", ".exe", "\u{1FEF}",
        "\u{212A}", "\u{2126}", "\u{FE30}",
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(tricky, 0..40).prop_map(|parts| parts.concat()),
        "[a-z./\\\\]{0,300}",
    ]
}

fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn sanitized_names_make_safe_keys(name in hostile_name()) {
        let Ok(clean) = sanitize(&name) else {
            return Ok(());
        };
        prop_assert!(!clean.is_empty());
        prop_assert!(clean.len() <= MAX_FILENAME_BYTES);
        prop_assert!(!clean.contains(['/', '\\']), "{clean:?}");
        prop_assert!(!clean.contains(".."), "{clean:?}");
        prop_assert!(!clean.chars().any(|c| c.is_control() || invisible(c)), "{clean:?}");
        prop_assert_eq!(clean.nfc().collect::<String>(), clean.clone());
        // Sanitising is idempotent.
        prop_assert_eq!(sanitize(&clean).ok(), Some(clean.clone()));

        let alice = UserId::parse("alice").expect("user");
        let bob = UserId::parse("bob").expect("user");
        let file_type = FileType::parse("demo").expect("file type");
        let date = KeyDate::new(2026, 11, 28).expect("date");
        let key = ObjectKey::for_upload(&alice, &file_type, date, "0123456789abcdef0123456789abcdef", &clean)
            .expect("a sanitized name always makes a key");
        prop_assert!(key.as_str().starts_with("users/alice/demo/2026-11-28/"));
        prop_assert!(ObjectKey::owned_by(key.as_str(), &alice).is_ok());
        prop_assert!(ObjectKey::owned_by(key.as_str(), &bob).is_err());
    }

    #[test]
    fn shortened_names_fit_and_keep_short_extensions(name in "[a-zé📦 ]{1,120}(\\.[a-z]{1,5})?", max in 1usize..80) {
        let short = shorten(&name, max);
        prop_assert!(short.len() <= max, "{short:?} is {} bytes > {max}", short.len());
        if let Some(dot) = name.rfind('.') {
            let ext = &name[dot..];
            if name.len() > max && ext.len() < max && dot > 0 {
                prop_assert!(short.ends_with(ext), "{short:?} lost {ext:?}");
            }
        }
    }

    #[test]
    fn request_decoding_never_panics_and_round_trips(json in any::<String>()) {
        round_trip::<GetUploadUrlRequest>(&json)?;
        round_trip::<GetUploadFormRequest>(&json)?;
        round_trip::<FileUploadedRequest>(&json)?;
        round_trip::<CreateMultipartRequest>(&json)?;
        round_trip::<PartUrlsRequest>(&json)?;
        round_trip::<CompleteMultipartRequest>(&json)?;
    }

    #[test]
    fn plausible_requests_round_trip(
        filename in hostile_name(),
        file_type in "[a-z0-9_-]{0,70}",
        size in prop::option::of(any::<u64>()),
        extra in prop::option::of("[a-z_]{1,10}"),
    ) {
        let mut value = serde_json::json!({"filename": filename, "file_type": file_type});
        if let Some(size) = size {
            value["size"] = size.into();
        }
        if let Some(field) = &extra {
            value[field.as_str()] = 1.into();
        }
        let decoded = serde_json::from_value::<GetUploadUrlRequest>(value.clone());
        let known = ["filename", "file_type", "size", "content_type", "sha256"];
        match extra.as_deref() {
            // Unknown fields are refused, never ignored.
            Some(field) if !known.contains(&field) => prop_assert!(decoded.is_err()),
            Some(_) => {}
            None => {
                let decoded = decoded.expect("decodes");
                prop_assert_eq!(serde_json::to_value(&decoded).expect("encodes"), value);
            }
        }
    }
}

fn round_trip<T>(json: &str) -> Result<(), TestCaseError>
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = serde_json::from_str::<T>(json) {
        let again = serde_json::to_string(&value).expect("encodes");
        prop_assert_eq!(serde_json::from_str::<T>(&again).expect("decodes"), value);
    }
    Ok(())
}

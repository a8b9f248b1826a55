//! Unit tests of the upload policy.

use super::*;

fn images_policy() -> UploadPolicy {
    let mut policy = UploadPolicy {
        default_max_size: 1000,
        ..UploadPolicy::default()
    };
    policy.file_types.insert(
        "images".into(),
        FileTypeRule {
            content_types: vec!["image/png".into(), "image/jp*".into(), "video/*".into()],
            extensions: vec!["png".into(), ".JPG".into(), "mp4".into()],
            max_size: Some(100),
            user_quota: None,
            expires_in: Some(60),
        },
    );
    policy
}

fn check(
    policy: &UploadPolicy,
    file_type: &str,
    filename: &str,
    content_type: &str,
    size: Option<u64>,
    method: UploadMethod,
) -> Result<Allowed, PolicyError> {
    let ft = FileType::parse(file_type).expect("file type");
    policy.check_upload(&UploadRequest {
        file_type: &ft,
        filename,
        content_type,
        size,
        method,
    })
}

/// (file_type, filename, content type, size, method, max size and expiry or a refusal)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Option<u64>,
    UploadMethod,
    Result<(u64, Duration), &'static str>,
);

#[test]
fn table() {
    use UploadMethod::*;
    let mut p = images_policy();
    for (name, types) in [
        ("pages", ["text/html", "text/plain"]),
        ("wild", ["text/*", "*/*"]),
    ] {
        p.file_types.insert(
            name.into(),
            FileTypeRule {
                content_types: types.map(str::to_owned).to_vec(),
                ..FileTypeRule::default()
            },
        );
    }
    let ok = |max: u64, secs: u64| Ok::<_, &str>((max, Duration::from_secs(secs)));
    let cases: &[Case] = &[
        ("images", "a.png", "image/png", Some(100), Put, ok(100, 60)),
        (
            "images",
            "a.PNG",
            "image/png; charset=x",
            Some(1),
            Multipart,
            ok(100, 60),
        ),
        ("images", "a.jpg", "IMAGE/PNG", Some(1), Put, ok(100, 60)),
        (
            "images",
            "a.mp4",
            "video/mp4",
            Some(1),
            PostForm,
            ok(100, 60),
        ),
        (
            "images",
            "a.png",
            "image/png",
            Some(101),
            Put,
            Err("too_large"),
        ),
        (
            "images",
            "a.png",
            "image/png",
            None,
            Put,
            Err("size_required"),
        ),
        (
            "images",
            "a.png",
            "image/gif",
            Some(1),
            Put,
            Err("content_type"),
        ),
        (
            "images",
            "a.png",
            "image/jpeg",
            Some(1),
            Put,
            Err("content_type"),
        ),
        (
            "images",
            "a.png",
            "application/octet-stream",
            Some(1),
            Put,
            Err("content_type"),
        ),
        (
            "images",
            "a.gif",
            "image/png",
            Some(1),
            Put,
            Err("extension"),
        ),
        ("images", "png", "image/png", Some(1), Put, Err("extension")),
        (
            "other",
            "a.exe",
            "application/x-evil",
            Some(1000),
            Put,
            ok(1000, 900),
        ),
        (
            "other",
            "a.exe",
            "application/x-evil",
            Some(1001),
            Multipart,
            Err("too_large"),
        ),
        ("other", "a", "x/y", None, Multipart, ok(1000, 900)),
        ("other", "a", "x/y", None, PostForm, ok(1000, 60)),
        // Active content: refused unless a rule names the exact type.
        ("other", "a.html", "text/html", Some(1), Put, Err("active")),
        (
            "other",
            "a.svg",
            "image/svg+xml",
            Some(1),
            Multipart,
            Err("active"),
        ),
        (
            "other",
            "a.js",
            "text/javascript",
            Some(1),
            Put,
            Err("active"),
        ),
        (
            "other",
            "a",
            "application/rss+xml",
            None,
            Put,
            Err("active"),
        ),
        (
            "images",
            "a.png",
            "image/svg+xml",
            Some(1),
            Put,
            Err("active"),
        ),
        (
            "pages",
            "a.html",
            "TEXT/HTML",
            Some(1),
            PostForm,
            ok(1000, 60),
        ),
        (
            "pages",
            "a.html",
            "image/svg+xml",
            Some(1),
            Put,
            Err("active"),
        ),
        ("wild", "a.html", "text/html", Some(1), Put, Err("active")),
        ("wild", "a.txt", "text/plain", Some(1), Put, ok(1000, 900)),
    ];
    for (ft, name, ct, size, method, want) in cases {
        let got = check(&p, ft, name, ct, *size, *method);
        let got = match got {
            Ok(a) => Ok((a.max_size, a.expires_in)),
            Err(PolicyError::TooLarge { .. }) => Err("too_large"),
            Err(PolicyError::SizeRequired { .. }) => Err("size_required"),
            Err(PolicyError::ContentType { .. }) => Err("content_type"),
            Err(PolicyError::ActiveContent { .. }) => Err("active"),
            Err(PolicyError::Extension { .. }) => Err("extension"),
        };
        assert_eq!(&got, want, "{ft} {name} {ct} {size:?} {method:?}");
    }
}

#[test]
fn defaults_hold_every_upload_to_5_gib_and_cap_post_forms() {
    let p = UploadPolicy::default();
    let big = Some(MAX_SINGLE_PUT);
    assert!(check(
        &p,
        "ecu",
        "a.bin",
        "application/octet-stream",
        big,
        UploadMethod::Put
    )
    .is_ok());
    assert!(check(&p, "ecu", "a", "x/y", None, UploadMethod::Put).is_ok());
    let huge = Some(MAX_SINGLE_PUT + 1);
    for method in [UploadMethod::Put, UploadMethod::Multipart] {
        let err = check(&p, "ecu", "a", "x/y", huge, method).expect_err("too big");
        assert!(err.to_string().contains("5368709120 bytes"), "{err}");
        // A multipart upload is no way around the default.
        assert!(!err.to_string().contains("multipart"), "{err}");
    }
    assert!(check(&p, "ecu", "a", "x/y", big, UploadMethod::Multipart).is_ok());
    // Raised past 5 GiB, a single PUT still stops there, and says why.
    let raised = UploadPolicy {
        default_max_size: MAX_SINGLE_PUT * 2,
        ..UploadPolicy::default()
    };
    let err = check(&raised, "ecu", "a", "x/y", huge, UploadMethod::Put).expect_err("too big");
    assert!(err.to_string().contains("multipart"), "{err}");
    assert!(check(&raised, "ecu", "a", "x/y", huge, UploadMethod::Multipart).is_ok());
    let form = check(&p, "ecu", "a", "x/y", Some(1), UploadMethod::PostForm).expect("ok");
    assert_eq!(form.max_size, DEFAULT_MAX_POST_SIZE);
    // 60 s for forms, under the default 900 s of URLs.
    assert_eq!(form.expires_in, MAX_POST_EXPIRES_IN);
    let short = UploadPolicy {
        default_expires_in: Duration::from_secs(20),
        ..UploadPolicy::default()
    };
    let form = check(&short, "ecu", "a", "x/y", None, UploadMethod::PostForm).expect("ok");
    assert_eq!(form.expires_in, Duration::from_secs(20));
    let err = check(
        &p,
        "ecu",
        "a",
        "x/y",
        Some(DEFAULT_MAX_POST_SIZE + 1),
        UploadMethod::PostForm,
    )
    .expect_err("too big for a form");
    assert!(err.to_string().contains("10000000 bytes"), "{err}");
    assert!(err.to_string().contains("POST form"), "{err}");
}

#[test]
fn messages_name_the_limit() {
    let p = images_policy();
    let err = check(
        &p,
        "images",
        "a.png",
        "image/png",
        Some(500),
        UploadMethod::Put,
    )
    .expect_err("big");
    assert_eq!(
        err.to_string(),
        "size 500 exceeds 100 bytes, the limit for file_type images"
    );
    let err = check(
        &p,
        "images",
        "a.png",
        "text/plain",
        Some(5),
        UploadMethod::Put,
    )
    .expect_err("type");
    assert!(
        err.to_string().contains("text/plain") && err.to_string().contains("image/png"),
        "{err}"
    );
    assert!(matches!(err, PolicyError::ContentType { .. }));
}

//! `checksum: false`: nothing hashed, no checksum signed or sent, and the
//! store still holds exactly the file's bytes (checked by SHA-256 here).

use crate::support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
async fn multipart_without_checksums_stores_the_file() {
    let size = 21 * MIB + 777;
    let bytes = test_bytes(size, 61);
    let expected = webcrypto_sha256(&bytes).await;
    let spy = PartUrlRequests::spy();
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("checksum", false.into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let up = uploader(endpoint());
    let result = upload(
        &up,
        &file(&bytes, "plain.bin", "application/octet-stream"),
        options,
    )
    .await
    .expect("multipart upload without checksums resolves");
    assert_eq!(get_num(&result, "size"), size as f64);
    assert_eq!(get_num(&result, "parts"), 5.0);
    assert!(get(&result, "checksumSha256").is_undefined(), "{result:?}");
    assert!(get(&result, "sha256").is_undefined(), "{result:?}");
    let mut asked: Vec<u32> = spy.batches().concat();
    asked.sort_unstable();
    assert_eq!(asked, [1, 2, 3, 4, 5]);
    assert_eq!(spy.with_sha256(), 0, "no part was hashed");
    drop(spy);
    assert_multipart_progress(&log.borrow(), size, 5.0);

    let downloaded = download(&up, &get_str(&result, "key"))
        .await
        .binary()
        .await
        .expect("body");
    assert_eq!(downloaded.len(), size);
    assert_eq!(webcrypto_sha256(&downloaded).await, expected);
}

#[wasm_bindgen_test]
async fn single_put_without_checksum_stores_the_file() {
    let bytes = test_bytes(MIB + 3, 62);
    let up = uploader(endpoint());
    let options = obj(&[("fileType", "demo".into()), ("checksum", false.into())]);
    let result = upload(&up, &blob(&bytes), options)
        .await
        .expect("single PUT without checksum resolves");
    assert_eq!(get_num(&result, "size"), bytes.len() as f64);
    assert!(get(&result, "sha256").is_undefined(), "{result:?}");
    let downloaded = download(&up, &get_str(&result, "key"))
        .await
        .binary()
        .await
        .expect("body");
    assert_eq!(
        webcrypto_sha256(&downloaded).await,
        webcrypto_sha256(&bytes).await
    );
}

#[wasm_bindgen_test]
async fn checksum_option_is_checked() {
    for (extra, word) in [
        (vec![("checksum", JsValue::from("no"))], "checksum"),
        (
            vec![("checksum", false.into()), ("wholeFileSha256", true.into())],
            "wholeFileSha256",
        ),
    ] {
        let mut pairs = vec![("fileType", JsValue::from("demo"))];
        pairs.extend(extra);
        let result = upload(&uploader(UNREACHABLE), &blob(b"x"), obj(&pairs)).await;
        let err = expect_code(result, "bad_request");
        assert!(String::from(err.message()).contains(word), "{word}");
    }
}

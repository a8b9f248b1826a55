//! Hashing in workers: uploads and `checksums()` give the same checksums
//! whatever the number of hash workers (0: the main thread) and the digest
//! method, every one checked against WebCrypto run here; workers that cannot
//! load leave the hashing to the main thread; an abort stops a worker's job;
//! by default, `checksums()` grows the pool to one worker per core.

use crate::support::*;
use presigned_upload::Uploader;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortController;

/// Uploads `bytes` as `name` in 5 MiB parts with the whole file's SHA-256
/// and checks both checksums.
async fn upload_checked(up: &Uploader, bytes: &[u8], name: &str) {
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("concurrency", 3.into()),
        ("wholeFileSha256", true.into()),
    ]);
    let result = upload(up, &file(bytes, name, "application/octet-stream"), options)
        .await
        .expect("multipart upload resolves");
    assert_eq!(
        get_num(&result, "parts"),
        bytes.len().div_ceil(5 * MIB) as f64
    );
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(bytes).await);
    assert_eq!(
        get_str(&result, "checksumSha256"),
        webcrypto_composite(bytes, 5 * MIB).await
    );
}

/// `checksums()` of `bytes` with the default options, its composite
/// (8 MiB parts) checked against WebCrypto's; the answer.
async fn checksums_checked(up: &Uploader, bytes: &[u8]) -> JsValue {
    let sums = JsFuture::from(up.checksums(blob(bytes).into(), JsValue::UNDEFINED))
        .await
        .expect("checksums resolve");
    assert_eq!(
        get_str(&sums, "checksumSha256"),
        webcrypto_composite(bytes, 8 * MIB).await
    );
    sums
}

#[wasm_bindgen_test]
async fn multipart_with_three_workers_has_the_right_checksums() {
    let bytes = test_bytes(37 * MIB, 40);
    let up = uploader_with(endpoint(), &[("workers", 3.into())]);
    assert_eq!(up.hash_workers(), 0, "workers start with the first upload");
    upload_checked(&up, &bytes, "three-workers.bin").await;
    assert_eq!(up.hash_workers(), 3);
    // The same pool serves the next upload.
    upload_checked(&up, &bytes[..23 * MIB], "three-workers-again.bin").await;
    assert_eq!(up.hash_workers(), 3);
}

#[wasm_bindgen_test]
async fn multipart_with_no_workers_hashes_on_the_main_thread() {
    let bytes = test_bytes(37 * MIB, 41);
    let up = uploader_with(endpoint(), &[("workers", 0.into())]);
    upload_checked(&up, &bytes, "no-workers.bin").await;
    assert_eq!(up.hash_workers(), 0);
}

#[wasm_bindgen_test]
async fn workers_that_cannot_load_leave_the_hashing_to_the_main_thread() {
    let location = get(&js_sys::global(), "location");
    let missing = format!("{}/no-such-package.js", get_str(&location, "origin"));
    let up = Uploader::new(obj(&[
        ("endpoint", endpoint().into()),
        ("workers", 2.into()),
        ("workerModuleUrl", missing.into()),
    ]))
    .expect("Uploader");
    let bytes = test_bytes(17 * MIB, 42);
    upload_checked(&up, &bytes, "workers-missing.bin").await;
    assert_eq!(up.hash_workers(), 0);
}

#[wasm_bindgen_test]
async fn checksums_agree_for_every_worker_count_and_method() {
    let bytes = test_bytes(21 * MIB, 43);
    let the_blob = blob(&bytes);
    let mut parts = Vec::new();
    for part in bytes.chunks(5 * MIB) {
        parts.push(webcrypto_sha256(part).await);
    }
    let whole = webcrypto_sha256(&bytes).await;
    let composite = webcrypto_composite(&bytes, 5 * MIB).await;
    for workers in [0, 2] {
        let up = uploader_with(UNREACHABLE, &[("workers", workers.into())]);
        for method in ["auto", "webcrypto", "sha2"] {
            let options = obj(&[
                ("partSize", (5 * MIB as u32).into()),
                ("wholeFileSha256", true.into()),
                ("partDigest", method.into()),
            ]);
            let sums = JsFuture::from(up.checksums(the_blob.clone().into(), options))
                .await
                .unwrap_or_else(|e| panic!("{workers} workers, {method}: {e:?}"));
            let got: Vec<String> = js_sys::Array::from(&get(&sums, "parts"))
                .iter()
                .map(|p| p.as_string().expect("base64"))
                .collect();
            let what = format!("{workers} workers, {method}");
            assert_eq!(got, parts, "{what}");
            assert_eq!(get_str(&sums, "checksumSha256"), composite, "{what}");
            assert_eq!(get_str(&sums, "sha256"), whole, "{what}");
            assert_eq!(get_num(&sums, "size"), bytes.len() as f64, "{what}");
            assert_eq!(get_num(&sums, "partSize"), (5 * MIB) as f64, "{what}");
        }
        assert_eq!(up.hash_workers(), workers);
    }
}

#[wasm_bindgen_test]
async fn checksums_without_the_whole_file_omit_it() {
    let bytes = test_bytes(6 * MIB, 44);
    let up = uploader_with(UNREACHABLE, &[("workers", 1.into())]);
    // Default part size 8 MiB: one part.
    let sums = checksums_checked(&up, &bytes).await;
    assert!(get(&sums, "sha256").is_undefined(), "{sums:?}");
}

#[wasm_bindgen_test]
async fn an_abort_stops_hashing_in_a_worker() {
    let up = uploader_with(UNREACHABLE, &[("workers", 1.into())]);
    let small = test_bytes(MIB, 46);
    let small_sums = || async {
        let sums = JsFuture::from(up.checksums(blob(&small).into(), JsValue::UNDEFINED))
            .await
            .expect("checksums resolve");
        assert_eq!(
            get_str(&sums, "checksumSha256"),
            webcrypto_composite(&small, 8 * MIB).await
        );
    };
    // The worker is running before the job to abort starts.
    small_sums().await;
    assert_eq!(up.hash_workers(), 1);
    let bytes = test_bytes(64 * MIB, 45);
    let controller = AbortController::new().expect("AbortController");
    let options = obj(&[
        ("partSize", (64 * MIB as u32).into()),
        ("partDigest", "sha2".into()),
        ("signal", controller.signal().into()),
    ]);
    let sums = up.checksums(blob(&bytes).into(), options);
    sleep_ms(20).await;
    controller.abort();
    expect_code(JsFuture::from(sums).await, "aborted");
    // The worker is still there for the next job.
    small_sums().await;
    assert_eq!(up.hash_workers(), 1);
}

/// The default counts here: uploads leave a core to the page, `checksums()`
/// has one worker per core, each 1 to 4.
fn default_counts() -> (u32, u32) {
    let navigator = get(&js_sys::global(), "navigator");
    let cores = get_num(&navigator, "hardwareConcurrency") as u32;
    (cores.saturating_sub(1).clamp(1, 4), cores.clamp(1, 4))
}

#[wasm_bindgen_test]
async fn by_default_checksums_grow_the_pool_an_upload_started() {
    let (for_uploads, for_checksums) = default_counts();
    let up = uploader_with(endpoint(), &[]);
    let bytes = test_bytes(23 * MIB, 47);
    upload_checked(&up, &bytes[..17 * MIB], "default-workers.bin").await;
    assert_eq!(up.hash_workers(), for_uploads, "an upload leaves a core");
    checksums_checked(&up, &bytes).await;
    assert_eq!(
        up.hash_workers(),
        for_checksums,
        "checksums() use every core"
    );
    // Uploads go on, on the grown pool.
    upload_checked(&up, &bytes, "default-workers-again.bin").await;
    assert_eq!(up.hash_workers(), for_checksums);
}

#[wasm_bindgen_test]
async fn by_default_checksums_start_one_worker_per_core_and_a_given_number_holds() {
    let (_, for_checksums) = default_counts();
    let up = uploader_with(UNREACHABLE, &[]);
    let bytes = test_bytes(9 * MIB, 48);
    checksums_checked(&up, &bytes).await;
    assert_eq!(up.hash_workers(), for_checksums);
    // A number given is for both: no growth past it.
    let one = uploader_with(UNREACHABLE, &[("workers", 1.into())]);
    checksums_checked(&one, &bytes).await;
    assert_eq!(one.hash_workers(), 1);
}

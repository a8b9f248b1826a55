//! Resuming: a multipart upload that failed on a transient error is picked up
//! again when the same file is uploaded again; parts already stored are not
//! sent twice.

use crate::support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn upload_id_of(log: &ProgressLog) -> String {
    log.borrow()
        .iter()
        .find_map(|p| get(p, "uploadId").as_string())
        .expect("progress reports carry the uploadId")
}

/// A 12 MiB file's options in these tests: three 5 MiB parts sent one at a
/// time, and one attempt per request, so that an injected fault ends the
/// upload at once.
fn one_try_options(callback: &wasm_bindgen::closure::Closure<dyn Fn(JsValue)>) -> JsValue {
    obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("multipartThreshold", (5 * MIB as u32).into()),
        ("concurrency", 1.into()),
        ("maxAttempts", 1.into()),
        ("onProgress", callback.as_ref().clone()),
    ])
}

/// Part numbers of the PUTs of `name` the proxy saw answered 200.
async fn stored_puts(proxy: &str, name: &str) -> Vec<u32> {
    proxy_log(proxy)
        .await
        .into_iter()
        .filter(|(method, url, status, _)| method == "PUT" && url.contains(name) && *status == 200)
        .filter_map(|(_, url, ..)| {
            url.split(['?', '&'])
                .find_map(|kv| kv.strip_prefix("partNumber="))
                .and_then(|n| n.parse().ok())
        })
        .collect()
}

#[wasm_bindgen_test]
async fn a_failed_upload_resumes_without_resending_stored_parts() {
    let proxy = fault_proxy();
    let name = "resume-me.bin";
    // Part 5 fails every time: the upload gives up with a server error.
    inject(
        proxy,
        r#"{"match": ["resume-me.bin", "partNumber=5&"], "method": "PUT", "status": 500, "times": 1000}"#,
    )
    .await;
    let bytes = test_bytes(40 * MIB, 23);
    let the_file = file(&bytes, name, "application/octet-stream");
    let options = |callback: &wasm_bindgen::closure::Closure<dyn Fn(JsValue)>| {
        obj(&[
            ("fileType", "demo".into()),
            ("partSize", (5 * MIB as u32).into()),
            ("concurrency", 1.into()),
            ("maxAttempts", 2.into()),
            ("wholeFileSha256", true.into()),
            ("onProgress", callback.as_ref().clone()),
        ])
    };
    let up = uploader(endpoint());
    let (first_log, first_cb) = progress_log(|_| {});
    let failed = upload(&up, &the_file, options(&first_cb)).await;
    expect_code(failed, "server");
    let first_id = upload_id_of(&first_log);
    let stored_before = stored_puts(proxy, name).await;
    assert_eq!(
        stored_before,
        [1, 2, 3, 4],
        "one part at a time, up to part 5"
    );

    // The same file again, the store healthy: the same upload continues.
    proxy_control(proxy, "/__faults/reset", "{}").await;
    let (second_log, second_cb) = progress_log(|_| {});
    let result = upload(&up, &the_file, options(&second_cb))
        .await
        .expect("the resumed upload completes");
    assert_eq!(
        upload_id_of(&second_log),
        first_id,
        "resumed, not restarted"
    );
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    assert_eq!(
        get_str(&result, "checksumSha256"),
        webcrypto_composite(&bytes, 5 * MIB).await
    );
    let mut sent_after = stored_puts(proxy, name).await;
    sent_after.sort();
    assert_eq!(sent_after, [5, 6, 7, 8], "only the missing parts were sent");
    assert_multipart_progress(&second_log.borrow(), bytes.len(), 8.0);

    // Done: the saved state is gone, so the next upload of it starts afresh.
    let (third_log, third_cb) = progress_log(|_| {});
    upload(&up, &the_file, options(&third_cb))
        .await
        .expect("a fresh upload");
    assert_ne!(upload_id_of(&third_log), first_id);
}

#[wasm_bindgen_test]
async fn resume_false_aborts_a_failed_upload_instead() {
    let proxy = fault_proxy();
    inject(
        proxy,
        r#"{"match": ["no-resume.bin", "partNumber=2&"], "method": "PUT", "status": 500, "times": 1000}"#,
    )
    .await;
    let bytes = test_bytes(12 * MIB, 24);
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("multipartThreshold", (5 * MIB as u32).into()),
        ("maxAttempts", 1.into()),
        ("resume", false.into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let failed = upload(
        &uploader(endpoint()),
        &file(&bytes, "no-resume.bin", "application/octet-stream"),
        options,
    )
    .await;
    expect_code(failed, "server");
    assert_signer_forgot(&log).await;
}

#[wasm_bindgen_test]
async fn saved_uploads_belong_to_their_user_and_can_be_forgotten() {
    let proxy = fault_proxy();
    let name = "scoped-resume.bin";
    inject(
        proxy,
        r#"{"match": ["scoped-resume.bin", "partNumber=2&"], "method": "PUT", "status": 500, "times": 1000}"#,
    )
    .await;
    let bytes = test_bytes(12 * MIB, 25);
    let the_file = file(&bytes, name, "application/octet-stream");
    let alice = uploader_with(endpoint(), &[("resumeScope", "alice".into())]);
    let bob = uploader_with(endpoint(), &[("resumeScope", "bob".into())]);
    let (log, cb) = progress_log(|_| {});
    expect_code(
        upload(&alice, &the_file, one_try_options(&cb)).await,
        "server",
    );
    let alices = upload_id_of(&log);
    proxy_control(proxy, "/__faults/reset", "{}").await;

    // Another user of the same browser neither resumes nor sees it.
    let (log, cb) = progress_log(|_| {});
    upload(&bob, &the_file, one_try_options(&cb))
        .await
        .expect("bob's own upload");
    assert_ne!(
        upload_id_of(&log),
        alices,
        "bob did not resume alice's upload"
    );

    // Alice signs out: her saved upload is forgotten, the next one is new.
    let forgotten = wasm_bindgen_futures::JsFuture::from(alice.forget_resumable())
        .await
        .expect("forgetResumable resolves");
    assert_eq!(forgotten.as_f64(), Some(1.0));
    let (log, cb) = progress_log(|_| {});
    upload(&alice, &the_file, one_try_options(&cb))
        .await
        .expect("a fresh upload");
    assert_ne!(upload_id_of(&log), alices, "forgotten, so not resumed");
}

#[wasm_bindgen_test]
async fn saved_uploads_are_listed_by_file_and_a_discard_aborts_them() {
    let proxy = fault_proxy();
    let name = "listed-resume.bin";
    inject(
        proxy,
        r#"{"match": ["listed-resume.bin", "partNumber=2&"], "method": "PUT", "status": 500, "times": 1000}"#,
    )
    .await;
    let bytes = test_bytes(12 * MIB, 26);
    let the_file = file(&bytes, name, "application/octet-stream");
    let carol = uploader_with(endpoint(), &[("resumeScope", "carol".into())]);
    let dave = uploader_with(endpoint(), &[("resumeScope", "dave".into())]);
    assert!(list_resumable(&carol).await.is_empty(), "nothing saved yet");
    let (log, cb) = progress_log(|_| {});
    expect_code(
        upload(&carol, &the_file, one_try_options(&cb)).await,
        "server",
    );
    proxy_control(proxy, "/__faults/reset", "{}").await;

    let listed = list_resumable(&carol).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let saved = &listed[0];
    assert_eq!(get_str(saved, "name"), name);
    assert_eq!(get(saved, "size").as_f64(), Some(bytes.len() as f64));
    assert_eq!(
        get(saved, "lastModified").as_f64(),
        Some(the_file.last_modified())
    );
    assert_eq!(get_str(saved, "fileType"), "demo");
    assert!(get_str(saved, "key").ends_with(name));
    assert_eq!(get(saved, "partCount").as_f64(), Some(3.0));
    assert_eq!(get(saved, "partsStored").as_f64(), Some(1.0));
    assert_eq!(get(saved, "bytesStored").as_f64(), Some((5 * MIB) as f64));
    assert!(
        list_resumable(&dave).await.is_empty(),
        "another user sees none of it"
    );
    let bad = wasm_bindgen_futures::JsFuture::from(carol.list_resumable("soon".into())).await;
    expect_code(bad, "bad_request");

    // Another user cannot discard it; its owner can, once.
    let id = get_str(saved, "id");
    let discard = |up: &presigned_upload::Uploader| {
        let discarded = up.discard_resumable(id.clone());
        async move {
            let discarded = wasm_bindgen_futures::JsFuture::from(discarded)
                .await
                .expect("discardResumable resolves");
            discarded.as_bool()
        }
    };
    assert_eq!(discard(&dave).await, Some(false));
    assert_eq!(discard(&carol).await, Some(true));
    assert!(list_resumable(&carol).await.is_empty(), "forgotten");
    assert_signer_forgot(&log).await;
    assert_eq!(discard(&carol).await, Some(false), "already gone");
}

/// Fires `kind` at the page, as the browser does when the page is left
/// (`pagehide`) or shown again (`pageshow`).
fn fire(kind: &str) {
    let page: web_sys::EventTarget = js_sys::global().unchecked_into();
    let event = web_sys::Event::new(kind).expect("an event");
    page.dispatch_event(&event).expect("dispatched");
}

/// Shows the page again when dropped, so that a failing test leaves no
/// later one on a page being left.
struct ShownAgain;
impl Drop for ShownAgain {
    fn drop(&mut self) {
        fire("pageshow");
    }
}

#[wasm_bindgen_test]
async fn an_upload_cut_off_as_the_page_is_left_stays_resumable() {
    let proxy = fault_proxy();
    let name = "leaving-page.bin";
    // Part 2 is refused, which ends an upload for good: forgotten, aborted.
    inject(
        proxy,
        r#"{"match": ["leaving-page.bin", "partNumber=2&"], "method": "PUT", "status": 403, "times": 1000}"#,
    )
    .await;
    let bytes = test_bytes(12 * MIB, 27);
    let the_file = file(&bytes, name, "application/octet-stream");
    let erin = uploader_with(endpoint(), &[("resumeScope", "erin".into())]);
    let _shown_again = ShownAgain;
    for round in ["alone", "after a pagehide between uploads"] {
        if round != "alone" {
            // The page is followed only while an upload runs (a
            // `beforeunload` listener can keep a page out of the
            // back/forward cache): this event is not heard, and does not
            // count for the upload after it.
            fire("pagehide");
        }
        let (log, cb) = progress_log(|_| {});
        expect_code(
            upload(&erin, &the_file, one_try_options(&cb)).await,
            "forbidden",
        );
        assert!(
            list_resumable(&erin).await.is_empty(),
            "a refused upload is not kept ({round})"
        );
        assert_signer_forgot(&log).await;
    }

    // The same refusal once the page is being left (a reload: the browser
    // cuts the upload off) keeps the upload for the next page.
    let hidden = std::cell::Cell::new(false);
    let (log, cb) = progress_log(move |p| {
        if !hidden.get() && get(p, "uploadId").is_string() {
            hidden.set(true);
            fire("pagehide");
        }
    });
    expect_code(
        upload(&erin, &the_file, one_try_options(&cb)).await,
        "forbidden",
    );
    fire("pageshow");
    let listed = list_resumable(&erin).await;
    assert_eq!(listed.len(), 1, "kept for the next page: {listed:?}");
    assert_eq!(get(&listed[0], "partsStored").as_f64(), Some(1.0));
    let upload_id = upload_id_of(&log);
    let url = format!("{}/api/multipart/{upload_id}/parts", endpoint());
    let still_open = gloo_net::http::Request::get(&url)
        .send()
        .await
        .expect("signer reachable");
    assert_eq!(
        still_open.status(),
        200,
        "the upload stays open in the store"
    );

    let discarded =
        wasm_bindgen_futures::JsFuture::from(erin.discard_resumable(get_str(&listed[0], "id")))
            .await
            .expect("discardResumable resolves");
    assert_eq!(discarded.as_bool(), Some(true));
    assert_signer_forgot(&log).await;
}

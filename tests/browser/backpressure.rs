//! The uploader's queue and its waits on backpressure, at their edges: queue
//! options out of range, a `Retry-After` that is garbage or asks for a day,
//! the total wait budget (`maxWaitMs`), and `maxConcurrentFiles` holding.

use crate::support::*;
use presigned_upload::Uploader;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn queue_options_out_of_range_are_refused_naming_the_option() {
    for (name, value) in [
        ("maxConcurrentFiles", 0),
        ("maxConcurrentFiles", 1000),
        ("maxConcurrentRequests", 0),
        ("maxConcurrentRequests", 33),
    ] {
        let options = obj(&[("endpoint", endpoint().into()), (name, value.into())]);
        let err = Uploader::new(options).expect_err("refused");
        let err = expect_code(Err(err), "bad_request");
        let message = String::from(err.message());
        assert!(message.contains(name), "{name}: {message}");
    }
    let ok = obj(&[
        ("endpoint", endpoint().into()),
        ("maxConcurrentFiles", 16.into()),
        ("maxConcurrentRequests", 32.into()),
    ]);
    assert!(Uploader::new(ok).is_ok());
}

#[wasm_bindgen_test]
async fn max_wait_ms_out_of_range_is_refused() {
    let result = upload(
        &uploader(endpoint()),
        &blob(b"x"),
        obj(&[("fileType", "demo".into()), ("maxWaitMs", (-1).into())]),
    )
    .await;
    let err = expect_code(result, "bad_request");
    assert!(String::from(err.message()).contains("maxWaitMs"));
}

/// PUTs of the file `name` the proxy saw: `(status, milliseconds since the
/// proxy's log began)`.
async fn puts_at(proxy: &str, name: &str) -> Vec<(u16, f64)> {
    let response = gloo_net::http::Request::get(&format!("{proxy}/__log"))
        .send()
        .await
        .expect("fault proxy reachable");
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&response.text().await.expect("log")).expect("JSON");
    entries
        .into_iter()
        .filter(|e| e["method"] == "PUT" && e["url"].as_str().is_some_and(|u| u.contains(name)))
        .map(|e| {
            let status = e["status"].as_u64().unwrap_or(0) as u16;
            (status, e["atMs"].as_f64().expect("atMs"))
        })
        .collect()
}

#[wasm_bindgen_test]
async fn a_garbage_retry_after_is_ignored_for_the_backoff() {
    let proxy = fault_proxy();
    inject(
        proxy,
        r#"{"match": "garbage-retry-after.bin", "method": "PUT", "status": 503, "code": "SlowDown", "retryAfter": "in a while", "times": 2}"#,
    )
    .await;
    let bytes = test_bytes(200_000, 31);
    let result = upload(
        &uploader(endpoint()),
        &file(
            &bytes,
            "garbage-retry-after.bin",
            "application/octet-stream",
        )
        .into(),
        obj(&[("fileType", "demo".into())]),
    )
    .await
    .expect("stored after two SlowDowns");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    let puts = puts_at(proxy, "garbage-retry-after.bin").await;
    let statuses: Vec<u16> = puts.iter().map(|p| p.0).collect();
    assert_eq!(statuses, [503, 503, 200]);
    // The backoff's first two delays are at most 250 and 500 ms.
    for pair in puts.windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!(gap < 1_000.0, "retried {gap} ms later: {puts:?}");
    }
}

#[wasm_bindgen_test]
async fn a_day_of_retry_after_is_capped_and_max_wait_ms_ends_the_wait_with_rate_limited() {
    let proxy = fault_proxy();
    inject(
        proxy,
        r#"{"match": "retry-after-a-day.bin", "method": "PUT", "status": 503, "code": "SlowDown", "retryAfter": "86400", "forMs": 120000}"#,
    )
    .await;
    let states = Rc::new(RefCell::new(Vec::<String>::new()));
    let on_state = Closure::<dyn Fn(JsValue)>::new({
        let states = Rc::clone(&states);
        move |s: JsValue| states.borrow_mut().push(s.as_string().unwrap_or_default())
    });
    let (log, on_progress) = progress_log(|_| {});
    let result = upload(
        &uploader(endpoint()),
        &file(b"refused for a day", "retry-after-a-day.bin", "text/plain").into(),
        obj(&[
            ("fileType", "demo".into()),
            ("maxWaitMs", 2_500.into()),
            ("onStateChange", on_state.as_ref().clone()),
            ("onProgress", on_progress.as_ref().clone()),
        ]),
    )
    .await;
    let err = expect_code(result, "rate_limited");
    let message = String::from(err.message());
    assert!(message.contains("maxWaitMs"), "{message}");
    assert_eq!(get_num(&err, "status"), 503.0);
    // One wait, as long as the budget left (not a day, nor the 60 s cap),
    // shown as `queued` with its reason; then one more attempt, refused.
    let waits: Vec<(String, f64)> = log
        .borrow()
        .iter()
        .map(|p| get(p, "waiting"))
        .filter(|w| !w.is_undefined())
        .map(|w| (get_str(&w, "reason"), get_num(&w, "retryInMs")))
        .collect();
    assert_eq!(
        waits.first(),
        Some(&("busy".to_owned(), 2_500.0)),
        "{waits:?}"
    );
    assert!(
        states.borrow().contains(&"queued".to_owned()),
        "{:?}",
        states.borrow()
    );
    assert_eq!(states.borrow().last().map(String::as_str), Some("failed"));
    let puts = puts_at(proxy, "retry-after-a-day.bin").await;
    assert_eq!(puts.iter().map(|p| p.0).collect::<Vec<_>>(), [503, 503]);
    assert!(puts[1].1 - puts[0].1 >= 2_500.0, "{puts:?}");
    proxy_control(proxy, "/__faults/reset", "{}").await;
}

#[wasm_bindgen_test]
async fn no_more_than_max_concurrent_files_run_at_once() {
    let uploader = uploader_with(endpoint(), &[("maxConcurrentFiles", 2.into())]);
    // Per upload: whether it sends bytes now (hashed and signed ahead of
    // its turn, it is not yet); and the most sending at once.
    let running = Rc::new(RefCell::new((vec![false; 6], 0usize)));
    let mut pending = Vec::new();
    let mut callbacks = Vec::new();
    for i in 0..6usize {
        let on_state = Closure::<dyn Fn(JsValue)>::new({
            let running = Rc::clone(&running);
            move |s: JsValue| {
                let state = s.as_string().unwrap_or_default();
                let mut r = running.borrow_mut();
                r.0[i] = state == "uploading";
                let now = r.0.iter().filter(|&&on| on).count();
                r.1 = r.1.max(now);
            }
        });
        let bytes = test_bytes(300_000, 40 + i as u64);
        let options = obj(&[
            ("fileType", "demo".into()),
            ("onStateChange", on_state.as_ref().clone()),
        ]);
        let name = format!("queued-{i}.bin");
        let started = uploader
            .start(
                file(&bytes, &name, "application/octet-stream").into(),
                options,
            )
            .expect("start");
        assert_eq!(started.state(), "queued");
        pending.push((JsFuture::from(started.result()), bytes));
        callbacks.push(on_state);
    }
    for (result, bytes) in pending {
        let result = result.await.expect("stored");
        assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    }
    assert_eq!(running.borrow().1, 2, "files sending at once");
    drop(callbacks);
}

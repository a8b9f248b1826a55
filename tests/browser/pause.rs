//! `uploader.start()`'s handle: pause, resume, abort, and the states seen.

use crate::support::*;
use presigned_upload::Upload;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

/// Every state reported to `onStateChange`, in order.
type StateLog = Rc<RefCell<Vec<String>>>;

/// A started upload, what it reported, and the callbacks it holds.
struct Started {
    upload: Upload,
    progress: ProgressLog,
    states: StateLog,
    _callbacks: [Closure<dyn Fn(JsValue)>; 2],
}

fn state_log() -> (StateLog, Closure<dyn Fn(JsValue)>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&log);
    let callback = Closure::<dyn Fn(JsValue)>::new(move |s: JsValue| {
        sink.borrow_mut().push(s.as_string().expect("a state name"));
    });
    (log, callback)
}

/// PUTs of the file `name` the proxy has seen: `(part number, status)`.
async fn puts_of(proxy: &str, name: &str) -> Vec<(u32, u16)> {
    proxy_log(proxy)
        .await
        .into_iter()
        .filter(|(method, url, ..)| method == "PUT" && url.contains(name))
        .map(|(_, url, status, _)| {
            let number = url
                .split(['?', '&'])
                .find_map(|kv| kv.strip_prefix("partNumber="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (number, status)
        })
        .collect()
}

/// Starts a 40 MiB upload in 5 MiB parts, two at a time, each PUT slowed by
/// 250 ms at the proxy, that pauses itself once `pause_after` parts are stored.
fn start_pausing(name: &str, bytes: &[u8], pause_after: f64, extra: &[(&str, JsValue)]) -> Started {
    let handle: Rc<RefCell<Option<Upload>>> = Rc::new(RefCell::new(None));
    let paused_once = Rc::new(std::cell::Cell::new(false));
    let (progress, on_progress) = progress_log({
        let handle = Rc::clone(&handle);
        move |p| {
            if !paused_once.get() && get_num(p, "partsDone") >= pause_after {
                if let Some(upload) = handle.borrow().as_ref() {
                    paused_once.set(true);
                    upload.pause();
                }
            }
        }
    });
    let (states, on_state) = state_log();
    let mut pairs = vec![
        ("fileType", JsValue::from("demo")),
        ("partSize", (5 * MIB as u32).into()),
        ("concurrency", 2.into()),
        ("wholeFileSha256", true.into()),
        ("onProgress", on_progress.as_ref().clone()),
        ("onStateChange", on_state.as_ref().clone()),
    ];
    pairs.extend(extra.iter().cloned());
    let upload = uploader(endpoint())
        .start(
            file(bytes, name, "application/octet-stream").into(),
            obj(&pairs),
        )
        .expect("start");
    *handle.borrow_mut() = Some(upload.clone());
    Started {
        upload,
        progress,
        states,
        _callbacks: [on_progress, on_state],
    }
}

async fn wait_until(what: &str, check: impl Fn() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        sleep_ms(50).await;
    }
    panic!("timed out waiting until {what}");
}

#[wasm_bindgen_test]
async fn pause_for_two_seconds_then_resume_sends_every_part_once() {
    let proxy = fault_proxy();
    let name = "pause-finish.bin";
    inject(
        proxy,
        r#"{"match": "pause-finish.bin", "method": "PUT", "delayMs": 250, "times": 100}"#,
    )
    .await;
    let bytes = test_bytes(40 * MIB, 20);
    let Started {
        upload,
        progress,
        states,
        _callbacks,
    } = start_pausing(name, &bytes, 2.0, &[]);
    wait_until("paused", || upload.state() == "paused").await;
    // Parts in flight may still finish; then nothing new may start.
    sleep_ms(1000).await;
    let settled = puts_of(proxy, name).await.len();
    sleep_ms(1000).await;
    assert_eq!(
        puts_of(proxy, name).await.len(),
        settled,
        "a PUT started while paused"
    );
    assert_eq!(upload.state(), "paused");
    assert!(
        settled < 8,
        "{settled} PUTs: the pause came too late to test anything"
    );
    upload.resume();
    let result = JsFuture::from(upload.result())
        .await
        .expect("the resumed upload completes");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    assert_multipart_progress(&progress.borrow(), bytes.len(), 8.0);
    // No part was uploaded twice.
    let mut puts = puts_of(proxy, name).await;
    puts.sort();
    let expected: Vec<(u32, u16)> = (1..=8).map(|n| (n, 200)).collect();
    assert_eq!(puts, expected);
    assert_eq!(upload.state(), "done");
    let states = states.borrow().clone();
    assert_eq!(
        states,
        ["uploading", "paused", "uploading", "completing", "done"],
        "{states:?}"
    );
}

#[wasm_bindgen_test]
async fn pause_can_abort_the_puts_in_flight_and_resume_sends_them_again() {
    let proxy = fault_proxy();
    let name = "pause-abort.bin";
    // Part 2 takes longer than part 1, so that it is still in flight when
    // part 1's completion pauses the upload (parts hashed at once start
    // their PUTs at once).
    inject(
        proxy,
        r#"[{"match": ["pause-abort.bin", "partNumber=2&"], "method": "PUT", "delayMs": 2000, "times": 1},
            {"match": "pause-abort.bin", "method": "PUT", "delayMs": 400, "times": 100}]"#,
    )
    .await;
    let bytes = test_bytes(40 * MIB, 21);
    let Started {
        upload,
        progress,
        _callbacks,
        ..
    } = start_pausing(name, &bytes, 1.0, &[("abortInFlightOnPause", true.into())]);
    wait_until("paused", || upload.state() == "paused").await;
    sleep_ms(1500).await;
    upload.resume();
    let result = JsFuture::from(upload.result())
        .await
        .expect("the resumed upload completes");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    assert_multipart_progress(&progress.borrow(), bytes.len(), 8.0);
    let puts = puts_of(proxy, name).await;
    let stored: Vec<u32> = puts
        .iter()
        .filter(|(_, s)| *s == 200)
        .map(|(n, _)| *n)
        .collect();
    let mut sorted = stored.clone();
    sorted.sort();
    // An interrupted PUT may still have reached the store (the abort raced
    // the body): sending it again is harmless, the same bytes overwrite it.
    sorted.dedup();
    assert_eq!(sorted, (1..=8).collect::<Vec<u32>>(), "{puts:?}");
    // The PUTs the pause interrupted were sent again.
    assert!(puts.len() > 8, "nothing was interrupted: {puts:?}");
}

#[wasm_bindgen_test]
async fn aborting_a_paused_upload_rejects_with_aborted() {
    let bytes = test_bytes(30 * MIB, 22);
    let (states, on_state) = state_log();
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("onStateChange", on_state.as_ref().clone()),
    ]);
    let upload = uploader(endpoint())
        .start(blob(&bytes).into(), options)
        .expect("start");
    upload.pause();
    assert_eq!(upload.state(), "paused");
    sleep_ms(300).await;
    upload.abort();
    expect_code(JsFuture::from(upload.result()).await, "aborted");
    assert_eq!(upload.state(), "aborted");
    assert_eq!(states.borrow().clone(), ["paused", "aborted"]);
}

#[wasm_bindgen_test]
async fn pause_can_abort_a_single_put_in_flight_and_resume_sends_it_again() {
    let proxy = fault_proxy();
    let name = "pause-single.bin";
    // The first PUT is held 3 s at the proxy: in flight when the pause comes.
    inject(
        proxy,
        r#"{"match": "pause-single.bin", "method": "PUT", "delayMs": 3000, "times": 1}"#,
    )
    .await;
    let bytes = test_bytes(3 * MIB, 23);
    let (states, on_state) = state_log();
    let options = obj(&[
        ("fileType", "demo".into()),
        ("abortInFlightOnPause", true.into()),
        ("onStateChange", on_state.as_ref().clone()),
    ]);
    let upload = uploader(endpoint())
        .start(
            file(&bytes, name, "application/octet-stream").into(),
            options,
        )
        .expect("start");
    // Hashing and signing come first; a loaded engine may take seconds.
    for _ in 0..600 {
        let ended = ["done", "failed", "aborted"].contains(&upload.state().as_str());
        if ended || !puts_of(proxy, name).await.is_empty() {
            break;
        }
        sleep_ms(50).await;
    }
    let seen: Vec<_> = proxy_log(proxy).await.into_iter().rev().take(12).collect();
    let changes = states.borrow().clone();
    assert_eq!(
        puts_of(proxy, name).await.len(),
        1,
        "the PUT is in flight; the upload is {} after {changes:?}; the proxy's last requests: {seen:?}",
        upload.state(),
    );
    upload.pause();
    // Past the proxy's delay: the aborted PUT never stored anything.
    sleep_ms(3500).await;
    let held = puts_of(proxy, name).await;
    assert!(held.iter().all(|(_, s)| *s != 200), "{held:?}");
    upload.resume();
    let result = JsFuture::from(upload.result())
        .await
        .expect("the resumed upload completes");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    let puts = puts_of(proxy, name).await;
    assert_eq!(puts.len(), 2, "sent again after the resume: {puts:?}");
    assert_eq!(puts[1].1, 200, "{puts:?}");
    assert!(states.borrow().contains(&"paused".to_owned()));
    drop(on_state);
}

//! Per-upload metadata (`x-amz-meta-*`): malformed entries and names the
//! file type's policy does not take are refused, naming the entry, by every
//! route that starts an upload.

use crate::common::{error_code, start};
use presign_core::ErrorCode;
use serde_json::{json, Value};

#[tokio::test]
async fn metadata_is_refused_naming_the_entry_on_every_route() {
    let t = start().await;
    let bodies: [(&str, Value); 3] = [
        (
            "get-upload-url",
            json!({"filename": "a.bin", "file_type": "ecu", "size": 3}),
        ),
        (
            "get-upload-form",
            json!({"filename": "a.bin", "file_type": "ecu", "size": 3}),
        ),
        (
            "multipart",
            json!({"filename": "a.bin", "file_type": "ecu", "size": 20_000_000}),
        ),
    ];
    let cases: [(Value, &str); 4] = [
        (json!({"Serial": "1"}), "\"Serial\""),
        (json!({"serial": "a\r\nx: y"}), "\"serial\""),
        (json!({"user-id": "eve"}), "reserved"),
        (json!({"serial": "ECU-1"}), "not allowed for file_type ecu"),
    ];
    for (route, body) in &bodies {
        let plain = t.post_json(route, body).await;
        assert_eq!(plain.status(), 200, "{route} without metadata");
        for (metadata, expected) in &cases {
            let mut with = body.clone();
            with["metadata"] = metadata.clone();
            let resp = t.post_json(route, &with).await;
            let (status, code, message) = error_code(resp).await;
            assert_eq!(
                (status, code.as_str()),
                (400, ErrorCode::BadRequest.as_str()),
                "{route} {metadata}"
            );
            assert!(message.contains(expected), "{route} {metadata}: {message}");
        }
    }
}

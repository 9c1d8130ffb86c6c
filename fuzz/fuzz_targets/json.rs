//! JSON bodies: the submit API's body read as the handler reads it
//! (`web::submit::SubmitJson`) through the handlers' JSON gate and the
//! submission rules, the reply/track/rating bodies, and worker messages
//! (`PortalEvent`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portal::domain::SubmissionInput;
use portal::web::request;
use portal::web::submit::SubmitJson;
use serde::Deserialize;

/// The reply, track and rating bodies, merged: every field is optional.
#[derive(Debug, Deserialize)]
struct OtherJson {
    #[serde(default)]
    email: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    rating: serde_json::Value,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    before: Option<String>,
}

fuzz_target!(|data: &[u8]| {
    let req = http::Request::builder()
        .method("POST")
        .header("content-type", "application/json")
        .body(lambda_http::Body::Binary(data.to_vec()))
        .expect("a request");

    if let Ok(body) = request::json::<SubmitJson>(&req) {
        // The gate only lets objects through.
        let text = std::str::from_utf8(data).expect("accepted bodies are UTF-8");
        assert!(text.trim_start().starts_with('{'), "{text:?}");
        portal_fuzz::check_submission(&body.into_input());
    }

    if let Ok(body) = request::json::<OtherJson>(&req) {
        let rating = match &body.rating {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            _ => String::new(),
        };
        for raw in [body.email.as_str(), body.message.as_str(), rating.as_str(), body.comment.as_deref().unwrap_or("")]
        {
            portal_fuzz::check_fields(raw);
        }
        portal_fuzz::check_cursor(body.before.as_deref().unwrap_or(""));
    }

    if let Ok(text) = std::str::from_utf8(data) {
        portal_fuzz::check_event(text);
        // SubmissionInput itself is also read from JSON (serde default on every field).
        if let Ok(input) = serde_json::from_str::<SubmissionInput>(text) {
            portal_fuzz::check_submission(&input);
        }
    }
});

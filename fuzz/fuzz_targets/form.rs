//! Form bodies (`application/x-www-form-urlencoded`), as the submit, reply,
//! track and rating pages post them: the strict parser, then every check the
//! handlers run on the fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portal::web::{request, submit};

fuzz_target!(|data: &[u8]| {
    // The handlers' own entry point: size and content-type gate, then Form::parse.
    let req = http::Request::builder()
        .method("POST")
        .header("content-type", "application/x-www-form-urlencoded; charset=UTF-8")
        .body(lambda_http::Body::Binary(data.to_vec()))
        .expect("a request");
    let via_request = request::form(&req);

    let Some(form) = portal_fuzz::check_form(data) else {
        assert!(via_request.is_err());
        return;
    };
    assert_eq!(via_request.as_ref(), Ok(&form));

    // Submit page.
    portal_fuzz::check_submission(&submit::submission_from_form(&form));
    // Every field the pages read, through every field rule (idempotency key,
    // reply message, track reference and email, rating and comment).
    for name in ["idempotency_key", "message", "reference", "email", "rating", "comment"] {
        portal_fuzz::check_fields(form.get(name));
    }
});

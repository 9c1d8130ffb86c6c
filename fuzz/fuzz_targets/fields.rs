//! Every single-field rule (name, subject, description, comment, reply, email,
//! type, reference, workspace slug, idempotency key, rating, status) on raw text,
//! checked both ways against the rule it implements.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    portal_fuzz::check_fields(&text);
});

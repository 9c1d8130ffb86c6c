//! Raw bytes as a mail through `InboundMail::parse`, as the body of an HTML-only
//! mail (the HTML converter), and as text through the quote stripper; see
//! fuzz/mail/src/lib.rs for the properties.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mail_fuzz::check_mail(data);
    mail_fuzz::check_html_body(data);
    mail_fuzz::check_strip(&String::from_utf8_lossy(data));
});

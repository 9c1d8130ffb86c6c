//! Real-world shaped messages (tests/fixtures/*.eml) through `InboundMail::parse`.

use inbound_mail::{
    shorten, strip_quotes, AutoReason, InboundMail, Origin, OwnAddresses, ParseError, TextSource, MAX_MESSAGE_BYTES,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> InboundMail {
    InboundMail::parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn own() -> OwnAddresses {
    OwnAddresses::new().with_address("noreply@portal.example").with_domain("inbound.localhost")
}

fn new_text(mail: &InboundMail) -> &str {
    mail.text().new_text().unwrap_or("")
}

fn ids(list: &[inbound_mail::MessageId]) -> Vec<&str> {
    list.iter().map(|id| id.as_str()).collect()
}

#[test]
fn plain_text_mail() {
    let mail = parse("plain.eml");
    assert_eq!(mail.from().as_str(), "ann@example.com");
    assert_eq!(mail.display_name(), "Ann Lee");
    assert_eq!(mail.subject().as_str(), "Printer does not print");
    assert_eq!(mail.ticket_mention(), None);
    assert_eq!(mail.message_id().map(|id| id.as_str()), Some("<20240805091200.4711@mail.example.com>"));
    assert!(mail.in_reply_to().is_empty() && mail.references().is_empty());
    assert_eq!(
        new_text(&mail),
        "Hello,\n\nthe printer on floor 2 prints only blank pages since this morning.\n\nThanks,\nAnn"
    );
    assert!(!mail.text().quote_was_cut());
    assert_eq!(mail.text().source(), TextSource::Plain);
    assert_eq!(mail.attachment_count(), 0);
    assert_eq!(mail.origin("ann@example.com", &own()), Origin::Person);
}

#[test]
fn multipart_alternative_uses_the_text_part_and_lower_cases_the_domain() {
    let mail = parse("alternative.eml");
    assert_eq!(mail.from().as_str(), "Ann.Lee@example.com");
    assert_eq!(mail.display_name(), "Lee, Ann");
    assert_eq!(new_text(&mail), "Could you print a visitor badge for tomorrow?");
    assert_eq!(mail.text().source(), TextSource::Plain);
}

#[test]
fn html_only_mail_is_converted_without_markup() {
    let mail = parse("html-only.eml");
    assert_eq!(mail.text().source(), TextSource::Html);
    assert_eq!(new_text(&mail), "My screen flickers when I open the [report tool].\n* Dell U2720\n* since Monday");
}

#[test]
fn transfer_encodings_and_charsets_are_decoded() {
    let qp = parse("quoted-printable.eml");
    assert_eq!(qp.display_name(), "Renée Müller");
    assert_eq!(qp.subject().as_str(), "Machine à café");
    assert!(new_text(&qp).starts_with("Le café est froid et la machine ne répond plus depuis ce matin, merci"));
    assert!(new_text(&qp).ends_with("s'il vous plaît.\nÀ bientôt"));

    let b64 = parse("base64.eml");
    assert_eq!((b64.display_name(), b64.subject().as_str()), ("Jörg Ärger", "Drucker defekt"));
    assert_eq!(new_text(&b64), "Grüße aus Köln — der Drucker druckt nicht.\nDanke!");

    assert_eq!(new_text(&parse("iso-8859-1-8bit.eml")), "Café crème, s'il vous plaît.");
    assert_eq!(new_text(&parse("windows-1252.eml")), "The invoice says “100 €” but we paid … twice.");

    let japanese = parse("iso-2022-jp.eml");
    assert_eq!(japanese.display_name(), "山田 太郎");
    assert_eq!(japanese.subject().as_str(), "プリンターが動きません");
    assert_eq!(new_text(&japanese), "印刷できません。\n至急お願いします。");
}

#[test]
fn raw_8bit_headers_are_read_as_utf8_or_else_as_windows_1252() {
    let utf8 = parse("raw-8bit-headers.eml");
    assert_eq!((utf8.display_name(), utf8.subject().as_str()), ("Jörg Ärger", "Grüße – Drucker kaputt"));
    assert_eq!(new_text(&utf8), "Der Drucker zeigt „Papierstau“.");
    let latin1 = parse("iso-8859-1-8bit.eml");
    assert_eq!((latin1.display_name(), latin1.subject().as_str()), ("Renée", "Café"));
    assert_eq!(latin1.from().as_str(), "renee@example.fr");
}

#[test]
fn gmail_reply_keeps_only_the_new_text_and_the_threading_ids() {
    let mail = parse("gmail-reply.eml");
    assert_eq!(new_text(&mail), "Thanks, it prints again!");
    assert!(mail.text().quote_was_cut());
    assert!(mail.text().full().contains("please restart the printer"));
    assert_eq!(mail.ticket_mention().map(|m| m.number()), Some(42));
    assert_eq!(mail.message_id().map(|id| id.as_str()), Some("<CAF=reply1@mail.gmail.com>"));
    assert_eq!(ids(mail.in_reply_to()), ["<0100018f-1b2c-4d5e@email.amazonses.com>"]);
    assert_eq!(
        ids(mail.references()),
        ["<tkt-01J8ZQ2Y3M4N5P6Q7R8S9T0V1W@inbound.localhost>", "<0100018f-1b2c-4d5e@email.amazonses.com>"]
    );
    let nearest_first: Vec<&str> = mail.thread_ids().map(|id| id.as_str()).collect();
    assert_eq!(nearest_first[0], "<0100018f-1b2c-4d5e@email.amazonses.com>");
    assert_eq!(nearest_first.last().copied(), Some("<tkt-01J8ZQ2Y3M4N5P6Q7R8S9T0V1W@inbound.localhost>"));
    assert_eq!(mail.origin("ann@example.com", &own()), Origin::Person);
}

#[test]
fn gmail_html_only_reply_loses_its_blockquote() {
    let mail = parse("gmail-html-only-reply.eml");
    assert_eq!(mail.text().source(), TextSource::Html);
    assert_eq!(new_text(&mail), "Still broken, sorry.\n\nAnn");
}

#[test]
fn apple_mail_reply_with_a_quoted_attribution() {
    let mail = parse("apple-mail-reply.eml");
    assert_eq!(new_text(&mail), "Done, thanks.\n\nAnn");
    assert_eq!(mail.message_id().map(|id| id.as_str()), Some("<7A1B2C3D-4E5F-6789-ABCD-EF0123456789@example.com>"));
}

#[test]
fn outlook_reply_loses_its_header_block_and_counts_the_attachment() {
    let mail = parse("outlook-reply.eml");
    assert_eq!(new_text(&mail), "Here is the error log, see the attachment.\n\nBest regards\nAnn");
    assert_eq!(mail.attachment_count(), 1);
    assert_eq!(mail.ticket_mention().map(|m| m.number()), Some(42));
}

#[test]
fn outlook_html_only_reply_loses_its_header_block() {
    let raw = "From: ann@example.com\r\nSubject: RE: x\r\nContent-Type: text/html\r\n\r\n<html><body><div>See log.</div><div>Ann</div><hr style=\"display:inline-block;width:98%\"><div id=\"divRplyFwdMsg\"><b>From:</b> Demo Workspace<br><b>Sent:</b> Monday, August 5, 2024 10:00<br><b>Subject:</b> Re: Printer</div><div>could you send us the error log?</div></body></html>";
    let mail = InboundMail::parse(raw.as_bytes()).unwrap();
    assert_eq!(new_text(&mail), "See log.\nAnn");
}

#[test]
fn a_forward_is_kept_whole() {
    let raw = "From: ann@example.com\r\nSubject: Fwd: Invoice 42\r\n\r\nSee below.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Billing <billing@vendor.example>\r\nDate: Mon, 5 Aug 2024\r\nSubject: Invoice 42\r\n\r\nPlease pay.\r\n";
    let mail = InboundMail::parse(raw.as_bytes()).unwrap();
    assert!(new_text(&mail).ends_with("Please pay."));
    assert!(!mail.text().quote_was_cut());
}

#[test]
fn bounces_auto_replies_and_lists_are_automatic() {
    let bounce = parse("bounce-dsn.eml");
    assert!(matches!(bounce.origin("", &own()), Origin::Automatic(AutoReason::NullSender)));
    let out_of_office = parse("out-of-office.eml");
    assert_eq!(out_of_office.origin("ann@example.com", &own()), Origin::Automatic(AutoReason::AutoSubmitted));
    let list = parse("mailing-list.eml");
    assert_eq!(list.origin("printers-bounces@lists.example.com", &own()), Origin::Automatic(AutoReason::Precedence));
}

#[test]
fn a_dsn_without_other_signals_is_still_a_report() {
    let raw = String::from_utf8(fixture("bounce-dsn.eml")).unwrap();
    let raw = raw.replace("Return-Path: <>\r\n", "").replace("Auto-Submitted: auto-replied\r\n", "");
    let mail = InboundMail::parse(raw.as_bytes()).unwrap();
    assert_eq!(mail.origin("bounces@mx.example.com", &own()), Origin::Automatic(AutoReason::DeliveryReport));
}

#[test]
fn mail_from_our_own_addresses_is_automatic() {
    let raw = "From: Demo <NoReply@portal.example>\r\nSubject: Re: x\r\n\r\nloop\r\n";
    let mail = InboundMail::parse(raw.as_bytes()).unwrap();
    assert_eq!(mail.origin("bounce@amazonses.com", &own()), Origin::Automatic(AutoReason::OwnAddress));
    let raw = "From: reply+abc@inbound.localhost\r\nSubject: Re: x\r\n\r\nloop\r\n";
    let mail = InboundMail::parse(raw.as_bytes()).unwrap();
    assert_eq!(mail.origin("reply+abc@inbound.localhost", &own()), Origin::Automatic(AutoReason::OwnAddress));
}

#[test]
fn a_message_without_from_has_no_sender() {
    assert_eq!(InboundMail::parse(&fixture("no-from.eml")), Err(ParseError::NoSender));
    assert_eq!(InboundMail::parse(b"From: undisclosed-recipients:;\r\n\r\nx"), Err(ParseError::NoSender));
    assert_eq!(InboundMail::parse(b"From: Ann <not an address>\r\n\r\nx"), Err(ParseError::NoSender));
    assert!(InboundMail::parse(b"").is_err());
}

#[test]
fn hostile_ids_are_dropped() {
    let raw = "From: a@example.com\r\nMessage-ID: <a b@c>\r\nIn-Reply-To: <x@y>\r\n =?utf-8?q?=0D=0ABcc:_evil@z?= <ok@y>\r\nReferences: <a@b\r\n c@d> <<e@f>> <g@h>\r\n\r\nhi";
    let mail = InboundMail::parse(raw.as_bytes()).unwrap();
    assert_eq!(mail.message_id(), None);
    assert_eq!(ids(mail.in_reply_to()), ["<x@y>", "<ok@y>"]);
    assert_eq!(ids(mail.references()), ["<g@h>"]);
}

#[test]
fn a_mail_of_only_quotes_has_no_new_text() {
    let raw = "From: a@example.com\r\nSubject: Re: x\r\n\r\n> only\r\n> quoted\r\n";
    let mail = InboundMail::parse(raw.as_bytes()).unwrap();
    assert_eq!(mail.text().new_text(), None);
    assert_eq!(mail.text().full(), "> only\n> quoted");
}

#[test]
fn a_ten_megabyte_message_parses_and_its_text_is_shortened_by_characters() {
    let line = "Ünïcödé text that goes on and on, line after line.\r\n";
    let mut raw = String::from("From: Big <big@example.com>\r\nSubject: Huge\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    while raw.len() < MAX_MESSAGE_BYTES / 2 {
        raw.push_str(line);
    }
    raw.push_str("--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    while raw.len() < MAX_MESSAGE_BYTES {
        raw.push_str("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n");
    }
    raw.push_str("--b--\r\n");
    let mail = InboundMail::parse(raw.as_bytes()).unwrap();
    assert_eq!(mail.attachment_count(), 1);
    let text = new_text(&mail);
    assert!(text.len() <= inbound_mail::MAX_TEXT_BYTES, "the text part is capped before stripping");
    let cut = shorten(text, 5_000);
    assert!(cut.was_shortened);
    assert_eq!(cut.text.chars().count(), 5_000);
    assert!(cut.text.starts_with("Ünïcödé text"));
}

#[test]
fn every_fixture_is_stripped_idempotently() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if let Ok(mail) = InboundMail::parse(&std::fs::read(&path).unwrap()) {
            let once = mail.text().new_text().unwrap_or("");
            assert_eq!(strip_quotes(once), once, "{}", path.display());
            assert!(!mail.subject().as_str().contains(['\r', '\n']));
        }
    }
}

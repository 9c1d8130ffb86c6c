//! The built event against AWS's shape, and the tolerant reader against both.

use super::*;

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:portal-inbound-email";

fn envelope(sender: &str) -> Envelope {
    Envelope {
        sender: sender.into(),
        recipients: vec!["demo@inbound.localhost".into(), "reply+t0k@inbound.localhost".into()],
    }
}

fn built(sender: &str, raw: &[u8]) -> (String, Value) {
    let id = new_message_id();
    let envelope = envelope(sender);
    let stored = as_stored(&envelope, raw);
    let receipt = Receipt {
        message_id: &id,
        envelope: &envelope,
        raw: &stored,
        received_at_ms: 1_785_965_402_028,
        function_arn: FUNCTION,
    };
    let event = receipt_event(&receipt);
    (id, event)
}

fn read(event: &Value) -> SesReceiptEvent {
    serde_json::from_value(event.clone()).unwrap()
}

#[test]
fn message_ids_look_like_ses_ids_and_do_not_repeat() {
    let ids: std::collections::HashSet<String> = (0..1_000).map(|_| new_message_id()).collect();
    assert_eq!(ids.len(), 1_000);
    assert!(ids.iter().all(|id| id.len() == 40 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())));
    assert_eq!(object_key("inbound/", "abc"), "inbound/abc");
}

#[test]
fn the_built_event_has_the_shape_aws_sends() {
    let raw = b"From: =?UTF-8?Q?Ren=C3=A9e_M=C3=BCller?= <renee@example.com>\r\nTo: Demo <demo@inbound.localhost>\r\nCc: b@example.com\r\nSubject: Printer\r\n =?UTF-8?Q?kaputt?=\r\nDate: Wed, 5 Aug 2026 23:29:57 +0200\r\nMessage-ID: <CAF=abc@mail.example.com>\r\n\r\nbody\r\n";
    let (id, event) = built("renee@example.com", raw);
    let sample = crate::samples::load("ses/inbound-email-receipt.json").unwrap();
    let (mail, receipt) = (&event["Records"][0]["ses"]["mail"], &event["Records"][0]["ses"]["receipt"]);
    // Every key of AWS's sample is there (values aside).
    for (ours, theirs) in [(&event["Records"][0], &sample["Records"][0]), (mail, &sample["Records"][0]["ses"]["mail"])]
    {
        for key in theirs.as_object().unwrap().keys() {
            assert!(ours.get(key).is_some(), "missing {key}");
        }
    }
    assert_eq!(mail["messageId"], id.as_str());
    assert_eq!(mail["timestamp"], "2026-08-05T21:30:02.028Z");
    assert_eq!(mail["source"], "renee@example.com");
    assert_eq!(mail["destination"], json!(["demo@inbound.localhost", "b@example.com"]));
    assert_eq!(mail["headers"][0], json!({"name": "Return-Path", "value": "<renee@example.com>"}));
    assert_eq!(mail["headers"][4], json!({"name": "Subject", "value": "Printer =?UTF-8?Q?kaputt?="}));
    let common = &mail["commonHeaders"];
    assert_eq!(common["from"], json!(["Renée Müller <renee@example.com>"]));
    assert_eq!(common["to"], json!(["Demo <demo@inbound.localhost>"]));
    assert_eq!(common["subject"], "Printer kaputt");
    assert_eq!(common["messageId"], "<CAF=abc@mail.example.com>");
    assert_eq!(common["date"], "Wed, 5 Aug 2026 23:29:57 +0200");
    assert_eq!(receipt["recipients"], json!(["demo@inbound.localhost", "reply+t0k@inbound.localhost"]));
    assert_eq!(receipt["action"], json!({"type": "Lambda", "functionArn": FUNCTION, "invocationType": "Event"}));
    for verdict in ["spamVerdict", "virusVerdict"] {
        assert_eq!(receipt[verdict]["status"], "PASS");
    }
    for verdict in ["spfVerdict", "dkimVerdict", "dmarcVerdict"] {
        assert_eq!(receipt[verdict]["status"], "GRAY", "nothing authenticates a local sender");
    }
}

#[test]
fn the_tolerant_reader_reads_the_built_event() {
    let (id, event) = built("", b"Subject: a bounce without From\r\n\r\nx");
    let event = read(&event);
    let record = &event.records[0].ses;
    assert_eq!(record.mail.message_id, id);
    assert_eq!(record.mail.source, "");
    assert_eq!(record.receipt.recipients.len(), 2);
    assert_eq!(record.receipt.virus_verdict.status, "PASS");
    assert_eq!(record.receipt.action.kind, "Lambda");
}

#[test]
fn the_sample_event_round_trips_through_the_reader() {
    let sample = crate::samples::load("ses/inbound-email-receipt.json").unwrap();
    let event = read(&sample);
    let record = &event.records[0].ses;
    assert_eq!(record.mail.message_id, "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1");
    assert_eq!(record.mail.source, "renee@example.com");
    assert_eq!(record.mail.timestamp, "2026-08-05T21:30:02.028Z");
    assert_eq!(record.receipt.recipients, ["demo@inbound.example.com"]);
    let verdicts = [
        &record.receipt.spam_verdict,
        &record.receipt.virus_verdict,
        &record.receipt.spf_verdict,
        &record.receipt.dkim_verdict,
        &record.receipt.dmarc_verdict,
    ];
    assert!(verdicts.iter().all(|v| v.status == "PASS"));
    assert_eq!(record.receipt.action.kind, "Lambda");
    assert_eq!(record.receipt.action.invocation_type, "Event");
    assert!(record.receipt.action.function_arn.ends_with(":function:portal-inbound-email"));
    assert_eq!(read(&serde_json::to_value(&event).unwrap()), event);
}

#[test]
fn missing_fields_default_instead_of_failing() {
    let event: SesReceiptEvent = serde_json::from_str(r#"{"Records":[{"ses":{"mail":{"messageId":"m1"}}}]}"#).unwrap();
    assert_eq!(event.records[0].ses.mail.message_id, "m1");
    assert_eq!(event.records[0].ses.receipt.spam_verdict.status, "");
    assert!(serde_json::from_str::<SesReceiptEvent>("{}").unwrap().records.is_empty());
}

#[test]
fn huge_headers_are_truncated_like_ses_does() {
    let raw = format!(
        "From: a@example.com\r\n{}\r\nbody",
        "X-Filler: 0123456789012345678901234567890123456789\r\n".repeat(400)
    );
    let (_, event) = built("a@example.com", raw.as_bytes());
    let mail = &event["Records"][0]["ses"]["mail"];
    assert_eq!(mail["headersTruncated"], true);
    assert!(mail["headers"].as_array().unwrap().len() < 400);
}

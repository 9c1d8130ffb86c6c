//! Properties the fuzz targets check on every input. Each check states the rule
//! from the outside (what a customer may send, what a parsed value must look
//! like), so a parser that panics, accepts too much or refuses a valid value
//! fails here, not only one that crashes.

use portal::domain::csat::Stars;
use portal::domain::{CommentCursor, IdempotencyKey, Status};
use portal::domain::{
    CustomerName, EmailAddress, MessageBody, NewTicket, PortalEvent, Subject, SubmissionInput, TicketRef, TicketType,
    WorkerMessage, WorkspaceSlug,
};
use portal::web::request::Form;

pub mod logo;

const MAX_NAME: usize = 100;
const MAX_SUBJECT: usize = 200;
const MAX_MESSAGE: usize = 5_000;
const MAX_COMMENT: usize = 2_000;
const MAX_EMAIL: usize = 254;

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Not allowed on one line: control characters, line/paragraph separators, bidi overrides.
fn forbidden_single_line(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}' || is_bidi_override(c)
}

/// Not allowed in multi-line text: control characters other than LF and TAB, bidi overrides.
fn forbidden_multi_line(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_override(c)
}

fn is_trimmed(s: &str) -> bool {
    s.trim() == s
}

// ---------------------------------------------------------------------------
// Forms: a reference decoder written from the rules, compared with the portal's.
// ---------------------------------------------------------------------------

/// `application/x-www-form-urlencoded` decoded by the portal's documented rules:
/// `+` is a space, `%` must be followed by exactly two hex digits, the result
/// must be UTF-8, and no name may appear twice. Fields in input order.
pub fn reference_form(bytes: &[u8]) -> Result<Vec<(String, String)>, &'static str> {
    fn decode(raw: &[u8]) -> Result<String, &'static str> {
        let mut out = Vec::new();
        let mut rest = raw;
        while let Some((&b, tail)) = rest.split_first() {
            match b {
                b'+' => {
                    out.push(b' ');
                    rest = tail;
                }
                b'%' => match tail {
                    [h, l, after @ ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                        let hex = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
                        out.push(hex(*h) * 16 + hex(*l));
                        rest = after;
                    }
                    _ => return Err("broken percent escape"),
                },
                other => {
                    out.push(other);
                    rest = tail;
                }
            }
        }
        String::from_utf8(out).map_err(|_| "not UTF-8")
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    for pair in bytes.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let (name, value) = (decode(name)?, decode(value)?);
        if fields.iter().any(|(n, _)| *n == name) {
            return Err("duplicate field");
        }
        fields.push((name, value));
    }
    Ok(fields)
}

/// `Form::parse` accepts exactly what the reference accepts, and then holds
/// every field (once, so no duplicates) with its decoded value.
pub fn check_form(bytes: &[u8]) -> Option<Form> {
    let ours = Form::parse(bytes);
    let reference = reference_form(bytes);
    match (&ours, &reference) {
        (Ok(form), Ok(fields)) => {
            for (name, value) in fields {
                assert_eq!(form.get(name), value, "field {name:?} decoded differently from {bytes:?}");
            }
            // A name that was not sent reads as "" (a sent name never contains '&').
            assert_eq!(form.get("&absent&"), "");
            // Parsing is deterministic.
            assert_eq!(Form::parse(bytes).as_ref(), Ok(form));
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(why)) => panic!("Form::parse accepted {bytes:?}, which the rules refuse ({why})"),
        (Err(e), Ok(_)) => panic!("Form::parse refused {bytes:?}, which the rules accept: {e:?}"),
    }
    ours.ok()
}

// ---------------------------------------------------------------------------
// Submissions.
// ---------------------------------------------------------------------------

/// `NewTicket::parse`: a ticket that parses has every field within its rules;
/// a refusal names at least one field, and each named field really is wrong.
pub fn check_submission(input: &SubmissionInput) {
    match NewTicket::parse(input) {
        Ok(ticket) => {
            check_name_value(ticket.name.as_str(), &input.name);
            check_email_value(&ticket.email, &input.email);
            check_single_line_value(ticket.subject.as_str(), &input.subject, MAX_SUBJECT);
            match &ticket.description {
                Some(d) => check_multi_line_value(d.as_str(), MAX_MESSAGE),
                None => assert!(folded(&input.description).trim().is_empty()),
            }
            assert_eq!(TicketType::parse(&input.ticket_type), Ok(ticket.ticket_type));
            // Each field on its own agrees with the whole.
            assert_eq!(CustomerName::parse(&input.name).as_ref(), Ok(&ticket.name));
            assert_eq!(Subject::parse(&input.subject).as_ref(), Ok(&ticket.subject));
            let fp = ticket.fingerprint();
            assert_eq!(fp.len(), 64);
            assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused submission must say why");
            for (field, problem) in errors.iter() {
                assert!(!problem.is_empty());
                let really_wrong = match field {
                    "name" => CustomerName::parse(&input.name).is_err(),
                    "email" => EmailAddress::parse(&input.email).is_err(),
                    "subject" => Subject::parse(&input.subject).is_err(),
                    "description" => MessageBody::parse_optional(&input.description, "description").is_err(),
                    "type" => TicketType::parse(&input.ticket_type).is_err(),
                    other => panic!("unexpected field in errors: {other}"),
                };
                assert!(really_wrong, "{field} was reported wrong but parses on its own: {input:?}");
            }
        }
    }
}

fn check_name_value(value: &str, raw: &str) {
    check_single_line_value(value, raw, MAX_NAME);
}

fn check_single_line_value(value: &str, raw: &str, max: usize) {
    assert_eq!(value, raw.trim(), "single-line values are the input, trimmed");
    assert!((1..=max).contains(&chars(value)), "{} chars, max {max}", chars(value));
    assert!(!value.chars().any(forbidden_single_line), "forbidden character in {value:?}");
}

fn check_email_value(email: &EmailAddress, raw: &str) {
    let value = email.as_str();
    assert_eq!(value, raw.trim());
    assert!((3..=MAX_EMAIL).contains(&chars(value)));
    assert!(!value.chars().any(|c| c.is_whitespace() || forbidden_single_line(c)), "{value:?}");
    let (local, domain) = value.rsplit_once('@').expect("an address has an @");
    assert!(!local.is_empty() && domain.contains('.') && !domain.ends_with('.'), "{value:?}");
    let normalized = email.normalized();
    assert_eq!(normalized, value.to_lowercase());
    assert_eq!(portal::domain::fields::normalize_email(&normalized), normalized, "normalizing is idempotent");
}

fn folded(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

fn check_multi_line_value(value: &str, max: usize) {
    assert!((1..=max).contains(&chars(value)), "{} chars, max {max}", chars(value));
    assert!(is_trimmed(value), "{value:?}");
    assert!(!value.contains('\r'), "line breaks are folded to LF");
    assert!(!value.chars().any(forbidden_multi_line), "{value:?}");
}

// ---------------------------------------------------------------------------
// Single fields: each parser against its rule, both ways where the rule is exact.
// ---------------------------------------------------------------------------

/// Every field parser on one raw string.
pub fn check_fields(raw: &str) {
    check_single_line(raw, CustomerName::parse(raw).map(|v| v.as_str().to_owned()), MAX_NAME);
    check_single_line(raw, Subject::parse(raw).map(|v| v.as_str().to_owned()), MAX_SUBJECT);
    check_message(raw);
    check_email(raw);
    check_ticket_type(raw);
    check_ticket_ref(raw);
    check_slug(raw);
    check_idempotency_key(raw);
    check_stars(raw);
    // Status is read from agent input; it must only never panic and be stable.
    if let Some(status) = Status::parse(raw) {
        assert_eq!(Status::parse(status.label()), Some(status));
    }
}

fn check_single_line(raw: &str, parsed: Result<String, String>, max: usize) {
    let trimmed = raw.trim();
    let valid = !trimmed.is_empty() && !trimmed.chars().any(forbidden_single_line) && chars(trimmed) <= max;
    match parsed {
        Ok(value) => {
            assert!(valid, "accepted {raw:?}");
            check_single_line_value(&value, raw, max);
        }
        Err(problem) => assert!(!valid && !problem.is_empty(), "refused a valid value {raw:?}: {problem}"),
    }
}

fn check_message(raw: &str) {
    let text = folded(raw);
    let text = text.trim();
    let clean = !text.chars().any(forbidden_multi_line);
    for (max, parsed) in
        [(MAX_MESSAGE, MessageBody::parse_optional(raw, "description")), (MAX_COMMENT, MessageBody::parse_comment(raw))]
    {
        match parsed {
            Ok(Some(body)) => {
                assert!(clean && chars(text) <= max, "accepted {raw:?}");
                assert_eq!(body.as_str(), text);
                check_multi_line_value(body.as_str(), max);
            }
            Ok(None) => assert!(text.is_empty(), "{raw:?} is not empty"),
            Err(problem) => assert!(!text.is_empty() && (!clean || chars(text) > max), "refused {raw:?}: {problem}"),
        }
    }
    // Required text is optional text that must be present.
    let optional = MessageBody::parse_optional(raw, "message");
    match MessageBody::parse_required(raw, "message") {
        Ok(body) => assert_eq!(optional, Ok(Some(body))),
        Err(_) => assert!(matches!(optional, Ok(None) | Err(_))),
    }
    // A valid comment is always a valid description.
    if let Ok(Some(comment)) = MessageBody::parse_comment(raw) {
        assert_eq!(MessageBody::parse_optional(raw, "description"), Ok(Some(comment)));
    }
}

fn check_email(raw: &str) {
    if let Ok(email) = EmailAddress::parse(raw) {
        check_email_value(&email, raw);
        // Its own text parses to itself.
        assert_eq!(EmailAddress::parse(email.as_str()), Ok(email.clone()));
    }
}

fn check_ticket_type(raw: &str) {
    match TicketType::parse(raw) {
        Ok(t) => {
            let v = raw.trim();
            assert!(v.is_empty() || v.eq_ignore_ascii_case(t.label()) || v.eq_ignore_ascii_case(t.code()), "{raw:?}");
            assert_eq!(TicketType::parse(t.code()), Ok(t));
            assert_eq!(TicketType::parse(t.label()), Ok(t));
        }
        Err(problem) => assert!(!problem.is_empty()),
    }
}

fn check_ticket_ref(raw: &str) {
    if let Some(r) = TicketRef::parse(raw) {
        assert!(r.number() >= 1);
        assert_eq!(r.to_string(), raw, "a reference has one spelling");
        assert_eq!(TicketRef::parse(&r.to_string()), Some(r));
        assert_eq!(raw.parse::<TicketRef>(), Ok(r));
        let json = serde_json::to_string(&r).expect("serializes");
        assert_eq!(serde_json::from_str::<TicketRef>(&json).ok(), Some(r));
    }
    // Any number a workspace can reach round-trips through its reference.
    let digits: String = raw.chars().filter(char::is_ascii_digit).take(12).collect();
    if let Ok(n) = digits.parse::<u64>() {
        if let Some(r) = TicketRef::from_number(n) {
            assert_eq!(TicketRef::parse(&r.to_string()), Some(r), "{n} does not round-trip");
        }
    }
}

fn check_slug(raw: &str) {
    let valid = (1..=63).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-');
    match WorkspaceSlug::parse(raw) {
        Some(slug) => {
            assert!(valid, "accepted slug {raw:?}");
            assert_eq!(slug.as_str(), raw);
            let json = serde_json::to_string(&slug).expect("serializes");
            assert_eq!(serde_json::from_str::<WorkspaceSlug>(&json).ok(), Some(slug));
        }
        None => assert!(!valid, "refused slug {raw:?}"),
    }
}

fn check_idempotency_key(raw: &str) {
    let t = raw.trim();
    let valid = (8..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match IdempotencyKey::parse(raw) {
        Some(key) => {
            assert!(valid, "accepted key {raw:?}");
            assert_eq!(key.as_str(), t);
        }
        None => assert!(!valid, "refused key {raw:?}"),
    }
}

fn check_stars(raw: &str) {
    match Stars::parse(raw) {
        Ok(stars) => {
            assert!((1..=5).contains(&stars.get()), "{raw:?}");
            assert_eq!(raw.trim().parse::<u8>().ok(), Some(stars.get()));
        }
        Err(problem) => {
            assert!(!problem.is_empty());
            assert!(!matches!(raw.trim(), "1" | "2" | "3" | "4" | "5"), "refused {raw:?}");
        }
    }
}

/// `CommentCursor::parse`: a cursor is exactly a canonical ULID, nothing
/// around it, so it can only ever name a comment key of the ticket read.
pub fn check_cursor(raw: &str) {
    if let Some(cursor) = CommentCursor::parse(raw) {
        assert_eq!(cursor.as_str(), raw);
        assert_eq!(raw.len(), 26);
        assert!(raw.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()), "{raw:?}");
    }
}

// ---------------------------------------------------------------------------
// Worker messages.
// ---------------------------------------------------------------------------

/// `PortalEvent::parse`: a parsed event is version 1 with a valid slug and a
/// canonical reference, and survives a round trip through its own JSON.
pub fn check_event(body: &str) {
    if let Ok(message) = WorkerMessage::parse(body) {
        assert_eq!(WorkerMessage::parse(&message.to_json()).expect("own JSON parses"), message);
    }
    if let Ok(event) = PortalEvent::parse(body) {
        assert_eq!(event.v, 1);
        assert_eq!(WorkspaceSlug::parse(event.workspace.as_str()).as_ref(), Some(&event.workspace));
        assert_eq!(TicketRef::parse(&event.reference.to_string()), Some(event.reference));
        let json = event.to_json();
        assert!(!json.is_empty());
        assert_eq!(PortalEvent::parse(&json).expect("own JSON parses"), event);
        let key = event.effect_key("notify");
        assert!(key.starts_with(&format!("{}#{}#", event.workspace, event.reference)));
    }
}

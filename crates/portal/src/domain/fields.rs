//! Customer-supplied fields, each a newtype whose only constructor enforces its rule
//! ("parse, don't validate"): a value of these types is always valid.
//!
//! Every length rule counts Unicode scalar values (characters), never bytes.

use std::collections::BTreeMap;
use std::fmt;

use validator::ValidateEmail;

/// Why one field was refused, in words a customer can act on.
pub type FieldProblem = String;

/// Per-field problems, keyed by the form/JSON field name. Ordered so pages and
/// JSON list them the same way every time.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<&'static str, FieldProblem>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, problem: impl Into<FieldProblem>) {
        self.0.entry(field).or_insert_with(|| problem.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }
    /// Records the problem of `result` under `field` and passes the value on.
    pub fn check<T>(&mut self, field: &'static str, result: Result<T, FieldProblem>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.add(field, problem);
                None
            }
        }
    }
}

/// Longest description and reply, in characters (spec: "up to 5,000 characters").
pub const MAX_MESSAGE_CHARS: usize = 5_000;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest optional CSAT comment.
pub const MAX_CSAT_COMMENT_CHARS: usize = 2_000;

fn single_line(raw: &str, label: &str, max: usize) -> Result<String, FieldProblem> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(format!("Please enter your {label}."));
    }
    if value.chars().any(is_forbidden_single_line) {
        return Err(format!("The {label} cannot contain line breaks or control characters."));
    }
    let count = value.chars().count();
    if count > max {
        return Err(format!("The {label} must be at most {max} characters (it has {count})."));
    }
    Ok(value.to_owned())
}

/// Multi-line text: trimmed, CRLF folded to LF, tabs and newlines allowed, other
/// control characters refused. `None` when empty.
fn multi_line(raw: &str, label: &str, max: usize) -> Result<Option<String>, FieldProblem> {
    let value = raw.replace("\r\n", "\n").replace('\r', "\n");
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') || value.chars().any(is_bidi_override) {
        return Err(format!("The {label} contains control characters that cannot be stored."));
    }
    let count = value.chars().count();
    if count > max {
        return Err(format!("The {label} must be at most {max} characters (it has {count})."));
    }
    Ok(Some(value.to_owned()))
}

fn is_forbidden_single_line(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}' || is_bidi_override(c)
}

/// Bidirectional overrides let text display differently from what it is
/// ("Trojan Source"); nobody needs them in a support ticket.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_newtype!(
    /// A customer's full name: 1 to 100 characters on one line.
    CustomerName
);
text_newtype!(
    /// A ticket subject: 1 to 200 characters on one line.
    Subject
);
text_newtype!(
    /// Free text of up to 5,000 characters: a description or a reply.
    MessageBody
);
text_newtype!(
    /// An e-mail address as the customer typed it (trimmed), at most 254 characters.
    EmailAddress
);

impl CustomerName {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        single_line(raw, "name", MAX_NAME_CHARS).map(Self)
    }
}

impl Subject {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        single_line(raw, "subject", MAX_SUBJECT_CHARS).map(Self)
    }
}

impl MessageBody {
    /// Optional text (the ticket description): empty input is `None`.
    pub fn parse_optional(raw: &str, label: &str) -> Result<Option<Self>, FieldProblem> {
        multi_line(raw, label, MAX_MESSAGE_CHARS).map(|v| v.map(Self))
    }
    /// Required text (a reply).
    pub fn parse_required(raw: &str, label: &str) -> Result<Self, FieldProblem> {
        Self::parse_optional(raw, label)?.ok_or_else(|| format!("Please write your {label}."))
    }
    /// Optional CSAT comment, with its own (shorter) limit.
    pub fn parse_comment(raw: &str) -> Result<Option<Self>, FieldProblem> {
        multi_line(raw, "comment", MAX_CSAT_COMMENT_CHARS).map(|v| v.map(Self))
    }
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("Please enter your email address.".into());
        }
        if value.chars().any(is_forbidden_single_line) || value.chars().any(char::is_whitespace) {
            return Err("That email address contains characters that are not allowed.".into());
        }
        if value.chars().count() > MAX_EMAIL_CHARS {
            return Err(format!("The email address must be at most {MAX_EMAIL_CHARS} characters."));
        }
        // The domain must have a dot: "ann@localhost" is valid RFC but useless for replies.
        let has_dotted_domain = value.rsplit_once('@').is_some_and(|(_, d)| d.contains('.') && !d.ends_with('.'));
        if !value.validate_email() || !has_dotted_domain {
            return Err("Please enter a valid email address, like name@example.com.".into());
        }
        Ok(Self(value.to_owned()))
    }

    /// The form used to look up contacts and verify ticket owners.
    pub fn normalized(&self) -> String {
        normalize_email(&self.0)
    }
}

/// The one rule for comparing addresses: trimmed and lower-cased.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// The mailbox an address delivers to, for counting: normalised, without a
/// `+tag` sub-address (`ann+1@example.com` and `Ann+2@example.com` both reach
/// `ann@example.com`). Limits on senders and recipients count mailboxes, so a
/// tag per message cannot multiply them; owners are still compared by the
/// whole normalised address, and replies go to the address as written.
pub fn mailbox_of(raw: &str) -> String {
    let normalized = normalize_email(raw);
    match normalized.rsplit_once('@') {
        Some((local, domain)) => match local.split_once('+') {
            Some((base, _tag)) if !base.is_empty() => format!("{base}@{domain}"),
            _ => normalized,
        },
        None => normalized,
    }
}

/// The four ticket types of the submission form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum TicketType {
    #[default]
    #[serde(rename = "Support Request")]
    SupportRequest,
    #[serde(rename = "General Inquiry")]
    GeneralInquiry,
    #[serde(rename = "Bug Report")]
    BugReport,
    #[serde(rename = "Feature Request")]
    FeatureRequest,
}

impl TicketType {
    pub const ALL: [TicketType; 4] =
        [TicketType::SupportRequest, TicketType::GeneralInquiry, TicketType::BugReport, TicketType::FeatureRequest];

    /// The label customers see, which is also the JSON value.
    pub fn label(self) -> &'static str {
        match self {
            TicketType::SupportRequest => "Support Request",
            TicketType::GeneralInquiry => "General Inquiry",
            TicketType::BugReport => "Bug Report",
            TicketType::FeatureRequest => "Feature Request",
        }
    }

    /// The form value (`support_request`, ...).
    pub fn code(self) -> &'static str {
        match self {
            TicketType::SupportRequest => "support_request",
            TicketType::GeneralInquiry => "general_inquiry",
            TicketType::BugReport => "bug_report",
            TicketType::FeatureRequest => "feature_request",
        }
    }

    /// Accepts the label or the code, case-insensitively; empty means the default.
    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        let value = raw.trim();
        if value.is_empty() {
            return Ok(Self::default());
        }
        Self::ALL
            .into_iter()
            .find(|t| t.label().eq_ignore_ascii_case(value) || t.code().eq_ignore_ascii_case(value))
            .ok_or_else(|| "Please choose Support Request, General Inquiry, Bug Report or Feature Request.".into())
    }
}

impl fmt::Display for TicketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_is_its_address_without_a_sub_address_tag() {
        assert_eq!(mailbox_of(" Ann+Orders@Example.com "), "ann@example.com");
        assert_eq!(mailbox_of("ann+1+2@example.com"), "ann@example.com");
        assert_eq!(mailbox_of("ann@example.com"), "ann@example.com");
        assert_eq!(mailbox_of("+tag@example.com"), "+tag@example.com", "no mailbox name to keep");
        assert_eq!(mailbox_of("not an address"), "not an address");
    }

    #[test]
    fn name_is_trimmed_and_bounded_in_characters() {
        assert_eq!(CustomerName::parse("  Ann Lee ").unwrap().as_str(), "Ann Lee");
        assert!(CustomerName::parse("   ").is_err());
        assert!(CustomerName::parse(&"é".repeat(100)).is_ok());
        let err = CustomerName::parse(&"é".repeat(101)).unwrap_err();
        assert!(err.contains("at most 100"), "{err}");
    }

    #[test]
    fn single_line_fields_refuse_control_characters_and_line_breaks() {
        for bad in ["Ann\r\nBcc: x@y.z", "Ann\nLee", "A\u{0}B", "A\u{202E}B", "A\u{2028}B"] {
            assert!(CustomerName::parse(bad).is_err(), "{bad:?}");
            assert!(Subject::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subject_limit_is_200_characters() {
        assert!(Subject::parse(&"a".repeat(200)).is_ok());
        assert!(Subject::parse(&"a".repeat(201)).is_err());
        assert!(Subject::parse("").is_err());
    }

    #[test]
    fn description_counts_characters_not_bytes() {
        // 5,000 four-byte characters is 20,000 bytes and still allowed.
        let emoji = "🙂".repeat(MAX_MESSAGE_CHARS);
        assert_eq!(
            MessageBody::parse_optional(&emoji, "description").unwrap().unwrap().as_str().chars().count(),
            5_000
        );
        let over = "ü".repeat(MAX_MESSAGE_CHARS + 1);
        let err = MessageBody::parse_optional(&over, "description").unwrap_err();
        assert!(err.contains("5000") && err.contains("5001"), "{err}");
    }

    #[test]
    fn description_is_optional_and_keeps_line_breaks() {
        assert_eq!(MessageBody::parse_optional("  \n ", "description").unwrap(), None);
        let body = MessageBody::parse_optional("line 1\r\nline 2\ttab", "description").unwrap().unwrap();
        assert_eq!(body.as_str(), "line 1\nline 2\ttab");
        assert!(MessageBody::parse_optional("nul\u{0}here", "description").is_err());
        assert!(MessageBody::parse_required("", "message").is_err());
    }

    #[test]
    fn email_rules() {
        let email = EmailAddress::parse("  Ann@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ann@Example.COM");
        assert_eq!(email.normalized(), "ann@example.com");
        for bad in
            ["", "ann", "ann@", "@example.com", "ann@localhost", "a b@example.com", "ann@example.com\r\nBcc: x@y.z"]
        {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn ticket_type_accepts_labels_and_codes_and_defaults() {
        assert_eq!(TicketType::parse("").unwrap(), TicketType::SupportRequest);
        assert_eq!(TicketType::parse("bug_report").unwrap(), TicketType::BugReport);
        assert_eq!(TicketType::parse("Feature Request").unwrap(), TicketType::FeatureRequest);
        assert_eq!(TicketType::parse("general inquiry").unwrap(), TicketType::GeneralInquiry);
        assert!(TicketType::parse("Complaint").is_err());
    }

    #[test]
    fn field_errors_keep_the_first_problem_per_field() {
        let mut errors = FieldErrors::default();
        assert_eq!(errors.check("name", CustomerName::parse("")), None);
        errors.add("name", "second");
        assert_eq!(errors.iter().count(), 1);
        assert!(errors.get("name").unwrap().contains("name"));
    }
}

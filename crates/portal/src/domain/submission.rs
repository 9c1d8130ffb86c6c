//! A customer's submission: the raw fields as typed, the checked ticket they
//! become, and the key that makes a retried submission one ticket.

use serde::{Deserialize, Serialize};

use super::fields::{CustomerName, EmailAddress, FieldErrors, MessageBody, Subject, TicketType};

/// A submission that passed every field rule: only [`NewTicket::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub name: CustomerName,
    pub email: EmailAddress,
    pub subject: Subject,
    pub description: Option<MessageBody>,
    pub ticket_type: TicketType,
}

/// The raw submission fields, exactly as typed, so a refused form can be shown again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubmissionInput {
    pub name: String,
    pub email: String,
    pub subject: String,
    pub description: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
}

impl NewTicket {
    /// Applies every field rule at once so the customer sees all problems together.
    pub fn parse(input: &SubmissionInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check("name", CustomerName::parse(&input.name));
        let email = errors.check("email", EmailAddress::parse(&input.email));
        let subject = errors.check("subject", Subject::parse(&input.subject));
        let description = errors.check("description", MessageBody::parse_optional(&input.description, "description"));
        let ticket_type = errors.check("type", TicketType::parse(&input.ticket_type));
        match (name, email, subject, description, ticket_type) {
            (Some(name), Some(email), Some(subject), Some(description), Some(ticket_type)) if errors.is_empty() => {
                Ok(Self { name, email, subject, description, ticket_type })
            }
            _ => Err(errors),
        }
    }

    /// A digest of the submission's content: a replayed idempotency key must carry
    /// the same submission, or it is someone else's key.
    pub fn fingerprint(&self) -> String {
        let description = self.description.as_ref().map(MessageBody::as_str).unwrap_or("");
        super::secrets::sha256_hex(
            [self.name.as_str(), &self.email.normalized(), self.subject.as_str(), description, self.ticket_type.code()]
                .join("\u{1f}")
                .as_bytes(),
        )
    }
}

/// A client-chosen key that makes a retried submission return the first
/// one's ticket: 8 to 64 of `A-Z a-z 0-9 _ -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let ok =
            (8..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Self(raw.to_owned()))
    }
    /// A fresh key for a form instance.
    pub fn generate() -> Self {
        Self(ulid::Ulid::new().to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_bounded_tokens() {
        assert!(IdempotencyKey::parse(IdempotencyKey::generate().as_str()).is_some());
        assert!(IdempotencyKey::parse("short").is_none());
        assert!(IdempotencyKey::parse("has space in it").is_none());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_none());
    }

    #[test]
    fn new_ticket_collects_every_problem_at_once() {
        let errors =
            NewTicket::parse(&SubmissionInput { ticket_type: "nope".into(), ..Default::default() }).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["email", "name", "subject", "type"]);
    }

    #[test]
    fn fingerprint_ignores_email_case_but_not_content() {
        let input = SubmissionInput {
            name: "Ann".into(),
            email: "Ann@Example.com".into(),
            subject: "Help".into(),
            ..Default::default()
        };
        let a = NewTicket::parse(&input).unwrap();
        let b = NewTicket::parse(&SubmissionInput { email: "ann@example.com ".into(), ..input.clone() }).unwrap();
        let c = NewTicket::parse(&SubmissionInput { subject: "Other".into(), ..input }).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}

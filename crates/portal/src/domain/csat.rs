//! The satisfaction survey's rules: the 1 to 5 rating and the 7-day, one-time
//! link that belongs to one resolution.

use super::ticket::Ticket;

/// How long a Rate Your Experience link works.
pub const CSAT_LINK_TTL_SECS: i64 = 7 * 24 * 3600;

/// Whether the survey of resolution `resolution_id` may be answered on
/// `ticket`: only while the ticket stands resolved (Resolved or Closed) by that
/// very resolution. Once it is reopened, or resolved again, the link has
/// expired, so a rating never lands on an open ticket or on another resolution.
pub fn survey_stands(ticket: &Ticket, resolution_id: &str) -> bool {
    ticket.status.is_resolved() && ticket.resolution.as_ref().is_some_and(|r| r.id == resolution_id)
}

/// A star rating, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stars(u8);

impl Stars {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().parse::<u8>() {
            Ok(n @ 1..=5) => Ok(Self(n)),
            _ => Err("Please choose a rating from 1 to 5 stars.".into()),
        }
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::link_expired;

    #[test]
    fn ratings_are_one_to_five() {
        assert_eq!(Stars::parse("4").unwrap().get(), 4);
        assert_eq!(Stars::parse(" 1 ").unwrap().get(), 1);
        for bad in ["0", "6", "", "4.5", "-1", "five", "255", "256"] {
            assert!(Stars::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_survey_stands_only_for_the_current_resolution_of_a_resolved_ticket() {
        use crate::domain::{Channel, Priority, Resolution, Status, TicketRef, TicketType, WorkspaceSlug};
        let resolution = |id: &str| Resolution { id: id.into(), text: "Fixed".into(), at: 1, by: "Alex".into() };
        let mut ticket = Ticket {
            id: "t".into(),
            workspace: WorkspaceSlug::parse("demo").unwrap(),
            reference: TicketRef::from_number(1).unwrap(),
            name: "Ann".into(),
            email: "ann@example.com".into(),
            email_normalized: "ann@example.com".into(),
            contact_id: "c".into(),
            subject: "Printer".into(),
            description: None,
            ticket_type: TicketType::default(),
            status: Status::Resolved,
            priority: Priority::Medium,
            channel: Channel::Portal,
            assignee: None,
            assignee_name: None,
            created_at: 1,
            updated_at: 1,
            resolution: Some(resolution("r1")),
            rating: None,
            no_auto_reply: false,
        };
        assert!(survey_stands(&ticket, "r1"));
        assert!(!survey_stands(&ticket, "r0"), "an earlier resolution's link");
        ticket.status = Status::Closed;
        assert!(survey_stands(&ticket, "r1"), "closing keeps the resolution");
        for reopened in [Status::Open, Status::InProgress, Status::Waiting] {
            ticket.status = reopened;
            assert!(!survey_stands(&ticket, "r1"), "{reopened}");
        }
        ticket.status = Status::Resolved;
        ticket.resolution = Some(resolution("r2"));
        assert!(!survey_stands(&ticket, "r1") && survey_stands(&ticket, "r2"));
    }

    #[test]
    fn links_expire_after_seven_days() {
        let issued = 1_000_000;
        let expires = issued + CSAT_LINK_TTL_SECS;
        assert!(!link_expired(expires, issued + 7 * 24 * 3600 - 1));
        assert!(link_expired(expires, issued + 7 * 24 * 3600));
    }
}

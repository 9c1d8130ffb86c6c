//! The worker's side of private access: the link a customer asked for, and
//! the private ticket link every customer email carries.
//!
//! An access request names no address in its message; the worker reads the
//! request item, looks the address's tickets up in the contact index, and
//! sends a link only when there are some (and, for a request about one
//! ticket, only when the address is that ticket's). Nobody learns which it was.

use super::effects::{Outcome, WorkError};
use super::Portal;
use crate::aws::AwsError;
use crate::domain::limits::Limit;
use crate::domain::secrets::{constant_time_eq, new_link_token, token_hash};
use crate::domain::{AccessRequested, ContactId, LinkToken, Ticket, TicketRef};
use crate::emails;
use crate::limiter::{Admission, Subject};

impl Portal {
    /// Emails the access link an [`AccessRequested`] message asks for, once,
    /// if the address has tickets here and has not had three links this hour.
    pub async fn handle_access_request(
        &self,
        event: &AccessRequested,
        sent_at: Option<i64>,
    ) -> Result<Outcome, WorkError> {
        let now = self.clock.now_unix();
        let age = sent_at.map(|sent| now - sent).unwrap_or(0);
        let store = &self.store;
        let found = self.announced(age, || store.access_request(&event.id)).await?;
        let Some(request) = found.filter(|r| r.workspace == event.workspace && !r.is_void(now)) else {
            tracing::info!(workspace = %event.workspace, "access request gone or void; nothing sent");
            return Ok(Outcome::Dropped);
        };
        let contact = ContactId::of(&request.email_normalized).into_string();
        let (to, reference) = match request.reference {
            Some(reference) => match self.owners_address(&request.email_normalized, &event.workspace, reference).await?
            {
                Some(to) => (to, Some(reference)),
                None => return Ok(Self::nothing_to_send(event)),
            },
            None if store.contact_has_tickets(&event.workspace, &contact).await? => (request.email.clone(), None),
            None => return Ok(Self::nothing_to_send(event)),
        };
        let workspace = store.get_workspace(&event.workspace).await?.ok_or(WorkError::NotYet)?;
        let brand = self.brand(&workspace);
        self.mail_once_keyed(event.effect_key("access_link_email"), &brand, || async {
            let limit = Limit::access_links_per_address();
            if let Admission::Limited { .. } =
                self.limiter.admit(limit, &Subject::Email(&request.email_normalized)).await?
            {
                tracing::info!(workspace = %event.workspace, "address had its links for this hour; none sent");
                return Ok(None);
            }
            let token = new_link_token();
            let stored = LinkToken::access(event.workspace.clone(), &contact, reference, self.clock.now_unix());
            store.put_link_token(&token_hash(&token), &stored).await?;
            let url = self.links.access_url(&event.workspace, &token, reference);
            Ok(Some(emails::access_link(&to, &url, reference)))
        })
        .await?;
        Ok(Outcome::Done)
    }

    /// The ticket's own address, if `normalized` is it.
    async fn owners_address(
        &self,
        normalized: &str,
        slug: &crate::domain::WorkspaceSlug,
        reference: TicketRef,
    ) -> Result<Option<String>, AwsError> {
        let ticket = self.store.get_ticket(slug, reference).await?;
        Ok(ticket.filter(|t| constant_time_eq(&t.email_normalized, normalized)).map(|t| t.email))
    }

    fn nothing_to_send(event: &AccessRequested) -> Outcome {
        tracing::info!(workspace = %event.workspace, "no ticket of that address; no link sent");
        Outcome::Done
    }

    /// A fresh private link to `ticket` for its customer (14 days, stored
    /// hashed), made inside the email's effect so each email has its own.
    pub(super) async fn new_ticket_link(&self, ticket: &Ticket) -> Result<String, AwsError> {
        let token = new_link_token();
        let now = self.clock.now_unix();
        let stored = LinkToken::ticket_link(ticket.workspace.clone(), &ticket.contact_id, ticket.reference, now);
        self.store.put_link_token(&token_hash(&token), &stored).await?;
        Ok(self.links.ticket_link_url(&ticket.workspace, &token, ticket.reference))
    }
}

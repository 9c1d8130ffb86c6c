//! The reply function: a verified customer adds a public message, verified
//! by the typed email or, with nothing typed, by the session a link started.

use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::access::session_of;
use super::api::ReplyAdded;
use super::origin::refuse_cross_site_form;
use super::pages::{self, Layout, ReplyFormState};
use super::request::{self, client_address};
use super::routes::{Action, Function};
use super::track::{lookup_failure, lookup_failure_page, parse_params};
use super::{layout_of, respond, route_for, unavailable, unrouted, Failure};
use crate::domain::text::human_duration;
use crate::domain::{FieldErrors, IdempotencyKey, MessageBody, ReplyRefused, TicketRef, WorkspaceSlug};
use crate::service::{ReplyError, TypedLookup};
use crate::Portal;

pub async fn handle(portal: &Portal, req: Request) -> Response<Body> {
    let Some((route, params)) = route_for(Function::Reply, &req) else {
        return unrouted(&req);
    };
    if let Some(refused) = refuse_cross_site_form(portal, route, &req) {
        return refused;
    }
    match (route.action, parse_params(&params)) {
        (Action::ReplyPost, Some((slug, reference))) => post_form(portal, &slug, reference, &req).await,
        (Action::ReplyJson, Some((slug, reference))) => post_json(portal, &slug, reference, &req).await,
        (Action::ReplyJson, None) => Failure::NotFound.to_json(),
        _ => Failure::NotFound.to_page(Layout::neutral()),
    }
}

/// A closed or full ticket: 409, with the page's heading.
fn refused_failure(refused: ReplyRefused) -> (Failure, &'static str) {
    let (code, heading) = match refused {
        ReplyRefused::Closed => ("ticket_closed", "This ticket is closed"),
        ReplyRefused::Full => ("ticket_full", "This ticket is full"),
    };
    (Failure::Conflict { code, message: refused.to_string() }, heading)
}

/// Agents kept changing the ticket under the reply: nothing was added.
fn changed() -> Failure {
    Failure::Conflict {
        code: "ticket_changed",
        message: "The ticket changed while your reply was being added, so it was not added. Please send it again."
            .into(),
    }
}

/// What the reply form says over the reply limit, beside the kept message.
fn reply_wait(retry_after_secs: u64) -> String {
    format!(
        "You have sent a lot of replies in a short time, so this one was not sent. Please wait about {} and send it again.",
        human_duration(retry_after_secs)
    )
}

fn conflict() -> Failure {
    Failure::Conflict {
        code: "idempotency_key_reused",
        message: "This request key was already used for a different reply.".into(),
    }
}

async fn post_form(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef, req: &Request) -> Response<Body> {
    let form = match request::form(req) {
        Ok(form) => form,
        Err(failure) => return failure.to_page(Layout::neutral()),
    };
    let email = form.get("email");
    // Nothing typed: the form came from a page opened under a session.
    let session = session_of(req).filter(|_| email.is_empty());
    let raw_message = form.get("message");
    let key = IdempotencyKey::parse(form.get("idempotency_key")).unwrap_or_else(IdempotencyKey::generate);
    let client = client_address(req);
    let message = match MessageBody::parse_required(raw_message, "message") {
        Ok(message) => message,
        Err(problem) => {
            // Show the ticket again with the message kept and the problem beside it.
            let found = match session {
                Some(cookie) => portal.session_ticket(slug, reference, cookie, None).await,
                None => portal.lookup_ticket(TypedLookup { slug, reference, email, client, before: None }).await,
            };
            return match found {
                Ok((workspace, view)) => {
                    let state = ReplyFormState {
                        session: session.is_some(),
                        message: raw_message,
                        message_error: Some(&problem),
                        ..ReplyFormState::typed(email, key.as_str())
                    };
                    respond::html(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        pages::ticket_view(portal.links(), &workspace, &view, state),
                    )
                }
                Err(err) => lookup_failure_page(portal, err, slug, reference, email).await,
            };
        }
    };
    let replied = match session {
        Some(cookie) => portal.reply_in_session(slug, reference, cookie, message, client, Some(&key)).await,
        None => portal.reply_as_customer(slug, reference, email, message, client, Some(&key)).await,
    };
    match replied {
        Ok(receipt) => {
            let next_key = IdempotencyKey::generate();
            let state = ReplyFormState {
                session: session.is_some(),
                notice: Some("Your reply was added to the conversation."),
                ..ReplyFormState::typed(email, next_key.as_str())
            };
            respond::html(StatusCode::OK, pages::ticket_view(portal.links(), &receipt.workspace, &receipt.view, state))
        }
        Err(ReplyError::Lookup(err)) => lookup_failure_page(portal, err, slug, reference, email).await,
        Err(ReplyError::Refused(refused)) => {
            let layout = layout_of(portal, slug).await;
            let (failure, heading) = refused_failure(refused);
            let html = pages::message_page(
                layout.titled(heading),
                heading,
                &failure.message(),
                Some((&portal.links().submit_path(slug), "Submit a new ticket")),
            );
            respond::html(failure.status(), html)
        }
        Err(ReplyError::RateLimited { retry_after_secs, ticket }) => {
            // The ticket again, with the message kept in the form (and the
            // same key, since nothing was added) and the wait beside it.
            let (workspace, view) = *ticket;
            let failure = Failure::RateLimited { retry_after_secs };
            let wait = reply_wait(retry_after_secs);
            let state = ReplyFormState {
                session: session.is_some(),
                message: raw_message,
                message_error: Some(&wait),
                ..ReplyFormState::typed(email, key.as_str())
            };
            let page = respond::html(failure.status(), pages::ticket_view(portal.links(), &workspace, &view, state));
            respond::with_retry_after(page, retry_after_secs)
        }
        Err(ReplyError::IdempotencyConflict) => conflict().to_page(Layout::neutral()),
        Err(ReplyError::Contended(_)) => changed().to_page(layout_of(portal, slug).await),
        Err(err @ ReplyError::IdempotencyRecordVanished) => unavailable(&err).to_page(Layout::neutral()),
    }
}

#[derive(Deserialize)]
struct ReplyJson {
    #[serde(default)]
    email: String,
    #[serde(default)]
    message: String,
}

async fn post_json(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef, req: &Request) -> Response<Body> {
    let body: ReplyJson = match request::json(req) {
        Ok(body) => body,
        Err(failure) => return failure.to_json(),
    };
    let key = match request::header(req, "idempotency-key").map(IdempotencyKey::parse) {
        None => None,
        Some(Some(key)) => Some(key),
        Some(None) => {
            let mut errors = FieldErrors::default();
            errors.add("Idempotency-Key", "Use 8 to 64 letters, digits, '-' or '_'.");
            return Failure::Invalid(errors).to_json();
        }
    };
    let message = match MessageBody::parse_required(&body.message, "message") {
        Ok(message) => message,
        Err(problem) => {
            let mut errors = FieldErrors::default();
            errors.add("message", problem);
            return Failure::Invalid(errors).to_json();
        }
    };
    match portal.reply_as_customer(slug, reference, &body.email, message, client_address(req), key.as_ref()).await {
        Ok(receipt) => respond::json(
            StatusCode::CREATED,
            &ReplyAdded { comment_id: receipt.comment_id, reference, status: receipt.view.ticket.status },
        ),
        Err(ReplyError::Lookup(err)) => lookup_failure(err),
        Err(ReplyError::Refused(refused)) => refused_failure(refused).0.to_json(),
        Err(ReplyError::RateLimited { retry_after_secs, .. }) => Failure::RateLimited { retry_after_secs }.to_json(),
        Err(ReplyError::IdempotencyConflict) => conflict().to_json(),
        Err(ReplyError::Contended(_)) => changed().to_json(),
        Err(err @ ReplyError::IdempotencyRecordVanished) => unavailable(&err).to_json(),
    }
}

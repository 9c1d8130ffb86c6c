//! The track function: the email prompt, the verified ticket view, and its JSON twin;
//! under a session (from a private link) the ticket page opens without the prompt.
//! It also serves the private-access routes ([`super::access`]).
//! An unknown workspace, an unknown ticket and a wrong email get the same answer.

use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::access::{self, session_of};
use super::access_pages;
use super::api::{Sent, TicketView};
use super::origin::refuse_cross_site_form;
use super::pages::{self, Layout, ReplyFormState};
use super::request::{self, client_address};
use super::routes::{Action, Function, Params};
use super::{layout_of, respond, route_for, unavailable, unrouted, Failure};
use crate::domain::paging::BAD_CURSOR;
use crate::domain::{CommentCursor, FieldErrors, IdempotencyKey, TicketRef, WorkspaceSlug};
use crate::service::{LookupError, TypedLookup};
use crate::Portal;

pub async fn handle(portal: &Portal, req: Request) -> Response<Body> {
    let Some((route, params)) = route_for(Function::Track, &req) else {
        return unrouted(&req);
    };
    if let Some(refused) = refuse_cross_site_form(portal, route, &req) {
        return refused;
    }
    if matches!(route.action, Action::AccessPost | Action::AccessJson | Action::AccessLink | Action::AccessLinkJson) {
        return access::handle(portal, route.action, &params, &req).await;
    }
    let parsed = parse_params(&params);
    match (route.action, parsed) {
        (Action::TrackForm, Some((slug, reference))) => prompt(portal, &slug, reference, &req).await,
        (Action::TrackPost, Some((slug, reference))) => post_form(portal, &slug, reference, &req).await,
        (Action::TrackJson, Some((slug, reference))) => post_json(portal, &slug, reference, &req).await,
        (Action::TrackJson, None) => Failure::NotFound.to_json(),
        _ => Failure::NotFound.to_page(Layout::neutral()),
    }
}

/// Slug and reference, or nothing: malformed ones are simply not found.
pub fn parse_params(params: &Params) -> Option<(WorkspaceSlug, TicketRef)> {
    Some((WorkspaceSlug::parse(&params.slug)?, TicketRef::parse(&params.reference)?))
}

/// The ticket page's GET: the ticket under a session of its address (the
/// page `?before=` a message, when paging back), otherwise the email prompt,
/// which never says whether the ticket exists.
async fn prompt(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef, req: &Request) -> Response<Body> {
    if let Some(cookie) = session_of(req) {
        // A malformed cursor is no page: the newest one is shown instead.
        let before = request::query(req, "before").and_then(CommentCursor::parse);
        match portal.session_ticket(slug, reference, cookie, before.as_ref()).await {
            Ok((workspace, view)) => {
                let key = IdempotencyKey::generate();
                let state = ReplyFormState { paged_back: before.is_some(), ..ReplyFormState::signed_in(key.as_str()) };
                return respond::html(StatusCode::OK, pages::ticket_view(portal.links(), &workspace, &view, state));
            }
            Err(LookupError::Unavailable(err)) => return unavailable(&err).to_page(Layout::neutral()),
            // Not this address's ticket (or an old session): the prompt, as for anyone.
            Err(_) => {}
        }
    }
    let layout = match portal.workspace(slug).await {
        Ok(Some(workspace)) => Layout::for_workspace(&workspace, portal.links()),
        Ok(None) => return not_found_page(portal, slug, reference, ""),
        Err(err) => return unavailable(&err).to_page(Layout::neutral()),
    };
    respond::html(StatusCode::OK, pages::track_prompt(layout, portal.links(), slug, reference, "", None))
}

/// The one answer to every failed lookup, in HTML.
pub fn not_found_page(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef, email: &str) -> Response<Body> {
    let links = portal.links();
    let html = pages::track_prompt(Layout::neutral(), links, slug, reference, email, Some(pages::LOOKUP_FAILED));
    respond::html(StatusCode::NOT_FOUND, html)
}

/// How a failed lookup is answered, as a page.
pub async fn lookup_failure_page(
    portal: &Portal,
    err: LookupError,
    slug: &WorkspaceSlug,
    reference: TicketRef,
    email: &str,
) -> Response<Body> {
    match err {
        LookupError::NotFound => not_found_page(portal, slug, reference, email),
        LookupError::RateLimited { retry_after_secs } => {
            Failure::RateLimited { retry_after_secs }.to_page(Layout::neutral())
        }
        LookupError::TooManyAttempts { retry_after_secs } => {
            let page = respond::html(
                StatusCode::TOO_MANY_REQUESTS,
                pages::too_many_attempts(portal.links(), slug, retry_after_secs),
            );
            respond::with_retry_after(page, retry_after_secs)
        }
        LookupError::LinkSent => {
            let layout = layout_of(portal, slug).await;
            respond::html(StatusCode::OK, access_pages::link_sent(layout, portal.links(), slug))
        }
        LookupError::Unavailable(err) => unavailable(&err).to_page(Layout::neutral()),
    }
}

/// How a failed lookup is answered, as JSON.
pub fn lookup_failure(err: LookupError) -> Response<Body> {
    match err {
        LookupError::NotFound => Failure::NotFound.to_json(),
        LookupError::RateLimited { retry_after_secs } | LookupError::TooManyAttempts { retry_after_secs } => {
            Failure::RateLimited { retry_after_secs }.to_json()
        }
        LookupError::LinkSent => respond::json(StatusCode::ACCEPTED, &Sent::new()),
        LookupError::Unavailable(err) => unavailable(&err).to_json(),
    }
}

async fn post_form(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef, req: &Request) -> Response<Body> {
    let form = match request::form(req) {
        Ok(form) => form,
        Err(failure) => return failure.to_page(Layout::neutral()),
    };
    let email = form.get("email");
    // The "Older messages" button posts the cursor with the email; a
    // malformed one (only ever made by hand) shows the newest page.
    let before = CommentCursor::parse(form.get("before"));
    match portal
        .lookup_ticket(TypedLookup { slug, reference, email, client: client_address(req), before: before.as_ref() })
        .await
    {
        Ok((workspace, view)) => {
            let key = IdempotencyKey::generate();
            let state = ReplyFormState { paged_back: before.is_some(), ..ReplyFormState::typed(email, key.as_str()) };
            respond::html(StatusCode::OK, pages::ticket_view(portal.links(), &workspace, &view, state))
        }
        Err(err) => lookup_failure_page(portal, err, slug, reference, email).await,
    }
}

#[derive(Deserialize)]
struct LookupJson {
    #[serde(default)]
    email: String,
    /// `olderCursor` of the page before: answers the page older than it.
    #[serde(default)]
    before: Option<String>,
}

async fn post_json(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef, req: &Request) -> Response<Body> {
    let body: LookupJson = match request::json(req) {
        Ok(body) => body,
        Err(failure) => return failure.to_json(),
    };
    let before = match body.before.as_deref().map(CommentCursor::parse) {
        None => None,
        Some(Some(cursor)) => Some(cursor),
        Some(None) => {
            let mut errors = FieldErrors::default();
            errors.add("before", BAD_CURSOR);
            return Failure::Invalid(errors).to_json();
        }
    };
    match portal
        .lookup_ticket(TypedLookup {
            slug,
            reference,
            email: &body.email,
            client: client_address(req),
            before: before.as_ref(),
        })
        .await
    {
        Ok((_, view)) => respond::json(StatusCode::OK, &TicketView::from(&view)),
        Err(err) => lookup_failure(err),
    }
}

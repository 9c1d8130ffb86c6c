//! The track function: the email prompt, the verified ticket view, and its JSON twin.
//! An unknown workspace, an unknown ticket and a wrong email get the same answer.

use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::api::TicketView;
use super::origin::refuse_cross_site_form;
use super::pages::{self, Layout, ReplyFormState};
use super::request::{self, client_address};
use super::routes::{Action, Function, Params};
use super::{respond, route_for, unavailable, unrouted, Failure};
use crate::domain::{IdempotencyKey, TicketRef, WorkspaceSlug};
use crate::service::LookupError;
use crate::Portal;

pub async fn handle(portal: &Portal, req: Request) -> Response<Body> {
    let Some((route, params)) = route_for(Function::Track, &req) else {
        return unrouted(&req);
    };
    if let Some(refused) = refuse_cross_site_form(portal, route, &req) {
        return refused;
    }
    let parsed = parse_params(&params);
    match (route.action, parsed) {
        (Action::TrackForm, Some((slug, reference))) => prompt(portal, &slug, reference).await,
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

async fn prompt(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef) -> Response<Body> {
    // The prompt never says whether the ticket exists.
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
pub fn lookup_failure_page(
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
        LookupError::Unavailable(err) => unavailable(&err).to_page(Layout::neutral()),
    }
}

/// How a failed lookup is answered, as JSON.
pub fn lookup_failure(err: LookupError) -> Failure {
    match err {
        LookupError::NotFound => Failure::NotFound,
        LookupError::RateLimited { retry_after_secs } | LookupError::TooManyAttempts { retry_after_secs } => {
            Failure::RateLimited { retry_after_secs }
        }
        LookupError::Unavailable(err) => unavailable(&err),
    }
}

async fn post_form(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef, req: &Request) -> Response<Body> {
    let form = match request::form(req) {
        Ok(form) => form,
        Err(failure) => return failure.to_page(Layout::neutral()),
    };
    let email = form.get("email");
    match portal.lookup_ticket(slug, reference, email, client_address(req)).await {
        Ok((workspace, view)) => {
            let key = IdempotencyKey::generate();
            let state =
                ReplyFormState { email, idempotency_key: key.as_str(), message: "", message_error: None, notice: None };
            respond::html(StatusCode::OK, pages::ticket_view(portal.links(), &workspace, &view, state))
        }
        Err(err) => lookup_failure_page(portal, err, slug, reference, email),
    }
}

#[derive(Deserialize)]
struct LookupJson {
    #[serde(default)]
    email: String,
}

async fn post_json(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef, req: &Request) -> Response<Body> {
    let body: LookupJson = match request::json(req) {
        Ok(body) => body,
        Err(failure) => return failure.to_json(),
    };
    match portal.lookup_ticket(slug, reference, &body.email, client_address(req)).await {
        Ok((_, view)) => respond::json(StatusCode::OK, &TicketView::from(&view)),
        Err(err) => lookup_failure(err).to_json(),
    }
}

//! The private-access routes (served by the track function) and the session
//! cookie: "email me a link" (form and JSON), and the access link itself.
//!
//! A request for a link answers the same bytes whatever the address; a link
//! that has expired, was forged or is malformed shows one "link expired" page
//! with the form to ask for a new one.

use cookie::{Cookie, SameSite};
use http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::access_pages::{self, LINK_EXPIRED};
use super::api::{AccessTickets, Sent};
use super::pages::{self, Layout, ReplyFormState};
use super::request::{self, client_address};
use super::routes::{Action, Params};
use super::{layout_of, respond, unavailable, Failure};
use crate::domain::access::{SESSION_COOKIE, SESSION_TTL_SECS};
use crate::domain::secrets::is_well_formed_token;
use crate::domain::{EmailAddress, FieldErrors, IdempotencyKey, TicketRef, WorkspaceSlug};
use crate::service::{AccessError, Opened};
use crate::Portal;

/// Handles the access routes of the track function.
pub async fn handle(portal: &Portal, action: Action, params: &Params, req: &Request) -> Response<Body> {
    let slug = WorkspaceSlug::parse(&params.slug);
    match (action, slug) {
        (Action::AccessPost, Some(slug)) => post_form(portal, &slug, req).await,
        (Action::AccessJson, Some(slug)) => post_json(portal, &slug, req).await,
        (Action::AccessLink, Some(slug)) => open_link(portal, &slug, &params.token, req).await,
        (Action::AccessLinkJson, Some(slug)) => link_json(portal, &slug, &params.token).await,
        (Action::AccessJson, None) => Failure::NotFound.to_json(),
        (Action::AccessLinkJson, None) => Failure::AccessLinkExpired.to_json(),
        (Action::AccessLink, None) => Failure::AccessLinkExpired.to_page(Layout::neutral()),
        _ => Failure::NotFound.to_page(Layout::neutral()),
    }
}

/// The session cookie a request carries, if it has a well-formed one.
pub fn session_of(req: &Request) -> Option<&str> {
    request::cookie(req, SESSION_COOKIE, is_well_formed_token)
}

/// Starts the session `value` in the browser: only for this workspace's
/// pages, never readable by script, sent on same-site navigations only,
/// and only over https when the portal is served so.
fn with_session(mut response: Response<Body>, portal: &Portal, slug: &WorkspaceSlug, value: &str) -> Response<Body> {
    let links = portal.links();
    let cookie = Cookie::build((SESSION_COOKIE, value))
        .path(links.session_cookie_path(slug))
        .max_age(cookie::time::Duration::seconds(SESSION_TTL_SECS))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(links.is_https())
        .build();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The one answer to an expired, forged or malformed link, as a page.
async fn expired_page(portal: &Portal, slug: &WorkspaceSlug) -> Response<Body> {
    let layout = layout_of(portal, slug).await;
    let message = access_pages::link_expired_message();
    let page = access_pages::access_form(layout, portal.links(), slug, LINK_EXPIRED, &message, "", None);
    respond::html(StatusCode::GONE, page)
}

async fn post_form(portal: &Portal, slug: &WorkspaceSlug, req: &Request) -> Response<Body> {
    let form = match request::form(req) {
        Ok(form) => form,
        Err(failure) => return failure.to_page(Layout::neutral()),
    };
    let typed = form.get("email");
    let address = match EmailAddress::parse(typed) {
        Ok(address) => address,
        Err(problem) => {
            let layout = layout_of(portal, slug).await;
            let page = access_pages::access_form(
                layout,
                portal.links(),
                slug,
                "Get a link to your tickets",
                "Please check the address.",
                typed,
                Some(&problem),
            );
            return respond::html(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    match portal.request_access(slug, &address, client_address(req)).await {
        Ok(workspace) => {
            let layout = Layout::for_workspace(&workspace, portal.links());
            respond::html(StatusCode::OK, access_pages::access_sent(layout, portal.links(), slug))
        }
        Err(AccessError::UnknownWorkspace | AccessError::Expired) => Failure::NotFound.to_page(Layout::neutral()),
        Err(AccessError::Unavailable(err)) => unavailable(&err).to_page(Layout::neutral()),
    }
}

#[derive(Deserialize)]
struct AccessJson {
    #[serde(default)]
    email: String,
}

async fn post_json(portal: &Portal, slug: &WorkspaceSlug, req: &Request) -> Response<Body> {
    let body: AccessJson = match request::json(req) {
        Ok(body) => body,
        Err(failure) => return failure.to_json(),
    };
    let address = match EmailAddress::parse(&body.email) {
        Ok(address) => address,
        Err(problem) => {
            let mut errors = FieldErrors::default();
            errors.add("email", problem);
            return Failure::Invalid(errors).to_json();
        }
    };
    match portal.request_access(slug, &address, client_address(req)).await {
        Ok(_) => respond::json(StatusCode::ACCEPTED, &Sent::new()),
        Err(AccessError::UnknownWorkspace | AccessError::Expired) => Failure::NotFound.to_json(),
        Err(AccessError::Unavailable(err)) => unavailable(&err).to_json(),
    }
}

async fn open_link(portal: &Portal, slug: &WorkspaceSlug, token: &str, req: &Request) -> Response<Body> {
    // A malformed `ticket` opens My tickets, like another address's ticket.
    let ticket = request::query(req, "ticket").and_then(TicketRef::parse);
    let granted = match portal.open_access_link(slug, token, ticket).await {
        Ok(granted) => granted,
        Err(AccessError::Expired | AccessError::UnknownWorkspace) => return expired_page(portal, slug).await,
        Err(AccessError::Unavailable(err)) => return unavailable(&err).to_page(Layout::neutral()),
    };
    let links = portal.links();
    let page = match &granted.opened {
        Opened::MyTickets(tickets) => access_pages::my_tickets(links, &granted.workspace, tickets),
        Opened::Ticket(view) => {
            let key = IdempotencyKey::generate();
            pages::ticket_view(links, &granted.workspace, view, ReplyFormState::signed_in(key.as_str()))
        }
    };
    with_session(respond::html(StatusCode::OK, page), portal, slug, &granted.session)
}

async fn link_json(portal: &Portal, slug: &WorkspaceSlug, token: &str) -> Response<Body> {
    match portal.access_link_tickets(slug, token).await {
        Ok((_, tickets)) => respond::json(StatusCode::OK, &AccessTickets::new(portal.links(), slug, &tickets)),
        Err(AccessError::Expired | AccessError::UnknownWorkspace) => Failure::AccessLinkExpired.to_json(),
        Err(AccessError::Unavailable(err)) => unavailable(&err).to_json(),
    }
}

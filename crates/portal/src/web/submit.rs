//! The submit function: the form, its POST, and the JSON twin.

use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::api::{Received, SubmitReceipt};
use super::origin::{allow_origin, refuse_cross_site_form, request_origin, under_cors, vary_origin};
use super::pages::{self, Layout};
use super::request::{self, client_address};
use super::routes::{Action, Function};
use super::{known_workspace, layout_of, respond, route_for, unavailable, unrouted, widget, Failure};
use crate::domain::{FieldErrors, IdempotencyKey, NewTicket, SubmissionInput, Workspace, WorkspaceSlug};
use crate::service::{Receipt, SubmitError};
use crate::Portal;

/// Form field that people never see and bots fill in.
const HONEYPOT: &str = "website";

pub async fn handle(portal: &Portal, req: Request) -> Response<Body> {
    let Some((route, params)) = route_for(Function::Submit, &req) else {
        return unrouted(&req);
    };
    if let Some(refused) = refuse_cross_site_form(portal, route, &req) {
        return refused;
    }
    let slug = WorkspaceSlug::parse(&params.slug);
    match (route.action, slug) {
        (Action::SubmitForm, Some(slug)) => show_form(portal, &slug).await,
        (Action::SubmitPost, Some(slug)) => post_form(portal, &slug, &req).await,
        (Action::SubmitJson, Some(slug)) => post_json(portal, &slug, &req).await,
        (Action::SubmitPreflight, Some(slug)) => widget::preflight(portal, &slug, &req).await,
        (Action::WidgetScript, Some(slug)) => widget::script(portal, &slug, &req).await,
        (Action::WidgetConfig, Some(slug)) => widget::config(portal, &slug, &req).await,
        (Action::Logo, Some(slug)) => widget::logo(portal, &slug, &req).await,
        (Action::SubmitJson | Action::SubmitPreflight | Action::WidgetConfig, None) => Failure::NotFound.to_json(),
        _ => Failure::NotFound.to_page(Layout::neutral()),
    }
}

async fn show_form(portal: &Portal, slug: &WorkspaceSlug) -> Response<Body> {
    match known_workspace(portal, slug).await {
        Ok(workspace) => {
            let key = IdempotencyKey::generate();
            let html = pages::submit_form(
                portal.links(),
                &workspace,
                &SubmissionInput::default(),
                &FieldErrors::default(),
                None,
                key.as_str(),
            );
            respond::html(StatusCode::OK, html)
        }
        Err(failure) => failure.to_page(Layout::neutral()),
    }
}

async fn post_form(portal: &Portal, slug: &WorkspaceSlug, req: &Request) -> Response<Body> {
    let form = match request::form(req) {
        Ok(form) => form,
        Err(failure) => return failure.to_page(Layout::neutral()),
    };
    let input = submission_from_form(&form);
    // Keep the form instance's key through error round trips, so a double
    // submit after fixing a typo still makes one ticket.
    let key = IdempotencyKey::parse(form.get("idempotency_key")).unwrap_or_else(IdempotencyKey::generate);
    let show_again = |workspace: &Workspace, status: StatusCode, errors: &FieldErrors, general: Option<&str>| {
        respond::html(status, pages::submit_form(portal.links(), workspace, &input, errors, general, key.as_str()))
    };

    if !form.get(HONEYPOT).is_empty() {
        return honeypot_page(portal, slug).await;
    }
    let ticket = match NewTicket::parse(&input) {
        Ok(ticket) => ticket,
        Err(errors) => {
            return match known_workspace(portal, slug).await {
                Ok(workspace) => show_again(&workspace, StatusCode::UNPROCESSABLE_ENTITY, &errors, None),
                Err(failure) => failure.to_page(Layout::neutral()),
            };
        }
    };
    match portal.submit_ticket(slug, ticket, client_address(req), Some(&key)).await {
        Ok(receipt) => {
            respond::html(StatusCode::OK, pages::submit_done(portal.links(), &receipt.workspace, receipt.reference))
        }
        Err(SubmitError::Unavailable(err)) => {
            let failure = unavailable(&err);
            match portal.workspace(slug).await {
                Ok(Some(workspace)) => {
                    show_again(&workspace, failure.status(), &FieldErrors::default(), Some(&failure.message()))
                }
                _ => failure.to_page(Layout::neutral()),
            }
        }
        Err(other) => {
            let failure = submit_failure(other);
            failure.to_page(layout_of(portal, slug).await)
        }
    }
}

/// Bots get a plausible thank-you and nothing else: no ticket, no number, no email.
async fn honeypot_page(portal: &Portal, slug: &WorkspaceSlug) -> Response<Body> {
    tracing::info!(workspace = %slug, "honeypot filled; submission dropped");
    let layout = layout_of(portal, slug).await.titled("Thank you");
    let html = pages::message_page(layout, "Thank you", "We received your request.", None);
    respond::html(StatusCode::OK, html)
}

fn submit_failure(err: SubmitError) -> Failure {
    match err {
        SubmitError::UnknownWorkspace => Failure::NotFound,
        SubmitError::RateLimited { retry_after_secs } => Failure::RateLimited { retry_after_secs },
        SubmitError::OriginNotAllowed => Failure::OriginNotAllowed,
        SubmitError::IdempotencyConflict => Failure::Conflict {
            code: "idempotency_key_reused",
            message:
                "This request key was already used for a different submission. Please reload the form and try again."
                    .into(),
        },
        SubmitError::Unavailable(err) => unavailable(&err),
        err @ (SubmitError::IdempotencyRecordVanished | SubmitError::InProgress) => unavailable(&err),
    }
}

/// The submission the form's fields describe (public so the fuzz targets run this very mapping).
pub fn submission_from_form(form: &request::Form) -> SubmissionInput {
    SubmissionInput {
        name: form.get("name").into(),
        email: form.get("email").into(),
        subject: form.get("subject").into(),
        description: form.get("description").into(),
        ticket_type: form.get("type").into(),
    }
}

/// The JSON submission body (public so the fuzz targets read bodies with it).
#[derive(Debug, Deserialize)]
pub struct SubmitJson {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "type")]
    ticket_type: Option<String>,
    /// The widget's honeypot.
    #[serde(default)]
    website: Option<String>,
}

impl SubmitJson {
    /// A bot filled the field people never see.
    pub fn honeypot_filled(&self) -> bool {
        self.website.as_deref().is_some_and(|w| !w.is_empty())
    }

    pub fn into_input(self) -> SubmissionInput {
        SubmissionInput {
            name: self.name,
            email: self.email,
            subject: self.subject,
            description: self.description.unwrap_or_default(),
            ticket_type: self.ticket_type.unwrap_or_default(),
        }
    }
}

async fn post_json(portal: &Portal, slug: &WorkspaceSlug, req: &Request) -> Response<Body> {
    let body: SubmitJson = match request::json(req) {
        Ok(body) => body,
        Err(failure) => return failure.to_json(),
    };
    let key = match request::header(req, "idempotency-key") {
        None => None,
        Some(raw) => match IdempotencyKey::parse(raw) {
            Some(key) => Some(key),
            None => {
                let mut errors = FieldErrors::default();
                errors.add("Idempotency-Key", "Use 8 to 64 letters, digits, '-' or '_'.");
                return Failure::Invalid(errors).to_json();
            }
        },
    };
    // From another site (the widget): the answer is readable there only if
    // the workspace allows that site, and a site it does not allow is refused.
    let origin = request_origin(portal, req);
    if body.honeypot_filled() {
        tracing::info!(workspace = %slug, "honeypot filled; submission dropped");
        let received = respond::json(StatusCode::ACCEPTED, &Received::new());
        if origin.foreign().is_none() {
            return received;
        }
        return match known_workspace(portal, slug).await {
            Ok(workspace) => under_cors(received, origin.cors(&workspace.widget_origins)),
            Err(failure) => vary_origin(failure.to_json()),
        };
    }
    let input = body.into_input();
    let ticket = match NewTicket::parse(&input) {
        Ok(ticket) => ticket,
        Err(errors) => {
            // An unknown workspace answers 404 before field problems.
            return match known_workspace(portal, slug).await {
                Ok(workspace) => under_cors(Failure::Invalid(errors).to_json(), origin.cors(&workspace.widget_origins)),
                Err(failure) => failure.to_json(),
            };
        }
    };
    let (response, origin_checked) =
        match portal.submit_ticket_from(slug, ticket, client_address(req), key.as_ref(), &origin).await {
            Ok(receipt) => (respond::json(StatusCode::CREATED, &receipt_json(portal, &receipt)), true),
            // These come after the origin check passed.
            Err(err @ (SubmitError::RateLimited { .. } | SubmitError::IdempotencyConflict)) => {
                (submit_failure(err).to_json(), true)
            }
            Err(err) => (submit_failure(err).to_json(), false),
        };
    // Past the service's origin check, another site is one the workspace allows.
    match origin.foreign() {
        Some(allowed) if origin_checked => allow_origin(response, allowed),
        Some(_) => vary_origin(response),
        None => response,
    }
}

fn receipt_json(portal: &Portal, receipt: &Receipt) -> SubmitReceipt {
    SubmitReceipt {
        id: receipt.ticket_id.clone(),
        reference: receipt.reference,
        status: receipt.status,
        tracking_url: portal.links().tracking_url(&receipt.workspace.slug, receipt.reference),
    }
}

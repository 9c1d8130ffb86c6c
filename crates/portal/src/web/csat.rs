//! The csat function: the Rate Your Experience survey and its JSON twin.
//! Reading never uses the link; the first valid answer does.

use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::api::{RatingRecorded, SurveyState};
use super::origin::refuse_cross_site_form;
use super::pages::{self, Layout};
use super::request;
use super::routes::{Action, Function};
use super::{respond, route_for, unavailable, unrouted, Failure};
use crate::domain::csat::Stars;
use crate::domain::time::rfc3339;
use crate::domain::{FieldErrors, MessageBody, WorkspaceSlug};
use crate::service::{Survey, SurveyError};
use crate::Portal;

pub async fn handle(portal: &Portal, req: Request) -> Response<Body> {
    let Some((route, params)) = route_for(Function::Csat, &req) else {
        return unrouted(&req);
    };
    if let Some(refused) = refuse_cross_site_form(portal, route, &req) {
        return refused;
    }
    let Some(slug) = WorkspaceSlug::parse(&params.slug) else {
        return if route.action == Action::CsatJson || route.action == Action::CsatJsonGet {
            Failure::Expired.to_json()
        } else {
            Failure::Expired.to_page(Layout::neutral())
        };
    };
    let token = params.token.as_str();
    match route.action {
        Action::CsatForm => show(portal, &slug, token).await,
        Action::CsatPost => post_form(portal, &slug, token, &req).await,
        Action::CsatJsonGet => get_json(portal, &slug, token).await,
        _ => post_json(portal, &slug, token, &req).await,
    }
}

fn already_rated() -> Failure {
    Failure::Conflict {
        code: "already_rated",
        message: "Thank you, this ticket has been rated already. Each survey link can be used once.".into(),
    }
}

fn survey_failure(portal: &Portal, err: SurveyError) -> (Failure, Layout) {
    match err {
        SurveyError::Expired => (Failure::Expired, Layout::neutral()),
        SurveyError::AlreadyRated { workspace } => (already_rated(), Layout::for_workspace(&workspace, portal.links())),
        SurveyError::Unavailable(err) => (unavailable(&err), Layout::neutral()),
    }
}

fn failure_page(portal: &Portal, err: SurveyError) -> Response<Body> {
    let (failure, layout) = survey_failure(portal, err);
    failure.to_page(layout)
}

async fn show(portal: &Portal, slug: &WorkspaceSlug, token: &str) -> Response<Body> {
    match portal.survey(slug, token).await {
        Ok(Survey::Open { workspace, reference, .. }) => {
            let html = pages::csat_form(portal.links(), &workspace, reference, token, "", "", &FieldErrors::default());
            respond::html(StatusCode::OK, html)
        }
        Ok(Survey::Rated { workspace, .. }) => failure_page(portal, SurveyError::AlreadyRated { workspace }),
        Err(err) => failure_page(portal, err),
    }
}

/// The rating and comment, each checked, with every problem collected.
fn parse_answer(rating: &str, comment: &str) -> Result<(Stars, Option<MessageBody>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let stars = errors.check("rating", Stars::parse(rating));
    let comment = errors.check("comment", MessageBody::parse_comment(comment));
    match (stars, comment) {
        (Some(stars), Some(comment)) => Ok((stars, comment)),
        _ => Err(errors),
    }
}

async fn post_form(portal: &Portal, slug: &WorkspaceSlug, token: &str, req: &Request) -> Response<Body> {
    let form = match request::form(req) {
        Ok(form) => form,
        Err(failure) => return failure.to_page(Layout::neutral()),
    };
    let (rating, comment) = (form.get("rating"), form.get("comment"));
    let (stars, comment_body) = match parse_answer(rating, comment) {
        Ok(answer) => answer,
        Err(errors) => {
            return match portal.survey(slug, token).await {
                Ok(Survey::Open { workspace, reference, .. }) => respond::html(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    pages::csat_form(portal.links(), &workspace, reference, token, rating, comment, &errors),
                ),
                Ok(Survey::Rated { workspace, .. }) => failure_page(portal, SurveyError::AlreadyRated { workspace }),
                Err(err) => failure_page(portal, err),
            };
        }
    };
    match portal.rate(slug, token, stars, comment_body).await {
        Ok((workspace, reference, rating)) => {
            let message = format!(
                "You rated {reference} {} out of 5. Your feedback goes straight to the team that helped you.",
                rating.stars
            );
            let html = pages::message_page(
                Layout::for_workspace(&workspace, portal.links()).titled("Thank you"),
                "Thank you for your feedback",
                &message,
                Some((&portal.links().submit_path(slug), "Submit a new ticket")),
            );
            respond::html(StatusCode::OK, html)
        }
        Err(err) => failure_page(portal, err),
    }
}

async fn get_json(portal: &Portal, slug: &WorkspaceSlug, token: &str) -> Response<Body> {
    match portal.survey(slug, token).await {
        Ok(Survey::Open { reference, token: stored, .. }) => {
            respond::json(StatusCode::OK, &SurveyState::open(reference, stored.expires_at))
        }
        Ok(Survey::Rated { .. }) => already_rated().to_json(),
        Err(err) => survey_failure(portal, err).0.to_json(),
    }
}

#[derive(Deserialize)]
struct RatingJson {
    #[serde(default)]
    rating: serde_json::Value,
    #[serde(default)]
    comment: Option<String>,
}

async fn post_json(portal: &Portal, slug: &WorkspaceSlug, token: &str, req: &Request) -> Response<Body> {
    let body: RatingJson = match request::json(req) {
        Ok(body) => body,
        Err(failure) => return failure.to_json(),
    };
    // Accept 4 and "4"; anything else is a rating problem, reported per field.
    let rating = match &body.rating {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let (stars, comment) = match parse_answer(&rating, body.comment.as_deref().unwrap_or("")) {
        Ok(answer) => answer,
        Err(errors) => return Failure::Invalid(errors).to_json(),
    };
    match portal.rate(slug, token, stars, comment).await {
        Ok((_, reference, rating)) => respond::json(
            StatusCode::CREATED,
            &RatingRecorded { comment: rating.comment, rated_at: rfc3339(rating.at), rating: rating.stars, reference },
        ),
        Err(err) => survey_failure(portal, err).0.to_json(),
    }
}

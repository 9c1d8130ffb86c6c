//! Every way a request can fail, and the one place that maps each to an HTTP
//! status, a JSON error body and a friendly page.

use http::StatusCode;
use lambda_http::{Body, Response};

use super::access_pages::{link_expired_message, LINK_EXPIRED};
use super::api::ErrorBody;
use super::pages::{self, Layout};
use super::respond;
use crate::domain::csat::CSAT_LINK_TTL_SECS;
use crate::domain::text::human_duration;
use crate::domain::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The body could not be read as the form or JSON it should be.
    Malformed(String),
    /// Unknown workspace, unknown ticket, or ticket and email not matching: one answer for all.
    NotFound,
    MethodNotAllowed,
    /// A cross-origin request from a site the workspace does not allow to embed its widget.
    OriginNotAllowed,
    /// An HTML form posted from another site's page.
    CrossSite,
    /// The request conflicts with the ticket's state (already rated, closed...).
    Conflict {
        code: &'static str,
        message: String,
    },
    /// The link has expired (or never existed: one answer for both).
    Expired,
    /// An access or ticket link that has expired, or never existed.
    AccessLinkExpired,
    TooLarge {
        limit_bytes: usize,
    },
    UnsupportedMediaType {
        expected: &'static str,
    },
    Invalid(FieldErrors),
    RateLimited {
        retry_after_secs: u64,
    },
    /// A dependency failed; the same request can be retried.
    Unavailable,
}

impl Failure {
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::Malformed(_) => StatusCode::BAD_REQUEST,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Failure::OriginNotAllowed | Failure::CrossSite => StatusCode::FORBIDDEN,
            Failure::Conflict { .. } => StatusCode::CONFLICT,
            Failure::Expired | Failure::AccessLinkExpired => StatusCode::GONE,
            Failure::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Failure::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Failure::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Failure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Failure::Malformed(_) => "malformed_request",
            Failure::NotFound => "not_found",
            Failure::MethodNotAllowed => "method_not_allowed",
            Failure::OriginNotAllowed => "origin_not_allowed",
            Failure::CrossSite => "cross_site_request",
            Failure::Conflict { code, .. } => code,
            Failure::Expired | Failure::AccessLinkExpired => "link_expired",
            Failure::TooLarge { .. } => "body_too_large",
            Failure::UnsupportedMediaType { .. } => "unsupported_media_type",
            Failure::Invalid(_) => "validation_failed",
            Failure::RateLimited { .. } => "rate_limited",
            Failure::Unavailable => "temporarily_unavailable",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Failure::Malformed(_) => "We could not read that request",
            Failure::NotFound => "Not found",
            Failure::MethodNotAllowed => "Not allowed",
            Failure::OriginNotAllowed => "Not allowed",
            Failure::CrossSite => "This form was sent from another site",
            Failure::Conflict { .. } => "That cannot be done",
            Failure::Expired | Failure::AccessLinkExpired => LINK_EXPIRED,
            Failure::TooLarge { .. } => "That was too much text",
            Failure::UnsupportedMediaType { .. } => "We could not read that request",
            Failure::Invalid(_) => "Please check the form",
            Failure::RateLimited { .. } => "Please try again later",
            Failure::Unavailable => "Something went wrong on our side",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Malformed(detail) => format!("The request could not be read: {detail}"),
            Failure::NotFound => "We could not find that page. If you followed a ticket link, check the reference and the email address you used.".into(),
            Failure::MethodNotAllowed => "This address does not accept that kind of request.".into(),
            Failure::OriginNotAllowed => "This site may not use this workspace's support widget. The workspace's operator can allow it with `portalctl workspace update SLUG --widget-origin ORIGIN`.".into(),
            Failure::CrossSite => "For your safety, our forms only work from this support portal's own pages, and this one was sent from another website. Nothing was sent or saved. Please open the form on the portal and try again.".into(),
            Failure::Conflict { message, .. } => message.clone(),
            Failure::Expired => format!(
                "This link is no longer valid. Links in our emails work for {} and can be used once.",
                human_duration(CSAT_LINK_TTL_SECS.unsigned_abs())
            ),
            Failure::AccessLinkExpired => link_expired_message(),
            Failure::TooLarge { limit_bytes } => format!("The request is larger than {} KB. Please shorten your message.", limit_bytes / 1024),
            Failure::UnsupportedMediaType { expected } => format!("Please send the request as {expected}."),
            Failure::Invalid(_) => "Some fields need your attention.".into(),
            Failure::RateLimited { retry_after_secs } => format!(
                "You have sent a lot of requests in a short time. Please wait about {} and try again.",
                human_duration(*retry_after_secs)
            ),
            Failure::Unavailable => "We could not complete your request just now. Nothing was lost: please try again in a moment.".into(),
        }
    }

    /// `{"error", "message", "fields"}` with the right status.
    pub fn to_json(&self) -> Response<Body> {
        let fields = match self {
            Failure::Invalid(errors) => errors.iter().map(|(f, p)| (f.to_owned(), p.to_owned())).collect(),
            _ => Default::default(),
        };
        let body = ErrorBody { error: self.code().into(), fields, message: self.message() };
        self.with_retry_after(respond::json(self.status(), &body))
    }

    /// A friendly page in the workspace's frame (or a neutral one).
    pub fn to_page(&self, layout: Layout) -> Response<Body> {
        let html = pages::message_page(layout.titled(self.title()), self.title(), &self.message(), None);
        self.with_retry_after(respond::html(self.status(), html))
    }

    fn with_retry_after(&self, response: Response<Body>) -> Response<Body> {
        match self {
            Failure::RateLimited { retry_after_secs } => respond::with_retry_after(response, *retry_after_secs),
            _ => response,
        }
    }
}

//! The HTTP edge: API Gateway requests in, pages and JSON out. One `handle`
//! per Lambda function; each turns a request into a use-case call and renders.

pub mod access;
pub mod access_pages;
pub mod api;
pub mod csat;
pub mod failure;
pub mod layout;
pub mod origin;
pub mod pages;
pub mod reply;
pub mod request;
pub mod respond;
pub mod routes;
pub mod submit;
pub mod track;
pub mod widget;

use lambda_http::{Body, Request, Response};

use crate::domain::{Workspace, WorkspaceSlug};

pub use failure::Failure;
use pages::Layout;
use routes::{Function, Params, Route};

/// Hands a request to the handler of `function`: what each Lambda runs, and
/// what the dev server calls for the function owning a route.
pub async fn handle(function: Function, portal: &crate::Portal, req: Request) -> Response<Body> {
    match function {
        Function::Submit => submit::handle(portal, req).await,
        Function::Track => track::handle(portal, req).await,
        Function::Reply => reply::handle(portal, req).await,
        Function::Csat => csat::handle(portal, req).await,
    }
}

/// How a route answers failures: HTML routes with pages, `/api` routes with JSON.
pub fn is_api(route: &Route) -> bool {
    route.path.starts_with("/api/")
}

/// The route of `req`, if `function` serves it.
pub fn route_for(function: Function, req: &Request) -> Option<(&'static Route, Params)> {
    routes::resolve(req.method(), req.uri().path()).filter(|(route, _)| route.function == function)
}

/// The answer for a request that reached a function none of whose routes match.
pub fn unrouted(req: &Request) -> Response<Body> {
    let path = req.uri().path();
    let failure = if routes::path_exists(path) { Failure::MethodNotAllowed } else { Failure::NotFound };
    if path.starts_with("/api/") {
        failure.to_json()
    } else {
        failure.to_page(Layout::neutral())
    }
}

/// The workspace `slug`, or the failure to answer with (404 when unknown).
pub(crate) async fn known_workspace(portal: &crate::Portal, slug: &WorkspaceSlug) -> Result<Workspace, Failure> {
    match portal.workspace(slug).await {
        Ok(Some(workspace)) => Ok(workspace),
        Ok(None) => Err(Failure::NotFound),
        Err(err) => Err(unavailable(&err)),
    }
}

/// The frame of a page about `slug`: the workspace's branding, or the
/// neutral frame when it is unknown or cannot be read.
pub(crate) async fn layout_of(portal: &crate::Portal, slug: &WorkspaceSlug) -> Layout {
    match portal.workspace(slug).await {
        Ok(Some(workspace)) => Layout::for_workspace(&workspace, portal.links()),
        _ => Layout::neutral(),
    }
}

/// Logs a dependency failure (without personal data) and answers 503.
pub fn unavailable(err: &dyn std::error::Error) -> Failure {
    tracing::error!(error = %err, "dependency failed");
    Failure::Unavailable
}

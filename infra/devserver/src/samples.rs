//! The sample events in `events/` and what each must answer, in the order they
//! run against a freshly seeded `demo` workspace (the submit samples make
//! TKT-0001 for ann@example.com; the survey samples use a token, and the logo
//! sample a logo, stored first by [`prepare`]).
//! Shared by the in-process events test and the release-binary smoke test.

use std::path::{Path, PathBuf};

use portal::domain::secrets::token_hash;
use portal::domain::time::now_unix;
use portal::domain::ContactId;
use portal::domain::{LinkToken, Logo, Resolution, Status, TicketRef, WorkspaceSlug};
use portal::store::{StatusChange, Store};

use crate::seed::SeedError;

/// HTTP samples and their expected status, in running order.
pub const HTTP_SAMPLES: &[(&str, u16)] = &[
    ("submit-form-get.json", 200),
    ("submit-form-post.json", 200),
    ("submit-api-post.json", 201),
    ("submit-api-preflight.json", 204),
    ("submit-widget-script.json", 200),
    ("submit-widget-config.json", 200),
    ("submit-logo-get.json", 200),
    ("track-form-get.json", 200),
    ("track-form-post.json", 200),
    ("track-api-lookup.json", 200),
    ("track-access-form-post.json", 200),
    ("track-access-api-post.json", 202),
    ("track-access-link-get.json", 200),
    ("track-access-api-get.json", 200),
    ("reply-form-post.json", 200),
    ("reply-api-post.json", 201),
    ("csat-form-get.json", 200),
    ("csat-api-get.json", 200),
    ("csat-form-post.json", 200),
    ("csat-api-post.json", 409),
];

/// SQS samples for the assign-worker. They name no stored write and are old,
/// so the worker drops them without failing (see docs/EVENTS.md).
pub const WORKER_SAMPLES: &[&str] = &[
    "worker-access-requested.json",
    "worker-agent-replied.json",
    "worker-customer-replied.json",
    "worker-ticket-created.json",
    "worker-ticket-resolved.json",
];

/// The access-link token the access samples carry (ann@example.com's tickets).
pub const SAMPLE_ACCESS_TOKEN: &str = "9b3e7a1c5d2f4e6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a";

/// The EventBridge schedule's event for the outbox sweeper (which reads nothing in it).
pub const SWEEPER_SAMPLES: &[&str] = &["outbox-sweeper-schedule.json"];

/// The survey token the csat samples carry.
pub const SAMPLE_SURVEY_TOKEN: &str = "5f1c9d2e8a7b4c3d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";

pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

pub fn load(name: &str) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(events_dir().join(name)).map_err(|e| format!("{name}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))
}

/// A small SVG logo for the logo sample.
pub const SAMPLE_LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><title>Demo</title><rect width="32" height="32" rx="6" fill="#1d4ed8"/><path d="M9 16l5 5 9-10" stroke="#fff" stroke-width="3" fill="none"/></svg>"##;

/// What the samples expect to find besides the seeded `demo` workspace.
pub async fn prepare(store: &Store) -> Result<(), SeedError> {
    store_sample_survey_token(store).await?;
    store_sample_access_token(store).await?;
    store_sample_logo(store).await
}

/// Gives `demo` the sample logo, as `portalctl workspace update demo --logo` would.
pub async fn store_sample_logo(store: &Store) -> Result<(), SeedError> {
    let slug = WorkspaceSlug::parse("demo").ok_or("bad demo slug")?;
    let logo = Logo::parse(SAMPLE_LOGO_SVG.as_bytes().to_vec())?;
    let mut workspace = store.get_workspace(&slug).await?.ok_or("demo is not seeded")?;
    store.put_logo(&slug, &logo).await?;
    workspace.logo = Some(logo.reference());
    Ok(store.save_workspace(&workspace).await?)
}

/// Stores the access token the access-link samples use, as the worker would have.
pub async fn store_sample_access_token(store: &Store) -> Result<(), SeedError> {
    let workspace = WorkspaceSlug::parse("demo").ok_or("bad demo slug")?;
    let stored = LinkToken::access(workspace, ContactId::of("ann@example.com").as_str(), None, now_unix());
    Ok(store.put_link_token(&token_hash(SAMPLE_ACCESS_TOKEN), &stored).await?)
}

/// The resolution the sample survey token belongs to.
const SAMPLE_RESOLUTION_ID: &str = "01JSAMPLERESOLUTION000000";
/// The first sample that needs TKT-0001 resolved by that resolution.
const FIRST_SURVEY_SAMPLE: &str = "csat-form-get.json";

fn sample_ticket() -> Result<(WorkspaceSlug, TicketRef), SeedError> {
    match (WorkspaceSlug::parse("demo"), TicketRef::from_number(1)) {
        (Some(workspace), Some(reference)) => Ok((workspace, reference)),
        _ => Err("bad sample constants".into()),
    }
}

/// What the flow before `sample` would have done, done just before it runs:
/// the survey samples rate TKT-0001, which the reply samples reopened, so it
/// is resolved again by the sample survey's resolution (as `portalctl ticket
/// resolve` would, without the email).
pub async fn before(store: &Store, sample: &str) -> Result<(), SeedError> {
    if sample != FIRST_SURVEY_SAMPLE {
        return Ok(());
    }
    let (workspace, reference) = sample_ticket()?;
    let ticket = store.get_ticket(&workspace, reference).await?.ok_or("the submit samples made no TKT-0001")?;
    let resolution = Resolution {
        id: SAMPLE_RESOLUTION_ID.into(),
        text: "Sample resolution".into(),
        at: now_unix(),
        by: "Alex".into(),
    };
    let change = StatusChange { expected: ticket.status, next: Status::Resolved, resolution: Some(resolution) };
    store.change_status(&workspace, reference, &change, None).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Stores the survey token the csat samples use, as the worker would have.
pub async fn store_sample_survey_token(store: &Store) -> Result<(), SeedError> {
    let (workspace, reference) = sample_ticket()?;
    let mut stored = LinkToken::survey(workspace, reference, SAMPLE_RESOLUTION_ID, now_unix());
    stored.expires_at = now_unix() + 3600;
    Ok(store.put_link_token(&token_hash(SAMPLE_SURVEY_TOKEN), &stored).await?)
}

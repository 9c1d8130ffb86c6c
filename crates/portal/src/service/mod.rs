//! The portal's use cases: each ties the domain rules to the adapters (store,
//! rate limiter, queue, mail out, mail in), which only the service holds. Entry
//! points (the web handlers, `portalctl`, the worker, the inbound-email and
//! sweeper functions) call these and render. Every use case speaks the
//! service's own errors ([`Unavailable`] inside each), never an AWS type.
//!
//! Every public use case, by who calls it (`tests/floors.rs` holds this list
//! to the code):
//!
//! - Customers (pages, JSON API, widget): [`Portal::submit_ticket`],
//!   [`Portal::submit_ticket_from`], [`Portal::lookup_ticket`],
//!   [`Portal::reply_as_customer`], [`Portal::request_access`],
//!   [`Portal::open_access_link`], [`Portal::access_link_tickets`],
//!   [`Portal::session_ticket`], [`Portal::reply_in_session`],
//!   [`Portal::survey`], [`Portal::rate`], [`Portal::workspace`],
//!   [`Portal::logo`].
//! - Mail in (the inbound-email function): [`Portal::receive_email`],
//!   [`Portal::inbound_address`].
//! - The worker: [`Portal::handle_event`], [`Portal::handle_access_request`],
//!   [`Portal::sends_mail`], [`Portal::release_claims`].
//! - The outbox sweeper: [`Portal::sweep_outbox`].
//! - Agents and ops (`portalctl`): [`Portal::create_workspace`],
//!   [`Portal::update_workspace`], [`Portal::add_agent`],
//!   [`Portal::list_agents`], [`Portal::set_agent_availability`],
//!   [`Portal::list_tickets`], [`Portal::ticket_for_agent`],
//!   [`Portal::agent`], [`Portal::acting`], [`Portal::agent_comment`],
//!   [`Portal::change_status`], [`Portal::resolve`], [`Portal::assign_ticket`],
//!   [`Portal::inbox`], [`Portal::csat_report`].
//! - Building one: [`Portal::new`], [`Portal::with_clock`],
//!   [`Portal::for_operator_from_env`]; what it serves: [`Portal::config`],
//!   [`Portal::links`].

use crate::aws::AwsClients;
use crate::config::{Config, ConfigError};
use crate::domain::clock::Clock;
use crate::domain::{StoredLogo, Workspace, WorkspaceSlug};
use crate::limiter::RateLimiter;
use crate::links::Links;
use crate::mail_in::Mailbox;
use crate::mail_out::Mailer;
use crate::queue::EventQueue;
use crate::store::Store;

mod access;
mod access_mail;
mod agent;
mod claims;
mod conversation;
mod csat;
mod effects;
mod error;
mod mail_in;
mod mail_in_reply;
mod outbox;
mod report;
mod retry;
mod submit;
mod workspace;

pub use access::{AccessError, Granted, Opened};
pub use agent::AgentActionError;
pub use claims::HeldClaims;
pub use conversation::{LookupError, ReplyError, ReplyReceipt, TypedLookup};
pub use csat::{Survey, SurveyError};
pub use effects::{Outcome, WorkError};
pub use error::Unavailable;
pub use mail_in::{Dropped, InboundError, Received, ReceivedEmail};
pub use outbox::Sweep;
pub use report::{CsatReport, RecentComment};
pub use retry::Contended;
pub use submit::{Receipt, SubmitError};
pub use workspace::{AdminError, Change, WorkspaceUpdate};

/// Everything a request needs, built once per process and shared by warm
/// invocations. The adapters are private: use cases are the only way to them.
#[derive(Clone, Debug)]
pub struct Portal {
    config: Config,
    store: Store,
    limiter: RateLimiter,
    queue: EventQueue,
    /// Only with `MAIL_FROM` configured (the worker's): the HTTP functions send no mail.
    mailer: Option<Mailer>,
    /// Only with `INBOUND_BUCKET` and an S3 client (the inbound function's).
    mailbox: Option<Mailbox>,
    clock: Clock,
    links: Links,
}

impl Portal {
    /// The portal on the system clock.
    pub fn new(config: Config, clients: AwsClients) -> Self {
        Self::with_clock(config, clients, Clock::system())
    }

    /// The portal reading every "now" from `clock` (tests move a manual one).
    pub fn with_clock(config: Config, clients: AwsClients, clock: Clock) -> Self {
        Self {
            store: Store::new(clients.dynamodb.clone(), &config.table).with_clock(clock.clone()),
            limiter: RateLimiter::new(clients.dynamodb, &config.rate_limit_table, config.rate_limit_salt.clone())
                .with_clock(clock.clone()),
            queue: EventQueue::new(clients.sqs, &config.queue_url),
            mailer: config.mail_from.as_ref().zip(clients.ses).map(|(from, ses)| Mailer::new(ses, from)),
            mailbox: config
                .inbound_bucket
                .as_ref()
                .zip(clients.objects)
                .map(|(bucket, objects)| Mailbox::new(objects, bucket)),
            links: Links::new(&config.base_url),
            config,
            clock,
        }
    }

    /// The portal `portalctl` runs on: the SDK's standard environment (profiles
    /// included), and no `RATE_LIMIT_SALT`, since it limits nothing. Functions
    /// start through `entry::lambda::lambda_portal`.
    pub async fn for_operator_from_env() -> Result<Self, ConfigError> {
        let config = Config::for_operator_from_env()?;
        let clients = AwsClients::from_env().await.map_err(|e| ConfigError::Invalid(e.to_string()))?;
        Ok(Self::new(config, clients))
    }

    /// The deployment this portal serves.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every link the portal hands out.
    pub fn links(&self) -> &Links {
        &self.links
    }

    /// The workspace `slug`, if there is one. One round trip.
    pub async fn workspace(&self, slug: &WorkspaceSlug) -> Result<Option<Workspace>, Unavailable> {
        Ok(self.store.get_workspace(slug).await?)
    }

    /// The workspace's logo as stored, if it has one. One round trip.
    pub async fn logo(&self, slug: &WorkspaceSlug) -> Result<Option<StoredLogo>, Unavailable> {
        Ok(self.store.get_logo(slug).await?)
    }
}

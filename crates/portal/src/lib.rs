//! Customer Portal: the library every function shares.
//!
//! - [`domain`]: business rules, no AWS, no HTTP.
//! - [`store`], [`ratelimit`], [`queue`]: AWS adapters, no HTTP.
//! - [`service`]: use cases tying the two together.
//! - [`web`]: requests in, pages and JSON out; one handler per Lambda function.
//! - [`worker`], [`sweeper`]: the entries of the SQS worker and the scheduled outbox sweeper.

pub mod assets;
pub mod aws;
pub mod aws_init;
pub mod config;
pub mod domain;
pub mod inbound;
pub mod links;
pub mod mail;
pub mod mailbox;
pub mod provision;
pub mod queue;
pub mod ratelimit;
pub mod s3_get;
pub mod service;
pub mod store;
pub mod sweeper;
pub mod telemetry;
pub mod web;
pub mod worker;

pub use service::Portal;

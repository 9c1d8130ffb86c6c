//! Customer Portal: the library every function shares, in floors. Read it top
//! to bottom: an import only ever points down a floor (`tests/floors.rs` reads
//! the `// floor` lines below and fails on one that points up). A floor marked
//! `(siblings)` holds modules that never import each other; one marked
//! `(alone)` imports nothing of ours.

// floor entry: each Lambda function's `main` and init, and the ops tools' provisioning
pub mod entry;
pub mod provision;

// floor web: HTTP only; requests in, pages and JSON out
pub mod web;

// floor service: the use cases, the only door to the adapters; their configuration
pub mod config;
pub mod service;

// floor adapters (siblings): one per thing outside the process
pub mod limiter;
pub mod mail_in;
pub mod mail_out;
pub mod queue;
pub mod store;

// floor dynamo: the DynamoDB base the store and the limiter stand on
pub mod dynamo;

// floor aws (alone): SDK clients, the HTTP client, TLS, the S3 reader
pub mod aws;

// floor words: what the portal says and where it points
pub mod assets;
pub mod emails;
pub mod links;

// floor domain (alone): the rules, pure (no AWS, no HTTP)
pub mod domain;

pub use service::Portal;

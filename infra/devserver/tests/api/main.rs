//! Every integration test in one binary, a module per area (zero2prod's
//! `tests/api/main.rs`): the AWS SDK and the portal link once instead of once
//! per suite. Each test starts its own stack on the shared emulator (see
//! `support`), so they run in parallel; the one that needs process-wide state
//! (`logs`, the global log subscriber) runs in a child process of its own.

mod support;

mod access;
mod cli;
mod conversation;
mod cross_site;
mod csat;
mod emulator;
mod events;
mod hostile;
mod iam;
mod inbound_email;
mod limits;
mod logs;
mod outbox;
mod paging;
mod reliability;
mod submit;
mod template;
mod typed_email;
mod widget;
mod worker;

//! The agents' and ops' command line: workspaces, agents, tickets, inboxes and
//! CSAT analytics, through the same use cases (and domain rules, and worker
//! messages) as the portal itself.
//!
//! - [`cli`]: the commands and their arguments (clap).
//! - [`commands`]: one module per command group, each command one use case.
//! - [`output`]: tables for people, `--json` shapes for scripts.

pub mod cli;
pub mod commands;
mod error;
pub mod output;

use std::io::Write;

pub use cli::{AgentCommand, Cli, Command, CsatCommand, OnOff, TicketCommand, WorkspaceCommand};
pub use error::CtlError;
use portal::Portal;

/// Written by `make run`: how to reach the local stack.
pub const LOCAL_STACK_FILE: &str = ".portal-local.env";

/// The portal this invocation works on: the environment's stack, or the local
/// stack that `make run` described in [`LOCAL_STACK_FILE`].
pub async fn portal_from_environment() -> Result<Portal, CtlError> {
    if std::env::var_os("PORTAL_TABLE").is_none() {
        // Variables already set win over the file's; a missing file is no stack.
        let _ = dotenvy::from_filename(LOCAL_STACK_FILE);
    }
    // Operators' commands limit nothing, so portalctl needs no RATE_LIMIT_SALT.
    Portal::for_operator_from_env().await.map_err(|e| {
        CtlError::Usage(format!("{e}. Start the local stack with `make run`, or export the stack's outputs."))
    })
}

/// Runs one command against `portal`, writing its output to `out`.
pub async fn run(cli: &Cli, portal: &Portal, out: &mut dyn Write) -> Result<(), CtlError> {
    let json = cli.json;
    match &cli.command {
        Command::Workspace(command) => commands::workspace::run(command, portal, out, json).await,
        Command::Agent(command) => commands::agent::run(command, portal, out, json).await,
        Command::Ticket(command) => commands::ticket::run(command, portal, out, json).await,
        Command::Inbox { slug, agent, mark_read, all_read } => {
            commands::inbox::run(portal, out, json, (slug, agent), mark_read.as_deref(), *all_read).await
        }
        Command::Csat(CsatCommand::Report { slug }) => commands::csat::report(portal, out, json, slug).await,
    }
}

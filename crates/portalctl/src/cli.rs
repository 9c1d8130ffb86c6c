//! The command line: every command, argument and its help.

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "portalctl",
    version,
    about = "Run the Customer Portal as an agent or operator: workspaces, agents, tickets, inboxes, CSAT.",
    after_help = "Reaches the stack named by PORTAL_TABLE, RATE_LIMIT_TABLE, EVENTS_QUEUE_URL and PORTAL_BASE_URL \
(the stack's outputs) with the standard AWS environment; without them, the local stack of a running `make run`.\n\
Exit codes: 0 done, 1 AWS or network failure, 2 usage or configuration, 3 not found, 4 refused by a rule."
)]
pub struct Cli {
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, change and show workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Add agents and set their availability for auto-assignment.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// List, read and work tickets.
    #[command(subcommand)]
    Ticket(TicketCommand),
    /// An agent's in-app notifications; mark them read.
    Inbox {
        slug: String,
        agent: String,
        /// Mark this notification read.
        #[arg(long, value_name = "ID")]
        mark_read: Option<String>,
        /// Mark every notification read.
        #[arg(long)]
        all_read: bool,
    },
    /// Customer satisfaction.
    #[command(subcommand)]
    Csat(CsatCommand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// How customers reach their tickets (`--tracking`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tracking {
    /// The reference and the email typed on the tracking page (the default).
    Email,
    /// A typed email only ever sends a link; tickets open from links.
    Link,
}

impl OnOff {
    pub fn on(self) -> bool {
        self == OnOff::On
    }
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace (its portal is live at once).
    Create {
        slug: String,
        #[arg(long)]
        name: String,
        /// Round-robin new tickets over available agents.
        #[arg(long, value_enum, default_value = "on")]
        auto_assign: OnOff,
    },
    /// Change a workspace's name, settings, branding or widget origins.
    Update {
        slug: String,
        /// The name customers see in the header of every page, email and the widget.
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum)]
        auto_assign: Option<OnOff>,
        /// How customers open a ticket: `email` (type the address on the tracking page) or
        /// `link` (a typed address only ever gets a link emailed; safer for sensitive tickets).
        #[arg(long, value_enum)]
        tracking: Option<Tracking>,
        /// Colour of buttons and links, as #RRGGBB. White text on it must reach WCAG AA (4.5:1).
        #[arg(long, value_name = "#RRGGBB")]
        accent: Option<String>,
        /// Go back to the portal's own accent colour.
        #[arg(long, conflicts_with = "accent")]
        clear_accent: bool,
        /// Logo for pages, emails and the widget: PNG or SVG, at most 100 KB; an SVG may hold no
        /// script, event handler, foreignObject or reference to another file.
        #[arg(long, value_name = "FILE")]
        logo: Option<std::path::PathBuf>,
        /// Remove the logo (the header shows the name alone).
        #[arg(long, conflicts_with = "logo")]
        clear_logo: bool,
        /// A site that may embed the widget, as https://host[:port] (http only for localhost).
        /// Give every site at once: the list replaces the current one.
        #[arg(long = "widget-origin", value_name = "ORIGIN", num_args = 1..)]
        widget_origins: Vec<String>,
        /// Allow the widget on no site.
        #[arg(long, conflicts_with = "widget_origins")]
        clear_widget_origins: bool,
    },
    /// Show a workspace, its branding, the widget's script tag and the portal link to share.
    Show { slug: String },
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Add an agent; the id defaults to the email's local part. An id that is
    /// taken is refused (exit 4), never overwritten.
    Add {
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// The agent's id, unique in the workspace (default: the email's local part).
        #[arg(long)]
        id: Option<String>,
    },
    /// List a workspace's agents.
    List { slug: String },
    /// Take an agent in or out of auto-assignment.
    Availability { slug: String, agent: String, state: OnOff },
}

#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Every ticket, newest first.
    List {
        slug: String,
        /// Only tickets in this status.
        #[arg(long)]
        status: Option<String>,
    },
    /// A ticket with its whole conversation (internal notes included) and rating.
    Show { slug: String, reference: String },
    /// Add a public reply (emailed to the customer) or an internal note.
    Comment {
        slug: String,
        reference: String,
        #[arg(long)]
        body: String,
        /// Agents only: never shown or sent to the customer.
        #[arg(long)]
        internal: bool,
        /// The agent writing (default: $PORTALCTL_AGENT, else the ticket's assignee, else the workspace's team).
        #[arg(long = "as", value_name = "AGENT", env = "PORTALCTL_AGENT")]
        author: Option<String>,
    },
    /// Move a ticket to Open, In Progress, Waiting or Closed.
    Status { slug: String, reference: String, status: String },
    /// Resolve with a resolution the customer sees; sends the Rate Your Experience email.
    Resolve {
        slug: String,
        reference: String,
        #[arg(long)]
        resolution: String,
        /// The agent resolving (default: $PORTALCTL_AGENT, else the ticket's assignee, else the workspace's team).
        #[arg(long = "as", value_name = "AGENT", env = "PORTALCTL_AGENT")]
        author: Option<String>,
    },
    /// Assign a ticket to an agent.
    Assign { slug: String, reference: String, agent: String },
}

#[derive(Debug, Subcommand)]
pub enum CsatCommand {
    /// Ratings: count, average, distribution and recent comments.
    Report { slug: String },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// DESIGN.md section 4: `--as`, else `PORTALCTL_AGENT`, on every command an agent signs.
    #[test]
    fn the_acting_agent_comes_from_as_or_portalctl_agent() {
        let cli = Cli::command();
        let ticket = cli.find_subcommand("ticket").expect("ticket");
        for name in ["comment", "resolve"] {
            let command = ticket.find_subcommand(name).expect(name);
            let author = command.get_arguments().find(|a| a.get_long() == Some("as")).expect("--as");
            assert_eq!(author.get_env().and_then(|e| e.to_str()), Some("PORTALCTL_AGENT"), "{name}");
        }
    }
}

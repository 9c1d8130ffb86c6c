//! The agents' and ops' command line: workspaces, agents, tickets, inboxes and
//! CSAT analytics, through the same library code (and domain rules, and worker
//! messages) as the portal itself.

use std::io::Write;

use clap::{Parser, Subcommand, ValueEnum};
use portal::domain::branding::parse_widget_origins;
use portal::domain::time::{human, rfc3339};
use portal::domain::{
    AccentColour, Agent, Author, EmailAddress, Logo, MessageBody, Status, Ticket, TicketRef, Visibility, Workspace,
    WorkspaceSlug,
};
use portal::service::AgentActionError;
use portal::web::widget;
use portal::Portal;
use serde_json::{json, Value};

/// Written by `make run`: how to reach the local stack.
pub const LOCAL_STACK_FILE: &str = ".portal-local.env";

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

impl OnOff {
    fn on(self) -> bool {
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
    /// Add (or update) an agent; the id defaults to the email's local part.
    Add {
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
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
        /// The agent writing (default: the ticket's assignee).
        #[arg(long = "as", value_name = "AGENT")]
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
        #[arg(long = "as", value_name = "AGENT")]
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

/// A failure, with the exit code that tells scripts what kind it was.
#[derive(Debug)]
pub enum CtlError {
    Unavailable(String),
    Usage(String),
    NotFound(String),
    Refused(String),
}

impl std::fmt::Display for CtlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CtlError::Unavailable(m) | CtlError::Usage(m) | CtlError::NotFound(m) | CtlError::Refused(m) => {
                f.write_str(m)
            }
        }
    }
}

impl CtlError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CtlError::Unavailable(_) => 1,
            CtlError::Usage(_) => 2,
            CtlError::NotFound(_) => 3,
            CtlError::Refused(_) => 4,
        }
    }
}

impl From<portal::aws::AwsError> for CtlError {
    fn from(err: portal::aws::AwsError) -> Self {
        CtlError::Unavailable(err.to_string())
    }
}

impl From<std::io::Error> for CtlError {
    fn from(err: std::io::Error) -> Self {
        CtlError::Unavailable(format!("cannot write output: {err}"))
    }
}

impl From<AgentActionError> for CtlError {
    fn from(err: AgentActionError) -> Self {
        match err {
            AgentActionError::UnknownTicket { .. } | AgentActionError::UnknownAgent(_) => {
                CtlError::NotFound(err.to_string())
            }
            AgentActionError::InvalidTransition { .. } | AgentActionError::ResolutionRequired => {
                CtlError::Refused(err.to_string())
            }
            AgentActionError::Contended => CtlError::Unavailable(err.to_string()),
            AgentActionError::Unavailable(err) => CtlError::Unavailable(err.to_string()),
        }
    }
}

/// The portal this invocation works on: the environment's stack, or the local
/// stack that `make run` described in [`LOCAL_STACK_FILE`].
pub async fn portal_from_environment() -> Result<Portal, CtlError> {
    if std::env::var_os("PORTAL_TABLE").is_none() {
        if let Ok(text) = std::fs::read_to_string(LOCAL_STACK_FILE) {
            for line in text.lines() {
                if let Some((name, value)) = line.split_once('=') {
                    if std::env::var_os(name.trim()).is_none() {
                        std::env::set_var(name.trim(), value.trim());
                    }
                }
            }
        }
    }
    Portal::from_env().await.map_err(|e| {
        CtlError::Usage(format!("{e}. Start the local stack with `make run`, or export the stack's outputs."))
    })
}

fn slug(raw: &str) -> Result<WorkspaceSlug, CtlError> {
    WorkspaceSlug::parse(raw)
        .ok_or_else(|| CtlError::Usage(format!("{raw:?} is not a workspace slug (lower-case letters, digits and '-')")))
}

fn reference(raw: &str) -> Result<TicketRef, CtlError> {
    TicketRef::parse(raw.trim())
        .ok_or_else(|| CtlError::Usage(format!("{raw:?} is not a ticket reference like TKT-0042")))
}

fn text(raw: &str, label: &str) -> Result<MessageBody, CtlError> {
    MessageBody::parse_required(raw, label).map_err(CtlError::Refused)
}

async fn workspace(portal: &Portal, slug: &WorkspaceSlug) -> Result<Workspace, CtlError> {
    portal.store.get_workspace(slug).await?.ok_or_else(|| CtlError::NotFound(format!("no workspace {slug}")))
}

async fn ticket(portal: &Portal, slug: &WorkspaceSlug, reference: TicketRef) -> Result<Ticket, CtlError> {
    portal
        .store
        .get_ticket(slug, reference)
        .await?
        .ok_or_else(|| CtlError::NotFound(format!("no ticket {reference} in workspace {slug}")))
}

/// The acting agent: `--as`, else the ticket's assignee.
async fn acting_agent(
    portal: &Portal,
    slug: &WorkspaceSlug,
    t: &Ticket,
    author: Option<&str>,
) -> Result<Agent, CtlError> {
    let id = author
        .map(str::to_owned)
        .or_else(|| t.assignee.clone())
        .ok_or_else(|| CtlError::Usage(format!("{} has no assignee: say who acts with --as AGENT", t.reference)))?;
    Ok(portal.agent(slug, &id).await?)
}

fn print(out: &mut dyn Write, json: bool, value: &Value, human: impl FnOnce() -> String) -> Result<(), CtlError> {
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(value).unwrap_or_default())?;
    } else {
        write!(out, "{}", human())?;
    }
    Ok(())
}

/// Left-aligned columns.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

fn ticket_json(t: &Ticket) -> Value {
    json!({
        "reference": t.reference, "id": t.id, "status": t.status, "priority": format!("{:?}", t.priority),
        "channel": format!("{:?}", t.channel), "type": t.ticket_type, "subject": t.subject,
        "name": t.name, "email": t.email, "assignee": t.assignee, "createdAt": rfc3339(t.created_at),
        "updatedAt": rfc3339(t.updated_at),
        "resolution": t.resolution.as_ref().map(|r| json!({"text": r.text, "by": r.by, "at": rfc3339(r.at)})),
        "rating": t.rating.as_ref().map(|r| json!({"stars": r.stars, "comment": r.comment, "at": rfc3339(r.at)})),
    })
}

/// Runs one command against `portal`, writing its output to `out`.
pub async fn run(cli: &Cli, portal: &Portal, out: &mut dyn Write) -> Result<(), CtlError> {
    let json = cli.json;
    match &cli.command {
        Command::Workspace(command) => match command {
            WorkspaceCommand::Create { slug: raw, name, auto_assign } => {
                let slug = slug(raw)?;
                if portal.store.get_workspace(&slug).await?.is_some() {
                    return Err(CtlError::Refused(format!("workspace {slug} exists already (use workspace update)")));
                }
                let ws = Workspace::new(slug.clone(), workspace_name(name)?, auto_assign.on());
                portal.store.save_workspace(&ws).await?;
                show_workspace(portal, out, json, &ws)
            }
            WorkspaceCommand::Update {
                slug: raw,
                name,
                auto_assign,
                accent,
                clear_accent,
                logo,
                clear_logo,
                widget_origins,
                clear_widget_origins,
            } => {
                let mut ws = workspace(portal, &slug(raw)?).await?;
                // Every value is checked before anything is written.
                if let Some(name) = name {
                    ws.name = workspace_name(name)?;
                }
                if let Some(auto) = auto_assign {
                    ws.auto_assign = auto.on();
                }
                if let Some(accent) = accent {
                    ws.accent =
                        Some(AccentColour::parse(accent).map_err(|e| CtlError::Refused(format!("--accent: {e}")))?);
                }
                if *clear_accent {
                    ws.accent = None;
                }
                if !widget_origins.is_empty() {
                    ws.widget_origins = parse_widget_origins(widget_origins)
                        .map_err(|e| CtlError::Refused(format!("--widget-origin: {e}")))?;
                }
                if *clear_widget_origins {
                    ws.widget_origins.clear();
                }
                let new_logo = match logo {
                    Some(path) => {
                        let bytes = std::fs::read(path)
                            .map_err(|e| CtlError::Usage(format!("--logo: cannot read {}: {e}", path.display())))?;
                        Some(Logo::parse(bytes).map_err(|e| CtlError::Refused(format!("--logo: {e}")))?)
                    }
                    None => None,
                };
                if let Some(new_logo) = &new_logo {
                    // Bytes first: the workspace never points at a logo that is not there.
                    portal.store.put_logo(&ws.slug, new_logo).await?;
                    ws.logo = Some(new_logo.reference());
                }
                if *clear_logo {
                    ws.logo = None;
                }
                portal.store.save_workspace(&ws).await?;
                if *clear_logo {
                    portal.store.delete_logo(&ws.slug).await?;
                }
                show_workspace(portal, out, json, &ws)
            }
            WorkspaceCommand::Show { slug: raw } => {
                let ws = workspace(portal, &slug(raw)?).await?;
                show_workspace(portal, out, json, &ws)
            }
        },
        Command::Agent(command) => match command {
            AgentCommand::Add { slug: raw, name, email, id } => {
                let slug = slug(raw)?;
                workspace(portal, &slug).await?;
                let email = EmailAddress::parse(email).map_err(CtlError::Refused)?;
                let normalized = email.normalized();
                let id = id.clone().unwrap_or_else(|| {
                    normalized
                        .split('@')
                        .next()
                        .unwrap_or("agent")
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect()
                });
                if id.is_empty() {
                    return Err(CtlError::Usage("give the agent an id with --id".into()));
                }
                let agent = Agent { id, name: name.trim().into(), email: normalized, available: true };
                portal.store.save_agent(&slug, &agent).await?;
                print(
                    out,
                    json,
                    &json!({"id": agent.id, "name": agent.name, "email": agent.email, "available": true}),
                    || format!("Added agent {} ({}), available.\n", agent.id, agent.name),
                )
            }
            AgentCommand::List { slug: raw } => {
                let slug = slug(raw)?;
                workspace(portal, &slug).await?;
                let agents = portal.store.list_agents(&slug).await?;
                let value = json!(agents
                    .iter()
                    .map(|a| json!({"id": a.id, "name": a.name, "email": a.email, "available": a.available}))
                    .collect::<Vec<_>>());
                print(out, json, &value, || {
                    let rows: Vec<Vec<String>> = agents
                        .iter()
                        .map(|a| {
                            vec![
                                a.id.clone(),
                                a.name.clone(),
                                a.email.clone(),
                                if a.available { "yes" } else { "no" }.into(),
                            ]
                        })
                        .collect();
                    table(&["ID", "NAME", "EMAIL", "AVAILABLE"], &rows)
                })
            }
            AgentCommand::Availability { slug: raw, agent, state } => {
                let slug = slug(raw)?;
                let mut found = portal.agent(&slug, agent).await?;
                found.available = state.on();
                portal.store.save_agent(&slug, &found).await?;
                print(out, json, &json!({"id": found.id, "available": found.available}), || {
                    format!(
                        "{} is {} for auto-assignment.\n",
                        found.id,
                        if found.available { "available" } else { "unavailable" }
                    )
                })
            }
        },
        Command::Ticket(command) => ticket_command(command, portal, out, json).await,
        Command::Inbox { slug: raw, agent, mark_read, all_read } => {
            let slug = slug(raw)?;
            portal.agent(&slug, agent).await?;
            if let Some(id) = mark_read {
                if !portal.store.mark_read(&slug, agent, id).await? {
                    return Err(CtlError::NotFound(format!("no notification {id} for {agent}")));
                }
            }
            if *all_read {
                for item in portal.store.inbox(&slug, agent).await?.iter().filter(|i| !i.read) {
                    portal.store.mark_read(&slug, agent, &item.id).await?;
                }
            }
            let items = portal.store.inbox(&slug, agent).await?;
            let value = json!(items
                .iter()
                .map(|i| json!({"id": i.id, "kind": i.kind, "reference": i.reference, "text": i.text, "read": i.read, "createdAt": rfc3339(i.created_at)}))
                .collect::<Vec<_>>());
            print(out, json, &value, || {
                if items.is_empty() {
                    return format!("{agent} has no notifications.\n");
                }
                let rows: Vec<Vec<String>> = items
                    .iter()
                    .map(|i| {
                        vec![if i.read { " " } else { "*" }.into(), i.id.clone(), human(i.created_at), i.text.clone()]
                    })
                    .collect();
                table(&["", "ID", "WHEN", "NOTIFICATION"], &rows)
            })
        }
        Command::Csat(CsatCommand::Report { slug: raw }) => {
            let slug = slug(raw)?;
            workspace(portal, &slug).await?;
            let tickets = portal.store.list_tickets(&slug).await?;
            let mut rated: Vec<&Ticket> = tickets.iter().filter(|t| t.rating.is_some()).collect();
            rated.sort_by_key(|t| std::cmp::Reverse(t.rating.as_ref().map(|r| r.at)));
            let mut distribution = [0u64; 5];
            for t in &rated {
                if let Some(r) = &t.rating {
                    distribution[usize::from(r.stars.clamp(1, 5)) - 1] += 1;
                }
            }
            let count = rated.len() as u64;
            let total: u64 = distribution.iter().enumerate().map(|(i, n)| (i as u64 + 1) * n).sum();
            let average = if count == 0 { None } else { Some(((total as f64 / count as f64) * 100.0).round() / 100.0) };
            let recent: Vec<Value> = rated
                .iter()
                .filter_map(|t| t.rating.as_ref().and_then(|r| r.comment.as_ref().map(|c| (t, r, c))))
                .take(5)
                .map(|(t, r, c)| json!({"reference": t.reference, "stars": r.stars, "comment": c, "at": rfc3339(r.at)}))
                .collect();
            let value = json!({"count": count, "average": average, "distribution": {"1": distribution[0], "2": distribution[1], "3": distribution[2], "4": distribution[3], "5": distribution[4]}, "recentComments": recent});
            print(out, json, &value, || {
                let mut text = match average {
                    Some(avg) => format!("{count} rating(s), average {avg:.2} / 5\n"),
                    None => "No ratings yet.\n".into(),
                };
                for stars in (1..=5).rev() {
                    let n = distribution[stars - 1];
                    text.push_str(&format!("{stars}★ {:>4}  {}\n", n, "#".repeat(n.min(50) as usize)));
                }
                for c in &recent {
                    text.push_str(&format!(
                        "{} {}★ {}\n",
                        c["reference"].as_str().unwrap_or(""),
                        c["stars"],
                        c["comment"].as_str().unwrap_or("")
                    ));
                }
                text
            })
        }
    }
}

fn show_workspace(portal: &Portal, out: &mut dyn Write, json: bool, ws: &Workspace) -> Result<(), CtlError> {
    let links = portal.links();
    let link = links.submit_url(&ws.slug);
    let tag = widget::script_tag(links, &ws.slug);
    let logo_url = ws.logo.as_ref().map(|logo| links.logo_url(&ws.slug, &logo.version));
    let origins: Vec<&str> = ws.widget_origins.iter().map(|o| o.as_str()).collect();
    let value = json!({
        "slug": ws.slug, "name": ws.name, "autoAssign": ws.auto_assign, "portalUrl": link,
        "accent": ws.accent_hex(), "customAccent": ws.accent.is_some(), "logoUrl": logo_url,
        "widgetOrigins": origins, "widgetScriptTag": tag,
    });
    print(out, json, &value, || {
        let accent = match &ws.accent {
            Some(accent) => accent.to_string(),
            None => format!("{} (the portal's own)", ws.accent_hex()),
        };
        let logo = match (&ws.logo, &logo_url) {
            (Some(logo), Some(url)) => {
                format!("{}, {} KB: {url}", logo.format.content_type(), logo.size.div_ceil(1024))
            }
            _ => "none (the header shows the name)".into(),
        };
        let origins = if origins.is_empty() {
            "none yet (add your site with --widget-origin https://...)".into()
        } else {
            origins.join(", ")
        };
        format!(
            "{} ({})\nAuto-assignment: {}\nAccent colour:   {accent}\nLogo:            {logo}\nWidget allowed on: {origins}\n\
             Widget script tag (paste into your site's HTML):\n  {tag}\nPortal link to share: {link}\n",
            ws.name,
            ws.slug,
            if ws.auto_assign { "on" } else { "off" }
        )
    })
}

/// A workspace's display name: 1 to 100 characters once trimmed.
fn workspace_name(raw: &str) -> Result<String, CtlError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(CtlError::Refused("the name must be 1 to 100 characters on one line".into()));
    }
    Ok(name.to_owned())
}

async fn ticket_command(
    command: &TicketCommand,
    portal: &Portal,
    out: &mut dyn Write,
    json: bool,
) -> Result<(), CtlError> {
    match command {
        TicketCommand::List { slug: raw, status } => {
            let slug = slug(raw)?;
            workspace(portal, &slug).await?;
            let wanted = match status {
                Some(s) => Some(Status::parse(s).ok_or_else(|| CtlError::Usage(format!("unknown status {s:?}")))?),
                None => None,
            };
            let tickets: Vec<Ticket> = portal
                .store
                .list_tickets(&slug)
                .await?
                .into_iter()
                .filter(|t| wanted.is_none_or(|w| t.status == w))
                .collect();
            let value = json!(tickets.iter().map(ticket_json).collect::<Vec<_>>());
            print(out, json, &value, || {
                if tickets.is_empty() {
                    return "No tickets.\n".into();
                }
                let rows: Vec<Vec<String>> = tickets
                    .iter()
                    .map(|t| {
                        vec![
                            t.reference.to_string(),
                            t.status.label().into(),
                            t.ticket_type.label().into(),
                            t.assignee.clone().unwrap_or_else(|| "-".into()),
                            t.rating.as_ref().map(|r| format!("{}★", r.stars)).unwrap_or_default(),
                            t.subject.chars().take(60).collect(),
                        ]
                    })
                    .collect();
                table(&["REF", "STATUS", "TYPE", "ASSIGNEE", "CSAT", "SUBJECT"], &rows)
            })
        }
        TicketCommand::Show { slug: raw, reference: r } => {
            let (slug, reference) = (slug(raw)?, reference(r)?);
            let (t, comments) = portal
                .store
                .ticket_with_comments(&slug, reference)
                .await?
                .ok_or_else(|| CtlError::NotFound(format!("no ticket {reference} in workspace {slug}")))?;
            let mut value = ticket_json(&t);
            value["description"] = json!(t.description);
            value["conversation"] = json!(comments
                .iter()
                .map(|c| json!({"id": c.id, "author": c.author.display_name(), "from": if c.author.is_customer() {"customer"} else {"agent"}, "internal": c.visibility == Visibility::Internal, "body": c.body, "createdAt": rfc3339(c.created_at)}))
                .collect::<Vec<_>>());
            print(out, json, &value, || {
                let mut text = format!(
                    "{}  [{}]  {}  {:?} priority, {:?}\nSubject:  {}\nFrom:     {} <{}>\nAssignee: {}\nCreated:  {}\n",
                    t.reference,
                    t.status,
                    t.ticket_type,
                    t.priority,
                    t.channel,
                    t.subject,
                    t.name,
                    t.email,
                    t.assignee_name.clone().unwrap_or_else(|| "-".into()),
                    human(t.created_at)
                );
                if let Some(r) = &t.resolution {
                    text.push_str(&format!("Resolution ({} by {}): {}\n", human(r.at), r.by, r.text));
                }
                match &t.rating {
                    Some(r) => text.push_str(&format!(
                        "Rating:   {}/5{} ({})\n",
                        r.stars,
                        r.comment.as_ref().map(|c| format!(" \"{c}\"")).unwrap_or_default(),
                        human(r.at)
                    )),
                    None => text.push_str("Rating:   -\n"),
                }
                if let Some(d) = &t.description {
                    text.push_str(&format!("\n{d}\n"));
                }
                for c in &comments {
                    let who = match &c.author {
                        Author::Customer { name } => format!("{name} (customer)"),
                        Author::Agent { name, .. } if c.visibility == Visibility::Internal => {
                            format!("{name} (internal note)")
                        }
                        Author::Agent { name, .. } => format!("{name} (agent)"),
                    };
                    text.push_str(&format!("\n--- {who}, {}\n{}\n", human(c.created_at), c.body));
                }
                text
            })
        }
        TicketCommand::Comment { slug: raw, reference: r, body, internal, author } => {
            let (slug, reference) = (slug(raw)?, reference(r)?);
            let t = ticket(portal, &slug, reference).await?;
            let agent = acting_agent(portal, &slug, &t, author.as_deref()).await?;
            let visibility = if *internal { Visibility::Internal } else { Visibility::Public };
            let comment = portal.agent_comment(&slug, reference, &agent, text(body, "comment")?, visibility).await?;
            print(out, json, &json!({"reference": reference, "commentId": comment.id, "internal": internal}), || {
                if *internal {
                    format!("Internal note added to {reference}.\n")
                } else {
                    format!("Reply added to {reference}; the customer will be emailed.\n")
                }
            })
        }
        TicketCommand::Status { slug: raw, reference: r, status } => {
            let (slug, reference) = (slug(raw)?, reference(r)?);
            let next = Status::parse(status).ok_or_else(|| {
                CtlError::Usage(format!("unknown status {status:?}: use open, in-progress, waiting or closed"))
            })?;
            let previous = portal.change_status(&slug, reference, next).await?;
            print(out, json, &json!({"reference": reference, "from": previous, "status": next}), || {
                format!("{reference}: {previous} -> {next}\n")
            })
        }
        TicketCommand::Resolve { slug: raw, reference: r, resolution, author } => {
            let (slug, reference) = (slug(raw)?, reference(r)?);
            let t = ticket(portal, &slug, reference).await?;
            let agent = acting_agent(portal, &slug, &t, author.as_deref()).await?;
            let resolved = portal.resolve(&slug, reference, &agent, text(resolution, "resolution")?).await?;
            print(
                out,
                json,
                &json!({"reference": reference, "status": Status::Resolved, "resolutionId": resolved.id}),
                || format!("{reference} resolved; the customer will get the Rate Your Experience email.\n"),
            )
        }
        TicketCommand::Assign { slug: raw, reference: r, agent } => {
            let (slug, reference) = (slug(raw)?, reference(r)?);
            let assigned = portal.assign_ticket(&slug, reference, agent).await?;
            print(out, json, &json!({"reference": reference, "assignee": assigned.id}), || {
                format!("{reference} assigned to {} ({}).\n", assigned.id, assigned.name)
            })
        }
    }
}

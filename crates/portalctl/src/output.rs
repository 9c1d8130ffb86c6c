//! What commands print: aligned tables for people, and with `--json` the
//! shapes below for scripts. Fields are declared in alphabetical order, the
//! order the output has always had.

use std::io::Write;

use portal::domain::time::rfc3339;
use portal::domain::{Agent, Channel, Comment, InboxItem, Priority, Status, Ticket, TicketRef, TicketType, Visibility};
use serde::Serialize;

use crate::CtlError;

/// Writes `value` as JSON, or what `human` says.
pub fn print(
    out: &mut dyn Write,
    json: bool,
    value: &impl Serialize,
    human: impl FnOnce() -> String,
) -> Result<(), CtlError> {
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(value).unwrap_or_default())?;
    } else {
        write!(out, "{}", human())?;
    }
    Ok(())
}

/// Left-aligned columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceJson {
    pub accent: String,
    pub auto_assign: bool,
    pub custom_accent: bool,
    /// `{slug}@{INBOUND_DOMAIN}`: mail to it opens tickets (null without an inbound domain).
    pub inbound_address: Option<String>,
    pub logo_url: Option<String>,
    pub name: String,
    pub portal_url: String,
    pub slug: String,
    /// `email` or `link`.
    pub tracking: String,
    pub widget_origins: Vec<String>,
    pub widget_script_tag: String,
}

#[derive(Debug, Serialize)]
pub struct AgentJson {
    pub available: bool,
    pub email: String,
    pub id: String,
    pub name: String,
}

impl From<&Agent> for AgentJson {
    fn from(a: &Agent) -> Self {
        Self { available: a.available, email: a.email.clone(), id: a.id.clone(), name: a.name.clone() }
    }
}

#[derive(Debug, Serialize)]
pub struct AvailabilityJson {
    pub available: bool,
    pub id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxItemJson {
    pub created_at: String,
    pub id: String,
    pub kind: String,
    pub read: bool,
    pub reference: TicketRef,
    pub text: String,
}

impl From<&InboxItem> for InboxItemJson {
    fn from(i: &InboxItem) -> Self {
        Self {
            created_at: rfc3339(i.created_at),
            id: i.id.clone(),
            kind: i.kind.clone(),
            read: i.read,
            reference: i.reference,
            text: i.text.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ResolutionJson {
    pub at: String,
    pub by: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct RatingJson {
    pub at: String,
    pub comment: Option<String>,
    pub stars: u8,
}

/// A ticket as `ticket list` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketJson {
    pub assignee: Option<String>,
    pub channel: Channel,
    pub created_at: String,
    pub email: String,
    pub id: String,
    pub name: String,
    pub priority: Priority,
    pub rating: Option<RatingJson>,
    pub reference: TicketRef,
    pub resolution: Option<ResolutionJson>,
    pub status: Status,
    pub subject: String,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub updated_at: String,
}

impl From<&Ticket> for TicketJson {
    fn from(t: &Ticket) -> Self {
        Self {
            assignee: t.assignee.clone(),
            channel: t.channel,
            created_at: rfc3339(t.created_at),
            email: t.email.clone(),
            id: t.id.clone(),
            name: t.name.clone(),
            priority: t.priority,
            rating: t.rating.as_ref().map(|r| RatingJson {
                at: rfc3339(r.at),
                comment: r.comment.clone(),
                stars: r.stars,
            }),
            reference: t.reference,
            resolution: t.resolution.as_ref().map(|r| ResolutionJson {
                at: rfc3339(r.at),
                by: r.by.clone(),
                text: r.text.clone(),
            }),
            status: t.status,
            subject: t.subject.clone(),
            ticket_type: t.ticket_type,
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// A ticket as `ticket show` shows it: with its description and whole conversation.
#[derive(Debug, Serialize)]
pub struct TicketDetailJson {
    #[serde(flatten)]
    pub ticket: TicketJson,
    pub conversation: Vec<CommentJson>,
    pub description: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentJson {
    pub author: String,
    pub body: String,
    pub created_at: String,
    /// `customer` or `agent`.
    pub from: &'static str,
    pub id: String,
    pub internal: bool,
}

impl From<&Comment> for CommentJson {
    fn from(c: &Comment) -> Self {
        Self {
            author: c.author.display_name().to_owned(),
            body: c.body.clone(),
            created_at: rfc3339(c.created_at),
            from: if c.author.is_customer() { "customer" } else { "agent" },
            id: c.id.clone(),
            internal: c.visibility == Visibility::Internal,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentedJson {
    pub comment_id: String,
    pub internal: bool,
    pub reference: TicketRef,
}

#[derive(Debug, Serialize)]
pub struct StatusChangedJson {
    pub from: Status,
    pub reference: TicketRef,
    pub status: Status,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedJson {
    pub reference: TicketRef,
    pub resolution_id: String,
    pub status: Status,
}

#[derive(Debug, Serialize)]
pub struct AssignedJson {
    pub assignee: String,
    pub reference: TicketRef,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsatReportJson {
    pub average: Option<f64>,
    pub count: u64,
    /// Keyed "1" to "5".
    pub distribution: std::collections::BTreeMap<String, u64>,
    pub recent_comments: Vec<RecentCommentJson>,
}

#[derive(Debug, Serialize)]
pub struct RecentCommentJson {
    pub at: String,
    pub comment: String,
    pub reference: TicketRef,
    pub stars: u8,
}

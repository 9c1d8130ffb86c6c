//! `portalctl ticket list | show | comment | status | resolve | assign`.

use std::io::Write;

use portal::domain::time::human;
use portal::domain::{Author, Status, Visibility};
use portal::Portal;

use super::{reference, slug, text};
use crate::cli::TicketCommand;
use crate::output::{
    print, table, AssignedJson, CommentJson, CommentedJson, ResolvedJson, StatusChangedJson, TicketDetailJson,
    TicketJson,
};
use crate::CtlError;

pub async fn run(command: &TicketCommand, portal: &Portal, out: &mut dyn Write, json: bool) -> Result<(), CtlError> {
    match command {
        TicketCommand::List { slug: raw, status } => {
            let slug = slug(raw)?;
            let wanted = match status {
                Some(s) => Some(Status::parse(s).ok_or_else(|| CtlError::Usage(format!("unknown status {s:?}")))?),
                None => None,
            };
            let tickets = portal.list_tickets(&slug, wanted).await?;
            let value: Vec<TicketJson> = tickets.iter().map(TicketJson::from).collect();
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
            let (t, comments) = portal.ticket_for_agent(&slug, reference).await?;
            let value = TicketDetailJson {
                ticket: TicketJson::from(&t),
                conversation: comments.iter().map(CommentJson::from).collect(),
                description: t.description.clone(),
            };
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
                        Author::Team { name } if c.visibility == Visibility::Internal => {
                            format!("{name} team (internal note)")
                        }
                        Author::Team { name } => format!("{name} team"),
                    };
                    text.push_str(&format!("\n--- {who}, {}\n{}\n", human(c.created_at), c.body));
                }
                text
            })
        }
        TicketCommand::Comment { slug: raw, reference: r, body, internal, author } => {
            let (slug, reference) = (slug(raw)?, reference(r)?);
            let actor = portal.acting(&slug, reference, author.as_deref()).await?;
            let visibility = if *internal { Visibility::Internal } else { Visibility::Public };
            let comment = portal.agent_comment(&slug, reference, &actor, text(body, "comment")?, visibility).await?;
            let value = CommentedJson { comment_id: comment.id, internal: *internal, reference };
            print(out, json, &value, || {
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
            print(out, json, &StatusChangedJson { from: previous, reference, status: next }, || {
                format!("{reference}: {previous} -> {next}\n")
            })
        }
        TicketCommand::Resolve { slug: raw, reference: r, resolution, author } => {
            let (slug, reference) = (slug(raw)?, reference(r)?);
            let actor = portal.acting(&slug, reference, author.as_deref()).await?;
            let resolved = portal.resolve(&slug, reference, &actor, text(resolution, "resolution")?).await?;
            let value = ResolvedJson { reference, resolution_id: resolved.id, status: Status::Resolved };
            print(out, json, &value, || {
                format!("{reference} resolved; the customer will get the Rate Your Experience email.\n")
            })
        }
        TicketCommand::Assign { slug: raw, reference: r, agent } => {
            let (slug, reference) = (slug(raw)?, reference(r)?);
            let assigned = portal.assign_ticket(&slug, reference, agent).await?;
            print(out, json, &AssignedJson { assignee: assigned.id.clone(), reference }, || {
                format!("{reference} assigned to {} ({}).\n", assigned.id, assigned.name)
            })
        }
    }
}

//! The JSON shape of a ticket as its customer sees it.

use serde_json::{json, Value};

use crate::domain::time::rfc3339;
use crate::domain::CustomerView;

pub fn ticket_json(view: &CustomerView) -> Value {
    let t = &view.ticket;
    let conversation: Vec<Value> = view
        .conversation
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "author": c.author.display_name(),
                "from": if c.author.is_customer() { "customer" } else { "agent" },
                "body": c.body,
                "createdAt": rfc3339(c.created_at),
            })
        })
        .collect();
    let resolution = t
        .resolution
        .as_ref()
        .filter(|_| t.status.is_resolved())
        .map(|r| json!({ "text": r.text, "by": r.by, "resolvedAt": rfc3339(r.at) }));
    let rating = t.rating.as_ref().map(|r| json!({ "stars": r.stars, "comment": r.comment, "ratedAt": rfc3339(r.at) }));
    json!({
        "reference": t.reference,
        "subject": t.subject,
        "type": t.ticket_type,
        "status": t.status,
        "createdAt": rfc3339(t.created_at),
        "updatedAt": rfc3339(t.updated_at),
        "description": t.description,
        "assignee": t.assignee_name,
        "conversation": conversation,
        "resolution": resolution,
        "rating": rating,
    })
}

//! `portalctl inbox`: an agent's notifications.

use std::io::Write;

use portal::domain::time::human;
use portal::Portal;

use super::slug;
use crate::output::{print, table, InboxItemJson};
use crate::CtlError;

pub async fn run(
    portal: &Portal,
    out: &mut dyn Write,
    json: bool,
    (raw_slug, agent): (&str, &str),
    mark_read: Option<&str>,
    all_read: bool,
) -> Result<(), CtlError> {
    let items = portal.inbox(&slug(raw_slug)?, agent, mark_read, all_read).await?;
    let value: Vec<InboxItemJson> = items.iter().map(InboxItemJson::from).collect();
    print(out, json, &value, || {
        if items.is_empty() {
            return format!("{agent} has no notifications.\n");
        }
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|i| vec![if i.read { " " } else { "*" }.into(), i.id.clone(), human(i.created_at), i.text.clone()])
            .collect();
        table(&["", "ID", "WHEN", "NOTIFICATION"], &rows)
    })
}

//! The single-table key design of the portal table, in one place.
//!
//! | item                | pk                      | sk                        | access pattern                              |
//! |---------------------|-------------------------|---------------------------|---------------------------------------------|
//! | workspace           | `WS#{slug}`             | `WORKSPACE`               | GetItem; ADD `ticketSeq` (TKT numbers), ADD `assignSeq` (round-robin) |
//! | workspace logo      | `WS#{slug}`             | `LOGO`                    | GetItem (logo route); Put by portalctl      |
//! | agent               | `WS#{slug}`             | `AGENT#{agent}`           | Query begins_with `AGENT#`                  |
//! | contact             | `WS#{slug}`             | `CONTACT#{sha256(email)}` | upsert with `if_not_exists` (no duplicates) |
//! | idempotency record  | `WS#{slug}`             | `IDEM#{sha256(key)}`      | conditional Put; GetItem on replay (TTL 24 h) |
//! | inbox notification  | `WS#{slug}`             | `INBOX#{agent}#{ulid}`    | Query begins_with per agent                 |
//! | ticket              | `T#{slug}#{TKT-0001}`   | `TICKET`                  | GetItem; with the newest comments, one descending Query (below) |
//! | public comment      | `T#{slug}#{TKT-0001}`   | `C#{ulid}`                | descending Query `sk BETWEEN C# AND TICKET`, 51 items: the ticket and the newest page; older pages `BETWEEN C# AND C#{cursor}`; GetItem (worker) |
//! | internal note       | `T#{slug}#{TKT-0001}`   | `B#{ulid}`                | sorts below every `C#`, so customer reads never reach it; agents read the whole partition |
//! | link token          | `TOKEN#{sha256(token)}` | `TOKEN`                   | GetItem; conditional update on use (survey) |
//! | session             | `SESSION#{sha256(cookie)}` | `SESSION`              | conditional Put on a link's GET; GetItem per request (12 h, checked in code) |
//! | access request      | `ACCESS#{ulid}`         | `ACCESS`                  | Put by the access route; GetItem by the worker (1 h) |
//! | worker effect       | `EFFECT#{event effect}` | `EFFECT`                  | conditional Put: each email/notification once |
//! | outbox event        | `OUTBOX#{shard}`        | `{event id}#{kind}`       | Put in the announcing write's transaction; Query per shard (sweeper); GetItem (replays); Delete (worker's ack) |
//!
//! Index `ByContact` (sparse: only ticket items carry `contactKey`): partition
//! `contactKey` = `{slug}#{contactId}`, sort `id` (the ticket's ULID), so a
//! descending Query lists one address's tickets in one workspace, newest first,
//! without a scan; it projects what My tickets shows. Tickets written before the
//! index existed have no `contactKey`: backfill them once by setting it on every
//! `sk = TICKET` item (`{workspace}#{contactId}` from the item's own attributes;
//! README, "Upgrading").
//!
//! The rate-limit table is separate: pk `{scope}#{sha256(salt, ip)}#{window}`.

use crate::domain::secrets::sha256_hex;
use crate::domain::{PortalEvent, TicketRef, WorkspaceSlug};

pub use crate::dynamo::{EXPIRES_AT, PK, SK};

pub const WORKSPACE_SK: &str = "WORKSPACE";
/// The logo's bytes live apart from the workspace item, which every request
/// reads: up to 100 KB there would slow each of them down.
pub const LOGO_SK: &str = "LOGO";
pub const TICKET_SK: &str = "TICKET";
pub const COMMENT_PREFIX: &str = "C#";
/// Internal notes: below `C#`, outside every customer Query.
pub const NOTE_PREFIX: &str = "B#";
pub const AGENT_PREFIX: &str = "AGENT#";
pub const TOKEN_SK: &str = "TOKEN";
pub const EFFECT_SK: &str = "EFFECT";
pub const SESSION_SK: &str = "SESSION";
pub const ACCESS_SK: &str = "ACCESS";

/// The contact index: one address's tickets in one workspace.
pub const BY_CONTACT_INDEX: &str = "ByContact";
/// Its partition attribute, on ticket items only.
pub const CONTACT_KEY: &str = "contactKey";
/// Its sort attribute: the ticket's ULID.
pub const CONTACT_SORT: &str = "id";
/// What it projects besides the keys: what My tickets shows.
pub const BY_CONTACT_PROJECTION: [&str; 4] = ["reference", "subject", "status", "updatedAt"];

/// Outbox items spread over this many partitions, so that a burst of writes
/// does not all land on one; the sweeper queries each.
pub const OUTBOX_SHARDS: u32 = 4;

pub fn workspace_pk(slug: &WorkspaceSlug) -> String {
    format!("WS#{slug}")
}

pub fn agent_sk(agent: &str) -> String {
    format!("{AGENT_PREFIX}{agent}")
}

pub fn contact_sk(contact_id: &str) -> String {
    format!("CONTACT#{contact_id}")
}

pub fn idempotency_sk(key: &str) -> String {
    format!("IDEM#{}", sha256_hex(key.as_bytes()))
}

pub fn inbox_prefix(agent: &str) -> String {
    format!("INBOX#{agent}#")
}

pub fn inbox_sk(agent: &str, item_id: &str) -> String {
    format!("{}{item_id}", inbox_prefix(agent))
}

pub fn ticket_pk(slug: &WorkspaceSlug, reference: TicketRef) -> String {
    format!("T#{slug}#{reference}")
}

pub fn comment_sk(comment_id: &str) -> String {
    format!("{COMMENT_PREFIX}{comment_id}")
}

pub fn note_sk(note_id: &str) -> String {
    format!("{NOTE_PREFIX}{note_id}")
}

/// The contact index's partition value of a ticket.
pub fn contact_key(slug: &WorkspaceSlug, contact_id: &str) -> String {
    format!("{slug}#{contact_id}")
}

pub fn session_pk(session_hash: &str) -> String {
    format!("SESSION#{session_hash}")
}

pub fn access_pk(request_id: &str) -> String {
    format!("ACCESS#{request_id}")
}

pub fn token_pk(token_hash: &str) -> String {
    format!("TOKEN#{token_hash}")
}

pub fn effect_pk(effect_key: &str) -> String {
    format!("EFFECT#{effect_key}")
}

/// The outbox partition of an event: a small, stable hash of its id (ULIDs
/// end in 80 random bits, so events spread evenly).
pub fn outbox_shard(event_id: &str) -> u32 {
    event_id.bytes().fold(0u32, |hash, b| hash.wrapping_mul(31).wrapping_add(u32::from(b))) % OUTBOX_SHARDS
}

pub fn outbox_pk(shard: u32) -> String {
    format!("OUTBOX#{shard}")
}

/// The outbox item of `event`: its id names what happened, the kind what the worker does with it.
pub fn outbox_key(event: &PortalEvent) -> (String, String) {
    (outbox_pk(outbox_shard(&event.id)), format!("{}#{}", event.id, event.kind.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_shards_are_stable_and_all_used() {
        assert_eq!(outbox_shard("01JSAMPLETICKET0000000000"), outbox_shard("01JSAMPLETICKET0000000000"));
        let used: std::collections::BTreeSet<u32> =
            (0..64).map(|_| outbox_shard(&ulid::Ulid::new().to_string())).collect();
        assert_eq!(used, (0..OUTBOX_SHARDS).collect(), "64 fresh ids reach every shard");
    }
}

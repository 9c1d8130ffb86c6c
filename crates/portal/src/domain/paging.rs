//! Conversations are read a page at a time: the newest messages first, older
//! ones on request, so no ticket ever grows past what one answer can carry.

use std::fmt;

use ulid::Ulid;

/// Public messages per page (the JSON lookup and the ticket page).
pub const CONVERSATION_PAGE_SIZE: usize = 50;

/// Where an older page ends: the id of the oldest message already shown (a
/// comment's ULID). Only a ULID in its canonical form parses; anything else
/// is refused before it reaches the database.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommentCursor(String);

impl CommentCursor {
    pub fn parse(raw: &str) -> Option<Self> {
        let canonical = raw.len() == 26 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'Z'));
        let ulid = Ulid::from_string(raw).ok().filter(|_| canonical)?;
        (ulid.to_string() == raw).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CommentCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a cursor problem says, per field.
pub const BAD_CURSOR: &str = "This is not a page of this conversation.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_ulids_are_cursors() {
        let id = Ulid::new().to_string();
        assert_eq!(CommentCursor::parse(&id).unwrap().as_str(), id);
        for bad in [
            String::new(),
            id.to_lowercase(),
            format!("{id}0"),
            id[..25].to_owned(),
            "8ZZZZZZZZZZZZZZZZZZZZZZZZZ".into(), // past the largest ULID
            "01JDQ8W5M3ZC7N2V4X6B9K0TIL".into(), // I and L are not Crockford digits
            "01JDQ8W5M3ZC7N2V4X6B9K0T1#".into(),
            "C#01JDQ8W5M3ZC7N2V4X6B9K0T".into(),
            " 01JDQ8W5M3ZC7N2V4X6B9K0T1R".into(),
        ] {
            assert_eq!(CommentCursor::parse(&bad), None, "{bad:?}");
        }
    }
}

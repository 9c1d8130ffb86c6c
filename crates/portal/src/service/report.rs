//! Customer satisfaction across a workspace's tickets.

use super::workspace::AdminError;
use super::Portal;
use crate::domain::{Ticket, TicketRef, WorkspaceSlug};

/// How many recent comments a report quotes.
const RECENT_COMMENTS: usize = 5;

/// Ratings of a workspace: how many, their average, how they spread, and
/// what customers wrote lately.
#[derive(Debug, Clone, PartialEq)]
pub struct CsatReport {
    pub count: u64,
    /// Rounded to two decimals; `None` before the first rating.
    pub average: Option<f64>,
    /// How many ratings gave 1, 2, 3, 4 and 5 stars.
    pub distribution: [u64; 5],
    /// The newest rating comments, newest first.
    pub recent_comments: Vec<RecentComment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentComment {
    pub reference: TicketRef,
    pub stars: u8,
    pub comment: String,
    pub at: i64,
}

impl CsatReport {
    /// The report over `tickets` (unrated ones count for nothing).
    pub fn of(tickets: &[Ticket]) -> Self {
        let mut rated: Vec<&Ticket> = tickets.iter().filter(|t| t.rating.is_some()).collect();
        rated.sort_by_key(|t| std::cmp::Reverse(t.rating.as_ref().map(|r| r.at)));
        let mut distribution = [0u64; 5];
        for rating in rated.iter().filter_map(|t| t.rating.as_ref()) {
            distribution[usize::from(rating.stars.clamp(1, 5)) - 1] += 1;
        }
        let count = rated.len() as u64;
        let total: u64 = distribution.iter().enumerate().map(|(i, n)| (i as u64 + 1) * n).sum();
        let average = (count > 0).then(|| ((total as f64 / count as f64) * 100.0).round() / 100.0);
        let recent_comments = rated
            .iter()
            .filter_map(|t| {
                let rating = t.rating.as_ref()?;
                let comment = rating.comment.clone()?;
                Some(RecentComment { reference: t.reference, stars: rating.stars, comment, at: rating.at })
            })
            .take(RECENT_COMMENTS)
            .collect();
        Self { count, average, distribution, recent_comments }
    }
}

impl Portal {
    /// The CSAT report of a workspace.
    pub async fn csat_report(&self, slug: &WorkspaceSlug) -> Result<CsatReport, AdminError> {
        let (workspace, tickets) = tokio::join!(self.store.get_workspace(slug), self.store.list_tickets(slug));
        if workspace?.is_none() {
            return Err(AdminError::UnknownWorkspace(slug.clone()));
        }
        Ok(CsatReport::of(&tickets?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rating;

    fn rated(number: u64, stars: u8, comment: Option<&str>, at: i64) -> Ticket {
        let mut ticket = crate::domain::test_support::ticket();
        ticket.reference = TicketRef::from_number(number).unwrap();
        ticket.rating = Some(Rating { stars, comment: comment.map(str::to_owned), at });
        ticket
    }

    #[test]
    fn counts_averages_and_quotes_the_newest_comments() {
        let mut tickets: Vec<Ticket> = (1..=7).map(|n| rated(n, 5, Some("great"), n as i64)).collect();
        tickets.push(rated(8, 1, None, 100));
        tickets.push(rated(9, 2, Some("slow"), 50));
        tickets.push(crate::domain::test_support::ticket());
        let report = CsatReport::of(&tickets);
        assert_eq!(report.count, 9);
        assert_eq!(report.distribution, [1, 1, 0, 0, 7]);
        assert_eq!(report.average, Some(4.22), "(1 + 2 + 35) / 9");
        let quoted: Vec<u64> = report.recent_comments.iter().map(|c| c.reference.number()).collect();
        assert_eq!(quoted, [9, 7, 6, 5, 4], "newest first, only those with a comment, five at most");
        assert_eq!(CsatReport::of(&[]).average, None);
    }
}

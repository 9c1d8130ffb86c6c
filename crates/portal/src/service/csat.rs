//! The satisfaction survey behind a Rate Your Experience link.

use super::error::{unavailable_from_aws, Unavailable};
use super::Portal;
use crate::domain::csat::{survey_stands, Stars};
use crate::domain::secrets::{is_well_formed_token, token_hash};
use crate::domain::time::link_expired;
use crate::domain::{LinkToken, TokenPurpose};
use crate::domain::{MessageBody, Rating, TicketRef, Workspace, WorkspaceSlug};
use crate::store::RatingWrite;

/// Where a survey link stands.
#[derive(Debug, Clone)]
pub enum Survey {
    /// Ready for an answer.
    Open { workspace: Workspace, reference: TicketRef, token: LinkToken },
    /// Answered already.
    Rated { workspace: Workspace, reference: TicketRef },
}

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    /// Expired, unknown or forged: one answer for all.
    #[error("this link has expired")]
    Expired,
    #[error("already rated")]
    AlreadyRated { workspace: Workspace },
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_from_aws!(SurveyError);

impl Portal {
    /// The stored token behind `token` if it opens a survey of `slug` now, and
    /// the workspace. One round trip: both are read in parallel.
    async fn survey_token(
        &self,
        slug: &WorkspaceSlug,
        token: &str,
    ) -> Result<(Workspace, LinkToken, TicketRef), SurveyError> {
        if !is_well_formed_token(token) {
            return Err(SurveyError::Expired);
        }
        let hash = token_hash(token);
        let (stored, workspace) = tokio::join!(self.store.link_token(&hash), self.store.get_workspace(slug));
        let (stored, workspace) = (stored?, workspace?);
        let (Some(stored), Some(workspace)) = (stored, workspace) else {
            return Err(SurveyError::Expired);
        };
        let reference = match stored.reference {
            Some(reference) if stored.opens(TokenPurpose::Csat, slug, self.clock.now_unix()) => reference,
            _ => return Err(SurveyError::Expired),
        };
        Ok((workspace, stored, reference))
    }

    /// Reads a survey link without using it (mail scanners open links too).
    /// Two sequential round trips: the token and the workspace in parallel,
    /// then the ticket, whose current resolution the link must belong to.
    pub async fn survey(&self, slug: &WorkspaceSlug, token: &str) -> Result<Survey, SurveyError> {
        let (workspace, stored, reference) = self.survey_token(slug, token).await?;
        let ticket = self.store.get_ticket(&stored.workspace, reference).await?;
        if !ticket.is_some_and(|t| survey_stands(&t, &stored.subject_id)) {
            return Err(SurveyError::Expired);
        }
        if stored.used_at.is_some() {
            return Ok(Survey::Rated { workspace, reference });
        }
        Ok(Survey::Open { workspace, reference, token: stored })
    }

    /// Records the rating. Two sequential round trips: the token with the
    /// workspace, then one transaction that uses the token and rates the
    /// ticket, only while the ticket stands resolved by the token's
    /// resolution; of two concurrent answers exactly one wins. A used link
    /// goes through the transaction too, so that it answers "expired" once its
    /// resolution is superseded, as the survey page does.
    pub async fn rate(
        &self,
        slug: &WorkspaceSlug,
        token: &str,
        stars: Stars,
        comment: Option<MessageBody>,
    ) -> Result<(Workspace, TicketRef, Rating), SurveyError> {
        let (workspace, stored, reference) = self.survey_token(slug, token).await?;
        let rating = Rating { stars: stars.get(), comment: comment.map(|c| c.to_string()), at: self.clock.now_unix() };
        match self.store.record_rating(&token_hash(token), &stored, &rating).await? {
            RatingWrite::Recorded => {
                tracing::info!(workspace = %slug, reference = %reference, stars = rating.stars, "ticket rated");
                Ok((workspace, reference, rating))
            }
            RatingWrite::Superseded => Err(SurveyError::Expired),
            RatingWrite::TokenSpent if link_expired(stored.expires_at, self.clock.now_unix()) => {
                Err(SurveyError::Expired)
            }
            RatingWrite::TokenSpent => Err(SurveyError::AlreadyRated { workspace }),
        }
    }
}

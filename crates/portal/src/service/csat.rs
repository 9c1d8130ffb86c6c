//! The satisfaction survey behind a Rate Your Experience link.

use super::Portal;
use crate::aws::AwsError;
use crate::domain::csat::{link_expired, Stars};
use crate::domain::secrets::{is_well_formed_token, token_hash};
use crate::domain::{LinkToken, TokenPurpose};
use crate::domain::{MessageBody, Rating, TicketRef, Workspace, WorkspaceSlug};

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
    Unavailable(#[from] AwsError),
}

impl Portal {
    /// Reads a survey link without using it (mail scanners open links too).
    /// One sequential round trip: the token and the workspace in parallel.
    pub async fn survey(&self, slug: &WorkspaceSlug, token: &str) -> Result<Survey, SurveyError> {
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
        if stored.used_at.is_some() {
            return Ok(Survey::Rated { workspace, reference });
        }
        Ok(Survey::Open { workspace, reference, token: stored })
    }

    /// Records the rating. Two sequential round trips: the survey read, then one
    /// transaction that uses the token and rates the ticket; of two concurrent
    /// answers exactly one wins.
    pub async fn rate(
        &self,
        slug: &WorkspaceSlug,
        token: &str,
        stars: Stars,
        comment: Option<MessageBody>,
    ) -> Result<(Workspace, TicketRef, Rating), SurveyError> {
        match self.survey(slug, token).await? {
            Survey::Rated { workspace, .. } => Err(SurveyError::AlreadyRated { workspace }),
            Survey::Open { workspace, reference, token: stored } => {
                let rating =
                    Rating { stars: stars.get(), comment: comment.map(|c| c.to_string()), at: self.clock.now_unix() };
                if self.store.record_rating(&token_hash(token), &stored, &rating).await? {
                    tracing::info!(workspace = %slug, reference = %reference, stars = rating.stars, "ticket rated");
                    Ok((workspace, reference, rating))
                } else if link_expired(stored.expires_at, self.clock.now_unix()) {
                    Err(SurveyError::Expired)
                } else {
                    Err(SurveyError::AlreadyRated { workspace })
                }
            }
        }
    }
}

//! Operating the portal (through `portalctl`): workspaces, their branding and
//! widget sites, and their agents.

use super::error::{unavailable_from_aws, Unavailable};
use super::Portal;
use crate::domain::{AccentColour, Agent, Logo, TrackingMode, WidgetOrigin, Workspace, WorkspaceName, WorkspaceSlug};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no workspace {0}")]
    UnknownWorkspace(WorkspaceSlug),
    #[error("workspace {0} exists already (use workspace update)")]
    WorkspaceExists(WorkspaceSlug),
    #[error("no agent {0:?} in this workspace")]
    UnknownAgent(String),
    /// The id is another agent's: nothing was changed.
    #[error("agent {} exists ({})", existing.id, existing.email)]
    AgentExists { existing: Agent, suggestion: String },
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_from_aws!(AdminError);

/// What an update does to one setting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

/// The settings an update changes, every value already checked.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceUpdate {
    pub name: Option<WorkspaceName>,
    pub auto_assign: Option<bool>,
    pub tracking: Option<TrackingMode>,
    pub accent: Change<AccentColour>,
    pub logo: Change<Logo>,
    /// Replaces the whole list (`Clear`: the widget works on no site).
    pub widget_origins: Change<Vec<WidgetOrigin>>,
}

impl Portal {
    async fn existing_workspace(&self, slug: &WorkspaceSlug) -> Result<Workspace, AdminError> {
        self.store.get_workspace(slug).await?.ok_or_else(|| AdminError::UnknownWorkspace(slug.clone()))
    }

    /// A new workspace, live at once (its portal link works), without branding.
    pub async fn create_workspace(
        &self,
        slug: &WorkspaceSlug,
        name: WorkspaceName,
        auto_assign: bool,
    ) -> Result<Workspace, AdminError> {
        if self.store.get_workspace(slug).await?.is_some() {
            return Err(AdminError::WorkspaceExists(slug.clone()));
        }
        let workspace = Workspace::new(slug.clone(), name, auto_assign);
        self.store.save_workspace(&workspace).await?;
        Ok(workspace)
    }

    /// Changes a workspace's name, settings, branding and widget sites. A new
    /// logo's bytes are stored before the workspace names them, and a removed
    /// logo's bytes go after, so the workspace never points at a missing logo.
    pub async fn update_workspace(
        &self,
        slug: &WorkspaceSlug,
        update: WorkspaceUpdate,
    ) -> Result<Workspace, AdminError> {
        let mut workspace = self.existing_workspace(slug).await?;
        if let Some(name) = update.name {
            workspace.name = name.into();
        }
        if let Some(auto_assign) = update.auto_assign {
            workspace.auto_assign = auto_assign;
        }
        if let Some(tracking) = update.tracking {
            workspace.tracking = tracking;
        }
        match update.accent {
            Change::Keep => {}
            Change::Set(accent) => workspace.accent = Some(accent),
            Change::Clear => workspace.accent = None,
        }
        match update.widget_origins {
            Change::Keep => {}
            Change::Set(origins) => workspace.widget_origins = origins,
            Change::Clear => workspace.widget_origins.clear(),
        }
        match &update.logo {
            Change::Keep => {}
            Change::Set(logo) => {
                self.store.put_logo(slug, logo).await?;
                workspace.logo = Some(logo.reference());
            }
            Change::Clear => workspace.logo = None,
        }
        self.store.save_workspace(&workspace).await?;
        if matches!(update.logo, Change::Clear) {
            self.store.delete_logo(slug).await?;
        }
        Ok(workspace)
    }

    /// Adds an agent to an existing workspace. An id that is taken is
    /// refused, with another to suggest: adding never replaces an agent.
    pub async fn add_agent(&self, slug: &WorkspaceSlug, agent: Agent) -> Result<Agent, AdminError> {
        self.existing_workspace(slug).await?;
        match self.store.create_agent(slug, &agent).await? {
            Ok(()) => Ok(agent),
            Err(existing) => {
                let suggestion = agent.alternative_id();
                Err(AdminError::AgentExists { existing, suggestion })
            }
        }
    }

    /// The workspace's agents, ordered by id (the round-robin order).
    pub async fn list_agents(&self, slug: &WorkspaceSlug) -> Result<Vec<Agent>, AdminError> {
        let (workspace, agents) = tokio::join!(self.store.get_workspace(slug), self.store.list_agents(slug));
        if workspace?.is_none() {
            return Err(AdminError::UnknownWorkspace(slug.clone()));
        }
        Ok(agents?)
    }

    /// Takes an agent in or out of auto-assignment.
    pub async fn set_agent_availability(
        &self,
        slug: &WorkspaceSlug,
        agent_id: &str,
        available: bool,
    ) -> Result<Agent, AdminError> {
        let mut agent = self
            .store
            .list_agents(slug)
            .await?
            .into_iter()
            .find(|a| a.id == agent_id)
            .ok_or_else(|| AdminError::UnknownAgent(agent_id.to_owned()))?;
        agent.available = available;
        self.store.save_agent(slug, &agent).await?;
        Ok(agent)
    }
}

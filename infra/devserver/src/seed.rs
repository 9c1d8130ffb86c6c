//! The `demo` workspace that `make run` starts with.

use portal::aws::AwsError;
use portal::domain::{Agent, Workspace, WorkspaceSlug};
use portal::store::Store;

pub const DEMO_SLUG: &str = "demo";

/// "Demo Workspace" with two available agents and auto-assignment on. Safe to run again.
pub async fn seed_demo(store: &Store) -> Result<(), AwsError> {
    let Some(slug) = WorkspaceSlug::parse(DEMO_SLUG) else {
        return Err(AwsError { operation: "seed", detail: "bad demo slug".into() });
    };
    if store.get_workspace(&slug).await?.is_none() {
        store
            .save_workspace(&Workspace { slug: slug.clone(), name: "Demo Workspace".into(), auto_assign: true })
            .await?;
    }
    let existing = store.list_agents(&slug).await?;
    for (id, name) in [("alex", "Alex Agent"), ("sam", "Sam Support")] {
        if existing.iter().all(|a| a.id != id) {
            let agent =
                Agent { id: id.into(), name: name.into(), email: format!("{id}@agents.demo.example"), available: true };
            store.save_agent(&slug, &agent).await?;
        }
    }
    Ok(())
}

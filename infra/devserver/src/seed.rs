//! The `demo` workspace that `make run` starts with.

use portal::domain::{Agent, WidgetOrigin, Workspace, WorkspaceSlug};
use portal::store::Store;

/// What seeding can fail with: the emulator, or (never, with the constants here) a value.
pub type SeedError = Box<dyn std::error::Error>;

pub const DEMO_SLUG: &str = "demo";

/// Where `make run` serves the demo host page that embeds the widget
/// (`DEMO_PORT` moves it).
pub const DEMO_HOST_PORT: u16 = 8080;

/// The demo host page's origin: the site `demo` lets embed its widget.
pub fn demo_host_origin(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// "Demo Workspace" with two available agents and auto-assignment on, whose
/// widget the demo host page on port 8080 may embed. Safe to run again.
pub async fn seed_demo(store: &Store) -> Result<(), SeedError> {
    seed_demo_for_host(store, &demo_host_origin(DEMO_HOST_PORT)).await
}

/// [`seed_demo`] with the demo host page at `widget_origin`.
pub async fn seed_demo_for_host(store: &Store, widget_origin: &str) -> Result<(), SeedError> {
    let slug = WorkspaceSlug::parse(DEMO_SLUG).ok_or("bad demo slug")?;
    let origin = WidgetOrigin::parse(widget_origin)?;
    let mut workspace =
        store.get_workspace(&slug).await?.unwrap_or_else(|| Workspace::new(slug.clone(), "Demo Workspace", true));
    if !workspace.widget_origins.contains(&origin) {
        workspace.widget_origins.push(origin);
        store.save_workspace(&workspace).await?;
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

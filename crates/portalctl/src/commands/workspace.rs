//! `portalctl workspace create | update | show`.

use std::io::Write;

use portal::domain::widget_origin::parse_widget_origins;
use portal::domain::{AccentColour, Logo, TrackingMode, Workspace, WorkspaceName};
use portal::service::{AdminError, Change, WorkspaceUpdate};
use portal::Portal;

use super::slug;
use crate::cli::{Tracking, WorkspaceCommand};
use crate::output::{print, WorkspaceJson};
use crate::CtlError;

pub async fn run(command: &WorkspaceCommand, portal: &Portal, out: &mut dyn Write, json: bool) -> Result<(), CtlError> {
    match command {
        WorkspaceCommand::Create { slug: raw, name, auto_assign } => {
            let slug = slug(raw)?;
            let name = WorkspaceName::parse(name).map_err(CtlError::Refused)?;
            let workspace = portal.create_workspace(&slug, name, auto_assign.on()).await?;
            show(portal, out, json, &workspace)
        }
        WorkspaceCommand::Update {
            slug: raw,
            name,
            auto_assign,
            tracking,
            accent,
            clear_accent,
            logo,
            clear_logo,
            widget_origins,
            clear_widget_origins,
        } => {
            let slug = slug(raw)?;
            // Every value is checked before anything is written.
            let mut update = WorkspaceUpdate {
                auto_assign: auto_assign.map(|a| a.on()),
                tracking: tracking.map(|t| match t {
                    Tracking::Email => TrackingMode::Email,
                    Tracking::Link => TrackingMode::Link,
                }),
                ..Default::default()
            };
            if let Some(name) = name {
                update.name = Some(WorkspaceName::parse(name).map_err(CtlError::Refused)?);
            }
            if let Some(accent) = accent {
                let accent = AccentColour::parse(accent).map_err(|e| CtlError::Refused(format!("--accent: {e}")))?;
                update.accent = Change::Set(accent);
            }
            if *clear_accent {
                update.accent = Change::Clear;
            }
            if !widget_origins.is_empty() {
                let origins = parse_widget_origins(widget_origins)
                    .map_err(|e| CtlError::Refused(format!("--widget-origin: {e}")))?;
                update.widget_origins = Change::Set(origins);
            }
            if *clear_widget_origins {
                update.widget_origins = Change::Clear;
            }
            if let Some(path) = logo {
                let bytes = std::fs::read(path)
                    .map_err(|e| CtlError::Usage(format!("--logo: cannot read {}: {e}", path.display())))?;
                update.logo = Change::Set(Logo::parse(bytes).map_err(|e| CtlError::Refused(format!("--logo: {e}")))?);
            }
            if *clear_logo {
                update.logo = Change::Clear;
            }
            let workspace = portal.update_workspace(&slug, update).await?;
            show(portal, out, json, &workspace)
        }
        WorkspaceCommand::Show { slug: raw } => {
            let slug = slug(raw)?;
            let workspace = portal.workspace(&slug).await?.ok_or(AdminError::UnknownWorkspace(slug))?;
            show(portal, out, json, &workspace)
        }
    }
}

fn show(portal: &Portal, out: &mut dyn Write, json: bool, ws: &Workspace) -> Result<(), CtlError> {
    let links = portal.links();
    let value = WorkspaceJson {
        accent: ws.accent_hex().to_owned(),
        auto_assign: ws.auto_assign,
        custom_accent: ws.accent.is_some(),
        inbound_address: portal.inbound_address(&ws.slug),
        logo_url: ws.logo.as_ref().map(|logo| links.logo_url(&ws.slug, &logo.version)),
        name: ws.name.clone(),
        portal_url: links.submit_url(&ws.slug),
        slug: ws.slug.to_string(),
        tracking: ws.tracking.as_str().to_owned(),
        widget_origins: ws.widget_origins.iter().map(|o| o.to_string()).collect(),
        widget_script_tag: links.widget_script_tag(&ws.slug),
    };
    print(out, json, &value, || {
        let accent = match &ws.accent {
            Some(accent) => accent.to_string(),
            None => format!("{} (the portal's own)", ws.accent_hex()),
        };
        let logo = match (&ws.logo, &value.logo_url) {
            (Some(logo), Some(url)) => {
                format!("{}, {} KB: {url}", logo.format.content_type(), logo.size.div_ceil(1024))
            }
            _ => "none (the header shows the name)".into(),
        };
        let origins = if value.widget_origins.is_empty() {
            "none yet (add your site with --widget-origin https://...)".into()
        } else {
            value.widget_origins.join(", ")
        };
        format!(
            "{} ({})\nAuto-assignment: {}\nTracking:        {}\nAccent colour:   {accent}\nLogo:            {logo}\nWidget allowed on: {origins}\n\
             Widget script tag (paste into your site's HTML):\n  {}\nPortal link to share: {}\nEmail address:   {}\n",
            ws.name,
            ws.slug,
            if ws.auto_assign { "on" } else { "off" },
            match ws.tracking {
                TrackingMode::Email => "email (the reference and the email address open a ticket)",
                TrackingMode::Link => "link (a typed email only sends a link)",
            },
            value.widget_script_tag,
            value.portal_url,
            value.inbound_address.as_deref().unwrap_or("none (set INBOUND_DOMAIN to receive email)"),
        )
    })
}

//! `portalctl agent add | list | availability`.

use std::io::Write;

use portal::domain::{Agent, EmailAddress};
use portal::Portal;

use super::slug;
use crate::cli::AgentCommand;
use crate::output::{print, table, AgentJson, AvailabilityJson};
use crate::CtlError;

pub async fn run(command: &AgentCommand, portal: &Portal, out: &mut dyn Write, json: bool) -> Result<(), CtlError> {
    match command {
        AgentCommand::Add { slug: raw, name, email, id } => {
            let slug = slug(raw)?;
            let email = EmailAddress::parse(email).map_err(CtlError::Refused)?;
            let id = id
                .clone()
                .or_else(|| Agent::default_id(&email))
                .filter(|id| !id.is_empty())
                .ok_or_else(|| CtlError::Usage("give the agent an id with --id".into()))?;
            let agent = portal.add_agent(&slug, Agent::new(id, name, &email)).await?;
            print(out, json, &AgentJson::from(&agent), || {
                format!("Added agent {} ({}), available.\n", agent.id, agent.name)
            })
        }
        AgentCommand::List { slug: raw } => {
            let agents = portal.list_agents(&slug(raw)?).await?;
            let value: Vec<AgentJson> = agents.iter().map(AgentJson::from).collect();
            print(out, json, &value, || {
                let rows: Vec<Vec<String>> = agents
                    .iter()
                    .map(|a| {
                        vec![
                            a.id.clone(),
                            a.name.clone(),
                            a.email.clone(),
                            if a.available { "yes" } else { "no" }.into(),
                        ]
                    })
                    .collect();
                table(&["ID", "NAME", "EMAIL", "AVAILABLE"], &rows)
            })
        }
        AgentCommand::Availability { slug: raw, agent, state } => {
            let found = portal.set_agent_availability(&slug(raw)?, agent, state.on()).await?;
            let value = AvailabilityJson { available: found.available, id: found.id.clone() };
            print(out, json, &value, || {
                format!(
                    "{} is {} for auto-assignment.\n",
                    found.id,
                    if found.available { "available" } else { "unavailable" }
                )
            })
        }
    }
}

//! The stack every mode measures against: provisioned on the emulator, seeded
//! with the demo workspace and a pool of tickets, and the realistic event each
//! function gets.

use devserver::samples;
use portal::aws::AwsClients;
use portal::domain::client::ClientAddress;
use portal::domain::{NewTicket, SubmissionInput, WorkspaceSlug};
use portal::provision::{provision, Provisioned, StackNames};
use portal::Portal;
use serde_json::Value;

use crate::Error;

/// Tickets the reply benchmark spreads its replies over.
pub const REPLY_POOL: usize = 50;
const SENDER: &str = "support@portal.example";
const BASE_URL: &str = "https://portal.example";

/// The HTTP functions and the worker, in table order.
pub const FUNCTIONS: &[&str] = &["submit", "track", "reply", "csat", "assign-worker"];
pub const WORKER: &str = "assign-worker";

pub struct Stack {
    names: StackNames,
    provisioned: Provisioned,
    portal: Portal,
    ticket: NewTicket,
    demo: WorkspaceSlug,
    samples: Samples,
}

struct Samples {
    submit: Value,
    track: Value,
    reply: Value,
    csat: Value,
    worker: Value,
    hello: Value,
}

/// A distinct client address per request, so the rate limit never decides the path.
pub fn client_ip(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

fn with(mut event: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut event);
    event
}

impl Stack {
    /// Provisions a private copy of the stack (tables and queues named after
    /// `label`) through `AWS_ENDPOINT_URL` and seeds it with `tickets` tickets.
    /// The emulator copies a whole table per transaction, so writers that make
    /// hundreds of tickets get stacks of their own.
    pub async fn start(label: &str, tickets: usize) -> Result<Self, Error> {
        let names = StackNames::with_prefix(&format!("bench{}-{label}-", std::process::id()));
        let clients = AwsClients::from_env().await?;
        let provisioned = provision(&clients, &names, SENDER, 30).await?;
        let config = portal::config::Config::for_stack(&names, &provisioned, BASE_URL, SENDER);
        let store = portal::store::Store::new(clients.dynamodb.clone(), &names.table);
        let portal = Portal::new(config, clients);
        devserver::seed::seed_demo(&store).await?;
        samples::store_sample_survey_token(&store).await?;
        let demo = WorkspaceSlug::parse("demo").ok_or("slug")?;
        let input = SubmissionInput {
            name: "Ann Lee".into(),
            email: "ann@example.com".into(),
            subject: "Bench".into(),
            ..Default::default()
        };
        let ticket = NewTicket::parse(&input).map_err(|e| format!("{e:?}"))?;
        let samples = Samples {
            submit: samples::load("submit-api-post.json")?,
            track: samples::load("track-api-lookup.json")?,
            reply: samples::load("reply-api-post.json")?,
            csat: samples::load("csat-api-get.json")?,
            worker: samples::load("worker-ticket-created.json")?,
            hello: samples::load("submit-form-get.json")?,
        };
        let stack = Self { names, provisioned, portal, ticket, demo, samples };
        // Replies spread over a pool of tickets, as real traffic does.
        for n in 0..tickets {
            stack.submit_ticket(&format!("10.255.254.{n}")).await?;
        }
        Ok(stack)
    }

    pub fn portal(&self) -> &Portal {
        &self.portal
    }

    pub fn demo(&self) -> &WorkspaceSlug {
        &self.demo
    }

    /// The received-mail bucket (provisioned, empty).
    pub fn inbound_bucket(&self) -> &str {
        &self.names.inbound_bucket
    }

    async fn submit_ticket(&self, ip: &str) -> Result<portal::service::Receipt, Error> {
        Ok(self.portal.submit_ticket(&self.demo, self.ticket.clone(), ClientAddress::from_source_ip(ip), None).await?)
    }

    fn salt(&self) -> String {
        self.portal.config().rate_limit_salt.as_ref().map(|s| s.expose().to_owned()).unwrap_or_default()
    }

    /// A function's environment as Lambda would set it, with AWS at `aws_endpoint`.
    pub fn env(&self, aws_endpoint: &str, function: &str) -> Vec<(String, String)> {
        [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_ENDPOINT_URL", aws_endpoint.to_owned()),
            ("PORTAL_TABLE", self.names.table.clone()),
            ("RATE_LIMIT_TABLE", self.names.rate_limit_table.clone()),
            ("EVENTS_QUEUE_URL", self.provisioned.queue_url.clone()),
            ("PORTAL_BASE_URL", BASE_URL.into()),
            ("MAIL_FROM", SENDER.into()),
            // Every function refuses to start without a salt: give them the stack's.
            ("RATE_LIMIT_SALT", self.salt()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// What the hello floor and the peers get (they ignore it).
    pub fn hello_event(&self) -> Value {
        self.samples.hello.clone()
    }

    /// The `i`-th realistic API Gateway event for an HTTP function.
    pub fn http_event(&self, function: &str, i: usize) -> Value {
        let s = &self.samples;
        match function {
            "submit" => with(s.submit.clone(), |e| {
                e["requestContext"]["http"]["sourceIp"] = Value::String(client_ip(i));
                e["headers"]["idempotency-key"] = Value::String(format!("bench-submit-{}-{i:08}", std::process::id()));
            }),
            "track" => s.track.clone(),
            "reply" => with(s.reply.clone(), |e| {
                let reference = format!("TKT-{:04}", i % REPLY_POOL + 1);
                e["headers"]["idempotency-key"] = Value::String(format!("bench-reply-{}-{i:08}", std::process::id()));
                // One address per reply, as for submit: the reply limit counts per client.
                e["requestContext"]["http"]["sourceIp"] = Value::String(client_ip(i));
                e["pathParameters"]["ref"] = Value::String(reference.clone());
                let path = format!("/api/portal/demo/tickets/{reference}/replies");
                e["rawPath"] = Value::String(path.clone());
                e["requestContext"]["http"]["path"] = Value::String(path);
            }),
            "csat" => s.csat.clone(),
            _ => self.hello_event(),
        }
    }

    /// An SQS batch of `records` `ticket_created` messages, each for a ticket
    /// submitted just now, so every record does the full work (assignment,
    /// two emails) rather than finding it done.
    pub async fn fresh_worker_batch(&self, records: usize, first_ip: usize) -> Result<Value, Error> {
        let template = self.samples.worker["Records"][0].clone();
        let mut batch = Vec::with_capacity(records);
        for n in 0..records {
            let receipt = self.submit_ticket(&client_ip(first_ip + n)).await?;
            let body = serde_json::json!({"v": 1, "kind": "ticket_created", "workspace": "demo", "reference": receipt.reference, "id": receipt.ticket_id});
            batch.push(with(template.clone(), |r| {
                r["messageId"] = Value::String(format!("bench-{}-{}", std::process::id(), first_ip + n));
                r["body"] = Value::String(body.to_string());
                r["attributes"]["SentTimestamp"] = Value::String((portal::domain::time::now_unix() * 1000).to_string());
            }));
        }
        Ok(serde_json::json!({ "Records": batch }))
    }
}

//! A fresh copy of the stack per test: its own tables and queues (unique name
//! prefix) on the shared emulator, the dev server on a random port, and an
//! HTTP client that can choose its source address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_sdk_dynamodb::config::retry::RetryPartition;

use devserver::httpc::{self, HttpResponse};
use devserver::proxy::{FaultProxy, SentEmail};
use devserver::server::{serve, DevServer};
use portal::aws::AwsClients;
use portal::config::Config;
use portal::domain::clock::{Clock, ManualClock};
use portal::domain::{PortalEvent, Ticket, TicketRef, WorkspaceSlug};
use portal::entry::worker::Worker;
use portal::provision::{provision, Provisioned, StackNames};
use portal::service::Sweep;
use portal::store::Store;
use portal::Portal;

pub struct Stack {
    pub portal: Arc<Portal>,
    /// The stack's table, read and written directly (seeding, checking what was stored).
    pub store: Store,
    /// The SDK clients the portal uses (through the proxy).
    pub clients: AwsClients,
    pub names: StackNames,
    pub provisioned: Provisioned,
    pub addr: SocketAddr,
    /// The same server on IPv6 loopback (`[::1]`), when the host has IPv6.
    pub addr6: Option<SocketAddr>,
    /// Every AWS call of this stack goes through it: read sent mail, inject faults.
    pub proxy: FaultProxy,
    /// The portal's clock, when the test moves it ([`Stack::start_with_manual_clock`]).
    pub clock: Option<ManualClock>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// The emulators stacks run on, in turn. moto takes DynamoDB requests one at a
/// time on one core, so `make test` starts one per core and lists them in
/// `PORTAL_TEST_EMULATORS`; else the one in `AWS_ENDPOINT_URL`.
pub fn emulator_endpoint() -> String {
    static EMULATORS: OnceLock<Vec<String>> = OnceLock::new();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let emulators = EMULATORS.get_or_init(|| {
        let listed = std::env::var("PORTAL_TEST_EMULATORS").unwrap_or_default();
        let listed: Vec<String> = listed.split(',').map(str::trim).filter(|e| !e.is_empty()).map(Into::into).collect();
        if !listed.is_empty() {
            return listed;
        }
        vec![std::env::var("AWS_ENDPOINT_URL")
            .expect("AWS_ENDPOINT_URL is not set: run the tests with `make test`, which starts the emulator")]
    });
    emulators[NEXT.fetch_add(1, Ordering::Relaxed) % emulators.len()].clone()
}

/// SDK clients for `endpoint`: the SDK's standard retries with as many attempts
/// as everywhere else (`AWS_MAX_ATTEMPTS`), but backing off at most a second
/// instead of 20, so that tests failing calls on purpose (SES down, throttling)
/// do not sit out minutes of backoff. Each call gets retry token buckets of its
/// own, as each Lambda process has: the SDK shares one bucket per service
/// across the process, and in one test binary a test that fails calls on
/// purpose would use up the retries of every other test.
pub async fn clients_for(endpoint: &str) -> AwsClients {
    let http = portal::aws::http_client().expect("TLS configuration");
    let sdk = portal::aws::sdk_loader_on(&http).endpoint_url(endpoint).load().await;
    let retry = sdk
        .retry_config()
        .cloned()
        .unwrap_or_else(RetryConfig::standard)
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_secs(1));
    let sdk = sdk.into_builder().retry_config(retry).build();
    let own = |service: &'static str| RetryPartition::custom(service).build();
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(&sdk).retry_partition(own("dynamodb")).build();
    let sqs = aws_sdk_sqs::config::Builder::from(&sdk).retry_partition(own("sqs")).build();
    let ses = aws_sdk_sesv2::config::Builder::from(&sdk).retry_partition(own("sesv2")).build();
    AwsClients {
        dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
        sqs: aws_sdk_sqs::Client::from_conf(sqs),
        ses: Some(aws_sdk_sesv2::Client::from_conf(ses)),
        s3: Some(portal::aws::s3_client(&sdk)),
        objects: Some(portal::aws::s3_get::ObjectReader::new(&sdk, &http)),
    }
}

pub fn demo() -> WorkspaceSlug {
    WorkspaceSlug::parse("demo").unwrap()
}

pub fn tkt(n: u64) -> TicketRef {
    TicketRef::from_number(n).unwrap()
}

/// A distinct loopback address per index: 127.0.x.y.
pub fn client_ip(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, (i / 250 + 1) as u8, (i % 250 + 2) as u8))
}

/// The queue visibility timeout of test stacks: failed records come back quickly.
const FAILURE_TEST_VISIBILITY_SECS: u32 = 2;

impl Stack {
    pub async fn start() -> Stack {
        Self::start_with(|_| {}).await
    }

    /// Starts a stack whose portal (server, worker, sweeper) reads the time
    /// from a manual clock starting now: move it with [`Stack::advance`].
    pub async fn start_with_manual_clock() -> Stack {
        let manual = ManualClock::starting_at(portal::domain::time::now_unix());
        let mut stack = Self::start_on(manual.clock(), |_| {}).await;
        stack.clock = Some(manual);
        stack
    }

    /// Starts a stack after `tune` adjusts its configuration.
    pub async fn start_with(tune: impl FnOnce(&mut Config)) -> Stack {
        Self::start_on(Clock::system(), tune).await
    }

    /// Starts a stack whose failed records come back after `secs` rather than
    /// the failure tests' 2 s: for load tests, whose records may fail while
    /// the emulator is swamped and must not use up their five receives in the
    /// seconds that lasts (Lambda's queue waits six function timeouts).
    pub async fn start_with_visibility(secs: u32) -> Stack {
        Self::start_provisioned(Clock::system(), |_| {}, secs).await
    }

    /// Starts a stack whose every "now" (limits, expiries, timestamps) reads
    /// `clock`: move it to cross a window instead of sleeping.
    pub async fn start_with_clock(clock: &ManualClock, tune: impl FnOnce(&mut Config)) -> Stack {
        let mut stack = Self::start_on(clock.clock(), tune).await;
        stack.clock = Some(clock.clone());
        stack
    }

    /// Starts a stack on `clock` with the default configuration.
    pub async fn start_at(clock: &ManualClock) -> Stack {
        Self::start_with_clock(clock, |_| {}).await
    }

    async fn start_on(clock: Clock, tune: impl FnOnce(&mut Config)) -> Stack {
        Self::start_provisioned(clock, tune, FAILURE_TEST_VISIBILITY_SECS).await
    }

    async fn start_provisioned(clock: Clock, tune: impl FnOnce(&mut Config), visibility_secs: u32) -> Stack {
        let endpoint = emulator_endpoint();
        let emulator: SocketAddr = endpoint.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
        let proxy = FaultProxy::start(emulator).await.unwrap();
        let clients = clients_for(&proxy.endpoint()).await;
        let names = StackNames::with_prefix(&format!("t{}-", ulid::Ulid::new().to_string().to_lowercase()));
        let sender = "support@portal.example";
        let provisioned =
            provision(&clients, &names, sender, visibility_secs).await.expect("provision the stack on the emulator");
        let listener = devserver::server::listen(0).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = Config::for_stack(&names, &provisioned, &format!("http://{addr}"), sender);
        tune(&mut config);
        let store = Store::new(clients.dynamodb.clone(), &names.table);
        let portal = Arc::new(Portal::with_clock(config, clients.clone(), clock));
        devserver::seed::seed_demo(&store).await.expect("seed demo");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = DevServer { portal: portal.clone(), emulator };
        let (addr6, stopped6) = match tokio::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).await {
            Ok(listener6) => {
                let addr6 = listener6.local_addr().ok();
                let (tx6, rx6) = tokio::sync::oneshot::channel::<()>();
                tokio::spawn(serve(listener6, server.clone(), async move {
                    let _ = rx6.await;
                }));
                (addr6, Some(tx6))
            }
            Err(_) => (None, None),
        };
        tokio::spawn(serve(listener, server, async move {
            let _ = rx.await;
            drop(stopped6);
        }));
        Stack { portal, store, clients, names, provisioned, addr, addr6, proxy, clock: None, _shutdown: tx }
    }

    /// Sends a request to the handler of the route's function exactly as the
    /// dev server does (the same API Gateway event), as if from `peer`: for
    /// sources no loopback socket can have (any IPv6 address but `::1`).
    pub async fn invoke_from(
        &self,
        peer: IpAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        let (path_only, query) = path.split_once('?').unwrap_or((path, ""));
        let method_value: http::Method = method.parse().unwrap();
        let (route, params) = portal::web::routes::resolve(&method_value, path_only).expect("a route of the table");
        let raw = devserver::apigw::RawRequest {
            method,
            path: path_only,
            query,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body,
            peer,
        };
        let event = devserver::apigw::event(&raw, route, &params);
        let request = devserver::apigw::lambda_request(&event).unwrap();
        let response = devserver::server::invoke(&self.portal, route.function, request).await;
        let (parts, body) = response.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = match body {
            lambda_http::Body::Text(text) => text.into_bytes(),
            lambda_http::Body::Binary(bytes) => bytes,
            _ => Vec::new(),
        };
        HttpResponse { status: parts.status.as_u16(), headers, body }
    }

    /// Moves the manual clock on by `secs` (the stack must have one).
    pub fn advance(&self, secs: i64) {
        self.clock.as_ref().expect("start the stack with Stack::start_with_manual_clock").advance(secs);
    }

    /// One run of the outbox sweeper, as its schedule would start it.
    pub async fn sweep(&self) -> Sweep {
        self.portal.sweep_outbox().await.unwrap()
    }

    /// The events still waiting in the outbox for the worker's acknowledgement.
    pub async fn outbox(&self) -> Vec<PortalEvent> {
        self.store.due_events(i64::MAX / 2).await.unwrap()
    }

    pub fn worker(&self) -> Worker {
        Worker::new((*self.portal).clone()).unwrap()
    }

    /// Runs the worker until no message is visible on the queue.
    pub async fn drain(&self) {
        let worker = self.worker();
        let queue = &self.provisioned;
        while devserver::sqs_trigger::deliver_once(&worker, &self.clients.sqs, queue, 0).await.unwrap() > 0 {}
    }

    /// One delivery to the worker as soon as messages are visible: a long poll,
    /// so records that failed come back the moment the stack's visibility
    /// timeout ends, with no sleep. How many records it delivered.
    pub async fn deliver_when_visible(&self) -> usize {
        let (worker, queue) = (self.worker(), &self.provisioned);
        devserver::sqs_trigger::deliver_once(&worker, &self.clients.sqs, queue, 10).await.unwrap()
    }

    /// Runs `pollers` workers (like Lambda scaling out) until `done` holds, or panics after `limit`.
    pub async fn drain_until(&self, pollers: usize, limit: std::time::Duration, done: impl Fn(&Stack) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            assert!(tokio::time::Instant::now() < deadline, "worker did not finish within {limit:?}");
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..pollers {
                let worker = self.worker();
                let (sqs, queue) = (self.clients.sqs.clone(), self.provisioned.clone());
                tasks.spawn(
                    async move { devserver::sqs_trigger::deliver_once(&worker, &sqs, &queue, 0).await.unwrap() },
                );
            }
            let mut received = 0;
            while let Some(n) = tasks.join_next().await {
                received += n.unwrap();
            }
            if received == 0 {
                // Failed records come back after the visibility timeout.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
        }
    }

    /// Runs portalctl in-process against this stack: (exit code, output).
    pub async fn portalctl(&self, args: &[&str]) -> (i32, String) {
        use clap::Parser;
        use std::io::Write;
        let cli = portalctl::Cli::parse_from(std::iter::once("portalctl").chain(args.iter().copied()));
        let mut out = Vec::new();
        let code = match portalctl::run(&cli, &self.portal, &mut out).await {
            Ok(()) => 0,
            Err(err) => {
                writeln!(out, "{err}").unwrap();
                err.exit_code()
            }
        };
        (code, String::from_utf8(out).unwrap())
    }

    /// Receives up to ten messages without deleting them (as a worker that dies would).
    pub async fn receive_batch(&self) -> Vec<aws_sdk_sqs::types::Message> {
        self.clients
            .sqs
            .receive_message()
            .queue_url(&self.provisioned.queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    }

    pub fn emails_to(&self, address: &str) -> Vec<SentEmail> {
        self.proxy.sent_emails().into_iter().filter(|m| m.to.iter().any(|t| t == address)).collect()
    }

    pub async fn get(&self, path: &str) -> HttpResponse {
        httpc::send(self.addr, None, "GET", path, &[], b"").await.unwrap()
    }

    pub async fn post_form_from(&self, source: IpAddr, path: &str, fields: &[(&str, &str)]) -> HttpResponse {
        let body = form_encode(fields);
        httpc::send(
            self.addr,
            Some(source),
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
        .await
        .unwrap()
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> HttpResponse {
        self.post_form_from(IpAddr::V4(Ipv4Addr::LOCALHOST), path, fields).await
    }

    pub async fn post_json_from(
        &self,
        source: IpAddr,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> HttpResponse {
        post_json_to(self.addr, source, path, body, headers).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> HttpResponse {
        self.post_json_from(IpAddr::V4(Ipv4Addr::LOCALHOST), path, body, &[]).await
    }

    pub async fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        httpc::send(self.addr, None, method, path, headers, body).await.unwrap()
    }

    pub async fn ticket(&self, n: u64) -> Option<Ticket> {
        self.store.get_ticket(&demo(), tkt(n)).await.unwrap()
    }

    pub async fn ticket_count(&self) -> u64 {
        self.store.ticket_count(&demo()).await.unwrap().unwrap_or(0)
    }

    /// Bodies of the messages waiting on the events queue (received, then made visible again).
    pub async fn queued_messages(&self) -> Vec<String> {
        let sqs = &self.clients.sqs;
        let mut bodies = Vec::new();
        loop {
            let out = sqs
                .receive_message()
                .queue_url(&self.provisioned.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(30)
                .send()
                .await
                .unwrap();
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return bodies;
            }
            bodies.extend(messages.into_iter().filter_map(|m| m.body));
        }
    }
}

/// Statuses counted, e.g. {201: 10, 429: 40}.
pub fn tally(statuses: impl IntoIterator<Item = u16>) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for status in statuses {
        *counts.entry(status).or_default() += 1;
    }
    counts
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The hidden idempotency key of a rendered form.
pub fn form_key(html: &str) -> String {
    let marker = r#"name="idempotency_key" value=""#;
    let start = html.find(marker).expect("form has an idempotency key") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

pub fn ticket_fields<'a>(name: &'a str, email: &'a str, subject: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("name", name), ("email", email), ("subject", subject), ("description", ""), ("type", "support_request")]
}

/// POSTs JSON from `source` to the dev server at `addr`; a free function so
/// spawned tasks (load tests) can use it without borrowing the stack.
pub async fn post_json_to(
    addr: SocketAddr,
    source: IpAddr,
    path: &str,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> HttpResponse {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    httpc::send(addr, Some(source), "POST", path, &all, body.to_string().as_bytes()).await.unwrap()
}

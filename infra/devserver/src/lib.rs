//! The local stack without Docker: API Gateway and the SQS event source mapping
//! stood in for by a small server, with every AWS call going to the moto
//! emulator through `AWS_ENDPOINT_URL`.

pub mod accept;
pub mod apigw;
pub mod demo_host;
pub mod httpc;
pub mod inbound;
pub mod mail;
pub mod proxy;
pub mod runtime_api;
pub mod samples;
pub mod schedule;
pub mod seed;
pub mod server;
pub mod ses_event;
pub mod smtp;
pub mod sqs_trigger;

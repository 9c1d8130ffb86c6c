//! Turns a plain HTTP request into the API Gateway HTTP API (payload 2.0)
//! event AWS would send, and that event into the `lambda_http::Request` the
//! function's handler receives, through `lambda_http`'s own deserializer.

use std::net::IpAddr;

use base64::Engine;
use portal::web::routes::{Params, Route};
use serde_json::{json, Map, Value};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

/// `requestContext.time` as API Gateway writes it: `25/Nov/2026:16:00:00 +0000`.
const REQUEST_TIME: &[BorrowedFormatItem<'_>] = format_description!(
    "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
);

fn request_time(at: OffsetDateTime) -> String {
    // Only a year past 9999 could fail to format.
    at.format(REQUEST_TIME).unwrap_or_default()
}

/// What the dev server read off the socket.
pub struct RawRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
    pub peer: IpAddr,
}

/// The event, as JSON, exactly in API Gateway's shape. Bodies travel base64
/// encoded so that any bytes arrive unchanged.
pub fn event(raw: &RawRequest<'_>, route: &Route, params: &Params) -> Value {
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &raw.headers {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            cookies.extend(value.split(';').map(|c| Value::String(c.trim().to_owned())));
            continue;
        }
        // API Gateway joins repeated headers with commas.
        match headers.get_mut(&name) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(value);
            }
            _ => {
                headers.insert(name, Value::String(value.clone()));
            }
        }
    }
    let mut path_parameters = Map::new();
    for (name, value) in [("slug", &params.slug), ("ref", &params.reference), ("token", &params.token)] {
        if route.path.contains(&format!("{{{name}}}")) {
            path_parameters.insert(name.into(), Value::String(value.clone()));
        }
    }
    let route_key = format!("{} {}", route.method, route.path);
    let user_agent = headers.get("user-agent").cloned().unwrap_or(Value::String(String::new()));
    let host = headers.get("host").cloned().unwrap_or(Value::String("127.0.0.1".into()));
    let now = OffsetDateTime::now_utc();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as u64;
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw.path,
        "rawQueryString": raw.query,
        "headers": headers,
        "pathParameters": path_parameters,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": "local",
            "http": {
                "method": raw.method,
                "path": raw.path,
                "protocol": "HTTP/1.1",
                "sourceIp": raw.peer.to_string(),
                "userAgent": user_agent,
            },
            "requestId": ulid::Ulid::new().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": request_time(now),
            "timeEpoch": now_ms,
        },
        "isBase64Encoded": !raw.body.is_empty(),
    });
    if !cookies.is_empty() {
        event["cookies"] = Value::Array(cookies);
    }
    if !raw.body.is_empty() {
        event["body"] = Value::String(base64::engine::general_purpose::STANDARD.encode(raw.body));
    }
    event
}

/// The request the function sees for `event`.
pub fn lambda_request(event: &Value) -> Result<lambda_http::Request, String> {
    lambda_http::request::from_str(&event.to_string()).map_err(|e| format!("not an API Gateway event: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_time_is_written_as_api_gateway_writes_it() {
        let at = OffsetDateTime::from_unix_timestamp(1_795_622_400).unwrap();
        assert_eq!(request_time(at), "25/Nov/2026:16:00:00 +0000");
        let early = OffsetDateTime::from_unix_timestamp(1_772_766_245).unwrap();
        assert_eq!(request_time(early), "06/Mar/2026:03:04:05 +0000");
    }

    #[test]
    fn the_sample_events_use_the_same_format() {
        for (name, _) in crate::samples::HTTP_SAMPLES {
            let sample = crate::samples::load(name).unwrap();
            let context = &sample["requestContext"];
            let epoch_ms = context["timeEpoch"].as_i64().unwrap();
            let at = OffsetDateTime::from_unix_timestamp(epoch_ms / 1000).unwrap();
            assert_eq!(context["time"].as_str(), Some(request_time(at).as_str()), "{name}");
        }
    }
}

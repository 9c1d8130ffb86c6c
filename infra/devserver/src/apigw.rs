//! Turns a plain HTTP request into the API Gateway HTTP API (payload 2.0)
//! event AWS would send, and that event into the `lambda_http::Request` the
//! function's handler receives, through `lambda_http`'s own deserializer.

use std::net::IpAddr;

use base64::Engine;
use portal::web::routes::{Params, Route};
use serde_json::{json, Map, Value};

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
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
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
            "time": portal::domain::time::rfc3339((now_ms / 1000) as i64),
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

//! Reading requests: the client address API Gateway saw, and bodies parsed
//! strictly (size, content type, UTF-8, duplicated fields) with clear errors.

use std::collections::HashMap;

use cookie::Cookie;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use percent_encoding::percent_decode;
use serde::de::DeserializeOwned;

use super::failure::Failure;
use crate::domain::client::ClientAddress;

/// Largest body we read. A full form with a 5,000-character description of
/// four-byte characters, percent-encoded, is about 60 KB.
pub const MAX_BODY_BYTES: usize = 128 * 1024;

/// The client the rate limits count: the TCP peer as API Gateway (or the dev
/// server) recorded it, an IPv6 client per /64. Headers such as
/// X-Forwarded-For are client-controlled and never consulted.
pub fn client_address(req: &Request) -> ClientAddress {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.as_deref(),
        _ => None,
    }
    .map_or(ClientAddress::Unknown, ClientAddress::from_source_ip)
}

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

fn media_type(req: &Request) -> String {
    req.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn checked_body<'a>(req: &'a Request, expected: &'static str) -> Result<&'a [u8], Failure> {
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Failure::TooLarge { limit_bytes: MAX_BODY_BYTES });
    }
    if media_type(req) != expected {
        return Err(Failure::UnsupportedMediaType { expected });
    }
    Ok(bytes)
}

/// Fields of an `application/x-www-form-urlencoded` body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Form(HashMap<String, String>);

impl Form {
    /// The field's value, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    /// Parses strictly: every name and value must decode to UTF-8, and a field
    /// may appear once (a duplicated field is an attempt to confuse, not a typo).
    /// `form_urlencoded` splits and decodes; it passes a broken escape through
    /// and replaces bad UTF-8, so both are refused before it runs.
    pub fn parse(bytes: &[u8]) -> Result<Self, Failure> {
        if !escapes_are_whole(bytes) {
            return Err(Failure::Malformed("a percent escape in the form is broken".into()));
        }
        // `&`, `=` and `+` are ASCII, which no UTF-8 sequence contains, so the
        // whole body decodes to UTF-8 exactly when every name and value does.
        if percent_decode(bytes).decode_utf8().is_err() {
            return Err(Failure::Malformed("the form is not valid UTF-8 text".into()));
        }
        let mut fields = HashMap::new();
        for (name, value) in form_urlencoded::parse(bytes) {
            if fields.contains_key(name.as_ref()) {
                return Err(Failure::Malformed(format!("the field {name:?} was sent more than once")));
            }
            fields.insert(name.into_owned(), value.into_owned());
        }
        Ok(Self(fields))
    }
}

/// Every `%` is followed by exactly two hex digits ("%+D" is no escape,
/// though `u8::from_str_radix` would read "+D" as 13).
fn escapes_are_whole(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'%')
        .all(|(i, _)| bytes.get(i + 1..i + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)))
}

pub fn form(req: &Request) -> Result<Form, Failure> {
    Form::parse(checked_body(req, "application/x-www-form-urlencoded")?)
}

pub fn json<T: DeserializeOwned>(req: &Request) -> Result<T, Failure> {
    let bytes = checked_body(req, "application/json")?;
    let text = std::str::from_utf8(bytes).map_err(|_| Failure::Malformed("the body is not valid UTF-8".into()))?;
    // serde also fills a struct from an array, field by field in order; every body
    // of the API is an object, so `["ann@example.com"]` is malformed, not an email.
    if !text.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('{') {
        return Err(Failure::Malformed("the JSON body must be an object".into()));
    }
    serde_json::from_str(text).map_err(|e| Failure::Malformed(format!("the JSON body is not valid: {e}")))
}

/// A request header as text, if present. A value that is not visible ASCII reads
/// as "": present but unusable, so that it is refused like any other bad value
/// instead of passing for an absent header (an ignored Idempotency-Key would make
/// a client's retries create duplicates).
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).map(|v| v.to_str().unwrap_or(""))
}

/// A query-string parameter, if present (the first, if repeated).
pub fn query<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_string_parameters_ref().and_then(|params| params.first(name))
}

/// The value of the cookie `name` that passes `usable`: browsers send the
/// most specific path first, so the first usable one is the page's own.
pub fn cookie<'a>(req: &'a Request, name: &str, usable: impl Fn(&str) -> bool) -> Option<&'a str> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|cookie| cookie.name() == name)
        .filter_map(|cookie| cookie.value_raw())
        .find(|value| usable(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_strictly() {
        let form = Form::parse(b"name=Ann+Lee&email=ann%40example.com&empty=&flag").unwrap();
        assert_eq!(form.get("name"), "Ann Lee");
        assert_eq!(form.get("email"), "ann@example.com");
        assert_eq!(form.get("empty"), "");
        assert_eq!(form.get("missing"), "");
        assert_eq!(Form::parse("name=J%C3%BCrgen".as_bytes()).unwrap().get("name"), "Jürgen");
        assert!(matches!(Form::parse(b"name=a&name=b"), Err(Failure::Malformed(_))));
        assert!(matches!(Form::parse(b"name=%FF%FE"), Err(Failure::Malformed(_))));
        assert!(matches!(Form::parse(b"name=%G1"), Err(Failure::Malformed(_))));
        assert!(matches!(Form::parse(b"name=%4"), Err(Failure::Malformed(_))));
        // Found by fuzz/: a sign is not a hex digit ("%+D" once decoded to a carriage return).
        assert!(matches!(Form::parse(b"name=%+D"), Err(Failure::Malformed(_))));
        assert!(matches!(Form::parse(b"name=%-1"), Err(Failure::Malformed(_))));
    }
}

//! The sender of a mail: an address in the one form this crate produces, its
//! display name, and the portal's own addresses (to recognise mail from itself).

use std::fmt;

use crate::text::single_line;

/// Longest address (RFC 5321's path limit less the angle brackets).
pub const MAX_ADDRESS_CHARS: usize = 254;
const MAX_LOCAL_PART_CHARS: usize = 64;
const MAX_DOMAIN_LABEL_CHARS: usize = 63;
/// Longest display name kept; the portal shortens further to its own name limit.
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;

/// A mailbox address `local@domain`: trimmed, the domain lower-cased, the local
/// part exactly as sent (RFC 5321 lets it be case-sensitive; the portal's own
/// comparison rule lower-cases the whole address, which it applies itself).
///
/// Accepted: one `@`; a local part of 1 to 64 characters without whitespace,
/// control characters or any of `<>()[]\,;:"@` (so no quoted local parts); a
/// domain of dot-separated labels of letters, digits and inner hyphens (no IP
/// literals); at most 254 characters in all. Anything else is not an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SenderAddress(String);

impl SenderAddress {
    /// The address, or `None` when `raw` breaks a rule above.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (local, domain) = raw.rsplit_once('@')?;
        let local_ok = (1..=MAX_LOCAL_PART_CHARS).contains(&local.chars().count())
            && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"@".contains(c));
        let domain_ok = !domain.is_empty() && domain.split('.').all(is_domain_label);
        let address = format!("{local}@{}", domain.to_lowercase());
        (local_ok && domain_ok && address.chars().count() <= MAX_ADDRESS_CHARS).then_some(Self(address))
    }

    /// `local@domain`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    /// The lower-cased part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

impl fmt::Display for SenderAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_domain_label(label: &str) -> bool {
    (1..=MAX_DOMAIN_LABEL_CHARS).contains(&label.chars().count())
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// The address in angle brackets of a `From` value's first mailbox, read from
/// the raw header: `unq@example.com` in `<b>Bold</b> Name <unq@example.com>`,
/// where a lenient parser glues the markup's brackets into the address. Quoted
/// strings and comments are skipped (`"<victim@example.com>" <me@example.org>`
/// is `me@example.org`), and so are brackets holding no `@`. `None` when the
/// first mailbox has no such brackets (a bare `ann@example.com`).
pub(crate) fn bracketed_address(raw: &[u8]) -> Option<SenderAddress> {
    let value = String::from_utf8_lossy(raw);
    let (mut quoted, mut escaped, mut comment_depth) = (false, false, 0usize);
    let mut group: Option<String> = None;
    for c in value.chars() {
        if escaped {
            escaped = false;
            if let Some(g) = group.as_mut() {
                g.push(c);
            }
            continue;
        }
        match (c, group.as_mut()) {
            ('\\', _) if quoted || comment_depth > 0 => escaped = true,
            ('"', None) if comment_depth == 0 => quoted = !quoted,
            _ if quoted => {}
            ('(', None) => comment_depth += 1,
            (')', None) if comment_depth > 0 => comment_depth -= 1,
            _ if comment_depth > 0 => {}
            ('<', _) => group = Some(String::new()),
            ('>', Some(inner)) => {
                if inner.contains('@') {
                    return SenderAddress::parse(inner);
                }
                group = None;
            }
            // The first mailbox ends at a comma outside quotes, comments and brackets.
            (',', None) => return None,
            (c, Some(inner)) => inner.push(c),
            _ => {}
        }
    }
    None
}

/// A display name (`Renée Müller` in `Renée Müller <renee@example.com>`), RFC 2047
/// decoded by the parser, on one line without control characters, at most
/// [`MAX_DISPLAY_NAME_CHARS`] characters; empty when the mail gives none.
pub(crate) fn display_name(raw: Option<&str>) -> String {
    let name = single_line(raw.unwrap_or(""), MAX_DISPLAY_NAME_CHARS);
    // Some clients repeat the address, sometimes quoted, as the name: that is no name.
    let unquoted = name.trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>');
    if unquoted.contains('@') && !unquoted.contains(' ') {
        return String::new();
    }
    name
}

/// The portal's own sender addresses and domains, so that mail it sent (or that
/// claims to be from it) is never answered. Addresses compare case-insensitively
/// as a whole; a domain covers every address at exactly that domain (for the
/// inbound domain itself: a reply address writing to a reply address is a loop).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnAddresses {
    addresses: Vec<String>,
    domains: Vec<String>,
}

impl OwnAddresses {
    /// No addresses: nothing is recognised as our own.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one sender address (for example the configured `noreply@…`).
    pub fn with_address(mut self, address: &str) -> Self {
        self.addresses.push(address.trim().to_lowercase());
        self
    }

    /// Adds a whole domain (for example the inbound domain).
    pub fn with_domain(mut self, domain: &str) -> Self {
        self.domains.push(domain.trim().trim_start_matches('@').to_lowercase());
        self
    }

    /// Whether `address` is one of ours.
    pub fn contains(&self, address: &SenderAddress) -> bool {
        let lower = address.as_str().to_lowercase();
        self.addresses.contains(&lower) || self.domains.iter().any(|own| own == address.domain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bracketed_address_of_the_first_mailbox_wins_over_markup_quotes_and_comments() {
        let bracketed = |raw: &str| bracketed_address(raw.as_bytes()).map(|a| a.as_str().to_owned());
        assert_eq!(bracketed(" <b>Bold</b> Name <unq@example.com>").as_deref(), Some("unq@example.com"));
        assert_eq!(bracketed(r#" "<victim@example.com>" <me@example.org>"#).as_deref(), Some("me@example.org"));
        assert_eq!(bracketed(r#" "a \" <x@y.example>" <me@example.org>"#).as_deref(), Some("me@example.org"));
        assert_eq!(bracketed(" Ann (<x@y.example>) <ann@example.com>").as_deref(), Some("ann@example.com"));
        assert_eq!(bracketed(" A <a@x.example>, B <b@y.example>").as_deref(), Some("a@x.example"));
        assert_eq!(bracketed(" a@x.example, B <b@y.example>"), None, "the first mailbox has no brackets");
        assert_eq!(bracketed(" ann@example.com"), None);
        assert_eq!(bracketed(" <not an address@>"), None);
    }

    #[test]
    fn a_from_with_markup_in_its_name_is_read_as_its_bracketed_address() {
        let from = |header: &str| {
            let raw = format!("From: {header}\r\nSubject: x\r\n\r\nbody\r\n");
            let mail = crate::InboundMail::parse(raw.as_bytes()).unwrap();
            (mail.from().as_str().to_owned(), mail.display_name().to_owned())
        };
        assert_eq!(from("<b>Bold</b> Name <unq@example.com>").0, "unq@example.com");
        assert_eq!(from("=?UTF-8?Q?Ren=C3=A9e?= <r@Example.com>"), ("r@example.com".into(), "Renée".into()));
        assert_eq!(from("r@example.com (Renée)").0, "r@example.com");
    }

    fn parsed(raw: &str) -> Option<String> {
        SenderAddress::parse(raw).map(|a| a.as_str().to_owned())
    }

    #[test]
    fn addresses_are_trimmed_and_the_domain_lower_cased() {
        assert_eq!(parsed("  Ann.Lee+tickets@Example.COM \r\n").as_deref(), Some("Ann.Lee+tickets@example.com"));
        assert_eq!(parsed("jörg@bücher.example").as_deref(), Some("jörg@bücher.example"));
        let address = SenderAddress::parse("Ann@Mail.Example.com").unwrap();
        assert_eq!((address.local_part(), address.domain()), ("Ann", "mail.example.com"));
        assert_eq!(address.to_string(), "Ann@mail.example.com");
    }

    #[test]
    fn malformed_addresses_are_not_addresses() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_total = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@@example.com",
            "a b@example.com",
            "\"a b\"@example.com",
            "ann@exa mple.com",
            "ann@example..com",
            "ann@-example.com",
            "ann@example.com.",
            "ann@[192.0.2.1]",
            "<ann@example.com>",
            "ann@example.com\r\nBcc: x@y.z",
            "an\u{0}n@example.com",
            long_local.as_str(),
            long_total.as_str(),
        ] {
            assert_eq!(parsed(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn display_names_are_single_lines_and_never_addresses() {
        assert_eq!(display_name(Some("  Renée\r\n Müller ")), "Renée Müller");
        assert_eq!(display_name(Some("Ann\u{0}\u{202E} Lee")), "Ann Lee");
        assert_eq!(display_name(None), "");
        assert_eq!(display_name(Some("'ann@example.com'")), "");
        assert_eq!(display_name(Some("Ann (ann@example.com)")), "Ann (ann@example.com)");
        assert_eq!(display_name(Some(&"n".repeat(1_000))).chars().count(), MAX_DISPLAY_NAME_CHARS);
    }

    #[test]
    fn own_addresses_match_whole_addresses_and_exact_domains() {
        let own = OwnAddresses::new().with_address(" NoReply@Portal.example ").with_domain("@Inbound.Example.com");
        let is_own = |raw: &str| own.contains(&SenderAddress::parse(raw).unwrap());
        assert!(is_own("noreply@portal.example"));
        assert!(is_own("NOREPLY@PORTAL.EXAMPLE"));
        assert!(is_own("reply+abc@inbound.example.com"));
        assert!(!is_own("noreply2@portal.example"));
        assert!(!is_own("ann@portal.example"));
        assert!(!is_own("ann@sub.inbound.example.com"));
        assert!(!OwnAddresses::new().contains(&SenderAddress::parse("a@b.c").unwrap()));
    }
}

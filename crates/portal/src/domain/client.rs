//! The client a rate limit counts, read from API Gateway's `sourceIp`.
//!
//! An IPv4 address is one client. An IPv6 client is its /64: a home or office
//! line is given at least a /64 and can pick any of its 2^64 addresses, so
//! counting per address would let one person reset every limit at will.
//! The limiter hashes [`ClientAddress::subject`] with its salt
//! ([`super::secrets::client_key`]); the address itself is never stored.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One subject of the rate limits: an IPv4 address, an IPv6 /64, or the
/// shared "unknown" subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientAddress {
    V4(Ipv4Addr),
    /// The /64 network: the address with its last 64 bits cleared.
    V6Network(Ipv6Addr),
    /// Anything that is not an address. API Gateway always gives the peer's IP,
    /// so in production this never happens; if it did (a local caller, a
    /// changed event format), every such request shares one subject, so an
    /// unreadable address can only be limited more, never escape the limit.
    Unknown,
}

/// The subject text of [`ClientAddress::Unknown`].
const UNKNOWN_SUBJECT: &str = "unknown";

impl ClientAddress {
    /// Reads API Gateway's `sourceIp` text. Accepts IPv4 (`203.0.113.9`), IPv6
    /// in any case and abbreviation (`2001:DB8::1`), with a zone id
    /// (`fe80::1%eth0`) or in brackets; an IPv4-mapped IPv6 address
    /// (`::ffff:203.0.113.9`) is the IPv4 client it stands for.
    pub fn from_source_ip(raw: &str) -> Self {
        let text = raw.trim();
        let text = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
        if let Ok(v4) = text.parse::<Ipv4Addr>() {
            return Self::V4(v4);
        }
        // A zone names the local interface, not the client.
        let without_zone = text.split_once('%').map_or(text, |(address, _zone)| address);
        match without_zone.parse::<Ipv6Addr>() {
            Ok(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4),
                None => Self::V6Network(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
            },
            Err(_) => Self::Unknown,
        }
    }

    /// The text the limiter hashes: `203.0.113.9`, `2001:db8:1:2::/64` or `unknown`.
    /// Equal subjects are exactly equal clients.
    pub fn subject(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(v4) => write!(f, "{v4}"),
            Self::V6Network(network) => write!(f, "{network}/64"),
            Self::Unknown => f.write_str(UNKNOWN_SUBJECT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(raw: &str) -> String {
        ClientAddress::from_source_ip(raw).subject()
    }

    #[test]
    fn ipv4_is_one_client_per_address() {
        assert_eq!(subject("203.0.113.9"), "203.0.113.9");
        assert_eq!(subject(" 203.0.113.9 "), "203.0.113.9");
        assert_ne!(subject("203.0.113.9"), subject("203.0.113.10"));
    }

    #[test]
    fn every_address_of_one_ipv6_64_is_one_client() {
        let first = subject("2001:db8:1:2::1");
        assert_eq!(first, "2001:db8:1:2::/64");
        assert_eq!(subject("2001:db8:1:2:ffff:ffff:ffff:ffff"), first);
        assert_eq!(subject("2001:0db8:0001:0002:abcd:0:0:7"), first);
        assert_eq!(ClientAddress::from_source_ip("2001:db8:1:2::1"), ClientAddress::from_source_ip("2001:db8:1:2::2"));
    }

    #[test]
    fn neighbouring_64s_are_different_clients() {
        assert_ne!(subject("2001:db8:1:2::1"), subject("2001:db8:1:3::1"));
        assert_ne!(subject("2001:db8:1:2::1"), subject("2001:db8:1:1:ffff:ffff:ffff:ffff"));
        assert_eq!(subject("2001:db8:1:3::1"), "2001:db8:1:3::/64");
    }

    #[test]
    fn case_zones_and_brackets_do_not_make_a_new_client() {
        let plain = subject("2001:db8:1:2::abcd");
        assert_eq!(subject("2001:DB8:1:2::ABCD"), plain);
        assert_eq!(subject("[2001:db8:1:2::abcd]"), plain);
        assert_eq!(subject("2001:db8:1:2::abcd%eth0"), plain);
        assert_eq!(subject("fe80::1%eth0"), subject("FE80::2%3"));
        assert_eq!(subject("fe80::1%eth0"), "fe80::/64");
    }

    #[test]
    fn ipv4_mapped_ipv6_is_the_ipv4_client() {
        assert_eq!(ClientAddress::from_source_ip("::ffff:203.0.113.9"), ClientAddress::from_source_ip("203.0.113.9"));
        assert_eq!(subject("::FFFF:cb00:7109"), "203.0.113.9");
        assert_eq!(subject("[::ffff:203.0.113.9]"), "203.0.113.9");
        // Only the mapped form: `::1` is IPv6 loopback, not 0.0.0.1.
        assert_eq!(subject("::1"), "::/64");
    }

    #[test]
    fn anything_else_is_one_shared_unknown_subject() {
        for raw in [
            "",
            "unknown",
            "203.0.113",
            "203.0.113.9.1",
            "203.0.113.256",
            "2001:db8::1::2",
            "example.com",
            "1.2.3.4:80",
        ] {
            assert_eq!(ClientAddress::from_source_ip(raw), ClientAddress::Unknown, "{raw:?}");
            assert_eq!(subject(raw), "unknown");
        }
        // No parsed address can be mistaken for the unknown subject.
        assert_ne!(subject("203.0.113.9"), subject("not an address"));
    }
}

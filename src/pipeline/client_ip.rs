//! The client address: the TCP peer, or what trusted proxies say it was.
//!
//! NOTE: forwarding headers are only believed from a trusted peer, and in `X-Forwarded-For`
//! and `Forwarded` the client is the rightmost hop that is not itself a trusted proxy: hops
//! further left were written by the client and prove nothing.

use std::net::{IpAddr, SocketAddr};

use super::request::RequestParts;
use crate::policy::{canonical_ip, ClientIpHeader, Network};

/// Longest forwarding chain walked: a bound on untrusted input.
const MAX_HOPS: usize = 64;

/// Reads a peer address with or without a port (`1.2.3.4`, `1.2.3.4:80`, `[::1]:80`, `::1`).
#[must_use]
#[cfg_attr(scopegate_speed, optimize(speed))]
pub fn parse_addr(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).and_then(|t| t.parse().ok()))
        .map(canonical_ip)
}

#[cfg_attr(scopegate_speed, optimize(speed))]
fn trusted(network: &Network, ip: IpAddr) -> bool {
    network.trusted_proxies.iter().any(|net| net.contains(&ip))
}

/// Where the client address came from, for the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// No peer address was given.
    Unknown,
    /// The TCP peer, not a trusted proxy.
    Peer,
    /// A trusted proxy's header.
    Header(ClientIpHeader),
    /// A trusted proxy's header that could not be read: no client address.
    BadHeader(ClientIpHeader),
}

/// The client address of a request, and where it came from.
#[must_use]
#[cfg_attr(scopegate_speed, optimize(speed))]
pub fn resolve(network: &Network, request: &RequestParts<'_>, remote: Option<&str>) -> (Option<IpAddr>, Source) {
    let Some(peer) = remote.and_then(parse_addr) else {
        return (None, Source::Unknown);
    };
    if !trusted(network, peer) {
        return (Some(peer), Source::Peer);
    }
    let which = network.client_ip_header;
    // The first MAX_HOPS hops, on the stack: walked from the right below.
    let mut held = [""; MAX_HOPS];
    let mut count = 0;
    let mut keep = |hop| {
        if let Some(slot) = held.get_mut(count) {
            *slot = hop;
            count += 1;
        }
    };
    let values = request.values(which.name());
    match which {
        ClientIpHeader::XForwardedFor => values.flat_map(|v| v.split(',')).take(MAX_HOPS).for_each(&mut keep),
        ClientIpHeader::Forwarded => {
            values.flat_map(|v| v.split(',')).take(MAX_HOPS).filter_map(forwarded_for).for_each(&mut keep);
        }
        ClientIpHeader::CfConnectingIp | ClientIpHeader::XRealIp => values.take(1).for_each(&mut keep),
    }
    let hops = held.get(..count).unwrap_or_default();
    if hops.is_empty() {
        // The proxy sent no header: the proxy itself is the client (a health check, say).
        return (Some(peer), Source::Peer);
    }
    let mut client = None;
    for hop in hops.iter().rev() {
        match parse_addr(hop.trim().trim_matches('"')) {
            Some(ip) if trusted(network, ip) => client = Some(ip),
            Some(ip) => return (Some(ip), Source::Header(which)),
            None => return (None, Source::BadHeader(which)),
        }
    }
    // Every hop is a trusted proxy: the leftmost is as far as the chain goes.
    (client, Source::Header(which))
}

/// The `for=` value of one RFC 7239 element (`for=192.0.2.60;proto=http`).
#[cfg_attr(scopegate_speed, optimize(speed))]
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::request::Headers;
    use crate::read::parse_cidr;

    fn resolve(n: &Network, h: &Headers, remote: Option<&str>) -> (Option<IpAddr>, Source) {
        let request = crate::Request { headers: h.clone(), ..crate::Request::default() };
        super::resolve(n, &request.parts(), remote)
    }

    fn net(proxies: &[&str], header: ClientIpHeader) -> Network {
        Network { trusted_proxies: proxies.iter().filter_map(|p| parse_cidr(p)).collect(), client_ip_header: header }
    }

    #[test]
    fn untrusted_peer_headers_are_ignored() {
        let n = net(&["10.0.0.0/8"], ClientIpHeader::XForwardedFor);
        let h = Headers::from([("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(resolve(&n, &h, Some("203.0.113.5:443")).0, parse_addr("203.0.113.5"));
    }

    #[test]
    fn rightmost_untrusted_hop() {
        let n = net(&["10.0.0.0/8"], ClientIpHeader::XForwardedFor);
        let h = Headers::from([("X-Forwarded-For", "1.2.3.4, 198.51.100.7, 10.1.1.1")]);
        assert_eq!(resolve(&n, &h, Some("10.0.0.1")).0, parse_addr("198.51.100.7"));
    }

    #[test]
    fn forwarded_header_with_ipv6_and_ports() {
        let n = net(&["10.0.0.0/8"], ClientIpHeader::Forwarded);
        let h = Headers::from([("Forwarded", "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\"")]);
        assert_eq!(resolve(&n, &h, Some("10.0.0.1")).0, parse_addr("2001:db8:cafe::17"));
    }

    #[test]
    fn mapped_ipv4_is_ipv4() {
        assert_eq!(parse_addr("::ffff:203.0.113.9"), parse_addr("203.0.113.9"));
    }

    #[test]
    fn garbage_hop_is_no_client() {
        let n = net(&["10.0.0.0/8"], ClientIpHeader::XRealIp);
        let h = Headers::from([("x-real-ip", "not-an-ip")]);
        assert_eq!(resolve(&n, &h, Some("10.0.0.1")).0, None);
    }
}

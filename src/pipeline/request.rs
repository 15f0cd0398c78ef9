//! The request as the pipeline sees it: method, URL, headers, peer address.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::profile::{read_path, PathFault, RequestPath};

/// Request headers in arrival order; names compare case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// The first value of `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl<const N: usize> From<[(&str, &str); N]> for Headers {
    fn from(pairs: [(&str, &str); N]) -> Headers {
        Headers(pairs.iter().map(|(n, v)| ((*n).to_string(), (*v).to_string())).collect())
    }
}

/// Accepts `{"name": "value"}` (a value may be a list) or `[["name", "value"], ...]`.
impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        impl<'de> Visitor<'de> for V {
            type Value = Headers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("headers as an object of names to values, or a list of [name, value] pairs")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Headers, A::Error> {
                let mut out = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, OneOrMany>()? {
                    match value {
                        OneOrMany::One(v) => out.push((name, v)),
                        OneOrMany::Many(vs) => out.extend(vs.into_iter().map(|v| (name.clone(), v))),
                    }
                }
                Ok(Headers(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Headers, A::Error> {
                let mut out = Vec::new();
                while let Some((name, value)) = seq.next_element::<(String, String)>()? {
                    out.push((name, value));
                }
                Ok(Headers(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Headers, E> {
                Ok(Headers::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// One HTTP request to decide on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    #[serde(default = "get")]
    pub method: String,
    /// A full URL (`https://api.example.com/2.0/user`) or a path with query (`/2.0/user?x=1`).
    pub url: String,
    #[serde(default)]
    pub headers: Headers,
    /// The TCP peer (`203.0.113.9`, `203.0.113.9:443`, `[2001:db8::1]:443`).
    #[serde(default)]
    pub remote_addr: Option<String>,
}

fn get() -> String {
    "GET".into()
}

impl Request {
    /// A request with no headers and no peer address.
    #[must_use]
    pub fn new(method: &str, url: &str) -> Request {
        Request { method: method.into(), url: url.into(), headers: Headers::default(), remote_addr: None }
    }

    /// The same request with one more header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.0.push((name.into(), value.into()));
        self
    }

    /// The same request from this peer.
    #[must_use]
    pub fn from_addr(mut self, addr: &str) -> Request {
        self.remote_addr = Some(addr.into());
        self
    }

    /// The path and the raw query of the URL; `None` when the request cannot be read the one way
    /// the origin reads it (see [`Request::target`]).
    #[must_use]
    pub fn path_and_query(&self) -> Option<(&str, Option<&str>)> {
        self.target().ok().map(|t| (t.path, t.query))
    }

    /// The request target as the origin reads it, or why it cannot be read that one way.
    ///
    /// An absolute URL only when the text starts with `http://` or `https://` (any case); its
    /// authority runs to the first `/`, `?` or `#` and must be one a WHATWG URL parser delimits
    /// the same way. Otherwise origin-form: a path starting with `/` (not `//`). The path must
    /// name one thing unambiguously: no dot segments, no encoded dots, slashes or backslashes,
    /// no empty segments, no `;`, no bad escapes. White space and control characters are refused
    /// anywhere (WHATWG parsers drop some of them, so the origin would read another URL).
    ///
    /// # Errors
    /// Why the request cannot be read, never quoting it (a URL may carry a secret).
    ///
    /// # Examples
    /// ```
    /// use scopegate::Request;
    /// let request = Request::new("GET", "/2.0/repositories/acme/secret?next=http://h/2.0/repositories/acme/web");
    /// assert_eq!(request.target().unwrap().path, "/2.0/repositories/acme/secret");
    /// assert!(Request::new("GET", "/2.0/repositories/acme/web/../secret").target().is_err());
    /// ```
    pub fn target(&self) -> Result<Target<'_>, &'static str> {
        read_target(&self.url)
    }

    /// The method-override header this request carries, if any (see [`METHOD_OVERRIDE_HEADERS`]).
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn method_override(&self) -> Option<&'static str> {
        METHOD_OVERRIDE_HEADERS.into_iter().find(|name| self.headers.get(name).is_some())
    }

    /// The request as the pipeline reads it, borrowed (see [`Engine::decide`](crate::Engine::decide)).
    #[must_use]
    pub fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            url: &self.url,
            remote_addr: self.remote_addr.as_deref(),
            headers: PartHeaders::All(&self.headers),
        }
    }
}

/// A request as the pipeline reads it: borrowed text, nothing copied. From a [`Request`]
/// ([`Request::parts`]), or from the few values the pipeline reads, picked by the caller (the
/// JS layer writes only those into WebAssembly memory).
#[derive(Clone, Copy, Debug)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub remote_addr: Option<&'a str>,
    headers: PartHeaders<'a>,
}

#[derive(Clone, Copy, Debug)]
enum PartHeaders<'a> {
    /// Every header, looked up by name.
    All(&'a Headers),
    /// What the pipeline reads, picked by the caller.
    Picked {
        authorization: Authorization<'a>,
        /// The values of the network's client-IP header: for `X-Forwarded-For` and `Forwarded`
        /// every value, joined by `,` (the same hops); for the others the first value.
        client_ip: Option<&'a str>,
        /// Bit `i`: the request carries `METHOD_OVERRIDE_HEADERS[i]`.
        overrides: u8,
    },
}

/// The `Authorization` headers of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorization<'a> {
    None,
    One(&'a str),
    /// More than one (unreadable, whatever they say).
    Many,
}

impl<'a> RequestParts<'a> {
    /// A request from the values the pipeline reads (see [`PartHeaders::Picked`]).
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn picked(
        method: &'a str,
        url: &'a str,
        remote_addr: Option<&'a str>,
        authorization: Authorization<'a>,
        client_ip: Option<&'a str>,
        overrides: u8,
    ) -> RequestParts<'a> {
        RequestParts { method, url, remote_addr, headers: PartHeaders::Picked { authorization, client_ip, overrides } }
    }

    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn authorization(&self) -> Authorization<'a> {
        match self.headers {
            PartHeaders::All(headers) => {
                let mut values = headers.get_all("authorization");
                match (values.next(), values.next()) {
                    (None, _) => Authorization::None,
                    (Some(v), None) => Authorization::One(v),
                    (Some(_), Some(_)) => Authorization::Many,
                }
            }
            PartHeaders::Picked { authorization, .. } => authorization,
        }
    }

    /// The method-override header the request carries, if any.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn method_override(&self) -> Option<&'static str> {
        match self.headers {
            PartHeaders::All(headers) => METHOD_OVERRIDE_HEADERS.into_iter().find(|name| headers.get(name).is_some()),
            PartHeaders::Picked { overrides, .. } => {
                METHOD_OVERRIDE_HEADERS.into_iter().enumerate().find(|(i, _)| overrides & (1 << i) != 0).map(|(_, n)| n)
            }
        }
    }

    /// The values of the client-IP header `name` (the network's), in order.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn values(&self, name: &'static str) -> Values<'a> {
        match self.headers {
            PartHeaders::All(headers) => Values::All(headers.0.iter(), name),
            PartHeaders::Picked { client_ip, .. } => Values::One(client_ip),
        }
    }
}

/// Header values, borrowed.
pub(crate) enum Values<'a> {
    All(std::slice::Iter<'a, (String, String)>, &'static str),
    One(Option<&'a str>),
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a str;
    #[cfg_attr(scopegate_speed, optimize(speed))]
    fn next(&mut self) -> Option<&'a str> {
        match self {
            Values::All(pairs, name) => pairs.find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()),
            Values::One(value) => value.take(),
        }
    }
}

/// Headers that ask a server to treat a request as another method than the one on the request
/// line. The gate judges the method it sees; an origin (or a framework in front of it) that
/// honoured one of these would serve another, so requests carrying them are refused.
pub const METHOD_OVERRIDE_HEADERS: [&str; 3] = ["x-http-method-override", "x-http-method", "x-method-override"];

/// Longest URL read; longer ones are refused (a bound on untrusted input).
const MAX_URL_LEN: usize = 16 * 1024;

/// Where a request goes, as the origin reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// The path, still percent-encoded, starting with `/`.
    pub path: &'a str,
    /// The raw query after `?`, if any.
    pub query: Option<&'a str>,
}

#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn read_target(url: &str) -> Result<Target<'_>, &'static str> {
    read_request_target(url).map(|(target, _)| target)
}

/// The request target and its path as the router reads it (split into segments, decoded), from
/// one scan of the URL and one of its path.
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn read_request_target(url: &str) -> Result<(Target<'_>, RequestPath<'_>), &'static str> {
    if url.len() > MAX_URL_LEN {
        return Err("the URL is longer than 16384 bytes");
    }
    // One scan: white space and control characters anywhere, and where the fragment starts (it
    // never reaches the origin).
    let mut end = url.len();
    for (i, &b) in url.as_bytes().iter().enumerate() {
        if b <= b' ' || b == 0x7F {
            return Err("the URL contains white space or a control character");
        }
        if b == b'#' && end == url.len() {
            end = i;
        }
    }
    let target = split_target(url.get(..end).unwrap_or_default())?;
    let read = read_path(target.path).map_err(fault_message)?;
    Ok((target, read))
}

/// A URL without its fragment, split into path and query: the authority of an absolute URL
/// checked, a path-only URL in origin form. The path is not checked here.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn split_target(url: &str) -> Result<Target<'_>, &'static str> {
    let rest = match absolute(url) {
        Some(after_scheme) => {
            let end = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
            let authority = after_scheme.get(..end).unwrap_or_default();
            check_authority(authority)?;
            after_scheme.get(end..).unwrap_or_default()
        }
        None if url.starts_with("//") => return Err("a path cannot start with `//`"),
        None if url.starts_with('/') => url,
        None => return Err("expected a path starting with `/` or an `http://` or `https://` URL"),
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    Ok(Target { path: if path.is_empty() { "/" } else { path }, query })
}

/// The text after `http://` or `https://` (scheme in any case), or `None` for origin-form.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn absolute(url: &str) -> Option<&str> {
    ["http://", "https://"].into_iter().find_map(|scheme| {
        let head = url.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme).then(|| url.get(scheme.len()..)).flatten()
    })
}

/// An authority a WHATWG parser delimits where the gate does and accepts: `[userinfo@]host
/// [:port]`. The host matters only for that: letters, digits, `-`, `_` in dot-separated labels
/// (no IDNA `xn--` labels to decode, and a name ending in a number must be a dotted-quad IPv4
/// address), or a bracketed IPv6 address. No `\\` (a WHATWG parser reads it as `/`), no `%`
/// (hosts are percent-decoded). The port is digits up to 65535.
#[cfg_attr(scopegate_speed, optimize(speed))]
fn check_authority(authority: &str) -> Result<(), &'static str> {
    const BAD: &str = "the URL's host is not one a standard URL parser reads the same way";
    if authority.contains(['\\', '%']) {
        return Err(BAD);
    }
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let port = if let Some(v6) = host_port.strip_prefix('[') {
        let (inside, after) = v6.split_once(']').ok_or(BAD)?;
        inside.parse::<std::net::Ipv6Addr>().map_err(|_| BAD)?;
        match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(BAD)?),
        }
    } else {
        let (host, port) = match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        };
        if !host_ok(host) {
            return Err(BAD);
        }
        port
    };
    // An empty port is no port; otherwise digits up to 65535.
    let port_ok = port.is_none_or(|p| {
        p.is_empty()
            || (p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u32>().is_ok_and(|n| n <= 65_535))
    });
    if port_ok {
        Ok(())
    } else {
        Err(BAD)
    }
}

/// A host name both readings agree on (see [`check_authority`]).
#[cfg_attr(scopegate_speed, optimize(speed))]
fn host_ok(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host);
    let labels = || name.split('.');
    let plain = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
    };
    if name.is_empty() || !labels().all(plain) {
        return false;
    }
    // WHATWG reads a name whose last label is a number (`0x1f` too) as an IPv4 address.
    let last = labels().next_back().unwrap_or_default();
    let hex = last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"))
        && last.bytes().skip(2).all(|b| b.is_ascii_hexdigit());
    let numeric = hex || last.bytes().all(|b| b.is_ascii_digit());
    if !numeric {
        return true;
    }
    labels().count() == 4
        && labels().all(|l| {
            l.bytes().all(|b| b.is_ascii_digit())
                && (l.len() == 1 || !l.starts_with('0'))
                && l.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// Why a path that does not name one thing, read the same by the gate and the origin, is
/// refused. The router reads paths with the same reader ([`crate::profile::read_path`]).
fn fault_message(fault: PathFault) -> &'static str {
    match fault {
        PathFault::DotSegment => "the path has a `.` or `..` segment",
        PathFault::EncodedDot => "the path has an encoded dot (`%2e`)",
        PathFault::EncodedSeparator => "the path has an encoded `/`, or a `\\` (which some servers read as `/`)",
        PathFault::Semicolon => "the path has a `;` (which some servers read as the start of a parameter)",
        PathFault::EmptySegment => "the path has an empty segment (`//`)",
        PathFault::Undecodable => "the path has a bad percent escape, a control character, or too many segments",
    }
}

#[cfg(test)]
mod reader_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn pq(url: &str) -> Option<(&str, Option<&str>)> {
        read_target(url).ok().map(|t| (t.path, t.query))
    }

    #[test]
    fn urls_and_paths() {
        let r = Request::new("GET", "https://api.example.com/2.0/user?x=1#frag");
        assert_eq!(r.path_and_query(), Some(("/2.0/user", Some("x=1"))));
        assert_eq!(pq("http://h"), Some(("/", None)));
        assert_eq!(pq("http://h?q"), Some(("/", Some("q"))));
        assert_eq!(pq("HTTPS://h:8443/a"), Some(("/a", None)));
        assert_eq!(pq("http://u:p@h/a"), Some(("/a", None)));
        assert_eq!(pq("http://[2001:db8::1]:80/a"), Some(("/a", None)));
        assert_eq!(pq("http://203.0.113.9:8080/a"), Some(("/a", None)));
        assert_eq!(pq("http://api.example.com./a"), Some(("/a", None)));
        assert_eq!(pq("http://a_b-c.x1/a"), Some(("/a", None)));
        assert_eq!(pq("http://h:/a"), Some(("/a", None)));
        assert_eq!(pq("/a/b"), Some(("/a/b", None)));
        assert_eq!(pq("/a/b#x?y"), Some(("/a/b", None)));
        assert_eq!(pq("a/b"), None);
    }

    #[test]
    fn a_scheme_only_counts_at_the_start() {
        // Issue 11: `://` in the query or the path never starts a URL.
        assert_eq!(
            pq("/2.0/repositories/acme/secret?next=http://h/2.0/repositories/acme/web"),
            Some(("/2.0/repositories/acme/secret", Some("next=http://h/2.0/repositories/acme/web")))
        );
        assert_eq!(pq("/2.0/repositories/acme/x:/h/web"), Some(("/2.0/repositories/acme/x:/h/web", None)));
        assert_eq!(pq("/2.0/repositories/acme/http://h/2.0/repositories/acme/web"), None, "`//` is an empty segment");
        assert_eq!(pq("https://h/a?u=https://i/b"), Some(("/a", Some("u=https://i/b"))));
    }

    #[test]
    fn what_a_standard_parser_reads_differently_is_refused() {
        for bad in [
            "",
            "*",
            "//h/a",
            "http:/h/a",
            "http:\\\\h/a",
            "ftp://h/a",
            "ws://h/a",
            "http:///a",
            "http://h\\@e/a",
            "http://h%2F/a",
            "http://h:99999/a",
            "http://h:x/a",
            "http://[::1/a",
            "http://[1:2]/a",
            "http://1.2.3.4.5/a",
            "http://256.1.1.1/a",
            "http://01.2.3.4/a",
            "http://0x7f/a",
            "http://xn--a/a",
            "http://a..b/a",
            "http://./a",
            "http://a@/x",
            "http://a b/c",
            "/a b",
            "/a\tb",
            "/a/b\n",
            "/a/../b",
            "/a/%2e%2E/b",
            "/a/we%2Eb",
            "/a%2fb",
            "/a%5cb",
            "/a\\b",
            "/a//b",
            "/a;b",
            "/a/%zz",
        ] {
            assert!(read_target(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(read_target(&format!("/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }

    #[test]
    fn method_overrides_are_found() {
        let r = Request::new("POST", "/a").header("X-HTTP-Method-Override", "DELETE");
        assert_eq!(r.method_override(), Some("x-http-method-override"));
        assert_eq!(
            Request::new("POST", "/a").header("X-Method-Override", "PUT").method_override(),
            Some("x-method-override")
        );
        assert_eq!(Request::new("POST", "/a").method_override(), None);
    }

    #[test]
    fn headers_both_shapes() {
        let a: Headers =
            serde_json::from_str(r#"{"Authorization":"Bearer x","X-Forwarded-For":["1.1.1.1","2.2.2.2"]}"#).unwrap();
        assert_eq!(a.get("authorization"), Some("Bearer x"));
        assert_eq!(a.get_all("x-forwarded-for").count(), 2);
        let b: Headers = serde_json::from_str(r#"[["authorization","Bearer y"]]"#).unwrap();
        assert_eq!(b.get("Authorization"), Some("Bearer y"));
    }
}

//! The request as the pipeline sees it: method, URL, headers, peer address.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

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

    /// The path and the raw query of the URL; `None` when it is neither a URL nor a path.
    #[must_use]
    pub fn path_and_query(&self) -> Option<(&str, Option<&str>)> {
        let url = self.url.split('#').next().unwrap_or_default();
        let rest = match url.find("://") {
            Some(at) => {
                let after = url.get(at + 3..)?;
                match after.find(['/', '?']) {
                    Some(slash) => after.get(slash..)?,
                    None => "/",
                }
            }
            None if url.starts_with('/') => url,
            None => return None,
        };
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        Some((if path.is_empty() { "/" } else { path }, query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        let r = Request::new("GET", "https://api.example.com/2.0/user?x=1#frag");
        assert_eq!(r.path_and_query(), Some(("/2.0/user", Some("x=1"))));
        assert_eq!(Request::new("GET", "http://h").path_and_query(), Some(("/", None)));
        assert_eq!(Request::new("GET", "http://h?q").path_and_query(), Some(("/", Some("q"))));
        assert_eq!(Request::new("GET", "/a/b").path_and_query(), Some(("/a/b", None)));
        assert_eq!(Request::new("GET", "a/b").path_and_query(), None);
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

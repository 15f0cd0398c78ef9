//! The credential in the `Authorization` header.

use base64::Engine as _;

use super::request::Headers;

/// What the request presents.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    None,
    Bearer(String),
    Basic {
        user: String,
        secret: String,
    },
    /// Unreadable; the `&str` says why (never quoting the secret).
    Malformed(&'static str),
}

// NOTE: hand-written so a secret can never reach a log through `{:?}`.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::None => f.write_str("None"),
            Credential::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            // The username too: users paste tokens there (`<token>:<token>`).
            Credential::Basic { .. } => f.write_str("Basic(<redacted>, <redacted>)"),
            Credential::Malformed(why) => write!(f, "Malformed({why})"),
        }
    }
}

/// Longest header value read; longer ones are malformed (a bound on untrusted input).
const MAX_LEN: usize = 8192;

/// Reads the `Authorization` header.
#[must_use]
pub fn parse(headers: &Headers) -> Credential {
    let mut values = headers.get_all("authorization");
    let Some(value) = values.next() else {
        return Credential::None;
    };
    if values.next().is_some() {
        return Credential::Malformed("more than one Authorization header");
    }
    if value.len() > MAX_LEN {
        return Credential::Malformed("Authorization header is too long");
    }
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        if rest.is_empty() {
            return Credential::Malformed("Bearer without a token");
        }
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Credential::Malformed("Bearer token contains white space");
        }
        Credential::Bearer(rest.to_string())
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(rest));
        let Ok(bytes) = decoded else {
            return Credential::Malformed("Basic credentials are not valid base64");
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return Credential::Malformed("Basic credentials are not UTF-8");
        };
        match text.split_once(':') {
            Some((user, secret)) if !user.is_empty() && !secret.is_empty() => {
                Credential::Basic { user: user.to_string(), secret: secret.to_string() }
            }
            _ => Credential::Malformed("Basic credentials need `username:secret`"),
        }
    } else {
        Credential::Malformed("unsupported Authorization scheme (expected Bearer or Basic)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(v: &str) -> Credential {
        parse(&Headers::from([("Authorization", v)]))
    }

    #[test]
    fn schemes() {
        assert_eq!(auth("Bearer abc"), Credential::Bearer("abc".into()));
        assert_eq!(auth("bearer   abc "), Credential::Bearer("abc".into()));
        let b64 = base64::engine::general_purpose::STANDARD.encode("mary@acme.test:s3cret:x");
        assert_eq!(
            auth(&format!("Basic {b64}")),
            Credential::Basic { user: "mary@acme.test".into(), secret: "s3cret:x".into() }
        );
        assert!(matches!(auth("Bearer"), Credential::Malformed(_)));
        assert!(matches!(auth("Basic !!!"), Credential::Malformed(_)));
        assert!(matches!(auth("Digest x"), Credential::Malformed(_)));
        assert_eq!(parse(&Headers::default()), Credential::None);
    }

    #[test]
    fn debug_hides_secrets() {
        let c = auth("Bearer topsecret");
        assert!(!format!("{c:?}").contains("topsecret"));
        let b64 = base64::engine::general_purpose::STANDARD.encode("tokenA:tokenB");
        let c = auth(&format!("Basic {b64}"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("tokenA") && !shown.contains("tokenB"), "{shown}");
    }
}

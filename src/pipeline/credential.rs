//! The credential in the `Authorization` header.

use base64::Engine as _;

use super::request::Authorization;

/// What the request presents, borrowed from the header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    None,
    Bearer(&'a str),
    /// The base64 text after `Basic`, decoded by [`basic`].
    Basic(&'a str),
    /// Unreadable; the `&str` says why (never quoting the secret).
    Malformed(&'static str),
}

// NOTE: hand-written so a secret can never reach a log through `{:?}`.
impl std::fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::None => f.write_str("None"),
            Credential::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            // The username too: users paste tokens there (`<token>:<token>`).
            Credential::Basic(_) => f.write_str("Basic(<redacted>)"),
            Credential::Malformed(why) => write!(f, "Malformed({why})"),
        }
    }
}

/// Longest header value read; longer ones are malformed (a bound on untrusted input).
const MAX_LEN: usize = 8192;

/// Bytes of decoded Basic credentials held on the stack; longer ones (up to the header's bound)
/// are decoded into the heap.
pub(crate) const BASIC_BUF: usize = 768;

/// Reads the `Authorization` header.
#[must_use]
#[cfg_attr(scopegate_speed, optimize(speed))]
pub fn parse(authorization: Authorization<'_>) -> Credential<'_> {
    let value = match authorization {
        Authorization::None => return Credential::None,
        Authorization::Many => return Credential::Malformed("more than one Authorization header"),
        Authorization::One(value) => value,
    };
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
        Credential::Bearer(rest)
    } else if scheme.eq_ignore_ascii_case("basic") {
        Credential::Basic(rest)
    } else {
        Credential::Malformed("unsupported Authorization scheme (expected Bearer or Basic)")
    }
}

/// Decoded Basic credentials: on the stack when they fit, else in the heap.
pub(crate) enum BasicText<'b> {
    Stack(&'b str),
    Heap(String),
}

impl BasicText<'_> {
    /// `(username, secret)`.
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub(crate) fn split(&self) -> Result<(&str, &str), &'static str> {
        let text = match self {
            BasicText::Stack(t) => t,
            BasicText::Heap(t) => t.as_str(),
        };
        match text.split_once(':') {
            Some((user, secret)) if !user.is_empty() && !secret.is_empty() => Ok((user, secret)),
            _ => Err("Basic credentials need `username:secret`"),
        }
    }
}

/// Decodes the base64 text of Basic credentials into `buf` when it fits: no allocation for
/// credentials of usual length.
#[cfg_attr(scopegate_speed, optimize(speed))]
pub(crate) fn basic<'b>(encoded: &str, buf: &'b mut [u8; BASIC_BUF]) -> Result<BasicText<'b>, &'static str> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    const BAD: &str = "Basic credentials are not valid base64";
    const NOT_UTF8: &str = "Basic credentials are not UTF-8";
    if encoded.len().div_ceil(4).saturating_mul(3) <= BASIC_BUF {
        let n = STANDARD
            .decode_slice(encoded, buf)
            .or_else(|_| STANDARD_NO_PAD.decode_slice(encoded, buf))
            .map_err(|_| BAD)?;
        let bytes = buf.get(..n).ok_or(BAD)?;
        return std::str::from_utf8(bytes).map(BasicText::Stack).map_err(|_| NOT_UTF8);
    }
    let bytes = STANDARD.decode(encoded).or_else(|_| STANDARD_NO_PAD.decode(encoded)).map_err(|_| BAD)?;
    String::from_utf8(bytes).map(BasicText::Heap).map_err(|_| NOT_UTF8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(v: &str) -> Credential<'_> {
        parse(Authorization::One(v))
    }

    fn basic_pair(encoded: &str) -> Result<(String, String), &'static str> {
        let mut buf = [0u8; BASIC_BUF];
        let text = basic(encoded, &mut buf)?;
        text.split().map(|(u, s)| (u.to_owned(), s.to_owned()))
    }

    #[test]
    fn schemes() {
        assert_eq!(auth("Bearer abc"), Credential::Bearer("abc"));
        assert_eq!(auth("bearer   abc "), Credential::Bearer("abc"));
        let b64 = base64::engine::general_purpose::STANDARD.encode("mary@acme.test:s3cret:x");
        let header = format!("Basic {b64}");
        let Credential::Basic(encoded) = auth(&header) else { panic!("not basic") };
        assert_eq!(basic_pair(encoded), Ok(("mary@acme.test".into(), "s3cret:x".into())));
        assert!(matches!(auth("Bearer"), Credential::Malformed(_)));
        assert!(basic_pair("!!!").is_err());
        assert!(matches!(auth("Digest x"), Credential::Malformed(_)));
        assert_eq!(parse(Authorization::None), Credential::None);
        assert_eq!(parse(Authorization::Many), Credential::Malformed("more than one Authorization header"));
    }

    #[test]
    fn long_basic_credentials_decode_too() {
        let long = format!("u:{}", "s".repeat(4000));
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&long);
        assert_eq!(basic_pair(&b64), Ok(("u".into(), "s".repeat(4000))));
        let short = base64::engine::general_purpose::STANDARD_NO_PAD.encode("u:p");
        assert_eq!(basic_pair(&short), Ok(("u".into(), "p".into())));
        assert_eq!(
            basic_pair(&base64::engine::general_purpose::STANDARD.encode([0xff, b':', b'x'])),
            Err("Basic credentials are not UTF-8")
        );
        assert_eq!(
            basic_pair(&base64::engine::general_purpose::STANDARD.encode("nocolon")),
            Err("Basic credentials need `username:secret`")
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let c = auth("Bearer topsecret");
        assert!(!format!("{c:?}").contains("topsecret"));
        let b64 = base64::engine::general_purpose::STANDARD.encode("tokenA:tokenB");
        let header = format!("Basic {b64}");
        let c = auth(&header);
        let shown = format!("{c:?}");
        assert!(!shown.contains(&b64), "{shown}");
    }
}

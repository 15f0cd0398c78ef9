//! Errors for misuse and bad input. A deny is never an error: it is a `Decision`.
//!
//! Messages follow one style: no capital, no final period, the place first
//! (`tokens[41].expires_at: expected an RFC 3339 time, got "tomorrow"`), and never a secret.

use std::fmt;

use crate::token::has_token_prefix;

/// Values this long could be a token secret (minted ones are 53 characters; Bitbucket's longer).
const SECRET_MIN_CHARS: usize = 32;

/// Whether an input value may be quoted back in a message: shorter than any token and without
/// a known token prefix (`sg?_`, `ATBB`, `ATATT`, `ATCTT`). Anything else could be a secret
/// pasted into the wrong field, and messages end up in logs.
pub(crate) fn may_quote(value: &str) -> bool {
    value.chars().nth(SECRET_MIN_CHARS - 1).is_none() && !has_token_prefix(value)
}

/// What a message says instead of a value that could be a secret: only its length.
fn withheld(value: &str) -> String {
    format!("<{} characters, not shown: it could be a secret>", value.chars().count())
}

/// User input in a message, JSON-quoted (`"tomorrow"`) when [`may_quote`] allows, else only
/// its length. The one place the rule is applied; [`ticked`] is its backtick form.
pub(crate) fn quoted(value: &str) -> String {
    if may_quote(value) {
        serde_json::to_string(value).unwrap_or_default()
    } else {
        withheld(value)
    }
}

/// A name from the input (an unknown field, a scope) in backticks, by the rule of [`quoted`].
pub(crate) fn ticked(value: &str) -> String {
    if may_quote(value) {
        format!("`{value}`")
    } else {
        withheld(value)
    }
}

/// A message written by other code (serde, a parser) with every `"..."` and `` `...` `` span
/// that [`may_quote`] refuses replaced by its length: the backstop for messages this crate
/// does not word itself.
pub(crate) fn redact_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let (head, tail) = rest.split_at(start);
        out.push_str(head);
        let mut chars = tail.chars();
        let quote = chars.next().unwrap_or('"');
        let body = chars.as_str();
        // The closing quote: the next one not escaped by a backslash.
        let mut end = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                c if c == quote && !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let Some(end) = end else {
            // Unclosed: judge the rest as one value.
            out.push(quote);
            out.push_str(&if may_quote(body) { body.to_string() } else { withheld(body) });
            return out;
        };
        let inner = body.get(..end).unwrap_or_default();
        if may_quote(inner) {
            out.push(quote);
            out.push_str(inner);
            out.push(quote);
        } else {
            out.push_str(&withheld(inner));
        }
        rest = body.get(end + quote.len_utf8()..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Why a bundle was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// Shorter than its header or its declared sections.
    Truncated,
    /// Not a scopegate bundle at all.
    WrongMagic,
    /// A format version this build does not read.
    UnknownVersion(u16),
    /// Signed with a key none of the given public keys matches.
    UnknownKey(String),
    /// The signature does not verify: the bytes were changed.
    BadSignature,
    /// A section or count is out of bounds or inconsistent.
    Corrupt(String),
    /// Past its `expires_at`.
    Expired(String),
    /// Issued after `now` by more than the clock-skew allowance: `(issued_at, now)`.
    NotYetValid(String, String),
    /// Issued before the bundle or delta in use: `(issued_at, the floor it was held to)`.
    Rollback(String, String),
    /// A delta for another base bundle.
    WrongBase,
    /// A delta older than what is already applied.
    Stale(String),
    /// A bundle where a delta was expected, or the other way round.
    WrongType(&'static str),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Truncated => f.write_str("bundle is truncated"),
            BundleError::WrongMagic => f.write_str("not a scopegate bundle (wrong magic bytes)"),
            BundleError::UnknownVersion(v) => write!(f, "unknown bundle format version {v}"),
            BundleError::UnknownKey(id) => {
                write!(f, "bundle is signed by key `{id}`, which is not among the given public keys")
            }
            BundleError::BadSignature => {
                f.write_str("bundle signature does not verify: the bytes were changed or the key is wrong")
            }
            BundleError::Corrupt(what) => write!(f, "bundle is corrupt: {what}"),
            BundleError::Expired(at) => write!(f, "bundle expired at {at}"),
            BundleError::NotYetValid(issued, now) => write!(
                f,
                "bundle is not valid yet: issued at {issued}, more than 5 minutes after now ({now}); the clock is behind or the bundle is from the future"
            ),
            BundleError::Rollback(issued, floor) => write!(
                f,
                "bundle is a rollback: issued at {issued}, before {floor} (the one in use); an older snapshot would bring back revoked tokens"
            ),
            BundleError::WrongBase => f.write_str("delta was built for another base bundle"),
            BundleError::Stale(what) => write!(f, "delta is stale: {what}"),
            BundleError::WrongType(what) => write!(f, "expected {what}"),
        }
    }
}

/// Everything that can go wrong outside a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The state JSON is malformed or inconsistent, at `path`.
    State { path: String, message: String },
    /// An OpenAPI document or profile that cannot be used, at `path`.
    Profile { path: String, message: String },
    /// A bundle or delta that cannot be loaded.
    Bundle(BundleError),
    /// A public or private key that cannot be used.
    Key(String),
    /// A request or argument that cannot be used.
    Input(String),
    /// The platform gave no randomness.
    Random(String),
}

impl Error {
    pub(crate) fn state(path: impl Into<String>, message: impl Into<String>) -> Error {
        Error::State { path: path.into(), message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::State { path, message } | Error::Profile { path, message } if path.is_empty() => {
                f.write_str(message)
            }
            Error::State { path, message } | Error::Profile { path, message } => {
                write!(f, "{path}: {message}")
            }
            Error::Bundle(e) => e.fmt(f),
            Error::Key(m) | Error::Input(m) => f.write_str(m),
            Error::Random(m) => write!(f, "no randomness available: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<BundleError> for Error {
    fn from(e: BundleError) -> Error {
        Error::Bundle(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_values_that_cannot_be_tokens_are_quoted() {
        assert_eq!(quoted("tomorrow"), "\"tomorrow\"");
        assert_eq!(ticked("expires_on"), "`expires_on`");
        let long = "x".repeat(32);
        assert_eq!(quoted(&long), "<32 characters, not shown: it could be a secret>");
        assert_eq!(quoted(&"x".repeat(31)), format!("\"{}\"", "x".repeat(31)));
        for prefixed in ["sga_1", "sgz_", "ATBB1", "ATATT3", "ATCTT3x"] {
            assert!(!may_quote(prefixed), "{prefixed}");
            assert!(!ticked(prefixed).contains(prefixed), "{prefixed}");
        }
        assert!(may_quote("sg_x") && may_quote("ATB") && may_quote("atbb"));
        // Characters, not bytes: 31 two-byte characters are still short.
        assert!(may_quote(&"é".repeat(31)));
    }

    #[test]
    fn foreign_messages_are_redacted() {
        let token = format!("sga_{}", "A".repeat(49));
        let m = format!("invalid type: string \"{token}\", expected a sequence at `scopes`");
        let r = redact_quotes(&m);
        assert!(!r.contains(&token), "{r}");
        assert!(r.contains("<53 characters, not shown") && r.contains("`scopes`"), "{r}");
        assert_eq!(redact_quotes("unknown field `x`, expected \"y\""), "unknown field `x`, expected \"y\"");
        assert_eq!(redact_quotes(r#"a "b\"c" d"#), r#"a "b\"c" d"#);
        let open = format!("unclosed `{token}");
        assert!(!redact_quotes(&open).contains(&token));
    }
}

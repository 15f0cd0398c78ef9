//! Errors for misuse and bad input. A deny is never an error: it is a `Decision`.
//!
//! Messages follow one style: no capital, no final period, the place first
//! (`tokens[41].expires_at: expected an RFC 3339 time, got "tomorrow"`), and never a secret
//! (`crate::redact` says what of the input a message may quote).

use std::fmt;

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
